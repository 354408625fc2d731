//! What anyone may fetch: the DID document, the issuer Profile, achievement definitions and the
//! signed status lists verifiers read.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use passerelle_core::did::{self, Did};
use serde_json::Value;

use super::{ApiError, AppState};
use crate::issuance;

/// Media type of status list credentials (a JSON-LD verifiable credential).
pub const STATUS_LIST_MEDIA_TYPE: &str = "application/vc+ld+json";

/// Longest time a status list is served from memory without reading its revision from the
/// database. The window actually used is the smaller of this and a tenth of the advertised
/// `max-age`, which is lowered by the answer's age: see [`status_freshness_window`].
pub const STATUS_FRESHNESS_CAP: Duration = Duration::from_secs(1);

/// The freshness window for status lists advertised with `max_age`.
///
/// Chosen so that the promise "a revocation reaches verifiers within one cache period" holds
/// across issuer instances sharing one database: an answer served from memory reflects the
/// database as of at most this long ago, and its `max-age` is lowered by exactly that age
/// (rounded up to whole seconds), so no verifier's copy outlives the moment the list was last
/// read plus `max_age`. A tenth of `max_age` keeps the loss of cache lifetime small; the
/// one-second cap keeps another instance's revocation visible through this one almost at once,
/// while a burst of verifier requests still costs at most one database read per list per window.
pub fn status_freshness_window(max_age: Duration) -> Duration {
    (max_age / 10).min(STATUS_FRESHNESS_CAP)
}

/// The path at which a did:web DID's document is served (`/.well-known/did.json` or
/// `/<path>/did.json`); `None` for other DID methods.
pub fn did_document_path(did: &str) -> Option<String> {
    let parsed = Did::parse(did).ok()?;
    let url = did::did_web_url(&parsed).ok()?;
    let parsed = url::Url::parse(&url).ok()?;
    Some(parsed.path().to_owned())
}

pub(super) fn routes(state: &AppState) -> Router<AppState> {
    let mut router = Router::new()
        .route("/issuer", get(profile))
        .route("/issuer/image", get(profile_image))
        .route("/achievements/{slug}", get(achievement))
        .route("/achievements/{slug}/image", get(achievement_image))
        .route("/status/{uuid}", get(status_list));
    if let Some(path) = did_document_path(&state.issuer.did()) {
        router = router.route(&path, get(did_document));
    }
    router
}

fn json_response(value: &Value, content_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        value.to_string(),
    )
        .into_response()
}

/// The DID document: every key, current and retired (retired keys keep `assertionMethod`, so
/// what they signed keeps verifying).
async fn did_document(State(state): State<AppState>) -> Result<Response, ApiError> {
    let document = state.issuer.did_document().await?;
    let mut response = json_response(&document, "application/did+json");
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

/// The issuer's OB 3.0 Profile (what the credentials' `issuer` object holds).
async fn profile(State(state): State<AppState>) -> Response {
    json_response(&state.issuer.profile(), "application/json")
}

/// An achievement definition by slug.
async fn achievement(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let found = state.issuer.store().achievement_by_slug(&slug).await?;
    match found {
        Some(a) => Ok(json_response(&a.definition, "application/json")),
        None => Err(ApiError::NotFound {
            what: "achievement",
            id: slug,
        }),
    }
}

/// The issuer's logo, when its Profile embeds it as a `data:` URL (OpenID4VCI metadata points
/// wallets here: a `data:` logo would repeat the image in every display entry).
async fn profile_image(State(state): State<AppState>) -> Result<Response, ApiError> {
    embedded_image(&state.issuer.profile(), "issuer image", "issuer")
}

/// An achievement's badge artwork, when its definition embeds it as a `data:` URL.
async fn achievement_image(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let found = state.issuer.store().achievement_by_slug(&slug).await?;
    let Some(achievement) = found else {
        return Err(ApiError::NotFound {
            what: "achievement",
            id: slug,
        });
    };
    embedded_image(&achievement.definition, "achievement image", &slug)
}

/// Serves the `data:` URL `image` of an OB Profile or Achievement (checked PNG or SVG, at most
/// 256 KiB, when it was stored) with its media type. An SVG is served under a CSP that runs
/// nothing and loads nothing, in case one is opened directly.
fn embedded_image(owner: &Value, what: &'static str, id: &str) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound {
        what,
        id: id.to_owned(),
    };
    let url = match owner.get("image") {
        Some(Value::String(url)) => url.as_str(),
        Some(Value::Object(image)) => image
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(not_found)?,
        _ => return Err(not_found()),
    };
    let image = match passerelle_core::data_url::decode(url, crate::achievements::MAX_IMAGE_BYTES) {
        Ok(image) if matches!(image.media_type(), "image/png" | "image/svg+xml") => image,
        _ => return Err(not_found()),
    };
    let content_type = HeaderValue::from_str(image.media_type()).map_err(ApiError::internal)?;
    let mut response = ([(header::CONTENT_TYPE, content_type)], image.into_bytes()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// A signed `BitstringStatusListCredential`, re-signed by the engine only when its bits change
/// and answered from bytes serialized once (see [`crate::status_cache`]).
async fn status_list(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(list_id) = issuance::status_list_id_from_path(&uuid) else {
        return Err(ApiError::NotFound {
            what: "status list",
            id: uuid,
        });
    };
    let now = crate::store::now_seconds();
    let max_age = state.options.status_max_age;
    let served = state
        .issuer
        .serve_status_list(&list_id, now, status_freshness_window(max_age))
        .await?;
    let signed = &served.list;
    let cache_control = format!(
        "public, max-age={}",
        remaining_max_age(max_age, served.age).as_secs()
    );
    let etag = HeaderValue::from_str(&signed.etag).map_err(ApiError::internal)?;
    let cache = HeaderValue::from_str(&cache_control).map_err(ApiError::internal)?;
    if if_none_match(&headers, &signed.etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(STATUS_LIST_MEDIA_TYPE),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        Body::from(signed.body.clone()),
    )
        .into_response())
}

/// `max_age` less `age` rounded up to whole seconds (HTTP's unit): a copy served `age` after the
/// database confirmed it must expire that much sooner.
fn remaining_max_age(max_age: Duration, age: Duration) -> Duration {
    let whole = age.as_secs() + u64::from(age.subsec_nanos() > 0);
    max_age.saturating_sub(Duration::from_secs(whole))
}

/// Whether `If-None-Match` names `etag` (or is `*`). Weak tags match too (RFC 9110 §13.1.2 uses
/// the weak comparison for `If-None-Match`).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let ours = etag.strip_prefix("W/").unwrap_or(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_paths() {
        assert_eq!(
            did_document_path("did:web:learn.example").as_deref(),
            Some("/.well-known/did.json")
        );
        assert_eq!(
            did_document_path("did:web:learn.example:org:lab").as_deref(),
            Some("/org/lab/did.json")
        );
        assert_eq!(
            did_document_path("did:web:localhost%3A8443").as_deref(),
            Some("/.well-known/did.json")
        );
        assert_eq!(
            did_document_path("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            None
        );
    }

    #[test]
    fn freshness_window_and_remaining_max_age() {
        let secs = Duration::from_secs;
        assert_eq!(status_freshness_window(secs(300)), STATUS_FRESHNESS_CAP);
        assert_eq!(status_freshness_window(secs(5)), Duration::from_millis(500));
        assert_eq!(status_freshness_window(Duration::ZERO), Duration::ZERO);
        assert_eq!(remaining_max_age(secs(300), Duration::ZERO), secs(300));
        assert_eq!(
            remaining_max_age(secs(300), Duration::from_millis(1)),
            secs(299)
        );
        assert_eq!(remaining_max_age(secs(300), secs(1)), secs(299));
        assert_eq!(
            remaining_max_age(secs(300), Duration::from_millis(1001)),
            secs(298)
        );
        assert_eq!(remaining_max_age(secs(0), secs(1)), secs(0));
    }

    #[test]
    fn if_none_match_lists() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(if_none_match(&headers, "\"b\""));
        assert!(if_none_match(&headers, "\"a\""));
        assert!(!if_none_match(&headers, "\"c\""));
        assert!(!if_none_match(&HeaderMap::new(), "\"a\""));
        // Our weak tags, sent back as they are or stripped of W/.
        assert!(if_none_match(&headers, "W/\"b\""));
        assert!(if_none_match(&headers, "W/\"a\""));
        assert!(!if_none_match(&headers, "W/\"c\""));
    }
}
