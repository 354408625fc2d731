//! The OB 3.0 `EndorsementCredential` builder.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::Value;

use super::credential_context;
use super::parts::{CredentialSchema, Profile};
use super::{to_checked_value, BuildError, CredentialDoc};
use crate::model::datetime::format_date_time;
use crate::model::Iri;

/// The credential type for endorsements.
pub struct EndorsementCredential;

impl EndorsementCredential {
    /// Starts an OB 3.0 `EndorsementCredential`: `issuer` endorses the thing at `subject_id` (a
    /// profile, an achievement or a credential).
    pub fn builder(
        id: Iri,
        issuer: Profile,
        name: impl Into<String>,
        subject_id: Iri,
        valid_from: DateTime<FixedOffset>,
    ) -> EndorsementCredentialBuilder {
        EndorsementCredentialBuilder {
            id,
            issuer,
            name: name.into(),
            subject_id,
            valid_from,
            valid_until: None,
            description: None,
            comment: None,
            credential_schema: Vec::new(),
            credential_status: None,
        }
    }
}

/// Builds an OB 3.0 EndorsementCredential; see [`EndorsementCredential::builder`].
#[derive(Debug, Clone)]
pub struct EndorsementCredentialBuilder {
    id: Iri,
    issuer: Profile,
    name: String,
    subject_id: Iri,
    valid_from: DateTime<FixedOffset>,
    valid_until: Option<DateTime<FixedOffset>>,
    description: Option<String>,
    comment: Option<String>,
    credential_schema: Vec<CredentialSchema>,
    credential_status: Option<Value>,
}

impl EndorsementCredentialBuilder {
    /// The endorser's comment (Markdown).
    pub fn endorsement_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// A short description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// When the endorsement stops being valid.
    pub fn valid_until(mut self, date: DateTime<FixedOffset>) -> Self {
        self.valid_until = Some(date);
        self
    }

    /// Adds a `credentialSchema` entry.
    pub fn credential_schema(mut self, schema: CredentialSchema) -> Self {
        self.credential_schema.push(schema);
        self
    }

    /// The `credentialStatus` entry, taken as given (one entry, as for achievement credentials).
    pub fn credential_status(mut self, entry: Value) -> Self {
        self.credential_status = Some(entry);
        self
    }

    /// The endorsement document, checked by [`check_credential`].
    pub fn build(self) -> Result<Value, BuildError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct EndorsementSubjectDoc<'a> {
            id: &'a Iri,
            #[serde(rename = "type")]
            kind: [&'static str; 1],
            #[serde(skip_serializing_if = "Option::is_none")]
            endorsement_comment: Option<&'a str>,
        }
        let context = credential_context(&self.credential_schema, self.credential_status.as_ref());
        let doc = CredentialDoc {
            context,
            id: &self.id,
            kind: ["VerifiableCredential", "EndorsementCredential"],
            name: Some(&self.name),
            description: self.description.as_deref(),
            image: None,
            credential_subject: EndorsementSubjectDoc {
                id: &self.subject_id,
                kind: ["EndorsementSubject"],
                endorsement_comment: self.comment.as_deref(),
            },
            issuer: &self.issuer,
            valid_from: format_date_time(&self.valid_from),
            valid_until: self.valid_until.as_ref().map(format_date_time),
            awarded_date: None,
            evidence: &[],
            credential_schema: &self.credential_schema,
            credential_status: self.credential_status.as_ref(),
        };
        to_checked_value(&doc)
    }
}
