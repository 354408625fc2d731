//! An in-process Open Badges 3.0 API provider on 127.0.0.1 over https (a test CA), written from
//! the specification (OB 3.0 §6–7 and its OpenAPI, RFC 6749, 6750, 7009, 7591, 7636, 8414) and
//! not from Passerelle's issuer: the service description document, dynamic client registration,
//! an authorization endpoint that approves (or denies) at once as a consent page would, the token
//! endpoint with HTTP Basic client authentication, PKCE S256 and refresh rotation, the paged
//! credentials resource, RFC 8414 metadata and RFC 7009 revocation. It refuses, with the
//! specification's error, any request that does not follow it, and records every request.
#![allow(
    clippy::result_large_err,
    reason = "a handler's early refusal is the response itself"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::{did, model};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const READ: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
pub const PROFILE: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly";
pub const UPSERT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert";

/// What the provider does differently from the happy path.
#[derive(Clone)]
pub struct Options {
    /// The provider's base path ("" or e.g. "/mooc").
    pub path: &'static str,
    /// Credentials per page.
    pub page_size: usize,
    /// Serve RFC 8414 metadata with a `revocation_endpoint`.
    pub revocation: bool,
    /// The authorization endpoint answers `error=access_denied`.
    pub deny: bool,
    /// The authorization endpoint sends back another `state`.
    pub wrong_state: bool,
    /// Registration answers 400 `invalid_client_metadata`.
    pub refuse_registration: bool,
    /// The JWS member is spelled `compactJwsStrings` (the spec's prose example).
    pub plural_jws: bool,
    /// The service description lacks the registration URL.
    pub no_registration_url: bool,
    /// The credentials resource answers 503 with an imsx `server_busy` payload.
    pub busy: bool,
    /// The revocation endpoint answers 503 `temporarily_unavailable`.
    pub revocation_down: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            path: "",
            page_size: 2,
            revocation: true,
            deny: false,
            wrong_state: false,
            refuse_registration: false,
            plural_jws: false,
            no_registration_url: false,
            busy: false,
            revocation_down: false,
        }
    }
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// A credential the provider holds for the learner.
#[derive(Clone)]
pub enum Held {
    Json(Value),
    Jws(String),
}

struct Client {
    secret: String,
    redirect_uris: Vec<String>,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
}

#[derive(Default)]
struct Inner {
    counter: u64,
    clients: BTreeMap<String, Client>,
    codes: BTreeMap<String, Code>,
    /// Live access tokens → scope.
    access: BTreeMap<String, String>,
    /// Refresh tokens → (client, scope, live). A dead one presented again is a replay.
    refresh: BTreeMap<String, (String, String, bool)>,
    held: Vec<Held>,
    registrations: Vec<Value>,
    authorizations: Vec<BTreeMap<String, String>>,
    token_requests: Vec<Seen>,
    resource_requests: Vec<(String, Seen)>,
    revocations: Vec<Seen>,
    secrets: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    base: String,
    options: Options,
    inner: Arc<Mutex<Inner>>,
}

impl Shared {
    fn mint(&self, prefix: &str) -> String {
        let mut inner = self.inner.lock().unwrap();
        inner.counter += 1;
        let token = format!(
            "{prefix}-{}-{:x}",
            inner.counter,
            inner.counter * 2_654_435_761
        );
        inner.secrets.push(token.clone());
        token
    }
}

pub struct Provider {
    /// The base URL a learner gives the wallet.
    pub base: String,
    pub ca_file: PathBuf,
    shared: Shared,
    _dir: tempfile::TempDir,
}

impl Provider {
    /// Starts the provider holding `count` real signed credentials for the learner (every
    /// third a compact JWS, the others JSON with a Data Integrity proof).
    pub fn start(options: Options, count: usize) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let (ca_pem, config) = crate::oid4vci::server::local_ca();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_pem).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("https://127.0.0.1:{port}{}", options.path);
        let shared = Shared {
            base: base.clone(),
            options,
            inner: Arc::new(Mutex::new(Inner::default())),
        };
        {
            let mut inner = shared.inner.lock().unwrap();
            inner.held = (0..count).map(credential).collect();
        }
        let app = app(shared.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                listener.set_nonblocking(true).unwrap();
                axum_server::from_tcp_rustls(
                    listener,
                    axum_server::tls_rustls::RustlsConfig::from_config(config),
                )
                .serve(app.into_make_service())
                .await
                .unwrap();
            });
        });
        Self {
            base,
            ca_file,
            shared,
            _dir: dir,
        }
    }

    /// A new credential for the learner (a badge earned after the connection).
    pub fn award(&self) {
        let mut inner = self.shared.inner.lock().unwrap();
        let next = inner.held.len();
        inner.held.push(credential(next));
    }

    /// The learner disconnects the app on the provider's side: every token dies.
    pub fn revoke_everything(&self) {
        let mut inner = self.shared.inner.lock().unwrap();
        inner.access.clear();
        for grant in inner.refresh.values_mut() {
            grant.2 = false;
        }
    }

    pub fn registrations(&self) -> Vec<Value> {
        self.shared.inner.lock().unwrap().registrations.clone()
    }
    pub fn authorizations(&self) -> Vec<BTreeMap<String, String>> {
        self.shared.inner.lock().unwrap().authorizations.clone()
    }
    pub fn token_requests(&self) -> Vec<Seen> {
        self.shared.inner.lock().unwrap().token_requests.clone()
    }
    /// (path and query, request) of each credentials request.
    pub fn resource_requests(&self) -> Vec<(String, Seen)> {
        self.shared.inner.lock().unwrap().resource_requests.clone()
    }
    pub fn revocations(&self) -> Vec<Seen> {
        self.shared.inner.lock().unwrap().revocations.clone()
    }
    /// The live refresh tokens.
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        let inner = self.shared.inner.lock().unwrap();
        inner
            .refresh
            .iter()
            .filter(|(_, (_, _, live))| *live)
            .map(|(t, _)| t.clone())
            .collect()
    }
    /// Every secret handed out (client secrets, codes, tokens): none may be printed.
    pub fn secrets(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().secrets.clone()
    }
}

fn app(shared: Shared) -> Router {
    let path = shared.options.path;
    Router::new()
        .route(&format!("{path}/ims/ob/v3p0/discovery"), get(discovery))
        .route(&format!("{path}/connect/register"), post(register))
        .route(&format!("{path}/connect/authorize"), get(authorize))
        .route(&format!("{path}/connect/token"), post(token))
        .route(&format!("{path}/connect/revoke"), post(revoke))
        .route(&format!("{path}/ims/ob/v3p0/credentials"), get(credentials))
        .route(&format!("{path}/ims/ob/v3p0/profile"), get(profile))
        .route(
            &format!("/.well-known/oauth-authorization-server{path}"),
            get(metadata),
        )
        .with_state(shared)
}

/// The learner's Profile (getProfile), shaped as the spec's example (`type` a string), for a
/// token with the profile scope.
async fn profile(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let scope = shared.inner.lock().unwrap().access.get(token).cloned();
    match scope {
        None => imsx(
            StatusCode::UNAUTHORIZED,
            "unauthorizedrequest",
            "The request was not correctly authorised.",
        ),
        Some(scope) if !scope.split(' ').any(|s| s == PROFILE) => {
            imsx(StatusCode::FORBIDDEN, "forbidden", "insufficient scope")
        }
        Some(_) => axum::Json(json!({
            "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": "Profile",
            "id": LEARNER_PROFILE_ID,
            "name": "Ada \u{1b}[31mLovelace",
        }))
        .into_response(),
    }
}

/// The id the provider gives its learner's Profile.
pub const LEARNER_PROFILE_ID: &str = "https://mooc.example/learners/565049";

/// The learner's badge number `n`, issued by a did:key (verifies with nothing fetched) and
/// really signed: JSON with an eddsa-jcs-2022 proof, every third a VC-JOSE compact JWS.
fn credential(n: usize) -> Held {
    let issuer = KeyPair::from_seed(&[43; 32]);
    let issuer_did = did::did_key(&issuer.public()).to_string();
    let method = did::did_key_verification_method(&issuer.public());
    let mut badge = model::sample::data_literacy_badge();
    badge["id"] = format!("urn:uuid:6f1b9a0e-0000-4000-8000-{n:012}").into();
    badge["issuer"]["id"] = issuer_did.into();
    badge["credentialSubject"]["achievement"]["name"] = format!("Badge number {n}").into();
    let object = badge.as_object_mut().unwrap();
    object.remove("credentialStatus");
    object.remove("credentialSchema");
    if n % 3 == 2 {
        let header = json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": method});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(badge.to_string())
        );
        let signature = URL_SAFE_NO_PAD.encode(issuer.sign(signing_input.as_bytes()));
        return Held::Jws(format!("{signing_input}.{signature}"));
    }
    let options =
        ProofOptions::assertion(Cryptosuite::EddsaJcs2022, method, "2026-06-30T12:00:00Z");
    Held::Json(proof::sign(&badge, &issuer, &options).unwrap())
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// RFC 6749 §5.2.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    json_answer(
        status,
        json!({"error": code, "error_description": description}),
    )
}

/// OB 3.0 §7.1: the service description document (OpenAPI 3.0 profiled).
async fn discovery(State(shared): State<Shared>) -> Response {
    let base = &shared.base;
    let mut scheme = json!({
        "type": "oauth2",
        "description": "OAuth 2.0 Authorization Code Grant authorization",
        "x-imssf-name": "Test provider",
        "x-imssf-registrationUrl": format!("{base}/connect/register"),
        "flows": {"authorizationCode": {
            "tokenUrl": format!("{base}/connect/token"),
            "authorizationUrl": format!("{base}/connect/authorize"),
            "refreshUrl": format!("{base}/connect/token"),
            "scopes": {
                READ: "Permission to read AchievementCredentials for the authenticated entity.",
                UPSERT: "Permission to create or update AchievementCredentials for the authenticated entity.",
                PROFILE: "Permission to read the profile for the authenticated entity.",
            }
        }}
    });
    if shared.options.no_registration_url {
        scheme
            .as_object_mut()
            .unwrap()
            .remove("x-imssf-registrationUrl");
    }
    json_answer(
        StatusCode::OK,
        json!({
            "openapi": "3.0.1",
            "info": {
                "title": "Test \u{1b}[31mMOOC",
                "version": "1.0",
                "termsOfService": format!("{base}/terms"),
                "x-imssf-privacyPolicyUrl": format!("{base}/privacy"),
            },
            "servers": [{"url": format!("{base}/ims/ob/v3p0"), "description": "The API"}],
            "paths": {"/credentials": {"get": {"operationId": "getCredentials"}}},
            "components": {"securitySchemes": {"OAuth2ACG": scheme}}
        }),
    )
}

/// RFC 7591 §3 with the properties OB 3.0 §7.1.1 requires.
async fn register(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "not JSON",
        );
    };
    shared
        .inner
        .lock()
        .unwrap()
        .registrations
        .push(request.clone());
    if !headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "send JSON",
        );
    }
    if shared.options.refuse_registration {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "this provider does not accept \u{1b}[2Jnative apps",
        );
    }
    for name in [
        "client_name",
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
        "software_id",
        "software_version",
        "scope",
    ] {
        if request[name].as_str().is_none_or(|s| s.is_empty()) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                &format!("{name} is required"),
            );
        }
    }
    let Some(redirect_uris) = request["redirect_uris"]
        .as_array()
        .filter(|a| !a.is_empty())
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris is required (an array)",
        );
    };
    let redirect_uris: Vec<String> = redirect_uris
        .iter()
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect();
    for uri in &redirect_uris {
        let url = url::Url::parse(uri).unwrap();
        let loopback = url.scheme() == "http" && url.host_str() == Some("127.0.0.1");
        if !(loopback || url.scheme() == "https") || url.fragment().is_some() {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri", uri);
        }
    }
    let hosts: std::collections::BTreeSet<String> =
        ["client_uri", "logo_uri", "tos_uri", "policy_uri"]
            .iter()
            .map(|n| {
                let url = url::Url::parse(request[*n].as_str().unwrap()).unwrap();
                assert_eq!(url.scheme(), "https");
                url.host_str().unwrap().to_owned()
            })
            .collect();
    if hosts.len() != 1 {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "all URLs must have the same hostname",
        );
    }
    let supported = [READ, PROFILE];
    let granted: Vec<&str> = request["scope"]
        .as_str()
        .unwrap()
        .split(' ')
        .filter(|s| supported.contains(s))
        .collect();
    let client_id = shared.mint("client");
    // The client id is public (it is in the authorization URL); only the rest is secret.
    shared
        .inner
        .lock()
        .unwrap()
        .secrets
        .retain(|s| *s != client_id);
    // Characters RFC 6749 §2.3.1 makes the client form-urlencode before HTTP Basic.
    let secret = shared.mint("client-secret:+/% é");
    shared.inner.lock().unwrap().clients.insert(
        client_id.clone(),
        Client {
            secret: secret.clone(),
            redirect_uris,
        },
    );
    let mut answer = request.clone();
    answer["client_id"] = client_id.into();
    answer["client_secret"] = secret.into();
    answer["client_id_issued_at"] = 1_565_715_850.into();
    answer["client_secret_expires_at"] = 0.into();
    answer["scope"] = granted.join(" ").into();
    json_answer(StatusCode::CREATED, answer)
}

/// OB 3.0 §7.2 / RFC 6749 §4.1.1: the client and redirect URI are checked first (a mismatch is a
/// page, never a redirect); then the request, then the "learner" approves (or denies) at once.
async fn authorize(
    State(shared): State<Shared>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    shared
        .inner
        .lock()
        .unwrap()
        .authorizations
        .push(query.clone());
    let client_id = query.get("client_id").cloned().unwrap_or_default();
    let redirect_uri = query.get("redirect_uri").cloned().unwrap_or_default();
    let known = {
        let inner = shared.inner.lock().unwrap();
        inner
            .clients
            .get(&client_id)
            .is_some_and(|c| c.redirect_uris.contains(&redirect_uri))
    };
    if !known {
        return (StatusCode::BAD_REQUEST, "unknown client or redirect URI").into_response();
    }
    let state = query.get("state").cloned().unwrap_or_default();
    let redirect = |pairs: &[(&str, &str)]| {
        let mut url = url::Url::parse(&redirect_uri).unwrap();
        url.query_pairs_mut().extend_pairs(pairs);
        (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
    };
    if state.is_empty()
        || query.get("response_type").map(String::as_str) != Some("code")
        || query.get("code_challenge_method").map(String::as_str) != Some("S256")
        || query.get("code_challenge").map_or(0, String::len) != 43
    {
        return redirect(&[
            ("error", "invalid_request"),
            (
                "error_description",
                "response_type=code, state and an S256 code_challenge are required",
            ),
            ("state", &state),
        ]);
    }
    let scope = query.get("scope").cloned().unwrap_or_default();
    if !scope.split(' ').any(|s| s == READ) {
        return redirect(&[("error", "invalid_scope"), ("state", &state)]);
    }
    if shared.options.deny {
        return redirect(&[
            ("error", "access_denied"),
            ("error_description", "The learner said \u{1b}[1mno"),
            ("state", &state),
        ]);
    }
    let code = shared.mint("code");
    shared.inner.lock().unwrap().codes.insert(
        code.clone(),
        Code {
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge: query["code_challenge"].clone(),
            scope: scope.clone(),
        },
    );
    let state = if shared.options.wrong_state {
        format!("{state}x")
    } else {
        state
    };
    redirect(&[("code", &code), ("scope", &scope), ("state", &state)])
}

fn seen(headers: &HeaderMap, body: &str) -> Seen {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Seen {
        authorization: header(header::AUTHORIZATION),
        content_type: header(header::CONTENT_TYPE),
        body: body.to_owned(),
    }
}

/// RFC 6749 §2.3.1: HTTP Basic with the form-urlencoded client id and secret. The client id.
fn client_auth(shared: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let refused = || {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"provider\"".parse().unwrap(),
        );
        response
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(refused)?;
    let decoded =
        String::from_utf8(STANDARD.decode(value).map_err(|_| refused())?).map_err(|_| refused())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(refused)?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (unescape(id), unescape(secret));
    let inner = shared.inner.lock().unwrap();
    match inner.clients.get(&id) {
        Some(client) if client.secret == secret => Ok(id),
        _ => Err(refused()),
    }
}

fn form(body: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// OB 3.0 §7.3–7.4: authorization_code (PKCE S256 checked, scope required) and refresh_token
/// (rotation; a rotated-out token presented again revokes the grant).
async fn token(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    shared
        .inner
        .lock()
        .unwrap()
        .token_requests
        .push(seen(&headers, &body));
    let client_id = match client_auth(&shared, &headers) {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let form = form(&body);
    let scope = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let Some(code) = form
                .get("code")
                .and_then(|c| shared.inner.lock().unwrap().codes.remove(c))
            else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
            };
            if code.client_id != client_id || form.get("redirect_uri") != Some(&code.redirect_uri) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code was issued to another client or redirect URI",
                );
            }
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if verifier.len() < 43 || challenge != code.challenge {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "PKCE verification failed",
                );
            }
            if !form.contains_key("scope") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "scope is required",
                );
            }
            code.scope
        }
        Some("refresh_token") => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let mut inner = shared.inner.lock().unwrap();
            match inner.refresh.get_mut(&presented) {
                Some((owner, scope, live)) if *live && *owner == client_id => {
                    *live = false;
                    let scope = scope.clone();
                    drop(inner);
                    scope
                }
                Some((owner, _, _)) if *owner == client_id => {
                    // Replay of a rotated-out token: the whole grant goes (Security BCP).
                    for grant in inner.refresh.values_mut() {
                        grant.2 = false;
                    }
                    inner.access.clear();
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "the refresh token is no longer valid",
                    );
                }
                _ => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "the refresh token is no longer valid",
                    )
                }
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "authorization_code or refresh_token",
            )
        }
    };
    let access = shared.mint("access");
    let refresh = shared.mint("refresh");
    {
        let mut inner = shared.inner.lock().unwrap();
        inner.access.insert(access.clone(), scope.clone());
        inner
            .refresh
            .insert(refresh.clone(), (client_id, scope.clone(), true));
    }
    json_answer(
        StatusCode::OK,
        json!({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
               "refresh_token": refresh, "scope": scope}),
    )
}

/// RFC 7009: 200 whether or not the token was known; a refresh token takes its grant with it.
async fn revoke(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    shared
        .inner
        .lock()
        .unwrap()
        .revocations
        .push(seen(&headers, &body));
    if let Err(refused) = client_auth(&shared, &headers) {
        return refused;
    }
    if shared.options.revocation_down {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "maintenance",
        );
    }
    let form = form(&body);
    let token = form.get("token").cloned().unwrap_or_default();
    let mut inner = shared.inner.lock().unwrap();
    if inner.refresh.contains_key(&token) {
        for grant in inner.refresh.values_mut() {
            grant.2 = false;
        }
        inner.access.clear();
    }
    inner.access.remove(&token);
    StatusCode::OK.into_response()
}

/// RFC 8414 at the path-aware well-known location.
async fn metadata(State(shared): State<Shared>) -> Response {
    if !shared.options.revocation {
        return StatusCode::NOT_FOUND.into_response();
    }
    let base = &shared.base;
    json_answer(
        StatusCode::OK,
        json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/connect/authorize"),
            "token_endpoint": format!("{base}/connect/token"),
            "registration_endpoint": format!("{base}/connect/register"),
            "revocation_endpoint": format!("{base}/connect/revoke"),
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }),
    )
}

fn imsx(status: StatusCode, minor: &str, description: &str) -> Response {
    json_answer(
        status,
        json!({"imsx_codeMajor": "failure", "imsx_severity": "error",
               "imsx_description": description,
               "imsx_codeMinor": {"imsx_codeMinorField": [
                   {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor}]}}),
    )
}

/// OB 3.0 §6.2.2 getCredentials: bearer token (RFC 6750 §2.1), `limit` / `offset`, the page's
/// credentials in `credential` and `compactJwsString`, `X-Total-Count` and `Link`.
async fn credentials(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let path = format!("/credentials?{}", raw.unwrap_or_default());
    shared
        .inner
        .lock()
        .unwrap()
        .resource_requests
        .push((path, seen(&headers, "")));
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let scope = shared.inner.lock().unwrap().access.get(token).cloned();
    let Some(scope) = scope else {
        let mut response = imsx(
            StatusCode::UNAUTHORIZED,
            "unauthorizedrequest",
            "The request was not correctly authorised.",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Bearer error=\"invalid_token\"".parse().unwrap(),
        );
        return response;
    };
    if !scope.split(' ').any(|s| s == READ) {
        return imsx(StatusCode::FORBIDDEN, "forbidden", "insufficient scope");
    }
    if shared.options.busy {
        return imsx(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            "Busy \u{1b}[5mtry again later",
        );
    }
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(shared.options.page_size);
    let offset: usize = query
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let held = shared.inner.lock().unwrap().held.clone();
    let total = held.len();
    let mut json_items = Vec::new();
    let mut jws_items = Vec::new();
    for item in held.iter().skip(offset).take(limit) {
        match item {
            Held::Json(v) => json_items.push(v.clone()),
            Held::Jws(s) => jws_items.push(Value::String(s.clone())),
        }
    }
    let mut body = json!({ "credential": json_items });
    if !jws_items.is_empty() {
        let name = if shared.options.plural_jws {
            "compactJwsStrings"
        } else {
            "compactJwsString"
        };
        body[name] = Value::Array(jws_items);
    }
    let resource = format!("{}/ims/ob/v3p0/credentials", shared.base);
    let page = |o: usize| format!("<{resource}?limit={limit}&offset={o}>");
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let mut links = Vec::new();
    if offset + limit < total {
        links.push(format!("{}; rel=\"next\"", page(offset + limit)));
    }
    links.push(format!("{}; rel=\"last\"", page(last)));
    links.push(format!("{}; rel=\"first\"", page(0)));
    if offset > 0 {
        links.push(format!(
            "{}; rel=\"prev\"",
            page(offset.saturating_sub(limit))
        ));
    }
    let mut response = json_answer(StatusCode::OK, body);
    response
        .headers_mut()
        .insert("X-Total-Count", total.to_string().parse().unwrap());
    response
        .headers_mut()
        .insert(header::LINK, links.join(", ").parse().unwrap());
    response
}
