//! Crash-safe file writes: temp file, fsync, rename, fsync of the directory.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// Replaces `path` with `bytes` atomically: readers see the old or the new file, never a mix,
/// and after return the new content survives a power cut.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::invalid("path", format!("{} has no parent", path.display())))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", uuid::Uuid::now_v7()));
    let result = (|| {
        let mut file = create_private_file(&tmp)?;
        file.write_all(bytes)
            .map_err(Error::io(format!("cannot write {}", tmp.display())))?;
        file.sync_all()
            .map_err(Error::io(format!("cannot flush {}", tmp.display())))?;
        fs::rename(&tmp, path).map_err(Error::io(format!("cannot replace {}", path.display())))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Whether nobody has written `path` for `age` (false when that cannot be told).
pub(crate) fn older_than(path: &Path, age: Duration) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|elapsed| elapsed >= age)
}

/// Removes the files (and folders) in `dir` whose names `matches` and that nobody has
/// written for `age`: what a killed process left behind, once no live one can still be
/// writing it. Best effort: what cannot be read or removed stays for the next sweep.
pub(crate) fn remove_stale_files(dir: &Path, age: Duration, matches: impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if matches(&entry.file_name().to_string_lossy()) && older_than(&path, age) {
            let _ = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                fs::remove_dir_all(path)
            } else {
                fs::remove_file(path)
            };
        }
    }
}

/// Flushes everything written to the file system holding `dir` (files, names, directories)
/// to disk at once: cheaper than a sync per file when thousands were written.
pub(crate) fn sync_file_system(dir: &Path) -> Result<()> {
    let handle = File::open(dir).map_err(Error::io(format!("cannot open {}", dir.display())))?;
    rustix::fs::syncfs(&handle)
        .map_err(|e| Error::io(format!("cannot flush {}", dir.display()))(e.into()))
}

/// Flushes a directory's entries (new names, renames) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(format!(
            "cannot flush directory {}",
            dir.display()
        )))
}

/// Creates a directory readable only by its owner.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(Error::io(format!("cannot create {}", dir.display())))
}

/// Makes an existing file readable and writable by its owner only.
pub(crate) fn restrict_to_owner(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(Error::io(
            format!("cannot restrict permissions of {}", path.display()),
        ))?;
    }
    Ok(())
}

/// Creates a new file readable and writable by its owner only; fails if it exists.
pub(crate) fn create_private_file(path: &Path) -> Result<File> {
    private_file_options()
        .open(path)
        .map_err(Error::io(format!("cannot create {}", path.display())))
}

fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Refuses with [`Error::BackupNoSpace`] unless `destination`'s file system has `needed`
/// bytes free for this user.
pub(crate) fn check_space(destination: &Path, needed: u64) -> Result<()> {
    let stat = rustix::fs::statvfs(destination).map_err(|e| Error::Io {
        context: format!("cannot read the free space of {}", destination.display()),
        source: e.into(),
    })?;
    let available = stat.f_bavail.saturating_mul(stat.f_frsize);
    if available < needed {
        return Err(Error::BackupNoSpace {
            destination: destination.display().to_string(),
            needed,
            available,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("header.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directory_is_an_io_error_with_the_path() {
        let err = write_atomic(Path::new("/nonexistent-dir/x/header.json"), b"x").unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir/x"), "{err}");
    }
}
