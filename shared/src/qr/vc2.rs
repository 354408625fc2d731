//! The `VC2:` compact form: `VC2:` + Base45(form byte ‖ raw DEFLATE over a preset dictionary).
//!
//! Byte-exact like `VC1:`: what is decoded is the document exactly as signed, so every proof
//! (eddsa-rdfc-2022, eddsa-jcs-2022, a compact JWS) verifies unchanged. It is smaller than `VC1:`
//! for two reasons:
//! - **a preset dictionary** ([`DICTIONARY`]) of Open Badges 3.0 / VC Data Model 2.0 vocabulary:
//!   the terms and type names of the bundled contexts and a generic credential skeleton (context
//!   URLs, the usual properties in their usual nesting, a Data Integrity proof). The compressor
//!   starts with it in its window, so a credential's property names, types and context URLs cost
//!   a few bits each. No zlib header or Adler-32 either (Base45 and the proof already catch
//!   damage);
//! - **a compact JWS is carried as its three decoded parts** (form 1), when Base64url re-encoding
//!   gives back exactly the same text: the JSON payload then compresses like JSON, where its
//!   Base64url text hardly compresses at all.
//!
//! The data is a DEFLATE stream (RFC 1951) whose back-references may reach into the
//! dictionary, i.e. what zlib's `inflateSetDictionary` on a raw stream reads: any DEFLATE
//! implementation with a preset dictionary decodes it. The dictionary is fixed forever: a new
//! one would be a new prefix (`VC3:`), and a test pins its SHA-256.
//!
//! Forms (the first byte after Base45 decoding):
//! - `0`: the document's UTF-8 bytes;
//! - `1`: a compact JWS: LEB128 length of the decoded header, LEB128 length of the decoded
//!   payload, the header, the payload, the signature (the rest), each Base64url-encoded without
//!   padding and joined with `.` when decoding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use miniz_oxide::deflate::core::{
    compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use super::{QrError, MAX_DOCUMENT_BYTES};

/// The prefix of the `VC2:` compact form.
pub const PREFIX: &str = "VC2:";

/// The preset dictionary of `VC2:`, fixed forever (its SHA-256 is [`DICTIONARY_SHA256`]). Built
/// from the bundled contexts and a generic OB 3.0 credential skeleton; how, in
/// `shared/src/qr/VC2-DICTIONARY.md`.
pub const DICTIONARY: &[u8] = include_bytes!("vc2-dictionary.txt");

/// Lower-case hex SHA-256 of [`DICTIONARY`].
pub const DICTIONARY_SHA256: &str =
    "bf743b86e24347068690ae2edf09163a97cef745ddb2a6749dc440ba56eff09e";

/// Form byte: the document's bytes.
const FORM_BYTES: u8 = 0;
/// Form byte: a compact JWS's three decoded parts.
const FORM_JWS: u8 = 1;

/// miniz_oxide's highest level (its "uber" compression), raw DEFLATE (negative window bits).
const LEVEL: i32 = 10;
const RAW_WINDOW_BITS: i32 = -15;

/// The `VC2:` form of `document`, whatever its size: [`super::encode_compact_v2`] also checks
/// that it fits in a QR code.
pub fn encode(document: &str) -> String {
    let mut body = vec![FORM_BYTES];
    body.extend(deflate(document.as_bytes()));
    if let Some(parts) = jws_parts(document) {
        let mut jws = vec![FORM_JWS];
        jws.extend(deflate(&parts));
        if jws.len() < body.len() {
            body = jws;
        }
    }
    format!("{PREFIX}{}", base45::encode(body))
}

/// The document carried by `data`, the text after [`PREFIX`].
pub(super) fn decode(data: &str) -> Result<String, QrError> {
    let body = base45::decode(data).map_err(|_| QrError::Vc2Base45)?;
    let (&form, compressed) = body.split_first().ok_or(QrError::Vc2Form { form: None })?;
    match form {
        FORM_BYTES => {
            let inflated = inflate(compressed)?;
            String::from_utf8(inflated).map_err(|e| QrError::NotUtf8 {
                offset: e.utf8_error().valid_up_to(),
            })
        }
        FORM_JWS => {
            let parts = inflate(compressed)?;
            let jws = join_jws(&parts)?;
            if jws.len() > MAX_DOCUMENT_BYTES {
                return Err(QrError::DocumentTooLarge);
            }
            Ok(jws)
        }
        other => Err(QrError::Vc2Form { form: Some(other) }),
    }
}

/// `bytes` compressed as raw DEFLATE with [`DICTIONARY`] already in the window.
///
/// miniz_oxide has no `deflateSetDictionary`, so the dictionary is compressed first and ended
/// with a sync flush, which closes the block on a byte boundary and keeps the window; what
/// follows is a DEFLATE stream of its own whose matches may reach back into the dictionary:
/// exactly what a compressor given the preset dictionary writes. The output before the flush is
/// dropped.
fn deflate(bytes: &[u8]) -> Vec<u8> {
    let flags = create_comp_flags_from_zip_params(LEVEL, RAW_WINDOW_BITS, 0);
    let mut compressor = CompressorOxide::new(flags);
    // The dictionary's own output is discarded; the callbacks accept every buffer.
    let (status, _) = compress_to_output(&mut compressor, DICTIONARY, TDEFLFlush::Sync, |_| true);
    debug_assert_eq!(status, TDEFLStatus::Okay);
    let mut out = Vec::with_capacity(bytes.len() / 2 + 16);
    let (status, _) = compress_to_output(&mut compressor, bytes, TDEFLFlush::Finish, |chunk| {
        out.extend_from_slice(chunk);
        true
    });
    debug_assert_eq!(status, TDEFLStatus::Done);
    out
}

/// Inflates `compressed` with [`DICTIONARY`] as its history, to at most
/// [`MAX_DOCUMENT_BYTES`]: the output buffer holds the dictionary and then the document, and
/// grows in steps, so a bomb costs at most the cap.
fn inflate(compressed: &[u8]) -> Result<Vec<u8>, QrError> {
    let start = DICTIONARY.len();
    let limit = start + MAX_DOCUMENT_BYTES;
    let mut out = DICTIONARY.to_vec();
    out.resize(start + (16 * 1024).min(MAX_DOCUMENT_BYTES) + 1, 0);
    let mut decompressor = DecompressorOxide::new();
    let (mut in_pos, mut out_pos) = (0, start);
    loop {
        let (status, read, written) = decompress(
            &mut decompressor,
            &compressed[in_pos..],
            &mut out,
            out_pos,
            inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
        );
        in_pos += read;
        out_pos += written;
        if out_pos - start > MAX_DOCUMENT_BYTES {
            return Err(QrError::DocumentTooLarge);
        }
        match status {
            TINFLStatus::Done => {
                if in_pos != compressed.len() {
                    return Err(QrError::Vc2TrailingBytes {
                        extra: compressed.len() - in_pos,
                    });
                }
                out.truncate(out_pos);
                return Ok(out.split_off(start));
            }
            TINFLStatus::HasMoreOutput => {
                // One byte past the cap, so that a stream which goes on is seen going on.
                let grown = (out.len() * 2).min(limit + 1);
                if grown <= out.len() {
                    return Err(QrError::DocumentTooLarge);
                }
                out.resize(grown, 0);
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
                return Err(QrError::Vc2Truncated)
            }
            // Failed, and statuses a raw stream does not give (bad parameters, Adler-32).
            _ => return Err(QrError::Vc2Deflate { offset: in_pos }),
        }
    }
}

/// A compact JWS's decoded parts in form 1's layout, when Base64url re-encoding them gives
/// back exactly `text` (else the JWS travels as its bytes, form 0).
fn jws_parts(text: &str) -> Option<Vec<u8>> {
    if !super::is_compact_jws(text) {
        return None;
    }
    let mut parts = text.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .ok()
            .filter(|bytes| URL_SAFE_NO_PAD.encode(bytes) == part)
    };
    let (header, payload, signature) = (decode(header)?, decode(payload)?, decode(signature)?);
    let mut out = Vec::with_capacity(header.len() + payload.len() + signature.len() + 8);
    leb128(&mut out, header.len());
    leb128(&mut out, payload.len());
    out.extend(header);
    out.extend(payload);
    out.extend(signature);
    Some(out)
}

/// Form 1's parts back into the compact JWS text.
fn join_jws(parts: &[u8]) -> Result<String, QrError> {
    let (header_len, rest) = read_leb128(parts)?;
    let (payload_len, rest) = read_leb128(rest)?;
    let bad = || QrError::Vc2JwsParts {
        header: header_len,
        payload: payload_len,
        available: rest.len(),
    };
    let split = header_len.checked_add(payload_len).ok_or_else(bad)?;
    if split > rest.len() {
        return Err(bad());
    }
    let (header, rest) = rest.split_at(header_len);
    let (payload, signature) = rest.split_at(payload_len);
    Ok(format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

fn leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// A LEB128 length (at most 4 bytes: lengths are under the 1 MiB document cap) and the rest.
fn read_leb128(bytes: &[u8]) -> Result<(usize, &[u8]), QrError> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().enumerate().take(4) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, &bytes[i + 1..]));
        }
    }
    Err(QrError::Vc2JwsLength)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn the_dictionary_is_the_published_one() {
        // Fixed forever: changing a byte of it would change what every VC2 code means.
        assert_eq!(hex::encode(Sha256::digest(DICTIONARY)), DICTIONARY_SHA256);
        assert!(
            DICTIONARY.len() <= 32 * 1024 - 8 * 1024,
            "leaves window for the document"
        );
    }

    #[test]
    fn round_trips_keep_the_bytes_and_are_deterministic() {
        for document in [
            "",
            "{}",
            "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"é\":1}",
            "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln",
            // Not canonical Base64url (the last character's spare bits are set): form 0.
            "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfR.c2ln",
        ] {
            let encoded = encode(document);
            assert_eq!(encoded, encode(document), "same input, same code");
            let data = encoded.strip_prefix(PREFIX).unwrap();
            assert_eq!(decode(data).unwrap(), document, "{document:?}");
        }
        let jws = encode("eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln");
        assert_eq!(base45::decode(&jws[4..]).unwrap()[0], FORM_JWS);
        let odd = encode("eyJhbGciOiJFZERTQSJ9.eyJhIjoxfR.c2ln");
        assert_eq!(base45::decode(&odd[4..]).unwrap()[0], FORM_BYTES);
    }

    #[test]
    fn malformed_data_gives_specific_errors() {
        assert_eq!(decode("a"), Err(QrError::Vc2Base45));
        assert_eq!(decode(""), Err(QrError::Vc2Form { form: None }));
        assert_eq!(
            decode(&base45::encode([7u8, 1, 2])),
            Err(QrError::Vc2Form { form: Some(7) })
        );
        // A block type 3 (reserved) header.
        assert!(matches!(
            decode(&base45::encode([FORM_BYTES, 0xff, 0xff])),
            Err(QrError::Vc2Deflate { .. })
        ));
        let mut cut = base45::decode(&encode("{\"name\":\"Data\"}")[4..]).unwrap();
        cut.truncate(cut.len() - 2);
        assert_eq!(decode(&base45::encode(&cut)), Err(QrError::Vc2Truncated));
        let mut long = base45::decode(&encode("{}")[4..]).unwrap();
        long.push(0);
        assert_eq!(
            decode(&base45::encode(&long)),
            Err(QrError::Vc2TrailingBytes { extra: 1 })
        );
        let mut parts = vec![FORM_JWS];
        parts.extend(deflate(&[5, 5, 1, 2]));
        assert!(matches!(
            decode(&base45::encode(&parts)),
            Err(QrError::Vc2JwsParts { .. })
        ));
        let mut parts = vec![FORM_JWS];
        parts.extend(deflate(&[0xff, 0xff, 0xff, 0xff, 0x01]));
        assert_eq!(decode(&base45::encode(&parts)), Err(QrError::Vc2JwsLength));
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let zeros = vec![b'0'; MAX_DOCUMENT_BYTES + 1];
        let bomb = base45::encode([vec![FORM_BYTES], deflate(&zeros)].concat());
        assert_eq!(decode(&bomb), Err(QrError::DocumentTooLarge));
        let exact = &zeros[..MAX_DOCUMENT_BYTES];
        let at_cap = base45::encode([vec![FORM_BYTES], deflate(exact)].concat());
        assert_eq!(decode(&at_cap).unwrap().len(), MAX_DOCUMENT_BYTES);
    }
}
