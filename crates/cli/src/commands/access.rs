//! `tessera access ...`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use tessera_core::access::{self, Card, Grant, NewGrant, Permission, SharedView, VerifiedToken};
use tessera_core::{Error, Session};

use crate::args::{AccessCommand, Cli};
use crate::output;

pub fn run(cli: &Cli, command: &AccessCommand) -> Result<()> {
    if let AccessCommand::Scan { images } = command {
        return scan(cli, images);
    }
    let mut session = super::unlock(cli)?;
    match command {
        AccessCommand::Grant {
            patient,
            perms,
            hours,
            qr_out,
        } => {
            let new = NewGrant {
                permissions: Permission::parse_list(perms)?,
                hours: *hours,
            };
            let issued = access::grant(&mut session, patient, new)?;
            if let Some(path) = qr_out {
                write_card(&issued.card, path)?;
            }
            output::emit(cli.json, &issued, |i| {
                println!("{}", i.code);
                eprintln!(
                    "Access code {} for {} ({}), until {}. Grant {}.",
                    i.code,
                    i.grant.human_id,
                    sections(&i.grant.permissions),
                    output::when(&i.grant.expires_at),
                    i.grant.id
                );
                eprintln!(
                    "The code is shown only now; the QR card can be written again with `tessera access card`."
                );
            })
        }
        AccessCommand::Verify { code, patient } => {
            let view = access::open_with_code(&mut session, code, patient.as_deref())?;
            output::emit(cli.json, &view, print_view)
        }
        AccessCommand::List { patient } => {
            let grants = access::list(&mut session, patient)?;
            output::emit(cli.json, &grants, |g| print_grants(g))
        }
        AccessCommand::Revoke { id } => {
            let grant = access::revoke(&mut session, id)?;
            output::emit(cli.json, &grant, |g| {
                eprintln!("Revoked grant {} for {}.", g.id, g.human_id);
            })
        }
        AccessCommand::Card { id, qr_out } => {
            let card = access::reprint(&mut session, id)?;
            write_card(&card, qr_out)?;
            output::emit(cli.json, &card, |c| println!("{}", c.token))
        }
        AccessCommand::Key => {
            let key = access::public_key(&mut session)?;
            output::emit(cli.json, &key, |k| {
                output::fields(&[
                    ("key id", vec![k.key_id.clone()]),
                    ("algorithm", vec![format!("{} ({})", k.algorithm, k.curve)]),
                    ("x", vec![k.x.clone()]),
                ]);
                print!("{}", k.pem);
            })
        }
        AccessCommand::Scan { .. } => unreachable!("handled above"),
    }
}

fn sections(permissions: &[Permission]) -> String {
    permissions
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the card as SVG or PNG, by the file's extension.
fn write_card(card: &Card, path: &Path) -> Result<()> {
    write_qr(&card.token, &card.qr_svg, path)
}

/// Writes a token's QR code to `path`: the SVG as made, or a PNG drawn from the token.
pub(super) fn write_qr(token: &str, svg: &str, path: &Path) -> Result<()> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match extension.as_deref() {
        Some("svg") => svg.as_bytes().to_vec(),
        Some("png") => png(&access::qr_matrix(token)?)?,
        _ => bail!(crate::secrets::UsageError(format!(
            "--qr-out {}: name a .svg or .png file",
            path.display()
        ))),
    };
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The QR code as a PNG, 8 pixels per module, with its quiet zone.
fn png(matrix: &access::QrMatrix) -> Result<Vec<u8>> {
    const SCALE: usize = 8;
    let side = (matrix.width + 2 * access::QUIET_ZONE) * SCALE;
    let image = image::GrayImage::from_fn(side as u32, side as u32, |x, y| {
        let module = |p: u32| (p as usize / SCALE).checked_sub(access::QUIET_ZONE);
        let dark = match (module(x), module(y)) {
            (Some(mx), Some(my)) if mx < matrix.width && my < matrix.width => {
                matrix.dark[my * matrix.width + mx]
            }
            _ => false,
        };
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

fn print_view(view: &SharedView) {
    let p = &view.patient;
    output::fields(&[
        (
            "patient",
            vec![format!(
                "{} {} ({})",
                p.given_name, p.family_name, p.human_id
            )],
        ),
        ("born", p.date_of_birth.iter().cloned().collect()),
        (
            "access",
            vec![format!(
                "{} until {}",
                sections(&view.grant.permissions),
                output::when(&view.grant.expires_at)
            )],
        ),
    ]);
    if let Some(e) = &view.emergency {
        output::fields(&[
            ("alerts", e.medical_alerts.clone()),
            (
                "blood type",
                e.blood_type.iter().map(output::name).collect(),
            ),
            (
                "contacts",
                e.emergency_contacts
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.phone))
                    .collect(),
            ),
        ]);
    }
    if let Some(m) = &view.medications {
        output::fields(&[
            (
                "allergies",
                m.allergies.iter().map(|a| a.substance.clone()).collect(),
            ),
            (
                "medications",
                m.medications.iter().map(|m| m.name.clone()).collect(),
            ),
            ("conditions", m.chronic_conditions.clone()),
        ]);
    }
    if let Some(profile) = &view.profile {
        output::fields(&[
            ("phone", profile.phone.iter().cloned().collect()),
            ("location", profile.location.iter().cloned().collect()),
            ("status", vec![output::name(&profile.status)]),
        ]);
    }
    if let Some(visits) = &view.visits {
        let rows: Vec<String> = visits
            .iter()
            .map(|v| format!("{}  {}", output::when(&v.occurred_at), v.reason))
            .collect();
        output::fields(&[("visits", rows)]);
    }
    if let Some(photos) = &view.photos {
        output::fields(&[("photos", vec![photos.len().to_string()])]);
    }
    if let Some(narratives) = &view.narratives {
        output::fields(&[("narratives", vec![narratives.len().to_string()])]);
    }
}

fn print_grants(grants: &[Grant]) {
    if grants.is_empty() {
        eprintln!("No access grants.");
        return;
    }
    let rows: Vec<Vec<String>> = grants
        .iter()
        .map(|g| {
            vec![
                g.id.clone(),
                output::name(&g.status),
                sections(&g.permissions),
                output::when(&g.expires_at),
                g.uses.to_string(),
                g.created_by.clone(),
            ]
        })
        .collect();
    output::table(&["ID", "STATE", "SECTIONS", "EXPIRES", "USES", "BY"], &rows);
}

/// What `access scan` found in one image.
#[derive(Debug, Serialize)]
struct ScannedImage {
    image: PathBuf,
    /// Why the image could not be read at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    codes: Vec<ScannedCode>,
}

/// One QR code found, and what checking it said.
#[derive(Debug, Serialize)]
struct ScannedCode {
    text: String,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<VerifiedToken>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The refusal itself, for the exit code.
    #[serde(skip)]
    refusal: Option<tessera_core::AccessRefusal>,
}

/// Outcome of a whole scan, for the exit code.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ScanFailed(String);

fn scan(cli: &Cli, images: &[PathBuf]) -> Result<()> {
    let mut session = super::unlock(cli)?;
    let mut scanner = tessera_camera::Scanner::this_executable()
        .context("cannot find this program to start the QR decoder")?;
    let mut report = Vec::with_capacity(images.len());
    for image in images {
        report.push(scan_image(&mut session, &mut scanner, image));
    }
    let all_valid = report
        .iter()
        .all(|r| r.error.is_none() && r.codes.iter().any(|c| c.valid));
    let refused = report
        .iter()
        .flat_map(|r| &r.codes)
        .find_map(|c| c.refusal.clone());
    output::emit(cli.json, &report, |r| print_scan(r))?;
    if all_valid {
        return Ok(());
    }
    match refused {
        // A refused token is an authorization outcome (exit 3), like a wrong code.
        Some(refusal) => Err(Error::AccessRefused(refusal)).context("a scanned code was refused"),
        None => Err(ScanFailed("not every image held a Tessera QR code".into()).into()),
    }
}

fn scan_image(
    session: &mut Session,
    scanner: &mut tessera_camera::Scanner,
    image: &Path,
) -> ScannedImage {
    let found = std::fs::read(image)
        .map_err(|e| format!("cannot read {}: {}", image.display(), e.kind()))
        .and_then(|bytes| scanner.scan_image(&bytes).map_err(|e| e.to_string()));
    let texts = match found {
        Ok(texts) => texts,
        Err(error) => {
            return ScannedImage {
                image: image.to_path_buf(),
                error: Some(error),
                codes: Vec::new(),
            };
        }
    };
    let codes = texts
        .into_iter()
        .map(|text| match access::verify_token(session, &text) {
            Ok(token) => ScannedCode {
                text,
                valid: true,
                token: Some(token),
                reason: None,
                message: None,
                refusal: None,
            },
            Err(err) => ScannedCode {
                text,
                valid: false,
                token: None,
                reason: Some(match &err {
                    Error::AccessRefused(r) => r.name(),
                    _ => "error",
                }),
                message: Some(err.to_string()),
                refusal: match err {
                    Error::AccessRefused(r) => Some(r),
                    _ => None,
                },
            },
        })
        .collect();
    ScannedImage {
        image: image.to_path_buf(),
        error: None,
        codes,
    }
}

fn print_scan(report: &[ScannedImage]) {
    for image in report {
        let name = image.image.display();
        if let Some(error) = &image.error {
            println!("{name}: {error}");
            continue;
        }
        if image.codes.is_empty() {
            println!("{name}: no QR code found");
        }
        for code in &image.codes {
            match &code.token {
                Some(t) => println!(
                    "{name}: valid: {} ({}) until {}",
                    t.patient,
                    sections(&t.permissions),
                    output::when(&t.expires_at)
                ),
                None => println!(
                    "{name}: refused: {}",
                    code.message.as_deref().unwrap_or_default()
                ),
            }
        }
    }
}
