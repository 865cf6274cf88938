//! `roster sim …` (placeholder until the simulator module lands).

use crate::provider::ProviderError;
use std::path::Path;

/// `roster sim` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Print the simulated cloud as JSON.
    Show,
}

/// Runs a `roster sim` subcommand.
pub async fn run(_cmd: SimCommand, _state_dir: &Path) -> Result<(), ProviderError> {
    Err(ProviderError::Config(
        "the simulator is not built yet".into(),
    ))
}
