//! The claim page's pictures, from the issuance [`crate::artifacts`]: a QR code of the claim link
//! (inline SVG), and the badge image with the credential baked in (OB 3.0 §5.3), made from the
//! achievement image the credential itself carries.

use serde_json::Value;

use super::ApiError;
use crate::artifacts::{self, BadgeImages};
use crate::store::IssuedCredential;

/// An inline `<svg>` QR code of `text` (no XML declaration, so it can sit inside HTML).
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    let image = artifacts::qr_svg(text).map_err(ApiError::internal)?;
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].to_owned())
}

/// The badge images baked with this credential.
fn baked(c: &IssuedCredential) -> Result<BadgeImages, ApiError> {
    let doc: Value = serde_json::from_str(&c.credential).unwrap_or(Value::Null);
    let achievement = doc
        .get("credentialSubject")
        .and_then(|s| s.get("achievement"))
        .cloned()
        .unwrap_or(Value::Null);
    let images = artifacts::badge_images(&achievement).map_err(ApiError::internal)?;
    artifacts::bake(&images, &c.credential).map_err(ApiError::internal)
}

/// The badge PNG with the credential in its `openbadgecredential` iTXt chunk.
pub fn baked_png(c: &IssuedCredential) -> Result<Vec<u8>, ApiError> {
    Ok(baked(c)?.png)
}

/// The badge SVG with the credential in an `<openbadges:credential>` element.
pub fn baked_svg(c: &IssuedCredential) -> Result<Vec<u8>, ApiError> {
    Ok(baked(c)?.svg.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_is_inline_svg() {
        let svg = qr_svg("https://learn.example/claim/clm_00").unwrap();
        assert!(svg.starts_with("<svg"));
    }
}
