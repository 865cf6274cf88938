//! The edge that runs a user's contact sync (K4, docs/integrations.md): it resolves the
//! integration's credentials (the OAuth refresh, the newest refresh token sealed in the
//! store), opens the two sides (the simulator's in-process fakes, or Google People /
//! Microsoft Graph and the Zoom personal contacts over HTTP), runs the pure engine of
//! [`crate::sync`] once and commits the status table with its cursors. Shared by
//! `roster sync`, `roster apply` and the daemon, as `reconcile` is for plans.
//!
//! - [`vault`]: sealing refresh tokens under the operator's key (`ROSTER_TOKEN_KEY`).
//! - [`oauth`]: the refresh grant (the `oauth2` crate), `invalid_grant` made a state.
//! - [`run`]: one run of one integration: its lease, credentials, sides and commit.

pub mod oauth;
pub mod run;
pub mod vault;

#[cfg(test)]
mod tests;
