//! The `verify` command on presentations, offline: no challenge was issued by this program, so a
//! presentation is compared with `--challenge` when given and is otherwise at best incomplete
//! ("the challenge was not checked"), unless `--allow-unchallenged-presentations`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::process::Command;

use passerelle_core::did;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, Iri, VerifiablePresentation};
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};

/// A presentation, by the holder it names, of a badge issued to that holder (no status list).
fn presentation(dir: &std::path::Path) -> std::path::PathBuf {
    let issuer = KeyPair::from_seed(&[3; 32]);
    let holder = KeyPair::from_seed(&[4; 32]);
    let holder_did = did::did_key(&holder.public()).to_string();
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&issuer.public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    let subject = badge["credentialSubject"].as_object_mut().unwrap();
    subject.remove("identifier");
    subject.insert("id".into(), holder_did.clone().into());
    let badge = proof::sign(
        &badge,
        &issuer,
        &ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            did::did_key_verification_method(&issuer.public()),
            "2026-06-30T12:00:00Z",
        ),
    )
    .unwrap();
    let vp = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(badge)
        .build();
    let vp = proof::sign(
        &vp,
        &holder,
        &ProofOptions::authentication(
            Cryptosuite::EddsaRdfc2022,
            did::did_key_verification_method(&holder.public()),
            "2026-08-31T12:00:00Z",
            "c-1",
            "employer.example",
        ),
    )
    .unwrap();
    let path = dir.join("vp.json");
    std::fs::write(&path, serde_json::to_vec(&vp).unwrap()).unwrap();
    path
}

fn verify(file: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_passerelle-verifier"))
        .args(["verify", "--now", "2026-09-01T00:00:00Z"])
        .args(extra)
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn an_offline_presentation_without_a_challenge_is_incomplete_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let vp = presentation(dir.path());

    let (code, out) = verify(&vp, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("INCOMPLETE"), "{out}");
    assert!(
        out.contains("[not checked] challenge") && out.contains("The challenge was not checked"),
        "{out}"
    );
    assert!(out.contains("the proof carries the challenge c-1"), "{out}");
    assert!(out.contains("[pass       ] holder_binding"), "{out}");

    let (code, out) = verify(&vp, &["--challenge", "c-1", "--domain", "employer.example"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VERIFIED"), "{out}");

    let (code, out) = verify(&vp, &["--allow-unchallenged-presentations"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[warning    ] challenge"), "{out}");

    // Another request's challenge: the challenge check says so; the signature holds.
    let (code, out) = verify(&vp, &["--challenge", "c-2", "--domain", "employer.example"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("made for another request"), "{out}");
    assert!(out.contains("[pass       ] proof"), "{out}");
}

/// Issue 11: the CLI refuses a repeated key naming its path, and invalid UTF-8 naming the
/// offset of the bad byte (bad input: exit code 2).
#[test]
fn duplicate_keys_and_invalid_utf8_are_refused_with_where() {
    let dir = tempfile::tempdir().unwrap();
    let vp = std::fs::read_to_string(presentation(dir.path())).unwrap();
    let anchor = "\"achievement\":{";
    assert_eq!(vp.matches(anchor).count(), 1);
    let forged = vp.replacen(anchor, &format!("{anchor}\"name\":\"EVIL before\","), 1);
    let mut bad_utf8 = vp.clone().into_bytes();
    bad_utf8.insert(40, 0xff);
    for (name, bytes, expected) in [
        (
            "forged.json",
            forged.into_bytes(),
            "credentialSubject.achievement.name".to_owned(),
        ),
        ("bad.json", bad_utf8, "invalid byte at offset 40".to_owned()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_passerelle-verifier"))
            .args(["verify", "--now", "2026-09-01T00:00:00Z"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(&expected), "{name}: {stderr}");
    }
}

/// A badge whose achievement carries two endorsements by a QA agency (did:key): one valid,
/// one whose comment was changed after signing; plus the agency's status list and a trust
/// registry listing it, written to `dir`.
fn endorsed_badge(dir: &std::path::Path) -> std::path::PathBuf {
    use passerelle_core::model::{EndorsementCredential, Profile};
    use passerelle_core::status::{self, Bitstring, BitstringEntry, StatusIndex, StatusPurpose};

    let issuer = KeyPair::from_seed(&[3; 32]);
    let agency = KeyPair::from_seed(&[5; 32]);
    let agency_did = did::did_key(&agency.public()).to_string();
    let sign = |doc: &serde_json::Value, key: &KeyPair| {
        let options = ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            did::did_key_verification_method(&key.public()),
            "2026-06-30T12:00:00Z",
        );
        proof::sign(doc, key, &options).unwrap()
    };
    let list_url = "https://qa-agency.example/status/1";
    let iri = |s: &str| Iri::parse(s).unwrap();
    let endorsement = |n: u64| {
        let doc = EndorsementCredential::builder(
            iri(&format!("urn:uuid:00000000-0000-4000-8000-00000000000{n}")),
            Profile::new(
                iri(&agency_did),
                "Agence <qualité>",
                iri("https://qa-agency.example"),
            ),
            "Recognised course",
            iri("https://learn.example/achievements/data-literacy-foundations"),
            chrono::DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z").unwrap(),
        )
        .endorsement_comment("Meets our criteria.\u{1b}[2J")
        .credential_status(
            BitstringEntry::new(StatusPurpose::Revocation, StatusIndex::new(n), list_url).to_json(),
        )
        .build()
        .unwrap();
        sign(&doc, &agency)
    };
    let mut tampered = endorsement(2);
    tampered["credentialSubject"]["endorsementComment"] = "The best course ever.".into();
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&issuer.public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    badge["credentialSubject"]["achievement"]["endorsement"] =
        serde_json::json!([endorsement(1), tampered]);
    let badge = sign(&badge, &issuer);
    let bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
    let list = sign(
        &status::status_list_credential(
            list_url,
            &agency_did,
            &StatusPurpose::Revocation,
            &bits,
            chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
                .unwrap()
                .into(),
        ),
        &agency,
    );
    std::fs::write(dir.join("list.json"), list.to_string()).unwrap();
    std::fs::write(
        dir.join("trust.json"),
        serde_json::json!({"name": "QA register", "entries": [{"id": agency_did, "name": "Agence qualité"}]})
            .to_string(),
    )
    .unwrap();
    let path = dir.join("badge.json");
    std::fs::write(&path, badge.to_string()).unwrap();
    path
}

#[test]
fn endorsements_are_listed_and_only_a_valid_recognised_one_is_endorsed_by() {
    let dir = tempfile::tempdir().unwrap();
    let badge = endorsed_badge(dir.path());
    let list = format!("--status-list={}", dir.path().join("list.json").display());
    let trust = dir.path().join("trust.json");
    let trust = trust.to_str().unwrap();

    let (code, out) = verify(&badge, &[&list, "--trust", trust]);
    assert_eq!(
        code, 0,
        "an invalid endorsement does not fail the badge:\n{out}"
    );
    assert!(out.starts_with("VERIFIED"), "{out}");
    assert!(
        out.contains("Endorsed by Agence <qualité> (recognised: QA register)"),
        "{out}"
    );
    assert!(
        out.contains("INVALID endorsement by Agence <qualité>: proof failed"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "the comment's escape reaches the terminal:\n{out}"
    );
    assert!(out.contains("Meets our criteria.\\u{1b}[2J"), "{out}");

    let (code, out) = verify(&badge, &[&list]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("Endorsed by"), "no registry loaded:\n{out}");
    assert!(
        out.contains("Endorsement by Agence <qualité> (not in your trust registries)"),
        "{out}"
    );

    let (_, out) = verify(&badge, &[&list, "--trust", trust, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["verdict"], "verified");
    let endorsements = report["endorsements"].as_array().unwrap();
    assert_eq!(endorsements.len(), 2, "{report}");
    assert_eq!(endorsements[0]["standing"]["status"], "recognised");
    assert_eq!(endorsements[0]["standing"]["registries"][0], "QA register");
    assert_eq!(endorsements[0]["report"]["kind"], "endorsement");
    assert_eq!(
        endorsements[0]["found_at"],
        "credentialSubject.achievement.endorsement[0]"
    );
    assert_eq!(endorsements[1]["standing"]["status"], "invalid");
    assert_eq!(endorsements[1]["standing"]["failed"][0], "proof");
    assert_eq!(endorsements[1]["report"]["verdict"], "not_verified");
}

/// Issue 17: a presentation the DCC Learner Credential Wallet shares as a `VP1-` QR code
/// (CBOR-LD; the core's fixture, made by that wallet's own packages) is read from a text file,
/// and the badge inside it verifies.
#[test]
fn a_learner_credential_wallet_vp1_code_is_read_and_its_badge_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("code.txt");
    std::fs::write(
        &file,
        include_str!("../../shared/tests/fixtures/vp1/sample-badge-presentation.vp1.txt"),
    )
    .unwrap();
    let (code, out) = verify(&file, &[]);
    assert_ne!(code, 2, "the code is read: {out}");
    // This presentation, like the ones the wallet shares, is not signed: said of the
    // presentation; the badge inside is checked on its own and its signature holds.
    let (presentation, credential) = out
        .split_once("Credential 1 in the presentation:")
        .unwrap_or_else(|| panic!("one credential: {out}"));
    assert!(presentation.contains("it has no proof"), "{out}");
    assert!(credential.contains("Data Literacy Foundations"), "{out}");
    assert!(
        credential.contains("[pass       ] proof The issuer's signature is valid"),
        "{out}"
    );
    assert!(!credential.contains("[FAIL"), "{out}");
}
