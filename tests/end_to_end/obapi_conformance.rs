//! Open Badges 3.0 API conformance (issue 15): `passerelle-issuer serve` on loopback https,
//! driven over HTTP as an independent client and a browser would, checked against the text of
//! the specification — OB 3.0 §6–7 (discovery, registration, authorization code grant with
//! PKCE, token, refresh, revocation, getCredentials, getProfile), its OpenAPI (the schemas
//! `ServiceDescriptionDocument`, `OpenApiInfo`, `OpenApiOAuth2SecurityScheme`,
//! `GetOpenBadgeCredentialsResponse`, `Imsx_StatusInfo`) and the RFCs it builds on (6749, 6750,
//! 7009, 7591, 7636, 8252, 8414, 8288).
//!
//! Nothing here comes from the provider's code: URLs are taken from the discovery document and
//! the RFC 8414 metadata as any client would, the PKCE challenge and the Basic header are made
//! here from RFC 7636 §4.2 and RFC 6749 §2.3.1, and the consent page is read as HTML (hidden
//! fields, the form's action, the CSRF cookie kept in a cookie jar and sent back). Every refusal
//! is paired with the same request done right on the same service, so it cannot pass for
//! another reason than the one named.
//!
//! Expiry of access tokens: the shortest lifetime the issuer accepts is 60 s and there is no
//! test clock in the service, so one test configures 60 s, obtains a token, does its other
//! checks and waits for the rest of the minute (it runs beside the others).

use std::collections::BTreeMap;
use std::fs;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use reqwest::Url;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::https_issuer::{Issuer, Reply};

const CREDENTIAL_READONLY: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
const CREDENTIAL_UPSERT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert";
const PROFILE_READONLY: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly";
const PROFILE_UPDATE: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update";
const CSRF_COOKIE: &str = "passerelle_oauth_csrf";
/// The loopback redirect URI apps register (RFC 8252 §7.3: no port; any port is used).
const LOOPBACK: &str = "http://127.0.0.1/callback";

// ---- the provider's endpoints, as a client learns them --------------------------------------

/// What a client takes from the SDD and the RFC 8414 metadata.
struct Provider {
    register: String,
    authorize: String,
    token: String,
    revoke: String,
    api: String,
}

/// A registered client (RFC 7591 §3.2.1).
#[derive(Debug, Clone)]
struct App {
    id: String,
    secret: String,
    registration: Value,
}

/// A PKCE pair made from RFC 7636 §4.1–4.2 (43+ unreserved characters, S256).
struct Pkce {
    verifier: String,
    challenge: String,
}

impl Pkce {
    fn new() -> Self {
        let verifier = format!(
            "{}-{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// A token response (RFC 6749 §5.1).
#[derive(Debug, Clone)]
struct Tokens {
    access: String,
    refresh: String,
    scope: String,
}

/// The browser's cookie jar: name → value, and every `Set-Cookie` line seen.
#[derive(Default)]
struct Browser {
    cookies: BTreeMap<String, String>,
    set_cookie: Vec<String>,
}

impl Browser {
    fn absorb(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let line = value.to_str().unwrap_or_default().to_owned();
            let pair = line.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
            self.set_cookie.push(line);
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// RFC 6749 §2.3.1: client id and secret form-urlencoded (Appendix B), joined by `:`, base64.
fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

fn query_map(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn scopes_of(list: &str) -> Vec<&str> {
    let mut scopes: Vec<&str> = list
        .split_ascii_whitespace()
        .filter(|s| *s != "offline_access")
        .collect();
    scopes.sort_unstable();
    scopes
}

// ---- HTML, read as a browser reads a form ----------------------------------------------------

/// The attributes of every `<tag …>` in `html`, names lower-cased, values unescaped.
fn tags(html: &str, tag: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut at = 0;
    while let Some(found) = lower[at..].find(&open) {
        let start = at + found + open.len();
        at = start;
        if !lower[start..].starts_with([' ', '\n', '\t', '\r', '>', '/']) {
            continue;
        }
        let Some(end) = html[start..].find('>') else {
            break;
        };
        out.push(attributes(&html[start..start + end]));
        at = start + end;
    }
    out
}

fn attributes(inside: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = inside.trim_start();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace() || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = &after[1..];
                let close = body.find(quote).unwrap_or(body.len());
                value = unescape(&body[..close]);
                rest = body.get(close + 1..).unwrap_or_default();
            } else {
                let close = after.find(char::is_whitespace).unwrap_or(after.len());
                value = unescape(&after[..close]);
                rest = &after[close..];
            }
        } else if name.is_empty() {
            rest = rest.get(1..).unwrap_or_default();
        }
        if !name.is_empty() {
            out.entry(name).or_insert(value);
        }
        rest = rest.trim_start();
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The consent form as the plan's contract shapes it: its action and its hidden fields.
struct ConsentForm {
    action: String,
    request: String,
    csrf_token: String,
    html: String,
}

fn consent_form(reply: &Reply, what: &str) -> ConsentForm {
    let html = reply.body.as_str().unwrap_or_default().to_owned();
    let forms: Vec<_> = tags(&html, "form")
        .into_iter()
        .filter(|f| {
            f.get("method")
                .is_some_and(|m| m.eq_ignore_ascii_case("post"))
        })
        .collect();
    assert_eq!(
        forms.len(),
        1,
        "{what}: one POST form on the consent page:\n{html}"
    );
    let hidden = |name: &str| -> String {
        tags(&html, "input")
            .into_iter()
            .find(|i| i.get("name").map(String::as_str) == Some(name))
            .and_then(|i| i.get("value").cloned())
            .unwrap_or_else(|| panic!("{what}: the consent form has no {name} field:\n{html}"))
    };
    ConsentForm {
        action: forms[0].get("action").cloned().unwrap_or_default(),
        request: hidden("request"),
        csrf_token: hidden("csrf_token"),
        html,
    }
}

/// The page without the values of its inputs (hidden tokens, the echoed claim): what must be
/// the same whatever the reason a claim was refused.
fn without_values(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("value=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 7..];
        let close = after.find('"').unwrap_or(after.len());
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

// ---- the issuer, as a client and a browser use it --------------------------------------------

/// A learner's badges: the claim link of one and the ids of all.
struct Learner {
    claim_link: String,
    /// The `id` of each credential document.
    ids: Vec<String>,
    /// The issuer's own id of each (for its admin API).
    store_ids: Vec<String>,
}

impl Issuer {
    fn obc_start(ttl: Option<u32>) -> Self {
        Self::start_after(|_, dir| {
            let path = std::path::Path::new(dir).join("issuer.toml");
            let toml = fs::read_to_string(&path).expect("init wrote issuer.toml");
            let mut settings = String::from(
                "privacy_policy_url = \"https://lab.example/privacy\"\nterms_of_service_url = \"https://lab.example/terms\"\n",
            );
            if let Some(ttl) = ttl {
                settings.push_str(&format!("access_token_ttl_seconds = {ttl}\n"));
            }
            // Into the [ob_api] table init wrote, or a new one at the end.
            let toml = match toml.find("\n[ob_api]\n") {
                Some(at) => {
                    let end = at + "\n[ob_api]\n".len();
                    format!("{}{settings}{}", &toml[..end], &toml[end..])
                }
                None => format!("{toml}\n[ob_api]\n{settings}"),
            };
            fs::write(&path, toml).expect("write issuer.toml");
        })
    }

    /// `count` badges for one learner (one email), each its own award (`external_id`).
    fn obc_learner(&self, email: &str, count: usize) -> Learner {
        let mut ids = Vec::new();
        let mut store_ids = Vec::new();
        let mut claim_link = String::new();
        for i in 0..count {
            let body = self.award(&json!({
                "achievement": "data-101",
                "email": email,
                "name": "Ada Lovelace",
                "completion_date": "2026-03-01",
                "external_id": format!("{email}-{i}"),
            }));
            ids.push(credential_id(&body["credential"]));
            store_ids.push(body["id"].as_str().unwrap_or_default().to_owned());
            claim_link = body["claim"]["url"]
                .as_str()
                .unwrap_or_else(|| panic!("the award has a claim link: {body}"))
                .to_owned();
        }
        Learner {
            claim_link,
            ids,
            store_ids,
        }
    }

    /// OB 3.0 §7.1.1: the SDD at `{base}/ims/ob/v3p0/discovery`, unprotected; plus the RFC 8414
    /// metadata for the revocation endpoint (the SDD has no member for it).
    fn obc_provider(&self) -> (Provider, Value, Value) {
        let sdd = self.get(&self.url("/ims/ob/v3p0/discovery"));
        assert_eq!(sdd.status, 200, "{:?}", sdd);
        assert!(
            sdd.header("content-type").starts_with("application/json"),
            "{:?}",
            sdd.headers
        );
        let metadata = self.get(&self.url("/.well-known/oauth-authorization-server"));
        assert_eq!(metadata.status, 200, "{:?}", metadata);
        let scheme = &sdd.body["components"]["securitySchemes"]["OAuth2ACG"];
        let flow = &scheme["flows"]["authorizationCode"];
        let text = |v: &Value, what: &str| -> String {
            v.as_str()
                .unwrap_or_else(|| panic!("{what} is a string: {}", sdd.body))
                .to_owned()
        };
        let provider = Provider {
            register: text(
                &scheme["x-imssf-registrationUrl"],
                "x-imssf-registrationUrl",
            ),
            authorize: text(&flow["authorizationUrl"], "authorizationUrl"),
            token: text(&flow["tokenUrl"], "tokenUrl"),
            revoke: text(&metadata.body["revocation_endpoint"], "revocation_endpoint"),
            api: text(&sdd.body["servers"][0]["url"], "servers[0].url"),
        };
        (provider, sdd.body, metadata.body)
    }

    fn obc_register_raw(&self, p: &Provider, body: &Value) -> Reply {
        self.reply(
            self.http
                .post(&p.register)
                .header("accept", "application/json")
                .json(body),
            "POST registration",
        )
    }

    fn obc_register(&self, p: &Provider, body: &Value) -> App {
        let reply = self.obc_register_raw(p, body);
        assert_eq!(reply.status, 201, "registration: {}", reply.body);
        App {
            id: reply.body["client_id"].as_str().unwrap().to_owned(),
            secret: reply.body["client_secret"].as_str().unwrap().to_owned(),
            registration: reply.body,
        }
    }

    fn obc_app(&self, p: &Provider, name: &str) -> App {
        self.obc_register(
            p,
            &client_metadata(
                name,
                &[LOOPBACK],
                &format!("{CREDENTIAL_READONLY} {PROFILE_READONLY} offline_access"),
            ),
        )
    }

    /// GET the authorization endpoint (OB 3.0 §7.2.1: the parameters in the query).
    fn obc_authorize(&self, p: &Provider, params: &[(&str, &str)], browser: &mut Browser) -> Reply {
        let url = Url::parse_with_params(&p.authorize, params).unwrap();
        let mut request = self.http.get(url.as_str());
        if !browser.cookies.is_empty() {
            request = request.header("cookie", browser.cookie_header());
        }
        let reply = self.reply(request, "GET authorization");
        browser.absorb(&reply);
        reply
    }

    fn obc_consent_post(
        &self,
        form: &ConsentForm,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Reply {
        let mut request = self.http.post(&form.action).form(fields);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        self.reply(request, "POST consent")
    }

    /// Up to the consent page: GET authorize with a right request; the page and its form.
    fn obc_consent_page(
        &self,
        p: &Provider,
        params: &[(&str, &str)],
        browser: &mut Browser,
    ) -> ConsentForm {
        let reply = self.obc_authorize(p, params, browser);
        assert_eq!(reply.status, 200, "the consent page: {:?}", reply);
        consent_form(&reply, "consent page")
    }

    /// The whole choreography to an authorization code: the consent page, approved with the
    /// learner's claim link. Returns the redirect's query.
    fn obc_code(
        &self,
        p: &Provider,
        app: &App,
        claim: &str,
        scope: &str,
        pkce: &Pkce,
        redirect: &str,
    ) -> BTreeMap<String, String> {
        let mut browser = Browser::default();
        let state = uuid::Uuid::new_v4().to_string();
        let form = self.obc_consent_page(
            p,
            &auth_params(app, redirect, scope, &state, pkce),
            &mut browser,
        );
        let reply = self.obc_consent_post(
            &form,
            &[
                ("request", &form.request),
                ("csrf_token", &form.csrf_token),
                ("claim", claim),
                ("decision", "approve"),
            ],
            Some(&browser.cookie_header()),
        );
        let query = redirected_to(&reply, redirect, "approve");
        assert_eq!(
            query.get("state"),
            Some(&state),
            "the state comes back: {query:?}"
        );
        assert!(
            query.contains_key("code") && query.contains_key("scope"),
            "{query:?}"
        );
        assert!(!query.contains_key("error"), "{query:?}");
        query
    }

    fn obc_token(&self, p: &Provider, auth: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let mut request = self.http.post(&p.token).form(form);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        self.reply(request, "POST token")
    }

    fn obc_exchange(
        &self,
        p: &Provider,
        app: &App,
        code: &str,
        redirect: &str,
        pkce: &Pkce,
        scope: &str,
    ) -> Reply {
        self.obc_token(
            p,
            Some(&basic(&app.id, &app.secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect),
                ("scope", scope),
                ("code_verifier", &pkce.verifier),
            ],
        )
    }

    /// Registration to tokens, in one go.
    fn obc_connect(&self, p: &Provider, app: &App, claim: &str, scope: &str) -> Tokens {
        let pkce = Pkce::new();
        let redirect = "http://127.0.0.1:51234/callback";
        let query = self.obc_code(p, app, claim, scope, &pkce, redirect);
        let reply = self.obc_exchange(p, app, &query["code"], redirect, &pkce, scope);
        token_response(&reply, "code exchange")
    }

    fn obc_refresh(&self, p: &Provider, app: &App, refresh: &str, scope: Option<&str>) -> Reply {
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.obc_token(p, Some(&basic(&app.id, &app.secret)), &form)
    }

    fn obc_revoke(&self, p: &Provider, auth: Option<&str>, token: &str, hint: &str) -> Reply {
        let mut request = self
            .http
            .post(&p.revoke)
            .form(&[("token", token), ("token_type_hint", hint)]);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        self.reply(request, "POST revoke")
    }

    /// GET a resource (RFC 6750 §2.1: the token in the Authorization header).
    fn obc_resource(&self, url: &str, token: Option<&str>) -> Reply {
        let mut request = self.http.get(url).header("accept", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.reply(request, url)
    }
}

/// The registration request of OB 3.0 §7.1.1 for an app on `app.example`.
fn client_metadata(name: &str, redirects: &[&str], scope: &str) -> Value {
    json!({
        "client_name": name,
        "client_uri": "https://app.example/",
        "logo_uri": "https://app.example/logo.png",
        "tos_uri": "https://app.example/terms",
        "policy_uri": "https://app.example/privacy",
        "software_id": "0b8d4f6e-5c1a-4d8e-9a53-6f1b2c3d4e5f",
        "software_version": "1.0.0",
        "redirect_uris": redirects,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": scope,
    })
}

fn auth_params<'a>(
    app: &'a App,
    redirect: &'a str,
    scope: &'a str,
    state: &'a str,
    pkce: &'a Pkce,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", &app.id),
        ("redirect_uri", redirect),
        ("scope", scope),
        ("state", state),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn without<'a>(params: &[(&'static str, &'a str)], name: &str) -> Vec<(&'static str, &'a str)> {
    params.iter().filter(|(n, _)| *n != name).copied().collect()
}

fn with<'a>(
    params: &[(&'static str, &'a str)],
    name: &'static str,
    value: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut out = without(params, name);
    out.push((name, value));
    out
}

/// A redirect (302 or 303) to `redirect` (same scheme, host, port and path): its query.
fn redirected_to(reply: &Reply, redirect: &str, what: &str) -> BTreeMap<String, String> {
    assert!(
        matches!(reply.status, 302 | 303),
        "{what}: a redirect back to the client, got {}: {}",
        reply.status,
        reply.body
    );
    let location = Url::parse(&reply.header("location")).unwrap_or_else(|e| {
        panic!(
            "{what}: Location is an absolute URL ({e}): {:?}",
            reply.headers
        )
    });
    let expected = Url::parse(redirect).unwrap();
    assert_eq!(
        (
            location.scheme(),
            location.host_str(),
            location.port(),
            location.path()
        ),
        (
            expected.scheme(),
            expected.host_str(),
            expected.port(),
            expected.path()
        ),
        "{what}: redirected to the redirect URI of the request"
    );
    query_map(&location)
}

/// An error redirect (RFC 6749 §4.1.2.1): `error` = `code`, the state back, no code.
fn error_redirect(reply: &Reply, redirect: &str, code: &str, state: Option<&str>, what: &str) {
    let query = redirected_to(reply, redirect, what);
    assert_eq!(
        query.get("error").map(String::as_str),
        Some(code),
        "{what}: {query:?}"
    );
    assert_eq!(
        query.get("state").map(String::as_str),
        state,
        "{what}: {query:?}"
    );
    assert!(
        !query.contains_key("code"),
        "{what}: no code with an error: {query:?}"
    );
    if let Some(description) = query.get("error_description") {
        assert!(
            description
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
            "{what}: error_description keeps to %x20-21 / %x23-5B / %x5D-7E: {description:?}"
        );
    }
}

/// No redirect at all: the user is told, the browser stays (OB 3.0 §7.2.1 "Authorization Error
/// Response": MUST NOT automatically redirect to an invalid redirection URI).
fn no_redirect(reply: &Reply, what: &str) {
    assert!(
        (400..500).contains(&reply.status),
        "{what}: an error page, got {}: {:?}",
        reply.status,
        reply.headers
    );
    assert!(
        reply.headers.get("location").is_none(),
        "{what}: no Location: {:?}",
        reply.headers
    );
}

/// A token error (RFC 6749 §5.2, OB 3.0 §7.2.2): status, `error`, JSON, no-store.
fn oauth_error(reply: &Reply, status: u16, code: &str, what: &str) {
    assert_eq!(reply.status, status, "{what}: {:?}", reply);
    assert_eq!(reply.error(), code, "{what}: {}", reply.body);
    // As the examples of OB 3.0 §7.2.2, RFC 6749 §5.2 and RFC 7591 §3.2.2 show.
    assert!(
        reply.header("cache-control").contains("no-store"),
        "{what}: Cache-Control no-store: {:?}",
        reply.headers
    );
    assert!(
        reply.header("content-type").starts_with("application/json"),
        "{what}: {:?}",
        reply.headers
    );
    if let Some(description) = reply.body["error_description"].as_str() {
        assert!(
            description
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
            "{what}: error_description keeps to the RFC 6749 set: {description:?}"
        );
    }
}

/// A successful token response (OB 3.0 §7.2.2 table; RFC 6749 §5.1 headers).
fn token_response(reply: &Reply, what: &str) -> Tokens {
    assert_eq!(reply.status, 200, "{what}: {:?}", reply);
    assert!(
        reply.header("content-type").starts_with("application/json"),
        "{what}"
    );
    assert!(
        reply.header("cache-control").contains("no-store"),
        "{what}: Cache-Control no-store: {:?}",
        reply.headers
    );
    assert!(
        reply.header("pragma").contains("no-cache"),
        "{what}: Pragma no-cache: {:?}",
        reply.headers
    );
    let body = &reply.body;
    assert!(
        body["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        "{what}: token_type bearer: {body}"
    );
    let text = |name: &str| -> String {
        body[name]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| panic!("{what}: {name} is a non-empty string: {body}"))
            .to_owned()
    };
    assert!(
        body["expires_in"].as_u64().is_some_and(|s| s > 0),
        "{what}: expires_in: {body}"
    );
    Tokens {
        access: text("access_token"),
        refresh: text("refresh_token"),
        scope: text("scope"),
    }
}

/// An `Imsx_StatusInfo` failure with the given code minor (OpenAPI schema: required
/// `imsx_codeMajor` and `imsx_severity`, no other members than the four).
fn imsx(reply: &Reply, status: u16, minor: &str, what: &str) {
    assert_eq!(reply.status, status, "{what}: {:?}", reply);
    assert!(
        reply.header("content-type").starts_with("application/json"),
        "{what}: {:?}",
        reply.headers
    );
    let body = reply
        .body
        .as_object()
        .unwrap_or_else(|| panic!("{what}: a JSON object: {}", reply.body));
    for member in body.keys() {
        assert!(
            [
                "imsx_codeMajor",
                "imsx_severity",
                "imsx_description",
                "imsx_codeMinor"
            ]
            .contains(&member.as_str()),
            "{what}: Imsx_StatusInfo has no member {member}"
        );
    }
    assert_eq!(body["imsx_codeMajor"], "failure", "{what}");
    assert_eq!(body["imsx_severity"], "error", "{what}");
    let fields = body["imsx_codeMinor"]["imsx_codeMinorField"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: imsx_codeMinor.imsx_codeMinorField: {}", reply.body));
    assert!(!fields.is_empty(), "{what}: minItems 1");
    assert!(fields[0]["imsx_codeMinorFieldName"].is_string(), "{what}");
    assert_eq!(
        fields[0]["imsx_codeMinorFieldValue"], minor,
        "{what}: {}",
        reply.body
    );
}

/// 401 for a resource (RFC 6750 §3: `WWW-Authenticate: Bearer`, `error="invalid_token"` when a
/// token was sent) with imsx `unauthorizedrequest`.
fn unauthorized(reply: &Reply, token_sent: bool, what: &str) {
    imsx(reply, 401, "unauthorizedrequest", what);
    let challenge = reply.header("www-authenticate");
    assert!(
        challenge.to_ascii_lowercase().starts_with("bearer"),
        "{what}: WWW-Authenticate Bearer: {challenge:?}"
    );
    if token_sent {
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{what}: {challenge:?}"
        );
    }
}

/// The `id` of a credential, JSON or a compact JWS (VC-JOSE: the credential is the payload;
/// VC-JWT 1.1: under `vc`).
fn credential_id(credential: &Value) -> String {
    let id = match credential {
        Value::String(jws) => {
            let parts: Vec<&str> = jws.split('.').collect();
            assert_eq!(parts.len(), 3, "a compact JWS: {jws}");
            let payload: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
            payload["id"]
                .as_str()
                .or(payload["vc"]["id"].as_str())
                .or(payload["jti"].as_str())
                .map(str::to_owned)
        }
        other => other["id"].as_str().map(str::to_owned),
    };
    id.unwrap_or_else(|| panic!("a credential with an id: {credential}"))
}

/// The credential ids of one page of getCredentials (`credential` and `compactJwsString`).
fn page_ids(reply: &Reply, what: &str) -> Vec<String> {
    assert_eq!(reply.status, 200, "{what}: {:?}", reply);
    let body = reply
        .body
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {}", reply.body));
    for member in body.keys() {
        assert!(
            member == "credential" || member == "compactJwsString",
            "{what}: GetOpenBadgeCredentialsResponse has additionalProperties false; found {member}"
        );
    }
    let mut ids = Vec::new();
    for credential in body
        .get("credential")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let types = credential["type"].as_array().cloned().unwrap_or_default();
        assert!(
            types
                .iter()
                .any(|t| t == "OpenBadgeCredential" || t == "AchievementCredential"),
            "{what}: an OpenBadgeCredential: {credential}"
        );
        assert!(
            credential["proof"].is_object() || credential["proof"].is_array(),
            "{what}: secured: {credential}"
        );
        ids.push(credential_id(credential));
    }
    for jws in body
        .get("compactJwsString")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        assert!(
            jws.is_string(),
            "{what}: compactJwsString holds strings: {jws}"
        );
        ids.push(credential_id(jws));
    }
    ids
}

fn total_count(reply: &Reply) -> u64 {
    reply
        .header("x-total-count")
        .parse()
        .unwrap_or_else(|_| panic!("X-Total-Count is an integer: {:?}", reply.headers))
}

/// `rel` → target, from the `Link` headers (RFC 8288 §3: `<target>; rel="a b"`, links
/// separated by commas), resolved against the request URL. The provider's targets hold no comma.
fn links(reply: &Reply, request: &str) -> BTreeMap<String, String> {
    let request = Url::parse(request).unwrap();
    let mut out = BTreeMap::new();
    for value in reply.headers.get_all("link") {
        for link in value.to_str().unwrap().split(',') {
            let link = link.trim();
            let (target, params) = link
                .strip_prefix('<')
                .and_then(|l| l.split_once('>'))
                .unwrap_or_else(|| panic!("a link-value starts with <target>: {link:?}"));
            for param in params.split(';').map(str::trim) {
                let Some((name, value)) = param.split_once('=') else {
                    continue;
                };
                if name.trim().eq_ignore_ascii_case("rel") {
                    for rel in value.trim().trim_matches('"').split_ascii_whitespace() {
                        let target = request.join(target).unwrap().to_string();
                        out.insert(rel.to_ascii_lowercase(), target);
                    }
                }
            }
        }
    }
    out
}

fn offset_of(url: &str) -> u64 {
    query_map(&Url::parse(url).unwrap())
        .get("offset")
        .map_or(0, |o| o.parse().unwrap())
}

// ---- the tests -------------------------------------------------------------------------------

#[test]
fn obc_discovery_document_metadata_and_registration() {
    let issuer = Issuer::obc_start(None);
    let (p, sdd, metadata) = issuer.obc_provider();

    // ServiceDescriptionDocument: openapi, info, components required; an OpenAPI 3.0 document.
    assert!(
        sdd["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.0")),
        "{sdd}"
    );
    // OpenApiInfo: termsOfService, title, version, x-imssf-privacyPolicyUrl required; the two
    // URLs from issuer.toml [ob_api].
    let info = &sdd["info"];
    for member in ["title", "version"] {
        assert!(
            info[member].as_str().is_some_and(|s| !s.is_empty()),
            "info.{member}: {info}"
        );
    }
    assert_eq!(
        info["termsOfService"], "https://lab.example/terms",
        "{info}"
    );
    assert_eq!(
        info["x-imssf-privacyPolicyUrl"], "https://lab.example/privacy",
        "{info}"
    );
    // OpenApiSecuritySchemes: only OAuth2ACG; OpenApiOAuth2SecurityScheme: type oauth2 and
    // x-imssf-registrationUrl; the authorization code flow with its URLs and the four scopes.
    let schemes = sdd["components"]["securitySchemes"]
        .as_object()
        .expect("components.securitySchemes");
    assert_eq!(
        schemes.keys().collect::<Vec<_>>(),
        ["OAuth2ACG"],
        "additionalProperties false"
    );
    let scheme = &schemes["OAuth2ACG"];
    assert_eq!(scheme["type"], "oauth2");
    let base = Url::parse(&issuer.base).unwrap();
    for url in [&p.register, &p.authorize, &p.token, &p.revoke, &p.api] {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("{url} is a fully qualified URL: {e}"));
        assert_eq!(url.scheme(), "https", "{url}");
        assert_eq!(url.host_str(), base.host_str(), "{url}: on the provider");
    }
    let flow = &scheme["flows"]["authorizationCode"];
    assert_eq!(
        flow["refreshUrl"], flow["tokenUrl"],
        "refresh at the token endpoint: {flow}"
    );
    let scopes = flow["scopes"]
        .as_object()
        .expect("flows.authorizationCode.scopes");
    for scope in [
        CREDENTIAL_READONLY,
        CREDENTIAL_UPSERT,
        PROFILE_READONLY,
        PROFILE_UPDATE,
    ] {
        assert!(
            scopes.get(scope).is_some_and(Value::is_string),
            "the SDD lists {scope}: {flow}"
        );
    }
    assert_eq!(
        p.api,
        format!("{}/ims/ob/v3p0", issuer.base),
        "servers[0].url"
    );
    assert_eq!(
        sdd["paths"]["/credentials"]["get"]["security"][0]["OAuth2ACG"][0],
        CREDENTIAL_READONLY
    );
    // The document reads with the core's consumer parser too, without complaint.
    let (read, warnings) = passerelle_core::obapi::parse_service_description(&sdd, &base).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(read.token_url.as_str(), p.token);

    // RFC 8414 metadata names the same endpoints, S256 only, code only.
    assert_eq!(metadata["issuer"], issuer.base, "{metadata}");
    assert_eq!(metadata["authorization_endpoint"], p.authorize.as_str());
    assert_eq!(metadata["token_endpoint"], p.token.as_str());
    assert_eq!(metadata["registration_endpoint"], p.register.as_str());
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    for grant in ["authorization_code", "refresh_token"] {
        assert!(
            metadata["grant_types_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g == grant),
            "{metadata}"
        );
    }
    assert!(metadata["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "client_secret_basic"));

    // Registration (OB 3.0 §7.1.1, RFC 7591): the spec's request shape is accepted with 201 and
    // every member sent comes back, with the four the response adds.
    let scope =
        format!("{CREDENTIAL_READONLY} {CREDENTIAL_UPSERT} {PROFILE_READONLY} offline_access");
    let request = client_metadata(
        "Portfolio Example",
        &["https://app.example/oauth/callback"],
        &scope,
    );
    let reply = issuer.obc_register_raw(&p, &request);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.header("content-type").starts_with("application/json"));
    let body = &reply.body;
    for member in ["client_id", "client_secret"] {
        assert!(
            body[member].as_str().is_some_and(|s| !s.is_empty()),
            "{member}: {body}"
        );
    }
    let issued_at = body["client_id_issued_at"]
        .as_u64()
        .expect("client_id_issued_at: a NonNegativeInteger");
    let now = chrono::Utc::now().timestamp() as u64;
    assert!(
        issued_at <= now + 5 && issued_at + 600 >= now,
        "issued now-ish: {issued_at}"
    );
    assert!(
        body["client_secret_expires_at"].as_u64().is_some(),
        "client_secret_expires_at: {body}"
    );
    for member in [
        "client_name",
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
        "software_id",
        "software_version",
        "redirect_uris",
        "token_endpoint_auth_method",
        "grant_types",
        "response_types",
    ] {
        assert_eq!(body[member], request[member], "{member} comes back as sent");
    }
    // The registration response's scope is what the provider supports of what was asked.
    let granted = scopes_of(body["scope"].as_str().unwrap());
    assert_eq!(
        granted,
        scopes_of(&format!("{CREDENTIAL_READONLY} {PROFILE_READONLY}")),
        "{body}"
    );

    // Native apps: a loopback redirect URI over plain http (RFC 8252 §7.3).
    let loopback = issuer.obc_register_raw(
        &p,
        &client_metadata(
            "Loopback wallet",
            &[LOOPBACK, "http://[::1]/callback"],
            CREDENTIAL_READONLY,
        ),
    );
    assert_eq!(loopback.status, 201, "{}", loopback.body);
    assert_ne!(
        loopback.body["client_id"], body["client_id"],
        "a new client id per registration"
    );

    // Refusals: RFC 7591 §3.2.2 400 with error and an ASCII error_description.
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    let redirect = |uris: Value| {
        let mut r = request.clone();
        r["redirect_uris"] = uris;
        r
    };
    cases.push((
        "http redirect to a public host",
        redirect(json!(["http://app.example/callback"])),
        "invalid_redirect_uri",
    ));
    cases.push((
        "redirect with a fragment",
        redirect(json!(["https://app.example/callback#x"])),
        "invalid_redirect_uri",
    ));
    cases.push((
        "redirect on another hostname",
        redirect(json!(["https://elsewhere.example/callback"])),
        "invalid_redirect_uri",
    ));
    let member = |name: &str, value: Option<Value>| {
        let mut r = request.clone();
        match value {
            Some(v) => r[name] = v,
            None => {
                r.as_object_mut().unwrap().remove(name);
            }
        }
        r
    };
    cases.push((
        "client_name missing",
        member("client_name", None),
        "invalid_client_metadata",
    ));
    cases.push((
        "logo_uri over http",
        member("logo_uri", Some(json!("http://app.example/logo.png"))),
        "invalid_client_metadata",
    ));
    cases.push((
        "token_endpoint_auth_method none",
        member("token_endpoint_auth_method", Some(json!("none"))),
        "invalid_client_metadata",
    ));
    cases.push((
        "grant_types client_credentials",
        member("grant_types", Some(json!(["client_credentials"]))),
        "invalid_client_metadata",
    ));
    cases.push((
        "only scopes never granted",
        member("scope", Some(json!(CREDENTIAL_UPSERT))),
        "invalid_client_metadata",
    ));
    for (what, body, code) in &cases {
        let reply = issuer.obc_register_raw(&p, body);
        oauth_error(&reply, 400, code, what);
    }

    // Registration is rate limited per address: a burst of further requests meets 429 with
    // Retry-After (the limit is the provider's; the status and header are RFC 6585 §4's).
    let mut limited = None;
    for _ in 0..40 {
        let reply = issuer.obc_register_raw(&p, &request);
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let limited = limited.expect("registration is rate limited");
    assert!(
        limited.header("retry-after").parse::<u64>().is_ok(),
        "Retry-After in seconds: {:?}",
        limited.headers
    );
}

#[test]
fn obc_authorization_consent_and_token_endpoint() {
    let issuer = Issuer::obc_start(None);
    let (p, _, _) = issuer.obc_provider();
    let learner = issuer.obc_learner("grace@example.org", 1);
    let app = issuer.obc_app(&p, "Consent Checker");
    let other = issuer.obc_app(&p, "Other App");
    let pkce = Pkce::new();
    let scope = format!("{CREDENTIAL_READONLY} offline_access");
    // Registered without a port, asked for with one (RFC 8252 §7.3).
    let redirect = "http://127.0.0.1:49152/callback";
    let state = "26357667-94df-4a14-bcb1-f55449ddd98d";
    let good = auth_params(&app, redirect, &scope, state, &pkce);
    let mut browser = Browser::default();

    // Unknown client and a redirect URI that is not the registered one: told, never redirected.
    no_redirect(
        &issuer.obc_authorize(&p, &with(&good, "client_id", "obc_unknown"), &mut browser),
        "unknown client_id",
    );
    no_redirect(
        &issuer.obc_authorize(&p, &without(&good, "client_id"), &mut browser),
        "no client_id",
    );
    for wrong in [
        "http://127.0.0.1:49152/other",
        "https://app.example/callback",
        "http://localhost:49152/callback",
        "http://127.0.0.1:49152/callback/",
    ] {
        no_redirect(
            &issuer.obc_authorize(&p, &with(&good, "redirect_uri", wrong), &mut browser),
            wrong,
        );
    }
    no_redirect(
        &issuer.obc_authorize(&p, &without(&good, "redirect_uri"), &mut browser),
        "no redirect_uri (required by OB 3.0)",
    );
    // Another client's id with this client's redirect URI (registered by both here, so use a
    // client whose redirect differs).
    let https_app = issuer.obc_register(
        &p,
        &client_metadata("Web App", &["https://app.example/cb"], CREDENTIAL_READONLY),
    );
    no_redirect(
        &issuer.obc_authorize(&p, &with(&good, "client_id", &https_app.id), &mut browser),
        "redirect of another client",
    );

    // With a valid client and redirect URI, errors go back to the client (RFC 6749 §4.1.2.1).
    error_redirect(
        &issuer.obc_authorize(&p, &without(&good, "code_challenge"), &mut browser),
        redirect,
        "invalid_request",
        Some(state),
        "PKCE missing",
    );
    error_redirect(
        &issuer.obc_authorize(&p, &without(&good, "code_challenge_method"), &mut browser),
        redirect,
        "invalid_request",
        Some(state),
        "code_challenge_method missing (defaults to plain)",
    );
    // A plain "challenge" that is also a well-formed S256 one (43 base64url characters), so only
    // the method can refuse it.
    let plain_challenge = "A".repeat(43);
    let plain = with(
        &with(&good, "code_challenge_method", "plain"),
        "code_challenge",
        &plain_challenge,
    );
    error_redirect(
        &issuer.obc_authorize(&p, &plain, &mut browser),
        redirect,
        "invalid_request",
        Some(state),
        "PKCE plain",
    );
    error_redirect(
        &issuer.obc_authorize(&p, &without(&good, "state"), &mut browser),
        redirect,
        "invalid_request",
        None,
        "state missing (OB 3.0: required)",
    );
    error_redirect(
        &issuer.obc_authorize(&p, &with(&good, "response_type", "token"), &mut browser),
        redirect,
        "unsupported_response_type",
        Some(state),
        "response_type token",
    );
    error_redirect(
        &issuer.obc_authorize(&p, &with(&good, "scope", CREDENTIAL_UPSERT), &mut browser),
        redirect,
        "invalid_scope",
        Some(state),
        "only credential.upsert",
    );
    // The state comes back exactly, whatever its characters (here ones that need encoding).
    let odd_state = "x y&z=1/\u{e9}~%";
    error_redirect(
        &issuer.obc_authorize(
            &p,
            &with(
                &with(&good, "scope", "https://example.org/other"),
                "state",
                odd_state,
            ),
            &mut browser,
        ),
        redirect,
        "invalid_scope",
        Some(odd_state),
        "an unknown scope",
    );

    // The consent page (OB 3.0 §7.2.1 "Authorization Response": shows the client's name and
    // links), not cached, no referrer, a CSP, the CSRF cookie.
    let reply = issuer.obc_authorize(&p, &good, &mut browser);
    assert_eq!(reply.status, 200, "{:?}", reply);
    assert!(
        reply.header("content-type").starts_with("text/html"),
        "{:?}",
        reply.headers
    );
    assert!(
        reply.header("cache-control").contains("no-store"),
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.header("referrer-policy"), "no-referrer");
    assert!(
        !reply.header("content-security-policy").is_empty(),
        "{:?}",
        reply.headers
    );
    let form = consent_form(&reply, "consent page");
    assert!(
        form.html.contains("Consent Checker"),
        "the client_name is shown:\n{}",
        form.html
    );
    assert!(
        form.html.contains("app.example"),
        "the client's host is shown"
    );
    for link in ["https://app.example/terms", "https://app.example/privacy"] {
        assert!(
            tags(&form.html, "a")
                .iter()
                .any(|a| a.get("href").map(String::as_str) == Some(link)),
            "a link to {link}"
        );
    }
    assert_eq!(
        form.action, p.authorize,
        "the form posts to the authorization endpoint"
    );
    let cookie_line = browser
        .set_cookie
        .iter()
        .find(|l| l.starts_with(CSRF_COOKIE))
        .unwrap_or_else(|| panic!("the CSRF cookie is set: {:?}", browser.set_cookie));
    let attributes: Vec<String> = cookie_line
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for attribute in ["httponly", "samesite=strict", "secure", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == attribute),
            "{attribute} in {cookie_line}"
        );
    }
    let cookie = browser.cookie_header();
    let fields =
        |claim: &'static str, decision: &'static str, csrf: &str| -> Vec<(&'static str, String)> {
            vec![
                ("request", form.request.clone()),
                ("csrf_token", csrf.to_owned()),
                ("claim", claim.to_owned()),
                ("decision", decision.to_owned()),
            ]
        };
    let post = |fields: &[(&'static str, String)], cookie: Option<&str>| {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        issuer.obc_consent_post(&form, &borrowed, cookie)
    };
    // CSRF: the cookie missing, or a field that is not the cookie's → 403, nothing granted.
    let missing_cookie = post(&fields("", "deny", &form.csrf_token), None);
    assert_eq!(
        missing_cookie.status, 403,
        "no CSRF cookie: {:?}",
        missing_cookie
    );
    let wrong_field = post(&fields("", "deny", "not-the-token"), Some(&cookie));
    assert_eq!(
        wrong_field.status, 403,
        "wrong csrf_token: {:?}",
        wrong_field
    );
    let wrong_cookie = post(
        &fields("", "deny", &form.csrf_token),
        Some(&format!("{CSRF_COOKIE}=forged")),
    );
    assert_eq!(
        wrong_cookie.status, 403,
        "forged cookie: {:?}",
        wrong_cookie
    );
    // Deny → access_denied with the state (OB 3.0 §7.2.1 example: ?error=access_denied&state=xyz).
    let denied = post(&fields("", "deny", &form.csrf_token), Some(&cookie));
    error_redirect(&denied, redirect, "access_denied", Some(state), "deny");
    // The request is used: approving it now gives no code.
    let late = post(&fields("", "approve", &form.csrf_token), Some(&cookie));
    assert!(
        !Url::parse(&late.header("location")).is_ok_and(|l| query_map(&l).contains_key("code")),
        "a used request gives no code: {:?}",
        late
    );

    // Wrong claims: the same page and status whatever the reason; after five tries the request
    // is dead and even the right claim is refused.
    let mut browser = Browser::default();
    let form = issuer.obc_consent_page(&p, &good, &mut browser);
    let cookie = browser.cookie_header();
    let try_claim = |claim: &str| {
        issuer.obc_consent_post(
            &form,
            &[
                ("request", &form.request),
                ("csrf_token", &form.csrf_token),
                ("claim", claim),
                ("decision", "approve"),
            ],
            Some(&cookie),
        )
    };
    let unknown = try_claim(&format!("clm_{}", "0".repeat(64)));
    let garbage = try_claim("not a claim link");
    assert!(
        !matches!(unknown.status, 302 | 303),
        "an unknown claim is refused: {:?}",
        unknown
    );
    assert_eq!(
        unknown.status, garbage.status,
        "same status whatever the reason"
    );
    assert_eq!(
        without_values(unknown.body.as_str().unwrap_or_default()),
        without_values(garbage.body.as_str().unwrap_or_default()),
        "same page whatever the reason"
    );
    for _ in 0..3 {
        let reply = try_claim(&format!("{}/claim/clm_{}", issuer.base, "f".repeat(64)));
        assert!(!matches!(reply.status, 302 | 303), "{:?}", reply);
    }
    let dead = try_claim(&learner.claim_link);
    assert!(
        !Url::parse(&dead.header("location")).is_ok_and(|l| query_map(&l).contains_key("code")),
        "after five wrong claims the request is dead: {:?}",
        dead
    );

    // Approval with the claim link → code, scope, state (OB 3.0 §7.2.1); a mixed request is
    // granted the supported part only, and the redirect's scope says so.
    let mixed = format!("{CREDENTIAL_READONLY} {CREDENTIAL_UPSERT}");
    let query = issuer.obc_code(&p, &app, &learner.claim_link, &mixed, &pkce, redirect);
    assert_eq!(
        scopes_of(&query["scope"]),
        [CREDENTIAL_READONLY],
        "{query:?}"
    );
    let code = query["code"].clone();

    // Token endpoint: Basic authentication required (OB 3.0 §7.2.2; RFC 6749 §5.2 invalid_client
    // with 401 and WWW-Authenticate).
    let form_for = |code: &str, redirect: &str, verifier: &str| -> Vec<(String, String)> {
        vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.into()),
            ("redirect_uri".into(), redirect.into()),
            ("scope".into(), CREDENTIAL_READONLY.into()),
            ("code_verifier".into(), verifier.into()),
        ]
    };
    let send = |auth: Option<&str>, form: &[(String, String)]| {
        let borrowed: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        issuer.obc_token(&p, auth, &borrowed)
    };
    let right = form_for(&code, redirect, &pkce.verifier);
    for (auth, what) in [
        (None, "no client authentication".to_owned()),
        (
            Some(basic(&app.id, "obs_wrong")),
            "a wrong secret".to_owned(),
        ),
        (
            Some(basic("obc_unknown", &app.secret)),
            "an unknown client".to_owned(),
        ),
        (
            Some(format!("Bearer {}", app.secret)),
            "not Basic".to_owned(),
        ),
    ] {
        let reply = send(auth.as_deref(), &right);
        oauth_error(&reply, 401, "invalid_client", &what);
        assert!(
            reply
                .header("www-authenticate")
                .to_ascii_lowercase()
                .starts_with("basic"),
            "{what}: {:?}",
            reply.headers
        );
    }
    // The code is bound to its client, its redirect URI and its PKCE challenge (each case on a
    // code of its own: whether a refused attempt spends the code is the provider's choice).
    let auth = basic(&app.id, &app.secret);
    let fresh = |pkce: &Pkce| {
        issuer.obc_code(
            &p,
            &app,
            &learner.claim_link,
            CREDENTIAL_READONLY,
            pkce,
            redirect,
        )["code"]
            .clone()
    };
    let pkce5 = Pkce::new();
    let code5 = fresh(&pkce5);
    oauth_error(
        &send(
            Some(&basic(&other.id, &other.secret)),
            &form_for(&code5, redirect, &pkce5.verifier),
        ),
        400,
        "invalid_grant",
        "another client's code",
    );
    let pkce2 = Pkce::new();
    let code2 = fresh(&pkce2);
    oauth_error(
        &send(
            Some(&auth),
            &form_for(&code2, redirect, &Pkce::new().verifier),
        ),
        400,
        "invalid_grant",
        "wrong code_verifier",
    );
    let pkce3 = Pkce::new();
    let code3 = fresh(&pkce3);
    oauth_error(
        &send(
            Some(&auth),
            &form_for(&code3, "http://127.0.0.1:49152/other", &pkce3.verifier),
        ),
        400,
        "invalid_grant",
        "wrong redirect_uri",
    );
    let pkce4 = Pkce::new();
    let code4 = fresh(&pkce4);
    let mut no_verifier = form_for(&code4, redirect, "");
    no_verifier.retain(|(k, _)| k != "code_verifier");
    let reply = send(Some(&auth), &no_verifier);
    assert_eq!(reply.status, 400, "no code_verifier: {:?}", reply);
    assert!(
        matches!(reply.error(), "invalid_request" | "invalid_grant"),
        "{}",
        reply.body
    );
    let mut bad_grant = right.clone();
    bad_grant[0].1 = "password".into();
    oauth_error(
        &send(Some(&auth), &bad_grant),
        400,
        "unsupported_grant_type",
        "grant_type password",
    );
    oauth_error(
        &send(
            Some(&auth),
            &form_for("oac_unknown", redirect, &pkce.verifier),
        ),
        400,
        "invalid_grant",
        "an unknown code",
    );

    // Done right: the token response (the unauthenticated attempts above did not spend it).
    let tokens = token_response(&send(Some(&auth), &right), "exchange");
    assert_eq!(scopes_of(&tokens.scope), [CREDENTIAL_READONLY]);
    let credentials = format!("{}/credentials", p.api);
    assert_eq!(
        issuer
            .obc_resource(&credentials, Some(&tokens.access))
            .status,
        200
    );
    // The code again: invalid_grant, and the token it gave stops working (OB 3.0 §7.2.1: "MUST
    // deny the request and SHOULD revoke … all tokens previously issued based on that code").
    oauth_error(
        &send(Some(&auth), &right),
        400,
        "invalid_grant",
        "reused code",
    );
    unauthorized(
        &issuer.obc_resource(&credentials, Some(&tokens.access)),
        true,
        "a token from a reused code",
    );
    oauth_error(
        &issuer.obc_refresh(&p, &app, &tokens.refresh, None),
        400,
        "invalid_grant",
        "the refresh token from a reused code",
    );
}

#[test]
fn obc_resources_paging_learners_refresh_and_revocation() {
    let issuer = Issuer::obc_start(None);
    let (p, _, _) = issuer.obc_provider();
    let ada = issuer.obc_learner("ada@example.org", 5);
    let bob = issuer.obc_learner("bob@example.org", 1);
    let both = format!("{CREDENTIAL_READONLY} {PROFILE_READONLY} offline_access");
    let app = issuer.obc_app(&p, "Backpack");
    let credentials = format!("{}/credentials", p.api);
    let profile = format!("{}/profile", p.api);

    // Without a token, or with one that is not: 401, Bearer challenge, imsx unauthorizedrequest.
    unauthorized(&issuer.obc_resource(&credentials, None), false, "no token");
    unauthorized(
        &issuer.obc_resource(&credentials, Some("obt_not-a-token")),
        true,
        "an unknown token",
    );
    unauthorized(
        &issuer.obc_resource(&profile, None),
        false,
        "profile without a token",
    );

    // The claim link as the learner pastes it, or just its secret.
    let tokens = issuer.obc_connect(&p, &app, &ada.claim_link, &both);
    assert_eq!(
        scopes_of(&tokens.scope),
        scopes_of(&format!("{CREDENTIAL_READONLY} {PROFILE_READONLY}"))
    );
    // RFC 6750 §2.1 only: a token in the query is not accepted.
    unauthorized(
        &issuer.obc_resource(
            &format!("{credentials}?access_token={}", tokens.access),
            None,
        ),
        false,
        "token in the query",
    );

    // All of the learner's badges, in pages: X-Total-Count and Link next/last/first/prev.
    let all = issuer.obc_resource(&credentials, Some(&tokens.access));
    assert_eq!(total_count(&all), 5, "{:?}", all.headers);
    let mut every = page_ids(&all, "all");
    every.sort();
    let mut expected = ada.ids.clone();
    expected.sort();
    assert_eq!(
        every, expected,
        "every badge of the learner, none of another's"
    );
    let mut url = format!("{credentials}?limit=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let reply = issuer.obc_resource(&url, Some(&tokens.access));
        let ids = page_ids(&reply, &url);
        assert_eq!(total_count(&reply), 5, "{url}");
        let rels = links(&reply, &url);
        let offset = offset_of(&url);
        assert_eq!(offset_of(&rels["first"]), 0, "{url}: {rels:?}");
        assert_eq!(offset_of(&rels["last"]), 4, "{url}: {rels:?}");
        assert_eq!(rels.contains_key("prev"), offset > 0, "{url}: {rels:?}");
        for target in rels.values() {
            assert!(
                target.starts_with(&credentials),
                "links on the configured base: {target}"
            );
            assert_eq!(query_map(&Url::parse(target).unwrap())["limit"], "2");
        }
        assert_eq!(ids.len(), if offset == 4 { 1 } else { 2 }, "{url}");
        seen.extend(ids);
        pages += 1;
        match rels.get("next") {
            Some(next) => {
                assert_eq!(offset_of(next), offset + 2);
                url = next.clone();
            }
            None => break,
        }
        assert!(pages < 10, "the pages end");
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted, expected,
        "the pages cover every badge once: {seen:?}"
    );
    // The order is stable across requests (issued_at, then id).
    let again: Vec<String> = [0, 2, 4]
        .iter()
        .flat_map(|o| {
            page_ids(
                &issuer.obc_resource(
                    &format!("{credentials}?limit=2&offset={o}"),
                    Some(&tokens.access),
                ),
                "again",
            )
        })
        .collect();
    assert_eq!(again, seen);
    // A limit above the maximum is clamped, not refused; an offset past the end is an empty page.
    assert_eq!(
        page_ids(
            &issuer.obc_resource(&format!("{credentials}?limit=1000"), Some(&tokens.access)),
            "limit 1000"
        )
        .len(),
        5
    );
    let past = issuer.obc_resource(&format!("{credentials}?offset=10"), Some(&tokens.access));
    assert!(page_ids(&past, "past the end").is_empty());
    assert_eq!(total_count(&past), 5);
    // Bad parameters: 400 imsx invalid_query_parameter naming the parameter.
    for (query, name) in [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("since=yesterday", "since"),
        ("since=2026-13-01T00:00:00Z", "since"),
    ] {
        let reply = issuer.obc_resource(&format!("{credentials}?{query}"), Some(&tokens.access));
        imsx(&reply, 400, "invalid_query_parameter", query);
        assert!(
            reply.body["imsx_description"]
                .as_str()
                .is_some_and(|d| d.contains(name)),
            "{query}: names {name}: {}",
            reply.body
        );
    }
    // `since`: issued after that instant (with or without an offset, ISO 8601).
    assert_eq!(
        total_count(&issuer.obc_resource(
            &format!("{credentials}?since=2000-01-01T00:00:00Z"),
            Some(&tokens.access)
        )),
        5
    );
    assert_eq!(
        total_count(&issuer.obc_resource(
            &format!("{credentials}?since=2000-01-01T00:00:00"),
            Some(&tokens.access)
        )),
        5
    );
    let future = issuer.obc_resource(
        &format!("{credentials}?since=2999-01-01T00:00:00Z"),
        Some(&tokens.access),
    );
    assert_eq!(total_count(&future), 0);
    assert!(page_ids(&future, "since the future").is_empty());
    // Past the previous awards (a second apart from them on this machine's clock), a new one.
    std::thread::sleep(Duration::from_millis(1100));
    let cut = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    std::thread::sleep(Duration::from_millis(1100));
    let added = issuer.award(&json!({
        "achievement": "data-101", "email": "ada@example.org", "name": "Ada Lovelace",
        "completion_date": "2026-04-01", "external_id": "ada-later",
    }));
    let since_url = Url::parse_with_params(&credentials, &[("since", cut.as_str())]).unwrap();
    let since = issuer.obc_resource(since_url.as_str(), Some(&tokens.access));
    assert_eq!(
        page_ids(&since, "since the cut"),
        [credential_id(&added["credential"])],
        "only the badge issued after {cut}"
    );
    assert_eq!(total_count(&since), 1);
    // The same grant covers badges issued after it (same learner key).
    assert_eq!(
        total_count(&issuer.obc_resource(&credentials, Some(&tokens.access))),
        6
    );

    // Not a backpack: POST /credentials and PUT /profile are 405 with Allow and imsx not_allowed.
    let post = issuer.reply(
        issuer
            .http
            .post(&credentials)
            .bearer_auth(&tokens.access)
            .json(&json!({})),
        "POST credentials",
    );
    imsx(&post, 405, "not_allowed", "POST /credentials");
    assert!(post.header("allow").contains("GET"), "{:?}", post.headers);
    let put = issuer.reply(
        issuer
            .http
            .put(&profile)
            .bearer_auth(&tokens.access)
            .json(&json!({})),
        "PUT profile",
    );
    imsx(&put, 405, "not_allowed", "PUT /profile");

    // getProfile: a Profile with an id, pairwise per app.
    let me = issuer.obc_resource(&profile, Some(&tokens.access));
    assert_eq!(me.status, 200, "{:?}", me);
    assert!(
        me.body["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "Profile")),
        "{}",
        me.body
    );
    let id = me.body["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("urn:uuid:"), "{}", me.body);
    let second_app = issuer.obc_app(&p, "Second App");
    let second = issuer.obc_connect(&p, &second_app, &ada.claim_link, &both);
    let other_id = issuer.obc_resource(&profile, Some(&second.access)).body["id"].clone();
    assert!(
        other_id.is_string() && other_id != id.as_str(),
        "two apps cannot correlate the learner: {id} {other_id}"
    );

    // Scope: a profile-only grant cannot read credentials (403 insufficient_scope, imsx forbidden).
    let profile_app = issuer.obc_app(&p, "Profile Only");
    let profile_only = issuer.obc_connect(&p, &profile_app, &ada.claim_link, PROFILE_READONLY);
    assert_eq!(scopes_of(&profile_only.scope), [PROFILE_READONLY]);
    let forbidden = issuer.obc_resource(&credentials, Some(&profile_only.access));
    imsx(
        &forbidden,
        403,
        "forbidden",
        "a profile-only token on /credentials",
    );
    assert!(
        forbidden
            .header("www-authenticate")
            .contains("error=\"insufficient_scope\""),
        "{:?}",
        forbidden.headers
    );
    assert_eq!(
        issuer
            .obc_resource(&profile, Some(&profile_only.access))
            .status,
        200
    );

    // Another learner's token (the bare claim secret this time) sees only that learner's badge.
    let bob_secret = bob.claim_link.rsplit('/').next().unwrap().to_owned();
    assert!(bob_secret.starts_with("clm_"), "{}", bob.claim_link);
    let bob_app = issuer.obc_app(&p, "Bob's App");
    let bobs = issuer.obc_connect(&p, &bob_app, &bob_secret, &both);
    let bob_page = issuer.obc_resource(&credentials, Some(&bobs.access));
    assert_eq!(page_ids(&bob_page, "bob"), bob.ids);
    assert_eq!(total_count(&bob_page), 1);

    // Refresh (RFC 6749 §6) with rotation: a new access and refresh token; the old refresh
    // token replayed → invalid_grant, and the grant's tokens die (Security BCP §4.14.2).
    let refreshed = token_response(
        &issuer.obc_refresh(&p, &app, &tokens.refresh, None),
        "refresh",
    );
    assert_ne!(refreshed.access, tokens.access);
    assert_ne!(
        refreshed.refresh, tokens.refresh,
        "the refresh token rotates"
    );
    assert_eq!(
        scopes_of(&refreshed.scope),
        scopes_of(&tokens.scope),
        "omitted scope = granted"
    );
    assert_eq!(
        issuer
            .obc_resource(&credentials, Some(&refreshed.access))
            .status,
        200
    );
    // A narrower scope is fine, a wider one is not; another client cannot use it.
    oauth_error(
        &issuer.obc_refresh(&p, &app, &refreshed.refresh, Some(CREDENTIAL_UPSERT)),
        400,
        "invalid_scope",
        "refresh with a scope never granted",
    );
    oauth_error(
        &issuer.obc_refresh(&p, &second_app, &refreshed.refresh, None),
        400,
        "invalid_grant",
        "another client's refresh token",
    );
    let narrower = token_response(
        &issuer.obc_refresh(&p, &app, &refreshed.refresh, Some(PROFILE_READONLY)),
        "narrower refresh",
    );
    assert_eq!(scopes_of(&narrower.scope), [PROFILE_READONLY]);
    imsx(
        &issuer.obc_resource(&credentials, Some(&narrower.access)),
        403,
        "forbidden",
        "a narrowed token",
    );
    let latest = token_response(
        &issuer.obc_refresh(&p, &app, &narrower.refresh, None),
        "refresh after narrowing",
    );
    assert_eq!(
        issuer
            .obc_resource(&credentials, Some(&latest.access))
            .status,
        200
    );
    oauth_error(
        &issuer.obc_refresh(&p, &app, &tokens.refresh, None),
        400,
        "invalid_grant",
        "a rotated-out refresh token",
    );
    unauthorized(
        &issuer.obc_resource(&credentials, Some(&latest.access)),
        true,
        "after refresh replay",
    );
    oauth_error(
        &issuer.obc_refresh(&p, &app, &latest.refresh, None),
        400,
        "invalid_grant",
        "the latest refresh token after replay",
    );
    // The other grants of the learner are not touched.
    assert_eq!(
        issuer.obc_resource(&profile, Some(&second.access)).status,
        200
    );

    // Revocation (RFC 7009): client authentication required; 200; the token stops working;
    // an unknown token is 200 too; another client's token is not revoked (§2.1).
    let second_auth = basic(&second_app.id, &second_app.secret);
    oauth_error(
        &issuer.obc_revoke(&p, None, &second.access, "access_token"),
        401,
        "invalid_client",
        "revoke without client authentication",
    );
    let bob_auth = basic(&bob_app.id, &bob_app.secret);
    assert_eq!(
        issuer
            .obc_revoke(&p, Some(&bob_auth), &second.access, "access_token")
            .status,
        200
    );
    assert_eq!(
        issuer.obc_resource(&profile, Some(&second.access)).status,
        200,
        "another client's revocation does nothing"
    );
    assert_eq!(
        issuer
            .obc_revoke(&p, Some(&second_auth), "obt_unknown", "access_token")
            .status,
        200
    );
    assert_eq!(
        issuer
            .obc_revoke(&p, Some(&second_auth), &second.access, "access_token")
            .status,
        200
    );
    unauthorized(
        &issuer.obc_resource(&profile, Some(&second.access)),
        true,
        "a revoked access token",
    );
    // Revoking the refresh token ends the grant: refresh fails, its access tokens die.
    let again = token_response(
        &issuer.obc_refresh(&p, &second_app, &second.refresh, None),
        "refresh after an access token was revoked",
    );
    assert_eq!(
        issuer.obc_resource(&profile, Some(&again.access)).status,
        200
    );
    assert_eq!(
        issuer
            .obc_revoke(&p, Some(&second_auth), &again.refresh, "refresh_token")
            .status,
        200
    );
    oauth_error(
        &issuer.obc_refresh(&p, &second_app, &again.refresh, None),
        400,
        "invalid_grant",
        "a revoked refresh token",
    );
    unauthorized(
        &issuer.obc_resource(&profile, Some(&again.access)),
        true,
        "an access token of a revoked grant",
    );
    // Bob's grant lives on, and a revoked badge is no longer returned.
    assert_eq!(
        issuer.obc_resource(&credentials, Some(&bobs.access)).status,
        200
    );
    let revoked = issuer.reply(
        issuer
            .http
            .post(issuer.url(&format!("/api/v1/credentials/{}/revoke", bob.store_ids[0])))
            .bearer_auth(&issuer.admin_token),
        "revoke bob's badge",
    );
    assert_eq!(revoked.status, 200, "{:?}", revoked);
    let after = issuer.obc_resource(&credentials, Some(&bobs.access));
    assert!(
        page_ids(&after, "after revocation").is_empty(),
        "{}",
        after.body
    );
    assert_eq!(total_count(&after), 0);

    // No token or secret in the service's log.
    // (The access token sent in a query above may be in a request log; not these.)
    let log = issuer.log_text();
    for secret in [&tokens.refresh, &latest.access, &app.secret, &bob_secret] {
        assert!(!log.contains(secret.as_str()), "a secret in the log");
    }
    assert_eq!(app.registration["client_name"], "Backpack");

    // The audit log (issue 15: registrations, grants, token use and revocations), with the app
    // as the actor of its token requests and no token, secret or claim link in it.
    let audit = issuer.reply(
        issuer
            .http
            .get(issuer.url("/api/v1/audit?limit=500"))
            .bearer_auth(&issuer.admin_token),
        "GET /api/v1/audit",
    );
    assert_eq!(audit.status, 200, "{audit:?}");
    let entries = audit.body["entries"].as_array().expect("audit entries");
    for action in [
        "obapi.client.register",
        "obapi.grant.approve",
        "obapi.token.issue",
        "obapi.token.refresh",
        "obapi.token.replay",
        "obapi.token.revoke",
        "obapi.credentials.read",
        "obapi.profile.read",
    ] {
        assert!(
            entries.iter().any(|e| e["action"] == action),
            "an audit entry {action}: {}",
            audit.body
        );
    }
    let actor = format!("oauth-client:{}", app.id);
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "obapi.token.issue" && e["actor"] == actor.as_str()),
        "the app is the actor of its token requests: {}",
        audit.body
    );
    let text = audit.body.to_string();
    for secret in [
        &tokens.access,
        &tokens.refresh,
        &latest.access,
        &app.secret,
        &bob_secret,
    ] {
        assert!(!text.contains(secret.as_str()), "a secret in the audit log");
    }
}

#[test]
fn obc_an_expired_access_token_is_refused_and_refresh_still_works() {
    // The shortest access token lifetime the issuer accepts.
    let issuer = Issuer::obc_start(Some(60));
    let (p, _, _) = issuer.obc_provider();
    let learner = issuer.obc_learner("expiry@example.org", 1);
    let app = issuer.obc_app(&p, "Slow App");
    let tokens = issuer.obc_connect(&p, &app, &learner.claim_link, CREDENTIAL_READONLY);
    let credentials = format!("{}/credentials", p.api);
    let reply = issuer.obc_resource(&credentials, Some(&tokens.access));
    assert_eq!(reply.status, 200, "{:?}", reply);
    // expires_in says the configured lifetime.
    let body = issuer.obc_refresh(&p, &app, &tokens.refresh, None);
    // The token was issued before this instant, so it expires at most 60 s after it.
    let received = Instant::now();
    let tokens = token_response(&body, "refresh");
    assert_eq!(body.body["expires_in"], 60, "{}", body.body);
    // After the lifetime (and a margin for whole seconds): 401 invalid_token.
    let wait = Duration::from_secs(62).saturating_sub(received.elapsed());
    std::thread::sleep(wait);
    unauthorized(
        &issuer.obc_resource(&credentials, Some(&tokens.access)),
        true,
        "an expired access token",
    );
    // The refresh token outlives it and gives a working one.
    let fresh = token_response(
        &issuer.obc_refresh(&p, &app, &tokens.refresh, None),
        "refresh after expiry",
    );
    assert_eq!(
        issuer
            .obc_resource(&credentials, Some(&fresh.access))
            .status,
        200
    );
}
