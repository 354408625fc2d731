//! QR codes with a real signed badge: the compact forms carry the exact signed bytes, fit a
//! QR code, survive rendering and scanning, and still verify at the end.

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
        payload.starts_with(qr::COMPACT_PREFIX_V2),
        "a {}-byte badge without an embedded image fits in compact form, the shorter VC2",
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

/// Every signed vector (vc-di-eddsa rdfc-2022, jcs-2022 and Ed25519Signature2020, the 1EdTech
/// ldp-eddsa-rdfc-2022 credential), the sample badge signed with eddsa-rdfc-2022 and as a compact
/// JWS: the VC2 form gives back the exact signed bytes, so the verifier's report on what comes
/// back is the report on the original (same verdict, same checks), and VC2 is shorter than VC1.
#[test]
fn vc2_gives_back_every_signed_vector_byte_for_byte_and_it_verifies_the_same() {
    let key = KeyPair::from_seed(&[7; 32]);
    let mut documents: Vec<(String, String)> = [
        "vc-di-eddsa/rdfc-2022/signedDataInt.json",
        "vc-di-eddsa/jcs-2022/signedJCS.json",
        "vc-di-eddsa/ed25519-signature-2020/signedEdSig.json",
        "openbadges/ldp-eddsa-rdfc-2022/signed.json",
    ]
    .iter()
    .map(|name| (name.to_string(), crate::util::text(name)))
    .collect();
    documents.push((
        "the sample badge (eddsa-rdfc-2022)".into(),
        signed_badge_text(),
    ));
    let mut sample = model::sample::data_literacy_badge();
    sample["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
    let kid = did::did_key_verification_method(&key.public());
    documents.push((
        "the sample badge (compact JWS)".into(),
        passerelle_core::jose::sign_vc_jwt(&sample, &key, &kid).unwrap(),
    ));
    let now = "2027-01-01T00:00:00Z".parse().unwrap();
    let report = |text: &str| {
        let presented = verify::parse_input(text.as_bytes(), &Default::default()).unwrap();
        verify::check(&presented, &Default::default(), now, &Default::default())
    };
    for (name, text) in &documents {
        let vc2 = qr::encode_compact_v2(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(vc2.starts_with(qr::COMPACT_PREFIX_V2));
        assert_eq!(
            vc2,
            qr::encode_compact_v2(text).unwrap(),
            "{name}: deterministic"
        );
        let QrPayload::Document(back) = qr::decode(&vc2).unwrap() else {
            panic!("{name}: VC2 decodes to a document");
        };
        assert_eq!(&back, text, "{name}: the exact signed bytes come back");
        let original = report(text);
        assert_eq!(report(&back), original, "{name}: the same report");
        if name.contains("sample") {
            assert_eq!(
                original.check(CheckId::Proof).unwrap().outcome,
                Outcome::Pass,
                "{name}"
            );
        }
        let payload = qr::payload_for(text, None).unwrap();
        assert!(
            payload == vc2,
            "{name}: payload_for writes VC2, which is shorter"
        );
        if let Ok(v1) = qr::encode_compact(text) {
            assert!(vc2.len() < v1.len(), "{name}: {} ≥ {}", vc2.len(), v1.len());
        }
    }
}

#[test]
fn a_badge_too_large_for_vc1_still_travels_as_vc2() {
    let key = KeyPair::from_seed(&[7; 32]);
    let mut sample = model::sample::data_literacy_badge();
    sample["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
    let kid = did::did_key_verification_method(&key.public());
    let jws = passerelle_core::jose::sign_vc_jwt(&sample, &key, &kid).unwrap();
    assert!(matches!(
        qr::encode_compact(&jws),
        Err(qr::QrError::TooLarge { .. })
    ));
    let payload = qr::payload_for(&jws, Some("https://learn.example/claim/t")).unwrap();
    assert!(payload.starts_with(qr::COMPACT_PREFIX_V2), "{payload}");
    let png = qr::render_png(&payload, 2).unwrap();
    assert_eq!(qr::scan(&png).unwrap(), vec![payload.clone()]);
    assert_eq!(qr::decode(&payload).unwrap(), QrPayload::Document(jws));
}

/// `VC2:` is DEFLATE with a preset dictionary, nothing of ours: this code was written by
/// another implementation (Python's zlib: `compressobj(6, DEFLATED, -15, 8, zdict=dictionary)`,
/// form byte 0, Base45), and reads back.
#[test]
fn vc2_written_by_another_zlib_reads_back() {
    let written_elsewhere = "VC2:R00IAGI69CP7VL77141SPKS0";
    let document = "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\",\
        \"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json\"],\
        \"type\":[\"VerifiableCredential\",\"OpenBadgeCredential\"],\"name\":\"Knots\"}";
    assert_eq!(
        qr::decode(written_elsewhere).unwrap(),
        QrPayload::Document(document.into())
    );
}
