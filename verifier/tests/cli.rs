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

/// A signed badge (no status list) with `id`, as one line of JSON.
fn badge_line(id: &str) -> String {
    let issuer = KeyPair::from_seed(&[3; 32]);
    let mut badge = model::sample::data_literacy_badge();
    badge["id"] = id.into();
    badge["issuer"]["id"] = did::did_key(&issuer.public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
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
    serde_json::to_string(&badge).unwrap()
}

fn batch(input: &[u8], extra: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_passerelle-verifier"))
        .args(["batch", "--now", "2026-09-01T00:00:00Z"])
        .args(extra)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.code().unwrap(),
        lines,
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Issue 18: `batch` answers one JSON line per input line, in input order whatever the number
/// of threads; a tampered badge fails its proof, a line that is no credential is reported on
/// its own line and the run goes on; blank lines are skipped; exit 0 only if all verified.
#[test]
fn batch_answers_every_line_in_order_and_a_bad_line_does_not_stop_it() {
    let good: Vec<String> = (0..40)
        .map(|i| badge_line(&format!("urn:uuid:00000000-0000-4000-8000-{i:012}")))
        .collect();
    let tampered = good[1].replace("Data Literacy Foundations", "Data Literacy Mastery");
    assert_ne!(tampered, good[1]);
    let mut input = String::new();
    for (i, line) in good.iter().enumerate() {
        match i {
            5 => input.push_str(&tampered),
            9 => input.push_str("{\"not\": \"a credential\""),
            12 => input.push_str("   "),
            _ => input.push_str(line),
        }
        input.push('\n');
    }
    let presentation = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::read_to_string(presentation(dir.path())).unwrap()
    };
    input.push_str(&presentation);
    // No final newline: the last line still counts.
    for threads in ["1", "3"] {
        let (code, lines, stderr) = batch(input.as_bytes(), &["--threads", threads]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(lines.len(), 40, "{lines:?}");
        let numbers: Vec<u64> = lines.iter().map(|l| l["line"].as_u64().unwrap()).collect();
        let expected: Vec<u64> = (1..=41).filter(|n| *n != 13).collect();
        assert_eq!(numbers, expected);
        assert_eq!(lines[0]["verdict"], "verified");
        assert_eq!(
            lines[0]["id"],
            "urn:uuid:00000000-0000-4000-8000-000000000000"
        );
        assert_eq!(lines[0]["failed"], serde_json::json!([]));
        assert_eq!(lines[5]["verdict"], "not_verified");
        assert_eq!(lines[5]["failed"], serde_json::json!(["proof"]));
        assert_eq!(lines[9]["verdict"], "not_verified");
        assert!(
            lines[9]["error"].as_str().unwrap().contains("JSON"),
            "{}",
            lines[9]
        );
        assert_eq!(lines[9]["id"], serde_json::Value::Null);
        // The presentation: no challenge was given, so it is at best incomplete.
        let last = &lines[39];
        assert_eq!(last["verdict"], "incomplete", "{last}");
        assert!(
            last["not_checked"]
                .as_array()
                .unwrap()
                .contains(&"challenge".into()),
            "{last}"
        );
        assert!(
            stderr.contains("40 lines: 37 verified, 2 not verified (1 unreadable), 1 incomplete")
                && stderr.contains(&format!("on {threads} threads")),
            "{stderr}"
        );
    }

    // Every line verified: exit 0; nothing at all: not a success.
    let all_good = format!("{}\n{}\n", good[0], good[2]);
    let (code, lines, stderr) = batch(all_good.as_bytes(), &[]);
    assert_eq!((code, lines.len()), (0, 2), "{stderr}");
    let (code, lines, _) = batch(b"", &[]);
    assert_eq!((code, lines.len()), (1, 0));
    // A bad option is a usage error (2), before any line is read.
    let (code, _, stderr) = batch(b"", &["--threads", "0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--threads must be at least 1"), "{stderr}");
}
