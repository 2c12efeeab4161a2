//! Duplicate patients in the real app: registering someone twice is caught before saving,
//! and an admin merges the two records and undoes it. Screenshots go to
//! `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_e2e::{App, Options, Result};

/// Fills the registration form with a name and a birth date and saves it.
async fn register(app: &App, given: &str, family: &str, born: &str) -> Result<()> {
    app.click("nav-patients").await?;
    app.click("new-patient-button").await?;
    app.fill("field-given_name", given).await?;
    app.fill("field-family_name", family).await?;
    app.fill("field-date_of_birth", born).await?;
    app.click("save-button").await?;
    Ok(())
}

#[tokio::test]
async fn a_second_registration_is_caught_then_merged_and_the_merge_undone() -> Result<()> {
    let app = App::start_signed_in("duplicates-merge", Options::default()).await?;
    register(&app, "Rosa", "Lima", "1980-02-03").await?;
    app.wait_text("view-family_name", "Lima").await?;
    let first = app.shown_human_id().await?;

    // The same person again, typed differently: warned before anything is saved.
    register(&app, "rosa", "LIMA", "1980-02-03").await?;
    app.by_id("duplicate-warning").await?;
    let matched = app
        .by_id("duplicate-match")
        .await?
        .attr("data-human-id")
        .await?;
    assert_eq!(matched.as_deref(), Some(first.as_str()));
    app.painted_screenshot("duplicate-warning").await;
    app.click("duplicate-register-anyway").await?;
    app.wait_text("view-family_name", "LIMA").await?;
    let second = app.shown_human_id().await?;
    assert_ne!(first, second);
    app.click("tab-visits").await?;
    app.click("visit-new").await?;
    app.fill("visit-date", "2026-11-30").await?;
    app.fill("visit-reason", "Seen as a second record").await?;
    app.click("visit-submit").await?;
    app.wait_text("visit-row", "Seen as a second record")
        .await?;

    // The admin merges the second record into the first, from the first's chart.
    app.click("nav-patients").await?;
    app.fill("patient-search", &first).await?;
    app.wait_text("patient-row", "Lima").await?;
    app.click("patient-row").await?;
    app.wait_text("patient-human-id", &first).await?;
    app.click("patient-merge-open").await?;
    app.fill("merge-search", &second).await?;
    // The list is redrawn as the search settles: choose the record once it stays chosen.
    app.wait_for(
        "the other record chosen",
        &format!(
            "const radio = document.querySelector('[data-testid=merge-candidate][data-human-id=\"{second}\"]'); \
             if (radio && !radio.checked) radio.click(); \
             return !!radio && radio.checked"
        ),
    )
    .await?;
    app.by_id("merge-consequences").await?;
    app.screenshot("merge-dialog").await;
    app.click("merge-confirm").await?;
    app.wait_text("merge-done", "1").await?;
    app.by_css(&format!(
        "[data-testid=merged-record][data-human-id=\"{second}\"]"
    ))
    .await?;
    app.click("tab-visits").await?;
    app.wait_text("visit-row", "Seen as a second record")
        .await?;
    app.painted_screenshot("merged").await;

    // The second id now opens the first record; undoing gives the visit back.
    app.click("nav-patients").await?;
    app.fill("patient-search", "lima").await?;
    app.wait_for(
        "one Rosa Lima in the list",
        "return document.querySelectorAll('[data-testid=patient-row]').length === 1",
    )
    .await?;
    app.click("patient-row").await?;
    app.click("merge-undo").await?;
    app.click("merge-undo-confirm").await?;
    app.by_id("merge-undone").await?;
    app.click("nav-patients").await?;
    app.fill("patient-search", "lima").await?;
    app.wait_for(
        "both records back in the list",
        "return document.querySelectorAll('[data-testid=patient-row]').length === 2",
    )
    .await?;
    app.close().await
}
