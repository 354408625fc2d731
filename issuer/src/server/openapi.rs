//! The OpenAPI 3.1 document of the admin API (`GET /api/v1/openapi.json`), written by hand in
//! `openapi.json` next to this file; it also describes the public OpenID4VCI endpoints. A test
//! checks that its paths and methods are exactly the router's [`super::api_routes`] and
//! [`super::oid4vci::route_table`].

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The document's text.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub(super) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}

/// Every `(method, path)` the document describes, methods lower-case, sorted.
pub fn operations() -> Result<Vec<(String, String)>, serde_json::Error> {
    let doc: serde_json::Value = serde_json::from_str(DOCUMENT)?;
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
                if item.get(method).is_some() {
                    out.push((method.to_owned(), path.clone()));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_and_router_describe_the_same_operations() {
        let documented = operations().unwrap();
        let mut routed: Vec<(String, String)> = super::super::api_routes()
            .iter()
            .map(|r| (r.method.to_owned(), r.path.to_owned()))
            .collect();
        // The public OpenID4VCI endpoints, for an issuer URL without a path.
        routed.extend(
            super::super::oid4vci::route_table("https://learn.example")
                .into_iter()
                .map(|(method, path)| (method.to_owned(), path)),
        );
        routed.sort();
        assert_eq!(documented, routed);
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
