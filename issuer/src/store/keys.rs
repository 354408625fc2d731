//! The issuer profile and its keys (private keys sealed under the passphrase).

use chrono::{DateTime, Utc};
use passerelle_core::keys::{KeyPair, PublicKey};
use serde_json::Value;

use super::ids::KeyId;
use super::{now, parse_json, Store, StoreError};
use crate::secret::{self, KdfParams, Passphrase};

impl Store {
    /// Creates or replaces the (single) issuer profile.
    pub async fn set_issuer_profile(&self, profile: &NewIssuerProfile) -> Result<(), StoreError> {
        let at = now();
        let json = profile.profile.to_string();
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO issuer_profile (id, name, url, did, profile, created_at, updated_at) \
                 VALUES (1, $1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url, \
                 did = excluded.did, profile = excluded.profile, updated_at = excluded.updated_at",
            )
            .bind(&profile.name)
            .bind(&profile.url)
            .bind(&profile.did)
            .bind(&json)
            .bind(at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The issuer profile, if `init` has run.
    pub async fn issuer_profile(&self) -> Result<Option<IssuerProfile>, StoreError> {
        let row: Option<ProfileRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT name, url, did, profile, created_at, updated_at FROM issuer_profile WHERE id = 1",
            )
            .fetch_optional(p)
            .await?
        });
        row.map(ProfileRow::into_profile).transpose()
    }

    /// Stores a new signing key, sealed under `passphrase`. `fragment` is the verification
    /// method's fragment (`#key-1`, without `#`). Argon2id runs off the async workers.
    pub async fn add_key(
        &self,
        fragment: &str,
        key: &KeyPair,
        passphrase: Passphrase,
        params: KdfParams,
    ) -> Result<IssuerKey, StoreError> {
        let public = key.public();
        let seed_key = key.clone();
        let sealed =
            tokio::task::spawn_blocking(move || secret::seal(&seed_key, &passphrase, params))
                .await
                .map_err(|e| StoreError::Corrupt {
                    what: "key sealing task",
                    reason: e.to_string(),
                })??;
        self.add_sealed_key(fragment, public, &sealed).await
    }

    /// Every key, current and retired, oldest first (a did:web document lists them all).
    pub async fn keys(&self) -> Result<Vec<IssuerKey>, StoreError> {
        let rows: Vec<KeyRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, fragment, public_multikey, created_at, retired_at FROM issuer_keys \
                 ORDER BY created_at, id",
            )
            .fetch_all(p)
            .await?
        });
        rows.into_iter().map(KeyRow::into_key).collect()
    }

    /// The newest key that is not retired: the one that signs.
    pub async fn active_key(&self) -> Result<Option<IssuerKey>, StoreError> {
        Ok(self
            .keys()
            .await?
            .into_iter()
            .rev()
            .find(|k| k.retired_at.is_none()))
    }

    /// Decrypts a key's private part. A wrong passphrase gives
    /// `StoreError::Secret(SecretError::WrongPassphrase)`.
    pub async fn unlock_key(
        &self,
        id: &KeyId,
        passphrase: Passphrase,
    ) -> Result<KeyPair, StoreError> {
        let sealed: Option<Vec<u8>> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT sealed_private FROM issuer_keys WHERE id = $1")
                .bind(&id.0)
                .fetch_optional(p)
                .await?
        });
        let sealed = sealed.ok_or_else(|| StoreError::NotFound {
            what: "issuer key",
            id: id.0.clone(),
        })?;
        let pair = tokio::task::spawn_blocking(move || secret::open(&sealed, &passphrase))
            .await
            .map_err(|e| StoreError::Corrupt {
                what: "key opening task",
                reason: e.to_string(),
            })??;
        Ok(pair)
    }

    /// Marks a key retired (it stops signing but stays published). Returns false if it already was.
    pub async fn retire_key(&self, id: &KeyId) -> Result<bool, StoreError> {
        let at = now();
        let done = on_pool!(self, p => {
            sqlx::query("UPDATE issuer_keys SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL")
                .bind(at)
                .bind(&id.0)
                .execute(p)
                .await?
                .rows_affected()
        });
        if done == 0 && !self.keys().await?.iter().any(|k| k.id == *id) {
            return Err(StoreError::NotFound {
                what: "issuer key",
                id: id.0.clone(),
            });
        }
        Ok(done == 1)
    }
}

/// What [`Store::set_issuer_profile`] writes.
#[derive(Debug, Clone)]
pub struct NewIssuerProfile {
    pub name: String,
    pub url: String,
    pub did: String,
    /// The OB 3.0 Profile JSON served publicly.
    pub profile: Value,
}

/// The stored issuer profile.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerProfile {
    pub name: String,
    pub url: String,
    pub did: String,
    pub profile: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An issuer key's public record (the private part stays sealed in the database).
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerKey {
    pub id: KeyId,
    pub fragment: String,
    pub public: PublicKey,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    name: String,
    url: String,
    did: String,
    profile: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ProfileRow {
    fn into_profile(self) -> Result<IssuerProfile, StoreError> {
        Ok(IssuerProfile {
            profile: parse_json("issuer profile", &self.profile)?,
            name: self.name,
            url: self.url,
            did: self.did,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    fragment: String,
    public_multikey: String,
    created_at: DateTime<Utc>,
    retired_at: Option<DateTime<Utc>>,
}

impl KeyRow {
    fn into_key(self) -> Result<IssuerKey, StoreError> {
        let public =
            PublicKey::from_multikey(&self.public_multikey).map_err(|e| StoreError::Corrupt {
                what: "issuer public key",
                reason: e.to_string(),
            })?;
        Ok(IssuerKey {
            id: KeyId(self.id),
            fragment: self.fragment,
            public,
            created_at: self.created_at,
            retired_at: self.retired_at,
        })
    }
}
