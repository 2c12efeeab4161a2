//! The smallest Tauri window: one static page. Built beside the app so that
//! `scripts/measure-startup.sh` compares the two under the same conditions.

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("minimal window: {e}");
        std::process::exit(1);
    }
}
