//! OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow (issue 14): what the
//! issuer does with a database and a clock around the pure rules of
//! [`passerelle_core::oid4vci`].
//!
//! The issuer is its own authorization server; its credential issuer identifier is the
//! configured public base URL. One credential configuration per achievement and format
//! (`<slug>.ldp_vc`, `<slug>.jwt_vc_json`, see [`configuration_id`]).
//!
//! - `metadata`: the credential issuer metadata (§12.2) and the authorization server metadata
//!   (RFC 8414), with `display` in every language the issuer's achievements are written in;
//! - `offers`: credential offers (§4) for a claim link, by reference or by value, each minting a
//!   fresh pre-authorized code;
//! - `token`: the token endpoint (§6), access tokens, `c_nonce` values (§7);
//! - `credential`: the credential endpoint (§8): the key proof checked with the core, a
//!   holder-bound copy of the award signed as `ldp_vc` or `jwt_vc_json`, recorded as a delivery;
//!   and the notification endpoint (§11).
//!
//! Every answer an endpoint gives is an [`Oid4vciError`] or a success value; the server module
//! turns them into the exact bodies the specifications prescribe. **Invariant:** no code, token,
//! nonce, notification id or transaction code is ever logged or written to the audit log.

mod credential;
mod metadata;
mod offers;
mod token;

use passerelle_core::oid4vci::{
    CredentialErrorCode, NotificationErrorCode, TokenErrorCode, FORMAT_JWT_VC_JSON, FORMAT_LDP_VC,
};

use crate::issuance::IssueError;
use crate::store::StoreError;

pub use credential::{issue_credential, notify, CredentialResponse};
pub use metadata::{
    authorization_server_metadata, authorization_server_metadata_paths, issuer_metadata,
    issuer_metadata_paths,
};
pub use offers::{offer_by_reference, offer_for_claim, offer_for_reference_secret, MintedOffer};
pub use token::{
    authorize, exchange_code, new_nonce, Authorized, NonceResponse, TokenRequest, TokenResponse,
};

/// Wrong transaction codes after which a pre-authorized code is burnt.
pub const MAX_TX_CODE_FAILURES: u32 = 5;
/// How old a key proof's `iat` may be.
pub const PROOF_MAX_AGE_SECONDS: i64 = 300;
/// How far ahead of our clock a key proof's `iat` may be.
pub const PROOF_MAX_SKEW_SECONDS: i64 = 60;

/// The credential formats this issuer signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `ldp_vc`: the OB 3.0 credential with an eddsa-rdfc-2022 Data Integrity proof.
    LdpVc,
    /// `jwt_vc_json`: the OB 3.0 credential secured as VC-JOSE (`vc+jwt`, EdDSA).
    JwtVcJson,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::LdpVc, Format::JwtVcJson];

    /// The format identifier (Appendix A).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::LdpVc => FORMAT_LDP_VC,
            Format::JwtVcJson => FORMAT_JWT_VC_JSON,
        }
    }
}

/// The credential configuration id of an achievement (by slug) in a format: `<slug>.<format>`.
/// Slugs are stable (they cannot be changed) and have no dot, so the id is too.
pub fn configuration_id(slug: &str, format: Format) -> String {
    format!("{slug}.{}", format.as_str())
}

/// The achievement slug and format a configuration id names, if it has the form of one.
pub fn parse_configuration_id(id: &str) -> Option<(&str, Format)> {
    let (slug, format) = id.rsplit_once('.')?;
    let format = Format::ALL.into_iter().find(|f| f.as_str() == format)?;
    (!slug.is_empty()).then_some((slug, format))
}

/// Why an OpenID4VCI request was refused, as its endpoint answers it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Oid4vciError {
    /// A token endpoint error (RFC 6749 §5.2): 400 with `error` and `error_description`.
    #[error("{code}: {description}")]
    Token {
        code: TokenErrorCode,
        description: String,
    },
    /// No `Authorization` header (RFC 6750 §3.1: 401 with a `WWW-Authenticate` challenge and
    /// no error code).
    #[error("an access token is required (Authorization: Bearer …)")]
    MissingToken,
    /// A malformed, unknown, expired or revoked access token (RFC 6750 §3.1): 401 with
    /// `WWW-Authenticate: Bearer error="invalid_token"`.
    #[error("invalid_token: {description}")]
    InvalidToken { description: String },
    /// A credential endpoint error (§8.3.1.2): 400 with `error` and `error_description`.
    #[error("{code}: {description}")]
    Credential {
        code: CredentialErrorCode,
        description: String,
    },
    /// A notification endpoint error (§11.3): 400 with `error` and `error_description`.
    #[error("{code}: {description}")]
    Notification {
        code: NotificationErrorCode,
        description: String,
    },
    /// The credential offer reference is unknown.
    #[error("this credential offer is not known")]
    OfferNotFound,
    /// The credential offer has expired (with its claim link), or its badge was revoked.
    #[error("{reason}")]
    OfferGone { reason: String },
    /// Our fault (database, signing, randomness): answered 500, the cause logged.
    #[error(transparent)]
    Issue(#[from] IssueError),
}

impl From<StoreError> for Oid4vciError {
    fn from(e: StoreError) -> Self {
        Self::Issue(IssueError::from(e))
    }
}

impl Oid4vciError {
    pub(crate) fn token(code: TokenErrorCode, description: impl Into<String>) -> Self {
        Self::Token {
            code,
            description: description.into(),
        }
    }

    pub(crate) fn credential(code: CredentialErrorCode, description: impl Into<String>) -> Self {
        Self::Credential {
            code,
            description: description.into(),
        }
    }

    pub(crate) fn invalid_token(description: impl Into<String>) -> Self {
        Self::InvalidToken {
            description: description.into(),
        }
    }
}

/// The shape of every secret this module hands out: its prefix and 64 hex digits. Anything
/// else is unknown without asking the database.
pub(crate) fn well_formed(secret: &str, prefix: &str) -> bool {
    secret
        .strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_ids_round_trip() {
        for format in Format::ALL {
            let id = configuration_id("data-101", format);
            assert_eq!(parse_configuration_id(&id), Some(("data-101", format)));
        }
        assert_eq!(
            configuration_id("data-101", Format::LdpVc),
            "data-101.ldp_vc"
        );
        assert_eq!(parse_configuration_id("data-101.mso_mdoc"), None);
        assert_eq!(parse_configuration_id(".ldp_vc"), None);
        assert_eq!(parse_configuration_id("data-101"), None);
    }

    #[test]
    fn secret_shapes() {
        assert!(well_formed(&format!("pac_{}", "0a".repeat(32)), "pac_"));
        assert!(!well_formed(&format!("oat_{}", "0a".repeat(32)), "pac_"));
        assert!(!well_formed("pac_zz", "pac_"));
    }
}
