//! Registration (RFC 7591 as OB 3.0 §7.1 profiles it), the token endpoint (RFC 6749 §4.1.3,
//! §6; RFC 7636) and revocation (RFC 7009).
//!
//! Errors are RFC 6749 §5.2 JSON (`error`, `error_description`, printable ASCII); a failed
//! client authentication is 401 `invalid_client` with `WWW-Authenticate: Basic`. Everything
//! that carries a secret says `Cache-Control: no-store` and `Pragma: no-cache`.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use passerelle_core::obapi::registration::{
    validate_registration, RegisteredClient, MAX_REGISTRATION_BYTES,
};
use passerelle_core::obapi::{is_valid_code_verifier, verify_s256};
use passerelle_core::oid4vci::PRE_AUTHORIZED_GRANT_TYPE;
use serde_json::{json, Value};

use crate::obapi::{client_actor, token_scope, well_formed, SUPPORTED};
use crate::server::oid4vci::{body_of, error_body, json_no_store, media_type};
use crate::server::AppState;
use crate::store::obapi::{
    ClientRecord, Revocation, TokenExchange, TokenExpiry, CODE_PREFIX, REFRESH_PREFIX,
};
use crate::store::StoreError;

use super::{audit, peer, too_many};

/// Longest form the token and revocation endpoints read.
const MAX_FORM: usize = 8 * 1024;

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    json_no_store(status, &error_body(code, description))
}

fn bad_request(code: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, code, description)
}

fn invalid_client() -> Response {
    let mut response = oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "client authentication failed: send the client id and secret from registration with \
         HTTP Basic (client_secret_basic)",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"passerelle-issuer\""),
    );
    response
}

fn server_error(cause: impl std::fmt::Display) -> Response {
    tracing::error!(cause = %cause, "OAuth request failed");
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "something went wrong on our side; it has been logged",
    )
}

/// The form's parameters, each at most once (RFC 6749 §3.2); `Err` names a repeated one.
pub(crate) fn form(body: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if out.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(format!("the parameter {name} is given more than once"));
        }
    }
    Ok(out)
}

/// `POST /oauth/register`.
pub(super) async fn register(State(state): State<AppState>, request: Request) -> Response {
    if let Err(wait) = state.obapi_limits.registration.check(peer(&request)) {
        return too_many(
            wait,
            bad_request(
                "temporarily_unavailable",
                "too many registrations; retry later",
            ),
        );
    }
    if media_type(request.headers()).as_deref() != Some("application/json") {
        return bad_request(
            "invalid_client_metadata",
            "the registration request must be application/json",
        );
    }
    let Some(body) = body_of(request, MAX_REGISTRATION_BYTES).await else {
        return bad_request(
            "invalid_client_metadata",
            &format!("the registration request is larger than {MAX_REGISTRATION_BYTES} bytes"),
        );
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(
            "invalid_client_metadata",
            "the registration request is not JSON",
        );
    };
    let registration = match validate_registration(&body, &SUPPORTED) {
        Ok(r) => r,
        Err(e) => {
            return json_no_store(
                StatusCode::BAD_REQUEST,
                &serde_json::to_value(&e).unwrap_or_else(|_| json!({"error": e.code.as_str()})),
            )
        }
    };
    let metadata = match serde_json::to_string(&registration) {
        Ok(m) => m,
        Err(e) => return server_error(e),
    };
    let (client, secret) = match state
        .issuer
        .store()
        .register_client(&registration.client_name, &metadata)
        .await
    {
        Ok(pair) => pair,
        Err(e) => return server_error(e),
    };
    audit(
        &state,
        client_actor(&client.id),
        "obapi.client.register",
        &client.id,
        json!({ "client_name": registration.client_name, "scope": registration.scope,
                "redirect_uris": registration.redirect_uris.len() }),
    )
    .await;
    let answer = RegisteredClient {
        client_id: client.id.clone(),
        client_secret: secret.expose().to_owned(),
        client_id_issued_at: u64::try_from(client.created_at.timestamp()).unwrap_or(0),
        client_secret_expires_at: 0,
        metadata: registration,
    };
    match serde_json::to_value(&answer) {
        Ok(body) => json_no_store(StatusCode::CREATED, &body),
        Err(e) => server_error(e),
    }
}

/// The client named by HTTP Basic, if its secret is right. A `client_id` in the body, too, must
/// be the same (RFC 6749 §2.3: one method per request).
async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    params: &HashMap<String, String>,
) -> Result<ClientRecord, Response> {
    let Some((id, secret)) = authorization.and_then(crate::obapi::parse_basic_auth) else {
        return Err(invalid_client());
    };
    if params
        .get("client_id")
        .is_some_and(|body_id| *body_id != id)
    {
        return Err(invalid_client());
    }
    match state.issuer.store().authenticate_client(&id, &secret).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(invalid_client()),
        Err(e) => Err(server_error(e)),
    }
}

/// Reads a form request within [`MAX_FORM`]: the `Authorization` header and the parameters.
async fn read_form(
    request: Request,
) -> Result<(Option<String>, HashMap<String, String>, Vec<u8>), Response> {
    if media_type(request.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(bad_request(
            "invalid_request",
            "the request must be application/x-www-form-urlencoded",
        ));
    }
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(body) = body_of(request, MAX_FORM).await else {
        return Err(bad_request(
            "invalid_request",
            "the request body is larger than 8 KiB or unreadable",
        ));
    };
    let params = form(&body).map_err(|e| bad_request("invalid_request", &e))?;
    Ok((authorization, params, body.to_vec()))
}

fn token_response(tokens: &crate::store::obapi::IssuedTokens, ttl: u32) -> Response {
    json_no_store(
        StatusCode::OK,
        &json!({
            "access_token": tokens.access_token.expose(),
            "token_type": "Bearer",
            "expires_in": ttl,
            "refresh_token": tokens.refresh_token.expose(),
            "scope": tokens.scope,
        }),
    )
}

fn expiry(state: &AppState, at: chrono::DateTime<chrono::Utc>) -> (TokenExpiry, u32) {
    let config = state.issuer.config().ob_api;
    let ttl = config.access_token_ttl();
    (
        TokenExpiry {
            access: at + chrono::Duration::seconds(i64::from(ttl)),
            refresh: at + chrono::Duration::days(i64::from(config.refresh_token_ttl_days())),
        },
        ttl,
    )
}

/// `POST /oauth/token` and `POST /oid4vci/token`: one token endpoint, dispatched on
/// `grant_type`.
pub(super) async fn token(State(state): State<AppState>, request: Request) -> Response {
    if let Err(wait) = state.obapi_limits.token.check(peer(&request)) {
        return too_many(
            wait,
            bad_request(
                "temporarily_unavailable",
                "too many token requests; retry later",
            ),
        );
    }
    let _slot = match crate::server::oid4vci::token_slot(&state) {
        Ok(slot) => slot,
        Err(busy) => return busy,
    };
    let (authorization, params, body) = match read_form(request).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    match params.get("grant_type").map(String::as_str) {
        Some(PRE_AUTHORIZED_GRANT_TYPE) => {
            crate::server::oid4vci::pre_authorized_token(&state, &body).await
        }
        Some("authorization_code") => {
            match authenticate(&state, authorization.as_deref(), &params).await {
                Ok(client) => authorization_code(&state, &client, &params).await,
                Err(response) => response,
            }
        }
        Some("refresh_token") => {
            match authenticate(&state, authorization.as_deref(), &params).await {
                Ok(client) => refresh(&state, &client, &params).await,
                Err(response) => response,
            }
        }
        None => bad_request("invalid_request", "grant_type is missing"),
        Some(other) => bad_request(
            "unsupported_grant_type",
            &format!(
                "the grant type {:?} is not supported: this server offers authorization_code, \
                 refresh_token and {PRE_AUTHORIZED_GRANT_TYPE}",
                other.chars().take(64).collect::<String>()
            ),
        ),
    }
}

/// Why the store's check refused a code or refresh token: (error code, description).
type Refusal = (&'static str, String);

async fn authorization_code(
    state: &AppState,
    client: &ClientRecord,
    params: &HashMap<String, String>,
) -> Response {
    let (Some(code), Some(redirect_uri), Some(verifier)) = (
        params.get("code"),
        params.get("redirect_uri"),
        params.get("code_verifier"),
    ) else {
        return bad_request(
            "invalid_request",
            "code, redirect_uri and code_verifier (PKCE) are required",
        );
    };
    if !is_valid_code_verifier(verifier) {
        return bad_request(
            "invalid_request",
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)",
        );
    }
    if !well_formed(code, CODE_PREFIX) {
        return bad_request("invalid_grant", CODE_TEXTS.unknown);
    }
    let at = crate::store::now_seconds();
    let (expiry, ttl) = expiry(state, at);
    let requested_scope = params.get("scope").map(String::as_str);
    let outcome = state
        .issuer
        .store()
        .exchange_authorization_code(code, &client.id, at, expiry, |record| {
            if record.redirect_uri != *redirect_uri {
                return Err::<String, Refusal>((
                    "invalid_grant",
                    "redirect_uri is not the one of the authorization request".into(),
                ));
            }
            if !verify_s256(verifier, &record.code_challenge) {
                return Err((
                    "invalid_grant",
                    "the code_verifier does not match the code_challenge".into(),
                ));
            }
            token_scope(requested_scope, &record.scope, false).map_err(|e| ("invalid_scope", e.0))
        })
        .await;
    answer(state, client, outcome, ttl, &CODE_TEXTS).await
}

async fn refresh(
    state: &AppState,
    client: &ClientRecord,
    params: &HashMap<String, String>,
) -> Response {
    let Some(token) = params.get("refresh_token") else {
        return bad_request("invalid_request", "refresh_token is required");
    };
    if !well_formed(token, REFRESH_PREFIX) {
        return bad_request("invalid_grant", REFRESH_TEXTS.unknown);
    }
    let at = crate::store::now_seconds();
    let (expiry, ttl) = expiry(state, at);
    let requested_scope = params.get("scope").map(String::as_str);
    let outcome: Result<TokenExchange<Refusal>, StoreError> = state
        .issuer
        .store()
        .refresh_tokens(token, &client.id, at, expiry, |granted| {
            token_scope(requested_scope, granted, true).map_err(|e| ("invalid_scope", e.0))
        })
        .await;
    answer(state, client, outcome, ttl, &REFRESH_TEXTS).await
}

/// What differs between answering an authorization code and a refresh token.
struct GrantTexts {
    /// The audit action of the tokens issued, and the `grant_type` recorded with it, if any.
    issued_action: &'static str,
    issued_grant_type: Option<&'static str>,
    presented: &'static str,
    replay_revokes_grant: bool,
    replayed: &'static str,
    expired: &'static str,
    unknown: &'static str,
}

const CODE_TEXTS: GrantTexts = GrantTexts {
    issued_action: "obapi.token.issue",
    issued_grant_type: Some("authorization_code"),
    presented: "authorization_code",
    replay_revokes_grant: false,
    replayed: "the authorization code has already been used; the tokens issued for it are revoked",
    expired: "the authorization code has expired or its grant was revoked",
    unknown: "the authorization code is not valid",
};

const REFRESH_TEXTS: GrantTexts = GrantTexts {
    issued_action: "obapi.token.refresh",
    issued_grant_type: None,
    presented: "refresh_token",
    replay_revokes_grant: true,
    replayed: "this refresh token was already used; for safety the whole authorization is \
               revoked and the learner must approve the app again",
    expired: "the refresh token has expired or was revoked",
    unknown: "the refresh token is not valid",
};

/// The token endpoint's answer to the store's decision on a code or a refresh token, with its
/// audit entry (RFC 6749 §5.1 / §5.2).
async fn answer(
    state: &AppState,
    client: &ClientRecord,
    outcome: Result<TokenExchange<Refusal>, StoreError>,
    ttl: u32,
    texts: &GrantTexts,
) -> Response {
    let actor = client_actor(&client.id);
    match outcome {
        Ok(TokenExchange::Issued(tokens)) => {
            let details = match texts.issued_grant_type {
                Some(grant_type) => json!({ "grant_type": grant_type, "scope": tokens.scope }),
                None => json!({ "scope": tokens.scope }),
            };
            audit(
                state,
                actor,
                texts.issued_action,
                &format!("grant:{}", tokens.grant_id),
                details,
            )
            .await;
            token_response(&tokens, ttl)
        }
        Ok(TokenExchange::Replayed { grant_id, revoked }) => {
            let details = if texts.replay_revokes_grant {
                json!({ "presented": texts.presented, "tokens_revoked": revoked,
                        "grant_revoked": true })
            } else {
                json!({ "presented": texts.presented, "tokens_revoked": revoked })
            };
            audit(
                state,
                actor,
                "obapi.token.replay",
                &format!("grant:{grant_id}"),
                details,
            )
            .await;
            bad_request("invalid_grant", texts.replayed)
        }
        Ok(TokenExchange::Refused((code, description))) => bad_request(code, &description),
        Ok(TokenExchange::Expired) => bad_request("invalid_grant", texts.expired),
        Ok(_) => bad_request("invalid_grant", texts.unknown),
        Err(e) => server_error(e),
    }
}

/// `POST /oauth/revoke` (RFC 7009): 200 whether the token was revoked now, already, or was
/// never this client's.
pub(super) async fn revoke(State(state): State<AppState>, request: Request) -> Response {
    if let Err(wait) = state.obapi_limits.token.check(peer(&request)) {
        return too_many(
            wait,
            bad_request("temporarily_unavailable", "too many requests; retry later"),
        );
    }
    let (authorization, params, _) = match read_form(request).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let client = match authenticate(&state, authorization.as_deref(), &params).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let Some(token) = params.get("token") else {
        return bad_request("invalid_request", "token is required");
    };
    let at = crate::store::now_seconds();
    let outcome = match state
        .issuer
        .store()
        .revoke_token(token, &client.id, at)
        .await
    {
        Ok(outcome) => outcome,
        Err(e) => return server_error(e),
    };
    let (kind, grant) = match &outcome {
        Revocation::Access { grant_id } => ("access_token", Some(grant_id)),
        Revocation::Refresh { grant_id } => ("refresh_token", Some(grant_id)),
        _ => ("unknown", None),
    };
    if let Some(grant_id) = grant {
        audit(
            &state,
            client_actor(&client.id),
            "obapi.token.revoke",
            &format!("grant:{grant_id}"),
            json!({ "token_type": kind, "grant_revoked": kind == "refresh_token" }),
        )
        .await;
    }
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
