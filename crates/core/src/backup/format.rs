//! What a backup file holds, and the names of its members.
//!
//! ```text
//! age( tar(
//!   backup.json          marker: format, version, backup id, vault id (read first, to refuse
//!                        a foreign or newer backup before anything large is read)
//!   header.json          the vault header: key slots (so the restored vault opens with the
//!                        same passwords), KDF parameters
//!   vault.db             a consistent SQLCipher snapshot (still encrypted with the vault's key)
//!   media/<xy>/<id>      the sealed blobs this file holds (an incremental backup holds only
//!                        those its destination's earlier backups do not)
//!   manifest.json        every member above with its size and SHA-256, the blobs held by
//!                        earlier backups, row counts per table, the audit chain's head
//! ))
//! ```
//!
//! The members are not compressed: every one is ciphertext (SQLCipher pages, sealed blobs)
//! or a few kilobytes of JSON, and ciphertext does not compress (see docs/architecture.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The `format` field of the marker and manifest.
pub const FORMAT: &str = "tessera-backup";
/// The newest backup format this build writes and reads.
pub const VERSION: u32 = 1;

/// The first member.
pub const MARKER: &str = "backup.json";
/// The vault header.
pub const HEADER: &str = "header.json";
/// The database snapshot.
pub const DATABASE: &str = "vault.db";
/// The last member.
pub const MANIFEST: &str = "manifest.json";

/// Full or incremental.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Holds every blob.
    Full,
    /// Refers to blobs held by earlier backups in the same destination.
    Incremental,
}

impl Kind {
    /// The name stored in the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Full => "full",
            Kind::Incremental => "incremental",
        }
    }
}

/// The first member: enough to refuse a wrong file early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version.
    pub version: u32,
    /// This backup's id.
    pub backup_id: Uuid,
    /// The vault it was taken of.
    pub vault_id: Uuid,
    /// When, RFC 3339.
    pub created_at: String,
    /// Full or incremental.
    pub kind: Kind,
}

impl Marker {
    /// Parses the marker, refusing other formats and newer versions.
    pub fn parse(bytes: &[u8]) -> Result<Marker> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|_| Error::BackupUnsupported("this is not a Tessera backup".into()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(Error::BackupUnsupported(
                "this is not a Tessera backup".into(),
            ));
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > u64::from(VERSION) {
            return Err(Error::FutureVersion {
                what: "backup format",
                found: version,
                supported: VERSION.into(),
            });
        }
        serde_json::from_value(value)
            .map_err(|e| Error::BackupUnsupported(format!("the backup's marker is invalid: {e}")))
    }
}

/// One member stored in this file.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its name in the tar.
    pub name: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

/// A blob this backup needs but an earlier backup in the same destination holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The member name in the other file.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// The backup that holds it.
    pub backup_id: Uuid,
    /// That backup's file name, looked for beside this one.
    pub file: String,
}

/// The head of the audit chain inside the snapshot.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    /// Entries in the chain.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    /// MAC of the newest entry, lowercase hex.
    pub mac: String,
}

/// The last member: what the file holds and what it depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version.
    pub version: u32,
    /// This backup's id.
    pub backup_id: Uuid,
    /// The vault it was taken of.
    pub vault_id: Uuid,
    /// When, RFC 3339.
    pub created_at: String,
    /// Who took it.
    pub created_by: String,
    /// The Tessera version that wrote it.
    pub app_version: String,
    /// The database schema version of the snapshot.
    pub schema_version: u32,
    /// Full or incremental.
    pub kind: Kind,
    /// Every other member of this file, in order.
    pub members: Vec<Member>,
    /// Blobs held by earlier backups.
    pub references: Vec<Reference>,
    /// Blobs the database refers to that were missing from the vault when it was backed up.
    pub missing_blobs: Vec<Uuid>,
    /// Rows per table in the snapshot.
    pub row_counts: BTreeMap<String, u64>,
    /// The audit chain's head in the snapshot.
    pub audit_head: AuditHead,
}

/// A blob's member name: `media/<xy>/<id>`, as in the vault directory.
pub fn blob_member(id: &Uuid) -> String {
    format!("media/{}", crate::store::blobs::shard_and_name(id))
}

/// The blob id a member name stands for, if it is exactly a blob's name.
pub fn parse_blob_member(name: &str) -> Option<Uuid> {
    let id = Uuid::try_parse(name.strip_prefix("media/")?.split_once('/')?.1).ok()?;
    (blob_member(&id) == name).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn blob_member_names_round_trip(bytes in any::<[u8; 16]>()) {
            let id = Uuid::from_bytes(bytes);
            prop_assert_eq!(parse_blob_member(&blob_member(&id)), Some(id));
        }

        #[test]
        fn only_exact_blob_names_parse(name in "\\PC{0,80}") {
            if let Some(id) = parse_blob_member(&name) {
                prop_assert_eq!(blob_member(&id), name);
            }
        }
    }

    #[test]
    fn traversal_and_odd_names_are_not_blobs() {
        let id = Uuid::now_v7();
        let good = blob_member(&id);
        assert_eq!(parse_blob_member(&good), Some(id));
        for bad in [
            format!("media/../{}", id.simple()),
            format!("media/zz/{}", id.simple()),
            format!("/{good}"),
            format!("{good}/x"),
            format!("media/{}", id.simple()),
        ] {
            assert_eq!(parse_blob_member(&bad), None, "{bad}");
        }
    }

    #[test]
    fn foreign_and_newer_markers_are_refused() {
        assert!(matches!(
            Marker::parse(b"{\"format\":\"zip\"}"),
            Err(Error::BackupUnsupported(_))
        ));
        assert!(matches!(
            Marker::parse(b"not json"),
            Err(Error::BackupUnsupported(_))
        ));
        assert!(matches!(
            Marker::parse(br#"{"format":"tessera-backup","version":99}"#),
            Err(Error::FutureVersion { .. })
        ));
    }
}
