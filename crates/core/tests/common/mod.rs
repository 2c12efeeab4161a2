//! A real vault in a temp directory, with an admin and staff sessions, for integration tests.
#![allow(dead_code, clippy::unwrap_used)]

pub mod sqlcipher;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tessera_core::Session;
use tessera_core::accounts::{self, NewStaff};
use tessera_core::crypto::{self, Argon2Params, Subkey};
use tessera_core::policy::Role;
use tessera_core::store::database;
use tessera_core::store::header::Header;
use tessera_core::store::keyslot::password_slot_id;
use tessera_core::vault::{self, Credentials as Login, NewVault};

pub const ADMIN_PW: &str = "admin passphrase 1";
pub const STAFF_PW: &str = "staff passphrase 1";

pub struct Vault {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Vault {
    pub fn new() -> Vault {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("vault");
        let new = NewVault {
            admin_username: "ana",
            admin_display_name: "Ana",
            admin_password: ADMIN_PW,
            kdf: Argon2Params::MINIMUM,
        };
        vault::create(&dir, &new).unwrap();
        Vault { _tmp: tmp, dir }
    }

    /// A vault somewhere else (restored, or set aside by a restore); nothing is removed.
    pub fn at(dir: &Path) -> Vault {
        Vault {
            _tmp: tempfile::tempdir().unwrap(),
            dir: dir.to_path_buf(),
        }
    }

    pub fn admin(&self) -> Session {
        login(&self.dir, "ana", ADMIN_PW)
    }

    pub fn staff(&self, name: &str, role: Role) -> Session {
        let mut admin = self.admin();
        let new = NewStaff {
            username: name,
            display_name: "",
            role,
            must_change_password: false,
        };
        accounts::add(&mut admin, &new, STAFF_PW).unwrap();
        login(&self.dir, name, STAFF_PW)
    }

    /// vault.db opened with the raw key, bypassing the core, as a test (or an attacker
    /// holding the key) could.
    pub fn raw(&self) -> Connection {
        let conn = Connection::open(self.dir.join("vault.db")).unwrap();
        database::apply_key(&conn, &self.db_key()).unwrap();
        conn
    }

    /// The raw SQLCipher key of vault.db, derived from the data key as the vault does.
    pub fn db_key(&self) -> crypto::SecretKey {
        let header = Header::read(&self.dir.join("header.json")).unwrap();
        let slot = header
            .slot(&password_slot_id(&header.vault_id, "ana"))
            .unwrap();
        let dek = slot
            .open_with_password(&header.vault_id, ADMIN_PW)
            .unwrap()
            .unwrap();
        crypto::VaultKeys::first(dek).subkey(&header.vault_id, Subkey::Database)
    }
}

pub fn login(dir: &Path, username: &str, password: &str) -> Session {
    vault::unlock(dir, &Login::Password { username, password }).unwrap()
}
