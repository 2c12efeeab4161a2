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
    patients::create(
        &mut admin,
        Profile::named("Ada", "Obi"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    let mut later = vault.admin();
    assert_eq!(patients::search(&mut later, "Ada", 5).unwrap().len(), 1);
}

#[test]
fn a_cancelled_rekey_leaves_the_vault_as_it_was() {
    let vault = Vault::new();
    let mut admin = vault.admin();
    patients::create(
        &mut admin,
        Profile::named("Ada", "Obi"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
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

/// A rekey refused because a colleague had the vault open must leave this session still
/// marking the vault in use: another admin's rekey (or a restore) must not swap the files
/// from under it.
#[test]
fn a_refused_rekey_leaves_the_vault_marked_in_use() {
    let vault = Vault::new();
    let mut admin = vault.admin();
    let other = vault.staff("carla", Role::Clinician);
    let err = vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, Error::VaultInUse), "{err}");
    drop(other);
    let mut second = vault.admin();
    let err = vault::rekey(&mut second, &mut |_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, Error::VaultInUse), "{err}");
}

/// A journal left by a rekey that was switching (a crash the next sign-in finishes) must
/// never be rolled back or started over by another rekey: that would destroy the new key.
#[test]
fn a_rekey_refuses_to_start_over_an_unfinished_one() {
    let vault = Vault::new();
    let mut admin = vault.admin();
    fs::write(vault.dir.join(".rekey.json"), br#"{"state":"switching"}"#).unwrap();
    let header = fs::read(vault.dir.join("header.json")).unwrap();
    let err = vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, Error::RekeyUnfinished(_)), "{err}");
    assert_eq!(fs::read(vault.dir.join("header.json")).unwrap(), header);
    assert!(vault.dir.join(".rekey.json").exists());
}

/// Someone strips the sealed identity key from a rekeyed vault's header, so that sessions
/// would derive audit and signing keys from the data key instead: the vault refuses to open.
#[test]
fn a_rekeyed_header_without_its_identity_key_is_refused() {
    let vault = Vault::new();
    let mut admin = vault.admin();
    vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    drop(admin);
    let path = vault.dir.join("header.json");
    let mut header: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    header.as_object_mut().unwrap().remove("identity_key");
    fs::write(&path, serde_json::to_vec(&header).unwrap()).unwrap();
    let err = tessera_core::vault::unlock(
        &vault.dir,
        &vault::Credentials::Password {
            username: "ana",
            password: common::ADMIN_PW,
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::CorruptHeader(_)), "{err}");
}
