//! `tessera audit ...`.

use anyhow::{Result, bail};
use tessera_core::audit::{self, AuditFilter, AuditRecord};
use tessera_core::clock;

use crate::args::{AuditCommand, AuditListArgs, Cli};
use crate::output;
use crate::secrets::UsageError;

pub fn run(cli: &Cli, command: &AuditCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        AuditCommand::Verify => {
            let report = audit::verify(&mut session)?;
            output::emit(cli.json, &report, |r| {
                if r.ok {
                    eprintln!("Audit chain intact: {} entries verified.", r.entries);
                }
            })?;
            report.into_result()?;
            Ok(())
        }
        AuditCommand::List(args) => {
            let records = audit::list(&mut session, &filter(args)?)?;
            output::emit(cli.json, &records, |records| print_records(records))
        }
    }
}

fn filter(args: &AuditListArgs) -> Result<AuditFilter> {
    let instant = |flag: &str, text: &Option<String>| -> Result<Option<i64>> {
        match text {
            None => Ok(None),
            Some(t) => match clock::parse_instant(t) {
                Some(ms) => Ok(Some(ms)),
                None => bail!(UsageError(format!(
                    "{flag} {t:?}: use YYYY-MM-DD or RFC 3339"
                ))),
            },
        }
    };
    Ok(AuditFilter {
        since: instant("--since", &args.since)?,
        until: instant("--until", &args.until)?,
        actor: args.actor.clone(),
        action: args.action.clone(),
        resource_type: args.resource_type.clone(),
        resource_id: args.resource_id.clone(),
        patient: args.patient.clone(),
        limit: args.limit,
    })
}

fn print_records(records: &[AuditRecord]) {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let resource = match &r.resource_id {
                Some(id) => format!("{}/{id}", r.resource_type),
                None => r.resource_type.clone(),
            };
            vec![
                r.seq.to_string(),
                r.at.clone(),
                r.actor.clone(),
                r.action.clone(),
                resource,
            ]
        })
        .collect();
    output::table(&["SEQ", "AT", "ACTOR", "ACTION", "RESOURCE"], &rows);
}
