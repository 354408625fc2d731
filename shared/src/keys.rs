//! Ed25519 keys: the only key type Passerelle uses, in the encodings the standards need —
//! Multikey (`publicKeyMultibase` / `secretKeyMultibase`), OKP JWK (RFC 8037) and raw bytes.
//!
//! Private keys never appear in `Debug` output or error messages.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer, Verifier};
use serde_json::{json, Value};

use crate::multibase::{self, MultibaseError, ED25519_PRIV_PREFIX, ED25519_PUB_PREFIX};

/// Why a key could not be read or a signature could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("key is not valid multibase: {0}")]
    Multibase(#[from] MultibaseError),
    #[error("key does not start with the {expected} multicodec prefix")]
    WrongMulticodec { expected: &'static str },
    #[error("{what} must be {expected} bytes, found {found}")]
    WrongLength {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("public key is not a valid Ed25519 point")]
    InvalidPublicKey,
    #[error("the public half of the private key does not match the private half")]
    MismatchedKeyPair,
    #[error("JWK member {member:?}: {reason}")]
    Jwk {
        member: &'static str,
        reason: String,
    },
    #[error("signature does not verify with this key")]
    BadSignature,
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// Parses 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| KeyError::WrongLength {
            what: "an Ed25519 public key",
            expected: 32,
            found: bytes.len(),
        })?;
        ed25519_dalek::VerifyingKey::from_bytes(&array)
            .map(Self)
            .map_err(|_| KeyError::InvalidPublicKey)
    }

    /// Parses a Multikey `publicKeyMultibase` (`z6Mk…`: base58btc of 0xed01 ‖ 32 bytes).
    pub fn from_multikey(value: &str) -> Result<Self, KeyError> {
        let bytes = multibase::decode_base58btc(value)?;
        let raw = bytes
            .strip_prefix(&ED25519_PUB_PREFIX)
            .ok_or(KeyError::WrongMulticodec {
                expected: "ed25519-pub (0xed01)",
            })?;
        Self::from_bytes(raw)
    }

    /// Parses an OKP JWK (`{"kty":"OKP","crv":"Ed25519","x":…}`).
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        check_okp_header(jwk)?;
        let x = jwk_bytes(jwk, "x")?;
        Self::from_bytes(&x)
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The Multikey `publicKeyMultibase` form (`z6Mk…`).
    pub fn to_multikey(&self) -> String {
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&ED25519_PUB_PREFIX);
        bytes.extend_from_slice(self.0.as_bytes());
        multibase::encode_base58btc(&bytes)
    }

    /// The public OKP JWK.
    pub fn to_jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(self.0.as_bytes())})
    }

    /// Checks an Ed25519 signature (strict: rejects malleable and small-order forms).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| KeyError::WrongLength {
                what: "an Ed25519 signature",
                expected: 64,
                found: signature.len(),
            })?;
        self.0
            .verify_strict(message, &signature)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Like [`PublicKey::verify`] but with the non-strict RFC 8032 rule, for legacy suites whose
    /// reference implementations used it.
    pub fn verify_lenient(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| KeyError::WrongLength {
                what: "an Ed25519 signature",
                expected: 64,
                found: signature.len(),
            })?;
        self.0
            .verify(message, &signature)
            .map_err(|_| KeyError::BadSignature)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_multikey())
    }
}

/// An Ed25519 key pair. `Debug` shows only the public key.
#[derive(Clone)]
pub struct KeyPair(ed25519_dalek::SigningKey);

impl KeyPair {
    /// Builds the key pair from its 32-byte seed (RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// Builds the key pair from a seed given as a slice, checking its length.
    pub fn from_seed_slice(seed: &[u8]) -> Result<Self, KeyError> {
        let seed: [u8; 32] = seed.try_into().map_err(|_| KeyError::WrongLength {
            what: "an Ed25519 seed",
            expected: 32,
            found: seed.len(),
        })?;
        Ok(Self::from_seed(&seed))
    }

    /// Parses a Multikey `secretKeyMultibase` (base58btc of 0x8026 ‖ 32-byte seed). The 64-byte
    /// form (seed ‖ public key) found in the OB 3.0 implementation guide is accepted too, when its
    /// public half matches the seed.
    pub fn from_secret_multikey(value: &str) -> Result<Self, KeyError> {
        let bytes = multibase::decode_base58btc(value)?;
        let raw = bytes
            .strip_prefix(&ED25519_PRIV_PREFIX)
            .ok_or(KeyError::WrongMulticodec {
                expected: "ed25519-priv (0x8026)",
            })?;
        match raw.len() {
            32 => Self::from_seed_slice(raw),
            64 => {
                let pair = Self::from_seed_slice(&raw[..32])?;
                if pair.public().to_bytes() != raw[32..] {
                    return Err(KeyError::MismatchedKeyPair);
                }
                Ok(pair)
            }
            found => Err(KeyError::WrongLength {
                what: "an Ed25519 secret key",
                expected: 32,
                found,
            }),
        }
    }

    /// Parses a private OKP JWK (`d` and `x`); `x` must match `d`.
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        check_okp_header(jwk)?;
        let d = jwk_bytes(jwk, "d")?;
        let pair = Self::from_seed_slice(&d).map_err(|_| KeyError::Jwk {
            member: "d",
            reason: format!("must decode to 32 bytes, found {}", d.len()),
        })?;
        if jwk.get("x").is_some() {
            let x = jwk_bytes(jwk, "x")?;
            if x != pair.public().to_bytes() {
                return Err(KeyError::MismatchedKeyPair);
            }
        }
        Ok(pair)
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The 32-byte seed. Handle with care: this is the secret.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The Multikey `secretKeyMultibase` form (0x8026 ‖ 32-byte seed).
    pub fn to_secret_multikey(&self) -> String {
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&ED25519_PRIV_PREFIX);
        bytes.extend_from_slice(&self.0.to_bytes());
        multibase::encode_base58btc(&bytes)
    }

    /// The private OKP JWK (RFC 8037), with `d` and `x`.
    pub fn to_private_jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "d": URL_SAFE_NO_PAD.encode(self.0.to_bytes()),
            "x": URL_SAFE_NO_PAD.encode(self.0.verifying_key().as_bytes()),
        })
    }

    /// Signs a message (Ed25519 is deterministic: same key and message, same signature).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyPair(public: {}, secret: <redacted>)",
            self.public().to_multikey()
        )
    }
}

fn check_okp_header(jwk: &Value) -> Result<(), KeyError> {
    if !jwk.is_object() {
        return Err(KeyError::Jwk {
            member: "kty",
            reason: "a JWK must be a JSON object".into(),
        });
    }
    match jwk.get("kty").and_then(Value::as_str) {
        Some("OKP") => {}
        other => {
            return Err(KeyError::Jwk {
                member: "kty",
                reason: format!("expected \"OKP\", found {other:?}"),
            })
        }
    }
    match jwk.get("crv").and_then(Value::as_str) {
        Some("Ed25519") => Ok(()),
        other => Err(KeyError::Jwk {
            member: "crv",
            reason: format!("expected \"Ed25519\", found {other:?}"),
        }),
    }
}

fn jwk_bytes(jwk: &Value, member: &'static str) -> Result<Vec<u8>, KeyError> {
    let text = jwk
        .get(member)
        .and_then(Value::as_str)
        .ok_or(KeyError::Jwk {
            member,
            reason: "missing or not a string".into(),
        })?;
    URL_SAFE_NO_PAD.decode(text).map_err(|e| KeyError::Jwk {
        member,
        reason: format!("not base64url without padding: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multikey_round_trip_and_secret_redaction() {
        let pair = KeyPair::from_seed(&[7u8; 32]);
        let public = pair.public();
        assert!(public.to_multikey().starts_with("z6Mk"));
        assert_eq!(
            PublicKey::from_multikey(&public.to_multikey()).unwrap(),
            public
        );
        let again = KeyPair::from_secret_multikey(&pair.to_secret_multikey()).unwrap();
        assert_eq!(again.seed(), pair.seed());
        let debug = format!("{pair:?}");
        assert!(debug.contains("redacted"));
        assert!(!debug.contains(&hex::encode(pair.seed())));
    }

    #[test]
    fn jwk_round_trip() {
        let pair = KeyPair::from_seed(&[9u8; 32]);
        let again = KeyPair::from_jwk(&pair.to_private_jwk()).unwrap();
        assert_eq!(again.seed(), pair.seed());
        assert_eq!(
            PublicKey::from_jwk(&pair.public().to_jwk()).unwrap(),
            pair.public()
        );
    }

    #[test]
    fn rejects_wrong_lengths_and_prefixes() {
        let short = multibase::encode_base58btc(&[0xed, 0x01, 1, 2, 3]);
        assert!(matches!(
            PublicKey::from_multikey(&short),
            Err(KeyError::WrongLength { found: 3, .. })
        ));
        let wrong = multibase::encode_base58btc(&[0x12, 0x00, 1, 2, 3]);
        assert!(matches!(
            PublicKey::from_multikey(&wrong),
            Err(KeyError::WrongMulticodec { .. })
        ));
        assert!(KeyPair::from_jwk(&json!({"kty":"EC","crv":"P-256"})).is_err());
        assert!(PublicKey::from_bytes(&[0u8; 31]).is_err());
    }
}
