//! The frame of every page the issuer shows a person (the claim page and its error pages, the
//! OB 3.0 API consent page): the language, negotiated from `?lang=` then `Accept-Language`
//! ([`negotiate`]), `<html lang dir>`, a language switcher that keeps the page, and one
//! stylesheet laid out with logical properties so Arabic reads right to left.
//!
//! Bidirectional text: a credential's own words (names, descriptions, comments) may be in
//! another script than the page, so they are isolated inline and take their direction from
//! their first letter (`<span class="text" dir="auto">`, `<bdi>`), while the line keeps the
//! page's alignment (an English name sits at the right of an Arabic page, reading left to
//! right); identifiers, addresses and codes
//! (`code`, `.id`, `a.url`) keep their left-to-right order, set apart from the text around them.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

use super::claim::escape;
use crate::i18n::{Catalogues, Messages};

/// The language of a request: `lang` in the query (or a form), else the best match in
/// `Accept-Language`, else English.
pub fn negotiate<'a>(
    catalogues: &'a Catalogues,
    explicit: Option<&str>,
    headers: &HeaderMap,
) -> Messages<'a> {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    catalogues.negotiate(explicit.filter(|l| !l.is_empty()), accept)
}

/// The `lang` parameter of a query string or form body.
pub fn lang_param(query: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(query)
        .find(|(name, _)| name == "lang")
        .map(|(_, value)| value.into_owned())
}

/// `path?query` without its `lang` parameter: where the switcher's links point, with their
/// own `lang`.
pub fn without_lang(path: &str, query: Option<&str>) -> String {
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(name, _)| name != "lang")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        return path.to_owned();
    }
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in &kept {
        serializer.append_pair(name, value);
    }
    format!("{path}?{}", serializer.finish())
}

/// Responses differ by `Accept-Language` (and, for the claim link, by `Accept`).
pub fn vary(response: &mut Response, on: &'static str) {
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static(on));
}

/// A catalogue text as HTML, its `{placeholders}` replaced by HTML fragments the caller made
/// safe (escaped values, `<bdi>`, links).
pub fn fill(m: &Messages<'_>, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = escape(m.t(key));
    for (name, html) in args {
        text = text.replace(&format!("{{{name}}}"), html);
    }
    text
}

/// Text from a credential or an app inside a sentence of the page: escaped and isolated, its
/// direction its own.
pub fn bdi(text: &str) -> String {
    format!("<bdi>{}</bdi>", escape(text))
}

/// A date (`2026-03-01` or RFC 3339) for people, the ISO form kept in `datetime`; text that is
/// not a date is shown as given.
pub fn time(m: &Messages<'_>, iso: &str) -> String {
    let shown = m.date(iso);
    if shown == iso {
        return format!("<bdi>{}</bdi>", escape(iso));
    }
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape(iso),
        escape(&shown)
    )
}

/// The whole document: `<html lang dir>`, the title, the switcher (links to `switch_to`, the
/// current page without `lang`; none when the page cannot be shown again by a link, e.g. an
/// answer to a form), and `body` inside `<main>`.
pub fn document(m: &Messages<'_>, title: &str, body: &str, switch_to: Option<&str>) -> String {
    let switcher = switch_to
        .map(|target| switcher(m, target))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{switcher}<main>\n{body}\n</main>\n</body>\n</html>\n",
        lang = escape(m.lang()),
        dir = m.dir(),
        title = escape(title),
    )
}

/// Links to every language, each named in its own language and tagged with it; the current
/// one is marked, not linked.
fn switcher(m: &Messages<'_>, target: &str) -> String {
    let join = if target.contains('?') { '&' } else { '?' };
    let mut items = String::new();
    for language in m.languages() {
        let lang = escape(&language.lang);
        let name = escape(&language.name);
        if language.lang == m.lang() {
            items.push_str(&format!(
                "<li><span aria-current=\"true\" lang=\"{lang}\" dir=\"{dir}\">{name}</span></li>",
                dir = language.dir
            ));
        } else {
            items.push_str(&format!(
                "<li><a href=\"{href}\" lang=\"{lang}\" hreflang=\"{lang}\" dir=\"{dir}\">{name}</a></li>",
                href = escape(&format!("{target}{join}lang={}", language.lang)),
                dir = language.dir
            ));
        }
    }
    format!(
        "<header><nav class=\"languages\" aria-label=\"{label}\"><ul>{items}</ul></nav></header>\n",
        label = escape(m.t("page.languages"))
    )
}

/// One stylesheet for every learner page: system fonts, AA contrast, logical properties only
/// (so the layout mirrors right to left), isolation of identifiers and of the credential's text.
const STYLE: &str = "*,*::before,*::after{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"Noto Sans Arabic\",\"Noto Sans CJK SC\",sans-serif;line-height:1.5;margin:0;color:#1b1b1b;background:#f6f6f4}\
header{max-width:42rem;margin:0 auto;padding:.75rem 1.5rem 0}\
.languages ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0}\
.languages span{font-weight:600}\
main{max-width:42rem;margin:1rem auto 2rem;padding:1.5rem;background:#fff;border-radius:.5rem;text-align:start}\
h1{font-size:1.6rem;margin-block:0 1rem}h2{font-size:1.25rem;margin-block:1.5rem .5rem}\
dt{font-weight:600}dd{margin-block:0 .6rem;margin-inline:0}\
ul{padding-inline-start:1.25rem}li{margin-block:.4rem}li p{margin-block:.1rem}\
.status{padding:.6rem;border-radius:.3rem;background:#fdecea;border:1px solid #b3261e}\
.notice{padding:.6rem;border-radius:.3rem;background:#e7f3e8;border:1px solid #1e7a34}\
.error{padding:.6rem;border-radius:.3rem;background:#fdecea;border:1px solid #b3261e}\
.hint{color:#4a5360;font-size:.92rem}\
a{color:#0b57d0}a:focus,button:focus,input:focus{outline:3px solid #b35900;outline-offset:2px}\
figure{margin-inline:0}.qr svg{width:12rem;height:12rem}img.badge{max-width:8rem;height:auto}\
label{display:block;font-weight:600;margin-block-start:1rem}\
input{width:100%;padding:.5rem;font-size:1rem}\
button{margin-block-start:1rem;margin-inline-end:.5rem;padding:.5rem 1rem;font-size:1rem}\
.apps button{margin-block-start:.4rem}\
code,.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}\
code,.id,a.url,time,bdi{unicode-bidi:isolate}\
[dir=rtl] code,[dir=rtl] .id,[dir=rtl] a.url{direction:ltr}\
a.url{overflow-wrap:anywhere}\
.text,q{unicode-bidi:plaintext}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switcher_keeps_the_page_and_drops_the_old_choice() {
        assert_eq!(without_lang("/claim/x", None), "/claim/x");
        assert_eq!(without_lang("/claim/x", Some("lang=fr")), "/claim/x");
        assert_eq!(
            without_lang("/oauth/authorize", Some("client_id=a&lang=fr&state=x%20y")),
            "/oauth/authorize?client_id=a&state=x+y"
        );
        let all = crate::i18n::builtin().unwrap();
        let ar = all.negotiate(Some("ar"), None);
        let html = document(&ar, "t", "b", Some("/oauth/authorize?client_id=a"));
        assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{html}");
        assert!(html.contains(
            "<a href=\"/oauth/authorize?client_id=a&amp;lang=fr\" lang=\"fr\" hreflang=\"fr\" dir=\"ltr\">Français</a>"
        ), "{html}");
        assert!(html.contains("<span aria-current=\"true\" lang=\"ar\" dir=\"rtl\">العربية</span>"));
        assert!(!document(&ar, "t", "b", None).contains("<nav"));
    }

    #[test]
    fn filled_sentences_escape_the_template_and_keep_the_fragments() {
        let all = crate::i18n::builtin().unwrap();
        let en = all.negotiate(Some("en"), None);
        let html = fill(&en, "consent.title", &[("name", &bdi("<b>x</b>"))]);
        assert_eq!(
            html,
            "Connect <bdi>&lt;b&gt;x&lt;/b&gt;</bdi> to your badges"
        );
        assert_eq!(
            time(&en, "2026-03-01"),
            "<time datetime=\"2026-03-01\">1 March 2026</time>"
        );
        assert_eq!(time(&en, "soon"), "<bdi>soon</bdi>");
    }
}
