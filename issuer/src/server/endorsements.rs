//! The admin API's endorsement routes (issue 16), over [`crate::endorsements`]:
//!
//! - `POST /api/v1/endorsements` signs an EndorsementCredential as this issuer (201, the
//!   record with the signed `credential`); `GET /api/v1/endorsements` lists them;
//!   `POST /api/v1/endorsements/{id}/revoke` revokes one (endorsements have a route of their
//!   own: `…/credentials/{id}/revoke` is for credentials issued to learners).
//! - `POST /api/v1/issuer/endorsements` and `POST /api/v1/achievements/{slug}/endorsements`
//!   attach a received endorsement (`{"endorsement": {…} | "compact JWS", "did_document"?}`);
//!   `DELETE …/endorsements/{id}` detaches it. Attaching to the Profile applies to this
//!   process at once ([`crate::issuance::Issuer::reload_profile`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiJson;
use super::{ApiError, ApiRoute, AppState};
use crate::auth::Actor;
use crate::endorsements::{self, endorsement_view, AttachTarget, EndorseRequest, SignatureCheck};
use crate::store::CredentialId;

/// This module's rows of the route table ([`super::api_routes`]).
pub(super) fn api_routes() -> Vec<ApiRoute> {
    let route = |method, path, handler| ApiRoute {
        method,
        path,
        handler,
        authenticated: true,
    };
    vec![
        route("post", "/api/v1/endorsements", post(create)),
        route("get", "/api/v1/endorsements", get(list)),
        route("post", "/api/v1/endorsements/{id}/revoke", post(revoke)),
        route("post", "/api/v1/issuer/endorsements", post(attach_profile)),
        route(
            "delete",
            "/api/v1/issuer/endorsements/{id}",
            delete(detach_profile),
        ),
        route(
            "post",
            "/api/v1/achievements/{slug}/endorsements",
            post(attach_achievement),
        ),
        route(
            "delete",
            "/api/v1/achievements/{slug}/endorsements/{id}",
            delete(detach_achievement),
        ),
    ]
}

async fn create(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    ApiJson(body): ApiJson<EndorseRequest>,
) -> Result<Response, ApiError> {
    let stored = state.issuer.endorse(&body, actor.as_str()).await?;
    Ok((StatusCode::CREATED, Json(endorsement_view(&stored))).into_response())
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items = state.issuer.store().endorsements().await?;
    Ok(Json(json!({
        "items": items.iter().map(endorsement_view).collect::<Vec<_>>(),
    })))
}

/// The optional body of revoke.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    #[serde(default)]
    reason: Option<String>,
}

async fn revoke(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = endorsement_id(&id)?;
    // No body, or `{"reason": …}`.
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        super::error::parse_json::<ReasonBody>(&body)?.reason
    };
    let stored = state
        .issuer
        .revoke_endorsement(&id, reason.as_deref(), actor.as_str())
        .await?;
    Ok(Json(endorsement_view(&stored)))
}

fn endorsement_id(id: &str) -> Result<CredentialId, ApiError> {
    CredentialId::parse(id).map_err(|_| {
        ApiError::invalid(
            "id",
            format!("{id:?} is not an endorsement id (urn:uuid:…)"),
        )
    })
}

/// The body of an attach: the received endorsement, and the endorser's DID document to check a
/// did:web endorser's signature here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachBody {
    /// A JSON EndorsementCredential, or a compact JWS as a string.
    endorsement: Value,
    #[serde(default)]
    did_document: Option<Value>,
}

async fn attach(
    state: &AppState,
    actor: &Actor,
    target: AttachTarget,
    body: AttachBody,
) -> Result<Response, ApiError> {
    let bytes = match &body.endorsement {
        Value::String(compact) => compact.as_bytes().to_vec(),
        Value::Object(_) => serde_json::to_vec(&body.endorsement)
            .map_err(|e| ApiError::invalid("endorsement", e.to_string()))?,
        _ => {
            return Err(ApiError::invalid(
                "endorsement",
                "expected an EndorsementCredential object or a compact JWS string",
            ))
        }
    };
    let attached = endorsements::attach(
        state.issuer.store(),
        &target,
        &bytes,
        body.did_document.as_ref(),
        actor.as_str(),
        chrono::Utc::now(),
    )
    .await?;
    if target == AttachTarget::Profile {
        state.issuer.reload_profile().await?;
    }
    let (checked, warning) = match &attached.signature {
        SignatureCheck::Verified => (true, None),
        SignatureCheck::NotChecked { reason } => (
            false,
            Some(format!(
                "the signature was not checked here ({reason}); send the endorser's DID \
                 document as did_document to check it — verifiers check it anyway"
            )),
        ),
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": attached.endorsement_id,
            "endorser": attached.endorser,
            "target": attached.target_id,
            "property": attached.property,
            "signature_checked": checked,
            "warning": warning,
        })),
    )
        .into_response())
}

async fn attach_profile(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    ApiJson(body): ApiJson<AttachBody>,
) -> Result<Response, ApiError> {
    attach(&state, &actor, AttachTarget::Profile, body).await
}

async fn attach_achievement(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<AttachBody>,
) -> Result<Response, ApiError> {
    attach(&state, &actor, AttachTarget::Achievement(slug), body).await
}

async fn detach(
    state: &AppState,
    actor: &Actor,
    target: AttachTarget,
    id: &str,
) -> Result<Response, ApiError> {
    endorsements::detach(state.issuer.store(), &target, id, actor.as_str()).await?;
    if target == AttachTarget::Profile {
        state.issuer.reload_profile().await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn detach_profile(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    detach(&state, &actor, AttachTarget::Profile, &id).await
}

async fn detach_achievement(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    detach(&state, &actor, AttachTarget::Achievement(slug), &id).await
}
