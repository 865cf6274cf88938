//! The OAuth 2 refresh grant of Google and Microsoft (K4), with the `oauth2` crate: the
//! design card's choice, and the one place where the token endpoint's answers
//! (`invalid_grant`, a rotated refresh token) are read. Secrets never appear in errors.

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, RefreshToken, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};

/// Where and as whom roster asks for tokens on a user's behalf.
#[derive(Clone)]
pub struct TokenEndpoint {
    /// The token URL (`https://oauth2.googleapis.com/token`,
    /// `https://login.microsoftonline.com/TENANT/oauth2/v2.0/token`, or the simulator's).
    pub url: String,
    /// The OAuth client roster is registered as.
    pub client_id: String,
    /// Its secret (none for a public client).
    pub client_secret: Option<String>,
    /// Scopes to ask for (Microsoft wants them on a refresh; Google keeps the consented).
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<secret>"),
            )
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// What a refresh gave: the access token for this run, and the refresh token to keep
/// when the service replaced it (Microsoft always does).
pub struct Grant {
    /// The bearer token for this run.
    pub access_token: String,
    /// The new refresh token, if the answer carried one.
    pub refresh_token: Option<String>,
}

/// Why a refresh failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The service refused the refresh token (`invalid_grant`: revoked, expired, unused
    /// too long): the user must authorise again. Never retried.
    #[error("the refresh token was refused (invalid_grant{}): the user must re-authorise", .0.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    InvalidGrant(Option<String>),
    /// Any other refusal (a wrong client, a bad scope), with the service's words.
    #[error("the token endpoint refused: {0}")]
    Refused(String),
    /// The endpoint could not be reached or answered something that is no token.
    #[error("token endpoint: {0}")]
    Transport(String),
}

/// Exchanges `refresh_token` for an access token at `ep`.
pub async fn refresh(ep: &TokenEndpoint, refresh_token: &str) -> Result<Grant, OAuthError> {
    let url = TokenUrl::new(ep.url.clone())
        .map_err(|e| OAuthError::Transport(format!("{}: {e}", ep.url)))?;
    let mut client = BasicClient::new(ClientId::new(ep.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(url);
    if let Some(s) = &ep.client_secret {
        client = client.set_client_secret(ClientSecret::new(s.clone()));
    }
    let http = oauth2::reqwest::ClientBuilder::new()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .timeout(crate::provider::DEFAULT_REQUEST_TIMEOUT)
        .build()
        .map_err(|e| OAuthError::Transport(e.to_string()))?;
    let answer = client
        .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
        .add_scopes(ep.scopes.iter().cloned().map(Scope::new))
        .request_async(&http)
        .await;
    match answer {
        Ok(t) => Ok(Grant {
            access_token: t.access_token().secret().clone(),
            refresh_token: t.refresh_token().map(|r| r.secret().clone()),
        }),
        Err(RequestTokenError::ServerResponse(e)) => match e.error() {
            BasicErrorResponseType::InvalidGrant => {
                Err(OAuthError::InvalidGrant(e.error_description().cloned()))
            }
            other => Err(OAuthError::Refused(match e.error_description() {
                Some(d) => format!("{other}: {d}"),
                None => other.to_string(),
            })),
        },
        Err(RequestTokenError::Request(e)) => Err(OAuthError::Transport(e.to_string())),
        Err(RequestTokenError::Parse(e, _)) => Err(OAuthError::Transport(format!(
            "the answer is not a token response: {e}"
        ))),
        Err(RequestTokenError::Other(e)) => Err(OAuthError::Transport(e)),
    }
}
