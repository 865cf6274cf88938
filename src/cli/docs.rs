//! Documentation generated from the clap definitions themselves (issue 16, part 3), so
//! the completions and the man pages cannot drift from the commands: `roster completions
//! SHELL` (clap_complete) and `roster man [--out DIR]` (clap_mangen).

use super::args::Cli;
use super::report::Failure;
use clap::CommandFactory;
use std::path::Path;

/// Prints the completion script of `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "roster", &mut std::io::stdout());
}

/// Prints `roster.1` on stdout, or writes `roster.1` and one page per subcommand
/// (`roster-plan.1`, `roster-sim-serve.1`, …) into `out`.
pub fn man(out: Option<&Path>) -> Result<u8, Failure> {
    let cmd = Cli::command();
    let Some(dir) = out else {
        let mut text = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut text)
            .map_err(|e| Failure::msg(format!("cannot render the man page: {e}")))?;
        use std::io::Write;
        std::io::stdout()
            .write_all(&text)
            .map_err(|e| Failure::msg(format!("cannot print the man page: {e}")))?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::msg(format!("cannot create {}: {e}", dir.display())))?;
    clap_mangen::generate_to(cmd, dir).map_err(|e| {
        Failure::msg(format!(
            "cannot write the man pages into {}: {e}",
            dir.display()
        ))
    })?;
    println!("Wrote the man pages into {}.", dir.display());
    Ok(0)
}
