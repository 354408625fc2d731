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
#[path = "../common/mod.rs"]
mod common;

mod errors;
mod flow;
mod obapi;

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
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome};
use passerelle_core::{did, status};
use passerelle_issuer::issuance::Issuer;
use passerelle_issuer::server::{self, AppState, ServerOptions};
use passerelle_issuer::store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{ob_schemas, rand_seed, sample_config, seed_issuer, TestDb, BASE, DID};

macro_rules! on_both_oneshot {
    ($($module:ident::$name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = super::TestDb::sqlite();
                super::$module::$name(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let db = super::TestDb::postgres().await;
                super::$module::$name(&db).await;
                db.finish().await;
            }
        }
    )*};
}

on_both_oneshot!(
    flow::metadata_is_served_and_reads_back,
    flow::embedded_images_are_logos_served_by_url,
    flow::an_issuer_url_with_a_path_has_path_aware_metadata,
    flow::the_whole_flow_for_both_formats_and_algorithms,
    flow::claim_pages_offer_the_wallet,
    flow::bulk_runs_hand_out_offers_and_tx_codes,
    errors::token_errors,
    errors::tx_codes,
    errors::credential_errors,
    errors::notifications,
    obapi::the_whole_provider_flow,
    obapi::authorization_errors,
    obapi::consent_speaks_the_learners_language,
    obapi::rate_limits_over_a_socket,
);

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text()))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error` of a spec error body, after checking the status and `no-store`.
    pub(crate) fn error(&self, status: StatusCode) -> String {
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

pub(crate) struct Fixture {
    pub(crate) issuer: Arc<Issuer>,
    router: Router,
    api_token: String,
}

impl Fixture {
    pub(crate) async fn new(db: &TestDb) -> Self {
        Self::at(db, BASE).await
    }

    /// An issuer whose configured URL (its credential issuer identifier) is `url`.
    pub(crate) async fn at(db: &TestDb, url: &str) -> Self {
        let store = Store::connect(&db.url).await.expect("connect");
        let key = KeyPair::from_seed(&rand_seed());
        let mut config = sample_config(&key);
        config.url = url.to_owned();
        seed_issuer(&store, &config, &key).await;
        let (_, secret) = store.create_api_token("tests").await.unwrap();
        let issuer = Arc::new(
            Issuer::from_parts(config, store, key)
                .await
                .expect("issuer")
                .with_schemas(ob_schemas()),
        );
        let router =
            server::app(AppState::new(Arc::clone(&issuer), ServerOptions::default()).unwrap());
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

    pub(crate) async fn send(
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

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], Vec::new(), false).await
    }

    /// Issues to `email` through the admin API; the answer's `claim` object.
    pub(crate) async fn issue(&self, email: &str, tx_code: Option<bool>) -> Value {
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
    pub(crate) async fn code_from_reference(&self, offer_uri: &str) -> (String, bool) {
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

    pub(crate) async fn token_raw(&self, form: &str) -> Reply {
        self.send(
            Method::POST,
            "/oid4vci/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.as_bytes().to_vec(),
            false,
        )
        .await
    }

    pub(crate) async fn token(&self, code: &str, tx_code: Option<&str>) -> Reply {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", PRE_AUTHORIZED_GRANT_TYPE);
        form.append_pair("pre-authorized_code", code);
        if let Some(tx) = tx_code {
            form.append_pair("tx_code", tx);
        }
        self.token_raw(&form.finish()).await
    }

    pub(crate) async fn access_token(&self, code: &str) -> String {
        let reply = self.token(code, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn nonce(&self) -> String {
        let reply = self
            .send(Method::POST, "/oid4vci/nonce", &[], Vec::new(), false)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
        reply.json()["c_nonce"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn bearer_post(&self, path: &str, token: &str, body: &Value) -> Reply {
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

    pub(crate) async fn notify(&self, token: &str, body: Value) -> Reply {
        self.bearer_post("/oid4vci/notification", token, &body)
            .await
    }

    pub(crate) async fn credential(&self, token: &str, configuration: &str, proof: &str) -> Reply {
        let body =
            json!({"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}});
        self.bearer_post("/oid4vci/credential", token, &body).await
    }

    /// A credential through the whole flow, with an EdDSA proof by `holder`.
    pub(crate) async fn collect(&self, holder: &KeyPair, configuration: &str) -> Value {
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
    pub(crate) async fn report(&self, credential: &Value) -> verify::Report {
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
pub(crate) fn es256_proof(seed: [u8; 32], audience: &str, nonce: &str) -> (String, Value) {
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

pub(crate) fn check(report: &verify::Report, id: CheckId) -> Outcome {
    report
        .check(id)
        .unwrap_or_else(|| panic!("no {id:?} check"))
        .outcome
}
