//! The connection URL of `--store postgres://…` and its TLS, through rustls (as reqwest,
//! so the binary carries one TLS stack and no OpenSSL).
//!
//! `sslmode` follows libpq's meaning, so a URL that works with `psql` works here:
//! `disable` (plain TCP), `prefer` (the default: TLS when the server offers it), `require`
//! (TLS or nothing) — both encrypt without checking the certificate, as libpq does
//! without a root certificate — and `verify-full` (TLS with the server's certificate and
//! host name checked against `sslrootcert=FILE`, or the Mozilla roots without it).
//! `verify-ca` is taken as `verify-full` (stricter, never weaker).

use super::super::StoreError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What `sslmode` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyFull,
}

/// A parsed `postgres://` URL: the driver's configuration and the TLS connector.
pub struct Target {
    /// The driver's configuration (without `sslrootcert`, which it does not know).
    pub config: tokio_postgres::Config,
    /// The TLS connector matching `sslmode`.
    pub tls: MakeRustlsConnect,
}

fn bad(url: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Db(format!("--store {}: {why}", redact(url)))
}

/// A store URL with its user and password left out, for messages.
pub fn redact(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((scheme_user, host)) => {
            let scheme = scheme_user.split_once("://").map_or("", |(s, _)| s);
            format!("{scheme}://…@{host}")
        }
        None => url.to_string(),
    }
}

/// Parses `url`, taking out the TLS options the driver does not handle itself.
pub fn parse(url: &str) -> Result<Target, StoreError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = Mode::Prefer;
    let mut root = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("sslmode", v) => {
                mode = parse_mode(v).ok_or_else(|| {
                    bad(
                        url,
                        format!("sslmode={v}: use disable, prefer, require or verify-full"),
                    )
                })?
            }
            ("sslrootcert", v) => root = Some(v.to_string()),
            _ => rest.push(pair),
        }
    }
    let driver_url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let mut config: tokio_postgres::Config = driver_url.parse().map_err(|e| bad(url, e))?;
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        Mode::Prefer => SslMode::Prefer,
        Mode::Require | Mode::VerifyFull => SslMode::Require,
    });
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("roster");
    }
    config.options(with_idle_timeout(config.get_options()));
    let tls = MakeRustlsConnect::new(client_config(mode, root.as_deref(), url)?);
    Ok(Target { config, tls })
}

/// Server-side limit on a session idle inside a transaction. A holder stopped mid-write
/// (SIGSTOP, a frozen VM) keeps the lease row locked `FOR SHARE`; without this, a takeover
/// would wait for it forever. roster's transactions never wait on anything but the
/// database, so 5 s idle inside one means the process is gone or stopped (issue 14).
const IDLE_IN_TRANSACTION: &str = "-c idle_in_transaction_session_timeout=5s";

/// The URL's `options`, with [`IDLE_IN_TRANSACTION`] unless it sets that timeout itself.
fn with_idle_timeout(options: Option<&str>) -> String {
    match options {
        Some(o) if o.contains("idle_in_transaction_session_timeout") => o.to_string(),
        Some(o) if !o.trim().is_empty() => format!("{o} {IDLE_IN_TRANSACTION}"),
        _ => IDLE_IN_TRANSACTION.to_string(),
    }
}

fn parse_mode(v: &str) -> Option<Mode> {
    match v {
        "disable" => Some(Mode::Disable),
        "allow" | "prefer" => Some(Mode::Prefer),
        "require" => Some(Mode::Require),
        "verify-ca" | "verify-full" => Some(Mode::VerifyFull),
        _ => None,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(mode: Mode, root: Option<&str>, url: &str) -> Result<ClientConfig, StoreError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(url, e))?;
    let config = match mode {
        Mode::VerifyFull => builder
            .with_root_certificates(roots(root, url)?)
            .with_no_client_auth(),
        Mode::Disable | Mode::Prefer | Mode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider())))
            .with_no_client_auth(),
    };
    Ok(config)
}

fn roots(file: Option<&str>, url: &str) -> Result<rustls::RootCertStore, StoreError> {
    use rustls::pki_types::pem::PemObject;
    let mut store = rustls::RootCertStore::empty();
    let Some(file) = file else {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    };
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|e| bad(url, format!("sslrootcert={file}: {e}")))?;
    for cert in certs {
        let cert = cert.map_err(|e| bad(url, format!("sslrootcert={file}: {e}")))?;
        store
            .add(cert)
            .map_err(|e| bad(url, format!("sslrootcert={file}: {e}")))?;
    }
    Ok(store)
}

/// `prefer` and `require`: the connection is encrypted and the handshake's signatures are
/// checked, but the certificate chain is not (libpq's behaviour without a root
/// certificate; `verify-full` checks it).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_in_transaction_limit_is_added_to_the_urls_options_unless_it_sets_one() {
        assert_eq!(with_idle_timeout(None), IDLE_IN_TRANSACTION);
        assert_eq!(
            with_idle_timeout(Some("-c search_path=r")),
            format!("-c search_path=r {IDLE_IN_TRANSACTION}")
        );
        let own = "-c idle_in_transaction_session_timeout=1min";
        assert_eq!(with_idle_timeout(Some(own)), own);
    }

    #[test]
    fn tls_options_are_taken_out_and_the_rest_reaches_the_driver() {
        let t =
            parse("postgres://u:secret@db.example:6432/roster?sslmode=require&application_name=r1")
                .expect("parse");
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(t.config.get_application_name(), Some("r1"));
        assert_eq!(t.config.get_options(), Some(IDLE_IN_TRANSACTION));
        assert_eq!(t.config.get_dbname(), Some("roster"));
        let t = parse("postgres://u@h/db").expect("parse");
        assert_eq!(t.config.get_ssl_mode(), SslMode::Prefer);
        assert_eq!(t.config.get_application_name(), Some("roster"));
    }

    #[test]
    fn a_bad_url_is_refused_without_its_password() {
        let err = parse("postgres://u:secret@h/db?sslmode=sometimes")
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("sslmode=sometimes") && !err.contains("secret"),
            "{err}"
        );
        let err =
            parse("postgres://u:secret@h/db?sslmode=verify-full&sslrootcert=/nonexistent.pem")
                .err()
                .expect("refused")
                .to_string();
        assert!(
            err.contains("/nonexistent.pem") && !err.contains("secret"),
            "{err}"
        );
    }
}
