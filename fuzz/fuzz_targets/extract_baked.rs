//! Fuzzes baked-image extraction with untrusted bytes (PNG or SVG, sniffed), then checks that
//! whatever came out can be baked back into the same image and extracted again unchanged.
//! Any panic is a bug: a malformed image must come back as an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::bake::{self, BakeError, BakedCredential};

/// A compact JWS shape, for baking into images that hold no credential yet.
const JWS: &str = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fuzz_target!(|data: &[u8]| {
    round_trip(data);
    // The fuzzer cannot forge CRC-32s, so a mutated PNG almost never gets past them: also try
    // the input with every chunk's CRC recomputed, to reach the chunk parsers behind the check.
    if let Some(repaired) = with_recomputed_crcs(data) {
        round_trip(&repaired);
    }
});

fn round_trip(data: &[u8]) {
    let Ok(found) = bake::extract(data) else {
        return;
    };
    let credential = found.unwrap_or_else(|| BakedCredential::CompactJws(JWS.to_owned()));
    if data.starts_with(PNG_SIGNATURE) {
        // Extraction checked the whole structure, so baking must succeed (unless an inflated
        // credential pushes the image past its cap) and round-trip.
        match bake::bake_png(data, credential.as_str()) {
            Ok(baked) => {
                let again = bake::extract_png(&baked).expect("a baked PNG extracts");
                assert_eq!(again.as_ref(), Some(&credential));
            }
            Err(BakeError::ImageTooLarge { .. }) => {}
            Err(e) => panic!("a PNG that extracts does not bake: {e}"),
        }
    } else {
        let svg = std::str::from_utf8(data).expect("an SVG that extracts is UTF-8");
        // Baking may still refuse (e.g. the root binds `openbadges` to another namespace, or
        // the credential holds a character XML forbids); when it succeeds, the result must
        // hold exactly that credential.
        if let Ok(baked) = bake::bake_svg(svg, credential.as_str()) {
            let again = bake::extract_svg(&baked).expect("a baked SVG extracts");
            assert_eq!(again.as_ref(), Some(&credential));
        }
    }
}

/// The input with each complete chunk's CRC set to the right value; `None` if not PNG-like.
fn with_recomputed_crcs(data: &[u8]) -> Option<Vec<u8>> {
    if !data.starts_with(PNG_SIGNATURE) {
        return None;
    }
    let mut out = data.to_vec();
    let mut offset = PNG_SIGNATURE.len();
    while let Some(length_bytes) = out.get(offset..offset + 4) {
        let length = u32::from_be_bytes(length_bytes.try_into().ok()?) as usize;
        let end = offset.checked_add(12)?.checked_add(length)?;
        if end > out.len() {
            break;
        }
        let crc = crc32fast::hash(&out[offset + 4..end - 4]);
        out[end - 4..end].copy_from_slice(&crc.to_be_bytes());
        offset = end;
    }
    (out != data).then_some(out)
}
