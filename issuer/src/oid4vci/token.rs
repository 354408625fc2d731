//! The token endpoint (§6, RFC 6749 §4.1.3 for the pre-authorized code grant), access tokens on
//! the credential and notification endpoints (RFC 6750), and `c_nonce` values (§7).

use passerelle_core::oid4vci::{TokenErrorCode, PRE_AUTHORIZED_GRANT_TYPE};
use serde::Serialize;
use serde_json::json;

use crate::issuance::Issuer;
use crate::store::oid4vci::{CodeExchange, NonceUse, ACCESS_TOKEN_PREFIX, CODE_PREFIX};
use crate::store::{CredentialId, NewAuditEntry};

use super::{well_formed, Oid4vciError, MAX_TX_CODE_FAILURES};

/// Who the audit log says acted on the public OpenID4VCI endpoints.
pub const WALLET_ACTOR: &str = "oid4vci-wallet";

/// Longest form body or parameter the token endpoint reads.
const MAX_PARAMETER: usize = 512;

/// A token request (`application/x-www-form-urlencoded`). `Debug` is redacted.
#[derive(Clone, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub pre_authorized_code: Option<String>,
    pub tx_code: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .finish_non_exhaustive()
    }
}

impl TokenRequest {
    /// Reads a form body: each parameter at most once (RFC 6749 §3.2), unknown ones ignored
    /// (§3.1), values bounded.
    pub fn parse(body: &[u8]) -> Result<Self, Oid4vciError> {
        let mut request = Self::default();
        for (name, value) in url::form_urlencoded::parse(body) {
            let slot = match name.as_ref() {
                "grant_type" => &mut request.grant_type,
                "pre-authorized_code" => &mut request.pre_authorized_code,
                "tx_code" => &mut request.tx_code,
                _ => continue,
            };
            if slot.is_some() {
                return Err(Oid4vciError::token(
                    TokenErrorCode::InvalidRequest,
                    format!("the parameter {name} is given more than once"),
                ));
            }
            if value.len() > MAX_PARAMETER {
                return Err(Oid4vciError::token(
                    TokenErrorCode::InvalidRequest,
                    format!("the parameter {name} is longer than {MAX_PARAMETER} bytes"),
                ));
            }
            *slot = Some(value.into_owned());
        }
        Ok(request)
    }
}

/// A successful token response (§6.2). `Debug` is redacted.
#[derive(Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u32,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A nonce response (§7.2).
#[derive(Clone, Serialize)]
pub struct NonceResponse {
    pub c_nonce: String,
}

impl std::fmt::Debug for NonceResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceResponse(<redacted>)")
    }
}

async fn audit(
    issuer: &Issuer,
    action: &str,
    credential: &CredentialId,
    details: serde_json::Value,
) -> Result<(), Oid4vciError> {
    issuer
        .store()
        .append_audit(&NewAuditEntry {
            actor: WALLET_ACTOR.into(),
            action: action.into(),
            subject: credential.to_string(),
            details,
        })
        .await?;
    Ok(())
}

/// The token endpoint: a pre-authorized code (and its transaction code, if the offer asked for
/// one) for an access token.
pub async fn exchange_code(
    issuer: &Issuer,
    request: &TokenRequest,
) -> Result<TokenResponse, Oid4vciError> {
    use TokenErrorCode::{InvalidGrant, InvalidRequest, UnsupportedGrantType};
    match request.grant_type.as_deref() {
        None => return Err(Oid4vciError::token(InvalidRequest, "grant_type is missing")),
        Some(PRE_AUTHORIZED_GRANT_TYPE) => {}
        Some(other) => {
            return Err(Oid4vciError::token(
                UnsupportedGrantType,
                format!(
                    "the grant type {other:?} is not supported: this issuer offers only \
                     {PRE_AUTHORIZED_GRANT_TYPE}"
                ),
            ))
        }
    }
    let Some(code) = request.pre_authorized_code.as_deref() else {
        return Err(Oid4vciError::token(
            InvalidRequest,
            "pre-authorized_code is missing",
        ));
    };
    let unknown = || {
        Oid4vciError::token(
            InvalidGrant,
            "the pre-authorized code is not known: scan the credential offer again",
        )
    };
    if !well_formed(code, CODE_PREFIX) {
        return Err(unknown());
    }
    let config = issuer.config().oid4vci;
    let now = crate::store::now_seconds();
    let expires = now + chrono::Duration::seconds(i64::from(config.access_token_ttl_seconds));
    let outcome = issuer
        .store()
        .exchange_pre_authorized_code(
            code,
            request.tx_code.as_deref(),
            |check, given| issuer.tx_code_matches(check, given),
            now,
            expires,
            MAX_TX_CODE_FAILURES,
        )
        .await?;
    match outcome {
        CodeExchange::Exchanged {
            access_token,
            credential_id,
            ..
        } => {
            audit(
                issuer,
                "oid4vci.token",
                &credential_id,
                json!({ "expires_in": config.access_token_ttl_seconds }),
            )
            .await?;
            Ok(TokenResponse {
                access_token: access_token.expose().to_owned(),
                token_type: "Bearer",
                expires_in: config.access_token_ttl_seconds,
            })
        }
        CodeExchange::Unknown => Err(unknown()),
        CodeExchange::Expired => Err(Oid4vciError::token(
            InvalidGrant,
            "the pre-authorized code has expired: open the credential offer again for a new one",
        )),
        CodeExchange::Replayed {
            credential_id,
            revoked,
        } => {
            audit(
                issuer,
                "oid4vci.code_replayed",
                &credential_id,
                json!({ "access_tokens_revoked": revoked }),
            )
            .await?;
            Err(Oid4vciError::token(
                InvalidGrant,
                "the pre-authorized code has already been used; the access token issued \
                 for it is revoked. Open the credential offer again for a new code",
            ))
        }
        CodeExchange::Burnt => Err(Oid4vciError::token(
            InvalidGrant,
            "the pre-authorized code no longer works after too many wrong transaction codes: \
             open the credential offer again for a new code",
        )),
        CodeExchange::MissingTxCode => Err(Oid4vciError::token(
            InvalidRequest,
            "tx_code is missing: this offer needs the transaction code sent to the learner \
             separately",
        )),
        CodeExchange::WrongTxCode {
            credential_id,
            remaining,
        } => {
            audit(
                issuer,
                "oid4vci.tx_code_refused",
                &credential_id,
                json!({ "attempts_left": remaining }),
            )
            .await?;
            Err(Oid4vciError::token(
                InvalidGrant,
                if remaining == 0 {
                    "wrong transaction code; the pre-authorized code no longer works: open \
                     the credential offer again for a new code"
                        .to_owned()
                } else {
                    format!("wrong transaction code ({remaining} attempt(s) left)")
                },
            ))
        }
    }
}

/// A live access token, as presented.
#[derive(Clone)]
pub struct Authorized {
    /// The token as presented (deliveries are recorded under its hash).
    pub token: String,
    /// The award it gives access to.
    pub credential_id: CredentialId,
}

impl std::fmt::Debug for Authorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorized")
            .field("credential_id", &self.credential_id)
            .finish_non_exhaustive()
    }
}

/// Checks `Authorization: Bearer <access token>` (`header` is the header's value, if any).
pub async fn authorize(issuer: &Issuer, header: Option<&str>) -> Result<Authorized, Oid4vciError> {
    let Some(header) = header else {
        return Err(Oid4vciError::MissingToken);
    };
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Oid4vciError::invalid_token("expected Authorization: Bearer <access token>")
        })?;
    let refused = || Oid4vciError::invalid_token("the access token is unknown, expired or revoked");
    if !well_formed(token, ACCESS_TOKEN_PREFIX) {
        return Err(refused());
    }
    let record = issuer
        .store()
        .access_token(token)
        .await?
        .ok_or_else(refused)?;
    if !record.is_live(crate::store::now_seconds()) {
        return Err(refused());
    }
    Ok(Authorized {
        token: token.to_owned(),
        credential_id: record.credential_id,
    })
}

/// The nonce endpoint: a fresh single-use `c_nonce`.
pub async fn new_nonce(issuer: &Issuer) -> Result<NonceResponse, Oid4vciError> {
    let ttl = issuer.config().oid4vci.nonce_ttl_seconds;
    let expires = crate::store::now_seconds() + chrono::Duration::seconds(i64::from(ttl));
    let nonce = issuer.store().create_nonce(expires).await?;
    Ok(NonceResponse {
        c_nonce: nonce.expose().to_owned(),
    })
}

/// Uses up a `c_nonce` from a key proof: `None` when it is fresh, else why not.
pub(super) async fn consume_nonce(
    issuer: &Issuer,
    nonce: &str,
) -> Result<Option<&'static str>, Oid4vciError> {
    if !well_formed(nonce, crate::store::oid4vci::NONCE_PREFIX) {
        return Ok(Some("is not one this issuer gave out"));
    }
    let used = issuer
        .store()
        .consume_nonce(nonce, crate::store::now_seconds())
        .await?;
    Ok(match used {
        NonceUse::Fresh => None,
        NonceUse::Unknown => Some("is not one this issuer gave out"),
        NonceUse::Expired => Some("has expired"),
        NonceUse::Used => Some("has already been used"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_read_strictly() {
        let r = TokenRequest::parse(
            b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=pac_x&tx_code=123456&other=1",
        )
        .unwrap();
        assert_eq!(r.grant_type.as_deref(), Some(PRE_AUTHORIZED_GRANT_TYPE));
        assert_eq!(r.pre_authorized_code.as_deref(), Some("pac_x"));
        assert_eq!(r.tx_code.as_deref(), Some("123456"));
        assert!(!format!("{r:?}").contains("pac_x"));
        let Err(Oid4vciError::Token { code, .. }) = TokenRequest::parse(b"tx_code=1&tx_code=2")
        else {
            panic!("a repeated parameter was accepted")
        };
        assert_eq!(code, TokenErrorCode::InvalidRequest);
    }
}
