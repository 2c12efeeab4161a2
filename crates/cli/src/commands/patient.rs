//! `tessera patient ...`.

use anyhow::{Result, bail};
use serde_json::Value;
use tessera_core::listing::Listing;
use tessera_core::patients::profile::{
    Allergy, CommunicationPreferences, EmergencyContact, Insurance, Medication,
};
use tessera_core::patients::{self, Patient, PatientSummary, Profile, Registration};
use tessera_core::{Error, clock, merge};

use crate::args::{Cli, JsonFile, PatientCommand, PatientEditArgs, ProfileFlags};
use crate::input::{self, Object};
use crate::output;
use crate::secrets::UsageError;

/// What `patient show --json` prints beside the profile; ignored in a profile file.
const BOOKKEEPING: [&str; 5] = ["id", "human_id", "created_at", "updated_at", "deleted_at"];

pub fn run(cli: &Cli, command: &PatientCommand) -> Result<()> {
    match command {
        PatientCommand::Add {
            file,
            fields,
            not_duplicate,
        } => add(cli, file, fields, *not_duplicate),
        PatientCommand::Edit(args) => edit(cli, args),
        PatientCommand::List { deleted, limit } => {
            let listing = if *deleted {
                Listing::Deleted
            } else {
                Listing::Current
            };
            let list = patients::list(&mut super::unlock(cli)?, listing, limit.limit)?;
            output::emit(cli.json, &list, |l| print_summaries(l, limit.limit))
        }
        PatientCommand::Search { query, limit } => {
            let found = patients::search(&mut super::unlock(cli)?, query, limit.limit)?;
            output::emit(cli.json, &found, |l| print_summaries(l, limit.limit))
        }
        PatientCommand::Show { patient } => {
            let patient = patients::get(&mut super::unlock(cli)?, patient)?;
            output::emit(cli.json, &patient, print_patient)
        }
        PatientCommand::Delete { patient, reason } => {
            let patient = patients::delete(&mut super::unlock(cli)?, patient, reason.as_deref())?;
            output::emit(cli.json, &patient, |p| {
                eprintln!(
                    "Moved {} ({}) to the bin; an admin can restore it within {} days.",
                    p.human_id,
                    full_name(&p.profile),
                    patients::RESTORE_WINDOW_DAYS
                )
            })
        }
        PatientCommand::Erase {
            patient,
            anonymise,
            yes,
        } => super::erasure::erase(cli, patient, *anonymise, *yes),
        PatientCommand::SubjectExport {
            patient,
            out,
            encrypt,
            recipient,
        } => super::erasure::subject_export(cli, patient, out, *encrypt, recipient),
        PatientCommand::Merge { survivor, other } => {
            let merged = merge::merge(&mut super::unlock(cli)?, survivor, other)?;
            output::emit(cli.json, &merged, |m| {
                eprintln!(
                    "Merged {} into {survivor}; undo with `tessera patient unmerge {}` until the bin empties.",
                    m.merged_human_id, m.merged_human_id
                )
            })
        }
        PatientCommand::Unmerge { merged } => {
            let undone = merge::undo(&mut super::unlock(cli)?, merged)?;
            output::emit(cli.json, &undone, |m| {
                eprintln!("Undid the merge of {}.", m.merged_human_id)
            })
        }
        PatientCommand::Restore { patient } => {
            let patient = patients::restore(&mut super::unlock(cli)?, patient)?;
            output::emit(cli.json, &patient, |p| {
                eprintln!("Restored {} ({}).", p.human_id, full_name(&p.profile))
            })
        }
    }
}

fn add(cli: &Cli, file: &JsonFile, fields: &ProfileFlags, not_duplicate: bool) -> Result<()> {
    let mut object = match &file.file {
        Some(path) => {
            let mut object = input::read_object(path, cli.password_stdin)?;
            input::take_version(&mut object, &BOOKKEEPING)?;
            object
        }
        None if fields.given.is_none() || fields.family.is_none() => bail!(UsageError(
            "patient add needs --given and --family, or a profile file: --json FILE".into()
        )),
        None => Object::new(),
    };
    apply(fields, &mut object)?;
    let profile = to_profile(object)?;
    let registration = if not_duplicate {
        Registration::NotADuplicate
    } else {
        Registration::CheckDuplicates
    };
    let patient =
        patients::create(&mut super::unlock(cli)?, profile, registration).map_err(|e| match e {
            Error::LikelyDuplicate { .. } => anyhow::Error::new(e)
                .context("not registered (add --not-duplicate if this is someone else)"),
            other => other.into(),
        })?;
    output::emit(cli.json, &patient, |p| {
        println!("{}", p.human_id);
        eprintln!("Registered {} as {}.", full_name(&p.profile), p.human_id);
    })
}

fn edit(cli: &Cli, args: &PatientEditArgs) -> Result<()> {
    // Read the file before unlocking, so a bad one costs no sign-in.
    let file = match &args.file.file {
        Some(path) => {
            let mut object = input::read_object(path, cli.password_stdin)?;
            let version = input::take_version(&mut object, &BOOKKEEPING)?;
            Some((object, version))
        }
        None if args.fields.is_empty() => bail!(UsageError(
            "nothing to change: give the fields to change as flags, or --json FILE".into()
        )),
        None => None,
    };
    let mut session = super::unlock(cli)?;
    let current = patients::get(&mut session, &args.patient)?;
    let (mut object, file_version) = match file {
        Some(file) => file,
        None => (profile_object(&current.profile)?, None),
    };
    apply(&args.fields, &mut object)?;
    let profile = to_profile(object)?;
    let expected = args
        .expect_version
        .or(file_version)
        .unwrap_or(current.version);
    let saved = patients::edit(&mut session, &args.patient, profile, expected)?;
    output::emit(cli.json, &saved, |p| {
        if p.version == current.version {
            eprintln!(
                "No change: {} is as it was (version {}).",
                p.human_id, p.version
            );
        } else {
            eprintln!("Saved {} (version {}).", p.human_id, p.version);
        }
    })
}

impl ProfileFlags {
    fn is_empty(&self) -> bool {
        let texts = [
            &self.given,
            &self.family,
            &self.preferred_name,
            &self.dob,
            &self.sex,
            &self.phone,
            &self.location,
            &self.language,
            &self.blood_type,
            &self.organ_donor,
            &self.status,
        ];
        let lists = [&self.allergies, &self.conditions, &self.alerts];
        texts.iter().all(|t| t.is_none()) && lists.iter().all(|l| l.is_none())
    }
}

/// Writes the given flags into a profile's JSON object: each replaces its field, a blank
/// value clears it, a list flag replaces the whole list.
fn apply(flags: &ProfileFlags, object: &mut Object) -> Result<()> {
    // The names are required: a blank one is kept, for the core to refuse by name.
    for (key, value) in [("given_name", &flags.given), ("family_name", &flags.family)] {
        if let Some(value) = value {
            object.insert(key.to_owned(), Value::from(value.as_str()));
        }
    }
    let lower = |s: &String| s.trim().to_lowercase();
    let texts = [
        ("preferred_name", flags.preferred_name.clone()),
        ("date_of_birth", flags.dob.clone()),
        ("sex", flags.sex.as_ref().map(lower)),
        ("phone", flags.phone.clone()),
        ("location", flags.location.clone()),
        ("preferred_language", flags.language.clone()),
        (
            "blood_type",
            flags.blood_type.as_ref().map(|s| s.trim().to_uppercase()),
        ),
        ("status", flags.status.as_ref().map(lower)),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            input::set_text(object, key, &value);
        }
    }
    if let Some(donor) = &flags.organ_donor {
        match lower(donor).as_str() {
            "" => {
                object.remove("organ_donor");
            }
            "true" | "yes" => {
                object.insert("organ_donor".into(), Value::Bool(true));
            }
            "false" | "no" => {
                object.insert("organ_donor".into(), Value::Bool(false));
            }
            _ => bail!("organ donor: {donor:?} is neither true nor false"),
        }
    }
    let lists = [
        ("allergies", &flags.allergies),
        ("chronic_conditions", &flags.conditions),
        ("medical_alerts", &flags.alerts),
    ];
    for (key, items) in lists {
        if let Some(items) = items {
            input::set_list(object, key, items);
        }
    }
    Ok(())
}

fn to_profile(object: Object) -> Result<Profile> {
    let base = profile_object(&Profile::named("x", "x"))?;
    input::from_object(object, &base)
}

fn profile_object(profile: &Profile) -> Result<Object> {
    match serde_json::to_value(profile)? {
        Value::Object(object) => Ok(object),
        _ => bail!("a profile did not serialise to a JSON object"),
    }
}

fn full_name(p: &Profile) -> String {
    match &p.preferred_name {
        Some(preferred) => format!("{} {} (\"{preferred}\")", p.given_name, p.family_name),
        None => format!("{} {}", p.given_name, p.family_name),
    }
}

fn print_summaries(list: &[PatientSummary], limit: u32) {
    if list.is_empty() {
        eprintln!("No patients found.");
        return;
    }
    let deleted = list.iter().any(|p| p.deleted_at.is_some());
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            let mut row = vec![
                p.human_id.clone(),
                format!("{}, {}", p.family_name, p.given_name),
                p.date_of_birth.clone().unwrap_or_default(),
                p.status.clone(),
            ];
            if deleted {
                row.push(
                    p.deleted_at
                        .as_deref()
                        .map(output::when)
                        .unwrap_or_default(),
                );
            }
            row
        })
        .collect();
    let mut headers = vec!["ID", "NAME", "BORN", "STATUS"];
    if deleted {
        headers.push("DELETED");
    }
    output::table(&headers, &rows);
    if list.len() == limit as usize {
        eprintln!("(the first {limit}; --limit shows more)");
    }
}

/// The whole record, alerts and allergies first.
fn print_patient(patient: &Patient) {
    let p = &patient.profile;
    println!("{}  {}", patient.human_id, full_name(p));
    if let Some(at) = &patient.deleted_at {
        println!("In the bin since {at}; an admin can restore it within 30 days of that.");
    }
    println!();
    print_list("MEDICAL ALERTS", p.medical_alerts.iter().cloned());
    print_list("ALLERGIES", p.allergies.iter().map(allergy));
    println!();
    let one = |v: Option<String>| v.into_iter().collect::<Vec<_>>();
    output::fields(&[
        ("preferred name", one(p.preferred_name.clone())),
        (
            "date of birth",
            one(p.date_of_birth.as_deref().map(with_age)),
        ),
        ("sex", one(p.sex.as_ref().map(output::name))),
        ("phone", one(p.phone.clone())),
        ("location", one(p.location.clone())),
        ("language", one(p.preferred_language.clone())),
        ("blood type", one(p.blood_type.as_ref().map(output::name))),
        (
            "organ donor",
            one(p
                .organ_donor
                .map(|d| if d { "yes" } else { "no" }.to_owned())),
        ),
        ("conditions", p.chronic_conditions.clone()),
        (
            "medications",
            p.medications.iter().map(medication).collect(),
        ),
        (
            "emergency contacts",
            p.emergency_contacts.iter().map(contact).collect(),
        ),
        ("insurance", one(p.insurance.as_ref().map(insurance))),
        (
            "communication",
            one(p.communication.as_ref().map(communication)),
        ),
        ("status", vec![p.status.as_str().to_owned()]),
        ("registered", vec![patient.created_at.clone()]),
        (
            "updated",
            vec![format!(
                "{} (version {})",
                patient.updated_at, patient.version
            )],
        ),
        ("id", vec![patient.id.clone()]),
    ]);
}

fn print_list(title: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        println!("{title}: none recorded");
    } else {
        println!("{title}");
        for item in items {
            println!("  - {item}");
        }
    }
}

fn allergy(a: &Allergy) -> String {
    let detail: Vec<String> = a
        .reaction
        .iter()
        .cloned()
        .chain(a.severity.as_ref().map(output::name))
        .collect();
    if detail.is_empty() {
        a.substance.clone()
    } else {
        format!("{} ({})", a.substance, detail.join(", "))
    }
}

fn medication(m: &Medication) -> String {
    let mut text = [&Some(m.name.clone()), &m.dose, &m.frequency]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(by) = &m.prescriber {
        text.push_str(&format!(" (prescribed by {by})"));
    }
    text
}

fn contact(c: &EmergencyContact) -> String {
    let mut text = c.name.clone();
    if let Some(r) = &c.relationship {
        text.push_str(&format!(" ({r})"));
    }
    text.push_str(&format!(", {}", c.phone));
    if c.primary {
        text.push_str(", primary");
    }
    text
}

fn insurance(i: &Insurance) -> String {
    let mut text = i.provider.clone();
    if let Some(n) = &i.policy_number {
        text.push_str(&format!(", policy {n}"));
    }
    if let Some(g) = &i.group_number {
        text.push_str(&format!(", group {g}"));
    }
    text
}

fn communication(c: &CommunicationPreferences) -> String {
    let mut parts: Vec<String> = c.channel.as_ref().map(output::name).into_iter().collect();
    if c.interpreter_needed {
        parts.push("interpreter needed".into());
    }
    if c.may_leave_messages {
        parts.push("messages may be left".into());
    }
    parts.extend(c.notes.clone());
    parts.join("; ")
}

/// `1984-03-09 (age 42)`.
fn with_age(dob: &str) -> String {
    let Some(born) = clock::parse_date(dob) else {
        return dob.to_owned();
    };
    let today = clock::today_utc();
    let mut age = today.year() - born.year();
    if (u8::from(today.month()), today.day()) < (u8::from(born.month()), born.day()) {
        age -= 1;
    }
    format!("{dob} (age {age})")
}
