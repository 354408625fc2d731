//! From what the learner gives `import` to credential texts: files (JSON, compact JWS, baked PNG
//! or SVG, an image of a QR code), QR text (`VC1:…`), claim links. The formats themselves are read
//! by the core (`verify::parse_input`, `bake::extract`, `qr::decode`, `qr::scan`); this module only
//! fetches and dispatches.

use std::fs;
use std::io::Read;
use std::path::Path;

use passerelle_core::qr::{self, QrPayload};
use passerelle_core::{bake, input, verify};
use serde_json::Value;

use crate::fetch::{FetchError, Fetcher, MAX_RESPONSE_BYTES};

/// One credential found in a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The credential as text: JSON, or a compact JWS.
    pub text: String,
    /// How it was found ("baked PNG", "QR code image", "claim link", …).
    pub how: String,
    /// The claim link it was fetched from, if any.
    pub link: Option<String>,
}

/// Why nothing could be imported from a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error(
        "{source_name} is neither a file, an http(s) link nor QR text (VC1:…); check the spelling"
    )]
    Unknown { source_name: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{what}: {reason}")]
    Format { what: String, reason: String },
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("the link {link} leads to another link; import stops after one hop")]
    LinkLoop { link: String },
    #[error("{what} holds a presentation with no credential in it")]
    EmptyPresentation { what: String },
}

/// Reads every credential `source` holds. `fetcher` is `None` offline (then a link is an error).
pub fn read(source: &str, fetcher: Option<&Fetcher>) -> Result<Vec<Found>, SourceError> {
    let trimmed = source.trim();
    if is_link(trimmed) {
        return from_link(trimmed, fetcher, 0);
    }
    let path = Path::new(source);
    if path.is_file() {
        let bytes = read_file(path)?;
        let mut found = from_bytes(&bytes, &path.display().to_string(), fetcher, None, 0)?;
        for item in &mut found {
            item.how = format!("{} from {}", item.how, path.display());
        }
        return Ok(found);
    }
    if trimmed.starts_with(qr::COMPACT_PREFIX) {
        return from_qr_text(trimmed, "QR text", fetcher, 0);
    }
    if trimmed.starts_with('{') || trimmed.split('.').count() == 3 && !trimmed.contains(' ') {
        return from_text(trimmed, "the text given", None);
    }
    Err(SourceError::Unknown {
        source_name: source.to_owned(),
    })
}

fn is_link(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

fn read_file(path: &Path) -> Result<Vec<u8>, SourceError> {
    let read_error = |e: std::io::Error| SourceError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let file = fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_RESPONSE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() > MAX_RESPONSE_BYTES {
        return Err(SourceError::Read {
            path: path.display().to_string(),
            reason: format!("larger than {MAX_RESPONSE_BYTES} bytes"),
        });
    }
    Ok(bytes)
}

/// A claim link: `{link}/credential.json` first (where the issuer service serves the credential),
/// then the link itself asking for JSON.
fn from_link(link: &str, fetcher: Option<&Fetcher>, depth: u8) -> Result<Vec<Found>, SourceError> {
    if depth > 0 {
        return Err(SourceError::LinkLoop { link: link.into() });
    }
    let Some(fetcher) = fetcher else {
        return Err(SourceError::Format {
            what: link.into(),
            reason: "a link needs the network; run import without --offline".into(),
        });
    };
    let accept = "application/vc, application/vc+jwt, application/json, image/png, image/svg+xml";
    let base = link.trim_end_matches('/');
    let response = if base.contains("/claim/") {
        match fetcher.get(&format!("{base}/credential.json"), accept) {
            Ok(response) => response,
            Err(_) => fetcher.get(link, accept)?,
        }
    } else {
        fetcher.get(link, accept)?
    };
    let mut found = from_bytes(&response.body, link, Some(fetcher), Some(link), depth + 1)?;
    for item in &mut found {
        item.how = format!("{} from the link", item.how);
        item.link.get_or_insert_with(|| link.to_owned());
    }
    Ok(found)
}

fn from_bytes(
    bytes: &[u8],
    what: &str,
    fetcher: Option<&Fetcher>,
    link: Option<&str>,
    depth: u8,
) -> Result<Vec<Found>, SourceError> {
    let format_error = |reason: String| SourceError::Format {
        what: what.into(),
        reason,
    };
    let is_png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    let is_other_image = bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(b"GIF8")
        || (bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP");
    let text_start = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
    let looks_svg = {
        let t = text_start.trim_start_matches('\u{feff}').trim_start();
        t.starts_with("<?xml") || t.starts_with("<svg") || t.starts_with("<!--")
    };
    if is_png || looks_svg {
        match bake::extract(bytes).map_err(|e| format_error(e.to_string()))? {
            Some(baked) => {
                let kind = if is_png { "baked PNG" } else { "baked SVG" };
                return from_text(baked.as_str(), kind, link);
            }
            None if looks_svg => {
                return Err(format_error(
                    "this SVG image holds no baked credential".into(),
                ))
            }
            None => {}
        }
    }
    if is_png || is_other_image {
        let texts = qr::scan(bytes).map_err(|e| {
            format_error(format!(
                "{e} (and it holds no baked credential either); try a sharper photo or the claim link"
            ))
        })?;
        let mut found = Vec::new();
        for text in texts {
            let mut items = from_qr_text(&text, "QR code image", fetcher, depth)?;
            found.append(&mut items);
        }
        return Ok(found);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| {
            let reason = input::InputError::NotUtf8 {
                offset: e.valid_up_to(),
            };
            format_error(format!(
                "{reason}; nor is it a PNG, SVG, JPEG, GIF or WebP image"
            ))
        })?
        .trim();
    if text.starts_with(qr::COMPACT_PREFIX) {
        return from_qr_text(text, "QR text", fetcher, depth);
    }
    if is_link(text) && !text.contains(char::is_whitespace) {
        return from_link(text, fetcher, depth);
    }
    let how = if text.starts_with('{') {
        "JSON"
    } else {
        "compact JWS"
    };
    from_text(text, how, link)
}

fn from_qr_text(
    text: &str,
    how: &str,
    fetcher: Option<&Fetcher>,
    depth: u8,
) -> Result<Vec<Found>, SourceError> {
    match qr::decode(text).map_err(|e| SourceError::Format {
        what: how.into(),
        reason: e.to_string(),
    })? {
        QrPayload::Document(document) => from_text(&document, how, None),
        QrPayload::Link(link) => from_link(&link, fetcher, depth),
    }
}

/// A credential or presentation as text → its credential texts.
fn from_text(text: &str, how: &str, link: Option<&str>) -> Result<Vec<Found>, SourceError> {
    let limits = input::InputLimits::default();
    let presented =
        verify::parse_input(text.as_bytes(), &limits).map_err(|e| SourceError::Format {
            what: how.into(),
            reason: e.to_string(),
        })?;
    let found = |text: String, how: String| Found {
        text,
        how,
        link: link.map(str::to_owned),
    };
    match presented {
        verify::Presented::Presentation(doc) => {
            let items: Vec<Value> = match doc.get("verifiableCredential") {
                Some(Value::Array(items)) => items.clone(),
                Some(other) => vec![other.clone()],
                None => vec![],
            };
            let mut out = Vec::new();
            for item in items {
                let enveloped = item
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|id| id.strip_prefix("data:application/vc+jwt,"));
                match (&item, enveloped) {
                    (_, Some(jws)) => out.push(found(
                        jws.to_owned(),
                        format!("compact JWS in a presentation ({how})"),
                    )),
                    (Value::String(jws), None) => out.push(found(
                        jws.clone(),
                        format!("compact JWS in a presentation ({how})"),
                    )),
                    (Value::Object(_), None) => out.push(found(
                        item.to_string(),
                        format!("credential in a presentation ({how})"),
                    )),
                    _ => {}
                }
            }
            if out.is_empty() {
                return Err(SourceError::EmptyPresentation { what: how.into() });
            }
            Ok(out)
        }
        verify::Presented::Jws(jws) => Ok(vec![found(jws.compact.clone(), how.into())]),
        verify::Presented::Credential(_) => Ok(vec![found(text.to_owned(), how.into())]),
        _ => Err(SourceError::Format {
            what: how.into(),
            reason: "not a credential".into(),
        }),
    }
}
