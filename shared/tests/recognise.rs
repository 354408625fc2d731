//! `verify::recognise`: every input kind a front door accepts, recognised by the one core entry
//! point, and every refusal naming what was recognised.

use passerelle_core::bake::{bake_png, bake_svg};
use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::qr;
use passerelle_core::verify::{
    self, Form, ImageKind, Presented, RecogniseError, Recognised, Recovered,
};
use passerelle_core::{did, jose, model};
use serde_json::{json, Value};

fn key() -> KeyPair {
    KeyPair::from_seed(&[9; 32])
}

fn badge() -> Value {
    let mut doc = model::sample::data_literacy_badge();
    doc["issuer"]["id"] = Value::String(did::did_key(&key().public()).to_string());
    doc
}

fn signed_json() -> String {
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key().public()),
        "2026-06-30T12:00:00Z",
    );
    serde_json::to_string(&proof::sign(&badge(), &key(), &options).unwrap()).unwrap()
}

fn signed_jws() -> String {
    jose::sign_vc_jwt(
        &badge(),
        &key(),
        &did::did_key_verification_method(&key().public()),
    )
    .unwrap()
}

/// A PNG with no credential and no QR code.
fn plain_png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 4, 4);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0x80; 4 * 4 * 3]).unwrap();
    }
    out
}

const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\"></svg>";

fn document(recognised: Recognised) -> Recovered {
    match recognised {
        Recognised::Document(recovered) => recovered,
        other => panic!("expected a document, got {other:?}"),
    }
}

fn kind(presented: &Presented) -> &'static str {
    match presented {
        Presented::Credential(_) => "credential",
        Presented::Presentation(_) => "presentation",
        Presented::Jws(_) => "jws",
        _ => "other",
    }
}

#[test]
fn every_input_kind_is_recognised_as_the_document_it_carries() {
    let json_text = signed_json();
    let jws = signed_jws();
    let enveloped = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": format!("data:application/vc+jwt,{jws}"),
    })
    .to_string();
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [serde_json::from_str::<Value>(&json_text).unwrap()],
    })
    .to_string();
    let qr_json = qr::encode_compact(&json_text).unwrap();
    let cases: Vec<(&str, Vec<u8>, Form, &str, &str)> = vec![
        (
            "JSON",
            json_text.clone().into_bytes(),
            Form::Json,
            "credential",
            &json_text,
        ),
        (
            "JSON with a BOM and spaces",
            format!("\u{feff}  {json_text}\n").into_bytes(),
            Form::Json,
            "credential",
            &json_text,
        ),
        (
            "presentation",
            presentation.clone().into_bytes(),
            Form::Json,
            "presentation",
            &presentation,
        ),
        (
            "compact JWS",
            jws.clone().into_bytes(),
            Form::CompactJws,
            "jws",
            &jws,
        ),
        (
            "enveloped credential",
            enveloped.into_bytes(),
            Form::Enveloped,
            "jws",
            &jws,
        ),
        (
            "bare data: URL",
            format!("data:application/vc+jwt,{jws}").into_bytes(),
            Form::Enveloped,
            "jws",
            &jws,
        ),
        (
            "baked PNG (JSON)",
            bake_png(&plain_png(), &json_text).unwrap(),
            Form::BakedPng,
            "credential",
            &json_text,
        ),
        (
            "baked PNG (JWS)",
            bake_png(&plain_png(), &jws).unwrap(),
            Form::BakedPng,
            "jws",
            &jws,
        ),
        (
            "baked SVG",
            bake_svg(SVG, &json_text).unwrap().into_bytes(),
            Form::BakedSvg,
            "credential",
            &json_text,
        ),
        (
            "QR text",
            qr_json.clone().into_bytes(),
            Form::QrText,
            "credential",
            &json_text,
        ),
        (
            "QR image",
            qr::render_png(&qr_json, 3).unwrap(),
            Form::QrImage,
            "credential",
            &json_text,
        ),
    ];
    for (name, bytes, form, presented, text) in cases {
        let recovered = match verify::recognise(&bytes, &Default::default()) {
            Ok(recognised) => document(recognised),
            Err(e) => panic!("{name}: {e}"),
        };
        assert_eq!(recovered.form, form, "{name}");
        assert_eq!(kind(&recovered.presented), presented, "{name}");
        assert_eq!(
            recovered.text.trim(),
            text,
            "{name}: the exact document text"
        );
    }
}

#[test]
fn a_link_is_handed_back_to_fetch_and_its_body_recognised_once() {
    let link = "https://issuer.example/claim/abc";
    for (name, bytes, from) in [
        ("typed link", link.as_bytes().to_vec(), Form::Link),
        (
            "QR image of a link",
            qr::render_png(link, 3).unwrap(),
            Form::QrImage,
        ),
    ] {
        assert_eq!(
            verify::recognise(&bytes, &Default::default()).unwrap(),
            Recognised::Link {
                url: link.into(),
                from
            },
            "{name}"
        );
    }
    let jws = signed_jws();
    let fetched = verify::recognise_fetched(link, jws.as_bytes(), &Default::default()).unwrap();
    assert_eq!(
        (fetched.form, fetched.text.as_str()),
        (Form::Link, jws.as_str())
    );
    let baked = bake_png(&plain_png(), &jws).unwrap();
    let fetched = verify::recognise_fetched(link, &baked, &Default::default()).unwrap();
    assert_eq!(fetched.form, Form::BakedPng);
    for body in [
        link.as_bytes().to_vec(),
        qr::encode_compact(&signed_json()).unwrap().into_bytes(),
    ] {
        assert_eq!(
            verify::recognise_fetched(link, &body, &Default::default()),
            Err(RecogniseError::LinkLoop { url: link.into() })
        );
    }
}

#[test]
fn every_refusal_names_what_was_recognised_and_why() {
    let limits = Default::default();
    let check = |bytes: &[u8], expected: RecogniseError, words: &str| {
        let error = verify::recognise(bytes, &limits).unwrap_err();
        assert_eq!(error, expected);
        assert!(error.to_string().contains(words), "{error}");
    };
    check(b" \n ", RecogniseError::Empty, "nothing");
    check(
        &plain_png(),
        RecogniseError::NothingInImage {
            image: ImageKind::Png,
        },
        "PNG image carries no baked credential and no readable QR code",
    );
    check(
        SVG.as_bytes(),
        RecogniseError::NothingInImage {
            image: ImageKind::Svg,
        },
        "SVG image",
    );
    check(
        b"VC1:not-base45!",
        RecogniseError::QrText {
            source: qr::decode("VC1:not-base45!").unwrap_err(),
        },
        "QR text",
    );
    let not_jws = json!({
        "type": "EnvelopedVerifiableCredential",
        "id": "data:text/plain,hello",
    });
    check(
        not_jws.to_string().as_bytes(),
        RecogniseError::Enveloped,
        "data:application/vc+jwt",
    );
    check(
        b"junk",
        RecogniseError::NotACredential {
            source: verify::VerifyInputError::UnknownFormat,
        },
        "input is neither JSON nor a compact JWS",
    );
    let error = verify::recognise(b"{\"a\": ", &limits).unwrap_err();
    assert!(
        matches!(
            error,
            RecogniseError::Document {
                form: Form::Json,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("the JSON is not a readable credential"),
        "{error}"
    );
    let error = verify::recognise(b"\xff\xfe junk", &limits).unwrap_err();
    assert!(
        matches!(error, RecogniseError::Unreadable { .. }),
        "{error:?}"
    );
    let error = verify::recognise(&vec![b' '; 2 * 1024 * 1024], &limits).unwrap_err();
    assert!(
        matches!(
            error,
            RecogniseError::TooLarge {
                what: "document",
                ..
            }
        ),
        "{error:?}"
    );
    let svg_without_root = "<nothing";
    let error = verify::recognise(svg_without_root.as_bytes(), &limits).unwrap_err();
    assert!(
        matches!(
            error,
            RecogniseError::Baked {
                image: ImageKind::Svg,
                ..
            } | RecogniseError::NothingInImage {
                image: ImageKind::Svg
            }
        ),
        "{error:?}"
    );
}

/// Issue 12.4: the QR code an issuer's claim page offers as SVG (drawn by `qr::render_svg`)
/// carries no baked credential; it is rasterised and its code read.
#[test]
fn a_qr_code_drawn_in_svg_is_rasterised_and_read() {
    let signed = signed_json();
    let svg = qr::render_svg(&qr::encode_compact(&signed).unwrap()).unwrap();
    let Recognised::Document(found) =
        verify::recognise(svg.as_bytes(), &Default::default()).unwrap()
    else {
        panic!("a document is expected");
    };
    assert_eq!(found.form, Form::QrImage);
    assert_eq!(found.text, signed);
    // A link in the SVG's code is a link to fetch.
    let svg = qr::render_svg("https://learn.example/claim/abc").unwrap();
    assert_eq!(
        verify::recognise(svg.as_bytes(), &Default::default()).unwrap(),
        Recognised::Link {
            url: "https://learn.example/claim/abc".into(),
            from: Form::QrImage
        }
    );
}

/// Issue 11.3: a baked PNG's credential is read from its chunk, whatever the pixels would
/// cost: a header claiming 16,000 × 16,000 RGBA (1 GB decoded) does not stop it, while a scan
/// of the same image is refused from the header.
#[test]
fn a_baked_png_is_read_without_decoding_its_pixels() {
    let signed = signed_json();
    let mut png = bake_png(&plain_png(), &signed).unwrap();
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&16_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&16_000u32.to_be_bytes());
    png[24] = 8; // bit depth
    png[25] = 6; // RGBA
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let Recognised::Document(found) = verify::recognise(&png, &Default::default()).unwrap() else {
        panic!("a document is expected");
    };
    assert_eq!(found.form, Form::BakedPng);
    assert_eq!(found.text, signed);
    assert!(matches!(
        qr::scan(&png),
        Err(qr::QrError::OverBudget { .. } | qr::QrError::ImageTooLarge { .. })
    ));
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
