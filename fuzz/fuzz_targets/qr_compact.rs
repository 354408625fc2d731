//! Fuzzes the QR compact forms (`VC1:`, `VC2:`) with untrusted bytes, three ways:
//! - the bytes as scanned text, with and without each prefix: `qr::decode` must answer a payload
//!   or an error, never panic, and never give a document over the cap;
//! - the bytes as the Base45-decoded `VC2:` body (form byte, DEFLATE data), so that the inflater
//!   and the JWS parts reader see arbitrary data behind valid Base45;
//! - the bytes (as text) as a document: `VC2:` encoding then decoding gives it back exactly,
//!   and encoding is deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::qr::{self, QrPayload, MAX_DOCUMENT_BYTES};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for candidate in [
        text.to_string(),
        format!("{}{text}", qr::COMPACT_PREFIX),
        format!("{}{text}", qr::COMPACT_PREFIX_V2),
        format!("{}{}", qr::COMPACT_PREFIX_V2, base45::encode(data)),
    ] {
        if let Ok(QrPayload::Document(document)) = qr::decode(&candidate) {
            assert!(document.len() <= MAX_DOCUMENT_BYTES);
        }
    }
    let encoded = qr::vc2::encode(&text);
    assert_eq!(encoded, qr::vc2::encode(&text), "deterministic");
    match qr::decode(&encoded) {
        // Base45 never ends in a space, so trimming the scanned text takes nothing from it.
        Ok(QrPayload::Document(back)) => assert_eq!(back, text, "VC2 gives back the bytes"),
        other => panic!("VC2 of {} bytes did not decode: {other:?}", text.len()),
    }
});
