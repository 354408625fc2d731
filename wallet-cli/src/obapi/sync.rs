//! Reading the learner's credentials from a provider (OB 3.0 §6.2.2 `getCredentials`): every
//! page of `GET {api}/credentials`, following `Link: <…>; rel="next"` (RFC 8288) on the API's
//! origin only, at most [`MAX_PAGES`] pages (each capped in size by the fetcher), each credential
//! returned for the import policy: `credential[]` as JSON, `compactJwsString[]` as compact JWS.

use std::collections::BTreeSet;

use passerelle_core::obapi;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use url::Url;

use super::discovery::parse_json;
use super::ObApiClientError;
use crate::fetch::{Answer, Fetcher};
use crate::source::Found;

/// The most pages one sync reads (25 credentials each by default: 25 000 credentials).
pub const MAX_PAGES: usize = 1000;

/// What a sync read.
#[derive(Debug)]
pub struct Fetched {
    /// Every credential, in the provider's order, for the import policy.
    pub found: Vec<Found>,
    /// What the core's parser tolerated (the plural `compactJwsStrings`, …).
    pub warnings: Vec<String>,
    pub pages: usize,
}

/// `{api}/credentials`.
pub fn credentials_url(api_base: &Url) -> Result<Url, ObApiClientError> {
    let base = api_base.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/credentials")).map_err(|e| ObApiClientError::Url {
        url: api_base.to_string(),
        reason: e.to_string(),
    })
}

/// Reads every page with the bearer `access_token` (RFC 6750 §2.1, header only). `label` names
/// the provider in each credential's `how` ("Open Badges API: <title>").
pub fn fetch_all(
    fetcher: &Fetcher,
    api_base: &Url,
    access_token: &str,
    label: &str,
) -> Result<Fetched, ObApiClientError> {
    let first = credentials_url(api_base)?;
    let origin = first.origin();
    let headers = bearer_headers(&first, access_token)?;

    let mut fetched = Fetched {
        found: Vec::new(),
        warnings: Vec::new(),
        pages: 0,
    };
    let mut seen = BTreeSet::new();
    let mut next = Some(first.clone());
    while let Some(url) = next.take() {
        if fetched.pages >= MAX_PAGES {
            return Err(ObApiClientError::TooManyPages {
                url: first.to_string(),
                limit: MAX_PAGES,
            });
        }
        if !seen.insert(url.to_string()) {
            // A next link back to a page already read: the end, not a loop.
            break;
        }
        let answer = fetcher.send(reqwest::Method::GET, url.as_str(), &headers, Vec::new())?;
        if answer.status != 200 {
            return Err(refusal(url.as_str(), &answer));
        }
        fetched.pages += 1;
        let document = parse_json("credentials response", url.as_str(), &answer.body)?;
        let (page, warnings) = obapi::parse_credentials_response(&document).map_err(|e| {
            ObApiClientError::Malformed {
                what: "credentials response",
                url: url.to_string(),
                reason: e.to_string(),
            }
        })?;
        for warning in warnings {
            if !fetched.warnings.contains(&warning) {
                fetched.warnings.push(warning);
            }
        }
        let how = format!("Open Badges API: {label}");
        for credential in page.credential {
            fetched.found.push(Found {
                text: credential.to_string(),
                how: how.clone(),
                link: None,
            });
        }
        for jws in page.compact_jws {
            fetched.found.push(Found {
                text: jws,
                how: how.clone(),
                link: None,
            });
        }
        next = match answer.link.as_deref() {
            None => None,
            Some(value) => next_page(value, &url, &origin)?,
        };
    }
    Ok(fetched)
}

/// `Accept: application/json` and the bearer token (RFC 6750 §2.1, header only, marked
/// sensitive so it never appears in a debug print).
fn bearer_headers(url: &Url, access_token: &str) -> Result<HeaderMap, ObApiClientError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut bearer = HeaderValue::try_from(format!("Bearer {access_token}")).map_err(|_| {
        ObApiClientError::Token {
            url: url.to_string(),
            reason: "the access token holds characters an HTTP header cannot carry".into(),
        }
    })?;
    bearer.set_sensitive(true);
    headers.insert(AUTHORIZATION, bearer);
    Ok(headers)
}

/// The learner's Profile at the provider (getProfile, OB 3.0 §6): what the provider calls them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: String,
    pub name: Option<String>,
}

/// `GET {api}/profile` with the bearer `access_token`: the Profile's `id` (required by the OB 3.0
/// schema, with a `type` that includes `Profile`) and its `name` when it has one.
pub fn fetch_profile(
    fetcher: &Fetcher,
    api_base: &Url,
    access_token: &str,
) -> Result<Profile, ObApiClientError> {
    let base = api_base.as_str().trim_end_matches('/');
    let url = Url::parse(&format!("{base}/profile")).map_err(|e| ObApiClientError::Url {
        url: api_base.to_string(),
        reason: e.to_string(),
    })?;
    let headers = bearer_headers(&url, access_token)?;
    let answer = fetcher.send(reqwest::Method::GET, url.as_str(), &headers, Vec::new())?;
    if answer.status != 200 {
        return Err(refusal(url.as_str(), &answer));
    }
    let document = parse_json("profile", url.as_str(), &answer.body)?;
    read_profile(&document).map_err(|reason| ObApiClientError::Malformed {
        what: "profile",
        url: url.to_string(),
        reason,
    })
}

/// A Profile document's id and name; `Err` says which member is missing or wrong.
fn read_profile(document: &serde_json::Value) -> Result<Profile, String> {
    let is_profile = match &document["type"] {
        serde_json::Value::String(t) => t == "Profile",
        serde_json::Value::Array(types) => types.iter().any(|t| t == "Profile"),
        _ => false,
    };
    if !is_profile {
        return Err("type must be or include \"Profile\"".into());
    }
    let id = document["id"]
        .as_str()
        .filter(|id| !id.trim().is_empty())
        .ok_or("id must be a non-empty string (the OB 3.0 Profile schema requires it)")?;
    Ok(Profile {
        id: id.to_owned(),
        name: document["name"].as_str().map(str::to_owned),
    })
}

/// The `rel="next"` target of a `Link` value, resolved against the page it came with (the
/// core's `find_link`); refused off the API's origin (the bearer token goes with the request).
fn next_page(
    link: &str,
    page: &Url,
    origin: &url::Origin,
) -> Result<Option<Url>, ObApiClientError> {
    let Some(next) = obapi::find_link(link, "next", page) else {
        return Ok(None);
    };
    if &next.origin() != origin {
        return Err(ObApiClientError::ForeignPage {
            next: next.to_string(),
            origin: origin.ascii_serialization(),
        });
    }
    Ok(Some(next))
}

/// A resource's refusal: 401/403 with the `WWW-Authenticate` error (RFC 6750 §3), else the
/// status with the imsx description when the body is an `Imsx_StatusInfo`.
fn refusal(url: &str, answer: &Answer) -> ObApiClientError {
    // An `Imsx_StatusInfo` body's description, read leniently: a refusal is reported whatever
    // else the body holds.
    let imsx = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|info| info["imsx_description"].as_str().map(str::to_owned))
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    if matches!(answer.status, 401 | 403) {
        let challenge = answer
            .www_authenticate
            .as_deref()
            .map(|w| format!(", {w}"))
            .unwrap_or_default();
        return ObApiClientError::Unauthorized {
            url: url.to_owned(),
            status: answer.status,
            detail: format!("{challenge}{imsx}"),
        };
    }
    ObApiClientError::Status {
        url: url.to_owned(),
        status: answer.status,
        detail: imsx,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn a_profile_needs_its_type_and_id_and_may_have_a_name() {
        let profile = read_profile(&serde_json::json!({
            "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": "Profile", "id": "https://example.edu/issuers/565049",
            "name": "Example University"
        }))
        .unwrap();
        assert_eq!(profile.id, "https://example.edu/issuers/565049");
        assert_eq!(profile.name.as_deref(), Some("Example University"));
        let profile = read_profile(&serde_json::json!({"type": ["Profile"], "id": "urn:uuid:1"}));
        assert_eq!(profile.unwrap().name, None);
        let no_id = read_profile(&serde_json::json!({"type": ["Profile"], "name": "x"}));
        assert!(no_id.unwrap_err().contains("id"));
        let not_profile = read_profile(&serde_json::json!({"type": ["Achievement"], "id": "x"}));
        assert!(not_profile.unwrap_err().contains("Profile"));
        let blank = read_profile(&serde_json::json!({"type": "Profile", "id": " "}));
        assert!(blank.is_err());
    }

    #[test]
    fn the_next_page_is_resolved_against_its_page_and_kept_on_the_apis_origin() {
        let page = url("https://p.example/mooc/ims/ob/v3p0/credentials?limit=2&offset=0");
        let origin = page.origin();
        let next = next_page(
            r#"<https://p.example/mooc/ims/ob/v3p0/credentials?limit=2&offset=2>; rel="next", <https://p.example/x?offset=8>; rel="last""#,
            &page,
            &origin,
        )
        .unwrap();
        assert_eq!(
            next.unwrap().as_str(),
            "https://p.example/mooc/ims/ob/v3p0/credentials?limit=2&offset=2"
        );
        // Relative, several rels in one link, any case.
        let next = next_page(r#"<credentials?offset=4>; rel="last NEXT""#, &page, &origin).unwrap();
        assert_eq!(
            next.unwrap().as_str(),
            "https://p.example/mooc/ims/ob/v3p0/credentials?offset=4"
        );
        // The last page: no next.
        assert!(
            next_page(r#"<https://p.example/a>; rel="first""#, &page, &origin)
                .unwrap()
                .is_none()
        );
        // Elsewhere (another host, scheme or port): the bearer token is not sent there.
        for foreign in [
            "https://attacker.example/credentials",
            "http://p.example/mooc/ims/ob/v3p0/credentials",
            "https://p.example:8443/mooc/ims/ob/v3p0/credentials",
        ] {
            let error = next_page(&format!("<{foreign}>; rel=next"), &page, &origin).unwrap_err();
            assert!(
                matches!(error, ObApiClientError::ForeignPage { .. }),
                "{foreign}: {error:?}"
            );
        }
    }

    #[test]
    fn credentials_live_under_the_api_base_with_or_without_a_trailing_slash() {
        for base in [
            "https://p.example/t/ims/ob/v3p0",
            "https://p.example/t/ims/ob/v3p0/",
        ] {
            assert_eq!(
                credentials_url(&url(base)).unwrap().as_str(),
                "https://p.example/t/ims/ob/v3p0/credentials"
            );
        }
    }
}
