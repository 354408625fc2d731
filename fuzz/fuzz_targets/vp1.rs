//! Fuzzes the reader of the DCC Learner Credential Wallet's `VP1-` QR codes (CBOR-LD). The
//! bytes are tried twice: as the text after `VP1-`, and as CBOR-LD bytes behind the tag the
//! wallet writes (0x0501), so that mutations reach the CBOR reader and the decompressor rather
//! than stopping at base32. Any panic is a bug; whatever decodes must be a JSON object within
//! the document cap, and decoding must be deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::qr::{self, vp1};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(&format!("{}{text}", vp1::VP1_PREFIX));
    }
    let mut bytes = vec![0xd9, 0x05, 0x01];
    bytes.extend_from_slice(data);
    check(&format!("{}B{}", vp1::VP1_PREFIX, base32(&bytes)));
});

fn check(text: &str) {
    let Ok(document) = vp1::decode(text) else {
        return;
    };
    assert!(document.is_object(), "a decoded VP1- code is one JSON object");
    let size = serde_json::to_vec(&document).expect("a Value serialises").len();
    assert!(size <= qr::MAX_DOCUMENT_BYTES);
    assert_eq!(vp1::decode(text).ok(), Some(document), "decoding is deterministic");
}

/// RFC 4648 base32 without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}
