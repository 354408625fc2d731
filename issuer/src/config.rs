//! The issuer's configuration file, `issuer.toml`, written by `passerelle-issuer init` in the
//! issuer directory and read by every later command.
//!
//! It holds nothing secret: the name, URL and DID of the issuer, where the database is, and which
//! key signs. A PostgreSQL password never goes in it (take it from `DATABASE_URL` or
//! `PGPASSWORD`); the private key lives sealed in the database, or — only with `--plain-key` —
//! in a separate 0600 file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The config file's name inside the issuer directory.
pub const CONFIG_FILE: &str = "issuer.toml";
/// The default SQLite database file inside the issuer directory.
pub const DEFAULT_DB_FILE: &str = "issuer.db";
/// The environment variable that may hold the database URL.
pub const DATABASE_URL_ENV: &str = "DATABASE_URL";

/// Why the configuration could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The directory has no config file: `init` has not run there.
    #[error("{} not found: run `passerelle-issuer init` first (or pass --dir / set PASSERELLE_ISSUER_DIR)", .path.display())]
    Missing { path: PathBuf },
    /// The file exists but cannot be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid config.
    #[error("{} is not a valid issuer config: {source}", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// The config cannot be written (or already exists).
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The config cannot be serialised.
    #[error("cannot serialise the issuer config: {0}")]
    Serialize(#[from] toml::ser::Error),
    /// The database setting cannot be turned into a URL.
    #[error("database: {reason}")]
    Database { reason: String },
    /// A value is outside what it may be.
    #[error("{} : {reason}", .path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct DatabaseConfig {
    /// An SQLite file, relative to the issuer directory (or absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite_file: Option<String>,
    /// A database URL without a password (e.g. `postgres://issuer@db/issuer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The URL is read from this environment variable at each start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
}

/// How the signing key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStorage {
    /// Sealed in the database under a passphrase (Argon2id + XChaCha20-Poly1305).
    Sealed,
    /// A plain OKP JWK file (mode 0600) — only with `init --plain-key`.
    PlainFile,
}

/// The signing key's public record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct KeyConfig {
    /// The key's fragment in the issuer's DID document (`key-1`).
    pub fragment: String,
    /// The full verification method credentials will name.
    pub verification_method: String,
    /// The public key as a Multikey (`z6Mk…`).
    pub public_multikey: String,
    /// Where the private key is.
    pub storage: KeyStorage,
    /// With [`KeyStorage::PlainFile`]: the JWK file, relative to the issuer directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The contents of `issuer.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct IssuerConfig {
    /// The issuer's display name.
    pub name: String,
    /// The issuer's public base URL (`https://learn.example`).
    pub url: String,
    /// The issuer's DID (`did:web:…` or `did:key:…`).
    pub did: String,
    pub database: DatabaseConfig,
    pub key: KeyConfig,
    /// How credentials are issued (absent in older files: the defaults).
    #[serde(default)]
    pub issuance: IssuanceConfig,
    /// OpenID4VCI issuance (absent in older files: the defaults).
    #[serde(default)]
    pub oid4vci: Oid4vciConfig,
    /// The Open Badges 3.0 API provider (absent in older files: the defaults).
    #[serde(default)]
    pub ob_api: ObApiConfig,
}

/// `[ob_api]`: the Open Badges 3.0 API provider (issue 15): the documents its discovery names,
/// and the lifetimes of its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct ObApiConfig {
    /// The privacy policy the discovery document names (default: the issuer's `url`, with a
    /// warning at start-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_policy_url: Option<String>,
    /// The terms of service the discovery document names (default: the issuer's `url`, with a
    /// warning at start-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_of_service_url: Option<String>,
    /// Seconds an access token works (default 3600, from 60 to 86,400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl_seconds: Option<u32>,
    /// Days a refresh token works unused (default 180, from 1 to 3650); each refresh gives a
    /// new one with a fresh lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl_days: Option<u32>,
}

/// Bounds of `[ob_api] access_token_ttl_seconds`.
pub const OB_API_ACCESS_TTL_RANGE: std::ops::RangeInclusive<u32> = 60..=86_400;
/// Bounds of `[ob_api] refresh_token_ttl_days`.
pub const OB_API_REFRESH_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=3650;

impl ObApiConfig {
    /// Seconds an access token works.
    pub fn access_token_ttl(&self) -> u32 {
        self.access_token_ttl_seconds.unwrap_or(3600)
    }

    /// Days a refresh token works unused.
    pub fn refresh_token_ttl_days(&self) -> u32 {
        self.refresh_token_ttl_days.unwrap_or(180)
    }

    /// The privacy policy URL, `fallback` (the issuer's URL) when none is configured.
    pub fn privacy_policy<'a>(&'a self, fallback: &'a str) -> &'a str {
        self.privacy_policy_url.as_deref().unwrap_or(fallback)
    }

    /// The terms of service URL, `fallback` (the issuer's URL) when none is configured.
    pub fn terms_of_service<'a>(&'a self, fallback: &'a str) -> &'a str {
        self.terms_of_service_url.as_deref().unwrap_or(fallback)
    }

    /// What start-up should warn about (one sentence each): documents left to their default.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (key, value) in [
            ("privacy_policy_url", &self.privacy_policy_url),
            ("terms_of_service_url", &self.terms_of_service_url),
        ] {
            if value.is_none() {
                out.push(format!(
                    "[ob_api] {key} is not set: the Open Badges API discovery document names \
                     the issuer's url instead; set it to your real document"
                ));
            }
        }
        out
    }

    /// Each value within its bounds and each URL an absolute http(s) URL, else a message
    /// naming the key.
    pub fn check(&self) -> Result<(), String> {
        let access = self.access_token_ttl();
        if !OB_API_ACCESS_TTL_RANGE.contains(&access) {
            return Err(format!(
                "[ob_api] access_token_ttl_seconds = {access}: expected {} to {} seconds",
                OB_API_ACCESS_TTL_RANGE.start(),
                OB_API_ACCESS_TTL_RANGE.end()
            ));
        }
        let days = self.refresh_token_ttl_days();
        if !OB_API_REFRESH_DAYS_RANGE.contains(&days) {
            return Err(format!(
                "[ob_api] refresh_token_ttl_days = {days}: expected {} to {} days",
                OB_API_REFRESH_DAYS_RANGE.start(),
                OB_API_REFRESH_DAYS_RANGE.end()
            ));
        }
        for (key, value) in [
            ("privacy_policy_url", &self.privacy_policy_url),
            ("terms_of_service_url", &self.terms_of_service_url),
        ] {
            if let Some(value) = value {
                let ok = url::Url::parse(value)
                    .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host());
                if !ok {
                    return Err(format!(
                        "[ob_api] {key} = {value:?}: expected an absolute https URL"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `[oid4vci]`: lifetimes of the OpenID4VCI pre-authorized code flow's secrets, and whether
/// offers need a transaction code by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Oid4vciConfig {
    /// Seconds a pre-authorized code works after it is minted (default 600).
    #[serde(default = "default_code_ttl")]
    pub pre_authorized_code_ttl_seconds: u32,
    /// Seconds an access token works (default 300).
    #[serde(default = "default_token_ttl")]
    pub access_token_ttl_seconds: u32,
    /// Seconds a `c_nonce` works (default 300).
    #[serde(default = "default_nonce_ttl")]
    pub nonce_ttl_seconds: u32,
    /// Give every offer a transaction code (a 6-digit PIN the provider delivers on another
    /// channel) unless the issuance says otherwise (`issue --tx-code` / `--no-tx-code`, the
    /// API's `tx_code`). Off by default.
    #[serde(default)]
    pub tx_code: bool,
}

/// Bounds of the `[oid4vci]` lifetimes: a secret living less than this is unusable, and longer
/// than a day defeats "short-lived".
pub const OID4VCI_TTL_RANGE: std::ops::RangeInclusive<u32> = 30..=86_400;

fn default_code_ttl() -> u32 {
    600
}

fn default_token_ttl() -> u32 {
    300
}

fn default_nonce_ttl() -> u32 {
    300
}

impl Default for Oid4vciConfig {
    fn default() -> Self {
        Self {
            pre_authorized_code_ttl_seconds: default_code_ttl(),
            access_token_ttl_seconds: default_token_ttl(),
            nonce_ttl_seconds: default_nonce_ttl(),
            tx_code: false,
        }
    }
}

impl Oid4vciConfig {
    /// Each lifetime within [`OID4VCI_TTL_RANGE`], else a message naming the key.
    pub fn check(&self) -> Result<(), String> {
        for (key, value) in [
            (
                "pre_authorized_code_ttl_seconds",
                self.pre_authorized_code_ttl_seconds,
            ),
            ("access_token_ttl_seconds", self.access_token_ttl_seconds),
            ("nonce_ttl_seconds", self.nonce_ttl_seconds),
        ] {
            if !OID4VCI_TTL_RANGE.contains(&value) {
                return Err(format!(
                    "[oid4vci] {key} = {value}: expected {} to {} seconds",
                    OID4VCI_TTL_RANGE.start(),
                    OID4VCI_TTL_RANGE.end()
                ));
            }
        }
        Ok(())
    }
}

/// `[issuance]`: choices about what is issued and what is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct IssuanceConfig {
    /// Keep each learner's email in the database (never in the credential) so that the
    /// issuer can deliver claim links itself. Off by default: the provider delivers them.
    #[serde(default)]
    pub keep_learner_emails: bool,
    /// Give every credential a suspension entry besides its revocation entry, so it can be
    /// suspended and reinstated. Off by default: VC 2.0 allows several `credentialStatus`
    /// entries, but the OB 3.0 data model and its JSON Schema allow ONE, so credentials with
    /// two are refused by strict OB validators (1EdTech's among them). Turn it on only for
    /// verifiers known to accept them.
    #[serde(default)]
    pub suspension: bool,
    /// Refuse to issue until the OB 3.0 JSON Schema is installed in `DIR/schemas/` (see
    /// `passerelle-issuer schema install`), so that no credential is signed unchecked. On by
    /// default; turning it off lets an offline machine issue with the data-model and JSON-LD
    /// checks only, and says so at every start.
    #[serde(default = "yes")]
    pub require_ob_schema: bool,
}

fn yes() -> bool {
    true
}

impl Default for IssuanceConfig {
    fn default() -> Self {
        Self {
            keep_learner_emails: false,
            suspension: false,
            require_ob_schema: true,
        }
    }
}

/// Options that write a file readable only by its owner (mode 0600, whatever the umask).
fn private_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(crate::files::FILE_MODE);
    }
    options
}

impl IssuerConfig {
    /// Reads `DIR/issuer.toml`.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join(CONFIG_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing { path })
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let config: Self = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.clone(),
            source,
        })?;
        config
            .oid4vci
            .check()
            .and_then(|()| config.ob_api.check())
            .map_err(|reason| ConfigError::Invalid { path, reason })?;
        Ok(config)
    }

    /// Writes `DIR/issuer.toml`, refusing to replace an existing file.
    pub fn create(&self, dir: &Path) -> Result<PathBuf, ConfigError> {
        let path = dir.join(CONFIG_FILE);
        let text = toml::to_string_pretty(self)?;
        let result = private_options()
            .create_new(true)
            .open(&path)
            .and_then(|mut file| {
                file.write_all(
                    b"# Passerelle issuer configuration, written by `passerelle-issuer init`.\n\
                      # It holds no secret. The private key is sealed in the database.\n\n",
                )?;
                file.write_all(text.as_bytes())?;
                file.sync_all()
            });
        match result {
            Ok(()) => Ok(path),
            Err(source) => Err(ConfigError::Write { path, source }),
        }
    }

    /// Replaces `DIR/issuer.toml` atomically (a new file renamed over the old one), e.g. after
    /// a key rotation.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, ConfigError> {
        let path = dir.join(CONFIG_FILE);
        let temporary = dir.join(format!("{CONFIG_FILE}.new"));
        let text = toml::to_string_pretty(self)?;
        let result = private_options()
            .create(true)
            .truncate(true)
            .open(&temporary)
            .and_then(|mut file| {
                file.write_all(
                    b"# Passerelle issuer configuration, written by `passerelle-issuer`.\n\
                      # It holds no secret.\n\n",
                )?;
                file.write_all(text.as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| fs::rename(&temporary, &path));
        match result {
            Ok(()) => Ok(path),
            Err(source) => {
                let _ = fs::remove_file(&temporary);
                Err(ConfigError::Write { path, source })
            }
        }
    }

    /// The database URL to connect to, resolving a relative SQLite file against `dir` and
    /// reading the environment variable the config names.
    pub fn database_url(&self, dir: &Path) -> Result<String, ConfigError> {
        let db = &self.database;
        if let Some(file) = &db.sqlite_file {
            return sqlite_url(&dir.join(file));
        }
        if let Some(url) = &db.url {
            return Ok(url.clone());
        }
        if let Some(var) = &db.url_env {
            return std::env::var(var).map_err(|_| ConfigError::Database {
                reason: format!("the config reads the database URL from ${var}, which is not set"),
            });
        }
        Err(ConfigError::Database {
            reason: "the config names no database (sqlite_file, url or url_env)".into(),
        })
    }
}

/// `sqlite://PATH?mode=rwc` for a file path, refusing paths the URL form cannot carry.
pub fn sqlite_url(path: &Path) -> Result<String, ConfigError> {
    let text = path.to_str().ok_or_else(|| ConfigError::Database {
        reason: format!("the path {} is not UTF-8", path.display()),
    })?;
    if text.contains(['?', '#', '%']) {
        return Err(ConfigError::Database {
            reason: format!("the SQLite path {text:?} may not contain '?', '#' or '%'"),
        });
    }
    Ok(format!("sqlite://{text}?mode=rwc"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IssuerConfig {
        IssuerConfig {
            name: "Open Learning Lab".into(),
            url: "https://learn.example".into(),
            did: "did:web:learn.example".into(),
            database: DatabaseConfig {
                sqlite_file: Some(DEFAULT_DB_FILE.into()),
                url: None,
                url_env: None,
            },
            key: KeyConfig {
                fragment: "key-1".into(),
                verification_method: "did:web:learn.example#key-1".into(),
                public_multikey: "z6Mk".into(),
                storage: KeyStorage::Sealed,
                file: None,
            },
            issuance: IssuanceConfig::default(),
            oid4vci: Oid4vciConfig::default(),
            ob_api: ObApiConfig::default(),
        }
    }

    #[test]
    fn ob_api_section_defaults_and_bounds() {
        let dir = tempfile::tempdir().unwrap();
        // A file written before the OB API (no [ob_api]) loads with the defaults.
        let full = toml::to_string(&sample()).unwrap();
        let text: String = full.split("[ob_api]").next().unwrap().to_owned();
        fs::write(dir.path().join(CONFIG_FILE), &text).unwrap();
        let loaded = IssuerConfig::load(dir.path()).unwrap();
        assert_eq!(loaded.ob_api.access_token_ttl(), 3600);
        assert_eq!(loaded.ob_api.refresh_token_ttl_days(), 180);
        assert_eq!(loaded.ob_api.privacy_policy("https://x"), "https://x");
        assert_eq!(loaded.ob_api.warnings().len(), 2);
        let with = format!(
            "{text}\n[ob_api]\nprivacy_policy_url = \"https://learn.example/privacy\"\n\
             terms_of_service_url = \"https://learn.example/terms\"\naccess_token_ttl_seconds = 600\n"
        );
        fs::write(dir.path().join(CONFIG_FILE), &with).unwrap();
        let loaded = IssuerConfig::load(dir.path()).unwrap();
        assert_eq!(loaded.ob_api.access_token_ttl(), 600);
        assert_eq!(
            loaded.ob_api.privacy_policy("https://x"),
            "https://learn.example/privacy"
        );
        assert!(loaded.ob_api.warnings().is_empty());
        for bad in [
            "access_token_ttl_seconds = 59",
            "access_token_ttl_seconds = 86401",
            "refresh_token_ttl_days = 0",
            "privacy_policy_url = \"not a url\"",
            "surprise = 1",
        ] {
            fs::write(
                dir.path().join(CONFIG_FILE),
                format!("{text}\n[ob_api]\n{bad}\n"),
            )
            .unwrap();
            assert!(
                IssuerConfig::load(dir.path()).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn round_trips_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let config = sample();
        config.create(dir.path()).unwrap();
        assert_eq!(IssuerConfig::load(dir.path()).unwrap(), config);
        assert!(matches!(
            config.create(dir.path()),
            Err(ConfigError::Write { .. })
        ));
        let url = config.database_url(dir.path()).unwrap();
        assert!(url.starts_with("sqlite://") && url.ends_with("issuer.db?mode=rwc"));
    }

    #[test]
    fn missing_and_unknown_fields_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            IssuerConfig::load(dir.path()),
            Err(ConfigError::Missing { .. })
        ));
        let mut text = toml::to_string(&sample()).unwrap();
        text.push_str("\nsurprise = 1\n");
        fs::write(dir.path().join(CONFIG_FILE), text).unwrap();
        assert!(matches!(
            IssuerConfig::load(dir.path()),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn oid4vci_section_defaults_and_bounds() {
        let dir = tempfile::tempdir().unwrap();
        // A file written before OpenID4VCI (no [oid4vci]) loads with the defaults.
        let mut old = sample();
        old.oid4vci = Oid4vciConfig::default();
        let text = toml::to_string(&old).unwrap();
        let without: String = text.split("[oid4vci]").next().unwrap().to_owned();
        fs::write(dir.path().join(CONFIG_FILE), &without).unwrap();
        let loaded = IssuerConfig::load(dir.path()).unwrap();
        assert_eq!(loaded.oid4vci.pre_authorized_code_ttl_seconds, 600);
        assert_eq!(loaded.oid4vci.access_token_ttl_seconds, 300);
        assert_eq!(loaded.oid4vci.nonce_ttl_seconds, 300);
        assert!(!loaded.oid4vci.tx_code);
        fs::write(
            dir.path().join(CONFIG_FILE),
            format!("{without}\n[oid4vci]\ntx_code = true\nnonce_ttl_seconds = 120\n"),
        )
        .unwrap();
        let loaded = IssuerConfig::load(dir.path()).unwrap();
        assert!(loaded.oid4vci.tx_code);
        assert_eq!(loaded.oid4vci.nonce_ttl_seconds, 120);
        assert_eq!(loaded.oid4vci.access_token_ttl_seconds, 300);
        fs::write(
            dir.path().join(CONFIG_FILE),
            format!("{without}\n[oid4vci]\naccess_token_ttl_seconds = 5\n"),
        )
        .unwrap();
        let Err(ConfigError::Invalid { reason, .. }) = IssuerConfig::load(dir.path()) else {
            panic!("a 5 s token lifetime was accepted")
        };
        assert!(reason.contains("access_token_ttl_seconds"), "{reason}");
    }

    #[test]
    fn sqlite_paths_that_a_url_cannot_carry_are_refused() {
        assert!(sqlite_url(Path::new("/tmp/a?b.db")).is_err());
        assert!(sqlite_url(Path::new("/tmp/a%20b.db")).is_err());
    }
}
