//! HTTP GET for claim links, did:web documents, status lists, schemas, OpenID4VCI and Open Badges
//! API metadata, POST for the OpenID4VCI endpoints (token, nonce, credential, notification), and
//! any request ([`Fetcher::send`]) for the Open Badges API's OAuth 2.0 client and its bearer GETs:
//! rustls, timeouts, a size cap, a handful of redirects (none for a POST or a `send`, which may
//! carry a code, a client secret or a token), and the
//! core's address policy (the verifier's): https only,
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

/// An HTTP answer of any status, for the endpoints whose errors are JSON bodies (OpenID4VCI,
/// RFC 6749 §5.2): the caller reads the error from it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// The `WWW-Authenticate` header (RFC 6750 §3: why a bearer token was refused).
    pub www_authenticate: Option<String>,
    /// Every `Link` header (RFC 8288), joined with `, ` as one value (pagination, §3).
    pub link: Option<String>,
}

/// What a POST sends.
#[derive(Clone, Copy)]
pub enum PostBody<'a> {
    /// Nothing (`Content-Length: 0`).
    Empty,
    /// `application/x-www-form-urlencoded` name/value pairs (encoded here).
    Form(&'a [(&'a str, &'a str)]),
    /// `application/json`.
    Json(&'a serde_json::Value),
}

/// A POST: where, what, and the bearer token if any (sent as `Authorization: Bearer`, marked
/// sensitive so it never appears in a debug print).
#[derive(Clone, Copy)]
pub struct Post<'a> {
    pub url: &'a str,
    pub accept: &'a str,
    pub body: PostBody<'a>,
    pub bearer: Option<&'a str>,
}

impl std::fmt::Debug for Post<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may hold a pre-authorized code or a transaction code: never printed.
        f.debug_struct("Post")
            .field("url", &self.url)
            .field("accept", &self.accept)
            .field("bearer", &self.bearer.map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
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

/// Whether a client follows redirects: a GET does (each target checked), a POST never does (a
/// 307 would resend a code or a token to wherever it points).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redirects {
    Follow,
    Never,
}

fn client(
    policy: AddressPolicy,
    connect: Duration,
    total: Duration,
    roots: &ExtraRoots,
    http_names: &HttpNames,
    follow: Redirects,
) -> Result<reqwest::blocking::Client, FetchError> {
    let names = Arc::clone(http_names);
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if follow == Redirects::Never {
            return attempt.stop();
        }
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

/// Reusable HTTP clients: one for what a credential names, one for a link the learner typed, one
/// for POSTs (no redirects).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::blocking::Client,
    typed: reqwest::blocking::Client,
    posting: reqwest::blocking::Client,
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
            client: client(
                policy,
                connect,
                total,
                roots,
                &http_names,
                Redirects::Follow,
            )?,
            typed: client(
                Self::typed_policy(policy),
                connect,
                total,
                roots,
                &http_names,
                Redirects::Follow,
            )?,
            posting: client(policy, connect, total, roots, &http_names, Redirects::Never)?,
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

    /// POST under the same address policy as [`Fetcher::get`]; the answer is returned whatever
    /// its status (an error's body says what was wrong), capped like every response. Redirects
    /// are not followed: a 3xx answer is returned as it is.
    pub fn post(&self, post: Post<'_>) -> Result<Answer, FetchError> {
        let url = post.url;
        let parsed =
            reqwest::Url::parse(url).map_err(|_| FetchError::Scheme { url: url.into() })?;
        self.policy.check_url(&parsed)?;
        admit_plain_http(&parsed, &self.http_names)?;
        let mut request = self
            .posting
            .post(url)
            .header(reqwest::header::ACCEPT, post.accept);
        request = match post.body {
            PostBody::Empty => request.header(reqwest::header::CONTENT_LENGTH, "0"),
            PostBody::Form(fields) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in fields {
                    form.append_pair(name, value);
                }
                request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(form.finish())
            }
            PostBody::Json(value) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(value.to_string()),
        };
        if let Some(token) = post.bearer {
            let mut value = reqwest::header::HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|_| FetchError::Network {
                    url: url.into(),
                    reason: "the access token holds characters an HTTP header cannot carry".into(),
                })?;
            value.set_sensitive(true);
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        let response = request.send().map_err(|e| network_error(url, &e))?;
        answer(url, response)
    }

    /// Any request (the OAuth 2.0 client's, the Open Badges API's bearer GETs): the address
    /// policy of [`Fetcher::post`], no redirect followed (a request may carry a code, a client
    /// secret or a token), the answer whatever its status, capped like every response.
    /// `Authorization` headers are marked sensitive, so they never appear in a debug print.
    pub fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &reqwest::header::HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer, FetchError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|_| FetchError::Scheme { url: url.into() })?;
        self.policy.check_url(&parsed)?;
        admit_plain_http(&parsed, &self.http_names)?;
        let mut headers = headers.clone();
        if let Some(value) = headers.get_mut(reqwest::header::AUTHORIZATION) {
            value.set_sensitive(true);
        }
        let mut request = self.posting.request(method, url).headers(headers);
        if !body.is_empty() {
            request = request.body(body);
        }
        let response = request.send().map_err(|e| network_error(url, &e))?;
        answer(url, response)
    }

    fn fetch(
        &self,
        client: &reqwest::blocking::Client,
        url: &str,
        accept: &str,
    ) -> Result<Response, FetchError> {
        let response = client
            .get(url)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .map_err(|e| network_error(url, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.into(),
                status: status.as_u16(),
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_body(url, response)?;
        Ok(Response { body, content_type })
    }
}

/// Every `Link` header of an answer as one value (RFC 8288 §3: several are the same as one
/// joined with commas); `None` without any.
fn links(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let all: Vec<&str> = headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!all.is_empty()).then(|| all.join(", "))
}

/// A request's failure: our own refusals (resolver, redirect policy) are inside the error chain
/// and come out as such; anything else is a network error in plain words.
fn network_error(url: &str, e: &reqwest::Error) -> FetchError {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(inner) = source {
        if let Some(ours) = inner.downcast_ref::<PolicyError>() {
            return FetchError::Refused(ours.clone());
        }
        if let Some(FetchError::PublicHttp { url, reason }) = inner.downcast_ref::<FetchError>() {
            return FetchError::PublicHttp {
                url: url.clone(),
                reason: reason.clone(),
            };
        }
        source = inner.source();
    }
    FetchError::Network {
        url: url.into(),
        reason: cause(e),
    }
}

/// The parts of `response` a caller reads: status, the headers that matter, the body (capped).
fn answer(url: &str, response: reqwest::blocking::Response) -> Result<Answer, FetchError> {
    let status = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let www_authenticate = header(reqwest::header::WWW_AUTHENTICATE);
    let link = links(response.headers());
    let body = read_body(url, response)?;
    Ok(Answer {
        status,
        body,
        content_type,
        www_authenticate,
        link,
    })
}

/// A response's body, at most [`MAX_RESPONSE_BYTES`] (announced or actual).
fn read_body(url: &str, response: reqwest::blocking::Response) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge {
        url: url.into(),
        limit: MAX_RESPONSE_BYTES,
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    response
        .take(MAX_RESPONSE_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| FetchError::Network {
            url: url.into(),
            reason: e.to_string(),
        })?;
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(too_large());
    }
    Ok(body)
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
mod tests;
