//! The command-line edge: clap arguments, terminal output, confirmation prompt. Business
//! rules live in `plan`; this module only wires manifests, store and provider together.

pub mod args;
pub mod audit_cmd;
mod commands;
mod docs;
mod import_cmd;
pub mod progress;
pub mod report;
pub mod sim_cmd;

use args::{Cli, ColorChoice, LogFormat};
use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Entry point of the `roster` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The daemon is watched through its logs: it says what it does at info level.
    let daemon = matches!(cli.command, args::Command::Daemon { .. });
    init_logs(cli.log_format, if daemon { "info" } else { "warn" });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let cli_color = cli.color();
    let color = use_color(cli_color);
    match runtime.block_on(commands::run(cli, color)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            f.print(use_color_stderr(cli_color));
            ExitCode::from(1)
        }
    }
}

/// Whether stdout gets colours: anstream's detection for `auto` (a terminal, NO_COLOR,
/// CLICOLOR, CLICOLOR_FORCE, TERM=dumb).
fn use_color(choice: ColorChoice) -> bool {
    styled(choice, anstream::AutoStream::choice(&std::io::stdout()))
}

/// Whether stderr (diagnostics) gets colours, likewise.
fn use_color_stderr(choice: ColorChoice) -> bool {
    styled(choice, anstream::AutoStream::choice(&std::io::stderr()))
}

fn styled(choice: ColorChoice, detected: anstream::ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !matches!(detected, anstream::ColorChoice::Never),
    }
}

fn init_logs(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
