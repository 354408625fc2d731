//! QR codes and images (feature `images`): reading every QR code in a PNG, JPEG, GIF or WebP
//! photo or screenshot (`image`, `rqrr`) or in an SVG (rasterised by `resvg`), under decode
//! budgets checked before any pixel is decoded; rendering a QR code as a PNG.

use std::io::Cursor;

use super::{
    code_for, QrError, DECODE_BUDGET_BYTES, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE,
    MAX_MODULE_PIXELS, QUIET_ZONE, SCAN_MAX_SIDE, SVG_RASTER_SIDE,
};

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
    let image = ::image::GrayImage::from_raw(side, side, pixels).ok_or_else(|| QrError::Image {
        reason: "internal: pixel buffer size".into(),
    })?;
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ::image::ImageFormat::Png)
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
/// An image larger than [`SCAN_MAX_SIDE`] on a side is downscaled before the scan (and, if no
/// code is read, scanned again at smaller sizes: [`RESCAN_SIDES`]).
pub fn scan(image: &[u8]) -> Result<Vec<String>, QrError> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(QrError::ImageTooLarge {
            reason: format!("{} bytes (at most {MAX_IMAGE_BYTES})", image.len()),
        });
    }
    if looks_like_markup(image) {
        return scan_svg(image);
    }
    decode_and_scan(image)
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

fn decoder_for(image: &[u8]) -> Result<impl ::image::ImageDecoder + '_, QrError> {
    let mut reader = ::image::ImageReader::new(Cursor::new(image))
        .with_guessed_format()
        .map_err(|e| QrError::Image {
            reason: e.to_string(),
        })?;
    let mut limits = ::image::Limits::default();
    limits.max_alloc = Some(DECODE_BUDGET_BYTES);
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    reader.limits(limits);
    reader.into_decoder().map_err(image_error)
}

fn cost_of(decoder: &impl ::image::ImageDecoder) -> Result<DecodeCost, QrError> {
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
        if decoder.color_type() == ::image::ColorType::L8 {
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

/// Sides (longest, in pixels) a downscaled image is scanned at again when no code was read at
/// [`SCAN_MAX_SIDE`]: after area averaging, rqrr misses some module sizes that another ratio
/// reads (an A4 page scanned at 300 dpi with a version 32 code of 0.6 mm modules comes to
/// 4.1 px a module at 2,048 px, and is read at 1,536).
const RESCAN_SIDES: [u32; 2] = [1536, 1024];

/// Decodes a raster image within the budget and scans it: at its own size, or downscaled to
/// fit [`SCAN_MAX_SIDE`] and, when that finds no code, to each of [`RESCAN_SIDES`]. The
/// full-size image is kept for the rescans; each scanned copy is freed before the next is
/// made, so memory stays within what [`cost_of`] counted.
fn decode_and_scan(image: &[u8]) -> Result<Vec<String>, QrError> {
    let decoder = decoder_for(image)?;
    let cost = cost_of(&decoder)?;
    let decoded = ::image::DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let (small_w, small_h) = scan_size(cost.width, cost.height);
    if (small_w, small_h) == (cost.width, cost.height) {
        return scan_luma(decoded.into_luma8());
    }
    // Area averaging (no intermediate image larger than the result), in the image's own format.
    let first = scan_luma(decoded.thumbnail_exact(small_w, small_h).into_luma8());
    if !matches!(first, Err(QrError::NoCode)) {
        return first;
    }
    for side in RESCAN_SIDES {
        let long = cost.width.max(cost.height);
        let scale = |v: u32| {
            u32::try_from(u64::from(v) * u64::from(side) / u64::from(long))
                .unwrap_or(side)
                .max(1)
        };
        match scan_luma(
            decoded
                .thumbnail_exact(scale(cost.width), scale(cost.height))
                .into_luma8(),
        ) {
            Err(QrError::NoCode) => continue,
            other => return other,
        }
    }
    Err(QrError::NoCode)
}

fn scan_luma(luma: ::image::GrayImage) -> Result<Vec<String>, QrError> {
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
    let luma = ::image::GrayImage::from_raw(width, height, luma).ok_or_else(|| QrError::Image {
        reason: "internal: pixel buffer size".into(),
    })?;
    scan_luma(luma)
}

/// Text starting with `<` (after a byte-order mark and white space): an SVG, or not an image.
fn looks_like_markup(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    start.trim_ascii_start().starts_with(b"<")
}

fn image_error(error: ::image::ImageError) -> QrError {
    match error {
        ::image::ImageError::Limits(e) => QrError::ImageTooLarge {
            reason: e.to_string(),
        },
        other => QrError::Image {
            reason: other.to_string(),
        },
    }
}
