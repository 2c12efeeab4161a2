//! Transfer between vaults in the real app. Two vaults made with the CLI, a clinic's and a
//! field laptop's, each opened by the app in turn, as two computers would be: each saves its
//! identity to the "stick" from its Transfer screen, and each pairs with the other's after
//! the fingerprint is shown (the cursor then in the name). The field app writes a bundle of
//! a patient registered there; the clinic app takes it in and saves the receipt beside it,
//! which the field app takes in. The same patient's phone is then changed on both sides (by
//! the CLI), and the field's second bundle leaves a conflict that the clinic settles in the
//! app by taking the field's version, which the clinic's vault then holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tessera_e2e::{App, Options, PASSWORD, Result, cli_bin};

const FIELD_PHONE: &str = "+258 84 999 0002";
const CLINIC_PHONE: &str = "+258 84 555 0001";

/// Runs the CLI on `vault` as its admin; its standard output.
fn cli(vault: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(cli_bin()?)
        .args(args)
        .env("TESSERA_VAULT", vault)
        .env("TESSERA_PASSWORD", PASSWORD)
        .output()?;
    if !out.status.success() {
        return Err(format!("tessera {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A vault with the admin `ana` (a light key derivation: the test signs in many times).
fn new_vault(vault: &Path) -> Result<()> {
    cli(
        vault,
        &[
            "init",
            "--admin",
            "ana",
            "--argon2-memory-mib",
            "19",
            "--argon2-passes",
            "2",
        ],
    )?;
    Ok(())
}

/// The app on `vault`, signed in, on its Transfer screen.
async fn transfer_screen(vault: &Path, name: &str) -> Result<App> {
    let options = Options {
        vault: Some(vault.to_path_buf()),
        ..Options::default()
    };
    let app = App::start(name, options).await?;
    app.sign_in(PASSWORD).await?;
    app.by_id("screen-patients").await?;
    app.click("nav-transfer").await?;
    app.by_id("screen-transfer").await?;
    Ok(app)
}

/// Saves this vault's identity to `file`; answers its fingerprint as shown.
async fn save_identity(app: &App, file: &Path) -> Result<String> {
    let fingerprint = app.by_id("transfer-fingerprint").await?.text().await?;
    app.wait_for(
        "the identity's QR code",
        "const qr = document.querySelector('[data-testid=transfer-identity-qr]'); \
         return !!qr && qr.complete && qr.naturalWidth > 0;",
    )
    .await?;
    app.fill("transfer-identity-file", &file.display().to_string())
        .await?;
    app.click("transfer-identity-save").await?;
    app.wait_text("transfer-identity-saved", &file.display().to_string())
        .await?;
    let saved = std::fs::read_to_string(file)?;
    assert!(
        saved.starts_with("TS1:") && saved.ends_with('\n'),
        "{saved:?}"
    );
    Ok(fingerprint.trim().to_owned())
}

/// Pairs with the vault whose identity is in `file`, checking the fingerprint shown is
/// `expected` and that the cursor waits in the name field.
async fn pair(app: &App, file: &Path, expected: &str, name: &str) -> Result<()> {
    app.fill("transfer-pair-file", &file.display().to_string())
        .await?;
    app.click("transfer-pair-read").await?;
    let shown = app.wait_text("transfer-pair-fingerprint", expected).await?;
    assert_eq!(shown.trim(), expected);
    let focused = app
        .client
        .execute(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await?;
    assert_eq!(focused.as_str(), Some("transfer-pair-name"), "the cursor");
    app.client.active_element().await?.send_keys(name).await?;
    app.painted_screenshot("pair-check").await;
    app.click("transfer-pair-submit").await?;
    app.wait_text("transfer-pair-done", &format!("Paired with {name}."))
        .await?;
    app.wait_text("transfer-peer", name).await?;
    Ok(())
}

/// Writes a bundle for the only paired vault into `stick`; answers the file written.
async fn send(app: &App, stick: &Path, expected: &str) -> Result<PathBuf> {
    app.fill("transfer-send-folder", &stick.display().to_string())
        .await?;
    app.click("transfer-send-submit").await?;
    app.wait_text("transfer-send-done", expected).await?;
    let file = app.by_id("transfer-send-file").await?.text().await?;
    let file = PathBuf::from(file.trim());
    assert!(
        file.starts_with(stick) && file.exists(),
        "{}",
        file.display()
    );
    Ok(file)
}

/// Takes in the bundle `file`; answers what the screen says it did.
async fn receive(app: &App, file: &Path, expected: &str) -> Result<String> {
    app.fill("transfer-receive-file", &file.display().to_string())
        .await?;
    app.click("transfer-receive-submit").await?;
    app.wait_text("transfer-receive-done", expected).await
}

#[tokio::test]
async fn two_vaults_pair_in_the_app_exchange_a_bundle_and_settle_a_conflict() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let clinic = tmp.path().join("clinic");
    let field = tmp.path().join("field");
    let stick = tmp.path().join("stick");
    std::fs::create_dir(&stick)?;
    new_vault(&clinic)?;
    new_vault(&field)?;
    let human_id = cli(
        &field,
        &[
            "--user",
            "ana",
            "patient",
            "add",
            "--given",
            "Inês",
            "--family",
            "Lopes",
            "--dob",
            "1990-04-02",
            "--phone",
            "+258 84 111 2222",
        ],
    )?
    .trim()
    .to_owned();

    // The field laptop saves its identity to the stick.
    let app = transfer_screen(&field, "transfer-field-identity").await?;
    let field_identity = stick.join("field.identity");
    let field_fingerprint = save_identity(&app, &field_identity).await?;
    app.painted_screenshot("identity").await;
    app.close().await?;

    // The clinic saves its own, and pairs with the field's after seeing its fingerprint.
    let app = transfer_screen(&clinic, "transfer-clinic-pair").await?;
    let clinic_identity = stick.join("clinic.identity");
    let clinic_fingerprint = save_identity(&app, &clinic_identity).await?;
    assert_ne!(clinic_fingerprint, field_fingerprint);
    pair(&app, &field_identity, &field_fingerprint, "Field laptop").await?;
    app.painted_screenshot("paired").await;
    app.close().await?;

    // The field laptop pairs with the clinic and writes its first bundle.
    let app = transfer_screen(&field, "transfer-field-send").await?;
    pair(&app, &clinic_identity, &clinic_fingerprint, "Clinic").await?;
    let first = send(&app, &stick, "Bundle 1 for Clinic is written.").await?;
    app.wait_text("transfer-send-holds", "1 patient").await?;
    app.painted_screenshot("sent").await;
    app.close().await?;

    // The clinic takes it in; the receipt is saved beside it.
    let app = transfer_screen(&clinic, "transfer-clinic-receive").await?;
    let done = receive(&app, &first, "Bundle 1 from Field laptop is taken in.").await?;
    assert!(done.contains("added"), "{done}");
    let receipt = first.with_file_name(format!(
        "{}.receipt",
        first.file_name().unwrap().to_string_lossy()
    ));
    app.wait_text(
        "transfer-receive-receipt-file",
        &receipt.display().to_string(),
    )
    .await?;
    assert!(std::fs::read_to_string(&receipt)?.starts_with("TS1:"));
    app.painted_screenshot("received").await;
    app.close().await?;
    assert!(
        cli(&clinic, &["--user", "ana", "patient", "show", &human_id])?.contains("Lopes"),
        "the clinic holds the patient"
    );

    // Both sides change the same patient's phone.
    cli(
        &clinic,
        &[
            "--user",
            "ana",
            "patient",
            "edit",
            &human_id,
            "--phone",
            CLINIC_PHONE,
        ],
    )?;
    cli(
        &field,
        &[
            "--user",
            "ana",
            "patient",
            "edit",
            &human_id,
            "--phone",
            FIELD_PHONE,
        ],
    )?;

    // The field laptop takes in the clinic's receipt, then writes its second bundle.
    let app = transfer_screen(&field, "transfer-field-receipt").await?;
    app.fill("transfer-receipt-file", &receipt.display().to_string())
        .await?;
    app.click("transfer-receipt-read").await?;
    app.wait_text(
        "transfer-receipt-done",
        "The receipt from Clinic is taken in",
    )
    .await?;
    let second = send(&app, &stick, "Bundle 2 for Clinic is written.").await?;
    app.close().await?;

    // The clinic takes it in: the phone changed on both sides waits for a person, who takes
    // the field's.
    let app = transfer_screen(&clinic, "transfer-clinic-conflict").await?;
    receive(&app, &second, "1 record changed on both sides").await?;
    app.wait_text("transfer-conflicts-waiting", "1 conflict waits")
        .await?;
    app.click("transfer-receive-to-conflicts").await?;
    app.wait_text("transfer-conflict", &human_id).await?;
    app.click("transfer-conflict-open").await?;
    app.wait_text("transfer-conflict-ours", CLINIC_PHONE)
        .await?;
    app.wait_text("transfer-conflict-theirs", FIELD_PHONE)
        .await?;
    let into_view = "document.querySelector('[data-testid=transfer-conflict]').scrollIntoView();";
    app.client.execute(into_view, vec![]).await?;
    app.painted_screenshot("conflict").await;
    app.zoom_to_200_percent().await?;
    app.by_id("transfer-conflict-table").await?;
    app.client.execute(into_view, vec![]).await?;
    app.painted_screenshot("conflict-200").await;
    app.assert_no_sideways_scroll("the Transfer screen").await?;
    app.client.execute("window.scrollTo(0, 0);", vec![]).await?;
    app.painted_screenshot("top-200").await;
    app.zoom_to_100_percent().await?;
    app.click("transfer-conflict-take-theirs").await?;
    app.wait_text(
        "transfer-conflict-question",
        "Take the version from Field laptop?",
    )
    .await?;
    app.click("transfer-conflict-confirm").await?;
    app.wait_text("transfer-conflicts-done", "the other vault’s version taken")
        .await?;
    app.by_id("transfer-conflicts-none").await?;
    app.painted_screenshot("settled").await;
    app.close().await?;

    let shown = cli(
        &clinic,
        &["--user", "ana", "--json", "patient", "show", &human_id],
    )?;
    assert!(shown.contains(FIELD_PHONE), "{shown}");
    assert!(!shown.contains(CLINIC_PHONE), "{shown}");
    Ok(())
}
