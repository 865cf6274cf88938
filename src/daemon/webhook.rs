//! Zoom webhooks (spec/zoom-api.md section 9): signature verification, replay refusal and
//! the `endpoint.url_validation` answer. The HTTP handler is in `http`.
//!
//! Every request must be signed, the URL validation included: answering an unsigned
//! validation would hand anyone an HMAC of a string they chose, that is, a valid
//! signature for a forged event.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The app's secret token. Never printed.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Wraps the secret token.
    pub fn new(token: impl Into<Vec<u8>>) -> WebhookSecret {
        WebhookSecret(token.into())
    }

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().to_vec()
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

/// Why a webhook was refused (answered 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A header is missing.
    #[error("missing header {0}")]
    Missing(&'static str),
    /// The timestamp is not a number.
    #[error("x-zm-request-timestamp is not a Unix time")]
    BadTimestamp,
    /// The timestamp is too far from now (a replay, or a clock far off).
    #[error("x-zm-request-timestamp is {0} s away from now; refused as stale")]
    Stale(i64),
    /// The signature does not match.
    #[error("x-zm-signature does not match the body")]
    BadSignature,
}

impl Rejection {
    /// The metric label.
    pub fn as_str(&self) -> &'static str {
        match self {
            Rejection::Missing(_) => "missing_header",
            Rejection::BadTimestamp => "bad_timestamp",
            Rejection::Stale(_) => "stale",
            Rejection::BadSignature => "bad_signature",
        }
    }
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signature (HMAC bytes): the same bytes again mean the same request again.
    pub signature: Vec<u8>,
    /// The request's time, Unix seconds.
    pub timestamp: i64,
}

/// `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`: what Zoom puts in `x-zm-signature`.
pub fn sign(secret: &WebhookSecret, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v0={}",
        hex::encode(secret.mac(&[b"v0:", timestamp.as_bytes(), b":", body]))
    )
}

/// Checks a request's signature and freshness. `now` is Unix seconds.
pub fn verify(
    secret: &WebhookSecret,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<Verified, Rejection> {
    let ts_text = timestamp.ok_or(Rejection::Missing("x-zm-request-timestamp"))?;
    let sig = signature.ok_or(Rejection::Missing("x-zm-signature"))?;
    let ts: i64 = ts_text
        .trim()
        .parse()
        .map_err(|_| Rejection::BadTimestamp)?;
    // Zoom sends seconds; accept milliseconds too rather than refuse every event.
    let ts_secs = if ts > 100_000_000_000 { ts / 1000 } else { ts };
    let skew = now.saturating_sub(ts_secs);
    if skew.unsigned_abs() > tolerance.as_secs() {
        return Err(Rejection::Stale(skew));
    }
    let expected = secret.mac(&[b"v0:", ts_text.as_bytes(), b":", body]);
    let given = sig
        .trim()
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(Rejection::BadSignature)?;
    if !expected.is_empty() && bool::from(expected.as_slice().ct_eq(given.as_slice())) {
        Ok(Verified {
            signature: expected,
            timestamp: ts_secs,
        })
    } else {
        Err(Rejection::BadSignature)
    }
}

/// Most signatures remembered at once. Only verified requests are remembered, so this is
/// Zoom's own volume over twice the tolerance; past it, the one whose window closes first
/// is forgotten.
const MAX_SEEN: usize = 100_000;

/// The signatures accepted within the time window, so that a captured request sent again
/// (a replay) is refused while its timestamp would still pass.
#[derive(Debug, Default)]
pub struct SeenSignatures {
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// (Unix second after which the timestamp is stale, signature).
    by_expiry: BTreeSet<(i64, Vec<u8>)>,
    signatures: HashSet<Vec<u8>>,
}

impl SeenSignatures {
    /// Records `v`; `false` when its signature was already seen within the window.
    pub fn first_use(&self, v: &Verified, now: i64, tolerance: Duration) -> bool {
        let mut s = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(first) = s.by_expiry.first().cloned() {
            if first.0 >= now && s.by_expiry.len() < MAX_SEEN {
                break;
            }
            s.by_expiry.remove(&first);
            s.signatures.remove(&first.1);
        }
        if !s.signatures.insert(v.signature.clone()) {
            return false;
        }
        let expiry = v.timestamp.saturating_add(tolerance.as_secs() as i64);
        s.by_expiry.insert((expiry, v.signature.clone()));
        true
    }
}

/// The answer to `endpoint.url_validation`: the plain token and its HMAC, hex-encoded.
pub fn url_validation(secret: &WebhookSecret, plain_token: &str) -> serde_json::Value {
    serde_json::json!({
        "plainToken": plain_token,
        "encryptedToken": hex::encode(secret.mac(&[plain_token.as_bytes()])),
    })
}

/// The parts of an event the daemon uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `event`, e.g. `user.updated`.
    pub name: String,
    /// `payload.account_id`, when present.
    pub account_id: Option<String>,
    /// `payload.plainToken` of a URL validation.
    pub plain_token: Option<String>,
}

/// Reads an event envelope (`{event, event_ts, payload{account_id, …}}`).
pub fn parse(body: &[u8]) -> Result<Event, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let name = v
        .get("event")
        .and_then(|e| e.as_str())
        .ok_or("the body has no `event` name")?
        .to_string();
    let payload = v.get("payload");
    let text = |k: &str| {
        payload
            .and_then(|p| p.get(k))
            .and_then(|x| x.as_str())
            .map(str::to_string)
    };
    Ok(Event {
        name,
        account_id: text("account_id"),
        plain_token: text("plainToken"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_793_000_000;
    const TOL: Duration = Duration::from_secs(300);

    fn secret() -> WebhookSecret {
        WebhookSecret::new("s3cret-token")
    }

    #[test]
    fn a_signature_from_the_secret_passes() {
        let body = br#"{"event":"user.updated","payload":{"account_id":"acme"}}"#;
        let ts = NOW.to_string();
        let sig = sign(&secret(), &ts, body);
        assert!(sig.starts_with("v0=") && sig.len() == 3 + 64);
        let v = verify(&secret(), Some(&ts), Some(&sig), body, NOW, TOL).expect("verified");
        assert_eq!((v.timestamp, v.signature.len()), (NOW, 32));
    }

    #[test]
    fn known_vector_matches_hmac_sha256() {
        // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog")
        let s = WebhookSecret::new("key");
        assert_eq!(
            hex::encode(s.mac(&[b"The quick brown fox jumps over the lazy dog"])),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn tampering_wrong_secrets_and_stale_timestamps_are_refused() {
        let body = br#"{"event":"user.updated"}"#;
        let ts = NOW.to_string();
        let sig = sign(&secret(), &ts, body);
        let check = |ts: Option<&str>, sig: Option<&str>, body: &[u8]| {
            verify(&secret(), ts, sig, body, NOW, TOL)
        };
        assert_eq!(
            check(Some(&ts), Some(&sig), br#"{"event":"user.deleted"}"#),
            Err(Rejection::BadSignature)
        );
        let other = sign(&WebhookSecret::new("other"), &ts, body);
        assert_eq!(
            check(Some(&ts), Some(&other), body),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(Some(&ts), Some("v0=zz"), body),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(Some(&ts), Some(&sig[3..]), body),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(None, Some(&sig), body),
            Err(Rejection::Missing("x-zm-request-timestamp"))
        );
        assert_eq!(
            check(Some(&ts), None, body),
            Err(Rejection::Missing("x-zm-signature"))
        );
        assert_eq!(
            check(Some("soon"), Some(&sig), body),
            Err(Rejection::BadTimestamp)
        );
        let old = (NOW - 301).to_string();
        let old_sig = sign(&secret(), &old, body);
        assert_eq!(
            check(Some(&old), Some(&old_sig), body),
            Err(Rejection::Stale(301))
        );
        let ahead = (NOW + 400).to_string();
        let ahead_sig = sign(&secret(), &ahead, body);
        assert_eq!(
            check(Some(&ahead), Some(&ahead_sig), body),
            Err(Rejection::Stale(-400))
        );
        let ms = (NOW * 1000).to_string();
        let ms_sig = sign(&secret(), &ms, body);
        assert!(
            check(Some(&ms), Some(&ms_sig), body).is_ok(),
            "milliseconds tolerated"
        );
    }

    #[test]
    fn url_validation_echoes_the_token_with_its_hmac() {
        let v = url_validation(&secret(), "qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(v["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(
            v["encryptedToken"].as_str().map(str::len),
            Some(64),
            "hex of 32 bytes"
        );
        assert_eq!(
            v["encryptedToken"].as_str(),
            Some(hex::encode(secret().mac(&[b"qgg8vlvZRS6UYooatFL8Aw"])).as_str())
        );
    }

    #[test]
    fn events_are_read_leniently_and_bad_bodies_explained() {
        let e = parse(br#"{"event":"endpoint.url_validation","payload":{"plainToken":"abc"}}"#)
            .expect("event");
        assert_eq!(e.plain_token.as_deref(), Some("abc"));
        let e = parse(
            br#"{"event":"user.updated","event_ts":1,"payload":{"account_id":"A1","object":{}}}"#,
        )
        .expect("event");
        assert_eq!(e.account_id.as_deref(), Some("A1"));
        assert!(parse(b"nope").is_err());
        assert!(parse(br#"{"payload":{}}"#).is_err());
    }

    #[test]
    fn a_signature_is_accepted_once_within_its_window() {
        let seen = SeenSignatures::default();
        let body = br#"{"event":"user.updated"}"#;
        let ts = NOW.to_string();
        let sig = sign(&secret(), &ts, body);
        let v = verify(&secret(), Some(&ts), Some(&sig), body, NOW, TOL).expect("ok");
        assert!(seen.first_use(&v, NOW, TOL));
        assert!(!seen.first_use(&v, NOW + 10, TOL), "a replay");
        let later = (NOW + 1).to_string();
        let sig2 = sign(&secret(), &later, body);
        let v2 = verify(&secret(), Some(&later), Some(&sig2), body, NOW + 1, TOL).expect("ok");
        assert!(
            seen.first_use(&v2, NOW + 1, TOL),
            "the same event, sent again by Zoom later"
        );
        // Once the window has closed the entry is dropped (verify refuses it as stale anyway).
        assert!(seen.first_use(&v, NOW + 302, TOL));
        assert_eq!(seen.seen.lock().expect("seen").signatures.len(), 1);
    }

    #[test]
    fn the_secret_never_prints() {
        assert_eq!(format!("{:?}", secret()), "WebhookSecret(redacted)");
    }
}
