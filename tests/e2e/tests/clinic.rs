//! A clinic's everyday work beyond the chart, on the real app: the front desk corrects a
//! phone number without seeing anything clinical, a consent is given and withdrawn, and a
//! certification about to expire stands out on the staff screen. Screenshots go to
//! `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_e2e::{ADMIN, App, Options, PASSWORD, Result};

#[tokio::test]
async fn the_front_desk_corrects_a_phone_number_and_sees_no_narrative() -> Result<()> {
    let app = App::start_signed_in("clinic-desk", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    app.click("tab-narratives").await?;
    app.click("narrative-new").await?;
    app.fill(
        "narrative-body",
        "Spoke about the night shelter, privately worried",
    )
    .await?;
    app.click("narrative-submit").await?;
    app.wait_text("narrative-item", "night shelter").await?;
    app.add_colleague("frank", "front_desk", "given to frank 1")
        .await?;

    app.first_sign_in("frank", "given to frank 1", "frank's own pass")
        .await?;
    app.fill("patient-search", "lima").await?;
    app.wait_text("patient-row", "Lima").await?;
    app.click("patient-row").await?;
    app.by_id("desk-card").await?;
    let card = app.by_id("desk-card").await?.text().await?;
    assert!(
        !card.contains("night shelter"),
        "a narrative shows on the desk card: {card}"
    );
    let tabs = app
        .client
        .execute(
            "return document.querySelectorAll('[data-testid=tab-narratives], [data-testid=tab-visits]').length",
            vec![],
        )
        .await?;
    assert_eq!(
        tabs.as_u64(),
        Some(0),
        "clinical tabs are offered to the desk"
    );
    app.click("desk-correct").await?;
    app.fill("desk-field-phone", "+351 912 345 678").await?;
    app.click("desk-save").await?;
    app.by_id("desk-saved").await?;
    app.wait_text("desk-phone", "912 345 678").await?;
    app.painted_screenshot("desk-corrected").await;
    app.close().await
}

#[tokio::test]
async fn a_consent_is_given_then_withdrawn_and_both_are_kept() -> Result<()> {
    let app = App::start_signed_in("clinic-consent", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    app.click("tab-consents").await?;
    app.by_css("[data-testid=consent-purpose] option[value=photography]")
        .await?
        .click()
        .await?;
    app.fill("consent-notes", "signed form in the paper file")
        .await?;
    app.click("consent-record").await?;
    app.by_css("[data-testid=consent-row][data-purpose=photography][data-status=granted]")
        .await?;
    app.click("consent-withdraw").await?;
    app.click("consent-withdraw-confirm").await?;
    app.by_css("[data-testid=consent-row][data-purpose=photography][data-status=withdrawn]")
        .await?;
    app.wait_for(
        "both decisions in the history",
        "return document.querySelectorAll('[data-testid=consent-history-entry]').length === 2",
    )
    .await?;
    app.painted_screenshot("consent-withdrawn").await;
    app.close().await
}

#[tokio::test]
async fn a_certification_about_to_expire_stands_out_on_the_staff_screen() -> Result<()> {
    let app = App::start_signed_in("clinic-credentials", Options::default()).await?;
    app.add_colleague("dan", "clinician", "given to dan 12")
        .await?;
    let soon = app
        .client
        .execute(
            "return new Date(Date.now() + 10 * 864e5).toISOString().slice(0, 10)",
            vec![],
        )
        .await?;
    let soon = soon.as_str().ok_or("no date")?.to_owned();
    app.click("staff-credentials").await?;
    app.fill("credential-licence", "OM-55123").await?;
    app.fill("credential-cert-name", "Advanced Life Support")
        .await?;
    app.fill("credential-cert-expires", &soon).await?;
    app.click("credential-save").await?;
    let expiring = app
        .wait_text("credentials-expiring", "Advanced Life Support")
        .await?;
    assert!(expiring.contains("dan"), "{expiring}");
    app.by_css("[data-testid=credential-expiring-item][data-username=dan]")
        .await?;
    app.by_id("credential-badge").await?;
    app.painted_screenshot("credentials-expiring").await;
    // Signing out and in again, the admin still sees it.
    app.click("sign-out-button").await?;
    app.fill("unlock-username", ADMIN).await?;
    app.fill("unlock-password", PASSWORD).await?;
    app.click("unlock-submit").await?;
    app.click("nav-staff").await?;
    app.wait_text("credentials-expiring", "Advanced Life Support")
        .await?;
    app.close().await
}
