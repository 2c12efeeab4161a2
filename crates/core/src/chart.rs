//! The chart: what a practitioner sees on opening a patient, in one audited read. The
//! profile (alerts first in every front end) and the most recent visits.

use serde::Serialize;
use serde_json::json;

use crate::audit_chain::Change;
use crate::encounters::{self, Encounter};
use crate::error::Result;
use crate::patients::{self, Patient};
use crate::policy::Action;
use crate::session::Session;

/// A patient opened for reading.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// The whole record.
    pub patient: Patient,
    /// The newest encounters, newest first.
    pub encounters: Vec<Encounter>,
}

/// Opens a patient (by id or human id) with their newest `encounters` visits.
pub fn open(session: &mut Session, patient: &str, encounters: u32) -> Result<Chart> {
    session.authorize(Action::EncounterView)?;
    session.write(Action::PatientView, |w| {
        let found = patients::resolve_following_merges(w.conn(), patient)?;
        let chart = Chart {
            patient: patients::load(w.conn(), found.rowid)?,
            encounters: encounters::recent(w.conn(), &found.id, encounters)?,
        };
        w.record(
            Change::new("patient", Some(&found.id))
                .after(json!({ "chart": true, "encounters": chart.encounters.len() })),
        )?;
        Ok(chart)
    })
}
