//! `tessera backup ...`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use tessera_core::archive::{Decryption, SecretString};
use tessera_core::backup::{self, CreateOptions, Progress, RestoreOptions, RestoreReport, Trigger};

use crate::args::{BackupCommand, BackupCreateArgs, Cli};
use crate::{output, secrets};

pub fn run(cli: &Cli, command: &BackupCommand) -> Result<()> {
    match command {
        BackupCommand::Create(args) => create(cli, args),
        BackupCommand::Verify { file, identity } => verify(cli, file, identity.as_deref()),
        BackupCommand::Restore {
            file,
            to,
            dry_run,
            identity,
            override_erasures,
        } => {
            let options = RestoreOptions {
                file: file.clone(),
                target: to.clone(),
                dry_run: *dry_run,
                override_reason: override_erasures.clone(),
            };
            restore(cli, &options, identity.as_deref())
        }
        BackupCommand::List => list(cli),
        BackupCommand::Prune {
            dest,
            keep_last,
            keep_days,
            dry_run,
        } => prune(cli, dest.as_deref(), *keep_last, *keep_days, *dry_run),
    }
}

fn verify(cli: &Cli, file: &Path, identity: Option<&Path>) -> Result<()> {
    let key = decryption(identity)?;
    // A backup of the vault in use: a wrong password counts against the account there.
    let live = super::vault_dir(cli).ok();
    let report = super::with_credentials(cli, |credentials| {
        Ok(backup::verify(file, &key, credentials, live.as_deref())?)
    })?;
    output::emit(cli.json, &report, |r| {
        println!("{}: ok", r.file);
        output::fields(&[
            (
                "backup",
                vec![format!("{} ({})", r.backup_id, kind(r.kind))],
            ),
            (
                "taken",
                vec![format!("{} by {}", r.created_at, r.created_by)],
            ),
            ("members", vec![r.members.to_string()]),
            ("photo files", vec![r.blobs.to_string()]),
            ("audit entries", vec![r.audit_head.count.to_string()]),
            ("needs", r.chain.clone()),
        ]);
    })
}

fn restore(cli: &Cli, options: &RestoreOptions, identity: Option<&Path>) -> Result<()> {
    let key = decryption(identity)?;
    let report = super::with_credentials(cli, |credentials| {
        Ok(backup::restore(options, &key, credentials)?)
    })?;
    output::emit(cli.json, &report, print_restore)
}

fn print_restore(r: &RestoreReport) {
    let b = &r.backup;
    println!(
        "{} backup {} taken {} by {}",
        if r.dry_run {
            "Would restore"
        } else {
            "Restored"
        },
        b.backup_id,
        b.created_at,
        b.created_by
    );
    let rows: Vec<Vec<String>> = b
        .row_counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| {
            let now = r
                .differences
                .iter()
                .find(|d| &d.table == t)
                .map_or(String::new(), |d| d.current.to_string());
            vec![t.clone(), n.to_string(), now]
        })
        .collect();
    output::table(&["table", "in backup", "now (if different)"], &rows);
    if let Some(now) = r.current_audit_entries
        && now > b.audit_head.count
    {
        println!(
            "The current vault has {} audit entries newer than the backup: work done \
             since then {}.",
            now - b.audit_head.count,
            if r.dry_run {
                "would be set aside"
            } else {
                "was set aside"
            }
        );
    }
    match (r.erasures_reapplied, r.dry_run) {
        (0, _) => {}
        (n, true) => println!("{n} patient(s) erased since the backup would be erased again."),
        (n, false) => println!("{n} patient(s) erased since the backup were erased again."),
    }
    if r.erasures_unknown {
        println!(
            "The current vault could not be read: patients erased since the backup may be \
             back, and must be erased again by hand."
        );
    }
    match (&r.previous_vault, r.dry_run) {
        (Some(previous), false) => println!(
            "The replaced vault is kept at {previous} for {} days, then removed.",
            tessera_core::store::REPLACED_VAULT_DAYS
        ),
        (None, false) => println!("Restored into {}.", r.target),
        (_, true) => println!("Nothing was changed (--dry-run)."),
    }
}

fn list(cli: &Cli) -> Result<()> {
    let mut session = super::unlock(cli)?;
    let records = backup::list(&mut session)?;
    output::emit(cli.json, &records, |records| {
        let rows: Vec<Vec<String>> = records
            .iter()
            .map(|r| {
                vec![
                    r.started_at.clone(),
                    r.kind.clone(),
                    r.status.clone(),
                    r.byte_size.map_or(String::new(), |n| n.to_string()),
                    r.file.clone().or(r.error.clone()).unwrap_or_default(),
                ]
            })
            .collect();
        output::table(
            &["started", "kind", "status", "bytes", "file / error"],
            &rows,
        );
    })
}

fn prune(
    cli: &Cli,
    dest: Option<&Path>,
    keep_last: u32,
    keep_days: u32,
    dry_run: bool,
) -> Result<()> {
    let dest = match dest {
        Some(d) => d.to_path_buf(),
        None => default_destination(cli)?,
    };
    let mut session = super::unlock(cli)?;
    let report = backup::prune(&mut session, &dest, keep_last, keep_days, dry_run)?;
    output::emit(cli.json, &report, |r| {
        for removed in &r.removed {
            println!(
                "{} {}",
                if r.dry_run { "would remove" } else { "removed" },
                removed.file.as_deref().unwrap_or(&removed.id)
            );
        }
        println!("{} kept, {} bytes freed", r.kept, r.freed_bytes);
    })
}

fn create(cli: &Cli, args: &BackupCreateArgs) -> Result<()> {
    let destination = match &args.dest {
        Some(dest) => dest.clone(),
        None => {
            let dest = default_destination(cli)?;
            std::fs::create_dir_all(&dest)
                .with_context(|| format!("cannot create {}", dest.display()))?;
            dest
        }
    };
    let encryption = secrets::encryption(&args.recipient, secrets::new_backup_passphrase)?;
    let mut session = super::unlock(cli)?;
    let options = CreateOptions {
        destination,
        encryption,
        full: args.full,
        trigger: Trigger::Manual,
    };
    let show_progress = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if show_progress && p.total_bytes > 0 {
            eprint!("\rBacking up… {:3}%", p.done_bytes * 100 / p.total_bytes);
        }
    };
    let record = backup::create(
        &mut session,
        &options,
        &mut progress,
        &AtomicBool::new(false),
    );
    if show_progress {
        eprintln!();
    }
    let record = record?;
    output::emit(cli.json, &record, |r| {
        println!("{}", r.file.as_deref().unwrap_or_default());
        eprintln!(
            "{} backup, {} bytes: {} photo files stored, {} already in earlier backups",
            r.kind,
            r.byte_size.unwrap_or(0),
            r.blobs_stored,
            r.blobs_referred
        );
    })
}

/// `<vault>-backups` beside the vault directory.
fn default_destination(cli: &Cli) -> Result<PathBuf> {
    let vault = super::vault_dir(cli)?;
    let name = vault
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tessera".into());
    Ok(vault.with_file_name(format!("{name}-backups")))
}

fn decryption(identity: Option<&Path>) -> Result<Decryption> {
    Ok(match identity {
        Some(path) => Decryption::identity_file(path)?,
        None => {
            let passphrase = secrets::backup_passphrase()?;
            Decryption::Passphrase(SecretString::from(passphrase.as_str().to_owned()))
        }
    })
}

fn kind(kind: backup::format::Kind) -> &'static str {
    kind.as_str()
}
