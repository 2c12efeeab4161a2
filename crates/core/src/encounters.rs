//! Encounters: visits and consultations, with what was found and done and the vital signs
//! taken. Vital signs are checked against ranges no living patient falls outside, so a typo
//! (a pulse of 720, a temperature in Fahrenheit) is caught at entry.
//!
//! A recorded visit is corrected, never silently overwritten: an amendment keeps the version
//! it replaces (with who, when and why) and raises the version; a void keeps the visit,
//! marked with who, when and why, and the chart leaves it out.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::patients::{self, profile};
use crate::policy::Action;
use crate::session::{Session, WriteTx};

/// Most encounters one listing returns.
pub const MAX_LISTED: u32 = 1000;

/// Kinds of encounter.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncounterKind {
    /// A visit at the clinic.
    #[default]
    Visit,
    /// A consultation with a specialist.
    Consultation,
    /// A visit at home or in the field.
    HomeVisit,
    /// By phone or video.
    Remote,
}

impl EncounterKind {
    fn as_str(self) -> &'static str {
        match self {
            EncounterKind::Visit => "visit",
            EncounterKind::Consultation => "consultation",
            EncounterKind::HomeVisit => "home_visit",
            EncounterKind::Remote => "remote",
        }
    }

    fn parse(stored: &str) -> EncounterKind {
        match stored {
            "consultation" => EncounterKind::Consultation,
            "home_visit" => EncounterKind::HomeVisit,
            "remote" => EncounterKind::Remote,
            _ => EncounterKind::Visit,
        }
    }
}

/// Vital signs; each one optional.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vitals {
    /// Systolic blood pressure, mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_systolic: Option<u16>,
    /// Diastolic blood pressure, mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_diastolic: Option<u16>,
    /// Pulse, beats per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse: Option<u16>,
    /// Body temperature, °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<f64>,
    /// Oxygen saturation, %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spo2: Option<u8>,
    /// Weight, kg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
    /// Height, cm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<f64>,
    /// Pain score, 0 (none) to 10 (worst).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pain: Option<u8>,
}

impl Vitals {
    /// Checks every value against its plausible range and the pressures against each other.
    pub fn validate(&self) -> Result<()> {
        fn range<T: PartialOrd + Copy + std::fmt::Display>(
            field: &'static str,
            value: Option<T>,
            low: T,
            high: T,
            unit: &str,
        ) -> Result<()> {
            match value {
                Some(v) if !(v >= low && v <= high) => Err(Error::invalid(
                    field,
                    format!("{v} {unit} is outside the plausible range {low}-{high} {unit}"),
                )),
                _ => Ok(()),
            }
        }
        range("bp systolic", self.bp_systolic, 40, 300, "mmHg")?;
        range("bp diastolic", self.bp_diastolic, 20, 200, "mmHg")?;
        range("pulse", self.pulse, 20, 250, "bpm")?;
        range("temperature", self.temperature_c, 25.0, 45.0, "°C")?;
        range("spo2", self.spo2, 50, 100, "%")?;
        range("weight", self.weight_kg, 0.2, 500.0, "kg")?;
        range("height", self.height_cm, 20.0, 272.0, "cm")?;
        range("pain", self.pain, 0, 10, "")?;
        match (self.bp_systolic, self.bp_diastolic) {
            (Some(s), Some(d)) if s <= d => Err(Error::invalid(
                "blood pressure",
                format!("{s}/{d}: the systolic value must be above the diastolic"),
            )),
            (Some(_), None) | (None, Some(_)) => Err(Error::invalid(
                "blood pressure",
                "give both values, systolic/diastolic (e.g. 120/80)",
            )),
            _ => Ok(()),
        }
    }

    /// Parses `120/80`.
    pub fn parse_blood_pressure(text: &str) -> Result<(u16, u16)> {
        let bad = || {
            Error::invalid(
                "blood pressure",
                format!("{text:?} is not a blood pressure; write systolic/diastolic, e.g. 120/80"),
            )
        };
        let (s, d) = text.trim().split_once('/').ok_or_else(bad)?;
        Ok((
            s.trim().parse().map_err(|_| bad())?,
            d.trim().parse().map_err(|_| bad())?,
        ))
    }
}

/// A visit to record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", ts(optional_fields = nullable))]
pub struct NewEncounter {
    /// When it happened: `YYYY-MM-DD` or RFC 3339.
    pub occurred_at: String,
    /// Kind of encounter.
    #[serde(default)]
    pub kind: EncounterKind,
    /// Why the patient came.
    pub reason: String,
    /// Free notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Diagnoses made.
    #[serde(default)]
    pub diagnoses: Vec<String>,
    /// Treatments given or planned.
    #[serde(default)]
    pub treatments: Vec<String>,
    /// Vital signs taken.
    #[serde(default)]
    pub vitals: Vitals,
}

/// A recorded encounter.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encounter {
    /// UUIDv7.
    pub id: String,
    /// The patient's id.
    pub patient_id: String,
    /// Version, from 1.
    pub version: u32,
    /// When it happened, RFC 3339.
    pub occurred_at: String,
    /// Kind.
    pub kind: EncounterKind,
    /// Who recorded it (user name).
    pub recorded_by: String,
    /// Why the patient came.
    pub reason: String,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub notes: Option<String>,
    /// Diagnoses.
    pub diagnoses: Vec<String>,
    /// Treatments.
    pub treatments: Vec<String>,
    /// Vital signs.
    pub vitals: Vitals,
    /// When it was recorded, RFC 3339.
    pub created_at: String,
    /// Set when the visit was voided: kept, but left out of the chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub voided: Option<Voided>,
}

/// Who voided a visit, when and why.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voided {
    /// When, RFC 3339.
    pub at: String,
    /// Who (user name).
    pub by: String,
    /// Why.
    pub reason: String,
}

/// A version of a visit that an amendment replaced.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncounterRevision {
    /// The visit as it was.
    pub encounter: Encounter,
    /// When it was replaced, RFC 3339.
    pub replaced_at: String,
    /// Who replaced it (user name).
    pub replaced_by: String,
    /// Why it was amended.
    pub reason: String,
}

/// Records a visit for a patient (by id or human id).
pub fn add(session: &mut Session, patient: &str, new: NewEncounter) -> Result<Encounter> {
    let now = clock::now_ms();
    let checked = validate(new, now)?;
    session.write(Action::EncounterRecord, |w| {
        let found = patients::resolve_current(w.conn(), patient)?;
        insert(w, &found.id, &checked, now)
    })
}

/// The newest `limit` encounters of a patient, newest first. Audited as a view.
pub fn list(session: &mut Session, patient: &str, limit: u32) -> Result<Vec<Encounter>> {
    session.write(Action::EncounterView, |w| {
        let found = patients::resolve(w.conn(), patient)?;
        let encounters = recent(w.conn(), &found.id, limit)?;
        w.record(
            Change::new("patient", Some(&found.id))
                .after(json!({ "encounters": encounters.len() })),
        )?;
        Ok(encounters)
    })
}

/// One visit (by id), voided or not. Audited as a view.
pub fn get(session: &mut Session, id: &str) -> Result<Encounter> {
    session.write(Action::EncounterView, |w| {
        let encounter = load(w.conn(), id)?;
        w.record(Change::new("encounter", Some(id)))?;
        Ok(encounter)
    })
}

/// Replaces a visit's content with `new`, keeping the version it replaces; `why` is
/// required. A voided visit cannot be amended, and nothing unchanged is recorded.
pub fn amend(session: &mut Session, id: &str, new: NewEncounter, why: &str) -> Result<Encounter> {
    let why = profile::required("reason", why)?;
    let now = clock::now_ms();
    let checked = validate(new, now)?;
    session.write(Action::EncounterAmend, |w| {
        let before = correctable(w.conn(), id)?;
        let e = &checked.new;
        let unchanged = before.occurred_at == clock::to_rfc3339(checked.occurred_at)
            && before.kind == e.kind
            && before.reason == e.reason
            && before.notes == e.notes
            && before.diagnoses == e.diagnoses
            && before.treatments == e.treatments
            && before.vitals == e.vitals;
        if unchanged {
            return Err(Error::invalid("encounter", "the amendment changes nothing"));
        }
        keep_revision(w, &before, now, &why)?;
        let assignments: Vec<String> = CONTENT_COLUMNS
            .iter()
            .enumerate()
            .map(|(n, column)| format!("{column} = ?{}", n + 3))
            .collect();
        let values = [Value::from(id.to_owned()), Value::from(now)]
            .into_iter()
            .chain(content_values(&checked));
        w.conn().execute(
            &format!(
                "UPDATE encounters SET version = version + 1, updated_at = ?2, {} WHERE id = ?1",
                assignments.join(", ")
            ),
            params_from_iter(values),
        )?;
        let after = load(w.conn(), id)?;
        w.record(
            Change::new("encounter", Some(id))
                .before(json!(before))
                .after(json!(after))
                .reason(Some(&why)),
        )?;
        Ok(after)
    })
}

/// Voids a visit: kept, marked with who, when and `why`, and left out of the chart.
pub fn void(session: &mut Session, id: &str, why: &str) -> Result<Encounter> {
    let why = profile::required("reason", why)?;
    let now = clock::now_ms();
    session.write(Action::EncounterAmend, |w| {
        let before = correctable(w.conn(), id)?;
        w.conn().execute(
            "UPDATE encounters SET voided_at = ?2, voided_by = ?3, void_reason = ?4, \
             updated_at = ?2 WHERE id = ?1",
            params![id, now, w.actor_name(), why],
        )?;
        let after = load(w.conn(), id)?;
        w.record_as(
            "encounter.void",
            Change::new("encounter", Some(id))
                .before(json!(before))
                .after(json!(after))
                .reason(Some(&why)),
        )?;
        Ok(after)
    })
}

/// The versions of a visit that amendments replaced, oldest first. Audited as a view.
pub fn history(session: &mut Session, id: &str) -> Result<Vec<EncounterRevision>> {
    session.write(Action::EncounterView, |w| {
        load(w.conn(), id)?;
        let revisions = revisions(w.conn(), id)?;
        w.record(
            Change::new("encounter", Some(id)).after(json!({ "revisions": revisions.len() })),
        )?;
        Ok(revisions)
    })
}

/// A visit that may still be corrected: present, its patient not in the bin, not voided.
fn correctable(conn: &Connection, id: &str) -> Result<Encounter> {
    let encounter = load(conn, id)?;
    patients::resolve_current(conn, &encounter.patient_id)?;
    if encounter.voided.is_some() {
        return Err(Error::invalid(
            "encounter",
            "this visit was voided; it cannot be changed",
        ));
    }
    Ok(encounter)
}

fn keep_revision(w: &WriteTx<'_>, before: &Encounter, now: i64, why: &str) -> Result<()> {
    w.conn().execute(
        "INSERT INTO encounter_revisions (encounter_id, version, content, replaced_at, \
         replaced_by, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            before.id,
            before.version,
            json!(before).to_string(),
            now,
            w.actor_name(),
            why
        ],
    )?;
    Ok(())
}

fn revisions(conn: &Connection, id: &str) -> Result<Vec<EncounterRevision>> {
    let mut stmt = conn.prepare_cached(
        "SELECT content, replaced_at, replaced_by, reason FROM encounter_revisions \
         WHERE encounter_id = ?1 ORDER BY version",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (content, at, by, reason) = row?;
        let encounter = serde_json::from_str(&content).map_err(|e| {
            Error::CorruptDatabase(format!("a kept version of visit {id} does not parse ({e})"))
        })?;
        out.push(EncounterRevision {
            encounter,
            replaced_at: clock::to_rfc3339(at),
            replaced_by: by,
            reason,
        });
    }
    Ok(out)
}

/// Removes the kept earlier versions of the visits `filter` (an SQL condition on
/// `encounters`, with `?1` = `value`) selects, before erasure or retention deletes or strips
/// those visits: the earlier versions hold the same clinical text.
pub(crate) fn drop_revisions(conn: &Connection, filter: &str, value: &str) -> Result<()> {
    conn.execute(
        &format!(
            "DELETE FROM encounter_revisions WHERE encounter_id IN \
             (SELECT id FROM encounters WHERE {filter})"
        ),
        [value],
    )?;
    Ok(())
}

fn load(conn: &Connection, id: &str) -> Result<Encounter> {
    query(conn, "id = ?1", id, 1)?
        .pop()
        .ok_or_else(|| Error::NotFound {
            what: "visit",
            id: id.to_owned(),
        })
}

/// The columns that hold a visit's content, in the order of [`content_values`]: written
/// alike by recording and amending.
const CONTENT_COLUMNS: [&str; 14] = [
    "occurred_at",
    "kind",
    "reason",
    "notes",
    "diagnoses",
    "treatments",
    "bp_systolic",
    "bp_diastolic",
    "pulse",
    "temperature_c",
    "spo2",
    "weight_kg",
    "height_cm",
    "pain",
];

fn content_values(checked: &CheckedEncounter) -> impl Iterator<Item = Value> {
    let e = &checked.new;
    let v = &e.vitals;
    let number = |n: Option<u16>| n.map_or(Value::Null, |n| Value::from(i64::from(n)));
    let real = |x: Option<f64>| x.map_or(Value::Null, Value::from);
    [
        Value::from(checked.occurred_at),
        Value::from(e.kind.as_str().to_owned()),
        Value::from(e.reason.clone()),
        e.notes.clone().map_or(Value::Null, Value::from),
        Value::from(json!(e.diagnoses).to_string()),
        Value::from(json!(e.treatments).to_string()),
        number(v.bp_systolic),
        number(v.bp_diastolic),
        number(v.pulse),
        real(v.temperature_c),
        number(v.spo2.map(u16::from)),
        real(v.weight_kg),
        real(v.height_cm),
        number(v.pain.map(u16::from)),
    ]
    .into_iter()
}

/// A new encounter, checked, with its time resolved.
#[derive(Debug, Clone)]
pub(crate) struct CheckedEncounter {
    occurred_at: i64,
    new: NewEncounter,
}

pub(crate) fn validate(mut new: NewEncounter, now: i64) -> Result<CheckedEncounter> {
    let occurred_at = clock::parse_instant(&new.occurred_at).ok_or_else(|| {
        Error::invalid(
            "date",
            format!(
                "{:?} is not a date; use YYYY-MM-DD or RFC 3339",
                new.occurred_at
            ),
        )
    })?;
    // A day of slack covers time zones and clocks that are a little off.
    if occurred_at > now + 86_400_000 {
        return Err(Error::invalid(
            "date",
            format!("{} is in the future", new.occurred_at.trim()),
        ));
    }
    if occurred_at < clock::parse_instant("1900-01-01").unwrap_or(i64::MIN) {
        return Err(Error::invalid("date", "is before 1900"));
    }
    new.reason = profile::required("reason", &new.reason)?;
    new.notes = profile::optional_long("notes", new.notes.take())?;
    new.diagnoses = profile::texts("diagnosis", &new.diagnoses)?;
    new.treatments = profile::texts("treatment", &new.treatments)?;
    new.vitals.validate()?;
    Ok(CheckedEncounter { occurred_at, new })
}

pub(crate) fn insert(
    w: &mut WriteTx<'_>,
    patient_id: &str,
    checked: &CheckedEncounter,
    now: i64,
) -> Result<Encounter> {
    let id = Uuid::now_v7().to_string();
    let e = &checked.new;
    let recorded_by = w.actor_name().to_owned();
    let placeholders: Vec<String> = (6..6 + CONTENT_COLUMNS.len())
        .map(|n| format!("?{n}"))
        .collect();
    let values = [
        Value::from(id.clone()),
        Value::from(patient_id.to_owned()),
        w.actor_id()
            .map_or(Value::Null, |a| Value::from(a.to_owned())),
        Value::from(now),
        Value::from(recorded_by.clone()),
    ]
    .into_iter()
    .chain(content_values(checked));
    w.conn()
        .prepare_cached(&format!(
            "INSERT INTO encounters (id, patient_id, version, staff_id, created_at, created_by, \
             updated_at, {}) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?4, {})",
            CONTENT_COLUMNS.join(", "),
            placeholders.join(", ")
        ))?
        .execute(params_from_iter(values))?;
    let encounter = Encounter {
        id: id.clone(),
        patient_id: patient_id.to_owned(),
        version: 1,
        occurred_at: clock::to_rfc3339(checked.occurred_at),
        kind: e.kind,
        recorded_by,
        reason: e.reason.clone(),
        notes: e.notes.clone(),
        diagnoses: e.diagnoses.clone(),
        treatments: e.treatments.clone(),
        vitals: e.vitals,
        created_at: clock::to_rfc3339(now),
        voided: None,
    };
    w.record_as(
        Action::EncounterRecord.name(),
        Change::new("encounter", Some(&id)).after(json!(encounter)),
    )?;
    Ok(encounter)
}

/// The newest `limit` encounters of a patient, newest first, without auditing (callers do).
pub(crate) fn recent(conn: &Connection, patient_id: &str, limit: u32) -> Result<Vec<Encounter>> {
    select(conn, patient_id, i64::from(limit.clamp(1, MAX_LISTED)))
}

/// Every visit of a patient that stands, newest first, without auditing: a voided visit is
/// a recorded mistake, which exports and what a patient's code shows at the desk leave out.
pub(crate) fn in_force(conn: &Connection, patient_id: &str) -> Result<Vec<Encounter>> {
    let mut visits = select(conn, patient_id, -1)?;
    visits.retain(|e| e.voided.is_none());
    Ok(visits)
}

fn select(conn: &Connection, patient_id: &str, limit: i64) -> Result<Vec<Encounter>> {
    query(conn, "patient_id = ?1", patient_id, limit)
}

fn query(conn: &Connection, filter: &str, value: &str, limit: i64) -> Result<Vec<Encounter>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, patient_id, version, occurred_at, kind, created_by, reason, notes, diagnoses, \
         treatments, bp_systolic, bp_diastolic, pulse, temperature_c, spo2, weight_kg, height_cm, \
         pain, created_at, voided_at, voided_by, void_reason FROM encounters WHERE {filter} \
         ORDER BY occurred_at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![value, limit], |r| {
        let list = |i: usize| -> rusqlite::Result<Vec<String>> {
            Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
        };
        Ok(Encounter {
            id: r.get(0)?,
            patient_id: r.get(1)?,
            version: r.get(2)?,
            occurred_at: clock::to_rfc3339(r.get(3)?),
            kind: EncounterKind::parse(&r.get::<_, String>(4)?),
            recorded_by: r.get(5)?,
            reason: r.get(6)?,
            notes: r.get(7)?,
            diagnoses: list(8)?,
            treatments: list(9)?,
            vitals: Vitals {
                bp_systolic: r.get(10)?,
                bp_diastolic: r.get(11)?,
                pulse: r.get(12)?,
                temperature_c: r.get(13)?,
                spo2: r.get(14)?,
                weight_kg: r.get(15)?,
                height_cm: r.get(16)?,
                pain: r.get(17)?,
            },
            created_at: clock::to_rfc3339(r.get(18)?),
            voided: match r.get::<_, Option<i64>>(19)? {
                Some(at) => Some(Voided {
                    at: clock::to_rfc3339(at),
                    by: r.get::<_, Option<String>>(20)?.unwrap_or_default(),
                    reason: r.get::<_, Option<String>>(21)?.unwrap_or_default(),
                }),
                None => None,
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<()>) -> &'static str {
        match result {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn implausible_vitals_name_their_field() {
        let ok = Vitals {
            bp_systolic: Some(120),
            bp_diastolic: Some(80),
            pulse: Some(72),
            temperature_c: Some(36.8),
            spo2: Some(98),
            weight_kg: Some(70.5),
            height_cm: Some(172.0),
            pain: Some(3),
        };
        ok.validate().unwrap();
        let cases: [(Vitals, &str); 7] = [
            (
                Vitals {
                    pulse: Some(720),
                    ..ok
                },
                "pulse",
            ),
            (
                Vitals {
                    temperature_c: Some(98.6),
                    ..ok
                },
                "temperature",
            ),
            (
                Vitals {
                    spo2: Some(101),
                    ..ok
                },
                "spo2",
            ),
            (
                Vitals {
                    pain: Some(11),
                    ..ok
                },
                "pain",
            ),
            (
                Vitals {
                    weight_kg: Some(0.0),
                    ..ok
                },
                "weight",
            ),
            (
                Vitals {
                    bp_systolic: Some(80),
                    bp_diastolic: Some(120),
                    ..ok
                },
                "blood pressure",
            ),
            (
                Vitals {
                    bp_diastolic: None,
                    ..ok
                },
                "blood pressure",
            ),
        ];
        for (vitals, field) in cases {
            assert_eq!(field_of(vitals.validate()), field, "{vitals:?}");
        }
        assert_eq!(
            field_of(
                Vitals {
                    temperature_c: Some(f64::NAN),
                    ..ok
                }
                .validate()
            ),
            "temperature"
        );
    }

    #[test]
    fn blood_pressure_parses_from_the_usual_notation() {
        assert_eq!(Vitals::parse_blood_pressure(" 120/80 ").unwrap(), (120, 80));
        assert!(Vitals::parse_blood_pressure("120-80").is_err());
        assert!(Vitals::parse_blood_pressure("high").is_err());
    }

    #[test]
    fn visits_in_the_future_or_without_a_reason_are_refused() {
        let now = clock::parse_instant("2026-11-23").unwrap();
        let visit = |date: &str, reason: &str| NewEncounter {
            occurred_at: date.into(),
            reason: reason.into(),
            ..NewEncounter::default()
        };
        assert!(validate(visit("2026-11-20", "follow-up"), now).is_ok());
        assert!(matches!(
            validate(visit("2027-01-01", "x"), now),
            Err(Error::Invalid { field: "date", .. })
        ));
        assert!(matches!(
            validate(visit("yesterday", "x"), now),
            Err(Error::Invalid { field: "date", .. })
        ));
        assert!(matches!(
            validate(visit("2026-11-20", " "), now),
            Err(Error::Invalid {
                field: "reason",
                ..
            })
        ));
    }
}
