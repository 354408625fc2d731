//! Passerelle's JSON API: `POST /api/v1/verify` (a report), `POST /api/v1/challenges`
//! (single-use challenges), `POST /api/v1/scan` (QR codes in a camera frame) and the OpenAPI
//! document. Errors answer [`AppError`]'s one shape.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use passerelle_core::input;
use passerelle_core::qr::{self, QrError, QrPayload};
use passerelle_core::verify::{
    Check, CheckId, DocumentKind, Message, MessageCode, Outcome, Report,
};

use super::AppState;
use crate::challenge::ChallengeUse;
use crate::error::AppError;
use crate::i18n::Messages;
use crate::page;
use crate::service::{InputProblem, Recovered, Verification};

#[derive(Debug, Deserialize)]
pub(super) struct ChallengeQuery {
    challenge: Option<String>,
    domain: Option<String>,
    /// A language for the messages (`localized` members), e.g. `fr`.
    lang: Option<String>,
}

/// The report as JSON; with a language, each check also carries `localized`:
/// `{"lang", "message", "details"}` in that language (nested credential and endorsement
/// reports too).
fn report_json(report: &Report, m: Option<&Messages<'_>>) -> Value {
    let mut json = report.to_json();
    if let Some(m) = m {
        localize(&mut json, report, m);
    }
    json
}

fn localize(json: &mut Value, report: &Report, m: &Messages<'_>) {
    if let Some(checks) = json.get_mut("checks").and_then(Value::as_array_mut) {
        for (json_check, check) in checks.iter_mut().zip(report.checks()) {
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
        for (json_inner, inner_report) in inner.iter_mut().zip(report.credentials()) {
            localize(json_inner, inner_report, m);
        }
    }
    if let Some(endorsements) = json.get_mut("endorsements").and_then(Value::as_array_mut) {
        for (json_endorsement, endorsement) in endorsements.iter_mut().zip(report.endorsements()) {
            if let Some(inner) = json_endorsement.get_mut("report") {
                localize(inner, &endorsement.report, m);
            }
        }
    }
}

/// `POST /api/v1/verify`: a credential, presentation, compact JWS, or `{"qr": "…"}`; answers
/// the report. `?challenge=&domain=` bind a presentation.
pub(super) async fn api_verify(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ChallengeQuery>,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let recovered = match qr_field(&body)? {
        Some(text) => state.service.from_qr_text(&text).await?,
        None => state.service.recover(&body).await?,
    };
    let verification =
        verify_with_challenge(&state, recovered, query.challenge, query.domain).await?;
    let m = query
        .lang
        .as_deref()
        .map(|lang| state.catalogues.negotiate(Some(lang), None));
    Ok(Json(report_json(&verification.report, m.as_ref())))
}

/// `{"qr": "…"}` → the QR text; any other body → `None`.
fn qr_field(body: &[u8]) -> Result<Option<String>, AppError> {
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
            return Err(AppError::Unreadable {
                message: e.to_string(),
            })
        }
    };
    match map.get("qr") {
        None => Ok(None),
        Some(Value::String(text)) if map.len() == 1 => Ok(Some(text.clone())),
        Some(Value::String(_)) => Err(AppError::invalid(
            Some("qr"),
            "a {\"qr\": …} request carries only the `qr` field",
        )),
        Some(_) => Err(AppError::invalid(
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
pub(super) async fn verify_with_challenge(
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
/// not issued here) or a not-checked (the replay set did not answer); the report recomputes its
/// verdict.
fn refuse_challenge(
    report: &mut Report,
    outcome: Outcome,
    code: MessageCode,
    details: Vec<Message>,
) {
    report.replace_check(Check::new(
        CheckId::Challenge,
        outcome,
        Message::new(code),
        details,
        true,
    ));
}

/// `POST /api/v1/challenges`: a single-use challenge, the presentation request a wallet
/// answers, and a QR code of that request.
pub(super) async fn issue_challenge(
    State(state): State<Arc<AppState>>,
) -> Result<Response, AppError> {
    let Ok((challenge, expires)) = state.challenges.issue(chrono::Utc::now()) else {
        return Err(AppError::Unavailable {
            message: "no challenge can be made right now (randomness unavailable); try again \
                      shortly"
                .into(),
        });
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
    Ok((
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
        .into_response())
}

pub(super) async fn openapi(State(state): State<Arc<AppState>>) -> Response {
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
pub(super) async fn scan_image(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, AppError> {
    if body.is_empty() {
        return Err(AppError::invalid(
            None,
            "the request body must be an image (PNG, JPEG, GIF, WebP or SVG)",
        ));
    }
    // Decoding is CPU and memory work: it runs in one of the service's decode slots.
    let codes = match state.service.scan(body.to_vec()).await? {
        Ok(texts) => texts.into_iter().map(scanned_code).collect::<Vec<_>>(),
        Err(QrError::NoCode) => Vec::new(),
        Err(problem @ (QrError::ImageTooLarge { .. } | QrError::OverBudget { .. })) => {
            return Err(AppError::TooLarge {
                message: problem.to_string(),
            })
        }
        Err(problem) => {
            return Err(AppError::Unreadable {
                message: problem.to_string(),
            })
        }
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "codes": codes })),
    )
        .into_response())
}
