//! Command-line arguments (clap), as `spec/cli.md` describes them.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// roster keeps a Zoom account equal to a folder of YAML manifests.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about, long_about = None)]
pub struct Cli {
    /// State folder for the embedded store and simulator.
    #[arg(long, global = true, env = "ROSTER_STATE", default_value = "./state")]
    pub state: PathBuf,
    /// Shared store URL (e.g. postgres://…) instead of the embedded SQLite file.
    #[arg(long, global = true, env = "ROSTER_STORE")]
    pub store: Option<String>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Colour on stdout.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Plan output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Like `terraform plan`.
    Text,
    /// The stable JSON contract.
    Json,
    /// For pull-request comments.
    Markdown,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check the manifests (no network, no store writes).
    Validate {
        /// Manifest folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Refresh the observed state, diff, print the plan.
    Plan {
        /// Manifest folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Exit 2 when the plan has changes.
        #[arg(long)]
        detailed_exitcode: bool,
        /// `--refresh=false` plans against the last stored state with no provider call.
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        refresh: bool,
        /// Save the plan for `roster apply PLAN_FILE`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Let the plan remove up to N users despite policy.maxRemovals.
        #[arg(long)]
        allow_removals: Option<u32>,
    },
    /// Plan, confirm, apply, summarise.
    Apply {
        /// Manifest folder, or a plan file saved with `plan --out`.
        #[arg(default_value = ".")]
        target: PathBuf,
        /// Apply without asking for confirmation.
        #[arg(long)]
        auto_approve: bool,
        /// Let the plan remove up to N users despite policy.maxRemovals.
        #[arg(long)]
        allow_removals: Option<u32>,
        /// Changes in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Long-running reconciler: watch the manifests, resync on cron, webhooks, HTTP
    /// health, metrics and status (see README, "Running the daemon").
    Daemon(crate::daemon::DaemonArgs),
    /// Export the account's users.
    Export {
        /// What to export.
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Close a manual change (no Zoom API) once it was made in the portal; list the
    /// pending ones when no id is given.
    Confirm {
        /// The change id the plan printed (e.g. `create_organization:organization/Acme Group`).
        change_id: Option<String>,
        /// Manifest folder (names the accounts).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Drive the embedded simulator.
    Sim {
        /// Simulator command.
        #[command(subcommand)]
        command: super::sim_cmd::SimCommand,
    },
}

/// `roster export …`.
#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// The account's users as CSV in the UserImport columns (from the last observation).
    Users {
        /// Manifest folder (names the account and its provider).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format (csv only).
        #[arg(long, default_value = "csv")]
        format: String,
    },
}
