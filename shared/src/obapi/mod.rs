//! The Open Badges 3.0 API (OB 3.0 §6–7 and its OpenAPI) — the rules provider and consumer
//! share, sans I/O.
//!
//! The issuer (`passerelle-issuer serve`) is a provider of the API for its own learners; the wallet
//! (`passerelle-wallet connect`) a consumer of any provider. Every rule that needs no database,
//! socket or clock lives here:
//!
//! - [`discovery`]: the Service Description Document (SDD) a provider serves at
//!   `{base}/ims/ob/v3p0/discovery`, and the consumer's reading of any provider's SDD.
//! - [`registration`]: OAuth 2.0 dynamic client registration as OB 3.0 §7.1.1 profiles
//!   RFC 7591 (required members, https on one hostname, loopback redirect URIs of RFC 8252 §7.3).
//! - [`pkce`]: RFC 7636 with the only method OB 3.0 allows, `S256`.
//! - [`paging`]: `limit` / `offset` / `since`, the RFC 8288 `Link` header both ways, and the
//!   `GetOpenBadgeCredentialsResponse` body.
//! - [`status_info`]: the `imsx_StatusInfo` error payload of the resource endpoints.
//! - [`token`]: RFC 6749 token and error responses, HTTP Basic client authentication
//!   (§2.3.1) and the ASCII rule for `error_description`.
//! - this module: the API path, the four scopes and scope lists.
//!
//! ```
//! use passerelle_core::obapi::{self, pkce, Scope};
//!
//! let url = obapi::api_url("https://learn.example/tenant/", "credentials")?;
//! assert_eq!(url.as_str(), "https://learn.example/tenant/ims/ob/v3p0/credentials");
//!
//! let asked = obapi::parse_scope(&format!("{} offline_access", Scope::CredentialReadonly.uri()));
//! assert_eq!(asked.known, [Scope::CredentialReadonly]);
//! assert!(asked.offline_access);
//!
//! // RFC 7636 Appendix B.
//! let challenge = pkce::code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
//! assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
//! # Ok::<(), obapi::ObApiError>(())
//! ```

pub mod discovery;
pub mod paging;
pub mod pkce;
pub mod registration;
pub mod status_info;
pub mod token;

use std::fmt;

use url::Url;

pub use discovery::{
    parse_service_description, service_description, ProviderDescription, ServiceDescription,
    OPENAPI_VERSION, SECURITY_SCHEME,
};
pub use paging::{
    credentials_response, find_link, pagination_links, parse_credentials_response,
    parse_link_header, parse_since, CredentialsPage, PageRequest, DEFAULT_LIMIT, MAX_LIMIT,
};
pub use pkce::{code_challenge_s256, is_valid_code_challenge, is_valid_code_verifier, verify_s256};
pub use registration::{
    is_loopback_redirect_uri, parse_registration_response, redirect_uri_matches,
    validate_registration, ClientRegistration, RegisteredClient, RegistrationError,
    RegistrationErrorCode, MAX_REGISTRATION_BYTES,
};
pub use status_info::{CodeMajor, CodeMinor, Severity, StatusInfo};
pub use token::{
    basic_authorization, error_text, parse_basic_authorization, parse_oauth_error,
    parse_token_response, OAuthError, TokenResponse,
};

/// Where the API lives under a provider's base URL (OB 3.0 §6.1: `{baseUrl}/ims/ob/v3p0/…`).
pub const API_PATH: &str = "/ims/ob/v3p0";
/// The common prefix of the four OB 3.0 scopes.
pub const SCOPE_PREFIX: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/";
/// The OpenID Connect scope some clients send (the spec's own examples do) to ask for a refresh
/// token. Accepted and ignored: refresh tokens are issued without it.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Why an OB 3.0 API document, URL or parameter was refused. Each variant names the member or
/// parameter and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObApiError {
    /// The provider base URL cannot carry the API path.
    #[error("the provider base URL {url:?} {reason}")]
    BaseUrl { url: String, reason: String },
    /// A resource name is not a plain path below the API path.
    #[error("the API resource {resource:?} must be a relative path without query or fragment")]
    Resource { resource: String },
    /// A member of a document is missing or has the wrong type or value.
    #[error("{document}: member {member} {expected}")]
    Member {
        document: &'static str,
        /// Where the member is, in the style `components.securitySchemes.OAuth2ACG.type`.
        member: String,
        expected: String,
    },
    /// A member that must be a URL is not one this side can use.
    #[error("{document}: member {member} is {value:?}, expected {expected}")]
    Url {
        document: &'static str,
        member: String,
        value: String,
        expected: String,
    },
    /// A query parameter of a resource request is not acceptable (answered with imsx
    /// `invalid_query_parameter`).
    #[error("query parameter {name} is {value:?}, expected {expected}")]
    QueryParameter {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// `base` + [`API_PATH`] + `/resource`, keeping the base's own path (a provider may live below
/// a path, as the spec's `/tenant/ims/ob/v3p0/discovery` example does) and never doubling a
/// slash. `resource` may be empty (the API root, the SDD's `servers` URL).
pub fn api_url(base: &str, resource: &str) -> Result<Url, ObApiError> {
    let refuse = |reason: &str| ObApiError::BaseUrl {
        url: base.to_owned(),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(base).map_err(|e| refuse(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(refuse("must be an https (or http) URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("must not have a query or a fragment"));
    }
    let resource_ok = !resource.starts_with('/')
        && !resource.contains(['?', '#', '\\'])
        && !resource.split('/').any(|s| s == "." || s == "..");
    if !resource_ok {
        return Err(ObApiError::Resource {
            resource: resource.to_owned(),
        });
    }
    let mut path = url.path().trim_end_matches('/').to_owned();
    path.push_str(API_PATH);
    if !resource.is_empty() {
        path.push('/');
        path.push_str(resource);
    }
    url.set_path(&path);
    Ok(url)
}

/// The four scopes of OB 3.0 §6.3 (one per operation group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scope {
    /// `getCredentials`.
    CredentialReadonly,
    /// `upsertCredential` (a backpack's operation).
    CredentialUpsert,
    /// `getProfile`.
    ProfileReadonly,
    /// `putProfile`.
    ProfileUpdate,
}

impl Scope {
    /// The four, in the order the spec lists them in its SDD example's table of scopes.
    pub const ALL: [Scope; 4] = [
        Scope::CredentialReadonly,
        Scope::CredentialUpsert,
        Scope::ProfileReadonly,
        Scope::ProfileUpdate,
    ];

    /// The scope URI.
    pub fn uri(self) -> &'static str {
        match self {
            Scope::CredentialReadonly => {
                "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
            }
            Scope::CredentialUpsert => {
                "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"
            }
            Scope::ProfileReadonly => {
                "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
            }
            Scope::ProfileUpdate => "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update",
        }
    }

    /// The scope for its URI (exact, case-sensitive: RFC 6749 §3.3 scope tokens are).
    pub fn from_uri(uri: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.uri() == uri)
    }

    /// What the scope lets an app do, in plain words for the person approving it.
    pub fn plain_words(self) -> &'static str {
        match self {
            Scope::CredentialReadonly => "Read your badges",
            Scope::CredentialUpsert => "Add badges to your collection or change them",
            Scope::ProfileReadonly => "Read your profile",
            Scope::ProfileUpdate => "Change your profile",
        }
    }

    /// The description written into the SDD's table of scopes.
    pub fn description(self) -> &'static str {
        match self {
            Scope::CredentialReadonly => {
                "Read the OpenBadgeCredentials of the person who approved the access."
            }
            Scope::CredentialUpsert => {
                "Create or update OpenBadgeCredentials of the person who approved the access."
            }
            Scope::ProfileReadonly => "Read the profile of the person who approved the access.",
            Scope::ProfileUpdate => "Update the profile of the person who approved the access.",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uri())
    }
}

/// A scope list as a client sent it, sorted out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeRequest {
    /// The OB 3.0 scopes asked for, each once, in the order first asked.
    pub known: Vec<Scope>,
    /// `offline_access` was in the list.
    pub offline_access: bool,
    /// Any other scope token, each once, in order.
    pub unknown: Vec<String>,
}

impl ScopeRequest {
    /// The known scopes that are also in `supported`, in the order asked.
    pub fn supported(&self, supported: &[Scope]) -> Vec<Scope> {
        self.known
            .iter()
            .copied()
            .filter(|scope| supported.contains(scope))
            .collect()
    }
}

/// Reads a space-separated scope list (RFC 6749 §3.3). Runs of whitespace count as one
/// separator; repeated tokens are kept once.
pub fn parse_scope(list: &str) -> ScopeRequest {
    let mut request = ScopeRequest::default();
    for token in list.split_ascii_whitespace() {
        if token == OFFLINE_ACCESS {
            request.offline_access = true;
        } else if let Some(scope) = Scope::from_uri(token) {
            if !request.known.contains(&scope) {
                request.known.push(scope);
            }
        } else if !request.unknown.iter().any(|t| t == token) {
            request.unknown.push(token.to_owned());
        }
    }
    request
}

/// The scope list for `scopes`: their URIs separated by one space, each once.
pub fn scope_string(scopes: &[Scope]) -> String {
    let mut seen: Vec<Scope> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        if !seen.contains(scope) {
            seen.push(*scope);
        }
    }
    seen.iter()
        .map(|scope| scope.uri())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_keeps_the_base_path_and_never_doubles_a_slash() {
        let cases = [
            (
                "https://learn.example",
                "discovery",
                "https://learn.example/ims/ob/v3p0/discovery",
            ),
            (
                "https://learn.example/",
                "discovery",
                "https://learn.example/ims/ob/v3p0/discovery",
            ),
            // The spec's own example: GET /tenant/ims/ob/v3p0/discovery.
            (
                "https://1edtech.org/tenant",
                "discovery",
                "https://1edtech.org/tenant/ims/ob/v3p0/discovery",
            ),
            (
                "https://1edtech.org/tenant/",
                "credentials",
                "https://1edtech.org/tenant/ims/ob/v3p0/credentials",
            ),
            (
                "https://learn.example:8443/a/b//",
                "profile",
                "https://learn.example:8443/a/b/ims/ob/v3p0/profile",
            ),
            (
                "https://learn.example",
                "",
                "https://learn.example/ims/ob/v3p0",
            ),
            (
                "http://127.0.0.1:8080",
                "discovery",
                "http://127.0.0.1:8080/ims/ob/v3p0/discovery",
            ),
        ];
        for (base, resource, expected) in cases {
            assert_eq!(
                api_url(base, resource).unwrap().as_str(),
                expected,
                "{base} + {resource}"
            );
        }
    }

    #[test]
    fn api_url_refuses_what_cannot_be_a_base() {
        for base in [
            "learn.example",
            "mailto:a@learn.example",
            "ftp://learn.example",
            "https://learn.example/?tenant=1",
            "https://learn.example/#x",
        ] {
            assert!(
                matches!(api_url(base, "discovery"), Err(ObApiError::BaseUrl { .. })),
                "{base}"
            );
        }
        for resource in ["/credentials", "credentials?limit=1", "../admin", "a#b"] {
            assert!(
                matches!(
                    api_url("https://learn.example", resource),
                    Err(ObApiError::Resource { .. })
                ),
                "{resource}"
            );
        }
    }

    #[test]
    fn the_four_scopes_round_trip_and_share_the_spec_prefix() {
        for scope in Scope::ALL {
            assert!(scope.uri().starts_with(SCOPE_PREFIX));
            assert_eq!(Scope::from_uri(scope.uri()), Some(scope));
            assert!(!scope.plain_words().is_empty());
        }
        assert_eq!(
            Scope::from_uri(&Scope::CredentialReadonly.uri().to_uppercase()),
            None
        );
        assert_eq!(Scope::from_uri("credential.readonly"), None);
    }

    #[test]
    fn the_spec_example_scope_list_is_sorted_out() {
        // The registration request example of OB 3.0 §7.1.1.
        let list = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert offline_access";
        let request = parse_scope(list);
        assert_eq!(
            request.known,
            [Scope::CredentialReadonly, Scope::CredentialUpsert]
        );
        assert!(request.offline_access);
        assert!(request.unknown.is_empty());
        assert_eq!(
            request.supported(&[Scope::CredentialReadonly, Scope::ProfileReadonly]),
            [Scope::CredentialReadonly]
        );
    }

    #[test]
    fn scope_lists_dedup_keep_order_and_tolerate_whitespace() {
        let p = Scope::ProfileReadonly.uri();
        let c = Scope::CredentialReadonly.uri();
        let request = parse_scope(&format!("  {p}\t{c}  {p} openid openid  "));
        assert_eq!(
            request.known,
            [Scope::ProfileReadonly, Scope::CredentialReadonly]
        );
        assert_eq!(request.unknown, ["openid"]);
        assert!(!request.offline_access);
        assert_eq!(parse_scope(""), ScopeRequest::default());
        assert_eq!(
            scope_string(&[
                Scope::ProfileReadonly,
                Scope::CredentialReadonly,
                Scope::ProfileReadonly
            ]),
            format!("{p} {c}")
        );
        assert_eq!(scope_string(&[]), "");
        assert_eq!(parse_scope(&scope_string(&Scope::ALL)).known, Scope::ALL);
    }
}
