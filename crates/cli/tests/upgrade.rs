//! A vault made by an older Tessera, opened by this one: `tests/fixtures/vault-schema6` was
//! written by the CLI of the last build before exports (database schema 6), with three
//! patients, a visit, a narrative and a photo. The first sign-in keeps a copy of it as it
//! was, then upgrades it; a copy that cannot be made leaves it untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use common::{ADMIN_PW, tessera};
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/vault-schema6")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), dest).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The fixture copied into a temp dir, as `<tmp>/vault`.
fn older_vault() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    copy_tree(&fixture(), &vault);
    (tmp, vault)
}

fn earlier_states(parent: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains("pre-upgrade")
        })
        .collect();
    found.sort();
    found
}

fn patients(vault: &Path) -> (Value, String) {
    let out = tessera(vault)
        .args(["--user", "ana", "--json", "patient", "list"])
        .env("TESSERA_PASSWORD", ADMIN_PW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn schema_version(vault: &Path) -> u64 {
    let out = tessera(vault)
        .args(["--user", "ana", "--json", "vault", "info"])
        .env("TESSERA_PASSWORD", ADMIN_PW)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    info["schema_version"].as_u64().unwrap()
}

#[test]
fn an_older_vault_is_copied_before_its_format_is_upgraded_and_the_copy_opens() {
    let (tmp, vault) = older_vault();
    let (listed, notice) = patients(&vault);
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    assert!(
        notice.contains("This vault was upgraded to this version of Tessera (format 6 to"),
        "{notice}"
    );
    let copies = earlier_states(tmp.path());
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = &copies[0];
    assert!(notice.contains(&copy.display().to_string()), "{notice}");

    // The copy is the whole vault as it was: the photos shared by hard link, not duplicated.
    let media = files_under(&vault.join("media"));
    assert!(!media.is_empty());
    for file in &media {
        let twin = copy.join(file.strip_prefix(&vault).unwrap());
        assert_eq!(
            fs::metadata(file).unwrap().ino(),
            fs::metadata(&twin).unwrap().ino(),
            "{}",
            twin.display()
        );
    }

    // The next sign-in finds nothing to upgrade and says nothing.
    let (again, quiet) = patients(&vault);
    assert_eq!(again, listed);
    assert!(!quiet.contains("upgraded"), "{quiet}");
    assert_eq!(earlier_states(tmp.path()).len(), 1);

    // The copy opens with the same password and holds the same patients.
    let (in_copy, _) = patients(copy);
    assert_eq!(in_copy, listed);
    for dir in [&vault, copy] {
        tessera(dir)
            .args(["--user", "ana", "audit", "verify"])
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .assert()
            .success();
    }
    assert_eq!(schema_version(&vault), schema_version(copy));
}

#[test]
fn a_copy_that_cannot_be_written_keeps_the_older_vault_unchanged() {
    let (tmp, vault) = older_vault();
    let database = fs::read(vault.join("vault.db")).unwrap();
    // A file size limit below the database's size stands in for a disk that fills up while
    // the copy is written.
    let limit_kib = database.len() / 2 / 1024;
    let out = Process::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit_kib}; exec '{}' --user ana patient list",
            assert_cmd::cargo::cargo_bin("tessera").display()
        ))
        .env("TESSERA_VAULT", &vault)
        .env("TESSERA_PASSWORD", ADMIN_PW)
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(
        message.contains("keeps a copy of the vault before it upgrades the vault's format")
            && message.contains("the vault is unchanged"),
        "{message}"
    );
    assert!(earlier_states(tmp.path()).is_empty());
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "vault")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(fs::read(vault.join("vault.db")).unwrap(), database);

    // With room, the same sign-in upgrades it.
    let (listed, notice) = patients(&vault);
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert!(notice.contains("upgraded"), "{notice}");
}

/// The older vault's key slots seal the data key straight under the password: they cannot
/// be re-wrapped without it. The first sign-in converts the admin's slot, so the key can
/// then be replaced, and the old slots (kept in the fixture) open nothing afterwards.
#[test]
fn an_older_vaults_slots_are_converted_at_sign_in_so_its_key_can_be_replaced() {
    let (_tmp, vault) = older_vault();
    let old_header: Value =
        serde_json::from_slice(&fs::read(fixture().join("header.json")).unwrap()).unwrap();
    assert!(old_header["slots"][0].get("public_key").is_none());
    patients(&vault);
    let header: Value =
        serde_json::from_slice(&fs::read(vault.join("header.json")).unwrap()).unwrap();
    assert_eq!(header["format_version"], 2);
    let ana = header["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "password")
        .unwrap();
    assert!(ana["public_key"].as_str().unwrap().starts_with("age1"));

    let out = tessera(&vault)
        .args(["--user", "ana", "--json", "vault", "rekey"])
        .env("TESSERA_PASSWORD", ADMIN_PW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (listed, _) = patients(&vault);
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    // The fixture's own header, put back, no longer opens the database.
    fs::copy(fixture().join("header.json"), vault.join("header.json")).unwrap();
    let refused = tessera(&vault)
        .args(["--user", "ana", "patient", "list"])
        .env("TESSERA_PASSWORD", ADMIN_PW)
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
