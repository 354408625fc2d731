//! The server-rendered page: a form to paste or upload, and the result — a badge card above
//! every check of the core report, in the viewer's language.
//!
//! (About 840 lines, 90 of them tests: one page's markup, which reads best in one place.)
//!
//! Rendering uses `maud`, which escapes every interpolated string: credential content (names,
//! descriptions, ids) can never become markup or script. Images inside credentials are shown
//! only when they are `data:` URLs (no request leaves the viewer's browser for a third party);
//! other images are named by a link. The page needs no JavaScript: `app.js` only adds
//! drag-and-drop and camera QR scanning where the browser can open a camera (frames are read by
//! `BarcodeDetector` where the browser has one, else by this server's `POST /api/v1/scan`).

use base64::Engine as _;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use passerelle_core::model::identity::identity_matches;
use passerelle_core::model::CredentialModel;
use passerelle_core::verify::{
    placeholders, Arg, ArgKind, Check, CheckId, DocumentKind, EndorsementReport, Message,
    MessageCode, Outcome, Report, Standing, Verdict,
};

use crate::i18n::Messages;
use crate::service::{Source, Verification};

/// The page's stylesheet (served at `/assets/style.css`).
pub const STYLE_CSS: &str = include_str!("../assets/style.css");
/// The page's optional script (served at `/assets/app.js`).
pub const APP_JS: &str = include_str!("../assets/app.js");

/// Everything the page shows for a verification.
pub struct ResultView<'a> {
    pub verification: &'a Verification,
    /// An email the viewer asked to compare with a hashed recipient (never stored or logged).
    pub email: Option<&'a str>,
}

fn layout(m: &Messages<'_>, title: &str, resubmit: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(m.lang()) dir=(m.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (m.t("app.name")) }
                link rel="stylesheet" href="/assets/style.css";
            }
            body {
                a class="skip" href="#main" { (m.t("page.skip")) }
                header class="top" {
                    p class="brand" { (m.t("app.name")) }
                    (language_switcher(m, resubmit))
                }
                main id="main" { (body) }
                footer {
                    p { (m.t("page.footer")) }
                }
                script src="/assets/app.js" defer {}
            }
        }
    }
}

/// Links to every language; on a result page, buttons that verify the same text again in the
/// chosen language (the result is not stored anywhere, so it is re-computed).
fn language_switcher(m: &Messages<'_>, resubmit: Option<&str>) -> Markup {
    html! {
        nav class="languages" aria-label=(m.t("page.languages")) {
            @match resubmit {
                None => {
                    ul {
                        @for language in m.languages() {
                            li {
                                @if language.lang == m.lang() {
                                    span aria-current="true" lang=(language.lang) { (language.name) }
                                } @else {
                                    a href={ "/?lang=" (language.lang) } lang=(language.lang) hreflang=(language.lang) { (language.name) }
                                }
                            }
                        }
                    }
                }
                Some(text) => {
                    form method="post" action="/verify" enctype="multipart/form-data" {
                        input type="hidden" name="credential" value=(text);
                        ul {
                            @for language in m.languages() {
                                li {
                                    @if language.lang == m.lang() {
                                        span aria-current="true" lang=(language.lang) { (language.name) }
                                    } @else {
                                        button type="submit" name="lang" value=(language.lang) lang=(language.lang) class="link" { (language.name) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn verify_form(m: &Messages<'_>) -> Markup {
    html! {
        form method="post" action="/verify" enctype="multipart/form-data" class="verify" id="verify-form" {
            input type="hidden" name="lang" value=(m.lang());
            div class="field" {
                label for="credential" { (m.t("form.paste.label")) }
                p class="hint" id="credential-hint" { (m.t("form.paste.hint")) }
                textarea id="credential" name="credential" rows="8" spellcheck="false" aria-describedby="credential-hint" {}
            }
            div class="field drop" id="drop-zone" {
                label for="file" { (m.t("form.file.label")) }
                p class="hint" id="file-hint" { (m.t("form.file.hint")) }
                input type="file" id="file" name="file" aria-describedby="file-hint"
                    accept=".json,.jsonld,.jwt,.txt,.png,.svg,.jpg,.jpeg,.gif,.webp,application/json,image/*";
            }
            (camera_scanner(m))
            button type="submit" class="primary" { (m.t("form.submit")) }
        }
    }
}

/// The camera QR scanner: hidden, and left hidden without JavaScript; `app.js` shows it when
/// the browser can open a camera (`getUserMedia`). Its messages travel as `data-` attributes so
/// the script speaks the page's language.
fn camera_scanner(m: &Messages<'_>) -> Markup {
    html! {
        div class="field camera" id="camera" hidden
            data-starting=(m.t("form.camera.starting"))
            data-scanning=(m.t("form.camera.scanning"))
            data-looking=(m.t("form.camera.looking"))
            data-unusable=(m.t("form.camera.unusable"))
            data-found=(m.t("form.camera.found"))
            data-stopped=(m.t("form.camera.stopped"))
            data-offline=(m.t("form.camera.offline"))
            data-denied=(m.t("form.camera.denied"))
            data-none=(m.t("form.camera.none"))
            data-busy=(m.t("form.camera.busy"))
            data-error=(m.t("form.camera.error")) {
            button type="button" id="camera-start" class="secondary" aria-controls="camera-panel"
                aria-describedby="camera-hint" { (m.t("form.camera.start")) }
            p class="hint" id="camera-hint" { (m.t("form.camera.hint")) }
            div id="camera-panel" class="camera-panel" hidden {
                video id="camera-video" muted playsinline aria-label=(m.t("form.camera.video")) {}
                button type="button" id="camera-stop" class="secondary" { (m.t("form.camera.stop")) }
            }
            p id="camera-status" class="camera-status" role="status" aria-live="polite" {}
        }
    }
}

/// The start page.
pub fn index(m: &Messages<'_>) -> String {
    layout(
        m,
        m.t("index.title"),
        None,
        html! {
            h1 { (m.t("index.title")) }
            p class="lead" { (m.t("index.lead")) }
            (verify_form(m))
            section aria-labelledby="privacy" {
                h2 id="privacy" { (m.t("index.privacy.title")) }
                p { (m.t("index.privacy.text")) }
            }
        },
    )
    .into_string()
}

/// A page for input that could not be read at all.
pub fn input_error(m: &Messages<'_>, reason: &str) -> String {
    layout(
        m,
        m.t("error.title"),
        None,
        html! {
            h1 { (m.t("error.title")) }
            div class="verdict verdict-not_verified" role="alert" {
                p { (m.t("error.lead")) }
                p class="reason" { code lang="en" { (reason) } }
            }
            (verify_form(m))
        },
    )
    .into_string()
}

/// The result page.
pub fn result(m: &Messages<'_>, view: &ResultView<'_>) -> String {
    let verification = view.verification;
    let report = &verification.report;
    let title = verdict_title(m, report);
    let body = html! {
        h1 { (title) }
        (verdict_block(m, report))
        p class="source" { (m.t(source_key(verification.source))) }
        @match report.kind {
            DocumentKind::Credential => {
                (badge_card(m, report, verification.document.as_ref(), view.email, &verification.text))
                (checks_list(m, report, "checks"))
                (endorsements_section(m, report, "endorsements"))
            }
            // Never presented on its own: an endorsement's report is nested in its credential's.
            DocumentKind::Endorsement => {
                (checks_list(m, report, "checks"))
            }
            DocumentKind::Presentation => {
                (checks_list(m, report, "checks"))
                @for (n, inner) in report.credentials().iter().enumerate() {
                    @let raw = verification.document.as_ref().and_then(|d| embedded_json(d, n));
                    section class="inner" aria-labelledby={ "credential-" (n) } {
                        h2 id={ "credential-" (n) } { (m.format("presentation.credential", &[("n", &(n + 1).to_string())])) }
                        (verdict_block(m, inner))
                        (badge_card(m, inner, raw, view.email, &verification.text))
                        (checks_list(m, inner, &format!("checks-{n}")))
                        (endorsements_section(m, inner, &format!("endorsements-{n}")))
                    }
                }
            }
        }
        section class="actions" aria-labelledby="actions" {
            h2 id="actions" { (m.t("actions.title")) }
            form method="post" action="/verify" enctype="multipart/form-data" class="inline" {
                input type="hidden" name="credential" value=(verification.text);
                input type="hidden" name="lang" value=(m.lang());
                button type="submit" class="secondary" { (m.t("actions.reverify")) }
            }
            a class="button secondary" download="verification-report.json"
                href={ "data:application/json;base64," (report_base64(report)) } { (m.t("actions.download")) }
            a class="button secondary" href={ "/?lang=" (m.lang()) } { (m.t("actions.another")) }
        }
    };
    layout(m, &title, Some(&verification.text), body).into_string()
}

/// The endorsements embedded in a credential, each with how to take it: "endorsed by" only for
/// a verified endorsement whose endorser a loaded registry recognises. Every text from the
/// credential goes through maud, which escapes it.
fn endorsements_section(m: &Messages<'_>, report: &Report, id: &str) -> Markup {
    if report.endorsements().is_empty() && report.endorsements_not_checked == 0 {
        return html! {};
    }
    html! {
        section class="endorsements" aria-labelledby=(id) {
            h2 id=(id) { (m.t("endorsements.title")) }
            ul {
                @for (n, e) in report.endorsements().iter().enumerate() {
                    @let name = e.endorser_name.as_deref().or(e.endorser.as_deref()).unwrap_or(m.t("endorsements.unknown_endorser"));
                    @let (class, headline) = endorsement_headline(m, e, name);
                    li class={ "endorsement endorsement-" (class) } {
                        p class="endorsement-headline" { strong { (headline) } }
                        dl {
                            @if let Some(endorsed) = &e.endorsed {
                                dt { (m.t("endorsements.endorses")) }
                                dd { code { (endorsed) } }
                            }
                            @if let Some(comment) = &e.comment {
                                dt { (m.t("endorsements.comment")) }
                                dd { (comment) }
                            }
                            dt { (m.t("endorsements.found_at")) }
                            dd { code { (e.found_at) } }
                        }
                        details {
                            summary { (m.t("endorsements.details")) }
                            (checks_list(m, &e.report, &format!("{id}-{n}-checks")))
                        }
                    }
                }
            }
            @if report.endorsements_not_checked > 0 {
                p { (m.format("endorsements.more", &[("count", &report.endorsements_not_checked.to_string())])) }
            }
        }
    }
}

/// The class and the sentence for one endorsement.
fn endorsement_headline(
    m: &Messages<'_>,
    e: &EndorsementReport,
    name: &str,
) -> (&'static str, String) {
    let first = |outcome: Outcome| {
        e.report
            .checks()
            .iter()
            .find(|c| c.outcome == outcome && (outcome == Outcome::Fail || c.required))
            .map(|c| format!("{} — {}", check_title(m, c.id), message_text(m, &c.message)))
            .unwrap_or_default()
    };
    match &e.standing {
        Standing::Recognised { registries } => (
            "recognised",
            m.format(
                "endorsements.recognised",
                &[("name", name), ("registries", &registries.join(", "))],
            ),
        ),
        Standing::NotRecognised => (
            "not_recognised",
            m.format("endorsements.not_recognised", &[("name", name)]),
        ),
        Standing::Invalid { .. } => (
            "invalid",
            m.format(
                "endorsements.invalid",
                &[("name", name), ("reason", &first(Outcome::Fail))],
            ),
        ),
        Standing::Incomplete { .. } => (
            "incomplete",
            m.format(
                "endorsements.incomplete",
                &[("name", name), ("reason", &first(Outcome::NotChecked))],
            ),
        ),
    }
}

fn report_base64(report: &Report) -> String {
    let json = serde_json::to_vec_pretty(&report.to_json()).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(json)
}

fn source_key(source: Source) -> &'static str {
    match source {
        Source::Text => "source.text",
        Source::BakedImage => "source.baked",
        Source::QrImage => "source.qr_image",
        Source::QrText => "source.qr_text",
        Source::QrLink => "source.qr_link",
    }
}

fn verdict_title(m: &Messages<'_>, report: &Report) -> String {
    m.t(match report.verdict() {
        Verdict::Verified => "verdict.verified",
        Verdict::NotVerified => "verdict.not_verified",
        Verdict::Incomplete => "verdict.incomplete",
    })
    .to_owned()
}

fn verdict_block(m: &Messages<'_>, report: &Report) -> Markup {
    let (class, icon, text) = match report.verdict() {
        Verdict::Verified => ("verified", "✓", "verdict.verified.text"),
        Verdict::NotVerified => ("not_verified", "✗", "verdict.not_verified.text"),
        Verdict::Incomplete => ("incomplete", "?", "verdict.incomplete.text"),
    };
    let count = |o: Outcome| report.checks().iter().filter(|c| c.outcome == o).count();
    html! {
        div class={ "verdict verdict-" (class) } role="status" {
            p class="verdict-title" {
                span class="icon" aria-hidden="true" { (icon) }
                strong { (verdict_title(m, report)) }
            }
            p { (m.t(text)) }
            p class="counts" {
                (m.format("verdict.counts", &[
                    ("pass", &count(Outcome::Pass).to_string()),
                    ("fail", &count(Outcome::Fail).to_string()),
                    ("warning", &count(Outcome::Warning).to_string()),
                    ("not_checked", &count(Outcome::NotChecked).to_string()),
                ]))
            }
        }
    }
}

fn outcome_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Warning => "warning",
        Outcome::NotChecked => "not_checked",
    }
}

fn checks_list(m: &Messages<'_>, report: &Report, id: &str) -> Markup {
    // Failures first, then what could not be checked, warnings, passes: a failure is never
    // below the fold under a column of passes.
    let mut checks: Vec<&Check> = report.checks().iter().collect();
    checks.sort_by_key(|c| match c.outcome {
        Outcome::Fail => 0,
        Outcome::NotChecked => 1,
        Outcome::Warning => 2,
        Outcome::Pass => 3,
    });
    html! {
        section class="checks" aria-labelledby=(id) {
            h2 id=(id) { (m.t("checks.title")) }
            ul {
                @for check in checks {
                    @let outcome = outcome_key(check.outcome);
                    // "Not checked" because there was nothing to check (no status entry, no
                    // schema named) has its own sentence, never "could not be obtained"; a
                    // schema named but not available is "could not be checked".
                    @let sentence_key = if does_not_apply(check) {
                        format!("check.{}.not_applicable", check.id)
                    } else {
                        format!("check.{}.{}", check.id, outcome)
                    };
                    // The short sentences speak of the issuer; a presentation's signature and
                    // key are the holder's, which its own message says.
                    // The challenge and holder-binding messages are the specific sentence
                    // (replayed, expired, made for another request; whose credential it is).
                    @let specific = about_holder(check) || matches!(check.id, CheckId::Challenge | CheckId::HolderBinding);
                    @let sentence = if specific { "" } else { m.t(&sentence_key) };
                    li class={ "check outcome-" (outcome) } data-check=(check.id) data-outcome=(outcome) {
                        p class="check-head" {
                            span class={ "tag tag-" (outcome) } { (m.t(&format!("outcome.{outcome}"))) }
                            " "
                            strong { (check_title(m, check.id)) }
                        }
                        p class="check-text" {
                            @if sentence.is_empty() { (message(m, &check.message)) } @else { (sentence) }
                        }
                        // Why a credential not bound to its presenter matters, and what to do.
                        @if check.id == CheckId::HolderBinding && check.outcome == Outcome::Warning {
                            p class="check-explain" { (m.t("check.holder_binding.warning")) }
                        }
                        details {
                            summary { (m.t("checks.details")) }
                            p data-code=(check.message.code) { (message(m, &check.message)) }
                            @if !check.details.is_empty() {
                                ul class="facts" {
                                    @for detail in &check.details {
                                        li data-code=(detail.code) { (message(m, detail)) }
                                    }
                                }
                            }
                            @if check.required {
                                p class="hint" { (m.t("checks.required")) }
                            } @else {
                                p class="hint" { (m.t("checks.optional")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A report message in the viewer's language: the catalogue's `msg.<code>` template with each
/// argument set apart by kind (identifiers and raw technical text in `<code>`, the latter marked
/// English, dates in `<time>`). maud escapes every piece. A code missing from the catalogue
/// falls back to the core's English template (a test keeps every shipped catalogue complete).
pub fn message(m: &Messages<'_>, message: &Message) -> Markup {
    let translated = m.t(&format!("msg.{}", message.code));
    let template = if translated.is_empty() {
        message.code.english()
    } else {
        translated
    };
    let prefix = message
        .proof
        .map(|n| m.format("report.proof_prefix", &[("n", &n.to_string())]));
    html! {
        @if let Some(prefix) = &prefix { (prefix) }
        @for piece in pieces(template) {
            @match piece {
                Piece::Text(text) => (text),
                Piece::Arg(name) => {
                    @match message.args.iter().find(|a| a.name == name) {
                        Some(arg) => (argument(m, arg)),
                        None => { "{" (name) "}" }
                    }
                }
            }
        }
    }
}

/// A message as plain text in the viewer's language (for JSON answers).
pub fn message_text(m: &Messages<'_>, message: &Message) -> String {
    let translated = m.t(&format!("msg.{}", message.code));
    let template = if translated.is_empty() {
        message.code.english()
    } else {
        translated
    };
    let mut text = message
        .proof
        .map(|n| m.format("report.proof_prefix", &[("n", &n.to_string())]))
        .unwrap_or_default();
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Arg(name) => match message.args.iter().find(|a| a.name == name) {
                Some(arg) if arg.name == "provenance" => text.push_str(
                    &provenance_localized(m, &arg.value).unwrap_or_else(|| arg.value.clone()),
                ),
                Some(arg) if arg.kind == ArgKind::Date => text.push_str(&display_date(&arg.value)),
                Some(arg) => text.push_str(&arg.value),
                None => {
                    text.push('{');
                    text.push_str(name);
                    text.push('}');
                }
            },
        }
    }
    text
}

enum Piece<'t> {
    Text(&'t str),
    Arg(&'t str),
}

/// Splits a template into literal text and `{name}` placeholders (the core's placeholder
/// syntax: lower-case names with underscores; any other brace is text).
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name = after.find('}').map(|close| &after[..close]);
        match name {
            Some(name) if placeholders(&rest[open..open + name.len() + 2]) == [name] => {
                if open > 0 {
                    out.push(Piece::Text(&rest[..open]));
                }
                out.push(Piece::Arg(name));
                rest = &after[name.len() + 1..];
            }
            _ => {
                out.push(Piece::Text(&rest[..=open]));
                rest = after;
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

fn argument(m: &Messages<'_>, arg: &Arg) -> Markup {
    if arg.name == "provenance" {
        if let Some(text) = provenance_localized(m, &arg.value) {
            return html! { (text) };
        }
    }
    match arg.kind {
        ArgKind::Identifier => html! { code { (arg.value) } },
        ArgKind::Technical => html! { code lang="en" { (arg.value) } },
        ArgKind::Date => html! { time datetime=(arg.value) { (display_date(&arg.value)) } },
        _ => html! { (arg.value) },
    }
}

/// `2026-07-01T00:00:00Z` → `2026-07-01`; a time other than midnight is kept
/// (`2026-07-01 12:30 UTC`).
fn display_date(value: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(value) {
        Ok(date) => {
            let utc = date.with_timezone(&chrono::Utc);
            if utc.format("%H:%M:%S").to_string() == "00:00:00" {
                utc.format("%Y-%m-%d").to_string()
            } else {
                utc.format("%Y-%m-%d %H:%M UTC").to_string()
            }
        }
        Err(_) => value.to_owned(),
    }
}

/// Where a status list came from, in the viewer's language. This service's fetcher describes
/// it with [`crate::fetch::Freshness::describe`] (tested against it); any other provenance is
/// raw text, shown as such.
fn provenance_localized(m: &Messages<'_>, value: &str) -> Option<String> {
    if let Some(url) = value.strip_prefix("fetched now from ") {
        return Some(m.format("report.provenance.fresh", &[("url", url)]));
    }
    if let Some(rest) = value.strip_prefix("from cache, ") {
        if let Some((seconds, url)) = rest.split_once(" s old, fetched from ") {
            if seconds.bytes().all(|b| b.is_ascii_digit()) {
                return Some(m.format(
                    "report.provenance.cached",
                    &[("seconds", seconds), ("url", url)],
                ));
            }
        }
    }
    None
}

/// Whether the check is about a presentation holder's signature or key.
fn about_holder(check: &Check) -> bool {
    matches!(
        check.message.code,
        MessageCode::ProofValidHolder
            | MessageCode::ProofCaveatHolder
            | MessageCode::KeyValidHolder
            | MessageCode::KeyUnvouchedHolder
            | MessageCode::KeyWrongHolder
    )
}

/// Whether a check was not made because it does not apply to this document.
fn does_not_apply(check: &Check) -> bool {
    check.outcome == Outcome::NotChecked
        && !check.required
        && matches!(
            check.message.code,
            MessageCode::StatusNone | MessageCode::SchemaNone
        )
}

fn check_title<'a>(m: &Messages<'a>, id: CheckId) -> &'a str {
    let text = m.t(&format!("check.{id}.title"));
    if text.is_empty() {
        m.t("check.other.title")
    } else {
        text
    }
}

/// A credential embedded as JSON in a presentation, by position.
fn embedded_json(presentation: &Value, n: usize) -> Option<&Value> {
    match presentation.get("verifiableCredential")? {
        Value::Array(items) => items.get(n).filter(|v| v.is_object()),
        item @ Value::Object(_) if n == 0 => Some(item),
        _ => None,
    }
}

/// The text of a property that may be a string, a language value object or an array of them,
/// in the viewer's language when the credential offers it.
pub fn localized(value: &Value, lang: &str) -> Option<String> {
    let candidates: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let primary = |tag: &str| tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    let mut first = None;
    let mut untagged = None;
    for candidate in candidates {
        let (text, language) = match candidate {
            Value::String(s) => (s.as_str(), None),
            Value::Object(map) => match map.get("@value").and_then(Value::as_str) {
                Some(text) => (text, map.get("@language").and_then(Value::as_str)),
                None => continue,
            },
            _ => continue,
        };
        match language {
            Some(tag) if primary(tag) == primary(lang) => return Some(text.to_owned()),
            Some(_) => {
                first.get_or_insert(text);
            }
            None => {
                untagged.get_or_insert(text);
            }
        }
    }
    untagged.or(first).map(str::to_owned)
}

fn subject(doc: &Value) -> Option<&Value> {
    match doc.get("credentialSubject")? {
        Value::Array(items) => items.first(),
        other => Some(other),
    }
}

fn field(doc: Option<&Value>, path: &[&str], lang: &str) -> Option<String> {
    let mut value = doc?;
    for step in path {
        value = value.get(step)?;
    }
    localized(value, lang).filter(|s| !s.trim().is_empty())
}

fn badge_card(
    m: &Messages<'_>,
    report: &Report,
    raw: Option<&Value>,
    email: Option<&str>,
    text: &str,
) -> Markup {
    let dates = report.dates.clone().unwrap_or_default();
    let Some(model) = &report.summary else {
        return html! {
            section class="card" aria-label=(m.t("card.title")) {
                p { (m.t("card.unreadable")) }
            }
        };
    };
    let lang = m.lang();
    let achievement = raw.and_then(subject).and_then(|s| s.get("achievement"));
    let name = field(achievement, &["name"], lang)
        .or_else(|| model.achievement.as_ref().map(|a| a.name.clone()))
        .or_else(|| field(raw, &["name"], lang))
        .or_else(|| model.name.clone());
    let description = field(achievement, &["description"], lang)
        .or_else(|| model.achievement.as_ref().map(|a| a.description.clone()))
        .or_else(|| field(raw, &["description"], lang));
    let criteria = field(achievement, &["criteria", "narrative"], lang).or_else(|| {
        model
            .achievement
            .as_ref()
            .and_then(|a| a.criteria_narrative.clone())
    });
    let issuer_name = field(raw, &["issuer", "name"], lang).or_else(|| model.issuer.name.clone());
    let image = model
        .achievement
        .as_ref()
        .and_then(|a| a.image.as_ref())
        .or(model.image.as_ref())
        .map(|i| i.id.as_str().to_owned());
    let recognised = report.check(CheckId::IssuerRecognised);
    html! {
        section class="card" aria-labelledby="card-title" {
            div class="card-body" {
                @if let Some(image) = &image {
                    @if image.starts_with("data:image/") {
                        img class="badge-image" src=(image) alt=(name.clone().unwrap_or_default()) width="120" height="120";
                    }
                }
                div {
                    p class="kind" { (m.t("card.title")) }
                    h2 id="card-title" { (name.clone().unwrap_or_else(|| m.t("card.unnamed").to_owned())) }
                    @if let Some(description) = &description { p { (description) } }
                    @if let Some(image) = &image {
                        @if !image.starts_with("data:image/") {
                            p class="hint" { a href=(image) rel="noopener noreferrer nofollow" { (m.t("card.image_link")) } }
                        }
                    }
                }
            }
            dl {
                @if let Some(criteria) = &criteria {
                    dt { (m.t("card.criteria")) }
                    dd { (criteria) }
                }
                dt { (m.t("card.issuer")) }
                dd {
                    @if let Some(issuer_name) = &issuer_name { (issuer_name) br; }
                    span class="id" { (model.issuer.id.as_str()) }
                    @if let Some(check) = recognised {
                        br;
                        span class={ "tag tag-" (outcome_key(check.outcome)) } {
                            @if check.outcome == Outcome::Pass { (m.t("card.recognised")) } @else { (m.t("card.unknown_issuer")) }
                        }
                        " " span { (message(m, &check.message)) }
                    }
                }
                dt { (m.t("card.recipient")) }
                dd { (recipient(m, model, email, text)) }
                @if let Some(issued) = dates.issued {
                    dt { (m.t("card.issued")) }
                    dd { time datetime=(issued.to_rfc3339()) { (issued.format("%Y-%m-%d")) } }
                }
                @if let Some(signed) = dates.signed {
                    dt { (m.t("card.signed")) }
                    dd { time datetime=(signed.to_rfc3339()) { (signed.format("%Y-%m-%d %H:%M:%S %:z")) } }
                }
                dt { (m.t("card.expires")) }
                dd {
                    @match &model.valid_until {
                        Some(until) => { time datetime=(until.to_rfc3339()) { (until.format("%Y-%m-%d")) } }
                        None => { (m.t("card.never_expires")) }
                    }
                }
                dt { (m.t("card.status")) }
                dd { (status_line(m, report)) }
            }
        }
    }
}

/// The status in words. "Could not check" is never shown as "not revoked".
fn status_line(m: &Messages<'_>, report: &Report) -> Markup {
    let (key, outcome) = match report.check(CheckId::Status) {
        None => ("status.none", Outcome::Pass),
        Some(check) => match check.outcome {
            Outcome::Pass => {
                if check.details.is_empty() {
                    ("status.none", Outcome::Pass)
                } else {
                    ("status.good", Outcome::Pass)
                }
            }
            Outcome::Fail => ("status.bad", Outcome::Fail),
            Outcome::Warning => ("status.warning", Outcome::Warning),
            // Not required and not checked: the credential has no status entry at all.
            Outcome::NotChecked if !check.required => ("status.none", Outcome::NotChecked),
            Outcome::NotChecked => ("status.unknown", Outcome::NotChecked),
        },
    };
    html! {
        span class={ "tag tag-" (outcome_key(outcome)) } { (m.t(&format!("outcome.{}", outcome_key(outcome)))) }
        " " (m.t(key))
    }
}

fn recipient(m: &Messages<'_>, model: &CredentialModel, email: Option<&str>, text: &str) -> Markup {
    let hashed: Vec<_> = model
        .recipients
        .iter()
        .flat_map(|r| r.identifiers.iter())
        .filter(|i| i.hashed() && i.identity_type() == "emailAddress")
        .collect();
    let names: Vec<String> = model
        .recipients
        .iter()
        .filter_map(|r| {
            r.name
                .clone()
                .or_else(|| r.id.as_ref().map(|id| id.as_str().to_owned()))
        })
        .collect();
    let verdict = email.map(|email| {
        hashed
            .iter()
            .any(|identity| identity_matches(email, identity))
    });
    html! {
        @if names.is_empty() && hashed.is_empty() { (m.t("card.recipient_unnamed")) }
        @for name in &names { span class="id" { (name) } br; }
        @if !hashed.is_empty() {
            p { (m.t("card.hashed")) }
            form method="post" action="/verify" enctype="multipart/form-data" class="email-check" {
                input type="hidden" name="credential" value=(text);
                input type="hidden" name="lang" value=(m.lang());
                label for="email" { (m.t("card.email.label")) }
                input type="email" id="email" name="email" autocomplete="off" required;
                button type="submit" class="secondary" { (m.t("card.email.submit")) }
            }
            @match verdict {
                Some(true) => { p class="tag tag-pass" role="status" { (m.t("card.email.match")) } }
                Some(false) => { p class="tag tag-fail" role="status" { (m.t("card.email.nomatch")) } }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn messages_render_in_the_viewers_language_with_arguments_set_apart() {
        use crate::fetch::Freshness;
        use crate::i18n::Catalogues;

        let all = Catalogues::builtin().unwrap();
        let fr = all.negotiate(Some("fr"), None);
        let detail = Message::new(MessageCode::StatusDetailListUnreadable)
            .id("url", "https://x.example/s?a=1&b=<2>")
            .raw("reason", "HTTP 503")
            .about_proof(2);
        assert_eq!(
            message(&fr, &detail).into_string(),
            "Preuve 2 : La liste de statut <code>https://x.example/s?a=1&amp;b=&lt;2&gt;</code> \
             n’a pas pu être lue : <code lang=\"en\">HTTP 503</code>"
        );
        // This service's own provenance texts are translated; others stay as given.
        for (freshness, french) in [
            (
                Freshness::Fresh,
                "obtenue à l’instant à l’adresse https://x.example/l",
            ),
            (
                Freshness::Cached {
                    age: std::time::Duration::from_secs(42),
                },
                "tirée du cache de ce service, obtenue il y a 42 s à l’adresse https://x.example/l",
            ),
        ] {
            let provenance = freshness.describe("https://x.example/l");
            assert_eq!(
                provenance_localized(&fr, &provenance).as_deref(),
                Some(french)
            );
        }
        assert_eq!(
            provenance_localized(&fr, "from the local file l.json"),
            None
        );
        let dated = Message::new(MessageCode::ValidityExpired).date(
            "date",
            chrono::DateTime::parse_from_rfc3339("2026-07-01T00:00:00Z")
                .unwrap()
                .into(),
        );
        assert_eq!(
            message_text(&fr, &dated),
            "L’attestation a expiré le 2026-07-01."
        );
        assert!(message(&fr, &dated)
            .into_string()
            .contains("<time datetime=\"2026-07-01T00:00:00Z\">2026-07-01</time>"));
        // Braces that are not placeholders are text.
        let texts: Vec<String> = pieces("a {b} {C} {")
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => format!("T{t}"),
                Piece::Arg(a) => format!("A{a}"),
            })
            .collect();
        assert_eq!(texts, ["Ta ", "Ab", "T {", "TC} {"]);
    }

    #[test]
    fn language_value_objects_follow_the_viewer() {
        let value = json!([
            {"@value": "Data literacy", "@language": "en"},
            {"@value": "Culture des données", "@language": "fr-FR"}
        ]);
        assert_eq!(
            localized(&value, "fr").as_deref(),
            Some("Culture des données")
        );
        assert_eq!(localized(&value, "en").as_deref(), Some("Data literacy"));
        assert_eq!(localized(&value, "de").as_deref(), Some("Data literacy"));
        assert_eq!(localized(&json!("plain"), "fr").as_deref(), Some("plain"));
        assert_eq!(
            localized(&json!({"@value": "seul", "@language": "fr"}), "en").as_deref(),
            Some("seul")
        );
        assert_eq!(localized(&json!(42), "en"), None);
    }

    /// A badge signed by a did:key issuer whose achievement carries endorsements by a QA agency
    /// named with markup: one valid, one whose comment was changed after signing, one about
    /// another achievement. No status lists: the endorsements carry none.
    fn endorsed_report(trusted: bool) -> Report {
        use std::sync::Arc;

        use passerelle_core::keys::KeyPair;
        use passerelle_core::model::{self, EndorsementCredential, Iri, Profile};
        use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
        use passerelle_core::trust::TrustRegistries;
        use passerelle_core::{did, verify};

        let issuer = KeyPair::from_seed(&[3; 32]);
        let agency = KeyPair::from_seed(&[5; 32]);
        let agency_did = did::did_key(&agency.public()).to_string();
        let sign = |doc: &Value, key: &KeyPair| {
            let options = ProofOptions::assertion(
                Cryptosuite::EddsaRdfc2022,
                did::did_key_verification_method(&key.public()),
                "2026-06-30T12:00:00Z",
            );
            proof::sign(doc, key, &options).unwrap()
        };
        let iri = |s: &str| Iri::parse(s).unwrap();
        let endorsement = |n: u32, subject: &str| {
            let doc = EndorsementCredential::builder(
                iri(&format!("urn:uuid:00000000-0000-4000-8000-00000000000{n}")),
                Profile::new(
                    iri(&agency_did),
                    "<b>Agence</b> qualité",
                    iri("https://qa-agency.example"),
                ),
                "Recognised course",
                iri(subject),
                chrono::DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z").unwrap(),
            )
            .endorsement_comment("<script>alert(1)</script>")
            .build()
            .unwrap();
            sign(&doc, &agency)
        };
        let achievement = "https://learn.example/achievements/data-literacy-foundations";
        let mut tampered = endorsement(2, achievement);
        tampered["credentialSubject"]["endorsementComment"] = "Changed".into();
        let mut badge = model::sample::data_literacy_badge();
        badge["issuer"]["id"] = did::did_key(&issuer.public()).to_string().into();
        badge.as_object_mut().unwrap().remove("credentialStatus");
        badge["credentialSubject"]["achievement"]["endorsement"] = json!([
            endorsement(1, achievement),
            tampered,
            endorsement(3, "https://other.example/achievements/x")
        ]);
        let badge = sign(&badge, &issuer);
        let mut trust = TrustRegistries::new();
        if trusted {
            trust
                .load(
                    &json!({"name": "Registre <QA>", "entries": [{"id": agency_did, "name": "Agence"}]}),
                    "qa.json",
                )
                .unwrap();
        }
        let presented =
            verify::parse_input(&serde_json::to_vec(&badge).unwrap(), &Default::default()).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
            .unwrap()
            .into();
        let options = verify::CheckOptions {
            trust: Some(Arc::new(trust)),
            ..Default::default()
        };
        verify::check(&presented, &verify::Fetched::default(), now, &options)
    }

    #[test]
    fn the_page_lists_endorsements_escaped_and_says_endorsed_by_only_when_earned() {
        use crate::i18n::Catalogues;

        let all = Catalogues::builtin().unwrap();
        let en = all.negotiate(Some("en"), None);
        let fr = all.negotiate(Some("fr"), None);
        let report = endorsed_report(true);
        assert_eq!(report.verdict(), Verdict::Verified);

        let html = endorsements_section(&en, &report, "endorsements").into_string();
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains(
                "Endorsed by &lt;b&gt;Agence&lt;/b&gt; qualité (recognised: Registre &lt;QA&gt;)"
            ),
            "{html}"
        );
        assert_eq!(html.matches("Endorsed by").count(), 1, "{html}");
        assert!(
            html.contains("Invalid endorsement by &lt;b&gt;Agence&lt;/b&gt; qualité: Signature"),
            "{html}"
        );
        assert_eq!(html.matches("endorsement-invalid").count(), 2, "{html}");

        let html = endorsements_section(&fr, &report, "endorsements").into_string();
        assert!(html.contains("Recommandations"), "{html}");
        assert!(
            html.contains(
                "Recommandé par &lt;b&gt;Agence&lt;/b&gt; qualité (figure dans : Registre &lt;QA&gt;)"
            ),
            "{html}"
        );
        assert!(html.contains("non valable"), "{html}");

        let html = endorsements_section(&en, &endorsed_report(false), "e").into_string();
        assert!(!html.contains("Endorsed by"), "{html}");
        assert!(
            html.contains(
                "Endorsement by &lt;b&gt;Agence&lt;/b&gt; qualité (not in your trust registries)"
            ),
            "{html}"
        );
    }
}
