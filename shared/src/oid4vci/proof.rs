//! Key proofs of type `jwt` (OpenID4VCI 1.0 §8.2.1.1, Appendix F.1): the wallet's proof that it
//! holds the key the credential is to be bound to.
//!
//! [`verify_proof_jwt`] checks everything that is in the JWT itself — `typ`, `alg` (EdDSA with
//! Ed25519, ES256 with P-256), the key (exactly one of a `kid` DID URL — `did:key` or `did:jwk` —
//! and a public `jwk`), `aud`, `iat` freshness and the signature — and returns the nonce for the
//! caller to check against its own store (a wrong nonce is `invalid_nonce`, anything else here
//! `invalid_proof`). [`sign_proof_jwt`] makes the proof a wallet sends with its Ed25519 key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use serde_json::{json, Map, Value};

use crate::did::{self, Did};
use crate::input::{self, InputError, InputLimits};
use crate::keys::{KeyPair, PublicKey};
use crate::multibase::{self, ED25519_PUB_PREFIX};

/// The `typ` of a key proof JWT.
pub const PROOF_JWT_TYP: &str = "openid4vci-proof+jwt";

/// Largest key proof accepted, in bytes (a proof with a `jwk` header is well under 1 KB).
pub const MAX_PROOF_BYTES: usize = 16 * 1024;

/// Multicodec prefix of a compressed P-256 public key (`p256-pub`, 0x1200).
pub const P256_PUB_PREFIX: [u8; 2] = [0x80, 0x24];

/// Why a key proof was refused. Every variant is `invalid_proof` in a credential error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    #[error("the key proof is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("a key proof JWT has 3 dot-separated parts, found {found}")]
    PartCount { found: usize },
    #[error("the key proof's {part} is not base64url without padding")]
    Base64 { part: &'static str },
    #[error("the key proof's {part} is not acceptable JSON: {reason}")]
    Json {
        part: &'static str,
        reason: InputError,
    },
    #[error("the key proof's header \"typ\" is {found:?}; expected \"openid4vci-proof+jwt\"")]
    Type { found: Option<String> },
    #[error("the key proof's algorithm {found:?} is not accepted (EdDSA or ES256)")]
    Algorithm { found: Option<String> },
    #[error(
        "the key proof marks header members as critical, which this issuer does not understand"
    )]
    Critical,
    #[error(
        "the key proof's header must name its key by exactly one of \"kid\" and \"jwk\" ({reason})"
    )]
    KeyReference { reason: &'static str },
    #[error("the key proof's header {member:?} is not supported: {reason}")]
    UnsupportedHeader {
        member: &'static str,
        reason: &'static str,
    },
    #[error("the key proof's \"kid\" {kid:?} cannot be used: {reason}")]
    Kid { kid: String, reason: String },
    #[error("the key proof's key is not a usable public key: {reason}")]
    Jwk { reason: String },
    #[error("the key proof is signed with {alg} but its key is {key}")]
    AlgorithmKeyMismatch {
        alg: &'static str,
        key: &'static str,
    },
    #[error("the key proof's claim {claim:?} {reason}")]
    Claim { claim: &'static str, reason: String },
    #[error("the key proof's audience {found} is not this credential issuer ({expected:?})")]
    Audience { expected: String, found: String },
    #[error("the key proof was made at {issued_at}, more than {max_age} s before now ({now}): make a fresh one")]
    TooOld {
        issued_at: i64,
        now: i64,
        max_age: i64,
    },
    #[error(
        "the key proof says it was made at {issued_at}, after now ({now}) by more than {skew} s"
    )]
    InTheFuture { issued_at: i64, now: i64, skew: i64 },
    #[error("the key proof's signature does not verify with its key")]
    Signature,
}

/// The signature algorithms of key proofs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofAlgorithm {
    /// `EdDSA` with an Ed25519 key (RFC 8037).
    EdDsa,
    /// `ES256`: ECDSA with P-256 and SHA-256 (RFC 7518 §3.4).
    Es256,
}

impl ProofAlgorithm {
    /// The JOSE `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ProofAlgorithm::EdDsa => "EdDSA",
            ProofAlgorithm::Es256 => "ES256",
        }
    }

    /// Every algorithm accepted, as metadata lists them (`proof_signing_alg_values_supported`).
    pub const ALL: [ProofAlgorithm; 2] = [ProofAlgorithm::EdDsa, ProofAlgorithm::Es256];
}

/// A holder's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderPublicKey {
    Ed25519(PublicKey),
    P256(p256::ecdsa::VerifyingKey),
}

impl HolderPublicKey {
    fn kind(&self) -> &'static str {
        match self {
            HolderPublicKey::Ed25519(_) => "an Ed25519 key",
            HolderPublicKey::P256(_) => "a P-256 key",
        }
    }

    /// The key as a public JWK with only its required members (RFC 7638 order).
    pub fn to_jwk(&self) -> Value {
        match self {
            HolderPublicKey::Ed25519(key) => json!({
                "crv": "Ed25519", "kty": "OKP", "x": URL_SAFE_NO_PAD.encode(key.to_bytes())
            }),
            HolderPublicKey::P256(key) => {
                let point = key.to_encoded_point(false);
                let coordinate = |c: Option<&p256::FieldBytes>| {
                    c.map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
                        .unwrap_or_default()
                };
                json!({"crv": "P-256", "kty": "EC", "x": coordinate(point.x()), "y": coordinate(point.y())})
            }
        }
    }

    /// The key's `did:key` (Ed25519 `z6Mk…`, P-256 `zDn…`).
    pub fn did_key(&self) -> Did {
        match self {
            HolderPublicKey::Ed25519(key) => did::did_key(key),
            HolderPublicKey::P256(key) => {
                let mut bytes = P256_PUB_PREFIX.to_vec();
                bytes.extend_from_slice(key.to_encoded_point(true).as_bytes());
                Did::from_generated(format!("did:key:{}", multibase::encode_base58btc(&bytes)))
            }
        }
    }

    /// The key's `did:jwk`: the base64url of its minimal JWK.
    pub fn did_jwk(&self) -> Did {
        Did::from_generated(format!(
            "did:jwk:{}",
            URL_SAFE_NO_PAD.encode(self.to_jwk().to_string())
        ))
    }
}

/// Who the credential is to be bound to: the holder's DID (no fragment) and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderKey {
    /// `did:key:…` when the proof named a did:key, `did:jwk:…` for a did:jwk or a `jwk` header.
    pub did: Did,
    pub key: HolderPublicKey,
}

/// What a key proof must say, besides its nonce.
#[derive(Debug, Clone, Copy)]
pub struct ProofExpectations<'a> {
    /// The credential issuer identifier (`aud`).
    pub audience: &'a str,
    /// Now, in seconds since the Unix epoch.
    pub now: i64,
    /// How old `iat` may be.
    pub max_age_seconds: i64,
    /// How far ahead of `now` `iat` may be (clock skew).
    pub max_skew_seconds: i64,
}

/// A key proof whose signature, audience and freshness were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    pub holder: HolderKey,
    /// The `nonce` claim; the caller checks it is a `c_nonce` it issued.
    pub nonce: Option<String>,
    pub issued_at: i64,
    pub algorithm: ProofAlgorithm,
    /// The `iss` claim (the wallet's client id), absent for anonymous pre-authorized access.
    pub client_id: Option<String>,
}

/// Verifies a key proof JWT, all but its nonce (see the module documentation).
pub fn verify_proof_jwt(
    jwt: &str,
    expect: &ProofExpectations<'_>,
) -> Result<VerifiedProof, ProofError> {
    if jwt.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLarge {
            size: jwt.len(),
            limit: MAX_PROOF_BYTES,
        });
    }
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts[..] else {
        return Err(ProofError::PartCount { found: parts.len() });
    };
    let header = decode_json("header", header_b64)?;
    let typ = header.get("typ").and_then(Value::as_str);
    if typ != Some(PROOF_JWT_TYP) {
        return Err(ProofError::Type {
            found: header.get("typ").map(value_text),
        });
    }
    let algorithm = match header.get("alg").and_then(Value::as_str) {
        Some("EdDSA") | Some("Ed25519") => ProofAlgorithm::EdDsa,
        Some("ES256") => ProofAlgorithm::Es256,
        _ => {
            return Err(ProofError::Algorithm {
                found: header.get("alg").map(value_text),
            })
        }
    };
    if header.get("crit").is_some() {
        return Err(ProofError::Critical);
    }
    for member in ["x5c", "trust_chain", "key_attestation"] {
        if header.get(member).is_some() {
            return Err(ProofError::UnsupportedHeader {
                member: match member {
                    "x5c" => "x5c",
                    "trust_chain" => "trust_chain",
                    _ => "key_attestation",
                },
                reason: "this issuer binds credentials to DIDs and JWKs only",
            });
        }
    }
    let holder = match (header.get("kid"), header.get("jwk")) {
        (Some(_), Some(_)) => {
            return Err(ProofError::KeyReference {
                reason: "both are present",
            })
        }
        (None, None) => {
            return Err(ProofError::KeyReference {
                reason: "neither is present",
            })
        }
        (Some(kid), None) => {
            let kid = kid.as_str().ok_or_else(|| ProofError::Kid {
                kid: value_text(kid),
                reason: "it is not a string".into(),
            })?;
            holder_from_kid(kid)?
        }
        (None, Some(jwk)) => {
            let key = key_from_jwk(jwk)?;
            HolderKey {
                did: key.did_jwk(),
                key,
            }
        }
    };
    match (algorithm, &holder.key) {
        (ProofAlgorithm::EdDsa, HolderPublicKey::Ed25519(_))
        | (ProofAlgorithm::Es256, HolderPublicKey::P256(_)) => {}
        (alg, key) => {
            return Err(ProofError::AlgorithmKeyMismatch {
                alg: alg.as_str(),
                key: key.kind(),
            })
        }
    }

    let claims = decode_json("payload", payload_b64)?;
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expect.audience,
        Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(ProofError::Audience {
            expected: expect.audience.to_owned(),
            found: claims
                .get("aud")
                .map_or_else(|| "is missing".to_owned(), value_text),
        });
    }
    let issued_at = match claims.get("iat") {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| ProofError::Claim {
            claim: "iat",
            reason: "must be a whole number of seconds".into(),
        })?,
        Some(other) => {
            return Err(ProofError::Claim {
                claim: "iat",
                reason: format!("must be a number, found {}", input::json_type_name(other)),
            })
        }
        None => {
            return Err(ProofError::Claim {
                claim: "iat",
                reason: "is missing (§F.1: required)".into(),
            })
        }
    };
    if issued_at < expect.now.saturating_sub(expect.max_age_seconds) {
        return Err(ProofError::TooOld {
            issued_at,
            now: expect.now,
            max_age: expect.max_age_seconds,
        });
    }
    if issued_at > expect.now.saturating_add(expect.max_skew_seconds) {
        return Err(ProofError::InTheFuture {
            issued_at,
            now: expect.now,
            skew: expect.max_skew_seconds,
        });
    }
    if let Some(exp) = claims.get("exp") {
        match exp.as_i64() {
            Some(exp) if exp > expect.now => {}
            Some(_) => {
                return Err(ProofError::Claim {
                    claim: "exp",
                    reason: "is in the past: the proof has expired".into(),
                })
            }
            None => {
                return Err(ProofError::Claim {
                    claim: "exp",
                    reason: "must be a whole number of seconds".into(),
                })
            }
        }
    }
    let optional_string = |claim: &'static str| match claims.get(claim) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ProofError::Claim {
            claim,
            reason: format!("must be a string, found {}", input::json_type_name(other)),
        }),
    };
    let nonce = optional_string("nonce")?;
    let client_id = optional_string("iss")?;

    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| ProofError::Base64 { part: "signature" })?;
    let signing_input = &jwt[..header_b64.len() + 1 + payload_b64.len()];
    check_signature(&holder.key, signing_input.as_bytes(), &signature)?;
    Ok(VerifiedProof {
        holder,
        nonce,
        issued_at,
        algorithm,
        client_id,
    })
}

/// Makes a key proof with a wallet's Ed25519 holder key: header `{"alg":"EdDSA",
/// "typ":"openid4vci-proof+jwt","kid":"did:key:z…#z…"}`, claims `aud`, `iat` and `nonce` (when
/// the issuer gave one). No `iss`: the pre-authorized code flow is anonymous here.
pub fn sign_proof_jwt(
    key: &KeyPair,
    audience: &str,
    nonce: Option<&str>,
    issued_at: i64,
) -> String {
    let header = json!({
        "alg": "EdDSA",
        "typ": PROOF_JWT_TYP,
        "kid": did::did_key_verification_method(&key.public()),
    });
    let mut claims = Map::new();
    claims.insert("aud".into(), Value::String(audience.to_owned()));
    claims.insert("iat".into(), Value::from(issued_at));
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), Value::String(nonce.to_owned()));
    }
    let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(Value::Object(claims).to_string(), &mut jwt);
    let signature = key.sign(jwt.as_bytes());
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
    jwt
}

fn decode_json(part: &'static str, text: &str) -> Result<Value, ProofError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| ProofError::Base64 { part })?;
    let limits = InputLimits {
        max_bytes: MAX_PROOF_BYTES,
        max_depth: 8,
    };
    input::parse_json_object(&bytes, &limits).map_err(|reason| ProofError::Json { part, reason })
}

fn value_text(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

/// The holder named by a `kid` DID URL: `did:key:<id>[#<id>]` or `did:jwk:<jwk>[#0]`. A missing
/// fragment is accepted (the DID names one key); a fragment naming another key is not.
fn holder_from_kid(kid: &str) -> Result<HolderKey, ProofError> {
    let refuse = |reason: &str| ProofError::Kid {
        kid: kid.chars().take(200).collect(),
        reason: reason.to_owned(),
    };
    let (did_text, fragment) = match kid.split_once('#') {
        Some((did, fragment)) => (did, Some(fragment)),
        None => (kid, None),
    };
    let did = Did::parse(did_text).map_err(|e| refuse(&format!("not a DID URL ({e})")))?;
    match did.method() {
        "key" => {
            let id = did.method_specific_id();
            if fragment.is_some_and(|f| f != id) {
                return Err(refuse(
                    "its fragment is not the did:key's own key (did:key:<key>#<key>)",
                ));
            }
            let bytes = multibase::decode_base58btc(id)
                .map_err(|e| refuse(&format!("the did:key is not base58btc ({e})")))?;
            let key = if let Some(raw) = bytes.strip_prefix(&ED25519_PUB_PREFIX[..]) {
                HolderPublicKey::Ed25519(
                    PublicKey::from_bytes(raw).map_err(|e| refuse(&e.to_string()))?,
                )
            } else if let Some(raw) = bytes.strip_prefix(&P256_PUB_PREFIX[..]) {
                HolderPublicKey::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                        .map_err(|_| refuse("its P-256 point is not on the curve"))?,
                )
            } else {
                return Err(refuse(
                    "the did:key is neither an Ed25519 (z6Mk…) nor a P-256 (zDn…) key",
                ));
            };
            Ok(HolderKey { did, key })
        }
        "jwk" => {
            if fragment.is_some_and(|f| f != "0") {
                return Err(refuse("a did:jwk has one key, \"#0\""));
            }
            let bytes = URL_SAFE_NO_PAD
                .decode(did.method_specific_id())
                .map_err(|_| refuse("the did:jwk is not base64url"))?;
            let limits = InputLimits {
                max_bytes: 4096,
                max_depth: 4,
            };
            let jwk = input::parse_json_object(&bytes, &limits)
                .map_err(|e| refuse(&format!("the did:jwk is not a JSON object ({e})")))?;
            let key = key_from_jwk(&jwk)?;
            Ok(HolderKey { did, key })
        }
        other => Err(refuse(&format!(
            "did:{other} is not resolved here (did:key and did:jwk are)"
        ))),
    }
}

/// A public JWK: OKP/Ed25519 or EC/P-256; a private member (`d`) is refused.
fn key_from_jwk(jwk: &Value) -> Result<HolderPublicKey, ProofError> {
    let refuse = |reason: &str| ProofError::Jwk {
        reason: reason.to_owned(),
    };
    let object = jwk
        .as_object()
        .ok_or_else(|| refuse("it is not an object"))?;
    if object.contains_key("d") {
        return Err(refuse(
            "it contains a private key (\"d\"): a proof carries only the public key",
        ));
    }
    let member = |name: &str| object.get(name).and_then(Value::as_str);
    let coordinate = |name: &str| -> Result<Vec<u8>, ProofError> {
        let text = member(name).ok_or_else(|| refuse(&format!("\"{name}\" is missing")))?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| refuse(&format!("\"{name}\" is not base64url")))
    };
    match (member("kty"), member("crv")) {
        (Some("OKP"), Some("Ed25519")) => {
            let x = coordinate("x")?;
            PublicKey::from_bytes(&x)
                .map(HolderPublicKey::Ed25519)
                .map_err(|e| refuse(&e.to_string()))
        }
        (Some("EC"), Some("P-256")) => {
            let (x, y) = (coordinate("x")?, coordinate("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(refuse("P-256 coordinates are 32 bytes each"));
            }
            let point = p256::EncodedPoint::from_affine_coordinates(
                p256::FieldBytes::from_slice(&x),
                p256::FieldBytes::from_slice(&y),
                false,
            );
            p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                .map(HolderPublicKey::P256)
                .map_err(|_| refuse("the P-256 point is not on the curve"))
        }
        (kty, crv) => Err(refuse(&format!(
            "kty {kty:?} / crv {crv:?}: expected OKP/Ed25519 or EC/P-256"
        ))),
    }
}

fn check_signature(
    key: &HolderPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), ProofError> {
    match key {
        HolderPublicKey::Ed25519(key) => key
            .verify(message, signature)
            .map_err(|_| ProofError::Signature),
        HolderPublicKey::P256(key) => {
            // JWS ECDSA signatures are R ‖ S (64 bytes), not DER (RFC 7518 §3.4).
            let signature =
                p256::ecdsa::Signature::from_slice(signature).map_err(|_| ProofError::Signature)?;
            key.verify(message, &signature)
                .map_err(|_| ProofError::Signature)
        }
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Signer;

    use super::*;

    const ISSUER: &str = "https://learn.example";
    const NOW: i64 = 1_800_000_000;

    fn expect() -> ProofExpectations<'static> {
        ProofExpectations {
            audience: ISSUER,
            now: NOW,
            max_age_seconds: 300,
            max_skew_seconds: 60,
        }
    }

    fn encode(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn p256_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap()
    }

    /// A proof signed with P-256, with the given header and claims.
    fn es256(header: &Value, claims: &Value, key: &p256::ecdsa::SigningKey) -> String {
        let input = format!("{}.{}", encode(header), encode(claims));
        let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn eddsa(header: &Value, claims: &Value, key: &KeyPair) -> String {
        let input = format!("{}.{}", encode(header), encode(claims));
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()))
        )
    }

    #[test]
    fn the_wallets_own_proof_verifies_and_names_its_did_key() {
        let key = KeyPair::from_seed(&[3; 32]);
        let jwt = sign_proof_jwt(&key, ISSUER, Some("n-1"), NOW - 5);
        let verified = verify_proof_jwt(&jwt, &expect()).unwrap();
        assert_eq!(verified.holder.did, did::did_key(&key.public()));
        assert_eq!(verified.nonce.as_deref(), Some("n-1"));
        assert_eq!(verified.algorithm, ProofAlgorithm::EdDsa);
        assert_eq!(verified.client_id, None);
    }

    #[test]
    fn es256_proofs_verify_with_did_key_did_jwk_and_jwk() {
        let signing = p256_key();
        let public = HolderPublicKey::P256(*signing.verifying_key());
        let did_key = public.did_key();
        assert!(did_key.as_str().starts_with("did:key:zDn"), "{did_key}");
        let did_jwk = public.did_jwk();
        let claims = json!({"aud": [ISSUER, "https://other.example"], "iat": NOW, "nonce": "n"});
        let headers = [
            (
                json!({"alg": "ES256", "typ": PROOF_JWT_TYP, "kid": format!("{did_key}#{}", did_key.method_specific_id())}),
                did_key.clone(),
            ),
            (
                json!({"alg": "ES256", "typ": PROOF_JWT_TYP, "kid": did_key.to_string()}),
                did_key.clone(),
            ),
            (
                json!({"alg": "ES256", "typ": PROOF_JWT_TYP, "kid": format!("{did_jwk}#0")}),
                did_jwk.clone(),
            ),
            (
                json!({"alg": "ES256", "typ": PROOF_JWT_TYP, "jwk": public.to_jwk()}),
                did_jwk.clone(),
            ),
        ];
        for (header, did) in headers {
            let verified = verify_proof_jwt(&es256(&header, &claims, &signing), &expect())
                .unwrap_or_else(|e| panic!("{header}: {e}"));
            assert_eq!(verified.holder.did, did);
            assert_eq!(verified.holder.key, public);
            assert_eq!(verified.algorithm, ProofAlgorithm::Es256);
        }
    }

    #[test]
    fn an_ed25519_jwk_proof_is_bound_to_its_did_jwk() {
        let key = KeyPair::from_seed(&[4; 32]);
        let header = json!({"alg": "EdDSA", "typ": PROOF_JWT_TYP, "jwk": key.public().to_jwk()});
        let jwt = eddsa(&header, &json!({"aud": ISSUER, "iat": NOW}), &key);
        let verified = verify_proof_jwt(&jwt, &expect()).unwrap();
        assert!(verified.holder.did.as_str().starts_with("did:jwk:"));
        assert_eq!(verified.holder.key, HolderPublicKey::Ed25519(key.public()));
    }

    #[test]
    fn every_wrong_proof_is_refused_naming_what_is_wrong() {
        let key = KeyPair::from_seed(&[5; 32]);
        let other = KeyPair::from_seed(&[6; 32]);
        let kid = did::did_key_verification_method(&key.public());
        let good_header = json!({"alg": "EdDSA", "typ": PROOF_JWT_TYP, "kid": kid});
        let good_claims = json!({"aud": ISSUER, "iat": NOW, "nonce": "n"});
        let with = |patch: Value, into: &Value| {
            let mut v = into.clone();
            for (k, val) in patch.as_object().unwrap() {
                if val.is_null() {
                    v.as_object_mut().unwrap().remove(k);
                } else {
                    v[k] = val.clone();
                }
            }
            v
        };
        let header = |patch| with(patch, &good_header);
        let claims = |patch| with(patch, &good_claims);
        let cases: Vec<(String, &str)> = vec![
            (
                eddsa(&good_header, &good_claims, &other),
                "signature does not verify",
            ),
            (
                eddsa(&header(json!({"typ": "JWT"})), &good_claims, &key),
                "\"typ\"",
            ),
            (
                eddsa(&header(json!({"typ": null})), &good_claims, &key),
                "\"typ\"",
            ),
            (
                eddsa(&header(json!({"alg": "none"})), &good_claims, &key),
                "algorithm",
            ),
            (
                eddsa(&header(json!({"alg": "ES256"})), &good_claims, &key),
                "signed with ES256 but its key is an Ed25519 key",
            ),
            (
                eddsa(&header(json!({"alg": "HS256"})), &good_claims, &key),
                "algorithm",
            ),
            (
                eddsa(&header(json!({"crit": ["exp"]})), &good_claims, &key),
                "critical",
            ),
            (
                eddsa(&header(json!({"kid": null})), &good_claims, &key),
                "neither",
            ),
            (
                eddsa(
                    &header(json!({"jwk": key.public().to_jwk()})),
                    &good_claims,
                    &key,
                ),
                "both",
            ),
            (
                eddsa(
                    &header(json!({"kid": null, "jwk": key.to_private_jwk()})),
                    &good_claims,
                    &key,
                ),
                "private key",
            ),
            (
                eddsa(&header(json!({"x5c": ["MII"]})), &good_claims, &key),
                "x5c",
            ),
            (
                eddsa(
                    &header(json!({"kid": "did:web:learn.example#key-1"})),
                    &good_claims,
                    &key,
                ),
                "did:web is not resolved",
            ),
            (
                eddsa(
                    &header(json!({"kid": format!("{}#other", did::did_key(&key.public()))})),
                    &good_claims,
                    &key,
                ),
                "fragment",
            ),
            (
                eddsa(
                    &header(json!({"kid": "https://learn.example/keys/1"})),
                    &good_claims,
                    &key,
                ),
                "not a DID URL",
            ),
            (
                eddsa(
                    &good_header,
                    &claims(json!({"aud": "https://evil.example"})),
                    &key,
                ),
                "audience",
            ),
            (
                eddsa(&good_header, &claims(json!({"aud": null})), &key),
                "is missing",
            ),
            (
                eddsa(&good_header, &claims(json!({"iat": null})), &key),
                "\"iat\" is missing",
            ),
            (
                eddsa(&good_header, &claims(json!({"iat": "now"})), &key),
                "\"iat\" must be a number",
            ),
            (
                eddsa(&good_header, &claims(json!({"iat": NOW - 301})), &key),
                "make a fresh one",
            ),
            (
                eddsa(&good_header, &claims(json!({"iat": NOW + 61})), &key),
                "after now",
            ),
            (
                eddsa(&good_header, &claims(json!({"exp": NOW - 1})), &key),
                "expired",
            ),
            (
                eddsa(&good_header, &claims(json!({"nonce": 7})), &key),
                "\"nonce\" must be a string",
            ),
            ("a.b".into(), "3 dot-separated parts"),
            ("!!.e30.AA".into(), "header is not base64url"),
            (
                format!("{}.{}.s!g", encode(&good_header), encode(&good_claims)),
                "signature is not base64url",
            ),
            ("x".repeat(MAX_PROOF_BYTES + 1), "limit"),
        ];
        for (jwt, expected) in cases {
            let error = verify_proof_jwt(&jwt, &expect())
                .err()
                .unwrap_or_else(|| panic!("accepted, expected {expected:?}"))
                .to_string();
            assert!(
                error.contains(expected),
                "expected {expected:?} in {error:?}"
            );
        }
        // An ES256 proof whose P-256 signature is by another P-256 key.
        let signing = p256_key();
        let header = json!({"alg": "ES256", "typ": PROOF_JWT_TYP,
            "jwk": HolderPublicKey::P256(*signing.verifying_key()).to_jwk()});
        let impostor = p256::ecdsa::SigningKey::from_slice(&[10; 32]).unwrap();
        let error =
            verify_proof_jwt(&es256(&header, &good_claims, &impostor), &expect()).unwrap_err();
        assert_eq!(error, ProofError::Signature);
    }
}
