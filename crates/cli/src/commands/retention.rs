//! `tessera retention ...`.

use anyhow::{Result, bail};
use tessera_core::retention::{self, RetentionAction, RetentionPolicy, RetentionReport, Rule};

use crate::args::{Cli, RetentionCommand, RetentionSetArgs};
use crate::output;
use crate::secrets::UsageError;

pub fn run(cli: &Cli, command: &RetentionCommand) -> Result<()> {
    match command {
        RetentionCommand::Show => {
            let policy = retention::get(&mut super::unlock(cli)?)?;
            output::emit(cli.json, &policy, print_policy)
        }
        RetentionCommand::Set(args) => {
            let mut session = super::unlock(cli)?;
            let mut policy = retention::get(&mut session)?;
            apply(args, &mut policy)?;
            let saved = retention::set(&mut session, policy)?;
            output::emit(cli.json, &saved, |p| {
                print_policy(p);
                eprintln!("Saved the retention policy.");
            })
        }
        RetentionCommand::Run { dry_run } => {
            let report = retention::run(&mut super::unlock(cli)?, *dry_run)?;
            output::emit(cli.json, &report, print_report)
        }
    }
}

fn apply(args: &RetentionSetArgs, policy: &mut RetentionPolicy) -> Result<()> {
    if let Some(text) = &args.inactive_patients {
        policy.inactive_patients = rule("--inactive-patients", text, true)?;
    }
    if let Some(text) = &args.photos {
        policy.photos = rule("--photos", text, false)?;
    }
    if let Some(text) = &args.narratives {
        policy.narratives = rule("--narratives", text, false)?;
    }
    if let Some(text) = &args.encounters {
        policy.encounters = rule("--encounters", text, true)?;
    }
    if let Some(text) = &args.audit_entries {
        policy.audit_entries_years = number("--audit-entries", text)?;
    }
    if let Some(text) = &args.binned {
        policy.binned_days = number("--binned", text)?;
    }
    Ok(())
}

/// `off`, `YEARS` (delete) or `YEARS:delete|anonymise` (when `with_action`).
fn rule(flag: &str, text: &str, with_action: bool) -> Result<Option<Rule>> {
    let text = text.trim().to_lowercase();
    if text == "off" {
        return Ok(None);
    }
    let (years, action) = match text.split_once(':') {
        Some((years, action)) if with_action => (years, action),
        Some(_) => bail!(UsageError(format!("{flag} takes YEARS or off"))),
        None => (text.as_str(), "delete"),
    };
    let action = match action {
        "delete" => RetentionAction::Delete,
        "anonymise" | "anonymize" => RetentionAction::Anonymise,
        other => bail!(UsageError(format!(
            "{flag}: unknown action {other:?}; use delete or anonymise"
        ))),
    };
    let Ok(years) = years.parse() else {
        bail!(UsageError(format!(
            "{flag}: {years:?} is not a number of years"
        )));
    };
    Ok(Some(Rule { years, action }))
}

fn number(flag: &str, text: &str) -> Result<Option<u32>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match text.parse() {
        Ok(n) => Ok(Some(n)),
        Err(_) => bail!(UsageError(format!(
            "{flag}: {text:?} is not a number or off"
        ))),
    }
}

fn print_policy(p: &RetentionPolicy) {
    let rule = |r: Option<Rule>, unit: &str| match r {
        Some(r) => format!("{} after {} {unit}", r.action.as_str(), r.years),
        None => "kept".into(),
    };
    let plain = |n: Option<u32>, what: &str, unit: &str| match n {
        Some(n) => format!("{what} after {n} {unit}"),
        None => "kept".into(),
    };
    output::fields(&[
        (
            "inactive patients",
            vec![rule(p.inactive_patients, "years")],
        ),
        ("photos", vec![rule(p.photos, "years")]),
        ("narratives", vec![rule(p.narratives, "years")]),
        ("encounters", vec![rule(p.encounters, "years")]),
        (
            "audit entries",
            vec![plain(p.audit_entries_years, "removed", "years")],
        ),
        ("binned items", vec![plain(p.binned_days, "purged", "days")]),
    ]);
}

fn print_report(r: &RetentionReport) {
    let rows: Vec<Vec<String>> = r
        .rules
        .iter()
        .map(|rule| {
            vec![
                output::name(&rule.rule),
                rule.action.as_str().to_owned(),
                rule.count.to_string(),
                output::when(&rule.cutoff),
            ]
        })
        .collect();
    output::table(&["RULE", "ACTION", "COUNT", "OLDER THAN"], &rows);
    for rule in &r.rules {
        for item in &rule.items {
            println!(
                "  {:<18} {} {}",
                output::name(&rule.rule),
                item.id,
                item.human_id.as_deref().unwrap_or("")
            );
        }
    }
    if r.dry_run {
        eprintln!("Dry run: nothing was changed.");
    } else {
        eprintln!(
            "Retention applied; {} photo files deleted.",
            r.photo_files_deleted
        );
    }
}
