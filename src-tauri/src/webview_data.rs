//! Where the webview keeps its data: a private folder on the user's runtime file system
//! (`$XDG_RUNTIME_DIR`, memory on a systemd desktop), made at start and removed at exit, so
//! nothing the window showed (a decrypted photo in WebKit's cache, a page) stays on disk.
//! WebKitGTK's own ephemeral ("incognito") mode would do the same, but it refuses the
//! WebDriver session the end-to-end tests drive the real window with.

use std::path::{Path, PathBuf};

/// The folder for this process, made private (0700). Without a runtime directory, one in
/// the temporary directory, removed all the same at exit.
pub fn create() -> std::io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("tessera-webview-{}", std::process::id()));
    // A folder of a process that had this id before and died without removing it.
    let _ = std::fs::remove_dir_all(&dir);
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir)?;
    Ok(dir)
}

/// Removes the folder and everything the webview put in it.
pub fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webview_folder_is_private_and_goes_away() {
        let dir = create().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        std::fs::write(dir.join("cache"), b"a page").unwrap();
        remove(&dir);
        assert!(!dir.exists());
    }
}
