//! Reading the `VP1-` QR codes of the DCC Learner Credential Wallet: a presentation (or a
//! credential) in CBOR-LD.
//!
//! The text is `VP1-` + a multibase string (`B` + RFC 4648 base32, which the wallet writes, or
//! `R` + Base45) of CBOR-LD bytes. The wallet (`@digitalcredentials/vpqr` 2.2 over
//! `@digitalcredentials/cborld` 4.3) writes the pre-1.0 "legacy" CBOR-LD form: the 16-bit CBOR
//! tag `0x0501` (semantically compressed) or `0x0500` (plain CBOR), then one CBOR map. The W3C
//! CBOR-LD 1.0 form (tag `0xcb1d` with a registry entry id and type tables) and the pre-1.0 range
//! tags `0x0600`–`0x06ff` are refused with an error naming them: the wallet writes neither.
//!
//! Decompression needs two tables, and both come from published sources, not from samples:
//! - **context codes**: a context URL written as an integer, from the CBOR-LD legacy registry
//!   ([`CONTEXT_CODES`]). A URL without a code is written as text; either way the context must
//!   be one Passerelle bundles ([`crate::contexts`]), since contexts are never fetched.
//! - **term codes**: derived from the contexts themselves, in the order the encoder meets them:
//!   the 27 JSON-LD keywords have fixed even codes 0–52; each other term, the first time a
//!   context defining it is applied, gets the next even code from 100, terms of one context
//!   taken in code-unit order; a term's code + 1 marks an array value. Contexts are applied as
//!   the document is walked: the object's own `@context`, then the contexts scoped to its types
//!   (in sorted order), then, property by property in sorted order, a property's scoped context.
//!   [`transform`] follows the reference implementation's walk exactly, including which contexts
//!   stay active for nested objects, because any difference would shift every later code.
//!
//! Values are decompressed by the type their term declares: `@id` and `@vocab` values may be
//! `[scheme, rest]` URLs (1 `http://`, 2 `https://`, 3 `urn:uuid:` with 16 bytes, 1024
//! `did:v1:nym:` and 1025 `did:key:` with base58 bytes), `@vocab` values and types may be term
//! codes, `sec:multibase` values bytes after a multibase prefix byte (`z` base58btc, `M`
//! base64pad), `xsd:dateTime` seconds since 1970 (or `[seconds, milliseconds]`) and `xsd:date`
//! seconds since 1970. The result is the JSON-LD the encoder was given, member for member (the
//! order of members may differ, which no proof depends on), so its Data Integrity proofs verify.
//!
//! Caps: at most [`MAX_CBORLD_BYTES`] of CBOR-LD, [`cbor::MAX_DEPTH`] levels of nesting, a
//! bounded number of items and context applications, and a result no larger than the
//! verifier's document cap. Malformed input is an error, never a panic.

mod cbor;
mod transform;

use serde_json::Value;

use super::MAX_DOCUMENT_BYTES;

/// The prefix of the Learner Credential Wallet's QR codes.
pub const VP1_PREFIX: &str = "VP1-";
/// Largest CBOR-LD payload read: more than a QR code holds (2,953 bytes at most).
pub const MAX_CBORLD_BYTES: usize = 4_096;

/// Context URLs and their codes in the CBOR-LD legacy registry
/// (<https://digitalbazaar.github.io/cbor-ld-spec/#term-codec-registry>), as both published
/// implementations carry it: `@digitalcredentials/cborld` 4.3.4 (what the Learner Credential
/// Wallet uses: codes 0x10–0x20 and 0x30–0x32) and `@digitalbazaar/cborld` 8.1 in its legacy
/// mode (which adds 0x21 and 0x33). Code 0x32, the OB 3.0 context, is in both implementations
/// though the registry lists it as reserved.
pub const CONTEXT_CODES: &[(u64, &str)] = &[
    (0x10, "https://www.w3.org/ns/activitystreams"),
    (0x11, "https://www.w3.org/2018/credentials/v1"),
    (0x12, "https://www.w3.org/ns/did/v1"),
    (0x13, "https://w3id.org/security/suites/ed25519-2018/v1"),
    (0x14, "https://w3id.org/security/suites/ed25519-2020/v1"),
    (0x15, "https://w3id.org/cit/v1"),
    (0x16, "https://w3id.org/age/v1"),
    (0x17, "https://w3id.org/security/suites/x25519-2020/v1"),
    (0x18, "https://w3id.org/veres-one/v1"),
    (0x19, "https://w3id.org/webkms/v1"),
    (0x1A, "https://w3id.org/zcap/v1"),
    (0x1B, "https://w3id.org/security/suites/hmac-2019/v1"),
    (0x1C, "https://w3id.org/security/suites/aes-2019/v1"),
    (0x1D, "https://w3id.org/vaccination/v1"),
    (0x1E, "https://w3id.org/vc-revocation-list-2020/v1"),
    (0x1F, "https://w3id.org/dcc/v1"),
    (0x20, "https://w3id.org/vc/status-list/v1"),
    (0x21, "https://www.w3.org/ns/credentials/v2"),
    (0x30, "https://w3id.org/security/data-integrity/v1"),
    (0x31, "https://w3id.org/security/multikey/v1"),
    (0x32, "https://purl.imsglobal.org/spec/ob/v3p0/context.json"),
    (0x33, "https://w3id.org/security/data-integrity/v2"),
];

/// Why a `VP1-` code could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Vp1Error {
    #[error(
        "the multibase prefix {prefix:?} after VP1- is not one the Learner Credential Wallet \
         writes (B, base32; or R, Base45)"
    )]
    UnknownMultibase { prefix: String },
    #[error("the VP1- data is not valid {encoding}")]
    BadEncoding { encoding: &'static str },
    #[error("the VP1- data is {size} bytes of CBOR-LD, more than the {max} a QR code can hold")]
    TooLarge { size: usize, max: usize },
    #[error("the VP1- data is not CBOR-LD (it does not start with a CBOR-LD tag)")]
    NotCborLd,
    #[error(
        "the VP1- data uses {format} (CBOR tag {tag:#06x}), which is not read here; only the \
         pre-1.0 form the Learner Credential Wallet writes (tag 0x0501) is"
    )]
    UnsupportedFormat { format: &'static str, tag: u16 },
    #[error("the CBOR-LD data is malformed at byte {offset}: {reason}")]
    Cbor { offset: usize, reason: &'static str },
    #[error("the CBOR-LD data has more {what} than the {max} allowed")]
    TooComplex { what: &'static str, max: usize },
    #[error("the CBOR-LD document is a {kind}, not a map (one credential or presentation)")]
    NotADocument { kind: &'static str },
    #[error("the CBOR-LD context code {code} is not in the CBOR-LD registry")]
    UnknownContextCode { code: u64 },
    #[error("the CBOR-LD document uses the JSON-LD context {url}, which Passerelle does not bundle; contexts are never fetched")]
    UnsupportedContext { url: String },
    #[error("the CBOR-LD document has an unsupported context: {reason}")]
    UnsupportedContextForm { reason: &'static str },
    #[error(
        "the CBOR-LD document has the term code {code}, which no context applied there defines"
    )]
    UnknownTermCode { code: u64 },
    #[error("the CBOR-LD document has the term {term:?}, which no context applied there defines")]
    UndefinedTerm { term: String },
    #[error("the CBOR-LD document uses the keyword {keyword} as a member, which is not supported")]
    UnsupportedKeyword { keyword: String },
    #[error("the CBOR-LD value of {term:?} cannot be decoded: {reason}")]
    BadValue { term: String, reason: &'static str },
    #[error("the decoded document is larger than {max} bytes", max = MAX_DOCUMENT_BYTES)]
    DocumentTooLarge,
}

/// The JSON document a `VP1-…` QR code's text holds.
pub fn decode(text: &str) -> Result<Value, Vp1Error> {
    let data = text.strip_prefix(VP1_PREFIX).unwrap_or(text);
    let bytes = multibase_bytes(data)?;
    if bytes.len() > MAX_CBORLD_BYTES {
        return Err(Vp1Error::TooLarge {
            size: bytes.len(),
            max: MAX_CBORLD_BYTES,
        });
    }
    let (compressed, body) = match bytes.as_slice() {
        [0xd9, 0x05, mode, body @ ..] => match mode {
            0 => (false, body),
            1 => (true, body),
            _ => {
                return Err(Vp1Error::UnsupportedFormat {
                    format: "an unknown CBOR-LD compression mode",
                    tag: 0x0500 | u16::from(*mode),
                })
            }
        },
        [0xd9, 0xcb, 0x1d, ..] => {
            return Err(Vp1Error::UnsupportedFormat {
                format: "CBOR-LD 1.0",
                tag: 0xcb1d,
            })
        }
        [0xd9, 0x06, id, ..] => {
            return Err(Vp1Error::UnsupportedFormat {
                format: "a pre-1.0 CBOR-LD registry-entry tag",
                tag: 0x0600 | u16::from(*id),
            })
        }
        _ => return Err(Vp1Error::NotCborLd),
    };
    let item = cbor::read(body)?;
    let document = if compressed {
        transform::decompress(&item)?
    } else {
        transform::plain(&item)?
    };
    let size = serde_json::to_vec(&document).map_or(usize::MAX, |text| text.len());
    if size > MAX_DOCUMENT_BYTES {
        return Err(Vp1Error::DocumentTooLarge);
    }
    Ok(document)
}

/// The bytes of `B` + base32 (RFC 4648, upper case, padding optional) or `R` + Base45.
fn multibase_bytes(data: &str) -> Result<Vec<u8>, Vp1Error> {
    // Each base32 character carries 5 bits: refuse what could not fit the cap before decoding.
    if data.len() > MAX_CBORLD_BYTES * 2 {
        return Err(Vp1Error::TooLarge {
            size: data.len() * 5 / 8,
            max: MAX_CBORLD_BYTES,
        });
    }
    if let Some(base32) = data.strip_prefix('B') {
        return base32_decode(base32).ok_or(Vp1Error::BadEncoding {
            encoding: "base32 (RFC 4648)",
        });
    }
    if let Some(b45) = data.strip_prefix('R') {
        return base45::decode(b45).map_err(|_| Vp1Error::BadEncoding {
            encoding: "Base45 (RFC 9285)",
        });
    }
    Err(Vp1Error::UnknownMultibase {
        prefix: data.chars().take(1).collect(),
    })
}

/// RFC 4648 base32 (alphabet A–Z 2–7), trailing `=` padding optional; `None` when malformed
/// (a foreign character, or left-over bits that are not zero or too many).
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    data_encoding::BASE32_NOPAD
        .decode(text.trim_end_matches('=').as_bytes())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_is_rfc_4648() {
        // RFC 4648 §10 test vectors, with and without padding.
        for (text, bytes) in [
            ("", ""),
            ("MY======", "f"),
            ("MZXQ====", "fo"),
            ("MZXW6===", "foo"),
            ("MZXW6YQ=", "foob"),
            ("MZXW6YTB", "fooba"),
            ("MZXW6YTBOI", "foobar"),
        ] {
            assert_eq!(
                base32_decode(text).as_deref(),
                Some(bytes.as_bytes()),
                "{text}"
            );
        }
        assert_eq!(base32_decode("MZ1W6"), None);
        assert_eq!(base32_decode("MZ"), None, "non-zero left-over bits");
    }

    #[test]
    fn other_formats_are_named() {
        let text = |bytes: &[u8]| format!("VP1-B{}", base32(bytes));
        assert!(matches!(
            decode(&text(&[0xd9, 0xcb, 0x1d, 0x82, 0x01, 0xa0])),
            Err(Vp1Error::UnsupportedFormat { tag: 0xcb1d, .. })
        ));
        assert!(matches!(
            decode(&text(&[0xd9, 0x06, 0x01, 0xa0])),
            Err(Vp1Error::UnsupportedFormat { tag: 0x0601, .. })
        ));
        assert_eq!(decode(&text(&[0xa0])), Err(Vp1Error::NotCborLd));
        assert!(matches!(
            decode("VP1-Xabc"),
            Err(Vp1Error::UnknownMultibase { .. })
        ));
        assert!(matches!(
            decode(&text(&[0xd9, 0x05, 0x01, 0x80])),
            Err(Vp1Error::NotADocument { kind: "array" })
        ));
    }

    #[test]
    fn plain_cbor_is_read_as_json() {
        // tag 0x0500, {"a": [1, "x"]}
        let bytes = [0xd9, 0x05, 0x00, 0xa1, 0x61, b'a', 0x82, 0x01, 0x61, b'x'];
        assert_eq!(
            decode(&format!("VP1-B{}", base32(&bytes))).unwrap(),
            serde_json::json!({"a": [1, "x"]})
        );
    }

    /// RFC 4648 base32 without padding, for building test inputs.
    pub(super) fn base32(bytes: &[u8]) -> String {
        data_encoding::BASE32_NOPAD.encode(bytes)
    }
}
