//! Finding what a provider offers: its service description document (OB 3.0 §7.1, read by the
//! core) and, for revocation, the RFC 8414 metadata of the URL the learner gave (the description
//! has no field for a revocation endpoint).

use passerelle_core::input::{self, InputLimits};
use passerelle_core::obapi::{self, ServiceDescription};
use passerelle_core::oid4vci;
use serde_json::Value;
use url::Url;

use super::ObApiClientError;
use crate::fetch::{FetchError, Fetcher};

/// The provider's base URL as the learner typed it: an http(s) URL without query or fragment
/// (its path is kept: a provider may live under one).
pub fn provider_url(text: &str) -> Result<Url, ObApiClientError> {
    let bad = |reason: &str| ObApiClientError::Url {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(bad("give the provider's https address (https://…)"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "a provider's base URL has no query (?…) or fragment (#…)",
        ));
    }
    Ok(url)
}

/// `GET {provider}/ims/ob/v3p0/discovery`, parsed by the core: the description and what the
/// core tolerated with a warning (scheme-less or relative URLs…).
pub fn discover(
    fetcher: &Fetcher,
    provider: &Url,
) -> Result<(ServiceDescription, Vec<String>), ObApiClientError> {
    let url = obapi::api_url(provider.as_str(), "discovery").map_err(|source| {
        ObApiClientError::Discovery {
            url: provider.to_string(),
            source,
        }
    })?;
    let response = fetcher.get(url.as_str(), "application/json")?;
    let document = parse_json("service description", url.as_str(), &response.body)?;
    obapi::parse_service_description(&document, provider).map_err(|source| {
        ObApiClientError::Discovery {
            url: url.to_string(),
            source,
        }
    })
}

/// The `revocation_endpoint` of the RFC 8414 metadata of `provider` (path-aware well-known
/// location), with a note when there is none to say why. A provider without metadata, without
/// the member, or whose metadata names another issuer (RFC 8414 §3.3) has no usable endpoint:
/// `Ok((None, note))`. Only a refused address or a bad URL is an error.
pub fn revocation_endpoint(
    fetcher: &Fetcher,
    provider: &Url,
) -> Result<(Option<Url>, Option<String>), ObApiClientError> {
    let issuer = provider.as_str().trim_end_matches('/');
    let Ok(url) = oid4vci::authorization_server_metadata_url(issuer) else {
        return Ok((
            None,
            Some(format!(
                "{issuer} is not an https URL, so it has no RFC 8414 metadata"
            )),
        ));
    };
    let response = match fetcher.get(&url, "application/json") {
        Ok(response) => response,
        Err(e @ FetchError::Refused(_)) => return Err(e.into()),
        Err(e) => return Ok((None, Some(format!("no RFC 8414 metadata: {e}")))),
    };
    let Ok(metadata) = parse_json("authorization server metadata", &url, &response.body) else {
        return Ok((None, Some(format!("{url} is not a JSON object"))));
    };
    let published = metadata.get("issuer").and_then(Value::as_str).unwrap_or("");
    if published.trim_end_matches('/') != issuer {
        return Ok((
            None,
            Some(format!(
                "{url} names the issuer {published:?}, not {issuer} (RFC 8414 §3.3): not used"
            )),
        ));
    }
    match metadata.get("revocation_endpoint").and_then(Value::as_str) {
        None => Ok((None, Some(format!("{url} names no revocation_endpoint")))),
        Some(endpoint) => match Url::parse(endpoint) {
            Ok(endpoint) if endpoint.scheme() == "https" => Ok((Some(endpoint), None)),
            _ => Ok((
                None,
                Some(format!(
                    "its revocation_endpoint {endpoint:?} is not an https URL"
                )),
            )),
        },
    }
}

/// A JSON object from an answer, within the core's input limits.
pub(super) fn parse_json(
    what: &'static str,
    url: &str,
    body: &[u8],
) -> Result<Value, ObApiClientError> {
    input::parse_json_object(body, &InputLimits::default()).map_err(|e| {
        ObApiClientError::Malformed {
            what,
            url: url.to_owned(),
            reason: format!("not a JSON object ({e})"),
        }
    })
}
