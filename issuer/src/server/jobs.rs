//! Bulk jobs over HTTP: `POST /api/v1/jobs?achievement=…` with a CSV (`text/csv`) or JSON lines
//! (`application/x-ndjson`) body answers 202 with the job at once; the rows are then issued in
//! the background and `GET /api/v1/jobs/{id}` reports progress (totals, rows/s) and a page of
//! per-row results. Records live in the store's `bulk_jobs` / `bulk_job_rows` tables.
//!
//! Each row goes through [`Issuer::issue`], which is idempotent by achievement + learner +
//! external id, so posting the same file again after a crash issues nothing twice. Rows are
//! checked as they are read: a row that is malformed or invalid is reported with its number,
//! the column at fault and why, and the others are issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use super::api::Actor;
use super::error::read_body;
use super::{ApiError, AppState};
use crate::issuance::{self, IssueError, IssueRequest, Issuer, Recipient};
use crate::store::{
    Achievement, BulkJob, BulkJobStatus, BulkRowOutcome, BulkRowResult, BulkTotals, Store,
};

/// Rows issued at once by one job (signing runs on the blocking pool, one core each).
const CONCURRENCY: usize = 4;
/// Progress is written at least this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// Largest page of row results.
const MAX_ROWS_PAGE: u32 = 1000;

/// Runs bulk jobs in the background and lets the service wait for them at shutdown.
#[derive(Clone)]
pub struct JobRunner {
    issuer: Arc<Issuer>,
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl JobRunner {
    pub fn new(issuer: Arc<Issuer>) -> Self {
        Self {
            issuer,
            tasks: Arc::new(Mutex::new(JoinSet::new())),
        }
    }

    /// At start-up, marks jobs left `running` by a process that died as `interrupted` (only for
    /// SQLite, where this process is the only one; several instances may share PostgreSQL).
    /// Posting the same rows again completes such a job without duplicates.
    pub async fn resume_interrupted(&self) {
        if self.issuer.store().backend() != crate::store::Backend::Sqlite {
            return;
        }
        match self.issuer.store().mark_interrupted_bulk_jobs().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                jobs = n,
                "bulk jobs were interrupted by a previous stop; post their rows again to finish them (nothing is issued twice)"
            ),
            Err(e) => tracing::error!(error = %e, "cannot mark interrupted bulk jobs"),
        }
    }

    fn spawn(&self, job: BulkJob, rows: Vec<ParsedRow>) {
        let issuer = Arc::clone(&self.issuer);
        let mut tasks = self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Reap finished tasks so the set does not grow.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(run_job(issuer, job, rows));
    }

    /// Stops running jobs (they are marked `interrupted` and can be posted again).
    pub async fn shutdown(&self) {
        let mut tasks = {
            let mut guard = self
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::take(&mut *guard)
        };
        if tasks.is_empty() {
            return;
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let store = self.issuer.store();
        if let Ok(jobs) = store.bulk_jobs().await {
            for job in jobs.iter().filter(|j| j.status == BulkJobStatus::Running) {
                let totals = BulkTotals {
                    total_rows: job.total_rows,
                    processed: job.processed,
                    issued: job.issued,
                    existing: job.existing,
                    failed: job.failed,
                };
                let _ = store
                    .update_bulk_job(
                        &job.id,
                        totals,
                        BulkJobStatus::Interrupted,
                        Some("the service stopped"),
                    )
                    .await;
            }
        }
    }
}

/// One input row: its number (1 = first data row) and either a request or why it is unusable.
struct ParsedRow {
    row: u64,
    request: Result<IssueRequest, (String, String)>,
    external_id: Option<String>,
}

/// A row's fields, from a CSV record or a JSON line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowFields {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    did: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    completion_date: Option<String>,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    evidence_url: Option<String>,
    #[serde(default)]
    evidence_narrative: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
}

const COLUMNS: &[&str] = &[
    "email",
    "did",
    "name",
    "completion_date",
    "result",
    "evidence_url",
    "evidence_narrative",
    "external_id",
];

fn blank_to_none(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn to_request(achievement: &str, fields: RowFields) -> Result<IssueRequest, (String, String)> {
    let recipient = match (blank_to_none(fields.email), blank_to_none(fields.did)) {
        (Some(email), None) => Recipient::Email(email),
        (None, Some(did)) => Recipient::Did(did),
        (Some(_), Some(_)) => return Err(("did".into(), "give email or did, not both".into())),
        (None, None) => {
            return Err((
                "email".into(),
                "the learner's email (or did) is empty".into(),
            ))
        }
    };
    let date = blank_to_none(fields.completion_date)
        .ok_or_else(|| ("completion_date".to_owned(), "is empty".to_owned()))?;
    let completed = issuance::parse_completion_date(&date)
        .map_err(|reason| ("completion_date".to_owned(), reason))?;
    Ok(IssueRequest {
        achievement: achievement.to_owned(),
        recipient,
        name: blank_to_none(fields.name),
        completed,
        result: blank_to_none(fields.result),
        evidence_url: blank_to_none(fields.evidence_url),
        evidence_narrative: blank_to_none(fields.evidence_narrative),
        external_id: blank_to_none(fields.external_id),
        claim_expires: None,
    })
}

fn parse_csv(achievement: &str, body: &[u8]) -> Result<Vec<ParsedRow>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::invalid("body", format!("cannot read the CSV header row: {e}")))?
        .clone();
    let mut seen = Vec::new();
    for name in headers.iter() {
        if !COLUMNS.contains(&name) {
            return Err(ApiError::invalid(
                "body",
                format!(
                    "unknown CSV column {name:?}; the columns are {}",
                    COLUMNS.join(", ")
                ),
            ));
        }
        if seen.contains(&name) {
            return Err(ApiError::invalid(
                "body",
                format!("the CSV column {name:?} appears twice"),
            ));
        }
        seen.push(name);
    }
    if !seen.contains(&"completion_date") || !(seen.contains(&"email") || seen.contains(&"did")) {
        return Err(ApiError::invalid(
            "body",
            "the CSV header must name completion_date and email (or did)",
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 1;
        let parsed = match record {
            Ok(record) => {
                let mut fields = RowFields::default();
                let mut external = None;
                for (name, value) in headers.iter().zip(record.iter()) {
                    let value = Some(value.to_owned());
                    match name {
                        "email" => fields.email = value,
                        "did" => fields.did = value,
                        "name" => fields.name = value,
                        "completion_date" => fields.completion_date = value,
                        "result" => fields.result = value,
                        "evidence_url" => fields.evidence_url = value,
                        "evidence_narrative" => fields.evidence_narrative = value,
                        _ => {
                            external = blank_to_none(value.clone());
                            fields.external_id = value;
                        }
                    }
                }
                ParsedRow {
                    row,
                    request: to_request(achievement, fields),
                    external_id: external,
                }
            }
            Err(e) => ParsedRow {
                row,
                request: Err(("row".into(), format!("not a valid CSV record: {e}"))),
                external_id: None,
            },
        };
        rows.push(parsed);
    }
    Ok(rows)
}

fn parse_ndjson(achievement: &str, body: &[u8]) -> Result<Vec<ParsedRow>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::invalid("body", format!("JSON lines must be UTF-8: {e}")))?;
    let mut rows = Vec::new();
    let mut row = 0u64;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        row += 1;
        let parsed: Result<RowFields, ApiError> = super::error::parse_json(line.as_bytes());
        let (request, external_id) = match parsed {
            Ok(fields) => {
                let external = blank_to_none(fields.external_id.clone());
                (to_request(achievement, fields), external)
            }
            Err(ApiError::Invalid { field, message }) => (Err((field, message)), None),
            Err(e) => (Err(("row".into(), e.to_string())), None),
        };
        rows.push(ParsedRow {
            row,
            request,
            external_id,
        });
    }
    Ok(rows)
}

async fn run_job(issuer: Arc<Issuer>, job: BulkJob, rows: Vec<ParsedRow>) {
    let store = issuer.store().clone();
    let mut totals = BulkTotals {
        total_rows: Some(rows.len() as u64),
        ..Default::default()
    };
    let mut pending: Vec<BulkRowResult> = Vec::new();
    let mut last_write = Instant::now();
    let mut running = JoinSet::new();
    let mut queue = rows.into_iter();
    let mut failure: Option<String> = None;
    loop {
        while running.len() < CONCURRENCY {
            let Some(row) = queue.next() else { break };
            let issuer = Arc::clone(&issuer);
            let actor = job.actor.clone();
            running.spawn(async move { issue_row(&issuer, row, &actor).await });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let result = match done {
            Ok(Ok(result)) => result,
            Ok(Err(cause)) => {
                failure = Some(cause);
                break;
            }
            Err(e) => {
                failure = Some(format!("a row task failed: {e}"));
                break;
            }
        };
        totals.processed += 1;
        match result.outcome {
            BulkRowOutcome::Issued => totals.issued += 1,
            BulkRowOutcome::Existing => totals.existing += 1,
            _ => totals.failed += 1,
        }
        pending.push(result);
        if last_write.elapsed() >= PROGRESS_EVERY {
            if let Err(e) = flush(&store, &job.id, &mut pending, totals).await {
                failure = Some(e);
                break;
            }
            last_write = Instant::now();
        }
    }
    running.abort_all();
    while running.join_next().await.is_some() {}
    let flushed = flush(&store, &job.id, &mut pending, totals).await;
    let (status, error) = match (failure, flushed) {
        (None, Ok(())) => (BulkJobStatus::Completed, None),
        (Some(cause), _) | (None, Err(cause)) => {
            tracing::error!(job = %job.id, %cause, "bulk job failed");
            (
                BulkJobStatus::Failed,
                Some(
                    "the job stopped on a server error (logged); post the rows again to finish it",
                ),
            )
        }
    };
    if let Err(e) = store.update_bulk_job(&job.id, totals, status, error).await {
        tracing::error!(job = %job.id, error = %e, "cannot record the end of a bulk job");
    }
    tracing::info!(
        job = %job.id,
        processed = totals.processed,
        issued = totals.issued,
        existing = totals.existing,
        failed = totals.failed,
        "bulk job finished"
    );
}

async fn flush(
    store: &Store,
    job: &str,
    pending: &mut Vec<BulkRowResult>,
    totals: BulkTotals,
) -> Result<(), String> {
    store
        .record_bulk_rows(job, pending)
        .await
        .map_err(|e| e.to_string())?;
    pending.clear();
    store
        .update_bulk_job(job, totals, BulkJobStatus::Running, None)
        .await
        .map_err(|e| e.to_string())
}

/// Issues one row. `Err` only for failures that are not the row's fault (the job stops).
async fn issue_row(issuer: &Issuer, row: ParsedRow, actor: &str) -> Result<BulkRowResult, String> {
    let failed = |column: String, reason: String, external_id: Option<String>| BulkRowResult {
        row: row.row,
        outcome: BulkRowOutcome::Failed,
        external_id,
        credential_id: None,
        column: Some(column),
        reason: Some(reason),
    };
    let request = match row.request {
        Ok(request) => request,
        Err((column, reason)) => return Ok(failed(column, reason, row.external_id)),
    };
    match issuer.issue(&request, actor).await {
        Ok(issued) => Ok(BulkRowResult {
            row: row.row,
            outcome: if issued.new {
                BulkRowOutcome::Issued
            } else {
                BulkRowOutcome::Existing
            },
            external_id: row.external_id,
            credential_id: Some(issued.credential.id.to_string()),
            column: None,
            reason: None,
        }),
        Err(IssueError::Invalid { field, reason }) => Ok(failed(field, reason, row.external_id)),
        Err(IssueError::NotFound { what, id }) => Ok(failed(
            "achievement".into(),
            format!("no {what} {id:?}"),
            row.external_id,
        )),
        Err(e) => Err(e.to_string()),
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
    let rows = if is_csv {
        parse_csv(&achievement.slug, &body)?
    } else {
        parse_ndjson(&achievement.slug, &body)?
    };
    if rows.is_empty() {
        return Err(ApiError::invalid("body", "no rows"));
    }
    let job = state
        .issuer
        .store()
        .create_bulk_job(&achievement.id, "api", &actor.0, false)
        .await?;
    let totals = BulkTotals {
        total_rows: Some(rows.len() as u64),
        ..Default::default()
    };
    state
        .issuer
        .store()
        .update_bulk_job(&job.id, totals, BulkJobStatus::Running, None)
        .await?;
    let mut view = job_view(&job, Some(&achievement.slug));
    view["total_rows"] = json!(rows.len());
    state.jobs.spawn(job.clone(), rows);
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
    fn csv_rows_are_parsed_and_bad_rows_named() {
        let body = b"email,completion_date,external_id\nada@example.org,2026-06-30,r1\n,2026-06-30,r2\nbob@example.org,30/06/2026,r3\n";
        let rows = parse_csv("data-101", body).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].request.is_ok());
        assert_eq!(rows[1].request.as_ref().unwrap_err().0, "email");
        assert_eq!(rows[2].request.as_ref().unwrap_err().0, "completion_date");
        assert_eq!(rows[2].external_id.as_deref(), Some("r3"));
        assert!(parse_csv("x", b"mail,completion_date\n").is_err());
        assert!(parse_csv("x", b"name\nAda\n").is_err());
    }

    #[test]
    fn json_lines() {
        let body = b"{\"email\":\"ada@example.org\",\"completion_date\":\"2026-06-30\"}\n\n{\"emial\":\"x\"}\n";
        let rows = parse_ndjson("data-101", body).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].request.is_ok());
        assert_eq!(rows[1].request.as_ref().unwrap_err().0, "emial");
    }
}
