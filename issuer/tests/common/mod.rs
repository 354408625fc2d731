//! What the issuer's integration tests share: a fresh database per test — an SQLite file, or a
//! schema of its own on the PostgreSQL server named by `PASSERELLE_TEST_POSTGRES_URL` — and the
//! `on_both!` macro that runs a test body on each.
#![allow(dead_code)]

use std::path::PathBuf;

use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, Iri, Profile};
use passerelle_core::schema::SchemaSet;
use passerelle_issuer::config::{
    DatabaseConfig, IssuanceConfig, IssuerConfig, KeyConfig, KeyStorage, Oid4vciConfig,
};
use passerelle_issuer::secret::{KdfParams, Passphrase};
use passerelle_issuer::store::{NewIssuerProfile, Store};

pub const BASE: &str = "https://learn.example";
pub const DID: &str = "did:web:learn.example";
pub const PASSPHRASE: &str = "correct horse battery staple";
pub const PG_ENV: &str = "PASSERELLE_TEST_POSTGRES_URL";

/// What a PostgreSQL test says when it cannot run; `the_postgres_tests_fail_when_postgres_is_not_configured`
/// (in `store.rs`) looks for it.
pub const PG_MISSING: &str = "PostgreSQL tests need a server";

/// The base URL of the test PostgreSQL server, or a panic saying how to get one.
pub fn postgres_base_url() -> String {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{PG_MISSING}: {PG_ENV} is not set. Start PostgreSQL and point the tests at it, e.g.\n  \
             pg_ctlcluster 15 main start\n  \
             sudo -u postgres psql -c \"CREATE ROLE passerelle LOGIN PASSWORD 'passerelle' CREATEDB\"\n  \
             sudo -u postgres createdb -O passerelle passerelle_test\n  \
             export {PG_ENV}=postgres://passerelle:passerelle@127.0.0.1:5432/passerelle_test\n\
             (.ci/run does all of this; scripts/test.sh refuses to start without it)"
        ),
    }
}

/// Cheap Argon2id parameters: same code path, fast in debug builds.
pub const FAST_KDF: KdfParams = KdfParams {
    m_cost: 256,
    t_cost: 1,
    p_cost: 1,
};

pub enum Kind {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { base: String, schema: String },
}

/// A fresh, empty database and the URL to reach it.
pub struct TestDb {
    pub url: String,
    pub kind: Kind,
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("issuer.db").display()
        );
        Self {
            url,
            kind: Kind::Sqlite { _dir: dir },
        }
    }

    /// A fresh schema on the PostgreSQL server named by `PASSERELLE_TEST_POSTGRES_URL`. A test that
    /// did not run must not count as passed: when the variable is unset this panics with how to
    /// start PostgreSQL (`.ci/run` does it and sets the variable).
    pub async fn postgres() -> Self {
        let base = postgres_base_url();
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("create a test schema");
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Self {
            url,
            kind: Kind::Postgres { base, schema },
        }
    }

    pub async fn finish(self) {
        if let Kind::Postgres { base, schema } = &self.kind {
            let admin = sqlx::PgPool::connect(base).await.expect("reconnect");
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await
                .expect("drop the test schema");
            admin.close().await;
        }
    }
}

pub fn sample_config(key: &KeyPair) -> IssuerConfig {
    IssuerConfig {
        name: "Open Learning Lab".into(),
        url: BASE.into(),
        did: DID.into(),
        database: DatabaseConfig {
            sqlite_file: None,
            url: Some("unused".into()),
            url_env: None,
        },
        key: KeyConfig {
            fragment: "key-1".into(),
            verification_method: format!("{DID}#key-1"),
            public_multikey: key.public().to_multikey(),
            storage: KeyStorage::Sealed,
            file: None,
        },
        // Suspension on, so the suspend/unsuspend paths are exercised; the default (one
        // revocation entry) has its own tests.
        issuance: IssuanceConfig {
            suspension: true,
            ..IssuanceConfig::default()
        },
        oid4vci: Oid4vciConfig::default(),
        ob_api: Default::default(),
    }
}

pub fn rand_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    seed
}

pub fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors")
}

/// The OB 3.0 AchievementCredential JSON Schema from the vectors, under its published URL.
pub fn ob_schemas() -> SchemaSet {
    let path = vectors().join("openbadges/schema/ob_v3p0_achievementcredential_schema.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut set = SchemaSet::new();
    set.insert(
        serde_json::from_str(&text).unwrap(),
        &[model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA],
    )
    .unwrap();
    set
}

/// Writes the issuer profile and seals `key` as the active key (`key-1`) under [`PASSPHRASE`].
pub async fn seed_issuer(store: &Store, config: &IssuerConfig, key: &KeyPair) {
    let profile = Profile::new(
        Iri::parse(DID).unwrap(),
        "Open Learning Lab",
        Iri::parse(BASE).unwrap(),
    );
    store
        .set_issuer_profile(&NewIssuerProfile {
            name: config.name.clone(),
            url: BASE.into(),
            did: DID.into(),
            profile: serde_json::to_value(&profile).unwrap(),
        })
        .await
        .unwrap();
    store
        .add_key("key-1", key, Passphrase::new(PASSPHRASE), FAST_KDF)
        .await
        .unwrap();
}

/// Runs each named `async fn(&TestDb)` as two tests: on SQLite, and on PostgreSQL (which must be
/// configured: see [`TestDb::postgres`]).
#[macro_export]
macro_rules! on_both {
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
