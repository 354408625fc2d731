//! Verification-method dereferencing: a DID URL to a key, from `did:key` alone or from the
//! DID documents the caller fetched.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::keys::{KeyError, PublicKey};
use crate::multibase;

use super::as_list;
use super::document::Relationship;
use super::key::did_key_public_key;
use super::uri_scheme;
use super::web::did_web_url;
use super::{Did, DidError, DidUrl};

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
