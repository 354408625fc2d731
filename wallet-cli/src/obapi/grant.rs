//! The OAuth 2.0 side of a connection (OB 3.0 §7.1–7.5): dynamic client registration
//! (RFC 7591), the authorization code grant with PKCE S256 (RFC 7636) and `state`, the browser's
//! answer on a loopback redirect URI (RFC 8252 §7.3), the token request with HTTP Basic client
//! authentication (RFC 6749 §2.3.1), refresh, and revocation (RFC 7009).
//!
//! The grant is the `oauth2` crate's (PKCE pair, state, authorization URL, code exchange,
//! refresh, revocation with `token_type_hint`; it form-urlencodes the client id and secret
//! before base64 as §2.3.1 asks); its HTTP goes through [`OverFetcher`], so the wallet's address
//! rules, timeouts and size caps apply and no redirect is followed. Registration is a plain JSON
//! POST through the same fetcher (the crate has no RFC 7591 client).

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, RevocationUrl,
    StandardRevocableToken, TokenResponse, TokenUrl,
};
use passerelle_core::obapi::{self, ClientRegistration, Scope, ServiceDescription};
use subtle::ConstantTimeEq;
use url::Url;
use zeroize::Zeroizing;

use super::discovery::parse_json;
use super::{described, ObApiClientError, CALLBACK_PATH};
use crate::fetch::{FetchError, Fetcher, Post, PostBody};

/// The scopes the wallet asks for: reading the learner's credentials (what it is for) and
/// profile. Only the first is needed.
pub const WANTED: [Scope; 2] = [Scope::CredentialReadonly, Scope::ProfileReadonly];
/// The scope a connection cannot do without.
pub const NEEDED: Scope = Scope::CredentialReadonly;
/// Largest browser request read on the loopback listener.
const MAX_CALLBACK_BYTES: usize = 16 * 1024;

/// The `oauth2` crate's HTTP client: the wallet's [`Fetcher::send`] (address policy, timeouts,
/// size cap, no redirects).
pub struct OverFetcher<'a>(pub &'a Fetcher);

impl oauth2::SyncHttpClient for OverFetcher<'_> {
    type Error = FetchError;

    fn call(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, FetchError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let answer = self.0.send(parts.method, &url, &parts.headers, body)?;
        let mut response = oauth2::http::Response::builder().status(answer.status);
        if let Some(content_type) = &answer.content_type {
            response = response.header(oauth2::http::header::CONTENT_TYPE, content_type);
        }
        response.body(answer.body).map_err(|e| FetchError::Network {
            url,
            reason: e.to_string(),
        })
    }
}

/// The client credentials a registration gave, and the scopes the provider said it supports.
pub struct Registered {
    pub client_id: String,
    pub client_secret: Zeroizing<String>,
    /// The registration response's `scope` (OB 3.0 §7.1.1: the scopes the server supports).
    pub scope: Option<String>,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The registration request (RFC 7591 §2, every property OB 3.0 §7.1.1 requires, arrays even
/// for one value) for the loopback `redirect_uri`.
pub fn registration_request(redirect_uri: &str) -> ClientRegistration {
    ClientRegistration {
        client_name: super::CLIENT_NAME.into(),
        client_uri: super::CLIENT_URI.into(),
        logo_uri: super::LOGO_URI.into(),
        tos_uri: super::TOS_URI.into(),
        policy_uri: super::POLICY_URI.into(),
        software_id: super::SOFTWARE_ID.into(),
        software_version: super::SOFTWARE_VERSION.into(),
        redirect_uris: vec![redirect_uri.to_owned()],
        scope: obapi::scope_string(&WANTED),
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        grant_types: Some(vec![
            obapi::registration::GRANT_AUTHORIZATION_CODE.into(),
            obapi::registration::GRANT_REFRESH_TOKEN.into(),
        ]),
        response_types: Some(vec!["code".into()]),
        contacts: None,
    }
}

/// Registers the wallet at the description's registration URL (RFC 7591 §3.1): 201 (or 200)
/// with the response OB 3.0 §7.1.1 requires (read by the core); a 400 is the provider's refusal,
/// with its error code and description. Also returns what the core warned about (a provider
/// that changed the redirect URI).
pub fn register(
    fetcher: &Fetcher,
    description: &ServiceDescription,
    redirect_uri: &str,
) -> Result<(Registered, Vec<String>), ObApiClientError> {
    let url = description.registration_url.as_str();
    let sent = registration_request(redirect_uri);
    let request = serde_json::to_value(&sent).map_err(|e| ObApiClientError::Malformed {
        what: "registration request",
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let answer = fetcher.post(Post {
        url,
        accept: "application/json",
        body: PostBody::Json(&request),
        bearer: None,
    })?;
    if !matches!(answer.status, 200 | 201) {
        let refusal = parse_json("registration error", url, &answer.body)
            .ok()
            .and_then(|v| obapi::parse_oauth_error(&v).ok());
        return Err(match refusal {
            Some(e) => ObApiClientError::RegistrationRefused {
                url: url.to_owned(),
                status: answer.status,
                error: e.error,
                description: described(e.error_description.as_deref()),
            },
            None => ObApiClientError::Status {
                url: url.to_owned(),
                status: answer.status,
                detail: " to the registration request".into(),
            },
        });
    }
    let value = parse_json("registration response", url, &answer.body)?;
    let (client, warnings) = obapi::parse_registration_response(&value, &sent).map_err(|e| {
        ObApiClientError::Malformed {
            what: "registration response",
            url: url.to_owned(),
            reason: e.to_string(),
        }
    })?;
    Ok((
        Registered {
            client_id: client.client_id,
            client_secret: Zeroizing::new(client.client_secret),
            scope: Some(client.metadata.scope).filter(|s| !s.trim().is_empty()),
        },
        warnings,
    ))
}

/// The scopes to ask for: the wanted ones the provider supports (all of them when the
/// registration answer did not say), `offline_access` too when it lists it (some providers
/// issue refresh tokens only then). Without [`NEEDED`] there is nothing to connect for.
pub fn scopes_to_request(registered_scope: Option<&str>) -> Result<Vec<String>, ObApiClientError> {
    let Some(offered) = registered_scope.filter(|s| !s.trim().is_empty()) else {
        return Ok(WANTED.iter().map(|s| s.uri().to_owned()).collect());
    };
    let offered: Vec<&str> = offered.split_ascii_whitespace().collect();
    let mut scopes: Vec<String> = WANTED
        .iter()
        .map(|s| s.uri())
        .filter(|uri| offered.contains(uri))
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == NEEDED.uri()) {
        return Err(ObApiClientError::NoScope {
            needed: NEEDED.uri().to_owned(),
            offered: offered.join(" "),
        });
    }
    if offered.contains(&"offline_access") {
        scopes.push("offline_access".into());
    }
    Ok(scopes)
}

/// An authorization request waiting for the browser's answer: the URL to open, and the state
/// and PKCE verifier it was made with (never shown).
pub struct Pending {
    pub url: Url,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("scopes", &self.scopes)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

fn url_error(url: &Url, e: impl std::fmt::Display) -> ObApiClientError {
    ObApiClientError::Url {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

/// The authorization request (OB 3.0 §7.2, RFC 6749 §4.1.1, RFC 7636 §4.3): `response_type=code`,
/// the client id, the loopback redirect URI, the scopes, a random `state` and an S256 challenge
/// of a random verifier.
pub fn authorization_request(
    description: &ServiceDescription,
    client_id: &str,
    redirect_uri: &str,
    scopes: Vec<String>,
) -> Result<Pending, ObApiClientError> {
    let redirect = Url::parse(redirect_uri).map_err(|e| ObApiClientError::Url {
        url: redirect_uri.to_owned(),
        reason: e.to_string(),
    })?;
    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(AuthUrl::from_url(description.authorization_url.clone()))
        .set_redirect_uri(RedirectUrl::from_url(redirect));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes.iter().cloned().map(oauth2::Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Pending {
        url,
        state,
        verifier,
        scopes,
        redirect_uri: redirect_uri.to_owned(),
    })
}

/// The tokens of a token response (RFC 6749 §5.1). Its `Debug` shows no token.
pub struct Tokens {
    pub access_token: Zeroizing<String>,
    pub refresh_token: Option<Zeroizing<String>>,
    pub expires_in: Option<Duration>,
    /// The scopes granted (the response's `scope`, else those asked for, §5.1).
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The provider's client credentials for a token or revocation request.
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

fn token_url(url: &str) -> Result<TokenUrl, ObApiClientError> {
    TokenUrl::new(url.to_owned()).map_err(|e| ObApiClientError::Url {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

/// Exchanges the browser's code (OB 3.0 §7.3): `grant_type=authorization_code`, the code, the
/// same redirect URI, the scopes and the PKCE verifier, with HTTP Basic client authentication.
pub fn exchange_code(
    fetcher: &Fetcher,
    token_endpoint: &str,
    client: &ClientCredentials<'_>,
    pending: Pending,
    code: &str,
) -> Result<Tokens, ObApiClientError> {
    let redirect = Url::parse(&pending.redirect_uri).map_err(|e| url_error(&pending.url, e))?;
    let oauth = BasicClient::new(ClientId::new(client.client_id.to_owned()))
        .set_client_secret(ClientSecret::new(client.client_secret.to_owned()))
        .set_token_uri(token_url(token_endpoint)?)
        .set_redirect_uri(RedirectUrl::from_url(redirect));
    let scope = pending.scopes.join(" ");
    let response = oauth
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(pending.verifier)
        // OB 3.0 §7.3 lists `scope` as required in the token request.
        .add_extra_param("scope", scope)
        .request(&OverFetcher(fetcher))
        .map_err(|e| token_error(token_endpoint, e))?;
    tokens(token_endpoint, &response, &pending.scopes)
}

/// A refresh (OB 3.0 §7.4, RFC 6749 §6) with the connection's scopes. The answer's refresh
/// token, if any, replaces the old one: the caller stores it before using the access token.
pub fn refresh(
    fetcher: &Fetcher,
    token_endpoint: &str,
    client: &ClientCredentials<'_>,
    refresh_token: &str,
    scopes: &[String],
) -> Result<Tokens, ObApiClientError> {
    let oauth = BasicClient::new(ClientId::new(client.client_id.to_owned()))
        .set_client_secret(ClientSecret::new(client.client_secret.to_owned()))
        .set_token_uri(token_url(token_endpoint)?);
    let token = RefreshToken::new(refresh_token.to_owned());
    let response = oauth
        .exchange_refresh_token(&token)
        .add_scopes(scopes.iter().cloned().map(oauth2::Scope::new))
        .request(&OverFetcher(fetcher))
        .map_err(|e| token_error(token_endpoint, e))?;
    tokens(token_endpoint, &response, scopes)
}

/// The tokens of a response, which must be a bearer token (OB 3.0 §7.3: `token_type`, case
/// insensitive, MUST be "bearer": the resources take nothing else).
fn tokens(
    url: &str,
    response: &oauth2::basic::BasicTokenResponse,
    asked: &[String],
) -> Result<Tokens, ObApiClientError> {
    if *response.token_type() != oauth2::basic::BasicTokenType::Bearer {
        return Err(ObApiClientError::Token {
            url: url.to_owned(),
            reason: format!(
                "token_type is {:?}, not \"bearer\"",
                response.token_type().as_ref()
            ),
        });
    }
    Ok(Tokens {
        access_token: Zeroizing::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|t| Zeroizing::new(t.secret().clone())),
        expires_in: response.expires_in(),
        scopes: response
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_else(|| asked.to_vec()),
    })
}

/// A token endpoint's failure, without what the answer held (a body that failed to parse may
/// hold a token).
fn token_error<E: oauth2::ErrorResponse + 'static>(
    url: &str,
    e: RequestTokenError<FetchError, E>,
) -> ObApiClientError {
    match e {
        RequestTokenError::ServerResponse(answer) => {
            // The standard error response: its JSON names `error` and the description.
            let value = serde_json::to_value(&answer).unwrap_or_default();
            ObApiClientError::TokenRefused {
                url: url.to_owned(),
                error: value["error"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_owned(),
                description: described(value["error_description"].as_str()),
            }
        }
        RequestTokenError::Request(fetch) => ObApiClientError::Fetch(fetch),
        RequestTokenError::Parse(e, _body) => ObApiClientError::Token {
            url: url.to_owned(),
            reason: format!("not the JSON RFC 6749 §5.1 defines (at {})", e.path()),
        },
        RequestTokenError::Other(reason) => ObApiClientError::Token {
            url: url.to_owned(),
            reason,
        },
    }
}

/// Which token a revocation is for (RFC 7009 §2.1 `token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Refresh,
    Access,
}

/// Revokes `token` at the RFC 7009 endpoint, with HTTP Basic client authentication and the
/// `token_type_hint`. 200 is success (also for a token the provider no longer knows, §2.2).
pub fn revoke(
    fetcher: &Fetcher,
    revocation_url: &str,
    client: &ClientCredentials<'_>,
    token: &str,
    kind: TokenKind,
) -> Result<(), ObApiClientError> {
    let refused = |reason: String| ObApiClientError::Revocation {
        url: revocation_url.to_owned(),
        reason,
    };
    let endpoint =
        RevocationUrl::new(revocation_url.to_owned()).map_err(|e| refused(e.to_string()))?;
    // The token URL is not used by a revocation; the crate's type needs one set for its
    // builder only when exchanging, so none is set here.
    let oauth = BasicClient::new(ClientId::new(client.client_id.to_owned()))
        .set_client_secret(ClientSecret::new(client.client_secret.to_owned()))
        .set_revocation_url(endpoint);
    let token = match kind {
        TokenKind::Refresh => {
            StandardRevocableToken::RefreshToken(RefreshToken::new(token.to_owned()))
        }
        TokenKind::Access => {
            StandardRevocableToken::AccessToken(oauth2::AccessToken::new(token.to_owned()))
        }
    };
    let request = oauth
        .revoke_token(token)
        .map_err(|e| refused(e.to_string()))?;
    match request.request(&OverFetcher(fetcher)) {
        Ok(()) => Ok(()),
        Err(RequestTokenError::Request(fetch)) => Err(ObApiClientError::Fetch(fetch)),
        Err(e) => match token_error(revocation_url, e) {
            ObApiClientError::TokenRefused {
                error, description, ..
            } => Err(refused(format!("{error}{description}"))),
            ObApiClientError::Token { reason, .. } => Err(refused(reason)),
            other => Err(other),
        },
    }
}

/// The loopback listener for the browser's answer (RFC 8252 §7.3): `127.0.0.1` on a port the
/// system picks, path [`CALLBACK_PATH`].
pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

/// What the browser brought back.
enum Callback {
    Code(Zeroizing<String>),
    Refused(ObApiClientError),
}

impl Loopback {
    pub fn bind() -> Result<Self, ObApiClientError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .map_err(ObApiClientError::Listener)?;
        let port = listener
            .local_addr()
            .map_err(ObApiClientError::Listener)?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(ObApiClientError::Listener)?;
        Ok(Self { listener, port })
    }

    /// `http://127.0.0.1:<port>/callback`, exactly as registered.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Waits for the browser's `GET /callback?…` (other paths, a favicon, are answered 404 and
    /// waiting goes on) at most `timeout`; checks `state` in constant time, reports an `error`,
    /// returns the code. The browser gets a small page saying what happened.
    pub fn wait(
        &self,
        pending: &Pending,
        timeout: Duration,
    ) -> Result<Zeroizing<String>, ObApiClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(ObApiClientError::Timeout {
                            seconds: timeout.as_secs(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                Err(e) => return Err(ObApiClientError::Listener(e)),
            };
            if let Some(outcome) = answer(stream, pending) {
                return match outcome {
                    Callback::Code(code) => Ok(code),
                    Callback::Refused(e) => Err(e),
                };
            }
        }
    }
}

/// Reads one request; `None` when it was not the callback (answered 404) or unreadable.
fn answer(mut stream: TcpStream, pending: &Pending) -> Option<Callback> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buffer = [0_u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_CALLBACK_BYTES {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next().unwrap_or("").split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let Ok(url) = Url::parse("http://127.0.0.1/").and_then(|base| base.join(target)) else {
        respond(
            &mut stream,
            "400 Bad Request",
            "This is not a request the wallet understands.",
        );
        return None;
    };
    if method != "GET" || url.path() != CALLBACK_PATH {
        respond(
            &mut stream,
            "404 Not Found",
            "Nothing here: the wallet waits for the provider's answer.",
        );
        return None;
    }
    let mut state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "state" => state = Some(value.into_owned()),
            "code" => code = Some(Zeroizing::new(value.into_owned())),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    let expected = pending.state.secret().as_bytes();
    let state_matches = state
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(expected)));
    if !state_matches {
        respond(
            &mut stream,
            "400 Bad Request",
            "Refused: this answer does not belong to the connection the wallet asked for. Nothing was connected.",
        );
        return Some(Callback::Refused(ObApiClientError::StateMismatch));
    }
    if let Some(error) = error {
        respond(
            &mut stream,
            "200 OK",
            "The connection was not approved. You can close this window; the wallet says what the provider answered.",
        );
        return Some(Callback::Refused(ObApiClientError::AuthorizationRefused {
            error,
            description: described(description.as_deref()),
        }));
    }
    match code.filter(|c| !c.is_empty()) {
        Some(code) => {
            respond(
                &mut stream,
                "200 OK",
                "Approved. You can close this window and go back to the wallet.",
            );
            Some(Callback::Code(code))
        }
        None => {
            respond(
                &mut stream,
                "400 Bad Request",
                "The provider's answer has no authorization code.",
            );
            Some(Callback::Refused(ObApiClientError::NoCode))
        }
    }
}

/// A small HTML page (fixed text: nothing from the request is echoed).
fn respond(stream: &mut TcpStream, status: &str, message: &str) {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Passerelle wallet</title></head>\
         <body><main><h1>Passerelle wallet</h1><p>{message}</p></main></body></html>\n"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_registration_request_has_every_property_ob_3_requires_on_one_https_host() {
        let request =
            serde_json::to_value(registration_request("http://127.0.0.1:4711/callback")).unwrap();
        for name in [
            "client_name",
            "client_uri",
            "logo_uri",
            "tos_uri",
            "policy_uri",
            "software_id",
            "software_version",
            "redirect_uris",
            "scope",
        ] {
            assert!(request.get(name).is_some(), "{name} missing");
        }
        let host = |name: &str| {
            let url = Url::parse(request[name].as_str().unwrap()).unwrap();
            assert_eq!(url.scheme(), "https", "{name}");
            url.host_str().unwrap().to_owned()
        };
        let hosts: std::collections::BTreeSet<String> =
            ["client_uri", "logo_uri", "tos_uri", "policy_uri"]
                .iter()
                .map(|n| host(n))
                .collect();
        assert_eq!(hosts.len(), 1, "{hosts:?}");
        assert_eq!(
            request["redirect_uris"],
            json!(["http://127.0.0.1:4711/callback"])
        );
        assert_eq!(
            request["grant_types"],
            json!(["authorization_code", "refresh_token"])
        );
        assert!(uuid::Uuid::parse_str(super::super::SOFTWARE_ID).is_ok());
    }

    #[test]
    fn scopes_are_the_wanted_ones_the_provider_supports_and_need_credential_readonly() {
        let both = format!(
            "{} {}",
            Scope::CredentialReadonly.uri(),
            Scope::ProfileReadonly.uri()
        );
        assert_eq!(scopes_to_request(None).unwrap().join(" "), both);
        let offered = format!(
            "{} {} offline_access",
            Scope::CredentialReadonly.uri(),
            Scope::CredentialUpsert.uri()
        );
        assert_eq!(
            scopes_to_request(Some(&offered)).unwrap(),
            vec![
                Scope::CredentialReadonly.uri().to_owned(),
                "offline_access".to_owned()
            ]
        );
        let error = scopes_to_request(Some(Scope::ProfileReadonly.uri())).unwrap_err();
        assert!(
            matches!(error, ObApiClientError::NoScope { .. }),
            "{error:?}"
        );
    }
}
