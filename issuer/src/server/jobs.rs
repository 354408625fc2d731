//! Bulk jobs over HTTP: `POST /api/v1/jobs?achievement=…` with a CSV (`text/csv`) or JSON lines
//! (`application/x-ndjson`) body answers 202 with the job at once; the rows are then issued in
//! the background by the issuance bulk engine ([`crate::bulk::run`]: batches signed on every
//! core, one transaction per batch) and `GET /api/v1/jobs/{id}` reports progress (totals, rows/s)
//! and a page of per-row results from the `bulk_jobs` / `bulk_job_rows` records the engine keeps.
//!
//! The engine is idempotent by achievement + learner + external id, so posting the same rows
//! again after a crash or a stop issues nothing twice. The CSV header is checked before the 202
//! (unknown or duplicate columns, no email/did or completion_date column → 400); a row that is
//! malformed or invalid is reported with its number, the column at fault and why.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use super::error::read_body;
use super::{ApiError, AppState};
use crate::auth::Actor;
use crate::bulk::{self, BulkOptions, CsvRows, InputRow, Progress};
use crate::issuance::{IssueError, Issuer};
use crate::store::{Achievement, BulkJob, BulkJobStatus};

/// Largest page of row results.
const MAX_ROWS_PAGE: u32 = 1000;
/// How long the upload waits for the engine to record the job before answering.
const JOB_RECORD_WAIT: Duration = Duration::from_secs(10);

/// Runs bulk jobs in the background and stops them at shutdown.
#[derive(Clone)]
pub struct JobRunner {
    issuer: Arc<Issuer>,
    tasks: Arc<Mutex<JoinSet<()>>>,
    /// Ids of the jobs this process started (several processes may share one PostgreSQL).
    started: Arc<Mutex<Vec<String>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl JobRunner {
    pub fn new(issuer: Arc<Issuer>) -> Self {
        Self {
            issuer,
            tasks: Arc::new(Mutex::new(JoinSet::new())),
            started: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// At start-up, marks jobs left `running` by a process that died as `interrupted` (see
    /// [`crate::bulk::mark_interrupted_jobs`]: by their heartbeat, so also with several
    /// instances on one PostgreSQL). Posting the same rows again completes such a job without
    /// duplicates.
    pub async fn resume_interrupted(&self) {
        match crate::bulk::mark_interrupted_jobs(&self.issuer).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                jobs = n,
                "bulk jobs were interrupted by a previous stop; post their rows again to finish them (nothing is issued twice)"
            ),
            Err(e) => tracing::error!(error = %e, "cannot mark interrupted bulk jobs"),
        }
    }

    /// Starts the engine on `rows`; returns the job record once the engine has written it.
    async fn start(
        &self,
        achievement: &Achievement,
        rows: Vec<InputRow>,
        actor: &str,
    ) -> Result<BulkJob, ApiError> {
        // Refused before the job exists: no row could be issued.
        self.issuer.ensure_schema()?;
        let source = format!("api:{}", uuid::Uuid::new_v4());
        let options = BulkOptions {
            actor: actor.to_owned(),
            source: source.clone(),
            ..BulkOptions::default()
        };
        let issuer = Arc::clone(&self.issuer);
        let slug = achievement.slug.clone();
        let total = rows.len() as u64;
        {
            let mut tasks = lock(&self.tasks);
            // Reap finished tasks so the set does not grow.
            while tasks.try_join_next().is_some() {}
            tasks.spawn(async move {
                let progress = Progress::default();
                progress
                    .total
                    .store(total, std::sync::atomic::Ordering::Relaxed);
                match bulk::run(&issuer, &slug, rows, &options, &progress, |_| {}).await {
                    Ok(summary) => tracing::info!(
                        job = %summary.job_id,
                        processed = summary.totals.processed,
                        issued = summary.totals.issued,
                        existing = summary.totals.existing,
                        failed = summary.totals.failed,
                        rows_per_second = summary.rows_per_second(),
                        "bulk job finished"
                    ),
                    Err(e) => tracing::error!(error = %e, "bulk job failed"),
                }
            });
        }
        let store = self.issuer.store();
        let waited = Instant::now();
        loop {
            if let Some(job) = store.bulk_job_by_source(&source).await? {
                lock(&self.started).push(job.id.clone());
                return Ok(job);
            }
            if waited.elapsed() > JOB_RECORD_WAIT {
                return Err(ApiError::internal(
                    "the bulk engine did not record the job in time",
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops running jobs; those this process started are marked `interrupted` (what was
    /// committed stays; posting the rows again finishes them).
    pub async fn shutdown(&self) {
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        if tasks.is_empty() {
            return;
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let store = self.issuer.store();
        let ids = std::mem::take(&mut *lock(&self.started));
        for id in ids {
            let Ok(Some(job)) = store.bulk_job(&id).await else {
                continue;
            };
            if job.status != BulkJobStatus::Running {
                continue;
            }
            let totals = crate::store::BulkTotals {
                total_rows: job.total_rows,
                processed: job.processed,
                issued: job.issued,
                existing: job.existing,
                failed: job.failed,
            };
            let _ = store
                .update_bulk_job(
                    &id,
                    totals,
                    BulkJobStatus::Interrupted,
                    Some("the service stopped; post the rows again to finish (nothing is issued twice)"),
                )
                .await;
        }
    }
}

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn job_view(job: &BulkJob, slug: Option<&str>) -> Value {
    let end = job.finished_at.unwrap_or(job.updated_at);
    let seconds = (end - job.created_at).num_milliseconds() as f64 / 1000.0;
    let rate = (seconds > 0.0 && job.processed > 0).then(|| job.processed as f64 / seconds);
    json!({
        "id": job.id,
        "achievement": slug,
        "achievement_id": job.achievement_id.as_str(),
        "status": job.status.as_str(),
        "total_rows": job.total_rows,
        "processed": job.processed,
        "issued": job.issued,
        "existing": job.existing,
        "failed": job.failed,
        "rows_per_second": rate.map(|r| (r * 10.0).round() / 10.0),
        "created_at": rfc3339(job.created_at),
        "finished_at": job.finished_at.map(rfc3339),
        "error": job.error,
    })
}

async fn achievement_for(state: &AppState, key: &str) -> Result<Achievement, ApiError> {
    match state.issuer.achievement(key).await {
        Ok(a) => Ok(a),
        Err(IssueError::NotFound { .. }) => Err(ApiError::invalid(
            "achievement",
            format!("no achievement {key:?}"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/jobs?achievement=…`.
pub(super) async fn create(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Result<Response, ApiError> {
    if let Some(name) = query.keys().find(|k| k.as_str() != "achievement") {
        return Err(ApiError::invalid(
            name.as_str(),
            "unknown query parameter; this endpoint takes achievement",
        ));
    }
    let key = query
        .get("achievement")
        .ok_or_else(|| ApiError::invalid("achievement", "missing query parameter"))?;
    let media = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let is_csv = match media.as_str() {
        "text/csv" => true,
        "application/x-ndjson" | "application/jsonl" => false,
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                expected: "text/csv or application/x-ndjson",
            })
        }
    };
    let achievement = achievement_for(&state, key).await?;
    let body: Bytes = read_body(request, &state).await?;
    let rows: Vec<InputRow> = if is_csv {
        CsvRows::new(std::io::Cursor::new(body), &achievement.slug)
            .map_err(|e| ApiError::invalid("body", e.to_string()))?
            .collect()
    } else {
        let text = std::str::from_utf8(&body).map_err(|e| {
            let reason = passerelle_core::input::InputError::NotUtf8 {
                offset: e.valid_up_to(),
            };
            ApiError::invalid("body", format!("JSON lines must be UTF-8: {reason}"))
        })?;
        bulk::json_lines_rows(text, &achievement.slug).collect()
    };
    if rows.is_empty() {
        return Err(ApiError::invalid("body", "no rows"));
    }
    let total = rows.len();
    let job = state.jobs.start(&achievement, rows, actor.as_str()).await?;
    let mut view = job_view(&job, Some(&achievement.slug));
    view["total_rows"] = json!(total);
    let location = format!("/api/v1/jobs/{}", job.id);
    let mut response = (StatusCode::ACCEPTED, Json(view)).into_response();
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /api/v1/jobs/{id}?after_row=&limit=`.
pub(super) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    if let Some(name) = query
        .keys()
        .find(|k| !matches!(k.as_str(), "after_row" | "limit"))
    {
        return Err(ApiError::invalid(
            name.as_str(),
            "unknown query parameter; this endpoint takes after_row, limit",
        ));
    }
    let after = match query.get("after_row") {
        None => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            ApiError::invalid("after_row", format!("{text:?}: expected a row number"))
        })?,
    };
    let limit = match query.get("limit") {
        None => 100,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_ROWS_PAGE).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    format!("{text:?}: expected a whole number from 1 to {MAX_ROWS_PAGE}"),
                )
            })?,
    };
    let store = state.issuer.store();
    let job = store
        .bulk_job(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: "job",
            id: id.clone(),
        })?;
    let slug = store
        .achievement(&job.achievement_id)
        .await?
        .map(|a| a.slug);
    let rows = store.bulk_job_rows(&id, after, limit).await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.row))
        .flatten();
    let mut view = job_view(&job, slug.as_deref());
    view["rows"] = rows
        .iter()
        .map(|r| {
            json!({
                "row": r.row,
                "outcome": r.outcome.as_str(),
                "external_id": r.external_id,
                "credential_id": r.credential_id,
                "column": r.column,
                "reason": r.reason,
            })
        })
        .collect();
    view["next_after_row"] = json!(next);
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_rates() {
        let at = chrono::Utc::now();
        let job = BulkJob {
            id: "urn:uuid:1".into(),
            achievement_id: crate::store::AchievementId::from("urn:uuid:2".to_owned()),
            source: "api:x".into(),
            actor: "t".into(),
            status: BulkJobStatus::Completed,
            dry_run: false,
            total_rows: Some(10),
            processed: 10,
            issued: 9,
            existing: 0,
            failed: 1,
            error: None,
            created_at: at,
            updated_at: at,
            finished_at: Some(at + chrono::Duration::seconds(2)),
        };
        let view = job_view(&job, Some("data-101"));
        assert_eq!(view["rows_per_second"], 5.0);
        assert_eq!(view["status"], "completed");
    }
}
