//! The server-rendered page: a form to paste or upload, and the result — a badge card above
//! every check of the core report, in the viewer's language — and the same result as a
//! printable report ([`printable`]) for files kept on paper.
//!
//! (About 1,900 lines, 620 of them tests: one page's markup, which reads best in one place.)
//!
//! The card shows what a reader needs from the credential ([`card_details`]): type, code, EQF
//! level, credits, study dates, skills and frameworks, results, evidence. Web addresses in a
//! credential are plain links (no referrer), never fetched or shown as images. Both pages name
//! the trust registries loaded, and "recognised" names each registry listing the issuer with
//! the listing's jurisdiction.
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
use sha2::{Digest as _, Sha256};

use passerelle_core::model::identity::identity_matches;
use passerelle_core::model::CredentialModel;
use passerelle_core::trust::{RecognisedIssuer, TrustDecision, TrustRegistries};
use passerelle_core::verify::{
    card_details, is_web_address, placeholders, AlignmentDetail, Arg, ArgKind, CardDetails, Check,
    CheckId, DocumentKind, EndorsementReport, EvidenceDetail, FrameworkKind, Message, MessageCode,
    Outcome, Report, ResultDetail, Standing, Verdict,
};

use crate::i18n::Messages;
use crate::service::{Source, Verification};

/// The page's stylesheet (served at `/assets/style.css`).
pub const STYLE_CSS: &str = include_str!("../assets/style.css");
/// The page's optional script (served at `/assets/app.js`).
pub const APP_JS: &str = include_str!("../assets/app.js");

/// The largest `data:` image the printable report embeds (a baked badge's own picture can be
/// large; the report stays a small file).
const MAX_PRINTED_IMAGE_BYTES: usize = 48 * 1024;

/// Everything the page shows for a verification.
pub struct ResultView<'a> {
    pub verification: &'a Verification,
    /// An email the viewer asked to compare with a hashed recipient (never stored or logged).
    pub email: Option<&'a str>,
    /// The registries the verification consulted (named on the page, and next to
    /// "recognised" with each listing's jurisdiction).
    pub trust: &'a TrustRegistries,
    /// The address the viewer reached this verifier at (the request's `Host`), printed on the
    /// report.
    pub address: Option<&'a str>,
}

/// Whether a result is rendered for the screen (forms, collapsed details) or as the printable
/// report (no forms, every detail open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Medium {
    Screen,
    Print,
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

/// The start page; it says which trust registries this verifier has loaded.
pub fn index(m: &Messages<'_>, trust: &TrustRegistries) -> String {
    layout(
        m,
        m.t("index.title"),
        None,
        html! {
            h1 { (m.t("index.title")) }
            p class="lead" { (m.t("index.lead")) }
            (verify_form(m))
            (registries_section(m, trust, "registries"))
            section aria-labelledby="privacy" {
                h2 id="privacy" { (m.t("index.privacy.title")) }
                p { (m.t("index.privacy.text")) }
            }
        },
    )
    .into_string()
}

/// The trust registries loaded, each with how many issuers it lists; or, when there is none,
/// that every issuer will show as unknown and how an operator loads one.
fn registries_section(m: &Messages<'_>, trust: &TrustRegistries, id: &str) -> Markup {
    let mut names: Vec<&str> = trust.registry_names().iter().map(String::as_str).collect();
    names.dedup();
    let how = m.t("registries.how");
    let (before, after) = how.split_once("{command}").unwrap_or((how, ""));
    html! {
        section class="registries" aria-labelledby=(id) {
            h2 id=(id) { (m.t("registries.title")) }
            @if names.is_empty() {
                p data-registries="0" { (m.t("registries.none")) }
                p class="hint" {
                    (before) code { "passerelle-verifier serve --trust FILE" } (after)
                }
            } @else {
                p data-registries=(names.len()) { (m.t("registries.loaded")) }
                ul {
                    @for name in &names {
                        @let count = trust.entries().iter().filter(|e| e.registry == *name).count();
                        li {
                            strong { (name) } " — "
                            (m.format(if count == 1 { "registries.count_one" } else { "registries.count" },
                                &[("count", &count.to_string())]))
                        }
                    }
                }
            }
        }
    }
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
        (result_sections(m, view, Medium::Screen))
        (registries_section(m, view.trust, "registries"))
        section class="actions" aria-labelledby="actions" {
            h2 id="actions" { (m.t("actions.title")) }
            form method="post" action="/verify" enctype="multipart/form-data" class="inline" {
                input type="hidden" name="credential" value=(verification.text);
                input type="hidden" name="lang" value=(m.lang());
                button type="submit" class="secondary" { (m.t("actions.reverify")) }
            }
            // The same text checked again and shown as a report for paper files: a form, so it
            // needs no JavaScript (nothing is stored between the two requests).
            form method="post" action="/verify" enctype="multipart/form-data" class="inline" {
                input type="hidden" name="credential" value=(verification.text);
                input type="hidden" name="lang" value=(m.lang());
                input type="hidden" name="view" value="print";
                button type="submit" class="secondary" { (m.t("actions.print")) }
            }
            a class="button secondary" download="verification-report.json"
                href={ "data:application/json;base64," (report_base64(report)) } { (m.t("actions.download")) }
            a class="button secondary" href={ "/?lang=" (m.lang()) } { (m.t("actions.another")) }
        }
    };
    layout(m, &title, Some(&verification.text), body).into_string()
}

/// The printable report of a result: one column, no forms, nav or script, every check's
/// details open, headed by where and when it was checked and a SHA-256 of the text checked so
/// a paper copy can be matched to the credential file.
pub fn printable(m: &Messages<'_>, view: &ResultView<'_>) -> String {
    let verification = view.verification;
    let report = &verification.report;
    let title = m.t("print.title");
    let digest = hex::encode(Sha256::digest(verification.text.as_bytes()));
    let checked_at = chrono::DateTime::parse_from_rfc3339(&report.checked_at).ok();
    html! {
        (DOCTYPE)
        html lang=(m.lang()) dir=(m.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (m.t("app.name")) }
                link rel="stylesheet" href="/assets/style.css";
            }
            body class="report" {
                main id="main" {
                    p class="brand" { (m.t("app.name")) }
                    h1 { (title) }
                    dl class="report-facts" {
                        dt { (m.t("print.verifier")) }
                        dd { span class="id" { (view.address.unwrap_or("—")) } }
                        dt { (m.t("print.checked_at")) }
                        dd {
                            @match checked_at {
                                Some(at) => { time datetime=(report.checked_at) { (m.moment(&at.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))) } }
                                None => { (report.checked_at) }
                            }
                        }
                        dt { (m.t("print.input")) }
                        dd { (m.t(source_key(verification.source))) }
                        dt { (m.t("print.sha256")) }
                        dd { code class="digest" { (digest) } br; span class="hint" { (m.t("print.sha256_hint")) } }
                    }
                    p class="hint no-print" { (m.t("print.hint")) }
                    (verdict_block(m, report))
                    (result_sections(m, view, Medium::Print))
                    (registries_section(m, view.trust, "registries"))
                    p class="hint" { (m.t("page.footer")) }
                }
            }
        }
    }
    .into_string()
}

/// The badge card(s), checks and endorsements of a result.
fn result_sections(m: &Messages<'_>, view: &ResultView<'_>, medium: Medium) -> Markup {
    let verification = view.verification;
    let report = &verification.report;
    html! {
        @match report.kind {
            DocumentKind::Credential => {
                (badge_card(m, report, verification.document.as_ref(), view, medium, "card"))
                (checks_list(m, report, "checks", medium))
                (endorsements_section(m, report, "endorsements", medium))
            }
            // Never presented on its own: an endorsement's report is nested in its credential's.
            DocumentKind::Endorsement => {
                (checks_list(m, report, "checks", medium))
            }
            DocumentKind::Presentation => {
                (checks_list(m, report, "checks", medium))
                @for (n, inner) in report.credentials().iter().enumerate() {
                    @let raw = verification.document.as_ref().and_then(|d| embedded_json(d, n));
                    section class="inner" aria-labelledby={ "credential-" (n) } {
                        h2 id={ "credential-" (n) } { (m.format("presentation.credential", &[("n", &(n + 1).to_string())])) }
                        (verdict_block(m, inner))
                        (badge_card(m, inner, raw, view, medium, &format!("card-{n}")))
                        (checks_list(m, inner, &format!("checks-{n}"), medium))
                        (endorsements_section(m, inner, &format!("endorsements-{n}"), medium))
                    }
                }
            }
        }
    }
}

/// The endorsements embedded in a credential, each with how to take it: "endorsed by" only for
/// a verified endorsement whose endorser a loaded registry recognises. Every text from the
/// credential goes through maud, which escapes it.
fn endorsements_section(m: &Messages<'_>, report: &Report, id: &str, medium: Medium) -> Markup {
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
                        details open[medium == Medium::Print] {
                            summary { (m.t("endorsements.details")) }
                            (checks_list(m, &e.report, &format!("{id}-{n}-checks"), medium))
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

fn checks_list(m: &Messages<'_>, report: &Report, id: &str, medium: Medium) -> Markup {
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
                        details open[medium == Medium::Print] {
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
    m.message_with(message, |arg| {
        (arg.name == "provenance")
            .then(|| provenance_localized(m, &arg.value))
            .flatten()
    })
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
        ArgKind::Date => html! { time datetime=(arg.value) { (m.moment(&arg.value)) } },
        ArgKind::Number => html! { (m.number(&arg.value)) },
        _ => html! { (arg.value) },
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
    passerelle_core::verify::localized_text(value, Some(lang))
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
    view: &ResultView<'_>,
    medium: Medium,
    key: &str,
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
    let shown_image = image.as_deref().filter(|i| {
        i.starts_with("data:image/")
            && (medium == Medium::Screen || i.len() <= MAX_PRINTED_IMAGE_BYTES)
    });
    // The details in the viewer's language, read from the credential as signed; the report's
    // own copy (in the credential's language) when the JSON is not at hand.
    let details = raw
        .and_then(|raw| card_details(raw, Some(lang)))
        .or_else(|| report.details.clone())
        .unwrap_or_default();
    let recognised = report.check(CheckId::IssuerRecognised);
    let listings = listings(view.trust, report);
    let id = |part: &str| format!("{key}-{part}");
    html! {
        section class="card" aria-labelledby=(id("title")) {
            div class="card-body" {
                @if let Some(image) = shown_image {
                    img class="badge-image" src=(image) alt=(name.clone().unwrap_or_default()) width="120" height="120";
                }
                div {
                    p class="kind" {
                        @match &details.achievement_type {
                            Some(kind) => { (achievement_type_text(m, kind)) }
                            None => { (m.t("card.title")) }
                        }
                    }
                    h2 id=(id("title")) { (name.clone().unwrap_or_else(|| m.t("card.unnamed").to_owned())) }
                    @if let Some(description) = &description { p { (description) } }
                    @if let Some(image) = image.as_deref().filter(|i| !i.starts_with("data:image/") && is_web_address(i)) {
                        p class="hint" { a href=(image) rel="noopener noreferrer nofollow" referrerpolicy="no-referrer" { (m.t("card.image_link")) } }
                    }
                }
            }
            dl {
                (detail_rows(m, &details))
                @if let Some(criteria) = &criteria {
                    dt { (m.t("card.criteria")) }
                    dd { (criteria) }
                }
                dt { (m.t("card.issuer")) }
                dd {
                    @if let Some(issuer_name) = &issuer_name { (issuer_name) br; }
                    span class="id" { (model.issuer.id.as_str()) }
                    @if let Some(check) = recognised {
                        @if check.outcome == Outcome::Pass && !listings.is_empty() {
                            ul class="listings" {
                                @for listing in &listings {
                                    li data-registry=(listing.registry) {
                                        span class="tag tag-pass" { (m.t("card.recognised")) }
                                        " — " (listing.registry)
                                        @if let Some(jurisdiction) = &listing.jurisdiction { " (" (jurisdiction) ")" }
                                    }
                                }
                            }
                        } @else {
                            br;
                            span class={ "tag tag-" (outcome_key(check.outcome)) } {
                                @if check.outcome == Outcome::Pass { (m.t("card.recognised")) } @else { (m.t("card.unknown_issuer")) }
                            }
                            " " span { (message(m, &check.message)) }
                        }
                    }
                }
                dt { (m.t("card.recipient")) }
                dd { (recipient(m, model, details.learner_name.as_deref(), view, medium)) }
                @if let Some(issued) = dates.issued {
                    dt { (m.t("card.issued")) }
                    dd { time datetime=(issued.to_rfc3339()) { (m.date(&issued.to_rfc3339())) } }
                }
                @if let Some(studied) = studied(m, &details) {
                    dt { (m.t("card.studied")) }
                    dd { (studied) }
                }
                @if let Some(signed) = dates.signed {
                    dt { (m.t("card.signed")) }
                    dd { time datetime=(signed.to_rfc3339()) { (m.moment(&signed.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))) } }
                }
                dt { (m.t("card.expires")) }
                dd {
                    @match &model.valid_until {
                        Some(until) => { time datetime=(until.to_rfc3339()) { (m.date(&until.to_rfc3339())) } }
                        None => { (m.t("card.never_expires")) }
                    }
                }
                dt { (m.t("card.status")) }
                dd { (status_line(m, report)) }
            }
            (alignments_section(m, &details, &id("skills")))
            (results_section(m, &details, &id("results")))
            (evidence_section(m, &details, &id("evidence")))
        }
    }
}

/// The listings of the issuer in the loaded registries that applied when it was checked.
fn listings<'t>(trust: &'t TrustRegistries, report: &Report) -> Vec<&'t RecognisedIssuer> {
    let Some(summary) = &report.summary else {
        return Vec::new();
    };
    let Ok(now) = chrono::DateTime::parse_from_rfc3339(&report.checked_at) else {
        return Vec::new();
    };
    match trust.decide(summary.issuer.id.as_str(), now.with_timezone(&chrono::Utc)) {
        TrustDecision::Recognised(listings) => listings,
        TrustDecision::NotCurrent(_) | TrustDecision::Unknown => Vec::new(),
    }
}

/// An achievement type in the viewer's language; a type outside the OB 3.0 list (`ext:…`) in
/// the core's words.
fn achievement_type_text(m: &Messages<'_>, kind: &str) -> String {
    m.achievement_type(kind)
}

/// The rows of the card's list read from the achievement: code, level, field, credits.
fn detail_rows(m: &Messages<'_>, details: &CardDetails) -> Markup {
    let credits = m.credits(details);
    html! {
        @if let Some(kind) = &details.achievement_type {
            dt { (m.t("card.type")) }
            dd data-achievement-type=(kind) { (achievement_type_text(m, kind)) }
        }
        @if let Some(code) = &details.human_code {
            dt { (m.t("card.code")) }
            dd { (code) }
        }
        @if let Some(level) = details.eqf_level {
            dt { (m.t("card.eqf")) }
            dd { (m.format("card.eqf_level", &[("level", &level.to_string())])) }
        }
        @if let Some(field) = &details.field_of_study {
            dt { (m.t("card.field")) }
            dd { (field) }
        }
        @if let Some(credits) = &credits {
            dt { (m.t("card.credits")) }
            dd { (credits) }
        }
        @if !details.tags.is_empty() {
            dt { (m.t("card.tags")) }
            dd { (details.tags.join(", ")) }
        }
        (language_rows(m, details))
    }
}

/// Which language the badge's text is in when it is not the reader's, and the achievement's
/// other versions (OB 3.0 `related`), each a link with its language's own name.
fn language_rows(m: &Messages<'_>, details: &CardDetails) -> Markup {
    let remark = m.language_remark(details);
    html! {
        @if let Some(remark) = remark {
            dt { (m.t("card.language")) }
            dd data-text-language=[details.text_language.as_deref()] { (remark) }
        }
        @if !details.related.is_empty() {
            dt { (m.t("card.related")) }
            dd {
                ul {
                    @for related in &details.related {
                        li {
                            @let name = related.language.as_deref().map(|l| m.language_name(l));
                            @match (&name, is_web_address(&related.id)) {
                                (Some(name), true) => { a href=(related.id) hreflang=[related.language.as_deref()] rel="alternate noopener noreferrer nofollow" referrerpolicy="no-referrer" { (name) } }
                                (Some(name), false) => { (name) " " span class="id" { (related.id) } }
                                (None, _) => { (plain_link(&related.id)) }
                            }
                            @if let Some(version) = &related.version {
                                " (" (m.format("card.related.version", &[("version", version)])) ")"
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The study dates: from–to, from, or until, written for the language. Each date is isolated
/// (U+2068 … U+2069, first strong), so it keeps its own order inside the sentence.
fn studied(m: &Messages<'_>, details: &CardDetails) -> Option<String> {
    let isolated = |date: &String| format!("\u{2068}{}\u{2069}", m.date(date));
    let start = details.activity_start.as_ref().map(isolated);
    let end = details.activity_end.as_ref().map(isolated);
    match (&start, &end) {
        (Some(start), Some(end)) => {
            Some(m.format("card.studied_from_to", &[("start", start), ("end", end)]))
        }
        (Some(start), None) => Some(m.format("card.studied_from", &[("start", start)])),
        (None, Some(end)) => Some(m.format("card.studied_until", &[("end", end)])),
        (None, None) => None,
    }
}

/// A web address from the credential as a plain link: never fetched or shown as an image,
/// followed only by the reader's click, without a referrer. Anything but http(s) is text.
fn plain_link(url: &str) -> Markup {
    html! {
        @if is_web_address(url) {
            a class="url" href=(url) rel="noopener noreferrer nofollow" referrerpolicy="no-referrer" { (url) }
        } @else {
            span class="id" { (url) }
        }
    }
}

/// The framework an alignment points into, in the reader's words.
fn framework_text(m: &Messages<'_>, alignment: &AlignmentDetail) -> Option<String> {
    match alignment.kind {
        FrameworkKind::EscoSkill => Some(m.t("alignment.esco_skill").to_owned()),
        FrameworkKind::EscoOccupation => Some(m.t("alignment.esco_occupation").to_owned()),
        FrameworkKind::Esco => Some("ESCO".to_owned()),
        FrameworkKind::IscedF => alignment
            .framework
            .clone()
            .or_else(|| Some("ISCED-F".to_owned())),
        _ => alignment.framework.clone(),
    }
}

/// A section of the card: a heading and one list item per entry (nothing when there is none).
fn card_section(kind: &str, title: &str, item_class: &str, id: &str, items: Vec<Markup>) -> Markup {
    if items.is_empty() {
        return html! {};
    }
    html! {
        section class={ "card-section " (kind) } aria-labelledby=(id) {
            h3 id=(id) { (title) }
            ul {
                @for item in items {
                    li class=(item_class) { (item) }
                }
            }
        }
    }
}

/// The skills and frameworks the achievement aligns to (its EQF level is a row of the card).
fn alignments_section(m: &Messages<'_>, details: &CardDetails, id: &str) -> Markup {
    let items = details
        .alignments
        .iter()
        .filter(|a| a.kind != FrameworkKind::Eqf)
        .map(|alignment| alignment_item(m, alignment))
        .collect();
    card_section("alignments", m.t("alignment.title"), "alignment", id, items)
}

fn alignment_item(m: &Messages<'_>, alignment: &AlignmentDetail) -> Markup {
    html! {
        p {
            strong { (alignment.name) }
            @if let Some(framework) = framework_text(m, alignment) {
                " — " (framework)
            }
            @if let Some(code) = &alignment.code {
                " " code { (code) }
            }
        }
        @if let Some(description) = &alignment.description {
            p class="description" { (description) }
        }
        @if let Some(url) = &alignment.url {
            p class="link" { (plain_link(url)) }
        }
    }
}

/// The learner's results, each read with its result description: value, level, status, scale.
fn results_section(m: &Messages<'_>, details: &CardDetails, id: &str) -> Markup {
    let items = details.results.iter().map(|r| result_item(m, r)).collect();
    card_section("results", m.t("result.title"), "result", id, items)
}

fn result_item(m: &Messages<'_>, result: &ResultDetail) -> Markup {
    let scale = m.result_scale(result);
    let status = result.status.as_deref().map(|s| m.result_status(s));
    html! {
        p {
            strong { (result.name.as_deref().unwrap_or(m.t("result.unnamed"))) }
            @if let Some(value) = &result.value { ": " span class="value" { (value) } }
            @if let Some(status) = &status { " " span class="tag tag-neutral" { (status) } }
        }
        @if let Some(level) = &result.achieved_level {
            p { (m.t("result.level")) " " strong { (level) } }
        }
        @if !scale.is_empty() {
            p class="hint" { (m.t("result.scale")) " " (scale.join("; ")) }
        }
        @if let Some(reference) = &result.unresolved_description {
            @let text = m.t("result.dangling");
            @let (before, after) = text.split_once("{id}").unwrap_or((text, ""));
            p class="dangling" { (before) code { (reference) } (after) }
        }
    }
}

/// The evidence the credential carries.
fn evidence_section(m: &Messages<'_>, details: &CardDetails, id: &str) -> Markup {
    let items = details
        .evidence
        .iter()
        .map(|e| evidence_item(m, e))
        .collect();
    card_section(
        "evidence",
        m.t("evidence.title"),
        "evidence-item",
        id,
        items,
    )
}

fn evidence_item(m: &Messages<'_>, evidence: &EvidenceDetail) -> Markup {
    html! {
        p {
            strong { (evidence.name.as_deref().unwrap_or(m.t("evidence.unnamed"))) }
            @if let Some(genre) = &evidence.genre { " (" (genre) ")" }
        }
        @if let Some(description) = &evidence.description { p { (description) } }
        @if let Some(narrative) = &evidence.narrative { p class="narrative" { (narrative) } }
        @if let Some(audience) = &evidence.audience {
            p class="hint" { (m.t("evidence.audience")) " " (audience) }
        }
        @if let Some(url) = &evidence.url { p class="link" { (plain_link(url)) } }
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

fn recipient(
    m: &Messages<'_>,
    model: &CredentialModel,
    learner: Option<&str>,
    view: &ResultView<'_>,
    medium: Medium,
) -> Markup {
    let hashed: Vec<_> = model
        .recipients
        .iter()
        .flat_map(|r| r.identifiers.iter())
        .filter(|i| i.hashed() && i.identity_type() == "emailAddress")
        .collect();
    let mut names: Vec<String> = learner.map(str::to_owned).into_iter().collect();
    for name in model.recipients.iter().filter_map(|r| {
        r.name
            .clone()
            .or_else(|| r.id.as_ref().map(|id| id.as_str().to_owned()))
    }) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let verdict = view.email.map(|email| {
        hashed
            .iter()
            .any(|identity| identity_matches(email, identity))
    });
    html! {
        @if names.is_empty() && hashed.is_empty() { (m.t("card.recipient_unnamed")) }
        @for name in &names { span class="id learner" { (name) } br; }
        @if !hashed.is_empty() {
            @if medium == Medium::Print {
                p { (m.t("card.hashed_print")) }
            } @else {
                p { (m.t("card.hashed")) }
                form method="post" action="/verify" enctype="multipart/form-data" class="email-check" {
                    input type="hidden" name="credential" value=(view.verification.text);
                    input type="hidden" name="lang" value=(m.lang());
                    label for="email" { (m.t("card.email.label")) }
                    input type="email" id="email" name="email" autocomplete="off" required;
                    button type="submit" class="secondary" { (m.t("card.email.submit")) }
                }
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

        let all = crate::i18n::builtin().unwrap();
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
            "L’attestation a expiré le 1 juillet 2026."
        );
        assert!(message(&fr, &dated)
            .into_string()
            .contains("<time datetime=\"2026-07-01T00:00:00Z\">1 juillet 2026</time>"));
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
        let all = crate::i18n::builtin().unwrap();
        let en = all.negotiate(Some("en"), None);
        let fr = all.negotiate(Some("fr"), None);
        let report = endorsed_report(true);
        assert_eq!(report.verdict(), Verdict::Verified);

        let html = endorsements_section(&en, &report, "endorsements", Medium::Screen).into_string();
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

        let html = endorsements_section(&fr, &report, "endorsements", Medium::Screen).into_string();
        assert!(html.contains("Recommandations"), "{html}");
        assert!(
            html.contains(
                "Recommandé par &lt;b&gt;Agence&lt;/b&gt; qualité (figure dans : Registre &lt;QA&gt;)"
            ),
            "{html}"
        );
        assert!(html.contains("non valable"), "{html}");

        let html =
            endorsements_section(&en, &endorsed_report(false), "e", Medium::Screen).into_string();
        assert!(!html.contains("Endorsed by"), "{html}");
        assert!(
            html.contains(
                "Endorsement by &lt;b&gt;Agence&lt;/b&gt; qualité (not in your trust registries)"
            ),
            "{html}"
        );
    }

    /// The sample badge after `edit`, signed by a did:key issuer (no status list) and checked
    /// on 2026-09-01 against `trust`, as the service hands it to the page.
    fn sample_verification(
        edit: impl FnOnce(&mut Value),
        trust: &std::sync::Arc<TrustRegistries>,
    ) -> Verification {
        use passerelle_core::keys::KeyPair;
        use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
        use passerelle_core::{did, model, verify};

        let issuer = KeyPair::from_seed(&[3; 32]);
        let mut badge = model::sample::data_literacy_badge();
        badge["issuer"]["id"] = did::did_key(&issuer.public()).to_string().into();
        badge.as_object_mut().unwrap().remove("credentialStatus");
        edit(&mut badge);
        let options = ProofOptions::assertion(
            Cryptosuite::EddsaRdfc2022,
            did::did_key_verification_method(&issuer.public()),
            "2026-06-30T12:00:00Z",
        );
        let badge = proof::sign(&badge, &issuer, &options).unwrap();
        let text = serde_json::to_string(&badge).unwrap();
        let presented = verify::parse_input(text.as_bytes(), &Default::default()).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
            .unwrap()
            .into();
        let options = verify::CheckOptions {
            trust: Some(std::sync::Arc::clone(trust)),
            ..Default::default()
        };
        let report = verify::check(&presented, &verify::Fetched::default(), now, &options);
        Verification {
            report,
            document: Some(badge),
            source: Source::Text,
            text,
        }
    }

    fn sample_issuer() -> String {
        use passerelle_core::keys::KeyPair;
        passerelle_core::did::did_key(&KeyPair::from_seed(&[3; 32]).public()).to_string()
    }

    /// A badge whose alignment, result and evidence carry markup, quotes and `javascript:`
    /// addresses, plus an EQF level and a result whose description does not exist.
    fn hostile_details(badge: &mut Value) {
        let achievement = &mut badge["credentialSubject"]["achievement"];
        achievement["alignment"][0]["targetName"] = r#"<script>alert("a")</script>"#.into();
        achievement["alignment"][0]["targetCode"] = "S1.\"2\"".into();
        achievement["alignment"][1]["targetUrl"] = "javascript:alert(1)".into();
        achievement["alignment"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "type": ["Alignment"],
                "targetName": "EQF level 6",
                "targetUrl": "http://data.europa.eu/snb/eqf/6",
                "targetFramework": "EQF",
                "targetCode": "6"
            }));
        badge["credentialSubject"]["result"][0]["value"] = r#""><script>x</script>"#.into();
        badge["credentialSubject"]["result"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "type": ["Result"],
                "resultDescription": "https://learn.example/results/<gone>",
                "value": "B+"
            }));
        badge["credentialSubject"]["identifier"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "type": "IdentityObject",
                "hashed": false,
                "identityHash": "Ada \"<Lovelace>\"",
                "identityType": "name"
            }));
        badge["evidence"][0]["name"] = "<script>evidence()</script>".into();
        badge["evidence"][0]["description"] = "Said \"done\"".into();
        badge["evidence"].as_array_mut().unwrap().push(json!({
            "id": "javascript:alert(2)",
            "type": ["Evidence"],
            "name": "Portfolio",
            "genre": "Portfolio"
        }));
    }

    #[test]
    fn the_card_says_when_the_badge_is_not_in_the_readers_language() {
        let all = crate::i18n::builtin().unwrap();
        let trust = std::sync::Arc::new(TrustRegistries::new());
        let verification = sample_verification(
            |badge| {
                let achievement = &mut badge["credentialSubject"]["achievement"];
                achievement["inLanguage"] = "en".into();
                achievement["related"] = json!([
                    {"id": "https://learn.example/fr/data-literacy", "type": ["Related"],
                     "inLanguage": "fr-FR", "version": "2"},
                    {"id": "urn:uuid:8f0c2d3e-1b5a-4c7d-9e2f-3a4b5c6d7e8f", "type": ["Related"], "inLanguage": "ar"}
                ]);
            },
            &trust,
        );
        let view = ResultView {
            verification: &verification,
            email: None,
            trust: &trust,
            address: None,
        };
        let report = &verification.report;
        let raw = verification.document.as_ref();
        let card = |lang: &str| {
            let m = all.negotiate(Some(lang), None);
            badge_card(&m, report, raw, &view, Medium::Screen, "card").into_string()
        };
        let english = card("en");
        assert!(!english.contains("data-text-language"), "{english}");
        let french = card("fr");
        assert!(
            french.contains("Le texte du badge est en anglais ; l’attestation n’en donne pas de version en français."),
            "{french}"
        );
        assert!(french.contains("<dt>Autres versions</dt>"), "{french}");
        assert!(
            french
                .contains("<a href=\"https://learn.example/fr/data-literacy\" hreflang=\"fr-FR\""),
            "{french}"
        );
        assert!(french.contains(">français</a> (version 2)"), "{french}");
        assert!(
            french.contains(
                "arabe <span class=\"id\">urn:uuid:8f0c2d3e-1b5a-4c7d-9e2f-3a4b5c6d7e8f</span>"
            ),
            "{french}"
        );
        let arabic = card("ar");
        assert!(arabic.contains("data-text-language=\"en\""), "{arabic}");
        assert!(arabic.contains("الإنجليزية"), "{arabic}");
    }

    #[test]
    fn the_card_shows_the_credentials_details_escaped_with_plain_links_only() {
        let all = crate::i18n::builtin().unwrap();
        let en = all.negotiate(Some("en"), None);
        let fr = all.negotiate(Some("fr"), None);
        let trust = std::sync::Arc::new(TrustRegistries::new());
        let verification = sample_verification(hostile_details, &trust);
        let view = ResultView {
            verification: &verification,
            email: None,
            trust: &trust,
            address: None,
        };
        let report = &verification.report;
        let raw = verification.document.as_ref();
        // On paper, as on screen less the email form (whose hidden field carries the whole
        // credential, escaped).
        let html = badge_card(&en, report, raw, &view, Medium::Print, "card").into_string();
        let screen = badge_card(&en, report, raw, &view, Medium::Screen, "card").into_string();
        assert!(screen.contains("class=\"email-check\""), "{screen}");
        assert!(!screen.contains("<script"), "{screen}");
        assert!(!screen.contains("href=\"javascript"), "{screen}");

        // Nothing from the credential becomes markup or a script address.
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:alert(1)\""), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&quot;a&quot;)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("<code>S1.&quot;2&quot;</code>"), "{html}");
        assert!(
            html.contains("&quot;&gt;&lt;script&gt;x&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;evidence()&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("Said &quot;done&quot;"), "{html}");
        // The evidence's `javascript:` id is not a link, nor shown as one.
        assert!(!html.contains("alert(2)"), "{html}");

        // The achievement: type, code, EQF level (not repeated among the skills), field,
        // credits, study dates.
        for expected in [
            "<p class=\"kind\">Course</p>",
            "<dd data-achievement-type=\"Course\">Course</dd>",
            "<dd>DATA-101</dd>",
            "Level 6 of the European Qualifications Framework",
            "<dd>Data science</dd>",
            "2 earned of 2",
            "from \u{2068}2 March 2026\u{2069} to \u{2068}26 June 2026\u{2069}",
            "<dt>Issued on</dt><dd><time datetime=\"2026-06-30T12:00:00+00:00\">30 June 2026</time></dd>",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        assert!(!html.contains("EQF level 6"), "{html}");
        assert!(!html.contains("snb/eqf"), "{html}");

        // The learner's name, where the credential gives one in clear.
        assert_eq!(
            html.matches("<span class=\"id learner\">Ada &quot;&lt;Lovelace&gt;&quot;</span>")
                .count(),
            1,
            "{html}"
        );

        // Skills: the ESCO link is plain, with no referrer, followed only by a click.
        let esco = "http://data.europa.eu/esco/skill/4bbb3a0d-3d38-4b5b-9d35-5b2f4a0e1c6d";
        assert!(
            html.contains(&format!(
                "<a class=\"url\" href=\"{esco}\" rel=\"noopener noreferrer nofollow\" \
                 referrerpolicy=\"no-referrer\">{esco}</a>"
            )),
            "{html}"
        );
        assert!(!html.contains(&format!("src=\"{esco}")), "{html}");
        assert!(
            html.contains("&lt;/script&gt;</strong> — ESCO skill <code>"),
            "{html}"
        );
        // Its `javascript:` address is dropped: the framework's name is what remains.
        assert!(
            html.contains("present visual data</strong> — ESCO</p>"),
            "{html}"
        );
        assert!(
            html.contains("Create visual representations of data"),
            "{html}"
        );

        // Results: the description's name, the value, the status, the scale; a dangling one.
        assert!(html.contains("<strong>Final grade</strong>: "), "{html}");
        assert!(
            html.contains("<span class=\"tag tag-neutral\">Completed</span>"),
            "{html}"
        );
        assert!(
            html.contains("Scale: Percent; 0–100; required: 70"),
            "{html}"
        );
        assert!(
            html.contains(
                "This result refers to <code>https://learn.example/results/&lt;gone&gt;</code>, \
                 which the achievement does not describe."
            ),
            "{html}"
        );
        // Evidence: name, genre, narrative, link.
        assert!(html.contains("(Project)"), "{html}");
        assert!(html.contains("compared monthly PM2.5"), "{html}");
        assert!(
            html.contains("href=\"https://learn.example/portfolio/5f1c7e2a/"),
            "{html}"
        );

        let html = badge_card(&fr, report, raw, &view, Medium::Screen, "card").into_string();
        for expected in [
            "<p class=\"kind\">Cours</p>",
            "Niveau 6 du cadre européen des certifications",
            "2 obtenus sur 2",
            "du \u{2068}2 mars 2026\u{2069} au \u{2068}26 juin 2026\u{2069}",
            "Compétence ESCO",
            "<span class=\"tag tag-neutral\">Terminé</span>",
            "Échelle : Pourcentage; 0–100; requis : 70",
            "Compétences et référentiels",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
    }

    #[test]
    fn every_achievement_type_and_result_status_has_words_and_unknown_ones_fall_back() {
        use passerelle_core::verify::{ACHIEVEMENT_TYPES, RESULT_STATUSES};

        let all = crate::i18n::builtin().unwrap();
        for catalogue in all.languages() {
            let m = all.negotiate(Some(&catalogue.lang), None);
            for (kind, _) in ACHIEVEMENT_TYPES {
                assert!(
                    m.term("achievement_type", kind).is_some(),
                    "{}: achievement_type.{kind}",
                    m.lang()
                );
            }
            for status in RESULT_STATUSES {
                assert!(
                    m.term("result_status", status).is_some(),
                    "{}: result_status.{status}",
                    m.lang()
                );
            }
            assert_eq!(achievement_type_text(&m, "ext:Bootcamp"), "Bootcamp");
            assert_eq!(achievement_type_text(&m, "a.b"), "a.b");
        }
        let fr = all.negotiate(Some("fr"), None);
        assert_eq!(
            achievement_type_text(&fr, "MicroCredential"),
            "Microcertification"
        );
    }

    #[test]
    fn registries_loaded_are_named_and_recognised_says_by_whom_and_where() {
        let all = crate::i18n::builtin().unwrap();
        let en = all.negotiate(Some("en"), None);
        let issuer = sample_issuer();
        let mut registries = TrustRegistries::new();
        registries
            .load(
                &json!({"name": "Registre national des certifications", "entries": [
                    {"id": issuer, "name": "Open Learning Lab", "jurisdiction": "FR"},
                    {"id": "did:web:other.example", "name": "Other"}
                ]}),
                "rncp.json",
            )
            .unwrap();
        registries
            .load(
                &json!({"registry": {issuer.clone(): {"name": "Open <Learning> Lab"}}}),
                "dcc-<registry>.json",
            )
            .unwrap();
        let trust = std::sync::Arc::new(registries);
        let verification = sample_verification(|_| {}, &trust);
        let view = ResultView {
            verification: &verification,
            email: None,
            trust: &trust,
            address: None,
        };
        let report = &verification.report;
        let html = badge_card(
            &en,
            report,
            verification.document.as_ref(),
            &view,
            Medium::Screen,
            "card",
        )
        .into_string();
        assert!(
            html.contains(
                "<span class=\"tag tag-pass\">Recognised</span> — Registre national des certifications (FR)</li>"
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "<span class=\"tag tag-pass\">Recognised</span> — dcc-&lt;registry&gt;.json</li>"
            ),
            "{html}"
        );

        let html = registries_section(&en, &trust, "r").into_string();
        assert!(
            html.contains(
                "<strong>Registre national des certifications</strong> — 2 issuers listed"
            ),
            "{html}"
        );
        assert!(
            html.contains("<strong>dcc-&lt;registry&gt;.json</strong> — 1 issuer listed"),
            "{html}"
        );

        // None loaded: said so, with the option that loads one; nothing shows as recognised.
        let none = std::sync::Arc::new(TrustRegistries::new());
        let html = registries_section(&en, &none, "r").into_string();
        assert!(html.contains("no trust registry loaded"), "{html}");
        assert!(
            html.contains("<code>passerelle-verifier serve --trust FILE</code>"),
            "{html}"
        );
        let verification = sample_verification(|_| {}, &none);
        let view = ResultView {
            verification: &verification,
            email: None,
            trust: &none,
            address: None,
        };
        let page = result(&en, &view);
        assert!(!page.contains("tag-pass\">Recognised"), "{page}");
        assert!(page.contains("--trust FILE"), "{page}");
        let fr = all.negotiate(Some("fr"), None);
        assert!(index(&fr, &none).contains("aucun registre de confiance"));
        assert!(index(&en, &trust).contains("2 issuers listed"));
    }

    #[test]
    fn the_printable_report_is_one_document_with_every_check_and_no_controls() {
        let all = crate::i18n::builtin().unwrap();
        let en = all.negotiate(Some("en"), None);
        let fr = all.negotiate(Some("fr"), None);
        let mut registries = TrustRegistries::new();
        registries
            .load(
                &json!({"name": "Registre national des certifications", "entries": [
                    {"id": sample_issuer(), "name": "Open Learning Lab", "jurisdiction": "FR"}
                ]}),
                "rncp.json",
            )
            .unwrap();
        let trust = std::sync::Arc::new(registries);
        let verification = sample_verification(hostile_details, &trust);
        let view = ResultView {
            verification: &verification,
            email: None,
            trust: &trust,
            address: Some("verify.example:8090"),
        };
        let screen = result(&en, &view);
        assert!(
            screen.contains("<input type=\"hidden\" name=\"view\" value=\"print\">"),
            "{screen}"
        );
        assert!(screen.contains("Printable report"), "{screen}");

        let html = printable(&en, &view);
        assert!(html.len() < 100_000, "{} bytes", html.len());
        assert!(html.contains("<title>Verification report — "), "{html}");
        assert!(html.contains("<h1>Verification report</h1>"), "{html}");
        assert!(html.contains("verify.example:8090"), "{html}");
        assert!(
            html.contains("<time datetime=\"2026-09-01T00:00:00"),
            "{html}"
        );
        assert!(html.contains(">1 September 2026</time>"), "{html}");
        let digest = hex::encode(Sha256::digest(verification.text.as_bytes()));
        assert!(html.contains(&digest), "{html}");
        assert!(
            html.contains(&verdict_title(&en, &verification.report)),
            "{html}"
        );
        assert!(
            html.contains("Registre national des certifications (FR)"),
            "{html}"
        );
        assert!(html.contains("Level 6 of the European Qualifications Framework"));
        assert!(html.contains("Final grade"));
        // Every check, with its message and details open.
        for check in verification.report.checks() {
            assert!(
                html.contains(&format!("data-check=\"{}\"", check.id)),
                "{}: {html}",
                check.id
            );
        }
        assert!(!html.contains("<details>"), "{html}");
        assert!(html.contains("<details open>"), "{html}");
        // A document, not a page to act on; nothing from the credential is markup.
        for absent in ["<form", "<script", "<nav", "<button", "<input", "download="] {
            assert!(!html.contains(absent), "{absent}: {html}");
        }
        assert!(html.contains("The recipient is identified by a hashed email address"));

        let html = printable(&fr, &view);
        assert!(html.contains("<h1>Rapport de vérification</h1>"), "{html}");
        assert!(html.contains("<html lang=\"fr\""), "{html}");
        assert!(html.contains("SHA-256 du texte vérifié"), "{html}");
    }
}
