//! Tauri's build step, with an app permission manifest that allows exactly the app's own
//! commands. Their names are read from the one list of them (`with_commands!` in
//! `src/commands/mod.rs`), so a command added there is allowed here, and nothing else is:
//! the capability grants the set `app-commands` written below, plus two event permissions.

use std::path::PathBuf;

const COMMAND_LIST: &str = "src/commands/mod.rs";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={COMMAND_LIST}");
    let source = std::fs::read_to_string(COMMAND_LIST)?;
    let commands = command_names(&source);
    if commands.is_empty() {
        return Err(format!("no command found in {COMMAND_LIST}").into());
    }

    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let dir = out.join("app-permissions");
    std::fs::create_dir_all(&dir)?;
    let allow: Vec<String> = commands.iter().map(|c| format!("{c:?}")).collect();
    let set = format!(
        "[[permission]]\n\
         identifier = \"app-commands\"\n\
         description = \"Every command of Tessera's own, and only those.\"\n\
         commands.allow = [{}]\n",
        allow.join(", ")
    );
    let file = dir.join("app-commands.toml");
    if std::fs::read_to_string(&file).ok().as_deref() != Some(set.as_str()) {
        std::fs::write(&file, set)?;
    }

    // Tauri keeps these for the whole build: leaking them is how a build script hands over
    // `&'static` data.
    let commands: &'static [&'static str] = Vec::leak(
        commands
            .into_iter()
            .map(|c| &*String::leak(c))
            .collect::<Vec<&'static str>>(),
    );
    let pattern: &'static str = String::leak(format!("{}/*.toml", dir.display()));
    let manifest = tauri_build::AppManifest::new()
        .commands(commands)
        .permissions_path_pattern(pattern);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))?;
    Ok(())
}

/// The command names in `with_commands!`: the last segment of each `crate::commands::…`
/// path listed there.
fn command_names(source: &str) -> Vec<String> {
    let list = source
        .split_once("macro_rules! with_commands")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split_once(']'))
        .map(|(list, _)| list)
        .unwrap_or_default();
    list.split(|c: char| c == ',' || c == '[' || c.is_whitespace())
        .filter_map(|path| path.strip_prefix("crate::commands::"))
        .filter_map(|path| path.rsplit("::").next())
        .map(str::to_owned)
        .collect()
}
