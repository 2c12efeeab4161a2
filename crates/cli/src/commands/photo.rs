//! `tessera photo ...`.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use tessera_core::listing::Listing;
use tessera_core::media::{
    self, FileOutcome, FileResult, ImportOptions, Photo, PhotoEdit, Variant,
};

use crate::args::{Cli, PhotoCommand, PhotoGetArgs};
use crate::output;

pub fn run(cli: &Cli, command: &PhotoCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        PhotoCommand::Import {
            patient,
            files,
            privacy,
            caption,
        } => {
            let options = ImportOptions {
                privacy: *privacy,
                caption: caption.clone(),
            };
            let show_progress = !cli.json && std::io::stderr().is_terminal();
            let mut progress = |p: media::BatchProgress| {
                if show_progress {
                    eprint!("\rImporting {}/{}…", p.done, p.total);
                    if p.done == p.total {
                        eprintln!();
                    }
                }
            };
            let never = AtomicBool::new(false);
            let results = media::import_files(
                &mut session,
                patient,
                files,
                &options,
                &mut progress,
                &never,
            )?;
            report_import(cli.json, &results)
        }
        PhotoCommand::List { patient, deleted } => {
            let listing = if *deleted {
                Listing::Deleted
            } else {
                Listing::Current
            };
            let photos = media::list(&mut session, patient, listing)?;
            output::emit(cli.json, &photos, |p| print_list(p))
        }
        PhotoCommand::Show { id } => {
            let photo = media::get(&mut session, id)?;
            output::emit(cli.json, &photo, print_photo)
        }
        PhotoCommand::Get(args) => get(cli, &mut session, args),
        PhotoCommand::Edit {
            id,
            caption,
            privacy,
        } => {
            let change = PhotoEdit {
                caption: caption.clone(),
                privacy: *privacy,
            };
            let photo = media::edit(&mut session, id, change)?;
            output::emit(cli.json, &photo, |p| {
                eprintln!("Saved photo {}.", p.id);
            })
        }
        PhotoCommand::Delete { id } => {
            let photo = media::delete(&mut session, id)?;
            output::emit(cli.json, &photo, |p| {
                eprintln!(
                    "Moved photo {} to the bin; `tessera photo restore` brings it back.",
                    p.id
                );
            })
        }
        PhotoCommand::Restore { id } => {
            let photo = media::restore(&mut session, id)?;
            output::emit(cli.json, &photo, |p| eprintln!("Restored photo {}.", p.id))
        }
    }
}

/// One file's result as printed with `--json`: the photo's fields (with `id`) when there is
/// one, plus the file, the status and any message.
#[derive(Serialize)]
struct ImportLine<'a> {
    path: &'a Path,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    photo: Option<&'a Photo>,
}

fn report_import(json: bool, results: &[FileResult]) -> Result<()> {
    let lines: Vec<ImportLine<'_>> = results
        .iter()
        .map(|r| {
            let (status, photo, message) = match &r.outcome {
                FileOutcome::Imported { photo } => ("imported", Some(photo), None),
                FileOutcome::Duplicate { photo } => ("duplicate", Some(photo), None),
                FileOutcome::Failed { message } => ("failed", None, Some(message.as_str())),
                FileOutcome::Cancelled => ("cancelled", None, None),
            };
            ImportLine {
                path: &r.path,
                status,
                message,
                photo,
            }
        })
        .collect();
    if json {
        // One file: its object (with `id`), like every other creating command; several: an array.
        match lines.as_slice() {
            [one] => output::emit(true, one, |_| {})?,
            _ => output::emit(true, &lines, |_| {})?,
        }
    } else {
        for line in &lines {
            match (line.photo, line.message) {
                (Some(photo), _) if line.status == "duplicate" => eprintln!(
                    "{}: already imported as {}{}",
                    line.path.display(),
                    photo.id,
                    if photo.deleted_at.is_some() {
                        " (in the bin)"
                    } else {
                        ""
                    }
                ),
                (Some(photo), _) => {
                    println!("{}", photo.id);
                    eprintln!("{}: imported", line.path.display());
                }
                (None, Some(message)) => eprintln!("{}: {message}", line.path.display()),
                (None, None) => eprintln!("{}: {}", line.path.display(), line.status),
            }
        }
    }
    let failed = lines.iter().filter(|l| l.status == "failed").count();
    if failed > 0 {
        bail!("{failed} of {} file(s) could not be imported", lines.len());
    }
    Ok(())
}

fn get(cli: &Cli, session: &mut tessera_core::Session, args: &PhotoGetArgs) -> Result<()> {
    let variant = if args.thumb {
        Variant::Thumbnail
    } else if args.preview {
        Variant::Preview
    } else {
        Variant::Original
    };
    let file = media::open(session, &args.id, variant)?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    out.write_all(&file.bytes)
        .and_then(|()| out.sync_all())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    output::emit(cli.json, &file.photo, |p| {
        eprintln!(
            "Wrote {} ({}, {} bytes) of photo {}.",
            args.out.display(),
            file.mime,
            file.bytes.len(),
            p.id
        );
    })
}

fn print_list(photos: &[Photo]) {
    if photos.is_empty() {
        eprintln!("No photos.");
        return;
    }
    let rows: Vec<Vec<String>> = photos
        .iter()
        .map(|p| {
            vec![
                p.id.clone(),
                format!("{}×{}", p.width, p.height),
                p.format.clone(),
                p.taken_at.clone().unwrap_or_default(),
                output::name(&p.privacy),
                p.caption.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::table(
        &["ID", "SIZE", "FORMAT", "TAKEN", "PRIVACY", "CAPTION"],
        &rows,
    );
}

fn print_photo(p: &Photo) {
    let camera = [p.camera_make.as_deref(), p.camera_model.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let opt = |v: Option<String>| v.into_iter().collect::<Vec<_>>();
    output::fields(&[
        ("id", vec![p.id.clone()]),
        ("patient", vec![p.patient_id.clone()]),
        (
            "image",
            vec![format!(
                "{} {}×{}, {} bytes",
                p.format, p.width, p.height, p.byte_size
            )],
        ),
        ("taken", opt(p.taken_at.clone())),
        ("camera", opt(Some(camera).filter(|c| !c.is_empty()))),
        (
            "location",
            opt(p
                .location
                .map(|l| format!("{:.5}, {:.5}", l.latitude, l.longitude))),
        ),
        ("caption", opt(p.caption.clone())),
        ("file", opt(p.source_name.clone())),
        ("privacy", vec![output::name(&p.privacy)]),
        (
            "imported",
            vec![format!(
                "{} by {}",
                output::when(&p.imported_at),
                p.imported_by
            )],
        ),
        (
            "in bin since",
            opt(p.deleted_at.as_deref().map(output::when)),
        ),
    ]);
}
