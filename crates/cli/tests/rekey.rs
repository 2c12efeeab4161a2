//! `tessera vault rekey` end to end: old copies of the header stop opening the vault, what
//! the vault issued before still verifies, and a rekey killed at any step leaves a vault
//! that opens with all its records and photos.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use common::{ADMIN_PW, TestVault, stderr, tessera};
use rusqlite::Connection;
use serde_json::Value;
use tessera_core::crypto::{Subkey, VaultKeys};
use tessera_core::store::database;
use tessera_core::store::header::Header;
use tessera_core::store::keyslot::password_slot_id;

const BOB_PW: &str = "bob passphrase 22";

/// A vault with a patient, two photos, and a second account (bob, a clinician).
fn clinic() -> (TestVault, String) {
    let v = TestVault::new();
    let patient = v.json(
        v.admin()
            .args(["patient", "add", "--given", "Rosa", "--family", "Lima"]),
    );
    let id = patient["human_id"].as_str().unwrap().to_owned();
    let files = v.jpegs("p", 2, 900, 600);
    v.admin()
        .args(["photo", "import", &id])
        .args(&files)
        .assert()
        .success();
    v.add_user("bob", "clinician", BOB_PW);
    // Bob's first sign-in.
    v.as_user("bob", BOB_PW)
        .args(["patient", "list"])
        .assert()
        .success();
    (v, id)
}

/// Whether the data key that `header`'s slot for `user` gives with `password` opens the
/// vault's database as it is now on disk: what someone holding that copy of the header
/// could do with the vault's files.
fn header_opens_database(header: &Header, user: &str, password: &str, db: &Path) -> bool {
    let Some(slot) = header.slot(&password_slot_id(&header.vault_id, user)) else {
        return false;
    };
    let Some(data_key) = slot.open_with_password(&header.vault_id, password).unwrap() else {
        return false;
    };
    let conn = Connection::open(db).unwrap();
    let key = VaultKeys::first(data_key).subkey(&header.vault_id, Subkey::Database);
    database::apply_key(&conn, &key).unwrap();
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .is_ok()
}

fn rekey(v: &TestVault) -> Value {
    v.json(v.admin().args(["vault", "rekey"]))
}

/// Every photo of `patient` opens (its original is decrypted and written out).
fn photos_open(v: &TestVault, patient: &str) -> usize {
    let list = v.json(v.admin().args(["photo", "list", patient]));
    let photos = list.as_array().unwrap();
    for (n, photo) in photos.iter().enumerate() {
        let out = v.file(&format!("out-{}-{n}.jpg", std::process::id()));
        let _ = fs::remove_file(&out);
        v.admin()
            .args(["photo", "get", photo["id"].as_str().unwrap(), "--out"])
            .arg(&out)
            .assert()
            .success();
        image::open(&out).unwrap();
        fs::remove_file(&out).unwrap();
    }
    photos.len()
}

#[test]
fn a_disabled_colleagues_old_header_does_not_open_the_rekeyed_vault() {
    let (v, patient) = clinic();
    let header_path = v.dir.join("header.json");
    let db = v.dir.join("vault.db");
    // Bob keeps a copy of the header while he still works here; then he leaves.
    let kept = Header::read(&header_path).unwrap();
    v.admin()
        .args(["user", "disable", "bob"])
        .assert()
        .success();
    assert!(header_opens_database(&kept, "bob", BOB_PW, &db));

    let done = rekey(&v);
    assert_eq!(done["accounts"], 1);
    let new_recovery = done["recovery_key"].as_str().unwrap().to_owned();
    assert_ne!(new_recovery, v.recovery_key);

    assert!(!header_opens_database(&kept, "bob", BOB_PW, &db));
    assert!(!header_opens_database(&kept, "ana", ADMIN_PW, &db));
    // The photo files left under the old key are gone, not merely unused.
    assert!(!v.dir.join("media.old-key").exists());
    // The admin's password opens the new key, and every record and photo is there.
    let current = Header::read(&header_path).unwrap();
    assert!(header_opens_database(&current, "ana", ADMIN_PW, &db));
    assert_eq!(photos_open(&v, &patient), 2);
    let verified = v.json(v.admin().args(["audit", "verify"]));
    assert_eq!(verified["ok"], true, "{verified}");
    let log = v.json(
        v.admin()
            .args(["audit", "list", "--action", "vault.rekeyed"]),
    );
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");

    // The old recovery key opens nothing; the new one signs in.
    let refused = stderr(
        tessera(&v.dir)
            .args(["--recovery", "user", "list"])
            .env("TESSERA_RECOVERY_KEY", &v.recovery_key),
        3,
    );
    assert!(refused.contains("recovery key does not open"), "{refused}");
    tessera(&v.dir)
        .args(["--recovery", "user", "list"])
        .env("TESSERA_RECOVERY_KEY", &new_recovery)
        .assert()
        .success();
}

#[test]
fn access_cards_and_sealed_documents_issued_before_a_rekey_still_verify() {
    let (v, patient) = clinic();
    let granted = v.json(v.admin().args([
        "access", "grant", &patient, "--perms", "profile", "--hours", "24",
    ]));
    let code = granted["code"].as_str().unwrap().to_owned();
    let pdf = v.file("summary.pdf");
    v.json(
        v.admin()
            .args([
                "export", &patient, "--kind", "summary", "--format", "pdf", "--out",
            ])
            .arg(&pdf),
    );
    let key_before = v.json(v.admin().args(["access", "key"]));

    rekey(&v);

    let opened = v.json(v.admin().args(["access", "verify", &code]));
    assert_eq!(opened["patient"]["given_name"], "Rosa", "{opened}");
    let checked = v.json(v.admin().arg("export").arg("verify").arg(&pdf));
    assert_eq!(checked["method"], "document");
    assert_eq!(v.json(v.admin().args(["access", "key"])), key_before);
}

#[test]
fn rekey_is_for_admins_only() {
    let (v, _) = clinic();
    let refused = stderr(v.as_user("bob", BOB_PW).args(["vault", "rekey"]), 3);
    assert!(refused.contains("replace the vault's key"), "{refused}");
}

/// The steps `vault rekey` can be killed at, in order: before its switch (rolled back at
/// the next opening) and after (rolled forward).
const STEPS: [&str; 10] = [
    "journal",
    "database",
    "media-first-file",
    "media",
    "header",
    "switching",
    "database-swapped",
    "media-aside",
    "media-swapped",
    "header-swapped",
];

#[test]
fn rekey_survives_kill_9_at_every_step() {
    for step in STEPS {
        let (v, patient) = clinic();
        let header_path = v.dir.join("header.json");
        let before = Header::read(&header_path).unwrap();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tessera"))
            .env("TESSERA_VAULT", &v.dir)
            .env("TESSERA_USER", "ana")
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .env("TESSERA_CRASH_AT", step)
            .args(["vault", "rekey"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let reached = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line == format!("crash point {step}"));
        assert!(reached, "the rekey never reached {step}");
        child.kill().unwrap();
        child.wait().unwrap();

        // The next opening finishes or undoes the rekey: the records, the photos and the
        // audit chain are all there, under one key or the other.
        assert_eq!(photos_open(&v, &patient), 2, "after a kill at {step}");
        let verified = v.json(v.admin().args(["audit", "verify"]));
        assert_eq!(verified["ok"], true, "after a kill at {step}: {verified}");
        let listed = v.json(v.admin().args(["patient", "list"]));
        assert_eq!(
            listed.as_array().unwrap().len(),
            1,
            "after a kill at {step}"
        );
        let leftovers: Vec<String> = fs::read_dir(&v.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("rekey") || name.contains("old-key"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "after a kill at {step}: {leftovers:?}"
        );
        let rolled_forward = STEPS.iter().position(|s| *s == step) >= Some(5);
        let old_key_opens =
            header_opens_database(&before, "ana", ADMIN_PW, &v.dir.join("vault.db"));
        assert_eq!(old_key_opens, !rolled_forward, "after a kill at {step}");
        // Bob's password opens whichever key the vault ended with.
        v.as_user("bob", BOB_PW)
            .args(["patient", "list"])
            .assert()
            .success();
        // And a rekey run again completes.
        rekey(&v);
        assert_eq!(photos_open(&v, &patient), 2, "rekeyed again after {step}");
    }
}
