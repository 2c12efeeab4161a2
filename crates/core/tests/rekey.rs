//! `vault::rekey` in process: who may, when it must wait, and what a cancel leaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::sync::atomic::AtomicBool;

use common::Vault;
use tessera_core::Error;
use tessera_core::patients::{self, Profile};
use tessera_core::policy::Role;
use tessera_core::vault;

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A colleague still signed in on another desk would go on writing under the old key into
/// a database about to be replaced: the rekey waits until they have closed the vault.
#[test]
fn a_rekey_is_refused_while_another_session_has_the_vault_open() {
    let vault = Vault::new();
    let mut admin = vault.admin();
    let other = vault.staff("carla", Role::Clinician);
    let err = vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, Error::VaultInUse), "{err}");
    drop(other);
    vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    // The session goes on under the new key, and others may open the vault again.
    patients::create(&mut admin, Profile::named("Ada", "Obi")).unwrap();
    let mut later = vault.admin();
    assert_eq!(patients::search(&mut later, "Ada", 5).unwrap().len(), 1);
}

#[test]
fn a_cancelled_rekey_leaves_the_vault_as_it_was() {
    let vault = Vault::new();
    let mut admin = vault.admin();
    patients::create(&mut admin, Profile::named("Ada", "Obi")).unwrap();
    let header = fs::read(vault.dir.join("header.json")).unwrap();
    let before = names(&vault.dir);
    let err = vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(true)).unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(names(&vault.dir), before);
    let after: serde_json::Value =
        serde_json::from_slice(&fs::read(vault.dir.join("header.json")).unwrap()).unwrap();
    let was: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(after["slots"], was["slots"]);
    assert_eq!(patients::search(&mut admin, "Ada", 5).unwrap().len(), 1);
}

#[test]
fn a_clinician_cannot_replace_the_vault_key() {
    let vault = Vault::new();
    let mut carla = vault.staff("carla", Role::Clinician);
    let err = vault::rekey(&mut carla, &mut |_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err}");
}
