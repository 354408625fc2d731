//! An in-process OpenID4VCI 1.0 credential issuer (pre-authorized code flow) on 127.0.0.1 over
//! https (a test CA), implementing just enough of the specification to check the wallet's
//! requests exactly as it defines them — and refusing, with the specification's error, any
//! request that does not follow it — plus switches for each error the wallet must handle.
//! Every request is recorded for the tests to inspect.
#![allow(
    clippy::result_large_err,
    reason = "a handler's early refusal is the response itself"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::{did, model};
use passerelle_wallet::fetch::{ExtraRoots, Fetcher};
use serde_json::{json, Value};

pub const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
pub const LDP: &str = "data-literacy.ldp_vc";
pub const JWT: &str = "data-literacy.jwt_vc_json";

/// What the issuer does differently from the happy path.
#[derive(Clone, Default)]
pub struct Options {
    /// The issuer identifier's path ("" or e.g. "/tenant").
    pub path: &'static str,
    /// The transaction code the offer asks for.
    pub tx_code: Option<&'static str>,
    /// The first this-many credential requests answer `invalid_nonce`.
    pub stale_nonces: usize,
    /// The `credential_issuer` the metadata publishes instead of the real one.
    pub published_issuer: Option<String>,
    /// The offer's `credential_configuration_ids` instead of both formats.
    pub offered: Option<Vec<String>>,
    /// The credential endpoint answers `unknown_credential_configuration`.
    pub refuse_configuration: bool,
    /// The credential endpoint answers 401 `invalid_token`.
    pub refuse_token: bool,
    /// The token response names credential identifiers (`authorization_details`).
    pub identifiers: bool,
    /// The issued ldp_vc is altered after signing (it fails verification).
    pub tamper: bool,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub body: String,
}

#[derive(Default)]
struct Inner {
    codes: BTreeSet<String>,
    tokens: BTreeSet<String>,
    nonces: BTreeSet<String>,
    counter: u64,
    stale_left: usize,
    token_requests: Vec<Seen>,
    nonce_requests: Vec<Seen>,
    credential_requests: Vec<Seen>,
    notifications: Vec<Seen>,
    offer_fetches: usize,
}

#[derive(Clone)]
struct Shared {
    issuer: String,
    options: Options,
    inner: Arc<Mutex<Inner>>,
}

impl Shared {
    fn mint(&self, prefix: &str) -> String {
        let mut inner = self.inner.lock().unwrap();
        inner.counter += 1;
        format!(
            "{prefix}-{}-{:x}",
            inner.counter,
            inner.counter * 2_654_435_761
        )
    }
}

pub struct Server {
    /// The credential issuer identifier.
    pub issuer: String,
    pub ca_file: PathBuf,
    shared: Shared,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start(options: Options) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let (ca_pem, config) = local_ca();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_pem).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let issuer = format!("https://127.0.0.1:{port}{}", options.path);
        let shared = Shared {
            issuer: issuer.clone(),
            inner: Arc::new(Mutex::new(Inner {
                stale_left: options.stale_nonces,
                ..Inner::default()
            })),
            options,
        };
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
            issuer,
            ca_file,
            shared,
            _dir: dir,
        }
    }

    /// A fetcher trusting the test CA, with loopback allowed (`--allow-private-network`).
    pub fn fetcher(&self) -> Fetcher {
        let roots = ExtraRoots::load(std::slice::from_ref(&self.ca_file), None).unwrap();
        Fetcher::with_timeouts(
            true,
            &roots,
            Duration::from_secs(5),
            Duration::from_secs(10),
        )
        .unwrap()
    }

    /// The offer by value, with a fresh pre-authorized code.
    pub fn offer_by_value(&self) -> String {
        let offer = offer(&self.shared);
        let mut uri = String::from("openid-credential-offer://?");
        uri.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .append_pair("credential_offer", &offer.to_string())
                .finish(),
        );
        uri
    }

    /// The offer by reference (`credential_offer_uri`), under `scheme`.
    pub fn offer_by_reference(&self, scheme: &str) -> String {
        let uri = format!("{}/offers/secret-reference-4711", self.issuer);
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer_uri", &uri)
            .finish();
        format!("{scheme}?{query}")
    }

    pub fn token_requests(&self) -> Vec<Seen> {
        self.shared.inner.lock().unwrap().token_requests.clone()
    }
    pub fn nonce_requests(&self) -> Vec<Seen> {
        self.shared.inner.lock().unwrap().nonce_requests.clone()
    }
    pub fn credential_requests(&self) -> Vec<Seen> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .credential_requests
            .clone()
    }
    pub fn notifications(&self) -> Vec<Seen> {
        self.shared.inner.lock().unwrap().notifications.clone()
    }
    pub fn offer_fetches(&self) -> usize {
        self.shared.inner.lock().unwrap().offer_fetches
    }
    /// Every secret the issuer handed out (codes, tokens, nonces): none may appear in output.
    pub fn secrets(&self) -> Vec<String> {
        let inner = self.shared.inner.lock().unwrap();
        let mut all: Vec<String> = inner
            .codes
            .iter()
            .chain(&inner.tokens)
            .chain(&inner.nonces)
            .cloned()
            .collect();
        all.push("secret-reference-4711".into());
        all.extend(self.shared.options.tx_code.map(str::to_owned));
        all
    }
}

fn app(shared: Shared) -> Router {
    let path = shared.options.path;
    let suffix = if path.is_empty() {
        String::new()
    } else {
        path.to_owned()
    };
    Router::new()
        .route(
            &format!("/.well-known/openid-credential-issuer{suffix}"),
            get(issuer_metadata),
        )
        .route(
            &format!("/.well-known/oauth-authorization-server{suffix}"),
            get(server_metadata),
        )
        .route(
            &format!("{path}/offers/{{reference}}"),
            get(offer_by_reference),
        )
        .route(&format!("{path}/token"), post(token))
        .route(&format!("{path}/nonce"), post(nonce))
        .route(&format!("{path}/credential"), post(credential))
        .route(&format!("{path}/notification"), post(notification))
        .with_state(shared)
}

fn offer(shared: &Shared) -> Value {
    let code = shared.mint("pre-auth-code");
    shared.inner.lock().unwrap().codes.insert(code.clone());
    let mut grant = json!({ "pre-authorized_code": code });
    if let Some(tx) = shared.options.tx_code {
        grant["tx_code"] = json!({
            "input_mode": "numeric",
            "length": tx.len(),
            "description": "the six digits in the email from the school",
        });
    }
    let ids = shared
        .options
        .offered
        .clone()
        .unwrap_or_else(|| vec![JWT.to_owned(), LDP.to_owned()]);
    json!({
        "credential_issuer": shared.issuer,
        "credential_configuration_ids": ids,
        "grants": { PRE_AUTHORIZED: grant },
    })
}

async fn offer_by_reference(
    State(shared): State<Shared>,
    Path(reference): Path<String>,
) -> Response {
    if reference != "secret-reference-4711" {
        return StatusCode::NOT_FOUND.into_response();
    }
    shared.inner.lock().unwrap().offer_fetches += 1;
    no_store(Json(offer(&shared)))
}

async fn issuer_metadata(State(shared): State<Shared>) -> Json<Value> {
    let base = &shared.issuer;
    let configuration = |format: &str, names: &[(&str, &str)]| {
        let mut value = json!({
            "format": format,
            "cryptographic_binding_methods_supported": ["did:key", "did:jwk", "jwk"],
            "credential_signing_alg_values_supported":
                if format == "ldp_vc" { json!(["eddsa-rdfc-2022"]) } else { json!(["EdDSA"]) },
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}},
            "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
            "credential_metadata": {
                "display": names.iter().map(|(locale, name)| json!({"name": name, "locale": locale}))
                    .collect::<Vec<_>>()
            }
        });
        if format == "ldp_vc" {
            value["credential_definition"]["@context"] =
                json!(["https://www.w3.org/ns/credentials/v2"]);
        }
        value
    };
    let names = [("en", "Data literacy"), ("fr", "Littératie des données")];
    Json(json!({
        "credential_issuer": shared.options.published_issuer.clone().unwrap_or(base.clone()),
        "credential_endpoint": format!("{base}/credential"),
        "nonce_endpoint": format!("{base}/nonce"),
        "notification_endpoint": format!("{base}/notification"),
        "display": [
            {"name": "École des données", "locale": "fr"},
            {"name": "Data School\u{1b}[31m", "locale": "en"}
        ],
        "credential_configurations_supported": {
            LDP: configuration("ldp_vc", &names),
            JWT: configuration("jwt_vc_json", &names),
        }
    }))
}

async fn server_metadata(State(shared): State<Shared>) -> Json<Value> {
    Json(json!({
        "issuer": shared.issuer,
        "token_endpoint": format!("{}/token", shared.issuer),
        "grant_types_supported": [PRE_AUTHORIZED],
        "pre-authorized_grant_anonymous_access_supported": true,
    }))
}

fn seen(method: &str, headers: &HeaderMap, body: &str) -> Seen {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Seen {
        method: method.into(),
        content_type: header(header::CONTENT_TYPE),
        authorization: header(header::AUTHORIZATION),
        body: body.to_owned(),
    }
}

fn no_store(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

/// RFC 6749 §4.1.3 / OpenID4VCI §6.1: a form post.
async fn token(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    shared
        .inner
        .lock()
        .unwrap()
        .token_requests
        .push(seen("POST", &headers, &body));
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "not a form post",
        );
    }
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if form.get("grant_type").map(String::as_str) != Some(PRE_AUTHORIZED) {
        return error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "pre-authorized only",
        );
    }
    let Some(code) = form.get("pre-authorized_code") else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "no pre-authorized_code",
        );
    };
    if !shared.inner.lock().unwrap().codes.contains(code) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown or used code",
        );
    }
    match (shared.options.tx_code, form.get("tx_code")) {
        (Some(_), None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "tx_code missing",
            )
        }
        (Some(expected), Some(given)) if expected != given => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                &format!("the transaction code {given} is wrong"),
            )
        }
        (None, Some(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "no tx_code expected",
            )
        }
        _ => {}
    }
    shared.inner.lock().unwrap().codes.remove(code);
    let access = shared.mint("access-token");
    shared.inner.lock().unwrap().tokens.insert(access.clone());
    let mut answer = json!({"access_token": access, "token_type": "Bearer", "expires_in": 300});
    if shared.options.identifiers {
        answer["authorization_details"] = json!([{
            "type": "openid_credential",
            "credential_configuration_id": LDP,
            "credential_identifiers": ["data-literacy-copy-1"],
        }]);
    }
    no_store(Json(answer))
}

/// OpenID4VCI §7: an empty POST.
async fn nonce(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let nonce = shared.mint("c-nonce");
    let mut inner = shared.inner.lock().unwrap();
    inner.nonce_requests.push(seen("POST", &headers, &body));
    inner.nonces.insert(nonce.clone());
    drop(inner);
    no_store(Json(json!({ "c_nonce": nonce })))
}

fn bearer(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let known = token.is_some_and(|t| shared.inner.lock().unwrap().tokens.contains(t));
    if known && !shared.options.refuse_token {
        return Ok(());
    }
    Err((
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            "Bearer error=\"invalid_token\", error_description=\"the token expired\"",
        )],
    )
        .into_response())
}

/// OpenID4VCI §8.2 (1.0: `proofs`, never `proof`).
async fn credential(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    shared
        .inner
        .lock()
        .unwrap()
        .credential_requests
        .push(seen("POST", &headers, &body));
    if let Err(refused) = bearer(&shared, &headers) {
        return refused;
    }
    let bad = |d: &str| error(StatusCode::BAD_REQUEST, "invalid_credential_request", d);
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/json")
    {
        return bad("not JSON");
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return bad("not JSON");
    };
    if request.get("proof").is_some() {
        return bad("1.0 has no `proof`: use `proofs`");
    }
    let configuration = match (
        request["credential_configuration_id"].as_str(),
        request["credential_identifier"].as_str(),
    ) {
        (Some(id), None) if !shared.options.identifiers => id.to_owned(),
        (None, Some("data-literacy-copy-1")) if shared.options.identifiers => LDP.to_owned(),
        _ => return bad("exactly one of credential_configuration_id / credential_identifier"),
    };
    if shared.options.refuse_configuration || ![LDP, JWT].contains(&configuration.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "unknown_credential_configuration",
            "no such configuration",
        );
    }
    let proofs = request["proofs"]["jwt"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let [Value::String(jwt)] = proofs.as_slice() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_proof",
            "one jwt proof expected",
        );
    };
    let holder = match check_proof(&shared, jwt) {
        Ok(holder) => holder,
        Err(refused) => return refused,
    };
    let mut credential = issue(&holder, &configuration);
    if shared.options.tamper {
        credential["credentialSubject"]["achievement"]["name"] = "Data Literacy Mastery".into();
    }
    no_store(Json(json!({
        "credentials": [{ "credential": credential }],
        "notification_id": "notification-1",
    })))
}

/// The proof JWT of §8.2.1.1 / Appendix F.1: header, claims, nonce (single use), signature.
/// Returns the holder DID.
fn check_proof(shared: &Shared, jwt: &str) -> Result<String, Response> {
    let invalid = |d: &str| error(StatusCode::BAD_REQUEST, "invalid_proof", d);
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(invalid("not a compact JWS"));
    };
    let decode = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let (Some(header_json), Some(claims)) = (decode(header), decode(payload)) else {
        return Err(invalid("undecodable"));
    };
    if header_json["typ"] != "openid4vci-proof+jwt" || header_json["alg"] != "EdDSA" {
        return Err(invalid("typ / alg"));
    }
    if header_json.get("jwk").is_some() || header_json.get("x5c").is_some() {
        return Err(invalid("kid only"));
    }
    let Some(kid) = header_json["kid"].as_str() else {
        return Err(invalid("no kid"));
    };
    let Some((holder, fragment)) = kid.split_once('#') else {
        return Err(invalid("kid is not a DID URL"));
    };
    if !holder.starts_with("did:key:") || holder.strip_prefix("did:key:") != Some(fragment) {
        return Err(invalid("kid is not a did:key URL"));
    }
    if claims["aud"] != shared.issuer.as_str() {
        return Err(invalid("wrong aud"));
    }
    let now = chrono::Utc::now().timestamp();
    if !claims["iat"]
        .as_i64()
        .is_some_and(|iat| (now - 300..=now + 60).contains(&iat))
    {
        return Err(invalid("iat"));
    }
    if claims.get("iss").is_some() {
        // Anonymous pre-authorized access: no client_id, so no iss (§F.1).
        return Err(invalid("iss without a client_id"));
    }
    let key = did::parse_did_key(holder).map_err(|_| invalid("bad did:key"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| invalid("signature"))?;
    key.verify(format!("{header}.{payload}").as_bytes(), &signature)
        .map_err(|_| invalid("signature does not verify"))?;
    let Some(nonce) = claims["nonce"].as_str() else {
        return Err(error(StatusCode::BAD_REQUEST, "invalid_nonce", "no nonce"));
    };
    let mut inner = shared.inner.lock().unwrap();
    if !inner.nonces.remove(nonce) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_nonce",
            "unknown or used nonce",
        ));
    }
    if inner.stale_left > 0 {
        inner.stale_left -= 1;
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_nonce",
            "stale nonce",
        ));
    }
    Ok(holder.to_owned())
}

/// The core's sample badge, issued by a did:key (verifies with nothing fetched), to `holder`.
fn issue(holder: &str, configuration: &str) -> Value {
    let issuer = KeyPair::from_seed(&[42; 32]);
    let issuer_did = did::did_key(&issuer.public()).to_string();
    let method = did::did_key_verification_method(&issuer.public());
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = issuer_did.into();
    badge["credentialSubject"]["id"] = holder.into();
    let object = badge.as_object_mut().unwrap();
    object.remove("credentialStatus");
    object.remove("credentialSchema");
    if configuration == JWT {
        let header = json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": method});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(badge.to_string())
        );
        let signature = URL_SAFE_NO_PAD.encode(issuer.sign(signing_input.as_bytes()));
        return Value::String(format!("{signing_input}.{signature}"));
    }
    let options =
        ProofOptions::assertion(Cryptosuite::EddsaJcs2022, method, "2026-06-30T12:00:00Z");
    proof::sign(&badge, &issuer, &options).unwrap()
}

/// OpenID4VCI §11.
async fn notification(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    shared
        .inner
        .lock()
        .unwrap()
        .notifications
        .push(seen("POST", &headers, &body));
    if let Err(refused) = bearer(&shared, &headers) {
        return refused;
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_notification_request",
            "not JSON",
        );
    };
    if request["notification_id"] != "notification-1" {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_notification_id",
            "unknown id",
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

/// A local CA and a leaf for 127.0.0.1 signed by it: the CA's PEM and the server config.
pub fn local_ca() -> (String, Arc<rustls::ServerConfig>) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Passerelle OpenID4VCI test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (ca.pem(), Arc::new(config))
}
