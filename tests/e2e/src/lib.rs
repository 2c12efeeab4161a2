//! A harness that starts the real Tessera app for one test: its own Xvfb display, its own
//! WebKitWebDriver (which starts the app with automation enabled), its own vault and
//! preferences in a temp directory. Dropping [`App`] stops all of them.
//!
//! tauri-driver is not in the path: all it does on Linux is turn `tauri:options` into
//! `webkitgtk:browserOptions` and set `TAURI_WEBVIEW_AUTOMATION`, which this harness does
//! itself. Its proxy (2.1.0) dropped requests here ("client error (SendRequest)") and left
//! sessions hanging mid-test; talking to WebKitWebDriver directly is what it would have done.
//!
//! The app binary comes from `TESSERA_APP_BIN` (scripts/test.sh builds it with the UI
//! embedded). Screenshots go to the repository's `target/e2e-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

pub type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// How long a step may take before the test fails (an unlock runs Argon2id for ~0.4 s).
pub const STEP: Duration = Duration::from_secs(15);

static NEXT: AtomicU16 = AtomicU16::new(0);

/// Options a test can set before the app starts.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Seconds of inactivity before the vault locks itself.
    pub auto_lock_seconds: Option<u64>,
}

/// One running app.
#[derive(Debug)]
pub struct App {
    pub client: Client,
    pub name: String,
    pub dir: tempfile::TempDir,
    xvfb: Child,
    driver: Child,
}

impl App {
    /// Starts the app (`TESSERA_APP_BIN`) on a fresh, empty vault.
    pub async fn start(name: &str, options: Options) -> Result<App> {
        let bin = PathBuf::from(
            std::env::var_os("TESSERA_APP_BIN")
                .ok_or("set TESSERA_APP_BIN to the built app (scripts/test.sh does)")?,
        );
        App::launch(&bin, name, options).await
    }

    /// Starts the Tauri binary `bin` under a new display and driver.
    pub async fn launch(bin: &Path, name: &str, options: Options) -> Result<App> {
        if !bin.exists() {
            return Err(format!("{} does not exist", bin.display()).into());
        }
        let slot = NEXT.fetch_add(1, Ordering::SeqCst) + u16::try_from(std::process::id() % 200)?;
        let display = format!(":{}", 50 + slot);
        let port = 14_444 + slot * 2;
        let dir = tempfile::tempdir()?;
        let xvfb = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1440x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        // WebKitWebDriver directly, with what tauri-driver would send it (see the module doc).
        let mut driver = Command::new("WebKitWebDriver");
        driver
            .args([format!("--port={port}"), "--host=127.0.0.1".to_owned()])
            .env("DISPLAY", &display)
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("TESSERA_VAULT", dir.path().join("vault"))
            .env("TESSERA_CONFIG_DIR", dir.path().join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(secs) = options.auto_lock_seconds {
            driver.env("TESSERA_AUTO_LOCK_SECONDS", secs.to_string());
        }
        let driver = driver.spawn()?;
        let capabilities = serde_json::json!({
            "webkitgtk:browserOptions": { "binary": bin, "args": [] },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::native()
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => return Err(format!("tauri-driver did not start the app: {e}").into()),
            }
        };
        Ok(App {
            client,
            name: name.to_owned(),
            dir,
            xvfb,
            driver,
        })
    }

    /// The element with `data-testid`, once it is shown.
    pub async fn by_id(&self, testid: &str) -> Result<Element> {
        self.by_css(&format!("[data-testid=\"{testid}\"]")).await
    }

    /// The first element matching `css`, once it is shown.
    pub async fn by_css(&self, css: &str) -> Result<Element> {
        let started = Instant::now();
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => return Ok(element),
                Err(e) if started.elapsed() > STEP => {
                    self.screenshot("missing-element").await;
                    return Err(format!("nothing matches {css} within {STEP:?}: {e}").into());
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Types into the element with `data-testid` after clearing it.
    pub async fn fill(&self, testid: &str, text: &str) -> Result<()> {
        let field = self.by_id(testid).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the element with `data-testid`.
    pub async fn click(&self, testid: &str) -> Result<()> {
        self.by_id(testid).await?.click().await?;
        Ok(())
    }

    /// Waits until the element with `data-testid` shows text containing `expected`.
    pub async fn wait_text(&self, testid: &str, expected: &str) -> Result<String> {
        let started = Instant::now();
        loop {
            let text = match self.by_id(testid).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(expected) {
                return Ok(text);
            }
            if started.elapsed() > STEP {
                self.screenshot(&format!("text-{testid}")).await;
                return Err(
                    format!("[data-testid={testid}] shows {text:?}, not {expected:?}").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot as `target/e2e-screenshots/<test>-<step>.png`.
    pub async fn screenshot(&self, step: &str) {
        let dir = screenshot_dir();
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{}-{step}.png", self.name)), png);
        }
    }

    /// Closes the session and stops the driver and the display.
    pub async fn close(mut self) -> Result<()> {
        let closed = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = self.xvfb.kill().await;
        closed?;
        Ok(())
    }

    /// The vault directory the app works on.
    pub fn vault(&self) -> PathBuf {
        self.dir.path().join("vault")
    }
}

/// `target/e2e-screenshots/` of the repository, wherever cargo builds.
fn screenshot_dir() -> PathBuf {
    // Cargo's own variable at run time, not the path baked in at build time: checkouts that
    // share a target directory share this binary.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
        .join("../../target/e2e-screenshots")
}
