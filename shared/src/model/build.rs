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

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::Value;

use crate::model::check::{check_credential, ModelViolation};
use crate::model::datetime::format_date_time;
use crate::model::identity::IdentityObject;
use crate::model::{
    Iri, JSON_SCHEMA_VALIDATOR_2019, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, OB_CONTEXT,
    OB_ENDORSEMENT_CREDENTIAL_SCHEMA, OB_EXTENSIONS_CONTEXT, OB_EXTENSION_TYPES, VC_V2_CONTEXT,
};

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

/// An OB 3.0 `Image`: `{id, type: "Image", caption?}`. The id is the image URL (or a `data:` URL).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Image {
    id: Iri,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
}

impl Image {
    /// An image at `id`.
    pub fn new(id: Iri) -> Self {
        Self {
            id,
            kind: "Image",
            caption: None,
        }
    }

    /// A caption (alternative text) for the image.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }
}

/// An OB 3.0 `Profile`: the issuer (or an achievement's creator).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    id: Iri,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: String,
    url: Iri,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Image>,
}

impl Profile {
    /// A profile with its id (usually the issuer's DID), display name and web site.
    pub fn new(id: Iri, name: impl Into<String>, url: Iri) -> Self {
        Self {
            id,
            kind: ["Profile"],
            name: name.into(),
            url,
            email: None,
            description: None,
            image: None,
        }
    }

    /// A contact address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// A short description of the organisation.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// A logo.
    pub fn image(mut self, image: Image) -> Self {
        self.image = Some(image);
        self
    }
}

/// OB 3.0 `Criteria`: how the achievement is earned — a URL, a Markdown narrative, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Criteria {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Iri>,
    #[serde(skip_serializing_if = "Option::is_none")]
    narrative: Option<String>,
}

impl Criteria {
    /// Empty criteria; add [`Criteria::id`] and/or [`Criteria::narrative`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A page describing the criteria.
    pub fn id(mut self, id: Iri) -> Self {
        self.id = Some(id);
        self
    }

    /// The criteria in Markdown.
    pub fn narrative(mut self, narrative: impl Into<String>) -> Self {
        self.narrative = Some(narrative.into());
        self
    }
}

/// OB 3.0 `Alignment`: a link from the achievement to a competency framework entry (ESCO, CASE, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alignment {
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    target_name: String,
    target_url: Iri,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_framework: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_type: Option<String>,
}

impl Alignment {
    /// An alignment to the framework entry at `target_url`, named `target_name`.
    pub fn new(target_name: impl Into<String>, target_url: Iri) -> Self {
        Self {
            kind: ["Alignment"],
            target_name: target_name.into(),
            target_url,
            target_description: None,
            target_framework: None,
            target_code: None,
            target_type: None,
        }
    }

    /// A description of the target.
    pub fn target_description(mut self, value: impl Into<String>) -> Self {
        self.target_description = Some(value.into());
        self
    }

    /// The framework's name, e.g. `ESCO`.
    pub fn target_framework(mut self, value: impl Into<String>) -> Self {
        self.target_framework = Some(value.into());
        self
    }

    /// The target's code in its framework.
    pub fn target_code(mut self, value: impl Into<String>) -> Self {
        self.target_code = Some(value.into());
        self
    }

    /// OB 3.0 `AlignmentTargetType`: `ceasn:Competency`, `CFItem`, `CTDL`, … or `ext:…`.
    pub fn target_type(mut self, value: impl Into<String>) -> Self {
        self.target_type = Some(value.into());
        self
    }
}

/// OB 3.0 `ResultDescription`: a kind of result the achievement records (a grade, a status…).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultDescription {
    id: Iri,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: String,
    result_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowed_value: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_max: Option<String>,
}

impl ResultDescription {
    /// A result description; `result_type` is an OB 3.0 `ResultType` (`Percent`, `LetterGrade`,
    /// `Status`, …) or `ext:…`.
    pub fn new(id: Iri, name: impl Into<String>, result_type: impl Into<String>) -> Self {
        Self {
            id,
            kind: ["ResultDescription"],
            name: name.into(),
            result_type: result_type.into(),
            allowed_value: Vec::new(),
            required_value: None,
            value_min: None,
            value_max: None,
        }
    }

    /// Adds an allowed value (ordered from low to high).
    pub fn allowed_value(mut self, value: impl Into<String>) -> Self {
        self.allowed_value.push(value.into());
        self
    }

    /// The value needed to earn the achievement.
    pub fn required_value(mut self, value: impl Into<String>) -> Self {
        self.required_value = Some(value.into());
        self
    }

    /// The lowest possible value.
    pub fn value_min(mut self, value: impl Into<String>) -> Self {
        self.value_min = Some(value.into());
        self
    }

    /// The highest possible value.
    pub fn value_max(mut self, value: impl Into<String>) -> Self {
        self.value_max = Some(value.into());
        self
    }
}

/// OB 3.0 `Related`: a link from an achievement to another version of it — typically the same
/// achievement defined in another language (`inLanguage`), so a displayer can show the viewer's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Related {
    id: Iri,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    in_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

impl Related {
    /// A link to the related achievement's id.
    pub fn new(id: Iri) -> Self {
        Self {
            id,
            kind: ["Related"],
            in_language: None,
            version: None,
        }
    }

    /// The related achievement's language (BCP 47).
    pub fn in_language(mut self, value: impl Into<String>) -> Self {
        self.in_language = Some(value.into());
        self
    }

    /// The related achievement's version.
    pub fn version(mut self, value: impl Into<String>) -> Self {
        self.version = Some(value.into());
        self
    }
}

/// OB 3.0 `Achievement`: what was learnt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Achievement {
    id: Iri,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    name: String,
    description: String,
    criteria: Criteria,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Image>,
    #[serde(skip_serializing_if = "Option::is_none")]
    achievement_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    human_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field_of_study: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    specialization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credits_available: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_language: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tag: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alignment: Vec<Alignment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    result_description: Vec<ResultDescription>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<Related>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<Profile>,
}

impl Achievement {
    /// An achievement with the four things OB 3.0 requires besides its type.
    pub fn new(
        id: Iri,
        name: impl Into<String>,
        description: impl Into<String>,
        criteria: Criteria,
    ) -> Self {
        Self {
            id,
            kind: ["Achievement"],
            name: name.into(),
            description: description.into(),
            criteria,
            image: None,
            achievement_type: None,
            human_code: None,
            field_of_study: None,
            specialization: None,
            version: None,
            credits_available: None,
            in_language: None,
            tag: Vec::new(),
            alignment: Vec::new(),
            result_description: Vec::new(),
            related: Vec::new(),
            creator: None,
        }
    }

    /// The badge image.
    pub fn image(mut self, image: Image) -> Self {
        self.image = Some(image);
        self
    }

    /// OB 3.0 `AchievementType`: `Course`, `Badge`, `MicroCredential`, … or `ext:…`.
    pub fn achievement_type(mut self, value: impl Into<String>) -> Self {
        self.achievement_type = Some(value.into());
        self
    }

    /// The code people use for it, e.g. `DATA-101`.
    pub fn human_code(mut self, value: impl Into<String>) -> Self {
        self.human_code = Some(value.into());
        self
    }

    /// The field of study.
    pub fn field_of_study(mut self, value: impl Into<String>) -> Self {
        self.field_of_study = Some(value.into());
        self
    }

    /// A specialisation within the field.
    pub fn specialization(mut self, value: impl Into<String>) -> Self {
        self.specialization = Some(value.into());
        self
    }

    /// The version of the achievement definition.
    pub fn version(mut self, value: impl Into<String>) -> Self {
        self.version = Some(value.into());
        self
    }

    /// Credits (e.g. ECTS) awarded for it. Must be finite: `build()` refuses NaN or infinity.
    pub fn credits_available(mut self, credits: f64) -> Self {
        self.credits_available = Some(credits);
        self
    }

    /// Another version of this achievement, e.g. the same badge defined in another language.
    pub fn related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }

    /// The language of the achievement, a BCP 47 tag such as `en` or `fr-CA`.
    pub fn in_language(mut self, value: impl Into<String>) -> Self {
        self.in_language = Some(value.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, value: impl Into<String>) -> Self {
        self.tag.push(value.into());
        self
    }

    /// Adds an alignment.
    pub fn alignment(mut self, alignment: Alignment) -> Self {
        self.alignment.push(alignment);
        self
    }

    /// Adds a result description.
    pub fn result_description(mut self, description: ResultDescription) -> Self {
        self.result_description.push(description);
        self
    }

    /// Who created the achievement, if not the issuer.
    pub fn creator(mut self, creator: Profile) -> Self {
        self.creator = Some(creator);
        self
    }
}

/// OB 3.0 `ResultStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ResultStatus {
    Completed,
    Enrolled,
    Failed,
    InProgress,
    OnHold,
    Provisional,
    Withdrew,
}

/// OB 3.0 `Result`: what the learner obtained against a [`ResultDescription`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AchievementResult {
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    result_description: Option<Iri>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<ResultStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    achieved_level: Option<Iri>,
}

impl AchievementResult {
    /// An empty result; add what applies.
    pub fn new() -> Self {
        Self {
            kind: ["Result"],
            result_description: None,
            value: None,
            status: None,
            achieved_level: None,
        }
    }

    /// The id of the [`ResultDescription`] this result answers.
    pub fn result_description(mut self, id: Iri) -> Self {
        self.result_description = Some(id);
        self
    }

    /// The value obtained, e.g. `92` or `B+`.
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// The status, e.g. [`ResultStatus::Completed`].
    pub fn status(mut self, status: ResultStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The id of the rubric criterion level achieved.
    pub fn achieved_level(mut self, id: Iri) -> Self {
        self.achieved_level = Some(id);
        self
    }
}

impl Default for AchievementResult {
    fn default() -> Self {
        Self::new()
    }
}

/// OB 3.0 `AchievementSubject`: the learner — by DID, or by hashed email when they have none.
/// The achievement itself is given to [`AchievementCredential::builder`].
#[derive(Debug, Clone, PartialEq)]
pub struct AchievementSubject {
    id: Option<Iri>,
    identifier: Vec<IdentityObject>,
    result: Vec<AchievementResult>,
    credits_earned: Option<f64>,
    activity_start_date: Option<DateTime<FixedOffset>>,
    activity_end_date: Option<DateTime<FixedOffset>>,
    narrative: Option<String>,
}

impl AchievementSubject {
    fn empty() -> Self {
        Self {
            id: None,
            identifier: Vec::new(),
            result: Vec::new(),
            credits_earned: None,
            activity_start_date: None,
            activity_end_date: None,
            narrative: None,
        }
    }

    /// A learner identified by their DID (e.g. the holder's `did:key`).
    pub fn with_id(id: Iri) -> Self {
        Self {
            id: Some(id),
            ..Self::empty()
        }
    }

    /// A learner identified by a salted hash of their email ([`IdentityObject::hashed_email`]).
    pub fn with_email(email: &str, salt: &str) -> Self {
        Self::with_identifier(IdentityObject::hashed_email(email, salt))
    }

    /// A learner identified by any identity object.
    pub fn with_identifier(identity: IdentityObject) -> Self {
        Self {
            identifier: vec![identity],
            ..Self::empty()
        }
    }

    /// Adds another identity object.
    pub fn identifier(mut self, identity: IdentityObject) -> Self {
        self.identifier.push(identity);
        self
    }

    /// Adds a result.
    pub fn result(mut self, result: AchievementResult) -> Self {
        self.result.push(result);
        self
    }

    /// Credits earned (finite; see [`Achievement::credits_available`]).
    pub fn credits_earned(mut self, credits: f64) -> Self {
        self.credits_earned = Some(credits);
        self
    }

    /// When the learning activity started.
    pub fn activity_start_date(mut self, date: DateTime<FixedOffset>) -> Self {
        self.activity_start_date = Some(date);
        self
    }

    /// When the learning activity ended.
    pub fn activity_end_date(mut self, date: DateTime<FixedOffset>) -> Self {
        self.activity_end_date = Some(date);
        self
    }

    /// What the learner did, in Markdown.
    pub fn narrative(mut self, narrative: impl Into<String>) -> Self {
        self.narrative = Some(narrative.into());
        self
    }
}

/// OB 3.0 `Evidence`: a description of, or link to, the work that earned the achievement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Iri>,
    #[serde(rename = "type")]
    kind: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    narrative: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    genre: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<String>,
}

impl Evidence {
    /// Empty evidence; add what applies.
    pub fn new() -> Self {
        Self {
            id: None,
            kind: ["Evidence"],
            name: None,
            description: None,
            narrative: None,
            genre: None,
            audience: None,
        }
    }

    /// Where the evidence is.
    pub fn id(mut self, id: Iri) -> Self {
        self.id = Some(id);
        self
    }

    /// Its name.
    pub fn name(mut self, value: impl Into<String>) -> Self {
        self.name = Some(value.into());
        self
    }

    /// A short description.
    pub fn description(mut self, value: impl Into<String>) -> Self {
        self.description = Some(value.into());
        self
    }

    /// A Markdown narrative.
    pub fn narrative(mut self, value: impl Into<String>) -> Self {
        self.narrative = Some(value.into());
        self
    }

    /// The kind of evidence (e.g. `Project`).
    pub fn genre(mut self, value: impl Into<String>) -> Self {
        self.genre = Some(value.into());
        self
    }

    /// Who it is for.
    pub fn audience(mut self, value: impl Into<String>) -> Self {
        self.audience = Some(value.into());
        self
    }
}

impl Default for Evidence {
    fn default() -> Self {
        Self::new()
    }
}

/// A `credentialSchema` entry: the schema at `id`, checked with the method named by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialSchema {
    id: Iri,
    #[serde(rename = "type")]
    kind: String,
}

impl CredentialSchema {
    /// Any schema entry.
    pub fn new(id: Iri, kind: impl Into<String>) -> Self {
        Self {
            id,
            kind: kind.into(),
        }
    }

    /// The OB 3.0 AchievementCredential JSON Schema, with type `1EdTechJsonSchemaValidator2019`
    /// (which makes the builder add the extensions context that defines that type).
    pub fn ob_achievement_credential() -> Self {
        Self::ob(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA)
    }

    /// The OB 3.0 EndorsementCredential JSON Schema, type `1EdTechJsonSchemaValidator2019`.
    pub fn ob_endorsement_credential() -> Self {
        Self::ob(OB_ENDORSEMENT_CREDENTIAL_SCHEMA)
    }

    fn ob(url: &str) -> Self {
        Self {
            id: Iri(url.to_owned()),
            kind: JSON_SCHEMA_VALIDATOR_2019.to_owned(),
        }
    }
}

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
        let uses_extension_type = self
            .credential_schema
            .iter()
            .any(|s| OB_EXTENSION_TYPES.contains(&s.kind.as_str()))
            || self
                .credential_status
                .as_ref()
                .is_some_and(|status| mentions_type(status, &OB_EXTENSION_TYPES));
        let mut context = vec![VC_V2_CONTEXT, OB_CONTEXT];
        if uses_extension_type {
            context.push(OB_EXTENSIONS_CONTEXT);
        }
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

fn mentions_type(entry: &Value, types: &[&str]) -> bool {
    super::types_of(entry).any(|t| types.contains(&t))
}

fn to_checked_value(doc: &impl Serialize) -> Result<Value, BuildError> {
    let value = serde_json::to_value(doc).map_err(BuildError::Serialize)?;
    match check_credential(&value) {
        Ok(_) => Ok(value),
        Err(violations) => Err(BuildError::Invalid { violations }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubjectDoc<'a> {
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
struct CredentialDoc<'a, S: Serialize> {
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
        let uses_extension_type = self
            .credential_schema
            .iter()
            .any(|s| OB_EXTENSION_TYPES.contains(&s.kind.as_str()))
            || self
                .credential_status
                .as_ref()
                .is_some_and(|status| mentions_type(status, &OB_EXTENSION_TYPES));
        let mut context = vec![VC_V2_CONTEXT, OB_CONTEXT];
        if uses_extension_type {
            context.push(OB_EXTENSIONS_CONTEXT);
        }
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

/// The presentation type.
pub struct VerifiablePresentation;

impl VerifiablePresentation {
    /// Starts a VCDM 2.0 presentation by `holder` (the wallet's DID).
    pub fn builder(holder: Iri) -> VerifiablePresentationBuilder {
        VerifiablePresentationBuilder {
            id: None,
            holder,
            credentials: Vec::new(),
        }
    }
}

/// Builds a `VerifiablePresentation`; see [`VerifiablePresentation::builder`].
#[derive(Debug, Clone)]
pub struct VerifiablePresentationBuilder {
    id: Option<Iri>,
    holder: Iri,
    credentials: Vec<Value>,
}

impl VerifiablePresentationBuilder {
    /// The presentation's id (e.g. a `urn:uuid:`).
    pub fn id(mut self, id: Iri) -> Self {
        self.id = Some(id);
        self
    }

    /// Adds a credential with an embedded proof, exactly as held.
    pub fn credential(mut self, credential: Value) -> Self {
        self.credentials.push(credential);
        self
    }

    /// Adds a VC-JOSE credential (a compact JWS) the VCDM 2.0 way: an
    /// `EnvelopedVerifiableCredential` whose id is `data:application/vc+jwt,<jws>`.
    pub fn enveloped_jwt(mut self, compact_jws: &str) -> Self {
        self.credentials.push(serde_json::json!({
            "@context": VC_V2_CONTEXT,
            "id": format!("data:application/vc+jwt,{compact_jws}"),
            "type": "EnvelopedVerifiableCredential",
        }));
        self
    }

    /// The presentation document (unsigned: the proof, with its challenge and domain, is added
    /// by the proof module).
    pub fn build(self) -> Value {
        let mut doc = serde_json::Map::new();
        doc.insert("@context".into(), Value::from(vec![VC_V2_CONTEXT]));
        if let Some(id) = self.id {
            doc.insert("id".into(), Value::String(id.into_string()));
        }
        doc.insert("type".into(), Value::from(vec!["VerifiablePresentation"]));
        doc.insert("holder".into(), Value::String(self.holder.into_string()));
        if !self.credentials.is_empty() {
            doc.insert(
                "verifiableCredential".into(),
                Value::Array(self.credentials),
            );
        }
        Value::Object(doc)
    }
}
