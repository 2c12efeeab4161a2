//! The record an export holds, as one structure every format is written from: the JSON
//! file is it, the CSV tables are its lists, the PDF lays it out. The subject access
//! export's `record.json` is the same structure with every section filled.
//!
//! Which sections it holds is decided here, from the export's kind and the exporting role,
//! and nowhere else: a section a role may not read is absent (never empty, because "no
//! allergies" and "not shown" must not look alike). Its layout is published as a JSON
//! Schema in `docs/record.schema.json` and explained in `docs/formats.md`.

use std::fmt;
use std::str::FromStr;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{self, Grant};
use crate::audit_chain::{self, AuditRecord};
use crate::clock;
use crate::consents::{self, Consent};
use crate::encounters::{self, Encounter};
use crate::error::{Error, Result};
use crate::media::{self, Photo};
use crate::narratives::{self, Narrative, Revision};
use crate::patients::sections::{EmergencySection, Identity, MedicationSection, ProfileSection};
use crate::patients::{self, PatientRef};
use crate::policy::{self, Action, Principal, Role};
use crate::session::Actor;

/// The value of `format` in every record.
pub const FORMAT: &str = "tessera-record";
/// The version of the record's layout; a change that could break a reader raises it.
pub const FORMAT_VERSION: u32 = 1;

/// Visits a summary or a referral shows: the newest ones.
pub const RECENT_VISITS: usize = 10;
/// Narratives a referral shows: the newest ones.
pub const RECENT_NARRATIVES: usize = 5;

/// What an export is for.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// Emergency information, alerts, allergies and medications first, then the newest visits.
    Summary,
    /// Everything the exporting role may read.
    Full,
    /// A letter to another clinician: the summary's content, recent narratives, a purpose.
    Referral,
    /// Everything the vault holds on the person (admins only; see `subject_export`).
    SubjectAccess,
}

impl ExportKind {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Summary => "summary",
            ExportKind::Full => "full",
            ExportKind::Referral => "referral",
            ExportKind::SubjectAccess => "subject_access",
        }
    }

    /// A title for people.
    pub fn title(self) -> &'static str {
        match self {
            ExportKind::Summary => "Patient summary",
            ExportKind::Full => "Full record",
            ExportKind::Referral => "Referral letter",
            ExportKind::SubjectAccess => "Subject access export",
        }
    }
}

impl fmt::Display for ExportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<ExportKind> {
        match s.trim().to_lowercase().as_str() {
            "summary" => Ok(ExportKind::Summary),
            "full" => Ok(ExportKind::Full),
            "referral" => Ok(ExportKind::Referral),
            _ => Err(Error::invalid(
                "kind",
                format!("unknown kind {s:?}; use summary, full or referral"),
            )),
        }
    }
}

/// Dates an export is limited to, each end optional and inclusive (`YYYY-MM-DD`, UTC).
/// Visits, narratives, photos and consents outside it are left out; the profile is not
/// dated and is always whole.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// First day included.
    pub from: Option<String>,
    /// Last day included.
    pub to: Option<String>,
}

impl DateRange {
    /// Checks both ends are dates and in order.
    pub fn checked(self) -> Result<DateRange> {
        for (field, value) in [("from", &self.from), ("to", &self.to)] {
            if let Some(day) = value
                && clock::parse_date(day).is_none()
            {
                return Err(Error::invalid(field, "use a date like 2026-03-31"));
            }
        }
        if let (Some(from), Some(to)) = (&self.from, &self.to)
            && from > to
        {
            return Err(Error::invalid("to", "the range ends before it begins"));
        }
        Ok(self)
    }

    /// Whether this range limits anything.
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether the instant (RFC 3339, UTC) falls on a day in the range.
    fn contains(&self, instant: &str) -> bool {
        let day = instant.get(..10).unwrap_or(instant);
        self.from.as_deref().is_none_or(|from| day >= from)
            && self.to.as_deref().is_none_or(|to| day <= to)
    }
}

/// Who made an export.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exporter {
    /// User name.
    pub username: String,
    /// Role at the time.
    pub role: Role,
    /// Their professional credentials in one line (licence, specialisations), when known:
    /// a referral letter is signed with them.
    pub credentials: Option<String>,
}

/// Whom a referral letter is for, and why.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// The clinician or service addressed, e.g. "Dr A. Mwangi, Kenyatta Hospital".
    pub to: String,
    /// Why the patient is referred.
    pub purpose: String,
}

impl Referral {
    /// Refuses a referral with nobody to address or no purpose.
    pub fn checked(self) -> Result<Referral> {
        let to = self.to.trim().to_owned();
        let purpose = self.purpose.trim().to_owned();
        if to.is_empty() {
            return Err(Error::invalid(
                "to",
                "say whom the referral is addressed to",
            ));
        }
        if purpose.is_empty() {
            return Err(Error::invalid("purpose", "say why the patient is referred"));
        }
        if to.chars().count() > 300 || purpose.chars().count() > 4000 {
            return Err(Error::invalid("purpose", "too long for a letter"));
        }
        Ok(Referral { to, purpose })
    }
}

/// A narrative with every earlier revision.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NarrativeEntry {
    /// The narrative as it reads now.
    #[serde(flatten)]
    pub narrative: Narrative,
    /// Every revision, oldest first (empty in a referral, which shows the current text).
    pub revisions: Vec<Revision>,
}

/// A photo's record in an export.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoEntry {
    /// The record.
    #[serde(flatten)]
    pub photo: Photo,
    /// The member of a subject access archive that holds the image; other exports do not
    /// carry images in their JSON.
    pub file: Option<String>,
}

/// One patient's record as exported.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Always `tessera-record`.
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// What the export is for.
    pub kind: ExportKind,
    /// The export's id (UUIDv7); a PDF's seal names it.
    pub export_id: String,
    /// When it was made (RFC 3339, UTC).
    pub exported_at: String,
    /// Who made it.
    pub exported_by: Exporter,
    /// The vault it came from.
    pub vault_id: String,
    /// The dates it is limited to; absent when it is not.
    pub range: Option<DateRange>,
    /// Whom a referral is for.
    pub referral: Option<Referral>,
    /// Who the record is about.
    pub patient: Identity,
    /// Alerts, blood type, organ donation, emergency contacts.
    pub emergency: Option<EmergencySection>,
    /// Demographics, contact details, status, insurance.
    pub profile: Option<ProfileSection>,
    /// Allergies, medications, chronic conditions.
    pub medications: Option<MedicationSection>,
    /// Visits with their vital signs, newest first.
    pub encounters: Option<Vec<Encounter>>,
    /// Narratives, newest first.
    pub narratives: Option<Vec<NarrativeEntry>>,
    /// Photos' records, oldest first.
    pub photos: Option<Vec<PhotoEntry>>,
    /// Consent decisions, oldest first.
    pub consents: Option<Vec<Consent>>,
    /// Access codes and QR cards given (subject access only).
    pub access_grants: Option<Vec<Grant>>,
    /// Every recorded read or change of the record (subject access only).
    pub audit_trail: Option<Vec<AuditRecord>>,
}

/// What to put in a record.
#[derive(Debug, Clone)]
pub(crate) struct Request<'a> {
    pub(crate) kind: ExportKind,
    pub(crate) range: DateRange,
    pub(crate) referral: Option<Referral>,
    pub(crate) exporter: Exporter,
    pub(crate) vault_id: String,
    pub(crate) actor: &'a Actor,
}

/// A record and the thumbnails of the photos it lists (blob ids), for the PDF.
#[derive(Debug)]
pub(crate) struct Collected {
    pub(crate) record: Record,
    pub(crate) thumbnails: Vec<(String, Uuid)>,
}

/// The action an export of `kind` needs from `principal`. A role that may not read the
/// clinical record (front desk) may still export a summary or a full record, and either
/// holds the patient's identity and emergency information only; a referral letter is
/// clinical, and theirs to refuse.
pub(crate) fn required_action(kind: ExportKind, principal: Principal) -> Action {
    match kind {
        ExportKind::SubjectAccess => Action::PatientSubjectExport,
        ExportKind::Summary | ExportKind::Full
            if !policy::allows(principal, Action::PatientView) =>
        {
            Action::ExportEmergency
        }
        _ => Action::ExportRecord,
    }
}

/// Builds the record of `patient` for `request`. The caller has authorized
/// [`required_action`]; what each role may read within it is decided here.
pub(crate) fn collect(
    conn: &Connection,
    patient: &PatientRef,
    request: Request<'_>,
) -> Result<Collected> {
    let kind = request.kind;
    let reads = |action: Action| policy::allows(request.actor.principal, action);
    let clinical = reads(Action::PatientView);
    let loaded = patients::load(conn, patient.rowid)?;
    let range = request.range;
    let dated = |instant: &str| range.contains(instant);
    let whole = matches!(kind, ExportKind::Full | ExportKind::SubjectAccess);

    let encounters = match clinical && reads(Action::EncounterView) {
        true => {
            let mut all: Vec<Encounter> = encounters::in_force(conn, &patient.id)?
                .into_iter()
                .filter(|e| dated(&e.occurred_at))
                .collect();
            if !whole {
                all.truncate(RECENT_VISITS);
            }
            Some(all)
        }
        false => None,
    };
    let narratives = match (kind, clinical && reads(Action::NarrativeView)) {
        (ExportKind::Summary, _) | (_, false) => None,
        (_, true) => {
            let mut entries = Vec::new();
            for narrative in narratives::for_patient(conn, &patient.id, Some(request.actor))? {
                if !dated(&narrative.created_at) {
                    continue;
                }
                if kind == ExportKind::Referral && entries.len() == RECENT_NARRATIVES {
                    break;
                }
                let revisions = match whole {
                    true => narratives::revisions(conn, &narrative.id)?,
                    false => Vec::new(),
                };
                entries.push(NarrativeEntry {
                    narrative,
                    revisions,
                });
            }
            Some(entries)
        }
    };
    let (photos, thumbnails) = match (kind, clinical && reads(Action::PhotoView)) {
        (ExportKind::SubjectAccess, _) => {
            let photos = media::all_for_patient(conn, &patient.id)?
                .into_iter()
                .filter(|p| dated(p.taken_or_imported_at()))
                .map(|photo| PhotoEntry {
                    file: Some(subject_member_name(&photo)),
                    photo,
                })
                .collect();
            (Some(photos), Vec::new())
        }
        (ExportKind::Full, true) => {
            let mut photos = Vec::new();
            let mut thumbnails = Vec::new();
            for (photo, thumb) in media::visible_for_patient(conn, request.actor, &patient.id)? {
                if dated(photo.taken_or_imported_at()) {
                    thumbnails.push((photo.id.clone(), thumb));
                    photos.push(PhotoEntry { photo, file: None });
                }
            }
            (Some(photos), thumbnails)
        }
        _ => (None, Vec::new()),
    };
    let consents = match whole && clinical && reads(Action::ConsentView) {
        true => Some(
            consents::for_patient(conn, &patient.id)?
                .into_iter()
                .filter(|c| dated(&c.recorded_at))
                .collect(),
        ),
        false => None,
    };
    let subject = kind == ExportKind::SubjectAccess;
    let record = Record {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        kind,
        export_id: Uuid::now_v7().to_string(),
        exported_at: clock::to_rfc3339(clock::now_ms()),
        exported_by: request.exporter,
        vault_id: request.vault_id,
        range: (!range.is_open()).then_some(range.clone()),
        referral: request.referral.filter(|_| kind == ExportKind::Referral),
        patient: loaded.identity(),
        emergency: Some(loaded.emergency()),
        profile: (clinical && kind != ExportKind::Referral).then(|| loaded.demographics()),
        medications: clinical.then(|| loaded.medications()),
        encounters,
        narratives,
        photos,
        consents,
        access_grants: match subject {
            true => Some(access::for_patient(conn, &patient.id, clock::now_ms())?),
            false => None,
        },
        audit_trail: match subject {
            true => Some(audit_chain::trail(conn, &patient.id)?),
            false => None,
        },
    };
    Ok(Collected { record, thumbnails })
}

/// An enum's name as the JSON export spells it (the CSV and PDF show the same words).
pub(crate) fn spelled<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The name of a photo's image inside a subject access archive.
pub(crate) fn subject_member_name(photo: &Photo) -> String {
    let ext = if photo.format == "jpeg" {
        "jpg"
    } else {
        &photo.format
    };
    format!("photos/{}.{ext}", photo.id)
}
