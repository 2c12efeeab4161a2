//! Tauri commands: thin adapters that read arguments, call core through the managed state,
//! and return `Result<T, ApiError>`. Access is decided in core, never here.

pub mod app;
pub mod audit;
pub mod backups;
pub mod narratives;
pub mod patient_rights;
pub mod patients;
pub mod photos;
pub mod retention;
pub mod session;
pub mod staff;
