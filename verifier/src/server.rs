//! The HTTP service: the page (`GET /`, `POST /verify`), the JSON API (`POST /api/v1/verify`),
//! W3C VC-API (`POST /credentials/verify`, `POST /presentations/verify`), single-use challenges
//! (`POST /api/v1/challenges`) and the OpenAPI document (`GET /api/v1/openapi.json`).
//!
//! Nothing submitted is stored or logged. Verification runs on the service's check threads (see
//! [`Service::verify_text`]); request bodies are capped before they are read.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use passerelle_core::qr;
use passerelle_core::verify::{Check, Outcome, Report, Verdict};

use crate::i18n::{Catalogues, Messages};
use crate::page::{self, ResultView};
use crate::service::{InputProblem, Recovered, Service, Source, Verification};

/// Largest upload the page accepts (photos of QR codes can be a few MB).
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// Largest JSON API body.
pub const MAX_API_BYTES: usize = 1024 * 1024;
/// How long a challenge stays usable.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(600);
/// Most live challenges at once (older expired ones are purged first).
pub const MAX_LIVE_CHALLENGES: usize = 100_000;

/// The routes the service answers, as (method, path); the OpenAPI document must describe
/// exactly the API ones (tested).
pub const ROUTES: [(&str, &str); 9] = [
    ("GET", "/"),
    ("POST", "/verify"),
    ("GET", "/assets/style.css"),
    ("GET", "/assets/app.js"),
    ("POST", "/api/v1/verify"),
    ("POST", "/credentials/verify"),
    ("POST", "/presentations/verify"),
    ("POST", "/api/v1/challenges"),
    ("GET", "/api/v1/openapi.json"),
];

/// Shared state of the service.
pub struct AppState {
    pub service: Service,
    pub catalogues: Catalogues,
    /// The domain presentations must be bound to (`proof.domain`).
    pub domain: String,
    challenges: Mutex<HashMap<String, ChallengeState>>,
}

#[derive(Debug, Clone, Copy)]
struct ChallengeState {
    expires: Instant,
    used: bool,
}

/// What happened to a challenge when a presentation used it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChallengeUse {
    /// Issued here, live, now used up.
    Fresh,
    /// Issued here and already used: a replay.
    Replayed,
    /// Issued here but expired.
    Expired,
    /// Not issued here: the caller manages it.
    Foreign,
}

impl AppState {
    pub fn new(service: Service, catalogues: Catalogues, domain: String) -> Self {
        Self {
            service,
            catalogues,
            domain,
            challenges: Mutex::new(HashMap::new()),
        }
    }

    fn issue_challenge(&self) -> Option<(String, Instant)> {
        let mut challenges = self.challenges.lock().ok()?;
        let now = Instant::now();
        if challenges.len() >= MAX_LIVE_CHALLENGES {
            challenges.retain(|_, c| c.expires > now);
            if challenges.len() >= MAX_LIVE_CHALLENGES {
                return None;
            }
        }
        let challenge = uuid::Uuid::new_v4().to_string();
        let expires = now + CHALLENGE_TTL;
        challenges.insert(
            challenge.clone(),
            ChallengeState {
                expires,
                used: false,
            },
        );
        Some((challenge, expires))
    }

    fn use_challenge(&self, challenge: &str) -> ChallengeUse {
        let Ok(mut challenges) = self.challenges.lock() else {
            return ChallengeUse::Replayed;
        };
        match challenges.get_mut(challenge) {
            None => ChallengeUse::Foreign,
            Some(state) if state.used => ChallengeUse::Replayed,
            Some(state) if state.expires <= Instant::now() => {
                state.used = true;
                ChallengeUse::Expired
            }
            Some(state) => {
                // Used entries are kept until they would have expired, so a replay is caught.
                state.used = true;
                ChallengeUse::Fresh
            }
        }
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
        .route("/api/v1/verify", post(api_verify))
        .route("/credentials/verify", post(vcapi_credentials))
        .route("/presentations/verify", post(vcapi_presentations))
        .route("/api/v1/challenges", post(issue_challenge))
        .route("/api/v1/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(MAX_API_BYTES))
        .with_state(state)
}

fn page_headers() -> [(header::HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                 media-src 'self' blob: mediastream:; form-action 'self'; base-uri 'none'; \
                 frame-ancestors 'none'",
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
    (page_headers(), Html(page::index(&m))).into_response()
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
    let mut text = String::new();
    let mut file: Option<Bytes> = None;
    let mut lang = None;
    let mut email = None;
    let mut form_error = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "credential" => text = String::from_utf8_lossy(&bytes).into_owned(),
                        "file" if !bytes.is_empty() => file = Some(bytes),
                        "lang" => lang = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        "email" => email = Some(String::from_utf8_lossy(&bytes).into_owned()),
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
        None => text.into_bytes(),
    };
    let outcome = match state.service.recover(&input).await {
        Ok(recovered) => {
            state
                .service
                .verify_text(recovered, chrono::Utc::now(), None, None)
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(verification) => {
            let view = ResultView {
                verification: &verification,
                email: email.as_deref().filter(|e| !e.trim().is_empty()),
            };
            (page_headers(), Html(page::result(&m, &view))).into_response()
        }
        Err(problem) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page_headers(),
            Html(page::input_error(&m, &problem.to_string())),
        )
            .into_response(),
    }
}

/// A JSON error naming the field at fault.
fn json_error(status: StatusCode, field: Option<&str>, message: &str) -> Response {
    ApiError::new(status, field, message).into_response()
}

/// A request error: status, the field at fault, a message.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    field: Option<String>,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, field: Option<&str>, message: &str) -> Self {
        Self {
            status,
            field: field.map(str::to_owned),
            message: message.to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        (self.status, Json(body)).into_response()
    }
}

fn problem_response(problem: &InputProblem, field: Option<&str>) -> Response {
    let status = match problem {
        InputProblem::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        InputProblem::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    json_error(status, field, &problem.to_string())
}

#[derive(Debug, Deserialize)]
struct ChallengeQuery {
    challenge: Option<String>,
    domain: Option<String>,
}

/// `POST /api/v1/verify`: a credential, presentation, compact JWS, or `{"qr": "…"}`; answers
/// the report. `?challenge=&domain=` bind a presentation.
async fn api_verify(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ChallengeQuery>,
    body: Bytes,
) -> Response {
    let recovered = match qr_field(&body) {
        Ok(Some(text)) => state.service.from_qr_text(&text).await,
        Ok(None) => state.service.recover(&body).await,
        Err(error) => return error.into_response(),
    };
    let recovered = match recovered {
        Ok(r) => r,
        Err(problem) => return problem_response(&problem, None),
    };
    match verify_with_challenge(&state, recovered, query.challenge, query.domain).await {
        Ok(verification) => Json(verification.report.to_json()).into_response(),
        Err(problem) => problem_response(&problem, None),
    }
}

/// `{"qr": "…"}` → the QR text; any other body → `None`.
fn qr_field(body: &[u8]) -> Result<Option<String>, ApiError> {
    let trimmed = body.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return Ok(None);
    }
    // Nearly every body is a credential or presentation (no `qr` member): look at the member
    // names only, without building the document the check parses again anyway.
    let Ok(members) = serde_json::from_slice::<BTreeMap<String, serde::de::IgnoredAny>>(trimmed)
    else {
        return Ok(None);
    };
    if !members.contains_key("qr") {
        return Ok(None);
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(trimmed) else {
        return Ok(None);
    };
    match map.get("qr") {
        None => Ok(None),
        Some(Value::String(text)) if map.len() == 1 => Ok(Some(text.clone())),
        Some(Value::String(_)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Some("qr"),
            "a {\"qr\": …} request carries only the `qr` field",
        )),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Some("qr"),
            "`qr` must be the text of a QR code (a string)",
        )),
    }
}

async fn verify_with_challenge(
    state: &AppState,
    recovered: Recovered,
    challenge: Option<String>,
    domain: Option<String>,
) -> Result<Verification, InputProblem> {
    let usage = challenge.as_deref().map(|c| state.use_challenge(c));
    let mut verification = state
        .service
        .verify_text(recovered, chrono::Utc::now(), challenge, domain)
        .await?;
    let refusal = match usage {
        Some(ChallengeUse::Replayed) => {
            Some("The challenge was already used by an earlier presentation: this one is a replay.")
        }
        Some(ChallengeUse::Expired) => {
            Some("The challenge has expired; ask the holder for a new presentation.")
        }
        _ => None,
    };
    if let Some(message) = refusal {
        refuse_challenge(&mut verification.report, message);
    }
    Ok(verification)
}

/// Marks the report's challenge check failed (a replay or an expired challenge).
fn refuse_challenge(report: &mut Report, message: &str) {
    let check = Check {
        id: "challenge",
        outcome: Outcome::Fail,
        message: message.to_owned(),
        details: vec!["challenges issued by this verifier are single-use".into()],
        required: true,
    };
    match report.checks.iter_mut().find(|c| c.id == "challenge") {
        Some(existing) => *existing = check,
        None => report.checks.push(check),
    }
    report.verdict = Verdict::NotVerified;
}

fn parse_json_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            None,
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            None,
            &format!("the request body is not valid JSON: {e}"),
        )),
    }
}

/// VC-API options: `challenge` and `domain` strings.
fn vcapi_options(
    map: &serde_json::Map<String, Value>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let Some(options) = map.get("options") else {
        return Ok((None, None));
    };
    let Value::Object(options) = options else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Some("options"),
            "`options` must be an object",
        ));
    };
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match options.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                Some(&format!("options.{name}")),
                &format!("`options.{name}` must be a string"),
            )),
        }
    };
    Ok((text("challenge")?, text("domain")?))
}

/// The VC-API answer: `checks` passed, `warnings` and `errors` as problem details, plus our
/// full report under `report`.
fn vcapi_response(report: &Report) -> Response {
    let problem = |c: &Check| {
        json!({
            "type": format!("https://passerelle.example/problems/{}", c.id),
            "title": c.id,
            "detail": c.message,
        })
    };
    let checks: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .map(|c| c.id)
        .collect();
    let warnings: Vec<Value> = report
        .checks
        .iter()
        .filter(|c| {
            c.outcome == Outcome::Warning || (c.outcome == Outcome::NotChecked && !c.required)
        })
        .map(problem)
        .collect();
    let errors: Vec<Value> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail || (c.outcome == Outcome::NotChecked && c.required))
        .map(problem)
        .collect();
    let body = json!({
        "verified": report.is_verified(),
        "checks": checks,
        "warnings": warnings,
        "errors": errors,
        "report": report.to_json(),
    });
    let status = if report.is_verified() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, Json(body)).into_response()
}

/// `POST /credentials/verify` (W3C VC-API): `{"verifiableCredential": …, "options": {…}}`.
async fn vcapi_credentials(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let map = match parse_json_body(&body) {
        Ok(map) => map,
        Err(error) => return error.into_response(),
    };
    let text = match map.get("verifiableCredential") {
        Some(Value::Object(_)) => map
            .get("verifiableCredential")
            .map(Value::to_string)
            .unwrap_or_default(),
        Some(Value::String(jws)) => jws.clone(),
        Some(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                Some("verifiableCredential"),
                "`verifiableCredential` must be a credential object or a compact JWS string",
            )
        }
        None => {
            return json_error(
                StatusCode::BAD_REQUEST,
                Some("verifiableCredential"),
                "`verifiableCredential` is required",
            )
        }
    };
    if let Err(error) = vcapi_options(&map) {
        return error.into_response();
    }
    let recovered = Recovered {
        text,
        source: Source::Text,
    };
    match state
        .service
        .verify_text(recovered, chrono::Utc::now(), None, None)
        .await
    {
        Ok(v) if v.report.kind == passerelle_core::verify::DocumentKind::Credential => {
            vcapi_response(&v.report)
        }
        Ok(_) => json_error(
            StatusCode::BAD_REQUEST,
            Some("verifiableCredential"),
            "`verifiableCredential` holds a presentation; use /presentations/verify",
        ),
        Err(problem) => problem_response(&problem, Some("verifiableCredential")),
    }
}

/// `POST /presentations/verify` (W3C VC-API): `{"verifiablePresentation": …, "options":
/// {"challenge", "domain"}}`. A challenge issued here is single-use.
async fn vcapi_presentations(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let map = match parse_json_body(&body) {
        Ok(map) => map,
        Err(error) => return error.into_response(),
    };
    let Some(presentation @ Value::Object(_)) = map.get("verifiablePresentation") else {
        return json_error(
            StatusCode::BAD_REQUEST,
            Some("verifiablePresentation"),
            "`verifiablePresentation` is required and must be a presentation object",
        );
    };
    let (challenge, domain) = match vcapi_options(&map) {
        Ok(options) => options,
        Err(error) => return error.into_response(),
    };
    let recovered = Recovered {
        text: presentation.to_string(),
        source: Source::Text,
    };
    match verify_with_challenge(&state, recovered, challenge, domain).await {
        Ok(v) if v.report.kind == passerelle_core::verify::DocumentKind::Presentation => {
            vcapi_response(&v.report)
        }
        Ok(_) => json_error(
            StatusCode::BAD_REQUEST,
            Some("verifiablePresentation"),
            "`verifiablePresentation` holds a credential; use /credentials/verify",
        ),
        Err(problem) => problem_response(&problem, Some("verifiablePresentation")),
    }
}

/// `POST /api/v1/challenges`: a single-use challenge, the presentation request a wallet
/// answers, and a QR code of that request.
async fn issue_challenge(State(state): State<Arc<AppState>>) -> Response {
    let Some((challenge, _)) = state.issue_challenge() else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "too many challenges are open; try again shortly",
        );
    };
    let expires = chrono::Utc::now()
        + chrono::Duration::from_std(CHALLENGE_TTL).unwrap_or(chrono::Duration::minutes(10));
    let request = json!({
        "query": [{
            "type": "QueryByExample",
            "credentialQuery": {
                "reason": "Please present your badge.",
                "example": {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"]
                }
            }
        }],
        "challenge": challenge,
        "domain": state.domain,
    });
    let qr_svg = qr::render_svg(&request.to_string()).ok();
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "challenge": challenge,
            "domain": state.domain,
            "expires": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "verifiablePresentationRequest": request,
            "qrSvg": qr_svg,
        })),
    )
        .into_response()
}

async fn openapi(State(state): State<Arc<AppState>>) -> Response {
    Json(crate::openapi::document(&state.domain)).into_response()
}
