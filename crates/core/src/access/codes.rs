//! 6-digit access codes: drawn from the operating system's CSPRNG, stored only as a keyed
//! MAC, and guarded by a rate limit whose state lives in the encrypted database.
//!
//! A million codes is a small space, so guessing is what the limit is for: per
//! workstation, and per grant where the grant is known (the patient's id was typed beside
//! the code, or the right code hit a grant under attack), five failures within an hour are
//! free; after that each attempt waits 30 s, doubling per further failure, up to an hour.

use rusqlite::{Connection, params};

use crate::crypto::{self, SecretKey};
use crate::error::{Error, Result};

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;
/// Failures within [`FAILURE_WINDOW_MS`] that cost nothing.
pub const FREE_FAILURES: u32 = 5;
/// How long a failure counts.
pub const FAILURE_WINDOW_MS: i64 = 60 * 60 * 1_000;
const FIRST_DELAY_MS: i64 = 30_000;

/// A fresh code: uniform over 000000–999999 (rejection sampling, no modulo bias).
pub(crate) fn generate() -> Result<String> {
    loop {
        let n = u32::from_le_bytes(crypto::random_bytes::<4>()?);
        // 4_294_000_000 is the largest multiple of 10^6 below 2^32.
        if n < 4_294_000_000 {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// The code as typed (`123 456`, `123-456`) in its six-digit form, or why it is not one.
pub(crate) fn normalize(typed: &str) -> Result<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .collect();
    if digits.len() != CODE_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            "code",
            format!("an access code is {CODE_DIGITS} digits, like 123 456"),
        ));
    }
    Ok(digits)
}

/// What is stored for a code.
pub(crate) fn mac(key: &SecretKey, code: &str) -> [u8; 32] {
    crypto::hmac_sha256(key, &[b"tessera/access-code/v1\0", code.as_bytes()])
}

/// This machine, as the rate limit counts it: a keyed digest of `/etc/machine-id` (or the
/// host name), so the vault holds no identifier that means anything outside it.
pub(crate) fn workstation(key: &SecretKey) -> String {
    let name = [
        "/etc/machine-id",
        "/var/lib/dbus/machine-id",
        "/proc/sys/kernel/hostname",
    ]
    .iter()
    .find_map(|path| std::fs::read_to_string(path).ok())
    .unwrap_or_default();
    let digest = crypto::hmac_sha256(key, &[b"tessera/workstation/v1\0", name.trim().as_bytes()]);
    data_encoding::HEXLOWER.encode(&digest[..8])
}

/// How long the holder of `workstation` (and of `grant`, when known) must still wait
/// before another attempt, in seconds; 0 when an attempt may go ahead now.
pub(crate) fn wait_secs(
    conn: &Connection,
    workstation: &str,
    grant: Option<&str>,
    now: i64,
) -> Result<u64> {
    // The failures counted against one workstation or one grant within the window.
    let failures = |column: &str, value: &str| -> Result<(u32, Option<i64>)> {
        Ok(conn.query_row(
            &format!(
                "SELECT count(*), max(at) FROM access_failures WHERE {column} = ?1 AND at > ?2"
            ),
            params![value, now - FAILURE_WINDOW_MS],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    };
    let mut wait = delay_after(failures("workstation", workstation)?, now);
    if let Some(grant) = grant {
        wait = wait.max(delay_after(failures("grant_id", grant)?, now));
    }
    Ok((wait as u64).div_ceil(1_000))
}

/// Milliseconds still to wait after `failures` failures, the last at `last`.
fn delay_after((failures, last): (u32, Option<i64>), now: i64) -> i64 {
    let Some(last) = last else { return 0 };
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(7);
    let delay = (FIRST_DELAY_MS << doublings).min(FAILURE_WINDOW_MS);
    (last + delay - now).max(0)
}

/// Counts a failure against the workstation and, for each of `grants`, against that grant;
/// forgets failures older than the window.
pub(crate) fn note_failure(
    conn: &Connection,
    workstation: &str,
    grants: &[String],
    now: i64,
) -> Result<()> {
    conn.execute(
        "DELETE FROM access_failures WHERE at <= ?1",
        [now - FAILURE_WINDOW_MS],
    )?;
    if grants.is_empty() {
        conn.execute(
            "INSERT INTO access_failures (at, workstation, grant_id) VALUES (?1, ?2, NULL)",
            params![now, workstation],
        )?;
    }
    for grant in grants {
        conn.execute(
            "INSERT INTO access_failures (at, workstation, grant_id) VALUES (?1, ?2, ?3)",
            params![now, workstation, grant],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_typed_forms_normalise() {
        for _ in 0..200 {
            let code = generate().unwrap();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(normalize(" 012-345 ").unwrap(), "012345");
        assert!(normalize("12345").is_err());
        assert!(normalize("12345a").is_err());
        assert!(normalize("١٢٣٤٥٦").is_err(), "only ASCII digits");
    }

    #[test]
    fn five_failures_are_free_then_the_wait_doubles_up_to_an_hour() {
        let now = 10_000_000;
        assert_eq!(delay_after((4, Some(now)), now), 0);
        assert_eq!(delay_after((5, Some(now)), now), 30_000);
        assert_eq!(delay_after((6, Some(now)), now), 60_000);
        assert_eq!(delay_after((5, Some(now - 20_000)), now), 10_000);
        assert_eq!(delay_after((40, Some(now)), now), FAILURE_WINDOW_MS);
    }
}
