//! Export (`export N --baked FILE`): a stored credential baked into a PNG or SVG image, the
//! achievement's own image when it embeds one as a `data:` URL, else a plain fallback badge.

use std::path::{Path, PathBuf};

use passerelle_core::bake::{self, BakeError};
use passerelle_core::data_url;
use passerelle_core::verify::Presented;
use serde_json::Value;

use crate::checking::credential_of;

/// Why a credential could not be exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("--baked {}: the file name must end in .png or .svg", path.display())]
    UnknownImageKind { path: PathBuf },
    /// The core could not bake the credential into the image.
    #[error("{source}")]
    Bake {
        kind: ImageKind,
        #[source]
        source: BakeError,
    },
    /// Drawing the fallback PNG failed (it does not: the image is fixed and in memory).
    #[error("cannot draw the plain badge image: {0}")]
    FallbackImage(#[source] png::EncodingError),
}

/// The kind of image a credential is baked into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Svg,
}

impl ImageKind {
    /// The kind a file name asks for, by its extension (`.png`, `.svg`, any case).
    pub fn for_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "png" => Some(Self::Png),
            "svg" => Some(Self::Svg),
            _ => None,
        }
    }

    /// The media type of an embedded image of this kind.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }
}

/// The bytes of `out` (a `.png` or `.svg` file name): the stored credential `text` (read as
/// `presented`) baked into the achievement's image, or into a plain badge titled `title`.
pub fn baked(
    out: &Path,
    text: &str,
    presented: &Presented,
    title: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    let kind = ImageKind::for_path(out).ok_or_else(|| ExportError::UnknownImageKind {
        path: out.to_owned(),
    })?;
    let credential = credential_of(presented).unwrap_or(Value::Null);
    let embedded = achievement_image(&credential).and_then(|url| image_from_data_url(url, kind));
    let bake_error = |source| ExportError::Bake { kind, source };
    match kind {
        ImageKind::Png => {
            let base = match embedded {
                Some(bytes) => bytes,
                None => plain_png().map_err(ExportError::FallbackImage)?,
            };
            bake::bake_png(&base, text.trim()).map_err(bake_error)
        }
        ImageKind::Svg => {
            let base = embedded
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_else(|| plain_svg(title.unwrap_or("Badge")));
            Ok(bake::bake_svg(&base, text.trim())
                .map_err(bake_error)?
                .into_bytes())
        }
    }
}

/// The achievement's image as the credential names it (`image.id`, or `image` as a string).
pub fn achievement_image(credential: &Value) -> Option<&str> {
    credential
        .pointer("/credentialSubject/achievement/image/id")
        .or_else(|| credential.pointer("/credentialSubject/achievement/image"))
        .and_then(Value::as_str)
}

/// The bytes of an image embedded as a `data:` URL of `kind`'s media type; `None` for anything
/// else (a link, another media type, a malformed or oversized URL), which gets the plain badge.
/// Capped at the core's limit for an image to bake.
pub fn image_from_data_url(url: &str, kind: ImageKind) -> Option<Vec<u8>> {
    let decoded = data_url::decode(url, bake::MAX_IMAGE_BYTES).ok()?;
    (decoded.media_type() == kind.media_type()).then(|| decoded.into_bytes())
}

/// A plain 256×256 PNG (a blue disc on white) when the achievement has no PNG image.
pub fn plain_png() -> Result<Vec<u8>, png::EncodingError> {
    const SIZE: u32 = 256;
    const CENTRE: i64 = SIZE as i64 / 2;
    let mut pixels = Vec::with_capacity((SIZE * SIZE * 3) as usize);
    for y in 0..i64::from(SIZE) {
        for x in 0..i64::from(SIZE) {
            let inside = (x - CENTRE).pow(2) + (y - CENTRE).pow(2) < (CENTRE - 8).pow(2);
            pixels.extend_from_slice(if inside {
                &[0x1f, 0x4e, 0x9c]
            } else {
                &[0xff; 3]
            });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, SIZE, SIZE);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

/// A plain 256×256 SVG badge (a blue disc) with `title` on it, when the achievement has no SVG
/// image.
pub fn plain_svg(title: &str) -> String {
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"256\" height=\"256\" viewBox=\"0 0 256 256\">\
         <circle cx=\"128\" cy=\"128\" r=\"120\" fill=\"#1f4e9c\"/>\
         <text x=\"128\" y=\"136\" font-family=\"sans-serif\" font-size=\"16\" fill=\"#fff\" text-anchor=\"middle\">{escaped}</text></svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use passerelle_core::model;

    use super::*;
    use crate::checking;

    #[test]
    fn the_plain_png_is_a_256_pixel_blue_disc_on_white() {
        let bytes = plain_png().unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (256, 256));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let at = |x: usize, y: usize| &pixels[(y * 256 + x) * 3..][..3];
        assert_eq!(at(128, 128), [0x1f, 0x4e, 0x9c]);
        assert_eq!(at(0, 0), [0xff; 3]);
        assert_eq!(
            at(128, 3),
            [0xff; 3],
            "the disc stops 8 pixels from the edge"
        );
    }

    #[test]
    fn the_plain_svg_escapes_its_title() {
        let svg = plain_svg("R&D <\"x\">");
        assert!(
            svg.contains(">R&amp;D &lt;&quot;x&quot;&gt;</text>"),
            "{svg}"
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
    }

    #[test]
    fn images_come_from_data_urls_of_the_right_media_type_only() {
        let png = plain_png().unwrap();
        let url = data_url::encode("image/png", &png);
        assert_eq!(image_from_data_url(&url, ImageKind::Png), Some(png.clone()));
        assert_eq!(
            image_from_data_url(&url.replace("image/png", "IMAGE/PNG"), ImageKind::Png),
            Some(png)
        );
        assert_eq!(image_from_data_url(&url, ImageKind::Svg), None);
        assert_eq!(
            image_from_data_url("https://issuer.example/badge.png", ImageKind::Png),
            None
        );
        assert_eq!(
            image_from_data_url("data:image/png;base64,@@@", ImageKind::Png),
            None
        );
        let svg = data_url::encode("image/svg+xml", b"<svg/>");
        assert_eq!(
            image_from_data_url(&svg, ImageKind::Svg),
            Some(b"<svg/>".to_vec())
        );
        let credential = serde_json::json!({"credentialSubject": {"achievement": {
            "image": {"id": "data:image/png;base64,iVBORw==", "type": "Image"}}}});
        assert_eq!(
            achievement_image(&credential),
            Some("data:image/png;base64,iVBORw==")
        );
        let credential = serde_json::json!({"credentialSubject": {"achievement": {
            "image": "data:image/svg+xml;base64,PHN2Zy8+"}}});
        assert_eq!(
            achievement_image(&credential),
            Some("data:image/svg+xml;base64,PHN2Zy8+")
        );
    }

    #[test]
    fn a_credential_bakes_into_png_and_svg_and_reads_back() {
        let text = model::sample::data_literacy_badge().to_string();
        let presented = checking::parse(&text).unwrap();
        for name in ["badge.png", "BADGE.SVG"] {
            let bytes = baked(Path::new(name), &text, &presented, Some("Data & more")).unwrap();
            let back = bake::extract(&bytes).unwrap().unwrap();
            assert_eq!(back.as_str(), text.trim(), "{name}");
        }
        let svg = baked(Path::new("b.svg"), &text, &presented, Some("Data & more")).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.contains("Data &amp; more") || svg.contains("<image"),
            "{svg}"
        );
        assert!(matches!(
            baked(Path::new("badge.jpg"), &text, &presented, None),
            Err(ExportError::UnknownImageKind { .. })
        ));
        assert_eq!(ImageKind::for_path(Path::new("noext")), None);
    }
}
