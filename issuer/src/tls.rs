//! TLS for `passerelle-issuer serve` (rustls), and a local development CA (rcgen) so that a
//! quick start on one machine speaks the https its did:web names.
//!
//! - [`server_config`] reads a PEM certificate chain and private key into a rustls server
//!   configuration (TLS 1.2 and 1.3, ring, ALPN h2 and http/1.1).
//! - [`ensure_dev_tls`] makes, once, a development CA and a server certificate signed by it for
//!   the given names, in a 0700 directory (keys 0600, certificates 0644), and re-issues only the
//!   server certificate when the names change or it nears its end. Wallets and verifiers trust the
//!   CA with `--ca-cert DIR/ca.pem` (or `SSL_CERT_FILE`); nothing is added to the system's roots.
//!
//! **Invariant:** the CA key never leaves `DIR/ca-key.pem` (0600); a certificate signed by it is
//! accepted only by programs told to trust `DIR/ca.pem`.

use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

/// The CA certificate, to give to wallets and verifiers (`--ca-cert`).
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA's private key (0600).
pub const CA_KEY_FILE: &str = "ca-key.pem";
/// The server certificate (for `serve --tls-cert`).
pub const SERVER_CERT_FILE: &str = "server.pem";
/// The server's private key (for `serve --tls-key`; 0600).
pub const SERVER_KEY_FILE: &str = "server-key.pem";
/// What the server certificate was made for: its names and its last valid day.
pub const SERVER_INFO_FILE: &str = "server.json";

/// The common name of the development CA.
const CA_NAME: &str = "Passerelle local development CA";
/// How long the development CA lasts.
const CA_DAYS: i64 = 3650;
/// How long a server certificate lasts.
const SERVER_DAYS: i64 = 365;
/// A server certificate this close to its end is re-issued.
const RENEW_BEFORE_DAYS: i64 = 30;

/// What went wrong with a certificate or key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", .path.display())]
    NoCertificate { path: PathBuf },
    #[error("{} holds no PEM private key (expected PKCS#8, PKCS#1 or SEC1): {reason}", .path.display())]
    NoKey { path: PathBuf, reason: String },
    #[error("{}: {reason}", .path.display())]
    BadPem { path: PathBuf, reason: String },
    #[error("the certificate and key cannot serve TLS: {0}")]
    Config(#[from] rustls::Error),
    #[error("{name:?} is neither a DNS name nor an IP address")]
    BadName { name: String },
    #[error("cannot make the development certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot make the development certificate")]
    Random(#[from] crate::secret::NoRandomness),
    #[error("cannot record the development certificate's names")]
    Info(#[source] serde_json::Error),
}

/// The rustls configuration of a server with the certificate chain in `cert` and the private
/// key in `key` (both PEM).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = read_chain(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| match e {
        rustls::pki_types::pem::Error::Io(source) => TlsError::Read {
            path: key.to_path_buf(),
            source,
        },
        other => TlsError::NoKey {
            path: key.to_path_buf(),
            reason: other.to_string(),
        },
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(chain)
}

/// The files of a development TLS directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevTlsFiles {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl DevTlsFiles {
    /// The files in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join(CA_CERT_FILE),
            server_cert: dir.join(SERVER_CERT_FILE),
            server_key: dir.join(SERVER_KEY_FILE),
        }
    }
}

/// What [`ensure_dev_tls`] did, to be said to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevTlsOutcome {
    /// A new CA and a server certificate were made.
    Created,
    /// The CA was kept; the server certificate was re-issued for this reason.
    Reissued { reason: String },
    /// Everything was already there and current.
    Kept,
}

/// The record of the server certificate ([`SERVER_INFO_FILE`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct ServerInfo {
    names: Vec<String>,
    not_after: DateTime<Utc>,
}

/// Makes sure `dir` holds a development CA and a server certificate for exactly `names` (DNS
/// names or IP addresses) that is valid at `now` for at least 30 more days. Keeps the CA once
/// made, so wallets and verifiers told to trust it keep trusting the re-issued certificates.
pub fn ensure_dev_tls(
    dir: &Path,
    names: &[String],
    now: DateTime<Utc>,
) -> Result<(DevTlsFiles, DevTlsOutcome), TlsError> {
    let sans = names
        .iter()
        .map(|name| subject_alt_name(name))
        .collect::<Result<Vec<_>, _>>()?;
    crate::files::create_private_dir(dir).map_err(|source| TlsError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = DevTlsFiles::in_dir(dir);
    let ca_key_path = dir.join(CA_KEY_FILE);
    let info_path = dir.join(SERVER_INFO_FILE);

    let (ca_key, mut outcome) = if files.ca_cert.exists() && ca_key_path.exists() {
        let pem = read_text(&ca_key_path)?;
        let key = KeyPair::from_pem(&pem).map_err(|e| TlsError::NoKey {
            path: ca_key_path.clone(),
            reason: e.to_string(),
        })?;
        (key, DevTlsOutcome::Kept)
    } else {
        let key = KeyPair::generate()?;
        let ca = ca_params(now)?.self_signed(&key)?;
        write_file(&ca_key_path, key.serialize_pem().as_bytes(), 0o600)?;
        write_file(&files.ca_cert, ca.pem().as_bytes(), 0o644)?;
        (key, DevTlsOutcome::Created)
    };

    if outcome == DevTlsOutcome::Kept {
        let recorded = fs::read(&info_path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<ServerInfo>(&bytes).ok());
        let present = files.server_cert.exists() && files.server_key.exists();
        let reason = match recorded {
            _ if !present => Some("the server certificate or key was missing".to_owned()),
            None => Some(format!("{SERVER_INFO_FILE} was missing or unreadable")),
            Some(info) if info.names != names => Some(format!(
                "its names changed (was {}, now {})",
                info.names.join(", "),
                names.join(", ")
            )),
            Some(info) if info.not_after - Duration::days(RENEW_BEFORE_DAYS) <= now => {
                Some(format!("it ends on {}", info.not_after.format("%Y-%m-%d")))
            }
            Some(_) => None,
        };
        match reason {
            None => return Ok((files, DevTlsOutcome::Kept)),
            Some(reason) => outcome = DevTlsOutcome::Reissued { reason },
        }
    }

    // The CA certificate is rebuilt from the same name and key: what it signs chains to the
    // ca.pem already handed out.
    let ca = ca_params(now)?.self_signed(&ca_key)?;
    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.subject_alt_names = sans;
    let mut subject = DistinguishedName::new();
    subject.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.distinguished_name = subject;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(random_serial()?);
    let not_after = now + Duration::days(SERVER_DAYS);
    params.not_before = day(now - Duration::days(1));
    params.not_after = day(not_after);
    let server = params.signed_by(&server_key, &ca, &ca_key)?;
    write_file(
        &files.server_key,
        server_key.serialize_pem().as_bytes(),
        0o600,
    )?;
    write_file(&files.server_cert, server.pem().as_bytes(), 0o644)?;
    let info = ServerInfo {
        names: names.to_vec(),
        not_after,
    };
    let info_bytes = serde_json::to_vec_pretty(&info).map_err(TlsError::Info)?;
    write_file(&info_path, &info_bytes, 0o644)?;
    Ok((files, outcome))
}

fn ca_params(now: DateTime<Utc>) -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, CA_NAME);
    subject.push(DnType::OrganizationName, "Passerelle (development only)");
    params.distinguished_name = subject;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.serial_number = Some(random_serial()?);
    params.not_before = day(now - Duration::days(1));
    params.not_after = day(now + Duration::days(CA_DAYS));
    Ok(params)
}

fn subject_alt_name(name: &str) -> Result<SanType, TlsError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !valid {
        return Err(TlsError::BadName {
            name: name.to_owned(),
        });
    }
    Ok(SanType::DnsName(name.to_owned().try_into()?))
}

fn day(time: DateTime<Utc>) -> time::OffsetDateTime {
    rcgen::date_time_ymd(time.year(), time.month() as u8, time.day() as u8)
}

/// A positive 127-bit serial number (RFC 5280 §4.1.2.2: unique per CA, at most 20 octets).
fn random_serial() -> Result<SerialNumber, TlsError> {
    let mut bytes = [0u8; 16];
    crate::secret::fill_random(&mut bytes)?;
    bytes[0] &= 0x7f;
    Ok(SerialNumber::from_slice(&bytes))
}

fn read_text(path: &Path) -> Result<String, TlsError> {
    fs::read_to_string(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` through a temporary file renamed over it, with `mode`.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let error = |source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(error)?;
    temp.write_all(bytes).map_err(error)?;
    temp.as_file().sync_all().map_err(error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(error)?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    temp.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn makes_a_ca_once_and_a_server_certificate_that_rustls_serves() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("tls");
        let now = Utc::now();
        let (files, outcome) = ensure_dev_tls(&dir, &names(), now).unwrap();
        assert_eq!(outcome, DevTlsOutcome::Created);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(CA_KEY_FILE)), 0o600);
        assert_eq!(mode(&files.server_key), 0o600);
        assert_eq!(mode(&files.ca_cert), 0o644);
        server_config(&files.server_cert, &files.server_key).unwrap();

        let ca_before = fs::read(&files.ca_cert).unwrap();
        let server_before = fs::read(&files.server_cert).unwrap();
        let (_, again) = ensure_dev_tls(&dir, &names(), now).unwrap();
        assert_eq!(again, DevTlsOutcome::Kept);
        assert_eq!(fs::read(&files.server_cert).unwrap(), server_before);

        let (_, renamed) = ensure_dev_tls(&dir, &["example.test".to_owned()], now).unwrap();
        assert!(
            matches!(&renamed, DevTlsOutcome::Reissued { reason } if reason.contains("names changed")),
            "{renamed:?}"
        );
        assert_eq!(
            fs::read(&files.ca_cert).unwrap(),
            ca_before,
            "the CA is kept"
        );
        assert_ne!(fs::read(&files.server_cert).unwrap(), server_before);

        let later = now + Duration::days(SERVER_DAYS - 10);
        let (_, renewed) = ensure_dev_tls(&dir, &["example.test".to_owned()], later).unwrap();
        assert!(
            matches!(&renewed, DevTlsOutcome::Reissued { reason } if reason.contains("ends on")),
            "{renewed:?}"
        );
    }

    #[test]
    fn refuses_what_is_not_a_host_name_and_files_that_are_not_pem() {
        let temp = tempfile::tempdir().unwrap();
        let err = ensure_dev_tls(temp.path(), &["bad name/x".to_owned()], Utc::now()).unwrap_err();
        assert!(matches!(err, TlsError::BadName { .. }), "{err}");

        let cert = temp.path().join("cert.pem");
        let key = temp.path().join("key.pem");
        fs::write(&cert, "not a certificate").unwrap();
        fs::write(&key, "not a key").unwrap();
        let err = server_config(&cert, &key).unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
        assert!(err.to_string().contains("cert.pem"), "{err}");

        let (files, _) = ensure_dev_tls(&temp.path().join("tls"), &names(), Utc::now()).unwrap();
        let err = server_config(&files.server_cert, &key).unwrap_err();
        assert!(matches!(err, TlsError::NoKey { .. }), "{err}");
        let err = server_config(&files.server_cert, &temp.path().join("absent.pem")).unwrap_err();
        assert!(matches!(err, TlsError::Read { .. }), "{err}");
    }
}
