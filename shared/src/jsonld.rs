//! JSON-LD → RDF in Data Integrity "safe mode", and RDFC-1.0 canonical N-Quads.
//!
//! Contexts come only from [`crate::contexts`]: an unknown context URL is an error, nothing is
//! fetched. A term, type or relative IRI that the active contexts cannot turn into an absolute IRI
//! would be silently dropped by plain JSON-LD; here it is an error naming the term and its JSON
//! path (VC Data Integrity §2.4.3), so nothing unsigned can hide in a signed document.
//!
//! Expansion is done by the `json-ld` crate; the deserialisation to RDF follows the JSON-LD 1.1
//! toRdf rules where the crate deviates from them:
//! - a JSON number with no fractional part keeps the integer lexical form even when written
//!   `36.0` or coerced to a non-double datatype (`"36"^^xsd:float`);
//! - language tags are lowercased (also inside `i18n#…` direction datatypes);
//! - `@json` literals use the RFC 8785 canonical JSON form;
//! - `@direction` becomes an `https://www.w3.org/ns/i18n#lang_dir` datatype (`i18n-datatype`),
//!   `i18n#_dir` without a language.
//!
//! Safe mode also refuses what expansion would drop without the crate saying so (keys that look
//! like keywords, free-floating values, malformed language tags) and the numbers whose RDF form
//! the specification, the crate and jsonld.js disagree on (see [`JsonLdError::AmbiguousNumber`];
//! [`check_terms`], for documents signed as JSON text, leaves those numbers alone).
//! Nesting is capped at [`crate::input::InputLimits`]' default depth, and RDFC-1.0's blank-node
//! work at [`HNDQ_CALL_LIMIT`], so hostile input ends in an error, not a crash or a hang.
//!
//! Speed: the bundled contexts are parsed once per process, and the document's top-level
//! `@context`, once processed into an active context, is kept in a small [`ContextCache`] keyed
//! by its exact JSON, so that the next document (or proof configuration) with the same
//! `@context` starts from a copy of it instead of processing the contexts again. The cache only
//! saves work: every safe-mode check still runs on the whole document, `@context` included,
//! and errors carry the same JSON paths.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use json_ld::expansion::{Action, Policy};
use json_ld::rdf::RdfDirection;
use json_ld::rdf_types::{Id as RdfId, LiteralType, Quad as RdfQuad, Term as RdfTerm};
use json_ld::syntax::Parse;
use json_ld::syntax::TryFromJson;
use json_ld::{
    Expand, ExpandError, Id, Indexed, IriBuf, LoadError, Loader, Node, Object, Process, RdfQuads,
    RemoteDocument, ValidId,
};
use oxrdf::{BlankNode, Dataset, GraphName, Literal, NamedNode, Quad, Subject, Term};
use serde_json::Value;
use sha2::Sha256;

use crate::contexts::{self, ContextError};

/// Upper bound on the calls to RDFC-1.0's "hash N-degree quads" algorithm, so that a crafted
/// document with many indistinguishable blank nodes cannot make canonicalization run for ever.
pub const HNDQ_CALL_LIMIT: usize = 4_000;

/// Stack JSON-LD processing runs with. The `json-ld` crate expands recursively with large
/// futures: a debug build overflows a 2 MiB thread stack (tokio's default) at ~16 levels of
/// nesting; with this much, the depth cap of `to_rdf` is reached safely.
///
/// A thread with at least this much stack left runs the processing in place; on any other
/// thread each call gets a fresh stack of this size (mapped lazily, unmapped afterwards: a few
/// system calls and page faults per call). A service that processes many documents can give
/// its worker threads a stack this large plus its own needs, and skip that cost.
pub const PROCESSING_STACK_BYTES: usize = 64 * 1024 * 1024;

const RDF_JSON: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON";
const I18N_PREFIX: &str = "https://www.w3.org/ns/i18n#";

/// Why a document could not be turned into canonical N-Quads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonLdError {
    #[error(transparent)]
    UnknownContext(#[from] ContextError),
    #[error("{path}: @context entry must be a URL string or an object, found {found}")]
    InvalidContext { path: String, found: &'static str },
    #[error("{path}: {term:?} is not defined by the document's @context")]
    UndefinedTerm { term: String, path: String },
    #[error(
        "{path}: {iri:?} is a relative IRI reference; it would be dropped from the signed data"
    )]
    RelativeIri { iri: String, path: String },
    #[error("{path}: {key:?} looks like a JSON-LD keyword but is not one; it would be dropped")]
    ReservedKey { key: String, path: String },
    #[error("{path}: a value outside any node object would be dropped")]
    FreeFloatingValue { path: String },
    #[error(
        "{path}: the number {value} has no single agreed RDF form ({reason}); write it as a string"
    )]
    AmbiguousNumber {
        value: String,
        path: String,
        reason: &'static str,
    },
    #[error("{path}: language tag {tag:?} is not well-formed (BCP 47)")]
    InvalidLanguageTag { tag: String, path: String },
    #[error("{path}: {iri:?} is not a valid IRI")]
    InvalidIri { iri: String, path: String },
    #[error("document nests arrays/objects more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("document is not valid JSON-LD ({code}): {message}")]
    InvalidDocument { code: String, message: String },
    #[error("RDF canonicalization failed: {reason}")]
    Canonicalization { reason: String },
}

/// RDFC-1.0 canonical N-Quads of a JSON-LD document, in safe mode (see the module docs).
/// Uses the process-wide [`ContextCache::shared`].
pub fn canonical_nquads(document: &Value) -> Result<String, JsonLdError> {
    ContextCache::shared().canonical_nquads(document)
}

/// RDFC-1.0 canonical N-Quads of an RDF dataset.
pub fn canonicalize_dataset(dataset: &Dataset) -> Result<String, JsonLdError> {
    let options = rdf_canon::CanonicalizationOptions {
        hndq_call_limit: Some(HNDQ_CALL_LIMIT),
    };
    rdf_canon::canonicalize_with::<Sha256>(dataset, &options).map_err(|e| {
        JsonLdError::Canonicalization {
            reason: e.to_string(),
        }
    })
}

/// JSON-LD → RDF (the deserialisation algorithm, `rdfDirection: i18n-datatype`), in safe mode.
/// Uses the process-wide [`ContextCache::shared`].
pub fn to_rdf(document: &Value) -> Result<Dataset, JsonLdError> {
    ContextCache::shared().to_rdf(document)
}

/// Safe mode for a document whose signature covers its JSON text (eddsa-jcs-2022, VC-JOSE) or
/// that is not signed: every term and type defined, nothing dropped — everything [`to_rdf`]
/// checks except the numbers with no agreed RDF form ([`JsonLdError::AmbiguousNumber`]). Such
/// a number is unambiguous in the JSON that is signed; only a signature over the RDF form
/// (eddsa-rdfc-2022) depends on it. Uses the process-wide [`ContextCache::shared`].
pub fn check_terms(document: &Value) -> Result<(), JsonLdError> {
    ContextCache::shared().check_terms(document)
}

/// Whether [`JsonLdError::AmbiguousNumber`] is refused (RDF form signed) or not (JSON signed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbers {
    Refuse,
    Allow,
}

fn to_rdf_on_stack(
    document: &Value,
    cache: &ContextCache,
    numbers: Numbers,
) -> Result<Dataset, JsonLdError> {
    let limit = crate::input::InputLimits::default().max_depth;
    if crate::input::depth_of(document) > limit {
        return Err(JsonLdError::TooDeep { limit });
    }
    check_contexts(document, &mut Vec::new())?;
    check_percent_encoding(document, &JsonPath::default(), false)?;
    check_body(document, &JsonPath::default(), true, numbers)?;
    let expanded = match expand(document, false, cache) {
        Ok(expanded) => expanded,
        Err(Expansion::Failed(error, loader)) => {
            return Err(expand_error(error, &loader, document, cache))
        }
        Err(Expansion::BadLanguageTag(tag)) => {
            return Err(JsonLdError::InvalidLanguageTag {
                path: path_of_string(document, &tag),
                tag,
            })
        }
    };
    for object in expanded.objects() {
        check_object(object, document)?;
    }
    let mut expanded = expanded;
    let mut vocabulary = ();
    let mut generator = json_ld::rdf_types::generator::Blank::new();
    expanded.relabel_and_canonicalize_with(&mut vocabulary, &mut generator);
    let mut dataset = Dataset::new();
    for quad in expanded
        .rdf_quads_full(
            &mut vocabulary,
            &mut generator,
            Some(RdfDirection::I18nDatatype),
            false,
        )
        .cloned()
    {
        dataset.insert(&convert_quad(quad)?);
    }
    Ok(dataset)
}

type Expanded = json_ld::ExpandedDocument<IriBuf, json_ld::BlankIdBuf>;

/// An active context: the result of JSON-LD context processing.
type ActiveContext = json_ld::Context<IriBuf, json_ld::BlankIdBuf>;

enum Expansion {
    Failed(ExpandError, BundledLoader),
    BadLanguageTag(String),
}

/// The expansion options of safe mode. Undefined types and relative IRIs are kept as
/// `Id::Invalid` (to be reported with their path); undefined properties fail expansion unless
/// `allow_undefined`, in which case they are dropped.
fn expansion_options(allow_undefined: bool) -> json_ld::expansion::Options {
    json_ld::expansion::Options {
        policy: Policy {
            invalid: Action::Keep,
            vocab: Action::Keep,
            allow_undefined,
        },
        ..json_ld::expansion::Options::default()
    }
}

/// Expands with the bundled loader, in safe mode (see [`expansion_options`]). When the
/// document is an object with a cacheable top-level `@context`, expansion starts from the
/// cached active context and skips that `@context` (see [`ContextCache`]); otherwise the
/// whole document is expanded from the empty context.
fn expand(
    document: &Value,
    allow_undefined: bool,
    cache: &ContextCache,
) -> Result<Expanded, Expansion> {
    let options = expansion_options(allow_undefined);
    let (input, initial) = match cache.active_context_for(document, options) {
        Some((body, context)) => (body, ActiveContext::clone(&context.active)),
        None => (
            json_syntax::Value::from_serde_json(normalize_numbers(document)),
            ActiveContext::default(),
        ),
    };
    let loader = BundledLoader::default();
    let mut warnings = Warnings::default();
    let result = pollster::block_on(input.expand_full(
        &mut (),
        initial,
        None,
        &loader,
        options,
        &mut warnings,
    ))
    .map_err(ExpandError::Expansion);
    match (result, warnings.malformed_language_tag) {
        (Err(error), _) => Err(Expansion::Failed(error, loader)),
        (Ok(_), Some(tag)) => Err(Expansion::BadLanguageTag(tag)),
        (Ok(expanded), None) => Ok(expanded),
    }
}

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
struct CachedContext {
    active: ActiveContext,
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
    fn active_context_for(
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
fn process_top_level_context(
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
fn is_url_list(context: &Value) -> bool {
    match context {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    }
}

/// Whether processing `context` once more on top of `processed` (its own result) gives
/// `processed` back: no error (a protected term redefined differently by a later context of
/// the list would fail the second time) and every term definition equal.
fn reapplying_is_identity(
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
fn same_context(a: &ActiveContext, b: &ActiveContext) -> bool {
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
fn strip_repeated_proof_context(value: &mut Value, context: &Value) {
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

/// Caps the re-expansions spent locating an undefined property among same-named members.
const MAX_LOCATE_CANDIDATES: usize = 32;

/// Names the cause of a `KeyExpansionFailed`: an undefined type (whose missing type-scoped
/// context leaves the properties undefined) is reported before the property; among several
/// members with the property's name, the first that fails on its own is reported.
fn locate_undefined_property(document: &Value, term: &str, cache: &ContextCache) -> JsonLdError {
    if let Ok(expanded) = expand(document, true, cache) {
        for object in expanded.objects() {
            if let Err(e) = check_object(object, document) {
                return e;
            }
        }
    }
    let mut candidates = Vec::new();
    find_keys(document, term, &JsonPath::default(), &mut candidates);
    let path = if candidates.len() <= 1 || candidates.len() > MAX_LOCATE_CANDIDATES {
        candidates.first().cloned()
    } else {
        candidates.iter().enumerate().find_map(|(i, candidate)| {
            let mut trial = document.clone();
            for (j, other) in candidates.iter().enumerate().rev() {
                if j != i {
                    remove_member(&mut trial, other);
                }
            }
            match expand(&trial, false, cache) {
                Err(Expansion::Failed(
                    ExpandError::Expansion(json_ld::expansion::Error::KeyExpansionFailed(t)),
                    _,
                )) if t == term => Some(candidate.clone()),
                _ => None,
            }
        })
    };
    JsonLdError::UndefinedTerm {
        term: term.to_owned(),
        path: path
            .map(|p| p.to_string())
            .unwrap_or_else(|| "(document)".into()),
    }
}

fn remove_member(document: &mut Value, path: &JsonPath) {
    let Some((PathSegment::Key(last), parents)) = path.0.split_last() else {
        return;
    };
    let mut cursor = document;
    for segment in parents {
        let next = match (segment, cursor) {
            (PathSegment::Key(k), Value::Object(map)) => map.get_mut(k),
            (PathSegment::Index(i), Value::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(next) => cursor = next,
            None => return,
        }
    }
    if let Value::Object(map) = cursor {
        map.shift_remove(last);
    }
}

/// A JSON path (`proof[0].type`) of a value inside a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JsonPath(pub(crate) Vec<PathSegment>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathSegment {
    Key(String),
    Index(usize),
}

impl JsonPath {
    fn push_key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(PathSegment::Key(key.to_owned()));
        next
    }

    fn push_index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(PathSegment::Index(index));
        next
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document root)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Index(index) => write!(f, "[{index}]")?,
                PathSegment::Key(key) => {
                    let plain = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '-'));
                    if plain {
                        if i > 0 {
                            f.write_str(".")?;
                        }
                        f.write_str(key)?;
                    } else {
                        write!(f, "[{}]", Value::String(key.clone()))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Serves only the bundled contexts; remembers the first URL it could not serve.
#[derive(Default)]
struct BundledLoader {
    refused: RefCell<Option<ContextError>>,
}

impl Loader for BundledLoader {
    async fn load(&self, url: &json_ld::Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        let bundled = match contexts::resolve(url.as_str()) {
            Ok(bundled) => bundled,
            Err(e) => {
                self.refused.borrow_mut().get_or_insert(e.clone());
                return Err(LoadError::new(url.to_owned(), e));
            }
        };
        let json = parsed_bundled(bundled).map_err(|reason| {
            LoadError::new(
                url.to_owned(),
                BundledContextUnreadable {
                    reason: reason.to_owned(),
                },
            )
        })?;
        Ok(RemoteDocument::new(
            Some(url.to_owned()),
            None,
            json.clone(),
        ))
    }
}

/// The bundled context's JSON, parsed once per process (in the order of [`contexts::all`]).
fn parsed_bundled(
    bundled: &contexts::BundledContext,
) -> Result<&'static json_syntax::Value, &'static str> {
    static PARSED: OnceLock<Vec<Result<json_syntax::Value, String>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        contexts::all()
            .iter()
            .map(|context| {
                json_syntax::Value::parse_str(context.json)
                    .map(|(json, _)| json)
                    .map_err(|e| e.to_string())
            })
            .collect()
    });
    let index = contexts::all()
        .iter()
        .position(|context| context.url == bundled.url)
        .ok_or("bundled context missing from the table")?;
    match parsed.get(index) {
        Some(Ok(json)) => Ok(json),
        Some(Err(reason)) => Err(reason.as_str()),
        None => Err("bundled context missing from the table"),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("bundled context is not valid JSON: {reason}")]
struct BundledContextUnreadable {
    reason: String,
}

/// Collects the expansion warnings that mean data would be lost.
#[derive(Default)]
struct Warnings {
    malformed_language_tag: Option<String>,
}

impl<N> json_ld::warning::Handler<N, json_ld::expansion::Warning<json_ld::BlankIdBuf>>
    for Warnings
{
    fn handle(&mut self, _: &N, warning: json_ld::expansion::Warning<json_ld::BlankIdBuf>) {
        if let json_ld::expansion::Warning::MalformedLanguageTag(tag, _) = warning {
            self.malformed_language_tag.get_or_insert(tag);
        }
    }
}

impl<N> json_ld::warning::Handler<N, json_ld::context_processing::Warning> for Warnings {
    fn handle(&mut self, _: &N, _: json_ld::context_processing::Warning) {}
}

/// Every `@context` in the document must be an object, `null`, or a bundled URL.
fn check_contexts(value: &Value, path: &mut Vec<PathSegment>) -> Result<(), JsonLdError> {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                path.push(PathSegment::Key(key.clone()));
                if key == "@context" {
                    check_context_value(member, path)?;
                } else {
                    check_contexts(member, path)?;
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(i));
                check_contexts(item, path)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_context_value(value: &Value, path: &mut Vec<PathSegment>) -> Result<(), JsonLdError> {
    match value {
        Value::String(url) => {
            contexts::resolve(url)?;
        }
        Value::Null | Value::Object(_) => {}
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(i));
                match item {
                    Value::Array(_) => {
                        return Err(JsonLdError::InvalidContext {
                            path: JsonPath(path.clone()).to_string(),
                            found: "an array",
                        })
                    }
                    other => check_context_value(other, path)?,
                }
                path.pop();
            }
        }
        other => {
            return Err(JsonLdError::InvalidContext {
                path: JsonPath(path.clone()).to_string(),
                found: crate::input::json_type_name(other),
            })
        }
    }
    // `@import` and scoped contexts inside an inline context (property- or type-scoped
    // `@context`) are checked too.
    if let Value::Object(map) = value {
        if let Some(import) = map.get("@import") {
            path.push(PathSegment::Key("@import".into()));
            match import {
                Value::String(url) => {
                    contexts::resolve(url)?;
                }
                other => {
                    return Err(JsonLdError::InvalidContext {
                        path: JsonPath(path.clone()).to_string(),
                        found: crate::input::json_type_name(other),
                    })
                }
            }
            path.pop();
        }
        for (key, member) in map {
            path.push(PathSegment::Key(key.clone()));
            if let Value::Object(definition) = member {
                if let Some(scoped) = definition.get("@context") {
                    path.push(PathSegment::Key("@context".into()));
                    check_context_value(scoped, path)?;
                    path.pop();
                }
            }
            path.pop();
        }
    }
    Ok(())
}

const KEYWORDS: &[&str] = &[
    "@base",
    "@container",
    "@context",
    "@direction",
    "@graph",
    "@id",
    "@import",
    "@included",
    "@index",
    "@json",
    "@language",
    "@list",
    "@nest",
    "@none",
    "@prefix",
    "@propagate",
    "@protected",
    "@reverse",
    "@set",
    "@type",
    "@value",
    "@version",
    "@vocab",
];

/// Finds what JSON-LD expansion drops without a trace and the crate does not report:
/// keyword-like keys (`@foo`) and free-floating values (top level or directly in `@graph`).
/// Refuses IRIs whose percent-encoded bytes are not UTF-8 (`https://example.org/%FF`): RFC 3987
/// IRIs percent-encode UTF-8, and the `json-ld` crate's IRI type assumes so (it panics on such
/// input). Checked: every key, every value in an identifier position (`id`, `type`, `@id`,
/// `@type`, `@vocab`, `@base`), and every value that starts like an absolute IRI (`scheme:`).
/// Plain text such as a description with "50%C3" is left alone.
fn check_percent_encoding(
    value: &Value,
    path: &JsonPath,
    identifier_position: bool,
) -> Result<(), JsonLdError> {
    match value {
        Value::Object(map) => map.iter().try_for_each(|(key, member)| {
            let here = path.push_key(key);
            if !percent_encoding_is_utf8(key) {
                return Err(JsonLdError::InvalidIri {
                    iri: key.clone(),
                    path: here.to_string(),
                });
            }
            let identifier = matches!(
                key.as_str(),
                "id" | "type" | "@id" | "@type" | "@vocab" | "@base"
            );
            check_percent_encoding(member, &here, identifier)
        }),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            check_percent_encoding(item, &path.push_index(i), identifier_position)
        }),
        Value::String(text)
            if (identifier_position || starts_like_absolute_iri(text))
                && !percent_encoding_is_utf8(text) =>
        {
            Err(JsonLdError::InvalidIri {
                iri: text.clone(),
                path: path.to_string(),
            })
        }
        _ => Ok(()),
    }
}

fn starts_like_absolute_iri(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether every run of `%XX` escapes in `text` decodes to UTF-8 (text without escapes: true).
fn percent_encoding_is_utf8(text: &str) -> bool {
    if !text.contains('%') {
        return true;
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let high = hex(h).unwrap_or_default();
                let low = hex(l).unwrap_or_default();
                // Both digits checked above; the byte is their value.
                decoded.push(u8::try_from(high * 16 + low).unwrap_or_default());
                i += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

fn check_body(
    value: &Value,
    path: &JsonPath,
    top: bool,
    numbers: Numbers,
) -> Result<(), JsonLdError> {
    match value {
        Value::Object(map) => {
            if top && (map.contains_key("@value") || map.contains_key("@list")) {
                return Err(JsonLdError::FreeFloatingValue {
                    path: path.to_string(),
                });
            }
            for (key, member) in map {
                if key == "@context" {
                    continue;
                }
                let here = path.push_key(key);
                let keyword_like = key.len() > 1
                    && key.starts_with('@')
                    && key[1..].chars().all(|c| c.is_ascii_alphabetic());
                if keyword_like && !KEYWORDS.contains(&key.as_str()) {
                    return Err(JsonLdError::ReservedKey {
                        key: key.clone(),
                        path: here.to_string(),
                    });
                }
                check_body(member, &here, key == "@graph", numbers)?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_body(item, &path.push_index(i), top, numbers)),
        Value::Number(n) if top => Err(JsonLdError::FreeFloatingValue {
            path: format!("{path} ({n})"),
        }),
        Value::Number(n) if numbers == Numbers::Refuse => check_number(n, path),
        Value::Number(_) => Ok(()),
        Value::Null => Ok(()),
        _ if top => Err(JsonLdError::FreeFloatingValue {
            path: path.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Largest integer that an IEEE-754 double (and so ECMAScript) holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Refuses the numbers on whose RDF form the JSON-LD specification, the `json-ld` crate and the
/// reference JavaScript implementation (which most issuers use) do not agree, so that a
/// signature never depends on which of them the other side runs:
/// - integers beyond 2^53: JavaScript rounds them to a double, the crate keeps the digits, and
///   the crate gives those beyond 2^63 the double form;
/// - tiny non-integers written without a `.` by JavaScript (`1e-7`, `5e-324`): jsonld.js takes
///   them for integers and writes `"0"^^xsd:integer`;
/// - doubles needing more than 16 significant digits: the specification's canonical form is
///   the shortest round-trip one (`3.0000000000000004E-1`), jsonld.js rounds to 16 digits
///   (`3.0E-1`).
fn check_number(n: &serde_json::Number, path: &JsonPath) -> Result<(), JsonLdError> {
    let ambiguous = |reason| {
        Err(JsonLdError::AmbiguousNumber {
            value: n.to_string(),
            path: path.to_string(),
            reason,
        })
    };
    let Some(v) = n.as_f64() else {
        return Ok(());
    };
    let integral = v.fract() == 0.0;
    if integral && v.abs() > MAX_SAFE_INTEGER && v.abs() < 1e21 {
        return ambiguous("an integer beyond 2^53");
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER as u64 {
            return ambiguous("an integer beyond 2^53");
        }
    }
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER as u64 {
            return ambiguous("an integer beyond 2^53");
        }
    }
    let shortest = exponent_form(&format!("{v:e}"));
    if !integral && v.abs() < 1e-6 && !shortest.contains('.') {
        return ambiguous("a tiny value that JavaScript prints without a decimal point");
    }
    if shortest != exponent_form(&format!("{v:.15e}")) {
        return ambiguous("more than 16 significant digits");
    }
    Ok(())
}

/// `d.dddde±x` with trailing mantissa zeros removed (`3.000e-1` → `3e-1`, `1.50e2` → `1.5e2`).
fn exponent_form(text: &str) -> String {
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let mantissa = if mantissa.contains('.') {
                mantissa.trim_end_matches('0').trim_end_matches('.')
            } else {
                mantissa
            };
            format!("{mantissa}e{exponent}")
        }
        None => text.to_owned(),
    }
}

/// JSON-LD toRdf gives a number with no fractional part (below 10^21) the integer lexical form,
/// whatever its JSON spelling (`36.0` → `"36"`). Integral floats are rewritten as integers
/// before expansion so that this never depends on how the `json-ld` crate reads a spelling.
/// (JCS, used for `@json` literals, prints them the same way.)
fn normalize_numbers(value: &Value) -> Value {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => {
                if f >= i64::MIN as f64 && f <= i64::MAX as f64 {
                    // In range, integral: the cast is exact.
                    Value::from(f as i64)
                } else if f >= 0.0 && f <= u64::MAX as f64 {
                    Value::from(f as u64)
                } else {
                    value.clone()
                }
            }
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalize_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalize_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn expand_error(
    error: ExpandError,
    loader: &BundledLoader,
    document: &Value,
    cache: &ContextCache,
) -> JsonLdError {
    if let Some(refused) = loader.refused.borrow_mut().take() {
        return JsonLdError::UnknownContext(refused);
    }
    if let ExpandError::Expansion(json_ld::expansion::Error::KeyExpansionFailed(term)) = &error {
        return locate_undefined_property(document, term, cache);
    }
    JsonLdError::InvalidDocument {
        code: error.code().to_string(),
        message: error.to_string(),
    }
}

type ExpandedObject = Indexed<Object<IriBuf, json_ld::BlankIdBuf>>;
type ExpandedNode = Node<IriBuf, json_ld::BlankIdBuf>;

/// Looks for identifiers the contexts could not expand (kept as `Id::Invalid` by the policy).
fn check_object(object: &ExpandedObject, document: &Value) -> Result<(), JsonLdError> {
    match object.inner() {
        Object::Value(_) => Ok(()),
        Object::List(list) => list.iter().try_for_each(|o| check_object(o, document)),
        Object::Node(node) => check_node(node, document),
    }
}

fn check_node(node: &ExpandedNode, document: &Value) -> Result<(), JsonLdError> {
    if let Some(Id::Invalid(iri)) = &node.id {
        return Err(JsonLdError::RelativeIri {
            path: path_of_string(document, iri),
            iri: iri.clone(),
        });
    }
    for ty in node.types() {
        if let Id::Invalid(term) = ty {
            return Err(JsonLdError::UndefinedTerm {
                path: path_of_string(document, term),
                term: term.clone(),
            });
        }
    }
    for (property, objects) in node.properties().iter() {
        if let Id::Invalid(term) = property {
            return Err(undefined(document, term));
        }
        for object in objects {
            check_object(object, document)?;
        }
    }
    if let Some(reverse) = node.reverse_properties() {
        for (property, nodes) in reverse.iter() {
            if let Id::Invalid(term) = property {
                return Err(undefined(document, term));
            }
            for node in nodes {
                check_node(node.inner(), document)?;
            }
        }
    }
    if let Some(graph) = node.graph() {
        for object in graph {
            check_object(object, document)?;
        }
    }
    if let Some(included) = node.included() {
        for node in included {
            check_node(node.inner(), document)?;
        }
    }
    Ok(())
}

fn undefined(document: &Value, term: &str) -> JsonLdError {
    let mut keys = Vec::new();
    find_keys(document, term, &JsonPath::default(), &mut keys);
    let path = keys
        .first()
        .map(|p| p.to_string())
        .unwrap_or_else(|| path_of_string(document, term));
    JsonLdError::UndefinedTerm {
        term: term.to_owned(),
        path,
    }
}

fn path_of_string(document: &Value, needle: &str) -> String {
    find_string_value(document, needle).unwrap_or_else(|| "(document)".into())
}

/// Every path (document order, `@context` skipped) of an object member named `key`.
fn find_keys(value: &Value, key: &str, path: &JsonPath, found: &mut Vec<JsonPath>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "@context" {
                    continue;
                }
                let here = path.push_key(k);
                if k == key {
                    found.push(here.clone());
                }
                find_keys(v, key, &here, found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                find_keys(v, key, &path.push_index(i), found);
            }
        }
        _ => {}
    }
}

/// First path (document order, `@context` skipped) of a string value equal to `needle`.
fn find_string_value(document: &Value, needle: &str) -> Option<String> {
    fn walk(value: &Value, needle: &str, path: &JsonPath) -> Option<JsonPath> {
        match value {
            Value::String(s) if s == needle => Some(path.clone()),
            Value::Object(map) => map
                .iter()
                .filter(|(k, _)| k.as_str() != "@context")
                .find_map(|(k, v)| walk(v, needle, &path.push_key(k))),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, needle, &path.push_index(i))),
            _ => None,
        }
    }
    walk(document, needle, &JsonPath::default()).map(|p| p.to_string())
}

type CrateQuad = RdfQuad<
    ValidId<IriBuf, json_ld::BlankIdBuf>,
    ValidId<IriBuf, json_ld::BlankIdBuf>,
    RdfTerm<ValidId<IriBuf, json_ld::BlankIdBuf>, json_ld::rdf_types::Literal>,
    ValidId<IriBuf, json_ld::BlankIdBuf>,
>;

fn convert_quad(quad: CrateQuad) -> Result<Quad, JsonLdError> {
    let RdfQuad(subject, predicate, object, graph) = quad;
    let subject = match convert_id(subject) {
        RdfResource::Named(n) => Subject::NamedNode(n),
        RdfResource::Blank(b) => Subject::BlankNode(b),
    };
    let predicate = match convert_id(predicate) {
        RdfResource::Named(n) => n,
        // Generalized RDF is switched off, so a predicate is always an IRI.
        RdfResource::Blank(b) => {
            return Err(JsonLdError::InvalidIri {
                iri: b.to_string(),
                path: "(document)".into(),
            })
        }
    };
    let object = match object {
        RdfTerm::Id(id) => match convert_id(id) {
            RdfResource::Named(n) => Term::NamedNode(n),
            RdfResource::Blank(b) => Term::BlankNode(b),
        },
        RdfTerm::Literal(literal) => Term::Literal(convert_literal(literal)?),
    };
    let graph = match graph {
        None => GraphName::DefaultGraph,
        Some(id) => match convert_id(id) {
            RdfResource::Named(n) => GraphName::NamedNode(n),
            RdfResource::Blank(b) => GraphName::BlankNode(b),
        },
    };
    Ok(Quad::new(subject, predicate, object, graph))
}

enum RdfResource {
    Named(NamedNode),
    Blank(BlankNode),
}

fn convert_id(id: ValidId<IriBuf, json_ld::BlankIdBuf>) -> RdfResource {
    match id {
        // The json-ld crate only builds `IriBuf`s from valid IRIs.
        RdfId::Iri(iri) => RdfResource::Named(NamedNode::new_unchecked(iri.into_string())),
        RdfId::Blank(blank) => {
            RdfResource::Blank(BlankNode::new_unchecked(blank.suffix().to_owned()))
        }
    }
}

fn convert_literal(literal: json_ld::rdf_types::Literal) -> Result<Literal, JsonLdError> {
    match literal.type_ {
        LiteralType::LangString(tag) => Ok(Literal::new_language_tagged_literal_unchecked(
            literal.value,
            tag.as_str().to_ascii_lowercase(),
        )),
        LiteralType::Any(datatype) => {
            let datatype = datatype.as_str();
            if datatype == RDF_JSON {
                let parsed: Value = serde_json::from_str(&literal.value).map_err(|e| {
                    JsonLdError::InvalidDocument {
                        code: "invalid @json literal".into(),
                        message: e.to_string(),
                    }
                })?;
                let canonical =
                    serde_jcs::to_string(&parsed).map_err(|e| JsonLdError::InvalidDocument {
                        code: "invalid @json literal".into(),
                        message: e.to_string(),
                    })?;
                return Ok(Literal::new_typed_literal(
                    canonical,
                    NamedNode::new_unchecked(RDF_JSON),
                ));
            }
            let datatype = match datatype.strip_prefix(I18N_PREFIX) {
                // `i18n#en-US_rtl`: the language part is lowercased like any language tag.
                Some(suffix) => format!("{I18N_PREFIX}{}", lowercase_i18n(suffix)),
                None => datatype.to_owned(),
            };
            Ok(Literal::new_typed_literal(
                literal.value,
                NamedNode::new_unchecked(datatype),
            ))
        }
    }
}

/// `lang_dir` with the language lowercased; JSON-LD 1.1 keeps the `_` when there is no language
/// (`i18n#_rtl`), which the `json-ld` crate leaves out.
fn lowercase_i18n(suffix: &str) -> String {
    match suffix.rsplit_once('_') {
        Some((language, direction)) => format!("{}_{direction}", language.to_ascii_lowercase()),
        None => format!("_{suffix}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn path_display() {
        let path = JsonPath::default()
            .push_key("proof")
            .push_index(0)
            .push_key("type");
        assert_eq!(path.to_string(), "proof[0].type");
        assert_eq!(JsonPath::default().to_string(), "(document root)");
        assert_eq!(JsonPath::default().push_key("a b").to_string(), "[\"a b\"]");
    }

    #[test]
    fn ambiguous_numbers() {
        let check = |text: &str| {
            let n: serde_json::Number = serde_json::from_str(text).unwrap();
            check_number(&n, &JsonPath::default()).is_ok()
        };
        for fine in [
            "0",
            "7",
            "-7",
            "36.0",
            "3.5",
            "0.1",
            "123.456",
            "1e21",
            "1.5e300",
            "9007199254740991",
            "0.000001",
            "1.5e-10",
        ] {
            assert!(check(fine), "{fine} should be accepted");
        }
        for refused in [
            "9007199254740993",
            "18446744073709551615",
            "1e20",
            "-9007199254740993",
            "1e-7",
            "5e-324",
            "0.30000000000000004",
            "1.2345678901234567",
        ] {
            assert!(!check(refused), "{refused} should be refused");
        }
    }

    const VC_V2: &str = "https://www.w3.org/ns/credentials/v2";

    fn credential(context: Value, subject: Value) -> Value {
        json!({
            "@context": context,
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": subject,
        })
    }

    /// Documents covering URL lists, a single URL string, inline context objects, scoped
    /// contexts (the OB badge) and numbers.
    fn sample_documents() -> Vec<Value> {
        vec![
            crate::model::sample::data_literacy_badge(),
            credential(json!([VC_V2]), json!({"id": "did:example:learner"})),
            credential(json!(VC_V2), json!({"id": "did:example:learner"})),
            credential(
                json!([VC_V2, {"score": {"@id": "https://a.example/score", "@type": "http://www.w3.org/2001/XMLSchema#double"}}]),
                json!({"id": "did:example:learner", "score": 36.0}),
            ),
            credential(
                json!([VC_V2, {"@vocab": "https://vocab.example/#"}]),
                json!({"id": "did:example:learner", "anything": "goes"}),
            ),
        ]
    }

    #[test]
    fn context_cache_is_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<ContextCache>();
    }

    #[test]
    fn cold_and_warm_cache_give_the_uncached_result() {
        let uncached = ContextCache::new(0);
        let cache = ContextCache::new(8);
        for document in sample_documents() {
            let expected = uncached.canonical_nquads(&document).unwrap();
            let before = cache.stats();
            let cold = cache.canonical_nquads(&document).unwrap();
            let after_cold = cache.stats();
            let warm = cache.canonical_nquads(&document).unwrap();
            let after_warm = cache.stats();
            assert_eq!(cold, expected, "cold cache changed {document}");
            assert_eq!(warm, expected, "warm cache changed {document}");
            assert_eq!(after_cold.misses, before.misses + 1, "{document}");
            assert_eq!(after_warm.hits, after_cold.hits + 1, "{document}");
        }
        assert_eq!(uncached.stats().entries, 0);
        assert_eq!(cache.stats().entries, sample_documents().len());
    }

    #[test]
    fn different_contexts_never_share_an_entry() {
        let uncached = ContextCache::new(0);
        let cache = ContextCache::new(8);
        let subject = json!({"id": "did:example:learner", "level": "https://levels.example/gold"});
        let a = credential(
            json!([VC_V2, {"level": "https://a.example/level"}]),
            subject.clone(),
        );
        let b = credential(
            json!([VC_V2, {"level": "https://b.example/level"}]),
            subject.clone(),
        );
        // The same definitions with members in another order: another key (exact JSON).
        let a_reordered = credential(
            json!([VC_V2, {"level": {"@type": "@id", "@id": "https://a.example/level"}}]),
            subject.clone(),
        );
        let a_ordered = credential(
            json!([VC_V2, {"level": {"@id": "https://a.example/level", "@type": "@id"}}]),
            subject,
        );
        for document in [&a, &b, &a, &b, &a_reordered, &a_ordered] {
            assert_eq!(
                cache.canonical_nquads(document).unwrap(),
                uncached.canonical_nquads(document).unwrap()
            );
        }
        let stats = cache.stats();
        assert_eq!((stats.misses, stats.hits, stats.entries), (4, 2, 4));
        let a_nquads = cache.canonical_nquads(&a).unwrap();
        let b_nquads = cache.canonical_nquads(&b).unwrap();
        assert!(a_nquads.contains("<https://a.example/level>"), "{a_nquads}");
        assert!(b_nquads.contains("<https://b.example/level>"), "{b_nquads}");
    }

    #[test]
    fn non_propagating_top_level_context_is_not_cached() {
        let uncached = ContextCache::new(0);
        let cache = ContextCache::new(8);
        let document = json!({
            "@context": {
                "@version": 1.1,
                "@propagate": false,
                "name": "https://a.example/name",
                "knows": "https://a.example/knows"
            },
            "@id": "https://a.example/alice",
            "name": "Alice",
            "knows": {"@id": "https://a.example/bob", "https://a.example/name": "Bob"}
        });
        let expected = uncached.canonical_nquads(&document).unwrap();
        assert_eq!(cache.canonical_nquads(&document).unwrap(), expected);
        assert_eq!(cache.canonical_nquads(&document).unwrap(), expected);
        assert!(expected.contains("\"Alice\""), "{expected}");
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (0, 0, 0));
    }

    #[test]
    fn safe_mode_errors_are_the_same_with_a_warm_cache() {
        let inline = json!([VC_V2, {"level": "https://a.example/level"}]);
        let bad = [
            // an undefined property, nested
            credential(
                json!([VC_V2]),
                json!({"id": "did:example:l", "nickname": "x"}),
            ),
            // an undefined type
            json!({"@context": [VC_V2], "type": ["VerifiableCredential", "MadeUp"],
                   "issuer": "did:example:issuer", "credentialSubject": {"id": "did:example:l"}}),
            // a relative id
            credential(json!([VC_V2]), json!({"id": "learner-7"})),
            // an inline top-level context mapping a term to something that is not an IRI
            credential(
                json!([VC_V2, {"level": "https://a.example/level", "rel": "not-an-iri"}]),
                json!({"id": "did:example:l", "rel": "x"}),
            ),
            // a relative type in an inline top-level context's scope
            credential(
                inline.clone(),
                json!({"id": "did:example:l", "type": "Learner"}),
            ),
            // an undefined property next to an inline context's defined one
            credential(
                inline.clone(),
                json!({"id": "did:example:l", "level": "gold", "lvl": 1}),
            ),
            // an unknown context URL in the top-level context
            credential(
                json!([VC_V2, "https://unknown.example/ctx"]),
                json!({"id": "did:example:l"}),
            ),
            // a top-level inline context that is not a valid context
            credential(json!([VC_V2, {"level": 7}]), json!({"id": "did:example:l"})),
        ];
        let uncached = ContextCache::new(0);
        let cache = ContextCache::new(8);
        // Warm the cache with valid documents using the same @contexts.
        for context in [json!([VC_V2]), inline] {
            cache
                .to_rdf(&credential(context, json!({"id": "did:example:l"})))
                .unwrap();
        }
        for document in &bad {
            let expected = uncached.to_rdf(document).unwrap_err();
            assert_eq!(cache.to_rdf(document).unwrap_err(), expected, "{document}");
            assert_eq!(cache.to_rdf(document).unwrap_err(), expected, "{document}");
        }
        assert!(cache.stats().hits >= 5, "{:?}", cache.stats());
        let first = uncached.to_rdf(&bad[0]).unwrap_err();
        assert_eq!(
            first,
            JsonLdError::UndefinedTerm {
                term: "nickname".into(),
                path: "credentialSubject.nickname".into()
            }
        );
    }

    #[test]
    fn concurrent_use_gives_the_same_results() {
        let uncached = ContextCache::new(0);
        let documents = sample_documents();
        let expected: Vec<String> = documents
            .iter()
            .map(|d| uncached.canonical_nquads(d).unwrap())
            .collect();
        // Fewer entries than contexts: threads also race on eviction and re-insertion.
        let cache = ContextCache::new(2);
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let (cache, documents, expected) = (&cache, &documents, &expected);
                scope.spawn(move || {
                    for round in 0..6 {
                        let i = (thread + round) % documents.len();
                        assert_eq!(
                            cache.canonical_nquads(&documents[i]).unwrap(),
                            expected[i],
                            "thread {thread}, round {round}"
                        );
                    }
                });
            }
        });
        let stats = cache.stats();
        assert_eq!(stats.hits + stats.misses, 24);
        assert!(stats.entries <= 2);
    }

    #[test]
    fn oversized_contexts_are_not_cached() {
        let long = "x".repeat(ContextCache::MAX_KEY_BYTES);
        let document = credential(
            json!([VC_V2, {"level": "https://a.example/level", "@language": long}]),
            json!({"id": "did:example:l", "level": "gold"}),
        );
        let cache = ContextCache::new(8);
        let uncached = ContextCache::new(0);
        assert_eq!(
            cache.to_rdf(&document).map(|d| d.len()),
            uncached.to_rdf(&document).map(|d| d.len())
        );
        assert_eq!(cache.stats().entries, 0);
    }

    /// What [`strip_repeated_proof_context`] relies on, for every bundled context: no
    /// `@propagate` (type-scoped contexts never reach a proof node), no scoped context on a
    /// `proof` term, no alias of `@value`.
    #[test]
    fn bundled_contexts_allow_stripping_a_repeated_proof_context() {
        fn walk(value: &Value, url: &str) {
            match value {
                Value::Object(map) => {
                    assert!(!map.contains_key("@propagate"), "{url} uses @propagate");
                    if let Some(Value::Object(proof)) = map.get("proof") {
                        assert!(
                            !proof.contains_key("@context"),
                            "{url} gives `proof` a scoped context"
                        );
                    }
                    for (term, definition) in map {
                        let aliases_value = definition == "@value"
                            || definition.get("@id").is_some_and(|id| id == "@value");
                        assert!(!aliases_value, "{url} aliases @value as {term:?}");
                        walk(definition, url);
                    }
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, url)),
                _ => {}
            }
        }
        for bundled in contexts::all() {
            let json: Value = serde_json::from_str(bundled.json).unwrap();
            walk(&json, bundled.url);
        }
    }

    /// An eddsa-jcs-2022 proof repeats the document's `@context`; expanding the document with a
    /// warm cache leaves that copy out. The results and errors must be those of the full
    /// expansion (the uncached path never strips anything).
    #[test]
    fn repeated_proof_context_gives_the_uncached_results() {
        use crate::keys::KeyPair;
        use crate::proof::{self, Cryptosuite, ProofOptions};

        let key = KeyPair::from_seed(&[7u8; 32]);
        let options = ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            "did:example:issuer#key-1",
            "2025-01-01T00:00:00Z",
        );
        let badge = crate::model::sample::data_literacy_badge();
        let signed = proof::sign(&badge, &key, &options).unwrap();
        assert_eq!(signed["proof"][0]["@context"], signed["@context"]);
        let single = {
            let mut single = signed.clone();
            single["proof"] = single["proof"][0].clone();
            single
        };
        let with_undefined_term = {
            let mut bad = signed.clone();
            bad["proof"][0]["nickname"] = json!("x");
            bad
        };
        let with_other_context = {
            let mut other = signed.clone();
            other["proof"][0]["@context"] = json!([VC_V2]);
            other
        };
        let with_bad_type = {
            let mut bad = signed.clone();
            bad["proof"][0]["type"] = json!("MadeUpProof");
            bad
        };
        let inline_context = {
            let mut inline = credential(
                json!([VC_V2, {"level": "https://a.example/level"}]),
                json!({"id": "did:example:l", "level": "gold"}),
            );
            let context = inline["@context"].clone();
            inline["proof"] = json!({"@context": context, "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022", "proofPurpose": "assertionMethod"});
            inline
        };
        let uncached = ContextCache::new(0);
        let cache = ContextCache::new(8);
        for document in [
            &signed,
            &single,
            &with_undefined_term,
            &with_other_context,
            &with_bad_type,
            &inline_context,
        ] {
            let expected = uncached.canonical_nquads(document);
            assert_eq!(cache.canonical_nquads(document), expected, "{document}");
            assert_eq!(cache.canonical_nquads(document), expected, "{document}");
        }
        assert_eq!(
            cache.to_rdf(&with_undefined_term).unwrap_err(),
            JsonLdError::UndefinedTerm {
                term: "nickname".into(),
                path: "proof[0].nickname".into()
            }
        );
        let nquads = cache.canonical_nquads(&signed).unwrap();
        assert!(
            nquads.contains("<https://w3id.org/security#cryptosuite> \"eddsa-jcs-2022\""),
            "{nquads}"
        );
    }

    #[test]
    fn reapplying_the_badge_context_is_the_identity() {
        let options = expansion_options(false);
        let badge = crate::model::sample::data_literacy_badge();
        let context = &badge["@context"];
        let processed = process_top_level_context(context, options).unwrap();
        assert!(is_url_list(context));
        assert!(reapplying_is_identity(context, &processed, options));
        // A different context processed over it does change it.
        let other = process_top_level_context(&json!([VC_V2]), options).unwrap();
        assert!(!same_context(&other, &processed));
    }

    #[test]
    fn normalizes_integral_numbers() {
        let out = normalize_numbers(&json!({"a": 36.0, "b": 3.5, "c": [7, -2.0]}));
        assert_eq!(out.to_string(), r#"{"a":36,"b":3.5,"c":[7,-2]}"#);
    }
}
