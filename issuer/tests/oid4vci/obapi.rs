//! The Open Badges 3.0 API provider (issue 15) through the router with `oneshot`: discovery,
//! registration, the authorization endpoint and its consent page (CSRF cookie and hidden
//! field, claim links), the token endpoint (code with PKCE, refresh rotation and replay),
//! revocation, the resources (paging headers, imsx errors, scopes, pairwise profile), the
//! claim page's connected apps and disconnect, and the audit entries.

use axum::http::{header, Method, StatusCode};
use base64::Engine as _;
use passerelle_core::obapi::{code_challenge_s256, parse_link_header, parse_service_description};
use serde_json::{json, Value};

use super::{Fixture, Reply, TestDb, BASE};

const CR: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
const CU: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert";
const PR: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly";
const REDIRECT: &str = "http://127.0.0.1:8123/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct App {
    id: String,
    secret: String,
}

impl App {
    fn basic(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.id, self.secret))
        )
    }
}

fn registration(scope: &str) -> Value {
    json!({
        "client_name": "Backpack <b>", "client_uri": "https://backpack.example",
        "logo_uri": "https://backpack.example/logo.png", "tos_uri": "https://backpack.example/tos",
        "policy_uri": "https://backpack.example/privacy",
        "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1", "software_version": "1.0",
        "redirect_uris": [REDIRECT], "scope": scope,
        "grant_types": ["authorization_code", "refresh_token"]
    })
}

async fn register(f: &Fixture, body: &Value) -> Reply {
    f.send(
        Method::POST,
        "/oauth/register",
        &[("content-type", "application/json")],
        body.to_string().into_bytes(),
        false,
    )
    .await
}

async fn app(f: &Fixture) -> App {
    let reply = register(f, &registration(&format!("{CR} {PR} {CU}"))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["scope"], format!("{CR} {PR}"), "the supported subset");
    assert_eq!(body["client_secret_expires_at"], 0);
    App {
        id: body["client_id"].as_str().unwrap().to_owned(),
        secret: body["client_secret"].as_str().unwrap().to_owned(),
    }
}

fn authorize_path(app: &App, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", &app.id);
    q.append_pair("redirect_uri", REDIRECT);
    q.append_pair("response_type", "code");
    q.append_pair("state", "xyz");
    q.append_pair("code_challenge", &code_challenge_s256(VERIFIER));
    q.append_pair("code_challenge_method", "S256");
    q.append_pair("scope", &format!("{CR} {PR} {CU}"));
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("/oauth/authorize?{}", q.finish())
}

/// The value of a hidden input of the consent form.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

struct Consent {
    request: String,
    csrf: String,
    cookie: String,
}

async fn consent_page(f: &Fixture, app: &App) -> (Consent, String) {
    let reply = f.get(&authorize_path(app, &[])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let page = reply.text();
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(reply.header(header::REFERRER_POLICY), Some("no-referrer"));
    let csp = reply.header(header::CONTENT_SECURITY_POLICY).unwrap();
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:8123"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    let cookie = reply.header(header::SET_COOKIE).unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("; Secure"), "an https base URL: {cookie}");
    assert!(page.contains("Backpack &lt;b&gt;"), "escaped client name");
    assert!(page.contains("Read your badges") && page.contains("Read your profile"));
    assert!(
        page.contains("will not grant"),
        "the refused upsert scope is named"
    );
    assert!(page.contains(&format!("action=\"{BASE}/oauth/authorize\"")));
    assert!(page.contains("<input id=\"claim\" name=\"claim\""));
    let consent = Consent {
        request: hidden(&page, "request"),
        csrf: hidden(&page, "csrf_token"),
        cookie: cookie.split(';').next().unwrap().to_owned(),
    };
    assert!(consent.request.starts_with("oar_"));
    assert_eq!(
        consent.cookie,
        format!("passerelle_oauth_csrf={}", consent.csrf)
    );
    (consent, page)
}

async fn decide(
    f: &Fixture,
    c: &Consent,
    claim: &str,
    decision: &str,
    cookie: Option<&str>,
) -> Reply {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("request", &c.request);
    form.append_pair("csrf_token", &c.csrf);
    form.append_pair("claim", claim);
    form.append_pair("decision", decision);
    let cookie = cookie.unwrap_or(&c.cookie).to_owned();
    f.send(
        Method::POST,
        "/oauth/authorize",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &cookie),
        ],
        form.finish().into_bytes(),
        false,
    )
    .await
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn token(f: &Fixture, app: &App, pairs: &[(&str, &str)]) -> Reply {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    f.send(
        Method::POST,
        "/oauth/token",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", &app.basic()),
        ],
        form.finish().into_bytes(),
        false,
    )
    .await
}

async fn bearer_get(f: &Fixture, path: &str, token: &str) -> Reply {
    f.send(
        Method::GET,
        path,
        &[("authorization", &format!("Bearer {token}"))],
        Vec::new(),
        false,
    )
    .await
}

/// Issues a badge to `email` (a new one per `external_id`); the credential view with its claim.
async fn award(f: &Fixture, email: &str, external_id: &str) -> Value {
    let body = json!({
        "achievement": "data-101", "email": email, "completion_date": "2026-03-01",
        "external_id": external_id,
    });
    let reply = f
        .send(
            Method::POST,
            "/api/v1/credentials",
            &[("content-type", "application/json")],
            body.to_string().into_bytes(),
            true,
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text());
    let mut view = reply.json();
    view["url"] = view["claim"]["url"].clone();
    view
}

fn claim_path(claim_url: &str) -> String {
    claim_url.strip_prefix(BASE).unwrap().to_owned()
}

pub(crate) async fn the_whole_provider_flow(db: &TestDb) {
    let f = Fixture::new(db).await;
    // Discovery reads back with the core's consumer-side parser.
    let sdd = f.get("/ims/ob/v3p0/discovery").await;
    assert_eq!(sdd.status, StatusCode::OK);
    let (parsed, _) =
        parse_service_description(&sdd.json(), &url::Url::parse(BASE).unwrap()).unwrap();
    assert_eq!(
        parsed.registration_url.as_str(),
        format!("{BASE}/oauth/register")
    );
    assert_eq!(parsed.token_url.as_str(), format!("{BASE}/oauth/token"));
    let meta = f
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(meta["revocation_endpoint"], format!("{BASE}/oauth/revoke"));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));

    // Three badges for Ada, one for Bob.
    let mut ada = Vec::new();
    for i in 0..3 {
        ada.push(award(&f, "ada@example.org", &format!("ada-{i}")).await);
    }
    let bob = award(&f, "bob@example.org", "bob-0").await;
    let ada_claim = ada[1]["url"].as_str().unwrap().to_owned();

    let app = app(&f).await;
    let (consent, _) = consent_page(&f, &app).await;

    // CSRF: no cookie, or another value → 403, nothing decided.
    let reply = decide(&f, &consent, &ada_claim, "approve", Some("other=1")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let wrong = format!("passerelle_oauth_csrf=ocs_{}", "0".repeat(64));
    let reply = decide(&f, &consent, &ada_claim, "approve", Some(&wrong)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // An unknown claim link and a malformed one: the same answer, the form again.
    let unknown = format!("{BASE}/claim/clm_{}", "ab".repeat(32));
    let first = decide(&f, &consent, &unknown, "approve", None).await;
    let second = decide(&f, &consent, "not a link", "approve", None).await;
    assert_eq!(first.status, second.status);
    assert_eq!(first.status, StatusCode::BAD_REQUEST);
    assert!(first.text().contains("This claim link was not accepted"));
    assert_eq!(hidden(&first.text(), "request"), consent.request);
    assert!(
        first.text().contains("will not grant"),
        "the form shown again still names what will not be granted"
    );

    // Approve with a claim link of one of Ada's badges.
    let reply = decide(&f, &consent, &ada_claim, "approve", None).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.header(header::LOCATION).unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    let q = query_of(&location);
    assert_eq!(q["state"], "xyz");
    assert_eq!(q["scope"], format!("{CR} {PR}"));
    let code = q["code"].clone();
    // The request is used up.
    let again = decide(&f, &consent, &ada_claim, "approve", None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    // Token: wrong verifier → invalid_grant, and the code is used up (one attempt).
    let reply = token(
        &f,
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &"a".repeat(43)),
        ],
    )
    .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST), "invalid_grant");

    // A fresh consent and code, exchanged properly.
    let (consent, _) = consent_page(&f, &app).await;
    let reply = decide(&f, &consent, &ada_claim, "approve", None).await;
    let code = query_of(reply.header(header::LOCATION).unwrap())["code"].clone();
    // Without client authentication: 401 invalid_client with a Basic challenge.
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code");
    form.append_pair("code", &code);
    let reply = f
        .send(
            Method::POST,
            "/oauth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.finish().into_bytes(),
            false,
        )
        .await;
    assert_eq!(reply.error(StatusCode::UNAUTHORIZED), "invalid_client");
    assert!(reply
        .header(header::WWW_AUTHENTICATE)
        .unwrap()
        .starts_with("Basic"));
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let reply = token(&f, &app, &exchange).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(reply.header(header::PRAGMA), Some("no-cache"));
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // Page 1 and 2 of Ada's credentials, never Bob's.
    let page1 = bearer_get(&f, "/ims/ob/v3p0/credentials?limit=2", &access).await;
    assert_eq!(page1.status, StatusCode::OK, "{}", page1.text());
    assert_eq!(page1.header("x-total-count".parse().unwrap()), Some("3"));
    let links = parse_link_header(page1.header(header::LINK).unwrap());
    let next = links
        .iter()
        .find(|(rel, _)| rel == "next")
        .unwrap()
        .1
        .clone();
    assert_eq!(
        next,
        format!("{BASE}/ims/ob/v3p0/credentials?limit=2&offset=2")
    );
    let body1 = page1.json();
    assert_eq!(body1["credential"].as_array().unwrap().len(), 2);
    let page2 = bearer_get(&f, next.strip_prefix(BASE).unwrap(), &access).await;
    let body2 = page2.json();
    assert_eq!(body2["credential"].as_array().unwrap().len(), 1);
    assert!(!parse_link_header(page2.header(header::LINK).unwrap())
        .iter()
        .any(|(rel, _)| rel == "next"));
    let bob_id = bob["id"].as_str().unwrap_or("none");
    for body in [&body1, &body2] {
        assert!(!body.to_string().contains("bob@example.org"));
        for c in body["credential"].as_array().unwrap() {
            assert_ne!(c["id"].as_str(), Some(bob_id));
        }
    }
    // The grant covers badges awarded later, too.
    award(&f, "ada@example.org", "ada-later").await;
    let all = bearer_get(&f, "/ims/ob/v3p0/credentials", &access).await;
    assert_eq!(all.header("x-total-count".parse().unwrap()), Some("4"));
    assert_eq!(all.json()["credential"].as_array().unwrap().len(), 4);
    // `since` is kept in the Link URLs; a `limit` above 100 is clamped, not refused.
    let since = bearer_get(
        &f,
        "/ims/ob/v3p0/credentials?since=2000-01-01T00:00:00Z&limit=500",
        &access,
    )
    .await;
    assert_eq!(since.status, StatusCode::OK, "{}", since.text());
    let link = since.header(header::LINK).unwrap().to_owned();
    assert!(link.contains("since=2000-01-01T00%3A00%3A00Z"), "{link}");
    assert!(link.contains("limit=100"), "{link}");
    let future = bearer_get(
        &f,
        "/ims/ob/v3p0/credentials?since=2999-01-01T00:00:00",
        &access,
    )
    .await;
    assert_eq!(future.header("x-total-count".parse().unwrap()), Some("0"));
    // Bad paging parameters: 400 imsx invalid_query_parameter naming the parameter.
    for (query, name) in [
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("since=yesterday", "since"),
    ] {
        let reply = bearer_get(&f, &format!("/ims/ob/v3p0/credentials?{query}"), &access).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        let info = reply.json();
        assert_eq!(info["imsx_codeMajor"], "failure");
        assert_eq!(
            info["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
            "invalid_query_parameter"
        );
        assert!(info["imsx_description"].as_str().unwrap().contains(name));
    }
    // The profile: a pairwise id, stable for this app.
    let p1 = bearer_get(&f, "/ims/ob/v3p0/profile", &access).await.json();
    let p2 = bearer_get(&f, "/ims/ob/v3p0/profile", &access).await.json();
    assert_eq!(p1["type"], json!(["Profile"]));
    assert!(p1["id"].as_str().unwrap().starts_with("urn:uuid:"));
    assert_eq!(p1["id"], p2["id"]);
    // Writing is not this provider's business.
    let reply = f
        .send(
            Method::POST,
            "/ims/ob/v3p0/credentials",
            &[],
            Vec::new(),
            false,
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header(header::ALLOW), Some("GET"));
    assert_eq!(
        reply.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
        "not_allowed"
    );

    // Refresh with rotation; a narrower scope is fine, a wider one refused.
    let reply = token(
        &f,
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("scope", CU),
        ],
    )
    .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST), "invalid_scope");
    let reply = token(
        &f,
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("scope", CR),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let rotated = reply.json();
    let access2 = rotated["access_token"].as_str().unwrap().to_owned();
    let refresh2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, refresh);
    assert_eq!(rotated["scope"], CR);
    // Only credential.readonly now: the profile is forbidden with insufficient_scope.
    let reply = bearer_get(&f, "/ims/ob/v3p0/profile", &access2).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply
        .header(header::WWW_AUTHENTICATE)
        .unwrap()
        .contains("insufficient_scope"));
    assert_eq!(
        bearer_get(&f, "/ims/ob/v3p0/credentials", &access2)
            .await
            .status,
        StatusCode::OK
    );

    // The claim page lists the app; the grant is live.
    let claim_page = f.get(&claim_path(&ada_claim)).await;
    let html = claim_page.text();
    assert!(html.contains("Apps connected to your badges"));
    assert!(html.contains("Backpack &lt;b&gt;") && html.contains("backpack.example"));
    assert!(claim_page
        .header(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .contains("form-action 'self'"));
    // Bob's page lists nothing.
    let bob_page = f
        .get(&claim_path(bob["url"].as_str().unwrap()))
        .await
        .text();
    assert!(bob_page.contains("No app can read your badges"));

    // Replay of the rotated-out refresh token: invalid_grant and the grant is revoked.
    let reply = token(
        &f,
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST), "invalid_grant");
    let reply = bearer_get(&f, "/ims/ob/v3p0/credentials", &access2).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply
        .header(header::WWW_AUTHENTICATE)
        .unwrap()
        .contains("invalid_token"));
    assert_eq!(
        reply.json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
        "unauthorizedrequest"
    );
    let reply = token(
        &f,
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh2),
        ],
    )
    .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST), "invalid_grant");
    // Code reuse: invalid_grant (its tokens are revoked already).
    let reply = token(&f, &app, &exchange).await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST), "invalid_grant");

    // Connect again, then revoke the access token (RFC 7009): 200, and the next call is 401.
    let (consent, _) = consent_page(&f, &app).await;
    let reply = decide(
        &f,
        &consent,
        ada[0]["url"].as_str().unwrap(),
        "approve",
        None,
    )
    .await;
    let code = query_of(reply.header(header::LOCATION).unwrap())["code"].clone();
    let tokens = token(
        &f,
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
    .json();
    let access3 = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        bearer_get(&f, "/ims/ob/v3p0/credentials", &access3)
            .await
            .status,
        StatusCode::OK
    );
    let revoke = |t: String| {
        let f = &f;
        let app = &app;
        async move {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("token", &t);
            f.send(
                Method::POST,
                "/oauth/revoke",
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("authorization", &app.basic()),
                ],
                form.finish().into_bytes(),
                false,
            )
            .await
        }
    };
    assert_eq!(revoke(access3.clone()).await.status, StatusCode::OK);
    assert_eq!(revoke("obt_never".into()).await.status, StatusCode::OK);
    assert_eq!(
        bearer_get(&f, "/ims/ob/v3p0/credentials", &access3)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Disconnect from the claim page: wrong CSRF → 403; right → 303 back with a notice.
    let html = f.get(&claim_path(&ada_claim)).await.text();
    let marker = "/apps/";
    let start = html.find(marker).unwrap() + marker.len();
    let grant_id = html[start..start + html[start..].find('/').unwrap()].to_owned();
    let csrf = hidden(&html, "csrf_token");
    let path = format!("{}/apps/{grant_id}/disconnect", claim_path(&ada_claim));
    let form = |csrf: &str| format!("csrf_token={csrf}").into_bytes();
    let ct = [("content-type", "application/x-www-form-urlencoded")];
    let reply = f.send(Method::POST, &path, &ct, form("00"), false).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Another learner's claim link cannot disconnect it with this CSRF token.
    let bob_path = format!(
        "{}/apps/{grant_id}/disconnect",
        claim_path(bob["url"].as_str().unwrap())
    );
    assert_eq!(
        f.send(Method::POST, &bob_path, &ct, form(&csrf), false)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The form carries the page's language; the page it returns to keeps it (issue 17).
    assert_eq!(hidden(&html, "lang"), "en");
    let mut in_french = form(&csrf);
    in_french.extend_from_slice(b"&lang=fr");
    let reply = f.send(Method::POST, &path, &ct, in_french, false).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let back = reply.header(header::LOCATION).unwrap().to_owned();
    assert!(back.ends_with("?notice=disconnected&lang=fr"), "{back}");
    let html = f.get(back.strip_prefix(BASE).unwrap()).await.text();
    let fr = passerelle_issuer::i18n::builtin().unwrap();
    let fr = fr.negotiate(Some("fr"), None);
    let escape = passerelle_issuer::server::claim::escape;
    assert!(html.contains("<html lang=\"fr\""));
    assert!(html.contains(&escape(fr.t("apps.disconnected"))));
    assert!(html.contains(&escape(fr.t("apps.none"))));
    let reply = token(
        &f,
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST), "invalid_grant");

    // The audit log names clients and "learner", never a token or learner key.
    let audit = f
        .send(
            Method::GET,
            "/api/v1/audit?limit=500",
            &[],
            Vec::new(),
            true,
        )
        .await
        .text();
    for action in [
        "obapi.client.register",
        "obapi.grant.approve",
        "obapi.token.issue",
        "obapi.token.refresh",
        "obapi.token.replay",
        "obapi.token.revoke",
        "obapi.grant.disconnect",
        "obapi.credentials.read",
        "obapi.profile.read",
    ] {
        assert!(audit.contains(action), "no {action} in the audit log");
    }
    for secret in [&access, &refresh, &code, &app.secret, &consent.csrf] {
        assert!(
            !audit.contains(secret.as_str()),
            "a secret in the audit log"
        );
    }
    assert!(!audit.contains("clm_"), "a claim token in the audit log");
}

pub(crate) async fn authorization_errors(db: &TestDb) {
    let f = Fixture::new(db).await;
    let app = app(&f).await;
    // Registration errors.
    let mut bad = registration(CR);
    bad["redirect_uris"] = json!(["http://evil.example/cb"]);
    let reply = register(&f, &bad).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"], "invalid_redirect_uri");
    let reply = register(&f, &registration(CU)).await;
    assert_eq!(reply.json()["error"], "invalid_client_metadata");
    // Unknown client or unregistered redirect URI: an HTML page, never a redirect.
    let path = authorize_path(
        &App {
            id: "obc_unknown".into(),
            secret: String::new(),
        },
        &[],
    );
    let reply = f.get(&path).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header(header::LOCATION).is_none());
    let path = authorize_path(&app, &[]).replace("8123%2Fcallback", "8123%2Fother");
    let reply = f.get(&path).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header(header::LOCATION).is_none());
    // Loopback: another port is the same redirect URI (RFC 8252 §7.3).
    let path = authorize_path(&app, &[]).replace("8123", "9999");
    assert_eq!(f.get(&path).await.status, StatusCode::OK);
    // The rest is redirected with error and state.
    let redirected = |reply: &Reply| query_of(reply.header(header::LOCATION).unwrap());
    let path = authorize_path(&app, &[])
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let reply = f.get(&path).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(redirected(&reply)["error"], "invalid_request");
    assert_eq!(redirected(&reply)["state"], "xyz");
    let path = authorize_path(&app, &[]).replace("&code_challenge=", "&x=");
    assert_eq!(redirected(&f.get(&path).await)["error"], "invalid_request");
    let path = authorize_path(&app, &[]).replace("&state=xyz", "");
    let reply = f.get(&path).await;
    assert_eq!(redirected(&reply)["error"], "invalid_request");
    assert!(!redirected(&reply).contains_key("state"));
    let path = authorize_path(&app, &[]).replace("response_type=code", "response_type=token");
    assert_eq!(
        redirected(&f.get(&path).await)["error"],
        "unsupported_response_type"
    );
    let only_upsert = authorize_path(&app, &[]).replace(
        &url::form_urlencoded::byte_serialize(format!("{CR} {PR} {CU}").as_bytes())
            .collect::<String>(),
        &url::form_urlencoded::byte_serialize(CU.as_bytes()).collect::<String>(),
    );
    assert_eq!(
        redirected(&f.get(&only_upsert).await)["error"],
        "invalid_scope"
    );
    // Deny: access_denied with the state.
    let (consent, _) = consent_page(&f, &app).await;
    let reply = decide(&f, &consent, "", "deny", None).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(redirected(&reply)["error"], "access_denied");
    assert_eq!(redirected(&reply)["state"], "xyz");
    // Five wrong claim links and the request is dead, even for a good one.
    let good = award(&f, "ada@example.org", "ada-9").await;
    let (consent, _) = consent_page(&f, &app).await;
    for _ in 0..5 {
        decide(&f, &consent, "clm_nope", "approve", None).await;
    }
    let reply = decide(&f, &consent, good["url"].as_str().unwrap(), "approve", None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header(header::LOCATION).is_none());
    // Resources without a token: 401 with a Bearer challenge.
    let reply = f.get("/ims/ob/v3p0/credentials").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply
        .header(header::WWW_AUTHENTICATE)
        .unwrap()
        .starts_with("Bearer"));
    // The pre-authorized grant still works through /oauth/token and its alias (dispatch).
    let reply = f
        .send(
            Method::POST,
            "/oauth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"grant_type=password".to_vec(),
            false,
        )
        .await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST),
        "unsupported_grant_type"
    );
}

/// Over a real loopback socket (`server::serve`, which passes each connection's address):
/// registration is limited per peer address, answering 429 with `Retry-After`.
pub(crate) async fn rate_limits_over_a_socket(db: &TestDb) {
    let f = Fixture::new(db).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(passerelle_issuer::server::serve(
        listener,
        f.router.clone(),
        async {
            let _ = rx.await;
        },
    ));
    let http = reqwest::Client::new();
    let url = format!("http://{address}/oauth/register");
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..11 {
        let reply = http
            .post(&url)
            .json(&registration(CR))
            .send()
            .await
            .unwrap();
        statuses.push(reply.status().as_u16());
        if reply.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            retry_after = reply
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
        }
    }
    assert_eq!(&statuses[..10], &[201; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "{statuses:?}");
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "{retry_after:?}"
    );
    // The discovery document is not limited.
    let sdd = http
        .get(format!("http://{address}/ims/ob/v3p0/discovery"))
        .send()
        .await
        .unwrap();
    assert_eq!(sdd.status(), reqwest::StatusCode::OK);
    let _ = tx.send(());
    // The limits are per address because `serve` gives handlers the peer's address.
    let probe = axum::Router::new().route(
        "/",
        axum::routing::get(|request: axum::extract::Request| async move {
            format!("{:?}", passerelle_issuer::server::obapi::peer(&request))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(passerelle_issuer::server::serve(listener, probe, async {
        let _ = rx.await;
    }));
    let seen = http
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(seen, "Some(127.0.0.1)");
    let _ = tx.send(());
}

/// The consent page in the learner's language (issue 17): `?lang=` on the authorization
/// request, else `Accept-Language`; `lang`/`dir`, `Vary`, a switcher that repeats the request
/// in another language, and a hidden `lang` field so the answer to the form (a refused claim
/// link) comes back in the same language.
pub(crate) async fn consent_speaks_the_learners_language(db: &TestDb) {
    let f = Fixture::new(db).await;
    let app = app(&f).await;
    let all = passerelle_issuer::i18n::builtin().unwrap();
    let escape = passerelle_issuer::server::claim::escape;
    for lang in passerelle_issuer::i18n::LANGUAGES {
        let m = all.negotiate(Some(lang), None);
        let reply = f.get(&authorize_path(&app, &[("lang", lang)])).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.header(header::VARY), Some("accept-language"));
        let page = reply.text();
        let dir = if lang == "ar" { "rtl" } else { "ltr" };
        assert!(
            page.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
            "{page}"
        );
        assert_eq!(hidden(&page, "lang"), lang);
        for key in [
            "consent.allow",
            "consent.deny",
            "consent.claim_label",
            "scope.credential_readonly",
        ] {
            assert!(page.contains(&escape(m.t(key))), "{lang}: {key}");
        }
        assert!(page.contains("<bdi>Backpack &lt;b&gt;</bdi>"), "{lang}");
        // The switcher repeats this authorization request in each other language.
        for other in passerelle_issuer::i18n::LANGUAGES
            .iter()
            .filter(|l| **l != lang)
        {
            let marker = format!("&amp;lang={other}\" lang=\"{other}\" hreflang=\"{other}\"");
            let at = page
                .find(&marker)
                .unwrap_or_else(|| panic!("{lang}: no link to {other}"));
            let start = page[..at].rfind("href=\"").unwrap() + 6;
            let link = page[start..at].replace("&amp;", "&");
            assert!(
                link.starts_with(&format!("{BASE}/oauth/authorize?")),
                "{link}"
            );
            assert!(link.contains(&format!("client_id={}", app.id)), "{link}");
            assert!(!link.contains("lang="), "the old choice is dropped: {link}");
        }
    }
    // Accept-Language, when the request does not say.
    let reply = f
        .send(
            Method::GET,
            &authorize_path(&app, &[]),
            &[("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")],
            Vec::new(),
            false,
        )
        .await;
    assert!(reply.text().contains("<html lang=\"ru\" dir=\"ltr\">"));
    // An error page before any client is known speaks the language too.
    let reply = f.get("/oauth/authorize?lang=es").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let es = all.negotiate(Some("es"), None);
    assert!(reply
        .text()
        .contains(&escape(es.t("consent.error.no_client_id"))));

    // The form's answer keeps the language chosen on the page: a refused claim link shows the
    // consent page again, in Arabic, with its hidden field and a switcher.
    let ar = all.negotiate(Some("ar"), None);
    let reply = f.get(&authorize_path(&app, &[("lang", "ar")])).await;
    let page = reply.text();
    let cookie = reply
        .header(header::SET_COOKIE)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("request", &hidden(&page, "request"));
    form.append_pair("csrf_token", &hidden(&page, "csrf_token"));
    form.append_pair("lang", &hidden(&page, "lang"));
    form.append_pair("claim", "clm_nope");
    form.append_pair("decision", "approve");
    let refused = f
        .send(
            Method::POST,
            "/oauth/authorize",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
                ("accept-language", "en"),
            ],
            form.finish().into_bytes(),
            false,
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let html = refused.text();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{html}");
    assert!(
        html.contains(&escape(ar.t("consent.claim_refused"))),
        "{html}"
    );
    assert_eq!(hidden(&html, "lang"), "ar");
    assert!(
        html.contains("&amp;lang=fr\" lang=\"fr\" hreflang=\"fr\""),
        "{html}"
    );
}
