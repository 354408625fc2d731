//! A learner presents a badge to a verifier who asked for a fresh presentation: the holder's
//! proof must answer this verifier's challenge and domain, and the badge inside must verify.

use chrono::{DateTime, Utc};
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, Iri, VerifiablePresentation};
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::status::{self, Bitstring, StatusEntry, StatusPurpose};
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome, Verdict};
use passerelle_core::{did, jose};
use serde_json::Value;

const CREATED: &str = "2026-06-30T12:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into()
}

struct World {
    issuer: KeyPair,
    holder: KeyPair,
    badge: Value,
    fetched: Fetched,
}

fn world() -> World {
    let issuer = KeyPair::from_seed(&[11; 32]);
    let holder = KeyPair::from_seed(&[22; 32]);
    let issuer_did = did::did_key(&issuer.public()).to_string();
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = issuer_did.clone().into();
    badge["credentialSubject"]["id"] = did::did_key(&holder.public()).to_string().into();
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&issuer.public()),
        CREATED,
    );
    let signed = proof::sign(&badge, &issuer, &options).unwrap();

    let entries = status::parse_status_entries(&signed).unwrap();
    let StatusEntry::Bitstring(entry) = &entries[0] else {
        panic!("the sample uses a BitstringStatusListEntry")
    };
    let list = status::status_list_credential(
        &entry.list_credential,
        &issuer_did,
        &StatusPurpose::Revocation,
        &Bitstring::new(status::MIN_ENTRIES, 1).unwrap(),
        DateTime::parse_from_rfc3339(CREATED).unwrap().into(),
    );
    let list = proof::sign(&list, &issuer, &options).unwrap();
    let mut fetched = Fetched::default();
    fetched.add_status_list(&entry.list_credential, list, "test fixture");
    World {
        issuer,
        holder,
        badge: signed,
        fetched,
    }
}

fn present(world: &World, credential: Value, challenge: &str, domain: &str) -> Value {
    let holder_did = did::did_key(&world.holder.public()).to_string();
    let presentation = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .credential(credential)
        .build();
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&world.holder.public()),
        "2026-08-31T23:59:00Z",
        challenge,
        domain,
    );
    proof::sign(&presentation, &world.holder, &options).unwrap()
}

fn check(world: &World, presentation: &Value, challenge: &str, domain: &str) -> verify::Report {
    let presented = verify::parse_input(
        &serde_json::to_vec(presentation).unwrap(),
        &Default::default(),
    )
    .unwrap();
    let options = CheckOptions {
        challenge: Some(challenge.into()),
        domain: Some(domain.into()),
        ..Default::default()
    };
    verify::check(&presented, &world.fetched, now(), &options)
}

fn outcome(report: &verify::Report, id: &str) -> Outcome {
    report
        .check(CheckId::from_name(id).unwrap_or_else(|| panic!("{id} is not a check id")))
        .unwrap_or_else(|| panic!("no {id} check: {report}"))
        .outcome
}

#[test]
fn a_fresh_presentation_with_a_valid_badge_is_verified() {
    let world = world();
    let vp = present(&world, world.badge.clone(), "c-8f2e1", "employer.example");
    let report = check(&world, &vp, "c-8f2e1", "employer.example");
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
    assert_eq!(outcome(&report, "challenge"), Outcome::Pass);
    assert_eq!(report.credentials().len(), 1);
    assert_eq!(
        report.credentials()[0].verdict(),
        Verdict::Verified,
        "{report}"
    );
    assert_eq!(outcome(&report.credentials()[0], "status"), Outcome::Pass);
}

#[test]
fn a_replayed_or_misdirected_presentation_fails_the_challenge_check() {
    let world = world();
    let vp = present(
        &world,
        world.badge.clone(),
        "old-challenge",
        "employer.example",
    );
    let report = check(&world, &vp, "new-challenge", "employer.example");
    assert_eq!(report.verdict(), Verdict::NotVerified);
    assert_eq!(outcome(&report, "challenge"), Outcome::Fail);

    let report = check(&world, &vp, "old-challenge", "other.example");
    assert_eq!(report.verdict(), Verdict::NotVerified);
    assert_eq!(outcome(&report, "challenge"), Outcome::Fail);
}

#[test]
fn a_tampered_badge_inside_a_valid_presentation_is_caught() {
    let world = world();
    let mut badge = world.badge.clone();
    badge["credentialSubject"]["achievement"]["name"] = "Something Else".into();
    // The holder signs the presentation honestly; the badge inside was altered before.
    let vp = present(&world, badge, "c-1", "employer.example");
    let report = check(&world, &vp, "c-1", "employer.example");
    assert_eq!(outcome(&report, "proof"), Outcome::Pass, "{report}");
    assert_eq!(outcome(&report, "credentials"), Outcome::Fail, "{report}");
    assert_eq!(outcome(&report.credentials()[0], "proof"), Outcome::Fail);
    assert_eq!(report.verdict(), Verdict::NotVerified);
}

#[test]
fn someone_else_cannot_present_with_their_own_key_as_the_holder() {
    let world = world();
    let mut vp = present(&world, world.badge.clone(), "c-2", "employer.example");
    // Sign as the issuer key while claiming the learner is the holder.
    vp.as_object_mut().unwrap().remove("proof");
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&world.issuer.public()),
        "2026-08-31T23:59:00Z",
        "c-2",
        "employer.example",
    );
    let forged = proof::sign(&vp, &world.issuer, &options).unwrap();
    let report = check(&world, &forged, "c-2", "employer.example");
    assert_eq!(
        outcome(&report, "verification_method"),
        Outcome::Fail,
        "{report}"
    );
    assert_eq!(report.verdict(), Verdict::NotVerified);
}

#[test]
fn a_vc_jose_badge_enveloped_in_a_presentation_is_checked_too() {
    let world = world();
    let jws = jose::sign_vc_jwt(
        &{
            let mut unsigned = world.badge.clone();
            unsigned.as_object_mut().unwrap().remove("proof");
            unsigned
        },
        &world.issuer,
        &did::did_key_verification_method(&world.issuer.public()),
    )
    .unwrap();
    let holder_did = did::did_key(&world.holder.public()).to_string();
    let presentation = VerifiablePresentation::builder(Iri::parse(&holder_did).unwrap())
        .enveloped_jwt(&jws)
        .build();
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&world.holder.public()),
        "2026-08-31T23:59:00Z",
        "c-3",
        "employer.example",
    );
    let vp = proof::sign(&presentation, &world.holder, &options).unwrap();
    let presented =
        verify::parse_input(&serde_json::to_vec(&vp).unwrap(), &Default::default()).unwrap();
    let needs = verify::needs(&presented, &Fetched::default());
    assert_eq!(
        needs.status_lists.len(),
        1,
        "the enveloped badge's status list is needed"
    );
    let report = check(&world, &vp, "c-3", "employer.example");
    assert_eq!(report.credentials().len(), 1, "{report}");
    assert_eq!(
        report.credentials()[0].verdict(),
        Verdict::Verified,
        "{report}"
    );
    assert_eq!(report.verdict(), Verdict::Verified, "{report}");
}
