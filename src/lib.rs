//! roster keeps a Zoom account equal to a folder of YAML manifests.
//!
//! The one idea: observe (provider → `Observed`), diff (`plan`, pure), act (`apply`).
//! See ARCHITECTURE.md for the map.
#![warn(missing_docs)]

pub mod apply;
pub mod cli;
pub mod daemon;
pub mod integrations;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod provider;
pub mod reconcile;
pub mod session;
pub mod store;
pub mod sync;
