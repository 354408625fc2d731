//! The Open Badges 3.0 API part of the store (issue 15) on a real SQLite file and a real
//! PostgreSQL server (`PASSERELLE_TEST_POSTGRES_URL`): clients, pending authorization requests,
//! grants, codes (single use, expiry, replay), refresh rotation and replay, revocation, and the
//! credentials a grant reads. Time moves through the explicit `at` arguments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[macro_use]
mod common;

use chrono::{DateTime, Duration, Utc};
use passerelle_issuer::store::obapi::{
    Approval, AuthRequestSecrets, NewAuthRequest, Revocation, TokenExchange, TokenExpiry,
};
use passerelle_issuer::store::{
    AchievementId, CredentialId, IssuedCredential, ListPurpose, NewCredential, SecretToken, Store,
};
use serde_json::json;

use common::TestDb;

on_both!(
    clients_register_and_authenticate,
    requests_are_decided_once,
    codes_are_single_use_and_replay_revokes_their_tokens,
    refresh_rotates_and_replay_revokes_the_grant,
    revocation_follows_rfc_7009,
    grants_are_per_learner_and_can_be_disconnected,
    credentials_of_a_learner_page_by_issue_time,
);

const SCOPE: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";

fn t0() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn expiry(at: DateTime<Utc>) -> TokenExpiry {
    TokenExpiry {
        access: at + Duration::hours(1),
        refresh: at + Duration::days(180),
    }
}

async fn client(store: &Store) -> String {
    store
        .register_client("App", r#"{"client_name":"App"}"#)
        .await
        .unwrap()
        .0
        .id
}

async fn request(store: &Store, client_id: &str, at: DateTime<Utc>) -> AuthRequestSecrets {
    store
        .create_authorization_request(&NewAuthRequest {
            client_id: client_id.into(),
            redirect_uri: "http://127.0.0.1:1234/callback".into(),
            scope: SCOPE.into(),
            refused_scope: String::new(),
            state: "st".into(),
            code_challenge: "challenge".into(),
            expires_at: at + Duration::minutes(10),
        })
        .await
        .unwrap()
}

/// A code for `learner` through an approved request.
async fn code(store: &Store, client_id: &str, learner: &str, at: DateTime<Utc>) -> SecretToken {
    let r = request(store, client_id, at).await;
    match store
        .approve_authorization_request(r.request.expose(), learner, at, at + Duration::minutes(10))
        .await
        .unwrap()
    {
        Approval::Approved { code, .. } => code,
        other => panic!("not approved: {other:?}"),
    }
}

fn issued<E: std::fmt::Debug>(
    outcome: TokenExchange<E>,
) -> passerelle_issuer::store::obapi::IssuedTokens {
    match outcome {
        TokenExchange::Issued(tokens) => tokens,
        other => panic!("no tokens: {other:?}"),
    }
}

async fn exchange(
    store: &Store,
    code: &str,
    client_id: &str,
    at: DateTime<Utc>,
) -> TokenExchange<String> {
    store
        .exchange_authorization_code(code, client_id, at, expiry(at), |c| Ok(c.scope.clone()))
        .await
        .unwrap()
}

async fn refresh(
    store: &Store,
    token: &str,
    client_id: &str,
    at: DateTime<Utc>,
) -> TokenExchange<String> {
    store
        .refresh_tokens(token, client_id, at, expiry(at), |granted| {
            Ok(granted.to_owned())
        })
        .await
        .unwrap()
}

async fn clients_register_and_authenticate(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let (record, secret) = store
        .register_client("Backpack", r#"{"client_name":"Backpack"}"#)
        .await
        .unwrap();
    assert!(record.id.starts_with("obc_"));
    assert!(secret.expose().starts_with("obs_"));
    let found = store
        .authenticate_client(&record.id, secret.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, record);
    assert!(store
        .authenticate_client(&record.id, "obs_wrong")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .authenticate_client("obc_unknown", secret.expose())
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.client(&record.id).await.unwrap().unwrap(), record);
}

async fn requests_are_decided_once(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let id = client(&store).await;
    let at = t0();
    let r = request(&store, &id, at).await;
    assert!(r.request.expose().starts_with("oar_"));
    let record = store
        .authorization_request(r.request.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(record.is_open(at, 5));
    assert!(!record.is_open(at + Duration::minutes(10), 5), "expired");
    assert!(record.csrf_matches(r.csrf.expose()));
    assert!(!record.csrf_matches("ocs_other"));
    assert!(!format!("{record:?}").contains("challenge"));
    // Wrong claim links are counted.
    assert_eq!(
        store
            .fail_authorization_request(r.request.expose())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .fail_authorization_request(r.request.expose())
            .await
            .unwrap(),
        2
    );
    let record = store
        .authorization_request(r.request.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.failed_attempts, 2);
    assert!(!record.is_open(at, 2));
    // An expired request cannot be approved or denied.
    assert!(matches!(
        store
            .approve_authorization_request(
                r.request.expose(),
                "k",
                at + Duration::minutes(11),
                at + Duration::minutes(21)
            )
            .await
            .unwrap(),
        Approval::Closed
    ));
    // Denied once; then neither approval nor a second denial.
    let r2 = request(&store, &id, at).await;
    let denied = store
        .deny_authorization_request(r2.request.expose(), at)
        .await
        .unwrap();
    assert_eq!(denied.unwrap().state, "st");
    assert!(store
        .deny_authorization_request(r2.request.expose(), at)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store
            .approve_authorization_request(r2.request.expose(), "k", at, at + Duration::minutes(10))
            .await
            .unwrap(),
        Approval::Closed
    ));
    // Approved once: a second approval of the same request is refused.
    let r3 = request(&store, &id, at).await;
    let Approval::Approved {
        grant_id,
        request: rec,
        code,
    } = store
        .approve_authorization_request(r3.request.expose(), "k", at, at + Duration::minutes(10))
        .await
        .unwrap()
    else {
        panic!("not approved")
    };
    assert!(code.expose().starts_with("oac_"));
    assert_eq!(rec.redirect_uri, "http://127.0.0.1:1234/callback");
    assert!(matches!(
        store
            .approve_authorization_request(r3.request.expose(), "k", at, at + Duration::minutes(10))
            .await
            .unwrap(),
        Approval::Closed
    ));
    // The same learner approving again for the same client reuses the live grant.
    let r4 = request(&store, &id, at).await;
    let Approval::Approved {
        grant_id: again, ..
    } = store
        .approve_authorization_request(r4.request.expose(), "k", at, at + Duration::minutes(10))
        .await
        .unwrap()
    else {
        panic!("not approved")
    };
    assert_eq!(again, grant_id);
    assert!(store
        .authorization_request("oar_unknown")
        .await
        .unwrap()
        .is_none());
}

async fn codes_are_single_use_and_replay_revokes_their_tokens(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let id = client(&store).await;
    let other = client(&store).await;
    let at = t0();
    let c = code(&store, &id, "learner-1", at).await;
    // Another client cannot redeem it (and does not use it up).
    assert!(matches!(
        exchange(&store, c.expose(), &other, at).await,
        TokenExchange::Unknown
    ));
    let tokens = issued(exchange(&store, c.expose(), &id, at).await);
    assert!(tokens.access_token.expose().starts_with("obt_"));
    assert!(tokens.refresh_token.expose().starts_with("obr_"));
    assert_eq!(tokens.scope, SCOPE);
    let live = store
        .access_token_grant(tokens.access_token.expose(), at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.learner_key, "learner-1");
    assert_eq!(live.client_id, id);
    // The tokens from a rotation descend from the code too.
    let rotated = issued(refresh(&store, tokens.refresh_token.expose(), &id, at).await);
    // Replay: invalid, and every token from that code is revoked.
    let TokenExchange::Replayed { revoked, .. } = exchange(&store, c.expose(), &id, at).await
    else {
        panic!("a used code was accepted")
    };
    assert_eq!(
        revoked, 4,
        "the first pair and the pair it was rotated into"
    );
    for token in [&tokens.access_token, &rotated.access_token] {
        assert!(store
            .access_token_grant(token.expose(), at)
            .await
            .unwrap()
            .is_none());
    }
    assert!(matches!(
        refresh(&store, rotated.refresh_token.expose(), &id, at).await,
        TokenExchange::Expired
    ));
    // Expiry: a code is good until its instant, not at it.
    let late = code(&store, &id, "learner-1", at).await;
    assert!(matches!(
        exchange(&store, late.expose(), &id, at + Duration::minutes(10)).await,
        TokenExchange::Expired
    ));
    // A refused check (wrong PKCE verifier) uses the code up.
    let refused = code(&store, &id, "learner-1", at).await;
    let outcome = store
        .exchange_authorization_code(refused.expose(), &id, at, expiry(at), |_| {
            Err::<String, _>("wrong verifier")
        })
        .await
        .unwrap();
    assert!(matches!(outcome, TokenExchange::Refused("wrong verifier")));
    assert!(matches!(
        exchange(&store, refused.expose(), &id, at).await,
        TokenExchange::Replayed { .. }
    ));
    assert!(matches!(
        exchange(&store, "oac_unknown", &id, at).await,
        TokenExchange::Unknown
    ));
    // An access token expires at its instant.
    let fresh = issued(
        exchange(
            &store,
            code(&store, &id, "learner-1", at).await.expose(),
            &id,
            at,
        )
        .await,
    );
    assert!(store
        .access_token_grant(fresh.access_token.expose(), at + Duration::hours(1))
        .await
        .unwrap()
        .is_none());
    assert!(
        store
            .access_token_grant(fresh.refresh_token.expose(), at)
            .await
            .unwrap()
            .is_none(),
        "a refresh token is not an access token"
    );
}

async fn refresh_rotates_and_replay_revokes_the_grant(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let id = client(&store).await;
    let at = t0();
    let first = issued(exchange(&store, code(&store, &id, "k", at).await.expose(), &id, at).await);
    // A refused scope changes nothing.
    let outcome = store
        .refresh_tokens(first.refresh_token.expose(), &id, at, expiry(at), |_| {
            Err::<String, _>("invalid_scope")
        })
        .await
        .unwrap();
    assert!(matches!(outcome, TokenExchange::Refused("invalid_scope")));
    let later = at + Duration::days(30);
    let second = issued(refresh(&store, first.refresh_token.expose(), &id, later).await);
    assert_ne!(second.refresh_token, first.refresh_token);
    // The old access token still works until it expires; the new one works.
    assert!(store
        .access_token_grant(second.access_token.expose(), later)
        .await
        .unwrap()
        .is_some());
    // Another client presenting it: unknown, nothing revoked.
    let other = client(&store).await;
    assert!(matches!(
        refresh(&store, second.refresh_token.expose(), &other, later).await,
        TokenExchange::Unknown
    ));
    // Replay of the rotated-out token: the whole grant is revoked.
    let TokenExchange::Replayed { grant_id, revoked } =
        refresh(&store, first.refresh_token.expose(), &id, later).await
    else {
        panic!("a rotated-out refresh token was accepted")
    };
    assert_eq!(grant_id, second.grant_id);
    assert!(revoked >= 2);
    assert!(store
        .access_token_grant(second.access_token.expose(), later)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        refresh(&store, second.refresh_token.expose(), &id, later).await,
        TokenExchange::Expired
    ));
    assert!(store.grants_for_learner("k").await.unwrap().is_empty());
    // Idle lifetime: a refresh token expires at its instant.
    let third = issued(exchange(&store, code(&store, &id, "k", at).await.expose(), &id, at).await);
    assert_ne!(third.grant_id, grant_id, "a revoked grant is not reused");
    assert!(matches!(
        refresh(
            &store,
            third.refresh_token.expose(),
            &id,
            at + Duration::days(180)
        )
        .await,
        TokenExchange::Expired
    ));
    assert!(matches!(
        refresh(&store, "obr_unknown", &id, at).await,
        TokenExchange::Unknown
    ));
}

async fn revocation_follows_rfc_7009(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let id = client(&store).await;
    let other = client(&store).await;
    let at = t0();
    let tokens = issued(exchange(&store, code(&store, &id, "k", at).await.expose(), &id, at).await);
    // Another client's revocation changes nothing.
    assert_eq!(
        store
            .revoke_token(tokens.access_token.expose(), &other, at)
            .await
            .unwrap(),
        Revocation::NotFound
    );
    assert!(store
        .access_token_grant(tokens.access_token.expose(), at)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store.revoke_token("obt_unknown", &id, at).await.unwrap(),
        Revocation::NotFound
    );
    // An access token: only that token.
    assert_eq!(
        store
            .revoke_token(tokens.access_token.expose(), &id, at)
            .await
            .unwrap(),
        Revocation::Access {
            grant_id: tokens.grant_id.clone()
        }
    );
    assert!(store
        .access_token_grant(tokens.access_token.expose(), at)
        .await
        .unwrap()
        .is_none());
    let next = issued(refresh(&store, tokens.refresh_token.expose(), &id, at).await);
    // A refresh token: the whole grant.
    assert_eq!(
        store
            .revoke_token(next.refresh_token.expose(), &id, at)
            .await
            .unwrap(),
        Revocation::Refresh {
            grant_id: tokens.grant_id.clone()
        }
    );
    assert!(store
        .access_token_grant(next.access_token.expose(), at)
        .await
        .unwrap()
        .is_none());
    assert!(store.grants_for_learner("k").await.unwrap().is_empty());
}

async fn grants_are_per_learner_and_can_be_disconnected(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let id = client(&store).await;
    let at = t0();
    let a = issued(
        exchange(
            &store,
            code(&store, &id, "alice", at).await.expose(),
            &id,
            at,
        )
        .await,
    );
    let b = issued(exchange(&store, code(&store, &id, "bob", at).await.expose(), &id, at).await);
    assert_ne!(a.grant_id, b.grant_id);
    let alice = store.grants_for_learner("alice").await.unwrap();
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].client_name, "App");
    assert_eq!(alice[0].id, a.grant_id);
    assert_eq!(alice[0].last_used_at, Some(at));
    // Bob cannot disconnect Alice's grant.
    assert!(!store
        .disconnect_grant(&a.grant_id, "bob", at)
        .await
        .unwrap());
    assert!(store
        .access_token_grant(a.access_token.expose(), at)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .disconnect_grant(&a.grant_id, "alice", at)
        .await
        .unwrap());
    assert!(!store
        .disconnect_grant(&a.grant_id, "alice", at)
        .await
        .unwrap());
    assert!(store
        .access_token_grant(a.access_token.expose(), at)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        refresh(&store, a.refresh_token.expose(), &id, at).await,
        TokenExchange::Expired
    ));
    assert!(store.grants_for_learner("alice").await.unwrap().is_empty());
    assert!(store
        .access_token_grant(b.access_token.expose(), at)
        .await
        .unwrap()
        .is_some());
}

async fn credential(
    store: &Store,
    achievement: &AchievementId,
    learner: &str,
    issued_at: DateTime<Utc>,
) -> IssuedCredential {
    let revocation = store
        .allocate_status_index(ListPurpose::Revocation)
        .await
        .unwrap();
    let suspension = store
        .allocate_status_index(ListPurpose::Suspension)
        .await
        .unwrap();
    let new = NewCredential {
        id: CredentialId::generate(),
        achievement_id: achievement.clone(),
        learner_key: learner.into(),
        external_id: Some(uuid::Uuid::new_v4().to_string()),
        learner_email: None,
        revocation: Some(revocation),
        suspension: Some(suspension),
        credential: "{}".into(),
        issued_at,
    };
    store
        .insert_credential(&new)
        .await
        .unwrap()
        .credential()
        .clone()
}

async fn credentials_of_a_learner_page_by_issue_time(db: &TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let a = store
        .create_achievement(
            "a",
            &json!({"id": "urn:uuid:1", "type": ["Achievement"], "name": "A"}),
        )
        .await
        .unwrap();
    let at = t0();
    let mut mine = Vec::new();
    for i in [3, 1, 2, 5, 4] {
        mine.push(credential(&store, &a.id, "alice", at + Duration::minutes(i)).await);
    }
    credential(&store, &a.id, "bob", at).await;
    let revoked = credential(&store, &a.id, "alice", at + Duration::minutes(6)).await;
    store.revoke(&revoked.id, None).await.unwrap();
    let suspended = credential(&store, &a.id, "alice", at + Duration::minutes(7)).await;
    store
        .set_suspended(&suspended.id, true, None)
        .await
        .unwrap();

    let page = store
        .learner_credentials("alice", None, 2, 0)
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    let times: Vec<_> = page.credentials.iter().map(|c| c.issued_at).collect();
    assert_eq!(
        times,
        [at + Duration::minutes(1), at + Duration::minutes(2)]
    );
    let last = store
        .learner_credentials("alice", None, 2, 4)
        .await
        .unwrap();
    assert_eq!(last.credentials.len(), 1);
    assert_eq!(last.credentials[0].issued_at, at + Duration::minutes(5));
    let beyond = store
        .learner_credentials("alice", None, 2, 10)
        .await
        .unwrap();
    assert!(beyond.credentials.is_empty());
    assert_eq!(beyond.total, 5);
    // `since` is strict.
    let since = store
        .learner_credentials("alice", Some(at + Duration::minutes(3)), 25, 0)
        .await
        .unwrap();
    assert_eq!(since.total, 2);
    assert!(since.credentials.iter().all(|c| c.learner_key == "alice"));
    assert_eq!(
        store
            .learner_credentials("carol", None, 25, 0)
            .await
            .unwrap()
            .total,
        0
    );
    // Reinstated: back in the list.
    store
        .set_suspended(&suspended.id, false, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .learner_credentials("alice", None, 25, 0)
            .await
            .unwrap()
            .total,
        6
    );
}
