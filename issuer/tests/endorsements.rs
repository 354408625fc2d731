//! Endorsements (issue 16), on a real SQLite file and a real PostgreSQL server: an issuer signs
//! an EndorsementCredential as an endorser (it verifies with the core verifier and is revoked
//! through its own status list), and the endorsed issuer attaches received endorsements to its
//! Profile and Achievement so that credentials issued afterwards carry them exactly as attached.
//! The admin API routes are exercised through the router (`oneshot`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[macro_use]
mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Utc;
use common::{ob_schemas, rand_seed, sample_config, seed_issuer, Kind, TestDb, DID};
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, Achievement, CredentialKind, Criteria, Iri, Profile};
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome, Verdict};
use passerelle_core::{did, status};
use passerelle_issuer::endorsements::{self, AttachTarget, EndorseRequest, SignatureCheck};
use passerelle_issuer::issuance::{self, IssueError, IssueRequest, Issuer, Recipient};
use passerelle_issuer::server::{self, AppState, ServerOptions};
use passerelle_issuer::store::{NewIssuerProfile, Store};
use passerelle_issuer::{auth::CLI_ACTOR, secret::Passphrase};
use serde_json::{json, Value};
use tower::ServiceExt;

on_both!(
    an_endorsement_verifies_and_is_revoked_through_its_status_list,
    attached_endorsements_travel_in_credentials_issued_afterwards,
    attach_checks_subject_shape_and_signature,
    the_admin_api_endorses_attaches_and_detaches,
);

const ACHIEVEMENT_ID: &str = "https://learn.example/achievements/data-101";

/// The endorsed issuer: did:web:learn.example with one achievement `data-101`.
async fn endorsed(db: &TestDb) -> Issuer {
    let store = Store::connect(&db.url).await.expect("connect");
    let key = KeyPair::from_seed(&rand_seed());
    let mut config = sample_config(&key);
    // One status entry, so credentials cite the OB JSON Schema and verifiers check it too.
    config.issuance.suspension = false;
    seed_issuer(&store, &config, &key).await;
    let achievement = Achievement::new(
        Iri::parse(ACHIEVEMENT_ID).unwrap(),
        "Data literacy 101",
        "Reads, cleans and charts tabular data.",
        Criteria::new().narrative("Passed the final assessment."),
    );
    store
        .create_achievement("data-101", &serde_json::to_value(&achievement).unwrap())
        .await
        .unwrap();
    Issuer::from_parts(config, store, key)
        .await
        .expect("issuer")
        .with_schemas(ob_schemas())
}

/// How an endorser names itself.
enum Method_ {
    Key,
    Web,
}

/// An endorser (a quality-assurance agency) on a database of its own: did:key, or
/// did:web:agency.example.
async fn endorser(db: &TestDb, method: Method_) -> Issuer {
    let store = Store::connect(&db.url).await.expect("connect");
    let key = KeyPair::from_seed(&rand_seed());
    let mut config = sample_config(&key);
    let (did, vm) = match method {
        Method_::Key => (
            did::did_key(&key.public()).to_string(),
            did::did_key_verification_method(&key.public()),
        ),
        Method_::Web => (
            "did:web:agency.example".to_owned(),
            "did:web:agency.example#key-1".to_owned(),
        ),
    };
    config.name = "Quality Agency".into();
    config.url = "https://agency.example".into();
    config.did = did.clone();
    config.key.fragment = vm.rsplit('#').next().unwrap().to_owned();
    config.key.verification_method = vm;
    config.issuance.suspension = false;
    let profile = Profile::new(
        Iri::parse(&did).unwrap(),
        "Quality Agency",
        Iri::parse("https://agency.example").unwrap(),
    );
    store
        .set_issuer_profile(&NewIssuerProfile {
            name: "Quality Agency".into(),
            url: "https://agency.example".into(),
            did,
            profile: serde_json::to_value(&profile).unwrap(),
        })
        .await
        .unwrap();
    store
        .add_key(
            &config.key.fragment,
            &key,
            Passphrase::new(common::PASSPHRASE),
            common::FAST_KDF,
        )
        .await
        .unwrap();
    Issuer::from_parts(config, store, key)
        .await
        .expect("endorser")
}

/// A second database of the same kind as `db` (the endorser's).
async fn another(db: &TestDb) -> TestDb {
    match db.kind {
        Kind::Sqlite { .. } => TestDb::sqlite(),
        Kind::Postgres { .. } => TestDb::postgres().await,
    }
}

fn endorse_request(subject: &str) -> EndorseRequest {
    EndorseRequest {
        subject: subject.into(),
        comment: "Accredited programme, reviewed in **2026**.".into(),
        valid_from: Some("2026-01-01".into()),
        valid_until: Some("2031-01-01".into()),
        name: None,
    }
}

/// The core verifier's report on `doc` (JSON), with what `issuers` publish: their DID
/// documents (did:web) and their status lists, as a verifier fetching them would get them.
async fn report(doc: &Value, issuers: &[&Issuer]) -> verify::Report {
    let presented = verify::classify_json(doc.clone());
    let mut fetched = Fetched {
        schemas: ob_schemas(),
        ..Fetched::default()
    };
    for issuer in issuers {
        if issuer.did().starts_with("did:web:") {
            fetched.did_documents.insert(
                &did::Did::parse(&issuer.did()).unwrap(),
                issuer.did_document().await.unwrap(),
            );
        }
    }
    let mut urls = status::lists_needed(doc);
    for key in ["endorsement"] {
        for place in [&doc["issuer"], &doc["credentialSubject"]["achievement"]] {
            for e in place[key].as_array().into_iter().flatten() {
                urls.extend(status::lists_needed(e));
            }
        }
    }
    for url in urls {
        let uuid = url.rsplit('/').next().unwrap();
        let list_id = issuance::status_list_id_from_path(uuid).expect("a status list URL");
        for issuer in issuers {
            if url.starts_with(&issuer.base_url()) {
                if let Ok(list) = issuer.status_list_credential(&list_id, Utc::now()).await {
                    fetched.add_status_list(&url, list.credential, "served by the issuer");
                }
            }
        }
    }
    verify::check(&presented, &fetched, Utc::now(), &CheckOptions::default())
}

fn outcome(report: &verify::Report, id: CheckId) -> Outcome {
    report
        .check(id)
        .unwrap_or_else(|| panic!("no {id:?} check"))
        .outcome
}

fn issue_request(email: &str) -> IssueRequest {
    IssueRequest {
        achievement: "data-101".into(),
        recipient: Recipient::Email(email.into()),
        name: Some("Ada Lovelace".into()),
        completed: issuance::parse_completion_date("2026-03-01").unwrap(),
        result: None,
        evidence_url: None,
        evidence_narrative: None,
        external_id: None,
        claim_expires: None,
        tx_code: None,
    }
}

async fn audit_actions(store: &Store) -> Vec<String> {
    store
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

// ----- tests ---------------------------------------------------------------------------------------

async fn an_endorsement_verifies_and_is_revoked_through_its_status_list(db: &TestDb) {
    let agency = endorser(db, Method_::Web).await;
    let stored = agency
        .endorse(&endorse_request(ACHIEVEMENT_ID), CLI_ACTOR)
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(&stored.credential).unwrap();
    // The contract's shape, and the core's data-model check (OB endorsement rules included).
    assert_eq!(
        doc["type"],
        json!(["VerifiableCredential", "EndorsementCredential"])
    );
    assert_eq!(
        doc["credentialSubject"],
        json!({
            "id": ACHIEVEMENT_ID,
            "type": ["EndorsementSubject"],
            "endorsementComment": "Accredited programme, reviewed in **2026**.",
        })
    );
    assert_eq!(doc["issuer"]["id"], "did:web:agency.example");
    assert_eq!(doc["proof"][0]["cryptosuite"], "eddsa-rdfc-2022", "{doc:#}");
    assert_eq!(doc["credentialStatus"]["statusPurpose"], "revocation");
    assert_eq!(doc["validUntil"], "2031-01-01T00:00:00Z");
    let checked = model::check_credential(&doc).expect("passes the data-model check");
    assert_eq!(checked.kind, CredentialKind::Endorsement);
    assert_eq!(stored.subject_id, ACHIEVEMENT_ID);

    let before = report(&doc, &[&agency]).await;
    assert_eq!(before.verdict(), Verdict::Verified, "{before:#?}");
    assert_eq!(outcome(&before, CheckId::Status), Outcome::Pass);

    // Not a learner's credential: no credential row, nothing for statistics to count.
    assert!(agency
        .store()
        .credential(&stored.id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        agency.store().endorsements().await.unwrap(),
        vec![stored.clone()]
    );

    let revoked = agency
        .revoke_endorsement(&stored.id, Some("programme closed"), CLI_ACTOR)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        revoked.revocation_reason.as_deref(),
        Some("programme closed")
    );
    let after = report(&doc, &[&agency]).await;
    assert_eq!(outcome(&after, CheckId::Status), Outcome::Fail);
    assert_ne!(after.verdict(), Verdict::Verified);
    // Revoking again changes nothing; an unknown id is not found.
    agency
        .revoke_endorsement(&stored.id, None, CLI_ACTOR)
        .await
        .unwrap();
    let unknown = passerelle_issuer::store::CredentialId::generate();
    assert!(matches!(
        agency.revoke_endorsement(&unknown, None, CLI_ACTOR).await,
        Err(IssueError::Store(_) | IssueError::NotFound { .. })
    ));
    let actions = audit_actions(agency.store()).await;
    assert!(
        actions.contains(&"endorsement.issue".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"endorsement.revoke".to_owned()),
        "{actions:?}"
    );
    agency.store().close().await;
}

async fn attached_endorsements_travel_in_credentials_issued_afterwards(db: &TestDb) {
    let agency_db = another(db).await;
    let agency = endorser(&agency_db, Method_::Key).await;
    let school = endorsed(db).await;
    let earlier = school
        .issue(&issue_request("early@example.org"), CLI_ACTOR)
        .await
        .unwrap();

    let of_profile = agency
        .endorse(&endorse_request(DID), CLI_ACTOR)
        .await
        .unwrap();
    let of_achievement = agency
        .endorse(&endorse_request(ACHIEVEMENT_ID), CLI_ACTOR)
        .await
        .unwrap();
    // A did:key endorser's signature is always checked here.
    let attached = endorsements::attach(
        school.store(),
        &AttachTarget::Profile,
        of_profile.credential.as_bytes(),
        None,
        CLI_ACTOR,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(attached.signature, SignatureCheck::Verified);
    assert_eq!(attached.property, "endorsement");
    assert_eq!(attached.target_id, DID);
    school.reload_profile().await.unwrap();
    endorsements::attach(
        school.store(),
        &AttachTarget::Achievement("data-101".into()),
        of_achievement.credential.as_bytes(),
        None,
        CLI_ACTOR,
        Utc::now(),
    )
    .await
    .unwrap();

    let issued = school
        .issue(&issue_request("ada@example.org"), CLI_ACTOR)
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(&issued.credential.credential).unwrap();
    // Exactly as attached: the same JSON text for each embedded object.
    let as_text = |v: &Value| serde_json::to_string(v).unwrap();
    let profile_doc: Value = serde_json::from_str(&of_profile.credential).unwrap();
    let achievement_doc: Value = serde_json::from_str(&of_achievement.credential).unwrap();
    assert_eq!(doc["issuer"]["endorsement"].as_array().unwrap().len(), 1);
    assert_eq!(
        as_text(&doc["issuer"]["endorsement"][0]),
        as_text(&profile_doc)
    );
    assert_eq!(
        as_text(&doc["credentialSubject"]["achievement"]["endorsement"][0]),
        as_text(&achievement_doc)
    );
    // The credential passed the OB JSON Schema and the data-model check before signing (this
    // issuer has the schema loaded), and verifies; each endorsement verifies on its own too.
    let checked = report(&doc, &[&school, &agency]).await;
    assert_eq!(checked.verdict(), Verdict::Verified, "{checked:#?}");
    assert_eq!(outcome(&checked, CheckId::JsonSchema), Outcome::Pass);
    for e in [&profile_doc, &achievement_doc] {
        assert_eq!(report(e, &[&agency]).await.verdict(), Verdict::Verified);
    }
    // The one issued before carries none.
    let before: Value = serde_json::from_str(&earlier.credential.credential).unwrap();
    assert!(before["issuer"].get("endorsement").is_none());
    assert!(before["credentialSubject"]["achievement"]
        .get("endorsement")
        .is_none());

    // Detached: the next credential carries none.
    endorsements::detach(
        school.store(),
        &AttachTarget::Achievement("data-101".into()),
        of_achievement.id.as_str(),
        CLI_ACTOR,
    )
    .await
    .unwrap();
    let later = school
        .issue(&issue_request("grace@example.org"), CLI_ACTOR)
        .await
        .unwrap();
    let later: Value = serde_json::from_str(&later.credential.credential).unwrap();
    assert!(later["credentialSubject"]["achievement"]
        .get("endorsement")
        .is_none());
    assert_eq!(later["issuer"]["endorsement"], doc["issuer"]["endorsement"]);
    let actions = audit_actions(school.store()).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "endorsement.attach")
            .count(),
        2,
        "{actions:?}"
    );
    assert!(
        actions.contains(&"endorsement.detach".to_owned()),
        "{actions:?}"
    );
    agency.store().close().await;
    school.store().close().await;
    agency_db.finish().await;
}

async fn attach_checks_subject_shape_and_signature(db: &TestDb) {
    let agency_db = another(db).await;
    let agency = endorser(&agency_db, Method_::Web).await;
    let school = endorsed(db).await;
    let achievement = AttachTarget::Achievement("data-101".into());
    let attach = |bytes: Vec<u8>, target: AttachTarget, document: Option<Value>| {
        let store = school.store().clone();
        async move {
            endorsements::attach(
                &store,
                &target,
                &bytes,
                document.as_ref(),
                CLI_ACTOR,
                Utc::now(),
            )
            .await
        }
    };

    // About the profile, attached to the achievement: refused, naming both ids.
    let of_profile = agency
        .endorse(&endorse_request(DID), CLI_ACTOR)
        .await
        .unwrap();
    match attach(
        of_profile.credential.clone().into_bytes(),
        achievement.clone(),
        None,
    )
    .await
    {
        Err(IssueError::Invalid { field, reason }) => {
            assert_eq!(field, "endorsement.credentialSubject.id");
            assert!(
                reason.contains(DID) && reason.contains(ACHIEVEMENT_ID),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }

    // A did:web endorser without its DID document: attached, with the signature not checked.
    let of_achievement = agency
        .endorse(&endorse_request(ACHIEVEMENT_ID), CLI_ACTOR)
        .await
        .unwrap();
    let attached = attach(
        of_achievement.credential.clone().into_bytes(),
        achievement.clone(),
        None,
    )
    .await
    .unwrap();
    assert!(
        matches!(attached.signature, SignatureCheck::NotChecked { .. }),
        "{attached:?}"
    );
    // Twice: a conflict.
    assert!(matches!(
        attach(
            of_achievement.credential.clone().into_bytes(),
            achievement.clone(),
            None
        )
        .await,
        Err(IssueError::Conflict { .. })
    ));

    // With its DID document, the signature is checked: a tampered comment is refused…
    let did_document = agency.did_document().await.unwrap();
    let mut tampered: Value = serde_json::from_str(&of_profile.credential).unwrap();
    tampered["credentialSubject"]["endorsementComment"] = "Outstanding in every way.".into();
    match attach(
        serde_json::to_vec(&tampered).unwrap(),
        AttachTarget::Profile,
        Some(did_document.clone()),
    )
    .await
    {
        Err(IssueError::Invalid { field, .. }) => assert_eq!(field, "endorsement.proof"),
        other => panic!("{other:?}"),
    }
    // …and the genuine one verifies.
    let genuine = attach(
        of_profile.credential.clone().into_bytes(),
        AttachTarget::Profile,
        Some(did_document.clone()),
    )
    .await
    .unwrap();
    assert_eq!(genuine.signature, SignatureCheck::Verified);

    // A shape the data-model check refuses (no credentialSubject.id is not an endorsement of
    // anything) and a document that is not an endorsement.
    let mut broken: Value = serde_json::from_str(&of_achievement.credential).unwrap();
    broken["credentialSubject"]["type"] = json!(["AchievementSubject"]);
    assert!(matches!(
        attach(
            serde_json::to_vec(&broken).unwrap(),
            achievement.clone(),
            None
        )
        .await,
        Err(IssueError::Invalid { .. })
    ));
    let credential = school
        .issue(&issue_request("ada@example.org"), CLI_ACTOR)
        .await
        .unwrap();
    assert!(matches!(
        attach(
            credential.credential.credential.clone().into_bytes(),
            achievement.clone(),
            None
        )
        .await,
        Err(IssueError::Invalid { .. })
    ));

    // A compact JWS is refused: `endorsementJwt` is not a term of the OB 3.0 JSON-LD context,
    // so every credential carrying one would fail JSON-LD safe mode when signed.
    let mut unsigned: Value = serde_json::from_str(&of_profile.credential).unwrap();
    unsigned.as_object_mut().unwrap().remove("proof");
    let key = agency_key(&agency_db).await;
    let jws = passerelle_core::jose::sign_vc_jwt(&unsigned, &key, "did:web:agency.example#key-1")
        .unwrap();
    match attach(jws.into_bytes(), AttachTarget::Profile, Some(did_document)).await {
        Err(IssueError::Invalid { field, reason }) => {
            assert_eq!(field, "endorsement");
            assert!(reason.contains("endorsementJwt"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    school.reload_profile().await.unwrap();
    let issued = school
        .issue(&issue_request("grace@example.org"), CLI_ACTOR)
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(&issued.credential.credential).unwrap();
    assert_eq!(
        doc["issuer"]["endorsement"][0]["id"],
        of_profile.id.as_str()
    );
    assert!(doc["issuer"].get("endorsementJwt").is_none());
    assert_eq!(
        doc["credentialSubject"]["achievement"]["endorsement"][0]["id"],
        of_achievement.id.as_str()
    );
    let checked = report(&doc, &[&school, &agency]).await;
    assert_eq!(checked.verdict(), Verdict::Verified, "{checked:#?}");
    let profile = school
        .store()
        .issuer_profile()
        .await
        .unwrap()
        .unwrap()
        .profile;
    assert_eq!(
        profile["endorsement"].as_array().unwrap().len(),
        1,
        "{profile}"
    );
    agency.store().close().await;
    school.store().close().await;
    agency_db.finish().await;
}

/// The endorser's signing key, unsealed from its store.
async fn agency_key(db: &TestDb) -> KeyPair {
    let store = Store::connect(&db.url).await.unwrap();
    let active = store.active_key().await.unwrap().unwrap();
    let key = store
        .unlock_key(&active.id, Passphrase::new(common::PASSPHRASE))
        .await
        .unwrap();
    store.close().await;
    key
}

async fn send(
    router: &axum::Router,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    let bytes = match body {
        Some(v) => {
            request = request.header("content-type", "application/json");
            serde_json::to_vec(&v).unwrap()
        }
        None => Vec::new(),
    };
    let response = router
        .clone()
        .oneshot(request.body(Body::from(bytes)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {bytes:?}"))
    };
    (status, value)
}

async fn app(issuer: Issuer) -> (Arc<Issuer>, axum::Router, String) {
    let (_, secret) = issuer.store().create_api_token("tests").await.unwrap();
    let issuer = Arc::new(issuer);
    let router = server::app(AppState::new(Arc::clone(&issuer), ServerOptions::default()).unwrap());
    (issuer, router, secret.expose().to_owned())
}

async fn the_admin_api_endorses_attaches_and_detaches(db: &TestDb) {
    let agency_db = another(db).await;
    let (agency, agency_api, agency_token) = app(endorser(&agency_db, Method_::Key).await).await;
    let (school, school_api, school_token) = app(endorsed(db).await).await;

    // The endorser signs through its API.
    let (status, created) = send(
        &agency_api,
        &agency_token,
        Method::POST,
        "/api/v1/endorsements",
        Some(
            json!({"subject": DID, "comment": "Recognised provider.", "valid_until": "2030-12-31"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let endorsement = created["credential"].clone();
    assert_eq!(endorsement["credentialSubject"]["id"], DID);
    assert_eq!(created["status"], "active");
    let (status, bad) = send(
        &agency_api,
        &agency_token,
        Method::POST,
        "/api/v1/endorsements",
        Some(json!({"subject": DID, "comment": " "})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["field"], "comment");
    let (status, list) = send(
        &agency_api,
        &agency_token,
        Method::GET,
        "/api/v1/endorsements",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // The school attaches it to its Profile; the public /issuer document and the next
    // credential show it at once, exactly as attached.
    let (status, wrong) = send(
        &school_api,
        &school_token,
        Method::POST,
        "/api/v1/achievements/data-101/endorsements",
        Some(json!({"endorsement": endorsement})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}");
    assert_eq!(wrong["error"]["field"], "endorsement.credentialSubject.id");
    let (status, attached) = send(
        &school_api,
        &school_token,
        Method::POST,
        "/api/v1/issuer/endorsements",
        Some(json!({"endorsement": endorsement})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{attached}");
    assert_eq!(attached["signature_checked"], true);
    let (status, public) = send(&school_api, "", Method::GET, "/issuer", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public["endorsement"], json!([endorsement]));
    let issued = school
        .issue(&issue_request("ada@example.org"), CLI_ACTOR)
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(&issued.credential.credential).unwrap();
    assert_eq!(
        serde_json::to_string(&doc["issuer"]["endorsement"][0]).unwrap(),
        serde_json::to_string(&endorsement).unwrap()
    );
    let checked = report(&doc, &[&school, &agency]).await;
    assert_eq!(checked.verdict(), Verdict::Verified, "{checked:#?}");

    // Revoked by the endorser through its own route: its status list says so.
    let id = created["id"].as_str().unwrap();
    let (status, revoked) = send(
        &agency_api,
        &agency_token,
        Method::POST,
        &format!("/api/v1/endorsements/{id}/revoke"),
        Some(json!({"reason": "withdrawn"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(
        outcome(&report(&endorsement, &[&agency]).await, CheckId::Status),
        Outcome::Fail
    );

    // Detached from the Profile: /issuer no longer shows it.
    let (status, _) = send(
        &school_api,
        &school_token,
        Method::DELETE,
        &format!("/api/v1/issuer/endorsements/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, public) = send(&school_api, "", Method::GET, "/issuer", None).await;
    assert!(public.get("endorsement").is_none(), "{public}");
    let (status, _) = send(
        &school_api,
        &school_token,
        Method::DELETE,
        &format!("/api/v1/issuer/endorsements/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An endorsement of the achievement: attached through its route, shown by the public
    // achievement document, detached through its route.
    let (status, created) = send(
        &agency_api,
        &agency_token,
        Method::POST,
        "/api/v1/endorsements",
        Some(json!({"subject": ACHIEVEMENT_ID, "comment": "Meets the national standard."})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, attached) = send(
        &school_api,
        &school_token,
        Method::POST,
        "/api/v1/achievements/data-101/endorsements",
        Some(json!({"endorsement": created["credential"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{attached}");
    let (_, public) = send(&school_api, "", Method::GET, "/achievements/data-101", None).await;
    assert_eq!(public["endorsement"], json!([created["credential"]]));
    let (status, _) = send(
        &school_api,
        &school_token,
        Method::DELETE,
        &format!(
            "/api/v1/achievements/data-101/endorsements/{}",
            created["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, public) = send(&school_api, "", Method::GET, "/achievements/data-101", None).await;
    assert!(public.get("endorsement").is_none(), "{public}");

    let actions = audit_actions(school.store()).await;
    assert!(
        actions.contains(&"endorsement.attach".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"endorsement.detach".to_owned()),
        "{actions:?}"
    );
    agency.store().close().await;
    school.store().close().await;
    agency_db.finish().await;
}

/// The commands, run as the real binary in a temporary directory: an agency (did:key) endorses
/// a school's achievement, the school attaches it, the agency revokes it.
mod cli {
    use std::path::Path;
    use std::process::{Command, Output};

    use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome};
    use serde_json::Value;

    fn run(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_passerelle-issuer"))
            .args(args)
            .env_remove("PASSERELLE_ISSUER_DIR")
            .env_remove("DATABASE_URL")
            .output()
            .expect("run passerelle-issuer")
    }

    fn ok(args: &[&str]) -> String {
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn init(dir: &Path, name: &str, url: &str, did: &str) {
        let schema = super::common::vectors()
            .join("openbadges/schema/ob_v3p0_achievementcredential_schema.json");
        ok(&[
            "--dir",
            dir.to_str().unwrap(),
            "init",
            "--name",
            name,
            "--url",
            url,
            "--did",
            did,
            "--plain-key",
            "--ob-schema",
            schema.to_str().unwrap(),
        ]);
    }

    #[test]
    fn endorse_attach_and_revoke_from_the_command_line() {
        let tmp = tempfile::tempdir().unwrap();
        let agency = tmp.path().join("agency");
        let school = tmp.path().join("school");
        let (a, s) = (agency.to_str().unwrap(), school.to_str().unwrap());
        init(&agency, "Quality Agency", "https://agency.example", "key");
        init(&school, "Open Learning Lab", "https://learn.example", "web");
        ok(&[
            "--dir",
            s,
            "achievement",
            "create",
            "--slug",
            "data-101",
            "--name",
            "Data literacy 101",
            "--description",
            "Reads, cleans and charts tabular data.",
            "--criteria",
            "Passed the final assessment.",
        ]);
        let definition: Value = serde_json::from_str(&ok(&[
            "--dir",
            s,
            "achievement",
            "show",
            "data-101",
            "--json",
        ]))
        .unwrap();
        let achievement_id = definition["id"].as_str().unwrap().to_owned();

        let out = tmp.path().join("endorsement.json");
        let id = ok(&[
            "--dir",
            a,
            "endorse",
            "--subject",
            &achievement_id,
            "--comment",
            "Accredited programme.",
            "--valid-until",
            "2031-01-01",
            "--out",
            out.to_str().unwrap(),
        ]);
        let id = id.trim().to_owned();
        let text = std::fs::read_to_string(&out).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["id"], id.as_str());
        assert_eq!(doc["credentialSubject"]["id"], achievement_id.as_str());
        // Signed by the agency's did:key (resolved offline): proof, key and shape verify; the
        // status list is served by the agency's service, not fetched here.
        let presented = verify::parse_input(text.as_bytes(), &Default::default()).unwrap();
        let report = verify::check(
            &presented,
            &Fetched::default(),
            chrono::Utc::now(),
            &CheckOptions::default(),
        );
        for check in [
            CheckId::Proof,
            CheckId::VerificationMethod,
            CheckId::DataModel,
        ] {
            assert_eq!(
                report.check(check).unwrap().outcome,
                Outcome::Pass,
                "{check:?}"
            );
        }
        // Not overwritten on a second run.
        let again = run(&[
            "--dir",
            a,
            "endorse",
            "--subject",
            &achievement_id,
            "--comment",
            "x",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!again.status.success());

        // The school attaches it to the achievement (refused on the profile: another subject).
        let wrong = run(&[
            "--dir",
            s,
            "endorsement",
            "attach",
            out.to_str().unwrap(),
            "--profile",
        ]);
        assert!(!wrong.status.success());
        let stderr = String::from_utf8_lossy(&wrong.stderr);
        assert!(
            stderr.contains(&achievement_id) && stderr.contains("did:web:learn.example"),
            "{stderr}"
        );
        let attach = run(&[
            "--dir",
            s,
            "endorsement",
            "attach",
            out.to_str().unwrap(),
            "--achievement",
            "data-101",
        ]);
        assert!(
            attach.status.success(),
            "{}",
            String::from_utf8_lossy(&attach.stderr)
        );
        assert!(String::from_utf8_lossy(&attach.stderr).contains("verified"));
        let definition: Value = serde_json::from_str(&ok(&[
            "--dir",
            s,
            "achievement",
            "show",
            "data-101",
            "--json",
        ]))
        .unwrap();
        assert_eq!(
            serde_json::to_string(&definition["endorsement"][0]).unwrap(),
            serde_json::to_string(&doc).unwrap()
        );

        // The agency revokes it with the ordinary revoke command; its list shows it.
        assert_eq!(
            ok(&["--dir", a, "revoke", &id]).trim(),
            format!("{id} revoked")
        );
        let listed = ok(&["--dir", a, "endorsement", "list"]);
        assert!(
            listed.contains(&id) && listed.contains("revoked"),
            "{listed}"
        );

        // Detached again.
        ok(&[
            "--dir",
            s,
            "endorsement",
            "detach",
            &id,
            "--achievement",
            "data-101",
        ]);
        let definition: Value = serde_json::from_str(&ok(&[
            "--dir",
            s,
            "achievement",
            "show",
            "data-101",
            "--json",
        ]))
        .unwrap();
        assert!(definition.get("endorsement").is_none(), "{definition}");
    }
}
