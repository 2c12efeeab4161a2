//! Unlock cost and audit append throughput.
//!
//! `cargo bench -p tessera-core --bench vault`. Targets (issue #2): unlock ≤ 0.5 s with the
//! default Argon2id parameters, and ≥ 20,000 audit appends per second in one transaction.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::audit_chain::Change;
use tessera_core::crypto::{self, Argon2Params};
use tessera_core::policy::Action;
use tessera_core::vault::{self, Credentials, NewVault};

const PASSWORD: &str = "benchmark passphrase";

fn new_vault(kdf: Argon2Params) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let new = NewVault {
        admin_username: "ana",
        admin_display_name: "Ana",
        admin_password: PASSWORD,
        kdf,
    };
    vault::create(&dir, &new).unwrap();
    (tmp, dir)
}

fn unlock(c: &mut Criterion) {
    let (_tmp, dir) = new_vault(Argon2Params::STANDARD);
    let mut group = c.benchmark_group("unlock");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("argon2id_standard", |b| {
        b.iter(|| {
            crypto::argon2id_key(
                black_box(PASSWORD.as_bytes()),
                &[7; 16],
                &Argon2Params::STANDARD,
            )
            .unwrap()
        })
    });
    group.bench_function("unlock_standard_and_lock", |b| {
        b.iter(|| {
            let session = vault::unlock(
                &dir,
                &Credentials::Password {
                    username: "ana",
                    password: PASSWORD,
                },
            )
            .unwrap();
            session.lock();
        })
    });
    group.finish();
}

fn audit_append(c: &mut Criterion) {
    const ENTRIES: u64 = 10_000;
    let (_tmp, dir) = new_vault(Argon2Params::MINIMUM);
    let mut session = vault::unlock(
        &dir,
        &Credentials::Password {
            username: "ana",
            password: PASSWORD,
        },
    )
    .unwrap();
    let mut group = c.benchmark_group("audit");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(ENTRIES));
    group.bench_function("append_10k_in_one_transaction", |b| {
        b.iter(|| {
            session
                .write(Action::StaffAdd, |w| {
                    for i in 0..ENTRIES {
                        let change = Change::new("bench", Some(&i.to_string()))
                            .after(serde_json::json!({ "field": "value", "n": i }));
                        w.record(change)?;
                    }
                    Ok(())
                })
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, unlock, audit_append);
criterion_main!(benches);
