//! Narratives and their revisions.

use tauri::State;
use tessera_app_macros::command;
use tessera_core::narratives::{self, Narrative, NewNarrative, Revision};

use crate::api_error::ApiError;
use crate::state::AppState;

/// The patient's narratives, each at its newest revision. Audited.
#[command]
pub async fn narrative_list(
    state: State<'_, AppState>,
    patient: String,
) -> Result<Vec<Narrative>, ApiError> {
    state
        .with_session(move |s| narratives::list(s, &patient))
        .await
}

/// `photo_id` attaches the narrative to one of the patient's photos.
#[command]
pub async fn narrative_add(
    state: State<'_, AppState>,
    patient: String,
    title: Option<String>,
    body: String,
    photo_id: Option<String>,
    private: bool,
) -> Result<Narrative, ApiError> {
    let new = NewNarrative {
        body,
        title,
        photo_id,
        private,
        ..NewNarrative::default()
    };
    state
        .with_session(move |s| narratives::add(s, &patient, new))
        .await
}

/// Saves a new revision; `expected_revision` guards against a lost update.
#[command]
pub async fn narrative_edit(
    state: State<'_, AppState>,
    narrative_id: String,
    title: Option<String>,
    body: String,
    expected_revision: u32,
) -> Result<Narrative, ApiError> {
    state
        .with_session(move |s| {
            narratives::edit(s, &narrative_id, &body, title.as_deref(), expected_revision)
        })
        .await
}

/// Every revision of a narrative, oldest first.
#[command]
pub async fn narrative_history(
    state: State<'_, AppState>,
    narrative_id: String,
) -> Result<Vec<Revision>, ApiError> {
    state
        .with_session(move |s| narratives::history(s, &narrative_id))
        .await
}
