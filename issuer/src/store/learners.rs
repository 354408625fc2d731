//! The learner-key secret (wrapped under signing keys) and the re-keying of learner keys made
//! before learner keys were keyed (`email-sha256:`, issue 11.6).

use super::{now, Store, StoreError};

/// Prefix of the unkeyed learner keys of earlier versions.
pub const LEGACY_LEARNER_KEY_PREFIX: &str = "email-sha256:";

impl Store {
    /// Every wrapped copy of the learner secret: (public multikey of the key that opens it, blob).
    pub async fn learner_secret_wraps(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(on_pool!(self, p => {
            sqlx::query_as("SELECT key_multikey, wrapped FROM learner_secret ORDER BY created_at")
                .fetch_all(p)
                .await?
        }))
    }

    /// Records a copy of the learner secret wrapped for `key_multikey`. `false` when that key
    /// already has one (another process got there first: read it back and use that).
    pub async fn add_learner_secret_wrap(
        &self,
        key_multikey: &str,
        wrapped: &[u8],
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO learner_secret (key_multikey, wrapped, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key_multikey) DO NOTHING",
            )
            .bind(key_multikey)
            .bind(wrapped)
            .bind(now())
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// How many credentials still carry an unkeyed learner key.
    pub async fn legacy_learner_keys(&self) -> Result<i64, StoreError> {
        let like = format!("{LEGACY_LEARNER_KEY_PREFIX}%");
        Ok(on_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM credentials WHERE learner_key LIKE $1")
                .bind(&like)
                .fetch_one(p)
                .await?
        }))
    }

    /// The credentials with an unkeyed learner key whose address was kept
    /// (`keep_learner_emails`): (credential id, address).
    pub async fn legacy_learner_keys_with_email(
        &self,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let like = format!("{LEGACY_LEARNER_KEY_PREFIX}%");
        Ok(on_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, learner_email FROM credentials \
                 WHERE learner_key LIKE $1 AND learner_email IS NOT NULL",
            )
            .bind(&like)
            .fetch_all(p)
            .await?
        }))
    }

    /// Replaces unkeyed learner keys by keyed ones, `(unkeyed, keyed)` pairs, in one
    /// transaction; a row whose keyed twin already exists (same achievement and external id) is
    /// left alone. Returns how many rows changed.
    pub async fn rekey_learners(&self, pairs: &[(String, String)]) -> Result<u64, StoreError> {
        if pairs.is_empty() {
            return Ok(0);
        }
        let statement = "UPDATE credentials SET learner_key = $1 WHERE learner_key = $2 \
             AND NOT EXISTS (SELECT 1 FROM credentials twin \
               WHERE twin.learner_key = $1 AND twin.achievement_id = credentials.achievement_id \
               AND twin.external_id = credentials.external_id)";
        let changed = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut changed = 0;
            for (legacy, keyed) in pairs {
                changed += sqlx::query(statement)
                    .bind(keyed)
                    .bind(legacy)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            changed
        });
        Ok(changed)
    }

    /// Sets the learner key of one credential (re-keying a row whose address was kept).
    pub async fn set_learner_key(&self, credential_id: &str, key: &str) -> Result<(), StoreError> {
        on_pool!(self, p => {
            sqlx::query("UPDATE credentials SET learner_key = $1 WHERE id = $2")
                .bind(key)
                .bind(credential_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }
}
