//! The Service Description Document (OB 3.0 §7.1.1 "Request the Service Description Document"
//! and the OpenAPI schemas `ServiceDescriptionDocument`, `OpenApiInfo`,
//! `OpenApiOAuth2SecurityScheme`): what a provider serves at `{base}/ims/ob/v3p0/discovery`, and
//! what a consumer takes from any provider's.

use serde_json::{json, Map, Value};
use url::{Host, Url};

use super::{api_url, ObApiError, Scope, API_PATH};

/// The OpenAPI version of the document served (the spec's file is OpenAPI 3.0.1).
pub const OPENAPI_VERSION: &str = "3.0.1";
/// The name of the security scheme in `components.securitySchemes` (the only one the
/// `OpenApiSecuritySchemes` schema allows).
pub const SECURITY_SCHEME: &str = "OAuth2ACG";

const DOCUMENT: &str = "the service description document";

/// What a provider says about itself in its SDD.
#[derive(Debug, Clone, Copy)]
pub struct ProviderDescription<'a> {
    /// The provider base URL (the API lives at `base_url` + [`API_PATH`]).
    pub base_url: &'a str,
    /// `info.title`: the provider's name, shown to the person connecting an app.
    pub title: &'a str,
    /// `info.version`: the version of the provider's API document.
    pub version: &'a str,
    /// `info.termsOfService`.
    pub terms_of_service: &'a str,
    /// `info.x-imssf-privacyPolicyUrl` (and the security scheme's, as the prose asks).
    pub privacy_policy: &'a str,
    /// `info.x-imssf-image`: a URL or a data URI.
    pub image: Option<&'a str>,
    /// `x-imssf-registrationUrl`.
    pub registration_url: &'a str,
    /// `flows.authorizationCode.authorizationUrl`.
    pub authorization_url: &'a str,
    /// `flows.authorizationCode.tokenUrl`, also its `refreshUrl`.
    pub token_url: &'a str,
    /// The scopes the provider grants. The document lists all four (they are the spec's);
    /// the operations of the others are left out of `paths`.
    pub supported: &'a [Scope],
}

/// A profiled OB 3.0 OpenAPI document for the provider: `info`, `servers`, the paths of the
/// read operations (`/credentials` and `/profile` when their scope is supported, `/discovery`)
/// with their responses and security, the `OAuth2ACG` security scheme and the schemas the
/// responses refer to. The credential items refer to the published AchievementCredential JSON
/// Schema rather than carrying a copy of it.
pub fn service_description(p: &ProviderDescription) -> Value {
    let servers_url = api_url(p.base_url, "")
        .map(String::from)
        .unwrap_or_else(|_| format!("{}{API_PATH}", p.base_url.trim_end_matches('/')));
    let mut info = json!({
        "title": p.title,
        "description": "The Open Badges 3.0 API of this provider (1EdTech Open Badges 3.0, section 6).",
        "version": p.version,
        "termsOfService": p.terms_of_service,
        "x-imssf-privacyPolicyUrl": p.privacy_policy,
    });
    if let (Some(image), Some(info)) = (p.image, info.as_object_mut()) {
        info.insert("x-imssf-image".into(), image.into());
    }
    let scopes: Map<String, Value> = Scope::ALL
        .iter()
        .map(|scope| (scope.uri().to_owned(), scope.description().into()))
        .collect();
    let mut paths = Map::new();
    if p.supported.contains(&Scope::CredentialReadonly) {
        paths.insert(
            "/credentials".into(),
            json!({ "get": get_credentials_operation() }),
        );
    }
    if p.supported.contains(&Scope::ProfileReadonly) {
        paths.insert("/profile".into(), json!({ "get": get_profile_operation() }));
    }
    paths.insert(
        "/discovery".into(),
        json!({ "get": {
            "tags": ["Discovery"],
            "summary": "The Service Description Document of this provider.",
            "operationId": "getServiceDescription",
            "responses": {
                "200": {
                    "description": "This document.",
                    "content": { "application/json": { "schema": { "type": "object" } } }
                },
                "default": status_info_response("The request cannot be served.")
            }
        }}),
    );
    json!({
        "openapi": OPENAPI_VERSION,
        "info": info,
        "servers": [{ "url": servers_url, "description": "The Open Badges 3.0 API of this provider." }],
        "tags": [
            { "name": "OpenBadgeCredentials", "description": "Reading a person's OpenBadgeCredentials and profile." },
            { "name": "Discovery", "description": "The Service Description Document." }
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant with PKCE (S256), as 1EdTech Open Badges 3.0 section 7 requires.",
                    "x-imssf-registrationUrl": p.registration_url,
                    "x-imssf-privacyPolicyUrl": p.privacy_policy,
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": p.authorization_url,
                            "tokenUrl": p.token_url,
                            "refreshUrl": p.token_url,
                            "scopes": scopes
                        }
                    }
                }
            },
            "headers": {
                "X-Total-Count": {
                    "description": "How many OpenBadgeCredentials there are in all, over every page.",
                    "schema": { "type": "integer", "format": "int32" }
                }
            },
            "links": {
                "next": paging_link("The next page."),
                "last": paging_link("The last page."),
                "first": paging_link("The first page."),
                "prev": paging_link("The previous page.")
            },
            "schemas": schemas()
        }
    })
}

fn paging_link(description: &str) -> Value {
    json!({
        "operationId": "getCredentials",
        "parameters": { "limit": "$request.query.limit", "offset": "$request.query.offset" },
        "description": description
    })
}

fn status_info_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Imsx_StatusInfo" } } }
    })
}

fn error_responses(statuses: &[(&str, &str)]) -> Map<String, Value> {
    statuses
        .iter()
        .map(|(status, description)| ((*status).to_owned(), status_info_response(description)))
        .collect()
}

const ERRORS: [(&str, &str); 6] = [
    (
        "400",
        "The request has a parameter that is not acceptable (imsx invalid_query_parameter).",
    ),
    (
        "401",
        "No access token, or one that is unknown, expired or revoked (imsx unauthorizedrequest).",
    ),
    (
        "403",
        "The access token lacks the scope of the operation (imsx forbidden).",
    ),
    (
        "405",
        "The method is not allowed on this resource (imsx not_allowed).",
    ),
    ("500", "Something went wrong on the provider."),
    ("default", "The request cannot be served."),
];

fn get_credentials_operation() -> Value {
    let mut responses = error_responses(&ERRORS);
    responses.insert(
        "200".into(),
        json!({
            "description": "The OpenBadgeCredentials of the person who approved the access, one page of them.",
            "headers": { "X-Total-Count": { "$ref": "#/components/headers/X-Total-Count" } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/GetOpenBadgeCredentialsResponse" } } },
            "links": {
                "next": { "$ref": "#/components/links/next" },
                "last": { "$ref": "#/components/links/last" },
                "first": { "$ref": "#/components/links/first" },
                "prev": { "$ref": "#/components/links/prev" }
            }
        }),
    );
    let integer = |minimum: u64, description: &str, name: &str| {
        json!({
            "name": name, "in": "query", "required": false, "allowEmptyValue": false, "style": "form",
            "description": description,
            "schema": { "type": "integer", "format": "int32", "minimum": minimum }
        })
    };
    json!({
        "tags": ["OpenBadgeCredentials"],
        "summary": "getCredentials",
        "operationId": "getCredentials",
        "parameters": [
            integer(1, "How many OpenBadgeCredentials to return at most (25 by default, at most 100).", "limit"),
            integer(0, "The index of the first OpenBadgeCredential to return, from 0.", "offset"),
            {
                "name": "since", "in": "query", "required": false, "allowEmptyValue": false, "style": "form",
                "description": "Only OpenBadgeCredentials issued after this time (ISO 8601; UTC when no offset is given).",
                "schema": { "type": "string", "format": "date-time" }
            }
        ],
        "responses": responses,
        "security": [{ SECURITY_SCHEME: [Scope::CredentialReadonly.uri()] }]
    })
}

fn get_profile_operation() -> Value {
    let mut responses = error_responses(&ERRORS);
    responses.insert(
        "200".into(),
        json!({
            "description": "The profile of the person who approved the access.",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Profile" } } }
        }),
    );
    responses.insert(
        "404".into(),
        status_info_response("There is no profile (imsx not_found)."),
    );
    json!({
        "tags": ["OpenBadgeCredentials"],
        "summary": "getProfile",
        "operationId": "getProfile",
        "responses": responses,
        "security": [{ SECURITY_SCHEME: [Scope::ProfileReadonly.uri()] }]
    })
}

fn schemas() -> Value {
    let minor_values: Vec<&str> = super::CodeMinor::ALL.iter().map(|m| m.as_str()).collect();
    json!({
        "GetOpenBadgeCredentialsResponse": {
            "type": "object",
            "properties": {
                "credential": {
                    "type": "array", "minItems": 0,
                    "description": "OpenBadgeCredentials not secured as VC-JWT.",
                    "items": { "$ref": crate::model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA }
                },
                "compactJwsString": {
                    "type": "array", "minItems": 0,
                    "description": "OpenBadgeCredentials secured as VC-JWT, as compact JWS strings (RFC 7515).",
                    "items": { "type": "string", "pattern": "^[a-zA-Z0-9_-]+\\.[a-zA-Z0-9_-]*\\.[a-zA-Z0-9_-]+$" }
                }
            },
            "additionalProperties": false
        },
        "Profile": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {
                "id": { "type": "string", "description": "A URI identifying the person, pairwise: different for each app." },
                "type": { "type": "array", "items": { "type": "string" }, "contains": { "enum": ["Profile"] } }
            },
            "additionalProperties": true
        },
        "Imsx_StatusInfo": {
            "type": "object",
            "required": ["imsx_codeMajor", "imsx_severity"],
            "properties": {
                "imsx_codeMajor": { "type": "string", "enum": ["failure", "processing", "success", "unsupported"] },
                "imsx_severity": { "type": "string", "enum": ["error", "status", "warning"] },
                "imsx_description": { "type": "string" },
                "imsx_codeMinor": { "$ref": "#/components/schemas/Imsx_CodeMinor" }
            },
            "additionalProperties": false
        },
        "Imsx_CodeMinor": {
            "type": "object",
            "required": ["imsx_codeMinorField"],
            "properties": {
                "imsx_codeMinorField": {
                    "type": "array", "minItems": 1,
                    "items": { "$ref": "#/components/schemas/Imsx_CodeMinorField" }
                }
            },
            "additionalProperties": false
        },
        "Imsx_CodeMinorField": {
            "type": "object",
            "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
            "properties": {
                "imsx_codeMinorFieldName": { "type": "string" },
                "imsx_codeMinorFieldValue": { "type": "string", "enum": minor_values }
            },
            "additionalProperties": false
        }
    })
}

/// What a consumer takes from a provider's SDD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDescription {
    pub title: String,
    pub terms_of_service: String,
    pub privacy_policy: String,
    /// A URL or a data URI, as given.
    pub image: Option<String>,
    pub registration_url: Url,
    pub authorization_url: Url,
    pub token_url: Url,
    pub refresh_url: Option<Url>,
    /// The scope URIs of the authorization code flow, in document order.
    pub scopes: Vec<String>,
    /// `servers[0].url`, or the base URL + [`API_PATH`] when the document has no servers.
    pub api_base: Url,
}

impl ServiceDescription {
    /// The OB 3.0 scopes the provider lists.
    pub fn known_scopes(&self) -> Vec<Scope> {
        self.scopes
            .iter()
            .filter_map(|s| Scope::from_uri(s))
            .collect()
    }

    /// The URL of an API resource (`credentials`, `profile`) under [`Self::api_base`].
    pub fn resource_url(&self, resource: &str) -> Url {
        let mut url = self.api_base.clone();
        let path = format!(
            "{}/{}",
            url.path().trim_end_matches('/'),
            resource.trim_start_matches('/')
        );
        url.set_path(&path);
        url.set_query(None);
        url
    }
}

/// Reads a provider's SDD: the members the `ServiceDescriptionDocument`, `OpenApiInfo` and
/// `OpenApiOAuth2SecurityScheme` schemas require, and the OpenAPI authorization code flow's URLs
/// and scopes. `base` is the provider base URL the person gave.
///
/// Lenient where providers (and the spec's own examples) are known to differ, each time with a
/// warning: a URL without a scheme (`"provider.example.com/token"`) is read as https; a relative
/// URL is resolved against the document's own URL (`base` + `/ims/ob/v3p0/discovery`, as OpenAPI
/// 3.0 says of server URLs); a privacy-policy URL only in the security scheme (where the prose puts
/// it) stands in for the one `OpenApiInfo` requires. The OAuth endpoints must be https — http only
/// on a loopback address, with a warning.
pub fn parse_service_description(
    doc: &Value,
    base: &Url,
) -> Result<(ServiceDescription, Vec<String>), ObApiError> {
    let mut warnings = Vec::new();
    let location = api_url(base.as_str(), "discovery")?;
    let root = object(doc, "(the document)")?;
    let openapi = string(root, "openapi", "openapi")?;
    if !openapi.starts_with("3.") {
        warnings.push(format!(
            "the document says it is OpenAPI {openapi:?}; OB 3.0 prescribes an OpenAPI 3.0 document"
        ));
    }
    let info = object(member(root, "info", "info")?, "info")?;
    let title = string(info, "title", "info.title")?.to_owned();
    string(info, "version", "info.version")?;
    let terms_raw = string(info, "termsOfService", "info.termsOfService")?;
    let terms_of_service =
        any_url(terms_raw, "info.termsOfService", &location, &mut warnings)?.to_string();

    let components = object(member(root, "components", "components")?, "components")?;
    let schemes = object(
        member(components, "securitySchemes", "components.securitySchemes")?,
        "components.securitySchemes",
    )?;
    let scheme_path = format!("components.securitySchemes.{SECURITY_SCHEME}");
    let scheme = object(
        member(schemes, SECURITY_SCHEME, &scheme_path)?,
        &scheme_path,
    )?;
    let type_path = format!("{scheme_path}.type");
    if string(scheme, "type", &type_path)? != "oauth2" {
        return Err(ObApiError::Member {
            document: DOCUMENT,
            member: type_path,
            expected: "must be \"oauth2\"".into(),
        });
    }

    let privacy_raw = match info.get("x-imssf-privacyPolicyUrl") {
        Some(_) => string(
            info,
            "x-imssf-privacyPolicyUrl",
            "info.x-imssf-privacyPolicyUrl",
        )?,
        None => match scheme
            .get("x-imssf-privacyPolicyUrl")
            .and_then(Value::as_str)
        {
            Some(url) => {
                warnings.push(format!(
                    "info.x-imssf-privacyPolicyUrl is missing; using the one of {scheme_path}"
                ));
                url
            }
            None => {
                return Err(missing("info.x-imssf-privacyPolicyUrl", "a string"));
            }
        },
    };
    let privacy_policy = any_url(
        privacy_raw,
        "info.x-imssf-privacyPolicyUrl",
        &location,
        &mut warnings,
    )?
    .to_string();
    let image = match info.get("x-imssf-image") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            warnings.push("info.x-imssf-image is not a string; ignored".into());
            None
        }
    };

    let registration_path = format!("{scheme_path}.x-imssf-registrationUrl");
    let registration_url = endpoint_url(
        string(scheme, "x-imssf-registrationUrl", &registration_path)?,
        &registration_path,
        &location,
        &mut warnings,
    )?;
    let flows_path = format!("{scheme_path}.flows");
    let flows = object(member(scheme, "flows", &flows_path)?, &flows_path)?;
    let flow_path = format!("{flows_path}.authorizationCode");
    let flow = object(member(flows, "authorizationCode", &flow_path)?, &flow_path)?;
    let mut flow_url = |name: &str| -> Result<Url, ObApiError> {
        let path = format!("{flow_path}.{name}");
        let raw = string(flow, name, &path)?;
        endpoint_url(raw, &path, &location, &mut warnings)
    };
    let authorization_url = flow_url("authorizationUrl")?;
    let token_url = flow_url("tokenUrl")?;
    let refresh_url = if flow.contains_key("refreshUrl") {
        Some(flow_url("refreshUrl")?)
    } else {
        None
    };
    let scopes_path = format!("{flow_path}.scopes");
    let scopes: Vec<String> = object(member(flow, "scopes", &scopes_path)?, &scopes_path)?
        .keys()
        .cloned()
        .collect();
    if !scopes.iter().any(|s| Scope::from_uri(s).is_some()) {
        warnings.push(format!("{scopes_path} lists none of the OB 3.0 scopes"));
    }

    let api_base = match root
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
    {
        Some(server) => match server.get("url").and_then(Value::as_str) {
            Some(raw) => endpoint_url(raw, "servers[0].url", &location, &mut warnings)?,
            None => return Err(missing("servers[0].url", "a string")),
        },
        None => api_url(base.as_str(), "")?,
    };

    Ok((
        ServiceDescription {
            title,
            terms_of_service,
            privacy_policy,
            image,
            registration_url,
            authorization_url,
            token_url,
            refresh_url,
            scopes,
            api_base,
        },
        warnings,
    ))
}

fn missing(path: &str, what: &str) -> ObApiError {
    ObApiError::Member {
        document: DOCUMENT,
        member: path.to_owned(),
        expected: format!("is required: {what}"),
    }
}

fn member<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a Value, ObApiError> {
    object.get(name).ok_or_else(|| missing(path, "an object"))
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ObApiError> {
    value.as_object().ok_or_else(|| ObApiError::Member {
        document: DOCUMENT,
        member: path.to_owned(),
        expected: format!(
            "must be an object, not {}",
            crate::input::json_type_name(value)
        ),
    })
}

fn string<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, ObApiError> {
    match object.get(name) {
        None => Err(missing(path, "a string")),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(other) => Err(ObApiError::Member {
            document: DOCUMENT,
            member: path.to_owned(),
            expected: format!(
                "must be a non-empty string, not {}",
                crate::input::json_type_name(other)
            ),
        }),
    }
}

/// A URL member read leniently (see [`parse_service_description`]), any scheme.
fn any_url(
    raw: &str,
    path: &str,
    location: &Url,
    warnings: &mut Vec<String>,
) -> Result<Url, ObApiError> {
    let bad = |expected: &str| ObApiError::Url {
        document: DOCUMENT,
        member: path.to_owned(),
        value: raw.to_owned(),
        expected: expected.to_owned(),
    };
    let raw_trimmed = raw.trim();
    match Url::parse(raw_trimmed) {
        Ok(url) => Ok(url),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            if looks_like_host_and_path(raw_trimmed) {
                let url = Url::parse(&format!("https://{raw_trimmed}"))
                    .map_err(|_| bad("a fully qualified URL"))?;
                warnings.push(format!("{path} {raw:?} has no scheme; read as {url}"));
                Ok(url)
            } else {
                let url = location
                    .join(raw_trimmed)
                    .map_err(|_| bad("a fully qualified URL"))?;
                warnings.push(format!(
                    "{path} {raw:?} is relative; resolved against {location} as {url}"
                ));
                Ok(url)
            }
        }
        Err(_) => Err(bad("a fully qualified URL")),
    }
}

/// An OAuth endpoint or API URL: https, or http on a loopback address (with a warning); no
/// fragment, no user name or password.
fn endpoint_url(
    raw: &str,
    path: &str,
    location: &Url,
    warnings: &mut Vec<String>,
) -> Result<Url, ObApiError> {
    let url = any_url(raw, path, location, warnings)?;
    let bad = |expected: &str| ObApiError::Url {
        document: DOCUMENT,
        member: path.to_owned(),
        value: raw.to_owned(),
        expected: expected.to_owned(),
    };
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad("an https URL without fragment or user name"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback_host(url.host()) => {
            warnings.push(format!("{path} is plain http on a loopback address"));
            Ok(url)
        }
        _ => Err(bad("an https URL (http only on a loopback address)")),
    }
}

fn is_loopback_host(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `provider.example.com/token`: a first segment that reads as a dotted host name (optionally
/// with a port), not `./x`, `/x` or `token`.
fn looks_like_host_and_path(raw: &str) -> bool {
    if raw.starts_with(['/', '.', '?', '#']) {
        return false;
    }
    let first = raw.split(['/', '?', '#']).next().unwrap_or_default();
    let host = first.rsplit_once(':').map_or(first, |(host, port)| {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            host
        } else {
            first
        }
    });
    host.contains('.')
        && !host.ends_with('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(supported: &[Scope]) -> ProviderDescription<'_> {
        ProviderDescription {
            base_url: "https://learn.example/tenant",
            title: "Learn Example",
            version: "1.0",
            terms_of_service: "https://learn.example/terms",
            privacy_policy: "https://learn.example/privacy",
            image: Some("https://learn.example/logo.png"),
            registration_url: "https://learn.example/tenant/oauth/register",
            authorization_url: "https://learn.example/tenant/oauth/authorize",
            token_url: "https://learn.example/tenant/oauth/token",
            supported,
        }
    }

    fn base() -> Url {
        Url::parse("https://learn.example/tenant").unwrap()
    }

    #[test]
    fn our_document_has_what_the_schemas_require_and_reads_back_without_warnings() {
        let doc = service_description(&provider(&[
            Scope::CredentialReadonly,
            Scope::ProfileReadonly,
        ]));
        // ServiceDescriptionDocument: openapi, info, components.
        assert_eq!(doc["openapi"], "3.0.1");
        // OpenApiInfo: termsOfService, title, version, x-imssf-privacyPolicyUrl.
        for member in [
            "termsOfService",
            "title",
            "version",
            "x-imssf-privacyPolicyUrl",
        ] {
            assert!(doc["info"][member].is_string(), "info.{member}");
        }
        assert_eq!(
            doc["info"]["x-imssf-image"],
            "https://learn.example/logo.png"
        );
        // OpenApiSecuritySchemes allows OAuth2ACG only; OpenApiOAuth2SecurityScheme requires
        // type (= oauth2) and x-imssf-registrationUrl.
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert_eq!(schemes.keys().collect::<Vec<_>>(), ["OAuth2ACG"]);
        let scheme = &schemes["OAuth2ACG"];
        assert_eq!(scheme["type"], "oauth2");
        assert_eq!(
            scheme["x-imssf-registrationUrl"],
            "https://learn.example/tenant/oauth/register"
        );
        let flow = &scheme["flows"]["authorizationCode"];
        assert_eq!(flow["refreshUrl"], flow["tokenUrl"]);
        let scopes = flow["scopes"].as_object().unwrap();
        assert_eq!(scopes.len(), 4);
        for scope in Scope::ALL {
            assert!(scopes[scope.uri()].is_string(), "{scope}");
        }
        assert_eq!(
            doc["servers"][0]["url"],
            "https://learn.example/tenant/ims/ob/v3p0"
        );
        // Every local $ref resolves in the document.
        check_refs(&doc, &doc);
        let get = &doc["paths"]["/credentials"]["get"];
        assert_eq!(
            get["security"][0]["OAuth2ACG"][0],
            Scope::CredentialReadonly.uri()
        );
        for status in ["200", "400", "401", "403", "405", "500", "default"] {
            assert!(get["responses"][status].is_object(), "{status}");
        }
        assert!(doc["paths"]["/profile"]["get"].is_object());
        assert!(doc["paths"]["/discovery"]["get"].is_object());

        let (read, warnings) = parse_service_description(&doc, &base()).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(read.title, "Learn Example");
        assert_eq!(read.terms_of_service, "https://learn.example/terms");
        assert_eq!(read.privacy_policy, "https://learn.example/privacy");
        assert_eq!(
            read.registration_url.as_str(),
            "https://learn.example/tenant/oauth/register"
        );
        assert_eq!(
            read.authorization_url.as_str(),
            "https://learn.example/tenant/oauth/authorize"
        );
        assert_eq!(
            read.token_url.as_str(),
            "https://learn.example/tenant/oauth/token"
        );
        assert_eq!(read.refresh_url.as_ref(), Some(&read.token_url));
        assert_eq!(read.known_scopes(), Scope::ALL);
        assert_eq!(
            read.resource_url("credentials").as_str(),
            "https://learn.example/tenant/ims/ob/v3p0/credentials"
        );
    }

    #[test]
    fn unsupported_operations_are_left_out_of_paths() {
        let doc = service_description(&provider(&[Scope::ProfileReadonly]));
        assert!(doc["paths"].get("/credentials").is_none());
        assert!(doc["paths"]["/profile"]["get"].is_object());
        check_refs(&doc, &doc);
    }

    fn check_refs(value: &Value, doc: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    if let Some(pointer) = reference.strip_prefix('#') {
                        assert!(doc.pointer(pointer).is_some(), "dangling {reference}");
                    } else {
                        assert!(
                            reference.starts_with("https://purl.imsglobal.org/"),
                            "{reference}"
                        );
                    }
                }
                map.values().for_each(|v| check_refs(v, doc));
            }
            Value::Array(items) => items.iter().for_each(|v| check_refs(v, doc)),
            _ => {}
        }
    }

    /// The fragments the spec shows (§7.1.1 "Request the Service Description Document"), with
    /// its scheme-less URLs and the privacy policy in both places.
    fn spec_example() -> Value {
        json!({
            "openapi": "3.0.1",
            "info": {
                "x-imssf-image": "https://1edtech.org/logo",
                "x-imssf-privacyPolicyUrl": "https://1edtech.org/privacy",
                "title": "Example",
                "version": "3.0",
                "termsOfService": "https://1edtech.org/tos"
            },
            "components": {
                "securitySchemes": {
                    "OAuth2ACG": {
                        "type": "oauth2",
                        "description": "OAuth 2.0 Authorization Code Grant authorization",
                        "x-imssf-registrationUrl": "1edtech.org/registration",
                        "flows": {
                            "authorizationCode": {
                                "tokenUrl": "1edtech.org/token",
                                "authorizationUrl": "1edtech.org/authorize",
                                "refreshUrl": "1edtech.org/token",
                                "scopes": {
                                    "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert": "...",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly": "...",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly": "...",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update": "..."
                                }
                            }
                        }
                    }
                }
            }
        })
    }

    #[test]
    fn the_spec_example_is_read_with_warnings_for_its_scheme_less_urls() {
        let base = Url::parse("https://1edtech.org/tenant").unwrap();
        let (read, warnings) = parse_service_description(&spec_example(), &base).unwrap();
        assert_eq!(
            read.registration_url.as_str(),
            "https://1edtech.org/registration"
        );
        assert_eq!(read.token_url.as_str(), "https://1edtech.org/token");
        assert_eq!(
            read.authorization_url.as_str(),
            "https://1edtech.org/authorize"
        );
        assert_eq!(
            read.api_base.as_str(),
            "https://1edtech.org/tenant/ims/ob/v3p0"
        );
        assert_eq!(read.image.as_deref(), Some("https://1edtech.org/logo"));
        assert_eq!(read.known_scopes().len(), 4);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(warnings.iter().all(|w| w.contains("has no scheme")));
    }

    #[test]
    fn each_required_member_is_named_when_missing() {
        let required = [
            "/openapi",
            "/info",
            "/info/title",
            "/info/version",
            "/info/termsOfService",
            "/info/x-imssf-privacyPolicyUrl",
            "/components",
            "/components/securitySchemes",
            "/components/securitySchemes/OAuth2ACG",
            "/components/securitySchemes/OAuth2ACG/type",
            "/components/securitySchemes/OAuth2ACG/x-imssf-registrationUrl",
            "/components/securitySchemes/OAuth2ACG/flows",
            "/components/securitySchemes/OAuth2ACG/flows/authorizationCode",
            "/components/securitySchemes/OAuth2ACG/flows/authorizationCode/authorizationUrl",
            "/components/securitySchemes/OAuth2ACG/flows/authorizationCode/tokenUrl",
            "/components/securitySchemes/OAuth2ACG/flows/authorizationCode/scopes",
        ];
        for pointer in required {
            let mut doc = spec_example();
            let (parent, name) = pointer.rsplit_once('/').unwrap();
            let parent = if parent.is_empty() {
                &mut doc
            } else {
                doc.pointer_mut(parent).unwrap()
            };
            parent.as_object_mut().unwrap().remove(name).unwrap();
            let error = parse_service_description(&doc, &base()).unwrap_err();
            let dotted = pointer.trim_start_matches('/').replace('/', ".");
            match &error {
                ObApiError::Member { member, .. } => assert_eq!(member, &dotted, "{pointer}"),
                other => panic!("{pointer}: {other:?}"),
            }
            assert!(error.to_string().contains(&dotted), "{error}");
        }
    }

    #[test]
    fn wrong_types_and_values_are_refused() {
        let mut doc = spec_example();
        doc["components"]["securitySchemes"]["OAuth2ACG"]["type"] = "http".into();
        let error = parse_service_description(&doc, &base()).unwrap_err();
        assert!(error.to_string().contains("oauth2"), "{error}");

        let mut doc = spec_example();
        doc["info"]["title"] = json!(["Example"]);
        assert!(matches!(
            parse_service_description(&doc, &base()),
            Err(ObApiError::Member { member, .. }) if member == "info.title"
        ));

        assert!(parse_service_description(&json!([]), &base()).is_err());

        // An OAuth endpoint over plain http to a public host is refused; loopback is allowed.
        let mut doc = spec_example();
        doc["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
            ["tokenUrl"] = "http://1edtech.org/token".into();
        assert!(matches!(
            parse_service_description(&doc, &base()),
            Err(ObApiError::Url { member, .. }) if member.ends_with("tokenUrl")
        ));
        doc["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
            ["tokenUrl"] = "http://127.0.0.1:8080/token".into();
        let (read, warnings) = parse_service_description(&doc, &base()).unwrap();
        assert_eq!(read.token_url.as_str(), "http://127.0.0.1:8080/token");
        assert!(warnings.iter().any(|w| w.contains("loopback")));
    }

    #[test]
    fn relative_urls_resolve_against_the_documents_own_url() {
        let mut doc = spec_example();
        let flow =
            &mut doc["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"];
        flow["tokenUrl"] = "/tenant/oauth/token".into();
        flow["authorizationUrl"] = "authorize".into();
        doc["servers"] = json!([{ "url": "/tenant/ims/ob/v3p0" }]);
        let (read, warnings) = parse_service_description(&doc, &base()).unwrap();
        assert_eq!(
            read.token_url.as_str(),
            "https://learn.example/tenant/oauth/token"
        );
        assert_eq!(
            read.authorization_url.as_str(),
            "https://learn.example/tenant/ims/ob/v3p0/authorize"
        );
        assert_eq!(
            read.api_base.as_str(),
            "https://learn.example/tenant/ims/ob/v3p0"
        );
        assert!(warnings.iter().any(|w| w.contains("relative")));
    }

    #[test]
    fn a_privacy_policy_only_in_the_security_scheme_is_used_with_a_warning() {
        let mut doc = spec_example();
        doc["info"]
            .as_object_mut()
            .unwrap()
            .remove("x-imssf-privacyPolicyUrl");
        doc["components"]["securitySchemes"]["OAuth2ACG"]["x-imssf-privacyPolicyUrl"] =
            "https://1edtech.org/privacy".into();
        let (read, warnings) = parse_service_description(&doc, &base()).unwrap();
        assert_eq!(read.privacy_policy, "https://1edtech.org/privacy");
        assert!(warnings
            .iter()
            .any(|w| w.contains("x-imssf-privacyPolicyUrl")));
    }

    #[test]
    fn host_and_path_heuristic() {
        for yes in [
            "provider.example.com/token",
            "1edtech.org/registration",
            "a.example:8443/x",
            "a.example",
        ] {
            assert!(looks_like_host_and_path(yes), "{yes}");
        }
        for no in [
            "token",
            "/oauth/token",
            "./token",
            "../token",
            "oauth/token",
            "a.example./x",
            "a_b.example/x",
        ] {
            assert!(!looks_like_host_and_path(no), "{no}");
        }
    }
}
