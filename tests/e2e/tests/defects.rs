//! Defects a day's use found on screen, each checked on the real app: the cursor where the
//! user types, refusals in words, the audit log in words and names, retention offering the
//! choice that loses less, one countdown when locked out, a warning before the auto-lock,
//! each user's unsaved forms kept for them, a backup check that says one thing, photo dates
//! that say which they are (a phone's HEIC among them), a French header that fits, and a
//! recovery sheet that says how the key is used. Screenshots go to `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use exiftool_support::{exiftool, heif_enc};
use fantoccini::key::Key;
use tessera_e2e::{App, Options, PASSWORD, Result};

#[path = "../../../crates/media/tests/support/exiftool.rs"]
mod exiftool_support;

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

/// Text of the element with `testid`, or None when it is not on screen.
async fn text_of(app: &App, testid: &str) -> Result<Option<String>> {
    let value = app
        .client
        .execute(
            &format!(
                "const e = document.querySelector('[data-testid=\"{testid}\"]'); \
                 return e ? e.innerText : null"
            ),
            vec![],
        )
        .await?;
    Ok(value.as_str().map(str::to_owned))
}

/// How many times `text` gives a time to wait ("30 seconds", "1 minute").
fn countdowns(text: &str) -> usize {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| {
            w[0].chars().all(|c| c.is_ascii_digit())
                && ["second", "minute"].iter().any(|u| w[1].starts_with(u))
        })
        .count()
}

#[tokio::test]
async fn a_locked_out_sign_in_shows_one_countdown_and_caps_lock_is_told() -> Result<()> {
    let app = App::start("defect-lockout", Options::default()).await?;
    app.set_up().await?;

    // Caps Lock as the keyboard reports it with a key typed into the password.
    app.client
        .execute(
            "const f = document.getElementById('unlock-password'); f.focus(); \
             for (const type of ['keydown', 'keyup']) \
               f.dispatchEvent(new KeyboardEvent(type, { key: 'A', modifierCapsLock: true, bubbles: true }));",
            vec![],
        )
        .await?;
    app.wait_text("unlock-capslock", "Caps Lock is on").await?;

    let answered = "const b = document.querySelector('[data-testid=unlock-submit]'); \
                    return !!document.querySelector('[data-testid=unlock-error]') \
                      && !b.textContent.includes('Unlocking');";
    let mut locked_out = false;
    for _ in 0..7 {
        app.sign_in("not the password").await?;
        app.wait_for("the sign-in answered", answered).await?;
        if text_of(&app, "unlock-wait").await?.is_some() {
            locked_out = true;
            break;
        }
    }
    assert!(
        locked_out,
        "six wrong passwords lock the account out for a while"
    );
    let main = app.by_css("main").await?.text().await?;
    assert_eq!(countdowns(&main), 1, "one countdown on the screen: {main}");
    let wait = text_of(&app, "unlock-wait").await?.unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = text_of(&app, "unlock-wait").await?.unwrap_or_default();
    assert_ne!(wait, later, "the countdown counts down");
    let main = app.by_css("main").await?.text().await?;
    assert_eq!(countdowns(&main), 1, "still one countdown: {main}");
    app.screenshot("locked-out").await;
    app.close().await
}

#[tokio::test]
async fn the_auto_lock_warns_in_its_last_30_seconds_and_a_key_keeps_the_session() -> Result<()> {
    let app = App::start_signed_in("defect-autolock-warning", Options::default()).await?;
    app.click("nav-settings").await?;
    app.fill("settings-auto-lock", "1").await?;
    app.click("settings-save").await?;
    assert_eq!(text_of(&app, "autolock-warning").await?, None);
    // A minute of quiet: the warning comes for its last 30 seconds.
    tokio::time::sleep(Duration::from_secs(25)).await;
    let warning = app.wait_text("autolock-warning", "seconds").await?;
    let left: u32 = warning
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .ok_or("no seconds in the warning")?;
    assert!((1..=30).contains(&left), "{warning}");
    app.screenshot("autolock-warning").await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let later = text_of(&app, "autolock-warning").await?.unwrap_or_default();
    assert_ne!(later, warning, "the warning counts down");

    app.client
        .active_element()
        .await?
        .send_keys(&Key::Shift.to_string())
        .await?;
    app.wait_for(
        "the warning gone",
        "return !document.querySelector('[data-testid=autolock-warning]')",
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    app.by_id("screen-settings").await?;
    assert_eq!(
        text_of(&app, "screen-unlock").await?,
        None,
        "a key kept the session"
    );
    app.close().await
}

/// Opens `family`'s chart from the patient list and starts a new visit there.
async fn new_visit_for(app: &App, family: &str) -> Result<()> {
    app.click("nav-patients").await?;
    app.fill("patient-search", family).await?;
    app.wait_text("patient-row", family).await?;
    app.click("patient-row").await?;
    app.click("tab-visits").await?;
    if text_of(app, "visit-reason").await?.is_none() {
        app.click("visit-new").await?;
    }
    app.by_id("visit-reason").await?;
    Ok(())
}

async fn visit_reason(app: &App) -> Result<String> {
    Ok(app
        .by_id("visit-reason")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

#[tokio::test]
async fn each_users_unsaved_visit_stays_theirs_when_a_colleague_signs_in_after_a_lock() -> Result<()>
{
    const BEA: &str = "bea's own passphrase";
    let app = App::start_signed_in("defect-drafts", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    app.add_colleague("bea", "clinician", "given to bea 12")
        .await?;
    app.first_sign_in("bea", "given to bea 12", BEA).await?;
    app.click("sign-out-button").await?;
    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;

    new_visit_for(&app, "Lima").await?;
    app.fill("visit-reason", "Ana's unsaved reason").await?;
    app.click("lock-button").await?;
    let kept = app.wait_text("unlock-drafts-kept", "").await?;
    assert!(kept.to_lowercase().contains("ana"), "{kept}");
    app.screenshot("drafts-kept").await;

    app.fill("unlock-username", "bea").await?;
    app.fill("unlock-password", BEA).await?;
    app.click("unlock-submit").await?;
    new_visit_for(&app, "Lima").await?;
    assert_eq!(
        visit_reason(&app).await?,
        "",
        "Bea does not see Ana's draft"
    );
    app.fill("visit-reason", "Bea's own reason").await?;
    app.click("lock-button").await?;
    app.wait_text("unlock-drafts-kept", "bea").await?;

    app.sign_in(PASSWORD).await?;
    new_visit_for(&app, "Lima").await?;
    assert_eq!(visit_reason(&app).await?, "Ana's unsaved reason");
    app.close().await
}

#[tokio::test]
async fn a_backup_check_that_passes_says_so_and_nothing_else() -> Result<()> {
    const PASSPHRASE: &str = "a long backup passphrase";
    let app = App::start_signed_in("defect-verify", Options::default()).await?;
    let folder = app.dir.path().join("usb");
    std::fs::create_dir(&folder)?;
    app.click("nav-backups").await?;
    app.fill("backup-destination", &folder.display().to_string())
        .await?;
    app.fill("backup-passphrase", PASSPHRASE).await?;
    app.fill("backup-passphrase-repeat", PASSPHRASE).await?;
    app.click("backup-start").await?;
    app.wait_text("backup-row-status", "Good").await?;

    app.click("backup-row-verify").await?;
    app.by_id("backup-verify-dialog").await?;
    app.fill("backup-verify-passphrase", PASSPHRASE).await?;
    app.fill("backup-verify-password", PASSWORD).await?;
    app.click("backup-verify-submit").await?;
    app.wait_text("backup-verify-result", "intact").await?;
    let dialog = app.by_id("backup-verify-dialog").await?.text().await?;
    app.screenshot("verify-intact").await;
    for refusal in ["Type your", "Could not", "not right"] {
        assert!(
            !dialog.contains(refusal),
            "an error beside the success: {dialog}"
        );
    }
    let alerts = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=backup-verify-dialog] [role=alert], \
             [data-testid=backup-verify-dialog] [aria-invalid=true]')].length",
            vec![],
        )
        .await?;
    assert_eq!(alerts.as_u64(), Some(0), "{dialog}");
    app.close().await
}

#[tokio::test]
async fn photo_dates_say_taken_or_imported_newest_first_with_an_iphone_heic_among_them()
-> Result<()> {
    let app = App::start_signed_in("defect-photo-dates", Options::default()).await?;
    app.register_patient("Rosa", "Lima").await?;
    let files = app.dir.path().join("phone");
    std::fs::create_dir_all(&files)?;
    // Three different pictures (the same one twice would be found as already imported).
    let picture = |blue: u8| {
        image::RgbImage::from_fn(640, 480, move |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, blue])
        })
    };
    let june = files.join("june.jpg");
    picture(30).save_with_format(&june, image::ImageFormat::Jpeg)?;
    exiftool(
        &[
            "-q",
            "-overwrite_original",
            "-DateTimeOriginal=2025:06:01 10:00:00",
        ],
        &june,
    );
    let undated = files.join("undated.jpg");
    picture(90).save_with_format(&undated, image::ImageFormat::Jpeg)?;
    let png = files.join("september.png");
    picture(150).save_with_format(&png, image::ImageFormat::Png)?;
    let heic = files.join("IMG_0042.HEIC");
    heif_enc(&png, &heic);
    exiftool(
        &[
            "-q",
            "-overwrite_original",
            "-DateTimeOriginal=2025:09:01 10:00:00",
        ],
        &heic,
    );

    app.click("tab-photos").await?;
    app.choose_files("photo-file-input", &[&june, &heic, &undated])
        .await?;
    app.wait_text(
        "photo-import-status",
        "Imported: 3. Already imported: 0. Failed: 0.",
    )
    .await?;
    app.wait_for(
        "three thumbnails drawn",
        "const imgs = [...document.querySelectorAll('[data-testid=photo-thumb] img')]; \
         return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth > 0);",
    )
    .await?;
    let dates = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=photo-date]')].map(d => d.textContent.trim())",
            vec![],
        )
        .await?;
    let dates: Vec<&str> = dates
        .as_array()
        .ok_or("no photo dates")?
        .iter()
        .filter_map(|d| d.as_str())
        .collect();
    assert_eq!(dates.len(), 3, "{dates:?}");
    assert!(
        dates[0].starts_with("Imported"),
        "today's import first: {dates:?}"
    );
    assert!(
        dates[1].starts_with("Taken") && dates[1].contains("Sep"),
        "the iPhone photo, taken in September: {dates:?}"
    );
    assert!(
        dates[2].starts_with("Taken") && dates[2].contains("Jun"),
        "then June's: {dates:?}"
    );
    app.painted_screenshot("photo-dates").await;
    app.close().await
}

#[tokio::test]
async fn the_french_header_fits_on_one_line_and_french_punctuation_has_its_spaces() -> Result<()> {
    let app = App::start_signed_in("defect-french-header", Options::default()).await?;
    app.click("nav-settings").await?;
    app.by_css("[data-testid=settings-language] option[value=fr]")
        .await?
        .click()
        .await?;
    app.wait_text("screen-settings", "Réglages").await?;

    app.client.set_window_size(1200, 800).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows = app
        .client
        .execute(
            "return new Set([...document.querySelectorAll('.app-header .nav-link')]\
             .map(l => Math.round(l.getBoundingClientRect().top))).size",
            vec![],
        )
        .await?;
    app.screenshot("header-fr-1200").await;
    assert_eq!(rows.as_u64(), Some(1), "the French menu wraps at 1200 px");

    app.client.set_window_size(600, 400).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let share = app
        .client
        .execute(
            "return document.querySelector('.app-header').getBoundingClientRect().height / window.innerHeight",
            vec![],
        )
        .await?;
    app.screenshot("header-fr-600x400").await;
    let share = share.as_f64().ok_or("no header height")?;
    assert!(
        share <= 0.3,
        "the header takes {:.0}% of a 600 × 400 window",
        share * 100.0
    );

    app.client.set_window_size(1200, 800).await?;
    let text = app
        .client
        .execute("return document.body.innerText", vec![])
        .await?;
    let text = text.as_str().unwrap_or_default();
    let chars: Vec<char> = text.chars().collect();
    for (i, pair) in chars.windows(2).enumerate() {
        if [':', ';', '!', '?'].contains(&pair[1]) {
            let context: String = chars[i.saturating_sub(20)..(i + 3).min(chars.len())]
                .iter()
                .collect();
            assert!(
                !pair[0].is_alphabetic(),
                "no space before “{}”: …{context}…",
                pair[1]
            );
            assert!(
                pair[0] != ' ',
                "an ordinary space (which can break) before “{}”: …{context}…",
                pair[1]
            );
        }
    }
    app.close().await
}

#[tokio::test]
async fn a_failed_setup_puts_the_cursor_on_the_problem_and_the_recovery_sheet_says_how_to_use_it()
-> Result<()> {
    let app = App::start("defect-setup", Options::default()).await?;
    app.by_id("screen-setup").await?;
    app.fill("setup-username", "ana").await?;
    app.fill("setup-password", PASSWORD).await?;
    app.fill("setup-confirm", "not the same passphrase").await?;
    app.click("setup-submit").await?;
    app.wait_for(
        "the cursor on the repeated password",
        "return document.activeElement?.id === 'setup-confirm'",
    )
    .await?;
    app.fill("setup-confirm", PASSWORD).await?;
    app.click("setup-submit").await?;
    app.by_id("screen-recovery").await?;
    let usage = app.by_id("recovery-use").await?.text().await?;
    assert!(
        usage.contains("sign-in screen") && usage.contains("Forgot"),
        "the sheet says where the key is typed: {usage}"
    );
    let warning = app.by_id("recovery-print-warning").await?.text().await?;
    assert!(
        warning.contains("Print to file") && warning.contains("this computer"),
        "printing to a file is warned against: {warning}"
    );
    app.screenshot("recovery-sheet").await;
    app.close().await
}
