//! The authorization endpoint (RFC 6749 §4.1.1, PKCE S256 required) and its consent page.
//!
//! `client_id` and `redirect_uri` are checked first: an unknown client or a redirect URI that
//! is not registered gets an HTML error page, never a redirect (RFC 6749 §4.1.2.1). Every other
//! fault is sent back to the client's redirect URI with `error` and `state`.
//!
//! The consent page (server-rendered in the learner's language — `lang` in the query, or the
//! form's hidden field, else `Accept-Language` —, no script, every value escaped, `Cache-Control:
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

use crate::i18n::Messages;
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

/// The language of one request and where the switcher's links point (`None` when the page
/// answers a form and cannot be shown again by a link).
pub(super) struct Lang<'a> {
    m: Messages<'a>,
    here: Option<String>,
}

/// An HTML page with the private headers, in the request's language; `form_action` is the CSP
/// `form-action` sources.
fn page(l: &Lang<'_>, status: StatusCode, title: &str, body: &str, form_action: &str) -> Response {
    let document = crate::server::page::document(&l.m, title, body, l.here.as_deref());
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
    crate::server::page::vary(&mut response, "accept-language");
    response
}

/// A page that explains a refusal and offers nothing to submit: the title's and the text's
/// catalogue keys.
fn error_page(l: &Lang<'_>, status: StatusCode, title_key: &str, text_key: &str) -> Response {
    error_text(l, status, title_key, l.m.t(text_key))
}

/// [`error_page`] with a text already written.
fn error_text(l: &Lang<'_>, status: StatusCode, title_key: &str, text: &str) -> Response {
    let title = l.m.t(title_key);
    page(
        l,
        status,
        title,
        &format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(text)),
        "'none'",
    )
}

fn server_error(l: &Lang<'_>, cause: impl std::fmt::Display) -> Response {
    tracing::error!(cause = %cause, "authorization request failed");
    error_page(
        l,
        StatusCode::INTERNAL_SERVER_ERROR,
        "consent.error.server",
        "consent.error.server_text",
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
    l: &Lang<'_>,
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
        None => server_error(l, "a registered redirect URI is not a URL"),
    }
}

/// `GET /oauth/authorize`: the request in the query (with `lang`, the page's language; the
/// switcher's links repeat the request in another language).
pub(super) async fn authorize_get(State(state): State<AppState>, request: Request) -> Response {
    let query = request.uri().query().unwrap_or("").as_bytes().to_vec();
    let lang = crate::server::page::lang_param(&query);
    let l = Lang {
        m: crate::server::page::negotiate(&state.messages, lang.as_deref(), request.headers()),
        here: Some(crate::server::page::without_lang(
            &endpoint(&state.issuer.base_url(), "/oauth/authorize"),
            request.uri().query(),
        )),
    };
    match form(&query) {
        Ok(params) => authorization_request(&state, &l, &params).await,
        Err(e) => error_text(
            &l,
            StatusCode::BAD_REQUEST,
            "consent.error.invalid_authorization",
            &l.m.format("consent.error.unreadable", &[("reason", &e)]),
        ),
    }
}

/// `POST /oauth/authorize`: the consent form (it has `request`, and `lang` in a hidden field),
/// or an authorization request sent as a form (RFC 6749 §3.1 allows POST).
pub(super) async fn authorize_post(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let early = Lang {
        m: crate::server::page::negotiate(&state.messages, None, &headers),
        here: None,
    };
    if let Err(wait) = state.obapi_limits.consent.check(peer(&request)) {
        return too_many(
            wait,
            error_page(
                &early,
                StatusCode::TOO_MANY_REQUESTS,
                "consent.error.too_many",
                "consent.error.too_many_text",
            ),
        );
    }
    if media_type(request.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return error_page(
            &early,
            StatusCode::BAD_REQUEST,
            "consent.error.invalid_request",
            "consent.error.form_type",
        );
    }
    let cookie = csrf_cookie(request.headers());
    let Some(body) = body_of(request, 16 * 1024).await else {
        return error_page(
            &early,
            StatusCode::BAD_REQUEST,
            "consent.error.invalid_request",
            "consent.error.too_large",
        );
    };
    let lang = crate::server::page::lang_param(&body);
    let l = Lang {
        m: crate::server::page::negotiate(&state.messages, lang.as_deref(), &headers),
        here: None,
    };
    let params = match form(&body) {
        Ok(p) => p,
        Err(e) => {
            return error_text(
                &l,
                StatusCode::BAD_REQUEST,
                "consent.error.invalid_request",
                &l.m.format("consent.error.unreadable", &[("reason", &e)]),
            )
        }
    };
    if params.contains_key("request") {
        decision(&state, &l, &params, cookie.as_deref()).await
    } else {
        authorization_request(&state, &l, &params).await
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

async fn authorization_request(
    state: &AppState,
    l: &Lang<'_>,
    params: &HashMap<String, String>,
) -> Response {
    let get = |name: &str| params.get(name).map(String::as_str);
    // 1. The client and its redirect URI, before anything is sent anywhere.
    let Some(client_id) = get("client_id") else {
        return error_page(
            l,
            StatusCode::BAD_REQUEST,
            "consent.error.invalid_authorization",
            "consent.error.no_client_id",
        );
    };
    let client = match state.issuer.store().client(client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return error_page(
                l,
                StatusCode::BAD_REQUEST,
                "consent.error.unknown_app",
                "consent.error.unknown_app_text",
            )
        }
        Err(e) => return server_error(l, e),
    };
    let Some(registration) = registration_of(&client.metadata) else {
        return server_error(l, "a stored client registration cannot be read");
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return error_page(
            l,
            StatusCode::BAD_REQUEST,
            "consent.error.invalid_authorization",
            "consent.error.no_redirect",
        );
    };
    if !registration
        .redirect_uris
        .iter()
        .any(|r| redirect_uri_matches(r, redirect_uri))
    {
        return error_page(
            l,
            StatusCode::BAD_REQUEST,
            "consent.error.invalid_authorization",
            "consent.error.bad_redirect",
        );
    }
    // 2. The rest goes back to the client.
    let state_param = get("state");
    if get("response_type") != Some("code") {
        return redirect_error(
            l,
            redirect_uri,
            "unsupported_response_type",
            "response_type must be code",
            state_param,
        );
    }
    let Some(client_state) = state_param.filter(|s| !s.is_empty() && s.len() <= 512) else {
        return redirect_error(
            l,
            redirect_uri,
            "invalid_request",
            "state is required (at most 512 characters)",
            None,
        );
    };
    if get("code_challenge_method") != Some("S256") {
        return redirect_error(
            l,
            redirect_uri,
            "invalid_request",
            "PKCE is required with code_challenge_method=S256",
            Some(client_state),
        );
    }
    let Some(challenge) = get("code_challenge").filter(|c| is_valid_code_challenge(c)) else {
        return redirect_error(
            l,
            redirect_uri,
            "invalid_request",
            "code_challenge must be the 43-character base64url SHA-256 of the code verifier",
            Some(client_state),
        );
    };
    let decision = match authorization_scope(get("scope"), &registration.scope) {
        Ok(d) => d,
        Err(e) => {
            return redirect_error(l, redirect_uri, "invalid_scope", &e.0, Some(client_state))
        }
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
        Err(e) => return server_error(l, e),
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
        l,
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

/// The authorization request a consent page was made for, as a link (the switcher's, when the
/// page answers the form: following it starts the same request again in another language).
fn request_again(state: &AppState, request: &AuthRequestRecord) -> String {
    let scope = format!("{} {}", request.scope, request.refused_scope);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", &request.client_id)
        .append_pair("redirect_uri", &request.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("state", &request.state)
        .append_pair("code_challenge", &request.code_challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scope", scope.trim());
    format!(
        "{}?{}",
        endpoint(&state.issuer.base_url(), "/oauth/authorize"),
        query.finish()
    )
}

#[allow(clippy::too_many_arguments)]
fn consent_page(
    state: &AppState,
    l: &Lang<'_>,
    status: StatusCode,
    client: &ClientRegistration,
    request: &AuthRequestRecord,
    request_id: &str,
    csrf: &str,
    message: Option<&str>,
) -> Response {
    use crate::server::page::{bdi, fill};
    let m = &l.m;
    let issuer = state.issuer.config().name;
    let name = bdi(&client.client_name);
    let mut body = format!(
        "<h1>{}</h1>\n",
        fill(m, "consent.title", &[("name", &name)])
    );
    if let Some(message) = message {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape(message)
        ));
    }
    let host = format!(
        "<a class=\"url\" href=\"{uri}\">{host}</a>",
        uri = escape(&client.client_uri),
        host = escape(&host_of(&client.client_uri)),
    );
    body.push_str(&format!(
        "<p>{}</p>\n<ul>\n",
        fill(
            m,
            "consent.asks",
            &[
                ("name", &format!("<strong>{name}</strong>")),
                ("host", &host),
                ("issuer", &bdi(&issuer)),
            ]
        )
    ));
    for scope in passerelle_core::obapi::parse_scope(&request.scope).known {
        body.push_str(&format!(
            "<li>{}</li>\n",
            escape(crate::server::claim::scope_words(m, scope))
        ));
    }
    body.push_str("</ul>\n");
    let refused: Vec<&str> = request.refused_scope.split_whitespace().collect();
    if !refused.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>\n<ul>\n",
            escape(m.t("consent.refused"))
        ));
        for uri in refused {
            let words = match Scope::from_uri(uri) {
                Some(scope) => escape(crate::server::claim::scope_words(m, scope)),
                None => format!("<code>{}</code>", escape(uri)),
            };
            body.push_str(&format!("<li>{words}</li>\n"));
        }
        body.push_str("</ul>\n");
    }
    let terms = format!(
        "<a href=\"{}\">{}</a>",
        escape(&client.tos_uri),
        escape(m.t("consent.terms"))
    );
    let policy = format!(
        "<a href=\"{}\">{}</a>",
        escape(&client.policy_uri),
        escape(m.t("consent.policy"))
    );
    body.push_str(&format!(
        "<p>{}</p>\n",
        fill(
            m,
            "consent.covers",
            &[
                ("issuer", &bdi(&issuer)),
                ("terms", &terms),
                ("policy", &policy)
            ]
        )
    ));
    let action = escape(&endpoint(&state.issuer.base_url(), "/oauth/authorize"));
    body.push_str(&format!(
        "<form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\n\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\n\
         <label for=\"claim\">{label}</label>\
         <input id=\"claim\" name=\"claim\" autocomplete=\"off\" spellcheck=\"false\" dir=\"ltr\">\n\
         <button name=\"decision\" value=\"approve\">{allow}</button> \
         <button name=\"decision\" value=\"deny\">{deny}</button>\n</form>\n",
        request = escape(request_id),
        csrf = escape(csrf),
        lang = escape(m.lang()),
        label = escape(m.t("consent.claim_label")),
        allow = escape(m.t("consent.allow")),
        deny = escape(m.t("consent.deny")),
    ));
    let redirect_origin = origin_of(&request.redirect_uri).unwrap_or_default();
    let again = Lang {
        m: l.m,
        here: Some(
            l.here
                .clone()
                .unwrap_or_else(|| request_again(state, request)),
        ),
    };
    page(
        &again,
        status,
        &m.format("consent.title", &[("name", &client.client_name)]),
        &body,
        &format!("'self' {redirect_origin}"),
    )
}

async fn decision(
    state: &AppState,
    l: &Lang<'_>,
    params: &HashMap<String, String>,
    cookie: Option<&str>,
) -> Response {
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let request_id = get("request");
    let csrf = get("csrf_token");
    let gone = || {
        error_page(
            l,
            StatusCode::BAD_REQUEST,
            "consent.error.gone",
            "consent.error.gone_text",
        )
    };
    if !well_formed(request_id, REQUEST_PREFIX) {
        return gone();
    }
    let record = match state.issuer.store().authorization_request(request_id).await {
        Ok(Some(r)) => r,
        Ok(None) => return gone(),
        Err(e) => return server_error(l, e),
    };
    let cookie_ok = cookie
        .is_some_and(|c| c.len() == csrf.len() && bool::from(c.as_bytes().ct_eq(csrf.as_bytes())));
    if !cookie_ok || !record.csrf_matches(csrf) {
        return error_page(
            l,
            StatusCode::FORBIDDEN,
            "consent.error.forbidden",
            "consent.error.forbidden_text",
        );
    }
    let now = crate::store::now_seconds();
    if !record.is_open(now, MAX_CLAIM_ATTEMPTS) {
        return gone();
    }
    let client = match state.issuer.store().client(&record.client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return gone(),
        Err(e) => return server_error(l, e),
    };
    let Some(registration) = registration_of(&client.metadata) else {
        return server_error(l, "a stored client registration cannot be read");
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
                        l,
                        &r.redirect_uri,
                        "access_denied",
                        "the learner did not allow the access",
                        Some(&r.state),
                    )
                }
                Ok(None) => gone(),
                Err(e) => server_error(l, e),
            }
        }
        "approve" => {
            approve(
                state,
                l,
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
            l,
            StatusCode::BAD_REQUEST,
            "consent.error.invalid_request",
            "consent.error.choose",
        ),
    }
}

#[allow(clippy::too_many_arguments)]
async fn approve(
    state: &AppState,
    l: &Lang<'_>,
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
            Err(e) => return server_error(l, e),
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
            Err(e) => return server_error(l, e),
        };
        if attempts >= MAX_CLAIM_ATTEMPTS {
            return error_page(
                l,
                StatusCode::BAD_REQUEST,
                "consent.error.too_many",
                "consent.error.too_many_claims",
            );
        }
        return consent_page(
            state,
            l,
            StatusCode::BAD_REQUEST,
            registration,
            record,
            request_id,
            csrf,
            Some(l.m.t("consent.claim_refused")),
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
                None => server_error(l, "a registered redirect URI is not a URL"),
            }
        }
        Ok(_) => error_page(
            l,
            StatusCode::BAD_REQUEST,
            "consent.error.gone",
            "consent.error.gone_text",
        ),
        Err(e) => server_error(l, e),
    }
}
