//! `tessera dev ...`.

use anyhow::Result;
use tessera_core::seed::{self, SeedSpec};

use crate::args::{Cli, DevCommand};
use crate::output;

pub fn run(cli: &Cli, command: &DevCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        DevCommand::Seed(args) => {
            let spec = SeedSpec {
                patients: args.patients,
                encounters_per_patient: args.encounters_per_patient,
                narratives_per_patient: args.narratives_per_patient,
                revisions_per_narrative: args.revisions_per_narrative,
                seed: args.seed,
            };
            let report = seed::populate(&mut session, &spec, &mut |done| {
                eprintln!("Seeded {} of {} patients.", done.patients, spec.patients)
            })?;
            output::emit(cli.json, &report, |r| {
                eprintln!(
                    "Done: {} patients, {} encounters, {} narratives with {} revisions.",
                    r.patients, r.encounters, r.narratives, r.revisions
                )
            })
        }
    }
}
