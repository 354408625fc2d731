//! OpenID for Verifiable Credential Issuance 1.0 — the rules both sides share, sans I/O.
//!
//! The issuer (`passerelle-issuer serve`) and the wallet (`passerelle-wallet import
//! 'openid-credential-offer://…'`) speak the pre-authorized code flow; every rule of the
//! specification that does not need a database or a socket lives here:
//!
//! - [`offer`]: credential offers by value and by reference (§4), the well-known metadata
//!   locations (§12.2.2, RFC 8414 §3.1), and the issuer / authorization-server metadata a wallet
//!   reads, checked to be the issuer's own (§12.2.4).
//! - [`proof`]: key proofs of type `jwt` (§8.2.1.1, Appendix F.1), EdDSA and ES256, the key named
//!   by a `did:key` / `did:jwk` `kid` or a `jwk` — verified by the issuer, made by the wallet.
//! - this module: the token, credential and notification error codes (RFC 6749 §5.2, §8.3.1.2,
//!   §11.3) and the credential request (§8.2).
//!
//! ```
//! use passerelle_core::keys::KeyPair;
//! use passerelle_core::oid4vci::{self, ProofExpectations};
//!
//! let holder = KeyPair::from_seed(&[1; 32]);
//! let jwt = oid4vci::sign_proof_jwt(&holder, "https://learn.example", Some("c-nonce"), 1_800_000_000);
//! let expect = ProofExpectations {
//!     audience: "https://learn.example",
//!     now: 1_800_000_010,
//!     max_age_seconds: 300,
//!     max_skew_seconds: 60,
//! };
//! let proof = oid4vci::verify_proof_jwt(&jwt, &expect)?;
//! assert!(proof.holder.did.as_str().starts_with("did:key:z6Mk"));
//! assert_eq!(proof.nonce.as_deref(), Some("c-nonce"));
//! # Ok::<(), oid4vci::ProofError>(())
//! ```

pub mod offer;
pub mod proof;

use std::fmt;

use serde_json::Value;

use crate::input::{self, InputError, InputLimits};

pub use offer::{
    authorization_server_metadata_url, credential_issuer_metadata_url, display_for,
    offer_uri_by_reference, openid_configuration_url, parse_authorization_server_metadata,
    parse_issuer_metadata, parse_offer_json, parse_offer_link, AuthorizationServerMetadata,
    CredentialConfiguration, CredentialMetadata, CredentialOffer, Display, Grants, IssuerMetadata,
    OfferError, OfferLink, PreAuthorizedCodeGrant, TxCode, OFFER_SCHEME,
};
pub use proof::{
    sign_proof_jwt, verify_proof_jwt, HolderKey, HolderPublicKey, ProofAlgorithm, ProofError,
    ProofExpectations, VerifiedProof, PROOF_JWT_TYP,
};

/// The grant type of the pre-authorized code flow (§3.5).
pub const PRE_AUTHORIZED_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// Credential format identifier: W3C VC secured with Data Integrity (Appendix A.1.2).
pub const FORMAT_LDP_VC: &str = "ldp_vc";
/// Credential format identifier: W3C VC secured as a JWT (Appendix A.1.1).
pub const FORMAT_JWT_VC_JSON: &str = "jwt_vc_json";
/// Largest credential request body read, in bytes (one proof of a few hundred bytes).
pub const MAX_CREDENTIAL_REQUEST_BYTES: usize = 64 * 1024;

macro_rules! error_codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every code, in the specification's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The code as the specification spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The code for its spelling.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|code| code.as_str() == name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

error_codes! {
    /// Token endpoint errors (RFC 6749 §5.2, as OpenID4VCI §6.3 uses them).
    TokenErrorCode {
        /// A parameter is missing or repeated, e.g. the transaction code that the offer asked for.
        InvalidRequest => "invalid_request",
        InvalidClient => "invalid_client",
        /// The pre-authorized code is unknown, expired or used, or the transaction code is wrong.
        InvalidGrant => "invalid_grant",
        UnauthorizedClient => "unauthorized_client",
        UnsupportedGrantType => "unsupported_grant_type",
        InvalidScope => "invalid_scope",
    }
}

error_codes! {
    /// Credential endpoint errors (§8.3.1.2).
    CredentialErrorCode {
        InvalidCredentialRequest => "invalid_credential_request",
        UnknownCredentialConfiguration => "unknown_credential_configuration",
        UnknownCredentialIdentifier => "unknown_credential_identifier",
        InvalidProof => "invalid_proof",
        InvalidNonce => "invalid_nonce",
        InvalidEncryptionParameters => "invalid_encryption_parameters",
        CredentialRequestDenied => "credential_request_denied",
    }
}

error_codes! {
    /// Notification endpoint errors (§11.3).
    NotificationErrorCode {
        InvalidNotificationId => "invalid_notification_id",
        InvalidNotificationRequest => "invalid_notification_request",
    }
}

error_codes! {
    /// Notification events (§11.1).
    NotificationEvent {
        CredentialAccepted => "credential_accepted",
        CredentialFailure => "credential_failure",
        CredentialDeleted => "credential_deleted",
    }
}

/// Which credential a request asks for (§8.2: exactly one of the two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestedCredential {
    /// `credential_configuration_id`: a configuration of the issuer metadata.
    Configuration(String),
    /// `credential_identifier`: one the token response's `authorization_details` gave.
    Identifier(String),
}

/// A credential request (§8.2), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRequest {
    pub credential: RequestedCredential,
    /// The `jwt` key proofs (`proofs.jwt`, or the pre-1.0 singular `proof` of type `jwt`).
    pub jwt_proofs: Vec<String>,
    /// The request used the pre-1.0 singular `proof` member, accepted for older wallets.
    pub legacy_proof_member: bool,
}

/// Why a credential request body was refused, with the error code it answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialRequestError {
    #[error("the credential request is not acceptable JSON: {0}")]
    Json(InputError),
    #[error("the credential request's {member:?} {reason}")]
    Member {
        member: &'static str,
        reason: String,
        code: CredentialErrorCode,
    },
}

impl CredentialRequestError {
    /// The error code of the response.
    pub fn code(&self) -> CredentialErrorCode {
        match self {
            CredentialRequestError::Json(_) => CredentialErrorCode::InvalidCredentialRequest,
            CredentialRequestError::Member { code, .. } => *code,
        }
    }
}

/// Parses a credential request body: strict JSON, exactly one of `credential_configuration_id`
/// and `credential_identifier`, key proofs in `proofs.jwt` (one or more JWT strings; other proof
/// types are refused as `invalid_proof`), no response encryption (not offered in the metadata:
/// `invalid_encryption_parameters`).
pub fn parse_credential_request(bytes: &[u8]) -> Result<CredentialRequest, CredentialRequestError> {
    use CredentialErrorCode::{
        InvalidCredentialRequest, InvalidEncryptionParameters, InvalidProof,
    };
    let limits = InputLimits {
        max_bytes: MAX_CREDENTIAL_REQUEST_BYTES,
        max_depth: 8,
    };
    let body = input::parse_json_object(bytes, &limits).map_err(CredentialRequestError::Json)?;
    let member = |member: &'static str, reason: &str, code| CredentialRequestError::Member {
        member,
        reason: reason.to_owned(),
        code,
    };
    let text = |name: &'static str| match body.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(member(
            name,
            "must be a non-empty string",
            InvalidCredentialRequest,
        )),
    };
    let credential = match (
        text("credential_configuration_id")?,
        text("credential_identifier")?,
    ) {
        (Some(id), None) => RequestedCredential::Configuration(id),
        (None, Some(id)) => RequestedCredential::Identifier(id),
        (Some(_), Some(_)) => {
            return Err(member(
                "credential_identifier",
                "must not be given with credential_configuration_id (OpenID4VCI 1.0 section 8.2: one of the two)",
                InvalidCredentialRequest,
            ))
        }
        (None, None) => {
            return Err(member(
                "credential_configuration_id",
                "is missing (give it, or credential_identifier)",
                InvalidCredentialRequest,
            ))
        }
    };
    if body.get("credential_response_encryption").is_some() {
        return Err(member(
            "credential_response_encryption",
            "is not supported by this issuer (its metadata offers no encryption)",
            InvalidEncryptionParameters,
        ));
    }
    let (jwt_proofs, legacy_proof_member) = match (body.get("proofs"), body.get("proof")) {
        (Some(_), Some(_)) => {
            return Err(member(
                "proof",
                "must not be given with \"proofs\"",
                InvalidCredentialRequest,
            ))
        }
        (None, None) => {
            return Err(member(
                "proofs",
                "is missing: a key proof is required to bind the credential to your key",
                InvalidProof,
            ))
        }
        (Some(proofs), None) => {
            let proofs = proofs
                .as_object()
                .ok_or_else(|| member("proofs", "must be an object", InvalidCredentialRequest))?;
            if let Some(other) = proofs.keys().find(|k| k.as_str() != "jwt") {
                return Err(member(
                    "proofs",
                    &format!("has proof type {other:?}; this issuer accepts \"jwt\""),
                    InvalidProof,
                ));
            }
            let jwts = proofs
                .get("jwt")
                .and_then(Value::as_array)
                .filter(|items| !items.is_empty())
                .ok_or_else(|| {
                    member(
                        "proofs",
                        "must hold \"jwt\": a non-empty array of JWTs",
                        InvalidProof,
                    )
                })?;
            let jwts = jwts
                .iter()
                .map(|jwt| jwt.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| member("proofs", "\"jwt\" must hold strings", InvalidProof))?;
            (jwts, false)
        }
        (None, Some(proof)) => {
            let jwt = match (
                proof.get("proof_type").and_then(Value::as_str),
                proof.get("jwt").and_then(Value::as_str),
            ) {
                (Some("jwt"), Some(jwt)) => jwt.to_owned(),
                _ => {
                    return Err(member(
                        "proof",
                        "must be {\"proof_type\": \"jwt\", \"jwt\": …}",
                        InvalidProof,
                    ))
                }
            };
            (vec![jwt], true)
        }
    };
    Ok(CredentialRequest {
        credential,
        jwt_proofs,
        legacy_proof_member,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn error_codes_are_spelled_as_the_specifications_spell_them() {
        assert_eq!(TokenErrorCode::InvalidGrant.to_string(), "invalid_grant");
        assert_eq!(
            CredentialErrorCode::from_name("invalid_nonce"),
            Some(CredentialErrorCode::InvalidNonce)
        );
        assert_eq!(NotificationEvent::ALL.len(), 3);
        for code in CredentialErrorCode::ALL {
            assert_eq!(CredentialErrorCode::from_name(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn a_credential_request_in_the_1_0_form_is_read() {
        let body =
            json!({"credential_configuration_id": "python.ldp_vc", "proofs": {"jwt": ["a.b.c"]}});
        let request = parse_credential_request(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            request.credential,
            RequestedCredential::Configuration("python.ldp_vc".into())
        );
        assert_eq!(request.jwt_proofs, ["a.b.c"]);
        assert!(!request.legacy_proof_member);
        let legacy =
            json!({"credential_identifier": "x", "proof": {"proof_type": "jwt", "jwt": "a.b.c"}});
        let request = parse_credential_request(legacy.to_string().as_bytes()).unwrap();
        assert!(request.legacy_proof_member);
        assert_eq!(
            request.credential,
            RequestedCredential::Identifier("x".into())
        );
    }

    #[test]
    fn bad_credential_requests_get_the_right_code() {
        use CredentialErrorCode::*;
        let cases = [
            (json!({"proofs": {"jwt": ["a"]}}), InvalidCredentialRequest),
            (
                json!({"credential_configuration_id": "x", "credential_identifier": "y", "proofs": {"jwt": ["a"]}}),
                InvalidCredentialRequest,
            ),
            (
                json!({"credential_configuration_id": 7, "proofs": {"jwt": ["a"]}}),
                InvalidCredentialRequest,
            ),
            (json!({"credential_configuration_id": "x"}), InvalidProof),
            (
                json!({"credential_configuration_id": "x", "proofs": {"jwt": []}}),
                InvalidProof,
            ),
            (
                json!({"credential_configuration_id": "x", "proofs": {"di_vp": [{}]}}),
                InvalidProof,
            ),
            (
                json!({"credential_configuration_id": "x", "proofs": {"jwt": [1]}}),
                InvalidProof,
            ),
            (
                json!({"credential_configuration_id": "x", "proof": {"proof_type": "cwt"}}),
                InvalidProof,
            ),
            (
                json!({"credential_configuration_id": "x", "proofs": {"jwt": ["a"]}, "credential_response_encryption": {}}),
                InvalidEncryptionParameters,
            ),
        ];
        for (body, code) in cases {
            let error = parse_credential_request(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(error.code(), code, "{body}: {error}");
        }
        let error = parse_credential_request(b"{\"a\":1,\"a\":2}").unwrap_err();
        assert_eq!(error.code(), InvalidCredentialRequest);
    }
}
