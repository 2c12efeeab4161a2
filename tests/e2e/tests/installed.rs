//! The installed package, cut off from any network: the app from the .deb (`/usr/bin/
//! tessera-app`) through setup, sign-in and a patient registered, and the CLI from the same
//! package through a whole clinic workflow (init, patient, photo, backup, verify, restore),
//! all inside a network namespace with only loopback and under `strace -f`. Any socket other
//! than a local one fails the test.
//!
//! `scripts/test-install.sh` installs the package and runs this inside `unshare -n`; the test
//! refuses to run anywhere a network interface other than loopback exists, because there it
//! would prove nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tessera_e2e::{App, Options, PASSWORD, Result};

fn installed(var: &str, default: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(var).unwrap_or_else(|| default.into()))
}

/// Fails unless this process sees no network interface but loopback. `/proc/net/dev` is the
/// process's own network namespace (`/sys/class/net` is whichever one sysfs was mounted in).
fn assert_cut_off_from_the_network() {
    let devices = std::fs::read_to_string("/proc/net/dev").unwrap();
    let interfaces: Vec<&str> = devices
        .lines()
        .skip(2)
        .filter_map(|line| line.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(
        interfaces,
        ["lo"],
        "run this test inside `unshare -n` (scripts/test-install.sh does)"
    );
}

/// Calls in an strace log that address another machine: a connect, bind or send on an
/// internet socket to anything but loopback. (Netlink and Unix sockets are the desktop
/// talking to itself.)
fn calls_beyond_loopback(log: &str) -> Vec<String> {
    log.lines()
        .filter(|line| {
            let addressed = ["connect(", "bind(", "sendto(", "sendmsg("]
                .iter()
                .any(|call| line.contains(call));
            let internet = line.contains("sa_family=AF_INET");
            let loopback = ["inet_addr(\"127.", "\"::1\"", "\"::ffff:127."]
                .iter()
                .any(|address| line.contains(address));
            addressed && internet && !loopback
        })
        .map(str::to_owned)
        .collect()
}

/// Internet sockets created at all: the CLI has no reason for any.
fn internet_sockets(log: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains("socket(AF_INET"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_installed_cli_runs_a_clinic_workflow_with_no_network() {
    assert_cut_off_from_the_network();
    let cli = installed("TESSERA_INSTALLED_CLI", "/usr/bin/tessera");
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    let restored = tmp.path().join("restored");
    let backups = tmp.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let photo = tmp.path().join("wound.png");
    image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&photo)
        .unwrap();
    let mut step = 0;
    let mut run = |args: &[&str], vault: &Path| -> String {
        step += 1;
        let log = tmp.path().join(format!("strace.{step}"));
        let out = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=network", "-o"])
            .arg(&log)
            .arg(&cli)
            .args(args)
            .env("TESSERA_VAULT", vault)
            .env("TESSERA_PASSWORD", PASSWORD)
            .env(
                "TESSERA_BACKUP_PASSPHRASE",
                "a long backup passphrase for the stick",
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let trace = std::fs::read_to_string(&log).unwrap();
        let calls = [calls_beyond_loopback(&trace), internet_sockets(&trace)].concat();
        assert!(calls.is_empty(), "{args:?} used the network: {calls:#?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(
        &[
            "init",
            "--admin",
            "ana",
            "--argon2-memory-mib",
            "19",
            "--argon2-passes",
            "2",
        ],
        &vault,
    );
    let id = run(
        &[
            "--user", "ana", "patient", "add", "--given", "Inês", "--family", "Lopes",
        ],
        &vault,
    );
    let id = id.trim();
    run(
        &[
            "--user",
            "ana",
            "photo",
            "import",
            id,
            photo.to_str().unwrap(),
        ],
        &vault,
    );
    run(
        &[
            "--user",
            "ana",
            "backup",
            "create",
            "--dest",
            backups.to_str().unwrap(),
        ],
        &vault,
    );
    let file = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    run(
        &["--user", "ana", "backup", "verify", file.to_str().unwrap()],
        &vault,
    );
    run(
        &[
            "--user",
            "ana",
            "backup",
            "restore",
            file.to_str().unwrap(),
            "--to",
            restored.to_str().unwrap(),
        ],
        &vault,
    );
    let shown = run(&["--user", "ana", "patient", "show", id], &restored);
    assert!(shown.contains("Lopes"), "{shown}");
    run(&["--user", "ana", "vault", "check"], &restored);
}

#[tokio::test]
async fn the_installed_app_starts_and_works_with_no_network() -> Result<()> {
    assert_cut_off_from_the_network();
    let app_bin = installed("TESSERA_INSTALLED_APP", "/usr/bin/tessera-app");
    let tmp = tempfile::tempdir()?;
    let log = tmp.path().join("strace.app");
    // WebKitWebDriver starts the "browser" it is given with its own arguments: this wrapper
    // is that browser, tracing the installed app and every process it starts.
    let wrapper = tmp.path().join("traced-tessera-app");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec strace -f -qq -e trace=network -o '{}' '{}' \"$@\"\n",
            log.display(),
            app_bin.display()
        ),
    )?;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))?;

    let app = App::launch(&wrapper, "installed-offline", Options::default()).await?;
    app.by_id("screen-setup").await?;
    app.painted_screenshot("first-screen").await;
    app.set_up().await?;
    app.by_id("screen-unlock").await?;
    app.painted_screenshot("unlock-screen").await;
    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.register_patient("Amara", "Okafor").await?;
    app.painted_screenshot("patient-registered").await;
    app.close().await?;

    let trace = std::fs::read_to_string(&log)?;
    let calls = calls_beyond_loopback(&trace);
    assert!(calls.is_empty(), "the app used the network: {calls:#?}");
    // The trace did see the app's sockets: WebDriver's automation channel, on loopback.
    assert!(
        trace.contains("connect(") && trace.contains("sin_addr=inet_addr(\"127.0.0.1\")"),
        "strace recorded no socket calls at all"
    );
    Ok(())
}
