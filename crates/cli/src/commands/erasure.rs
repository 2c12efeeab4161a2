//! `tessera patient erase` and `tessera patient subject-export`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use tessera_core::erasure::{self, ErasureMode};
use tessera_core::subject_export;

use crate::args::Cli;
use crate::output;
use crate::secrets::{self, UsageError};

pub fn erase(cli: &Cli, patient: &str, anonymise: bool, yes: bool) -> Result<()> {
    let mode = if anonymise {
        ErasureMode::Anonymise
    } else {
        ErasureMode::Delete
    };
    // Asked before signing in, so a refusal costs nothing.
    if !yes {
        confirm(patient, mode)?;
    }
    let report = erasure::erase(&mut super::unlock(cli)?, patient, mode)?;
    if report.audit_entries_not_redactable > 0 {
        eprintln!(
            "warning: {} audit entries about this patient predate redaction and could not be \
             redacted (the audit chain did not verify when it was upgraded; see `tessera audit verify`).",
            report.audit_entries_not_redactable
        );
    }
    output::emit(cli.json, &report, |r| {
        eprintln!(
            "Erased {patient} ({}): {} visits, {} narratives ({} revisions), {} consents, \
             {} photos ({} files); {} audit entries redacted.",
            r.mode.as_str(),
            r.encounters,
            r.narratives,
            r.narrative_revisions,
            r.consents,
            r.photos,
            r.photo_files_deleted,
            r.audit_entries_redacted
        );
        if let Some(kept) = &r.anonymised_as {
            eprintln!("The anonymised record is kept, for statistics only, as {kept}.");
        }
    })
}

fn confirm(patient: &str, mode: ErasureMode) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(UsageError(
            "patient erase asks for confirmation: run it in a terminal, or pass --yes".into()
        ));
    }
    let what = match mode {
        ErasureMode::Delete => "every record, photo and trace of",
        ErasureMode::Anonymise => "everything that identifies",
    };
    eprint!(
        "This removes {what} {patient} for good; it cannot be undone.\nType {patient} again to confirm: "
    );
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the confirmation")?;
    if line.trim() != patient.trim() {
        bail!(UsageError("not confirmed; nothing was erased".into()));
    }
    Ok(())
}

pub fn subject_export(
    cli: &Cli,
    patient: &str,
    out: &Path,
    encrypt: bool,
    recipients: &[String],
) -> Result<()> {
    // Asked before signing in, as the erasure's confirmation is.
    let encryption = (encrypt || !recipients.is_empty())
        .then(|| secrets::encryption(recipients, secrets::new_export_passphrase))
        .transpose()?;
    let export = subject_export::subject_export(
        &mut super::unlock(cli)?,
        patient,
        out,
        encryption.as_ref(),
    )?;
    output::emit(cli.json, &export, |e| {
        println!("{}", e.path.display());
        eprintln!(
            "Wrote everything held on {patient}: {} photos, {} audit entries, {} bytes, SHA-256 {}.",
            e.photos, e.audit_entries, e.bytes, e.sha256
        );
    })
}
