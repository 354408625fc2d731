//! The verification report's shape over every signed and negative vector: one entry per check
//! id, never a pass without having checked, and a verdict consistent with the checks.

use chrono::{DateTime, Utc};
use passerelle_core::verify::{
    self, CheckId, CheckOptions, Fetched, Message, MessageCode, Outcome, Report, Verdict,
    MESSAGE_CODES,
};

use crate::util::vectors;

fn all_vector_documents() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "openbadges/validator-samples",
        "openbadges/examples",
        "openbadges/ldp-eddsa-rdfc-2022",
        "vc-di-eddsa/rdfc-2022",
        "vc-di-eddsa/jcs-2022",
        "vc-di-eddsa/ed25519-signature-2020",
        "status-list",
        "negative/1edtech-ob30",
        "negative/vcdm2-test-suite",
    ] {
        for entry in std::fs::read_dir(vectors().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json" || e == "jwt") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_report_is_well_formed() {
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let mut checked = 0;
    for path in all_vector_documents() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(presented) = verify::parse_input(&bytes, &Default::default()) else {
            continue;
        };
        let report = verify::check(
            &presented,
            &Fetched::default(),
            now,
            &CheckOptions::default(),
        );
        let name = path.display();
        let mut ids: Vec<CheckId> = report.checks().iter().map(|c| c.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(
            before,
            ids.len(),
            "{name}: a check id appears twice: {report}"
        );
        for check in report.checks() {
            assert!(
                !check.message.english().is_empty(),
                "{name}: {} has no message",
                check.id
            );
        }
        // Nothing was fetched: a credential with a status entry cannot have a passing status.
        if let Some(status) = report.check(CheckId::Status) {
            if bytes.windows(16).any(|w| w == b"credentialStatus") {
                assert_ne!(
                    status.outcome,
                    Outcome::Pass,
                    "{name}: status passed unchecked"
                );
            }
        }
        let any_fail = report.checks().iter().any(|c| c.outcome == Outcome::Fail);
        assert_eq!(
            any_fail,
            report.verdict() == Verdict::NotVerified,
            "{name}: {report}"
        );
        let json = report.to_json();
        assert!(
            json["verdict"].is_string() && json["checks"].is_array(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked > 60, "only {checked} vector documents were checked");
}

#[test]
fn trust_registries_add_a_warning_or_a_pass_never_a_failure() {
    use std::sync::Arc;

    use passerelle_core::keys::KeyPair;
    use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
    use passerelle_core::trust::TrustRegistries;
    use passerelle_core::{did, model};

    let key = KeyPair::from_seed(&[7; 32]);
    let issuer = did::did_key(&key.public()).to_string();
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = issuer.clone().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    let signed = proof::sign(&badge, &key, &options).unwrap();
    let presented =
        verify::parse_input(&serde_json::to_vec(&signed).unwrap(), &Default::default()).unwrap();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let report_with = |trust: TrustRegistries| {
        let options = CheckOptions {
            trust: Some(Arc::new(trust)),
            ..Default::default()
        };
        verify::check(&presented, &Fetched::default(), now, &options)
    };

    let without = verify::check(
        &presented,
        &Fetched::default(),
        now,
        &CheckOptions::default(),
    );
    assert!(without.check(CheckId::IssuerRecognised).is_none());

    let unknown = report_with(TrustRegistries::new());
    let check = unknown.check(CheckId::IssuerRecognised).unwrap();
    assert_eq!(check.outcome, Outcome::Warning, "{unknown}");
    assert_eq!(unknown.verdict(), without.verdict(), "{unknown}");

    let mut trust = TrustRegistries::new();
    trust
        .load(
            &serde_json::json!({"name": "MOOC alliance", "entries": [{"id": issuer, "name": "Example MOOC"}]}),
            "f.json",
        )
        .unwrap();
    let known = report_with(trust);
    let check = known.check(CheckId::IssuerRecognised).unwrap();
    assert_eq!(check.outcome, Outcome::Pass, "{known}");
    assert!(check.message.english().contains("MOOC alliance"), "{known}");
    assert_eq!(known.verdict(), Verdict::Verified, "{known}");
}

/// Every message a report holds names a code of the one list, with exactly the arguments its
/// template names, and its English text leaves no placeholder unfilled.
fn assert_messages_well_formed(
    report: &Report,
    name: &str,
    seen: &mut std::collections::BTreeSet<MessageCode>,
) {
    for message in verify::report_messages(report) {
        assert!(
            MESSAGE_CODES.contains(&message.code.as_str()),
            "{name}: {} is not in MESSAGE_CODES",
            message.code
        );
        let mut given: Vec<&str> = message.args.iter().map(|a| a.name).collect();
        given.sort_unstable();
        let mut wanted = message.code.params();
        wanted.sort_unstable();
        assert_eq!(given, wanted, "{name}: arguments of {}", message.code);
        let english = message.english();
        for param in message.code.params() {
            assert!(
                !english.contains(&format!("{{{param}}}")),
                "{name}: {english}"
            );
        }
        let json = serde_json::to_value(message).unwrap();
        assert_eq!(json["code"], message.code.as_str(), "{name}");
        seen.insert(message.code);
    }
    let json = report.to_json();
    for check in json["checks"].as_array().unwrap() {
        assert!(check["code"].is_string(), "{name}: {check}");
        assert!(check["args"].is_object(), "{name}: {check}");
        let details = check["details"].as_array().map_or(0, Vec::len);
        let codes = check["detail_codes"].as_array().map_or(0, Vec::len);
        assert_eq!(details, codes, "{name}: {check}");
    }
}

/// The situations a verifier meets beyond the vectors: valid, tampered, expired, not yet valid,
/// revoked, suspended, status unreachable, wrong key, presentations with and without the
/// challenge, trust registries. Returns (name, report).
fn situations() -> Vec<(String, Report)> {
    use std::sync::Arc;

    use passerelle_core::did;
    use passerelle_core::keys::KeyPair;
    use passerelle_core::model::{self, Iri, VerifiablePresentation};
    use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
    use passerelle_core::status::{self, Bitstring, BitstringEntry, StatusIndex, StatusPurpose};
    use passerelle_core::trust::TrustRegistries;
    use serde_json::{json, Value};

    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let key = KeyPair::from_seed(&[3; 32]);
    let issuer = did::did_key(&key.public()).to_string();
    let method = did::did_key_verification_method(&key.public());
    let sign = |doc: &Value, suite: Cryptosuite| {
        let options = ProofOptions::assertion(suite, method.clone(), "2026-06-30T12:00:00Z");
        proof::sign(doc, &key, &options).unwrap()
    };
    let list_url = |name: &str| format!("https://status.example/{name}");
    let badge = |index: u64, edit: &dyn Fn(&mut Value)| {
        let mut badge = model::sample::data_literacy_badge();
        badge["issuer"]["id"] = issuer.clone().into();
        badge["credentialStatus"] = json!([
            BitstringEntry::new(
                StatusPurpose::Revocation,
                StatusIndex::new(index),
                &list_url("r")
            )
            .to_json(),
            BitstringEntry::new(
                StatusPurpose::Suspension,
                StatusIndex::new(index),
                &list_url("s")
            )
            .to_json(),
        ]);
        edit(&mut badge);
        sign(&badge, Cryptosuite::EddsaRdfc2022)
    };
    let list = |name: &str, purpose: StatusPurpose, set: &[u64]| {
        let mut bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
        for index in set {
            bits.set(*index, 1).unwrap();
        }
        let from = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .into();
        sign(
            &status::status_list_credential(&list_url(name), &issuer, &purpose, &bits, from),
            Cryptosuite::EddsaRdfc2022,
        )
    };
    let fetched_lists = || {
        let mut fetched = Fetched::default();
        fetched.add_status_list(
            &list_url("r"),
            list("r", StatusPurpose::Revocation, &[7]),
            "fetched now",
        );
        fetched.add_status_list(
            &list_url("s"),
            list("s", StatusPurpose::Suspension, &[9]),
            "from cache, 5 s old",
        );
        fetched
    };
    let check = |doc: &Value, fetched: &Fetched, options: &CheckOptions| {
        let presented =
            verify::parse_input(&serde_json::to_vec(doc).unwrap(), &Default::default()).unwrap();
        verify::check(&presented, fetched, now, options)
    };
    let plain = CheckOptions::default();
    let mut out = Vec::new();

    let valid = badge(1, &|_| {});
    out.push(("valid".to_owned(), check(&valid, &fetched_lists(), &plain)));
    let mut tampered = valid.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket Science".into();
    out.push((
        "tampered".into(),
        check(&tampered, &fetched_lists(), &plain),
    ));
    out.push((
        "expired".into(),
        check(
            &badge(1, &|b| b["validUntil"] = "2026-07-01T00:00:00Z".into()),
            &fetched_lists(),
            &plain,
        ),
    ));
    out.push((
        "not yet valid".into(),
        check(
            &badge(1, &|b| b["validFrom"] = "2027-01-01T00:00:00Z".into()),
            &fetched_lists(),
            &plain,
        ),
    ));
    out.push((
        "bad date".into(),
        check(
            &badge(1, &|b| b["validFrom"] = json!(5)),
            &fetched_lists(),
            &plain,
        ),
    ));
    out.push((
        "revoked".into(),
        check(&badge(7, &|_| {}), &fetched_lists(), &plain),
    ));
    out.push((
        "suspended".into(),
        check(&badge(9, &|_| {}), &fetched_lists(), &plain),
    ));
    let mut unreachable = Fetched::default();
    unreachable.failures.insert(
        list_url("r"),
        "https://status.example/r: the server answered HTTP 503".into(),
    );
    out.push((
        "status unreachable".into(),
        check(&valid, &unreachable, &plain),
    ));
    let mut foreign = Fetched::default();
    let stranger = KeyPair::from_seed(&[4; 32]);
    let mut foreign_list = status::status_list_credential(
        &list_url("r"),
        did::did_key(&stranger.public()).as_ref(),
        &StatusPurpose::Revocation,
        &Bitstring::new(status::MIN_ENTRIES, 1).unwrap(),
        now,
    );
    foreign_list = proof::sign(
        &foreign_list,
        &stranger,
        &ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            did::did_key_verification_method(&stranger.public()),
            "2026-06-30T12:00:00Z",
        ),
    )
    .unwrap();
    foreign.add_status_list(&list_url("r"), foreign_list, "fetched now");
    out.push((
        "status list by a stranger".into(),
        check(&valid, &foreign, &plain),
    ));
    let mut undefined = model::sample::data_literacy_badge();
    undefined["issuer"]["id"] = issuer.clone().into();
    // Signing refuses undefined terms: one is added after signing (JCS, so the vocabulary is
    // checked on its own).
    let mut undefined = sign(&undefined, Cryptosuite::EddsaJcs2022);
    undefined["favouriteColour"] = "blue".into();
    out.push((
        "undefined term (JCS)".into(),
        check(&undefined, &fetched_lists(), &plain),
    ));
    let mut unsigned = model::sample::data_literacy_badge();
    unsigned.as_object_mut().unwrap().remove("credentialStatus");
    out.push((
        "unsigned".into(),
        check(&unsigned, &Fetched::default(), &plain),
    ));
    let mut two = sign(&valid, Cryptosuite::EddsaJcs2022);
    two["credentialSubject"]["achievement"]["name"] = "Altered".into();
    out.push((
        "two proofs, altered".into(),
        check(&two, &fetched_lists(), &plain),
    ));

    // VC-JOSE: a valid JWS, and one whose key is not published.
    let mut unsigned_status = model::sample::data_literacy_badge();
    unsigned_status["issuer"]["id"] = issuer.clone().into();
    unsigned_status
        .as_object_mut()
        .unwrap()
        .remove("credentialStatus");
    let jws = passerelle_core::jose::sign_vc_jwt(&unsigned_status, &key, &method).unwrap();
    out.push((
        "VC-JOSE".into(),
        check(&json!(jws), &Fetched::default(), &plain),
    ));
    let mut web = unsigned_status.clone();
    web["issuer"]["id"] = "did:web:issuer.example".into();
    let web_jws =
        passerelle_core::jose::sign_vc_jwt(&web, &key, "did:web:issuer.example#key-1").unwrap();
    out.push((
        "VC-JOSE, did:web not fetched".into(),
        check(&json!(web_jws), &Fetched::default(), &plain),
    ));
    let mut down = Fetched::default();
    down.failures.insert(
        "https://issuer.example/.well-known/did.json".into(),
        "the server answered HTTP 502".into(),
    );
    out.push((
        "VC-JOSE, did:web unreachable".into(),
        check(&json!(web_jws), &down, &plain),
    ));

    // A status list altered after signing, and one out of date.
    let mut altered = fetched_lists();
    let mut list_r = list("r", StatusPurpose::Revocation, &[]);
    list_r["credentialSubject"]["statusPurpose"] = "suspension".into();
    altered.add_status_list(&list_url("r"), list_r, "fetched now");
    out.push((
        "altered status list".into(),
        check(&valid, &altered, &plain),
    ));
    let mut stale = fetched_lists();
    let mut bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
    bits.set(0, 0).unwrap();
    let mut old_list = status::status_list_credential(
        &list_url("r"),
        &issuer,
        &StatusPurpose::Revocation,
        &bits,
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .into(),
    );
    old_list["validUntil"] = "2026-02-01T00:00:00Z".into();
    stale.add_status_list(
        &list_url("r"),
        sign(&old_list, Cryptosuite::EddsaRdfc2022),
        "fetched now",
    );
    out.push(("stale status list".into(), check(&valid, &stale, &plain)));

    // The JSON Schema the sample names, given locally: satisfied, then not.
    let schema_id = valid["credentialSchema"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (label, schema) in [
        (
            "schema satisfied",
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}),
        ),
        (
            "schema violated",
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["nickname"]}),
        ),
    ] {
        let mut fetched = fetched_lists();
        fetched
            .schemas
            .insert(schema, &[schema_id.as_str()])
            .unwrap();
        out.push((label.into(), check(&valid, &fetched, &plain)));
    }

    // Presentations: a holder signs with a challenge.
    let holder = KeyPair::from_seed(&[5; 32]);
    let holder_did = did::did_key(&holder.public()).to_string();
    let presentation = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(valid.clone())
        .credential(badge(7, &|_| {}))
        .build();
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&holder.public()),
        "2026-08-31T12:00:00Z",
        "challenge-1",
        "verifier.example",
    );
    let vp = proof::sign(&presentation, &holder, &options).unwrap();
    let lone = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(valid.clone())
        .build();
    let lone = proof::sign(&lone, &holder, &options).unwrap();
    out.push((
        "presentation of one valid credential".into(),
        check(
            &lone,
            &fetched_lists(),
            &CheckOptions {
                challenge: Some("challenge-1".into()),
                domain: Some("verifier.example".into()),
                ..Default::default()
            },
        ),
    ));
    let mut empty = lone.clone();
    empty
        .as_object_mut()
        .unwrap()
        .remove("verifiableCredential");
    out.push((
        "empty presentation".into(),
        check(&empty, &fetched_lists(), &plain),
    ));
    for (label, challenge, domain) in [
        (
            "presentation",
            Some("challenge-1"),
            Some("verifier.example"),
        ),
        (
            "presentation, other challenge",
            Some("challenge-2"),
            Some("verifier.example"),
        ),
        (
            "presentation, other domain",
            Some("challenge-1"),
            Some("other.example"),
        ),
        ("presentation, no challenge asked", None, None),
    ] {
        let options = CheckOptions {
            challenge: challenge.map(str::to_owned),
            domain: domain.map(str::to_owned),
            ..Default::default()
        };
        out.push((label.into(), check(&vp, &fetched_lists(), &options)));
    }
    out.push((
        "presentation, unchallenged allowed".into(),
        check(
            &vp,
            &fetched_lists(),
            &CheckOptions {
                allow_unchallenged: true,
                ..Default::default()
            },
        ),
    ));

    // Holder binding: the subject is the presenter, another DID, or named by no one.
    let bound_to = |subject: Option<&str>| {
        badge(2, &|b| {
            let subject_json = b["credentialSubject"].as_object_mut().unwrap();
            subject_json.remove("identifier");
            if let Some(id) = subject {
                subject_json.insert("id".into(), id.into());
            }
        })
    };
    for (label, subject) in [
        (
            "presentation, subject is the presenter",
            Some(holder_did.as_str()),
        ),
        (
            "presentation, subject is someone else",
            Some("did:example:someone-else"),
        ),
        ("presentation, subject unnamed", None),
    ] {
        let vp = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
            .credential(bound_to(subject))
            .build();
        let vp = proof::sign(&vp, &holder, &options).unwrap();
        let challenged = CheckOptions {
            challenge: Some("challenge-1".into()),
            domain: Some("verifier.example".into()),
            ..Default::default()
        };
        if subject == Some(holder_did.as_str()) {
            // The presenter's signature no longer holds: it proves no one.
            let mut forged = vp.clone();
            forged["holder"] = "did:example:not-the-signer".into();
            out.push((
                "presentation, holder not the signer".into(),
                check(&forged, &fetched_lists(), &challenged),
            ));
        }
        out.push((label.into(), check(&vp, &fetched_lists(), &challenged)));
    }

    // Trust registries: recognised, listed out of date, unknown.
    let mut trust = TrustRegistries::new();
    trust
        .load(
            &json!({"name": "MOOC alliance", "entries": [
        {"id": issuer, "name": "Example MOOC", "jurisdiction": "FR"}]}),
            "a.json",
        )
        .unwrap();
    trust
        .load(
            &json!({"name": "Old list", "entries": [
        {"id": issuer, "name": "Example MOOC", "validUntil": "2020-01-01T00:00:00Z"}]}),
            "b.json",
        )
        .unwrap();
    let trusted = CheckOptions {
        trust: Some(Arc::new(trust)),
        ..Default::default()
    };
    out.push((
        "recognised".into(),
        check(&valid, &fetched_lists(), &trusted),
    ));
    let mut old = TrustRegistries::new();
    old.load(
        &json!({"name": "Old list", "entries": [
        {"id": issuer, "name": "Example MOOC", "validUntil": "2020-01-01T00:00:00Z"}]}),
        "b.json",
    )
    .unwrap();
    out.push((
        "listed, not current".into(),
        check(
            &valid,
            &fetched_lists(),
            &CheckOptions {
                trust: Some(Arc::new(old)),
                ..Default::default()
            },
        ),
    ));
    out.push((
        "unknown issuer".into(),
        check(
            &valid,
            &fetched_lists(),
            &CheckOptions {
                trust: Some(Arc::new(TrustRegistries::new())),
                ..Default::default()
            },
        ),
    ));
    out
}

#[test]
fn every_message_has_a_listed_code_and_exactly_its_arguments() {
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let mut seen = std::collections::BTreeSet::new();
    for path in all_vector_documents() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(presented) = verify::parse_input(&bytes, &Default::default()) else {
            continue;
        };
        let report = verify::check(
            &presented,
            &Fetched::default(),
            now,
            &CheckOptions::default(),
        );
        assert_messages_well_formed(&report, &path.display().to_string(), &mut seen);
    }
    let situations = situations();
    for (name, report) in &situations {
        assert_messages_well_formed(report, name, &mut seen);
    }
    let outcome = |name: &str, id: &str| {
        let (_, report) = situations.iter().find(|(n, _)| n == name).unwrap();
        let check = report
            .check(CheckId::from_name(id).unwrap_or_else(|| panic!("{id} is no check id")))
            .unwrap_or_else(|| panic!("{name}: no {id}: {report}"));
        (check.outcome, check.message.code)
    };
    assert_eq!(
        outcome("valid", "status"),
        (Outcome::Pass, MessageCode::StatusClear)
    );
    assert_eq!(
        outcome("valid", "proof"),
        (Outcome::Pass, MessageCode::ProofValidIssuer)
    );
    assert_eq!(
        outcome("tampered", "proof"),
        (Outcome::Fail, MessageCode::ProofInvalid)
    );
    assert_eq!(
        outcome("expired", "validity_period"),
        (Outcome::Fail, MessageCode::ValidityExpired)
    );
    assert_eq!(
        outcome("not yet valid", "validity_period"),
        (Outcome::Fail, MessageCode::ValidityNotYet)
    );
    assert_eq!(
        outcome("revoked", "status"),
        (Outcome::Fail, MessageCode::StatusRevoked)
    );
    assert_eq!(
        outcome("suspended", "status"),
        (Outcome::Fail, MessageCode::StatusSuspended)
    );
    assert_eq!(
        outcome("status unreachable", "status"),
        (Outcome::NotChecked, MessageCode::StatusNotChecked)
    );
    assert_eq!(
        outcome("status list by a stranger", "status"),
        (Outcome::Fail, MessageCode::StatusUntrustworthy)
    );
    assert_eq!(
        outcome("undefined term (JCS)", "json_ld"),
        (Outcome::Fail, MessageCode::JsonLdInvalid)
    );
    assert_eq!(
        outcome("presentation", "challenge"),
        (Outcome::Pass, MessageCode::ChallengeValid)
    );
    assert_eq!(
        outcome("presentation", "credentials"),
        (Outcome::Fail, MessageCode::CredentialsFailed)
    );
    assert_eq!(
        outcome("presentation, other challenge", "challenge"),
        (Outcome::Fail, MessageCode::ChallengeInvalid)
    );
    // A presentation for another request: the signature holds; only the challenge fails,
    // and it says so (not "the document was altered").
    assert_eq!(
        outcome("presentation, other challenge", "proof"),
        (Outcome::Pass, MessageCode::ProofValidHolder)
    );
    assert_eq!(
        outcome("presentation, other domain", "proof"),
        (Outcome::Pass, MessageCode::ProofValidHolder)
    );
    assert_eq!(
        outcome("presentation, other domain", "challenge"),
        (Outcome::Fail, MessageCode::ChallengeInvalid)
    );
    // No challenge given: never verified by default; a warning only when allowed explicitly.
    assert_eq!(
        outcome("presentation, no challenge asked", "challenge"),
        (Outcome::NotChecked, MessageCode::ChallengeNotGiven)
    );
    assert_eq!(
        outcome("presentation, unchallenged allowed", "challenge"),
        (Outcome::Warning, MessageCode::ChallengeNotRequired)
    );
    let unchallenged = &situations
        .iter()
        .find(|(n, _)| n == "presentation, no challenge asked")
        .unwrap()
        .1;
    assert!(unchallenged
        .check(CheckId::Challenge)
        .unwrap()
        .details
        .iter()
        .any(|d| d.code == MessageCode::ChallengeDetailUnchecked
            && d.arg("found") == Some("challenge-1")));
    let verdict = |name: &str| {
        situations
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .verdict()
    };
    assert_eq!(
        verdict("presentation of one valid credential"),
        Verdict::Verified
    );
    // Each credential inside says whether its subject presented it.
    let inner = |name: &str| -> Report {
        let (_, report) = situations.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(report.credentials().len(), 1, "{name}: {report}");
        report.credentials()[0].clone()
    };
    let binding = |name: &str| {
        let check = inner(name).check(CheckId::HolderBinding).cloned().unwrap();
        (check.outcome, check.message.code)
    };
    assert_eq!(
        binding("presentation, subject is the presenter"),
        (Outcome::Pass, MessageCode::HolderBindingBound)
    );
    assert_eq!(
        verdict("presentation, subject is the presenter"),
        Verdict::Verified
    );
    assert_eq!(
        binding("presentation, subject is someone else"),
        (Outcome::Fail, MessageCode::HolderBindingOther)
    );
    assert_eq!(
        inner("presentation, subject is someone else").verdict(),
        Verdict::NotVerified
    );
    assert_eq!(
        verdict("presentation, subject is someone else"),
        Verdict::NotVerified
    );
    assert_eq!(
        binding("presentation of one valid credential"),
        (Outcome::Warning, MessageCode::HolderBindingHashedEmail)
    );
    assert_eq!(
        binding("presentation, subject unnamed"),
        (Outcome::Warning, MessageCode::HolderBindingNoRecipient)
    );
    // A signer who is not the holder proves no one: the binding is not established.
    assert_eq!(
        binding("presentation, holder not the signer"),
        (Outcome::NotChecked, MessageCode::HolderBindingNoPresenter)
    );
    assert_eq!(
        outcome("recognised", "issuer_recognised"),
        (Outcome::Pass, MessageCode::TrustRecognised)
    );
    assert_eq!(
        outcome("listed, not current", "issuer_recognised"),
        (Outcome::Warning, MessageCode::TrustNotCurrent)
    );

    // The specific facts carry codes too: the tampered signature, the undefined term, the
    // unreachable list with its raw reason.
    let details = |name: &str, id: &str| -> Vec<Message> {
        let (_, report) = situations.iter().find(|(n, _)| n == name).unwrap();
        report
            .check(CheckId::from_name(id).unwrap_or_else(|| panic!("{id} is no check id")))
            .unwrap()
            .details
            .clone()
    };
    assert!(details("tampered", "proof")
        .iter()
        .any(|d| d.code == MessageCode::ProofDetailSignatureMismatch
            && d.arg("suite") == Some("eddsa-rdfc-2022")));
    assert!(
        details("undefined term (JCS)", "json_ld")
            .iter()
            .any(|d| d.code == MessageCode::JsonLdDetailUndefinedTerm
                && d.arg("term") == Some("favouriteColour")),
        "{:?}",
        details("undefined term (JCS)", "json_ld")
    );
    assert!(details("status unreachable", "status")
        .iter()
        .any(|d| d.code == MessageCode::StatusDetailListUnreadable
            && d.arg("reason").is_some_and(|r| r.contains("503"))));
    assert_eq!(
        outcome("VC-JOSE", "proof"),
        (Outcome::Pass, MessageCode::ProofValidIssuer)
    );
    assert_eq!(
        outcome("VC-JOSE, did:web not fetched", "proof"),
        (Outcome::NotChecked, MessageCode::ProofJwsKeyUnavailable)
    );
    assert!(
        details("VC-JOSE, did:web unreachable", "verification_method")
            .iter()
            .any(|d| d.code == MessageCode::KeyDetailDocumentUnavailable
                && d.arg("reason") == Some("the server answered HTTP 502"))
    );
    assert_eq!(
        outcome("altered status list", "status"),
        (Outcome::Fail, MessageCode::StatusUntrustworthy)
    );
    assert_eq!(
        details("altered status list", "status")[0].code,
        MessageCode::StatusDetailListSignatureInvalid
    );
    assert_eq!(
        outcome("stale status list", "status"),
        (Outcome::NotChecked, MessageCode::StatusNotChecked)
    );
    assert_eq!(
        details("stale status list", "status")[0].code,
        MessageCode::StatusDetailListOutOfDate
    );
    assert_eq!(
        outcome("schema satisfied", "json_schema"),
        (Outcome::Pass, MessageCode::SchemaValid)
    );
    assert_eq!(
        outcome("schema violated", "json_schema"),
        (Outcome::Fail, MessageCode::SchemaInvalid)
    );
    assert_eq!(
        outcome("presentation of one valid credential", "credentials"),
        (Outcome::Pass, MessageCode::CredentialsAllVerified)
    );
    assert_eq!(
        outcome("empty presentation", "credentials"),
        (Outcome::Warning, MessageCode::CredentialsNone)
    );
    assert!(details("two proofs, altered", "proof")
        .iter()
        .all(|d| d.proof.is_some()));
    println!(
        "{} of {} message codes exercised; not exercised: {:?}",
        seen.len(),
        MESSAGE_CODES.len(),
        MessageCode::ALL
            .iter()
            .filter(|c| !seen.contains(c))
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
    );
    assert!(
        seen.len() > 90,
        "only {} of {} codes were exercised: {seen:?}",
        seen.len(),
        MESSAGE_CODES.len()
    );
}

#[test]
fn terminal_reports_escape_control_characters_from_the_credential() {
    use passerelle_core::model;
    use serde_json::json;

    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["name"] = "Evil\u{1b}[2J\rUniversity\u{202e}".into();
    let presented =
        verify::parse_input(&serde_json::to_vec(&badge).unwrap(), &Default::default()).unwrap();
    let report = verify::check(
        &presented,
        &Fetched::default(),
        now,
        &CheckOptions::default(),
    );
    let text = report.to_string();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("Evil\\u{1b}[2J\\u{d}University"), "{text}");
    // The holder-binding sentence names the subject, escaped too.
    badge["credentialSubject"]["id"] = json!("did:example:\u{1b}]8;;x\u{7}");
    let check = verify::holder_binding_check(&badge, &["did:key:z6Mkpresenter".to_owned()]);
    assert_eq!(check.outcome, Outcome::Fail);
    assert_eq!(check.message.code, MessageCode::HolderBindingOther);
    assert!(!verify::terminal_safe(&check.message.english()).contains('\u{1b}'));
}

/// Issue 10, point 2: a number whose RDF form implementations disagree on
/// (`0.30000000000000004`). Under eddsa-jcs-2022 the signed JSON text is unambiguous: the badge
/// verifies. Under eddsa-rdfc-2022 the report says the signature could not be checked, naming
/// the path, the number and why — never that the document was altered.
#[test]
fn an_ambiguous_rdf_number_passes_under_jcs_and_is_named_under_rdfc() {
    use passerelle_core::did;
    use passerelle_core::keys::KeyPair;
    use passerelle_core::model::sample;
    use passerelle_core::proof::{self, Cryptosuite, ProofOptions};

    let key = KeyPair::from_seed(&[11; 32]);
    let mut badge = sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    let options = |suite| {
        ProofOptions::assertion(
            suite,
            did::did_key_verification_method(&key.public()),
            "2026-06-30T12:00:00Z",
        )
    };
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let report = |doc: &serde_json::Value| {
        verify::check(
            &verify::Presented::Credential(doc.clone()),
            &Fetched::default(),
            now,
            &CheckOptions::default(),
        )
    };
    let number: serde_json::Value = serde_json::from_str("0.30000000000000004").unwrap();
    let path = "credentialSubject.creditsEarned";

    let mut jcs_badge = badge.clone();
    jcs_badge["credentialSubject"]["creditsEarned"] = number.clone();
    let signed = proof::sign(&jcs_badge, &key, &options(Cryptosuite::EddsaJcs2022))
        .expect("eddsa-jcs-2022 signs the JSON text: the number is unambiguous there");
    let jcs = report(&signed);
    for id in [
        CheckId::Proof,
        CheckId::VerificationMethod,
        CheckId::JsonLd,
        CheckId::DataModel,
        CheckId::OpenBadges,
    ] {
        assert_eq!(
            jcs.check(id).map(|c| c.outcome),
            Some(Outcome::Pass),
            "{id}: {jcs}"
        );
    }
    assert_eq!(jcs.verdict(), Verdict::Verified, "{jcs}");
    // The number the signature covers is the JSON's, digit for digit.
    assert_eq!(signed["credentialSubject"]["creditsEarned"], number);

    // Under eddsa-rdfc-2022 Passerelle does not sign it (which RDF form?) ...
    match proof::sign(&jcs_badge, &key, &options(Cryptosuite::EddsaRdfc2022)) {
        Err(proof::ProofError::Document(
            passerelle_core::jsonld::JsonLdError::AmbiguousNumber { path: p, .. },
        )) => assert_eq!(p, path),
        other => panic!("expected an ambiguous-number refusal, got {other:?}"),
    }
    // ... and a verifier meeting one (as other signers write them) says exactly that.
    let mut rdfc = proof::sign(&badge, &key, &options(Cryptosuite::EddsaRdfc2022)).unwrap();
    rdfc["credentialSubject"]["creditsEarned"] = number;
    let rdfc = report(&rdfc);
    let proof_check = rdfc.check(CheckId::Proof).unwrap();
    assert_eq!(proof_check.outcome, Outcome::NotChecked, "{rdfc}");
    assert_ne!(
        proof_check.message.code,
        MessageCode::ProofInvalid,
        "{rdfc}"
    );
    let detail = proof_check
        .details
        .iter()
        .find(|d| d.code == MessageCode::ProofDetailAmbiguousNumber)
        .unwrap_or_else(|| panic!("no ambiguous-number detail: {rdfc}"));
    assert_eq!(detail.arg("path"), Some(path));
    assert_eq!(detail.arg("number"), Some("0.30000000000000004"));
    assert_eq!(detail.arg("suite"), Some("eddsa-rdfc-2022"));
    assert!(detail
        .arg("reason")
        .is_some_and(|r| r.contains("16 significant digits")));
    assert!(
        verify::report_messages(&rdfc).iter().all(|m| !matches!(
            m.code,
            MessageCode::ProofInvalid | MessageCode::ProofDetailSignatureMismatch
        )),
        "{rdfc}"
    );
    // Its terms are all defined: json_ld passes; the verdict is incomplete, not a forgery.
    assert_eq!(
        rdfc.check(CheckId::JsonLd).map(|c| c.outcome),
        Some(Outcome::Pass),
        "{rdfc}"
    );
    assert_eq!(rdfc.verdict(), Verdict::Incomplete, "{rdfc}");
}
