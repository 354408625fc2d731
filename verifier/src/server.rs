//! The HTTP service: the page (`GET /`, `POST /verify`), the JSON API (`POST /api/v1/verify`),
//! W3C VC-API (`POST /credentials/verify`, `POST /presentations/verify`), single-use challenges
//! (`POST /api/v1/challenges`), QR decoding of camera frames (`POST /api/v1/scan`) and the
//! OpenAPI document (`GET /api/v1/openapi.json`).
//!
//! Nothing submitted is stored or logged. Verification runs on the service's check threads (see
//! [`Service::verify_text`]); request bodies are capped before they are read.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use passerelle_core::input;
use passerelle_core::qr::{self, QrError, QrPayload};
use passerelle_core::verify::{
    Check, DocumentKind, Message, MessageCode, Outcome, Report, Verdict,
};

use crate::challenge::{ChallengeUse, Challenges};
use crate::i18n::{Catalogues, Messages};
use crate::page::{self, ResultView};
use crate::service::{InputProblem, Recovered, Service, Source, Verification};

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
        .route("/api/v1/verify", post(api_verify))
        .route("/credentials/verify", post(vcapi_credentials))
        .route("/presentations/verify", post(vcapi_presentations))
        .route("/api/v1/challenges", post(issue_challenge))
        .route(
            "/api/v1/scan",
            post(scan_image).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/api/v1/openapi.json", get(openapi))
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
    let mut text = Vec::new();
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
                        "credential" => text = bytes.to_vec(),
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
            };
            (page_headers(), Html(page::result(&m, &view))).into_response()
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
        InputProblem::Busy => {
            return busy(json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                field,
                &problem.to_string(),
            ))
        }
        InputProblem::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        problem if problem.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    json_error(status, field, &problem.to_string())
}

#[derive(Debug, Deserialize)]
struct ChallengeQuery {
    challenge: Option<String>,
    domain: Option<String>,
    /// A language for the messages (`localized` members), e.g. `fr`.
    lang: Option<String>,
}

/// The report as JSON; with a language, each check also carries `localized`:
/// `{"lang", "message", "details"}` in that language (nested credential reports too).
fn report_json(report: &Report, m: Option<&Messages<'_>>) -> Value {
    let mut json = report.to_json();
    if let Some(m) = m {
        localize(&mut json, report, m);
    }
    json
}

fn localize(json: &mut Value, report: &Report, m: &Messages<'_>) {
    if let Some(checks) = json.get_mut("checks").and_then(Value::as_array_mut) {
        for (json_check, check) in checks.iter_mut().zip(&report.checks) {
            let details: Vec<String> = check
                .details
                .iter()
                .map(|d| page::message_text(m, d))
                .collect();
            json_check["localized"] = json!({
                "lang": m.lang(),
                "message": page::message_text(m, &check.message),
                "details": details,
            });
        }
    }
    if let Some(inner) = json.get_mut("credentials").and_then(Value::as_array_mut) {
        for (json_inner, inner_report) in inner.iter_mut().zip(&report.credentials) {
            localize(json_inner, inner_report, m);
        }
    }
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
        Ok(verification) => {
            let m = query
                .lang
                .as_deref()
                .map(|lang| state.catalogues.negotiate(Some(lang), None));
            Json(report_json(&verification.report, m.as_ref())).into_response()
        }
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
    let map = match input::parse_json(trimmed, &input::InputLimits::default()) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Ok(None),
        Err(e) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &e.to_string(),
            ))
        }
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

/// Verifies with the challenge the request names: a challenge issued by this verifier (or an
/// instance sharing its secret) is consumed first, so a second use is a replay; one it did not
/// issue is refused, unless the operator allowed unchallenged presentations (then the caller
/// manages it and the core only compares it). Without one, the core's `challenge` check says
/// it was not checked.
async fn verify_with_challenge(
    state: &AppState,
    recovered: Recovered,
    challenge: Option<String>,
    domain: Option<String>,
) -> Result<Verification, InputProblem> {
    let now = chrono::Utc::now();
    let usage = match challenge.as_deref() {
        Some(c) => Some(state.challenges.consume(c, now).await),
        None => None,
    };
    let mut verification = state
        .service
        .verify_text(recovered, now, challenge, domain, state.allow_unchallenged)
        .await?;
    if verification.report.kind != DocumentKind::Presentation {
        return Ok(verification);
    }
    let refusal = match usage {
        Some(ChallengeUse::Replayed) => Some((
            Outcome::Fail,
            MessageCode::ChallengeReplayed,
            vec![Message::new(MessageCode::ChallengeDetailSingleUse)],
        )),
        Some(ChallengeUse::Expired) => Some((
            Outcome::Fail,
            MessageCode::ChallengeExpired,
            vec![Message::new(MessageCode::ChallengeDetailSingleUse)],
        )),
        Some(ChallengeUse::NotIssued) if !state.allow_unchallenged => {
            Some((Outcome::Fail, MessageCode::ChallengeNotIssued, vec![]))
        }
        Some(ChallengeUse::Unavailable) => Some((
            Outcome::NotChecked,
            MessageCode::ChallengeStoreUnavailable,
            vec![],
        )),
        _ => None,
    };
    if let Some((outcome, code, details)) = refusal {
        refuse_challenge(&mut verification.report, outcome, code, details);
    }
    Ok(verification)
}

/// Replaces the report's challenge check with a refusal (a replay, an expired challenge, one
/// not issued here) or a not-checked (the replay set did not answer).
fn refuse_challenge(
    report: &mut Report,
    outcome: Outcome,
    code: MessageCode,
    details: Vec<Message>,
) {
    let check = Check::new("challenge", outcome, Message::new(code), details, true);
    match report.checks.iter_mut().find(|c| c.id == "challenge") {
        Some(existing) => *existing = check,
        None => report.checks.push(check),
    }
    report.verdict = match (outcome, report.verdict) {
        (Outcome::Fail, _) | (_, Verdict::NotVerified) => Verdict::NotVerified,
        _ => Verdict::Incomplete,
    };
}

// ---------------------------------------------------------------------------------------------
// W3C VC-API

/// A problem type of the W3C specifications (VC Data Model 2.0 §7, Data Integrity §4.7,
/// Bitstring Status List §3.5): its `type` URL, name (`title`) and integer `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProblemType {
    base: &'static str,
    name: &'static str,
    code: i32,
}

const VCDM: &str = "https://www.w3.org/TR/vc-data-model#";
const DATA_INTEGRITY: &str = "https://w3id.org/security#";
const STATUS_LIST: &str = "https://www.w3.org/ns/credentials/status-list#";
const VC_API: &str = "https://www.w3.org/TR/vc-api#";

const PARSING_ERROR: ProblemType = ProblemType {
    base: VCDM,
    name: "PARSING_ERROR",
    code: -64,
};
const CRYPTOGRAPHIC_SECURITY_ERROR: ProblemType = ProblemType {
    base: VCDM,
    name: "CRYPTOGRAPHIC_SECURITY_ERROR",
    code: -65,
};
const MALFORMED_VALUE_ERROR: ProblemType = ProblemType {
    base: VCDM,
    name: "MALFORMED_VALUE_ERROR",
    code: -66,
};
const RANGE_ERROR: ProblemType = ProblemType {
    base: VCDM,
    name: "RANGE_ERROR",
    code: -67,
};
const INVALID_DOMAIN_ERROR: ProblemType = ProblemType {
    base: DATA_INTEGRITY,
    name: "INVALID_DOMAIN_ERROR",
    code: -19,
};
const INVALID_CHALLENGE_ERROR: ProblemType = ProblemType {
    base: DATA_INTEGRITY,
    name: "INVALID_CHALLENGE_ERROR",
    code: -20,
};
const STATUS_RETRIEVAL_ERROR: ProblemType = ProblemType {
    base: STATUS_LIST,
    name: "STATUS_RETRIEVAL_ERROR",
    code: -128,
};
const STATUS_VERIFICATION_ERROR: ProblemType = ProblemType {
    base: STATUS_LIST,
    name: "STATUS_VERIFICATION_ERROR",
    code: -129,
};

/// Passerelle's own problem types (warnings the W3C lists have no name for), by message code.
const PASSERELLE_PROBLEMS: &str = "urn:passerelle:problem:";

/// The W3C problem type of a check that failed or could not be made, if one fits.
fn problem_type(check: &Check) -> Option<ProblemType> {
    let has = |codes: &[MessageCode]| check.details.iter().any(|d| codes.contains(&d.code));
    Some(match check.id {
        "proof" | "verification_method" => CRYPTOGRAPHIC_SECURITY_ERROR,
        "json_ld" | "data_model" | "open_badges" | "json_schema" => MALFORMED_VALUE_ERROR,
        "validity_period" => RANGE_ERROR,
        "status" if check.outcome == Outcome::NotChecked => STATUS_RETRIEVAL_ERROR,
        "status" => STATUS_VERIFICATION_ERROR,
        "challenge"
            if has(&[
                MessageCode::ChallengeDetailMissingDomain,
                MessageCode::ChallengeDetailWrongDomain,
            ]) && !has(&[
                MessageCode::ChallengeDetailMissingChallenge,
                MessageCode::ChallengeDetailWrongChallenge,
            ]) =>
        {
            INVALID_DOMAIN_ERROR
        }
        "challenge" => INVALID_CHALLENGE_ERROR,
        _ => return None,
    })
}

/// Whether a check is a VC-API error (`verified` must be false), a warning, or neither.
///
/// Stricter than the VC-API's classification, which calls status and validity-period problems
/// warnings: a revoked, suspended or expired credential, or one whose revocation could not be
/// checked, is never reported `verified: true` here (the same verdict as the page and
/// `/api/v1/verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Error,
    Warning,
}

fn severity(check: &Check) -> Option<Severity> {
    match check.outcome {
        Outcome::Fail => Some(Severity::Error),
        Outcome::NotChecked if check.required => Some(Severity::Error),
        Outcome::Warning => Some(Severity::Warning),
        // An optional check that could not be made (a schema not available) is a remark; one
        // that does not apply (no status entry, no schema named) is nothing.
        Outcome::NotChecked if check.message.code == MessageCode::SchemaIncomplete => {
            Some(Severity::Warning)
        }
        _ => None,
    }
}

/// One RFC 9457 problem details object for a check: the W3C `type`, `code` and `title` when
/// one fits (else a Passerelle URN and the message code), the check's message as `detail` in
/// the asker's language, plus `check`, `messageCode` and, inside a presentation, `credential`
/// (1-based) as extension members.
fn problem_details(
    m: &Messages<'_>,
    check: &Check,
    credential: Option<usize>,
) -> serde_json::Map<String, Value> {
    let mut problem = serde_json::Map::new();
    match problem_type(check) {
        Some(kind) => {
            problem.insert("type".into(), format!("{}{}", kind.base, kind.name).into());
            problem.insert("code".into(), kind.code.into());
            problem.insert("title".into(), kind.name.into());
        }
        None => {
            let code = check.message.code.as_str();
            problem.insert("type".into(), format!("{PASSERELLE_PROBLEMS}{code}").into());
            problem.insert("title".into(), code.into());
        }
    }
    problem.insert(
        "detail".into(),
        page::message_text(m, &check.message).into(),
    );
    problem.insert("check".into(), check.id.into());
    problem.insert("messageCode".into(), check.message.code.as_str().into());
    if let Some(n) = credential {
        problem.insert("credential".into(), n.into());
    }
    problem
}

/// The problems of a report, errors and warnings apart; a presentation's credentials' problems
/// follow its own, each naming its credential.
fn problems(m: &Messages<'_>, report: &Report) -> (Vec<Value>, Vec<Value>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut add = |report: &Report, credential: Option<usize>| {
        for check in &report.checks {
            match severity(check) {
                Some(Severity::Error) => errors.push(problem_details(m, check, credential).into()),
                Some(Severity::Warning) => {
                    warnings.push(problem_details(m, check, credential).into())
                }
                None => {}
            }
        }
    };
    add(report, None);
    for (n, inner) in report.credentials.iter().enumerate() {
        add(inner, Some(n + 1));
    }
    (errors, warnings)
}

/// The VC-API verification result:
/// - `verified`, and every problem as RFC 9457 problem details in `problemDetails` (the
///   current VerificationResult schema), also split into `errors` and `warnings` (the
///   specification's error-handling section);
/// - `checks`: the checks that passed (earlier VC-API drafts);
/// - for a presentation, `results` with `challenge`, `domain`, `holder` and `proof`;
/// - the verified document when `returnCredential` / `returnPresentation` asked for it;
/// - `report`: Passerelle's full report (an extension member).
fn vcapi_result(
    m: &Messages<'_>,
    verification: &Verification,
    options: &VcApiOptions,
) -> serde_json::Map<String, Value> {
    let report = &verification.report;
    let (errors, warnings) = problems(m, report);
    let mut result = serde_json::Map::new();
    result.insert("verified".into(), report.is_verified().into());
    let all: Vec<Value> = errors.iter().chain(&warnings).cloned().collect();
    result.insert("problemDetails".into(), all.into());
    result.insert("errors".into(), errors.into());
    result.insert("warnings".into(), warnings.into());
    let passed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .map(|c| c.id)
        .collect();
    result.insert("checks".into(), json!(passed));
    if report.kind == DocumentKind::Presentation {
        result.insert(
            "results".into(),
            presentation_results(report, verification.document.as_ref(), options).into(),
        );
    }
    if options.return_document {
        if let Some(document) = &verification.document {
            let key = match report.kind {
                DocumentKind::Presentation => "verifiablePresentation",
                _ => "verifiableCredential",
            };
            result.insert(key.into(), document.clone());
        }
    }
    result.insert("report".into(), report.to_json());
    result
}

/// `results` of a presentation's verification (VC-API VerifyPresentationResult).
fn presentation_results(
    report: &Report,
    document: Option<&Value>,
    options: &VcApiOptions,
) -> serde_json::Map<String, Value> {
    let mut results = serde_json::Map::new();
    let challenge_check = report.check("challenge");
    let failed_for = |codes: &[MessageCode]| {
        challenge_check.is_some_and(|c| {
            c.outcome != Outcome::Pass
                && (codes.contains(&c.message.code)
                    || c.details.iter().any(|d| codes.contains(&d.code))
                    || (c.message.code == MessageCode::ChallengeInvalid && c.details.is_empty()))
        })
    };
    if let Some(challenge) = &options.challenge {
        let valid = !failed_for(&[
            MessageCode::ChallengeDetailMissingChallenge,
            MessageCode::ChallengeDetailWrongChallenge,
            MessageCode::ChallengeReplayed,
            MessageCode::ChallengeExpired,
            MessageCode::ChallengeNotIssued,
            MessageCode::ChallengeStoreUnavailable,
        ]);
        results.insert(
            "challenge".into(),
            json!({"valid": valid, "input": challenge}),
        );
    }
    if let Some(domain) = &options.domain {
        let valid = !failed_for(&[
            MessageCode::ChallengeDetailMissingDomain,
            MessageCode::ChallengeDetailWrongDomain,
        ]);
        results.insert("domain".into(), json!({"valid": valid, "input": domain}));
    }
    let holder = document.and_then(|d| match d.get("holder")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    });
    let passed = |id: &str| report.check(id).is_some_and(|c| c.outcome == Outcome::Pass);
    if let Some(holder) = holder {
        results.insert(
            "holder".into(),
            json!({"valid": passed("verification_method"), "input": holder}),
        );
    }
    let proofs: Vec<Value> = match document.and_then(|d| d.get("proof")) {
        Some(Value::Array(items)) => items.clone(),
        Some(proof @ Value::Object(_)) => vec![proof.clone()],
        _ => vec![],
    };
    let proof_valid = passed("proof") && passed("verification_method");
    results.insert(
        "proof".into(),
        proofs
            .into_iter()
            .map(|proof| json!({"valid": proof_valid, "input": proof}))
            .collect::<Vec<_>>()
            .into(),
    );
    results
}

/// A VC-API request that cannot be processed: a 400 answer as RFC 9457 problem details (plus
/// `field`, the request member at fault).
#[derive(Debug)]
struct VcApiRequestError {
    type_url: String,
    title: &'static str,
    code: Option<i32>,
    field: Option<String>,
    detail: String,
}

impl VcApiRequestError {
    fn new(kind: ProblemType, field: Option<&str>, detail: impl Into<String>) -> Self {
        Self {
            type_url: format!("{}{}", kind.base, kind.name),
            title: kind.name,
            code: Some(kind.code),
            field: field.map(str::to_owned),
            detail: detail.into(),
        }
    }

    /// An unknown option (VC-API `UNKNOWN_OPTION_PROVIDED`).
    fn unknown_option(name: &str) -> Self {
        Self {
            type_url: format!("{VC_API}UNKNOWN_OPTION_PROVIDED"),
            title: "UNKNOWN_OPTION_PROVIDED",
            code: None,
            field: Some(format!("options.{name}")),
            detail: format!("option `{name}` is not known to this verifier"),
        }
    }
}

impl IntoResponse for VcApiRequestError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": self.type_url,
            "title": self.title,
            "status": 400,
            "detail": self.detail,
        });
        if let Some(code) = self.code {
            body["code"] = code.into();
        }
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// A malformed VC-API request's answer.
fn vcapi_error(kind: ProblemType, field: Option<&str>, detail: &str) -> Response {
    VcApiRequestError::new(kind, field, detail).into_response()
}

/// The VC-API options this verifier understands.
#[derive(Debug, Default)]
struct VcApiOptions {
    challenge: Option<String>,
    domain: Option<String>,
    /// `returnCredential` / `returnPresentation`.
    return_document: bool,
}

/// Reads `options`: `known` names the options this endpoint accepts; any other is refused.
fn vcapi_options(
    map: &serde_json::Map<String, Value>,
    known: &[&str],
) -> Result<VcApiOptions, VcApiRequestError> {
    let mut options = VcApiOptions::default();
    let Some(given) = map.get("options") else {
        return Ok(options);
    };
    let Value::Object(given) = given else {
        return Err(VcApiRequestError::new(
            PARSING_ERROR,
            Some("options"),
            "`options` must be an object",
        ));
    };
    for (name, value) in given {
        if !known.contains(&name.as_str()) {
            return Err(VcApiRequestError::unknown_option(name));
        }
        let field = format!("options.{name}");
        match (name.as_str(), value) {
            (_, Value::Null) => {}
            ("challenge", Value::String(s)) => options.challenge = Some(s.clone()),
            ("domain", Value::String(s)) => options.domain = Some(s.clone()),
            ("returnCredential" | "returnPresentation", Value::Bool(b)) => {
                options.return_document = *b
            }
            ("challenge" | "domain", _) => {
                return Err(VcApiRequestError::new(
                    MALFORMED_VALUE_ERROR,
                    Some(&field),
                    format!("`{field}` must be a string"),
                ))
            }
            _ => {
                return Err(VcApiRequestError::new(
                    MALFORMED_VALUE_ERROR,
                    Some(&field),
                    format!("`{field}` must be a boolean"),
                ))
            }
        }
    }
    Ok(options)
}

/// The request body as a JSON object, or a 400 problem.
fn vcapi_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, VcApiRequestError> {
    match input::parse_json_object(body, &input::InputLimits::default()) {
        Ok(Value::Object(map)) => Ok(map),
        Err(input::InputError::NotAnObject { .. }) | Ok(_) => Err(VcApiRequestError::new(
            PARSING_ERROR,
            None,
            "the request body must be a JSON object",
        )),
        Err(e) => Err(VcApiRequestError::new(
            PARSING_ERROR,
            None,
            format!("the request body is not valid JSON: {e}"),
        )),
    }
}

/// The compact JWS inside an `EnvelopedVerifiableCredential`, or a 400 problem.
fn enveloped_credential(envelope: &Value) -> Result<String, VcApiRequestError> {
    let id = envelope
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    passerelle_core::verify::enveloped_jws(id)
        .map(str::to_owned)
        .ok_or_else(|| {
            VcApiRequestError::new(
                MALFORMED_VALUE_ERROR,
                Some("verifiableCredential.id"),
                "an EnvelopedVerifiableCredential must carry a `data:application/vc+jwt,…` URL \
                 (the only enveloped media type this verifier reads)",
            )
        })
}

/// `POST /credentials/verify` (W3C VC-API): `{"verifiableCredential": …, "options": {…}}`,
/// the credential as an object, an `EnvelopedVerifiableCredential` (vc+jwt) or a compact JWS
/// string. 200 when verified, 400 (with the problems) when not, as the W3C VC-API verifier
/// test suite expects; 400 with a problem details body for a malformed request.
async fn vcapi_credentials(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match vcapi_body(&body) {
        Ok(map) => map,
        Err(error) => return error.into_response(),
    };
    let text = match map.get("verifiableCredential") {
        Some(envelope @ Value::Object(_))
            if passerelle_core::model::has_type(envelope, "EnvelopedVerifiableCredential") =>
        {
            match enveloped_credential(envelope) {
                Ok(jws) => jws,
                Err(error) => return error.into_response(),
            }
        }
        Some(credential @ Value::Object(_)) => credential.to_string(),
        Some(Value::String(jws)) => jws.clone(),
        Some(_) => {
            return vcapi_error(
                PARSING_ERROR,
                Some("verifiableCredential"),
                "`verifiableCredential` must be a credential object or a compact JWS string",
            )
        }
        None => {
            return vcapi_error(
                PARSING_ERROR,
                Some("verifiableCredential"),
                "`verifiableCredential` is required",
            )
        }
    };
    let options = match vcapi_options(&map, &["returnCredential"]) {
        Ok(options) => options,
        Err(error) => return error.into_response(),
    };
    let m = messages(&state, query.lang.as_deref(), &headers);
    let verification = match Recovered::from_text(text, Source::Text, state.service.limits()) {
        Ok(recovered) => {
            state
                .service
                .verify_text(recovered, chrono::Utc::now(), None, None, false)
                .await
        }
        Err(problem) => Err(problem),
    };
    match verification {
        Ok(v) if v.report.kind == DocumentKind::Credential => {
            let status = if v.report.is_verified() {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, Json(vcapi_result(&m, &v, &options))).into_response()
        }
        Ok(_) => vcapi_error(
            MALFORMED_VALUE_ERROR,
            Some("verifiableCredential"),
            "`verifiableCredential` holds a presentation; use /presentations/verify",
        ),
        Err(InputProblem::Internal) => problem_response(&InputProblem::Internal, None),
        Err(problem) => vcapi_error(
            PARSING_ERROR,
            Some("verifiableCredential"),
            &problem.to_string(),
        ),
    }
}

/// `POST /presentations/verify` (W3C VC-API): `{"verifiablePresentation": …, "options":
/// {"challenge", "domain", "returnPresentation"}}`. A challenge issued here is single-use.
/// 200 whenever the verification ran, whatever its outcome (`verified` says it), as the VC-API
/// specifies for this endpoint; 400 with a problem details body for a malformed request.
async fn vcapi_presentations(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match vcapi_body(&body) {
        Ok(map) => map,
        Err(error) => return error.into_response(),
    };
    let presentation = match map.get("verifiablePresentation") {
        Some(envelope @ Value::Object(_))
            if passerelle_core::model::has_type(envelope, "EnvelopedVerifiablePresentation") =>
        {
            return vcapi_error(
                MALFORMED_VALUE_ERROR,
                Some("verifiablePresentation"),
                "enveloped presentations (vp+jwt) are not supported; send the presentation \
                 object with its Data Integrity proof",
            )
        }
        Some(presentation @ Value::Object(_)) => presentation,
        Some(_) => {
            return vcapi_error(
                PARSING_ERROR,
                Some("verifiablePresentation"),
                "`verifiablePresentation` must be a presentation object",
            )
        }
        None if map.contains_key("presentation") => {
            return vcapi_error(
                MALFORMED_VALUE_ERROR,
                Some("presentation"),
                "proofless presentations are not verified here: a presentation must be signed \
                 by its holder (send it as `verifiablePresentation`)",
            )
        }
        None => {
            return vcapi_error(
                PARSING_ERROR,
                Some("verifiablePresentation"),
                "`verifiablePresentation` is required",
            )
        }
    };
    let options = match vcapi_options(&map, &["challenge", "domain", "returnPresentation"]) {
        Ok(options) => options,
        Err(error) => return error.into_response(),
    };
    let m = messages(&state, query.lang.as_deref(), &headers);
    let verification = match Recovered::from_text(
        presentation.to_string(),
        Source::Text,
        state.service.limits(),
    ) {
        Ok(recovered) => {
            verify_with_challenge(
                &state,
                recovered,
                options.challenge.clone(),
                options.domain.clone(),
            )
            .await
        }
        Err(problem) => Err(problem),
    };
    match verification {
        Ok(v) if v.report.kind == DocumentKind::Presentation => {
            (StatusCode::OK, Json(vcapi_result(&m, &v, &options))).into_response()
        }
        Ok(_) => vcapi_error(
            MALFORMED_VALUE_ERROR,
            Some("verifiablePresentation"),
            "`verifiablePresentation` holds a credential; use /credentials/verify",
        ),
        Err(InputProblem::Internal) => problem_response(&InputProblem::Internal, None),
        Err(problem) => vcapi_error(
            PARSING_ERROR,
            Some("verifiablePresentation"),
            &problem.to_string(),
        ),
    }
}

/// `POST /api/v1/challenges`: a single-use challenge, the presentation request a wallet
/// answers, and a QR code of that request.
async fn issue_challenge(State(state): State<Arc<AppState>>) -> Response {
    let Ok((challenge, expires)) = state.challenges.issue(chrono::Utc::now()) else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "no challenge can be made right now (randomness unavailable); try again shortly",
        );
    };
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

/// What one QR code found by `POST /api/v1/scan` carries, for the page's camera scanner.
fn scanned_code(text: String) -> Value {
    match qr::decode(&text) {
        Ok(QrPayload::Document(_)) => json!({"text": text, "kind": "document"}),
        Ok(QrPayload::Link(_)) => json!({"text": text, "kind": "link"}),
        Err(problem) => json!({"text": text, "kind": "unusable", "problem": problem.to_string()}),
    }
}

/// `POST /api/v1/scan`: an image (a camera frame, a photo, a screenshot: PNG, JPEG, GIF or
/// WebP) → every QR code in it, each with what it carries (`document`, `link` or `unusable`).
/// It only decodes: nothing is fetched or verified, and nothing is kept or logged. An image
/// without a readable code is a normal answer (`{"codes": []}`), since the page's camera
/// scanner sends frames until one shows a code.
async fn scan_image(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    if body.is_empty() {
        return json_error(
            StatusCode::BAD_REQUEST,
            None,
            "the request body must be an image (PNG, JPEG, GIF, WebP or SVG)",
        );
    }
    // Decoding is CPU and memory work: it runs in one of the service's decode slots.
    let scanned = match state.service.scan(body.to_vec()).await {
        Ok(Ok(texts)) => Ok(texts.into_iter().map(scanned_code).collect::<Vec<_>>()),
        Ok(Err(QrError::NoCode)) => Ok(Vec::new()),
        Ok(Err(other)) => Err(other),
        Err(problem) => return problem_response(&problem, None),
    };
    match scanned {
        Ok(codes) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({ "codes": codes })),
        )
            .into_response(),
        Err(problem @ (QrError::ImageTooLarge { .. } | QrError::OverBudget { .. })) => {
            json_error(StatusCode::PAYLOAD_TOO_LARGE, None, &problem.to_string())
        }
        Err(problem) => json_error(StatusCode::UNPROCESSABLE_ENTITY, None, &problem.to_string()),
    }
}
