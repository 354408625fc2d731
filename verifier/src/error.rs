//! The service's one error type: what a handler returns when it cannot give its normal answer.
//!
//! `/api/v1/*` answers `{"error": {"code", "message", "field"}}` — the same shape as the
//! issuer's admin API, so a client of both reads one shape. The W3C VC-API endpoints answer RFC
//! 9457 problem details instead (`application/problem+json`), because that specification and
//! its test suite require them: [`AppError::VcApi`]. A 4xx says exactly what was wrong; a 5xx
//! says only that something went wrong, and the cause goes to the log.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::service::{InputProblem, BUSY_RETRY_AFTER_SECS};

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// A member or parameter of the request is wrong (`field` names it when one is at fault).
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// The submitted document or image could not be read.
    #[error("{message}")]
    Unreadable { message: String },
    /// The submitted document or image is larger than this service accepts.
    #[error("{message}")]
    TooLarge { message: String },
    /// Every decode slot is taken: the client should retry after [`BUSY_RETRY_AFTER_SECS`].
    #[error("{message}")]
    Busy { message: String },
    /// The service cannot do this right now (the message says why; it names nothing secret).
    #[error("{message}")]
    Unavailable { message: String },
    /// A malformed W3C VC-API request, answered as problem details.
    #[error("{}", .0.detail)]
    VcApi(VcApiProblem),
    /// Our fault: the cause is logged, never sent.
    #[error("internal error")]
    Internal { cause: String },
}

/// An RFC 9457 problem details object for a VC-API request that cannot be processed (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcApiProblem {
    /// The problem type URL (a W3C one: VC Data Model, VC-API).
    pub type_url: String,
    pub title: &'static str,
    /// The W3C integer code, when the type has one.
    pub code: Option<i32>,
    /// The request member at fault (`options.challenge`, `verifiableCredential`).
    pub field: Option<String>,
    pub detail: String,
}

impl AppError {
    /// A wrong request member.
    pub fn invalid(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } | Self::VcApi(_) => StatusCode::BAD_REQUEST,
            Self::Unreadable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Busy { .. } | Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code in the `/api/v1` body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_field",
            Self::Unreadable { .. } => "unreadable_input",
            Self::TooLarge { .. } => "too_large",
            Self::Busy { .. } => "busy",
            Self::Unavailable { .. } => "unavailable",
            Self::VcApi(_) => "invalid_request",
            Self::Internal { .. } => "internal",
        }
    }

    /// The `/api/v1` JSON body (what every error but [`AppError::VcApi`] answers).
    pub fn body(&self) -> Value {
        let message = match self {
            Self::Internal { .. } => "something went wrong on our side; it has been logged".into(),
            other => other.to_string(),
        };
        let field = match self {
            Self::Invalid { field, .. } => field.clone(),
            Self::VcApi(problem) => problem.field.clone(),
            _ => None,
        };
        json!({ "error": { "code": self.code(), "message": message, "field": field } })
    }
}

impl From<InputProblem> for AppError {
    fn from(problem: InputProblem) -> Self {
        let message = problem.to_string();
        match problem {
            InputProblem::Busy => Self::Busy { message },
            InputProblem::Internal => Self::Internal { cause: message },
            problem if problem.is_too_large() => Self::TooLarge { message },
            _ => Self::Unreadable { message },
        }
    }
}

impl From<VcApiProblem> for AppError {
    fn from(problem: VcApiProblem) -> Self {
        Self::VcApi(problem)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal { cause } = &self {
            // The service keeps no log but its standard error; the cause names no input.
            eprintln!("passerelle-verifier: request failed: {cause}");
        }
        let status = self.status();
        if let Self::VcApi(problem) = &self {
            return problem_details(status, problem);
        }
        let mut response = (status, Json(self.body())).into_response();
        if let Self::Busy { .. } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(BUSY_RETRY_AFTER_SECS),
            );
        }
        response
    }
}

fn problem_details(status: StatusCode, problem: &VcApiProblem) -> Response {
    let mut body = json!({
        "type": problem.type_url,
        "title": problem.title,
        "status": status.as_u16(),
        "detail": problem.detail,
    });
    if let Some(code) = problem.code {
        body["code"] = code.into();
    }
    if let Some(field) = &problem.field {
        body["field"] = field.as_str().into();
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status_code_and_shape() {
        let invalid = AppError::invalid(Some("qr"), "`qr` must be a string");
        assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            invalid.body(),
            json!({"error": {"code": "invalid_field", "message": "`qr` must be a string", "field": "qr"}})
        );
        let internal = AppError::Internal {
            cause: "the check pool is gone".into(),
        };
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !internal.body().to_string().contains("pool"),
            "a 5xx never tells its cause"
        );
        let busy: AppError = InputProblem::Busy.into();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        let response = busy.into_response();
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }
}
