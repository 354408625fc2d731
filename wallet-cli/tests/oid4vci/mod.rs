//! The OpenID4VCI client against the in-process issuer ([`server`]): the requests exactly as
//! the specification defines them, each error the wallet must handle, and the real binary's
//! `import` of an offer (typed and as a QR image) into a real wallet.

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use passerelle_core::keys::KeyPair;
use passerelle_core::{did, qr, verify};
use passerelle_wallet::checking::{self, credential_of};
use passerelle_wallet::oid4vci::{self, CredentialFormat, Event, Oid4vciError, Preferences};
use passerelle_wallet::source;
use serde_json::Value;

pub mod server;
use server::{Options, Server, JWT, LDP, PRE_AUTHORIZED};

const PIN: &str = "493817";

fn holder() -> KeyPair {
    KeyPair::from_seed(&[7; 32])
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn resolve(server: &Server, offer: &str) -> Result<oid4vci::Offer, Oid4vciError> {
    oid4vci::resolve(offer, &server.fetcher(), &Preferences::default())
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn an_offer_by_reference_with_a_tx_code_is_received_with_the_requests_the_spec_defines() {
    let server = Server::start(Options {
        tx_code: Some(PIN),
        ..Options::default()
    });
    let fetcher = server.fetcher();
    let offer = resolve(
        &server,
        &server.offer_by_reference("openid-credential-offer://"),
    )
    .unwrap();
    assert_eq!(server.offer_fetches(), 1);
    assert_eq!(offer.credential_issuer, server.issuer);
    // Both formats offered: ldp_vc preferred, jwt_vc_json skipped with why.
    assert_eq!(offer.chosen.len(), 1, "{:?}", offer.chosen);
    assert_eq!(offer.chosen[0].id, LDP);
    assert_eq!(offer.chosen[0].format, CredentialFormat::LdpVc);
    assert_eq!(offer.skipped.len(), 1);
    assert_eq!(offer.skipped[0].id, JWT);
    let tx = offer.tx_code.as_ref().unwrap();
    assert_eq!(tx.length, Some(6));
    assert_eq!(offer.issuer_name(&["fr-CA".into()]), "École des données");
    let languages = ["fr".to_owned()];
    let prefs = Preferences {
        format: None,
        languages: languages.to_vec(),
    };
    let french = oid4vci::resolve(&server.offer_by_value(), &fetcher, &prefs).unwrap();
    assert_eq!(
        french.chosen[0].name.as_deref(),
        Some("Littératie des données")
    );

    let access = offer.request_token(&fetcher, Some(PIN)).unwrap();
    let tokens = server.token_requests();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(tokens[0].authorization, None);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(tokens[0].body.as_bytes())
        .into_owned()
        .collect();
    let names: BTreeSet<String> = form.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        names,
        set(&["grant_type", "pre-authorized_code", "tx_code"])
    );
    assert!(form.contains(&("grant_type".into(), PRE_AUTHORIZED.into())));
    assert!(form.contains(&("tx_code".into(), PIN.into())));

    let holder = holder();
    let received = offer
        .request_credential(&fetcher, &access, &offer.chosen[0], &holder, now())
        .unwrap();
    let nonces = server.nonce_requests();
    assert_eq!(nonces.len(), 1);
    assert_eq!(
        (nonces[0].method.as_str(), nonces[0].body.as_str()),
        ("POST", "")
    );
    let requests = server.credential_requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    let bearer = request.authorization.as_deref().unwrap();
    assert!(bearer.starts_with("Bearer access-token-"), "{bearer}");
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(keys(&body), set(&["credential_configuration_id", "proofs"]));
    assert_eq!(body["credential_configuration_id"], LDP);
    assert_eq!(keys(&body["proofs"]), set(&["jwt"]));
    let jwt = body["proofs"]["jwt"][0].as_str().unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["typ"], "openid4vci-proof+jwt");
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(
        header["kid"],
        did::did_key_verification_method(&holder.public())
    );
    assert_eq!(claims["aud"], server.issuer.as_str());
    assert!(claims["nonce"].as_str().unwrap().starts_with("c-nonce-"));
    assert!((claims["iat"].as_i64().unwrap() - now()).abs() < 60);

    // The credential, bound to the holder's did:key, ready for the import policy.
    assert_eq!(received.found.len(), 1);
    let found = &received.found[0];
    assert_eq!(found.link, None);
    assert!(found.how.contains("OpenID4VCI"), "{}", found.how);
    let credential = credential_of(&checking::parse(&found.text).unwrap()).unwrap();
    assert_eq!(
        credential["credentialSubject"]["id"],
        did::did_key(&holder.public()).to_string()
    );

    let id = received.notification_id.as_deref().unwrap();
    offer
        .notify(&fetcher, &access, id, Event::CredentialAccepted, None)
        .unwrap();
    let notes = server.notifications();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].authorization.as_deref(), Some(bearer));
    assert_eq!(notes[0].content_type.as_deref(), Some("application/json"));
    let note: Value = serde_json::from_str(&notes[0].body).unwrap();
    assert_eq!(note["notification_id"], "notification-1");
    assert_eq!(note["event"], "credential_accepted");

    // No secret in a debug print.
    let printed = format!("{offer:?} {access:?} {received:?}");
    for secret in server.secrets() {
        if secret != "secret-reference-4711" {
            assert!(!printed.contains(&secret), "{secret} in {printed}");
        }
    }
}

#[test]
fn an_offer_by_value_any_scheme_and_a_path_aware_issuer_work_without_a_tx_code() {
    let server = Server::start(Options {
        path: "/tenant",
        ..Options::default()
    });
    let fetcher = server.fetcher();
    assert!(server.issuer.ends_with("/tenant"));
    for text in [
        server.offer_by_value(),
        server.offer_by_reference("haip://"),
        server.offer_by_reference("https://wallet.example/receive"),
    ] {
        assert!(oid4vci::looks_like_offer(&text), "{text}");
        let offer = resolve(&server, &text).unwrap();
        assert!(offer.tx_code.is_none());
        let access = offer.request_token(&fetcher, None).unwrap();
        let received = offer
            .request_credential(&fetcher, &access, &offer.chosen[0], &holder(), now())
            .unwrap();
        assert_eq!(received.found.len(), 1);
    }
    let form = &server.token_requests()[0].body;
    assert!(!form.contains("tx_code"), "{form}");
}

#[test]
fn a_wrong_transaction_code_is_the_token_endpoints_invalid_grant_without_the_code() {
    let server = Server::start(Options {
        tx_code: Some(PIN),
        ..Options::default()
    });
    let fetcher = server.fetcher();
    let offer = resolve(&server, &server.offer_by_value()).unwrap();
    let error = offer.request_token(&fetcher, Some("000000")).unwrap_err();
    assert!(error.is_refused_tx_code(), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("token endpoint"), "{text}");
    assert!(
        text.contains("refused the transaction code (invalid_grant)"),
        "{text}"
    );
    // The server echoed the code in its description: redacted.
    assert!(!text.contains("000000"), "{text}");
    // A code of the wrong shape is refused before any request.
    let requests = server.token_requests().len();
    for bad in ["12345", "12a456", ""] {
        let error = offer.request_token(&fetcher, Some(bad)).unwrap_err();
        assert!(
            matches!(error, Oid4vciError::TxCodeShape { .. }),
            "{error:?}"
        );
    }
    assert_eq!(server.token_requests().len(), requests);
    // The right code still works (the wrong one did not burn the offer here).
    offer.request_token(&fetcher, Some(PIN)).unwrap();
}

#[test]
fn an_invalid_nonce_is_retried_once_with_a_fresh_nonce() {
    let server = Server::start(Options {
        stale_nonces: 1,
        ..Options::default()
    });
    let fetcher = server.fetcher();
    let offer = resolve(&server, &server.offer_by_value()).unwrap();
    let access = offer.request_token(&fetcher, None).unwrap();
    offer
        .request_credential(&fetcher, &access, &offer.chosen[0], &holder(), now())
        .unwrap();
    assert_eq!(server.nonce_requests().len(), 2);
    let nonces: BTreeSet<String> = server
        .credential_requests()
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            let jwt = body["proofs"]["jwt"][0].as_str().unwrap().to_owned();
            decode(jwt.split('.').nth(1).unwrap())["nonce"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(nonces.len(), 2, "each attempt has its own nonce");

    // Twice stale: the error, once retried, names the endpoint and the code.
    let server = Server::start(Options {
        stale_nonces: 2,
        ..Options::default()
    });
    let fetcher = server.fetcher();
    let offer = resolve(&server, &server.offer_by_value()).unwrap();
    let access = offer.request_token(&fetcher, None).unwrap();
    let error = offer
        .request_credential(&fetcher, &access, &offer.chosen[0], &holder(), now())
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("credential endpoint"), "{text}");
    assert!(text.contains("(invalid_nonce)"), "{text}");
    assert!(text.contains("twice, each time a fresh one"), "{text}");
    assert_eq!(server.credential_requests().len(), 2);
}

#[test]
fn an_offer_reference_that_fails_is_reported_without_the_secret_reference() {
    let server = Server::start(Options::default());
    let link = format!(
        "openid-credential-offer://?credential_offer_uri={}",
        url::form_urlencoded::byte_serialize(
            format!("{}/offers/unknown-secret-99", server.issuer).as_bytes()
        )
        .collect::<String>()
    );
    let error = resolve(&server, &link).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("credential offer URI"), "{text}");
    assert!(text.contains("/offers/…"), "{text}");
    assert!(text.contains("404"), "{text}");
    assert!(!text.contains("unknown-secret-99"), "{text}");
}

#[test]
fn an_offer_whose_issuer_metadata_names_another_issuer_is_refused_before_any_request() {
    let server = Server::start(Options {
        published_issuer: Some("https://issuer.example".into()),
        ..Options::default()
    });
    let error = resolve(&server, &server.offer_by_value()).unwrap_err();
    assert!(
        matches!(error, Oid4vciError::IssuerMismatch { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("https://issuer.example"), "{text}");
    assert!(text.contains(&server.issuer), "{text}");
    assert!(server.token_requests().is_empty());
}

#[test]
fn unknown_configurations_are_refused_by_the_wallet_or_reported_from_the_issuer() {
    let server = Server::start(Options {
        offered: Some(vec!["no-such.ldp_vc".into()]),
        ..Options::default()
    });
    let error = resolve(&server, &server.offer_by_value()).unwrap_err();
    assert!(
        matches!(&error, Oid4vciError::UnknownConfiguration { id, .. } if id == "no-such.ldp_vc"),
        "{error:?}"
    );

    let server = Server::start(Options {
        refuse_configuration: true,
        ..Options::default()
    });
    let fetcher = server.fetcher();
    let offer = resolve(&server, &server.offer_by_value()).unwrap();
    let access = offer.request_token(&fetcher, None).unwrap();
    let error = offer
        .request_credential(&fetcher, &access, &offer.chosen[0], &holder(), now())
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("credential endpoint"), "{text}");
    assert!(
        text.contains("(unknown_credential_configuration)"),
        "{text}"
    );
}

#[test]
fn a_refused_access_token_is_read_from_www_authenticate() {
    let server = Server::start(Options {
        refuse_token: true,
        ..Options::default()
    });
    let fetcher = server.fetcher();
    let offer = resolve(&server, &server.offer_by_value()).unwrap();
    let access = offer.request_token(&fetcher, None).unwrap();
    let error = offer
        .request_credential(&fetcher, &access, &offer.chosen[0], &holder(), now())
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("refused the access token (invalid_token): the token expired"),
        "{text}"
    );
    for secret in server.secrets() {
        assert!(!text.contains(&secret), "{text}");
    }
}

#[test]
fn jwt_vc_json_is_asked_for_with_format_and_comes_back_as_a_compact_jws() {
    let server = Server::start(Options::default());
    let fetcher = server.fetcher();
    let prefs = Preferences {
        format: Some(CredentialFormat::JwtVcJson),
        languages: Vec::new(),
    };
    let offer = oid4vci::resolve(&server.offer_by_value(), &fetcher, &prefs).unwrap();
    assert_eq!(offer.chosen[0].id, JWT);
    let access = offer.request_token(&fetcher, None).unwrap();
    let received = offer
        .request_credential(&fetcher, &access, &offer.chosen[0], &holder(), now())
        .unwrap();
    let presented = checking::parse(&received.found[0].text).unwrap();
    assert!(matches!(presented, verify::Presented::Jws(_)));

    // Only ldp_vc offered, jwt_vc_json asked for: a clear error.
    let server = Server::start(Options {
        offered: Some(vec![LDP.into()]),
        ..Options::default()
    });
    let error = oid4vci::resolve(&server.offer_by_value(), &server.fetcher(), &prefs).unwrap_err();
    assert!(error.to_string().contains("--format"), "{error}");
}

#[test]
fn credential_identifiers_from_the_token_response_are_used() {
    let server = Server::start(Options {
        identifiers: true,
        ..Options::default()
    });
    let fetcher = server.fetcher();
    let offer = resolve(&server, &server.offer_by_value()).unwrap();
    let access = offer.request_token(&fetcher, None).unwrap();
    offer
        .request_credential(&fetcher, &access, &offer.chosen[0], &holder(), now())
        .unwrap();
    let body: Value = serde_json::from_str(&server.credential_requests()[0].body).unwrap();
    assert_eq!(body["credential_identifier"], "data-literacy-copy-1");
    assert!(body.get("credential_configuration_id").is_none());
}

// ---------------------------------------------------------------------------------------------
// The real binary

struct Wallet {
    dir: tempfile::TempDir,
}

const PASSPHRASE: &str = "correct horse battery staple";

impl Wallet {
    fn new() -> Self {
        let wallet = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = wallet.run(&["init"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        wallet
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_passerelle-wallet"))
            .arg("--wallet")
            .arg(self.dir.path().join("w"))
            .args(args)
            .env("PASSERELLE_WALLET_PASSPHRASE", PASSPHRASE)
            .env_remove("SSL_CERT_FILE")
            .env_remove("PASSERELLE_WALLET_TX_CODE")
            // The offer's names in French (the learner's locale), the wallet's own messages
            // in English (`LC_MESSAGES` wins over `LANG`), which these tests read.
            .env("LANG", "fr_FR.UTF-8")
            .env("LC_MESSAGES", "C")
            .env_remove("LANGUAGE")
            .env_remove("LC_ALL")
            .env("NO_COLOR", "1")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn import(&self, server: &Server, source: &str, extra: &[&str]) -> Output {
        let ca = server.ca_file.to_str().unwrap();
        let mut args = vec!["import", source, "--allow-private-network", "--ca-cert", ca];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_binary_imports_an_offer_verified_as_every_import_and_notifies_the_issuer() {
    let server = Server::start(Options {
        tx_code: Some(PIN),
        ..Options::default()
    });
    let wallet = Wallet::new();
    let offer = server.offer_by_reference("openid-credential-offer://");

    // No terminal and no --tx-code: told how to give it, nothing asked of the issuer.
    let out = wallet.import(&server, &offer, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("--tx-code CODE"), "{said}");
    assert!(said.contains("6 digits"), "{said}");
    // The same in the learner's language, with the offer's names in it too.
    let out = wallet.import(&server, &offer, &["--lang", "fr"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("Offre d’attestation de École des données"),
        "{said}"
    );
    assert!(said.contains("6 chiffres"), "{said}");
    assert!(said.contains("--tx-code CODE"), "{said}");
    assert!(!said.contains("needs a transaction code"), "{said}");
    assert!(server.token_requests().is_empty());

    let out = wallet.import(&server, &offer, &["--tx-code", PIN, "--json"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    // Shown in the learner's language, escaped for the terminal.
    assert!(
        said.contains("Credential offer from École des données"),
        "{said}"
    );
    assert!(said.contains("Littératie des données (ldp_vc)"), "{said}");
    assert!(!said.contains('\u{1b}'), "{said}");
    let records: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(records[0]["outcome"], "stored", "{said}");
    assert_eq!(records[0]["verdict"], "verified", "{said}");
    let note: Value = serde_json::from_str(&server.notifications()[0].body).unwrap();
    assert_eq!(note["event"], "credential_accepted");
    for secret in server.secrets() {
        assert!(!said.contains(&secret), "{secret} printed: {said}");
    }
    let listed = text(&wallet.run(&["list"]));
    assert!(listed.contains("verified"), "{listed}");

    // A wrong PIN (with a fresh code from the same offer reference) is the token endpoint's
    // refusal, exit 2, without the PIN in the message.
    let out = wallet.import(&server, &offer, &["--tx-code", "000000"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("token endpoint"), "{said}");
    assert!(said.contains("(invalid_grant)"), "{said}");
    assert!(!said.contains("000000"), "{said}");

    // The code from the environment, out of the process list.
    let ca = server.ca_file.to_str().unwrap();
    let out = wallet.run_with(
        &["import", &offer, "--allow-private-network", "--ca-cert", ca],
        &[("PASSERELLE_WALLET_TX_CODE", PIN)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains(PIN));
}

#[test]
fn a_received_credential_that_fails_verification_is_not_kept_and_the_issuer_is_told() {
    let server = Server::start(Options {
        tamper: true,
        ..Options::default()
    });
    let wallet = Wallet::new();
    let out = wallet.import(&server, &server.offer_by_value(), &["--json"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let records: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(records[0]["outcome"], "refused", "{said}");
    let note: Value = serde_json::from_str(&server.notifications()[0].body).unwrap();
    assert_eq!(note["event"], "credential_failure");
    assert_eq!(
        note["event_description"],
        "it failed the wallet's verification"
    );
    let listed = text(&wallet.run(&["list", "--json"]));
    assert!(listed.trim_start().starts_with("[]"), "{listed}");
}

#[test]
fn an_offer_in_a_qr_code_image_is_received_like_a_typed_one() {
    let server = Server::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("offer.png");
    let offer = server.offer_by_reference("openid-credential-offer://");
    std::fs::write(&image, qr::render_png(&offer, 8).unwrap()).unwrap();
    let image_path = image.to_str().unwrap();
    assert_eq!(source::offer_in(image_path).unwrap(), Some(offer.clone()));
    // A text file holding the link, too.
    let file = dir.path().join("offer.txt");
    std::fs::write(&file, format!("{offer}\n")).unwrap();
    assert_eq!(
        source::offer_in(file.to_str().unwrap()).unwrap(),
        Some(offer)
    );

    let wallet = Wallet::new();
    let out = wallet.import(&server, image_path, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.credential_requests().len(), 1);
    // --offline cannot receive an offer.
    let out = wallet.import(&server, image_path, &["--offline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("without --offline"), "{}", text(&out));
}
