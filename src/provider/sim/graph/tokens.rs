//! A user's Microsoft OAuth grant in the simulator: refresh tokens that rotate.
//!
//! The rule (Microsoft's, as the fake keeps it): every refresh grant answers a new refresh
//! token. The token used keeps working only until its successor has been used once, so a
//! client that lost an answer can retry with the old token (that replaces the unused
//! successor), but once the new token has been redeemed the old one is `invalid_grant`
//! (AADSTS70000). A revoked grant refuses every token (AADSTS50173).

use super::GraphError;
use serde::{Deserialize, Serialize};

/// The grant: the newest refresh token, the one before it (still valid until the newest
/// is used), and whether the user or an admin revoked it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Grant {
    /// The newest refresh token (a seed names the bootstrap one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The token the newest one was issued for: valid until the newest is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Revoked (`roster sim graph revoke`): every refresh is `invalid_grant`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
    /// Tokens issued so far (numbers the next one).
    #[serde(default)]
    pub issued: u64,
}

/// AADSTS70000: the token is unknown, malformed or was superseded.
pub fn superseded() -> GraphError {
    GraphError::InvalidGrant(
        "AADSTS70000: The provided value for the 'refresh_token' is not valid: it was \
         redeemed and replaced, or never issued."
            .into(),
    )
}

/// AADSTS50173: the grant was revoked.
pub fn revoked() -> GraphError {
    GraphError::InvalidGrant(
        "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth \
         token is needed. The user might have changed or reset their password."
            .into(),
    )
}

impl Grant {
    /// Whether `token` would be accepted now (without redeeming it).
    pub fn accepts(&self, token: &str) -> Result<(), GraphError> {
        if self.revoked {
            return Err(revoked());
        }
        let ok = |t: &Option<String>| t.as_deref() == Some(token);
        if ok(&self.refresh_token) || ok(&self.previous) {
            Ok(())
        } else {
            Err(superseded())
        }
    }

    /// Redeems `token` for `tag` (the user, part of the token text): the new refresh
    /// token, by the rotation rule of this module.
    pub fn redeem(&mut self, token: &str, tag: &str) -> Result<String, GraphError> {
        self.accepts(token)?;
        self.issued += 1;
        let fresh = format!(
            "M.C5{}_{}.R{}",
            tag.len(),
            tag.replace(['@', '.'], "_"),
            self.issued
        );
        if self.refresh_token.as_deref() == Some(token) {
            self.previous = self.refresh_token.replace(fresh.clone());
        } else {
            // The old token again (its answer was lost): the unused successor is replaced.
            self.refresh_token = Some(fresh.clone());
        }
        Ok(fresh)
    }

    /// Revokes the grant.
    pub fn revoke(&mut self) {
        self.revoked = true;
    }
}
