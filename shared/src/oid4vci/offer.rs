//! Credential offers (OpenID4VCI 1.0 §4) and the well-known metadata locations (§12.2.2,
//! RFC 8414 §3.1), and the two metadata documents a wallet reads (§12.2.4, RFC 8414 §2) in the
//! parts it relies on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::input::{self, InputError, InputLimits};

use super::PRE_AUTHORIZED_GRANT_TYPE;

/// The custom scheme of a credential offer link (§4.1.3).
pub const OFFER_SCHEME: &str = "openid-credential-offer://";

/// Largest credential offer, issuer metadata or authorization-server metadata document read, in
/// bytes: an offer is a few hundred bytes; metadata with every achievement in six languages stays
/// well below this.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// Longest transaction code an offer may announce (§4.1.1: "length" is advisory for the wallet's
/// input field; a very long one is a mistake or an attack on the prompt).
pub const MAX_TX_CODE_LENGTH: u32 = 32;

/// Why an offer, an offer link or a metadata document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    #[error("{document} is not acceptable JSON: {reason}")]
    Json {
        document: &'static str,
        reason: InputError,
    },
    #[error("{document}: member {member:?} {reason}")]
    Member {
        document: &'static str,
        member: String,
        reason: String,
    },
    #[error("the link is not a credential offer: {reason}")]
    NotAnOffer { reason: String },
    #[error("{what} {url:?} is not an https URL without query or fragment: {reason}")]
    NotAnIssuerUrl {
        what: &'static str,
        url: String,
        reason: String,
    },
    #[error(
        "the {document} is for {found:?}, not for {expected:?} (its issuer identifier must be exactly the one asked for)"
    )]
    IssuerMismatch {
        document: &'static str,
        expected: String,
        found: String,
    },
}

/// A credential offer (§4.1.1), as sent by value or served by reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialOffer {
    pub credential_issuer: String,
    pub credential_configuration_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
}

/// The grants an offer makes (§4.1.1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Grants {
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
    /// Kept as given: this implementation offers only the pre-authorized code flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<Value>,
}

/// The pre-authorized code grant of an offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreAuthorizedCodeGrant {
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// That a transaction code is needed, and how the wallet should ask for it (§4.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TxCode {
    /// `numeric` (the default) or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl TxCode {
    /// Whether the code is digits only (`input_mode` absent or `numeric`).
    pub fn is_numeric(&self) -> bool {
        self.input_mode
            .as_deref()
            .is_none_or(|mode| mode == "numeric")
    }
}

impl CredentialOffer {
    /// Checks what §4.1.1 requires and what a wallet relies on: an https issuer identifier, at
    /// least one configuration id and no empty or repeated one, a non-empty pre-authorized code,
    /// a sensible transaction-code description.
    pub fn check(&self) -> Result<(), OfferError> {
        check_issuer_identifier("credential_issuer", &self.credential_issuer)?;
        let member = |member: &str, reason: &str| OfferError::Member {
            document: "credential offer",
            member: member.to_owned(),
            reason: reason.to_owned(),
        };
        if self.credential_configuration_ids.is_empty() {
            return Err(member(
                "credential_configuration_ids",
                "must list at least one credential configuration",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for id in &self.credential_configuration_ids {
            if id.is_empty() {
                return Err(member("credential_configuration_ids", "has an empty id"));
            }
            if !seen.insert(id) {
                return Err(member(
                    "credential_configuration_ids",
                    &format!("lists {id:?} twice"),
                ));
            }
        }
        if let Some(grant) = self.pre_authorized() {
            if grant.pre_authorized_code.is_empty() {
                return Err(member("pre-authorized_code", "must not be empty"));
            }
            if let Some(tx_code) = &grant.tx_code {
                match tx_code.input_mode.as_deref() {
                    None | Some("numeric") | Some("text") => {}
                    Some(other) => {
                        return Err(member(
                            "tx_code.input_mode",
                            &format!("is {other:?}; expected \"numeric\" or \"text\""),
                        ))
                    }
                }
                if tx_code
                    .length
                    .is_some_and(|n| n == 0 || n > MAX_TX_CODE_LENGTH)
                {
                    return Err(member(
                        "tx_code.length",
                        &format!("must be between 1 and {MAX_TX_CODE_LENGTH}"),
                    ));
                }
                if tx_code.description.as_ref().is_some_and(|d| d.len() > 300) {
                    return Err(member(
                        "tx_code.description",
                        "is longer than 300 characters (OpenID4VCI 1.0 section 4.1.1)",
                    ));
                }
            }
            if let Some(server) = &grant.authorization_server {
                check_issuer_identifier("authorization_server", server)?;
            }
        }
        Ok(())
    }

    /// The pre-authorized code grant, when the offer makes one.
    pub fn pre_authorized(&self) -> Option<&PreAuthorizedCodeGrant> {
        self.grants.as_ref()?.pre_authorized_code.as_ref()
    }

    /// The offer by value: `openid-credential-offer://?credential_offer=<JSON, URL-encoded>`.
    pub fn to_uri(&self) -> String {
        // Serialising these plain structs cannot fail (string keys, no maps with other keys).
        let json = serde_json::to_string(self).unwrap_or_default();
        format!(
            "{OFFER_SCHEME}?credential_offer={}",
            encode_component(&json)
        )
    }
}

/// The offer by reference: `openid-credential-offer://?credential_offer_uri=<URL-encoded>`.
pub fn offer_uri_by_reference(credential_offer_uri: &str) -> String {
    format!(
        "{OFFER_SCHEME}?credential_offer_uri={}",
        encode_component(credential_offer_uri)
    )
}

fn encode_component(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// What an offer link carries.
#[derive(Debug, Clone, PartialEq)]
pub enum OfferLink {
    /// The offer itself (already [`CredentialOffer::check`]ed).
    ByValue(CredentialOffer),
    /// Where to fetch it: an https URL.
    ByReference(String),
}

/// Reads an offer link in any scheme (`openid-credential-offer://`, `haip://`, or an https link
/// of a wallet or issuer page) that carries exactly one of `credential_offer` and
/// `credential_offer_uri` in its query.
pub fn parse_offer_link(text: &str) -> Result<OfferLink, OfferError> {
    let text = text.trim();
    if text.len() > MAX_METADATA_BYTES {
        return Err(OfferError::NotAnOffer {
            reason: format!("it is longer than {MAX_METADATA_BYTES} bytes"),
        });
    }
    let url = Url::parse(text).map_err(|e| OfferError::NotAnOffer {
        reason: format!("not a URL ({e})"),
    })?;
    let mut by_value = None;
    let mut by_reference = None;
    for (name, value) in url.query_pairs() {
        let slot = match name.as_ref() {
            "credential_offer" => &mut by_value,
            "credential_offer_uri" => &mut by_reference,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(OfferError::NotAnOffer {
                reason: format!("the query gives {name:?} twice"),
            });
        }
    }
    match (by_value, by_reference) {
        (Some(json), None) => Ok(OfferLink::ByValue(parse_offer_json(json.as_bytes())?)),
        (None, Some(uri)) => {
            check_https_url("credential_offer_uri", &uri, true)?;
            Ok(OfferLink::ByReference(uri))
        }
        (Some(_), Some(_)) => Err(OfferError::NotAnOffer {
            reason: "it gives both credential_offer and credential_offer_uri (OpenID4VCI 1.0 section 4.1: exactly one)"
                .into(),
        }),
        (None, None) => Err(OfferError::NotAnOffer {
            reason: "its query has neither credential_offer nor credential_offer_uri".into(),
        }),
    }
}

/// Parses and checks a credential offer document (strict JSON: no duplicate members, capped).
pub fn parse_offer_json(bytes: &[u8]) -> Result<CredentialOffer, OfferError> {
    let value = parse_document("credential offer", bytes)?;
    let offer: CredentialOffer = from_value("credential offer", value)?;
    offer.check()?;
    Ok(offer)
}

/// A display entry (§12.2.4): a name in a locale, and perhaps a logo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Display {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Value>,
}

/// Picks the display entry for the reader's languages (BCP 47 tags, most preferred first): an
/// exact match, then the same primary language, then an entry without locale, then the first.
pub fn display_for<'a>(entries: &'a [Display], languages: &[&str]) -> Option<&'a Display> {
    let lower = |tag: &str| tag.to_ascii_lowercase();
    for wanted in languages {
        let wanted = lower(wanted);
        if let Some(entry) = entries
            .iter()
            .find(|d| d.locale.as_deref().map(lower).as_deref() == Some(wanted.as_str()))
        {
            return Some(entry);
        }
        let primary = wanted.split('-').next().unwrap_or_default().to_owned();
        if let Some(entry) = entries.iter().find(|d| {
            d.locale
                .as_deref()
                .map(lower)
                .is_some_and(|l| l.split('-').next() == Some(primary.as_str()))
        }) {
            return Some(entry);
        }
    }
    entries
        .iter()
        .find(|d| d.locale.is_none())
        .or_else(|| entries.first())
}

/// One credential configuration of the issuer metadata, in the parts a wallet uses; the rest of
/// the object is kept in `other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialConfiguration {
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_types_supported: Option<BTreeMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptographic_binding_methods_supported: Option<Vec<String>>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl CredentialConfiguration {
    /// The `jwt` proof's signing algorithms (`proof_signing_alg_values_supported`), if listed.
    pub fn jwt_proof_algorithms(&self) -> Option<Vec<&str>> {
        let jwt = self.proof_types_supported.as_ref()?.get("jwt")?;
        let algs = jwt.get("proof_signing_alg_values_supported")?.as_array()?;
        Some(algs.iter().filter_map(Value::as_str).collect())
    }

    /// The display entries (1.0: under `credential_metadata`; earlier drafts: top-level `display`).
    pub fn display(&self) -> Vec<Display> {
        if let Some(metadata) = &self.credential_metadata {
            return metadata.display.clone();
        }
        self.other
            .get("display")
            .and_then(|d| serde_json::from_value(d.clone()).ok())
            .unwrap_or_default()
    }
}

/// `credential_metadata` of a credential configuration (1.0 §12.2.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CredentialMetadata {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<Display>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// Credential issuer metadata (§12.2.4), in the parts a wallet uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuerMetadata {
    pub credential_issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    pub credential_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_credential_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<Display>,
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
}

/// Parses credential issuer metadata fetched for `expected_issuer` and checks that it is that
/// issuer's (§12.2.4: `credential_issuer` identical to the identifier it was fetched for) and
/// that its endpoints are https URLs.
pub fn parse_issuer_metadata(
    bytes: &[u8],
    expected_issuer: &str,
) -> Result<IssuerMetadata, OfferError> {
    const DOCUMENT: &str = "credential issuer metadata";
    let value = parse_document(DOCUMENT, bytes)?;
    let metadata: IssuerMetadata = from_value(DOCUMENT, value)?;
    if metadata.credential_issuer != expected_issuer {
        return Err(OfferError::IssuerMismatch {
            document: DOCUMENT,
            expected: expected_issuer.to_owned(),
            found: metadata.credential_issuer,
        });
    }
    check_https_url("credential_endpoint", &metadata.credential_endpoint, true)?;
    for (what, url) in [
        ("nonce_endpoint", &metadata.nonce_endpoint),
        ("notification_endpoint", &metadata.notification_endpoint),
    ] {
        if let Some(url) = url {
            check_https_url(what, url, true)?;
        }
    }
    for server in metadata.authorization_servers.iter().flatten() {
        check_issuer_identifier("authorization_servers", server)?;
    }
    Ok(metadata)
}

/// OAuth 2.0 authorization server metadata (RFC 8414 §2), in the parts a wallet uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    #[serde(
        rename = "pre-authorized_grant_anonymous_access_supported",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_grant_anonymous_access_supported: Option<bool>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// The token endpoint for the pre-authorized code grant, refusing a server that says it does
    /// not support that grant (RFC 8414: absent `grant_types_supported` means code and implicit
    /// only, but OpenID4VCI issuers commonly omit it; absence is accepted).
    pub fn pre_authorized_token_endpoint(&self) -> Result<&str, OfferError> {
        if let Some(grants) = &self.grant_types_supported {
            if !grants.iter().any(|g| g == PRE_AUTHORIZED_GRANT_TYPE) {
                return Err(OfferError::Member {
                    document: "authorization server metadata",
                    member: "grant_types_supported".into(),
                    reason: format!("does not list {PRE_AUTHORIZED_GRANT_TYPE}"),
                });
            }
        }
        self.token_endpoint
            .as_deref()
            .ok_or_else(|| OfferError::Member {
                document: "authorization server metadata",
                member: "token_endpoint".into(),
                reason: "is missing".into(),
            })
    }
}

/// Parses authorization server metadata fetched for `expected_issuer` (RFC 8414 §3.3: `issuer`
/// identical to the identifier it was fetched for; endpoints https).
pub fn parse_authorization_server_metadata(
    bytes: &[u8],
    expected_issuer: &str,
) -> Result<AuthorizationServerMetadata, OfferError> {
    const DOCUMENT: &str = "authorization server metadata";
    let value = parse_document(DOCUMENT, bytes)?;
    let metadata: AuthorizationServerMetadata = from_value(DOCUMENT, value)?;
    if metadata.issuer != expected_issuer {
        return Err(OfferError::IssuerMismatch {
            document: DOCUMENT,
            expected: expected_issuer.to_owned(),
            found: metadata.issuer,
        });
    }
    if let Some(endpoint) = &metadata.token_endpoint {
        check_https_url("token_endpoint", endpoint, true)?;
    }
    Ok(metadata)
}

/// Where the credential issuer metadata of `credential_issuer` is (§12.2.2): the well-known
/// segment goes between the host and the path (`https://h/t` → `https://h/.well-known/openid-credential-issuer/t`).
pub fn credential_issuer_metadata_url(credential_issuer: &str) -> Result<String, OfferError> {
    well_known_url(credential_issuer, "openid-credential-issuer")
}

/// Where the OAuth 2.0 authorization server metadata of `issuer` is (RFC 8414 §3.1).
pub fn authorization_server_metadata_url(issuer: &str) -> Result<String, OfferError> {
    well_known_url(issuer, "oauth-authorization-server")
}

/// Where OpenID Connect discovery puts an issuer's metadata (OpenID Connect Discovery 1.0 §4:
/// `/.well-known/openid-configuration` appended to the issuer, path and all), which RFC 8414
/// §5 lets a client read when the server publishes only that.
pub fn openid_configuration_url(issuer: &str) -> Result<String, OfferError> {
    check_issuer_identifier("issuer identifier", issuer)?;
    Ok(format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
}

fn well_known_url(identifier: &str, suffix: &str) -> Result<String, OfferError> {
    let url = check_issuer_identifier("issuer identifier", identifier)?;
    let path = url.path().trim_end_matches('/');
    let origin = url.origin().ascii_serialization();
    Ok(format!("{origin}/.well-known/{suffix}{path}"))
}

/// An issuer identifier: an https URL without query or fragment (§12.2.1, RFC 8414 §2).
fn check_issuer_identifier(what: &'static str, text: &str) -> Result<Url, OfferError> {
    check_https_url(what, text, false)
}

fn check_https_url(what: &'static str, text: &str, query_allowed: bool) -> Result<Url, OfferError> {
    let refuse = |reason: &str| OfferError::NotAnIssuerUrl {
        what,
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text).map_err(|e| refuse(&e.to_string()))?;
    if url.scheme() != "https" {
        return Err(refuse("the scheme must be https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("it has no host"));
    }
    if url.fragment().is_some() {
        return Err(refuse("it has a fragment"));
    }
    if !query_allowed && url.query().is_some() {
        return Err(refuse("it has a query"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("it carries credentials"));
    }
    Ok(url)
}

fn parse_document(document: &'static str, bytes: &[u8]) -> Result<Value, OfferError> {
    let limits = InputLimits {
        max_bytes: MAX_METADATA_BYTES,
        max_depth: 32,
    };
    input::parse_json_object(bytes, &limits).map_err(|reason| OfferError::Json { document, reason })
}

fn from_value<T: serde::de::DeserializeOwned>(
    document: &'static str,
    value: Value,
) -> Result<T, OfferError> {
    serde_path_to_error::deserialize(value).map_err(|e| OfferError::Member {
        document,
        member: e.path().to_string(),
        reason: e.inner().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn offer(tx_code: Option<TxCode>) -> CredentialOffer {
        CredentialOffer {
            credential_issuer: "https://learn.example".into(),
            credential_configuration_ids: vec!["python-basics.ldp_vc".into()],
            grants: Some(Grants {
                pre_authorized_code: Some(PreAuthorizedCodeGrant {
                    pre_authorized_code: "pac_123".into(),
                    tx_code,
                    authorization_server: None,
                }),
                authorization_code: None,
            }),
        }
    }

    #[test]
    fn an_offer_by_value_round_trips_through_its_uri_in_the_spec_shape() {
        let offer = offer(Some(TxCode {
            input_mode: Some("numeric".into()),
            length: Some(6),
            description: Some("The PIN from your e-mail".into()),
        }));
        let uri = offer.to_uri();
        assert!(uri
            .starts_with("openid-credential-offer://?credential_offer=%7B%22credential_issuer%22"));
        let OfferLink::ByValue(back) = parse_offer_link(&uri).unwrap() else {
            panic!("by value expected")
        };
        assert_eq!(back, offer);
        // The member names are the spec's (§4.1.1).
        let json = serde_json::to_value(&offer).unwrap();
        let grant = &json["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
        assert_eq!(grant["pre-authorized_code"], "pac_123");
        assert_eq!(grant["tx_code"]["length"], 6);
        assert!(grant.get("authorization_server").is_none());
    }

    #[test]
    fn an_offer_by_reference_is_read_from_any_scheme() {
        let uri = offer_uri_by_reference("https://learn.example/oid4vci/offers/abc?x=1");
        assert_eq!(
            parse_offer_link(&uri).unwrap(),
            OfferLink::ByReference("https://learn.example/oid4vci/offers/abc?x=1".into())
        );
        let https =
            "https://wallet.example/get?credential_offer_uri=https%3A%2F%2Flearn.example%2Fo%2F1";
        assert_eq!(
            parse_offer_link(https).unwrap(),
            OfferLink::ByReference("https://learn.example/o/1".into())
        );
    }

    #[test]
    fn bad_offer_links_are_refused_with_the_reason() {
        let cases = [
            ("not a url", "not a URL"),
            ("openid-credential-offer://?x=1", "neither"),
            (
                "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fa.example%2F",
                "https",
            ),
            (
                "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa.example",
                "both",
            ),
            (
                "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa&credential_offer_uri=https%3A%2F%2Fb",
                "twice",
            ),
        ];
        for (link, expected) in cases {
            let error = parse_offer_link(link).unwrap_err().to_string();
            assert!(error.contains(expected), "{link}: {error}");
        }
    }

    #[test]
    fn offers_are_checked_member_by_member() {
        let cases = [
            (
                json!({"credential_issuer": "http://a.example", "credential_configuration_ids": ["x"]}),
                "https",
            ),
            (
                json!({"credential_issuer": "https://a.example?q=1", "credential_configuration_ids": ["x"]}),
                "query",
            ),
            (
                json!({"credential_issuer": "https://a.example", "credential_configuration_ids": []}),
                "at least one",
            ),
            (
                json!({"credential_issuer": "https://a.example", "credential_configuration_ids": ["x", "x"]}),
                "twice",
            ),
            (
                json!({"credential_issuer": "https://a.example"}),
                "credential_configuration_ids",
            ),
            (
                json!({"credential_issuer": "https://a.example", "credential_configuration_ids": ["x"],
                    "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": ""}}}),
                "empty",
            ),
            (
                json!({"credential_issuer": "https://a.example", "credential_configuration_ids": ["x"],
                    "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c", "tx_code": {"input_mode": "emoji"}}}}),
                "input_mode",
            ),
            (
                json!({"credential_issuer": "https://a.example", "credential_configuration_ids": ["x"],
                    "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c", "tx_code": {"length": 1000}}}}),
                "tx_code.length",
            ),
        ];
        for (document, expected) in cases {
            let error = parse_offer_json(document.to_string().as_bytes())
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{document}: {error}");
        }
        let duplicate = br#"{"credential_issuer":"https://a.example","credential_issuer":"https://b.example","credential_configuration_ids":["x"]}"#;
        assert!(matches!(
            parse_offer_json(duplicate),
            Err(OfferError::Json { .. })
        ));
    }

    #[test]
    fn well_known_urls_insert_the_suffix_between_host_and_path() {
        let cases = [
            (
                "https://learn.example",
                "https://learn.example/.well-known/openid-credential-issuer",
            ),
            (
                "https://learn.example/",
                "https://learn.example/.well-known/openid-credential-issuer",
            ),
            (
                "https://learn.example:8443/tenant/a",
                "https://learn.example:8443/.well-known/openid-credential-issuer/tenant/a",
            ),
        ];
        for (issuer, expected) in cases {
            assert_eq!(credential_issuer_metadata_url(issuer).unwrap(), expected);
        }
        assert_eq!(
            authorization_server_metadata_url("https://as.example/x").unwrap(),
            "https://as.example/.well-known/oauth-authorization-server/x"
        );
        assert!(credential_issuer_metadata_url("http://learn.example").is_err());
        assert_eq!(
            openid_configuration_url("https://as.example/x/").unwrap(),
            "https://as.example/x/.well-known/openid-configuration"
        );
    }

    #[test]
    fn issuer_metadata_must_name_the_issuer_it_was_fetched_for() {
        let metadata = json!({
            "credential_issuer": "https://learn.example",
            "credential_endpoint": "https://learn.example/oid4vci/credential",
            "nonce_endpoint": "https://learn.example/oid4vci/nonce",
            "display": [{"name": "Learn", "locale": "en"}, {"name": "Apprendre", "locale": "fr-FR"}],
            "credential_configurations_supported": {
                "python.ldp_vc": {"format": "ldp_vc",
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}},
                    "credential_metadata": {"display": [{"name": "Python"}]},
                    "credential_definition": {"type": ["VerifiableCredential"]}}
            }
        })
        .to_string();
        let parsed = parse_issuer_metadata(metadata.as_bytes(), "https://learn.example").unwrap();
        let config = &parsed.credential_configurations_supported["python.ldp_vc"];
        assert_eq!(config.jwt_proof_algorithms().unwrap(), ["EdDSA", "ES256"]);
        assert_eq!(config.display()[0].name.as_deref(), Some("Python"));
        assert!(config.other.contains_key("credential_definition"));
        assert_eq!(
            display_for(&parsed.display, &["fr"])
                .unwrap()
                .name
                .as_deref(),
            Some("Apprendre")
        );
        assert_eq!(
            display_for(&parsed.display, &["de"])
                .unwrap()
                .name
                .as_deref(),
            Some("Learn")
        );
        let error = parse_issuer_metadata(metadata.as_bytes(), "https://evil.example").unwrap_err();
        assert!(
            matches!(error, OfferError::IssuerMismatch { .. }),
            "{error}"
        );
    }

    #[test]
    fn authorization_server_metadata_gives_the_token_endpoint_for_the_grant() {
        let document = json!({"issuer": "https://learn.example",
            "token_endpoint": "https://learn.example/oid4vci/token",
            "grant_types_supported": [PRE_AUTHORIZED_GRANT_TYPE],
            "pre-authorized_grant_anonymous_access_supported": true})
        .to_string();
        let parsed =
            parse_authorization_server_metadata(document.as_bytes(), "https://learn.example")
                .unwrap();
        assert_eq!(
            parsed.pre_authorized_token_endpoint().unwrap(),
            "https://learn.example/oid4vci/token"
        );
        assert_eq!(
            parsed.pre_authorized_grant_anonymous_access_supported,
            Some(true)
        );
        let other =
            json!({"issuer": "https://learn.example", "token_endpoint": "https://learn.example/t",
            "grant_types_supported": ["authorization_code"]})
            .to_string();
        let parsed =
            parse_authorization_server_metadata(other.as_bytes(), "https://learn.example").unwrap();
        assert!(parsed.pre_authorized_token_endpoint().is_err());
    }
}
