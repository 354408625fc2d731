//! From what the learner gives `import` to credential texts: files (JSON, compact JWS, baked PNG
//! or SVG, an image of a QR code, an enveloped credential), QR text (`VC2:…`, `VC1:…`, or a
//! Learner Credential Wallet's `VP1-…`), claim links. The formats themselves are recognised by the
//! core (`verify::recognise`, the entry point the verifier uses too); this module only reads files,
//! fetches links and splits presentations. An OpenID4VCI credential offer (typed, in a text file,
//! or in a QR code image) is told apart first ([`offer_in`]): it goes to the `oid4vci` flow
//! instead.

use std::fs;
use std::io::Read;
use std::path::Path;

use passerelle_core::verify::ImageKind;
use passerelle_core::verify::{Form, RecogniseError, Recognised, Recovered};
use passerelle_core::{bake, input, qr, verify};
use serde_json::Value;

use crate::fetch::{FetchError, Fetcher, MAX_RESPONSE_BYTES};
use crate::oid4vci;

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
        "{source_name} is neither a file, an http(s) link nor QR text (VC2:…, VC1:… or VP1-…); check the spelling"
    )]
    Unknown { source_name: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{what}: {reason}")]
    Format { what: String, reason: String },
    #[error("{what}: {source}")]
    Unrecognised {
        what: String,
        #[source]
        source: RecogniseError,
    },
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{what} holds a presentation with no credential in it")]
    EmptyPresentation { what: String },
}

/// Reads every credential `source` holds. `fetcher` is `None` offline (then a link is an error).
pub fn read(source: &str, fetcher: Option<&Fetcher>) -> Result<Vec<Found>, SourceError> {
    let trimmed = source.trim();
    let path = Path::new(source);
    if !is_link(trimmed) && path.is_file() {
        let bytes = read_file(path)?;
        let mut found = from_bytes(&bytes, &path.display().to_string(), fetcher, false)?;
        for item in &mut found {
            item.how = format!("{} from {}", item.how, path.display());
        }
        return Ok(found);
    }
    let looks_like_a_document = is_link(trimmed)
        || qr::is_compact(trimmed)
        || trimmed.starts_with(qr::VP1_PREFIX)
        || trimmed.starts_with('{')
        || trimmed.starts_with("data:")
        || trimmed.split('.').count() == 3 && !trimmed.contains(' ');
    if looks_like_a_document {
        // A link the learner typed may be http on loopback (development); one found inside a
        // file or a QR code never is.
        return from_bytes(
            trimmed.as_bytes(),
            "the text given",
            fetcher,
            is_link(trimmed),
        );
    }
    Err(SourceError::Unknown {
        source_name: source.to_owned(),
    })
}

/// The credential offer `source` is or holds, if any: typed or pasted (`openid-credential-offer://…`,
/// or any link with a `credential_offer` / `credential_offer_uri` parameter), a text file holding
/// one, or the first QR code of an image (a photo or screenshot of the offer's QR code) that is
/// one. `None`: not an offer, for [`read`]. A baked image is never taken for an offer.
pub fn offer_in(source: &str) -> Result<Option<String>, SourceError> {
    let trimmed = source.trim();
    if oid4vci::looks_like_offer(trimmed) {
        return Ok(Some(trimmed.to_owned()));
    }
    let path = Path::new(source);
    if is_link(trimmed) || !path.is_file() {
        return Ok(None);
    }
    let bytes = read_file(path)?;
    let codes = match verify::image_kind(&bytes) {
        Some(ImageKind::Svg) => {
            if matches!(bake::extract(&bytes), Ok(Some(_))) {
                return Ok(None);
            }
            qr::scan_svg(&bytes)
        }
        Some(ImageKind::Png) if matches!(bake::extract(&bytes), Ok(Some(_))) => return Ok(None),
        Some(_) => qr::scan(&bytes),
        None => {
            let text = std::str::from_utf8(&bytes).unwrap_or("").trim();
            return Ok(oid4vci::looks_like_offer(text).then(|| text.to_owned()));
        }
    };
    // A scan error or an image without a code: not an offer; `read` says what the image is.
    Ok(codes
        .unwrap_or_default()
        .into_iter()
        .find(|text| oid4vci::looks_like_offer(text)))
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

/// What the learner gave, recognised by the core (`verify::recognise`, the verifier's entry
/// point too); a link (typed, or in a QR code) is fetched once and its body recognised.
fn from_bytes(
    bytes: &[u8],
    what: &str,
    fetcher: Option<&Fetcher>,
    typed: bool,
) -> Result<Vec<Found>, SourceError> {
    let limits = input::InputLimits::default();
    let unrecognised = |source| SourceError::Unrecognised {
        what: what.into(),
        source,
    };
    match verify::recognise(bytes, &limits).map_err(unrecognised)? {
        Recognised::Document(recovered) => split(recovered, None),
        Recognised::Link { url, .. } => {
            let body = fetch_link(&url, fetcher, typed)?;
            let recovered = verify::recognise_fetched(&url, &body, &limits).map_err(|source| {
                SourceError::Unrecognised {
                    what: url.clone(),
                    source,
                }
            })?;
            let mut found = split(recovered, Some(&url))?;
            for item in &mut found {
                item.how = format!("{} fetched from the link", item.how);
            }
            Ok(found)
        }
    }
}

/// A claim link: `{link}/credential.json` first (where the issuer service serves the credential),
/// then the link itself asking for JSON. `typed`: the learner typed the link (http on loopback is
/// then allowed, for development, saying so).
fn fetch_link(link: &str, fetcher: Option<&Fetcher>, typed: bool) -> Result<Vec<u8>, SourceError> {
    let Some(fetcher) = fetcher else {
        return Err(SourceError::Format {
            what: link.into(),
            reason: "a link needs the network; run import without --offline".into(),
        });
    };
    let accept = "application/vc, application/vc+jwt, application/json, image/png, image/svg+xml";
    let base = link.trim_end_matches('/');
    let get = |url: &str| {
        if typed {
            fetcher.get_typed(url, accept)
        } else {
            fetcher.get(url, accept)
        }
    };
    let response = if base.contains("/claim/") {
        match get(&format!("{base}/credential.json")) {
            Ok(response) => response,
            Err(_) => get(link)?,
        }
    } else {
        get(link)?
    };
    Ok(response.body)
}

/// How a document was found, in the words `import` prints.
fn how(form: Form) -> &'static str {
    match form {
        Form::Json => "JSON",
        Form::CompactJws => "compact JWS",
        Form::Enveloped => "enveloped JWS",
        Form::BakedPng => "baked PNG",
        Form::BakedSvg => "baked SVG",
        Form::QrImage => "QR code image",
        Form::QrText => "QR text",
        _ => "document",
    }
}

/// A recognised credential or presentation → its credential texts.
fn split(recovered: Recovered, link: Option<&str>) -> Result<Vec<Found>, SourceError> {
    let how = how(recovered.form);
    let text = recovered.text.as_str();
    let found = |text: String, how: String| Found {
        text,
        how,
        link: link.map(str::to_owned),
    };
    match recovered.presented {
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
                    .and_then(verify::enveloped_jws);
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
