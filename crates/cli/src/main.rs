//! `tessera`: the command line over tessera-core, for admins, scripts and tests.
//!
//! Exit codes (the contract in docs/cli.md): 0 ok, 1 failure, 2 usage, 3 authentication or
//! authorization refused, 4 integrity failure.

mod args;
mod commands;
mod input;
mod output;
mod secrets;

use std::process::ExitCode;

use clap::Parser;
use tessera_core::ErrorClass;

fn main() -> ExitCode {
    // `tessera --qr-worker` is the QR decoder's worker process (see tessera-camera): it
    // serves frames on stdin and exits; any other command line goes on.
    tessera_camera::worker::serve_if_requested();
    let cli = args::Cli::parse();
    if let Err(err) = tessera_core::process::keep_memory_private() {
        eprintln!("tessera: {err}");
        return ExitCode::FAILURE;
    }
    match commands::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tessera: {}", describe(&err));
            ExitCode::from(exit_code(&err))
        }
    }
}

/// The message, with the context chain when it adds something.
fn describe(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|c| c.is::<secrets::UsageError>()) {
        return 2;
    }
    if err
        .chain()
        .any(|c| c.is::<commands::verify_install::NotVerified>())
    {
        return 4;
    }
    match err
        .chain()
        .find_map(|c| c.downcast_ref::<tessera_core::Error>())
        .map(|e| e.class())
    {
        Some(ErrorClass::Refused) => 3,
        Some(ErrorClass::Integrity) => 4,
        _ => 1,
    }
}
