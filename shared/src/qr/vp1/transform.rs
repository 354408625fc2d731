//! CBOR-LD decompression: term codes back to terms, encoded values back to JSON values.
//!
//! Term codes are assigned while contexts are applied, so this walks the document exactly as
//! the encoder (`@digitalcredentials/cborld` 4.3's transformer, read to learn its rules) did.
//! Three of its rules are easy to get wrong and are kept on purpose:
//! - an object's own `@context` stays on the context stack its parent hands to the following
//!   values of the same property set (only type-scoped contexts are removed after an object);
//! - a property with a scoped context hands its values the stack *with* the object's
//!   type-scoped contexts, one without a scoped context the stack *without* them;
//! - `@id` / `@type` aliases are terms defined as `"@id"` / `"@type"` or as an object whose `id`
//!   member is, and a context member set to `null` hides the earlier definition only when the
//!   context is given inline.
//!
//! Anything the encoder cannot have written (a map key that is not a term code, bytes where no
//! codec takes them, a keyword other than `@id` / `@type` as a member) is an error.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use base64::Engine;
use chrono::DateTime;
use serde_json::{Map, Number, Value};

use super::cbor::Cbor;
use super::{Vp1Error, CONTEXT_CODES};
use crate::contexts;

/// The JSON-LD keywords and their fixed codes, as the Learner Credential Wallet's encoder has
/// them (`@propagate` was added in later encoders; no bundled context uses it).
const KEYWORDS: &[(&str, u64)] = &[
    ("@context", 0),
    ("@type", 2),
    ("@id", 4),
    ("@value", 6),
    ("@direction", 8),
    ("@graph", 10),
    ("@included", 12),
    ("@index", 14),
    ("@json", 16),
    ("@language", 18),
    ("@list", 20),
    ("@nest", 22),
    ("@reverse", 24),
    ("@base", 26),
    ("@container", 28),
    ("@default", 30),
    ("@embed", 32),
    ("@explicit", 34),
    ("@none", 36),
    ("@omitDefault", 38),
    ("@prefix", 40),
    ("@preserve", 42),
    ("@protected", 44),
    ("@requireAll", 46),
    ("@set", 48),
    ("@version", 50),
    ("@vocab", 52),
];
/// The first code given to a context's term.
const FIRST_TERM_CODE: u64 = 100;
/// Most contexts applied while decoding one document.
const MAX_CONTEXT_APPLICATIONS: usize = 4_096;

const MULTIBASE: &str = "https://w3id.org/security#multibase";
const XSD_DATE: &str = "http://www.w3.org/2001/XMLSchema#date";
const XSD_DATE_TIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
/// Latest instant written as `YYYY-…` (later years take six digits and a sign in JavaScript).
const LAST_FOUR_DIGIT_SECOND: u64 = 253_402_300_799;

/// A plain CBOR document (tag 0x0500) as JSON.
pub(super) fn plain(item: &Cbor) -> Result<Value, Vp1Error> {
    match item {
        Cbor::Map(_) => plain_value(item),
        other => Err(Vp1Error::NotADocument { kind: other.kind() }),
    }
}

fn plain_value(item: &Cbor) -> Result<Value, Vp1Error> {
    match item {
        Cbor::Map(entries) => {
            let mut object = Map::new();
            for (key, value) in entries {
                let Cbor::Text(key) = key else {
                    return Err(Vp1Error::BadValue {
                        term: String::new(),
                        reason: "a plain CBOR map key is not text",
                    });
                };
                object.insert(key.clone(), plain_value(value)?);
            }
            Ok(Value::Object(object))
        }
        Cbor::Array(items) => items.iter().map(plain_value).collect::<Result<_, _>>(),
        other => scalar("", other),
    }
}

/// A compressed document (tag 0x0501) as JSON.
pub(super) fn decompress(item: &Cbor) -> Result<Value, Vp1Error> {
    let Cbor::Map(entries) = item else {
        return Err(Vp1Error::NotADocument { kind: item.kind() });
    };
    let mut decoder = Decoder::new();
    let mut stack = Vec::new();
    decoder.object(entries, &mut stack).map(Value::Object)
}

/// One context as applied: its aliases, scoped contexts and term definitions, merged with what
/// the contexts under it on the stack still define.
#[derive(Debug, Default, Clone)]
struct Active {
    id_aliases: Vec<String>,
    type_aliases: Vec<String>,
    /// Definitions are shared, not copied, as contexts are stacked.
    scoped: HashMap<String, Rc<Value>>,
    terms: HashMap<String, Rc<Value>>,
}

type Stack = Vec<Rc<Active>>;

struct Decoder {
    term_codes: HashMap<String, u64>,
    terms: HashMap<u64, String>,
    next_code: u64,
    loaded: HashMap<String, Rc<Active>>,
    applications: usize,
}

impl Decoder {
    fn new() -> Self {
        Decoder {
            term_codes: KEYWORDS.iter().map(|&(k, c)| (k.to_owned(), c)).collect(),
            terms: KEYWORDS.iter().map(|&(k, c)| (c, k.to_owned())).collect(),
            next_code: FIRST_TERM_CODE,
            loaded: HashMap::new(),
            applications: 0,
        }
    }

    /// One encoded object (a map from term codes) back to its JSON object; `stack` is the
    /// context stack the parent hands it, which keeps this object's own contexts afterwards.
    fn object(
        &mut self,
        map: &[(Cbor, Cbor)],
        stack: &mut Stack,
    ) -> Result<Map<String, Value>, Vp1Error> {
        let mut object = Map::new();
        if let Some(context) = self.context_member(map)? {
            object.insert("@context".into(), context);
        }
        if let Some(context) = object.get("@context") {
            self.apply(stack, context)?;
        }
        let embedded = top(stack);
        // Values of properties without a scoped context get this stack (without type-scoped
        // contexts), shared by all of them.
        let mut child_stack = stack.clone();

        // The object's types, read before type-scoped contexts are applied.
        let mut types = Vec::new();
        for term in type_terms(&embedded) {
            let Some(&code) = self.term_codes.get(&term) else {
                continue;
            };
            let value = Cbor::get(map, code).or_else(|| Cbor::get(map, code + 1));
            match value {
                Some(Cbor::Array(items)) => {
                    types.extend(items.iter().filter_map(|v| self.type_name(v)));
                }
                Some(value) => types.extend(self.type_name(value)),
                None => {}
            }
        }
        types.sort_by(|a, b| js_cmp(a, b));
        types.dedup();
        let type_scoped_from = stack.len();
        let mut scoping = Rc::clone(&embedded);
        for name in &types {
            if let Some(contexts) = scoping.scoped.get(name).map(Rc::clone) {
                self.apply(stack, &contexts)?;
                scoping = top(stack);
            }
        }
        let active = top(stack);

        let mut entries = Vec::with_capacity(map.len());
        for (key, value) in map {
            let Cbor::Uint(code) = *key else {
                return Err(Vp1Error::BadValue {
                    term: String::new(),
                    reason: "a map key is not a term code",
                });
            };
            if code <= 1 {
                continue;
            }
            let plural = code & 1 == 1;
            let Some(term) = self.terms.get(&(code & !1)).cloned() else {
                return Err(Vp1Error::UnknownTermCode { code });
            };
            let definition = active.terms.get(&term).map(Rc::clone);
            if definition.is_none() && !is_keyword(&term) {
                return Err(Vp1Error::UndefinedTerm { term });
            }
            entries.push((term, plural, definition, value));
        }
        entries.sort_by(|a, b| js_cmp(&a.0, &b.0));
        if entries.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return Err(Vp1Error::BadValue {
                term: String::new(),
                reason: "a term is written both as one value and as an array",
            });
        }

        for (term, plural, definition, value) in entries {
            if term == "@id" || active.id_aliases.contains(&term) {
                let decoded = match url(&term, value)? {
                    Some(url) => Value::String(url),
                    None => scalar(&term, value)?,
                };
                object.insert(term, decoded);
                continue;
            }
            if term == "@type" || active.type_aliases.contains(&term) {
                let decoded = self.values(&term, plural, value, |d, v| d.type_value(&term, v))?;
                object.insert(term, decoded);
                continue;
            }
            let Some(definition) = definition else {
                return Err(Vp1Error::UnsupportedKeyword { keyword: term });
            };
            let property_scoped = active.scoped.get(&term).map(Rc::clone);
            let mut scoped_stack;
            let (value_stack, prefixes) = match &property_scoped {
                Some(context) => {
                    let before = stack.len();
                    self.apply(stack, context)?;
                    scoped_stack = stack.clone();
                    let prefixes = top(stack);
                    stack.truncate(before);
                    (&mut scoped_stack, prefixes)
                }
                None => (&mut child_stack, Rc::clone(&active)),
            };
            let value_type = value_type(&term, &definition, &prefixes)?;
            let decoded = self.values(&term, plural, value, |d, v| {
                d.value(&term, value_type.as_deref(), v, value_stack)
            })?;
            object.insert(term, decoded);
        }
        // Type-scoped contexts end with the object; its own contexts stay on `stack`.
        stack.truncate(type_scoped_from);
        Ok(object)
    }

    /// `value` as one value or, for an array code, each of its items.
    fn values(
        &mut self,
        term: &str,
        plural: bool,
        value: &Cbor,
        mut each: impl FnMut(&mut Self, &Cbor) -> Result<Value, Vp1Error>,
    ) -> Result<Value, Vp1Error> {
        if !plural {
            return each(self, value);
        }
        let Cbor::Array(items) = value else {
            return Err(Vp1Error::BadValue {
                term: term.into(),
                reason: "an array code holds no array",
            });
        };
        items.iter().map(|item| each(self, item)).collect()
    }

    /// The decoded `@context` member (code 0 for one context, 1 for an array of them).
    fn context_member(&self, map: &[(Cbor, Cbor)]) -> Result<Option<Value>, Vp1Error> {
        match (Cbor::get(map, 0), Cbor::get(map, 1)) {
            (None, None) => Ok(None),
            (Some(one), None) => context_value(one).map(Some),
            (None, Some(Cbor::Array(items))) => items
                .iter()
                .map(context_value)
                .collect::<Result<Vec<_>, _>>()
                .map(|items| Some(Value::Array(items))),
            _ => Err(Vp1Error::UnsupportedContextForm {
                reason:
                    "the @context member is written twice, or as an array code without an array",
            }),
        }
    }

    /// A type name as it is known before the type-scoped contexts are applied (a code the
    /// encoder gave a term of those contexts reads as no name here, as it does for the encoder).
    fn type_name(&self, value: &Cbor) -> Option<String> {
        match value {
            Cbor::Text(text) => Some(text.clone()),
            Cbor::Uint(code) => self.terms.get(code).cloned(),
            Cbor::Array(_) => url("@type", value).ok().flatten(),
            _ => None,
        }
    }

    fn type_value(&self, term: &str, value: &Cbor) -> Result<Value, Vp1Error> {
        match self.vocab(term, value)? {
            Some(name) => Ok(Value::String(name)),
            None => match value {
                Cbor::Text(text) => Ok(Value::String(text.clone())),
                _ => Err(Vp1Error::BadValue {
                    term: term.into(),
                    reason: "a type is neither a term code, a URL nor text",
                }),
            },
        }
    }

    /// A `@vocab` value: a term code or an encoded URL.
    fn vocab(&self, term: &str, value: &Cbor) -> Result<Option<String>, Vp1Error> {
        match value {
            Cbor::Array(_) => url(term, value),
            Cbor::Uint(code) => Ok(self.terms.get(code).cloned()),
            _ => Ok(None),
        }
    }

    /// One value of a property whose definition declares `value_type`.
    fn value(
        &mut self,
        term: &str,
        value_type: Option<&str>,
        value: &Cbor,
        stack: &mut Stack,
    ) -> Result<Value, Vp1Error> {
        if *value == Cbor::Null {
            return Ok(Value::Null);
        }
        let typed = match value_type {
            Some("@id") => url(term, value)?,
            Some("@vocab") => self.vocab(term, value)?,
            Some(MULTIBASE) => multibase(value),
            Some(XSD_DATE) => date(term, value)?,
            Some(XSD_DATE_TIME) => date_time(term, value)?,
            _ => None,
        };
        if let Some(text) = typed {
            return Ok(Value::String(text));
        }
        match value {
            Cbor::Map(map) => self.object(map, stack).map(Value::Object),
            Cbor::Array(items) => items
                .iter()
                .map(|item| match item {
                    Cbor::Map(map) => self.object(map, stack).map(Value::Object),
                    _ => Err(Vp1Error::BadValue {
                        term: term.into(),
                        reason: "an array nested in an array holds something other than objects",
                    }),
                })
                .collect(),
            other => scalar(term, other),
        }
    }

    /// Applies `contexts` (one or an array) on top of `stack`.
    fn apply(&mut self, stack: &mut Stack, contexts: &Value) -> Result<(), Vp1Error> {
        if !truthy(contexts) {
            return Ok(());
        }
        let list = match contexts {
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        for context in list {
            self.applications += 1;
            if self.applications > MAX_CONTEXT_APPLICATIONS {
                return Err(Vp1Error::TooComplex {
                    what: "context applications",
                    max: MAX_CONTEXT_APPLICATIONS,
                });
            }
            let entry = match context {
                Value::String(url) => self.load(url)?,
                Value::Object(members) => Rc::new(self.add_context(members)?),
                _ => {
                    return Err(Vp1Error::UnsupportedContextForm {
                        reason: "a context that is neither a URL nor an object",
                    })
                }
            };
            let mut active = (*entry).clone();
            if let Some(below) = stack.last() {
                // An inline context's `null` member removes what the contexts below defined.
                let hidden = |key: &str| {
                    context
                        .as_object()
                        .is_some_and(|m| m.get(key) == Some(&Value::Null))
                };
                // Aliases first: they are checked against this context's own terms only.
                for alias in &below.id_aliases {
                    if !hidden(alias)
                        && !active.terms.contains_key(alias)
                        && !active.id_aliases.contains(alias)
                    {
                        active.id_aliases.push(alias.clone());
                    }
                }
                for alias in &below.type_aliases {
                    if !hidden(alias)
                        && !active.terms.contains_key(alias)
                        && !active.type_aliases.contains(alias)
                    {
                        active.type_aliases.push(alias.clone());
                    }
                }
                for (key, value) in &below.scoped {
                    if !hidden(key) && !active.scoped.contains_key(key) {
                        active.scoped.insert(key.clone(), Rc::clone(value));
                    }
                }
                for (key, value) in &below.terms {
                    if !hidden(key) && !active.terms.contains_key(key) {
                        active.terms.insert(key.clone(), Rc::clone(value));
                    }
                }
            }
            stack.push(Rc::new(active));
        }
        Ok(())
    }

    /// A bundled context by URL, its terms given codes the first time.
    fn load(&mut self, url: &str) -> Result<Rc<Active>, Vp1Error> {
        if let Some(entry) = self.loaded.get(url) {
            return Ok(Rc::clone(entry));
        }
        let bundled =
            contexts::resolve(url).map_err(|_| Vp1Error::UnsupportedContext { url: url.into() })?;
        let document: Value =
            serde_json::from_str(bundled.json).map_err(|_| Vp1Error::UnsupportedContextForm {
                reason: "a bundled context is not JSON",
            })?;
        let Some(Value::Object(members)) = document.get("@context") else {
            return Err(Vp1Error::UnsupportedContextForm {
                reason: "a context document whose @context is not one object",
            });
        };
        let entry = Rc::new(self.add_context(members)?);
        self.loaded.insert(url.to_owned(), Rc::clone(&entry));
        Ok(entry)
    }

    /// A context's definitions; terms not seen before get the next codes, in code-unit order.
    fn add_context(&mut self, members: &Map<String, Value>) -> Result<Active, Vp1Error> {
        if members.contains_key("@import") {
            return Err(Vp1Error::UnsupportedContextForm {
                reason: "@import is not supported",
            });
        }
        let mut keys: Vec<&String> = members.keys().collect();
        keys.sort_by(|a, b| js_cmp(a, b));
        let mut active = Active::default();
        for key in keys {
            let definition = &members[key.as_str()];
            if !truthy(definition) {
                continue;
            }
            let names = |keyword: &str| {
                definition.as_str() == Some(keyword)
                    || definition.get("id").and_then(Value::as_str) == Some(keyword)
            };
            if names("@id") {
                active.id_aliases.push(key.clone());
            } else if names("@type") {
                active.type_aliases.push(key.clone());
            }
            if is_keyword(key) {
                continue;
            }
            if !self.term_codes.contains_key(key.as_str()) {
                self.term_codes.insert(key.clone(), self.next_code);
                self.terms.insert(self.next_code, key.clone());
                self.next_code += 2;
            }
            active
                .terms
                .insert(key.clone(), Rc::new(definition.clone()));
            if let Some(scoped) = definition.get("@context").filter(|c| truthy(c)) {
                active.scoped.insert(key.clone(), Rc::new(scoped.clone()));
            }
        }
        Ok(active)
    }
}

fn top(stack: &Stack) -> Rc<Active> {
    stack.last().cloned().unwrap_or_default()
}

fn type_terms(active: &Active) -> Vec<String> {
    std::iter::once("@type".to_owned())
        .chain(active.type_aliases.iter().cloned())
        .collect()
}

fn is_keyword(term: &str) -> bool {
    KEYWORDS.iter().any(|&(k, _)| k == term)
}

/// JavaScript's truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JavaScript's default string order: by UTF-16 code units.
fn js_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The type a term's definition gives its values, a compact IRI expanded with `prefixes`.
fn value_type(
    term: &str,
    definition: &Value,
    prefixes: &Active,
) -> Result<Option<String>, Vp1Error> {
    let Some(declared) = definition.get("@type").filter(|t| truthy(t)) else {
        return Ok(None);
    };
    let Some(declared) = declared.as_str() else {
        return Err(Vp1Error::BadValue {
            term: term.into(),
            reason: "its definition's @type is not a string",
        });
    };
    let (prefix, rest) = declared.split_once(':').unwrap_or((declared, ""));
    match prefixes.terms.get(prefix) {
        None => Ok(Some(declared.to_owned())),
        Some(definition) => match &**definition {
            Value::String(iri) => Ok(Some(format!("{iri}{rest}"))),
            Value::Object(d) => match d.get("@id") {
                Some(Value::String(iri)) => Ok(Some(format!("{iri}{rest}"))),
                _ => Err(Vp1Error::BadValue {
                    term: term.into(),
                    reason: "the prefix of its definition's @type has no @id",
                }),
            },
            _ => Err(Vp1Error::BadValue {
                term: term.into(),
                reason: "the prefix of its definition's @type is not a term definition",
            }),
        },
    }
}

/// A context written as a registry code, a URL or an inline context.
fn context_value(item: &Cbor) -> Result<Value, Vp1Error> {
    match item {
        Cbor::Uint(code) => CONTEXT_CODES
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, url)| Value::String((*url).to_owned()))
            .ok_or(Vp1Error::UnknownContextCode { code: *code }),
        Cbor::Text(url) if !url.is_empty() => Ok(Value::String(url.clone())),
        Cbor::Map(_) => plain_value(item),
        _ => Err(Vp1Error::UnsupportedContextForm {
            reason: "a context that is neither a registry code, a URL nor an inline context",
        }),
    }
}

/// A URL written as `[scheme code, …]`; `None` when the value is not one.
fn url(term: &str, value: &Cbor) -> Result<Option<String>, Vp1Error> {
    let Cbor::Array(items) = value else {
        return Ok(None);
    };
    let bad = |reason| Vp1Error::BadValue {
        term: term.into(),
        reason,
    };
    match items.as_slice() {
        [Cbor::Uint(1), Cbor::Text(rest)] => Ok(Some(format!("http://{rest}"))),
        [Cbor::Uint(2), Cbor::Text(rest)] => Ok(Some(format!("https://{rest}"))),
        [Cbor::Uint(3), Cbor::Text(rest)] => Ok(Some(format!("urn:uuid:{rest}"))),
        [Cbor::Uint(3), Cbor::Bytes(bytes)] => {
            let hex = hex::encode(bytes);
            if hex.len() != 32 {
                return Err(bad("a urn:uuid: URL does not hold 16 bytes"));
            }
            Ok(Some(format!(
                "urn:uuid:{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )))
        }
        [Cbor::Uint(scheme @ (1024 | 1025)), rest @ ..] if (1..=2).contains(&rest.len()) => {
            let mut url = String::from(if *scheme == 1024 {
                "did:v1:nym:"
            } else {
                "did:key:"
            });
            for (i, part) in rest.iter().enumerate() {
                if i == 1 {
                    url.push('#');
                }
                match part {
                    Cbor::Text(text) => url.push_str(text),
                    Cbor::Bytes(bytes) => {
                        url.push('z');
                        url.push_str(&bs58::encode(bytes).into_string());
                    }
                    _ => return Err(bad("a DID URL part is neither text nor bytes")),
                }
            }
            Ok(Some(url))
        }
        [Cbor::Uint(4), ..] => Err(bad("data: URLs in compressed form are not supported")),
        [Cbor::Uint(code), _] if *code <= 2048 => Err(bad("an unknown URL scheme code")),
        _ => Ok(None),
    }
}

/// A multibase value written as its prefix byte and the bytes it encodes.
fn multibase(value: &Cbor) -> Option<String> {
    let Cbor::Bytes(bytes) = value else {
        return None;
    };
    match bytes.split_first() {
        Some((b'z', rest)) => Some(format!("z{}", bs58::encode(rest).into_string())),
        Some((b'M', rest)) => Some(format!(
            "M{}",
            base64::engine::general_purpose::STANDARD.encode(rest)
        )),
        _ => None,
    }
}

fn date(term: &str, value: &Cbor) -> Result<Option<String>, Vp1Error> {
    match value {
        Cbor::Uint(seconds) => Ok(Some(
            instant(term, *seconds, 0)?.format("%Y-%m-%d").to_string(),
        )),
        Cbor::Negative(_) | Cbor::Float(_) => Err(Vp1Error::BadValue {
            term: term.into(),
            reason: "dates before 1970 or with fractions are not supported",
        }),
        _ => Ok(None),
    }
}

fn date_time(term: &str, value: &Cbor) -> Result<Option<String>, Vp1Error> {
    match value {
        Cbor::Uint(seconds) => Ok(Some(
            instant(term, *seconds, 0)?
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        )),
        Cbor::Array(items) if items.len() == 2 => {
            let [Cbor::Uint(seconds), Cbor::Uint(millis)] = items.as_slice() else {
                return Err(Vp1Error::BadValue {
                    term: term.into(),
                    reason: "a date-time is not [seconds, milliseconds]",
                });
            };
            let total = seconds
                .checked_mul(1000)
                .and_then(|ms| ms.checked_add(*millis))
                .ok_or(Vp1Error::BadValue {
                    term: term.into(),
                    reason: "a date-time is out of range",
                })?;
            Ok(Some(
                instant(term, total / 1000, total % 1000)?
                    .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string(),
            ))
        }
        Cbor::Negative(_) | Cbor::Float(_) => Err(Vp1Error::BadValue {
            term: term.into(),
            reason: "date-times before 1970 or with fractions are not supported",
        }),
        _ => Ok(None),
    }
}

fn instant(term: &str, seconds: u64, millis: u64) -> Result<DateTime<chrono::Utc>, Vp1Error> {
    let out_of_range = || Vp1Error::BadValue {
        term: term.into(),
        reason: "a date is after the year 9999",
    };
    if seconds > LAST_FOUR_DIGIT_SECOND {
        return Err(out_of_range());
    }
    let seconds = i64::try_from(seconds).map_err(|_| out_of_range())?;
    // `millis` < 1000 and `seconds` is in range, so this is always a valid instant.
    DateTime::from_timestamp(seconds, (millis as u32) * 1_000_000).ok_or_else(out_of_range)
}

/// A value written as itself: text, a number, a boolean or null.
fn scalar(term: &str, value: &Cbor) -> Result<Value, Vp1Error> {
    let bad = |reason| Vp1Error::BadValue {
        term: term.into(),
        reason,
    };
    match value {
        Cbor::Text(text) => Ok(Value::String(text.clone())),
        Cbor::Uint(n) => Ok(Value::from(*n)),
        Cbor::Negative(n) => i64::try_from(*n)
            .map(|n| Value::from(-1 - n))
            .map_err(|_| bad("a negative integer is out of range")),
        Cbor::Float(f) if f.is_finite() => {
            // JavaScript has one number type: an integral value is written as an integer.
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                Ok(Value::from(*f as i64))
            } else {
                Number::from_f64(*f)
                    .map(Value::Number)
                    .ok_or_else(|| bad("a number has no JSON form"))
            }
        }
        Cbor::Float(_) => Err(bad("a number is infinite or not a number")),
        Cbor::Bool(b) => Ok(Value::Bool(*b)),
        Cbor::Null => Ok(Value::Null),
        Cbor::Array(items) => items.iter().map(|item| scalar(term, item)).collect(),
        Cbor::Bytes(_) => Err(bad("bytes that no codec of the term's type takes")),
        Cbor::Map(_) => Err(bad("an object where a value was expected")),
    }
}
