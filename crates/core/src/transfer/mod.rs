//! Moving records between vaults with no network: a field laptop's records reach its
//! clinic (and the clinic's changes reach the laptop) in signed, encrypted bundle files
//! carried on a stick.
//!
//! - **Pairing**: each vault publishes its [`identity`] (an age X25519 key to encrypt to, and
//!   its Ed25519 signing key) as a token; an admin of the other vault pairs with it after
//!   comparing the fingerprint. Bundles go only between paired vaults.
//! - **Bundles** ([`export`]): every record the sender's audit log names since the entry the
//!   receiver last confirmed, whole patient by patient, in a signed manifest, encrypted to
//!   the receiver. Until a receipt confirms it, the next bundle carries the same changes
//!   again: safe, because importing is idempotent.
//! - **Import** ([`import`]): the signature, sender and sequence are checked, then every
//!   record is applied in one transaction through the importer's policy and the audit log
//!   (see [`apply`] for how both sides' changes are kept). It writes a signed receipt.
//! - **Receipts** ([`accept_receipt`]) move the sender's watermark.
//! - **Conflicts** ([`conflicts`]): what could not be applied alone waits for a person.

mod apply;
pub mod bundle;
mod collect;
pub mod conflicts;
pub mod identity;
mod receipt;
mod rows;
mod versions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

pub use apply::Applied;
pub use bundle::Counts;
pub use identity::IdentityClaims;
pub use receipt::ReceiptClaims;

use crate::audit_chain::{ChainHead, Change};
use crate::clock;
use crate::error::{Error, Result, TransferRefusal};
use crate::policy::Action;
use crate::session::Session;
use crate::signing::{self, PublicKey};
use crate::store::database::SCHEMA_VERSION;

pub(crate) use versions::forget_patient;

/// This vault's transfer identity, to publish.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The vault's id.
    pub vault_id: String,
    /// What people compare on both screens before pairing.
    pub fingerprint: String,
    /// The age public key bundles to this vault are encrypted to.
    pub recipient: String,
    /// The identity as token text (`TS1:…`): the file's content and the QR code's.
    pub token: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// A vault this one is paired with.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    /// Its vault id.
    pub vault_id: String,
    /// The name the admin gave it when pairing.
    pub name: String,
    /// Its signing key's fingerprint.
    pub fingerprint: String,
    /// When it was paired (RFC 3339) and by whom.
    pub paired_at: String,
    /// The admin who paired it.
    pub paired_by: String,
    /// Bundles written for it so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sent_bundles: u64,
    /// The entry of this vault's audit log up to which it confirmed it holds everything.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub acknowledged_to: u64,
    /// The newest of its bundles imported here (0 when none).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_bundle: u64,
    /// Open conflicts from it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub open_conflicts: u64,
}

/// A bundle written.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleWritten {
    /// The files written: one, or the parts in order.
    #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
    pub files: Vec<PathBuf>,
    /// Its number, from 1, for this receiver.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bundle: u64,
    /// The range of this vault's audit log it covers: after `from_seq`, up to `to_seq`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub from_seq: u64,
    /// See `from_seq`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub to_seq: u64,
    /// What it holds.
    pub counts: Counts,
    /// Its size in bytes, all parts together.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
}

/// What importing a bundle did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The sending vault.
    pub from_vault: String,
    /// The name it was paired under.
    pub from_name: String,
    /// The bundle's number.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bundle: u64,
    /// False when everything in it was here already (imported before, or a later bundle
    /// carried it too): nothing was changed.
    pub applied: bool,
    /// Why nothing was applied, in words, when it was not.
    pub note: Option<String>,
    /// What it held.
    pub counts: Counts,
    /// What happened to its records.
    pub outcome: Applied,
    /// The receipt for the sender (`TS1:…`): take it back so its next bundle starts after
    /// this one.
    pub receipt: String,
    /// The receipt as a QR code (SVG).
    pub receipt_qr_svg: String,
}

/// A receipt taken in.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptAccepted {
    /// The vault that wrote it.
    pub from_vault: String,
    /// The name it was paired under.
    pub from_name: String,
    /// The entry of this vault's log it confirms; the next bundle starts after it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub acknowledged_to: u64,
    /// False when an earlier receipt had confirmed as much already.
    pub advanced: bool,
}

/// This vault's transfer identity, made on first use (audited then).
pub fn identity(session: &mut Session) -> Result<Identity> {
    session.authorize(Action::TransferPair)?;
    let signer = session.signer();
    let vault_id = session.vault_id();
    let has_key: bool = session.conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM vault_meta WHERE key = 'transfer_identity')",
        [],
        |r| r.get(0),
    )?;
    let claims = match has_key {
        true => identity::own(&session.conn, vault_id, &signer)?,
        false => session.write(Action::TransferPair, |w| {
            let claims = identity::own(w.conn(), vault_id, &signer)?;
            w.record(
                Change::new("transfer_identity", Some(&vault_id.to_string())).after(json!({
                    "recipient": claims.recipient,
                    "fingerprint": identity::fingerprint(&claims.verify_key),
                })),
            )?;
            Ok(claims)
        })?,
    };
    let token = claims.sign(&signer);
    let (qr_svg, _) = crate::access::qr_svg(&token, crate::access::SCREEN_MAX_VERSION)?;
    Ok(Identity {
        vault_id: vault_id.to_string(),
        fingerprint: identity::fingerprint(&claims.verify_key),
        recipient: claims.recipient,
        token,
        qr_svg,
    })
}

/// Reads another vault's identity token without pairing, to show its fingerprint first.
pub fn read_identity(token: &str) -> Result<IdentityClaims> {
    IdentityClaims::open(token)
        .map_err(|problem| Error::BundleRefused(TransferRefusal::NotIdentity(problem.to_string())))
}

/// Another vault's identity as a person checks it before pairing.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityPreview {
    /// Its vault id.
    pub vault_id: String,
    /// The fingerprint to compare with the one the other vault shows.
    pub fingerprint: String,
    /// The name it is paired under here, if it is paired already.
    pub paired_as: Option<String>,
}

/// What a person checks before pairing with the vault whose identity `token` is.
pub fn preview_identity(session: &mut Session, token: &str) -> Result<IdentityPreview> {
    session.authorize(Action::TransferPair)?;
    let claims = read_identity(token)?;
    let vault_id = claims.vault_id.to_string();
    Ok(IdentityPreview {
        paired_as: peer_keys(&session.conn, &vault_id)?
            .filter(|p| p.vault_id == vault_id)
            .map(|p| p.name),
        fingerprint: identity::fingerprint(&claims.verify_key),
        vault_id,
    })
}

/// Pairs with the vault whose identity `token` is, under `name`. Pairing again with the
/// same vault renames it; a changed key is refused (unpair first, deliberately).
pub fn pair(session: &mut Session, token: &str, name: &str) -> Result<Peer> {
    let claims = read_identity(token)?;
    let name = crate::patients::profile::required("name", name)?;
    if claims.vault_id == session.vault_id() {
        return Err(Error::invalid(
            "identity",
            "this is this vault's own identity",
        ));
    }
    let vault_id = claims.vault_id.to_string();
    let fingerprint = identity::fingerprint(&claims.verify_key);
    session.write(Action::TransferPair, |w| {
        let known: Option<Vec<u8>> = w
            .conn()
            .query_row(
                "SELECT verify_key FROM transfer_peers WHERE vault_id = ?1",
                [&vault_id],
                |r| r.get(0),
            )
            .optional()?;
        match known {
            Some(key) if key != claims.verify_key.to_bytes() => {
                return Err(Error::Conflict(format!(
                    "vault {vault_id} is paired already with another key: an identity that changed \
                     its key is not trusted without a person deciding to"
                )));
            }
            Some(_) => {
                w.conn().execute(
                    "UPDATE transfer_peers SET name = ?1, recipient = ?2 WHERE vault_id = ?3",
                    params![name, claims.recipient, vault_id],
                )?;
            }
            None => {
                w.conn().execute(
                    "INSERT INTO transfer_peers (vault_id, name, recipient, verify_key, paired_at, paired_by) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        vault_id,
                        name,
                        claims.recipient,
                        claims.verify_key.to_bytes().as_slice(),
                        clock::now_ms(),
                        w.actor_name()
                    ],
                )?;
            }
        }
        w.record(Change::new("transfer_peer", Some(&vault_id)).after(json!({
            "name": name,
            "fingerprint": fingerprint,
            "recipient": claims.recipient,
        })))?;
        load_peer(w.conn(), &vault_id)
    })
}

/// The vaults this one is paired with.
pub fn peers(session: &mut Session) -> Result<Vec<Peer>> {
    session.read(Action::TransferSend, |s| {
        let ids: Vec<String> = s
            .conn
            .prepare("SELECT vault_id FROM transfer_peers ORDER BY name, vault_id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| load_peer(&s.conn, id)).collect()
    })
}

/// A paired vault, by vault id or by the name it was paired under.
struct PeerKeys {
    vault_id: String,
    name: String,
    recipient: String,
    verify_key: PublicKey,
    sent_bundles: u64,
    acknowledged_to: u64,
    received_to: u64,
    received_bundle: u64,
}

fn peer_keys(conn: &Connection, key: &str) -> Result<Option<PeerKeys>> {
    let found = conn
        .query_row(
            "SELECT vault_id, name, recipient, verify_key, sent_bundles, acknowledged_to, \
             received_to, received_bundle FROM transfer_peers \
             WHERE vault_id = ?1 OR name = ?1 COLLATE NOCASE ORDER BY vault_id = ?1 DESC LIMIT 1",
            [key.trim()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((vault_id, name, recipient, key_bytes, sent, acked, received_to, received_bundle)) =
        found
    else {
        return Ok(None);
    };
    let verify_key = <[u8; 32]>::try_from(key_bytes.as_slice())
        .ok()
        .and_then(|b| PublicKey::from_bytes(&b))
        .ok_or_else(|| {
            Error::CorruptDatabase(format!("the key of paired vault {vault_id} is damaged"))
        })?;
    Ok(Some(PeerKeys {
        vault_id,
        name,
        recipient,
        verify_key,
        sent_bundles: sent as u64,
        acknowledged_to: acked as u64,
        received_to: received_to as u64,
        received_bundle: received_bundle as u64,
    }))
}

/// The paired vault a bundle or receipt says it comes from, once it says it is for
/// `this_vault`: refused if it is for another vault or from a vault this one is not paired
/// with (by id only: a name is what a person types, not what a file claims).
fn sender(conn: &Connection, this_vault: Uuid, from: Uuid, to: Uuid) -> Result<PeerKeys> {
    if to != this_vault {
        return Err(Error::BundleRefused(TransferRefusal::ForAnotherVault(
            Some(to.to_string()),
        )));
    }
    let from = from.to_string();
    peer_keys(conn, &from)?
        .filter(|p| p.vault_id == from)
        .ok_or_else(|| Error::BundleRefused(TransferRefusal::NotPaired(from)))
}

impl PeerKeys {
    /// The refusal of a file whose signature is not this vault's.
    fn forged(&self, problem: impl std::fmt::Display) -> Error {
        Error::BundleRefused(TransferRefusal::BadSignature {
            peer: self.name.clone(),
            problem: problem.to_string(),
        })
    }
}

fn paired(conn: &Connection, key: &str) -> Result<PeerKeys> {
    peer_keys(conn, key)?.ok_or_else(|| Error::NotFound {
        what: "paired vault",
        id: key.to_owned(),
    })
}

fn load_peer(conn: &Connection, vault_id: &str) -> Result<Peer> {
    let keys = paired(conn, vault_id)?;
    let (paired_at, paired_by, open): (i64, String, i64) = conn.query_row(
        "SELECT paired_at, paired_by, (SELECT count(*) FROM transfer_conflicts \
         WHERE from_vault = ?1 AND resolved_at IS NULL) FROM transfer_peers WHERE vault_id = ?1",
        [vault_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(Peer {
        fingerprint: identity::fingerprint(&keys.verify_key),
        vault_id: keys.vault_id,
        name: keys.name,
        paired_at: clock::to_rfc3339(paired_at),
        paired_by,
        sent_bundles: keys.sent_bundles,
        acknowledged_to: keys.acknowledged_to,
        received_bundle: keys.received_bundle,
        open_conflicts: open as u64,
    })
}

/// Writes a bundle for the paired vault `to` (vault id or name) into `folder`, cut into
/// parts of `part_bytes` when given. `progress` hears how many of the images are written.
pub fn export(
    session: &mut Session,
    to: &str,
    folder: &Path,
    part_bytes: Option<u64>,
    progress: &dyn Fn(crate::progress::Progress),
) -> Result<BundleWritten> {
    session.authorize(Action::TransferSend)?;
    let peer = paired(&session.conn, to)?;
    let recipient = crate::archive::parse_recipient(&peer.recipient)?;
    let bundle_number = peer.sent_bundles + 1;
    let from_seq = peer.acknowledged_to;
    // One read transaction: the records are a consistent picture of one moment.
    let (to_seq, collected) = {
        let tx = session.conn.unchecked_transaction()?;
        let to_seq = ChainHead::load(&tx)?.count;
        let collected = collect::collect(&tx, from_seq, to_seq)?;
        tx.commit()?;
        (to_seq, collected)
    };
    let created_at = clock::now_ms();
    let name = format!(
        "tessera-{}-to-{}-{bundle_number:04}.{}",
        short(&session.vault_id().to_string()),
        short(&peer.vault_id),
        bundle::EXTENSION
    );
    let mut writer = bundle::SplitWriter::new(folder, name, part_bytes)?;
    let mut hashing = crate::archive::Hashing::new(&mut writer);
    let manifest = {
        let failed = |e: std::io::Error| {
            Error::io(format!("cannot write the bundle in {}", folder.display()))(e)
        };
        let mut age =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(|_| Error::invalid("recipient", "the paired vault's key cannot be used"))?
                .wrap_output(&mut hashing)
                .map_err(failed)?;
        let mut tar = tar::Builder::new(&mut age);
        let mtime = (created_at / 1000) as u64;
        let header = bundle::HeaderClaims {
            bundle_id: Uuid::now_v7(),
            from_vault: session.vault_id(),
            to_vault: peer
                .vault_id
                .parse()
                .map_err(|_| Error::CorruptDatabase("a paired vault's id".into()))?,
            bundle: bundle_number,
        };
        bundle::append(
            &mut tar,
            bundle::HEADER,
            header.sign(&session.signer()).as_bytes(),
            mtime,
        )
        .map_err(failed)?;
        let records = serde_json::to_vec(&collected.contents)
            .map_err(|_| Error::Internal("cannot serialise a transfer record"))?;
        let mut members =
            vec![bundle::append(&mut tar, bundle::RECORDS, &records, mtime).map_err(failed)?];
        let total = collected.blobs.len() as u64;
        for (done, blob) in collected.blobs.iter().enumerate() {
            let image = session.media.blobs.get(blob)?;
            members.push(
                bundle::append(&mut tar, &bundle::photo_member(blob), &image, mtime)
                    .map_err(failed)?,
            );
            progress(crate::progress::Progress {
                done_bytes: done as u64 + 1,
                total_bytes: total,
            });
        }
        let manifest = bundle::Manifest {
            format: bundle::FORMAT.into(),
            version: bundle::VERSION,
            schema_version: SCHEMA_VERSION,
            bundle_id: header.bundle_id,
            from_vault: header.from_vault,
            to_vault: header.to_vault,
            bundle: bundle_number,
            from_seq,
            to_seq,
            created_at: clock::to_rfc3339(created_at),
            created_by: session.actor().username.clone(),
            counts: collected.counts,
            members,
        };
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|_| Error::Internal("cannot serialise a transfer record"))?;
        let signature = session
            .signer()
            .sign(crate::crypto::sha256(&[&manifest_bytes]).to_vec());
        bundle::append(&mut tar, bundle::MANIFEST, &manifest_bytes, mtime).map_err(failed)?;
        bundle::append(&mut tar, bundle::SIGNATURE, signature.as_bytes(), mtime).map_err(failed)?;
        tar.into_inner().map_err(failed)?;
        age.finish().map_err(failed)?;
        manifest
    };
    let (_, bytes, sha256) = hashing.into_parts();
    session.write(Action::TransferSend, |w| {
        for records in &collected.contents.patients {
            collect::note_sent(w.conn(), records)?;
        }
        w.conn().execute(
            "UPDATE transfer_peers SET sent_bundles = ?1 WHERE vault_id = ?2",
            params![bundle_number as i64, peer.vault_id],
        )?;
        w.record(
            Change::new("transfer_bundle", Some(&manifest.bundle_id.to_string())).after(json!({
                "to_vault": peer.vault_id,
                "to": peer.name,
                "bundle": bundle_number,
                "from_seq": from_seq,
                "to_seq": to_seq,
                "counts": manifest.counts,
                "bytes": bytes,
                "sha256": sha256,
            })),
        )
    })?;
    let files = writer.finish()?;
    Ok(BundleWritten {
        files,
        bundle: bundle_number,
        from_seq,
        to_seq,
        counts: manifest.counts,
        bytes,
    })
}

/// The part of a vault id a bundle's name shows: its last 8 digits, which are random (the
/// first ones of a UUIDv7 are the time it was made, alike for vaults made together).
fn short(vault_id: &str) -> &str {
    vault_id
        .get(vault_id.len().saturating_sub(8)..)
        .unwrap_or(vault_id)
}

/// Imports the bundle at `path` (its file, or any of its parts).
pub fn import(session: &mut Session, path: &Path) -> Result<ImportReport> {
    session.authorize(Action::TransferReceive)?;
    let identity = identity::stored_age_identity(&session.conn)?
        .ok_or_else(|| Error::BundleRefused(TransferRefusal::NoIdentityHere))?;
    let parts = bundle::parts_of(path)?;
    let media = session.media.clone();
    let mut written: Vec<Uuid> = Vec::new();
    let mut macs: HashMap<Uuid, [u8; 32]> = HashMap::new();
    let result = (|| -> Result<ImportReport> {
        let conn = &session.conn;
        let vault_id = session.vault_id();
        // Whose bundle it is, checked before anything large is read: only a paired vault
        // can make this one parse records or store images.
        let check_header = |text: &str| -> Result<bundle::HeaderClaims> {
            let claims = bundle::HeaderClaims::peek(text)?;
            let peer = sender(conn, vault_id, claims.from_vault, claims.to_vault)?;
            bundle::HeaderClaims::open(text, &peer.verify_key).map_err(|p| peer.forged(p))
        };
        let read = bundle::read(&parts, &identity, check_header, |blob, bytes| {
            macs.insert(blob, media.content_mac(&bytes));
            if !media.blobs.path(&blob).exists() {
                media.blobs.put(&blob, &bytes)?;
                written.push(blob);
            }
            Ok(())
        })?;
        let manifest = &read.manifest;
        let peer = sender(
            &session.conn,
            session.vault_id(),
            manifest.from_vault,
            manifest.to_vault,
        )?;
        let from = peer.vault_id.clone();
        let signed =
            signing::open(&read.signature, &peer.verify_key).map_err(|p| peer.forged(p))?;
        if signed != read.manifest_sha256 {
            return Err(Error::BundleDamaged(
                "its manifest does not match its signature".into(),
            ));
        }
        if manifest.schema_version != SCHEMA_VERSION {
            return Err(Error::BundleRefused(TransferRefusal::OtherSchema {
                theirs: manifest.schema_version,
                ours: SCHEMA_VERSION,
            }));
        }
        let receipt_for = |session: &Session, received_to: u64| -> Result<(String, String)> {
            let token = ReceiptClaims {
                from_vault: session.vault_id(),
                to_vault: manifest.from_vault,
                received_to,
                bundle: manifest.bundle.max(peer.received_bundle),
                issued_at: clock::now_ms() / 1000,
            }
            .sign(&session.signer());
            let (svg, _) = crate::access::qr_svg(&token, crate::access::SCREEN_MAX_VERSION)?;
            Ok((token, svg))
        };
        let report =
            |applied, note: Option<String>, outcome, (receipt, receipt_qr_svg)| ImportReport {
                from_vault: from.clone(),
                from_name: peer.name.clone(),
                bundle: manifest.bundle,
                applied,
                note,
                counts: manifest.counts,
                outcome,
                receipt,
                receipt_qr_svg,
            };
        if manifest.to_seq <= peer.received_to {
            let note = format!(
                "everything in bundle {} from {} is here already (imported before, or carried by a later bundle): nothing was changed",
                manifest.bundle, peer.name
            );
            return Ok(report(
                false,
                Some(note),
                Applied::default(),
                receipt_for(session, peer.received_to)?,
            ));
        }
        if manifest.from_seq > peer.received_to {
            return Err(Error::BundleRefused(TransferRefusal::Gap {
                bundle: manifest.bundle,
                peer: peer.name.clone(),
                received: peer.received_bundle,
            }));
        }
        let local_media = media.clone();
        let local_mac = move |blob: &Uuid| -> Result<[u8; 32]> {
            Ok(local_media.content_mac(&local_media.blobs.get(blob)?))
        };
        let outcome = session.write(Action::TransferReceive, |w| {
            apply::check_policy(w)?;
            let mut applier = apply::Applier {
                source: apply::Source {
                    vault_id: &from,
                    name: &peer.name,
                },
                macs: &macs,
                local_mac: &local_mac,
                applied: Applied::default(),
            };
            for records in &read.contents.patients {
                applier.patient(w, records)?;
            }
            w.conn().execute(
                "INSERT INTO transfer_imports (from_vault, bundle, from_seq, to_seq, sha256, \
                 imported_at, imported_by, counts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (from_vault, bundle) DO UPDATE SET to_seq = excluded.to_seq, \
                 imported_at = excluded.imported_at",
                params![
                    from,
                    manifest.bundle as i64,
                    manifest.from_seq as i64,
                    manifest.to_seq as i64,
                    read.sha256,
                    clock::now_ms(),
                    w.actor_name(),
                    serde_json::to_string(&manifest.counts).map_err(|_| Error::Internal("cannot serialise a transfer record"))?,
                ],
            )?;
            w.conn().execute(
                "UPDATE transfer_peers SET received_to = ?1, received_bundle = max(received_bundle, ?2) \
                 WHERE vault_id = ?3",
                params![manifest.to_seq as i64, manifest.bundle as i64, from],
            )?;
            w.record(
                Change::new("transfer_bundle", Some(&manifest.bundle_id.to_string())).after(json!({
                    "from_vault": from,
                    "from": peer.name,
                    "bundle": manifest.bundle,
                    "from_seq": manifest.from_seq,
                    "to_seq": manifest.to_seq,
                    "sha256": read.sha256,
                    "outcome": applier.applied,
                })),
            )?;
            Ok(applier.applied)
        })?;
        Ok(report(
            true,
            None,
            outcome,
            receipt_for(session, manifest.to_seq)?,
        ))
    })();
    if result.is_err() {
        // What this import wrote and did not commit a row for; a kill before this line
        // leaves them to the sweep at the next unlock.
        for blob in &written {
            let _ = media.blobs.delete(blob);
        }
    }
    result
}

/// Takes in a receipt from a paired vault: its next bundle from here starts after what it
/// confirmed.
pub fn accept_receipt(session: &mut Session, token: &str) -> Result<ReceiptAccepted> {
    session.authorize(Action::TransferSend)?;
    let unverified = ReceiptClaims::peek(token)?;
    let peer = sender(
        &session.conn,
        session.vault_id(),
        unverified.from_vault,
        unverified.to_vault,
    )?;
    let claims = ReceiptClaims::open(token, &peer.verify_key)?;
    let head = ChainHead::load(&session.conn)?.count;
    if claims.received_to > head {
        return Err(Error::BundleRefused(TransferRefusal::ReceiptBeyond));
    }
    let advanced = claims.received_to > peer.acknowledged_to;
    session.write(Action::TransferSend, |w| {
        w.conn().execute(
            "UPDATE transfer_peers SET acknowledged_to = max(acknowledged_to, ?1) WHERE vault_id = ?2",
            params![claims.received_to as i64, peer.vault_id],
        )?;
        w.record(Change::new("transfer_receipt", Some(&peer.vault_id)).after(json!({
            "from": peer.name,
            "received_to": claims.received_to,
            "bundle": claims.bundle,
            "advanced": advanced,
        })))
    })?;
    Ok(ReceiptAccepted {
        from_vault: peer.vault_id,
        from_name: peer.name,
        acknowledged_to: claims.received_to.max(peer.acknowledged_to),
        advanced,
    })
}

/// The receipt for what this vault holds of `peer`'s bundles, to write again (a lost stick).
pub fn receipt(session: &mut Session, peer: &str) -> Result<(String, String)> {
    session.authorize(Action::TransferReceive)?;
    let peer = paired(&session.conn, peer)?;
    let token = ReceiptClaims {
        from_vault: session.vault_id(),
        to_vault: peer
            .vault_id
            .parse()
            .map_err(|_| Error::CorruptDatabase("a paired vault's id".into()))?,
        received_to: peer.received_to,
        bundle: peer.received_bundle,
        issued_at: clock::now_ms() / 1000,
    }
    .sign(&session.signer());
    let (svg, _) = crate::access::qr_svg(&token, crate::access::SCREEN_MAX_VERSION)?;
    Ok((token, svg))
}
