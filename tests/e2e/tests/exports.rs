//! Exports in the real app: a clinician's PDF summary written from the patient's chart to a
//! typed path, checked on the "Verify a document" screen (and a forged copy refused there),
//! and found in the export log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use sha2::Digest;
use tessera_e2e::{App, Options, Result};

async fn genuine(app: &App) -> Result<String> {
    app.wait_for(
        "the verification result",
        "return !!document.querySelector('[data-testid=verify-result]');",
    )
    .await?;
    Ok(app
        .by_id("verify-result")
        .await?
        .attr("data-genuine")
        .await?
        .unwrap_or_default())
}

#[tokio::test]
async fn a_pdf_summary_is_exported_verified_and_found_in_the_log() -> Result<()> {
    let app = App::start_signed_in("exports", Options::default()).await?;
    let human_id = app.register_patient("Zoé", "Mũthoni").await?;

    // The Export dialog, from the chart: a PDF summary, unencrypted by explicit choice.
    let out = app.dir.path().join("zoe-summary.pdf");
    app.click("export-open").await?;
    app.click("export-kind-summary").await?;
    app.click("export-format-pdf").await?;
    app.fill("export-path", &out.display().to_string()).await?;
    app.click("export-unencrypted").await?;
    app.painted_screenshot("export-dialog").await;
    app.click("export-submit").await?;
    app.by_id("export-result").await?;
    let sha256 = app.by_id("export-result-sha256").await?.text().await?;
    app.painted_screenshot("export-done").await;
    let pdf = std::fs::read(&out)?;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF was written");
    let digest = sha2::Sha256::digest(&pdf);
    assert_eq!(sha256.trim(), data_encoding::HEXLOWER.encode(&digest));
    app.click("export-done-close").await?;

    // Verify a document: the file as written is genuine.
    app.click("nav-verify").await?;
    app.by_id("screen-verify").await?;
    app.fill("verify-path", &out.display().to_string()).await?;
    app.click("verify-submit").await?;
    assert_eq!(genuine(&app).await?, "true");
    let patient = app.by_id("verify-patient").await?.text().await?;
    assert_eq!(patient.trim(), human_id);
    app.painted_screenshot("verify-genuine").await;

    // One changed byte and it is not.
    let mut forged = pdf.clone();
    let at = forged.len() / 2;
    forged[at] ^= 0x01;
    let forged_path = app.dir.path().join("forged.pdf");
    std::fs::write(&forged_path, forged)?;
    app.fill("verify-path", &forged_path.display().to_string())
        .await?;
    app.click("verify-submit").await?;
    app.wait_for(
        "the not-genuine result",
        "const r = document.querySelector('[data-testid=verify-result]'); \
         return !!r && r.getAttribute('data-genuine') === 'false';",
    )
    .await?;
    app.painted_screenshot("verify-forged").await;

    // The export log lists it.
    app.click("nav-exports").await?;
    app.by_id("screen-exports").await?;
    app.wait_for(
        "the export log's row",
        "return document.querySelectorAll('[data-testid=exports-row]').length === 1;",
    )
    .await?;
    let rows = app
        .client
        .find_all(Locator::Css("[data-testid=exports-row]"))
        .await?;
    let row = rows[0].text().await?;
    assert!(row.contains(&human_id), "{row}");
    app.zoom_to_200_percent().await?;
    app.assert_no_sideways_scroll("exports").await?;
    app.painted_screenshot("exports-200").await;
    app.zoom_to_100_percent().await?;
    app.close().await
}
