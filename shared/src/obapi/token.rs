//! The token endpoint as OB 3.0 §7.2 profiles RFC 6749: token responses (§5.1), error responses
//! (§5.2; also the authorization error redirect, §4.1.2.1), HTTP Basic client authentication
//! (§2.3.1) and the ASCII rule for `error_description`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ObApiError;

/// An OAuth 2.0 error (RFC 6749 §4.1.2.1 and §5.2, RFC 7009 §2.2.1, RFC 6750 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

impl OAuthError {
    /// An error with a description made to keep to the allowed characters ([`error_text`]).
    pub fn new(error: &str, description: &str) -> Self {
        Self {
            error: error.to_owned(),
            error_description: Some(error_text(description)),
            error_uri: None,
        }
    }
}

/// Reads an error body: `error` required, the other two optional strings.
pub fn parse_oauth_error(doc: &Value) -> Result<OAuthError, ObApiError> {
    let member = |name: &str, expected: &str| ObApiError::Member {
        document: "the OAuth error response",
        member: name.to_owned(),
        expected: expected.to_owned(),
    };
    match doc.get("error") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => return Err(member("error", "is required: a non-empty string")),
    }
    serde_json::from_value(doc.clone())
        .map_err(|_| member("error_description", "must be a string when present"))
}

/// A successful token response (RFC 6749 §5.1), checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// Reads a token response: `access_token` non-empty, `token_type` `bearer` in any case (OB 3.0
/// §7.2.2), `expires_in` a positive integer when present. OB 3.0 requires `scope`; RFC 6749
/// lets it be left out when it equals the request's, so its absence is a warning.
pub fn parse_token_response(doc: &Value) -> Result<(TokenResponse, Vec<String>), ObApiError> {
    let member = |name: &str, expected: &str| ObApiError::Member {
        document: "the token response",
        member: name.to_owned(),
        expected: expected.to_owned(),
    };
    if !doc.is_object() {
        return Err(member("(the document)", "must be a JSON object"));
    }
    let response: TokenResponse = serde_json::from_value(doc.clone()).map_err(|e| {
        member(
            "(the document)",
            &format!("needs access_token and token_type strings: {e}"),
        )
    })?;
    if response.access_token.is_empty() {
        return Err(member("access_token", "must not be empty"));
    }
    if !response.token_type.eq_ignore_ascii_case("bearer") {
        return Err(member("token_type", "must be \"bearer\" (any case)"));
    }
    if response.expires_in == Some(0) {
        return Err(member("expires_in", "must be a positive integer"));
    }
    if response.refresh_token.as_deref() == Some("") {
        return Err(member("refresh_token", "must not be empty when present"));
    }
    let mut warnings = Vec::new();
    if response.scope.is_none() {
        warnings.push("the token response has no scope; OB 3.0 requires it (RFC 6749: then it is the scope asked for)".to_owned());
    }
    Ok((response, warnings))
}

/// Text for `error_description`: RFC 6749 allows only `%x20-21 / %x23-5B / %x5D-7E` (printable
/// ASCII but `"` and `\`). `"` becomes `'`, other characters outside the set `?`.
pub fn error_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            ' '..='!' | '#'..='[' | ']'..='~' => c,
            _ => '?',
        })
        .collect()
}

/// The `Authorization` header value for `client_secret_basic` (RFC 6749 §2.3.1): id and
/// secret each form-urlencoded, joined with `:`, base64.
pub fn basic_authorization(client_id: &str, client_secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(client_secret));
    format!("Basic {}", STANDARD.encode(pair))
}

/// Reads an `Authorization: Basic …` value into the client id and secret (RFC 6749 §2.3.1,
/// RFC 7617: the scheme name in any case). `None` when it is not Basic or not well formed.
pub fn parse_basic_authorization(header: &str) -> Option<(String, String)> {
    let (scheme, credentials) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(credentials.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_decode(id)?;
    let secret = form_decode(secret)?;
    if id.is_empty() {
        return None;
    }
    Some((id, secret))
}

/// application/x-www-form-urlencoded decoding of one value: `+` is a space, `%XX` a byte.
fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_spec_token_response_example_is_read() {
        let doc = json!({
            "access_token": "863DF0B10F5D432EB2933C2A37CD3135A7BB7B07A68F65D92",
            "refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA",
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly offline_access"
        });
        let (response, warnings) = parse_token_response(&doc).unwrap();
        assert_eq!(response.expires_in, Some(3600));
        assert_eq!(
            response.refresh_token.as_deref(),
            Some("tGzv3JOkF0XG5Qx2TlKWIA")
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn bad_token_responses_are_refused() {
        for (doc, member) in [
            (json!({"token_type": "bearer"}), "(the document)"),
            (
                json!({"access_token": "", "token_type": "bearer"}),
                "access_token",
            ),
            (
                json!({"access_token": "a", "token_type": "mac"}),
                "token_type",
            ),
            (
                json!({"access_token": "a", "token_type": "bearer", "expires_in": 0}),
                "expires_in",
            ),
            (
                json!({"access_token": "a", "token_type": "bearer", "expires_in": -5}),
                "(the document)",
            ),
            (
                json!({"access_token": "a", "token_type": "bearer", "refresh_token": ""}),
                "refresh_token",
            ),
            (json!("a"), "(the document)"),
        ] {
            match parse_token_response(&doc) {
                Err(ObApiError::Member { member: m, .. }) => assert_eq!(m, member, "{doc}"),
                other => panic!("{doc}: {other:?}"),
            }
        }
        let (_, warnings) =
            parse_token_response(&json!({"access_token": "a", "token_type": "BEARER"})).unwrap();
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn oauth_errors() {
        // The spec's token error example.
        let error = parse_oauth_error(&json!({"error": "invalid_request"})).unwrap();
        assert_eq!(error.error, "invalid_request");
        assert_eq!(error.error_description, None);
        assert!(parse_oauth_error(&json!({"error_description": "x"})).is_err());
        assert!(parse_oauth_error(&json!({"error": "x", "error_description": 3})).is_err());
        let made = OAuthError::new("invalid_grant", "the \"code\" was used\\é");
        assert_eq!(
            made.error_description.as_deref(),
            Some("the 'code' was used??")
        );
        assert_eq!(
            serde_json::to_value(&made)
                .unwrap()
                .as_object()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn error_text_keeps_to_the_rfc6749_set() {
        let all: String = (0u8..=255).map(char::from).collect();
        let text = error_text(&all);
        assert!(text
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)));
        assert_eq!(error_text("plain text: ok [1]"), "plain text: ok [1]");
    }

    #[test]
    fn basic_authorization_round_trips_with_form_encoding() {
        // RFC 6749 §2.3.1's own example pair (s6BhdRkqt3 / gX1fBat3bV → czZCaGRSa3F0MzpnWDFmQmF0M2JW,
        // the header the OB 3.0 refresh example also shows).
        assert_eq!(
            basic_authorization("s6BhdRkqt3", "gX1fBat3bV"),
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
        assert_eq!(
            parse_basic_authorization("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
            Some(("s6BhdRkqt3".to_owned(), "gX1fBat3bV".to_owned()))
        );
        for (id, secret) in [("obc_1", "obs_a:b c+d%"), ("é", "ü/=")] {
            let header = basic_authorization(id, secret);
            assert_eq!(
                parse_basic_authorization(&header),
                Some((id.to_owned(), secret.to_owned())),
                "{header}"
            );
        }
        assert_eq!(
            parse_basic_authorization("basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
                .unwrap()
                .0,
            "s6BhdRkqt3"
        );
        for bad in [
            "Bearer abc",
            "Basic",
            "Basic !!!",
            "Basic bm9jb2xvbg==",
            "Basic OnNlY3JldA==",
            "Basic YSUyOmI=",
        ] {
            assert_eq!(parse_basic_authorization(bad), None, "{bad}");
        }
    }
}
