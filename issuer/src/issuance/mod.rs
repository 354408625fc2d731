//! The issuance engine: one [`Issuer`] shared by the CLI and the HTTP service.
//!
//! It owns the open store, the unlocked active signing key and the issuer's identity, and does
//! everything that turns a completion into a committed, signed Open Badges 3.0 credential:
//!
//! 1. check the request field by field ([`IssueError::Invalid`] names the field);
//! 2. find the achievement; compute the learner's stable key (the DID, or a keyed SHA-256 of the
//!    normalised email kept only in the database) and look the credential up — a repeat signs
//!    and allocates nothing;
//! 3. allocate a random revocation slot (and a suspension slot unless configured off);
//! 4. build the credential with the core builders (the learner by DID, or by a salted SHA-256
//!    `IdentityObject` with a random per-credential salt — the email never appears), put in the
//!    stored issuer profile and achievement definition, and validate it ([`validate_credential`]:
//!    the core data-model checks, an optional JSON Schema, and JSON-LD safe mode);
//! 5. sign it with eddsa-rdfc-2022 off the async workers;
//! 6. commit the credential, a claim token and an audit record in one transaction
//!    ([`Store::commit_issued`]) — only then is anything returned.
//!
//! Steps 4–5 are a pure function of their inputs ([`Issuer::prepare`] / [`Prepared::sign`]), so
//! [`crate::bulk`] runs them on every core with rayon and batches steps 3 and 6.
//!
//! **Architecture invariant:** a credential leaves this module only after its row is committed.
//!
//! Code map, one file per concern: this file holds [`Issuer`] (opening it and what it shares);
//! `request` checks a request (step 1 and the learner key of step 2); `build` makes, validates
//! and signs a credential (steps 4–5, pure, with [`Prepared`] and [`SigningContext`]); `issue`
//! runs the steps end to end ([`Issuer::issue`]); `offer` makes the OpenID4VCI credential offer
//! and transaction code handed out with each claim link; `status` revokes and suspends and signs the
//! published status lists; `keys` unlocks and rotates the signing key and builds the DID
//! document; `error` is [`IssueError`].

mod build;
mod error;
mod issue;
mod keys;
mod offer;
mod request;
mod status;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use passerelle_core::keys::KeyPair;
use passerelle_core::model;
use passerelle_core::schema::SchemaSet;
use serde_json::Value;

use crate::config::IssuerConfig;
use crate::secret::{LearnerSecret, Passphrase};
use crate::status_cache::StatusListCache;
use crate::store::Store;

pub use crate::status_cache::{ServedStatusList, SignedStatusList};
use build::ensure_schema;
pub use build::{validate_credential, Prepared, Signed, SigningContext};
pub use error::IssueError;
pub use issue::{claim_url, ClaimLink, Issued};
use keys::{learner_secret_for, unlock_key, SigningKey};
pub use offer::{credential_offer_uri, offer_reference_url, TxCodePin, TX_CODE_LENGTH};
use request::rekey_kept_addresses;
pub use request::{
    learner_key, legacy_learner_key, parse_completion_date, IssueRequest, Recipient, MAX_EMAIL,
    MAX_NARRATIVE, MAX_SHORT_TEXT,
};
pub use status::{status_list_id_from_path, status_list_url, StatusChange};

/// The issuance engine. `Send + Sync`; share it as `Arc<Issuer>`.
pub struct Issuer {
    dir: Option<PathBuf>,
    config: RwLock<IssuerConfig>,
    store: Store,
    /// Re-read by [`Issuer::reload_profile`] when an endorsement is attached or detached.
    profile: RwLock<Value>,
    signing: RwLock<Arc<SigningKey>>,
    schemas: Option<Arc<SchemaSet>>,
    /// Whether issuing without the OB schema in `schemas` is refused.
    schema_required: bool,
    status_cache: StatusListCache,
    /// What learner keys are keyed with ([`learner_key`]).
    learner_secret: LearnerSecret,
    /// Whether credentials with an unkeyed learner key remain: then each lookup first re-keys
    /// the row of the learner asked about.
    legacy_learner_keys: AtomicBool,
    /// See [`Issuer::start_notes`].
    start_notes: Vec<String>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("did", &self.did())
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// Opens the issuer directory `dir`: reads `issuer.toml`, connects to and migrates the
    /// database, and unlocks the active key (a sealed key needs `passphrase`).
    pub async fn open(dir: &Path, passphrase: Option<&Passphrase>) -> Result<Self, IssueError> {
        let config = IssuerConfig::load(dir)?;
        // Private before anything is read: the directory 0700, the database, its companions,
        // the config and a plain key 0600 (tightened here if another tool loosened them).
        let mut notes = crate::files::secure(dir, &config)?;
        let url = config.database_url(dir)?;
        let store = Store::connect(&url).await?;
        let key = unlock_key(dir, &config, &store, passphrase).await?;
        let schemas = crate::schemas::load(dir).map_err(|source| IssueError::Schema { source })?;
        let mut issuer = Self::from_parts(config, store, key).await?;
        issuer.dir = Some(dir.to_path_buf());
        notes.append(&mut issuer.start_notes);
        issuer.start_notes = notes;
        if schemas.contains(model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA) {
            issuer.schemas = Some(Arc::new(schemas));
        }
        Ok(issuer)
    }

    /// An issuer from parts (tests, embedding): the config's key record must describe `key`.
    pub async fn from_parts(
        config: IssuerConfig,
        store: Store,
        key: KeyPair,
    ) -> Result<Self, IssueError> {
        if key.public().to_multikey() != config.key.public_multikey {
            return Err(IssueError::Locked {
                reason: "the unlocked key is not the one issuer.toml names (was the key rotated \
                         by another process? re-read the config)"
                    .into(),
            });
        }
        let profile = store
            .issuer_profile()
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "issuer profile (run init)",
                id: config.did.clone(),
            })?
            .profile;
        let config_requires_schema = config.issuance.require_ob_schema;
        let learner_secret = learner_secret_for(&store, &key).await?;
        let legacy = rekey_kept_addresses(&store, &learner_secret, &config.did).await?;
        let signing = SigningKey {
            pair: key,
            verification_method: config.key.verification_method.clone(),
            fragment: config.key.fragment.clone(),
        };
        Ok(Self {
            dir: None,
            config: RwLock::new(config),
            store,
            profile: RwLock::new(profile),
            signing: RwLock::new(Arc::new(signing)),
            schemas: None,
            schema_required: config_requires_schema,
            status_cache: StatusListCache::default(),
            learner_secret,
            legacy_learner_keys: AtomicBool::new(legacy > 0),
            start_notes: if legacy > 0 {
                vec![format!(
                    "{legacy} credential(s) still carry an unkeyed learner key (their addresses \
                     were not kept); each is re-keyed when its learner is next issued to"
                )]
            } else {
                Vec::new()
            },
        })
    }

    /// What opening the issuer changed or found that the operator should know (file modes
    /// tightened, learner keys still to re-key): one sentence each, for the start-up log.
    pub fn start_notes(&self) -> &[String] {
        &self.start_notes
    }

    /// Also validates every credential against this JSON Schema set before signing (it must
    /// hold the OB 3.0 AchievementCredential schema under its published URL).
    pub fn with_schemas(mut self, schemas: SchemaSet) -> Self {
        self.schemas = Some(Arc::new(schemas));
        self
    }

    /// Whether credentials can be issued as far as the OB schema goes: an
    /// [`IssueError::SchemaMissing`] when the configuration requires the schema and it is not
    /// loaded. [`Issuer::open`] loads it from `DIR/schemas/`; an issuer made with
    /// [`Issuer::from_parts`] gets it from [`Issuer::with_schemas`].
    pub fn ensure_schema(&self) -> Result<(), IssueError> {
        ensure_schema(
            self.schemas.as_deref(),
            self.schema_required,
            self.dir.as_deref(),
        )
    }

    /// Whether the OB 3.0 JSON Schema is loaded (every credential is then checked against it).
    pub fn has_ob_schema(&self) -> bool {
        self.schemas
            .as_deref()
            .is_some_and(|set| set.contains(model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A copy of the current configuration (it changes on key rotation).
    pub fn config(&self) -> IssuerConfig {
        read_lock(&self.config).clone()
    }

    pub fn did(&self) -> String {
        read_lock(&self.config).did.clone()
    }

    /// The verification method that signs now.
    pub fn verification_method(&self) -> String {
        self.signing_key().verification_method.clone()
    }

    /// The issuer's public base URL (no trailing slash).
    pub fn base_url(&self) -> String {
        read_lock(&self.config).url.trim_end_matches('/').to_owned()
    }

    /// The stored OB 3.0 issuer Profile (as of opening, or of the last
    /// [`Issuer::reload_profile`]).
    pub fn profile(&self) -> Value {
        read_lock(&self.profile).clone()
    }

    /// Re-reads the issuer Profile from the store (after an endorsement was attached to it or
    /// detached), so credentials issued from now on carry the stored one.
    pub async fn reload_profile(&self) -> Result<(), IssueError> {
        let stored = self
            .store
            .issuer_profile()
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "issuer profile (run init)",
                id: self.did(),
            })?;
        *write_lock(&self.profile) = stored.profile;
        Ok(())
    }

    /// The cache of signed status lists (an endorsement's revocation expires its list here).
    pub(crate) fn status_cache(&self) -> &StatusListCache {
        &self.status_cache
    }

    fn signing_key(&self) -> Arc<SigningKey> {
        Arc::clone(&read_lock(&self.signing))
    }

    /// What [`Prepared::sign`] needs.
    pub fn signing_context(&self) -> SigningContext {
        SigningContext {
            key: self.signing_key(),
            suspension: self.suspension_enabled(),
            profile: self.profile(),
            base_url: self.base_url(),
            schemas: self.schemas.clone(),
            schema_required: self.schema_required,
        }
    }

    /// [`crate::secret::purpose_mac`] under this issuer's learner secret: pairwise subject ids
    /// and CSRF tokens of the OB 3.0 API provider.
    pub fn purpose_mac(&self, label: &str, parts: &[&[u8]]) -> [u8; 32] {
        crate::secret::purpose_mac(&self.learner_secret, label, parts)
    }

    /// Whether credentials get a suspension entry too.
    pub fn suspension_enabled(&self) -> bool {
        read_lock(&self.config).issuance.suspension
    }
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere while holding it; the data (a config or an
    // Arc) is replaced whole, so it is never half-written.
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
