//! Queries the HTTP API needs beyond the issuing core: credential search with keyset pagination,
//! aggregate statistics, and removing an achievement that was never awarded.
//!
//! Nothing here returns personal data: a credential summary carries no learner key, email or
//! name, and statistics are counts by achievement and month. The SQL text is shared by SQLite
//! and PostgreSQL except the one expression that turns a timestamp into a month.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{AchievementId, Backend, Store, StoreError};
use crate::stats::{AchievementGroups, Counts, Export, Month, Range, StatsError, Threshold};

/// Largest page of a credential search.
pub const MAX_PAGE: u32 = 500;

/// A credential's current status, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusFilter {
    /// Neither revoked nor suspended.
    Active,
    Revoked,
    /// Suspended and not revoked.
    Suspended,
}

impl StatusFilter {
    /// Parses `active`, `revoked` or `suspended`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "revoked" => Some(Self::Revoked),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }

    fn condition(self) -> &'static str {
        match self {
            Self::Active => "c.revoked_at IS NULL AND NOT c.suspended",
            Self::Revoked => "c.revoked_at IS NOT NULL",
            Self::Suspended => "c.revoked_at IS NULL AND c.suspended",
        }
    }
}

/// Where a page of results continues: after the credential issued at `issued_at` with `id`
/// (results are newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCursor {
    pub issued_at: DateTime<Utc>,
    pub id: String,
}

/// A credential search.
#[derive(Debug, Clone, Default)]
pub struct CredentialSearch {
    pub achievement: Option<AchievementId>,
    pub status: Option<StatusFilter>,
    /// Issued at or after.
    pub issued_after: Option<DateTime<Utc>>,
    /// Issued strictly before.
    pub issued_before: Option<DateTime<Utc>>,
    /// The credential id, or a prefix of the provider's external id.
    pub text: Option<String>,
    /// At most [`MAX_PAGE`].
    pub limit: u32,
    pub after: Option<SearchCursor>,
}

/// One search result: what the provider needs to manage a credential, nothing about the learner.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CredentialSummary {
    pub id: String,
    pub achievement_id: String,
    pub achievement_slug: String,
    /// The provider's own id for the completion ("" when none).
    pub external_id: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
    pub suspended: bool,
    pub suspension_reason: Option<String>,
}

/// A page of results and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialPage {
    pub items: Vec<CredentialSummary>,
    pub next: Option<SearchCursor>,
}

/// Counts for one achievement and one month of issue (UTC, `YYYY-MM`): how many were issued
/// that month, and how many of those are now revoked, or suspended.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthlyCount {
    pub achievement_slug: String,
    pub month: String,
    pub issued: i64,
    pub revoked: i64,
    pub suspended: i64,
}

/// The outcome of [`Store::delete_unused_achievement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// Credentials (or bulk jobs) refer to it: it stays.
    InUse,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_prefix(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// Credentials matching `search`, newest first, one page at a time (keyset pagination on
    /// issue time and id, so pages stay stable while credentials are being issued).
    pub async fn search_credentials(
        &self,
        search: &CredentialSearch,
    ) -> Result<CredentialPage, StoreError> {
        let limit = search.limit.clamp(1, MAX_PAGE);
        let mut sql = String::from(
            "SELECT c.id, c.achievement_id, a.slug AS achievement_slug, c.external_id, \
             c.issued_at, c.revoked_at, c.revocation_reason, c.suspended, c.suspension_reason \
             FROM credentials c JOIN achievements a ON a.id = c.achievement_id \
             WHERE ($1 IS NULL OR c.achievement_id = $1) \
             AND ($2 IS NULL OR c.issued_at >= $2) \
             AND ($3 IS NULL OR c.issued_at < $3) \
             AND ($4 IS NULL OR c.id = $4 OR c.external_id LIKE $5 ESCAPE '\\') \
             AND ($6 IS NULL OR c.issued_at < $6 OR (c.issued_at = $6 AND c.id < $7))",
        );
        if let Some(status) = search.status {
            sql.push_str(" AND ");
            sql.push_str(status.condition());
        }
        sql.push_str(" ORDER BY c.issued_at DESC, c.id DESC LIMIT $8");
        let achievement = search.achievement.as_ref().map(|a| a.as_str().to_owned());
        let text = search.text.as_deref().map(str::trim).map(str::to_owned);
        let pattern = text.as_deref().map(like_prefix);
        let after_at = search.after.as_ref().map(|c| c.issued_at);
        let after_id = search.after.as_ref().map(|c| c.id.clone());
        let mut items: Vec<CredentialSummary> = on_pool!(self, p => {
            sqlx::query_as(&sql)
                .bind(&achievement)
                .bind(search.issued_after)
                .bind(search.issued_before)
                .bind(&text)
                .bind(&pattern)
                .bind(after_at)
                .bind(&after_id)
                .bind(i64::from(limit) + 1)
                .fetch_all(p)
                .await?
        });
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| SearchCursor {
                issued_at: last.issued_at,
                id: last.id.clone(),
            })
        } else {
            None
        };
        Ok(CredentialPage { items, next })
    }

    /// Counts by achievement and month of issue (UTC), oldest month first. Never per learner.
    pub async fn monthly_counts(&self) -> Result<Vec<MonthlyCount>, StoreError> {
        let month = match self.backend() {
            Backend::Sqlite => "substr(c.issued_at, 1, 7)",
            Backend::Postgres => "to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        };
        let sql = format!(
            "SELECT a.slug AS achievement_slug, {month} AS month, COUNT(*) AS issued, \
             SUM(CASE WHEN c.revoked_at IS NOT NULL THEN 1 ELSE 0 END) AS revoked, \
             SUM(CASE WHEN c.revoked_at IS NULL AND c.suspended THEN 1 ELSE 0 END) AS suspended \
             FROM credentials c JOIN achievements a ON a.id = c.achievement_id \
             GROUP BY a.slug, {month} ORDER BY 2, 1"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// [`Store::monthly_counts`] for the credentials issued in `[start, end)`, by achievement id:
    /// the rows [`crate::stats`] builds its export from. Never per learner.
    pub async fn monthly_counts_between(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<MonthlyCount>, StoreError> {
        let month = match self.backend() {
            Backend::Sqlite => "substr(c.issued_at, 1, 7)",
            Backend::Postgres => "to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        };
        let sql = format!(
            "SELECT a.slug AS achievement_slug, {month} AS month, COUNT(*) AS issued, \
             SUM(CASE WHEN c.revoked_at IS NOT NULL THEN 1 ELSE 0 END) AS revoked, \
             SUM(CASE WHEN c.revoked_at IS NULL AND c.suspended THEN 1 ELSE 0 END) AS suspended \
             FROM credentials c JOIN achievements a ON a.id = c.achievement_id \
             WHERE c.issued_at >= $1 AND c.issued_at < $2 \
             GROUP BY a.slug, {month} ORDER BY 2, 1"
        );
        Ok(on_pool!(self, p => sqlx::query_as(&sql).bind(start).bind(end).fetch_all(p).await?))
    }

    /// The suppressed statistics export (see [`crate::stats`]) of the credentials issued from
    /// `from` to `to` (whole months; `from` defaults to January of the year of the first
    /// issuance, so the range reveals no month holding a credential; `to` to the month of `now`).
    pub async fn stats_export(
        &self,
        from: Option<Month>,
        to: Option<Month>,
        threshold: Threshold,
        now: DateTime<Utc>,
    ) -> Result<Result<Export, StatsError>, StoreError> {
        let from = match from {
            Some(m) => m,
            None => Month::of(self.first_issued_at().await?.unwrap_or(now)).january(),
        };
        let range = match Range::new(from, to.unwrap_or_else(|| Month::of(now))) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let achievements: Vec<AchievementGroups> = self
            .achievements()
            .await?
            .iter()
            .map(|a| AchievementGroups::from_definition(&a.slug, &a.definition))
            .collect();
        let mut counts = BTreeMap::new();
        for row in self
            .monthly_counts_between(range.start(), range.end())
            .await?
        {
            let Ok(month) = Month::parse("month", &row.month) else {
                continue;
            };
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            counts.insert(
                (row.achievement_slug, month),
                Counts {
                    issued: n(row.issued),
                    revoked: n(row.revoked),
                    suspended: n(row.suspended),
                },
            );
        }
        Ok(Ok(crate::stats::build(
            &achievements,
            &counts,
            range,
            threshold,
            now,
        )))
    }

    /// When the first credential was issued, if one was.
    pub async fn first_issued_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(on_pool!(self, p => {
            sqlx::query_scalar("SELECT MIN(issued_at) FROM credentials")
                .fetch_one(p)
                .await?
        }))
    }

    /// The bulk job whose `source` is `source` (the HTTP service labels each upload uniquely).
    pub async fn bulk_job_by_source(
        &self,
        source: &str,
    ) -> Result<Option<super::BulkJob>, StoreError> {
        let id: Option<String> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT id FROM bulk_jobs WHERE source = $1")
                .bind(source)
                .fetch_optional(p)
                .await?
        });
        match id {
            Some(id) => self.bulk_job(&id).await,
            None => Ok(None),
        }
    }

    /// Deletes an achievement that no credential (and no bulk job) refers to; [`Deletion::InUse`]
    /// if one does, [`StoreError::NotFound`] if there is no such achievement. One statement, so
    /// a credential issued concurrently either blocks the deletion or fails on its foreign key.
    pub async fn delete_unused_achievement(
        &self,
        id: &AchievementId,
    ) -> Result<Deletion, StoreError> {
        let result = on_pool!(self, p => {
            sqlx::query(
                "DELETE FROM achievements WHERE id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM credentials WHERE achievement_id = $1)",
            )
            .bind(id.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        });
        let deleted = match result {
            Ok(n) => n,
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                return Ok(Deletion::InUse)
            }
            Err(e) => return Err(e.into()),
        };
        if deleted == 1 {
            return Ok(Deletion::Deleted);
        }
        if self.achievement(id).await?.is_none() {
            return Err(StoreError::NotFound {
                what: "achievement",
                id: id.to_string(),
            });
        }
        Ok(Deletion::InUse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_prefix("row-1"), "row-1%");
        assert_eq!(like_prefix("50%_a\\b"), "50\\%\\_a\\\\b%");
    }

    #[test]
    fn status_filters() {
        assert_eq!(StatusFilter::parse("revoked"), Some(StatusFilter::Revoked));
        assert_eq!(StatusFilter::parse("gone"), None);
    }
}
