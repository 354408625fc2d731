//! The verifier service over real HTTP on loopback, against a fixture issuer served over real
//! TLS (a self-signed certificate the verifier is told to trust): a did:web DID document and
//! status list credentials signed with the core. Covers valid, tampered, expired, not yet valid,
//! revoked, suspended, status unreachable, unknown and recognised issuers, key rotation, cached
//! status, refused private addresses, QR and baked inputs, camera frames decoded by
//! `/api/v1/scan`, challenges and replays, escaping, the printable report, API errors and the
//! OpenAPI document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use passerelle_core::did::{self, Did, DocumentKey, Relationship};
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, Iri, VerifiablePresentation};
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::status::{self, Bitstring, BitstringEntry, StatusIndex, StatusPurpose};
use passerelle_core::trust::TrustRegistries;
use passerelle_core::{bake, qr};
use passerelle_verifier::challenge::{Challenges, ReplaySet};
use passerelle_verifier::fetch::{FetchPolicy, Fetcher};
use passerelle_verifier::server::{self, AppState, ROUTES};
use passerelle_verifier::service::Service;

/// The fixture's files: path → (status, body).
type Files = Arc<Mutex<HashMap<String, (StatusCode, String)>>>;

const REVOKED: u64 = 17;
const SUSPENDED: u64 = 23;

/// The fixture issuer: paths → (status, body), changeable while it runs.
#[derive(Clone)]
struct Issuer {
    base: String,
    did: String,
    cert_pem: String,
    keys: Arc<Mutex<HashMap<String, KeyPair>>>,
    files: Files,
}

async fn serve_file(State(files): State<Files>, uri: Uri) -> impl IntoResponse {
    let found = files.lock().unwrap().get(uri.path()).cloned();
    match found {
        Some((status, body)) => (status, [("content-type", "application/json")], body),
        None => (
            StatusCode::NOT_FOUND,
            [("content-type", "text/plain")],
            "not found".to_owned(),
        ),
    }
}

fn at_offset(hours: i64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(hours)
}

fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Issuer {
    async fn start() -> Issuer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert_pem = certified.cert.pem();
        let key_pem = certified.key_pair.serialize_pem();
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(
            cert_pem.clone().into_bytes(),
            key_pem.into_bytes(),
        )
        .await
        .unwrap();
        let files = Arc::new(Mutex::new(HashMap::new()));
        let app = Router::new()
            .fallback(serve_file)
            .with_state(Arc::clone(&files));
        tokio::spawn(async move {
            axum_server::from_tcp_rustls(listener, config)
                .serve(app.into_make_service())
                .await
                .unwrap();
        });
        let issuer = Issuer {
            base: format!("https://localhost:{port}"),
            did: format!("did:web:localhost%3A{port}"),
            cert_pem,
            keys: Arc::new(Mutex::new(HashMap::new())),
            files,
        };
        issuer.add_key("key-1", 1);
        issuer.publish_did_document(&[("key-1", true)]);
        issuer.publish_status_list("revocation", StatusPurpose::Revocation, &[]);
        issuer.publish_status_list("suspension", StatusPurpose::Suspension, &[]);
        issuer
    }

    fn add_key(&self, fragment: &str, seed: u8) {
        self.keys
            .lock()
            .unwrap()
            .insert(fragment.to_owned(), KeyPair::from_seed(&[seed; 32]));
    }

    fn key(&self, fragment: &str) -> KeyPair {
        self.keys.lock().unwrap().get(fragment).unwrap().clone()
    }

    /// Publishes the DID document: each key with whether it is current (current keys may also
    /// authenticate; retired keys keep only assertionMethod, so old credentials still verify).
    fn publish_did_document(&self, keys: &[(&str, bool)]) {
        let did = Did::parse(&self.did).unwrap();
        let listed: Vec<DocumentKey> = keys
            .iter()
            .map(|(fragment, current)| DocumentKey {
                fragment: (*fragment).to_owned(),
                public_key: self.key(fragment).public(),
                relationships: if *current {
                    vec![Relationship::AssertionMethod, Relationship::Authentication]
                } else {
                    vec![Relationship::AssertionMethod]
                },
            })
            .collect();
        let document = did::build_did_document(&did, &listed).unwrap();
        self.put("/.well-known/did.json", StatusCode::OK, &document);
    }

    fn status_url(&self, name: &str) -> String {
        format!("{}/status/{name}", self.base)
    }

    fn publish_status_list(&self, name: &str, purpose: StatusPurpose, set: &[u64]) {
        self.publish_status_list_signed_by(name, purpose, set, "key-1");
    }

    fn publish_status_list_signed_by(
        &self,
        name: &str,
        purpose: StatusPurpose,
        set: &[u64],
        fragment: &str,
    ) {
        let mut bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
        for index in set {
            bits.set(*index, 1).unwrap();
        }
        let list = status::status_list_credential(
            &self.status_url(name),
            &self.did,
            &purpose,
            &bits,
            at_offset(-48),
        );
        let signed = self.sign(&list, fragment);
        self.put(&format!("/status/{name}"), StatusCode::OK, &signed);
    }

    fn put(&self, path: &str, status: StatusCode, body: &Value) {
        self.files
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, body.to_string()));
    }

    fn sign(&self, document: &Value, fragment: &str) -> Value {
        let options = ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            format!("{}#{fragment}", self.did),
            stamp(at_offset(-24)),
        );
        proof::sign(document, &self.key(fragment), &options).unwrap()
    }

    /// The sample badge issued by this issuer with status entries at `index`, signed by
    /// `fragment`, after `edit`.
    fn badge(&self, index: u64, fragment: &str, edit: impl FnOnce(&mut Value)) -> Value {
        let mut badge = model::sample::data_literacy_badge();
        badge["issuer"]["id"] = self.did.clone().into();
        badge["validFrom"] = stamp(at_offset(-24)).into();
        badge.as_object_mut().unwrap().remove("validUntil");
        badge["credentialStatus"] = json!([
            BitstringEntry::new(
                StatusPurpose::Revocation,
                StatusIndex::new(index),
                &self.status_url("revocation")
            )
            .to_json(),
            BitstringEntry::new(
                StatusPurpose::Suspension,
                StatusIndex::new(index),
                &self.status_url("suspension")
            )
            .to_json(),
        ]);
        edit(&mut badge);
        self.sign(&badge, fragment)
    }
}

/// A running verifier; `trusted` lists issuer DIDs in an operator registry.
struct Verifier {
    base: String,
    client: reqwest::Client,
}

async fn start_verifier(issuer: &Issuer, allow_private: bool, trusted: &[&str]) -> Verifier {
    let challenges = Challenges::ephemeral(server::CHALLENGE_TTL).unwrap();
    start_verifier_with(issuer, allow_private, trusted, challenges, false).await
}

/// A verifier with these challenges, allowing unchallenged presentations or not.
async fn start_verifier_with(
    issuer: &Issuer,
    allow_private: bool,
    trusted: &[&str],
    challenges: Challenges,
    allow_unchallenged: bool,
) -> Verifier {
    let policy = FetchPolicy {
        allow_private_network: allow_private,
        extra_root_certificates: vec![issuer.cert_pem.clone().into_bytes()],
        timeout: Duration::from_secs(3),
        ..FetchPolicy::default()
    };
    let mut trust = TrustRegistries::new();
    if !trusted.is_empty() {
        let entries: Vec<Value> = trusted
            .iter()
            .map(|id| json!({"id": id, "name": "Open Learning Lab", "jurisdiction": "FR"}))
            .collect();
        trust
            .load(
                &json!({"name": "MOOC Alliance", "entries": entries}),
                "x.json",
            )
            .unwrap();
    }
    let state = Arc::new(
        AppState::new(
            Service::new(Fetcher::new(policy).unwrap(), trust),
            passerelle_verifier::i18n::builtin().unwrap(),
            "verifier.example".into(),
            challenges,
        )
        .allow_unchallenged(allow_unchallenged),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, server::router(state)).await.unwrap();
    });
    Verifier {
        base,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

impl Verifier {
    async fn post_raw(&self, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn verify(&self, document: &Value) -> Value {
        let (status, report) = self
            .post_raw("/api/v1/verify", document.to_string().into_bytes())
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        report
    }

    async fn page(
        &self,
        fields: Vec<(&'static str, String)>,
        file: Option<Vec<u8>>,
    ) -> (StatusCode, String) {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name, value);
        }
        if let Some(bytes) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("upload"),
            );
        }
        let response = self
            .client
            .post(format!("{}/verify", self.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, response.text().await.unwrap())
    }
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} check in {report:#}"))
}

fn outcome(report: &Value, id: &str) -> String {
    check(report, id)["outcome"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn valid_badge_verifies_and_status_comes_fresh_then_from_cache() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let report = verifier.verify(&badge).await;
    assert_eq!(report["verdict"], "verified", "{report:#}");
    for id in [
        "proof",
        "verification_method",
        "status",
        "validity_period",
        "open_badges",
    ] {
        assert_eq!(outcome(&report, id), "pass", "{id}: {report:#}");
    }
    let status = check(&report, "status")["details"].to_string();
    assert!(status.contains("fetched now"), "{status}");
    // Unknown issuer: a warning, never a failure.
    assert_eq!(outcome(&report, "issuer_recognised"), "warning");

    let again = verifier.verify(&badge).await;
    let status = check(&again, "status")["details"].to_string();
    assert!(status.contains("from cache"), "{status}");
    assert_eq!(again["verdict"], "verified");
}

/// A credential citing a JSON Schema the verifier may fetch: checked against it (pass, then
/// pass again, through the service's compiled copy), and a credential that breaks it fails
/// `json_schema`.
#[tokio::test]
async fn cited_schemas_are_fetched_and_enforced() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/openbadges/schema/ob_v3p0_achievementcredential_schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    issuer.put("/schemas/ob.json", StatusCode::OK, &schema);
    let schema_url = format!("{}/schemas/ob.json", issuer.base);
    let cite = |badge: &mut Value| {
        badge["credentialSchema"] =
            json!([{"id": schema_url, "type": "1EdTechJsonSchemaValidator2019"}]);
        // OB 3.0 allows one status entry.
        badge["credentialStatus"] = badge["credentialStatus"][0].clone();
    };
    let badge = issuer.badge(5, "key-1", cite);
    for round in ["fetched", "compiled copy"] {
        let report = verifier.verify(&badge).await;
        assert_eq!(
            outcome(&report, "json_schema"),
            "pass",
            "{round}: {report:#}"
        );
        assert_eq!(report["verdict"], "verified", "{round}: {report:#}");
    }
    // Signed and valid JSON-LD, but the OB schema wants the achievement's name as a string.
    let breaking = issuer.badge(6, "key-1", |badge| {
        cite(badge);
        badge["credentialSubject"]["achievement"]["name"] = json!(42);
    });
    let report = verifier.verify(&breaking).await;
    assert_eq!(outcome(&report, "json_schema"), "fail", "{report:#}");
    assert_eq!(report["verdict"], "not_verified", "{report:#}");
}

#[tokio::test]
async fn tampered_expired_and_not_yet_valid_badges_fail() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;

    let mut tampered = issuer.badge(5, "key-1", |_| {});
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket Science".into();
    let report = verifier.verify(&tampered).await;
    assert_eq!(report["verdict"], "not_verified");
    assert_eq!(outcome(&report, "proof"), "fail", "{report:#}");

    let expired = issuer.badge(5, "key-1", |b| {
        b["validUntil"] = stamp(at_offset(-1)).into()
    });
    let report = verifier.verify(&expired).await;
    assert_eq!(report["verdict"], "not_verified");
    assert_eq!(outcome(&report, "validity_period"), "fail", "{report:#}");
    assert_eq!(outcome(&report, "proof"), "pass");

    let early = issuer.badge(5, "key-1", |b| b["validFrom"] = stamp(at_offset(48)).into());
    let report = verifier.verify(&early).await;
    assert_eq!(report["verdict"], "not_verified");
    assert_eq!(outcome(&report, "validity_period"), "fail", "{report:#}");
}

#[tokio::test]
async fn revoked_and_suspended_badges_fail_on_status() {
    let issuer = Issuer::start().await;
    issuer.publish_status_list("revocation", StatusPurpose::Revocation, &[REVOKED]);
    issuer.publish_status_list("suspension", StatusPurpose::Suspension, &[SUSPENDED]);
    let verifier = start_verifier(&issuer, true, &[]).await;
    for index in [REVOKED, SUSPENDED] {
        let report = verifier.verify(&issuer.badge(index, "key-1", |_| {})).await;
        assert_eq!(report["verdict"], "not_verified", "{report:#}");
        assert_eq!(outcome(&report, "status"), "fail", "{report:#}");
        assert_eq!(outcome(&report, "proof"), "pass");
    }
    let fine = verifier.verify(&issuer.badge(5, "key-1", |_| {})).await;
    assert_eq!(fine["verdict"], "verified", "{fine:#}");
}

#[tokio::test]
async fn unreachable_status_is_incomplete_never_not_revoked() {
    let issuer = Issuer::start().await;
    issuer.put(
        "/status/revocation",
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({}),
    );
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let report = verifier.verify(&badge).await;
    assert_eq!(report["verdict"], "incomplete", "{report:#}");
    assert_eq!(outcome(&report, "status"), "not_checked", "{report:#}");
    assert!(
        check(&report, "status").to_string().contains("503"),
        "{report:#}"
    );

    // The page says it could not check revocation, not that it is not revoked.
    let (status, html) = verifier
        .page(vec![("credential", badge.to_string())], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Could not check revocation"), "{html}");
    assert!(!html.contains("Not revoked or suspended"));
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, false, &[]).await;
    let report = verifier.verify(&issuer.badge(5, "key-1", |_| {})).await;
    assert_eq!(report["verdict"], "incomplete", "{report:#}");
    let key = check(&report, "verification_method").to_string();
    // The issuer's did:web names localhost: refused by name, before any lookup (issue 11.5).
    assert!(
        key.contains("localhost is a local or private-use name"),
        "{key}"
    );
    assert_eq!(outcome(&report, "status"), "not_checked");
}

#[tokio::test]
async fn recognised_issuers_are_named_and_unknown_ones_warned() {
    let issuer = Issuer::start().await;
    let trusted = start_verifier(&issuer, true, &[issuer.did.as_str()]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let report = trusted.verify(&badge).await;
    assert_eq!(outcome(&report, "issuer_recognised"), "pass", "{report:#}");
    assert!(check(&report, "issuer_recognised")["message"]
        .as_str()
        .unwrap()
        .contains("MOOC Alliance"));

    let other = start_verifier(&issuer, true, &["did:web:someone.else"]).await;
    let report = other.verify(&badge).await;
    assert_eq!(outcome(&report, "issuer_recognised"), "warning");
    assert_eq!(
        report["verdict"], "verified",
        "unknown is not invalid: {report:#}"
    );
}

#[tokio::test]
async fn did_web_key_rotation_keeps_old_badges_valid_until_the_key_is_removed() {
    let issuer = Issuer::start().await;
    let old_badge = issuer.badge(5, "key-1", |_| {});
    issuer.add_key("key-2", 2);
    issuer.publish_did_document(&[("key-2", true), ("key-1", false)]);
    let new_badge = issuer.badge(6, "key-2", |_| {});
    let verifier = start_verifier(&issuer, true, &[]).await;
    for badge in [&old_badge, &new_badge] {
        let report = verifier.verify(badge).await;
        assert_eq!(report["verdict"], "verified", "{report:#}");
    }

    // The key is withdrawn entirely (the issuer re-signs its status lists with the new key):
    // what the old key signed no longer verifies (a fresh verifier, so nothing is from cache).
    issuer.publish_did_document(&[("key-2", true)]);
    issuer.publish_status_list_signed_by("revocation", StatusPurpose::Revocation, &[], "key-2");
    issuer.publish_status_list_signed_by("suspension", StatusPurpose::Suspension, &[], "key-2");
    let verifier = start_verifier(&issuer, true, &[]).await;
    let report = verifier.verify(&old_badge).await;
    assert_eq!(report["verdict"], "not_verified", "{report:#}");
    assert_eq!(
        outcome(&report, "verification_method"),
        "fail",
        "{report:#}"
    );
    assert_eq!(verifier.verify(&new_badge).await["verdict"], "verified");
}

#[tokio::test]
async fn qr_texts_images_links_and_baked_badges_are_read() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let text = badge.to_string();
    issuer.put("/badges/5", StatusCode::OK, &badge);
    let link = format!("{}/badges/5", issuer.base);

    // {"qr": "VC1:…"}, {"qr": "VC2:…"} and {"qr": link}.
    let compact = qr::encode_compact(&text).unwrap();
    let compact_v2 = qr::encode_compact_v2(&text).unwrap();
    for payload in [compact.clone(), compact_v2.clone(), link.clone()] {
        let (status, report) = verifier
            .post_raw(
                "/api/v1/verify",
                json!({ "qr": payload }).to_string().into_bytes(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["verdict"], "verified", "{report:#}");
    }

    // A QR image uploaded to the page (VC2, what wallets now write), and a baked PNG.
    let qr_png = qr::render_png(&compact_v2, 4).unwrap();
    let (status, html) = verifier
        .page(vec![("lang", "en".into())], Some(qr_png.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("QR code of the image"), "{html}");
    assert!(html.contains("<h1>Verified</h1>"), "{html}");
    let baked = bake::bake_png(&qr::render_png("badge", 4).unwrap(), &text).unwrap();
    let (status, html) = verifier.page(vec![], Some(baked.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("baked into the image"), "{html}");
    assert!(html.contains("<h1>Verified</h1>"));
    let (_, report) = verifier.post_raw("/api/v1/verify", baked).await;
    assert_eq!(report["verdict"], "verified", "{report:#}");

    // A link that is not https is refused (http is not allowed by default).
    let (status, report) = verifier
        .post_raw(
            "/api/v1/verify",
            json!({"qr": link.replace("https://", "http://")})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only https"),
        "{report}"
    );
}

/// Issue 17: the DCC Learner Credential Wallet's `VP1-` code (the core's fixture, made by that
/// wallet's own packages) in a picture is read by /api/v1/scan as a document, and
/// {"qr": "VP1-…"} is verified: the presentation is unsigned (as the wallet shares them), the
/// badge inside has a valid signature.
#[tokio::test]
async fn a_learner_credential_wallet_vp1_code_is_scanned_and_verified() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let text =
        include_str!("../../shared/tests/fixtures/vp1/sample-badge-presentation.vp1.txt").trim();
    let (status, answer) = verifier
        .post_raw("/api/v1/scan", qr::render_png(text, 2).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({"codes": [{"text": text, "kind": "document"}]})
    );
    let (status, report) = verifier
        .post_raw(
            "/api/v1/verify",
            json!({ "qr": text }).to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["kind"], "presentation", "{report:#}");
    let credentials = report["credentials"].as_array().expect("credentials");
    assert_eq!(credentials.len(), 1, "{report:#}");
    let proof = credentials[0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "proof")
        .expect("a proof check");
    assert_eq!(proof["outcome"], "pass", "{report:#}");
}

/// A camera frame as the page's scanner sends it: a 960 × 540 JPEG of a grey scene with the
/// QR code of `text` in the middle at `module_pixels` pixels a module.
fn camera_frame(text: &str, module_pixels: u32) -> Vec<u8> {
    let code = image::load_from_memory(&qr::render_png(text, module_pixels).unwrap())
        .unwrap()
        .into_luma8();
    let mut frame = image::GrayImage::from_fn(960, 540, |x, y| {
        image::Luma([u8::try_from(140 + (x + y) / 20).unwrap()])
    });
    let left = (960 - i64::from(code.width())) / 2;
    let top = (540 - i64::from(code.height())) / 2;
    image::imageops::overlay(&mut frame, &code, left, top);
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageLuma8(frame)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    jpeg
}

#[tokio::test]
async fn camera_frames_are_decoded_by_the_scan_endpoint() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let compact = qr::encode_compact(&badge.to_string()).unwrap();

    // A JPEG frame with a credential's code: its text, which /api/v1/verify then verifies.
    let response = verifier
        .client
        .post(format!("{}/api/v1/scan", verifier.base))
        .header("content-type", "image/jpeg")
        .body(camera_frame(&compact, 3))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer,
        json!({"codes": [{"text": compact, "kind": "document"}]})
    );
    let (status, report) = verifier
        .post_raw(
            "/api/v1/verify",
            json!({ "qr": answer["codes"][0]["text"] })
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"], "verified", "{report:#}");

    // A link, and a code that carries neither a credential nor a link (PNG screenshots).
    let link = "https://learn.example/claim/clm_3f2a";
    let (status, answer) = verifier
        .post_raw("/api/v1/scan", qr::render_png(link, 4).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"codes": [{"text": link, "kind": "link"}]}));
    let (status, answer) = verifier
        .post_raw("/api/v1/scan", qr::render_png("Table 12", 4).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["codes"][0]["kind"], "unusable", "{answer}");
    assert!(
        answer["codes"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("neither a credential"),
        "{answer}"
    );

    // No code in sight is an answer, not an error: the scanner sends the next frame.
    let mut empty = Vec::new();
    image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(640, 480, image::Luma([180])))
        .write_to(
            &mut std::io::Cursor::new(&mut empty),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let (status, answer) = verifier.post_raw("/api/v1/scan", empty).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"codes": []}));

    // Errors: nothing sent, not an image, over the upload cap.
    let (status, error) = verifier.post_raw("/api/v1/scan", Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"]["code"], "invalid_field", "{error}");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("must be an image"));
    let (status, error) = verifier
        .post_raw("/api/v1/scan", b"VC1:NOT-AN-IMAGE".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("image could not be read"),
        "{error}"
    );
    let (status, _) = verifier
        .post_raw("/api/v1/scan", vec![0xff; server::MAX_UPLOAD_BYTES + 1])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// Issue 12.4: the QR code the issuer's claim page offers as SVG verifies (rasterised, then
/// scanned), on /api/v1/verify and /api/v1/scan. Issue 11.3: an image whose decoding would
/// take more than the per-image budget is refused from its header, naming size and limit.
#[tokio::test]
async fn a_qr_svg_verifies_and_an_image_over_the_decode_budget_is_refused() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let compact = qr::encode_compact(&badge.to_string()).unwrap();
    let svg = qr::render_svg(&compact).unwrap().into_bytes();
    let (status, report) = verifier.post_raw("/api/v1/verify", svg.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"], "verified", "{report:#}");
    let (status, answer) = verifier.post_raw("/api/v1/scan", svg).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({"codes": [{"text": compact, "kind": "document"}]})
    );

    // A 6,900 × 6,900 RGB PNG (143 MB decoded): its header is all that is read.
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png[16..20].copy_from_slice(&6_900u32.to_be_bytes());
    png[20..24].copy_from_slice(&6_900u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    for path in ["/api/v1/scan", "/api/v1/verify"] {
        let (status, error) = verifier.post_raw(path, png.clone()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {error}");
        assert_eq!(error["error"]["code"], "too_large", "{path}: {error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("6900 × 6900 pixels") && message.contains("128 MiB allowed"),
            "{path}: {message}"
        );
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn the_camera_scanner_is_an_enhancement_under_a_strict_csp() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let response = verifier
        .client
        .get(format!("{}/?lang=fr", verifier.base))
        .send()
        .await
        .unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    // Scripts only from this server, no inline script or eval; frames only to this server.
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    // Without JavaScript the control stays hidden; the script shows it, in the page's language.
    assert!(
        html.contains(r#"<div class="field camera" id="camera" hidden"#),
        "{html}"
    );
    assert!(html.contains("Scanner un code QR avec la caméra"), "{html}");
    assert!(
        html.contains(r#"data-denied="L’accès à la caméra a été refusé"#),
        "{html}"
    );
    assert!(!html.contains("<script>"), "no inline script: {html}");
    let script = verifier
        .client
        .get(format!("{}/assets/app.js", verifier.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("\"/api/v1/scan\""));
    assert!(!script.contains("eval(") && !script.contains("new Function"));
}

#[tokio::test]
async fn challenges_are_single_use_and_a_replay_fails() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let (status, issued) = verifier.post_raw("/api/v1/challenges", vec![]).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let challenge = issued["challenge"].as_str().unwrap().to_owned();
    assert_eq!(issued["domain"], "verifier.example");
    assert!(issued["qrSvg"].as_str().unwrap().starts_with("<svg"));

    let holder = KeyPair::from_seed(&[9; 32]);
    let holder_did = did::did_key(&holder.public()).to_string();
    let presentation = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(badge)
        .build();
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&holder.public()),
        stamp(at_offset(-1)),
        challenge.as_str(),
        "verifier.example",
    );
    let signed = proof::sign(&presentation, &holder, &options).unwrap();
    let request = json!({
        "verifiablePresentation": signed,
        "options": {"challenge": challenge, "domain": "verifier.example"}
    })
    .to_string()
    .into_bytes();
    let (status, first) = verifier
        .post_raw("/presentations/verify", request.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{first:#}");
    assert_eq!(first["verified"], true);
    assert!(first["checks"]
        .as_array()
        .unwrap()
        .contains(&json!("challenge")));

    // The verification ran, so 200 (VC-API /presentations/verify), but not verified.
    let (status, replay) = verifier.post_raw("/presentations/verify", request).await;
    assert_eq!(status, StatusCode::OK, "{replay:#}");
    assert_eq!(replay["verified"], false);
    assert!(
        replay["errors"].to_string().contains("replay"),
        "{replay:#}"
    );
    assert_eq!(replay["results"]["challenge"]["valid"], false, "{replay:#}");
}

/// Low bandwidth (issue 17): the result page of the realistic 4.8 KB badge, which carries the
/// credential in each of its forms (no JavaScript needed to re-check, switch language, print or
/// match an email), stays under 100 KB in every language the page speaks.
#[tokio::test]
async fn the_result_page_stays_under_100_kb_in_every_language() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[issuer.did.as_str()]).await;
    let badge = issuer.badge(5, "key-1", |_| {}).to_string();
    assert!(
        badge.len() > 4_500,
        "the realistic badge: {} bytes",
        badge.len()
    );
    for (lang, _) in passerelle_verifier::i18n::PAGE {
        let (status, page) = verifier
            .page(
                vec![("credential", badge.clone()), ("lang", lang.to_string())],
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{lang}");
        assert!(page.contains(&format!("<html lang=\"{lang}\"")), "{lang}");
        assert!(
            page.len() < 100 * 1024,
            "{lang}: the result page is {} bytes",
            page.len()
        );
    }
}

/// The printable report over HTTP: the result page's button re-sends the credential with
/// `view=print`, and the answer is one document with no forms, naming the verifier's address,
/// the time of the check, the registry that recognises the issuer with its jurisdiction, every
/// check, and the SHA-256 of the text checked; in English and in French.
#[tokio::test]
async fn the_printable_report_is_a_post_of_the_same_credential() {
    use sha2::{Digest as _, Sha256};

    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[issuer.did.as_str()]).await;
    let badge = issuer.badge(5, "key-1", |_| {}).to_string();

    let index = verifier
        .client
        .get(format!("{}/", verifier.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        index.contains("<strong>MOOC Alliance</strong> — 1 issuer listed"),
        "{index}"
    );

    let (status, page) = verifier
        .page(vec![("credential", badge.clone())], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<input type=\"hidden\" name=\"view\" value=\"print\">"),
        "{page}"
    );
    assert!(
        page.contains("Recognised</span> — MOOC Alliance (FR)"),
        "{page}"
    );

    let (status, report) = verifier
        .page(
            vec![("credential", badge.clone()), ("view", "print".into())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.len() < 100_000, "{} bytes", report.len());
    assert!(report.contains("<h1>Verification report</h1>"), "{report}");
    let address = verifier.base.trim_start_matches("http://");
    assert!(report.contains(address), "{address}: {report}");
    let digest = hex::encode(Sha256::digest(badge.as_bytes()));
    assert!(report.contains(&digest), "{report}");
    assert!(
        report.contains("Recognised</span> — MOOC Alliance (FR)"),
        "{report}"
    );
    assert!(report.contains("Data Literacy Foundations"), "{report}");
    assert!(
        report.contains("Scale: Percent; 0–100; required: 70"),
        "{report}"
    );
    for id in [
        "proof",
        "verification_method",
        "status",
        "issuer_recognised",
    ] {
        assert!(
            report.contains(&format!("data-check=\"{id}\"")),
            "{id}: {report}"
        );
    }
    assert!(report.contains("<details open>"), "{report}");
    for absent in ["<form", "<script", "<nav", "<button"] {
        assert!(!report.contains(absent), "{absent}: {report}");
    }

    let (_, report) = verifier
        .page(
            vec![
                ("credential", badge),
                ("view", "print".into()),
                ("lang", "fr".into()),
            ],
            None,
        )
        .await;
    assert!(
        report.contains("<h1>Rapport de vérification</h1>"),
        "{report}"
    );
    assert!(
        report.contains("Reconnu</span> — MOOC Alliance (FR)"),
        "{report}"
    );
    assert!(report.contains(&digest), "{report}");
}

#[tokio::test]
async fn credential_content_is_rendered_inert() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |b| {
        b["credentialSubject"]["achievement"]["name"] =
            "<script>alert('pwned')</script><img src=x onerror=alert(1)>".into();
        b["credentialSubject"]["achievement"]["description"] =
            "\"><b onmouseover=x>bold</b>".into();
    });
    let (status, html) = verifier
        .page(vec![("credential", badge.to_string())], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("&lt;script&gt;alert('pwned')&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b onmouseover"));
    assert!(html.contains("&quot;&gt;&lt;b onmouseover=x&gt;"));
}

#[tokio::test]
async fn the_page_speaks_the_viewers_language_and_checks_hashed_emails() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let index = verifier
        .client
        .get(format!("{}/", verifier.base))
        .header("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("<html lang=\"fr\" dir=\"ltr\">"), "{index}");
    assert!(index.contains("Vérifier"));

    let badge = issuer.badge(5, "key-1", |b| {
        b["credentialSubject"]["achievement"]["name"] = json!([
            {"@value": "Data Literacy Foundations", "@language": "en"},
            {"@value": "Fondamentaux de la culture des données", "@language": "fr"}
        ]);
    });
    let (_, html) = verifier
        .page(
            vec![("credential", badge.to_string()), ("lang", "fr".into())],
            None,
        )
        .await;
    assert!(
        html.contains("Fondamentaux de la culture des données"),
        "{html}"
    );
    assert!(html.contains("<h1>Vérifiée</h1>"), "{html}");
    let (_, html) = verifier
        .page(
            vec![("credential", badge.to_string()), ("lang", "en".into())],
            None,
        )
        .await;
    assert!(
        html.contains("<h2 id=\"card-title\">Data Literacy Foundations</h2>"),
        "{html}"
    );

    // The sample names its learner by a salted, hashed email address.
    let sample = model::sample::data_literacy_badge();
    let identifier = sample["credentialSubject"]["identifier"].to_string();
    assert!(
        identifier.contains("sha256$"),
        "the sample has a hashed email: {identifier}"
    );
    let (_, html) = verifier
        .page(
            vec![
                ("credential", badge.to_string()),
                ("email", "nobody@example.org".into()),
            ],
            None,
        )
        .await;
    assert!(html.contains("does not match"), "{html}");
    assert!(
        !html.contains("nobody@example.org"),
        "the email is not echoed"
    );
}

#[tokio::test]
async fn api_errors_name_the_field_and_bodies_are_capped() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let (status, error) = verifier
        .post_raw("/api/v1/verify", json!({"qr": 5}).to_string().into_bytes())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["field"], "qr", "{error}");
    assert_eq!(error["error"]["code"], "invalid_field", "{error}");
    let (status, error) = verifier
        .post_raw(
            "/credentials/verify",
            json!({"credential": {}}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["field"], "verifiableCredential");
    let (status, error) = verifier
        .post_raw(
            "/presentations/verify",
            json!({"verifiablePresentation": {}, "options": {"challenge": 1}})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["field"], "options.challenge");
    let (status, _) = verifier
        .post_raw("/api/v1/verify", vec![b' '; server::MAX_API_BYTES + 10])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, error) = verifier.post_raw("/api/v1/verify", b"hello".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
}

#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let document: Value = verifier
        .client
        .get(format!("{}/api/v1/openapi.json", verifier.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut served: Vec<(String, String)> = ROUTES
        .iter()
        .filter(|(_, path)| path.starts_with("/api/") || path.ends_with("s/verify"))
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    served.sort();
    assert_eq!(documented, served);
    // Image endpoints say they may be saturated (503 with Retry-After) rather than queue.
    for path in ["/api/v1/verify", "/api/v1/scan"] {
        let busy = &document["paths"][path]["post"]["responses"]["503"];
        assert!(busy["headers"]["Retry-After"].is_object(), "{path}: {busy}");
    }
    // Real answers use only documented members: the VC-API result, its problem details and
    // the report's checks (with their message codes, every one listed).
    let schemas = &document["components"]["schemas"];
    let documented = |schema: &str| -> Vec<String> { keys(&schemas[schema]["properties"]) };
    let badge = issuer.badge(5, "key-1", |_| {});
    let (_, _, result) = post_json(
        &verifier,
        "/credentials/verify",
        &json!({"verifiableCredential": badge}),
        &[],
    )
    .await;
    for key in keys(&result) {
        assert!(documented("VerificationResult").contains(&key), "{key}");
    }
    for problem in result["problemDetails"].as_array().unwrap() {
        for key in keys(problem) {
            assert!(documented("ProblemDetails").contains(&key), "{key}");
        }
    }
    for check in result["report"]["checks"].as_array().unwrap() {
        for key in keys(check) {
            assert!(documented("Check").contains(&key), "{key}");
        }
    }
    assert_eq!(
        schemas["Check"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        passerelle_core::verify::MESSAGE_CODES.len()
    );
    // Every route answers (no 404/405) on its method.
    for (method, path) in ROUTES {
        let request = match method {
            "GET" => verifier.client.get(format!("{}{path}", verifier.base)),
            _ => verifier
                .client
                .post(format!("{}{path}", verifier.base))
                .body("{}"),
        };
        let status = request.send().await.unwrap().status().as_u16();
        assert!(status != 404 && status != 405, "{method} {path} → {status}");
    }
}

/// Fragments of English text the French page must not show: every core message template
/// and every English catalogue entry that French translates, cut at their placeholders.
fn english_fragments() -> Vec<String> {
    use passerelle_core::verify::MessageCode;

    let all = passerelle_verifier::i18n::builtin().unwrap();
    let english = all.negotiate(Some("en"), None);
    let french = all.negotiate(Some("fr"), None);
    let mut texts: Vec<String> = MessageCode::ALL
        .iter()
        .map(|c| c.english().to_owned())
        .collect();
    for key in all.languages()[0].keys() {
        if english.t(key) != french.t(key) {
            texts.push(english.t(key).to_owned());
        }
    }
    let mut fragments = Vec::new();
    for text in texts {
        for piece in text.split(['{', '}']) {
            let piece = piece.trim();
            // Long enough to be a sentence, not a term both languages share.
            if piece.len() >= 18 {
                fragments.push(piece.replace('&', "&amp;").replace('"', "&quot;"));
            }
        }
    }
    fragments
}

/// The part of a result page that lists checks (verdict, card and checks), without the
/// language switcher, which names each language in its own language.
fn result_body(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html.find("class=\"actions\"").unwrap_or(html.len());
    &html[start..end]
}

fn assert_french_only(label: &str, html: &str) {
    assert!(html.contains("<html lang=\"fr\""), "{label}: {html}");
    let body = result_body(html);
    for fragment in english_fragments() {
        assert!(
            !body.contains(&fragment),
            "{label}: English text {fragment:?} on the French page:\n{body}"
        );
    }
    // `lang="en"` only marks raw technical values in <code>.
    let marked = body.matches("lang=\"en\"").count();
    let in_code = body.matches("<code lang=\"en\">").count();
    assert_eq!(marked, in_code, "{label}: {body}");
}

#[tokio::test]
async fn french_result_pages_have_no_english_check_text() {
    let issuer = Issuer::start().await;
    issuer.publish_status_list("revocation", StatusPurpose::Revocation, &[REVOKED]);
    let verifier = start_verifier(&issuer, true, &[issuer.did.as_str()]).await;
    let french_page = |document: Value| {
        let verifier = &verifier;
        async move {
            let (status, html) = verifier
                .page(
                    vec![("credential", document.to_string()), ("lang", "fr".into())],
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{html}");
            html
        }
    };

    let valid = issuer.badge(5, "key-1", |_| {});
    let html = french_page(valid.clone()).await;
    assert_french_only("valid", &html);
    assert!(html.contains("<h1>Vérifiée</h1>"), "{html}");
    assert!(
        html.contains("La signature de l’émetteur est valide"),
        "{html}"
    );
    assert!(html.contains("obtenue à l’instant"), "{html}");
    assert!(html.contains("L’émetteur est reconnu par"), "{html}");
    // Served from the cache the second time, and said so in French.
    let html = french_page(valid.clone()).await;
    assert!(html.contains("tirée du cache de ce service"), "{html}");

    let mut tampered = valid.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket Science".into();
    // The API localises on request (?lang=), and only then.
    let (_, report) = verifier
        .post_raw("/api/v1/verify?lang=fr", tampered.to_string().into_bytes())
        .await;
    let localized = &check(&report, "proof")["localized"];
    assert_eq!(localized["lang"], "fr", "{report:#}");
    assert!(localized["message"]
        .as_str()
        .unwrap()
        .starts_with("La signature ne tient pas"));
    assert!(localized["details"][0]
        .as_str()
        .unwrap()
        .contains("ne correspond pas"));
    assert_eq!(check(&report, "proof")["code"], "proof.invalid");
    let plain = verifier.verify(&tampered).await;
    assert!(check(&plain, "proof").get("localized").is_none());
    let html = french_page(tampered.clone()).await;
    assert_french_only("tampered", &html);
    // The same page in English does show those fragments: the check above can fail.
    let (_, english) = verifier
        .page(
            vec![("credential", tampered.to_string()), ("lang", "en".into())],
            None,
        )
        .await;
    let shown = english_fragments()
        .into_iter()
        .filter(|f| result_body(&english).contains(f.as_str()))
        .count();
    assert!(
        shown > 5,
        "only {shown} English fragments on the English page"
    );
    assert!(html.contains("La signature ne tient pas"), "{html}");
    assert!(
        html.contains("la signature <code>eddsa-rdfc-2022</code> ne correspond pas"),
        "{html}"
    );

    let html = french_page(issuer.badge(REVOKED, "key-1", |_| {})).await;
    assert_french_only("revoked", &html);
    assert!(
        html.contains("L’émetteur a révoqué cette attestation."),
        "{html}"
    );

    let expired = issuer.badge(5, "key-1", |b| {
        b["validUntil"] = stamp(at_offset(-1)).into()
    });
    let html = french_page(expired).await;
    assert_french_only("expired", &html);
    assert!(html.contains("L’attestation a expiré le"), "{html}");

    // A presentation: its own checks and each credential's, all in French.
    let holder = KeyPair::from_seed(&[9; 32]);
    let holder_did = did::did_key(&holder.public()).to_string();
    let presentation = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(valid.clone())
        .credential(issuer.badge(REVOKED, "key-1", |_| {}))
        .build();
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&holder.public()),
        stamp(at_offset(-1)),
        "c-1",
        "verifier.example",
    );
    let html = french_page(proof::sign(&presentation, &holder, &options).unwrap()).await;
    assert_french_only("presentation", &html);
    assert!(
        html.contains("Attestations de la présentation en échec : 1 sur 2."),
        "{html}"
    );
    // The presentation's key is the holder's, and the page says so.
    assert!(
        html.contains("La clé de signature appartient au titulaire"),
        "{html}"
    );

    // Status unreachable: "could not check", in French, with the raw reason as code.
    let unreachable = Issuer::start().await;
    unreachable.put(
        "/status/revocation",
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({}),
    );
    let verifier = start_verifier(&unreachable, true, &[]).await;
    let (_, html) = verifier
        .page(
            vec![
                (
                    "credential",
                    unreachable.badge(5, "key-1", |_| {}).to_string(),
                ),
                ("lang", "fr".into()),
            ],
            None,
        )
        .await;
    assert_french_only("status unreachable", &html);
    assert!(
        html.contains("Impossible de vérifier si l’émetteur a révoqué cette attestation."),
        "{html}"
    );
    assert!(
        html.contains("n’a pas pu être lue : <code lang=\"en\">"),
        "{html}"
    );
    assert!(html.contains("503"), "{html}");
}

/// POSTs JSON with headers; answers (status, content type, body).
async fn post_json(
    verifier: &Verifier,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (StatusCode, String, Value) {
    let mut request = verifier
        .client
        .post(format!("{}{path}", verifier.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let json = response.json().await.unwrap_or(Value::Null);
    (status, content_type, json)
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Every problem is RFC 9457 problem details naming its check and message code.
fn assert_problem_details(result: &Value) {
    let errors = result["errors"].as_array().unwrap();
    let warnings = result["warnings"].as_array().unwrap();
    let all = result["problemDetails"].as_array().unwrap();
    assert_eq!(all.len(), errors.len() + warnings.len(), "{result:#}");
    for problem in all {
        for member in ["type", "title", "detail", "check", "messageCode"] {
            assert!(problem[member].is_string(), "{member}: {problem:#}");
        }
        if problem["type"].as_str().unwrap().starts_with("https://") {
            assert!(problem["code"].is_i64(), "{problem:#}");
        } else {
            assert!(problem["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:passerelle:problem:"));
        }
    }
    assert_eq!(result["verified"], errors.is_empty(), "{result:#}");
}

fn has_problem(list: &Value, kind: &str, code: i64) -> bool {
    list.as_array().unwrap().iter().any(|p| {
        p["type"]
            .as_str()
            .is_some_and(|t| t.ends_with(&format!("#{kind}")))
            && p["title"] == kind
            && p["code"] == code
    })
}

#[tokio::test]
async fn vc_api_credential_answers_follow_the_specification() {
    let issuer = Issuer::start().await;
    issuer.publish_status_list("revocation", StatusPurpose::Revocation, &[REVOKED]);
    let verifier = start_verifier(&issuer, true, &[]).await;
    let valid = issuer.badge(5, "key-1", |_| {});

    // Verified: 200, the VerificationResult members and our report; warnings only.
    let (status, content_type, result) = post_json(
        &verifier,
        "/credentials/verify",
        &json!({"verifiableCredential": valid}),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result:#}");
    assert!(content_type.starts_with("application/json"));
    assert_eq!(
        keys(&result),
        [
            "checks",
            "errors",
            "problemDetails",
            "report",
            "verified",
            "warnings"
        ]
    );
    assert_eq!(result["verified"], true);
    assert_problem_details(&result);
    assert_eq!(result["errors"], json!([]));
    assert!(result["checks"]
        .as_array()
        .unwrap()
        .contains(&json!("proof")));
    let unknown = result["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["check"] == "issuer_recognised")
        .unwrap_or_else(|| panic!("{result:#}"));
    assert_eq!(unknown["type"], "urn:passerelle:problem:trust.unknown");
    assert_eq!(unknown["messageCode"], "trust.unknown");
    assert_eq!(result["report"]["verdict"], "verified");

    // returnCredential gives the document back; the detail follows Accept-Language.
    let (_, _, result) = post_json(
        &verifier,
        "/credentials/verify",
        &json!({"verifiableCredential": valid, "options": {"returnCredential": true}}),
        &[("accept-language", "fr")],
    )
    .await;
    assert_eq!(result["verifiableCredential"], valid);
    let detail = result["warnings"].to_string();
    assert!(detail.contains("aucun registre"), "{result:#}");

    // Not verified: 400 with the W3C problem types.
    let mut tampered = valid.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket Science".into();
    let expired = issuer.badge(5, "key-1", |b| {
        b["validUntil"] = stamp(at_offset(-1)).into()
    });
    for (label, document, kind, code) in [
        ("tampered", tampered, "CRYPTOGRAPHIC_SECURITY_ERROR", -65),
        (
            "revoked",
            issuer.badge(REVOKED, "key-1", |_| {}),
            "STATUS_VERIFICATION_ERROR",
            -129,
        ),
        ("expired", expired, "RANGE_ERROR", -67),
    ] {
        let (status, _, result) = post_json(
            &verifier,
            "/credentials/verify",
            &json!({"verifiableCredential": document}),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {result:#}");
        assert_eq!(result["verified"], false, "{label}");
        assert_problem_details(&result);
        assert!(
            has_problem(&result["errors"], kind, code),
            "{label}: {result:#}"
        );
    }

    // A VC-JOSE credential, bare or enveloped (VC 2.0 EnvelopedVerifiableCredential).
    let mut unsigned = valid.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let jws = passerelle_core::jose::sign_vc_jwt(
        &unsigned,
        &issuer.key("key-1"),
        &format!("{}#key-1", issuer.did),
    )
    .unwrap();
    for credential in [
        json!(jws),
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "EnvelopedVerifiableCredential",
            "id": format!("data:application/vc+jwt,{jws}")
        }),
    ] {
        let (status, _, result) = post_json(
            &verifier,
            "/credentials/verify",
            &json!({"verifiableCredential": credential}),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{result:#}");
        assert_eq!(result["report"]["secured_by"], "vc-jose", "{result:#}");
    }

    // Malformed requests: 400 problem details naming the field; an unknown option is refused.
    for (body, field, kind) in [
        (
            json!({"credential": {}}),
            "verifiableCredential",
            "PARSING_ERROR",
        ),
        (
            json!({"verifiableCredential": 5}),
            "verifiableCredential",
            "PARSING_ERROR",
        ),
        (
            json!({"verifiableCredential": valid, "options": {"returnCredential": "yes"}}),
            "options.returnCredential",
            "MALFORMED_VALUE_ERROR",
        ),
        (
            json!({"verifiableCredential": valid, "options": {"checks": ["proof"]}}),
            "options.checks",
            "UNKNOWN_OPTION_PROVIDED",
        ),
        (
            json!({"verifiableCredential": {"type": "EnvelopedVerifiableCredential", "id": "data:text/plain,hello"}}),
            "verifiableCredential.id",
            "MALFORMED_VALUE_ERROR",
        ),
        (
            json!({"verifiableCredential": "not a jws"}),
            "verifiableCredential",
            "PARSING_ERROR",
        ),
    ] {
        let (status, content_type, problem) =
            post_json(&verifier, "/credentials/verify", &body, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {problem:#}");
        assert_eq!(content_type, "application/problem+json", "{body}");
        assert_eq!(problem["field"], field, "{body}: {problem:#}");
        assert_eq!(problem["title"], kind, "{body}: {problem:#}");
        assert!(problem["type"].as_str().unwrap().ends_with(kind));
        assert_eq!(problem["status"], 400);
        assert!(problem["detail"].is_string());
    }
}

#[tokio::test]
async fn vc_api_presentation_answers_report_challenge_domain_holder_and_proof() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let (_, issued) = verifier.post_raw("/api/v1/challenges", vec![]).await;
    let challenge = issued["challenge"].as_str().unwrap().to_owned();
    let holder = KeyPair::from_seed(&[9; 32]);
    let holder_did = did::did_key(&holder.public()).to_string();
    let presentation = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(issuer.badge(5, "key-1", |_| {}))
        .build();
    let sign = |challenge: &str, domain: &str| {
        let options = ProofOptions::authentication(
            Cryptosuite::EddsaRdfc2022,
            did::did_key_verification_method(&holder.public()),
            stamp(at_offset(-1)),
            challenge,
            domain,
        );
        proof::sign(&presentation, &holder, &options).unwrap()
    };

    let signed = sign(&challenge, "verifier.example");
    let (status, _, result) = post_json(
        &verifier,
        "/presentations/verify",
        &json!({"verifiablePresentation": signed,
                "options": {"challenge": challenge, "domain": "verifier.example", "returnPresentation": true}}),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result:#}");
    assert_eq!(result["verified"], true, "{result:#}");
    assert_problem_details(&result);
    assert_eq!(
        keys(&result),
        [
            "checks",
            "errors",
            "problemDetails",
            "report",
            "results",
            "verifiablePresentation",
            "verified",
            "warnings"
        ]
    );
    let results = &result["results"];
    assert_eq!(
        results["challenge"],
        json!({"valid": true, "input": challenge})
    );
    assert_eq!(
        results["domain"],
        json!({"valid": true, "input": "verifier.example"})
    );
    assert_eq!(
        results["holder"],
        json!({"valid": true, "input": holder_did})
    );
    let proofs = results["proof"].as_array().unwrap();
    assert_eq!(proofs.len(), 1);
    assert_eq!(proofs[0]["valid"], true);
    assert_eq!(proofs[0]["input"]["proofPurpose"], "authentication");
    assert_eq!(result["verifiablePresentation"], signed);

    // Another domain: verified false (200: the verification ran), INVALID_DOMAIN_ERROR.
    let (_, issued) = verifier.post_raw("/api/v1/challenges", vec![]).await;
    let second = issued["challenge"].as_str().unwrap().to_owned();
    let (status, _, result) = post_json(
        &verifier,
        "/presentations/verify",
        &json!({"verifiablePresentation": sign(&second, "elsewhere.example"),
                "options": {"challenge": second, "domain": "verifier.example"}}),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result:#}");
    assert_eq!(result["verified"], false);
    assert_problem_details(&result);
    assert!(
        has_problem(&result["errors"], "INVALID_DOMAIN_ERROR", -19),
        "{result:#}"
    );
    assert_eq!(result["results"]["domain"]["valid"], false);
    assert_eq!(result["results"]["challenge"]["valid"], true);
    assert!(result.get("verifiablePresentation").is_none());

    // Another challenge: INVALID_CHALLENGE_ERROR.
    let (_, issued) = verifier.post_raw("/api/v1/challenges", vec![]).await;
    let third = issued["challenge"].as_str().unwrap().to_owned();
    let (_, _, result) = post_json(
        &verifier,
        "/presentations/verify",
        &json!({"verifiablePresentation": sign("made-up", "verifier.example"),
                "options": {"challenge": third, "domain": "verifier.example"}}),
        &[],
    )
    .await;
    assert!(
        has_problem(&result["errors"], "INVALID_CHALLENGE_ERROR", -20),
        "{result:#}"
    );
    assert_eq!(result["results"]["challenge"]["valid"], false);

    // Malformed requests.
    for (body, field, kind) in [
        (
            json!({"presentation": {}}),
            "presentation",
            "MALFORMED_VALUE_ERROR",
        ),
        (
            json!({"verifiablePresentation": {"type": "EnvelopedVerifiablePresentation", "id": "data:application/vp+jwt,x"}}),
            "verifiablePresentation",
            "MALFORMED_VALUE_ERROR",
        ),
        (
            json!({"verifiablePresentation": []}),
            "verifiablePresentation",
            "PARSING_ERROR",
        ),
        (
            json!({"verifiablePresentation": {}, "options": {"returnCredential": true}}),
            "options.returnCredential",
            "UNKNOWN_OPTION_PROVIDED",
        ),
    ] {
        let (status, content_type, problem) =
            post_json(&verifier, "/presentations/verify", &body, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {problem:#}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["field"], field, "{body}: {problem:#}");
        assert_eq!(problem["title"], kind, "{body}: {problem:#}");
    }
}

/// A holder, and a presentation of `credential` signed by it with `challenge`.
fn present(credential: Value, challenge: &str, domain: &str) -> (String, Value) {
    let holder = KeyPair::from_seed(&[9; 32]);
    let holder_did = did::did_key(&holder.public()).to_string();
    let presentation = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(credential)
        .build();
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&holder.public()),
        stamp(at_offset(-1)),
        challenge,
        domain,
    );
    (
        holder_did,
        proof::sign(&presentation, &holder, &options).unwrap(),
    )
}

/// The holder's DID (seed 9), the subject of [`holder_badge`].
fn holder_did() -> String {
    did::did_key(&KeyPair::from_seed(&[9; 32]).public()).to_string()
}

/// A badge issued to the holder's DID (no hashed email).
fn holder_badge(issuer: &Issuer) -> Value {
    issuer.badge(5, "key-1", |b| {
        let subject = b["credentialSubject"].as_object_mut().unwrap();
        subject.remove("identifier");
        subject.insert("id".into(), holder_did().into());
    })
}

impl Verifier {
    async fn challenge(&self) -> String {
        let (status, issued) = self.post_raw("/api/v1/challenges", vec![]).await;
        assert_eq!(status, StatusCode::CREATED, "{issued}");
        issued["challenge"].as_str().unwrap().to_owned()
    }

    async fn verify_with(&self, document: &Value, challenge: Option<&str>) -> Value {
        let query = match challenge {
            Some(c) => format!("?challenge={c}&domain=verifier.example"),
            None => String::new(),
        };
        let (status, report) = self
            .post_raw(
                &format!("/api/v1/verify{query}"),
                document.to_string().into_bytes(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        report
    }
}

#[tokio::test]
async fn presentations_need_a_challenge_issued_here_unless_the_operator_allows_it() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;

    // No challenge asked: not verified, and the report says the challenge was not checked.
    let (_, vp) = present(holder_badge(&issuer), "c-1", "verifier.example");
    let report = verifier.verify_with(&vp, None).await;
    assert_eq!(report["verdict"], "incomplete", "{report:#}");
    assert_eq!(check(&report, "challenge")["code"], "challenge.not_given");
    assert_eq!(check(&report, "challenge")["outcome"], "not_checked");
    assert_eq!(outcome(&report, "proof"), "pass");

    // A challenge this verifier never issued: refused.
    let report = verifier.verify_with(&vp, Some("c-1")).await;
    assert_eq!(report["verdict"], "not_verified", "{report:#}");
    assert_eq!(check(&report, "challenge")["code"], "challenge.not_issued");

    // Made for another request: the challenge check says so; the signature still holds.
    let issued = verifier.challenge().await;
    let report = verifier.verify_with(&vp, Some(&issued)).await;
    assert_eq!(report["verdict"], "not_verified", "{report:#}");
    let challenge = check(&report, "challenge");
    assert_eq!(challenge["code"], "challenge.invalid");
    assert!(
        challenge["message"]
            .as_str()
            .unwrap()
            .contains("made for another request"),
        "{challenge:#}"
    );
    assert_eq!(
        check(&report, "proof")["code"],
        "proof.valid.holder",
        "{report:#}"
    );
    assert!(!report.to_string().contains("altered"), "{report:#}");

    // The right challenge: verified, and the credential is bound to its presenter.
    let issued = verifier.challenge().await;
    let (holder, vp) = present(holder_badge(&issuer), &issued, "verifier.example");
    let report = verifier.verify_with(&vp, Some(&issued)).await;
    assert_eq!(report["verdict"], "verified", "{report:#}");
    let binding = check(&report["credentials"][0], "holder_binding");
    assert_eq!(binding["outcome"], "pass", "{binding:#}");
    assert_eq!(binding["code"], "holder_binding.bound");
    assert_eq!(binding["args"]["subject"], holder);

    // The operator turned the requirement off: a warning, and a caller's own challenge is
    // compared (not consumed).
    let lenient = start_verifier_with(
        &issuer,
        true,
        &[],
        Challenges::ephemeral(server::CHALLENGE_TTL).unwrap(),
        true,
    )
    .await;
    let (_, vp) = present(holder_badge(&issuer), "c-1", "verifier.example");
    let report = lenient.verify_with(&vp, None).await;
    assert_eq!(report["verdict"], "verified", "{report:#}");
    assert_eq!(outcome(&report, "challenge"), "warning");
    assert_eq!(
        check(&report, "challenge")["code"],
        "challenge.not_required"
    );
    for _ in 0..2 {
        let report = lenient.verify_with(&vp, Some("c-1")).await;
        assert_eq!(report["verdict"], "verified", "{report:#}");
        assert_eq!(outcome(&report, "challenge"), "pass");
    }

    // VC-API without a challenge: verified false, the challenge named among the errors.
    let (_, _, result) = post_json(
        &verifier,
        "/presentations/verify",
        &json!({"verifiablePresentation": vp}),
        &[],
    )
    .await;
    assert_eq!(result["verified"], false, "{result:#}");
    assert!(
        has_problem(&result["errors"], "INVALID_CHALLENGE_ERROR", -20),
        "{result:#}"
    );
}

#[tokio::test]
async fn a_credential_of_someone_else_fails_and_a_hashed_email_is_explained_on_the_page() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;

    // Issued to another DID: the credential inside fails, and so the presentation.
    let other = issuer.badge(5, "key-1", |b| {
        let subject = b["credentialSubject"].as_object_mut().unwrap();
        subject.remove("identifier");
        subject.insert("id".into(), "did:example:someone-else".into());
    });
    let issued = verifier.challenge().await;
    let (_, vp) = present(other, &issued, "verifier.example");
    let report = verifier.verify_with(&vp, Some(&issued)).await;
    assert_eq!(report["verdict"], "not_verified", "{report:#}");
    let inner = &report["credentials"][0];
    assert_eq!(
        check(inner, "holder_binding")["code"],
        "holder_binding.other"
    );
    assert_eq!(inner["verdict"], "not_verified");

    // Known only by a hashed email: verified with a warning the page explains, and the email
    // check works on the credential inside the presentation.
    let issued = verifier.challenge().await;
    let (_, vp) = present(
        issuer.badge(5, "key-1", |_| {}),
        &issued,
        "verifier.example",
    );
    let report = verifier.verify_with(&vp, Some(&issued)).await;
    assert_eq!(report["verdict"], "verified", "{report:#}");
    let binding = check(&report["credentials"][0], "holder_binding");
    assert_eq!(binding["outcome"], "warning");
    assert_eq!(binding["code"], "holder_binding.hashed_email");

    let (status, html) = verifier
        .page(
            vec![
                ("credential", vp.to_string()),
                ("email", model::sample::SAMPLE_EMAIL.into()),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("data-check=\"holder_binding\" data-outcome=\"warning\""),
        "{html}"
    );
    assert!(html.contains("not bound to the presenter"), "{html}");
    assert!(
        html.contains("Anyone who has a copy of this credential can put it in a presentation"),
        "{html}"
    );
    assert!(
        html.contains("This email address matches the recipient."),
        "{html}"
    );
    // The page POSTs no challenge: the presentation is not called verified.
    assert!(!html.contains("<h1>Verified</h1>"), "{html}");
}

/// The replay set on the real PostgreSQL (`PASSERELLE_TEST_POSTGRES_URL`).
async fn postgres_replay_set() -> ReplaySet {
    let url = std::env::var("PASSERELLE_TEST_POSTGRES_URL").expect(
        "set PASSERELLE_TEST_POSTGRES_URL (e.g. \
         postgres://passerelle:passerelle@127.0.0.1:5432/passerelle_test): this test needs \
         the shared replay set",
    );
    ReplaySet::postgres(&url).await.unwrap()
}

#[tokio::test]
async fn two_instances_share_signed_challenges_and_one_replay_set() {
    let issuer = Issuer::start().await;
    let secret = vec![0x5a; 32];
    let start = |replay: ReplaySet| {
        let challenges = Challenges::new(secret.clone(), replay, server::CHALLENGE_TTL);
        start_verifier_with(&issuer, true, &[], challenges, false)
    };
    let a = start(postgres_replay_set().await).await;
    let b = start(postgres_replay_set().await).await;

    // Issued by A, used at B: verified.
    let issued = a.challenge().await;
    let (_, vp) = present(holder_badge(&issuer), &issued, "verifier.example");
    let report = b.verify_with(&vp, Some(&issued)).await;
    assert_eq!(report["verdict"], "verified", "{report:#}");
    // Replayed at A (or at B again): refused.
    for instance in [&a, &b] {
        let report = instance.verify_with(&vp, Some(&issued)).await;
        assert_eq!(report["verdict"], "not_verified", "{report:#}");
        assert_eq!(check(&report, "challenge")["code"], "challenge.replayed");
    }

    // The same presentation at both at once: exactly one is accepted.
    let issued = b.challenge().await;
    let (_, vp) = present(holder_badge(&issuer), &issued, "verifier.example");
    let (at_a, at_b) = tokio::join!(
        a.verify_with(&vp, Some(&issued)),
        b.verify_with(&vp, Some(&issued))
    );
    let verified = [&at_a, &at_b]
        .iter()
        .filter(|r| r["verdict"] == "verified")
        .count();
    assert_eq!(verified, 1, "{at_a:#}\n{at_b:#}");

    // A third instance with another secret does not recognise them.
    let stranger = start_verifier(&issuer, true, &[]).await;
    let issued = a.challenge().await;
    let (_, vp) = present(holder_badge(&issuer), &issued, "verifier.example");
    let report = stranger.verify_with(&vp, Some(&issued)).await;
    assert_eq!(check(&report, "challenge")["code"], "challenge.not_issued");
}

/// Issue 11.1: a signed badge with a forged `name` put before the real one (a text edit, so
/// the signature still covers the last `name`) is refused, naming the path of the duplicate;
/// issue 11.2: a byte that is not UTF-8 is refused with its offset, never replaced.
#[tokio::test]
async fn duplicate_keys_and_invalid_utf8_are_refused_with_where() {
    let issuer = Issuer::start().await;
    let verifier = start_verifier(&issuer, true, &[]).await;
    let badge = issuer.badge(5, "key-1", |_| {});
    let text = badge.to_string();
    let anchor = "\"achievement\":{";
    assert_eq!(text.matches(anchor).count(), 1, "{text}");
    let forged = text.replacen(anchor, &format!("{anchor}\"name\":\"EVIL before\","), 1);

    let (status, error) = verifier
        .post_raw("/api/v1/verify", forged.clone().into_bytes())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("\"name\" twice")
            && message.contains("credentialSubject.achievement.name"),
        "{message}"
    );
    let (status, error) = verifier
        .post_raw(
            "/credentials/verify",
            format!("{{\"verifiableCredential\":{forged}}}").into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .unwrap()
            .contains("verifiableCredential.credentialSubject.achievement.name"),
        "{error}"
    );
    let (status, page) = verifier.page(vec![], Some(forged.into_bytes())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("credentialSubject.achievement.name"),
        "{page}"
    );

    let offset = text.len() / 2;
    let mut bytes = text.clone().into_bytes();
    bytes.insert(offset, 0xff);
    let (status, error) = verifier.post_raw("/api/v1/verify", bytes.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("invalid byte at offset {offset}")),
        "{error}"
    );
    let (status, page) = verifier.page(vec![], Some(bytes.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(&format!("invalid byte at offset {offset}")),
        "{page}"
    );
    let mut wrapped = b"{\"verifiableCredential\":".to_vec();
    wrapped.extend_from_slice(&bytes);
    wrapped.push(b'}');
    let (status, error) = verifier.post_raw("/credentials/verify", wrapped).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let expected = format!("offset {}", offset + "{\"verifiableCredential\":".len());
    assert!(
        error["detail"].as_str().unwrap().contains(&expected),
        "{error}"
    );
    // The untouched badge still verifies.
    assert_eq!(verifier.verify(&badge).await["verdict"], "verified");
}
