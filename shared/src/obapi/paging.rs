//! getCredentials paging (OB 3.0 §6.2: `limit`, `offset`, `since`, the `X-Total-Count` header
//! and `Link` relations `next`, `last`, `first`, `prev` of RFC 8288), and its response body
//! (`GetOpenBadgeCredentialsResponse`).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Value};
use url::Url;

use super::ObApiError;

/// `limit` when the request gives none.
pub const DEFAULT_LIMIT: u64 = 25;
/// The largest page; a larger `limit` is clamped to it, not refused.
pub const MAX_LIMIT: u64 = 100;

const DOCUMENT: &str = "the getCredentials response";

/// The paging parameters of a getCredentials request, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=[`MAX_LIMIT`].
    pub limit: u64,
    pub offset: u64,
    /// Only credentials issued strictly after this instant.
    pub since: Option<DateTime<Utc>>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
            since: None,
        }
    }
}

impl PageRequest {
    /// Reads `limit`, `offset` and `since` from the decoded query pairs (other parameters are
    /// ignored). A parameter given twice, empty, not a number, `limit` < 1 or a `since` that is
    /// not an ISO 8601 date-time is refused, naming the parameter (the OpenAPI's
    /// `allowEmptyValue: false` and `minimum`); `limit` above [`MAX_LIMIT`] is clamped.
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ObApiError> {
        let mut request = PageRequest::default();
        let mut seen = [false; 3];
        for (name, value) in pairs {
            let (slot, name) = match name {
                "limit" => (0, "limit"),
                "offset" => (1, "offset"),
                "since" => (2, "since"),
                _ => continue,
            };
            let refuse = |expected| ObApiError::QueryParameter {
                name,
                value: value.chars().take(64).collect(),
                expected,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(refuse("at most once"));
            }
            match name {
                "limit" => {
                    let limit =
                        parse_count(value).ok_or_else(|| refuse("an integer of 1 or more"))?;
                    if limit < 1 {
                        return Err(refuse("an integer of 1 or more"));
                    }
                    request.limit = limit.min(MAX_LIMIT);
                }
                "offset" => {
                    request.offset =
                        parse_count(value).ok_or_else(|| refuse("an integer of 0 or more"))?;
                }
                _ => {
                    request.since = Some(parse_since(value)?);
                }
            }
        }
        Ok(request)
    }
}

/// A non-negative decimal integer of at most 18 digits (`+`, `-`, spaces and the rest refused).
fn parse_count(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > 18 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Reads a `since` value: RFC 3339 / ISO 8601 `YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm]`; without an
/// offset it is UTC.
pub fn parse_since(value: &str) -> Result<DateTime<Utc>, ObApiError> {
    let refuse = || ObApiError::QueryParameter {
        name: "since",
        value: value.chars().take(64).collect(),
        expected: "an ISO 8601 date-time YYYY-MM-DDThh:mm:ss, with an optional fraction and offset",
    };
    if value.len() > 40 || !value.is_ascii() {
        return Err(refuse());
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        // RFC 3339 also allows a space or a lower-case t between date and time; ISO 8601's
        // basic form needs the T, so keep to it.
        if value.as_bytes().get(10) == Some(&b'T') {
            return Ok(at.with_timezone(&Utc));
        }
        return Err(refuse());
    }
    NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .map_err(|_| refuse())
}

/// The RFC 8288 `Link` header value for one page: `next` (when there is a page after this one),
/// `last` and `first` (always), `prev` (when `offset` > 0). Each URL is `resource_url` with its
/// other query parameters (such as `since`) kept and `limit` and `offset` set. A `limit` of 0 is
/// read as 1.
pub fn pagination_links(resource_url: &Url, limit: u64, offset: u64, total: u64) -> String {
    let limit = limit.max(1);
    let last = if total == 0 {
        0
    } else {
        ((total - 1) / limit) * limit
    };
    let mut links = Vec::with_capacity(4);
    if offset.saturating_add(limit) < total {
        links.push(("next", offset + limit));
    }
    links.push(("last", last));
    links.push(("first", 0));
    if offset > 0 {
        links.push(("prev", offset.saturating_sub(limit)));
    }
    links
        .into_iter()
        .map(|(rel, at)| format!("<{}>; rel=\"{rel}\"", page_url(resource_url, limit, at)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn page_url(resource_url: &Url, limit: u64, offset: u64) -> Url {
    let kept: Vec<(String, String)> = resource_url
        .query_pairs()
        .filter(|(name, _)| name != "limit" && name != "offset")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut url = resource_url.clone();
    url.set_fragment(None);
    url.set_query(None);
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in &kept {
            query.append_pair(name, value);
        }
        query.append_pair("limit", &limit.to_string());
        query.append_pair("offset", &offset.to_string());
    }
    url
}

/// Reads `Link` header values (RFC 8288 §3): `(rel, target)` for each relation type, lower-cased,
/// in order. Tolerant: several values joined with `,` (several headers), several relation types
/// in one `rel` (`rel="next last"`), quoted or bare parameter values, spaces anywhere, commas and
/// semicolons inside `<…>` or quotes. A link without `rel` is skipped, as is a malformed one;
/// only the first `rel` of a link counts (§3.3). Targets are returned as written.
pub fn parse_link_header(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Skip to the next '<' that starts a link-value.
        match bytes[i] {
            b'<' => {}
            _ => {
                i += 1;
                continue;
            }
        }
        let Some(end) = value[i + 1..].find('>') else {
            break;
        };
        let target = value[i + 1..i + 1 + end].trim().to_owned();
        i = i + 1 + end + 1;
        let mut rel: Option<String> = None;
        // Parameters until the ',' that ends this link-value.
        loop {
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b',' {
                break;
            }
            if bytes[i] != b';' {
                // Malformed: skip this link-value up to the next ',' outside quotes.
                i = skip_to_comma(value, i);
                rel = None;
                break;
            }
            i += 1;
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                i += 1;
            }
            let name_start = i;
            while i < bytes.len() && !matches!(bytes[i], b'=' | b';' | b',' | b' ' | b'\t') {
                i += 1;
            }
            let name = value[name_start..i].to_ascii_lowercase();
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                i += 1;
            }
            let mut param_value = String::new();
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' && i + 1 < bytes.len() {
                            i += 1;
                        }
                        // Push whole characters: `i` only ever stops on ASCII bytes.
                        let ch_len = utf8_len(bytes[i]);
                        param_value.push_str(&value[i..(i + ch_len).min(bytes.len())]);
                        i += ch_len;
                    }
                    i = (i + 1).min(bytes.len());
                } else {
                    let start = i;
                    while i < bytes.len() && !matches!(bytes[i], b';' | b',' | b' ' | b'\t') {
                        i += 1;
                    }
                    param_value.push_str(&value[start..i]);
                }
            }
            if name == "rel" && rel.is_none() {
                rel = Some(param_value);
            }
        }
        if let Some(rel) = rel {
            for relation in rel.split_ascii_whitespace() {
                out.push((relation.to_ascii_lowercase(), target.clone()));
            }
        }
        if i < bytes.len() && bytes[i] == b',' {
            i += 1;
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn skip_to_comma(value: &str, mut i: usize) -> usize {
    let bytes = value.as_bytes();
    let mut quoted = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b',' if !quoted => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The target of relation `rel` in `Link` header values, resolved against the URL of the
/// request that returned them (RFC 8288 §3.1). The first such link counts.
pub fn find_link(header_values: &str, rel: &str, request_url: &Url) -> Option<Url> {
    parse_link_header(header_values)
        .into_iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(rel))
        .and_then(|(_, target)| request_url.join(&target).ok())
}

/// One page of a getCredentials response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CredentialsPage {
    /// Credentials as JSON (secured with an embedded proof).
    pub credential: Vec<Value>,
    /// Credentials as compact JWS strings (VC-JWT).
    pub compact_jws: Vec<String>,
}

/// The response body: `{"credential": [...]}`, with `compactJwsString` when there are JWSs
/// (the member name of the normative schema).
pub fn credentials_response(page: &CredentialsPage) -> Value {
    let mut body = json!({ "credential": page.credential });
    if !page.compact_jws.is_empty() {
        body["compactJwsString"] = json!(page.compact_jws);
    }
    body
}

/// Reads a response body. Both `compactJwsString` (the schema) and `compactJwsStrings` (the
/// spec's prose example) are read, the plural with a warning; members the schema does not
/// define are ignored with a warning. Each `credential` item must be an object and each JWS
/// must have the compact shape of the schema's pattern.
pub fn parse_credentials_response(
    doc: &Value,
) -> Result<(CredentialsPage, Vec<String>), ObApiError> {
    let member = |name: String, expected: String| ObApiError::Member {
        document: DOCUMENT,
        member: name,
        expected,
    };
    let Some(object) = doc.as_object() else {
        return Err(member(
            "(the document)".into(),
            format!(
                "must be a JSON object, not {}",
                crate::input::json_type_name(doc)
            ),
        ));
    };
    let mut warnings = Vec::new();
    let mut page = CredentialsPage::default();
    for (name, value) in object {
        match name.as_str() {
            "credential" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| member(name.clone(), "must be an array".into()))?;
                for (index, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        return Err(member(
                            format!("credential[{index}]"),
                            format!(
                                "must be a credential object, not {}",
                                crate::input::json_type_name(item)
                            ),
                        ));
                    }
                    page.credential.push(item.clone());
                }
            }
            "compactJwsString" | "compactJwsStrings" => {
                if name == "compactJwsStrings" {
                    warnings.push(
                        "the provider names the JWS list compactJwsStrings; the schema's name is compactJwsString"
                            .into(),
                    );
                }
                let items = value
                    .as_array()
                    .ok_or_else(|| member(name.clone(), "must be an array of strings".into()))?;
                for (index, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(jws) if is_compact_jws(jws) => page.compact_jws.push(jws.to_owned()),
                        _ => {
                            return Err(member(
                                format!("{name}[{index}]"),
                                "must be a compact JWS (three base64url parts, the middle one may be empty)"
                                    .into(),
                            ))
                        }
                    }
                }
            }
            other => warnings.push(format!(
                "member {:?} is not part of GetOpenBadgeCredentialsResponse; ignored",
                other.chars().take(64).collect::<String>()
            )),
        }
    }
    Ok((page, warnings))
}

/// The schema's pattern `^[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]*\.[a-zA-Z0-9_-]+$`.
fn is_compact_jws(s: &str) -> bool {
    let b64 = |part: &str| {
        part.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let mut parts = s.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => {
            !header.is_empty()
                && !signature.is_empty()
                && b64(header)
                && b64(payload)
                && b64(signature)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://learn.example/ims/ob/v3p0/credentials").unwrap()
    }

    fn links(limit: u64, offset: u64, total: u64) -> Vec<(String, String)> {
        parse_link_header(&pagination_links(&url(), limit, offset, total))
    }

    fn offsets(limit: u64, offset: u64, total: u64) -> Vec<(String, u64)> {
        links(limit, offset, total)
            .into_iter()
            .map(|(rel, target)| {
                let target = Url::parse(&target).unwrap();
                let at = target
                    .query_pairs()
                    .find(|(n, _)| n == "offset")
                    .unwrap()
                    .1
                    .parse()
                    .unwrap();
                assert_eq!(
                    target.query_pairs().find(|(n, _)| n == "limit").unwrap().1,
                    limit.max(1).to_string()
                );
                (rel, at)
            })
            .collect()
    }

    fn rels(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|(r, o)| ((*r).to_owned(), *o)).collect()
    }

    #[test]
    fn link_relations_over_pages() {
        // (limit, offset, total) → relations and their offsets.
        type Case = ((u64, u64, u64), Vec<(&'static str, u64)>);
        let cases: Vec<Case> = vec![
            // No credentials at all: one empty page.
            ((25, 0, 0), vec![("last", 0), ("first", 0)]),
            // One partial page.
            ((25, 0, 3), vec![("last", 0), ("first", 0)]),
            // Exactly one full page: no next.
            ((2, 0, 2), vec![("last", 0), ("first", 0)]),
            // Exact multiple: 4 items, pages of 2.
            ((2, 0, 4), vec![("next", 2), ("last", 2), ("first", 0)]),
            ((2, 2, 4), vec![("last", 2), ("first", 0), ("prev", 0)]),
            // Not a multiple: 5 items, pages of 2 → offsets 0, 2, 4.
            ((2, 0, 5), vec![("next", 2), ("last", 4), ("first", 0)]),
            (
                (2, 2, 5),
                vec![("next", 4), ("last", 4), ("first", 0), ("prev", 0)],
            ),
            ((2, 4, 5), vec![("last", 4), ("first", 0), ("prev", 2)]),
            // An offset not on a page boundary, and one past the end.
            (
                (2, 1, 5),
                vec![("next", 3), ("last", 4), ("first", 0), ("prev", 0)],
            ),
            ((2, 9, 5), vec![("last", 4), ("first", 0), ("prev", 7)]),
            // limit 0 is read as 1.
            ((0, 0, 2), vec![("next", 1), ("last", 1), ("first", 0)]),
        ];
        for ((limit, offset, total), expected) in cases {
            assert_eq!(
                offsets(limit, offset, total),
                rels(&expected),
                "limit {limit} offset {offset} total {total}"
            );
        }
        // No overflow at the edges.
        let _ = pagination_links(&url(), u64::MAX, u64::MAX, u64::MAX);
    }

    #[test]
    fn other_query_parameters_are_kept_and_paging_ones_replaced() {
        let url = Url::parse("https://learn.example/ims/ob/v3p0/credentials?since=2026-01-01T00:00:00Z&limit=7&offset=3").unwrap();
        let header = pagination_links(&url, 2, 2, 5);
        let parsed = parse_link_header(&header);
        let next = Url::parse(&parsed[0].1).unwrap();
        let pairs: Vec<(String, String)> = next
            .query_pairs()
            .map(|(a, b)| (a.into(), b.into()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("since".to_owned(), "2026-01-01T00:00:00Z".to_owned()),
                ("limit".to_owned(), "2".to_owned()),
                ("offset".to_owned(), "4".to_owned())
            ]
        );
        assert!(header.starts_with("<https://learn.example/ims/ob/v3p0/credentials?since=2026-01-01T00%3A00%3A00Z&limit=2&offset=4>; rel=\"next\", "), "{header}");
    }

    #[test]
    fn link_headers_are_read_tolerantly() {
        let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("<https://a.example/1>; rel=\"next\"", vec![("next", "https://a.example/1")]),
            ("<https://a.example/1>;rel=next", vec![("next", "https://a.example/1")]),
            ("  < https://a.example/1 >  ;  REL = \"Next\"  ", vec![("next", "https://a.example/1")]),
            (
                "<https://a.example/1>; rel=\"next last\", <https://a.example/0>; rel=first",
                vec![("next", "https://a.example/1"), ("last", "https://a.example/1"), ("first", "https://a.example/0")],
            ),
            // Two headers joined, commas and semicolons inside the URL and in a quoted title.
            (
                "<https://a.example/x?a=1,2;b>; title=\"a, b; c\"; rel=\"next\",<https://a.example/y>; rel=\"prev\"",
                vec![("next", "https://a.example/x?a=1,2;b"), ("prev", "https://a.example/y")],
            ),
            // Only the first rel counts; a link without rel is skipped.
            ("<https://a.example/1>; rel=next; rel=prev, <https://a.example/2>; type=\"text/html\"", vec![("next", "https://a.example/1")]),
            // Relative targets are returned as written.
            ("</credentials?offset=2>; rel=\"next\"", vec![("next", "/credentials?offset=2")]),
            // Escaped quote in a quoted value.
            ("<https://a.example/1>; title=\"say \\\"hi\\\", ok\"; rel=next", vec![("next", "https://a.example/1")]),
            // Malformed pieces are skipped without losing the rest.
            ("<https://a.example/1> junk; rel=next, <https://a.example/2>; rel=last", vec![("last", "https://a.example/2")]),
            ("<https://a.example/1; rel=next", vec![]),
            ("", vec![]),
            ("rel=next", vec![]),
            (",,,", vec![]),
            ("<https://a.example/é>; rel=\"nëxt\"", vec![("nëxt", "https://a.example/é")]),
        ];
        for (header, expected) in cases {
            let expected: Vec<(String, String)> = expected
                .into_iter()
                .map(|(r, u)| (r.to_owned(), u.to_owned()))
                .collect();
            assert_eq!(parse_link_header(header), expected, "{header}");
        }
    }

    #[test]
    fn find_link_resolves_against_the_request() {
        let request = Url::parse("https://learn.example/ims/ob/v3p0/credentials?limit=2").unwrap();
        let header = "</ims/ob/v3p0/credentials?limit=2&offset=2>; rel=\"next\", <https://learn.example/x>; rel=last";
        assert_eq!(
            find_link(header, "next", &request).unwrap().as_str(),
            "https://learn.example/ims/ob/v3p0/credentials?limit=2&offset=2"
        );
        assert_eq!(
            find_link(header, "LAST", &request).unwrap().as_str(),
            "https://learn.example/x"
        );
        assert_eq!(find_link(header, "prev", &request), None);
    }

    #[test]
    fn page_requests_from_the_query() {
        type Case = (
            Vec<(&'static str, &'static str)>,
            (u64, u64, Option<&'static str>),
        );
        let ok: Vec<Case> = vec![
            (vec![], (25, 0, None)),
            (vec![("limit", "1"), ("offset", "0")], (1, 0, None)),
            (vec![("limit", "100")], (100, 0, None)),
            (vec![("limit", "101")], (100, 0, None)),
            (vec![("limit", "999999999999")], (100, 0, None)),
            (vec![("offset", "40"), ("other", "x")], (25, 40, None)),
            (
                vec![("since", "2026-01-02T03:04:05Z")],
                (25, 0, Some("2026-01-02T03:04:05+00:00")),
            ),
        ];
        for (pairs, (limit, offset, since)) in ok {
            let request = PageRequest::from_query(pairs.iter().copied()).unwrap();
            assert_eq!(
                (request.limit, request.offset),
                (limit, offset),
                "{pairs:?}"
            );
            assert_eq!(
                request.since.map(|s| s.to_rfc3339()),
                since.map(str::to_owned),
                "{pairs:?}"
            );
        }
        let bad: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("limit", "0")], "limit"),
            (vec![("limit", "-1")], "limit"),
            (vec![("limit", "")], "limit"),
            (vec![("limit", "ten")], "limit"),
            (vec![("limit", "1.5")], "limit"),
            (vec![("limit", "+5")], "limit"),
            (vec![("limit", " 5")], "limit"),
            (vec![("limit", "1"), ("limit", "2")], "limit"),
            (vec![("offset", "-1")], "offset"),
            (vec![("offset", "x")], "offset"),
            (vec![("offset", "9999999999999999999999")], "offset"),
            (vec![("since", "yesterday")], "since"),
            (vec![("since", "")], "since"),
            (vec![("since", "2026-13-01T00:00:00Z")], "since"),
            (vec![("since", "2026-01-01")], "since"),
            (vec![("since", "2026-01-01 00:00:00Z")], "since"),
        ];
        for (pairs, parameter) in bad {
            match PageRequest::from_query(pairs.iter().copied()) {
                Err(ObApiError::QueryParameter { name, .. }) => {
                    assert_eq!(name, parameter, "{pairs:?}")
                }
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn since_forms() {
        let cases = [
            ("2026-01-02T03:04:05", "2026-01-02T03:04:05+00:00"),
            ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05+00:00"),
            ("2026-01-02T03:04:05.250Z", "2026-01-02T03:04:05.250+00:00"),
            ("2026-01-02T03:04:05.5", "2026-01-02T03:04:05.500+00:00"),
            ("2026-01-02T05:04:05+02:00", "2026-01-02T03:04:05+00:00"),
            ("2026-01-01T23:04:05-04:00", "2026-01-02T03:04:05+00:00"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_since(input).unwrap().to_rfc3339(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn response_bodies_both_ways() {
        let page = CredentialsPage {
            credential: vec![json!({"type": ["VerifiableCredential", "OpenBadgeCredential"]})],
            compact_jws: vec![],
        };
        let body = credentials_response(&page);
        assert_eq!(
            body.as_object().unwrap().len(),
            1,
            "no empty compactJwsString"
        );
        assert_eq!(parse_credentials_response(&body).unwrap(), (page, vec![]));

        let empty = credentials_response(&CredentialsPage::default());
        assert_eq!(empty, json!({"credential": []}));

        let jws = "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2ln";
        let page = CredentialsPage {
            credential: vec![],
            compact_jws: vec![jws.into()],
        };
        let body = credentials_response(&page);
        assert_eq!(body["compactJwsString"][0], jws);
        assert_eq!(parse_credentials_response(&body).unwrap().0, page);

        // The prose's plural spelling is read, with a warning.
        let (read, warnings) =
            parse_credentials_response(&json!({"compactJwsStrings": [jws], "credential": []}))
                .unwrap();
        assert_eq!(read.compact_jws, [jws]);
        assert_eq!(warnings.len(), 1);
        // Both members absent: an empty page (both are optional in the schema).
        assert_eq!(
            parse_credentials_response(&json!({})).unwrap().0,
            CredentialsPage::default()
        );
        let (_, warnings) = parse_credentials_response(&json!({"next": "x"})).unwrap();
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn malformed_response_bodies_name_the_member() {
        let cases = [
            (json!([]), "(the document)"),
            (json!({"credential": {}}), "credential"),
            (json!({"credential": ["eyJ.e30.c2ln"]}), "credential[0]"),
            (json!({"compactJwsString": "a.b.c"}), "compactJwsString"),
            (
                json!({"compactJwsString": ["a.b.c", "a.b"]}),
                "compactJwsString[1]",
            ),
            (json!({"compactJwsString": [".b.c"]}), "compactJwsString[0]"),
            (json!({"compactJwsString": ["a.b."]}), "compactJwsString[0]"),
            (
                json!({"compactJwsString": ["a.b.c.d.e"]}),
                "compactJwsString[0]",
            ),
            (
                json!({"compactJwsString": ["a+/.b.c"]}),
                "compactJwsString[0]",
            ),
            (json!({"compactJwsStrings": [1]}), "compactJwsStrings[0]"),
        ];
        for (doc, expected) in cases {
            match parse_credentials_response(&doc) {
                Err(ObApiError::Member { member, .. }) => assert_eq!(member, expected, "{doc}"),
                other => panic!("{doc}: {other:?}"),
            }
        }
        // The middle part may be empty (detached payload), as the pattern allows.
        assert!(parse_credentials_response(&json!({"compactJwsString": ["a..c"]})).is_ok());
    }
}
