//! Start-up time and idle memory of the app beside a minimal Tauri window, measured the same
//! way in the same run (`scripts/measure-startup.sh` builds both and runs this).
//!
//! Start-up: from asking tauri-driver for a session (which starts the process) to the first
//! screen (unlock, or first-run setup) being rendered. Memory: PSS summed over the app
//! and its WebKit child processes, read from /proc/PID/smaps_rollup after 3 s idle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tessera_e2e::{App, Options, Result};

const ROUNDS: usize = 5;

#[tokio::main]
async fn main() -> Result<()> {
    let app = PathBuf::from(std::env::var_os("TESSERA_APP_BIN").ok_or("set TESSERA_APP_BIN")?);
    let minimal =
        PathBuf::from(std::env::var_os("MINIMAL_WINDOW_BIN").ok_or("set MINIMAL_WINDOW_BIN")?);
    let mut results: HashMap<&str, (Vec<f64>, Vec<f64>)> = HashMap::new();
    for round in 0..ROUNDS {
        for (label, bin) in [("tessera", &app), ("minimal", &minimal)] {
            let (secs, pss) = measure(bin, &format!("startup-{label}-{round}")).await?;
            let entry = results.entry(label).or_default();
            entry.0.push(secs);
            entry.1.push(pss);
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("{ROUNDS} rounds, medians");
    println!("{:<10} {:>12} {:>12}", "window", "start (s)", "PSS (MB)");
    for label in ["tessera", "minimal"] {
        let (secs, pss) = &results[label];
        println!("{label:<10} {:>12.3} {:>12.1}", median(secs), median(pss));
    }
    let (t, m) = (&results["tessera"], &results["minimal"]);
    println!(
        "ratio      {:>12.2} {:>12.2}",
        median(&t.0) / median(&m.0),
        median(&t.1) / median(&m.1)
    );
    Ok(())
}

async fn measure(bin: &Path, name: &str) -> Result<(f64, f64)> {
    let started = Instant::now();
    let app = App::launch(bin, name, Options::default()).await?;
    app.by_css("[data-testid=screen-unlock], [data-testid=screen-setup]")
        .await?;
    let secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pss = pss_of_tree(bin)?;
    app.close().await?;
    Ok((secs, pss))
}

/// PSS in MB of the process running `bin` and all its descendants.
fn pss_of_tree(bin: &Path) -> Result<f64> {
    let bin = std::fs::canonicalize(bin)?;
    let mut parent = HashMap::new();
    let mut roots = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The parent pid is the second field after the parenthesised command name.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        if let Some(ppid) = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
        {
            parent.insert(pid, ppid);
        }
        if std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == bin) {
            roots.push(pid);
        }
    }
    let in_tree = |mut pid: u32| loop {
        if roots.contains(&pid) {
            return true;
        }
        match parent.get(&pid) {
            Some(&p) if p > 1 => pid = p,
            _ => return false,
        }
    };
    let mut kib = 0u64;
    for &pid in parent.keys().filter(|&&pid| in_tree(pid)) {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        kib += rollup
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(kib as f64 / 1024.0)
}
