//! Erasure, the subject access export and retention in the real app (its own test target, so
//! it can be written beside `app.rs`): an admin exports a patient's record to a typed path,
//! erases the patient by typing their id, finds them gone from the list, and previews the
//! retention policy, at 200% zoom too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use fantoccini::Locator;
use tessera_e2e::{App, Options, Result};

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
    let app = App::start_signed_in("erasure", Options::default()).await?;
    app.register_patient("Alain", "Martin").await?;
    let human_id = app.register_patient("Marta", "Erasmus").await?;
    app.by_id("patient-admin").await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=patient-admin]').scrollIntoView();",
            vec![],
        )
        .await?;
    app.painted_screenshot("danger-area").await;

    // The subject access export, to a path typed in full.
    let out = app.dir.path().join("marta-erasmus.tar");
    app.click("subject-export-open").await?;
    app.by_id("subject-export-dialog").await?;
    app.fill("subject-export-path", &out.display().to_string())
        .await?;
    app.click("subject-export-submit").await?;
    app.wait_text("subject-export-done", "marta-erasmus.tar")
        .await?;
    app.painted_screenshot("subject-export").await;
    let archive = std::fs::read(&out)?;
    // A plain tar: its first member is README.txt, and "ustar" at offset 257.
    assert!(archive.starts_with(b"README.txt"), "a tar archive");
    assert_eq!(&archive[257..262], b"ustar");
    let record = String::from_utf8_lossy(&archive);
    assert!(record.contains("Erasmus") && record.contains("tessera-record"));
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
    app.painted_screenshot("erase-dialog").await;
    app.click("erase-confirm").await?;

    let notice = app.wait_text("patients-notice", "Patient erased.").await?;
    assert!(notice.contains("visits removed"), "{notice}");
    app.wait_text("patient-count", "1 patient").await?;
    let listed = rows(&app).await?;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains("Martin") && !listed[0].contains("Erasmus"));
    app.painted_screenshot("erased").await;
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
    app.zoom_to_200_percent().await?;
    app.painted_screenshot("retention-zoom-200").await;
    app.assert_no_sideways_scroll("the Retention screen")
        .await?;
    app.close().await
}
