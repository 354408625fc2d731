//! Credentials in QR codes: the compact text form, rendering, and reading QR codes from images.
//!
//! A QR code carries one of two payloads ([`QrPayload`]):
//! - **the credential itself**, in a compact form, where the document is the credential or
//!   presentation exactly as signed (JSON text with an embedded proof, or a compact JWS):
//!   - `VC2:` + Base45(form ‖ raw DEFLATE over a preset dictionary of OB 3.0 / VC 2.0
//!     vocabulary; a compact JWS as its decoded parts) — see [`vc2`]. About 25–37 % shorter than
//!     `VC1:` for a badge, half for a JWS; what [`payload_for`] writes when it is shorter.
//!   - `VC1:` + Base45(zlib(document)), the first form, read forever.
//!
//!   Base45 (RFC 9285) uses only characters of the QR alphanumeric mode, so the text is stored
//!   at 5.5 bits a character (the EU Digital COVID Certificate's `HC1:` does the same), and
//!   scanners, which hand back text, read it everywhere. Nothing is re-serialised: the bytes that
//!   were signed are the bytes carried.
//! - **a link** (`https://…`) to where the credential can be fetched, e.g. an issuer's claim link,
//!   for credentials too large for a QR code.
//!
//! [`decode`] also reads the `VP1-` codes of the DCC Learner Credential Wallet (a presentation
//! or credential in CBOR-LD, see [`vp1`]); the document comes back as JSON text rebuilt from the
//! CBOR-LD, member for member what the wallet encoded, so its proofs verify. Passerelle writes
//! no `VP1-` codes.
//!
//! A QR code holds at most 4,296 alphanumeric characters (version 40, error correction L), so the
//! compact form fits a credential of roughly 2.8 KB of compressed data; a typical 4–5 KB Open Badge
//! without an embedded image fits, one with an embedded image usually does not.
//! [`payload_for`] picks the shorter compact form when one fits and the link otherwise. Large
//! codes (above version ≈ 25) need a good camera or a screenshot; the link is the dependable way
//! to share.
//!
//! Reading: [`decode`] turns scanned text into a payload (also accepting raw JSON or a JWS, as some
//! wallets put them in QR codes directly); [`scan`] finds every QR code in a PNG, JPEG, GIF or WebP
//! image (a photo or a screenshot). All of it is pure computation over bytes and strings, with caps:
//! an image of at most [`MAX_IMAGE_BYTES`] and [`MAX_IMAGE_PIXELS`], a document of at most
//! [`MAX_DOCUMENT_BYTES`] after inflating (a zlib bomb stops at the cap).

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use qrcode::{EcLevel, QrCode};

#[cfg(feature = "images")]
mod raster;
pub mod vc2;
pub mod vp1;
#[cfg(feature = "images")]
pub use raster::{decode_cost, render_png, scan, scan_svg, DecodeCost};
pub use vp1::{Vp1Error, VP1_PREFIX};

/// The prefix of the first compact form: `VC1:` + Base45(zlib(document)).
pub const COMPACT_PREFIX: &str = "VC1:";
/// The prefix of the second compact form, `VC2:` (see [`vc2`]).
pub const COMPACT_PREFIX_V2: &str = vc2::PREFIX;
/// Largest document a compact payload may inflate to: the verifier's input cap.
pub const MAX_DOCUMENT_BYTES: usize = crate::bake::MAX_CREDENTIAL_BYTES;
/// Largest image [`scan`] reads.
pub const MAX_IMAGE_BYTES: usize = crate::bake::MAX_IMAGE_BYTES;
/// Largest image, in pixels, that [`scan`] decodes (a 48-megapixel photo).
pub const MAX_IMAGE_PIXELS: u64 = 48_000_000;
/// Largest width or height, in pixels, of an image [`scan`] decodes.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Memory one image's decoding for a scan may take, in bytes: the decoded pixels in the image's
/// own format, plus the downscaled copy that is scanned. Checked from the image's header before
/// any pixel is decoded, and given to the decoder as its allocation limit. A 6,900 × 6,900 grey
/// PNG (48 MB decoded) fits; the same image in RGB (143 MB) does not. A service holds at most
/// (memory ceiling − the rest of the service) / this many decodes at once.
pub const DECODE_BUDGET_BYTES: u64 = 128 * 1024 * 1024;
/// Longest side, in pixels, an image is scanned at: larger ones are downscaled first (the
/// largest QR code, 185 modules with its quiet zone, still gets 11 pixels a module).
pub const SCAN_MAX_SIDE: u32 = 2_048;
/// Longest side, in pixels, an SVG is rasterised at for a scan (4 MiB of RGBA at most).
pub const SVG_RASTER_SIDE: u32 = 1_024;
/// Largest module size [`render_png`] draws, in pixels.
pub const MAX_MODULE_PIXELS: u32 = 32;

/// Modules of white border around a code, as the QR specification asks.
pub const QUIET_ZONE: usize = 4;

/// What a QR code carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrPayload {
    /// A credential or presentation: JSON text or a compact JWS, exactly as signed.
    Document(String),
    /// An `http(s)` URL where the credential can be fetched.
    Link(String),
}

/// Why a payload could not be made, rendered or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// This build reads no images (passerelle-core without its `images` feature).
    #[error(
        "this build reads no QR codes from images (passerelle-core's `images` feature is off)"
    )]
    ImagesNotBuilt,
    /// The text does not fit in a QR code (version 40, error correction L).
    #[error(
        "{what} is {chars} characters long, more than a QR code holds (4,296 alphanumeric or \
         2,953 bytes); share it by link instead"
    )]
    TooLarge { what: &'static str, chars: usize },
    /// `VC1:` followed by something that is not Base45.
    #[error(
        "the QR payload starts with {COMPACT_PREFIX} but the rest is not valid Base45 (RFC 9285)"
    )]
    InvalidBase45,
    /// The Base45 data is not a zlib stream.
    #[error("the QR payload's {COMPACT_PREFIX} data is not a valid zlib stream: {reason}")]
    InvalidCompression { reason: String },
    /// A `VP1-` code (the Learner Credential Wallet's CBOR-LD form) that could not be read.
    #[error("the QR code's VP1- data (CBOR-LD, as the Learner Credential Wallet writes it) cannot be read: {source}")]
    Vp1 {
        #[source]
        source: Vp1Error,
    },
    /// The inflated document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("the QR payload inflates to more than {max} bytes", max = MAX_DOCUMENT_BYTES)]
    DocumentTooLarge,
    /// The inflated document is not UTF-8 text.
    #[error("the QR payload's document is not UTF-8 text (invalid byte at offset {offset} of the inflated document)")]
    NotUtf8 { offset: usize },
    /// The text is none of the forms [`decode`] knows.
    #[error(
        "the QR code holds neither a credential ({COMPACT_PREFIX_V2}…, {COMPACT_PREFIX}…, {VP1_PREFIX}…, JSON or a \
         compact JWS) nor an http(s) link (it starts with {start:?})"
    )]
    Unrecognised { start: String },
    /// [`payload_for`] had neither a compact form that fits nor a link.
    #[error(
        "the credential is too large for a QR code ({chars} characters in compact form) and it \
         has no link to share instead"
    )]
    NoPayload { chars: usize },
    /// `VC2:` followed by something that is not Base45.
    #[error("the QR payload starts with VC2: but the rest is not valid Base45 (RFC 9285)")]
    Vc2Base45,
    /// The `VC2:` data's form byte is missing or not one this version reads.
    #[error("the QR payload's VC2: data {}", match .form {
        None => "is empty".to_owned(),
        Some(form) => format!("has form {form}, which this version does not read (0 and 1 only)"),
    })]
    Vc2Form { form: Option<u8> },
    /// The `VC2:` data is not a DEFLATE stream over the VC2 dictionary.
    #[error("the QR payload's VC2: data is not a valid DEFLATE stream (at byte {offset} of it)")]
    Vc2Deflate { offset: usize },
    /// The `VC2:` DEFLATE stream ends before its last block does.
    #[error("the QR payload's VC2: data is cut short (its DEFLATE stream does not end)")]
    Vc2Truncated,
    /// Bytes follow the end of the `VC2:` DEFLATE stream.
    #[error("the QR payload's VC2: data has {extra} byte(s) after the end of its DEFLATE stream")]
    Vc2TrailingBytes { extra: usize },
    /// A `VC2:` compact JWS whose part lengths are not a LEB128 number of at most 4 bytes.
    #[error("the QR payload's VC2: compact JWS has an unreadable part length")]
    Vc2JwsLength,
    /// A `VC2:` compact JWS whose header and payload lengths exceed its data.
    #[error(
        "the QR payload's VC2: compact JWS says its header has {header} bytes and its payload \
         {payload}, but only {available} follow"
    )]
    Vc2JwsParts {
        header: usize,
        payload: usize,
        available: usize,
    },
    /// The image could not be decoded.
    #[error("the image could not be read: {reason}")]
    Image { reason: String },
    /// The image is over the caps.
    #[error("the image is too large to scan: {reason}")]
    ImageTooLarge { reason: String },
    /// Decoding the image would take more memory than one image may
    /// ([`DECODE_BUDGET_BYTES`]); found from its header, before decoding.
    #[error(
        "the image is {width} × {height} pixels, which would take {needed} MiB to decode for a scan, \
         more than the {allowed} MiB allowed for one image",
        needed = .bytes.div_ceil(1024 * 1024),
        allowed = .budget / (1024 * 1024)
    )]
    OverBudget {
        width: u32,
        height: u32,
        bytes: u64,
        budget: u64,
    },
    /// The image holds no readable QR code.
    #[error("no readable QR code was found in the image")]
    NoCode,
    /// `render_png` was asked for a module size of 0 or above [`MAX_MODULE_PIXELS`].
    #[error("module size must be 1 to {MAX_MODULE_PIXELS} pixels, not {0}")]
    ModuleSize(u32),
}

/// The first compact form of a document: `VC1:` + Base45(zlib(document's UTF-8 bytes)), for
/// readers that know only `VC1:`. [`payload_for`] writes the shorter of this and
/// [`encode_compact_v2`]. [`QrError::TooLarge`] when the result would not fit in a QR code.
pub fn encode_compact(document: &str) -> Result<String, QrError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let compressed = encoder
        .write_all(document.as_bytes())
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    let text = format!("{COMPACT_PREFIX}{}", base45::encode(compressed));
    if !fits(&text) {
        return Err(QrError::TooLarge {
            what: "the compact form",
            chars: text.len(),
        });
    }
    Ok(text)
}

/// The `VC2:` compact form of a document (see [`vc2`]): the same document back from
/// [`decode`], byte for byte, in fewer characters. [`QrError::TooLarge`] when the result would
/// not fit in a QR code.
pub fn encode_compact_v2(document: &str) -> Result<String, QrError> {
    let text = vc2::encode(document);
    if !fits(&text) {
        return Err(QrError::TooLarge {
            what: "the compact form",
            chars: text.len(),
        });
    }
    Ok(text)
}

/// Whether `text` starts like a compact form (`VC1:` or `VC2:`), before any check of the rest.
pub fn is_compact(text: &str) -> bool {
    text.starts_with(COMPACT_PREFIX) || text.starts_with(COMPACT_PREFIX_V2)
}

/// Reads the text of a scanned QR code.
pub fn decode(text: &str) -> Result<QrPayload, QrError> {
    let text = text.trim();
    if let Some(data) = text.strip_prefix(COMPACT_PREFIX_V2) {
        return vc2::decode(data).map(QrPayload::Document);
    }
    if let Some(data) = text.strip_prefix(COMPACT_PREFIX) {
        let compressed = base45::decode(data).map_err(|_| QrError::InvalidBase45)?;
        let mut inflated = Vec::new();
        ZlibDecoder::new(compressed.as_slice())
            .take(MAX_DOCUMENT_BYTES as u64 + 1)
            .read_to_end(&mut inflated)
            .map_err(|e| QrError::InvalidCompression {
                reason: e.to_string(),
            })?;
        if inflated.len() > MAX_DOCUMENT_BYTES {
            return Err(QrError::DocumentTooLarge);
        }
        return String::from_utf8(inflated)
            .map(QrPayload::Document)
            .map_err(|e| QrError::NotUtf8 {
                offset: e.utf8_error().valid_up_to(),
            });
    }
    if text.starts_with(VP1_PREFIX) {
        let document = vp1::decode(text).map_err(|source| QrError::Vp1 { source })?;
        // Serialising a `Value` cannot fail (its keys are strings).
        return serde_json::to_string(&document)
            .map(QrPayload::Document)
            .map_err(|_| QrError::DocumentTooLarge);
    }
    if is_http_url(text) {
        return Ok(QrPayload::Link(text.to_owned()));
    }
    if text.starts_with('{') || is_compact_jws(text) {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(QrError::DocumentTooLarge);
        }
        return Ok(QrPayload::Document(text.to_owned()));
    }
    Err(QrError::Unrecognised {
        start: text.chars().take(16).collect(),
    })
}

/// What to put in a QR code for `document`: its shorter compact form (`VC2:` unless `VC1:` is
/// shorter) when that fits, else `link`.
pub fn payload_for(document: &str, link: Option<&str>) -> Result<String, QrError> {
    let shortest = match (encode_compact(document), encode_compact_v2(document)) {
        (Ok(v1), Ok(v2)) if v2.len() >= v1.len() => Ok(v1),
        (_, Ok(v2)) => Ok(v2),
        (v1, Err(_)) => v1,
    };
    match shortest {
        Ok(compact) => Ok(compact),
        Err(QrError::TooLarge { chars, .. }) => match link {
            Some(link) if fits(link) => Ok(link.to_owned()),
            Some(link) => Err(QrError::TooLarge {
                what: "the link",
                chars: link.len(),
            }),
            None => Err(QrError::NoPayload { chars }),
        },
        Err(other) => Err(other),
    }
}

/// The modules of the QR code for `text`, as every renderer here draws it (error correction M
/// when the text fits it, else L), for drawing it elsewhere at a chosen size (e.g. on a printed
/// certificate, where a module must be at least half a millimetre).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    width: usize,
    dark: Vec<bool>,
}

impl QrModules {
    /// The code for `text`; [`QrError::TooLarge`] when it does not fit in a QR code.
    pub fn new(text: &str) -> Result<Self, QrError> {
        let code = code_for(text)?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Self {
            width: code.width(),
            dark,
        })
    }

    /// Modules a side, without the quiet zone (21 for version 1, 177 for version 40).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Modules a side with the quiet zone ([`QUIET_ZONE`] each side).
    pub fn side(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// The symbol's version, 1 to 40 (its width is 17 + 4 × version).
    pub fn version(&self) -> usize {
        (self.width - 17) / 4
    }

    /// Whether the module at column `x`, row `y` (0-based, without the quiet zone) is dark.
    /// Outside the symbol: light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// SVG path data drawing the dark modules, one user unit a module, in coordinates that
    /// include the quiet zone (the symbol starts at ([`QUIET_ZONE`], [`QUIET_ZONE`]); the
    /// whole code is [`Self::side`] units square). One rectangle per horizontal run of dark
    /// modules, not one per module: the claim page's large offer code went from 46 KB to a
    /// third of that (low-bandwidth pages, issue 17).
    pub fn svg_path(&self) -> String {
        let width = self.width;
        let mut path = String::new();
        for (row, modules) in self.dark.chunks(width).enumerate() {
            let mut x = 0;
            while x < width {
                if !modules[x] {
                    x += 1;
                    continue;
                }
                let run = modules[x..].iter().take_while(|d| **d).count();
                let (left, top) = (x + QUIET_ZONE, row + QUIET_ZONE);
                path.push_str(&format!("M{left} {top}h{run}v1h-{run}z"));
                x += run;
            }
        }
        path
    }
}

/// A standalone SVG image of the QR code for `text` (black on white, with the quiet zone),
/// scalable: one user unit a module.
pub fn render_svg(text: &str) -> Result<String, QrError> {
    let modules = QrModules::new(text)?;
    let size = modules.side();
    let path = modules.svg_path();
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// The QR code for `text` drawn with Unicode half blocks, two modules a character cell, dark on
/// light whatever the terminal's colours (the light modules are drawn, the dark ones are spaces
/// inverted), one line per two rows, with the quiet zone.
pub fn render_terminal(text: &str) -> Result<String, QrError> {
    let code = code_for(text)?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    // Dark module at (x, y) in quiet-zone coordinates.
    let dark = |x: usize, y: usize| -> bool {
        if x < QUIET_ZONE || y < QUIET_ZONE || x >= width + QUIET_ZONE || y >= width + QUIET_ZONE {
            return false;
        }
        colors[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] == qrcode::Color::Dark
    };
    let mut out = String::with_capacity(size * size);
    for row in (0..size).step_by(2) {
        for x in 0..size {
            let top = dark(x, row);
            let bottom = row + 1 < size && dark(x, row + 1);
            // Light is drawn with blocks so that the code reads on dark and light terminals.
            out.push(match (top, bottom) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// Whether `text` fits in a QR code at the lowest error-correction level.
fn fits(text: &str) -> bool {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).is_ok()
}

/// The QR code for `text`: error correction M when the text fits it (15 % of the code can be
/// damaged), else L.
fn code_for(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L))
        .map_err(|_| QrError::TooLarge {
            what: "the text",
            chars: text.len(),
        })
}

fn is_http_url(text: &str) -> bool {
    let lower = text
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url::Url::parse(text).is_ok_and(|u| u.host().is_some())
}

fn is_compact_jws(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "images")]
    use std::io::Cursor;

    use super::*;

    #[test]
    fn a_compact_payload_that_is_not_utf8_names_the_offset() {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(b"{\"name\":\"ab\xffc\"}").unwrap();
        let text = format!(
            "{COMPACT_PREFIX}{}",
            base45::encode(encoder.finish().unwrap())
        );
        let err = decode(&text).unwrap_err();
        assert!(matches!(err, QrError::NotUtf8 { offset: 11 }), "{err:?}");
        assert!(err.to_string().contains("offset 11"), "{err}");
    }

    #[test]
    fn compact_round_trip_keeps_the_exact_bytes() {
        let document = "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"é\":1}";
        let compact = encode_compact(document).unwrap();
        assert!(compact.starts_with(COMPACT_PREFIX));
        assert!(compact
            .bytes()
            .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)));
        assert_eq!(
            decode(&compact).unwrap(),
            QrPayload::Document(document.into())
        );
    }

    #[test]
    fn links_json_and_jws_are_recognised() {
        assert_eq!(
            decode(" https://learn.example/claim/abc \n").unwrap(),
            QrPayload::Link("https://learn.example/claim/abc".into())
        );
        assert!(matches!(decode("{\"a\":1}"), Ok(QrPayload::Document(_))));
        assert!(matches!(
            decode("eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln"),
            Ok(QrPayload::Document(_))
        ));
        assert!(matches!(
            decode("ftp://x.example/a"),
            Err(QrError::Unrecognised { .. })
        ));
        assert!(matches!(
            decode("https://"),
            Err(QrError::Unrecognised { .. })
        ));
    }

    #[test]
    fn bad_compact_payloads_are_specific_errors() {
        assert_eq!(decode("VC1:a"), Err(QrError::InvalidBase45));
        let not_zlib = format!("{COMPACT_PREFIX}{}", base45::encode(b"plain text"));
        assert!(matches!(
            decode(&not_zlib),
            Err(QrError::InvalidCompression { .. })
        ));
        // A zlib bomb: 2 MiB of zeros compresses to a few KB and stops at the cap.
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&vec![b'0'; 2 * 1024 * 1024]).unwrap();
        let bomb = format!(
            "{COMPACT_PREFIX}{}",
            base45::encode(encoder.finish().unwrap())
        );
        assert_eq!(decode(&bomb), Err(QrError::DocumentTooLarge));
    }

    #[test]
    fn payload_falls_back_to_the_link() {
        // Random text does not compress: 4,000 bytes cannot fit.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let noise: String = (0..4000)
            .map(|_| {
                // xorshift64: incompressible enough for zlib.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'!' + (state % 90) as u8)
            })
            .collect();
        assert!(matches!(
            encode_compact(&noise),
            Err(QrError::TooLarge { .. })
        ));
        assert_eq!(
            payload_for(&noise, Some("https://learn.example/claim/x")).unwrap(),
            "https://learn.example/claim/x"
        );
        assert!(matches!(
            payload_for(&noise, None),
            Err(QrError::NoPayload { .. })
        ));
        // The shorter compact form: VC2 (no zlib header or checksum, and the dictionary).
        let short = payload_for("{}", None).unwrap();
        assert!(short.starts_with(COMPACT_PREFIX_V2), "{short}");
        assert!(short.len() < encode_compact("{}").unwrap().len());
        assert_eq!(decode(&short).unwrap(), QrPayload::Document("{}".into()));
    }

    #[test]
    fn both_compact_forms_are_read() {
        let document = "{\"type\":[\"VerifiableCredential\",\"OpenBadgeCredential\"]}";
        for compact in [
            encode_compact(document).unwrap(),
            encode_compact_v2(document).unwrap(),
        ] {
            assert!(is_compact(&compact));
            assert_eq!(
                decode(&format!(" {compact}\n")).unwrap(),
                QrPayload::Document(document.into())
            );
        }
        assert_eq!(decode("VC2:a"), Err(QrError::Vc2Base45));
        assert!(!is_compact("VC3:AB"));
    }

    #[test]
    #[cfg(feature = "images")]
    fn rendered_png_scans_back() {
        let text = encode_compact("{\"name\":\"Data Literacy Foundations\"}").unwrap();
        let png = render_png(&text, 4).unwrap();
        assert_eq!(scan(&png).unwrap(), vec![text]);
        assert_eq!(render_png("x", 0), Err(QrError::ModuleSize(0)));
    }

    #[test]
    fn modules_match_the_code_and_its_path() {
        let text = "https://learn.example/claim/x";
        let modules = QrModules::new(text).unwrap();
        // 29 bytes need version 3 at level M.
        assert_eq!(
            (modules.version(), modules.width(), modules.side()),
            (3, 29, 37)
        );
        // The finder pattern's corner is dark, the separator beside it light, outside light.
        assert!(modules.is_dark(0, 0) && modules.is_dark(6, 6) && !modules.is_dark(7, 0));
        assert!(!modules.is_dark(29, 0) && !modules.is_dark(0, 29));
        // The path covers exactly the dark modules: count its runs' lengths.
        let drawn: usize = modules
            .svg_path()
            .split('h')
            .skip(1)
            .step_by(2)
            .map(|run| run.split('v').next().unwrap().parse::<usize>().unwrap())
            .sum();
        let dark = (0..29)
            .flat_map(|y| (0..29).map(move |x| (x, y)))
            .filter(|&(x, y)| modules.is_dark(x, y))
            .count();
        assert_eq!(drawn, dark);
        assert!(modules.svg_path().starts_with("M4 4h7v1h-7z"));
        assert!(render_svg(text).unwrap().contains(&modules.svg_path()));
    }

    #[test]
    fn svg_and_terminal_have_the_quiet_zone() {
        let svg = render_svg("https://learn.example/claim/x").unwrap();
        // 29 bytes need version 3 at level M: 29 modules, and 4 of quiet zone each side.
        assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 37 37\""));
        let terminal = render_terminal("https://learn.example/claim/x").unwrap();
        let lines: Vec<&str> = terminal.lines().collect();
        assert_eq!(lines.len(), 19);
        assert!(lines.iter().all(|l| l.chars().count() == 37));
        assert!(lines[0].chars().all(|c| c == '█'));
    }

    #[test]
    #[cfg(feature = "images")]
    fn scan_rejects_non_images_and_blank_images() {
        assert!(matches!(scan(b"not an image"), Err(QrError::Image { .. })));
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut png = Vec::new();
        blank
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(scan(&png), Err(QrError::NoCode));
    }

    /// A PNG whose header says `width` × `height` (its pixel data is a 1 × 1 image's: the
    /// header is all that may be read before refusing it).
    #[cfg(feature = "images")]
    fn png_claiming(width: u32, height: u32, color: image::ColorType) -> Vec<u8> {
        let one = image::DynamicImage::new(1, 1, color);
        let mut png = Vec::new();
        one.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        // IHDR is the first chunk: length (8..12), type (12..16), width, height, …, CRC.
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    #[cfg(feature = "images")]
    fn an_image_over_the_decode_budget_is_refused_from_its_header() {
        // The attack's size: 6,900 × 6,900. In RGB it needs 143 MB decoded: refused, naming
        // the size and the limit, before any pixel is decoded (there are none to decode).
        let rgb = png_claiming(6_900, 6_900, image::ColorType::Rgb8);
        let err = scan(&rgb).unwrap_err();
        assert!(
            matches!(
                err,
                QrError::OverBudget {
                    width: 6_900,
                    height: 6_900,
                    budget: DECODE_BUDGET_BYTES,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("6900 × 6900 pixels")
                && err.to_string().contains("the 128 MiB allowed"),
            "{err}"
        );
        // In grey it fits the budget: 48 MB decoded, plus the 2,048-pixel copy scanned.
        let cost = decode_cost(&png_claiming(6_900, 6_900, image::ColorType::L8)).unwrap();
        assert_eq!(cost.bytes, 6_900 * 6_900 + 2_048 * 2_048 * 2);
        // Over the side limit: the decoder's own limit answers, still from the header.
        assert!(matches!(
            scan(&png_claiming(40_000, 10, image::ColorType::L8)),
            Err(QrError::ImageTooLarge { .. })
        ));
    }

    #[test]
    #[cfg(feature = "images")]
    fn a_large_image_is_downscaled_and_its_code_still_found() {
        let text = encode_compact("{\"name\":\"Data Literacy Foundations\"}").unwrap();
        let small = image::load_from_memory(&render_png(&text, 4).unwrap())
            .unwrap()
            .into_luma8();
        // About 4,400 pixels a side: more than twice SCAN_MAX_SIDE.
        let factor = 4_400 / small.width();
        let large = image::imageops::resize(
            &small,
            small.width() * factor,
            small.height() * factor,
            image::imageops::FilterType::Nearest,
        );
        assert!(large.width() > 2 * SCAN_MAX_SIDE);
        let mut png = Vec::new();
        large
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(scan(&png).unwrap(), vec![text]);
    }

    #[test]
    #[cfg(feature = "images")]
    fn a_rendered_svg_is_rasterised_and_scans_back() {
        let text = encode_compact("{\"name\":\"Data Literacy Foundations\"}").unwrap();
        let svg = render_svg(&text).unwrap();
        assert_eq!(scan(svg.as_bytes()).unwrap(), vec![text.clone()]);
        assert_eq!(scan_svg(svg.as_bytes()).unwrap(), vec![text]);
        // No code in it: a normal "no code".
        let blank = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"/>";
        assert_eq!(scan_svg(blank.as_bytes()), Err(QrError::NoCode));
        // Entities are refused, external images ignored (nothing is read).
        let entities =
            "<!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        assert!(matches!(
            scan_svg(entities.as_bytes()),
            Err(QrError::Image { .. })
        ));
        let external = "<svg xmlns=\"http://www.w3.org/2000/svg\" \
            xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 10 10\">\
            <image width=\"10\" height=\"10\" xlink:href=\"/etc/passwd\"/>\
            <image width=\"10\" height=\"10\" href=\"http://127.0.0.1:9/x.png\"/></svg>";
        assert_eq!(scan_svg(external.as_bytes()), Err(QrError::NoCode));
    }
}
