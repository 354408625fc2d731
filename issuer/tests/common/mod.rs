//! What the issuer's integration tests share: a fresh database per test — an SQLite file, or a
//! schema of its own on the PostgreSQL server named by `PASSERELLE_TEST_POSTGRES_URL` — and the
//! `on_both!` macro that runs a test body on each.
#![allow(dead_code)]

use std::io::Write;
use std::sync::Once;

use passerelle_issuer::secret::KdfParams;

pub const PG_ENV: &str = "PASSERELLE_TEST_POSTGRES_URL";

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

    /// `None` (after saying so on the terminal, past the test harness's capture) when the
    /// variable is unset.
    pub async fn postgres() -> Option<Self> {
        let Ok(base) = std::env::var(PG_ENV) else {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "\nSKIPPED: the PostgreSQL variants of the issuer's {} tests \
                     ({PG_ENV} is not set; e.g. \
                     postgres://passerelle:passerelle@127.0.0.1:5432/passerelle_test)\n",
                    env!("CARGO_CRATE_NAME")
                );
            });
            return None;
        };
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
        Some(Self {
            url,
            kind: Kind::Postgres { base, schema },
        })
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

/// Runs each named `async fn(&TestDb)` as two tests: on SQLite, and on PostgreSQL when configured.
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
                let Some(db) = super::TestDb::postgres().await else { return };
                super::$name(&db).await;
                db.finish().await;
            }
        }
    )*};
}
