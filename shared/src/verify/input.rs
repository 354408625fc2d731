//! Reading a credential, presentation or compact JWS from untrusted text.

use serde_json::Value;

use crate::input::{self, InputError, InputLimits};
use crate::jose::{self, ParsedJws, VcForm};
use crate::model::has_type;

/// Why the input could not even be read as a credential, presentation or JWS.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyInputError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("input is neither JSON nor a compact JWS (three base64url parts separated by dots)")]
    UnknownFormat,
    #[error("compact JWS: {0}")]
    Jws(#[from] jose::JoseError),
    #[error("the JWS payload is not a JSON object")]
    JwsPayloadNotObject,
}

/// A document as the user presented it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Presented {
    /// A JSON credential, secured (or not) by embedded Data Integrity proofs.
    Credential(Value),
    /// A JSON Verifiable Presentation.
    Presentation(Value),
    /// A compact JWS: VC-JOSE (the payload is the credential) or VC-JWT 1.1 (`vc` claim).
    Jws(Box<JwsCredential>),
}

/// A credential secured as a compact JWS.
#[derive(Debug, Clone, PartialEq)]
pub struct JwsCredential {
    /// The compact serialization, as given.
    pub compact: String,
    pub parsed: ParsedJws,
    pub form: VcForm,
    /// The credential: the payload (VC-JOSE) or the one rebuilt from the JWT claims (VC-JWT 1.1).
    /// `None` when the VC-JWT 1.1 claims contradict each other (reported by [`check`]).
    pub credential: Option<Value>,
    /// Why the credential could not be rebuilt from VC-JWT 1.1 claims.
    pub claims_error: Option<String>,
}

/// Reads a credential, presentation or compact JWS from untrusted bytes (caps first).
pub fn parse_input(bytes: &[u8], limits: &InputLimits) -> Result<Presented, VerifyInputError> {
    let text = input::check_text(bytes, limits)?.trim();
    if text.starts_with('{') {
        let value = input::parse_json_object(text.as_bytes(), limits)?;
        return Ok(classify_json(value));
    }
    if text.starts_with('"') {
        // A JSON string holding a JWS, as some APIs wrap it.
        if let Ok(Value::String(inner)) = input::parse_json(text.as_bytes(), limits) {
            return parse_jws(inner.trim());
        }
    }
    if looks_like_compact_jws(text) {
        return parse_jws(text);
    }
    Err(VerifyInputError::UnknownFormat)
}

/// Wraps an already-parsed JSON document.
pub fn classify_json(value: Value) -> Presented {
    if has_type(&value, "VerifiablePresentation") {
        Presented::Presentation(value)
    } else {
        Presented::Credential(value)
    }
}

fn looks_like_compact_jws(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts[..2].iter().all(|p| !p.is_empty())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

pub(super) fn parse_jws(text: &str) -> Result<Presented, VerifyInputError> {
    let parsed = jose::parse_compact(text)?;
    if !parsed.payload.is_object() {
        return Err(VerifyInputError::JwsPayloadNotObject);
    }
    let form = parsed.form();
    let (credential, claims_error) = match form {
        VcForm::VcJwt11 => match jose::credential_from_vc_jwt_claims(&parsed.payload) {
            Ok(credential) => (Some(credential), None),
            Err(e) => (None, Some(e.to_string())),
        },
        _ => (Some(parsed.payload.clone()), None),
    };
    Ok(Presented::Jws(Box::new(JwsCredential {
        compact: text.to_owned(),
        parsed,
        form,
        credential,
        claims_error,
    })))
}

/// The compact JWS inside a VCDM 2.0 `EnvelopedVerifiableCredential` id
/// (`data:application/vc+jwt,<jws>`). Other media types are not JWS credentials.
pub fn enveloped_jws(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("data:")?;
    let (media_type, data) = rest.split_once(',')?;
    let media_type = media_type.split(';').next().unwrap_or_default();
    matches!(
        media_type,
        "application/vc+jwt" | "application/jwt" | "application/vc+jose"
    )
    .then_some(data)
}
