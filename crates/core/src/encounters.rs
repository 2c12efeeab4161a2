//! Encounters: visits and consultations, with what was found and done and the vital signs
//! taken. Vital signs are checked against ranges no living patient falls outside, so a typo
//! (a pulse of 720, a temperature in Fahrenheit) is caught at entry.

use rusqlite::{Connection, params};
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
    let v = &e.vitals;
    let recorded_by = w.actor_name().to_owned();
    w.conn()
        .prepare_cached(
            "INSERT INTO encounters (id, patient_id, version, occurred_at, kind, staff_id, reason, \
             notes, diagnoses, treatments, bp_systolic, bp_diastolic, pulse, temperature_c, spo2, \
             weight_kg, height_cm, pain, created_at, created_by, updated_at) \
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?18)",
        )?
        .execute(params![
            id,
            patient_id,
            checked.occurred_at,
            e.kind.as_str(),
            w.actor_id(),
            e.reason,
            e.notes,
            json!(e.diagnoses).to_string(),
            json!(e.treatments).to_string(),
            v.bp_systolic,
            v.bp_diastolic,
            v.pulse,
            v.temperature_c,
            v.spo2,
            v.weight_kg,
            v.height_cm,
            v.pain,
            now,
            recorded_by,
        ])?;
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

/// Every encounter of a patient, newest first, without auditing (the subject access export).
pub(crate) fn all(conn: &Connection, patient_id: &str) -> Result<Vec<Encounter>> {
    select(conn, patient_id, -1)
}

fn select(conn: &Connection, patient_id: &str, limit: i64) -> Result<Vec<Encounter>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, patient_id, version, occurred_at, kind, created_by, reason, notes, diagnoses, \
         treatments, bp_systolic, bp_diastolic, pulse, temperature_c, spo2, weight_kg, height_cm, \
         pain, created_at FROM encounters WHERE patient_id = ?1 \
         ORDER BY occurred_at DESC, id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![patient_id, limit], |r| {
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
