//! Tauri commands: thin adapters that read arguments, call core through the managed state,
//! and return `Result<T, ApiError>`. Access is decided in core, never here.

pub mod access;
pub mod app;
pub mod audit;
pub mod backups;
pub mod consents;
pub mod exports;
pub mod narratives;
pub mod patient_rights;
pub mod patients;
pub mod photos;
pub mod retention;
pub mod scan;
pub mod session;
pub mod staff;
pub mod transfer;

/// Every command the UI may call, written once: `main` registers them with Tauri and the
/// bindings test generates the UI's `Commands` interface from the same list. `$then` is a
/// macro that receives the paths.
macro_rules! with_commands {
    ($then:ident) => {
        $then![
            crate::commands::app::app_status,
            crate::commands::app::vault_create,
            crate::commands::app::settings_get,
            crate::commands::app::settings_set,
            crate::commands::app::folder_choose,
            crate::commands::app::file_choose,
            crate::commands::session::session_unlock,
            crate::commands::session::session_lock,
            crate::commands::session::session_touch,
            crate::commands::session::session_change_password,
            crate::commands::session::recovery_admins,
            crate::commands::session::recovery_set_password,
            crate::commands::patients::patient_search,
            crate::commands::patients::patient_create,
            crate::commands::patients::patient_duplicates,
            crate::commands::patients::patient_desk,
            crate::commands::patients::patient_desk_correct,
            crate::commands::patients::patient_merge,
            crate::commands::patients::patient_unmerge,
            crate::commands::patients::patient_merges,
            crate::commands::patients::patient_chart,
            crate::commands::patients::patient_update,
            crate::commands::patients::encounter_add,
            crate::commands::patients::encounter_amend,
            crate::commands::patients::encounter_void,
            crate::commands::patients::encounter_history,
            crate::commands::patient_rights::patient_erase,
            crate::commands::patient_rights::patient_subject_export,
            crate::commands::consents::consent_list,
            crate::commands::consents::consent_record,
            crate::commands::narratives::narrative_list,
            crate::commands::narratives::narrative_add,
            crate::commands::narratives::narrative_edit,
            crate::commands::narratives::narrative_history,
            crate::commands::photos::photo_list,
            crate::commands::photos::photo_import,
            crate::commands::photos::photo_edit,
            crate::commands::photos::photo_delete,
            crate::commands::photos::photo_restore,
            crate::commands::staff::staff_list,
            crate::commands::staff::staff_add,
            crate::commands::staff::staff_disable,
            crate::commands::staff::staff_enable,
            crate::commands::staff::staff_reset,
            crate::commands::staff::credential_show,
            crate::commands::staff::credential_set,
            crate::commands::staff::credential_expiring,
            crate::commands::staff::vault_rekey,
            crate::commands::audit::audit_list,
            crate::commands::audit::audit_verify,
            crate::commands::backups::backup_status,
            crate::commands::backups::backup_list,
            crate::commands::backups::backup_schedule_get,
            crate::commands::backups::backup_schedule_set,
            crate::commands::backups::backup_create,
            crate::commands::backups::backup_run_now,
            crate::commands::backups::backup_cancel,
            crate::commands::backups::backup_verify,
            crate::commands::backups::backup_restore,
            crate::commands::backups::backup_prune,
            crate::commands::retention::retention_get,
            crate::commands::retention::retention_set,
            crate::commands::retention::retention_run,
            crate::commands::access::access_grant,
            crate::commands::access::access_list,
            crate::commands::access::access_revoke,
            crate::commands::access::access_card,
            crate::commands::access::access_open_code,
            crate::commands::access::access_open_token,
            crate::commands::scan::camera_list,
            crate::commands::scan::scan_start,
            crate::commands::scan::scan_stop,
            crate::commands::scan::access_scan_image,
            crate::commands::exports::export_write,
            crate::commands::exports::export_cancel,
            crate::commands::exports::export_list,
            crate::commands::exports::export_verify,
            crate::commands::exports::export_verify_seal,
            crate::commands::transfer::transfer_identity,
            crate::commands::transfer::transfer_identity_save,
            crate::commands::transfer::transfer_token_read,
            crate::commands::transfer::transfer_identity_preview,
            crate::commands::transfer::transfer_pair,
            crate::commands::transfer::transfer_peers,
            crate::commands::transfer::transfer_export,
            crate::commands::transfer::transfer_import,
            crate::commands::transfer::transfer_receipt_accept,
            crate::commands::transfer::transfer_conflicts,
            crate::commands::transfer::transfer_conflict_resolve,
        ]
    };
}
pub(crate) use with_commands;
