//! The issuer's database: SQLite by default (one file, nothing to install), PostgreSQL at scale.
//!
//! By concern: `keys` (the issuer profile and its sealed keys), `achievements`, `credentials`,
//! `issue` (one credential's transaction), `bulk` (jobs), `status` (lists, slots, bits), `tokens`
//! (API and claim tokens), `oid4vci` (offers, pre-authorized codes, access tokens, nonces,
//! deliveries), `obapi` (the Open Badges 3.0 API provider's clients, consent requests, grants,
//! codes and tokens), `learners`, `audit`, `queries` (read-only reporting) and `ids`; this
//! file holds the pool, its options, the error type and the row helpers they share.
//!
//! One [`Store`] wraps a connection pool of either kind. Both backends run the *same* SQL text
//! (`$1` placeholders work in both) against the same schema; the migrations under
//! `migrations/sqlite/` and `migrations/postgres/` differ only in dialect and are applied at
//! start-up by [`Store::connect`].
//!
//! What lives here: the issuer profile, its keys (private keys sealed with a passphrase, see
//! [`crate::secret`]), achievements, issued credentials (idempotent by achievement + learner +
//! external id), status-list index allocation and status bits (see [`status`]), the append-only
//! audit log, hashed API tokens and claim tokens (see [`tokens`]).
//!
//! **Invariant:** no method deletes a status entry or an audit record; neither has an update or
//! delete API, and the audit log is protected by triggers in the database as well.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::secret::SecretError;

/// Runs `$body` with `$p` bound to the concrete pool: the body is compiled once per backend, so
/// every query is typed for its driver while the SQL text is shared.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

/// The INSERT of one [`NewCredential`] with all its binds, for any executor (a pool or a
/// transaction) of either backend. Idempotent: a repeat of achievement + learner + external id
/// inserts nothing (0 rows affected).
macro_rules! insert_credential_query {
    ($new:expr) => {{
        let new: &$crate::store::NewCredential = $new;
        let (rl, ri) = $crate::store::slot_columns(new.revocation.as_ref());
        let (sl, si) = $crate::store::slot_columns(new.suspension.as_ref());
        sqlx::query(
            "INSERT INTO credentials (id, achievement_id, learner_key, external_id, \
             revocation_list_id, revocation_index, suspension_list_id, suspension_index, \
             credential, issued_at, learner_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (achievement_id, learner_key, external_id) DO NOTHING",
        )
        .bind(new.id.as_str())
        .bind(new.achievement_id.as_str())
        .bind(&new.learner_key)
        .bind(new.external_id.as_deref().unwrap_or(""))
        .bind(rl)
        .bind(ri)
        .bind(sl)
        .bind(si)
        .bind(&new.credential)
        .bind(new.issued_at)
        .bind(&new.learner_email)
    }};
}

/// The INSERT of one OpenID4VCI offer (its reference and claim link from a
/// [`oid4vci::ClaimSecrets`]) for any executor of either backend.
macro_rules! insert_offer_query {
    ($secrets:expr, $credential:expr, $salt:expr, $mac:expr, $at:expr, $expires:expr) => {{
        let secrets: &$crate::store::oid4vci::ClaimSecrets = $secrets;
        let credential: &$crate::store::CredentialId = $credential;
        sqlx::query(
            "INSERT INTO oid4vci_offers (hash, claim_hash, credential_id, tx_code_salt, \
             tx_code_mac, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($crate::store::tokens::claim_hash(secrets.offer.expose()))
        .bind($crate::store::tokens::claim_hash(secrets.claim.expose()))
        .bind(credential.as_str())
        .bind($salt)
        .bind($mac)
        .bind($at)
        .bind($expires)
    }};
}

mod achievements;
mod audit;
mod credentials;
mod ids;
mod keys;

pub mod bulk;
pub mod endorsements;
pub mod issue;
pub mod learners;
pub mod obapi;
pub mod oid4vci;
pub mod queries;
pub mod status;
pub mod tokens;

pub use achievements::Achievement;
pub use audit::{AuditEntry, NewAuditEntry};
pub use credentials::{Inserted, IssuedCredential, NewCredential};
pub use ids::{AchievementId, CredentialId, KeyId, StatusListId};
pub use keys::{IssuerKey, IssuerProfile, NewIssuerProfile};

pub use bulk::{BulkJob, BulkJobStatus, BulkRowOutcome, BulkRowResult, BulkTotals};
use credentials::{CredentialRow, CREDENTIAL_SELECT};
pub use endorsements::{IssuedEndorsement, NewEndorsement};
pub use issue::{Committed, IssueRecord};
pub use oid4vci::{ClaimSecrets, TxCodeCheck};
pub use status::{ListPurpose, StatusListInfo, StatusSlot};
pub use tokens::{ApiToken, ClaimLinkRecord, SecretToken};

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// How long an SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL names neither SQLite nor PostgreSQL.
    #[error(
        "unsupported database URL scheme {scheme:?}: use sqlite://PATH?mode=rwc or postgres://…"
    )]
    UnsupportedUrl { scheme: String },
    /// The schema migrations could not be applied.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] MigrateError),
    /// A uniqueness rule was broken: `what` says which (e.g. "achievement slug").
    #[error("{what} already exists")]
    Conflict {
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// No row with this identifier.
    #[error("no {what} with id {id:?}")]
    NotFound { what: &'static str, id: String },
    /// The status-list size is below the minimum the specification allows.
    #[error("status lists must have at least {minimum} entries, not {size}")]
    ListTooSmall { size: u64, minimum: u64 },
    /// The status-list size is above what verifiers accept to decompress.
    #[error("status lists may have at most {maximum} entries, not {size}")]
    ListTooLarge { size: u64, maximum: u64 },
    /// An identifier does not have the expected form.
    #[error("{value:?} is not a valid {what}")]
    InvalidId { what: &'static str, value: String },
    /// The credential has no status entry of this purpose, so it cannot take that status.
    #[error("credential {credential} has no {purpose} status entry")]
    NoStatusEntry {
        credential: String,
        purpose: &'static str,
    },
    /// No free status index was found after many attempts (should not happen: lists roll over).
    #[error("could not allocate a {purpose} status index after {attempts} attempts")]
    AllocationFailed {
        purpose: &'static str,
        attempts: u32,
    },
    /// The claim token has expired.
    #[error("this claim link expired at {expired_at}")]
    ClaimExpired { expired_at: DateTime<Utc> },
    /// A stored value cannot be read back (the database was edited by hand or is damaged).
    #[error("stored {what} is invalid: {reason}")]
    Corrupt { what: &'static str, reason: String },
    /// A private key could not be sealed or opened (e.g. wrong passphrase).
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The operating system gave no randomness.
    #[error(transparent)]
    Random(#[from] crate::secret::NoRandomness),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`] naming `what`.
fn unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict { what, source: e }
        } else {
            StoreError::Database(e)
        }
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Options for [`Store::connect_with`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    status_list_size: u64,
    max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            status_list_size: passerelle_core::status::MIN_ENTRIES as u64,
            max_connections: 10,
        }
    }
}

impl StoreOptions {
    /// Entries in each new status list; at least 131,072 (the spec's minimum, for herd privacy).
    pub fn status_list_size(mut self, size: u64) -> Result<Self, StoreError> {
        let minimum = passerelle_core::status::MIN_ENTRIES as u64;
        if size < minimum {
            return Err(StoreError::ListTooSmall { size, minimum });
        }
        // The core's default decompression cap (16 MiB) at one bit per entry.
        let maximum = passerelle_core::status::DEFAULT_MAX_DECOMPRESSED as u64 * 8;
        if size > maximum {
            return Err(StoreError::ListTooLarge { size, maximum });
        }
        self.status_list_size = size;
        Ok(self)
    }

    /// Lists of any size, so tests can fill one and see the next start. Only compiled with the
    /// `test-support` feature, which release builds never enable.
    #[cfg(feature = "test-support")]
    pub fn test_status_list_size(mut self, size: u64) -> Self {
        self.status_list_size = size.clamp(1, passerelle_core::status::MIN_ENTRIES as u64);
        self
    }

    /// Largest number of pooled connections.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }
}

/// Opens a transaction that reads and then writes. On SQLite it is `BEGIN IMMEDIATE`: the write
/// lock is taken first, so a concurrent writer makes it wait (up to the busy timeout) instead of
/// failing with `SQLITE_BUSY_SNAPSHOT` ("database is locked") at its first write after a read —
/// two wallets redeeming one code at once must get one token and one `invalid_grant`, not a
/// 500. On PostgreSQL it is an ordinary transaction (its conditional updates decide).
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The issuer database. Cheap to clone (it shares the pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) options: StoreOptions,
}

impl std::fmt::Debug for Store {
    /// Names the backend only: connection settings (which may hold a password) stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// Current time at the precision both backends keep (microseconds).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Current time to the second (what credentials' `validFrom` and proofs' `created` show).
pub fn now_seconds() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// A fresh `urn:uuid:` identifier.
pub(crate) fn new_urn() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

impl Store {
    /// Opens (and for SQLite with `mode=rwc`, creates) the database and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, StoreOptions::default()).await
    }

    /// [`Store::connect`] with options.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Self, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default();
        let pool = match scheme {
            "sqlite" => {
                let connect = SqliteConnectOptions::from_str(url)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true);
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(options.max_connections)
                        .connect_with(connect)
                        .await?,
                )
            }
            "postgres" | "postgresql" => Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .connect(url)
                    .await?,
            ),
            other => {
                return Err(StoreError::UnsupportedUrl {
                    scheme: other.to_owned(),
                })
            }
        };
        let store = Self { pool, options };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies any pending migration (idempotent; PostgreSQL takes an advisory lock, so several
    /// instances may start at once).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATOR.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

// ----- rows ----------------------------------------------------------------------------------

fn parse_json(what: &'static str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

fn slot_columns(slot: Option<&StatusSlot>) -> (Option<&str>, Option<i64>) {
    match slot {
        Some(s) => (Some(s.list_id.as_str()), Some(s.index_i64())),
        None => (None, None),
    }
}
