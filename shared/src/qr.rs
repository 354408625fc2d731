//! Credentials in QR codes: the compact text form, rendering, and reading QR codes from images.
//!
//! A QR code carries one of two payloads ([`QrPayload`]):
//! - **the credential itself**, in the compact form `VC1:` + Base45(zlib(document)), where the
//!   document is the credential or presentation exactly as signed (JSON text with an embedded
//!   proof, or a compact JWS). Base45 (RFC 9285) uses only characters of the QR alphanumeric mode,
//!   so the text is stored at 5.5 bits a character, the way the EU Digital COVID Certificate's
//!   `HC1:` form does. Nothing is re-serialised: the bytes that were signed are the bytes carried.
//! - **a link** (`https://…`) to where the credential can be fetched, e.g. an issuer's claim link,
//!   for credentials too large for a QR code.
//!
//! A QR code holds at most 4,296 alphanumeric characters (version 40, error correction L), so the
//! compact form fits a credential of roughly 2.8 KB of compressed data; a typical 4–5 KB Open Badge
//! without an embedded image fits, one with an embedded image usually does not.
//! [`payload_for`] picks the compact form when it fits and the link otherwise. Large codes (above
//! version ≈ 25) need a good camera or a screenshot; the link is the dependable way to share.
//!
//! Reading: [`decode`] turns scanned text into a payload (also accepting raw JSON or a JWS, as some
//! wallets put them in QR codes directly); [`scan`] finds every QR code in a PNG, JPEG, GIF or WebP
//! image (a photo or a screenshot). All of it is pure computation over bytes and strings, with caps:
//! an image of at most [`MAX_IMAGE_BYTES`] and [`MAX_IMAGE_PIXELS`], a document of at most
//! [`MAX_DOCUMENT_BYTES`] after inflating (a zlib bomb stops at the cap).

use std::io::{Cursor, Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use qrcode::{EcLevel, QrCode};

/// The prefix of the compact form: `VC1:` + Base45(zlib(document)).
pub const COMPACT_PREFIX: &str = "VC1:";
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
const QUIET_ZONE: usize = 4;

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
    /// The inflated document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("the QR payload inflates to more than {max} bytes", max = MAX_DOCUMENT_BYTES)]
    DocumentTooLarge,
    /// The inflated document is not UTF-8 text.
    #[error("the QR payload's document is not UTF-8 text (invalid byte at offset {offset} of the inflated document)")]
    NotUtf8 { offset: usize },
    /// The text is none of the forms [`decode`] knows.
    #[error(
        "the QR code holds neither a credential ({COMPACT_PREFIX}…, JSON or a compact JWS) nor an \
         http(s) link (it starts with {start:?})"
    )]
    Unrecognised { start: String },
    /// [`payload_for`] had neither a compact form that fits nor a link.
    #[error(
        "the credential is too large for a QR code ({chars} characters in compact form) and it \
         has no link to share instead"
    )]
    NoPayload { chars: usize },
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

/// The compact form of a document: `VC1:` + Base45(zlib(document's UTF-8 bytes)).
/// [`QrError::TooLarge`] when the result would not fit in a QR code.
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

/// Reads the text of a scanned QR code.
pub fn decode(text: &str) -> Result<QrPayload, QrError> {
    let text = text.trim();
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

/// What to put in a QR code for `document`: its compact form when that fits, else `link`.
pub fn payload_for(document: &str, link: Option<&str>) -> Result<String, QrError> {
    match encode_compact(document) {
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

/// A standalone SVG image of the QR code for `text` (black on white, with the quiet zone),
/// scalable: one user unit a module.
pub fn render_svg(text: &str) -> Result<String, QrError> {
    let code = code_for(text)?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let colors = code.to_colors();
    let mut path = String::new();
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
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

/// A PNG image of the QR code for `text`: `module_pixels` pixels a module, with the quiet zone.
pub fn render_png(text: &str, module_pixels: u32) -> Result<Vec<u8>, QrError> {
    if module_pixels == 0 || module_pixels > MAX_MODULE_PIXELS {
        return Err(QrError::ModuleSize(module_pixels));
    }
    let code = code_for(text)?;
    let width = code.width();
    let colors = code.to_colors();
    let scale = module_pixels as usize;
    let side = (width + 2 * QUIET_ZONE) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
        }
    }
    // The side is at most (177 + 8) × 32 pixels, well within u32.
    let side = u32::try_from(side).unwrap_or(u32::MAX);
    let image = image::GrayImage::from_raw(side, side, pixels).ok_or_else(|| QrError::Image {
        reason: "internal: pixel buffer size".into(),
    })?;
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| QrError::Image {
            reason: e.to_string(),
        })?;
    Ok(png)
}

/// The texts of every QR code found in an image (PNG, JPEG, GIF, WebP, or an SVG, which is
/// rasterised first: see [`scan_svg`]), in the order found. [`QrError::NoCode`] when there is
/// none that can be read.
///
/// Memory: the image's header is read first, and an image whose decoding would take more than
/// [`DECODE_BUDGET_BYTES`] is refused ([`QrError::OverBudget`]) before any pixel is decoded.
/// An image larger than [`SCAN_MAX_SIDE`] on a side is downscaled before the scan.
pub fn scan(image: &[u8]) -> Result<Vec<String>, QrError> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(QrError::ImageTooLarge {
            reason: format!("{} bytes (at most {MAX_IMAGE_BYTES})", image.len()),
        });
    }
    if looks_like_markup(image) {
        return scan_svg(image);
    }
    scan_luma(decode_for_scan(image)?)
}

/// The cost of decoding an image, from its header: what [`scan`] checks against
/// [`DECODE_BUDGET_BYTES`] before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeCost {
    pub width: u32,
    pub height: u32,
    /// Bytes of the decoded image in its own pixel format, plus the downscaled copy (in that
    /// format and in grey) that is scanned.
    pub bytes: u64,
}

/// Reads the header of a raster image and says what decoding it for a scan would cost.
pub fn decode_cost(image: &[u8]) -> Result<DecodeCost, QrError> {
    let decoder = decoder_for(image)?;
    cost_of(&decoder)
}

fn decoder_for(image: &[u8]) -> Result<impl image::ImageDecoder + '_, QrError> {
    let mut reader = image::ImageReader::new(Cursor::new(image))
        .with_guessed_format()
        .map_err(|e| QrError::Image {
            reason: e.to_string(),
        })?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_BUDGET_BYTES);
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    reader.limits(limits);
    reader.into_decoder().map_err(image_error)
}

fn cost_of(decoder: &impl image::ImageDecoder) -> Result<DecodeCost, QrError> {
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_IMAGE_PIXELS {
        return Err(QrError::ImageTooLarge {
            reason: format!("{width} × {height} pixels (at most {MAX_IMAGE_PIXELS})"),
        });
    }
    let per_pixel = u64::from(decoder.color_type().bytes_per_pixel());
    let (small_w, small_h) = scan_size(width, height);
    let small = if (small_w, small_h) == (width, height) {
        // Scanned as decoded; only a grey copy when the image is not grey already.
        if decoder.color_type() == image::ColorType::L8 {
            0
        } else {
            pixels
        }
    } else {
        u64::from(small_w) * u64::from(small_h) * (per_pixel + 1)
    };
    let bytes = decoder.total_bytes().saturating_add(small);
    if bytes > DECODE_BUDGET_BYTES {
        return Err(QrError::OverBudget {
            width,
            height,
            bytes,
            budget: DECODE_BUDGET_BYTES,
        });
    }
    Ok(DecodeCost {
        width,
        height,
        bytes,
    })
}

/// The size an image is scanned at: its own, or downscaled to fit [`SCAN_MAX_SIDE`] keeping
/// its proportions.
fn scan_size(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= SCAN_MAX_SIDE {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled = u64::from(side) * u64::from(SCAN_MAX_SIDE) / u64::from(long);
        // At most SCAN_MAX_SIDE, so it fits in u32.
        u32::try_from(scaled).unwrap_or(SCAN_MAX_SIDE).max(1)
    };
    (scale(width), scale(height))
}

/// Decodes a raster image within the budget and returns the grey image to scan, downscaled
/// when larger than [`SCAN_MAX_SIDE`].
fn decode_for_scan(image: &[u8]) -> Result<image::GrayImage, QrError> {
    let decoder = decoder_for(image)?;
    let cost = cost_of(&decoder)?;
    let decoded = image::DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let (small_w, small_h) = scan_size(cost.width, cost.height);
    if (small_w, small_h) == (cost.width, cost.height) {
        return Ok(decoded.into_luma8());
    }
    // Area averaging (no intermediate image larger than the result), in the image's own
    // format; the full-size image is freed before the scan.
    let small = decoded.thumbnail_exact(small_w, small_h);
    drop(decoded);
    Ok(small.into_luma8())
}

fn scan_luma(luma: image::GrayImage) -> Result<Vec<String>, QrError> {
    let mut prepared = rqrr::PreparedImage::prepare(luma);
    let texts: Vec<String> = prepared
        .detect_grids()
        .iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect();
    if texts.is_empty() {
        return Err(QrError::NoCode);
    }
    Ok(texts)
}

/// The QR codes in an SVG image, rasterised (white background) with its longest side at about
/// [`SVG_RASTER_SIDE`] pixels, a whole number of pixels a user unit when the drawing is small
/// (as [`render_svg`]'s one unit a module is). Nothing outside the SVG is read: `<image>`
/// references (files, URLs, even `data:` images) are ignored, text is not drawn (no fonts),
/// and a document type with entity declarations is refused.
pub fn scan_svg(svg: &[u8]) -> Result<Vec<String>, QrError> {
    if svg.len() > MAX_IMAGE_BYTES {
        return Err(QrError::ImageTooLarge {
            reason: format!("{} bytes (at most {MAX_IMAGE_BYTES})", svg.len()),
        });
    }
    if svg.windows(8).any(|w| w.eq_ignore_ascii_case(b"<!ENTITY")) {
        return Err(QrError::Image {
            reason: "the SVG declares XML entities, which are not read".into(),
        });
    }
    let options = resvg::usvg::Options {
        // No directory to resolve relative references in, and no `<image>` resolved at all.
        resources_dir: None,
        image_href_resolver: resvg::usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_data(svg, &options).map_err(|e| QrError::Image {
        reason: format!("the SVG could not be read: {e}"),
    })?;
    let size = tree.size();
    let long = size.width().max(size.height());
    if !(long.is_finite() && long > 0.0) {
        return Err(QrError::Image {
            reason: "the SVG has no size".into(),
        });
    }
    let target = SVG_RASTER_SIDE as f32;
    let scale = if long <= target {
        (target / long).floor()
    } else {
        target / long
    };
    let side = |v: f32| ((v * scale).ceil() as u32).clamp(1, SVG_RASTER_SIDE);
    let (width, height) = (side(size.width()), side(size.height()));
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(width, height).ok_or_else(|| QrError::Image {
            reason: "the SVG has no size".into(),
        })?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    drop(tree);
    // The pixmap is RGBA over an opaque white background: its luma is its grey level.
    let luma: Vec<u8> = pixmap
        .pixels()
        .iter()
        .map(|p| {
            let (r, g, b) = (
                u32::from(p.red()),
                u32::from(p.green()),
                u32::from(p.blue()),
            );
            // ITU-R BT.601 weights, in integers; at most 255.
            u8::try_from((299 * r + 587 * g + 114 * b) / 1000).unwrap_or(u8::MAX)
        })
        .collect();
    drop(pixmap);
    let luma = image::GrayImage::from_raw(width, height, luma).ok_or_else(|| QrError::Image {
        reason: "internal: pixel buffer size".into(),
    })?;
    scan_luma(luma)
}

/// Text starting with `<` (after a byte-order mark and white space): an SVG, or not an image.
fn looks_like_markup(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    start.trim_ascii_start().starts_with(b"<")
}

fn image_error(error: image::ImageError) -> QrError {
    match error {
        image::ImageError::Limits(e) => QrError::ImageTooLarge {
            reason: e.to_string(),
        },
        other => QrError::Image {
            reason: other.to_string(),
        },
    }
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
        assert!(payload_for("{}", None).unwrap().starts_with(COMPACT_PREFIX));
    }

    #[test]
    fn rendered_png_scans_back() {
        let text = encode_compact("{\"name\":\"Data Literacy Foundations\"}").unwrap();
        let png = render_png(&text, 4).unwrap();
        assert_eq!(scan(&png).unwrap(), vec![text]);
        assert_eq!(render_png("x", 0), Err(QrError::ModuleSize(0)));
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
    fn png_claiming(width: u32, height: u32, color: image::ColorType) -> Vec<u8> {
        let one = image::DynamicImage::new(1, 1, color);
        let mut png = Vec::new();
        one.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        // IHDR is the first chunk: length (8..12), type (12..16), width, height, …, CRC.
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
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
