//! Reading untrusted JSON: a size cap and a nesting cap are checked before any parsing, so
//! a hostile document can't exhaust memory or the stack.

use serde_json::Value;

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
    serde_json::from_str(text).map_err(|e| InputError::InvalidJson {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })
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
    fn deep_input_does_not_overflow_the_stack() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse_json(deep.as_bytes(), &InputLimits::default()),
            Err(InputError::TooDeep { .. })
        ));
    }
}
