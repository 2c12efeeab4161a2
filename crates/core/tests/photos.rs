//! Photos end to end through the core API, on real vaults: real images (encoded by the
//! `image` crate, tagged by the standard `exiftool`) imported, exported and checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use common::Vault;
use image::{ImageEncoder, RgbImage};
use tessera_core::audit::{self, AuditFilter};
use tessera_core::listing::Listing;
use tessera_core::media::{
    self, FileOutcome, ImportOptions, ImportSource, PhotoEdit, Privacy, Variant,
};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Profile};
use tessera_core::policy::Role;
use tessera_core::settings::{self, VaultSettings};
use tessera_core::{Error, ErrorClass, Session, vault};

#[path = "../../media/tests/support/exiftool.rs"]
mod exiftool_support;

use exiftool_support::{SENTINEL, assert_no_identifying_tags, exiftool, heif_enc};

fn photo(width: u32, height: u32, seed: u8) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 3) as u8 ^ seed,
            (y * 2) as u8,
            ((x + y) as u8).wrapping_mul(seed | 1),
        ])
    })
}

/// A JPEG with an ICC profile and an EXIF block whose maker note holds the sentinel.
fn jpeg_with_icc_and_maker_note(img: &RgbImage) -> Vec<u8> {
    let mut plain = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90);
    encoder.set_icc_profile(icc_profile()).unwrap();
    encoder
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    // APP1 EXIF goes right after SOI.
    let mut out = plain[..2].to_vec();
    out.extend(exif_app1_with_maker_note());
    out.extend_from_slice(&plain[2..]);
    out
}

/// A minimal ICC v2 profile with one copyright tag: enough for exiftool to read it.
fn icc_profile() -> Vec<u8> {
    let mut icc = vec![0u8; 132];
    icc[..4].copy_from_slice(&156u32.to_be_bytes());
    icc[4..8].copy_from_slice(b"none");
    icc[8] = 2;
    icc[12..16].copy_from_slice(b"mntr");
    icc[16..20].copy_from_slice(b"RGB ");
    icc[20..24].copy_from_slice(b"XYZ ");
    icc[36..40].copy_from_slice(b"acsp");
    icc[128..132].copy_from_slice(&1u32.to_be_bytes());
    icc.extend_from_slice(b"cprt");
    icc.extend_from_slice(&144u32.to_be_bytes());
    icc.extend_from_slice(&12u32.to_be_bytes());
    icc.extend_from_slice(b"text\0\0\0\0ok\0\0");
    icc
}

/// APP1 "Exif": IFD0 { Make, ExifIFD pointer } and ExifIFD { MakerNote = sentinel }.
fn exif_app1_with_maker_note() -> Vec<u8> {
    let make = b"Tessera Test Camera\0";
    let note = format!("{SENTINEL}MakerNote serial 998877");
    let mut t = b"MM\0\x2A\0\0\0\x08".to_vec();
    let ifd0 = 8u32;
    let ifd0_len = 2 + 2 * 12 + 4;
    let make_at = ifd0 + ifd0_len;
    let exif_ifd = make_at + make.len() as u32;
    let exif_len = 2 + 12 + 4;
    let note_at = exif_ifd + exif_len;
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value.to_be_bytes());
    };
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x010F, 2, make.len() as u32, make_at);
    entry(&mut t, 0x8769, 4, 1, exif_ifd);
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(make);
    t.extend_from_slice(&1u16.to_be_bytes());
    entry(&mut t, 0x927C, 7, note.len() as u32, note_at);
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(note.as_bytes());
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((t.len() + 8) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend(t);
    seg
}

/// A JPEG carrying GPS, camera, serial, capture time, XMP, IPTC, a comment, an ICC profile,
/// a maker note and orientation 6, as a phone would write it.
fn tagged_jpeg(dir: &Path, seed: u8) -> PathBuf {
    let path = dir.join(format!("phone-{seed}.jpg"));
    fs::write(&path, jpeg_with_icc_and_maker_note(&photo(640, 480, seed))).unwrap();
    exiftool(
        &[
            "-q",
            "-overwrite_original",
            "-GPSLatitude=38.7223",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=9.1393",
            "-GPSLongitudeRef=W",
            &format!("-Model={SENTINEL}Model"),
            &format!("-SerialNumber={SENTINEL}Serial"),
            "-DateTimeOriginal=2026:03:14 09:26:53",
            "-OffsetTimeOriginal=+01:00",
            &format!("-XMP-dc:Creator={SENTINEL}Creator"),
            &format!("-IPTC:Keywords={SENTINEL}Keyword"),
            &format!("-Comment={SENTINEL}Comment"),
            "-Orientation#=6",
        ],
        &path,
    );
    let before = exiftool(&["-a", "-G1", "-s"], &path);
    for group in ["[GPS]", "[XMP-dc]", "[IPTC]", "[ICC-header]", "[ExifIFD]"] {
        assert!(before.contains(group), "{group} written:\n{before}");
    }
    assert!(
        before.contains("MakerNote"),
        "maker note written:\n{before}"
    );
    path
}

fn encoded(img: &RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn source(bytes: Vec<u8>) -> ImportSource {
    ImportSource {
        name: Some("photo.jpg".into()),
        bytes,
    }
}

fn patient(session: &mut Session, given: &str) -> String {
    patients::create(
        session,
        Profile::named(given, "Lima"),
        patients::Registration::CheckDuplicates,
    )
    .unwrap()
    .id
}

/// Every file under the vault's media directory.
fn media_files(vault: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![vault.join("media")];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files
}

#[test]
fn an_imported_phone_photo_keeps_no_identifying_metadata_and_the_same_pixels() {
    let v = Vault::new();
    let tmp = tempfile::tempdir().unwrap();
    let mut s = v.admin();
    let p = patient(&mut s, "Rosa");
    let path = tagged_jpeg(tmp.path(), 7);
    let original = fs::read(&path).unwrap();

    let imported = media::import(
        &mut s,
        &p,
        source(original.clone()),
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(!imported.duplicate);
    let photo = imported.photo;
    assert_eq!((photo.width, photo.height), (480, 640), "shown upright");
    assert_eq!((photo.thumb_width, photo.thumb_height), (240, 320));
    assert_eq!(photo.taken_at.as_deref(), Some("2026-03-14T09:26:53+01:00"));
    assert_eq!(photo.camera_make.as_deref(), Some("Tessera Test Camera"));
    assert_eq!(
        photo.camera_model.as_deref(),
        Some(&*format!("{SENTINEL}Model"))
    );
    assert_eq!(
        photo.location, None,
        "GPS is dropped unless the vault keeps it"
    );

    let exported = tmp.path().join("exported.jpg");
    let file = media::open(&mut s, &photo.id, Variant::Original).unwrap();
    assert_eq!(file.mime, "image/jpeg");
    fs::write(&exported, &*file.bytes).unwrap();
    let report = assert_no_identifying_tags(&exported);
    assert!(
        report.contains("Rotate 90 CW"),
        "orientation kept:\n{report}"
    );
    assert!(
        report.contains("[ICC-header]"),
        "colour profile kept:\n{report}"
    );
    let before = image::load_from_memory(&original).unwrap().to_rgb8();
    let after = image::load_from_memory(&file.bytes).unwrap().to_rgb8();
    assert!(before == after, "the decoded pixels changed");

    let thumb = media::open(&mut s, &photo.id, Variant::Thumbnail).unwrap();
    let thumb = image::load_from_memory(&thumb.bytes).unwrap();
    assert_eq!(
        (thumb.width(), thumb.height()),
        (240, 320),
        "thumbnail upright"
    );

    settings::set(
        &mut s,
        VaultSettings {
            auto_lock_minutes: 5,
            keep_photo_location: true,
        },
    )
    .unwrap();
    let again = tagged_jpeg(tmp.path(), 8);
    let located = media::import(
        &mut s,
        &p,
        source(fs::read(again).unwrap()),
        &ImportOptions::default(),
    )
    .unwrap()
    .photo;
    let location = located.location.expect("kept when the vault says so");
    assert!((location.latitude - 38.7223).abs() < 1e-4, "{location:?}");
    assert!((location.longitude + 9.1393).abs() < 1e-4, "{location:?}");
}

#[test]
fn png_and_webp_are_stripped_and_thumbnailed_too() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Ines");
    let img = photo(500, 250, 3);
    for format in [image::ImageFormat::Png, image::ImageFormat::WebP] {
        let bytes = encoded(&img, format);
        let photo = media::import(&mut s, &p, source(bytes), &ImportOptions::default())
            .unwrap()
            .photo;
        assert_eq!(
            (photo.thumb_width, photo.thumb_height),
            (320, 160),
            "{format:?}"
        );
        let original = media::open(&mut s, &photo.id, Variant::Original).unwrap();
        let back = image::load_from_memory(&original.bytes).unwrap().to_rgb8();
        assert!(back == img, "{format:?} pixels unchanged");
    }
}

/// A HEIC as an iPhone saves it: HEVC by libheif's `heif-enc`, with GPS, camera and time
/// in its EXIF item and a creator in its XMP item (written by exiftool).
fn tagged_heic(dir: &Path, img: &RgbImage) -> Vec<u8> {
    let png = dir.join("source.png");
    fs::write(&png, encoded(img, image::ImageFormat::Png)).unwrap();
    let heic = dir.join("IMG_0001.HEIC");
    heif_enc(&png, &heic);
    exiftool(
        &[
            "-q",
            "-overwrite_original",
            "-GPSLatitude=38.7223",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=9.1393",
            "-GPSLongitudeRef=W",
            &format!("-Model={SENTINEL}Model"),
            "-DateTimeOriginal=2026:02:03 10:11:12",
            &format!("-XMP-dc:Creator={SENTINEL}Creator"),
        ],
        &heic,
    );
    fs::read(&heic).unwrap()
}

#[test]
fn an_iphone_heic_is_imported_stripped_previewed_and_its_place_kept_only_when_asked() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Ines");
    let tmp = tempfile::tempdir().unwrap();
    let bytes = tagged_heic(tmp.path(), &photo(1600, 1200, 7));

    let photo = media::import(&mut s, &p, source(bytes.clone()), &ImportOptions::default())
        .unwrap()
        .photo;
    assert_eq!(photo.format, "heic");
    assert_eq!((photo.width, photo.height), (1600, 1200));
    assert_eq!((photo.thumb_width, photo.thumb_height), (320, 240));
    assert_eq!(photo.taken_at.as_deref(), Some("2026-02-03T10:11:12"));
    assert_eq!(
        photo.location, None,
        "the vault does not keep places by default"
    );

    let original = media::open(&mut s, &photo.id, Variant::Original).unwrap();
    assert_eq!(original.mime, "image/heic");
    let stored = tmp.path().join("stored.heic");
    fs::write(&stored, &*original.bytes).unwrap();
    assert_no_identifying_tags(&stored);

    let preview = media::open(&mut s, &photo.id, Variant::Preview).unwrap();
    assert_eq!(
        preview.mime, "image/jpeg",
        "the viewer gets a JPEG it can show"
    );
    let shown = image::load_from_memory(&preview.bytes).unwrap();
    assert_eq!((shown.width(), shown.height()), (1280, 960));

    let current = settings::get(&mut s).unwrap();
    settings::set(
        &mut s,
        VaultSettings {
            keep_photo_location: true,
            ..current
        },
    )
    .unwrap();
    let other = patient(&mut s, "Rui");
    let kept = media::import(&mut s, &other, source(bytes), &ImportOptions::default())
        .unwrap()
        .photo;
    let place = kept.location.unwrap();
    assert!(
        (place.latitude - 38.7223).abs() < 1e-3 && (place.longitude + 9.1393).abs() < 1e-3,
        "{place:?}"
    );
}

#[test]
fn hostile_files_are_refused_with_a_specific_message_and_leave_nothing_behind() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Ana");
    let good = encoded(&photo(64, 48, 1), image::ImageFormat::Jpeg);
    let png_bomb = {
        // A real 30000 × 30000 PNG header; the image data never gets decoded.
        let mut ihdr = 30_000u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&30_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut chunk = 13u32.to_be_bytes().to_vec();
        chunk.extend_from_slice(b"IHDR");
        chunk.extend_from_slice(&ihdr);
        let crc = crc32(&chunk[4..]);
        chunk.extend_from_slice(&crc.to_be_bytes());
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk);
        // Image data follows (a bomb's would inflate to 2.7 GB); it is never read.
        png.extend_from_slice(&[0, 0, 0, 4, b'I', b'D', b'A', b'T', 0x78, 0x9C, 0x03, 0x00]);
        png.extend_from_slice(&crc32(b"IDAT\x78\x9C\x03\x00").to_be_bytes());
        png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        png
    };
    let app_past_the_end = {
        let mut j = good[..2].to_vec();
        j.extend_from_slice(&[0xFF, 0xE1, 0xFF, 0xF0]);
        j.extend_from_slice(b"Exif\0\0 a segment that claims 65520 bytes");
        j
    };
    let mut random = vec![0u8; 4096];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0];
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zero bytes", Vec::new(), "the file is empty"),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "damaged or truncated",
        ),
        ("PNG bomb", png_bomb, "30000 × 30000 pixels"),
        (
            "APP segment past the end",
            app_past_the_end,
            "runs past the end",
        ),
        ("random bytes", random, "not a JPEG, PNG, WebP or HEIC"),
        (
            "HEIC with no picture",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(),
            "HEIF structure is broken",
        ),
        (
            "HEIF burst",
            b"\0\0\0\x18ftypmsf1\0\0\0\0mif1msf1".to_vec(),
            "a burst or an animation",
        ),
        (
            "GIF",
            b"GIF89a\x01\0\x01\0\0\0\0;".to_vec(),
            "not a JPEG, PNG, WebP or HEIC",
        ),
    ];
    for (what, bytes, says) in cases {
        let err = media::import(&mut s, &p, source(bytes), &ImportOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Photo(_)), "{what}: {err:?}");
        assert_eq!(err.class(), ErrorClass::Failure);
        assert!(err.to_string().contains(says), "{what}: {err}");
    }
    assert!(
        media::list(&mut s, &p, Listing::Current)
            .unwrap()
            .is_empty()
    );
    assert!(media_files(&v.dir).is_empty(), "nothing half-written");

    // A huge but well-formed APP segment is only metadata: it goes, the photo stays.
    let mut padded = good[..2].to_vec();
    padded.extend_from_slice(&[0xFF, 0xE4, 0xFF, 0xFF]);
    padded.extend(std::iter::repeat_n(b'Z', 0xFFFD));
    padded.extend_from_slice(&good[2..]);
    let photo = media::import(&mut s, &p, source(padded), &ImportOptions::default())
        .unwrap()
        .photo;
    let stored = media::open(&mut s, &photo.id, Variant::Original).unwrap();
    assert_eq!(stored.bytes.len(), good.len());

    // A PNG named .jpg is judged by its content.
    let png = encoded(&photo_img(), image::ImageFormat::Png);
    let named_wrong = ImportSource {
        name: Some("holiday.jpg".into()),
        bytes: png,
    };
    let photo = media::import(&mut s, &p, named_wrong, &ImportOptions::default())
        .unwrap()
        .photo;
    assert_eq!(photo.format, "png");
}

fn photo_img() -> RgbImage {
    photo(40, 30, 9)
}

/// CRC-32 of a PNG chunk, for the hand-made header above.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn the_media_directory_holds_no_readable_image() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Rui");
    let mut plaintexts = Vec::new();
    for (i, format) in [
        image::ImageFormat::Jpeg,
        image::ImageFormat::Png,
        image::ImageFormat::WebP,
    ]
    .into_iter()
    .enumerate()
    {
        let bytes = encoded(&photo(900, 600, i as u8), format);
        let id = media::import(&mut s, &p, source(bytes), &ImportOptions::default())
            .unwrap()
            .photo
            .id;
        let stored = media::open(&mut s, &id, Variant::Original).unwrap().bytes;
        // 16 bytes from the middle of the image data: plaintext of the pixels themselves.
        let middle = stored.len() / 2;
        plaintexts.push(stored[middle..middle + 16].to_vec());
        media::open(&mut s, &id, Variant::Preview).unwrap();
    }
    let files = media_files(&v.dir);
    assert_eq!(files.len(), 9, "original, thumbnail and preview of each");
    // Signatures long enough that random ciphertext cannot hold them by chance.
    let signatures: [&[u8]; 5] = [
        b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0",
        b"\x89PNG\r\n\x1a\n",
        b"WEBPVP8",
        b"JFIF\0",
        b"Exif\0\0",
    ];
    for file in files {
        let bytes = fs::read(&file).unwrap();
        assert!(
            bytes.starts_with(b"TSB1"),
            "{} is a sealed blob",
            file.display()
        );
        for needle in signatures
            .iter()
            .copied()
            .chain(plaintexts.iter().map(Vec::as_slice))
        {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds {needle:?}",
                file.display()
            );
        }
    }
}

#[test]
fn the_same_photo_twice_is_kept_once_per_patient() {
    let v = Vault::new();
    let mut s = v.admin();
    let (a, b) = (patient(&mut s, "Ana"), patient(&mut s, "Bia"));
    let bytes = encoded(&photo(120, 90, 4), image::ImageFormat::Jpeg);
    let first =
        media::import(&mut s, &a, source(bytes.clone()), &ImportOptions::default()).unwrap();
    let again =
        media::import(&mut s, &a, source(bytes.clone()), &ImportOptions::default()).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.photo.id, first.photo.id);
    let other = media::import(&mut s, &b, source(bytes), &ImportOptions::default()).unwrap();
    assert!(!other.duplicate, "another patient's record is separate");
    assert_eq!(media::list(&mut s, &a, Listing::Current).unwrap().len(), 1);
    assert_eq!(media_files(&v.dir).len(), 4);
}

#[test]
fn previews_are_made_once_on_first_view_and_kept_sealed() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Ana");
    let bytes = encoded(&photo(2600, 1300, 5), image::ImageFormat::Jpeg);
    let id = media::import(&mut s, &p, source(bytes), &ImportOptions::default())
        .unwrap()
        .photo
        .id;
    assert_eq!(media_files(&v.dir).len(), 2);
    let first = media::open(&mut s, &id, Variant::Preview).unwrap();
    let shown = image::load_from_memory(&first.bytes).unwrap();
    assert_eq!((shown.width(), shown.height()), (1280, 640));
    let second = media::open(&mut s, &id, Variant::Preview).unwrap();
    assert_eq!(*first.bytes, *second.bytes, "the cached preview");
    assert_eq!(media_files(&v.dir).len(), 3);
}

#[test]
fn who_may_see_import_and_bin_photos() {
    let v = Vault::new();
    let mut admin = v.admin();
    let p = patient(&mut admin, "Ana");
    let mut worker = v.staff("sara", Role::SocialWorker);
    let mut clinician = v.staff("caio", Role::Clinician);
    let mut desk = v.staff("rita", Role::FrontDesk);
    let private = ImportOptions {
        privacy: Privacy::Private,
        caption: Some("wound, day 3".into()),
    };
    let bytes = encoded(&photo(64, 64, 2), image::ImageFormat::Jpeg);
    let photo = media::import(&mut worker, &p, source(bytes.clone()), &private)
        .unwrap()
        .photo;
    assert_eq!(photo.privacy, Privacy::Private);
    assert_eq!(photo.caption.as_deref(), Some("wound, day 3"));

    assert!(
        media::list(&mut clinician, &p, Listing::Current)
            .unwrap()
            .is_empty()
    );
    let refused = media::open(&mut clinician, &photo.id, Variant::Thumbnail).unwrap_err();
    assert_eq!(refused.class(), ErrorClass::Refused, "{refused}");
    assert_eq!(
        media::list(&mut admin, &p, Listing::Current).unwrap().len(),
        1
    );
    assert!(
        media::import(&mut desk, &p, source(bytes), &ImportOptions::default())
            .is_err_and(|e| e.class() == ErrorClass::Refused)
    );
    assert!(
        media::list(&mut desk, &p, Listing::Current)
            .is_err_and(|e| e.class() == ErrorClass::Refused)
    );

    let to_staff = PhotoEdit {
        privacy: Some(Privacy::Staff),
        ..PhotoEdit::default()
    };
    media::edit(&mut worker, &photo.id, to_staff.clone()).unwrap();
    assert_eq!(
        media::list(&mut clinician, &p, Listing::Current)
            .unwrap()
            .len(),
        1
    );
    let back_to_private = PhotoEdit {
        privacy: Some(Privacy::Private),
        ..PhotoEdit::default()
    };
    assert!(
        media::edit(&mut clinician, &photo.id, back_to_private)
            .is_err_and(|e| e.class() == ErrorClass::Refused),
        "only its importer or an admin"
    );

    media::delete(&mut clinician, &photo.id).unwrap();
    assert!(
        media::list(&mut worker, &p, Listing::Current)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        media::list(&mut worker, &p, Listing::Deleted)
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        media::delete(&mut worker, &photo.id),
        Err(Error::Conflict(_))
    ));
    media::restore(&mut worker, &photo.id).unwrap();
    assert_eq!(
        media::list(&mut worker, &p, Listing::Current)
            .unwrap()
            .len(),
        1
    );

    // Every step is in the patient's audit trail, refusals on privacy grounds included.
    let trail = audit::list(
        &mut admin,
        &AuditFilter {
            patient: Some(p.clone()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    let photo_actions: Vec<&str> = trail
        .iter()
        .filter(|e| e.resource_type == "photo")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        photo_actions,
        [
            "photo.import",
            "access.denied",
            "photo.edit",
            "access.denied",
            "photo.delete",
            "photo.delete"
        ],
        "{trail:#?}"
    );
}

#[test]
fn narratives_attach_to_a_visible_photo_of_the_same_patient_only() {
    let v = Vault::new();
    let mut s = v.admin();
    let (a, b) = (patient(&mut s, "Ana"), patient(&mut s, "Bia"));
    let mut worker = v.staff("sara", Role::SocialWorker);
    let mut clinician = v.staff("caio", Role::Clinician);
    let bytes = encoded(&photo(64, 64, 6), image::ImageFormat::Jpeg);
    let photo = media::import(&mut s, &a, source(bytes), &ImportOptions::default())
        .unwrap()
        .photo;
    let about = |text: &str| NewNarrative {
        body: text.into(),
        photo_id: Some(photo.id.clone()),
        ..NewNarrative::default()
    };
    let n = narratives::add(&mut s, &a, about("The wound is closing.")).unwrap();
    assert_eq!(n.photo_id.as_deref(), Some(photo.id.as_str()));
    let refused = "is not a photo of this patient that you can see";
    let err = narratives::add(&mut s, &b, about("Not this patient's photo")).unwrap_err();
    assert!(err.to_string().contains(refused), "{err}");
    media::delete(&mut s, &photo.id).unwrap();
    let err = narratives::add(&mut s, &a, about("In the bin")).unwrap_err();
    assert!(err.to_string().contains(refused), "{err}");

    // Someone else's private photo: the same answer, as if it did not exist.
    let private = ImportOptions {
        privacy: Privacy::Private,
        caption: None,
    };
    let bytes = encoded(&crate::photo(64, 64, 7), image::ImageFormat::Jpeg);
    let hidden = media::import(&mut worker, &a, source(bytes.clone()), &private)
        .unwrap()
        .photo;
    let about_hidden = NewNarrative {
        body: "About a photo I cannot see".into(),
        photo_id: Some(hidden.id.clone()),
        ..NewNarrative::default()
    };
    let err = narratives::add(&mut clinician, &a, about_hidden).unwrap_err();
    assert!(err.to_string().contains(refused), "{err}");

    // Importing the same photo does not reveal the private one either: it is a new photo.
    let own = media::import(
        &mut clinician,
        &a,
        source(bytes.clone()),
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(!own.duplicate && own.photo.id != hidden.id);
    // A photo in the bin does not block a new import of it.
    media::delete(&mut clinician, &own.photo.id).unwrap();
    let again =
        media::import(&mut clinician, &a, source(bytes), &ImportOptions::default()).unwrap();
    assert!(!again.duplicate);
}

#[test]
fn a_batch_imports_on_all_cores_and_one_bad_file_fails_alone() {
    let v = Vault::new();
    let tmp = tempfile::tempdir().unwrap();
    let mut s = v.admin();
    let p = patient(&mut s, "Ana");
    let mut files = Vec::new();
    for i in 0..8u8 {
        let path = tmp.path().join(format!("photo-{i}.jpg"));
        fs::write(
            &path,
            encoded(&photo(800, 600, i), image::ImageFormat::Jpeg),
        )
        .unwrap();
        files.push(path);
    }
    let broken = tmp.path().join("broken.jpg");
    fs::write(&broken, b"\xFF\xD8\xFF\xE0 nothing after").unwrap();
    files.insert(3, broken.clone());
    files.push(tmp.path().join("missing.jpg"));
    files.push(files[0].clone());

    let mut seen = Vec::new();
    let results = media::import_files(
        &mut s,
        &p,
        &files,
        &ImportOptions::default(),
        &mut |progress| seen.push(progress),
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(results.len(), files.len());
    let status = |i: usize| match &results[i].outcome {
        FileOutcome::Imported { .. } => "imported",
        FileOutcome::Duplicate { .. } => "duplicate",
        FileOutcome::Failed { .. } => "failed",
        FileOutcome::Cancelled => "cancelled",
    };
    assert_eq!(status(3), "failed");
    assert_eq!(status(9), "failed");
    assert!(
        matches!(&results[3].outcome, FileOutcome::Failed { message } if message.contains("damaged"))
    );
    let imported = (0..results.len())
        .filter(|&i| status(i) == "imported")
        .count();
    let duplicates = (0..results.len())
        .filter(|&i| status(i) == "duplicate")
        .count();
    assert_eq!((imported, duplicates), (8, 1));
    assert_eq!(seen.len(), files.len(), "progress after every file");
    assert!(seen.windows(2).all(|w| w[1].done == w[0].done + 1));
    assert_eq!(seen.last().unwrap().failed, 2);
    assert_eq!(media::list(&mut s, &p, Listing::Current).unwrap().len(), 8);
    assert_eq!(media_files(&v.dir).len(), 16);

    // Cancelled before it starts: nothing is imported, every file says so.
    let more: Vec<PathBuf> = (0..10u8)
        .map(|i| {
            let path = tmp.path().join(format!("more-{i}.jpg"));
            fs::write(
                &path,
                encoded(&photo(300, 200, 100 + i), image::ImageFormat::Jpeg),
            )
            .unwrap();
            path
        })
        .collect();
    let cancel = AtomicBool::new(true);
    let results = media::import_files(
        &mut s,
        &p,
        &more,
        &ImportOptions::default(),
        &mut |_| {},
        &cancel,
    )
    .unwrap();
    assert!(results.iter().all(|r| r.outcome == FileOutcome::Cancelled));
    // Cancelled after the first file: what finished stays, the rest is left out.
    let cancel = AtomicBool::new(false);
    let results = media::import_files(
        &mut s,
        &p,
        &more,
        &ImportOptions::default(),
        &mut |_| cancel.store(true, Ordering::Relaxed),
        &cancel,
    )
    .unwrap();
    let done = results
        .iter()
        .filter(|r| matches!(r.outcome, FileOutcome::Imported { .. }))
        .count();
    // Two workers may each have started a file before the cancel is seen.
    assert!((1..=4).contains(&done), "{results:?}");
    let cancelled = results
        .iter()
        .filter(|r| r.outcome == FileOutcome::Cancelled)
        .count();
    assert_eq!(done + cancelled, more.len());
    assert_eq!(
        media::list(&mut s, &p, Listing::Current).unwrap().len(),
        8 + done
    );
}

#[test]
fn leftovers_are_swept_at_unlock_once_old_and_check_finds_damage() {
    let v = Vault::new();
    let mut s = v.admin();
    let p = patient(&mut s, "Ana");
    let bytes = encoded(&photo(64, 64, 8), image::ImageFormat::Jpeg);
    let id = media::import(&mut s, &p, source(bytes), &ImportOptions::default())
        .unwrap()
        .photo
        .id;
    drop(s);
    let kept = media_files(&v.dir);
    let sub = kept[0].parent().unwrap().to_path_buf();
    let old_orphan = sub.join(uuid::Uuid::now_v7().simple().to_string());
    let young_orphan = sub.join(uuid::Uuid::now_v7().simple().to_string());
    let old_temp = sub.join(".tmp-crashed");
    for f in [&old_orphan, &young_orphan, &old_temp] {
        fs::write(f, b"leftover").unwrap();
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    for f in kept.iter().chain([&old_orphan, &old_temp]) {
        fs::File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
    }
    let mut s = v.admin();
    assert!(
        !old_orphan.exists() && !old_temp.exists(),
        "old leftovers swept at unlock"
    );
    assert!(
        young_orphan.exists(),
        "a young file may be another process's write in progress"
    );
    assert!(kept.iter().all(|f| f.exists()), "referenced blobs stay");

    let report = vault::check(&mut s).unwrap();
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.photo_files_checked, 2);

    let mut damaged = fs::read(&kept[0]).unwrap();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x40;
    fs::write(&kept[0], damaged).unwrap();
    let report = vault::check(&mut s).unwrap();
    assert!(!report.is_sound());
    assert_eq!(report.photo_problems.len(), 1, "{report:?}");
    assert!(report.photo_problems[0].contains(&id), "{report:?}");
    let mut worker = v.staff("sara", Role::SocialWorker);
    assert!(vault::check(&mut worker).is_err_and(|e| e.class() == ErrorClass::Refused));
}
