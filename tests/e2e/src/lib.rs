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
    /// A folder of recorded frames the app offers as a camera (`TESSERA_REPLAY_FRAMES`).
    pub replay_frames: Option<PathBuf>,
    /// An existing vault to open instead of a fresh, empty one in the test's directory.
    pub vault: Option<PathBuf>,
}

/// One running app.
#[derive(Debug)]
pub struct App {
    pub client: Client,
    pub name: String,
    pub dir: tempfile::TempDir,
    vault: PathBuf,
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
        std::fs::create_dir(runtime_dir(&dir))?;
        let vault = options
            .vault
            .clone()
            .unwrap_or_else(|| dir.path().join("vault"));
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
            .env("TESSERA_VAULT", &vault)
            .env("TESSERA_CONFIG_DIR", dir.path().join("config"))
            // Where the webview would keep its data and cache, per test, to look at.
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env("XDG_RUNTIME_DIR", runtime_dir(&dir))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(secs) = options.auto_lock_seconds {
            driver.env("TESSERA_AUTO_LOCK_SECONDS", secs.to_string());
        }
        if let Some(frames) = &options.replay_frames {
            driver.env("TESSERA_REPLAY_FRAMES", frames);
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
            vault,
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
    /// Every file the webview left under the test's data and cache homes (what it kept on
    /// disk of the pages and images it showed). Its own data folder is in the runtime
    /// directory, which is not looked at here: see [`App::runtime_dir`]. The graphics
    /// driver's compiled shaders (Mesa's cache) are left out: they hold no page content.
    pub fn webview_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![self.dir.path().join("data"), self.dir.path().join("cache")];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.ends_with("mesa_shader_cache") {
                    continue;
                }
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found.push(path);
                }
            }
        }
        found
    }

    /// The test's `XDG_RUNTIME_DIR`, where the app keeps its webview's data while it runs.
    pub fn runtime_dir(&self) -> PathBuf {
        runtime_dir(&self.dir)
    }

    pub fn vault(&self) -> PathBuf {
        self.vault.clone()
    }

    /// Starts the app, sets up its vault and signs in as [`ADMIN`].
    pub async fn start_signed_in(name: &str, options: Options) -> Result<App> {
        let app = App::start(name, options).await?;
        app.set_up().await?;
        app.sign_in(PASSWORD).await?;
        app.by_id("screen-patients").await?;
        Ok(app)
    }

    /// First-run setup: creates the vault and [`ADMIN`], confirms the recovery key, and lands
    /// on sign-in. Returns the recovery key as shown.
    pub async fn set_up(&self) -> Result<String> {
        self.by_id("screen-setup").await?;
        self.fill("setup-username", ADMIN).await?;
        self.fill("setup-display-name", "Ana Souza").await?;
        self.fill("setup-password", PASSWORD).await?;
        self.fill("setup-confirm", PASSWORD).await?;
        self.screenshot("setup").await;
        self.click("setup-submit").await?;
        self.by_id("screen-recovery").await?;
        let key = self.by_id("recovery-key").await?.text().await?;
        let groups: Vec<&str> = key
            .split(|c: char| c == '-' || c.is_whitespace())
            .filter(|g| !g.is_empty())
            .collect();
        if groups.len() < 10 {
            return Err(format!("the recovery key is not shown in groups: {key:?}").into());
        }
        self.screenshot("recovery-key").await;
        self.fill("recovery-confirm", groups[groups.len() - 1])
            .await?;
        self.click("recovery-continue").await?;
        self.by_id("screen-unlock").await?;
        Ok(key)
    }

    /// Signs in as [`ADMIN`] with `password` (the result is for the caller to check).
    pub async fn sign_in(&self, password: &str) -> Result<()> {
        self.fill("unlock-username", ADMIN).await?;
        self.fill("unlock-password", password).await?;
        self.click("unlock-submit").await?;
        Ok(())
    }

    /// Registers a patient with just a name, from the patient list; returns their human id,
    /// with their chart shown.
    pub async fn register_patient(&self, given: &str, family: &str) -> Result<String> {
        self.click("nav-patients").await?;
        self.click("new-patient-button").await?;
        self.fill("field-given_name", given).await?;
        self.fill("field-family_name", family).await?;
        self.click("save-button").await?;
        self.wait_text("view-family_name", family).await?;
        self.shown_human_id().await
    }

    /// Gives `paths` to the file input with `testid` (hidden behind its button, as a picker's
    /// input is: shown first so WebDriver may type into it).
    pub async fn choose_files(&self, testid: &str, paths: &[&Path]) -> Result<()> {
        self.client
            .execute(
                &format!(
                    "const input = document.querySelector('[data-testid={testid}]');
                     input.classList.remove('visually-hidden');
                     input.removeAttribute('tabindex');
                     input.removeAttribute('aria-hidden');"
                ),
                vec![],
            )
            .await?;
        let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        self.by_id(testid)
            .await?
            .send_keys(&paths.join("\n"))
            .await?;
        Ok(())
    }

    /// Adds a staff account from the Staff screen, with the first password it is handed.
    pub async fn add_colleague(&self, username: &str, role: &str, password: &str) -> Result<()> {
        self.click("nav-staff").await?;
        self.click("staff-new").await?;
        self.fill("staff-username", username).await?;
        self.fill("staff-display-name", username).await?;
        self.by_css(&format!("[data-testid=staff-role] option[value={role}]"))
            .await?
            .click()
            .await?;
        self.fill("staff-password", password).await?;
        self.fill("staff-confirm", password).await?;
        self.click("staff-submit").await?;
        self.wait_for(
            "the new account's row",
            &format!(
                "return [...document.querySelectorAll('[data-testid=staff-row]')]\
                 .some(r => r.textContent.includes('{username}'))"
            ),
        )
        .await
    }

    /// On the sign-in screen, signs in as `user` for the first time with the password they
    /// were handed, and chooses their own.
    pub async fn first_sign_in_here(&self, user: &str, given: &str, own: &str) -> Result<()> {
        self.by_id("screen-unlock").await?;
        self.fill("unlock-username", user).await?;
        self.fill("unlock-password", given).await?;
        self.click("unlock-submit").await?;
        self.by_id("screen-choose-password").await?;
        self.fill("password-current", given).await?;
        self.fill("password-new", own).await?;
        self.fill("password-repeat", own).await?;
        self.click("password-submit").await?;
        self.by_id("screen-patients").await?;
        Ok(())
    }

    /// Signs out, then in as `user` for the first time (see [`App::first_sign_in_here`]).
    pub async fn first_sign_in(&self, user: &str, given: &str, own: &str) -> Result<()> {
        self.click("sign-out-button").await?;
        self.first_sign_in_here(user, given, own).await
    }

    /// The human id of the chart on screen.
    pub async fn shown_human_id(&self) -> Result<String> {
        Ok(self
            .by_id("patient-human-id")
            .await?
            .text()
            .await?
            .trim()
            .to_owned())
    }

    /// Polls `script` (a function body returning a boolean) until it returns true.
    pub async fn wait_for(&self, what: &str, script: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            let value = self.client.execute(script, vec![]).await?;
            if value.as_bool() == Some(true) {
                return Ok(());
            }
            if started.elapsed() > STEP * 2 {
                self.screenshot(&format!("waiting-{what}")).await;
                return Err(format!("{what}: still not true after {:?}", started.elapsed()).into());
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Takes a screenshot once the page has painted: images decoded, two frames drawn, and a
    /// moment for the window (screenshots otherwise show the frame before the last change).
    pub async fn painted_screenshot(&self, step: &str) {
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 Promise.all([...document.images].map((i) => i.decode().catch(() => null)))
                   .then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));",
                vec![],
            )
            .await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        self.screenshot(step).await;
    }

    /// 200% zoom of the 1200x800 window: a 600x400 CSS-pixel viewport. Resizing the window
    /// lays the page out exactly as the zoom would and keeps WebDriver's click targets true
    /// (CSS zoom would not); the window manager applies it asynchronously, so this waits.
    pub async fn zoom_to_200_percent(&self) -> Result<()> {
        self.client.set_window_size(600, 400).await?;
        self.wait_for("narrow viewport", "return window.innerWidth <= 620;")
            .await
    }

    /// Back to the 1200x800 window.
    pub async fn zoom_to_100_percent(&self) -> Result<()> {
        self.client.set_window_size(1200, 800).await?;
        self.wait_for("wide viewport", "return window.innerWidth > 900;")
            .await
    }

    /// Fails if the page scrolls sideways (`screen` names it in the message).
    pub async fn assert_no_sideways_scroll(&self, screen: &str) -> Result<()> {
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await?;
        if overflow.as_i64().unwrap_or(i64::MAX) > 1 {
            return Err(format!("{screen} scrolls sideways at 200% zoom by {overflow}px").into());
        }
        Ok(())
    }
}

/// The `tessera` command: `TESSERA_CLI_BIN`, else the one built beside the app
/// (`TESSERA_APP_BIN`), as `cargo build` leaves them.
pub fn cli_bin() -> Result<PathBuf> {
    let bin = match std::env::var_os("TESSERA_CLI_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => PathBuf::from(
            std::env::var_os("TESSERA_APP_BIN").ok_or("set TESSERA_CLI_BIN or TESSERA_APP_BIN")?,
        )
        .with_file_name("tessera"),
    };
    if !bin.exists() {
        return Err(format!(
            "{} does not exist: build it (cargo build -p tessera-cli) or set TESSERA_CLI_BIN",
            bin.display()
        )
        .into());
    }
    Ok(bin)
}

/// The admin every test's first-run setup creates, and the password.
pub const ADMIN: &str = "ana";
pub const PASSWORD: &str = "correct horse battery";

/// `target/e2e-screenshots/` of the repository, wherever cargo builds.
fn screenshot_dir() -> PathBuf {
    // Cargo's own variable at run time, not the path baked in at build time: checkouts that
    // share a target directory share this binary.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
        .join("../../target/e2e-screenshots")
}

fn runtime_dir(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("run")
}
