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

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use passerelle_core::did::{self, DocumentKey, Relationship};
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{
    self, Achievement as CoreAchievement, AchievementCredential, AchievementResult,
    AchievementSubject, CredentialSchema, Criteria, Evidence, Iri, Profile,
};
use passerelle_core::schema::SchemaSet;
use passerelle_core::status::{self as core_status, BitstringEntry, StatusPurpose};
use passerelle_core::{input, proof};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, IssuerConfig, KeyStorage};
use crate::secret::{self, KdfParams, LearnerSecret, NoRandomness, Passphrase, SecretError};
use crate::status_cache::{self, StatusListCache};
pub use crate::status_cache::{ServedStatusList, SignedStatusList};
use crate::store::learners::LEGACY_LEARNER_KEY_PREFIX;
use crate::store::{
    Achievement, AchievementId, CredentialId, Inserted, IssueRecord, IssuedCredential, IssuerKey,
    ListPurpose, NewAuditEntry, NewCredential, StatusListId, StatusSlot, Store, StoreError,
};

/// Longest learner name, result, external id (characters).
pub const MAX_SHORT_TEXT: usize = 256;
/// Longest evidence narrative (characters).
pub const MAX_NARRATIVE: usize = 10_000;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;

/// Why an issuance operation failed. `Invalid` and `NotFound` are the caller's to fix and say
/// exactly what is wrong; the others are internal and their text reveals no secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// A field of the request (or of the credential it would make) is wrong.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Something the request names does not exist.
    #[error("no {what} {id:?}")]
    NotFound { what: &'static str, id: String },
    /// The request contradicts the current state (e.g. suspending a credential that has no
    /// suspension entry, or rotating a did:key issuer's key).
    #[error("{reason}")]
    Conflict { reason: String },
    /// The signing key is sealed and no passphrase was given, or the passphrase is wrong.
    #[error("cannot unlock the issuer key: {reason}")]
    Locked { reason: String },
    /// The configuration could not be read or written.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file of the issuer directory is readable by others and could not be made private.
    #[error(transparent)]
    FileMode(#[from] crate::files::ModeError),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[source] StoreError),
    /// Signing failed although the credential was valid (a bug, not the caller's fault).
    #[error("signing failed: {reason}")]
    Signing { reason: String },
    /// The operating system's random source failed (a credential's salt, a new key).
    #[error("no randomness for {what}")]
    Randomness {
        what: &'static str,
        #[source]
        source: NoRandomness,
    },
    /// A background task died.
    #[error("internal task failed: {reason}")]
    Task { reason: String },
    /// The OB 3.0 JSON Schema every credential is checked against is not installed, and the
    /// configuration requires it (`[issuance] require_ob_schema`).
    #[error(
        "the OB 3.0 JSON Schema is not installed{where_}, and every credential must be checked \
         against it before signing: run `passerelle-issuer schema install` (it fetches {url} \
         once), or `passerelle-issuer schema install --from FILE` on a machine without network"
    )]
    SchemaMissing { where_: String, url: &'static str },
    /// An installed schema could not be read or is damaged.
    #[error("installed schemas: {reason}")]
    Schema { reason: String },
}

impl From<StoreError> for IssueError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Self::NotFound { what, id },
            StoreError::InvalidId { what, value } => Self::Invalid {
                field: what.to_owned(),
                reason: format!("{value:?} is not a valid {what}"),
            },
            StoreError::NoStatusEntry {
                credential,
                purpose: "suspension",
            } => Self::Conflict {
                reason: format!(
                    "credential {credential} has no suspension status entry, so it cannot be \
                     suspended or reinstated: it was issued while suspension was off (it can still be revoked). \
                     To make credentials issued from now on suspendable, set `suspension = true` \
                     under `[issuance]` in issuer.toml"
                ),
            },
            StoreError::NoStatusEntry {
                credential,
                purpose,
            } => Self::Conflict {
                reason: format!("credential {credential} has no {purpose} status entry"),
            },
            StoreError::Secret(SecretError::WrongPassphrase) => Self::Locked {
                reason: "wrong passphrase".into(),
            },
            other => Self::Store(other),
        }
    }
}

impl IssueError {
    fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// True for errors that are the caller's to fix (an HTTP 4xx).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Self::Invalid { .. } | Self::NotFound { .. } | Self::Conflict { .. }
        )
    }
}

/// Who receives the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// By email: the credential carries only a salted hash of it.
    Email(String),
    /// By DID (e.g. the learner's wallet `did:key`).
    Did(String),
}

/// One credential to issue.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRequest {
    /// The achievement's slug or id (`urn:uuid:…`).
    pub achievement: String,
    pub recipient: Recipient,
    /// The learner's name. Kept out of the credential (it would identify the learner to anyone
    /// who sees it); used only for the claim page and `--out` file names when emails are kept.
    pub name: Option<String>,
    /// When the learner completed (the `awardedDate` and the activity end date).
    pub completed: DateTime<FixedOffset>,
    /// The result or grade obtained (`credentialSubject.result[0].value`).
    pub result: Option<String>,
    pub evidence_url: Option<String>,
    pub evidence_narrative: Option<String>,
    /// The provider's own id for this completion; part of the idempotency key.
    pub external_id: Option<String>,
    /// When the claim link stops working (none: never).
    pub claim_expires: Option<DateTime<Utc>>,
}

/// A claim link for the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLink {
    /// `{base}/claim/{token}` — the token is the secret: show it only to the learner.
    pub url: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The result of [`Issuer::issue`].
#[derive(Debug, Clone)]
pub struct Issued {
    pub credential: IssuedCredential,
    /// False when the same achievement, learner and external id had been issued before (the
    /// earlier credential is returned; nothing was signed).
    pub new: bool,
    /// A fresh claim link for the credential (also for an earlier one: links are cheap and
    /// earlier links stay valid).
    pub claim: Option<ClaimLink>,
}

/// A change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Final: a revoked credential stays revoked.
    Revoke,
    Suspend,
    Unsuspend,
}

impl StatusChange {
    fn action(self) -> &'static str {
        match self {
            Self::Revoke => "credential.revoke",
            Self::Suspend => "credential.suspend",
            Self::Unsuspend => "credential.unsuspend",
        }
    }
}

/// The unlocked signing key and how credentials name it.
struct SigningKey {
    pair: KeyPair,
    verification_method: String,
    fragment: String,
}

/// The issuance engine. `Send + Sync`; share it as `Arc<Issuer>`.
pub struct Issuer {
    dir: Option<PathBuf>,
    config: RwLock<IssuerConfig>,
    store: Store,
    profile: Value,
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

/// `{base}/status/{uuid}`: where the status list `list_id` (`urn:uuid:{uuid}`) is published.
pub fn status_list_url(base_url: &str, list_id: &StatusListId) -> String {
    let id = list_id.as_str();
    let tail = id.strip_prefix("urn:uuid:").unwrap_or(id);
    format!("{}/status/{tail}", base_url.trim_end_matches('/'))
}

/// The list id for the `{uuid}` of a `/status/{uuid}` URL, if it is a UUID.
pub fn status_list_id_from_path(uuid: &str) -> Option<StatusListId> {
    let parsed = uuid::Uuid::parse_str(uuid).ok()?;
    Some(StatusListId::from(format!("urn:uuid:{parsed}")))
}

/// `{base}/claim/{token}`.
pub fn claim_url(base_url: &str, token: &str) -> String {
    format!("{}/claim/{token}", base_url.trim_end_matches('/'))
}

/// The learner key for idempotency: a DID as is; an email as `email-hmac:` + HMAC-SHA256, under
/// the issuer's [`LearnerSecret`], of the issuer DID and the normalised (trimmed, lower-cased)
/// address. Stable across runs, stored only in the database, never in a credential (which
/// carries a salted hash instead); without the secret, which is kept wrapped under the signing
/// key, a copy of the database does not give addresses back by dictionary.
pub fn learner_key(secret: &LearnerSecret, issuer_did: &str, recipient: &Recipient) -> String {
    match recipient {
        Recipient::Did(did) => did.clone(),
        Recipient::Email(email) => {
            secret::learner_key_hmac(secret, issuer_did, &normalise_email(email))
        }
    }
}

/// The unkeyed learner key of earlier versions (`email-sha256:` + SHA-256 of public inputs),
/// computed only to find and re-key the rows that still carry it.
pub fn legacy_learner_key(issuer_did: &str, recipient: &Recipient) -> Option<String> {
    match recipient {
        Recipient::Did(_) => None,
        Recipient::Email(email) => {
            let mut hasher = Sha256::new();
            hasher.update(b"passerelle learner key v1\0");
            hasher.update(issuer_did.as_bytes());
            hasher.update(b"\0");
            hasher.update(normalise_email(email).as_bytes());
            Some(format!(
                "{LEGACY_LEARNER_KEY_PREFIX}{}",
                hex::encode(hasher.finalize())
            ))
        }
    }
}

/// The issuer's learner secret: the copy wrapped for `key`, or a new one (recorded wrapped for
/// `key`) when the issuer has none yet. Refuses when copies exist but none opens with `key`:
/// a new secret would silently change every learner key.
async fn learner_secret_for(store: &Store, key: &KeyPair) -> Result<LearnerSecret, IssueError> {
    let multikey = key.public().to_multikey();
    let locked = |reason: String| IssueError::Locked { reason };
    for _ in 0..2 {
        let wraps = store.learner_secret_wraps().await?;
        if let Some((_, blob)) = wraps.iter().find(|(k, _)| *k == multikey) {
            return LearnerSecret::unwrap(blob, key).map_err(|e| {
                locked(format!(
                    "the learner-key secret does not open with this key: {e}"
                ))
            });
        }
        if !wraps.is_empty() {
            return Err(locked(format!(
                "the learner-key secret is kept for {} other key(s) but not for the active key                  {multikey}: was the key replaced outside `key rotate`?",
                wraps.len()
            )));
        }
        let fresh = LearnerSecret::generate().map_err(|e| locked(e.to_string()))?;
        let wrapped = fresh.wrap(key).map_err(|e| locked(e.to_string()))?;
        if store.add_learner_secret_wrap(&multikey, &wrapped).await? {
            return Ok(fresh);
        }
        // Another process made one at the same moment: use theirs.
    }
    Err(locked("the learner-key secret could not be set up".into()))
}

/// Re-keys the credentials whose unkeyed learner key can be recomputed because their address
/// was kept; returns how many unkeyed keys remain (re-keyed when their learner is next issued
/// to, since only the address gives the keyed value).
async fn rekey_kept_addresses(
    store: &Store,
    secret: &LearnerSecret,
    issuer_did: &str,
) -> Result<i64, IssueError> {
    let remaining = store.legacy_learner_keys().await?;
    if remaining == 0 {
        return Ok(0);
    }
    for (id, email) in store.legacy_learner_keys_with_email().await? {
        let keyed = learner_key(secret, issuer_did, &Recipient::Email(email));
        store.set_learner_key(&id, &keyed).await?;
    }
    Ok(store.legacy_learner_keys().await?)
}

fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks an unsigned credential as the issuer does before signing: the core data-model rules
/// (VC 2.0 and OB 3.0), the JSON Schema in `schemas` filed under the OB AchievementCredential
/// schema URL if given (each `credentialStatus` entry checked on its own, since VC 2.0 allows
/// several and the OB schema one), and JSON-LD safe mode (no undefined term).
pub fn validate_credential(doc: &Value, schemas: Option<&SchemaSet>) -> Result<(), IssueError> {
    validate_model_and_schema(doc, schemas)?;
    check_safe_mode(doc)
}

/// The data-model and JSON Schema part of [`validate_credential`]. Signing runs JSON-LD safe
/// mode itself (the rdfc signer expands the document anyway), so the signing path uses this and
/// pays for JSON-LD processing once.
fn validate_model_and_schema(doc: &Value, schemas: Option<&SchemaSet>) -> Result<(), IssueError> {
    if let Err(violations) = model::check_credential(doc) {
        let field = violations.first().map_or("", |v| v.path.as_str());
        return Err(violations_error(field, &violations));
    }
    let Some(set) = schemas else {
        return Ok(());
    };
    let url = model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA;
    // With a suspension entry too, each status entry is checked on its own (OB allows one).
    match set.validate_each_status_entry(url, doc) {
        Some(Ok(())) => Ok(()),
        Some(Err(passerelle_core::schema::SchemaError::Violations(violations))) => {
            let field = violations.first().map_or_else(String::new, |v| {
                v.instance_path.trim_start_matches('/').replace('/', ".")
            });
            Err(violations_error(&field, &violations))
        }
        Some(Err(other)) => Err(IssueError::invalid("credentialSchema", other.to_string())),
        None => Err(IssueError::invalid(
            "credentialSchema",
            format!("the schema {url} is not loaded"),
        )),
    }
}

/// An [`IssueError::Invalid`] at `field` (the whole credential when empty) listing every
/// violation.
fn violations_error<V: std::fmt::Display>(field: &str, violations: &[V]) -> IssueError {
    let field = if field.is_empty() {
        "credential"
    } else {
        field
    };
    let reason = violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    IssueError::invalid(field, reason)
}

/// JSON-LD safe mode: every term defined, nothing dropped.
fn check_safe_mode(doc: &Value) -> Result<(), IssueError> {
    passerelle_core::jsonld::canonical_nquads(doc)
        .map(|_| ())
        .map_err(|e| safe_mode_error(&e))
}

/// An [`IssueError::Invalid`] naming the JSON path a JSON-LD error points at.
fn safe_mode_error(e: &passerelle_core::jsonld::JsonLdError) -> IssueError {
    let text = e.to_string();
    let field = text
        .split_once(": ")
        .map(|(path, _)| path.to_owned())
        .filter(|p| !p.contains(' '))
        .unwrap_or_else(|| "credential".into());
    IssueError::Invalid {
        field,
        reason: text,
    }
}

/// A checked request, ready to be built and signed once its status slots are known.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub achievement: Achievement,
    pub learner_key: String,
    /// The unkeyed key of earlier versions, while rows with such keys remain.
    pub legacy_learner_key: Option<String>,
    pub external_id: Option<String>,
    pub learner_email: Option<String>,
    recipient: Recipient,
    completed: DateTime<FixedOffset>,
    result: Option<String>,
    evidence_url: Option<Iri>,
    evidence_narrative: Option<String>,
    pub claim_expires: Option<DateTime<Utc>>,
}

/// A signed credential not yet committed.
#[derive(Debug, Clone)]
pub struct Signed {
    pub record: IssueRecord,
}

/// Everything [`Prepared::sign`] needs from the issuer (cheap to clone, `Send`), so bulk
/// workers can sign without touching the async world.
#[derive(Clone)]
pub struct SigningContext {
    key: Arc<SigningKey>,
    suspension: bool,
    profile: Value,
    base_url: String,
    schemas: Option<Arc<SchemaSet>>,
    schema_required: bool,
}

impl SigningContext {
    /// [`IssueError::SchemaMissing`] when the OB schema is required but not loaded.
    fn ensure_schema(&self) -> Result<(), IssueError> {
        ensure_schema(self.schemas.as_deref(), self.schema_required, None)
    }
}

fn ensure_schema(
    schemas: Option<&SchemaSet>,
    required: bool,
    dir: Option<&Path>,
) -> Result<(), IssueError> {
    let url = model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA;
    if required && !schemas.is_some_and(|set| set.contains(url)) {
        return Err(IssueError::SchemaMissing {
            where_: dir.map_or_else(String::new, |d| {
                format!(" in {}", d.join(crate::schemas::SCHEMA_DIR).display())
            }),
            url,
        });
    }
    Ok(())
}

impl Prepared {
    /// Builds, validates and signs the credential with these status slots (CPU only: run it on
    /// a blocking thread or a rayon worker). `now` is `validFrom` and the proof's `created`.
    pub fn sign(
        &self,
        context: &SigningContext,
        revocation: StatusSlot,
        suspension: Option<StatusSlot>,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<Signed, IssueError> {
        let id = CredentialId::generate();
        let unsigned = self.build(context, &id, &revocation, suspension.as_ref(), now)?;
        // Safe mode is checked by the signer below (a failure there is the input's fault).
        context.ensure_schema()?;
        validate_model_and_schema(&unsigned, context.schemas.as_deref())?;
        let created = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let options = proof::ProofOptions::assertion(
            proof::Cryptosuite::EddsaRdfc2022,
            context.key.verification_method.clone(),
            created,
        );
        let signed = proof::sign(&unsigned, &context.key.pair, &options).map_err(|e| {
            // Safe mode failures are the input's fault; anything else is ours.
            match e {
                proof::ProofError::Document(inner) => safe_mode_error(&inner),
                other => IssueError::Signing {
                    reason: other.to_string(),
                },
            }
        })?;
        let text = serde_json::to_string(&signed).map_err(|e| IssueError::Signing {
            reason: e.to_string(),
        })?;
        let audit = NewAuditEntry {
            actor: actor.to_owned(),
            action: "credential.issue".into(),
            subject: id.to_string(),
            details: serde_json::json!({
                "achievement": self.achievement.slug,
                "externalId": self.external_id,
            }),
        };
        Ok(Signed {
            record: IssueRecord {
                credential: NewCredential {
                    id,
                    achievement_id: self.achievement.id.clone(),
                    learner_key: self.learner_key.clone(),
                    external_id: self.external_id.clone(),
                    learner_email: self.learner_email.clone(),
                    revocation: Some(revocation),
                    suspension,
                    credential: text,
                    issued_at: now,
                },
                claim_expires: self.claim_expires,
                audit,
            },
        })
    }

    /// Builds and validates the credential with placeholder status slots, signing nothing
    /// (bulk `--dry-run`).
    pub fn check_only(
        &self,
        context: &SigningContext,
        now: DateTime<Utc>,
    ) -> Result<(), IssueError> {
        let placeholder = StatusSlot {
            list_id: StatusListId::from("urn:uuid:00000000-0000-4000-8000-000000000000".to_owned()),
            index: core_status::StatusIndex::new(0),
        };
        let suspension = context.suspension.then(|| placeholder.clone());
        let unsigned = self.build(
            context,
            &CredentialId::generate(),
            &placeholder,
            suspension.as_ref(),
            now,
        )?;
        context.ensure_schema()?;
        validate_credential(&unsigned, context.schemas.as_deref())
    }

    fn build(
        &self,
        context: &SigningContext,
        id: &CredentialId,
        revocation: &StatusSlot,
        suspension: Option<&StatusSlot>,
        now: DateTime<Utc>,
    ) -> Result<Value, IssueError> {
        let def = &self.achievement.definition;
        let text = |key: &str| def.get(key).and_then(Value::as_str).unwrap_or_default();
        // The builder wants a typed Achievement; the stored definition (made by the same
        // builders) replaces it below so every stored property is kept.
        let placeholder = CoreAchievement::new(
            iri("credentialSubject.achievement.id", text("id"))?,
            text("name"),
            text("description"),
            Criteria::new().narrative("-"),
        );
        let mut subject = match &self.recipient {
            Recipient::Did(did) => AchievementSubject::with_id(iri("recipient", did)?),
            Recipient::Email(email) => {
                AchievementSubject::with_email(&normalise_email(email), &random_salt()?)
            }
        };
        subject = subject.activity_end_date(self.completed);
        if let Some(value) = &self.result {
            subject = subject.result(AchievementResult::new().value(value.clone()));
        }
        let issuer_placeholder = Profile::new(
            iri("issuer", "did:example:placeholder")?,
            "-",
            iri("issuer.url", "https://placeholder.example")?,
        );
        let valid_from = now.fixed_offset();
        let mut builder = AchievementCredential::builder(
            iri("id", id.as_str())?,
            issuer_placeholder,
            placeholder,
            subject,
            valid_from,
        )
        .awarded_date(self.completed);
        // Cited so that verifiers check it against the schema it was checked against before
        // signing — only when it conforms whole: with a suspension entry too, its two
        // `credentialStatus` entries break the schema's one-entry rule (each is checked alone).
        if suspension.is_none() {
            builder = builder.credential_schema(CredentialSchema::ob_achievement_credential());
        }
        if let Some(name) = def.get("name").and_then(Value::as_str) {
            builder = builder.name(name);
        }
        if self.evidence_url.is_some() || self.evidence_narrative.is_some() {
            let mut evidence = Evidence::new();
            if let Some(url) = &self.evidence_url {
                evidence = evidence.id(url.clone());
            }
            if let Some(narrative) = &self.evidence_narrative {
                evidence = evidence.narrative(narrative.clone());
            }
            builder = builder.evidence(evidence);
        }
        let mut doc = builder.build().map_err(|e| match e {
            model::BuildError::Invalid { violations } => {
                let field = violations
                    .first()
                    .map(|v| v.path.clone())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "credential".into());
                IssueError::Invalid {
                    field,
                    reason: violations
                        .iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            }
            other => IssueError::invalid("credential", other.to_string()),
        })?;
        doc["issuer"] = context.profile.clone();
        doc["credentialSubject"]["achievement"] = def.clone();
        let mut entries = vec![BitstringEntry::new(
            StatusPurpose::Revocation,
            revocation.index,
            &status_list_url(&context.base_url, &revocation.list_id),
        )
        .to_json()];
        if let Some(slot) = suspension {
            entries.push(
                BitstringEntry::new(
                    StatusPurpose::Suspension,
                    slot.index,
                    &status_list_url(&context.base_url, &slot.list_id),
                )
                .to_json(),
            );
        }
        doc["credentialStatus"] = if entries.len() == 1 {
            entries.remove(0)
        } else {
            Value::Array(entries)
        };
        Ok(doc)
    }
}

fn iri(field: &str, value: &str) -> Result<Iri, IssueError> {
    Iri::parse(value).map_err(|e| IssueError::invalid(field, format!("{value:?}: {e}")))
}

fn random_salt() -> Result<String, IssueError> {
    let mut bytes = [0u8; 16];
    secret::fill_random(&mut bytes).map_err(|source| IssueError::Randomness {
        what: "the learner's identity salt",
        source,
    })?;
    Ok(hex::encode(bytes))
}

/// Parses a completion date: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time.
pub fn parse_completion_date(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if text.len() == 10 {
            if let Some(at) = date.and_hms_opt(0, 0, 0) {
                return Ok(at.and_utc().fixed_offset());
            }
        }
    }
    DateTime::parse_from_rfc3339(text)
        .map_err(|_| format!("{text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 date-time"))
}

fn short_text(
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Result<Option<String>, IssueError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max {
        return Err(IssueError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(IssueError::invalid(field, "contains control characters"));
    }
    Ok(Some(value.to_owned()))
}

fn check_email(email: &str) -> Result<(), IssueError> {
    let email = email.trim();
    let field = "email";
    if email.is_empty() {
        return Err(IssueError::invalid(field, "is empty"));
    }
    if email.len() > MAX_EMAIL {
        return Err(IssueError::invalid(
            field,
            format!("longer than {MAX_EMAIL} bytes"),
        ));
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(IssueError::invalid(field, format!("{email:?} has no '@'")));
    };
    let bad_char =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';');
    if local.is_empty()
        || domain.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.chars().any(bad_char)
        || local.contains('@')
    {
        return Err(IssueError::invalid(
            field,
            format!("{email:?} is not an email address"),
        ));
    }
    Ok(())
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
        let key = match config.key.storage {
            KeyStorage::Sealed => {
                let passphrase = passphrase.ok_or_else(|| IssueError::Locked {
                    reason: "the key is sealed: a passphrase is needed".into(),
                })?;
                let active = store
                    .active_key()
                    .await?
                    .ok_or_else(|| IssueError::Locked {
                        reason: "the database holds no active key".into(),
                    })?;
                let sealed = store.sealed_key(&active.id).await?;
                secret::open(&sealed, passphrase).map_err(|e| match e {
                    SecretError::WrongPassphrase => IssueError::Locked {
                        reason: "wrong passphrase".into(),
                    },
                    other => IssueError::Locked {
                        reason: other.to_string(),
                    },
                })?
            }
            KeyStorage::PlainFile => {
                let file = config
                    .key
                    .file
                    .as_deref()
                    .ok_or_else(|| IssueError::Locked {
                        reason: "the config names no key file".into(),
                    })?;
                let path = dir.join(file);
                let bytes = std::fs::read(&path).map_err(|e| IssueError::Locked {
                    reason: format!("cannot read {}: {e}", path.display()),
                })?;
                let jwk = input::parse_json_object(&bytes, &Default::default()).map_err(|e| {
                    IssueError::Locked {
                        reason: format!("{} is not a JSON key: {e}", path.display()),
                    }
                })?;
                KeyPair::from_jwk(&jwk).map_err(|e| IssueError::Locked {
                    reason: format!("{} is not an Ed25519 private JWK: {e}", path.display()),
                })?
            }
        };
        let schemas = crate::schemas::load(dir).map_err(|e| IssueError::Schema {
            reason: e.to_string(),
        })?;
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
            profile,
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

    /// The learner key of `recipient` (see [`learner_key`]).
    pub fn learner_key(&self, recipient: &Recipient) -> String {
        learner_key(&self.learner_secret, &self.did(), recipient)
    }

    /// Before looking learners up: re-keys the rows that still carry the unkeyed key of any of
    /// these (a no-op once no such row remains).
    pub(crate) async fn rekey_before_lookup(
        &self,
        prepared: &[&Prepared],
    ) -> Result<(), IssueError> {
        if !self.legacy_learner_keys.load(Ordering::Relaxed) {
            return Ok(());
        }
        let pairs: Vec<(String, String)> = prepared
            .iter()
            .filter_map(|p| Some((p.legacy_learner_key.clone()?, p.learner_key.clone())))
            .collect();
        self.store.rekey_learners(&pairs).await?;
        if self.store.legacy_learner_keys().await? == 0 {
            self.legacy_learner_keys.store(false, Ordering::Relaxed);
        }
        Ok(())
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

    /// The stored OB 3.0 issuer Profile.
    pub fn profile(&self) -> &Value {
        &self.profile
    }

    fn signing_key(&self) -> Arc<SigningKey> {
        Arc::clone(&read_lock(&self.signing))
    }

    /// What [`Prepared::sign`] needs.
    pub fn signing_context(&self) -> SigningContext {
        SigningContext {
            key: self.signing_key(),
            suspension: self.suspension_enabled(),
            profile: self.profile.clone(),
            base_url: self.base_url(),
            schemas: self.schemas.clone(),
            schema_required: self.schema_required,
        }
    }

    /// Whether credentials get a suspension entry too.
    pub fn suspension_enabled(&self) -> bool {
        read_lock(&self.config).issuance.suspension
    }

    /// The achievement by slug, or by id when `key` is a `urn:uuid:`.
    pub async fn achievement(&self, key: &str) -> Result<Achievement, IssueError> {
        let found = if key.starts_with("urn:uuid:") {
            self.store
                .achievement(&AchievementId::from(key.to_owned()))
                .await?
        } else {
            self.store.achievement_by_slug(key).await?
        };
        found.ok_or_else(|| IssueError::NotFound {
            what: "achievement",
            id: key.to_owned(),
        })
    }

    /// Checks a request against an already found achievement (no database access).
    pub fn check_request(
        &self,
        request: &IssueRequest,
        achievement: &Achievement,
        now: DateTime<Utc>,
    ) -> Result<Prepared, IssueError> {
        let keep_email = read_lock(&self.config).issuance.keep_learner_emails;
        let (recipient, learner_email) = match &request.recipient {
            Recipient::Email(email) => {
                check_email(email)?;
                let normal = normalise_email(email);
                (
                    Recipient::Email(normal.clone()),
                    keep_email.then_some(normal),
                )
            }
            Recipient::Did(value) => {
                let value = value.trim();
                let parsed = did::Did::parse(value)
                    .map_err(|e| IssueError::invalid("did", format!("{value:?}: {e}")))?;
                (Recipient::Did(parsed.as_str().to_owned()), None)
            }
        };
        short_text("name", &request.name, MAX_SHORT_TEXT)?;
        let result = short_text("result", &request.result, MAX_SHORT_TEXT)?;
        let external_id = short_text("external_id", &request.external_id, MAX_SHORT_TEXT)?;
        let evidence_narrative = short_text(
            "evidence_narrative",
            &request.evidence_narrative,
            MAX_NARRATIVE,
        )?;
        let evidence_url = match short_text("evidence_url", &request.evidence_url, 2048)? {
            Some(text) => {
                let parsed = url::Url::parse(&text)
                    .map_err(|e| IssueError::invalid("evidence_url", format!("{text:?}: {e}")))?;
                if !matches!(parsed.scheme(), "https" | "http") {
                    return Err(IssueError::invalid(
                        "evidence_url",
                        format!("{text:?}: expected an http(s) URL"),
                    ));
                }
                Some(iri("evidence_url", &text)?)
            }
            None => None,
        };
        if request.completed.with_timezone(&Utc) > now + chrono::Duration::days(1) {
            return Err(IssueError::invalid(
                "completion_date",
                format!(
                    "{} is in the future",
                    request.completed.to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
            ));
        }
        if let Some(at) = request.claim_expires {
            if at <= now {
                return Err(IssueError::invalid("claim_expires", "is in the past"));
            }
        }
        Ok(Prepared {
            achievement: achievement.clone(),
            learner_key: self.learner_key(&recipient),
            legacy_learner_key: if self.legacy_learner_keys.load(Ordering::Relaxed) {
                legacy_learner_key(&self.did(), &recipient)
            } else {
                None
            },
            external_id,
            learner_email,
            recipient,
            completed: request.completed,
            result,
            evidence_url,
            evidence_narrative,
            claim_expires: request.claim_expires,
        })
    }

    /// Issues one credential (see the module documentation for the steps). Idempotent by
    /// achievement + learner + external id.
    pub async fn issue(&self, request: &IssueRequest, actor: &str) -> Result<Issued, IssueError> {
        self.ensure_schema()?;
        let now = crate::store::now_seconds();
        let achievement = self.achievement(&request.achievement).await?;
        let prepared = self.check_request(request, &achievement, now)?;
        self.rekey_before_lookup(&[&prepared]).await?;
        if let Some(existing) = self
            .store
            .credential_by_key(
                &achievement.id,
                &prepared.learner_key,
                prepared.external_id.as_deref(),
            )
            .await?
        {
            let token = self
                .store
                .create_claim_token(&existing.id, prepared.claim_expires)
                .await?;
            return Ok(Issued {
                credential: existing,
                new: false,
                claim: Some(ClaimLink {
                    url: claim_url(&self.base_url(), token.expose()),
                    expires_at: prepared.claim_expires,
                }),
            });
        }
        let revocation = self
            .store
            .allocate_status_index(ListPurpose::Revocation)
            .await?;
        let suspension = if self.suspension_enabled() {
            Some(
                self.store
                    .allocate_status_index(ListPurpose::Suspension)
                    .await?,
            )
        } else {
            None
        };
        let context = self.signing_context();
        let actor_owned = actor.to_owned();
        // On the signing threads (one per core, with a stack JSON-LD runs on in place).
        let signed = tokio::task::spawn_blocking(move || {
            crate::signing_pool::on_signing_pool(move || {
                prepared.sign(&context, revocation, suspension, now, &actor_owned)
            })
        })
        .await
        .map_err(|e| IssueError::Task {
            reason: e.to_string(),
        })??;
        let committed = self
            .store
            .commit_issued(std::slice::from_ref(&signed.record))
            .await?;
        let first = committed
            .into_iter()
            .next()
            .ok_or_else(|| IssueError::Task {
                reason: "the commit returned no result".into(),
            })?;
        let new = matches!(first.inserted, Inserted::New(_));
        let credential = match first.inserted {
            Inserted::New(c) | Inserted::Existing(c) => c,
        };
        Ok(Issued {
            credential,
            new,
            claim: Some(ClaimLink {
                url: claim_url(&self.base_url(), first.claim.expose()),
                expires_at: signed.record.claim_expires,
            }),
        })
    }

    /// Revokes (for good), suspends or reinstates a credential, with an audit record. Changing
    /// to the current state is not an error (nothing is written but the audit record).
    pub async fn set_status(
        &self,
        id: &CredentialId,
        change: StatusChange,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<IssuedCredential, IssueError> {
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) if r.chars().count() > 1000 => {
                return Err(IssueError::invalid("reason", "longer than 1000 characters"))
            }
            other => other,
        };
        let current = self
            .store
            .credential(id)
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "credential",
                id: id.to_string(),
            })?;
        if change != StatusChange::Revoke && current.revoked_at.is_some() {
            return Err(IssueError::Conflict {
                reason: format!("credential {id} is revoked; revocation is final"),
            });
        }
        let changed = match change {
            StatusChange::Revoke => self.store.revoke(id, reason).await?,
            StatusChange::Suspend => self.store.set_suspended(id, true, reason).await?,
            StatusChange::Unsuspend => self.store.set_suspended(id, false, reason).await?,
        };
        // This process serves the change at once; other instances within their freshness
        // window (see `status_cache`).
        let touched = match change {
            StatusChange::Revoke => current.revocation.as_ref(),
            StatusChange::Suspend | StatusChange::Unsuspend => current.suspension.as_ref(),
        };
        if let Some(slot) = touched {
            self.status_cache.expire(&slot.list_id);
        }
        self.store
            .append_audit(&NewAuditEntry {
                actor: actor.to_owned(),
                action: change.action().into(),
                subject: id.to_string(),
                details: serde_json::json!({ "reason": reason, "changed": changed }),
            })
            .await?;
        self.store
            .credential(id)
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "credential",
                id: id.to_string(),
            })
    }

    /// Makes a new Ed25519 key the signing key, sealed under `passphrase`; the old one is
    /// retired but stays in the DID document so what it signed keeps verifying, and
    /// `issuer.toml` is updated. Refused for a did:key issuer (its DID *is* its key: a new key
    /// would be a new issuer) and for a plain-file key (seal it first: re-run init).
    pub async fn rotate_key(
        &self,
        passphrase: &Passphrase,
        actor: &str,
    ) -> Result<IssuerKey, IssueError> {
        let config = self.config();
        if config.did.starts_with("did:key:") {
            return Err(IssueError::Conflict {
                reason: "this issuer's DID is a did:key, which IS its key: rotating would make a \
                         new issuer that no verifier links to the old one. Credentials already \
                         issued stay valid; to change keys, initialise a did:web issuer"
                    .into(),
            });
        }
        if config.key.storage != KeyStorage::Sealed {
            return Err(IssueError::Conflict {
                reason: "key rotation needs a sealed key (this issuer keeps a plain key file)"
                    .into(),
            });
        }
        let old = self
            .store
            .active_key()
            .await?
            .ok_or_else(|| IssueError::Locked {
                reason: "the database holds no active key".into(),
            })?;
        // The caller must prove they hold the passphrase of the current key.
        let sealed_old = self.store.sealed_key(&old.id).await?;
        secret::open(&sealed_old, passphrase).map_err(|_| IssueError::Locked {
            reason: "wrong passphrase".into(),
        })?;
        let keys = self.store.keys().await?;
        let mut n = keys.len() + 1;
        let fragment = loop {
            let candidate = format!("key-{n}");
            if !keys.iter().any(|k| k.fragment == candidate) {
                break candidate;
            }
            n += 1;
        };
        let pair = secret::generate_key().map_err(|source| IssueError::Randomness {
            what: "a new signing key",
            source,
        })?;
        let sealed = secret::seal(&pair, passphrase, KdfParams::default()).map_err(|e| {
            IssueError::Locked {
                reason: e.to_string(),
            }
        })?;
        // The learner secret must open with the new key before the new key signs (a crash in
        // between leaves a spare copy, never a key without one).
        let wrapped = self
            .learner_secret
            .wrap(&pair)
            .map_err(|e| IssueError::Locked {
                reason: e.to_string(),
            })?;
        self.store
            .add_learner_secret_wrap(&pair.public().to_multikey(), &wrapped)
            .await?;
        let record = self
            .store
            .add_sealed_key(&fragment, pair.public(), &sealed)
            .await?;
        self.store.retire_key(&old.id).await?;
        let verification_method = format!("{}#{fragment}", config.did);
        let mut updated = config.clone();
        updated.key.fragment = fragment.clone();
        updated.key.verification_method = verification_method.clone();
        updated.key.public_multikey = pair.public().to_multikey();
        if let Some(dir) = &self.dir {
            updated.save(dir)?;
        }
        *write_lock(&self.config) = updated;
        *write_lock(&self.signing) = Arc::new(SigningKey {
            pair,
            verification_method: verification_method.clone(),
            fragment: fragment.clone(),
        });
        self.store
            .append_audit(&NewAuditEntry {
                actor: actor.to_owned(),
                action: "key.rotate".into(),
                subject: verification_method,
                details: serde_json::json!({ "retired": format!("{}#{}", config.did, old.fragment) }),
            })
            .await?;
        Ok(record)
    }

    /// The issuer's DID document: for did:web every key, current and retired (retired keys
    /// keep only `assertionMethod`, so credentials they signed still verify); for did:key the
    /// document the DID itself resolves to.
    pub async fn did_document(&self) -> Result<Value, IssueError> {
        let config = self.config();
        let parsed =
            did::Did::parse(&config.did).map_err(|e| IssueError::invalid("did", e.to_string()))?;
        if parsed.method() == "key" {
            return did::resolve_did_key(&parsed)
                .map_err(|e| IssueError::invalid("did", e.to_string()));
        }
        let mut keys: Vec<DocumentKey> = self
            .store
            .keys()
            .await?
            .into_iter()
            .map(|k| DocumentKey {
                fragment: k.fragment,
                public_key: k.public,
                relationships: if k.retired_at.is_some() {
                    vec![Relationship::AssertionMethod]
                } else {
                    Relationship::ALL.to_vec()
                },
            })
            .collect();
        if keys.is_empty() {
            // A plain-file key is not in the database.
            let signing = self.signing_key();
            keys.push(DocumentKey {
                fragment: signing.fragment.clone(),
                public_key: signing.pair.public(),
                relationships: Relationship::ALL.to_vec(),
            });
        }
        did::build_did_document(&parsed, &keys).map_err(|e| IssueError::Signing {
            reason: e.to_string(),
        })
    }

    /// The signed `BitstringStatusListCredential` for `list_id` with the current bits, as of
    /// this call (the database's revision of the list is read). Signed again only when the bits
    /// (or the signing key) changed; `now` is the `validFrom` of a newly signed list. A copy of
    /// the cached list: [`Issuer::serve_status_list`] shares it instead.
    pub async fn status_list_credential(
        &self,
        list_id: &StatusListId,
        now: DateTime<Utc>,
    ) -> Result<SignedStatusList, IssueError> {
        let served = self.serve_status_list(list_id, now, Duration::ZERO).await?;
        Ok(SignedStatusList::clone(&served.list))
    }

    /// How many status lists this process holds signed in memory (never more than the
    /// database has lists).
    pub fn cached_status_lists(&self) -> usize {
        self.status_cache.len()
    }

    /// [`Issuer::status_list_credential`] for serving: a list whose revision the database
    /// confirmed less than `window` ago is answered from memory without asking it again (the
    /// answer's `age` says how long ago; see [`crate::status_cache`] for why a caller that
    /// advertises `max-age` should pass at most a fraction of it and subtract the age).
    pub async fn serve_status_list(
        &self,
        list_id: &StatusListId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<ServedStatusList, IssueError> {
        let key = self.signing_key();
        let known = self.status_cache.get(list_id);
        if let Some(served) = known
            .as_ref()
            .and_then(|cache| cache.fresh(&key.verification_method, window))
        {
            return Ok(served);
        }
        let not_found = || IssueError::NotFound {
            what: "status list",
            id: list_id.to_string(),
        };
        let observed = known.as_ref().map(|cache| cache.observe());
        let revision = self
            .store
            .status_list_revision(list_id)
            .await?
            .ok_or_else(not_found)?;
        // Only lists the database knows get a cache: made-up ids cannot grow it.
        let cache = known.unwrap_or_else(|| self.status_cache.list(list_id));
        if let Some(list) = observed
            .and_then(|observed| cache.confirm(revision, &key.verification_method, observed))
        {
            return Ok(ServedStatusList {
                list,
                age: Duration::ZERO,
            });
        }
        // Single flight: one task per list rebuilds; the others wait here and then find the
        // list current (one more revision read each, no bits, no signing).
        let _rebuilding = cache.rebuilding().await;
        let observed = cache.observe();
        let revision = self
            .store
            .status_list_revision(list_id)
            .await?
            .ok_or_else(not_found)?;
        if let Some(list) = cache.confirm(revision, &key.verification_method, observed) {
            return Ok(ServedStatusList {
                list,
                age: Duration::ZERO,
            });
        }
        // The revision was read first, so these bits are at least that new.
        let info = self
            .store
            .status_list(list_id)
            .await?
            .ok_or_else(not_found)?;
        let bits = self.store.status_list_bits_of(&info).await?;
        let etag = status_cache::entity_tag(list_id, &key.verification_method, &bits);
        let list = match cache.with_etag(&etag) {
            // A change that changed nothing visible (suspended and reinstated meanwhile).
            Some(unchanged) => unchanged,
            None => {
                let purpose: StatusPurpose = info.purpose.into();
                let url = status_list_url(&self.base_url(), list_id);
                let unsigned =
                    core_status::status_list_credential(&url, &self.did(), &purpose, &bits, now);
                let created = now.to_rfc3339_opts(SecondsFormat::Secs, true);
                let signing = Arc::clone(&key);
                let signed = tokio::task::spawn_blocking(move || {
                    let options = proof::ProofOptions::assertion(
                        proof::Cryptosuite::EddsaRdfc2022,
                        signing.verification_method.clone(),
                        created,
                    );
                    proof::sign(&unsigned, &signing.pair, &options).map(|signed| {
                        // Serialized here, off the async workers, once for every answer.
                        SignedStatusList::new(signed, etag, signing.verification_method.clone())
                    })
                })
                .await
                .map_err(|e| IssueError::Task {
                    reason: e.to_string(),
                })?
                .map_err(|e| IssueError::Signing {
                    reason: e.to_string(),
                })?;
                Arc::new(signed)
            }
        };
        cache.install(revision, Arc::clone(&list), observed);
        Ok(ServedStatusList {
            list,
            age: Duration::ZERO,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_list_urls_round_trip() {
        let id = StatusListId::from("urn:uuid:6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f".to_owned());
        let url = status_list_url("https://learn.example/", &id);
        assert_eq!(
            url,
            "https://learn.example/status/6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f"
        );
        let tail = url.rsplit('/').next().unwrap();
        assert_eq!(status_list_id_from_path(tail), Some(id));
        assert_eq!(status_list_id_from_path("../etc"), None);
    }

    #[test]
    fn learner_keys_are_stable_and_normalised_but_not_the_email() {
        let secret = LearnerSecret::from_bytes([3u8; 32]);
        let email = |e: &str| Recipient::Email(e.into());
        let a = learner_key(&secret, "did:web:x", &email(" Ada@Example.org "));
        let b = learner_key(&secret, "did:web:x", &email("ada@example.org"));
        assert_eq!(a, b);
        assert!(a.starts_with("email-hmac:") && !a.contains("ada"));
        assert_ne!(
            a,
            learner_key(&secret, "did:web:y", &email("ada@example.org"))
        );
        // Keyed: anyone can compute the old unkeyed value from an address, not this one.
        let other = LearnerSecret::from_bytes([4u8; 32]);
        assert_ne!(
            a,
            learner_key(&other, "did:web:x", &email("ada@example.org"))
        );
        assert_ne!(
            Some(a),
            legacy_learner_key("did:web:x", &email("ada@example.org"))
        );
        assert_eq!(
            learner_key(&secret, "did:web:x", &Recipient::Did("did:key:z6Mk".into())),
            "did:key:z6Mk"
        );
    }

    #[test]
    fn completion_dates() {
        assert_eq!(
            parse_completion_date("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert!(parse_completion_date("2026-03-01T10:00:00+02:00").is_ok());
        for bad in [
            "",
            "2026-13-01",
            "01/03/2026",
            "2026-03-01 10:00",
            "2026-3-1",
        ] {
            assert!(parse_completion_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(check_email("ada@example.org").is_ok());
        for bad in [
            "",
            "ada",
            "@example.org",
            "ada@",
            "ada@localhost",
            "a b@example.org",
            "a@b@example.org",
        ] {
            let Err(IssueError::Invalid { field, .. }) = check_email(bad) else {
                panic!("{bad:?} accepted")
            };
            assert_eq!(field, "email");
        }
    }
}
