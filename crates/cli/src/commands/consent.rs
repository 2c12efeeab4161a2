//! `tessera consent ...`.

use anyhow::Result;
use tessera_core::consents::{self, Consent, ConsentStatus, NewConsent};

use crate::args::{Cli, ConsentCommand};
use crate::output;

pub fn run(cli: &Cli, command: &ConsentCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        ConsentCommand::Add {
            patient,
            purpose,
            withdraw,
            evidence,
            notes,
        } => {
            let new = NewConsent {
                purpose: purpose.clone(),
                status: if *withdraw {
                    ConsentStatus::Withdrawn
                } else {
                    ConsentStatus::Granted
                },
                evidence_id: evidence.clone(),
                notes: notes.clone(),
            };
            let consent = consents::record(&mut session, patient, new)?;
            output::emit(cli.json, &consent, |c| {
                println!("{}", c.id);
                eprintln!(
                    "Recorded: consent for {} {}.",
                    c.purpose,
                    output::name(&c.status)
                );
            })
        }
        ConsentCommand::List { patient } => {
            let list = consents::list(&mut session, patient)?;
            output::emit(cli.json, &list, |l| print_consents(l))
        }
    }
}

fn print_consents(list: &[Consent]) {
    if list.is_empty() {
        eprintln!("No consent decisions recorded.");
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.purpose.clone(),
                output::name(&c.status),
                if c.current { "yes" } else { "" }.to_owned(),
                output::when(&c.recorded_at),
                c.recorded_by.clone(),
                c.notes.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::table(
        &["PURPOSE", "DECISION", "CURRENT", "RECORDED", "BY", "NOTES"],
        &rows,
    );
}
