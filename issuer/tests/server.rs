//! The HTTP service, end to end inside one process: every test runs four ways — on a real SQLite
//! file and on PostgreSQL (`PASSERELLE_TEST_POSTGRES_URL`; without it those tests fail, saying how to start it),
//! each through the router with `oneshot` (no socket) and over a real loopback socket with an
//! HTTP client. Credentials issued through the API are checked by the core verifier with the DID
//! document and status lists the service serves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[macro_use]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use passerelle_core::keys::KeyPair;
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome, Verdict};
use passerelle_core::{bake, did, status};
use passerelle_issuer::issuance::Issuer;
use passerelle_issuer::secret::Passphrase;
use passerelle_issuer::server::{self, AppState, ServerOptions};
use passerelle_issuer::store::{CredentialId, Store};
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{ob_schemas, rand_seed, sample_config, seed_issuer, TestDb, BASE, DID, PASSPHRASE};

const EMAIL: &str = "ada.lovelace@example.org";
const STATUS_MAX_AGE: u64 = 120;

// ----- databases ---------------------------------------------------------------------------------

// ----- clients: the router itself, or a real socket ------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Transport {
    Oneshot,
    Loopback,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `field` of an error body, after checking the status.
    fn error_field(&self, status: StatusCode) -> String {
        assert_eq!(self.status, status, "{}", self.text());
        let body = self.json();
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        body["error"]["field"].as_str().unwrap_or("").to_owned()
    }
}

struct Client {
    router: Router,
    http: Option<(reqwest::Client, String)>,
    token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Client {
    async fn new(router: Router, transport: Transport, token: String) -> Self {
        let mut client = Self {
            router: router.clone(),
            http: None,
            token,
            shutdown: None,
        };
        if transport == Transport::Loopback {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(server::serve(listener, router, async {
                let _ = rx.await;
            }));
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            client.http = Some((http, format!("http://{address}")));
            client.shutdown = Some(tx);
        }
        client
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        match &self.http {
            None => {
                let mut request = Request::builder().method(method).uri(path);
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
            Some((http, base)) => {
                let mut request = http.request(method, format!("{base}{path}")).body(body);
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await.unwrap().to_vec();
                Reply {
                    status,
                    headers,
                    body,
                }
            }
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], Vec::new()).await
    }

    async fn api(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("authorization", auth.as_str())];
        let bytes = match &body {
            Some(v) => {
                headers.push(("content-type", "application/json"));
                serde_json::to_vec(v).unwrap()
            }
            None => Vec::new(),
        };
        self.send(method, path, &headers, bytes).await
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

// ----- the issuer under test ---------------------------------------------------------------------

struct Fixture {
    issuer: Arc<Issuer>,
    client: Client,
    token_id: String,
    /// The signing key (a second instance on the same database needs it).
    key: KeyPair,
}

async fn fixture(db: &TestDb, transport: Transport) -> Fixture {
    fixture_with(db, transport, true).await
}

/// [`fixture`], with or without the OB 3.0 schema installed.
async fn fixture_with(db: &TestDb, transport: Transport, ob_schema: bool) -> Fixture {
    let store = Store::connect(&db.url).await.expect("connect");
    let key = KeyPair::from_seed(&rand_seed());
    let config = sample_config(&key);
    seed_issuer(&store, &config, &key).await;
    let (token, secret) = store.create_api_token("tests").await.unwrap();
    let mut issuer = Issuer::from_parts(config, store, key.clone())
        .await
        .expect("issuer");
    if ob_schema {
        issuer = issuer.with_schemas(ob_schemas());
    }
    let issuer = Arc::new(issuer);
    let options = ServerOptions {
        status_max_age: Duration::from_secs(STATUS_MAX_AGE),
        ..ServerOptions::default()
    };
    let router = server::app(AppState::new(Arc::clone(&issuer), options));
    let client = Client::new(router, transport, secret.expose().to_owned()).await;
    Fixture {
        issuer,
        client,
        token_id: token.id,
        key,
    }
}

fn achievement_body(slug: &str, name: &str) -> Value {
    json!({
        "slug": slug,
        "name": name,
        "description": "Reads, cleans and charts tabular data.",
        "criteria": "Passed the final assessment.",
        "level": 5,
        "credits": 5,
        "alignments": [{"name": "Data literacy", "url": "http://data.europa.eu/esco/skill/abc"}],
        "language": "en"
    })
}

async fn create_achievement(client: &Client, slug: &str, name: &str) -> Value {
    let reply = client
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(achievement_body(slug, name)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

async fn issue(client: &Client, slug: &str, email: &str, external: &str) -> Reply {
    client
        .api(
            Method::POST,
            "/api/v1/credentials",
            Some(json!({
                "achievement": slug,
                "email": email,
                "name": "Ada Lovelace",
                "completion_date": "2026-03-01",
                "result": "92/100",
                "external_id": external,
            })),
        )
        .await
}

/// The path part of one of this issuer's https URLs.
fn path_of(url: &str) -> &str {
    url.strip_prefix(BASE).expect("a URL of this issuer")
}

/// The core verifier's report on `credential`, with the DID document and the status lists
/// fetched from the service.
async fn served_report(client: &Client, credential: &Value) -> verify::Report {
    let presented = verify::classify_json(credential.clone());
    let mut fetched = Fetched::default();
    let did_doc = client.get("/.well-known/did.json").await;
    assert_eq!(did_doc.status, StatusCode::OK);
    fetched
        .did_documents
        .insert(&did::Did::parse(DID).unwrap(), did_doc.json());
    for url in status::lists_needed(credential) {
        let list = client.get(path_of(&url)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text());
        fetched.add_status_list(&url, list.json(), "served by the service");
    }
    assert!(verify::needs(&presented, &fetched).is_empty());
    verify::check(&presented, &fetched, Utc::now(), &CheckOptions::default())
}

macro_rules! four_ways {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::Transport;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite_oneshot() {
                let db = super::TestDb::sqlite();
                super::$name(&db, Transport::Oneshot).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite_loopback() {
                let db = super::TestDb::sqlite();
                super::$name(&db, Transport::Loopback).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres_oneshot() {
                let db = super::TestDb::postgres().await;
                super::$name(&db, Transport::Oneshot).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres_loopback() {
                let db = super::TestDb::postgres().await;
                super::$name(&db, Transport::Loopback).await;
                db.finish().await;
            }
        }
    )*};
}

four_ways!(
    did_document_profile_and_achievements_are_public,
    issued_credentials_verify_with_what_the_service_serves,
    status_lists_carry_cache_headers_and_flip_after_revocation,
    status_lists_show_another_instances_revocation_within_one_cache_period,
    claim_pages,
    the_api_needs_a_valid_token,
    every_client_error_names_the_field,
    issuing_is_idempotent_and_listing_pages_and_filters,
    achievements_crud,
    bulk_jobs_run_to_completion,
    stats_and_audit_carry_no_personal_data,
    the_stats_export_is_suppressed_and_names_no_learner,
    every_documented_operation_is_routed,
    issuing_waits_for_the_ob_schema,
);

// ----- tests ---------------------------------------------------------------------------------------

async fn did_document_profile_and_achievements_are_public(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    let doc = c.get("/.well-known/did.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert_eq!(doc["id"], DID);
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 1);

    // After a rotation the old key stays, for assertions: what it signed keeps verifying.
    f.issuer
        .rotate_key(&Passphrase::new(PASSPHRASE), "test")
        .await
        .unwrap();
    let doc = c.get("/.well-known/did.json").await.json();
    let methods: Vec<&str> = doc["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(methods, [format!("{DID}#key-1"), format!("{DID}#key-2")]);
    let assertion: Vec<&str> = doc["assertionMethod"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        assertion.contains(&format!("{DID}#key-1").as_str()),
        "{doc}"
    );
    assert!(
        assertion.contains(&format!("{DID}#key-2").as_str()),
        "{doc}"
    );

    let profile = c.get("/issuer").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.json(), f.issuer.profile());
    assert_eq!(profile.json()["id"], DID);

    create_achievement(c, "data-101", "Data Literacy").await;
    let public = c.get("/achievements/data-101").await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.json()["id"], format!("{BASE}/achievements/data-101"));
    assert_eq!(public.json()["name"], "Data Literacy");
    assert_eq!(
        c.get("/achievements/none").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(c.get("/nothing/here").await.status, StatusCode::NOT_FOUND);
}

async fn issued_credentials_verify_with_what_the_service_serves(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    create_achievement(c, "data-101", "Data Literacy").await;
    let old = issue(c, "data-101", EMAIL, "e-1").await;
    assert_eq!(old.status, StatusCode::CREATED, "{}", old.text());
    let old = old.json()["credential"].clone();
    let report = served_report(c, &old).await;
    assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
    assert_eq!(
        report.check(CheckId::Status).unwrap().outcome,
        Outcome::Pass
    );
    assert!(
        !old.to_string().contains(EMAIL),
        "the email leaked into the credential"
    );

    // Rotate: the old credential still verifies, a new one is signed with the new key.
    f.issuer
        .rotate_key(&Passphrase::new(PASSPHRASE), "test")
        .await
        .unwrap();
    let report = served_report(c, &old).await;
    assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
    let new = issue(c, "data-101", "grace@example.org", "e-2")
        .await
        .json()["credential"]
        .clone();
    let proof = &new["proof"];
    let vm = proof.as_array().map_or(&proof["verificationMethod"], |p| {
        &p[0]["verificationMethod"]
    });
    assert_eq!(vm, &format!("{DID}#key-2"));
    let report = served_report(c, &new).await;
    assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
}

async fn status_lists_carry_cache_headers_and_flip_after_revocation(
    db: &TestDb,
    transport: Transport,
) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    create_achievement(c, "data-101", "Data Literacy").await;
    let issued = issue(c, "data-101", EMAIL, "e-1").await.json();
    let credential = issued["credential"].clone();
    let id = issued["id"].as_str().unwrap().to_owned();
    let entry = &credential["credentialStatus"][0];
    assert_eq!(entry["statusPurpose"], "revocation");
    let url = entry["statusListCredential"].as_str().unwrap();
    let index: u64 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();

    let first = c.get(path_of(url)).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header(header::ETAG).expect("an ETag").to_owned();
    assert_eq!(
        first.header(header::CACHE_CONTROL),
        Some(format!("public, max-age={STATUS_MAX_AGE}").as_str())
    );
    assert!(first
        .header(header::CONTENT_TYPE)
        .unwrap()
        .starts_with("application/vc+ld+json"));
    let bit = |list: &Value| -> u64 {
        let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
        status::Bitstring::decode(encoded, 1)
            .unwrap()
            .get(index)
            .unwrap()
    };
    assert_eq!(bit(&first.json()), 0);

    let again = c
        .send(
            Method::GET,
            path_of(url),
            &[("if-none-match", &etag)],
            Vec::new(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header(header::ETAG), Some(etag.as_str()));
    let other = c
        .send(
            Method::GET,
            path_of(url),
            &[("if-none-match", "\"other\"")],
            Vec::new(),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);

    let revoked = c
        .api(
            Method::POST,
            &format!("/api/v1/credentials/{id}/revoke"),
            Some(json!({"reason": "plagiarism"})),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    assert_eq!(revoked.json()["status"], "revoked");
    let after = c
        .send(
            Method::GET,
            path_of(url),
            &[("if-none-match", &etag)],
            Vec::new(),
        )
        .await;
    assert_eq!(after.status, StatusCode::OK, "the list changed: no 304");
    assert_ne!(after.header(header::ETAG), Some(etag.as_str()));
    assert_eq!(bit(&after.json()), 1);
    let report = served_report(c, &credential).await;
    assert_eq!(report.verdict(), Verdict::NotVerified);
    assert_eq!(
        report.check(CheckId::Status).unwrap().outcome,
        Outcome::Fail
    );
    // Revocation is final.
    let reinstate = c
        .api(
            Method::POST,
            &format!("/api/v1/credentials/{id}/unsuspend"),
            None,
        )
        .await;
    assert_eq!(
        reinstate.status,
        StatusCode::CONFLICT,
        "{}",
        reinstate.text()
    );

    assert_eq!(
        c.get("/status/00000000-0000-4000-8000-000000000000")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get("/status/..%2Fetc").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Two issuer services on one database: a revocation made through the first reaches the second's
/// status list within its freshness window, and what the second serves meanwhile tells verifiers
/// to keep it no longer than the advertised cache period after the database was read.
async fn status_lists_show_another_instances_revocation_within_one_cache_period(
    db: &TestDb,
    transport: Transport,
) {
    let a = fixture(db, transport).await;
    create_achievement(&a.client, "data-101", "Data Literacy").await;
    let issued = issue(&a.client, "data-101", EMAIL, "e-1").await.json();
    let id = issued["id"].as_str().unwrap().to_owned();
    let entry = issued["credential"]["credentialStatus"][0].clone();
    let url = entry["statusListCredential"].as_str().unwrap();
    let index: u64 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();

    // Instance B: its own pool and cache, the same database and key, a 10 s cache period (so a
    // 1 s freshness window).
    let max_age = 10;
    let b_issuer = Issuer::from_parts(
        a.issuer.config(),
        Store::connect(&db.url).await.unwrap(),
        a.key.clone(),
    )
    .await
    .expect("a second instance");
    let options = ServerOptions {
        status_max_age: Duration::from_secs(max_age),
        ..ServerOptions::default()
    };
    let b_router = server::app(AppState::new(Arc::new(b_issuer), options));
    let b = Client::new(b_router, transport, String::new()).await;

    let bit = |reply: &Reply| -> u64 {
        let list = reply.json();
        let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
        status::Bitstring::decode(encoded, 1)
            .unwrap()
            .get(index)
            .unwrap()
    };
    let advertised = |reply: &Reply| -> u64 {
        let value = reply.header(header::CACHE_CONTROL).expect("Cache-Control");
        value
            .strip_prefix("public, max-age=")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected Cache-Control {value:?}"))
    };
    let first = b.get(path_of(url)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(bit(&first), 0);
    assert_eq!(
        advertised(&first),
        max_age,
        "read from the database just now"
    );
    let etag = first.header(header::ETAG).unwrap().to_owned();
    let body = first.body.clone();
    // Served from memory within the window: the same bytes, the same tag, max-age lowered.
    let cached = b.get(path_of(url)).await;
    assert_eq!(cached.body, body);
    assert_eq!(cached.header(header::ETAG), Some(etag.as_str()));
    assert!(advertised(&cached) == max_age || advertised(&cached) == max_age - 1);

    let revoked = a
        .client
        .api(
            Method::POST,
            &format!("/api/v1/credentials/{id}/revoke"),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    let revoked_at = std::time::Instant::now();
    // A has it at once.
    let from_a = a.client.get(path_of(url)).await;
    assert_eq!(bit(&from_a), 1);
    // B may answer 304 from memory for at most its window, and then only with a max-age that
    // ends its verifiers' copies a cache period after the read that preceded the revocation.
    loop {
        let since = revoked_at.elapsed();
        let reply = b
            .send(
                Method::GET,
                path_of(url),
                &[("if-none-match", &etag)],
                Vec::new(),
            )
            .await;
        if reply.status == StatusCode::OK {
            assert_eq!(bit(&reply), 1);
            assert_ne!(reply.header(header::ETAG), Some(etag.as_str()));
            assert_eq!(reply.header(header::ETAG), from_a.header(header::ETAG));
            break;
        }
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
        assert!(
            since < Duration::from_millis(1000),
            "B still served the old list {since:?} after the revocation"
        );
        assert_eq!(
            advertised(&reply),
            max_age - 1,
            "stale but not marked older"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn claim_pages(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    create_achievement(c, "xss", "<script>alert(1)</script> & \"Co\"").await;
    let issued = issue(c, "xss", EMAIL, "e-1").await.json();
    let claim_url = issued["claim"]["url"].as_str().unwrap().to_owned();
    assert!(claim_url.starts_with(&format!("{BASE}/claim/clm_")));
    let path = path_of(&claim_url).to_owned();

    let page = c.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header(header::CONTENT_TYPE)
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
    let html = page.text();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"),
        "{html}"
    );
    assert!(
        !html.contains("<script"),
        "markup from a credential field was not escaped"
    );
    assert!(html.contains("Open Learning Lab"));
    assert!(html.contains("<svg"), "an inline QR code");
    assert!(html.contains("2026-03-01"), "the award date");
    assert!(!html.contains(EMAIL));
    // Low bandwidth (issue 17): the whole page, its QR codes inline, stays under 60 KB.
    assert!(
        html.len() < 60 * 1024,
        "the claim page is {} bytes",
        html.len()
    );
    // What an employer reads (the core's card details): level, credits, result, skills.
    for shown in [
        "<dt>EQF level</dt><dd>5</dd>",
        "<dt>Credits</dt><dd>5 available</dd>",
        "<dt>Result</dt><dd>92/100</dd>",
        "<h2>Skills and frameworks</h2>",
        "<li><strong>Data literacy</strong> (ESCO skill)",
        "<a href=\"http://data.europa.eu/esco/skill/abc\" rel=\"noopener noreferrer nofollow\" \
         referrerpolicy=\"no-referrer\">",
    ] {
        assert!(html.contains(shown), "{shown:?} not in {html}");
    }
    assert!(html.contains("lang=\"en\""));
    assert_eq!(page.header(header::VARY), Some("accept"));

    // The same link answers the credential to a client that prefers JSON (a verifier or a
    // wallet following the link or its QR code), the page to a browser.
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let as_browser = c
        .send(Method::GET, &path, &[("accept", browser)], Vec::new())
        .await;
    assert!(as_browser
        .header(header::CONTENT_TYPE)
        .unwrap()
        .starts_with("text/html"));
    for accept in [
        "application/json",
        "application/vc+ld+json, text/html;q=0.5",
    ] {
        let negotiated = c
            .send(Method::GET, &path, &[("accept", accept)], Vec::new())
            .await;
        assert_eq!(negotiated.status, StatusCode::OK, "{accept}");
        assert_eq!(
            negotiated.header(header::CONTENT_TYPE),
            Some("application/vc+ld+json"),
            "{accept}"
        );
        assert_eq!(negotiated.header(header::VARY), Some("accept"));
        assert_eq!(negotiated.header(header::CACHE_CONTROL), Some("no-store"));
        assert_eq!(negotiated.json(), issued["credential"], "{accept}");
    }

    let json_download = c.get(&format!("{path}/credential.json")).await;
    assert_eq!(json_download.status, StatusCode::OK);
    assert_eq!(json_download.json(), issued["credential"]);
    for (file, kind) in [("badge.png", "image/png"), ("badge.svg", "image/svg+xml")] {
        let image = c.get(&format!("{path}/{file}")).await;
        assert_eq!(image.status, StatusCode::OK, "{file}");
        assert_eq!(image.header(header::CONTENT_TYPE), Some(kind));
        let baked = bake::extract(&image.body)
            .unwrap()
            .expect("a baked credential");
        let inside: Value = serde_json::from_str(baked.as_str()).unwrap();
        assert_eq!(inside, issued["credential"], "{file}");
    }

    // The printable certificate (issue 17): A4 by default, Letter on request, a download with
    // the claim pages' private headers; the credential's text escaped; its QR code scans back
    // to the credential (the page printed at 300 dpi, photographed over the code).
    assert!(html.contains(&format!("{path}/certificate.svg?paper=a4")));
    assert!(html.contains(&format!("{path}/certificate.svg?paper=letter")));
    for (query, size) in [
        ("", "width=\"210mm\" height=\"297mm\""),
        ("?paper=a4", "width=\"210mm\" height=\"297mm\""),
        ("?paper=letter", "width=\"215.9mm\" height=\"279.4mm\""),
    ] {
        let page = c.get(&format!("{path}/certificate.svg{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(page.header(header::CONTENT_TYPE), Some("image/svg+xml"));
        assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
        assert_eq!(page.header(header::REFERRER_POLICY), Some("no-referrer"));
        assert_eq!(
            page.header("x-robots-tag".parse().unwrap()),
            Some("noindex, nofollow")
        );
        assert_eq!(
            page.header(header::CONTENT_DISPOSITION),
            Some("attachment; filename=\"certificate.svg\"")
        );
        let svg = page.text();
        assert!(svg.contains(size), "{query}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains(">Open Learning Lab</text>"));
    }
    let svg = c.get(&format!("{path}/certificate.svg")).await.text();
    let printed = photograph_qr(&svg, 300.0, 8.0);
    let scanned = passerelle_core::qr::scan(&printed).unwrap();
    match passerelle_core::qr::decode(&scanned[0]).unwrap() {
        passerelle_core::qr::QrPayload::Document(text) => {
            assert_eq!(
                serde_json::from_str::<Value>(&text).unwrap(),
                issued["credential"]
            )
        }
        other => panic!("the certificate's QR code holds {other:?}"),
    }
    let a5 = c.get(&format!("{path}/certificate.svg?paper=a5")).await;
    assert_eq!(a5.status, StatusCode::BAD_REQUEST);
    assert!(
        a5.text()
            .contains("unknown paper size &quot;a5&quot;: use a4 or letter"),
        "{}",
        a5.text()
    );
    assert_eq!(a5.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(
        c.get(&format!("/claim/clm_{}/certificate.svg", "0".repeat(64)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let unknown = c.get(&format!("/claim/clm_{}", "0".repeat(64))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text().contains("not found"));
    assert_eq!(c.get("/claim/garbage").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.get(&format!("/claim/clm_{}/credential.json", "0".repeat(64)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let id = CredentialId::parse(issued["id"].as_str().unwrap()).unwrap();
    let expired = f
        .issuer
        .store()
        .create_claim_token(&id, Some(Utc::now() - chrono::Duration::hours(1)))
        .await
        .unwrap();
    let gone = c.get(&format!("/claim/{}", expired.expose())).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.text().contains("expired"));
    assert_eq!(
        c.get(&format!("/claim/{}/badge.png", expired.expose()))
            .await
            .status,
        StatusCode::GONE
    );
    assert_eq!(
        c.get(&format!("/claim/{}/certificate.svg", expired.expose()))
            .await
            .status,
        StatusCode::GONE
    );
}

/// What a phone sees of a certificate printed at `dpi` when it frames the QR code: the page
/// rasterised (this resvg draws no text; shapes and images it does) over the code (the
/// `<g id="qr" transform="translate(x y) scale(module)">` the page draws, in millimetres) and
/// `margin` mm around it, as a PNG.
fn photograph_qr(svg: &str, dpi: f32, margin: f32) -> Vec<u8> {
    use resvg::{tiny_skia, usvg};
    let group = svg
        .split_once("<g id=\"qr\" transform=\"translate(")
        .unwrap()
        .1;
    let (translate, rest) = group.split_once(") scale(").unwrap();
    let (module, rest) = rest.split_once(')').unwrap();
    let side = rest.split_once("<rect width=\"").unwrap().1;
    let side: f32 = side.split_once('"').unwrap().0.parse().unwrap();
    let (x, y) = translate.split_once(' ').unwrap();
    let (x, y, module): (f32, f32, f32) = (
        x.parse().unwrap(),
        y.parse().unwrap(),
        module.parse().unwrap(),
    );
    assert!(module >= 0.5, "a module of {module} mm");
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap();
    // One user unit is a millimetre; usvg sizes the page in CSS pixels, 96 to the inch.
    let (px, scale) = (dpi / 25.4, dpi / 96.0);
    let frame = ((side * module + 2.0 * margin) * px).ceil() as u32;
    let mut pixmap = tiny_skia::Pixmap::new(frame, frame).unwrap();
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_row(
            scale,
            0.0,
            0.0,
            scale,
            -(x - margin) * px,
            -(y - margin) * px,
        ),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().unwrap()
}

async fn the_api_needs_a_valid_token(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    let none = c.get("/api/v1/achievements").await;
    assert_eq!(none.error_field(StatusCode::UNAUTHORIZED), "");
    assert!(none.header(header::WWW_AUTHENTICATE).is_some());
    let wrong = c
        .send(
            Method::GET,
            "/api/v1/achievements",
            &[("authorization", &format!("Bearer pat_{}", "0".repeat(64)))],
            Vec::new(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let basic = c
        .send(
            Method::GET,
            "/api/v1/achievements",
            &[("authorization", &format!("Basic {}", c.token))],
            Vec::new(),
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    let ok = c.api(Method::GET, "/api/v1/achievements", None).await;
    assert_eq!(ok.status, StatusCode::OK);
    // A mutating request without a token changes nothing.
    let post = c
        .send(
            Method::POST,
            "/api/v1/achievements",
            &[("content-type", "application/json")],
            serde_json::to_vec(&achievement_body("x", "X")).unwrap(),
        )
        .await;
    assert_eq!(post.status, StatusCode::UNAUTHORIZED);
    assert!(f.issuer.store().achievements().await.unwrap().is_empty());
    // A revoked token stops working.
    f.issuer
        .store()
        .revoke_api_token(&f.token_id)
        .await
        .unwrap();
    assert_eq!(
        c.api(Method::GET, "/api/v1/achievements", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The API description is public.
    let doc = c.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.json()["openapi"], "3.1.0");
}

async fn every_client_error_names_the_field(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    create_achievement(c, "data-101", "Data Literacy").await;
    let post = |path: &'static str, body: Value| c.api(Method::POST, path, Some(body));

    let mut bad = achievement_body("Bad Slug", "X");
    assert_eq!(
        post("/api/v1/achievements", bad.clone())
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "slug"
    );
    bad = achievement_body("ok", "X");
    bad["level"] = json!(9);
    assert_eq!(
        post("/api/v1/achievements", bad.clone())
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "level"
    );
    bad = achievement_body("ok", "X");
    bad["alignments"][0]["url"] = json!("not a url");
    assert_eq!(
        post("/api/v1/achievements", bad.clone())
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "alignments[0].url"
    );
    bad = achievement_body("ok", "X");
    bad["image"] = json!("data:image/gif;base64,R0lGODlhAQABAAAAACw=");
    assert_eq!(
        post("/api/v1/achievements", bad.clone())
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "image"
    );
    bad = achievement_body("ok", "X");
    bad["colour"] = json!("red");
    assert_eq!(
        post("/api/v1/achievements", bad)
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "colour"
    );
    assert_eq!(
        post(
            "/api/v1/achievements",
            achievement_body("data-101", "Again")
        )
        .await
        .status,
        StatusCode::CONFLICT
    );

    let good = json!({"achievement": "data-101", "email": EMAIL, "completion_date": "2026-03-01"});
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    for (body, field) in [
        (without("completion_date"), "completion_date"),
        (
            with("completion_date", json!("01/03/2026")),
            "completion_date",
        ),
        (with("completion_date", json!(20260301)), "completion_date"),
        (without("email"), "email"),
        (with("email", json!("not-an-email")), "email"),
        (with("did", json!("did:key:z6Mk")), "did"),
        (
            with("evidence_url", json!("javascript:alert(1)")),
            "evidence_url",
        ),
        (with("claim_expires", json!("tomorrow")), "claim_expires"),
        (with("surprise", json!(1)), "surprise"),
    ] {
        let reply = post("/api/v1/credentials", body.clone()).await;
        assert_eq!(reply.error_field(StatusCode::BAD_REQUEST), field, "{body}");
    }
    let unknown = post("/api/v1/credentials", with("achievement", json!("nope"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text());

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("status=lost", "status"),
        ("issued_after=yesterday", "issued_after"),
        ("cursor=xyz", "cursor"),
        ("achievement=nope", "achievement"),
        ("colour=red", "colour"),
    ] {
        let reply = c
            .api(Method::GET, &format!("/api/v1/credentials?{query}"), None)
            .await;
        assert_eq!(reply.error_field(StatusCode::BAD_REQUEST), field, "{query}");
    }
    assert_eq!(
        c.api(Method::GET, "/api/v1/audit?after=-1", None)
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "after"
    );
    assert_eq!(
        c.api(Method::GET, "/api/v1/credentials/not-a-urn", None)
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "id"
    );
    assert_eq!(
        c.api(
            Method::GET,
            "/api/v1/credentials/urn:uuid:00000000-0000-4000-8000-000000000000",
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Wrong media type, malformed JSON, oversized body.
    let auth = format!("Bearer {}", c.token);
    let text = c
        .send(
            Method::POST,
            "/api/v1/credentials",
            &[("authorization", &auth), ("content-type", "text/plain")],
            good.to_string().into_bytes(),
        )
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let broken = c
        .send(
            Method::POST,
            "/api/v1/credentials",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            b"{\"achievement\":".to_vec(),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.json()["error"]["code"], "invalid_body");
    let huge = with("evidence_narrative", json!("x".repeat(70 * 1024)));
    let too_large = post("/api/v1/credentials", huge).await;
    assert_eq!(
        too_large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        too_large.text()
    );
    assert_eq!(too_large.json()["error"]["code"], "too_large");
    let long_reason = c
        .api(
            Method::POST,
            "/api/v1/credentials/urn:uuid:00000000-0000-4000-8000-000000000000/suspend",
            Some(json!({"reason": 5})),
        )
        .await;
    assert_eq!(long_reason.error_field(StatusCode::BAD_REQUEST), "reason");
}

async fn issuing_is_idempotent_and_listing_pages_and_filters(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    create_achievement(c, "data-101", "Data Literacy").await;
    create_achievement(c, "web-201", "Web Development").await;
    let first = issue(c, "data-101", EMAIL, "e-1").await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first
        .header(header::LOCATION)
        .unwrap()
        .starts_with("/api/v1/credentials/urn:uuid:"));
    let again = issue(c, "data-101", EMAIL, "e-1").await;
    assert_eq!(again.status, StatusCode::OK, "an idempotent repeat");
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["new"], false);
    assert_eq!(again.json()["credential"], first.json()["credential"]);

    let mut ids = vec![first.json()["id"].as_str().unwrap().to_owned()];
    for i in 2..=5 {
        let slug = if i % 2 == 0 { "web-201" } else { "data-101" };
        let reply = issue(
            c,
            slug,
            &format!("learner{i}@example.org"),
            &format!("e-{i}"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED);
        ids.push(reply.json()["id"].as_str().unwrap().to_owned());
    }
    let shown = c
        .api(
            Method::GET,
            &format!("/api/v1/credentials/{}", ids[0]),
            None,
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json()["credential"], first.json()["credential"]);
    assert_eq!(shown.json()["achievement"], "data-101");

    // Pages of two, following the cursor, give every credential once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/credentials?limit=2".to_owned();
    loop {
        let page = c.api(Method::GET, &path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page_text = page.text();
        assert!(!page_text.contains("@example.org"), "an email in a listing");
        let body = page.json();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/credentials?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, expected, "every credential exactly once");

    let list = |query: &str| {
        let path = format!("/api/v1/credentials?{query}");
        async move {
            let reply = c.api(Method::GET, &path, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
            reply.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("achievement=web-201").await.len(), 2);
    assert_eq!(list("achievement=data-101").await.len(), 3);
    assert_eq!(list("q=e-3").await, [ids[2].clone()]);
    assert_eq!(list(&format!("q={}", ids[4])).await, [ids[4].clone()]);
    assert_eq!(list("issued_before=2000-01-01").await.len(), 0);
    assert_eq!(list("issued_after=2000-01-01").await.len(), 5);
    let suspend = c
        .api(
            Method::POST,
            &format!("/api/v1/credentials/{}/suspend", ids[1]),
            None,
        )
        .await;
    assert_eq!(suspend.status, StatusCode::OK, "{}", suspend.text());
    c.api(
        Method::POST,
        &format!("/api/v1/credentials/{}/revoke", ids[3]),
        None,
    )
    .await;
    assert_eq!(list("status=suspended").await, [ids[1].clone()]);
    assert_eq!(list("status=revoked").await, [ids[3].clone()]);
    assert_eq!(list("status=active").await.len(), 3);
    let unsuspend = c
        .api(
            Method::POST,
            &format!("/api/v1/credentials/{}/unsuspend", ids[1]),
            None,
        )
        .await;
    assert_eq!(unsuspend.json()["status"], "active");
}

async fn achievements_crud(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    let created = create_achievement(c, "data-101", "Data Literacy").await;
    assert_eq!(created["achievement"]["name"], "Data Literacy");
    let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let mut body = achievement_body("data-101", "Data Literacy II");
    body["image"] = json!(png);
    let updated = c
        .api(
            Method::PUT,
            "/api/v1/achievements/data-101",
            Some(body.clone()),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(updated.json()["achievement"]["name"], "Data Literacy II");
    assert_eq!(updated.json()["achievement"]["image"]["id"], png);
    assert_eq!(updated.json()["id"], created["id"]);
    body["slug"] = json!("other");
    assert_eq!(
        c.api(Method::PUT, "/api/v1/achievements/data-101", Some(body))
            .await
            .error_field(StatusCode::BAD_REQUEST),
        "slug"
    );
    let listed = c
        .api(Method::GET, "/api/v1/achievements", None)
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    create_achievement(c, "unused", "Never awarded").await;
    issue(c, "data-101", EMAIL, "e-1").await;
    let refused = c
        .api(Method::DELETE, "/api/v1/achievements/data-101", None)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    let deleted = c
        .api(Method::DELETE, "/api/v1/achievements/unused", None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        c.api(Method::GET, "/api/v1/achievements/unused", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.api(Method::DELETE, "/api/v1/achievements/unused", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn wait_for_job(c: &Client, location: &str) -> Value {
    for _ in 0..600 {
        let job = c.api(Method::GET, location, None).await;
        assert_eq!(job.status, StatusCode::OK, "{}", job.text());
        let body = job.json();
        if body["status"] != "running" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job did not finish in 30 s");
}

async fn bulk_jobs_run_to_completion(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    create_achievement(c, "data-101", "Data Literacy").await;
    let auth = format!("Bearer {}", c.token);
    let mut csv = String::from("email,name,completion_date,result,external_id\n");
    for i in 1..=6 {
        csv.push_str(&format!(
            "learner{i}@example.org,Learner {i},2026-03-0{i},A,row-{i}\n"
        ));
    }
    csv.push_str("not-an-email,Broken,2026-03-01,A,row-7\n");
    csv.push_str("learner8@example.org,Late,31/12/2026,A,row-8\n");
    let post = |body: Vec<u8>, kind: &'static str| {
        let auth = auth.clone();
        async move {
            c.send(
                Method::POST,
                "/api/v1/jobs?achievement=data-101",
                &[("authorization", &auth), ("content-type", kind)],
                body,
            )
            .await
        }
    };
    let accepted = post(csv.clone().into_bytes(), "text/csv").await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text());
    let location = accepted.header(header::LOCATION).unwrap().to_owned();
    let job = wait_for_job(c, &location).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["total_rows"], 8);
    assert_eq!(job["issued"], 6);
    assert_eq!(job["failed"], 2);
    let rows = job["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let failures: HashMap<u64, &str> = rows
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .map(|r| (r["row"].as_u64().unwrap(), r["column"].as_str().unwrap()))
        .collect();
    assert_eq!(failures[&7], "email");
    assert_eq!(failures[&8], "completion_date");
    assert!(
        !job.to_string().contains("@example.org"),
        "an email in job results"
    );

    // Posting the same rows again issues nothing twice.
    let again = post(csv.into_bytes(), "text/csv").await;
    let job = wait_for_job(c, again.header(header::LOCATION).unwrap()).await;
    assert_eq!(job["existing"], 6, "{job}");
    assert_eq!(job["issued"], 0);
    let page = c
        .api(
            Method::GET,
            &format!("{location}?after_row=6&limit=1"),
            None,
        )
        .await
        .json();
    assert_eq!(page["rows"][0]["row"], 7);
    assert_eq!(page["next_after_row"], 7);

    // JSON lines too.
    let lines = "{\"email\":\"nd@example.org\",\"completion_date\":\"2026-03-01\",\"external_id\":\"nd-1\"}\n";
    let accepted = post(lines.as_bytes().to_vec(), "application/x-ndjson").await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    let job = wait_for_job(c, accepted.header(header::LOCATION).unwrap()).await;
    assert_eq!(job["issued"], 1, "{job}");

    // Refusals: bad header, unknown achievement, media type.
    assert_eq!(
        post(
            b"colour,completion_date\nx,2026-01-01\n".to_vec(),
            "text/csv"
        )
        .await
        .error_field(StatusCode::BAD_REQUEST),
        "body"
    );
    assert_eq!(
        post(b"x".to_vec(), "application/pdf").await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let none = c
        .send(
            Method::POST,
            "/api/v1/jobs?achievement=nope",
            &[("authorization", &auth), ("content-type", "text/csv")],
            b"email,completion_date\n".to_vec(),
        )
        .await;
    assert_eq!(none.error_field(StatusCode::BAD_REQUEST), "achievement");
    assert_eq!(
        c.api(Method::GET, "/api/v1/jobs/urn:uuid:nothing", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn the_stats_export_is_suppressed_and_names_no_learner(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    let mut body = achievement_body("data-101", "Data Literacy");
    body["isced_f"] = json!("0613");
    let created = c
        .api(Method::POST, "/api/v1/achievements", Some(body.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let definition = &created.json()["definition"];
    let definition = if definition.is_null() {
        created.json()
    } else {
        definition.clone()
    };
    assert!(
        definition
            .to_string()
            .contains("\"fieldOfStudy\":\"ISCED-F 2013 0613\""),
        "{definition}"
    );
    body["isced_f"] = json!("6x");
    body["slug"] = json!("bad-field");
    let refused = c
        .api(Method::POST, "/api/v1/achievements", Some(body))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json()["error"]["field"],
        "isced_f",
        "{}",
        refused.text()
    );
    create_achievement(c, "web-201", "Web Basics").await;
    let mut ids = Vec::new();
    for (i, slug) in [
        "data-101", "data-101", "data-101", "data-101", "web-201", "web-201", "web-201",
    ]
    .iter()
    .enumerate()
    {
        let reply = issue(
            c,
            slug,
            &format!("person{i}@example.org"),
            &format!("e-{i}"),
        )
        .await;
        ids.push(reply.json()["id"].as_str().unwrap().to_owned());
    }
    c.api(
        Method::POST,
        &format!("/api/v1/credentials/{}/revoke", ids[0]),
        None,
    )
    .await;
    let month = Utc::now().format("%Y-%m").to_string();
    let path = format!("/api/v1/stats/export?threshold=3&from={month}&to={month}");
    let reply = c.api(Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let text = reply.text();
    assert!(
        !text.contains("@example.org") && !text.contains("Ada"),
        "{text}"
    );
    for id in &ids {
        assert!(!text.contains(id.as_str()), "a credential id in the export");
    }
    let json = reply.json();
    assert_eq!(json["schema"], "passerelle-stats-export/1");
    assert_eq!(json["threshold"], 3);
    assert_eq!(json["from"], month.as_str());
    assert_eq!(
        json["totals"],
        json!({"issued": 7, "revoked": "<3", "suspended": "<3"})
    );
    assert_eq!(
        json["tables"]["by_achievement"],
        json!([
            {"key": "data-101", "issued": 4, "revoked": "<3", "suspended": "<3"},
            {"key": "web-201", "issued": 3, "revoked": "<3", "suspended": "<3"},
        ])
    );
    assert_eq!(json["tables"]["by_eqf_level"][0]["key"], "5");
    assert_eq!(json["tables"]["by_eqf_level"][0]["issued"], 7);
    assert_eq!(json["tables"]["by_isced_f"][0]["key"], "0613");
    assert_eq!(json["tables"]["by_isced_f"][0]["issued"], 4);
    assert_eq!(
        json["tables"]["by_month"],
        json!([{"key": month, "issued": 7, "revoked": "<3", "suspended": "<3"}])
    );

    let csv = c
        .api(Method::GET, &format!("{path}&format=csv"), None)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.text().contains("\nby_achievement,data-101,4,<3,<3\n"),
        "{}",
        csv.text()
    );
    assert!(csv.text().contains("# threshold=3\n"));

    for (query, field) in [
        ("threshold=2", "threshold"),
        ("format=xml", "format"),
        ("from=2026-13", "from"),
        ("from=2026-05&to=2026-01", "to"),
        ("learner=x", "learner"),
    ] {
        let reply = c
            .api(Method::GET, &format!("/api/v1/stats/export?{query}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            reply.json()["error"]["field"],
            field,
            "{query}: {}",
            reply.text()
        );
    }
    let anonymous = c.get("/api/v1/stats/export").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn stats_and_audit_carry_no_personal_data(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    create_achievement(c, "data-101", "Data Literacy").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let reply = issue(
            c,
            "data-101",
            &format!("person{i}@example.org"),
            &format!("e-{i}"),
        )
        .await;
        ids.push(reply.json()["id"].as_str().unwrap().to_owned());
    }
    c.api(
        Method::POST,
        &format!("/api/v1/credentials/{}/revoke", ids[0]),
        None,
    )
    .await;
    c.api(
        Method::POST,
        &format!("/api/v1/credentials/{}/suspend", ids[1]),
        None,
    )
    .await;
    let stats = c.api(Method::GET, "/api/v1/stats", None).await;
    assert_eq!(stats.status, StatusCode::OK);
    let text = stats.text();
    assert!(
        !text.contains("@example.org") && !text.contains("Ada"),
        "{text}"
    );
    for id in &ids {
        assert!(
            !text.contains(id.as_str()),
            "a credential id in the statistics"
        );
    }
    let body = stats.json();
    let month = Utc::now().format("%Y-%m").to_string();
    assert_eq!(
        body["by_achievement_month"],
        json!([{"achievement": "data-101", "month": month, "issued": 3, "revoked": 1, "suspended": 1}])
    );
    assert_eq!(
        body["totals"],
        json!({"issued": 3, "revoked": 1, "suspended": 1})
    );

    let audit = c.api(Method::GET, "/api/v1/audit?limit=1000", None).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(!audit.text().contains("@example.org"));
    let entries = audit.json()["entries"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "achievement.create",
            "credential.issue",
            "credential.issue",
            "credential.issue",
            "credential.revoke",
            "credential.suspend"
        ]
    );
    assert!(entries.iter().all(|e| e["actor"] == f.token_id.as_str()));
    let after = entries[3]["id"].as_i64().unwrap();
    let rest = c
        .api(
            Method::GET,
            &format!("/api/v1/audit?after={after}&limit=1"),
            None,
        )
        .await
        .json();
    assert_eq!(rest["entries"][0]["action"], "credential.revoke");
    assert!(rest["next_after"].is_i64());
}

async fn every_documented_operation_is_routed(db: &TestDb, transport: Transport) {
    let f = fixture(db, transport).await;
    let c = &f.client;
    let documented = server::openapi::operations().unwrap();
    assert!(documented.len() >= 16);
    for (method, path) in documented {
        let concrete = path
            .replace("{slug}", "no-such-slug")
            .replace("{id}", "urn:uuid:00000000-0000-4000-8000-000000000000");
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        let reply = c.api(method.clone(), &concrete, None).await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if reply.status == StatusCode::NOT_FOUND {
            assert_ne!(
                reply.json()["error"]["what"],
                "API endpoint",
                "{method} {path} fell through to the fallback"
            );
            assert!(
                !reply.text().contains("see /api/v1/openapi.json"),
                "{method} {path} is documented but not routed"
            );
        }
    }
}

/// Without the OB 3.0 schema installed, issuing (one or in bulk) answers 503 with what the
/// operator must do, and nothing is issued; the public side keeps serving.
async fn issuing_waits_for_the_ob_schema(db: &TestDb, transport: Transport) {
    let f = fixture_with(db, transport, false).await;
    let c = &f.client;
    create_achievement(c, "data-101", "Data literacy 101").await;
    let reply = issue(c, "data-101", EMAIL, "e-1").await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    let body = reply.json();
    assert_eq!(body["error"]["code"], "unavailable");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("schema install"), "{message}");
    assert!(!message.contains("schemas/"), "no server path: {message}");
    let bulk = c
        .send(
            Method::POST,
            "/api/v1/jobs?achievement=data-101",
            &[
                ("authorization", &format!("Bearer {}", c.token)),
                ("content-type", "text/csv"),
            ],
            b"email,completion_date\nada@example.org,2026-03-01\n".to_vec(),
        )
        .await;
    assert_eq!(
        bulk.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        bulk.text()
    );
    let listed = c.api(Method::GET, "/api/v1/credentials", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["items"], json!([]), "{}", listed.text());
    assert_eq!(c.get("/.well-known/did.json").await.status, StatusCode::OK);
}
