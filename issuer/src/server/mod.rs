//! The issuer's HTTP service (`passerelle-issuer serve`), built with axum.
//!
//! Public (what verifiers and learners fetch, no authentication):
//! - the DID document at the did:web path (`/.well-known/did.json`, or `/<path>/did.json`),
//!   listing current and retired keys;
//! - the issuer Profile at `/issuer`, achievement definitions at `/achievements/{slug}`;
//! - signed status list credentials at `/status/{uuid}`, with `ETag`, `If-None-Match` → 304 and
//!   `Cache-Control: public, max-age=N`;
//! - claim pages `/claim/{token}` (HTML in the six UN languages, see [`page`], with the
//!   OpenID4VCI offer's QR code) and their downloads;
//! - OpenID4VCI 1.0 (pre-authorized code flow): the issuer and authorization server metadata,
//!   offers by reference, token, nonce, credential and notification endpoints (see
//!   [`oid4vci`]);
//! - the Open Badges 3.0 API (issue 15): discovery, OAuth 2.0 registration, authorization with
//!   a consent page, one token endpoint for every grant (`/oauth/token`, alias
//!   `/oid4vci/token`), revocation, and the `credentials` and `profile` resources (see
//!   [`obapi`]).
//!
//! Admin API under `/api/v1` (bearer API tokens, each change audited with the token's id as the
//! actor), described by `GET /api/v1/openapi.json`. See [`api`] and [`openapi`].
//!
//! [`app`] builds the [`Router`] from an [`AppState`]; [`serve`] (plain HTTP) or [`serve_tls`]
//! (rustls, `serve --tls-cert/--tls-key`) runs it until a shutdown signal.
//! Signing happens in the issuance engine on Tokio's blocking pool, never on the async workers.
//!
//! **Invariants:** the access log records the matched route (`/claim/{token}`), never the
//! request URI, so claim tokens, and bearer tokens, emails and passphrases never reach a log; a
//! credential is answered only after the issuance engine has committed it.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;
use tokio::net::TcpListener;

use crate::i18n::{CatalogueError, Catalogues};
use crate::issuance::{Issuer, StatusChange};

pub mod api;
pub mod badge;
pub mod claim;
pub mod command;
mod endorsements;
pub mod error;
pub mod jobs;
pub mod obapi;
pub mod oid4vci;
pub mod openapi;
pub mod page;
pub mod public;
pub mod stats;

pub use error::ApiError;

/// Body limit of JSON API requests.
pub const DEFAULT_JSON_LIMIT: usize = 64 * 1024;
/// Body limit of bulk job uploads (CSV or JSON lines).
pub const DEFAULT_BULK_LIMIT: usize = 64 * 1024 * 1024;
/// Default `max-age` of status lists: revocation reaches verifiers within this time.
pub const DEFAULT_STATUS_MAX_AGE: Duration = Duration::from_secs(300);
/// Default time a request may take before it is answered 408.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Tunables of the service.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `Cache-Control: max-age` of status lists.
    pub status_max_age: Duration,
    /// Time limit of one request (not of the bulk jobs it starts).
    pub request_timeout: Duration,
    /// Body limit of JSON requests.
    pub json_limit: usize,
    /// Body limit of bulk uploads.
    pub bulk_limit: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            status_max_age: DEFAULT_STATUS_MAX_AGE,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            json_limit: DEFAULT_JSON_LIMIT,
            bulk_limit: DEFAULT_BULK_LIMIT,
        }
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub issuer: Arc<Issuer>,
    pub options: Arc<ServerOptions>,
    pub jobs: jobs::JobRunner,
    /// The token endpoint's concurrency bound.
    pub token_slots: oid4vci::TokenSlots,
    /// The OB 3.0 API's rate limits.
    pub obapi_limits: obapi::RateLimits,
    /// The learner pages' messages in every language, loaded once.
    pub messages: Arc<Catalogues>,
}

impl AppState {
    /// The state of a service over `issuer`; fails only if the compiled-in message catalogues
    /// do not load (a test keeps them loading).
    pub fn new(issuer: Arc<Issuer>, options: ServerOptions) -> Result<Self, CatalogueError> {
        Ok(Self {
            jobs: jobs::JobRunner::new(Arc::clone(&issuer)),
            token_slots: oid4vci::TokenSlots::default(),
            obapi_limits: obapi::RateLimits::default(),
            messages: Arc::new(crate::i18n::builtin()?),
            issuer,
            options: Arc::new(options),
        })
    }
}

/// One route of the admin API: its method, its path (axum and OpenAPI spelling, `{id}`), and
/// its handler. The router is built from this table and the OpenAPI test compares the document
/// with it, so the two cannot drift apart.
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
    /// Needs a bearer token.
    pub authenticated: bool,
}

/// The admin API's routes (see [`ApiRoute`]): the handlers live in [`api`] and [`jobs`].
pub fn api_routes() -> Vec<ApiRoute> {
    let route = |method, path, handler, authenticated| ApiRoute {
        method,
        path,
        handler,
        authenticated,
    };
    vec![
        route("get", "/api/v1/openapi.json", get(openapi::document), false),
        route(
            "get",
            "/api/v1/achievements",
            get(api::list_achievements),
            true,
        ),
        route(
            "post",
            "/api/v1/achievements",
            post(api::create_achievement),
            true,
        ),
        route(
            "get",
            "/api/v1/achievements/{slug}",
            get(api::show_achievement),
            true,
        ),
        route(
            "put",
            "/api/v1/achievements/{slug}",
            put(api::update_achievement),
            true,
        ),
        route(
            "delete",
            "/api/v1/achievements/{slug}",
            delete(api::delete_achievement),
            true,
        ),
        route(
            "post",
            "/api/v1/credentials",
            post(api::issue_credential),
            true,
        ),
        route(
            "get",
            "/api/v1/credentials",
            get(api::list_credentials),
            true,
        ),
        route(
            "get",
            "/api/v1/credentials/{id}",
            get(api::show_credential),
            true,
        ),
        route(
            "post",
            "/api/v1/credentials/{id}/revoke",
            api::change_status_route(StatusChange::Revoke),
            true,
        ),
        route(
            "post",
            "/api/v1/credentials/{id}/suspend",
            api::change_status_route(StatusChange::Suspend),
            true,
        ),
        route(
            "post",
            "/api/v1/credentials/{id}/unsuspend",
            api::change_status_route(StatusChange::Unsuspend),
            true,
        ),
        route("post", "/api/v1/jobs", post(jobs::create), true),
        route("get", "/api/v1/jobs/{id}", get(jobs::show), true),
        route("get", "/api/v1/stats", get(api::stats), true),
        route("get", "/api/v1/stats/export", get(stats::export), true),
        route("get", "/api/v1/audit", get(api::audit), true),
    ]
    .into_iter()
    .chain(endorsements::api_routes())
    .collect()
}

/// The service's router.
pub fn app(state: AppState) -> Router {
    let options = Arc::clone(&state.options);
    let mut protected = Router::new();
    let mut open = Router::new();
    for route in api_routes() {
        let limit = if route.path == "/api/v1/jobs" {
            options.bulk_limit
        } else {
            options.json_limit
        };
        let handler = route
            .handler
            .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(limit))
            .layer::<_, std::convert::Infallible>(axum::Extension(error::BodyLimit(limit)));
        if route.authenticated {
            protected = protected.route(route.path, handler);
        } else {
            open = open.route(route.path, handler);
        }
    }
    let protected = protected.route_layer(middleware::from_fn_with_state(
        state.clone(),
        api::authenticate,
    ));
    let mut router = public::routes(&state)
        .merge(claim::routes())
        .merge(oid4vci::routes(&state))
        .merge(obapi::routes())
        .merge(open)
        .merge(protected)
        .fallback(not_found);
    router = router.route("/health", get(health));
    router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Response {
    match state.issuer.store().issuer_profile().await {
        Ok(Some(_)) => (StatusCode::OK, "ok\n").into_response(),
        Ok(None) => ApiError::internal("no issuer profile").into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") {
        ApiError::NotFound {
            what: "API endpoint",
            id: "(see /api/v1/openapi.json)".into(),
        }
        .into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found\n",
        )
            .into_response()
    }
}

/// Logs method, matched route, status and time — never the URI (claim tokens live in paths) and
/// never a header (bearer tokens).
async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With the peer's address, for the OB 3.0 API's per-address rate limits.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// How long requests in flight may take to finish once a TLS server is told to stop.
pub const GRACEFUL_SHUTDOWN: Duration = Duration::from_secs(30);

/// Serves `app` over TLS (`config`) on `listener` until `shutdown` resolves, then lets requests
/// in flight finish for up to [`GRACEFUL_SHUTDOWN`].
pub async fn serve_tls(
    listener: std::net::TcpListener,
    app: Router,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(GRACEFUL_SHUTDOWN));
    });
    axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(config),
    )
    .handle(handle)
    .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
    .await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
