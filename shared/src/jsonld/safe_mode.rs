//! Safe mode: what the JSON-LD processor would silently drop (undefined terms, relative IRIs,
//! bad contexts, unsafe numbers) is an error naming its JSON path.

use json_ld::{ExpandError, Id, Indexed, IriBuf, Node, Object};
use serde_json::Value;

use super::cache::ContextCache;
use super::expand;
use super::loader::BundledLoader;
use super::{Expansion, JsonLdError, JsonPath, Numbers, PathSegment};
use crate::contexts::{self};

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

/// Every `@context` in the document must be an object, `null`, or a bundled URL.
pub(super) fn check_contexts(
    value: &Value,
    path: &mut Vec<PathSegment>,
) -> Result<(), JsonLdError> {
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
pub(super) fn check_percent_encoding(
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

pub(super) fn check_body(
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
pub(super) fn check_number(n: &serde_json::Number, path: &JsonPath) -> Result<(), JsonLdError> {
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
pub(super) fn normalize_numbers(value: &Value) -> Value {
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

pub(super) fn expand_error(
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
pub(super) fn check_object(object: &ExpandedObject, document: &Value) -> Result<(), JsonLdError> {
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

pub(super) fn undefined(document: &Value, term: &str) -> JsonLdError {
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

pub(super) fn path_of_string(document: &Value, needle: &str) -> String {
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
