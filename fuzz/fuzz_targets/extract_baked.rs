//! Fuzzes baked-image extraction with untrusted bytes (PNG or SVG, sniffed), then checks that
//! whatever came out can be baked back into the same image and extracted again unchanged.
//! Any panic is a bug: a malformed image must come back as an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::bake::{self, BakeError, BakedCredential};

/// A compact JWS shape, for baking into images that hold no credential yet.
const JWS: &str = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

fuzz_target!(|data: &[u8]| {
    let Ok(found) = bake::extract(data) else {
        return;
    };
    let is_png = data.starts_with(b"\x89PNG\r\n\x1a\n");
    let credential = found
        .clone()
        .unwrap_or_else(|| BakedCredential::CompactJws(JWS.to_owned()));
    if is_png {
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
        // Baking may still refuse (e.g. the root binds `openbadges` to another namespace);
        // when it succeeds, the result must hold exactly that credential.
        if let Ok(baked) = bake::bake_svg(svg, credential.as_str()) {
            let again = bake::extract_svg(&baked).expect("a baked SVG extracts");
            assert_eq!(again.as_ref(), Some(&credential));
        }
    }
});
