//! The public OpenID4VCI 1.0 endpoints (pre-authorized code flow, issue 14), over
//! [`crate::oid4vci`]:
//!
//! - `GET /.well-known/openid-credential-issuer[/<path>]`: credential issuer metadata;
//! - `GET /.well-known/oauth-authorization-server[/<path>]`: authorization server metadata;
//! - `GET /oid4vci/offers/{reference}`: a credential offer by reference (a fresh code each time);
//! - `POST /oid4vci/token` (form, an alias of `/oauth/token`, whose dispatcher lives in
//!   [`super::obapi`]): a pre-authorized code for an access token;
//! - `POST /oid4vci/nonce`: a `c_nonce`;
//! - `POST /oid4vci/credential` (Bearer, JSON): the credential;
//! - `POST /oid4vci/notification` (Bearer, JSON): what the wallet did with it (204).
//!
//! Errors are answered exactly as the specifications say: RFC 6749 §5.2 on the token endpoint,
//! §8.3.1.2 on the credential endpoint, §11.3 on the notification endpoint, RFC 6750 §3 (401 and
//! `WWW-Authenticate`) for a missing or bad access token; every `error_description` is printable
//! ASCII without `"` or `\` (RFC 6749 §5.2). Everything that carries a secret says
//! `Cache-Control: no-store`. The token endpoint admits a bounded number of requests at once
//! (more are answered 503 with `Retry-After`), besides the per-code limit on transaction codes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::AppState;
use crate::oid4vci::{self, Oid4vciError};

/// Token requests handled at once; more are refused with 503 until one finishes.
pub const TOKEN_CONCURRENCY: usize = 64;

/// The slots of the token endpoint (see [`TOKEN_CONCURRENCY`]).
#[derive(Clone, Debug)]
pub struct TokenSlots(Arc<tokio::sync::Semaphore>);

impl Default for TokenSlots {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(TOKEN_CONCURRENCY)))
    }
}

/// Every route of this module with its method (the OpenAPI test compares them with the
/// document), the well-known ones for the issuer's base URL.
pub fn route_table(base_url: &str) -> Vec<(&'static str, String)> {
    let mut routes = Vec::new();
    for path in oid4vci::issuer_metadata_paths(base_url) {
        routes.push(("get", path));
    }
    for path in oid4vci::authorization_server_metadata_paths(base_url) {
        routes.push(("get", path));
    }
    routes.push(("get", "/oid4vci/offers/{reference}".to_owned()));
    for path in [
        "/oid4vci/token",
        "/oid4vci/nonce",
        "/oid4vci/credential",
        "/oid4vci/notification",
    ] {
        routes.push(("post", path.to_owned()));
    }
    routes
}

pub(super) fn routes(state: &AppState) -> Router<AppState> {
    let base = state.issuer.base_url();
    let mut router = Router::new();
    for path in oid4vci::issuer_metadata_paths(&base) {
        router = router.route(&path, get(issuer_metadata));
    }
    for path in oid4vci::authorization_server_metadata_paths(&base) {
        router = router.route(&path, get(authorization_server_metadata));
    }
    router
        .route("/oid4vci/offers/{reference}", get(offer))
        .route("/oid4vci/nonce", post(nonce))
        .route("/oid4vci/credential", post(credential))
        .route("/oid4vci/notification", post(notification))
}

/// Text safe in an `error_description` and a quoted header parameter: printable ASCII without
/// `"` and `\` (RFC 6749 §5.2, RFC 6750 §3).
pub fn ascii_description(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push('\''),
            '\\' => out.push('/'),
            '\u{2014}' | '\u{2013}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            c if c == ' ' || c.is_ascii_graphic() => out.push(c),
            c if c.is_whitespace() => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A JSON answer with `Cache-Control: no-store`.
pub(super) fn json_no_store(status: StatusCode, body: &Value) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    no_store(&mut response);
    response
}

pub(super) fn error_body(code: &str, description: &str) -> Value {
    json!({ "error": code, "error_description": ascii_description(description) })
}

fn challenge(error: Option<&str>, description: &str) -> HeaderValue {
    let value = match error {
        Some(code) => format!(
            "Bearer realm=\"passerelle-issuer\", error=\"{code}\", error_description=\"{}\"",
            ascii_description(description)
        ),
        None => "Bearer realm=\"passerelle-issuer\"".to_owned(),
    };
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"passerelle-issuer\""))
}

/// The answer for an error, as its endpoint's specification shapes it.
pub fn error_response(error: Oid4vciError) -> Response {
    match error {
        Oid4vciError::Token { code, description } => json_no_store(
            StatusCode::BAD_REQUEST,
            &error_body(code.as_str(), &description),
        ),
        Oid4vciError::Credential { code, description } => json_no_store(
            StatusCode::BAD_REQUEST,
            &error_body(code.as_str(), &description),
        ),
        Oid4vciError::Notification { code, description } => json_no_store(
            StatusCode::BAD_REQUEST,
            &error_body(code.as_str(), &description),
        ),
        Oid4vciError::MissingToken => {
            let mut response = json_no_store(
                StatusCode::UNAUTHORIZED,
                &json!({ "error_description": "an access token is required (Authorization: Bearer ...)" }),
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge(None, ""));
            response
        }
        Oid4vciError::InvalidToken { description } => {
            let mut response = json_no_store(
                StatusCode::UNAUTHORIZED,
                &error_body("invalid_token", &description),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                challenge(Some("invalid_token"), &description),
            );
            response
        }
        Oid4vciError::OfferNotFound => json_no_store(
            StatusCode::NOT_FOUND,
            &error_body(
                "not_found",
                "this credential offer is not known: check that the whole link was copied",
            ),
        ),
        Oid4vciError::OfferGone { reason } => {
            json_no_store(StatusCode::GONE, &error_body("gone", &reason))
        }
        Oid4vciError::Issue(crate::issuance::IssueError::SchemaMissing { .. }) => {
            tracing::error!("OpenID4VCI request refused: the OB 3.0 JSON Schema is not installed");
            json_no_store(
                StatusCode::SERVICE_UNAVAILABLE,
                &error_body(
                    "temporarily_unavailable",
                    "this issuer cannot issue until its operator installs the OB 3.0 JSON Schema",
                ),
            )
        }
        Oid4vciError::Issue(e) => {
            tracing::error!(
                cause = %passerelle_core::error_text::error_chain(&e),
                "OpenID4VCI request failed"
            );
            json_no_store(
                StatusCode::INTERNAL_SERVER_ERROR,
                &error_body(
                    "server_error",
                    "something went wrong on our side; it has been logged",
                ),
            )
        }
    }
}

fn respond<T>(result: Result<T, Oid4vciError>, ok: impl FnOnce(T) -> Response) -> Response {
    match result {
        Ok(value) => ok(value),
        Err(e) => error_response(e),
    }
}

pub(super) fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""))
}

/// The body, within the route's limit (`None`: too large or unreadable).
pub(super) async fn body_of(request: Request, limit: usize) -> Option<Bytes> {
    axum::body::to_bytes(request.into_body(), limit).await.ok()
}

async fn issuer_metadata(State(state): State<AppState>) -> Response {
    respond(oid4vci::issuer_metadata(&state.issuer).await, |metadata| {
        let mut response = (
            [(header::CONTENT_TYPE, "application/json")],
            metadata.to_string(),
        )
            .into_response();
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
        response
    })
}

async fn authorization_server_metadata(State(state): State<AppState>) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        oid4vci::authorization_server_metadata(&state.issuer).to_string(),
    )
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

/// `GET /oid4vci/offers/{reference}`: the offer JSON with a freshly minted code.
async fn offer(State(state): State<AppState>, Path(reference): Path<String>) -> Response {
    let result =
        oid4vci::offer_by_reference(&state.issuer, &reference, crate::store::now_seconds()).await;
    respond(result, |minted| match serde_json::to_value(&minted.offer) {
        Ok(body) => json_no_store(StatusCode::OK, &body),
        Err(e) => error_response(Oid4vciError::Issue(crate::issuance::IssueError::Encoding {
            source: e,
        })),
    })
}

/// Answers 503 with `Retry-After` when every token slot is busy; else holds one.
#[allow(
    clippy::result_large_err,
    reason = "the error is the answer itself, made once per refused request"
)]
pub(super) fn token_slot(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, Response> {
    state
        .token_slots
        .0
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            let mut response = json_no_store(
                StatusCode::SERVICE_UNAVAILABLE,
                &error_body(
                    "temporarily_unavailable",
                    "too many token requests at once; retry in a moment",
                ),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        })
}

/// The pre-authorized code grant of the token endpoint (`POST /oauth/token` and its alias
/// `/oid4vci/token`, dispatched on `grant_type` by [`super::obapi`]): `body` is the form.
pub(super) async fn pre_authorized_token(state: &AppState, body: &[u8]) -> Response {
    let result = match oid4vci::TokenRequest::parse(body) {
        Ok(parsed) => oid4vci::exchange_code(&state.issuer, &parsed).await,
        Err(e) => Err(e),
    };
    respond(result, |response| match serde_json::to_value(&response) {
        Ok(body) => json_no_store(StatusCode::OK, &body),
        Err(e) => error_response(Oid4vciError::Issue(crate::issuance::IssueError::Encoding {
            source: e,
        })),
    })
}

/// `POST /oid4vci/nonce`.
async fn nonce(State(state): State<AppState>) -> Response {
    respond(oid4vci::new_nonce(&state.issuer).await, |n| {
        json_no_store(StatusCode::OK, &json!({ "c_nonce": n.c_nonce }))
    })
}

/// `POST /oid4vci/credential`.
async fn credential(State(state): State<AppState>, request: Request) -> Response {
    let authorized = match oid4vci::authorize(&state.issuer, bearer(request.headers())).await {
        Ok(a) => a,
        Err(e) => return error_response(e),
    };
    let invalid = |description: &str| {
        error_response(Oid4vciError::Credential {
            code: passerelle_core::oid4vci::CredentialErrorCode::InvalidCredentialRequest,
            description: description.to_owned(),
        })
    };
    if media_type(request.headers()).as_deref() != Some("application/json") {
        return invalid("the credential request must be application/json");
    }
    let limit = passerelle_core::oid4vci::MAX_CREDENTIAL_REQUEST_BYTES;
    let Some(body) = body_of(request, limit).await else {
        return invalid(&format!(
            "the credential request body is larger than {limit} bytes or unreadable"
        ));
    };
    let result = oid4vci::issue_credential(&state.issuer, &authorized, &body).await;
    respond(result, |response| {
        json_no_store(StatusCode::OK, &response.body())
    })
}

/// `POST /oid4vci/notification`.
async fn notification(State(state): State<AppState>, request: Request) -> Response {
    let authorized = match oid4vci::authorize(&state.issuer, bearer(request.headers())).await {
        Ok(a) => a,
        Err(e) => return error_response(e),
    };
    let invalid = |description: &str| {
        error_response(Oid4vciError::Notification {
            code: passerelle_core::oid4vci::NotificationErrorCode::InvalidNotificationRequest,
            description: description.to_owned(),
        })
    };
    if media_type(request.headers()).as_deref() != Some("application/json") {
        return invalid("the notification request must be application/json");
    }
    let Some(body) = body_of(request, 16 * 1024).await else {
        return invalid("the notification request body is larger than 16 KiB or unreadable");
    };
    respond(
        oid4vci::notify(&state.issuer, &authorized, &body).await,
        |()| {
            let mut response = StatusCode::NO_CONTENT.into_response();
            no_store(&mut response);
            response
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_plain_ascii_without_quotes() {
        assert_eq!(
            ascii_description("the \"typ\" is wrong — see §8…\n"),
            "the 'typ' is wrong - see ?8... "
        );
        for c in ascii_description("a\\b\u{7f}é").chars() {
            assert!(c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\'));
        }
    }
}
