//! JOSE: compact JWS with EdDSA (Ed25519) for VC-JOSE-COSE (`application/vc+jwt`,
//! `application/vp+jwt`) and reading VC-JWT 1.1 (`vc` claim) credentials.
//!
//! (About 810 lines, 75 of them tests: signing, strict parsing and the VC-JWT 1.1 claim mapping
//! share the header rules.)
//!
//! Signing (feature `jose`) validates the header with `josekit` and signs with Ed25519 directly (the output is
//! byte for byte josekit's). Verification parses the compact
//! form strictly first ([`parse_compact`]: exactly three parts, strict base64url, size cap, JSON
//! header, `alg` EdDSA or `Ed25519` only, no `crit`), so a verifier can read `kid` before it
//! knows the key, then checks the signature with [`PublicKey::verify`] (strict Ed25519).
//!
//! ```
//! use passerelle_core::jose::{self, VcForm};
//! use passerelle_core::keys::KeyPair;
//! use serde_json::json;
//!
//! let key = KeyPair::from_seed(&[7; 32]);
//! let credential = json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2"],
//!     "type": ["VerifiableCredential"],
//!     "issuer": "did:web:learn.example",
//!     "credentialSubject": {"id": "did:example:learner"}
//! });
//! let jwt = jose::sign_vc_jwt(&credential, &key, "did:web:learn.example#key-1")?;
//! let unverified = jose::parse_compact(&jwt)?; // which key? look at the kid
//! assert_eq!(unverified.kid.as_deref(), Some("did:web:learn.example#key-1"));
//! let verified = jose::verify_compact(&jwt, &key.public())?;
//! assert_eq!(verified.form, VcForm::VcJose20);
//! assert_eq!(verified.credential()?, credential);
//! # Ok::<(), jose::JoseError>(())
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::input::{self, InputError, InputLimits};
#[cfg(feature = "jose")]
use crate::keys::KeyPair;
use crate::keys::{KeyError, PublicKey};

/// Largest compact JWS accepted, in bytes (a badge is a few KB; a baked image is not a JWS).
pub const MAX_JWS_BYTES: usize = 1024 * 1024;

/// Media type `typ` of a VC-JOSE secured credential.
pub const TYP_VC: &str = "vc+jwt";
/// Media type `typ` of a VC-JOSE secured presentation.
pub const TYP_VP: &str = "vp+jwt";

/// Why a JWS could not be made, read or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    #[error("JWS is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("a compact JWS has 3 dot-separated parts, found {found}")]
    PartCount { found: usize },
    #[error("JWS {part} is not base64url without padding: {reason}")]
    Base64 { part: &'static str, reason: String },
    #[error("JWS {part} is not acceptable JSON: {reason}")]
    Json {
        part: &'static str,
        reason: InputError,
    },
    #[error("JWS header has no \"alg\"")]
    MissingAlgorithm,
    #[error("JWS alg \"none\" (unsecured JWS) is refused")]
    AlgorithmNone,
    #[error("unsupported algorithm {alg} (only EdDSA / Ed25519 are accepted)")]
    UnsupportedAlgorithm { alg: String },
    #[error("JWS header member {member:?}: {reason}")]
    HeaderMember {
        member: &'static str,
        reason: String,
    },
    #[error("JWS marks {names:?} as critical, which this implementation does not understand")]
    UnsupportedCritical { names: Vec<String> },
    #[error("JWS signature is {found} bytes; Ed25519 signatures are 64")]
    SignatureLength { found: usize },
    #[error("JWS signature does not verify with this key")]
    BadSignature,
    #[error("key error: {0}")]
    Key(KeyError),
    #[error("signing failed: {reason}")]
    Signing { reason: String },
    #[error("the payload is not a {expected}: {reason}")]
    NotACredential {
        expected: &'static str,
        reason: String,
    },
    #[error("VC-JWT claim {claim:?} ({claim_value}) conflicts with {member} ({member_value})")]
    ClaimConflict {
        claim: &'static str,
        member: &'static str,
        claim_value: String,
        member_value: String,
    },
    #[error("VC-JWT claim {claim:?}: {reason}")]
    BadClaim { claim: &'static str, reason: String },
}

/// The signature algorithms accepted: both name Ed25519 signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwsAlgorithm {
    /// `EdDSA` (RFC 8037), with an Ed25519 key.
    EdDsa,
    /// `Ed25519` (RFC 9864, fully specified).
    Ed25519,
}

impl JwsAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlgorithm::EdDsa => "EdDSA",
            JwsAlgorithm::Ed25519 => "Ed25519",
        }
    }
}

/// A compact JWS whose structure was checked but whose signature was not.
#[derive(Debug, Clone, PartialEq)]
pub struct JwsParts {
    /// The protected header (a JSON object).
    pub header: Value,
    /// The decoded payload bytes.
    pub payload_bytes: Vec<u8>,
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes that are signed.
    pub signing_input: String,
    /// The decoded signature.
    pub signature: Vec<u8>,
    pub alg: JwsAlgorithm,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub cty: Option<String>,
}

/// A compact JWS with a JSON object payload, not yet verified.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedJws {
    pub header: Value,
    pub payload: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
    pub alg: JwsAlgorithm,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub cty: Option<String>,
}

impl ParsedJws {
    /// Which credential form the payload is.
    pub fn form(&self) -> VcForm {
        VcForm::of(&self.payload)
    }
}

/// A JWS whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJws {
    pub jws: ParsedJws,
    pub form: VcForm,
}

impl VerifiedJws {
    /// The credential the JWS secures: the payload itself (VC-JOSE 2.0), or the VCDM 1.1
    /// credential rebuilt from the VC-JWT claims.
    pub fn credential(&self) -> Result<Value, JoseError> {
        match self.form {
            VcForm::VcJose20 => Ok(self.jws.payload.clone()),
            VcForm::VcJwt11 => credential_from_vc_jwt_claims(&self.jws.payload),
        }
    }
}

/// The two ways a credential travels as a JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VcForm {
    /// VC-JOSE-COSE (VCDM 2.0): the payload is the credential or presentation itself.
    VcJose20,
    /// VC-JWT (VCDM 1.1): the credential sits in a `vc` (or `vp`) claim beside registered claims.
    VcJwt11,
}

impl VcForm {
    /// Classifies a payload: a `vc` or `vp` claim object means VC-JWT 1.1.
    pub fn of(payload: &Value) -> VcForm {
        let has_claim = |name| payload.get(name).is_some_and(Value::is_object);
        if has_claim("vc") || has_claim("vp") {
            VcForm::VcJwt11
        } else {
            VcForm::VcJose20
        }
    }
}

// ---------------------------------------------------------------------------------------------
// signing

/// Signs `payload` under `header` (alg is set to EdDSA) as a compact JWS.
///
/// The header is validated by `josekit` (the same checks and errors as signing through it), then
/// the compact form is assembled here and signed with the key's Ed25519 signing key directly:
/// byte for byte what `josekit::jws::serialize_compact` produces, without handing the key to
/// OpenSSL on every call. RFC 7797 unencoded payloads (`"b64": false` listed in `crit`) are
/// written as josekit writes them.
#[cfg(feature = "jose")]
pub fn sign_compact(
    header: &Map<String, Value>,
    payload: &[u8],
    key: &KeyPair,
) -> Result<String, JoseError> {
    let signing = |e: josekit::JoseError| JoseError::Signing {
        reason: e.to_string(),
    };
    let mut ordered = Map::new();
    // `alg` first, as is customary (and as josekit keeps it: it overwrites it in place).
    ordered.insert("alg".into(), Value::String("EdDSA".into()));
    for (name, value) in header {
        if name != "alg" {
            ordered.insert(name.clone(), value.clone());
        }
    }
    let validated = josekit::jws::JwsHeader::from_map(ordered).map_err(signing)?;
    let encode_payload = match validated.critical() {
        Some(critical) if critical.contains(&"b64") => {
            validated.base64url_encode_payload().unwrap_or(true)
        }
        _ => true,
    };
    let header_bytes =
        serde_json::to_vec(validated.claims_set()).map_err(|e| JoseError::Signing {
            reason: e.to_string(),
        })?;
    let mut compact = String::with_capacity((header_bytes.len() + payload.len() + 64) * 4 / 3 + 8);
    URL_SAFE_NO_PAD.encode_string(&header_bytes, &mut compact);
    compact.push('.');
    if encode_payload {
        URL_SAFE_NO_PAD.encode_string(payload, &mut compact);
    } else {
        let text = std::str::from_utf8(payload).map_err(|_| JoseError::Signing {
            reason: "an unencoded (b64: false) payload must be UTF-8".into(),
        })?;
        if text.contains('.') {
            return Err(JoseError::Signing {
                reason: "an unencoded (b64: false) payload cannot contain a dot".into(),
            });
        }
        compact.push_str(text);
    }
    let signature = key.sign(compact.as_bytes());
    compact.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut compact);
    Ok(compact)
}

/// Secures a credential as `application/vc+jwt` (VC-JOSE-COSE): protected header
/// `{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":…}`, payload = the credential itself.
#[cfg(feature = "jose")]
pub fn sign_vc_jwt(credential: &Value, key: &KeyPair, kid: &str) -> Result<String, JoseError> {
    sign_secured(credential, key, kid, "VerifiableCredential", TYP_VC, "vc")
}

/// Secures a presentation as `application/vp+jwt`.
#[cfg(feature = "jose")]
pub fn sign_vp_jwt(presentation: &Value, key: &KeyPair, kid: &str) -> Result<String, JoseError> {
    sign_secured(
        presentation,
        key,
        kid,
        "VerifiablePresentation",
        TYP_VP,
        "vp",
    )
}

#[cfg(feature = "jose")]
fn sign_secured(
    document: &Value,
    key: &KeyPair,
    kid: &str,
    required_type: &'static str,
    typ: &str,
    cty: &str,
) -> Result<String, JoseError> {
    let not = |reason: &str| JoseError::NotACredential {
        expected: required_type,
        reason: reason.to_owned(),
    };
    let object = document
        .as_object()
        .ok_or_else(|| not("not a JSON object"))?;
    if !object.contains_key("@context") {
        return Err(not("missing \"@context\""));
    }
    if !crate::model::has_type(document, required_type) {
        return Err(not("\"type\" does not include it"));
    }
    if kid.is_empty() {
        return Err(JoseError::HeaderMember {
            member: "kid",
            reason: "must not be empty".into(),
        });
    }
    let mut header = Map::new();
    header.insert("alg".into(), Value::String("EdDSA".into()));
    header.insert("typ".into(), Value::String(typ.into()));
    header.insert("cty".into(), Value::String(cty.into()));
    header.insert("kid".into(), Value::String(kid.into()));
    let payload = serde_json::to_vec(document).map_err(|e| JoseError::Signing {
        reason: e.to_string(),
    })?;
    sign_compact(&header, &payload, key)
}

// ---------------------------------------------------------------------------------------------
// parsing and verifying

/// Parses a compact JWS without verifying it, whatever its payload.
pub fn parse_compact_raw(jws: &str) -> Result<JwsParts, JoseError> {
    let jws = jws.trim();
    if jws.len() > MAX_JWS_BYTES {
        return Err(JoseError::TooLarge {
            size: jws.len(),
            limit: MAX_JWS_BYTES,
        });
    }
    let parts: Vec<&str> = jws.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts[..] else {
        return Err(JoseError::PartCount { found: parts.len() });
    };
    let header_bytes = decode_part("header", header_b64)?;
    let limits = InputLimits {
        max_bytes: MAX_JWS_BYTES,
        max_depth: 16,
    };
    let header =
        input::parse_json_object(&header_bytes, &limits).map_err(|reason| JoseError::Json {
            part: "header",
            reason,
        })?;
    let alg = match header.get("alg") {
        None => return Err(JoseError::MissingAlgorithm),
        Some(Value::String(alg)) => match alg.as_str() {
            "EdDSA" => JwsAlgorithm::EdDsa,
            "Ed25519" => JwsAlgorithm::Ed25519,
            "none" => return Err(JoseError::AlgorithmNone),
            other => {
                return Err(JoseError::UnsupportedAlgorithm {
                    alg: other.to_owned(),
                })
            }
        },
        Some(_) => {
            return Err(JoseError::HeaderMember {
                member: "alg",
                reason: "must be a string".into(),
            })
        }
    };
    if let Some(crit) = header.get("crit") {
        let names = match crit {
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect(),
            other => vec![other.to_string()],
        };
        return Err(JoseError::UnsupportedCritical { names });
    }
    if header.get("b64").is_some_and(|v| v != &Value::Bool(true)) {
        return Err(JoseError::HeaderMember {
            member: "b64",
            reason: "unencoded payloads (RFC 7797) are not supported".into(),
        });
    }
    let kid = optional_string(&header, "kid")?;
    let typ = optional_string(&header, "typ")?;
    let cty = optional_string(&header, "cty")?;
    // The header is judged first, so an unsecured (`alg: none`) JWS with its empty signature
    // is reported as such.
    let payload_bytes = decode_part("payload", payload_b64)?;
    let signature = decode_part("signature", signature_b64)?;
    Ok(JwsParts {
        signing_input: format!("{header_b64}.{payload_b64}"),
        header,
        payload_bytes,
        signature,
        alg,
        kid,
        typ,
        cty,
    })
}

/// Parses a compact JWS whose payload must be a JSON object (a credential, a presentation or
/// JWT claims), without verifying it — so the verifier can find out which key it needs.
pub fn parse_compact(jws: &str) -> Result<ParsedJws, JoseError> {
    let parts = parse_compact_raw(jws)?;
    let payload = input::parse_json_object(&parts.payload_bytes, &InputLimits::default()).map_err(
        |reason| JoseError::Json {
            part: "payload",
            reason,
        },
    )?;
    Ok(ParsedJws {
        header: parts.header,
        payload,
        signing_input: parts.signing_input,
        signature: parts.signature,
        alg: parts.alg,
        kid: parts.kid,
        typ: parts.typ,
        cty: parts.cty,
    })
}

/// Verifies a compact JWS of any payload with an Ed25519 key.
pub fn verify_compact_raw(jws: &str, key: &PublicKey) -> Result<JwsParts, JoseError> {
    let parts = parse_compact_raw(jws)?;
    check_signature(&parts.signing_input, &parts.signature, key)?;
    Ok(parts)
}

/// Verifies a compact JWS with a JSON object payload with an Ed25519 key.
pub fn verify_compact(jws: &str, key: &PublicKey) -> Result<VerifiedJws, JoseError> {
    let parsed = parse_compact(jws)?;
    check_signature(&parsed.signing_input, &parsed.signature, key)?;
    let form = parsed.form();
    Ok(VerifiedJws { jws: parsed, form })
}

fn check_signature(
    signing_input: &str,
    signature: &[u8],
    key: &PublicKey,
) -> Result<(), JoseError> {
    if signature.len() != 64 {
        return Err(JoseError::SignatureLength {
            found: signature.len(),
        });
    }
    key.verify(signing_input.as_bytes(), signature)
        .map_err(|e| match e {
            KeyError::BadSignature => JoseError::BadSignature,
            other => JoseError::Key(other),
        })
}

/// The RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key.
pub fn jwk_thumbprint(key: &PublicKey) -> String {
    // RFC 7638 §3.2 / RFC 8037 §2: required members only, lexicographic order, no whitespace.
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(key.to_bytes())
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// VC-JWT 1.1

/// Rebuilds the VCDM 1.1 credential carried in VC-JWT claims (`vc` + `iss`, `sub`, `nbf`, `jti`,
/// `exp`), per the VCDM 1.1 JWT decoding rules (§6.3.1): `iss` → `issuer`, `sub` →
/// `credentialSubject.id`, `jti` → `id`, `nbf` → `issuanceDate`, `exp` → `expirationDate`. No
/// other claim is mapped (`iat`, `aud`, … stay JWT claims). A claim that contradicts the same
/// property inside `vc` is an error, never silently preferred.
///
/// The rules are VCDM 1.1's: they apply only when `vc` is a VCDM 1.1 credential (its first
/// context is `https://www.w3.org/2018/credentials/v1`). Any other `vc` (a VCDM 2.0 credential,
/// say) is taken as it is — `issuanceDate` and `expirationDate` are not terms of the VCDM 2.0
/// context, so adding them would add properties its contexts lack — and the `iss`, `sub` and
/// `jti` claims are only checked against the properties `vc` already has.
pub fn credential_from_vc_jwt_claims(payload: &Value) -> Result<Value, JoseError> {
    let vc = payload
        .get("vc")
        .and_then(Value::as_object)
        .ok_or_else(|| JoseError::NotACredential {
            expected: "VC-JWT 1.1 claims set",
            reason: "no \"vc\" claim object".into(),
        })?;
    let mut credential = vc.clone();
    let first_context = match vc.get("@context") {
        Some(Value::Array(list)) => list.first().and_then(Value::as_str),
        Some(Value::String(url)) => Some(url.as_str()),
        _ => None,
    };
    let map = if first_context == Some(crate::model::VC_V1_CONTEXT) {
        Mapping::Vcdm11
    } else {
        Mapping::CompareOnly
    };

    if let Some(iss) = string_claim(payload, "iss")? {
        match credential.get_mut("issuer") {
            None => {
                if map == Mapping::Vcdm11 {
                    credential.insert("issuer".into(), Value::String(iss.into()));
                }
            }
            Some(Value::String(existing)) => conflict_unless("iss", "vc.issuer", iss, existing)?,
            Some(Value::Object(profile)) => match profile.get("id").and_then(Value::as_str) {
                Some(id) => conflict_unless("iss", "vc.issuer.id", iss, id)?,
                None => {
                    if map == Mapping::Vcdm11 {
                        profile.insert("id".into(), Value::String(iss.into()));
                    }
                }
            },
            Some(other) => {
                return Err(JoseError::NotACredential {
                    expected: "VC-JWT 1.1 claims set",
                    reason: format!("vc.issuer is {}", input::json_type_name(other)),
                })
            }
        }
    }

    if let Some(jti) = string_claim(payload, "jti")? {
        match credential.get("id") {
            None => {
                if map == Mapping::Vcdm11 {
                    credential.insert("id".into(), Value::String(jti.into()));
                }
            }
            Some(Value::String(id)) => conflict_unless("jti", "vc.id", jti, id)?,
            Some(other) => return Err(conflict("jti", "vc.id", jti, &other.to_string())),
        }
    }

    if let Some(sub) = string_claim(payload, "sub")? {
        if map == Mapping::Vcdm11 || credential.contains_key("credentialSubject") {
            merge_subject(&mut credential, sub, map)?;
        }
    }

    if map == Mapping::Vcdm11 {
        merge_date(&mut credential, payload, "nbf", "issuanceDate")?;
        merge_date(&mut credential, payload, "exp", "expirationDate")?;
    }
    Ok(Value::Object(credential))
}

/// Whether the VCDM 1.1 JWT decoding rules add the claims to the credential, or the claims are
/// only compared with what the credential already says.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mapping {
    Vcdm11,
    CompareOnly,
}

/// `sub` → the id of the (single) credential subject.
fn merge_subject(
    credential: &mut Map<String, Value>,
    sub: &str,
    map: Mapping,
) -> Result<(), JoseError> {
    let subjects = credential
        .entry("credentialSubject")
        .or_insert_with(|| Value::Object(Map::new()));
    let single = match subjects {
        Value::Object(_) => true,
        Value::Array(items) => items.len() == 1 && items[0].is_object(),
        _ => false,
    };
    if !single && map == Mapping::CompareOnly {
        // Nothing to compare with: the claim is not mapped.
        return Ok(());
    }
    let subject = match subjects {
        Value::Object(subject) => subject,
        Value::Array(items) if items.len() == 1 => match items.first_mut() {
            Some(Value::Object(subject)) => subject,
            _ => {
                return Err(JoseError::BadClaim {
                    claim: "sub",
                    reason: "vc.credentialSubject is not an object".into(),
                })
            }
        },
        _ => {
            return Err(JoseError::BadClaim {
                claim: "sub",
                reason: "\"sub\" needs exactly one credentialSubject object".into(),
            })
        }
    };
    match subject.get("id") {
        None => {
            if map == Mapping::Vcdm11 {
                subject.insert("id".into(), Value::String(sub.into()));
            }
            Ok(())
        }
        Some(Value::String(id)) => conflict_unless("sub", "vc.credentialSubject.id", sub, id),
        Some(other) => Err(conflict(
            "sub",
            "vc.credentialSubject.id",
            sub,
            &other.to_string(),
        )),
    }
}

fn merge_date(
    credential: &mut Map<String, Value>,
    payload: &Value,
    claim: &'static str,
    member: &'static str,
) -> Result<(), JoseError> {
    let Some(value) = payload.get(claim) else {
        return Ok(());
    };
    let instant = numeric_date(claim, value)?;
    match credential.get(member) {
        None => {
            credential.insert(
                member.into(),
                Value::String(instant.to_rfc3339_opts(SecondsFormat::Secs, true)),
            );
            Ok(())
        }
        Some(Value::String(existing)) => {
            let parsed =
                DateTime::parse_from_rfc3339(existing).map_err(|e| JoseError::BadClaim {
                    claim,
                    reason: format!("vc.{member} {existing:?} is not a date-time: {e}"),
                })?;
            // NumericDate has whole-second precision; compare at that precision.
            if parsed.timestamp() == instant.timestamp() {
                Ok(())
            } else {
                Err(conflict(
                    claim,
                    member,
                    &instant.to_rfc3339_opts(SecondsFormat::Secs, true),
                    existing,
                ))
            }
        }
        Some(other) => Err(conflict(
            claim,
            member,
            &value.to_string(),
            &other.to_string(),
        )),
    }
}

fn numeric_date(claim: &'static str, value: &Value) -> Result<DateTime<Utc>, JoseError> {
    let seconds = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.floor() as i64)
        }),
        _ => None,
    }
    .ok_or_else(|| JoseError::BadClaim {
        claim,
        reason: format!("must be a NumericDate (seconds since 1970), found {value}"),
    })?;
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| JoseError::BadClaim {
        claim,
        reason: format!("{seconds} is out of range"),
    })
}

fn string_claim<'a>(payload: &'a Value, claim: &'static str) -> Result<Option<&'a str>, JoseError> {
    match payload.get(claim) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(JoseError::BadClaim {
            claim,
            reason: format!("must be a string, found {}", input::json_type_name(other)),
        }),
    }
}

fn conflict_unless(
    claim: &'static str,
    member: &'static str,
    claim_value: &str,
    member_value: &str,
) -> Result<(), JoseError> {
    if claim_value == member_value {
        Ok(())
    } else {
        Err(conflict(claim, member, claim_value, member_value))
    }
}

fn conflict(
    claim: &'static str,
    member: &'static str,
    claim_value: &str,
    member_value: &str,
) -> JoseError {
    JoseError::ClaimConflict {
        claim,
        member,
        claim_value: claim_value.to_owned(),
        member_value: member_value.to_owned(),
    }
}

fn decode_part(part: &'static str, text: &str) -> Result<Vec<u8>, JoseError> {
    if text.is_empty() && part != "payload" {
        return Err(JoseError::Base64 {
            part,
            reason: "empty".into(),
        });
    }
    URL_SAFE_NO_PAD.decode(text).map_err(|e| JoseError::Base64 {
        part,
        reason: e.to_string(),
    })
}

fn optional_string(header: &Value, member: &'static str) -> Result<Option<String>, JoseError> {
    match header.get(member) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(JoseError::HeaderMember {
            member,
            reason: format!("must be a string, found {}", input::json_type_name(other)),
        }),
    }
}

#[cfg(test)]
#[cfg(feature = "jose")]
mod tests {
    use serde_json::json;

    use super::*;

    /// What signing through josekit (and OpenSSL) produced before `sign_compact` signed directly.
    fn josekit_compact(header: &Map<String, Value>, payload: &[u8], key: &KeyPair) -> String {
        let Value::Object(jwk) = key.to_private_jwk() else {
            unreachable!("a private JWK is an object")
        };
        let jwk = josekit::jwk::Jwk::from_map(jwk).unwrap();
        let signer = josekit::jws::EdDSA.signer_from_jwk(&jwk).unwrap();
        let mut ordered = Map::new();
        ordered.insert("alg".into(), Value::String("EdDSA".into()));
        for (name, value) in header {
            if name != "alg" {
                ordered.insert(name.clone(), value.clone());
            }
        }
        let header = josekit::jws::JwsHeader::from_map(ordered).unwrap();
        josekit::jws::serialize_compact(payload, &header, &signer).unwrap()
    }

    #[test]
    fn byte_identical_to_josekit() {
        let headers = [
            json!({}),
            json!({"alg": "none", "typ": "vc+jwt", "cty": "vc", "kid": "did:web:a.example#k-1"}),
            json!({"kid": "k", "typ": "JWT", "x-extra": {"b": [1, 2.5, "é"], "a": null}}),
            json!({"b64": false, "crit": ["b64"]}),
            json!({"b64": true, "crit": ["b64"]}),
            // Without `crit`, josekit ignores `b64` and encodes the payload.
            json!({"b64": false}),
        ];
        let payloads: [&[u8]; 3] = [b"", b"{\"vc\":\"\xc3\xa9 \\u0000\"}", b"no dots here"];
        for seed in [1u8, 42] {
            let key = KeyPair::from_seed(&[seed; 32]);
            for header in &headers {
                let Value::Object(header) = header else {
                    unreachable!()
                };
                for payload in payloads {
                    assert_eq!(
                        sign_compact(header, payload, &key).unwrap(),
                        josekit_compact(header, payload, &key),
                        "header {header:?}, payload {payload:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn refuses_what_josekit_refuses() {
        let key = KeyPair::from_seed(&[3; 32]);
        for header in [json!({"kid": 7}), json!({"crit": "b64"})] {
            let Value::Object(header) = header else {
                unreachable!()
            };
            assert!(
                matches!(
                    sign_compact(&header, b"x", &key),
                    Err(JoseError::Signing { .. })
                ),
                "{header:?}"
            );
        }
        let unencoded = json!({"b64": false, "crit": ["b64"]});
        let Value::Object(unencoded) = unencoded else {
            unreachable!()
        };
        assert!(sign_compact(&unencoded, b"a.b", &key).is_err());
        assert!(sign_compact(&unencoded, b"\xff", &key).is_err());
    }
}
