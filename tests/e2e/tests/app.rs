//! The real Tessera app, built with its UI embedded, driven through WebDriver under Xvfb.
//! Each test starts its own app on its own empty vault and saves screenshots of its steps
//! to `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::elements::Element;
use tessera_e2e::{ADMIN, App, Options, PASSWORD, Result};

/// WebDriver key codes of the keys the tests press.
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const ARROW_RIGHT: &str = "\u{E014}";

/// Presses a key in whatever has the focus, as a keyboard user would.
async fn press(app: &App, key: &str) -> Result<()> {
    app.client.active_element().await?.send_keys(key).await?;
    Ok(())
}

/// A page served on loopback for a few seconds: somewhere a window could be taken to.
fn page_elsewhere() -> Result<String> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/", listener.local_addr()?);
    listener.set_nonblocking(true)?;
    std::thread::spawn(move || {
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < until {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let mut request = [0u8; 1024];
                    let _ = stream.read(&mut request);
                    let body = "<html><body>not Tessera</body></html>";
                    let _ = write!(
                        stream,
                        "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    Ok(url)
}

#[tokio::test]
async fn first_run_setup_then_a_wrong_and_a_right_password() -> Result<()> {
    let app = App::start("setup-unlock", Options::default()).await?;
    let key = app.set_up().await?;
    assert!(app.vault().join("header.json").exists());
    let header = std::fs::read_to_string(app.vault().join("header.json"))?;
    assert!(
        !header.contains(ADMIN) && !header.contains(&key),
        "the header names no one"
    );

    app.sign_in("not the password").await?;
    let error = app.wait_text("unlock-error", "").await?;
    assert!(!error.trim().is_empty());
    app.screenshot("wrong-password").await;
    app.by_id("screen-unlock").await?;

    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.screenshot("signed-in").await;

    // A script that sends the window to another page (one served on loopback, so it would
    // load): the navigation guard keeps the window in the app.
    let elsewhere = page_elsewhere()?;
    let origin = app
        .client
        .execute("return window.location.origin;", vec![])
        .await?;
    app.client
        .execute(&format!("window.location.href = '{elsewhere}';"), vec![])
        .await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let still = app
        .client
        .execute("return window.location.origin;", vec![])
        .await?;
    assert_eq!(still, origin, "the window left the app");
    app.by_id("screen-patients").await?;
    app.close().await
}

#[tokio::test]
async fn a_patient_is_created_edited_visited_written_about_and_found() -> Result<()> {
    let app = App::start_signed_in("patient-journey", Options::default()).await?;

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
    let app = App::start_signed_in(
        "auto-lock",
        Options {
            auto_lock_seconds: Some(3),
            ..Options::default()
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    app.by_id("screen-unlock").await?;
    app.screenshot("locked").await;
    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.close().await
}

#[tokio::test]
async fn the_french_ui_speaks_french() -> Result<()> {
    let app = App::start_signed_in("french", Options::default()).await?;
    app.click("nav-settings").await?;
    app.by_id("screen-settings").await?;
    app.by_css("[data-testid=settings-language] option[value=fr]")
        .await?
        .click()
        .await?;
    app.wait_text("screen-settings", "Réglages").await?;
    app.wait_text("nav-staff", "Équipe").await?;
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
    let app = App::start_signed_in("zoom-keyboard", Options::default()).await?;
    app.register_patient("Amélie", "Lefèvre").await?;

    app.zoom_to_200_percent().await?;
    for (screen, testid) in [("chart", "screen-patient"), ("patients", "screen-patients")] {
        if screen == "patients" {
            app.click("nav-patients").await?;
        }
        app.by_id(testid).await?;
        app.screenshot(&format!("zoom-200-{screen}")).await;
        app.assert_no_sideways_scroll(screen).await?;
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

/// Photos: two imported through the file picker with a bad file among them (which fails
/// alone, with the reason), thumbnails and the viewer's preview shown through the app's
/// image scheme, a narrative written about a photo, and the gallery at 200% zoom.
#[tokio::test]
async fn photos_are_imported_viewed_and_written_about() -> Result<()> {
    let app = App::start_signed_in("photos", Options::default()).await?;
    app.register_patient("Inês", "Carvalho").await?;
    app.click("tab-photos").await?;
    app.by_id("photos-empty").await?;

    import_two_photos_and_a_text_file(&app).await?;
    thumbnails_are_decrypted_and_lazy(&app).await?;
    the_viewer_moves_with_arrows_and_closes(&app).await?;
    a_narrative_is_written_about_a_photo(&app).await?;
    the_gallery_and_viewer_reflow_at_200_percent(&app).await?;

    // Photo locations are not kept unless an admin says so.
    press(&app, ESCAPE).await?;
    app.zoom_to_100_percent().await?;
    app.click("nav-settings").await?;
    let keep = app.by_id("settings-keep-location").await?;
    assert!(
        !keep.is_selected().await?,
        "photo locations are off by default"
    );
    app.painted_screenshot("settings").await;
    // The photos shown were decrypted in memory only: the webview keeps its cache and
    // storage in a folder of the runtime directory (memory), removed at exit, and nothing
    // under the user's data or cache homes (a stolen laptop's disk holds no thumbnail).
    let kept = app.webview_files();
    assert!(kept.is_empty(), "the webview wrote {kept:#?}");
    let in_memory: Vec<String> = std::fs::read_dir(app.runtime_dir())?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    assert!(
        in_memory.iter().any(|d| d.starts_with("tessera-webview-")),
        "{in_memory:?}"
    );
    app.close().await
}

async fn first_thumbnail(app: &App) -> Result<Element> {
    app.by_css("[data-testid=photo-thumb]").await
}

/// Two photos and a text file named .jpg through the file picker: the bad file fails
/// alone, with its name and the reason.
async fn import_two_photos_and_a_text_file(app: &App) -> Result<()> {
    let files = app.dir.path().join("to-import");
    std::fs::create_dir_all(&files)?;
    write_photo(&files.join("heel day 1.jpg"), 40)?;
    std::fs::write(files.join("notes.jpg"), "not a photo at all, just text\n")?;
    write_photo(&files.join("heel day 8.jpg"), 200)?;
    let paths = ["heel day 1.jpg", "notes.jpg", "heel day 8.jpg"].map(|name| files.join(name));
    app.choose_files("photo-file-input", &paths.each_ref().map(|p| p.as_path()))
        .await?;

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
        failed.contains("notes.jpg") && failed.contains("not a JPEG, PNG, WebP or HEIC"),
        "the bad file fails with its name and the reason: {failed:?}"
    );
    for i in [0, 2] {
        let text = results[i].text().await?;
        assert!(text.contains("Imported"), "file {i} was imported: {text:?}");
    }
    Ok(())
}

/// The thumbnails come through the tessera: scheme, decrypted, 320 px, loaded lazily.
async fn thumbnails_are_decrypted_and_lazy(app: &App) -> Result<()> {
    app.wait_for(
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
    app.painted_screenshot("gallery").await;
    Ok(())
}

/// The viewer: the preview loads; the arrow keys move; Escape closes.
async fn the_viewer_moves_with_arrows_and_closes(app: &App) -> Result<()> {
    first_thumbnail(app).await?.click().await?;
    app.by_id("photo-viewer").await?;
    app.wait_for(
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
    app.painted_screenshot("viewer").await;
    press(app, ARROW_RIGHT).await?;
    app.wait_text("photo-viewer", "Photo 2 of 2").await?;
    press(app, ESCAPE).await?;
    app.wait_for(
        "viewer-closed",
        "return document.querySelector('[data-testid=photo-viewer]') === null;",
    )
    .await?;
    Ok(())
}

/// A narrative about the photo, from the viewer; the narrative links back to it.
async fn a_narrative_is_written_about_a_photo(app: &App) -> Result<()> {
    first_thumbnail(app).await?.click().await?;
    app.click("photo-write-narrative").await?;
    app.by_id("narrative-new-photo").await?;
    app.fill(
        "narrative-body",
        "The wound is closing; no redness around it.",
    )
    .await?;
    app.painted_screenshot("narrative-form-photo").await;
    app.click("narrative-submit").await?;
    app.wait_text("narrative-text", "closing").await?;
    app.by_id("narrative-photo").await?;
    app.wait_for(
        "narrative-thumbnail",
        &images_loaded("[data-testid=narrative-photo] img", 1),
    )
    .await?;
    app.painted_screenshot("narrative-about-photo").await;
    app.click("narrative-photo").await?;
    app.by_id("photo-viewer").await?;
    app.wait_for(
        "preview-from-narrative",
        &images_loaded("[data-testid=photo-viewer-image]", 1),
    )
    .await?;
    press(app, ESCAPE).await?;
    Ok(())
}

/// 200% zoom: the gallery and the viewer reflow within 600 CSS pixels.
async fn the_gallery_and_viewer_reflow_at_200_percent(app: &App) -> Result<()> {
    app.zoom_to_200_percent().await?;
    app.by_id("photo-grid").await?;
    app.assert_no_sideways_scroll("the gallery").await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=photo-grid]').scrollIntoView();",
            vec![],
        )
        .await?;
    app.painted_screenshot("zoom-200-gallery").await;
    app.by_css("[data-testid=photo-thumb]")
        .await?
        .click()
        .await?;
    app.wait_for(
        "preview-zoomed",
        &images_loaded("[data-testid=photo-viewer-image]", 1),
    )
    .await?;
    app.assert_no_sideways_scroll("the viewer").await?;
    let fits = app
        .client
        .execute(
            "const d = document.querySelector('[data-testid=photo-viewer]');
             return d.scrollWidth <= d.clientWidth + 1 && d.getBoundingClientRect().right <= window.innerWidth + 1;",
            vec![],
        )
        .await?;
    assert_eq!(fits.as_bool(), Some(true), "the viewer fits 600 px");
    app.painted_screenshot("zoom-200-viewer").await;
    Ok(())
}

/// Makes the first backup of the vault into `folder` from the Backups screen, and checks
/// its row in the history and that the folder holds that one file and nothing else.
async fn back_up_to(app: &App, folder: &std::path::Path, passphrase: &str) -> Result<String> {
    app.click("nav-backups").await?;
    app.by_id("screen-backups").await?;
    app.by_id("backup-history-empty").await?;
    app.fill("backup-destination", &folder.display().to_string())
        .await?;
    app.fill("backup-passphrase", passphrase).await?;
    app.fill("backup-passphrase-repeat", passphrase).await?;
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
    let written: Vec<_> = std::fs::read_dir(folder)?.collect::<std::io::Result<_>>()?;
    assert_eq!(written.len(), 1, "one file, no partial left: {written:?}");
    assert_eq!(written[0].path().display().to_string(), file.trim());
    Ok(file.trim().to_owned())
}

/// Backups: the overdue warning before the first one, a backup to a folder typed by path
/// with its row in the history, the Backups screen at 200% zoom, then a restore checked
/// first (the patient registered since the backup shows as a difference) and run, which
/// signs out and keeps the replaced vault beside the restored one.
#[tokio::test]
async fn a_backup_is_made_listed_and_restored() -> Result<()> {
    const PASSPHRASE: &str = "a long backup passphrase";
    let app = App::start_signed_in("backups", Options::default()).await?;
    app.wait_text("backup-overdue", "No backup yet").await?;
    let folder = app.dir.path().join("usb");
    std::fs::create_dir(&folder)?;

    back_up_to(&app, &folder, PASSPHRASE).await?;
    // The warning goes once there is a good backup.
    app.wait_for(
        "no overdue warning",
        "return !document.querySelector('[data-testid=backup-overdue]');",
    )
    .await?;
    app.painted_screenshot("history").await;

    // At 200% zoom the history reflows into labelled lines instead of scrolling sideways.
    app.zoom_to_200_percent().await?;
    app.by_id("screen-backups").await?;
    app.assert_no_sideways_scroll("backups").await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=backup-history]').scrollIntoView({ block: 'start' });",
            vec![],
        )
        .await?;
    app.painted_screenshot("zoom-200").await;
    app.zoom_to_100_percent().await?;

    // Work done after the backup, which the restore will set aside.
    app.click("nav-patients").await?;
    app.register_patient("Rosa", "Lima").await?;
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
    app.painted_screenshot("restore-check").await;
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
    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;
    // The patient registered after the backup is not in the restored vault.
    app.fill("patient-search", "Lima").await?;
    app.wait_text("patient-count", "No patient matches").await?;
    app.close().await
}

/// A vault whose files were damaged while it was locked: signing in says so in words, and the
/// sign-in screen restores the last backup without anyone signed in (the administrator's
/// password as it was in the backup), after which the vault opens again with its patients.
#[tokio::test]
async fn a_damaged_vault_is_restored_from_a_backup_at_sign_in() -> Result<()> {
    const PASSPHRASE: &str = "a long backup passphrase";
    let app = App::start_signed_in("damaged-restore", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    let folder = app.dir.path().join("usb");
    std::fs::create_dir(&folder)?;
    let file = back_up_to(&app, &folder, PASSPHRASE).await?;
    app.click("lock-button").await?;
    app.by_id("screen-unlock").await?;

    // Bytes of the first page changed on disk: SQLCipher's page check fails at the next open.
    let database = app.vault().join("vault.db");
    let mut bytes = std::fs::read(&database)?;
    for byte in &mut bytes[200..216] {
        *byte ^= 0x5a;
    }
    std::fs::write(&database, bytes)?;

    app.sign_in(PASSWORD).await?;
    app.wait_text("unlock-damaged", "backup").await?;
    app.painted_screenshot("damaged").await;
    app.click("unlock-restore-damaged").await?;
    app.by_id("backup-restore-dialog").await?;
    app.fill("backup-restore-file", &file).await?;
    app.fill("backup-restore-passphrase", PASSPHRASE).await?;
    let username = app.by_id("restore-username").await?;
    assert_eq!(username.prop("value").await?.as_deref(), Some(ADMIN));
    app.fill("backup-restore-password", PASSWORD).await?;
    app.click("backup-restore-check").await?;
    app.by_id("backup-restore-unreadable").await?;
    // The damaged vault's erasures cannot be read: restoring needs a reason, recorded.
    app.by_id("backup-restore-erasures-unknown").await?;
    app.painted_screenshot("restore-check").await;
    app.click("backup-restore-confirm").await?;
    app.by_css("#backup-restore-override-reason-error").await?;
    app.fill(
        "backup-restore-override-reason",
        "the laptop's disk failed; nobody was erased since",
    )
    .await?;
    app.click("backup-restore-confirm").await?;
    app.wait_text("unlock-restored", "was restored").await?;

    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.fill("patient-search", "Lima").await?;
    app.wait_text("patient-count", "1 patient").await?;
    app.close().await
}

/// An admin disables a colleague who is leaving, takes the screen's suggestion to replace
/// the vault key, keeps the new recovery key, and signs in again with the same password: a
/// copy of the header taken before no longer opens the database.
#[tokio::test]
async fn a_colleague_leaves_and_the_admin_replaces_the_vault_key() -> Result<()> {
    let app = App::start_signed_in("rekey", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    app.click("nav-staff").await?;
    app.click("staff-new").await?;
    app.fill("staff-username", "bob").await?;
    app.fill("staff-display-name", "Bob Reis").await?;
    app.fill("staff-password", "bob passphrase 22").await?;
    app.fill("staff-confirm", "bob passphrase 22").await?;
    app.click("staff-submit").await?;
    app.wait_for(
        "bob's row",
        "return document.querySelectorAll('[data-testid=staff-disable]').length >= 1",
    )
    .await?;
    let header_before = std::fs::read_to_string(app.vault().join("header.json"))?;

    app.click("staff-disable").await?;
    app.fill("staff-disable-reason", "left the clinic").await?;
    app.click("staff-disable-confirm").await?;
    app.by_id("staff-rekey-suggestion").await?;
    app.screenshot("rekey-suggested").await;
    app.click("staff-rekey-suggestion-open").await?;
    app.by_id("vault-rekey-consequences").await?;
    app.screenshot("rekey-dialog").await;
    app.click("vault-rekey-confirm").await?;
    let key = app.by_id("vault-rekey-recovery-key").await?.text().await?;
    app.wait_text("vault-rekey-summary", "1").await?;
    app.painted_screenshot("rekey-done").await;
    let last = key
        .split(|c: char| c == '-' || c.is_whitespace())
        .rfind(|g| !g.is_empty())
        .ok_or("no recovery key shown")?
        .to_owned();
    app.fill("vault-rekey-recovery-confirm", &last).await?;
    app.click("vault-rekey-recovery-continue").await?;

    let header_after = std::fs::read_to_string(app.vault().join("header.json"))?;
    assert!(
        header_after.contains("identity_key"),
        "the header holds the carried identity key"
    );
    assert_ne!(header_before, header_after);
    app.click("sign-out-button").await?;
    app.by_id("screen-unlock").await?;
    app.sign_in(tessera_e2e::PASSWORD).await?;
    app.click("nav-patients").await?;
    app.fill("patient-search", "lima").await?;
    app.wait_text("patient-row", "Lima").await?;
    app.close().await
}

/// A nurse typed a pulse of 176 for 76: she corrects the visit, giving the reason, and the
/// earlier version stays readable; a visit recorded on the wrong patient is voided, kept
/// and marked.
#[tokio::test]
async fn a_visit_is_corrected_then_another_is_voided() -> Result<()> {
    let app = App::start_signed_in("visit-corrections", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    app.click("tab-visits").await?;
    for (date, reason, pulse) in [
        ("2026-11-20", "Wound check", "176"),
        ("2026-11-21", "Not hers", "80"),
    ] {
        app.click("visit-new").await?;
        app.fill("visit-date", date).await?;
        app.fill("visit-reason", reason).await?;
        app.fill("visit-pulse", pulse).await?;
        app.click("visit-submit").await?;
        app.wait_text("visit-row", reason).await?;
    }

    let wound = app
        .client
        .find(Locator::XPath(
            "//*[@data-testid='visit-row'][contains(., 'Wound check')]",
        ))
        .await?;
    wound
        .find(Locator::Css("[data-testid=visit-amend]"))
        .await?
        .click()
        .await?;
    app.fill("visit-pulse", "76").await?;
    app.fill("visit-amend-reason", "pulse mistyped").await?;
    app.screenshot("visit-amend-form").await;
    app.click("visit-amend-save").await?;
    app.wait_for(
        "the corrected pulse",
        "return [...document.querySelectorAll('[data-testid=visit-row]')]\
         .some(r => r.textContent.includes('Wound check') && r.textContent.includes('76'))",
    )
    .await?;
    app.click("visit-history").await?;
    let earlier = app
        .wait_text("visit-history-entry", "pulse mistyped")
        .await?;
    assert!(
        earlier.contains("176"),
        "the earlier version is shown: {earlier}"
    );
    app.screenshot("visit-history").await;
    press(&app, ESCAPE).await?;

    let wrong = app
        .client
        .find(Locator::XPath(
            "//*[@data-testid='visit-row'][contains(., 'Not hers')]",
        ))
        .await?;
    wrong
        .find(Locator::Css("[data-testid=visit-void]"))
        .await?
        .click()
        .await?;
    app.fill("visit-void-reason", "recorded on the wrong patient")
        .await?;
    app.click("visit-void-confirm").await?;
    app.wait_text("visit-voided", "recorded on the wrong patient")
        .await?;
    app.painted_screenshot("visit-voided").await;
    app.close().await
}
