//! Printable certificates (issue 17): one A4 or US Letter page, as a standalone SVG, with the
//! issuer, the achievement and its badge image, the learner's name where given, the date, the
//! credential id, and a QR code of the signed credential at a print size that scans from paper
//! (every module at least [`MIN_MODULE_MM`] wide). Used by the claim page
//! (`/claim/{token}/certificate.svg`) and by `issue --out`.
//!
//! Pure: text in, text out, no I/O. Every word that is not the credential's comes from
//! [`CertificateLabels`] (English by default), so a caller can print the page in the learner's
//! language; the credential's own text (names, description, ids) is escaped for XML wherever it
//! appears.
//!
//! The QR code holds the credential itself in its compact form ([`qr::payload_for`]: `VC2:`
//! unless `VC1:` is shorter), so the paper verifies offline with any Open Badges 3.0 verifier
//! that reads it. A credential too large for a QR code (one with a large embedded image) gets
//! no QR code, and the page says to verify the credential file instead: the only link there
//! would be the learner's private claim link, which must not be printed on a page shown to
//! employers (whoever holds it can download the badge and manage the learner's apps).
//!
//! SVG has no automatic line breaking: long text is wrapped by an estimate of its width that
//! errs on the wide side (a Latin letter counted as 0.6 em, a CJK ideograph as 1 em) and cut
//! with an ellipsis after a few lines. Learner names are never put into credentials; a name
//! printed here comes from the caller (the CSV row of `issue --out`).

use std::fmt;
use std::str::FromStr;

use passerelle_core::data_url;
use passerelle_core::input::InputLimits;
use passerelle_core::qr::{self, QrError, QrModules};
use passerelle_core::verify::{self, Presented};
use serde_json::Value;

use crate::artifacts;

/// Smallest QR module printed, in millimetres: the size cheap phone cameras still read.
pub const MIN_MODULE_MM: f64 = 0.5;
/// Largest QR module printed, in millimetres (a short code is not blown up past this).
pub const MAX_MODULE_MM: f64 = 0.8;
/// The side the QR code aims for, quiet zone included, in millimetres: a typical badge's
/// version 32 code gets 0.6 mm modules; a larger one gets [`MIN_MODULE_MM`] (version 40:
/// 92.5 mm), a smaller one larger modules up to [`MAX_MODULE_MM`].
pub const QR_TARGET_MM: f64 = 92.0;

/// Longest text (in characters) read from one credential field before wrapping: the rest
/// could never be printed anyway.
const MAX_FIELD_CHARS: usize = 2_000;

/// A paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// ISO 216 A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in (215.9 × 279.4 mm).
    Letter,
}

impl Paper {
    /// Width and height in millimetres (portrait).
    pub fn size_mm(self) -> (f64, f64) {
        match self {
            Self::A4 => (210.0, 297.0),
            Self::Letter => (215.9, 279.4),
        }
    }

    /// The name [`FromStr`] reads: `a4` or `letter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A4 => "a4",
            Self::Letter => "letter",
        }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Paper {
    type Err = CertificateError;

    /// `a4` or `letter` (any case, surrounding spaces ignored).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "a4" => Ok(Self::A4),
            "letter" => Ok(Self::Letter),
            _ => Err(CertificateError::Paper {
                given: text.chars().take(32).collect(),
            }),
        }
    }
}

/// The direction the labels' language is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Left to right.
    #[default]
    Ltr,
    /// Right to left (Arabic, Hebrew…): the page is mirrored.
    Rtl,
}

impl Direction {
    /// `ltr` or `rtl`, as SVG's `direction` and HTML's `dir` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

impl FromStr for Direction {
    type Err = CertificateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ltr" => Ok(Self::Ltr),
            "rtl" => Ok(Self::Rtl),
            _ => Err(CertificateError::Direction {
                given: text.chars().take(32).collect(),
            }),
        }
    }
}

/// Every fixed word on the page, in one language. [`Default`] is English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateLabels {
    /// The language tag of these labels (BCP 47), put on the page as `xml:lang`.
    pub lang: String,
    /// The direction the language is written in.
    pub dir: Direction,
    /// The page's title.
    pub title: String,
    /// Before the learner's name.
    pub awarded_to: String,
    /// Between the learner's name and the achievement.
    pub for_achievement: String,
    /// Before the achievement when no name is given (instead of the two lines above).
    pub awarded_without_name: String,
    pub issued_by: String,
    pub issued_on: String,
    pub credential_id: String,
    /// Above the QR code's explanation.
    pub scan_to_verify: String,
    /// What the QR code holds when it holds the signed credential.
    pub qr_holds_credential: String,
    /// Instead of the QR code, for a credential too large for one.
    pub no_qr: String,
}

impl Default for CertificateLabels {
    fn default() -> Self {
        Self {
            lang: "en".into(),
            dir: Direction::Ltr,
            title: "Certificate of achievement".into(),
            awarded_to: "awarded to".into(),
            for_achievement: "for".into(),
            awarded_without_name: "awarded for".into(),
            issued_by: "Issued by".into(),
            issued_on: "Issued on".into(),
            credential_id: "Credential".into(),
            scan_to_verify: "Scan to verify".into(),
            qr_holds_credential: "This QR code holds the signed credential itself: any Open \
                                  Badges 3.0 verifier (e.g. passerelle-verifier) checks it \
                                  offline, from this paper."
                .into(),
            no_qr: "This badge is too large for a QR code: verify its credential file (JSON), \
                    which the learner can share, with any Open Badges 3.0 verifier (e.g. \
                    passerelle-verifier)."
                .into(),
        }
    }
}

/// What a certificate shows, read from a credential ([`Self::from_credential`]) or filled in
/// by hand. Text is plain (it is escaped when drawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInput {
    pub issuer_name: String,
    pub achievement_name: String,
    /// The learner's name, where the caller has it (credentials carry none).
    pub learner_name: Option<String>,
    pub description: Option<String>,
    /// The date shown after "Issued on", as it should be printed.
    pub date: Option<String>,
    /// The achievement image, a `data:` URL (PNG or SVG; anything else: a plain medal).
    pub image: Option<String>,
    pub credential_id: Option<String>,
    /// The signed credential (JSON text or a compact JWS), exactly as issued.
    pub credential: String,
}

impl CertificateInput {
    /// The fields of `credential` (the signed JSON text or a compact JWS): issuer and
    /// achievement names, description, image, id, and the award date (`awardedDate`, else
    /// `validFrom` / `issuanceDate`, as `YYYY-MM-DD`).
    pub fn from_credential(credential: &str, learner_name: Option<&str>) -> Self {
        let doc = match verify::parse_input(credential.as_bytes(), &InputLimits::default()) {
            Ok(Presented::Credential(doc)) => doc,
            Ok(Presented::Jws(jws)) => jws.credential.unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let achievement = doc
            .get("credentialSubject")
            .and_then(|s| s.get("achievement"))
            .unwrap_or(&Value::Null);
        let text = |value: &Value, path: &[&str]| -> Option<String> {
            let mut current = value;
            for key in path {
                current = current.get(*key)?;
            }
            current
                .as_str()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let date = text(&doc, &["awardedDate"])
            .or_else(|| text(&doc, &["validFrom"]))
            .or_else(|| text(&doc, &["issuanceDate"]))
            .map(|d| day(&d).to_owned());
        Self {
            issuer_name: text(&doc, &["issuer", "name"])
                .unwrap_or_else(|| "(unnamed issuer)".into()),
            achievement_name: text(achievement, &["name"])
                .or_else(|| text(&doc, &["name"]))
                .unwrap_or_else(|| "Open Badge".into()),
            learner_name: learner_name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            description: text(achievement, &["description"]),
            date,
            image: text(achievement, &["image", "id"]).or_else(|| text(achievement, &["image"])),
            credential_id: text(&doc, &["id"]),
            credential: credential.to_owned(),
        }
    }
}

/// Why a certificate could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// A paper size other than `a4` or `letter`.
    #[error("unknown paper size {given:?}: use a4 or letter")]
    Paper { given: String },
    /// A direction other than `ltr` or `rtl`.
    #[error("unknown text direction {given:?}: use ltr or rtl")]
    Direction { given: String },
    /// Neither the credential nor the link fits in a QR code.
    #[error("cannot make the certificate's QR code: {source}")]
    Qr {
        #[source]
        source: QrError,
    },
}

/// The certificate as a standalone SVG document, `paper`-sized in millimetres (one user unit a
/// millimetre), worded with `labels`.
pub fn render(
    input: &CertificateInput,
    paper: Paper,
    labels: &CertificateLabels,
) -> Result<String, CertificateError> {
    // Only the credential itself, never a link (see the module's documentation).
    let modules = match qr::payload_for(&input.credential, None) {
        Ok(payload) => {
            Some(QrModules::new(&payload).map_err(|source| CertificateError::Qr { source })?)
        }
        Err(QrError::NoPayload { .. }) => None,
        Err(source) => return Err(CertificateError::Qr { source }),
    };
    let side = modules.as_ref().map_or(0.0, |m| m.side() as f64);
    let module = if side > 0.0 {
        (QR_TARGET_MM / side).clamp(MIN_MODULE_MM, MAX_MODULE_MM)
    } else {
        0.0
    };
    let qr_mm = side * module;

    let (width, height) = paper.size_mm();
    let rtl = labels.dir == Direction::Rtl;
    let mut page = Page::default();
    let centre = width / 2.0;
    let text_width = width - 2.0 * MARGIN;
    // Letter is 17.6 mm shorter than A4: a smaller badge and tighter spacing.
    let roomy = height > 290.0;

    // The top block, centred.
    let mut y = if roomy { 34.0 } else { 30.0 };
    y = page.centred(&input.issuer_name, centre, y, 4.2, "issuer", text_width, 1);
    y = page.centred(
        &labels.title,
        centre,
        y + 13.0,
        10.0,
        "title",
        text_width,
        2,
    );
    page.push(format!(
        "<path class=\"rule\" d=\"M{} {}h40\"/>",
        num(centre - 20.0),
        num(y + 5.0)
    ));
    let badge = if roomy { 34.0 } else { 28.0 };
    let badge_top = y + 11.0;
    page.push(format!(
        "<image x=\"{}\" y=\"{}\" width=\"{b}\" height=\"{b}\" xlink:href=\"{}\"><title>{}</title></image>",
        num(centre - badge / 2.0),
        num(badge_top),
        badge_image(input),
        escape(&input.achievement_name),
        b = num(badge),
    ));
    y = badge_top + badge + if roomy { 12.0 } else { 10.0 };
    match &input.learner_name {
        Some(name) => {
            y = page.centred(&labels.awarded_to, centre, y, 4.6, "lead", text_width, 1);
            y = page.centred(name, centre, y + 11.5, 9.5, "name", text_width, 2);
            y = page.centred(
                &labels.for_achievement,
                centre,
                y + 9.5,
                4.6,
                "lead",
                text_width,
                1,
            );
        }
        None => {
            y = page.centred(
                &labels.awarded_without_name,
                centre,
                y,
                4.6,
                "lead",
                text_width,
                1,
            );
        }
    }
    y = page.centred(
        &input.achievement_name,
        centre,
        y + 10.0,
        6.6,
        "achievement",
        text_width,
        2,
    );

    // The bottom band: the QR code on the trailing side, the details beside it.
    let bottom = height - 22.0;
    let column_width = text_width - qr_mm - 8.0;
    let mut column = Column::default();
    column.label(&labels.issued_by);
    column.text(&input.issuer_name, 4.0, "value", column_width, 2);
    if let Some(date) = &input.date {
        column.gap(2.5);
        column.label(&labels.issued_on);
        column.text(date, 4.0, "value", column_width, 1);
    }
    if let Some(id) = &input.credential_id {
        column.gap(2.5);
        column.label(&labels.credential_id);
        column.text(id, 2.8, "id", column_width, 3);
    }
    column.gap(4.0);
    if modules.is_some() {
        column.text(&labels.scan_to_verify, 4.2, "scan", column_width, 1);
        column.text(&labels.qr_holds_credential, 3.2, "note", column_width, 7);
    } else {
        column.text(&labels.no_qr, 3.2, "note", column_width, 7);
    }
    let band_top = bottom - qr_mm.max(column.height);

    // The description fills what is left between the two, up to five lines.
    if let Some(description) = &input.description {
        let (size, step) = (3.8, 5.4);
        let first = y + 8.0;
        let room = band_top - 6.0 - first;
        let lines = ((room / step).floor().max(0.0) as usize + 1).min(5);
        if room > 0.0 {
            page.lines(
                description,
                centre,
                first,
                size,
                step,
                "description",
                text_width,
                lines,
            );
        }
    }

    let (qr_x, column_x) = if rtl {
        (MARGIN, width - MARGIN)
    } else {
        (width - MARGIN - qr_mm, MARGIN)
    };
    let qr_y = bottom - qr_mm;
    if let Some(modules) = &modules {
        page.push(format!(
            "<g id=\"qr\" transform=\"translate({} {}) scale({})\" shape-rendering=\"crispEdges\" \
             role=\"img\" aria-label=\"{}\"><rect width=\"{s}\" height=\"{s}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{}\"/></g>",
            num(qr_x),
            num(qr_y),
            num(module),
            escape(&labels.scan_to_verify),
            modules.svg_path(),
            s = modules.side(),
        ));
    }
    for (dy, line) in column.lines {
        page.push(line.at(column_x, band_top + dy, rtl));
    }

    Ok(page.finish(width, height, labels, &input.achievement_name))
}

/// Left and right margin of the text, in millimetres.
const MARGIN: f64 = 24.0;

const STYLE: &str = "text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;fill:#1f2933}\
.title,.name,.lead{font-family:Georgia,'Times New Roman','Noto Serif',serif}\
.title{fill:#1d3557;letter-spacing:.2px}.name{font-weight:600}.lead{font-style:italic;fill:#52606d}\
.issuer{fill:#52606d;letter-spacing:.4px;font-weight:600}.achievement{font-weight:700;fill:#1d3557}\
.description{fill:#3e4c59}.label{fill:#7b8794;font-weight:600;letter-spacing:.2px}\
.id{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;fill:#3e4c59}\
.scan{font-weight:700;fill:#1d3557}.note{fill:#52606d}\
.rule{stroke:#b08d57;stroke-width:.6;fill:none}\
.issuer,.name,.achievement,.description,.value{unicode-bidi:plaintext}";

/// The page's elements, in drawing order.
#[derive(Default)]
struct Page {
    body: String,
}

impl Page {
    fn push(&mut self, element: String) {
        self.body.push_str(&element);
        self.body.push('\n');
    }

    /// `text` centred at `x`, its first baseline at `y`, wrapped to `max_lines` lines of
    /// `width` mm; returns the last baseline.
    #[allow(
        clippy::too_many_arguments,
        reason = "a layout call: position, size, style, box"
    )]
    fn centred(
        &mut self,
        text: &str,
        x: f64,
        y: f64,
        size: f64,
        class: &str,
        width: f64,
        max_lines: usize,
    ) -> f64 {
        self.lines(text, x, y, size, size * 1.25, class, width, max_lines)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "a layout call: position, size, style, box"
    )]
    fn lines(
        &mut self,
        text: &str,
        x: f64,
        y: f64,
        size: f64,
        step: f64,
        class: &str,
        width: f64,
        max_lines: usize,
    ) -> f64 {
        let mut baseline = y;
        for (i, line) in wrap(text, width / size, max_lines).iter().enumerate() {
            baseline = y + step * i as f64;
            self.push(format!(
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"middle\" class=\"{class}\">{}</text>",
                num(x),
                num(baseline),
                num(size),
                escape(line)
            ));
        }
        baseline
    }

    fn finish(
        self,
        width: f64,
        height: f64,
        labels: &CertificateLabels,
        achievement: &str,
    ) -> String {
        let (w, h) = (num(width), num(height));
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"{w}mm\" height=\"{h}mm\" \
             viewBox=\"0 0 {w} {h}\" xml:lang=\"{lang}\" direction=\"{dir}\">\n\
             <title>{title} — {achievement}</title>\n<style>{STYLE}</style>\n\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n\
             <rect x=\"8\" y=\"8\" width=\"{ow}\" height=\"{oh}\" fill=\"none\" stroke=\"#1d3557\" stroke-width=\"1.2\"/>\n\
             <rect x=\"11\" y=\"11\" width=\"{iw}\" height=\"{ih}\" fill=\"none\" stroke=\"#b08d57\" stroke-width=\".4\"/>\n\
             {body}</svg>\n",
            lang = escape(&labels.lang),
            dir = labels.dir.as_str(),
            title = escape(&labels.title),
            achievement = escape(achievement),
            ow = num(width - 16.0),
            oh = num(height - 16.0),
            iw = num(width - 22.0),
            ih = num(height - 22.0),
            body = self.body,
        )
    }
}

/// The bottom band's column of details: lines with their baseline offsets from its top.
#[derive(Default)]
struct Column {
    lines: Vec<(f64, ColumnLine)>,
    /// From the top to below the last line.
    height: f64,
}

struct ColumnLine {
    text: String,
    size: f64,
    class: &'static str,
}

impl ColumnLine {
    /// The line at `x` (the column's starting edge: left in LTR, right in RTL), baseline `y`.
    /// A credential id is an identifier: always laid out left to right.
    fn at(&self, x: f64, y: f64, rtl: bool) -> String {
        // Right to left, an id still reads left to right: anchored at its end, on the right.
        let isolate = match (self.class, rtl) {
            ("id", true) => " direction=\"ltr\" unicode-bidi=\"embed\" text-anchor=\"end\"",
            ("id", false) => " direction=\"ltr\" unicode-bidi=\"embed\"",
            _ => "",
        };
        format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" class=\"{}\"{isolate}>{}</text>",
            num(x),
            num(y),
            num(self.size),
            self.class,
            escape(&self.text)
        )
    }
}

impl Column {
    fn gap(&mut self, mm: f64) {
        self.height += mm;
    }

    fn label(&mut self, text: &str) {
        self.text(text, 3.0, "label", f64::INFINITY, 1);
    }

    fn text(&mut self, text: &str, size: f64, class: &'static str, width: f64, max_lines: usize) {
        for line in wrap(text, width / size, max_lines) {
            // Cap height above the baseline, the rest of the line below.
            self.height += size;
            self.lines.push((
                self.height,
                ColumnLine {
                    text: line,
                    size,
                    class,
                },
            ));
            self.height += size * 0.38;
        }
    }
}

/// The badge image as a `data:` URL to embed: the credential's PNG or SVG (judged by its
/// bytes, and re-encoded, so nothing but base64 reaches the attribute), else a plain medal.
fn badge_image(input: &CertificateInput) -> String {
    let given = input
        .image
        .as_deref()
        .and_then(|url| data_url::decode(url, crate::achievements::MAX_IMAGE_BYTES).ok())
        .and_then(|decoded| {
            let kind = crate::achievements::image_type(decoded.bytes())?;
            Some(data_url::encode(kind, decoded.bytes()))
        });
    given.unwrap_or_else(|| {
        data_url::encode(
            "image/svg+xml",
            artifacts::default_badge_svg(&input.achievement_name).as_bytes(),
        )
    })
}

/// Width of a character, in em, on the wide side: East Asian wide characters 1, combining
/// marks 0, the rest 0.6 (Latin, Cyrillic and Arabic letters average about 0.5).
fn char_em(c: char) -> f64 {
    match u32::from(c) {
        0x0300..=0x036F | 0x064B..=0x065F | 0x200B..=0x200F => 0.0,
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD => 1.0,
        _ => 0.6,
    }
}

fn text_em(text: &str) -> f64 {
    text.chars().map(char_em).sum()
}

/// `text` in lines of at most `max_em` em (by [`char_em`]), broken at spaces (a word wider
/// than a line, or text without spaces such as Chinese, anywhere), at most `max_lines` of
/// them; the last ends with "…" when text was left out. White space (new lines included)
/// counts as one space; control characters are dropped.
fn wrap(text: &str, max_em: f64, max_lines: usize) -> Vec<String> {
    let clean: String = text
        .chars()
        .take(MAX_FIELD_CHARS)
        .filter(|c| !c.is_control() || c.is_whitespace())
        .collect();
    let cut_short = text.chars().count() > MAX_FIELD_CHARS;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut line_em = 0.0;
    let mut truncated = cut_short;
    'words: for word in clean.split_whitespace() {
        let word_em = text_em(word);
        let space = if line.is_empty() { 0.0 } else { char_em(' ') };
        if line_em + space + word_em <= max_em {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            line_em += space + word_em;
            continue;
        }
        if word_em <= max_em {
            lines.push(std::mem::take(&mut line));
            line.push_str(word);
            line_em = word_em;
        } else {
            // Broken where it must: after the last `-`, `:` or `/` that fits (an id, a URL),
            // else anywhere; what fits on this line, then on the next ones.
            if !line.is_empty() {
                line.push(' ');
                line_em += space;
            }
            let mut word_start = line.len();
            for c in word.chars() {
                let em = char_em(c);
                if line_em + em > max_em && !line.is_empty() {
                    let tail = line[word_start..]
                        .rfind(['-', ':', '/'])
                        .map(|i| word_start + i + 1)
                        .filter(|&i| i < line.len())
                        .map(|i| line.split_off(i))
                        .unwrap_or_default();
                    lines.push(std::mem::take(&mut line));
                    if lines.len() > max_lines {
                        truncated = true;
                        break 'words;
                    }
                    line = tail;
                    line_em = text_em(&line);
                    word_start = 0;
                }
                line.push(c);
                line_em += em;
            }
        }
        if lines.len() > max_lines {
            truncated = true;
            break;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        truncated = true;
    }
    if truncated {
        if let Some(last) = lines.last_mut() {
            let ellipsis = char_em('…');
            while !last.is_empty() && text_em(last) + ellipsis > max_em {
                last.pop();
            }
            let kept = last.trim_end().len();
            last.truncate(kept);
            last.push('…');
        }
    }
    lines
}

/// `2026-06-30T12:00:00Z` → `2026-06-30` (anything else is shown as given).
fn day(text: &str) -> &str {
    text.get(..10)
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        .unwrap_or(text)
}

/// Escapes text for XML element content and double-quoted attributes; characters XML 1.0
/// cannot hold (C0 controls other than tab, new line and carriage return) are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            other => out.push(other),
        }
    }
    out
}

/// A length in millimetres, to a hundredth (trailing zeros dropped).
fn num(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIAL: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],"id":"urn:uuid:0b8e6c1a-4c5e-4a53-9d2f-6f1c2e0a9b11","type":["VerifiableCredential","OpenBadgeCredential"],"issuer":{"id":"did:web:learn.example","type":["Profile"],"name":"Open Learning Lab"},"validFrom":"2026-03-02T09:00:00Z","awardedDate":"2026-03-01T00:00:00Z","credentialSubject":{"type":["AchievementSubject"],"id":"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK","achievement":{"id":"https://learn.example/achievements/data-101","type":["Achievement"],"name":"Data Literacy Foundations","description":"Reading, cleaning and charting public data sets.","criteria":{"narrative":"Completed the course."}}},"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022","proofValue":"z3FXQjecWufY46yg"}}"#;

    fn input(name: Option<&str>) -> CertificateInput {
        CertificateInput::from_credential(CREDENTIAL, name)
    }

    /// The `transform` of the QR group: (x, y, module size), read back from the SVG.
    fn qr_transform(svg: &str) -> (f64, f64, f64) {
        let start = svg.find("<g id=\"qr\" transform=\"translate(").unwrap()
            + "<g id=\"qr\" transform=\"translate(".len();
        let rest = &svg[start..];
        let (translate, rest) = rest.split_once(") scale(").unwrap();
        let scale = rest.split_once(')').unwrap().0;
        let (x, y) = translate.split_once(' ').unwrap();
        (
            x.parse().unwrap(),
            y.parse().unwrap(),
            scale.parse().unwrap(),
        )
    }

    fn attribute<'a>(svg: &'a str, name: &str) -> &'a str {
        let root = &svg[svg.find("<svg").unwrap()..];
        let start = root.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        &root[start..start + root[start..].find('"').unwrap()]
    }

    #[test]
    fn pages_have_the_paper_size_in_millimetres() {
        for (paper, w, h) in [(Paper::A4, "210", "297"), (Paper::Letter, "215.9", "279.4")] {
            let svg = render(&input(Some("Ada")), paper, &CertificateLabels::default()).unwrap();
            assert_eq!(attribute(&svg, "width"), format!("{w}mm"), "{paper}");
            assert_eq!(attribute(&svg, "height"), format!("{h}mm"), "{paper}");
            assert_eq!(
                attribute(&svg, "viewBox"),
                format!("0 0 {w} {h}"),
                "{paper}"
            );
            assert_eq!(attribute(&svg, "xml:lang"), "en");
            assert_eq!(attribute(&svg, "direction"), "ltr");
            // The QR code sits inside the inner border.
            let (x, y, module) = qr_transform(&svg);
            let side = QrModules::new(&qr::payload_for(CREDENTIAL, None).unwrap())
                .unwrap()
                .side() as f64;
            let (width, height) = paper.size_mm();
            assert!(
                x > 11.0 && x + side * module < width - 11.0,
                "{paper}: x {x}"
            );
            assert!(
                y > 11.0 && y + side * module < height - 11.0,
                "{paper}: y {y}"
            );
        }
        assert_eq!("A4".parse::<Paper>().unwrap(), Paper::A4);
        assert_eq!(" letter".parse::<Paper>().unwrap(), Paper::Letter);
        let err = "a5".parse::<Paper>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown paper size \"a5\": use a4 or letter"
        );
    }

    #[test]
    fn the_qr_module_is_at_least_half_a_millimetre() {
        // A short credential, the fixture, and one at the edge of what a QR code holds (no
        // proof of this size compresses: random hex, about 2,400 bytes of it).
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let noise: String = (0..2_400)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b"0123456789abcdef"[(state % 16) as usize])
            })
            .collect();
        let large = CREDENTIAL.replace("z3FXQjecWufY46yg", &noise);
        let versions: Vec<usize> = ["{}", CREDENTIAL, &large]
            .iter()
            .map(|c| {
                QrModules::new(&qr::payload_for(c, None).unwrap())
                    .unwrap()
                    .version()
            })
            .collect();
        assert!(versions[0] < 5 && versions[2] >= 30, "{versions:?}");
        for credential in ["{}".to_owned(), CREDENTIAL.to_owned(), large] {
            let mut input = input(None);
            input.credential = credential.clone();
            for paper in [Paper::A4, Paper::Letter] {
                let svg = render(&input, paper, &CertificateLabels::default()).unwrap();
                // One user unit is a millimetre (width in mm = viewBox width).
                let (_, _, module) = qr_transform(&svg);
                assert!(
                    (MIN_MODULE_MM..=MAX_MODULE_MM).contains(&module),
                    "{} bytes on {paper}: module {module} mm",
                    credential.len()
                );
            }
        }
    }

    #[test]
    fn credential_text_is_escaped() {
        let evil = "<script>alert(1)</script> & \"Co\" 'x' ]]> \u{1}";
        let credential = CREDENTIAL
            .replace(
                "Open Learning Lab",
                "<script>alert(1)</script> & \\\"Co\\\" 'x' ]]>",
            )
            .replace("Data Literacy Foundations", "]]><svg onload=alert(2)>");
        let mut input = CertificateInput::from_credential(&credential, Some(evil));
        input.description = Some(evil.into());
        input.credential_id = Some("urn:<x>&".into());
        let svg = render(&input, Paper::A4, &CertificateLabels::default()).unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<svg onload"), "{svg}");
        assert!(!svg.contains("]]>"), "{svg}");
        assert!(svg.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot; &#39;x&#39; ]]&gt;"
        ));
        assert!(svg.contains("urn:&lt;x&gt;&amp;"));
        assert!(!svg.contains('\u{1}'));
        // Well-formed XML all the same (usvg refuses anything else).
        resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).unwrap();
        // Labels are escaped too (they come from catalogues).
        let labels = CertificateLabels {
            title: "A & <B>".into(),
            lang: "en\"x".into(),
            ..CertificateLabels::default()
        };
        let svg = render(&input, Paper::A4, &labels).unwrap();
        assert!(svg.contains("A &amp; &lt;B&gt;") && svg.contains("xml:lang=\"en&quot;x\""));
    }

    #[test]
    fn long_text_is_wrapped_and_cut_with_an_ellipsis() {
        let long = "word ".repeat(400);
        let lines = wrap(&long, 30.0, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| text_em(l) <= 30.0), "{lines:?}");
        assert!(lines[2].ends_with('…') && !lines[0].ends_with('…'));
        // Short text: one line, no ellipsis.
        assert_eq!(wrap("Data Literacy", 30.0, 3), ["Data Literacy"]);
        // No spaces (Chinese, a long identifier): broken anywhere, within the width.
        let chinese = "数据素养基础课程".repeat(10);
        let lines = wrap(&chinese, 10.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| text_em(l) <= 10.0), "{lines:?}");
        assert!(lines[1].ends_with('…'));
        let id = "urn:uuid:0b8e6c1a-4c5e-4a53-9d2f-6f1c2e0a9b11";
        let lines = wrap(id, 20.0, 3);
        assert_eq!(lines.concat(), id);
        assert_eq!(lines, ["urn:uuid:0b8e6c1a-4c5e-4a53-9d2f-", "6f1c2e0a9b11"]);
        // Broken after the last hyphen that fits, not in the middle of a group.
        assert_eq!(
            wrap(id, 18.0, 3),
            ["urn:uuid:0b8e6c1a-4c5e-4a53-", "9d2f-6f1c2e0a9b11"]
        );
        // New lines are spaces, control characters dropped.
        assert_eq!(wrap("a\nb\u{7}c", 30.0, 1), ["a bc"]);

        // On the page: a very long description stays within the text width, five lines at most.
        let mut long_input = input(Some("Ada"));
        long_input.description = Some("Reading and charting public data. ".repeat(100));
        let svg = render(&long_input, Paper::A4, &CertificateLabels::default()).unwrap();
        let description: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains("class=\"description\""))
            .collect();
        assert!((1..=5).contains(&description.len()), "{description:?}");
        assert!(description.last().unwrap().contains('…'));
        for line in description {
            let text = &line[line.find('>').unwrap() + 1..line.rfind("</text>").unwrap()];
            assert!(text_em(text) * 3.8 <= 210.0 - 2.0 * MARGIN, "{text}");
        }
    }

    #[test]
    fn without_a_name_there_is_no_awarded_to_line() {
        let named = render(
            &input(Some("Ada Lovelace")),
            Paper::A4,
            &CertificateLabels::default(),
        )
        .unwrap();
        assert!(named.contains(">awarded to</text>") && named.contains(">Ada Lovelace</text>"));
        assert!(!named.contains(">awarded for</text>"));
        for name in [None, Some("  ")] {
            let unnamed = render(&input(name), Paper::A4, &CertificateLabels::default()).unwrap();
            assert!(!unnamed.contains(">awarded to<"), "{unnamed}");
            assert!(!unnamed.contains("class=\"name\""), "{unnamed}");
            assert!(unnamed.contains(">awarded for</text>"));
        }
    }

    #[test]
    fn the_page_shows_the_credential() {
        let svg = render(
            &input(Some("Ada")),
            Paper::A4,
            &CertificateLabels::default(),
        )
        .unwrap();
        for shown in [
            ">Open Learning Lab</text>",
            ">Data Literacy Foundations</text>",
            ">Reading, cleaning and charting public data sets.</text>",
            ">2026-03-01</text>",
            "urn:uuid:0b8e6c1a",
            ">Certificate of achievement</text>",
            "passerelle-verifier",
            "href=\"data:image/svg+xml;base64,",
        ] {
            assert!(svg.contains(shown), "{shown:?} not in {svg}");
        }
        // A PNG image is embedded as given (re-encoded); anything else is the plain medal.
        let png = artifacts::rasterise(&artifacts::default_badge_svg("x")).unwrap();
        let mut with_png = input(None);
        with_png.image = Some(data_url::encode("image/png", &png));
        let page = render(&with_png, Paper::A4, &CertificateLabels::default()).unwrap();
        assert!(page.contains(&format!(
            "xlink:href=\"{}\"",
            data_url::encode("image/png", &png)
        )));
        with_png.image = Some("data:text/html,<script>alert(1)</script>".into());
        let page = render(&with_png, Paper::A4, &CertificateLabels::default()).unwrap();
        assert!(
            page.contains("xlink:href=\"data:image/svg+xml;base64,") && !page.contains("text/html")
        );
        // The QR code holds the credential (it fits), so the no-QR note is not shown.
        assert!(svg.contains("offline") && !svg.contains("too large for a QR code"));
        // Too large for a QR code: no QR code (never the private claim link), and the page
        // says to verify the credential file.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut too_large = input(None);
        too_large.credential = (0..8_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b"0123456789abcdef"[(state % 16) as usize])
            })
            .collect();
        let without = render(&too_large, Paper::A4, &CertificateLabels::default()).unwrap();
        assert!(without.contains("too large for a QR code") && !without.contains("offline"));
        assert!(!without.contains("id=\"qr\"") && !without.contains("Scan to verify"));
        // Right to left: mirrored (the QR code on the left), and said on the root.
        let labels = CertificateLabels {
            dir: Direction::Rtl,
            lang: "ar".into(),
            ..CertificateLabels::default()
        };
        let rtl = render(&input(Some("Ada")), Paper::A4, &labels).unwrap();
        assert_eq!(attribute(&rtl, "direction"), "rtl");
        assert_eq!(attribute(&rtl, "xml:lang"), "ar");
        assert_eq!(qr_transform(&rtl).0, MARGIN);
        assert!(qr_transform(&svg).0 > 105.0);
        assert_eq!("RTL".parse::<Direction>().unwrap(), Direction::Rtl);
        assert!("up".parse::<Direction>().is_err());
    }

    /// What a phone sees of the page printed at `dpi` when it frames the QR code: the page
    /// rasterised (text is not drawn: this resvg has no fonts; shapes and the badge image are)
    /// over the code and `margin` mm around it, as a PNG.
    fn photograph_qr(svg: &str, dpi: f32, margin: f64) -> Vec<u8> {
        use resvg::{tiny_skia, usvg};
        let (x, y, module) = qr_transform(svg);
        let start = svg.find("<g id=\"qr\"").unwrap();
        let side: f64 = svg[start..]
            .split_once("<rect width=\"")
            .unwrap()
            .1
            .split_once('"')
            .unwrap()
            .0
            .parse()
            .unwrap();
        let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap();
        // One user unit is a millimetre; usvg sizes the page in CSS pixels, 96 to the inch.
        let px = dpi / 25.4;
        let scale = dpi / 96.0;
        let (left, top) = ((x - margin) as f32 * px, (y - margin) as f32 * px);
        let frame = ((side * module + 2.0 * margin) as f32 * px).ceil() as u32;
        let mut pixmap = tiny_skia::Pixmap::new(frame, frame).unwrap();
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, -left, -top),
            &mut pixmap.as_mut(),
        );
        pixmap.encode_png().unwrap()
    }

    /// The scan test: the page printed at 300 dpi and photographed over its QR code gives back
    /// the signed credential's exact text, for a short badge (0.8 mm modules), a typical one
    /// (version 32, 0.6 mm) and one near the limit (version 38, 0.54 mm), on both papers.
    #[test]
    fn the_printed_qr_code_scans_back_to_the_signed_credential() {
        let typical = {
            let mut badge = passerelle_core::model::sample::data_literacy_badge();
            badge["proof"] = serde_json::json!({
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2026-03-02T09:00:00Z",
                "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "proofPurpose": "assertionMethod",
                "proofValue": "z3FXQjecWufY46yg2r6XTGd9PsXHExvCfqYbgJfYAaDiYPKVufSD8qTGMvFeDk7fqbkxEFcT1JxJqZtx5UbwYCEKe"
            });
            serde_json::to_string(&badge).unwrap()
        };
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let noise: String = (0..2_600)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b"0123456789abcdef"[(state % 16) as usize])
            })
            .collect();
        let large = CREDENTIAL.replace("z3FXQjecWufY46yg", &noise);
        let mut modules_seen = Vec::new();
        for credential in [CREDENTIAL.to_owned(), typical, large] {
            for paper in [Paper::A4, Paper::Letter] {
                let mut input = input(Some("Ada Lovelace"));
                input.credential = credential.clone();
                let svg = render(&input, paper, &CertificateLabels::default()).unwrap();
                modules_seen.push(qr_transform(&svg).2);
                let texts = qr::scan(&photograph_qr(&svg, 300.0, 8.0)).unwrap();
                assert_eq!(texts.len(), 1, "{paper}");
                assert!(texts[0].starts_with(qr::COMPACT_PREFIX_V2), "{paper}");
                assert_eq!(
                    qr::decode(&texts[0]).unwrap(),
                    qr::QrPayload::Document(credential.clone()),
                    "{paper}"
                );
            }
        }
        assert_eq!(modules_seen[0], MAX_MODULE_MM);
        assert_eq!(modules_seen[2], 0.601);
        assert!(
            (MIN_MODULE_MM..0.55).contains(&modules_seen[4]),
            "{modules_seen:?}"
        );
    }

    /// The whole page scanned flat (a copier or a scanner app), at the resolutions people
    /// choose, reads back to the credential: the verifier's scan of an uploaded page. At 300 and
    /// 400 dpi the page is downscaled to 2,048 px before the scan, where rqrr misses this code,
    /// and is read at the core's second size.
    #[test]
    fn a_whole_page_scanned_at_common_resolutions_reads_back() {
        use resvg::{tiny_skia, usvg};
        let mut badge = passerelle_core::model::sample::data_literacy_badge();
        badge["proof"] = serde_json::json!({
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-03-02T09:00:00Z",
            "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "proofPurpose": "assertionMethod",
            "proofValue": "z3FXQjecWufY46yg2r6XTGd9PsXHExvCfqYbgJfYAaDiYPKVufSD8qTGMvFeDk7fqbkxEFcT1JxJqZtx5UbwYCEKe"
        });
        let credential = serde_json::to_string(&badge).unwrap();
        let mut input = input(Some("Ada Lovelace"));
        input.credential = credential.clone();
        let svg = render(&input, Paper::A4, &CertificateLabels::default()).unwrap();
        let tree = usvg::Tree::from_str(&svg, &usvg::Options::default()).unwrap();
        for dpi in [200.0f32, 300.0, 400.0] {
            let (width, height) = Paper::A4.size_mm();
            let px = dpi / 25.4;
            let mut pixmap = tiny_skia::Pixmap::new(
                (width as f32 * px).round() as u32,
                (height as f32 * px).round() as u32,
            )
            .unwrap();
            pixmap.fill(tiny_skia::Color::WHITE);
            let scale = dpi / 96.0;
            resvg::render(
                &tree,
                tiny_skia::Transform::from_scale(scale, scale),
                &mut pixmap.as_mut(),
            );
            let texts = qr::scan(&pixmap.encode_png().unwrap())
                .unwrap_or_else(|e| panic!("{dpi} dpi: {e}"));
            assert_eq!(
                qr::decode(&texts[0]).unwrap(),
                qr::QrPayload::Document(credential.clone()),
                "{dpi} dpi"
            );
        }
    }
}
