//! `tessera export ...` end to end, read back by the tools anyone else would use: qpdf
//! checks the PDF's structure, poppler extracts its text and lists its fonts and renders
//! its first page, the real scanner reads the seal from that picture, `age` decrypts an
//! encrypted export, and a changed byte fails verification with exit code 4.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command as Process;

use common::{TestVault, age_keygen, stderr};
use serde_json::Value;

/// A vault with one patient with diacritics in the name, an allergy, an alert and two
/// visits; returns its human id.
fn clinic() -> (TestVault, String) {
    let v = TestVault::new();
    let patient = v.json(v.admin().args([
        "patient",
        "add",
        "--given",
        "Zoé",
        "--family",
        "Mũthoni-Ковалёв",
        "--dob",
        "1990-05-04",
        "--alert",
        "Diabetic: carries insulin",
        "--allergy",
        "Penicillin",
    ]));
    let human_id = patient["human_id"].as_str().unwrap().to_owned();
    for (date, reason) in [
        ("2026-11-01", "Chest pain follow-up"),
        ("2026-11-20", "Ankle sprain, strapped"),
    ] {
        v.admin()
            .args([
                "encounter",
                "add",
                &human_id,
                "--date",
                date,
                "--reason",
                reason,
                "--bp",
                "125/80",
                "--pulse",
                "76",
            ])
            .assert()
            .success();
    }
    (v, human_id)
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Process::new(name).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn export(v: &TestVault, patient: &str, extra: &[&str]) -> Value {
    let mut args = vec!["export", patient];
    args.extend_from_slice(extra);
    v.json(v.admin().args(&args))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_pdf_summary_reads_right_in_standard_tools_and_its_printed_seal_verifies() {
    let (v, patient) = clinic();
    let pdf = v.file("summary.pdf");
    let entry = export(
        &v,
        &patient,
        &["--kind", "summary", "--format", "pdf", "--out", path(&pdf)],
    );
    assert_eq!(entry["format"], "pdf");

    tool("qpdf", &["--check", path(&pdf)]);
    let text = tool("pdftotext", &["-layout", path(&pdf), "-"]);
    for expected in [
        "Zoé Mũthoni-Ковалёв",
        "Penicillin",
        "Ankle sprain, strapped",
        "Diabetic: carries insulin",
        "Page 1 of 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // Page 1 begins with the emergency information, before any visit.
    assert!(text.find("Penicillin").unwrap() < text.find("Chest pain").unwrap());
    let fonts = tool("pdffonts", &[path(&pdf)]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name, type..., encoding, emb, sub, uni, object, generation
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "a font is not embedded: {row}");
        assert!(row.contains("NotoSans"), "{row}");
    }

    let page = v.file("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "200",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            path(&pdf),
            path(&page),
        ],
    );
    let picture = v.file("page.png");
    let checked = v.json(v.admin().args(["export", "verify", path(&picture)]));
    assert_eq!(checked["method"], "seal");
    assert_eq!(checked["export_id"], entry["id"]);
    assert_eq!(checked["patient"], patient.as_str());

    let checked = v.json(v.admin().args(["export", "verify", path(&pdf)]));
    assert_eq!(checked["method"], "document");

    // One changed byte, well inside the document, and it is no longer genuine.
    let mut bytes = std::fs::read(&pdf).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x20;
    let forged = v.file("forged.pdf");
    std::fs::write(&forged, bytes).unwrap();
    let message = stderr(v.admin().args(["export", "verify", path(&forged)]), 4);
    assert!(message.contains("not genuine"), "{message}");
}

#[test]
fn an_encrypted_export_opens_with_the_standard_age_tool() {
    let (v, patient) = clinic();
    let (identity, public) = age_keygen(&v.file("key.txt"));
    let sealed = v.file("record.json.age");
    let entry = export(
        &v,
        &patient,
        &[
            "--format",
            "json",
            "--out",
            path(&sealed),
            "--recipient",
            &public,
        ],
    );
    assert_eq!(entry["encrypted"], true);
    let raw = std::fs::read(&sealed).unwrap();
    assert!(raw.starts_with(b"age-encryption.org/v1"));
    assert!(!raw.windows(10).any(|w| w == b"Penicillin"));
    let opened = tool("age", &["-d", "-i", path(&identity), path(&sealed)]);
    let record: Value = serde_json::from_str(&opened).unwrap();
    assert_eq!(record["format"], "tessera-record");
    assert_eq!(
        record["medications"]["allergies"][0]["substance"],
        "Penicillin"
    );
    // The encrypted file itself verifies against the log.
    let checked = v.json(v.admin().args(["export", "verify", path(&sealed)]));
    assert_eq!(
        (checked["method"].as_str(), &checked["export_id"]),
        (Some("file"), &entry["id"])
    );
}

#[test]
fn a_csv_export_is_a_zip_of_tables_and_a_date_range_limits_the_visits() {
    let (v, patient) = clinic();
    let zip_path = v.file("tables.zip");
    export(
        &v,
        &patient,
        &[
            "--format",
            "csv",
            "--out",
            path(&zip_path),
            "--from",
            "2026-11-10",
        ],
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut visits = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("encounters.csv").unwrap(), &mut visits)
        .unwrap();
    let mut reader = csv::Reader::from_reader(visits.as_bytes());
    let reasons: Vec<String> = reader.records().map(|r| r.unwrap()[3].to_owned()).collect();
    assert_eq!(reasons, ["Ankle sprain, strapped"]);
}

#[test]
fn a_referral_needs_an_addressee_and_front_desk_may_not_write_one() {
    let (v, patient) = clinic();
    let out = v.file("referral.pdf");
    let message = stderr(
        v.admin().args([
            "export",
            &patient,
            "--kind",
            "referral",
            "--format",
            "pdf",
            "--out",
            path(&out),
        ]),
        1,
    );
    assert!(message.contains("addressee"), "{message}");
    v.add_user("rita", "front_desk", "desk passphrase 1");
    let message = stderr(
        v.as_user("rita", "desk passphrase 1").args([
            "export",
            &patient,
            "--kind",
            "referral",
            "--format",
            "pdf",
            "--out",
            path(&out),
            "--referral-to",
            "Dr Mwangi",
            "--purpose",
            "Review",
        ]),
        3,
    );
    assert!(message.contains("may not"), "{message}");
    assert!(!out.exists());
    let log = v.json(v.admin().args(["export", "list"]));
    assert_eq!(log.as_array().unwrap().len(), 0);
}

#[test]
fn a_long_visit_table_repeats_its_header_on_every_page_it_crosses() {
    let v = TestVault::new();
    v.admin()
        .args([
            "dev",
            "seed",
            "--patients",
            "1",
            "--encounters-per-patient",
            "90",
            "--narratives-per-patient",
            "0",
        ])
        .assert()
        .success();
    let listed = v.json(v.admin().args(["patient", "list"]));
    let patient = listed[0]["human_id"].as_str().unwrap().to_owned();
    let pdf = v.file("full.pdf");
    export(&v, &patient, &["--format", "pdf", "--out", path(&pdf)]);
    let info = tool("pdfinfo", &[path(&pdf)]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 3, "90 visits fill several pages: {pages}");
    let mut with_rows = 0;
    for page in 1..=pages {
        let n = page.to_string();
        let text = tool(
            "pdftotext",
            &["-f", &n, "-l", &n, "-layout", path(&pdf), "-"],
        );
        assert!(
            text.contains(&format!("Page {page} of {pages}")),
            "page {page}:\n{text}"
        );
        // Every page that continues the table starts it with its header again.
        if text.contains("Recorded by") {
            assert!(
                text.contains("Reason and findings") && text.contains("Vital signs"),
                "page {page}"
            );
            with_rows += 1;
        }
    }
    assert!(with_rows >= 2, "the table crossed pages: {with_rows}");
}
