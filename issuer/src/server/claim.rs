//! Claim pages: what a learner opens from the link the provider sent them. A small, accessible,
//! server-rendered English page (no scripts, no external assets, every value escaped) showing
//! the badge, with downloads of the credential (JSON, baked PNG and SVG), an OpenID4VCI
//! credential offer for the learner's wallet (a QR code and an `openid-credential-offer://`
//! same-device link, with a pre-authorized code minted for each view; never the transaction
//! code) and a QR code of the link. Unknown tokens answer a 404 page, expired ones a 410 page.
//!
//! The page also lists the apps the learner connected through the Open Badges 3.0 API ("Apps
//! connected to your badges", every grant of the credential's learner key), each with a
//! disconnect form (`POST /claim/{token}/apps/{grant_id}/disconnect`, its CSRF token a keyed
//! MAC of the claim token's hash and the grant id; 303 back here with a notice).
//!
//! The token is the only secret protecting the page, so responses say `Cache-Control: no-store`
//! and `Referrer-Policy: no-referrer`, and the access log records the route, not the path.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use passerelle_core::input::InputLimits;
use passerelle_core::verify::{self, CardDetails, FrameworkKind, Presented};
use serde_json::Value;

use super::{ApiError, AppState};
use crate::certificate::{self, CertificateInput, CertificateLabels, Paper};
use crate::issuance;
use crate::oid4vci;
use crate::store::obapi::GrantView;
use crate::store::{IssuedCredential, StoreError};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/claim/{token}", get(page))
        .route("/claim/{token}/credential.json", get(credential_json))
        .route("/claim/{token}/badge.png", get(badge_png))
        .route("/claim/{token}/badge.svg", get(badge_svg))
        .route("/claim/{token}/certificate.svg", get(certificate_svg))
        .route(
            "/claim/{token}/apps/{grant_id}/disconnect",
            axum::routing::post(disconnect),
        )
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A token has the store's shape (`clm_` and 64 hex digits); anything else is unknown without
/// asking the database.
fn well_formed(token: &str) -> bool {
    token
        .strip_prefix("clm_")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

enum Redeemed {
    Found(Box<IssuedCredential>),
    Unknown,
    Expired,
}

async fn redeem(state: &AppState, token: &str) -> Result<Redeemed, ApiError> {
    if !well_formed(token) {
        return Ok(Redeemed::Unknown);
    }
    match state
        .issuer
        .store()
        .redeem_claim_token(token, crate::store::now_seconds())
        .await
    {
        Ok(Some(c)) => Ok(Redeemed::Found(Box::new(c))),
        Ok(None) => Ok(Redeemed::Unknown),
        Err(StoreError::ClaimExpired { .. }) => Ok(Redeemed::Expired),
        Err(e) => Err(e.into()),
    }
}

fn private_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let document = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        document,
    )
        .into_response();
    private_headers(&mut response);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1b1b1b;background:#f6f6f4}\
main{max-width:42rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem}\
h1{font-size:1.6rem;margin-top:0}dt{font-weight:600}dd{margin:0 0 .6rem 0}\
.status{padding:.6rem;border-radius:.3rem;background:#fdecea;border:1px solid #b3261e}\
a{color:#0b57d0}.qr svg{width:12rem;height:12rem}img.badge{max-width:8rem;height:auto}\
ul.downloads li{margin:.3rem 0}ul.apps li{margin:.6rem 0}.notice{padding:.6rem;border-radius:.3rem;background:#e7f3e8;border:1px solid #1e7a34}";

fn not_found_page() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Claim link not found",
        "<h1>Claim link not found</h1>\n<p>This claim link is not known. Check that you copied \
         the whole link from the message you received, or ask the organisation that awarded \
         the badge for a new one.</p>",
    )
}

fn expired_page() -> Response {
    html(
        StatusCode::GONE,
        "Claim link expired",
        "<h1>Claim link expired</h1>\n<p>This claim link has expired. Your badge has not been \
         affected: ask the organisation that awarded it for a new link.</p>",
    )
}

/// The credential a stored text holds: its JSON, or the claims of a compact JWS (`Null` when
/// neither reads, which the page shows as an unnamed badge).
fn credential_document(text: &str) -> Value {
    match verify::parse_input(text.as_bytes(), &InputLimits::default()) {
        Ok(Presented::Credential(doc)) => doc,
        Ok(Presented::Jws(jws)) => jws.credential.unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// A link to an http(s) address the learner may follow (others are shown as text only).
fn link(url: &str) -> String {
    format!(
        "<a href=\"{url}\" rel=\"noopener noreferrer nofollow\" referrerpolicy=\"no-referrer\">{url}</a>",
        url = escape(url)
    )
}

/// The skills and frameworks the achievement aligns to, and the evidence, as lists with links.
fn details_lists(details: &CardDetails) -> String {
    let mut out = String::new();
    let alignments: Vec<_> = details
        .alignments
        .iter()
        .filter(|a| a.kind != FrameworkKind::Eqf)
        .collect();
    if !alignments.is_empty() {
        out.push_str("<h2>Skills and frameworks</h2>\n<ul class=\"alignments\">\n");
        for alignment in alignments {
            let framework = alignment.framework_words();
            out.push_str(&format!("<li><strong>{}</strong>", escape(&alignment.name)));
            match (framework.as_deref(), &alignment.code) {
                (Some(f), Some(code)) => {
                    out.push_str(&format!(" ({} {})", escape(f), escape(code)))
                }
                (Some(f), None) => out.push_str(&format!(" ({})", escape(f))),
                (None, Some(code)) => out.push_str(&format!(" ({})", escape(code))),
                (None, None) => {}
            }
            if let Some(description) = &alignment.description {
                out.push_str(&format!("<br>{}", escape(description)));
            }
            if let Some(url) = &alignment.url {
                out.push_str(&format!("<br>{}", link(url)));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    if !details.evidence.is_empty() {
        out.push_str("<h2>Evidence</h2>\n<ul class=\"evidence\">\n");
        for evidence in &details.evidence {
            let name = evidence.name.as_deref().unwrap_or("Evidence");
            out.push_str(&format!("<li><strong>{}</strong>", escape(name)));
            if let Some(genre) = &evidence.genre {
                out.push_str(&format!(" ({})", escape(genre)));
            }
            for text in [&evidence.description, &evidence.narrative]
                .into_iter()
                .flatten()
            {
                out.push_str(&format!("<br>{}", escape(text)));
            }
            if let Some(url) = &evidence.url {
                out.push_str(&format!("<br>{}", link(url)));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    out
}

/// The endorsements the issuer attached to its profile and to the achievement, by whom and
/// with their comment. A verifier checks them; this page only says what the badge carries.
fn endorsements_list(doc: &Value) -> String {
    let lists = [
        doc.get("issuer").and_then(|i| i.get("endorsement")),
        doc.get("credentialSubject")
            .and_then(|s| s.get("achievement"))
            .and_then(|a| a.get("endorsement")),
        doc.get("endorsement"),
    ];
    let mut items = String::new();
    for endorsement in lists.into_iter().flatten().flat_map(|v| match v {
        Value::Array(list) => list.iter().collect::<Vec<_>>(),
        other => vec![other],
    }) {
        let by = text_at(endorsement, &["issuer", "name"])
            .or_else(|| text_at(endorsement, &["issuer", "id"]))
            .or_else(|| text_at(endorsement, &["issuer"]))
            .unwrap_or("(unnamed endorser)");
        items.push_str(&format!(
            "<li>Endorsement by <strong>{}</strong>",
            escape(by)
        ));
        if let Some(comment) = text_at(endorsement, &["credentialSubject", "endorsementComment"]) {
            items.push_str(&format!(": “{}”", escape(comment)));
        }
        items.push_str("</li>\n");
    }
    if items.is_empty() {
        return items;
    }
    format!(
        "<h2>Endorsements</h2>\n<p>Bodies that vouch for this course or its provider. A verifier \
         checks each one and says which it recognises.</p>\n<ul class=\"endorsements\">\n{items}</ul>\n"
    )
}

fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = current.get(*key)?;
    }
    current.as_str()
}

/// `2026-06-30T12:00:00Z` → `2026-06-30` (anything else is shown as given).
fn day(text: &str) -> &str {
    text.get(..10)
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        .unwrap_or(text)
}

/// The "add to your wallet" section: the by-value offer's QR code and a same-device link. The
/// transaction code is never shown here (it reaches the learner on another channel).
fn wallet_section(offer: &oid4vci::MintedOffer, minutes: u32) -> String {
    let uri = escape(&offer.uri);
    let mut section = String::from("<h2>Add it to your digital wallet</h2>\n");
    section.push_str(
        "<p>If you have a wallet app that can receive credentials (OpenID for Verifiable \
         Credential Issuance, for example the EU Digital Identity Wallet), it can collect this \
         badge directly: scan the QR code below with the wallet on your phone, or, if the \
         wallet is on this device, open the link.</p>\n",
    );
    match super::badge::qr_svg(&offer.uri) {
        Ok(svg) => section.push_str(&format!(
            "<figure class=\"qr\" role=\"img\" aria-label=\"QR code of a credential offer for your wallet\">{svg}\
             <figcaption>Scan with your wallet app.</figcaption></figure>\n"
        )),
        Err(e) => tracing::warn!(error = %e, "cannot draw the credential offer QR code"),
    }
    section.push_str(&format!(
        "<p><a class=\"wallet\" href=\"{uri}\">Open in your wallet</a> (on this device)</p>\n"
    ));
    let mut note = format!(
        "<p>The QR code and the link work once, for {minutes} minutes: reload this page for a \
         fresh one."
    );
    if offer.needs_tx_code() {
        note.push_str(
            " Your wallet will ask for a 6-digit code: it was sent to you separately by the \
             organisation that awarded the badge (it is not on this page).",
        );
    }
    note.push_str("</p>\n");
    section.push_str(&note);
    section
}

/// "Apps connected to your badges": the learner's live OB 3.0 API grants, each with a
/// disconnect form (its CSRF token a keyed MAC of the claim token's hash and the grant id).
fn apps_section(state: &AppState, token: &str, grants: &[GrantView], notice: bool) -> String {
    let mut section = String::from("<h2>Apps connected to your badges</h2>\n");
    if notice {
        section.push_str(
            "<p class=\"notice\" role=\"status\">The app was disconnected: it can no longer \
             read your badges.</p>\n",
        );
    }
    if grants.is_empty() {
        section.push_str("<p>No app can read your badges from here.</p>\n");
        return section;
    }
    section.push_str(
        "<p>These apps can read every badge this issuer has awarded you, including later ones, \
         until you disconnect them.</p>\n<ul class=\"apps\">\n",
    );
    for grant in grants {
        let metadata: Value = serde_json::from_str(&grant.client_metadata).unwrap_or(Value::Null);
        let host = metadata
            .get("client_uri")
            .and_then(Value::as_str)
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let scopes: Vec<&str> = passerelle_core::obapi::parse_scope(&grant.scope)
            .known
            .into_iter()
            .map(passerelle_core::obapi::Scope::plain_words)
            .collect();
        let last = grant.last_used_at.map_or_else(
            || "never".to_owned(),
            |at| at.format("%Y-%m-%d").to_string(),
        );
        let csrf = crate::obapi::disconnect_csrf(&state.issuer, token, &grant.id);
        section.push_str(&format!(
            "<li><strong>{name}</strong> ({host}) — {scopes}. Connected since {since}, last used \
             {last}.\n<form method=\"post\" action=\"/claim/{token}/apps/{id}/disconnect\">\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
             <button>Disconnect {name}</button></form></li>\n",
            name = escape(&grant.client_name),
            host = escape(&host),
            scopes = escape(&scopes.join(", ")),
            since = grant.created_at.format("%Y-%m-%d"),
            last = escape(&last),
            token = escape(token),
            id = escape(&grant.id),
            csrf = escape(&csrf),
        ));
    }
    section.push_str("</ul>\n");
    section
}

fn render(
    state: &AppState,
    token: &str,
    c: &IssuedCredential,
    offer: Option<&oid4vci::MintedOffer>,
    apps: &str,
) -> Response {
    let doc = credential_document(&c.credential);
    let achievement = doc
        .get("credentialSubject")
        .and_then(|s| s.get("achievement"))
        .unwrap_or(&Value::Null);
    let badge = text_at(&doc, &["name"])
        .or_else(|| text_at(achievement, &["name"]))
        .unwrap_or("Open Badge");
    let issuer = text_at(&doc, &["issuer", "name"]).unwrap_or("(unnamed issuer)");
    let achievement_name = text_at(achievement, &["name"]).unwrap_or(badge);
    let description = text_at(achievement, &["description"]).unwrap_or("");
    let criteria = text_at(achievement, &["criteria", "narrative"]);
    let issued = text_at(&doc, &["validFrom"])
        .or_else(|| text_at(&doc, &["issuanceDate"]))
        .map(day);
    let awarded = text_at(&doc, &["awardedDate"]).map(day);
    let until = text_at(&doc, &["validUntil"]).map(day);
    let image = text_at(achievement, &["image", "id"]).filter(|src| {
        src.starts_with("data:image/png;base64,") || src.starts_with("data:image/svg+xml;base64,")
    });
    let caption = text_at(achievement, &["image", "caption"]).unwrap_or(achievement_name);

    let mut body = String::new();
    body.push_str(&format!("<h1>{}</h1>\n", escape(badge)));
    if c.revoked_at.is_some() {
        body.push_str(
            "<p class=\"status\" role=\"status\"><strong>This badge has been revoked by its issuer.</strong> \
             Verifiers will report it as not valid.</p>\n",
        );
    } else if c.suspended {
        body.push_str(
            "<p class=\"status\" role=\"status\"><strong>This badge is suspended by its issuer.</strong> \
             Verifiers will report it as not valid until it is reinstated.</p>\n",
        );
    }
    if let Some(src) = image {
        body.push_str(&format!(
            "<p><img class=\"badge\" src=\"{}\" alt=\"{}\"></p>\n",
            escape(src),
            escape(caption)
        ));
    }
    body.push_str("<dl>\n");
    let mut row = |term: &str, value: &str| {
        body.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>\n",
            escape(term),
            escape(value)
        ));
    };
    row("Issued by", issuer);
    row("Achievement", achievement_name);
    if !description.is_empty() {
        row("Description", description);
    }
    if let Some(text) = criteria {
        row("How it was earned", text);
    }
    if let Some(date) = awarded {
        row("Awarded", date);
    }
    if let Some(date) = issued {
        row("Issued", date);
    }
    if let Some(date) = until {
        row("Valid until", date);
    }
    let details = verify::card_details(&doc, None);
    if let Some(details) = &details {
        // Skills and evidence get their own lists below, with their links.
        for (label, value) in details.summary_lines() {
            row(label, &value);
        }
    }
    body.push_str("</dl>\n");
    if let Some(details) = &details {
        body.push_str(&details_lists(details));
    }
    body.push_str(&endorsements_list(&doc));

    let base = format!("/claim/{token}");
    body.push_str("<h2>Download your badge</h2>\n<ul class=\"downloads\">\n");
    body.push_str(&format!(
        "<li><a href=\"{base}/credential.json\" download=\"badge.json\">The credential (JSON)</a> — for a digital wallet or to send to a verifier</li>\n"
    ));
    body.push_str(&format!(
        "<li><a href=\"{base}/badge.png\" download=\"badge.png\">Badge image (PNG)</a> with the credential inside</li>\n"
    ));
    body.push_str(&format!(
        "<li><a href=\"{base}/badge.svg\" download=\"badge.svg\">Badge image (SVG)</a> with the credential inside</li>\n"
    ));
    body.push_str(&format!(
        "<li><a href=\"{base}/certificate.svg?paper=a4\" download=\"certificate.svg\">Printable certificate (A4)</a> \
         or <a href=\"{base}/certificate.svg?paper=letter\" download=\"certificate.svg\">(US Letter)</a>, \
         with a QR code of the credential that verifies from paper</li>\n</ul>\n"
    ));
    if let Some(offer) = offer {
        let minutes = state
            .issuer
            .config()
            .oid4vci
            .pre_authorized_code_ttl_seconds
            .div_ceil(60);
        body.push_str(&wallet_section(offer, minutes));
    }
    body.push_str(apps);
    let url = issuance::claim_url(&state.issuer.base_url(), token);
    match super::badge::qr_svg(&url) {
        Ok(svg) => body.push_str(&format!(
            "<h2>QR code of this page</h2>\n<figure class=\"qr\" role=\"img\" aria-label=\"QR code of this page's link\">{svg}\
             <figcaption>Scan to open this page on another device. Keep this link private: anyone who has it can download your badge.</figcaption></figure>\n"
        )),
        Err(e) => tracing::warn!(error = %e, "cannot draw the claim QR code"),
    }
    html(StatusCode::OK, &format!("{badge} — your badge"), &body)
}

/// Media types under which the claim link answers the credential itself rather than the page.
const CREDENTIAL_TYPES: [&str; 6] = [
    "application/vc+ld+json",
    "application/vc+jwt",
    "application/vc",
    "application/ld+json",
    "application/json",
    "application/jwt",
];

/// The quality an `Accept` header gives `media_type` (`type/subtype`): the most specific
/// matching range wins (exact, then `type/*`, then `*/*`); 0 when nothing matches.
fn quality(accept: &str, media_type: &str) -> f32 {
    let major = media_type.split('/').next().unwrap_or("");
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        let specificity = if name == media_type {
            3
        } else if name.strip_suffix("/*") == Some(major) {
            2
        } else if name == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// Whether the request prefers the credential (JSON or a JWT) over an HTML page: a wallet or
/// verifier following the link. Ties, and requests without `Accept`, get the page.
fn wants_credential(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let credential = CREDENTIAL_TYPES
        .iter()
        .map(|t| quality(accept, t))
        .fold(0.0, f32::max);
    credential > 0.0 && credential > quality(accept, "text/html")
}

fn credential_body(c: &IssuedCredential) -> (&'static str, Vec<u8>) {
    let content_type = if c.credential.trim_start().starts_with('{') {
        "application/vc+ld+json"
    } else {
        "application/vc+jwt"
    };
    (content_type, c.credential.clone().into_bytes())
}

/// `GET /claim/{token}`: the page for a browser, the credential for a client that prefers it
/// (content negotiation on `Accept`; every answer says `Vary: Accept`).
async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let mut response = match redeem(&state, &token).await {
        Ok(Redeemed::Found(c)) if wants_credential(&headers) => {
            let (content_type, body) = credential_body(&c);
            let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
            private_headers(&mut response);
            response
        }
        Ok(Redeemed::Found(c)) => {
            // A fresh offer per view; none for a revoked badge (or if minting failed: the page
            // still serves the downloads).
            let offer = if c.revoked_at.is_some() {
                None
            } else {
                match oid4vci::offer_for_claim(&state.issuer, &token, &c).await {
                    Ok(offer) => Some(offer),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot make the claim page's credential offer");
                        None
                    }
                }
            };
            let grants = match state
                .issuer
                .store()
                .grants_for_learner(&c.learner_key)
                .await
            {
                Ok(g) => g,
                Err(e) => return ApiError::from(e).into_response(),
            };
            let notice = uri.query() == Some("notice=disconnected");
            let apps = apps_section(&state, &token, &grants, notice);
            render(&state, &token, &c, offer.as_ref(), &apps)
        }
        Ok(Redeemed::Unknown) => not_found_page(),
        Ok(Redeemed::Expired) => expired_page(),
        Err(e) => e.into_response(),
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

async fn download(
    state: &AppState,
    token: &str,
    make: impl FnOnce(&IssuedCredential) -> Result<(&'static str, Vec<u8>), ApiError>,
) -> Response {
    match redeem(state, token).await {
        Ok(Redeemed::Found(c)) => match make(&c) {
            Ok((content_type, bytes)) => {
                let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
                private_headers(&mut response);
                response
            }
            Err(e) => e.into_response(),
        },
        Ok(Redeemed::Unknown) => not_found_page(),
        Ok(Redeemed::Expired) => expired_page(),
        Err(e) => e.into_response(),
    }
}

fn forbidden_page() -> Response {
    html(
        StatusCode::FORBIDDEN,
        "Request refused",
        "<h1>Request refused</h1>\n<p>This form was not sent from your badge page. Open the \
         page again and use its Disconnect button.</p>",
    )
}

/// `POST /claim/{token}/apps/{grant_id}/disconnect`: revokes one of the learner's grants, then
/// 303 back to the claim page with a notice.
async fn disconnect(
    State(state): State<AppState>,
    Path((token, grant_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let c = match redeem(&state, &token).await {
        Ok(Redeemed::Found(c)) => c,
        Ok(Redeemed::Unknown) => return not_found_page(),
        Ok(Redeemed::Expired) => return expired_page(),
        Err(e) => return e.into_response(),
    };
    let presented = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !crate::obapi::disconnect_csrf_matches(&state.issuer, &token, &grant_id, &presented) {
        return forbidden_page();
    }
    let at = crate::store::now_seconds();
    match state
        .issuer
        .store()
        .disconnect_grant(&grant_id, &c.learner_key, at)
        .await
    {
        Ok(true) => {
            super::obapi::audit(
                &state,
                crate::obapi::LEARNER_ACTOR.into(),
                "obapi.grant.disconnect",
                &format!("grant:{grant_id}"),
                serde_json::json!({}),
            )
            .await;
        }
        // Already disconnected (a second click): the page shows it gone all the same.
        Ok(false) => {}
        Err(e) => return ApiError::from(e).into_response(),
    }
    let location = format!(
        "{}/claim/{token}?notice=disconnected",
        state.issuer.base_url()
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    private_headers(&mut response);
    response
}

async fn credential_json(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    download(&state, &token, |c| Ok(credential_body(c))).await
}

async fn badge_png(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    download(&state, &token, |c| {
        super::badge::baked_png(c).map(|bytes| ("image/png", bytes))
    })
    .await
}

async fn badge_svg(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    download(&state, &token, |c| {
        super::badge::baked_svg(c).map(|bytes| ("image/svg+xml", bytes))
    })
    .await
}

/// `GET /claim/{token}/certificate.svg?paper=a4|letter`: the printable certificate (A4 by
/// default), without a name (the store keeps no learner names), its QR code holding the
/// credential (or, for one too large, this claim link).
async fn certificate_svg(
    State(state): State<AppState>,
    Path(token): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let requested = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(name, _)| name == "paper")
        .map(|(_, value)| value.into_owned());
    let paper = match requested.as_deref().map(str::parse::<Paper>) {
        None => Paper::A4,
        Some(Ok(paper)) => paper,
        Some(Err(e)) => {
            return html(
                StatusCode::BAD_REQUEST,
                "Unknown paper size",
                &format!(
                    "<h1>Unknown paper size</h1>\n<p>{}. The certificate is printed on A4 \
                     (<code>?paper=a4</code>) or US Letter (<code>?paper=letter</code>).</p>",
                    escape(&e.to_string())
                ),
            )
        }
    };
    let mut response = download(&state, &token, |c| {
        let input = CertificateInput::from_credential(&c.credential, None);
        certificate::render(&input, paper, &CertificateLabels::default())
            .map(|svg| ("image/svg+xml", svg.into_bytes()))
            .map_err(ApiError::internal)
    })
    .await;
    if response.status() == StatusCode::OK {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"certificate.svg\""),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
            ),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn content_negotiation() {
        let browser =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(!wants_credential(&accept(browser)));
        assert!(!wants_credential(&HeaderMap::new()), "no Accept: the page");
        assert!(!wants_credential(&accept("*/*")), "curl: the page");
        assert!(wants_credential(&accept("application/json")));
        assert!(wants_credential(&accept(
            "application/vc+ld+json, application/json;q=0.9, */*;q=0.1"
        )));
        assert!(wants_credential(&accept("application/vc+jwt")));
        assert!(wants_credential(&accept("text/html;q=0.5, application/*")));
        assert!(!wants_credential(&accept("application/json;q=0")));
        assert!(
            !wants_credential(&accept("application/json, text/html")),
            "a tie: the page"
        );
    }

    #[test]
    fn token_shape() {
        assert!(well_formed(&format!("clm_{}", "ab".repeat(32))));
        assert!(!well_formed("clm_short"));
        assert!(!well_formed(&format!("pat_{}", "ab".repeat(32))));
    }
}
