//! Baked badges (Open Badges 3.0 §5.3 "Baking"): a credential carried inside the badge image.
//!
//! - **PNG**: one `iTXt` chunk with keyword `openbadgecredential`, compression flag 0, empty
//!   language tag and translated keyword; its text is the credential's JSON (embedded proof) or
//!   the compact JWS (VC-JWT). Baking writes it just before the first `IDAT` chunk.
//! - **SVG**: the root `<svg>` declares `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`
//!   and its first child is `<openbadges:credential>`: the JSON goes in the body inside
//!   `<![CDATA[…]]>`, a compact JWS goes in the `verify` attribute and the body stays empty.
//!
//! An image holds at most one credential (the specification's MUST). Baking an image that
//! already holds one **replaces** it (the specification lets the implementer choose between
//! an error and overwriting; re-baking a template is the common case); an image that already
//! holds two is refused. Extraction refuses an image with two credentials too.
//!
//! Everything is checked before use: PNG signature, chunk lengths, the CRC-32 of every chunk,
//! `IHDR` first and `IEND` last; SVG is read with an XML parser (end tags must match, one root
//! element named `svg`). Caps: an image is at most [`MAX_IMAGE_BYTES`], a credential at most
//! [`MAX_CREDENTIAL_BYTES`], also after inflating a compressed `iTXt` (a zip bomb stops at
//! the cap). Pure: bytes in, bytes out.

use crate::input::{self, InputError, InputLimits};

mod png;
mod svg;

pub use png::{bake_png, extract_png};
pub use svg::{bake_svg, extract_svg};

/// Largest image accepted, baked or not: 10 MiB.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Largest credential accepted (JSON text or compact JWS): 1 MiB, the verifier's input cap.
pub const MAX_CREDENTIAL_BYTES: usize = 1024 * 1024;
/// The `iTXt` keyword of an Open Badges 3.0 credential.
pub const PNG_KEYWORD: &str = "openbadgecredential";
/// The XML namespace of the `<openbadges:credential>` element.
pub const SVG_NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";

pub(super) const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// PNG chunk lengths are at most 2^31 - 1 (PNG §5.3).
pub(super) const PNG_MAX_CHUNK_LENGTH: u32 = 0x7fff_ffff;

/// Why an image could not be baked, or a credential not extracted from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BakeError {
    #[error("image is {size} bytes, more than the limit of {limit} bytes")]
    ImageTooLarge { size: usize, limit: usize },
    #[error("credential is {size} bytes, more than the limit of {limit} bytes")]
    CredentialTooLarge { size: usize, limit: usize },
    #[error("image is neither a PNG (no PNG signature) nor an SVG document")]
    NotAnImage,
    #[error("not a PNG: the first 8 bytes are not the PNG signature")]
    NotPng,
    #[error("PNG is truncated: {what} at byte {offset} needs {needed} bytes, {available} left")]
    PngTruncated {
        what: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    #[error("PNG chunk at byte {offset} declares length {length}, more than 2^31 - 1")]
    PngChunkTooLong { offset: usize, length: u32 },
    #[error("PNG chunk at byte {offset} has type {chunk_type:?}, which is not 4 ASCII letters")]
    PngBadChunkType { offset: usize, chunk_type: String },
    #[error(
        "PNG chunk {chunk_type} at byte {offset} has CRC {found:#010x}, \
         but its bytes give {computed:#010x}"
    )]
    PngBadCrc {
        chunk_type: String,
        offset: usize,
        found: u32,
        computed: u32,
    },
    #[error("PNG does not start with an IHDR chunk (first chunk is {found})")]
    PngNoIhdr { found: String },
    #[error("PNG has no IEND chunk")]
    PngNoIend,
    #[error("PNG has {extra} bytes after its IEND chunk (at byte {offset})")]
    PngDataAfterIend { offset: usize, extra: usize },
    #[error("PNG iTXt chunk at byte {offset} is malformed: {reason}")]
    PngBadItxt { offset: usize, reason: &'static str },
    #[error(
        "PNG iTXt chunk at byte {offset} uses compression method {method}; only 0 (zlib) exists"
    )]
    PngUnknownCompression { offset: usize, method: u8 },
    #[error("PNG iTXt chunk at byte {offset} does not inflate: {message}")]
    PngBadZlib { offset: usize, message: String },
    #[error("PNG iTXt chunk at byte {offset} inflates to more than {limit} bytes")]
    PngInflatesTooLarge { offset: usize, limit: usize },
    #[error("{image} holds more than one Open Badges credential (the second {location}); at most one is allowed")]
    DuplicateCredential {
        image: &'static str,
        location: String,
    },
    #[error("the baked credential text is not UTF-8 (invalid byte at offset {offset})")]
    CredentialNotUtf8 { offset: usize },
    #[error("the credential is empty")]
    EmptyCredential,
    #[error(
        "the credential is neither a JSON object nor a compact JWS \
         (three base64url segments separated by dots); it starts with {start:?}"
    )]
    UnrecognisedCredential { start: String },
    #[error("the credential looks like JSON but is not a valid JSON object: {0}")]
    InvalidJsonCredential(#[source] InputError),
    #[error("SVG is not UTF-8 text (invalid byte at offset {offset})")]
    SvgNotUtf8 { offset: usize },
    #[error("the credential contains {character:?}, which XML 1.0 does not allow in a document")]
    SvgCredentialNotXml { character: char },
    #[error("SVG is not well-formed XML at byte {position}: {message}")]
    SvgMalformed { position: u64, message: String },
    #[error("SVG has no root element")]
    SvgNoRoot,
    #[error("the root element is <{found}>, not <svg>")]
    SvgRootNotSvg { found: String },
    #[error("SVG has content after its root element, at byte {position}")]
    SvgContentAfterRoot { position: u64 },
    #[error(
        "the root <svg> binds the prefix openbadges to {found:?}, \
         not to {SVG_NAMESPACE:?}; cannot add the credential element"
    )]
    SvgPrefixConflict { found: String },
    #[error("the <openbadges:credential> element at byte {position} contains child elements")]
    SvgCredentialHasChildren { position: u64 },
    #[error("the <openbadges:credential> element at byte {position} has both a verify attribute and a body")]
    SvgCredentialAmbiguous { position: u64 },
    #[error("the <openbadges:credential> element at byte {position} has a bad {what}: {message}")]
    SvgBadCredentialText {
        position: u64,
        what: &'static str,
        message: String,
    },
}

/// A credential found in (or destined for) a badge image, with its exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BakedCredential {
    /// The JSON text of a credential with an embedded proof, byte for byte.
    Json(String),
    /// A compact JWS (VC-JWT / VC-JOSE), surrounding whitespace removed.
    CompactJws(String),
}

impl BakedCredential {
    /// Recognises a credential: a JSON object (checked under the input caps) or a compact JWS.
    pub fn classify(text: &str) -> Result<Self, BakeError> {
        if text.len() > MAX_CREDENTIAL_BYTES {
            return Err(BakeError::CredentialTooLarge {
                size: text.len(),
                limit: MAX_CREDENTIAL_BYTES,
            });
        }
        let trimmed = text.trim_matches(is_xml_space);
        if trimmed.is_empty() {
            return Err(BakeError::EmptyCredential);
        }
        if trimmed.starts_with('{') {
            let limits = InputLimits {
                max_bytes: MAX_CREDENTIAL_BYTES,
                ..InputLimits::default()
            };
            input::parse_json_object(text.as_bytes(), &limits)
                .map_err(BakeError::InvalidJsonCredential)?;
            return Ok(Self::Json(text.to_owned()));
        }
        if is_compact_jws(trimmed) {
            return Ok(Self::CompactJws(trimmed.to_owned()));
        }
        Err(BakeError::UnrecognisedCredential {
            start: trimmed.chars().take(24).collect(),
        })
    }

    /// The credential text: the JSON or the compact JWS.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Json(text) | Self::CompactJws(text) => text,
        }
    }

    /// The credential text, owned.
    pub fn into_string(self) -> String {
        match self {
            Self::Json(text) | Self::CompactJws(text) => text,
        }
    }
}

/// XML white space (also what separates JSON tokens): space, tab, CR, LF.
pub(super) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Three non-empty base64url segments separated by dots.
fn is_compact_jws(text: &str) -> bool {
    let segments: Vec<&str> = text.split('.').collect();
    segments.len() == 3
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

pub(super) fn check_image_size(len: usize) -> Result<(), BakeError> {
    if len > MAX_IMAGE_BYTES {
        return Err(BakeError::ImageTooLarge {
            size: len,
            limit: MAX_IMAGE_BYTES,
        });
    }
    Ok(())
}

/// Extracts the credential from a PNG or an SVG (recognised by its first bytes);
/// `None` when the image holds none.
pub fn extract(image: &[u8]) -> Result<Option<BakedCredential>, BakeError> {
    check_image_size(image.len())?;
    if image.starts_with(&PNG_SIGNATURE) {
        return extract_png(image);
    }
    let text = image.strip_prefix("\u{feff}".as_bytes()).unwrap_or(image);
    let looks_like_xml = text
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<');
    if !looks_like_xml {
        return Err(BakeError::NotAnImage);
    }
    let svg = std::str::from_utf8(text).map_err(|e| BakeError::SvgNotUtf8 {
        offset: e.valid_up_to() + (image.len() - text.len()),
    })?;
    extract_svg(svg)
}

#[cfg(test)]
mod tests {
    use super::svg::cdata;
    use super::*;

    #[test]
    fn cdata_splits_terminators() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
        assert_eq!(cdata("x"), "<![CDATA[x]]>");
    }

    #[test]
    fn jws_shape() {
        assert!(is_compact_jws("eyJh.eyJi.c2ln"));
        assert!(!is_compact_jws("eyJh..c2ln"));
        assert!(!is_compact_jws("eyJh.eyJi"));
        assert!(!is_compact_jws("eyJh.eyJi.c2l+"));
    }
}
