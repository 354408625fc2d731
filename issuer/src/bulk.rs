//! Bulk issuance: many rows (a CSV export or JSON lines) → one credential per valid row, with
//! per-row results, live progress, and a `bulk_jobs` record the HTTP service can report.
//!
//! (Near 1,000 lines, one concern: reading rows (CSV and JSON lines), then the batch pipeline
//! that checks, signs and commits them; the input readers could become `bulk/input.rs`.)
//!
//! ## The pipeline
//! Rows are read in batches of [`BulkOptions::batch_size`] (the input is streamed: memory is
//! bounded by two batches, whatever the input's size). For each batch, on the async side:
//! check every row ([`Issuer::check_request`]), skip those already issued (one read), allocate
//! all status slots at once ([`Store::allocate_status_indices`]). The CPU part — building,
//! validating and signing with eddsa-rdfc-2022 — runs on every core with rayon, on a blocking
//! thread, while the previous batch is committed: one transaction per batch
//! ([`Store::commit_issued`]) with its claim tokens and audit records.
//!
//! ## Crash safety
//! A run killed at any point leaves whole batches committed or not at all; the unique key
//! (achievement + learner + external id) makes a re-run skip what was committed, so a re-run
//! gives no lost and no duplicated credential. Status slots allocated for an uncommitted batch
//! stay allocated and unused (indices are never reused).
//!
//! ## Accepted CSV headers (case-insensitive, spaces/dashes as underscores)
//! - `email` (or `mail`, `email_address`) — or `did` (or `learner_did`, `holder`): one of the two
//!   per row;
//! - `name` (or `learner_name`, `full_name`);
//! - `completion_date` (or `completed`, `completed_at`, `date`, `awarded_date`): `YYYY-MM-DD`
//!   or RFC 3339;
//! - `result` (or `grade`, `score`);
//! - `evidence_url`, `evidence_narrative` (or `evidence`);
//! - `external_id` (or `id`, `enrolment_id`, `enrollment_id`).
//!
//! Unknown columns are refused (a typo would silently drop data).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use passerelle_core::input;
use rayon::prelude::*;
use serde::Deserialize;

use crate::issuance::{
    parse_completion_date, IssueError, IssueRequest, Issuer, Prepared, Recipient, Signed, TxCodePin,
};
use crate::signing_pool::on_signing_pool;
use crate::store::{
    Achievement, BulkJobStatus, BulkRowOutcome, BulkRowResult, BulkTotals, ClaimSecrets, Inserted,
    ListPurpose, StatusSlot,
};

/// Rows per batch (one transaction each) by default.
pub const DEFAULT_BATCH_SIZE: usize = 256;
/// Largest input row accepted (bytes), so one bad line cannot exhaust memory.
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// A column of the bulk input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Column {
    Email,
    Did,
    Name,
    CompletionDate,
    Result,
    EvidenceUrl,
    EvidenceNarrative,
    ExternalId,
}

impl Column {
    /// The canonical header name (used in error reports).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Did => "did",
            Self::Name => "name",
            Self::CompletionDate => "completion_date",
            Self::Result => "result",
            Self::EvidenceUrl => "evidence_url",
            Self::EvidenceNarrative => "evidence_narrative",
            Self::ExternalId => "external_id",
        }
    }

    /// The column a header names, accepting the documented aliases.
    pub fn from_header(header: &str) -> Option<Self> {
        let key: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .to_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        Some(match key.as_str() {
            "email" | "mail" | "email_address" | "e_mail" => Self::Email,
            "did" | "learner_did" | "holder" => Self::Did,
            "name" | "learner_name" | "full_name" => Self::Name,
            "completion_date" | "completed" | "completed_at" | "date" | "awarded_date" => {
                Self::CompletionDate
            }
            "result" | "grade" | "score" => Self::Result,
            "evidence_url" => Self::EvidenceUrl,
            "evidence_narrative" | "evidence" => Self::EvidenceNarrative,
            "external_id" | "id" | "enrolment_id" | "enrollment_id" => Self::ExternalId,
            _ => return None,
        })
    }

    /// The column that an [`IssueError::Invalid`] field refers to.
    fn from_field(field: &str) -> &'static str {
        match field {
            "email" => "email",
            "did" | "recipient" => "did",
            "name" => "name",
            "completion_date" => "completion_date",
            "result" => "result",
            "evidence_url" => "evidence_url",
            "evidence_narrative" => "evidence_narrative",
            "external_id" => "external_id",
            _ => "row",
        }
    }
}

/// Why a row (or the whole input) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}, {column}: {reason}")]
pub struct RowError {
    /// The data row's number (1 = the first row after the header); 0 for the header itself.
    pub row: u64,
    pub external_id: Option<String>,
    pub column: String,
    pub reason: String,
}

/// Why a bulk input cannot be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    #[error("the CSV header: {reason}")]
    Header { reason: String },
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
}

/// One input row, turned into a request (or the reason it cannot be).
pub type InputRow = Result<(u64, IssueRequest), RowError>;

/// Streams a CSV into [`InputRow`]s for `achievement`.
pub struct CsvRows<R: Read> {
    records: csv::StringRecordsIntoIter<R>,
    columns: Vec<Column>,
    achievement: String,
    row: u64,
}

impl<R: Read> CsvRows<R> {
    /// Reads and checks the header: every column known, no duplicate, `email` or `did`
    /// present, `completion_date` present.
    pub fn new(reader: R, achievement: &str) -> Result<Self, InputError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers = csv.headers().map_err(|e| InputError::Header {
            reason: e.to_string(),
        })?;
        let mut columns = Vec::with_capacity(headers.len());
        for header in headers {
            let column = Column::from_header(header).ok_or_else(|| InputError::Header {
                reason: format!(
                    "unknown column {header:?}; accepted: email, did, name, completion_date, \
                     result (or grade), evidence_url, evidence_narrative, external_id"
                ),
            })?;
            if columns.contains(&column) {
                return Err(InputError::Header {
                    reason: format!("the column {} appears twice", column.as_str()),
                });
            }
            columns.push(column);
        }
        if !columns.contains(&Column::Email) && !columns.contains(&Column::Did) {
            return Err(InputError::Header {
                reason: "there must be an email or a did column".into(),
            });
        }
        if !columns.contains(&Column::CompletionDate) {
            return Err(InputError::Header {
                reason: "there must be a completion_date column".into(),
            });
        }
        Ok(Self {
            records: csv.into_records(),
            columns,
            achievement: achievement.to_owned(),
            row: 0,
        })
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = InputRow;

    fn next(&mut self) -> Option<InputRow> {
        let record = self.records.next()?;
        self.row += 1;
        let row = self.row;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                return Some(Err(RowError {
                    row,
                    external_id: None,
                    column: "row".into(),
                    reason: format!("not valid CSV: {e}"),
                }))
            }
        };
        if record.as_slice().len() > MAX_ROW_BYTES {
            return Some(Err(RowError {
                row,
                external_id: None,
                column: "row".into(),
                reason: format!("longer than {MAX_ROW_BYTES} bytes"),
            }));
        }
        let mut fields = HashMap::new();
        for (column, value) in self.columns.iter().zip(record.iter()) {
            if !value.is_empty() {
                fields.insert(*column, value.to_owned());
            }
        }
        if record.len() != self.columns.len() {
            return Some(Err(RowError {
                row,
                external_id: fields.get(&Column::ExternalId).cloned(),
                column: "row".into(),
                reason: format!(
                    "{} fields, the header has {}",
                    record.len(),
                    self.columns.len()
                ),
            }));
        }
        Some(fields_to_request(&self.achievement, row, fields))
    }
}

/// A JSON-lines row (the HTTP service's bulk input): the CSV columns as JSON members.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct JsonRow {
    pub email: Option<String>,
    pub did: Option<String>,
    pub name: Option<String>,
    pub completion_date: Option<String>,
    #[serde(alias = "grade")]
    pub result: Option<String>,
    pub evidence_url: Option<String>,
    pub evidence_narrative: Option<String>,
    pub external_id: Option<String>,
}

/// Turns JSON lines (one object per non-empty line) into [`InputRow`]s.
pub fn json_lines_rows<'a>(
    text: &'a str,
    achievement: &'a str,
) -> impl Iterator<Item = InputRow> + 'a {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(move |(i, line)| {
            let row = i as u64 + 1;
            if line.len() > MAX_ROW_BYTES {
                return Err(RowError {
                    row,
                    external_id: None,
                    column: "row".into(),
                    reason: format!("longer than {MAX_ROW_BYTES} bytes"),
                });
            }
            let limits = input::InputLimits::default();
            let parsed: JsonRow = input::parse_json(line.as_bytes(), &limits)
                .map_err(|e| e.to_string())
                .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
                .map_err(|reason| RowError {
                    row,
                    external_id: None,
                    column: "row".into(),
                    reason: format!("not a valid JSON row: {reason}"),
                })?;
            let mut fields = HashMap::new();
            let mut put = |column, value: Option<String>| {
                if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                    fields.insert(column, v);
                }
            };
            put(Column::Email, parsed.email);
            put(Column::Did, parsed.did);
            put(Column::Name, parsed.name);
            put(Column::CompletionDate, parsed.completion_date);
            put(Column::Result, parsed.result);
            put(Column::EvidenceUrl, parsed.evidence_url);
            put(Column::EvidenceNarrative, parsed.evidence_narrative);
            put(Column::ExternalId, parsed.external_id);
            fields_to_request(achievement, row, fields)
        })
}

fn fields_to_request(achievement: &str, row: u64, mut fields: HashMap<Column, String>) -> InputRow {
    let external_id = fields.get(&Column::ExternalId).cloned();
    let fail = |column: Column, reason: String| RowError {
        row,
        external_id: external_id.clone(),
        column: column.as_str().into(),
        reason,
    };
    let recipient = match (fields.remove(&Column::Email), fields.remove(&Column::Did)) {
        (Some(email), None) => Recipient::Email(email),
        (None, Some(did)) => Recipient::Did(did),
        (Some(_), Some(_)) => {
            return Err(fail(Column::Did, "give an email or a DID, not both".into()))
        }
        (None, None) => return Err(fail(Column::Email, "no email and no DID".into())),
    };
    let completed = match fields.remove(&Column::CompletionDate) {
        Some(text) => parse_completion_date(&text).map_err(|r| fail(Column::CompletionDate, r))?,
        None => return Err(fail(Column::CompletionDate, "missing".into())),
    };
    Ok((
        row,
        IssueRequest {
            achievement: achievement.to_owned(),
            recipient,
            name: fields.remove(&Column::Name),
            completed,
            result: fields.remove(&Column::Result),
            evidence_url: fields.remove(&Column::EvidenceUrl),
            evidence_narrative: fields.remove(&Column::EvidenceNarrative),
            external_id,
            claim_expires: None,
            tx_code: None,
        },
    ))
}

/// Options of a bulk run.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    pub batch_size: usize,
    /// Check every row (and build and validate its credential) but sign and store nothing.
    pub dry_run: bool,
    /// Who runs it (audit log).
    pub actor: String,
    /// Where the rows come from (job record).
    pub source: String,
    /// When the claim links expire.
    pub claim_expires: Option<DateTime<Utc>>,
    /// What to do about the claim links of credentials an earlier run issued.
    pub existing_claims: ExistingClaims,
    /// Whether the credential offers need a transaction code (`None`: `[oid4vci] tx_code`).
    pub tx_code: Option<bool>,
}

/// What a run does about the claim link of a credential an earlier run issued (a re-run of the
/// same rows): by default it mints none, so a learner's link stays the one handed out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ExistingClaims {
    /// Mint no link: the caller kept the earlier ones (the row's outcome carries no link).
    #[default]
    Keep,
    /// Mint no link for these credential ids (the caller has their links); mint one for the
    /// others, whose earlier links stay valid.
    KeepThese(HashSet<String>),
    /// Mint a fresh link and delete every earlier link of the credential (they stop working).
    Replace,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            dry_run: false,
            actor: crate::auth::CLI_ACTOR.into(),
            source: "unknown".into(),
            claim_expires: None,
            existing_claims: ExistingClaims::Keep,
            tx_code: None,
        }
    }
}

/// Live counters of a run, readable from other threads while it runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Rows in the input if known beforehand (0: unknown).
    pub total: AtomicU64,
    pub processed: AtomicU64,
    pub issued: AtomicU64,
    pub existing: AtomicU64,
    pub failed: AtomicU64,
}

impl Progress {
    /// A snapshot of the counters.
    pub fn totals(&self) -> BulkTotals {
        let total = self.total.load(Ordering::Relaxed);
        BulkTotals {
            total_rows: (total > 0).then_some(total),
            processed: self.processed.load(Ordering::Relaxed),
            issued: self.issued.load(Ordering::Relaxed),
            existing: self.existing.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    /// Issued now (or, with `existing`, earlier): the stored credential and a claim link.
    Issued {
        credential_id: String,
        /// The signed credential (JSON text).
        credential: String,
        /// The claim link minted by this run; `None` for an earlier credential whose link was
        /// kept ([`ExistingClaims`]).
        claim_url: Option<String>,
        /// The OpenID4VCI credential offer (by reference) made with `claim_url`.
        credential_offer: Option<String>,
        /// The transaction code that offer needs, if any.
        tx_code: Option<TxCodePin>,
        existing: bool,
        /// The learner's email, only if the issuer keeps emails.
        learner_email: Option<String>,
        /// The learner's name from the input row (printed on `issue --out`'s certificate);
        /// never stored, so `None` for rows without one.
        learner_name: Option<String>,
    },
    /// The row passed every check (dry run: nothing was signed or stored).
    Valid,
    /// Dry run: an earlier run issued this row's credential (a real run would keep it).
    AlreadyIssued {
        credential_id: String,
    },
    Failed {
        column: String,
        reason: String,
    },
}

/// One row's result.
#[derive(Debug, Clone, PartialEq)]
pub struct RowResult {
    pub row: u64,
    pub external_id: Option<String>,
    pub outcome: RowOutcome,
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkSummary {
    pub job_id: String,
    pub totals: BulkTotals,
    pub elapsed: Duration,
}

impl BulkSummary {
    /// Rows processed per second.
    pub fn rows_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.totals.processed as f64 / secs
        } else {
            0.0
        }
    }
}

/// A batch between preparation and commit.
struct PendingBatch {
    /// Results known before signing (failed rows, existing rows), in row order with the rest.
    early: Vec<RowResult>,
    /// Rows being signed: (row, external id, learner name).
    rows: Vec<(u64, Option<String>, Option<String>)>,
    signing: tokio::task::JoinHandle<Vec<Result<Signed, IssueError>>>,
    /// Whether the offers need a transaction code ([`BulkOptions::tx_code`]).
    tx_code: Option<bool>,
}

/// How often a running job says it is alive.
pub const JOB_HEARTBEAT: Duration = Duration::from_secs(15);
/// How long a `running` job may stay silent before a later start marks it `interrupted`.
pub const JOB_SILENCE: Duration = Duration::from_secs(JOB_SILENCE_SECS as u64);
const JOB_SILENCE_SECS: i64 = 90;

/// Marks jobs whose run died (silent for [`JOB_SILENCE`]) as `interrupted`; returns how many.
/// Every command that runs bulk jobs calls it at start (the CLI's `issue`, `serve`), on SQLite
/// and PostgreSQL alike: a job's heartbeat, not the process, decides.
pub async fn mark_interrupted_jobs(issuer: &Issuer) -> Result<u64, IssueError> {
    let silent_since = Utc::now() - chrono::TimeDelta::seconds(JOB_SILENCE_SECS);
    Ok(issuer
        .store()
        .mark_interrupted_bulk_jobs(silent_since)
        .await?)
}

/// Runs a bulk job over `rows` for `achievement` (slug or id). `on_result` sees every row's
/// result once it is final (committed, or failed), in batch order; `progress` is updated as
/// rows finish. Returns an error only for failures that are not a row's fault (the job is then
/// marked failed; what was committed stays committed).
pub async fn run<I, F>(
    issuer: &Arc<Issuer>,
    achievement: &str,
    rows: I,
    options: &BulkOptions,
    progress: &Progress,
    mut on_result: F,
) -> Result<BulkSummary, IssueError>
where
    I: IntoIterator<Item = InputRow>,
    F: FnMut(&RowResult),
{
    let started = Instant::now();
    // Refused before a job exists: no row could be issued.
    issuer.ensure_schema()?;
    let achievement = issuer.achievement(achievement).await?;
    let store = issuer.store();
    let job = store
        .create_bulk_job(
            &achievement.id,
            &options.source,
            &options.actor,
            options.dry_run,
        )
        .await?;
    let heartbeat = {
        let issuer = Arc::clone(issuer);
        let id = job.id.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(JOB_HEARTBEAT);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = issuer.store().touch_bulk_job(&id).await {
                    tracing::warn!(job = %id, error = %e, "cannot record the job's heartbeat");
                }
            }
        })
    };
    let result = run_inner(
        issuer,
        &achievement,
        rows,
        options,
        progress,
        &job.id,
        &mut on_result,
    )
    .await;
    heartbeat.abort();
    let totals = progress.totals();
    match &result {
        Ok(()) => {
            store
                .update_bulk_job(&job.id, totals, BulkJobStatus::Completed, None)
                .await?
        }
        Err(e) => {
            // Internal errors say nothing secret (see IssueError).
            let _ = store
                .update_bulk_job(&job.id, totals, BulkJobStatus::Failed, Some(&e.to_string()))
                .await;
        }
    }
    result?;
    Ok(BulkSummary {
        job_id: job.id,
        totals,
        elapsed: started.elapsed(),
    })
}

async fn run_inner<I, F>(
    issuer: &Arc<Issuer>,
    achievement: &Achievement,
    rows: I,
    options: &BulkOptions,
    progress: &Progress,
    job_id: &str,
    on_result: &mut F,
) -> Result<(), IssueError>
where
    I: IntoIterator<Item = InputRow>,
    F: FnMut(&RowResult),
{
    let batch_size = options.batch_size.max(1);
    let mut rows = rows.into_iter();
    let mut pending: Option<PendingBatch> = None;
    loop {
        let batch: Vec<InputRow> = rows.by_ref().take(batch_size).collect();
        let next = if batch.is_empty() {
            None
        } else {
            Some(prepare_batch(issuer, achievement, batch, options).await?)
        };
        if let Some(previous) = pending.take() {
            finish_batch(issuer, previous, progress, job_id, on_result).await?;
        }
        match next {
            Some(Prepd::Dry(results)) => {
                report(issuer, &results, progress, job_id, on_result).await?;
            }
            Some(Prepd::Signing(batch)) => pending = Some(batch),
            None => break,
        }
    }
    if let Some(previous) = pending.take() {
        finish_batch(issuer, previous, progress, job_id, on_result).await?;
    }
    Ok(())
}

enum Prepd {
    Dry(Vec<RowResult>),
    Signing(PendingBatch),
}

fn failed(row: u64, external_id: Option<String>, e: &IssueError) -> RowResult {
    let (column, reason) = match e {
        IssueError::Invalid { field, reason } => (Column::from_field(field).to_owned(), {
            if Column::from_field(field) == "row" {
                format!("{field}: {reason}")
            } else {
                reason.clone()
            }
        }),
        other => ("row".to_owned(), other.to_string()),
    };
    RowResult {
        row,
        external_id,
        outcome: RowOutcome::Failed { column, reason },
    }
}

async fn prepare_batch(
    issuer: &Arc<Issuer>,
    achievement: &Achievement,
    batch: Vec<InputRow>,
    options: &BulkOptions,
) -> Result<Prepd, IssueError> {
    let now = crate::store::now_seconds();
    let mut early = Vec::new();
    let mut prepared: Vec<(u64, Prepared)> = Vec::with_capacity(batch.len());
    for item in batch {
        match item {
            Err(e) => early.push(RowResult {
                row: e.row,
                external_id: e.external_id,
                outcome: RowOutcome::Failed {
                    column: e.column,
                    reason: e.reason,
                },
            }),
            Ok((row, mut request)) => {
                request.claim_expires = options.claim_expires;
                match issuer.check_request(&request, achievement, now) {
                    Ok(p) => prepared.push((row, p)),
                    Err(e) => early.push(failed(row, request.external_id.clone(), &e)),
                }
            }
        }
    }
    // Skip what an earlier run committed.
    let lookups: Vec<&Prepared> = prepared.iter().map(|(_, p)| p).collect();
    issuer.rekey_before_lookup(&lookups).await?;
    let keys: Vec<(String, Option<String>)> = prepared
        .iter()
        .map(|(_, p)| (p.learner_key.clone(), p.external_id.clone()))
        .collect();
    let existing = issuer
        .store()
        .existing_credentials(&achievement.id, &keys)
        .await?;
    let mut to_sign = Vec::with_capacity(prepared.len());
    for ((row, p), found) in prepared.into_iter().zip(existing) {
        match found {
            Some(credential) if !options.dry_run => {
                let replace = match &options.existing_claims {
                    ExistingClaims::Keep => None,
                    ExistingClaims::KeepThese(ids) if ids.contains(credential.id.as_str()) => None,
                    ExistingClaims::KeepThese(_) => Some(false),
                    ExistingClaims::Replace => Some(true),
                };
                let link = match replace {
                    None => None,
                    Some(replace) => {
                        let tx_code = issuer.new_tx_code(options.tx_code)?;
                        let secrets = issuer
                            .store()
                            .create_claim_with_offer(
                                &credential.id,
                                p.claim_expires,
                                tx_code.as_ref().map(|(_, check)| check),
                                replace,
                            )
                            .await?;
                        Some(issuer.claim_link(
                            &secrets,
                            p.claim_expires,
                            tx_code.map(|(pin, _)| pin),
                        ))
                    }
                };
                let (claim_url, credential_offer, tx_code) = match link {
                    Some(l) => (Some(l.url), Some(l.credential_offer), l.tx_code),
                    None => (None, None, None),
                };
                early.push(RowResult {
                    row,
                    external_id: p.external_id.clone(),
                    outcome: RowOutcome::Issued {
                        credential_id: credential.id.to_string(),
                        claim_url,
                        credential_offer,
                        tx_code,
                        credential: credential.credential,
                        existing: true,
                        learner_email: credential.learner_email,
                        learner_name: p.learner_name.clone(),
                    },
                });
            }
            Some(credential) => early.push(RowResult {
                row,
                external_id: p.external_id.clone(),
                outcome: RowOutcome::AlreadyIssued {
                    credential_id: credential.id.to_string(),
                },
            }),
            None => to_sign.push((row, p)),
        }
    }
    let context = issuer.signing_context();
    if options.dry_run {
        let checked = tokio::task::spawn_blocking(move || {
            on_signing_pool(move || {
                to_sign
                    .into_par_iter()
                    .map(|(row, p)| {
                        let outcome = p.check_only(&context, now);
                        (row, p.external_id.clone(), outcome)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .await
        .map_err(|source| IssueError::Task { source })?;
        for (row, external_id, outcome) in checked {
            early.push(match outcome {
                Ok(()) => RowResult {
                    row,
                    external_id,
                    outcome: RowOutcome::Valid,
                },
                Err(e) => failed(row, external_id, &e),
            });
        }
        early.sort_by_key(|r| r.row);
        return Ok(Prepd::Dry(early));
    }
    let n = to_sign.len();
    let revocation = if n > 0 {
        issuer
            .store()
            .allocate_status_indices(ListPurpose::Revocation, n)
            .await?
    } else {
        Vec::new()
    };
    let suspension: Vec<Option<StatusSlot>> = if n > 0 && issuer.suspension_enabled() {
        issuer
            .store()
            .allocate_status_indices(ListPurpose::Suspension, n)
            .await?
            .into_iter()
            .map(Some)
            .collect()
    } else {
        vec![None; n]
    };
    let rows: Vec<(u64, Option<String>, Option<String>)> = to_sign
        .iter()
        .map(|(row, p)| (*row, p.external_id.clone(), p.learner_name.clone()))
        .collect();
    let actor = options.actor.clone();
    let signing = tokio::task::spawn_blocking(move || {
        on_signing_pool(move || {
            to_sign
                .into_par_iter()
                .zip(revocation)
                .zip(suspension)
                .map(|(((_, p), r), s)| p.sign(&context, r, s, now, &actor))
                .collect::<Vec<_>>()
        })
    });
    Ok(Prepd::Signing(PendingBatch {
        early,
        rows,
        signing,
        tx_code: options.tx_code,
    }))
}

async fn finish_batch<F: FnMut(&RowResult)>(
    issuer: &Arc<Issuer>,
    batch: PendingBatch,
    progress: &Progress,
    job_id: &str,
    on_result: &mut F,
) -> Result<(), IssueError> {
    let signed = batch
        .signing
        .await
        .map_err(|source| IssueError::Task { source })?;
    let mut results = batch.early;
    let mut records = Vec::new();
    let mut record_rows = Vec::new();
    for ((row, external_id, learner_name), outcome) in batch.rows.into_iter().zip(signed) {
        match outcome {
            Ok(mut s) => {
                let tx_code = issuer.new_tx_code(batch.tx_code)?;
                s.record.tx_code = tx_code.as_ref().map(|(_, check)| check.clone());
                records.push(s.record);
                record_rows.push((row, external_id, learner_name, tx_code.map(|(pin, _)| pin)));
            }
            Err(e) if e.is_client_error() => results.push(failed(row, external_id, &e)),
            Err(e) => return Err(e),
        }
    }
    if !records.is_empty() {
        let committed = issuer.store().commit_issued(&records).await?;
        for ((row, external_id, learner_name, tx_code), c) in record_rows.into_iter().zip(committed)
        {
            let existing = matches!(c.inserted, Inserted::Existing(_));
            let credential = match c.inserted {
                Inserted::New(x) | Inserted::Existing(x) => x,
            };
            let secrets = ClaimSecrets {
                claim: c.claim,
                offer: c.offer,
            };
            let link = issuer.claim_link(&secrets, None, tx_code);
            results.push(RowResult {
                row,
                external_id,
                outcome: RowOutcome::Issued {
                    credential_id: credential.id.to_string(),
                    credential: credential.credential,
                    claim_url: Some(link.url),
                    credential_offer: Some(link.credential_offer),
                    tx_code: link.tx_code,
                    existing,
                    learner_email: credential.learner_email,
                    learner_name,
                },
            });
        }
    }
    results.sort_by_key(|r| r.row);
    report(issuer, &results, progress, job_id, on_result).await
}

async fn report<F: FnMut(&RowResult)>(
    issuer: &Arc<Issuer>,
    results: &[RowResult],
    progress: &Progress,
    job_id: &str,
    on_result: &mut F,
) -> Result<(), IssueError> {
    let mut stored = Vec::with_capacity(results.len());
    for r in results {
        let (outcome, credential_id, column, reason) = match &r.outcome {
            RowOutcome::Issued {
                credential_id,
                existing,
                ..
            } => {
                if *existing {
                    progress.existing.fetch_add(1, Ordering::Relaxed);
                } else {
                    progress.issued.fetch_add(1, Ordering::Relaxed);
                }
                (
                    if *existing {
                        BulkRowOutcome::Existing
                    } else {
                        BulkRowOutcome::Issued
                    },
                    Some(credential_id.clone()),
                    None,
                    None,
                )
            }
            RowOutcome::AlreadyIssued { credential_id } => {
                progress.existing.fetch_add(1, Ordering::Relaxed);
                (
                    BulkRowOutcome::Existing,
                    Some(credential_id.clone()),
                    None,
                    None,
                )
            }
            RowOutcome::Valid => {
                progress.processed.fetch_add(1, Ordering::Relaxed);
                on_result(r);
                continue;
            }
            RowOutcome::Failed { column, reason } => {
                progress.failed.fetch_add(1, Ordering::Relaxed);
                (
                    BulkRowOutcome::Failed,
                    None,
                    Some(column.clone()),
                    Some(reason.clone()),
                )
            }
        };
        progress.processed.fetch_add(1, Ordering::Relaxed);
        stored.push(BulkRowResult {
            row: r.row,
            outcome,
            external_id: r.external_id.clone(),
            credential_id,
            column,
            reason,
        });
        on_result(r);
    }
    let store = issuer.store();
    store.record_bulk_rows(job_id, &stored).await?;
    store
        .update_bulk_job(job_id, progress.totals(), BulkJobStatus::Running, None)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_aliases() {
        assert_eq!(Column::from_header(" E-Mail "), Some(Column::Email));
        assert_eq!(Column::from_header("Grade"), Some(Column::Result));
        assert_eq!(Column::from_header("\u{feff}email"), Some(Column::Email));
        assert_eq!(
            Column::from_header("Completion Date"),
            Some(Column::CompletionDate)
        );
        assert_eq!(Column::from_header("surname"), None);
    }

    #[test]
    fn csv_rows_are_checked_column_by_column() {
        let csv = "email,name,completion_date,grade,external_id\n\
                   ada@example.org,Ada,2026-03-01,A,e1\n\
                   bob@example.org,Bob,yesterday,B,e2\n\
                   ,Nobody,2026-03-01,,e3\n\
                   carol@example.org,Carol\n";
        let rows: Vec<InputRow> = CsvRows::new(csv.as_bytes(), "data-101").unwrap().collect();
        assert_eq!(rows.len(), 4);
        let (row, request) = rows[0].clone().unwrap();
        assert_eq!(row, 1);
        assert_eq!(
            request.recipient,
            Recipient::Email("ada@example.org".into())
        );
        assert_eq!(request.result.as_deref(), Some("A"));
        let e = rows[1].clone().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (2, "completion_date"));
        assert_eq!(e.external_id.as_deref(), Some("e2"));
        let e = rows[2].clone().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (3, "email"));
        let e = rows[3].clone().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (4, "row"));
    }

    #[test]
    fn bad_headers_are_refused() {
        for header in [
            "name,completion_date\n",
            "email,name\n",
            "email,completion_date,surname\n",
            "email,mail,completion_date\n",
        ] {
            assert!(
                matches!(
                    CsvRows::new(header.as_bytes(), "x"),
                    Err(InputError::Header { .. })
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn json_lines() {
        let text = "{\"email\":\"ada@example.org\",\"completion_date\":\"2026-03-01\"}\n\n\
                    {\"email\":\"x@example.org\",\"surname\":\"no\"}\n";
        let rows: Vec<InputRow> = json_lines_rows(text, "data-101").collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_ok());
        assert_eq!(rows[1].clone().unwrap_err().row, 2);
    }
}
