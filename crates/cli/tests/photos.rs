//! `tessera photo ...` on real vaults, and what a `kill -9` in the middle of an import
//! leaves behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{TestVault, stderr, write_jpeg};
use serde_json::Value;

fn new_patient(v: &TestVault) -> String {
    let created = v.json(
        v.admin()
            .args(["patient", "add", "--given", "Rosa", "--family", "Lima"]),
    );
    created["human_id"].as_str().unwrap().to_owned()
}

fn photo_ids(v: &TestVault, patient: &str) -> Vec<String> {
    let list = v.json(v.admin().args(["photo", "list", patient]));
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

fn media_files(vault: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in fs::read_dir(vault.join("media"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for f in fs::read_dir(sub.path()).into_iter().flatten().flatten() {
            files.push(f.path());
        }
    }
    files
}

#[test]
fn import_list_export_and_bin_from_the_command_line() {
    let v = TestVault::new();
    let patient = new_patient(&v);
    let (a, b, bad) = (v.file("a.jpg"), v.file("b.jpg"), v.file("notes.jpg"));
    write_jpeg(&a, 900, 600, 1);
    write_jpeg(&b, 600, 900, 2);
    fs::write(&bad, "just some text").unwrap();

    let one = v.json(v.admin().args(["photo", "import", &patient]).arg(&a));
    assert_eq!(one["status"], "imported");
    let id = one["id"].as_str().unwrap().to_owned();
    assert_eq!(one["thumb_width"], 320);

    // A bad file among good ones fails alone: exit 1, the others imported.
    let out = v
        .admin()
        .args(["--json", "photo", "import", &patient])
        .args([&b, &bad, &a])
        .assert()
        .code(1);
    let results: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let statuses: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["imported", "failed", "duplicate"]);
    assert!(
        results[1]["message"]
            .as_str()
            .unwrap()
            .contains("not a JPEG, PNG, WebP or HEIC"),
        "{results}"
    );
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("1 of 3 file(s) could not be imported"),
        "{err}"
    );
    assert_eq!(photo_ids(&v, &patient).len(), 2);

    let original = v.file("out.jpg");
    v.admin()
        .args(["photo", "get", &id, "--out"])
        .arg(&original)
        .assert()
        .success();
    let back = image::open(&original).unwrap();
    assert_eq!((back.width(), back.height()), (900, 600));
    let thumb = v.file("thumb.jpg");
    v.admin()
        .args(["photo", "get", &id, "--thumb", "--out"])
        .arg(&thumb)
        .assert()
        .success();
    assert_eq!(image::open(&thumb).unwrap().width(), 320);
    let refused = stderr(
        v.admin()
            .args(["photo", "get", &id, "--out"])
            .arg(&original),
        1,
    );
    assert!(refused.contains("cannot create"), "{refused}");

    v.admin().args(["photo", "delete", &id]).assert().success();
    assert_eq!(photo_ids(&v, &patient).len(), 1);
    let binned = v.json(v.admin().args(["photo", "list", &patient, "--deleted"]));
    assert_eq!(binned[0]["id"], id.as_str());
    v.admin().args(["photo", "restore", &id]).assert().success();

    let narrative = v.json(v.admin().args([
        "narrative",
        "add",
        &patient,
        "--text",
        "Healing well.",
        "--photo",
        &id,
    ]));
    assert_eq!(narrative["photo_id"], id.as_str());

    v.add_user("rita", "front_desk", "desk passphrase 1");
    let denied = stderr(
        v.as_user("rita", "desk passphrase 1")
            .args(["photo", "import", &patient])
            .arg(&b),
        3,
    );
    assert!(denied.contains("may not import photos"), "{denied}");

    let report = v.json(v.admin().args(["vault", "check"]));
    assert_eq!(report["photo_files_checked"], 4);
    assert!(report["photo_problems"].as_array().unwrap().is_empty());
}

/// `kill -9` at random points of a batch import, again and again: the vault still opens,
/// passes SQLite's integrity check, every committed photo is whole, and once the leftovers
/// are old enough the sweep leaves no file without a row.
#[test]
fn a_kill_9_during_a_batch_import_loses_nothing_committed_and_leaves_no_orphan() {
    let v = TestVault::new();
    let patient = new_patient(&v);
    let files = v.jpegs("batch", 24, 1600, 1200);
    let mut rng = fastrand::Rng::with_seed(20_261_123);
    for round in 0..6 {
        let mut args = vec!["photo".into(), "import".into(), PathBuf::from(&patient)];
        args.extend(files.iter().cloned());
        let mut child = v.spawn_admin(&args);
        // The unlock takes a moment; the import runs for about a second after it.
        std::thread::sleep(Duration::from_millis(150 + rng.u64(0..900)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        eprintln!("round {round}: {status}");
    }

    let committed = photo_ids(&v, &patient);
    assert!(
        !committed.is_empty(),
        "some photos committed before the kills"
    );
    // Leftovers younger than an hour may be another process's write in progress; age them.
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    for f in media_files(&v.dir) {
        fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
    }
    let report = v.json(v.admin().args(["vault", "check"]));
    assert_eq!(
        report["database_problems"],
        serde_json::json!([]),
        "{report}"
    );
    assert_eq!(report["photo_problems"], serde_json::json!([]), "{report}");
    assert_eq!(report["photo_files_checked"], committed.len() * 2);
    assert_eq!(
        media_files(&v.dir).len(),
        committed.len() * 2,
        "no file without a row after the sweep ({report})"
    );
    for id in &committed {
        let out = v.file(&format!("check-{id}.jpg"));
        v.admin()
            .args(["photo", "get", id, "--out"])
            .arg(&out)
            .assert()
            .success();
        assert_eq!(image::open(&out).unwrap().width(), 1600);
    }
    // The interrupted batch finishes when run again; duplicates are recognised.
    v.admin()
        .args(["photo", "import", &patient])
        .args(&files)
        .assert()
        .success();
    assert_eq!(photo_ids(&v, &patient).len(), files.len());
}
