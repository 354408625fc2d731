//! The Open Badges 3.0 API (issue 15), end to end: `passerelle-wallet connect` against
//! `passerelle-issuer serve` on loopback **https**, through the provider's real consent page,
//! which the test drives as a browser would (a cookie store, the form's hidden fields and its
//! CSRF token, the learner typing a claim link, the redirect followed to the wallet's loopback
//! callback). Nothing in the wallet knows it talks to Passerelle: it reads the provider's
//! Service Description Document, registers (RFC 7591), runs the authorization code grant with
//! PKCE, and pages through `GET /ims/ob/v3p0/credentials`.
//!
//! One learner (Alice) holds more badges than one page of the provider carries, another (Bob)
//! holds one: the wallet must receive all of Alice's, verified, and none of Bob's. Then a new
//! badge arrives through `sync` (refresh token), the learner disconnects the app from a claim
//! page and the next `sync` fails, and a second connection is ended by `disconnect` (RFC 7009),
//! after which the claim page no longer lists it and the audit log records the revocation.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use passerelle_tests::{assert_ok, binary, run_env, stderr, stdout};
use serde_json::{json, Value};

use super::https_issuer::Issuer;

const WALLET_PASSPHRASE: &str = "ob api wallet passphrase 41d7";
/// More than the provider's default page (25), so the wallet must follow `Link: rel="next"`.
const ALICE_BADGES: usize = 27;

impl Issuer {
    /// Awards `data-101` to `email` under `external_id`; returns the claim link.
    fn obapi_award(&self, email: &str, external_id: &str) -> String {
        let body = self.award(&json!({
            "achievement": "data-101",
            "email": email,
            "name": "Alice Example",
            "completion_date": "2026-03-01",
            "external_id": external_id,
        }));
        body["claim"]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("the API answer has no claim.url: {body}"))
            .to_owned()
    }

    /// A client for the learner's browser: the dev CA trusted, cookies kept, redirects not
    /// followed (the test looks at each one).
    fn obapi_browser(&self) -> reqwest::blocking::Client {
        let pem = std::fs::read(&self.ca).expect("the dev CA");
        reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM CA"))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a browser-like client")
    }

    /// The audit log's actions, oldest first (admin API, every page).
    fn obapi_audit_actions(&self) -> Vec<String> {
        let mut actions = Vec::new();
        let mut after = 0;
        loop {
            let reply = self.reply(
                self.http
                    .get(self.url(&format!("/api/v1/audit?after={after}")))
                    .bearer_auth(&self.admin_token),
                "GET /api/v1/audit",
            );
            assert_eq!(reply.status, 200, "{}", reply.body);
            let entries = reply.body["entries"]
                .as_array()
                .unwrap_or_else(|| panic!("the audit answer lists entries: {}", reply.body));
            actions.extend(
                entries
                    .iter()
                    .filter_map(|e| e["action"].as_str().map(str::to_owned)),
            );
            match reply.body["next_after"].as_i64() {
                Some(next) => after = next,
                None => return actions,
            }
        }
    }
}

fn wallet_args<'a>(issuer: &'a Issuer, store: &'a Path, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![
        "--wallet",
        store.to_str().unwrap(),
        "--ca-cert",
        issuer.ca.to_str().unwrap(),
        "--allow-private-network",
    ];
    all.extend_from_slice(args);
    all
}

fn wallet(issuer: &Issuer, store: &Path, args: &[&str]) -> Output {
    run_env(
        "passerelle-wallet",
        &issuer.dir,
        &wallet_args(issuer, store, args),
        None,
        &[
            ("PASSERELLE_WALLET_PASSPHRASE", Some(WALLET_PASSPHRASE)),
            ("PASSERELLE_WALLET_DIR", None),
            ("SSL_CERT_FILE", None),
            ("NO_COLOR", Some("1")),
        ],
    )
}

/// `passerelle-wallet connect` running, with the authorization URL it printed.
struct Connecting {
    child: Child,
    authorization_url: String,
    stderr_lines: mpsc::Receiver<String>,
}

/// Starts `connect URL --no-browser` and reads its stderr until the authorization URL: the
/// line after `Open this address in your browser to approve the connection:`, alone on its
/// line after two spaces.
fn start_connect(issuer: &Issuer, store: &Path) -> Connecting {
    let mut child = Command::new(binary("passerelle-wallet"))
        .args(wallet_args(
            issuer,
            store,
            &["connect", &issuer.base, "--no-browser"],
        ))
        .current_dir(&issuer.dir)
        .env("PASSERELLE_WALLET_PASSPHRASE", WALLET_PASSPHRASE)
        .env_remove("PASSERELLE_WALLET_DIR")
        .env_remove("SSL_CERT_FILE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start passerelle-wallet connect");
    let err = child.stderr.take().expect("piped stderr");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut prompt = false;
    loop {
        let line = receiver
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|e| {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "connect printed no authorization URL ({e}); stderr so far:\n{}\nissuer log:\n{}",
                    seen.join("\n"),
                    issuer.log_text()
                )
            });
        if prompt {
            if let Some(url) = line.strip_prefix("  ") {
                if url.starts_with("https://") {
                    return Connecting {
                        child,
                        authorization_url: url.trim().to_owned(),
                        stderr_lines: receiver,
                    };
                }
            }
        }
        if line.trim() == "Open this address in your browser to approve the connection:" {
            prompt = true;
        }
        seen.push(line);
    }
}

impl Connecting {
    /// Waits for the wallet to finish; its output, with every stderr line it printed after
    /// the URL.
    fn finish(mut self) -> (Output, String) {
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .map(|mut s| std::io::Read::read_to_string(&mut s, &mut out));
        let status = self.child.wait().expect("connect exits");
        let rest: Vec<String> = self.stderr_lines.iter().collect();
        (
            Output {
                status,
                stdout: out.into_bytes(),
                stderr: rest.join("\n").into_bytes(),
            },
            rest.join("\n"),
        )
    }
}

impl Drop for Connecting {
    /// A test that failed half-way must not leave the wallet waiting for its callback.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the hidden input `name` in `html`.
fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("the consent page has no field {name}:\n{html}"));
    let tag_start = html[..at].rfind('<').expect("inside a tag");
    let tag_end = at + html[at..].find('>').expect("a closed tag");
    let tag = &html[tag_start..tag_end];
    let value_at = tag
        .find("value=\"")
        .unwrap_or_else(|| panic!("field {name} has no value: {tag}"))
        + "value=\"".len();
    let value = &tag[value_at..];
    value[..value.find('"').expect("a quoted value")].replace("&amp;", "&")
}

/// The first `<form>` of `html` whose `action` ends with `suffix`: its action (unescaped) and
/// its HTML.
fn form_ending_with<'a>(html: &'a str, suffix: &str) -> (String, &'a str) {
    for (start, _) in html.match_indices("<form") {
        let form = &html[start
            ..html[start..]
                .find("</form>")
                .map_or(html.len(), |e| start + e)];
        let tag = &form[..form.find('>').unwrap_or(form.len())];
        if let Some(at) = tag.find("action=\"") {
            let action = &tag[at + "action=\"".len()..];
            let action = action[..action.find('"').unwrap_or(action.len())].replace("&amp;", "&");
            if action.ends_with(suffix) {
                return (action, form);
            }
        }
    }
    panic!("no form with an action ending in {suffix}:\n{html}")
}

/// The learner's side of the consent: opens the authorization URL, checks the page names the
/// app and what it asks for, types `claim_link`, approves, and follows the redirect to the
/// wallet's loopback callback. Returns the callback URL it delivered.
fn approve_in_browser(issuer: &Issuer, authorization_url: &str, claim_link: &str) -> String {
    let browser = issuer.obapi_browser();
    let page = browser
        .get(authorization_url)
        .send()
        .unwrap_or_else(|e| panic!("GET the consent page: {e}"));
    assert_eq!(page.status().as_u16(), 200, "the consent page answers 200");
    assert!(
        page.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store")),
        "the consent page is not cached"
    );
    let html = page.text().expect("an HTML page");
    assert!(
        html.contains("Passerelle wallet"),
        "the consent page names the app that asks (client_name):\n{html}"
    );
    assert!(
        html.contains("github.com"),
        "the consent page names the app's site (client_uri host):\n{html}"
    );
    let request = hidden_field(&html, "request");
    let csrf = hidden_field(&html, "csrf_token");
    let answer = browser
        .post(issuer.url("/oauth/authorize"))
        .form(&[
            ("request", request.as_str()),
            ("csrf_token", csrf.as_str()),
            ("claim", claim_link),
            ("decision", "approve"),
        ])
        .send()
        .unwrap_or_else(|e| panic!("POST the consent form: {e}"));
    assert_eq!(
        answer.status().as_u16(),
        303,
        "approving redirects to the app: {}",
        answer.text().unwrap_or_default()
    );
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:") && location.contains("/callback?"),
        "the redirect goes to the wallet's loopback callback: {location}"
    );
    for member in ["code=", "state=", "scope="] {
        assert!(location.contains(member), "{member} in {location}");
    }
    let delivered = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get(&location)
        .send()
        .unwrap_or_else(|e| panic!("the wallet's callback {location}: {e}"));
    assert_eq!(
        delivered.status().as_u16(),
        200,
        "the wallet's callback page answers 200"
    );
    location
}

/// The wallet's credentials (`list --json`).
fn listed(issuer: &Issuer, store: &Path) -> Vec<Value> {
    let out = wallet(issuer, store, &["list", "--json"]);
    assert_ok(&out, "wallet list --json");
    serde_json::from_str::<Value>(&stdout(&out))
        .expect("list --json is JSON")
        .as_array()
        .expect("an array")
        .clone()
}

/// The profile id `connections --json` shows for the one connection: the provider's
/// getProfile answer, a pairwise `urn:uuid:`.
fn profile_id(connections_json: &str) -> String {
    let list: Value = serde_json::from_str(connections_json).expect("connections --json is JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let id = list[0]["profile"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the wallet read the learner's profile: {list}"))
        .to_owned();
    assert!(id.starts_with("urn:uuid:"), "{id}");
    id
}

/// The claim page's HTML.
fn claim_page(issuer: &Issuer, claim_link: &str) -> String {
    let reply = issuer.get(claim_link);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body.as_str().expect("an HTML page").to_owned()
}

/// Connects the wallet as `claim_link`'s learner; the wallet's answer.
fn connect(issuer: &Issuer, store: &Path, claim_link: &str) -> Output {
    let connecting = start_connect(issuer, store);
    assert!(
        connecting
            .authorization_url
            .starts_with(&issuer.url("/oauth/authorize?")),
        "the wallet sends the learner to the SDD's authorizationUrl: {}",
        connecting.authorization_url
    );
    for member in [
        "response_type=code",
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "client_id=",
        "redirect_uri=",
    ] {
        assert!(
            connecting.authorization_url.contains(member),
            "{member} in {}",
            connecting.authorization_url
        );
    }
    let url = connecting.authorization_url.clone();
    approve_in_browser(issuer, &url, claim_link);
    let (out, _) = connecting.finish();
    out
}

#[test]
fn the_wallet_connects_through_the_consent_page_pulls_every_badge_syncs_and_is_disconnected() {
    let issuer = Issuer::start();
    let alice = "alice.obapi@example.org";
    let mut alice_links = Vec::new();
    for n in 0..ALICE_BADGES {
        alice_links.push(issuer.obapi_award(alice, &format!("alice-{n}")));
    }
    let bob_link = issuer.obapi_award("bob.obapi@example.org", "bob-0");

    let store = issuer.dir.join("wallet");
    assert_ok(&wallet(&issuer, &store, &["init"]), "wallet init");

    // Connect as Alice, proving it with the claim link of one of her badges.
    let out = connect(&issuer, &store, &alice_links[3]);
    assert_ok(&out, "wallet connect");
    let items = listed(&issuer, &store);
    assert_eq!(
        items.len(),
        ALICE_BADGES,
        "every one of Alice's badges, over more than one page, and none of Bob's: {items:#?}\n{}",
        stderr(&out)
    );
    for item in &items {
        assert_eq!(
            item["status"], "verified",
            "each badge received is verified like any import: {item}"
        );
        assert_eq!(item["issuer"]["name"], "Open Learning Lab");
    }
    let connections = wallet(&issuer, &store, &["connections", "--json"]);
    assert_ok(&connections, "wallet connections");
    let text = stdout(&connections);
    assert!(text.contains(&issuer.base), "{text}");
    let first_profile = profile_id(&text);
    assert!(
        !text.contains("obr_") && !text.contains("obt_") && !text.contains("obs_"),
        "connections never shows a token or secret: {text}"
    );

    // The claim page of any of Alice's badges lists the app; Bob's does not.
    let page = claim_page(&issuer, &alice_links[0]);
    assert!(
        page.contains("Passerelle wallet"),
        "Alice's claim page lists the connected app:\n{page}"
    );
    assert!(
        !claim_page(&issuer, &bob_link).contains("Passerelle wallet"),
        "Bob's claim page does not list Alice's app"
    );

    // A new badge: sync (refresh token) brings exactly it.
    let newest = issuer.obapi_award(alice, "alice-new");
    let out = wallet(&issuer, &store, &["sync"]);
    assert_ok(&out, "wallet sync");
    assert_eq!(
        listed(&issuer, &store).len(),
        ALICE_BADGES + 1,
        "{}",
        stderr(&out)
    );
    // A second sync brings nothing new and stores nothing twice (the refresh token rotated).
    let out = wallet(&issuer, &store, &["sync"]);
    assert_ok(&out, "second wallet sync");
    assert_eq!(listed(&issuer, &store).len(), ALICE_BADGES + 1);

    // Alice disconnects the app from a claim page: the next sync fails, clearly.
    let browser = issuer.obapi_browser();
    let page = browser.get(&newest).send().unwrap().text().unwrap();
    let (action, form) = form_ending_with(&page, "/disconnect");
    let csrf = hidden_field(form, "csrf_token");
    let action_url = if action.starts_with("http") {
        action
    } else {
        issuer.url(&action)
    };
    let answer = browser
        .post(&action_url)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303, "disconnect redirects back");
    assert!(
        !claim_page(&issuer, &newest).contains("Passerelle wallet"),
        "the disconnected app is no longer listed"
    );
    let out = wallet(&issuer, &store, &["sync"]);
    assert!(
        !out.status.success(),
        "a sync after the learner disconnected the app must fail: {}",
        stdout(&out)
    );
    let message = stderr(&out);
    assert!(
        message.contains("invalid_grant") || message.contains("revoked"),
        "the failure says the provider refused the grant: {message}"
    );
    assert_eq!(listed(&issuer, &store).len(), ALICE_BADGES + 1);

    // A second connection, ended from the wallet: RFC 7009 revocation at the provider.
    let again = wallet(&issuer, &store, &["disconnect", &issuer.base]);
    assert_ok(&again, "disconnect the dead connection (forgotten locally)");
    let out = connect(&issuer, &store, &alice_links[0]);
    assert_ok(&out, "connect again");
    assert!(claim_page(&issuer, &alice_links[1]).contains("Passerelle wallet"));
    let listed = wallet(&issuer, &store, &["connections", "--json"]);
    assert_ok(&listed, "wallet connections");
    assert_ne!(
        profile_id(&stdout(&listed)),
        first_profile,
        "another app (a new registration) sees Alice under another profile id"
    );
    let out = wallet(&issuer, &store, &["disconnect", &issuer.base]);
    assert_ok(&out, "wallet disconnect");
    assert!(
        !claim_page(&issuer, &alice_links[1]).contains("Passerelle wallet"),
        "after disconnect the provider no longer lists the app"
    );
    let actions = issuer.obapi_audit_actions();
    for action in [
        "obapi.client.register",
        "obapi.grant.approve",
        "obapi.token.issue",
        "obapi.token.refresh",
        "obapi.credentials.read",
        "obapi.grant.disconnect",
        "obapi.token.revoke",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "the audit log records {action}: {actions:?}"
        );
    }
}
