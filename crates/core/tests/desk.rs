//! The front desk's part of a record: read and corrected by every role, never more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_core::narratives::{self, Narrative, NewNarrative};
use tessera_core::patients::desk::{self, DeskCorrection};
use tessera_core::patients::profile::{Allergy, EmergencyContact};
use tessera_core::patients::{self, Patient, Profile, Registration};
use tessera_core::policy::Role;
use tessera_core::{Error, Session};

mod common;

use common::Vault;

#[test]
fn the_desk_corrects_a_phone_and_sees_the_alerts_but_nothing_clinical() {
    let v = Vault::new();
    let mut clinician = v.staff("dan", Role::Clinician);
    let mut profile = Profile::named("Inês", "Pereira");
    profile.phone = Some("+351 912 000 111".into());
    profile.medical_alerts = vec!["Diabetic: check glucose".into()];
    profile.allergies = vec![Allergy {
        substance: "Penicillin".into(),
        reaction: None,
        severity: None,
    }];
    let p = patients::create(&mut clinician, profile, Registration::CheckDuplicates).unwrap();
    narratives::add(
        &mut clinician,
        &p.id,
        NewNarrative {
            body: "slept badly after the move".into(),
            ..NewNarrative::default()
        },
    )
    .unwrap();

    let mut desk = v.staff("frank", Role::FrontDesk);
    let seen = desk::record(&mut desk, &p.human_id).unwrap();
    assert_eq!(seen.medical_alerts, ["Diabetic: check glucose"]);
    let shown = serde_json::to_string(&seen).unwrap();
    assert!(!shown.contains("Penicillin"), "{shown}");
    assert!(matches!(
        narratives::list(&mut desk, &p.id),
        Err(Error::Denied { .. })
    ));
    assert!(matches!(
        patients::get(&mut desk, &p.id),
        Err(Error::Denied { .. })
    ));

    let mut correction = DeskCorrection {
        given_name: seen.identity.given_name.clone(),
        family_name: seen.identity.family_name.clone(),
        preferred_name: seen.identity.preferred_name.clone(),
        contact: seen.contact.clone(),
        emergency_contacts: seen.emergency_contacts.clone(),
    };
    correction.contact.phone = Some("+351 912 999 888".into());
    correction.emergency_contacts = vec![EmergencyContact {
        name: "Rui Pereira".into(),
        relationship: Some("son".into()),
        phone: "+351 913 222 333".into(),
        primary: true,
    }];
    let corrected = desk::correct(&mut desk, &p.id, correction.clone(), seen.version).unwrap();
    assert_eq!(corrected.contact.phone.as_deref(), Some("+351 912 999 888"));
    assert!(matches!(
        desk::correct(&mut desk, &p.id, correction, seen.version),
        Err(Error::Conflict(_))
    ));

    // The clinical part is untouched, and the new number finds the patient.
    let whole = patients::get(&mut clinician, &p.id).unwrap();
    assert_eq!(whole.profile.allergies.len(), 1);
    assert_eq!(whole.profile.medical_alerts.len(), 1);
    assert_eq!(whole.profile.emergency_contacts[0].name, "Rui Pereira");
    let found = patients::search(&mut desk, "912999888", 10).unwrap();
    assert_eq!(found.len(), 1);
}

#[test]
fn the_desk_cannot_register_clinical_details_it_could_never_read_back() {
    let v = Vault::new();
    let mut desk = v.staff("frank", Role::FrontDesk);
    let mut profile = Profile::named("Tomás", "Silva");
    profile.date_of_birth = Some("1999-09-09".into());
    profile.phone = Some("+351 914 555 666".into());
    patients::create(&mut desk, profile.clone(), Registration::CheckDuplicates).unwrap();

    let mut clinical = Profile::named("Marta", "Silva");
    clinical.medical_alerts = vec!["made up at the desk".into()];
    assert!(matches!(
        patients::create(&mut desk, clinical, Registration::NotADuplicate),
        Err(Error::Denied { .. })
    ));
}

/// Olga Ivanova, registered by `author`, who writes a private narrative about her.
fn private_narrative_by(author: &mut Session, body: &str) -> (Patient, Narrative) {
    let p = patients::create(
        author,
        Profile::named("Olga", "Ivanova"),
        Registration::CheckDuplicates,
    )
    .unwrap();
    let private = narratives::add(
        author,
        &p.id,
        NewNarrative {
            body: body.into(),
            private: true,
            ..NewNarrative::default()
        },
    )
    .unwrap();
    (p, private)
}

#[test]
fn a_private_narrative_is_read_by_its_author_and_admins_only_and_found_by_no_one() {
    let v = Vault::new();
    let mut dan = v.staff("dan", Role::Clinician);
    let (p, private) = private_narrative_by(&mut dan, "disclosed in confidence zebrafinch");
    assert!(private.private);
    assert_eq!(private.author_role, Some(Role::Clinician));
    narratives::add(
        &mut dan,
        &p.id,
        NewNarrative {
            body: "shared with the team".into(),
            ..NewNarrative::default()
        },
    )
    .unwrap();

    let mut eve = v.staff("eve", Role::SocialWorker);
    let seen: Vec<String> = narratives::list(&mut eve, &p.id)
        .unwrap()
        .into_iter()
        .map(|n| n.body)
        .collect();
    assert_eq!(seen, ["shared with the team"]);
    assert!(matches!(
        narratives::history(&mut eve, &private.id),
        Err(Error::Denied { .. })
    ));
    assert!(matches!(
        narratives::edit(&mut eve, &private.id, "overwritten", None, 1),
        Err(Error::Denied { .. })
    ));
    assert!(
        patients::search(&mut eve, "zebrafinch", 10)
            .unwrap()
            .is_empty()
    );

    let mut admin = v.admin();
    assert_eq!(narratives::list(&mut admin, &p.id).unwrap().len(), 2);
    let admins_own = narratives::add(
        &mut admin,
        &p.id,
        NewNarrative {
            body: "written by the admin".into(),
            ..NewNarrative::default()
        },
    )
    .unwrap();
    assert_eq!(admins_own.author_role, Some(Role::Admin));
    assert_eq!(narratives::list(&mut dan, &p.id).unwrap().len(), 3);
}

#[test]
fn the_audit_log_the_recovery_key_reads_keeps_no_private_narrative_text() {
    let v = Vault::new();
    let mut dan = v.staff("dan", Role::Clinician);
    let (_, private) = private_narrative_by(&mut dan, "told only to dan quetzalcoatl");
    narratives::edit(&mut dan, &private.id, "still only dan axolotl", None, 1).unwrap();
    let log = serde_json::to_string(
        &tessera_core::audit::list(&mut v.admin(), &Default::default()).unwrap(),
    )
    .unwrap();
    assert!(!log.contains("quetzalcoatl") && !log.contains("axolotl"));
}
