//! What a user hands a verifier or a wallet, recognised once for every front door (the verifier's
//! CLI, API and page, the wallet's import): a credential or presentation as JSON, a compact JWS,
//! a VCDM 2.0 `EnvelopedVerifiableCredential`, a baked PNG or SVG, a photo or screenshot of a QR
//! code, a QR code's text (`VC2:…`, `VC1:…`, or the Learner Credential Wallet's `VP1-…`), or a link (from a QR code or typed), which the caller
//! fetches (the core does no I/O) and hands to [`recognise_fetched`].

use std::fmt;

use serde_json::Value;

use crate::bake::{self, BakeError};
use crate::input::{self, InputError, InputLimits};
use crate::qr::{self, QrError, QrPayload};

use super::{enveloped_jws, parse_input, Presented, VerifyInputError};
use crate::model::has_type;

/// Largest input [`recognise`] reads: an image may be this large (a document is held to the
/// [`InputLimits`] cap); callers read at most this many bytes (plus one, to tell "too large").
pub const MAX_INPUT_BYTES: usize = bake::MAX_IMAGE_BYTES;

/// The form the document was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Form {
    /// A JSON credential or presentation, given as is.
    Json,
    /// A compact JWS (VC-JOSE or VC-JWT 1.1), given as is.
    CompactJws,
    /// A JSON `EnvelopedVerifiableCredential` (or its bare `data:` URL) holding a compact JWS.
    Enveloped,
    /// A PNG carrying the credential in its `openbadgecredential` chunk.
    BakedPng,
    /// An SVG carrying the credential in an `<openbadges:credential>` element.
    BakedSvg,
    /// An image (PNG, JPEG, GIF, WebP) of a QR code holding the document.
    QrImage,
    /// The text of a QR code (`VC2:…`, `VC1:…` or `VP1-…`).
    QrText,
    /// The document fetched from a link (in a QR code, or given as text).
    Link,
}

impl Form {
    /// Stable machine name (`baked_png`, `qr_image`, …).
    pub fn name(self) -> &'static str {
        match self {
            Form::Json => "json",
            Form::CompactJws => "compact_jws",
            Form::Enveloped => "enveloped",
            Form::BakedPng => "baked_png",
            Form::BakedSvg => "baked_svg",
            Form::QrImage => "qr_image",
            Form::QrText => "qr_text",
            Form::Link => "link",
        }
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Form::Json => "JSON",
            Form::CompactJws => "compact JWS",
            Form::Enveloped => "enveloped credential (a JWS in a data: URL)",
            Form::BakedPng => "baked PNG",
            Form::BakedSvg => "baked SVG",
            Form::QrImage => "QR code image",
            Form::QrText => "QR text",
            Form::Link => "linked document",
        })
    }
}

/// A kind of image, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    WebP,
    Svg,
}

impl fmt::Display for ImageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageKind::Png => "PNG",
            ImageKind::Jpeg => "JPEG",
            ImageKind::Gif => "GIF",
            ImageKind::WebP => "WebP",
            ImageKind::Svg => "SVG",
        })
    }
}

/// A document recovered from the input, ready for [`super::needs`] and [`super::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    pub presented: Presented,
    /// The document's exact text: the JSON, or the compact JWS (for an enveloped credential, the
    /// JWS inside it) — what a wallet stores and a page offers to verify again.
    pub text: String,
    pub form: Form,
}

/// What [`recognise`] found (exhaustive: a caller handles both).
#[derive(Debug, Clone, PartialEq)]
pub enum Recognised {
    /// A document to check.
    Document(Recovered),
    /// A link to fetch (`from` says where it was found: QR text, a QR image, or text); give the
    /// body to [`recognise_fetched`].
    Link { url: String, from: Form },
}

/// Why the input holds no document to check: what was recognised, and what was wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RecogniseError {
    #[error("nothing was given to verify")]
    Empty,
    #[error("the input cannot be read: {source}")]
    Unreadable {
        #[source]
        source: InputError,
    },
    #[error("the {what} is {size} bytes, more than the {cap} bytes allowed")]
    TooLarge {
        what: &'static str,
        size: usize,
        cap: usize,
    },
    #[error("the {image} image carries no baked credential and no readable QR code")]
    NothingInImage { image: ImageKind },
    #[error("the {image} image's baked credential could not be read: {source}")]
    Baked {
        image: ImageKind,
        #[source]
        source: BakeError,
    },
    #[error("the QR code in the {image} image could not be read: {source}")]
    QrImage {
        image: ImageKind,
        #[source]
        source: QrError,
    },
    #[error("the QR text could not be decoded: {source}")]
    QrText {
        #[source]
        source: QrError,
    },
    #[error(
        "the document fetched from {url} is itself a link or QR text; only one link is followed"
    )]
    LinkLoop { url: String },
    #[error(
        "an EnvelopedVerifiableCredential must have an `id` that is a data: URL holding a compact \
         JWS (data:application/vc+jwt,…)"
    )]
    Enveloped,
    /// Text that is no form of credential at all (not JSON, not a JWS, not QR text or a link).
    #[error("{source}")]
    NotACredential {
        #[source]
        source: VerifyInputError,
    },
    #[error("the {form} is not a readable credential: {source}")]
    Document {
        form: Form,
        #[source]
        source: VerifyInputError,
    },
}

/// Recognises what a user gave: a document ([`Recognised::Document`]) or a link the caller must
/// fetch ([`Recognised::Link`]). Images are held to [`MAX_INPUT_BYTES`], documents to `limits`.
pub fn recognise(bytes: &[u8], limits: &InputLimits) -> Result<Recognised, RecogniseError> {
    if let Some(image) = raster_image(bytes) {
        check_size("image", bytes.len(), MAX_INPUT_BYTES)?;
        if image == ImageKind::Png {
            if let Some(baked) = extract(bytes, image)? {
                return document(baked, Form::BakedPng, limits).map(Recognised::Document);
            }
        }
        return first_qr_code(scan_qr_codes(bytes, image), image, limits);
    }
    if looks_like_markup(bytes) {
        check_size("image", bytes.len(), MAX_INPUT_BYTES)?;
        if let Some(baked) = extract(bytes, ImageKind::Svg)? {
            return document(baked, Form::BakedSvg, limits).map(Recognised::Document);
        }
        // Not baked: it may be a QR code drawn in SVG (as an issuer's claim page offers it).
        return first_qr_code(scan_qr_codes(bytes, ImageKind::Svg), ImageKind::Svg, limits);
    }
    let text = match input::check_text(bytes, limits) {
        Ok(text) => text.trim_start_matches('\u{feff}').trim(),
        Err(InputError::Empty) => return Err(RecogniseError::Empty),
        Err(InputError::TooLarge { size, limit }) => {
            return Err(RecogniseError::TooLarge {
                what: "document",
                size,
                cap: limit,
            })
        }
        Err(source) => return Err(RecogniseError::Unreadable { source }),
    };
    if text.is_empty() {
        return Err(RecogniseError::Empty);
    }
    if qr::is_compact(text) || text.starts_with(qr::VP1_PREFIX) {
        return qr_text(text, Form::QrText, limits);
    }
    if is_link(text) {
        return Ok(Recognised::Link {
            url: text.to_owned(),
            from: Form::Link,
        });
    }
    document(text.to_owned(), form_of(text), limits).map(Recognised::Document)
}

/// Recognises the body fetched from a [`Recognised::Link`]: a JSON document, a compact JWS, an
/// enveloped credential or a baked PNG / SVG. Another link or QR text is refused (one hop only).
pub fn recognise_fetched(
    url: &str,
    body: &[u8],
    limits: &InputLimits,
) -> Result<Recovered, RecogniseError> {
    let mut recovered = match recognise(body, limits)? {
        Recognised::Document(recovered)
            if !matches!(recovered.form, Form::QrImage | Form::QrText) =>
        {
            recovered
        }
        _ => return Err(RecogniseError::LinkLoop { url: url.into() }),
    };
    if matches!(
        recovered.form,
        Form::Json | Form::CompactJws | Form::Enveloped
    ) {
        recovered.form = Form::Link;
    }
    Ok(recovered)
}

/// The kind of image `bytes` are, when they are one (a raster image by its magic number, or
/// markup, which is read as SVG): the inputs whose recognition may decode pixels, which a
/// service runs under its decode limits.
pub fn image_kind(bytes: &[u8]) -> Option<ImageKind> {
    raster_image(bytes).or_else(|| looks_like_markup(bytes).then_some(ImageKind::Svg))
}

fn check_size(what: &'static str, size: usize, cap: usize) -> Result<(), RecogniseError> {
    if size > cap {
        return Err(RecogniseError::TooLarge { what, size, cap });
    }
    Ok(())
}

/// The texts of the QR codes in an image. Only with the `images` feature: without it, a baked
/// image is still read, but no QR code is looked for.
fn scan_qr_codes(bytes: &[u8], image: ImageKind) -> Result<Vec<String>, QrError> {
    #[cfg(feature = "images")]
    {
        if image == ImageKind::Svg {
            qr::scan_svg(bytes)
        } else {
            qr::scan(bytes)
        }
    }
    #[cfg(not(feature = "images"))]
    {
        let _ = (bytes, image);
        Err(QrError::ImagesNotBuilt)
    }
}

/// What the first QR code an image scan found carries; an image with no code (or a scan error)
/// is said of the image.
fn first_qr_code(
    scanned: Result<Vec<String>, QrError>,
    image: ImageKind,
    limits: &InputLimits,
) -> Result<Recognised, RecogniseError> {
    let texts = scanned.map_err(|source| match source {
        QrError::NoCode => RecogniseError::NothingInImage { image },
        source => RecogniseError::QrImage { image, source },
    })?;
    let Some(first) = texts.into_iter().next() else {
        return Err(RecogniseError::NothingInImage { image });
    };
    qr_text(&first, Form::QrImage, limits).map_err(|e| match e {
        RecogniseError::QrText { source } => RecogniseError::QrImage { image, source },
        other => other,
    })
}

/// Text starting with `<` (after a byte-order mark and white space): an SVG, or not an image.
fn looks_like_markup(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    start.trim_ascii_start().starts_with(b"<")
}

fn extract(bytes: &[u8], image: ImageKind) -> Result<Option<String>, RecogniseError> {
    bake::extract(bytes)
        .map(|baked| baked.map(bake::BakedCredential::into_string))
        .map_err(|source| RecogniseError::Baked { image, source })
}

fn qr_text(text: &str, from: Form, limits: &InputLimits) -> Result<Recognised, RecogniseError> {
    match qr::decode(text).map_err(|source| RecogniseError::QrText { source })? {
        QrPayload::Document(document) => {
            let form = if from == Form::QrImage {
                Form::QrImage
            } else {
                Form::QrText
            };
            self::document(document, form, limits).map(Recognised::Document)
        }
        QrPayload::Link(url) => Ok(Recognised::Link { url, from }),
    }
}

fn is_link(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && !text.contains(char::is_whitespace)
}

fn form_of(text: &str) -> Form {
    if text.starts_with('{') || text.starts_with('[') {
        Form::Json
    } else if text.starts_with("data:") {
        Form::Enveloped
    } else {
        Form::CompactJws
    }
}

/// Parses a document's text; an enveloped credential becomes the JWS it holds.
fn document(text: String, form: Form, limits: &InputLimits) -> Result<Recovered, RecogniseError> {
    let unreadable = |form, source| RecogniseError::Document { form, source };
    let trimmed = text.trim();
    if trimmed.starts_with("data:") {
        let jws = enveloped_jws(trimmed).ok_or(RecogniseError::Enveloped)?;
        return enveloped(jws, form, limits);
    }
    let presented = parse_input(trimmed.as_bytes(), limits).map_err(|e| match (form, e) {
        // Text guessed to be a JWS only because it is nothing else: say what it is not.
        (Form::CompactJws, source @ VerifyInputError::UnknownFormat) => {
            RecogniseError::NotACredential { source }
        }
        (form, source) => unreadable(form, source),
    })?;
    if let Presented::Credential(value) = &presented {
        if has_type(value, "EnvelopedVerifiableCredential") {
            let jws = value
                .get("id")
                .and_then(Value::as_str)
                .and_then(enveloped_jws)
                .ok_or(RecogniseError::Enveloped)?;
            return enveloped(jws, form, limits);
        }
    }
    let text = match &presented {
        Presented::Jws(jws) => jws.compact.clone(),
        _ => text,
    };
    Ok(Recovered {
        presented,
        text,
        form,
    })
}

fn enveloped(jws: &str, form: Form, limits: &InputLimits) -> Result<Recovered, RecogniseError> {
    let form = if matches!(form, Form::Json | Form::CompactJws) {
        Form::Enveloped
    } else {
        form
    };
    let jws = jws.trim();
    let presented = parse_input(jws.as_bytes(), limits)
        .map_err(|source| RecogniseError::Document { form, source })?;
    if !matches!(presented, Presented::Jws(_)) {
        return Err(RecogniseError::Enveloped);
    }
    Ok(Recovered {
        presented,
        text: jws.to_owned(),
        form,
    })
}

/// PNG, JPEG, GIF or WebP, by magic number.
fn raster_image(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(ImageKind::Jpeg)
    } else if bytes.starts_with(b"GIF8") {
        Some(ImageKind::Gif)
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageKind::WebP)
    } else {
        None
    }
}
