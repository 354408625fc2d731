//! Bulk job records: progress, totals and per-row results of a bulk issuance run, so the CLI can
//! say what happened and the HTTP service can report a running job.

use chrono::{DateTime, Utc};

use super::{new_urn, now, AchievementId, Store, StoreError};

/// A bulk job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkJobStatus {
    Running,
    Completed,
    /// Stopped by an error that is not a row's fault (e.g. the database went away).
    Failed,
    /// Found `running` by a later process: the run that owned it died.
    Interrupted,
}

impl BulkJobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "running" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "interrupted" => Self::Interrupted,
            other => {
                return Err(StoreError::Corrupt {
                    what: "bulk job status",
                    reason: format!("unknown status {other:?}"),
                })
            }
        })
    }
}

/// A bulk job's record.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkJob {
    pub id: String,
    pub achievement_id: AchievementId,
    /// Where the rows came from (a file name, "api").
    pub source: String,
    pub actor: String,
    pub status: BulkJobStatus,
    pub dry_run: bool,
    /// Rows in the input, once known.
    pub total_rows: Option<u64>,
    pub processed: u64,
    pub issued: u64,
    pub existing: u64,
    pub failed: u64,
    /// Why the job failed (status `failed`).
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkRowOutcome {
    Issued,
    Existing,
    Failed,
}

impl BulkRowOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Existing => "existing",
            Self::Failed => "failed",
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "issued" => Self::Issued,
            "existing" => Self::Existing,
            "failed" => Self::Failed,
            other => {
                return Err(StoreError::Corrupt {
                    what: "bulk row outcome",
                    reason: format!("unknown outcome {other:?}"),
                })
            }
        })
    }
}

/// One row's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRowResult {
    /// The row's number in the input (1 = first data row).
    pub row: u64,
    pub outcome: BulkRowOutcome,
    pub external_id: Option<String>,
    pub credential_id: Option<String>,
    /// For failed rows: the column (or field) at fault.
    pub column: Option<String>,
    /// For failed rows: why.
    pub reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    achievement_id: String,
    source: String,
    actor: String,
    status: String,
    dry_run: bool,
    total_rows: Option<i64>,
    processed: i64,
    issued: i64,
    existing: i64,
    failed: i64,
    error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn db_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl JobRow {
    fn into_job(self) -> Result<BulkJob, StoreError> {
        Ok(BulkJob {
            status: BulkJobStatus::parse(&self.status)?,
            id: self.id,
            achievement_id: AchievementId::from(self.achievement_id),
            source: self.source,
            actor: self.actor,
            dry_run: self.dry_run,
            total_rows: self.total_rows.map(count),
            processed: count(self.processed),
            issued: count(self.issued),
            existing: count(self.existing),
            failed: count(self.failed),
            error: self.error,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ResultRow {
    row_number: i64,
    outcome: String,
    external_id: Option<String>,
    credential_id: Option<String>,
    column_name: Option<String>,
    reason: Option<String>,
}

const JOB_SELECT: &str = "SELECT id, achievement_id, source, actor, status, dry_run, total_rows, \
    processed, issued, existing, failed, error, created_at, updated_at, finished_at FROM bulk_jobs";

/// Totals written by [`Store::update_bulk_job`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkTotals {
    pub total_rows: Option<u64>,
    pub processed: u64,
    pub issued: u64,
    pub existing: u64,
    pub failed: u64,
}

impl Store {
    /// Starts a job record (status `running`).
    pub async fn create_bulk_job(
        &self,
        achievement: &AchievementId,
        source: &str,
        actor: &str,
        dry_run: bool,
    ) -> Result<BulkJob, StoreError> {
        let id = new_urn();
        let at = now();
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO bulk_jobs (id, achievement_id, source, actor, status, dry_run, \
                 created_at, updated_at, runner) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
            )
            .bind(&id)
            .bind(achievement.as_str())
            .bind(source)
            .bind(actor)
            .bind(BulkJobStatus::Running.as_str())
            .bind(dry_run)
            .bind(at)
            .bind(crate::runner::this_process())
            .execute(p)
            .await?;
        });
        self.bulk_job(&id).await?.ok_or(StoreError::NotFound {
            what: "bulk job just created",
            id,
        })
    }

    /// Records progress (and, with a final `status`, the end of the job).
    pub async fn update_bulk_job(
        &self,
        id: &str,
        totals: BulkTotals,
        status: BulkJobStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let at = now();
        let finished = (status != BulkJobStatus::Running).then_some(at);
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE bulk_jobs SET total_rows = $1, processed = $2, issued = $3, existing = $4, \
                 failed = $5, status = $6, error = $7, updated_at = $8, finished_at = $9 \
                 WHERE id = $10",
            )
            .bind(totals.total_rows.map(db_count))
            .bind(db_count(totals.processed))
            .bind(db_count(totals.issued))
            .bind(db_count(totals.existing))
            .bind(db_count(totals.failed))
            .bind(status.as_str())
            .bind(error)
            .bind(at)
            .bind(finished)
            .bind(id)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Records per-row results (one transaction). A row recorded twice keeps its first result.
    pub async fn record_bulk_rows(
        &self,
        job: &str,
        rows: &[BulkRowResult],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for r in rows {
                sqlx::query(
                    "INSERT INTO bulk_job_rows (job_id, row_number, outcome, external_id, \
                     credential_id, column_name, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(job)
                .bind(db_count(r.row))
                .bind(r.outcome.as_str())
                .bind(&r.external_id)
                .bind(&r.credential_id)
                .bind(&r.column)
                .bind(&r.reason)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A job by id.
    pub async fn bulk_job(&self, id: &str) -> Result<Option<BulkJob>, StoreError> {
        let sql = format!("{JOB_SELECT} WHERE id = $1");
        let row: Option<JobRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(id).fetch_optional(p).await?
        });
        row.map(JobRow::into_job).transpose()
    }

    /// Every job, newest first.
    pub async fn bulk_jobs(&self) -> Result<Vec<BulkJob>, StoreError> {
        let sql = format!("{JOB_SELECT} ORDER BY created_at DESC, id");
        let rows: Vec<JobRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
        rows.into_iter().map(JobRow::into_job).collect()
    }

    /// Marks as `interrupted` the `running` jobs whose run died: those whose process, on this
    /// machine, is gone (see [`crate::runner`]), and those silent since before `silent_since` — a
    /// live run touches its job at least every [`crate::bulk::JOB_HEARTBEAT`], so such a job's
    /// process died (killed, crashed, machine lost), whichever instance ran it. Returns how many.
    /// A run that was only stalled sets its job back to `running` at its next progress.
    pub async fn mark_interrupted_bulk_jobs(
        &self,
        silent_since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let running: Vec<(String, Option<String>, DateTime<Utc>)> = on_pool!(self, p => {
            sqlx::query_as("SELECT id, runner, updated_at FROM bulk_jobs WHERE status = $1")
                .bind(BulkJobStatus::Running.as_str())
                .fetch_all(p)
                .await?
        });
        let dead: Vec<String> = running
            .into_iter()
            .filter(|(_, runner, updated)| {
                *updated < silent_since
                    || runner.as_deref().and_then(crate::runner::is_alive) == Some(false)
            })
            .map(|(id, _, _)| id)
            .collect();
        let at = now();
        let mut marked = 0;
        for id in dead {
            marked += on_pool!(self, p => {
                sqlx::query(
                    "UPDATE bulk_jobs SET status = $1, updated_at = $2, finished_at = $2 \
                     WHERE id = $3 AND status = $4",
                )
                .bind(BulkJobStatus::Interrupted.as_str())
                .bind(at)
                .bind(&id)
                .bind(BulkJobStatus::Running.as_str())
                .execute(p)
                .await?
                .rows_affected()
            });
        }
        Ok(marked)
    }

    /// Says a running job is alive (its heartbeat; see [`Store::mark_interrupted_bulk_jobs`]).
    pub async fn touch_bulk_job(&self, id: &str) -> Result<(), StoreError> {
        let at = now();
        on_pool!(self, p => {
            sqlx::query("UPDATE bulk_jobs SET updated_at = $1 WHERE id = $2 AND status = $3")
                .bind(at)
                .bind(id)
                .bind(BulkJobStatus::Running.as_str())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Up to `limit` row results of a job after row `after`, in row order.
    pub async fn bulk_job_rows(
        &self,
        job: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<BulkRowResult>, StoreError> {
        let rows: Vec<ResultRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT row_number, outcome, external_id, credential_id, column_name, reason \
                 FROM bulk_job_rows WHERE job_id = $1 AND row_number > $2 \
                 ORDER BY row_number LIMIT $3",
            )
            .bind(job)
            .bind(db_count(after))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(BulkRowResult {
                    row: count(r.row_number),
                    outcome: BulkRowOutcome::parse(&r.outcome)?,
                    external_id: r.external_id,
                    credential_id: r.credential_id,
                    column: r.column_name,
                    reason: r.reason,
                })
            })
            .collect()
    }
}
