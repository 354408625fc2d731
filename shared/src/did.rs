//! Decentralized identifiers: parsing (DID Core syntax), `did:key` for Ed25519, `did:web`
//! (DID ↔ HTTPS URL), DID document building, and verification-method dereferencing.
//!
//! Resolving `did:web` is I/O, so it is not done here: [`document_needed`] says which document
//! the caller must fetch and from where, and [`dereference`] reads the key out of what was
//! fetched ([`FetchedDocuments`]). A `did:key` needs nothing fetched.
//!
//! ```
//! use passerelle_core::did::{self, DocumentKey, FetchedDocuments, Relationship};
//! use passerelle_core::keys::KeyPair;
//!
//! let key = KeyPair::from_seed(&[7; 32]).public();
//! // did:key: self-contained.
//! let vm = did::did_key_verification_method(&key);
//! assert_eq!(did::dereference(&vm, &FetchedDocuments::new())?.public_key, key);
//!
//! // did:web: the caller fetches the document the core asks for.
//! let issuer = did::did_web_from_url("https://learn.example")?;
//! let document = did::build_did_document(&issuer, &[DocumentKey {
//!     fragment: "key-1".into(),
//!     public_key: key,
//!     relationships: vec![Relationship::AssertionMethod],
//! }])?;
//! let request = did::document_needed("did:web:learn.example#key-1").expect("did:web");
//! assert_eq!(request.url, "https://learn.example/.well-known/did.json");
//! let mut fetched = FetchedDocuments::new();
//! fetched.insert(&request.did, document); // what the HTTP GET returned
//! let resolved = did::dereference("did:web:learn.example#key-1", &fetched)?;
//! assert!(resolved.has_relationship(Relationship::AssertionMethod));
//! # Ok::<(), did::DidError>(())
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde_json::{json, Map, Value};

use crate::keys::{KeyError, PublicKey};
use crate::multibase::{self, ED25519_PUB_PREFIX};

/// Multicodec prefix of an X25519 public key (`x25519-pub`, 0xec).
pub const X25519_PUB_PREFIX: [u8; 2] = [0xec, 0x01];

/// The DID Core v1 context.
pub const DID_CONTEXT_V1: &str = "https://www.w3.org/ns/did/v1";
/// The Multikey context.
pub const MULTIKEY_CONTEXT_V1: &str = "https://w3id.org/security/multikey/v1";

/// Why a DID, DID URL or verification method could not be parsed or dereferenced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    #[error("{value:?} is not a DID: {reason}")]
    Syntax { value: String, reason: &'static str },
    #[error("{value:?} is not a valid DID URL: {reason}")]
    UrlSyntax { value: String, reason: &'static str },
    #[error("did:key {did:?}: the method-specific id must be multibase base58btc (start with 'z'), found {prefix:?}")]
    DidKeyNotBase58 { did: String, prefix: char },
    #[error("did:key {did:?}: not valid base58btc: {reason}")]
    DidKeyBadEncoding { did: String, reason: String },
    #[error("did:key {did:?}: multicodec prefix {found} is not ed25519-pub (0xed01)")]
    DidKeyWrongCodec { did: String, found: String },
    #[error("did:key {did:?}: an Ed25519 key is 32 bytes, found {found}")]
    DidKeyWrongLength { did: String, found: usize },
    #[error("did:key {did:?}: not a valid Ed25519 public key")]
    DidKeyInvalidKey { did: String },
    #[error("did:key verification method {vm:?}: the fragment must repeat the key ({expected:?})")]
    DidKeyFragmentMismatch { vm: String, expected: String },
    #[error("expected a did:{expected} DID, found {did:?}")]
    WrongMethod { did: String, expected: &'static str },
    #[error("did:web {did:?}: {reason}")]
    DidWeb { did: String, reason: String },
    #[error("cannot make a did:web from {url:?}: {reason}")]
    DidWebFromUrl { url: String, reason: String },
    #[error("verification method {vm:?} has no URI scheme (a bare key is not a URI)")]
    NoScheme { vm: String },
    #[error("verification method {vm:?} uses the unsupported URI scheme {scheme:?}")]
    UnknownScheme { vm: String, scheme: String },
    #[error("verification method {vm:?} uses the unsupported DID method {method:?}")]
    UnknownDidMethod { vm: String, method: String },
    #[error(
        "verification method {vm:?}: fragment {fragment:?} is not an Ed25519 Multikey ({reason})"
    )]
    FragmentNotAKey {
        vm: String,
        fragment: String,
        reason: KeyError,
    },
    #[error("verification method {vm:?}: a did:web key reference needs a #fragment")]
    FragmentRequired { vm: String },
    #[error("verification method {vm:?} cannot be dereferenced here: {reason}")]
    Unsupported { vm: String, reason: &'static str },
    #[error("the DID document of {did:?} was not supplied (fetch {url})")]
    DocumentMissing { did: String, url: String },
    #[error("the document fetched for {did:?} is not a DID document: {reason}")]
    BadDocument { did: String, reason: String },
    #[error("the document fetched for {requested:?} has id {found:?}")]
    DocumentIdMismatch { requested: String, found: String },
    #[error("verification method {vm:?} is not in the DID document")]
    MethodNotFound { vm: String },
    #[error("verification method {vm:?}: controller {found:?} is not {expected:?}")]
    ControllerMismatch {
        vm: String,
        expected: String,
        found: String,
    },
    #[error("verification method {vm:?}: {reason}")]
    BadMethod { vm: String, reason: String },
    #[error("verification method {vm:?}: type {kind:?} is not supported")]
    UnsupportedMethodType { vm: String, kind: String },
    #[error("verification method {vm:?}: {member} does not hold a usable Ed25519 key: {reason}")]
    BadKey {
        vm: String,
        member: &'static str,
        reason: KeyError,
    },
    #[error("DID document key fragment {fragment:?}: {reason}")]
    BadDocumentKey {
        fragment: String,
        reason: &'static str,
    },
}

/// A syntactically valid DID (`did:<method>:<method-specific-id>`), without path, query or
/// fragment.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Did(String);

impl TryFrom<String> for Did {
    type Error = DidError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Did> for String {
    fn from(did: Did) -> Self {
        did.0
    }
}

impl AsRef<str> for Did {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Did {
    /// Parses a DID per the DID Core ABNF.
    pub fn parse(value: &str) -> Result<Self, DidError> {
        let err = |reason| DidError::Syntax {
            value: value.to_owned(),
            reason,
        };
        let rest = value
            .strip_prefix("did:")
            .ok_or(err("must start with \"did:\""))?;
        let (method, id) = rest
            .split_once(':')
            .ok_or(err("missing the method-specific id"))?;
        if method.is_empty() {
            return Err(err("the method name is empty"));
        }
        if !method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(err("the method name may hold only a-z and 0-9"));
        }
        if id.is_empty() || id.ends_with(':') {
            return Err(err(
                "the method-specific id must not be empty or end with ':'",
            ));
        }
        check_idchars(id).map_err(err)?;
        Ok(Self(value.to_owned()))
    }

    /// The DID method name (`key`, `web`, …).
    pub fn method(&self) -> &str {
        let rest = &self.0[4..];
        rest.split_once(':').map_or(rest, |(m, _)| m)
    }

    /// The method-specific identifier.
    pub fn method_specific_id(&self) -> &str {
        let rest = &self.0[4..];
        rest.split_once(':').map_or("", |(_, id)| id)
    }

    /// The DID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Did {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A DID URL: a DID with optional path, query and fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DidUrl {
    did: Did,
    path: Option<String>,
    query: Option<String>,
    fragment: Option<String>,
}

impl DidUrl {
    /// Parses a DID URL (`did:…[/path][?query][#fragment]`).
    pub fn parse(value: &str) -> Result<Self, DidError> {
        let err = |reason| DidError::UrlSyntax {
            value: value.to_owned(),
            reason,
        };
        let (before_fragment, fragment) = match value.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (value, None),
        };
        let (before_query, query) = match before_fragment.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (before_fragment, None),
        };
        let (did_part, path) = match before_query.find('/') {
            Some(i) => (&before_query[..i], Some(&before_query[i..])),
            None => (before_query, None),
        };
        let did = Did::parse(did_part)?;
        if let Some(fragment) = fragment {
            if fragment.is_empty() {
                return Err(err("the fragment is empty"));
            }
            check_uri_chars(fragment, "/?").map_err(err)?;
        }
        if let Some(query) = query {
            check_uri_chars(query, "/?").map_err(err)?;
        }
        if let Some(path) = path {
            check_uri_chars(path, "/").map_err(err)?;
        }
        Ok(Self {
            did,
            path: path.map(str::to_owned),
            query: query.map(str::to_owned),
            fragment: fragment.map(str::to_owned),
        })
    }

    /// The DID part.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The path (with its leading `/`), if any.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The query (without `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The fragment (without `#`), if any.
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.as_deref()
    }
}

impl fmt::Display for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.did.as_str())?;
        if let Some(path) = &self.path {
            f.write_str(path)?;
        }
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        if let Some(fragment) = &self.fragment {
            write!(f, "#{fragment}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// did:key

/// The `did:key` of an Ed25519 public key (`did:key:z6Mk…`).
pub fn did_key(public_key: &PublicKey) -> Did {
    Did(format!("did:key:{}", public_key.to_multikey()))
}

/// The verification method id of a `did:key` (`did:key:z6Mk…#z6Mk…`).
pub fn did_key_verification_method(public_key: &PublicKey) -> String {
    let multikey = public_key.to_multikey();
    format!("did:key:{multikey}#{multikey}")
}

/// Reads the Ed25519 public key out of a `did:key` DID.
///
/// The last [`DID_KEY_CACHE_ENTRIES`] keys read are remembered (decoding one takes a base58
/// decode and an Ed25519 point decompression; a verifier meets the same issuers' keys again and
/// again). Only valid keys are remembered, under their exact method-specific id, so the result
/// is the same with or without the cache.
pub fn did_key_public_key(did: &Did) -> Result<PublicKey, DidError> {
    if did.method() != "key" {
        return Err(DidError::WrongMethod {
            did: did.to_string(),
            expected: "key",
        });
    }
    let id = did.method_specific_id();
    if let Some(public_key) = DidKeyCache::shared().get(id) {
        return Ok(public_key);
    }
    let public_key = decode_did_key(did, id)?;
    DidKeyCache::shared().insert(id, public_key);
    Ok(public_key)
}

/// How many decoded `did:key`s [`did_key_public_key`] remembers.
pub const DID_KEY_CACHE_ENTRIES: usize = 64;

/// The last decoded `did:key`s, oldest first (a small ring: lookups compare a few strings).
struct DidKeyCache(Mutex<VecDeque<(String, PublicKey)>>);

impl DidKeyCache {
    fn shared() -> &'static DidKeyCache {
        static SHARED: DidKeyCache = DidKeyCache(Mutex::new(VecDeque::new()));
        &SHARED
    }

    fn get(&self, id: &str) -> Option<PublicKey> {
        // Entries are pushed and popped whole: the ring is consistent after any panic.
        let entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .find(|(known, _)| known == id)
            .map(|(_, key)| *key)
    }

    fn insert(&self, id: &str, public_key: PublicKey) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.iter().any(|(known, _)| known == id) {
            return;
        }
        if entries.len() >= DID_KEY_CACHE_ENTRIES {
            entries.pop_front();
        }
        entries.push_back((id.to_owned(), public_key));
    }
}

fn decode_did_key(did: &Did, id: &str) -> Result<PublicKey, DidError> {
    let did_s = || did.to_string();
    // did:key has a version-prefixed form `did:key:1:z…`; only the default version is in use.
    match id.chars().next() {
        Some('z') => {}
        Some(prefix) => {
            return Err(DidError::DidKeyNotBase58 {
                did: did_s(),
                prefix,
            })
        }
        None => {
            return Err(DidError::Syntax {
                value: did_s(),
                reason: "empty method-specific id",
            })
        }
    }
    let bytes = multibase::decode_base58btc(id).map_err(|e| DidError::DidKeyBadEncoding {
        did: did_s(),
        reason: e.to_string(),
    })?;
    let raw =
        bytes
            .strip_prefix(&ED25519_PUB_PREFIX)
            .ok_or_else(|| DidError::DidKeyWrongCodec {
                did: did_s(),
                found: hex::encode(&bytes[..bytes.len().min(2)]),
            })?;
    if raw.len() != 32 {
        return Err(DidError::DidKeyWrongLength {
            did: did_s(),
            found: raw.len(),
        });
    }
    PublicKey::from_bytes(raw).map_err(|_| DidError::DidKeyInvalidKey { did: did_s() })
}

/// Parses a `did:key` string straight to its public key.
pub fn parse_did_key(value: &str) -> Result<PublicKey, DidError> {
    did_key_public_key(&Did::parse(value)?)
}

/// The X25519 key-agreement key derived from an Ed25519 key (birational map to Montgomery form),
/// as the did:key method does; returns the 32 raw bytes.
pub fn x25519_from_ed25519(public_key: &PublicKey) -> Result<[u8; 32], DidError> {
    let point = ed25519_dalek::VerifyingKey::from_bytes(&public_key.to_bytes()).map_err(|_| {
        DidError::DidKeyInvalidKey {
            did: did_key(public_key).to_string(),
        }
    })?;
    Ok(point.to_montgomery().to_bytes())
}

/// The multibase (`z6LS…`) form of an X25519 public key.
pub fn x25519_multibase(raw: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&X25519_PUB_PREFIX);
    bytes.extend_from_slice(raw);
    multibase::encode_base58btc(&bytes)
}

/// Resolves a `did:key` to its DID document: one `Multikey` verification method listed under
/// `assertionMethod`, `authentication`, `capabilityInvocation` and `capabilityDelegation`.
pub fn resolve_did_key(did: &Did) -> Result<Value, DidError> {
    let public_key = did_key_public_key(did)?;
    let vm_id = format!("{did}#{}", public_key.to_multikey());
    Ok(json!({
        "@context": [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1],
        "id": did.as_str(),
        "verificationMethod": [{
            "id": vm_id,
            "type": "Multikey",
            "controller": did.as_str(),
            "publicKeyMultibase": public_key.to_multikey(),
        }],
        "assertionMethod": [vm_id],
        "authentication": [vm_id],
        "capabilityInvocation": [vm_id],
        "capabilityDelegation": [vm_id],
    }))
}

// ---------------------------------------------------------------------------------------------
// did:web

/// Where a `did:web` DID document lives: `did:web:example.com` →
/// `https://example.com/.well-known/did.json`, `did:web:example.com:user:alice` →
/// `https://example.com/user/alice/did.json`, `did:web:localhost%3A8080` →
/// `https://localhost:8080/.well-known/did.json`.
pub fn did_web_url(did: &Did) -> Result<String, DidError> {
    if did.method() != "web" {
        return Err(DidError::WrongMethod {
            did: did.to_string(),
            expected: "web",
        });
    }
    let bad = |reason: &str| DidError::DidWeb {
        did: did.to_string(),
        reason: reason.to_owned(),
    };
    let mut segments = did.method_specific_id().split(':');
    let host_part = segments.next().unwrap_or_default();
    if host_part.is_empty() {
        return Err(bad("the domain is empty"));
    }
    // Only the port colon may be percent-encoded in the domain.
    let (host, port) = match split_ci(host_part, "%3a") {
        Some((host, port)) => (host, Some(port)),
        None => (host_part, None),
    };
    if host.contains('%') {
        return Err(bad(
            "the domain may not hold percent-encoded characters other than the port colon",
        ));
    }
    if host.is_empty()
        || host.starts_with('.')
        || host.ends_with('.')
        || host.contains("..")
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Err(bad("the domain is not a valid host name"));
    }
    if let Some(port) = port {
        if port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().map_or(true, |p| p == 0)
        {
            return Err(bad("the port is not a number from 1 to 65535"));
        }
    }
    let mut path = String::new();
    for segment in segments {
        if segment.is_empty() {
            return Err(bad("empty path segment"));
        }
        let decoded = percent_decode(segment)
            .ok_or_else(|| bad("a path segment holds an invalid percent-encoding"))?;
        if decoded == "." || decoded == ".." {
            return Err(bad("path traversal ('.' or '..') is not allowed"));
        }
        if decoded.contains(['/', '\\', '?', '#', '@']) {
            return Err(bad(
                "a path segment may not encode '/', '\\', '?', '#' or '@'",
            ));
        }
        path.push('/');
        path.push_str(segment);
    }
    if path.is_empty() {
        path.push_str("/.well-known");
    }
    let authority = match port {
        Some(port) => format!("{}:{port}", host.to_ascii_lowercase()),
        None => host.to_ascii_lowercase(),
    };
    let url = format!("https://{authority}{path}/did.json");
    // Cross-check with a real URL parser: the host must survive unchanged and nothing may
    // appear in userinfo, query or fragment.
    let parsed = url::Url::parse(&url).map_err(|e| bad(&format!("not a valid URL: {e}")))?;
    // did:web: "The method specific identifier … MUST NOT include IP addresses."
    if !matches!(parsed.host(), Some(url::Host::Domain(_))) {
        return Err(bad("the host must be a domain name, not an IP address"));
    }
    if !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || parsed.host_str() != Some(host.to_ascii_lowercase().as_str())
    {
        return Err(bad(
            "the URL it maps to is not a plain https URL on that host",
        ));
    }
    Ok(url)
}

/// The `did:web` DID for an issuer base URL (`https://learn.example` →
/// `did:web:learn.example`; `https://host:8443/org/a` → `did:web:host%3A8443:org:a`).
pub fn did_web_from_url(base_url: &str) -> Result<Did, DidError> {
    let bad = |reason: &str| DidError::DidWebFromUrl {
        url: base_url.to_owned(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(base_url).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "https" {
        return Err(bad("did:web needs an https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("the URL must not carry user info"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("the URL must not carry a query or fragment"));
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {
            return Err(bad("did:web needs a domain name, not an IP address"))
        }
        None => return Err(bad("the URL has no host")),
    };
    let mut id = host;
    if let Some(port) = url.port() {
        id.push_str(&format!("%3A{port}"));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/did.json").unwrap_or(path);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return Err(bad("path traversal is not allowed"));
        }
        id.push(':');
        id.push_str(segment);
    }
    let did = Did::parse(&format!("did:web:{id}")).map_err(|e| bad(&e.to_string()))?;
    did_web_url(&did).map_err(|e| bad(&e.to_string()))?;
    Ok(did)
}

// ---------------------------------------------------------------------------------------------
// DID documents

/// A verification relationship of a DID document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Relationship {
    AssertionMethod,
    Authentication,
    CapabilityInvocation,
    CapabilityDelegation,
}

impl Relationship {
    /// All four relationships an Ed25519 signing key can have.
    pub const ALL: [Relationship; 4] = [
        Relationship::AssertionMethod,
        Relationship::Authentication,
        Relationship::CapabilityInvocation,
        Relationship::CapabilityDelegation,
    ];

    /// The DID document property name.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::AssertionMethod => "assertionMethod",
            Relationship::Authentication => "authentication",
            Relationship::CapabilityInvocation => "capabilityInvocation",
            Relationship::CapabilityDelegation => "capabilityDelegation",
        }
    }
}

/// One key to list in a DID document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentKey {
    /// The fragment of the verification method id (without `#`), e.g. `key-2026` or the multikey.
    pub fragment: String,
    pub public_key: PublicKey,
    /// Which relationships list this key. A retired key keeps `AssertionMethod` so credentials
    /// it signed still verify, and loses the others.
    pub relationships: Vec<Relationship>,
}

/// Builds a DID document listing `keys` as `Multikey` verification methods (current and retired:
/// every key stays a verification method; the caller chooses each key's relationships).
pub fn build_did_document(did: &Did, keys: &[DocumentKey]) -> Result<Value, DidError> {
    let mut methods = Vec::with_capacity(keys.len());
    let mut relationships: BTreeMap<Relationship, Vec<Value>> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for key in keys {
        let bad = |reason| DidError::BadDocumentKey {
            fragment: key.fragment.clone(),
            reason,
        };
        if key.fragment.is_empty() {
            return Err(bad("the fragment is empty"));
        }
        check_uri_chars(&key.fragment, "").map_err(bad)?;
        if !seen.insert(key.fragment.as_str()) {
            return Err(bad("two keys share this fragment"));
        }
        let id = format!("{did}#{}", key.fragment);
        methods.push(json!({
            "id": id,
            "type": "Multikey",
            "controller": did.as_str(),
            "publicKeyMultibase": key.public_key.to_multikey(),
        }));
        for relationship in &key.relationships {
            let list = relationships.entry(*relationship).or_default();
            if !list.iter().any(|v| v.as_str() == Some(id.as_str())) {
                list.push(Value::String(id.clone()));
            }
        }
    }
    let mut doc = Map::new();
    doc.insert(
        "@context".into(),
        json!([DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1]),
    );
    doc.insert("id".into(), Value::String(did.to_string()));
    doc.insert("verificationMethod".into(), Value::Array(methods));
    for relationship in Relationship::ALL {
        if let Some(list) = relationships.remove(&relationship) {
            doc.insert(relationship.as_str().into(), Value::Array(list));
        }
    }
    Ok(Value::Object(doc))
}

// ---------------------------------------------------------------------------------------------
// Verification method dereferencing

/// What a proof's `verificationMethod` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyReference {
    /// `did:key:z6Mk…[#z6Mk…]`: the key is in the DID itself.
    DidKey { did: Did, public_key: PublicKey },
    /// `did:web:…#fragment`: the key is in the DID document at `url`.
    DidWeb {
        did: Did,
        fragment: String,
        url: String,
    },
    /// `https://example.edu/issuers/565049#z6Mk…`: the fragment IS the Multikey, as the 1EdTech
    /// validator accepts. Nothing vouches for the key except the controller URL it sits under.
    HttpsFragment {
        controller: String,
        public_key: PublicKey,
    },
    /// A well-formed reference this crate does not dereference (e.g. an https URL of a key
    /// document, which would need fetching and is not supported).
    Unsupported { vm: String, reason: &'static str },
}

/// How a key was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolvedVia {
    /// Decoded from the `did:key` itself.
    DidKey,
    /// Read from the fetched `did:web` document.
    DidWebDocument,
    /// Decoded from the fragment of an https URL (no document vouches for it).
    HttpsFragment,
}

/// A key found by dereferencing a verification method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    /// The absolute verification method id.
    pub id: String,
    /// The controller (the DID, or the URL before `#`).
    pub controller: String,
    pub public_key: PublicKey,
    /// The verification relationships that list this method (`assertionMethod`, …). Empty for
    /// [`ResolvedVia::HttpsFragment`], where no document exists to say.
    pub relationships: Vec<String>,
    pub via: ResolvedVia,
}

impl ResolvedKey {
    /// Whether a relationship lists this key.
    pub fn has_relationship(&self, relationship: Relationship) -> bool {
        self.relationships
            .iter()
            .any(|r| r == relationship.as_str())
    }
}

/// A document the caller must fetch before [`dereference`] can work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRequest {
    pub did: Did,
    pub url: String,
}

/// DID documents the caller fetched, keyed by DID.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FetchedDocuments(BTreeMap<String, Value>);

impl FetchedDocuments {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the document fetched for `did`.
    pub fn insert(&mut self, did: &Did, document: Value) {
        self.0.insert(did.to_string(), document);
    }

    /// The document fetched for `did`, if any.
    pub fn document(&self, did: &str) -> Option<&Value> {
        self.0.get(did)
    }
}

/// Classifies a `verificationMethod` value, with a specific error for each kind of bad one.
pub fn parse_verification_method(vm: &str) -> Result<KeyReference, DidError> {
    let Some(scheme) = uri_scheme(vm) else {
        return Err(DidError::NoScheme { vm: vm.to_owned() });
    };
    match scheme.to_ascii_lowercase().as_str() {
        "did" => {
            let url = DidUrl::parse(vm)?;
            if url.path().is_some() || url.query().is_some() {
                return Err(DidError::UrlSyntax {
                    value: vm.to_owned(),
                    reason: "a key reference takes only a #fragment, no path or query",
                });
            }
            match url.did().method() {
                "key" => {
                    let public_key = did_key_public_key(url.did())?;
                    if let Some(fragment) = url.fragment() {
                        let expected = public_key.to_multikey();
                        if fragment != expected {
                            return Err(DidError::DidKeyFragmentMismatch {
                                vm: vm.to_owned(),
                                expected,
                            });
                        }
                    }
                    Ok(KeyReference::DidKey {
                        did: url.did().clone(),
                        public_key,
                    })
                }
                "web" => {
                    let did_url = did_web_url(url.did())?;
                    let fragment = url
                        .fragment()
                        .ok_or_else(|| DidError::FragmentRequired { vm: vm.to_owned() })?;
                    Ok(KeyReference::DidWeb {
                        did: url.did().clone(),
                        fragment: fragment.to_owned(),
                        url: did_url,
                    })
                }
                other => Err(DidError::UnknownDidMethod {
                    vm: vm.to_owned(),
                    method: other.to_owned(),
                }),
            }
        }
        "https" | "http" => {
            let parsed = url::Url::parse(vm).map_err(|_| DidError::UrlSyntax {
                value: vm.to_owned(),
                reason: "not a valid URL",
            })?;
            match parsed.fragment() {
                // A fragment that is no multibase value names a method inside an https
                // controller document, which would need fetching.
                Some(fragment) if !fragment.starts_with('z') => Ok(KeyReference::Unsupported {
                    vm: vm.to_owned(),
                    reason: "an https controller document would need fetching; only did:key, did:web and <url>#<multikey> are supported",
                }),
                Some(fragment) => {
                    let public_key = PublicKey::from_multikey(fragment).map_err(|reason| {
                        DidError::FragmentNotAKey {
                            vm: vm.to_owned(),
                            fragment: fragment.to_owned(),
                            reason,
                        }
                    })?;
                    if scheme != "https" {
                        return Ok(KeyReference::Unsupported {
                            vm: vm.to_owned(),
                            reason: "key URLs must use https",
                        });
                    }
                    let controller = vm.split_once('#').map_or(vm, |(c, _)| c).to_owned();
                    Ok(KeyReference::HttpsFragment {
                        controller,
                        public_key,
                    })
                }
                None => Ok(KeyReference::Unsupported {
                    vm: vm.to_owned(),
                    reason: "an https key document would need fetching; only did:key, did:web and <url>#<multikey> are supported",
                }),
            }
        }
        _ => Err(DidError::UnknownScheme {
            vm: vm.to_owned(),
            scheme: scheme.to_owned(),
        }),
    }
}

/// What the caller must fetch to dereference `vm`: the DID document of a `did:web`, else nothing.
pub fn document_needed(vm: &str) -> Option<DocumentRequest> {
    match parse_verification_method(vm) {
        Ok(KeyReference::DidWeb { did, url, .. }) => Some(DocumentRequest { did, url }),
        _ => None,
    }
}

/// Dereferences a verification method to its Ed25519 key, reading `did:web` documents from
/// `fetched`.
pub fn dereference(vm: &str, fetched: &FetchedDocuments) -> Result<ResolvedKey, DidError> {
    match parse_verification_method(vm)? {
        KeyReference::DidKey { did, public_key } => {
            let multikey = public_key.to_multikey();
            Ok(ResolvedKey {
                id: format!("{did}#{multikey}"),
                controller: did.to_string(),
                public_key,
                relationships: Relationship::ALL
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect(),
                via: ResolvedVia::DidKey,
            })
        }
        KeyReference::DidWeb { did, fragment, url } => {
            let document =
                fetched
                    .document(did.as_str())
                    .ok_or_else(|| DidError::DocumentMissing {
                        did: did.to_string(),
                        url,
                    })?;
            key_in_document(&did, &fragment, document)
        }
        KeyReference::HttpsFragment {
            controller,
            public_key,
        } => Ok(ResolvedKey {
            id: vm.to_owned(),
            controller,
            public_key,
            relationships: Vec::new(),
            via: ResolvedVia::HttpsFragment,
        }),
        KeyReference::Unsupported { vm, reason } => Err(DidError::Unsupported { vm, reason }),
    }
}

/// Finds the verification method `did#fragment` in a DID document and reads its key.
pub fn key_in_document(
    did: &Did,
    fragment: &str,
    document: &Value,
) -> Result<ResolvedKey, DidError> {
    let bad_doc = |reason: &str| DidError::BadDocument {
        did: did.to_string(),
        reason: reason.to_owned(),
    };
    let doc = document
        .as_object()
        .ok_or_else(|| bad_doc("not a JSON object"))?;
    match doc.get("id").and_then(Value::as_str) {
        Some(id) if id == did.as_str() => {}
        Some(id) => {
            return Err(DidError::DocumentIdMismatch {
                requested: did.to_string(),
                found: id.to_owned(),
            })
        }
        None => return Err(bad_doc("missing the string member \"id\"")),
    }
    let absolute = format!("{did}#{fragment}");
    let relative = format!("#{fragment}");
    let matches_id = |v: &Value| v.as_str().is_some_and(|s| s == absolute || s == relative);
    // The method may be in verificationMethod or embedded in a relationship; an id defined
    // twice with different contents is ambiguous, and refused.
    let mut definitions: Vec<&Value> = doc
        .get("verificationMethod")
        .map(as_list)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.get("id").is_some_and(matches_id))
        .collect();
    let mut relationships = Vec::new();
    for name in [
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
        "keyAgreement",
    ] {
        for entry in doc.get(name).map(as_list).unwrap_or_default() {
            let listed = match entry {
                Value::String(_) => matches_id(entry),
                Value::Object(o) => {
                    let hit = o.get("id").is_some_and(matches_id);
                    if hit {
                        definitions.push(entry);
                    }
                    hit
                }
                _ => false,
            };
            if listed && !relationships.iter().any(|r| r == name) {
                relationships.push(name.to_owned());
            }
        }
    }
    let method = *definitions
        .first()
        .ok_or_else(|| DidError::MethodNotFound {
            vm: absolute.clone(),
        })?;
    if definitions.iter().any(|other| {
        let key = |m: &Value| method_public_key(&absolute, m).ok();
        key(other) != key(method)
    }) {
        return Err(bad_doc(&format!(
            "verification method {absolute} is defined more than once, with different keys"
        )));
    }
    let public_key = method_public_key(&absolute, method)?;
    let controller = method
        .get("controller")
        .and_then(Value::as_str)
        .ok_or_else(|| DidError::BadMethod {
            vm: absolute.clone(),
            reason: "missing the string member \"controller\"".into(),
        })?;
    if controller != did.as_str() {
        return Err(DidError::ControllerMismatch {
            vm: absolute,
            expected: did.to_string(),
            found: controller.to_owned(),
        });
    }
    Ok(ResolvedKey {
        id: absolute,
        controller: controller.to_owned(),
        public_key,
        relationships,
        via: ResolvedVia::DidWebDocument,
    })
}

/// Reads the Ed25519 key of one verification method object (Multikey,
/// Ed25519VerificationKey2020, JsonWebKey2020/JsonWebKey, Ed25519VerificationKey2018).
pub fn method_public_key(vm: &str, method: &Value) -> Result<PublicKey, DidError> {
    let kind = method
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| DidError::BadMethod {
            vm: vm.to_owned(),
            reason: "missing the string member \"type\"".into(),
        })?;
    let member_str = |member: &'static str| {
        method
            .get(member)
            .and_then(Value::as_str)
            .ok_or_else(|| DidError::BadMethod {
                vm: vm.to_owned(),
                reason: format!("type {kind} needs the string member {member:?}"),
            })
    };
    let bad_key = |member, reason| DidError::BadKey {
        vm: vm.to_owned(),
        member,
        reason,
    };
    match kind {
        "Multikey" | "Ed25519VerificationKey2020" => {
            let value = member_str("publicKeyMultibase")?;
            PublicKey::from_multikey(value).map_err(|e| bad_key("publicKeyMultibase", e))
        }
        "JsonWebKey2020" | "JsonWebKey" => {
            let jwk = method
                .get("publicKeyJwk")
                .ok_or_else(|| DidError::BadMethod {
                    vm: vm.to_owned(),
                    reason: format!("type {kind} needs the member \"publicKeyJwk\""),
                })?;
            if jwk.get("d").is_some() {
                return Err(DidError::BadMethod {
                    vm: vm.to_owned(),
                    reason: "publicKeyJwk holds a private key (\"d\")".into(),
                });
            }
            PublicKey::from_jwk(jwk).map_err(|e| bad_key("publicKeyJwk", e))
        }
        "Ed25519VerificationKey2018" => {
            let value = member_str("publicKeyBase58")?;
            let bytes = bs58::decode(value).into_vec().map_err(|e| {
                bad_key(
                    "publicKeyBase58",
                    KeyError::Multibase(multibase::MultibaseError::InvalidBase58 {
                        reason: e.to_string(),
                    }),
                )
            })?;
            PublicKey::from_bytes(&bytes).map_err(|e| bad_key("publicKeyBase58", e))
        }
        other => Err(DidError::UnsupportedMethodType {
            vm: vm.to_owned(),
            kind: other.to_owned(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// helpers

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// The URI scheme of `value`, if it has a syntactically valid one (RFC 3986:
/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn uri_scheme(value: &str) -> Option<&str> {
    let (scheme, _) = value.split_once(':')?;
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    if bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
        Some(scheme)
    } else {
        None
    }
}

/// DID Core `idchar`s and `:` (the caller has split off the method).
fn check_idchars(id: &str) -> Result<(), &'static str> {
    check_pct(id)?;
    if id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'%' | b':'))
    {
        Ok(())
    } else {
        Err("the method-specific id may hold only A-Z a-z 0-9 . - _ : and %-escapes")
    }
}

/// RFC 3986 `pchar`s plus `extra`.
fn check_uri_chars(value: &str, extra: &str) -> Result<(), &'static str> {
    check_pct(value)?;
    let ok = value.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=:@%".contains(&b)
            || extra.as_bytes().contains(&b)
    });
    if ok {
        Ok(())
    } else {
        Err("holds a character that is not allowed in a URI here")
    }
}

fn check_pct(value: &str) -> Result<(), &'static str> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err("'%' must be followed by two hex digits");
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn percent_decode(value: &str) -> Option<String> {
    check_pct(value).ok()?;
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Splits at the first case-insensitive occurrence of an ASCII `needle`.
fn split_ci<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let lower = haystack.to_ascii_lowercase();
    let at = lower.find(needle)?;
    Some((&haystack[..at], &haystack[at + needle.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_key_cache_gives_the_decoded_keys_and_never_hides_errors() {
        use crate::keys::KeyPair;
        // More keys than the cache holds, each read twice (first decoded, then remembered
        // or, once evicted, decoded again): always the key the DID names.
        let keys: Vec<PublicKey> = (0..DID_KEY_CACHE_ENTRIES + 8)
            .map(|i| KeyPair::from_seed(&[u8::try_from(i % 251).unwrap(); 32]).public())
            .collect();
        for _ in 0..2 {
            for key in &keys {
                assert_eq!(did_key_public_key(&did_key(key)).unwrap(), *key);
            }
        }
        assert!(DidKeyCache::shared().0.lock().unwrap().len() <= DID_KEY_CACHE_ENTRIES);
        // A did:key one character away from a remembered one is decoded, and refused.
        let good = did_key(&keys[0]).to_string();
        let mut bad = good.clone();
        bad.pop();
        bad.push(if good.ends_with('A') { 'B' } else { 'A' });
        for _ in 0..2 {
            let parsed = Did::parse(&bad).unwrap();
            assert_ne!(did_key_public_key(&parsed).ok(), Some(keys[0]));
        }
    }

    #[test]
    fn uri_schemes() {
        assert_eq!(uri_scheme("did:key:z"), Some("did"));
        assert_eq!(uri_scheme("https://x"), Some("https"));
        assert_eq!(uri_scheme("a+b-c.d:x"), Some("a+b-c.d"));
        assert_eq!(uri_scheme("z6Mk"), None);
        assert_eq!(uri_scheme(":x"), None);
        assert_eq!(uri_scheme("1abc:x"), None);
        assert_eq!(uri_scheme("a b:x"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb").as_deref(), Some("a/b"));
        assert_eq!(percent_decode("%2e%2E").as_deref(), Some(".."));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
        assert_eq!(split_ci("host%3a80", "%3a"), Some(("host", "80")));
        assert_eq!(split_ci("host%3A80", "%3a"), Some(("host", "80")));
        assert_eq!(split_ci("host", "%3a"), None);
    }
}
