//! The append-only audit log.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{now, parse_json, Store, StoreError};

impl Store {
    /// Appends a record to the audit log. There is no API to change or remove one, and the
    /// database refuses UPDATE and DELETE on the table.
    pub async fn append_audit(&self, entry: &NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let at = now();
        let details = entry.details.to_string();
        let id: i64 = on_pool!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO audit_log (at, actor, action, subject, details) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(at)
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.subject)
            .bind(&details)
            .fetch_one(p)
            .await?
        });
        Ok(AuditEntry {
            id,
            at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            details: entry.details.clone(),
        })
    }

    /// Up to `limit` audit records with id greater than `after`, oldest first.
    pub async fn audit_entries(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, at, actor, action, subject, details FROM audit_log \
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?
        });
        rows.into_iter().map(AuditRow::into_entry).collect()
    }
}

/// What [`Store::append_audit`] writes.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    /// Who acted: an API token id, `cli`, …
    pub actor: String,
    /// What was done, e.g. `credential.revoke`.
    pub action: String,
    /// What it was done to, e.g. a credential id.
    pub subject: String,
    pub details: Value,
}

/// A record of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    subject: String,
    details: String,
}

impl AuditRow {
    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            details: parse_json("audit details", &self.details)?,
            id: self.id,
            at: self.at,
            actor: self.actor,
            action: self.action,
            subject: self.subject,
        })
    }
}
