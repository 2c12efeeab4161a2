//! Defects a day's use found on screen, each checked on the real app: the cursor where the
//! user types, refusals in words, the audit log in words and names, and retention offering
//! the choice that loses less. Screenshots go to `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_e2e::{App, Options, PASSWORD, Result};

/// The `data-testid` (or, without one, the id) of what has the keyboard.
async fn focused(app: &App) -> Result<String> {
    let value = app
        .client
        .execute(
            "const e = document.activeElement; \
             return e ? (e.getAttribute('data-testid') || e.id || e.tagName) : ''",
            vec![],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_wrong_password_is_said_in_words_and_the_cursor_stays_in_the_password() -> Result<()> {
    let app = App::start("defect-sign-in", Options::default()).await?;
    app.set_up().await?;
    app.sign_in("not the password").await?;
    let said = app.wait_text("unlock-error", "not right").await?;
    // Core's own sentence stays under "Details for support", which is closed.
    assert!(
        !said.contains("wrong user name or password"),
        "raw backend text shown: {said}"
    );
    assert_eq!(focused(&app).await?, "unlock-password");
    app.screenshot("wrong-password").await;
    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.close().await
}

#[tokio::test]
async fn new_visit_and_new_narrative_put_the_cursor_in_their_first_field() -> Result<()> {
    let app = App::start_signed_in("defect-focus", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    app.click("tab-visits").await?;
    app.click("visit-new").await?;
    app.wait_for(
        "the visit date focused",
        "return document.activeElement?.id === 'visit-date'",
    )
    .await?;
    app.click("tab-narratives").await?;
    app.click("narrative-new").await?;
    app.wait_for(
        "the narrative text focused",
        "return document.activeElement?.id === 'narrative-body'",
    )
    .await?;
    app.close().await
}

#[tokio::test]
async fn the_audit_log_names_people_and_says_what_they_did_in_words() -> Result<()> {
    let app = App::start_signed_in("defect-audit-words", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    app.click("nav-audit").await?;
    app.wait_text("audit-row-what", "").await?;
    let rows = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=audit-row]')].map(r => [\
             r.querySelector('[data-testid=audit-row-actor]').innerText, \
             r.querySelector('[data-testid=audit-row-what]').innerText])",
            vec![],
        )
        .await?;
    let rows = rows.as_array().ok_or("no audit rows")?;
    assert!(rows.len() >= 3, "{rows:?}");
    let code = looks_like_an_action_code();
    for row in rows {
        let (actor, what) = (row[0].as_str().unwrap_or(""), row[1].as_str().unwrap_or(""));
        assert!(!code(what), "an action code is shown as the action: {what}");
        assert!(
            !actor.contains('-') || actor.contains(' '),
            "a session or staff id is shown as the actor: {actor}"
        );
    }
    assert!(
        rows.iter().any(|r| r[0].as_str() == Some("Ana Souza")),
        "the admin is named: {rows:?}"
    );
    app.screenshot("audit-words").await;
    app.close().await
}

/// Whether `text` looks like a raw action code (`patient.create`): lower-case words joined
/// by dots and underscores, nothing else.
fn looks_like_an_action_code() -> impl Fn(&str) -> bool {
    |text: &str| {
        let text = text.trim();
        text.contains('.')
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
    }
}

#[tokio::test]
async fn retention_offers_anonymising_before_deleting_a_patient() -> Result<()> {
    let app = App::start_signed_in("defect-retention", Options::default()).await?;
    app.click("nav-retention").await?;
    app.click("retention-inactive_patients-on").await?;
    let anonymise = app
        .by_id("retention-inactive_patients-action-anonymise")
        .await?;
    assert!(
        anonymise.prop("checked").await?.as_deref() == Some("true"),
        "anonymise is the preselected choice"
    );
    let page = app.by_id("retention-form").await?.text().await?;
    for law in ["GDPR", "HIPAA", "RGPD", "Code de la santé"] {
        assert!(!page.contains(law), "one country's law is cited: {law}");
    }
    app.close().await
}
