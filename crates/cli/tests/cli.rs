//! The `tessera` binary against real vaults: the CLI contract (flags, JSON, exit codes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_PW, TestVault, stderr, tessera};
use rusqlite::Connection;
use serde_json::Value;
use tessera_core::crypto::{self, Subkey};
use tessera_core::store::database;
use tessera_core::store::header::Header;
use tessera_core::store::keyslot::password_slot_id;

/// Opens vault.db directly with the raw database key, as an attacker holding the key
/// (or a test) could: bypassing every check of the core.
fn raw_connection(v: &TestVault) -> Connection {
    let header = Header::read(&v.dir.join("header.json")).unwrap();
    let slot = header
        .slot(&password_slot_id(&header.vault_id, "ana"))
        .unwrap();
    let data_key = slot
        .open_with_password(&header.vault_id, ADMIN_PW)
        .unwrap()
        .unwrap();
    let db_key = crypto::VaultKeys::first(data_key).subkey(&header.vault_id, Subkey::Database);
    let conn = Connection::open(v.dir.join("vault.db")).unwrap();
    database::apply_key(&conn, &db_key).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    conn
}

fn restore_triggers(conn: &Connection) {
    conn.execute_batch(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'x'); END;
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'x'); END;",
    )
    .unwrap();
}

#[test]
fn init_then_vault_info_reports_the_vault_without_secrets() {
    let v = TestVault::new();
    assert_eq!(v.recovery_key.split('-').count(), 11);
    let info = v.json(v.admin().args(["vault", "info"]));
    assert_eq!(info["format_version"], 2);
    assert_eq!(info["schema_version"], 14);
    assert_eq!(info["key_slots"], 2);
    assert_eq!(info["counts"]["staff"], 1);
    assert!(info["cipher"].as_str().unwrap().starts_with("SQLCipher 4"));
    assert_eq!(info["signed_in_as"]["username"], "ana");
    let text = info.to_string();
    assert!(!text.contains(ADMIN_PW) && !text.contains(&v.recovery_key));
}

#[test]
fn init_refuses_an_existing_vault_and_weak_settings() {
    let v = TestVault::new();
    let msg = stderr(
        tessera(&v.dir)
            .args(["init", "--admin", "x"])
            .env("TESSERA_PASSWORD", ADMIN_PW),
        1,
    );
    assert!(msg.contains("already exists"), "{msg}");
    let tmp = tempfile::tempdir().unwrap();
    let mut weak = tessera(&tmp.path().join("v"));
    weak.args(["init", "--admin", "x", "--argon2-memory-mib", "1"])
        .env("TESSERA_PASSWORD", ADMIN_PW);
    assert!(stderr(&mut weak, 1).contains("argon2 memory"));
}

#[test]
fn wrong_password_exits_3_and_locks_after_five_failures() {
    let v = TestVault::new();
    v.add_user("bob", "social_worker", "bob's passphrase");
    let db_before = std::fs::read(v.dir.join("vault.db")).unwrap();
    for _ in 0..5 {
        let msg = stderr(
            v.as_user("bob", "wrong password!").args(["vault", "info"]),
            3,
        );
        assert!(msg.contains("wrong user name or password"), "{msg}");
    }
    let msg = stderr(
        v.as_user("bob", "bob's passphrase").args(["vault", "info"]),
        3,
    );
    assert!(msg.contains("locked for another"), "{msg}");
    assert_eq!(
        std::fs::read(v.dir.join("vault.db")).unwrap(),
        db_before,
        "failed sign-ins never touch vault.db"
    );

    let events = v.json(v.admin().args(["audit", "list", "--action", "auth"]));
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            vec!["auth.login_failed"; 5],
            vec!["auth.login_refused_locked"]
        ]
        .concat()
    );
}

#[test]
fn missing_password_is_a_usage_error() {
    let v = TestVault::new();
    let msg = stderr(
        tessera(&v.dir)
            .env("TESSERA_USER", "ana")
            .args(["vault", "info"]),
        2,
    );
    assert!(msg.contains("TESSERA_PASSWORD"), "{msg}");
    let msg = stderr(
        tessera(&v.dir)
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .args(["vault", "info"]),
        2,
    );
    assert!(msg.contains("--user"), "{msg}");
    stderr(tessera(&v.dir).args(["frobnicate"]), 2);
}

#[test]
fn password_stdin_is_read() {
    let v = TestVault::new();
    tessera(&v.dir)
        .args(["--user", "ana", "--password-stdin", "vault", "info"])
        .write_stdin(format!("{ADMIN_PW}\n"))
        .assert()
        .success();
}

#[test]
fn recovery_key_resets_a_lost_admin_password() {
    let v = TestVault::new();
    tessera(&v.dir)
        .args(["--recovery", "user", "passwd", "ana"])
        .env(
            "TESSERA_RECOVERY_KEY",
            v.recovery_key.to_lowercase().replace('-', " "),
        )
        .env("TESSERA_NEW_PASSWORD", "a fresh admin passphrase")
        .assert()
        .success();
    stderr(v.admin().args(["vault", "info"]), 3);
    v.as_user("ana", "a fresh admin passphrase")
        .args(["vault", "info"])
        .assert()
        .success();

    let typo = v
        .recovery_key
        .replacen(|c: char| c.is_ascii_alphabetic(), "9", 1);
    let msg = stderr(
        tessera(&v.dir)
            .args(["--recovery", "user", "list"])
            .env("TESSERA_RECOVERY_KEY", typo),
        1,
    );
    assert!(msg.contains("recovery key is not valid"), "{msg}");
}

#[test]
fn users_are_added_listed_and_disabled() {
    let v = TestVault::new();
    let added = v.json(
        v.admin()
            .args([
                "user",
                "add",
                "Carla",
                "--role",
                "clinician",
                "--name",
                "Carla Mendes",
            ])
            .env("TESSERA_NEW_PASSWORD", "carla passphrase"),
    );
    assert_eq!(added["username"], "carla");
    assert!(added["id"].as_str().is_some());
    let list = v.json(v.admin().args(["user", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    // A clinician may not manage accounts: exit 3, and the refusal is audited.
    let msg = stderr(
        v.as_user("carla", "carla passphrase")
            .args(["user", "add", "eve", "--role", "admin"])
            .env("TESSERA_NEW_PASSWORD", "eve passphrase"),
        3,
    );
    assert!(
        msg.contains("clinician may not add staff accounts"),
        "{msg}"
    );
    let denied = v.json(
        v.admin()
            .args(["audit", "list", "--action", "access.denied"]),
    );
    assert_eq!(denied[0]["actor"], "carla");

    v.admin()
        .args(["user", "disable", "carla", "--reason", "left"])
        .assert()
        .success();
    stderr(
        v.as_user("carla", "carla passphrase")
            .args(["vault", "info"]),
        3,
    );
    let msg = stderr(v.admin().args(["user", "disable", "ana"]), 1);
    assert!(msg.contains("last active admin"), "{msg}");
}

#[test]
fn audit_verify_passes_on_an_untouched_vault() {
    let v = TestVault::new();
    let report = v.json(v.admin().args(["audit", "verify"]));
    assert_eq!(report["ok"], true);
    assert_eq!(report["unanchored"], 0);
}

/// Tampering through the raw key, each kind caught by `audit verify` naming the right entry.
#[test]
fn audit_verify_names_the_first_tampered_entry() {
    let cases: [(&str, &str, u64); 4] = [
        (
            "edit",
            "UPDATE audit_log SET reason = 'nothing happened' WHERE seq = 2",
            2,
        ),
        ("delete", "DELETE FROM audit_log WHERE seq = 3", 3),
        (
            "reorder",
            "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; \
             UPDATE audit_log SET seq = 3 WHERE seq = -1;",
            2,
        ),
        ("truncate", "DELETE FROM audit_log WHERE seq >= 4", 4),
    ];
    for (name, sql, first_bad) in cases {
        let v = TestVault::new();
        v.add_user("bob", "clinician", "bob's passphrase");
        let conn = raw_connection(&v);
        conn.execute_batch(sql).unwrap();
        restore_triggers(&conn);
        drop(conn);
        let out = v
            .admin()
            .args(["audit", "verify", "--json"])
            .assert()
            .code(4);
        let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(report["ok"], false, "{name}");
        assert_eq!(report["problem"]["seq"], first_bad, "{name}: {report}");
        let msg = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            msg.contains(&format!("entry #{first_bad}")),
            "{name}: {msg}"
        );
    }
}

#[test]
fn removing_the_append_only_triggers_is_reported() {
    let v = TestVault::new();
    drop(raw_connection(&v));
    let msg = stderr(v.admin().args(["audit", "verify"]), 4);
    assert!(msg.contains("triggers"), "{msg}");
}

#[test]
fn damaged_vaults_exit_with_specific_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let msg = stderr(
        tessera(&tmp.path().join("none"))
            .env("TESSERA_USER", "ana")
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .args(["vault", "info"]),
        1,
    );
    assert!(msg.contains("no vault at"), "{msg}");

    let v = TestVault::new();
    std::fs::write(v.dir.join("header.json"), b"\x00garbage").unwrap();
    assert!(stderr(v.admin().args(["vault", "info"]), 4).contains("header is corrupt"));

    let v = TestVault::new();
    let db = v.dir.join("vault.db");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    assert!(stderr(v.admin().args(["vault", "info"]), 4).contains("damaged"));

    let v = TestVault::new();
    let header = v.dir.join("header.json");
    let mut value: Value = serde_json::from_slice(&std::fs::read(&header).unwrap()).unwrap();
    value["format_version"] = 7.into();
    std::fs::write(&header, value.to_string()).unwrap();
    let msg = stderr(v.admin().args(["vault", "info"]), 1);
    assert!(
        msg.contains("version 7") && msg.contains("newer Tessera"),
        "{msg}"
    );

    let v = TestVault::new();
    let conn = raw_connection(&v);
    conn.pragma_update(None, "user_version", 99).unwrap();
    restore_triggers(&conn);
    drop(conn);
    let msg = stderr(v.admin().args(["vault", "info"]), 1);
    assert!(msg.contains("schema version 99"), "{msg}");
}

#[test]
fn audit_list_filters_by_actor_action_and_time() {
    let v = TestVault::new();
    v.add_user("bob", "clinician", "bob's passphrase");
    let staff = v.json(v.admin().args(["audit", "list", "--action", "staff"]));
    let actions: Vec<&str> = staff
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["staff.add", "staff.add"]);
    let future = v.json(v.admin().args(["audit", "list", "--since", "2999-01-01"]));
    assert_eq!(future.as_array().unwrap().len(), 0);
    let newest = v.json(v.admin().args(["audit", "list", "--limit", "1"]));
    assert_eq!(newest.as_array().unwrap().len(), 1);
    let msg = stderr(
        v.admin().args(["audit", "list", "--since", "last tuesday"]),
        2,
    );
    assert!(msg.contains("--since"), "{msg}");
}

/// Someone who can write the vault's files changes four bytes in the middle of vault.db:
/// `vault check` names the page that fails authentication and exits 4 (an integrity
/// failure), even where the rest of the vault still opens.
#[test]
fn a_damaged_page_is_an_integrity_failure_that_names_the_page() {
    let v = TestVault::new();
    for i in 0..40 {
        v.admin()
            .args([
                "patient",
                "add",
                "--given",
                &format!("Name{i}"),
                "--family",
                "Family",
            ])
            .assert()
            .success();
    }
    let db = v.dir.join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 8 * 4096, "the vault has pages to damage");
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 4] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let page = middle / 4096 + 1;

    let text = stderr(v.admin().args(["vault", "check"]), 4);
    assert!(
        text.contains(&format!("page {page}")),
        "the damaged page {page} is named: {text}"
    );
}

/// The same, on a page the vault needs to open at all (the first tables, made first): every
/// command refuses with "damaged" (exit 4, never "out of memory"), and `vault check` still
/// names the page, reading the pages without opening a session.
#[test]
fn a_damaged_page_that_keeps_the_vault_shut_is_still_named_by_vault_check() {
    let v = TestVault::new();
    let db = v.dir.join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in &mut bytes[4096 + 100..4096 + 104] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();

    let text = stderr(v.admin().args(["patient", "list"]), 4);
    assert!(
        text.contains("damaged") && !text.contains("out of memory"),
        "{text}"
    );
    let text = stderr(v.admin().args(["vault", "check"]), 4);
    assert!(text.contains("page 2"), "the damaged page is named: {text}");
}

#[test]
fn user_reset_hands_over_a_password_that_must_be_changed_first() {
    let v = TestVault::new();
    v.add_user("dan", "clinician", "dan passphrase 1");
    let reset = v.json(
        v.admin()
            .args(["user", "reset", "dan"])
            .env("TESSERA_NEW_PASSWORD", "handed over 123"),
    );
    assert_eq!(reset["username"], "dan");
    assert_eq!(reset["must_change_password"], true);

    // Until dan chooses a password, every command but the change is refused (exit 3).
    let refused = stderr(
        v.as_user("dan", "handed over 123")
            .args(["patient", "list"]),
        3,
    );
    assert!(refused.contains("must choose a new password"), "{refused}");
    v.as_user("dan", "handed over 123")
        .args(["user", "passwd"])
        .env("TESSERA_NEW_PASSWORD", "dan chose this")
        .assert()
        .success();
    v.as_user("dan", "dan chose this")
        .args(["patient", "list"])
        .assert()
        .success();
    let list = v.json(v.admin().args(["user", "list"]));
    let dan = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "dan")
        .unwrap();
    assert_eq!(dan["must_change_password"], false);

    // Only admins reset, and nobody resets their own.
    stderr(
        v.as_user("dan", "dan chose this")
            .args(["user", "reset", "ana"])
            .env("TESSERA_NEW_PASSWORD", "taken over 123"),
        3,
    );
    stderr(
        v.admin()
            .args(["user", "reset", "ana"])
            .env("TESSERA_NEW_PASSWORD", "another one 123"),
        1,
    );
}
