//! DID documents: the relationships a key can have, and building a document.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::keys::PublicKey;

use super::{check_uri_chars, Did, DidError, DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1};

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
