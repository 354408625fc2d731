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

use std::fmt;

use json_ld::expansion::{Action, Policy};
use json_ld::rdf::RdfDirection;
use json_ld::{Expand, ExpandError, IriBuf, RdfQuads};
use oxrdf::Dataset;
use serde_json::Value;
use sha2::Sha256;

use crate::contexts::ContextError;

mod cache;
mod loader;
mod rdf;
mod safe_mode;

pub use cache::{CacheStats, ContextCache};
use loader::{BundledLoader, Warnings};
use rdf::convert_quad;
use safe_mode::{
    check_body, check_contexts, check_object, check_percent_encoding, expand_error,
    normalize_numbers, path_of_string,
};

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

pub(super) const RDF_JSON: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON";
pub(super) const I18N_PREFIX: &str = "https://www.w3.org/ns/i18n#";

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
pub(super) enum Numbers {
    Refuse,
    Allow,
}

pub(super) fn to_rdf_on_stack(
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
pub(super) type ActiveContext = json_ld::Context<IriBuf, json_ld::BlankIdBuf>;

pub(super) enum Expansion {
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
pub(super) fn expand(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::cache::{
        is_url_list, process_top_level_context, reapplying_is_identity, same_context,
    };
    use super::safe_mode::check_number;
    use super::*;
    use crate::contexts;

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
