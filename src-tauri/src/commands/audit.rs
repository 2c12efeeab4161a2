//! The audit viewer.

use serde::Deserialize;
use tauri::State;
use tessera_app_macros::command;
use tessera_core::audit::{self, AuditFilter, AuditRecord, VerifyReport};
use tessera_core::clock;
use ts_rs::TS;

use crate::api_error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Filters as the UI sends them; dates are `YYYY-MM-DD` or RFC 3339.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct AuditQuery {
    /// Entries at or after this time.
    #[ts(optional)]
    pub since: Option<String>,
    /// Entries before this time.
    #[ts(optional)]
    pub until: Option<String>,
    /// Entries by this user.
    #[ts(optional)]
    pub actor: Option<String>,
    /// This action, or family of actions (`patient`).
    #[ts(optional)]
    pub action: Option<String>,
    /// Entries about this record (a visit's id, ...).
    #[ts(optional)]
    pub resource_id: Option<String>,
    /// Entries about this patient (id or human id) and their visits, narratives, consents.
    #[ts(optional)]
    pub patient: Option<String>,
    /// The newest N entries.
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// Audit entries matching the filter, oldest first (admins).
#[command]
pub async fn audit_list(
    state: State<'_, AppState>,
    filter: AuditQuery,
) -> Result<Vec<AuditRecord>, ApiError> {
    let time = |field: &str, text: &Option<String>| match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => clock::parse_instant(t).map(Some).ok_or_else(|| ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(ErrorCode::Invalid, format!("{field}: {t:?} is not a date"))
        }),
    };
    let blank_to_none = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let filter = AuditFilter {
        since: time("since", &filter.since)?,
        until: time("until", &filter.until)?,
        actor: blank_to_none(filter.actor),
        action: blank_to_none(filter.action),
        resource_type: None,
        resource_id: blank_to_none(filter.resource_id),
        patient: blank_to_none(filter.patient),
        limit: Some(filter.limit.unwrap_or(500)),
    };
    state.with_session(move |s| audit::list(s, &filter)).await
}

/// Walks the whole audit chain and checks it against the header anchor (admins).
#[command]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<VerifyReport, ApiError> {
    state.with_session(audit::verify).await
}
