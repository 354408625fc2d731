//! Builders for the credentials Passerelle issues: OB 3.0 `AchievementCredential` and
//! `EndorsementCredential` under VC Data Model 2.0, and `VerifiablePresentation`.
//!
//! Each builder takes the required parts up front, optional ones through chained setters, and
//! produces a [`serde_json::Value`] — the exact document that is then signed. Optional fields left
//! unset are omitted. Identifiers are [`Iri`]s and dates are [`chrono`] values, so malformed ones
//! can't be passed in; the credential builders also run [`check_credential`] on their output, so
//! what they return passes Passerelle's own strict data-model check. The output also validates
//! against the official OB 3.0 JSON Schemas (tested).
//!
//! ```
//! use chrono::DateTime;
//! use passerelle_core::model::{
//!     Achievement, AchievementCredential, AchievementSubject, Criteria, Iri, Profile,
//! };
//!
//! let iri = |s: &str| Iri::parse(s).unwrap();
//! let issuer = Profile::new(iri("did:web:learn.example"), "Open Learning Lab", iri("https://learn.example"));
//! let achievement = Achievement::new(
//!     iri("https://learn.example/achievements/data-101"),
//!     "Data Literacy Foundations",
//!     "Reading, cleaning and charting data responsibly.",
//!     Criteria::new().narrative("Pass all graded quizzes and the final project."),
//! );
//! let subject = AchievementSubject::with_email("ada@example.org", "a1b2c3d4");
//! let valid_from = DateTime::parse_from_rfc3339("2026-06-30T12:00:00Z").unwrap();
//! let credential = AchievementCredential::builder(
//!     iri("urn:uuid:1f0e8a52-3c1d-4f57-9a0b-6d2c4e8f1a37"), issuer, achievement, subject, valid_from,
//! )
//! .name("Data Literacy Foundations")
//! .build()
//! .unwrap();
//! assert_eq!(credential["type"][1], "OpenBadgeCredential");
//! ```

use serde::Serialize;
use serde_json::Value;

use crate::model::check::{check_credential, ModelViolation};
use crate::model::identity::IdentityObject;
use crate::model::{Iri, OB_CONTEXT, OB_EXTENSIONS_CONTEXT, OB_EXTENSION_TYPES, VC_V2_CONTEXT};

mod credential;
mod endorsement;
mod parts;
mod presentation;

pub use credential::{AchievementCredential, AchievementCredentialBuilder};
pub use endorsement::{EndorsementCredential, EndorsementCredentialBuilder};
pub use parts::{
    Achievement, AchievementResult, AchievementSubject, Alignment, CredentialSchema, Criteria,
    Evidence, Image, Profile, Related, ResultDescription, ResultStatus,
};
pub use presentation::{VerifiablePresentation, VerifiablePresentationBuilder};

/// Why a builder could not produce a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The assembled document breaks a data-model rule (e.g. a non-finite number, a
    /// `validUntil` before `validFrom`). Every violation is listed.
    #[error("the built credential is not valid: {}", join_violations(.violations))]
    Invalid { violations: Vec<ModelViolation> },
    /// The typed structures could not be turned into JSON.
    #[error("could not serialise the credential to JSON: {0}")]
    Serialize(#[source] serde_json::Error),
}

fn join_violations(violations: &[ModelViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `@context` of an OB 3.0 credential: VC 2.0 and OB 3.0, plus the OB extensions context
/// when a schema or the status entry uses one of its types (1EdTech's validators and revocation
/// list).
pub(super) fn credential_context(
    schemas: &[CredentialSchema],
    status: Option<&Value>,
) -> Vec<&'static str> {
    let uses_extension_type = schemas
        .iter()
        .any(|s| OB_EXTENSION_TYPES.contains(&s.kind.as_str()))
        || status.is_some_and(|status| mentions_type(status, &OB_EXTENSION_TYPES));
    let mut context = vec![VC_V2_CONTEXT, OB_CONTEXT];
    if uses_extension_type {
        context.push(OB_EXTENSIONS_CONTEXT);
    }
    context
}

fn mentions_type(entry: &Value, types: &[&str]) -> bool {
    super::types_of(entry).any(|t| types.contains(&t))
}

pub(super) fn to_checked_value(doc: &impl Serialize) -> Result<Value, BuildError> {
    let value = serde_json::to_value(doc).map_err(BuildError::Serialize)?;
    match check_credential(&value) {
        Ok(_) => Ok(value),
        Err(violations) => Err(BuildError::Invalid { violations }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SubjectDoc<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a Iri>,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    identifier: &'a [IdentityObject],
    achievement: &'a Achievement,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    result: &'a [AchievementResult],
    #[serde(skip_serializing_if = "Option::is_none")]
    credits_earned: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity_start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity_end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    narrative: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CredentialDoc<'a, S: Serialize> {
    #[serde(rename = "@context")]
    context: Vec<&'static str>,
    id: &'a Iri,
    #[serde(rename = "type")]
    kind: [&'static str; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a Image>,
    credential_subject: S,
    issuer: &'a Profile,
    valid_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    awarded_date: Option<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    evidence: &'a [Evidence],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    credential_schema: &'a [CredentialSchema],
    #[serde(skip_serializing_if = "Option::is_none")]
    credential_status: Option<&'a Value>,
}
