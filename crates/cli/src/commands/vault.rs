//! `tessera vault ...`.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use serde::Serialize;
use tessera_core::progress::Progress;
use tessera_core::vault;

use crate::args::{Cli, VaultCommand};
use crate::output;

pub fn run(cli: &Cli, command: &VaultCommand) -> Result<()> {
    let unlocked = super::unlock(cli);
    if let (VaultCommand::Check, Err(err)) = (command, &unlocked)
        && matches!(
            err.downcast_ref::<tessera_core::Error>(),
            Some(tessera_core::Error::CorruptDatabase(_))
        )
    {
        return check_unopenable(cli);
    }
    let mut session = unlocked?;
    match command {
        VaultCommand::Info => {
            let info = vault::info(&mut session)?;
            output::emit(cli.json, &info, |i| {
                println!("vault          {}", i.path.display());
                println!("id             {}", i.vault_id);
                println!(
                    "format         {} (schema {})",
                    i.format_version, i.schema_version
                );
                println!("created        {}", i.created_at);
                println!("cipher         {}", i.cipher);
                println!(
                    "argon2id       {} MiB, {} passes, {} lane(s)",
                    i.kdf.memory_kib / 1024,
                    i.kdf.iterations,
                    i.kdf.parallelism
                );
                println!("key slots      {}", i.key_slots);
                println!(
                    "staff          {} ({} active)",
                    i.counts.staff, i.counts.active_staff
                );
                println!(
                    "patients       {} ({} in the bin)",
                    i.counts.patients, i.counts.deleted_patients
                );
                println!("encounters     {}", i.counts.encounters);
                println!(
                    "narratives     {} ({} revisions)",
                    i.counts.narratives, i.counts.narrative_revisions
                );
                println!(
                    "photos         {} ({} in the bin)",
                    i.counts.photos, i.counts.deleted_photos
                );
                println!("audit entries  {}", i.counts.audit_entries);
                println!(
                    "signed in as   {} ({})",
                    i.signed_in_as.username, i.signed_in_as.principal
                );
            })
        }
        VaultCommand::Check => {
            let report = vault::check(&mut session)?;
            output::emit(cli.json, &report, |r| {
                println!(
                    "database       {}",
                    if r.database_problems.is_empty() {
                        "ok"
                    } else {
                        "DAMAGED"
                    }
                );
                println!(
                    "photo files    {} checked, {} damaged or missing",
                    r.photo_files_checked,
                    r.photo_problems.len()
                );
                println!("leftovers      {} removed", r.orphans_removed);
                for problem in r.database_problems.iter().chain(&r.photo_problems) {
                    eprintln!("  {problem}");
                }
            })?;
            if !report.database_problems.is_empty() {
                return Err(tessera_core::Error::CorruptDatabase(
                    report.database_problems.join("; "),
                )
                .into());
            }
            if let Some(first) = report.photo_problems.first() {
                return Err(tessera_core::Error::CorruptBlob(first.clone()).into());
            }
            Ok(())
        }
        VaultCommand::Rekey => rekey(cli, &mut session),
    }
}

#[derive(Serialize)]
struct Rekeyed<'a> {
    accounts: u32,
    dropped_slots: u32,
    photo_files: u64,
    bytes: u64,
    recovery_key: &'a str,
}

fn rekey(cli: &Cli, session: &mut tessera_core::Session) -> Result<()> {
    let show_progress = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if show_progress && p.total_bytes > 0 {
            eprint!("\rRe-encrypting… {:3}%", p.done_bytes * 100 / p.total_bytes);
        }
    };
    let done = vault::rekey(session, &mut progress, &AtomicBool::new(false));
    if show_progress {
        eprintln!();
    }
    let done = done?;
    let recovery = done.recovery_key.display();
    let report = Rekeyed {
        accounts: done.accounts,
        dropped_slots: done.dropped_slots,
        photo_files: done.photo_files,
        bytes: done.bytes,
        recovery_key: &recovery,
    };
    output::emit(cli.json, &report, |r| {
        eprintln!(
            "Replaced the vault key: {} accounts re-wrapped, {} photo files and {} bytes re-encrypted.",
            r.accounts, r.photo_files, r.bytes
        );
        if r.dropped_slots > 0 {
            eprintln!(
                "Dropped {} key slots of no active account.",
                r.dropped_slots
            );
        }
        eprintln!(
            "New recovery key (the old one no longer opens this vault; shown only this once):"
        );
        println!("{}", r.recovery_key);
    })
}

/// `vault check` on a vault whose damage keeps it from opening: the pages that fail
/// authentication, read without a session.
fn check_unopenable(cli: &Cli) -> Result<()> {
    let dir = super::vault_dir(cli)?;
    let pages = super::with_credentials(cli, |credentials| {
        Ok(vault::damaged_pages(&dir, credentials)?)
    })?;
    println!("database       DAMAGED (the vault cannot be opened)");
    for page in &pages {
        eprintln!("  {page}");
    }
    Err(tessera_core::Error::CorruptDatabase(if pages.is_empty() {
        "the database cannot be opened, though every page authenticates".into()
    } else {
        pages.join("; ")
    })
    .into())
}
