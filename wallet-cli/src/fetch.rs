//! HTTP GET for claim links, did:web documents, status lists and schemas: rustls, timeouts, a size
//! cap, a handful of redirects, and the core's address policy (the verifier's): https only,
//! local names refused before any lookup, every resolved address and every redirect target
//! checked, unless `--allow-private-network`. A claim link the learner typed may be http on
//! loopback (development); what a badge names never may.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use passerelle_core::address_policy::{AddressPolicy, PolicyError};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Largest response read (a baked image may be this large; a credential is far smaller).
pub const MAX_RESPONSE_BYTES: usize = passerelle_core::bake::MAX_IMAGE_BYTES;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("{url} is not an http(s) URL")]
    Scheme { url: String },
    #[error("not fetched: {0} (pass --allow-private-network to reach an intranet)")]
    Refused(#[from] PolicyError),
    #[error("cannot fetch {url}: {reason}")]
    Network { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} sent more than {limit} bytes")]
    TooLarge { url: String, limit: usize },
}

/// A fetched body and its content type.
#[derive(Debug, Clone)]
pub struct Response {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
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
                Err(Some(refusal)) => {
                    Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>)
                }
                Err(None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

fn client(
    policy: AddressPolicy,
    connect: Duration,
    total: Duration,
) -> Result<reqwest::blocking::Client, FetchError> {
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        match policy.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(e) => attempt.error(e),
        }
    });
    reqwest::blocking::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .redirect(redirects)
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        // A proxy would resolve names itself, past the address checks.
        .no_proxy()
        .user_agent(concat!("passerelle-wallet/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Network {
            url: String::new(),
            reason: e.to_string(),
        })
}

const MAX_REDIRECTS: usize = 5;

/// Reusable HTTP clients: one for what a credential names, one for a link the learner typed.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::blocking::Client,
    typed: reqwest::blocking::Client,
    policy: AddressPolicy,
}

impl Fetcher {
    /// `allow_private_network`: the learner's `--allow-private-network` (intranets, tests).
    pub fn new(allow_private_network: bool) -> Result<Self, FetchError> {
        Self::with_timeouts(allow_private_network, CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// [`Fetcher::new`] with other timeouts (tests use short ones).
    pub fn with_timeouts(
        allow_private_network: bool,
        connect: Duration,
        total: Duration,
    ) -> Result<Self, FetchError> {
        // An intranet issuer often serves plain http: the flag that opens private networks
        // opens http with it; without it, https to public addresses only.
        let policy = AddressPolicy {
            allow_private_network,
            allow_http: allow_private_network,
            ..AddressPolicy::default()
        };
        Ok(Self {
            client: client(policy, connect, total)?,
            typed: client(Self::typed_policy(policy), connect, total)?,
            policy,
        })
    }

    fn typed_policy(policy: AddressPolicy) -> AddressPolicy {
        AddressPolicy {
            allow_loopback: true,
            ..policy
        }
    }

    /// GET a URL the learner typed (a claim link): like [`Fetcher::get`], but http and loopback
    /// are allowed for development, saying so on stderr.
    pub fn get_typed(&self, url: &str, accept: &str) -> Result<Response, FetchError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|_| FetchError::Scheme { url: url.into() })?;
        let typed = Self::typed_policy(self.policy);
        typed.check_url(&parsed)?;
        if self.policy.check_url(&parsed).is_err() {
            eprintln!(
                "note: {} is on this computer (loopback{}): allowed because you typed it, for development",
                passerelle_core::verify::terminal_safe(url),
                if parsed.scheme() == "http" { ", plain http" } else { "" }
            );
        }
        self.fetch(&self.typed, url, accept)
    }

    /// GET `url` with an `Accept` header.
    pub fn get(&self, url: &str, accept: &str) -> Result<Response, FetchError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|_| FetchError::Scheme { url: url.into() })?;
        self.policy.check_url(&parsed)?;
        self.fetch(&self.client, url, accept)
    }

    fn fetch(
        &self,
        client: &reqwest::blocking::Client,
        url: &str,
        accept: &str,
    ) -> Result<Response, FetchError> {
        let network = |e: reqwest::Error| {
            // Our own refusals (resolver, redirect policy) are inside the error chain.
            let mut source: Option<&dyn std::error::Error> = Some(&e);
            while let Some(inner) = source {
                if let Some(ours) = inner.downcast_ref::<PolicyError>() {
                    return FetchError::Refused(ours.clone());
                }
                source = inner.source();
            }
            FetchError::Network {
                url: url.into(),
                reason: cause(&e),
            }
        };
        let response = client
            .get(url)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .map_err(network)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.into(),
                status: status.as_u16(),
            });
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
        {
            return Err(FetchError::TooLarge {
                url: url.into(),
                limit: MAX_RESPONSE_BYTES,
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        response
            .take(MAX_RESPONSE_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| FetchError::Network {
                url: url.into(),
                reason: e.to_string(),
            })?;
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(FetchError::TooLarge {
                url: url.into(),
                limit: MAX_RESPONSE_BYTES,
            });
        }
        Ok(Response { body, content_type })
    }
}

/// Why a request failed, in plain words first — timed out, connection refused, DNS, TLS — then
/// the chain of causes reqwest wraps (its own message alone is "error sending request").
pub fn cause(error: &reqwest::Error) -> String {
    let mut chain = Vec::new();
    let mut kind = None;
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(inner) = source {
        let text = inner.to_string();
        if kind.is_none() {
            kind = classify(inner, &text);
        }
        if !chain.iter().any(|seen: &String| seen.contains(&text)) {
            chain.push(text);
        }
        source = inner.source();
    }
    if error.is_timeout() {
        kind = Some("timed out: no answer in time");
    }
    let detail = if chain.is_empty() {
        error.to_string()
    } else {
        chain.join(": ")
    };
    match kind {
        Some(kind) => format!("{kind} ({detail})"),
        None => detail,
    }
}

/// The plain name of one cause in the chain, if it is one of the usual ones.
fn classify(error: &(dyn std::error::Error + 'static), text: &str) -> Option<&'static str> {
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return Some("connection refused"),
            std::io::ErrorKind::TimedOut => return Some("timed out: no answer in time"),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                return Some("the connection was cut")
            }
            _ => {}
        }
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        Some("DNS: the host name could not be resolved")
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        Some("TLS: the secure connection failed")
    } else if lower.contains("timed out") {
        Some("timed out: no answer in time")
    } else if lower.contains("connection refused") {
        Some("connection refused")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;
    use std::sync::Arc;

    use super::*;

    fn fetcher() -> Fetcher {
        Fetcher::with_timeouts(true, Duration::from_secs(2), Duration::from_secs(2)).unwrap()
    }

    fn network_reason(result: Result<Response, FetchError>) -> String {
        match result {
            Err(FetchError::Network { reason, .. }) => reason,
            other => panic!("expected a network error, got {other:?}"),
        }
    }

    #[test]
    fn a_refused_connection_says_so() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        }; // closed again: nothing listens there
        let reason = network_reason(fetcher().get(&format!("http://127.0.0.1:{port}/"), "*/*"));
        assert!(reason.starts_with("connection refused"), "{reason}");
    }

    #[test]
    fn a_server_that_never_answers_is_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepts, reads nothing, answers nothing, until the test is over.
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().take(4).collect();
            std::thread::sleep(Duration::from_secs(10));
            drop(held);
        });
        let reason = network_reason(fetcher().get(&format!("http://127.0.0.1:{port}/"), "*/*"));
        assert!(reason.starts_with("timed out"), "{reason}");
    }

    #[test]
    fn an_untrusted_certificate_is_a_tls_failure() {
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
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(4) {
                let Ok(stream) = stream else { continue };
                let connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let reason = network_reason(fetcher().get(&format!("https://127.0.0.1:{port}/"), "*/*"));
        assert!(reason.starts_with("TLS"), "{reason}");
        assert!(reason.contains("certificate"), "{reason}");
    }
}
