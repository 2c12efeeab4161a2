//! Backups on real vaults: round trip, incremental chains, every refusal, restore in place,
//! pruning and the schedule.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use age::secrecy::SecretString;
use common::{ADMIN_PW, Vault};
use image::{ImageEncoder, RgbImage};
use rusqlite::Connection;
use tessera_core::archive::{Decryption, Encryption};
use tessera_core::backup::{self, BackupSchedule, CreateOptions, RestoreOptions, Trigger};
use tessera_core::erasure::{self, ErasureMode};
use tessera_core::media::{self, ImportOptions, ImportSource, Privacy};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Profile};
use tessera_core::policy::Role;
use tessera_core::vault::Credentials;
use tessera_core::{Error, ErrorClass, Session, audit};

const ADMIN: Credentials<'static> = Credentials::Password {
    username: "ana",
    password: ADMIN_PW,
};

fn jpeg(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([x as u8 ^ seed, y as u8, seed.wrapping_mul(7)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// Adds a patient with a narrative and `photos` photos; returns the patient's id.
fn populate(session: &mut Session, given: &str, photos: u8) -> String {
    let id = patients::create(
        session,
        Profile::named(given, "Okafor"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap()
    .id;
    narratives::add(
        session,
        &id,
        NewNarrative {
            body: format!("{given} walked to the market today."),
            title: None,
            photo_id: None,
            author_type: None,
            private: false,
        },
    )
    .unwrap();
    for seed in 0..photos {
        let options = ImportOptions {
            privacy: Privacy::Staff,
            caption: None,
        };
        let source = ImportSource {
            name: Some("p.jpg".into()),
            bytes: jpeg(seed.wrapping_add(given.len() as u8 * 31)),
        };
        media::import(session, &id, source, &options).unwrap();
    }
    id
}

struct Keys {
    encryption: Encryption,
    decryption: Decryption,
}

fn x25519() -> Keys {
    let identity = age::x25519::Identity::generate();
    Keys {
        encryption: Encryption::Recipients(vec![identity.to_public()]),
        decryption: Decryption::Identities(vec![Box::new(identity)]),
    }
}

fn backup_to(
    session: &mut Session,
    dest: &Path,
    encryption: Encryption,
    full: bool,
) -> backup::BackupRecord {
    fs::create_dir_all(dest).unwrap();
    let options = CreateOptions {
        destination: dest.to_path_buf(),
        encryption,
        full,
        trigger: Trigger::Manual,
    };
    backup::create(session, &options, &mut |_| {}, &AtomicBool::new(false)).unwrap()
}

/// The plain tar inside a backup made to `keys`' age key, as the standard tools read it.
fn decrypted(file: &Path, keys: &Keys) -> impl std::io::Read + use<> {
    let Decryption::Identities(ids) = &keys.decryption else {
        unreachable!()
    };
    age::Decryptor::new(fs::File::open(file).unwrap())
        .unwrap()
        .decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .unwrap()
}

fn encryption_of(keys: &Keys) -> Encryption {
    match &keys.encryption {
        Encryption::Recipients(r) => Encryption::Recipients(r.clone()),
        Encryption::Passphrase(p) => Encryption::Passphrase(p.clone()),
    }
}

/// Every row of every table, as text, by table.
fn dump(conn: &Connection) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = BTreeMap::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
            .unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut row = String::new();
                for i in 0..columns {
                    row.push_str(&format!("{:?}|", r.get_ref(i)?));
                }
                Ok(row)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.insert(table, rows);
    }
    out
}

/// Every file under `dir/media`, by relative path.
fn blobs(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let root = dir.join("media");
    let mut pending = vec![root.clone()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            } else {
                out.insert(
                    entry.path().strip_prefix(&root).unwrap().to_path_buf(),
                    fs::read(entry.path()).unwrap(),
                );
            }
        }
    }
    out
}

/// Every file of a vault directory, by name (the lock files excepted: they are empty).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = blobs(dir);
    for entry in fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_file() {
            out.insert(entry.file_name().into(), fs::read(entry.path()).unwrap());
        }
    }
    out
}

fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "age"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn a_populated_vault_round_trips_table_by_table_and_blob_by_blob() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("drive");
    let record = {
        let mut admin = vault.admin();
        populate(&mut admin, "Amara", 3);
        populate(&mut admin, "Bayo", 2);
        backup_to(&mut admin, &dest, encryption_of(&keys), false)
    };
    assert_eq!(record.status, "ok");
    assert_eq!(record.kind, "full");
    assert_eq!(
        record.blobs_stored, 10,
        "5 photos: an original and a thumbnail each"
    );
    let file = PathBuf::from(record.file.clone().unwrap());
    assert_eq!(file, only_file(&dest));

    let target = out.path().join("restored");
    let options = RestoreOptions {
        file: file.clone(),
        target: target.clone(),
        dry_run: false,
        override_reason: None,
    };
    let report = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert!(!report.replaces_vault);
    assert_eq!(report.backup.blobs, 10);

    let original = dump(&vault.raw());
    let restored_vault = Vault::at(&target);
    let restored = dump(&restored_vault.raw());
    let head = report.backup.audit_head.count as usize;
    for (table, rows) in &original {
        match table.as_str() {
            // The backup's own history row is written after its snapshot.
            "backups" | "backup_blobs" => assert_eq!(restored[table].len(), 0, "{table}"),
            // The restored vault goes on with its own entries (the restore itself).
            "audit_log" => assert_eq!(&restored[table][..head], &rows[..head]),
            _ => assert_eq!(&restored[table], rows, "table {table}"),
        }
    }
    assert_eq!(blobs(&target), blobs(&vault.dir));

    let mut session = restored_vault.admin();
    let verified = audit::verify(&mut session).unwrap();
    assert!(verified.ok, "{verified:?}");
    let restore_entry = audit::list(
        &mut session,
        &audit::AuditFilter {
            action: Some("backup.restore".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(restore_entry.len(), 1);
    // A restored photo opens.
    let patient = patients::search(&mut session, "Amara", 10).unwrap()[0]
        .id
        .clone();
    let photo = &media::list(
        &mut session,
        &patient,
        tessera_core::listing::Listing::Current,
    )
    .unwrap()[0];
    assert!(
        !media::thumbnail(&mut session, &photo.id)
            .unwrap()
            .bytes
            .is_empty()
    );
}

#[test]
fn the_plain_tar_inside_lists_every_member_in_its_manifest() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let record = {
        let mut admin = vault.admin();
        populate(&mut admin, "Chidi", 1);
        backup_to(&mut admin, out.path(), encryption_of(&keys), false)
    };
    let mut archive = tar::Archive::new(decrypted(Path::new(&record.file.unwrap()), &keys));
    let mut names = Vec::new();
    let mut manifest = None;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        if name == "manifest.json" {
            manifest = Some(serde_json::from_reader::<_, serde_json::Value>(&mut entry).unwrap());
        } else {
            names.push(name);
        }
    }
    let manifest = manifest.unwrap();
    let listed: Vec<String> = manifest["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, names);
    assert_eq!(&names[..3], ["backup.json", "header.json", "vault.db"]);
    assert_eq!(names.len(), 3 + 2);
    assert!(manifest["row_counts"]["patients"].as_u64() == Some(1));
    assert!(manifest["audit_head"]["count"].as_u64().unwrap() > 0);
}

#[test]
fn incremental_backups_refer_to_earlier_files_and_restore_as_a_chain() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("drive");
    let mut admin = vault.admin();
    populate(&mut admin, "Dayo", 2);
    let first = backup_to(&mut admin, &dest, encryption_of(&keys), false);
    populate(&mut admin, "Efe", 1);
    let second = backup_to(&mut admin, &dest, encryption_of(&keys), false);
    assert_eq!(second.kind, "incremental");
    assert_eq!(second.blobs_referred, 4);
    assert_eq!(second.blobs_stored, 2);
    assert_eq!(second.depends_on, vec![first.id.clone()]);
    let forced = backup_to(&mut admin, &dest, encryption_of(&keys), true);
    assert_eq!((forced.kind.as_str(), forced.blobs_stored), ("full", 6));
    drop(admin);

    let second_file = PathBuf::from(second.file.unwrap());
    let report = backup::verify(&second_file, &keys.decryption, &ADMIN, None).unwrap();
    assert_eq!(report.blobs, 6);
    assert_eq!(report.chain, vec![first.file_name.clone().unwrap()]);

    let target = out.path().join("restored");
    let options = RestoreOptions {
        file: second_file.clone(),
        target: target.clone(),
        dry_run: false,
        override_reason: None,
    };
    backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert_eq!(blobs(&target), blobs(&vault.dir));

    // Without the file it refers to, the chain is refused, naming what is missing.
    fs::remove_file(first.file.unwrap()).unwrap();
    let err = backup::verify(&second_file, &keys.decryption, &ADMIN, None).unwrap_err();
    assert!(matches!(err, Error::BackupDamaged { .. }), "{err}");
    assert!(err.to_string().contains(&first.file_name.unwrap()), "{err}");
    // The next backup to that destination no longer counts on the missing file.
    let mut admin = vault.admin();
    let next = backup_to(&mut admin, &dest, encryption_of(&keys), false);
    assert_eq!(next.depends_on, vec![forced.id]);
}

/// Copies a backup with one change applied, for the refusal tests.
fn altered(file: &Path, name: &str, change: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = fs::read(file).unwrap();
    change(&mut bytes);
    let path = file.with_file_name(name);
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn damaged_truncated_wrong_key_and_foreign_backups_are_refused_and_the_vault_is_untouched() {
    let vault = Vault::new();
    let passphrase = SecretString::from("correct horse battery staple".to_owned());
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("drive");
    let record = {
        let mut admin = vault.admin();
        populate(&mut admin, "Folake", 2);
        backup_to(
            &mut admin,
            &dest,
            Encryption::Passphrase(passphrase.clone()),
            false,
        )
    };
    let file = PathBuf::from(record.file.unwrap());
    let size = fs::metadata(&file).unwrap().len() as usize;
    let before = files(&vault.dir);
    let right = Decryption::Passphrase(passphrase.clone());
    let restore = |file: &Path, key: &Decryption| {
        let options = RestoreOptions {
            file: file.to_path_buf(),
            target: vault.dir.clone(),
            dry_run: false,
            override_reason: None,
        };
        backup::restore(&options, key, &ADMIN).unwrap_err()
    };

    // A flipped byte in the middle of the payload: the chunk fails, the member is named.
    let flipped = altered(&file, "flipped.age", |b| b[size / 2] ^= 0x01);
    let err = restore(&flipped, &right);
    assert_eq!(err.class(), ErrorClass::Integrity, "{err}");
    assert!(
        err.to_string().contains("damaged") && err.to_string().contains("member"),
        "{err}"
    );

    // A flipped byte in the encryption header.
    let header_flip = altered(&file, "header.age", |b| b[40] ^= 0x01);
    let err = restore(&header_flip, &right);
    assert!(
        matches!(err, Error::BackupDamaged { .. } | Error::BackupWrongKey(_)),
        "{err}"
    );

    // Cut off: the end of the stream is missing.
    let truncated = altered(&file, "truncated.age", |b| b.truncate(size - 100));
    let err = restore(&truncated, &right);
    assert_eq!(err.class(), ErrorClass::Integrity, "{err}");
    assert!(
        err.to_string().contains("cut off") || err.to_string().contains("damaged"),
        "{err}"
    );

    // The wrong passphrase.
    let wrong = Decryption::Passphrase(SecretString::from("wrong horse battery staple".to_owned()));
    let err = restore(&file, &wrong);
    assert!(matches!(err, Error::BackupWrongKey(_)), "{err}");
    assert_eq!(err.class(), ErrorClass::Refused);

    // Not an age file at all.
    let junk = altered(&file, "junk.age", |b| *b = b"hello, not a backup".to_vec());
    let err = restore(&junk, &right);
    assert!(matches!(err, Error::BackupUnsupported(_)), "{err}");

    // A backup of another vault.
    let other = Vault::new();
    let other_record = {
        let mut admin = other.admin();
        backup_to(
            &mut admin,
            &out.path().join("other"),
            Encryption::Passphrase(passphrase.clone()),
            false,
        )
    };
    let err = restore(Path::new(&other_record.file.unwrap()), &right);
    assert!(matches!(err, Error::BackupForeign { .. }), "{err}");
    assert!(err.to_string().contains("another vault"), "{err}");

    assert_eq!(files(&vault.dir), before, "the live vault changed");
    let leftovers: Vec<_> = fs::read_dir(vault.dir.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".tessera-restoring")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn restoring_over_the_same_vault_reports_first_then_swaps_and_keeps_the_old_one() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let file = {
        let mut admin = vault.admin();
        populate(&mut admin, "Gozie", 1);
        let record = backup_to(&mut admin, out.path(), encryption_of(&keys), false);
        populate(&mut admin, "Hauwa", 0);
        PathBuf::from(record.file.unwrap())
    };
    let before = files(&vault.dir);
    let mut options = RestoreOptions {
        file,
        target: vault.dir.clone(),
        dry_run: true,
        override_reason: None,
    };
    let dry = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert!(dry.replaces_vault && dry.dry_run);
    let patients_diff = dry
        .differences
        .iter()
        .find(|d| d.table == "patients")
        .unwrap();
    assert_eq!((patients_diff.in_backup, patients_diff.current), (1, 2));
    assert!(dry.current_audit_entries.unwrap() > dry.backup.audit_head.count);
    let after = files(&vault.dir);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &before {
        assert!(
            after[name] == *bytes,
            "a dry run changed {}",
            name.display()
        );
    }

    // Refused while a session has the vault open.
    let session = vault.admin();
    options.dry_run = false;
    let err = backup::restore(&options, &keys.decryption, &ADMIN).unwrap_err();
    assert!(matches!(err, Error::VaultInUse), "{err}");
    drop(session);

    let report = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    let previous = PathBuf::from(report.previous_vault.unwrap());
    assert!(previous.join("vault.db").exists());
    let mut restored = vault.admin();
    assert_eq!(
        patients::search(&mut restored, "Hauwa", 10).unwrap().len(),
        0
    );
    assert_eq!(
        patients::search(&mut restored, "Gozie", 10).unwrap().len(),
        1
    );
    let old = Vault::at(&previous);
    let mut old_session = old.admin();
    assert_eq!(
        patients::search(&mut old_session, "Hauwa", 10)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_clinician_cannot_back_up_the_whole_vault_to_a_folder_of_their_choice() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let stick = out.path().join("their stick");
    fs::create_dir(&stick).unwrap();
    let configured = out.path().join("configured");
    fs::create_dir(&configured).unwrap();
    let to_their_stick = CreateOptions {
        destination: stick.clone(),
        encryption: Encryption::Passphrase("one they chose themselves".into()),
        full: false,
        trigger: Trigger::Manual,
    };
    for (name, role) in [("desk", Role::FrontDesk), ("cleo", Role::Clinician)] {
        let mut user = vault.staff(name, role);
        let err = backup::create(
            &mut user,
            &to_their_stick,
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Denied { .. }), "{name}: {err}");
        // Nothing configured yet: "back up now" has nowhere to go.
        let err = backup::run_now(&mut user, &mut |_, _| {}, &AtomicBool::new(false)).unwrap_err();
        assert!(
            matches!(err, Error::Denied { .. } | Error::Invalid { .. }),
            "{name}: {err}"
        );
    }
    assert_eq!(fs::read_dir(&stick).unwrap().count(), 0);

    // An admin configures a folder and a public key; the clinician may then back up now,
    // only there and only to that key, and the desk still may not.
    let mut admin = vault.admin();
    let Encryption::Recipients(public) = &keys.encryption else {
        unreachable!()
    };
    let keys_public = public[0].to_string();
    backup::set_schedule(
        &mut admin,
        BackupSchedule {
            destinations: vec![configured.display().to_string()],
            recipient: Some(keys_public),
            ..BackupSchedule::default()
        },
    )
    .unwrap();
    drop(admin);
    let mut desk = common::login(&vault.dir, "desk", common::STAFF_PW);
    let err = backup::run_now(&mut desk, &mut |_, _| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err}");
    drop(desk);
    let mut clinician = common::login(&vault.dir, "cleo", common::STAFF_PW);
    let runs = backup::run_now(&mut clinician, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(runs.len(), 1);
    let record = runs[0].backup.clone().unwrap();
    assert_eq!(record.trigger, "manual");
    assert_eq!(record.encryption, "recipient");
    drop(clinician);
    let file = PathBuf::from(record.file.unwrap());
    assert!(file.starts_with(configured.canonicalize().unwrap()));
    // Only the private key the vault never held opens it.
    let cleo = Credentials::Password {
        username: "cleo",
        password: common::STAFF_PW,
    };
    let by_passphrase = Decryption::Passphrase("one they chose themselves".into());
    let err = backup::verify(&file, &by_passphrase, &cleo, None).unwrap_err();
    assert!(!matches!(err, Error::BadCredentials), "{err}");
    backup::verify(&file, &keys.decryption, &cleo, None).unwrap();
    let restore = RestoreOptions {
        file,
        target: out.path().join("restored"),
        dry_run: false,
        override_reason: None,
    };
    let err = backup::restore(&restore, &keys.decryption, &cleo).unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err}");
    assert!(!out.path().join("restored").exists());
    let bad = Credentials::Password {
        username: "cleo",
        password: "not the password",
    };
    let err =
        backup::verify(&PathBuf::from(&restore.file), &keys.decryption, &bad, None).unwrap_err();
    assert!(matches!(err, Error::BadCredentials), "{err}");
}

#[test]
fn the_vault_holds_no_secret_that_opens_its_backups() {
    let vault = Vault::new();
    let out = tempfile::tempdir().unwrap();
    let mut admin = vault.admin();
    let schedule = BackupSchedule {
        enabled: true,
        destinations: vec![out.path().display().to_string()],
        ..BackupSchedule::default()
    };
    let err = backup::set_schedule(&mut admin, schedule.clone()).unwrap_err();
    assert!(err.to_string().contains("public key"), "{err}");
    let identity = age::x25519::Identity::generate();
    backup::set_schedule(
        &mut admin,
        BackupSchedule {
            recipient: Some(identity.to_public().to_string()),
            ..schedule
        },
    )
    .unwrap();
    let runs = backup::run_due(&mut admin, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    let file = runs[0].backup.as_ref().unwrap().file.clone().unwrap();
    // Everything the vault's database holds about its backups: none of it decrypts one.
    drop(admin);
    let meta: Vec<String> = vault
        .raw()
        .prepare("SELECT value FROM vault_meta")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for value in meta {
        let err = backup::verify(
            Path::new(&file),
            &Decryption::Passphrase(value.clone().into()),
            &ADMIN,
            None,
        )
        .unwrap_err();
        assert!(!matches!(err, Error::BadCredentials), "{value}: {err}");
    }
    let identity = Decryption::Identities(vec![Box::new(identity)]);
    backup::verify(Path::new(&file), &identity, &ADMIN, None).unwrap();
}

#[test]
fn pruning_keeps_the_newest_and_what_they_depend_on() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let mut admin = vault.admin();
    populate(&mut admin, "Ify", 1);
    let full = backup_to(&mut admin, out.path(), encryption_of(&keys), false);
    let mut incrementals = Vec::new();
    for n in 0..3 {
        populate(&mut admin, &format!("Jide{n}"), 0);
        incrementals.push(backup_to(
            &mut admin,
            out.path(),
            encryption_of(&keys),
            false,
        ));
    }
    assert!(
        incrementals
            .iter()
            .all(|r| r.depends_on == vec![full.id.clone()])
    );
    let dry = backup::prune(&mut admin, out.path(), 1, 0, true).unwrap();
    let removed: Vec<&str> = dry.removed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        removed,
        [incrementals[0].id.as_str(), incrementals[1].id.as_str()]
    );
    let real = backup::prune(&mut admin, out.path(), 1, 0, false).unwrap();
    assert_eq!(real.removed, dry.removed);
    assert!(!Path::new(incrementals[0].file.as_ref().unwrap()).exists());
    assert!(Path::new(full.file.as_ref().unwrap()).exists());
    let statuses: Vec<String> = backup::list(&mut admin)
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, ["ok", "pruned", "pruned", "ok"]);
    // What remains still restores.
    drop(admin);
    let file = PathBuf::from(incrementals[2].file.clone().unwrap());
    backup::verify(&file, &keys.decryption, &ADMIN, None).unwrap();
}

#[test]
fn the_schedule_backs_up_when_due_records_failures_and_warns_when_stale() {
    let vault = Vault::new();
    let out = tempfile::tempdir().unwrap();
    let drive = out.path().join("drive");
    fs::create_dir(&drive).unwrap();
    let unplugged = out.path().join("unplugged");
    let mut admin = vault.admin();
    let status = backup::status(&mut admin).unwrap();
    assert!(status.overdue && status.last_ok.is_none());

    let mut schedule = BackupSchedule {
        enabled: true,
        destinations: vec![drive.display().to_string(), unplugged.display().to_string()],
        ..BackupSchedule::default()
    };
    schedule.recipient = Some(age::x25519::Identity::generate().to_public().to_string());
    let saved = backup::set_schedule(&mut admin, schedule).unwrap();
    assert_eq!(backup::schedule(&mut admin).unwrap(), saved);

    let runs = backup::run_due(&mut admin, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0].backup.is_some(), "{:?}", runs[0]);
    assert!(
        runs[1].error.as_ref().unwrap().contains("not available"),
        "{:?}",
        runs[1]
    );
    // Nothing is due again straight away, not even the failed destination.
    assert!(
        backup::run_due(&mut admin, &mut |_, _| {}, &AtomicBool::new(false))
            .unwrap()
            .is_empty()
    );
    let status = backup::status(&mut admin).unwrap();
    assert!(!status.overdue);
    assert_eq!(status.last_attempt.unwrap().status, "failed");
    let history = backup::list(&mut admin).unwrap();
    assert_eq!(
        history.iter().filter(|r| r.trigger == "scheduled").count(),
        2
    );
    drop(admin);

    // Front desk sessions never run it.
    let mut desk = vault.staff("desk", Role::FrontDesk);
    assert!(
        backup::run_due(&mut desk, &mut |_, _| {}, &AtomicBool::new(false))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_cancelled_backup_leaves_no_file_and_is_recorded_as_failed() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let mut admin = vault.admin();
    populate(&mut admin, "Kemi", 2);
    let options = CreateOptions {
        destination: out.path().to_path_buf(),
        encryption: encryption_of(&keys),
        full: false,
        trigger: Trigger::Manual,
    };
    let cancel = AtomicBool::new(false);
    let err = backup::create(
        &mut admin,
        &options,
        &mut |p| {
            if p.done_bytes > 0 {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
    let history = backup::list(&mut admin).unwrap();
    assert_eq!(history[0].status, "failed");
    assert_eq!(history[0].error.as_deref(), Some("cancelled"));
    let leftovers = fs::read_dir(&vault.dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".snapshot"))
        .count();
    assert_eq!(leftovers, 0);
}

/// How many copies of the database a backup has beside `vault.db` right now.
fn database_copies(vault_dir: &Path) -> usize {
    fs::read_dir(vault_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".snapshot-"))
        .count()
}

/// Backs up while `during` runs (at the first progress report: the snapshot is taken, the
/// database not yet read); returns the file and whether the database was copied for it.
fn backup_while(
    session: &mut Session,
    vault_dir: &Path,
    dest: &Path,
    keys: &Keys,
    during: impl FnOnce(),
) -> (PathBuf, bool) {
    fs::create_dir_all(dest).unwrap();
    let options = CreateOptions {
        destination: dest.to_path_buf(),
        encryption: encryption_of(keys),
        full: true,
        trigger: Trigger::Manual,
    };
    let mut during = Some(during);
    let mut copied = false;
    let record = backup::create(
        session,
        &options,
        &mut |_| {
            if let Some(during) = during.take() {
                copied = database_copies(vault_dir) > 0;
                during();
            }
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(database_copies(vault_dir), 0);
    (PathBuf::from(record.file.unwrap()), copied)
}

fn restore_into(file: &Path, target: &Path, keys: &Keys) -> BTreeMap<String, Vec<String>> {
    let options = RestoreOptions {
        file: file.to_path_buf(),
        target: target.to_path_buf(),
        dry_run: false,
        override_reason: None,
    };
    backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    dump(&Vault::at(target).raw())
}

#[test]
fn a_backup_holds_the_vault_as_it_began_while_others_write_and_checkpoint() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let mut admin = vault.admin();
    populate(&mut admin, "Amara", 1);
    let before = dump(&vault.raw());
    let mut other = vault.admin();
    let checkpointer = vault.raw();
    checkpointer.busy_timeout(Duration::ZERO).unwrap();
    let (file, copied) = backup_while(&mut admin, &vault.dir, &out.path().join("d"), &keys, || {
        for i in 0..40 {
            patients::create(
                &mut other,
                Profile::named(&format!("Late{i}"), "Writer"),
                patients::Registration::CheckDuplicates,
            )
            .unwrap();
        }
        // Were vault.db not pinned, this would move the new pages into it mid-backup.
        checkpointer
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    });
    assert!(!copied, "the live file is read, not a copy");
    let restored = restore_into(&file, &out.path().join("restored"), &keys);
    assert_eq!(restored["patients"], before["patients"]);
    assert_eq!(
        dump(&vault.raw())["patients"].len(),
        before["patients"].len() + 40
    );
}

#[test]
fn a_reader_holding_the_log_makes_the_backup_copy_the_database() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let mut admin = vault.admin();
    populate(&mut admin, "Bayo", 1);
    patients::create(
        &mut admin,
        Profile::named("Chidi", "Eze"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    // Another process reading pages still in the WAL: it cannot be emptied.
    let reader = vault.raw();
    reader.execute_batch("BEGIN").unwrap();
    let before = dump(&reader);
    let (file, copied) = backup_while(&mut admin, &vault.dir, &out.path().join("d"), &keys, || {
        populate(&mut vault.admin(), "Late", 0);
    });
    assert!(copied, "a copy is made with SQLite's backup API");
    reader.execute_batch("COMMIT").unwrap();
    let restored = restore_into(&file, &out.path().join("restored"), &keys);
    assert_eq!(restored["patients"], before["patients"]);
    assert_eq!(restored["narratives"], before["narratives"]);
}

#[test]
fn a_short_passphrase_is_refused_before_anything_is_written() {
    let vault = Vault::new();
    let out = tempfile::tempdir().unwrap();
    let mut admin = vault.admin();
    let options = CreateOptions {
        destination: out.path().to_path_buf(),
        encryption: Encryption::Passphrase(SecretString::from("eleven char".to_owned())),
        full: false,
        trigger: Trigger::Manual,
    };
    let err =
        backup::create(&mut admin, &options, &mut |_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if *field == "passphrase"),
        "{err}"
    );
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
    assert!(backup::list(&mut admin).unwrap().is_empty());
}

/// Rewrites a backup's tar with the member `name` replaced by `header` (and `data`),
/// encrypted again to the same age key: what someone handing over a crafted file can make.
fn recrafted(
    file: &Path,
    keys: &Keys,
    name: &str,
    mut header: tar::Header,
    data: &[u8],
) -> PathBuf {
    let Encryption::Recipients(recipients) = &keys.encryption else {
        unreachable!()
    };
    let mut archive = tar::Archive::new(decrypted(file, keys));
    let mut builder = tar::Builder::new(Vec::new());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        if path == name {
            builder.append_data(&mut header, &path, data).unwrap();
        } else {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
            let mut h = entry.header().clone();
            builder
                .append_data(&mut h, &path, bytes.as_slice())
                .unwrap();
        }
    }
    let tar = builder.into_inner().unwrap();
    let out = file.with_file_name(format!("crafted-{}.age", name.replace('/', "_")));
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .unwrap();
    let mut writer = encryptor
        .wrap_output(fs::File::create(&out).unwrap())
        .unwrap();
    std::io::Write::write_all(&mut writer, &tar).unwrap();
    writer.finish().unwrap();
    out
}

/// A crafted backup whose members are links or sparse files (a few bytes that the reader
/// would expand to what the header claims) is refused before anything is written.
#[test]
fn a_backup_with_a_link_or_sparse_member_is_refused_and_cannot_fill_the_disk() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let record = {
        let mut admin = vault.admin();
        populate(&mut admin, "Baraka", 0);
        backup_to(&mut admin, out.path(), encryption_of(&keys), false)
    };
    let file = PathBuf::from(record.file.unwrap());

    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_link_name("/etc/passwd").unwrap();
    link.set_size(0);
    let mut sparse = tar::Header::new_gnu();
    sparse.set_entry_type(tar::EntryType::GNUSparse);
    sparse.set_size(512);
    // A well-formed sparse member: 512 stored bytes at the end of a 1 TiB file.
    let gnu = sparse.as_gnu_mut().unwrap();
    gnu.set_real_size(1 << 40);
    gnu.sparse[0].set_offset((1 << 40) - 512);
    gnu.sparse[0].set_length(512);
    for (name, header, data) in [
        ("header.json", link, &[][..]),
        ("vault.db", sparse, &[0u8; 512][..]),
    ] {
        let crafted = recrafted(&file, &keys, name, header, data);
        let target = out.path().join(format!("restored-{name}"));
        let options = RestoreOptions {
            file: crafted.clone(),
            target: target.clone(),
            dry_run: false,
            override_reason: None,
        };
        let err = backup::restore(&options, &keys.decryption, &ADMIN).unwrap_err();
        assert_eq!(err.class(), ErrorClass::Integrity, "{name}: {err}");
        assert!(
            err.to_string().contains("not a regular file"),
            "{name}: {err}"
        );
        assert!(!target.exists(), "{name}: nothing is restored");
        let err = backup::verify(&crafted, &keys.decryption, &ADMIN, None).unwrap_err();
        assert_eq!(err.class(), ErrorClass::Integrity, "{name}: {err}");
    }
}

/// A crafted backup whose tar is cut inside a member, or has a member header that is not
/// tar, under an age layer that is whole (made by someone holding the key, or by a broken
/// writer): reported as a damaged backup naming the member, never as a disk that cannot be
/// read. Found by the `backup` fuzz target.
#[test]
fn a_backup_whose_tar_is_cut_or_malformed_under_whole_encryption_is_damaged_not_unreadable() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let record = {
        let mut admin = vault.admin();
        populate(&mut admin, "Baraka", 1);
        backup_to(&mut admin, out.path(), encryption_of(&keys), false)
    };
    let file = PathBuf::from(record.file.unwrap());
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut decrypted(&file, &keys), &mut tar).unwrap();

    // Ends halfway through, inside vault.db, the bulk of the file.
    let cut = tar[..tar.len() / 2].to_vec();
    // The first member's size field is not a number (its checksum still right).
    let mut malformed = tar.clone();
    let mut header = tar::Header::new_old();
    header.as_mut_bytes().copy_from_slice(&malformed[..512]);
    header.as_mut_bytes()[124..136].copy_from_slice(b"not a size!\0");
    header.set_cksum();
    malformed[..512].copy_from_slice(header.as_bytes());

    let Encryption::Recipients(recipients) = &keys.encryption else {
        unreachable!()
    };
    for (name, plain) in [("cut", cut), ("malformed", malformed)] {
        let crafted = out.path().join(format!("crafted-{name}.age"));
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .unwrap();
        let mut writer = encryptor
            .wrap_output(fs::File::create(&crafted).unwrap())
            .unwrap();
        std::io::Write::write_all(&mut writer, &plain).unwrap();
        writer.finish().unwrap();

        let err = backup::verify(&crafted, &keys.decryption, &ADMIN, None).unwrap_err();
        assert!(
            matches!(err, Error::BackupDamaged { .. }),
            "{name}: {err:?}"
        );
        assert_eq!(err.class(), ErrorClass::Integrity, "{name}: {err}");
        assert!(err.to_string().contains("in member"), "{name}: {err}");
    }
}

/// A restore keeps the vault it replaced beside the restored one, and that copy holds
/// patients erased since the backup: an unlock removes it once it is older than 30 days,
/// and records that it did.
#[test]
fn a_replaced_vault_is_removed_after_thirty_days_and_not_before() {
    let vault = Vault::new();
    let name = vault
        .dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let old = vault
        .dir
        .with_file_name(format!("{name}.previous-20200101T000000000Z"));
    let today = tessera_core::clock::file_stamp(tessera_core::clock::now_ms());
    let recent = vault.dir.with_file_name(format!("{name}.previous-{today}"));
    let unrelated = vault
        .dir
        .with_file_name("other.previous-20200101T000000000Z");
    for dir in [&old, &recent, &unrelated] {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("vault.db"), b"an old vault").unwrap();
    }

    let mut admin = vault.admin();
    assert!(!old.exists(), "a vault replaced years ago is removed");
    assert!(recent.exists(), "one replaced today is kept");
    assert!(
        unrelated.exists(),
        "another vault's copy is not this vault's to remove"
    );
    let entries = audit::list(
        &mut admin,
        &tessera_core::audit::AuditFilter {
            action: Some("vault.replaced_removed".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(entries.len(), 1);
}

/// A signed-in user holding a backup of the vault tries a colleague's password against it
/// (in the app, through the restore dialog at the locked screen, or `tessera backup verify
/// --user`): each wrong try counts on the colleague's live account as a sign-in would, the
/// sixth is refused for the lock-out even with the right password, and the audit log says
/// the guesses came through a backup.
#[test]
fn guessing_a_colleagues_password_through_a_backup_of_the_live_vault_is_locked_out_and_audited() {
    let vault = Vault::new();
    drop(vault.staff("cleo", Role::Clinician));
    let keys = x25519();
    let dest = vault.dir.with_file_name("usb");
    let record = backup_to(&mut vault.admin(), &dest, encryption_of(&keys), true);
    let file = PathBuf::from(record.file.unwrap());
    let guess = Credentials::Password {
        username: "cleo",
        password: "is it summer2026",
    };
    for _ in 0..5 {
        let err = backup::verify(&file, &keys.decryption, &guess, Some(&vault.dir)).unwrap_err();
        assert!(matches!(err, Error::BadCredentials), "{err}");
    }
    let right = Credentials::Password {
        username: "cleo",
        password: common::STAFF_PW,
    };
    let err = backup::verify(&file, &keys.decryption, &right, Some(&vault.dir)).unwrap_err();
    assert!(matches!(err, Error::LockedOut { .. }), "{err}");
    // The same account, so the same lock-out at the sign-in, and through a restore.
    let err = tessera_core::vault::unlock(&vault.dir, &right).unwrap_err();
    assert!(matches!(err, Error::LockedOut { .. }), "{err}");
    let over_live = RestoreOptions {
        file: file.clone(),
        target: vault.dir.clone(),
        dry_run: true,
        override_reason: None,
    };
    let err = backup::restore(&over_live, &keys.decryption, &right).unwrap_err();
    assert!(matches!(err, Error::LockedOut { .. }), "{err}");
    // A backup checked with no live vault beside it has nothing to count against.
    backup::verify(&file, &keys.decryption, &right, None).unwrap();

    let mut admin = vault.admin();
    let entries = audit::list(
        &mut admin,
        &audit::AuditFilter {
            action: Some("auth".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            vec!["auth.backup_password_failed"; 5],
            vec!["auth.login_refused_locked"; 3],
        ]
        .concat()
    );
}

/// Someone types wrong recovery keys, at the sign-in or against a backup, to lock the admins
/// out of recovery: the recovery key (256 random bits) is never locked, and each wrong key
/// is still audited.
#[test]
fn the_recovery_slot_cannot_be_locked_by_wrong_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let recovery = tessera_core::vault::create(
        &dir,
        &tessera_core::vault::NewVault {
            admin_username: "ana",
            admin_display_name: "Ana",
            admin_password: ADMIN_PW,
            kdf: tessera_core::crypto::Argon2Params::MINIMUM,
        },
    )
    .unwrap()
    .recovery_key;
    let keys = x25519();
    let record = backup_to(
        &mut common::login(&dir, "ana", ADMIN_PW),
        &tmp.path().join("usb"),
        encryption_of(&keys),
        true,
    );
    let file = PathBuf::from(record.file.unwrap());
    let wrong = tessera_core::store::recovery::RecoveryKey::generate().unwrap();
    for _ in 0..12 {
        let err = tessera_core::vault::unlock(&dir, &Credentials::Recovery(&wrong)).unwrap_err();
        assert!(matches!(err, Error::BadRecoveryKey), "{err}");
        let err = backup::verify(
            &file,
            &keys.decryption,
            &Credentials::Recovery(&wrong),
            Some(&dir),
        )
        .unwrap_err();
        assert!(matches!(err, Error::BadRecoveryKey), "{err}");
    }
    let mut rescue = tessera_core::vault::unlock(&dir, &Credentials::Recovery(&recovery)).unwrap();
    let failed = audit::list(
        &mut rescue,
        &audit::AuditFilter {
            action: Some("auth".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(failed.len(), 24);
}

/// Photo files in a vault's `media/`, by name.
fn media_files(vault_dir: &Path) -> Vec<PathBuf> {
    blobs(vault_dir).into_keys().collect()
}

#[test]
fn restore_of_an_older_backup_keeps_erased_patients_erased() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let (file, erased, anonymised) = {
        let mut admin = vault.admin();
        let erased = populate(&mut admin, "Ngozi", 2);
        let anonymised = populate(&mut admin, "Tunde", 0);
        populate(&mut admin, "Kept", 1);
        let record = backup_to(&mut admin, out.path(), encryption_of(&keys), false);
        erasure::erase(&mut admin, &erased, ErasureMode::Delete).unwrap();
        erasure::erase(&mut admin, &anonymised, ErasureMode::Anonymise).unwrap();
        (PathBuf::from(record.file.unwrap()), erased, anonymised)
    };
    let media_before = media_files(&vault.dir);
    let mut options = RestoreOptions {
        file,
        target: vault.dir.clone(),
        dry_run: true,
        override_reason: None,
    };
    let dry = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert_eq!((dry.erasures_reapplied, dry.erasures_unknown), (2, false));

    options.dry_run = false;
    let report = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert_eq!(
        (report.erasures_reapplied, report.erasures_unknown),
        (2, false)
    );
    let mut restored = vault.admin();
    for name in ["Ngozi", "Tunde", "Okafor Ngozi"] {
        let found = patients::search(&mut restored, name, 10).unwrap();
        assert!(
            found.is_empty(),
            "{name} found after the restore: {found:?}"
        );
    }
    assert_eq!(
        patients::search(&mut restored, "Kept", 10).unwrap().len(),
        1
    );
    assert!(patients::get(&mut restored, &erased).is_err());
    // The erased patient's photo files, which the backup brought back, are gone again.
    assert_eq!(media_files(&vault.dir), media_before);
    let verified = audit::verify(&mut restored).unwrap();
    assert!(verified.ok, "{verified:?}");
    let tombstones = audit::list(
        &mut restored,
        &audit::AuditFilter {
            action: Some("patient.erase".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let again: Vec<_> = tombstones
        .iter()
        .filter(|t| t.after.as_ref().unwrap()["by"] == "restore")
        .map(|t| t.resource_id.clone().unwrap())
        .collect();
    assert_eq!(again.len(), 2);
    assert!(again.contains(&erased) && again.contains(&anonymised));
    drop(restored);

    // Restoring the same backup again (over a vault that re-applied them) keeps them erased.
    let report = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert_eq!(report.erasures_reapplied, 2);
    let mut restored = vault.admin();
    assert!(
        patients::search(&mut restored, "Ngozi", 10)
            .unwrap()
            .is_empty()
    );
}

/// A backup made before the vault's key was replaced still restores over it without an
/// override, and what was erased since stays erased: the vault it replaces is read with its
/// own, new key.
#[test]
fn a_backup_from_before_a_rekey_restores_and_keeps_erased_patients_erased() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let (file, erased) = {
        let mut admin = vault.admin();
        let erased = populate(&mut admin, "Ngozi", 1);
        populate(&mut admin, "Kept", 1);
        let record = backup_to(&mut admin, out.path(), encryption_of(&keys), false);
        erasure::erase(&mut admin, &erased, ErasureMode::Delete).unwrap();
        tessera_core::vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(false)).unwrap();
        (PathBuf::from(record.file.unwrap()), erased)
    };
    let options = RestoreOptions {
        file,
        target: vault.dir.clone(),
        dry_run: false,
        override_reason: None,
    };
    let report = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert_eq!(
        (report.erasures_reapplied, report.erasures_unknown),
        (1, false)
    );
    assert!(report.current_audit_entries.is_some());
    let mut restored = vault.admin();
    assert!(patients::get(&mut restored, &erased).is_err());
    assert_eq!(
        patients::search(&mut restored, "Kept", 10).unwrap().len(),
        1
    );
    assert!(audit::verify(&mut restored).unwrap().ok);
}

/// Photo files held by backups made before a rekey are sealed under the old key: the next
/// backup to the same folder holds its own, and restores whole with no earlier file.
#[test]
fn the_first_backup_after_a_rekey_refers_to_no_photo_sealed_under_the_old_key() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let mut admin = vault.admin();
    populate(&mut admin, "Ngozi", 2);
    let before = backup_to(&mut admin, out.path(), encryption_of(&keys), true);
    tessera_core::vault::rekey(&mut admin, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let after = backup_to(&mut admin, out.path(), encryption_of(&keys), false);
    assert_eq!((after.blobs_stored, after.blobs_referred), (4, 0));
    drop(admin);
    fs::remove_file(before.file.unwrap()).unwrap();
    let target = out.path().join("restored");
    let options = RestoreOptions {
        file: PathBuf::from(after.file.unwrap()),
        target: target.clone(),
        dry_run: false,
        override_reason: None,
    };
    backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    let mut restored = common::login(&target, "ana", ADMIN_PW);
    let found = patients::search(&mut restored, "Ngozi", 5).unwrap();
    let photos = media::list(&mut restored, &found[0].id, Default::default()).unwrap();
    assert_eq!(photos.len(), 2);
    for photo in photos {
        media::open(&mut restored, &photo.id, media::Variant::Original).unwrap();
    }
}

#[test]
fn a_restore_over_an_unreadable_vault_needs_a_reason_and_records_it() {
    let vault = Vault::new();
    let keys = x25519();
    let out = tempfile::tempdir().unwrap();
    let file = {
        let mut admin = vault.admin();
        populate(&mut admin, "Chidi", 0);
        PathBuf::from(
            backup_to(&mut admin, out.path(), encryption_of(&keys), false)
                .file
                .unwrap(),
        )
    };
    // The first page damaged: nothing in the database can be read.
    let database = vault.dir.join("vault.db");
    let mut bytes = fs::read(&database).unwrap();
    for byte in &mut bytes[200..216] {
        *byte ^= 0x5a;
    }
    fs::write(&database, &bytes).unwrap();
    let mut options = RestoreOptions {
        file,
        target: vault.dir.clone(),
        dry_run: true,
        override_reason: None,
    };
    let dry = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert!(dry.erasures_unknown);
    options.dry_run = false;
    for reason in [None, Some("   ".to_owned())] {
        options.override_reason = reason;
        let err = backup::restore(&options, &keys.decryption, &ADMIN).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    field: "override_reason",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(fs::read(&database).unwrap(), bytes, "the vault was touched");
    }
    options.override_reason = Some("the laptop's disk failed; nobody was erased".into());
    let report = backup::restore(&options, &keys.decryption, &ADMIN).unwrap();
    assert!(report.erasures_unknown);
    let mut restored = vault.admin();
    let entry = &audit::list(
        &mut restored,
        &audit::AuditFilter {
            action: Some("backup.restore".into()),
            ..Default::default()
        },
    )
    .unwrap()[0];
    assert_eq!(
        entry.reason.as_deref(),
        Some("the laptop's disk failed; nobody was erased")
    );
    assert_eq!(entry.after.as_ref().unwrap()["erasures_unknown"], true);
}
