//! `passerelle-issuer issue --achievement SLUG --csv FILE [--out DIR] [--dry-run]`: bulk
//! issuance over [`passerelle_issuer::bulk`], with a progress bar on a terminal, an error CSV
//! for the rows that failed, and (with `--out`) per-learner files.

use std::collections::HashMap;
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
use passerelle_issuer::auth::CLI_ACTOR;
use passerelle_issuer::bulk::{
    self, BulkOptions, CsvRows, ExistingClaims, Progress, RowOutcome, RowResult,
};
use passerelle_issuer::certificate::{self, CertificateInput, CertificateLabels, Paper};

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
    /// Write per learner the credential JSON, baked PNG and SVG badges, a claim QR code, a
    /// credential offer QR code (for an OpenID4VCI wallet) and a printable certificate (SVG,
    /// with the name from the CSV and a QR code of the signed credential), and claims.csv with
    /// every claim link, credential offer and transaction code.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The certificates' paper size with --out: a4 or letter.
    #[arg(long, default_value = "a4")]
    pub paper: Paper,
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
    /// Give credentials issued by an earlier run a new claim link; their old links stop
    /// working. Without it, a re-run keeps each learner's link (from DIR/claims.csv).
    #[arg(long)]
    pub new_claim_links: bool,
    /// Give every credential offer a transaction code (a 6-digit PIN, written to claims.csv,
    /// that the wallet asks for): deliver it to the learner on another channel than the offer.
    /// Default: `[oid4vci] tx_code` in issuer.toml.
    #[arg(long, conflicts_with = "no_tx_code")]
    pub tx_code: bool,
    /// No transaction code, whatever `[oid4vci] tx_code` says.
    #[arg(long)]
    pub no_tx_code: bool,
}

impl IssueArgs {
    /// `--tx-code` / `--no-tx-code`, or the config's default.
    fn tx_code(&self) -> Option<bool> {
        match (self.tx_code, self.no_tx_code) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// Error CSV writer, created on the first failed row: a temporary file in the same directory,
/// renamed over the error file when the run ends (a reader never sees half a file).
struct ErrorFile {
    path: PathBuf,
    writer: Option<csv::Writer<tempfile::NamedTempFile>>,
}

impl ErrorFile {
    fn write(&mut self, r: &RowResult, column: &str, reason: &str) -> Result<()> {
        if self.writer.is_none() {
            let temp = temp_beside(&self.path)?;
            let mut w = csv::Writer::from_writer(temp);
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

    /// Puts the errors of this run in place (or removes a stale file when there were none).
    fn finish(self) -> Result<()> {
        match self.writer {
            Some(w) => persist(w, &self.path),
            None if self.path.exists() => fs::remove_file(&self.path)
                .with_context(|| format!("cannot remove the stale {}", self.path.display())),
            None => Ok(()),
        }
    }
}

/// A temporary file (mode 0600) in `path`'s directory, to be renamed over `path`.
fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new(".")))
        .with_context(|| format!("cannot create a temporary file beside {}", path.display()))
}

/// Flushes `w` and renames its temporary file over `path`.
fn persist(w: csv::Writer<tempfile::NamedTempFile>, path: &Path) -> Result<()> {
    let temp = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error()))?;
    temp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// One line of claims.csv.
#[derive(Debug, Clone)]
struct ClaimLine {
    row: String,
    external_id: String,
    credential_id: String,
    state: String,
    claim_url: String,
    /// `openid-credential-offer://?credential_offer_uri=…` made with the claim link.
    credential_offer: String,
    /// The offer's transaction code, if it needs one.
    tx_code: String,
    files: String,
    email: String,
}

/// The lines of an earlier run's claims.csv, one per credential (the last line wins: files
/// written before re-runs were clean hold one line per run). Missing file: none.
fn read_claims(path: &Path) -> Result<Vec<ClaimLine>> {
    let mut reader = match csv::Reader::from_path(path) {
        Ok(r) => r,
        Err(e) if matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::NotFound) => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let headers = reader
        .headers()
        .with_context(|| format!("cannot read {}", path.display()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(id_col), Some(url_col)) = (column("credential_id"), column("claim_url")) else {
        bail!(
            "{} has no credential_id and claim_url columns; move it away to start afresh",
            path.display()
        );
    };
    let cols = [
        column("row"),
        column("external_id"),
        column("state"),
        column("files"),
        column("email"),
        column("credential_offer"),
        column("tx_code"),
    ];
    let mut lines: Vec<ClaimLine> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{} line {}", path.display(), n + 2))?;
        let field = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").to_owned();
        let line = ClaimLine {
            row: field(cols[0]),
            external_id: field(cols[1]),
            credential_id: field(Some(id_col)),
            state: field(cols[2]),
            claim_url: field(Some(url_col)),
            credential_offer: field(cols[5]),
            tx_code: field(cols[6]),
            files: field(cols[3]),
            email: field(cols[4]),
        };
        if line.credential_id.is_empty() {
            continue;
        }
        match index.get(&line.credential_id) {
            Some(&i) => lines[i] = line,
            None => {
                index.insert(line.credential_id.clone(), lines.len());
                lines.push(line);
            }
        }
    }
    Ok(lines)
}

/// Per-learner output files, and claims.csv rewritten with one line per credential.
struct OutDir {
    dir: PathBuf,
    images: BadgeImages,
    paper: Paper,
    /// Certificates whose QR code holds the claim link (the credential was too large for one).
    certificates_without_qr: u64,
    with_email: bool,
    /// The earlier run's lines, by credential id.
    earlier: HashMap<String, ClaimLine>,
    /// This run's lines, in row order.
    lines: Vec<ClaimLine>,
}

impl OutDir {
    fn write(&mut self, r: &RowResult) -> Result<()> {
        let RowOutcome::Issued {
            credential_id,
            credential,
            claim_url,
            credential_offer,
            tx_code,
            existing,
            learner_email,
            learner_name,
        } = &r.outcome
        else {
            return Ok(());
        };
        let earlier = self.earlier.remove(credential_id);
        let url = match (claim_url, &earlier) {
            (Some(url), _) => url.clone(),
            (None, Some(line)) => line.claim_url.clone(),
            (None, None) => bail!(
                "row {}: {credential_id} was issued earlier and its claim link is not in claims.csv",
                r.row
            ),
        };
        // With a kept link, the offer made with it (earlier runs' files may have none).
        let (offer, pin) = match (credential_offer, &earlier) {
            (Some(offer), _) => (
                offer.clone(),
                tx_code
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default(),
            ),
            (None, Some(line)) => (line.credential_offer.clone(), line.tx_code.clone()),
            (None, None) => (String::new(), String::new()),
        };
        let uuid = credential_id.trim_start_matches("urn:uuid:");
        let stem = match &earlier {
            Some(line) if !line.files.is_empty() => line.files.clone(),
            _ => format!("{:06}-{uuid}", r.row),
        };
        let path = |ext: &str| self.dir.join(format!("{stem}{ext}"));
        fs::write(path(".json"), credential)?;
        let baked = artifacts::bake(&self.images, credential)
            .with_context(|| format!("row {}: cannot bake the badge", r.row))?;
        fs::write(path(".png"), &baked.png)?;
        fs::write(path(".svg"), &baked.svg)?;
        fs::write(path("-claim-qr.svg"), artifacts::qr_svg(&url)?)?;
        if !offer.is_empty() {
            fs::write(path("-offer-qr.svg"), artifacts::qr_svg(&offer)?)?;
        }
        let input = CertificateInput::from_credential(credential, learner_name.as_deref());
        if passerelle_core::qr::payload_for(credential, None).is_err() {
            self.certificates_without_qr += 1;
        }
        let page = certificate::render(&input, self.paper, &CertificateLabels::default())
            .with_context(|| format!("row {}: cannot make the certificate", r.row))?;
        fs::write(path("-certificate.svg"), page)?;
        let state = match (existing, claim_url) {
            (false, _) => "issued",
            (true, None) => "existing",
            (true, Some(_)) => "existing-new-link",
        };
        self.lines.push(ClaimLine {
            row: r.row.to_string(),
            external_id: r.external_id.clone().unwrap_or_default(),
            credential_id: credential_id.clone(),
            state: state.into(),
            claim_url: url,
            credential_offer: offer,
            tx_code: pin,
            files: stem,
            email: learner_email.clone().unwrap_or_default(),
        });
        Ok(())
    }

    /// Writes claims.csv (mode 0600: it holds the claim links) through a temporary file: this
    /// run's credentials in row order, then those of earlier runs that this CSV no longer
    /// names (their links still work).
    fn finish(self) -> Result<()> {
        let path = self.dir.join("claims.csv");
        let mut w = csv::Writer::from_writer(temp_beside(&path)?);
        let mut header = vec![
            "row",
            "external_id",
            "credential_id",
            "state",
            "claim_url",
            "files",
            "credential_offer",
            "tx_code",
        ];
        if self.with_email {
            header.push("email");
        }
        w.write_record(&header)?;
        let mut rest: Vec<ClaimLine> = self.earlier.into_values().collect();
        rest.sort_by(|a, b| a.files.cmp(&b.files));
        for line in self.lines.iter().chain(&rest) {
            let mut record = vec![
                line.row.as_str(),
                line.external_id.as_str(),
                line.credential_id.as_str(),
                line.state.as_str(),
                line.claim_url.as_str(),
                line.files.as_str(),
                line.credential_offer.as_str(),
                line.tx_code.as_str(),
            ];
            if self.with_email {
                record.push(line.email.as_str());
            }
            w.write_record(&record)?;
        }
        persist(w, &path)
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
    // A stale error file from an earlier run would mislead: replaced (or removed) at the end.
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
        let mut existing_claims = ExistingClaims::Keep;
        let mut out = match (&args.out, args.dry_run) {
            (Some(path), false) => {
                fs::create_dir_all(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let images = artifacts::badge_images(&achievement.definition)?;
                let earlier: HashMap<String, ClaimLine> = read_claims(&path.join("claims.csv"))?
                    .into_iter()
                    .map(|l| (l.credential_id.clone(), l))
                    .collect();
                existing_claims = if args.new_claim_links {
                    ExistingClaims::Replace
                } else {
                    ExistingClaims::KeepThese(
                        earlier
                            .values()
                            .filter(|l| !l.claim_url.is_empty())
                            .map(|l| l.credential_id.clone())
                            .collect(),
                    )
                };
                Some(OutDir {
                    dir: path.clone(),
                    images,
                    paper: args.paper,
                    certificates_without_qr: 0,
                    with_email: issuer.config().issuance.keep_learner_emails,
                    earlier,
                    lines: Vec::new(),
                })
            }
            (None, false) if args.new_claim_links => bail!(
                "--new-claim-links needs --out DIR: the new links are written to DIR/claims.csv \
                 (the old ones stop working)"
            ),
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
            existing_claims,
            tx_code: args.tx_code(),
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
                RowOutcome::Valid | RowOutcome::AlreadyIssued { .. } => Ok(()),
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
        let mut renewed = 0u64;
        if let Some(o) = &out {
            renewed = o
                .lines
                .iter()
                .filter(|l| l.state == "existing-new-link")
                .count() as u64;
            if o.certificates_without_qr > 0 {
                eprintln!(
                    "note: {} certificate(s) have no QR code: the credential is too large for \
                     one (e.g. a large embedded image); they say to verify the credential file",
                    o.certificates_without_qr
                );
            }
        }
        let finished = errors
            .finish()
            .and_then(|()| out.map_or(Ok(()), OutDir::finish));
        issuer.store().close().await;
        let summary = result?;
        if let Some(e) = write_error.or(finished.err()) {
            return Err(e.context("the credentials were issued, but writing an output file failed"));
        }
        let t = summary.totals;
        let rows = if t.processed == 1 { "row" } else { "rows" };
        if args.dry_run {
            eprintln!(
                "{} {rows}: {} valid (dry run, nothing issued), {} already issued, {} refused; job {}",
                t.processed,
                t.processed - t.failed - t.existing,
                t.existing,
                t.failed,
                summary.job_id
            );
        } else {
            let links = if args.new_claim_links {
                format!(
                    "{renewed} given new claim links: their old links no longer work"
                )
            } else {
                "kept their claim links".to_owned()
            };
            eprintln!(
                "{} {rows}: {} issued, {} already issued ({links}), {} refused, in {:.1}s ({:.0} rows/s); job {}",
                t.processed,
                t.issued,
                t.existing,
                t.failed,
                summary.elapsed.as_secs_f64(),
                summary.rows_per_second(),
                summary.job_id
            );
        }
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
