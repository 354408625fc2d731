//! `passerelle-issuer serve`: unlock the signing key once, bind, serve until SIGINT/SIGTERM.
//!
//! The command line (arguments, the passphrase prompt, the TLS files) is the binary's; this
//! takes what it decided as a plain [`ServeOptions`].

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{app, serve, serve_tls, shutdown_signal, AppState, ServerOptions};
use crate::issuance::{IssueError, Issuer};
use crate::secret::Passphrase;

/// What `serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on.
    pub bind: SocketAddr,
    /// Serve https with this configuration (plain HTTP without it).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `Cache-Control: max-age` of status lists.
    pub status_max_age: Duration,
    /// Time a request may take before it is answered 408 (at least a second).
    pub request_timeout: Duration,
    /// Worker threads of the async runtime (`None`: one per core).
    pub workers: Option<usize>,
}

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error("cannot open the issuer")]
    Issuer(#[from] IssueError),
    #[error("the built-in message catalogues of the learner pages do not load")]
    Catalogues(#[from] crate::i18n::CatalogueError),
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> ServeError {
    let what = what.into();
    move |source| ServeError::Io { what, source }
}

/// Runs the service for the issuer directory `dir` (blocks until shutdown); a sealed key needs
/// `passphrase`, which is dropped once the key is unlocked.
pub fn run(
    dir: &Path,
    options: ServeOptions,
    passphrase: Option<Passphrase>,
) -> Result<(), ServeError> {
    let tls = options.tls.clone();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = options.workers {
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
        for note in issuer.config().ob_api.warnings() {
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
        let server_options = ServerOptions {
            status_max_age: options.status_max_age,
            request_timeout: options.request_timeout.max(Duration::from_secs(1)),
            ..ServerOptions::default()
        };
        let state = AppState::new(Arc::new(issuer), server_options)?;
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
        let listener = TcpListener::bind(options.bind)
            .await
            .map_err(io_error(format!("cannot listen on {}", options.bind)))?;
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
