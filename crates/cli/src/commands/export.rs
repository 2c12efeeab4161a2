//! `tessera export ...`.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use tessera_core::Error;
use tessera_core::export::{self, DateRange, ExportEntry, ExportRequest, Referral, Verification};

use crate::args::{Cli, ExportArgs, ExportCommand};
use crate::output;
use crate::secrets::{self, UsageError};

pub fn run(cli: &Cli, args: &ExportArgs) -> Result<()> {
    match &args.command {
        Some(ExportCommand::Verify { file }) => verify(cli, file),
        Some(ExportCommand::List { patient }) => {
            let entries = export::list(&mut super::unlock(cli)?, patient.as_deref())?;
            output::emit(cli.json, &entries, |e| print_log(e))
        }
        None => write(cli, args),
    }
}

fn write(cli: &Cli, args: &ExportArgs) -> Result<()> {
    let missing = |flag: &str| UsageError(format!("{flag} is required"));
    let patient = args.patient.as_deref().ok_or_else(|| missing("PATIENT"))?;
    let out = args.out.as_deref().ok_or_else(|| missing("--out"))?;
    let referral = match (&args.referral_to, &args.purpose) {
        (None, None) => None,
        (to, purpose) => Some(Referral {
            to: to.clone().unwrap_or_default(),
            purpose: purpose.clone().unwrap_or_default(),
        }),
    };
    let request = ExportRequest {
        patient: patient.to_owned(),
        kind: args.kind.parse()?,
        format: args
            .format
            .as_deref()
            .ok_or_else(|| missing("--format"))?
            .parse()?,
        range: DateRange {
            from: args.from.clone(),
            to: args.to.clone(),
        },
        referral,
        csv_bom: args.bom,
    };
    // Asked before signing in, as the other commands that write a file do.
    let encryption = (args.encrypt || !args.recipient.is_empty())
        .then(|| secrets::encryption(&args.recipient, secrets::new_export_passphrase))
        .transpose()?;
    let entry = export::export(
        &mut super::unlock(cli)?,
        &request,
        out,
        encryption.as_ref(),
        &|_| {},
        &AtomicBool::new(false),
    )?;
    output::emit(cli.json, &entry, |e| {
        println!("{}", out.display());
        eprintln!(
            "Exported the {} of {} as {}{}: {} bytes, SHA-256 {}. Export {}.",
            e.kind,
            e.human_id,
            e.format,
            if e.encrypted { " (encrypted)" } else { "" },
            e.bytes,
            e.sha256,
            e.id
        );
    })
}

fn verify(cli: &Cli, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut session = super::unlock(cli)?;
    let mut scanner = tessera_camera::Scanner::this_executable()
        .context("cannot find this program to start the QR decoder")?;
    let checked = export::verify_any(&mut session, &bytes, &mut |image| {
        scanner.scan_image(image).map_err(|e| Error::Invalid {
            field: "image",
            message: e.to_string(),
        })
    })?;
    output::emit(cli.json, &checked, print_verification)
}

fn print_verification(v: &Verification) {
    let what = match v.method.as_str() {
        "document" => "Genuine: this document is exactly as the vault exported it.",
        "seal" => {
            "Genuine seal: this page comes from the export below. A photo cannot prove the \
             page's content; compare it with the exported file, or check that file itself."
        }
        _ => "Genuine: this file is exactly as the vault exported it.",
    };
    eprintln!("{what}");
    output::fields(&[
        ("export", vec![v.export_id.clone()]),
        ("patient", vec![v.patient.clone()]),
        ("kind", vec![v.kind.clone()]),
        ("by", vec![v.issued_by.clone()]),
        ("on", vec![output::when(&v.issued_at)]),
        ("key id", v.key_id.iter().cloned().collect()),
    ]);
}

fn print_log(entries: &[ExportEntry]) {
    if entries.is_empty() {
        eprintln!("No exports.");
        return;
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                output::when(&e.created_at),
                e.human_id.clone(),
                e.kind.to_string(),
                format!("{}{}", e.format, if e.encrypted { " (age)" } else { "" }),
                e.created_by.clone(),
                e.sha256.get(..16).unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    output::table(
        &["WHEN", "PATIENT", "KIND", "FORMAT", "BY", "SHA-256"],
        &rows,
    );
}
