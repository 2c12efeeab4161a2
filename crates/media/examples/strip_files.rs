//! Strips files' metadata with `tessera_media::strip` and writes the results to a
//! directory under the same names: the same work as `exiftool -all= -o OUT_DIR/ FILE...`
//! (read each file, rewrite it without metadata, write a new file), so that
//! `scripts/bench-photos.sh` compares like with like. One thread, as exiftool uses one.
//!
//! ```sh
//! cargo run --release -p tessera-media --example strip_files -- OUT_DIR FILE...
//! ```
//!
//! Exits 1 if any file could not be stripped, after trying them all.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out_dir), files) = (args.next().map(PathBuf::from), args.collect::<Vec<_>>()) else {
        eprintln!("usage: strip_files OUT_DIR FILE...");
        return ExitCode::from(2);
    };
    if files.is_empty() {
        eprintln!("usage: strip_files OUT_DIR FILE...");
        return ExitCode::from(2);
    }
    let mut failed = 0;
    for file in files.iter().map(Path::new) {
        if let Err(e) = strip_one(file, &out_dir) {
            eprintln!("{}: {e}", file.display());
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!("strip_files: {failed} of {} file(s) failed", files.len());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn strip_one(file: &Path, out_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let name = file.file_name().ok_or("not a file name")?;
    let bytes = std::fs::read(file)?;
    let stripped = tessera_media::strip::strip(&bytes)?;
    std::fs::write(out_dir.join(name), stripped.bytes)?;
    Ok(())
}
