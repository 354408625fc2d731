//! `VP1-` QR codes (the DCC Learner Credential Wallet's CBOR-LD form): a fixed code made once by
//! the wallet's own packages (see `fixtures/vp1/README.md`) decodes to exactly the presentation
//! it was made from, and the credential inside it verifies.

use passerelle_core::qr::{self, QrError, QrPayload, Vp1Error};
use passerelle_core::verify::{self, CheckId, Outcome, Presented, Recognised};
use serde_json::Value;

const VP1: &str = include_str!("fixtures/vp1/sample-badge-presentation.vp1.txt");
const JSON: &str = include_str!("fixtures/vp1/sample-badge-presentation.json");

fn decoded() -> Value {
    let QrPayload::Document(text) = qr::decode(VP1).unwrap() else {
        panic!("a VP1- code holds a document");
    };
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_wallet_code_decodes_to_the_presentation_it_was_made_from() {
    let expected: Value = serde_json::from_str(JSON).unwrap();
    assert_eq!(decoded(), expected);
}

#[test]
fn the_credential_in_the_wallet_code_verifies() {
    let bytes = VP1.trim().as_bytes();
    let Recognised::Document(recovered) = verify::recognise(bytes, &Default::default()).unwrap()
    else {
        panic!("a VP1- code is a document");
    };
    assert_eq!(recovered.form, verify::Form::QrText);
    assert!(matches!(recovered.presented, Presented::Presentation(_)));
    let report = verify::check(
        &recovered.presented,
        &Default::default(),
        "2027-01-01T00:00:00Z".parse().unwrap(),
        &Default::default(),
    );
    assert_eq!(report.credentials().len(), 1, "{report}");
    let credential = &report.credentials()[0];
    for id in [CheckId::Proof, CheckId::JsonLd] {
        assert_eq!(
            credential.check(id).unwrap().outcome,
            Outcome::Pass,
            "{id:?}:\n{report}"
        );
    }
}

#[test]
fn a_changed_code_is_refused_or_fails_its_proof() {
    // The badge's name is text in the CBOR-LD: change one letter of its first occurrence.
    let expected: Value = serde_json::from_str(JSON).unwrap();
    let name = expected["verifiableCredential"][0]["credentialSubject"]["achievement"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(name, "Data Literacy Foundations");
    let bytes = cbor_bytes(VP1);
    let at = bytes
        .windows(name.len())
        .position(|w| w == name.as_bytes())
        .expect("the name is in the CBOR-LD");
    let mut changed = bytes.clone();
    changed[at] = b'B';
    let text = format!("VP1-B{}", base32(&changed));
    let QrPayload::Document(document) = qr::decode(&text).unwrap() else {
        panic!("still a document");
    };
    let presented = verify::parse_input(document.as_bytes(), &Default::default()).unwrap();
    let report = verify::check(
        &presented,
        &Default::default(),
        "2027-01-01T00:00:00Z".parse().unwrap(),
        &Default::default(),
    );
    assert_eq!(
        report.credentials()[0]
            .check(CheckId::Proof)
            .unwrap()
            .outcome,
        Outcome::Fail,
        "{report}"
    );
}

#[test]
fn malformed_codes_are_specific_errors() {
    let vp1 = |source| QrError::Vp1 { source };
    assert_eq!(
        qr::decode("VP1-B3ECQ!").unwrap_err(),
        vp1(Vp1Error::BadEncoding {
            encoding: "base32 (RFC 4648)"
        })
    );
    // Cut short: the CBOR ends inside an item.
    let bytes = cbor_bytes(VP1);
    let short = format!("VP1-B{}", base32(&bytes[..bytes.len() / 2]));
    assert!(matches!(
        qr::decode(&short),
        Err(QrError::Vp1 {
            source: Vp1Error::Cbor { .. }
        })
    ));
    // A context code the registry does not have: {1: [0x0f]}.
    let text = format!(
        "VP1-B{}",
        base32(&[0xd9, 0x05, 0x01, 0xa1, 0x01, 0x81, 0x0f])
    );
    assert_eq!(
        qr::decode(&text).unwrap_err(),
        vp1(Vp1Error::UnknownContextCode { code: 15 })
    );
    // A registered context Passerelle does not bundle (0x10, ActivityStreams), named.
    let text = format!("VP1-B{}", base32(&[0xd9, 0x05, 0x01, 0xa1, 0x00, 0x10]));
    assert_eq!(
        qr::decode(&text).unwrap_err(),
        vp1(Vp1Error::UnsupportedContext {
            url: "https://www.w3.org/ns/activitystreams".into()
        })
    );
    // A term code no applied context defines: {0: 0x21 (VC 2.0), 9998: 1}.
    let text = format!(
        "VP1-B{}",
        base32(&[0xd9, 0x05, 0x01, 0xa2, 0x00, 0x18, 0x21, 0x19, 0x27, 0x0e, 0x01])
    );
    assert_eq!(
        qr::decode(&text).unwrap_err(),
        vp1(Vp1Error::UnknownTermCode { code: 9998 })
    );
}

/// The CBOR-LD bytes of a `VP1-B…` text.
fn cbor_bytes(text: &str) -> Vec<u8> {
    let data = text.trim().strip_prefix("VP1-B").unwrap();
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in data.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32"),
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 4648 base32, no padding.
fn base32(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}
