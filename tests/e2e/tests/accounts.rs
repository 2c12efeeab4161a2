//! Accounts in the real app: a colleague's first password and an admin's reset must be
//! replaced at sign-in, everyone changes their own in Settings, and an admin who forgot
//! theirs gets back in with the recovery key. Screenshots go to `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_e2e::{ADMIN, App, Options, PASSWORD, Result};

const BEA_FIRST: &str = "given by ana 1";
const BEA_OWN: &str = "bea chose this 1";
const BEA_LATER: &str = "bea changed it 2";

/// Signs out and signs in as `user`, from the sign-in screen.
async fn sign_in_as(app: &App, user: &str, password: &str) -> Result<()> {
    app.click("sign-out-button").await?;
    app.by_id("screen-unlock").await?;
    app.fill("unlock-username", user).await?;
    app.fill("unlock-password", password).await?;
    app.click("unlock-submit").await?;
    Ok(())
}

/// On the "choose your own password" screen: types the password in use and a new one.
async fn choose_own_password(app: &App, current: &str, new: &str) -> Result<()> {
    app.by_id("screen-choose-password").await?;
    app.fill("password-current", current).await?;
    app.fill("password-new", new).await?;
    app.fill("password-repeat", new).await?;
    app.click("password-submit").await?;
    app.by_id("screen-patients").await?;
    Ok(())
}

#[tokio::test]
async fn a_new_colleague_and_a_reset_both_choose_their_own_password_at_sign_in() -> Result<()> {
    let app = App::start_signed_in("accounts-forced-change", Options::default()).await?;
    app.click("nav-staff").await?;
    app.click("staff-new").await?;
    app.by_id("staff-add-first-sign-in").await?;
    app.fill("staff-username", "bea").await?;
    app.fill("staff-display-name", "Bea Costa").await?;
    app.fill("staff-password", BEA_FIRST).await?;
    app.fill("staff-confirm", BEA_FIRST).await?;
    app.click("staff-submit").await?;
    app.wait_text("staff-must-change", "").await?;

    // Bea's first sign-in: the app asks for her own password before anything else.
    sign_in_as(&app, "bea", BEA_FIRST).await?;
    app.by_id("screen-choose-password").await?;
    let nav = app
        .client
        .execute(
            "return document.querySelectorAll('[data-testid=nav-patients]').length",
            vec![],
        )
        .await?;
    assert_eq!(nav.as_u64(), Some(0), "nothing else is offered yet");
    app.screenshot("choose-own-password").await;
    app.fill("password-current", "not the one given").await?;
    app.fill("password-new", BEA_OWN).await?;
    app.fill("password-repeat", BEA_OWN).await?;
    app.click("password-submit").await?;
    app.wait_for(
        "the wrong current password said at its field",
        "return document.getElementById('password-current')?.getAttribute('aria-invalid') === 'true'",
    )
    .await?;
    choose_own_password(&app, BEA_FIRST, BEA_OWN).await?;

    // She changes it again herself, from Settings.
    app.click("nav-settings").await?;
    app.by_id("settings-password-form").await?;
    app.fill("password-current", BEA_OWN).await?;
    app.fill("password-new", BEA_LATER).await?;
    app.fill("password-repeat", BEA_LATER).await?;
    app.click("password-submit").await?;
    app.by_id("password-changed").await?;
    app.screenshot("password-changed-in-settings").await;

    // She forgets it; the admin resets it and hands over the password shown once.
    sign_in_as(&app, ADMIN, PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.click("nav-staff").await?;
    app.click("staff-reset").await?;
    app.click("staff-reset-confirm").await?;
    let handed_over = app
        .by_id("handed-over-password")
        .await?
        .text()
        .await?
        .trim()
        .to_owned();
    assert_eq!(
        handed_over.len(),
        19,
        "four groups of four: {handed_over:?}"
    );
    app.painted_screenshot("handed-over-password").await;
    app.click("handed-over-done").await?;
    app.wait_text("staff-must-change", "").await?;

    sign_in_as(&app, "bea", BEA_LATER).await?;
    app.wait_text("unlock-error", "").await?;
    app.fill("unlock-password", &handed_over).await?;
    app.click("unlock-submit").await?;
    choose_own_password(&app, &handed_over, BEA_OWN).await?;
    app.close().await
}

#[tokio::test]
async fn an_admin_who_forgot_the_password_gets_back_in_with_the_recovery_key() -> Result<()> {
    let app = App::start("accounts-recovery", Options::default()).await?;
    let key = app.set_up().await?;
    app.click("unlock-recovery").await?;
    app.fill("recover-key", "AAAAA-BBBBB-CCCCC").await?;
    app.click("recover-key-submit").await?;
    app.wait_for(
        "the mistyped key said at its field",
        "return document.getElementById('recover-key')?.getAttribute('aria-invalid') === 'true'",
    )
    .await?;
    app.fill("recover-key", &key).await?;
    app.click("recover-key-submit").await?;
    app.by_id("recover-password-form").await?;
    app.screenshot("recovery-choose-admin").await;
    app.fill("recover-password", "a new admin password").await?;
    app.fill("recover-password-repeat", "a new admin password")
        .await?;
    app.click("recover-submit").await?;
    app.by_id("unlock-recovered").await?;
    let focused = app
        .client
        .execute(
            "return document.activeElement?.getAttribute('data-testid')",
            vec![],
        )
        .await?;
    assert_eq!(focused.as_str(), Some("unlock-password"));
    app.painted_screenshot("recovered-sign-in").await;
    app.fill("unlock-password", PASSWORD).await?;
    app.click("unlock-submit").await?;
    app.wait_text("unlock-error", "").await?;
    app.fill("unlock-password", "a new admin password").await?;
    app.click("unlock-submit").await?;
    app.by_id("screen-patients").await?;
    app.close().await
}
