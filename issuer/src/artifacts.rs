//! What a learner receives besides the credential JSON: baked badge images (OB 3.0 §5.3 — a PNG
//! with an iTXt chunk `openbadgecredential`, an SVG with `<openbadges:credential>`) made from the
//! achievement's image, and a QR code of the claim link. Used by `issue --out` and by the HTTP
//! service's claim page.
//!
//! The achievement image is a `data:` URL (PNG or SVG, see `achievement create --image`):
//! - a PNG is baked as is; the SVG badge wraps it in an `<image>`;
//! - an SVG is baked as is; the PNG badge is the SVG rasterised with resvg (pure Rust; text and
//!   embedded raster images are not rendered, shapes and gradients are);
//! - without an image, a plain medal ([`default_badge_svg`]) is used for both.

use passerelle_core::data_url::{self, DataUrlError};
use passerelle_core::{bake, qr};
use serde_json::Value;

/// Width and height of rasterised badges, in pixels.
pub const BADGE_PIXELS: u32 = 256;

/// Why an artefact could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The achievement image is not a usable `data:` URL.
    #[error("the achievement image: {reason}")]
    Image { reason: String },
    /// The SVG could not be rasterised.
    #[error("cannot rasterise the SVG badge: {reason}")]
    Rasterise { reason: String },
    /// Baking failed (e.g. the image is not a PNG/SVG the core accepts).
    #[error("cannot bake the credential into the badge: {0}")]
    Bake(#[from] bake::BakeError),
    /// The QR code cannot hold the text.
    #[error("cannot make a QR code: {reason}")]
    Qr { reason: String },
}

/// A badge image in both formats, ready to bake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeImages {
    pub png: Vec<u8>,
    pub svg: String,
}

/// The badge images for an achievement definition (its `image.id`, or the default medal).
pub fn badge_images(achievement: &Value) -> Result<BadgeImages, ArtifactError> {
    let name = achievement
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Badge");
    let image = achievement
        .get("image")
        .and_then(|i| i.get("id").or(Some(i)))
        .and_then(Value::as_str);
    match image {
        None => {
            let svg = default_badge_svg(name);
            let png = rasterise(&svg)?;
            Ok(BadgeImages { png, svg })
        }
        Some(url) => {
            let (mime, bytes) = decode_data_url(url)?;
            match mime.as_str() {
                "image/png" => {
                    let svg = png_in_svg(name, &bytes);
                    Ok(BadgeImages { png: bytes, svg })
                }
                "image/svg+xml" => {
                    let svg = String::from_utf8(bytes).map_err(|_| ArtifactError::Image {
                        reason: "the SVG is not UTF-8".into(),
                    })?;
                    let png = rasterise(&svg)?;
                    Ok(BadgeImages { png, svg })
                }
                other => Err(ArtifactError::Image {
                    reason: format!("unsupported media type {other:?} (PNG or SVG expected)"),
                }),
            }
        }
    }
}

/// Baked copies of `images` carrying `credential` (the signed JSON text or a compact JWS).
pub fn bake(images: &BadgeImages, credential: &str) -> Result<BadgeImages, ArtifactError> {
    Ok(BadgeImages {
        png: bake::bake_png(&images.png, credential)?,
        svg: bake::bake_svg(&images.svg, credential)?,
    })
}

/// A QR code of `text` (a claim URL) as a standalone SVG.
pub fn qr_svg(text: &str) -> Result<String, ArtifactError> {
    qr::render_svg(text).map_err(|e| ArtifactError::Qr {
        reason: e.to_string(),
    })
}

/// A plain medal badge (no text, so it renders the same everywhere), titled with `name`.
pub fn default_badge_svg(name: &str) -> String {
    let title = xml_escape(name);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}" viewBox="0 0 256 256" role="img" aria-label="{title}">
<title>{title}</title>
<path d="M88 8h32l-16 88h-32z" fill="#1f6feb"/>
<path d="M136 8h32l16 88h-32z" fill="#d73a49"/>
<circle cx="128" cy="160" r="84" fill="#f2b705"/>
<circle cx="128" cy="160" r="66" fill="#fff3c4" stroke="#c98f00" stroke-width="6"/>
<path d="M128 112l14 30 32 4-24 22 7 32-29-16-29 16 7-32-24-22 32-4z" fill="#c98f00"/>
</svg>"##,
        px = BADGE_PIXELS
    )
}

fn png_in_svg(name: &str, png: &[u8]) -> String {
    let href = data_url::encode("image/png", png);
    let title = xml_escape(name);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{px}" height="{px}" viewBox="0 0 {px} {px}" role="img" aria-label="{title}"><title>{title}</title><image width="{px}" height="{px}" xlink:href="{href}"/></svg>"#,
        px = BADGE_PIXELS
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A `data:` URL → (media type, bytes), through the core's reader. Stored images were capped at
/// [`crate::achievements::MAX_IMAGE_BYTES`] when they were defined, so a larger one is refused.
fn decode_data_url(url: &str) -> Result<(String, Vec<u8>), ArtifactError> {
    let decoded = data_url::decode(url, crate::achievements::MAX_IMAGE_BYTES).map_err(|e| {
        ArtifactError::Image {
            reason: match e {
                DataUrlError::NotADataUrl => {
                    "not a data: URL (only embedded images can be baked)".to_owned()
                }
                other => other.to_string(),
            },
        }
    })?;
    Ok((decoded.media_type().to_owned(), decoded.into_bytes()))
}

/// Renders an SVG to a [`BADGE_PIXELS`]-square PNG, scaled to fit.
pub fn rasterise(svg: &str) -> Result<Vec<u8>, ArtifactError> {
    use resvg::{tiny_skia, usvg};
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).map_err(|e| {
        ArtifactError::Rasterise {
            reason: e.to_string(),
        }
    })?;
    let size = tree.size();
    let scale = (BADGE_PIXELS as f32 / size.width()).min(BADGE_PIXELS as f32 / size.height());
    let mut pixmap =
        tiny_skia::Pixmap::new(BADGE_PIXELS, BADGE_PIXELS).ok_or(ArtifactError::Rasterise {
            reason: "cannot allocate the image".into(),
        })?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| ArtifactError::Rasterise {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn default_badges_bake_and_extract() {
        let images = badge_images(&serde_json::json!({"name": "Data <101>"})).unwrap();
        assert!(images.png.starts_with(b"\x89PNG"));
        assert!(images.svg.contains("Data &lt;101&gt;"));
        let credential = r#"{"id":"urn:uuid:1"}"#;
        let baked = bake(&images, credential).unwrap();
        let from_png = bake::extract_png(&baked.png).unwrap().unwrap();
        assert_eq!(from_png.as_str(), credential);
        let from_svg = bake::extract_svg(&baked.svg).unwrap().unwrap();
        assert_eq!(from_svg.as_str(), credential);
    }

    #[test]
    fn svg_images_are_rasterised_and_png_images_wrapped() {
        let svg = default_badge_svg("x");
        let url = format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&svg)
        );
        let from_svg =
            badge_images(&serde_json::json!({"name": "x", "image": {"id": url}})).unwrap();
        assert_eq!(from_svg.svg, svg);
        assert!(from_svg.png.starts_with(b"\x89PNG"));
        let png_url = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&from_svg.png)
        );
        let from_png =
            badge_images(&serde_json::json!({"name": "x", "image": {"id": png_url}})).unwrap();
        assert_eq!(from_png.png, from_svg.png);
        assert!(from_png.svg.contains("data:image/png;base64,"));
        assert!(matches!(
            badge_images(&serde_json::json!({"image": {"id": "https://x.example/a.png"}})),
            Err(ArtifactError::Image { .. })
        ));
    }

    #[test]
    fn qr_codes() {
        let svg = qr_svg("https://learn.example/claim/clm_0123").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
