//! Erasure (right to be forgotten) on real vaults: what goes, what an anonymised record
//! keeps, who may, and that nothing of the person is left in the vault's files, read
//! page by page with the raw database key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::Vault;
use common::sqlcipher::find_in_vault;
use image::{ImageEncoder, RgbImage};
use tessera_core::audit::{self, AuditFilter};
use tessera_core::encounters::{self, NewEncounter, Vitals};
use tessera_core::erasure::{self, ErasureMode};
use tessera_core::media::{self, ImportOptions, ImportSource, Variant};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::profile::Sex;
use tessera_core::patients::{self, Patient, Profile};
use tessera_core::policy::Role;
use tessera_core::{Error, Session};

const GIVEN: &str = "Zephyrine";
const FAMILY: &str = "Quillfeather";
const PHRASE: &str = "marmalade lighthouse";

fn jpeg(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 3) as u8 ^ seed, y as u8, seed])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A patient with a bit of everything: profile, a visit, a narrative edited once, a photo
/// with its preview, and a search for them by name.
fn full_patient(s: &mut Session, given: &str, family: &str, phrase: &str) -> (Patient, String) {
    let mut profile = Profile::named(given, family);
    profile.date_of_birth = Some("1984-03-09".into());
    profile.phone = Some("+351 912 345 678".into());
    profile.sex = Some(Sex::Female);
    // The patients of a test share a phone, as a family does: not duplicates.
    let p = patients::create(s, profile, patients::Registration::NotADuplicate).unwrap();
    encounters::add(
        s,
        &p.id,
        NewEncounter {
            occurred_at: "2025-02-03".into(),
            reason: format!("fell near the {family} farm"),
            notes: Some(format!("{given} asked for water")),
            diagnoses: vec!["sprained ankle".into()],
            vitals: Vitals {
                pulse: Some(72),
                bp_systolic: Some(121),
                bp_diastolic: Some(79),
                ..Vitals::default()
            },
            ..NewEncounter::default()
        },
    )
    .unwrap();
    let n = narratives::add(
        s,
        &p.id,
        NewNarrative {
            body: format!("{given} spoke of a {phrase} by the sea."),
            ..NewNarrative::default()
        },
    )
    .unwrap();
    narratives::edit(s, &n.id, &format!("{phrase}, again"), None, n.revision).unwrap();
    let photo = media::import(
        s,
        &p.id,
        ImportSource {
            name: Some(format!("{family}.jpg")),
            bytes: jpeg(given.len() as u8),
        },
        &ImportOptions::default(),
    )
    .unwrap()
    .photo;
    media::open(s, &photo.id, Variant::Preview).unwrap();
    patients::search(s, given, 10).unwrap();
    patients::get(s, &p.human_id).unwrap();
    (p, photo.id)
}

fn media_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(subs) = std::fs::read_dir(dir.join("media")) {
        for sub in subs.flatten() {
            for file in std::fs::read_dir(sub.path()).unwrap().flatten() {
                out.push(file.path());
            }
        }
    }
    out
}

#[test]
fn erasure_leaves_no_trace_of_the_patient_in_the_vault_files() {
    let v = Vault::new();
    let mut s = v.admin();
    let (p, photo_id) = full_patient(&mut s, GIVEN, FAMILY, PHRASE);
    let (other, _) = full_patient(&mut s, "Bartholomew", "Oakenshield", "copper kettle");
    let (thumb_id, preview_id): (String, String) = v
        .raw()
        .query_row(
            "SELECT thumb_id, preview_id FROM photos WHERE id = ?1",
            [&photo_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let key = *v.db_key().expose();
    let needles = [GIVEN, FAMILY, PHRASE, &p.human_id, &thumb_id, &preview_id];

    // The scan can fail: before erasure every needle is found, in the database or the WAL.
    let before = find_in_vault(&v.dir, &key, &needles);
    for needle in needles {
        let lower = format!("{:?}", needle.to_ascii_lowercase());
        assert!(
            before.iter().any(|f| f.starts_with(&lower)),
            "{needle} not found before erasure: the scan is blind"
        );
    }
    let blob_files: Vec<PathBuf> = media_files(&v.dir)
        .into_iter()
        .filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            [&photo_id, &thumb_id, &preview_id]
                .iter()
                .any(|id| id.replace('-', "") == name)
        })
        .collect();
    assert_eq!(
        blob_files.len(),
        3,
        "original, thumbnail and preview on disk"
    );

    let report = erasure::erase(&mut s, &p.human_id, ErasureMode::Delete).unwrap();
    assert_eq!(
        (
            report.encounters,
            report.narratives,
            report.narrative_revisions,
            report.photos
        ),
        (1, 1, 2, 1)
    );
    assert_eq!(report.photo_files_deleted, 3);
    assert!(report.audit_entries_redacted >= 6, "{report:?}");
    assert_eq!(report.audit_entries_not_redactable, 0);
    assert!(report.wal_truncated);

    // With the session still open, then after it closed.
    for stage in ["open", "locked"] {
        let left = find_in_vault(&v.dir, &key, &needles);
        assert!(left.is_empty(), "after erasure ({stage}): {left:#?}");
        for file in &blob_files {
            assert!(!file.exists(), "{} is still there", file.display());
        }
        if stage == "open" {
            std::mem::replace(&mut s, v.admin()).lock();
        }
    }

    // The other patient is whole, and their name is still found by the same scan.
    assert_eq!(
        patients::get(&mut s, &other.id).unwrap().human_id,
        other.human_id
    );
    assert!(!find_in_vault(&v.dir, &key, &["Oakenshield", "copper kettle"]).is_empty());
    assert!(matches!(
        patients::get(&mut s, &p.id),
        Err(Error::NotFound { .. })
    ));

    // The chain still verifies, and the tombstone names no one.
    let verified = audit::verify(&mut s).unwrap();
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.redacted, report.audit_entries_redacted);
    let trail = audit::list(
        &mut s,
        &AuditFilter {
            resource_id: Some(p.id.clone()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    let tombstone = trail.iter().find(|e| e.action == "patient.erase").unwrap();
    let text = tombstone.after.as_ref().unwrap().to_string();
    assert!(text.contains("\"mode\":\"delete\""), "{text}");
    assert!(
        !text.contains(GIVEN) && !text.contains(&p.human_id),
        "{text}"
    );
    for entry in trail.iter().filter(|e| e.action != "patient.erase") {
        assert!(entry.after.is_none() && entry.before.is_none(), "{entry:?}");
    }
}

#[test]
fn anonymising_keeps_the_numbers_and_nothing_that_identifies() {
    let v = Vault::new();
    let mut s = v.admin();
    let (p, _) = full_patient(&mut s, GIVEN, FAMILY, PHRASE);
    let report = erasure::erase(&mut s, &p.id, ErasureMode::Anonymise).unwrap();
    assert_eq!(
        (report.mode, report.encounters, report.photos),
        (ErasureMode::Anonymise, 1, 1)
    );

    assert!(patients::get(&mut s, &p.id).is_err(), "the old id is gone");
    let kept = patients::get(&mut s, report.anonymised_as.as_deref().unwrap()).unwrap();
    assert_ne!(kept.human_id, p.human_id, "a new human id");
    assert_ne!(kept.id, p.id, "a new id");
    assert_eq!(kept.profile.given_name, "Anonymised");
    assert_eq!(kept.profile.date_of_birth.as_deref(), Some("1984"));
    assert_eq!(kept.profile.sex, p.profile.sex);
    assert_eq!(kept.profile.phone, None);
    let visits = encounters::list(&mut s, &kept.id, 10).unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].vitals.pulse, Some(72));
    assert_eq!(
        visits[0].occurred_at, "2025-02-01T00:00:00Z",
        "cut to its month"
    );
    assert_eq!(
        (visits[0].reason.as_str(), visits[0].notes.as_deref()),
        ("", None)
    );
    assert!(visits[0].diagnoses.is_empty());
    assert!(narratives::list(&mut s, &kept.id).unwrap().is_empty());
    assert!(
        media::list(&mut s, &kept.id, tessera_core::listing::Listing::Current)
            .unwrap()
            .is_empty()
    );
    drop(s);
    // Through the raw key: searching through the core would record the name it looks for.
    let indexed: i64 = v
        .raw()
        .query_row(
            "SELECT count(*) FROM patient_search WHERE patient_search MATCH ?1",
            [GIVEN],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexed, 0);
    let key = *v.db_key().expose();
    let left = find_in_vault(&v.dir, &key, &[GIVEN, FAMILY, PHRASE, &p.human_id]);
    assert!(left.is_empty(), "{left:#?}");
    // Nothing links the statistics kept back to the redacted trail: the old ids are in no
    // kept row, the new ones in no entry before the erasure, and no kept time is exact.
    let raw = v.raw();
    let old_ids: i64 = raw
        .query_row(
            "SELECT (SELECT count(*) FROM patients WHERE id = ?1) \
                  + (SELECT count(*) FROM encounters WHERE patient_id = ?1 OR id IN \
                     (SELECT resource_id FROM audit_log WHERE resource_type = 'encounter'))",
            [&p.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old_ids, 0);
    let tombstone: i64 = raw
        .query_row(
            "SELECT seq FROM audit_log WHERE action = 'patient.erase'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let earlier_mentions: i64 = raw
        .query_row(
            "SELECT count(*) FROM audit_log WHERE seq <= ?1 AND (resource_id = ?2 \
             OR instr(coalesce(after_json, ''), ?2) > 0)",
            rusqlite::params![tombstone, kept.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(earlier_mentions, 0);
    let exact_times: i64 = raw
        .query_row(
            "SELECT count(*) FROM (SELECT occurred_at AS t FROM encounters UNION ALL \
             SELECT created_at FROM encounters UNION ALL SELECT updated_at FROM encounters \
             UNION ALL SELECT created_at FROM patients UNION ALL SELECT updated_at FROM patients) \
             WHERE strftime('%d %H:%M:%f', t / 1000.0, 'unixepoch') != '01 00:00:00.000'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(exact_times, 0);
    let mut s = v.admin();
    assert!(audit::verify(&mut s).unwrap().ok);
}

#[test]
fn only_admins_erase_and_refusals_change_nothing() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, _) = full_patient(&mut admin, GIVEN, FAMILY, PHRASE);
    drop(admin);
    let mut clinician = v.staff("cleo", Role::Clinician);
    let err = erasure::erase(&mut clinician, &p.id, ErasureMode::Delete).unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err}");
    assert_eq!(
        patients::get(&mut clinician, &p.id).unwrap().human_id,
        p.human_id
    );
    let mut admin = v.admin();
    assert!(matches!(
        erasure::erase(&mut admin, "TS-0000-0000", ErasureMode::Delete),
        Err(Error::NotFound { .. })
    ));

    // The app's erasure wants the human id typed again: a wrong one changes nothing and
    // leaves nothing in the audit log.
    let entries = |v: &Vault| -> i64 {
        v.raw()
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
            .unwrap()
    };
    let before = entries(&v);
    let err = erasure::erase_confirmed(&mut admin, &p.id, ErasureMode::Delete, "TS-0000-0000")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if *field == "confirmation"),
        "{err}"
    );
    assert_eq!(entries(&v), before);
    let typed = p.human_id.replace('-', "").to_lowercase();
    erasure::erase_confirmed(&mut admin, &p.id, ErasureMode::Delete, &typed).unwrap();
    assert!(matches!(
        patients::get(&mut admin, &p.id),
        Err(Error::NotFound { .. })
    ));
}

/// Past searches are redacted when they could have found the erased patient, judged with
/// the index's own folding and tokens: an accent-free "jose alvarez" that found
/// "José Álvarez" goes, and erasing "Li" does not redact every search containing "li".
#[test]
fn erasure_redacts_the_searches_that_could_have_found_the_patient_and_no_others() {
    let v = Vault::new();
    let mut s = v.admin();
    let jose = patients::create(
        &mut s,
        Profile::named("José", "Álvarez"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let li = patients::create(
        &mut s,
        Profile::named("Li", "Wei"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    patients::create(
        &mut s,
        Profile::named("Alice", "Oliveira"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let searches = [
        "jose alvarez",
        "ÁLVAREZ",
        "alv",
        &jose.human_id.to_lowercase(),
        "li",
        "wei li",
        "alice",
        "oliveira",
        "olivia",
    ];
    for query in searches {
        patients::search(&mut s, query, 10).unwrap();
    }
    let redacted_queries = |s: &mut Session| -> Vec<String> {
        let entries = audit::list(
            s,
            &AuditFilter {
                action: Some("patient.search".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap();
        let kept: Vec<String> = entries
            .iter()
            .filter_map(|e| e.after.as_ref()?.get("query")?.as_str().map(str::to_owned))
            .collect();
        searches
            .iter()
            .filter(|q| !kept.iter().any(|k| k == *q))
            .map(|q| (*q).to_owned())
            .collect()
    };

    erasure::erase(&mut s, &jose.id, ErasureMode::Delete).unwrap();
    assert_eq!(
        redacted_queries(&mut s),
        [
            "jose alvarez",
            "ÁLVAREZ",
            "alv",
            &jose.human_id.to_lowercase()
        ]
    );
    erasure::erase(&mut s, &li.id, ErasureMode::Delete).unwrap();
    assert_eq!(
        redacted_queries(&mut s),
        [
            "jose alvarez",
            "ÁLVAREZ",
            "alv",
            &jose.human_id.to_lowercase(),
            "li",
            "wei li"
        ]
    );
    assert!(audit::verify(&mut s).unwrap().ok);
}

/// The earlier versions of an amended visit hold the same clinical text as the visit:
/// erasing the patient, either way, leaves none of them.
#[test]
fn erasing_a_patient_removes_the_earlier_versions_of_their_visits() {
    for mode in [ErasureMode::Delete, ErasureMode::Anonymise] {
        let v = Vault::new();
        let mut s = v.admin();
        let p = patients::create(
            &mut s,
            Profile::named("Tunde", "Bello"),
            patients::Registration::CheckDuplicates,
        )
        .unwrap();
        let new = NewEncounter {
            occurred_at: "2026-02-01".into(),
            reason: "Tunde Bello's tuberculosis follow-up".into(),
            ..NewEncounter::default()
        };
        let visit = encounters::add(&mut s, &p.id, new.clone()).unwrap();
        let corrected = NewEncounter {
            reason: "follow-up".into(),
            ..new
        };
        encounters::amend(&mut s, &visit.id, corrected, "too much in the reason").unwrap();
        erasure::erase(&mut s, &p.id, mode).unwrap();
        let left: i64 = v
            .raw()
            .query_row("SELECT count(*) FROM encounter_revisions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "{mode:?}");
    }
}
