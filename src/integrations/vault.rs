//! Sealing of the newest OAuth refresh token before it reaches the store (K4, issue 11
//! part 3). The manifest's refresh token is only the bootstrap: Microsoft replaces it on
//! every use and Google may, so the newest must be kept, and a refresh token is a
//! password to the user's mailbox. It is sealed with XChaCha20-Poly1305 under a key the
//! operator provides (`ROSTER_TOKEN_KEY`), bound to its scope (the integration) so that
//! one user's sealed token cannot be replayed as another's. Without a key roster refuses
//! to persist it rather than store it in clear.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The environment variable that holds the key: 32 bytes, as 64 hex digits or base64.
pub const KEY_ENV: &str = "ROSTER_TOKEN_KEY";

/// The first bytes of every sealed value: a format version, so a later change of cipher
/// can still read (or clearly refuse) what this one wrote.
const MAGIC: &[u8; 4] = b"rtk1";
const NONCE_LEN: usize = 24;

/// Why a token could not be sealed or opened. Never carries the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// No key was given: roster will not keep a refresh token in clear.
    #[error(
        "no key to encrypt refresh tokens with: set {KEY_ENV} to 32 random bytes (64 hex digits or base64, e.g. `openssl rand -hex 32`); roster never stores a refresh token in clear"
    )]
    NoKey,
    /// The key text is not 32 bytes of hex or base64.
    #[error("{KEY_ENV} must be 32 bytes as 64 hex digits or base64 ({0})")]
    BadKey(String),
    /// The sealed value was written under another key or for another scope, or damaged.
    #[error(
        "the stored refresh token of {scope} cannot be decrypted with this {KEY_ENV} (another key, or damaged)"
    )]
    Undecryptable {
        /// The integration scope.
        scope: String,
    },
}

/// The operator's key, ready to seal and open tokens.
#[derive(Clone)]
pub struct Vault {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(<key>)")
    }
}

impl Vault {
    /// The vault of `ROSTER_TOKEN_KEY`, or [`VaultError::NoKey`] when it is unset or empty.
    pub fn from_env() -> Result<Vault, VaultError> {
        match std::env::var(KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => Vault::from_key_text(&text),
            _ => Err(VaultError::NoKey),
        }
    }

    /// The vault of a key written as 64 hex digits or as base64 of 32 bytes.
    pub fn from_key_text(text: &str) -> Result<Vault, VaultError> {
        use base64::Engine as _;
        let text = text.trim();
        let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| VaultError::BadKey(e.to_string()))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| VaultError::BadKey(format!("not hex, and not base64: {e}")))?
        };
        if bytes.len() != 32 {
            return Err(VaultError::BadKey(format!("{} bytes", bytes.len())));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|e| VaultError::BadKey(e.to_string()))?;
        Ok(Vault { cipher })
    }

    /// Seals `secret` for `scope`: magic, a fresh random nonce, then the ciphertext.
    pub fn seal(&self, scope: &str, secret: &str) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: scope.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(&nonce, payload)
            .expect("XChaCha20-Poly1305 encrypts any message under 256 GiB");
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`Vault::seal`] wrote for the same `scope`.
    pub fn open(&self, scope: &str, sealed: &[u8]) -> Result<String, VaultError> {
        let bad = || VaultError::Undecryptable {
            scope: scope.to_string(),
        };
        let rest = sealed.strip_prefix(MAGIC.as_slice()).ok_or_else(bad)?;
        if rest.len() < NONCE_LEN {
            return Err(bad());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let payload = Payload {
            msg: body,
            aad: scope.as_bytes(),
        };
        let clear = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| bad())?;
        String::from_utf8(clear).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_scope() {
        let v = Vault::from_key_text(KEY).expect("key");
        let sealed = v.seal("acme/integration/a@x.com", "1//refresh-secret");
        assert!(
            !sealed
                .windows(b"refresh-secret".len())
                .any(|w| w == b"refresh-secret"),
            "the clear token is nowhere in the sealed bytes"
        );
        assert_eq!(
            v.open("acme/integration/a@x.com", &sealed).as_deref(),
            Ok("1//refresh-secret")
        );
        assert!(matches!(
            v.open("acme/integration/b@x.com", &sealed),
            Err(VaultError::Undecryptable { .. })
        ));
        let other = Vault::from_key_text(&"ab".repeat(32)).expect("key");
        assert!(other.open("acme/integration/a@x.com", &sealed).is_err());
        assert_ne!(
            sealed,
            v.seal("acme/integration/a@x.com", "1//refresh-secret")
        );
    }

    #[test]
    fn keys_are_32_bytes_of_hex_or_base64() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(Vault::from_key_text(&b64).is_ok());
        assert!(matches!(
            Vault::from_key_text("short"),
            Err(VaultError::BadKey(_))
        ));
        assert!(matches!(
            Vault::from_key_text(&"ab".repeat(16)),
            Err(VaultError::BadKey(_))
        ));
        let debug = format!("{:?}", Vault::from_key_text(KEY).expect("key"));
        assert!(!debug.contains("0001"), "{debug}");
    }
}
