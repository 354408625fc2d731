//! `passerelle-verifier` — the verifier's command line. Thin glue over `passerelle-core` and the
//! verifier library:
//! - `verify FILE` reads the files it is given in place of what a service would fetch, takes the
//!   clock, and prints the report. Exit code 0 = verified, 1 = not verified (or incomplete),
//!   2 = bad input or usage.
//! - `serve` starts the web page and API (see `passerelle_verifier::server`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use passerelle_core::did::Did;
use passerelle_core::trust::TrustRegistries;
use passerelle_core::verify::{self, CheckOptions, Fetched};
use passerelle_core::{input, schema};
use passerelle_verifier::batch;
use passerelle_verifier::challenge::{self, Challenges, ReplaySet};
use passerelle_verifier::fetch::{FetchPolicy, Fetcher};
use passerelle_verifier::server::{self, AppState};
use passerelle_verifier::service::Service;

/// mimalloc instead of the system allocator: JSON-LD processing allocates heavily, and
/// verifying eddsa-rdfc-2022 runs faster with it (BENCHMARKS.md, "The allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[derive(Parser)]
#[command(
    name = "passerelle-verifier",
    version,
    about = "Verify Open Badges 3.0 and other W3C Verifiable Credentials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What `verify` and `batch` use instead of fetching.
#[derive(clap::Args)]
struct OfflineArgs {
    /// Check validity dates against this moment (RFC 3339) instead of now.
    #[arg(long)]
    now: Option<String>,
    /// A status list credential to use, as FILE (matched by its `id`) or URL=FILE (used for
    /// the status list URL a credential names). Repeatable.
    #[arg(long = "status-list", value_name = "[URL=]FILE")]
    status_lists: Vec<String>,
    /// A DID document to use for did:web keys (matched by its `id`). Repeatable.
    #[arg(long = "did-document", value_name = "FILE")]
    did_documents: Vec<PathBuf>,
    /// A directory of JSON Schemas (matched by `$id`, or by file name: the last segment of the
    /// URL a credential cites) for credentials that name one.
    #[arg(long)]
    schema_dir: Option<PathBuf>,
    /// Let a presentation be verified without --challenge (a warning then says it could be
    /// a replay). Without it, an unchallenged presentation is at best incomplete.
    #[arg(long)]
    allow_unchallenged_presentations: bool,
    /// A trust registry (our JSON format or the DCC issuer registry). Repeatable.
    #[arg(long = "trust", value_name = "FILE")]
    trust: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a credential or presentation (JSON), a compact JWS, an enveloped credential, a
    /// baked PNG or SVG, an image of a QR code or QR text (VC2:…, VC1:… or VP1-…), offline.
    Verify {
        /// The file to verify; `-` reads standard input.
        file: PathBuf,
        /// Print the JSON report instead of the table.
        #[arg(long)]
        json: bool,
        /// For a presentation: the challenge it must answer.
        #[arg(long)]
        challenge: Option<String>,
        /// For a presentation: the domain it must be bound to.
        #[arg(long)]
        domain: Option<String>,
        #[command(flatten)]
        offline: OfflineArgs,
    },
    /// Verify many credentials offline, on every core: JSON Lines in (one credential,
    /// presentation or compact JWS per line), one JSON line out per input line, in order:
    /// {"line", "id", "verdict", "failed", "not_checked"} (and "error" for a line that is not a
    /// credential). A summary goes to standard error. Exit 0 only if every line verified.
    Batch {
        /// The JSON Lines file; `-` reads standard input.
        file: PathBuf,
        /// Verification threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        offline: OfflineArgs,
    },
    /// Serve the verification page and API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// A trust registry (our JSON format or the DCC issuer registry). Repeatable.
        #[arg(long = "trust", value_name = "FILE")]
        trust: Vec<PathBuf>,
        /// The domain presentations must be bound to (`proof.domain`).
        #[arg(long, default_value = "localhost")]
        domain: String,
        /// Allow fetching from loopback, private and link-local addresses (tests, intranets).
        #[arg(long)]
        allow_private_network: bool,
        /// Allow plain http URLs for DID documents, status lists and QR links.
        #[arg(long)]
        allow_http: bool,
        /// How long fetched status lists and DID documents are reused, in seconds.
        #[arg(long, default_value_t = 300)]
        cache_ttl: u64,
        /// Timeout of each fetch, in seconds.
        #[arg(long, default_value_t = 5)]
        fetch_timeout: u64,
        /// An extra trusted root certificate (PEM) for issuers behind a private CA. Repeatable.
        #[arg(long = "ca-cert", value_name = "FILE")]
        ca_certs: Vec<PathBuf>,
        /// Let presentations be verified without a challenge issued here (a warning then says
        /// they could be replays). Without it, they are at best incomplete.
        #[arg(long)]
        allow_unchallenged_presentations: bool,
        /// The file of the secret that signs challenges (hex; created with mode 0600 if
        /// missing). Instances behind one load balancer share it (or
        /// PASSERELLE_VERIFIER_CHALLENGE_SECRET). Without either, a per-process secret.
        #[arg(long, value_name = "FILE")]
        challenge_secret_file: Option<PathBuf>,
        /// Where used challenges are recorded: `memory` (this process) or a `postgres://` URL
        /// that every instance shares.
        #[arg(long, default_value = "memory", value_name = "memory|postgres://…")]
        challenge_store: String,
        /// Memory, in MiB, image decoding (QR scans, uploaded images) may take in all: each
        /// image may take 128 MiB, 128 MiB are kept for the rest of the service, and images
        /// beyond the slots this leaves are refused with 503 and Retry-After.
        #[arg(long, default_value_t = 512, value_name = "MiB")]
        decode_memory_mb: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `passerelle-verifier verify … | head` ends quietly, as other Unix tools do, instead of
    // panicking on the closed pipe; the service keeps Rust's default.
    if !matches!(cli.command, Command::Serve { .. }) {
        sigpipe::reset();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "error: {}",
                passerelle_core::error_text::error_chain(e.as_ref())
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            bind,
            trust,
            domain,
            allow_private_network,
            allow_http,
            cache_ttl,
            fetch_timeout,
            ca_certs,
            allow_unchallenged_presentations,
            challenge_secret_file,
            challenge_store,
            decode_memory_mb,
        } => {
            let mut extra_root_certificates = Vec::new();
            for path in &ca_certs {
                extra_root_certificates.push(
                    fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
                );
            }
            let policy = FetchPolicy {
                allow_private_network,
                allow_http,
                timeout: Duration::from_secs(fetch_timeout),
                cache_ttl: Duration::from_secs(cache_ttl),
                extra_root_certificates,
                ..FetchPolicy::default()
            };
            let challenges = ChallengeSetup {
                secret_file: challenge_secret_file,
                store: challenge_store,
                allow_unchallenged: allow_unchallenged_presentations,
            };
            let decode_memory = decode_memory_mb.saturating_mul(1024 * 1024);
            serve(
                &bind,
                load_trust(&trust)?,
                domain,
                policy,
                challenges,
                decode_memory,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        verify @ Command::Verify { .. } => run_verify(verify),
        batch @ Command::Batch { .. } => run_batch(batch),
    }
}

/// How `serve` signs and records challenges.
struct ChallengeSetup {
    secret_file: Option<PathBuf>,
    store: String,
    allow_unchallenged: bool,
}

/// The challenge secret: the environment variable, else the file (created if missing), else a
/// per-process one. Never printed.
fn challenge_secret(file: Option<&Path>) -> Result<Vec<u8>> {
    if let Ok(value) = std::env::var(challenge::SECRET_ENV) {
        return Ok(challenge::secret_from_env_value(&value)?);
    }
    match file {
        Some(path) => Ok(challenge::load_or_create_secret(path)?),
        None => {
            eprintln!(
                "note: challenges are signed with a secret of this process only; give \
                 --challenge-secret-file or {} to share them across instances",
                challenge::SECRET_ENV
            );
            let mut secret = vec![0u8; challenge::SECRET_BYTES];
            getrandom::fill(&mut secret)
                .map_err(|e| anyhow::anyhow!("randomness is unavailable: {e}"))?;
            Ok(secret)
        }
    }
}

fn serve(
    bind: &str,
    trust: TrustRegistries,
    domain: String,
    policy: FetchPolicy,
    setup: ChallengeSetup,
    decode_memory: u64,
) -> Result<()> {
    let fetcher = Fetcher::new(policy).context("cannot set up the HTTP client")?;
    let catalogues = passerelle_verifier::i18n::builtin().context("built-in message catalogues")?;
    let secret = challenge_secret(setup.secret_file.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let replay = match setup.store.as_str() {
        "memory" => ReplaySet::memory(),
        url if url.starts_with("postgres://") || url.starts_with("postgresql://") => runtime
            .block_on(ReplaySet::postgres(url))
            .context("--challenge-store")?,
        other => bail!(
            "--challenge-store must be `memory` or a postgres:// URL, not {:?}",
            other.split('@').next_back().unwrap_or_default()
        ),
    };
    let challenges = Challenges::new(secret, replay, server::CHALLENGE_TTL);
    let state = Arc::new(
        AppState::new(
            Service::new(fetcher, trust).with_decode_memory(decode_memory),
            catalogues,
            domain,
            challenges,
        )
        .allow_unchallenged(setup.allow_unchallenged),
    );
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        let address = listener.local_addr().context("listening address")?;
        // The one line a script or test waits for.
        println!("passerelle-verifier listening on http://{address}/");
        axum::serve(listener, server::router(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("server stopped")
    })
}

/// Reads the trust registries named on the command line.
fn load_trust(paths: &[PathBuf]) -> Result<TrustRegistries> {
    let limits = input::InputLimits::default();
    let mut trust = TrustRegistries::new();
    for path in paths {
        let document = read_json(path, &limits)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        trust
            .load(&document, &name)
            .with_context(|| format!("trust registry {}", path.display()))?;
    }
    Ok(trust)
}

/// The offline inputs of `verify` and `batch`, read from their files.
struct Offline {
    now: chrono::DateTime<chrono::Utc>,
    fetched: Fetched,
    trust: Option<Arc<TrustRegistries>>,
    allow_unchallenged: bool,
    /// `--schema-dir`'s schemas by file name, not yet filed under a cited URL.
    schema_files: std::collections::HashMap<String, serde_json::Value>,
}

impl Offline {
    fn load(args: OfflineArgs, limits: &input::InputLimits) -> Result<Self> {
        let trust = if args.trust.is_empty() {
            None
        } else {
            Some(Arc::new(load_trust(&args.trust)?))
        };
        let now = match &args.now {
            Some(text) => chrono::DateTime::parse_from_rfc3339(text)
                .with_context(|| format!("--now {text:?} is not an RFC 3339 date-time"))?
                .with_timezone(&chrono::Utc),
            None => chrono::Utc::now(),
        };
        let mut fetched = Fetched::default();
        for spec in &args.status_lists {
            let (url, path) = match spec.split_once('=') {
                Some((url, path)) if url.contains("://") => {
                    (Some(url.to_owned()), PathBuf::from(path))
                }
                _ => (None, PathBuf::from(spec)),
            };
            let document = read_json(&path, limits)?;
            let url = match url {
                Some(url) => url,
                None => document
                    .get("id")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .with_context(|| {
                        format!(
                            "status list {} has no `id`; give it as URL={}",
                            path.display(),
                            path.display()
                        )
                    })?,
            };
            let provenance = format!("from the local file {}", path.display());
            fetched.add_status_list(&url, document, &provenance);
        }
        for path in &args.did_documents {
            let document = read_json(path, limits)?;
            let id = document
                .get("id")
                .and_then(|v| v.as_str())
                .with_context(|| format!("DID document {} has no `id`", path.display()))?;
            let did = Did::parse(id).with_context(|| format!("DID document {}", path.display()))?;
            fetched.did_documents.insert(&did, document);
        }
        let schema_files = match &args.schema_dir {
            Some(dir) => load_schemas(dir, limits, &mut fetched.schemas)?,
            None => Default::default(),
        };
        Ok(Self {
            now,
            fetched,
            trust,
            allow_unchallenged: args.allow_unchallenged_presentations,
            schema_files,
        })
    }

    fn adopt_cited_schemas(&mut self, presented: &verify::Presented) -> Result<()> {
        batch::file_cited_schemas(presented, &mut self.fetched, &self.schema_files)
            .context("a schema of --schema-dir cannot be used for the URL the credential cites")
    }

    fn options(&self, challenge: Option<String>, domain: Option<String>) -> CheckOptions {
        CheckOptions {
            challenge,
            domain,
            allow_unchallenged: self.allow_unchallenged,
            trust: self.trust.clone(),
        }
    }
}

fn run_verify(command: Command) -> Result<ExitCode> {
    let Command::Verify {
        file,
        json,
        challenge,
        domain,
        offline,
    } = command
    else {
        bail!("not a verify command");
    };
    let limits = input::InputLimits::default();
    let mut offline = Offline::load(offline, &limits)?;
    let bytes = read_input(&file, verify::MAX_INPUT_BYTES)?;
    let presented = match verify::recognise(&bytes, &limits)
        .with_context(|| format!("cannot read {} as a credential", file.display()))?
    {
        verify::Recognised::Document(recovered) => recovered.presented,
        verify::Recognised::Link { url, from } => bail!(
            "{}: the {from} is a link ({url}); `verify` works offline — fetch the document and \
             verify the file, or use `serve` / POST /api/v1/verify, which follow the link",
            file.display()
        ),
    };
    offline.adopt_cited_schemas(&presented)?;
    let fetched = &mut offline.fetched;
    let needs = verify::needs(&presented, fetched);
    for need in &needs.did_documents {
        fetched.failures.insert(
            need.url.clone(),
            "offline: pass the DID document with --did-document".into(),
        );
    }
    for url in &needs.status_lists {
        fetched.failures.insert(
            url.clone(),
            "offline: pass the status list with --status-list URL=FILE".into(),
        );
    }

    // Offline there is no challenge this program issued: a presentation is compared with the
    // --challenge given (single use cannot be checked here), or its challenge is reported as
    // not checked, so the verdict is at best incomplete unless the flag allows it.
    let options = offline.options(challenge, domain);
    let report = verify::check(&presented, &offline.fetched, offline.now, &options);
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{report}");
    }
    Ok(if report.is_verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_batch(command: Command) -> Result<ExitCode> {
    let Command::Batch {
        file,
        threads,
        offline,
    } = command
    else {
        bail!("not a batch command");
    };
    let threads = match threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => n,
        None => batch::default_threads(),
    };
    let limits = input::InputLimits::default();
    let offline = Offline::load(offline, &limits)?;
    let options = offline.options(None, None);
    let mut context = batch::BatchContext {
        fetched: offline.fetched,
        now: offline.now,
        options,
        limits,
        schema_files: offline.schema_files,
    };
    let (reader, size): (Box<dyn io::BufRead>, Option<u64>) = if file.as_os_str() == "-" {
        (Box::new(io::BufReader::new(io::stdin())), None)
    } else {
        let opened =
            fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let size = opened.metadata().ok().map(|m| m.len());
        (
            Box::new(io::BufReader::with_capacity(1 << 16, opened)),
            size,
        )
    };
    // A bar on a terminal only: indicatif draws nothing when standard error is not one.
    let bar = match size {
        Some(size) => indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {percent:>3}% {binary_bytes}/{binary_total_bytes} · {elapsed_precise} elapsed, {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let started = std::time::Instant::now();
    let stdout = io::stdout();
    let summary = batch::run(
        reader,
        io::BufWriter::new(stdout.lock()),
        &mut context,
        threads,
        |read| bar.set_position(read),
    )
    .with_context(|| format!("batch {}", file.display()))?;
    bar.finish_and_clear();
    eprintln!("{}", summary.describe(started.elapsed(), threads));
    Ok(if summary.all_verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reads the input, refusing more than `cap` bytes before reading it all (a huge file or an
/// endless stream is an error, not an out-of-memory).
fn read_input(path: &Path, cap: usize) -> Result<Vec<u8>> {
    let (read, source) = if path.as_os_str() == "-" {
        let read = input::read_capped(io::stdin(), cap).context("cannot read standard input")?;
        (read, "standard input".to_owned())
    } else {
        let read = fs::File::open(path)
            .and_then(|file| input::read_capped(file, cap))
            .with_context(|| format!("cannot read {}", path.display()))?;
        (read, path.display().to_string())
    };
    read.with_context(|| format!("{source} is larger than the {cap} bytes accepted"))
}

fn read_json(path: &Path, limits: &input::InputLimits) -> Result<serde_json::Value> {
    let bytes = read_input(path, limits.max_bytes)?;
    input::parse_json_object(&bytes, limits)
        .with_context(|| format!("{} is not a JSON object", path.display()))
}

/// Loads every `.json` schema in `dir`: those with an `$id` are filed under it; all are
/// returned by file name, for credentials that cite a URL ending in it
/// ([`Offline::adopt_cited_schemas`]).
fn load_schemas(
    dir: &Path,
    limits: &input::InputLimits,
    set: &mut schema::SchemaSet,
) -> Result<std::collections::HashMap<String, serde_json::Value>> {
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot read schema directory {}", dir.display()))?;
    let mut by_file_name = std::collections::HashMap::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let schema = read_json(&path, limits)?;
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if schema.get("$id").and_then(|v| v.as_str()).is_some() {
            set.insert(schema.clone(), &[])
                .with_context(|| format!("schema {} cannot be used", path.display()))?;
        } else {
            // Compiled now so that a broken schema is refused before any credential is read.
            schema::SchemaSet::new()
                .insert(schema.clone(), &[file_name.as_str()])
                .with_context(|| format!("schema {} cannot be used", path.display()))?;
        }
        by_file_name.insert(file_name, schema);
    }
    if by_file_name.is_empty() {
        bail!(
            "schema directory {} holds no usable .json schema",
            dir.display()
        );
    }
    Ok(by_file_name)
}
