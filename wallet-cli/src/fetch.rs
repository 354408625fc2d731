//! HTTP GET for claim links, did:web documents, status lists and schemas: rustls, timeouts, a size
//! cap, a handful of redirects, and the core's address policy (the verifier's): https only,
//! local names refused before any lookup, every resolved address and every redirect target
//! checked, unless `--allow-private-network`. A claim link the learner typed may be http on
//! loopback (development); what a badge names never may.
//!
//! `--allow-private-network` opens plain http too, but only to non-public destinations (the
//! core's table: loopback, private ranges, local names): an http URL whose host is a public
//! literal address is refused before any connection, and a name requested over http (first or
//! after a redirect) may only connect to the non-public addresses it resolves to.
//!
//! Trusted roots: the webpki roots, plus the certificates of `--ca-cert FILE` (PEM, one or more),
//! or, without `--ca-cert`, those of the file `$SSL_CERT_FILE` names (a local development CA).

use std::collections::BTreeSet;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use passerelle_core::address_policy::{self, AddressPolicy, PolicyError};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

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
    #[error("not fetched: {url}: plain http is allowed only to loopback and private addresses (with --allow-private-network); {reason}; use https")]
    PublicHttp { url: String, reason: String },
    #[error("the CA certificate file {path} ({origin}) {problem}")]
    CaFile {
        path: PathBuf,
        origin: &'static str,
        problem: String,
    },
}

/// Where a plain-http URL may go: decided from its host before any lookup. `Ok(true)`: the host
/// is a name to resolve, whose addresses must then all be non-public; `Ok(false)`: a non-public
/// literal address or a local name, allowed; `Err`: a public literal address.
pub fn plain_http_destination(url: &Url) -> Result<bool, FetchError> {
    let refused = |reason: String| FetchError::PublicHttp {
        url: url.to_string(),
        reason,
    };
    match url.host() {
        Some(url::Host::Ipv4(a)) => public_literal(IpAddr::V4(a)).map_err(refused),
        Some(url::Host::Ipv6(a)) => public_literal(IpAddr::V6(a)).map_err(refused),
        Some(url::Host::Domain(name)) => Ok(address_policy::private_name(name).is_none()),
        None => Err(refused("it has no host".into())),
    }
}

fn public_literal(address: IpAddr) -> Result<bool, String> {
    if address_policy::is_public(address) {
        Err(format!("{address} is a public address"))
    } else {
        Ok(false)
    }
}

/// Trusted root certificates added to the webpki roots.
#[derive(Debug, Clone, Default)]
pub struct ExtraRoots {
    certificates: Vec<reqwest::Certificate>,
    /// The files they came from, for messages.
    pub files: Vec<PathBuf>,
}

impl ExtraRoots {
    /// The roots of `--ca-cert FILE…`, or if none was given, of `$SSL_CERT_FILE` (`ssl_cert_file`)
    /// if set and not empty.
    pub fn load(ca_certs: &[PathBuf], ssl_cert_file: Option<PathBuf>) -> Result<Self, FetchError> {
        let mut roots = Self::default();
        if ca_certs.is_empty() {
            if let Some(path) = ssl_cert_file.filter(|p| !p.as_os_str().is_empty()) {
                roots.add_file(&path, "$SSL_CERT_FILE")?;
            }
        } else {
            for path in ca_certs {
                roots.add_file(path, "--ca-cert")?;
            }
        }
        Ok(roots)
    }

    fn add_file(&mut self, path: &Path, origin: &'static str) -> Result<(), FetchError> {
        let problem = |problem: String| FetchError::CaFile {
            path: path.to_owned(),
            origin,
            problem,
        };
        let meta = std::fs::metadata(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
        if !meta.is_file() || meta.len() > 4 * 1024 * 1024 {
            return Err(problem(
                "is not a PEM file (not a regular file, or larger than 4 MiB)".into(),
            ));
        }
        let pem = std::fs::read(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| problem(format!("is not valid PEM: {e}")))?;
        if certificates.is_empty() {
            return Err(problem(
                "holds no certificate (expected one or more PEM blocks \"-----BEGIN CERTIFICATE-----\")"
                    .into(),
            ));
        }
        // Each certificate must be usable as a root (its DER must parse).
        for (n, certificate) in certificates.iter().enumerate() {
            reqwest::Client::builder()
                .use_rustls_tls()
                .tls_built_in_root_certs(false)
                .add_root_certificate(certificate.clone())
                .build()
                .map_err(|e| {
                    problem(format!(
                        "holds a certificate (number {}) that is not usable as a root: {}",
                        n + 1,
                        error_chain(&e)
                    ))
                })?;
        }
        self.certificates.extend(certificates);
        self.files.push(path.to_owned());
        Ok(())
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// A fetched body and its content type.
#[derive(Debug, Clone)]
pub struct Response {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// Names requested over plain http: they may connect only to non-public addresses.
type HttpNames = Arc<Mutex<BTreeSet<String>>>;

/// Resolves host names, keeping only addresses the policy allows (and, for a name requested over
/// plain http, only non-public ones).
struct GuardedResolver {
    policy: AddressPolicy,
    http_names: HttpNames,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let http_names = Arc::clone(&self.http_names);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<IpAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .map(|a| a.ip())
                .collect();
            let plain_http = http_names
                .lock()
                .map(|names| names.contains(&host.to_ascii_lowercase()))
                .unwrap_or(true);
            let resolved = if plain_http {
                keep_for_plain_http(&host, resolved)
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
            } else {
                resolved
            };
            match policy.check_resolved(&host, resolved) {
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

/// The addresses a name requested over plain http may connect to: its non-public ones; if it
/// resolved to public addresses only, the refusal.
pub fn keep_for_plain_http(host: &str, resolved: Vec<IpAddr>) -> Result<Vec<IpAddr>, FetchError> {
    let (private, public): (Vec<IpAddr>, Vec<IpAddr>) = resolved
        .into_iter()
        .partition(|a| !address_policy::is_public(*a));
    match public.first() {
        Some(first) if private.is_empty() => Err(FetchError::PublicHttp {
            url: format!("http://{host}/"),
            reason: format!("{host} resolves to {first}, a public address"),
        }),
        _ => Ok(private),
    }
}

/// Checks a plain-http URL and, when its host is a name, marks it so the resolver keeps only
/// its non-public addresses. https URLs pass untouched.
fn admit_plain_http(url: &Url, http_names: &HttpNames) -> Result<(), FetchError> {
    if url.scheme() != "http" {
        return Ok(());
    }
    if plain_http_destination(url)? {
        if let (Some(host), Ok(mut names)) = (url.host_str(), http_names.lock()) {
            names.insert(host.to_ascii_lowercase());
        }
    }
    Ok(())
}

fn client(
    policy: AddressPolicy,
    connect: Duration,
    total: Duration,
    roots: &ExtraRoots,
    http_names: &HttpNames,
) -> Result<reqwest::blocking::Client, FetchError> {
    let names = Arc::clone(http_names);
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        if let Err(e) = policy.check_url(attempt.url()) {
            return attempt.error(e);
        }
        match admit_plain_http(attempt.url(), &names) {
            Ok(()) => attempt.follow(),
            Err(e) => attempt.error(e),
        }
    });
    let mut builder = reqwest::blocking::Client::builder();
    for certificate in &roots.certificates {
        builder = builder.add_root_certificate(certificate.clone());
    }
    builder
        .connect_timeout(connect)
        .timeout(total)
        .redirect(redirects)
        .dns_resolver(Arc::new(GuardedResolver {
            policy,
            http_names: Arc::clone(http_names),
        }))
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
    http_names: HttpNames,
}

impl Fetcher {
    /// `allow_private_network`: the learner's `--allow-private-network` (intranets, tests);
    /// `roots`: extra trusted roots (`--ca-cert`, `$SSL_CERT_FILE`).
    pub fn new(allow_private_network: bool, roots: &ExtraRoots) -> Result<Self, FetchError> {
        Self::with_timeouts(allow_private_network, roots, CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// [`Fetcher::new`] with other timeouts (tests use short ones).
    pub fn with_timeouts(
        allow_private_network: bool,
        roots: &ExtraRoots,
        connect: Duration,
        total: Duration,
    ) -> Result<Self, FetchError> {
        // An intranet issuer often serves plain http: the flag that opens private networks
        // opens http with it, to non-public destinations only (checked in `admit_plain_http`
        // and the resolver); without it, https to public addresses only.
        let policy = AddressPolicy {
            allow_private_network,
            allow_http: allow_private_network,
            ..AddressPolicy::default()
        };
        let http_names = HttpNames::default();
        Ok(Self {
            client: client(policy, connect, total, roots, &http_names)?,
            typed: client(
                Self::typed_policy(policy),
                connect,
                total,
                roots,
                &http_names,
            )?,
            policy,
            http_names,
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
        admit_plain_http(&parsed, &self.http_names)?;
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
        admit_plain_http(&parsed, &self.http_names)?;
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
                if let Some(FetchError::PublicHttp { url, reason }) =
                    inner.downcast_ref::<FetchError>()
                {
                    return FetchError::PublicHttp {
                        url: url.clone(),
                        reason: reason.clone(),
                    };
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
        Fetcher::with_timeouts(
            true,
            &ExtraRoots::default(),
            Duration::from_secs(2),
            Duration::from_secs(2),
        )
        .unwrap()
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

    fn strict() -> Fetcher {
        Fetcher::with_timeouts(
            false,
            &ExtraRoots::default(),
            Duration::from_secs(2),
            Duration::from_secs(2),
        )
        .unwrap()
    }

    /// Serves each connection on 127.0.0.1 with `answer` (after reading the request head), up to
    /// `count` connections; returns the port.
    fn serve_plain(answer: String, count: usize) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(count) {
                let Ok(mut stream) = stream else { continue };
                read_head(&mut stream);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        port
    }

    fn read_head(stream: &mut impl std::io::Read) {
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"\r\n\r\n") && seen.len() < 16 * 1024 {
            match stream.read(&mut byte) {
                Ok(1) => seen.push(byte[0]),
                _ => break,
            }
        }
    }

    fn ok_answer(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    /// Plain http with --allow-private-network: non-public destinations only, decided before any
    /// connection (pure: no address here is contacted).
    #[test]
    fn plain_http_goes_only_to_non_public_destinations() {
        let url = |u: &str| Url::parse(u).unwrap();
        for public in ["http://8.8.8.8/list", "http://[2606:4700::1111]/list"] {
            match plain_http_destination(&url(public)) {
                Err(e @ FetchError::PublicHttp { .. }) => {
                    let text = e.to_string();
                    assert!(text.contains("is a public address"), "{text}");
                    assert!(
                        text.contains("plain http is allowed only to loopback and private"),
                        "{text}"
                    );
                }
                other => panic!("{public}: {other:?}"),
            }
        }
        for private in [
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://192.168.1.20/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://printer.local/",
            "http://localhost:9000/",
        ] {
            assert!(!plain_http_destination(&url(private)).unwrap(), "{private}");
        }
        // A name: allowed, its public addresses then dropped.
        assert!(plain_http_destination(&url("http://intranet.example.com/")).unwrap());
        let public: IpAddr = "8.8.8.8".parse().unwrap();
        let private: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(
            keep_for_plain_http("intranet.example.com", vec![public, private]).unwrap(),
            vec![private]
        );
        assert!(matches!(
            keep_for_plain_http("www.example.com", vec![public]),
            Err(FetchError::PublicHttp { reason, .. }) if reason.contains("resolves to 8.8.8.8")
        ));
        // The fetcher refuses a public literal before any connection (`get` returns before
        // `fetch`).
        let fetcher = fetcher();
        assert!(matches!(
            fetcher.get("http://8.8.8.8/list", "*/*"),
            Err(FetchError::PublicHttp { .. })
        ));
        // https to a public address is not affected by the http rule.
        assert!(admit_plain_http(&url("https://8.8.8.8/"), &fetcher.http_names).is_ok());
    }

    /// The loopback path stays open: plain http on 127.0.0.1 with --allow-private-network.
    #[test]
    fn plain_http_to_loopback_is_fetched_with_allow_private_network() {
        let port = serve_plain(ok_answer("{\"ok\":true}"), 1);
        let response = fetcher()
            .get(&format!("http://127.0.0.1:{port}/list"), "*/*")
            .unwrap();
        assert_eq!(response.body, b"{\"ok\":true}");
    }

    /// A redirect is checked by the policy before it is followed: from a link the learner typed
    /// (loopback, allowed) to a private address or a local name, refused before any connection.
    #[test]
    fn a_redirect_to_a_non_public_address_is_refused() {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737), never routed; refused before any connect anyway.
        for target in [
            "https://192.0.2.1/x",
            "https://printer.local/x",
            "https://10.0.0.1/x",
            "https://[::ffff:192.168.1.1]/x",
        ] {
            let port = serve_plain(
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
                1,
            );
            match strict().get_typed(&format!("http://127.0.0.1:{port}/claim"), "*/*") {
                Err(FetchError::Refused(e)) => {
                    let text = e.to_string();
                    assert!(text.contains("not a public"), "{target}: {text}");
                }
                other => panic!("{target}: {other:?}"),
            }
        }
    }

    /// A name that resolves to loopback is refused without --allow-private-network: the resolver
    /// checks what the lookup returned (here the lookup of a name that is an address, so no DNS
    /// server is asked), and the `localhost` names are refused before any lookup.
    #[test]
    fn a_name_resolving_to_loopback_is_refused_without_allow_private_network() {
        let resolver = GuardedResolver {
            policy: AddressPolicy::default(),
            http_names: HttpNames::default(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for name in ["127.0.0.1", "::1"] {
            let resolving = resolver.resolve(name.parse::<Name>().unwrap());
            let error = match runtime.block_on(resolving) {
                Ok(addrs) => panic!("{name}: resolved to {:?}", addrs.collect::<Vec<_>>()),
                Err(e) => e,
            };
            let refusal = error
                .downcast_ref::<PolicyError>()
                .expect("a policy refusal");
            assert!(
                refusal.address().is_some_and(address_policy::is_loopback),
                "{refusal}"
            );
        }
        // With the flag, the same lookup is allowed.
        let open = GuardedResolver {
            policy: AddressPolicy {
                allow_private_network: true,
                ..AddressPolicy::default()
            },
            http_names: HttpNames::default(),
        };
        let addrs: Vec<_> = runtime
            .block_on(open.resolve("127.0.0.1".parse::<Name>().unwrap()))
            .unwrap()
            .collect();
        assert_eq!(addrs[0].ip(), IpAddr::from([127, 0, 0, 1]));
        for url in ["https://localhost:8443/did.json", "https://localhost./x"] {
            assert!(matches!(
                strict().get(url, "*/*"),
                Err(FetchError::Refused(PolicyError::PrivateName { .. }))
            ));
        }
    }

    /// A local development CA: a leaf for 127.0.0.1 and localhost signed by it, and its PEM.
    fn local_ca() -> (String, Arc<rustls::ServerConfig>) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Passerelle test CA");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
            .unwrap();
        (ca.pem(), Arc::new(config))
    }

    fn serve_tls(config: Arc<rustls::ServerConfig>, body: &'static str, count: usize) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(count) {
                let Ok(stream) = stream else { continue };
                let connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
                let mut tls = rustls::StreamOwned::new(connection, stream);
                read_head(&mut tls);
                let _ = tls.write_all(ok_answer(body).as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        port
    }

    fn roots_fetcher(roots: &ExtraRoots) -> Fetcher {
        Fetcher::with_timeouts(true, roots, Duration::from_secs(2), Duration::from_secs(2)).unwrap()
    }

    /// Issue 12 point 1: a server certified by a local CA is refused (TLS, naming the problem)
    /// until the CA is trusted with --ca-cert or $SSL_CERT_FILE.
    #[test]
    fn a_local_ca_is_trusted_with_ca_cert_or_ssl_cert_file() {
        let (ca_pem, config) = local_ca();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &ca_pem).unwrap();
        let port = serve_tls(config, "{\"claimed\":1}", 3);
        let url = format!("https://127.0.0.1:{port}/claim/x");

        let reason = network_reason(roots_fetcher(&ExtraRoots::default()).get(&url, "*/*"));
        assert!(reason.starts_with("TLS"), "{reason}");
        assert!(reason.contains("UnknownIssuer"), "{reason}");

        let given = ExtraRoots::load(std::slice::from_ref(&ca_file), None).unwrap();
        let body = roots_fetcher(&given).get(&url, "*/*").unwrap().body;
        assert_eq!(body, b"{\"claimed\":1}");

        let from_env = ExtraRoots::load(&[], Some(ca_file.clone())).unwrap();
        assert_eq!(from_env.files, vec![ca_file.clone()]);
        let body = roots_fetcher(&from_env).get(&url, "*/*").unwrap().body;
        assert_eq!(body, b"{\"claimed\":1}");

        // --ca-cert wins over $SSL_CERT_FILE.
        let other = dir.path().join("other.pem");
        std::fs::write(&other, &ca_pem).unwrap();
        let both = ExtraRoots::load(std::slice::from_ref(&ca_file), Some(other)).unwrap();
        assert_eq!(both.files, vec![ca_file]);
    }

    #[test]
    fn a_bad_ca_file_is_named_with_its_problem() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no PEM here\n").unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for (path, problem) in [
            (&missing, "cannot be read"),
            (&empty, "holds no certificate"),
            (&garbage, "not usable as a root"),
            (&dir.path().to_owned(), "not a regular file"),
        ] {
            for from_env in [false, true] {
                let result = if from_env {
                    ExtraRoots::load(&[], Some(path.clone()))
                } else {
                    ExtraRoots::load(std::slice::from_ref(path), None)
                };
                let text = result.unwrap_err().to_string();
                assert!(text.contains(&path.display().to_string()), "{text}");
                assert!(text.contains(problem), "{text}");
                assert!(
                    text.contains(if from_env {
                        "$SSL_CERT_FILE"
                    } else {
                        "--ca-cert"
                    }),
                    "{text}"
                );
            }
        }
    }
}
