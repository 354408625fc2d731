//! OpenID4VCI 1.0 (issue 14): `passerelle-issuer serve` on loopback **https** (a development CA
//! from `passerelle-issuer dev-tls`, trusted by every client through its CA file — nothing
//! special-cased for http) against
//!
//! - the OpenWallet Foundation's independent client `@openid4vc/openid4vci` (pinned in
//!   `tests/interop/package-lock.json`, driven by `tests/interop/oid4vci.mjs`): the whole
//!   pre-authorized code flow, with and without `tx_code`, both formats (`ldp_vc`,
//!   `jwt_vc_json`), EdDSA and ES256 key proofs, the holder named by a did:key or did:jwk `kid`
//!   or a bare `jwk`. What it receives must name the holder as `credentialSubject.id` and verify
//!   with the reference JavaScript verifiers (in the driver) AND with ours
//!   (`passerelle-verifier verify`, offline, with the DID document and status lists fetched from
//!   the service);
//! - raw HTTP with proofs signed by the core (`passerelle_core::oid4vci::sign_proof_jwt`) and
//!   hand-made JWTs for what must be refused, each answer checked for the spec's error code;
//! - our wallet (`passerelle-wallet import '<offer>'`).
//!
//! Every refusal is paired with the same request done right on the same service, so a refusal
//! cannot pass for a reason other than the one named.

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use passerelle_core::did;
use passerelle_core::keys::KeyPair;
use passerelle_core::oid4vci::{self, OfferLink};
use passerelle_tests::{assert_ok, node_cli, run_env, stderr, stdout};
use serde_json::{json, Value};

use super::https_issuer::{issuer_cmd, Issuer, Reply, PASSPHRASE};

const WALLET_PASSPHRASE: &str = "oid4vci wallet passphrase 90ab";

impl Issuer {
    /// An award through the admin API (`tx_code`: ask for a transaction code), with its offer.
    fn issue(&self, email: &str, tx_code: bool) -> Award {
        let mut body = json!({
            "achievement": "data-101",
            "email": email,
            "name": "Ada Lovelace",
            "completion_date": "2026-03-01",
            "external_id": email,
        });
        if tx_code {
            body["tx_code"] = true.into();
        }
        Award::from_api(&self.award(&body))
    }

    /// A fresh pre-authorized code: GET the by-reference offer (each GET mints one).
    fn fresh_code(&self, award: &Award) -> String {
        let reply = self.get(&award.offer_url());
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            reply.header("cache-control").contains("no-store"),
            "an offer with a live code is not cached: {:?}",
            reply.headers
        );
        let offer = oid4vci::parse_offer_json(reply.body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("the served offer does not parse ({e}): {}", reply.body));
        offer
            .pre_authorized()
            .expect("the offer has the pre-authorized code grant")
            .pre_authorized_code
            .clone()
    }

    fn token(&self, form: &[(&str, &str)]) -> Reply {
        self.reply(
            self.http.post(self.url("/oid4vci/token")).form(form),
            "POST /oid4vci/token",
        )
    }

    fn token_for(&self, code: &str, tx_code: Option<&str>) -> Reply {
        let mut form = vec![
            ("grant_type", oid4vci::PRE_AUTHORIZED_GRANT_TYPE),
            ("pre-authorized_code", code),
        ];
        if let Some(pin) = tx_code {
            form.push(("tx_code", pin));
        }
        self.token(&form)
    }

    /// An access token for `award` (fresh code, right PIN).
    fn access_token(&self, award: &Award) -> String {
        let code = self.fresh_code(award);
        let reply = self.token_for(&code, award.tx_code.as_deref());
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["access_token"]
            .as_str()
            .expect("a token response has access_token")
            .to_owned()
    }

    fn nonce(&self) -> String {
        let reply = self.reply(
            self.http.post(self.url("/oid4vci/nonce")),
            "POST /oid4vci/nonce",
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.header("cache-control").contains("no-store"));
        reply.body["c_nonce"]
            .as_str()
            .expect("a nonce response has c_nonce")
            .to_owned()
    }

    fn credential(&self, token: &str, body: &Value) -> Reply {
        self.reply(
            self.http
                .post(self.url("/oid4vci/credential"))
                .bearer_auth(token)
                .json(body),
            "POST /oid4vci/credential",
        )
    }

    fn metadata(&self) -> Value {
        let reply = self.get(&self.url("/.well-known/openid-credential-issuer"));
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// The configuration id of `format` for the data-101 achievement.
    fn configuration_id(&self, format: &str) -> String {
        let metadata = self.metadata();
        let configurations = metadata["credential_configurations_supported"]
            .as_object()
            .expect("credential_configurations_supported is an object");
        let ids: Vec<&String> = configurations
            .iter()
            .filter(|(_, c)| c["format"] == format)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids.len(), 1, "one {format} configuration: {metadata}");
        ids[0].clone()
    }

    /// Runs the independent client; `Ok(answer)` on exit 0, `Err(answer)` when a step failed.
    fn js_client(&self, offer: &str, args: &[&str]) -> Result<Value, Value> {
        let mut all = vec![offer];
        all.extend_from_slice(args);
        let out = node_cli(
            "oid4vci.mjs",
            &all,
            &[("NODE_EXTRA_CA_CERTS", self.ca.to_str().unwrap())],
        );
        let answer: Value = serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "oid4vci.mjs {args:?} did not answer one JSON line ({e}; exit {:?}).\nstdout: {}\nstderr: {}",
                out.code, out.stdout, out.stderr
            )
        });
        match out.code {
            Some(0) => Ok(answer),
            Some(1) => Err(answer),
            other => panic!(
                "oid4vci.mjs {args:?} exited {other:?}: {}\n{}",
                out.stdout, out.stderr
            ),
        }
    }

    /// `passerelle-verifier verify --json`, offline, with the DID document and the status lists
    /// fetched from the service into files. `file_text` is the credential JSON or compact JWS.
    fn our_verdict(&self, name: &str, file_text: &str, credential: &Value) -> Value {
        let did_path = self.dir.join("did.json");
        let did_doc = self.get(&self.url("/.well-known/did.json"));
        assert_eq!(did_doc.status, 200);
        fs::write(&did_path, did_doc.body.to_string()).unwrap();
        let file = self.dir.join(name);
        fs::write(&file, file_text).unwrap();
        let mut args = vec![
            "verify".to_owned(),
            "--json".to_owned(),
            "--did-document".to_owned(),
            did_path.display().to_string(),
        ];
        let entries = match &credential["credentialStatus"] {
            Value::Array(entries) => entries.clone(),
            Value::Null => Vec::new(),
            one => vec![one.clone()],
        };
        assert!(!entries.is_empty(), "the credential has status entries");
        for (i, entry) in entries.iter().enumerate() {
            let url = entry["statusListCredential"].as_str().unwrap();
            let list = self.get(url);
            assert_eq!(list.status, 200, "{url}");
            let list_file = self.dir.join(format!("{name}-status-{i}.json"));
            fs::write(&list_file, list.body.to_string()).unwrap();
            args.push("--status-list".into());
            args.push(format!("{url}={}", list_file.display()));
        }
        args.push(file.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_env("passerelle-verifier", &self.dir, &args, None, &[]);
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
            panic!(
                "the verifier's report is not JSON ({e}): {}{}",
                stdout(&out),
                stderr(&out)
            )
        })
    }
}

/// What the admin API gives for one award: the by-reference offer URI (long-lived), a
/// by-value offer URI with a freshly minted code, and the transaction code if one was asked.
#[derive(Debug, Clone)]
struct Award {
    by_reference: String,
    by_value: String,
    tx_code: Option<String>,
}

impl Award {
    /// From `POST /api/v1/credentials`: `claim.credential_offer` (by reference),
    /// `claim.credential_offer_by_value`, `claim.tx_code`.
    fn from_api(body: &Value) -> Self {
        let claim = &body["claim"];
        let text = |member: &str| -> String {
            claim[member]
                .as_str()
                .unwrap_or_else(|| panic!("the API response has no claim.{member}: {body}"))
                .to_owned()
        };
        Self {
            by_reference: text("credential_offer"),
            by_value: text("credential_offer_by_value"),
            tx_code: claim["tx_code"].as_str().map(str::to_owned),
        }
    }

    /// The https URL the by-reference offer names.
    fn offer_url(&self) -> String {
        match oid4vci::parse_offer_link(&self.by_reference) {
            Ok(OfferLink::ByReference(url)) => url,
            other => panic!(
                "{} is not a by-reference offer: {other:?}",
                self.by_reference
            ),
        }
    }
}

// ---- proofs ----------------------------------------------------------------------------------

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT signed by `signer` with exactly this header and payload (for the wrong cases).
fn hand_made_jwt(header: &Value, payload: &Value, signer: &KeyPair) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let signature = signer.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

fn request_with(configuration_id: &str, jwt: &str) -> Value {
    json!({"credential_configuration_id": configuration_id, "proofs": {"jwt": [jwt]}})
}

// ---- the independent client --------------------------------------------------------------------

/// The DID behind a `did:jwk:` as its JWK.
fn did_jwk_key(did: &str) -> Value {
    let encoded = did
        .strip_prefix("did:jwk:")
        .unwrap_or_else(|| panic!("{did} is not a did:jwk"));
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded.split('#').next().unwrap())
        .expect("did:jwk is base64url");
    serde_json::from_slice(&bytes).expect("did:jwk holds JSON")
}

/// The credential as JSON: the object itself (ldp_vc) or the JWS payload (jwt_vc_json).
fn credential_json(format: &str, credential: &Value) -> Value {
    match format {
        oid4vci::FORMAT_LDP_VC => credential.clone(),
        oid4vci::FORMAT_JWT_VC_JSON => {
            let jws = credential
                .as_str()
                .expect("a jwt_vc_json credential is a string");
            let parts: Vec<&str> = jws.split('.').collect();
            assert_eq!(parts.len(), 3, "a compact JWS: {jws}");
            let header: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
            assert_eq!(header["typ"], "vc+jwt", "{header}");
            assert_eq!(header["alg"], "EdDSA", "{header}");
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
        }
        other => panic!("unknown format {other}"),
    }
}

/// The holder binding: `credentialSubject.id` is the DID the client proved, the salted email
/// hash is kept as `identifier`.
fn assert_bound_to_holder(answer: &Value, credential: &Value, what: &str) {
    let subject = &credential["credentialSubject"];
    let id = subject["id"].as_str().unwrap_or_else(|| {
        panic!("{what}: no credentialSubject.id: {subject}");
    });
    match answer["holderDid"].as_str() {
        Some(holder) => assert_eq!(id, holder, "{what}"),
        // A bare jwk header: the issuer names the key by a DID of its choosing; it must be this key.
        None => {
            if id.starts_with("did:jwk:") {
                let key = did_jwk_key(id);
                for member in ["kty", "crv", "x", "y"] {
                    assert_eq!(key[member], answer["holderJwk"][member], "{what}: {id}");
                }
            } else {
                assert_eq!(id, answer["didKey"], "{what}");
            }
        }
    }
    assert!(
        !subject["identifier"].is_null(),
        "{what}: the salted email hash is kept as identifier: {subject}"
    );
}

#[test]
fn the_independent_client_receives_both_formats_with_and_without_tx_code_and_both_verifiers_accept_them(
) {
    let issuer = Issuer::start();
    // (format, alg, kid form, transaction code, by value)
    let cases = [
        ("ldp_vc", "EdDSA", "did:key", false, false),
        ("jwt_vc_json", "EdDSA", "did:key", true, false),
        ("ldp_vc", "ES256", "did:jwk", true, true),
        ("jwt_vc_json", "ES256", "jwk", false, true),
        ("ldp_vc", "ES256", "did:key", false, false),
        ("jwt_vc_json", "EdDSA", "did:jwk", false, false),
        ("ldp_vc", "EdDSA", "jwk", true, false),
    ];
    for (i, (format, alg, kid_form, with_pin, by_value)) in cases.into_iter().enumerate() {
        let what = format!("{format} {alg} {kid_form} tx_code={with_pin} by_value={by_value}");
        let award = issuer.issue(&format!("learner{i}@example.org"), with_pin);
        assert_eq!(award.tx_code.is_some(), with_pin, "{what}: {award:?}");
        if let Some(pin) = &award.tx_code {
            assert!(
                pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
                "{pin}"
            );
        }
        let offer = if by_value {
            &award.by_value
        } else {
            &award.by_reference
        };
        let mut args = vec!["--format", format, "--alg", alg, "--kid-form", kid_form];
        if let Some(pin) = &award.tx_code {
            args.extend(["--tx-code", pin]);
        }
        // The last one tells the issuer the wallet deleted it; the others that it was accepted.
        if i == cases.len() - 1 {
            args.extend(["--notification", "credential_deleted"]);
        }
        let answer = issuer
            .js_client(offer, &args)
            .unwrap_or_else(|e| panic!("{what}: the independent client failed: {e:#}"));
        assert_eq!(answer["format"], format, "{what}");
        assert_eq!(answer["notification"]["status"], 204, "{what}: {answer}");
        let verification = &answer["verification"];
        assert_eq!(
            verification["verified"], true,
            "{what}: the reference JS verifier: {verification:#}"
        );
        assert_eq!(verification["proofVerified"], true, "{what}");
        assert_eq!(
            verification["status"][0],
            json!({"purpose": "revocation", "set": false, "listVerified": true}),
            "{what}"
        );
        let received = &answer["credential"];
        let credential = credential_json(format, received);
        assert_bound_to_holder(&answer, &credential, &what);
        let file_text = match received {
            Value::String(jws) => jws.clone(),
            other => other.to_string(),
        };
        let report = issuer.our_verdict(&format!("case-{i}.txt"), &file_text, &credential);
        assert_eq!(report["verdict"], "verified", "{what}: ours: {report:#}");
    }
    // Each delivery and each notification is in the audit log.
    let audit = issuer.reply(
        issuer
            .http
            .get(issuer.url("/api/v1/audit?limit=500"))
            .bearer_auth(&issuer.admin_token),
        "GET /api/v1/audit",
    );
    assert_eq!(audit.status, 200, "{audit:?}");
    let count = |action: &str| {
        audit.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .count()
    };
    assert_eq!(count("oid4vci.credential"), cases.len(), "{}", audit.body);
    assert_eq!(
        count("oid4vci.notification.credential_accepted"),
        cases.len() - 1,
        "{}",
        audit.body
    );
    assert_eq!(
        count("oid4vci.notification.credential_deleted"),
        1,
        "{}",
        audit.body
    );
    let log = issuer.log_text();
    assert!(
        !log.contains(PASSPHRASE) && !log.contains(&issuer.admin_token),
        "no secret in the log"
    );
}

#[test]
fn the_independent_client_is_refused_a_wrong_pin_a_replayed_code_and_an_issuer_that_does_not_match()
{
    let issuer = Issuer::start();
    let award = issuer.issue("grace@example.org", true);
    let pin = award.tx_code.clone().expect("a transaction code was asked");
    let wrong = if pin == "000000" { "111111" } else { "000000" };

    // The by-value offer's code (minted with the award; fetching the by-reference offer would
    // retire it: one live code per claim), used once, then replayed.
    let answer = issuer
        .js_client(&award.by_value, &["--tx-code", &pin])
        .unwrap_or_else(|e| panic!("the by-value offer works once: {e:#}"));
    assert_eq!(answer["verification"]["verified"], true, "{answer}");
    let replayed = issuer
        .js_client(&award.by_value, &["--tx-code", &pin])
        .expect_err("a used code is refused");
    assert_eq!(replayed["stage"], "token", "{replayed}");
    assert_eq!(replayed["error"], "invalid_grant", "{replayed}");

    // A wrong PIN: the token endpoint's invalid_grant, as the library reports it.
    let refused = issuer
        .js_client(&award.by_reference, &["--tx-code", wrong])
        .expect_err("a wrong PIN is refused");
    assert_eq!(refused["stage"], "token", "{refused}");
    assert_eq!(refused["error"], "invalid_grant", "{refused}");
    assert_eq!(refused["status"], 400, "{refused}");

    // No PIN for an offer that asks for one: the library itself refuses to ask for a token.
    let refused = issuer
        .js_client(&award.by_reference, &[])
        .expect_err("the library requires the PIN the offer announces");
    assert_eq!(refused["stage"], "token", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("tx_code"),
        "{refused}"
    );

    // The right PIN, after the wrong one, works.
    let answer = issuer
        .js_client(&award.by_reference, &["--tx-code", &pin])
        .unwrap_or_else(|e| panic!("the right PIN: {e:#}"));
    assert_eq!(answer["verification"]["verified"], true, "{answer}");

    // An offer naming another credential issuer than the metadata it leads to: the library
    // checks `credential_issuer` against the metadata and stops before asking for a token.
    let award = issuer.issue("lin@example.org", false);
    let forged = mismatched_offer(&issuer, &award);
    let refused = issuer
        .js_client(&forged, &[])
        .expect_err("mismatched issuer metadata is refused");
    assert_eq!(refused["stage"], "metadata", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("does not match the provided credential issuer"),
        "{refused}"
    );
    // The same offer with its own issuer works (so the refusal was the mismatch).
    let answer = issuer
        .js_client(&award.by_value, &["--format", "jwt_vc_json"])
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(answer["verification"]["verified"], true, "{answer}");
}

/// The award's by-value offer with `credential_issuer` rewritten to `https://127.0.0.1:PORT`:
/// the same server (its certificate names 127.0.0.1 too), whose metadata says
/// `https://localhost:PORT`.
fn mismatched_offer(issuer: &Issuer, award: &Award) -> String {
    let mut offer = match oid4vci::parse_offer_link(&award.by_value) {
        Ok(OfferLink::ByValue(offer)) => offer,
        other => panic!("{} is not a by-value offer: {other:?}", award.by_value),
    };
    offer.credential_issuer = format!("https://127.0.0.1:{}", issuer.port);
    offer.to_uri()
}

// ---- raw HTTP: the token endpoint ----------------------------------------------------------

#[test]
fn the_token_endpoint_answers_rfc6749_errors_and_a_replay_revokes_the_first_token() {
    let issuer = Issuer::start();
    let award = issuer.issue("ada@example.org", true);
    let pin = award.tx_code.clone().unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let holder = KeyPair::from_seed(&[0x42; 32]);
    let ldp = issuer.configuration_id(oid4vci::FORMAT_LDP_VC);

    let code = issuer.fresh_code(&award);
    let reply = issuer.token_for(&code, Some(wrong));
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_grant"),
        "{reply:?}"
    );
    assert!(reply.header("cache-control").contains("no-store"));
    let reply = issuer.token_for(&code, None);
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_request"),
        "a missing tx_code: {reply:?}"
    );
    let reply = issuer.token(&[("grant_type", "password"), ("pre-authorized_code", &code)]);
    assert_eq!(
        (reply.status, reply.error()),
        (400, "unsupported_grant_type"),
        "{reply:?}"
    );
    let reply = issuer.token_for("never-issued-code", Some(&pin));
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_grant"),
        "{reply:?}"
    );

    // The right PIN (after wrong ones, under the limit): a token, usable.
    let first = issuer.token_for(&code, Some(&pin));
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["token_type"], "Bearer", "{first:?}");
    assert!(first.body["expires_in"].as_i64().unwrap_or(0) > 0);
    assert!(first.header("cache-control").contains("no-store"));
    let token = first.body["access_token"].as_str().unwrap().to_owned();

    // The same code again: invalid_grant, and the token it gave is revoked.
    let replay = issuer.token_for(&code, Some(&pin));
    assert_eq!(
        (replay.status, replay.error()),
        (400, "invalid_grant"),
        "{replay:?}"
    );
    let proof = oid4vci::sign_proof_jwt(&holder, &issuer.base, Some(&issuer.nonce()), now());
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    assert_eq!(reply.status, 401, "the replayed code's token: {reply:?}");
    assert!(
        reply
            .header("www-authenticate")
            .contains("error=\"invalid_token\""),
        "{reply:?}"
    );

    // Minting a new code retires the unused one before it (at most one live code per claim).
    let older = issuer.fresh_code(&award);
    let newer = issuer.fresh_code(&award);
    let reply = issuer.token_for(&older, Some(&pin));
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_grant"),
        "{reply:?}"
    );
    // ... and a fresh code with the right PIN works: a credential for the holder.
    let reply = issuer.token_for(&newer, Some(&pin));
    assert_eq!(reply.status, 200, "{reply:?}");
    let token = reply.body["access_token"].as_str().unwrap();
    let proof = oid4vci::sign_proof_jwt(&holder, &issuer.base, Some(&issuer.nonce()), now());
    let reply = issuer.credential(token, &request_with(&ldp, &proof));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.body["credentials"][0]["credential"]["credentialSubject"]["id"],
        did::did_key(&holder.public()).to_string()
    );

    // Five wrong PINs burn a code: the right one is refused after them.
    let code = issuer.fresh_code(&award);
    for _ in 0..5 {
        let reply = issuer.token_for(&code, Some(wrong));
        assert_eq!(reply.error(), "invalid_grant", "{reply:?}");
    }
    let reply = issuer.token_for(&code, Some(&pin));
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_grant"),
        "a burnt code: {reply:?}"
    );
}

// ---- raw HTTP: the credential endpoint -----------------------------------------------------

#[test]
fn the_credential_endpoint_refuses_bad_proofs_nonces_configurations_and_tokens() {
    let issuer = Issuer::start();
    let award = issuer.issue("ada@example.org", false);
    let token = issuer.access_token(&award);
    let ldp = issuer.configuration_id(oid4vci::FORMAT_LDP_VC);
    let holder = KeyPair::from_seed(&[0x42; 32]);
    let other = KeyPair::from_seed(&[0x43; 32]);
    let kid = did::did_key_verification_method(&holder.public());
    let aud = issuer.base.clone();
    let expect = |reply: &Reply, status: u16, error: &str, what: &str| {
        assert_eq!(
            (reply.status, reply.error()),
            (status, error),
            "{what}: {reply:?}"
        );
    };

    // A nonce never issued.
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some("a-nonce-never-issued"), now());
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    expect(&reply, 400, "invalid_nonce", "a nonce never issued");

    // A nonce already used (single use): the first request succeeds, the second is refused.
    let nonce = issuer.nonce();
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&nonce), now());
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    assert_eq!(reply.status, 200, "the first use of a nonce: {reply:?}");
    assert_eq!(
        reply.body["credentials"][0]["credential"]["credentialSubject"]["id"],
        did::did_key(&holder.public()).to_string()
    );
    assert!(reply.body["notification_id"].is_string(), "{reply:?}");
    let token = issuer.access_token(&award);
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&nonce), now());
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    expect(&reply, 400, "invalid_nonce", "a used nonce");

    // A proof signed by another key than the one its kid names.
    let header = json!({"typ": oid4vci::PROOF_JWT_TYP, "alg": "EdDSA", "kid": kid});
    let payload = json!({"aud": aud, "iat": now(), "nonce": issuer.nonce()});
    let forged = hand_made_jwt(&header, &payload, &other);
    let reply = issuer.credential(&token, &request_with(&ldp, &forged));
    expect(&reply, 400, "invalid_proof", "signed by another key");

    // The wrong audience.
    let proof = oid4vci::sign_proof_jwt(
        &holder,
        "https://elsewhere.example",
        Some(&issuer.nonce()),
        now(),
    );
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    expect(&reply, 400, "invalid_proof", "the wrong audience");

    // Not fresh: iat an hour ago (the issuer accepts 300 s).
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now() - 3600);
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    expect(&reply, 400, "invalid_proof", "an old iat");

    // Another typ (a plain JWT is not a key proof).
    let header = json!({"typ": "JWT", "alg": "EdDSA", "kid": kid});
    let payload = json!({"aud": aud, "iat": now(), "nonce": issuer.nonce()});
    let reply = issuer.credential(
        &token,
        &request_with(&ldp, &hand_made_jwt(&header, &payload, &holder)),
    );
    expect(&reply, 400, "invalid_proof", "typ JWT");

    // Both kid and jwk (F.1: exactly one names the key).
    let header = json!({
        "typ": oid4vci::PROOF_JWT_TYP, "alg": "EdDSA", "kid": kid, "jwk": holder.public().to_jwk()
    });
    let payload = json!({"aud": aud, "iat": now(), "nonce": issuer.nonce()});
    let reply = issuer.credential(
        &token,
        &request_with(&ldp, &hand_made_jwt(&header, &payload, &holder)),
    );
    expect(&reply, 400, "invalid_proof", "both kid and jwk");

    // iat an hour ahead (the issuer allows 60 s of skew).
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now() + 3600);
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    expect(&reply, 400, "invalid_proof", "an iat in the future");

    // Two proofs: no batch_credential_issuance in the metadata, so one credential per request.
    let two = json!({"credential_configuration_id": ldp, "proofs": {"jwt": [
        oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now()),
        oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now()),
    ]}});
    let reply = issuer.credential(&token, &two);
    expect(&reply, 400, "invalid_credential_request", "two proofs");

    // Both credential_configuration_id and credential_identifier (§8.2: one of the two), and a
    // credential_identifier this token was not given.
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now());
    let mut both = request_with(&ldp, &proof);
    both["credential_identifier"] = "x".into();
    let reply = issuer.credential(&token, &both);
    expect(
        &reply,
        400,
        "invalid_credential_request",
        "both identifiers",
    );
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now());
    let reply = issuer.credential(
        &token,
        &json!({"credential_identifier": "no-such-identifier", "proofs": {"jwt": [proof]}}),
    );
    expect(
        &reply,
        400,
        "unknown_credential_identifier",
        "an unknown credential_identifier",
    );

    // No proof at all.
    let reply = issuer.credential(&token, &json!({"credential_configuration_id": ldp}));
    expect(&reply, 400, "invalid_proof", "no proof");

    // An unknown configuration id.
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now());
    let reply = issuer.credential(&token, &request_with("no-such-configuration", &proof));
    expect(
        &reply,
        400,
        "unknown_credential_configuration",
        "an unknown configuration",
    );

    // A bad bearer token.
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now());
    let reply = issuer.credential("not-a-token", &request_with(&ldp, &proof));
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(
        reply
            .header("www-authenticate")
            .contains("error=\"invalid_token\""),
        "{reply:?}"
    );
    let reply = issuer.reply(
        issuer
            .http
            .post(issuer.url("/oid4vci/credential"))
            .json(&request_with(&ldp, &proof)),
        "no Authorization",
    );
    assert_eq!(reply.status, 401, "no bearer token: {reply:?}");

    // After all that, the same token and a correct proof still get the credential, as
    // jwt_vc_json this time: every refusal above was for the reason named.
    let jwt = issuer.configuration_id(oid4vci::FORMAT_JWT_VC_JSON);
    let proof = oid4vci::sign_proof_jwt(&holder, &aud, Some(&issuer.nonce()), now());
    let reply = issuer.credential(&token, &request_with(&jwt, &proof));
    assert_eq!(reply.status, 200, "{reply:?}");
    let credential = credential_json(
        oid4vci::FORMAT_JWT_VC_JSON,
        &reply.body["credentials"][0]["credential"],
    );
    assert_eq!(
        credential["credentialSubject"]["id"],
        did::did_key(&holder.public()).to_string()
    );

    // The notification endpoint: accepted → 204; an unknown id → invalid_notification_id.
    let notification_id = reply.body["notification_id"].as_str().unwrap();
    let notify = |id: &str| {
        issuer.reply(
            issuer
                .http
                .post(issuer.url("/oid4vci/notification"))
                .bearer_auth(&token)
                .json(&json!({"notification_id": id, "event": "credential_accepted"})),
            "POST /oid4vci/notification",
        )
    };
    let reply = notify(notification_id);
    assert_eq!(reply.status, 204, "{reply:?}");
    let reply = notify("no-such-notification");
    expect(
        &reply,
        400,
        "invalid_notification_id",
        "an unknown notification",
    );
}

// ---- the metadata ----------------------------------------------------------------------------

#[test]
fn the_metadata_names_the_endpoints_and_both_configurations_and_the_as_metadata_matches() {
    let issuer = Issuer::start();
    let metadata = issuer.metadata();
    assert_eq!(metadata["credential_issuer"], issuer.base);
    for (member, path) in [
        ("credential_endpoint", "/oid4vci/credential"),
        ("nonce_endpoint", "/oid4vci/nonce"),
        ("notification_endpoint", "/oid4vci/notification"),
    ] {
        assert_eq!(metadata[member], issuer.url(path), "{member}");
    }
    assert!(metadata.get("deferred_credential_endpoint").is_none());
    assert!(metadata.get("batch_credential_issuance").is_none());
    for format in [oid4vci::FORMAT_LDP_VC, oid4vci::FORMAT_JWT_VC_JSON] {
        let id = issuer.configuration_id(format);
        let configuration = &metadata["credential_configurations_supported"][&id];
        assert_eq!(
            configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
            json!(["EdDSA", "ES256"]),
            "{id}"
        );
        assert!(
            configuration["credential_metadata"]["display"][0]["name"].is_string(),
            "{id}: {configuration}"
        );
    }
    let reply = issuer.get(&issuer.url("/.well-known/oauth-authorization-server"));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["issuer"], issuer.base);
    // One token endpoint for OpenID4VCI and the OB 3.0 API (issue 15).
    assert_eq!(reply.body["token_endpoint"], issuer.url("/oauth/token"));
    assert_eq!(
        reply.body["pre-authorized_grant_anonymous_access_supported"],
        true
    );
}

// ---- our wallet --------------------------------------------------------------------------------

fn wallet(issuer: &Issuer, store: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "--wallet",
        store.to_str().unwrap(),
        "--ca-cert",
        issuer.ca.to_str().unwrap(),
        "--allow-private-network",
    ];
    all.extend_from_slice(args);
    run_env(
        "passerelle-wallet",
        &issuer.dir,
        &all,
        None,
        &[
            ("PASSERELLE_WALLET_PASSPHRASE", Some(WALLET_PASSPHRASE)),
            ("PASSERELLE_WALLET_DIR", None),
            ("SSL_CERT_FILE", None),
            ("NO_COLOR", Some("1")),
        ],
    )
}

#[test]
fn the_wallet_imports_an_offer_end_to_end_and_refuses_a_wrong_pin_and_a_mismatched_issuer() {
    let issuer = Issuer::start();
    let store = issuer.dir.join("wallet");
    let out = wallet(&issuer, &store, &["init"]);
    assert_ok(&out, "wallet init");
    let holder_did = stdout(&out).trim().to_owned();
    assert!(holder_did.starts_with("did:key:z6Mk"), "{holder_did}");

    let award = issuer.issue("ada@example.org", true);
    let pin = award.tx_code.clone().unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };

    // A wrong PIN: refused (exit 2, the wallet's code for an error; 1 is "did not verify"),
    // with the issuer's error code, nothing stored.
    let out = wallet(
        &issuer,
        &store,
        &["import", &award.by_reference, "--tx-code", wrong],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("invalid_grant"), "{}", stderr(&out));
    let out = wallet(&issuer, &store, &["list", "--json"]);
    assert_ok(&out, "list");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap(),
        json!([])
    );

    // An offer whose issuer metadata names another issuer: refused before any token request.
    let other = issuer.issue("grace@example.org", false);
    let forged = mismatched_offer(&issuer, &other);
    let out = wallet(&issuer, &store, &["import", &forged]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let said = stderr(&out);
    assert!(
        said.contains(&format!("https://127.0.0.1:{}", issuer.port)) && said.contains(&issuer.base),
        "says which two issuers did not match: {said}"
    );

    // The right PIN: the credential is stored, bound to the wallet's holder DID, verified.
    let out = wallet(
        &issuer,
        &store,
        &["import", &award.by_reference, "--tx-code", &pin],
    );
    assert_ok(&out, "wallet import of the offer");
    let out = wallet(&issuer, &store, &["show", "1", "--json"]);
    assert_ok(&out, "show");
    let credential: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(credential["credentialSubject"]["id"], holder_did.as_str());
    // The unmodified offer the forged one was made from, as jwt_vc_json: accepted (so the
    // refusal above was the mismatch).
    let out = wallet(
        &issuer,
        &store,
        &["import", &other.by_value, "--format", "jwt_vc_json"],
    );
    assert_ok(&out, "wallet import of the unmodified offer");
    let out = wallet(&issuer, &store, &["list", "--json"]);
    assert_ok(&out, "list");
    let listed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    for number in ["1", "2"] {
        let out = wallet(&issuer, &store, &["verify", number, "--online"]);
        assert_ok(&out, "verify --online");
        assert!(
            stdout(&out).lines().any(|l| l == "VERIFIED"),
            "#{number}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn the_driver_refuses_anything_but_loopback_https() {
    // The driver's own guard (no network but loopback): an offer on a public name fails at the
    // metadata step without any connection, naming the refusal.
    let offer: oid4vci::CredentialOffer = serde_json::from_value(json!({
        "credential_issuer": "https://issuer.example",
        "credential_configuration_ids": ["x.ldp_vc"],
    }))
    .unwrap();
    let out = node_cli("oid4vci.mjs", &[&offer.to_uri()], &[]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let answer: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(answer["stage"], "metadata", "{answer}");
    assert!(
        answer
            .to_string()
            .contains("fetches only https on loopback"),
        "{answer}"
    );
}

// ---- offers from the CLI's claims.csv ------------------------------------------------------

/// The rows of a CSV file as maps from header to value (RFC 4180 quoting).
fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let header = records.remove(0);
    records
        .into_iter()
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

#[test]
fn offers_in_the_cli_claims_csv_work_with_the_independent_client() {
    let mut rows = Vec::new();
    let issuer = Issuer::start_after(|dir, d| {
        let csv = dir.join("completions.csv");
        fs::write(
            &csv,
            "email,name,completion_date,external_id\n\
             ada@example.org,Ada Lovelace,2026-06-30,enrolment-1\n",
        )
        .unwrap();
        let out = dir.join("badges");
        let issued = issuer_cmd(
            dir,
            &[
                "issue",
                "--dir",
                d,
                "--achievement",
                "data-101",
                "--csv",
                csv.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--tx-code",
            ],
        );
        assert_ok(&issued, "issue --csv --tx-code");
        rows = read_csv(&out.join("claims.csv"));
    });
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    let offer = row
        .get("credential_offer")
        .unwrap_or_else(|| panic!("claims.csv has a credential_offer column: {row:?}"));
    let pin = row
        .get("tx_code")
        .unwrap_or_else(|| panic!("claims.csv has a tx_code column: {row:?}"));
    assert!(
        matches!(
            oid4vci::parse_offer_link(offer),
            Ok(OfferLink::ByReference(_))
        ),
        "{offer}"
    );
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    let answer = issuer
        .js_client(offer, &["--tx-code", pin, "--format", "jwt_vc_json"])
        .unwrap_or_else(|e| panic!("the CSV's offer: {e:#}"));
    assert_eq!(answer["verification"]["verified"], true, "{answer}");
    let credential = credential_json(oid4vci::FORMAT_JWT_VC_JSON, &answer["credential"]);
    assert_bound_to_holder(&answer, &credential, "the CSV's offer");
}

// ---- lifetimes ---------------------------------------------------------------------------------

/// The shortest lifetimes `[oid4vci]` accepts (30 s), for the expiry cases.
const SHORT_TTL: u64 = 30;

#[test]
fn an_expired_code_nonce_or_access_token_is_refused_with_its_error() {
    let issuer = Issuer::start_after(|_, d| {
        let path = Path::new(d).join("issuer.toml");
        let text = fs::read_to_string(&path).unwrap();
        let before: String = text.split("[oid4vci]").next().unwrap().to_owned();
        fs::write(
            &path,
            format!(
                "{before}\n[oid4vci]\npre_authorized_code_ttl_seconds = {SHORT_TTL}\n\
                 access_token_ttl_seconds = {SHORT_TTL}\nnonce_ttl_seconds = {SHORT_TTL}\n"
            ),
        )
        .unwrap();
    });
    let award = issuer.issue("ada@example.org", false);
    let ldp = issuer.configuration_id(oid4vci::FORMAT_LDP_VC);
    let holder = KeyPair::from_seed(&[0x44; 32]);
    let old_token = issuer.access_token(&award);
    let old_nonce = issuer.nonce();
    let old_code = issuer.fresh_code(&award);
    std::thread::sleep(Duration::from_secs(SHORT_TTL + 2));

    let reply = issuer.token_for(&old_code, None);
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_grant"),
        "an expired code: {reply:?}"
    );
    let proof = oid4vci::sign_proof_jwt(&holder, &issuer.base, Some(&issuer.nonce()), now());
    let reply = issuer.credential(&old_token, &request_with(&ldp, &proof));
    assert_eq!(reply.status, 401, "an expired access token: {reply:?}");
    assert!(
        reply
            .header("www-authenticate")
            .contains("error=\"invalid_token\""),
        "{reply:?}"
    );
    let token = issuer.access_token(&award);
    let proof = oid4vci::sign_proof_jwt(&holder, &issuer.base, Some(&old_nonce), now());
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    assert_eq!(
        (reply.status, reply.error()),
        (400, "invalid_nonce"),
        "an expired nonce: {reply:?}"
    );
    // Fresh ones work.
    let proof = oid4vci::sign_proof_jwt(&holder, &issuer.base, Some(&issuer.nonce()), now());
    let reply = issuer.credential(&token, &request_with(&ldp, &proof));
    assert_eq!(reply.status, 200, "{reply:?}");
}
