//! The `imsx_StatusInfo` payload the resource endpoints answer errors with (the OpenAPI schemas
//! `Imsx_StatusInfo`, `Imsx_CodeMinor`, `Imsx_CodeMinorField`).

use serde::{Deserialize, Serialize};

/// The name written in `imsx_codeMinorFieldName`: the system that reports the code.
pub const TARGET_END_SYSTEM: &str = "TargetEndSystem";

/// `imsx_codeMajor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CodeMajor {
    Failure,
    Processing,
    Success,
    Unsupported,
}

/// `imsx_severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    Error,
    Status,
    Warning,
}

macro_rules! code_minor {
    ($($(#[$meta:meta])* $variant:ident => $text:literal, $status:literal;)+) => {
        /// `imsx_codeMinorFieldValue`, spelled as the OpenAPI enumeration spells it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum CodeMinor {
            $($(#[$meta])* #[serde(rename = $text)] $variant,)+
        }

        impl CodeMinor {
            /// Every value, in the enumeration's order.
            pub const ALL: &'static [CodeMinor] = &[$(CodeMinor::$variant,)+];

            /// The value as the enumeration spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CodeMinor::$variant => $text,)+
                }
            }

            /// The HTTP status a response with this code has.
            pub fn http_status(self) -> u16 {
                match self {
                    $(CodeMinor::$variant => $status,)+
                }
            }
        }
    };
}

code_minor! {
    Forbidden => "forbidden", 403;
    Fullsuccess => "fullsuccess", 200;
    InternalServerError => "internal_server_error", 500;
    InvalidData => "invalid_data", 400;
    InvalidQueryParameter => "invalid_query_parameter", 400;
    MisdirectedRequest => "misdirected_request", 421;
    NotAcceptable => "not_acceptable", 406;
    NotAllowed => "not_allowed", 405;
    NotFound => "not_found", 404;
    NotModified => "not_modified", 304;
    ServerBusy => "server_busy", 429;
    Unauthorizedrequest => "unauthorizedrequest", 401;
    Unknown => "unknown", 400;
}

/// `Imsx_StatusInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusInfo {
    #[serde(rename = "imsx_codeMajor")]
    pub code_major: CodeMajor,
    #[serde(rename = "imsx_severity")]
    pub severity: Severity,
    #[serde(
        rename = "imsx_description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    #[serde(
        rename = "imsx_codeMinor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub code_minor: Option<CodeMinorList>,
}

/// `Imsx_CodeMinor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeMinorList {
    #[serde(rename = "imsx_codeMinorField")]
    pub fields: Vec<CodeMinorField>,
}

/// `Imsx_CodeMinorField`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeMinorField {
    #[serde(rename = "imsx_codeMinorFieldName")]
    pub name: String,
    #[serde(rename = "imsx_codeMinorFieldValue")]
    pub value: CodeMinor,
}

impl StatusInfo {
    /// A failure: code major `failure`, severity `error`, the description, and one code minor
    /// field named `TargetEndSystem`.
    pub fn failure(minor: CodeMinor, description: impl Into<String>) -> Self {
        Self {
            code_major: CodeMajor::Failure,
            severity: Severity::Error,
            description: Some(description.into()),
            code_minor: Some(CodeMinorList {
                fields: vec![CodeMinorField {
                    name: TARGET_END_SYSTEM.to_owned(),
                    value: minor,
                }],
            }),
        }
    }

    /// The first code minor value, if any.
    pub fn minor(&self) -> Option<CodeMinor> {
        self.code_minor
            .as_ref()
            .and_then(|list| list.fields.first())
            .map(|field| field.value)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn failure_has_the_schema_shape() {
        let info = StatusInfo::failure(CodeMinor::InvalidQueryParameter, "limit must be 1 or more");
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(
            json,
            json!({
                "imsx_codeMajor": "failure",
                "imsx_severity": "error",
                "imsx_description": "limit must be 1 or more",
                "imsx_codeMinor": { "imsx_codeMinorField": [
                    { "imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "invalid_query_parameter" }
                ]}
            })
        );
        let back: StatusInfo = serde_json::from_value(json).unwrap();
        assert_eq!(back, info);
        assert_eq!(back.minor(), Some(CodeMinor::InvalidQueryParameter));
    }

    #[test]
    fn code_minor_spellings_are_the_openapi_enumeration() {
        // Imsx_CodeMinorField.imsx_codeMinorFieldValue in the OB 3.0 OpenAPI, in its order.
        let enumeration = [
            "forbidden",
            "fullsuccess",
            "internal_server_error",
            "invalid_data",
            "invalid_query_parameter",
            "misdirected_request",
            "not_acceptable",
            "not_allowed",
            "not_found",
            "not_modified",
            "server_busy",
            "unauthorizedrequest",
            "unknown",
        ];
        let ours: Vec<&str> = CodeMinor::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(ours, enumeration);
        for minor in CodeMinor::ALL {
            assert_eq!(serde_json::to_value(minor).unwrap(), minor.as_str());
        }
        assert_eq!(CodeMinor::Unauthorizedrequest.http_status(), 401);
        assert_eq!(CodeMinor::Forbidden.http_status(), 403);
        assert_eq!(CodeMinor::NotAllowed.http_status(), 405);
    }

    #[test]
    fn the_schema_forbids_other_members_and_values() {
        for bad in [
            json!({"imsx_codeMajor": "failure"}),
            json!({"imsx_codeMajor": "FAILURE", "imsx_severity": "error"}),
            json!({"imsx_codeMajor": "failure", "imsx_severity": "error", "extra": 1}),
            json!({"imsx_codeMajor": "failure", "imsx_severity": "error",
                   "imsx_codeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "x", "imsx_codeMinorFieldValue": "unauthorized"}]}}),
        ] {
            assert!(
                serde_json::from_value::<StatusInfo>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let minimal: StatusInfo =
            serde_json::from_value(json!({"imsx_codeMajor": "success", "imsx_severity": "status"}))
                .unwrap();
        assert_eq!(minimal.minor(), None);
    }
}
