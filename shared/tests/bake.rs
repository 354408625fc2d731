//! Baked badges: PNG and SVG round trips with real signed credentials (both proof formats),
//! independent readers (the `png` crate, quick-xml) on what we write, and every refusal.

use std::io::Write;

use chrono::{DateTime, Utc};
use passerelle_core::bake::{
    bake_png, bake_svg, extract, extract_png, extract_svg, BakeError, BakedCredential,
    MAX_CREDENTIAL_BYTES, SVG_NAMESPACE,
};
use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome};
use passerelle_core::{did, jose, model};
use quick_xml::events::Event;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Fixtures

fn key() -> KeyPair {
    KeyPair::from_seed(&[1; 32])
}

/// The sample badge issued by the did:key of [`key`], unsigned.
fn badge() -> Value {
    let mut doc = model::sample::data_literacy_badge();
    doc["issuer"]["id"] = Value::String(did::did_key(&key().public()).to_string());
    doc
}

fn sign_di(doc: &Value) -> Value {
    let key = key();
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    proof::sign(doc, &key, &options).expect("the sample badge signs")
}

/// A signed credential as pretty JSON text (several lines, key order as signed).
fn signed_json() -> String {
    serde_json::to_string_pretty(&sign_di(&badge())).expect("a Value serialises")
}

fn signed_jws() -> String {
    let key = key();
    jose::sign_vc_jwt(
        &badge(),
        &key,
        &did::did_key_verification_method(&key.public()),
    )
    .expect("the sample badge signs as a VC-JWT")
}

/// The credential text still verifies: parsed as the verifier does, the proof check passes.
fn assert_verifies(text: &str) {
    let presented =
        verify::parse_input(text.as_bytes(), &Default::default()).expect("extracted text parses");
    let now: DateTime<Utc> = "2026-07-01T00:00:00Z".parse().expect("a valid date");
    let report = verify::check(
        &presented,
        &Fetched::default(),
        now,
        &CheckOptions::default(),
    );
    let proof = report.check(CheckId::Proof).expect("a proof check");
    assert_eq!(proof.outcome, Outcome::Pass, "{:?}", report.to_json());
    // Nothing is fetched here, so the status list makes the verdict "incomplete"; no check fails.
    assert!(
        report.checks().iter().all(|c| c.outcome != Outcome::Fail),
        "{:#}",
        report.to_json()
    );
}

/// A 5×3 RGBA image with distinct pixels, encoded by the `png` crate.
fn pixels() -> Vec<u8> {
    (0..5 * 3 * 4).map(|i| (i * 17 % 256) as u8).collect()
}

fn sample_png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 5, 3);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .add_text_chunk("Title".into(), "badge".into())
            .expect("a tEXt chunk");
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&pixels()).expect("pixels");
    }
    out
}

/// Decodes with the `png` crate: the pixels and the iTXt chunks it saw.
fn decode(png_bytes: &[u8]) -> (Vec<u8>, Vec<png::text_metadata::ITXtChunk>) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().expect("the png crate reads the header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("the png crate decodes");
    buf.truncate(info.buffer_size());
    reader.finish().expect("the png crate reads to IEND");
    (buf, reader.info().utf8_text.clone())
}

fn chunk(chunk_type: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(chunk_type);
    hasher.update(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(chunk_type);
    out.extend_from_slice(data);
    out.extend_from_slice(&hasher.finalize().to_be_bytes());
    out
}

fn itxt(keyword: &str, compressed: bool, text: &[u8]) -> Vec<u8> {
    let mut data = keyword.as_bytes().to_vec();
    data.extend_from_slice(&[0, u8::from(compressed), 0, 0, 0]);
    data.extend_from_slice(text);
    chunk(b"iTXt", &data)
}

/// Inserts a raw chunk right after IHDR (signature 8 bytes + IHDR 25 bytes).
fn insert_after_ihdr(png_bytes: &[u8], raw_chunk: &[u8]) -> Vec<u8> {
    let mut out = png_bytes[..33].to_vec();
    out.extend_from_slice(raw_chunk);
    out.extend_from_slice(&png_bytes[33..]);
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("in-memory write");
    encoder.finish().expect("in-memory write")
}

const SVG: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<!-- A badge: a circle and a label. -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">
  <!-- the disc -->
  <circle cx="50" cy="50" r="40" fill="#1d4ed8"/>
  <text x="50" y="55" text-anchor="middle" fill="white">Data &amp; literacy</text>
</svg>
"##;

/// Reads an SVG with quick-xml on its own: well-formed, root `svg` and, when baked, a first
/// child element `credential` in the Open Badges namespace.
fn assert_well_formed_with_first_child(svg: &str) {
    let mut reader = quick_xml::NsReader::from_str(svg);
    let mut depth = 0;
    let mut first_child_seen = false;
    loop {
        let (resolved, event) = reader.read_resolved_event().expect("well-formed XML");
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if depth == 0 {
                    assert_eq!(e.local_name().as_ref(), b"svg");
                } else if depth == 1 && !first_child_seen {
                    first_child_seen = true;
                    assert_eq!(e.local_name().as_ref(), b"credential");
                    assert!(matches!(
                        resolved,
                        quick_xml::name::ResolveResult::Bound(ns) if ns.as_ref() == SVG_NAMESPACE.as_bytes()
                    ));
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0);
    assert!(first_child_seen);
}

/// Everything of the original SVG except the root start tag survives the baking.
fn assert_content_kept(original: &str, baked: &str) {
    for piece in [
        "<!-- A badge: a circle and a label. -->",
        "<!DOCTYPE svg",
        "<!-- the disc -->",
        r##"<circle cx="50" cy="50" r="40" fill="#1d4ed8"/>"##,
        "Data &amp; literacy</text>\n</svg>\n",
    ] {
        assert!(
            original.contains(piece) && baked.contains(piece),
            "{piece} lost"
        );
    }
    assert!(baked.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
}

// ---------------------------------------------------------------------------------------------
// PNG

#[test]
fn png_json_round_trip_is_exact_and_verifies() {
    let json = signed_json();
    let original = sample_png();
    let baked = bake_png(&original, &json).unwrap();
    let extracted = extract_png(&baked).unwrap().expect("a credential");
    assert_eq!(extracted, BakedCredential::Json(json.clone()));
    assert_eq!(extracted.as_str().as_bytes(), json.as_bytes());
    assert_verifies(extracted.as_str());
    assert_eq!(extract(&baked).unwrap(), Some(extracted));

    // An independent decoder: same pixels, and it sees our chunk as the spec writes it.
    let (before, _) = decode(&original);
    let (after, texts) = decode(&baked);
    assert_eq!(before, pixels());
    assert_eq!(after, before);
    let ours: Vec<_> = texts
        .iter()
        .filter(|t| t.keyword == "openbadgecredential")
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(!ours[0].compressed);
    assert_eq!(ours[0].language_tag, "");
    assert_eq!(ours[0].translated_keyword, "");
    assert_eq!(ours[0].get_text().unwrap(), json);
}

#[test]
fn png_chunk_goes_before_the_first_idat() {
    let baked = bake_png(&sample_png(), &signed_jws()).unwrap();
    let itxt_at = find(&baked, b"iTXtopenbadgecredential").expect("our chunk");
    let idat_at = find(&baked, b"IDAT").expect("an IDAT");
    assert!(itxt_at < idat_at);
    // The other chunks are kept (the tEXt chunk of the original).
    assert!(find(&baked, b"tEXtTitle").is_some());
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn png_jws_round_trip_is_exact_and_verifies() {
    let jws = signed_jws();
    let baked = bake_png(&sample_png(), &jws).unwrap();
    let extracted = extract(&baked).unwrap().expect("a credential");
    assert_eq!(extracted, BakedCredential::CompactJws(jws.clone()));
    assert_verifies(extracted.as_str());
    let (after, texts) = decode(&baked);
    assert_eq!(after, pixels());
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].get_text().unwrap(), jws);
}

#[test]
fn png_rebaking_replaces_the_credential() {
    let once = bake_png(&sample_png(), &signed_json()).unwrap();
    let jws = signed_jws();
    let twice = bake_png(&once, &jws).unwrap();
    assert_eq!(
        extract_png(&twice).unwrap(),
        Some(BakedCredential::CompactJws(jws.clone()))
    );
    assert_eq!(decode(&twice).1.len(), 1);
    // Re-baking the same credential gives the same bytes.
    assert_eq!(bake_png(&twice, &jws).unwrap(), twice);
}

#[test]
fn png_without_credential_gives_none() {
    assert_eq!(extract_png(&sample_png()).unwrap(), None);
    // An iTXt chunk with another keyword is not ours.
    let other = insert_after_ihdr(&sample_png(), &itxt("Description", false, b"hello"));
    assert_eq!(extract(&other).unwrap(), None);
    // A malformed text chunk of someone else's is not ours to judge.
    let other = insert_after_ihdr(&sample_png(), &chunk(b"iTXt", b"Comment\0\x07"));
    assert_eq!(extract(&other).unwrap(), None);
    let baked = bake_png(&other, &signed_jws()).unwrap();
    assert_eq!(extract(&baked).unwrap().unwrap().as_str(), signed_jws());
}

#[test]
fn png_compressed_itxt_is_accepted_on_extraction() {
    let json = signed_json();
    let png_bytes = insert_after_ihdr(
        &sample_png(),
        &itxt("openbadgecredential", true, &zlib(json.as_bytes())),
    );
    let (_, texts) = decode(&png_bytes);
    assert!(texts[0].compressed, "the png crate sees a compressed chunk");
    let extracted = extract_png(&png_bytes).unwrap().expect("a credential");
    assert_eq!(extracted.as_str(), json);
    assert_verifies(extracted.as_str());
    // Baking replaces it with an uncompressed chunk.
    let rebaked = bake_png(&png_bytes, &json).unwrap();
    let (_, texts) = decode(&rebaked);
    assert_eq!(texts.len(), 1);
    assert!(!texts[0].compressed);
}

#[test]
fn png_zip_bomb_stops_at_the_cap() {
    // 64 MiB of spaces inflate from about 64 KiB.
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![b' '; 1024 * 1024];
    for _ in 0..64 {
        encoder.write_all(&block).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 100 * 1024);
    let png_bytes = insert_after_ihdr(&sample_png(), &itxt("openbadgecredential", true, &bomb));
    assert!(matches!(
        extract_png(&png_bytes),
        Err(BakeError::PngInflatesTooLarge { limit, .. }) if limit == MAX_CREDENTIAL_BYTES
    ));
    // Corrupt zlib data is a named error too.
    let png_bytes = insert_after_ihdr(
        &sample_png(),
        &itxt("openbadgecredential", true, b"not zlib at all"),
    );
    assert!(matches!(
        extract_png(&png_bytes),
        Err(BakeError::PngBadZlib { .. })
    ));
}

#[test]
fn png_with_two_credentials_is_refused() {
    let baked = bake_png(&sample_png(), &signed_jws()).unwrap();
    let twice = insert_after_ihdr(
        &baked,
        &itxt("openbadgecredential", false, signed_jws().as_bytes()),
    );
    let err = extract_png(&twice).unwrap_err();
    assert!(
        matches!(err, BakeError::DuplicateCredential { image: "PNG", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("more than one"));
    assert!(matches!(
        bake_png(&twice, &signed_jws()),
        Err(BakeError::DuplicateCredential { .. })
    ));
}

#[test]
fn png_structure_errors_are_named() {
    let baked = bake_png(&sample_png(), &signed_jws()).unwrap();

    assert_eq!(extract_png(b"GIF89a...."), Err(BakeError::NotPng));
    assert_eq!(extract(b"GIF89a...."), Err(BakeError::NotAnImage));
    assert_eq!(extract(b""), Err(BakeError::NotAnImage));

    // Every truncation is an error, never a panic; most are "truncated".
    for len in 0..baked.len() {
        assert!(extract_png(&baked[..len]).is_err(), "prefix of {len} bytes");
    }
    assert!(matches!(
        extract_png(&baked[..baked.len() - 3]),
        Err(BakeError::PngTruncated { .. })
    ));
    assert!(matches!(
        extract_png(&baked[..baked.len() - 12]),
        Err(BakeError::PngNoIend)
    ));

    // A flipped bit in the pixel data: the IDAT CRC no longer matches.
    let idat = find(&baked, b"IDAT").unwrap();
    let mut corrupt = baked.clone();
    corrupt[idat + 5] ^= 0x01;
    let err = extract_png(&corrupt).unwrap_err();
    assert!(
        matches!(&err, BakeError::PngBadCrc { chunk_type, .. } if chunk_type == "IDAT"),
        "{err}"
    );
    assert!(matches!(
        bake_png(&corrupt, &signed_jws()),
        Err(BakeError::PngBadCrc { .. })
    ));
    // A flipped bit in our own chunk's text.
    let ours = find(&baked, b"openbadgecredential").unwrap();
    let mut corrupt = baked.clone();
    corrupt[ours + 30] ^= 0x01;
    assert!(matches!(
        extract_png(&corrupt),
        Err(BakeError::PngBadCrc { chunk_type, .. }) if chunk_type == "iTXt"
    ));

    // Bytes after IEND.
    let mut trailing = baked.clone();
    trailing.extend_from_slice(b"junk");
    assert!(matches!(
        extract_png(&trailing),
        Err(BakeError::PngDataAfterIend { extra: 4, .. })
    ));

    // A length beyond 2^31 - 1, and a chunk type that is not letters.
    let mut huge = baked.clone();
    huge[33..37].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    assert!(matches!(
        extract_png(&huge),
        Err(BakeError::PngChunkTooLong { offset: 33, .. })
    ));
    let mut bad_type = baked.clone();
    bad_type[37] = b'1';
    assert!(matches!(
        extract_png(&bad_type),
        Err(BakeError::PngBadChunkType { offset: 33, .. })
    ));

    // First chunk not IHDR.
    let mut no_ihdr = baked[..8].to_vec();
    no_ihdr.extend_from_slice(&baked[33..]);
    assert!(matches!(
        extract_png(&no_ihdr),
        Err(BakeError::PngNoIhdr { .. })
    ));

    // Malformed iTXt of ours: no NULs after the keyword.
    let mut data = b"openbadgecredential\0\0".to_vec();
    data.truncate(21);
    let bad = insert_after_ihdr(&sample_png(), &chunk(b"iTXt", &data));
    assert!(matches!(
        extract_png(&bad),
        Err(BakeError::PngBadItxt { .. })
    ));
    // Text that is not UTF-8.
    let bad = insert_after_ihdr(
        &sample_png(),
        &itxt("openbadgecredential", false, b"{\"a\":\"\xff\"}"),
    );
    assert!(matches!(
        extract_png(&bad),
        Err(BakeError::CredentialNotUtf8 { offset: 6 })
    ));
    // Text that is neither JSON nor a JWS.
    let bad = insert_after_ihdr(
        &sample_png(),
        &itxt(
            "openbadgecredential",
            false,
            b"https://example.org/assertion",
        ),
    );
    assert!(matches!(
        extract_png(&bad),
        Err(BakeError::UnrecognisedCredential { .. })
    ));
}

#[test]
fn credentials_are_checked_before_baking() {
    let png_bytes = sample_png();
    assert_eq!(
        bake_png(&png_bytes, "  \n"),
        Err(BakeError::EmptyCredential)
    );
    assert!(matches!(
        bake_png(&png_bytes, "{\"a\": "),
        Err(BakeError::InvalidJsonCredential(_))
    ));
    assert!(matches!(
        bake_svg(SVG, "not a credential"),
        Err(BakeError::UnrecognisedCredential { .. })
    ));
    // U+FFFF is valid in JSON text but not in an XML document: refused for SVG only.
    let not_xml = "{\"name\":\"\u{ffff}\"}";
    assert_eq!(
        bake_svg(SVG, not_xml),
        Err(BakeError::SvgCredentialNotXml {
            character: '\u{ffff}'
        })
    );
    assert!(bake_png(&png_bytes, not_xml).is_ok());
    let too_big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_CREDENTIAL_BYTES));
    assert!(matches!(
        bake_png(&png_bytes, &too_big),
        Err(BakeError::CredentialTooLarge { .. })
    ));
    assert!(matches!(
        bake_png(&vec![0; 11 * 1024 * 1024], &signed_jws()),
        Err(BakeError::ImageTooLarge { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// SVG

#[test]
fn svg_json_round_trip_is_exact_and_verifies() {
    let json = signed_json();
    let baked = bake_svg(SVG, &json).unwrap();
    assert_well_formed_with_first_child(&baked);
    assert_content_kept(SVG, &baked);
    assert!(baked.contains(&format!("xmlns:openbadges=\"{SVG_NAMESPACE}\"")));
    assert!(baked.contains("<openbadges:credential><![CDATA[{"));
    let extracted = extract_svg(&baked).unwrap().expect("a credential");
    assert_eq!(extracted, BakedCredential::Json(json.clone()));
    assert_verifies(extracted.as_str());
    assert_eq!(extract(baked.as_bytes()).unwrap(), Some(extracted));
}

#[test]
fn svg_jws_goes_in_the_verify_attribute() {
    let jws = signed_jws();
    let baked = bake_svg(SVG, &jws).unwrap();
    assert_well_formed_with_first_child(&baked);
    assert_content_kept(SVG, &baked);
    assert!(baked.contains(&format!(
        "<openbadges:credential verify=\"{jws}\"></openbadges:credential>"
    )));
    let extracted = extract_svg(&baked).unwrap().expect("a credential");
    assert_eq!(extracted, BakedCredential::CompactJws(jws));
    assert_verifies(extracted.as_str());
}

#[test]
fn svg_cdata_terminator_in_the_credential_survives() {
    let mut doc = badge();
    doc["name"] = Value::String("Tricky ]]> name with <tags> & ]]]]> more".into());
    let json = serde_json::to_string(&sign_di(&doc)).unwrap();
    assert!(json.contains("]]>"));
    let baked = bake_svg(SVG, &json).unwrap();
    assert_well_formed_with_first_child(&baked);
    let extracted = extract_svg(&baked).unwrap().expect("a credential");
    assert_eq!(extracted.as_str(), json);
    assert_verifies(extracted.as_str());
    // And through PNG, where nothing needs escaping.
    let png_baked = bake_png(&sample_png(), &json).unwrap();
    assert_eq!(extract(&png_baked).unwrap().unwrap().as_str(), json);
}

#[test]
fn svg_rebaking_replaces_and_keeps_one_declaration() {
    let once = bake_svg(SVG, &signed_json()).unwrap();
    let jws = signed_jws();
    let twice = bake_svg(&once, &jws).unwrap();
    assert_well_formed_with_first_child(&twice);
    assert_eq!(twice.matches("<openbadges:credential").count(), 1);
    assert_eq!(twice.matches("xmlns:openbadges=").count(), 1);
    assert_eq!(
        extract_svg(&twice).unwrap(),
        Some(BakedCredential::CompactJws(jws.clone()))
    );
    assert_eq!(bake_svg(&twice, &jws).unwrap(), twice);
}

#[test]
fn svg_self_closing_root_and_prefixes() {
    let jws = signed_jws();
    let baked = bake_svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", &jws).unwrap();
    assert_well_formed_with_first_child(&baked);
    assert_eq!(extract_svg(&baked).unwrap().unwrap().as_str(), jws);

    // A prefixed root: `svg:svg` closes as `svg:svg`.
    let baked = bake_svg("<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\" />", &jws).unwrap();
    assert!(baked.ends_with("</svg:svg>"), "{baked}");
    assert_well_formed_with_first_child(&baked);

    // Another prefix bound to the Open Badges namespace is recognised on extraction.
    let other = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:ob=\"{SVG_NAMESPACE}\">\
         <ob:credential verify=\"{jws}\"/></svg>"
    );
    assert_eq!(extract_svg(&other).unwrap().unwrap().as_str(), jws);
    // The element name alone, in the wrong namespace, is not ours.
    let wrong = format!(
        "<svg xmlns:openbadges=\"http://openbadges.org\"><openbadges:credential verify=\"{jws}\"/></svg>"
    );
    assert_eq!(extract_svg(&wrong).unwrap(), None);
    // Baking there would bind the prefix twice: refused with the conflicting value.
    assert!(matches!(
        bake_svg(&wrong, &jws),
        Err(BakeError::SvgPrefixConflict { found }) if found == "http://openbadges.org"
    ));
}

#[test]
fn svg_in_the_specification_layout_is_read() {
    // As in the specification's example: white space and indentation around the CDATA.
    let json = signed_json();
    let svg = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"\n  \
         xmlns:openbadges=\"{SVG_NAMESPACE}\"\n  viewBox=\"0 0 512 512\">\n  \
         <openbadges:credential>\n    <![CDATA[{json}]]>\n  </openbadges:credential>\n\n  \
         <!-- rest-of-image -->\n</svg>\n"
    );
    let extracted = extract_svg(&svg).unwrap().expect("a credential");
    assert_eq!(extracted.as_str(), json);
    assert_verifies(extracted.as_str());

    // JWS form, and a JWS written as escaped text rather than an attribute.
    let jws = signed_jws();
    let svg = format!(
        "<svg xmlns:openbadges=\"{SVG_NAMESPACE}\">\n  \
         <openbadges:credential verify=\"{jws}\"></openbadges:credential>\n</svg>"
    );
    assert_eq!(extract_svg(&svg).unwrap().unwrap().as_str(), jws);
    let svg = format!(
        "<svg xmlns:openbadges=\"{SVG_NAMESPACE}\"><openbadges:credential>\n {jws}\n</openbadges:credential></svg>"
    );
    assert_eq!(
        extract_svg(&svg).unwrap(),
        Some(BakedCredential::CompactJws(jws.clone()))
    );
    // A BOM before the document is allowed by `extract`.
    let with_bom = format!("\u{feff}{svg}");
    assert!(extract(with_bom.as_bytes()).unwrap().is_some());
    // `bake_svg` keeps a byte order mark where it was.
    let baked = bake_svg(&format!("\u{feff}{SVG}"), &jws).unwrap();
    assert!(baked.starts_with("\u{feff}<?xml"));
    assert_eq!(extract_svg(&baked).unwrap().unwrap().as_str(), jws);
    // An empty element holds nothing.
    let svg = format!("<svg xmlns:openbadges=\"{SVG_NAMESPACE}\"><openbadges:credential/></svg>");
    assert_eq!(extract_svg(&svg).unwrap(), None);
    assert_eq!(extract_svg(SVG).unwrap(), None);
}

#[test]
fn svg_errors_are_named() {
    let jws = signed_jws();
    let ns = SVG_NAMESPACE;
    assert!(matches!(
        bake_svg("<html><body/></html>", &jws),
        Err(BakeError::SvgRootNotSvg { found }) if found == "html"
    ));
    assert!(matches!(
        bake_svg("<?xml version=\"1.0\"?><!-- nothing -->", &jws),
        Err(BakeError::SvgNoRoot)
    ));
    assert!(matches!(
        bake_svg("<svg><g></svg>", &jws),
        Err(BakeError::SvgMalformed { .. })
    ));
    assert!(matches!(
        extract_svg("<svg><g>"),
        Err(BakeError::SvgMalformed { .. })
    ));
    assert!(matches!(
        extract_svg("<svg a=\"1\" a=\"2\"/>"),
        Err(BakeError::SvgMalformed { .. })
    ));
    assert!(matches!(
        extract_svg("<svg/><svg/>"),
        Err(BakeError::SvgContentAfterRoot { .. })
    ));
    assert!(matches!(
        extract_svg("<svg/>text"),
        Err(BakeError::SvgMalformed { .. })
    ));
    // Characters XML forbids, and a root whose name only ends in "svg".
    assert!(matches!(
        extract_svg("<svg>\u{0}</svg>"),
        Err(BakeError::SvgMalformed { position: 5, .. })
    ));
    assert!(matches!(
        bake_svg("<a/b:svg/>", &jws),
        Err(BakeError::SvgRootNotSvg { .. })
    ));
    assert!(matches!(
        extract(b"<svg>\xff</svg>"),
        Err(BakeError::SvgNotUtf8 { offset: 5 })
    ));
    let duplicate = format!(
        "<svg xmlns:openbadges=\"{ns}\"><openbadges:credential verify=\"{jws}\"/>\
         <g><openbadges:credential verify=\"{jws}\"/></g></svg>"
    );
    let err = extract_svg(&duplicate).unwrap_err();
    assert!(
        matches!(err, BakeError::DuplicateCredential { image: "SVG", .. }),
        "{err}"
    );
    assert!(matches!(
        bake_svg(&duplicate, &jws),
        Err(BakeError::DuplicateCredential { .. })
    ));
    let ambiguous = format!(
        "<svg xmlns:openbadges=\"{ns}\"><openbadges:credential verify=\"{jws}\">{jws}</openbadges:credential></svg>"
    );
    assert!(matches!(
        extract_svg(&ambiguous),
        Err(BakeError::SvgCredentialAmbiguous { .. })
    ));
    let children = format!(
        "<svg xmlns:openbadges=\"{ns}\"><openbadges:credential><g/></openbadges:credential></svg>"
    );
    assert!(matches!(
        extract_svg(&children),
        Err(BakeError::SvgCredentialHasChildren { .. })
    ));
    let bad_entity = format!(
        "<svg xmlns:openbadges=\"{ns}\"><openbadges:credential>&nope;</openbadges:credential></svg>"
    );
    assert!(matches!(
        extract_svg(&bad_entity),
        Err(BakeError::SvgBadCredentialText { what: "text", .. })
    ));
    let not_credential = format!(
        "<svg xmlns:openbadges=\"{ns}\"><openbadges:credential><![CDATA[hello]]></openbadges:credential></svg>"
    );
    assert!(matches!(
        extract_svg(&not_credential),
        Err(BakeError::UnrecognisedCredential { .. })
    ));
}
