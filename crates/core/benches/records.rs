//! Patient records at scale: search, opening a chart with its last 50 visits, registering a
//! patient, on a vault of 100,000 patients, 500,000 encounters and 1,000,000 narrative
//! revisions; then the same calls on an unencrypted copy of the same vault, so the cost of
//! encryption is measured by running the very same code.
//!
//! `cargo bench -p tessera-core --features bench-plaintext --bench records`
//! Targets (issue #3): search p95 ≤ 10 ms, chart p95 ≤ 5 ms, insert p95 ≤ 2 ms, and
//! encrypted ≤ 1.3× plaintext. `TESSERA_BENCH_PATIENTS=10000` runs a smaller vault. The
//! vault is generated once (several minutes) and kept under the target directory.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use tessera_core::crypto::Argon2Params;
use tessera_core::listing::Listing;
use tessera_core::patients::{self, Profile};
use tessera_core::seed::{self, SeedSpec};
use tessera_core::vault::{self, Credentials, NewVault, plaintext};
use tessera_core::{Session, chart};

const PASSWORD: &str = "benchmark passphrase";
const SAMPLES: usize = 400;

fn fixture(patients: u32) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "records-s{}-{patients}",
        tessera_core::store::database::SCHEMA_VERSION
    ));
    if root.join("ready").exists() {
        return root;
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let new = NewVault {
        admin_username: "ana",
        admin_display_name: "Ana",
        admin_password: PASSWORD,
        kdf: Argon2Params::MINIMUM,
    };
    vault::create(&root.join("vault"), &new).unwrap();
    let mut session = unlock(&root);
    let spec = SeedSpec {
        patients,
        encounters_per_patient: 5,
        narratives_per_patient: 2,
        revisions_per_narrative: 5,
        seed: 7,
    };
    let started = Instant::now();
    let report = seed::populate(&mut session, &spec, &mut |r| {
        if r.patients % 10_000 == 0 {
            eprintln!("seeded {} patients ({:.0?})", r.patients, started.elapsed());
        }
    })
    .unwrap();
    eprintln!("fixture: {report:?} in {:.1?}", started.elapsed());
    plaintext::copy(&session, &root.join("plain")).unwrap();
    std::fs::write(root.join("ready"), b"").unwrap();
    root
}

fn unlock(root: &Path) -> Session {
    let credentials = Credentials::Password {
        username: "ana",
        password: PASSWORD,
    };
    vault::unlock(&root.join("vault"), &credentials).unwrap()
}

/// Search terms as staff type them: a full name, a family name, a prefix of a given name,
/// a human id, a phone number, and a word from a narrative.
fn queries(session: &mut Session) -> Vec<String> {
    let sample = patients::list(session, Listing::Current, 200).unwrap();
    let mut queries = Vec::new();
    for (i, p) in sample.iter().enumerate() {
        queries.push(match i % 5 {
            0 => format!("{} {}", p.given_name, p.family_name),
            1 => p.family_name.clone(),
            2 => p.given_name.chars().take(3).collect(),
            3 => p.human_id.clone(),
            _ => patients::get(session, &p.id)
                .unwrap()
                .profile
                .phone
                .unwrap(),
        });
    }
    queries.push("tomatoes garden".into());
    queries
}

struct Percentiles {
    p50: Duration,
    p95: Duration,
}

fn percentiles(mut op: impl FnMut(usize)) -> Percentiles {
    let mut times: Vec<Duration> = (0..SAMPLES)
        .map(|i| {
            let start = Instant::now();
            op(i);
            start.elapsed()
        })
        .collect();
    times.sort();
    Percentiles {
        p50: times[SAMPLES / 2],
        p95: times[SAMPLES * 95 / 100],
    }
}

type Op = fn(&mut Session, &[String], usize);

fn search(s: &mut Session, queries: &[String], i: usize) {
    patients::search(s, &queries[i % queries.len()], 50).unwrap();
}

fn open_chart(s: &mut Session, ids: &[String], i: usize) {
    let chart = chart::open(s, &ids[i % ids.len()], 50).unwrap();
    assert_eq!(chart.encounters.len(), 5);
}

fn insert(s: &mut Session, _: &[String], i: usize) {
    patients::create(
        s,
        Profile::named("Bench", &format!("Insert{i}")),
        patients::Registration::CheckDuplicates,
    )
    .unwrap();
}

/// The check a registration makes: a birth date and a phone many patients could share.
fn duplicate_check(s: &mut Session, _: &[String], i: usize) {
    let mut profile = Profile::named("Bench", &format!("Check{i}"));
    profile.date_of_birth = Some("1980-01-01".into());
    profile.phone = Some(format!("+33 6 12 34 {:02} {:02}", i % 100, i / 100 % 100));
    patients::duplicates(s, &profile).unwrap();
}

fn main() {
    let patients: u32 = std::env::var("TESSERA_BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let root = fixture(patients);
    let mut encrypted = unlock(&root);
    let mut plain = plaintext::open(&encrypted, &root.join("plain")).unwrap();
    let queries = queries(&mut encrypted);
    let ids: Vec<String> = patients::list(&mut encrypted, Listing::Current, 500)
        .unwrap()
        .into_iter()
        .map(|p| p.human_id)
        .collect();

    let ops: [(&str, Op, &[String]); 4] = [
        ("search", search, &queries),
        ("open_chart_50_encounters", open_chart, &ids),
        ("insert_patient_with_audit", insert, &ids),
        ("duplicate_check", duplicate_check, &ids),
    ];
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    for (name, op, input) in ops {
        let mut group = c.benchmark_group(name);
        let mut i = 0;
        group.bench_function("sqlcipher", |b| {
            b.iter(|| {
                i += 1;
                op(&mut encrypted, input, i)
            })
        });
        group.bench_function("plain_sqlite", |b| {
            b.iter(|| {
                i += 1;
                op(&mut plain, input, i)
            })
        });
        group.finish();
    }
    c.final_summary();

    println!("\n{patients} patients; {SAMPLES} calls each");
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "operation", "enc p50", "enc p95", "plain p50", "plain p95", "ratio"
    );
    for (name, op, input) in ops {
        let enc = percentiles(|i| op(&mut encrypted, input, i));
        let pla = percentiles(|i| op(&mut plain, input, i));
        println!(
            "{name:<28} {:>10.2?} {:>10.2?} {:>10.2?} {:>10.2?} {:>6.2}x",
            enc.p50,
            enc.p95,
            pla.p50,
            pla.p95,
            enc.p50.as_secs_f64() / pla.p50.as_secs_f64()
        );
    }
}
