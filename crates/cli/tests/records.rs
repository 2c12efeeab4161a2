//! The `tessera` binary against real vaults: patients, encounters, narratives, consents,
//! provider credentials and generated data, as the CLI contract describes them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::{TestVault, output, stderr};
use serde_json::{Value, json};

const CARLA_PW: &str = "carla passphrase";
const FRANK_PW: &str = "frank passphrase";

impl TestVault {
    fn clinician(&self) -> assert_cmd::Command {
        self.as_user("carla", CARLA_PW)
    }

    fn front_desk(&self) -> assert_cmd::Command {
        self.as_user("frank", FRANK_PW)
    }

    /// Registers a patient from flags, as the admin; returns the created patient.
    fn add_patient(&self, flags: &[&str]) -> Value {
        self.json(self.admin().args(["patient", "add"]).args(flags))
    }

    fn write_json(&self, name: &str, value: &Value) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
        path
    }

    fn patient_count(&self) -> usize {
        let list = self.json(self.admin().args(["patient", "list", "--limit", "500"]));
        list.as_array().unwrap().len()
    }
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

fn column<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| str_of(item, key))
        .collect()
}

/// Every field of `expected` has the same value in `actual`.
fn assert_fields(actual: &Value, expected: &Value) {
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&actual[key], value, "{key} in {actual}");
    }
}

fn is_human_id(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 3 && parts[0] == "TS" && parts[1].len() == 4 && parts[2].len() == 4
}

/// A profile using every field, in the form `patient show --json` prints it back.
fn full_profile() -> Value {
    json!({
        "given_name": "Zoë",
        "family_name": "Dubois",
        "preferred_name": "Zo",
        "date_of_birth": "1990-07-14",
        "sex": "female",
        "phone": "06 01 02 03 04",
        "location": "Lyon",
        "preferred_language": "fr",
        "blood_type": "O-",
        "organ_donor": false,
        "allergies": [
            { "substance": "latex", "reaction": "hives", "severity": "moderate" },
            { "substance": "penicillin" }
        ],
        "chronic_conditions": ["asthma"],
        "medications": [
            { "name": "salbutamol", "dose": "100 µg", "frequency": "as needed", "prescriber": "Dr Roux" }
        ],
        "emergency_contacts": [
            { "name": "Luc Dubois", "phone": "06 99 88 77 66", "relationship": "brother", "primary": true }
        ],
        "insurance": { "provider": "CPAM", "policy_number": "1 90 07 69", "group_number": "G-7" },
        "medical_alerts": ["DNR"],
        "communication": {
            "channel": "sms", "interpreter_needed": false, "may_leave_messages": true, "notes": "after 5pm"
        },
        "status": "inactive"
    })
}

#[test]
fn patient_added_with_flags_round_trips_through_show_by_human_id_and_id() {
    let v = TestVault::new();
    let added = v.add_patient(&[
        "--given",
        "José",
        "--family",
        "Núñez",
        "--preferred-name",
        "Zé",
        "--dob",
        "1984-03-09",
        "--sex",
        "Male",
        "--phone",
        "+351 912 345 678",
        "--location",
        "Lisboa",
        "--language",
        "pt-PT",
        "--blood-type",
        "ab-",
        "--organ-donor",
        "true",
        "--allergy",
        "penicillin",
        "--allergy",
        "latex",
        "--condition",
        "type 2 diabetes",
        "--alert",
        "insulin dependent",
        "--status",
        "active",
    ]);
    let human_id = str_of(&added, "human_id");
    let id = str_of(&added, "id");
    assert!(is_human_id(human_id), "{human_id}");
    assert_eq!(added["version"], 1);
    let expected = json!({
        "given_name": "José",
        "family_name": "Núñez",
        "preferred_name": "Zé",
        "date_of_birth": "1984-03-09",
        "sex": "male",
        "phone": "+351 912 345 678",
        "location": "Lisboa",
        "preferred_language": "pt-PT",
        "blood_type": "AB-",
        "organ_donor": true,
        "allergies": [{ "substance": "penicillin" }, { "substance": "latex" }],
        "chronic_conditions": ["type 2 diabetes"],
        "medical_alerts": ["insulin dependent"],
        "status": "active",
    });
    assert_fields(&added, &expected);

    let by_human_id = v.json(v.admin().args(["patient", "show", human_id]));
    let by_id = v.json(v.admin().args(["patient", "show", id]));
    let typed =
        v.json(
            v.admin()
                .args(["patient", "show", &human_id.to_lowercase().replace('-', "")]),
        );
    assert_eq!(by_human_id, added);
    assert_eq!(by_id, added);
    assert_eq!(typed, added);

    // Alerts and allergies come before the rest of the profile.
    let (text, _) = output(v.admin().args(["patient", "show", human_id]));
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(at(human_id) < at("MEDICAL ALERTS"));
    assert!(at("MEDICAL ALERTS") < at("insulin dependent"));
    assert!(at("insulin dependent") < at("ALLERGIES"));
    assert!(at("ALLERGIES") < at("penicillin"));
    assert!(at("latex") < at("date of birth"));
    for shown in [
        "1984-03-09",
        "AB-",
        "+351 912 345 678",
        "type 2 diabetes",
        "Zé",
    ] {
        at(shown);
    }
}

#[test]
fn patient_add_reads_a_profile_file_or_stdin_and_the_global_json_flag_still_works() {
    let v = TestVault::new();
    let profile = full_profile();
    let path = v.write_json("profile.json", &profile);
    // `--json FILE` reads the profile, and prints the created patient as JSON.
    let (stdout, _) = output(v.admin().args(["patient", "add", "--json"]).arg(&path));
    let created: Value = serde_json::from_str(&stdout).unwrap();
    assert!(is_human_id(str_of(&created, "human_id")));
    assert_fields(&created, &profile);
    let shown = v.json(v.admin().args(["patient", "show", str_of(&created, "id")]));
    assert_fields(&shown, &profile);
    let (text, _) = output(v.admin().args(["patient", "show", str_of(&created, "id")]));
    for shown in [
        "salbutamol, 100 µg, as needed (prescribed by Dr Roux)",
        "Luc Dubois (brother), 06 99 88 77 66, primary",
        "CPAM, policy 1 90 07 69, group G-7",
        "sms; messages may be left; after 5pm",
        "latex (hives, moderate)",
    ] {
        assert!(text.contains(shown), "{shown}: {text}");
    }

    // From stdin, with a flag overriding the file.
    let (stdout, _) = output(
        v.admin()
            .args(["patient", "add", "--json", "-", "--location", "Paris"])
            // The same person again, on purpose: the duplicate check is tested on its own.
            .arg("--not-duplicate")
            .write_stdin(profile.to_string()),
    );
    let from_stdin: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(from_stdin["location"], "Paris");
    assert_eq!(from_stdin["medications"], profile["medications"]);

    // Both forms at once: the output flag may be repeated.
    let (stdout, _) = output(
        v.admin()
            .args(["--json", "patient", "add", "--not-duplicate", "--json"])
            .arg(&path),
    );
    let again: Value = serde_json::from_str(&stdout).unwrap();
    assert_ne!(again["id"], created["id"]);

    // The global output flag, before the command, with a profile from flags.
    let (stdout, _) = output(v.admin().args([
        "--json", "patient", "add", "--given", "Ana", "--family", "Costa",
    ]));
    let flagged: Value = serde_json::from_str(&stdout).unwrap();
    assert!(is_human_id(str_of(&flagged, "human_id")));
    assert_eq!(flagged["given_name"], "Ana");

    // Without --json: the human id alone on stdout, a confirmation on stderr.
    let (stdout, stderr_text) = output(
        v.admin()
            .args(["patient", "add", "--given", "Rui", "--family", "Lopes"]),
    );
    assert!(is_human_id(stdout.trim()), "{stdout}");
    assert!(
        stderr_text.contains("Registered Rui Lopes as"),
        "{stderr_text}"
    );
    assert_eq!(v.patient_count(), 5);

    // Usage mistakes: a file without --json, stdin twice, no name.
    let msg = stderr(v.admin().args(["patient", "add"]).arg(&path), 2);
    assert!(msg.contains("--json"), "{msg}");
    let msg = stderr(
        common::tessera(&v.dir)
            .args([
                "--user",
                "ana",
                "--password-stdin",
                "patient",
                "add",
                "--json",
                "-",
            ])
            .write_stdin("x\n{}"),
        2,
    );
    assert!(msg.contains("stdin already carries the password"), "{msg}");
    let msg = stderr(v.admin().args(["patient", "add", "--given", "Ana"]), 2);
    assert!(msg.contains("--given and --family"), "{msg}");
    assert_eq!(v.patient_count(), 5);
}

#[test]
fn search_folds_accents_and_matches_prefixes_phone_digits_and_human_ids() {
    let v = TestVault::new();
    let jose = v.add_patient(&[
        "--given",
        "José",
        "--family",
        "Núñez",
        "--phone",
        "+351 912 345 678",
    ]);
    v.add_patient(&[
        "--given",
        "Maria",
        "--family",
        "Silva",
        "--phone",
        "213 000 111",
    ]);
    v.add_patient(&["--given", "Ana", "--family", "Costa"]);
    let search = |query: &str| {
        let found = v.json(v.admin().args(["patient", "search", query]));
        column(&found, "family_name")
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(search("jose"), ["Núñez"]);
    assert_eq!(search("JOSÉ"), ["Núñez"]);
    assert_eq!(search("Nun"), ["Núñez"]);
    assert_eq!(search("nunez jo"), ["Núñez"]);
    assert_eq!(search("912345678"), ["Núñez"]);
    assert_eq!(search("345678"), ["Núñez"]);
    assert_eq!(search(str_of(&jose, "human_id")), ["Núñez"]);
    assert_eq!(search("silva"), ["Silva"]);
    assert!(search("nobody").is_empty());

    let (table, _) = output(v.admin().args(["patient", "search", "jose"]));
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(str_of(&jose, "human_id")) && table.contains("Núñez, José"),
        "{table}"
    );
    let (none, note) = output(v.admin().args(["patient", "search", "nobody"]));
    assert!(
        none.is_empty() && note.contains("No patients found"),
        "{note}"
    );

    let list = v.json(v.admin().args(["patient", "list"]));
    assert_eq!(column(&list, "family_name"), ["Costa", "Núñez", "Silva"]);
    let first = v.json(v.admin().args(["patient", "list", "--limit", "1"]));
    assert_eq!(column(&first, "family_name"), ["Costa"]);
    stderr(v.admin().args(["patient", "list", "--limit", "0"]), 2);
}

#[test]
fn edits_replace_the_given_fields_and_a_stale_version_changes_nothing() {
    let v = TestVault::new();
    let added = v.add_patient(&[
        "--given",
        "Maria",
        "--family",
        "Silva",
        "--phone",
        "213 000 111",
        "--allergy",
        "latex",
        "--allergy",
        "iodine",
        "--alert",
        "falls risk",
    ]);
    let hid = str_of(&added, "human_id").to_owned();

    let edited = v.json(v.admin().args([
        "patient",
        "edit",
        &hid,
        "--phone",
        "",
        "--allergy",
        "sulfa",
        "--location",
        "Porto",
    ]));
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["location"], "Porto");
    assert_eq!(edited["allergies"], json!([{ "substance": "sulfa" }]));
    assert!(edited.get("phone").is_none(), "{edited}");
    assert_eq!(edited["medical_alerts"], json!(["falls risk"]));
    assert_eq!(edited["given_name"], "Maria");

    // Someone else saved version 2 after this edit was started from version 1.
    let msg = stderr(
        v.admin().args([
            "patient",
            "edit",
            &hid,
            "--expect-version",
            "1",
            "--location",
            "Braga",
        ]),
        1,
    );
    assert!(
        msg.contains("was changed since you opened it") && msg.contains("version 2"),
        "{msg}"
    );
    let shown = v.json(v.admin().args(["patient", "show", &hid]));
    assert_eq!(shown, edited);

    // The output of `show --json`, edited, is accepted back; its version guards the edit.
    let mut document = shown.clone();
    document["location"] = json!("Coimbra");
    document["chronic_conditions"] = json!(["hypertension"]);
    let path = v.write_json("edit.json", &document);
    let saved = v.json(
        v.admin()
            .args(["patient", "edit", &hid, "--json"])
            .arg(&path),
    );
    assert_eq!(saved["version"], 3);
    assert_eq!(saved["location"], "Coimbra");
    assert_eq!(saved["chronic_conditions"], json!(["hypertension"]));
    let msg = stderr(
        v.admin()
            .args(["patient", "edit", &hid, "--json"])
            .arg(&path),
        1,
    );
    assert!(msg.contains("you edited version 2"), "{msg}");
    // Clearing a list with an empty value.
    let cleared = v.json(v.admin().args(["patient", "edit", &hid, "--alert", ""]));
    assert!(cleared.get("medical_alerts").is_none(), "{cleared}");
    assert_eq!(cleared["version"], 4);

    let msg = stderr(v.admin().args(["patient", "edit", &hid]), 2);
    assert!(msg.contains("nothing to change"), "{msg}");
}

#[test]
fn deleted_patients_leave_lists_and_search_until_restored() {
    let v = TestVault::new();
    v.add_user("carla", "clinician", CARLA_PW);
    let rui = v.add_patient(&["--given", "Rui", "--family", "Lopes"]);
    v.add_patient(&["--given", "Ana", "--family", "Costa"]);
    let hid = str_of(&rui, "human_id").to_owned();

    let msg = stderr(v.clinician().args(["patient", "delete", &hid]), 3);
    assert!(msg.contains("may not delete or restore patients"), "{msg}");

    let deleted = v.json(
        v.admin()
            .args(["patient", "delete", &hid, "--reason", "duplicate"]),
    );
    assert!(deleted["deleted_at"].is_string(), "{deleted}");
    let current = v.json(v.admin().args(["patient", "list"]));
    assert_eq!(column(&current, "family_name"), ["Costa"]);
    let bin = v.json(v.admin().args(["patient", "list", "--deleted"]));
    assert_eq!(column(&bin, "human_id"), [hid.as_str()]);
    assert!(bin[0]["deleted_at"].is_string());
    let found = v.json(v.admin().args(["patient", "search", "lopes"]));
    assert_eq!(found, json!([]));

    // Still readable (to decide whether to restore it), but not editable.
    let (text, _) = output(v.admin().args(["patient", "show", &hid]));
    assert!(text.contains("In the bin since"), "{text}");
    let msg = stderr(
        v.admin().args(["patient", "edit", &hid, "--location", "x"]),
        1,
    );
    assert!(msg.contains("restore it first"), "{msg}");

    let restored = v.json(v.admin().args(["patient", "restore", &hid]));
    assert!(restored.get("deleted_at").is_none(), "{restored}");
    let current = v.json(v.admin().args(["patient", "list"]));
    assert_eq!(column(&current, "family_name"), ["Costa", "Lopes"]);
    let found = v.json(v.admin().args(["patient", "search", "lopes"]));
    assert_eq!(column(&found, "human_id"), [hid.as_str()]);
    let msg = stderr(v.admin().args(["patient", "restore", &hid]), 1);
    assert!(msg.contains("is not deleted"), "{msg}");

    let audit = v.json(
        v.admin()
            .args(["audit", "list", "--resource-id", str_of(&rui, "id")]),
    );
    let entries = audit.as_array().unwrap();
    let delete = entries
        .iter()
        .find(|e| e["action"] == "patient.delete")
        .unwrap();
    assert_eq!(delete["reason"], "duplicate");
    assert!(entries.iter().any(|e| e["action"] == "patient.restore"));
}

#[test]
fn invalid_input_names_the_field_and_writes_nothing() {
    let v = TestVault::new();
    let flag_cases: [(&[&str], &[&str]); 5] = [
        (
            &["--dob", "2999-01-01"],
            &["date of birth", "in the future"],
        ),
        (&["--blood-type", "C+"], &["blood type", "`C+`"]),
        (&["--phone", "call me"], &["phone", "is not a phone number"]),
        (&["--organ-donor", "maybe"], &["organ donor", "maybe"]),
        (&["--language", "français"], &["preferred language"]),
    ];
    for (flags, expected) in flag_cases {
        let msg = stderr(
            v.admin()
                .args(["patient", "add", "--given", "Ana", "--family", "Costa"])
                .args(flags),
            1,
        );
        for text in expected {
            assert!(msg.contains(text), "{flags:?}: {msg}");
        }
    }
    let file_cases = [
        (
            json!({ "given_name": "Rui", "family_name": "Lopes",
                    "emergency_contacts": [{ "name": "Ana Lopes", "relationship": "wife" }] }),
            vec!["emergency contacts", "missing field `phone`"],
        ),
        (
            json!({ "given_name": "Rui", "family_name": "Lopes",
                    "emergency_contacts": [{ "name": "Ana Lopes", "phone": " " }] }),
            vec!["emergency contact phone", "Ana Lopes has no phone number"],
        ),
        (
            json!({ "given_name": "Rui", "family_name": "Lopes", "blood_type": "C+" }),
            vec!["blood type", "`C+`"],
        ),
        (
            json!({ "given_name": "Rui", "family_name": "Lopes", "birth": "1990-01-01" }),
            vec!["unknown field `birth`"],
        ),
        (
            json!({ "given_name": "Rui" }),
            vec!["missing field `family_name`"],
        ),
    ];
    for (profile, expected) in file_cases {
        let path = v.write_json("bad.json", &profile);
        let msg = stderr(v.admin().args(["patient", "add", "--json"]).arg(&path), 1);
        for text in expected {
            assert!(msg.contains(text), "{profile}: {msg}");
        }
    }
    std::fs::write(v.file("broken.json"), "{ \"given_name\": ").unwrap();
    let msg = stderr(
        v.admin()
            .args(["patient", "add", "--json"])
            .arg(v.file("broken.json")),
        1,
    );
    assert!(msg.contains("is not valid JSON"), "{msg}");
    assert_eq!(v.patient_count(), 0);
    let created = v.json(
        v.admin()
            .args(["audit", "list", "--action", "patient.create"]),
    );
    assert_eq!(created, json!([]));

    // Implausible vitals are refused at entry, and no visit is written.
    let patient = v.add_patient(&["--given", "Ana", "--family", "Costa"]);
    let hid = str_of(&patient, "human_id");
    let visit_cases: [(&[&str], &[&str]); 4] = [
        (
            &["--pulse", "720"],
            &["pulse", "720 bpm", "plausible range"],
        ),
        (
            &["--bp", "80/120"],
            &["blood pressure", "above the diastolic"],
        ),
        (&["--bp", "high"], &["blood pressure", "120/80"]),
        (&["--temp", "98.6"], &["temperature"]),
    ];
    for (flags, expected) in visit_cases {
        let msg = stderr(
            v.admin()
                .args([
                    "encounter",
                    "add",
                    hid,
                    "--date",
                    "2024-03-01",
                    "--reason",
                    "check",
                ])
                .args(flags),
            1,
        );
        for text in expected {
            assert!(msg.contains(text), "{flags:?}: {msg}");
        }
    }
    let msg = stderr(
        v.admin().args([
            "encounter",
            "add",
            hid,
            "--date",
            "2999-01-01",
            "--reason",
            "x",
        ]),
        1,
    );
    assert!(
        msg.contains("date") && msg.contains("in the future"),
        "{msg}"
    );
    let visits = v.json(v.admin().args(["encounter", "list", hid]));
    assert_eq!(visits, json!([]));
}

#[test]
fn front_desk_registers_and_finds_patients_but_reads_nothing_clinical() {
    let v = TestVault::new();
    v.add_user("frank", "front_desk", FRANK_PW);
    let added = v.json(v.front_desk().args([
        "patient",
        "add",
        "--given",
        "Maria",
        "--family",
        "Silva",
        "--dob",
        "1950-01-02",
    ]));
    let hid = str_of(&added, "human_id");
    let found = v.json(v.front_desk().args(["patient", "search", "silva"]));
    assert_eq!(column(&found, "human_id"), [hid]);
    assert_eq!(found[0]["date_of_birth"], "1950-01-02");
    let listed = v.json(v.front_desk().args(["patient", "list"]));
    assert_eq!(column(&listed, "human_id"), [hid]);

    let refused: [(&[&str], &str); 7] = [
        (
            &["patient", "show", hid],
            "front_desk may not read patient records",
        ),
        (
            &["narrative", "list", hid],
            "front_desk may not read narratives",
        ),
        (
            &["encounter", "list", hid],
            "front_desk may not read visits",
        ),
        (
            &[
                "encounter",
                "add",
                hid,
                "--date",
                "2024-01-01",
                "--reason",
                "x",
            ],
            "front_desk may not record visits",
        ),
        (
            &["consent", "list", hid],
            "front_desk may not read consents",
        ),
        (
            &["patient", "edit", hid, "--location", "x"],
            "front_desk may not",
        ),
        (&["patient", "delete", hid], "front_desk may not delete"),
    ];
    for (args, expected) in refused {
        let msg = stderr(v.front_desk().args(args), 3);
        assert!(msg.contains(expected), "{args:?}: {msg}");
    }
    let denied = v.json(
        v.admin()
            .args(["audit", "list", "--action", "access.denied"]),
    );
    assert_eq!(denied.as_array().unwrap().len(), refused.len());
    assert!(column(&denied, "actor").iter().all(|a| *a == "frank"));
}

#[test]
fn encounters_are_recorded_with_vitals_and_listed_newest_first() {
    let v = TestVault::new();
    let patient = v.add_patient(&["--given", "José", "--family", "Núñez"]);
    let hid = str_of(&patient, "human_id");
    let visit = v.json(v.admin().args([
        "encounter",
        "add",
        hid,
        "--date",
        "2024-03-01",
        "--reason",
        "follow-up",
        "--kind",
        "home-visit",
        "--notes",
        "Lives alone; stairs are hard.",
        "--diagnosis",
        "hypertension",
        "--diagnosis",
        "type 2 diabetes",
        "--treatment",
        "amlodipine 5 mg",
        "--bp",
        "135/85",
        "--pulse",
        "72",
        "--temp",
        "36.8",
        "--spo2",
        "98",
        "--weight",
        "70.5",
        "--height",
        "172",
        "--pain",
        "3",
    ]));
    assert!(visit["id"].is_string());
    assert_fields(
        &visit,
        &json!({
            "patient_id": patient["id"],
            "occurred_at": "2024-03-01T00:00:00Z",
            "kind": "home_visit",
            "reason": "follow-up",
            "notes": "Lives alone; stairs are hard.",
            "diagnoses": ["hypertension", "type 2 diabetes"],
            "treatments": ["amlodipine 5 mg"],
            "recorded_by": "ana",
            "vitals": {
                "bp_systolic": 135, "bp_diastolic": 85, "pulse": 72, "temperature_c": 36.8,
                "spo2": 98, "weight_kg": 70.5, "height_cm": 172.0, "pain": 3
            },
        }),
    );
    let (stdout, _) = output(v.admin().args([
        "encounter",
        "add",
        hid,
        "--date",
        "2024-05-01T09:30:00Z",
        "--reason",
        "wound check",
    ]));
    let second_id = stdout.trim().to_owned();

    let list = v.json(v.admin().args(["encounter", "list", hid]));
    assert_eq!(
        column(&list, "id"),
        [second_id.as_str(), str_of(&visit, "id")]
    );
    assert_eq!(list[1], visit);
    assert_eq!(list[0]["vitals"], json!({}));
    let newest = v.json(v.admin().args(["encounter", "list", hid, "--limit", "1"]));
    assert_eq!(column(&newest, "reason"), ["wound check"]);

    let (table, _) = output(v.admin().args(["encounter", "list", hid]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("DATE"), "{table}");
    assert!(lines[1].starts_with("2024-05-01 09:30") && lines[1].contains("wound check"));
    assert!(lines[2].starts_with("2024-03-01") && lines[2].contains("home_visit"));
    assert!(
        lines[2].contains("BP 135/85, pulse 72, 36.8 °C, SpO2 98%, 70.5 kg, 172 cm, pain 3/10"),
        "{table}"
    );
}

#[test]
fn narrative_edits_keep_every_revision() {
    let v = TestVault::new();
    v.add_user("carla", "clinician", CARLA_PW);
    let patient = v.add_patient(&["--given", "Inês", "--family", "Costa"]);
    let hid = str_of(&patient, "human_id");
    let first = "Slept through the night for the first time this month.";
    let second = "Walked to the market with a friend and back without resting.";
    let added = v.json(v.clinician().args([
        "narrative",
        "add",
        hid,
        "--text",
        first,
        "--title",
        "First week",
    ]));
    let id = str_of(&added, "id").to_owned();
    assert_fields(
        &added,
        &json!({ "revision": 1, "body": first, "title": "First week", "author": "carla",
                 "author_type": "clinician", "patient_id": patient["id"] }),
    );

    let edited = v.json(
        v.clinician()
            .args(["narrative", "edit", &id, "--text", second]),
    );
    assert_eq!(edited["revision"], 2);
    assert_eq!(edited["body"], second);
    assert_eq!(edited["title"], "First week");
    let msg = stderr(
        v.clinician().args([
            "narrative",
            "edit",
            &id,
            "--text",
            "lost update",
            "--expect-revision",
            "1",
        ]),
        1,
    );
    assert!(msg.contains("was edited since you opened it"), "{msg}");

    let history = v.json(v.admin().args(["narrative", "history", &id]));
    assert_eq!(column(&history, "body"), [first, second]);
    assert_eq!(column(&history, "edited_by"), ["carla", "carla"]);
    let (text, _) = output(v.admin().args(["narrative", "history", &id]));
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {text}"))
    };
    assert!(at("revision 1") < at(first) && at(first) < at("revision 2"));
    assert!(at("revision 2") < at(second));

    let list = v.json(v.admin().args(["narrative", "list", hid]));
    assert_eq!(column(&list, "body"), [second]);
    assert_eq!(list[0]["revision"], 2);
    let (text, _) = output(v.admin().args(["narrative", "list", hid]));
    assert!(text.contains(&id) && text.contains(second) && !text.contains(first));

    // Narratives are searchable, and can speak for the patient.
    let found = v.json(v.admin().args(["patient", "search", "market"]));
    assert_eq!(column(&found, "human_id"), [hid]);
    let own = v.json(v.clinician().args([
        "narrative",
        "add",
        hid,
        "--text",
        "I want to plant tomatoes.",
        "--author-type",
        "patient",
    ]));
    assert_eq!(own["author_type"], "patient");
    stderr(
        v.clinician().args([
            "narrative",
            "add",
            hid,
            "--text",
            "x",
            "--author-type",
            "cat",
        ]),
        2,
    );
}

#[test]
fn consents_are_granted_withdrawn_and_listed() {
    let v = TestVault::new();
    let patient = v.add_patient(&["--given", "Ana", "--family", "Costa"]);
    let hid = str_of(&patient, "human_id");
    let granted = v.json(v.admin().args([
        "consent",
        "add",
        hid,
        "--purpose",
        "Photography",
        "--notes",
        "signed form in the file",
    ]));
    assert_fields(
        &granted,
        &json!({ "purpose": "photography", "status": "granted", "current": true,
                 "recorded_by": "ana", "notes": "signed form in the file" }),
    );
    let withdrawn = v.json(v.admin().args([
        "consent",
        "add",
        hid,
        "--purpose",
        "photography",
        "--withdraw",
    ]));
    assert_eq!(withdrawn["status"], "withdrawn");
    let msg = stderr(
        v.admin().args([
            "consent",
            "add",
            hid,
            "--purpose",
            "data sharing",
            "--withdraw",
        ]),
        1,
    );
    assert!(msg.contains("no consent in force"), "{msg}");

    let list = v.json(v.admin().args(["consent", "list", hid]));
    assert_eq!(column(&list, "status"), ["granted", "withdrawn"]);
    assert_eq!(list[0]["current"], false);
    assert_eq!(list[1]["current"], true);
    let (table, _) = output(v.admin().args(["consent", "list", hid]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("PURPOSE"), "{table}");
    assert!(lines[1].contains("granted") && lines[1].contains("signed form"));
    assert!(lines[2].contains("withdrawn") && lines[2].contains("yes"));
}

#[test]
fn credentials_are_set_merged_shown_and_their_expiry_listed() {
    let v = TestVault::new();
    v.add_user("carla", "clinician", CARLA_PW);
    v.add_user("frank", "front_desk", FRANK_PW);
    let today = tessera_core::clock::today_utc();
    let soon = (today + time::Duration::days(10)).to_string();
    let later = (today + time::Duration::days(400)).to_string();

    let first = v.json(v.admin().args([
        "credential",
        "set",
        "carla",
        "--licence",
        "OM-12345",
        "--specialisation",
        "family medicine",
        "--certification",
        &format!("Advanced Life Support|INEM|2024-01-01|{soon}"),
        "--certification",
        &format!("Palliative Care||2024-02-01|{later}"),
    ]));
    assert_fields(
        &first,
        &json!({
            "username": "carla", "version": 1, "licence_number": "OM-12345",
            "specialisations": ["family medicine"], "verification": "unverified",
            "certifications": [
                { "name": "Advanced Life Support", "issuer": "INEM",
                  "issued_on": "2024-01-01", "expires_on": soon },
                { "name": "Palliative Care", "issued_on": "2024-02-01", "expires_on": later },
            ],
        }),
    );
    // The flags given are merged onto what is there.
    let second = v.json(v.admin().args([
        "credential",
        "set",
        "carla",
        "--affiliation",
        "Casa Aberta",
        "--verification",
        "verified",
    ]));
    assert_eq!(second["version"], 2);
    assert_eq!(second["licence_number"], "OM-12345");
    assert_eq!(second["specialisations"], first["specialisations"]);
    assert_eq!(second["certifications"], first["certifications"]);
    assert_eq!(second["affiliations"], json!(["Casa Aberta"]));
    assert_eq!(second["verification"], "verified");
    let msg = stderr(
        v.admin().args([
            "credential",
            "set",
            "carla",
            "--licence",
            "X",
            "--expect-version",
            "1",
        ]),
        1,
    );
    assert!(msg.contains("changed since you opened them"), "{msg}");
    // A clinician reads their own credentials; they are unchanged.
    let shown = v.json(v.clinician().args(["credential", "show", "carla"]));
    assert_eq!(shown, second);
    let (text, _) = output(v.admin().args(["credential", "show", "carla"]));
    assert!(text.contains("OM-12345") && text.contains("Casa Aberta") && text.contains("verified"));

    let expiring = v.json(v.admin().args(["credential", "expiring"]));
    assert_eq!(
        expiring,
        json!([{ "username": "carla", "certification": "Advanced Life Support",
                 "expires_on": soon, "days_left": 10 }])
    );
    let all = v.json(v.admin().args(["credential", "expiring", "--days", "1000"]));
    assert_eq!(
        column(&all, "certification"),
        ["Advanced Life Support", "Palliative Care"]
    );
    let (table, _) = output(v.admin().args(["credential", "expiring"]));
    assert!(
        table.contains("Advanced Life Support") && table.contains("in 10 days"),
        "{table}"
    );

    // Only clinicians have credentials; only admins set them; front desk reads none.
    let msg = stderr(
        v.admin()
            .args(["credential", "set", "frank", "--licence", "X"]),
        1,
    );
    assert!(msg.contains("credentials are kept for clinicians"), "{msg}");
    let msg = stderr(
        v.clinician()
            .args(["credential", "set", "carla", "--licence", "X"]),
        3,
    );
    assert!(msg.contains("may not manage provider credentials"), "{msg}");
    let msg = stderr(v.front_desk().args(["credential", "show", "carla"]), 3);
    assert!(
        msg.contains("front_desk may not read provider credentials"),
        "{msg}"
    );
    let msg = stderr(
        v.admin()
            .args(["credential", "set", "carla", "--certification", "a|b|c|d|e"]),
        2,
    );
    assert!(msg.contains("at most four parts"), "{msg}");
}

#[test]
fn showing_a_patient_is_audited_as_a_view() {
    let v = TestVault::new();
    v.add_user("carla", "clinician", CARLA_PW);
    let patient = v.add_patient(&["--given", "Ana", "--family", "Costa"]);
    let id = str_of(&patient, "id");
    let none = v.json(
        v.admin()
            .args(["audit", "list", "--action", "patient.view"]),
    );
    assert_eq!(none, json!([]));
    v.admin()
        .args(["patient", "show", str_of(&patient, "human_id")])
        .assert()
        .success();
    v.clinician()
        .args(["patient", "show", id])
        .assert()
        .success();
    let views = v.json(
        v.admin()
            .args(["audit", "list", "--action", "patient.view"]),
    );
    assert_eq!(column(&views, "actor"), ["ana", "carla"]);
    assert_eq!(column(&views, "resource_type"), ["patient", "patient"]);
    assert_eq!(column(&views, "resource_id"), [id, id]);
    let about = v.json(v.admin().args(["audit", "list", "--resource-id", id]));
    assert_eq!(
        column(&about, "action"),
        ["patient.create", "patient.view", "patient.view"]
    );
}

#[test]
fn dev_seed_fills_the_vault_and_vault_info_counts_it() {
    let v = TestVault::new();
    v.add_user("carla", "clinician", CARLA_PW);
    let out = v
        .admin()
        .args(["dev", "seed", "--patients", "20", "--json"])
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        report,
        json!({ "patients": 20, "encounters": 100, "narratives": 40, "revisions": 200 })
    );
    let progress = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(progress.contains("Seeded 20 of 20 patients"), "{progress}");

    let info = v.json(v.admin().args(["vault", "info"]));
    assert_fields(
        &info["counts"],
        &json!({ "patients": 20, "deleted_patients": 0, "encounters": 100,
                 "narratives": 40, "narrative_revisions": 200 }),
    );
    let (text, _) = output(v.admin().args(["vault", "info"]));
    for line in [
        "patients       20 (0 in the bin)",
        "encounters     100",
        "narratives     40 (200 revisions)",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert_eq!(v.patient_count(), 20);
    let msg = stderr(v.clinician().args(["dev", "seed", "--patients", "1"]), 3);
    assert!(msg.contains("may not generate test data"), "{msg}");
}

/// A mistyped pulse is amended (the other fields kept, the earlier version kept), then a
/// visit recorded on the wrong patient is voided; neither can be done without a reason.
#[test]
fn a_visit_is_amended_and_voided_from_the_command_line() {
    let v = TestVault::new();
    let patient = v.json(
        v.admin()
            .args(["patient", "add", "--given", "Rosa", "--family", "Lima"]),
    );
    let human_id = patient["human_id"].as_str().unwrap();
    let visit = v.json(v.admin().args([
        "encounter",
        "add",
        human_id,
        "--date",
        "2026-03-02",
        "--reason",
        "fever",
        "--pulse",
        "180",
        "--temp",
        "38.2",
        "--diagnosis",
        "Influenza",
    ]));
    let id = visit["id"].as_str().unwrap();

    let missing = stderr(
        v.admin().args(["encounter", "amend", id, "--pulse", "80"]),
        2,
    );
    assert!(missing.contains("--reason"), "{missing}");
    let amended = v.json(v.admin().args([
        "encounter",
        "amend",
        id,
        "--reason",
        "pulse mistyped",
        "--pulse",
        "80",
    ]));
    assert_eq!(amended["version"], 2);
    assert_eq!(amended["vitals"]["pulse"], 80);
    assert_eq!(amended["vitals"]["temperature_c"], 38.2);
    assert_eq!(amended["reason"], "fever");
    assert_eq!(amended["diagnoses"], json!(["Influenza"]));

    let voided = v.json(v.admin().args([
        "encounter",
        "void",
        id,
        "--reason",
        "recorded on the wrong patient",
    ]));
    assert_eq!(voided["voided"]["reason"], "recorded on the wrong patient");
    let listed = v.json(v.admin().args(["encounter", "list", human_id]));
    assert_eq!(listed[0]["voided"]["by"], "ana");
    let refused = stderr(
        v.admin()
            .args(["encounter", "amend", id, "--reason", "x", "--pulse", "70"]),
        1,
    );
    assert!(refused.contains("voided"), "{refused}");
}

#[test]
fn patient_add_refuses_a_likely_duplicate_naming_it_unless_not_duplicate() {
    let v = TestVault::new();
    let first = v.add_patient(&[
        "--given",
        "Élodie",
        "--family",
        "Martin",
        "--dob",
        "1988-04-12",
    ]);
    let human_id = first["human_id"].as_str().unwrap();
    let refused = stderr(
        v.admin().args([
            "patient",
            "add",
            "--given",
            "elodie",
            "--family",
            "MARTIN",
            "--dob",
            "1988-04-12",
        ]),
        1,
    );
    assert!(refused.contains(human_id), "{refused}");
    assert!(refused.contains("--not-duplicate"), "{refused}");
    let twin = v.add_patient(&[
        "--given",
        "Elodie",
        "--family",
        "Martin",
        "--dob",
        "1988-04-12",
        "--not-duplicate",
    ]);
    assert_ne!(twin["human_id"], first["human_id"]);
}

#[test]
fn patient_merge_moves_visits_and_the_old_id_shows_the_survivor_until_unmerged() {
    let v = TestVault::new();
    let kept = v.add_patient(&[
        "--given",
        "Omar",
        "--family",
        "Haddad",
        "--dob",
        "1970-01-30",
    ]);
    let dup = v.add_patient(&[
        "--given",
        "Omar",
        "--family",
        "Haddad",
        "--dob",
        "1970-01-30",
        "--not-duplicate",
    ]);
    let (kept_id, dup_id) = (
        kept["human_id"].as_str().unwrap(),
        dup["human_id"].as_str().unwrap(),
    );
    v.admin()
        .args([
            "encounter",
            "add",
            dup_id,
            "--date",
            "2026-02-01",
            "--reason",
            "cough",
        ])
        .assert()
        .success();
    stderr(v.clinician().args(["patient", "merge", kept_id, dup_id]), 3);

    let merged = v.json(v.admin().args(["patient", "merge", kept_id, dup_id]));
    assert_eq!(merged["merged_human_id"], dup_id);
    assert_eq!(merged["moved"]["encounters"], 1);
    let shown = v.json(v.admin().args(["patient", "show", dup_id]));
    assert_eq!(shown["human_id"], kept_id);
    let visits = v.json(v.admin().args(["encounter", "list", kept_id]));
    assert_eq!(visits.as_array().unwrap().len(), 1);

    let undone = v.json(v.admin().args(["patient", "unmerge", dup_id]));
    assert_eq!(undone["undoable"], false);
    let shown = v.json(v.admin().args(["patient", "show", dup_id]));
    assert_eq!(shown["human_id"], dup_id);
    let visits = v.json(v.admin().args(["encounter", "list", dup_id]));
    assert_eq!(visits.as_array().unwrap().len(), 1);
    v.admin().args(["audit", "verify"]).assert().success();
}
