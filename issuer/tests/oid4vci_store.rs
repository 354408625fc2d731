//! The OpenID4VCI part of the store (issue 14) on a real SQLite file and a real PostgreSQL
//! server (`PASSERELLE_TEST_POSTGRES_URL`): offers made with claim links, pre-authorized codes
//! (single use, expiry, transaction codes, replay), access tokens, nonces and deliveries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[macro_use]
mod common;

use chrono::{Duration, Utc};
use passerelle_issuer::secret::{self, LearnerSecret};
use passerelle_issuer::store::oid4vci::{CodeExchange, NewDelivery, NonceUse};
use passerelle_issuer::store::{
    CredentialId, IssuedCredential, NewAuditEntry, NewCredential, Store, TxCodeCheck,
};
use serde_json::json;

use common::TestDb;

on_both!(
    offers_follow_their_claim_links,
    codes_are_single_use_and_replay_revokes_tokens,
    tx_codes_are_checked_and_burn_the_code,
    expired_codes_and_at_most_one_live_code,
    nonces_are_single_use,
    deliveries_and_notifications,
);

async fn award(store: &Store) -> IssuedCredential {
    let achievement = store
        .create_achievement(
            &format!("a-{}", uuid::Uuid::new_v4().simple()),
            &json!({"id": "urn:uuid:1", "type": ["Achievement"], "name": "A"}),
        )
        .await
        .unwrap();
    let new = NewCredential {
        id: CredentialId::generate(),
        achievement_id: achievement.id.clone(),
        learner_key: format!("k-{}", uuid::Uuid::new_v4().simple()),
        external_id: None,
        learner_email: None,
        revocation: None,
        suspension: None,
        credential: "{}".into(),
        issued_at: Utc::now(),
    };
    store
        .insert_credential(&new)
        .await
        .unwrap()
        .credential()
        .clone()
}

fn check(secret: &LearnerSecret, pin: &str) -> TxCodeCheck {
    let salt = vec![7u8; 16];
    TxCodeCheck {
        mac: secret::tx_code_mac(secret, &salt, pin),
        salt,
    }
}

async fn offers_follow_their_claim_links(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let c = award(&store).await;
    let secret = LearnerSecret::from_bytes([1; 32]);
    let expires = Utc::now() + Duration::hours(1);
    let first = store
        .create_claim_with_offer(&c.id, Some(expires), Some(&check(&secret, "123456")), false)
        .await
        .unwrap();
    assert!(first.offer.expose().starts_with("ofr_"));
    let by_ref = store
        .offer_by_reference(first.offer.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_ref.credential_id, c.id);
    assert_eq!(by_ref.achievement_id, c.achievement_id);
    assert!(by_ref.tx_code.is_some());
    assert_eq!(
        by_ref.expires_at.unwrap().timestamp(),
        expires.timestamp(),
        "the offer lives as long as its claim link"
    );
    let by_claim = store
        .offer_for_claim(first.claim.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_claim, by_ref);
    // Only hashes are stored: the reference itself is nowhere in the table.
    assert!(store
        .offer_by_reference("ofr_nope")
        .await
        .unwrap()
        .is_none());
    // A claim link made without an offer (before OpenID4VCI) has none.
    let legacy = store.create_claim_token(&c.id, None).await.unwrap();
    assert!(store
        .offer_for_claim(legacy.expose())
        .await
        .unwrap()
        .is_none());
    // Replacing the links removes their offers too.
    let second = store
        .create_claim_with_offer(&c.id, None, None, true)
        .await
        .unwrap();
    assert!(store
        .offer_by_reference(first.offer.expose())
        .await
        .unwrap()
        .is_none());
    let fresh = store
        .offer_by_reference(second.offer.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(fresh.tx_code.is_none() && fresh.expires_at.is_none());
    store.replace_claim_tokens(&c.id, None).await.unwrap();
    assert!(store
        .offer_by_reference(second.offer.expose())
        .await
        .unwrap()
        .is_none());
    let missing = store
        .create_claim_with_offer(&CredentialId::generate(), None, None, false)
        .await;
    assert!(matches!(
        missing,
        Err(passerelle_issuer::StoreError::NotFound { .. })
    ));
}

async fn exchange(
    store: &Store,
    code: &str,
    tx: Option<&str>,
    secret: &LearnerSecret,
) -> CodeExchange {
    let now = Utc::now();
    store
        .exchange_pre_authorized_code(
            code,
            tx,
            |c, given| secret::tx_code_matches(secret, &c.salt, given, &c.mac),
            now,
            now + Duration::minutes(5),
            5,
        )
        .await
        .unwrap()
}

async fn codes_are_single_use_and_replay_revokes_tokens(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let secret = LearnerSecret::from_bytes([2; 32]);
    let c = award(&store).await;
    let code = store
        .mint_pre_authorized_code(&c.id, None, Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    let CodeExchange::Exchanged {
        access_token,
        credential_id,
        ..
    } = exchange(&store, code.expose(), None, &secret).await
    else {
        panic!("a fresh code was refused")
    };
    assert_eq!(credential_id, c.id);
    let record = store
        .access_token(access_token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(record.is_live(Utc::now()));
    assert!(!record.is_live(Utc::now() + Duration::minutes(6)));
    match exchange(&store, code.expose(), None, &secret).await {
        CodeExchange::Replayed { revoked, .. } => assert_eq!(revoked, 1),
        other => panic!("a replay gave {other:?}"),
    }
    let record = store
        .access_token(access_token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(record.revoked_at.is_some() && !record.is_live(Utc::now()));
    assert!(matches!(
        exchange(&store, "pac_unknown", None, &secret).await,
        CodeExchange::Unknown
    ));
    assert!(store.access_token("oat_unknown").await.unwrap().is_none());
    // Two instances racing for one code: exactly one wins.
    let code = store
        .mint_pre_authorized_code(&c.id, None, Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        exchange(&store, code.expose(), None, &secret),
        exchange(&store, code.expose(), None, &secret)
    );
    let won = [&a, &b]
        .iter()
        .filter(|o| matches!(o, CodeExchange::Exchanged { .. }))
        .count();
    assert_eq!(won, 1, "{a:?} / {b:?}");
}

async fn tx_codes_are_checked_and_burn_the_code(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let secret = LearnerSecret::from_bytes([3; 32]);
    let c = award(&store).await;
    let tx = check(&secret, "493817");
    let code = store
        .mint_pre_authorized_code(&c.id, Some(&tx), Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    assert!(matches!(
        exchange(&store, code.expose(), None, &secret).await,
        CodeExchange::MissingTxCode
    ));
    match exchange(&store, code.expose(), Some("000000"), &secret).await {
        CodeExchange::WrongTxCode { remaining, .. } => assert_eq!(remaining, 4),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        exchange(&store, code.expose(), Some("493817"), &secret).await,
        CodeExchange::Exchanged { .. }
    ));
    // Five wrong codes burn a code, and the right one no longer works after that.
    let code = store
        .mint_pre_authorized_code(&c.id, Some(&tx), Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    for left in (0..5).rev() {
        match exchange(&store, code.expose(), Some("111111"), &secret).await {
            CodeExchange::WrongTxCode { remaining, .. } => assert_eq!(remaining, left),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        exchange(&store, code.expose(), Some("493817"), &secret).await,
        CodeExchange::Burnt
    ));
    // A new code for the same transaction code gets no fresh attempts (no guessing by
    // reloading the offer); a new transaction code (a new offer) starts afresh.
    let again = store
        .mint_pre_authorized_code(&c.id, Some(&tx), Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    assert!(matches!(
        exchange(&store, again.expose(), Some("493817"), &secret).await,
        CodeExchange::Burnt
    ));
    let renewed = check(&secret, "271828");
    let fresh = store
        .mint_pre_authorized_code(&c.id, Some(&renewed), Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    assert!(matches!(
        exchange(&store, fresh.expose(), Some("271828"), &secret).await,
        CodeExchange::Exchanged { .. }
    ));
}

async fn expired_codes_and_at_most_one_live_code(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let secret = LearnerSecret::from_bytes([4; 32]);
    let c = award(&store).await;
    let old = store
        .mint_pre_authorized_code(&c.id, None, Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    assert!(matches!(
        exchange(&store, old.expose(), None, &secret).await,
        CodeExchange::Expired
    ));
    let first = store
        .mint_pre_authorized_code(&c.id, None, Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    let second = store
        .mint_pre_authorized_code(&c.id, None, Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    assert!(
        matches!(
            exchange(&store, first.expose(), None, &secret).await,
            CodeExchange::Unknown
        ),
        "minting a code retires the award's earlier unused one"
    );
    assert!(matches!(
        exchange(&store, second.expose(), None, &secret).await,
        CodeExchange::Exchanged { .. }
    ));
}

async fn nonces_are_single_use(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let nonce = store
        .create_nonce(Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    assert!(nonce.expose().starts_with("cn_"));
    let now = Utc::now();
    assert_eq!(
        store.consume_nonce(nonce.expose(), now).await.unwrap(),
        NonceUse::Fresh
    );
    assert_eq!(
        store.consume_nonce(nonce.expose(), now).await.unwrap(),
        NonceUse::Used
    );
    assert_eq!(
        store.consume_nonce("cn_other", now).await.unwrap(),
        NonceUse::Unknown
    );
    let stale = store
        .create_nonce(Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        store
            .consume_nonce(stale.expose(), now + Duration::minutes(6))
            .await
            .unwrap(),
        NonceUse::Expired
    );
    // Anyone may ask for nonces: each new one deletes those expired over an hour ago, so the
    // table does not grow with requests.
    let ancient = store
        .create_nonce(Utc::now() - Duration::hours(2))
        .await
        .unwrap();
    let recent = store
        .create_nonce(Utc::now() - Duration::minutes(1))
        .await
        .unwrap();
    store
        .create_nonce(Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        store.consume_nonce(ancient.expose(), now).await.unwrap(),
        NonceUse::Unknown
    );
    assert_eq!(
        store.consume_nonce(recent.expose(), now).await.unwrap(),
        NonceUse::Expired
    );
}

async fn deliveries_and_notifications(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let secret = LearnerSecret::from_bytes([5; 32]);
    let c = award(&store).await;
    let code = store
        .mint_pre_authorized_code(&c.id, None, Utc::now() + Duration::minutes(10))
        .await
        .unwrap();
    let CodeExchange::Exchanged { access_token, .. } =
        exchange(&store, code.expose(), None, &secret).await
    else {
        panic!()
    };
    let delivered = CredentialId::generate();
    let notification = store
        .record_delivery(
            &NewDelivery {
                id: delivered.clone(),
                credential_id: c.id.clone(),
                format: "ldp_vc".into(),
                holder_did: "did:key:z6MkHolder".into(),
                access_token: access_token.expose().to_owned(),
                issued_at: Utc::now(),
            },
            &NewAuditEntry {
                actor: "oid4vci-wallet".into(),
                action: "oid4vci.credential".into(),
                subject: delivered.to_string(),
                details: json!({"credential": c.id.as_str()}),
            },
        )
        .await
        .unwrap();
    let listed = store.deliveries(&c.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, delivered.as_str());
    assert_eq!(listed[0].holder_did, "did:key:z6MkHolder");
    assert_eq!(listed[0].notification_event, None);
    let audit = store.audit_entries(0, 100).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "oid4vci.credential"));
    // Another award's token cannot notify about this delivery.
    let other = award(&store).await;
    assert!(store
        .record_notification(
            notification.expose(),
            &other.id,
            "credential_accepted",
            Utc::now()
        )
        .await
        .unwrap()
        .is_none());
    let noted = store
        .record_notification(
            notification.expose(),
            &c.id,
            "credential_accepted",
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        noted.notification_event.as_deref(),
        Some("credential_accepted")
    );
    assert!(noted.notified_at.is_some());
    assert!(store
        .record_notification("ntf_unknown", &c.id, "credential_deleted", Utc::now())
        .await
        .unwrap()
        .is_none());
}
