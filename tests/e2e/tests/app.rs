//! The real Tessera app, built with its UI embedded, driven through WebDriver under Xvfb.
//! Each test starts its own app on its own empty vault and saves screenshots of its steps
//! to `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fantoccini::Locator;
use tessera_e2e::{App, Options, Result};

const ADMIN: &str = "ana";
const PASSWORD: &str = "correct horse battery";

/// First-run setup: create the vault and admin, confirm the recovery key, land on sign-in.
async fn set_up(app: &App) -> Result<String> {
    app.by_id("screen-setup").await?;
    app.fill("setup-username", ADMIN).await?;
    app.fill("setup-display-name", "Ana Souza").await?;
    app.fill("setup-password", PASSWORD).await?;
    app.fill("setup-confirm", PASSWORD).await?;
    app.screenshot("setup").await;
    app.click("setup-submit").await?;
    app.by_id("screen-recovery").await?;
    let key = app.by_id("recovery-key").await?.text().await?;
    let groups: Vec<&str> = key
        .split(|c: char| c == '-' || c.is_whitespace())
        .filter(|g| !g.is_empty())
        .collect();
    assert!(
        groups.len() >= 10,
        "the recovery key is shown in groups: {key:?}"
    );
    app.screenshot("recovery-key").await;
    app.fill("recovery-confirm", groups[groups.len() - 1])
        .await?;
    app.click("recovery-continue").await?;
    app.by_id("screen-unlock").await?;
    Ok(key)
}

async fn sign_in(app: &App, password: &str) -> Result<()> {
    app.fill("unlock-username", ADMIN).await?;
    app.fill("unlock-password", password).await?;
    app.click("unlock-submit").await?;
    Ok(())
}

/// Registers a patient with just a name and waits for their chart.
async fn register_patient(app: &App, given: &str, family: &str) -> Result<()> {
    app.click("new-patient-button").await?;
    app.fill("field-given_name", given).await?;
    app.fill("field-family_name", family).await?;
    app.click("save-button").await?;
    app.by_id("screen-patient").await?;
    Ok(())
}

/// WebDriver key codes of the keys the tests press.
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const ARROW_RIGHT: &str = "\u{E014}";

/// Presses a key in whatever has the focus, as a keyboard user would.
async fn press(app: &App, key: &str) -> Result<()> {
    app.client.active_element().await?.send_keys(key).await?;
    Ok(())
}

async fn signed_in_app(name: &str, options: Options) -> Result<App> {
    let app = App::start(name, options).await?;
    set_up(&app).await?;
    sign_in(&app, PASSWORD).await?;
    app.by_id("screen-patients").await?;
    Ok(app)
}

#[tokio::test]
async fn first_run_setup_then_a_wrong_and_a_right_password() -> Result<()> {
    let app = App::start("setup-unlock", Options::default()).await?;
    let key = set_up(&app).await?;
    assert!(app.vault().join("header.json").exists());
    let header = std::fs::read_to_string(app.vault().join("header.json"))?;
    assert!(
        !header.contains(ADMIN) && !header.contains(&key),
        "the header names no one"
    );

    sign_in(&app, "not the password").await?;
    let error = app.wait_text("unlock-error", "").await?;
    assert!(!error.trim().is_empty());
    app.screenshot("wrong-password").await;
    app.by_id("screen-unlock").await?;

    sign_in(&app, PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.screenshot("signed-in").await;
    app.close().await
}

#[tokio::test]
async fn a_patient_is_created_edited_visited_written_about_and_found() -> Result<()> {
    let app = signed_in_app("patient-journey", Options::default()).await?;

    app.click("new-patient-button").await?;
    app.by_id("screen-new-patient").await?;
    app.fill("field-given_name", "José").await?;
    app.fill("field-family_name", "Núñez").await?;
    app.screenshot("new-patient").await;
    app.click("save-button").await?;
    app.by_id("screen-patient").await?;
    app.wait_text("view-family_name", "Núñez").await?;
    app.screenshot("chart").await;

    app.click("edit-profile").await?;
    app.fill("field-phone", "+351 912 345 678").await?;
    app.click("add-medical_alerts").await?;
    app.fill("field-medical_alerts-0", "Latex allergy").await?;
    app.click("save-button").await?;
    app.by_id("profile-saved").await?;
    app.wait_text("view-phone", "912 345 678").await?;
    app.wait_text("medical-alerts", "Latex allergy").await?;
    app.screenshot("profile-edited").await;

    app.click("tab-visits").await?;
    app.click("visit-new").await?;
    app.fill("visit-date", "2026-11-20").await?;
    app.fill("visit-reason", "Wound check").await?;
    app.fill("visit-bp_systolic", "128").await?;
    app.fill("visit-bp_diastolic", "84").await?;
    app.fill("visit-pulse", "76").await?;
    app.screenshot("visit-form").await;
    app.click("visit-submit").await?;
    let row = app.wait_text("visit-row", "Wound check").await?;
    assert!(
        row.contains("128/84"),
        "the visit shows its blood pressure: {row}"
    );
    app.screenshot("visit-saved").await;

    app.click("tab-narratives").await?;
    app.click("narrative-new").await?;
    app.fill("narrative-body", "Walked to the market without resting.")
        .await?;
    app.click("narrative-submit").await?;
    app.wait_text("narrative-text", "without resting").await?;
    app.click("narrative-edit").await?;
    app.fill(
        "narrative-edit-body",
        "Walked to the market and back without resting.",
    )
    .await?;
    app.click("narrative-edit-submit").await?;
    app.wait_text("narrative-text", "and back").await?;
    app.click("narrative-history").await?;
    app.by_id("narrative-history-list").await?;
    // The list shows "Loading…" until the history arrives: wait for its first entry.
    app.by_id("narrative-revision").await?;
    let revisions = app
        .client
        .find_all(Locator::Css("[data-testid=narrative-revision]"))
        .await?;
    assert_eq!(revisions.len(), 2, "both versions are kept");
    app.screenshot("narrative-history").await;

    app.click("nav-patients").await?;
    app.fill("patient-search", "nunez").await?;
    app.wait_text("patient-row", "Núñez").await?;
    app.screenshot("search").await;
    app.close().await
}

#[tokio::test]
async fn inactivity_locks_the_vault_and_returns_to_sign_in() -> Result<()> {
    let app = signed_in_app(
        "auto-lock",
        Options {
            auto_lock_seconds: Some(3),
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    app.by_id("screen-unlock").await?;
    app.screenshot("locked").await;
    sign_in(&app, PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.close().await
}

#[tokio::test]
async fn the_french_ui_speaks_french() -> Result<()> {
    let app = signed_in_app("french", Options::default()).await?;
    app.click("nav-settings").await?;
    app.by_id("screen-settings").await?;
    app.by_css("[data-testid=settings-language] option[value=fr]")
        .await?
        .click()
        .await?;
    app.wait_text("screen-settings", "Réglages").await?;
    app.wait_text("nav-audit", "Journal d’audit").await?;
    app.screenshot("settings-fr").await;
    app.click("lock-button").await?;
    app.wait_text("screen-unlock", "Connexion").await?;
    app.screenshot("unlock-fr").await;
    app.close().await
}

/// At 200% zoom the screens reflow instead of scrolling sideways, and the keyboard alone
/// reaches the search field and opens a patient.
#[tokio::test]
async fn screens_reflow_at_200_percent_zoom_and_work_from_the_keyboard() -> Result<()> {
    let app = signed_in_app("zoom-keyboard", Options::default()).await?;
    register_patient(&app, "Amélie", "Lefèvre").await?;

    // 200% zoom of the 1200x800 window is a 600x400 CSS-pixel viewport. Resizing the window
    // lays the page out exactly as the zoom would, and keeps WebDriver's click targets true
    // (CSS zoom would not).
    app.client.set_window_size(600, 400).await?;
    // The window manager applies the size asynchronously: wait for the layout to follow.
    let started = std::time::Instant::now();
    loop {
        let width = app
            .client
            .execute("return window.innerWidth;", vec![])
            .await?;
        if width.as_i64().is_some_and(|w| w <= 620) {
            break;
        }
        assert!(
            started.elapsed() < tessera_e2e::STEP,
            "the viewport stays {width} px wide"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (screen, testid) in [("chart", "screen-patient"), ("patients", "screen-patients")] {
        if screen == "patients" {
            app.click("nav-patients").await?;
        }
        app.by_id(testid).await?;
        let overflow = app
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await?;
        app.screenshot(&format!("zoom-200-{screen}")).await;
        assert!(
            overflow.as_i64().unwrap_or(i64::MAX) <= 1,
            "{screen} scrolls sideways at 200% zoom by {overflow}px"
        );
    }

    // Keyboard only: type into the focused search, arrow down to the row, Enter opens it.
    let search = app.by_id("patient-search").await?;
    search.send_keys("lefevre").await?;
    app.wait_text("patient-row", "Lefèvre").await?;
    search.send_keys("\u{E015}").await?; // ArrowDown
    press(&app, ENTER).await?;
    app.wait_text("view-family_name", "Lefèvre").await?;
    app.screenshot("keyboard-opened").await;
    app.close().await
}

/// Polls `script` (a function body returning a boolean) until it returns true.
async fn wait_for(app: &App, what: &str, script: &str) -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        let value = app.client.execute(script, vec![]).await?;
        if value.as_bool() == Some(true) {
            return Ok(());
        }
        if started.elapsed() > tessera_e2e::STEP * 2 {
            app.screenshot(&format!("waiting-{what}")).await;
            return Err(format!("{what}: still not true after {:?}", started.elapsed()).into());
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Takes a screenshot once the page has painted: images decoded, two frames drawn, and a
/// moment for the window (screenshots otherwise show the frame before the last change).
async fn painted_screenshot(app: &App, step: &str) {
    let _ = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             Promise.all([...document.images].map((i) => i.decode().catch(() => null)))
               .then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));",
            vec![],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.screenshot(step).await;
}

/// Writes a 1200x900 JPEG whose colours depend on `seed`, so each file differs.
fn write_photo(path: &std::path::Path, seed: u8) -> Result<()> {
    let image = image::RgbImage::from_fn(1200, 900, |x, y| {
        let r = u8::try_from(x * 255 / 1200).unwrap_or(0);
        let g = u8::try_from(y * 255 / 900).unwrap_or(0);
        image::Rgb([r, g, seed])
    });
    image.save_with_format(path, image::ImageFormat::Jpeg)?;
    Ok(())
}

/// Whether every image matching `css` has loaded with real pixels (after scrolling it in).
fn images_loaded(css: &str, at_least: usize) -> String {
    format!(
        "const imgs = [...document.querySelectorAll('{css}')];
         imgs.forEach((i) => {{ if (!i.complete || i.naturalWidth === 0) i.scrollIntoView({{ block: 'nearest' }}); }});
         return imgs.length >= {at_least} && imgs.every((i) => i.complete && i.naturalWidth > 0);"
    )
}

async fn no_sideways_scroll(app: &App, screen: &str) -> Result<()> {
    let overflow = app
        .client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await?;
    assert!(
        overflow.as_i64().unwrap_or(i64::MAX) <= 1,
        "{screen} scrolls sideways at 200% zoom by {overflow}px"
    );
    Ok(())
}

/// Photos: two imported through the file picker with a bad file among them (which fails
/// alone, with the reason), thumbnails and the viewer's preview shown through the app's
/// image scheme, a narrative written about a photo, and the gallery at 200% zoom.
#[tokio::test]
async fn photos_are_imported_viewed_and_written_about() -> Result<()> {
    let app = signed_in_app("photos", Options::default()).await?;
    register_patient(&app, "Inês", "Carvalho").await?;
    app.click("tab-photos").await?;
    app.by_id("photos-empty").await?;

    let files = app.dir.path().join("to-import");
    std::fs::create_dir_all(&files)?;
    write_photo(&files.join("heel day 1.jpg"), 40)?;
    std::fs::write(files.join("notes.jpg"), "not a photo at all, just text\n")?;
    write_photo(&files.join("heel day 8.jpg"), 200)?;
    let paths: Vec<String> = ["heel day 1.jpg", "notes.jpg", "heel day 8.jpg"]
        .iter()
        .map(|name| files.join(name).display().to_string())
        .collect();

    // The picker's input is hidden behind its button: show it so WebDriver may type into it.
    app.client
        .execute(
            "const input = document.querySelector('[data-testid=photo-file-input]');
             input.classList.remove('visually-hidden');
             input.removeAttribute('tabindex');
             input.removeAttribute('aria-hidden');",
            vec![],
        )
        .await?;
    let input = app.by_id("photo-file-input").await?;
    input.send_keys(&paths.join("\n")).await?;

    let status = app
        .wait_text(
            "photo-import-status",
            "Imported: 2. Already imported: 0. Failed: 1.",
        )
        .await?;
    assert!(!status.contains("cancelled"), "{status}");
    app.wait_text("photo-import-count", "3 of 3").await?;
    let results = app
        .client
        .find_all(Locator::Css("[data-testid=photo-import-result]"))
        .await?;
    assert_eq!(results.len(), 3);
    let failed = results[1].text().await?;
    assert!(
        failed.contains("notes.jpg") && failed.contains("not a JPEG, PNG or WebP"),
        "the bad file fails with its name and the reason: {failed:?}"
    );
    for i in [0, 2] {
        let text = results[i].text().await?;
        assert!(text.contains("Imported"), "file {i} was imported: {text:?}");
    }

    // The thumbnails come through the tessera: scheme, decrypted, with real pixels.
    wait_for(
        &app,
        "thumbnails",
        &images_loaded("[data-testid=photo-thumb] img", 2),
    )
    .await?;
    let widths = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=photo-thumb] img')]
               .map((i) => [i.naturalWidth, i.naturalHeight, i.getAttribute('loading')]);",
            vec![],
        )
        .await?;
    assert_eq!(
        widths,
        serde_json::json!([[320, 240, "lazy"], [320, 240, "lazy"]]),
        "320 px thumbnails, loaded lazily"
    );
    app.client
        .execute(
            "document.querySelector('[data-testid=photo-grid]').scrollIntoView({ block: 'center' });",
            vec![],
        )
        .await?;
    painted_screenshot(&app, "gallery").await;

    // The viewer: the preview loads; the arrow keys move; Escape closes.
    let thumbs = app
        .client
        .find_all(Locator::Css("[data-testid=photo-thumb]"))
        .await?;
    thumbs[0].click().await?;
    app.by_id("photo-viewer").await?;
    wait_for(
        &app,
        "preview",
        &images_loaded("[data-testid=photo-viewer-image]", 1),
    )
    .await?;
    let preview = app
        .client
        .execute(
            "return document.querySelector('[data-testid=photo-viewer-image]').naturalWidth;",
            vec![],
        )
        .await?;
    assert_eq!(preview.as_i64(), Some(1200), "the preview keeps 1200 px");
    app.wait_text("photo-viewer", "Photo 1 of 2").await?;
    painted_screenshot(&app, "viewer").await;
    press(&app, ARROW_RIGHT).await?;
    app.wait_text("photo-viewer", "Photo 2 of 2").await?;
    press(&app, ESCAPE).await?;
    wait_for(
        &app,
        "viewer-closed",
        "return document.querySelector('[data-testid=photo-viewer]') === null;",
    )
    .await?;

    // A narrative about the photo, from the viewer; the narrative links back to it.
    thumbs[0].click().await?;
    app.click("photo-write-narrative").await?;
    app.by_id("narrative-new-photo").await?;
    app.fill(
        "narrative-body",
        "The wound is closing; no redness around it.",
    )
    .await?;
    painted_screenshot(&app, "narrative-form-photo").await;
    app.click("narrative-submit").await?;
    app.wait_text("narrative-text", "closing").await?;
    app.by_id("narrative-photo").await?;
    wait_for(
        &app,
        "narrative-thumbnail",
        &images_loaded("[data-testid=narrative-photo] img", 1),
    )
    .await?;
    painted_screenshot(&app, "narrative-about-photo").await;
    app.click("narrative-photo").await?;
    app.by_id("photo-viewer").await?;
    wait_for(
        &app,
        "preview-from-narrative",
        &images_loaded("[data-testid=photo-viewer-image]", 1),
    )
    .await?;
    press(&app, ESCAPE).await?;

    // 200% zoom: the gallery and the viewer reflow within 600 CSS pixels.
    app.client.set_window_size(600, 400).await?;
    wait_for(&app, "narrow-window", "return window.innerWidth <= 620;").await?;
    app.by_id("photo-grid").await?;
    no_sideways_scroll(&app, "the gallery").await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=photo-grid]').scrollIntoView();",
            vec![],
        )
        .await?;
    painted_screenshot(&app, "zoom-200-gallery").await;
    app.by_css("[data-testid=photo-thumb]")
        .await?
        .click()
        .await?;
    wait_for(
        &app,
        "preview-zoomed",
        &images_loaded("[data-testid=photo-viewer-image]", 1),
    )
    .await?;
    no_sideways_scroll(&app, "the viewer").await?;
    let fits = app
        .client
        .execute(
            "const d = document.querySelector('[data-testid=photo-viewer]');
             return d.scrollWidth <= d.clientWidth + 1 && d.getBoundingClientRect().right <= window.innerWidth + 1;",
            vec![],
        )
        .await?;
    assert_eq!(fits.as_bool(), Some(true), "the viewer fits 600 px");
    painted_screenshot(&app, "zoom-200-viewer").await;

    // Photo locations are not kept unless an admin says so.
    press(&app, ESCAPE).await?;
    app.client.set_window_size(1200, 800).await?;
    app.click("nav-settings").await?;
    let keep = app.by_id("settings-keep-location").await?;
    assert!(
        !keep.is_selected().await?,
        "photo locations are off by default"
    );
    painted_screenshot(&app, "settings").await;
    app.close().await
}

/// Backups: the overdue warning before the first one, a backup to a folder typed by path
/// with its row in the history, the Backups screen at 200% zoom, then a restore checked
/// first (the patient registered since the backup shows as a difference) and run, which
/// signs out and keeps the replaced vault beside the restored one.
#[tokio::test]
async fn a_backup_is_made_listed_and_restored() -> Result<()> {
    const PASSPHRASE: &str = "a long backup passphrase";
    let app = signed_in_app("backups", Options::default()).await?;
    app.wait_text("backup-overdue", "No backup yet").await?;
    let folder = app.dir.path().join("usb");
    std::fs::create_dir(&folder)?;

    app.click("nav-backups").await?;
    app.by_id("screen-backups").await?;
    app.by_id("backup-history-empty").await?;
    app.fill("backup-destination", &folder.display().to_string())
        .await?;
    app.fill("backup-passphrase", PASSPHRASE).await?;
    app.fill("backup-passphrase-repeat", PASSPHRASE).await?;
    app.screenshot("form").await;
    app.click("backup-start").await?;
    app.wait_text("backup-now-done", "Backup written").await?;
    app.wait_text("backup-row-status", "Good").await?;
    let row = app.by_id("backup-row").await?;
    assert_eq!(row.attr("data-status").await?.as_deref(), Some("ok"));
    let file = app.by_id("backup-row-file").await?.text().await?;
    assert!(
        file.starts_with(&folder.display().to_string()) && file.ends_with("-full.age"),
        "{file}"
    );
    let written: Vec<_> = std::fs::read_dir(&folder)?.collect::<std::io::Result<_>>()?;
    assert_eq!(written.len(), 1, "one file, no partial left: {written:?}");
    assert_eq!(written[0].path().display().to_string(), file.trim());
    // The warning goes once there is a good backup.
    wait_for(
        &app,
        "no overdue warning",
        "return !document.querySelector('[data-testid=backup-overdue]');",
    )
    .await?;
    painted_screenshot(&app, "history").await;

    // At 200% zoom the history reflows into labelled lines instead of scrolling sideways.
    app.client.set_window_size(600, 400).await?;
    wait_for(&app, "narrow viewport", "return window.innerWidth <= 620;").await?;
    app.by_id("screen-backups").await?;
    no_sideways_scroll(&app, "backups").await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=backup-history]').scrollIntoView({ block: 'start' });",
            vec![],
        )
        .await?;
    painted_screenshot(&app, "zoom-200").await;
    app.client.set_window_size(1200, 800).await?;
    wait_for(&app, "wide viewport", "return window.innerWidth > 900;").await?;

    // Work done after the backup, which the restore will set aside.
    app.click("nav-patients").await?;
    register_patient(&app, "Rosa", "Lima").await?;
    app.click("nav-backups").await?;
    app.click("backup-row-restore").await?;
    app.by_id("backup-restore-dialog").await?;
    app.fill("backup-restore-passphrase", PASSPHRASE).await?;
    app.fill("backup-restore-password", PASSWORD).await?;
    app.click("backup-restore-check").await?;
    app.wait_text("backup-restore-differences", "Patients")
        .await?;
    app.wait_text(
        "backup-restore-newer",
        "audit entries newer than the backup",
    )
    .await?;
    let warning = app.by_id("backup-restore-warning").await?.text().await?;
    assert!(
        warning.contains(&format!("{}.previous-", app.vault().display())),
        "{warning}"
    );
    painted_screenshot(&app, "restore-check").await;
    app.click("backup-restore-confirm").await?;

    app.by_id("screen-unlock").await?;
    app.wait_text("unlock-restored", "was restored").await?;
    let previous = app.by_id("unlock-previous-vault").await?.text().await?;
    assert!(
        std::path::Path::new(previous.trim())
            .join("header.json")
            .exists(),
        "the replaced vault is kept at {previous}"
    );
    app.screenshot("restored").await;
    sign_in(&app, PASSWORD).await?;
    app.by_id("screen-patients").await?;
    // The patient registered after the backup is not in the restored vault.
    app.fill("patient-search", "Lima").await?;
    app.wait_text("patient-count", "No patient matches").await?;
    app.close().await
}
