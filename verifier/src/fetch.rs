//! Safe fetching of what a verification needs: did:web documents, status list credentials, JSON
//! Schemas, and the documents a QR code links to. JSON-LD contexts are never fetched (the core
//! bundles the ones it accepts).
//!
//! Every request goes through the same guards:
//! - only `https` (and `http` when the operator allows it);
//! - the core's [`address_policy`]: local names (`localhost`, `localhost.`, `*.local` …) are
//!   refused before any lookup, and every address a host name resolves to (or a literal IP in a
//!   URL) must be public by the IANA special-purpose registries, embedded IPv4 decoded, unless
//!   the operator allows private networks;
//! - redirects are followed only a few times, and each target is checked like the first URL;
//! - a timeout on the whole request and a cap on the body size (read in chunks, never whole).
//!
//! JSON answers are cached for a TTL; the caller learns whether a document came fresh or from
//! the cache, and how old it is, so the report can say so.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;
use url::Url;

use passerelle_core::address_policy::{self, AddressPolicy, PolicyError};
use passerelle_core::input::{self, InputLimits};

/// What the operator allows.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Allow loopback, private, link-local … addresses (tests, intranets).
    pub allow_private_network: bool,
    /// Allow plain `http` URLs.
    pub allow_http: bool,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: usize,
    /// How long a fetched JSON document is reused.
    pub cache_ttl: Duration,
    /// Most redirects followed.
    pub max_redirects: usize,
    /// Extra trusted root certificates (PEM), for intranet issuers with a private CA.
    pub extra_root_certificates: Vec<Vec<u8>>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_private_network: false,
            allow_http: false,
            timeout: Duration::from_secs(5),
            max_bytes: 1024 * 1024,
            cache_ttl: Duration::from_secs(300),
            max_redirects: 3,
            extra_root_certificates: Vec::new(),
        }
    }
}

/// Why a fetch failed. The message is shown in reports: it names the URL, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("{url} is not a valid absolute URL")]
    BadUrl { url: String },
    #[error("{url}: only https URLs are fetched{}", if *.http_allowed { " (or http)" } else { "" })]
    Scheme { url: String, http_allowed: bool },
    #[error("{host} resolves to {why}: this verifier does not contact non-public addresses")]
    NonPublicAddress {
        host: String,
        address: IpAddr,
        /// The range refused, from the core's address policy.
        why: String,
    },
    #[error("{reason}: this verifier does not contact local names")]
    PrivateName { reason: String },
    #[error("{url}: could not be fetched: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: no answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("{url}: the server answered HTTP {code}")]
    HttpStatus { url: String, code: u16 },
    #[error("{url}: the answer is larger than {cap} bytes")]
    TooLarge { url: String, cap: usize },
    #[error("{url}: the answer is not acceptable JSON: {reason}")]
    NotJson { url: String, reason: String },
}

/// Whether a document came from the network now or from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Cached { age: Duration },
}

impl Freshness {
    /// Plain-language provenance for the report.
    pub fn describe(self, url: &str) -> String {
        match self {
            Freshness::Fresh => format!("fetched now from {url}"),
            Freshness::Cached { age } => {
                format!("from cache, {} s old, fetched from {url}", age.as_secs())
            }
        }
    }
}

/// A guarded HTTP client with a JSON cache. Cheap to share (`Arc`).
pub struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
    /// Successes and failures; a failure is remembered for [`NEGATIVE_TTL`] at most, so an
    /// unreachable host is not asked again by every request.
    cache: Mutex<HashMap<String, CacheEntry>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// When a URL was fetched, and what came back.
type CacheEntry = (Instant, Result<Arc<Value>, FetchError>);

/// Longest time a failed fetch is remembered.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(30);

/// Is this an address a public verifier may contact? (The core's address policy.)
pub fn is_public(address: IpAddr) -> bool {
    address_policy::is_public(address)
}

impl FetchPolicy {
    /// The core address policy this fetch policy stands for.
    pub fn address_policy(&self) -> AddressPolicy {
        AddressPolicy {
            allow_http: self.allow_http,
            allow_private_network: self.allow_private_network,
            allow_loopback: false,
        }
    }
}

fn refused(url: &Url, error: PolicyError) -> FetchError {
    match error {
        PolicyError::Scheme { url, http_allowed } => FetchError::Scheme { url, http_allowed },
        PolicyError::NoHost { .. } => FetchError::BadUrl {
            url: url.to_string(),
        },
        PolicyError::NonPublicAddress { host, refusal } => FetchError::NonPublicAddress {
            host,
            address: refusal.address,
            why: refusal.to_string(),
        },
        other => FetchError::PrivateName {
            reason: other.to_string(),
        },
    }
}

/// Resolves host names, keeping only addresses the policy allows.
struct GuardedResolver {
    policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            match policy.check_resolved(&host, resolved.map(|a| a.ip())) {
                Ok(allowed) => {
                    let addrs: Addrs =
                        Box::new(allowed.into_iter().map(|ip| SocketAddr::new(ip, 0)));
                    Ok(addrs)
                }
                Err(Some(PolicyError::NonPublicAddress { host, refusal })) => {
                    Err(Box::new(FetchError::NonPublicAddress {
                        address: refusal.address,
                        why: refusal.to_string(),
                        host,
                    })
                        as Box<dyn std::error::Error + Send + Sync>)
                }
                Err(Some(other)) => Err(other.to_string().into()),
                Err(None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

/// Checks a URL's scheme and host (a literal IP as an address) with the core policy.
fn check_url(url: &Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    policy
        .address_policy()
        .check_url(url)
        .map_err(|e| refused(url, e))
}

impl Fetcher {
    /// A fetcher following `policy`.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        let redirect_policy = {
            let policy = policy.clone();
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > policy.max_redirects {
                    let error = FetchError::Transport {
                        url: attempt.url().to_string(),
                        reason: format!("more than {} redirects", policy.max_redirects),
                    };
                    return attempt.error(error);
                }
                match check_url(attempt.url(), &policy) {
                    Ok(()) => attempt.follow(),
                    Err(e) => attempt.error(e),
                }
            })
        };
        let mut builder = reqwest::Client::builder();
        for pem in &policy.extra_root_certificates {
            let certificate =
                reqwest::Certificate::from_pem(pem).map_err(|e| FetchError::Transport {
                    url: String::new(),
                    reason: format!("an extra root certificate is not valid PEM: {e}"),
                })?;
            builder = builder.add_root_certificate(certificate);
        }
        let client = builder
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirect(redirect_policy)
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.address_policy(),
            }))
            .user_agent(concat!("passerelle-verifier/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            .build()
            .map_err(|e| FetchError::Transport {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            client,
            policy,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Fetches the bytes at `url` (not cached), under every guard.
    pub async fn get_bytes(&self, url: &str, accept: &str) -> Result<Vec<u8>, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::BadUrl {
            url: url.to_owned(),
        })?;
        check_url(&parsed, &self.policy)?;
        let cap = self.policy.max_bytes;
        let describe = |e: reqwest::Error| self.describe_error(url, e);
        let mut response = self
            .client
            .get(parsed)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::HttpStatus {
                url: url.to_owned(),
                code: status.as_u16(),
            });
        }
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                cap,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > cap {
                return Err(FetchError::TooLarge {
                    url: url.to_owned(),
                    cap,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Fetches a JSON document, from the cache when it is younger than the TTL.
    pub async fn get_json(&self, url: &str) -> Result<(Arc<Value>, Freshness), FetchError> {
        if let Some(hit) = self.cached(url) {
            return hit;
        }
        let fetched = self.fetch_json(url).await;
        if let Ok(mut cache) = self.cache.lock() {
            let ttl = self.policy.cache_ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            cache.insert(url.to_owned(), (Instant::now(), fetched.clone()));
        }
        fetched.map(|value| (value, Freshness::Fresh))
    }

    async fn fetch_json(&self, url: &str) -> Result<Arc<Value>, FetchError> {
        let bytes = self
            .get_bytes(url, "application/json, application/did+json, application/ld+json, application/vc+ld+json;q=0.9, */*;q=0.1")
            .await?;
        let limits = InputLimits {
            max_bytes: self.policy.max_bytes,
            ..InputLimits::default()
        };
        let value = input::parse_json(&bytes, &limits).map_err(|e| FetchError::NotJson {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Arc::new(value))
    }

    fn cached(&self, url: &str) -> Option<Result<(Arc<Value>, Freshness), FetchError>> {
        let cache = self.cache.lock().ok()?;
        let (at, entry) = cache.get(url)?;
        let age = at.elapsed();
        match entry {
            Ok(value) => (age < self.policy.cache_ttl)
                .then(|| Ok((Arc::clone(value), Freshness::Cached { age }))),
            Err(error) => {
                (age < self.policy.cache_ttl.min(NEGATIVE_TTL)).then(|| Err(error.clone()))
            }
        }
    }

    fn describe_error(&self, url: &str, error: reqwest::Error) -> FetchError {
        if error.is_timeout() {
            return FetchError::Timeout {
                url: url.to_owned(),
                seconds: self.policy.timeout.as_secs(),
            };
        }
        // Our own refusals (resolver, redirect policy) are inside the error chain.
        let mut source: Option<&dyn std::error::Error> = Some(&error);
        while let Some(inner) = source {
            if let Some(ours) = inner.downcast_ref::<FetchError>() {
                return ours.clone();
            }
            source = inner.source();
        }
        let mut source = std::error::Error::source(&error);
        let mut chain = match error.url() {
            Some(_) => "request failed".to_owned(),
            None => error.to_string(),
        };
        let mut cause = None;
        while let Some(inner) = source {
            cause = cause.or_else(|| plain_cause(inner));
            chain.push_str(": ");
            chain.push_str(&inner.to_string());
            source = inner.source();
        }
        // The plain cause first (reqwest's own words are only "error sending request").
        let reason = match cause {
            Some(cause) => format!("{cause} ({chain})"),
            None => chain,
        };
        FetchError::Transport {
            url: url.to_owned(),
            reason,
        }
    }
}

/// The usual causes of a failed request, in plain words: refused, cut, DNS, TLS, timed out.
fn plain_cause(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return Some("connection refused"),
            std::io::ErrorKind::TimedOut => return Some("timed out"),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                return Some("the connection was cut")
            }
            _ => {}
        }
    }
    let text = error.to_string().to_ascii_lowercase();
    if text.contains("dns error") || text.contains("failed to lookup address") {
        Some("DNS: the host name could not be resolved")
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        Some("TLS: the secure connection failed")
    } else if text.contains("connection refused") {
        Some("connection refused")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn loopback_fetcher() -> Fetcher {
        Fetcher::new(FetchPolicy {
            allow_private_network: true,
            allow_http: true,
            timeout: Duration::from_secs(2),
            ..FetchPolicy::default()
        })
        .unwrap()
    }

    fn transport_reason(result: Result<Vec<u8>, FetchError>) -> String {
        match result {
            Err(FetchError::Transport { reason, .. }) => reason,
            other => panic!("expected a transport error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_refused_connection_says_so() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let reason = transport_reason(
            loopback_fetcher()
                .get_bytes(&format!("http://127.0.0.1:{port}/"), "*/*")
                .await,
        );
        assert!(reason.starts_with("connection refused"), "{reason}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_a_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().take(4).collect();
            std::thread::sleep(Duration::from_secs(10));
            drop(held);
        });
        let result = loopback_fetcher()
            .get_bytes(&format!("http://127.0.0.1:{port}/"), "*/*")
            .await;
        assert!(
            matches!(result, Err(FetchError::Timeout { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_a_tls_failure() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = certified.cert.der().clone();
        let key =
            rustls::pki_types::PrivateKeyDer::try_from(certified.key_pair.serialize_der()).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(vec![cert], key)
                .unwrap(),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(4) {
                let Ok(stream) = stream else { continue };
                let connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let reason = transport_reason(
            loopback_fetcher()
                .get_bytes(&format!("https://127.0.0.1:{port}/"), "*/*")
                .await,
        );
        assert!(reason.starts_with("TLS"), "{reason}");
        assert!(reason.contains("certificate"), "{reason}");
    }

    #[test]
    fn non_public_addresses_are_recognised() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "224.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            // Issue 11.5: ranges the former hand-made filter let through.
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "64:ff9b::7f00:1",
            "192.0.0.8",
            "100::1",
            "192.88.99.1",
        ] {
            let address: IpAddr = refused.parse().unwrap();
            assert!(!is_public(address), "{refused} must be refused");
        }
        for allowed in [
            "93.184.215.14",
            "2606:4700::1111",
            "::ffff:93.184.215.14",
            "1.1.1.1",
        ] {
            let address: IpAddr = allowed.parse().unwrap();
            assert!(is_public(address), "{allowed} must be allowed");
        }
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        let policy = FetchPolicy::default();
        let check = |u: &str| check_url(&Url::parse(u).unwrap(), &policy);
        assert!(matches!(
            check("http://example.org/"),
            Err(FetchError::Scheme { .. })
        ));
        assert!(matches!(
            check("file:///etc/passwd"),
            Err(FetchError::Scheme { .. })
        ));
        assert!(matches!(
            check("https://127.0.0.1/x"),
            Err(FetchError::NonPublicAddress { .. })
        ));
        assert!(matches!(
            check("https://[::ffff:192.168.0.1]/x"),
            Err(FetchError::NonPublicAddress { .. })
        ));
        assert!(check("https://example.org/").is_ok());
        // Issue 11.5: a trailing-dot localhost never reaches DNS; 6to4 names what it embeds.
        assert!(matches!(
            check("https://localhost./x"),
            Err(FetchError::PrivateName { .. })
        ));
        let e = check("https://[2002:7f00:1::]/").unwrap_err();
        assert!(e.to_string().contains("embedding 127.0.0.1"), "{e}");
        let open = FetchPolicy {
            allow_http: true,
            allow_private_network: true,
            ..FetchPolicy::default()
        };
        assert!(check_url(&Url::parse("http://127.0.0.1:8080/").unwrap(), &open).is_ok());
    }
}
