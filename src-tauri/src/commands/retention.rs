//! Retention: the vault's policy (how long each kind of record is kept) and running it, first
//! as a dry run that lists what would change, then for real. Admins only, decided in core.

use tauri::State;
use tessera_app_macros::command;
use tessera_core::retention::{self, RetentionPolicy, RetentionReport};

use crate::api_error::ApiError;
use crate::state::AppState;

/// The vault's retention policy (admins).
#[command]
pub async fn retention_get(state: State<'_, AppState>) -> Result<RetentionPolicy, ApiError> {
    state.with_session(retention::get).await
}

/// Replaces the policy; core checks every rule (the audit floor of six years, the bin's 30
/// days, delete only for photos and narratives) and names the one at fault.
#[command]
pub async fn retention_set(
    state: State<'_, AppState>,
    policy: RetentionPolicy,
) -> Result<RetentionPolicy, ApiError> {
    state.with_session(move |s| retention::set(s, policy)).await
}

/// Applies the saved policy, or with `dry_run` only lists what it would do. The real run
/// computes the list again and carries out exactly that.
#[command]
pub async fn retention_run(
    state: State<'_, AppState>,
    dry_run: bool,
) -> Result<RetentionReport, ApiError> {
    state
        .with_session(move |s| retention::run(s, dry_run))
        .await
}

#[cfg(test)]
mod tests {
    use tessera_core::retention::{RetentionAction, Rule};

    use super::*;

    /// The UI sends the policy as ts-rs describes it: a rule that is off is `null`.
    #[test]
    fn the_policy_reads_as_the_ui_sends_it() {
        let policy: RetentionPolicy = serde_json::from_value(serde_json::json!({
            "inactive_patients": { "years": 10, "action": "anonymise" },
            "photos": null,
            "narratives": null,
            "encounters": { "years": 12, "action": "delete" },
            "audit_entries_years": 6,
            "binned_days": 30,
        }))
        .unwrap();
        assert_eq!(
            policy.inactive_patients,
            Some(Rule {
                years: 10,
                action: RetentionAction::Anonymise
            })
        );
        assert_eq!(policy.photos, None);
        assert_eq!(policy.audit_entries_years, Some(6));
        let back = serde_json::to_value(policy).unwrap();
        assert_eq!(back["encounters"]["action"], "delete");
        assert!(back["narratives"].is_null());
    }
}
