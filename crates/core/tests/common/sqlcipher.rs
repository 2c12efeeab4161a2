//! Reading a vault's files the way someone holding the raw database key could: every page
//! of `vault.db` and every frame of `vault.db-wal` decrypted here, outside SQLCipher, so a
//! test can search the plaintext of everything on disk, free pages and stale frames included.
//!
//! SQLCipher 4 as the vault configures it: 4096-byte pages, each ending in a 48-byte
//! reserve (16-byte IV, 32-byte HMAC-SHA256); the rest is AES-256-CBC under the raw key.
//! Page 1 starts with the database's 16-byte salt, in the clear.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::NoPadding};

const PAGE: usize = 4096;
const RESERVE: usize = 48;
const IV: usize = 16;
const SALT: usize = 16;
const WAL_HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

type Decryptor = cbc::Decryptor<aes::Aes256>;

fn decrypt_page(key: &[u8; 32], page: &[u8], first: bool) -> Vec<u8> {
    assert_eq!(page.len(), PAGE);
    let start = if first { SALT } else { 0 };
    let iv = &page[PAGE - RESERVE..PAGE - RESERVE + IV];
    let mut data = page[start..PAGE - RESERVE].to_vec();
    Decryptor::new(key.into(), iv.into())
        .decrypt_padded_mut::<NoPadding>(&mut data)
        .unwrap();
    data
}

/// The plaintext of every page of the database file (page 1 without its salt).
pub fn database_pages(path: &Path, key: &[u8; 32]) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        bytes.len() % PAGE,
        0,
        "{} is not whole pages",
        path.display()
    );
    bytes
        .chunks(PAGE)
        .enumerate()
        .map(|(i, page)| decrypt_page(key, page, i == 0))
        .collect()
}

/// The plaintext of every frame in a WAL file, valid or stale (none if there is no WAL).
pub fn wal_pages(path: &Path, key: &[u8; 32]) -> Vec<Vec<u8>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    if bytes.len() < WAL_HEADER {
        return Vec::new();
    }
    bytes[WAL_HEADER..]
        .chunks(FRAME_HEADER + PAGE)
        .filter(|frame| frame.len() == FRAME_HEADER + PAGE)
        .map(|frame| {
            let page_number = u32::from_be_bytes(frame[..4].try_into().unwrap());
            decrypt_page(key, &frame[FRAME_HEADER..], page_number == 1)
        })
        .collect()
}

/// Every page of a vault's database and WAL, decrypted and lower-cased (ASCII), with
/// where each came from.
pub fn vault_plaintext(dir: &Path, key: &[u8; 32]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, page) in database_pages(&dir.join("vault.db"), key)
        .into_iter()
        .enumerate()
    {
        out.push((
            format!("vault.db page {}", i + 1),
            page.to_ascii_lowercase(),
        ));
    }
    for (i, page) in wal_pages(&dir.join("vault.db-wal"), key)
        .into_iter()
        .enumerate()
    {
        out.push((
            format!("vault.db-wal frame {}", i + 1),
            page.to_ascii_lowercase(),
        ));
    }
    out
}

/// Where each of `needles` (compared ignoring ASCII case) occurs in the decrypted database
/// and WAL, and in header.json.
pub fn find_in_vault(dir: &Path, key: &[u8; 32], needles: &[&str]) -> Vec<String> {
    let mut pages = vault_plaintext(dir, key);
    pages.push((
        "header.json".into(),
        std::fs::read(dir.join("header.json"))
            .unwrap()
            .to_ascii_lowercase(),
    ));
    let mut found = Vec::new();
    for needle in needles {
        let lower = needle.to_ascii_lowercase();
        let needle = lower.as_bytes();
        for (place, page) in &pages {
            if page.windows(needle.len()).any(|w| w == needle) {
                found.push(format!("{lower:?} in {place}"));
            }
        }
    }
    found
}
