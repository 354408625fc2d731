//! Endorsements embedded in a signed Open Badge (issue 16): each is checked like a credential,
//! in its own nested report, and never changes the credential's verdict.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use passerelle_core::did;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, Iri};
use passerelle_core::model::{EndorsementCredential, Profile};
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::status::{self, Bitstring, BitstringEntry, StatusIndex, StatusPurpose};
use passerelle_core::trust::TrustRegistries;
use passerelle_core::verify::{
    self, CheckId, CheckOptions, DocumentKind, Fetched, Report, SecuringMechanism, Standing,
    Verdict, MAX_ENDORSEMENTS,
};
use serde_json::{json, Value};

const ENDORSER_LIST: &str = "https://qa-agency.example/status/1";
const ACHIEVEMENT: &str = "https://learn.example/achievements/data-literacy-foundations";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into()
}

fn iri(s: &str) -> Iri {
    Iri::parse(s).unwrap()
}

fn issuer_key() -> KeyPair {
    KeyPair::from_seed(&[3; 32])
}

fn endorser_key() -> KeyPair {
    KeyPair::from_seed(&[5; 32])
}

fn endorser() -> String {
    did::did_key(&endorser_key().public()).to_string()
}

fn sign(doc: &Value, key: &KeyPair) -> Value {
    let method = did::did_key_verification_method(&key.public());
    let options =
        ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, method, "2026-06-30T12:00:00Z");
    proof::sign(doc, key, &options).unwrap()
}

/// An unsigned endorsement by the QA agency of `subject`, with status index `index`.
fn endorsement(subject: &str, index: u64, valid_until: Option<&str>) -> Value {
    let mut builder = EndorsementCredential::builder(
        iri(&format!(
            "urn:uuid:7d2e1f0a-9b8c-4d6e-a5f4-3c2b1a0e9d{index:02}"
        )),
        Profile::new(
            iri(&endorser()),
            "Example Quality Agency",
            iri("https://qa-agency.example"),
        ),
        "Recognised provider",
        iri(subject),
        DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z").unwrap(),
    )
    .endorsement_comment("Meets the agency's quality criteria for online courses.")
    .credential_status(
        BitstringEntry::new(
            StatusPurpose::Revocation,
            StatusIndex::new(index),
            ENDORSER_LIST,
        )
        .to_json(),
    );
    if let Some(until) = valid_until {
        builder = builder.valid_until(DateTime::parse_from_rfc3339(until).unwrap());
    }
    builder.build().unwrap()
}

/// The endorser's revocation list, signed, with `revoked` set.
fn endorser_list(revoked: &[u64]) -> Value {
    let mut bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
    for index in revoked {
        bits.set(*index, 1).unwrap();
    }
    let from = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .unwrap()
        .into();
    sign(
        &status::status_list_credential(
            ENDORSER_LIST,
            &endorser(),
            &StatusPurpose::Revocation,
            &bits,
            from,
        ),
        &endorser_key(),
    )
}

/// The bundled OB 3.0 context (the 1EdTech spec repository's file) does not define
/// `endorsementJwt`, so a badge carrying one defines it itself (Data Integrity signing refuses
/// undefined terms).
fn define_endorsement_jwt(badge: &mut Value) {
    badge["@context"].as_array_mut().unwrap().push(json!({
        "endorsementJwt": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsementJwt"
    }));
}

/// The sample badge, issued by the issuer's did:key (no status of its own), with `edit`
/// applied (to embed endorsements) before it is signed.
fn badge(edit: impl FnOnce(&mut Value)) -> Value {
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&issuer_key().public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    edit(&mut badge);
    sign(&badge, &issuer_key())
}

fn with_achievement_endorsement(endorsement: Value) -> Value {
    badge(|b| b["credentialSubject"]["achievement"]["endorsement"] = json!([endorsement]))
}

fn fetched(revoked: &[u64]) -> Fetched {
    let mut fetched = Fetched::default();
    fetched.add_status_list(ENDORSER_LIST, endorser_list(revoked), "fetched now");
    fetched
}

fn registry() -> Arc<TrustRegistries> {
    let mut trust = TrustRegistries::new();
    trust
        .load(
            &json!({"name": "European QA register", "entries": [
                {"id": endorser(), "name": "Example Quality Agency", "jurisdiction": "EU"}
            ]}),
            "eqar.json",
        )
        .unwrap();
    Arc::new(trust)
}

fn check(doc: &Value, fetched: &Fetched, trust: Option<Arc<TrustRegistries>>) -> Report {
    let presented =
        verify::parse_input(&serde_json::to_vec(doc).unwrap(), &Default::default()).unwrap();
    let options = CheckOptions {
        trust,
        ..Default::default()
    };
    verify::check(&presented, fetched, now(), &options)
}

fn failed(report: &Report) -> Vec<CheckId> {
    match &report.endorsements()[0].standing {
        Standing::Invalid { failed } => failed.clone(),
        other => panic!("expected an invalid endorsement, got {other:?}\n{report}"),
    }
}

#[test]
fn a_valid_endorsement_by_a_recognised_endorser_is_endorsed_by() {
    let signed = sign(&endorsement(ACHIEVEMENT, 3, None), &endorser_key());
    let doc = with_achievement_endorsement(signed);
    let presented =
        verify::parse_input(&serde_json::to_vec(&doc).unwrap(), &Default::default()).unwrap();
    assert_eq!(
        verify::needs(&presented, &Fetched::default()).status_lists,
        [ENDORSER_LIST],
        "the endorsement's status list is asked for"
    );
    let rest = verify::needs(&presented, &fetched(&[]));
    assert!(
        rest.status_lists.is_empty() && rest.did_documents.is_empty(),
        "{rest:?}"
    );

    let report = check(&doc, &fetched(&[]), Some(registry()));
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    let [one] = report.endorsements() else {
        panic!("one endorsement expected:\n{report}")
    };
    assert_eq!(one.report.kind, DocumentKind::Endorsement);
    assert_eq!(one.report.verdict(), Verdict::Verified, "{report}");
    assert_eq!(one.found_at, "credentialSubject.achievement.endorsement[0]");
    assert_eq!(one.endorser.as_deref(), Some(endorser().as_str()));
    assert_eq!(one.endorsed.as_deref(), Some(ACHIEVEMENT));
    assert_eq!(
        one.comment.as_deref(),
        Some("Meets the agency's quality criteria for online courses.")
    );
    assert_eq!(
        one.standing,
        Standing::Recognised {
            registries: vec!["European QA register (EU)".into()]
        }
    );
    assert_eq!(
        one.headline(),
        "Endorsed by Example Quality Agency (recognised: European QA register (EU))"
    );
    let json = report.to_json();
    assert_eq!(json["endorsements"][0]["report"]["kind"], "endorsement");
    assert_eq!(json["endorsements"][0]["standing"]["status"], "recognised");
    assert!(report
        .to_string()
        .contains("Endorsed by Example Quality Agency"));
}

#[test]
fn a_valid_endorsement_by_an_unrecognised_endorser_is_not_endorsed_by() {
    let signed = sign(&endorsement(ACHIEVEMENT, 3, None), &endorser_key());
    let doc = badge(|b| b["issuer"]["endorsement"] = json!([signed]));
    // The endorsement on the issuer must be about the issuer: this one is about the
    // achievement, so it fails there — and is shown as such.
    let report = check(&doc, &fetched(&[]), None);
    assert_eq!(report.endorsements()[0].found_at, "issuer.endorsement[0]");
    assert_eq!(failed(&report), [CheckId::EndorsedSubject]);

    let issuer = did::did_key(&issuer_key().public()).to_string();
    let signed = sign(&endorsement(&issuer, 3, None), &endorser_key());
    let doc = badge(|b| b["issuer"]["endorsement"] = json!([signed]));
    for trust in [None, Some(Arc::new(TrustRegistries::new()))] {
        let report = check(&doc, &fetched(&[]), trust);
        assert_eq!(report.verdict(), Verdict::Verified, "{report}");
        let one = &report.endorsements()[0];
        assert_eq!(one.standing, Standing::NotRecognised, "{report}");
        assert_eq!(
            one.headline(),
            "Endorsement by Example Quality Agency (not in your trust registries)"
        );
        assert!(!report.to_string().contains("Endorsed by"), "{report}");
    }
    let report = check(&doc, &fetched(&[]), Some(registry()));
    assert!(matches!(
        report.endorsements()[0].standing,
        Standing::Recognised { .. }
    ));
}

#[test]
fn a_tampered_endorsement_is_invalid_and_the_credential_still_verified() {
    let mut signed = sign(&endorsement(ACHIEVEMENT, 3, None), &endorser_key());
    signed["credentialSubject"]["endorsementComment"] = "The best course ever.".into();
    let report = check(
        &with_achievement_endorsement(signed),
        &fetched(&[]),
        Some(registry()),
    );
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    assert_eq!(failed(&report), [CheckId::Proof]);
    let headline = report.endorsements()[0].headline();
    assert!(headline.starts_with("INVALID endorsement by Example Quality Agency: proof failed"));
    assert!(!report.to_string().contains("Endorsed by"), "{report}");
}

#[test]
fn a_revoked_endorsement_is_invalid_naming_the_status_check() {
    let signed = sign(&endorsement(ACHIEVEMENT, 3, None), &endorser_key());
    let doc = with_achievement_endorsement(signed);
    let report = check(&doc, &fetched(&[3]), Some(registry()));
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    assert_eq!(failed(&report), [CheckId::Status]);
    // Another index revoked: this one stands.
    let report = check(&doc, &fetched(&[4]), Some(registry()));
    assert!(matches!(
        report.endorsements()[0].standing,
        Standing::Recognised { .. }
    ));
    // The list not fetched: it could not be checked, which is not "endorsed by" either.
    let report = check(&doc, &Fetched::default(), Some(registry()));
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    assert_eq!(
        report.endorsements()[0].standing,
        Standing::Incomplete {
            unchecked: vec![CheckId::Status]
        }
    );
}

#[test]
fn an_endorsement_of_something_else_is_invalid() {
    let signed = sign(
        &endorsement("https://other.example/achievements/rocket-science", 3, None),
        &endorser_key(),
    );
    let report = check(
        &with_achievement_endorsement(signed),
        &fetched(&[]),
        Some(registry()),
    );
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    assert_eq!(failed(&report), [CheckId::EndorsedSubject]);
    let check = report.endorsements()[0]
        .report
        .check(CheckId::EndorsedSubject)
        .unwrap();
    assert_eq!(check.message.arg("expected"), Some(ACHIEVEMENT));
}

#[test]
fn an_expired_endorsement_is_invalid() {
    let signed = sign(
        &endorsement(ACHIEVEMENT, 3, Some("2026-07-01T00:00:00Z")),
        &endorser_key(),
    );
    let report = check(
        &with_achievement_endorsement(signed),
        &fetched(&[]),
        Some(registry()),
    );
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    assert_eq!(failed(&report), [CheckId::ValidityPeriod]);
}

#[test]
fn a_compact_jws_endorsement_is_checked_like_a_credential() {
    let key = endorser_key();
    let kid = did::did_key_verification_method(&key.public());
    let jws =
        passerelle_core::jose::sign_vc_jwt(&endorsement(ACHIEVEMENT, 3, None), &key, &kid).unwrap();
    let doc = badge(|b| {
        define_endorsement_jwt(b);
        b["credentialSubject"]["achievement"]["endorsementJwt"] = json!([jws])
    });
    let presented =
        verify::parse_input(&serde_json::to_vec(&doc).unwrap(), &Default::default()).unwrap();
    assert_eq!(
        verify::needs(&presented, &Fetched::default()).status_lists,
        [ENDORSER_LIST]
    );
    let report = check(&doc, &fetched(&[]), Some(registry()));
    let one = &report.endorsements()[0];
    assert_eq!(
        one.found_at,
        "credentialSubject.achievement.endorsementJwt[0]"
    );
    assert_eq!(one.report.secured_by, SecuringMechanism::VcJose);
    assert!(
        matches!(one.standing, Standing::Recognised { .. }),
        "{report}"
    );
    // The same JWS revoked, and one whose signature was cut: both invalid, the badge verified.
    let report = check(&doc, &fetched(&[3]), Some(registry()));
    assert_eq!(failed(&report), [CheckId::Status]);
    let (head, _) = jws.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", "A".repeat(86));
    let doc = badge(|b| {
        define_endorsement_jwt(b);
        b["credentialSubject"]["achievement"]["endorsementJwt"] = json!([forged])
    });
    let report = check(&doc, &fetched(&[]), Some(registry()));
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    assert!(failed(&report).contains(&CheckId::Proof), "{report}");
}

#[test]
fn at_most_sixteen_endorsements_are_checked() {
    let key = endorser_key();
    let kid = did::did_key_verification_method(&key.public());
    let jws =
        passerelle_core::jose::sign_vc_jwt(&endorsement(ACHIEVEMENT, 3, None), &key, &kid).unwrap();
    let many = vec![jws; MAX_ENDORSEMENTS + 3];
    let doc = badge(|b| {
        define_endorsement_jwt(b);
        b["credentialSubject"]["achievement"]["endorsementJwt"] = json!(many)
    });
    let report = check(&doc, &fetched(&[]), None);
    assert_eq!(report.endorsements().len(), MAX_ENDORSEMENTS);
    assert_eq!(report.endorsements_not_checked, 3);
    assert_eq!(report.to_json()["endorsements_not_checked"], 3);
}
