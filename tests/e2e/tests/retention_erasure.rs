//! Erasure, the subject access export and retention in the real app (its own test target, so
//! it can be written beside `app.rs`): an admin exports a patient's record to a typed path,
//! erases the patient by typing their id, finds them gone from the list, and previews the
//! retention policy, at 200% zoom too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use fantoccini::Locator;
use tessera_e2e::{App, Options, Result};

const ADMIN: &str = "ana";
const PASSWORD: &str = "correct horse battery";

/// First-run setup and sign-in, as in `app.rs`.
async fn signed_in_app(name: &str) -> Result<App> {
    let app = App::start(name, Options::default()).await?;
    app.by_id("screen-setup").await?;
    app.fill("setup-username", ADMIN).await?;
    app.fill("setup-display-name", "Ana Souza").await?;
    app.fill("setup-password", PASSWORD).await?;
    app.fill("setup-confirm", PASSWORD).await?;
    app.click("setup-submit").await?;
    app.by_id("screen-recovery").await?;
    let key = app.by_id("recovery-key").await?.text().await?;
    let last = key
        .split(|c: char| c == '-' || c.is_whitespace())
        .rfind(|g| !g.is_empty())
        .unwrap()
        .to_owned();
    app.fill("recovery-confirm", &last).await?;
    app.click("recovery-continue").await?;
    app.by_id("screen-unlock").await?;
    app.fill("unlock-username", ADMIN).await?;
    app.fill("unlock-password", PASSWORD).await?;
    app.click("unlock-submit").await?;
    app.by_id("screen-patients").await?;
    Ok(app)
}

/// Registers a patient with just a name and returns their human id, on their chart.
async fn register_patient(app: &App, given: &str, family: &str) -> Result<String> {
    app.click("nav-patients").await?;
    app.click("new-patient-button").await?;
    app.fill("field-given_name", given).await?;
    app.fill("field-family_name", family).await?;
    app.click("save-button").await?;
    app.wait_text("view-family_name", family).await?;
    Ok(app
        .by_id("patient-human-id")
        .await?
        .text()
        .await?
        .trim()
        .to_owned())
}

/// Takes a screenshot once the page has painted the last change (two frames and a moment:
/// the window's screenshots otherwise show the frame before it).
async fn painted_screenshot(app: &App, step: &str) {
    let _ = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.screenshot(step).await;
}

async fn rows(app: &App) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for row in app
        .client
        .find_all(Locator::Css("[data-testid=patient-row]"))
        .await?
    {
        texts.push(row.text().await?);
    }
    Ok(texts)
}

#[tokio::test]
async fn an_admin_exports_then_erases_a_patient_who_is_gone_from_the_list() -> Result<()> {
    let app = signed_in_app("erasure").await?;
    register_patient(&app, "Alain", "Martin").await?;
    let human_id = register_patient(&app, "Marta", "Erasmus").await?;
    app.by_id("patient-admin").await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=patient-admin]').scrollIntoView();",
            vec![],
        )
        .await?;
    painted_screenshot(&app, "danger-area").await;

    // The subject access export, to a path typed in full.
    let out = app.dir.path().join("marta-erasmus.tar");
    app.click("subject-export-open").await?;
    app.by_id("subject-export-dialog").await?;
    app.fill("subject-export-path", &out.display().to_string())
        .await?;
    app.click("subject-export-submit").await?;
    app.wait_text("subject-export-done", "marta-erasmus.tar")
        .await?;
    painted_screenshot(&app, "subject-export").await;
    let archive = std::fs::read(&out)?;
    // A plain tar: its first member is README.txt, and "ustar" at offset 257.
    assert!(archive.starts_with(b"README.txt"), "a tar archive");
    assert_eq!(&archive[257..262], b"ustar");
    let record = String::from_utf8_lossy(&archive);
    assert!(record.contains("Erasmus") && record.contains("tessera-subject-export"));
    app.click("subject-export-dialog-close").await?;

    // Erasure: the button waits for the patient's id, typed again.
    app.click("erase-open").await?;
    app.by_id("erase-dialog").await?;
    let confirm = app.by_id("erase-confirm").await?;
    assert!(!confirm.is_enabled().await?, "disabled before the id");
    app.fill("erase-confirmation", &human_id.to_lowercase())
        .await?;
    let started = Instant::now();
    while !confirm.is_enabled().await? {
        assert!(started.elapsed() < tessera_e2e::STEP, "enabled by the id");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    painted_screenshot(&app, "erase-dialog").await;
    app.click("erase-confirm").await?;

    let notice = app.wait_text("patients-notice", "Patient erased.").await?;
    assert!(notice.contains("visits removed"), "{notice}");
    app.wait_text("patient-count", "1 patient").await?;
    let listed = rows(&app).await?;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains("Martin") && !listed[0].contains("Erasmus"));
    painted_screenshot(&app, "erased").await;
    app.fill("patient-search", "Erasmus").await?;
    app.wait_text("patient-count", "No patient matches").await?;
    app.fill("patient-search", &human_id).await?;
    app.wait_text("patient-count", "No patient matches").await?;

    // Retention: a preview of the default policy (only the bin, after 30 days) changes nothing.
    app.click("nav-retention").await?;
    app.by_id("screen-retention").await?;
    app.click("retention-preview").await?;
    app.by_id("retention-report-nothing").await?;
    assert!(!app.by_id("retention-apply").await?.is_enabled().await?);

    // At 200% zoom (a 600x400 viewport) the screen reflows instead of scrolling sideways.
    app.client.set_window_size(600, 400).await?;
    let started = Instant::now();
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
    let overflow = app
        .client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await?;
    painted_screenshot(&app, "retention-zoom-200").await;
    assert!(
        overflow.as_i64().unwrap_or(i64::MAX) <= 1,
        "the Retention screen scrolls sideways at 200% zoom by {overflow}px"
    );
    app.close().await
}
