//! Generated test data: realistic-looking patients with visits and narratives, written
//! through the same insert paths (and audit entries) as real records. For benchmarks,
//! demos and load tests; the names are made up, and the patients are marked as generated
//! in their location (`Seeded`) so nobody mistakes them for real people.

use serde::Serialize;
use serde_json::json;

use crate::audit_chain::Change;
use crate::clock;
use crate::encounters::{self, EncounterKind, NewEncounter, Vitals};
use crate::error::{Error, Result};
use crate::narratives::{self, AuthorType, NewNarrative};
use crate::patients::{self, Profile, profile::Sex, search};
use crate::policy::Action;
use crate::session::Session;

const GIVEN: &[&str] = &[
    "José",
    "Maria",
    "Ana",
    "João",
    "Zoë",
    "Chloé",
    "Amélie",
    "François",
    "Renée",
    "Mateus",
    "Inês",
    "Noémie",
    "Björn",
    "Søren",
    "Ayşe",
    "Mehmet",
    "Fatima",
    "Omar",
    "Aisha",
    "Kwame",
    "Amara",
    "Nguyen",
    "Linh",
    "Hiroshi",
    "Yuki",
    "Priya",
    "Arjun",
    "Sofia",
    "Lucas",
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Mia",
    "Elena",
    "Pavel",
    "Olga",
    "Tomás",
    "Lucía",
    "Andrés",
];
const FAMILY: &[&str] = &[
    "Silva",
    "Santos",
    "Núñez",
    "Pereira",
    "Costa",
    "Oliveira",
    "Martins",
    "Gonçalves",
    "Dubois",
    "Lefèvre",
    "Müller",
    "Schröder",
    "Østergaard",
    "Yılmaz",
    "Kaya",
    "Haddad",
    "Mensah",
    "Okafor",
    "Tran",
    "Pham",
    "Tanaka",
    "Sato",
    "Sharma",
    "Patel",
    "García",
    "López",
    "Fernández",
    "Rodríguez",
    "Smith",
    "Johnson",
    "Brown",
    "Ivanova",
    "Petrov",
    "Kowalski",
    "Nowak",
    "Rossi",
    "Bianchi",
    "Cohen",
    "Levi",
    "O'Brien",
];
const REASONS: &[&str] = &[
    "follow-up",
    "wound check",
    "medication review",
    "blood pressure check",
    "fever",
    "counselling",
    "housing support",
    "physiotherapy",
    "dressing change",
    "intake assessment",
];
const STORY: &[&str] = &[
    "slept through the night for the first time this month",
    "walked to the market with a friend and back without resting",
    "talked about the move and felt calmer afterwards",
    "started cooking again and shared a meal with the neighbours",
    "the pain in the left knee is lower in the mornings",
    "kept every appointment this week and asked about a support group",
    "reconnected with a sister by phone after two years",
    "is worried about the rent but has a plan with the housing office",
    "took the new medication as prescribed with no side effects",
    "drew a picture of the garden and wants to plant tomatoes",
];

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeedSpec {
    /// Patients.
    pub patients: u32,
    /// Encounters per patient.
    pub encounters_per_patient: u32,
    /// Narratives per patient.
    pub narratives_per_patient: u32,
    /// Revisions per narrative (the first included).
    pub revisions_per_narrative: u32,
    /// Seed of the generator: the same seed gives the same names and stories.
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SeedReport {
    /// Patients written.
    pub patients: u64,
    /// Encounters written.
    pub encounters: u64,
    /// Narratives written.
    pub narratives: u64,
    /// Narrative revisions written (the first of each included).
    pub revisions: u64,
}

/// Patients written per transaction.
const BATCH: u32 = 500;

/// Generates `spec` into the vault, calling `progress` with the patients written so far.
pub fn populate(
    session: &mut Session,
    spec: &SeedSpec,
    progress: &mut dyn FnMut(&SeedReport),
) -> Result<SeedReport> {
    if spec.revisions_per_narrative == 0 && spec.narratives_per_patient > 0 {
        return Err(Error::invalid(
            "revisions",
            "every narrative has at least one revision",
        ));
    }
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let mut report = SeedReport::default();
    let now = clock::now_ms();
    while report.patients < u64::from(spec.patients) {
        let batch = (u64::from(spec.patients) - report.patients).min(u64::from(BATCH));
        session.write(Action::DevSeed, |w| {
            w.record(Change::new("vault", None).after(json!({ "batch": batch, "spec": spec })))?;
            for _ in 0..batch {
                let patient = patients::insert(w, &profile(&mut rng), now)?;
                for _ in 0..spec.encounters_per_patient {
                    let checked = encounters::validate(encounter(&mut rng, now), now)?;
                    encounters::insert(w, &patient.id, &checked, now)?;
                }
                for _ in 0..spec.narratives_per_patient {
                    let new = narratives::checked(NewNarrative {
                        body: story(&mut rng),
                        title: None,
                        photo_id: None,
                        author_type: Some(AuthorType::SocialWorker),
                        private: false,
                    })?;
                    let mut narrative = narratives::insert(w, &patient.id, &new, now)?;
                    for revision in 2..=spec.revisions_per_narrative {
                        let body = format!("Update {revision}: {}", story(&mut rng));
                        narrative = narratives::revise(w, &narrative, None, &body, now)?;
                    }
                }
                let rowid = patients::resolve(w.conn(), &patient.id)?.rowid;
                search::reindex(w.conn(), rowid)?;
            }
            Ok(())
        })?;
        report.patients += batch;
        report.encounters += batch * u64::from(spec.encounters_per_patient);
        report.narratives += batch * u64::from(spec.narratives_per_patient);
        report.revisions += batch
            * u64::from(spec.narratives_per_patient)
            * u64::from(spec.revisions_per_narrative);
        progress(&report);
    }
    Ok(report)
}

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

fn profile(rng: &mut fastrand::Rng) -> Profile {
    let mut p = Profile::named(pick(rng, GIVEN), pick(rng, FAMILY));
    p.date_of_birth = Some(format!(
        "{}-{:02}-{:02}",
        rng.u32(1930..2020),
        rng.u32(1..=12),
        rng.u32(1..=28)
    ));
    p.sex = Some(if rng.bool() { Sex::Female } else { Sex::Male });
    p.phone = Some(format!(
        "+351 9{:02} {:03} {:03}",
        rng.u32(10..99),
        rng.u32(..1000),
        rng.u32(..1000)
    ));
    p.location = Some("Seeded".to_owned());
    if rng.u8(..10) == 0 {
        p.medical_alerts.push("penicillin allergy".to_owned());
    }
    p
}

fn encounter(rng: &mut fastrand::Rng, now: i64) -> NewEncounter {
    let days_ago = i64::from(rng.u32(..3650));
    let systolic = rng.u16(100..160);
    NewEncounter {
        occurred_at: clock::to_rfc3339(now - days_ago * 86_400_000),
        kind: EncounterKind::Visit,
        reason: pick(rng, REASONS).to_owned(),
        notes: None,
        diagnoses: Vec::new(),
        treatments: Vec::new(),
        vitals: Vitals {
            bp_systolic: Some(systolic),
            bp_diastolic: Some(systolic - rng.u16(30..50)),
            pulse: Some(rng.u16(55..100)),
            temperature_c: Some(f64::from(rng.u16(360..380)) / 10.0),
            spo2: Some(rng.u8(92..=100)),
            weight_kg: Some(f64::from(rng.u16(450..1100)) / 10.0),
            height_cm: None,
            pain: Some(rng.u8(..=10)),
        },
    }
}

fn story(rng: &mut fastrand::Rng) -> String {
    let sentences: Vec<&str> = (0..3).map(|_| pick(rng, STORY)).collect();
    format!("{}.", sentences.join(". "))
}
