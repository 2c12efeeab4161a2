//! Access grants on a real vault: what a code or QR opens, what it never opens, and every
//! way one is refused, each audited.
#![allow(clippy::unwrap_used)]

mod common;

use common::Vault;
use image::RgbImage;
use tessera_core::access::{self, NewGrant, Permission};
use tessera_core::audit::{self, AuditFilter};
use tessera_core::encounters::{self, NewEncounter};
use tessera_core::erasure::{self, ErasureMode};
use tessera_core::media::{self, ImportOptions, ImportSource, Privacy, Variant};
use tessera_core::narratives::{self, NewNarrative};
use tessera_core::patients::{self, Profile, profile::Allergy};
use tessera_core::policy::Role;
use tessera_core::signing::{Signer25519, TOKEN_PREFIX};
use tessera_core::{AccessRefusal, Error, ErrorClass, Session, crypto::SecretKey};

fn jpeg(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(48, 40, |x, y| {
        image::Rgb([x as u8 ^ seed, y as u8, seed.wrapping_mul(7)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A patient with something in every section, a shared and a private photo, and one in
/// the bin. Returns (patient id, shared photo, private photo, binned photo).
fn full_record(s: &mut Session) -> (String, String, String, String) {
    let mut profile = Profile::named("Amélia", "Nkosi");
    profile.medical_alerts = vec!["Epilepsy: seizure plan in notes".into()];
    profile.allergies = vec![Allergy {
        substance: "Penicillin".into(),
        reaction: Some("rash".into()),
        severity: None,
    }];
    profile.phone = Some("+258 84 123 4567".into());
    // Some tests make two of these records: the same person twice, on purpose.
    let p = patients::create(s, profile, patients::Registration::NotADuplicate)
        .unwrap()
        .id;
    encounters::add(
        s,
        &p,
        NewEncounter {
            occurred_at: "2026-11-20".into(),
            reason: "Follow-up".into(),
            ..NewEncounter::default()
        },
    )
    .unwrap();
    narratives::add(
        s,
        &p,
        NewNarrative {
            body: "Back at work this week.".into(),
            ..NewNarrative::default()
        },
    )
    .unwrap();
    let import = |s: &mut Session, seed: u8, privacy: Privacy| {
        let source = ImportSource {
            name: Some("p.jpg".into()),
            bytes: jpeg(seed),
        };
        let options = ImportOptions {
            privacy,
            caption: None,
        };
        media::import(s, &p, source, &options).unwrap().photo.id
    };
    let shared = import(s, 1, Privacy::Staff);
    let private = import(s, 2, Privacy::Private);
    let binned = import(s, 3, Privacy::Staff);
    media::delete(s, &binned).unwrap();
    (p, shared, private, binned)
}

fn grant(s: &mut Session, patient: &str, permissions: &[Permission]) -> access::IssuedGrant {
    access::grant(
        s,
        patient,
        NewGrant {
            permissions: permissions.to_vec(),
            hours: 24,
        },
    )
    .unwrap()
}

fn refusal(result: Result<impl std::fmt::Debug, Error>) -> AccessRefusal {
    match result {
        Err(Error::AccessRefused(reason)) => reason,
        other => panic!("expected an access refusal, got {other:?}"),
    }
}

/// The `access.use` entries, oldest first, as (outcome, reason).
fn uses(s: &mut Session) -> Vec<(String, Option<String>)> {
    let filter = AuditFilter {
        action: Some("access.use".into()),
        ..AuditFilter::default()
    };
    audit::list(s, &filter)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.after)
        .map(|after| {
            (
                after["outcome"].as_str().unwrap().to_owned(),
                after["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn a_desk_sees_only_the_sections_a_grant_opens_and_a_revoke_closes_it_at_once() {
    let v = Vault::new();
    let mut clinician = v.staff("caio", Role::Clinician);
    let (p, shared, _, _) = full_record(&mut clinician);
    let issued = grant(
        &mut clinician,
        &p,
        &[Permission::Emergency, Permission::Visits],
    );
    assert_eq!(issued.code.len(), 6);
    assert!(issued.card.token.starts_with(TOKEN_PREFIX));
    assert!(issued.card.qr_version <= access::CARD_MAX_VERSION);
    assert!(issued.card.qr_svg.starts_with("<?xml"));

    let mut desk = v.staff("rita", Role::FrontDesk);
    // The desk cannot read the record on its own…
    assert!(matches!(
        patients::get(&mut desk, &p),
        Err(Error::Denied { .. })
    ));
    // …but the code opens exactly the granted sections.
    let view = access::open_with_code(&mut desk, &issued.code, None).unwrap();
    assert_eq!(view.patient.given_name, "Amélia");
    assert_eq!(
        view.emergency.unwrap().medical_alerts,
        vec!["Epilepsy: seizure plan in notes".to_owned()]
    );
    assert_eq!(view.visits.unwrap().len(), 1);
    assert!(view.medications.is_none());
    assert!(view.profile.is_none());
    assert!(view.photos.is_none());
    assert!(view.narratives.is_none());
    // A grant without photos fetches no photo, not even a thumbnail.
    let denied = access::photo(&mut desk, &issued.grant.id, &shared, Variant::Thumbnail);
    assert_eq!(denied.unwrap_err().class(), ErrorClass::Refused);

    let by_qr = access::open_with_token(&mut desk, &issued.card.token).unwrap();
    assert_eq!(by_qr.grant.uses, 2);

    // A patient moved to the bin is closed to every grant until restored.
    let mut admin = v.admin();
    patients::delete(&mut admin, &p, None).unwrap();
    assert_eq!(
        refusal(access::open_with_code(&mut desk, &issued.code, None)),
        AccessRefusal::Revoked
    );
    patients::restore(&mut admin, &p).unwrap();
    access::open_with_token(&mut desk, &issued.card.token).unwrap();

    let reprinted = access::reprint(&mut clinician, &issued.grant.id).unwrap();
    assert_eq!(
        reprinted.token, issued.card.token,
        "Ed25519 signs the same claims the same way"
    );
    access::revoke(&mut clinician, &issued.grant.id).unwrap();
    assert!(matches!(
        access::reprint(&mut clinician, &issued.grant.id),
        Err(Error::Conflict(_))
    ));
    assert_eq!(
        refusal(access::open_with_code(&mut desk, &issued.code, None)),
        AccessRefusal::Revoked
    );
    assert_eq!(
        refusal(access::open_with_token(&mut desk, &issued.card.token)),
        AccessRefusal::Revoked
    );
    assert_eq!(
        refusal(access::photo(
            &mut desk,
            &issued.grant.id,
            &shared,
            Variant::Thumbnail
        )),
        AccessRefusal::Revoked
    );
    assert_eq!(
        uses(&mut admin),
        vec![
            ("opened".into(), None),
            ("opened".into(), None),
            ("refused".into(), Some("revoked".into())),
            ("opened".into(), None),
            ("refused".into(), Some("revoked".into())),
            ("refused".into(), Some("revoked".into())),
        ]
    );
}

#[test]
fn a_grant_with_photos_shows_shared_photos_only_and_never_an_original() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, shared, private, binned) = full_record(&mut admin);
    let (other, other_photo, _, _) = full_record(&mut admin);
    let issued = grant(&mut admin, &p, &[Permission::Photos]);
    let mut desk = v.staff("rita", Role::FrontDesk);
    let view = access::open_with_token(&mut desk, &issued.card.token).unwrap();
    let listed: Vec<String> = view.photos.unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(listed, vec![shared.clone()]);
    let thumb = access::photo(&mut desk, &issued.grant.id, &shared, Variant::Thumbnail).unwrap();
    assert!(thumb.bytes.starts_with(&[0xff, 0xd8]));
    for hidden in [&private, &binned, &other_photo] {
        let err = access::photo(&mut desk, &issued.grant.id, hidden, Variant::Thumbnail);
        assert!(
            matches!(err, Err(Error::NotFound { .. })),
            "{hidden}: {err:?}"
        );
    }
    let original = access::photo(&mut desk, &issued.grant.id, &shared, Variant::Original);
    assert!(matches!(original, Err(Error::Invalid { .. })));
    assert_ne!(other, p);
}

#[test]
fn a_brute_forcer_at_the_desk_is_slowed_after_five_wrong_codes_even_with_the_right_one() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, _, _, _) = full_record(&mut admin);
    let issued = grant(&mut admin, &p, &[Permission::Emergency]);
    let wrong = if issued.code == "000000" {
        "000001"
    } else {
        "000000"
    };
    let mut desk = v.staff("rita", Role::FrontDesk);
    for _ in 0..5 {
        assert_eq!(
            refusal(access::open_with_code(&mut desk, wrong, None)),
            AccessRefusal::WrongCode
        );
    }
    match refusal(access::open_with_code(&mut desk, &issued.code, None)) {
        AccessRefusal::TooManyAttempts { retry_after_secs } => {
            assert!((1..=30).contains(&retry_after_secs), "{retry_after_secs}")
        }
        other => panic!("{other:?}"),
    }
    // While the desk waits, anything typed waits too, and is audited.
    assert!(matches!(
        refusal(access::open_with_code(&mut desk, "12 34", None)),
        AccessRefusal::TooManyAttempts { .. }
    ));
    let outcomes = uses(&mut admin);
    assert_eq!(outcomes.len(), 7);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.1.as_deref() == Some("wrong_code"))
            .count(),
        5
    );
    assert_eq!(
        outcomes.last().unwrap().1.as_deref(),
        Some("too_many_attempts")
    );
}

#[test]
fn guesses_tied_to_a_patient_lock_that_patients_grant_on_any_workstation() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, _, _, _) = full_record(&mut admin);
    let issued = grant(&mut admin, &p, &[Permission::Emergency]);
    let wrong = if issued.code == "999999" {
        "999998"
    } else {
        "999999"
    };
    let mut desk = v.staff("rita", Role::FrontDesk);
    for _ in 0..5 {
        assert_eq!(
            refusal(access::open_with_code(&mut desk, wrong, Some(&p))),
            AccessRefusal::WrongCode
        );
    }
    // The workstation's failures are forgotten (as if an hour passed)…
    v.raw()
        .execute(
            "UPDATE access_failures SET workstation = 'another desk'",
            [],
        )
        .unwrap();
    // …but the grant's are not: the right code still waits.
    assert!(matches!(
        refusal(access::open_with_code(&mut desk, &issued.code, Some(&p))),
        AccessRefusal::TooManyAttempts { .. }
    ));
}

#[test]
fn an_expired_grant_is_refused_as_expired_by_code_and_by_qr() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, _, _, _) = full_record(&mut admin);
    let issued = grant(&mut admin, &p, &[Permission::Emergency]);
    v.raw()
        .execute(
            "UPDATE access_grants SET created_at = created_at - 90000000, expires_at = expires_at - 90000000",
            [],
        )
        .unwrap();
    let mut desk = v.staff("rita", Role::FrontDesk);
    assert_eq!(
        refusal(access::open_with_code(&mut desk, &issued.code, None)),
        AccessRefusal::Expired
    );
    assert_eq!(
        refusal(access::open_with_token(&mut desk, &issued.card.token)),
        AccessRefusal::Expired
    );
    let listed = access::list(&mut admin, &p).unwrap();
    assert_eq!(listed[0].status, access::GrantStatus::Expired);
}

#[test]
fn a_token_from_another_vault_or_forged_or_garbled_is_refused_with_its_reason() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, _, _, _) = full_record(&mut admin);
    let issued = grant(&mut admin, &p, &[Permission::Emergency]);
    let mut desk = v.staff("rita", Role::FrontDesk);

    let elsewhere = Vault::new();
    let mut their_admin = elsewhere.admin();
    let (their_patient, _, _, _) = full_record(&mut their_admin);
    let theirs = grant(&mut their_admin, &their_patient, &[Permission::Emergency]);
    assert!(matches!(
        refusal(access::open_with_token(&mut desk, &theirs.card.token)),
        AccessRefusal::UnknownKey(_)
    ));

    // A forger who knows the format but not the key: a key of their own, our key id.
    let ours = access::public_key(&mut desk).unwrap();
    let forger = Signer25519::from_seed(&SecretKey::from_bytes([7; 32]));
    let forged = forger.sign(b"anything".to_vec());
    assert!(matches!(
        refusal(access::open_with_token(&mut desk, &forged)),
        AccessRefusal::UnknownKey(id) if id != ours.key_id
    ));

    // One character changed in the middle of the token.
    let mut altered = issued.card.token.clone().into_bytes();
    let middle = altered.len() / 2;
    altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert!(matches!(
        refusal(access::open_with_token(&mut desk, &altered)),
        AccessRefusal::BadSignature | AccessRefusal::Malformed(_)
    ));
    for garbage in ["", "HC1:6BFOXN", "TS1:%%%", "https://example.org/"] {
        assert!(matches!(
            refusal(access::open_with_token(&mut desk, garbage)),
            AccessRefusal::Malformed(_)
        ));
    }
}

#[test]
fn only_practitioners_give_or_revoke_grants() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, _, _, _) = full_record(&mut admin);
    let mut desk = v.staff("rita", Role::FrontDesk);
    let attempt = access::grant(
        &mut desk,
        &p,
        NewGrant {
            permissions: vec![Permission::Emergency],
            hours: 1,
        },
    );
    assert!(matches!(attempt, Err(Error::Denied { .. })));
    let issued = grant(&mut admin, &p, &[Permission::Emergency]);
    assert!(matches!(
        access::revoke(&mut desk, &issued.grant.id),
        Err(Error::Denied { .. })
    ));
    for hours in [0, 721] {
        let wrong = access::grant(
            &mut admin,
            &p,
            NewGrant {
                permissions: vec![Permission::Emergency],
                hours,
            },
        );
        assert!(matches!(wrong, Err(Error::Invalid { field: "hours", .. })));
    }
}

#[test]
fn erasing_a_patient_removes_their_grants_and_the_trail_that_names_them() {
    let v = Vault::new();
    let mut admin = v.admin();
    let (p, _, _, _) = full_record(&mut admin);
    let issued = grant(
        &mut admin,
        &p,
        &[Permission::Emergency, Permission::Profile],
    );
    let mut desk = v.staff("rita", Role::FrontDesk);
    access::open_with_code(&mut desk, &issued.code, None).unwrap();
    let report = erasure::erase(&mut admin, &p, ErasureMode::Delete).unwrap();
    assert_eq!(report.access_grants_revoked, 1);
    assert_eq!(
        refusal(access::open_with_token(&mut desk, &issued.card.token)),
        AccessRefusal::Revoked
    );
    let raw = v.raw();
    let left: i64 = raw
        .query_row("SELECT count(*) FROM access_grants", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    // The entries about the grant kept their place in the chain but lost their payload.
    let named: i64 = raw
        .query_row(
            "SELECT count(*) FROM audit_log WHERE resource_id = ?1 AND after_json IS NOT NULL",
            [&issued.grant.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(named, 0);
}

/// A visit voided as recorded on the wrong patient must not reach the desk as if it stood.
#[test]
fn a_voided_visit_is_not_shown_through_a_code() {
    let v = Vault::new();
    let mut clinician = v.staff("caio", Role::Clinician);
    let (p, _, _, _) = full_record(&mut clinician);
    let wrong = encounters::add(
        &mut clinician,
        &p,
        NewEncounter {
            occurred_at: "2026-01-02".into(),
            reason: "not this patient".into(),
            ..Default::default()
        },
    )
    .unwrap();
    encounters::void(&mut clinician, &wrong.id, "wrong patient").unwrap();
    let issued = grant(&mut clinician, &p, &[Permission::Visits]);
    let mut desk = v.staff("rita", Role::FrontDesk);
    let view = access::open_with_code(&mut desk, &issued.code, None).unwrap();
    let visits = view.visits.unwrap();
    assert_eq!(visits.len(), 1);
    assert!(
        visits
            .iter()
            .all(|e| e.voided.is_none() && e.id != wrong.id)
    );
}
