//! Request extractors that fail the way Zoom does: a body or query string that cannot be
//! read is a 400 with Zoom's `{code: 300, message}` envelope, never axum's plain-text 415 or
//! 422. Bodies are read as JSON whatever their `Content-Type` (clients in the wild forget it),
//! and an empty body reads as `{}` so that "every field optional" operations accept it.

use super::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// Largest body the simulator reads (Zoom's own bodies are a few kilobytes).
const MAX_BODY: usize = 1 << 20;

/// A JSON body, or a 400/300 naming what is wrong with it.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|e| ApiError(400, 300, format!("Invalid request body: {e}.")))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let value: serde_json::Value = serde_json::from_slice(text)
            .map_err(|e| ApiError(400, 300, format!("Validation Failed. Request body: {e}.")))?;
        if let Some(at) = first_null(&value, String::new()) {
            // Zoom's specs declare no field nullable: a `null` is a value of the wrong type.
            return Err(ApiError(
                400,
                300,
                format!("Validation Failed. Request body: {at} may not be null."),
            ));
        }
        serde_json::from_value(value)
            .map(Body)
            .map_err(|e| ApiError(400, 300, format!("Validation Failed. Request body: {e}.")))
    }
}

/// Where the first `null` of a JSON value is (`/a/0/b`), if it has one.
fn first_null(v: &serde_json::Value, at: String) -> Option<String> {
    match v {
        serde_json::Value::Null => Some(if at.is_empty() { "/".into() } else { at }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| first_null(x, format!("{at}/{i}"))),
        serde_json::Value::Object(fields) => fields
            .iter()
            .find_map(|(k, x)| first_null(x, format!("{at}/{k}"))),
        _ => None,
    }
}

/// The query string as name → value (the last value wins), or a 400/300.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        parse_query(raw)
            .map(Params)
            .ok_or_else(|| ApiError(400, 300, "Invalid query string.".into()))
    }
}

fn parse_query(raw: &str) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k)?, decode(v)?);
    }
    Some(out)
}

/// Percent-decoding of one query component (`+` is a space).
pub fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl Params {
    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&String> {
        self.0.get(name)
    }

    /// An integer parameter, absent or within `min..=max`, else 400/300.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(s) => match s.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError(
                    400,
                    300,
                    format!("Invalid field: {name} must be an integer between {min} and {max}."),
                )),
            },
        }
    }

    /// Zoom's `login_type` values (users-api.json).
    pub const LOGIN_TYPES: [i64; 12] = [0, 1, 11, 21, 23, 24, 27, 97, 98, 99, 100, 101];

    /// Checks documented parameters the simulator does not act on: booleans must be
    /// `true`/`false`, `login_type` one of Zoom's values. 400/300 otherwise.
    pub fn check(&self, booleans: &[&str], login_type: bool) -> Result<(), ApiError> {
        for name in booleans {
            self.one_of(name, &["true", "false"])?;
        }
        if login_type
            && let Some(n) = self.int("login_type", i64::MIN, i64::MAX)?
            && !Self::LOGIN_TYPES.contains(&n)
        {
            return Err(ApiError(
                400,
                300,
                format!("Invalid field: login_type {n} is not a Zoom login type."),
            ));
        }
        Ok(())
    }

    /// A parameter that must be one of `allowed` when present, else 400/300.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<&str>, ApiError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v.as_str())),
            Some(v) => Err(ApiError(
                400,
                300,
                format!(
                    "Invalid field: {name} {v:?} (one of {}).",
                    allowed.join(", ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_found_where_they_are() {
        let v = serde_json::json!({"a": [1, {"b": null}], "c": "x"});
        assert_eq!(first_null(&v, String::new()).as_deref(), Some("/a/1/b"));
        assert_eq!(
            first_null(&serde_json::json!({"a": 1}), String::new()),
            None
        );
    }

    #[test]
    fn query_components_are_percent_decoded() {
        let q = parse_query("email=a%40b.com&x=1+2&flag").expect("parsed");
        assert_eq!(q["email"], "a@b.com");
        assert_eq!(q["x"], "1 2");
        assert_eq!(q["flag"], "");
        assert!(parse_query("bad=%zz").is_none());
    }
}
