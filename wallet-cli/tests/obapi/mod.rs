//! The real binary's `connect`, `sync`, `disconnect` and `connections` against the in-process
//! Open Badges 3.0 API provider ([`provider`]). The test plays the browser: it reads the address
//! the wallet prints, GETs it at the provider, and follows the redirect to the wallet's loopback
//! callback.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

mod provider;
use provider::{Options, Provider, PROFILE, READ};

const PASSPHRASE: &str = "correct horse battery staple";
const OPEN_THIS: &str = "Open this address in your browser to approve the connection:";

struct Wallet {
    dir: tempfile::TempDir,
}

impl Wallet {
    fn new() -> Self {
        let wallet = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = wallet.run(&["init"], None);
        assert!(out.status.success(), "{}", text(&out));
        wallet
    }

    fn command(&self, args: &[&str], provider: Option<&Provider>) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_passerelle-wallet"));
        command
            .arg("--wallet")
            .arg(self.dir.path().join("w"))
            .args(args)
            .env("PASSERELLE_WALLET_PASSPHRASE", PASSPHRASE)
            .env_remove("SSL_CERT_FILE")
            .env_remove("BROWSER")
            // English messages whatever the developer's locale: these tests read them.
            .env_remove("LANGUAGE")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        if let Some(provider) = provider {
            command
                .arg("--allow-private-network")
                .arg("--ca-cert")
                .arg(&provider.ca_file);
        }
        command
    }

    fn run(&self, args: &[&str], provider: Option<&Provider>) -> Output {
        self.command(args, provider).output().unwrap()
    }

    /// `connect` with the test as the browser: `approve` plays it; `None` never opens it.
    fn connect(&self, provider: &Provider, extra: &[&str], browse: bool) -> Connected {
        let mut args = vec!["connect", provider.base.as_str()];
        args.extend_from_slice(extra);
        let mut child = self
            .command(&args, Some(provider))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (lines, reader) = stderr_lines(&mut child);
        let mut seen = Vec::new();
        let mut url = None;
        // Read until the address (or the end: the command failed before printing it).
        while let Ok(line) = lines.recv() {
            seen.push(line.clone());
            if line == OPEN_THIS {
                let next = lines.recv().unwrap();
                seen.push(next.clone());
                url = Some(
                    next.strip_prefix("  ")
                        .expect("the URL line starts with two spaces")
                        .to_owned(),
                );
                break;
            }
        }
        let mut callback = None;
        if let (Some(url), true) = (&url, browse) {
            callback = Some(play_browser(provider, url));
        }
        let output = child.wait_with_output().unwrap();
        // The child has exited: every line is sent (or, had the channel closed, returned).
        seen.extend(reader.join().unwrap());
        seen.extend(lines.try_iter());
        Connected {
            status: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: seen.join("\n"),
            url,
            callback,
        }
    }

    fn list(&self) -> Vec<Value> {
        let out = self.run(&["list", "--json"], None);
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn connections(&self) -> Vec<Value> {
        let out = self.run(&["connections", "--json"], None);
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

struct Connected {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    url: Option<String>,
    /// What the wallet's loopback page answered the browser (status, body).
    callback: Option<(u16, String)>,
}

/// Every stderr line of `child` as it comes; the thread returns those not yet received.
fn stderr_lines(
    child: &mut Child,
) -> (mpsc::Receiver<String>, std::thread::JoinHandle<Vec<String>>) {
    let stderr = child.stderr.take().unwrap();
    let (send, receive) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut unsent = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if let Err(mpsc::SendError(line)) = send.send(line) {
                unsent.push(line);
            }
        }
        unsent
    });
    (receive, reader)
}

/// The browser: GET the authorization URL at the provider (which approves or denies at once),
/// then follow its redirect to the wallet's loopback callback.
fn play_browser(provider: &Provider, url: &str) -> (u16, String) {
    let ca = std::fs::read(&provider.ca_file).unwrap();
    let browser = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let answer = browser.get(url).send().unwrap();
    assert_eq!(
        answer.status().as_u16(),
        302,
        "the provider's authorize answer"
    );
    let location = answer.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:") && location.contains("/callback?"),
        "{location}"
    );
    // A browser may ask for other things first (a favicon): answered 404, the wallet waits on.
    let callback = url::Url::parse(&location).unwrap();
    let favicon = format!("http://127.0.0.1:{}/favicon.ico", callback.port().unwrap());
    assert_eq!(browser.get(&favicon).send().unwrap().status().as_u16(), 404);
    let page = browser.get(&location).send().unwrap();
    let status = page.status().as_u16();
    (status, page.text().unwrap())
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn no_secret_in(provider: &Provider, printed: &str) {
    for secret in provider.secrets() {
        assert!(!printed.contains(&secret), "{secret} printed: {printed}");
    }
}

fn basic(seen: &provider::Seen) -> (String, String) {
    let value = seen
        .authorization
        .as_deref()
        .and_then(|v| v.strip_prefix("Basic "))
        .expect("HTTP Basic client authentication");
    let decoded = String::from_utf8(STANDARD.decode(value).unwrap()).unwrap();
    let (id, secret) = decoded.split_once(':').unwrap();
    (id.to_owned(), secret.to_owned())
}

fn form(body: &str) -> std::collections::BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

#[test]
fn connect_imports_every_page_sync_rotates_the_refresh_token_and_disconnect_revokes() {
    let provider = Provider::start(
        Options {
            path: "/mooc",
            ..Options::default()
        },
        5,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &["--json"], true);
    assert_eq!(connected.status, Some(0), "{}", connected.stderr);
    let (page_status, page) = connected.callback.clone().unwrap();
    assert_eq!(page_status, 200);
    assert!(page.contains("Approved"), "{page}");

    // Registration: every property OB 3.0 §7.1.1 requires; the loopback redirect URI.
    let registrations = provider.registrations();
    assert_eq!(registrations.len(), 1);
    let registration = &registrations[0];
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
        assert!(registration.get(name).is_some(), "{name}: {registration}");
    }
    let redirect_uri = registration["redirect_uris"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with("/callback"),
        "{redirect_uri}"
    );
    assert_eq!(registration["grant_types"][1], "refresh_token");

    // The authorization request: code, S256, state, the registered redirect URI.
    let authorization = &provider.authorizations()[0];
    assert_eq!(authorization["response_type"], "code");
    assert_eq!(authorization["code_challenge_method"], "S256");
    assert_eq!(authorization["redirect_uri"], redirect_uri);
    assert!(authorization["state"].len() >= 16);
    let scopes: BTreeSet<&str> = authorization["scope"].split(' ').collect();
    assert_eq!(scopes, BTreeSet::from([READ, PROFILE]));
    let url = url::Url::parse(connected.url.as_deref().unwrap()).unwrap();
    assert_eq!(url.path(), "/mooc/connect/authorize");

    // The token request: HTTP Basic, the code, the same redirect URI, scope, the verifier.
    let tokens = provider.token_requests();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let (id, secret) = basic(&tokens[0]);
    assert!(id.starts_with("client-"), "{id}");
    // RFC 6749 §2.3.1: the secret `client-secret:+/% é-…` form-urlencoded before base64.
    assert!(
        secret.starts_with("client-secret%3A%2B%2F%25+%C3%A9-"),
        "{secret}"
    );
    let fields = form(&tokens[0].body);
    assert_eq!(fields["grant_type"], "authorization_code");
    assert_eq!(fields["redirect_uri"], redirect_uri);
    assert!(fields.contains_key("scope") && fields.contains_key("code_verifier"));
    assert!(!fields.contains_key("client_secret"), "Basic only");

    // Every page read (5 credentials, 2 a page: 3 pages), each stored once, verified.
    let pages = provider.resource_requests();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert_eq!(pages[0].0, "/credentials?");
    assert_eq!(pages[2].0, "/credentials?limit=2&offset=4");
    assert!(pages[0]
        .1
        .authorization
        .as_deref()
        .unwrap()
        .starts_with("Bearer access-"));
    let stored = wallet.list();
    assert_eq!(stored.len(), 5, "{stored:?}");
    assert!(
        stored.iter().all(|e| e["status"] == "verified"),
        "{stored:?}"
    );
    assert_eq!(
        stored.iter().filter(|e| e["format"] == "jws").count(),
        1,
        "{stored:?}"
    );
    let report: Value = serde_json::from_str(&connected.stdout).unwrap();
    assert_eq!(report["credentials"].as_array().unwrap().len(), 5);
    assert!(
        connected
            .stderr
            .contains("5 imported, 0 already in the wallet"),
        "{}",
        connected.stderr
    );
    // The provider's title is escaped for the terminal.
    assert!(
        connected.stderr.contains("Test \\u{1b}[31mMOOC"),
        "{}",
        connected.stderr
    );
    assert!(!connected.stderr.contains('\u{1b}'));
    no_secret_in(&provider, &connected.stderr);
    no_secret_in(&provider, &connected.stdout);

    let listed = wallet.connections();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["provider"], format!("{}", provider.base));
    assert_eq!(listed[0]["revocable"], true);
    assert_eq!(
        listed[0]["profile"]["id"],
        provider::LEARNER_PROFILE_ID,
        "getProfile was called with the granted profile scope: {}",
        listed[0]
    );
    no_secret_in(&provider, &listed[0].to_string());
    let out = wallet.run(&["connections"], None);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.starts_with("#1 Test \\u{1b}[31mMOOC ("), "{said}");
    assert!(said.contains("read your badges"), "{said}");
    assert!(
        said.contains(&format!(
            "you there: Ada \\u{{1b}}[31mLovelace ({})",
            provider::LEARNER_PROFILE_ID
        )),
        "the profile's name, escaped, and its id: {said}"
    );
    no_secret_in(&provider, &said);

    // A new badge; sync refreshes (rotation), reads it, and keeps the five it has.
    provider.award();
    let before = provider.live_refresh_tokens();
    assert_eq!(before.len(), 1);
    let out = wallet.run(&["sync"], Some(&provider));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("1 imported, 5 already in the wallet"),
        "{}",
        text(&out)
    );
    assert_eq!(wallet.list().len(), 6);
    let refresh = provider.token_requests().pop().unwrap();
    let fields = form(&refresh.body);
    assert_eq!(fields["grant_type"], "refresh_token");
    assert_eq!(fields["refresh_token"], before[0]);
    // OB 3.0 §7.4 lists `scope` as required in a refresh request: the granted scopes.
    let asked: BTreeSet<&str> = fields["scope"].split(' ').collect();
    assert_eq!(asked, BTreeSet::from([READ, PROFILE]));
    assert_eq!(basic(&refresh).0, id);
    let after = provider.live_refresh_tokens();
    assert_eq!(after.len(), 1);
    assert_ne!(after, before, "rotated");
    // The rotated token was kept: a second sync uses it (the old one would revoke the grant).
    let out = wallet.run(&["sync", provider.base.as_str()], Some(&provider));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        form(&provider.token_requests().pop().unwrap().body)["refresh_token"],
        after[0]
    );
    no_secret_in(&provider, &text(&out));

    // Disconnect: the refresh token, then the access token, at the revocation endpoint.
    let live = provider.live_refresh_tokens();
    let out = wallet.run(&["disconnect", "1"], Some(&provider));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Disconnected"), "{}", text(&out));
    let revocations = provider.revocations();
    assert_eq!(revocations.len(), 2, "{revocations:?}");
    let first = form(&revocations[0].body);
    assert_eq!(first["token"], live[0]);
    assert_eq!(first["token_type_hint"], "refresh_token");
    assert_eq!(
        form(&revocations[1].body)["token_type_hint"],
        "access_token"
    );
    assert_eq!(basic(&revocations[0]).0, id);
    assert!(provider.live_refresh_tokens().is_empty());
    assert!(wallet.connections().is_empty());
    assert_eq!(wallet.list().len(), 6, "the badges stay");
}

#[test]
fn a_grant_revoked_at_the_provider_makes_the_next_sync_fail_saying_so() {
    let provider = Provider::start(
        Options {
            plural_jws: true,
            ..Options::default()
        },
        3,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(0), "{}", connected.stderr);
    // The plural spelling of the prose example is read, with a warning.
    assert!(
        connected.stderr.contains("compactJwsStrings"),
        "{}",
        connected.stderr
    );
    assert_eq!(wallet.list().len(), 3);

    provider.revoke_everything();
    let out = wallet.run(&["sync"], Some(&provider));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("no longer accepts this connection"), "{said}");
    assert!(said.contains("invalid_grant"), "{said}");
    no_secret_in(&provider, &said);
}

#[test]
fn a_state_that_does_not_match_is_refused_and_nothing_is_connected() {
    let provider = Provider::start(
        Options {
            wrong_state: true,
            ..Options::default()
        },
        1,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(2), "{}", connected.stderr);
    assert!(
        connected.stderr.contains("`state` that does not match"),
        "{}",
        connected.stderr
    );
    assert_eq!(connected.callback.unwrap().0, 400);
    assert!(provider.token_requests().is_empty(), "no code exchanged");
    assert!(wallet.connections().is_empty());
    assert!(wallet.list().is_empty());
}

#[test]
fn access_denied_is_reported_with_the_providers_description_escaped() {
    let provider = Provider::start(
        Options {
            deny: true,
            ..Options::default()
        },
        1,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(2), "{}", connected.stderr);
    assert!(
        connected.stderr.contains("not approved"),
        "{}",
        connected.stderr
    );
    assert!(
        connected.stderr.contains("access_denied"),
        "{}",
        connected.stderr
    );
    assert!(
        connected.stderr.contains("The learner said \\u{1b}[1mno"),
        "{}",
        connected.stderr
    );
    assert!(wallet.connections().is_empty());
}

#[test]
fn a_refused_registration_and_a_description_without_its_url_are_reported_before_any_browser() {
    let provider = Provider::start(
        Options {
            refuse_registration: true,
            ..Options::default()
        },
        1,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(2), "{}", connected.stderr);
    assert!(connected.url.is_none(), "no address printed");
    assert!(
        connected.stderr.contains("refused the registration"),
        "{}",
        connected.stderr
    );
    assert!(
        connected.stderr.contains("invalid_client_metadata"),
        "{}",
        connected.stderr
    );
    assert!(
        connected.stderr.contains("\\u{1b}[2Jnative apps"),
        "{}",
        connected.stderr
    );

    let provider = Provider::start(
        Options {
            no_registration_url: true,
            ..Options::default()
        },
        1,
    );
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(2), "{}", connected.stderr);
    assert!(
        connected.stderr.contains("x-imssf-registrationUrl"),
        "{}",
        connected.stderr
    );
    assert!(provider.registrations().is_empty());
}

#[test]
fn without_a_revocation_endpoint_disconnect_says_it_could_not_revoke_and_forgets() {
    let provider = Provider::start(
        Options {
            revocation: false,
            ..Options::default()
        },
        1,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(0), "{}", connected.stderr);
    assert!(connected
        .stderr
        .contains("publishes no token revocation endpoint"));
    assert_eq!(wallet.connections()[0]["revocable"], false);
    let out = wallet.run(&["disconnect", provider.base.as_str()], Some(&provider));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Could not revoke"), "{}", text(&out));
    assert!(provider.revocations().is_empty());
    assert!(wallet.connections().is_empty());
}

#[test]
fn no_answer_from_the_browser_is_a_timeout_and_nothing_is_connected() {
    let provider = Provider::start(Options::default(), 1);
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &["--timeout", "1", "--no-browser"], false);
    assert_eq!(connected.status, Some(2), "{}", connected.stderr);
    assert!(connected.url.is_some());
    assert!(
        connected
            .stderr
            .contains("no answer from the browser within 1 seconds"),
        "{}",
        connected.stderr
    );
    assert!(wallet.connections().is_empty());
}

#[test]
fn a_provider_error_on_the_credentials_is_reported_and_the_connection_is_kept_for_sync() {
    let provider = Provider::start(
        Options {
            busy: true,
            ..Options::default()
        },
        2,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(2), "{}", connected.stderr);
    assert!(
        connected.stderr.contains("HTTP 503"),
        "{}",
        connected.stderr
    );
    assert!(
        connected.stderr.contains("Busy \\u{1b}[5mtry again later"),
        "{}",
        connected.stderr
    );
    assert!(
        connected.stderr.contains("`passerelle-wallet sync`"),
        "{}",
        connected.stderr
    );
    assert_eq!(wallet.connections().len(), 1);
    assert!(wallet.list().is_empty());
    no_secret_in(&provider, &connected.stderr);
}

#[test]
fn a_revocation_the_provider_refuses_is_reported_and_the_connection_still_forgotten() {
    let provider = Provider::start(
        Options {
            revocation_down: true,
            ..Options::default()
        },
        1,
    );
    let wallet = Wallet::new();
    let connected = wallet.connect(&provider, &[], true);
    assert_eq!(connected.status, Some(0), "{}", connected.stderr);
    let out = wallet.run(&["disconnect", "1"], Some(&provider));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("Could not revoke"), "{said}");
    assert!(said.contains("temporarily_unavailable"), "{said}");
    assert!(
        said.contains("disconnect the app on the provider's site"),
        "{said}"
    );
    assert_eq!(provider.revocations().len(), 1);
    assert_eq!(provider.live_refresh_tokens().len(), 1, "still live there");
    assert!(wallet.connections().is_empty());
    no_secret_in(&provider, &said);
}
