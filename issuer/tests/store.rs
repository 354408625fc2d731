//! The issuer store against a real SQLite file and a real PostgreSQL server (named by
//! `PASSERELLE_TEST_POSTGRES_URL`, which CI sets; unset, the PostgreSQL tests fail). Every test runs on both; each PostgreSQL test gets a
//! fresh schema, each SQLite test a fresh file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[macro_use]
mod common;

use std::collections::{HashMap, HashSet};

use chrono::{Duration, TimeZone, Utc};
use passerelle_core::keys::KeyPair;
use passerelle_issuer::secret::{Passphrase, SecretError};
use passerelle_issuer::store::{
    AchievementId, CredentialId, Inserted, ListPurpose, NewAuditEntry, NewCredential,
    NewIssuerProfile, StatusSlot, Store, StoreError, StoreOptions,
};
use serde_json::json;

use common::{Kind, TestDb, FAST_KDF};

impl TestDb {
    async fn store(&self) -> Store {
        Store::connect(&self.url)
            .await
            .expect("connect and migrate")
    }

    async fn store_with(&self, options: StoreOptions) -> Store {
        Store::connect_with(&self.url, options)
            .await
            .expect("connect and migrate")
    }

    /// Runs SQL on a connection of its own, bypassing the store's API.
    async fn raw_execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match &self.kind {
            Kind::Sqlite { .. } => {
                let pool = sqlx::SqlitePool::connect(&self.url).await?;
                let r = sqlx::query(sql).execute(&pool).await;
                pool.close().await;
                r.map(|r| r.rows_affected())
            }
            Kind::Postgres { .. } => {
                let pool = sqlx::PgPool::connect(&self.url).await?;
                let r = sqlx::query(sql).execute(&pool).await;
                pool.close().await;
                r.map(|r| r.rows_affected())
            }
        }
    }

    async fn raw_count(&self, sql: &str) -> i64 {
        match &self.kind {
            Kind::Sqlite { .. } => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
            }
            Kind::Postgres { .. } => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
            }
        }
    }
}

on_both!(
    migrations_are_idempotent,
    issuer_profile_upsert,
    keys_sealed_round_trip,
    achievements_crud_and_unique_slug,
    credential_insert_is_idempotent,
    concurrent_allocation_is_unique,
    lists_roll_over_when_full,
    revocation_and_suspension_bits,
    audit_log_is_append_only,
    api_tokens_are_hashed,
    claim_tokens,
    batched_allocation_is_unique_and_rolls_over,
    stats_export_counts_by_month_of_issue,
);

async fn migrations_are_idempotent(db: &TestDb) {
    let first = db.store().await;
    first.migrate().await.unwrap();
    first.close().await;
    let again = db.store().await;
    assert!(again.achievements().await.unwrap().is_empty());
    let count = db.raw_count("SELECT COUNT(*) FROM _sqlx_migrations").await;
    // Each migration applied exactly once: as many rows as migration files.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    assert!(files >= 2);
    assert_eq!(count, files as i64);
}

async fn issuer_profile_upsert(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.issuer_profile().await.unwrap(), None);
    let mut profile = NewIssuerProfile {
        name: "Open Learning Lab".into(),
        url: "https://learn.example".into(),
        did: "did:web:learn.example".into(),
        profile: json!({"type": ["Profile"], "name": "Open Learning Lab"}),
    };
    store.set_issuer_profile(&profile).await.unwrap();
    let first = store.issuer_profile().await.unwrap().unwrap();
    assert_eq!(first.name, "Open Learning Lab");
    assert_eq!(first.profile["type"][0], "Profile");
    profile.name = "Lab".into();
    store.set_issuer_profile(&profile).await.unwrap();
    let second = store.issuer_profile().await.unwrap().unwrap();
    assert_eq!(second.name, "Lab");
    assert_eq!(second.created_at, first.created_at);
    assert!(second.updated_at >= first.updated_at);
}

async fn keys_sealed_round_trip(db: &TestDb) {
    let store = db.store().await;
    let pair = KeyPair::from_seed(&[42u8; 32]);
    let key = store
        .add_key("key-1", &pair, Passphrase::new("s3cret"), FAST_KDF)
        .await
        .unwrap();
    assert_eq!(key.public, pair.public());

    // What is stored is not the seed.
    let seed_hex = hex::encode([42u8; 32]);
    let leaked = match db.kind {
        Kind::Sqlite { .. } => {
            db.raw_count(&format!(
                "SELECT COUNT(*) FROM issuer_keys WHERE instr(lower(hex(sealed_private)), '{seed_hex}') > 0"
            ))
            .await
        }
        Kind::Postgres { .. } => {
            db.raw_count(&format!(
                "SELECT COUNT(*) FROM issuer_keys WHERE position('{seed_hex}' in encode(sealed_private, 'hex')) > 0"
            ))
            .await
        }
    };
    assert_eq!(leaked, 0, "the plaintext seed is in the database");

    let opened = store
        .unlock_key(&key.id, Passphrase::new("s3cret"))
        .await
        .unwrap();
    assert_eq!(opened.seed(), pair.seed());
    let wrong = store
        .unlock_key(&key.id, Passphrase::new("guess"))
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, StoreError::Secret(SecretError::WrongPassphrase)),
        "{wrong:?}"
    );
    assert!(wrong.to_string().contains("wrong passphrase"), "{wrong}");

    // Rotation: the old key is retired but still listed; the new one signs.
    let newer = store
        .add_key(
            "key-2",
            &KeyPair::from_seed(&[43u8; 32]),
            Passphrase::new("s3cret"),
            FAST_KDF,
        )
        .await
        .unwrap();
    let dup = store
        .add_key(
            "key-2",
            &KeyPair::from_seed(&[44u8; 32]),
            Passphrase::new("x"),
            FAST_KDF,
        )
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict { .. }), "{dup:?}");
    assert!(store.retire_key(&key.id).await.unwrap());
    assert!(!store.retire_key(&key.id).await.unwrap());
    let keys = store.keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys
        .iter()
        .any(|k| k.id == key.id && k.retired_at.is_some()));
    assert_eq!(store.active_key().await.unwrap().unwrap().id, newer.id);
}

async fn achievements_crud_and_unique_slug(db: &TestDb) {
    let store = db.store().await;
    let def =
        json!({"type": ["Achievement"], "name": "Data 101", "criteria": {"narrative": "Pass"}});
    let a = store.create_achievement("data-101", &def).await.unwrap();
    let err = store
        .create_achievement("data-101", &def)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                what: "achievement slug",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(store.achievement(&a.id).await.unwrap().unwrap(), a);
    assert_eq!(
        store
            .achievement_by_slug("data-101")
            .await
            .unwrap()
            .unwrap(),
        a
    );
    let changed = json!({"type": ["Achievement"], "name": "Data 101 (2027)"});
    store.update_achievement(&a.id, &changed).await.unwrap();
    let got = store.achievement(&a.id).await.unwrap().unwrap();
    assert_eq!(got.definition, changed);
    store.create_achievement("art-1", &def).await.unwrap();
    let slugs: Vec<String> = store
        .achievements()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.slug)
        .collect();
    assert_eq!(slugs, ["art-1", "data-101"]);
    let missing = AchievementId::from("urn:uuid:nope".to_owned());
    assert!(matches!(
        store.update_achievement(&missing, &changed).await,
        Err(StoreError::NotFound { .. })
    ));
}

fn new_credential(
    achievement: &AchievementId,
    learner: &str,
    slot: Option<StatusSlot>,
) -> NewCredential {
    NewCredential {
        id: CredentialId::generate(),
        achievement_id: achievement.clone(),
        learner_key: learner.to_owned(),
        external_id: Some("row-1".into()),
        learner_email: None,
        revocation: slot,
        suspension: None,
        // Spacing and key order that a re-serialisation would change: kept byte for byte.
        credential: "{\"z\":1,  \"a\":[2,1],\n\"proof\":{}}".into(),
        issued_at: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    }
}

async fn credential_insert_is_idempotent(db: &TestDb) {
    let store = db.store().await;
    let a = store
        .create_achievement("data-101", &json!({}))
        .await
        .unwrap();
    let slot = store
        .allocate_status_index(ListPurpose::Revocation)
        .await
        .unwrap();
    let first = new_credential(&a.id, "did:key:z6MkLearner", Some(slot.clone()));
    let Inserted::New(stored) = store.insert_credential(&first).await.unwrap() else {
        panic!("first insert must be new");
    };
    assert_eq!(stored.id, first.id);
    assert_eq!(stored.credential, first.credential);
    assert_eq!(stored.revocation, Some(slot));
    assert_eq!(stored.issued_at, first.issued_at);
    assert_eq!(stored.external_id.as_deref(), Some("row-1"));
    assert_eq!(store.credential(&first.id).await.unwrap().unwrap(), stored);

    // The same achievement + learner + external id again: nothing new.
    let rerun = new_credential(&a.id, "did:key:z6MkLearner", None);
    match store.insert_credential(&rerun).await.unwrap() {
        Inserted::Existing(existing) => assert_eq!(existing.id, first.id),
        other => panic!("re-run inserted again: {other:?}"),
    }
    // A different external id, or none, is a different credential.
    let mut other = new_credential(&a.id, "did:key:z6MkLearner", None);
    other.external_id = None;
    assert!(matches!(
        store.insert_credential(&other).await.unwrap(),
        Inserted::New(_)
    ));
    assert!(matches!(
        store.insert_credential(&other).await.unwrap(),
        Inserted::Existing(_)
    ));

    // Racing re-runs (two instances): exactly one insert wins.
    let second = db.store().await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = if i % 2 == 0 {
            store.clone()
        } else {
            second.clone()
        };
        let c = new_credential(&a.id, "sha256$salted-email-hash", None);
        tasks.push(tokio::spawn(async move { s.insert_credential(&c).await }));
    }
    let mut new = 0;
    for t in tasks {
        if let Inserted::New(_) = t.await.unwrap().unwrap() {
            new += 1;
        }
    }
    assert_eq!(new, 1);
    assert_eq!(store.count_credentials(&a.id).await.unwrap(), 3);

    // Reusing a status slot is refused as a conflict, not a panic or a generic error.
    let mut reuse = new_credential(&a.id, "did:key:z6MkOther", first.revocation.clone());
    reuse.external_id = None;
    let err = store.insert_credential(&reuse).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
}

async fn batched_allocation_is_unique_and_rolls_over(db: &TestDb) {
    // Small lists (test-support) so that batches fill a list and the next one opens.
    const SIZE: u64 = 500;
    let a = db
        .store_with(StoreOptions::default().test_status_list_size(SIZE))
        .await;
    let b = db
        .store_with(StoreOptions::default().test_status_list_size(SIZE))
        .await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.allocate_status_indices(ListPurpose::Revocation, 100)
                .await
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        let slots = t.await.unwrap().unwrap();
        assert_eq!(slots.len(), 100);
        for slot in slots {
            assert!(slot.index.value() < SIZE, "{slot:?}");
            assert!(seen.insert(slot.clone()), "handed out twice: {slot:?}");
        }
    }
    assert_eq!(seen.len(), 1_200);
    let lists = a.status_lists(ListPurpose::Revocation).await.unwrap();
    assert!(lists.len() >= 3, "1,200 entries need three lists of 500");
    let mut total = 0;
    for list in &lists {
        total += a.allocated_count(&list.id).await.unwrap();
    }
    assert_eq!(
        total, 1_200,
        "every allocated index is handed out exactly once"
    );
}

async fn concurrent_allocation_is_unique(db: &TestDb) {
    const N: usize = 2_000;
    // Two stores with pools of their own stand for two issuer instances on one database.
    let a = db
        .store_with(StoreOptions::default().max_connections(8))
        .await;
    let b = db
        .store_with(StoreOptions::default().max_connections(8))
        .await;
    let mut tasks = Vec::with_capacity(N);
    for i in 0..N {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.allocate_status_index(ListPurpose::Revocation).await
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        let slot = t.await.unwrap().unwrap();
        assert!(slot.index.value() < 131_072, "{slot:?}");
        assert!(
            seen.insert(slot.clone()),
            "index handed out twice: {slot:?}"
        );
    }
    assert_eq!(seen.len(), N);
    let lists = a.status_lists(ListPurpose::Revocation).await.unwrap();
    assert_eq!(lists.len(), 1, "2,000 entries fit in one list");
    assert_eq!(lists[0].size, 131_072);
    assert_eq!(a.allocated_count(&lists[0].id).await.unwrap(), N as u64);
    // Random, not sequential: the indices spread over the list.
    let max = seen.iter().map(|s| s.index.value()).max().unwrap();
    assert!(max > 100_000, "indices look sequential (max {max})");
    // The other purpose has lists of its own.
    let s = a
        .allocate_status_index(ListPurpose::Suspension)
        .await
        .unwrap();
    assert!(!lists.iter().any(|l| l.id == s.list_id));
}

async fn lists_roll_over_when_full(db: &TestDb) {
    const SIZE: u64 = 50;
    const N: usize = 3 * SIZE as usize + 7;
    let small = || {
        StoreOptions::default()
            .test_status_list_size(SIZE)
            .max_connections(4)
    };
    let a = db.store_with(small()).await;
    let b = db.store_with(small()).await;
    let mut tasks = Vec::new();
    for i in 0..N {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.allocate_status_index(ListPurpose::Revocation).await
        }));
    }
    let mut by_list: HashMap<_, HashSet<u64>> = HashMap::new();
    for t in tasks {
        let slot = t.await.unwrap().unwrap();
        assert!(slot.index.value() < SIZE, "{slot:?}");
        assert!(
            by_list
                .entry(slot.list_id)
                .or_default()
                .insert(slot.index.value()),
            "index handed out twice"
        );
    }
    let lists = a.status_lists(ListPurpose::Revocation).await.unwrap();
    assert_eq!(lists.len(), 4, "{lists:?}");
    assert_eq!(by_list.len(), 4);
    let mut sizes: Vec<usize> = by_list.values().map(HashSet::len).collect();
    sizes.sort();
    assert_eq!(sizes, [7, 50, 50, 50]);
    assert_eq!(lists.iter().filter(|l| l.is_full).count(), 3);
    // The production minimum is enforced outside tests.
    let err = StoreOptions::default().status_list_size(SIZE).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ListTooSmall {
                size: 50,
                minimum: 131_072
            }
        ),
        "{err:?}"
    );
    assert!(StoreOptions::default().status_list_size(131_072).is_ok());
    assert!(matches!(
        StoreOptions::default().status_list_size(1 << 40),
        Err(StoreError::ListTooLarge { .. })
    ));
}

async fn revocation_and_suspension_bits(db: &TestDb) {
    let store = db.store().await;
    let a = store
        .create_achievement("data-101", &json!({}))
        .await
        .unwrap();
    let rev = store
        .allocate_status_index(ListPurpose::Revocation)
        .await
        .unwrap();
    let sus = store
        .allocate_status_index(ListPurpose::Suspension)
        .await
        .unwrap();
    let mut c = new_credential(&a.id, "did:key:z6MkA", Some(rev.clone()));
    c.suspension = Some(sus.clone());
    store.insert_credential(&c).await.unwrap();
    let bare_slot = store
        .allocate_status_index(ListPurpose::Revocation)
        .await
        .unwrap();
    let mut bare = new_credential(&a.id, "did:key:z6MkB", Some(bare_slot.clone()));
    bare.external_id = None;
    store.insert_credential(&bare).await.unwrap();

    let bits = store.status_list_bits(&rev.list_id).await.unwrap();
    assert_eq!(bits.entries(), 131_072);
    assert_eq!(bits.get(rev.index.value()).unwrap(), 0);

    // Suspend, then reinstate.
    assert!(store
        .set_suspended(&c.id, true, Some("under review"))
        .await
        .unwrap());
    assert!(!store.set_suspended(&c.id, true, None).await.unwrap());
    let got = store.credential(&c.id).await.unwrap().unwrap();
    assert!(got.suspended);
    assert_eq!(got.suspension_reason.as_deref(), Some("under review"));
    let sbits = store.status_list_bits(&sus.list_id).await.unwrap();
    assert_eq!(sbits.get(sus.index.value()).unwrap(), 1);
    assert!(store.set_suspended(&c.id, false, None).await.unwrap());
    let sbits = store.status_list_bits(&sus.list_id).await.unwrap();
    assert_eq!(sbits.get(sus.index.value()).unwrap(), 0);
    assert!(!store.credential(&c.id).await.unwrap().unwrap().suspended);

    // Revoke: once, with reason; only this credential's bit is set.
    assert!(store.revoke(&c.id, Some("fraud")).await.unwrap());
    assert!(!store.revoke(&c.id, Some("again")).await.unwrap());
    let got = store.credential(&c.id).await.unwrap().unwrap();
    assert!(got.revoked_at.is_some());
    assert_eq!(got.revocation_reason.as_deref(), Some("fraud"));
    let bits = store.status_list_bits(&rev.list_id).await.unwrap();
    assert_eq!(bits.get(rev.index.value()).unwrap(), 1);
    if bare_slot.list_id == rev.list_id {
        assert_eq!(bits.get(bare_slot.index.value()).unwrap(), 0);
    }
    let ones: u32 = bits.as_bytes().iter().map(|b| b.count_ones()).sum();
    assert_eq!(ones, 1);

    // A credential without a suspension entry cannot be suspended; unknown ids are reported.
    let err = store.set_suspended(&bare.id, true, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NoStatusEntry {
                purpose: "suspension",
                ..
            }
        ),
        "{err:?}"
    );
    let unknown = CredentialId::generate();
    assert!(matches!(
        store.revoke(&unknown, None).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn audit_log_is_append_only(db: &TestDb) {
    let store = db.store().await;
    for (i, action) in ["credential.issue", "credential.revoke", "token.create"]
        .into_iter()
        .enumerate()
    {
        let e = store
            .append_audit(&NewAuditEntry {
                actor: "cli".into(),
                action: action.into(),
                subject: format!("urn:uuid:{i}"),
                details: json!({"n": i}),
            })
            .await
            .unwrap();
        assert_eq!(e.action, action);
    }
    let all = store.audit_entries(0, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(all[1].details, json!({"n": 1}));
    let page = store.audit_entries(all[0].id, 1).await.unwrap();
    assert_eq!(page, [all[1].clone()]);

    // Not even SQL run past the store can change or erase the record.
    let update = db
        .raw_execute("UPDATE audit_log SET actor = 'mallory'")
        .await;
    assert!(update.is_err(), "UPDATE was allowed: {update:?}");
    let delete = db.raw_execute("DELETE FROM audit_log").await;
    assert!(delete.is_err(), "DELETE was allowed: {delete:?}");
    assert!(format!("{:?}", delete.unwrap_err()).contains("append-only"));
    assert_eq!(store.audit_entries(0, 100).await.unwrap(), all);
}

async fn api_tokens_are_hashed(db: &TestDb) {
    let store = db.store().await;
    let (record, secret) = store.create_api_token("ci bot").await.unwrap();
    assert!(secret.expose().starts_with("pat_") && secret.expose().len() == 68);
    assert!(secret.expose().starts_with(&record.prefix));
    assert_eq!(format!("{secret:?}"), "SecretToken(<redacted>)");
    let plain = db
        .raw_count(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE prefix = '{}' OR name = '{}'",
            secret.expose(),
            secret.expose()
        ))
        .await;
    assert_eq!(plain, 0);
    let found = store.authenticate_api_token(secret.expose()).await.unwrap();
    assert_eq!(found, Some(record.clone()));
    let mut wrong = secret.expose().to_owned();
    wrong.pop();
    wrong.push('x');
    assert_eq!(store.authenticate_api_token(&wrong).await.unwrap(), None);
    assert!(store.revoke_api_token(&record.id).await.unwrap());
    assert!(!store.revoke_api_token(&record.id).await.unwrap());
    assert_eq!(
        store.authenticate_api_token(secret.expose()).await.unwrap(),
        None
    );
    assert!(store.api_tokens().await.unwrap()[0].revoked_at.is_some());
}

async fn claim_tokens(db: &TestDb) {
    let store = db.store().await;
    let a = store
        .create_achievement("data-101", &json!({}))
        .await
        .unwrap();
    let c = new_credential(&a.id, "did:key:z6MkA", None);
    store.insert_credential(&c).await.unwrap();
    let forever = store.create_claim_token(&c.id, None).await.unwrap();
    let now = Utc::now();
    let soon = store
        .create_claim_token(&c.id, Some(now + Duration::hours(1)))
        .await
        .unwrap();
    assert_ne!(forever, soon);
    let got = store
        .redeem_claim_token(forever.expose(), now)
        .await
        .unwrap();
    assert_eq!(got.map(|c| c.id), Some(c.id.clone()));
    assert!(store
        .redeem_claim_token(soon.expose(), now)
        .await
        .unwrap()
        .is_some());
    let later = now + Duration::hours(2);
    assert!(matches!(
        store.redeem_claim_token(soon.expose(), later).await,
        Err(StoreError::ClaimExpired { .. })
    ));
    assert_eq!(
        store.redeem_claim_token("clm_unknown", now).await.unwrap(),
        None
    );
    let err = store
        .create_claim_token(&CredentialId::generate(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    for url in ["mysql://localhost/db", "issuer.db", ""] {
        let err = Store::connect(url).await.unwrap_err();
        assert!(
            matches!(err, StoreError::UnsupportedUrl { .. }),
            "{url}: {err:?}"
        );
    }
    let db = TestDb::sqlite();
    let store = db.store().await;
    assert_eq!(format!("{store:?}"), "Store { backend: Sqlite, .. }");
}

#[test]
fn credential_ids_are_urn_uuids() {
    let id = CredentialId::generate();
    assert!(id.as_str().starts_with("urn:uuid:"));
    assert_eq!(CredentialId::parse(id.as_str()).unwrap(), id);
    assert!(matches!(
        CredentialId::parse("urn:uuid:not-a-uuid"),
        Err(StoreError::InvalidId { .. })
    ));
    assert!(CredentialId::parse("http://example.com/1").is_err());
}

/// Issue 10.8: a PostgreSQL test that could not run must fail, not pass. This runs one of this
/// binary's own PostgreSQL tests again, in a child process without the URL, and expects a failure
/// that says how to start PostgreSQL.
#[test]
fn the_postgres_tests_fail_when_postgres_is_not_configured() {
    let this_binary = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(this_binary)
        .args([
            "--exact",
            "migrations_are_idempotent::postgres",
            "--test-threads=1",
        ])
        .env_remove(common::PG_ENV)
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "without {} the PostgreSQL test passed:\n{stdout}",
        common::PG_ENV
    );
    assert!(
        stdout.contains("1 failed"),
        "exactly the one test should have run and failed:\n{stdout}"
    );
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains(common::PG_MISSING) && said.contains("pg_ctlcluster"),
        "the failure should say how to start PostgreSQL:\n{said}"
    );
}

/// The statistics export on both backends: months are UTC months of issue (a credential at
/// 23:59:59 on the last day stays in its month), revoked and suspended credentials are counted
/// in the month they were issued, the range is honoured, and the suppression rules apply.
async fn stats_export_counts_by_month_of_issue(db: &TestDb) {
    use passerelle_issuer::stats::{Month, Threshold};
    let store = db.store().await;
    let eqf6_ict = json!({"alignment": [
        {"targetFramework": "European Qualifications Framework", "targetCode": "6"},
        {"targetFramework": "ISCED-F 2013", "targetCode": "0613"},
    ]});
    let data = store
        .create_achievement("data-101", &eqf6_ict)
        .await
        .unwrap();
    let web = store
        .create_achievement("web-201", &json!({}))
        .await
        .unwrap();
    let at = |y, m, d, h, min, sec| Utc.with_ymd_and_hms(y, m, d, h, min, sec).unwrap();
    let mut n = 0;
    let mut issue = |achievement: &AchievementId, when| {
        n += 1;
        let mut c = new_credential(achievement, &format!("did:key:z6MkLearner{n}"), None);
        c.issued_at = when;
        c
    };
    let mut plan = Vec::new();
    for _ in 0..12 {
        plan.push(issue(&data.id, at(2026, 1, 31, 23, 59, 59)));
    }
    for _ in 0..3 {
        plan.push(issue(&data.id, at(2026, 2, 1, 0, 0, 0)));
    }
    for _ in 0..11 {
        plan.push(issue(&web.id, at(2026, 2, 10, 8, 0, 0)));
    }
    // Outside the range asked for below.
    plan.push(issue(&web.id, at(2025, 12, 31, 23, 59, 59)));
    plan.push(issue(&web.id, at(2026, 4, 1, 0, 0, 0)));
    for (i, c) in plan.iter_mut().enumerate() {
        if i < 4 {
            c.revocation = Some(
                store
                    .allocate_status_index(ListPurpose::Revocation)
                    .await
                    .unwrap(),
            );
            c.suspension = Some(
                store
                    .allocate_status_index(ListPurpose::Suspension)
                    .await
                    .unwrap(),
            );
        }
        store.insert_credential(c).await.unwrap();
    }
    // Three January credentials of data-101 revoked (one also suspended: counted as revoked
    // only), one suspended.
    for c in &plan[..3] {
        assert!(store.revoke(&c.id, Some("fraud")).await.unwrap());
    }
    assert!(store.set_suspended(&plan[0].id, true, None).await.unwrap());
    assert!(store.set_suspended(&plan[3].id, true, None).await.unwrap());

    let start = at(2026, 1, 1, 0, 0, 0);
    let end = at(2026, 4, 1, 0, 0, 0);
    let rows = store.monthly_counts_between(start, end).await.unwrap();
    let got: Vec<(String, String, i64, i64, i64)> = rows
        .into_iter()
        .map(|r| {
            (
                r.achievement_slug,
                r.month,
                r.issued,
                r.revoked,
                r.suspended,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("data-101".into(), "2026-01".into(), 12, 3, 1),
            ("data-101".into(), "2026-02".into(), 3, 0, 0),
            ("web-201".into(), "2026-02".into(), 11, 0, 0),
        ]
    );
    assert_eq!(
        store.first_issued_at().await.unwrap(),
        Some(at(2025, 12, 31, 23, 59, 59))
    );

    let now = at(2026, 12, 4, 10, 0, 0);
    let export = store
        .stats_export(
            Some(Month::parse("from", "2026-01").unwrap()),
            Some(Month::parse("to", "2026-03").unwrap()),
            Threshold::new(3).unwrap(),
            now,
        )
        .await
        .unwrap()
        .unwrap();
    let json = export.to_json();
    assert_eq!(json["threshold"], 3);
    assert_eq!(json["from"], "2026-01");
    assert_eq!(json["to"], "2026-03");
    assert_eq!(json["generated_at"], "2026-12-04T10:00:00Z");
    assert_eq!(
        json["totals"],
        json!({"issued": 26, "revoked": 3, "suspended": "<3"})
    );
    let t = &json["tables"];
    assert_eq!(
        t["by_achievement"],
        json!([
            {"key": "data-101", "issued": 15, "revoked": "x", "suspended": "<3"},
            {"key": "web-201", "issued": 11, "revoked": "x", "suspended": "<3"},
        ])
    );
    // 2026-03 has no credential: "<3", and January is withheld so it cannot be recovered
    // from the total. All three revocations were in January: with January shown, the other
    // months would be known to be 0, and with it withheld too, a withheld cell (at least 3) and
    // the total (3) still fix them; so the whole column is withheld.
    assert_eq!(
        t["by_month"],
        json!([
            {"key": "2026-01", "issued": "x", "revoked": "x", "suspended": "<3"},
            {"key": "2026-02", "issued": 14, "revoked": "x", "suspended": "<3"},
            {"key": "2026-03", "issued": "<3", "revoked": "x", "suspended": "<3"},
        ])
    );
    assert_eq!(
        t["by_eqf_level"],
        json!([
            {"key": "6", "issued": 15, "revoked": "x", "suspended": "x"},
            {"key": "none", "issued": 11, "revoked": "x", "suspended": "x"},
        ])
    );
    assert_eq!(t["by_isced_f"][0]["key"], "0613");
    // Nothing about a learner or a credential.
    let text = format!("{json}{}", export.to_csv());
    for c in &plan {
        assert!(!text.contains(c.id.as_str()));
    }
    assert!(
        !text.contains("did:key") && !text.contains("row-1"),
        "{text}"
    );

    // Defaults: from January of the year of the first issuance (2025), to this month.
    let export = store
        .stats_export(None, None, Threshold::default(), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(export.range.from.to_string(), "2025-01");
    assert_eq!(export.range.to.to_string(), "2026-12");
    assert_eq!(
        export.to_json()["tables"]["by_month"]
            .as_array()
            .unwrap()
            .len(),
        24
    );
    store.close().await;
}
