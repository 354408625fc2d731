//! `data:` URLs: images embedded in achievements and profiles, credentials enveloped in a VCDM 2.0
//! `EnvelopedVerifiableCredential`. The one place Passerelle reads and writes them.
//!
//! Reading follows the WHATWG Fetch "data: URL processor" (RFC 2397 as browsers apply it), through
//! the `data-url` crate, with a cap on the decoded size so a hostile URL cannot make us allocate
//! more than the caller allows.
//!
//! ```
//! use passerelle_core::data_url;
//!
//! let url = data_url::encode("image/png", b"\x89PNG");
//! assert_eq!(url, "data:image/png;base64,iVBORw==");
//! let decoded = data_url::decode(&url, 1024).unwrap();
//! assert_eq!(decoded.media_type(), "image/png");
//! assert_eq!(decoded.bytes(), b"\x89PNG");
//! ```

use base64::Engine;

/// A decoded `data:` URL: its media type (the MIME essence, lowercase, parameters dropped) and
/// its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUrl {
    media_type: String,
    bytes: Vec<u8>,
}

impl DataUrl {
    /// The media type's essence, lowercase (`image/svg+xml`; `text/plain` when the URL names none).
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The decoded body.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded body, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Why a `data:` URL could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataUrlError {
    #[error("not a data: URL (expected data:<media type>[;base64],<data>)")]
    NotADataUrl,
    #[error("the data: URL has no ',' between its media type and its data")]
    NoComma,
    #[error("the data: URL's base64 is not valid: {reason}")]
    Base64 { reason: String },
    #[error("the data: URL holds more than {limit} bytes")]
    TooLarge { limit: usize },
}

/// Decodes `url`, refusing a body of more than `max_bytes` (checked while decoding, so nothing
/// larger is ever held).
pub fn decode(url: &str, max_bytes: usize) -> Result<DataUrl, DataUrlError> {
    let parsed = ::data_url::DataUrl::process(url.trim()).map_err(|e| match e {
        ::data_url::DataUrlError::NotADataUrl => DataUrlError::NotADataUrl,
        ::data_url::DataUrlError::NoComma => DataUrlError::NoComma,
    })?;
    let mut bytes = Vec::new();
    parsed
        .decode(|chunk: &[u8]| {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(DataUrlError::TooLarge { limit: max_bytes });
            }
            bytes.extend_from_slice(chunk);
            Ok(())
        })
        .map_err(|e| match e {
            ::data_url::forgiving_base64::DecodeError::InvalidBase64(reason) => {
                DataUrlError::Base64 {
                    reason: reason.to_string(),
                }
            }
            ::data_url::forgiving_base64::DecodeError::WriteError(too_large) => too_large,
        })?;
    let mime = parsed.mime_type();
    Ok(DataUrl {
        media_type: format!("{}/{}", mime.type_, mime.subtype).to_ascii_lowercase(),
        bytes,
    })
}

/// `data:<media_type>;base64,<bytes in standard base64>`.
pub fn encode(media_type: &str, bytes: &[u8]) -> String {
    format!(
        "data:{media_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_base64_and_percent_encoded_bodies() {
        let png = decode("data:IMAGE/PNG;base64,iVBO Rw==", 16).unwrap();
        assert_eq!(
            (png.media_type(), png.bytes()),
            ("image/png", &b"\x89PNG"[..])
        );
        let jws = decode("data:application/vc+jwt,a.b%2Ec", 16).unwrap();
        assert_eq!(jws.media_type(), "application/vc+jwt");
        assert_eq!(jws.bytes(), b"a.b.c");
        let plain = decode("data:,hello", 16).unwrap();
        assert_eq!(plain.media_type(), "text/plain");
    }

    #[test]
    fn refuses_what_is_not_one_or_too_large() {
        assert_eq!(decode("https://x", 16), Err(DataUrlError::NotADataUrl));
        assert_eq!(decode("data:image/png", 16), Err(DataUrlError::NoComma));
        assert!(matches!(
            decode("data:image/png;base64,!!!", 16),
            Err(DataUrlError::Base64 { .. })
        ));
        let big = encode("image/png", &[0u8; 17]);
        assert_eq!(decode(&big, 16), Err(DataUrlError::TooLarge { limit: 16 }));
        assert_eq!(decode(&big, 17).unwrap().bytes().len(), 17);
    }
}
