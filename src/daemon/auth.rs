//! Who may use the operator surface (issue 22).
//!
//! The daemon serves two surfaces on one address. The probes (`/healthz`, `/readyz`,
//! `/metrics`) and the Zoom webhook (signed by Zoom) are open and carry no personal data.
//! The operator surface (`/status`, `/`, its style sheet, `POST /reconcile`) shows users'
//! emails, manifest paths and planned changes, and starts runs that spend the account's
//! API budget: it needs the operator token, given as `Authorization: Bearer TOKEN`
//! (scripts, `curl`) or, for the pages only, as the password of HTTP Basic (browsers ask
//! for it). `POST /reconcile` takes only Bearer: a browser replays Basic credentials on
//! cross-site form posts, never a Bearer header, so no page elsewhere can start a run.
//!
//! The token comes from an environment variable or a file (a mounted Kubernetes Secret)
//! and is compared in constant time (SHA-256 digests, so neither content nor length
//! leaks through timing). Without a token, the operator surface is served only when the
//! daemon listens on a loopback address (a developer's machine), and then only to requests
//! whose `Host` is a loopback name, so that a web page cannot reach it through DNS
//! rebinding; on any other address it is closed.

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest operator token accepted (characters).
pub const MIN_TOKEN_LEN: usize = 16;

/// The operator token, kept as its SHA-256 digest. Never printed.
#[derive(Clone)]
pub struct OperatorToken([u8; 32]);

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorToken(redacted)")
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl OperatorToken {
    /// Reads a token (surrounding whitespace, such as a file's final newline, dropped);
    /// `from` names where it came from, for the error.
    pub fn new(text: &str, from: &str) -> Result<OperatorToken, String> {
        let t = text.trim();
        if t.chars().count() < MIN_TOKEN_LEN {
            return Err(format!(
                "the operator token in {from} has {} characters; use at least {MIN_TOKEN_LEN} (e.g. `openssl rand -hex 32`)",
                t.chars().count()
            ));
        }
        Ok(OperatorToken(digest(t.as_bytes())))
    }

    /// Whether `given` is the token, in constant time.
    pub fn matches(&self, given: &[u8]) -> bool {
        bool::from(digest(given).ct_eq(&self.0))
    }
}

/// How the operator surface is guarded.
#[derive(Debug, Clone)]
pub enum Access {
    /// Every request needs the token.
    Token(OperatorToken),
    /// No token, loopback listen address: open to requests addressed to a loopback name.
    Loopback,
    /// No token, other listen address: closed.
    Closed,
}

impl Access {
    /// The guard for a daemon listening on `listen` with `token`, if any.
    pub fn new(token: Option<OperatorToken>, listen: std::net::SocketAddr) -> Access {
        match token {
            Some(t) => Access::Token(t),
            None if listen.ip().is_loopback() => Access::Loopback,
            None => Access::Closed,
        }
    }
}

/// Why an operator request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header.
    MissingCredential,
    /// A credential that is not the token (or a scheme other than Bearer and Basic).
    WrongCredential,
    /// Basic credentials on `POST /reconcile`, which takes Bearer only.
    BasicOnPost,
    /// The daemon listens beyond loopback and has no token: the surface is closed.
    NoTokenConfigured,
    /// No token, loopback only, but the request names another host (DNS rebinding).
    ForeignHost,
}

impl Refusal {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::MissingCredential => "missing_credential",
            Refusal::WrongCredential => "wrong_credential",
            Refusal::BasicOnPost => "basic_on_post",
            Refusal::NoTokenConfigured => "no_token_configured",
            Refusal::ForeignHost => "foreign_host",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::MissingCredential
            | Refusal::WrongCredential
            | Refusal::BasicOnPost
            | Refusal::NoTokenConfigured => StatusCode::UNAUTHORIZED,
            Refusal::ForeignHost => StatusCode::FORBIDDEN,
        }
    }

    /// What the caller should do (no secret in it).
    pub fn message(self, token_env: &str) -> String {
        match self {
            Refusal::MissingCredential => {
                "this endpoint needs the operator token: send `Authorization: Bearer TOKEN`".into()
            }
            Refusal::WrongCredential => "the credential is not the operator token".into(),
            Refusal::BasicOnPost => {
                "POST /reconcile takes the token as `Authorization: Bearer TOKEN` only".into()
            }
            Refusal::NoTokenConfigured => format!(
                "the operator surface is closed: the daemon listens beyond loopback and has no operator token; set {token_env} or --operator-token-file"
            ),
            Refusal::ForeignHost => {
                "without an operator token the operator surface answers only requests to localhost"
                    .into()
            }
        }
    }
}

/// Checks an operator request: `read_only` for the pages (Basic accepted), not for
/// `POST /reconcile`.
pub fn check(access: &Access, read_only: bool, headers: &HeaderMap) -> Result<(), Refusal> {
    match access {
        Access::Closed => Err(Refusal::NoTokenConfigured),
        Access::Loopback => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            if host.is_some_and(is_loopback_host) {
                Ok(())
            } else {
                Err(Refusal::ForeignHost)
            }
        }
        Access::Token(token) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .ok_or(Refusal::MissingCredential)?
                .as_bytes();
            let secret = credential(given, read_only)?;
            if token.matches(&secret) {
                Ok(())
            } else {
                Err(Refusal::WrongCredential)
            }
        }
    }
}

/// The secret part of an `Authorization` header: Bearer's token, or (when `basic_ok`)
/// Basic's password.
fn credential(header: &[u8], basic_ok: bool) -> Result<Vec<u8>, Refusal> {
    let split = header.iter().position(|b| *b == b' ');
    let (scheme, rest) = split
        .map(|i| (&header[..i], &header[i + 1..]))
        .ok_or(Refusal::WrongCredential)?;
    if scheme.eq_ignore_ascii_case(b"bearer") {
        return Ok(rest.trim_ascii().to_vec());
    }
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return Err(Refusal::WrongCredential);
    }
    if !basic_ok {
        return Err(Refusal::BasicOnPost);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim_ascii())
        .map_err(|_| Refusal::WrongCredential)?;
    let colon = decoded.iter().position(|b| *b == b':');
    let password = colon.map_or(&decoded[..0], |i| &decoded[i + 1..]);
    Ok(password.to_vec())
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const TOKEN: &str = "0123456789abcdef0123";

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    fn token() -> Access {
        Access::Token(OperatorToken::new(&format!("{TOKEN}\n"), "test").expect("token"))
    }

    #[test]
    fn bearer_passes_for_everything_and_basic_only_for_reading() {
        let bearer = headers(&[(header::AUTHORIZATION, &format!("Bearer {TOKEN}"))]);
        assert_eq!(check(&token(), false, &bearer), Ok(()));
        assert_eq!(check(&token(), true, &bearer), Ok(()));
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("admin:{TOKEN}"));
        let basic = headers(&[(header::AUTHORIZATION, &format!("Basic {b64}"))]);
        assert_eq!(check(&token(), true, &basic), Ok(()));
        assert_eq!(check(&token(), false, &basic), Err(Refusal::BasicOnPost));
    }

    #[test]
    fn missing_wrong_and_odd_credentials_are_refused() {
        let check = |h: &HeaderMap| check(&token(), true, h);
        assert_eq!(check(&HeaderMap::new()), Err(Refusal::MissingCredential));
        for bad in [
            "Bearer 0123456789abcdef012",
            "Bearer 0123456789abcdef01234",
            "Bearer",
            "Token 0123456789abcdef0123",
            "Basic !!!",
        ] {
            let h = headers(&[(header::AUTHORIZATION, bad)]);
            assert_eq!(check(&h), Err(Refusal::WrongCredential), "{bad}");
        }
    }

    #[test]
    fn short_tokens_are_refused_and_tokens_never_print() {
        let e = OperatorToken::new("short\n", "ROSTER_OPERATOR_TOKEN").expect_err("short");
        assert!(
            e.contains("ROSTER_OPERATOR_TOKEN") && !e.contains("short\n"),
            "{e}"
        );
        let t = OperatorToken::new(TOKEN, "x").expect("token");
        assert_eq!(format!("{t:?}"), "OperatorToken(redacted)");
    }

    #[test]
    fn without_a_token_only_loopback_serves_and_only_to_loopback_names() {
        let loopback: std::net::SocketAddr = "127.0.0.1:9464".parse().expect("addr");
        let any: std::net::SocketAddr = "0.0.0.0:9464".parse().expect("addr");
        assert!(matches!(Access::new(None, loopback), Access::Loopback));
        assert!(matches!(Access::new(None, any), Access::Closed));
        assert_eq!(
            check(&Access::Closed, true, &HeaderMap::new()),
            Err(Refusal::NoTokenConfigured)
        );
        for host in [
            "127.0.0.1:9464",
            "localhost",
            "LOCALHOST:80",
            "[::1]:9464",
            "127.1.2.3",
        ] {
            let h = headers(&[(header::HOST, host)]);
            assert_eq!(check(&Access::Loopback, false, &h), Ok(()), "{host}");
        }
        for host in ["attacker.example:9464", "10.0.0.1", "[2001:db8::1]:80"] {
            let h = headers(&[(header::HOST, host)]);
            assert_eq!(
                check(&Access::Loopback, true, &h),
                Err(Refusal::ForeignHost),
                "{host}"
            );
        }
    }
}
