//! Likely duplicates at registration, and merging a duplicate into another record (and
//! undoing it), on a real vault.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_core::audit::{self, AuditFilter};
use tessera_core::consents::{self, ConsentStatus, NewConsent};
use tessera_core::encounters::{self, NewEncounter};
use tessera_core::erasure::{self, ErasureMode};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Patient, Profile, Registration};
use tessera_core::policy::Role;
use tessera_core::{Error, Session, chart, merge};

mod common;

use common::Vault;

fn person(given: &str, family: &str, born: &str, phone: Option<&str>) -> Profile {
    let mut profile = Profile::named(given, family);
    profile.date_of_birth = Some(born.into());
    profile.phone = phone.map(Into::into);
    profile
}

/// The same person registered twice: the second time past the duplicate warning.
fn registered_twice(s: &mut Session, given: &str, family: &str, born: &str) -> (Patient, Patient) {
    let first = patients::create(
        s,
        person(given, family, born, None),
        Registration::CheckDuplicates,
    )
    .unwrap();
    let again = patients::create(
        s,
        person(given, family, born, None),
        Registration::NotADuplicate,
    )
    .unwrap();
    (first, again)
}

fn visit(s: &mut Session, patient: &str, date: &str, reason: &str) -> String {
    let new = NewEncounter {
        occurred_at: date.into(),
        reason: reason.into(),
        ..NewEncounter::default()
    };
    encounters::add(s, patient, new).unwrap().id
}

fn visit_reasons(s: &mut Session, patient: &str) -> Vec<String> {
    let mut reasons: Vec<String> = chart::open(s, patient, 50)
        .unwrap()
        .encounters
        .into_iter()
        .map(|e| e.reason)
        .collect();
    reasons.sort();
    reasons
}

fn actions(s: &mut Session, patient: &str) -> Vec<String> {
    let filter = AuditFilter {
        resource_id: Some(patient.to_owned()),
        ..AuditFilter::default()
    };
    audit::list(s, &filter)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn registering_someone_again_is_refused_until_a_person_says_it_is_someone_else() {
    let v = Vault::new();
    let mut desk = v.staff("desk", Role::FrontDesk);
    let first = patients::create(
        &mut desk,
        person("José", "Marie-Claire", "1980-05-17", None),
        Registration::CheckDuplicates,
    )
    .unwrap();

    // Accents, case and the hyphen do not hide the match.
    let again = person("jose", "Marie Claire", "1980-05-17", None);
    let refused = patients::create(&mut desk, again.clone(), Registration::CheckDuplicates);
    match refused {
        Err(Error::LikelyDuplicate { ref human_ids }) => {
            assert_eq!(human_ids, std::slice::from_ref(&first.human_id))
        }
        other => panic!("{other:?}"),
    }
    assert!(refused.unwrap_err().to_string().contains(&first.human_id));
    let listed = patients::duplicates(&mut desk, &again).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, first.id);

    // The same phone with another country prefix is a match too; another birthday is not.
    let phone_twin = person("Ana", "Souza", "1990-01-01", Some("+33 6 12 34 56 78"));
    patients::create(&mut desk, phone_twin, Registration::CheckDuplicates).unwrap();
    let same_phone = person("Bea", "Souza", "1992-02-02", Some("06 12 34 56 78"));
    assert!(matches!(
        patients::create(&mut desk, same_phone.clone(), Registration::CheckDuplicates),
        Err(Error::LikelyDuplicate { .. })
    ));
    let other_birthday = person("José", "Marie-Claire", "1981-05-17", None);
    patients::create(&mut desk, other_birthday, Registration::CheckDuplicates).unwrap();

    // A person who looked says it is someone else (a twin, a sister on the family phone).
    patients::create(&mut desk, again, Registration::NotADuplicate).unwrap();
    patients::create(&mut desk, same_phone, Registration::NotADuplicate).unwrap();
}

#[test]
fn a_merge_moves_the_records_and_the_old_id_opens_the_survivor_until_it_is_undone() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (kept, dup) = registered_twice(&mut admin, "Amara", "Diallo", "1975-11-02");
    visit(&mut admin, &kept.id, "2026-01-10", "kept's visit");
    visit(&mut admin, &dup.id, "2026-02-10", "duplicate's visit");
    narratives::add(
        &mut admin,
        &dup.id,
        NewNarrative {
            body: "written on the duplicate".into(),
            ..NewNarrative::default()
        },
    )
    .unwrap();
    consents::record(
        &mut admin,
        &dup.id,
        NewConsent {
            purpose: "Photography".into(),
            status: ConsentStatus::Granted,
            evidence_id: None,
            notes: None,
        },
    )
    .unwrap();

    let merged = merge::merge(&mut admin, &kept.human_id, &dup.human_id).unwrap();
    assert_eq!(merged.merged_human_id, dup.human_id);
    assert_eq!(merged.moved["encounters"], 1);
    assert_eq!(merged.moved["narratives"], 1);
    assert_eq!(merged.moved["consents"], 1);
    assert!(merged.undoable);

    // Everything is on the survivor, and the duplicate's ids open it.
    assert_eq!(
        visit_reasons(&mut admin, &kept.id),
        ["duplicate's visit", "kept's visit"]
    );
    assert_eq!(
        patients::get(&mut admin, &dup.human_id).unwrap().id,
        kept.id
    );
    assert_eq!(
        chart::open(&mut admin, &dup.id, 50).unwrap().patient.id,
        kept.id
    );
    assert_eq!(narratives::list(&mut admin, &kept.id).unwrap().len(), 1);
    assert_eq!(consents::list(&mut admin, &kept.id).unwrap().len(), 1);
    let found = patients::search(&mut admin, "Amara Diallo", 10).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(matches!(
        patients::restore(&mut admin, &dup.id),
        Err(Error::Conflict(_))
    ));
    // Deleting by the merged-away id does not send the survivor to the bin.
    assert!(matches!(
        patients::delete(&mut admin, &dup.human_id, None),
        Err(Error::Conflict(_))
    ));
    assert!(
        patients::get(&mut admin, &kept.id)
            .unwrap()
            .deleted_at
            .is_none()
    );
    assert_eq!(merge::list(&mut admin, &kept.id).unwrap(), [merged]);

    // A visit written on the survivor after the merge stays there when the merge is undone.
    visit(&mut admin, &dup.human_id, "2026-03-10", "after the merge");
    let undone = merge::undo(&mut admin, &dup.human_id).unwrap();
    assert!(undone.undone_at.is_some() && !undone.undoable);
    assert_eq!(
        visit_reasons(&mut admin, &kept.id),
        ["after the merge", "kept's visit"]
    );
    assert_eq!(visit_reasons(&mut admin, &dup.id), ["duplicate's visit"]);
    assert_eq!(narratives::list(&mut admin, &dup.id).unwrap().len(), 1);
    assert_eq!(patients::get(&mut admin, &dup.id).unwrap().id, dup.id);
    assert!(matches!(
        merge::undo(&mut admin, &dup.id),
        Err(Error::Conflict(_))
    ));

    assert!(actions(&mut admin, &dup.id).contains(&"patient.merge".to_owned()));
    assert!(actions(&mut admin, &dup.id).contains(&"patient.unmerge".to_owned()));
    assert!(actions(&mut admin, &kept.id).contains(&"patient.merge".to_owned()));
    audit::verify(&mut admin).unwrap();
}

#[test]
fn a_clinician_cannot_merge_records_and_nothing_moves() {
    let v = Vault::new();
    let mut clinician = v.staff("dan", Role::Clinician);
    let (a, b) = registered_twice(&mut clinician, "Lia", "Moreau", "2001-07-07");
    visit(&mut clinician, &b.id, "2026-01-01", "b's visit");
    assert!(matches!(
        merge::merge(&mut clinician, &a.id, &b.id),
        Err(Error::Denied { .. })
    ));
    assert_eq!(visit_reasons(&mut clinician, &b.id), ["b's visit"]);
    assert!(matches!(
        merge::merge(&mut v.admin(), &a.id, &a.human_id),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn erasing_the_survivor_erases_the_merged_away_duplicate_in_the_bin_too() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (kept, dup) = registered_twice(&mut admin, "Noor", "Haddad", "1966-03-30");
    merge::merge(&mut admin, &kept.id, &dup.id).unwrap();
    let report = erasure::erase(&mut admin, &kept.id, ErasureMode::Anonymise).unwrap();
    assert_eq!(report.merged_records, 1);
    for id in [&dup.id, &dup.human_id] {
        assert!(
            matches!(patients::get(&mut admin, id), Err(Error::NotFound { .. })),
            "{id}"
        );
    }
    let raw = v.raw();
    let left: i64 = raw
        .query_row(
            "SELECT count(*) FROM patients WHERE given_name = 'Noor'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    let merges: i64 = raw
        .query_row("SELECT count(*) FROM patient_merges", [], |r| r.get(0))
        .unwrap();
    assert_eq!(merges, 0);
}

#[test]
fn a_merge_undone_can_be_made_again_and_the_emptied_duplicate_cannot_be_erased_alone() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (kept, dup) = registered_twice(&mut admin, "Ivo", "Santos", "1958-12-01");
    merge::merge(&mut admin, &kept.id, &dup.id).unwrap();
    merge::undo(&mut admin, &dup.id).unwrap();
    merge::merge(&mut admin, &kept.id, &dup.id).unwrap();

    // Erasing the emptied duplicate would erase nothing of the person: refused, naming the
    // record to erase instead.
    let refused = erasure::erase(&mut admin, &dup.human_id, ErasureMode::Delete);
    match refused {
        Err(Error::Conflict(ref why)) => assert!(why.contains(&kept.human_id), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        patients::get(&mut admin, &dup.human_id).unwrap().id,
        kept.id
    );
}
