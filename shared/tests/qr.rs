//! QR codes with a real signed badge: the compact form carries the exact signed bytes, fits a
//! QR code, survives rendering and scanning, and still verifies at the end.

use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::qr::{self, QrPayload};
use passerelle_core::verify::{self, CheckId, Outcome};
use passerelle_core::{did, model};

fn signed_badge_text() -> String {
    let key = KeyPair::from_seed(&[7; 32]);
    let mut doc = model::sample::data_literacy_badge();
    doc["issuer"]["id"] = serde_json::Value::String(did::did_key(&key.public()).to_string());
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    let signed = proof::sign(&doc, &key, &options).expect("the sample badge signs");
    serde_json::to_string(&signed).expect("a Value serialises")
}

#[test]
fn a_signed_badge_travels_through_a_qr_code_and_still_verifies() {
    let text = signed_badge_text();
    assert!(text.len() > 4000, "the sample is a realistic 4–5 KB badge");
    let payload = qr::payload_for(&text, Some("https://learn.example/claim/t")).unwrap();
    assert!(
        payload.starts_with(qr::COMPACT_PREFIX),
        "a {}-byte badge without an embedded image fits in compact form",
        text.len()
    );
    let png = qr::render_png(&payload, 3).unwrap();
    let scanned = qr::scan(&png).unwrap();
    assert_eq!(scanned, vec![payload.clone()]);
    let QrPayload::Document(document) = qr::decode(&scanned[0]).unwrap() else {
        panic!("the compact form decodes to a document");
    };
    assert_eq!(document, text, "the exact signed bytes come back");
    let presented = verify::parse_input(document.as_bytes(), &Default::default()).unwrap();
    let report = verify::check(
        &presented,
        &Default::default(),
        "2027-01-01T00:00:00Z".parse().unwrap(),
        &Default::default(),
    );
    assert_eq!(report.check(CheckId::Proof).unwrap().outcome, Outcome::Pass);
}

#[test]
fn a_tampered_compact_payload_fails_verification() {
    let text = signed_badge_text().replace("Data Literacy Foundations", "Data Literacy Mastery");
    let payload = qr::encode_compact(&text).unwrap();
    let QrPayload::Document(document) = qr::decode(&payload).unwrap() else {
        panic!("the compact form decodes to a document");
    };
    let presented = verify::parse_input(document.as_bytes(), &Default::default()).unwrap();
    let report = verify::check(
        &presented,
        &Default::default(),
        "2027-01-01T00:00:00Z".parse().unwrap(),
        &Default::default(),
    );
    assert_eq!(report.check(CheckId::Proof).unwrap().outcome, Outcome::Fail);
}
