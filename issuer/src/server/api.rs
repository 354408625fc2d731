//! The admin API under `/api/v1`: achievements, credentials, bulk jobs, statistics and the
//! audit log. Every route needs a bearer API token (except the OpenAPI document); every change
//! is recorded in the audit log with the token's id as the actor. Responses never carry a
//! learner's email, name or learner key.
//!
//! (About 850 lines: the handlers of one route group, each a few lines over the library calls;
//! splitting them by resource would spread one audit and error convention over several files.)

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::{Extension, Json};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use passerelle_core::data_url::{self, DataUrlError};
use passerelle_core::input;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{read_body, ApiJson};
use super::{ApiError, AppState};
use crate::achievements::{self, AchievementInput, AlignmentInput, ImageInput, IssuerIdentity};
use crate::auth::Actor;
use crate::issuance::{self, IssueRequest, Recipient, StatusChange};
use crate::store::queries::{
    CredentialSearch, CredentialSummary, Deletion, SearchCursor, StatusFilter, MAX_PAGE,
};
use crate::store::{Achievement, CredentialId, IssuedCredential, NewAuditEntry};

/// Default page size of listings.
const DEFAULT_PAGE: u32 = 50;
/// Largest page of the audit log.
const MAX_AUDIT_PAGE: u32 = 1000;

/// Checks `Authorization: Bearer …` against the stored token hashes and records the actor.
pub(super) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized)?;
    let token = state
        .issuer
        .store()
        .authenticate_api_token(presented)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    request.extensions_mut().insert(Actor::api_token(token.id));
    Ok(next.run(request).await)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn audit_entry(
    state: &AppState,
    actor: &Actor,
    action: &str,
    subject: &str,
    details: Value,
) -> Result<(), ApiError> {
    state
        .issuer
        .store()
        .append_audit(&NewAuditEntry {
            actor: actor.as_str().to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            details,
        })
        .await?;
    Ok(())
}

// ----- achievements ----------------------------------------------------------------------------

/// The body of `POST /api/v1/achievements` and `PUT /api/v1/achievements/{slug}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementBody {
    /// Required on POST; on PUT it may be omitted, and must equal the path's slug if given.
    #[serde(default)]
    pub slug: Option<String>,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub criteria: Option<String>,
    #[serde(default)]
    pub criteria_url: Option<String>,
    /// A `data:image/png;base64,…` or `data:image/svg+xml;base64,…` URL.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub image_caption: Option<String>,
    #[serde(default)]
    pub level: Option<u8>,
    #[serde(default)]
    pub credits: Option<f64>,
    /// ISCED-F 2013 field code (2-4 digits).
    #[serde(default)]
    pub isced_f: Option<String>,
    #[serde(default)]
    pub alignments: Vec<AlignmentBody>,
    #[serde(default)]
    pub language: Option<String>,
    /// Slugs of achievements this one is a version (e.g. a translation) of.
    #[serde(default)]
    pub translation_of: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignmentBody {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub framework: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

fn decode_image(url: &str) -> Result<ImageInput, ApiError> {
    let expected =
        "expected a base64 data: URL (data:image/png;base64,… or data:image/svg+xml;base64,…)";
    let decoded = data_url::decode(url, achievements::MAX_IMAGE_BYTES).map_err(|e| {
        let message = match e {
            DataUrlError::TooLarge { .. } => format!(
                "the image is larger than {} KiB; badge images travel inside every credential",
                achievements::MAX_IMAGE_BYTES / 1024
            ),
            DataUrlError::Base64 { reason } => format!("invalid base64: {reason}"),
            DataUrlError::NotADataUrl | DataUrlError::NoComma => expected.to_owned(),
            other => format!("{expected}: {other}"),
        };
        ApiError::invalid("image", message)
    })?;
    Ok(ImageInput {
        bytes: decoded.into_bytes(),
        source: "image".into(),
    })
}

async fn achievement_input(
    state: &AppState,
    slug: String,
    body: AchievementBody,
) -> Result<AchievementInput, ApiError> {
    let image = body.image.as_deref().map(decode_image).transpose()?;
    let mut related = Vec::new();
    for (i, other) in body.translation_of.iter().enumerate() {
        match state.issuer.store().achievement_by_slug(other).await? {
            Some(found) => related.push(achievements::related_to(&found.definition)),
            None => {
                return Err(ApiError::invalid(
                    format!("translation_of[{i}]"),
                    format!("no achievement has the slug {other:?}"),
                ))
            }
        }
    }
    Ok(AchievementInput {
        slug,
        name: body.name,
        description: body.description,
        criteria: body.criteria,
        criteria_url: body.criteria_url,
        image,
        image_caption: body.image_caption,
        level: body.level,
        credits: body.credits,
        isced_f: body.isced_f.clone(),
        alignments: body
            .alignments
            .into_iter()
            .map(|a| AlignmentInput {
                name: a.name,
                url: a.url,
                framework: a.framework,
                code: a.code,
                description: a.description,
            })
            .collect(),
        language: body.language,
        related,
    })
}

fn build(state: &AppState, input: &AchievementInput) -> Result<Value, ApiError> {
    let config = state.issuer.config();
    let identity = IssuerIdentity {
        did: &config.did,
        name: &config.name,
        url: &config.url,
    };
    Ok(achievements::build_definition(identity, input)?)
}

fn achievement_view(a: &Achievement) -> Value {
    json!({
        "slug": a.slug,
        "id": a.definition.get("id").cloned().unwrap_or(Value::Null),
        "created_at": rfc3339(a.created_at),
        "updated_at": rfc3339(a.updated_at),
        "achievement": a.definition,
    })
}

async fn find_achievement(state: &AppState, slug: &str) -> Result<Achievement, ApiError> {
    state
        .issuer
        .store()
        .achievement_by_slug(slug)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: "achievement",
            id: slug.to_owned(),
        })
}

pub(super) async fn list_achievements(
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let all = state.issuer.store().achievements().await?;
    Ok(Json(json!({
        "items": all.iter().map(achievement_view).collect::<Vec<_>>()
    })))
}

pub(super) async fn create_achievement(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    ApiJson(mut body): ApiJson<AchievementBody>,
) -> Result<Response, ApiError> {
    let slug = body
        .slug
        .take()
        .ok_or_else(|| ApiError::invalid("slug", "missing field `slug`"))?;
    let input = achievement_input(&state, slug.clone(), body).await?;
    let definition = build(&state, &input)?;
    let stored = match state
        .issuer
        .store()
        .create_achievement(&slug, &definition)
        .await
    {
        Ok(a) => a,
        Err(crate::store::StoreError::Conflict { .. }) => {
            return Err(ApiError::Conflict {
                message: format!("an achievement with the slug {slug:?} already exists"),
            })
        }
        Err(e) => return Err(e.into()),
    };
    audit_entry(
        &state,
        &actor,
        "achievement.create",
        stored.id.as_str(),
        json!({ "slug": slug }),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(achievement_view(&stored))).into_response())
}

pub(super) async fn show_achievement(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(achievement_view(
        &find_achievement(&state, &slug).await?,
    )))
}

pub(super) async fn update_achievement(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(slug): Path<String>,
    ApiJson(mut body): ApiJson<AchievementBody>,
) -> Result<Json<Value>, ApiError> {
    if let Some(given) = body.slug.take() {
        if given != slug {
            return Err(ApiError::invalid(
                "slug",
                format!("{given:?} differs from the path's {slug:?}; a slug cannot be changed"),
            ));
        }
    }
    let existing = find_achievement(&state, &slug).await?;
    let input = achievement_input(&state, slug.clone(), body).await?;
    let definition = build(&state, &input)?;
    state
        .issuer
        .store()
        .update_achievement(&existing.id, &definition)
        .await?;
    audit_entry(
        &state,
        &actor,
        "achievement.update",
        existing.id.as_str(),
        json!({ "slug": slug }),
    )
    .await?;
    let updated = find_achievement(&state, &slug).await?;
    Ok(Json(achievement_view(&updated)))
}

pub(super) async fn delete_achievement(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let existing = find_achievement(&state, &slug).await?;
    match state
        .issuer
        .store()
        .delete_unused_achievement(&existing.id)
        .await?
    {
        Deletion::Deleted => {}
        Deletion::InUse => {
            return Err(ApiError::Conflict {
                message: format!(
                    "achievement {slug:?} has been awarded (or has a bulk job): it can be changed but not deleted"
                ),
            })
        }
    }
    audit_entry(
        &state,
        &actor,
        "achievement.delete",
        existing.id.as_str(),
        json!({ "slug": slug }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ----- credentials -----------------------------------------------------------------------------

/// The body of `POST /api/v1/credentials`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The achievement's slug (or `urn:uuid:` id).
    pub achievement: String,
    /// The learner's email (only a salted hash goes in the credential). Give this or `did`.
    #[serde(default)]
    pub email: Option<String>,
    /// The learner's DID. Give this or `email`.
    #[serde(default)]
    pub did: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// `YYYY-MM-DD` or an RFC 3339 date-time.
    pub completion_date: String,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub evidence_url: Option<String>,
    #[serde(default)]
    pub evidence_narrative: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    /// RFC 3339; when the claim link stops working.
    #[serde(default)]
    pub claim_expires: Option<String>,
    /// Whether the OpenID4VCI credential offer needs a transaction code (a 6-digit PIN returned
    /// here, to deliver on another channel); absent: `[oid4vci] tx_code` in issuer.toml.
    #[serde(default)]
    pub tx_code: Option<bool>,
}

fn parse_time(field: &str, text: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = if end_of_day {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        if let Some(at) = day.and_hms_opt(0, 0, 0) {
            return Ok(at.and_utc());
        }
    }
    Err(ApiError::invalid(
        field,
        format!("{text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 date-time"),
    ))
}

fn issue_request(body: IssueBody) -> Result<IssueRequest, ApiError> {
    let recipient = match (body.email, body.did) {
        (Some(email), None) => Recipient::Email(email),
        (None, Some(did)) => Recipient::Did(did),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "did",
                "give either email or did, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "email",
                "the learner is needed: give email (or did)",
            ))
        }
    };
    let completed = issuance::parse_completion_date(&body.completion_date)
        .map_err(|reason| ApiError::invalid("completion_date", reason))?;
    let claim_expires = body
        .claim_expires
        .as_deref()
        .map(|text| parse_time("claim_expires", text, false))
        .transpose()?;
    Ok(IssueRequest {
        achievement: body.achievement,
        recipient,
        name: body.name,
        completed,
        result: body.result,
        evidence_url: body.evidence_url,
        evidence_narrative: body.evidence_narrative,
        external_id: body.external_id,
        claim_expires,
        tx_code: body.tx_code,
    })
}

fn status_word(revoked: bool, suspended: bool) -> &'static str {
    if revoked {
        "revoked"
    } else if suspended {
        "suspended"
    } else {
        "active"
    }
}

/// The stored credential: JSON when it is JSON, else the compact JWS text.
fn credential_document(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A stored credential as `GET /api/v1/credentials/{id}` shows it.
pub fn credential_view(c: &IssuedCredential, slug: Option<&str>) -> Value {
    json!({
        "id": c.id.as_str(),
        "achievement": slug,
        "achievement_id": c.achievement_id.as_str(),
        "external_id": c.external_id,
        "issued_at": rfc3339(c.issued_at),
        "status": status_word(c.revoked_at.is_some(), c.suspended),
        "revoked_at": c.revoked_at.map(rfc3339),
        "revocation_reason": c.revocation_reason,
        "suspended": c.suspended,
        "suspension_reason": c.suspension_reason,
        "credential": credential_document(&c.credential),
    })
}

/// One item of a credential listing.
pub fn summary_view(c: &CredentialSummary) -> Value {
    json!({
        "id": c.id,
        "achievement": c.achievement_slug,
        "achievement_id": c.achievement_id,
        "external_id": (!c.external_id.is_empty()).then_some(&c.external_id),
        "issued_at": rfc3339(c.issued_at),
        "status": status_word(c.revoked_at.is_some(), c.suspended),
        "revoked_at": c.revoked_at.map(rfc3339),
        "revocation_reason": c.revocation_reason,
        "suspended": c.suspended,
        "suspension_reason": c.suspension_reason,
    })
}

async fn slug_of(state: &AppState, c: &IssuedCredential) -> Result<Option<String>, ApiError> {
    Ok(state
        .issuer
        .store()
        .achievement(&c.achievement_id)
        .await?
        .map(|a| a.slug))
}

pub(super) async fn issue_credential(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<Response, ApiError> {
    let request = issue_request(body)?;
    // `issue` returns only after the credential, its claim token and audit record committed.
    let issued = state.issuer.issue(&request, actor.as_str()).await?;
    let slug = slug_of(&state, &issued.credential).await?;
    let mut view = credential_view(&issued.credential, slug.as_deref());
    view["new"] = Value::Bool(issued.new);
    view["claim"] = match &issued.claim {
        Some(claim) => {
            // A by-value offer with a fresh pre-authorized code, for a QR code shown at once.
            // None for a revoked badge (an earlier credential issued again): nothing to offer.
            let minted = match crate::oid4vci::offer_for_reference_secret(
                &state.issuer,
                &claim.offer_reference,
            )
            .await
            {
                Ok(minted) => Some(minted),
                Err(crate::oid4vci::Oid4vciError::OfferGone { .. }) => None,
                Err(e) => {
                    return Err(ApiError::internal(
                        passerelle_core::error_text::error_chain(&e),
                    ))
                }
            };
            json!({
                "url": claim.url,
                "expires_at": claim.expires_at.map(rfc3339),
                "credential_offer": claim.credential_offer,
                "credential_offer_by_value": minted.as_ref().map(|m| m.uri.clone()),
                "pre_authorized_code_expires_at": minted.as_ref().map(|m| rfc3339(m.code_expires_at)),
                "tx_code": claim.tx_code.as_ref().map(|pin| pin.expose()),
            })
        }
        None => Value::Null,
    };
    let status = if issued.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(view)).into_response();
    if issued.new {
        let location = format!("/api/v1/credentials/{}", issued.credential.id);
        if let Ok(value) = header::HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    Ok(response)
}

fn parse_credential_id(id: &str) -> Result<CredentialId, ApiError> {
    CredentialId::parse(id)
        .map_err(|_| ApiError::invalid("id", format!("{id:?} is not a credential id (urn:uuid:…)")))
}

pub(super) async fn show_credential(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_credential_id(&id)?;
    let found = state
        .issuer
        .store()
        .credential(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: "credential",
            id: id.to_string(),
        })?;
    let slug = slug_of(&state, &found).await?;
    Ok(Json(credential_view(&found, slug.as_deref())))
}

/// The optional body of revoke / suspend / unsuspend.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    pub reason: Option<String>,
}

async fn change_status(
    state: AppState,
    actor: Actor,
    id: String,
    change: StatusChange,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let id = parse_credential_id(&id)?;
    let has_json_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    let bytes = read_body(request, &state).await?;
    let body: ReasonBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        ReasonBody::default()
    } else if !has_json_type {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json (or no body)",
        });
    } else {
        super::error::parse_json(&bytes)?
    };
    let updated = state
        .issuer
        .set_status(&id, change, body.reason.as_deref(), actor.as_str())
        .await?;
    let slug = slug_of(&state, &updated).await?;
    Ok(Json(credential_view(&updated, slug.as_deref())))
}

/// `POST /api/v1/credentials/{id}/revoke`, `…/suspend` and `…/unsuspend`: one handler, told
/// which change its route makes.
pub(super) fn change_status_route(change: StatusChange) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              Extension(actor): Extension<Actor>,
              Path(id): Path<String>,
              request: Request| async move {
            change_status(state, actor, id, change, request).await
        },
    )
}

/// Refuses query parameters this endpoint does not know, naming the first.
pub(super) fn known_params(
    query: &HashMap<String, String>,
    known: &[&str],
) -> Result<(), ApiError> {
    let mut unknown: Vec<&String> = query
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    unknown.sort();
    match unknown.first() {
        Some(name) => Err(ApiError::invalid(
            name.as_str(),
            format!(
                "unknown query parameter; this endpoint takes {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn parse_limit(query: &HashMap<String, String>, default: u32, max: u32) -> Result<u32, ApiError> {
    match query.get("limit") {
        None => Ok(default),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(
                "limit",
                format!("{text:?}: expected a whole number from 1 to {max}"),
            )),
        },
    }
}

/// The opaque `next_cursor` of a credential listing.
pub fn encode_cursor(cursor: &SearchCursor) -> String {
    let text = json!({ "t": cursor.issued_at.to_rfc3339_opts(SecondsFormat::Nanos, true), "i": cursor.id })
        .to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(text: &str) -> Result<SearchCursor, ApiError> {
    let bad = || {
        ApiError::invalid(
            "cursor",
            "not a cursor this API returned (use next_cursor as is)",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| bad())?;
    let value = input::parse_json(&bytes, &input::InputLimits::default()).map_err(|_| bad())?;
    let at = value["t"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(bad)?;
    let id = value["i"].as_str().ok_or_else(bad)?;
    Ok(SearchCursor {
        issued_at: at.with_timezone(&Utc),
        id: id.to_owned(),
    })
}

pub(super) async fn list_credentials(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let search = credential_search(state.issuer.store(), &query).await?;
    let page = state.issuer.store().search_credentials(&search).await?;
    Ok(Json(json!({
        "items": page.items.iter().map(summary_view).collect::<Vec<_>>(),
        "next_cursor": page.next.as_ref().map(encode_cursor),
    })))
}

/// The query parameters of `GET /api/v1/credentials` (achievement slug or id, status
/// active|revoked|suspended, issued_after, issued_before, q, limit, cursor) as a search; the
/// CLI's `credential list` builds the same map from its flags.
pub async fn credential_search(
    store: &crate::store::Store,
    query: &HashMap<String, String>,
) -> Result<CredentialSearch, ApiError> {
    known_params(query, CREDENTIAL_SEARCH_PARAMS)?;
    let mut search = CredentialSearch {
        limit: parse_limit(query, DEFAULT_PAGE, MAX_PAGE)?,
        ..Default::default()
    };
    if let Some(key) = query.get("achievement") {
        let found = if key.starts_with("urn:uuid:") {
            store
                .achievement(&crate::store::AchievementId::from(key.clone()))
                .await?
        } else {
            store.achievement_by_slug(key).await?
        };
        let Some(found) = found else {
            return Err(ApiError::invalid(
                "achievement",
                format!("no achievement {key:?}"),
            ));
        };
        search.achievement = Some(found.id);
    }
    if let Some(text) = query.get("status") {
        search.status = Some(StatusFilter::parse(text).ok_or_else(|| {
            ApiError::invalid(
                "status",
                format!("{text:?}: expected active, revoked or suspended"),
            )
        })?);
    }
    if let Some(text) = query.get("issued_after") {
        search.issued_after = Some(parse_time("issued_after", text, false)?);
    }
    if let Some(text) = query.get("issued_before") {
        search.issued_before = Some(parse_time("issued_before", text, true)?);
    }
    if let Some(text) = query.get("q") {
        if text.chars().count() > 256 {
            return Err(ApiError::invalid("q", "longer than 256 characters"));
        }
        if !text.trim().is_empty() {
            search.text = Some(text.clone());
        }
    }
    if let Some(text) = query.get("cursor") {
        search.after = Some(decode_cursor(text)?);
    }
    Ok(search)
}

/// The query parameters [`credential_search`] reads.
pub const CREDENTIAL_SEARCH_PARAMS: &[&str] = &[
    "achievement",
    "status",
    "issued_after",
    "issued_before",
    "q",
    "limit",
    "cursor",
];

// ----- statistics and audit ----------------------------------------------------------------------

pub(super) async fn stats(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let counts = state.issuer.store().monthly_counts().await?;
    let (mut issued, mut revoked, mut suspended) = (0i64, 0i64, 0i64);
    let rows: Vec<Value> = counts
        .iter()
        .map(|c| {
            issued += c.issued;
            revoked += c.revoked;
            suspended += c.suspended;
            json!({
                "achievement": c.achievement_slug,
                "month": c.month,
                "issued": c.issued,
                "revoked": c.revoked,
                "suspended": c.suspended,
            })
        })
        .collect();
    Ok(Json(json!({
        "generated_at": rfc3339(Utc::now()),
        "by_achievement_month": rows,
        "totals": { "issued": issued, "revoked": revoked, "suspended": suspended },
    })))
}

pub(super) async fn audit(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    known_params(&query, &["after", "limit"])?;
    let after = match query.get("after") {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                ApiError::invalid(
                    "after",
                    format!("{text:?}: expected an audit record id (0 or more)"),
                )
            })?,
    };
    let limit = parse_limit(&query, 100, MAX_AUDIT_PAGE)?;
    let entries = state.issuer.store().audit_entries(after, limit).await?;
    let next = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(Json(json!({
        "entries": entries.iter().map(|e| json!({
            "id": e.id,
            "at": rfc3339(e.at),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "details": e.details,
        })).collect::<Vec<_>>(),
        "next_after": next,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = SearchCursor {
            issued_at: DateTime::parse_from_rfc3339("2026-05-01T10:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            id: "urn:uuid:1".into(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
        for bad in ["", "!!", "e30"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("x", "2026-05-01", true).unwrap(),
            parse_time("x", "2026-05-02T00:00:00Z", false).unwrap()
        );
        assert!(parse_time("x", "May 1", false).is_err());
    }
}
