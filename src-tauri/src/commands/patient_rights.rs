//! A patient's rights over their record: erasure (the right to be forgotten) and the subject
//! access export (everything held, in one archive). Admins only, decided in core.

use tauri::State;
use tessera_core::Error;
use tessera_core::erasure::{self, ErasureMode, ErasureReport};
use tessera_core::patients::{self, human_id};
use tessera_core::subject_export::{self, SubjectExport};

use crate::api_error::ApiError;
use crate::commands::backups::typed_path;
use crate::state::AppState;

/// Erases `patient` (id or human id): every row removed, or the record anonymised. The admin
/// types the patient's human id again as `confirmation`; it is checked against the record
/// before core is asked, so the wrong chart left open or a slip of the hand erases nothing.
/// Core decides who may erase.
#[tauri::command(rename_all = "snake_case")]
pub async fn patient_erase(
    state: State<'_, AppState>,
    patient: String,
    mode: ErasureMode,
    confirmation: String,
) -> Result<ErasureReport, ApiError> {
    state
        .with_session(move |s| {
            let record = patients::get(s, &patient)?;
            check_confirmation(&confirmation, &record.human_id)?;
            // By id: what was checked is what is erased.
            erasure::erase(s, &record.id, mode)
        })
        .await
}

/// Writes everything held on `patient` to a new tar archive at `out`, a file path typed by
/// the user (`~` is the home directory; an existing file is refused).
#[tauri::command(rename_all = "snake_case")]
pub async fn patient_subject_export(
    state: State<'_, AppState>,
    patient: String,
    out: String,
) -> Result<SubjectExport, ApiError> {
    let out = typed_path("out", &out)?;
    state
        .with_session(move |s| subject_export::subject_export(s, &patient, &out))
        .await
}

/// The guard against slips: `typed` must be the patient's human id (any case, dashes and
/// spaces optional, as it is read aloud or typed elsewhere).
pub(crate) fn check_confirmation(typed: &str, human_id: &str) -> tessera_core::Result<()> {
    if human_id::parse(typed).is_ok_and(|id| id == human_id) {
        return Ok(());
    }
    Err(Error::Invalid {
        field: "confirmation",
        message: format!("type the patient's id, {human_id}, to confirm the erasure"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error::ErrorCode;

    #[test]
    fn erasure_needs_the_patients_own_human_id_typed_again() {
        let id = human_id::generate().unwrap();
        let other = loop {
            let other = human_id::generate().unwrap();
            if other != id {
                break other;
            }
        };
        assert!(check_confirmation(&id, &id).is_ok());
        // As typed by hand: lower case, no dashes, spaces around.
        let loose = format!("  {} ", id.replace('-', "").to_lowercase());
        assert!(check_confirmation(&loose, &id).is_ok(), "{loose}");

        let mut one_off = id.clone().into_bytes();
        let last = one_off.len() - 1;
        one_off[last] = if one_off[last] == b'0' { b'1' } else { b'0' };
        let one_off = String::from_utf8(one_off).unwrap();
        for wrong in [
            "",
            "   ",
            "yes",
            other.as_str(),
            one_off.as_str(),
            &id[..id.len() - 1],
        ] {
            let e = ApiError::from(check_confirmation(wrong, &id).unwrap_err());
            assert_eq!(e.code, ErrorCode::Invalid, "{wrong:?}");
            assert_eq!(e.field.as_deref(), Some("confirmation"), "{wrong:?}");
            assert!(e.message.contains(&id), "{}", e.message);
        }
    }
}
