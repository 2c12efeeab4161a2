//! `tessera credential ...`.

use anyhow::{Result, bail};
use serde_json::Value;
use tessera_core::credentials::{
    self, Certification, Credentials, ExpiringCertification, ProviderCredentials,
};

use crate::args::{Cli, CredentialCommand, CredentialSetArgs};
use crate::input::{self, Object};
use crate::output;
use crate::secrets::UsageError;

/// What `credential show --json` prints beside the credentials; ignored in a file.
const BOOKKEEPING: [&str; 3] = ["username", "updated_at", "updated_by"];

pub fn run(cli: &Cli, command: &CredentialCommand) -> Result<()> {
    match command {
        CredentialCommand::Set(args) => set(cli, args),
        CredentialCommand::Show { username } => {
            let Some(found) = credentials::show(&mut super::unlock(cli)?, username)? else {
                anyhow::bail!("no credentials are recorded for {username}");
            };
            output::emit(cli.json, &found, print_credentials)
        }
        CredentialCommand::Expiring { days } => {
            let list = credentials::expiring(&mut super::unlock(cli)?, *days)?;
            output::emit(cli.json, &list, |l| print_expiring(l, *days))
        }
    }
}

fn set(cli: &Cli, args: &CredentialSetArgs) -> Result<()> {
    let file = match &args.file.file {
        Some(path) => {
            let mut object = input::read_object(path, cli.password_stdin)?;
            let version = input::take_version(&mut object, &BOOKKEEPING)?;
            Some((object, version))
        }
        None => None,
    };
    let flags = [
        &args.specialisations,
        &args.affiliations,
        &args.certifications,
    ];
    if file.is_none()
        && args.licence.is_none()
        && args.verification.is_none()
        && flags.iter().all(|f| f.is_none())
    {
        bail!(UsageError(
            "nothing to set: give the fields as flags, or --json FILE".into()
        ));
    }
    let certifications = args
        .certifications
        .as_deref()
        .map(|list| {
            list.iter()
                .map(|c| certification(c))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;

    let mut session = super::unlock(cli)?;
    let current = credentials::show(&mut session, &args.username)?;
    let (mut object, file_version) = match (file, &current) {
        (Some(file), _) => file,
        (None, Some(found)) => (to_object(&found.credentials)?, None),
        (None, None) => (Object::new(), None),
    };
    if let Some(licence) = &args.licence {
        input::set_text(&mut object, "licence_number", licence);
    }
    for (key, items) in [
        ("specialisations", &args.specialisations),
        ("affiliations", &args.affiliations),
    ] {
        if let Some(items) = items {
            input::set_list(&mut object, key, items);
        }
    }
    if let Some(list) = certifications {
        object.insert("certifications".into(), serde_json::to_value(list)?);
    }
    if let Some(verification) = &args.verification {
        object.insert("verification".into(), serde_json::to_value(verification)?);
    }
    let credentials: Credentials = input::from_object(object, &Object::new())?;
    let expected = args
        .expect_version
        .or(file_version)
        .or(current.as_ref().map(|c| c.version));
    let saved = credentials::set(&mut session, &args.username, credentials, expected)?;
    output::emit(cli.json, &saved, |c| {
        eprintln!(
            "Saved the credentials of {} (version {}).",
            c.username, c.version
        )
    })
}

/// `NAME|ISSUER|ISSUED|EXPIRES`, trailing parts optional, blank parts left out.
fn certification(text: &str) -> Result<Certification> {
    let mut parts = text.split('|').map(|p| {
        let p = p.trim();
        (!p.is_empty()).then(|| p.to_owned())
    });
    let certification = Certification {
        name: parts.next().flatten().unwrap_or_default(),
        issuer: parts.next().flatten(),
        issued_on: parts.next().flatten(),
        expires_on: parts.next().flatten(),
    };
    if parts.next().is_some() {
        bail!(UsageError(format!(
            "--certification {text:?}: at most four parts, NAME|ISSUER|ISSUED|EXPIRES"
        )));
    }
    Ok(certification)
}

fn to_object(credentials: &Credentials) -> Result<Object> {
    match serde_json::to_value(credentials)? {
        Value::Object(object) => Ok(object),
        _ => bail!("credentials did not serialise to a JSON object"),
    }
}

fn print_credentials(c: &ProviderCredentials) {
    let cred = &c.credentials;
    let certifications = cred.certifications.iter().map(|cert| {
        let mut text = cert.name.clone();
        if let Some(issuer) = &cert.issuer {
            text.push_str(&format!(" ({issuer})"));
        }
        if let Some(on) = &cert.issued_on {
            text.push_str(&format!(", issued {on}"));
        }
        if let Some(on) = &cert.expires_on {
            text.push_str(&format!(", expires {on}"));
        }
        text
    });
    output::fields(&[
        ("user", vec![c.username.clone()]),
        ("licence", cred.licence_number.iter().cloned().collect()),
        ("specialisations", cred.specialisations.clone()),
        ("affiliations", cred.affiliations.clone()),
        ("certifications", certifications.collect()),
        ("verification", vec![output::name(&cred.verification)]),
        (
            "updated",
            vec![format!(
                "{} by {} (version {})",
                c.updated_at, c.updated_by, c.version
            )],
        ),
    ]);
}

fn print_expiring(list: &[ExpiringCertification], days: i64) {
    if list.is_empty() {
        eprintln!("No certification expires within {days} days.");
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            let left = match e.days_left {
                0 => "today".to_owned(),
                d if d < 0 => format!("expired {} days ago", -d),
                d => format!("in {d} days"),
            };
            vec![
                e.username.clone(),
                e.certification.clone(),
                e.expires_on.clone(),
                left,
            ]
        })
        .collect();
    output::table(&["USER", "CERTIFICATION", "EXPIRES", "WHEN"], &rows);
}
