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

use std::fmt;

use serde_json::Value;

use crate::keys::KeyError;

mod dereference;
mod document;
mod key;
mod web;

pub use dereference::{
    dereference, document_needed, key_in_document, method_public_key, parse_verification_method,
    DocumentRequest, FetchedDocuments, KeyReference, ResolvedKey, ResolvedVia,
};
pub use document::{build_did_document, DocumentKey, Relationship};
pub use key::{
    did_key, did_key_public_key, did_key_verification_method, parse_did_key, resolve_did_key,
    x25519_from_ed25519, x25519_multibase, DID_KEY_CACHE_ENTRIES,
};
pub use web::{did_web_from_url, did_web_url};

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

    /// A DID this crate built from a method name and base58btc or base64url characters (always
    /// valid DID syntax), without parsing it again.
    pub(crate) fn from_generated(value: String) -> Self {
        debug_assert!(Self::parse(&value).is_ok(), "{value}");
        Self(value)
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
// helpers

pub(super) fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// The URI scheme of `value`, if it has a syntactically valid one (RFC 3986:
/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
pub(super) fn uri_scheme(value: &str) -> Option<&str> {
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
pub(super) fn check_idchars(id: &str) -> Result<(), &'static str> {
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
pub(super) fn check_uri_chars(value: &str, extra: &str) -> Result<(), &'static str> {
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

pub(super) fn check_pct(value: &str) -> Result<(), &'static str> {
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

pub(super) fn percent_decode(value: &str) -> Option<String> {
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
pub(super) fn split_ci<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let lower = haystack.to_ascii_lowercase();
    let at = lower.find(needle)?;
    Some((&haystack[..at], &haystack[at + needle.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

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
