//! The OpenID4VCI endpoints of `passerelle-issuer serve` (issue 14) through the router with
//! `oneshot`, on SQLite and PostgreSQL: metadata, offers, token, nonce, credential and
//! notification — the whole pre-authorized flow for both formats and both proof algorithms, and
//! every error answer with its exact code. Delivered credentials are checked by the core
//! verifier with the DID document and status lists the service serves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[macro_use]
mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use p256::ecdsa::signature::Signer as _;
use passerelle_core::input::InputLimits;
use passerelle_core::keys::KeyPair;
use passerelle_core::oid4vci::{self, OfferLink, PRE_AUTHORIZED_GRANT_TYPE};
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome, Verdict};
use passerelle_core::{did, status};
use passerelle_issuer::issuance::Issuer;
use passerelle_issuer::server::{self, AppState, ServerOptions};
use passerelle_issuer::store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{ob_schemas, rand_seed, sample_config, seed_issuer, TestDb, BASE, DID};

macro_rules! on_both_oneshot {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = super::TestDb::sqlite();
                super::$name(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let db = super::TestDb::postgres().await;
                super::$name(&db).await;
                db.finish().await;
            }
        }
    )*};
}

on_both_oneshot!(
    metadata_is_served_and_reads_back,
    the_whole_flow_for_both_formats_and_algorithms,
    token_errors,
    tx_codes,
    credential_errors,
    notifications,
    claim_pages_offer_the_wallet,
);

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error` of a spec error body, after checking the status and `no-store`.
    fn error(&self, status: StatusCode) -> String {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header(header::CACHE_CONTROL), Some("no-store"));
        let body = self.json();
        let description = body["error_description"].as_str().unwrap_or("");
        assert!(
            description
                .chars()
                .all(|c| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\')),
            "{description}"
        );
        body["error"].as_str().unwrap_or("").to_owned()
    }
}

struct Fixture {
    issuer: Arc<Issuer>,
    router: Router,
    api_token: String,
}

impl Fixture {
    async fn new(db: &TestDb) -> Self {
        let store = Store::connect(&db.url).await.expect("connect");
        let key = KeyPair::from_seed(&rand_seed());
        let config = sample_config(&key);
        seed_issuer(&store, &config, &key).await;
        let (_, secret) = store.create_api_token("tests").await.unwrap();
        let issuer = Arc::new(
            Issuer::from_parts(config, store, key)
                .await
                .expect("issuer")
                .with_schemas(ob_schemas()),
        );
        let router = server::app(AppState::new(Arc::clone(&issuer), ServerOptions::default()));
        let f = Self {
            issuer,
            router,
            api_token: secret.expose().to_owned(),
        };
        let created = f
            .send(
                Method::POST,
                "/api/v1/achievements",
                &[("content-type", "application/json")],
                json!({
                    "slug": "data-101", "name": "Data literacy 101",
                    "description": "Reads, cleans and charts tabular data.",
                    "criteria": "Passed the final assessment.", "language": "en"
                })
                .to_string()
                .into_bytes(),
                true,
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        f
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        admin: bool,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if admin {
            request = request.header("authorization", format!("Bearer {}", self.api_token));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], Vec::new(), false).await
    }

    /// Issues to `email` through the admin API; the answer's `claim` object.
    async fn issue(&self, email: &str, tx_code: Option<bool>) -> Value {
        let mut body = json!({
            "achievement": "data-101", "email": email, "completion_date": "2026-03-01",
        });
        if let Some(tx) = tx_code {
            body["tx_code"] = json!(tx);
        }
        let reply = self
            .send(
                Method::POST,
                "/api/v1/credentials",
                &[("content-type", "application/json")],
                body.to_string().into_bytes(),
                true,
            )
            .await;
        assert!(reply.status.is_success(), "{}", reply.text());
        reply.json()["claim"].clone()
    }

    /// The pre-authorized code of a by-reference offer, fetched as a wallet does.
    async fn code_from_reference(&self, offer_uri: &str) -> (String, bool) {
        let OfferLink::ByReference(url) = oid4vci::parse_offer_link(offer_uri).unwrap() else {
            panic!("not by reference: {offer_uri}")
        };
        let reply = self.get(url.strip_prefix(BASE).unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
        let offer = oid4vci::parse_offer_json(&reply.body).unwrap();
        assert_eq!(offer.credential_issuer, BASE);
        let grant = offer.pre_authorized().unwrap();
        (grant.pre_authorized_code.clone(), grant.tx_code.is_some())
    }

    async fn token_raw(&self, form: &str) -> Reply {
        self.send(
            Method::POST,
            "/oid4vci/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.as_bytes().to_vec(),
            false,
        )
        .await
    }

    async fn token(&self, code: &str, tx_code: Option<&str>) -> Reply {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", PRE_AUTHORIZED_GRANT_TYPE);
        form.append_pair("pre-authorized_code", code);
        if let Some(tx) = tx_code {
            form.append_pair("tx_code", tx);
        }
        self.token_raw(&form.finish()).await
    }

    async fn access_token(&self, code: &str) -> String {
        let reply = self.token(code, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    async fn nonce(&self) -> String {
        let reply = self
            .send(Method::POST, "/oid4vci/nonce", &[], Vec::new(), false)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
        reply.json()["c_nonce"].as_str().unwrap().to_owned()
    }

    async fn bearer_post(&self, path: &str, token: &str, body: &Value) -> Reply {
        let auth = format!("Bearer {token}");
        self.send(
            Method::POST,
            path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.to_string().into_bytes(),
            false,
        )
        .await
    }

    async fn notify(&self, token: &str, body: Value) -> Reply {
        self.bearer_post("/oid4vci/notification", token, &body)
            .await
    }

    async fn credential(&self, token: &str, configuration: &str, proof: &str) -> Reply {
        let body =
            json!({"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}});
        self.bearer_post("/oid4vci/credential", token, &body).await
    }

    /// A credential through the whole flow, with an EdDSA proof by `holder`.
    async fn collect(&self, holder: &KeyPair, configuration: &str) -> Value {
        let claim = self
            .issue(&format!("{}@example.org", uuid::Uuid::new_v4()), None)
            .await;
        let (code, _) = self
            .code_from_reference(claim["credential_offer"].as_str().unwrap())
            .await;
        let token = self.access_token(&code).await;
        let nonce = self.nonce().await;
        let proof = oid4vci::sign_proof_jwt(holder, BASE, Some(&nonce), Utc::now().timestamp());
        let reply = self.credential(&token, configuration, &proof).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
        reply.json()
    }

    /// The core verifier's report on a delivered credential (JSON or compact JWS).
    async fn report(&self, credential: &Value) -> verify::Report {
        let text = match credential {
            Value::String(jws) => jws.clone(),
            other => other.to_string(),
        };
        let verify::Recognised::Document(recovered) =
            verify::recognise(text.as_bytes(), &InputLimits::default()).unwrap()
        else {
            panic!("not a document")
        };
        let presented = recovered.presented;
        let document = match credential {
            Value::String(jws) => {
                let payload = jws.split('.').nth(1).unwrap();
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
            }
            other => other.clone(),
        };
        let mut fetched = Fetched {
            schemas: ob_schemas(),
            ..Fetched::default()
        };
        let did_doc = self.get("/.well-known/did.json").await;
        fetched
            .did_documents
            .insert(&did::Did::parse(DID).unwrap(), did_doc.json());
        for url in status::lists_needed(&document) {
            let list = self.get(url.strip_prefix(BASE).unwrap()).await;
            assert_eq!(list.status, StatusCode::OK);
            fetched.add_status_list(&url, list.json(), "served");
        }
        verify::check(&presented, &fetched, Utc::now(), &CheckOptions::default())
    }
}

/// An ES256 key proof with the public key in `jwk`.
fn es256_proof(seed: [u8; 32], audience: &str, nonce: &str) -> (String, Value) {
    let key = p256::ecdsa::SigningKey::from_bytes(&seed.into()).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let jwk = json!({
        "kty": "EC", "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    });
    let header = json!({"alg": "ES256", "typ": "openid4vci-proof+jwt", "jwk": jwk});
    let claims = json!({"aud": audience, "iat": Utc::now().timestamp(), "nonce": nonce});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
    (
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())),
        jwk,
    )
}

fn check(report: &verify::Report, id: CheckId) -> Outcome {
    report
        .check(id)
        .unwrap_or_else(|| panic!("no {id:?} check"))
        .outcome
}

// ----- tests ---------------------------------------------------------------------------------------

async fn metadata_is_served_and_reads_back(db: &TestDb) {
    let f = Fixture::new(db).await;
    let reply = f.get("/.well-known/openid-credential-issuer").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let metadata = oid4vci::parse_issuer_metadata(&reply.body, BASE).unwrap();
    assert_eq!(
        metadata.credential_endpoint,
        format!("{BASE}/oid4vci/credential")
    );
    assert_eq!(
        metadata.nonce_endpoint.as_deref(),
        Some(format!("{BASE}/oid4vci/nonce").as_str())
    );
    assert!(metadata.deferred_credential_endpoint.is_none());
    assert_eq!(metadata.display[0].locale.as_deref(), Some("en"));
    assert_eq!(
        metadata.display[0].name.as_deref(),
        Some("Open Learning Lab")
    );
    let ids: Vec<&String> = metadata
        .credential_configurations_supported
        .keys()
        .collect();
    assert_eq!(ids, ["data-101.jwt_vc_json", "data-101.ldp_vc"]);
    let ldp = &metadata.credential_configurations_supported["data-101.ldp_vc"];
    assert_eq!(ldp.format, "ldp_vc");
    assert_eq!(ldp.jwt_proof_algorithms().unwrap(), ["EdDSA", "ES256"]);
    let display = ldp.display();
    assert_eq!(display[0].name.as_deref(), Some("Data literacy 101"));
    assert!(display[0].description.is_some());
    let raw = reply.json();
    assert!(raw.get("batch_credential_issuance").is_none());
    assert_eq!(
        raw["credential_configurations_supported"]["data-101.ldp_vc"]
            ["credential_signing_alg_values_supported"],
        json!(["eddsa-rdfc-2022"])
    );
    let as_reply = f.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(as_reply.status, StatusCode::OK);
    let as_metadata = oid4vci::parse_authorization_server_metadata(&as_reply.body, BASE).unwrap();
    assert_eq!(
        as_metadata.pre_authorized_grant_anonymous_access_supported,
        Some(true)
    );
    assert_eq!(
        as_metadata.pre_authorized_token_endpoint().unwrap(),
        format!("{BASE}/oid4vci/token")
    );
}

async fn the_whole_flow_for_both_formats_and_algorithms(db: &TestDb) {
    let f = Fixture::new(db).await;
    let holder = KeyPair::from_seed(&rand_seed());
    let holder_did = did::did_key(&holder.public()).as_str().to_owned();
    // ldp_vc, EdDSA proof by a did:key.
    let answer = f.collect(&holder, "data-101.ldp_vc").await;
    assert!(answer["notification_id"]
        .as_str()
        .unwrap()
        .starts_with("ntf_"));
    let credential = &answer["credentials"][0]["credential"];
    assert_eq!(credential["credentialSubject"]["id"], holder_did.as_str());
    assert!(
        credential["credentialSubject"]["identifier"].is_array()
            || credential["credentialSubject"]["identifier"].is_object(),
        "the salted email hash is kept: {credential}"
    );
    // One proof, as every credential of this issuer carries it.
    let proofs = match &credential["proof"] {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    assert_eq!(proofs.len(), 1, "{credential}");
    assert_eq!(proofs[0]["cryptosuite"], "eddsa-rdfc-2022", "{credential}");
    let report = f.report(credential).await;
    assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
    // jwt_vc_json, ES256 proof with a jwk: bound to its did:jwk.
    let claim = f.issue("grace@example.org", None).await;
    let (code, _) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    let token = f.access_token(&code).await;
    let nonce = f.nonce().await;
    let (proof, _) = es256_proof([9; 32], BASE, &nonce);
    let reply = f.credential(&token, "data-101.jwt_vc_json", &proof).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let jws = reply.json()["credentials"][0]["credential"].clone();
    let compact = jws.as_str().expect("a compact JWS");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(compact.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "vc+jwt");
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], format!("{DID}#key-1"));
    let report = f.report(&jws).await;
    assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
    // The same token serves a second request (the other format), each with a fresh nonce.
    let nonce = f.nonce().await;
    let (proof, _) = es256_proof([9; 32], BASE, &nonce);
    let reply = f.credential(&token, "data-101.ldp_vc", &proof).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let delivered = reply.json()["credentials"][0]["credential"].clone();
    let subject = delivered["credentialSubject"]["id"].as_str().unwrap();
    assert!(subject.starts_with("did:jwk:"), "{subject}");
    // Same status entries as the award: revoking it revokes the delivered copies.
    let award_id = f
        .issuer
        .store()
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find(|e| e.action == "oid4vci.credential")
        .unwrap()
        .details["credential"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = f
        .send(
            Method::POST,
            &format!("/api/v1/credentials/{award_id}/revoke"),
            &[],
            Vec::new(),
            true,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    let report = f.report(&delivered).await;
    assert_eq!(
        check(&report, CheckId::Status),
        Outcome::Fail,
        "{}",
        report.to_json()
    );
    assert_ne!(delivered["id"], credential["id"]);
    // A revoked badge cannot be collected again.
    let nonce = f.nonce().await;
    let (proof, _) = es256_proof([9; 32], BASE, &nonce);
    let reply = f.credential(&token, "data-101.ldp_vc", &proof).await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST),
        "credential_request_denied"
    );
    // The audit log names the steps, never a secret.
    let audit = f.issuer.store().audit_entries(0, 1000).await.unwrap();
    let text =
        serde_json::to_string(&audit.iter().map(|e| &e.details).collect::<Vec<_>>()).unwrap();
    for secret in ["pac_", "oat_", "cn_", "ntf_", "ofr_"] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
    assert!(audit.iter().any(|e| e.action == "oid4vci.token"));
}

async fn token_errors(db: &TestDb) {
    let f = Fixture::new(db).await;
    let claim = f.issue("ada@example.org", None).await;
    let (code, needs_tx) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    assert!(!needs_tx);
    let bad = |r: Reply, expected: &str| assert_eq!(r.error(StatusCode::BAD_REQUEST), expected);
    bad(
        f.token_raw("grant_type=authorization_code&code=x").await,
        "unsupported_grant_type",
    );
    bad(
        f.token_raw("pre-authorized_code=x").await,
        "invalid_request",
    );
    bad(
        f.token_raw(&format!("grant_type={PRE_AUTHORIZED_GRANT_TYPE}"))
            .await,
        "invalid_request",
    );
    bad(f.token("pac_nope", None).await, "invalid_grant");
    let json_body = f
        .send(
            Method::POST,
            "/oid4vci/token",
            &[("content-type", "application/json")],
            b"{}".to_vec(),
            false,
        )
        .await;
    bad(json_body, "invalid_request");
    // Success, then a replay: invalid_grant, and the token from the first use stops working.
    let ok = f.token(&code, None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.header(header::CACHE_CONTROL), Some("no-store"));
    let body = ok.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        f.bearer_post("/oid4vci/notification", &token, &json!({}))
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "the token works before the replay"
    );
    bad(f.token(&code, None).await, "invalid_grant");
    let after = f
        .bearer_post("/oid4vci/notification", &token, &json!({}))
        .await;
    assert_eq!(after.error(StatusCode::UNAUTHORIZED), "invalid_token");
    assert!(after
        .header(header::WWW_AUTHENTICATE)
        .unwrap()
        .contains("error=\"invalid_token\""));
    // Offers by reference: unknown 404, and each fetch mints a new code.
    assert_eq!(
        f.get("/oid4vci/offers/ofr_nope").await.status,
        StatusCode::NOT_FOUND
    );
    let uri = claim["credential_offer"].as_str().unwrap();
    let (a, _) = f.code_from_reference(uri).await;
    let (b, _) = f.code_from_reference(uri).await;
    assert_ne!(a, b);
    bad(f.token(&a, None).await, "invalid_grant");
    assert_eq!(f.token(&b, None).await.status, StatusCode::OK);
    // The by-value offer the API answered carries its own fresh code.
    let OfferLink::ByValue(offer) =
        oid4vci::parse_offer_link(claim["credential_offer_by_value"].as_str().unwrap()).unwrap()
    else {
        panic!("not by value")
    };
    assert_eq!(offer.credential_configuration_ids.len(), 2);
}

async fn tx_codes(db: &TestDb) {
    let f = Fixture::new(db).await;
    let claim = f.issue("ada@example.org", Some(true)).await;
    let pin = claim["tx_code"].as_str().expect("a tx_code").to_owned();
    assert!(pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()));
    let (code, needs_tx) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    assert!(needs_tx);
    assert_eq!(
        f.token(&code, None).await.error(StatusCode::BAD_REQUEST),
        "invalid_request"
    );
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    assert_eq!(
        f.token(&code, Some(wrong))
            .await
            .error(StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    assert_eq!(f.token(&code, Some(&pin)).await.status, StatusCode::OK);
    // Five wrong codes burn the pre-authorized code.
    let (code, _) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    for _ in 0..5 {
        assert_eq!(
            f.token(&code, Some(wrong))
                .await
                .error(StatusCode::BAD_REQUEST),
            "invalid_grant"
        );
    }
    let burnt = f.token(&code, Some(&pin)).await;
    assert_eq!(burnt.error(StatusCode::BAD_REQUEST), "invalid_grant");
    assert!(burnt.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("too many"));
    // Without a tx_code asked for, none is made.
    let plain = f.issue("grace@example.org", Some(false)).await;
    assert!(plain["tx_code"].is_null());
}

async fn credential_errors(db: &TestDb) {
    let f = Fixture::new(db).await;
    let holder = KeyPair::from_seed(&rand_seed());
    let claim = f.issue("ada@example.org", None).await;
    let (code, _) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    let token = f.access_token(&code).await;
    let now = Utc::now().timestamp();
    let error = |r: Reply| r.error(StatusCode::BAD_REQUEST);
    // No token, a bad token.
    let none = f
        .send(
            Method::POST,
            "/oid4vci/credential",
            &[("content-type", "application/json")],
            b"{}".to_vec(),
            false,
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none
        .header(header::WWW_AUTHENTICATE)
        .unwrap()
        .starts_with("Bearer"));
    let proof = oid4vci::sign_proof_jwt(&holder, BASE, Some(&f.nonce().await), now);
    let bad_token = f
        .credential(
            &format!("oat_{}", "0".repeat(64)),
            "data-101.ldp_vc",
            &proof,
        )
        .await;
    assert_eq!(bad_token.error(StatusCode::UNAUTHORIZED), "invalid_token");
    // Nonces: missing, unknown, reused.
    let no_nonce = oid4vci::sign_proof_jwt(&holder, BASE, None, now);
    assert_eq!(
        error(f.credential(&token, "data-101.ldp_vc", &no_nonce).await),
        "invalid_nonce"
    );
    let unknown = oid4vci::sign_proof_jwt(&holder, BASE, Some("cn_made_up"), now);
    assert_eq!(
        error(f.credential(&token, "data-101.ldp_vc", &unknown).await),
        "invalid_nonce"
    );
    let nonce = f.nonce().await;
    let good = oid4vci::sign_proof_jwt(&holder, BASE, Some(&nonce), now);
    assert_eq!(
        f.credential(&token, "data-101.ldp_vc", &good).await.status,
        StatusCode::OK
    );
    assert_eq!(
        error(f.credential(&token, "data-101.ldp_vc", &good).await),
        "invalid_nonce",
        "a used nonce"
    );
    // Proofs: wrong audience, stale iat, a signature by another key, garbage.
    let nonce = f.nonce().await;
    let wrong_aud = oid4vci::sign_proof_jwt(&holder, "https://evil.example", Some(&nonce), now);
    assert_eq!(
        error(f.credential(&token, "data-101.ldp_vc", &wrong_aud).await),
        "invalid_proof"
    );
    let stale = oid4vci::sign_proof_jwt(&holder, BASE, Some(&nonce), now - 3600);
    assert_eq!(
        error(f.credential(&token, "data-101.ldp_vc", &stale).await),
        "invalid_proof"
    );
    let other = KeyPair::from_seed(&rand_seed());
    let theirs = oid4vci::sign_proof_jwt(&other, BASE, Some(&nonce), now);
    let (head, _) = good.rsplit_once('.').unwrap();
    let (_, their_signature) = theirs.rsplit_once('.').unwrap();
    let forged = format!("{head}.{their_signature}");
    assert_eq!(
        error(f.credential(&token, "data-101.ldp_vc", &forged).await),
        "invalid_proof"
    );
    assert_eq!(
        error(f.credential(&token, "data-101.ldp_vc", "a.b.c").await),
        "invalid_proof"
    );
    // The request itself.
    let fresh = oid4vci::sign_proof_jwt(&holder, BASE, Some(&nonce), now);
    assert_eq!(
        error(f.credential(&token, "data-101.mso_mdoc", &fresh).await),
        "unknown_credential_configuration"
    );
    assert_eq!(
        error(f.credential(&token, "other-badge.ldp_vc", &fresh).await),
        "unknown_credential_configuration"
    );
    let by_identifier = json!({"credential_identifier": "nope", "proofs": {"jwt": [fresh]}});
    assert_eq!(
        error(
            f.bearer_post("/oid4vci/credential", &token, &by_identifier)
                .await
        ),
        "unknown_credential_identifier"
    );
    let batch = json!({"credential_configuration_id": "data-101.ldp_vc", "proofs": {"jwt": [fresh, fresh]}});
    assert_eq!(
        error(f.bearer_post("/oid4vci/credential", &token, &batch).await),
        "invalid_credential_request"
    );
    let encrypted = json!({"credential_configuration_id": "data-101.ldp_vc", "proofs": {"jwt": [fresh]}, "credential_response_encryption": {}});
    assert_eq!(
        error(
            f.bearer_post("/oid4vci/credential", &token, &encrypted)
                .await
        ),
        "invalid_encryption_parameters"
    );
    assert_eq!(
        error(
            f.bearer_post(
                "/oid4vci/credential",
                &token,
                &json!({"proofs": {"jwt": [fresh]}})
            )
            .await
        ),
        "invalid_credential_request"
    );
    // The nonce survived every refusal before its check: it still works.
    let identifier =
        json!({"credential_identifier": "data-101.ldp_vc", "proofs": {"jwt": [fresh]}});
    let ok = f
        .bearer_post("/oid4vci/credential", &token, &identifier)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

async fn notifications(db: &TestDb) {
    let f = Fixture::new(db).await;
    let holder = KeyPair::from_seed(&rand_seed());
    let claim = f.issue("ada@example.org", None).await;
    let (code, _) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    let token = f.access_token(&code).await;
    let nonce = f.nonce().await;
    let proof = oid4vci::sign_proof_jwt(&holder, BASE, Some(&nonce), Utc::now().timestamp());
    let answer = f.credential(&token, "data-101.ldp_vc", &proof).await.json();
    let id = answer["notification_id"].as_str().unwrap();
    let accepted = f
        .notify(
            &token,
            json!({"notification_id": id, "event": "credential_accepted"}),
        )
        .await;
    assert_eq!(
        accepted.status,
        StatusCode::NO_CONTENT,
        "{}",
        accepted.text()
    );
    let deleted = f.notify(&token, json!({"notification_id": id, "event": "credential_deleted", "event_description": "removed by the user"})).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let bad = |r: Reply| r.error(StatusCode::BAD_REQUEST);
    assert_eq!(
        bad(f.notify(&token, json!({"notification_id": format!("ntf_{}", "1".repeat(64)), "event": "credential_accepted"})).await),
        "invalid_notification_id"
    );
    assert_eq!(
        bad(f
            .notify(
                &token,
                json!({"notification_id": id, "event": "credential_loved"})
            )
            .await),
        "invalid_notification_request"
    );
    assert_eq!(
        bad(f
            .notify(&token, json!({"event": "credential_accepted"}))
            .await),
        "invalid_notification_request"
    );
    let audit = f.issuer.store().audit_entries(0, 1000).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"oid4vci.notification.credential_accepted"),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"oid4vci.notification.credential_deleted"),
        "{actions:?}"
    );
}

async fn claim_pages_offer_the_wallet(db: &TestDb) {
    let f = Fixture::new(db).await;
    let claim = f.issue("ada@example.org", Some(true)).await;
    let pin = claim["tx_code"].as_str().unwrap().to_owned();
    let path = claim["url"]
        .as_str()
        .unwrap()
        .strip_prefix(BASE)
        .unwrap()
        .to_owned();
    let page = f.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Open in your wallet"), "{html}");
    assert!(html.contains("href=\"openid-credential-offer://?credential_offer="));
    assert!(html.contains("6-digit code"));
    assert!(
        !html.contains(&pin),
        "the tx_code is never on the claim page"
    );
    // The page's offer works, and needs the tx_code; each view mints a new code.
    let start = html.find("openid-credential-offer://").unwrap();
    let end = start + html[start..].find('"').unwrap();
    let link = html[start..end].replace("&amp;", "&");
    let OfferLink::ByValue(offer) = oid4vci::parse_offer_link(&link).unwrap() else {
        panic!("not by value")
    };
    let grant = offer.pre_authorized().unwrap();
    assert!(grant.tx_code.is_some());
    let again = f.get(&path).await.text();
    assert!(!again.contains(&grant.pre_authorized_code));
    // The page's code was replaced by the second view's: only the latest works.
    assert_eq!(
        f.token(&grant.pre_authorized_code, Some(&pin))
            .await
            .error(StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
}
