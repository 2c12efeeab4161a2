//! Retention on a real vault whose records were aged through the raw key: the dry run
//! changes nothing, and the real run does exactly what the dry run listed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::Vault;
use image::{ImageEncoder, RgbImage};
use rusqlite::Connection;
use tessera_core::audit::{self, AuditFilter};
use tessera_core::encounters::{self, NewEncounter};
use tessera_core::media::{self, ImportOptions, ImportSource};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Patient, Profile};
use tessera_core::policy::Role;
use tessera_core::retention::{
    self, RetentionAction, RetentionItem, RetentionPolicy, Rule, RuleKind,
};
use tessera_core::{Error, Session, clock};

const DAY: i64 = 86_400_000;
const YEAR: i64 = 366 * DAY;

fn jpeg(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 ^ seed, y as u8, seed]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), 40, 30, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn photo(s: &mut Session, patient: &str, seed: u8) -> String {
    let source = ImportSource {
        name: None,
        bytes: jpeg(seed),
    };
    media::import(s, patient, source, &ImportOptions::default())
        .unwrap()
        .photo
        .id
}

fn visit(s: &mut Session, patient: &str) -> String {
    let new = NewEncounter {
        occurred_at: "2025-06-01".into(),
        reason: "check-up".into(),
        ..NewEncounter::default()
    };
    encounters::add(s, patient, new).unwrap().id
}

fn story(s: &mut Session, patient: &str, text: &str) -> String {
    let new = NewNarrative {
        body: text.into(),
        ..NewNarrative::default()
    };
    narratives::add(s, patient, new).unwrap().id
}

/// What retention can change, read through the raw key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    patients: BTreeSet<(String, String)>,
    photos: BTreeSet<String>,
    narratives: BTreeSet<String>,
    encounters: BTreeSet<(String, String)>,
}

fn state(conn: &Connection) -> State {
    let set = |sql: &str| -> BTreeSet<(String, String)> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let ids = |sql: &str| set(sql).into_iter().map(|(id, _)| id).collect();
    State {
        patients: set("SELECT id, given_name FROM patients"),
        photos: ids("SELECT id, '' FROM photos"),
        narratives: ids("SELECT id, '' FROM narratives"),
        encounters: set("SELECT id, reason FROM encounters"),
    }
}

/// A policy with every kind of rule, and records on both sides of each rule's period.
struct AgedRecords {
    binned_long: Patient,
    inactive: Patient,
    inactive_visit: String,
    active: Patient,
    old_photo: String,
    new_photo: String,
    binned_photo: String,
    old_story: String,
    new_story: String,
    old_visit: String,
    new_visit: String,
}

impl AgedRecords {
    /// Sets the policy, records everything as an admin, then ages records through the raw key.
    fn make(v: &Vault) -> AgedRecords {
        let mut s = v.admin();
        let policy = RetentionPolicy {
            inactive_patients: Some(Rule {
                years: 5,
                action: RetentionAction::Anonymise,
            }),
            photos: Some(Rule {
                years: 3,
                action: RetentionAction::Delete,
            }),
            narratives: Some(Rule {
                years: 4,
                action: RetentionAction::Delete,
            }),
            encounters: Some(Rule {
                years: 10,
                action: RetentionAction::Anonymise,
            }),
            ..RetentionPolicy::default()
        };
        retention::set(&mut s, policy).unwrap();
        assert_eq!(retention::get(&mut s).unwrap(), policy);

        let binned_long = patients::create(
            &mut s,
            Profile::named("Binned", "Long"),
            patients::Registration::CheckDuplicates,
        )
        .unwrap();
        photo(&mut s, &binned_long.id, 1);
        story(&mut s, &binned_long.id, "old story of a binned patient");
        let binned_short = patients::create(
            &mut s,
            Profile::named("Binned", "Short"),
            patients::Registration::CheckDuplicates,
        )
        .unwrap();
        let inactive = patients::create(
            &mut s,
            Profile::named("Quiet", "Long"),
            patients::Registration::CheckDuplicates,
        )
        .unwrap();
        let inactive_visit = visit(&mut s, &inactive.id);
        let active = patients::create(
            &mut s,
            Profile::named("Busy", "Now"),
            patients::Registration::CheckDuplicates,
        )
        .unwrap();
        let r = AgedRecords {
            old_photo: photo(&mut s, &active.id, 2),
            new_photo: photo(&mut s, &active.id, 3),
            binned_photo: photo(&mut s, &active.id, 4),
            old_story: story(&mut s, &active.id, "an old story"),
            new_story: story(&mut s, &active.id, "a new story"),
            old_visit: visit(&mut s, &active.id),
            new_visit: visit(&mut s, &active.id),
            binned_long,
            inactive,
            inactive_visit,
            active,
        };
        patients::delete(&mut s, &r.binned_long.id, None).unwrap();
        patients::delete(&mut s, &binned_short.id, None).unwrap();
        media::delete(&mut s, &r.binned_photo).unwrap();
        drop(s);

        let now = clock::now_ms();
        let raw = v.raw();
        let age = |sql: &str, id: &str, by: i64| {
            raw.execute(sql, rusqlite::params![id, now - by]).unwrap();
        };
        let binned = "UPDATE patients SET deleted_at = ?2 WHERE id = ?1";
        age(binned, &r.binned_long.id, 40 * DAY);
        age(binned, &binned_short.id, 10 * DAY);
        let updated = "UPDATE patients SET updated_at = ?2 WHERE id = ?1";
        age(updated, &r.inactive.id, 6 * YEAR);
        let visited = "UPDATE encounters SET occurred_at = ?2, created_at = ?2 WHERE id = ?1";
        age(visited, &r.inactive_visit, 6 * YEAR);
        let imported = "UPDATE photos SET imported_at = ?2 WHERE id = ?1";
        age(imported, &r.old_photo, 4 * YEAR);
        let binned_photo = "UPDATE photos SET deleted_at = ?2 WHERE id = ?1";
        age(binned_photo, &r.binned_photo, 31 * DAY);
        let written = "UPDATE narratives SET updated_at = ?2 WHERE id = ?1";
        age(written, &r.old_story, 5 * YEAR);
        let occurred = "UPDATE encounters SET occurred_at = ?2 WHERE id = ?1";
        age(occurred, &r.old_visit, 11 * YEAR);
        r
    }

    /// The dry run lists exactly the records past each rule's period, named by patient.
    fn assert_listed(&self, dry: &retention::RetentionReport) {
        let listed = |rule: RuleKind| -> Vec<String> {
            dry.rules
                .iter()
                .find(|r| r.rule == rule)
                .unwrap()
                .items
                .iter()
                .map(|i| i.id.clone())
                .collect()
        };
        assert_eq!(
            listed(RuleKind::BinnedPatients),
            vec![self.binned_long.id.clone()]
        );
        assert_eq!(
            listed(RuleKind::InactivePatients),
            vec![self.inactive.id.clone()]
        );
        assert_eq!(
            listed(RuleKind::BinnedPhotos),
            vec![self.binned_photo.clone()]
        );
        assert_eq!(listed(RuleKind::Photos), vec![self.old_photo.clone()]);
        assert_eq!(listed(RuleKind::Narratives), vec![self.old_story.clone()]);
        assert_eq!(listed(RuleKind::Encounters), vec![self.old_visit.clone()]);
        // Every item names its patient as people know them.
        for rule in &dry.rules {
            for item in &rule.items {
                let expected = if item.id == self.inactive.id {
                    &self.inactive.human_id
                } else if item.id == self.binned_long.id {
                    &self.binned_long.human_id
                } else {
                    &self.active.human_id
                };
                assert_eq!(item.human_id.as_ref(), Some(expected), "{item:?}");
            }
        }
    }

    /// What the real run did, seen through the raw key, is exactly that list.
    fn assert_done(&self, before: &State, after: &State) {
        let gone = |b: &BTreeSet<String>, a: &BTreeSet<String>| -> BTreeSet<String> {
            b.difference(a).cloned().collect()
        };
        let patient_ids = |st: &State| st.patients.iter().map(|(id, _)| id.clone()).collect();
        // The binned patient is deleted; the inactive one is anonymised, which keeps the
        // record under a new id.
        assert_eq!(
            gone(&patient_ids(before), &patient_ids(after)),
            BTreeSet::from([self.binned_long.id.clone(), self.inactive.id.clone()])
        );
        let renamed: Vec<String> = after
            .patients
            .iter()
            .filter(|p| !before.patients.contains(p))
            .map(|(_, name)| name.clone())
            .collect();
        assert_eq!(renamed, ["Anonymised"]);
        let binned_long_photo: Vec<String> = before
            .photos
            .iter()
            .filter(|p| ![&self.old_photo, &self.new_photo, &self.binned_photo].contains(p))
            .cloned()
            .collect();
        let mut photos_gone = BTreeSet::from([self.old_photo.clone(), self.binned_photo.clone()]);
        photos_gone.extend(binned_long_photo);
        assert_eq!(gone(&before.photos, &after.photos), photos_gone);
        assert!(after.photos.contains(&self.new_photo));
        assert!(
            after.narratives.contains(&self.new_story)
                && !after.narratives.contains(&self.old_story)
        );
        assert_eq!(
            after.narratives.len(),
            1,
            "the binned patient's story went with them"
        );
        let changed_visits: BTreeSet<String> = before
            .encounters
            .iter()
            .filter(|e| !after.encounters.contains(e))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(
            changed_visits,
            BTreeSet::from([self.old_visit.clone(), self.inactive_visit.clone()])
        );
        assert!(
            after
                .encounters
                .iter()
                .all(|(id, _)| *id != self.inactive_visit),
            "the anonymised patient's visit has a new id"
        );
        assert!(
            after
                .encounters
                .contains(&(self.new_visit.clone(), "check-up".into()))
        );
        assert!(
            after
                .encounters
                .contains(&(self.old_visit.clone(), String::new()))
        );
    }
}

/// A rule's report without its cutoff: kind, action, count, items, last audit seq.
type RuleList = (
    RuleKind,
    RetentionAction,
    u64,
    Vec<RetentionItem>,
    Option<u64>,
);

/// A report's rules without their cutoffs, which differ by the milliseconds between runs.
fn rule_lists(r: &retention::RetentionReport) -> Vec<RuleList> {
    r.rules
        .iter()
        .map(|rule| {
            (
                rule.rule,
                rule.action,
                rule.count,
                rule.items.clone(),
                rule.through_seq,
            )
        })
        .collect()
}

#[test]
fn the_dry_run_lists_exactly_what_the_real_run_does() {
    let v = Vault::new();
    let records = AgedRecords::make(&v);
    let before = state(&v.raw());

    let mut s = v.admin();
    let dry = retention::run(&mut s, true).unwrap();
    assert!(dry.dry_run);
    assert_eq!(state(&v.raw()), before, "a dry run changes nothing");
    records.assert_listed(&dry);

    let real = retention::run(&mut s, false).unwrap();
    assert!(!real.dry_run);
    assert_eq!(
        rule_lists(&real),
        rule_lists(&dry),
        "the real run did what the dry run listed"
    );
    assert_eq!(
        real.photo_files_deleted,
        3 * 2,
        "three photos, original and thumbnail"
    );
    records.assert_done(&before, &state(&v.raw()));

    // One entry per item plus the summary, and the chain holds.
    let entries = audit::list(&mut s, &AuditFilter::default()).unwrap();
    let per_item = entries
        .iter()
        .filter(|e| {
            e.action.starts_with("retention.")
                && e.action != "retention.run"
                && e.action != "retention.set"
        })
        .count()
        + entries
            .iter()
            .filter(|e| e.action == "patient.erase")
            .count();
    assert_eq!(per_item, 6);
    assert!(audit::verify(&mut s).unwrap().ok);

    // Nothing is left to do.
    let again = retention::run(&mut s, true).unwrap();
    assert!(again.rules.iter().all(|r| r.count == 0), "{again:?}");
}

#[test]
fn only_admins_manage_retention_and_the_floor_holds() {
    let v = Vault::new();
    let mut clinician = v.staff("cleo", Role::Clinician);
    assert!(matches!(
        retention::run(&mut clinician, true),
        Err(Error::Denied { .. })
    ));
    assert!(matches!(
        retention::get(&mut clinician),
        Err(Error::Denied { .. })
    ));
    let mut admin = v.admin();
    assert_eq!(
        retention::get(&mut admin).unwrap(),
        RetentionPolicy::default()
    );
    let too_short = RetentionPolicy {
        audit_entries_years: Some(2),
        ..RetentionPolicy::default()
    };
    assert!(matches!(
        retention::set(&mut admin, too_short),
        Err(Error::Invalid { .. })
    ));
}
