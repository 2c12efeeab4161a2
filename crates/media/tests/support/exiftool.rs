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
