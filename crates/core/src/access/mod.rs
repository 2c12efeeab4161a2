//! Access grants: a time-limited, read-only window on one patient's record, handed to the
//! patient as a 6-digit code and a signed QR card, and opened at a desk by scanning or
//! typing it.
//!
//! - A grant names its patient, the sections it opens ([`Permission`]), its expiry (1 hour
//!   to 30 days), who made it, how often it was used, and whether it was revoked. Revoking
//!   takes effect at once: every use reads the grant's live state.
//! - The code is stored only as a keyed MAC ([`codes`]); the QR carries a token
//!   ([`crate::signing`]) over [`GrantClaims`], which any COSE tool can check offline with
//!   the vault's public key ([`public_key`]).
//! - Using a grant ([`open_with_code`], [`open_with_token`]) is audited with its outcome
//!   and reason, whatever the outcome, and returns a [`SharedView`] built in core with
//!   only the sections the grant opens. Photos through a grant go through [`photo`], which
//!   checks the grant again.
//! - Erasure and retention delete a patient's grants with the patient ([`delete_for_patient`]).

mod claims;
pub mod codes;
mod permissions;
mod view;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::Change;
use crate::clock;
use crate::crypto::{self, Subkey};
use crate::error::{AccessRefusal, Error, Result};
use crate::media::{self, PhotoFile, Variant};
use crate::patients;
use crate::policy::Action;
use crate::session::{Session, WriteTx};
use crate::signing::{self, PublicKey, Signer25519, TokenProblem};

pub use claims::GrantClaims;
pub use permissions::{Permission, Permissions};
pub use view::SharedView;

/// Shortest and longest time a grant may run.
pub const MIN_HOURS: u32 = 1;
/// 30 days.
pub const MAX_HOURS: u32 = 30 * 24;

/// Error correction of printed cards: Q restores up to a quarter of the code, enough for a
/// crease, a stain or a thumb.
pub const CARD_EC_LEVEL: qrcode::EcLevel = qrcode::EcLevel::Q;
/// The largest QR version a card may need at [`CARD_EC_LEVEL`]: larger codes print too
/// densely for a cheap webcam at arm's length.
pub const CARD_MAX_VERSION: i16 = 10;

/// Where a grant stands.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    /// It opens the record.
    Active,
    /// Its time ran out.
    Expired,
    /// Someone revoked it.
    Revoked,
}

/// A grant as listed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// UUIDv7.
    pub id: String,
    /// The patient's id.
    pub patient_id: String,
    /// The patient's human id.
    pub human_id: String,
    /// The sections it opens.
    pub permissions: Vec<Permission>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Who made it.
    pub created_by: String,
    /// When it stops opening the record (RFC 3339).
    pub expires_at: String,
    /// How many times it opened the record.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uses: u64,
    /// When it last did.
    pub last_used_at: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// Active, expired or revoked, as of the listing.
    pub status: GrantStatus,
}

/// A grant to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    /// The sections it opens.
    pub permissions: Vec<Permission>,
    /// How long it runs, in hours ([`MIN_HOURS`] to [`MAX_HOURS`]).
    pub hours: u32,
}

/// A grant just made: the only time its code can be shown.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedGrant {
    /// The grant.
    pub grant: Grant,
    /// The 6-digit code. Only its MAC is kept: it cannot be shown again.
    pub code: String,
    /// The card: the signed token and its QR code.
    pub card: Card,
}

/// A grant's signed token and its QR code, ready to show or print.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Card {
    /// `TS1:` + base45 text.
    pub token: String,
    /// The QR code as an SVG document (error correction Q, 4-module quiet zone).
    pub qr_svg: String,
    /// The QR version it needed (at most [`CARD_MAX_VERSION`]).
    pub qr_version: i16,
}

/// The vault's public key, for another site to check its tokens.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaultKey {
    /// The key id tokens carry in their protected header (hex).
    pub key_id: String,
    /// `EdDSA`.
    pub algorithm: String,
    /// `Ed25519`.
    pub curve: String,
    /// The 32-byte public key, base64url without padding (the COSE_Key / JWK `x`).
    pub x: String,
    /// The same key as PEM (SubjectPublicKeyInfo).
    pub pem: String,
}

/// A token that verified, and the live grant it names.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedToken {
    /// The key id that signed it.
    pub key_id: String,
    /// The patient's human id, as the token says.
    pub patient: String,
    /// The sections, as the token says.
    pub permissions: Vec<Permission>,
    /// Issued at (RFC 3339).
    pub issued_at: String,
    /// Expires at (RFC 3339).
    pub expires_at: String,
    /// The grant, as it stands now.
    pub grant: Grant,
}

fn code_key(session: &Session) -> crypto::SecretKey {
    session.keys.subkey(&session.vault_id, Subkey::AccessCode)
}

/// The vault's public key and key id. Any signed-in staff member may read it: it is public.
pub fn public_key(session: &mut Session) -> Result<VaultKey> {
    session.authorize(Action::AccessUse)?;
    Ok(vault_key(session.signer().public()))
}

fn vault_key(public: &PublicKey) -> VaultKey {
    use base64::Engine;
    VaultKey {
        key_id: public.id().to_string(),
        algorithm: "EdDSA".into(),
        curve: "Ed25519".into(),
        x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.to_bytes()),
        pem: public.to_pem(),
    }
}

/// Makes a grant on `patient` (id or human id) and returns its code and card.
pub fn grant(session: &mut Session, patient: &str, new: NewGrant) -> Result<IssuedGrant> {
    if !(MIN_HOURS..=MAX_HOURS).contains(&new.hours) {
        return Err(Error::invalid(
            "hours",
            format!("a grant runs from {MIN_HOURS} hour to {MAX_HOURS} hours (30 days)"),
        ));
    }
    let permissions = Permissions::of(&new.permissions)?;
    let key = code_key(session);
    let signer = session.signer();
    session.write(Action::AccessGrant, |w| {
        let found = patients::resolve_current(w.conn(), patient)?;
        let now = clock::now_ms();
        let (code, mac) = unused_code(w.conn(), &key, now, codes::generate)?;
        let id = Uuid::now_v7().to_string();
        w.conn().execute(
            "INSERT INTO access_grants (id, patient_id, permissions, code_mac, created_at, \
             created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                found.id,
                permissions.bits(),
                mac.as_slice(),
                now,
                w.actor_name(),
                now + i64::from(new.hours) * 3_600_000,
            ],
        )?;
        let grant = load(w.conn(), &id, now)?;
        w.record(Change::new("access_grant", Some(&id)).after(json!({
            "patient_id": grant.patient_id,
            "permissions": grant.permissions,
            "expires_at": grant.expires_at,
        })))?;
        let card = card(&signer, w.conn(), &id)?;
        Ok(IssuedGrant { grant, code, card })
    })
}

/// A code no active grant has, from `draw`, and its MAC.
fn unused_code(
    conn: &Connection,
    key: &crypto::SecretKey,
    now: i64,
    mut draw: impl FnMut() -> Result<String>,
) -> Result<(String, [u8; 32])> {
    // With under 1% of the space taken, 20 draws all colliding is beyond belief; with more,
    // the clinic has ten thousand live grants and should hear about it.
    for _ in 0..20 {
        let code = draw()?;
        let mac = codes::mac(key, &code);
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM access_grants WHERE code_mac = ?1 \
             AND revoked_at IS NULL AND expires_at > ?2)",
            params![mac.as_slice(), now],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok((code, mac));
        }
    }
    Err(Error::Conflict(
        "no free access code was found: revoke grants that are no longer needed".into(),
    ))
}

/// The card of grant `id`: signed again from its stored claims (Ed25519 signatures are
/// deterministic, so a reprint is the same token).
fn card(signer: &Signer25519, conn: &Connection, id: &str) -> Result<Card> {
    let (patient, bits, created, expires): (String, u8, i64, i64) = conn.query_row(
        "SELECT p.human_id, g.permissions, g.created_at, g.expires_at \
         FROM access_grants g JOIN patients p ON p.id = g.patient_id WHERE g.id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let claims = GrantClaims {
        grant_id: Uuid::try_parse(id).map_err(|_| Error::CorruptDatabase("bad grant id".into()))?,
        patient,
        permissions: Permissions::from_bits(bits)
            .ok_or_else(|| Error::CorruptDatabase("a grant has unknown permissions".into()))?,
        issued_at: created.div_euclid(1_000),
        expires_at: expires.div_euclid(1_000),
    };
    let token = signer.sign(claims.to_cbor());
    let (qr_svg, qr_version) = qr_svg(&token, CARD_MAX_VERSION)?;
    Ok(Card {
        token,
        qr_svg,
        qr_version,
    })
}

/// A card's QR code: modules row by row (`true` is dark), without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side.
    pub width: usize,
    /// `width * width` modules, row-major.
    pub dark: Vec<bool>,
    /// The QR version.
    pub version: i16,
}

/// Modules of quiet zone a card keeps around its code (the standard's minimum).
pub const QUIET_ZONE: usize = 4;

/// The largest QR version shown on a screen rather than printed on a card (a vault's
/// transfer identity): 97 modules a side, which a webcam at the desk still reads.
pub const SCREEN_MAX_VERSION: i16 = 20;

fn qr_code(text: &str, max_version: i16) -> Result<(qrcode::QrCode, i16)> {
    let code = qrcode::QrCode::with_error_correction_level(text, CARD_EC_LEVEL)
        .map_err(|_| Error::Internal("a token does not fit any QR code"))?;
    let version = match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    };
    if version > max_version {
        return Err(Error::Internal(
            "a token needs a QR code larger than a card allows",
        ));
    }
    Ok((code, version))
}

/// The QR code of `text` at the card's error correction, in the smallest version that
/// holds it; refused above [`SCREEN_MAX_VERSION`] (a card's own is checked when it is made).
pub fn qr_matrix(text: &str) -> Result<QrMatrix> {
    let (code, version) = qr_code(text, SCREEN_MAX_VERSION)?;
    Ok(QrMatrix {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
        version,
    })
}

/// The QR code of `text` as an SVG document with its quiet zone, and its version; refused
/// above `max_version` ([`CARD_MAX_VERSION`] for a card, [`SCREEN_MAX_VERSION`] for what is
/// only shown on a screen).
pub fn qr_svg(text: &str, max_version: i16) -> Result<(String, i16)> {
    let (code, version) = qr_code(text, max_version)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .build();
    Ok((svg, version))
}

/// The card of an active grant, to print it again. The code cannot be shown again.
pub fn reprint(session: &mut Session, grant_id: &str) -> Result<Card> {
    let signer = session.signer();
    session.write(Action::AccessGrant, |w| {
        let grant = load(w.conn(), grant_id, clock::now_ms())?;
        if grant.status != GrantStatus::Active {
            return Err(Error::Conflict(format!(
                "access grant {grant_id} is {}: its card would not open anything",
                match grant.status {
                    GrantStatus::Expired => "expired",
                    _ => "revoked",
                }
            )));
        }
        w.record(Change::new("access_grant", Some(&grant.id)).after(json!({ "reprinted": true })))?;
        card(&signer, w.conn(), &grant.id)
    })
}

/// A patient's grants, newest first, active or not. Audited.
pub fn list(session: &mut Session, patient: &str) -> Result<Vec<Grant>> {
    session.write(Action::AccessList, |w| {
        let found = patients::resolve(w.conn(), patient)?;
        let grants = for_patient(w.conn(), &found.id, clock::now_ms())?;
        w.record(
            Change::new("patient", Some(&found.id)).after(json!({ "access_grants": grants.len() })),
        )?;
        Ok(grants)
    })
}

/// A patient's grants, newest first, without auditing (callers do).
pub(crate) fn for_patient(conn: &Connection, patient_id: &str, now: i64) -> Result<Vec<Grant>> {
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM access_grants WHERE patient_id = ?1 ORDER BY created_at DESC, id DESC",
        )?
        .query_map([patient_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter().map(|id| load(conn, id, now)).collect()
}

/// Revokes a grant at once. Revoking a revoked grant is refused; an expired one may still
/// be revoked, so the record says it was.
pub fn revoke(session: &mut Session, grant_id: &str) -> Result<Grant> {
    session.write(Action::AccessRevoke, |w| {
        let now = clock::now_ms();
        let before = load(w.conn(), grant_id, now)?;
        if before.status == GrantStatus::Revoked {
            return Err(Error::Conflict(format!(
                "access grant {grant_id} was already revoked"
            )));
        }
        w.conn().execute(
            "UPDATE access_grants SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1",
            params![before.id, now, w.actor_name()],
        )?;
        let after = load(w.conn(), &before.id, now)?;
        w.record(
            Change::new("access_grant", Some(&after.id))
                .before(json!({ "status": before.status }))
                .after(json!({ "status": after.status, "patient_id": after.patient_id })),
        )?;
        Ok(after)
    })
}

/// Opens the shared view with a typed code. `patient`, when the desk typed the patient's
/// id too, ties the attempt to that patient's grants, so guesses count against them.
/// Every attempt is audited with its outcome; wrong codes are rate-limited.
pub fn open_with_code(
    session: &mut Session,
    code: &str,
    patient: Option<&str>,
) -> Result<SharedView> {
    let key = code_key(session);
    let workstation = codes::workstation(&key);
    let outcome = session.write(Action::AccessUse, |w| {
        let now = clock::now_ms();
        let hinted: Option<patients::PatientRef> = match patient {
            Some(p) => Some(patients::resolve(w.conn(), p)?),
            None => None,
        };
        let waiting = codes::wait_secs(w.conn(), &workstation, None, now)?;
        if waiting > 0 {
            let refusal = AccessRefusal::TooManyAttempts {
                retry_after_secs: waiting,
            };
            return refuse(w, None, "code", refusal);
        }
        let code = match codes::normalize(code) {
            Ok(code) => code,
            Err(e) => return refuse(w, None, "code", AccessRefusal::Malformed(e.to_string())),
        };
        let mac = codes::mac(&key, &code);
        // An active grant wins over an expired or revoked one with the same code.
        let found: Option<(String, String)> = w
            .conn()
            .query_row(
                "SELECT id, patient_id FROM access_grants WHERE code_mac = ?1 \
                 ORDER BY (revoked_at IS NULL AND expires_at > ?2) DESC, created_at DESC LIMIT 1",
                params![mac.as_slice(), now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let found =
            found.filter(|(_, patient_id)| hinted.as_ref().is_none_or(|h| &h.id == patient_id));
        let Some((grant_id, _)) = found else {
            let targets = match &hinted {
                Some(p) => active_grants_of(w.conn(), &p.id, now)?,
                None => Vec::new(),
            };
            codes::note_failure(w.conn(), &workstation, &targets, now)?;
            return refuse(w, None, "code", AccessRefusal::WrongCode);
        };
        let waiting = codes::wait_secs(w.conn(), &workstation, Some(&grant_id), now)?;
        let result = if waiting > 0 {
            Err(AccessRefusal::TooManyAttempts {
                retry_after_secs: waiting,
            })
        } else {
            live(w.conn(), &grant_id, now)
        };
        if matches!(result, Err(AccessRefusal::Expired | AccessRefusal::Revoked)) {
            codes::note_failure(w.conn(), &workstation, std::slice::from_ref(&grant_id), now)?;
        }
        finish_use(w, &grant_id, "code", result, now)
    })?;
    outcome.map_err(Error::AccessRefused)
}

/// Opens the shared view with a scanned token. Audited with its outcome.
pub fn open_with_token(session: &mut Session, token: &str) -> Result<SharedView> {
    let public = session.signer().public().clone();
    let outcome = session.write(Action::AccessUse, |w| {
        let now = clock::now_ms();
        let claims = match claims_of(token, &public) {
            Ok(claims) => claims,
            Err(refusal) => return refuse(w, None, "qr", refusal),
        };
        let grant_id = claims.grant_id.to_string();
        let result = live(w.conn(), &grant_id, now);
        finish_use(w, &grant_id, "qr", result, now)
    })?;
    outcome.map_err(Error::AccessRefused)
}

/// Checks a scanned token (signature, then the grant's live state) without opening the
/// record: what `tessera access scan` reports. Audited with its outcome.
pub fn verify_token(session: &mut Session, token: &str) -> Result<VerifiedToken> {
    let public = session.signer().public().clone();
    let outcome = session.write(Action::AccessUse, |w| {
        let now = clock::now_ms();
        let result = claims_of(token, &public).and_then(|claims| {
            live(w.conn(), &claims.grant_id.to_string(), now)?;
            let grant = load(w.conn(), &claims.grant_id.to_string(), now)
                .map_err(|_| AccessRefusal::Revoked)?;
            Ok(VerifiedToken {
                key_id: public.id().to_string(),
                patient: claims.patient,
                permissions: claims.permissions.list(),
                issued_at: clock::to_rfc3339(claims.issued_at.saturating_mul(1_000)),
                expires_at: clock::to_rfc3339(claims.expires_at.saturating_mul(1_000)),
                grant,
            })
        });
        let grant_id = result.as_ref().ok().map(|v| v.grant.id.clone());
        w.record_as(
            "access.verify",
            Change::new("access_grant", grant_id.as_deref())
                .after(outcome_json("qr", result.as_ref().map(|_| ()))),
        )?;
        Ok(result)
    })?;
    outcome.map_err(Error::AccessRefused)
}

/// The token's claims, if it is ours and intact.
fn claims_of(token: &str, public: &PublicKey) -> Result<GrantClaims, AccessRefusal> {
    let payload = signing::open(token, public).map_err(|problem| match problem {
        TokenProblem::Malformed(why) => AccessRefusal::Malformed(why),
        TokenProblem::UnknownKey(id) => AccessRefusal::UnknownKey(id),
        TokenProblem::BadSignature => AccessRefusal::BadSignature,
    })?;
    GrantClaims::from_cbor(&payload).map_err(AccessRefusal::Malformed)
}

/// Whether grant `id` opens the record now. A grant that no longer exists was removed
/// with its patient (erasure, retention), and a patient in the bin is closed to every
/// grant until restored: to the holder, both read as a revocation.
fn live(conn: &Connection, id: &str, now: i64) -> Result<(), AccessRefusal> {
    let state: Option<(i64, bool)> = conn
        .query_row(
            "SELECT g.expires_at, g.revoked_at IS NOT NULL OR p.deleted_at IS NOT NULL \
             FROM access_grants g JOIN patients p ON p.id = g.patient_id WHERE g.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|_| AccessRefusal::Revoked)?;
    match state {
        None | Some((_, true)) => Err(AccessRefusal::Revoked),
        Some((expires, false)) if expires <= now => Err(AccessRefusal::Expired),
        Some(_) => Ok(()),
    }
}

/// Records a use of grant `grant_id` and, when it opened, counts it and builds the view.
fn finish_use(
    w: &mut WriteTx<'_>,
    grant_id: &str,
    method: &str,
    result: Result<(), AccessRefusal>,
    now: i64,
) -> Result<Result<SharedView, AccessRefusal>> {
    if let Err(refusal) = result {
        let known = load(w.conn(), grant_id, now).ok().map(|g| g.id);
        return refuse(w, known.as_deref(), method, refusal);
    }
    w.conn().execute(
        "UPDATE access_grants SET uses = uses + 1, last_used_at = ?2 WHERE id = ?1",
        params![grant_id, now],
    )?;
    note_use(w, Some(grant_id), method, Ok(()))?;
    let grant = load(w.conn(), grant_id, now)?;
    let patient = patients::resolve(w.conn(), &grant.patient_id)?;
    Ok(Ok(view::build(w.conn(), grant, patient.rowid)?))
}

/// Records an attempt to use a grant, with its outcome.
fn note_use(
    w: &mut WriteTx<'_>,
    grant_id: Option<&str>,
    method: &str,
    outcome: Result<(), &AccessRefusal>,
) -> Result<()> {
    w.record(Change::new("access_grant", grant_id).after(outcome_json(method, outcome)))
}

/// Records a refused attempt and hands the refusal back, for the caller to return once
/// the audit entry has committed.
fn refuse<T>(
    w: &mut WriteTx<'_>,
    grant_id: Option<&str>,
    method: &str,
    refusal: AccessRefusal,
) -> Result<Result<T, AccessRefusal>> {
    note_use(w, grant_id, method, Err(&refusal))?;
    Ok(Err(refusal))
}

fn outcome_json(method: &str, outcome: Result<(), &AccessRefusal>) -> serde_json::Value {
    match outcome {
        Ok(()) => json!({ "method": method, "outcome": "opened" }),
        Err(refusal) => json!({ "method": method, "outcome": "refused", "reason": refusal.name() }),
    }
}

/// A photo's thumbnail or preview through grant `grant_id`: the grant must be live and
/// open photos, and the photo must be its patient's and shared with staff. Audited.
pub fn photo(
    session: &mut Session,
    grant_id: &str,
    photo_id: &str,
    variant: Variant,
) -> Result<PhotoFile> {
    let now = clock::now_ms();
    let patient_id = session.read(Action::AccessUse, |s| {
        live(&s.conn, grant_id, now).map_err(Error::AccessRefused)?;
        let grant = load(&s.conn, grant_id, now)?;
        if !grant.permissions.contains(&Permission::Photos) {
            return Err(Error::Denied {
                role: "this access grant".into(),
                action: "show photos".into(),
            });
        }
        Ok(grant.patient_id)
    })?;
    let file = media::shared_image(session, &patient_id, photo_id, variant)?;
    if variant != Variant::Thumbnail {
        // Thumbnails are covered by the audited view that listed them, as elsewhere.
        session.write(Action::AccessUse, |w| {
            w.record_as(
                "access.photo",
                Change::new("photo", Some(photo_id))
                    .after(json!({ "grant_id": grant_id, "variant": variant.as_str() })),
            )
        })?;
    }
    Ok(file)
}

fn active_grants_of(conn: &Connection, patient_id: &str, now: i64) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM access_grants WHERE patient_id = ?1 AND revoked_at IS NULL \
             AND expires_at > ?2",
        )?
        .query_map(params![patient_id, now], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Deletes a patient's grants and the failures counted against them (erasure and
/// retention): nothing of the grant outlives the patient. Returns how many went.
pub(crate) fn delete_for_patient(conn: &Connection, patient_id: &str) -> Result<u64> {
    conn.execute(
        "DELETE FROM access_failures WHERE grant_id IN \
         (SELECT id FROM access_grants WHERE patient_id = ?1)",
        [patient_id],
    )?;
    Ok(conn.execute(
        "DELETE FROM access_grants WHERE patient_id = ?1",
        [patient_id],
    )? as u64)
}

/// Grant `id` as it stands at `now`.
fn load(conn: &Connection, id: &str, now: i64) -> Result<Grant> {
    conn.prepare_cached(
        "SELECT g.id, g.patient_id, p.human_id, g.permissions, g.created_at, g.created_by, \
         g.expires_at, g.uses, g.last_used_at, g.revoked_at, g.revoked_by \
         FROM access_grants g JOIN patients p ON p.id = g.patient_id WHERE g.id = ?1",
    )?
    .query_row([id.trim()], |r| {
        let bits: u8 = r.get(3)?;
        let expires: i64 = r.get(6)?;
        let revoked: Option<i64> = r.get(9)?;
        Ok(Grant {
            id: r.get(0)?,
            patient_id: r.get(1)?,
            human_id: r.get(2)?,
            // An unreadable mask opens nothing.
            permissions: Permissions::from_bits(bits)
                .map(Permissions::list)
                .unwrap_or_default(),
            created_at: clock::to_rfc3339(r.get(4)?),
            created_by: r.get(5)?,
            expires_at: clock::to_rfc3339(expires),
            uses: r.get::<_, i64>(7)?.unsigned_abs(),
            last_used_at: r.get::<_, Option<i64>>(8)?.map(clock::to_rfc3339),
            revoked_at: revoked.map(clock::to_rfc3339),
            revoked_by: r.get(10)?,
            status: match revoked {
                Some(_) => GrantStatus::Revoked,
                None if expires <= now => GrantStatus::Expired,
                None => GrantStatus::Active,
            },
        })
    })
    .optional()?
    .ok_or_else(|| Error::NotFound {
        what: "access grant",
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A table of grants in memory, with the given codes active (and `expired` expired).
    fn grants_with(key: &crypto::SecretKey, active: &[String], expired: &[String]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE access_grants (code_mac BLOB, revoked_at INTEGER, expires_at INTEGER)",
        )
        .unwrap();
        for (codes, expires) in [(active, 2_000), (expired, 500)] {
            for code in codes {
                conn.execute(
                    "INSERT INTO access_grants VALUES (?1, NULL, ?2)",
                    params![codes::mac(key, code).as_slice(), expires],
                )
                .unwrap();
            }
        }
        conn
    }

    /// The longest token a grant can have (every section, the widest times CBOR can carry
    /// in four bytes, a full human id) still fits a card's QR code.
    #[test]
    fn the_longest_token_fits_a_version_10_qr_at_error_correction_q() {
        let signer = Signer25519::from_seed(&crypto::SecretKey::from_bytes([9; 32]));
        let claims = GrantClaims {
            grant_id: Uuid::from_bytes([0xff; 16]),
            patient: "TS-ZZZZ-ZZZZ".into(),
            permissions: Permissions::of(&Permission::ALL).unwrap(),
            issued_at: i64::from(u32::MAX) - 1,
            expires_at: i64::from(u32::MAX),
        };
        let token = signer.sign(claims.to_cbor());
        let matrix = qr_matrix(&token).unwrap();
        assert!(
            matrix.version <= CARD_MAX_VERSION,
            "version {}",
            matrix.version
        );
        assert_eq!(matrix.width, 17 + 4 * matrix.version as usize);
    }

    proptest! {
        /// Whatever the generator draws, the code handed out is never one an active grant
        /// holds; an expired grant's code may be used again.
        #[test]
        fn codes_are_unique_among_active_grants(
            active in proptest::collection::hash_set(0u32..50, 0..30),
            expired in proptest::collection::vec(0u32..50, 0..10),
            draws in proptest::collection::vec(0u32..50, 20),
        ) {
            let key = crypto::SecretKey::from_bytes([5; 32]);
            let code = |n: &u32| format!("{n:06}");
            let active: Vec<String> = active.iter().map(code).collect();
            let expired: Vec<String> = expired.iter().map(code).collect();
            let conn = grants_with(&key, &active, &expired);
            let mut queue = draws.iter().map(code);
            let drawn = unused_code(&conn, &key, 1_000, || Ok(queue.next().unwrap()));
            match drawn {
                Ok((code, mac)) => {
                    prop_assert!(!active.contains(&code));
                    prop_assert_eq!(mac, codes::mac(&key, &code));
                }
                Err(Error::Conflict(_)) => {
                    prop_assert!(draws.iter().map(code).all(|c| active.contains(&c)));
                }
                Err(other) => prop_assert!(false, "{other}"),
            }
        }
    }
}
