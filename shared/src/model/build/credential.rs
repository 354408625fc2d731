//! The OB 3.0 `AchievementCredential` builder.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::credential_context;
use super::parts::{Achievement, AchievementSubject, CredentialSchema, Evidence, Image, Profile};
use super::{to_checked_value, BuildError, CredentialDoc, SubjectDoc};
use crate::model::datetime::format_date_time;
use crate::model::Iri;

/// The credential type for Open Badges.
pub struct AchievementCredential;

impl AchievementCredential {
    /// Starts an OB 3.0 `OpenBadgeCredential` (alias `AchievementCredential`) under VCDM 2.0.
    ///
    /// `id` is the credential's id (a `urn:uuid:` or a URL), `valid_from` its `validFrom` (the
    /// caller's clock: the core has none).
    pub fn builder(
        id: Iri,
        issuer: Profile,
        achievement: Achievement,
        subject: AchievementSubject,
        valid_from: DateTime<FixedOffset>,
    ) -> AchievementCredentialBuilder {
        AchievementCredentialBuilder {
            id,
            issuer,
            achievement,
            subject,
            valid_from,
            valid_until: None,
            awarded_date: None,
            name: None,
            description: None,
            image: None,
            evidence: Vec::new(),
            credential_schema: Vec::new(),
            credential_status: None,
        }
    }
}

/// Builds an OB 3.0 AchievementCredential; see [`AchievementCredential::builder`].
#[derive(Debug, Clone)]
pub struct AchievementCredentialBuilder {
    id: Iri,
    issuer: Profile,
    achievement: Achievement,
    subject: AchievementSubject,
    valid_from: DateTime<FixedOffset>,
    valid_until: Option<DateTime<FixedOffset>>,
    awarded_date: Option<DateTime<FixedOffset>>,
    name: Option<String>,
    description: Option<String>,
    image: Option<Image>,
    evidence: Vec<Evidence>,
    credential_schema: Vec<CredentialSchema>,
    credential_status: Option<Value>,
}

impl AchievementCredentialBuilder {
    /// The credential's display name (wallets show it).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The credential's short description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The credential's image (often the badge image, possibly baked).
    pub fn image(mut self, image: Image) -> Self {
        self.image = Some(image);
        self
    }

    /// When the credential stops being valid.
    pub fn valid_until(mut self, date: DateTime<FixedOffset>) -> Self {
        self.valid_until = Some(date);
        self
    }

    /// When the achievement was awarded (kept when the credential is re-issued with a new
    /// `validFrom`).
    pub fn awarded_date(mut self, date: DateTime<FixedOffset>) -> Self {
        self.awarded_date = Some(date);
        self
    }

    /// Adds evidence.
    pub fn evidence(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }

    /// Adds a `credentialSchema` entry.
    pub fn credential_schema(mut self, schema: CredentialSchema) -> Self {
        self.credential_schema.push(schema);
        self
    }

    /// The `credentialStatus` entry (e.g. a `BitstringStatusListEntry` from the status module),
    /// taken as given. OB 3.0's JSON Schema admits a single status object, so this is one entry;
    /// calling it again replaces the previous one.
    pub fn credential_status(mut self, entry: Value) -> Self {
        self.credential_status = Some(entry);
        self
    }

    /// The credential document, checked by [`check_credential`].
    pub fn build(self) -> Result<Value, BuildError> {
        let context = credential_context(&self.credential_schema, self.credential_status.as_ref());
        let subject = SubjectDoc {
            id: self.subject.id.as_ref(),
            kind: ["AchievementSubject"],
            identifier: &self.subject.identifier,
            achievement: &self.achievement,
            result: &self.subject.result,
            credits_earned: self.subject.credits_earned,
            activity_start_date: self
                .subject
                .activity_start_date
                .as_ref()
                .map(format_date_time),
            activity_end_date: self
                .subject
                .activity_end_date
                .as_ref()
                .map(format_date_time),
            narrative: self.subject.narrative.as_deref(),
        };
        let doc = CredentialDoc {
            context,
            id: &self.id,
            kind: ["VerifiableCredential", "OpenBadgeCredential"],
            name: self.name.as_deref(),
            description: self.description.as_deref(),
            image: self.image.as_ref(),
            credential_subject: subject,
            issuer: &self.issuer,
            valid_from: format_date_time(&self.valid_from),
            valid_until: self.valid_until.as_ref().map(format_date_time),
            awarded_date: self.awarded_date.as_ref().map(format_date_time),
            evidence: &self.evidence,
            credential_schema: &self.credential_schema,
            credential_status: self.credential_status.as_ref(),
        };
        to_checked_value(&doc)
    }
}
