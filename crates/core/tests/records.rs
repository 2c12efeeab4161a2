//! Patient records end to end through the core API, on real SQLCipher vaults in temp dirs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tessera_core::audit::{self, AuditFilter};
use tessera_core::consents::{self, ConsentStatus, NewConsent};
use tessera_core::credentials::{self, Certification, Credentials, Verification};
use tessera_core::encounters::{self, NewEncounter, Vitals};
use tessera_core::listing::Listing;
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::profile::{
    Allergy, BloodType, Channel, CommunicationPreferences, EmergencyContact, Insurance, Medication,
    PatientStatus, Severity, Sex,
};
use tessera_core::patients::{self, Profile};
use tessera_core::policy::Role;
use tessera_core::{Error, chart};

mod common;

use common::Vault;

fn visit(date: &str, reason: &str) -> NewEncounter {
    NewEncounter {
        occurred_at: date.into(),
        reason: reason.into(),
        ..NewEncounter::default()
    }
}

fn story(body: &str) -> NewNarrative {
    NewNarrative {
        body: body.into(),
        ..NewNarrative::default()
    }
}

fn names(results: &[patients::PatientSummary]) -> Vec<String> {
    results
        .iter()
        .map(|p| format!("{} {}", p.given_name, p.family_name))
        .collect()
}

fn invalid_field(err: Error) -> &'static str {
    match err {
        Error::Invalid { field, .. } => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn search_folds_accents_matches_prefixes_ids_phones_and_stories() {
    let v = Vault::new();
    let mut s = v.admin();
    let mut jose = Profile::named("José", "Núñez");
    jose.phone = Some("+351 912 345 678".into());
    let jose = patients::create(&mut s, jose, patients::Registration::CheckDuplicates).unwrap();
    let maria = patients::create(
        &mut s,
        Profile::named("Maria", "Josefina"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    patients::create(
        &mut s,
        Profile::named("Rui", "Costa"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    narratives::add(
        &mut s,
        &maria.id,
        story("Planted tomatoes with José from the shelter"),
    )
    .unwrap();

    assert_eq!(
        names(&patients::search(&mut s, "jose nunez", 10).unwrap()),
        ["José Núñez"]
    );
    assert_eq!(
        names(&patients::search(&mut s, "Nún", 10).unwrap()),
        ["José Núñez"]
    );
    assert_eq!(
        names(&patients::search(&mut s, &jose.human_id.to_lowercase(), 10).unwrap()),
        ["José Núñez"]
    );
    assert_eq!(
        names(&patients::search(&mut s, "912345678", 10).unwrap()),
        ["José Núñez"]
    );
    assert_eq!(
        names(&patients::search(&mut s, "tomatoes", 10).unwrap()),
        ["Maria Josefina"]
    );
    // A name match ranks above a mention in someone else's story.
    assert_eq!(
        names(&patients::search(&mut s, "jose", 10).unwrap()),
        ["José Núñez", "Maria Josefina"]
    );
    assert!(patients::search(&mut s, "zzz", 10).unwrap().is_empty());
    assert!(patients::search(&mut s, "\" OR *", 10).unwrap().is_empty());

    patients::delete(&mut s, &jose.id, Some("duplicate")).unwrap();
    assert_eq!(
        names(&patients::search(&mut s, "nunez", 10).unwrap()),
        Vec::<String>::new()
    );
    patients::restore(&mut s, &jose.human_id).unwrap();
    assert_eq!(
        names(&patients::search(&mut s, "nunez", 10).unwrap()),
        ["José Núñez"]
    );
}

#[test]
fn an_edit_based_on_a_stale_version_is_refused_and_nothing_is_lost() {
    let v = Vault::new();
    let mut first = v.admin();
    let mut second = v.staff("rui", Role::Clinician);
    let created = patients::create(
        &mut first,
        Profile::named("Ines", "Lopes"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();

    let opened_by_first = patients::get(&mut first, &created.id).unwrap();
    let opened_by_second = patients::get(&mut second, &created.human_id).unwrap();
    assert_eq!(opened_by_first.version, 1);

    let mut change = opened_by_first.profile.clone();
    change.medical_alerts = vec!["latex allergy".into()];
    let saved = patients::edit(&mut first, &created.id, change, opened_by_first.version).unwrap();
    assert_eq!(saved.version, 2);

    let mut late = opened_by_second.profile.clone();
    late.phone = Some("555 0100".into());
    let err = patients::edit(&mut second, &created.id, late, opened_by_second.version).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(
        err.to_string().contains("version 1") && err.to_string().contains("version 2"),
        "{err}"
    );

    let now = patients::get(&mut second, &created.id).unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.profile.medical_alerts, ["latex allergy"]);
    assert_eq!(now.profile.phone, None);
}

#[test]
fn views_and_changes_are_audited_with_before_and_after() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patients::create(
        &mut s,
        Profile::named("Ana", "Reis"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    patients::get(&mut s, &p.human_id).unwrap();
    let mut profile = p.profile.clone();
    profile.location = Some("Lisboa".into());
    patients::edit(&mut s, &p.id, profile, 1).unwrap();

    let entries = audit::list(
        &mut s,
        &AuditFilter {
            resource_id: Some(p.id.clone()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["patient.create", "patient.view", "patient.edit"]);
    let edit = &entries[2];
    assert_eq!(
        edit.before.as_ref().unwrap()["location"],
        serde_json::Value::Null
    );
    assert_eq!(edit.after.as_ref().unwrap()["location"], "Lisboa");
    assert!(audit::verify(&mut s).unwrap().ok);
}

#[test]
fn front_desk_registers_and_finds_patients_but_reads_nothing_clinical() {
    let v = Vault::new();
    let mut desk = v.staff("rita", Role::FrontDesk);
    let p = patients::create(
        &mut desk,
        Profile::named("Joao", "Mendes"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    assert_eq!(patients::search(&mut desk, "mendes", 5).unwrap().len(), 1);
    for refused in [
        patients::get(&mut desk, &p.id).map(|_| ()),
        narratives::list(&mut desk, &p.id).map(|_| ()),
        encounters::list(&mut desk, &p.id, 10).map(|_| ()),
        chart::open(&mut desk, &p.id, 10).map(|_| ()),
        consents::list(&mut desk, &p.id).map(|_| ()),
        patients::delete(&mut desk, &p.id, None).map(|_| ()),
    ] {
        assert!(matches!(refused, Err(Error::Denied { .. })), "{refused:?}");
    }
    drop(desk);
    let mut admin = v.admin();
    let denials = audit::list(
        &mut admin,
        &AuditFilter {
            action: Some("access.denied".into()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(denials.len(), 6);
}

/// A curious colleague at the desk searching for a diagnosis learns nothing: only names,
/// human ids and phones are searched for roles that may not read narratives.
#[test]
fn front_desk_search_does_not_match_narrative_words() {
    let v = Vault::new();
    let mut admin = v.admin();
    let ana = patients::create(
        &mut admin,
        Profile::named("Ana", "Lopes"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    narratives::add(
        &mut admin,
        &ana.id,
        story("Tested for hepatitis after the overdose."),
    )
    .unwrap();
    drop(admin);

    let mut desk = v.staff("rita", Role::FrontDesk);
    for word in ["hepatitis", "overdose", "hepat", "tested overdose"] {
        assert!(
            patients::search(&mut desk, word, 10).unwrap().is_empty(),
            "front desk found a patient by {word:?} in a narrative"
        );
    }
    assert_eq!(
        names(&patients::search(&mut desk, "lopes", 10).unwrap()),
        ["Ana Lopes"]
    );
    assert_eq!(
        names(&patients::search(&mut desk, &ana.human_id, 10).unwrap()),
        ["Ana Lopes"]
    );
    drop(desk);

    let mut clinician = v.staff("rui", Role::Clinician);
    assert_eq!(
        names(&patients::search(&mut clinician, "hepatitis", 10).unwrap()),
        ["Ana Lopes"],
        "a role that reads narratives still finds by them"
    );
}

#[test]
fn deleted_patients_leave_lists_and_can_be_restored_only_within_30_days() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patients::create(
        &mut s,
        Profile::named("Olga", "Petrova"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    patients::delete(&mut s, &p.id, Some("registered twice")).unwrap();
    assert!(
        patients::list(&mut s, Listing::Current, 50)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        patients::list(&mut s, Listing::Deleted, 50).unwrap().len(),
        1
    );
    let err = encounters::add(&mut s, &p.id, visit("2026-01-05", "check")).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");

    let month_ago = tessera_core::clock::now_ms() - 31 * 86_400_000;
    v.raw()
        .execute("UPDATE patients SET deleted_at = ?1", [month_ago])
        .unwrap();
    let err = patients::restore(&mut s, &p.id).unwrap_err();
    assert!(
        err.to_string().contains("can no longer be restored"),
        "{err}"
    );

    v.raw()
        .execute(
            "UPDATE patients SET deleted_at = ?1",
            [month_ago + 2 * 86_400_000],
        )
        .unwrap();
    let back = patients::restore(&mut s, &p.id).unwrap();
    assert_eq!(back.deleted_at, None);
    assert_eq!(
        patients::list(&mut s, Listing::Current, 50).unwrap().len(),
        1
    );
}

#[test]
fn encounters_keep_vitals_and_list_newest_first_in_the_chart() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patients::create(
        &mut s,
        Profile::named("Kwame", "Mensah"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let mut first = visit("2026-03-01", "intake");
    first.vitals = Vitals {
        bp_systolic: Some(128),
        bp_diastolic: Some(84),
        pulse: Some(76),
        temperature_c: Some(37.1),
        spo2: Some(97),
        weight_kg: Some(71.4),
        height_cm: Some(176.0),
        pain: Some(4),
    };
    first.diagnoses = vec!["hypertension, stage 1".into()];
    let recorded = encounters::add(&mut s, &p.human_id, first.clone()).unwrap();
    encounters::add(&mut s, &p.id, visit("2026-04-01", "follow-up")).unwrap();

    let chart = chart::open(&mut s, &p.id, 50).unwrap();
    let reasons: Vec<&str> = chart.encounters.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["follow-up", "intake"]);
    assert_eq!(chart.encounters[1], recorded);
    assert_eq!(chart.encounters[1].vitals, first.vitals);
    assert_eq!(encounters::list(&mut s, &p.id, 1).unwrap().len(), 1);

    let mut bad = visit("2026-04-02", "fever");
    bad.vitals.pulse = Some(720);
    assert_eq!(
        invalid_field(encounters::add(&mut s, &p.id, bad).unwrap_err()),
        "pulse"
    );
    assert_eq!(encounters::list(&mut s, &p.id, 50).unwrap().len(), 2);
}

/// A wrong blood pressure typed yesterday is corrected today: the visit shows the right
/// one, the wrong one is kept with who corrected it and why, and the audit log has both.
#[test]
fn an_amended_visit_keeps_its_earlier_version_with_who_and_why() {
    let v = Vault::new();
    let mut s = v.staff("carla", Role::Clinician);
    let p = patients::create(
        &mut s,
        Profile::named("Ada", "Obi"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let mut typed = visit("2026-03-02", "fever");
    typed.vitals.pulse = Some(180);
    let first = encounters::add(&mut s, &p.id, typed.clone()).unwrap();

    let mut right = typed.clone();
    right.vitals.pulse = Some(80);
    let err = encounters::amend(&mut s, &first.id, right.clone(), "  ").unwrap_err();
    assert_eq!(invalid_field(err), "reason");
    let amended = encounters::amend(&mut s, &first.id, right.clone(), "pulse mistyped").unwrap();
    assert_eq!((amended.version, amended.vitals.pulse), (2, Some(80)));
    let err = encounters::amend(&mut s, &first.id, right, "again").unwrap_err();
    assert_eq!(invalid_field(err), "encounter");

    let history = encounters::history(&mut s, &first.id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].encounter, first);
    assert_eq!(
        (history[0].replaced_by.as_str(), history[0].reason.as_str()),
        ("carla", "pulse mistyped")
    );
    let logged = audit::list(
        &mut v.admin(),
        &AuditFilter {
            action: Some("encounter.amend".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].reason.as_deref(), Some("pulse mistyped"));
    assert_eq!(logged[0].before.as_ref().unwrap()["vitals"]["pulse"], 180);
}

/// A visit recorded on the wrong patient is voided: kept and marked, no longer correctable,
/// and left out of exports; the front desk may do neither.
#[test]
fn a_voided_visit_is_kept_and_marked_and_front_desk_cannot_correct_visits() {
    let v = Vault::new();
    let mut s = v.staff("carla", Role::Clinician);
    let p = patients::create(
        &mut s,
        Profile::named("Ada", "Obi"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let wrong = encounters::add(&mut s, &p.id, visit("2026-03-02", "wrong patient")).unwrap();
    encounters::add(&mut s, &p.id, visit("2026-03-03", "check-up")).unwrap();
    let voided = encounters::void(&mut s, &wrong.id, "recorded on the wrong patient").unwrap();
    let mark = voided.voided.unwrap();
    assert_eq!(
        (mark.by.as_str(), mark.reason.as_str()),
        ("carla", "recorded on the wrong patient")
    );
    let listed = encounters::list(&mut s, &p.id, 10).unwrap();
    assert_eq!(listed.len(), 2, "a voided visit is kept");
    let err = encounters::amend(&mut s, &wrong.id, visit("2026-03-02", "x"), "y").unwrap_err();
    assert_eq!(invalid_field(err), "encounter");
    assert_eq!(
        invalid_field(encounters::void(&mut s, &wrong.id, "again").unwrap_err()),
        "encounter"
    );

    let mut desk = v.staff("rita", Role::FrontDesk);
    let err = encounters::void(&mut desk, &listed[0].id, "no").unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err}");
}

#[test]
fn narrative_edits_keep_every_revision_and_refuse_stale_ones() {
    let v = Vault::new();
    let mut s = v.staff("sofia", Role::SocialWorker);
    let p = patients::create(
        &mut s,
        Profile::named("Amara", "Okafor"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let n = narratives::add(&mut s, &p.id, story("Moved into the shelter on Monday.")).unwrap();
    assert_eq!(n.author, "sofia");
    assert_eq!(n.revision, 1);
    let edited =
        narratives::edit(&mut s, &n.id, "Moved into the shelter on Tuesday.", None, 1).unwrap();
    assert_eq!(edited.revision, 2);
    let err = narratives::edit(&mut s, &n.id, "Something else.", None, 1).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");

    let history = narratives::history(&mut s, &n.id).unwrap();
    let bodies: Vec<&str> = history.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "Moved into the shelter on Monday.",
            "Moved into the shelter on Tuesday."
        ]
    );
    assert_eq!(
        narratives::list(&mut s, &p.id).unwrap()[0].body,
        "Moved into the shelter on Tuesday."
    );
    assert_eq!(
        names(&patients::search(&mut s, "tuesday", 5).unwrap()),
        ["Amara Okafor"],
        "the index follows edits"
    );
    assert!(patients::search(&mut s, "monday", 5).unwrap().is_empty());
    // Revisions are kept as written, even against someone holding the raw key.
    drop(s);
    let raw = v.raw();
    assert!(
        raw.execute("UPDATE narrative_revisions SET body = 'x'", [])
            .is_err()
    );
}

#[test]
fn consents_are_granted_withdrawn_and_listed_with_the_one_in_force() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patients::create(
        &mut s,
        Profile::named("Yuki", "Tanaka"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let consent = |status| NewConsent {
        purpose: "Photography".into(),
        status,
        evidence_id: None,
        notes: None,
    };
    let err = consents::record(&mut s, &p.id, consent(ConsentStatus::Withdrawn)).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    consents::record(&mut s, &p.id, consent(ConsentStatus::Granted)).unwrap();
    consents::record(&mut s, &p.id, consent(ConsentStatus::Withdrawn)).unwrap();
    let list = consents::list(&mut s, &p.id).unwrap();
    let states: Vec<(ConsentStatus, bool)> = list.iter().map(|c| (c.status, c.current)).collect();
    assert_eq!(
        states,
        [
            (ConsentStatus::Granted, false),
            (ConsentStatus::Withdrawn, true)
        ]
    );
    assert_eq!(list[0].purpose, "photography");
}

#[test]
fn credentials_belong_to_clinicians_and_flag_expiring_certifications() {
    let v = Vault::new();
    drop(v.staff("dr.reis", Role::Clinician));
    drop(v.staff("rita", Role::FrontDesk));
    let mut admin = v.admin();
    let today = tessera_core::clock::today_utc();
    let creds = Credentials {
        licence_number: Some("OM-12345".into()),
        specialisations: vec!["family medicine".into()],
        certifications: vec![
            Certification {
                name: "Advanced Life Support".into(),
                issuer: Some("ERC".into()),
                issued_on: Some("2024-01-10".into()),
                expires_on: Some((today + time::Duration::days(20)).to_string()),
            },
            Certification {
                name: "Paediatric Life Support".into(),
                issuer: None,
                issued_on: None,
                expires_on: Some((today + time::Duration::days(400)).to_string()),
            },
        ],
        affiliations: vec!["Centro de Saúde".into()],
        verification: Verification::Verified,
    };
    let saved = credentials::set(&mut admin, "dr.reis", creds.clone(), None).unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(
        credentials::show(&mut admin, "Dr.Reis")
            .unwrap()
            .unwrap()
            .credentials,
        creds
    );
    assert_eq!(credentials::show(&mut admin, "rita").unwrap(), None);
    let err = credentials::set(&mut admin, "dr.reis", creds.clone(), None).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let err = credentials::set(&mut admin, "rita", creds.clone(), None).unwrap_err();
    assert_eq!(invalid_field(err), "account");

    let soon = credentials::expiring(&mut admin, 60).unwrap();
    assert_eq!(soon.len(), 1);
    assert_eq!(
        (soon[0].certification.as_str(), soon[0].days_left),
        ("Advanced Life Support", 20)
    );

    let mut backwards = creds;
    backwards.certifications[0].expires_on = Some("2020-01-01".into());
    let err = credentials::set(&mut admin, "dr.reis", backwards, Some(1)).unwrap_err();
    assert_eq!(invalid_field(err), "certification expiry");
}

#[test]
fn patient_data_never_reaches_the_disk_in_the_clear() {
    const NAME: &str = "Qwxzylander";
    const STORY: &str = "sentinelstoryvqkz";
    let v = Vault::new();
    let mut s = v.admin();
    let mut profile = Profile::named("Sentinel", NAME);
    profile.medical_alerts = vec!["alertsentinelzq".into()];
    let p = patients::create(&mut s, profile, patients::Registration::CheckDuplicates).unwrap();
    narratives::add(&mut s, &p.id, story(STORY)).unwrap();
    patients::search(&mut s, NAME, 5).unwrap();
    for file in ["vault.db", "vault.db-wal", "header.json"] {
        let bytes = std::fs::read(v.dir.join(file)).unwrap_or_default();
        for needle in [NAME, STORY, "alertsentinelzq", &p.human_id] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} found in {file}"
            );
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÖØ-öø-ÿ0-9'.]{1,12}( [A-Za-zÀ-ÖØ-öø-ÿ0-9'.]{1,12}){0,2}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn phone() -> impl Strategy<Value = String> {
    "\\+?[0-9]{2,4}( [0-9]{3}){1,3}"
}

prop_compose! {
    fn valid_profile()(
        given in text(), family in text(), preferred in opt_text(),
        dob in proptest::option::of((1900i32..2025, 1u8..=12, 1u8..=28)),
        sex in proptest::option::of(prop_oneof![Just(Sex::Female), Just(Sex::Male), Just(Sex::Intersex), Just(Sex::Unknown)]),
        phone in proptest::option::of(phone()), location in opt_text(),
        language in proptest::option::of("[a-z]{2}(-[A-Z]{2})?"),
        blood in proptest::option::of(prop_oneof![Just(BloodType::APos), Just(BloodType::ONeg), Just(BloodType::AbPos), Just(BloodType::BNeg)]),
        donor in proptest::option::of(any::<bool>()),
        allergies in proptest::collection::vec((text(), opt_text(), proptest::option::of(prop_oneof![Just(Severity::Mild), Just(Severity::Severe)])), 0..3),
        conditions in proptest::collection::vec(text(), 0..3),
        meds in proptest::collection::vec((text(), opt_text(), opt_text(), opt_text()), 0..3),
        contacts in proptest::collection::vec((text(), phone(), opt_text()), 0..3),
        insurance in proptest::option::of((text(), opt_text(), opt_text())),
        alerts in proptest::collection::vec(text(), 0..3),
        comm in proptest::option::of((proptest::option::of(prop_oneof![Just(Channel::Sms), Just(Channel::InPerson)]), any::<bool>(), any::<bool>(), opt_text())),
        status in prop_oneof![Just(PatientStatus::Active), Just(PatientStatus::Inactive), Just(PatientStatus::Discharged)],
    ) -> Profile {
        Profile {
            given_name: given,
            family_name: family,
            preferred_name: preferred,
            date_of_birth: dob.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            sex,
            phone,
            location,
            preferred_language: language,
            blood_type: blood,
            organ_donor: donor,
            allergies: allergies.into_iter().map(|(substance, reaction, severity)| Allergy { substance, reaction, severity }).collect(),
            chronic_conditions: conditions,
            medications: meds.into_iter().map(|(name, dose, frequency, prescriber)| Medication { name, dose, frequency, prescriber }).collect(),
            emergency_contacts: contacts.into_iter().enumerate().map(|(i, (name, phone, relationship))| EmergencyContact { name, phone, relationship, primary: i == 0 }).collect(),
            insurance: insurance.map(|(provider, policy_number, group_number)| Insurance { provider, policy_number, group_number }),
            medical_alerts: alerts,
            communication: comm.map(|(channel, interpreter_needed, may_leave_messages, notes)| CommunicationPreferences { channel, interpreter_needed, may_leave_messages, notes }),
            status,
        }
    }
}

/// Ways to break a valid profile, with the field each must be reported against.
fn breakage() -> impl Strategy<Value = (usize, &'static str)> {
    prop_oneof![
        Just((0, "given name")),
        Just((1, "family name")),
        Just((2, "date of birth")),
        Just((3, "date of birth")),
        Just((4, "phone")),
        Just((5, "emergency contact phone")),
        Just((6, "medical alert")),
        Just((7, "emergency contacts")),
        Just((8, "preferred language")),
    ]
}

fn break_profile(mut p: Profile, how: usize) -> Profile {
    let contact = |primary| EmergencyContact {
        name: "X".into(),
        phone: "123 456".into(),
        relationship: None,
        primary,
    };
    match how {
        0 => p.given_name = " \t".into(),
        1 => p.family_name = "Bad\u{0}Name".into(),
        2 => p.date_of_birth = Some("2999-01-01".into()),
        3 => p.date_of_birth = Some("31/12/1990".into()),
        4 => p.phone = Some("call reception".into()),
        5 => {
            p.emergency_contacts = vec![EmergencyContact {
                phone: "".into(),
                ..contact(false)
            }]
        }
        6 => p.medical_alerts.push("x".repeat(600)),
        7 => p.emergency_contacts = vec![contact(true), contact(true)],
        _ => p.preferred_language = Some("english please".into()),
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_valid_profile_reads_back_equal_after_reopening(profiles in proptest::collection::vec(valid_profile(), 1..4)) {
        let v = Vault::new();
        let mut s = v.admin();
        let created: Vec<_> = profiles.iter().map(|p| patients::create(&mut s, p.clone(), patients::Registration::CheckDuplicates).unwrap()).collect();
        drop(s);
        let mut s = v.admin();
        for (profile, patient) in profiles.iter().zip(&created) {
            let back = patients::get(&mut s, &patient.human_id).unwrap();
            prop_assert_eq!(&back.profile, profile);
            prop_assert_eq!(&back, patient);
        }
    }

    #[test]
    fn any_invalid_profile_is_refused_naming_its_field_and_writes_nothing(profile in valid_profile(), (how, field) in breakage()) {
        let v = Vault::new();
        let mut s = v.admin();
        let err = patients::create(&mut s, break_profile(profile.clone(), how), patients::Registration::CheckDuplicates).unwrap_err();
        prop_assert_eq!(invalid_field(err), field);
        prop_assert!(patients::list(&mut s, Listing::Current, 10).unwrap().is_empty());
        let ok = patients::create(&mut s, profile, patients::Registration::CheckDuplicates).unwrap();
        let err = patients::edit(&mut s, &ok.id, break_profile(ok.profile.clone(), how), 1).unwrap_err();
        prop_assert_eq!(invalid_field(err), field);
        prop_assert_eq!(patients::get(&mut s, &ok.id).unwrap(), ok);
    }
}

#[test]
fn only_admins_change_the_auto_lock_and_within_bounds() {
    use tessera_core::settings::{self, VaultSettings};
    let v = Vault::new();
    let mut desk = v.staff("rita", Role::FrontDesk);
    assert_eq!(settings::get(&mut desk).unwrap().auto_lock_minutes, 5);
    let ten = VaultSettings {
        auto_lock_minutes: 10,
        keep_photo_location: true,
    };
    assert!(matches!(
        settings::set(&mut desk, ten),
        Err(Error::Denied { .. })
    ));
    let mut admin = v.admin();
    assert_eq!(
        invalid_field(
            settings::set(
                &mut admin,
                VaultSettings {
                    auto_lock_minutes: 0,
                    keep_photo_location: false,
                }
            )
            .unwrap_err()
        ),
        "auto-lock"
    );
    settings::set(&mut admin, ten).unwrap();
    assert_eq!(settings::get(&mut desk).unwrap(), ten);
}

#[test]
fn a_patients_audit_trail_includes_their_visits_narratives_and_consents() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patients::create(
        &mut s,
        Profile::named("Linh", "Tran"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let other = patients::create(
        &mut s,
        Profile::named("Omar", "Haddad"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    encounters::add(&mut s, &p.id, visit("2026-05-01", "intake")).unwrap();
    narratives::add(&mut s, &p.id, story("First week at the shelter.")).unwrap();
    narratives::add(&mut s, &other.id, story("Someone else's story.")).unwrap();
    let consent = NewConsent {
        purpose: "photography".into(),
        status: ConsentStatus::Granted,
        evidence_id: None,
        notes: None,
    };
    consents::record(&mut s, &p.id, consent).unwrap();

    let trail = audit::list(
        &mut s,
        &AuditFilter {
            patient: Some(p.human_id.to_lowercase()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "patient.create",
            "encounter.record",
            "narrative.write",
            "consent.record"
        ]
    );
    let unknown = AuditFilter {
        patient: Some("TS-0000-0000".into()),
        ..AuditFilter::default()
    };
    assert!(audit::list(&mut s, &unknown).is_err());
}
