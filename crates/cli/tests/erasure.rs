//! `tessera patient erase`, `patient subject-export` and `retention ...` through the binary:
//! arguments, confirmations, who may, exit codes and JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use common::{TestVault, age_keygen, stderr};

fn add_patient(v: &TestVault) -> String {
    let out = v.json(v.admin().args([
        "patient",
        "add",
        "--given",
        "Zephyrine",
        "--family",
        "Quillfeather",
    ]));
    out["human_id"].as_str().unwrap().to_owned()
}

#[test]
fn erase_asks_for_confirmation_is_admin_only_and_reports_counts() {
    let v = TestVault::new();
    let hid = add_patient(&v);
    v.admin()
        .args(["narrative", "add", &hid, "--text", "a long walk"])
        .assert()
        .success();

    let err = stderr(v.admin().args(["patient", "erase", &hid]), 2);
    assert!(err.contains("--yes"), "{err}");
    v.add_user("cleo", "clinician", "clinician passphrase 1");
    let err = stderr(
        v.as_user("cleo", "clinician passphrase 1")
            .args(["patient", "erase", &hid, "--yes"]),
        3,
    );
    assert!(err.contains("may not erase patients"), "{err}");

    let report = v.json(v.admin().args(["patient", "erase", &hid, "--yes"]));
    assert_eq!(report["mode"], "delete");
    assert_eq!(report["narratives"], 1);
    assert!(report["audit_entries_redacted"].as_u64().unwrap() >= 2);
    stderr(v.admin().args(["patient", "show", &hid]), 1);
    let verify = v.json(v.admin().args(["audit", "verify"]));
    assert_eq!(verify["ok"], true);
    assert!(verify["redacted"].as_u64().unwrap() >= 2);
}

#[test]
fn anonymise_keeps_a_record_without_the_name() {
    let v = TestVault::new();
    let hid = add_patient(&v);
    let report = v.json(
        v.admin()
            .args(["patient", "erase", &hid, "--anonymise", "--yes"]),
    );
    assert_eq!(report["mode"], "anonymise");
    let old_id = report["patient_id"].as_str().unwrap().to_owned();
    stderr(v.admin().args(["patient", "show", &old_id]), 1);
    let kept = report["anonymised_as"].as_str().unwrap().to_owned();
    let shown = v.json(v.admin().args(["patient", "show", &kept]));
    assert_eq!(shown["given_name"], "Anonymised");
    assert_ne!(shown["human_id"], hid.as_str());
    assert_ne!(shown["id"], old_id.as_str());
}

#[test]
fn subject_export_writes_a_tar_once() {
    let v = TestVault::new();
    let hid = add_patient(&v);
    let out = v.file("subject.tar");
    let export = v.json(
        v.admin()
            .args(["patient", "subject-export", &hid, "--out"])
            .arg(&out),
    );
    assert_eq!(export["photos"], 0);
    assert_eq!(export["sha256"].as_str().unwrap().len(), 64);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.windows(11).any(|w| w == b"record.json"));
    assert!(bytes.windows(9).any(|w| w == b"Zephyrine"));
    let err = stderr(
        v.admin()
            .args(["patient", "subject-export", &hid, "--out"])
            .arg(&out),
        1,
    );
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn an_encrypted_subject_export_opens_with_the_standard_age_only() {
    let v = TestVault::new();
    let hid = add_patient(&v);
    let out = v.file("subject.tar.age");
    let err = stderr(
        v.admin()
            .env("TESSERA_EXPORT_PASSPHRASE", "too short")
            .args(["patient", "subject-export", &hid, "--encrypt", "--out"])
            .arg(&out),
        1,
    );
    assert!(err.contains("at least 12 characters"), "{err}");
    assert!(!out.exists());

    let (key, public) = age_keygen(&v.file("key.txt"));
    v.json(
        v.admin()
            .args([
                "patient",
                "subject-export",
                &hid,
                "--recipient",
                &public,
                "--out",
            ])
            .arg(&out),
    );
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!bytes.windows(9).any(|w| w == b"Zephyrine"));
    let age = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg(&out)
        .output()
        .unwrap();
    assert!(age.status.success());
    let plain = v.file("subject.tar");
    std::fs::write(&plain, &age.stdout).unwrap();
    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&plain)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(listing.lines().any(|l| l == "record.json"), "{listing}");
}

#[test]
fn retention_show_set_and_run() {
    let v = TestVault::new();
    let policy = v.json(v.admin().args(["retention", "show"]));
    assert_eq!(policy["binned_days"], 30);
    assert!(policy["inactive_patients"].is_null());

    let err = stderr(
        v.admin().args(["retention", "set", "--audit-entries", "2"]),
        1,
    );
    assert!(err.contains("legal minimum"), "{err}");
    stderr(
        v.admin()
            .args(["retention", "set", "--photos", "5:anonymise"]),
        2,
    );
    stderr(
        v.admin().args(["retention", "set", "--encounters", "ten"]),
        2,
    );

    let policy = v.json(v.admin().args([
        "retention",
        "set",
        "--encounters",
        "10:anonymise",
        "--audit-entries",
        "7",
        "--binned",
        "off",
    ]));
    assert_eq!(policy["encounters"]["years"], 10);
    assert_eq!(policy["encounters"]["action"], "anonymise");
    assert_eq!(policy["audit_entries_years"], 7);
    assert!(policy["binned_days"].is_null());

    add_patient(&v);
    let dry = v.json(v.admin().args(["retention", "run", "--dry-run"]));
    assert_eq!(dry["dry_run"], true);
    let rules: Vec<&str> = dry["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["encounters", "audit_entries"]);
    let real = v.json(v.admin().args(["retention", "run"]));
    assert_eq!(real["rules"][0]["count"], 0);

    v.add_user("cleo", "clinician", "clinician passphrase 1");
    stderr(
        v.as_user("cleo", "clinician passphrase 1")
            .args(["retention", "run", "--dry-run"]),
        3,
    );
}

/// `kill -9` during subject access exports written without encryption (a whole health
/// record in plain text), until three left their partial file behind: each is removed at
/// the next unlock, whatever command it is, though nobody exports into that folder again.
#[test]
fn a_killed_subject_exports_plain_text_is_swept_at_the_next_unlock() {
    let v = TestVault::new();
    let hid = add_patient(&v);
    let photos = v.jpegs("p", 12, 1600, 1200);
    v.admin()
        .args(["photo", "import", &hid])
        .args(&photos)
        .assert()
        .success();
    let dir = v.file("desktop");
    std::fs::create_dir(&dir).unwrap();
    let partials = || -> Vec<PathBuf> {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(".tessera-partial-")
            })
            .collect()
    };
    let started = std::time::Instant::now();
    v.admin()
        .args(["patient", "subject-export", &hid, "--out"])
        .arg(dir.join("whole.tar"))
        .assert()
        .success();
    let whole = started.elapsed();
    let mut rng = fastrand::Rng::with_seed(20_261_203);
    let (mut rounds, mut left_behind) = (0, 0);
    while left_behind < 3 {
        assert!(
            rounds < 60,
            "only {left_behind} of {rounds} kills left a partial file"
        );
        rounds += 1;
        let out = dir.join(format!("round-{rounds}.tar"));
        let mut child = v.spawn_admin(
            ["patient", "subject-export", &hid, "--out"]
                .map(OsStr::new)
                .into_iter()
                .chain([out.as_os_str()]),
        );
        std::thread::sleep(Duration::from_micros(rng.u64(0..whole.as_micros() as u64)));
        child.kill().unwrap();
        child.wait().unwrap();
        if partials().is_empty() {
            continue;
        }
        left_behind += 1;
        v.admin().args(["patient", "list"]).assert().success();
        assert_eq!(partials(), Vec::<PathBuf>::new(), "round {rounds}");
    }
}
