//! Baked SVG images: the credential in an `<openbadges:credential>` element (its `verify`
//! attribute or its text), XML read with namespaces and no entity expansion.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::{check_image_size, is_xml_space, BakeError, BakedCredential, SVG_NAMESPACE};

/// What a pass over an SVG document found.
struct SvgScan {
    root: RootTag,
    /// The credential element, if any.
    credential: Option<SvgCredential>,
}

/// The root element's start tag.
struct RootTag {
    /// Byte range of the tag (`<svg …>` or `<svg …/>`).
    span: std::ops::Range<usize>,
    is_empty: bool,
    /// Its qualified name: `svg` or `prefix:svg`.
    name: String,
    /// The value of `xmlns:openbadges` on it, if declared there.
    prefix_binding: Option<String>,
}

struct SvgCredential {
    /// Byte range of the whole element, start tag to end tag.
    span: std::ops::Range<usize>,
    text: Option<String>,
}

/// The credential element being read.
struct OpenCredential {
    /// Byte offset of its start tag.
    start: usize,
    /// Nesting depth of the element (the root is 0).
    depth: usize,
    verify: Option<String>,
    /// Its text and CDATA content so far.
    body: String,
    has_cdata: bool,
}

pub(super) fn malformed(reader_position: u64, error: impl std::fmt::Display) -> BakeError {
    BakeError::SvgMalformed {
        position: reader_position,
        message: error.to_string(),
    }
}

fn is_credential_element(resolved: &ResolveResult<'_>, qname: &[u8], local: &[u8]) -> bool {
    match resolved {
        ResolveResult::Bound(ns) => {
            ns.as_ref() == SVG_NAMESPACE.as_bytes() && local == b"credential"
        }
        // An undeclared `openbadges:` prefix: a baker forgot the declaration; accept the
        // element under its conventional name.
        ResolveResult::Unknown(prefix) => {
            prefix.as_slice() == b"openbadges" && qname == b"openbadges:credential"
        }
        ResolveResult::Unbound => false,
    }
}

/// Reads the whole document: one root `<svg>`, matching end tags, at most one credential.
/// `svg` must not start with a byte order mark (see [`split_bom`]).
fn scan_svg(svg: &str) -> Result<SvgScan, BakeError> {
    check_image_size(svg.len())?;
    // quick-xml does not check characters; XML 1.0 forbids most control characters.
    if let Some((at, c)) = svg.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        return Err(malformed(
            at as u64,
            format!("{c:?} is not a character XML 1.0 allows"),
        ));
    }
    let mut reader = NsReader::from_str(svg);
    let mut depth = 0usize;
    let mut root: Option<RootTag> = None;
    let mut root_closed = false;
    let mut credential: Option<SvgCredential> = None;
    let mut open: Option<OpenCredential> = None;

    loop {
        let before = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| malformed(before, e))?;
        let is_credential = match &event {
            Event::Start(e) | Event::Empty(e) => {
                is_credential_element(&resolved, e.name().as_ref(), e.local_name().as_ref())
            }
            _ => false,
        };
        let after = reader.buffer_position();
        // Positions are within `svg`, whose length is a usize.
        let (start, end) = (before as usize, after as usize);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if root_closed {
                    return Err(BakeError::SvgContentAfterRoot { position: before });
                }
                if let Some(open) = &open {
                    return Err(BakeError::SvgCredentialHasChildren {
                        position: open.start as u64,
                    });
                }
                let mut verify = None;
                let mut prefix_binding = None;
                for attribute in e.attributes() {
                    let attribute = attribute.map_err(|err| malformed(before, err))?;
                    match attribute.key.as_ref() {
                        b"xmlns:openbadges" if depth == 0 => {
                            prefix_binding = Some(
                                attribute
                                    .unescape_value()
                                    .map_err(|err| malformed(before, err))?
                                    .into_owned(),
                            );
                        }
                        b"verify" => verify = Some(attribute),
                        _ => {}
                    }
                }
                if depth == 0 {
                    // `svg` is a &str and the name ends at ASCII white space, `/` or `>`.
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    let is_svg = match name.split_once(':') {
                        None => name == "svg",
                        Some((prefix, local)) => local == "svg" && is_ncname(prefix),
                    };
                    if !is_svg {
                        return Err(BakeError::SvgRootNotSvg { found: name });
                    }
                    root = Some(RootTag {
                        span: start..end,
                        is_empty,
                        name,
                        prefix_binding,
                    });
                    if is_empty {
                        root_closed = true;
                    }
                } else if is_credential {
                    if credential.is_some() {
                        return Err(BakeError::DuplicateCredential {
                            image: "SVG",
                            location: format!("<openbadges:credential> element at byte {before}"),
                        });
                    }
                    let verify = verify
                        .map(|a| {
                            a.unescape_value().map(|v| v.into_owned()).map_err(|err| {
                                BakeError::SvgBadCredentialText {
                                    position: before,
                                    what: "verify attribute",
                                    message: err.to_string(),
                                }
                            })
                        })
                        .transpose()?;
                    if is_empty {
                        credential = Some(SvgCredential {
                            span: start..end,
                            text: verify,
                        });
                    } else {
                        open = Some(OpenCredential {
                            start,
                            depth,
                            verify,
                            body: String::new(),
                            has_cdata: false,
                        });
                    }
                }
                if !is_empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| malformed(before, "an end tag without a start tag"))?;
                if let Some(closed) = open.take_if(|o| o.depth == depth) {
                    let body = if closed.has_cdata {
                        closed.body
                    } else {
                        closed.body.trim_matches(is_xml_space).to_owned()
                    };
                    let text = match (closed.verify, body.is_empty()) {
                        (Some(_), false) => {
                            return Err(BakeError::SvgCredentialAmbiguous {
                                position: closed.start as u64,
                            })
                        }
                        (Some(verify), true) => Some(verify),
                        (None, true) => None,
                        (None, false) => Some(body),
                    };
                    credential = Some(SvgCredential {
                        span: closed.start..end,
                        text,
                    });
                }
                if depth == 0 {
                    root_closed = true;
                }
            }
            Event::Text(ref t) => {
                if let Some(OpenCredential {
                    body, has_cdata, ..
                }) = open.as_mut()
                {
                    let text = t
                        .unescape()
                        .map_err(|err| BakeError::SvgBadCredentialText {
                            position: before,
                            what: "text",
                            message: err.to_string(),
                        })?;
                    // White space around CDATA sections is layout, not content.
                    if !(*has_cdata && text.trim_matches(is_xml_space).is_empty()) {
                        body.push_str(&text);
                    }
                } else if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(malformed(before, "text outside the root element"));
                }
            }
            Event::CData(ref c) => {
                if let Some(OpenCredential {
                    body, has_cdata, ..
                }) = open.as_mut()
                {
                    if !*has_cdata {
                        // Only white space came before the first CDATA section: layout.
                        if body.trim_matches(is_xml_space).is_empty() {
                            body.clear();
                        }
                        *has_cdata = true;
                    }
                    // `svg` is a &str, so every CDATA section is UTF-8.
                    body.push_str(&String::from_utf8_lossy(c));
                } else if depth == 0 {
                    return Err(malformed(before, "CDATA outside the root element"));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if depth != 0 {
        return Err(malformed(
            reader.buffer_position(),
            format!("{depth} element(s) not closed at the end of the document"),
        ));
    }
    let Some(root) = root else {
        return Err(BakeError::SvgNoRoot);
    };
    Ok(SvgScan { root, credential })
}

/// Extracts the credential of a baked SVG; `None` when it holds none (or an empty element).
/// The JSON body is the concatenation of its CDATA sections (white space around them is
/// layout); a JWS is read from the `verify` attribute (or, leniently, from the body).
pub fn extract_svg(svg: &str) -> Result<Option<BakedCredential>, BakeError> {
    let (_, svg) = split_bom(svg);
    let scan = scan_svg(svg)?;
    match scan.credential.and_then(|c| c.text) {
        Some(text) => BakedCredential::classify(&text).map(Some),
        None => Ok(None),
    }
}

/// A leading byte order mark (kept when baking), and the document after it.
fn split_bom(svg: &str) -> (&str, &str) {
    match svg.strip_prefix('\u{feff}') {
        Some(rest) => (&svg[..svg.len() - rest.len()], rest),
        None => ("", svg),
    }
}

/// XML 1.0 `Char` (§2.2), for the characters a Rust string can hold.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// An XML name without a colon (Namespaces in XML §3), restricted to the characters a
/// prefix uses in practice plus any non-ASCII letter.
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Wraps text in CDATA sections, splitting at every `]]>` so that the text survives exactly.
pub(super) fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// Bakes a credential into an SVG: declares `xmlns:openbadges` on the root `<svg>` and makes
/// `<openbadges:credential>` its first child (JSON in CDATA; a JWS in `verify`). An existing
/// credential element is replaced; the rest of the document is kept as it was.
pub fn bake_svg(svg: &str, credential: &str) -> Result<String, BakeError> {
    let credential = BakedCredential::classify(credential)?;
    if let Some(character) = credential.as_str().chars().find(|&c| !is_xml_char(c)) {
        return Err(BakeError::SvgCredentialNotXml { character });
    }
    let (bom, svg) = split_bom(svg);
    let scan = scan_svg(svg)?;
    let needs_declaration = match scan.root.prefix_binding.as_deref() {
        None => true,
        Some(SVG_NAMESPACE) => false,
        Some(other) => {
            return Err(BakeError::SvgPrefixConflict {
                found: other.to_owned(),
            })
        }
    };
    let element = match &credential {
        BakedCredential::Json(json) => {
            format!(
                "<openbadges:credential>{}</openbadges:credential>",
                cdata(json)
            )
        }
        // A compact JWS is base64url and dots: nothing to escape in an attribute.
        BakedCredential::CompactJws(jws) => {
            format!("<openbadges:credential verify=\"{jws}\"></openbadges:credential>")
        }
    };

    let tag = &svg[scan.root.span.clone()];
    let close_len = if scan.root.is_empty { 2 } else { 1 };
    let (tag_body, _) = tag.split_at(tag.len() - close_len);
    let mut out = String::with_capacity(svg.len() + element.len() + 64);
    out.push_str(bom);
    out.push_str(&svg[..scan.root.span.start]);
    out.push_str(tag_body);
    if needs_declaration {
        out.push_str(" xmlns:openbadges=\"");
        out.push_str(SVG_NAMESPACE);
        out.push('"');
    }
    out.push('>');
    out.push_str(&element);
    if scan.root.is_empty {
        out.push_str("</");
        out.push_str(&scan.root.name);
        out.push('>');
        out.push_str(&svg[scan.root.span.end..]);
    } else {
        let rest = scan.root.span.end;
        match scan.credential {
            Some(existing) => {
                out.push_str(&svg[rest..existing.span.start]);
                out.push_str(&svg[existing.span.end..]);
            }
            None => out.push_str(&svg[rest..]),
        }
    }
    check_image_size(out.len())?;
    Ok(out)
}
