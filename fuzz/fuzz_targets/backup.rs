//! The backup reader on untrusted contents: `backup::verify`, as `tessera backup verify` and
//! the app run it on a file someone hands over.
//!
//! The input is the plain tar inside a backup (what `age -d` prints), not the age file: the
//! age layer authenticates every byte, so random bytes fed to it would only exercise age's
//! header parser and then stop. Each input is encrypted here to an X25519 key made for the
//! run (fast; a passphrase would cost a scrypt per input) and verified with that key, so what
//! is fuzzed is what runs after decryption: the tar walk and its member checks (names, order,
//! only regular members, size caps), the marker, the header and its key slot, the snapshot
//! copy, the blobs, the manifest against the members read, its references, the row counts and
//! the audit head.
//!
//! The seed (fuzz/make-seeds.sh) is a real backup of a throwaway vault whose recovery key is
//! fuzz_targets/backup.recovery-key: verifying with it opens the header's recovery slot
//! (fast; a password slot would cost an Argon2 per input), so inputs that keep the header
//! whole get past it to the snapshot, the blobs and the manifest; the run stops at once if
//! the seed itself no longer verifies. Before encrypting, the tar checksums of the input's
//! member headers are set right (see `fix_checksums`).
//!
//! Beyond "never panics": a refusal is an error that says the backup is damaged, newer or
//! not a backup, that its key slot does not open, or that it would not fit on the disk; never
//! an I/O or internal error, which a front end would report as a failing disk or a bug; and a
//! backup that passes is what verify promises.
#![no_main]

use std::io::Write;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tessera_core::Error;
use tessera_core::archive::Decryption;
use tessera_core::backup;
use tessera_core::store::recovery::RecoveryKey;
use tessera_core::vault::Credentials;

/// The committed seed and the recovery key of the vault it was taken of (both written by
/// fuzz/make-seeds.sh).
const SEED: &[u8] = include_bytes!("../corpus/backup/seed-full.tar");
const SEED_RECOVERY_KEY: &str = include_str!("backup.recovery-key");

struct Fixture {
    recipient: age::x25519::Recipient,
    key: Decryption,
    recovery: RecoveryKey,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let identity = age::x25519::Identity::generate();
    let fixture = Fixture {
        recipient: identity.to_public(),
        key: Decryption::Identities(vec![Box::new(identity)]),
        recovery: RecoveryKey::parse(SEED_RECOVERY_KEY).expect("the seed vault's recovery key"),
    };
    // A change to the vault's or the backup's format can leave the seed unreadable: every
    // input would then stop at its header and the run would fuzz nothing deeper, silently.
    // Not a finding: stop on the first input, saying what to do (libFuzzer still saves that
    // input, usually the empty one, as a crash).
    if let Err(e) = verify(&fixture, SEED) {
        eprintln!(
            "fuzz backup: the seed no longer verifies ({e}); remake it with `fuzz/make-seeds.sh backup`"
        );
        std::process::exit(1);
    }
    fixture
});

fuzz_target!(|data: &[u8]| {
    match verify(&FIXTURE, data) {
        Ok(report) => check_report(&report),
        // A member header that is damaged, a member out of place, a hash that differs, a
        // snapshot that does not open, a manifest that does not match.
        Err(Error::BackupDamaged { .. })
        // No marker, another format, a newer version.
        | Err(Error::BackupUnsupported(_) | Error::FutureVersion { .. })
        // The header inside it cannot be read.
        | Err(Error::CorruptHeader(_))
        // The header inside has no recovery slot, or one that this key does not open.
        | Err(Error::BadRecoveryKey)
        // A member claims more bytes than the disk has: refused before anything is written.
        | Err(Error::BackupNoSpace { .. }) => {}
        Err(other) => panic!("a damaged backup is reported as {other:?}"),
    }
});

/// Verifies `plain` (its tar checksums set right) as the backup file of the vault the
/// seed was taken of, encrypted to the run's key, with that vault's recovery key.
fn verify(fixture: &Fixture, plain: &[u8]) -> tessera_core::Result<backup::VerifyReport> {
    let mut plain = plain.to_vec();
    fix_checksums(&mut plain);
    // verify reads a file, and looks beside it for the earlier backups an incremental one
    // refers to: a directory with this file alone in it, one per process so that parallel
    // jobs (`-jobs`, `-fork`) stay apart. Whatever a crashed run left there goes first.
    let dir = std::env::temp_dir().join(format!("tessera-fuzz-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("a directory for the input");
    let file = dir.join(FILE_NAME);
    std::fs::write(&file, encrypt(&fixture.recipient, &plain)).expect("the input is written");

    let credentials = Credentials::Recovery(&fixture.recovery);
    let result = backup::verify(&file, &fixture.key, &credentials, None);
    std::fs::remove_dir_all(&dir).expect("the input's directory is removed");
    result
}

/// The name the input is verified under.
const FILE_NAME: &str = "tessera-backup-fuzz-full.age";

/// What `backup create` writes: the plain tar encrypted with age to one X25519 recipient.
fn encrypt(recipient: &age::x25519::Recipient, plain: &[u8]) -> Vec<u8> {
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .expect("one recipient");
    let mut out = Vec::with_capacity(plain.len() + 4096);
    let mut writer = encryptor.wrap_output(&mut out).expect("age header");
    writer.write_all(plain).expect("encrypts into memory");
    writer.finish().expect("encrypts into memory");
    out
}

/// libFuzzer knows nothing of tar: almost any change to a member's 512-byte header would
/// break its checksum, and the tar reader would refuse it before our checks see it. Setting
/// each header's checksum right (walking the members as the reader will: header, then its
/// data rounded up to 512 bytes, up to the all-zero end block) lets changes to a member's
/// type, name and size reach the checks of the backup reader itself.
fn fix_checksums(tar: &mut [u8]) {
    let mut at = 0usize;
    while let Some(block) = tar.get_mut(at..at.saturating_add(512)) {
        if block.iter().all(|&b| b == 0) {
            return;
        }
        let mut header = tar::Header::new_old();
        header.as_mut_bytes().copy_from_slice(block);
        header.set_cksum();
        block.copy_from_slice(header.as_bytes());
        let Some(next) = header
            .entry_size()
            .ok()
            .and_then(|size| usize::try_from(size.div_ceil(512)).ok())
            .and_then(|blocks| blocks.checked_add(1)?.checked_mul(512))
            .and_then(|len| at.checked_add(len))
        else {
            return;
        };
        at = next;
    }
}

/// A backup that passed: the report holds what it checked.
fn check_report(report: &backup::VerifyReport) {
    assert!(report.file.ends_with(FILE_NAME), "{report:?}");
    // backup.json, header.json and vault.db at least, then one member per blob stored in it.
    assert!(report.members >= 3, "{report:?}");
    assert!(
        report.chain.iter().all(|name| !name.contains('/')),
        "it followed a reference out of its directory: {report:?}"
    );
}
