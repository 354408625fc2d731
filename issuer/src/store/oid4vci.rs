//! What OpenID4VCI issuance keeps (issue 14): credential offers (one per claim link),
//! pre-authorized codes, access tokens, `c_nonce` values and the credentials delivered to
//! wallets.
//!
//! Every secret is a [`SecretToken`] of 32 random bytes of which only the SHA-256 is stored
//! (like claim tokens). A transaction code is a short PIN, so it is kept only as a keyed MAC
//! ([`TxCodeCheck`], computed by the caller under the issuer's learner secret); the store never
//! sees the PIN in clear. Single use is enforced by conditional `UPDATE … WHERE used_at IS NULL`
//! inside a transaction, so two instances sharing one PostgreSQL cannot both redeem a code or a
//! nonce. Expiry is compared in Rust on the stored times (both backends keep microseconds).

use chrono::{DateTime, Utc};

use super::tokens::{claim_hash, SecretToken};
use super::{now, AchievementId, BeginWrite, CredentialId, NewAuditEntry, Store, StoreError};

/// Prefix of offer references (`/oid4vci/offers/<ref>`).
pub const OFFER_PREFIX: &str = "ofr_";
/// Prefix of pre-authorized codes.
pub const CODE_PREFIX: &str = "pac_";
/// Prefix of access tokens.
pub const ACCESS_TOKEN_PREFIX: &str = "oat_";
/// Prefix of `c_nonce` values.
pub const NONCE_PREFIX: &str = "cn_";
/// Prefix of notification ids.
pub const NOTIFICATION_PREFIX: &str = "ntf_";

/// The stored form of a transaction code: a random salt and the MAC of the code under it
/// (`crate::secret::tx_code_mac`).
#[derive(Clone, PartialEq, Eq)]
pub struct TxCodeCheck {
    pub salt: Vec<u8>,
    pub mac: Vec<u8>,
}

impl std::fmt::Debug for TxCodeCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TxCodeCheck(<redacted>)")
    }
}

fn tx_check(salt: Option<Vec<u8>>, mac: Option<Vec<u8>>) -> Option<TxCodeCheck> {
    match (salt, mac) {
        (Some(salt), Some(mac)) => Some(TxCodeCheck { salt, mac }),
        _ => None,
    }
}

fn tx_columns(tx: Option<&TxCodeCheck>) -> (Option<&[u8]>, Option<&[u8]>) {
    match tx {
        Some(t) => (Some(t.salt.as_slice()), Some(t.mac.as_slice())),
        None => (None, None),
    }
}

/// A claim link and the credential offer made with it (both shown once).
#[derive(Debug, Clone)]
pub struct ClaimSecrets {
    pub claim: SecretToken,
    pub offer: SecretToken,
}

/// A stored credential offer (never its reference).
#[derive(Debug, Clone, PartialEq)]
pub struct OfferRecord {
    pub credential_id: CredentialId,
    pub achievement_id: AchievementId,
    /// Set when redeeming a code minted from this offer needs a transaction code.
    pub tx_code: Option<TxCodeCheck>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What [`Store::exchange_pre_authorized_code`] did.
#[derive(Debug)]
#[non_exhaustive]
pub enum CodeExchange {
    /// The code was good: here is an access token for its credential.
    Exchanged {
        access_token: SecretToken,
        credential_id: CredentialId,
        expires_at: DateTime<Utc>,
    },
    /// No such code.
    Unknown,
    /// The code has expired.
    Expired,
    /// The code had been used: every access token issued from it is now revoked.
    Replayed {
        credential_id: CredentialId,
        revoked: u64,
    },
    /// Too many wrong transaction codes: the code no longer works.
    Burnt,
    /// The code needs a transaction code and none was given (no attempt counted).
    MissingTxCode,
    /// A wrong transaction code (counted); `remaining` attempts are left.
    WrongTxCode {
        credential_id: CredentialId,
        remaining: u32,
    },
}

/// An access token's record (never the token).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessTokenRecord {
    pub credential_id: CredentialId,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl AccessTokenRecord {
    /// Not revoked and not expired at `at`.
    pub fn is_live(&self, at: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > at
    }
}

/// How long after its expiry a `c_nonce` row is kept before [`Store::create_nonce`] deletes it.
pub const NONCE_PURGE_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// What [`Store::consume_nonce`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceUse {
    /// Issued by us, unexpired, and now used.
    Fresh,
    /// Never issued by us.
    Unknown,
    /// Issued, but expired.
    Expired,
    /// Issued and already used.
    Used,
}

/// A credential delivered through OpenID4VCI, to record with [`Store::record_delivery`].
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// The delivered credential's own id.
    pub id: CredentialId,
    /// The award it derives from.
    pub credential_id: CredentialId,
    /// `ldp_vc` or `jwt_vc_json`.
    pub format: String,
    pub holder_did: String,
    /// The access token it was delivered under (as presented; only its hash is stored).
    pub access_token: String,
    pub issued_at: DateTime<Utc>,
}

/// A delivered credential's record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Delivery {
    pub id: String,
    pub credential_id: String,
    pub format: String,
    pub holder_did: String,
    pub issued_at: DateTime<Utc>,
    pub notification_event: Option<String>,
    pub notified_at: Option<DateTime<Utc>>,
}

const DELIVERY_SELECT: &str = "SELECT id, credential_id, format, holder_did, issued_at, \
    notification_event, notified_at FROM oid4vci_deliveries";

type OfferRow = (
    String,
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<DateTime<Utc>>,
);

const OFFER_SELECT: &str = "SELECT o.credential_id, c.achievement_id, o.tx_code_salt, \
    o.tx_code_mac, o.expires_at FROM oid4vci_offers o JOIN credentials c ON c.id = o.credential_id";

fn offer_record(row: OfferRow) -> OfferRecord {
    let (credential_id, achievement_id, salt, mac, expires_at) = row;
    OfferRecord {
        credential_id: CredentialId(credential_id),
        achievement_id: AchievementId(achievement_id),
        tx_code: tx_check(salt, mac),
        expires_at,
    }
}

/// The stored form of any OpenID4VCI secret (SHA-256, as for claim tokens).
fn digest(token: &str) -> Vec<u8> {
    claim_hash(token)
}

type CodeRow = (
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
);

impl Store {
    /// The offer a reference names, whatever its expiry (the caller compares `expires_at`).
    pub async fn offer_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<OfferRecord>, StoreError> {
        let sql = format!("{OFFER_SELECT} WHERE o.hash = $1");
        let hash = digest(reference);
        let row: Option<OfferRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(&hash).fetch_optional(p).await?
        });
        Ok(row.map(offer_record))
    }

    /// The offer made with a claim link; `None` for links made before OpenID4VCI (or unknown).
    pub async fn offer_for_claim(
        &self,
        claim_token: &str,
    ) -> Result<Option<OfferRecord>, StoreError> {
        let sql = format!("{OFFER_SELECT} WHERE o.claim_hash = $1");
        let hash = digest(claim_token);
        let row: Option<OfferRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(&hash).fetch_optional(p).await?
        });
        Ok(row.map(offer_record))
    }

    /// A new claim link and its credential offer for an existing credential, in one
    /// transaction; with `replace`, the credential's earlier links and offers are deleted first
    /// (they stop working).
    pub async fn create_claim_with_offer(
        &self,
        credential: &CredentialId,
        expires_at: Option<DateTime<Utc>>,
        tx_code: Option<&TxCodeCheck>,
        replace: bool,
    ) -> Result<ClaimSecrets, StoreError> {
        let secrets = ClaimSecrets {
            claim: SecretToken::generate(super::tokens::CLAIM_PREFIX)?,
            offer: SecretToken::generate(OFFER_PREFIX)?,
        };
        let at = now();
        let (salt, mac) = tx_columns(tx_code);
        let result = on_pool!(self, p => {
            async {
                let mut tx = p.begin_write().await?;
                if replace {
                    sqlx::query("DELETE FROM oid4vci_offers WHERE credential_id = $1")
                        .bind(credential.as_str())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM claim_tokens WHERE credential_id = $1")
                        .bind(credential.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO claim_tokens (hash, credential_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(digest(secrets.claim.expose()))
                .bind(credential.as_str())
                .bind(at)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                insert_offer_query!(&secrets, credential, salt, mac, at, expires_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await
        });
        match result {
            Ok(()) => Ok(secrets),
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                Err(StoreError::NotFound {
                    what: "credential",
                    id: credential.to_string(),
                })
            }
            Err(e) => Err(super::unique("claim token or offer")(e)),
        }
    }

    /// A new pre-authorized code for `credential`, expiring at `expires_at`, needing the
    /// transaction code `tx_code` checks if any. The credential's earlier unused codes are
    /// deleted in the same transaction: at most one code per credential is live. The wrong
    /// transaction codes counted against those earlier codes carry over to the new one when it
    /// needs the same transaction code, so minting codes again (reloading an offer) gives no
    /// fresh attempts at guessing it.
    pub async fn mint_pre_authorized_code(
        &self,
        credential: &CredentialId,
        tx_code: Option<&TxCodeCheck>,
        expires_at: DateTime<Utc>,
    ) -> Result<SecretToken, StoreError> {
        let code = SecretToken::generate(CODE_PREFIX)?;
        let (salt, mac) = tx_columns(tx_code);
        let at = now();
        let hash = digest(code.expose());
        let result = on_pool!(self, p => {
            async {
                let mut tx = p.begin_write().await?;
                let failed: i64 = match mac {
                    Some(mac) => {
                        sqlx::query_scalar(
                            "SELECT COALESCE(MAX(failed_attempts), 0) FROM oid4vci_codes \
                             WHERE credential_id = $1 AND used_at IS NULL AND tx_code_mac = $2",
                        )
                        .bind(credential.as_str())
                        .bind(mac)
                        .fetch_one(&mut *tx)
                        .await?
                    }
                    None => 0,
                };
                sqlx::query(
                    "DELETE FROM oid4vci_codes WHERE credential_id = $1 AND used_at IS NULL",
                )
                .bind(credential.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO oid4vci_codes (hash, credential_id, tx_code_salt, tx_code_mac, \
                     created_at, expires_at, failed_attempts) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&hash)
                .bind(credential.as_str())
                .bind(salt)
                .bind(mac)
                .bind(at)
                .bind(expires_at)
                .bind(failed)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
            .await
        });
        match result {
            Ok(()) => Ok(code),
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                Err(StoreError::NotFound {
                    what: "credential",
                    id: credential.to_string(),
                })
            }
            Err(e) => Err(super::unique("pre-authorized code")(e)),
        }
    }

    /// Redeems a pre-authorized code at `at` for an access token expiring at `token_expires`.
    /// `tx_code` is what the wallet sent; `matches` tells whether it is the code a
    /// [`TxCodeCheck`] was made from. After `max_failures` wrong transaction codes the code is
    /// burnt. A code presented again revokes every access token issued from it.
    pub async fn exchange_pre_authorized_code(
        &self,
        code: &str,
        tx_code: Option<&str>,
        matches: impl Fn(&TxCodeCheck, &str) -> bool,
        at: DateTime<Utc>,
        token_expires: DateTime<Utc>,
        max_failures: u32,
    ) -> Result<CodeExchange, StoreError> {
        let hash = digest(code);
        let token = SecretToken::generate(ACCESS_TOKEN_PREFIX)?;
        let max = i64::from(max_failures);
        let out = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<CodeRow> = sqlx::query_as(
                "SELECT credential_id, tx_code_salt, tx_code_mac, expires_at, used_at, \
                 failed_attempts FROM oid4vci_codes WHERE hash = $1",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match row {
                None => CodeExchange::Unknown,
                Some((credential_id, _, _, _, Some(_), _)) => {
                    let revoked = sqlx::query(
                        "UPDATE oid4vci_access_tokens SET revoked_at = $1 \
                         WHERE code_hash = $2 AND revoked_at IS NULL",
                    )
                    .bind(at)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    CodeExchange::Replayed {
                        credential_id: CredentialId(credential_id),
                        revoked,
                    }
                }
                Some((_, _, _, _, None, failed)) if failed >= max => CodeExchange::Burnt,
                Some((_, _, _, expires_at, None, _)) if expires_at <= at => CodeExchange::Expired,
                Some((credential_id, salt, mac, _, None, failed)) => {
                    let check = tx_check(salt, mac);
                    let tx_ok = match (&check, tx_code) {
                        (None, _) => Some(true),
                        (Some(_), None) => None,
                        (Some(c), Some(given)) => Some(matches(c, given)),
                    };
                    match tx_ok {
                        None => CodeExchange::MissingTxCode,
                        Some(false) => {
                            sqlx::query(
                                "UPDATE oid4vci_codes SET failed_attempts = failed_attempts + 1 \
                                 WHERE hash = $1",
                            )
                            .bind(&hash)
                            .execute(&mut *tx)
                            .await?;
                            let left = (max - failed - 1).max(0);
                            CodeExchange::WrongTxCode {
                                credential_id: CredentialId(credential_id),
                                remaining: u32::try_from(left).unwrap_or(0),
                            }
                        }
                        Some(true) => {
                            let won = sqlx::query(
                                "UPDATE oid4vci_codes SET used_at = $1 WHERE hash = $2 \
                                 AND used_at IS NULL AND failed_attempts < $3",
                            )
                            .bind(at)
                            .bind(&hash)
                            .bind(max)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                            if won == 1 {
                                sqlx::query(
                                    "INSERT INTO oid4vci_access_tokens (hash, code_hash, \
                                     credential_id, created_at, expires_at) \
                                     VALUES ($1, $2, $3, $4, $5)",
                                )
                                .bind(digest(token.expose()))
                                .bind(&hash)
                                .bind(&credential_id)
                                .bind(at)
                                .bind(token_expires)
                                .execute(&mut *tx)
                                .await?;
                                CodeExchange::Exchanged {
                                    access_token: token,
                                    credential_id: CredentialId(credential_id),
                                    expires_at: token_expires,
                                }
                            } else {
                                // Another request redeemed it between our read and write.
                                CodeExchange::Replayed {
                                    credential_id: CredentialId(credential_id),
                                    revoked: 0,
                                }
                            }
                        }
                    }
                }
            };
            tx.commit().await?;
            outcome
        });
        Ok(out)
    }

    /// The record of a presented access token (`None`: never issued).
    pub async fn access_token(
        &self,
        presented: &str,
    ) -> Result<Option<AccessTokenRecord>, StoreError> {
        let hash = digest(presented);
        let row: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT credential_id, expires_at, revoked_at FROM oid4vci_access_tokens \
                 WHERE hash = $1",
            )
            .bind(&hash)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(
            |(credential_id, expires_at, revoked_at)| AccessTokenRecord {
                credential_id: CredentialId(credential_id),
                expires_at,
                revoked_at,
            },
        ))
    }

    /// A new `c_nonce`, expiring at `expires_at`. Anyone may ask for one, so each call first
    /// deletes the nonces that expired more than [`NONCE_PURGE_AFTER`] ago: the table holds at
    /// most the nonces of the last lifetime plus that margin (the margin keeps "expired" apart
    /// from "never issued" in the answers for a while).
    pub async fn create_nonce(&self, expires_at: DateTime<Utc>) -> Result<SecretToken, StoreError> {
        let nonce = SecretToken::generate(NONCE_PREFIX)?;
        let purge_before = now() - NONCE_PURGE_AFTER;
        on_pool!(self, p => {
            sqlx::query("DELETE FROM oid4vci_nonces WHERE expires_at < $1")
                .bind(purge_before)
                .execute(p)
                .await?;
            sqlx::query(
                "INSERT INTO oid4vci_nonces (hash, created_at, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(digest(nonce.expose()))
            .bind(now())
            .bind(expires_at)
            .execute(p)
            .await
            .map_err(super::unique("nonce"))?;
        });
        Ok(nonce)
    }

    /// Uses up a `c_nonce` at `at`: [`NonceUse::Fresh`] only once, for a nonce we issued that
    /// has not expired.
    pub async fn consume_nonce(
        &self,
        nonce: &str,
        at: DateTime<Utc>,
    ) -> Result<NonceUse, StoreError> {
        let hash = digest(nonce);
        let out = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<(DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT expires_at, used_at FROM oid4vci_nonces WHERE hash = $1",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match row {
                None => NonceUse::Unknown,
                Some((_, Some(_))) => NonceUse::Used,
                Some((expires_at, None)) if expires_at <= at => NonceUse::Expired,
                Some(_) => {
                    let n = sqlx::query(
                        "UPDATE oid4vci_nonces SET used_at = $1 WHERE hash = $2 AND used_at IS NULL",
                    )
                    .bind(at)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n == 1 {
                        NonceUse::Fresh
                    } else {
                        NonceUse::Used
                    }
                }
            };
            tx.commit().await?;
            outcome
        });
        Ok(out)
    }

    /// Records a delivered credential and its audit entry in one transaction; returns its
    /// notification id (shown once, to the wallet).
    pub async fn record_delivery(
        &self,
        delivery: &NewDelivery,
        audit: &NewAuditEntry,
    ) -> Result<SecretToken, StoreError> {
        let notification = SecretToken::generate(NOTIFICATION_PREFIX)?;
        let details = audit.details.to_string();
        let at = now();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "INSERT INTO oid4vci_deliveries (id, credential_id, format, holder_did, \
                 access_token_hash, notification_hash, issued_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(delivery.id.as_str())
            .bind(delivery.credential_id.as_str())
            .bind(&delivery.format)
            .bind(&delivery.holder_did)
            .bind(digest(&delivery.access_token))
            .bind(digest(notification.expose()))
            .bind(delivery.issued_at)
            .execute(&mut *tx)
            .await
            .map_err(super::unique("delivered credential"))?;
            sqlx::query(
                "INSERT INTO audit_log (at, actor, action, subject, details) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(at)
            .bind(&audit.actor)
            .bind(&audit.action)
            .bind(&audit.subject)
            .bind(&details)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(notification)
    }

    /// Records a wallet's notification `event` about the delivery named by `notification_id`,
    /// which must derive from `credential` (the award the access token is for); `None` when no
    /// such delivery exists.
    pub async fn record_notification(
        &self,
        notification_id: &str,
        credential: &CredentialId,
        event: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let hash = digest(notification_id);
        let sql = format!("{DELIVERY_SELECT} WHERE notification_hash = $1");
        let found: Option<Delivery> = on_pool!(self, p => {
            let n = sqlx::query(
                "UPDATE oid4vci_deliveries SET notification_event = $1, notified_at = $2 \
                 WHERE notification_hash = $3 AND credential_id = $4",
            )
            .bind(event)
            .bind(at)
            .bind(&hash)
            .bind(credential.as_str())
            .execute(p)
            .await?
            .rows_affected();
            if n == 0 {
                None
            } else {
                sqlx::query_as(&sql).bind(&hash).fetch_optional(p).await?
            }
        });
        Ok(found)
    }

    /// The credentials delivered from an award, oldest first.
    pub async fn deliveries(&self, credential: &CredentialId) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!("{DELIVERY_SELECT} WHERE credential_id = $1 ORDER BY issued_at, id");
        Ok(on_pool!(self, p => {
            sqlx::query_as(&sql).bind(credential.as_str()).fetch_all(p).await?
        }))
    }
}
