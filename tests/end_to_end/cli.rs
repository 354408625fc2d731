//! The provider and verifier journeys on the command line: keygen → sign (every suite) → verify,
//! with a status list, revocation, tampering, dates and bad input.

use std::path::Path;

use chrono::{DateTime, Utc};
use passerelle_core::keys::KeyPair;
use passerelle_core::status::{self, Bitstring, StatusEntry, StatusPurpose};
use passerelle_core::{did, model, proof};
use passerelle_tests::{run, stderr, stdout};
use serde_json::Value;

const CREATED: &str = "2026-06-30T12:00:00Z";
const NOW: &str = "2026-09-01T00:00:00Z";

fn write_json(dir: &Path, name: &str, value: &Value) -> String {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(value).unwrap()).unwrap();
    name.to_owned()
}

fn keygen(dir: &Path) -> (KeyPair, String) {
    let out = run(
        "passerelle-issuer",
        dir,
        &["keygen", "--out", "key.jwk"],
        None,
    );
    assert!(out.status.success(), "keygen failed: {}", stderr(&out));
    let did = stdout(&out).trim().to_owned();
    let jwk: Value = serde_json::from_slice(&std::fs::read(dir.join("key.jwk")).unwrap()).unwrap();
    let key = KeyPair::from_jwk(&jwk).expect("keygen writes a private OKP JWK");
    assert_eq!(did, did::did_key(&key.public()).to_string());
    (key, did)
}

/// A signed status list for the sample badge's status entry, with the given bit value.
fn status_list_for(badge: &Value, key: &KeyPair, issuer: &str, revoked: bool) -> (String, Value) {
    let entries = status::parse_status_entries(badge).expect("the sample badge has a status entry");
    let StatusEntry::Bitstring(entry) = &entries[0] else {
        panic!("the sample badge uses a BitstringStatusListEntry");
    };
    let mut bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
    if revoked {
        bits.set(entry.index.into(), 1).unwrap();
    }
    let valid_from: DateTime<Utc> = DateTime::parse_from_rfc3339(CREATED).unwrap().into();
    let list = status::status_list_credential(
        &entry.list_credential,
        issuer,
        &StatusPurpose::Revocation,
        &bits,
        valid_from,
    );
    let options = proof::ProofOptions {
        cryptosuite: proof::Cryptosuite::EddsaRdfc2022,
        verification_method: did::did_key_verification_method(&key.public()),
        created: CREATED.into(),
        proof_purpose: proof::ProofPurpose::AssertionMethod,
        challenge: None,
        domain: None,
    };
    let signed = proof::sign(&list, key, &options).expect("the status list signs");
    (entry.list_credential.clone(), signed)
}

fn verify_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["verify", "--json", "--now", NOW];
    all.extend_from_slice(args);
    let out = run("passerelle-verifier", dir, &all, None);
    let code = out.status.code().expect("the verifier exits normally");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!(
            "--json prints a JSON report ({e}): {}{}",
            stdout(&out),
            stderr(&out)
        )
    });
    (code, report)
}

fn outcome<'a>(report: &'a Value, id: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["outcome"].as_str())
        .unwrap_or_else(|| panic!("report has no {id} check: {report:#}"))
}

#[test]
fn keygen_writes_a_private_key_readable_only_by_its_owner_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let (_, did) = keygen(dir.path());
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("key.jwk"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode is {:o}", mode & 0o777);
    }
    let before = std::fs::read(dir.path().join("key.jwk")).unwrap();
    let again = run(
        "passerelle-issuer",
        dir.path(),
        &["keygen", "--out", "key.jwk"],
        None,
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(dir.path().join("key.jwk")).unwrap(), before);
}

#[test]
fn every_suite_signs_a_badge_that_verifies_with_its_status_list() {
    let dir = tempfile::tempdir().unwrap();
    let (key, did) = keygen(dir.path());
    let badge = model::sample::data_literacy_badge();
    write_json(dir.path(), "badge.json", &badge);
    let (list_url, list) = status_list_for(&badge, &key, &did, false);
    write_json(dir.path(), "list.json", &list);
    let status_arg = format!("{list_url}=list.json");

    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jose"] {
        let out = run(
            "passerelle-issuer",
            dir.path(),
            &[
                "sign",
                "--key",
                "key.jwk",
                "--suite",
                suite,
                "--created",
                CREATED,
                "badge.json",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{suite}: sign failed: {}",
            stderr(&out)
        );
        let signed_name = format!("signed-{suite}");
        std::fs::write(dir.path().join(&signed_name), out.stdout).unwrap();

        let (code, report) = verify_json(dir.path(), &["--status-list", &status_arg, &signed_name]);
        assert_eq!(code, 0, "{suite}: not verified: {report:#}");
        assert_eq!(report["verdict"], "verified");
        for check in [
            "proof",
            "verification_method",
            "data_model",
            "open_badges",
            "validity_period",
            "status",
        ] {
            assert_eq!(
                outcome(&report, check),
                "pass",
                "{suite}: {check}: {report:#}"
            );
        }
        let expected_mechanism = if suite == "vc-jose" {
            "vc-jose"
        } else {
            "data-integrity"
        };
        assert_eq!(report["secured_by"], expected_mechanism);

        // Without the status list the verifier cannot know about revocation: never a pass.
        let (code, report) = verify_json(dir.path(), &[&signed_name]);
        assert_eq!(code, 1, "{suite}");
        assert_eq!(report["verdict"], "incomplete");
        assert_eq!(outcome(&report, "status"), "not_checked");
    }

    // The human report names every check.
    let out = run(
        "passerelle-verifier",
        dir.path(),
        &[
            "verify",
            "--now",
            NOW,
            "--status-list",
            &status_arg,
            "signed-eddsa-rdfc-2022",
        ],
        None,
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("VERIFIED"), "{text}");
    assert!(text.contains("Data Literacy Foundations"), "{text}");
}

/// Issue 10, points 1 and 2, through the real binaries: a badge with `xsd:date` activity dates
/// (as the OB 3.0 context types them) is signed by every suite and verified; one holding a
/// 17-digit double is signed and verified under the suites that sign the JSON text, and refused
/// by eddsa-rdfc-2022 signing with the path and the number named.
#[test]
fn sign_and_verify_accept_xsd_dates_and_json_signed_unusual_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (key, did) = keygen(dir.path());
    let mut badge = model::sample::data_literacy_badge();
    badge["credentialSubject"]["activityStartDate"] = "2026-03-02".into();
    badge["credentialSubject"]["activityEndDate"] = "2026-06-26".into();
    let mut counted = badge.clone();
    counted["credentialSubject"]["creditsEarned"] =
        serde_json::from_str("0.30000000000000004").unwrap();
    write_json(dir.path(), "dated.json", &badge);
    write_json(dir.path(), "counted.json", &counted);
    let (list_url, list) = status_list_for(&badge, &key, &did, false);
    write_json(dir.path(), "list.json", &list);
    let status_arg = format!("{list_url}=list.json");
    let sign = |suite: &str, file: &str| {
        run(
            "passerelle-issuer",
            dir.path(),
            &[
                "sign",
                "--key",
                "key.jwk",
                "--suite",
                suite,
                "--created",
                CREATED,
                file,
            ],
            None,
        )
    };

    for (suite, file) in [
        ("eddsa-rdfc-2022", "dated.json"),
        ("eddsa-jcs-2022", "dated.json"),
        ("vc-jose", "dated.json"),
        ("eddsa-jcs-2022", "counted.json"),
        ("vc-jose", "counted.json"),
    ] {
        let out = sign(suite, file);
        assert!(
            out.status.success(),
            "{suite} {file}: sign refused: {}",
            stderr(&out)
        );
        let signed_name = format!("signed-{suite}-{file}");
        std::fs::write(dir.path().join(&signed_name), out.stdout).unwrap();
        let (code, report) = verify_json(dir.path(), &["--status-list", &status_arg, &signed_name]);
        assert_eq!(code, 0, "{suite} {file}: not verified: {report:#}");
        assert_eq!(report["verdict"], "verified", "{suite} {file}");
        for check in ["proof", "json_ld", "data_model", "open_badges"] {
            assert_eq!(
                outcome(&report, check),
                "pass",
                "{suite} {file}: {check}: {report:#}"
            );
        }
    }

    let out = sign("eddsa-rdfc-2022", "counted.json");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let error = stderr(&out);
    assert!(
        error.contains("credentialSubject.creditsEarned") && error.contains("0.30000000000000004"),
        "the refusal must name the path and the number: {error}"
    );
}

#[test]
fn signed_output_keeps_the_issuer_as_the_did_key_and_proof_as_an_array() {
    let dir = tempfile::tempdir().unwrap();
    let (_, did) = keygen(dir.path());
    write_json(
        dir.path(),
        "badge.json",
        &model::sample::data_literacy_badge(),
    );
    let out = run(
        "passerelle-issuer",
        dir.path(),
        &[
            "sign",
            "--key",
            "key.jwk",
            "--created",
            CREATED,
            "badge.json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let signed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(signed["issuer"]["id"], did.as_str());
    let proofs = signed["proof"]
        .as_array()
        .expect("proof is emitted as an array");
    assert_eq!(proofs.len(), 1);
    assert_eq!(proofs[0]["cryptosuite"], "eddsa-rdfc-2022");
    assert_eq!(proofs[0]["created"], CREATED);
    let key_part = did.trim_start_matches("did:key:");
    assert_eq!(proofs[0]["verificationMethod"], format!("{did}#{key_part}"));
}

#[test]
fn revoked_tampered_expired_and_future_credentials_fail_with_the_check_named() {
    let dir = tempfile::tempdir().unwrap();
    let (key, did) = keygen(dir.path());
    let badge = model::sample::data_literacy_badge();
    write_json(dir.path(), "badge.json", &badge);
    let (list_url, revoked_list) = status_list_for(&badge, &key, &did, true);
    write_json(dir.path(), "revoked.json", &revoked_list);
    let status_arg = format!("{list_url}=revoked.json");
    let out = run(
        "passerelle-issuer",
        dir.path(),
        &[
            "sign",
            "--key",
            "key.jwk",
            "--created",
            CREATED,
            "badge.json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let signed: Value = serde_json::from_slice(&out.stdout).unwrap();
    write_json(dir.path(), "signed.json", &signed);

    // Revoked.
    let (code, report) = verify_json(dir.path(), &["--status-list", &status_arg, "signed.json"]);
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "not_verified");
    assert_eq!(outcome(&report, "status"), "fail");
    assert_eq!(outcome(&report, "proof"), "pass");

    // Tampered: one changed word in the achievement name.
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Data Literacy Expert".into();
    write_json(dir.path(), "tampered.json", &tampered);
    let (code, report) = verify_json(dir.path(), &["tampered.json"]);
    assert_eq!(code, 1);
    assert_eq!(outcome(&report, "proof"), "fail");

    // Before validFrom and after validUntil.
    for (now, _why) in [
        ("2000-01-01T00:00:00Z", "not yet valid"),
        ("2099-01-01T00:00:00Z", "expired"),
    ] {
        let out = run(
            "passerelle-verifier",
            dir.path(),
            &["verify", "--json", "--now", now, "signed.json"],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            outcome(&report, "validity_period"),
            "fail",
            "{now}: {report:#}"
        );
    }
}

#[test]
fn bad_input_is_a_usage_error_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("garbage.txt"), b"this is not a credential").unwrap();
    let out = run(
        "passerelle-verifier",
        dir.path(),
        &["verify", "garbage.txt"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("neither JSON nor a compact JWS"),
        "{}",
        stderr(&out)
    );

    std::fs::write(dir.path().join("broken.json"), b"{\"@context\": [").unwrap();
    let out = run(
        "passerelle-verifier",
        dir.path(),
        &["verify", "broken.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not valid JSON"), "{}", stderr(&out));

    let out = run(
        "passerelle-verifier",
        dir.path(),
        &["verify", "missing.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));

    std::fs::write(
        dir.path().join("bad-key.jwk"),
        br#"{"kty":"OKP","crv":"Ed25519","d":"AAAA"}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("badge.json"), b"{}").unwrap();
    let out = run(
        "passerelle-issuer",
        dir.path(),
        &["sign", "--key", "bad-key.jwk", "badge.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad-key.jwk"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("AAAA"),
        "the key material must not be echoed"
    );
}

#[test]
fn the_official_signed_vectors_verify_on_the_command_line() {
    let vectors = passerelle_tests::vectors();
    let dir = tempfile::tempdir().unwrap();
    // OB 3.0 LDP vector: key given as <issuer-url>#<multikey> (accepted with a warning).
    let path = vectors.join("openbadges/ldp-eddsa-rdfc-2022/signed.json");
    let (code, report) = verify_json(dir.path(), &[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(outcome(&report, "proof"), "pass");
    assert_eq!(outcome(&report, "verification_method"), "warning");

    // 1EdTech revoked sample with its status list → revoked.
    let credential = vectors.join("status-list/1edtech-credential-status-revoked.json");
    let list = vectors.join("status-list/1edtech-testlist-statuslist-credential.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(&credential).unwrap()).unwrap();
    let url = status::lists_needed(&doc)
        .pop()
        .expect("the sample names its status list");
    let status_arg = format!("{url}={}", list.display());
    let (code, report) = verify_json(
        dir.path(),
        &["--status-list", &status_arg, credential.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(outcome(&report, "status"), "fail", "{report:#}");
    assert_eq!(outcome(&report, "proof"), "pass", "{report:#}");
}

/// What the verifier must say about each signed vector: (file, exit code, [(check, outcome)]).
/// The W3C vectors are signed by a did:key that is not their issuer (`https://vc.example/…`):
/// their signatures are valid, but nothing binds the key to the issuer, so the key check fails —
/// as the reference JavaScript library also rules ("issuer must match the verification method
/// controller").
/// A vector file, the exit code expected, and the outcome expected of some checks.
type VectorExpectation = (&'static str, i32, &'static [(&'static str, &'static str)]);

const SIGNED_VECTORS: &[VectorExpectation] = &[
    (
        "openbadges/validator-samples/simple.json",
        0,
        &[
            ("proof", "pass"),
            ("verification_method", "warning"),
            ("open_badges", "pass"),
        ],
    ),
    (
        "openbadges/validator-samples/endorsement-valid.json",
        0,
        &[
            ("proof", "pass"),
            ("open_badges", "pass"),
            ("validity_period", "pass"),
        ],
    ),
    (
        "openbadges/validator-samples/simple_v1.json",
        0,
        &[
            ("proof", "warning"),
            ("data_model", "warning"),
            ("open_badges", "pass"),
        ],
    ),
    (
        "openbadges/validator-samples/simple-eddsa-2022.json",
        0,
        &[("proof", "warning"), ("open_badges", "pass")],
    ),
    (
        "openbadges/validator-samples/simple-multiple-proofs.json",
        1,
        &[("proof", "fail")],
    ),
    (
        "openbadges/validator-samples/simple-did-key-method.json",
        1,
        // A valid signature, but the issuer is a urn:uuid that no did:key can speak for.
        &[("proof", "pass"), ("verification_method", "fail")],
    ),
    (
        "openbadges/validator-samples/complete.json",
        1,
        &[
            ("proof", "pass"),
            ("json_schema", "not_checked"),
            ("status", "not_checked"),
        ],
    ),
    (
        "vc-di-eddsa/rdfc-2022/signedDataInt.json",
        1,
        &[
            ("proof", "pass"),
            ("verification_method", "fail"),
            ("json_ld", "pass"),
        ],
    ),
    (
        "vc-di-eddsa/jcs-2022/signedJCS.json",
        1,
        &[
            ("proof", "pass"),
            ("verification_method", "fail"),
            ("json_ld", "pass"),
        ],
    ),
    (
        "vc-di-eddsa/ed25519-signature-2020/signedEdSig.json",
        1,
        &[("proof", "warning"), ("verification_method", "fail")],
    ),
];

#[test]
fn each_signed_vector_gets_the_expected_verdict_and_checks() {
    let vectors = passerelle_tests::vectors();
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    for (file, expected_code, expected_checks) in SIGNED_VECTORS {
        let path = vectors.join(file);
        let (code, report) = verify_json(dir.path(), &[path.to_str().unwrap()]);
        let summary: Vec<String> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{}={}",
                    c["id"].as_str().unwrap(),
                    c["outcome"].as_str().unwrap()
                )
            })
            .collect();
        println!("{file}: exit {code}, {}", summary.join(" "));
        if code != *expected_code {
            wrong.push(format!(
                "{file}: exit {code}, expected {expected_code}: {report:#}"
            ));
        }
        for (check, expected) in *expected_checks {
            let found = outcome(&report, check);
            if found != *expected {
                wrong.push(format!(
                    "{file}: {check} is {found}, expected {expected}: {report:#}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn an_rs256_vc_jwt_is_refused_with_the_algorithm_named() {
    let path = passerelle_tests::vectors().join("openbadges/validator-samples/simple.jwt");
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        "passerelle-verifier",
        dir.path(),
        &["verify", path.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("RS256"), "{}", stderr(&out));
}

#[test]
fn a_local_schema_directory_validates_the_schema_a_credential_cites() {
    let schemas = passerelle_tests::vectors().join("openbadges/schema");
    let schema_dir = schemas.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (key, did) = keygen(dir.path());
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did.clone().into();
    let options = proof::ProofOptions::assertion(
        proof::Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        CREATED,
    );
    let signed = proof::sign(&badge, &key, &options).unwrap();
    write_json(dir.path(), "signed.json", &signed);

    let (_, report) = verify_json(dir.path(), &["signed.json"]);
    assert_eq!(outcome(&report, "json_schema"), "not_checked");
    let (_, report) = verify_json(dir.path(), &["--schema-dir", schema_dir, "signed.json"]);
    assert_eq!(outcome(&report, "json_schema"), "pass", "{report:#}");

    // A value the OB data model leaves open but the schema constrains: achievementType.
    badge["credentialSubject"]["achievement"]["achievementType"] = "NotAnAchievementType".into();
    let signed = proof::sign(&badge, &key, &options).unwrap();
    write_json(dir.path(), "off-schema.json", &signed);
    let (code, report) = verify_json(dir.path(), &["--schema-dir", schema_dir, "off-schema.json"]);
    assert_eq!(outcome(&report, "json_schema"), "fail", "{report:#}");
    assert_eq!(outcome(&report, "proof"), "pass");
    assert_eq!(code, 1);
}
