//! Reading untrusted JSON: a size cap and a nesting cap are checked before any parsing, so
//! a hostile document can't exhaust memory or the stack. An object with the same key twice
//! is refused: JSON parsers disagree on which one counts, so a signature checked over one
//! reading could be shown with the other.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::jsonld::{JsonPath, PathSegment};

/// Caps on an untrusted document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// Largest accepted document, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays and objects.
    pub max_depth: usize,
}

impl Default for InputLimits {
    /// 1 MiB and 64 levels: an OB 3.0 badge is a few KB and about 8 levels deep.
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// Why an input document was refused before or while parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    #[error("document is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("document nests arrays/objects more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("document is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("document is empty")]
    Empty,
    #[error("document is not valid JSON: {message} (line {line}, column {column})")]
    InvalidJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("expected a JSON object at the top level, found {found}")]
    NotAnObject { found: &'static str },
    /// An object has the same key twice (after unescaping), identical values or not.
    #[error(
        "document has the key {key:?} twice in the same object, at {path}; \
         each key may appear once"
    )]
    DuplicateKey {
        /// Where the second occurrence is, in the style `credentialSubject.achievement.name`.
        path: String,
        /// The repeated key.
        key: String,
    },
}

/// Reads at most `cap` bytes from `reader` — the caller's file or standard input — and
/// `None` when there is more: a huge file or an endless stream is refused after `cap + 1`
/// bytes, never held whole. The core opens nothing; it only bounds what it is handed.
pub fn read_capped(reader: impl std::io::Read, cap: usize) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    reader.take(limit).read_to_end(&mut bytes)?;
    Ok((bytes.len() <= cap).then_some(bytes))
}

/// Checks the caps and the encoding, and returns the text.
pub fn check_text<'a>(bytes: &'a [u8], limits: &InputLimits) -> Result<&'a str, InputError> {
    if bytes.len() > limits.max_bytes {
        return Err(InputError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(InputError::Empty);
    }
    Ok(text)
}

/// Parses an untrusted JSON document under the caps.
pub fn parse_json(bytes: &[u8], limits: &InputLimits) -> Result<Value, InputError> {
    let text = check_text(bytes, limits)?;
    check_depth(text, limits.max_depth)?;
    parse_unique_keys(text)
}

/// Parses JSON text into a [`Value`], refusing an object that repeats a key.
fn parse_unique_keys(text: &str) -> Result<Value, InputError> {
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = UniqueKeys {
        duplicate: &duplicate,
    }
    .deserialize(&mut de)
    .and_then(|value| de.end().map(|()| value));
    parsed.map_err(|e| match duplicate.into_inner() {
        Some(mut reversed) => {
            let key = match reversed.first() {
                Some(PathSegment::Key(key)) => key.clone(),
                _ => String::new(),
            };
            reversed.reverse();
            InputError::DuplicateKey {
                path: JsonPath(reversed).to_string(),
                key,
            }
        }
        None => InputError::InvalidJson {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        },
    })
}

/// Builds a [`Value`] like serde_json's own visitor, but refuses a repeated key. On a
/// duplicate it records the path, innermost segment first; each enclosing level appends its
/// own segment as the error passes through it, so the happy path tracks nothing.
#[derive(Clone, Copy)]
struct UniqueKeys<'c> {
    duplicate: &'c RefCell<Option<Vec<PathSegment>>>,
}

impl UniqueKeys<'_> {
    fn note<E>(self, segment: impl FnOnce() -> PathSegment, error: E) -> E {
        if let Some(path) = self.duplicate.borrow_mut().as_mut() {
            path.push(segment());
        }
        error
    }
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let index = items.len();
            match seq.next_element_seed(self) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => return Err(self.note(|| PathSegment::Index(index), e)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = match access.next_value_seed(self) {
                Ok(value) => value,
                Err(e) => return Err(self.note(|| PathSegment::Key(key), e)),
            };
            match map.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(slot) => {
                    *self.duplicate.borrow_mut() = Some(vec![PathSegment::Key(slot.key().clone())]);
                    return Err(de::Error::custom(format_args!(
                        "duplicate key {:?}",
                        slot.key()
                    )));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// Parses an untrusted JSON document that must be an object.
pub fn parse_json_object(bytes: &[u8], limits: &InputLimits) -> Result<Value, InputError> {
    let value = parse_json(bytes, limits)?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(InputError::NotAnObject {
            found: json_type_name(&value),
        })
    }
}

/// The JSON type of a value, as people say it.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Depth of an already-parsed value (for documents that did not come through [`parse_json`]).
pub fn depth_of(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

fn check_depth(text: &str, limit: usize) -> Result<(), InputError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for byte in text.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(InputError::TooDeep { limit });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_capped_stops_one_byte_past_the_cap() {
        let fits = read_capped(&b"12345"[..], 5).ok().flatten();
        assert_eq!(fits.as_deref(), Some(&b"12345"[..]));
        assert_eq!(read_capped(&b"123456"[..], 5).ok(), Some(None));
        // An endless stream is refused after cap + 1 bytes, not read for ever.
        assert_eq!(read_capped(std::io::repeat(b'x'), 1000).ok(), Some(None));
    }

    #[test]
    fn caps_are_enforced() {
        let limits = InputLimits {
            max_bytes: 100,
            max_depth: 3,
        };
        assert!(matches!(
            parse_json(&[b' '; 101], &limits),
            Err(InputError::TooLarge { size: 101, .. })
        ));
        assert_eq!(
            parse_json(b"[[[[1]]]]", &limits),
            Err(InputError::TooDeep { limit: 3 })
        );
        assert!(parse_json(br#"{"a":"[[[[[["}"#, &limits).is_ok());
        assert!(matches!(
            parse_json(b"{\"a\":", &limits),
            Err(InputError::InvalidJson { .. })
        ));
        assert!(matches!(
            parse_json(&[0xff, 0xfe], &limits),
            Err(InputError::NotUtf8 { offset: 0 })
        ));
        assert_eq!(parse_json(b"  ", &limits), Err(InputError::Empty));
        assert!(matches!(
            parse_json_object(b"[1]", &limits),
            Err(InputError::NotAnObject { .. })
        ));
    }

    #[test]
    fn duplicate_keys_are_refused_with_their_path() {
        let cases: &[(&str, &str, &str)] = &[
            (r#"{"name":"EVIL","name":"Real"}"#, "name", "name"),
            (r#"{"a":1,"a":1}"#, "a", "a"),
            (
                r#"{"credentialSubject":{"achievement":{"name":"EVIL","id":"x","name":"Real"}}}"#,
                "credentialSubject.achievement.name",
                "name",
            ),
            (
                r#"{"type":["a"],"evidence":[{"id":"1"},{"id":"2","id":"2"}]}"#,
                "evidence[1].id",
                "id",
            ),
            (
                r#"{"proof":{"proofValue":"z1","type":"DataIntegrityProof","proofValue":"z2"}}"#,
                "proof.proofValue",
                "proofValue",
            ),
            (r#"{"name":"EVIL","name":"Real"}"#, "name", "name"),
            (r#"[{"a b":{},"a b":{}}]"#, r#"[0]["a b"]"#, "a b"),
        ];
        for (text, path, key) in cases {
            assert_eq!(
                parse_json(text.as_bytes(), &InputLimits::default()),
                Err(InputError::DuplicateKey {
                    path: (*path).to_owned(),
                    key: (*key).to_owned(),
                }),
                "{text}"
            );
        }
        let err = parse_json(br#"{"a":{"b":1,"b":2}}"#, &InputLimits::default()).unwrap_err();
        assert!(err.to_string().contains("\"b\" twice"), "{err}");
        assert!(err.to_string().contains("at a.b"), "{err}");
    }

    #[test]
    fn unique_keys_parse_like_serde_json() {
        let text = r#"{"z":1,"a":[1,-2,3.5,1e400,"s",null,true,{"k":{}}],"m":{"a":{"a":1}},"a2":18446744073709551615}"#;
        assert!(parse_json(b"{\"a\":1e400}", &InputLimits::default()).is_err());
        let text = text.replace(",1e400", "");
        let ours = parse_json(text.as_bytes(), &InputLimits::default()).unwrap();
        let theirs: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(
            ours.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["z", "a", "m", "a2"]
        );
        assert!(matches!(
            parse_json(b"{\"a\":1} x", &InputLimits::default()),
            Err(InputError::InvalidJson { .. })
        ));
        assert!(matches!(
            parse_json(b"{\"a\":1,\"a\"", &InputLimits::default()),
            Err(InputError::InvalidJson { .. })
        ));
    }

    #[test]
    fn deep_input_does_not_overflow_the_stack() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse_json(deep.as_bytes(), &InputLimits::default()),
            Err(InputError::TooDeep { .. })
        ));
    }
}
