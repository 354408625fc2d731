//! HTTP GET for claim links, did:web documents, status lists and schemas: rustls, timeouts, a size
//! cap, http(s) only, a handful of redirects.

use std::io::Read;
use std::time::Duration;

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

/// A reusable HTTP client.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::blocking::Client,
}

impl Fetcher {
    pub fn new() -> Result<Self, FetchError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("passerelle-wallet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Network {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { client })
    }

    /// GET `url` with an `Accept` header.
    pub fn get(&self, url: &str, accept: &str) -> Result<Response, FetchError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(FetchError::Scheme { url: url.into() });
        }
        let network = |e: reqwest::Error| FetchError::Network {
            url: url.into(),
            reason: e.without_url().to_string(),
        };
        let response = self
            .client
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
