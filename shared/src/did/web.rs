//! `did:web`: the DID ↔ HTTPS URL mapping (resolving it is the caller's I/O).

use super::{percent_decode, split_ci, Did, DidError};

/// Where a `did:web` DID document lives: `did:web:example.com` →
/// `https://example.com/.well-known/did.json`, `did:web:example.com:user:alice` →
/// `https://example.com/user/alice/did.json`, `did:web:localhost%3A8080` →
/// `https://localhost:8080/.well-known/did.json`.
pub fn did_web_url(did: &Did) -> Result<String, DidError> {
    if did.method() != "web" {
        return Err(DidError::WrongMethod {
            did: did.to_string(),
            expected: "web",
        });
    }
    let bad = |reason: &str| DidError::DidWeb {
        did: did.to_string(),
        reason: reason.to_owned(),
    };
    let mut segments = did.method_specific_id().split(':');
    let host_part = segments.next().unwrap_or_default();
    if host_part.is_empty() {
        return Err(bad("the domain is empty"));
    }
    // Only the port colon may be percent-encoded in the domain.
    let (host, port) = match split_ci(host_part, "%3a") {
        Some((host, port)) => (host, Some(port)),
        None => (host_part, None),
    };
    if host.contains('%') {
        return Err(bad(
            "the domain may not hold percent-encoded characters other than the port colon",
        ));
    }
    if host.is_empty()
        || host.starts_with('.')
        || host.ends_with('.')
        || host.contains("..")
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Err(bad("the domain is not a valid host name"));
    }
    if let Some(port) = port {
        if port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().map_or(true, |p| p == 0)
        {
            return Err(bad("the port is not a number from 1 to 65535"));
        }
    }
    let mut path = String::new();
    for segment in segments {
        if segment.is_empty() {
            return Err(bad("empty path segment"));
        }
        let decoded = percent_decode(segment)
            .ok_or_else(|| bad("a path segment holds an invalid percent-encoding"))?;
        if decoded == "." || decoded == ".." {
            return Err(bad("path traversal ('.' or '..') is not allowed"));
        }
        if decoded.contains(['/', '\\', '?', '#', '@']) {
            return Err(bad(
                "a path segment may not encode '/', '\\', '?', '#' or '@'",
            ));
        }
        path.push('/');
        path.push_str(segment);
    }
    if path.is_empty() {
        path.push_str("/.well-known");
    }
    let authority = match port {
        Some(port) => format!("{}:{port}", host.to_ascii_lowercase()),
        None => host.to_ascii_lowercase(),
    };
    let url = format!("https://{authority}{path}/did.json");
    // Cross-check with a real URL parser: the host must survive unchanged and nothing may
    // appear in userinfo, query or fragment.
    let parsed = url::Url::parse(&url).map_err(|e| bad(&format!("not a valid URL: {e}")))?;
    // did:web: "The method specific identifier … MUST NOT include IP addresses."
    if !matches!(parsed.host(), Some(url::Host::Domain(_))) {
        return Err(bad("the host must be a domain name, not an IP address"));
    }
    if !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || parsed.host_str() != Some(host.to_ascii_lowercase().as_str())
    {
        return Err(bad(
            "the URL it maps to is not a plain https URL on that host",
        ));
    }
    Ok(url)
}

/// The `did:web` DID for an issuer base URL (`https://learn.example` →
/// `did:web:learn.example`; `https://host:8443/org/a` → `did:web:host%3A8443:org:a`).
pub fn did_web_from_url(base_url: &str) -> Result<Did, DidError> {
    let bad = |reason: &str| DidError::DidWebFromUrl {
        url: base_url.to_owned(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(base_url).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "https" {
        return Err(bad("did:web needs an https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("the URL must not carry user info"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("the URL must not carry a query or fragment"));
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {
            return Err(bad("did:web needs a domain name, not an IP address"))
        }
        None => return Err(bad("the URL has no host")),
    };
    let mut id = host;
    if let Some(port) = url.port() {
        id.push_str(&format!("%3A{port}"));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/did.json").unwrap_or(path);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return Err(bad("path traversal is not allowed"));
        }
        id.push(':');
        id.push_str(segment);
    }
    let did = Did::parse(&format!("did:web:{id}")).map_err(|e| bad(&e.to_string()))?;
    did_web_url(&did).map_err(|e| bad(&e.to_string()))?;
    Ok(did)
}
