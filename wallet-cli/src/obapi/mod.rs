//! The Open Badges 3.0 API client (1EdTech OB 3.0 §6–7): the wallet as a consumer of any
//! conforming provider. Everything comes from what the provider publishes and the RFCs the
//! specification names, never from knowing who the provider is:
//! - [`discovery`]: the service description document (`GET {url}/ims/ob/v3p0/discovery`, read by
//!   the core's `passerelle_core::obapi` parser) and the RFC 8414 metadata of the URL the learner
//!   gave, for the `revocation_endpoint` the description has no field for;
//! - [`grant`]: dynamic client registration (RFC 7591, the fields OB 3.0 §7.1.1 requires), the
//!   authorization code grant with PKCE S256 and `state` through a loopback redirect (RFC 8252
//!   §7.3), the token request with HTTP Basic client authentication, refresh, revocation
//!   (RFC 7009) — the grant itself through the `oauth2` crate, whose HTTP goes through the
//!   wallet's own [`Fetcher`](crate::fetch::Fetcher) (its address rules, timeouts, size caps, no
//!   redirects);
//! - [`sync`]: every page of `GET /credentials` (following `Link: rel="next"`, bounded), each
//!   credential returned as a [`Found`](crate::source::Found) for the import policy, so it is
//!   verified like any import and a credential already stored is not stored twice.
//!
//! Nothing here prints, and no error carries a token, a code or a client secret.

pub mod discovery;
pub mod grant;
pub mod sync;

use passerelle_core::obapi::ObApiError;

use crate::fetch::FetchError;

/// The wallet's client metadata (RFC 7591 §2, OB 3.0 §7.1.1): the project's pages, all on one
/// host as the specification requires.
pub const CLIENT_NAME: &str = "Passerelle wallet";
pub const CLIENT_URI: &str = "https://github.com/passerelle/passerelle";
pub const LOGO_URI: &str = "https://github.com/passerelle.png";
pub const TOS_URI: &str = "https://github.com/passerelle/passerelle/blob/main/LICENSE";
pub const POLICY_URI: &str = "https://github.com/passerelle/passerelle/blob/main/SECURITY.md";
/// The same for every installation of this software (RFC 7591 §2: `software_id` identifies the
/// software, not the instance).
pub const SOFTWARE_ID: &str = "0b7f5f0c-9d2e-4c3a-8e51-3a9d6c2f4b17";
pub const SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The path of the loopback redirect URI.
pub const CALLBACK_PATH: &str = "/callback";

/// Why connecting to, syncing from or disconnecting from a provider failed. Each variant says
/// which step and what the provider answered (escaped by the binary before printing); none holds
/// a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObApiClientError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url} is not a usable URL: {reason}")]
    Url { url: String, reason: String },
    #[error("the provider's service description ({url}) is not usable: {source}")]
    Discovery {
        url: String,
        #[source]
        source: ObApiError,
    },
    #[error("the {what} from {url} is not what the specification defines: {reason}")]
    Malformed {
        what: &'static str,
        url: String,
        reason: String,
    },
    #[error("the provider refused the registration of the wallet ({url}, HTTP {status}): {error}{description}")]
    RegistrationRefused {
        url: String,
        status: u16,
        error: String,
        description: String,
    },
    #[error("the provider supports none of the scopes the wallet needs ({needed}); it offers: {offered}")]
    NoScope { needed: String, offered: String },
    #[error("the connection was not approved: the provider answered {error}{description}")]
    AuthorizationRefused { error: String, description: String },
    #[error("the browser came back with a `state` that does not match this connection request: refused (the answer may come from another site or an older attempt); nothing was connected")]
    StateMismatch,
    #[error("the browser came back without an authorization code (and without an error): nothing was connected")]
    NoCode,
    #[error("no answer from the browser within {seconds} seconds: nothing was connected; run `connect` again (--timeout SECS waits longer)")]
    Timeout { seconds: u64 },
    #[error("the loopback listener for the browser's answer failed: {0}")]
    Listener(#[source] std::io::Error),
    #[error("the provider's token endpoint ({url}) refused: {error}{description}")]
    TokenRefused {
        url: String,
        error: String,
        description: String,
    },
    #[error("the provider's token endpoint ({url}) gave no usable answer: {reason}")]
    Token { url: String, reason: String },
    #[error(
        "the provider did not grant the scope the wallet needs ({needed}); it granted: {granted}"
    )]
    NotGranted { needed: String, granted: String },
    #[error("the provider refused the access token at {url} (HTTP {status}{detail})")]
    Unauthorized {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{url} answered HTTP {status}{detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("the credentials of {url} run over more than {limit} pages: stopped there")]
    TooManyPages { url: String, limit: usize },
    #[error("the next page's link {next} is not on the API's origin ({origin}): not followed, so the access token stays with the provider")]
    ForeignPage { next: String, origin: String },
    #[error("the provider's revocation endpoint ({url}) refused: {reason}")]
    Revocation { url: String, reason: String },
}

impl ObApiClientError {
    /// Whether the provider refused the refresh token itself (`invalid_grant`): the grant was
    /// revoked or has expired, and only connecting again helps.
    pub fn is_revoked_grant(&self) -> bool {
        matches!(self, Self::TokenRefused { error, .. } if error == "invalid_grant")
    }
}

/// ` (description)` when the provider gave one, else nothing.
fn described(description: Option<&str>) -> String {
    match description.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => format!(" ({d})"),
        None => String::new(),
    }
}
