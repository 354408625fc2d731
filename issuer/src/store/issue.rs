//! Writes for the issuance engine: a batch of signed credentials committed in ONE transaction
//! together with their claim tokens and audit records, and key records sealed by the caller.
//!
//! Committing a batch atomically is what makes bulk issuance crash-safe: a run killed at any
//! point has either committed a whole batch (its credentials, claim tokens and audit records) or
//! none of it, and the unique key (achievement, learner, external id) makes the re-run skip what
//! was committed.

use chrono::{DateTime, Utc};
use passerelle_core::keys::PublicKey;

use super::oid4vci::{ClaimSecrets, TxCodeCheck, OFFER_PREFIX};
use super::tokens::{claim_hash, SecretToken, CLAIM_PREFIX};
use super::{
    new_urn, now, unique, CredentialRow, IssuedCredential, IssuerKey, KeyId, NewAuditEntry,
    NewCredential, Store, StoreError, CREDENTIAL_SELECT,
};
use crate::store::Inserted;

/// One credential to commit: the row, when its claim link expires, and its audit record.
#[derive(Debug, Clone)]
pub struct IssueRecord {
    pub credential: NewCredential,
    pub claim_expires: Option<DateTime<Utc>>,
    /// Written only if the credential is new.
    pub audit: NewAuditEntry,
    /// The transaction code the credential offer made with the claim link needs, if any.
    pub tx_code: Option<TxCodeCheck>,
}

/// What [`Store::commit_issued`] did for one record.
#[derive(Debug, Clone)]
pub struct Committed {
    /// New, or the credential issued earlier for the same key (then nothing was written for it
    /// except a fresh claim token).
    pub inserted: Inserted,
    /// A claim token for the stored credential (shown once).
    pub claim: SecretToken,
    /// The OpenID4VCI credential offer reference made with the claim token (shown once).
    pub offer: SecretToken,
}

impl Store {
    /// Commits `records` in one transaction: each credential (skipped if one exists for the
    /// same achievement + learner + external id), a claim token for the stored credential, and
    /// an audit record for each new one. Nothing is visible before the commit; on error nothing
    /// is written.
    pub async fn commit_issued(
        &self,
        records: &[IssueRecord],
    ) -> Result<Vec<Committed>, StoreError> {
        let select = format!(
            "{CREDENTIAL_SELECT} WHERE achievement_id = $1 AND learner_key = $2 AND external_id = $3"
        );
        let mut tokens = Vec::with_capacity(records.len());
        for _ in records {
            tokens.push(ClaimSecrets {
                claim: SecretToken::generate(CLAIM_PREFIX)?,
                offer: SecretToken::generate(OFFER_PREFIX)?,
            });
        }
        let at = now();
        let out = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut out = Vec::with_capacity(records.len());
            for (record, token) in records.iter().zip(tokens) {
                let new = &record.credential;
                let external = new.external_id.as_deref().unwrap_or("");
                let inserted = insert_credential_query!(new)
                    .execute(&mut *tx)
                .await
                .map_err(unique("credential (id or status entry)"))?
                .rows_affected();
                let row: Option<CredentialRow> = sqlx::query_as(&select)
                    .bind(new.achievement_id.as_str())
                    .bind(&new.learner_key)
                    .bind(external)
                    .fetch_optional(&mut *tx)
                    .await?;
                let stored = row
                    .ok_or_else(|| StoreError::NotFound {
                        what: "credential just written",
                        id: new.id.to_string(),
                    })?
                    .into_credential();
                sqlx::query(
                    "INSERT INTO claim_tokens (hash, credential_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(claim_hash(token.claim.expose()))
                .bind(stored.id.as_str())
                .bind(at)
                .bind(record.claim_expires)
                .execute(&mut *tx)
                .await
                .map_err(unique("claim token"))?;
                let (salt, mac) = match &record.tx_code {
                    Some(t) => (Some(t.salt.as_slice()), Some(t.mac.as_slice())),
                    None => (None, None),
                };
                insert_offer_query!(&token, &stored.id, salt, mac, at, record.claim_expires)
                    .execute(&mut *tx)
                    .await
                    .map_err(unique("credential offer"))?;
                if inserted == 1 {
                    let details = record.audit.details.to_string();
                    sqlx::query(
                        "INSERT INTO audit_log (at, actor, action, subject, details) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(at)
                    .bind(&record.audit.actor)
                    .bind(&record.audit.action)
                    .bind(&record.audit.subject)
                    .bind(&details)
                    .execute(&mut *tx)
                    .await?;
                }
                out.push(Committed {
                    inserted: if inserted == 1 {
                        Inserted::New(stored)
                    } else {
                        Inserted::Existing(stored)
                    },
                    claim: token.claim,
                    offer: token.offer,
                });
            }
            tx.commit().await?;
            out
        });
        Ok(out)
    }

    /// The credentials already issued for `achievement` among these learner/external-id keys
    /// (one query per key, in one read; used by bulk runs to skip finished rows).
    pub async fn existing_credentials(
        &self,
        achievement: &super::AchievementId,
        keys: &[(String, Option<String>)],
    ) -> Result<Vec<Option<IssuedCredential>>, StoreError> {
        let select = format!(
            "{CREDENTIAL_SELECT} WHERE achievement_id = $1 AND learner_key = $2 AND external_id = $3"
        );
        let out = on_pool!(self, p => {
            let mut conn = p.acquire().await?;
            let mut out = Vec::with_capacity(keys.len());
            for (learner, external) in keys {
                let row: Option<CredentialRow> = sqlx::query_as(&select)
                    .bind(achievement.as_str())
                    .bind(learner)
                    .bind(external.as_deref().unwrap_or(""))
                    .fetch_optional(&mut *conn)
                    .await?;
                out.push(row.map(CredentialRow::into_credential));
            }
            out
        });
        Ok(out)
    }

    /// The sealed private part of a key (to open with [`crate::secret::open`]).
    pub async fn sealed_key(&self, id: &KeyId) -> Result<Vec<u8>, StoreError> {
        let sealed: Option<Vec<u8>> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT sealed_private FROM issuer_keys WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(p)
                .await?
        });
        sealed.ok_or_else(|| StoreError::NotFound {
            what: "issuer key",
            id: id.to_string(),
        })
    }

    /// Stores a key already sealed by the caller ([`crate::secret::seal`]).
    pub async fn add_sealed_key(
        &self,
        fragment: &str,
        public: PublicKey,
        sealed: &[u8],
    ) -> Result<IssuerKey, StoreError> {
        let record = IssuerKey {
            id: KeyId::from(new_urn()),
            fragment: fragment.to_owned(),
            public,
            created_at: now(),
            retired_at: None,
        };
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO issuer_keys (id, fragment, public_multikey, sealed_private, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(record.id.as_str())
            .bind(&record.fragment)
            .bind(record.public.to_multikey())
            .bind(sealed)
            .bind(record.created_at)
            .execute(p)
            .await
            .map_err(unique("issuer key (fragment or public key)"))?;
        });
        Ok(record)
    }
}
