//! The Open Badges 3.0 API provider's HTTP surface (issue 15), over [`crate::obapi`] and
//! [`crate::store::obapi`]. Every path is mounted at the router root; the configured base URL
//! (which may have a path) is only in the URLs written into documents and redirects.
//!
//! - `GET /ims/ob/v3p0/discovery`: the service description document ([`discovery`]);
//! - `POST /oauth/register`: RFC 7591 dynamic client registration ([`oauth`]);
//! - `GET|POST /oauth/authorize`: the authorization endpoint and its consent page, where the
//!   learner proves who they are with a claim link ([`consent`]);
//! - `POST /oauth/token` (and its alias `/oid4vci/token`): one token endpoint dispatching on
//!   `grant_type` — the OpenID4VCI pre-authorized code, `authorization_code` (PKCE S256 always
//!   required), `refresh_token` (rotation with replay detection) ([`oauth`]);
//! - `POST /oauth/revoke`: RFC 7009 ([`oauth`]);
//! - `GET /ims/ob/v3p0/credentials`, `GET /ims/ob/v3p0/profile`: the resources, Bearer only,
//!   answering `imsx_StatusInfo` errors ([`resources`]).
//!
//! Registration, the token endpoint and the consent form's POST are rate limited per peer
//! address (when the server knows it: `serve` passes the connection's address) and globally,
//! answering 429 with `Retry-After` ([`RateLimits`]). Behind a reverse proxy every request has
//! the proxy's address, so the per-address limit becomes a second global one.

#![allow(
    clippy::result_large_err,
    reason = "handlers' helpers return the refusal's response itself as the error, made once \
              per refused request"
)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use passerelle_core::obapi::{CodeMinor, StatusInfo};

use super::AppState;

pub mod consent;
pub mod discovery;
pub mod oauth;
pub mod resources;

/// Appends one audit entry; a failure to write it is logged, never shown to the client (the
/// request it records has already been decided).
pub(crate) async fn audit(
    state: &AppState,
    actor: String,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) {
    let entry = crate::store::NewAuditEntry {
        actor,
        action: action.into(),
        subject: subject.into(),
        details,
    };
    if let Err(e) = state.issuer.store().append_audit(&entry).await {
        tracing::error!(error = %e, action, "cannot write an audit entry");
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ims/ob/v3p0/discovery", get(discovery::document))
        .route("/oauth/register", post(oauth::register))
        .route(
            "/oauth/authorize",
            get(consent::authorize_get).post(consent::authorize_post),
        )
        .route("/oauth/token", post(oauth::token))
        .route("/oid4vci/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route(
            "/ims/ob/v3p0/credentials",
            get(resources::credentials).fallback(resources::not_allowed),
        )
        .route(
            "/ims/ob/v3p0/profile",
            get(resources::profile).fallback(resources::not_allowed),
        )
}

type Keyed = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;
type Direct = RateLimiter<NotKeyed, InMemoryState, DefaultClock>;

/// One rate-limited endpoint: a bound per peer address and a global one.
pub struct Limit {
    per_peer: Keyed,
    global: Direct,
}

impl std::fmt::Debug for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limit")
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Limit {
    /// `peer` requests a minute per address (bursts of that many), `global` in all.
    pub fn new(peer: u32, global: u32) -> Self {
        Self {
            per_peer: RateLimiter::keyed(per_minute(peer)),
            global: RateLimiter::direct(per_minute(global)),
        }
    }

    /// `Ok` to go on, or how long to wait.
    pub fn check(&self, peer: Option<IpAddr>) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        // The keyed store keeps one entry per address seen: drop the idle ones now and then.
        if self.per_peer.len() > 10_000 {
            self.per_peer.retain_recent();
        }
        let key = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.per_peer
            .check_key(&key)
            .map_err(|n| n.wait_time_from(clock.now()))?;
        self.global
            .check()
            .map_err(|n| n.wait_time_from(clock.now()))
    }
}

/// The limits of the OB 3.0 API endpoints. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub registration: Arc<Limit>,
    pub token: Arc<Limit>,
    pub consent: Arc<Limit>,
}

impl Default for RateLimits {
    /// Registration 10 a minute per address (100 in all), the token endpoint 120 (1200), the
    /// consent form 30 (300): far above what a person or a well-behaved app needs, low enough
    /// that guessing claim links or secrets goes nowhere.
    fn default() -> Self {
        Self {
            registration: Arc::new(Limit::new(10, 100)),
            token: Arc::new(Limit::new(120, 1200)),
            consent: Arc::new(Limit::new(30, 300)),
        }
    }
}

/// The peer's address, when the server was started with it (`serve` does).
pub fn peer(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// 429 with `Retry-After` (whole seconds, at least 1), in the endpoint's error shape.
pub(crate) fn too_many(wait: Duration, body: Response) -> Response {
    let mut response = body;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// An `imsx_StatusInfo` failure with the status its code minor has.
pub(crate) fn status_info(minor: CodeMinor, description: &str) -> Response {
    let status =
        StatusCode::from_u16(minor.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&StatusInfo::failure(minor, description))
        .unwrap_or_else(|_| "{}".to_owned());
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A 500 for the resource endpoints (imsx) with the cause logged, never shown.
pub(crate) fn internal(cause: impl std::fmt::Display) -> Response {
    tracing::error!(cause = %cause, "OB 3.0 API request failed");
    status_info(
        CodeMinor::InternalServerError,
        "something went wrong on our side; it has been logged",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_per_peer_and_global() {
        let limit = Limit::new(2, 3);
        let a = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        let b = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_ok());
        let wait = limit.check(a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        // Another address has its own bound, until the global one is reached.
        assert!(limit.check(b).is_ok());
        assert!(limit.check(b).is_err(), "three in all");
        // No known address (a test's oneshot, or no ConnectInfo): one shared key.
        let shared = Limit::new(1, 10);
        assert!(shared.check(None).is_ok());
        assert!(shared.check(None).is_err());
    }

    #[test]
    fn retry_after_is_whole_seconds_at_least_one() {
        let response = too_many(Duration::from_millis(1500), StatusCode::OK.into_response());
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let response = too_many(Duration::ZERO, StatusCode::OK.into_response());
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn status_info_has_the_status_of_its_code_minor() {
        let response = status_info(CodeMinor::Forbidden, "no");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }
}
