//! Exports on a real vault: what each kind and role holds, the JSON and CSV read back to
//! what is stored, the PDF's seal checks out and any changed byte fails it, partial files
//! never remain, and every export is logged and audited.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;

use common::Vault;
use image::RgbImage;
use proptest::prelude::*;
use tessera_core::audit::{self, AuditFilter};
use tessera_core::encounters::{self, NewEncounter, Vitals};
use tessera_core::export::{
    self, DateRange, ExportFormat, ExportKind, ExportRequest, Record, Referral,
};
use tessera_core::media::{self, ImportOptions, ImportSource, Privacy};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Profile, profile::Allergy};
use tessera_core::policy::Role;
use tessera_core::{Error, Session};

fn jpeg(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([x as u8 ^ seed, y as u8, seed.wrapping_mul(7)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A patient with a diacritic name, an alert, an allergy, three visits with vitals, a
/// narrative edited once, a shared and a private photo.
fn patient(s: &mut Session, given: &str) -> String {
    let mut profile = Profile::named(given, "Nkosi-Ωμέγα");
    profile.medical_alerts = vec!["Epilepsy: seizure plan in notes".into()];
    profile.allergies = vec![Allergy {
        substance: "Penicillin".into(),
        reaction: Some("rash".into()),
        severity: None,
    }];
    profile.date_of_birth = Some("1984-02-29".into());
    let p = patients::create(s, profile, patients::Registration::CheckDuplicates)
        .unwrap()
        .id;
    for (day, reason, systolic) in [
        ("2026-09-01", "First visit", 150),
        ("2026-10-01", "Follow-up", 140),
        ("2026-11-20", "Dressing changed on the left forearm", 128),
    ] {
        encounters::add(
            s,
            &p,
            NewEncounter {
                occurred_at: day.into(),
                reason: reason.into(),
                vitals: Vitals {
                    bp_systolic: Some(systolic),
                    bp_diastolic: Some(85),
                    pulse: Some(72),
                    ..Vitals::default()
                },
                ..NewEncounter::default()
            },
        )
        .unwrap();
    }
    let n = narratives::add(
        s,
        &p,
        NewNarrative {
            body: "Back at work this week — très content.".into(),
            ..NewNarrative::default()
        },
    )
    .unwrap();
    narratives::edit(
        s,
        &n.id,
        "Back at work this week — très content. Sleeping well.",
        None,
        n.revision,
    )
    .unwrap();
    for (seed, privacy) in [(1, Privacy::Staff), (2, Privacy::Private)] {
        let source = ImportSource {
            name: Some("p.jpg".into()),
            bytes: jpeg(seed),
        };
        let options = ImportOptions {
            privacy,
            caption: Some("Wound, week 2".into()),
        };
        media::import(s, &p, source, &options).unwrap();
    }
    p
}

fn request(patient: &str, kind: ExportKind, format: ExportFormat) -> ExportRequest {
    ExportRequest {
        patient: patient.into(),
        kind,
        format,
        range: DateRange::default(),
        referral: (kind == ExportKind::Referral).then(|| Referral {
            to: "Dr A. Mwangi, Kenyatta Hospital".into(),
            purpose: "Orthopaedic review of the left forearm.".into(),
        }),
        csv_bom: false,
    }
}

fn run(s: &mut Session, request: &ExportRequest, out: &Path) -> Result<export::ExportEntry, Error> {
    export::export(s, request, out, None, &|_| {}, &AtomicBool::new(false))
}

fn record(path: &Path) -> Record {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/record.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn a_full_json_export_is_the_stored_record_and_matches_the_published_schema() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Amélia");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("amelia.json");
    let entry = run(
        &mut s,
        &request(&p, ExportKind::Full, ExportFormat::Json),
        &out,
    )
    .unwrap();

    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let errors: Vec<String> = schema()
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    if let Ok(sample) = std::env::var("TESSERA_SAMPLE_DIR") {
        std::fs::copy(&out, Path::new(&sample).join("sample-record.json")).unwrap();
    }

    let back = record(&out);
    let stored = patients::get(&mut s, &p).unwrap();
    assert_eq!(back.export_id, entry.id);
    assert_eq!(back.patient, stored.identity());
    assert_eq!(back.emergency, Some(stored.emergency()));
    assert_eq!(back.profile, Some(stored.demographics()));
    assert_eq!(back.medications, Some(stored.medications()));
    assert_eq!(
        back.encounters.unwrap(),
        encounters::list(&mut s, &p, 100).unwrap()
    );
    let narratives = back.narratives.unwrap();
    assert_eq!(
        narratives
            .iter()
            .map(|n| n.narrative.clone())
            .collect::<Vec<_>>(),
        narratives::list(&mut s, &p).unwrap()
    );
    assert_eq!(narratives[0].revisions.len(), 2);
    // An admin sees both photos; their records, never their images, are in the JSON.
    assert_eq!(back.photos.unwrap().len(), 2);
    assert!(back.audit_trail.is_none() && back.access_grants.is_none());
}

#[test]
fn front_desk_exports_emergency_information_only_and_nothing_clinical() {
    let v = Vault::new();
    let mut admin = v.admin();
    let p = patient(&mut admin, "Amina");
    let mut desk = v.staff("desk", Role::FrontDesk);
    let dir = tempfile::tempdir().unwrap();
    for kind in [ExportKind::Summary, ExportKind::Full] {
        let out = dir.path().join(format!("desk-{kind}.json"));
        run(&mut desk, &request(&p, kind, ExportFormat::Json), &out).unwrap();
        let back = record(&out);
        assert!(back.emergency.is_some());
        assert!(back.medications.is_none() && back.profile.is_none());
        assert!(back.encounters.is_none() && back.narratives.is_none());
        assert!(back.photos.is_none() && back.consents.is_none());
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(!text.contains("Penicillin") && !text.contains("Follow-up"));
    }
    let refused = run(
        &mut desk,
        &request(&p, ExportKind::Referral, ExportFormat::Pdf),
        &dir.path().join("x.pdf"),
    );
    assert!(matches!(refused, Err(Error::Denied { .. })), "{refused:?}");
    assert!(!dir.path().join("x.pdf").exists());
}

#[test]
fn a_colleague_never_gets_a_private_photo_into_an_export() {
    let v = Vault::new();
    let mut admin = v.admin();
    let p = patient(&mut admin, "Amina");
    let mut nurse = v.staff("nurse", Role::Clinician);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nurse.json");
    run(
        &mut nurse,
        &request(&p, ExportKind::Full, ExportFormat::Json),
        &out,
    )
    .unwrap();
    let photos = record(&out).photos.unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].photo.privacy, Privacy::Staff);
}

#[test]
fn a_date_range_limits_visits_and_narratives_but_not_the_profile() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Amina");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("october.json");
    let mut req = request(&p, ExportKind::Full, ExportFormat::Json);
    req.range = DateRange {
        from: Some("2026-10-01".into()),
        to: Some("2026-10-31".into()),
    };
    run(&mut s, &req, &out).unwrap();
    let back = record(&out);
    let visits = back.encounters.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].reason, "Follow-up");
    assert!(back.medications.unwrap().allergies.len() == 1);

    req.range = DateRange {
        from: Some("2026-11-01".into()),
        to: Some("2026-10-01".into()),
    };
    let backwards = run(&mut s, &req, &dir.path().join("no.json"));
    assert!(matches!(backwards, Err(Error::Invalid { field: "to", .. })));
}

#[test]
fn a_formula_as_a_name_comes_out_of_the_csv_neutralised_and_parses_back() {
    let v = Vault::new();
    let mut s = v.admin();
    let name = "=HYPERLINK(\"http://x\")";
    let p = patient(&mut s, name);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tables.zip");
    let mut req = request(&p, ExportKind::Full, ExportFormat::Csv);
    req.csv_bom = true;
    run(&mut s, &req, &out).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert!(
        names.contains(&"patient.csv".to_owned()) && names.contains(&"encounters.csv".to_owned()),
        "{names:?}"
    );
    let mut patient_csv = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("patient.csv").unwrap(), &mut patient_csv)
        .unwrap();
    let body = patient_csv.strip_prefix('\u{feff}').unwrap();
    assert!(body.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{body}");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let given = headers.iter().position(|h| h == "given_name").unwrap();
    assert_eq!(export::csv::restore_cell(&row[given]), name);
    assert_eq!(
        &row[headers.iter().position(|h| h == "date_of_birth").unwrap()],
        "1984-02-29"
    );
}

#[test]
fn a_pdf_verifies_and_every_export_is_logged_and_audited() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Amélia");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("summary.pdf");
    let entry = run(
        &mut s,
        &request(&p, ExportKind::Summary, ExportFormat::Pdf),
        &out,
    )
    .unwrap();
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(entry.bytes, pdf.len() as u64);
    assert_eq!(
        entry.sha256,
        data_encoding::HEXLOWER.encode(&tessera_core::crypto::sha256(&[&pdf]))
    );
    if let Ok(sample) = std::env::var("TESSERA_SAMPLE_DIR") {
        std::fs::copy(&out, Path::new(&sample).join("sample-summary.pdf")).unwrap();
    }

    let checked = export::verify_file(&mut s, &pdf).unwrap();
    assert_eq!(
        (checked.method.as_str(), checked.export_id.as_str()),
        ("document", entry.id.as_str())
    );
    assert_eq!(checked.issued_by, "ana");
    assert_eq!(checked.logged.as_ref(), Some(&entry));

    let listed = export::list(&mut s, Some(&p)).unwrap();
    assert_eq!(listed, vec![entry.clone()]);
    let filter = AuditFilter {
        action: Some("export.record".into()),
        ..AuditFilter::default()
    };
    let audited = audit::list(&mut s, &filter).unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(
        audited[0].after.as_ref().unwrap()["sha256"],
        entry.sha256.as_str()
    );
}

#[test]
fn a_referral_pdf_carries_whom_it_is_for() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Amina");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("referral.json");
    run(
        &mut s,
        &request(&p, ExportKind::Referral, ExportFormat::Json),
        &out,
    )
    .unwrap();
    let back = record(&out);
    assert_eq!(back.referral.unwrap().to, "Dr A. Mwangi, Kenyatta Hospital");
    assert!(back.narratives.unwrap()[0].revisions.is_empty());
    let mut missing = request(&p, ExportKind::Referral, ExportFormat::Pdf);
    missing.referral = None;
    assert!(matches!(
        run(&mut s, &missing, &dir.path().join("r.pdf")),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn an_existing_file_is_never_overwritten_and_a_cancel_leaves_nothing() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Amina");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("taken.pdf");
    std::fs::write(&out, b"someone else's file").unwrap();
    let req = request(&p, ExportKind::Summary, ExportFormat::Pdf);
    assert!(matches!(run(&mut s, &req, &out), Err(Error::Conflict(_))));
    assert_eq!(std::fs::read(&out).unwrap(), b"someone else's file");

    let cancelled = export::export(
        &mut s,
        &req,
        &dir.path().join("new.pdf"),
        None,
        &|_| {},
        &AtomicBool::new(true),
    );
    assert!(matches!(cancelled, Err(Error::Cancelled)));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only the other file remains");
    assert!(export::list(&mut s, None).unwrap().is_empty());
}

#[test]
fn what_a_killed_export_left_is_swept_by_the_next_export() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Amina");
    let dir = tempfile::tempdir().unwrap();
    // A killed writer's partial file: no process holds its lock any more.
    let partial = dir.path().join(".tessera-partial-0192c0ffee");
    std::fs::write(&partial, b"%PDF-1.7 half a report").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    std::fs::File::options()
        .write(true)
        .open(&partial)
        .unwrap()
        .set_modified(old)
        .unwrap();
    run(
        &mut s,
        &request(&p, ExportKind::Summary, ExportFormat::Json),
        &dir.path().join("a.json"),
    )
    .unwrap();
    assert!(!partial.exists());
}

#[test]
fn a_json_or_csv_file_verifies_against_the_log_and_a_changed_one_does_not() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Amina");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.json");
    let entry = run(
        &mut s,
        &request(&p, ExportKind::Full, ExportFormat::Json),
        &out,
    )
    .unwrap();
    let mut bytes = std::fs::read(&out).unwrap();
    let checked = export::verify_file(&mut s, &bytes).unwrap();
    assert_eq!(
        (checked.method.as_str(), checked.export_id),
        ("file", entry.id)
    );
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    assert!(matches!(
        export::verify_file(&mut s, &bytes),
        Err(Error::NotGenuine(_))
    ));
}

/// One exported PDF, shared by the property test below (a vault and an export per case
/// would make it far too slow).
fn sealed_pdf() -> &'static (Vault, Vec<u8>) {
    static PDF: std::sync::OnceLock<(Vault, Vec<u8>)> = std::sync::OnceLock::new();
    PDF.get_or_init(|| {
        let v = Vault::new();
        let mut s = v.admin();
        let p = patient(&mut s, "Amélia");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("full.pdf");
        run(
            &mut s,
            &request(&p, ExportKind::Full, ExportFormat::Pdf),
            &out,
        )
        .unwrap();
        (v, std::fs::read(out).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A forger who changes any byte of a sealed PDF, to any value, is caught: in the seal's
    /// token the signature breaks, in its pixels the code no longer matches, anywhere else
    /// the content hash differs.
    #[test]
    fn a_forger_who_changes_any_byte_of_a_pdf_is_caught(at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let (v, pdf) = sealed_pdf();
        let mut s = v.admin();
        let mut forged = pdf.clone();
        let i = at.index(forged.len());
        forged[i] ^= xor;
        let checked = export::verify_file(&mut s, &forged);
        prop_assert!(matches!(checked, Err(Error::NotGenuine(_))), "byte {i}: {checked:?}");
    }
}

#[test]
fn a_pdf_embeds_the_thumbnails_the_exporter_may_see_as_they_are_stored_and_no_others() {
    let v = Vault::new();
    let mut admin = v.admin();
    let p = patient(&mut admin, "Amina");
    let photos = media::list(&mut admin, &p, tessera_core::listing::Listing::Current).unwrap();
    let thumbnail = |s: &mut Session, id: &str| media::thumbnail(s, id).unwrap().bytes.to_vec();
    let shared = photos
        .iter()
        .find(|ph| ph.privacy == Privacy::Staff)
        .unwrap();
    let private = photos
        .iter()
        .find(|ph| ph.privacy == Privacy::Private)
        .unwrap();
    let (shared_jpeg, private_jpeg) = (
        thumbnail(&mut admin, &shared.id),
        thumbnail(&mut admin, &private.id),
    );
    let contains = |pdf: &[u8], jpeg: &[u8]| pdf.windows(jpeg.len()).any(|w| w == jpeg);

    let dir = tempfile::tempdir().unwrap();
    let mut nurse = v.staff("nurse", Role::Clinician);
    for (who, session, sees_private) in [("admin", &mut admin, true), ("nurse", &mut nurse, false)]
    {
        let out = dir.path().join(format!("{who}.pdf"));
        run(
            session,
            &request(&p, ExportKind::Full, ExportFormat::Pdf),
            &out,
        )
        .unwrap();
        let pdf = std::fs::read(&out).unwrap();
        assert!(
            contains(&pdf, &shared_jpeg),
            "{who}: the shared thumbnail, byte for byte"
        );
        assert_eq!(
            contains(&pdf, &private_jpeg),
            sees_private,
            "{who}: the private one"
        );
    }
    // A summary shows no photos at all.
    let out = dir.path().join("summary.pdf");
    run(
        &mut admin,
        &request(&p, ExportKind::Summary, ExportFormat::Pdf),
        &out,
    )
    .unwrap();
    assert!(!contains(&std::fs::read(&out).unwrap(), &shared_jpeg));
}

/// A profile made of arbitrary text (any Unicode, quotes, formulas), and visits with
/// arbitrary reasons and vitals.
fn arbitrary_record() -> impl Strategy<Value = (Profile, Vec<(String, u16, u16)>)> {
    let text = "\\PC{1,40}".prop_filter("not blank", |t| !t.trim().is_empty());
    (
        text.clone(),
        text.clone(),
        proptest::collection::vec(text.clone(), 0..3),
        proptest::collection::vec((text, 90u16..200, 50u16..89), 0..4),
    )
        .prop_map(|(given, family, alerts, visits)| {
            let mut profile = Profile::named(given.trim(), family.trim());
            profile.medical_alerts = alerts.iter().map(|a| a.trim().to_owned()).collect();
            (profile, visits)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever is stored, the JSON export parses back to exactly it.
    #[test]
    fn a_json_export_parses_back_to_what_is_stored((profile, visits) in arbitrary_record()) {
        let (v, _) = sealed_pdf();
        let mut s = v.admin();
        let Ok(patient) = patients::create(&mut s, profile, patients::Registration::CheckDuplicates) else {
            // A profile core refuses (say, an alert it normalises away) is not stored.
            return Ok(());
        };
        for (reason, systolic, diastolic) in &visits {
            // What core refuses is not stored; what it stores is what must come back.
            let _ = encounters::add(&mut s, &patient.id, NewEncounter {
                occurred_at: "2026-10-01".into(),
                reason: reason.trim().into(),
                vitals: Vitals { bp_systolic: Some(*systolic), bp_diastolic: Some(*diastolic), ..Vitals::default() },
                ..NewEncounter::default()
            });
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        run(&mut s, &request(&patient.id, ExportKind::Full, ExportFormat::Json), &out).unwrap();
        let back = record(&out);
        let stored = patients::get(&mut s, &patient.id).unwrap();
        prop_assert_eq!(back.patient, stored.identity());
        prop_assert_eq!(back.emergency, Some(stored.emergency()));
        prop_assert_eq!(back.profile, Some(stored.demographics()));
        prop_assert_eq!(back.medications, Some(stored.medications()));
        prop_assert_eq!(back.encounters.unwrap(), encounters::list(&mut s, &patient.id, 100).unwrap());
    }
}
