//! The context cache: each bundled context processed once into an active context shared by
//! every document that starts with it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use json_ld::syntax::TryFromJson;
use json_ld::Process;
use oxrdf::Dataset;
use serde_json::Value;

use super::canonicalize_dataset;
use super::loader::BundledLoader;
use super::safe_mode::normalize_numbers;
use super::{to_rdf_on_stack, ActiveContext, JsonLdError, Numbers, PROCESSING_STACK_BYTES};

/// A small, bounded, thread-safe cache of processed top-level `@context`s.
///
/// The key is the exact JSON text of the document's top-level `@context` value (member order
/// and spelling included), whether it is a URL, a list of URLs or holds inline context
/// objects: two `@context`s that differ in any byte never share an entry. The value is the
/// active context that JSON-LD context processing makes of it, from the empty context, with no
/// base IRI and the bundled contexts only — exactly what expansion would compute when it meets
/// that `@context` at the top of a document. Not cached (the document is then expanded in
/// full, as without a cache):
/// - a `@context` whose JSON exceeds [`ContextCache::MAX_KEY_BYTES`];
/// - a `@context` that fails to process (the full expansion then reports the error exactly as
///   before);
/// - a `@context` with `"@propagate": false` at the top level, whose processed form would not
///   apply the same way to a document that has lost its `@context` member;
/// - documents that are not JSON objects, or have no `@context`.
///
/// Lookups and insertions take a lock for a few string comparisons only; the context is
/// processed, and cloned for expansion, outside it, so several threads expand in parallel.
/// When full, the least recently used entry is dropped.
pub struct ContextCache {
    capacity: usize,
    state: Mutex<CacheState>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct CacheState {
    clock: u64,
    entries: Vec<CacheEntry>,
}

struct CacheEntry {
    key: String,
    context: Arc<CachedContext>,
    last_used: u64,
}

/// A processed top-level `@context` and what is known about it.
pub(super) struct CachedContext {
    pub(super) active: ActiveContext,
    /// Processing the same `@context` again on top of `active` gives `active` back, exactly
    /// (every term definition equal), and the `@context` is made of bundled context URLs only.
    /// Then a proof of the top-level node that repeats the document's `@context` (as
    /// eddsa-jcs-2022 proofs do) changes nothing when expanded, and its copy of the `@context`
    /// is left out of the expansion input (see [`strip_repeated_proof_context`]).
    reapplying_is_identity: bool,
}

/// How a [`ContextCache`] has been used so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Documents whose `@context` was found in the cache.
    pub hits: u64,
    /// Documents whose `@context` was cacheable but had to be processed.
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
}

impl ContextCache {
    /// Entries of [`ContextCache::shared`]: a few credential shapes per issuer or verifier.
    pub const DEFAULT_CAPACITY: usize = 16;
    /// A top-level `@context` whose JSON is longer than this is never cached.
    pub const MAX_KEY_BYTES: usize = 64 * 1024;

    /// An empty cache holding at most `capacity` contexts; `0` disables caching.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: Mutex::new(CacheState::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The process-wide cache used by [`to_rdf`] and [`canonical_nquads`]
    /// ([`ContextCache::DEFAULT_CAPACITY`] entries).
    pub fn shared() -> &'static ContextCache {
        static SHARED: OnceLock<ContextCache> = OnceLock::new();
        SHARED.get_or_init(|| ContextCache::new(Self::DEFAULT_CAPACITY))
    }

    /// [`to_rdf`] with this cache.
    pub fn to_rdf(&self, document: &Value) -> Result<Dataset, JsonLdError> {
        stacker::maybe_grow(PROCESSING_STACK_BYTES, PROCESSING_STACK_BYTES, || {
            to_rdf_on_stack(document, self, Numbers::Refuse)
        })
    }

    /// [`check_terms`] with this cache.
    pub fn check_terms(&self, document: &Value) -> Result<(), JsonLdError> {
        stacker::maybe_grow(PROCESSING_STACK_BYTES, PROCESSING_STACK_BYTES, || {
            to_rdf_on_stack(document, self, Numbers::Allow).map(|_| ())
        })
    }

    /// [`canonical_nquads`] with this cache.
    pub fn canonical_nquads(&self, document: &Value) -> Result<String, JsonLdError> {
        let dataset = self.to_rdf(document)?;
        canonicalize_dataset(&dataset)
    }

    /// Hit and miss counts since creation, and the current number of entries.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.lock().entries.len(),
        }
    }

    /// Drops every entry (the counts are kept).
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // The state is consistent after any panic (entries are pushed or removed whole).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// For an object document with a cacheable top-level `@context`: the document without it
    /// (numbers normalised, ready to expand) and the active context to start from.
    pub(super) fn active_context_for(
        &self,
        document: &Value,
        options: json_ld::expansion::Options,
    ) -> Option<(json_syntax::Value, Arc<CachedContext>)> {
        if self.capacity == 0 {
            return None;
        }
        let map = document.as_object()?;
        let context = map.get("@context")?;
        let key = serde_json::to_string(context).ok()?;
        if key.len() > Self::MAX_KEY_BYTES {
            return None;
        }
        let active = match self.get(&key) {
            Some(active) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                active
            }
            None => {
                let processed = process_top_level_context(context, options)?;
                let reapplying_is_identity =
                    is_url_list(context) && reapplying_is_identity(context, &processed, options);
                let active = Arc::new(CachedContext {
                    active: processed,
                    reapplying_is_identity,
                });
                self.misses.fetch_add(1, Ordering::Relaxed);
                self.insert(key, Arc::clone(&active));
                active
            }
        };
        let body: serde_json::Map<String, Value> = map
            .iter()
            .filter(|(name, _)| name.as_str() != "@context")
            .map(|(name, value)| {
                let mut value = normalize_numbers(value);
                if name == "proof" && active.reapplying_is_identity {
                    strip_repeated_proof_context(&mut value, context);
                }
                (name.clone(), value)
            })
            .collect();
        Some((
            json_syntax::Value::from_serde_json(Value::Object(body)),
            active,
        ))
    }

    fn get(&self, key: &str) -> Option<Arc<CachedContext>> {
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        let entry = state.entries.iter_mut().find(|entry| entry.key == key)?;
        entry.last_used = now;
        Some(Arc::clone(&entry.context))
    }

    fn insert(&self, key: String, context: Arc<CachedContext>) {
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        if state.entries.iter().any(|entry| entry.key == key) {
            // Another thread processed the same context meanwhile: same result, keep one.
            return;
        }
        if state.entries.len() >= self.capacity {
            if let Some(oldest) = state
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(i, _)| i)
            {
                state.entries.swap_remove(oldest);
            }
        }
        state.entries.push(CacheEntry {
            key,
            context,
            last_used: now,
        });
    }
}

impl fmt::Debug for ContextCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextCache")
            .field("capacity", &self.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Processes a top-level `@context` value as expansion does when it meets it at the top of a
/// document (empty active context, no base IRI). `None` when it cannot be cached: processing
/// fails (the full expansion will report why), or the result must not propagate.
pub(super) fn process_top_level_context(
    context: &Value,
    options: json_ld::expansion::Options,
) -> Option<ActiveContext> {
    let json = json_syntax::Value::from_serde_json(normalize_numbers(context));
    let local = json_ld::syntax::context::Context::try_from_json(json).ok()?;
    let loader = BundledLoader::default();
    let initial = ActiveContext::default();
    let processed =
        pollster::block_on(local.process_with(&mut (), &initial, &loader, None, options.into()))
            .ok()?
            .into_processed();
    // `@propagate: false` leaves a previous context to revert to when entering a node object;
    // without its `@context` member the top-level node itself would then be reverted.
    if processed.previous_context().is_some() {
        return None;
    }
    Some(processed)
}

/// A `@context` that is one context URL or a list of them (no inline context objects): every
/// term definition then comes from the bundled contexts, none of which uses `@propagate`, gives
/// `proof` a scoped context, or aliases `@value` (checked by the tests).
pub(super) fn is_url_list(context: &Value) -> bool {
    match context {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    }
}

/// Whether processing `context` once more on top of `processed` (its own result) gives
/// `processed` back: no error (a protected term redefined differently by a later context of
/// the list would fail the second time) and every term definition equal.
pub(super) fn reapplying_is_identity(
    context: &Value,
    processed: &ActiveContext,
    options: json_ld::expansion::Options,
) -> bool {
    let json = json_syntax::Value::from_serde_json(normalize_numbers(context));
    let Ok(local) = json_ld::syntax::context::Context::try_from_json(json) else {
        return false;
    };
    let loader = BundledLoader::default();
    let Ok(again) =
        pollster::block_on(local.process_with(&mut (), processed, &loader, None, options.into()))
    else {
        return false;
    };
    same_context(&again.into_processed(), processed)
}

/// Full equality of two active contexts. (`json_ld::Context`'s `PartialEq` leaves the term
/// definitions out.)
pub(super) fn same_context(a: &ActiveContext, b: &ActiveContext) -> bool {
    use json_ld::context::BindingRef;
    a == b
        && a.definitions().len() == b.definitions().len()
        && a.definitions().iter().all(|binding| match binding {
            BindingRef::Normal(key, definition) => {
                b.definitions().get_normal(key) == Some(definition)
            }
            BindingRef::Type(definition) => b.definitions().get_type() == Some(definition),
        })
}

/// Removes the `@context` member of the top-level node's proofs (`value` is the `proof`
/// member: one object or an array of them) where it is exactly the document's `@context`.
///
/// Only called when reprocessing that `@context` over its own result is the identity
/// ([`CachedContext::reapplying_is_identity`]). Expanding a proof node, JSON-LD first reverts
/// the type-scoped contexts of the credential (they do not propagate; `proof` has no scoped
/// context), so the proof's `@context` is processed over the top-level active context, which
/// gives it back unchanged: the expansion, its errors and their JSON paths are the same with or
/// without it. A proof is left as it is when it would become a lone `id` (not reverted then) or
/// has `@`-keys. The safe-mode walks still see the original document, this `@context` included.
pub(super) fn strip_repeated_proof_context(value: &mut Value, context: &Value) {
    let strip = |proof: &mut serde_json::Map<String, Value>| {
        if proof.get("@context") == Some(context)
            && proof.len() >= 3
            && proof.contains_key("type")
            && proof
                .keys()
                .all(|key| key == "@context" || !key.starts_with('@'))
        {
            proof.remove("@context");
        }
    };
    match value {
        Value::Object(proof) => strip(proof),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(proof) = item {
                    strip(proof);
                }
            }
        }
        _ => {}
    }
}
