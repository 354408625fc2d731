//! The issuance engine against a real SQLite file and a real PostgreSQL server
//! (`PASSERELLE_TEST_POSTGRES_URL`, which CI sets; unset, the PostgreSQL tests fail): every test
//! runs on both. Issued credentials are checked by the core verifier with the DID document and
//! status lists this issuer publishes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[macro_use]
mod common;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use common::{
    ob_schemas, rand_seed, sample_config, seed_issuer, vectors, TestDb, BASE, DID, PASSPHRASE,
};
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, Achievement, Criteria, IdentityObject, Iri};
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome, Verdict};
use passerelle_core::{did, status};
use passerelle_issuer::bulk::{self, BulkOptions, Progress, RowOutcome};
use passerelle_issuer::config::{IssuanceConfig, IssuerConfig};
use passerelle_issuer::issuance::{
    self, IssueError, IssueRequest, Issuer, Recipient, StatusChange,
};
use passerelle_issuer::secret::Passphrase;
use passerelle_issuer::store::{
    BulkJobStatus, BulkRowOutcome, CredentialId, ListPurpose, StatusSlot, Store,
};
use serde_json::Value;

on_both!(
    issued_credentials_verify_and_follow_their_status,
    issuance_is_idempotent,
    invalid_requests_name_the_field,
    the_email_never_appears_in_the_credential,
    concurrent_issuance_gives_distinct_credentials_and_indices,
    rotated_keys_keep_old_credentials_verifiable,
    status_lists_are_re_signed_only_when_they_change,
    learner_emails_are_kept_only_when_configured,
    bulk_jobs_record_progress_and_per_row_results,
    status_list_revisions_count_status_changes,
    status_list_etags_change_iff_bits_or_key_change,
    a_changed_list_is_never_served_under_its_old_etag,
    concurrent_requests_for_an_uncached_list_sign_it_once,
    another_instance_sees_a_revocation_within_its_window,
    learner_keys_are_keyed_and_unkeyed_rows_are_re_keyed,
    a_running_job_is_interrupted_only_when_its_run_is_gone,
);

/// A fresh issuer (profile, sealed key, one achievement `data-101`) on `db`.
async fn setup(db: &TestDb, issuance: IssuanceConfig) -> (Issuer, IssuerConfig) {
    let (issuer, config, _) = setup_with_key(db, issuance).await;
    (issuer, config)
}

/// [`setup`], also returning the signing key (to start a second instance on the same database).
async fn setup_with_key(db: &TestDb, issuance: IssuanceConfig) -> (Issuer, IssuerConfig, KeyPair) {
    let store = Store::connect(&db.url).await.expect("connect");
    let key = KeyPair::from_seed(&rand_seed());
    let mut config = sample_config(&key);
    config.issuance = issuance;
    seed_issuer(&store, &config, &key).await;
    let achievement = Achievement::new(
        Iri::parse(&format!("{BASE}/achievements/data-101")).unwrap(),
        "Data literacy 101",
        "Reads, cleans and charts tabular data.",
        Criteria::new().narrative("Passed the final assessment."),
    )
    .credits_available(5.0);
    store
        .create_achievement("data-101", &serde_json::to_value(&achievement).unwrap())
        .await
        .unwrap();
    let issuer = Issuer::from_parts(config.clone(), store, key.clone())
        .await
        .expect("issuer")
        .with_schemas(ob_schemas());
    (issuer, config, key)
}

/// The configuration most tests use: a suspension entry besides the revocation entry, so every
/// status path is exercised (the default, one revocation entry, has its own test).
fn suspending() -> IssuanceConfig {
    IssuanceConfig {
        suspension: true,
        ..IssuanceConfig::default()
    }
}

fn request(email: &str) -> IssueRequest {
    IssueRequest {
        achievement: "data-101".into(),
        recipient: Recipient::Email(email.into()),
        name: Some("Ada Lovelace".into()),
        completed: issuance::parse_completion_date("2026-03-01").unwrap(),
        result: Some("92/100".into()),
        evidence_url: Some("https://learn.example/projects/42".into()),
        evidence_narrative: Some("Built a cleaning pipeline.".into()),
        external_id: Some("enrolment-1".into()),
        claim_expires: None,
        tx_code: None,
    }
}

/// The core verifier's report on `credential`, with this issuer's DID document and the
/// status lists it serves now.
async fn report(issuer: &Issuer, credential: &str) -> verify::Report {
    let doc: Value = serde_json::from_str(credential).unwrap();
    let presented = verify::classify_json(doc.clone());
    let mut fetched = Fetched {
        schemas: ob_schemas(),
        ..Fetched::default()
    };
    let did_doc = issuer.did_document().await.unwrap();
    fetched
        .did_documents
        .insert(&did::Did::parse(DID).unwrap(), did_doc);
    for url in status::lists_needed(&doc) {
        let uuid = url.rsplit('/').next().unwrap();
        let list_id = issuance::status_list_id_from_path(uuid).expect("a status list URL");
        let list = issuer
            .status_list_credential(&list_id, Utc::now())
            .await
            .unwrap();
        fetched.add_status_list(&url, list.credential, "served by the issuer");
    }
    assert!(
        verify::needs(&presented, &fetched).did_documents.is_empty(),
        "the verifier still needs a DID document"
    );
    verify::check(&presented, &fetched, Utc::now(), &CheckOptions::default())
}

fn status_outcome(report: &verify::Report) -> Outcome {
    report
        .check(CheckId::Status)
        .expect("a status check")
        .outcome
}

async fn issued_credentials_verify_and_follow_their_status(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let issued = issuer
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap();
    assert!(issued.new);
    let claim = issued.claim.as_ref().expect("a claim link");
    assert!(claim.url.starts_with("https://learn.example/claim/clm_"));
    let first = report(&issuer, &issued.credential.credential).await;
    assert_eq!(first.verdict(), Verdict::Verified, "{}", first.to_json());
    assert_eq!(status_outcome(&first), Outcome::Pass);
    // Both entries are there, pointing at the issuer's /status/ URLs.
    let doc: Value = serde_json::from_str(&issued.credential.credential).unwrap();
    let entries = doc["credentialStatus"].as_array().expect("two entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["statusPurpose"], "revocation");
    assert_eq!(entries[1]["statusPurpose"], "suspension");
    assert!(entries[0]["statusListCredential"]
        .as_str()
        .unwrap()
        .starts_with("https://learn.example/status/"));

    // Suspend → not verified; reinstate → verified again.
    let id = issued.credential.id.clone();
    let suspended = issuer
        .set_status(&id, StatusChange::Suspend, Some("under review"), "test")
        .await
        .unwrap();
    assert!(suspended.suspended);
    let r = report(&issuer, &issued.credential.credential).await;
    assert_eq!(r.verdict(), Verdict::NotVerified);
    assert_eq!(status_outcome(&r), Outcome::Fail);
    issuer
        .set_status(&id, StatusChange::Unsuspend, None, "test")
        .await
        .unwrap();
    let r = report(&issuer, &issued.credential.credential).await;
    assert_eq!(r.verdict(), Verdict::Verified, "{}", r.to_json());

    // Revoke → fails on status, for good.
    let revoked = issuer
        .set_status(&id, StatusChange::Revoke, Some("plagiarism"), "test")
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    let r = report(&issuer, &issued.credential.credential).await;
    assert_eq!(r.verdict(), Verdict::NotVerified);
    assert_eq!(status_outcome(&r), Outcome::Fail);
    let again = issuer
        .set_status(&id, StatusChange::Unsuspend, None, "test")
        .await;
    assert!(
        matches!(again, Err(IssueError::Conflict { .. })),
        "{again:?}"
    );

    // A second learner's credential is unaffected by the first one's revocation.
    let other = issuer
        .issue(&request("bob@example.org"), "test")
        .await
        .unwrap();
    let r = report(&issuer, &other.credential.credential).await;
    assert_eq!(r.verdict(), Verdict::Verified);

    // Every action is in the audit log.
    let audit = issuer.store().audit_entries(0, 100).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for wanted in [
        "credential.issue",
        "credential.suspend",
        "credential.unsuspend",
        "credential.revoke",
    ] {
        assert!(
            actions.contains(&wanted),
            "{wanted} missing from {actions:?}"
        );
    }
    // Unknown credential → NotFound.
    let missing = issuer
        .set_status(
            &passerelle_issuer::store::CredentialId::generate(),
            StatusChange::Revoke,
            None,
            "test",
        )
        .await;
    assert!(matches!(missing, Err(IssueError::NotFound { .. })));
}

async fn issuance_is_idempotent(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let first = issuer
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap();
    let lists = issuer
        .store()
        .status_lists(ListPurpose::Revocation)
        .await
        .unwrap();
    let allocated = issuer.store().allocated_count(&lists[0].id).await.unwrap();
    // Same learner (differently written), same achievement, same external id: nothing new.
    let mut again = request("  ADA@example.org ");
    again.result = Some("100/100".into());
    let second = issuer.issue(&again, "test").await.unwrap();
    assert!(!second.new);
    assert_eq!(second.credential.id, first.credential.id);
    assert_eq!(second.credential.credential, first.credential.credential);
    assert_eq!(
        issuer.store().allocated_count(&lists[0].id).await.unwrap(),
        allocated,
        "a repeat allocated a status index"
    );
    assert!(second.claim.is_some(), "a repeat still gives a claim link");
    // Another external id is another credential.
    let mut other = request("ada@example.org");
    other.external_id = Some("enrolment-2".into());
    let third = issuer.issue(&other, "test").await.unwrap();
    assert!(third.new);
    assert_ne!(third.credential.id, first.credential.id);
    // By DID too.
    let holder = did::did_key(&KeyPair::from_seed(&[7; 32]).public()).to_string();
    let mut by_did = request("unused@example.org");
    by_did.recipient = Recipient::Did(holder.clone());
    let a = issuer.issue(&by_did, "test").await.unwrap();
    let b = issuer.issue(&by_did, "test").await.unwrap();
    assert!(a.new && !b.new);
    assert_eq!(a.credential.id, b.credential.id);
    let doc: Value = serde_json::from_str(&a.credential.credential).unwrap();
    assert_eq!(doc["credentialSubject"]["id"], holder.as_str());
    let count = issuer
        .store()
        .count_credentials(&first.credential.achievement_id)
        .await
        .unwrap();
    assert_eq!(count, 3);
}

/// A change that makes a request invalid.
type Mutation = Box<dyn Fn(&mut IssueRequest)>;

async fn invalid_requests_name_the_field(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "email",
            Box::new(|r| r.recipient = Recipient::Email("not-an-email".into())),
        ),
        (
            "email",
            Box::new(|r| r.recipient = Recipient::Email("".into())),
        ),
        (
            "did",
            Box::new(|r| r.recipient = Recipient::Did("did:nope".into())),
        ),
        (
            "evidence_url",
            Box::new(|r| r.evidence_url = Some("javascript:alert(1)".into())),
        ),
        (
            "evidence_url",
            Box::new(|r| r.evidence_url = Some("not a url".into())),
        ),
        ("result", Box::new(|r| r.result = Some("x".repeat(300)))),
        (
            "external_id",
            Box::new(|r| r.external_id = Some("a\u{0}b".into())),
        ),
        (
            "completion_date",
            Box::new(|r| {
                r.completed = (Utc::now() + Duration::days(30)).fixed_offset();
            }),
        ),
        (
            "claim_expires",
            Box::new(|r| r.claim_expires = Some(Utc::now() - Duration::hours(1))),
        ),
    ];
    for (field, mutate) in cases {
        let mut r = request("ada@example.org");
        mutate(&mut r);
        match issuer.issue(&r, "test").await {
            Err(IssueError::Invalid { field: got, reason }) => {
                assert_eq!(got, field, "{reason}");
                assert!(!reason.is_empty());
            }
            other => panic!("{field}: expected Invalid, got {other:?}"),
        }
    }
    let mut r = request("ada@example.org");
    r.achievement = "no-such-course".into();
    assert!(matches!(
        issuer.issue(&r, "test").await,
        Err(IssueError::NotFound {
            what: "achievement",
            ..
        })
    ));
    // Nothing was issued, nothing allocated.
    let lists = issuer
        .store()
        .status_lists(ListPurpose::Revocation)
        .await
        .unwrap();
    assert!(
        lists.is_empty(),
        "invalid requests allocated status indices"
    );
}

async fn the_email_never_appears_in_the_credential(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let email = "Grace.Hopper@Example.org";
    let a = issuer.issue(&request(email), "test").await.unwrap();
    let mut other = request(email);
    other.external_id = Some("enrolment-9".into());
    let b = issuer.issue(&other, "test").await.unwrap();
    for issued in [&a, &b] {
        let text = &issued.credential.credential;
        assert!(!text.to_lowercase().contains("grace"), "{text}");
        assert!(!text.contains("Ada Lovelace"), "the name leaked: {text}");
        assert!(!issued.credential.learner_key.contains("grace"));
        assert_eq!(issued.credential.learner_email, None);
        let doc: Value = serde_json::from_str(text).unwrap();
        let identity = &doc["credentialSubject"]["identifier"][0];
        assert_eq!(identity["hashed"], true);
        assert_eq!(identity["identityType"], "emailAddress");
        let parsed = IdentityObject::new(
            true,
            identity["identityHash"].as_str().unwrap(),
            "emailAddress",
            identity["salt"].as_str().map(str::to_owned),
        );
        assert!(model::identity_matches("grace.hopper@example.org", &parsed));
        assert!(!model::identity_matches("ada@example.org", &parsed));
    }
    // A fresh salt per credential: the same learner's badges cannot be linked by their hash.
    let hash = |i: &issuance::Issued| {
        let doc: Value = serde_json::from_str(&i.credential.credential).unwrap();
        doc["credentialSubject"]["identifier"][0]["identityHash"].clone()
    };
    assert_ne!(hash(&a), hash(&b));
}

async fn concurrent_issuance_gives_distinct_credentials_and_indices(db: &TestDb) {
    const TOTAL: usize = 2_000;
    const TASKS: usize = 40;
    let (first, config) = setup(db, suspending()).await;
    let first = Arc::new(first);
    // A second instance on the same database: its own pool, its own unlocked key.
    let store2 = Store::connect(&db.url).await.unwrap();
    let active = store2.active_key().await.unwrap().unwrap();
    let key2 = store2
        .unlock_key(&active.id, Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    let second = Arc::new(
        Issuer::from_parts(config, store2, key2)
            .await
            .unwrap()
            .with_schemas(ob_schemas()),
    );
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let issuer = if task % 2 == 0 {
            Arc::clone(&first)
        } else {
            Arc::clone(&second)
        };
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in (task..TOTAL).step_by(TASKS) {
                let mut r = request(&format!("learner{n}@example.org"));
                r.external_id = Some(format!("row-{n}"));
                r.evidence_url = None;
                r.evidence_narrative = None;
                let issued = issuer.issue(&r, "test").await.expect("issue");
                assert!(issued.new);
                ids.push(issued.credential);
            }
            ids
        }));
    }
    let mut credentials = Vec::new();
    for h in handles {
        credentials.extend(h.await.unwrap());
    }
    assert_eq!(credentials.len(), TOTAL);
    let ids: HashSet<_> = credentials.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), TOTAL, "credential ids repeat");
    let revocation: HashSet<_> = credentials
        .iter()
        .map(|c| c.revocation.clone().unwrap())
        .collect();
    let suspension: HashSet<_> = credentials
        .iter()
        .map(|c| c.suspension.clone().unwrap())
        .collect();
    assert_eq!(revocation.len(), TOTAL, "revocation indices repeat");
    assert_eq!(suspension.len(), TOTAL, "suspension indices repeat");
    // The indices in the signed documents are the stored ones.
    for c in credentials.iter().take(50) {
        let doc: Value = serde_json::from_str(&c.credential).unwrap();
        let index = doc["credentialStatus"][0]["statusListIndex"]
            .as_str()
            .unwrap();
        assert_eq!(index, c.revocation.as_ref().unwrap().index.to_string());
    }
    let count = first
        .store()
        .count_credentials(&credentials[0].achievement_id)
        .await
        .unwrap();
    assert_eq!(count, TOTAL as i64);
    // Spot-check that credentials from both instances verify.
    for c in credentials.iter().step_by(TOTAL / 4) {
        let r = report(&first, &c.credential).await;
        assert_eq!(r.verdict(), Verdict::Verified);
    }
}

async fn rotated_keys_keep_old_credentials_verifiable(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let before = issuer
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap();
    let old_vm = issuer.verification_method();
    let wrong = issuer
        .rotate_key(&Passphrase::new("wrong passphrase!!"), "test")
        .await;
    assert!(matches!(wrong, Err(IssueError::Locked { .. })), "{wrong:?}");
    let record = issuer
        .rotate_key(&Passphrase::new(PASSPHRASE), "test")
        .await
        .unwrap();
    assert_eq!(record.fragment, "key-2");
    let new_vm = issuer.verification_method();
    assert_eq!(new_vm, format!("{DID}#key-2"));
    assert_eq!(issuer.config().key.fragment, "key-2");
    let mut r = request("bob@example.org");
    r.external_id = Some("after-rotation".into());
    let after = issuer.issue(&r, "test").await.unwrap();
    let signed_with = |text: &str| -> String {
        let doc: Value = serde_json::from_str(text).unwrap();
        doc["proof"][0]["verificationMethod"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(signed_with(&before.credential.credential), old_vm);
    assert_eq!(signed_with(&after.credential.credential), new_vm);
    for c in [&before, &after] {
        let report = report(&issuer, &c.credential.credential).await;
        assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
    }
    // The DID document: the retired key is only an assertion method.
    let doc = issuer.did_document().await.unwrap();
    assert_eq!(doc["verificationMethod"].as_array().unwrap().len(), 2);
    let auth: Vec<&str> = doc["authentication"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(auth.iter().all(|vm| vm.ends_with("#key-2")), "{auth:?}");
    // The status list is signed by the new key now.
    let list = issuer
        .store()
        .status_lists(ListPurpose::Revocation)
        .await
        .unwrap();
    let signed = issuer
        .status_list_credential(&list[0].id, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        signed.credential["proof"][0]["verificationMethod"],
        new_vm.as_str()
    );
}

async fn status_lists_are_re_signed_only_when_they_change(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let issued = issuer
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap();
    let slot = issued.credential.revocation.clone().unwrap();
    let t1: DateTime<Utc> = Utc::now();
    let a = issuer
        .status_list_credential(&slot.list_id, t1)
        .await
        .unwrap();
    let b = issuer
        .status_list_credential(&slot.list_id, t1 + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(a, b, "an unchanged list was signed again");
    assert_eq!(
        a.credential["credentialSubject"]["statusPurpose"],
        "revocation"
    );
    assert_eq!(
        a.credential["id"],
        issuance::status_list_url(BASE, &slot.list_id).as_str()
    );
    issuer
        .set_status(&issued.credential.id, StatusChange::Revoke, None, "test")
        .await
        .unwrap();
    let c = issuer
        .status_list_credential(&slot.list_id, t1 + Duration::minutes(6))
        .await
        .unwrap();
    assert_ne!(c.etag, a.etag);
    let entry = status::parse_status_entries(
        &serde_json::from_str::<Value>(&issued.credential.credential).unwrap(),
    )
    .unwrap();
    let outcome = status::check_entry(&entry[0], &c.credential).unwrap();
    assert!(outcome.is_invalidating());
    let unknown =
        issuance::status_list_id_from_path("6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f").unwrap();
    assert!(matches!(
        issuer.status_list_credential(&unknown, t1).await,
        Err(IssueError::NotFound { .. })
    ));
    // Requests for lists that do not exist leave nothing in memory.
    assert_eq!(issuer.cached_status_lists(), 1);
    for n in 0..20 {
        let made_up =
            issuance::status_list_id_from_path(&format!("6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d{n:04}"))
                .unwrap();
        assert!(issuer
            .serve_status_list(&made_up, t1, std::time::Duration::from_secs(60))
            .await
            .is_err());
    }
    assert_eq!(issuer.cached_status_lists(), 1);
}

async fn learner_emails_are_kept_only_when_configured(db: &TestDb) {
    let (issuer, _) = setup(
        db,
        IssuanceConfig {
            keep_learner_emails: true,
            ..IssuanceConfig::default()
        },
    )
    .await;
    let issued = issuer
        .issue(&request(" Ada@Example.org"), "test")
        .await
        .unwrap();
    assert_eq!(
        issued.credential.learner_email.as_deref(),
        Some("ada@example.org")
    );
    assert!(!issued.credential.credential.contains("ada@example.org"));
    // Without suspension entries: one status object, which the OB 3.0 schema accepts as is.
    let doc: Value = serde_json::from_str(&issued.credential.credential).unwrap();
    assert!(doc["credentialStatus"].is_object());
    assert!(issued.credential.suspension.is_none());
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    issuance::validate_credential(&unsigned, Some(&ob_schemas())).unwrap();
    // The signed credential as a whole, as 1EdTech's validator sees it.
    assert!(matches!(
        ob_schemas().validate(model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, &doc),
        Some(Ok(()))
    ));
    let suspend = issuer
        .set_status(&issued.credential.id, StatusChange::Suspend, None, "test")
        .await;
    assert!(
        matches!(suspend, Err(IssueError::Conflict { .. })),
        "{suspend:?}"
    );
    let r = report(&issuer, &issued.credential.credential).await;
    assert_eq!(r.verdict(), Verdict::Verified);
    // It cites the schema it conforms to, and the verifier checks it.
    assert_eq!(
        doc["credentialSchema"][0]["id"],
        model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA
    );
    assert_eq!(
        r.check(CheckId::JsonSchema).unwrap().outcome,
        Outcome::Pass,
        "{}",
        r.to_json()
    );
}

async fn bulk_jobs_record_progress_and_per_row_results(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let issuer = Arc::new(issuer);
    let mut lines = String::new();
    for i in 0..40 {
        lines.push_str(&format!(
            "{{\"email\":\"l{i}@example.org\",\"completion_date\":\"2026-03-01\",\"external_id\":\"r{i}\"}}\n"
        ));
    }
    lines.push_str(
        "{\"email\":\"nope\",\"completion_date\":\"2026-03-01\",\"external_id\":\"bad\"}\n",
    );
    lines.push_str("{\"email\":\"x@example.org\"}\n");
    let options = BulkOptions {
        batch_size: 7,
        source: "api".into(),
        actor: "token-1".into(),
        ..BulkOptions::default()
    };
    let progress = Progress::default();
    let mut seen = Vec::new();
    let summary = bulk::run(
        &issuer,
        "data-101",
        bulk::json_lines_rows(&lines, "data-101"),
        &options,
        &progress,
        |r| seen.push(r.clone()),
    )
    .await
    .unwrap();
    assert_eq!(summary.totals.issued, 40);
    assert_eq!(summary.totals.failed, 2);
    assert_eq!(summary.totals.processed, 42);
    assert_eq!(seen.len(), 42);
    let rows: Vec<u64> = seen.iter().map(|r| r.row).collect();
    assert_eq!(rows, (1..=42).collect::<Vec<_>>(), "results in row order");
    let job = issuer
        .store()
        .bulk_job(&summary.job_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, BulkJobStatus::Completed);
    assert_eq!((job.issued, job.failed, job.processed), (40, 2, 42));
    let stored = issuer
        .store()
        .bulk_job_rows(&summary.job_id, 0, 100)
        .await
        .unwrap();
    assert_eq!(stored.len(), 42);
    assert_eq!(stored[40].outcome, BulkRowOutcome::Failed);
    assert_eq!(stored[40].column.as_deref(), Some("email"));
    assert_eq!(stored[41].column.as_deref(), Some("completion_date"));
    assert!(stored[0].credential_id.is_some());
    // Issued credentials verify; a second run finds them all.
    if let RowOutcome::Issued { credential, .. } = &seen[3].outcome {
        assert_eq!(
            report(&issuer, credential).await.verdict(),
            Verdict::Verified
        );
    } else {
        panic!("row 4 not issued: {:?}", seen[3]);
    }
    let mut again_seen = Vec::new();
    let again = bulk::run(
        &issuer,
        "data-101",
        bulk::json_lines_rows(&lines, "data-101"),
        &options,
        &Progress::default(),
        |r| again_seen.push(r.clone()),
    )
    .await
    .unwrap();
    assert_eq!((again.totals.issued, again.totals.existing), (0, 40));
    // Issue 12.3: re-submitting the same rows (the admin API's default) mints no new claim
    // links; the first run's links keep working.
    let token = |r: &bulk::RowResult| match &r.outcome {
        RowOutcome::Issued { claim_url, .. } => claim_url
            .as_deref()
            .map(|u| u.rsplit('/').next().unwrap().to_owned()),
        other => panic!("row {} not issued: {other:?}", r.row),
    };
    let first_links: Vec<String> = seen[..40].iter().map(|r| token(r).unwrap()).collect();
    assert!(
        again_seen[..40].iter().all(|r| token(r).is_none()),
        "a re-run minted claim links: {again_seen:?}"
    );
    let redeems = |t: String| {
        let issuer = Arc::clone(&issuer);
        async move {
            issuer
                .store()
                .redeem_claim_token(&t, chrono::Utc::now())
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(redeems(first_links[0].clone()).await);
    // Asked for new links: each credential gets one, and the earlier links stop working.
    let mut renewed = Vec::new();
    let replace = BulkOptions {
        existing_claims: bulk::ExistingClaims::Replace,
        ..options.clone()
    };
    bulk::run(
        &issuer,
        "data-101",
        bulk::json_lines_rows(&lines, "data-101"),
        &replace,
        &Progress::default(),
        |r| renewed.push(r.clone()),
    )
    .await
    .unwrap();
    let new_links: Vec<String> = renewed[..40].iter().map(|r| token(r).unwrap()).collect();
    for (old, new) in first_links.into_iter().zip(new_links) {
        assert_ne!(old, new);
        assert!(!redeems(old).await, "an old claim link still works");
        assert!(redeems(new).await, "a new claim link does not work");
    }
    // The future is Send, so the HTTP service can spawn a job.
    fn is_send<T: Send>(_: &T) {}
    let rows: Vec<bulk::InputRow> = Vec::new();
    let p = Progress::default();
    let fut = bulk::run(&issuer, "data-101", rows, &options, &p, |_| {});
    is_send(&fut);
    drop(fut);
}

/// What the VCDM 2.0 negative vectors represent is refused before signing, with a field.
#[test]
fn negative_vectors_are_refused_before_signing() {
    let dir = vectors().join("negative/vcdm2-test-suite");
    let mut checked = 0;
    let mut accepted = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the VCDM 2.0 negative vectors") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let mut doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // Unsigned: what the issuer would be about to sign.
        if let Some(map) = doc.as_object_mut() {
            map.remove("proof");
        }
        checked += 1;
        match issuance::validate_credential(&doc, None) {
            Err(IssueError::Invalid { field, reason }) => {
                assert!(
                    !field.is_empty() && !reason.is_empty(),
                    "{}",
                    path.display()
                );
            }
            Err(other) => panic!("{}: not an Invalid error: {other:?}", path.display()),
            Ok(()) => accepted.push(path.file_name().unwrap().to_string_lossy().into_owned()),
        }
    }
    assert!(checked > 20, "only {checked} vectors found");
    assert!(
        accepted.is_empty(),
        "accepted negative vectors: {accepted:?}"
    );
}

// ----- status lists: revisions, the in-memory cache, several instances -------------------------

/// The bit of `slot` in a served status list credential.
fn served_bit(list: &Value, slot: &StatusSlot) -> u64 {
    let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
    status::Bitstring::decode(encoded, 1)
        .unwrap()
        .get(slot.index.value())
        .unwrap()
}

async fn revision(issuer: &Issuer, slot: &StatusSlot) -> u64 {
    issuer
        .store()
        .status_list_revision(&slot.list_id)
        .await
        .unwrap()
        .expect("the list exists")
}

async fn status_list_revisions_count_status_changes(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let first = issuer
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap()
        .credential;
    let revocation = first.revocation.clone().unwrap();
    let suspension = first.suspension.clone().unwrap();
    assert_eq!(revision(&issuer, &revocation).await, 0);
    assert_eq!(revision(&issuer, &suspension).await, 0);
    // Issuing allocates entries (0 bits): nothing a verifier sees changes.
    let second = issuer
        .issue(&request("grace@example.org"), "test")
        .await
        .unwrap()
        .credential;
    assert_eq!(revision(&issuer, &revocation).await, 0, "issue bumped it");
    assert_eq!(revision(&issuer, &suspension).await, 0, "issue bumped it");

    let change = |id: &CredentialId, change| {
        let issuer = &issuer;
        let id = id.clone();
        async move {
            issuer.set_status(&id, change, None, "test").await.unwrap();
        }
    };
    change(&first.id, StatusChange::Suspend).await;
    assert_eq!(revision(&issuer, &suspension).await, 1);
    assert_eq!(revision(&issuer, &revocation).await, 0, "wrong list bumped");
    // Suspending a suspended credential writes no bit and bumps nothing.
    change(&first.id, StatusChange::Suspend).await;
    assert_eq!(revision(&issuer, &suspension).await, 1);
    change(&first.id, StatusChange::Unsuspend).await;
    assert_eq!(revision(&issuer, &suspension).await, 2);
    change(&first.id, StatusChange::Revoke).await;
    assert_eq!(revision(&issuer, &revocation).await, 1);
    change(&first.id, StatusChange::Revoke).await;
    assert_eq!(revision(&issuer, &revocation).await, 1, "already revoked");
    change(&second.id, StatusChange::Revoke).await;
    assert_eq!(revision(&issuer, &revocation).await, 2);
    assert_eq!(revision(&issuer, &suspension).await, 2);
    let unknown =
        issuance::status_list_id_from_path("6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f").unwrap();
    assert_eq!(
        issuer.store().status_list_revision(&unknown).await.unwrap(),
        None
    );
}

async fn status_list_etags_change_iff_bits_or_key_change(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let ada = issuer
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap()
        .credential;
    let slot = ada.suspension.clone().unwrap();
    let get = || async {
        issuer
            .serve_status_list(&slot.list_id, Utc::now(), std::time::Duration::ZERO)
            .await
            .map(|served| served.list)
    };
    let initial = get().await.unwrap();
    assert!(initial.etag.starts_with("W/\""), "{}", initial.etag);
    assert_eq!(
        initial.body,
        initial.credential.to_string().as_bytes(),
        "the body is the signed credential"
    );

    // Another credential: an allocated 0 bit; the same list, not even signed again.
    issuer
        .issue(&request("grace@example.org"), "test")
        .await
        .unwrap();
    let after_issue = get().await.unwrap();
    assert!(
        Arc::ptr_eq(&initial, &after_issue),
        "re-signed after an issue"
    );

    issuer
        .set_status(&ada.id, StatusChange::Suspend, None, "test")
        .await
        .unwrap();
    let suspended = get().await.unwrap();
    assert_ne!(suspended.etag, initial.etag, "the bits changed");
    assert_eq!(served_bit(&suspended.credential, &slot), 1);

    // Reinstated: the bits are those of the start again, and so is the tag.
    issuer
        .set_status(&ada.id, StatusChange::Unsuspend, None, "test")
        .await
        .unwrap();
    let reinstated = get().await.unwrap();
    assert_eq!(reinstated.etag, initial.etag, "same bits, same key");
    assert_eq!(served_bit(&reinstated.credential, &slot), 0);

    // A new key: same bits, new tag, signed by the new key.
    issuer
        .rotate_key(&Passphrase::new(PASSPHRASE), "test")
        .await
        .unwrap();
    let rotated = get().await.unwrap();
    assert_ne!(rotated.etag, initial.etag, "the key changed");
    assert_eq!(
        rotated.credential["proof"][0]["verificationMethod"],
        issuer.verification_method().as_str()
    );
    assert_eq!(rotated.verification_method, issuer.verification_method());
    assert_eq!(
        rotated.credential["credentialSubject"]["encodedList"],
        initial.credential["credentialSubject"]["encodedList"]
    );
}

async fn a_changed_list_is_never_served_under_its_old_etag(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let mut credentials = Vec::new();
    for n in 0..6 {
        let issued = issuer
            .issue(&request(&format!("learner-{n}@example.org")), "test")
            .await
            .unwrap();
        credentials.push(issued.credential);
    }
    let list_id = credentials[0].revocation.clone().unwrap().list_id;
    // A window far longer than the test: only the expiry by `set_status` can end it.
    let window = std::time::Duration::from_secs(600);
    let serve = || issuer.serve_status_list(&list_id, Utc::now(), window);
    // Each tag ever served, with the list it was served with.
    let mut seen: std::collections::HashMap<String, Value> = Default::default();
    let mut record = |served: &issuance::ServedStatusList| {
        let encoded = served.list.credential["credentialSubject"]["encodedList"].clone();
        let previous = seen.insert(served.list.etag.clone(), encoded.clone());
        assert!(
            previous.is_none_or(|p| p == encoded),
            "one tag, two lists: {}",
            served.list.etag
        );
    };
    let first = serve().await.unwrap();
    record(&first);
    let again = serve().await.unwrap();
    assert!(
        Arc::ptr_eq(&first.list, &again.list),
        "not served from memory"
    );
    assert!(again.age < window);
    record(&again);
    let mut previous_etag = first.list.etag.clone();
    for credential in &credentials {
        issuer
            .set_status(&credential.id, StatusChange::Revoke, None, "test")
            .await
            .unwrap();
        let served = serve().await.unwrap();
        record(&served);
        assert_ne!(
            served.list.etag, previous_etag,
            "the changed list was served under its old tag"
        );
        assert_eq!(
            served_bit(
                &served.list.credential,
                credential.revocation.as_ref().unwrap()
            ),
            1
        );
        // And the engine's verifier agrees, on exactly the bytes served.
        let entries = status::parse_status_entries(
            &serde_json::from_str::<Value>(&credential.credential).unwrap(),
        )
        .unwrap();
        let body: Value = serde_json::from_slice(&served.list.body).unwrap();
        assert!(status::check_entry(&entries[0], &body)
            .unwrap()
            .is_invalidating());
        previous_etag = served.list.etag.clone();
    }
    let report = report(&issuer, &credentials[0].credential).await;
    assert_eq!(
        report.verdict(),
        Verdict::NotVerified,
        "{}",
        report.to_json()
    );
    assert_eq!(status_outcome(&report), Outcome::Fail);
}

async fn concurrent_requests_for_an_uncached_list_sign_it_once(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let issued = issuer
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap();
    let list_id = issued.credential.revocation.unwrap().list_id;
    let issuer = Arc::new(issuer);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let issuer = Arc::clone(&issuer);
        let list_id = list_id.clone();
        tasks.push(tokio::spawn(async move {
            issuer
                .serve_status_list(&list_id, Utc::now(), std::time::Duration::ZERO)
                .await
                .unwrap()
                .list
        }));
    }
    let mut lists = Vec::new();
    for task in tasks {
        lists.push(task.await.unwrap());
    }
    // Every request got the one list signed by the first; a second signature (made in another
    // second, or even in the same one) would be a different allocation.
    assert!(
        lists.iter().all(|l| Arc::ptr_eq(l, &lists[0])),
        "the list was signed more than once"
    );
}

async fn another_instance_sees_a_revocation_within_its_window(db: &TestDb) {
    let (a, config, key) = setup_with_key(db, suspending()).await;
    let b = Issuer::from_parts(config, Store::connect(&db.url).await.unwrap(), key)
        .await
        .expect("a second instance");
    let issued = a
        .issue(&request("ada@example.org"), "test")
        .await
        .unwrap()
        .credential;
    let slot = issued.revocation.clone().unwrap();
    let window = std::time::Duration::from_millis(400);
    let before = b
        .serve_status_list(&slot.list_id, Utc::now(), window)
        .await
        .unwrap();
    assert_eq!(served_bit(&before.list.credential, &slot), 0);

    a.set_status(&issued.id, StatusChange::Revoke, None, "test")
        .await
        .unwrap();
    let revoked_at = std::time::Instant::now();
    // Within the window B may still answer from memory — but only with the list as it was
    // confirmed (before the revocation), and saying how old that confirmation is.
    let since_revocation = revoked_at.elapsed();
    let during = b
        .serve_status_list(&slot.list_id, Utc::now(), window)
        .await
        .unwrap();
    if Arc::ptr_eq(&during.list, &before.list) {
        assert!(
            during.age < window,
            "stale beyond the window: {:?}",
            during.age
        );
        assert!(
            during.age >= since_revocation,
            "its age hides the staleness"
        );
    } else {
        assert_eq!(served_bit(&during.list.credential, &slot), 1);
    }
    // Past the window, B reads the revision and serves the change.
    tokio::time::sleep(window).await;
    let after = b
        .serve_status_list(&slot.list_id, Utc::now(), window)
        .await
        .unwrap();
    assert_eq!(served_bit(&after.list.credential, &slot), 1, "not visible");
    assert_ne!(after.list.etag, before.list.etag);
    assert_eq!(after.age, std::time::Duration::ZERO);
    // Without a window the change is visible at once (a fresh third look through B).
    assert_eq!(
        b.status_list_credential(&slot.list_id, Utc::now())
            .await
            .unwrap()
            .etag,
        after.list.etag
    );
    // Both instances publish the same bits under the same tag, and what B serves verifies.
    let from_a = a
        .status_list_credential(&slot.list_id, Utc::now())
        .await
        .unwrap();
    assert_eq!(from_a.etag, after.list.etag);
    let report = report(&b, &issued.credential).await;
    assert_eq!(
        report.verdict(),
        Verdict::NotVerified,
        "{}",
        report.to_json()
    );
    assert_eq!(status_outcome(&report), Outcome::Fail);
}

/// Issue 11.6: a learner key is an HMAC under a secret wrapped under the signing key, not a hash
/// of public inputs; rows of an older database are re-keyed — at start when their address was
/// kept, at the learner's next issuance otherwise — and key rotation keeps every learner key.
async fn learner_keys_are_keyed_and_unkeyed_rows_are_re_keyed(db: &TestDb) {
    let keeping = IssuanceConfig {
        keep_learner_emails: true,
        ..IssuanceConfig::default()
    };
    let (a, config, key) = setup_with_key(db, keeping).await;
    let email = |e: &str| Recipient::Email(e.into());
    let ada = a.issue(&request("ada@example.org"), "test").await.unwrap();
    let ada_keyed = ada.credential.learner_key.clone();
    assert!(ada_keyed.starts_with("email-hmac:"), "{ada_keyed}");
    let ada_unkeyed = issuance::legacy_learner_key(DID, &email("ada@example.org")).unwrap();
    assert_ne!(
        ada_keyed, ada_unkeyed,
        "anyone with the address computes this one"
    );
    // A second instance on the same database and key that does not keep addresses.
    let mut forgetting = config.clone();
    forgetting.issuance.keep_learner_emails = false;
    let b = Issuer::from_parts(
        forgetting.clone(),
        Store::connect(&db.url).await.unwrap(),
        key.clone(),
    )
    .await
    .unwrap()
    .with_schemas(ob_schemas());
    assert_eq!(
        b.learner_key(&email(" ADA@example.org")),
        ada_keyed,
        "one secret per issuer"
    );
    let bob = b.issue(&request("bob@example.org"), "test").await.unwrap();
    assert!(bob.credential.learner_email.is_none());
    let bob_keyed = bob.credential.learner_key.clone();

    // Make it an older database: both rows carry the unkeyed key.
    let bob_unkeyed = issuance::legacy_learner_key(DID, &email("bob@example.org")).unwrap();
    a.store()
        .set_learner_key(ada.credential.id.as_str(), &ada_unkeyed)
        .await
        .unwrap();
    a.store()
        .set_learner_key(bob.credential.id.as_str(), &bob_unkeyed)
        .await
        .unwrap();
    assert_eq!(a.store().legacy_learner_keys().await.unwrap(), 2);

    // At start, the row whose address was kept is re-keyed; Bob's waits for Bob.
    let c = Issuer::from_parts(
        forgetting,
        Store::connect(&db.url).await.unwrap(),
        key.clone(),
    )
    .await
    .unwrap()
    .with_schemas(ob_schemas());
    assert_eq!(c.store().legacy_learner_keys().await.unwrap(), 1);
    let again = c.issue(&request("bob@example.org"), "test").await.unwrap();
    assert!(
        !again.new,
        "Bob's old row was not found: a duplicate was issued"
    );
    assert_eq!(again.credential.id, bob.credential.id);
    assert_eq!(again.credential.learner_key, bob_keyed);
    assert_eq!(c.store().legacy_learner_keys().await.unwrap(), 0);
    let ada_again = c.issue(&request("ada@example.org"), "test").await.unwrap();
    assert!(!ada_again.new);
    assert_eq!(ada_again.credential.learner_key, ada_keyed);

    // Rotation: the new key opens the same secret, so learner keys do not change.
    c.rotate_key(&Passphrase::new(PASSPHRASE), "test")
        .await
        .unwrap();
    let new_key_pair = {
        let store = c.store();
        let active = store.active_key().await.unwrap().unwrap();
        store
            .unlock_key(&active.id, Passphrase::new(PASSPHRASE))
            .await
            .unwrap()
    };
    let d = Issuer::from_parts(
        c.config(),
        Store::connect(&db.url).await.unwrap(),
        new_key_pair,
    )
    .await
    .expect("the rotated key opens the learner secret");
    assert_eq!(d.learner_key(&email("ada@example.org")), ada_keyed);

    // A key that was never given the secret is refused rather than given a new one.
    let stranger = KeyPair::from_seed(&rand_seed());
    let mut strange = config.clone();
    strange.key.public_multikey = stranger.public().to_multikey();
    let refused =
        Issuer::from_parts(strange, Store::connect(&db.url).await.unwrap(), stranger).await;
    assert!(
        matches!(&refused, Err(IssueError::Locked { reason }) if reason.contains("learner-key secret")),
        "{refused:?}"
    );
}

/// Issue 11.11: a `running` job whose process lives (here: this test) is left alone however old
/// its heartbeat looks to a machine that cannot see the process; one whose heartbeat has been
/// silent longer than the window is marked interrupted. (A process of this machine that is gone
/// is marked at once: `tests/end_to_end/issuer_bulk.rs`, which SIGKILLs a real run.)
async fn a_running_job_is_interrupted_only_when_its_run_is_gone(db: &TestDb) {
    let (issuer, _) = setup(db, suspending()).await;
    let achievement = issuer.achievement("data-101").await.unwrap();
    let job = issuer
        .store()
        .create_bulk_job(&achievement.id, "test.csv", "test", false)
        .await
        .unwrap();
    let status = |jobs: Vec<passerelle_issuer::store::BulkJob>| {
        jobs.into_iter().find(|j| j.id == job.id).unwrap().status
    };
    // Heard from within the window and its process alive: running.
    let window_start = Utc::now() - Duration::minutes(1);
    assert_eq!(
        issuer
            .store()
            .mark_interrupted_bulk_jobs(window_start)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        status(issuer.store().bulk_jobs().await.unwrap()),
        BulkJobStatus::Running
    );
    // Silent for longer than the window (as a job of a lost machine would be): interrupted.
    let window_start = Utc::now() + Duration::minutes(1);
    assert_eq!(
        issuer
            .store()
            .mark_interrupted_bulk_jobs(window_start)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        status(issuer.store().bulk_jobs().await.unwrap()),
        BulkJobStatus::Interrupted
    );
}
