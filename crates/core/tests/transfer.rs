//! Transfer between two real vaults through core: whatever both sides did between
//! exchanges, no version of any record is lost; a gap, an erased patient, a receipt for
//! another vault and a role that may not make the changes are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::Vault;
use proptest::prelude::*;
use tessera_core::encounters::{self, NewEncounter};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Profile, Registration};
use tessera_core::policy::Role;
use tessera_core::transfer::{self, conflicts};
use tessera_core::{Error, Session};

fn pair(a: &mut Session, a_name: &str, b: &mut Session, b_name: &str) {
    let a_id = transfer::identity(a).unwrap().token;
    let b_id = transfer::identity(b).unwrap().token;
    transfer::pair(a, &b_id, b_name).unwrap();
    transfer::pair(b, &a_id, a_name).unwrap();
}

/// A bundle from `from` to the peer `to_name`, written into `stick`.
fn send(from: &mut Session, to_name: &str, stick: &Path) -> PathBuf {
    let written = transfer::export(from, to_name, stick, None, &|_| {}).unwrap();
    written.files[0].clone()
}

/// A whole exchange: a bundle imported, its receipt taken back.
fn exchange(from: &mut Session, to: &mut Session, to_name: &str, stick: &Path) {
    let bundle = send(from, to_name, stick);
    let report = transfer::import(to, &bundle).unwrap();
    transfer::accept_receipt(from, &report.receipt).unwrap();
}

fn visit(reason: &str) -> NewEncounter {
    NewEncounter {
        occurred_at: "2026-01-05".into(),
        reason: reason.into(),
        ..NewEncounter::default()
    }
}

fn set_phone(session: &mut Session, patient: &str, phone: &str) {
    let current = patients::get(session, patient).unwrap();
    let mut profile = current.profile.clone();
    profile.phone = Some(phone.to_owned());
    patients::edit(session, patient, profile, current.version).unwrap();
}

fn phone(session: &mut Session, patient: &str) -> String {
    patients::get(session, patient)
        .unwrap()
        .profile
        .phone
        .unwrap_or_default()
}

/// The other side's versions this side lists as conflicts, by field.
fn listed(session: &mut Session, field: &str) -> Vec<String> {
    conflicts::list(session, false)
        .unwrap()
        .iter()
        .flat_map(|c| c.differences.iter().filter(|d| d.field == field))
        .filter_map(|d| d.theirs.as_str().map(str::to_owned))
        .collect()
}

fn revisions(session: &mut Session, narrative: &str) -> Vec<String> {
    let mut bodies: Vec<String> = narratives::history(session, narrative)
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect();
    bodies.sort();
    bodies
}

/// One step of what two vaults do between exchanges.
#[derive(Debug, Clone)]
enum Step {
    /// Side 0 or 1 changes the patient's phone.
    Phone(usize, u16),
    /// Side 0 or 1 records a visit.
    Visit(usize, u16),
    /// Side 0 or 1 edits the narrative.
    Narrate(usize, u16),
    /// A bundle from side 0 or 1 to the other, with its receipt.
    Exchange(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..2usize, any::<u16>()).prop_map(|(s, n)| Step::Phone(s, n)),
        (0..2usize, any::<u16>()).prop_map(|(s, n)| Step::Visit(s, n)),
        (0..2usize, any::<u16>()).prop_map(|(s, n)| Step::Narrate(s, n)),
        (0..2usize).prop_map(Step::Exchange),
    ]
}

/// Both sides of the property test, with the phone numbers each side has seen (its own
/// edits and what arrived), to check each exchange against.
struct Sides {
    sessions: [Session; 2],
    seen: [Vec<String>; 2],
    patient: String,
    stick: tempfile::TempDir,
}

const NAMES: [&str; 2] = ["Field", "Clinic"];

impl Sides {
    /// An exchange from side `from` to the other; the phone number it sent must then be the
    /// other side's, listed there as a conflict, or one the other side had seen already.
    fn exchange(&mut self, from: usize) -> Result<(), TestCaseError> {
        let to = 1 - from;
        let sent = phone(&mut self.sessions[from], &self.patient);
        let [a, b] = &mut self.sessions;
        let (sender, receiver) = if from == 0 { (a, b) } else { (b, a) };
        exchange(sender, receiver, NAMES[to], self.stick.path());
        let now = phone(&mut self.sessions[to], &self.patient);
        let listed = listed(&mut self.sessions[to], "phone");
        prop_assert!(
            now == sent || listed.contains(&sent) || self.seen[to].contains(&sent),
            "side {to} holds {now:?}, lists {listed:?}: the phone {sent:?} from side {from} is lost"
        );
        self.seen[to].push(sent);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Whatever both sides do in whatever order, every state a bundle carries is applied,
    /// known already or listed as a conflict; after an exchange each way both sides hold
    /// the same phone or each lists the other's; and every visit and narrative revision
    /// made on either side is on both.
    #[test]
    fn any_interleaving_of_edits_on_both_sides_loses_no_version(steps in proptest::collection::vec(step(), 1..10)) {
        let vaults = [Vault::new(), Vault::new()];
        let mut sessions = [vaults[0].admin(), vaults[1].admin()];
        {
            let [a, b] = &mut sessions;
            pair(a, NAMES[0], b, NAMES[1]);
        }
        let patient = patients::create(&mut sessions[0], Profile::named("Rosa", "Lima"), Registration::CheckDuplicates)
            .unwrap()
            .id;
        let story = narratives::add(&mut sessions[0], &patient, NewNarrative { body: "first".into(), ..NewNarrative::default() })
            .unwrap()
            .id;
        let mut sides = Sides {
            sessions,
            seen: [vec![String::new()], vec![String::new()]],
            patient: patient.clone(),
            stick: tempfile::tempdir().unwrap(),
        };
        sides.exchange(0)?;
        let mut visits = Vec::new();
        let mut texts = vec!["first".to_owned()];
        for step in &steps {
            match *step {
                Step::Phone(side, n) => {
                    let number = format!("+258 84 {side}{n:06}");
                    set_phone(&mut sides.sessions[side], &patient, &number);
                    sides.seen[side].push(number);
                }
                Step::Visit(side, n) => {
                    let reason = format!("visit {side}-{n}");
                    encounters::add(&mut sides.sessions[side], &patient, visit(&reason)).unwrap();
                    visits.push(reason);
                }
                Step::Narrate(side, n) => {
                    let text = format!("update {side}-{n}");
                    let current = narratives::list(&mut sides.sessions[side], &patient).unwrap().remove(0);
                    narratives::edit(&mut sides.sessions[side], &story, &text, None, current.revision).unwrap();
                    texts.push(text);
                }
                Step::Exchange(from) => sides.exchange(from)?,
            }
        }
        sides.exchange(0)?;
        sides.exchange(1)?;
        let now = [phone(&mut sides.sessions[0], &patient), phone(&mut sides.sessions[1], &patient)];
        if now[0] != now[1] {
            prop_assert!(listed(&mut sides.sessions[0], "phone").contains(&now[1]));
            prop_assert!(listed(&mut sides.sessions[1], "phone").contains(&now[0]));
        }
        for side in 0..2 {
            let reasons: Vec<String> = encounters::list(&mut sides.sessions[side], &patient, 1000)
                .unwrap()
                .into_iter()
                .map(|e| e.reason)
                .collect();
            for reason in &visits {
                prop_assert!(reasons.contains(reason), "side {side} lost {reason}");
            }
            let kept = revisions(&mut sides.sessions[side], &story);
            for text in &texts {
                prop_assert!(kept.contains(text), "side {side} lost revision {text}");
            }
            prop_assert!(tessera_core::audit::verify(&mut sides.sessions[side]).unwrap().ok);
        }
    }
}

/// Field and clinic, paired, with one patient registered in the field and sent.
struct Pair {
    field: Vault,
    clinic: Vault,
    patient: String,
    stick: tempfile::TempDir,
}

fn paired_with_one_patient() -> Pair {
    let (field, clinic) = (Vault::new(), Vault::new());
    let (mut f, mut c) = (field.admin(), clinic.admin());
    pair(&mut f, "Field", &mut c, "Clinic");
    let patient = patients::create(
        &mut f,
        Profile::named("Rosa", "Lima"),
        Registration::CheckDuplicates,
    )
    .unwrap()
    .id;
    encounters::add(&mut f, &patient, visit("first visit")).unwrap();
    let stick = tempfile::tempdir().unwrap();
    exchange(&mut f, &mut c, "Clinic", stick.path());
    Pair {
        field,
        clinic,
        patient,
        stick,
    }
}

#[test]
fn a_bundle_that_would_leave_a_gap_is_refused_and_says_which_comes_first() {
    let p = paired_with_one_patient();
    let (mut f, mut c) = (p.field.admin(), p.clinic.admin());
    // The clinic loses what it had received (an old backup restored, say): the field's
    // next bundle starts after it and must not be applied with a hole before it.
    p.clinic
        .raw()
        .execute(
            "UPDATE transfer_peers SET received_to = 0, received_bundle = 0",
            [],
        )
        .unwrap();
    encounters::add(&mut f, &p.patient, visit("second visit")).unwrap();
    let bundle = send(&mut f, "Clinic", p.stick.path());
    let err = transfer::import(&mut c, &bundle).unwrap_err();
    assert!(
        matches!(&err, Error::BundleRefused(r) if r.name() == "gap"),
        "{err}"
    );
    assert!(err.to_string().contains("earlier bundle first"), "{err}");
    assert_eq!(encounters::list(&mut c, &p.patient, 10).unwrap().len(), 1);
}

/// A receipt carried to the wrong laptop, or made by a vault the field never paired with,
/// moves no watermark: the field would otherwise stop sending changes the clinic never got.
#[test]
fn a_receipt_for_another_vault_or_from_an_unpaired_one_is_refused_and_moves_nothing() {
    let p = paired_with_one_patient();
    let (mut f, mut c) = (p.field.admin(), p.clinic.admin());
    let acknowledged = |f: &mut Session| transfer::peers(f).unwrap()[0].acknowledged_to;
    let before = acknowledged(&mut f);

    // The clinic's receipt for the field, taken in by another vault the clinic knows.
    let other = Vault::new();
    let mut o = other.admin();
    pair(&mut o, "Other laptop", &mut c, "Clinic");
    let (for_field, _) = transfer::receipt(&mut c, "Field").unwrap();
    let err = transfer::accept_receipt(&mut o, &for_field).unwrap_err();
    assert!(
        matches!(&err, Error::BundleRefused(r) if r.name() == "for_another_vault"),
        "{err}"
    );

    // A receipt for the field from a vault that knows the field, but the field never paired.
    let stranger = Vault::new();
    let mut s = stranger.admin();
    transfer::pair(&mut s, &transfer::identity(&mut f).unwrap().token, "Field").unwrap();
    let (from_stranger, _) = transfer::receipt(&mut s, "Field").unwrap();
    let err = transfer::accept_receipt(&mut f, &from_stranger).unwrap_err();
    assert!(
        matches!(&err, Error::BundleRefused(r) if r.name() == "not_paired"),
        "{err}"
    );
    assert_eq!(acknowledged(&mut f), before);
}

#[test]
fn a_patient_erased_at_the_clinic_is_not_brought_back_by_the_field() {
    let p = paired_with_one_patient();
    let (mut f, mut c) = (p.field.admin(), p.clinic.admin());
    let human_id = patients::get(&mut c, &p.patient).unwrap().human_id;
    tessera_core::erasure::erase_confirmed(
        &mut c,
        &p.patient,
        tessera_core::erasure::ErasureMode::Delete,
        &human_id,
    )
    .unwrap();
    encounters::add(&mut f, &p.patient, visit("after the erasure")).unwrap();
    let bundle = send(&mut f, "Clinic", p.stick.path());
    let report = transfer::import(&mut c, &bundle).unwrap();
    assert_eq!(report.outcome.erased_here, 1);
    assert!(matches!(
        patients::get(&mut c, &p.patient),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn the_front_desk_may_not_import_records_it_could_not_write() {
    let p = paired_with_one_patient();
    let mut f = p.field.admin();
    encounters::add(&mut f, &p.patient, visit("second visit")).unwrap();
    let bundle = send(&mut f, "Clinic", p.stick.path());
    let mut desk = p.clinic.staff("dora", Role::FrontDesk);
    let err = transfer::import(&mut desk, &bundle).unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err}");
    let mut c = p.clinic.admin();
    assert_eq!(encounters::list(&mut c, &p.patient, 10).unwrap().len(), 1);
}

#[test]
fn a_field_patient_like_one_at_the_clinic_is_offered_as_a_duplicate_not_merged() {
    let (field, clinic) = (Vault::new(), Vault::new());
    let (mut f, mut c) = (field.admin(), clinic.admin());
    pair(&mut f, "Field", &mut c, "Clinic");
    let mut profile = Profile::named("Rosa", "Lima");
    profile.date_of_birth = Some("1980-02-03".into());
    let here = patients::create(&mut c, profile.clone(), Registration::CheckDuplicates).unwrap();
    let there = patients::create(&mut f, profile, Registration::CheckDuplicates).unwrap();
    let stick = tempfile::tempdir().unwrap();
    let bundle = send(&mut f, "Clinic", stick.path());
    let report = transfer::import(&mut c, &bundle).unwrap();
    assert_eq!(report.outcome.possible_duplicates, 1);
    // Both records stand; the list names the one here it may be.
    patients::get(&mut c, &there.id).unwrap();
    patients::get(&mut c, &here.id).unwrap();
    let listed = conflicts::list(&mut c, false).unwrap();
    assert_eq!(listed[0].kind, "possible_duplicate");
    assert_eq!(listed[0].matches, vec![here.id.clone()]);
    let settled = conflicts::resolve(&mut c, &listed[0].id, conflicts::Choice::Different).unwrap();
    assert_eq!(settled.resolution.as_deref(), Some("different_people"));
    assert!(conflicts::list(&mut c, false).unwrap().is_empty());
}
