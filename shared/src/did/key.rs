//! `did:key` for Ed25519 (and the X25519 key it implies): derive, parse, resolve.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde_json::{json, Value};

use crate::keys::PublicKey;
use crate::multibase;
use crate::multibase::ED25519_PUB_PREFIX;

use super::{Did, DidError, DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1, X25519_PUB_PREFIX};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn did_key_cache_gives_the_decoded_keys_and_never_hides_errors() {
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
}
