//! Backups: one `age`-encrypted tar per backup, verified before it is named, restorable into
//! a new directory and swapped in atomically; incremental per destination; scheduled by the
//! app; pruned by keep-last-N and keep-days; recorded in the vault's history.
//!
//! Why `age` over a plain tar: the standard `age` and `tar` tools can open a backup without
//! Tessera (no lock-in for disaster recovery), and the members themselves stay encrypted
//! with the vault's own keys, so the backup passphrase alone reveals no patient data.

mod create;
pub mod format;
mod history;
pub(crate) mod io;
mod read;
mod restore;
mod schedule;
mod snapshot;

pub use create::{CreateOptions, Progress, Trigger, create};
pub use history::{BackupRecord, PruneReport, list, mark_verified, prune};
pub use read::{VerifyReport, verify};
pub use restore::{RestoreOptions, RestoreReport, TableDifference, restore};
pub use schedule::{
    BackupSchedule, BackupStatus, ScheduledRun, run_due, run_now, schedule, set_schedule, status,
};
