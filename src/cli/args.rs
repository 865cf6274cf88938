//! Command-line arguments (clap), as `spec/cli.md` describes them.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// roster keeps a Zoom account equal to a folder of YAML manifests.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about, long_about = None)]
pub struct Cli {
    /// `roster --state DIR COMMAND`, the form scripts written before the option moved to
    /// the commands use; the command's own `--state` wins. Also `ROSTER_STATE`.
    #[arg(long, env = "ROSTER_STATE", hide = true)]
    pub state: Option<PathBuf>,
    /// `roster --store URL COMMAND`, likewise; also `ROSTER_STORE`.
    #[arg(long, env = "ROSTER_STORE", hide = true, hide_env_values = true)]
    pub store: Option<String>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Where a command keeps its state: the options of the commands that open the store.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreArgs {
    /// State folder of the embedded SQLite store and simulator [env: ROSTER_STATE]
    /// [default: ./state].
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Shared store URL (postgres://user@host/db) instead of the embedded SQLite file
    /// [env: ROSTER_STORE].
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

/// The simulator's state folder, for `roster sim …` (given before or after the
/// subcommand).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SimStateArgs {
    /// State folder of the simulated cloud (`sim.json`) [env: ROSTER_STATE]
    /// [default: ./state].
    #[arg(long, value_name = "DIR", global = true)]
    pub state: Option<PathBuf>,
}

/// How a command that prints for people colours its output.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct ColorArgs {
    /// Colour: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The resolved state folder and store URL of a command.
#[derive(Debug, Clone)]
pub struct Location {
    /// State folder.
    pub state: PathBuf,
    /// Shared store URL.
    pub store: Option<String>,
}

impl StoreArgs {
    /// The command's own `--state`/`--store`, else those of `top` (given before the
    /// command, or their environment variables), else `./state`.
    pub fn under(&self, top: &StoreArgs) -> Location {
        Location {
            state: self
                .state
                .clone()
                .or_else(|| top.state.clone())
                .unwrap_or_else(|| PathBuf::from("./state")),
            store: self.store.clone().or_else(|| top.store.clone()),
        }
    }
}

impl Cli {
    /// The colour choice of the command (auto for commands that print no styled text).
    pub fn color(&self) -> ColorChoice {
        match &self.command {
            Command::Validate { color, .. }
            | Command::Plan { color, .. }
            | Command::Apply { color, .. }
            | Command::Confirm { color, .. } => color.color,
            Command::Export {
                what: ExportWhat::Users { color, .. },
            } => color.color,
            Command::Daemon { .. }
            | Command::Sim { .. }
            | Command::Completions { .. }
            | Command::Schema
            | Command::Import { .. }
            | Command::Audit { .. }
            | Command::Man { .. } => ColorChoice::Auto,
        }
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
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
    /// Parse and check the manifests and every reference between them, offline: no
    /// network, no state folder, no store.
    Validate {
        /// Manifest folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Colour.
        #[command(flatten)]
        color: ColorArgs,
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
        /// Preview the plan the account will need at a later date (`2026-12-31`, midnight
        /// UTC, or an RFC 3339 time): U8 resends and expiries, `expires` removals. Nothing
        /// is saved, and the preview cannot be applied (no `--out`).
        #[arg(long, value_parser = parse_at, conflicts_with = "out")]
        at: Option<crate::model::Timestamp>,
        /// State and store.
        #[command(flatten)]
        store: StoreArgs,
        /// Colour.
        #[command(flatten)]
        color: ColorArgs,
    },
    /// Plan, confirm, apply, summarise. A plan file saved with `plan --out` was reviewed
    /// already: it is applied without asking.
    Apply {
        /// Manifest folder, or a plan file saved with `plan --out`.
        #[arg(default_value = ".")]
        target: PathBuf,
        /// Apply a manifest folder without asking for confirmation (needed without a
        /// terminal; a saved plan file never asks).
        #[arg(long)]
        auto_approve: bool,
        /// Let the plan remove up to N users despite policy.maxRemovals.
        #[arg(long)]
        allow_removals: Option<u32>,
        /// Changes in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// State and store.
        #[command(flatten)]
        store: StoreArgs,
        /// Colour.
        #[command(flatten)]
        color: ColorArgs,
    },
    /// Long-running reconciler: watch the manifests, resync on cron, webhooks, HTTP
    /// health, metrics and status (see README, "Running the daemon").
    Daemon {
        /// The daemon's own options.
        #[command(flatten)]
        args: crate::daemon::DaemonArgs,
        /// State and store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write manifests that describe the account as it is now (every kind the provider
    /// can show), so an existing account is adopted with an empty first plan. Into a
    /// folder that has files already it prints the diff, and writes only with `--write`.
    Import {
        /// Manifest folder holding the Account document (provider, defaults, policy).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Folder to write into (default: DIR). The Account's file is copied there.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Write the files and record what roster now manages (LastApplied); without it,
        /// only the diff is printed.
        #[arg(long)]
        write: bool,
        /// State and store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print every change roster applied, failed, left uncertain or recorded as manual,
    /// from the journal: time, run, actor, account, change, action, target, rule, outcome.
    Audit {
        /// Manifest folder (names the accounts).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Only rows written at or after this date (`2026-12-01`, midnight UTC) or time.
        #[arg(long, value_parser = parse_at)]
        since: Option<crate::model::Timestamp>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = super::audit_cmd::AuditFormat::Csv)]
        format: super::audit_cmd::AuditFormat,
        /// State and store.
        #[command(flatten)]
        store: StoreArgs,
    },
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
        /// State and store.
        #[command(flatten)]
        store: StoreArgs,
        /// Colour.
        #[command(flatten)]
        color: ColorArgs,
    },
    /// Print a shell completion script (`roster completions bash > /etc/bash_completion.d/roster`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the JSON Schema (draft 2020-12) of the manifest format, for editors
    /// (`# yaml-language-server: $schema=…`) and CI; generated from the loader's own table.
    Schema,
    /// Print the man page (roff), or write one page per command into `--out DIR`.
    Man {
        /// Folder to write `roster.1` and `roster-COMMAND.1` into, instead of printing
        /// `roster.1` on stdout.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Drive the embedded simulator.
    Sim {
        /// The simulator's state folder.
        #[command(flatten)]
        state: SimStateArgs,
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
        /// State and store.
        #[command(flatten)]
        store: StoreArgs,
        /// Colour (of diagnostics).
        #[command(flatten)]
        color: ColorArgs,
    },
}

/// `--at`: a date (midnight UTC) or an RFC 3339 time.
fn parse_at(s: &str) -> Result<crate::model::Timestamp, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| format!("{s:?} is neither a date (2026-12-31) nor an RFC 3339 time"))
}
