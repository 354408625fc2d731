//! The claim page's pictures: a QR code (SVG) of the claim link, and the badge image with the
//! credential baked in (OB 3.0 §5.3, by the core's `bake`). The image is the achievement's own
//! PNG or SVG when it has one of that kind, else a plain generated badge.

use base64::Engine as _;
use passerelle_core::bake;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde_json::Value;

use super::claim::escape;
use super::ApiError;
use crate::store::IssuedCredential;

/// An inline `<svg>` QR code of `text` (no XML declaration, so it can sit inside HTML).
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(ApiError::internal)?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].to_owned())
}

/// The achievement image embedded in the credential, if it is a base64 `data:` URL of `mime`.
fn embedded_image(credential: &Value, mime: &str) -> Option<Vec<u8>> {
    let src = credential
        .get("credentialSubject")?
        .get("achievement")?
        .get("image")?
        .get("id")?
        .as_str()?;
    let payload = src.strip_prefix(&format!("data:{mime};base64,"))?;
    base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()
}

fn badge_name(credential: &Value) -> String {
    credential
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| {
            credential
                .get("credentialSubject")?
                .get("achievement")?
                .get("name")?
                .as_str()
        })
        .unwrap_or("Open Badge")
        .to_owned()
}

/// A plain 256×256 badge: a dark-blue disc on white.
fn default_png() -> Result<Vec<u8>, ApiError> {
    const SIZE: u32 = 256;
    let mut pixels = Vec::with_capacity((SIZE * SIZE * 3) as usize);
    let centre = SIZE as f64 / 2.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (dx, dy) = (x as f64 + 0.5 - centre, y as f64 + 0.5 - centre);
            let inside = (dx * dx + dy * dy).sqrt() < centre - 8.0;
            pixels.extend_from_slice(if inside {
                &[0x1a, 0x3a, 0x6b]
            } else {
                &[0xff; 3]
            });
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, SIZE, SIZE);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(ApiError::internal)?;
        writer
            .write_image_data(&pixels)
            .map_err(ApiError::internal)?;
    }
    Ok(out)
}

fn default_svg(name: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"256\" height=\"256\" viewBox=\"0 0 256 256\" role=\"img\" aria-label=\"{name}\">\
         <title>{name}</title><circle cx=\"128\" cy=\"128\" r=\"120\" fill=\"#1a3a6b\"/>\
         <text x=\"128\" y=\"136\" font-family=\"sans-serif\" font-size=\"16\" fill=\"#fff\" text-anchor=\"middle\">{name}</text></svg>",
        name = escape(name)
    )
}

/// The badge PNG with the credential in its `openbadgecredential` iTXt chunk.
pub fn baked_png(c: &IssuedCredential) -> Result<Vec<u8>, ApiError> {
    let doc: Value = serde_json::from_str(&c.credential).unwrap_or(Value::Null);
    if let Some(image) = embedded_image(&doc, "image/png") {
        if let Ok(baked) = bake::bake_png(&image, &c.credential) {
            return Ok(baked);
        }
    }
    bake::bake_png(&default_png()?, &c.credential).map_err(ApiError::internal)
}

/// The badge SVG with the credential in an `<openbadges:credential>` element.
pub fn baked_svg(c: &IssuedCredential) -> Result<Vec<u8>, ApiError> {
    let doc: Value = serde_json::from_str(&c.credential).unwrap_or(Value::Null);
    if let Some(image) = embedded_image(&doc, "image/svg+xml") {
        if let Ok(text) = String::from_utf8(image) {
            if let Ok(baked) = bake::bake_svg(&text, &c.credential) {
                return Ok(baked.into_bytes());
            }
        }
    }
    bake::bake_svg(&default_svg(&badge_name(&doc)), &c.credential)
        .map(String::into_bytes)
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_is_inline_svg() {
        let svg = qr_svg("https://learn.example/claim/clm_00").unwrap();
        assert!(svg.starts_with("<svg"));
    }

    #[test]
    fn default_images_bake_and_extract() {
        let png = default_png().unwrap();
        let credential = r#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"]}"#;
        let baked = bake::bake_png(&png, credential).unwrap();
        assert!(bake::extract(&baked).unwrap().is_some());
        let svg = bake::bake_svg(&default_svg("A <b>"), credential).unwrap();
        assert!(bake::extract(svg.as_bytes()).unwrap().is_some());
    }
}
