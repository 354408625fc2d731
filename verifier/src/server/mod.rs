//! The HTTP service: the page (`GET /`, `POST /verify`), the JSON API (`POST /api/v1/verify`),
//! W3C VC-API (`POST /credentials/verify`, `POST /presentations/verify`), single-use challenges
//! (`POST /api/v1/challenges`), QR decoding of camera frames (`POST /api/v1/scan`) and the
//! OpenAPI document (`GET /api/v1/openapi.json`).
//!
//! The route table is here ([`router`]), with the page's handlers; the JSON API is in `api`,
//! the W3C VC-API in `vcapi`, and every handler's error is one [`AppError`](crate::error::AppError).
//!
//! Nothing submitted is stored or logged. Verification runs on the service's check threads (see
//! [`Service::verify_text`]); request bodies are capped before they are read.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::challenge::Challenges;
use crate::i18n::{Catalogues, Messages};
use crate::page::{self, ResultView};
use crate::service::{InputProblem, Service};

mod api;
mod vcapi;

/// Largest upload the page accepts (photos of QR codes can be a few MB).
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// Largest JSON API body.
pub const MAX_API_BYTES: usize = 1024 * 1024;
/// How long a challenge stays usable.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(600);

/// The routes the service answers, as (method, path); the OpenAPI document must describe
/// exactly the API ones (tested).
pub const ROUTES: [(&str, &str); 10] = [
    ("GET", "/"),
    ("POST", "/verify"),
    ("GET", "/assets/style.css"),
    ("GET", "/assets/app.js"),
    ("POST", "/api/v1/verify"),
    ("POST", "/credentials/verify"),
    ("POST", "/presentations/verify"),
    ("POST", "/api/v1/challenges"),
    ("POST", "/api/v1/scan"),
    ("GET", "/api/v1/openapi.json"),
];

/// Shared state of the service.
pub struct AppState {
    pub service: Service,
    pub catalogues: Catalogues,
    /// The domain presentations must be bound to (`proof.domain`).
    pub domain: String,
    challenges: Challenges,
    /// Whether a presentation may be verified without a challenge this verifier issued (the
    /// operator's explicit `--allow-unchallenged-presentations`).
    allow_unchallenged: bool,
}

impl AppState {
    /// The service's state; presentations must answer one of `challenges` (see
    /// [`AppState::allow_unchallenged`]).
    pub fn new(
        service: Service,
        catalogues: Catalogues,
        domain: String,
        challenges: Challenges,
    ) -> Self {
        Self {
            service,
            catalogues,
            domain,
            challenges,
            allow_unchallenged: false,
        }
    }

    /// Lets presentations without a challenge issued here be verified (a warning says they
    /// could be replays); a challenge given by the caller is then compared, not consumed.
    pub fn allow_unchallenged(mut self, allow: bool) -> Self {
        self.allow_unchallenged = allow;
        self
    }
}

/// Builds the router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/verify",
            post(verify_page).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/assets/style.css", get(style))
        .route("/assets/app.js", get(script))
        .route("/api/v1/verify", post(api::api_verify))
        .route("/credentials/verify", post(vcapi::vcapi_credentials))
        .route("/presentations/verify", post(vcapi::vcapi_presentations))
        .route("/api/v1/challenges", post(api::issue_challenge))
        .route(
            "/api/v1/scan",
            post(api::scan_image).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/api/v1/openapi.json", get(api::openapi))
        .layer(DefaultBodyLimit::max(MAX_API_BYTES))
        .with_state(state)
}

fn page_headers() -> [(header::HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            // Own scripts and styles only, no inline code or eval. `connect-src 'self'`: the
            // camera scanner's frames may go to this server's /api/v1/scan and nowhere else.
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                 media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; \
                 base-uri 'none'; frame-ancestors 'none'",
            ),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn messages<'a>(state: &'a AppState, explicit: Option<&str>, headers: &HeaderMap) -> Messages<'a> {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    state.catalogues.negotiate(explicit, accept)
}

async fn index(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let m = messages(&state, query.lang.as_deref(), &headers);
    (page_headers(), Html(page::index(&m, state.service.trust()))).into_response()
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        page::STYLE_CSS,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        page::APP_JS,
    )
        .into_response()
}

/// The page's form: pasted text and/or an uploaded file, a language, an optional email.
async fn verify_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let mut text = Vec::new();
    let mut file: Option<Bytes> = None;
    let mut lang = None;
    let mut email = None;
    let mut print = false;
    let mut form_error = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "credential" => text = bytes.to_vec(),
                        "file" if !bytes.is_empty() => file = Some(bytes),
                        "lang" => lang = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        "email" => email = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        // The printable report of the same check (`view=print`).
                        "view" => print = bytes.as_ref() == b"print",
                        _ => {}
                    },
                    Err(e) => {
                        form_error = Some(format!("form field {name:?}: {}", e.body_text()));
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                form_error = Some(e.body_text());
                break;
            }
        }
    }
    let m = messages(&state, lang.as_deref(), &headers);
    if let Some(reason) = form_error {
        return (
            StatusCode::BAD_REQUEST,
            page_headers(),
            Html(page::input_error(&m, &reason)),
        )
            .into_response();
    }
    let input: Vec<u8> = match file {
        Some(bytes) => bytes.to_vec(),
        None => text,
    };
    let outcome = match state.service.recover(&input).await {
        Ok(recovered) => {
            state
                .service
                .verify_text(
                    recovered,
                    chrono::Utc::now(),
                    None,
                    None,
                    state.allow_unchallenged,
                )
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(verification) => {
            let view = ResultView {
                verification: &verification,
                email: email.as_deref().filter(|e| !e.trim().is_empty()),
                trust: state.service.trust(),
                address: headers.get(header::HOST).and_then(|v| v.to_str().ok()),
            };
            let html = if print {
                page::printable(&m, &view)
            } else {
                page::result(&m, &view)
            };
            (page_headers(), Html(html)).into_response()
        }
        Err(problem) => {
            let status = match problem {
                InputProblem::Busy => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let response = (
                status,
                page_headers(),
                Html(page::input_error(&m, &problem.to_string())),
            )
                .into_response();
            if matches!(problem, InputProblem::Busy) {
                busy(response)
            } else {
                response
            }
        }
    }
}

/// A 503 answer for a saturated decode pool, with the `Retry-After` it promises.
fn busy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(crate::service::BUSY_RETRY_AFTER_SECS),
    );
    response
}

#[cfg(test)]
mod tests {
    //! The router without a socket (`oneshot`): routes, error shapes and status codes. The TLS
    //! and fetching behaviour is tested end to end in `verifier/tests/serve.rs`.

    use axum::body::Body;
    use axum::http::Request;
    use passerelle_core::trust::TrustRegistries;
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;
    use crate::fetch::{FetchPolicy, Fetcher};

    fn app() -> Router {
        let fetcher = Fetcher::new(FetchPolicy::default()).unwrap_or_else(|e| panic!("{e}"));
        let challenges = Challenges::ephemeral(CHALLENGE_TTL).unwrap_or_else(|e| panic!("{e}"));
        let catalogues = crate::i18n::builtin().unwrap_or_else(|e| panic!("{e}"));
        let state = AppState::new(
            Service::new(fetcher, TrustRegistries::new()),
            catalogues,
            "verifier.example".into(),
            challenges,
        );
        router(Arc::new(state))
    }

    async fn post(path: &str, body: impl Into<Body>) -> (StatusCode, Option<String>, Value) {
        let request = Request::post(path)
            .body(body.into())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = app()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, content_type, json)
    }

    #[tokio::test]
    async fn api_errors_have_one_shape_and_the_right_status() {
        let (status, _, body) = post("/api/v1/verify", "junk").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "unreadable_input", "{body}");
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("neither JSON nor a compact JWS")));
        assert_eq!(body["error"]["field"], Value::Null);

        let (status, _, body) = post("/api/v1/verify", r#"{"qr": 5}"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            body,
            json!({"error": {"code": "invalid_field", "field": "qr",
                "message": "`qr` must be the text of a QR code (a string)"}})
        );

        let (status, _, body) = post("/api/v1/scan", Body::empty()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "invalid_field", "{body}");

        let oversized = vec![b' '; MAX_API_BYTES + 1];
        let (status, _, body) = post("/api/v1/verify", oversized).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    }

    #[tokio::test]
    async fn vc_api_errors_are_problem_details() {
        let (status, content_type, body) = post("/credentials/verify", "{}").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert_eq!(body["title"], "PARSING_ERROR", "{body}");
        assert_eq!(body["code"], -64);
        assert_eq!(body["status"], 400);
        assert_eq!(body["field"], "verifiableCredential");

        let request = json!({"verifiablePresentation": {}, "options": {"nonce": "x"}});
        let (status, _, body) = post("/presentations/verify", request.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["title"], "UNKNOWN_OPTION_PROVIDED", "{body}");
        assert_eq!(body["field"], "options.nonce");
    }

    #[tokio::test]
    async fn a_challenge_is_issued_with_its_request() {
        let (status, _, body) = post("/api/v1/challenges", Body::empty()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["domain"], "verifier.example");
        assert_eq!(
            body["verifiablePresentationRequest"]["challenge"],
            body["challenge"]
        );
    }
}
