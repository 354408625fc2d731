//! Every error answer of the token, credential and notification endpoints, and transaction codes.

use axum::http::{header, Method, StatusCode};
use chrono::Utc;
use passerelle_core::keys::KeyPair;
use passerelle_core::oid4vci::{self, OfferLink, PRE_AUTHORIZED_GRANT_TYPE};
use serde_json::json;

use crate::common::{rand_seed, TestDb, BASE};
use crate::{Fixture, Reply};

pub(crate) async fn token_errors(db: &TestDb) {
    let f = Fixture::new(db).await;
    let claim = f.issue("ada@example.org", None).await;
    let (code, needs_tx) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    assert!(!needs_tx);
    let bad = |r: Reply, expected: &str| assert_eq!(r.error(StatusCode::BAD_REQUEST), expected);
    bad(
        // (authorization_code is a grant of the OB 3.0 API since issue 15: see obapi tests.)
        f.token_raw("grant_type=password&code=x").await,
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

pub(crate) async fn tx_codes(db: &TestDb) {
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

pub(crate) async fn credential_errors(db: &TestDb) {
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

pub(crate) async fn notifications(db: &TestDb) {
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
