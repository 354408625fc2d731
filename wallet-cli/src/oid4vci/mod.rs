//! The wallet as an OpenID4VCI 1.0 client, pre-authorized code flow (§3.5): from a credential
//! offer to credentials ready for the import policy.
//!
//! The steps, each a function the binary calls in turn (it shows the offer and asks for the
//! transaction code between them; this module neither prints nor asks):
//! 1. [`resolve`]: the offer (by value, or fetched by reference, §4.1) → the issuer's metadata
//!    (§12.2.2, the path-aware well-known URL from the core), which must name the same credential
//!    issuer as the offer → the authorization server's metadata (RFC 8414) for the token endpoint
//!    → the configurations to ask for ([`metadata::choose`]). The result, [`Offer`], says what is
//!    offered and by whom.
//! 2. [`Offer::request_token`]: the token request (§6.1, a form post with the pre-authorized
//!    code and the transaction code if any).
//! 3. [`Offer::request_credential`]: a fresh `c_nonce` from the nonce endpoint (§7) when there is
//!    one, a key proof signed with the holder's key (the core's `sign_proof_jwt`: EdDSA, `kid` a
//!    did:key URL, `aud` the credential issuer), the credential request (§8.2, `proofs.jwt`) — once
//!    more with a fresh nonce on `invalid_nonce`. The credentials come back as [`Found`] texts,
//!    which `import` verifies and keeps or refuses like any other.
//! 4. [`Offer::notify`]: the notification (§11): accepted, or failure when it was not kept.
//!
//! Secrets — the pre-authorized code, the transaction code, the access token, the nonce — never
//! appear in an error or a debug print; an error description from the server is cleaned of them
//! and of terminal control characters before it is shown. Every request goes through [`Fetcher`]
//! (address policy, extra CA roots, size caps, timeouts); a POST never follows a redirect.

use std::fmt;

use passerelle_core::oid4vci::{
    self, AuthorizationServerMetadata, CredentialOffer, IssuerMetadata, OfferError, OfferLink,
    TxCode,
};
use passerelle_core::{input, verify};
use zeroize::Zeroizing;

use crate::fetch::{FetchError, Fetcher};

mod exchange;
pub mod metadata;

pub use exchange::{Access, Received};
use metadata::ChoiceError;
pub use metadata::{Chosen, CredentialFormat, Skipped};
pub use passerelle_core::oid4vci::NotificationEvent as Event;

/// Whether `text` is meant as a credential offer: the `openid-credential-offer://` scheme, or
/// any link with a `credential_offer` / `credential_offer_uri` query parameter (`haip://…`,
/// `https://wallet.example/?credential_offer_uri=…`).
pub fn looks_like_offer(text: &str) -> bool {
    let text = text.trim();
    if text.starts_with(oid4vci::OFFER_SCHEME) {
        return true;
    }
    if text.contains(char::is_whitespace) || !text.contains("://") {
        return false;
    }
    let Some((_, query)) = text.split_once('?') else {
        return false;
    };
    let query = query.split('#').next().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(name, _)| name == "credential_offer" || name == "credential_offer_uri")
}

/// The endpoint a step talks to, as messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Offer,
    IssuerMetadata,
    AuthorizationServerMetadata,
    Token,
    Nonce,
    Credential,
    Notification,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Offer => "the credential offer URI",
            Self::IssuerMetadata => "the issuer metadata",
            Self::AuthorizationServerMetadata => "the authorization server metadata",
            Self::Token => "the token endpoint",
            Self::Nonce => "the nonce endpoint",
            Self::Credential => "the credential endpoint",
            Self::Notification => "the notification endpoint",
        })
    }
}

/// Why an offer could not be received.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Oid4vciError {
    #[error("the credential offer is not usable: {0}")]
    Offer(#[source] OfferError),
    /// The offer URI's reference is a bearer secret: `url` shows where, without it.
    #[error("{endpoint} ({url}) could not be fetched: {reason}")]
    OfferFetch {
        endpoint: Endpoint,
        url: String,
        reason: String,
    },
    #[error("{endpoint} ({url}) could not be reached: {source}")]
    Fetch {
        endpoint: Endpoint,
        url: String,
        #[source]
        source: FetchError,
    },
    #[error("{endpoint} ({url}) is not usable: {source}")]
    Metadata {
        endpoint: Endpoint,
        url: String,
        #[source]
        source: OfferError,
    },
    #[error("{endpoint} ({url}) answered something this wallet cannot use: {reason}")]
    Unusable {
        endpoint: Endpoint,
        url: String,
        reason: String,
    },
    #[error(
        "refusing the offer: it says it comes from {offered}, but the issuer metadata at {url} \
         names {published} as the credential issuer. An offer is trusted only when the issuer's \
         own metadata names the same issuer (OpenID4VCI 1.0 §12.2.4); nothing was requested"
    )]
    IssuerMismatch {
        offered: String,
        published: String,
        url: String,
    },
    #[error(
        "refusing the offer: the authorization server metadata at {url} names {published} as its \
         issuer, not {expected} (RFC 8414 §3.3 requires them to be the same)"
    )]
    AuthorizationServerMismatch {
        expected: String,
        published: String,
        url: String,
    },
    #[error(
        "the offer names the authorization server {named}, which the issuer metadata does not \
         list in authorization_servers ({listed})"
    )]
    UnlistedAuthorizationServer { named: String, listed: String },
    #[error(
        "the authorization server {issuer} does not support the pre-authorized code flow \
         (its grant_types_supported lacks {})",
        oid4vci::PRE_AUTHORIZED_GRANT_TYPE
    )]
    GrantNotSupported { issuer: String },
    #[error(
        "the offer has no pre-authorized code: it is for the authorization code flow, which this \
         wallet does not support; ask the issuer for an offer with a pre-authorized code (the QR \
         code or link on the claim page)"
    )]
    NotPreAuthorized,
    #[error(
        "the offer names the credential configuration {id:?}, which the issuer metadata at {url} \
         does not describe (unknown configuration): ask the issuer for a new offer"
    )]
    UnknownConfiguration { id: String, url: String },
    #[error(
        "the offer holds no credential this wallet can store: it offers {offered}; this wallet \
         stores ldp_vc and jwt_vc_json"
    )]
    NoSupportedFormat { offered: String },
    #[error("the offer has no {format} credential: it offers {offered}; choose one of those with --format")]
    FormatNotOffered {
        format: CredentialFormat,
        offered: String,
    },
    #[error("the transaction code {reason}")]
    TxCodeShape { reason: String },
    /// An error answer of the specification (`code`: its `error` member).
    #[error("{endpoint} ({url}) refused {what} ({code}){description}{advice}")]
    Refused {
        endpoint: Endpoint,
        url: String,
        /// What was refused: "the transaction code", "the key proof", …
        what: String,
        code: String,
        /// `": <error_description>"`, cleaned, or empty.
        description: String,
        /// `". <what to do>"`, or empty.
        advice: &'static str,
    },
    /// An error status without the specification's error body.
    #[error("{endpoint} ({url}) answered HTTP {status}, without an error this wallet can read")]
    Status {
        endpoint: Endpoint,
        url: String,
        status: u16,
    },
    #[error(
        "the issuer will send the credential later (deferred issuance, transaction_id), which \
         this wallet does not support; ask the issuer to issue it at once"
    )]
    Deferred,
    #[error("cannot prove possession of the holder key for {id:?}: {reason}")]
    CannotProve { id: String, reason: String },
}

impl Oid4vciError {
    /// The token endpoint refused the code sent with a transaction code: the learner may have
    /// mistyped the code (asking again makes sense; the issuer counts the attempts).
    pub fn is_refused_tx_code(&self) -> bool {
        matches!(self, Self::Refused { endpoint: Endpoint::Token, what, code, .. }
            if code == "invalid_grant" && what.contains("transaction code"))
    }
}

/// A secret string: zeroized when dropped, never printed by `Debug`.
#[derive(Clone)]
pub(crate) struct Secret(Zeroizing<String>);

impl Secret {
    pub(crate) fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What the learner is offered, by whom, and what the wallet needs to ask for it.
#[derive(Debug)]
pub struct Offer {
    /// The credential issuer identifier (the same in the offer and in the metadata).
    pub credential_issuer: String,
    pub metadata: IssuerMetadata,
    /// Where the metadata was fetched.
    pub metadata_url: String,
    pub token_endpoint: String,
    pre_authorized_code: Secret,
    /// The transaction code the offer asks for, if any (its shape and description).
    pub tx_code: Option<TxCode>,
    /// The configurations the wallet will ask for.
    pub chosen: Vec<Chosen>,
    /// The offered configurations it will not, with why.
    pub skipped: Vec<Skipped>,
}

/// What the learner chose: the format (`--format`; else ldp_vc, else jwt_vc_json) and the
/// languages for display names (BCP 47, most wanted first).
#[derive(Debug, Clone, Default)]
pub struct Preferences {
    pub format: Option<CredentialFormat>,
    pub languages: Vec<String>,
}

const JSON: &str = "application/json";

/// Reads the offer in `text` and fetches what it needs: see the module overview, step 1.
pub fn resolve(
    text: &str,
    fetcher: &Fetcher,
    preferences: &Preferences,
) -> Result<Offer, Oid4vciError> {
    let offer = match oid4vci::parse_offer_link(text.trim()).map_err(Oid4vciError::Offer)? {
        OfferLink::ByValue(offer) => offer,
        OfferLink::ByReference(uri) => fetch_offer(&uri, fetcher)?,
    };
    // Both readings (`parse_offer_link` by value, `parse_offer_json`) have checked it.
    let grant = offer
        .pre_authorized()
        .ok_or(Oid4vciError::NotPreAuthorized)?
        .clone();
    let metadata_url = oid4vci::credential_issuer_metadata_url(&offer.credential_issuer)
        .map_err(Oid4vciError::Offer)?;
    let body = fetch_bytes(fetcher, Endpoint::IssuerMetadata, &metadata_url)?;
    let metadata =
        oid4vci::parse_issuer_metadata(&body, &offer.credential_issuer).map_err(|source| {
            match source {
                OfferError::IssuerMismatch { found, .. } => Oid4vciError::IssuerMismatch {
                    offered: offer.credential_issuer.clone(),
                    published: verify::terminal_safe(&found),
                    url: metadata_url.clone(),
                },
                source => Oid4vciError::Metadata {
                    endpoint: Endpoint::IssuerMetadata,
                    url: metadata_url.clone(),
                    source,
                },
            }
        })?;
    let listed = metadata.authorization_servers.clone().unwrap_or_default();
    let authorization_server = match &grant.authorization_server {
        Some(named) if listed.contains(named) => named.clone(),
        Some(named) => {
            return Err(Oid4vciError::UnlistedAuthorizationServer {
                named: named.clone(),
                listed: if listed.is_empty() {
                    "none: the credential issuer is its own".into()
                } else {
                    listed.join(", ")
                },
            })
        }
        None => listed
            .first()
            .cloned()
            .unwrap_or_else(|| offer.credential_issuer.clone()),
    };
    let (server, server_url) = fetch_authorization_server(fetcher, &authorization_server)?;
    let token_endpoint = server
        .pre_authorized_token_endpoint()
        .map_err(|source| match source {
            OfferError::Member { member, .. } if member == "grant_types_supported" => {
                Oid4vciError::GrantNotSupported {
                    issuer: authorization_server.clone(),
                }
            }
            source => Oid4vciError::Metadata {
                endpoint: Endpoint::AuthorizationServerMetadata,
                url: server_url.clone(),
                source,
            },
        })?
        .to_owned();
    let (chosen, skipped) = metadata::choose(
        &offer.credential_configuration_ids,
        &metadata.credential_configurations_supported,
        preferences.format,
        &preferences.languages,
    )
    .map_err(|e| match e {
        ChoiceError::Unknown { id } => Oid4vciError::UnknownConfiguration {
            id,
            url: metadata_url.clone(),
        },
        ChoiceError::NoSupportedFormat { offered } => Oid4vciError::NoSupportedFormat { offered },
        ChoiceError::FormatNotOffered { format, offered } => {
            Oid4vciError::FormatNotOffered { format, offered }
        }
    })?;
    Ok(Offer {
        credential_issuer: offer.credential_issuer,
        metadata,
        metadata_url,
        token_endpoint,
        pre_authorized_code: Secret::new(grant.pre_authorized_code),
        tx_code: grant.tx_code,
        chosen,
        skipped,
    })
}

impl Offer {
    /// The issuer's display name in the learner's `languages`, else its identifier.
    pub fn issuer_name(&self, languages: &[String]) -> String {
        metadata::pick_display(&self.metadata.display, languages)
            .and_then(|d| d.name)
            .unwrap_or_else(|| self.credential_issuer.clone())
    }

    /// Checks a transaction code against the offer's `tx_code` (`length`, `input_mode`) before
    /// it is sent, so a typo costs no attempt at the issuer.
    pub fn check_tx_code(&self, code: &str) -> Result<(), Oid4vciError> {
        let Some(expected) = &self.tx_code else {
            return Ok(());
        };
        let shape = |reason: String| Err(Oid4vciError::TxCodeShape { reason });
        if code.is_empty() {
            return shape("is empty".into());
        }
        if expected.is_numeric() && !code.chars().all(|c| c.is_ascii_digit()) {
            return shape("must be digits only (0–9)".into());
        }
        if let Some(length) = expected.length {
            let given = code.chars().count();
            if u32::try_from(given).ok() != Some(length) {
                return shape(format!("must be {length} characters long (got {given})"));
            }
        }
        Ok(())
    }
}

/// The offer behind a `credential_offer_uri` (§4.1.3: GET, `application/json`). The URI's last
/// segment and query are elided in messages: the reference is a bearer secret.
fn fetch_offer(uri: &str, fetcher: &Fetcher) -> Result<CredentialOffer, Oid4vciError> {
    let shown = shown_offer_uri(uri);
    let hide = |text: String| text.replace(uri, &shown);
    let response = fetcher
        .get(uri, JSON)
        .map_err(|e| Oid4vciError::OfferFetch {
            endpoint: Endpoint::Offer,
            url: shown.clone(),
            reason: hide(e.to_string()),
        })?;
    oid4vci::parse_offer_json(&response.body).map_err(Oid4vciError::Offer)
}

/// `https://host/path/<secret>?q` → `https://host/path/…`.
fn shown_offer_uri(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(parsed) => {
            let path = parsed.path();
            let kept = path.rsplit_once('/').map_or("", |(head, _)| head);
            format!("{}{kept}/…", parsed.origin().ascii_serialization())
        }
        Err(_) => "(an unreadable URI)".into(),
    }
}

/// RFC 8414 metadata of `issuer` (path insertion, §3.1), checked by the core to be that
/// issuer's; an issuer that publishes only OpenID Connect discovery is read from
/// `/.well-known/openid-configuration` (appended) instead. With the URL it came from.
fn fetch_authorization_server(
    fetcher: &Fetcher,
    issuer: &str,
) -> Result<(AuthorizationServerMetadata, String), Oid4vciError> {
    let endpoint = Endpoint::AuthorizationServerMetadata;
    let url = oid4vci::authorization_server_metadata_url(issuer).map_err(Oid4vciError::Offer)?;
    let (body, url) = match fetch_bytes(fetcher, endpoint, &url) {
        Ok(body) => (body, url),
        Err(Oid4vciError::Fetch {
            source: FetchError::Status { status: 404, .. },
            ..
        }) => {
            let oidc = oid4vci::openid_configuration_url(issuer).map_err(Oid4vciError::Offer)?;
            (fetch_bytes(fetcher, endpoint, &oidc)?, oidc)
        }
        Err(e) => return Err(e),
    };
    let server =
        oid4vci::parse_authorization_server_metadata(&body, issuer).map_err(
            |source| match source {
                OfferError::IssuerMismatch { found, .. } => {
                    Oid4vciError::AuthorizationServerMismatch {
                        expected: issuer.to_owned(),
                        published: verify::terminal_safe(&found),
                        url: url.clone(),
                    }
                }
                source => Oid4vciError::Metadata {
                    endpoint,
                    url: url.clone(),
                    source,
                },
            },
        )?;
    Ok((server, url))
}

/// GET `url` (JSON) and its body.
fn fetch_bytes(fetcher: &Fetcher, endpoint: Endpoint, url: &str) -> Result<Vec<u8>, Oid4vciError> {
    fetcher
        .get(url, JSON)
        .map(|response| response.body)
        .map_err(|source| Oid4vciError::Fetch {
            endpoint,
            url: url.to_owned(),
            source,
        })
}

/// A JSON object body (capped as untrusted input) read as `T`.
fn read_json<T: serde::de::DeserializeOwned>(
    endpoint: Endpoint,
    url: &str,
    body: &[u8],
) -> Result<T, Oid4vciError> {
    let unusable = |reason: String| Oid4vciError::Unusable {
        endpoint,
        url: url.to_owned(),
        reason,
    };
    let value = input::parse_json_object(body, &input::InputLimits::default())
        .map_err(|e| unusable(format!("not a JSON object: {e}")))?;
    serde_json::from_value(value).map_err(|e| unusable(verify::terminal_safe(&e.to_string())))
}

#[cfg(test)]
mod tests;
