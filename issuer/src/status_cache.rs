//! The issuer's in-memory cache of signed status-list credentials.
//!
//! `GET /status/{uuid}` is the issuer's most requested public endpoint: every verifier of every
//! badge asks for it. Rebuilding the answer means reading every set entry of the list from the
//! database (one row each), building and hashing the 16 KiB bitstring and, if it changed,
//! signing it; profiling showed the per-row hand-offs between the async runtime and the
//! database driver dominating (see BENCHMARKS.md, "Issuer service"). This cache makes an
//! unchanged list cost one indexed row — its revision — or nothing.
//!
//! ## What is kept, per list
//! The signed `BitstringStatusListCredential` serialized once to the bytes the server sends
//! ([`SignedStatusList`]), its entity tag, the verification method that signed it, the list
//! revision it reflects (`status_lists.revision`, bumped in the transaction of every status
//! change, by whichever issuer instance makes it) and when that revision was last confirmed by
//! reading the database.
//!
//! ## When the cached list is served
//! 1. Within the caller's *freshness window* after the last confirmation, from memory alone.
//!    The server passes a window of at most a tenth of the `Cache-Control: max-age` it
//!    advertises (and never more than a second), and lowers that `max-age` by the answer's age
//!    (see [`ServedStatusList::age`]), so a verifier's copy never outlives the moment the
//!    revision was read plus `max-age`: revocation by *any* instance sharing the database
//!    reaches verifiers within one cache period, as promised. A burst of requests then costs
//!    one database read per window instead of one per request. A status change made through
//!    this process ends the window at once ([`StatusListCache::expire`]).
//! 2. Otherwise after reading the revision: unchanged revision and signing key → cached bytes.
//! 3. Otherwise the list is rebuilt, by one task per list at a time (single flight: concurrent
//!    requests for a stale or uncached list wait for it, then find it fresh, instead of each
//!    reading the bits and signing). The revision is read *before* the bits, so the bits are at
//!    least as new as the revision they are filed under (a change landing in between only
//!    causes one more rebuild later). A rebuild signs again only if the entity tag changed.
//!
//! ## Entity tags
//! Derived from the list id, the verification method and the bits: the tag changes exactly when
//! what a verifier learns from the list (or the key that vouches for it) changes. It is a *weak*
//! tag (`W/"…"`): after a restart, or on another instance, the same bits are signed again with
//! a later `validFrom`, so equal tags mean equivalent lists, not identical bytes (RFC 9110
//! §8.8.1); `If-None-Match` uses the weak comparison, so revalidation works across instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use passerelle_core::status::Bitstring;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::StatusListId;

/// A signed `BitstringStatusListCredential`, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedStatusList {
    /// The signed credential.
    pub credential: Value,
    /// `credential` serialized once: the exact bytes a `200` answer carries (and a verifier
    /// checks the signature of).
    pub body: Bytes,
    /// A weak HTTP entity tag (`W/"…"`) derived from the list, the signing key and the bits: it
    /// changes exactly when the published list changes.
    pub etag: String,
    /// The verification method whose key signed it.
    pub verification_method: String,
}

impl SignedStatusList {
    /// Serializes `credential` once for every answer that will carry it.
    pub fn new(credential: Value, etag: String, verification_method: String) -> Self {
        let body = Bytes::from(credential.to_string());
        Self {
            credential,
            body,
            etag,
            verification_method,
        }
    }
}

/// A cached list as a request gets it.
#[derive(Debug, Clone)]
pub struct ServedStatusList {
    pub list: Arc<SignedStatusList>,
    /// How long before this answer the database last confirmed the list's revision: zero when
    /// this request read it, up to the freshness window when served from memory alone. A server
    /// lowers the `max-age` it advertises by this much.
    pub age: Duration,
}

/// The weak entity tag of a list with these bits signed by `verification_method`.
pub fn entity_tag(list_id: &StatusListId, verification_method: &str, bits: &Bitstring) -> String {
    let mut hasher = Sha256::new();
    hasher.update(list_id.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(verification_method.as_bytes());
    hasher.update(b"\0");
    hasher.update(bits.as_bytes());
    let digest = hex::encode(hasher.finalize());
    format!("W/\"{}\"", &digest[..32])
}

/// The cached lists of one issuer process.
#[derive(Debug, Default)]
pub struct StatusListCache {
    lists: Mutex<HashMap<String, Arc<ListCache>>>,
}

/// One list's cache and its rebuild lock.
#[derive(Debug, Default)]
pub struct ListCache {
    state: Mutex<ListState>,
    /// Held by the one task rebuilding this list (single flight).
    rebuild: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct ListState {
    entry: Option<Entry>,
    /// Bumped by [`StatusListCache::expire`]: a confirmation that started before an expiry
    /// must not open a new freshness window.
    generation: u64,
}

#[derive(Debug)]
struct Entry {
    revision: u64,
    signed: Arc<SignedStatusList>,
    /// When the revision was last read from the database (the start of that read); `None`
    /// after an expiry.
    confirmed_at: Option<Instant>,
}

/// What a request observed before asking the database: pass it back to
/// [`ListCache::confirm`] so a confirmation that raced with an expiry does not count.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    started: Instant,
    generation: u64,
}

impl StatusListCache {
    /// The cache of `list_id`, if this process has one.
    pub fn get(&self, list_id: &StatusListId) -> Option<Arc<ListCache>> {
        lock(&self.lists).get(list_id.as_str()).cloned()
    }

    /// Number of lists cached (at most the number of lists in the database: create a list's
    /// cache only once the database has said that it exists, so requests for made-up list ids
    /// cannot grow it).
    pub fn len(&self) -> usize {
        lock(&self.lists).len()
    }

    /// Whether no list is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cache of `list_id` (created empty on first use; see [`StatusListCache::len`]).
    pub fn list(&self, list_id: &StatusListId) -> Arc<ListCache> {
        let mut lists = lock(&self.lists);
        Arc::clone(lists.entry(list_id.as_str().to_owned()).or_default())
    }

    /// Ends the freshness window of `list_id`: the next request reads the revision from the
    /// database. Called after a status change made through this process.
    pub fn expire(&self, list_id: &StatusListId) {
        if let Some(list) = self.get(list_id) {
            let mut state = lock(&list.state);
            state.generation += 1;
            if let Some(entry) = state.entry.as_mut() {
                entry.confirmed_at = None;
            }
        }
    }
}

impl ListCache {
    /// Marks the start of a database read (call it *before* the read).
    pub fn observe(&self) -> Observation {
        Observation {
            started: Instant::now(),
            generation: lock(&self.state).generation,
        }
    }

    /// The cached list, if it was signed by `verification_method` and its revision was
    /// confirmed less than `window` ago.
    pub fn fresh(&self, verification_method: &str, window: Duration) -> Option<ServedStatusList> {
        if window.is_zero() {
            return None;
        }
        let state = lock(&self.state);
        let entry = state.entry.as_ref()?;
        let age = entry.confirmed_at?.elapsed();
        (age < window && entry.signed.verification_method == verification_method).then(|| {
            ServedStatusList {
                list: Arc::clone(&entry.signed),
                age,
            }
        })
    }

    /// If the cached list reflects `revision` and was signed by `verification_method`, records
    /// that the database confirmed it at `observed` and returns it.
    pub fn confirm(
        &self,
        revision: u64,
        verification_method: &str,
        observed: Observation,
    ) -> Option<Arc<SignedStatusList>> {
        let mut state = lock(&self.state);
        let same_generation = state.generation == observed.generation;
        let entry = state.entry.as_mut()?;
        if entry.revision != revision || entry.signed.verification_method != verification_method {
            return None;
        }
        if same_generation && entry.confirmed_at.is_none_or(|at| at < observed.started) {
            entry.confirmed_at = Some(observed.started);
        }
        Some(Arc::clone(&entry.signed))
    }

    /// The cached list if its entity tag is `etag` (a rebuild whose bits and key did not change
    /// reuses it rather than signing again).
    pub fn with_etag(&self, etag: &str) -> Option<Arc<SignedStatusList>> {
        let state = lock(&self.state);
        let entry = state.entry.as_ref()?;
        (entry.signed.etag == etag).then(|| Arc::clone(&entry.signed))
    }

    /// Files `signed` as the list at `revision`, confirmed at `observed`. An older revision
    /// never replaces a newer one.
    pub fn install(&self, revision: u64, signed: Arc<SignedStatusList>, observed: Observation) {
        let mut state = lock(&self.state);
        let confirmed_at = (state.generation == observed.generation).then_some(observed.started);
        if let Some(entry) = &state.entry {
            if entry.revision > revision {
                return;
            }
        }
        state.entry = Some(Entry {
            revision,
            signed,
            confirmed_at,
        });
    }

    /// Taken by the task that rebuilds this list; others wait, then find it rebuilt.
    pub async fn rebuilding(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.rebuild.lock().await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere while holding it; every update replaces
    // whole values, so the data is never half-written.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(etag: &str, vm: &str) -> Arc<SignedStatusList> {
        Arc::new(SignedStatusList::new(
            serde_json::json!({ "etag": etag }),
            etag.to_owned(),
            vm.to_owned(),
        ))
    }

    fn list_id() -> StatusListId {
        StatusListId::from("urn:uuid:6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f".to_owned())
    }

    #[test]
    fn the_body_is_the_serialized_credential() {
        let list = signed("W/\"a\"", "did:web:x#key-1");
        assert_eq!(list.body, Bytes::from(list.credential.to_string()));
    }

    #[test]
    fn confirmation_needs_the_same_revision_and_key() {
        let cache = StatusListCache::default();
        let list = cache.list(&list_id());
        assert!(list.confirm(0, "vm1", list.observe()).is_none(), "empty");
        list.install(3, signed("W/\"a\"", "vm1"), list.observe());
        assert!(list.confirm(3, "vm1", list.observe()).is_some());
        assert!(
            list.confirm(4, "vm1", list.observe()).is_none(),
            "newer revision"
        );
        assert!(
            list.confirm(3, "vm2", list.observe()).is_none(),
            "rotated key"
        );
    }

    #[test]
    fn the_window_serves_from_memory_until_expired() {
        let cache = StatusListCache::default();
        let list = cache.list(&list_id());
        list.install(1, signed("W/\"a\"", "vm1"), list.observe());
        let window = Duration::from_secs(60);
        let served = list.fresh("vm1", window).expect("fresh");
        assert!(served.age < window);
        assert!(list.fresh("vm1", Duration::ZERO).is_none(), "no window");
        assert!(list.fresh("vm2", window).is_none(), "another key");
        cache.expire(&list_id());
        assert!(list.fresh("vm1", window).is_none(), "expired");
        // Confirming again reopens it.
        assert!(list.confirm(1, "vm1", list.observe()).is_some());
        assert!(list.fresh("vm1", window).is_some());
    }

    #[test]
    fn a_read_that_raced_an_expiry_does_not_reopen_the_window() {
        let cache = StatusListCache::default();
        let list = cache.list(&list_id());
        list.install(1, signed("W/\"a\"", "vm1"), list.observe());
        let before = list.observe();
        cache.expire(&list_id());
        // The revision read before the expiry still matches, but proves nothing about now.
        assert!(list.confirm(1, "vm1", before).is_some());
        assert!(list.fresh("vm1", Duration::from_secs(60)).is_none());
        list.install(2, signed("W/\"b\"", "vm1"), before);
        assert!(list.fresh("vm1", Duration::from_secs(60)).is_none());
    }

    #[test]
    fn an_older_revision_never_replaces_a_newer_one() {
        let cache = StatusListCache::default();
        let list = cache.list(&list_id());
        list.install(5, signed("W/\"new\"", "vm1"), list.observe());
        list.install(4, signed("W/\"old\"", "vm1"), list.observe());
        assert_eq!(
            list.with_etag("W/\"new\"").map(|s| s.etag.clone()),
            Some("W/\"new\"".to_owned())
        );
        assert!(list.with_etag("W/\"old\"").is_none());
    }

    #[test]
    fn entity_tags_follow_bits_and_key() {
        let id = list_id();
        let mut bits = Bitstring::new(passerelle_core::status::MIN_ENTRIES, 1).unwrap();
        let a = entity_tag(&id, "vm1", &bits);
        assert!(a.starts_with("W/\"") && a.ends_with('"'), "{a}");
        assert_eq!(a, entity_tag(&id, "vm1", &bits), "deterministic");
        assert_ne!(a, entity_tag(&id, "vm2", &bits), "key");
        bits.set(7, 1).unwrap();
        let b = entity_tag(&id, "vm1", &bits);
        assert_ne!(a, b, "bits");
        bits.set(7, 0).unwrap();
        assert_eq!(a, entity_tag(&id, "vm1", &bits), "same bits again");
    }
}
