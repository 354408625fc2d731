//! Claim pages: what a learner opens from the link the provider sent them. A small, accessible,
//! server-rendered page in the learner's language (the six UN languages: `?lang=`, else
//! `Accept-Language`; see [`super::page`]; no scripts, no external assets, every value escaped) showing
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
use passerelle_core::verify::{
    self, AlignmentDetail, CardDetails, FrameworkKind, Presented, ResultDetail,
};
use serde_json::Value;

use super::{page, ApiError, AppState};
use crate::certificate::{self, CertificateInput, Paper};
use crate::i18n::Messages;
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

/// A learner page: the document in `m`'s language (its switcher linking to `switch_to`), with
/// the private headers and `Vary: Accept-Language`.
fn html(
    m: &Messages<'_>,
    status: StatusCode,
    title: &str,
    body: &str,
    switch_to: Option<&str>,
) -> Response {
    let document = page::document(m, title, body, switch_to);
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
    page::vary(&mut response, "accept-language");
    response
}

/// A page that explains a refusal: its title as the heading, one paragraph.
fn message_page(
    m: &Messages<'_>,
    status: StatusCode,
    title_key: &str,
    text_key: &str,
    switch_to: Option<&str>,
) -> Response {
    let title = m.t(title_key);
    html(
        m,
        status,
        title,
        &format!(
            "<h1>{}</h1>\n<p>{}</p>",
            escape(title),
            escape(m.t(text_key))
        ),
        switch_to,
    )
}

fn not_found_page(m: &Messages<'_>, switch_to: Option<&str>) -> Response {
    message_page(
        m,
        StatusCode::NOT_FOUND,
        "claim.not_found.title",
        "claim.not_found.text",
        switch_to,
    )
}

fn expired_page(m: &Messages<'_>, switch_to: Option<&str>) -> Response {
    message_page(
        m,
        StatusCode::GONE,
        "claim.expired.title",
        "claim.expired.text",
        switch_to,
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

/// A link to an http(s) address the learner may follow (others are shown as text only); the
/// address keeps its left-to-right order inside right-to-left text.
fn link(url: &str) -> String {
    if !verify::is_web_address(url) {
        return format!("<span class=\"id\">{}</span>", escape(url));
    }
    format!(
        "<a class=\"url\" href=\"{url}\" rel=\"noopener noreferrer nofollow\" referrerpolicy=\"no-referrer\">{url}</a>",
        url = escape(url)
    )
}

/// The rows the core's card details add to the badge's list: type, code, level, field,
/// credits, learner, study dates, tags — labelled with the core's `card.*` words.
fn detail_rows(m: &Messages<'_>, details: &CardDetails) -> Vec<(String, String)> {
    let text = |t: &str| format!("<span class=\"text\" dir=\"auto\">{}</span>", escape(t));
    let mut rows = Vec::new();
    let mut row = |key: &str, html: String| rows.push((escape(m.t(key)), html));
    if let Some(kind) = &details.achievement_type {
        let words = m.achievement_type(kind);
        row("card.type", escape(&words));
    }
    if let Some(code) = &details.human_code {
        row("card.code", format!("<code>{}</code>", escape(code)));
    }
    if let Some(level) = details.eqf_level {
        row(
            "card.eqf",
            escape(&m.format(
                "card.eqf_level",
                &[("level", &m.number(&level.to_string()))],
            )),
        );
    }
    if let Some(field) = &details.field_of_study {
        row("card.field", text(field));
    }
    let credits = m.credits(details);
    if let Some(credits) = credits {
        row("card.credits", escape(&credits));
    }
    if let Some(name) = &details.learner_name {
        row("card.recipient", text(name));
    }
    let start = details.activity_start.as_deref().map(|d| page::time(m, d));
    let end = details.activity_end.as_deref().map(|d| page::time(m, d));
    let studied = match (&start, &end) {
        (Some(start), Some(end)) => Some(page::fill(
            m,
            "card.studied_from_to",
            &[("start", start), ("end", end)],
        )),
        (Some(start), None) => Some(page::fill(m, "card.studied_from", &[("start", start)])),
        (None, Some(end)) => Some(page::fill(m, "card.studied_until", &[("end", end)])),
        (None, None) => None,
    };
    if let Some(studied) = studied {
        row("card.studied", studied);
    }
    if !details.tags.is_empty() {
        row("card.tags", text(&details.tags.join(", ")));
    }
    // Which language the badge's text is in, when not the page's (as the verifier's card says
    // it), and the achievement's other versions.
    let remark = m.language_remark(details);
    if let Some(remark) = remark {
        row("card.language", escape(&remark));
    }
    if !details.related.is_empty() {
        let items: Vec<String> = details
            .related
            .iter()
            .map(|related| {
                let name = related
                    .language
                    .as_deref()
                    .map_or_else(|| related.id.clone(), |l| m.language_name(l));
                let shown = if verify::is_web_address(&related.id) {
                    format!(
                        "<a href=\"{}\" rel=\"alternate noopener noreferrer nofollow\" referrerpolicy=\"no-referrer\">{}</a>",
                        escape(&related.id),
                        escape(&name)
                    )
                } else {
                    escape(&name)
                };
                match &related.version {
                    Some(version) => format!(
                        "{shown} ({})",
                        escape(&m.format("card.related.version", &[("version", version)]))
                    ),
                    None => shown,
                }
            })
            .collect();
        row("card.related", items.join(", "));
    }
    rows
}

/// The framework an alignment points into, in the reader's words.
fn framework_text(m: &Messages<'_>, alignment: &AlignmentDetail) -> Option<String> {
    match alignment.kind {
        FrameworkKind::EscoSkill => Some(m.t("claim.skills.esco_skill").to_owned()),
        FrameworkKind::EscoOccupation => Some(m.t("claim.skills.esco_occupation").to_owned()),
        FrameworkKind::Esco => Some("ESCO".to_owned()),
        FrameworkKind::IscedF => Some(m.t("claim.skills.isced").to_owned()),
        _ => alignment.framework.clone(),
    }
}

/// A heading and one list item per entry (nothing when there is none).
fn list_section(title: &str, class: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = format!("<h2>{}</h2>\n<ul class=\"{class}\">\n", escape(title));
    for item in items {
        out.push_str(&format!("<li>{item}</li>\n"));
    }
    out.push_str("</ul>\n");
    out
}

/// The skills and frameworks the achievement aligns to (its EQF level is a row above), the
/// learner's results, and the evidence, as lists with their links, in the reader's language.
fn details_lists(m: &Messages<'_>, details: &CardDetails) -> String {
    let text = |class: &str, t: &str| {
        format!(
            "<p class=\"{class}\"><span class=\"text\" dir=\"auto\">{}</span></p>",
            escape(t)
        )
    };
    let alignments: Vec<String> = details
        .alignments
        .iter()
        .filter(|a| a.kind != FrameworkKind::Eqf)
        .map(|alignment| {
            let mut item = format!(
                "<p><strong dir=\"auto\">{}</strong>",
                escape(&alignment.name)
            );
            if let Some(framework) = framework_text(m, alignment) {
                item.push_str(&format!(" — {}", page::bdi(&framework)));
            }
            if let Some(code) = &alignment.code {
                item.push_str(&format!(" <code>{}</code>", escape(code)));
            }
            item.push_str("</p>");
            if let Some(description) = &alignment.description {
                item.push_str(&text("description", description));
            }
            if let Some(url) = &alignment.url {
                item.push_str(&format!("<p>{}</p>", link(url)));
            }
            item
        })
        .collect();
    let results: Vec<String> = details.results.iter().map(|r| result_item(m, r)).collect();
    let evidence: Vec<String> = details
        .evidence
        .iter()
        .map(|evidence| {
            let name = evidence
                .name
                .as_deref()
                .unwrap_or(m.t("claim.evidence.unnamed"));
            let mut item = format!("<p><strong dir=\"auto\">{}</strong>", escape(name));
            if let Some(genre) = &evidence.genre {
                item.push_str(&format!(" ({})", page::bdi(genre)));
            }
            item.push_str("</p>");
            for t in [&evidence.description, &evidence.narrative]
                .into_iter()
                .flatten()
            {
                item.push_str(&text("description", t));
            }
            if let Some(audience) = &evidence.audience {
                item.push_str(&format!(
                    "<p class=\"hint\">{} {}</p>",
                    escape(m.t("claim.evidence.audience")),
                    page::bdi(audience)
                ));
            }
            if let Some(url) = &evidence.url {
                item.push_str(&format!("<p>{}</p>", link(url)));
            }
            item
        })
        .collect();
    let mut out = list_section(m.t("claim.skills.title"), "alignments", &alignments);
    out.push_str(&list_section(m.t("result.title"), "results", &results));
    out.push_str(&list_section(
        m.t("claim.evidence.title"),
        "evidence",
        &evidence,
    ));
    out
}

/// One of the learner's results, read with its result description: value, level, status,
/// scale, with the core's `result.*` words.
fn result_item(m: &Messages<'_>, result: &ResultDetail) -> String {
    let scale = m.result_scale(result);
    let name = result.name.as_deref().unwrap_or(m.t("result.unnamed"));
    let mut item = format!("<p><strong dir=\"auto\">{}</strong>", escape(name));
    if let Some(value) = &result.value {
        item.push_str(&format!(": {}", page::bdi(value)));
    }
    if let Some(status) = &result.status {
        let words = m.result_status(status);
        item.push_str(&format!(" ({})", escape(&words)));
    }
    item.push_str("</p>");
    if let Some(level) = &result.achieved_level {
        item.push_str(&format!(
            "<p>{} <strong>{}</strong></p>",
            escape(m.t("result.level")),
            page::bdi(level)
        ));
    }
    if !scale.is_empty() {
        item.push_str(&format!(
            "<p class=\"hint\">{} {}</p>",
            escape(m.t("result.scale")),
            page::bdi(&scale.join("; "))
        ));
    }
    if let Some(reference) = &result.unresolved_description {
        item.push_str(&format!(
            "<p>{}</p>",
            page::fill(
                m,
                "result.dangling",
                &[("id", &format!("<code>{}</code>", escape(reference)))]
            )
        ));
    }
    item
}

/// The endorsements the issuer attached to its profile and to the achievement, by whom and
/// with their comment. A verifier checks them; this page only says what the badge carries.
fn endorsements_list(m: &Messages<'_>, doc: &Value) -> String {
    let lang = Some(m.lang());
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
        let by = text_in(endorsement, &["issuer", "name"], lang)
            .or_else(|| text_in(endorsement, &["issuer", "id"], lang))
            .or_else(|| text_in(endorsement, &["issuer"], lang))
            .unwrap_or_else(|| m.t("endorsements.unknown_endorser").to_owned());
        items.push_str(&format!(
            "<li><p>{}</p>",
            page::fill(
                m,
                "claim.endorsements.by",
                &[("name", &format!("<strong>{}</strong>", page::bdi(&by)))]
            )
        ));
        if let Some(comment) = text_in(
            endorsement,
            &["credentialSubject", "endorsementComment"],
            lang,
        ) {
            items.push_str(&format!("<p><q dir=\"auto\">{}</q></p>", escape(&comment)));
        }
        items.push_str("</li>\n");
    }
    if items.is_empty() {
        return items;
    }
    format!(
        "<h2>{}</h2>\n<p>{}</p>\n<ul class=\"endorsements\">\n{items}</ul>\n",
        escape(m.t("endorsements.title")),
        escape(m.t("claim.endorsements.lead")),
    )
}

fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = current.get(*key)?;
    }
    current.as_str()
}

/// The text at `path`: a string, or among language value objects the one in `lang` (the
/// core's [`verify::localized_text`]).
fn text_in(value: &Value, path: &[&str], lang: Option<&str>) -> Option<String> {
    let mut current = value;
    for key in path {
        current = current.get(*key)?;
    }
    verify::localized_text(current, lang).filter(|s| !s.trim().is_empty())
}

/// The "add to your wallet" section: the by-value offer's QR code and a same-device link. The
/// transaction code is never shown here (it reaches the learner on another channel).
fn wallet_section(m: &Messages<'_>, offer: &oid4vci::MintedOffer, minutes: u32) -> String {
    let uri = escape(&offer.uri);
    let mut section = format!("<h2>{}</h2>\n", escape(m.t("offer.title")));
    section.push_str(&format!(
        "<p>{}</p>\n",
        page::fill(
            m,
            "offer.lead",
            &[("openid", &page::bdi(m.t("offer.openid")))]
        )
    ));
    match super::badge::qr_svg(&offer.uri) {
        Ok(svg) => section.push_str(&format!(
            "<figure class=\"qr\" role=\"img\" aria-label=\"{label}\">{svg}\
             <figcaption>{caption}</figcaption></figure>\n",
            label = escape(m.t("offer.qr_label")),
            caption = escape(m.t("offer.qr_caption")),
        )),
        Err(e) => tracing::warn!(error = %e, "cannot draw the credential offer QR code"),
    }
    section.push_str(&format!(
        "<p><a class=\"wallet\" href=\"{uri}\">{open}</a> {device}</p>\n",
        open = escape(m.t("offer.open")),
        device = escape(m.t("offer.this_device")),
    ));
    let mut note = escape(&m.format(
        "offer.once",
        &[("minutes", &m.number(&minutes.to_string()))],
    ));
    if offer.needs_tx_code() {
        note.push(' ');
        note.push_str(&escape(m.t("offer.tx_code")));
    }
    section.push_str(&format!("<p>{note}</p>\n"));
    section
}

/// A scope in the reader's words.
pub(crate) fn scope_words<'a>(m: &Messages<'a>, scope: passerelle_core::obapi::Scope) -> &'a str {
    use passerelle_core::obapi::Scope;
    m.t(match scope {
        Scope::CredentialReadonly => "scope.credential_readonly",
        Scope::CredentialUpsert => "scope.credential_upsert",
        Scope::ProfileReadonly => "scope.profile_readonly",
        Scope::ProfileUpdate => "scope.profile_update",
        // A scope added to the core later: its English words until this layer has them.
        _ => return scope.plain_words(),
    })
}

/// "Apps connected to your badges": the learner's live OB 3.0 API grants, each with a
/// disconnect form (its CSRF token a keyed MAC of the claim token's hash and the grant id; the
/// page's language travels in a hidden field so the page comes back in it).
fn apps_section(
    m: &Messages<'_>,
    state: &AppState,
    token: &str,
    grants: &[GrantView],
    notice: bool,
) -> String {
    let mut section = format!("<h2>{}</h2>\n", escape(m.t("apps.title")));
    if notice {
        section.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            escape(m.t("apps.disconnected"))
        ));
    }
    if grants.is_empty() {
        section.push_str(&format!("<p>{}</p>\n", escape(m.t("apps.none"))));
        return section;
    }
    section.push_str(&format!(
        "<p>{}</p>\n<ul class=\"apps\">\n",
        escape(m.t("apps.lead"))
    ));
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
            .map(|scope| scope_words(m, scope))
            .collect();
        let since = page::time(m, &grant.created_at.to_rfc3339());
        let last = grant.last_used_at.map_or_else(
            || escape(m.t("apps.never")),
            |at| page::time(m, &at.to_rfc3339()),
        );
        let csrf = crate::obapi::disconnect_csrf(&state.issuer, token, &grant.id);
        section.push_str(&format!(
            "<li><p><strong>{name}</strong> (<span class=\"id\">{host}</span>) — {scopes}</p>\
             <p>{since}</p>\n<form method=\"post\" action=\"/claim/{token}/apps/{id}/disconnect\">\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
             <button>{disconnect}</button></form></li>\n",
            name = page::bdi(&grant.client_name),
            host = escape(&host),
            scopes = escape(&scopes.join(", ")),
            since = page::fill(m, "apps.since", &[("since", &since), ("last", &last)]),
            token = escape(token),
            id = escape(&grant.id),
            csrf = escape(&csrf),
            lang = escape(m.lang()),
            disconnect = page::fill(
                m,
                "apps.disconnect",
                &[("name", &page::bdi(&grant.client_name))]
            ),
        ));
    }
    section.push_str("</ul>\n");
    section
}

fn render(
    m: &Messages<'_>,
    state: &AppState,
    token: &str,
    c: &IssuedCredential,
    offer: Option<&oid4vci::MintedOffer>,
    apps: &str,
) -> Response {
    let lang = Some(m.lang());
    let doc = credential_document(&c.credential);
    let achievement = doc
        .get("credentialSubject")
        .and_then(|s| s.get("achievement"))
        .unwrap_or(&Value::Null);
    let badge = text_in(&doc, &["name"], lang)
        .or_else(|| text_in(achievement, &["name"], lang))
        .unwrap_or_else(|| m.t("claim.unnamed_badge").to_owned());
    let issuer = text_in(&doc, &["issuer", "name"], lang)
        .unwrap_or_else(|| m.t("claim.unnamed_issuer").to_owned());
    let achievement_name = text_in(achievement, &["name"], lang).unwrap_or_else(|| badge.clone());
    let description = text_in(achievement, &["description"], lang);
    let criteria = text_in(achievement, &["criteria", "narrative"], lang);
    let issued = text_at(&doc, &["validFrom"]).or_else(|| text_at(&doc, &["issuanceDate"]));
    let awarded = text_at(&doc, &["awardedDate"]);
    let until = text_at(&doc, &["validUntil"]);
    let image = text_at(achievement, &["image", "id"]).filter(|src| {
        src.starts_with("data:image/png;base64,") || src.starts_with("data:image/svg+xml;base64,")
    });
    let caption = text_in(achievement, &["image", "caption"], lang)
        .unwrap_or_else(|| achievement_name.clone());

    let mut body = String::new();
    body.push_str(&format!(
        "<h1><span class=\"text\" dir=\"auto\">{}</span></h1>\n",
        escape(&badge)
    ));
    let standing = if c.revoked_at.is_some() {
        Some(("claim.revoked.title", "claim.revoked.text"))
    } else if c.suspended {
        Some(("claim.suspended.title", "claim.suspended.text"))
    } else {
        None
    };
    if let Some((title, text)) = standing {
        body.push_str(&format!(
            "<p class=\"status\" role=\"status\"><strong>{}</strong> {}</p>\n",
            escape(m.t(title)),
            escape(m.t(text))
        ));
    }
    if let Some(src) = image {
        body.push_str(&format!(
            "<p><img class=\"badge\" src=\"{}\" alt=\"{}\"></p>\n",
            escape(src),
            escape(&m.format("claim.image", &[("caption", &caption)]))
        ));
    }
    body.push_str("<dl>\n");
    let text = |t: &str| format!("<span class=\"text\" dir=\"auto\">{}</span>", escape(t));
    let mut rows: Vec<(String, String)> = vec![
        (escape(m.t("card.issuer")), text(&issuer)),
        (escape(m.t("claim.achievement")), text(&achievement_name)),
    ];
    if let Some(description) = &description {
        rows.push((escape(m.t("claim.description")), text(description)));
    }
    if let Some(criteria) = &criteria {
        rows.push((escape(m.t("claim.criteria")), text(criteria)));
    }
    if let Some(date) = awarded {
        rows.push((escape(m.t("claim.awarded")), page::time(m, date)));
    }
    if let Some(date) = issued {
        rows.push((escape(m.t("card.issued")), page::time(m, date)));
    }
    if let Some(date) = until {
        rows.push((escape(m.t("card.expires")), page::time(m, date)));
    }
    // The details in the reader's language where the credential has it.
    let details = verify::card_details(&doc, lang);
    if let Some(details) = &details {
        rows.extend(detail_rows(m, details));
    }
    for (term, value) in rows {
        body.push_str(&format!("<dt>{term}</dt><dd>{value}</dd>\n"));
    }
    body.push_str("</dl>\n");
    if let Some(details) = &details {
        body.push_str(&details_lists(m, details));
    }
    body.push_str(&endorsements_list(m, &doc));

    let base = format!("/claim/{token}");
    let download = |file: &str, name_key: &str, format_key: &str, after: &str| {
        format!(
            "<li><a href=\"{base}/{file}\" download=\"{download}\">{text}</a> {after}</li>\n",
            download = file.replace("credential.json", "badge.json"),
            text = escape(&m.format(
                "claim.downloads.link",
                &[("name", m.t(name_key)), ("format", m.t(format_key))]
            )),
        )
    };
    body.push_str(&format!(
        "<h2>{}</h2>\n<ul class=\"downloads\">\n",
        escape(m.t("claim.downloads.title"))
    ));
    body.push_str(&download(
        "credential.json",
        "claim.downloads.json",
        "claim.downloads.json_format",
        &format!("— {}", escape(m.t("claim.downloads.json_hint"))),
    ));
    let inside = escape(m.t("claim.downloads.inside"));
    body.push_str(&download(
        "badge.png",
        "claim.downloads.png",
        "claim.downloads.png_format",
        &inside,
    ));
    body.push_str(&download(
        "badge.svg",
        "claim.downloads.svg",
        "claim.downloads.svg_format",
        &inside,
    ));
    let certificate = |paper: &str, key: &str| {
        format!(
            "<a href=\"{base}/certificate.svg?paper={paper}&amp;lang={lang}\" download=\"certificate.svg\">{}</a>",
            escape(m.t(key)),
            lang = m.lang(),
        )
    };
    body.push_str(&format!(
        "<li>{}</li>\n</ul>\n",
        escape(m.t("claim.certificate.line"))
            .replace("{a4}", &certificate("a4", "claim.certificate.a4"))
            .replace(
                "{letter}",
                &certificate("letter", "claim.certificate.letter")
            )
    ));
    if let Some(offer) = offer {
        let minutes = state
            .issuer
            .config()
            .oid4vci
            .pre_authorized_code_ttl_seconds
            .div_ceil(60);
        body.push_str(&wallet_section(m, offer, minutes));
    }
    body.push_str(apps);
    let url = issuance::claim_url(&state.issuer.base_url(), token);
    match super::badge::qr_svg(&url) {
        Ok(svg) => body.push_str(&format!(
            "<h2>{title}</h2>\n<figure class=\"qr\" role=\"img\" aria-label=\"{label}\">{svg}\
             <figcaption>{caption}</figcaption></figure>\n",
            title = escape(m.t("claim.qr.title")),
            label = escape(m.t("claim.qr.label")),
            caption = escape(m.t("claim.qr.caption")),
        )),
        Err(e) => tracing::warn!(error = %e, "cannot draw the claim QR code"),
    }
    html(
        m,
        StatusCode::OK,
        &m.format("claim.title", &[("badge", &badge)]),
        &body,
        Some(&base),
    )
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

/// `GET /claim/{token}`: the page for a browser, in the reader's language (`?lang=`, else
/// `Accept-Language`), the credential for a client that prefers it (content negotiation on
/// `Accept`; every answer says `Vary: Accept, Accept-Language`).
async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let query = uri.query().unwrap_or("");
    let m = page::negotiate(
        &state.messages,
        page::lang_param(query.as_bytes()).as_deref(),
        &headers,
    );
    let here = uri.path();
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
            let notice = url::form_urlencoded::parse(query.as_bytes())
                .any(|(name, value)| name == "notice" && value == "disconnected");
            let apps = apps_section(&m, &state, &token, &grants, notice);
            render(&m, &state, &token, &c, offer.as_ref(), &apps)
        }
        Ok(Redeemed::Unknown) => not_found_page(&m, Some(here)),
        Ok(Redeemed::Expired) => expired_page(&m, Some(here)),
        Err(e) => e.into_response(),
    };
    page::vary(&mut response, "accept, accept-language");
    response
}

async fn download(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
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
        // A download's refusal is a page too (the learner clicked a link): in their language,
        // its switcher pointing at the claim page.
        Ok(Redeemed::Unknown) => {
            let m = page::negotiate(&state.messages, None, headers);
            not_found_page(&m, Some(&format!("/claim/{token}")))
        }
        Ok(Redeemed::Expired) => {
            let m = page::negotiate(&state.messages, None, headers);
            expired_page(&m, Some(&format!("/claim/{token}")))
        }
        Err(e) => e.into_response(),
    }
}

fn forbidden_page(m: &Messages<'_>, claim_page: &str) -> Response {
    message_page(
        m,
        StatusCode::FORBIDDEN,
        "claim.forbidden.title",
        "claim.forbidden.text",
        Some(claim_page),
    )
}

/// `POST /claim/{token}/apps/{grant_id}/disconnect`: revokes one of the learner's grants, then
/// 303 back to the claim page with a notice.
async fn disconnect(
    State(state): State<AppState>,
    Path((token, grant_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // The form carries the page's language, so every answer (and the page it returns to) keeps it.
    let lang = page::lang_param(&body);
    let m = page::negotiate(&state.messages, lang.as_deref(), &headers);
    let claim_page = format!("/claim/{token}");
    let c = match redeem(&state, &token).await {
        Ok(Redeemed::Found(c)) => c,
        Ok(Redeemed::Unknown) => return not_found_page(&m, Some(&claim_page)),
        Ok(Redeemed::Expired) => return expired_page(&m, Some(&claim_page)),
        Err(e) => return e.into_response(),
    };
    let presented = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !crate::obapi::disconnect_csrf_matches(&state.issuer, &token, &grant_id, &presented) {
        return forbidden_page(&m, &claim_page);
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
        "{}/claim/{token}?notice=disconnected&lang={}",
        state.issuer.base_url(),
        m.lang()
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    private_headers(&mut response);
    response
}

async fn credential_json(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    download(&state, &token, &headers, |c| Ok(credential_body(c))).await
}

async fn badge_png(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    download(&state, &token, &headers, |c| {
        super::badge::baked_png(c).map(|bytes| ("image/png", bytes))
    })
    .await
}

async fn badge_svg(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    download(&state, &token, &headers, |c| {
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
    headers: HeaderMap,
) -> Response {
    let query = uri.query().unwrap_or("").as_bytes();
    let lang = page::lang_param(query);
    let m = page::negotiate(&state.messages, lang.as_deref(), &headers);
    let requested = url::form_urlencoded::parse(query)
        .find(|(name, _)| name == "paper")
        .map(|(_, value)| value.into_owned());
    let paper = match requested.as_deref().map(str::parse::<Paper>) {
        None => Paper::A4,
        Some(Ok(paper)) => paper,
        Some(Err(e)) => {
            let title = m.t("claim.certificate.bad_paper.title");
            return html(
                &m,
                StatusCode::BAD_REQUEST,
                title,
                &format!(
                    "<h1>{}</h1>\n<p>{}</p>\n<p lang=\"en\" dir=\"ltr\">{}</p>",
                    escape(title),
                    escape(m.t("claim.certificate.bad_paper.text")),
                    escape(&e.to_string())
                ),
                Some(&format!("/claim/{token}")),
            );
        }
    };
    let labels = crate::i18n::certificate_labels(&m);
    let mut response = download(&state, &token, &headers, |c| {
        let mut input = CertificateInput::from_credential(&c.credential, None);
        input.date = input.date.as_deref().map(|d| m.date(d));
        certificate::render(&input, paper, &labels)
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
    fn the_card_says_when_the_badge_is_not_in_the_pages_language() {
        let all = crate::i18n::builtin().unwrap();
        let details = CardDetails {
            text_language: Some("en".into()),
            related: vec![verify::RelatedDetail {
                id: "https://learn.example/fr/data-101".into(),
                language: Some("fr-FR".into()),
                version: Some("2".into()),
            }],
            ..CardDetails::default()
        };
        let french = detail_rows(&all.negotiate(Some("fr"), None), &details);
        assert!(
            french.contains(&(
                "Langue".to_owned(),
                "Le texte du badge est en anglais ; l’attestation n’en donne pas de version en \
                 français."
                    .to_owned()
            )),
            "{french:?}"
        );
        assert!(
            french.iter().any(|(label, html)| label == "Autres versions"
                && html.contains("href=\"https://learn.example/fr/data-101\"")
                && html.contains(">français</a> (version 2)")),
            "{french:?}"
        );
        // In the badge's own language, nothing to say about it.
        let english = detail_rows(&all.negotiate(Some("en"), None), &details);
        assert!(
            english.iter().all(|(label, _)| label != "Language"),
            "{english:?}"
        );
    }

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
