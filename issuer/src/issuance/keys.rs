//! The signing key: unlocking it ([`unlock_key`]), the learner-key secret kept wrapped under it,
//! rotation ([`Issuer::rotate_key`]) and the DID document that publishes every key
//! ([`Issuer::did_document`]).

use std::path::Path;
use std::sync::Arc;

use passerelle_core::did::{self, DocumentKey, Relationship};
use passerelle_core::input;
use passerelle_core::keys::KeyPair;
use serde_json::Value;

use crate::config::{IssuerConfig, KeyStorage};
use crate::secret::{self, KdfParams, LearnerSecret, Passphrase, SecretError};
use crate::store::{IssuerKey, NewAuditEntry, Store};

use super::error::IssueError;
use super::{write_lock, Issuer};

/// The unlocked signing key and how credentials name it.
pub(super) struct SigningKey {
    pub(super) pair: KeyPair,
    pub(super) verification_method: String,
    pub(super) fragment: String,
}

/// The issuer's learner secret: the copy wrapped for `key`, or a new one (recorded wrapped for
/// `key`) when the issuer has none yet. Refuses when copies exist but none opens with `key`:
/// a new secret would silently change every learner key.
pub(super) async fn learner_secret_for(
    store: &Store,
    key: &KeyPair,
) -> Result<LearnerSecret, IssueError> {
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

/// The active signing key of the issuer in `dir`: the sealed key in the database opened with
/// `passphrase`, or the plain key file `issuer.toml` names.
pub(super) async fn unlock_key(
    dir: &Path,
    config: &IssuerConfig,
    store: &Store,
    passphrase: Option<&Passphrase>,
) -> Result<KeyPair, IssueError> {
    Ok(match config.key.storage {
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
    })
}

impl Issuer {
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
        let misconfigured = |source| IssueError::MisconfiguredDid {
            did: config.did.clone(),
            source,
        };
        let parsed = did::Did::parse(&config.did).map_err(misconfigured)?;
        if parsed.method() == "key" {
            return did::resolve_did_key(&parsed).map_err(misconfigured);
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
        did::build_did_document(&parsed, &keys).map_err(misconfigured)
    }
}
