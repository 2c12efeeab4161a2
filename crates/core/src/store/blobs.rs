//! The encrypted blob store: one file per blob under `media/<xy>/<id>`, where `xy` are the
//! id's last two hex digits (its random part, so directories fill evenly).
//!
//! A blob is `TSB1 | version | 19-byte nonce prefix | chunks`: the plaintext in 64 KiB
//! chunks sealed with XChaCha20-Poly1305 in the STREAM construction (a counter and a
//! last-chunk flag in each nonce), with the blob id as associated data of every chunk. So a
//! flipped bit, a dropped or reordered chunk, a cut-off end, or a blob renamed to another id
//! all fail to open. Files are written to a temp name, synced, renamed into place and the
//! directory synced, before the database row that refers to them commits.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::crypto::{self, SecretKey, Subkey, VaultKeys};
use crate::error::{Error, Result};
use crate::fsutil;

const MAGIC: &[u8; 4] = b"TSB1";
const VERSION: u8 = 1;
const NONCE_LEN: usize = 19;
const HEADER_LEN: usize = MAGIC.len() + 1 + NONCE_LEN;
const CHUNK: usize = 64 * 1024;
const TAG_LEN: usize = 16;
const TEMP_PREFIX: &str = ".tmp-";

/// A blob's path inside `media/`: `<xy>/<id>`. Backups store blobs under `media/` + this.
pub(crate) fn shard_and_name(id: &Uuid) -> String {
    let hex = id.simple().to_string();
    format!("{}/{hex}", &hex[hex.len() - 2..])
}

/// Blobs of one vault, sealed with its media key.
#[derive(Debug)]
pub struct BlobStore {
    dir: PathBuf,
    key: SecretKey,
}

impl BlobStore {
    /// The store in `dir` (the vault's `media/`), sealing with `key` (the media subkey).
    pub fn new(dir: impl Into<PathBuf>, key: SecretKey) -> BlobStore {
        BlobStore {
            dir: dir.into(),
            key,
        }
    }

    /// Where blob `id` lives.
    pub(crate) fn path(&self, id: &Uuid) -> PathBuf {
        self.dir.join(shard_and_name(id))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.expose().into())
    }

    /// Seals `plaintext` as blob `id`, durably. An existing blob with the id is replaced.
    pub fn put(&self, id: &Uuid, plaintext: &[u8]) -> Result<()> {
        let sealed = self.seal(id, plaintext)?;
        self.write_durably(id, &sealed)
    }

    /// Seals `plaintext` as blob `id` into a new file, without syncing anything: for a
    /// writer that builds a store nothing uses yet and syncs it whole at the end (a rekey),
    /// where a sync per file would cost more than the sealing. Returns the file's size.
    pub(crate) fn put_unsynced(&self, id: &Uuid, plaintext: &[u8]) -> Result<u64> {
        let sealed = self.seal(id, plaintext)?;
        let path = self.path(id);
        if let Some(sub) = path.parent() {
            fs::create_dir_all(sub)
                .map_err(Error::io(format!("cannot create {}", sub.display())))?;
        }
        fsutil::create_private_file(&path)?
            .write_all(&sealed)
            .map_err(Error::io(format!("cannot write {}", path.display())))?;
        Ok(sealed.len() as u64)
    }

    fn seal(&self, id: &Uuid, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = crypto::random_bytes::<NONCE_LEN>()?;
        let mut sealed = Vec::with_capacity(
            HEADER_LEN + plaintext.len() + TAG_LEN * (1 + plaintext.len() / CHUNK),
        );
        sealed.extend_from_slice(MAGIC);
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        let mut encryptor = EncryptorBE32::from_aead(self.cipher(), (&nonce).into());
        let mut chunks = plaintext.chunks(CHUNK).peekable();
        let aad = id.as_bytes().as_slice();
        let failed = |_| Error::Crypto("sealing a photo failed");
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            if chunks.peek().is_none() {
                sealed.extend(
                    encryptor
                        .encrypt_last(Payload { msg: chunk, aad })
                        .map_err(failed)?,
                );
                break;
            }
            sealed.extend(
                encryptor
                    .encrypt_next(Payload { msg: chunk, aad })
                    .map_err(failed)?,
            );
        }
        Ok(sealed)
    }

    fn write_durably(&self, id: &Uuid, sealed: &[u8]) -> Result<()> {
        let path = self.path(id);
        let sub = path
            .parent()
            .ok_or(Error::Internal("a blob path has no parent"))?;
        if !sub.exists() {
            // A new directory survives a power cut only once its parent is synced: the
            // vault directory for `media/` itself, `media/` for its subdirectories.
            let new_media_dir = !self.dir.exists();
            fs::create_dir_all(sub)
                .map_err(Error::io(format!("cannot create {}", sub.display())))?;
            if new_media_dir && let Some(vault_dir) = self.dir.parent() {
                fsutil::sync_dir(vault_dir)?;
            }
            fsutil::sync_dir(&self.dir)?;
        }
        let tmp = sub.join(format!("{TEMP_PREFIX}{}", Uuid::now_v7().simple()));
        let written = (|| {
            let mut file = fsutil::create_private_file(&tmp)?;
            file.write_all(sealed)
                .and_then(|()| file.sync_all())
                .map_err(Error::io(format!("cannot write {}", tmp.display())))?;
            fs::rename(&tmp, &path)
                .map_err(Error::io(format!("cannot store {}", path.display())))?;
            fsutil::sync_dir(sub)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// Opens blob `id`, checking every chunk, its order, its end and that it is this id's.
    pub fn get(&self, id: &Uuid) -> Result<Zeroizing<Vec<u8>>> {
        let path = self.path(id);
        let sealed = fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                what: "photo file",
                id: id.to_string(),
            },
            _ => Error::Io {
                context: format!("cannot read {}", path.display()),
                source: e,
            },
        })?;
        self.open_sealed(id, &sealed)
    }

    /// Opens the sealed bytes of blob `id` (read from its file or from a backup), checking
    /// every chunk, its order, its end and that it is this id's.
    pub(crate) fn open_sealed(&self, id: &Uuid, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let corrupt = || Error::CorruptBlob(id.to_string());
        if sealed.len() < HEADER_LEN + TAG_LEN || &sealed[..4] != MAGIC || sealed[4] != VERSION {
            return Err(corrupt());
        }
        let nonce: [u8; NONCE_LEN] = sealed[5..HEADER_LEN].try_into().map_err(|_| corrupt())?;
        let mut decryptor = DecryptorBE32::from_aead(self.cipher(), (&nonce).into());
        let aad = id.as_bytes().as_slice();
        let mut plaintext = Zeroizing::new(Vec::with_capacity(sealed.len()));
        let mut rest = &sealed[HEADER_LEN..];
        while rest.len() > CHUNK + TAG_LEN {
            let (chunk, tail) = rest.split_at(CHUNK + TAG_LEN);
            plaintext.extend(
                decryptor
                    .decrypt_next(Payload { msg: chunk, aad })
                    .map_err(|_| corrupt())?,
            );
            rest = tail;
        }
        plaintext.extend(
            decryptor
                .decrypt_last(Payload { msg: rest, aad })
                .map_err(|_| corrupt())?,
        );
        Ok(plaintext)
    }

    /// Removes blob `id`; a blob already gone is not an error.
    pub fn delete(&self, id: &Uuid) -> Result<()> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io {
                context: format!("cannot delete {}", path.display()),
                source: e,
            }),
        }
    }

    /// Removes what a crash can leave: temp files, and blobs no record refers to
    /// (`referenced` says which are), if older than `min_age` (so a write in progress in
    /// another process is left alone). Returns how many files were removed; one that cannot
    /// be removed is left for the next sweep.
    pub fn sweep(&self, referenced: &dyn Fn(&Uuid) -> bool, min_age: Duration) -> Result<u32> {
        let mut removed = 0;
        let Ok(subdirs) = fs::read_dir(&self.dir) else {
            return Ok(0);
        };
        for sub in subdirs.flatten() {
            let Ok(files) = fs::read_dir(sub.path()) else {
                continue;
            };
            for file in files.flatten() {
                let name = file.file_name().to_string_lossy().into_owned();
                let orphan = match Uuid::try_parse(&name) {
                    Ok(id) => !referenced(&id),
                    Err(_) => name.starts_with(TEMP_PREFIX),
                };
                // One file that cannot go (permissions, a read-only medium) must not keep
                // the others; the next sweep tries it again.
                if orphan
                    && fsutil::older_than(&file.path(), min_age)
                    && fs::remove_file(file.path()).is_ok()
                {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// A vault's blob store and the key of its content fingerprints.
#[derive(Debug)]
pub(crate) struct MediaStore {
    pub(crate) blobs: BlobStore,
    content_key: SecretKey,
}

impl MediaStore {
    pub(crate) fn open(vault_dir: &Path, keys: &VaultKeys, vault_id: &Uuid) -> Arc<MediaStore> {
        Arc::new(MediaStore {
            blobs: BlobStore::new(
                vault_dir.join("media"),
                keys.subkey(vault_id, Subkey::Media),
            ),
            content_key: keys.subkey(vault_id, Subkey::ContentMac),
        })
    }

    /// The keyed fingerprint of a stripped image.
    pub(crate) fn content_mac(&self, bytes: &[u8]) -> [u8; 32] {
        crypto::hmac_sha256(&self.content_key, &[bytes])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::Path;

    fn store(dir: &Path) -> BlobStore {
        BlobStore::new(dir.join("media"), SecretKey::from_bytes([5; 32]))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_blob_round_trips(len in prop_oneof![0usize..100, (CHUNK - 2)..(CHUNK + 2), (3 * CHUNK)..(3 * CHUNK + 40)], byte in any::<u8>()) {
            let dir = tempfile::tempdir().unwrap();
            let s = store(dir.path());
            let id = Uuid::now_v7();
            let data: Vec<u8> = (0..len).map(|i| byte.wrapping_add(i as u8)).collect();
            s.put(&id, &data).unwrap();
            let back = s.get(&id).unwrap();
            prop_assert_eq!(back.as_slice(), data.as_slice());
        }
    }

    #[test]
    fn tampering_truncation_and_swapping_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let data = vec![7u8; 2 * CHUNK + 10];
        s.put(&a, &data).unwrap();
        s.put(&b, b"another photo").unwrap();
        let original = fs::read(s.path(&a)).unwrap();
        let corrupt = |s: &BlobStore, id: &Uuid| matches!(s.get(id), Err(Error::CorruptBlob(_)));

        let mut flipped = original.clone();
        flipped[HEADER_LEN + 100] ^= 1;
        fs::write(s.path(&a), &flipped).unwrap();
        assert!(corrupt(&s, &a), "a flipped bit");

        fs::write(s.path(&a), &original[..HEADER_LEN + CHUNK + TAG_LEN]).unwrap();
        assert!(corrupt(&s, &a), "the last chunks cut off");

        fs::write(s.path(&a), &original[..original.len() - 1]).unwrap();
        assert!(corrupt(&s, &a), "one byte short");

        fs::copy(s.path(&b), s.path(&a)).unwrap();
        assert!(corrupt(&s, &a), "another blob under this id");

        assert!(matches!(
            s.get(&Uuid::now_v7()),
            Err(Error::NotFound { .. })
        ));
    }

    #[test]
    fn stored_files_hold_no_image_bytes_and_sweep_removes_only_old_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let (kept, orphan) = (Uuid::now_v7(), Uuid::now_v7());
        let jpeg_like = [&[0xFF, 0xD8, 0xFF, 0xE0][..], b"JFIF pixels"].concat();
        s.put(&kept, &jpeg_like).unwrap();
        s.put(&orphan, &jpeg_like).unwrap();
        let bytes = fs::read(s.path(&kept)).unwrap();
        assert!(!bytes.windows(3).any(|w| w == [0xFF, 0xD8, 0xFF]));
        let tmp = s
            .path(&kept)
            .parent()
            .unwrap()
            .join(format!("{TEMP_PREFIX}crashed"));
        fs::write(&tmp, b"half").unwrap();

        let referenced = |id: &Uuid| *id == kept;
        assert_eq!(
            s.sweep(&referenced, Duration::from_secs(3600)).unwrap(),
            0,
            "young files stay"
        );
        assert_eq!(s.sweep(&referenced, Duration::ZERO).unwrap(), 2);
        assert!(s.get(&kept).is_ok());
        assert!(matches!(s.get(&orphan), Err(Error::NotFound { .. })));
        assert!(!tmp.exists());
        s.delete(&kept).unwrap();
        s.delete(&kept).unwrap();
    }
}
