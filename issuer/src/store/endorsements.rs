//! Endorsements this issuer signed as an endorser: one row each, with its revocation slot.
//!
//! Not `credentials` rows: an endorsement has no learner and no achievement of this issuer, so
//! it stays out of learner lookups, counts and statistics. Its slot is allocated from the same
//! revocation lists ([`Store::allocate_status_index`]), so the published list carries its bit.

use chrono::{DateTime, Utc};

use super::ids::CredentialId;
use super::{now, unique, StatusSlot, Store, StoreError};

impl Store {
    /// Records a signed endorsement. The slot must come from [`Store::allocate_status_index`]
    /// for revocation; the database checks it exists and is held by no other endorsement.
    pub async fn insert_endorsement(&self, new: &NewEndorsement) -> Result<(), StoreError> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO endorsements (id, subject_id, revocation_list_id, revocation_index, \
                 credential, issued_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new.id.as_str())
            .bind(&new.subject_id)
            .bind(new.revocation.list_id.as_str())
            .bind(new.revocation.index_i64())
            .bind(&new.credential)
            .bind(new.issued_at)
            .execute(p)
            .await
            .map_err(unique("endorsement (id or status entry)"))?;
        });
        Ok(())
    }

    /// An endorsement by id.
    pub async fn endorsement(
        &self,
        id: &CredentialId,
    ) -> Result<Option<IssuedEndorsement>, StoreError> {
        let sql = format!("{SELECT} WHERE id = $1");
        let row: Option<EndorsementRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(p).await?
        });
        row.map(EndorsementRow::into_endorsement).transpose()
    }

    /// Every endorsement signed here, newest first.
    pub async fn endorsements(&self) -> Result<Vec<IssuedEndorsement>, StoreError> {
        let sql = format!("{SELECT} ORDER BY issued_at DESC, id DESC");
        let rows: Vec<EndorsementRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).fetch_all(p).await?
        });
        rows.into_iter()
            .map(EndorsementRow::into_endorsement)
            .collect()
    }

    /// Revokes an endorsement for good: its row, its status entry's bit and its list's revision
    /// in one transaction (as [`Store::revoke`] does for credentials). Returns false if it was
    /// already revoked; [`StoreError::NotFound`] if there is no such endorsement.
    pub async fn revoke_endorsement(
        &self,
        id: &CredentialId,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let at = now();
        // The first statement is a write, so an SQLite transaction takes the write lock at once.
        let changed = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE endorsements SET revoked_at = $1, revocation_reason = $2 \
                 WHERE id = $3 AND revoked_at IS NULL",
            )
            .bind(at)
            .bind(reason)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query(
                    "UPDATE status_entries SET status = 1 \
                     WHERE list_id = (SELECT revocation_list_id FROM endorsements WHERE id = $1) \
                     AND idx = (SELECT revocation_index FROM endorsements WHERE id = $1)",
                )
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE status_lists SET revision = revision + 1 \
                     WHERE id = (SELECT revocation_list_id FROM endorsements WHERE id = $1)",
                )
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            n == 1
        });
        if !changed && self.endorsement(id).await?.is_none() {
            return Err(StoreError::NotFound {
                what: "endorsement",
                id: id.to_string(),
            });
        }
        Ok(changed)
    }
}

const SELECT: &str = "SELECT id, subject_id, revocation_list_id, revocation_index, credential, \
                      issued_at, revoked_at, revocation_reason FROM endorsements";

/// What [`Store::insert_endorsement`] writes.
#[derive(Debug, Clone)]
pub struct NewEndorsement {
    /// The endorsement credential's id (`urn:uuid:…`).
    pub id: CredentialId,
    /// The endorsed profile's or achievement's id.
    pub subject_id: String,
    pub revocation: StatusSlot,
    /// The signed endorsement, exactly as signed (JSON text).
    pub credential: String,
    pub issued_at: DateTime<Utc>,
}

/// A stored endorsement and its status.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedEndorsement {
    pub id: CredentialId,
    pub subject_id: String,
    pub revocation: StatusSlot,
    pub credential: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct EndorsementRow {
    id: String,
    subject_id: String,
    revocation_list_id: String,
    revocation_index: i64,
    credential: String,
    issued_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    revocation_reason: Option<String>,
}

impl EndorsementRow {
    fn into_endorsement(self) -> Result<IssuedEndorsement, StoreError> {
        let revocation = StatusSlot::from_columns(self.revocation_list_id, self.revocation_index)
            .ok_or_else(|| StoreError::Corrupt {
            what: "endorsement status index",
            reason: format!("{} is negative", self.revocation_index),
        })?;
        Ok(IssuedEndorsement {
            id: CredentialId(self.id),
            subject_id: self.subject_id,
            revocation,
            credential: self.credential,
            issued_at: self.issued_at,
            revoked_at: self.revoked_at,
            revocation_reason: self.revocation_reason,
        })
    }
}
