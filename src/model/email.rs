use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address, validated and lower-cased: the identity of a user (manifests.md, Identity).
///
/// Zoom compares emails case-insensitively, so two spellings of one address must never
/// become two users: the only way to build an `Email` is [`Email::parse`], which folds case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why a string is not an [`Email`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty or blank.
    #[error("the email is empty")]
    Empty,
    /// Not of the form `local@domain.tld`.
    #[error("`{0}` is not an email address (expected local@domain.tld)")]
    Malformed(String),
    /// Zoom limits emails to 128 characters.
    #[error("`{0}` is longer than the 128 characters Zoom accepts")]
    TooLong(String),
}

impl Email {
    /// Validates and canonicalises an email (trimmed, lower-cased).
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 128 {
            return Err(EmailError::TooLong(s.to_string()));
        }
        let lower = s.to_lowercase();
        let Some((local, domain)) = lower.split_once('@') else {
            return Err(EmailError::Malformed(s.to_string()));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && !local.contains(char::is_whitespace)
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.');
        if !domain_ok || !local_ok {
            return Err(EmailError::Malformed(s.to_string()));
        }
        Ok(Email(lower))
    }

    /// The canonical (lower-case) address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, used for per-domain defaults (U10) and allow-lists.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_trims() {
        assert_eq!(
            Email::parse(" Alice@ACME.com ").unwrap().as_str(),
            "alice@acme.com"
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@acme.com",
            "a b@acme.com",
            "alice@acme",
            "a@@acme.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
