//! `tessera encounter ...`.

use anyhow::Result;
use tessera_core::encounters::{self, Encounter, NewEncounter, Vitals};

use crate::args::{Cli, EncounterCommand, VisitDetails};
use crate::output;

pub fn run(cli: &Cli, command: &EncounterCommand) -> Result<()> {
    match command {
        EncounterCommand::Add(args) => {
            let blank = NewEncounter {
                occurred_at: args.date.clone(),
                reason: args.reason.clone(),
                ..NewEncounter::default()
            };
            let new = with_details(blank, &args.details)?;
            let encounter = encounters::add(&mut super::unlock(cli)?, &args.patient, new)?;
            output::emit(cli.json, &encounter, |e| {
                println!("{}", e.id);
                eprintln!(
                    "Recorded the {} of {}.",
                    output::name(&e.kind).replace('_', " "),
                    output::when(&e.occurred_at)
                );
            })
        }
        EncounterCommand::List { patient, limit } => {
            let list = encounters::list(&mut super::unlock(cli)?, patient, limit.limit)?;
            output::emit(cli.json, &list, |l| print_encounters(l))
        }
        EncounterCommand::Amend(args) => {
            let mut session = super::unlock(cli)?;
            let current = encounters::get(&mut session, &args.encounter)?;
            let mut new = with_details(as_new(&current), &args.details)?;
            if let Some(date) = &args.date {
                new.occurred_at = date.clone();
            }
            if let Some(reason) = &args.visit_reason {
                new.reason = reason.clone();
            }
            let amended = encounters::amend(&mut session, &args.encounter, new, &args.reason)?;
            output::emit(cli.json, &amended, |e| {
                println!("{}", e.id);
                eprintln!(
                    "Amended the visit of {} (version {}).",
                    output::when(&e.occurred_at),
                    e.version
                );
            })
        }
        EncounterCommand::Void { encounter, reason } => {
            let voided = encounters::void(&mut super::unlock(cli)?, encounter, reason)?;
            output::emit(cli.json, &voided, |e| {
                println!("{}", e.id);
                eprintln!("Voided the visit of {}.", output::when(&e.occurred_at));
            })
        }
    }
}

/// A recorded visit as the input that would record it again, for an amendment to change.
fn as_new(e: &Encounter) -> NewEncounter {
    NewEncounter {
        occurred_at: e.occurred_at.clone(),
        kind: e.kind,
        reason: e.reason.clone(),
        notes: e.notes.clone(),
        diagnoses: e.diagnoses.clone(),
        treatments: e.treatments.clone(),
        vitals: e.vitals,
    }
}

/// `new` with the details given on the command line put over it.
fn with_details(mut new: NewEncounter, d: &VisitDetails) -> Result<NewEncounter> {
    if let Some(text) = &d.bp {
        let (s, di) = Vitals::parse_blood_pressure(text)?;
        (new.vitals.bp_systolic, new.vitals.bp_diastolic) = (Some(s), Some(di));
    }
    let v = &mut new.vitals;
    v.pulse = d.pulse.or(v.pulse);
    v.temperature_c = d.temp.or(v.temperature_c);
    v.spo2 = d.spo2.or(v.spo2);
    v.weight_kg = d.weight.or(v.weight_kg);
    v.height_cm = d.height.or(v.height_cm);
    v.pain = d.pain.or(v.pain);
    if let Some(kind) = d.kind {
        new.kind = kind;
    }
    if d.notes.is_some() {
        new.notes = d.notes.clone();
    }
    if !d.diagnoses.is_empty() {
        new.diagnoses = d.diagnoses.clone();
    }
    if !d.treatments.is_empty() {
        new.treatments = d.treatments.clone();
    }
    Ok(new)
}

fn print_encounters(list: &[Encounter]) {
    if list.is_empty() {
        eprintln!("No visits recorded.");
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            vec![
                output::when(&e.occurred_at),
                output::name(&e.kind),
                match &e.voided {
                    Some(v) => format!("VOIDED ({}): {}", v.reason, e.reason),
                    None => e.reason.clone(),
                },
                e.diagnoses.join("; "),
                vitals(&e.vitals),
                e.recorded_by.clone(),
            ]
        })
        .collect();
    output::table(
        &["DATE", "KIND", "REASON", "DIAGNOSES", "VITALS", "BY"],
        &rows,
    );
}

/// `BP 120/80, pulse 72, 36.8 °C, SpO2 98%, 70.5 kg, 172 cm, pain 3/10`.
fn vitals(v: &Vitals) -> String {
    let parts = [
        v.bp_systolic
            .zip(v.bp_diastolic)
            .map(|(s, d)| format!("BP {s}/{d}")),
        v.pulse.map(|p| format!("pulse {p}")),
        v.temperature_c.map(|t| format!("{t} °C")),
        v.spo2.map(|s| format!("SpO2 {s}%")),
        v.weight_kg.map(|w| format!("{w} kg")),
        v.height_cm.map(|h| format!("{h} cm")),
        v.pain.map(|p| format!("pain {p}/10")),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join(", ")
}
