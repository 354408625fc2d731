//! API tokens and claim tokens: random secrets of which only a SHA-256 hash is stored.
//!
//! A token is 32 random bytes, hex-encoded behind a kind prefix (`pat_` for API tokens, `clm_`
//! for claim links). The database keeps its SHA-256 (plus, for API tokens, the first characters
//! for display), so a leaked database does not give working tokens; a token of 256 random bits
//! needs no slow hash.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{new_urn, now, CredentialId, CredentialRow, IssuedCredential, Store, StoreError};

const API_PREFIX: &str = "pat_";
pub(crate) const CLAIM_PREFIX: &str = "clm_";
/// Characters of an API token kept for display (`pat_` and 8 hex digits).
const DISPLAY_LEN: usize = 12;

/// A freshly made token, shown once to its owner. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    pub(crate) fn generate(prefix: &str) -> Result<Self, StoreError> {
        let mut bytes = [0u8; 32];
        crate::secret::fill_random(&mut bytes)?;
        Ok(Self(format!("{prefix}{}", hex::encode(bytes))))
    }

    /// The token text, to hand to its owner.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The stored form of a claim token.
pub(crate) fn claim_hash(token: &str) -> Vec<u8> {
    hash(token)
}

/// A claim link's record (never the token itself).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClaimLinkRecord {
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API token's record (never the token itself).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The token's first characters, to tell tokens apart in listings.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_SELECT: &str = "SELECT id, name, prefix, created_at, revoked_at FROM api_tokens";

impl Store {
    /// Makes an API token named `name`; the secret is returned once and only its hash kept.
    pub async fn create_api_token(
        &self,
        name: &str,
    ) -> Result<(ApiToken, SecretToken), StoreError> {
        let secret = SecretToken::generate(API_PREFIX)?;
        let record = ApiToken {
            id: new_urn(),
            name: name.to_owned(),
            prefix: secret.0[..DISPLAY_LEN].to_owned(),
            created_at: now(),
            revoked_at: None,
        };
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO api_tokens (id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&record.id)
            .bind(&record.name)
            .bind(&record.prefix)
            .bind(hash(&secret.0))
            .bind(record.created_at)
            .execute(p)
            .await
            .map_err(super::unique("API token"))?;
        });
        Ok((record, secret))
    }

    /// The live (not revoked) token matching a presented bearer token.
    pub async fn authenticate_api_token(
        &self,
        presented: &str,
    ) -> Result<Option<ApiToken>, StoreError> {
        let sql = format!("{TOKEN_SELECT} WHERE hash = $1 AND revoked_at IS NULL");
        let digest = hash(presented);
        Ok(on_pool!(self, p => {
            sqlx::query_as(&sql).bind(&digest).fetch_optional(p).await?
        }))
    }

    /// Revokes an API token; false if it already was.
    pub async fn revoke_api_token(&self, id: &str) -> Result<bool, StoreError> {
        let at = now();
        let n = on_pool!(self, p => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(id)
                .execute(p)
                .await?
                .rows_affected()
        });
        if n == 0 && !self.api_tokens().await?.iter().any(|t| t.id == id) {
            return Err(StoreError::NotFound {
                what: "API token",
                id: id.to_owned(),
            });
        }
        Ok(n == 1)
    }

    /// Every API token record, oldest first.
    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!("{TOKEN_SELECT} ORDER BY created_at, id");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// Makes a claim token for one credential, optionally expiring.
    pub async fn create_claim_token(
        &self,
        credential: &CredentialId,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<SecretToken, StoreError> {
        let secret = SecretToken::generate(CLAIM_PREFIX)?;
        let result = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO claim_tokens (hash, credential_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(hash(&secret.0))
            .bind(credential.as_str())
            .bind(now())
            .bind(expires_at)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        });
        match result {
            Ok(_) => Ok(secret),
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                Err(StoreError::NotFound {
                    what: "credential",
                    id: credential.to_string(),
                })
            }
            Err(e) => Err(super::unique("claim token")(e)),
        }
    }

    /// Makes a fresh claim token (with its credential offer) for one credential and deletes its
    /// earlier ones and their offers (in one transaction): the links handed out before stop
    /// working.
    pub async fn replace_claim_tokens(
        &self,
        credential: &CredentialId,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<SecretToken, StoreError> {
        let secrets = self
            .create_claim_with_offer(credential, expires_at, None, true)
            .await?;
        Ok(secrets.claim)
    }

    /// The claim links of a credential (their dates, never the tokens), oldest first.
    pub async fn claim_links(
        &self,
        credential: &CredentialId,
    ) -> Result<Vec<ClaimLinkRecord>, StoreError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as(
                "SELECT created_at, expires_at FROM claim_tokens WHERE credential_id = $1 \
                 ORDER BY created_at",
            )
            .bind(credential.as_str())
            .fetch_all(p)
            .await?
        }))
    }

    /// The credential a claim token points to: `Ok(None)` for an unknown token,
    /// [`StoreError::ClaimExpired`] once it has expired (at `now`).
    pub async fn redeem_claim_token(
        &self,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IssuedCredential>, StoreError> {
        let digest = hash(presented);
        let found: Option<(String, Option<DateTime<Utc>>)> = on_pool!(self, p => {
            sqlx::query_as("SELECT credential_id, expires_at FROM claim_tokens WHERE hash = $1")
                .bind(&digest)
                .fetch_optional(p)
                .await?
        });
        let Some((credential_id, expires_at)) = found else {
            return Ok(None);
        };
        if let Some(expired_at) = expires_at.filter(|at| *at <= now) {
            return Err(StoreError::ClaimExpired { expired_at });
        }
        let sql = format!("{} WHERE id = $1", super::CREDENTIAL_SELECT);
        let row: Option<CredentialRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(&credential_id).fetch_optional(p).await?
        });
        Ok(row.map(CredentialRow::into_credential))
    }
}
