//! An unencrypted copy of a vault, for benchmarks only: it measures what SQLCipher costs by
//! running the very same core code over the same data without encryption. Compiled only
//! with the `bench-plaintext` feature, which neither the CLI nor the app enables; a vault
//! opened normally still refuses a plaintext database.

use std::path::Path;

use rusqlite::Connection;

use super::{VaultPaths, database};
use crate::error::{Error, Result};
use crate::session::Session;

/// Exports `session`'s database without encryption into `dir` (which must not hold a
/// database yet), copies the header beside it, and returns a session over the copy with the
/// same actor and keys.
pub fn copy(session: &Session, dir: &Path) -> Result<Session> {
    let paths = VaultPaths::new(dir);
    std::fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    let target = paths.database();
    let target_text = target
        .to_str()
        .ok_or_else(|| Error::invalid("path", "must be valid UTF-8"))?;
    // The vault's connection may not create files, so the empty target is made first.
    drop(Connection::open(&target)?);
    session
        .conn
        .execute("ATTACH DATABASE ?1 AS plaintext KEY ''", [target_text])?;
    session
        .conn
        .query_row("SELECT sqlcipher_export('plaintext')", [], |_| Ok(()))?;
    session.conn.execute_batch("DETACH DATABASE plaintext")?;
    std::fs::copy(session.paths.header(), paths.header())
        .map_err(Error::io("cannot copy the header"))?;
    open(session, dir)
}

/// Opens a copy made by [`copy`] as `session`'s actor.
pub fn open(session: &Session, dir: &Path) -> Result<Session> {
    let paths = VaultPaths::new(dir);
    let in_use = super::lock::InUseLock::shared(&paths.in_use_file())?;
    let conn = Connection::open(paths.database())?;
    database::configure(&conn)?;
    Ok(Session {
        paths,
        vault_id: session.vault_id,
        conn,
        actor: session.actor.clone(),
        session_id: session.session_id,
        keys: session.keys.duplicate(),
        audit_key: session.audit_key.duplicate(),
        media: session.media.clone(),
        anchor: Default::default(),
        upgrade: None,
        _in_use: in_use,
    })
}
