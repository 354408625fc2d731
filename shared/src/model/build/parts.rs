//! The building blocks of OB 3.0 credentials: images, profiles, criteria, alignments, result
//! descriptions, related achievements, achievements, results, subjects, evidence and
//! credential schemas.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::model::identity::IdentityObject;
use crate::model::{
    Iri, JSON_SCHEMA_VALIDATOR_2019, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
    OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
};

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
    pub(super) id: Option<Iri>,
    pub(super) identifier: Vec<IdentityObject>,
    pub(super) result: Vec<AchievementResult>,
    pub(super) credits_earned: Option<f64>,
    pub(super) activity_start_date: Option<DateTime<FixedOffset>>,
    pub(super) activity_end_date: Option<DateTime<FixedOffset>>,
    pub(super) narrative: Option<String>,
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
    pub(super) kind: String,
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
