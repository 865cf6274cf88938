//! The `roster` binary: everything is in the library; see `roster::cli`.

fn main() -> std::process::ExitCode {
    roster::cli::main()
}
