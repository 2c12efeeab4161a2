//! Field to clinic through the real `tessera` binary: two vaults, paired both ways, a
//! bundle carried between them, and what the clinic then holds compared record by record
//! with what the field holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{TestVault, stderr};
use serde_json::Value;

/// Pairs `a` and `b` both ways, as their admins would with each other's identity files.
fn pair(a: &TestVault, a_name: &str, b: &TestVault, b_name: &str) {
    for (from, to, name) in [(a, b, a_name), (b, a, b_name)] {
        let file = from.file("identity.txt");
        from.admin()
            .args(["transfer", "identity", "--out"])
            .arg(&file)
            .assert()
            .success();
        let peer = to.json(
            to.admin()
                .args(["transfer", "pair", "--name", name])
                .arg(&file),
        );
        assert_eq!(peer["name"], name);
    }
}

/// A field vault holding `patients` seeded patients with `visits` visits each, and a clinic
/// vault, paired both ways.
fn field_and_clinic(patients: u32, visits: u32) -> (TestVault, TestVault) {
    let field = TestVault::new();
    let clinic = TestVault::new();
    pair(&field, "Field laptop", &clinic, "Clinic");
    seed(&field, patients, visits);
    (field, clinic)
}

fn seed(vault: &TestVault, patients: u32, visits: u32) {
    vault
        .admin()
        .args(["dev", "seed", "--patients", &patients.to_string()])
        .args(["--encounters-per-patient", &visits.to_string()])
        .assert()
        .success();
}

fn export(from: &TestVault, to: &str, folder: &Path) -> Value {
    std::fs::create_dir_all(folder).unwrap();
    from.json(
        from.admin()
            .args(["transfer", "export", "--to", to, "--out"])
            .arg(folder),
    )
}

fn import(into: &TestVault, bundle: &Path) -> Value {
    into.json(into.admin().args(["transfer", "import"]).arg(bundle))
}

fn files(written: &Value) -> Vec<PathBuf> {
    written["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f.as_str().unwrap()))
        .collect()
}

/// Everything `vault` shows of a patient: the profile, visits, narratives with their
/// histories, photos and consents.
fn record(vault: &TestVault, id: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (key, args) in [
        ("patient", vec!["patient", "show", id]),
        ("encounters", vec!["encounter", "list", id]),
        ("narratives", vec!["narrative", "list", id]),
        ("photos", vec!["photo", "list", id]),
        ("consents", vec!["consent", "list", id]),
    ] {
        out.insert(key.into(), vault.json(vault.admin().args(&args)));
    }
    Value::Object(out)
}

fn patient_ids(vault: &TestVault) -> Vec<String> {
    let list = vault.json(vault.admin().args(["patient", "list", "--limit", "500"]));
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn audit_verifies(vault: &TestVault) {
    let report = vault.json(vault.admin().args(["audit", "verify"]));
    assert_eq!(report["ok"], true, "{report}");
}

#[test]
fn fifty_field_patients_reach_the_clinic_whole_and_a_second_import_changes_nothing() {
    let field = TestVault::new();
    let clinic = TestVault::new();
    pair(&field, "Field laptop", &clinic, "Clinic");
    field
        .admin()
        .args([
            "dev",
            "seed",
            "--patients",
            "50",
            "--encounters-per-patient",
            "4",
        ])
        .args([
            "--narratives-per-patient",
            "2",
            "--revisions-per-narrative",
            "3",
        ])
        .assert()
        .success();
    let ids = patient_ids(&field);
    assert_eq!(ids.len(), 50);
    let photos = field.jpegs("wound", 6, 640, 480);
    for (i, id) in ids.iter().take(3).enumerate() {
        field
            .admin()
            .args(["photo", "import", id])
            .args(&photos[2 * i..2 * i + 2])
            .assert()
            .success();
        field
            .admin()
            .args(["consent", "add", id, "--purpose", "photography"])
            .assert()
            .success();
    }

    let stick = field.file("stick");
    let written = export(&field, "Clinic", &stick);
    assert_eq!(written["counts"]["patients"], 50);
    assert_eq!(written["counts"]["encounters"], 200);
    assert_eq!(written["counts"]["images"], 12);
    let bundle = files(&written).remove(0);
    let report = import(&clinic, &bundle);
    assert_eq!(report["applied"], true, "{report}");
    assert_eq!(report["outcome"]["conflicts"], 0);

    assert_eq!(patient_ids(&clinic), ids);
    for id in &ids {
        assert_eq!(record(&clinic, id), record(&field, id), "patient {id}");
    }
    for photo in field
        .json(field.admin().args(["photo", "list", &ids[0]]))
        .as_array()
        .unwrap()
    {
        let id = photo["id"].as_str().unwrap();
        let (ours, theirs) = (
            field.file(&format!("{id}-f")),
            clinic.file(&format!("{id}-c")),
        );
        field
            .admin()
            .args(["photo", "get", id, "--out"])
            .arg(&ours)
            .assert()
            .success();
        clinic
            .admin()
            .args(["photo", "get", id, "--out"])
            .arg(&theirs)
            .assert()
            .success();
        assert_eq!(
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap()
        );
    }
    audit_verifies(&field);
    audit_verifies(&clinic);

    // The same bundle again: nothing changes, and the clinic says why.
    let again = import(&clinic, &bundle);
    assert_eq!(again["applied"], false);
    assert!(
        again["note"].as_str().unwrap().contains("here already"),
        "{again}"
    );

    // The receipt moves the field's watermark: the next bundle is empty.
    let receipt = PathBuf::from(format!("{}.receipt", bundle.display()));
    let accepted = field.json(field.admin().args(["transfer", "receipt"]).arg(&receipt));
    assert_eq!(accepted["advanced"], true);
    let next = export(&field, "Clinic", &field.file("stick2"));
    assert_eq!(next["counts"]["patients"], 0, "{next}");
    assert_eq!(next["bundle"], 2);
}

#[test]
fn a_flipped_byte_an_unpaired_sender_and_a_replay_are_refused_and_change_nothing() {
    let field = TestVault::new();
    let clinic = TestVault::new();
    let stranger = TestVault::new();
    pair(&field, "Field laptop", &clinic, "Clinic");
    pair(&stranger, "Stranger", &field, "Field laptop");
    seed(&field, 3, 5);

    // One flipped byte anywhere: refused as damaged (exit 4), nothing applied.
    let written = export(&field, "Clinic", &field.file("stick"));
    let bundle = files(&written).remove(0);
    let mut bytes = std::fs::read(&bundle).unwrap();
    let flipped = field.file("flipped.tbundle");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&flipped, &bytes).unwrap();
    let message = stderr(clinic.admin().args(["transfer", "import"]).arg(&flipped), 4);
    assert!(message.contains("damaged"), "{message}");
    assert!(patient_ids(&clinic).is_empty());

    // A bundle the field made for a vault the clinic is not paired with cannot even be
    // opened here: it is encrypted to the stranger.
    let for_stranger = export(&field, "Stranger", &field.file("other"));
    let message = stderr(
        clinic
            .admin()
            .args(["transfer", "import"])
            .arg(&files(&for_stranger)[0]),
        3,
    );
    assert!(message.contains("not made for this vault"), "{message}");
    assert!(patient_ids(&clinic).is_empty());

    // The stranger is not paired with the clinic: its bundle is refused too.
    let unpaired = TestVault::new();
    pair(&unpaired, "Unpaired", &stranger, "Stranger");
    clinic
        .admin()
        .args(["transfer", "identity", "--out"])
        .arg(clinic.file("clinic-id.txt"))
        .assert()
        .success();
    stranger
        .admin()
        .args(["transfer", "pair", "--name", "Clinic"])
        .arg(clinic.file("clinic-id.txt"))
        .assert()
        .success();
    seed(&stranger, 1, 5);
    let from_stranger = export(&stranger, "Clinic", &stranger.file("stick"));
    let message = stderr(
        clinic
            .admin()
            .args(["transfer", "import"])
            .arg(&files(&from_stranger)[0]),
        3,
    );
    assert!(message.contains("not paired"), "{message}");
    assert!(patient_ids(&clinic).is_empty());

    // The genuine bundle applies; replaying it changes nothing.
    assert_eq!(import(&clinic, &bundle)["applied"], true);
    assert_eq!(import(&clinic, &bundle)["applied"], false);
    assert_eq!(patient_ids(&clinic).len(), 3);
}

#[test]
fn bundles_out_of_order_and_in_parts_lose_nothing() {
    let (field, clinic) = field_and_clinic(2, 5);
    let first = export(&field, "Clinic", &field.file("one"));
    let photos = field.jpegs("big", 3, 2400, 1800);
    let id = patient_ids(&field).remove(0);
    field
        .admin()
        .args(["photo", "import", &id])
        .args(&photos)
        .assert()
        .success();
    // No receipt came back: the second bundle carries the first one's changes again.
    let dir = field.file("two");
    std::fs::create_dir_all(&dir).unwrap();
    let second = field.json(
        field
            .admin()
            .args([
                "transfer",
                "export",
                "--to",
                "Clinic",
                "--split-mb",
                "1",
                "--out",
            ])
            .arg(&dir),
    );
    let parts = files(&second);
    assert!(parts.len() > 1, "{second}");
    assert!(parts[0].to_string_lossy().ends_with(".001"));

    // A missing part is named, not guessed around.
    let hidden = parts[1].with_extension("hidden");
    std::fs::rename(&parts[1], &hidden).unwrap();
    let message = stderr(
        clinic.admin().args(["transfer", "import"]).arg(&parts[0]),
        4,
    );
    assert!(message.contains("damaged or incomplete"), "{message}");
    std::fs::rename(&hidden, &parts[1]).unwrap();

    // The second bundle first (from any part), then the first: nothing is lost or doubled.
    assert_eq!(import(&clinic, &parts[1])["applied"], true);
    let late = import(&clinic, &files(&first)[0]);
    assert_eq!(late["applied"], false, "{late}");
    assert_eq!(patient_ids(&clinic), patient_ids(&field));
    assert_eq!(record(&clinic, &id), record(&field, &id));
}

#[test]
fn a_profile_changed_on_both_sides_is_listed_with_both_versions_and_settled_by_a_person() {
    let (field, clinic) = field_and_clinic(1, 5);
    let id = patient_ids(&field).remove(0);
    let bundle = files(&export(&field, "Clinic", &field.file("one"))).remove(0);
    import(&clinic, &bundle);
    let receipt = PathBuf::from(format!("{}.receipt", bundle.display()));
    field
        .admin()
        .args(["transfer", "receipt"])
        .arg(&receipt)
        .assert()
        .success();

    // Both edit the phone number before the next exchange.
    field
        .admin()
        .args(["patient", "edit", &id, "--phone", "+258 84 111 1111"])
        .assert()
        .success();
    clinic
        .admin()
        .args(["patient", "edit", &id, "--phone", "+258 84 222 2222"])
        .assert()
        .success();
    let bundle = files(&export(&field, "Clinic", &field.file("two"))).remove(0);
    let report = import(&clinic, &bundle);
    assert_eq!(report["outcome"]["conflicts"], 1, "{report}");
    // Nothing lost: the clinic keeps its version, the field's waits in the list.
    let shown = clinic.json(clinic.admin().args(["patient", "show", &id]));
    assert_eq!(shown["phone"], "+258 84 222 2222");
    let list = clinic.json(clinic.admin().args(["transfer", "conflicts"]));
    let conflict = &list[0];
    assert_eq!(conflict["kind"], "edited_on_both_sides");
    let phone = conflict["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["field"] == "phone")
        .unwrap();
    assert_eq!(phone["ours"], "+258 84 222 2222");
    assert_eq!(phone["theirs"], "+258 84 111 1111");
    // Importing the same bundle again does not list it twice.
    import(&clinic, &bundle);
    assert_eq!(
        clinic
            .json(clinic.admin().args(["transfer", "conflicts"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The clinician takes the field's number; the clinic's next bundle brings the field
    // to the same record, and the field lists no conflict of its own.
    let settled = clinic.json(clinic.admin().args([
        "transfer",
        "conflicts",
        "--resolve",
        conflict["id"].as_str().unwrap(),
        "--keep",
        "theirs",
    ]));
    assert_eq!(settled["resolution"], "took_theirs");
    assert_eq!(
        clinic.json(clinic.admin().args(["patient", "show", &id]))["phone"],
        "+258 84 111 1111"
    );
    let back = files(&export(&clinic, "Field laptop", &clinic.file("back"))).remove(0);
    import(&field, &back);
    assert!(
        field
            .json(field.admin().args(["transfer", "conflicts"]))
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (ours, theirs) = (record(&field, &id), record(&clinic, &id));
    assert_eq!(ours["patient"]["phone"], theirs["patient"]["phone"]);
    audit_verifies(&field);
    audit_verifies(&clinic);
}

/// `kill -9` at random points of an import, again and again: after each the clinic holds
/// all of the bundle or none of it, the vault checks clean and its audit chain verifies,
/// and a last import completes with every record equal to the field's.
#[test]
fn a_kill_9_during_an_import_applies_all_or_nothing_and_a_reimport_completes() {
    let (field, clinic) = field_and_clinic(150, 10);
    let ids = patient_ids(&field);
    let photos = field.jpegs("wound", 8, 1600, 1200);
    field
        .admin()
        .args(["photo", "import", &ids[0]])
        .args(&photos)
        .assert()
        .success();
    let bundle = files(&export(&field, "Clinic", &field.file("stick"))).remove(0);
    let mut rng = fastrand::Rng::with_seed(20_261_204);
    let mut interrupted = 0;
    for round in 0..8 {
        let mut child =
            clinic.spawn_admin(["transfer".as_ref(), "import".as_ref(), bundle.as_os_str()]);
        std::thread::sleep(std::time::Duration::from_millis(50 + rng.u64(0..700)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        eprintln!("round {round}: {status}");
        let held = patient_ids(&clinic).len();
        assert!(
            held == 0 || held == ids.len(),
            "round {round}: {held} of {} patients",
            ids.len()
        );
        if status.success() {
            break;
        }
        interrupted += 1;
    }
    assert!(interrupted > 0, "no import was interrupted");
    let report = clinic.json(clinic.admin().args(["vault", "check"]));
    assert_eq!(
        report["database_problems"],
        serde_json::json!([]),
        "{report}"
    );
    assert_eq!(report["photo_problems"], serde_json::json!([]), "{report}");
    audit_verifies(&clinic);

    import(&clinic, &bundle);
    assert_eq!(patient_ids(&clinic), ids);
    for id in ids.iter().step_by(7) {
        assert_eq!(record(&clinic, id), record(&field, id), "patient {id}");
    }
    assert_eq!(record(&clinic, &ids[0]), record(&field, &ids[0]));
    audit_verifies(&clinic);
}
