//! What the Open Badges 3.0 API provider keeps (issue 15): registered OAuth clients, pending
//! authorization requests (the consent page), grants (client × learner key × scopes),
//! authorization codes, and access and refresh tokens.
//!
//! Every secret is a [`SecretToken`] of 32 random bytes of which only the SHA-256 is stored (as
//! for claim tokens and the OpenID4VCI secrets). Single use (requests, codes, refresh tokens) is
//! enforced by conditional `UPDATE … WHERE used_at IS NULL` inside a write transaction
//! ([`BeginWrite`]), so two instances sharing one PostgreSQL cannot both redeem one. Every
//! method that decides on expiry takes the instant `at` to compare with, so tests can move time.
//!
//! Replay handling (OAuth 2.0 Security BCP §4.13, §4.14): a code presented again revokes every
//! token descended from it (`origin_hash`); a refresh token presented again after rotation
//! revokes its whole grant.

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use super::tokens::{claim_hash, SecretToken};
use super::{now, BeginWrite, IssuedCredential, Store, StoreError};
use super::{CredentialRow, CREDENTIAL_SELECT};

/// Prefix of client ids (public).
pub const CLIENT_PREFIX: &str = "obc_";
/// Prefix of client secrets.
pub const CLIENT_SECRET_PREFIX: &str = "obs_";
/// Prefix of authorization codes.
pub const CODE_PREFIX: &str = "oac_";
/// Prefix of access tokens.
pub const ACCESS_PREFIX: &str = "obt_";
/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "obr_";
/// Prefix of pending authorization request ids (the consent form's `request`).
pub const REQUEST_PREFIX: &str = "oar_";
/// Prefix of consent CSRF tokens.
pub const CSRF_PREFIX: &str = "ocs_";

fn digest(token: &str) -> Vec<u8> {
    claim_hash(token)
}

/// A registered client (never its secret).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRecord {
    pub id: String,
    pub client_name: String,
    /// The normalised registration, as JSON text.
    pub metadata: String,
    pub created_at: DateTime<Utc>,
}

/// A pending authorization request, as the consent page needs it (never its id or CSRF token).
#[derive(Clone, PartialEq)]
pub struct AuthRequestRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    /// Asked for and never granted (space-separated).
    pub refused_scope: String,
    pub state: String,
    pub code_challenge: String,
    pub csrf_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub failed_attempts: u32,
}

impl std::fmt::Debug for AuthRequestRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequestRecord")
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .field("failed_attempts", &self.failed_attempts)
            .finish_non_exhaustive()
    }
}

impl AuthRequestRecord {
    /// Unused, unexpired at `at`, and with fewer than `max_failures` wrong claim links.
    pub fn is_open(&self, at: DateTime<Utc>, max_failures: u32) -> bool {
        self.used_at.is_none() && self.expires_at > at && self.failed_attempts < max_failures
    }

    /// Whether `presented` is this request's CSRF token (hashes compared in constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        bool::from(digest(presented).ct_eq(&self.csrf_hash))
    }
}

/// What [`Store::create_authorization_request`] stores.
#[derive(Debug, Clone)]
pub struct NewAuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    /// What the client asked for and will not get (space-separated), for the consent page.
    pub refused_scope: String,
    pub state: String,
    pub code_challenge: String,
    pub expires_at: DateTime<Utc>,
}

/// A new pending request's secrets (the hidden form fields and the cookie).
#[derive(Debug, Clone)]
pub struct AuthRequestSecrets {
    pub request: SecretToken,
    pub csrf: SecretToken,
}

/// What [`Store::approve_authorization_request`] did.
#[derive(Debug)]
#[non_exhaustive]
pub enum Approval {
    /// A code for the grant (made now, or the learner's live grant for this client).
    Approved {
        code: SecretToken,
        grant_id: String,
        request: Box<AuthRequestRecord>,
    },
    /// No such request, or it was already decided, or it expired.
    Closed,
}

/// An authorization code's record, for the caller's checks (redirect URI, PKCE, scope).
#[derive(Clone, PartialEq)]
pub struct CodeRecord {
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
}

impl std::fmt::Debug for CodeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRecord")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Tokens handed out by a code exchange or a refresh.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: SecretToken,
    pub refresh_token: SecretToken,
    pub scope: String,
    pub grant_id: String,
}

/// The lifetimes of the tokens to issue, as instants.
#[derive(Debug, Clone, Copy)]
pub struct TokenExpiry {
    pub access: DateTime<Utc>,
    pub refresh: DateTime<Utc>,
}

/// What [`Store::exchange_authorization_code`] and [`Store::refresh_tokens`] did.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenExchange<E> {
    Issued(IssuedTokens),
    /// No such code or refresh token (or one of another client).
    Unknown,
    /// Expired, or its grant was revoked.
    Expired,
    /// Already used: the tokens descended from the code, or the whole grant of the refresh
    /// token, are now revoked.
    Replayed {
        grant_id: String,
        revoked: u64,
    },
    /// The caller's check refused it (the code is used up all the same; a refresh token is not
    /// rotated).
    Refused(E),
}

/// What [`Store::revoke_token`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// An access token, now revoked (or already).
    Access { grant_id: String },
    /// A refresh token: its whole grant is now revoked.
    Refresh { grant_id: String },
    /// Not a token of this client (unknown, or another client's): nothing revoked.
    NotFound,
}

/// A live access token and what it may read.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRecord {
    pub grant_id: String,
    pub client_id: String,
    pub learner_key: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

/// A live grant, as the claim page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantView {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub client_metadata: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// One page of a learner's credentials.
#[derive(Debug, Clone)]
pub struct CredentialPage {
    pub credentials: Vec<IssuedCredential>,
    pub total: u64,
}

type RequestRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Vec<u8>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
);

const REQUEST_SELECT: &str = "SELECT client_id, redirect_uri, scope, refused_scope, state, \
    code_challenge, csrf_hash, expires_at, used_at, failed_attempts FROM obapi_requests";

fn request_record(row: RequestRow) -> AuthRequestRecord {
    let (
        client_id,
        redirect_uri,
        scope,
        refused_scope,
        state,
        code_challenge,
        csrf_hash,
        expires_at,
        used_at,
        n,
    ) = row;
    AuthRequestRecord {
        client_id,
        redirect_uri,
        scope,
        refused_scope,
        state,
        code_challenge,
        csrf_hash,
        expires_at,
        used_at,
        failed_attempts: u32::try_from(n).unwrap_or(u32::MAX),
    }
}

/// Inserts an access and a refresh token for a grant in a transaction (both backends), and
/// records the grant as used at `$at`.
macro_rules! insert_token_pair {
    ($tx:expr, $tokens:expr, $client:expr, $origin:expr, $at:expr, $expiry:expr) => {{
        let tokens: &IssuedTokens = $tokens;
        for (kind, token, expires) in [
            ("access", &tokens.access_token, $expiry.access),
            ("refresh", &tokens.refresh_token, $expiry.refresh),
        ] {
            sqlx::query(
                "INSERT INTO obapi_tokens (hash, kind, grant_id, client_id, origin_hash, scope, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(digest(token.expose()))
            .bind(kind)
            .bind(&tokens.grant_id)
            .bind($client)
            .bind($origin)
            .bind(&tokens.scope)
            .bind($at)
            .bind(expires)
            .execute(&mut *$tx)
            .await?;
        }
        sqlx::query("UPDATE obapi_grants SET last_used_at = $1 WHERE id = $2")
            .bind($at)
            .bind(&tokens.grant_id)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Revokes a grant and every token of it, in a transaction; the number of tokens revoked.
macro_rules! revoke_grant_in {
    ($tx:expr, $grant:expr, $at:expr) => {{
        sqlx::query("UPDATE obapi_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind($at)
            .bind($grant)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(
            "UPDATE obapi_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
        )
        .bind($at)
        .bind($grant)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
    }};
}

impl Store {
    /// Registers a client: a fresh public id and secret (shown once), the normalised
    /// `metadata` (JSON text) kept as answered.
    pub async fn register_client(
        &self,
        client_name: &str,
        metadata: &str,
    ) -> Result<(ClientRecord, SecretToken), StoreError> {
        let secret = SecretToken::generate(CLIENT_SECRET_PREFIX)?;
        let id = SecretToken::generate(CLIENT_PREFIX)?;
        let record = ClientRecord {
            id: id.expose()[..CLIENT_PREFIX.len() + 32].to_owned(),
            client_name: client_name.to_owned(),
            metadata: metadata.to_owned(),
            created_at: now(),
        };
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO obapi_clients (id, secret_hash, client_name, metadata, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&record.id)
            .bind(digest(secret.expose()))
            .bind(&record.client_name)
            .bind(&record.metadata)
            .bind(record.created_at)
            .execute(p)
            .await
            .map_err(super::unique("OAuth client"))?;
        });
        Ok((record, secret))
    }

    /// A registered client by id.
    pub async fn client(&self, id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let row: Option<(String, String, String, DateTime<Utc>)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, client_name, metadata, created_at FROM obapi_clients WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        Ok(
            row.map(|(id, client_name, metadata, created_at)| ClientRecord {
                id,
                client_name,
                metadata,
                created_at,
            }),
        )
    }

    /// The client whose id and secret these are (`client_secret_basic`); the secret's hash is
    /// compared in constant time.
    pub async fn authenticate_client(
        &self,
        id: &str,
        secret: &str,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let stored: Option<Vec<u8>> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT secret_hash FROM obapi_clients WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        let Some(stored) = stored else {
            return Ok(None);
        };
        if !bool::from(digest(secret).ct_eq(&stored)) {
            return Ok(None);
        }
        self.client(id).await
    }

    /// Stores a pending authorization request; its id and CSRF token are returned once.
    pub async fn create_authorization_request(
        &self,
        new: &NewAuthRequest,
    ) -> Result<AuthRequestSecrets, StoreError> {
        let secrets = AuthRequestSecrets {
            request: SecretToken::generate(REQUEST_PREFIX)?,
            csrf: SecretToken::generate(CSRF_PREFIX)?,
        };
        let at = now();
        on_pool!(self, p => {
            // Anyone can start requests: drop those expired for a day first, so the table
            // holds at most a day's worth.
            sqlx::query("DELETE FROM obapi_requests WHERE expires_at < $1")
                .bind(at - chrono::TimeDelta::days(1))
                .execute(p)
                .await?;
            sqlx::query(
                "INSERT INTO obapi_requests (hash, csrf_hash, client_id, redirect_uri, scope, \
                 refused_scope, state, code_challenge, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(digest(secrets.request.expose()))
            .bind(digest(secrets.csrf.expose()))
            .bind(&new.client_id)
            .bind(&new.redirect_uri)
            .bind(&new.scope)
            .bind(&new.refused_scope)
            .bind(&new.state)
            .bind(&new.code_challenge)
            .bind(at)
            .bind(new.expires_at)
            .execute(p)
            .await
            .map_err(super::unique("authorization request"))?;
        });
        Ok(secrets)
    }

    /// A pending authorization request by its id, whatever its state.
    pub async fn authorization_request(
        &self,
        request: &str,
    ) -> Result<Option<AuthRequestRecord>, StoreError> {
        let sql = format!("{REQUEST_SELECT} WHERE hash = $1");
        let hash = digest(request);
        let row: Option<RequestRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(&hash).fetch_optional(p).await?
        });
        Ok(row.map(request_record))
    }

    /// Counts a wrong claim link against a pending request; the attempts counted so far.
    pub async fn fail_authorization_request(&self, request: &str) -> Result<u32, StoreError> {
        let hash = digest(request);
        let n: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar(
                "UPDATE obapi_requests SET failed_attempts = failed_attempts + 1 \
                 WHERE hash = $1 RETURNING failed_attempts",
            )
            .bind(&hash)
            .fetch_optional(p)
            .await?
        });
        Ok(n.map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Closes a pending request without a grant (the learner said no); its record if it was
    /// open at `at`.
    pub async fn deny_authorization_request(
        &self,
        request: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<AuthRequestRecord>, StoreError> {
        let hash = digest(request);
        let sql = format!("{REQUEST_SELECT} WHERE hash = $1");
        let row: Option<RequestRow> = on_pool!(self, p => {
            let n = sqlx::query(
                "UPDATE obapi_requests SET used_at = $1 \
                 WHERE hash = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(at)
            .bind(&hash)
            .execute(p)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query_as(&sql).bind(&hash).fetch_optional(p).await?
            } else {
                None
            }
        });
        Ok(row.map(request_record))
    }

    /// The learner (by key) approves a pending request at `at`: in one transaction the request
    /// is closed, the learner's live grant for the client is found (its scopes widened to the
    /// request's) or made, and a code expiring at `code_expires` is minted for it.
    pub async fn approve_authorization_request(
        &self,
        request: &str,
        learner_key: &str,
        at: DateTime<Utc>,
        code_expires: DateTime<Utc>,
    ) -> Result<Approval, StoreError> {
        let hash = digest(request);
        let code = SecretToken::generate(CODE_PREFIX)?;
        let new_grant = uuid::Uuid::new_v4().to_string();
        let sql = format!("{REQUEST_SELECT} WHERE hash = $1");
        let out = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(
                "UPDATE obapi_requests SET used_at = $1 \
                 WHERE hash = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(at)
            .bind(&hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let row: Option<RequestRow> = if n == 1 {
                sqlx::query_as(&sql).bind(&hash).fetch_optional(&mut *tx).await?
            } else {
                None
            };
            let outcome = match row.map(request_record) {
                None => Approval::Closed,
                Some(record) => {
                    let live: Option<(String, String)> = sqlx::query_as(
                        "SELECT id, scope FROM obapi_grants \
                         WHERE client_id = $1 AND learner_key = $2 AND revoked_at IS NULL",
                    )
                    .bind(&record.client_id)
                    .bind(learner_key)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let grant_id = match live {
                        Some((id, scope)) => {
                            let widened = union_scope(&scope, &record.scope);
                            sqlx::query("UPDATE obapi_grants SET scope = $1 WHERE id = $2")
                                .bind(&widened)
                                .bind(&id)
                                .execute(&mut *tx)
                                .await?;
                            id
                        }
                        None => {
                            sqlx::query(
                                "INSERT INTO obapi_grants (id, client_id, learner_key, scope, \
                                 created_at) VALUES ($1, $2, $3, $4, $5)",
                            )
                            .bind(&new_grant)
                            .bind(&record.client_id)
                            .bind(learner_key)
                            .bind(&record.scope)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                            new_grant.clone()
                        }
                    };
                    sqlx::query(
                        "INSERT INTO obapi_codes (hash, grant_id, client_id, redirect_uri, scope, \
                         code_challenge, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(digest(code.expose()))
                    .bind(&grant_id)
                    .bind(&record.client_id)
                    .bind(&record.redirect_uri)
                    .bind(&record.scope)
                    .bind(&record.code_challenge)
                    .bind(at)
                    .bind(code_expires)
                    .execute(&mut *tx)
                    .await?;
                    Approval::Approved {
                        code: code.clone(),
                        grant_id,
                        request: Box::new(record),
                    }
                }
            };
            tx.commit().await?;
            outcome
        });
        Ok(out)
    }

    /// Redeems an authorization code of `client_id` at `at`. `check` sees the code's record
    /// (redirect URI, PKCE challenge, scope) and returns the scope to issue, or why not — the
    /// code is used up either way (one attempt per code). A code presented again revokes every
    /// token descended from it.
    pub async fn exchange_authorization_code<E>(
        &self,
        code: &str,
        client_id: &str,
        at: DateTime<Utc>,
        expiry: TokenExpiry,
        check: impl FnOnce(&CodeRecord) -> Result<String, E>,
    ) -> Result<TokenExchange<E>, StoreError> {
        let hash = digest(code);
        let access = SecretToken::generate(ACCESS_PREFIX)?;
        let refresh = SecretToken::generate(REFRESH_PREFIX)?;
        type Row = (
            String,
            String,
            String,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        );
        let out = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<Row> = sqlx::query_as(
                "SELECT c.grant_id, c.client_id, c.redirect_uri, c.scope, c.code_challenge, \
                 c.expires_at, c.used_at, g.revoked_at FROM obapi_codes c \
                 JOIN obapi_grants g ON g.id = c.grant_id WHERE c.hash = $1",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match row {
                None => TokenExchange::Unknown,
                Some((_, owner, ..)) if owner != client_id => TokenExchange::Unknown,
                Some((grant_id, _, _, _, _, _, Some(_), _)) => {
                    let revoked = sqlx::query(
                        "UPDATE obapi_tokens SET revoked_at = $1 \
                         WHERE origin_hash = $2 AND revoked_at IS NULL",
                    )
                    .bind(at)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    TokenExchange::Replayed { grant_id, revoked }
                }
                Some((grant_id, client, redirect_uri, scope, code_challenge, expires_at, None, revoked)) => {
                    let used = sqlx::query(
                        "UPDATE obapi_codes SET used_at = $1 WHERE hash = $2 AND used_at IS NULL",
                    )
                    .bind(at)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if used != 1 {
                        TokenExchange::Replayed { grant_id, revoked: 0 }
                    } else if expires_at <= at || revoked.is_some() {
                        TokenExchange::Expired
                    } else {
                        let record = CodeRecord {
                            grant_id: grant_id.clone(),
                            client_id: client.clone(),
                            redirect_uri,
                            scope,
                            code_challenge,
                        };
                        match check(&record) {
                            Err(e) => TokenExchange::Refused(e),
                            Ok(scope) => {
                                let tokens = IssuedTokens {
                                    access_token: access.clone(),
                                    refresh_token: refresh.clone(),
                                    scope,
                                    grant_id: grant_id.clone(),
                                };
                                insert_token_pair!(tx, &tokens, &client, &hash, at, expiry);
                                TokenExchange::Issued(tokens)
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

    /// Exchanges a refresh token of `client_id` at `at` for a new access and refresh token
    /// (rotation). `check` sees the grant's scope and returns the scope to issue, or why not
    /// (then nothing changes). A rotated-out refresh token presented again revokes the grant.
    pub async fn refresh_tokens<E>(
        &self,
        refresh_token: &str,
        client_id: &str,
        at: DateTime<Utc>,
        expiry: TokenExpiry,
        check: impl FnOnce(&str) -> Result<String, E>,
    ) -> Result<TokenExchange<E>, StoreError> {
        let hash = digest(refresh_token);
        let access = SecretToken::generate(ACCESS_PREFIX)?;
        let refresh = SecretToken::generate(REFRESH_PREFIX)?;
        type Row = (
            String,
            String,
            Vec<u8>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            String,
            Option<DateTime<Utc>>,
        );
        let out = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<Row> = sqlx::query_as(
                "SELECT t.grant_id, t.client_id, t.origin_hash, t.expires_at, t.rotated_at, \
                 t.revoked_at, g.scope, g.revoked_at FROM obapi_tokens t \
                 JOIN obapi_grants g ON g.id = t.grant_id \
                 WHERE t.hash = $1 AND t.kind = 'refresh'",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match row {
                None => TokenExchange::Unknown,
                Some((_, owner, ..)) if owner != client_id => TokenExchange::Unknown,
                Some((grant_id, _, _, _, Some(_), _, _, None)) => {
                    let revoked = revoke_grant_in!(tx, &grant_id, at);
                    TokenExchange::Replayed { grant_id, revoked }
                }
                Some((_, _, _, expires_at, _, token_revoked, _, grant_revoked))
                    if expires_at <= at || token_revoked.is_some() || grant_revoked.is_some() =>
                {
                    TokenExchange::Expired
                }
                Some((grant_id, client, origin, _, _, _, granted, _)) => match check(&granted) {
                    Err(e) => TokenExchange::Refused(e),
                    Ok(scope) => {
                        let rotated = sqlx::query(
                            "UPDATE obapi_tokens SET rotated_at = $1 \
                             WHERE hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL",
                        )
                        .bind(at)
                        .bind(&hash)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if rotated != 1 {
                            // Another request rotated it between our read and write.
                            let revoked = revoke_grant_in!(tx, &grant_id, at);
                            TokenExchange::Replayed { grant_id, revoked }
                        } else {
                            let tokens = IssuedTokens {
                                access_token: access.clone(),
                                refresh_token: refresh.clone(),
                                scope,
                                grant_id: grant_id.clone(),
                            };
                            insert_token_pair!(tx, &tokens, &client, &origin, at, expiry);
                            TokenExchange::Issued(tokens)
                        }
                    }
                },
            };
            tx.commit().await?;
            outcome
        });
        Ok(out)
    }

    /// RFC 7009 revocation by `client_id` at `at`: an access token is revoked; a refresh token
    /// revokes its whole grant; another client's token or an unknown one changes nothing.
    pub async fn revoke_token(
        &self,
        token: &str,
        client_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Revocation, StoreError> {
        let hash = digest(token);
        let out = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<(String, String, String)> = sqlx::query_as(
                "SELECT kind, grant_id, client_id FROM obapi_tokens WHERE hash = $1",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match row {
                Some((kind, grant_id, owner)) if owner == client_id => {
                    if kind == "refresh" {
                        revoke_grant_in!(tx, &grant_id, at);
                        Revocation::Refresh { grant_id }
                    } else {
                        sqlx::query(
                            "UPDATE obapi_tokens SET revoked_at = $1 \
                             WHERE hash = $2 AND revoked_at IS NULL",
                        )
                        .bind(at)
                        .bind(&hash)
                        .execute(&mut *tx)
                        .await?;
                        Revocation::Access { grant_id }
                    }
                }
                _ => Revocation::NotFound,
            };
            tx.commit().await?;
            outcome
        });
        Ok(out)
    }

    /// The grant behind an access token live at `at` (not expired, not revoked, its grant not
    /// revoked), and notes the grant as used. `None` for anything else.
    pub async fn access_token_grant(
        &self,
        token: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<AccessRecord>, StoreError> {
        let hash = digest(token);
        let row: Option<(String, String, String, String, DateTime<Utc>)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT t.grant_id, t.client_id, g.learner_key, t.scope, t.expires_at \
                 FROM obapi_tokens t JOIN obapi_grants g ON g.id = t.grant_id \
                 WHERE t.hash = $1 AND t.kind = 'access' AND t.revoked_at IS NULL \
                 AND g.revoked_at IS NULL AND t.expires_at > $2",
            )
            .bind(&hash)
            .bind(at)
            .fetch_optional(p)
            .await?
        });
        let Some((grant_id, client_id, learner_key, scope, expires_at)) = row else {
            return Ok(None);
        };
        on_pool!(self, p => {
            sqlx::query("UPDATE obapi_grants SET last_used_at = $1 WHERE id = $2")
                .bind(at)
                .bind(&grant_id)
                .execute(p)
                .await?;
        });
        Ok(Some(AccessRecord {
            grant_id,
            client_id,
            learner_key,
            scope,
            expires_at,
        }))
    }

    /// The live grants of a learner, oldest first, with their clients.
    pub async fn grants_for_learner(
        &self,
        learner_key: &str,
    ) -> Result<Vec<GrantView>, StoreError> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT g.id, g.client_id, c.client_name, c.metadata, g.scope, g.created_at, \
                 g.last_used_at FROM obapi_grants g JOIN obapi_clients c ON c.id = g.client_id \
                 WHERE g.learner_key = $1 AND g.revoked_at IS NULL ORDER BY g.created_at, g.id",
            )
            .bind(learner_key)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, client_id, client_name, client_metadata, scope, created_at, last_used_at)| {
                    GrantView {
                        id,
                        client_id,
                        client_name,
                        client_metadata,
                        scope,
                        created_at,
                        last_used_at,
                    }
                },
            )
            .collect())
    }

    /// Revokes a learner's grant (and its tokens) at `at`; false when it is not a live grant of
    /// that learner.
    pub async fn disconnect_grant(
        &self,
        grant_id: &str,
        learner_key: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let out = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let owned: Option<String> = sqlx::query_scalar(
                "SELECT id FROM obapi_grants WHERE id = $1 AND learner_key = $2 \
                 AND revoked_at IS NULL",
            )
            .bind(grant_id)
            .bind(learner_key)
            .fetch_optional(&mut *tx)
            .await?;
            let done = if owned.is_some() {
                revoke_grant_in!(tx, grant_id, at);
                true
            } else {
                false
            };
            tx.commit().await?;
            done
        });
        Ok(out)
    }

    /// The credentials of a learner key that are neither revoked nor suspended, issued strictly
    /// after `since` if given, ordered by issue time then id: `limit` of them from `offset`, and
    /// how many there are in all.
    pub async fn learner_credentials(
        &self,
        learner_key: &str,
        since: Option<DateTime<Utc>>,
        limit: u64,
        offset: u64,
    ) -> Result<CredentialPage, StoreError> {
        // No `since`: everything issued after the Unix epoch (before any Passerelle credential;
        // a value both backends store and order correctly).
        let floor = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let filter = "WHERE learner_key = $1 AND revoked_at IS NULL AND suspended = FALSE \
                      AND issued_at > $2";
        let count_sql = format!("SELECT COUNT(*) FROM credentials {filter}");
        let page_sql =
            format!("{CREDENTIAL_SELECT} {filter} ORDER BY issued_at, id LIMIT $3 OFFSET $4");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let (total, rows): (i64, Vec<CredentialRow>) = on_pool!(self, p => {
            let total = sqlx::query_scalar(&count_sql)
                .bind(learner_key)
                .bind(floor)
                .fetch_one(p)
                .await?;
            let rows = sqlx::query_as(&page_sql)
                .bind(learner_key)
                .bind(floor)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            (total, rows)
        });
        Ok(CredentialPage {
            credentials: rows
                .into_iter()
                .map(CredentialRow::into_credential)
                .collect(),
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

/// The space-separated union of two scope lists, in order of first appearance.
fn union_scope(a: &str, b: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in a.split_whitespace().chain(b.split_whitespace()) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_widen_without_repeats() {
        assert_eq!(union_scope("a b", "b c"), "a b c");
        assert_eq!(union_scope("", "a"), "a");
    }
}
