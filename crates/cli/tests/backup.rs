//! `tessera backup ...` end to end: the standard `age` and `tar` tools read a backup, a
//! passphrase round trip, `kill -9` in the middle of backups, and a destination that is too
//! small or fails mid-write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use common::{ADMIN_PW, TestVault, age_keygen, output, stderr};
use serde_json::Value;

const PASSPHRASE: &str = "a long backup passphrase";

/// A vault with two patients and `photos` photos.
fn populated(photos: u32) -> TestVault {
    let v = TestVault::new();
    let patient = v.json(
        v.admin()
            .args(["patient", "add", "--given", "Rosa", "--family", "Lima"]),
    );
    let id = patient["human_id"].as_str().unwrap().to_owned();
    v.admin()
        .args(["patient", "add", "--given", "Tomas", "--family", "Reyes"])
        .assert()
        .success();
    if photos > 0 {
        let files = v.jpegs("p", photos, 1200, 900);
        v.admin()
            .args(["photo", "import", &id])
            .args(&files)
            .assert()
            .success();
    }
    v
}

fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

#[test]
fn age_and_tar_read_a_backup_and_its_manifest_lists_every_member() {
    let v = populated(2);
    let (key, public) = age_keygen(&v.file("backup-key.txt"));
    let dest = v.file("drive");
    fs::create_dir(&dest).unwrap();
    let created = v.json(
        v.admin()
            .args(["backup", "create", "--dest"])
            .arg(&dest)
            .args(["--recipient", &public]),
    );
    let file = PathBuf::from(created["file"].as_str().unwrap());

    let plain = v.file("backup.tar");
    let age = Process::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg("-o")
        .arg(&plain)
        .arg(&file)
        .status()
        .unwrap();
    assert!(age.success());
    let listing = Process::new("tar").arg("-tf").arg(&plain).output().unwrap();
    assert!(listing.status.success());
    let names: Vec<String> = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let manifest = Process::new("tar")
        .arg("-xOf")
        .arg(&plain)
        .arg("manifest.json")
        .output()
        .unwrap();
    let manifest: Value = serde_json::from_slice(&manifest.stdout).unwrap();
    let listed: Vec<&str> = manifest["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.last().map(String::as_str), Some("manifest.json"));
    assert_eq!(listed, names[..names.len() - 1]);
    assert_eq!(
        listed.len(),
        3 + 4,
        "marker, header, database and two photos' two files"
    );
    // The hashes in the manifest are the members' (checked with the standard tool).
    let db = Process::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -xOf '{}' vault.db | sha256sum",
            plain.display()
        ))
        .output()
        .unwrap();
    let db_hash = String::from_utf8(db.stdout).unwrap();
    assert!(db_hash.starts_with(manifest["members"][2]["sha256"].as_str().unwrap()));

    // Verify and restore with the same secret key.
    v.admin()
        .args(["backup", "verify"])
        .arg(&file)
        .arg("--identity")
        .arg(&key)
        .assert()
        .success();
}

#[test]
fn a_passphrase_backup_restores_into_a_new_directory_that_opens_and_verifies() {
    let v = populated(1);
    let dest = v.file("drive");
    fs::create_dir(&dest).unwrap();
    let mut short = v.admin();
    short
        .env("TESSERA_BACKUP_PASSPHRASE", "too short")
        .args(["backup", "create", "--dest"])
        .arg(&dest);
    assert!(stderr(&mut short, 1).contains("at least 12 characters"));
    assert_eq!(fs::read_dir(&dest).unwrap().count(), 0);
    let created = v.json(
        v.admin()
            .env("TESSERA_BACKUP_PASSPHRASE", PASSPHRASE)
            .args(["backup", "create", "--dest"])
            .arg(&dest),
    );
    assert_eq!(created["status"], "ok");
    let file = created["file"].as_str().unwrap().to_owned();
    let target = v.file("restored");
    let dry = v.json(
        v.admin()
            .env("TESSERA_BACKUP_PASSPHRASE", PASSPHRASE)
            .args(["backup", "restore", &file, "--dry-run", "--to"])
            .arg(&target),
    );
    assert_eq!(dry["dry_run"], true);
    assert!(!target.exists());
    let report = v.json(
        v.admin()
            .env("TESSERA_BACKUP_PASSPHRASE", PASSPHRASE)
            .args(["backup", "restore", &file, "--to"])
            .arg(&target),
    );
    assert_eq!(report["backup"]["row_counts"]["patients"], 2);
    let mut restored = common::tessera(&target);
    restored
        .env("TESSERA_USER", "ana")
        .env("TESSERA_PASSWORD", ADMIN_PW)
        .args(["vault", "info", "--json"]);
    let info: Value = serde_json::from_str(&output(&mut restored).0).unwrap();
    assert_eq!(info["counts"]["patients"], 2);
    assert_eq!(info["counts"]["photos"], 1);
    let mut audit = common::tessera(&target);
    audit
        .env("TESSERA_USER", "ana")
        .env("TESSERA_PASSWORD", ADMIN_PW)
        .args(["audit", "verify"]);
    output(&mut audit);

    // Refusals, with their exit codes.
    let mut wrong = v.admin();
    wrong
        .env("TESSERA_BACKUP_PASSPHRASE", "not the passphrase")
        .args(["backup", "verify", &file]);
    assert!(stderr(&mut wrong, 3).contains("wrong passphrase"));
    let mut bytes = fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    let flipped = v.file("flipped.age");
    fs::write(&flipped, bytes).unwrap();
    let mut damaged = v.admin();
    damaged
        .env("TESSERA_BACKUP_PASSPHRASE", PASSPHRASE)
        .args(["backup", "verify"])
        .arg(&flipped);
    assert!(stderr(&mut damaged, 4).contains("damaged"));
    let list = v.json(v.admin().args(["backup", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
}

fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            } else {
                out.push((entry.path(), fs::read(entry.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `kill -9` at random points of backups until ten have been killed mid-way: every file
/// that looks like a backup is complete and verifies, and the vault is intact.
#[test]
fn a_kill_9_during_a_backup_never_leaves_a_file_that_passes_for_a_backup() {
    let v = populated(12);
    let dest = v.file("drive");
    fs::create_dir(&dest).unwrap();
    let (key, public) = age_keygen(&v.file("key.txt"));
    let create = [
        "backup",
        "create",
        "--full",
        "--recipient",
        &public,
        "--dest",
    ];
    // Kills land anywhere in the time one whole backup takes (unlock included). Later runs
    // can be faster than the first (warm caches), so the window shrinks to the quickest
    // backup seen, and rounds go on until enough kills landed mid-way.
    let started = std::time::Instant::now();
    v.admin().args(create).arg(&dest).assert().success();
    let mut whole = started.elapsed();
    let mut rng = fastrand::Rng::with_seed(20_261_124);
    let (mut rounds, mut killed) = (0, 0);
    while killed < 10 {
        assert!(
            rounds < 60,
            "only {killed} of {rounds} rounds were killed before finishing"
        );
        let started = std::time::Instant::now();
        let mut child = v.spawn_admin(create.iter().map(OsStr::new).chain([dest.as_os_str()]));
        std::thread::sleep(Duration::from_micros(rng.u64(0..whole.as_micros() as u64)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if status.success() {
            whole = whole.min(started.elapsed());
        } else {
            killed += 1;
        }
        rounds += 1;
        eprintln!("round {rounds}: {status}");
    }
    let mut complete = 0;
    for file in backups_in(&dest) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            assert!(name.ends_with(".partial"), "{name}");
            continue;
        }
        assert!(name.ends_with("-full.age"), "{name}");
        v.admin()
            .args(["backup", "verify"])
            .arg(&file)
            .arg("--identity")
            .arg(&key)
            .assert()
            .success();
        complete += 1;
    }
    // A kill after the rename (while the history is written) still leaves a whole backup.
    assert!(
        complete > rounds - killed,
        "{complete} complete, {killed} of {rounds} killed"
    );
    let check = v.json(v.admin().args(["vault", "check"]));
    assert_eq!(check["database_problems"], serde_json::json!([]));
    assert_eq!(check["photo_problems"], serde_json::json!([]));
    v.admin().args(["audit", "verify"]).assert().success();
    // And a backup made now is complete.
    v.admin()
        .args(["backup", "create", "--recipient", &public, "--dest"])
        .arg(&dest)
        .assert()
        .success();
}

/// A destination too small for the backup is refused before anything is written; a write
/// that fails half-way (the file size limit standing in for a disk filling up meanwhile)
/// leaves no file, and nothing in the vault changes but the failure in the history.
#[test]
fn a_full_destination_is_refused_or_cleaned_up_and_the_vault_is_intact() {
    let v = populated(6);
    let before = tree(&v.dir.join("media"));
    let dest = v.file("small");
    fs::create_dir(&dest).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("tessera");
    let run = |command: &mut Process| {
        command
            .env("TESSERA_VAULT", &v.dir)
            .env("TESSERA_USER", "ana")
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .env("TESSERA_BACKUP_PASSPHRASE", PASSPHRASE)
            .output()
            .unwrap()
    };
    let create = format!(
        "'{}' backup create --dest '{}'",
        binary.display(),
        dest.display()
    );
    let mount = format!("mount -t tmpfs -o size=256k none '{}'", dest.display());
    let small = run(Process::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "bash", "-c"])
        .arg(format!("{mount} && {create}")));
    let message = String::from_utf8_lossy(&small.stderr);
    assert_eq!(small.status.code(), Some(1), "{message}");
    assert!(message.contains("not enough space"), "{message}");
    assert!(backups_in(&dest).is_empty());

    // The vault's own files stay under the limit; the backup file does not.
    let limited = run(Process::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f 1024; exec {create}")));
    let message = String::from_utf8_lossy(&limited.stderr);
    assert_eq!(limited.status.code(), Some(1), "{message}");
    assert!(message.contains("cannot write the backup"), "{message}");
    assert!(backups_in(&dest).is_empty(), "{:?}", backups_in(&dest));

    assert_eq!(tree(&v.dir.join("media")), before);
    v.admin().args(["audit", "verify"]).assert().success();
    let history = v.json(v.admin().args(["backup", "list"]));
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["failed", "failed"]);
}
