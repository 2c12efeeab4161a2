//! Access codes in the real app: a practitioner gives a patient a QR card for their
//! emergency information; at the desk the card, photographed into the recorded-frames
//! camera, opens only that section; the typed code does too; once the grant is revoked the
//! same card is refused as revoked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use fantoccini::Locator;
use fantoccini::key::Key;
use tessera_e2e::{App, Options, Result};

/// Starts a scan with the recorded-frames camera and waits until it ends in a view or
/// a refusal.
async fn scan_recorded_card(app: &App) -> Result<()> {
    app.by_id("desk-camera").await?;
    app.by_id("camera-select")
        .await?
        .select_by_value("replay")
        .await?;
    app.click("camera-toggle").await?;
    app.wait_for(
        "the scan to open the record or be refused",
        "return !!document.querySelector('[data-testid=shared-view]') \
         || !!document.querySelector('[data-testid=desk-error]')",
    )
    .await
}

#[tokio::test]
async fn a_card_is_scanned_at_the_desk_shows_only_its_sections_and_is_refused_once_revoked()
-> Result<()> {
    let frames = tempfile::tempdir()?;
    let options = Options {
        replay_frames: Some(frames.path().to_path_buf()),
        ..Options::default()
    };
    let app = App::start_signed_in("access", options).await?;
    let human_id = app.register_patient("Amélia", "Nkosi").await?;

    // Share: emergency information (chosen by default) for a day.
    app.click("share-access-open").await?;
    app.by_id("share-dialog").await?;
    app.click("share-duration-24").await?;
    app.click("share-submit").await?;
    app.by_id("share-result").await?;
    let code: String = app
        .by_id("access-code")
        .await?
        .text()
        .await?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 6, "the code is shown");
    app.painted_screenshot("share-result").await;
    // The card as the screen shows it, "photographed" into the recorded frames. The image
    // is drawn through a canvas: WebKitWebDriver's element screenshots do not see inside
    // a modal dialog (the top layer).
    let drawn = app
        .client
        .execute(
            "const img = document.querySelector('[data-testid=access-qr]'); \
             const c = document.createElement('canvas'); c.width = 640; c.height = 640; \
             const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 640, 640); \
             g.drawImage(img, 40, 40, 560, 560); return c.toDataURL('image/png');",
            vec![],
        )
        .await?;
    let data_url = drawn.as_str().ok_or("the QR was not drawn")?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(data_url.trim_start_matches("data:image/png;base64,"))?;
    std::fs::write(frames.path().join("frame-001.png"), png)?;
    app.click("share-dialog-close").await?;

    // At the desk, the camera finds the card and opens only what it shares.
    app.click("nav-desk").await?;
    app.by_id("screen-desk").await?;
    scan_recorded_card(&app).await?;
    app.by_id("shared-view").await?;
    app.wait_text("shared-human-id", &human_id).await?;
    app.by_id("shared-emergency").await?;
    for hidden in ["shared-visits", "shared-medications", "shared-photos"] {
        let found = app
            .client
            .find_all(Locator::Css(&format!("[data-testid={hidden}]")))
            .await?;
        assert!(found.is_empty(), "{hidden} is not shared");
    }
    app.painted_screenshot("shared-view").await;
    app.click("shared-close").await?;

    // The typed code opens the same view (Enter, as a desk scanner ends its text).
    app.fill("desk-input", &code).await?;
    app.by_id("desk-input")
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    app.by_id("shared-view").await?;
    app.click("shared-close").await?;

    // Revoke it on the patient's screen.
    app.click("nav-patients").await?;
    app.wait_text("patient-row", "Nkosi").await?;
    app.click("patient-row").await?;
    app.click("share-access-open").await?;
    app.wait_text("access-grant-status", "Active").await?;
    // From the keyboard, as a nurse at the desk might: WebKitWebDriver's pointer clicks miss
    // buttons low in a modal dialog (it computes them outside the top layer).
    app.by_id("access-revoke")
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    app.by_id("access-revoke-confirm")
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    app.by_id("access-revoked").await?;
    app.click("share-dialog-close").await?;

    // The same card is now refused, in words.
    app.click("nav-desk").await?;
    scan_recorded_card(&app).await?;
    let alert = app.by_id("desk-error").await?.text().await?;
    assert!(alert.to_lowercase().contains("revoked"), "{alert}");
    app.painted_screenshot("revoked").await;
    app.close().await
}
