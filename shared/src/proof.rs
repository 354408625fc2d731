//! Data Integrity proofs with Ed25519: `eddsa-rdfc-2022` and `eddsa-jcs-2022` (sign and verify),
//! and the legacy `Ed25519Signature2020` and pre-REC `eddsa-2022` (verify only).
//!
//! Every suite hashes two canonical forms and signs their concatenation:
//! `SHA-256(canonical proof configuration) ‖ SHA-256(canonical document)`, the document being
//! the secured document without its `proof`. The `rdfc` suites (and the two legacy ones)
//! canonicalize with JSON-LD → RDFC-1.0 N-Quads in safe mode ([`crate::jsonld`]), with the proof
//! configuration taking the document's `@context`; `eddsa-jcs-2022` uses RFC 8785 JCS and its
//! proof carries `@context`.
//!
//! Proof sets: `proof` may be one object or an array. [`sign`] adds a proof and always emits an
//! array (the Open Badges 3.0 JSON Schema requires one); each proof of a set signs the document
//! without any proof. Key resolution (DIDs, verification methods) is the caller's job: these
//! functions take the key.
//!
//! ```
//! use passerelle_core::keys::KeyPair;
//! use passerelle_core::proof::{self, Cryptosuite, ProofOptions, ProofPurpose};
//! use serde_json::json;
//!
//! let key = KeyPair::from_seed(&[1u8; 32]);
//! let credential = json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2"],
//!     "type": ["VerifiableCredential"],
//!     "issuer": "did:example:issuer",
//!     "credentialSubject": {"id": "did:example:learner"}
//! });
//! let options = ProofOptions {
//!     cryptosuite: Cryptosuite::EddsaRdfc2022,
//!     verification_method: "did:example:issuer#key-1".into(),
//!     created: "2025-01-01T00:00:00Z".into(),
//!     proof_purpose: ProofPurpose::AssertionMethod,
//!     challenge: None,
//!     domain: None,
//! };
//! let signed = proof::sign(&credential, &key, &options).unwrap();
//! let proofs = proof::proofs(&signed).unwrap();
//! assert!(proof::verify_proof(&signed, &proofs[0], &key.public()).is_ok());
//! ```

use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::input::json_type_name;
use crate::jsonld::{self, JsonLdError};
use crate::keys::{KeyError, KeyPair, PublicKey};
use crate::multibase::{self, MultibaseError};

/// The VC Data Model 2.0 base context.
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The VC Data Model 1.1 base context (verification of older credentials).
pub const VC_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";

/// Why a proof could not be made, read or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    #[error("the document must be a JSON object, found {found}")]
    DocumentNotObject { found: &'static str },
    #[error("the document has no @context")]
    MissingContext,
    #[error("the document's @context must start with {VC_V2_CONTEXT} (or {VC_V1_CONTEXT}), found {found}")]
    NotVcContext { found: String },
    #[error("{path}: a proof must be a JSON object, found {found}")]
    ProofNotObject { path: String, found: &'static str },
    #[error("{path}: `proof` must be an object or an array of objects, found {found}")]
    ProofsNotObjectOrArray { path: String, found: &'static str },
    #[error("{path}: required member `{member}` is missing")]
    MissingMember { path: String, member: &'static str },
    #[error("{path}: member `{member}` must be a string, found {found}")]
    MemberNotString {
        path: String,
        member: &'static str,
        found: &'static str,
    },
    #[error("{path}: unsupported proof type {proof_type:?}{}", cryptosuite.as_ref().map(|c| format!(" with cryptosuite {c:?}")).unwrap_or_default())]
    UnsupportedSuite {
        path: String,
        proof_type: String,
        cryptosuite: Option<String>,
    },
    #[error("{path}: proofValue is not multibase base58btc: {source}")]
    ProofValueEncoding {
        path: String,
        source: MultibaseError,
    },
    #[error("{path}: the signature must be 64 bytes, proofValue decodes to {found}")]
    SignatureLength { path: String, found: usize },
    #[error("{path}: the signature does not verify with the given key")]
    BadSignature { path: String },
    #[error(
        "{path}: the proof's @context must be the same as, or a prefix of, the document's @context"
    )]
    ContextMismatch { path: String },
    #[error("{path}: `created` is not an XML Schema dateTime with a time zone: {value:?}")]
    InvalidCreated { path: String, value: String },
    #[error("{path}: an `authentication` proof needs a {member}")]
    MissingPresentationMember { path: String, member: &'static str },
    #[error("in the document: {0}")]
    Document(JsonLdError),
    #[error("in the proof configuration ({path}): {source}")]
    ProofConfig { path: String, source: JsonLdError },
    #[error("JCS canonicalization failed: {reason}")]
    Jcs { reason: String },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A cryptosuite Passerelle signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cryptosuite {
    /// `eddsa-rdfc-2022`: RDFC-1.0 canonical N-Quads (the Open Badges 3.0 certification path).
    EddsaRdfc2022,
    /// `eddsa-jcs-2022`: RFC 8785 JSON canonicalization.
    EddsaJcs2022,
}

impl Cryptosuite {
    /// The `cryptosuite` string.
    pub fn name(self) -> &'static str {
        match self {
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }
}

/// The suite of a proof found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// `DataIntegrityProof` + `eddsa-rdfc-2022`.
    EddsaRdfc2022,
    /// `DataIntegrityProof` + `eddsa-jcs-2022`.
    EddsaJcs2022,
    /// `DataIntegrityProof` + `eddsa-2022`: the pre-Recommendation name of eddsa-rdfc-2022.
    /// Verified with the same algorithm; legacy.
    Eddsa2022,
    /// `Ed25519Signature2020`: the predecessor of Data Integrity; legacy.
    Ed25519Signature2020,
    /// Anything else: cannot be verified here.
    Unsupported {
        proof_type: String,
        cryptosuite: Option<String>,
    },
}

impl Suite {
    fn from_members(proof_type: &str, cryptosuite: Option<&str>) -> Self {
        match (proof_type, cryptosuite) {
            ("DataIntegrityProof", Some("eddsa-rdfc-2022")) => Self::EddsaRdfc2022,
            ("DataIntegrityProof", Some("eddsa-jcs-2022")) => Self::EddsaJcs2022,
            ("DataIntegrityProof", Some("eddsa-2022")) => Self::Eddsa2022,
            ("Ed25519Signature2020", None) => Self::Ed25519Signature2020,
            (proof_type, cryptosuite) => Self::Unsupported {
                proof_type: proof_type.to_owned(),
                cryptosuite: cryptosuite.map(str::to_owned),
            },
        }
    }

    /// Whether the suite is superseded (a verifier should warn).
    pub fn is_legacy(&self) -> bool {
        matches!(self, Self::Eddsa2022 | Self::Ed25519Signature2020)
    }

    fn canonicalization(&self) -> Option<Canonicalization> {
        match self {
            Self::EddsaRdfc2022 | Self::Eddsa2022 | Self::Ed25519Signature2020 => {
                Some(Canonicalization::Rdfc)
            }
            Self::EddsaJcs2022 => Some(Canonicalization::Jcs),
            Self::Unsupported { .. } => None,
        }
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EddsaRdfc2022 => f.write_str("eddsa-rdfc-2022"),
            Self::EddsaJcs2022 => f.write_str("eddsa-jcs-2022"),
            Self::Eddsa2022 => f.write_str("eddsa-2022 (pre-Recommendation)"),
            Self::Ed25519Signature2020 => f.write_str("Ed25519Signature2020 (legacy)"),
            Self::Unsupported {
                proof_type,
                cryptosuite: Some(c),
            } => write!(f, "{proof_type} / {c}"),
            Self::Unsupported { proof_type, .. } => f.write_str(proof_type),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Canonicalization {
    Rdfc,
    Jcs,
}

/// Why a proof was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofPurpose {
    /// `assertionMethod`: an issuer asserting a credential.
    AssertionMethod,
    /// `authentication`: a holder presenting (with `challenge` and `domain`).
    Authentication,
}

impl ProofPurpose {
    /// The `proofPurpose` string.
    pub fn name(self) -> &'static str {
        match self {
            Self::AssertionMethod => "assertionMethod",
            Self::Authentication => "authentication",
        }
    }
}

/// What [`sign`] puts in the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    pub cryptosuite: Cryptosuite,
    /// The verification method URL (e.g. `did:web:…#key-1` or `did:key:z6Mk…#z6Mk…`).
    pub verification_method: String,
    /// `created`, an XML Schema dateTime with time zone (`2025-01-01T00:00:00Z`); the caller
    /// owns the clock.
    pub created: String,
    pub proof_purpose: ProofPurpose,
    pub challenge: Option<String>,
    pub domain: Option<String>,
}

impl ProofOptions {
    /// Options for an issuer's proof (`assertionMethod`, no challenge or domain).
    pub fn assertion(
        cryptosuite: Cryptosuite,
        verification_method: impl Into<String>,
        created: impl Into<String>,
    ) -> Self {
        Self {
            cryptosuite,
            verification_method: verification_method.into(),
            created: created.into(),
            proof_purpose: ProofPurpose::AssertionMethod,
            challenge: None,
            domain: None,
        }
    }

    /// Options for a holder's presentation proof (`authentication`, with challenge and domain).
    pub fn authentication(
        cryptosuite: Cryptosuite,
        verification_method: impl Into<String>,
        created: impl Into<String>,
        challenge: impl Into<String>,
        domain: impl Into<String>,
    ) -> Self {
        Self {
            cryptosuite,
            verification_method: verification_method.into(),
            created: created.into(),
            proof_purpose: ProofPurpose::Authentication,
            challenge: Some(challenge.into()),
            domain: Some(domain.into()),
        }
    }
}

/// One proof found in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedProof {
    /// JSON path of the proof (`proof` or `proof[1]`).
    pub path: String,
    pub suite: Suite,
    pub proof_type: String,
    pub verification_method: Option<String>,
    pub proof_purpose: Option<String>,
    pub created: Option<String>,
    pub expires: Option<String>,
    pub challenge: Option<String>,
    /// `domain` when a single string (arrays of domains are kept in `json`).
    pub domain: Option<String>,
    pub proof_value: Option<String>,
    /// The proof object as found.
    pub json: Map<String, Value>,
}

/// A proof whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    pub path: String,
    pub suite: Suite,
    /// The suite is superseded: accept, but warn.
    pub legacy: bool,
    pub verification_method: Option<String>,
    pub proof_purpose: Option<String>,
    pub created: Option<String>,
    pub challenge: Option<String>,
    pub domain: Option<String>,
    /// The signature matched only with the N-Quads lines in UTF-16 code-unit order (how
    /// jsonld.js sorts), not RDFC-1.0's code-point order: same statements, a non-conforming
    /// signer. Worth a warning.
    pub utf16_order: bool,
}

/// The intermediate values of the hashing step, for byte-exact comparison with vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashData {
    /// Canonical form of the document without `proof` (N-Quads or JCS).
    pub canonical_document: String,
    /// Canonical form of the proof configuration.
    pub canonical_proof_config: String,
    pub document_hash: [u8; 32],
    pub proof_hash: [u8; 32],
}

impl HashData {
    /// The same data with the canonical N-Quads lines sorted by UTF-16 code units, when that
    /// order differs from RDFC-1.0's code-point order (only with characters beyond U+FFFF).
    fn reordered_utf16(&self) -> Option<Self> {
        fn reorder(nquads: &str) -> Option<String> {
            if nquads.chars().all(|c| (c as u32) <= 0xFFFF) {
                return None;
            }
            let mut lines: Vec<&str> = nquads.split_inclusive('\n').collect();
            lines.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let reordered: String = lines.concat();
            (reordered != nquads).then_some(reordered)
        }
        let document = reorder(&self.canonical_document);
        let config = reorder(&self.canonical_proof_config);
        if document.is_none() && config.is_none() {
            return None;
        }
        let canonical_document = document.unwrap_or_else(|| self.canonical_document.clone());
        let canonical_proof_config = config.unwrap_or_else(|| self.canonical_proof_config.clone());
        Some(Self {
            document_hash: Sha256::digest(canonical_document.as_bytes()).into(),
            proof_hash: Sha256::digest(canonical_proof_config.as_bytes()).into(),
            canonical_document,
            canonical_proof_config,
        })
    }

    /// The signed bytes: proof hash ‖ document hash.
    pub fn combined(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.proof_hash);
        out[32..].copy_from_slice(&self.document_hash);
        out
    }
}

/// Reads every proof of a document (`proof` absent → empty).
pub fn proofs(document: &Value) -> Result<Vec<ParsedProof>, ProofError> {
    let map = document_map(document)?;
    match map.get("proof") {
        None => Ok(Vec::new()),
        Some(Value::Object(proof)) => Ok(vec![parse_proof(proof, "proof".into())?]),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("proof[{i}]");
                match item {
                    Value::Object(proof) => parse_proof(proof, path),
                    other => Err(ProofError::ProofNotObject {
                        path,
                        found: json_type_name(other),
                    }),
                }
            })
            .collect(),
        Some(other) => Err(ProofError::ProofsNotObjectOrArray {
            path: "proof".into(),
            found: json_type_name(other),
        }),
    }
}

/// Computes the canonical forms and hashes that `proof` signs over `document` (its `proof`
/// member, whatever it holds, is ignored: proof-set semantics).
pub fn hash_data(document: &Value, proof: &ParsedProof) -> Result<HashData, ProofError> {
    let canonicalization =
        proof
            .suite
            .canonicalization()
            .ok_or_else(|| ProofError::UnsupportedSuite {
                path: proof.path.clone(),
                proof_type: proof.proof_type.clone(),
                cryptosuite: proof
                    .json
                    .get("cryptosuite")
                    .and_then(|c| c.as_str().map(str::to_owned)),
            })?;
    let mut unsecured = document_map(document)?.clone();
    unsecured.remove("proof");
    let mut config = proof.json.clone();
    config.remove("proofValue");
    if let Some(proof_context) = config.get("@context") {
        // The proof's @context must be the document's, or a prefix of it; the document is then
        // processed under the proof's @context.
        if !context_is_prefix(proof_context, unsecured.get("@context")) {
            return Err(ProofError::ContextMismatch {
                path: proof.path.clone(),
            });
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    match canonicalization {
        Canonicalization::Rdfc => {
            let context = unsecured
                .get("@context")
                .cloned()
                .ok_or(ProofError::MissingContext)?;
            config.insert("@context".into(), context);
        }
        Canonicalization::Jcs => {
            if !config.contains_key("@context") {
                if let Some(context) = unsecured.get("@context") {
                    config.insert("@context".into(), context.clone());
                }
            }
        }
    }
    let unsecured = Value::Object(unsecured);
    let config = Value::Object(config);
    let (canonical_document, canonical_proof_config) = match canonicalization {
        Canonicalization::Rdfc => (
            jsonld::canonical_nquads(&unsecured).map_err(ProofError::Document)?,
            jsonld::canonical_nquads(&config).map_err(|source| ProofError::ProofConfig {
                path: proof.path.clone(),
                source,
            })?,
        ),
        Canonicalization::Jcs => (jcs(&unsecured)?, jcs(&config)?),
    };
    Ok(HashData {
        document_hash: Sha256::digest(canonical_document.as_bytes()).into(),
        proof_hash: Sha256::digest(canonical_proof_config.as_bytes()).into(),
        canonical_document,
        canonical_proof_config,
    })
}

/// Checks the signature of one proof of `document` with `key`. Purpose, challenge, domain and
/// dates are reported, not judged: that is the caller's policy.
pub fn verify_proof(
    document: &Value,
    proof: &ParsedProof,
    key: &PublicKey,
) -> Result<VerifiedProof, ProofError> {
    if let Suite::Unsupported {
        proof_type,
        cryptosuite,
    } = &proof.suite
    {
        return Err(ProofError::UnsupportedSuite {
            path: proof.path.clone(),
            proof_type: proof_type.clone(),
            cryptosuite: cryptosuite.clone(),
        });
    }
    let proof_value = proof
        .proof_value
        .as_deref()
        .ok_or_else(|| ProofError::MissingMember {
            path: proof.path.clone(),
            member: "proofValue",
        })?;
    let signature = multibase::decode_base58btc(proof_value).map_err(|source| {
        ProofError::ProofValueEncoding {
            path: proof.path.clone(),
            source,
        }
    })?;
    if signature.len() != 64 {
        return Err(ProofError::SignatureLength {
            path: proof.path.clone(),
            found: signature.len(),
        });
    }
    let data = hash_data(document, proof)?;
    let check = |data: &HashData| {
        if proof.suite.is_legacy() {
            key.verify_lenient(&data.combined(), &signature)
        } else {
            key.verify(&data.combined(), &signature)
        }
    };
    let mut utf16_order = false;
    match check(&data) {
        Ok(()) => {}
        Err(KeyError::BadSignature) => {
            // jsonld.js/rdf-canonize sort N-Quads by UTF-16 code units, RDFC-1.0 by code
            // points: they differ only with characters beyond U+FFFF. The dataset is the same,
            // so a signature over the JavaScript line order is accepted (and reported).
            let reordered = data
                .reordered_utf16()
                .filter(|_| proof.suite.canonicalization() == Some(Canonicalization::Rdfc));
            match reordered.map(|r| check(&r)) {
                Some(Ok(())) => utf16_order = true,
                Some(Err(KeyError::BadSignature)) | None => {
                    return Err(ProofError::BadSignature {
                        path: proof.path.clone(),
                    })
                }
                Some(Err(other)) => return Err(other.into()),
            }
        }
        Err(other) => return Err(other.into()),
    }
    Ok(VerifiedProof {
        path: proof.path.clone(),
        legacy: proof.suite.is_legacy(),
        suite: proof.suite.clone(),
        verification_method: proof.verification_method.clone(),
        proof_purpose: proof.proof_purpose.clone(),
        created: proof.created.clone(),
        challenge: proof.challenge.clone(),
        domain: proof.domain.clone(),
        utf16_order,
    })
}

/// Adds a proof to `document` and returns the signed document, with `proof` as an array (any
/// existing proofs are kept; the new one signs the document without them).
///
/// Refuses a document that is not a VC/VP with a base context first, or that fails JSON-LD
/// safe mode (an undefined term would be left unsigned).
pub fn sign(document: &Value, key: &KeyPair, options: &ProofOptions) -> Result<Value, ProofError> {
    let map = document_map(document)?;
    check_base_context(map.get("@context"))?;
    let path = match map.get("proof") {
        None => "proof[0]".to_owned(),
        Some(Value::Object(_)) => "proof[1]".to_owned(),
        Some(Value::Array(items)) => format!("proof[{}]", items.len()),
        Some(other) => {
            return Err(ProofError::ProofsNotObjectOrArray {
                path: "proof".into(),
                found: json_type_name(other),
            })
        }
    };
    if chrono::DateTime::parse_from_rfc3339(&options.created).is_err() {
        return Err(ProofError::InvalidCreated {
            path,
            value: options.created.clone(),
        });
    }
    if options.proof_purpose == ProofPurpose::Authentication {
        if options.challenge.is_none() {
            return Err(ProofError::MissingPresentationMember {
                path,
                member: "challenge",
            });
        }
        if options.domain.is_none() {
            return Err(ProofError::MissingPresentationMember {
                path,
                member: "domain",
            });
        }
    }

    let mut proof = Map::new();
    if options.cryptosuite == Cryptosuite::EddsaJcs2022 {
        if let Some(context) = map.get("@context") {
            proof.insert("@context".into(), context.clone());
        }
    }
    proof.insert("type".into(), "DataIntegrityProof".into());
    proof.insert("cryptosuite".into(), options.cryptosuite.name().into());
    proof.insert("created".into(), options.created.clone().into());
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.clone().into(),
    );
    proof.insert("proofPurpose".into(), options.proof_purpose.name().into());
    if let Some(challenge) = &options.challenge {
        proof.insert("challenge".into(), challenge.clone().into());
    }
    if let Some(domain) = &options.domain {
        proof.insert("domain".into(), domain.clone().into());
    }
    let parsed = parse_proof(&proof, path)?;
    // Safe mode is decided by `to_rdf`; the canonical form is not needed for these checks.
    if map.contains_key("proof") {
        // The existing proofs stay in the signed document: they must pass safe mode too (an
        // eddsa-rdfc-2022 signature also refuses ambiguous numbers, in `hash_data`).
        jsonld::check_terms(document).map_err(ProofError::Document)?;
    }
    // An eddsa-jcs-2022 signature would not notice an undefined term, but the document would
    // still mean less than it says: safe mode applies whatever the suite. JCS signs the JSON
    // text, where every number is unambiguous, so only the terms are checked.
    if options.cryptosuite == Cryptosuite::EddsaJcs2022 {
        let mut unsecured = map.clone();
        unsecured.remove("proof");
        jsonld::check_terms(&Value::Object(unsecured)).map_err(ProofError::Document)?;
    }
    let data = hash_data(document, &parsed)?;
    let signature = key.sign(&data.combined());
    proof.insert(
        "proofValue".into(),
        multibase::encode_base58btc(&signature).into(),
    );

    let mut signed = map.clone();
    let mut all = match signed.remove("proof") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(single) => vec![single],
    };
    all.push(Value::Object(proof));
    signed.insert("proof".into(), Value::Array(all));
    Ok(Value::Object(signed))
}

/// RFC 8785 canonical JSON. JSON numbers are IEEE-754 doubles there: an integer beyond 2^53 is
/// first rounded to the nearest double, as ECMAScript `JSON.parse` would.
pub fn jcs(value: &Value) -> Result<String, ProofError> {
    serde_jcs::to_string(&as_doubles(value)).map_err(|e| ProofError::Jcs {
        reason: e.to_string(),
    })
}

const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn as_doubles(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.as_u64().is_some_and(|u| u > MAX_SAFE_INTEGER) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| value.clone(), Value::Number),
        Value::Number(n)
            if n.as_i64()
                .is_some_and(|i| i.unsigned_abs() > MAX_SAFE_INTEGER) =>
        {
            n.as_f64()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| value.clone(), Value::Number)
        }
        Value::Array(items) => Value::Array(items.iter().map(as_doubles).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), as_doubles(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn document_map(document: &Value) -> Result<&Map<String, Value>, ProofError> {
    document
        .as_object()
        .ok_or_else(|| ProofError::DocumentNotObject {
            found: json_type_name(document),
        })
}

fn check_base_context(context: Option<&Value>) -> Result<(), ProofError> {
    let first = match context {
        None => return Err(ProofError::MissingContext),
        Some(Value::Array(items)) => items.first(),
        Some(single) => Some(single),
    };
    match first {
        Some(Value::String(url)) if url == VC_V2_CONTEXT || url == VC_V1_CONTEXT => Ok(()),
        other => Err(ProofError::NotVcContext {
            found: other.map_or_else(|| "an empty array".to_owned(), Value::to_string),
        }),
    }
}

fn context_is_prefix(proof_context: &Value, document_context: Option<&Value>) -> bool {
    fn as_list(value: &Value) -> Vec<&Value> {
        match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        }
    }
    let Some(document_context) = document_context else {
        return false;
    };
    let proof_list = as_list(proof_context);
    let document_list = as_list(document_context);
    proof_list.len() <= document_list.len()
        && proof_list.iter().zip(&document_list).all(|(a, b)| a == b)
}

fn parse_proof(proof: &Map<String, Value>, path: String) -> Result<ParsedProof, ProofError> {
    let string = |member: &'static str| -> Result<Option<String>, ProofError> {
        match proof.get(member) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(ProofError::MemberNotString {
                path: path.clone(),
                member,
                found: json_type_name(other),
            }),
        }
    };
    let proof_type = string("type")?.ok_or_else(|| ProofError::MissingMember {
        path: path.clone(),
        member: "type",
    })?;
    let cryptosuite = string("cryptosuite")?;
    let domain = match proof.get("domain") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(_)) | None => None,
        Some(other) => {
            return Err(ProofError::MemberNotString {
                path,
                member: "domain",
                found: json_type_name(other),
            })
        }
    };
    Ok(ParsedProof {
        suite: Suite::from_members(&proof_type, cryptosuite.as_deref()),
        proof_type,
        verification_method: string("verificationMethod")?,
        proof_purpose: string("proofPurpose")?,
        created: string("created")?,
        expires: string("expires")?,
        challenge: string("challenge")?,
        domain,
        proof_value: string("proofValue")?,
        json: proof.clone(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn context_prefix_rule() {
        let doc = json!(["a", "b"]);
        assert!(context_is_prefix(&json!(["a", "b"]), Some(&doc)));
        assert!(context_is_prefix(&json!(["a"]), Some(&doc)));
        assert!(context_is_prefix(&json!("a"), Some(&doc)));
        assert!(!context_is_prefix(&json!(["b"]), Some(&doc)));
        assert!(!context_is_prefix(&json!(["a", "b", "c"]), Some(&doc)));
        assert!(!context_is_prefix(&json!(["a"]), None));
    }

    #[test]
    fn suite_names() {
        assert_eq!(
            Suite::from_members("DataIntegrityProof", Some("eddsa-2022")),
            Suite::Eddsa2022
        );
        assert!(Suite::Eddsa2022.is_legacy());
        assert!(!Suite::EddsaRdfc2022.is_legacy());
        assert!(matches!(
            Suite::from_members("Ed25519Signature2020", Some("x")),
            Suite::Unsupported { .. }
        ));
    }
}
