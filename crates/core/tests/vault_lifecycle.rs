//! The vault end to end through the core API, on real SQLCipher files in temp directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use tessera_core::accounts::{self, NewStaff};
use tessera_core::audit::{self, AuditFilter};
use tessera_core::crypto::Argon2Params;
use tessera_core::patients;
use tessera_core::policy::{Action, Role};
use tessera_core::store::header::Header;
use tessera_core::store::recovery::RecoveryKey;
use tessera_core::vault::{self, Credentials, NewVault};
use tessera_core::{Error, ErrorClass, Session};

const ADMIN_PW: &str = "admin passphrase 1";
const SENTINEL_NAME: &str = "Zyxwvutsonia Sentinelova";
const SENTINEL_REASON: &str = "sentinel-reason-qjxkvz";

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    recovery: RecoveryKey,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let created = vault::create(
        &dir,
        &NewVault {
            admin_username: "ana",
            admin_display_name: SENTINEL_NAME,
            admin_password: ADMIN_PW,
            kdf: Argon2Params::MINIMUM,
        },
    )
    .unwrap();
    Fixture {
        _tmp: tmp,
        dir,
        recovery: created.recovery_key,
    }
}

fn login(dir: &Path, username: &str, password: &str) -> tessera_core::Result<Session> {
    vault::unlock(dir, &Credentials::Password { username, password })
}

fn add_user(session: &mut Session, name: &str, role: Role, password: &str) {
    let new = NewStaff {
        username: name,
        display_name: "",
        role,
        must_change_password: false,
    };
    accounts::add(session, &new, password).unwrap();
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn vault_files_hold_no_plaintext() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(
        &mut admin,
        "sentinel.user",
        Role::Clinician,
        "clinician passphrase",
    );
    accounts::disable(&mut admin, "sentinel.user", Some(SENTINEL_REASON)).unwrap();

    // With the session open the WAL holds the newest pages: check it too.
    let wal = f.dir.join("vault.db-wal");
    let files = [
        f.dir.join("vault.db"),
        wal.clone(),
        f.dir.join("header.json"),
    ];
    let check = |when: &str| {
        for path in &files {
            let bytes = read(path);
            for needle in [
                SENTINEL_NAME,
                SENTINEL_REASON,
                "sentinel.user",
                "staff.disable",
                "CREATE TABLE",
            ] {
                assert!(
                    !contains(&bytes, needle),
                    "{needle:?} in {} ({when})",
                    path.display()
                );
            }
        }
    };
    assert!(wal.exists(), "a WAL exists while the session is open");
    check("session open");
    admin.lock();
    check("after lock");

    let db = read(&f.dir.join("vault.db"));
    assert!(!db.starts_with(b"SQLite format 3\0"));
}

#[test]
fn stock_sqlite_cannot_read_the_vault() {
    let f = fixture();
    let out = std::process::Command::new("sqlite3")
        .arg(f.dir.join("vault.db"))
        .arg("SELECT name FROM sqlite_master;")
        .output()
        .expect("sqlite3 is installed by scripts/setup.sh");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a database"),
        "{out:?}"
    );
}

#[test]
fn vault_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    for name in ["", "header.json", "vault.db"] {
        let mode = std::fs::metadata(f.dir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode & 0o077, 0, "{name} has mode {mode:o}");
    }
}

#[test]
fn a_wrong_password_leaves_the_database_untouched() {
    let f = fixture();
    let db_before = read(&f.dir.join("vault.db"));
    let err = login(&f.dir, "ana", "not the password").unwrap_err();
    assert!(matches!(err, Error::BadCredentials));
    assert_eq!(err.class(), ErrorClass::Refused);
    assert_eq!(read(&f.dir.join("vault.db")), db_before);
    assert!(!f.dir.join("vault.db-wal").exists());
    // An unknown user gets the very same answer.
    assert!(matches!(
        login(&f.dir, "nobody", "not the password"),
        Err(Error::BadCredentials)
    ));
}

#[test]
fn repeated_failures_lock_the_account_and_are_audited() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "bob", Role::SocialWorker, "bob's passphrase");
    admin.lock();

    for _ in 0..5 {
        assert!(matches!(
            login(&f.dir, "bob", "guess guess guess"),
            Err(Error::BadCredentials)
        ));
    }
    // Locked now, even with the right password.
    match login(&f.dir, "bob", "bob's passphrase") {
        Err(Error::LockedOut { retry_after_secs }) => assert!((1..=30).contains(&retry_after_secs)),
        other => panic!("expected a lock-out, got {other:?}"),
    }
    let header = Header::read(&f.dir.join("header.json")).unwrap();
    assert_eq!(header.pending_auth_events.len(), 6);

    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    let filter = AuditFilter {
        action: Some("auth".into()),
        ..AuditFilter::default()
    };
    let events = audit::list(&mut admin, &filter).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            vec!["auth.login_failed"; 5],
            vec!["auth.login_refused_locked"]
        ]
        .concat()
    );
    let bob = accounts::list(&mut admin)
        .unwrap()
        .into_iter()
        .find(|a| a.username == "bob")
        .unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.resource_id.as_deref() == Some(bob.id.as_str()))
    );
    assert_eq!(events[4].after.as_ref().unwrap()["locked_for_secs"], 30);
    // Flushed once: the header queue is empty and the chain still verifies.
    assert!(
        Header::read(&f.dir.join("header.json"))
            .unwrap()
            .pending_auth_events
            .is_empty()
    );
    assert!(audit::verify(&mut admin).unwrap().ok);
}

#[test]
fn the_recovery_key_restores_access_when_every_password_is_lost() {
    let f = fixture();
    let typed = f.recovery.display().to_lowercase();
    let key = RecoveryKey::parse(&typed).unwrap();
    let mut rescue = vault::unlock(&f.dir, &Credentials::Recovery(&key)).unwrap();
    assert_eq!(rescue.actor().username, "recovery-key");
    // It may reset passwords, but not disable anyone or act as staff.
    let refused = accounts::disable(&mut rescue, "ana", None).unwrap_err();
    assert!(matches!(refused, Error::Denied { .. }), "{refused:?}");
    accounts::set_password(&mut rescue, "ana", "brand new passphrase").unwrap();
    rescue.lock();

    assert!(matches!(
        login(&f.dir, "ana", ADMIN_PW),
        Err(Error::BadCredentials)
    ));
    let mut admin = login(&f.dir, "ana", "brand new passphrase").unwrap();
    let recovery_entries = audit::list(
        &mut admin,
        &AuditFilter {
            actor: Some("recovery-key".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let actions: Vec<&str> = recovery_entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["session.open", "access.denied", "staff.set_password"]
    );
}

#[test]
fn a_wrong_recovery_key_is_refused_and_queued_for_the_audit_but_never_locks() {
    let f = fixture();
    let other = RecoveryKey::generate().unwrap();
    assert!(matches!(
        vault::unlock(&f.dir, &Credentials::Recovery(&other)),
        Err(Error::BadRecoveryKey)
    ));
    let header = Header::read(&f.dir.join("header.json")).unwrap();
    assert_eq!(header.slot("recovery").unwrap().failed_attempts, 0);
    assert_eq!(header.pending_auth_events.len(), 1);
}

#[test]
fn changing_a_password_rewraps_only_that_slot() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "carla", Role::Clinician, "carla passphrase");
    let before = Header::read(&f.dir.join("header.json")).unwrap();
    accounts::set_password(&mut admin, "carla", "carla new passphrase").unwrap();
    admin.lock();
    let after = Header::read(&f.dir.join("header.json")).unwrap();
    let changed: Vec<&str> = after
        .slots
        .iter()
        .filter(|s| {
            before.slot(&s.id).map(|b| b.wrapped_key.as_str()) != Some(s.wrapped_key.as_str())
        })
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(after.slots.len(), before.slots.len());
    assert!(login(&f.dir, "carla", "carla new passphrase").is_ok());
    assert!(login(&f.dir, "carla", "carla passphrase").is_err());
}

#[test]
fn own_password_changes_are_allowed_to_every_role_but_not_others() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "desk", Role::FrontDesk, "front desk passphrase");
    admin.lock();
    let mut desk = login(&f.dir, "desk", "front desk passphrase").unwrap();
    accounts::set_password(&mut desk, "desk", "front desk passphrase 2").unwrap();
    assert!(matches!(
        accounts::set_password(&mut desk, "ana", "taken over!!"),
        Err(Error::Denied { .. })
    ));
    assert!(matches!(
        accounts::list(&mut desk),
        Err(Error::Denied { .. })
    ));
    assert!(matches!(
        audit::verify(&mut desk),
        Err(Error::Denied { .. })
    ));
}

#[test]
fn disabling_removes_the_slot_and_the_last_admin_stays() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "dan", Role::Clinician, "dan passphrase");
    let slots_before = Header::read(&f.dir.join("header.json"))
        .unwrap()
        .slots
        .len();
    let disabled = accounts::disable(&mut admin, "dan", Some("left the clinic")).unwrap();
    assert_eq!(disabled.status, "disabled");
    assert_eq!(
        Header::read(&f.dir.join("header.json"))
            .unwrap()
            .slots
            .len(),
        slots_before - 1
    );
    assert!(matches!(
        login(&f.dir, "dan", "dan passphrase"),
        Err(Error::BadCredentials)
    ));
    assert!(matches!(
        accounts::disable(&mut admin, "ana", None),
        Err(Error::Conflict(_))
    ));
    accounts::enable(&mut admin, "dan", "dan's new passphrase", false).unwrap();
    admin.lock();
    assert!(login(&f.dir, "dan", "dan's new passphrase").is_ok());
}

#[test]
fn duplicate_and_invalid_accounts_get_specific_errors() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    let dup = accounts::add(
        &mut admin,
        &NewStaff {
            username: "ANA",
            display_name: "",
            role: Role::Admin,
            must_change_password: false,
        },
        "another passphrase",
    );
    assert!(matches!(dup, Err(Error::Conflict(_))), "{dup:?}");
    let short = accounts::add(
        &mut admin,
        &NewStaff {
            username: "eve",
            display_name: "",
            role: Role::Admin,
            must_change_password: false,
        },
        "short",
    );
    assert!(matches!(
        short,
        Err(Error::Invalid {
            field: "password",
            ..
        })
    ));
}

#[test]
fn creating_over_an_existing_vault_is_refused() {
    let f = fixture();
    let again = vault::create(
        &f.dir,
        &NewVault {
            admin_username: "x",
            admin_display_name: "x",
            admin_password: "xxxxxxxxxxxx",
            kdf: Argon2Params::MINIMUM,
        },
    );
    assert!(matches!(again, Err(Error::VaultExists(_))));
    assert!(login(&f.dir, "ana", ADMIN_PW).is_ok());
}

#[test]
fn damaged_vaults_get_specific_errors_not_panics() {
    // Missing directory.
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        login(&tmp.path().join("nope"), "ana", ADMIN_PW),
        Err(Error::VaultNotFound(_))
    ));

    // Garbage header.
    let f = fixture();
    std::fs::write(f.dir.join("header.json"), b"{ not json").unwrap();
    let err = login(&f.dir, "ana", ADMIN_PW).unwrap_err();
    assert!(
        matches!(err, Error::CorruptHeader(_)) && err.class() == ErrorClass::Integrity,
        "{err:?}"
    );

    // Missing header.
    std::fs::remove_file(f.dir.join("header.json")).unwrap();
    assert!(matches!(
        login(&f.dir, "ana", ADMIN_PW),
        Err(Error::CorruptHeader(_))
    ));

    // Header from the future.
    let f = fixture();
    let path = f.dir.join("header.json");
    let mut value: serde_json::Value = serde_json::from_slice(&read(&path)).unwrap();
    value["format_version"] = 99.into();
    std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
    assert!(matches!(
        login(&f.dir, "ana", ADMIN_PW),
        Err(Error::FutureVersion { found: 99, .. })
    ));

    // Truncated database.
    let f = fixture();
    let db = f.dir.join("vault.db");
    let bytes = read(&db);
    std::fs::write(&db, &bytes[..bytes.len() / 2]).unwrap();
    let err = login(&f.dir, "ana", ADMIN_PW).unwrap_err();
    assert!(matches!(err, Error::CorruptDatabase(_)), "{err:?}");

    // Empty database file.
    std::fs::write(&db, b"").unwrap();
    assert!(matches!(
        login(&f.dir, "ana", ADMIN_PW),
        Err(Error::CorruptDatabase(_))
    ));

    // Another vault's database under this header.
    let f = fixture();
    let g = fixture();
    std::fs::copy(g.dir.join("vault.db"), f.dir.join("vault.db")).unwrap();
    assert!(matches!(
        login(&f.dir, "ana", ADMIN_PW),
        Err(Error::CorruptDatabase(_))
    ));
}

#[test]
fn a_damaged_page_is_reported_as_corruption() {
    let f = fixture();
    let db = f.dir.join("vault.db");
    let mut bytes = read(&db);
    let page = 4096;
    assert!(bytes.len() > 3 * page);
    for b in &mut bytes[2 * page + 100..2 * page + 200] {
        *b ^= 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    // The first pages still decrypt, so unlocking may succeed; reading the damaged page must fail cleanly.
    match login(&f.dir, "ana", ADMIN_PW) {
        Err(e) => assert_eq!(e.class(), ErrorClass::Integrity, "{e:?}"),
        Ok(mut s) => {
            let listed = accounts::list(&mut s).and_then(|_| audit::verify(&mut s).map(|_| ()));
            let err = listed.expect_err("a damaged page cannot read back as good data");
            assert_eq!(err.class(), ErrorClass::Integrity, "{err:?}");
        }
    }
}

#[test]
fn a_session_alongside_acts_for_the_same_person_in_the_same_session_and_keeps_the_vault_in_use() {
    let f = fixture();
    let mut first = login(&f.dir, "ana", ADMIN_PW).unwrap();
    let mut alongside = vault::open_alongside(&first).unwrap();
    assert_eq!(alongside.actor(), first.actor());
    // Both write, one after the other, on their own connections.
    add_user(&mut alongside, "bea", Role::Clinician, "bea passphrase 12");
    add_user(&mut first, "cid", Role::Clinician, "cid passphrase 12");
    let entries = audit::list(
        &mut first,
        &AuditFilter {
            action: Some("staff.add".into()),
            ..Default::default()
        },
    )
    .unwrap();
    // The vault's creation added the admin; then bea (alongside) and cid (first).
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(entries[1].session_id, entries[2].session_id);
    assert_eq!(entries[1].actor, entries[2].actor);
    // Nothing like a sign-in was recorded for it.
    let opened = audit::list(
        &mut first,
        &AuditFilter {
            action: Some("session.open".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(opened.len(), 1);
    drop(first);
    // The vault stays in use (a restore would wait) until the second goes too.
    assert!(matches!(
        tessera_core::backup::restore(
            &tessera_core::backup::RestoreOptions {
                file: f.dir.join("none.age"),
                target: f.dir.clone(),
                dry_run: false,
                override_reason: None,
            },
            &tessera_core::archive::Decryption::Passphrase("unused passphrase".to_owned().into()),
            &Credentials::Password {
                username: "ana",
                password: ADMIN_PW,
            },
        ),
        Err(Error::VaultInUse)
    ));
    drop(alongside);
    assert!(
        audit::verify(&mut login(&f.dir, "ana", ADMIN_PW).unwrap())
            .unwrap()
            .ok
    );
}

/// Someone who can write the vault's files truncates the audit log and removes the anchor
/// that would show it: the next sessions must not quietly anchor the shortened log again.
#[test]
fn a_removed_audit_anchor_is_reported() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "rui", Role::Clinician, "clinician passphrase");
    drop(admin);
    let path = f.dir.join("header.json");
    assert!(
        Header::read(&path).unwrap().audit_anchor.is_some(),
        "a new vault is anchored"
    );
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["audit_anchor"] = serde_json::Value::Null;
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();

    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "eva", Role::SocialWorker, "another passphrase");
    let report = audit::verify(&mut admin).unwrap();
    assert!(!report.ok);
    let problem = report.problem.expect("a problem is named");
    assert!(
        problem.reason.contains("no audit anchor"),
        "{}",
        problem.reason
    );
    drop(admin);
    assert!(
        Header::read(&path).unwrap().audit_anchor.is_none(),
        "the anchor is not put back by later writes"
    );
}

/// A password must not reach a log, a panic message or a crash report through `{:?}`.
#[test]
fn debug_output_never_shows_a_password() {
    let secret = "correct horse battery staple";
    let credentials = Credentials::Password {
        username: "ana",
        password: secret,
    };
    let new = NewVault {
        admin_username: "ana",
        admin_display_name: "Ana",
        admin_password: secret,
        kdf: Argon2Params::MINIMUM,
    };
    for shown in [format!("{credentials:?}"), format!("{new:?}")] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("ana"), "{shown}");
    }
}

/// Someone floods a locked-out decoy account with instant attempts to push the queue of
/// sign-in events past its limit, then guesses at another account: the guesses are still
/// audited, and so is the number of events the flood made the vault drop.
#[test]
fn a_flood_on_a_decoy_account_cannot_hide_guesses_on_another() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "decoy", Role::FrontDesk, "decoy passphrase");
    add_user(&mut admin, "rui", Role::Clinician, "rui's passphrase");
    admin.lock();

    for _ in 0..150 {
        assert!(login(&f.dir, "decoy", "flood flood flood").is_err());
    }
    assert!(matches!(
        login(&f.dir, "rui", "a real guess"),
        Err(Error::BadCredentials)
    ));

    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    let rui = accounts::list(&mut admin)
        .unwrap()
        .into_iter()
        .find(|a| a.username == "rui")
        .unwrap();
    let guesses = audit::list(
        &mut admin,
        &AuditFilter {
            action: Some("auth.login_failed".into()),
            resource_id: Some(rui.id.clone()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(guesses.len(), 1, "the guess on rui is audited");
    let lost = audit::list(
        &mut admin,
        &AuditFilter {
            action: Some("auth.events_lost".into()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        lost[0].after.as_ref().unwrap()["dropped_from_a_full_queue"],
        50
    );
    let header = Header::read(&f.dir.join("header.json")).unwrap();
    assert_eq!(header.pending_auth_events_dropped, 0, "counted once");
}

/// Someone who can write header.json queues sign-in events no Tessera would write, to put
/// words into the audit chain: they are refused, and counted.
#[test]
fn queued_sign_in_events_are_checked_before_they_enter_the_chain() {
    let f = fixture();
    let path = f.dir.join("header.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["pending_auth_events"] = serde_json::json!([{
        "id": "00000000-0000-7000-8000-000000000001",
        "slot_id": "Robert'); DROP TABLE staff; -- a very long forged slot id, nothing like a hash",
        "kind": "login_failed",
        "at": 4_102_444_800_000i64,
        "failures": 7
    }]);
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();

    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    let auth = audit::list(
        &mut admin,
        &AuditFilter {
            action: Some("auth".into()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    let actions: Vec<&str> = auth.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["auth.events_lost"]);
    assert_eq!(auth[0].after.as_ref().unwrap()["refused_as_implausible"], 1);
    assert!(Header::read(&path).unwrap().pending_auth_events.is_empty());
}

#[test]
fn a_reset_password_must_be_replaced_before_anything_else() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "dan", Role::Clinician, "dan passphrase");
    let temporary = accounts::temporary_password().unwrap();
    let reset = accounts::reset_password(&mut admin, "dan", &temporary).unwrap();
    assert!(reset.must_change_password);
    admin.lock();
    assert!(matches!(
        login(&f.dir, "dan", "dan passphrase"),
        Err(Error::BadCredentials)
    ));

    let mut dan = login(&f.dir, "dan", &temporary).unwrap();
    assert!(dan.actor().must_change_password);
    assert_eq!(
        dan.permitted(),
        [
            Action::SessionOpen,
            Action::VaultInfo,
            Action::StaffSetOwnPassword
        ]
    );
    let refused = patients::search(&mut dan, "anyone", 10);
    assert!(
        matches!(refused, Err(Error::PasswordChangeRequired(ref who)) if who == "dan"),
        "{refused:?}"
    );
    assert_eq!(refused.unwrap_err().class(), ErrorClass::Refused);

    vault::change_own_password(&mut dan, &temporary, "dan chose this one").unwrap();
    assert!(!dan.actor().must_change_password);
    assert!(patients::search(&mut dan, "anyone", 10).is_ok());
    dan.lock();
    let dan = login(&f.dir, "dan", "dan chose this one").unwrap();
    assert!(!dan.actor().must_change_password);
}

#[test]
fn someone_at_an_unlocked_screen_cannot_change_the_password_without_the_current_one() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    let wrong = vault::change_own_password(&mut admin, "a guess at it", "taken over now");
    assert!(
        matches!(
            wrong,
            Err(Error::Invalid {
                field: "current password",
                ..
            })
        ),
        "{wrong:?}"
    );
    // The guess counts towards the lock-out like a wrong sign-in.
    let header = Header::read(&f.dir.join("header.json")).unwrap();
    let slot_id = tessera_core::store::keyslot::password_slot_id(&header.vault_id, "ana");
    assert_eq!(header.slot(&slot_id).unwrap().failed_attempts, 1);
    admin.lock();
    assert!(login(&f.dir, "ana", "taken over now").is_err());
    assert!(login(&f.dir, "ana", ADMIN_PW).is_ok());
}

#[test]
fn an_admin_cannot_reset_their_own_password_and_a_clinician_none() {
    let f = fixture();
    let mut admin = login(&f.dir, "ana", ADMIN_PW).unwrap();
    add_user(&mut admin, "dan", Role::Clinician, "dan passphrase");
    add_user(&mut admin, "eve", Role::Clinician, "eve passphrase");
    assert!(matches!(
        accounts::reset_password(&mut admin, "ana", "another passphrase"),
        Err(Error::Invalid { .. })
    ));
    admin.lock();
    let mut dan = login(&f.dir, "dan", "dan passphrase").unwrap();
    assert!(matches!(
        accounts::reset_password(&mut dan, "eve", "taken over now"),
        Err(Error::Denied { .. })
    ));
    dan.lock();
    assert!(login(&f.dir, "eve", "eve passphrase").is_ok());
}
