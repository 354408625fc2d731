//! Dynamic client registration: RFC 7591 as OB 3.0 §7.1.1 "Register with Authorization Server"
//! profiles it (the table of required members, https URLs on one hostname, the four members of
//! the response), with the loopback redirect URIs native apps use (RFC 8252 §7.3).

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::{Host, Url};

use super::token::error_text;
use super::{parse_scope, scope_string, ObApiError, Scope, OFFLINE_ACCESS};

/// Largest registration request body a provider should read, in bytes.
pub const MAX_REGISTRATION_BYTES: usize = 32 * 1024;
/// Longest string member accepted, in bytes.
pub const MAX_MEMBER_BYTES: usize = 2048;
/// Most redirect URIs (and contacts) one client may register.
pub const MAX_REDIRECT_URIS: usize = 10;

/// The only client authentication method OB 3.0 allows at the token endpoint.
pub const CLIENT_SECRET_BASIC: &str = "client_secret_basic";
/// The grant types OB 3.0 allows.
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// See [`GRANT_AUTHORIZATION_CODE`].
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";

/// A registration request, checked and normalised (defaults filled in, `scope` cut down to what
/// the provider supports). Serialises with the RFC 7591 member names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRegistration {
    pub client_name: String,
    pub client_uri: String,
    pub logo_uri: String,
    pub tos_uri: String,
    pub policy_uri: String,
    pub software_id: String,
    pub software_version: String,
    pub redirect_uris: Vec<String>,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<String>>,
}

impl ClientRegistration {
    /// The hostname every URL of the client shares (that of `client_uri`).
    pub fn hostname(&self) -> Option<String> {
        Url::parse(&self.client_uri)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
    }

    /// The grant types, with the default of RFC 7591 §2 when none were given.
    pub fn grant_types(&self) -> Vec<String> {
        self.grant_types
            .clone()
            .unwrap_or_else(|| vec![GRANT_AUTHORIZATION_CODE.to_owned()])
    }
}

/// A registration response (RFC 7591 §3.2.1; OB 3.0 requires the four members besides the
/// client's metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: String,
    pub client_id_issued_at: u64,
    /// 0: the secret does not expire.
    pub client_secret_expires_at: u64,
    #[serde(flatten)]
    pub metadata: ClientRegistration,
}

/// The two registration error codes of RFC 7591 §3.2.2 this profile uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RegistrationErrorCode {
    InvalidRedirectUri,
    InvalidClientMetadata,
}

impl RegistrationErrorCode {
    /// The code as RFC 7591 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            RegistrationErrorCode::InvalidClientMetadata => "invalid_client_metadata",
        }
    }
}

/// A refused registration: serialises as the RFC 7591 §3.2.2 body
/// `{"error": "…", "error_description": "…"}`; the description keeps to the ASCII set RFC 6749
/// allows (no `"` or `\`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct RegistrationError {
    #[serde(rename = "error")]
    pub code: RegistrationErrorCode,
    #[serde(rename = "error_description")]
    pub description: String,
}

impl RegistrationError {
    fn new(code: RegistrationErrorCode, description: impl AsRef<str>) -> Self {
        Self {
            code,
            description: error_text(description.as_ref()),
        }
    }

    fn metadata(description: impl AsRef<str>) -> Self {
        Self::new(RegistrationErrorCode::InvalidClientMetadata, description)
    }

    fn redirect(description: impl AsRef<str>) -> Self {
        Self::new(RegistrationErrorCode::InvalidRedirectUri, description)
    }
}

/// Checks a registration request body against OB 3.0 §7.1.1 and returns it normalised.
///
/// - Required: `client_name`, `client_uri`, `logo_uri`, `tos_uri`, `policy_uri`, `software_id`,
///   `software_version`, `redirect_uris` (an array, 1 to 10) and `scope`; strings non-empty, at
///   most 2048 bytes, without control characters.
/// - `client_uri`, `logo_uri`, `tos_uri`, `policy_uri` and every redirect URI are https URLs
///   on the hostname of `client_uri`, without user name or password — except loopback redirect
///   URIs `http://127.0.0.1[:port]/…` and `http://[::1][:port]/…` (RFC 8252 §7.3). No redirect
///   URI has a fragment (RFC 6749 §3.1.2). Redirect URI faults are `invalid_redirect_uri`, the
///   rest `invalid_client_metadata`.
/// - `token_endpoint_auth_method`: only `client_secret_basic` (the default, filled in);
///   `grant_types` ⊆ {`authorization_code`, `refresh_token`} with `authorization_code`
///   (default `[authorization_code]`); `response_types` only `code` (default `[code]`).
/// - `scope`: at least one scope in `supported`; normalised to those (plus `offline_access`
///   when asked for: accepted, and refresh tokens come without it).
///
/// Other members (RFC 7591 allows extensions) are ignored.
pub fn validate_registration(
    body: &Value,
    supported: &[Scope],
) -> Result<ClientRegistration, RegistrationError> {
    let Some(body) = body.as_object() else {
        return Err(RegistrationError::metadata(
            "the registration request must be a JSON object",
        ));
    };
    let text = |name: &str| required_text(body, name);
    let client_name = text("client_name")?;
    let client_uri = text("client_uri")?;
    let logo_uri = text("logo_uri")?;
    let tos_uri = text("tos_uri")?;
    let policy_uri = text("policy_uri")?;
    let software_id = text("software_id")?;
    let software_version = text("software_version")?;
    let scope_list = text("scope")?;

    let client_url = https_url("client_uri", &client_uri)?;
    let Some(hostname) = client_url.host_str().map(str::to_owned) else {
        return Err(RegistrationError::metadata(
            "client_uri must have a hostname",
        ));
    };
    for (name, value) in [
        ("logo_uri", &logo_uri),
        ("tos_uri", &tos_uri),
        ("policy_uri", &policy_uri),
    ] {
        let url = https_url(name, value)?;
        if url.host_str() != Some(hostname.as_str()) {
            return Err(RegistrationError::metadata(format!(
                "{name} must be on the hostname of client_uri ({hostname}): OB 3.0 requires all URLs on one hostname"
            )));
        }
    }

    let redirect_uris = match body.get("redirect_uris") {
        None => {
            return Err(RegistrationError::redirect(
                "redirect_uris is required: an array of redirection URIs",
            ))
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(RegistrationError::redirect(
                "redirect_uris must be an array, even for a single URI",
            ))
        }
    };
    if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(RegistrationError::redirect(format!(
            "redirect_uris must have between 1 and {MAX_REDIRECT_URIS} URIs, not {}",
            redirect_uris.len()
        )));
    }
    let mut redirects = Vec::with_capacity(redirect_uris.len());
    for (index, item) in redirect_uris.iter().enumerate() {
        let Value::String(uri) = item else {
            return Err(RegistrationError::redirect(format!(
                "redirect_uris[{index}] must be a string"
            )));
        };
        check_redirect_uri(index, uri, &hostname)?;
        if !redirects.contains(uri) {
            redirects.push(uri.clone());
        }
    }

    match body.get("token_endpoint_auth_method") {
        None => {}
        Some(Value::String(method)) if method == CLIENT_SECRET_BASIC => {}
        Some(_) => return Err(RegistrationError::metadata(
            "token_endpoint_auth_method must be client_secret_basic, the only method OB 3.0 allows",
        )),
    }
    let grant_types = string_array(body, "grant_types")?
        .unwrap_or_else(|| vec![GRANT_AUTHORIZATION_CODE.to_owned()]);
    if let Some(other) = grant_types
        .iter()
        .find(|g| *g != GRANT_AUTHORIZATION_CODE && *g != GRANT_REFRESH_TOKEN)
    {
        return Err(RegistrationError::metadata(format!(
            "grant_types may hold only authorization_code and refresh_token, not {}",
            shown(other)
        )));
    }
    if !grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE) {
        return Err(RegistrationError::metadata(
            "grant_types must include authorization_code (response_types code needs it, RFC 7591 section 2.1)",
        ));
    }
    let response_types =
        string_array(body, "response_types")?.unwrap_or_else(|| vec!["code".to_owned()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(RegistrationError::metadata(
            "response_types may hold only code",
        ));
    }
    let contacts = string_array(body, "contacts")?;

    let asked = parse_scope(&scope_list);
    let granted = asked.supported(supported);
    if granted.is_empty() {
        let offered = scope_string(supported);
        return Err(RegistrationError::metadata(format!(
            "scope asks for none of the scopes this provider supports ({offered})"
        )));
    }
    let mut scope = scope_string(&granted);
    if asked.offline_access {
        scope.push(' ');
        scope.push_str(OFFLINE_ACCESS);
    }

    Ok(ClientRegistration {
        client_name,
        client_uri,
        logo_uri,
        tos_uri,
        policy_uri,
        software_id,
        software_version,
        redirect_uris: redirects,
        scope,
        token_endpoint_auth_method: Some(CLIENT_SECRET_BASIC.to_owned()),
        grant_types: Some(dedup(grant_types)),
        response_types: Some(dedup(response_types)),
        contacts: contacts.map(dedup),
    })
}

/// Reads a registration response: the four members OB 3.0 requires besides the metadata, and
/// the metadata as the provider (possibly) changed it. Warns when the provider changed the
/// redirect URIs sent in `sent`.
pub fn parse_registration_response(
    doc: &Value,
    sent: &ClientRegistration,
) -> Result<(RegisteredClient, Vec<String>), ObApiError> {
    const DOCUMENT: &str = "the registration response";
    let member = |name: &str, expected: &str| ObApiError::Member {
        document: DOCUMENT,
        member: name.to_owned(),
        expected: expected.to_owned(),
    };
    let Some(object) = doc.as_object() else {
        return Err(member("(the document)", "must be a JSON object"));
    };
    for name in ["client_id", "client_secret"] {
        match object.get(name) {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => return Err(member(name, "is required: a non-empty string")),
        }
    }
    for name in ["client_id_issued_at", "client_secret_expires_at"] {
        if object.get(name).and_then(Value::as_u64).is_none() {
            return Err(member(name, "is required: a non-negative integer"));
        }
    }
    // The metadata: what was sent, overridden by what the provider answered.
    let mut merged = match serde_json::to_value(sent) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for (key, value) in object {
        merged.insert(key.clone(), value.clone());
    }
    let client: RegisteredClient = serde_json::from_value(Value::Object(merged)).map_err(|e| {
        member(
            "(the document)",
            &format!("has a member of the wrong type: {e}"),
        )
    })?;
    let mut warnings = Vec::new();
    if client.metadata.redirect_uris != sent.redirect_uris {
        warnings.push(format!(
            "the provider registered the redirect URIs {:?} instead of {:?}",
            client.metadata.redirect_uris, sent.redirect_uris
        ));
    }
    Ok((client, warnings))
}

/// A loopback redirect URI of RFC 8252 §7.3: `http://127.0.0.1[:port]…` or
/// `http://[::1][:port]…` (not `localhost`, §8.3).
pub fn is_loopback_redirect_uri(uri: &str) -> bool {
    loopback_parts(uri).is_some()
}

/// Whether a redirect URI in an authorization or token request is the registered one: the same
/// string (RFC 6749 §3.1.2.3, OAuth 2.0 Security BCP §4.1.3 "exact string matching"), or both
/// loopback URIs identical except for the port (RFC 8252 §7.3: the port is picked when the app
/// runs).
pub fn redirect_uri_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    match (loopback_parts(registered), loopback_parts(requested)) {
        (Some((host_a, _, rest_a)), Some((host_b, _, rest_b))) => {
            host_a == host_b && rest_a == rest_b
        }
        _ => false,
    }
}

/// `http://` + a loopback IP literal + optional `:port` + the rest (path and query, no
/// fragment), read from the string as written (no normalisation, so the match stays exact).
fn loopback_parts(uri: &str) -> Option<(&str, Option<u16>, &str)> {
    let after = uri.strip_prefix("http://")?;
    let (host, after) = if let Some(v6) = after.strip_prefix('[') {
        let end = v6.find(']')?;
        let literal = &v6[..end];
        if literal.parse::<Ipv6Addr>().ok()? != Ipv6Addr::LOCALHOST {
            return None;
        }
        (&after[..end + 2], &v6[end + 1..])
    } else {
        let end = after.find([':', '/', '?', '#']).unwrap_or(after.len());
        let literal = &after[..end];
        // "127.0.0.1" exactly: the RFC names that literal, and other spellings of it
        // (127.1, 0x7f.0.0.1) are where parsers disagree.
        if literal != "127.0.0.1" || literal.parse::<Ipv4Addr>().ok()? != Ipv4Addr::LOCALHOST {
            return None;
        }
        (literal, &after[end..])
    };
    let (port, rest) = match after.strip_prefix(':') {
        Some(port_and_rest) => {
            let end = port_and_rest
                .find(['/', '?', '#'])
                .unwrap_or(port_and_rest.len());
            let digits = &port_and_rest[..end];
            if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            (Some(digits.parse::<u16>().ok()?), &port_and_rest[end..])
        }
        None => (None, after),
    };
    if rest.contains('#')
        || rest.contains(char::is_whitespace)
        || !(rest.is_empty() || rest.starts_with(['/', '?']))
    {
        return None;
    }
    Some((host, port, rest))
}

fn check_redirect_uri(index: usize, uri: &str, hostname: &str) -> Result<(), RegistrationError> {
    let name = format!("redirect_uris[{index}]");
    check_text(&name, uri).map_err(|e| RegistrationError::redirect(e.description))?;
    let url = Url::parse(uri)
        .map_err(|e| RegistrationError::redirect(format!("{name} is not an absolute URL ({e})")))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(RegistrationError::redirect(format!(
            "{name} must not have a fragment (RFC 6749 section 3.1.2)"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RegistrationError::redirect(format!(
            "{name} must not carry a user name or password"
        )));
    }
    if is_loopback_redirect_uri(uri) {
        return Ok(());
    }
    if url.scheme() != "https" {
        let hint = match url.host() {
            Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
                " (a native app uses http://127.0.0.1 or http://[::1], RFC 8252 sections 7.3 and 8.3)"
            }
            _ => " (plain http only for the loopback addresses 127.0.0.1 and [::1], RFC 8252 section 7.3)",
        };
        return Err(RegistrationError::redirect(format!(
            "{name} must be an https URL{hint}"
        )));
    }
    if url.host_str() != Some(hostname) {
        return Err(RegistrationError::redirect(format!(
            "{name} must be on the hostname of client_uri ({hostname}): OB 3.0 requires all URLs on one hostname"
        )));
    }
    Ok(())
}

fn https_url(name: &str, value: &str) -> Result<Url, RegistrationError> {
    let url = Url::parse(value)
        .map_err(|e| RegistrationError::metadata(format!("{name} is not an absolute URL ({e})")))?;
    if url.scheme() != "https" || url.host().is_none() {
        return Err(RegistrationError::metadata(format!(
            "{name} must be an https URL (OB 3.0: all URLs MUST use HTTPS)"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RegistrationError::metadata(format!(
            "{name} must not carry a user name or password"
        )));
    }
    Ok(url)
}

fn required_text(body: &Map<String, Value>, name: &str) -> Result<String, RegistrationError> {
    match body.get(name) {
        None => Err(RegistrationError::metadata(format!(
            "{name} is required (OB 3.0 section 7.1.1)"
        ))),
        Some(Value::String(s)) => {
            check_text(name, s)?;
            Ok(s.clone())
        }
        Some(_) => Err(RegistrationError::metadata(format!(
            "{name} must be a string"
        ))),
    }
}

fn check_text(name: &str, value: &str) -> Result<(), RegistrationError> {
    if value.trim().is_empty() {
        return Err(RegistrationError::metadata(format!(
            "{name} must not be empty"
        )));
    }
    if value.len() > MAX_MEMBER_BYTES {
        return Err(RegistrationError::metadata(format!(
            "{name} is {} bytes, more than {MAX_MEMBER_BYTES}",
            value.len()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(RegistrationError::metadata(format!(
            "{name} must not contain control characters"
        )));
    }
    Ok(())
}

fn string_array(
    body: &Map<String, Value>,
    name: &str,
) -> Result<Option<Vec<String>>, RegistrationError> {
    let items = match body.get(name) {
        None => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(RegistrationError::metadata(format!(
                "{name} must be an array of strings, even for one value"
            )))
        }
    };
    if items.is_empty() || items.len() > MAX_REDIRECT_URIS {
        return Err(RegistrationError::metadata(format!(
            "{name} must have between 1 and {MAX_REDIRECT_URIS} values"
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::String(s) => {
                check_text(&format!("{name}[{index}]"), s)?;
                Ok(s.clone())
            }
            _ => Err(RegistrationError::metadata(format!(
                "{name}[{index}] must be a string"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

/// A client-supplied value quoted in an error description: short, and kept ASCII by
/// [`error_text`].
fn shown(value: &str) -> String {
    let short: String = value.chars().take(64).collect();
    format!("'{short}'")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SUPPORTED: [Scope; 2] = [Scope::CredentialReadonly, Scope::ProfileReadonly];

    /// The registration request example of OB 3.0 §7.1.1.
    fn spec_request() -> Value {
        json!({
            "client_name": "Example Client Application",
            "client_uri": "https://client.1edtech.org/",
            "logo_uri": "https://client.1edtech.org/logo.png",
            "tos_uri": "https://client.1edtech.org/terms",
            "policy_uri": "https://client.1edtech.org/privacy",
            "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
            "software_version": "v4.0.30319",
            "redirect_uris": ["https://client.1edtech.org/Authorize"],
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert offline_access"
        })
    }

    fn refused(body: &Value) -> RegistrationError {
        validate_registration(body, &SUPPORTED).unwrap_err()
    }

    #[test]
    fn the_spec_example_is_accepted_with_the_scope_cut_to_what_is_supported() {
        let registration = validate_registration(&spec_request(), &SUPPORTED).unwrap();
        assert_eq!(registration.client_name, "Example Client Application");
        assert_eq!(
            registration.scope,
            "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly offline_access"
        );
        assert_eq!(
            registration.redirect_uris,
            ["https://client.1edtech.org/Authorize"]
        );
        assert_eq!(
            registration.grant_types(),
            ["authorization_code", "refresh_token"]
        );
        assert_eq!(
            registration.hostname().as_deref(),
            Some("client.1edtech.org")
        );
        // The response carries the client's metadata plus the four required members.
        let response = RegisteredClient {
            client_id: "4ad36680810420ed".into(),
            client_secret: "af7aa0d679778e12".into(),
            client_id_issued_at: 1_565_715_850,
            client_secret_expires_at: 0,
            metadata: registration.clone(),
        };
        let json = serde_json::to_value(&response).unwrap();
        for member in [
            "client_id",
            "client_secret",
            "client_id_issued_at",
            "client_secret_expires_at",
            "client_name",
            "client_uri",
            "logo_uri",
            "tos_uri",
            "policy_uri",
            "software_id",
            "software_version",
            "redirect_uris",
            "scope",
            "token_endpoint_auth_method",
            "grant_types",
            "response_types",
        ] {
            assert!(json.get(member).is_some(), "{member}");
        }
        let (back, warnings) = parse_registration_response(&json, &registration).unwrap();
        assert_eq!(back, response);
        assert!(warnings.is_empty());
    }

    #[test]
    fn defaults_are_filled_in() {
        let mut body = spec_request();
        for name in [
            "token_endpoint_auth_method",
            "grant_types",
            "response_types",
        ] {
            body.as_object_mut().unwrap().remove(name);
        }
        let registration = validate_registration(&body, &SUPPORTED).unwrap();
        assert_eq!(
            registration.token_endpoint_auth_method.as_deref(),
            Some("client_secret_basic")
        );
        assert_eq!(
            registration.grant_types.as_deref(),
            Some(&["authorization_code".to_owned()][..])
        );
        assert_eq!(
            registration.response_types.as_deref(),
            Some(&["code".to_owned()][..])
        );
    }

    #[test]
    fn every_required_member_is_required_and_named() {
        for name in [
            "client_name",
            "client_uri",
            "logo_uri",
            "tos_uri",
            "policy_uri",
            "software_id",
            "software_version",
            "redirect_uris",
            "scope",
        ] {
            let mut body = spec_request();
            body.as_object_mut().unwrap().remove(name);
            let error = refused(&body);
            let expected = if name == "redirect_uris" {
                RegistrationErrorCode::InvalidRedirectUri
            } else {
                RegistrationErrorCode::InvalidClientMetadata
            };
            assert_eq!(error.code, expected, "{name}");
            assert!(
                error.description.contains(name),
                "{name}: {}",
                error.description
            );
        }
        assert_eq!(
            refused(&json!("x")).code,
            RegistrationErrorCode::InvalidClientMetadata
        );
    }

    #[test]
    fn metadata_faults_are_invalid_client_metadata() {
        let cases: Vec<(&str, Value)> = vec![
            ("client_name", json!(42)),
            ("client_name", json!("")),
            ("client_name", json!("line\nbreak")),
            ("client_name", json!("x".repeat(MAX_MEMBER_BYTES + 1))),
            ("client_uri", json!("http://client.1edtech.org/")),
            ("client_uri", json!("client.1edtech.org")),
            ("logo_uri", json!("https://cdn.example/logo.png")),
            ("tos_uri", json!("http://client.1edtech.org/terms")),
            (
                "policy_uri",
                json!("https://user:pw@client.1edtech.org/privacy"),
            ),
            ("token_endpoint_auth_method", json!("none")),
            ("token_endpoint_auth_method", json!("client_secret_post")),
            ("grant_types", json!("authorization_code")),
            ("grant_types", json!(["client_credentials"])),
            ("grant_types", json!(["refresh_token"])),
            ("grant_types", json!([])),
            ("response_types", json!(["token"])),
            ("contacts", json!("admin@client.1edtech.org")),
            (
                "scope",
                json!("https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"),
            ),
            ("scope", json!("openid offline_access")),
        ];
        for (name, value) in cases {
            let mut body = spec_request();
            body[name] = value.clone();
            let error = refused(&body);
            assert_eq!(
                error.code,
                RegistrationErrorCode::InvalidClientMetadata,
                "{name} = {value}"
            );
            assert!(
                error.description.contains(name),
                "{name}: {}",
                error.description
            );
        }
    }

    #[test]
    fn redirect_uri_faults_are_invalid_redirect_uri() {
        let cases = [
            json!("https://client.1edtech.org/Authorize"),
            json!([]),
            json!([42]),
            json!(["/Authorize"]),
            json!(["http://client.1edtech.org/Authorize"]),
            json!(["https://other.example/Authorize"]),
            json!(["https://client.1edtech.org/Authorize#frag"]),
            json!(["http://127.0.0.1:8080/cb#frag"]),
            json!(["http://localhost:8080/callback"]),
            json!(["com.example.app:/callback"]),
            json!(["https://u:p@client.1edtech.org/cb"]),
            json!((0..=MAX_REDIRECT_URIS)
                .map(|i| format!("https://client.1edtech.org/{i}"))
                .collect::<Vec<_>>()),
        ];
        for value in cases {
            let mut body = spec_request();
            body["redirect_uris"] = value.clone();
            let error = refused(&body);
            assert_eq!(
                error.code,
                RegistrationErrorCode::InvalidRedirectUri,
                "{value}"
            );
            assert!(
                error.description.contains("redirect_uris"),
                "{}",
                error.description
            );
        }
    }

    #[test]
    fn loopback_redirect_uris_are_exempt_from_https_and_the_hostname_rule() {
        let mut body = spec_request();
        body["redirect_uris"] = json!([
            "http://127.0.0.1/callback",
            "http://127.0.0.1:51004/callback",
            "http://[::1]:8080/cb?x=1",
            "https://client.1edtech.org/Authorize"
        ]);
        let registration = validate_registration(&body, &SUPPORTED).unwrap();
        assert_eq!(registration.redirect_uris.len(), 4);
    }

    #[test]
    fn error_bodies_have_the_rfc7591_shape_and_ascii_descriptions() {
        let mut body = spec_request();
        body["grant_types"] = json!(["urn:\"quoted\"\\é"]);
        let error = refused(&body);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["error"], "invalid_client_metadata");
        let description = json["error_description"].as_str().unwrap();
        assert!(
            description
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
            "{description}"
        );
    }

    #[test]
    fn redirect_uri_matching_is_exact_except_the_loopback_port() {
        let matches = [
            ("https://client.example/cb", "https://client.example/cb"),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:51004/callback",
            ),
            (
                "http://127.0.0.1:8080/callback",
                "http://127.0.0.1:9090/callback",
            ),
            ("http://[::1]/cb?a=1", "http://[::1]:4000/cb?a=1"),
        ];
        for (registered, requested) in matches {
            assert!(
                redirect_uri_matches(registered, requested),
                "{registered} ~ {requested}"
            );
        }
        let differ = [
            ("https://client.example/cb", "https://client.example/cb/"),
            ("https://client.example/cb", "https://client.example:443/cb"),
            ("https://client.example/cb", "https://CLIENT.example/cb"),
            (
                "https://client.example:8443/cb",
                "https://client.example:9443/cb",
            ),
            ("https://client.example/cb", "https://client.example/cb?x=1"),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:51004/callback/",
            ),
            ("http://127.0.0.1/callback", "http://127.0.0.1:51004/other"),
            ("http://127.0.0.1/callback", "http://[::1]:51004/callback"),
            (
                "http://127.0.0.1/callback",
                "http://localhost:51004/callback",
            ),
            (
                "http://127.0.0.1/callback",
                "https://127.0.0.1:51004/callback",
            ),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:51004/callback#x",
            ),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:99999/callback",
            ),
            ("http://127.0.0.1/callback", "http://127.0.0.1:/callback"),
            ("http://127.0.0.1/callback", "http://127.1:5000/callback"),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1@evil.example/callback",
            ),
            (
                "http://localhost/callback",
                "http://localhost:5000/callback",
            ),
        ];
        for (registered, requested) in differ {
            assert!(
                !redirect_uri_matches(registered, requested),
                "{registered} !~ {requested}"
            );
        }
    }
}
