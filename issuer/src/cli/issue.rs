//! `passerelle-issuer issue --achievement SLUG --csv FILE [--out DIR] [--dry-run]`: bulk
//! issuance over [`passerelle_issuer::bulk`], with a progress bar on a terminal, an error CSV
//! for the rows that failed, and (with `--out`) per-learner files.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use passerelle_issuer::artifacts::{self, BadgeImages};
use passerelle_issuer::bulk::{self, BulkOptions, CsvRows, Progress, RowOutcome, RowResult};
use passerelle_issuer::issuance::CLI_ACTOR;

/// What `issue` was asked to do.
#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// The achievement's slug (see `achievement list`).
    #[arg(long)]
    pub achievement: String,
    /// The completions: a CSV with a header row (email or did, name, completion_date, and
    /// optionally result/grade, evidence_url, evidence_narrative, external_id).
    #[arg(long)]
    pub csv: PathBuf,
    /// Write per learner the credential JSON, baked PNG and SVG badges and a claim QR code,
    /// and claims.csv with every claim link.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Check every row (and the credential it would make) but sign and store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Claim links expire after this many days (default: never).
    #[arg(long)]
    pub claim_days: Option<u32>,
    /// Rows per database transaction.
    #[arg(long, default_value_t = bulk::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Read the key passphrase from the first line of standard input.
    #[arg(long)]
    pub passphrase_stdin: bool,
}

/// Error CSV writer, created on the first failed row.
struct ErrorFile {
    path: PathBuf,
    writer: Option<csv::Writer<fs::File>>,
}

impl ErrorFile {
    fn write(&mut self, r: &RowResult, column: &str, reason: &str) -> Result<()> {
        if self.writer.is_none() {
            let mut w = csv::Writer::from_path(&self.path)
                .with_context(|| format!("cannot create {}", self.path.display()))?;
            w.write_record(["row", "external_id", "column", "reason"])?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_record([
                r.row.to_string().as_str(),
                r.external_id.as_deref().unwrap_or(""),
                column,
                reason,
            ])?;
        }
        Ok(())
    }
}

/// Per-learner output files.
struct OutDir {
    dir: PathBuf,
    images: BadgeImages,
    claims: csv::Writer<fs::File>,
    with_email: bool,
}

impl OutDir {
    fn write(&mut self, r: &RowResult) -> Result<()> {
        let RowOutcome::Issued {
            credential_id,
            credential,
            claim_url,
            existing,
            learner_email,
        } = &r.outcome
        else {
            return Ok(());
        };
        let uuid = credential_id.trim_start_matches("urn:uuid:");
        let stem = format!("{:06}-{uuid}", r.row);
        let path = |ext: &str| self.dir.join(format!("{stem}{ext}"));
        fs::write(path(".json"), credential)?;
        let baked = artifacts::bake(&self.images, credential)
            .with_context(|| format!("row {}: cannot bake the badge", r.row))?;
        fs::write(path(".png"), &baked.png)?;
        fs::write(path(".svg"), &baked.svg)?;
        fs::write(path("-claim-qr.svg"), artifacts::qr_svg(claim_url)?)?;
        let row = r.row.to_string();
        let state = if *existing { "existing" } else { "issued" };
        let mut record = vec![
            row.as_str(),
            r.external_id.as_deref().unwrap_or(""),
            credential_id.as_str(),
            state,
            claim_url.as_str(),
            stem.as_str(),
        ];
        if self.with_email {
            record.push(learner_email.as_deref().unwrap_or(""));
        }
        self.claims.write_record(&record)?;
        Ok(())
    }
}

pub fn issue(dir: &Path, args: IssueArgs) -> Result<ExitCode> {
    // First pass: count the rows (for the ETA) and check the header before opening anything.
    let total = count_rows(&args.csv)?;
    let file =
        fs::File::open(&args.csv).with_context(|| format!("cannot open {}", args.csv.display()))?;
    let rows = CsvRows::new(io::BufReader::new(file), &args.achievement)
        .with_context(|| format!("{} cannot be used", args.csv.display()))?;
    let error_path = match &args.out {
        Some(out) => out.join("errors.csv"),
        None => {
            let mut name = args.csv.clone().into_os_string();
            name.push(".errors.csv");
            PathBuf::from(name)
        }
    };
    // A stale error file from an earlier run would mislead.
    if error_path.exists() {
        fs::remove_file(&error_path)
            .with_context(|| format!("cannot replace {}", error_path.display()))?;
    }
    let mut errors = ErrorFile {
        path: error_path.clone(),
        writer: None,
    };
    let claim_expires = args
        .claim_days
        .map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));

    super::runtime()?.block_on(async {
        let issuer = Arc::new(super::unlock::open_issuer(dir, args.passphrase_stdin).await?);
        let interrupted = bulk::mark_interrupted_jobs(&issuer).await?;
        if interrupted > 0 {
            eprintln!(
                "note: {interrupted} earlier bulk job(s) had died without finishing (killed or \
                 crashed) and are now marked interrupted; run them again to finish (nothing is \
                 issued twice)"
            );
        }
        issuer.ensure_schema()?;
        if !issuer.has_ob_schema() {
            eprintln!(
                "WARNING: credentials are issued WITHOUT the OB 3.0 JSON Schema check \
                 (require_ob_schema = false in issuer.toml)"
            );
        }
        let achievement = issuer
            .achievement(&args.achievement)
            .await
            .with_context(|| {
                format!(
                    "no achievement {:?} (see `passerelle-issuer achievement list`)",
                    args.achievement
                )
            })?;
        let mut out = match (&args.out, args.dry_run) {
            (Some(path), false) => {
                fs::create_dir_all(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let images = artifacts::badge_images(&achievement.definition)?;
                let claims_path = path.join("claims.csv");
                let fresh = !claims_path.exists();
                let claims_file = fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&claims_path)
                    .with_context(|| format!("cannot open {}", claims_path.display()))?;
                let mut claims = csv::Writer::from_writer(claims_file);
                let with_email = issuer.config().issuance.keep_learner_emails;
                if fresh {
                    let mut header = vec![
                        "row",
                        "external_id",
                        "credential_id",
                        "state",
                        "claim_url",
                        "files",
                    ];
                    if with_email {
                        header.push("email");
                    }
                    claims.write_record(&header)?;
                }
                Some(OutDir {
                    dir: path.clone(),
                    images,
                    claims,
                    with_email,
                })
            }
            _ => None,
        };

        let progress = Progress::default();
        progress.total.store(total, Ordering::Relaxed);
        let bar = if io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} rows  {per_sec}  ETA {eta}  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            Some(bar)
        } else {
            None
        };
        let options = BulkOptions {
            batch_size: args.batch_size,
            dry_run: args.dry_run,
            actor: CLI_ACTOR.into(),
            source: args.csv.display().to_string(),
            claim_expires,
        };
        let mut write_error: Option<anyhow::Error> = None;
        let result = bulk::run(&issuer, &args.achievement, rows, &options, &progress, |r| {
            if write_error.is_some() {
                return;
            }
            let written = match &r.outcome {
                RowOutcome::Failed { column, reason } => errors.write(r, column, reason),
                RowOutcome::Issued { .. } => match out.as_mut() {
                    Some(o) => o.write(r),
                    None => Ok(()),
                },
                RowOutcome::Valid => Ok(()),
            };
            if let Err(e) = written {
                write_error = Some(e);
            }
            if let Some(bar) = &bar {
                bar.inc(1);
                bar.set_message(format!(
                    "{} failed",
                    progress.failed.load(Ordering::Relaxed)
                ));
            }
        })
        .await;
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        if let Some(w) = errors.writer.as_mut() {
            w.flush()?;
        }
        if let Some(o) = out.as_mut() {
            o.claims.flush()?;
        }
        issuer.store().close().await;
        let summary = result?;
        if let Some(e) = write_error {
            return Err(e.context("the credentials were issued, but writing an output file failed"));
        }
        let t = summary.totals;
        let verb = if args.dry_run {
            "valid (dry run, nothing issued)"
        } else {
            "issued"
        };
        let valid = if args.dry_run {
            t.processed - t.failed
        } else {
            t.issued
        };
        eprintln!(
            "{valid} {verb}, {} already issued, {} failed, in {:.1}s ({:.0} rows/s); job {}",
            t.existing,
            t.failed,
            summary.elapsed.as_secs_f64(),
            summary.rows_per_second(),
            summary.job_id
        );
        if t.failed > 0 {
            eprintln!("the failed rows and why: {}", error_path.display());
            let _ = io::stderr().flush();
            return Ok(ExitCode::from(1));
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Data rows in the CSV (a quick pass that also catches an unreadable file early).
fn count_rows(path: &Path) -> Result<u64> {
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(io::BufReader::new(file));
    let mut record = csv::ByteRecord::new();
    let mut n = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => n += 1,
            Ok(false) => break,
            // Counted anyway: the main pass reports the row.
            Err(_) => n += 1,
        }
        if n > 100_000_000 {
            bail!(
                "{} has more than 100 million rows; split it",
                path.display()
            );
        }
    }
    Ok(n)
}
