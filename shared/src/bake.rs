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

use std::io::Read;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::input::{self, InputError, InputLimits};

/// Largest image accepted, baked or not: 10 MiB.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Largest credential accepted (JSON text or compact JWS): 1 MiB, the verifier's input cap.
pub const MAX_CREDENTIAL_BYTES: usize = 1024 * 1024;
/// The `iTXt` keyword of an Open Badges 3.0 credential.
pub const PNG_KEYWORD: &str = "openbadgecredential";
/// The XML namespace of the `<openbadges:credential>` element.
pub const SVG_NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// PNG chunk lengths are at most 2^31 - 1 (PNG §5.3).
const PNG_MAX_CHUNK_LENGTH: u32 = 0x7fff_ffff;

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
fn is_xml_space(c: char) -> bool {
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

fn check_image_size(len: usize) -> Result<(), BakeError> {
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

// ---------------------------------------------------------------------------------------------
// PNG

/// One chunk of a checked PNG datastream.
struct Chunk<'a> {
    /// Byte offset of the chunk (its length field) in the file.
    offset: usize,
    chunk_type: [u8; 4],
    data: &'a [u8],
    /// The whole chunk: length, type, data and CRC.
    raw: &'a [u8],
}

fn type_name(chunk_type: &[u8]) -> String {
    String::from_utf8_lossy(chunk_type).into_owned()
}

fn take<'a>(
    png: &'a [u8],
    offset: usize,
    needed: usize,
    what: &'static str,
) -> Result<&'a [u8], BakeError> {
    let available = png.len().saturating_sub(offset);
    if available < needed {
        return Err(BakeError::PngTruncated {
            what,
            offset,
            needed,
            available,
        });
    }
    Ok(&png[offset..offset + needed])
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Splits a PNG into chunks, checking the signature, every length, type and CRC, `IHDR` first,
/// `IEND` last and nothing after it.
fn png_chunks(png: &[u8]) -> Result<Vec<Chunk<'_>>, BakeError> {
    check_image_size(png.len())?;
    if !png.starts_with(&PNG_SIGNATURE) {
        return Err(BakeError::NotPng);
    }
    let mut chunks = Vec::new();
    let mut offset = PNG_SIGNATURE.len();
    loop {
        let header = take(png, offset, 8, "chunk header")?;
        let length = be_u32(&header[..4]);
        if length > PNG_MAX_CHUNK_LENGTH {
            return Err(BakeError::PngChunkTooLong { offset, length });
        }
        let chunk_type = [header[4], header[5], header[6], header[7]];
        if !chunk_type.iter().all(u8::is_ascii_alphabetic) {
            return Err(BakeError::PngBadChunkType {
                offset,
                chunk_type: type_name(&chunk_type),
            });
        }
        // `length` ≤ 2^31 - 1 fits in usize on every platform Rust supports with this crate.
        let length = length as usize;
        let body = take(png, offset + 8, length + 4, "chunk data and CRC")?;
        let data = &body[..length];
        let found = be_u32(&body[length..]);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&chunk_type);
        hasher.update(data);
        let computed = hasher.finalize();
        if found != computed {
            return Err(BakeError::PngBadCrc {
                chunk_type: type_name(&chunk_type),
                offset,
                found,
                computed,
            });
        }
        if chunks.is_empty() && &chunk_type != b"IHDR" {
            return Err(BakeError::PngNoIhdr {
                found: type_name(&chunk_type),
            });
        }
        let end = offset + 12 + length;
        chunks.push(Chunk {
            offset,
            chunk_type,
            data,
            raw: &png[offset..end],
        });
        offset = end;
        if &chunk_type == b"IEND" {
            if offset != png.len() {
                return Err(BakeError::PngDataAfterIend {
                    offset,
                    extra: png.len() - offset,
                });
            }
            return Ok(chunks);
        }
        if offset == png.len() {
            return Err(BakeError::PngNoIend);
        }
    }
}

/// The parts of an `iTXt` chunk (PNG §11.3.4.5).
struct Itxt<'a> {
    compressed: bool,
    text: &'a [u8],
}

fn parse_itxt(data: &[u8], offset: usize) -> Result<Itxt<'_>, BakeError> {
    let bad = |reason| BakeError::PngBadItxt { offset, reason };
    let nul = data
        .iter()
        .position(|&b| b == 0)
        .ok_or(bad("no NUL after the keyword"))?;
    let rest = &data[nul + 1..];
    let [flag, method, rest @ ..] = rest else {
        return Err(bad("it ends before the compression flag and method"));
    };
    let compressed = match flag {
        0 => false,
        1 => true,
        _ => return Err(bad("the compression flag is neither 0 nor 1")),
    };
    if compressed && *method != 0 {
        return Err(BakeError::PngUnknownCompression {
            offset,
            method: *method,
        });
    }
    let language_end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(bad("no NUL after the language tag"))?;
    let rest = &rest[language_end + 1..];
    let translated_end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(bad("no NUL after the translated keyword"))?;
    Ok(Itxt {
        compressed,
        text: &rest[translated_end + 1..],
    })
}

/// The credential chunk's parts if this is an `iTXt` chunk with the `openbadgecredential`
/// keyword. Other text chunks are not ours to judge: a malformed one is left alone.
fn is_credential_chunk<'a>(chunk: &Chunk<'a>) -> Result<Option<Itxt<'a>>, BakeError> {
    let keyword = chunk.data.split(|&b| b == 0).next().unwrap_or_default();
    if &chunk.chunk_type != b"iTXt" || keyword != PNG_KEYWORD.as_bytes() {
        return Ok(None);
    }
    let itxt = parse_itxt(chunk.data, chunk.offset)?;
    Ok(Some(itxt))
}

/// Finds the one credential chunk, if any; two are an error.
fn find_credential_chunk<'a>(chunks: &[Chunk<'a>]) -> Result<Option<(usize, Itxt<'a>)>, BakeError> {
    let mut found = None;
    for (index, chunk) in chunks.iter().enumerate() {
        if let Some(itxt) = is_credential_chunk(chunk)? {
            if found.is_some() {
                return Err(BakeError::DuplicateCredential {
                    image: "PNG",
                    location: format!("iTXt chunk at byte {}", chunk.offset),
                });
            }
            found = Some((index, itxt));
        }
    }
    Ok(found)
}

/// Extracts the credential of a baked PNG; `None` when it holds none. The whole file is
/// checked (CRCs, structure), and a second credential chunk is an error.
pub fn extract_png(png: &[u8]) -> Result<Option<BakedCredential>, BakeError> {
    let chunks = png_chunks(png)?;
    let Some((index, itxt)) = find_credential_chunk(&chunks)? else {
        return Ok(None);
    };
    let offset = chunks[index].offset;
    let bytes = if itxt.compressed {
        inflate_capped(itxt.text, offset)?
    } else {
        itxt.text.to_vec()
    };
    let text = String::from_utf8(bytes).map_err(|e| BakeError::CredentialNotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })?;
    BakedCredential::classify(&text).map(Some)
}

/// Inflates zlib data, stopping with an error past [`MAX_CREDENTIAL_BYTES`].
fn inflate_capped(compressed: &[u8], offset: usize) -> Result<Vec<u8>, BakeError> {
    let mut out = Vec::new();
    let cap = MAX_CREDENTIAL_BYTES as u64 + 1;
    flate2::read::ZlibDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| BakeError::PngBadZlib {
            offset,
            message: e.to_string(),
        })?;
    if out.len() > MAX_CREDENTIAL_BYTES {
        return Err(BakeError::PngInflatesTooLarge {
            offset,
            limit: MAX_CREDENTIAL_BYTES,
        });
    }
    Ok(out)
}

/// Builds a whole chunk: length, type, data, CRC-32 of type and data.
fn build_chunk(chunk_type: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(chunk_type);
    hasher.update(data);
    let mut chunk = Vec::with_capacity(data.len() + 12);
    // Callers cap `data` at a few MiB, far below 2^31 - 1: the cast cannot truncate.
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(chunk_type);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&hasher.finalize().to_be_bytes());
    chunk
}

/// Bakes a credential (JSON text or compact JWS) into a PNG: one uncompressed `iTXt` chunk
/// with keyword `openbadgecredential` before the first `IDAT` (before `IEND` if there is none).
/// An existing credential chunk is replaced; every other chunk is kept byte for byte.
pub fn bake_png(png: &[u8], credential: &str) -> Result<Vec<u8>, BakeError> {
    let credential = BakedCredential::classify(credential)?;
    let chunks = png_chunks(png)?;
    let existing = find_credential_chunk(&chunks)?.map(|(index, _)| index);

    let mut data = Vec::with_capacity(PNG_KEYWORD.len() + 5 + credential.as_str().len());
    data.extend_from_slice(PNG_KEYWORD.as_bytes());
    // NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL.
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(credential.as_str().as_bytes());
    let new_chunk = build_chunk(b"iTXt", &data);

    let insert_at = chunks
        .iter()
        .position(|c| &c.chunk_type == b"IDAT" || &c.chunk_type == b"IEND")
        // png_chunks only returns a list that ends with IEND.
        .unwrap_or(chunks.len() - 1);
    let mut out = Vec::with_capacity(png.len() + new_chunk.len());
    out.extend_from_slice(&PNG_SIGNATURE);
    for (index, chunk) in chunks.iter().enumerate() {
        if index == insert_at {
            out.extend_from_slice(&new_chunk);
        }
        if Some(index) != existing {
            out.extend_from_slice(chunk.raw);
        }
    }
    check_image_size(out.len())?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// SVG

/// What a pass over an SVG document found.
struct SvgScan {
    root: RootTag,
    /// The credential element, if any.
    credential: Option<SvgCredential>,
}

/// The root element's start tag.
struct RootTag {
    /// Byte range of the tag (`<svg …>` or `<svg …/>`).
    span: std::ops::Range<usize>,
    is_empty: bool,
    /// Its qualified name: `svg` or `prefix:svg`.
    name: String,
    /// The value of `xmlns:openbadges` on it, if declared there.
    prefix_binding: Option<String>,
}

struct SvgCredential {
    /// Byte range of the whole element, start tag to end tag.
    span: std::ops::Range<usize>,
    text: Option<String>,
}

/// The credential element being read.
struct OpenCredential {
    /// Byte offset of its start tag.
    start: usize,
    /// Nesting depth of the element (the root is 0).
    depth: usize,
    verify: Option<String>,
    /// Its text and CDATA content so far.
    body: String,
    has_cdata: bool,
}

fn malformed(reader_position: u64, error: impl std::fmt::Display) -> BakeError {
    BakeError::SvgMalformed {
        position: reader_position,
        message: error.to_string(),
    }
}

fn is_credential_element(resolved: &ResolveResult<'_>, qname: &[u8], local: &[u8]) -> bool {
    match resolved {
        ResolveResult::Bound(ns) => {
            ns.as_ref() == SVG_NAMESPACE.as_bytes() && local == b"credential"
        }
        // An undeclared `openbadges:` prefix: a baker forgot the declaration; accept the
        // element under its conventional name.
        ResolveResult::Unknown(prefix) => {
            prefix.as_slice() == b"openbadges" && qname == b"openbadges:credential"
        }
        ResolveResult::Unbound => false,
    }
}

/// Reads the whole document: one root `<svg>`, matching end tags, at most one credential.
/// `svg` must not start with a byte order mark (see [`split_bom`]).
fn scan_svg(svg: &str) -> Result<SvgScan, BakeError> {
    check_image_size(svg.len())?;
    // quick-xml does not check characters; XML 1.0 forbids most control characters.
    if let Some((at, c)) = svg.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        return Err(malformed(
            at as u64,
            format!("{c:?} is not a character XML 1.0 allows"),
        ));
    }
    let mut reader = NsReader::from_str(svg);
    let mut depth = 0usize;
    let mut root: Option<RootTag> = None;
    let mut root_closed = false;
    let mut credential: Option<SvgCredential> = None;
    let mut open: Option<OpenCredential> = None;

    loop {
        let before = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| malformed(before, e))?;
        let is_credential = match &event {
            Event::Start(e) | Event::Empty(e) => {
                is_credential_element(&resolved, e.name().as_ref(), e.local_name().as_ref())
            }
            _ => false,
        };
        let after = reader.buffer_position();
        // Positions are within `svg`, whose length is a usize.
        let (start, end) = (before as usize, after as usize);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if root_closed {
                    return Err(BakeError::SvgContentAfterRoot { position: before });
                }
                if let Some(open) = &open {
                    return Err(BakeError::SvgCredentialHasChildren {
                        position: open.start as u64,
                    });
                }
                let mut verify = None;
                let mut prefix_binding = None;
                for attribute in e.attributes() {
                    let attribute = attribute.map_err(|err| malformed(before, err))?;
                    match attribute.key.as_ref() {
                        b"xmlns:openbadges" if depth == 0 => {
                            prefix_binding = Some(
                                attribute
                                    .unescape_value()
                                    .map_err(|err| malformed(before, err))?
                                    .into_owned(),
                            );
                        }
                        b"verify" => verify = Some(attribute),
                        _ => {}
                    }
                }
                if depth == 0 {
                    // `svg` is a &str and the name ends at ASCII white space, `/` or `>`.
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    let is_svg = match name.split_once(':') {
                        None => name == "svg",
                        Some((prefix, local)) => local == "svg" && is_ncname(prefix),
                    };
                    if !is_svg {
                        return Err(BakeError::SvgRootNotSvg { found: name });
                    }
                    root = Some(RootTag {
                        span: start..end,
                        is_empty,
                        name,
                        prefix_binding,
                    });
                    if is_empty {
                        root_closed = true;
                    }
                } else if is_credential {
                    if credential.is_some() {
                        return Err(BakeError::DuplicateCredential {
                            image: "SVG",
                            location: format!("<openbadges:credential> element at byte {before}"),
                        });
                    }
                    let verify = verify
                        .map(|a| {
                            a.unescape_value().map(|v| v.into_owned()).map_err(|err| {
                                BakeError::SvgBadCredentialText {
                                    position: before,
                                    what: "verify attribute",
                                    message: err.to_string(),
                                }
                            })
                        })
                        .transpose()?;
                    if is_empty {
                        credential = Some(SvgCredential {
                            span: start..end,
                            text: verify,
                        });
                    } else {
                        open = Some(OpenCredential {
                            start,
                            depth,
                            verify,
                            body: String::new(),
                            has_cdata: false,
                        });
                    }
                }
                if !is_empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| malformed(before, "an end tag without a start tag"))?;
                if let Some(closed) = open.take_if(|o| o.depth == depth) {
                    let body = if closed.has_cdata {
                        closed.body
                    } else {
                        closed.body.trim_matches(is_xml_space).to_owned()
                    };
                    let text = match (closed.verify, body.is_empty()) {
                        (Some(_), false) => {
                            return Err(BakeError::SvgCredentialAmbiguous {
                                position: closed.start as u64,
                            })
                        }
                        (Some(verify), true) => Some(verify),
                        (None, true) => None,
                        (None, false) => Some(body),
                    };
                    credential = Some(SvgCredential {
                        span: closed.start..end,
                        text,
                    });
                }
                if depth == 0 {
                    root_closed = true;
                }
            }
            Event::Text(ref t) => {
                if let Some(OpenCredential {
                    body, has_cdata, ..
                }) = open.as_mut()
                {
                    let text = t
                        .unescape()
                        .map_err(|err| BakeError::SvgBadCredentialText {
                            position: before,
                            what: "text",
                            message: err.to_string(),
                        })?;
                    // White space around CDATA sections is layout, not content.
                    if !(*has_cdata && text.trim_matches(is_xml_space).is_empty()) {
                        body.push_str(&text);
                    }
                } else if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(malformed(before, "text outside the root element"));
                }
            }
            Event::CData(ref c) => {
                if let Some(OpenCredential {
                    body, has_cdata, ..
                }) = open.as_mut()
                {
                    if !*has_cdata {
                        // Only white space came before the first CDATA section: layout.
                        if body.trim_matches(is_xml_space).is_empty() {
                            body.clear();
                        }
                        *has_cdata = true;
                    }
                    // `svg` is a &str, so every CDATA section is UTF-8.
                    body.push_str(&String::from_utf8_lossy(c));
                } else if depth == 0 {
                    return Err(malformed(before, "CDATA outside the root element"));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if depth != 0 {
        return Err(malformed(
            reader.buffer_position(),
            format!("{depth} element(s) not closed at the end of the document"),
        ));
    }
    let Some(root) = root else {
        return Err(BakeError::SvgNoRoot);
    };
    Ok(SvgScan { root, credential })
}

/// Extracts the credential of a baked SVG; `None` when it holds none (or an empty element).
/// The JSON body is the concatenation of its CDATA sections (white space around them is
/// layout); a JWS is read from the `verify` attribute (or, leniently, from the body).
pub fn extract_svg(svg: &str) -> Result<Option<BakedCredential>, BakeError> {
    let (_, svg) = split_bom(svg);
    let scan = scan_svg(svg)?;
    match scan.credential.and_then(|c| c.text) {
        Some(text) => BakedCredential::classify(&text).map(Some),
        None => Ok(None),
    }
}

/// A leading byte order mark (kept when baking), and the document after it.
fn split_bom(svg: &str) -> (&str, &str) {
    match svg.strip_prefix('\u{feff}') {
        Some(rest) => (&svg[..svg.len() - rest.len()], rest),
        None => ("", svg),
    }
}

/// XML 1.0 `Char` (§2.2), for the characters a Rust string can hold.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// An XML name without a colon (Namespaces in XML §3), restricted to the characters a
/// prefix uses in practice plus any non-ASCII letter.
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Wraps text in CDATA sections, splitting at every `]]>` so that the text survives exactly.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// Bakes a credential into an SVG: declares `xmlns:openbadges` on the root `<svg>` and makes
/// `<openbadges:credential>` its first child (JSON in CDATA; a JWS in `verify`). An existing
/// credential element is replaced; the rest of the document is kept as it was.
pub fn bake_svg(svg: &str, credential: &str) -> Result<String, BakeError> {
    let credential = BakedCredential::classify(credential)?;
    if let Some(character) = credential.as_str().chars().find(|&c| !is_xml_char(c)) {
        return Err(BakeError::SvgCredentialNotXml { character });
    }
    let (bom, svg) = split_bom(svg);
    let scan = scan_svg(svg)?;
    let needs_declaration = match scan.root.prefix_binding.as_deref() {
        None => true,
        Some(SVG_NAMESPACE) => false,
        Some(other) => {
            return Err(BakeError::SvgPrefixConflict {
                found: other.to_owned(),
            })
        }
    };
    let element = match &credential {
        BakedCredential::Json(json) => {
            format!(
                "<openbadges:credential>{}</openbadges:credential>",
                cdata(json)
            )
        }
        // A compact JWS is base64url and dots: nothing to escape in an attribute.
        BakedCredential::CompactJws(jws) => {
            format!("<openbadges:credential verify=\"{jws}\"></openbadges:credential>")
        }
    };

    let tag = &svg[scan.root.span.clone()];
    let close_len = if scan.root.is_empty { 2 } else { 1 };
    let (tag_body, _) = tag.split_at(tag.len() - close_len);
    let mut out = String::with_capacity(svg.len() + element.len() + 64);
    out.push_str(bom);
    out.push_str(&svg[..scan.root.span.start]);
    out.push_str(tag_body);
    if needs_declaration {
        out.push_str(" xmlns:openbadges=\"");
        out.push_str(SVG_NAMESPACE);
        out.push('"');
    }
    out.push('>');
    out.push_str(&element);
    if scan.root.is_empty {
        out.push_str("</");
        out.push_str(&scan.root.name);
        out.push('>');
        out.push_str(&svg[scan.root.span.end..]);
    } else {
        let rest = scan.root.span.end;
        match scan.credential {
            Some(existing) => {
                out.push_str(&svg[rest..existing.span.start]);
                out.push_str(&svg[existing.span.end..]);
            }
            None => out.push_str(&svg[rest..]),
        }
    }
    check_image_size(out.len())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
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
