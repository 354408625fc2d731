//! `GET /ims/ob/v3p0/credentials` and `GET /ims/ob/v3p0/profile` (OB 3.0 §6.2): Bearer access
//! tokens in the `Authorization` header only (RFC 6750 §2.1), `imsx_StatusInfo` errors.
//!
//! A grant reads every credential of its learner key that is neither revoked nor suspended,
//! oldest first; nothing else (another learner's credentials are not reachable by any
//! parameter). The profile is a pairwise id, different for each app.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use passerelle_core::obapi::{
    api_url, credentials_response, pagination_links, CodeMinor, CredentialsPage, PageRequest, Scope,
};
use serde_json::{json, Value};

use crate::obapi::{client_actor, has_scope, pairwise_subject, well_formed};
use crate::server::AppState;
use crate::store::obapi::{AccessRecord, ACCESS_PREFIX};

use super::{internal, status_info};

/// The OB 3.0 context of the profile answer.
const OB_CONTEXT_303: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

fn challenge(response: &mut Response, error: &str) {
    let value = format!("Bearer realm=\"passerelle-issuer\", error=\"{error}\"");
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
}

fn unauthorized() -> Response {
    let mut response = status_info(
        CodeMinor::Unauthorizedrequest,
        "a valid access token is required (Authorization: Bearer ...); it may have expired or \
         been revoked",
    );
    challenge(&mut response, "invalid_token");
    response
}

/// The live grant of the request's Bearer token with `scope`, or the 401/403 answer.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<AccessRecord, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(unauthorized)?;
    if !well_formed(token, ACCESS_PREFIX) {
        return Err(unauthorized());
    }
    let record = state
        .issuer
        .store()
        .access_token_grant(token, crate::store::now_seconds())
        .await
        .map_err(internal)?
        .ok_or_else(unauthorized)?;
    if !has_scope(&record.scope, scope) {
        let mut response = status_info(
            CodeMinor::Forbidden,
            &format!("the access token does not have the scope {}", scope.uri()),
        );
        challenge(&mut response, "insufficient_scope");
        return Err(response);
    }
    Ok(record)
}

async fn audit(state: &AppState, record: &AccessRecord, action: &str, details: Value) {
    super::audit(
        state,
        client_actor(&record.client_id),
        action,
        &format!("grant:{}", record.grant_id),
        details,
    )
    .await;
}

fn json_response(body: &Value) -> Response {
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /ims/ob/v3p0/credentials` (getCredentials).
pub(super) async fn credentials(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let record = match authorize(&state, &headers, Scope::CredentialReadonly).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let query = uri.query().unwrap_or("").to_owned();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let page = match PageRequest::from_query(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))) {
        Ok(p) => p,
        Err(e) => return status_info(CodeMinor::InvalidQueryParameter, &e.to_string()),
    };
    let found = match state
        .issuer
        .store()
        .learner_credentials(&record.learner_key, page.since, page.limit, page.offset)
        .await
    {
        Ok(found) => found,
        Err(e) => return internal(e),
    };
    let mut body = CredentialsPage::default();
    for c in &found.credentials {
        let text = c.credential.trim();
        if text.starts_with('{') {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => body.credential.push(v),
                Err(e) => return internal(format!("stored credential {} is not JSON: {e}", c.id)),
            }
        } else {
            body.compact_jws.push(text.to_owned());
        }
    }
    let mut resource = match api_url(&state.issuer.base_url(), "credentials") {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    if let Some((_, since)) = pairs.iter().find(|(n, _)| n == "since") {
        resource.query_pairs_mut().append_pair("since", since);
    }
    let links = pagination_links(&resource, page.limit, page.offset, found.total);
    audit(
        &state,
        &record,
        "obapi.credentials.read",
        json!({ "returned": found.credentials.len(), "total": found.total,
                "offset": page.offset }),
    )
    .await;
    let mut response = json_response(&credentials_response(&body));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&found.total.to_string()) {
        headers.insert("x-total-count", v);
    }
    if let Ok(v) = HeaderValue::from_str(&links) {
        headers.insert(header::LINK, v);
    }
    response
}

/// `GET /ims/ob/v3p0/profile` (getProfile): a pairwise id only.
pub(super) async fn profile(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let record = match authorize(&state, &headers, Scope::ProfileReadonly).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let id = pairwise_subject(&state.issuer, &record.client_id, &record.learner_key);
    audit(&state, &record, "obapi.profile.read", json!({})).await;
    json_response(&json!({
        "@context": [OB_CONTEXT_303],
        "type": ["Profile"],
        "id": id,
    }))
}

/// Any other method on a resource: 405 with `Allow: GET` (this provider is the issuer, not a
/// backpack: it accepts no credentials and keeps no profile to update).
pub(super) async fn not_allowed(method: Method) -> Response {
    let mut response = status_info(
        CodeMinor::NotAllowed,
        &format!(
            "{method} is not allowed here: this provider is the issuer, not a backpack; it \
             only answers GET"
        ),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET"));
    response
}
