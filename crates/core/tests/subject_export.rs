//! Subject access export: one tar archive with the whole record and the photos, audited
//! with its SHA-256; admins only; nothing left behind on failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::Vault;
use image::{ImageEncoder, RgbImage};
use tessera_core::archive::{Encryption, SecretString};
use tessera_core::audit::{self, AuditFilter};
use tessera_core::encounters::{self, NewEncounter};
use tessera_core::media::{self, ImportOptions, ImportSource, Privacy, Variant};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Profile};
use tessera_core::policy::Role;
use tessera_core::subject_export::subject_export;
use tessera_core::{Error, crypto};

fn jpeg() -> Vec<u8> {
    let img = RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, 9]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), 40, 30, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

#[test]
fn the_archive_holds_the_whole_record_and_the_photos() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patients::create(
        &mut s,
        Profile::named("Maria", "Silva"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    encounters::add(
        &mut s,
        &p.id,
        NewEncounter {
            occurred_at: "2025-01-02".into(),
            reason: "cough".into(),
            ..NewEncounter::default()
        },
    )
    .unwrap();
    let n = narratives::add(
        &mut s,
        &p.id,
        NewNarrative {
            body: "first words".into(),
            ..NewNarrative::default()
        },
    )
    .unwrap();
    narratives::edit(&mut s, &n.id, "second words", None, n.revision).unwrap();
    let options = ImportOptions {
        privacy: Privacy::Private,
        caption: None,
    };
    let source = ImportSource {
        name: None,
        bytes: jpeg(),
    };
    let photo = media::import(&mut s, &p.id, source, &options)
        .unwrap()
        .photo;
    let original = media::open(&mut s, &photo.id, Variant::Original)
        .unwrap()
        .bytes;

    let out = v.dir.with_file_name("maria.tar");
    let export = subject_export(&mut s, &p.human_id, &out, None).unwrap();
    assert_eq!(
        (export.photos, export.patient_id.as_str()),
        (1, p.id.as_str())
    );
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(export.bytes, bytes.len() as u64);
    assert_eq!(export.sha256, data_encoding_hex(&crypto::sha256(&[&bytes])));

    let members = members_of(&bytes);
    let photo_member = format!("photos/{}.jpg", photo.id);
    assert_eq!(
        members.keys().cloned().collect::<Vec<_>>(),
        vec![
            "README.txt".into(),
            photo_member.clone(),
            "record.json".into()
        ]
    );
    assert_eq!(members[&photo_member], original.as_slice());
    let record: serde_json::Value = serde_json::from_slice(&members["record.json"]).unwrap();
    assert_eq!(record["patient"]["given_name"], "Maria");
    assert_eq!(record["encounters"][0]["reason"], "cough");
    assert_eq!(
        record["narratives"][0]["revisions"][0]["body"],
        "first words"
    );
    assert_eq!(record["narratives"][0]["body"], "second words");
    assert_eq!(record["photos"][0]["file"], photo_member.as_str());
    assert!(record["audit_trail"].as_array().unwrap().len() >= 4);

    // Audited with the archive's hash; no temp file left.
    let entries = audit::list(
        &mut s,
        &AuditFilter {
            action: Some("patient.subject_export".into()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].after.as_ref().unwrap()["sha256"],
        export.sha256.as_str()
    );
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());

    // An existing file is not overwritten.
    assert!(matches!(
        subject_export(&mut s, &p.id, &out, None),
        Err(Error::Conflict(_))
    ));
}

#[test]
fn only_admins_export_a_subject() {
    let v = Vault::new();
    let mut admin = v.admin();
    let p = patients::create(
        &mut admin,
        Profile::named("Maria", "Silva"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
    drop(admin);
    let mut clinician = v.staff("cleo", Role::Clinician);
    let out = v.dir.with_file_name("x.tar");
    assert!(matches!(
        subject_export(&mut clinician, &p.id, &out, None),
        Err(Error::Denied { .. })
    ));
    assert!(!out.exists());
}

/// A tar archive's members, by name.
fn members_of(tar_bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut members = BTreeMap::new();
    let mut archive = tar::Archive::new(tar_bytes);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        members.insert(name, data);
    }
    members
}

#[test]
fn an_encrypted_archive_opens_with_its_passphrase_and_shows_nothing_without_it() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patients::create(
        &mut s,
        Profile::named("Zelinda", "Quarrington"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();

    // Too short a passphrase: refused before anything is written.
    let out = v.dir.with_file_name("zelinda.tar.age");
    let short = Encryption::Passphrase(SecretString::from("short".to_owned()));
    assert!(matches!(
        subject_export(&mut s, &p.id, &out, Some(&short)),
        Err(Error::Invalid { .. })
    ));
    assert!(!out.exists());

    let passphrase = "a passphrase for the patient";
    let encryption = Encryption::Passphrase(SecretString::from(passphrase.to_owned()));
    let export = subject_export(&mut s, &p.id, &out, Some(&encryption)).unwrap();
    let sealed = std::fs::read(&out).unwrap();
    assert_eq!(export.bytes, sealed.len() as u64);
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    for clear in ["Zelinda", "Quarrington", p.human_id.as_str(), "record.json"] {
        assert!(
            !sealed.windows(clear.len()).any(|w| w == clear.as_bytes()),
            "{clear} is in the clear"
        );
    }

    let decryptor = age::Decryptor::new(sealed.as_slice()).unwrap();
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    let mut plain = Vec::new();
    decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    let members = members_of(&plain);
    let record: serde_json::Value = serde_json::from_slice(&members["record.json"]).unwrap();
    assert_eq!(record["patient"]["family_name"], "Quarrington");
    let entries = audit::list(
        &mut s,
        &AuditFilter {
            action: Some("patient.subject_export".into()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(entries[0].after.as_ref().unwrap()["format"], "tar.age");
}

fn data_encoding_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
