//! The authorization endpoint (RFC 6749 §4.1.1, PKCE S256 required) and its consent page.
//!
//! `client_id` and `redirect_uri` are checked first: an unknown client or a redirect URI that
//! is not registered gets an HTML error page, never a redirect (RFC 6749 §4.1.2.1). Every other
//! fault is sent back to the client's redirect URI with `error` and `state`.
//!
//! The consent page (server-rendered, no script, every value escaped, `Cache-Control:
//! no-store`, `Referrer-Policy: no-referrer`) says which app asks for what in plain words and
//! asks the learner for a claim link of any of their badges: that proves who they are, and
//! the grant covers every credential of that learner. The form carries the pending request id
//! and a CSRF token that must equal the `passerelle_oauth_csrf` cookie and the hash stored with
//! the request. An unknown or expired claim link gets one generic message whatever the reason;
//! after [`MAX_CLAIM_ATTEMPTS`] wrong ones the request is dead.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use passerelle_core::obapi::registration::{redirect_uri_matches, ClientRegistration};
use passerelle_core::obapi::{is_valid_code_challenge, scope_string, Scope};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::obapi::{
    authorization_scope, claim_token_from_input, client_actor, origin_of, redirect_to, well_formed,
    CODE_TTL_SECONDS, CSRF_COOKIE, LEARNER_ACTOR, MAX_CLAIM_ATTEMPTS, REQUEST_TTL_SECONDS,
};
use crate::server::claim::escape;
use crate::server::oid4vci::{body_of, media_type};
use crate::server::AppState;
use crate::store::obapi::{Approval, AuthRequestRecord, NewAuthRequest, REQUEST_PREFIX};
use crate::store::StoreError;

use super::discovery::endpoint;
use super::oauth::form;
use super::{audit, peer, too_many};

/// The one message for a claim link that is not accepted, whatever the reason.
pub const CLAIM_REFUSED: &str = "This claim link was not accepted. Check that you copied the \
    whole link from one of your badge messages, or ask the organisation that awarded it for a \
    new one.";

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1b1b1b;background:#f6f6f4}\
main{max-width:40rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem}\
h1{font-size:1.5rem;margin-top:0}label{display:block;font-weight:600;margin-top:1rem}\
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{margin:1rem .5rem 0 0;padding:.5rem 1rem;font-size:1rem}\
.error{padding:.6rem;border-radius:.3rem;background:#fdecea;border:1px solid #b3261e}a{color:#0b57d0}";

/// An HTML page with the private headers; `form_action` is the CSP `form-action` sources.
fn page(status: StatusCode, title: &str, body: &str, form_action: &str) -> Response {
    let document = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        document,
    )
        .into_response();
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
         form-action {form_action}; frame-ancestors 'none'"
    );
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// A page that explains a refusal and offers nothing to submit.
fn error_page(status: StatusCode, title: &str, text: &str) -> Response {
    page(
        status,
        title,
        &format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(text)),
        "'none'",
    )
}

fn server_error(cause: impl std::fmt::Display) -> Response {
    tracing::error!(cause = %cause, "authorization request failed");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side; it has been logged. Please try again later.",
    )
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A redirect to the client with an error (RFC 6749 §4.1.2.1).
fn redirect_error(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let description = crate::server::oid4vci::ascii_description(description);
    let mut params = vec![
        ("error", error),
        ("error_description", description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    match redirect_to(redirect_uri, &params) {
        Some(location) => see_other(&location),
        None => server_error("a registered redirect URI is not a URL"),
    }
}

/// `GET /oauth/authorize`: the request in the query.
pub(super) async fn authorize_get(State(state): State<AppState>, request: Request) -> Response {
    let query = request.uri().query().unwrap_or("").as_bytes().to_vec();
    match form(&query) {
        Ok(params) => authorization_request(&state, &params).await,
        Err(e) => error_page(StatusCode::BAD_REQUEST, "Invalid authorization request", &e),
    }
}

/// `POST /oauth/authorize`: the consent form (it has `request`), or an authorization request
/// sent as a form (RFC 6749 §3.1 allows POST).
pub(super) async fn authorize_post(State(state): State<AppState>, request: Request) -> Response {
    if let Err(wait) = state.obapi_limits.consent.check(peer(&request)) {
        return too_many(
            wait,
            error_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many attempts from here: wait a minute and try again.",
            ),
        );
    }
    if media_type(request.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The form must be sent as application/x-www-form-urlencoded.",
        );
    }
    let cookie = csrf_cookie(request.headers());
    let Some(body) = body_of(request, 16 * 1024).await else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The form is too large.",
        );
    };
    let params = match form(&body) {
        Ok(p) => p,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Invalid request", &e),
    };
    if params.contains_key("request") {
        decision(&state, &params, cookie.as_deref()).await
    } else {
        authorization_request(&state, &params).await
    }
}

fn csrf_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == CSRF_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
}

fn registration_of(metadata: &str) -> Option<ClientRegistration> {
    serde_json::from_str(metadata).ok()
}

async fn authorization_request(state: &AppState, params: &HashMap<String, String>) -> Response {
    let get = |name: &str| params.get(name).map(String::as_str);
    // 1. The client and its redirect URI, before anything is sent anywhere.
    let Some(client_id) = get("client_id") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid authorization request",
            "The app did not say who it is (client_id is missing).",
        );
    };
    let client = match state.issuer.store().client(client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Unknown app",
                "The app that sent you here is not registered with this issuer.",
            )
        }
        Err(e) => return server_error(e),
    };
    let Some(registration) = registration_of(&client.metadata) else {
        return server_error("a stored client registration cannot be read");
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid authorization request",
            "The app did not say where to send you back (redirect_uri is missing).",
        );
    };
    if !registration
        .redirect_uris
        .iter()
        .any(|r| redirect_uri_matches(r, redirect_uri))
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid authorization request",
            "The address the app asked to send you back to is not one it registered, so you \
             are not sent there.",
        );
    }
    // 2. The rest goes back to the client.
    let state_param = get("state");
    if get("response_type") != Some("code") {
        return redirect_error(
            redirect_uri,
            "unsupported_response_type",
            "response_type must be code",
            state_param,
        );
    }
    let Some(client_state) = state_param.filter(|s| !s.is_empty() && s.len() <= 512) else {
        return redirect_error(
            redirect_uri,
            "invalid_request",
            "state is required (at most 512 characters)",
            None,
        );
    };
    if get("code_challenge_method") != Some("S256") {
        return redirect_error(
            redirect_uri,
            "invalid_request",
            "PKCE is required with code_challenge_method=S256",
            Some(client_state),
        );
    }
    let Some(challenge) = get("code_challenge").filter(|c| is_valid_code_challenge(c)) else {
        return redirect_error(
            redirect_uri,
            "invalid_request",
            "code_challenge must be the 43-character base64url SHA-256 of the code verifier",
            Some(client_state),
        );
    };
    let decision = match authorization_scope(get("scope"), &registration.scope) {
        Ok(d) => d,
        Err(e) => return redirect_error(redirect_uri, "invalid_scope", &e.0, Some(client_state)),
    };
    let now = crate::store::now_seconds();
    let new = NewAuthRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scope_string(&decision.granted),
        refused_scope: decision.refused.join(" "),
        state: client_state.to_owned(),
        code_challenge: challenge.to_owned(),
        expires_at: now + chrono::Duration::seconds(REQUEST_TTL_SECONDS),
    };
    let secrets = match state
        .issuer
        .store()
        .create_authorization_request(&new)
        .await
    {
        Ok(s) => s,
        Err(e) => return server_error(e),
    };
    let stored = AuthRequestRecord {
        client_id: new.client_id,
        redirect_uri: new.redirect_uri,
        scope: new.scope,
        refused_scope: new.refused_scope,
        state: new.state,
        code_challenge: new.code_challenge,
        csrf_hash: Vec::new(),
        expires_at: new.expires_at,
        used_at: None,
        failed_attempts: 0,
    };
    let mut response = consent_page(
        state,
        StatusCode::OK,
        &registration,
        &stored,
        secrets.request.expose(),
        secrets.csrf.expose(),
        None,
    );
    let secure = if state.issuer.base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{CSRF_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={REQUEST_TTL_SECONDS}{secure}",
        secrets.csrf.expose()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

fn host_of(uri: &str) -> String {
    url::Url::parse(uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| uri.to_owned())
}

#[allow(clippy::too_many_arguments)]
fn consent_page(
    state: &AppState,
    status: StatusCode,
    client: &ClientRegistration,
    request: &AuthRequestRecord,
    request_id: &str,
    csrf: &str,
    message: Option<&str>,
) -> Response {
    let issuer = state.issuer.config().name;
    let name = escape(&client.client_name);
    let host = escape(&host_of(&client.client_uri));
    let mut body = format!("<h1>Connect {name} to your badges</h1>\n");
    if let Some(message) = message {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape(message)
        ));
    }
    body.push_str(&format!(
        "<p><strong>{name}</strong> (<a href=\"{uri}\">{host}</a>) asks to use your badges from \
         {issuer}. It will be able to:</p>\n<ul>\n",
        uri = escape(&client.client_uri),
        issuer = escape(&issuer),
    ));
    for scope in passerelle_core::obapi::parse_scope(&request.scope).known {
        body.push_str(&format!("<li>{}</li>\n", escape(scope.plain_words())));
    }
    body.push_str("</ul>\n");
    let refused: Vec<&str> = request.refused_scope.split_whitespace().collect();
    if !refused.is_empty() {
        body.push_str("<p>It also asked for the following, which this issuer does not allow and will not grant:</p>\n<ul>\n");
        for uri in refused {
            let words = match Scope::from_uri(uri) {
                Some(scope) => scope.plain_words(),
                None => uri,
            };
            body.push_str(&format!("<li>{}</li>\n", escape(words)));
        }
        body.push_str("</ul>\n");
    }
    body.push_str(&format!(
        "<p>This covers every badge {issuer} has awarded you, including later ones, until you \
         disconnect the app (from any of your badge pages). Read the app's \
         <a href=\"{tos}\">terms</a> and <a href=\"{policy}\">privacy policy</a>.</p>\n",
        issuer = escape(&issuer),
        tos = escape(&client.tos_uri),
        policy = escape(&client.policy_uri),
    ));
    let action = escape(&endpoint(&state.issuer.base_url(), "/oauth/authorize"));
    body.push_str(&format!(
        "<form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\n\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
         <label for=\"claim\">To show these are your badges, paste the claim link of any one of \
         them (from the message you received when it was awarded)</label>\
         <input id=\"claim\" name=\"claim\" autocomplete=\"off\" spellcheck=\"false\">\n\
         <button name=\"decision\" value=\"approve\">Allow</button> \
         <button name=\"decision\" value=\"deny\">Deny</button>\n</form>\n",
        request = escape(request_id),
        csrf = escape(csrf),
    ));
    let redirect_origin = origin_of(&request.redirect_uri).unwrap_or_default();
    page(
        status,
        &format!("Connect {} to your badges", client.client_name),
        &body,
        &format!("'self' {redirect_origin}"),
    )
}

async fn decision(
    state: &AppState,
    params: &HashMap<String, String>,
    cookie: Option<&str>,
) -> Response {
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let request_id = get("request");
    let csrf = get("csrf_token");
    let gone = || {
        error_page(
            StatusCode::BAD_REQUEST,
            "This request is no longer valid",
            "This approval page has expired or was already used. Go back to the app and \
             start connecting again.",
        )
    };
    if !well_formed(request_id, REQUEST_PREFIX) {
        return gone();
    }
    let record = match state.issuer.store().authorization_request(request_id).await {
        Ok(Some(r)) => r,
        Ok(None) => return gone(),
        Err(e) => return server_error(e),
    };
    let cookie_ok = cookie
        .is_some_and(|c| c.len() == csrf.len() && bool::from(c.as_bytes().ct_eq(csrf.as_bytes())));
    if !cookie_ok || !record.csrf_matches(csrf) {
        return error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form was not sent from the approval page in this browser. Go back to the app \
             and start connecting again.",
        );
    }
    let now = crate::store::now_seconds();
    if !record.is_open(now, MAX_CLAIM_ATTEMPTS) {
        return gone();
    }
    let client = match state.issuer.store().client(&record.client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return gone(),
        Err(e) => return server_error(e),
    };
    let Some(registration) = registration_of(&client.metadata) else {
        return server_error("a stored client registration cannot be read");
    };
    match get("decision") {
        "deny" => {
            match state
                .issuer
                .store()
                .deny_authorization_request(request_id, now)
                .await
            {
                Ok(Some(r)) => {
                    audit(
                        state,
                        LEARNER_ACTOR.into(),
                        "obapi.grant.deny",
                        &client.id,
                        json!({ "client_id": client.id, "scope": r.scope }),
                    )
                    .await;
                    redirect_error(
                        &r.redirect_uri,
                        "access_denied",
                        "the learner did not allow the access",
                        Some(&r.state),
                    )
                }
                Ok(None) => gone(),
                Err(e) => server_error(e),
            }
        }
        "approve" => {
            approve(
                state,
                &registration,
                &client.id,
                &record,
                request_id,
                csrf,
                get("claim"),
            )
            .await
        }
        _ => error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "Choose Allow or Deny.",
        ),
    }
}

#[allow(clippy::too_many_arguments)]
async fn approve(
    state: &AppState,
    registration: &ClientRegistration,
    client_id: &str,
    record: &AuthRequestRecord,
    request_id: &str,
    csrf: &str,
    claim: &str,
) -> Response {
    let now = crate::store::now_seconds();
    let learner = match claim_token_from_input(claim) {
        None => None,
        Some(token) => match state.issuer.store().redeem_claim_token(&token, now).await {
            Ok(Some(c)) => Some(c.learner_key),
            Ok(None) | Err(StoreError::ClaimExpired { .. }) => None,
            Err(e) => return server_error(e),
        },
    };
    let Some(learner_key) = learner else {
        let attempts = match state
            .issuer
            .store()
            .fail_authorization_request(request_id)
            .await
        {
            Ok(n) => n,
            Err(e) => return server_error(e),
        };
        if attempts >= MAX_CLAIM_ATTEMPTS {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Too many attempts",
                "Too many claim links were not accepted for this request. Go back to the app \
                 and start connecting again.",
            );
        }
        return consent_page(
            state,
            StatusCode::BAD_REQUEST,
            registration,
            record,
            request_id,
            csrf,
            Some(CLAIM_REFUSED),
        );
    };
    let code_expires = now + chrono::Duration::seconds(CODE_TTL_SECONDS);
    match state
        .issuer
        .store()
        .approve_authorization_request(request_id, &learner_key, now, code_expires)
        .await
    {
        Ok(Approval::Approved {
            code,
            grant_id,
            request,
        }) => {
            audit(
                state,
                LEARNER_ACTOR.into(),
                "obapi.grant.approve",
                &format!("grant:{grant_id}"),
                json!({ "client_id": client_id, "scope": request.scope,
                        "client": client_actor(client_id) }),
            )
            .await;
            match redirect_to(
                &request.redirect_uri,
                &[
                    ("code", code.expose()),
                    ("scope", &request.scope),
                    ("state", &request.state),
                ],
            ) {
                Some(location) => see_other(&location),
                None => server_error("a registered redirect URI is not a URL"),
            }
        }
        Ok(_) => error_page(
            StatusCode::BAD_REQUEST,
            "This request is no longer valid",
            "This approval page has expired or was already used. Go back to the app and \
             start connecting again.",
        ),
        Err(e) => server_error(e),
    }
}
