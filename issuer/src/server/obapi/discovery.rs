//! `GET /ims/ob/v3p0/discovery`: the service description document (OB 3.0 §6.2, the
//! profiled OpenAPI document of the core's [`service_description`]), with the issuer's name,
//! the `[ob_api]` terms of service and privacy policy, and this server's OAuth endpoints.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use passerelle_core::obapi::{service_description, ProviderDescription};

use crate::obapi::SUPPORTED;
use crate::server::AppState;

/// The document's `info.version`: of this provider's API document, not of the spec.
pub const DOCUMENT_VERSION: &str = "1.0";

/// The URL of one of this server's endpoints below the base URL.
pub(crate) fn endpoint(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

pub(super) async fn document(State(state): State<AppState>) -> Response {
    let base = state.issuer.base_url();
    let config = state.issuer.config();
    let registration = endpoint(&base, "/oauth/register");
    let authorization = endpoint(&base, "/oauth/authorize");
    let token = endpoint(&base, "/oauth/token");
    let description = ProviderDescription {
        base_url: &base,
        title: &config.name,
        version: DOCUMENT_VERSION,
        terms_of_service: config.ob_api.terms_of_service(&config.url),
        privacy_policy: config.ob_api.privacy_policy(&config.url),
        image: None,
        registration_url: &registration,
        authorization_url: &authorization,
        token_url: &token,
        supported: &SUPPORTED,
    };
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        service_description(&description).to_string(),
    )
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
