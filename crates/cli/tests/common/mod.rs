//! Helpers shared by the integration tests: a fresh vault in a temp dir, and the `tessera`
//! binary run against it with a clean environment.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub const ADMIN_PW: &str = "admin passphrase 1";

/// A real JPEG photo, `width`×`height`, whose pixels depend on `seed`.
pub fn write_jpeg(path: &Path, width: u32, height: u32, seed: u32) {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let n = x.wrapping_mul(seed | 1) ^ y.wrapping_mul(31);
        image::Rgb([(x / 4 + seed) as u8, (y / 3) as u8, (n % 64) as u8 + 96])
    });
    img.save_with_format(path, image::ImageFormat::Jpeg)
        .unwrap();
}

pub struct TestVault {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub recovery_key: String,
}

/// A new age identity written to `path` by the standard `age-keygen`; returns the path and
/// its public key.
pub fn age_keygen(path: &Path) -> (PathBuf, String) {
    let keygen = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(path)
        .output()
        .unwrap();
    assert!(keygen.status.success());
    let public = String::from_utf8(keygen.stderr).unwrap();
    let public = public.trim().trim_start_matches("Public key: ").to_owned();
    (path.to_path_buf(), public)
}

/// A `tessera` command with a clean environment, pointed at `dir`.
pub fn tessera(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tessera").unwrap();
    for var in [
        "TESSERA_USER",
        "TESSERA_PASSWORD",
        "TESSERA_NEW_PASSWORD",
        "TESSERA_RECOVERY_KEY",
        "TESSERA_BACKUP_PASSPHRASE",
        "TESSERA_EXPORT_PASSPHRASE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("TESSERA_VAULT", dir);
    cmd
}

impl TestVault {
    /// A new vault with the admin `ana`, and Argon2 settings cheap enough for tests.
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("vault");
        let out = tessera(&dir)
            .args([
                "init",
                "--admin",
                "ana",
                "--display-name",
                "Ana Souza",
                "--json",
            ])
            .args(["--argon2-memory-mib", "19", "--argon2-passes", "2"])
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .assert()
            .success();
        let created: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let recovery_key = created["recovery_key"].as_str().unwrap().to_owned();
        TestVault {
            _tmp: tmp,
            dir,
            recovery_key,
        }
    }

    /// `count` JPEG photos of `width`×`height` written beside the vault as `<prefix>-<n>.jpg`.
    pub fn jpegs(&self, prefix: &str, count: u32, width: u32, height: u32) -> Vec<PathBuf> {
        (0..count)
            .map(|i| {
                let path = self.file(&format!("{prefix}-{i}.jpg"));
                write_jpeg(&path, width, height, i + 1);
                path
            })
            .collect()
    }

    /// A path inside the vault's temp dir (beside the vault), for input files.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.with_file_name(name)
    }

    pub fn as_user(&self, user: &str, password: &str) -> Command {
        let mut cmd = tessera(&self.dir);
        cmd.env("TESSERA_USER", user)
            .env("TESSERA_PASSWORD", password);
        cmd
    }

    pub fn admin(&self) -> Command {
        self.as_user("ana", ADMIN_PW)
    }

    /// `tessera ARGS` as the admin, started in the background with its output discarded,
    /// for tests that kill it part-way.
    pub fn spawn_admin<A: AsRef<std::ffi::OsStr>>(
        &self,
        args: impl IntoIterator<Item = A>,
    ) -> std::process::Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("tessera"))
            .env("TESSERA_VAULT", &self.dir)
            .env("TESSERA_USER", "ana")
            .env("TESSERA_PASSWORD", ADMIN_PW)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Runs `cmd --json`, expecting success, and parses stdout.
    pub fn json(&self, cmd: &mut Command) -> Value {
        let out = cmd.arg("--json").assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }

    /// Adds a staff account (as the admin).
    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        self.admin()
            .args(["user", "add", name, "--role", role])
            .env("TESSERA_NEW_PASSWORD", password)
            .assert()
            .success();
    }
}

/// Runs `cmd` expecting exit `code`, and returns its stderr (never a panic).
pub fn stderr(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code);
    let text = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// Runs `cmd` expecting success, and returns its stdout and stderr.
pub fn output(cmd: &mut Command) -> (String, String) {
    let out = cmd.assert().success();
    let out = out.get_output();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
