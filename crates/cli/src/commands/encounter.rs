//! `tessera encounter ...`.

use anyhow::Result;
use tessera_core::encounters::{self, Encounter, NewEncounter, Vitals};

use crate::args::{Cli, EncounterAddArgs, EncounterCommand};
use crate::output;

pub fn run(cli: &Cli, command: &EncounterCommand) -> Result<()> {
    match command {
        EncounterCommand::Add(args) => {
            let new = new_encounter(args)?;
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
    }
}

fn new_encounter(args: &EncounterAddArgs) -> Result<NewEncounter> {
    let (bp_systolic, bp_diastolic) = match &args.bp {
        Some(text) => {
            let (s, d) = Vitals::parse_blood_pressure(text)?;
            (Some(s), Some(d))
        }
        None => (None, None),
    };
    Ok(NewEncounter {
        occurred_at: args.date.clone(),
        kind: args.kind.unwrap_or_default(),
        reason: args.reason.clone(),
        notes: args.notes.clone(),
        diagnoses: args.diagnoses.clone(),
        treatments: args.treatments.clone(),
        vitals: Vitals {
            bp_systolic,
            bp_diastolic,
            pulse: args.pulse,
            temperature_c: args.temp,
            spo2: args.spo2,
            weight_kg: args.weight,
            height_cm: args.height,
            pain: args.pain,
        },
    })
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
                e.reason.clone(),
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
