//! `tessera transfer ...`.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use tessera_core::transfer::{self, conflicts};

use crate::args::{Cli, TransferCommand};
use crate::output;

pub fn run(cli: &Cli, command: &TransferCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        TransferCommand::Identity { out, qr_out } => {
            let identity = transfer::identity(&mut session)?;
            if let Some(path) = out {
                write_text(path, &identity.token)?;
            }
            if let Some(path) = qr_out {
                super::access::write_qr(&identity.token, &identity.qr_svg, path)?;
            }
            output::emit(cli.json, &identity, |i| {
                output::fields(&[
                    ("vault", vec![i.vault_id.clone()]),
                    ("fingerprint", vec![i.fingerprint.clone()]),
                    ("age key", vec![i.recipient.clone()]),
                ]);
                if out.is_none() {
                    println!("{}", i.token);
                }
            })
        }
        TransferCommand::Pair { identity, name } => {
            let token = read_text(identity)?;
            let peer = transfer::pair(&mut session, &token, name)?;
            output::emit(cli.json, &peer, |p| {
                eprintln!(
                    "Paired with {} (vault {}). Fingerprint {}: check it matches the one that vault shows.",
                    p.name, p.vault_id, p.fingerprint
                );
            })
        }
        TransferCommand::Peers => {
            let peers = transfer::peers(&mut session)?;
            output::emit(cli.json, &peers, |peers| {
                if peers.is_empty() {
                    eprintln!("Not paired with any vault.");
                }
                for p in peers {
                    println!(
                        "{}  {}  fingerprint {}  sent {} bundle(s), confirmed to entry {}; received up to bundle {}; {} open conflict(s)",
                        p.name,
                        p.vault_id,
                        p.fingerprint,
                        p.sent_bundles,
                        p.acknowledged_to,
                        p.received_bundle,
                        p.open_conflicts
                    );
                }
            })
        }
        TransferCommand::Export { to, out, split_mb } => {
            let written = transfer::export(
                &mut session,
                to,
                out,
                split_mb.map(|mb| mb * 1_000_000),
                &|_| {},
            )?;
            output::emit(cli.json, &written, |w| {
                for file in &w.files {
                    println!("{}", file.display());
                }
                eprintln!(
                    "Bundle {}: {} patient(s), {} visit(s), {} narrative(s), {} photo(s) ({} image file(s)), {} consent(s); {} bytes.",
                    w.bundle,
                    w.counts.patients,
                    w.counts.encounters,
                    w.counts.narratives,
                    w.counts.photos,
                    w.counts.images,
                    w.counts.consents,
                    w.bytes
                );
            })
        }
        TransferCommand::Import {
            bundle,
            receipt_out,
        } => {
            let report = transfer::import(&mut session, bundle)?;
            let receipt_path = receipt_out
                .clone()
                .unwrap_or_else(|| transfer::bundle::receipt_path(bundle));
            write_text(&receipt_path, &report.receipt)?;
            output::emit(cli.json, &report, |r| {
                match &r.note {
                    Some(note) => eprintln!("Nothing imported: {note}."),
                    None => eprintln!(
                        "Bundle {} from {}: {} added, {} updated, {} already here, {} conflict(s), {} possible duplicate(s){}.",
                        r.bundle,
                        r.from_name,
                        r.outcome.added,
                        r.outcome.updated,
                        r.outcome.unchanged,
                        r.outcome.conflicts,
                        r.outcome.possible_duplicates,
                        match r.outcome.erased_here {
                            0 => String::new(),
                            n => format!(", {n} patient(s) erased here left out"),
                        }
                    ),
                }
                eprintln!("Receipt for {}: {}", r.from_name, receipt_path.display());
            })
        }
        TransferCommand::Receipt { file, to, out } => match (file, to, out) {
            (Some(file), _, _) => {
                let accepted = transfer::accept_receipt(&mut session, &read_text(file)?)?;
                output::emit(cli.json, &accepted, |a| {
                    eprintln!(
                        "{} confirmed everything up to entry {}{}.",
                        a.from_name,
                        a.acknowledged_to,
                        if a.advanced {
                            ""
                        } else {
                            " (as an earlier receipt had)"
                        }
                    );
                })
            }
            (None, Some(to), Some(out)) => {
                let (token, _) = transfer::receipt(&mut session, to)?;
                write_text(out, &token)?;
                output::emit(
                    cli.json,
                    &serde_json::json!({ "receipt": token, "file": out }),
                    |_| {
                        println!("{}", out.display());
                    },
                )
            }
            _ => anyhow::bail!(crate::secrets::UsageError(
                "give a receipt file to take in, or --to VAULT --out FILE to write one".into()
            )),
        },
        TransferCommand::Conflicts { resolve, keep, all } => match (resolve, keep) {
            (Some(id), Some(keep)) => {
                let settled = conflicts::resolve(&mut session, id, keep.parse()?)?;
                output::emit(cli.json, &settled, |c| {
                    eprintln!(
                        "Settled {} of {} {} ({}).",
                        c.id,
                        c.record,
                        c.human_id,
                        c.resolution.as_deref().unwrap_or("")
                    );
                })
            }
            _ => {
                let list = conflicts::list(&mut session, *all)?;
                output::emit(cli.json, &list, |list| {
                    if list.is_empty() {
                        eprintln!("No conflicts.");
                    }
                    for c in list {
                        println!(
                            "{}  {}  {} {} ({})  from {}  {}",
                            c.id,
                            c.kind,
                            c.record,
                            c.human_id,
                            c.patient_name,
                            c.from_name,
                            c.resolution.as_deref().unwrap_or("open")
                        );
                        for d in &c.differences {
                            println!("    {}: ours {}  theirs {}", d.field, d.ours, d.theirs);
                        }
                        if !c.matches.is_empty() {
                            println!("    may be: {}", c.matches.join(", "));
                        }
                    }
                })
            }
        },
    }
}

fn read_text(path: &Path) -> Result<String> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(text.trim().to_owned())
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}
