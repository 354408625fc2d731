//! `passerelle-issuer serve`: its arguments, the passphrase and the TLS files, then the
//! library's [`passerelle_issuer::server::command::run`].

use std::io::{self, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use passerelle_issuer::config::{IssuerConfig, KeyStorage};
use passerelle_issuer::server::command::{self, ServeOptions};

use super::passphrase;

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

/// Runs the service for the issuer directory `dir` (blocks until shutdown).
pub fn serve(dir: &Path, args: ServeArgs) -> Result<()> {
    init_tracing();
    let config = IssuerConfig::load(dir)?;
    // Certificate problems are reported before the passphrase is asked for.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(passerelle_issuer::tls::server_config(cert, key)?),
        _ => None,
    };
    let secret = match config.key.storage {
        KeyStorage::Sealed => Some(passphrase::read(args.passphrase_stdin, &passphrase::SERVE)?),
        KeyStorage::PlainFile => None,
    };
    let options = ServeOptions {
        bind: args.bind,
        tls,
        status_max_age: Duration::from_secs(args.status_max_age),
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        workers: args.workers,
    };
    command::run(dir, options, secret)?;
    Ok(())
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
