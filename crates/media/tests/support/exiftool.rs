//! The standard `exiftool`, as the judge of what metadata a file carries. Shared by the
//! media crate's tests and core's photo tests (`#[path]`-included there).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

/// A marker written into every identifying tag, so a leftover is easy to spot.
pub const SENTINEL: &str = "Sentinelqz";

/// Runs exiftool with `args` on `file`; panics with its message if it fails.
pub fn exiftool(args: &[&str], file: &Path) -> String {
    let out = Command::new("exiftool")
        .args(args)
        .arg(file)
        .output()
        .expect("exiftool is installed by scripts/setup.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Encodes the picture in `source` (a PNG or JPEG) as a HEIC at `out` with libheif's own
/// `heif-enc`, as a phone's camera would.
pub fn heif_enc(source: &Path, out: &Path) {
    let result = Command::new("heif-enc")
        .args(["-q", "80"])
        .arg(source)
        .arg("-o")
        .arg(out)
        .output()
        .expect("heif-enc is installed by scripts/setup.sh (libheif-examples)");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Asserts `exiftool -a -G1 -s` of `file` shows nothing but the file itself, what decoding
/// needs (JFIF, PNG, RIFF, ICC; HEIF's boxes, which exiftool calls QuickTime and Meta) and
/// the Orientation, and no trace of the sentinel or the
/// test's GPS position. Returns the report.
pub fn assert_no_identifying_tags(file: &Path) -> String {
    let report = exiftool(&["-a", "-G1", "-s"], file);
    for line in report.lines() {
        let group = line.split(']').next().unwrap_or("").trim_start_matches('[');
        let allowed = matches!(
            group,
            "ExifTool"
                | "System"
                | "File"
                | "JFIF"
                | "PNG"
                | "RIFF"
                | "Composite"
                | "QuickTime"
                | "Meta"
        ) || group.starts_with("ICC")
            || (group == "IFD0" && line.contains("Orientation"));
        assert!(allowed, "{}: left in: {line}\n{report}", file.display());
        assert!(
            !line.contains(SENTINEL) && !line.contains("38.7"),
            "{}: {line}",
            file.display()
        );
    }
    report
}
