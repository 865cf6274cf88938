//! Integration tests: the real `roster` binary against the embedded simulator and the
//! SQLite store, each test in a fresh temp dir. One test binary, so it links once.

mod apply;
mod architecture;
mod audit;
mod calendly;
mod cli_docs;
mod contract;
mod crash;
mod daemon;
mod daemon_calendly;
mod diagnostics;
mod example;
mod harness;
mod import;
mod integrations;
mod org;
mod postgres;
mod preview;
mod regress;
mod replicas;
mod secrets;
mod sim_serve;
mod status_page;
mod surface;
mod truth;
mod validate;
