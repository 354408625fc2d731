//! Issued credentials: idempotent insertion by achievement + learner + external id, and reads.

use chrono::{DateTime, Utc};

use super::ids::{AchievementId, CredentialId};
use super::unique;
use super::StoreError;
use super::{StatusSlot, Store};

impl Store {
    /// Records a signed credential. If one already exists for the same achievement, learner and
    /// external id, nothing is written and that one is returned as [`Inserted::Existing`]: a
    /// re-run of the same bulk job issues nothing twice, also when two runs race. (The status
    /// slots allocated for a credential that turns out to exist stay allocated, unused: indices
    /// are never reused. Callers check [`Store::credential_by_key`] first to avoid signing and
    /// allocating in vain.) The slots must come from [`Store::allocate_status_index`] with the
    /// matching purpose; the database checks that they exist and are held by no other credential.
    pub async fn insert_credential(&self, new: &NewCredential) -> Result<Inserted, StoreError> {
        let inserted = on_pool!(self, p => {
            insert_credential_query!(new)
                .execute(p)
            .await
            .map_err(unique("credential (id or status entry)"))?
            .rows_affected()
        });
        let stored = self
            .credential_by_key(
                &new.achievement_id,
                &new.learner_key,
                new.external_id.as_deref(),
            )
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "credential just written",
                id: new.id.0.clone(),
            })?;
        Ok(if inserted == 1 {
            Inserted::New(stored)
        } else {
            Inserted::Existing(stored)
        })
    }

    /// A credential by id.
    pub async fn credential(
        &self,
        id: &CredentialId,
    ) -> Result<Option<IssuedCredential>, StoreError> {
        let sql = format!("{CREDENTIAL_SELECT} WHERE id = $1");
        let row: Option<CredentialRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(&id.0).fetch_optional(p).await?
        });
        Ok(row.map(CredentialRow::into_credential))
    }

    /// The credential issued for this achievement, learner and external id, if any.
    pub async fn credential_by_key(
        &self,
        achievement: &AchievementId,
        learner_key: &str,
        external_id: Option<&str>,
    ) -> Result<Option<IssuedCredential>, StoreError> {
        let sql = format!(
            "{CREDENTIAL_SELECT} WHERE achievement_id = $1 AND learner_key = $2 AND external_id = $3"
        );
        let row: Option<CredentialRow> = on_pool!(self, p => {
            sqlx::query_as(&sql)
                .bind(&achievement.0)
                .bind(learner_key)
                .bind(external_id.unwrap_or(""))
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(CredentialRow::into_credential))
    }

    /// Number of credentials issued for an achievement.
    pub async fn count_credentials(&self, achievement: &AchievementId) -> Result<i64, StoreError> {
        Ok(on_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM credentials WHERE achievement_id = $1")
                .bind(&achievement.0)
                .fetch_one(p)
                .await?
        }))
    }
}

/// What [`Store::insert_credential`] writes.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub id: CredentialId,
    pub achievement_id: AchievementId,
    /// The learner's DID, or the salted hash of their email (never the email itself).
    pub learner_key: String,
    /// The provider's own id for the completion (e.g. a CSV row id), if any.
    pub external_id: Option<String>,
    /// The learner's email, only when the issuer is configured to keep it (to deliver claim
    /// links); `None` otherwise. Never part of the credential.
    pub learner_email: Option<String>,
    pub revocation: Option<StatusSlot>,
    pub suspension: Option<StatusSlot>,
    /// The signed credential, exactly as signed (JSON text, or a compact JWS).
    pub credential: String,
    pub issued_at: DateTime<Utc>,
}

/// A stored credential and its status.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCredential {
    pub id: CredentialId,
    pub achievement_id: AchievementId,
    pub learner_key: String,
    pub external_id: Option<String>,
    /// Only when the issuer keeps learners' emails (see [`NewCredential::learner_email`]).
    pub learner_email: Option<String>,
    pub revocation: Option<StatusSlot>,
    pub suspension: Option<StatusSlot>,
    pub credential: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
    pub suspended: bool,
    pub suspension_reason: Option<String>,
}

/// The outcome of [`Store::insert_credential`].
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// Written now.
    New(IssuedCredential),
    /// Already issued earlier for the same achievement, learner and external id; unchanged.
    Existing(IssuedCredential),
}

impl Inserted {
    pub fn credential(&self) -> &IssuedCredential {
        match self {
            Self::New(c) | Self::Existing(c) => c,
        }
    }
}

pub(super) const CREDENTIAL_SELECT: &str = "SELECT id, achievement_id, learner_key, external_id, \
    learner_email, revocation_list_id, revocation_index, suspension_list_id, suspension_index, credential, \
    issued_at, revoked_at, revocation_reason, suspended, suspension_reason FROM credentials";

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialRow {
    id: String,
    achievement_id: String,
    learner_key: String,
    external_id: String,
    learner_email: Option<String>,
    revocation_list_id: Option<String>,
    revocation_index: Option<i64>,
    suspension_list_id: Option<String>,
    suspension_index: Option<i64>,
    credential: String,
    issued_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    revocation_reason: Option<String>,
    suspended: bool,
    suspension_reason: Option<String>,
}

impl CredentialRow {
    pub(crate) fn into_credential(self) -> IssuedCredential {
        let slot = |list: Option<String>, index: Option<i64>| match (list, index) {
            (Some(list), Some(index)) => StatusSlot::from_columns(list, index),
            _ => None,
        };
        IssuedCredential {
            id: CredentialId(self.id),
            achievement_id: AchievementId(self.achievement_id),
            learner_key: self.learner_key,
            external_id: (!self.external_id.is_empty()).then_some(self.external_id),
            learner_email: self.learner_email,
            revocation: slot(self.revocation_list_id, self.revocation_index),
            suspension: slot(self.suspension_list_id, self.suspension_index),
            credential: self.credential,
            issued_at: self.issued_at,
            revoked_at: self.revoked_at,
            revocation_reason: self.revocation_reason,
            suspended: self.suspended,
            suspension_reason: self.suspension_reason,
        }
    }
}
