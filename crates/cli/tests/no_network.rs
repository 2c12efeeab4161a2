//! Tessera never calls the network: every command of a clinic day, traced with strace,
//! opens no internet socket (only local ones, if any).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::ADMIN_PW;

#[test]
fn a_clinic_day_through_the_cli_opens_no_internet_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    let trace = tmp.path().join("trace");
    let bin = assert_cmd::cargo::cargo_bin("tessera");
    let photo = tmp.path().join("wound.jpg");
    image::RgbImage::from_fn(800, 600, |x, y| image::Rgb([x as u8, y as u8, 128]))
        .save_with_format(&photo, image::ImageFormat::Jpeg)
        .unwrap();
    let photo = photo.to_str().unwrap();
    let steps: &[&[&str]] = &[
        &[
            "init",
            "--admin",
            "ana",
            "--argon2-memory-mib",
            "19",
            "--argon2-passes",
            "2",
        ],
        &[
            "--user",
            "ana",
            "patient",
            "add",
            "--given",
            "Inês",
            "--family",
            "Lopes",
            "--phone",
            "912 000 111",
        ],
        &["--user", "ana", "patient", "search", "lopes"],
        &["--user", "ana", "dev", "seed", "--patients", "3"],
        &["--user", "ana", "patient", "list"],
        &["--user", "ana", "audit", "verify"],
    ];
    let traced = |i: usize, args: &[&str]| -> String {
        let out_file = trace.with_extension(i.to_string());
        let status = Command::new("strace")
            .arg("-f")
            .arg("-qq")
            .args(["-e", "trace=socket,connect,sendto"])
            .arg("-o")
            .arg(&out_file)
            .arg(&bin)
            .args(args)
            .env("TESSERA_VAULT", &vault)
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .env("TESSERA_BACKUP_PASSPHRASE", "a long backup passphrase")
            .env_remove("TESSERA_USER")
            .output()
            .expect("strace is installed by scripts/setup.sh");
        assert!(
            status.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let calls = std::fs::read_to_string(&out_file).unwrap();
        for line in calls.lines() {
            assert!(
                !line.contains("AF_INET")
                    && !line.contains("sin_addr")
                    && !line.contains("sin6_addr"),
                "{args:?} touched the network: {line}"
            );
        }
        String::from_utf8_lossy(&status.stdout).into_owned()
    };
    let mut human_id = String::new();
    for (i, args) in steps.iter().enumerate() {
        let out = traced(i, args);
        if args.contains(&"add") {
            human_id = out.trim().to_owned();
        }
    }
    traced(
        steps.len(),
        &["--user", "ana", "photo", "import", &human_id, photo],
    );
    let backups = tmp.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let backups = backups.to_str().unwrap();
    traced(
        steps.len() + 1,
        &["--user", "ana", "backup", "create", "--dest", backups],
    );
    let file = std::fs::read_dir(backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    traced(
        steps.len() + 2,
        &["--user", "ana", "backup", "verify", file.to_str().unwrap()],
    );
}
