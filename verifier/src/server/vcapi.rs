//! The W3C VC-API endpoints (`POST /credentials/verify`, `POST /presentations/verify`): the
//! request shapes, and the report as a VC-API verification result with RFC 9457 problem details
//! typed by the W3C problem lists.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use passerelle_core::input;
use passerelle_core::verify::{Check, CheckId, DocumentKind, MessageCode, Outcome, Report};

use super::api::verify_with_challenge;
use super::{messages, AppState, LangQuery};
use crate::error::{AppError, VcApiProblem};
use crate::i18n::Messages;
use crate::page;
use crate::service::{InputProblem, Recovered, Source, Verification};

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

impl ProblemType {
    const fn new(base: &'static str, name: &'static str, code: i32) -> Self {
        Self { base, name, code }
    }
}

const PARSING_ERROR: ProblemType = ProblemType::new(VCDM, "PARSING_ERROR", -64);
const CRYPTOGRAPHIC_SECURITY_ERROR: ProblemType =
    ProblemType::new(VCDM, "CRYPTOGRAPHIC_SECURITY_ERROR", -65);
const MALFORMED_VALUE_ERROR: ProblemType = ProblemType::new(VCDM, "MALFORMED_VALUE_ERROR", -66);
const RANGE_ERROR: ProblemType = ProblemType::new(VCDM, "RANGE_ERROR", -67);
const INVALID_DOMAIN_ERROR: ProblemType =
    ProblemType::new(DATA_INTEGRITY, "INVALID_DOMAIN_ERROR", -19);
const INVALID_CHALLENGE_ERROR: ProblemType =
    ProblemType::new(DATA_INTEGRITY, "INVALID_CHALLENGE_ERROR", -20);
const STATUS_RETRIEVAL_ERROR: ProblemType =
    ProblemType::new(STATUS_LIST, "STATUS_RETRIEVAL_ERROR", -128);
const STATUS_VERIFICATION_ERROR: ProblemType =
    ProblemType::new(STATUS_LIST, "STATUS_VERIFICATION_ERROR", -129);

/// Passerelle's own problem types (warnings the W3C lists have no name for), by message code.
const PASSERELLE_PROBLEMS: &str = "urn:passerelle:problem:";

/// The W3C problem type of a check that failed or could not be made, if one fits.
fn problem_type(check: &Check) -> Option<ProblemType> {
    let has = |codes: &[MessageCode]| check.details.iter().any(|d| codes.contains(&d.code));
    Some(match check.id {
        CheckId::Proof | CheckId::VerificationMethod => CRYPTOGRAPHIC_SECURITY_ERROR,
        CheckId::JsonLd | CheckId::DataModel | CheckId::OpenBadges | CheckId::JsonSchema => {
            MALFORMED_VALUE_ERROR
        }
        CheckId::ValidityPeriod => RANGE_ERROR,
        CheckId::Status if check.outcome == Outcome::NotChecked => STATUS_RETRIEVAL_ERROR,
        CheckId::Status => STATUS_VERIFICATION_ERROR,
        CheckId::Challenge
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
        CheckId::Challenge => INVALID_CHALLENGE_ERROR,
        // Not an error of the W3C lists: the binding of a credential to its presenter, the
        // summary of a presentation's credentials, a registry's recognition.
        // An endorsement's subject is checked only in an endorsement's nested report, which
        // never makes the credential fail.
        CheckId::Credentials
        | CheckId::HolderBinding
        | CheckId::IssuerRecognised
        | CheckId::EndorsedSubject => return None,
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
    problem.insert("check".into(), check.id.as_str().into());
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
        for check in report.checks() {
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
    for (n, inner) in report.credentials().iter().enumerate() {
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
        .checks()
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .map(|c| c.id.as_str())
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
    let challenge_check = report.check(CheckId::Challenge);
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
    let passed = |id: CheckId| report.check(id).is_some_and(|c| c.outcome == Outcome::Pass);
    if let Some(holder) = holder {
        results.insert(
            "holder".into(),
            json!({"valid": passed(CheckId::VerificationMethod), "input": holder}),
        );
    }
    let proofs: Vec<Value> = match document.and_then(|d| d.get("proof")) {
        Some(Value::Array(items)) => items.clone(),
        Some(proof @ Value::Object(_)) => vec![proof.clone()],
        _ => vec![],
    };
    let proof_valid = passed(CheckId::Proof) && passed(CheckId::VerificationMethod);
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

/// A malformed VC-API request's problem (see [`VcApiProblem`]).
fn problem(kind: ProblemType, field: Option<&str>, detail: impl Into<String>) -> VcApiProblem {
    VcApiProblem {
        type_url: format!("{}{}", kind.base, kind.name),
        title: kind.name,
        code: Some(kind.code),
        field: field.map(str::to_owned),
        detail: detail.into(),
    }
}

/// An unknown option (VC-API `UNKNOWN_OPTION_PROVIDED`).
fn unknown_option(name: &str) -> VcApiProblem {
    VcApiProblem {
        type_url: format!("{VC_API}UNKNOWN_OPTION_PROVIDED"),
        title: "UNKNOWN_OPTION_PROVIDED",
        code: None,
        field: Some(format!("options.{name}")),
        detail: format!("option `{name}` is not known to this verifier"),
    }
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
) -> Result<VcApiOptions, VcApiProblem> {
    let mut options = VcApiOptions::default();
    let Some(given) = map.get("options") else {
        return Ok(options);
    };
    let Value::Object(given) = given else {
        return Err(problem(
            PARSING_ERROR,
            Some("options"),
            "`options` must be an object",
        ));
    };
    for (name, value) in given {
        if !known.contains(&name.as_str()) {
            return Err(unknown_option(name));
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
                return Err(problem(
                    MALFORMED_VALUE_ERROR,
                    Some(&field),
                    format!("`{field}` must be a string"),
                ))
            }
            _ => {
                return Err(problem(
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
fn vcapi_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, VcApiProblem> {
    match input::parse_json_object(body, &input::InputLimits::default()) {
        Ok(Value::Object(map)) => Ok(map),
        Err(input::InputError::NotAnObject { .. }) | Ok(_) => Err(problem(
            PARSING_ERROR,
            None,
            "the request body must be a JSON object",
        )),
        Err(e) => Err(problem(
            PARSING_ERROR,
            None,
            format!("the request body is not valid JSON: {e}"),
        )),
    }
}

/// The compact JWS inside an `EnvelopedVerifiableCredential`, or a 400 problem.
fn enveloped_credential(envelope: &Value) -> Result<String, VcApiProblem> {
    let id = envelope
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    passerelle_core::verify::enveloped_jws(id)
        .map(str::to_owned)
        .ok_or_else(|| {
            problem(
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
pub(super) async fn vcapi_credentials(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let map = vcapi_body(&body)?;
    let text = match map.get("verifiableCredential") {
        Some(envelope @ Value::Object(_))
            if passerelle_core::model::has_type(envelope, "EnvelopedVerifiableCredential") =>
        {
            enveloped_credential(envelope)?
        }
        Some(credential @ Value::Object(_)) => credential.to_string(),
        Some(Value::String(jws)) => jws.clone(),
        Some(_) => {
            return Err(AppError::from(problem(
                PARSING_ERROR,
                Some("verifiableCredential"),
                "`verifiableCredential` must be a credential object or a compact JWS string",
            )))
        }
        None => {
            return Err(AppError::from(problem(
                PARSING_ERROR,
                Some("verifiableCredential"),
                "`verifiableCredential` is required",
            )))
        }
    };
    let options = vcapi_options(&map, &["returnCredential"])?;
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
            Ok((status, Json(vcapi_result(&m, &v, &options))).into_response())
        }
        Ok(_) => Err(AppError::from(problem(
            MALFORMED_VALUE_ERROR,
            Some("verifiableCredential"),
            "`verifiableCredential` holds a presentation; use /presentations/verify",
        ))),
        Err(InputProblem::Internal) => Err(AppError::from(InputProblem::Internal)),
        Err(unreadable) => Err(AppError::from(problem(
            PARSING_ERROR,
            Some("verifiableCredential"),
            unreadable.to_string(),
        ))),
    }
}

/// `POST /presentations/verify` (W3C VC-API): `{"verifiablePresentation": …, "options":
/// {"challenge", "domain", "returnPresentation"}}`. A challenge issued here is single-use.
/// 200 whenever the verification ran, whatever its outcome (`verified` says it), as the VC-API
/// specifies for this endpoint; 400 with a problem details body for a malformed request.
pub(super) async fn vcapi_presentations(
    State(state): State<Arc<AppState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let map = vcapi_body(&body)?;
    let presentation = match map.get("verifiablePresentation") {
        Some(envelope @ Value::Object(_))
            if passerelle_core::model::has_type(envelope, "EnvelopedVerifiablePresentation") =>
        {
            return Err(AppError::from(problem(
                MALFORMED_VALUE_ERROR,
                Some("verifiablePresentation"),
                "enveloped presentations (vp+jwt) are not supported; send the presentation \
                 object with its Data Integrity proof",
            )))
        }
        Some(presentation @ Value::Object(_)) => presentation,
        Some(_) => {
            return Err(AppError::from(problem(
                PARSING_ERROR,
                Some("verifiablePresentation"),
                "`verifiablePresentation` must be a presentation object",
            )))
        }
        None if map.contains_key("presentation") => {
            return Err(AppError::from(problem(
                MALFORMED_VALUE_ERROR,
                Some("presentation"),
                "proofless presentations are not verified here: a presentation must be signed \
                 by its holder (send it as `verifiablePresentation`)",
            )))
        }
        None => {
            return Err(AppError::from(problem(
                PARSING_ERROR,
                Some("verifiablePresentation"),
                "`verifiablePresentation` is required",
            )))
        }
    };
    let options = vcapi_options(&map, &["challenge", "domain", "returnPresentation"])?;
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
            Ok((StatusCode::OK, Json(vcapi_result(&m, &v, &options))).into_response())
        }
        Ok(_) => Err(AppError::from(problem(
            MALFORMED_VALUE_ERROR,
            Some("verifiablePresentation"),
            "`verifiablePresentation` holds a credential; use /credentials/verify",
        ))),
        Err(InputProblem::Internal) => Err(AppError::from(InputProblem::Internal)),
        Err(unreadable) => Err(AppError::from(problem(
            PARSING_ERROR,
            Some("verifiablePresentation"),
            unreadable.to_string(),
        ))),
    }
}
