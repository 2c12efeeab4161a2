//! The scanner and its worker process, end to end.
//!
//! This test binary has its own `main` (`harness = false` in Cargo.toml) because it is also the
//! worker the tests spawn: started with `--qr-worker`, it calls
//! `tessera_camera::worker::serve_if_requested()` first, exactly as the app's and CLI's `main`
//! do, and serves frames. That tests the real worker, built from the same code, with no extra
//! binary to build or find. libtest's own `main` cannot do this: it prints to stdout, which is
//! the worker's reply channel. The small harness below runs the named tests, takes a name
//! filter as its first free argument, and closes with libtest's summary line.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::panic::catch_unwind;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{card_frame, frame_of, token};
use tessera_camera::protocol::{Reply, read_reply};
use tessera_camera::{
    Frame, FrameSource, MissReason, ReplaySource, ScanOutcome, Scanner, WORKER_FLAG,
};

type Test = (&'static str, fn());

const TESTS: &[Test] = &[
    (
        "recorded_frames_through_the_replay_source_yield_the_token",
        recorded_frames_through_the_replay_source_yield_the_token,
    ),
    (
        "a_frame_that_kills_the_worker_is_a_miss_and_the_next_frame_still_decodes",
        a_frame_that_kills_the_worker_is_a_miss_and_the_next_frame_still_decodes,
    ),
    (
        "a_stuck_worker_is_killed_after_the_time_limit",
        a_stuck_worker_is_killed_after_the_time_limit,
    ),
    (
        "hostile_frame_sizes_are_refused_before_allocation",
        hostile_frame_sizes_are_refused_before_allocation,
    ),
    (
        "garbage_from_the_worker_is_a_miss",
        garbage_from_the_worker_is_a_miss,
    ),
    (
        "a_worker_that_cannot_start_is_a_miss",
        a_worker_that_cannot_start_is_a_miss,
    ),
    (
        "one_worker_serves_many_frames",
        one_worker_serves_many_frames,
    ),
];

fn main() {
    tessera_camera::worker::serve_if_requested();

    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in TESTS {
            println!("{name}: test");
        }
        return;
    }
    let filter = args.iter().find(|a| !a.starts_with('-'));
    let exact = args.iter().any(|a| a == "--exact");
    let selected: Vec<&Test> = TESTS
        .iter()
        .filter(|(name, _)| match filter {
            None => true,
            Some(f) if exact => name == f,
            Some(f) => name.contains(f.as_str()),
        })
        .collect();
    let start = Instant::now();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test) in &selected {
        let ok = catch_unwind(test).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        if !ok {
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        selected.len() - failed.len(),
        failed.len(),
        TESTS.len() - selected.len(),
        start.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        std::process::exit(101);
    }
}

/// This test binary as a worker, as the app starts its own executable.
fn worker_command() -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.arg(WORKER_FLAG);
    command
}

fn found(outcome: &ScanOutcome) -> &[String] {
    match outcome {
        ScanOutcome::Found(texts) => texts,
        ScanOutcome::Miss { reason } => panic!("expected a decode, got a miss: {reason}"),
    }
}

fn recorded_frames_through_the_replay_source_yield_the_token() {
    let text = token(21);
    let dir = tempfile::tempdir().unwrap();
    let blank = image::GrayImage::from_pixel(1280, 720, image::Luma([200]));
    blank.save(dir.path().join("frame-001.png")).unwrap();
    blank.save(dir.path().join("frame-002.jpg")).unwrap();
    let card = card_frame(&text);
    let card = image::GrayImage::from_raw(card.width, card.height, card.luma).unwrap();
    card.save(dir.path().join("frame-003.png")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();

    let mut source = ReplaySource::from_dir(dir.path()).unwrap();
    assert_eq!(source.remaining(), 3);
    let mut scanner = Scanner::new(worker_command());
    let mut outcomes = Vec::new();
    while let Some(frame) = source.next_frame().unwrap() {
        outcomes.push(scanner.scan(&frame));
    }
    assert_eq!(
        outcomes,
        vec![
            ScanOutcome::Found(vec![]),
            ScanOutcome::Found(vec![]),
            ScanOutcome::Found(vec![text]),
        ]
    );
}

fn a_frame_that_kills_the_worker_is_a_miss_and_the_next_frame_still_decodes() {
    let text = token(22);
    let frame = card_frame(&text);
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("died-once");
    // The first worker reads the frame's header and is killed with SIGKILL, as a decoder
    // crash or the memory limit would kill it; the restarted one is the real worker.
    let mut command = Command::new("sh");
    command.args([
        "-c",
        r#"if [ -e "$1" ]; then exec "$2" --qr-worker; fi; : > "$1"; head -c 8 >/dev/null; kill -9 $$"#,
        "sh",
    ]);
    command.arg(&marker).arg(std::env::current_exe().unwrap());
    let mut scanner = Scanner::new(command);

    let first = scanner.scan(&frame);
    assert_eq!(
        first,
        ScanOutcome::Miss {
            reason: MissReason::WorkerDied
        }
    );
    assert!(marker.exists());
    assert_eq!(found(&scanner.scan(&frame)), std::slice::from_ref(&text));
    // And the restarted worker stays up for the frames after.
    assert_eq!(found(&scanner.scan(&frame)), [text]);
}

fn a_stuck_worker_is_killed_after_the_time_limit() {
    let mut command = Command::new("sleep");
    command.arg("30");
    let mut scanner = Scanner::new(command).with_time_limit(Duration::from_millis(300));
    let frame = card_frame(&token(23));
    let start = Instant::now();
    let outcome = scanner.scan(&frame);
    let elapsed = start.elapsed();
    assert_eq!(
        outcome,
        ScanOutcome::Miss {
            reason: MissReason::TimedOut
        }
    );
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

fn hostile_frame_sizes_are_refused_before_allocation() {
    // Straight to the worker: a header claiming 100000x100000 (10 GB, ten times the worker's
    // 1 GiB memory limit, so an attempt to allocate it would abort the worker, not answer).
    let mut worker = worker_command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = worker.stdin.take().unwrap();
    stdin.write_all(&100_000u32.to_le_bytes()).unwrap();
    stdin.write_all(&100_000u32.to_le_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut stdout = worker.stdout.take().unwrap();
    let reply = read_reply(&mut stdout).unwrap();
    match reply {
        Reply::Miss(why) => assert!(why.contains("refused"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // It then stops (the stream is out of step), by exiting, not by a signal.
    let status = worker.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());

    // The scanner refuses such a frame itself, without starting a worker (the command does
    // not even exist).
    let mut scanner = Scanner::new(Command::new("/nonexistent/qr-worker"));
    let hostile = Frame {
        width: 100_000,
        height: 100_000,
        luma: Vec::new(),
    };
    assert!(matches!(
        scanner.scan(&hostile),
        ScanOutcome::Miss {
            reason: MissReason::FrameRefused(_)
        }
    ));
}

fn garbage_from_the_worker_is_a_miss() {
    let mut command = Command::new("sh");
    command.args(["-c", r"printf 'garbage!'; exec cat >/dev/null"]);
    let mut scanner = Scanner::new(command);
    let outcome = scanner.scan(&card_frame(&token(24)));
    assert!(
        matches!(
            outcome,
            ScanOutcome::Miss {
                reason: MissReason::Garbage(_)
            }
        ),
        "{outcome:?}"
    );
}

fn a_worker_that_cannot_start_is_a_miss() {
    let mut scanner = Scanner::new(Command::new("/nonexistent/qr-worker"));
    let frame = frame_of(image::GrayImage::new(4, 4));
    assert!(matches!(
        scanner.scan(&frame),
        ScanOutcome::Miss {
            reason: MissReason::WorkerUnavailable(_)
        }
    ));
}

fn one_worker_serves_many_frames() {
    let text = token(25);
    let frame = card_frame(&text);
    let blank = frame_of(image::GrayImage::from_pixel(320, 240, image::Luma([255])));
    let mut scanner = Scanner::new(worker_command());
    for _ in 0..3 {
        assert_eq!(found(&scanner.scan(&frame)), std::slice::from_ref(&text));
        assert!(found(&scanner.scan(&blank)).is_empty());
    }
}
