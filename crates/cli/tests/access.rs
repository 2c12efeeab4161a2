//! `tessera access ...` end to end: grants, codes, QR cards read back from PNG files by the
//! real scanner, refusals with their reasons and exit codes, and an independent COSE
//! implementation checking a token with nothing but `tessera access key`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command as Process;

use common::{TestVault, stderr};
use serde_json::Value;

const DESK_PW: &str = "desk passphrase 1";

/// A vault with one patient (returns its human id) and a front-desk account `rita`.
fn clinic() -> (TestVault, String) {
    let v = TestVault::new();
    let patient = v.json(v.admin().args([
        "patient",
        "add",
        "--given",
        "Amélia",
        "--family",
        "Nkosi",
        "--alert",
        "Epilepsy",
        "--allergy",
        "Penicillin",
    ]));
    v.add_user("rita", "front_desk", DESK_PW);
    let human_id = patient["human_id"].as_str().unwrap().to_owned();
    (v, human_id)
}

fn grant(v: &TestVault, patient: &str, perms: &str, qr_out: &Path) -> Value {
    v.json(
        v.admin()
            .args([
                "access", "grant", patient, "--perms", perms, "--hours", "24",
            ])
            .arg("--qr-out")
            .arg(qr_out),
    )
}

#[test]
fn a_code_opens_only_the_granted_sections_and_a_printed_card_scans_back_to_the_grant() {
    let (v, patient) = clinic();
    let png = v.file("card.png");
    let issued = grant(&v, &patient, "emergency", &png);
    let code = issued["code"].as_str().unwrap();
    assert_eq!(issued["grant"]["status"], "active");
    assert!(issued["card"]["qr_version"].as_i64().unwrap() <= 10);

    let view = v.json(v.as_user("rita", DESK_PW).args(["access", "verify", code]));
    assert_eq!(view["patient"]["given_name"], "Amélia");
    assert_eq!(view["emergency"]["medical_alerts"][0], "Epilepsy");
    assert_eq!(
        view["medications"],
        Value::Null,
        "allergies were not granted"
    );
    assert_eq!(view["visits"], Value::Null);

    // The PNG card, decoded by the real scanner (worker process), verifies.
    let scanned = v.json(
        v.as_user("rita", DESK_PW)
            .args(["access", "scan"])
            .arg(&png),
    );
    let found = &scanned[0]["codes"][0];
    assert_eq!(found["valid"], true, "{scanned}");
    assert_eq!(found["text"], issued["card"]["token"]);
    assert_eq!(found["token"]["patient"], patient.as_str());
    assert_eq!(found["token"]["grant"]["id"], issued["grant"]["id"]);
}

#[test]
fn revoked_wrong_and_foreign_codes_are_refused_with_exit_3_and_their_reason() {
    let (v, patient) = clinic();
    let png = v.file("card.png");
    let issued = grant(&v, &patient, "emergency,visits", &png);
    let id = issued["grant"]["id"].as_str().unwrap();
    let code = issued["code"].as_str().unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let refused = stderr(
        v.as_user("rita", DESK_PW).args(["access", "verify", wrong]),
        3,
    );
    assert!(
        refused.contains("no active access grant has this code"),
        "{refused}"
    );

    v.admin().args(["access", "revoke", id]).assert().success();
    let refused = stderr(
        v.as_user("rita", DESK_PW).args(["access", "verify", code]),
        3,
    );
    assert!(refused.contains("revoked"), "{refused}");
    let out = v
        .as_user("rita", DESK_PW)
        .args(["access", "scan", "--json"])
        .arg(&png)
        .assert()
        .code(3);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report[0]["codes"][0]["reason"], "revoked", "{report}");

    // A card from another clinic's vault: signed, but not by this vault's key.
    let (elsewhere, their_patient) = clinic();
    let theirs = elsewhere.file("their-card.png");
    grant(&elsewhere, &their_patient, "emergency", &theirs);
    let out = v
        .as_user("rita", DESK_PW)
        .args(["access", "scan", "--json"])
        .arg(&theirs)
        .assert()
        .code(3);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report[0]["codes"][0]["reason"], "unknown_key", "{report}");

    // An image with no QR code at all, and a file that is not an image.
    let blank = v.file("blank.png");
    image::GrayImage::from_pixel(200, 120, image::Luma([255]))
        .save(&blank)
        .unwrap();
    let not_image = v.file("notes.txt");
    std::fs::write(&not_image, "not an image").unwrap();
    let out = v
        .as_user("rita", DESK_PW)
        .args(["access", "scan", "--json"])
        .arg(&blank)
        .arg(&not_image)
        .assert()
        .code(1);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report[0]["codes"], serde_json::json!([]));
    assert!(report[1]["error"].is_string(), "{report}");

    let listed = v.json(v.admin().args(["access", "list", &patient]));
    assert_eq!(listed[0]["status"], "revoked");
    assert_eq!(listed[0]["revoked_by"], "ana");
}

#[test]
fn the_front_desk_cannot_give_access() {
    let (v, patient) = clinic();
    let refused = stderr(
        v.as_user("rita", DESK_PW).args([
            "access", "grant", &patient, "--perms", "all", "--hours", "2",
        ]),
        3,
    );
    assert!(
        refused.contains("front_desk may not give patients access codes"),
        "{refused}"
    );
}

/// The interop promise: another site, holding only `tessera access key`'s output, checks
/// a token with pycose (an independent COSE implementation, installed by scripts/setup.sh);
/// a token with one character changed does not verify.
#[test]
fn pycose_verifies_a_token_with_only_the_published_key() {
    let (v, patient) = clinic();
    let issued = grant(&v, &patient, "emergency,photos", &v.file("card.svg"));
    let svg = std::fs::read_to_string(v.file("card.svg")).unwrap();
    assert!(svg.contains("<svg"));
    let key = v.json(v.as_user("rita", DESK_PW).args(["access", "key"]));
    let key_file = v.file("key.json");
    std::fs::write(&key_file, key.to_string()).unwrap();
    let token = issued["card"]["token"].as_str().unwrap();

    let python = std::env::var("TESSERA_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/verify_cose.py");
    let check = |token: &str| -> Value {
        let out = Process::new(&python)
            .arg(&script)
            .arg(&key_file)
            .arg(token)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pycose could not run (scripts/setup.sh installs it): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let checked = check(token);
    assert_eq!(checked["valid"], true, "{checked}");
    assert_eq!(checked["kid"], key["key_id"]);
    assert_eq!(checked["alg_is_eddsa"], true);
    let claims = &checked["claims"];
    assert_eq!(claims["-65537"], patient.as_str());
    assert_eq!(
        claims["4"].as_i64().unwrap() - claims["6"].as_i64().unwrap(),
        24 * 3600
    );
    assert_eq!(
        claims["7"].as_str().unwrap(),
        issued["grant"]["id"].as_str().unwrap().replace('-', "")
    );

    // Change one base45 character of the payload: pycose refuses the signature.
    let mut forged: Vec<char> = token.chars().collect();
    let at = forged.len() / 3;
    forged[at] = if forged[at] == '0' { '1' } else { '0' };
    let forged: String = forged.into_iter().collect();
    let refused = Process::new(&python)
        .arg(&script)
        .arg(&key_file)
        .arg(&forged)
        .output()
        .unwrap();
    let verdict: Option<Value> = serde_json::from_slice(&refused.stdout).ok();
    assert!(
        !refused.status.success() || verdict.as_ref().is_some_and(|v| v["valid"] == false),
        "a changed token verified: {verdict:?}"
    );
}
