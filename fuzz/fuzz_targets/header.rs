//! The vault's `header.json` parser on untrusted bytes. The header is the one file of a vault
//! that is not encrypted: anyone who can write to the vault's folder (or hand over a backup)
//! controls it, and every unlock parses it before any key is known. Beyond "never panics":
//!
//! - a refusal is one of the two errors a damaged or newer header is reported as
//!   (`CorruptHeader`, `FutureVersion`), never another error a front end would misreport;
//! - an accepted header holds what the parser promises the rest of the core: the format name,
//!   a version this build reads, at least one key slot, and default Argon2 costs within the
//!   bounds any Tessera writes;
//! - written back as `Header::write` does (pretty JSON, stamped with a format version this
//!   build writes) it reads again as the same header, so a vault whose header is rewritten
//!   (every sign-in failure, every password change, a slot's conversion) keeps what it held.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::Error;
use tessera_core::store::header::{FORMAT_NAME, FORMAT_VERSION, Header};

fuzz_target!(|data: &[u8]| {
    let header = match Header::parse(data) {
        Ok(header) => header,
        Err(Error::CorruptHeader(_) | Error::FutureVersion { .. }) => return,
        Err(other) => panic!("a bad header is reported as {other:?}"),
    };
    assert_eq!(header.format, FORMAT_NAME);
    assert!((1..=FORMAT_VERSION).contains(&header.format_version));
    assert!(
        !header.slots.is_empty(),
        "a header without key slots parsed"
    );
    header
        .kdf_defaults
        .validate()
        .expect("an accepted header's default Argon2 costs are within bounds");

    // What Header::write (crate-private) writes: the serialised header, stamped with the
    // oldest version that holds what it holds. Rather than repeat that rule here, every
    // version it may stamp is tried. Header has no PartialEq (its slots hold wrapped keys):
    // the two are compared as the JSON they serialise to.
    let value = serde_json::to_value(&header).expect("a parsed header serialises");
    for version in 1..=FORMAT_VERSION {
        let mut stamped = value.clone();
        stamped["format_version"] = version.into();
        let mut written = serde_json::to_vec_pretty(&stamped).expect("serialises");
        written.push(b'\n');
        let again = Header::parse(&written).expect("a header written back parses again");
        assert_eq!(
            serde_json::to_value(&again).expect("serialises"),
            stamped,
            "a header written back as version {version} reads as another header"
        );
    }
});
