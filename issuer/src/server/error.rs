//! The API's one error type and the JSON body extractor that reports rejections the same way.
//!
//! Every error answers `{"error": {"code", "message", "field"}}`. A 4xx says exactly what was
//! wrong (and which field, as a JSON path, when one is at fault); a 5xx says only that something
//! went wrong, and the cause goes to the log.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use passerelle_core::input;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::achievements::AchievementError;
use crate::issuance::IssueError;
use crate::store::StoreError;

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A field of the request is wrong (`field` is a JSON path or a query parameter name).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The request body is not what this endpoint reads.
    #[error("{message}")]
    BadBody { message: String },
    /// No bearer token, or one that is unknown or revoked.
    #[error("a valid API token is required (Authorization: Bearer pat_…)")]
    Unauthorized,
    /// Nothing with this id.
    #[error("no {what} {id:?}")]
    NotFound { what: &'static str, id: String },
    /// The request contradicts the current state.
    #[error("{message}")]
    Conflict { message: String },
    /// The body is larger than this endpoint accepts.
    #[error("the request body is larger than the {limit} bytes this endpoint accepts")]
    TooLarge { limit: usize },
    /// The body's media type is not one this endpoint reads.
    #[error("unsupported content type: expected {expected}")]
    UnsupportedMediaType { expected: &'static str },
    /// The service cannot do this until its operator fixes its setup (the message says how;
    /// it names nothing secret).
    #[error("{message}")]
    Unavailable { message: String },
    /// Our fault: the cause is logged, never sent.
    #[error("internal error")]
    Internal { cause: String },
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal {
            cause: cause.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } | Self::BadBody { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_field",
            Self::BadBody { .. } => "invalid_body",
            Self::Unauthorized => "unauthorized",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::TooLarge { .. } => "too_large",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal { .. } => "internal",
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let message = match self {
            Self::Internal { .. } => "something went wrong on our side; it has been logged".into(),
            other => other.to_string(),
        };
        let field = match self {
            Self::Invalid { field, .. } => Value::String(field.clone()),
            _ => Value::Null,
        };
        json!({ "error": { "code": self.code(), "message": message, "field": field } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal { cause } = &self {
            tracing::error!(%cause, "request failed");
        }
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"passerelle-issuer\""),
            );
        }
        response
    }
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::Invalid { field, reason } => Self::Invalid {
                field,
                message: reason,
            },
            IssueError::NotFound { what, id } => Self::NotFound { what, id },
            IssueError::Conflict { reason } => Self::Conflict { message: reason },
            // Said without the server's paths: the operator's log has the full message.
            IssueError::SchemaMissing { .. } => Self::Unavailable {
                message: "this issuer cannot issue yet: the OB 3.0 JSON Schema that every \
                          credential is checked against is not installed (its operator runs \
                          `passerelle-issuer schema install`)"
                    .into(),
            },
            // The issuer's own setup (e.g. a misconfigured DID, no randomness): our fault, and
            // the log gets the whole chain of causes.
            other => Self::internal(passerelle_core::error_text::error_chain(&other)),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Self::NotFound { what, id },
            StoreError::InvalidId { what, value } => Self::Invalid {
                field: "id".into(),
                message: format!("{value:?} is not a valid {what}"),
            },
            StoreError::Conflict { what, .. } => Self::Conflict {
                message: format!("{what} already exists"),
            },
            other => Self::internal(other),
        }
    }
}

impl From<AchievementError> for ApiError {
    fn from(e: AchievementError) -> Self {
        match e {
            AchievementError::Invalid { field, reason } => Self::Invalid {
                field,
                message: reason,
            },
            other => Self::BadBody {
                message: other.to_string(),
            },
        }
    }
}

/// A JSON body of type `T`: needs `Content-Type: application/json`, fits the route's body
/// limit, and when it does not deserialize the error names the JSON path that failed.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().eq_ignore_ascii_case("application/json"))
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Reads the body, turning the route's size limit into a 413.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    let limit = req
        .extensions()
        .get::<BodyLimit>()
        .map_or(super::DEFAULT_JSON_LIMIT, |l| l.0);
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            ApiError::BadBody {
                message: format!("cannot read the request body: {rejection}"),
            }
        }
    })
}

/// The body limit in force for a route (an extension set with the limit layer, for messages).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Deserializes JSON, naming the path of the first value that does not fit. The text is read
/// by the core's untrusted-JSON entry first: invalid UTF-8 (with its byte offset) and a
/// repeated key (with its path) are refused there. The route's body limit caps the size.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let limits = input::InputLimits {
        max_bytes: usize::MAX,
        ..input::InputLimits::default()
    };
    let document = input::parse_json(bytes, &limits).map_err(|e| ApiError::BadBody {
        message: format!("the body is not valid JSON: {e}"),
    })?;
    match serde_path_to_error::deserialize(document) {
        Ok(value) => Ok(value),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            let field = match missing_field(&message) {
                Some(name) if path == "." => name,
                Some(name) if path != name && !path.ends_with(&format!(".{name}")) => {
                    format!("{path}.{name}")
                }
                _ => path,
            };
            Err(ApiError::Invalid { field, message })
        }
    }
}

/// serde reports a missing or unknown field at the parent's path; take its name from the
/// message.
fn missing_field(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    Some(rest.split('`').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        level: u8,
    }

    #[test]
    fn json_errors_name_the_field() {
        let field = |body: &str| match parse_json::<Sample>(body.as_bytes()) {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(field(r#"{"inner": null}"#), "name");
        assert_eq!(field(r#"{"name": 3}"#), "name");
        assert_eq!(
            field(r#"{"name": "a", "inner": {"level": 300}}"#),
            "inner.level"
        );
        assert_eq!(field(r#"{"name": "a", "extra": 1}"#), "extra");
        assert!(matches!(
            parse_json::<Sample>(b"{"),
            Err(ApiError::BadBody { .. })
        ));
    }

    /// Issue 11: a repeated key (even inside a nested object) and invalid UTF-8 are refused
    /// with where, before the body is mapped to its type (which would keep the last key).
    #[test]
    fn duplicate_keys_and_invalid_utf8_bodies_are_refused_with_where() {
        let message = |body: &[u8]| match parse_json::<Sample>(body) {
            Err(ApiError::BadBody { message }) => message,
            other => panic!("{other:?}"),
        };
        let m = message(br#"{"name": "EVIL before", "name": "a"}"#);
        assert!(m.contains("\"name\" twice") && m.contains("at name"), "{m}");
        let m = message(br#"{"name": "a", "inner": {"level": 1, "level": 1}}"#);
        assert!(m.contains("at inner.level"), "{m}");
        let m = message(b"{\"name\": \"a\xff\"}");
        assert!(m.contains("invalid byte at offset 11"), "{m}");
        assert_eq!(
            ApiError::BadBody { message: m }.status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn internal_errors_say_nothing_internal() {
        let body = ApiError::internal("password=hunter2 at db").body();
        assert!(!body.to_string().contains("hunter2"));
        assert_eq!(body["error"]["code"], "internal");
    }
}
