//! `passerelle-issuer serve`: unlock the signing key once, bind, serve until SIGINT/SIGTERM.

use std::io::{self, BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{app, serve, serve_tls, shutdown_signal, AppState, ServerOptions};
use crate::config::{IssuerConfig, KeyStorage};
use crate::issuance::{IssueError, Issuer};
use crate::secret::Passphrase;

/// The environment variable that may hold the key passphrase (as for `init`).
pub const PASSPHRASE_ENV: &str = "PASSERELLE_ISSUER_PASSPHRASE";

/// Options of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on. Plain HTTP unless --tls-cert and --tls-key are given (or put a
    /// TLS-terminating proxy in front for the public URL).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Serve https with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Read the key passphrase from the first line of standard input (instead of
    /// $PASSERELLE_ISSUER_PASSPHRASE or a prompt).
    #[arg(long)]
    pub passphrase_stdin: bool,
    /// `Cache-Control: max-age` of status lists, in seconds: a revocation reaches verifiers
    /// within this time.
    #[arg(long, default_value_t = 300)]
    pub status_max_age: u64,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
    /// Worker threads of the async runtime (default: one per core). Signing runs on a separate
    /// blocking pool.
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot open the issuer: {0}")]
    Issuer(#[from] IssueError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{reason}")]
    Passphrase { reason: String },
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> ServeError {
    let what = what.into();
    move |source| ServeError::Io { what, source }
}

/// The passphrase: `--passphrase-stdin`, else `$PASSERELLE_ISSUER_PASSPHRASE`, else a prompt on
/// the terminal.
fn read_passphrase(from_stdin: bool) -> Result<Passphrase, ServeError> {
    let text = if from_stdin {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(io_error("cannot read the passphrase from standard input"))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
        value
    } else if io::stdin().is_terminal() {
        rpassword::prompt_password("Issuer key passphrase: ")
            .map_err(io_error("cannot read the passphrase"))?
    } else {
        return Err(ServeError::Passphrase {
            reason: format!(
                "the issuer key is sealed: set ${PASSPHRASE_ENV}, pass --passphrase-stdin, or run on a terminal"
            ),
        });
    };
    if text.is_empty() {
        return Err(ServeError::Passphrase {
            reason: "the passphrase is empty".into(),
        });
    }
    Ok(Passphrase::new(text.into_bytes()))
}

/// Runs the service for the issuer directory `dir` (blocks until shutdown).
pub fn run(dir: &Path, args: ServeArgs) -> Result<(), ServeError> {
    init_tracing();
    let config = IssuerConfig::load(dir)?;
    // Certificate problems are reported before the passphrase is asked for.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key)?),
        _ => None,
    };
    let passphrase = match config.key.storage {
        KeyStorage::Sealed => Some(read_passphrase(args.passphrase_stdin)?),
        KeyStorage::PlainFile => None,
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = args.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder
        .build()
        .map_err(io_error("cannot start the async runtime"))?;
    runtime.block_on(async move {
        let issuer = Issuer::open(dir, passphrase.as_ref()).await?;
        drop(passphrase);
        for note in issuer.start_notes() {
            tracing::warn!("{note}");
        }
        if let Err(e) = issuer.ensure_schema() {
            // The public side (DID document, status lists, claim pages) still serves; issuing
            // answers 503 until the schema is installed.
            tracing::warn!("{e}");
        } else if !issuer.has_ob_schema() {
            tracing::warn!(
                "credentials are issued WITHOUT the OB 3.0 JSON Schema check \
                 (require_ob_schema = false in issuer.toml)"
            );
        }
        let options = ServerOptions {
            status_max_age: Duration::from_secs(args.status_max_age),
            request_timeout: Duration::from_secs(args.request_timeout.max(1)),
            ..ServerOptions::default()
        };
        let state = AppState::new(Arc::new(issuer), options);
        state.jobs.resume_interrupted().await;
        // Jobs of another instance (or of a CLI run) that die while this one serves are marked
        // too, once their heartbeat has been silent long enough.
        let sweeper = {
            let issuer = Arc::clone(&state.issuer);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(crate::bulk::JOB_SILENCE);
                every.tick().await;
                loop {
                    every.tick().await;
                    match crate::bulk::mark_interrupted_jobs(&issuer).await {
                        Ok(0) => {}
                        Ok(n) => tracing::warn!(
                            jobs = n,
                            "bulk jobs whose run died are now marked interrupted"
                        ),
                        Err(e) => tracing::error!(error = %e, "cannot mark interrupted bulk jobs"),
                    }
                }
            })
        };
        let listener = TcpListener::bind(args.bind)
            .await
            .map_err(io_error(format!("cannot listen on {}", args.bind)))?;
        let local = listener
            .local_addr()
            .map_err(io_error("cannot read the bound address"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(
            address = %local,
            did = %state.issuer.did(),
            "passerelle-issuer listening on {scheme}://{local}"
        );
        let router = app(state.clone());
        match tls {
            Some(config) => {
                let listener = listener
                    .into_std()
                    .map_err(io_error("cannot hand the socket to the TLS server"))?;
                serve_tls(listener, router, config, shutdown_signal())
                    .await
                    .map_err(io_error("the server failed"))?;
            }
            None => serve(listener, router, shutdown_signal())
                .await
                .map_err(io_error("the server failed"))?,
        }
        sweeper.abort();
        state.jobs.shutdown().await;
        state.issuer.store().close().await;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Logs to standard error; `RUST_LOG` filters (default `info`). Colour only on a terminal and
/// never with `NO_COLOR` set, so log files and journald get plain text.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let colour = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(colour)
        .try_init();
}
