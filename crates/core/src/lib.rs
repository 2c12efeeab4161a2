//! # tessera-core
//!
//! Everything in Tessera that is not a window or a terminal: the SQLCipher-encrypted vault
//! with its key slots, staff accounts and the access policy, the HMAC-chained audit log, and
//! the records: patients, encounters, narratives, consents and provider credentials.
//! The CLI and the desktop shell are thin front ends over this crate.
//!
//! ```no_run
//! use tessera_core::{vault, accounts, crypto::Argon2Params};
//! # fn main() -> tessera_core::Result<()> {
//! let dir = std::path::Path::new("/tmp/clinic-vault");
//! let created = vault::create(dir, &vault::NewVault {
//!     admin_username: "ana",
//!     admin_display_name: "Ana Souza",
//!     admin_password: "a long passphrase",
//!     kdf: Argon2Params::STANDARD,
//! })?;
//! println!("write this down: {}", created.recovery_key.display().as_str());
//!
//! let mut session = vault::unlock(dir, &vault::Credentials::Password {
//!     username: "ana",
//!     password: "a long passphrase",
//! })?;
//! let staff = accounts::list(&mut session)?;
//! session.lock(); // closes the database and wipes the keys
//! # Ok(()) }
//! ```
//!
//! Every operation goes through a [`Session`]: it checks [`policy`] and writes the
//! [`audit`] entry in the same transaction as the change.

pub mod access;
pub mod accounts;
pub mod archive;
pub mod audit;
pub mod audit_chain;
pub mod backup;
pub mod chart;
pub mod clock;
pub mod consents;
pub mod credentials;
pub mod crypto;
pub mod encounters;
pub mod erasure;
mod error;
pub mod export;
mod fsutil;
pub mod listing;
pub mod media;
pub mod merge;
pub mod narratives;
mod outside;
pub mod patients;
pub mod policy;
pub mod process;
pub mod progress;
pub mod retention;
pub mod seed;
pub mod session;
pub mod settings;
pub mod signing;
pub mod store;
pub mod subject_export;
pub mod transfer;
pub mod vault;

pub use error::{AccessRefusal, Error, ErrorClass, Result, TransferRefusal};
pub use session::{Actor, Session};
