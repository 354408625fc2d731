//! Single-use presentation challenges that several verifier instances can share.
//!
//! A challenge is self-verifying: `pc1.<expiry, Unix seconds>.<nonce>.<tag>`, where the tag is
//! HMAC-SHA256 over the version, expiry and nonce, keyed by the operator's secret. Any instance
//! holding the secret recognises a challenge any other issued, with no shared state. Single use
//! needs one shared fact: which nonces were consumed. That replay set lives in memory (one
//! instance) or in a PostgreSQL table (`--challenge-store postgres://…`, instances behind one
//! load balancer); a nonce is consumed by one atomic `INSERT … ON CONFLICT DO NOTHING`, so two
//! instances receiving the same presentation at once cannot both accept it.
//!
//! The secret comes from `PASSERELLE_VERIFIER_CHALLENGE_SECRET` (hex), or from a file written
//! with mode 0600 at first start ([`load_or_create_secret`]); it is never logged.

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The environment variable that may hold the secret (hex, at least 32 bytes).
pub const SECRET_ENV: &str = "PASSERELLE_VERIFIER_CHALLENGE_SECRET";
/// Bytes of a generated secret.
pub const SECRET_BYTES: usize = 32;
/// Most consumed nonces the in-memory replay set keeps (expired ones are purged first).
pub const MAX_MEMORY_ENTRIES: usize = 100_000;
/// The PostgreSQL table of consumed nonces.
pub const TABLE: &str = "verifier_used_challenges";
const VERSION: &str = "pc1";
/// Expired rows are deleted once every this many consumptions.
const PURGE_EVERY: u64 = 1024;

/// Why challenges cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ChallengeError {
    #[error("the challenge secret file {path}: {reason}")]
    SecretFile { path: PathBuf, reason: String },
    #[error("{SECRET_ENV} must be hex of at least {SECRET_BYTES} bytes ({found} bytes given)")]
    SecretEnvTooShort { found: usize },
    #[error("{SECRET_ENV} must be hex (0-9, a-f)")]
    SecretEnvNotHex,
    #[error("randomness is unavailable: {0}")]
    Random(String),
    #[error("the challenge store {what}: {reason}")]
    Store { what: &'static str, reason: String },
}

/// What happened when a presentation used a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeUse {
    /// Issued by an instance sharing the secret, live, and now consumed.
    Fresh,
    /// Already consumed: a replay.
    Replayed,
    /// Issued here, but expired.
    Expired,
    /// Not a challenge signed with this secret (made up, altered, or another verifier's).
    NotIssued,
    /// The replay set could not be consulted (database down, memory set full).
    Unavailable,
}

/// Where consumed nonces are recorded.
pub enum ReplaySet {
    /// This process only.
    Memory(Mutex<HashMap<String, i64>>),
    /// A table every instance shares.
    Postgres(sqlx::PgPool),
}

impl ReplaySet {
    /// An in-memory set.
    pub fn memory() -> Self {
        ReplaySet::Memory(Mutex::new(HashMap::new()))
    }

    /// Connects to PostgreSQL and creates the table if it is missing.
    pub async fn postgres(url: &str) -> Result<Self, ChallengeError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| ChallengeError::Store {
                what: "cannot be reached",
                reason: e.to_string(),
            })?;
        sqlx::query(&format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)"
        ))
        .execute(&pool)
        .await
        .map_err(|e| ChallengeError::Store {
            what: "table cannot be created",
            reason: e.to_string(),
        })?;
        Ok(ReplaySet::Postgres(pool))
    }

    /// Records `nonce` as used until `expires`: `Some(true)` if it was not used before,
    /// `Some(false)` if it was, `None` if the set could not answer.
    async fn consume(&self, nonce: &str, expires: i64, now: i64, count: u64) -> Option<bool> {
        match self {
            ReplaySet::Memory(set) => {
                let mut set = set.lock().ok()?;
                if set.len() >= MAX_MEMORY_ENTRIES {
                    set.retain(|_, until| *until > now);
                    if set.len() >= MAX_MEMORY_ENTRIES {
                        return None;
                    }
                }
                if set.contains_key(nonce) {
                    return Some(false);
                }
                set.insert(nonce.to_owned(), expires);
                Some(true)
            }
            ReplaySet::Postgres(pool) => {
                let inserted = sqlx::query(&format!(
                    "INSERT INTO {TABLE} (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING"
                ))
                .bind(nonce)
                .bind(expires)
                .execute(pool)
                .await
                .ok()?
                .rows_affected();
                if count % PURGE_EVERY == 0 {
                    // Best effort: a failed purge only leaves expired rows for the next one.
                    let _ = sqlx::query(&format!("DELETE FROM {TABLE} WHERE expires_at < $1"))
                        .bind(now)
                        .execute(pool)
                        .await;
                }
                Some(inserted == 1)
            }
        }
    }
}

/// Issues and consumes signed single-use challenges.
pub struct Challenges {
    secret: Vec<u8>,
    replay: ReplaySet,
    ttl: chrono::Duration,
    consumed: AtomicU64,
}

impl std::fmt::Debug for Challenges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenges")
            .field("secret", &"(redacted)")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Challenges {
    /// Challenges signed with `secret`, consumed in `replay`, usable for `ttl`.
    pub fn new(secret: Vec<u8>, replay: ReplaySet, ttl: std::time::Duration) -> Self {
        Self {
            secret,
            replay,
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(10)),
            consumed: AtomicU64::new(0),
        }
    }

    /// Challenges with a fresh random secret known to this process only, in memory.
    pub fn ephemeral(ttl: std::time::Duration) -> Result<Self, ChallengeError> {
        Ok(Self::new(random_secret()?, ReplaySet::memory(), ttl))
    }

    #[allow(
        clippy::expect_used,
        reason = "HMAC accepts keys of any length: new_from_slice cannot fail"
    )]
    fn tag(&self, expires: i64, nonce: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(format!("{VERSION}.{expires}.{nonce}").as_bytes());
        mac
    }

    /// A new challenge and when it expires.
    pub fn issue(&self, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), ChallengeError> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| ChallengeError::Random(e.to_string()))?;
        let nonce = URL_SAFE_NO_PAD.encode(nonce);
        let expires = now + self.ttl;
        let seconds = expires.timestamp();
        let tag = URL_SAFE_NO_PAD.encode(self.tag(seconds, &nonce).finalize().into_bytes());
        Ok((format!("{VERSION}.{seconds}.{nonce}.{tag}"), expires))
    }

    /// The nonce and expiry of a challenge signed with this secret, if it is one.
    fn open(&self, challenge: &str) -> Option<(String, i64)> {
        let mut parts = challenge.split('.');
        let (version, seconds, nonce, tag) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION || parts.next().is_some() || nonce.len() != 22 {
            return None;
        }
        let expires: i64 = seconds.parse().ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Constant-time comparison.
        self.tag(expires, nonce).verify_slice(&tag).ok()?;
        Some((nonce.to_owned(), expires))
    }

    /// Uses a challenge a presentation answered: consumed if it is live and was never used.
    pub async fn consume(&self, challenge: &str, now: DateTime<Utc>) -> ChallengeUse {
        let Some((nonce, expires)) = self.open(challenge) else {
            return ChallengeUse::NotIssued;
        };
        if expires <= now.timestamp() {
            return ChallengeUse::Expired;
        }
        let count = self.consumed.fetch_add(1, Ordering::Relaxed) + 1;
        match self
            .replay
            .consume(&nonce, expires, now.timestamp(), count)
            .await
        {
            Some(true) => ChallengeUse::Fresh,
            Some(false) => ChallengeUse::Replayed,
            None => ChallengeUse::Unavailable,
        }
    }
}

fn random_secret() -> Result<Vec<u8>, ChallengeError> {
    let mut secret = vec![0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| ChallengeError::Random(e.to_string()))?;
    Ok(secret)
}

/// The secret from the environment variable's value (hex, at least 32 bytes).
pub fn secret_from_env_value(value: &str) -> Result<Vec<u8>, ChallengeError> {
    let bytes = hex::decode(value.trim()).map_err(|_| ChallengeError::SecretEnvNotHex)?;
    if bytes.len() < SECRET_BYTES {
        return Err(ChallengeError::SecretEnvTooShort { found: bytes.len() });
    }
    Ok(bytes)
}

/// The secret in `path` (hex); when the file does not exist, a new random secret written there
/// with mode 0600. A file others can read is refused.
pub fn load_or_create_secret(path: &Path) -> Result<Vec<u8>, ChallengeError> {
    let problem = |reason: String| ChallengeError::SecretFile {
        path: path.to_owned(),
        reason,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            let secret = random_secret()?;
            file.write_all(hex::encode(&secret).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| problem(format!("cannot be written: {e}")))?;
            return Ok(secret);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(problem(format!("cannot be created: {e}"))),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(path)
            .map_err(|e| problem(format!("cannot be read: {e}")))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(problem(format!(
                "is readable by other users (mode {:o}); make it private with chmod 600",
                mode & 0o777
            )));
        }
    }
    let text = fs::read_to_string(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
    let secret =
        hex::decode(text.trim()).map_err(|_| problem("does not hold a hex secret".to_owned()))?;
    if secret.len() < SECRET_BYTES {
        return Err(problem(format!(
            "holds {} bytes; a secret has at least {SECRET_BYTES}",
            secret.len()
        )));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
            .unwrap()
            .into()
    }

    #[tokio::test]
    async fn a_challenge_is_single_use_expires_and_cannot_be_forged() {
        let ttl = std::time::Duration::from_secs(600);
        let a = Challenges::new(vec![1; 32], ReplaySet::memory(), ttl);
        let (challenge, expires) = a.issue(now()).unwrap();
        assert_eq!(expires, now() + chrono::Duration::seconds(600));
        assert_eq!(a.consume(&challenge, now()).await, ChallengeUse::Fresh);
        assert_eq!(a.consume(&challenge, now()).await, ChallengeUse::Replayed);

        let (late, _) = a.issue(now()).unwrap();
        let after = now() + chrono::Duration::seconds(601);
        assert_eq!(a.consume(&late, after).await, ChallengeUse::Expired);

        // Another secret, an altered expiry or tag, garbage: not issued here.
        let other = Challenges::new(vec![2; 32], ReplaySet::memory(), ttl);
        let (theirs, _) = other.issue(now()).unwrap();
        assert_eq!(a.consume(&theirs, now()).await, ChallengeUse::NotIssued);
        let (mine, _) = a.issue(now()).unwrap();
        let parts: Vec<&str> = mine.split('.').collect();
        let later = format!(
            "pc1.{}.{}.{}",
            parts[1].parse::<i64>().unwrap() + 3600,
            parts[2],
            parts[3]
        );
        assert_eq!(a.consume(&later, now()).await, ChallengeUse::NotIssued);
        for garbage in ["", "pc1", "pc1.1.2.3", "made-up", &format!("{mine}.x")] {
            assert_eq!(a.consume(garbage, now()).await, ChallengeUse::NotIssued);
        }
        // The untouched one still works once.
        assert_eq!(a.consume(&mine, now()).await, ChallengeUse::Fresh);
        assert!(!format!("{a:?}").contains("1, 1"));
    }

    #[test]
    fn the_secret_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("challenge.secret");
        let first = load_or_create_secret(&path).unwrap();
        assert_eq!(first.len(), SECRET_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            assert_eq!(load_or_create_secret(&path).unwrap(), first);
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            let error = load_or_create_secret(&path).unwrap_err().to_string();
            assert!(error.contains("readable by other users"), "{error}");
            assert!(!error.contains(&hex::encode(&first)), "{error}");
        }
        let short = dir.path().join("short");
        fs::write(&short, "abcd").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&short, fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(load_or_create_secret(&short)
            .unwrap_err()
            .to_string()
            .contains("at least 32"));
        assert!(matches!(
            secret_from_env_value("zz"),
            Err(ChallengeError::SecretEnvNotHex)
        ));
        assert!(matches!(
            secret_from_env_value("abcd"),
            Err(ChallengeError::SecretEnvTooShort { found: 2 })
        ));
        assert_eq!(
            secret_from_env_value(&"ab".repeat(32)).unwrap(),
            vec![0xab; 32]
        );
    }
}
