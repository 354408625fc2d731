//! What a reader of an Open Badge needs to see besides who signed it: the kind of achievement,
//! its level and credits, the skills and frameworks it aligns to, the learner's results and the
//! result descriptions they refer to, the evidence, and the learner's name where the credential
//! carries one. Every front end (the verifier's page and terminal report, the wallet's `show`,
//! the issuer's claim page) renders these, so they agree on what is shown and how it is read.
//!
//! The details are read from the credential's JSON as it was signed, leniently: a value of the
//! wrong shape is left out here (the data-model check reports it), never guessed at. Text is
//! taken in the reader's language when the credential gives language value objects
//! ([`localized_text`]). Nothing here is escaped: the front ends escape for their medium.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{self, DateOrDateTime};

/// The reader-facing content of an Open Badge (or any credential with an OB 3.0
/// `credentialSubject.achievement`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CardDetails {
    /// `achievementType` as written (`Course`, `MicroCredential`, `ext:Bootcamp`…); see
    /// [`achievement_type_words`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub achievement_type: Option<String>,
    /// `humanCode`, the provider's own course code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub human_code: Option<String>,
    /// `fieldOfStudy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_of_study: Option<String>,
    /// The European Qualifications Framework level (1–8) an alignment records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eqf_level: Option<u8>,
    /// `creditsAvailable` of the achievement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits_available: Option<f64>,
    /// `creditsEarned` of the learner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits_earned: Option<f64>,
    /// The achievement's `inLanguage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The skills, competencies and frameworks the achievement aligns to, in document order
    /// (the EQF level's own alignment included: it is also one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alignments: Vec<AlignmentDetail>,
    /// The learner's results, each with the result description it refers to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ResultDetail>,
    /// The credential's evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceDetail>,
    /// The learner's name: a `name` identity object that is not hashed, or a plain `name` of
    /// the subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learner_name: Option<String>,
    /// `activityStartDate` / `activityEndDate`, as dates (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_end: Option<String>,
    /// The achievement's `tag`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The language of the achievement's text as read here: the `@language` of the name chosen
    /// for the reader, else the achievement's `inLanguage`; `None` when the credential does not
    /// say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_language: Option<String>,
    /// The languages the achievement's name is given in (language value objects), in document
    /// order, each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offered_languages: Vec<String>,
    /// The achievement's `related` entries: the same achievement in another language or
    /// version (OB 3.0 `Related`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedDetail>,
}

/// One OB 3.0 `Related` entry of the achievement: another language or version of it. Its id
/// is shown as a link the reader may follow, never fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedDetail {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Whether the text a reader sees is in their language ([`CardDetails::text_language_for`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextLanguage {
    /// The text is in the reader's language.
    Reader,
    /// The text is in another language (its tag, as written).
    Other(String),
    /// The credential does not say which language its text is in.
    Unstated,
}

/// Which framework an alignment points into, as far as a reader needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FrameworkKind {
    /// An ESCO skill or competence (`http://data.europa.eu/esco/skill/…`).
    EscoSkill,
    /// An ESCO occupation (`http://data.europa.eu/esco/occupation/…`).
    EscoOccupation,
    /// Another ESCO concept, or an alignment whose framework is named ESCO.
    Esco,
    /// A European Qualifications Framework level.
    Eqf,
    /// An ISCED-F 2013 field of education and training.
    IscedF,
    /// Any other framework (or none named).
    Other,
}

/// One `alignment` of the achievement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlignmentDetail {
    /// `targetName`.
    pub name: String,
    /// `targetUrl`: shown as a link the reader may follow, never fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `targetFramework`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// `targetCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `targetDescription`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub kind: FrameworkKind,
}

/// One `result` of the learner, read with the `resultDescription` it refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultDetail {
    /// The result description's `name` (`Final grade`), when the result refers to one the
    /// achievement defines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `value` (`86`, `B+`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `status` (`Completed`, `Failed`…); see [`result_status_words`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The rubric level achieved: the `name` of the result description's
    /// `rubricCriterionLevel` whose id `achievedLevel` gives, else that id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub achieved_level: Option<String>,
    /// The result description's `resultType` (`Percent`, `LetterGrade`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_type: Option<String>,
    /// The scale: `valueMin` and `valueMax`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_max: Option<String>,
    /// What was required to pass: `requiredValue`, or the name of the `requiredLevel`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    /// The result description's id this result refers to, when the achievement has none by
    /// that id (a dangling reference, shown as such).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved_description: Option<String>,
}

/// One `evidence` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
    /// `genre` (`Project`, `Portfolio`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genre: Option<String>,
    /// `audience`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The evidence's `id` when it is a web address: a link the reader may follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl CardDetails {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        *self == CardDetails::default()
    }

    /// Whether the achievement's text, as read for `reader` (a language tag), is in that
    /// language, compared by primary subtag.
    pub fn text_language_for(&self, reader: &str) -> TextLanguage {
        match &self.text_language {
            None => TextLanguage::Unstated,
            Some(tag) if primary_subtag(tag) == primary_subtag(reader) => TextLanguage::Reader,
            Some(tag) => TextLanguage::Other(tag.clone()),
        }
    }

    /// The lines a terminal shows, labelled in English (the verifier's report and the wallet's
    /// `show`). Values are as written in the credential: the caller makes them safe for a
    /// terminal.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = self.fact_lines();
        for alignment in self
            .alignments
            .iter()
            .filter(|a| a.kind != FrameworkKind::Eqf)
        {
            lines.push((alignment.label(), alignment.sentence()));
        }
        for evidence in &self.evidence {
            lines.push(("Evidence", evidence.sentence()));
        }
        lines.extend(self.tags_line());
        lines
    }

    /// The lines of [`lines`](Self::lines) without the skills and the evidence, for a page that
    /// lists those on their own with their links.
    pub fn summary_lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = self.fact_lines();
        lines.extend(self.tags_line());
        lines
    }

    fn tags_line(&self) -> Option<(&'static str, String)> {
        (!self.tags.is_empty()).then(|| ("Tags", self.tags.join(", ")))
    }

    /// Type, code, level, field, credits, learner, study dates and results.
    fn fact_lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        if let Some(kind) = &self.achievement_type {
            lines.push(("Type", achievement_type_words(kind)));
        }
        if let Some(code) = &self.human_code {
            lines.push(("Code", code.clone()));
        }
        if let Some(level) = self.eqf_level {
            lines.push(("EQF level", level.to_string()));
        }
        if let Some(field) = &self.field_of_study {
            lines.push(("Field", field.clone()));
        }
        match (self.credits_earned, self.credits_available) {
            (Some(earned), Some(available)) if earned != available => lines.push((
                "Credits",
                format!("{} of {}", number(earned), number(available)),
            )),
            (Some(credits), Some(_)) => lines.push(("Credits", number(credits))),
            (Some(earned), None) => lines.push(("Credits", format!("{} earned", number(earned)))),
            (None, Some(available)) => {
                lines.push(("Credits", format!("{} available", number(available))))
            }
            (None, None) => {}
        }
        if let Some(name) = &self.learner_name {
            lines.push(("Learner", name.clone()));
        }
        match (&self.activity_start, &self.activity_end) {
            (Some(start), Some(end)) => lines.push(("Studied", format!("{start} to {end}"))),
            (Some(start), None) => lines.push(("Studied", format!("from {start}"))),
            (None, Some(end)) => lines.push(("Studied", format!("until {end}"))),
            (None, None) => {}
        }
        for result in &self.results {
            lines.push(("Result", result.sentence()));
        }
        lines
    }
}

impl AlignmentDetail {
    /// The terminal label: `Skill` for ESCO skills, `Occupation`, else `Aligns to`.
    pub fn label(&self) -> &'static str {
        match self.kind {
            FrameworkKind::EscoSkill => "Skill",
            FrameworkKind::EscoOccupation => "Occupation",
            FrameworkKind::IscedF => "ISCED-F",
            FrameworkKind::Eqf => "EQF level",
            FrameworkKind::Esco | FrameworkKind::Other => "Aligns to",
        }
    }

    /// The framework in English words: `ESCO skill`, `ESCO occupation`, `ESCO`,
    /// `ISCED-F 2013 field`, else the alignment's own `targetFramework`.
    pub fn framework_words(&self) -> Option<String> {
        match self.kind {
            FrameworkKind::EscoSkill => Some("ESCO skill".into()),
            FrameworkKind::EscoOccupation => Some("ESCO occupation".into()),
            FrameworkKind::Esco => Some("ESCO".into()),
            FrameworkKind::IscedF => Some("ISCED-F 2013 field".into()),
            FrameworkKind::Eqf | FrameworkKind::Other => self.framework.clone(),
        }
    }

    /// `name (framework code) <url>`, in English.
    pub fn sentence(&self) -> String {
        let mut text = self.name.clone();
        let framework = match self.kind {
            FrameworkKind::EscoSkill | FrameworkKind::EscoOccupation | FrameworkKind::Esco => {
                Some("ESCO".to_owned())
            }
            _ => self.framework.clone(),
        };
        match (framework, &self.code) {
            (Some(framework), Some(code)) => text.push_str(&format!(" ({framework} {code})")),
            (Some(framework), None) => text.push_str(&format!(" ({framework})")),
            (None, Some(code)) => text.push_str(&format!(" ({code})")),
            (None, None) => {}
        }
        if let Some(url) = &self.url {
            text.push_str(&format!(" <{url}>"));
        }
        text
    }
}

impl ResultDetail {
    /// `Final grade: 86 (Percent, 0–100; required 70), Completed`, in English.
    pub fn sentence(&self) -> String {
        let mut text = match &self.name {
            Some(name) => format!("{name}: "),
            None => String::new(),
        };
        let mut parts = Vec::new();
        if let Some(value) = &self.value {
            parts.push(value.clone());
        }
        if let Some(level) = &self.achieved_level {
            parts.push(level.clone());
        }
        if let Some(status) = &self.status {
            parts.push(result_status_words(status));
        }
        if parts.is_empty() {
            parts.push("(no value)".into());
        }
        text.push_str(&parts.join(", "));
        let mut scale = Vec::new();
        if let Some(kind) = &self.result_type {
            scale.push(result_type_words(kind));
        }
        match (&self.value_min, &self.value_max) {
            (Some(min), Some(max)) => scale.push(format!("{min}–{max}")),
            (Some(min), None) => scale.push(format!("from {min}")),
            (None, Some(max)) => scale.push(format!("up to {max}")),
            (None, None) => {}
        }
        if let Some(required) = &self.required {
            scale.push(format!("required {required}"));
        }
        if !scale.is_empty() {
            text.push_str(&format!(" ({})", scale.join("; ")));
        }
        if let Some(id) = &self.unresolved_description {
            text.push_str(&format!(
                " [refers to {id}, which the achievement does not describe]"
            ));
        }
        text
    }
}

impl EvidenceDetail {
    /// `name (genre): description <url>`, in English.
    pub fn sentence(&self) -> String {
        let mut text = self
            .name
            .clone()
            .or_else(|| self.narrative.clone())
            .unwrap_or_else(|| "(unnamed)".into());
        if let Some(genre) = &self.genre {
            text.push_str(&format!(" ({genre})"));
        }
        if let Some(description) = &self.description {
            text.push_str(&format!(": {description}"));
        }
        if let Some(url) = &self.url {
            text.push_str(&format!(" <{url}>"));
        }
        text
    }
}

/// The reader-facing details of `credential` (its first `credentialSubject`), text in `lang`
/// where the credential offers it. `None` when the credential has no OB 3.0 achievement
/// subject and carries no evidence: nothing to add to the card.
pub fn card_details(credential: &Value, lang: Option<&str>) -> Option<CardDetails> {
    let subject = match credential.get("credentialSubject")? {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let subject = subject.as_object()?;
    let achievement = subject.get("achievement").and_then(Value::as_object);
    let text = |obj: Option<&Map<String, Value>>, name: &str| -> Option<String> {
        obj?.get(name)
            .and_then(|v| localized_text(v, lang))
            .filter(|s| !s.trim().is_empty())
    };
    let mut details = CardDetails {
        achievement_type: text(achievement, "achievementType"),
        human_code: text(achievement, "humanCode"),
        field_of_study: text(achievement, "fieldOfStudy"),
        credits_available: achievement
            .and_then(|a| a.get("creditsAvailable"))
            .and_then(Value::as_f64)
            .filter(|c| c.is_finite()),
        credits_earned: subject
            .get("creditsEarned")
            .and_then(Value::as_f64)
            .filter(|c| c.is_finite()),
        language: achievement
            .and_then(|a| a.get("inLanguage"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        learner_name: learner_name(subject),
        activity_start: subject.get("activityStartDate").and_then(date_only),
        activity_end: subject.get("activityEndDate").and_then(date_only),
        tags: achievement
            .and_then(|a| a.get("tag"))
            .map(|t| strings(t, lang))
            .unwrap_or_default(),
        ..CardDetails::default()
    };
    if let Some(achievement) = achievement {
        let name = achievement.get("name");
        details.text_language = name
            .and_then(|v| localized_text_and_language(v, lang))
            .and_then(|(_, language)| language)
            .or_else(|| text(Some(achievement), "inLanguage"));
        details.offered_languages = name.map(tagged_languages).unwrap_or_default();
        details.related = objects(achievement.get("related"))
            .filter_map(|r| {
                Some(RelatedDetail {
                    id: r.get("id")?.as_str()?.to_owned(),
                    language: r
                        .get("inLanguage")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    version: r.get("version").and_then(Value::as_str).map(str::to_owned),
                })
            })
            .collect();
        details.alignments = objects(achievement.get("alignment"))
            .filter_map(|a| alignment(a, lang))
            .collect();
        details.eqf_level = details
            .alignments
            .iter()
            .find(|a| a.kind == FrameworkKind::Eqf)
            .and_then(eqf_level);
        let descriptions: Vec<&Map<String, Value>> =
            objects(achievement.get("resultDescription")).collect();
        details.results = objects(subject.get("result"))
            .map(|r| result(r, &descriptions, lang))
            .collect();
    }
    details.evidence = objects(credential.get("evidence"))
        .map(|e| evidence(e, lang))
        .collect();
    if achievement.is_none() && details.is_empty() {
        return None;
    }
    Some(details)
}

/// The text of a JSON-LD string value in the reader's language: a plain string, or among
/// language value objects (`{"@value", "@language"}`) the one in `lang` (by primary subtag),
/// else the untagged one, else the first. `lang` `None` prefers untagged, then English.
pub fn localized_text(value: &Value, lang: Option<&str>) -> Option<String> {
    localized_text_and_language(value, lang).map(|(text, _)| text)
}

/// The primary subtag of a language tag, lower-cased: `fr-CA` → `fr`.
fn primary_subtag(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase()
}

/// The `@language` tags of a JSON-LD string value's language value objects, each once.
fn tagged_languages(value: &Value) -> Vec<String> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in items
        .iter()
        .filter_map(|v| v.get("@language").and_then(Value::as_str))
    {
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// [`localized_text`] with the `@language` of the value chosen (`None` for a plain string).
pub fn localized_text_and_language(
    value: &Value,
    lang: Option<&str>,
) -> Option<(String, Option<String>)> {
    let candidates: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let primary = primary_subtag;
    let wanted = lang.map(primary);
    let mut first = None;
    let mut untagged = None;
    let mut english = None;
    for candidate in candidates {
        let (text, language) = match candidate {
            Value::String(s) => (s.as_str(), None),
            Value::Object(map) => match map.get("@value").and_then(Value::as_str) {
                Some(text) => (text, map.get("@language").and_then(Value::as_str)),
                None => continue,
            },
            _ => continue,
        };
        match language {
            Some(tag) if wanted.as_deref() == Some(primary(tag).as_str()) => {
                return Some((text.to_owned(), Some(tag.to_owned())))
            }
            Some(tag) => {
                if primary(tag) == "en" {
                    english.get_or_insert((text, language));
                }
                first.get_or_insert((text, language));
            }
            None => {
                untagged.get_or_insert((text, None));
            }
        }
    }
    let fallback = match wanted {
        Some(_) => untagged.or(first),
        None => untagged.or(english).or(first),
    };
    fallback.map(|(text, tag)| (text.to_owned(), tag.map(str::to_owned)))
}

/// OB 3.0 `achievementType` in English words: `MicroCredential` → `Micro-credential`,
/// `ext:Bootcamp` → `Bootcamp`; a value outside the enumeration is shown as written.
pub fn achievement_type_words(value: &str) -> String {
    ACHIEVEMENT_TYPES
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, words)| (*words).to_owned())
        .unwrap_or_else(|| value.strip_prefix("ext:").unwrap_or(value).to_owned())
}

/// The OB 3.0 `achievementType` enumeration with each value's English words, for
/// [`achievement_type_words`] and for catalogues that translate them.
pub const ACHIEVEMENT_TYPES: &[(&str, &str)] = &[
    ("Achievement", "Achievement"),
    ("ApprenticeshipCertificate", "Apprenticeship certificate"),
    ("Assessment", "Assessment"),
    ("Assignment", "Assignment"),
    ("AssociateDegree", "Associate degree"),
    ("Award", "Award"),
    ("Badge", "Badge"),
    ("BachelorDegree", "Bachelor's degree"),
    ("Certificate", "Certificate"),
    ("CertificateOfCompletion", "Certificate of completion"),
    ("Certification", "Certification"),
    ("CommunityService", "Community service"),
    ("Competency", "Competency"),
    ("Course", "Course"),
    ("CoCurricular", "Co-curricular activity"),
    ("Degree", "Degree"),
    ("Diploma", "Diploma"),
    ("DoctoralDegree", "Doctoral degree"),
    ("Fieldwork", "Fieldwork"),
    (
        "GeneralEducationDevelopment",
        "General education development",
    ),
    ("JourneymanCertificate", "Journeyman certificate"),
    ("LearningProgram", "Learning programme"),
    ("License", "Licence"),
    ("Membership", "Membership"),
    ("ProfessionalDoctorate", "Professional doctorate"),
    ("QualityAssuranceCredential", "Quality assurance credential"),
    ("MasterCertificate", "Master certificate"),
    ("MasterDegree", "Master's degree"),
    ("MicroCredential", "Micro-credential"),
    ("ResearchDoctorate", "Research doctorate"),
    ("SecondarySchoolDiploma", "Secondary school diploma"),
];

/// The OB 3.0 result statuses (`ResultStatusType`).
pub const RESULT_STATUSES: &[&str] = &[
    "Completed",
    "Enrolled",
    "Failed",
    "InProgress",
    "OnHold",
    "Provisional",
    "Withdrew",
];

/// OB 3.0 result `status` in English words (`InProgress` → `in progress`).
pub fn result_status_words(value: &str) -> String {
    match value {
        "Completed" => "completed",
        "Enrolled" => "enrolled",
        "Failed" => "failed",
        "InProgress" => "in progress",
        "OnHold" => "on hold",
        "Provisional" => "provisional",
        "Withdrew" => "withdrew",
        other => other,
    }
    .to_owned()
}

/// OB 3.0 `resultType` in English words (`LetterGrade` → `letter grade`).
pub fn result_type_words(value: &str) -> String {
    match value {
        "GradePointAverage" => "grade point average",
        "LetterGrade" => "letter grade",
        "Percent" => "percent",
        "PerformanceLevel" => "performance level",
        "PredictedScore" => "predicted score",
        "RawScore" => "raw score",
        "Result" => "result",
        "RubricCriterion" => "rubric criterion",
        "RubricCriterionLevel" => "rubric level",
        "RubricScore" => "rubric score",
        "ScaledScore" => "scaled score",
        "Status" => "status",
        other => other.strip_prefix("ext:").unwrap_or(other),
    }
    .to_owned()
}

fn number(value: f64) -> String {
    // `2.0` reads as "2"; other values as written by Rust's shortest round-trip form.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// The objects of a value that may be one object or a list of them.
fn objects(value: Option<&Value>) -> impl Iterator<Item = &Map<String, Value>> {
    let items: Vec<&Value> = match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    items.into_iter().filter_map(Value::as_object)
}

fn strings(value: &Value, lang: Option<&str>) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| localized_text(v, lang))
            .filter(|s| !s.trim().is_empty())
            .collect(),
        other => localized_text(other, lang)
            .filter(|s| !s.trim().is_empty())
            .into_iter()
            .collect(),
    }
}

fn text_of(obj: &Map<String, Value>, name: &str, lang: Option<&str>) -> Option<String> {
    obj.get(name)
        .and_then(|v| match v {
            // Result values and scale bounds are strings in OB 3.0; a number is read as written.
            Value::Number(n) => Some(n.to_string()),
            other => localized_text(other, lang),
        })
        .filter(|s| !s.trim().is_empty())
}

fn learner_name(subject: &Map<String, Value>) -> Option<String> {
    let from_identifier = objects(subject.get("identifier")).find_map(|identity| {
        let plain = identity.get("hashed").and_then(Value::as_bool) == Some(false);
        let is_name = identity.get("identityType").and_then(Value::as_str) == Some("name");
        identity
            .get("identityHash")
            .and_then(Value::as_str)
            .filter(|name| plain && is_name && !name.trim().is_empty())
            .map(str::to_owned)
    });
    from_identifier.or_else(|| {
        subject
            .get("name")
            .and_then(Value::as_str)
            .filter(|name| !name.trim().is_empty())
            .map(str::to_owned)
    })
}

fn date_only(value: &Value) -> Option<String> {
    match model::parse_date_or_date_time_stamp(value.as_str()?).ok()? {
        DateOrDateTime::Date(date) => Some(date.date.format("%Y-%m-%d").to_string()),
        DateOrDateTime::DateTime(time) => Some(time.format("%Y-%m-%d").to_string()),
    }
}

fn alignment(obj: &Map<String, Value>, lang: Option<&str>) -> Option<AlignmentDetail> {
    let name = text_of(obj, "targetName", lang)?;
    let url = obj
        .get("targetUrl")
        .and_then(Value::as_str)
        .filter(|u| is_web_address(u))
        .map(str::to_owned);
    let framework = text_of(obj, "targetFramework", lang);
    let code = text_of(obj, "targetCode", lang);
    let kind = framework_kind(url.as_deref(), framework.as_deref());
    Some(AlignmentDetail {
        name,
        url,
        framework,
        code,
        description: text_of(obj, "targetDescription", lang),
        kind,
    })
}

fn framework_kind(url: Option<&str>, framework: Option<&str>) -> FrameworkKind {
    let url = url.unwrap_or_default();
    let url = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or_default();
    let framework = framework.unwrap_or_default().to_ascii_lowercase();
    if url.starts_with("data.europa.eu/esco/skill/") {
        FrameworkKind::EscoSkill
    } else if url.starts_with("data.europa.eu/esco/occupation/") {
        FrameworkKind::EscoOccupation
    } else if url.starts_with("data.europa.eu/esco/isced-f/") || framework.starts_with("isced-f") {
        FrameworkKind::IscedF
    } else if url.starts_with("data.europa.eu/snb/eqf/")
        || framework == "eqf"
        || framework.contains("european qualifications framework")
    {
        FrameworkKind::Eqf
    } else if url.starts_with("data.europa.eu/esco/") || framework == "esco" {
        FrameworkKind::Esco
    } else {
        FrameworkKind::Other
    }
}

/// The EQF level of an EQF alignment: its `targetCode`, else the last segment of its URL
/// (`http://data.europa.eu/snb/eqf/6`), when it is 1 to 8.
fn eqf_level(alignment: &AlignmentDetail) -> Option<u8> {
    let from_url = alignment
        .url
        .as_deref()
        .and_then(|u| u.trim_end_matches('/').rsplit('/').next());
    [alignment.code.as_deref(), from_url]
        .into_iter()
        .flatten()
        .find_map(|c| c.trim().parse::<u8>().ok())
        .filter(|level| (1..=8).contains(level))
}

fn result(
    obj: &Map<String, Value>,
    descriptions: &[&Map<String, Value>],
    lang: Option<&str>,
) -> ResultDetail {
    let reference = obj.get("resultDescription").and_then(Value::as_str);
    let description = reference.and_then(|id| {
        descriptions
            .iter()
            .find(|d| d.get("id").and_then(Value::as_str) == Some(id))
            .copied()
    });
    let level_name = |id: &str| -> String {
        description
            .into_iter()
            .flat_map(|d| objects(d.get("rubricCriterionLevel")))
            .find(|level| level.get("id").and_then(Value::as_str) == Some(id))
            .and_then(|level| text_of(level, "name", lang))
            .unwrap_or_else(|| id.to_owned())
    };
    let required = description.and_then(|d| {
        text_of(d, "requiredValue", lang).or_else(|| {
            d.get("requiredLevel")
                .and_then(Value::as_str)
                .map(&level_name)
        })
    });
    ResultDetail {
        name: description.and_then(|d| text_of(d, "name", lang)),
        value: text_of(obj, "value", lang),
        status: text_of(obj, "status", lang),
        achieved_level: obj
            .get("achievedLevel")
            .and_then(Value::as_str)
            .map(level_name),
        result_type: description.and_then(|d| text_of(d, "resultType", lang)),
        value_min: description.and_then(|d| text_of(d, "valueMin", lang)),
        value_max: description.and_then(|d| text_of(d, "valueMax", lang)),
        required,
        unresolved_description: match (reference, description) {
            (Some(id), None) => Some(id.to_owned()),
            _ => None,
        },
    }
}

fn evidence(obj: &Map<String, Value>, lang: Option<&str>) -> EvidenceDetail {
    EvidenceDetail {
        name: text_of(obj, "name", lang),
        description: text_of(obj, "description", lang),
        narrative: text_of(obj, "narrative", lang),
        genre: text_of(obj, "genre", lang),
        audience: text_of(obj, "audience", lang),
        url: obj
            .get("id")
            .and_then(Value::as_str)
            .filter(|u| is_web_address(u))
            .map(str::to_owned),
    }
}

/// An `http(s)` address: the only kind a page may link to (not `javascript:`, not `data:`).
pub fn is_web_address(value: &str) -> bool {
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !value.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_sample_badge_reads_as_an_employer_needs_it() {
        let badge = model::sample::data_literacy_badge();
        let details = card_details(&badge, Some("en")).unwrap();
        assert_eq!(details.achievement_type.as_deref(), Some("Course"));
        assert_eq!(details.human_code.as_deref(), Some("DATA-101"));
        assert_eq!(details.credits_available, Some(2.0));
        assert_eq!(details.credits_earned, Some(2.0));
        assert_eq!(details.alignments.len(), 2);
        assert!(details
            .alignments
            .iter()
            .all(|a| a.kind == FrameworkKind::EscoSkill));
        assert_eq!(details.alignments[0].name, "analyse big data");
        assert_eq!(
            details.results,
            [ResultDetail {
                name: Some("Final grade".into()),
                value: Some("86".into()),
                status: Some("Completed".into()),
                achieved_level: None,
                result_type: Some("Percent".into()),
                value_min: Some("0".into()),
                value_max: Some("100".into()),
                required: Some("70".into()),
                unresolved_description: None,
            }]
        );
        assert_eq!(
            details.results[0].sentence(),
            "Final grade: 86, completed (percent; 0–100; required 70)"
        );
        assert_eq!(details.evidence.len(), 1);
        assert_eq!(details.evidence[0].genre.as_deref(), Some("Project"));
        assert_eq!(details.activity_start.as_deref(), Some("2026-03-02"));
        assert_eq!(details.activity_end.as_deref(), Some("2026-06-26"));
        assert_eq!(details.learner_name, None);
        let lines = details.lines();
        let labels: Vec<&str> = lines.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            labels,
            [
                "Type", "Code", "Field", "Credits", "Studied", "Result", "Skill", "Skill",
                "Evidence", "Tags"
            ]
        );
        assert!(lines.contains(&(
            "Skill",
            "analyse big data (ESCO) <http://data.europa.eu/esco/skill/4bbb3a0d-3d38-4b5b-9d35-5b2f4a0e1c6d>"
                .into()
        )));
    }

    #[test]
    fn eqf_levels_rubric_levels_names_and_dangling_references() {
        let credential = json!({
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": [
                    {"type": "IdentityObject", "identityType": "emailAddress", "hashed": true,
                     "identityHash": "sha256$00"},
                    {"type": "IdentityObject", "identityType": "name", "hashed": false,
                     "identityHash": "Amina Diallo"}
                ],
                "creditsEarned": 3,
                "result": [
                    {"type": ["Result"], "resultDescription": "urn:rd:1",
                     "achievedLevel": "urn:level:b"},
                    {"type": ["Result"], "resultDescription": "urn:rd:missing", "value": "A"},
                    {"type": ["Result"], "status": "InProgress"}
                ],
                "achievement": {
                    "achievementType": "MicroCredential",
                    "creditsAvailable": 5,
                    "alignment": [
                        {"type": ["Alignment"], "targetName": "EQF level 6",
                         "targetUrl": "http://data.europa.eu/snb/eqf/6",
                         "targetFramework": "European Qualifications Framework"},
                        {"type": ["Alignment"], "targetName": "Evil",
                         "targetUrl": "javascript:alert(1)"},
                        {"type": ["Alignment"], "targetName": "ICT field",
                         "targetUrl": "http://data.europa.eu/esco/isced-f/06",
                         "targetCode": "06", "targetFramework": "ISCED-F 2013"}
                    ],
                    "resultDescription": [{
                        "id": "urn:rd:1", "type": ["ResultDescription"], "name": "Project",
                        "resultType": "RubricCriterionLevel", "requiredLevel": "urn:level:c",
                        "rubricCriterionLevel": [
                            {"id": "urn:level:b", "type": ["RubricCriterionLevel"], "name": "Good"},
                            {"id": "urn:level:c", "type": ["RubricCriterionLevel"], "name": "Fair"}
                        ]
                    }]
                }
            }
        });
        let details = card_details(&credential, None).unwrap();
        assert_eq!(details.eqf_level, Some(6));
        assert_eq!(details.learner_name.as_deref(), Some("Amina Diallo"));
        assert_eq!(details.alignments[1].url, None, "never a javascript: link");
        assert_eq!(details.alignments[2].kind, FrameworkKind::IscedF);
        assert_eq!(
            details.results[0].sentence(),
            "Project: Good (rubric level; required Fair)"
        );
        assert_eq!(
            details.results[1].sentence(),
            "A [refers to urn:rd:missing, which the achievement does not describe]"
        );
        assert_eq!(details.results[2].sentence(), "in progress");
        let lines = details.lines();
        assert!(lines.contains(&("Credits", "3 of 5".into())));
        assert!(lines.contains(&("EQF level", "6".into())));
        assert!(lines.contains(&("Type", "Micro-credential".into())));
        assert_eq!(
            lines.iter().filter(|(l, _)| *l == "EQF level").count(),
            1,
            "the level's alignment is not listed a second time"
        );
    }

    #[test]
    fn the_card_says_which_language_its_text_is_in() {
        let credential = serde_json::json!({
            "credentialSubject": {"achievement": {
                "name": [
                    {"@value": "Culture des données", "@language": "fr-FR"},
                    {"@value": "Data literacy", "@language": "en"}
                ],
                "inLanguage": "fr",
                "related": [
                    {"id": "urn:uuid:1", "type": ["Related"], "inLanguage": "ar", "version": "2"},
                    {"type": ["Related"], "inLanguage": "es"}
                ]
            }}
        });
        let french = card_details(&credential, Some("fr")).unwrap();
        assert_eq!(french.text_language.as_deref(), Some("fr-FR"));
        assert_eq!(french.text_language_for("fr"), TextLanguage::Reader);
        assert_eq!(french.offered_languages, ["fr-FR", "en"]);
        assert_eq!(
            french.related,
            [RelatedDetail {
                id: "urn:uuid:1".into(),
                language: Some("ar".into()),
                version: Some("2".into())
            }]
        );
        let russian = card_details(&credential, Some("ru")).unwrap();
        // No Russian: the untagged or first value, and its language said.
        assert_eq!(
            russian.text_language_for("ru"),
            TextLanguage::Other("fr-FR".into())
        );
        let english = card_details(&credential, Some("en")).unwrap();
        assert_eq!(english.text_language_for("en"), TextLanguage::Reader);
        // A plain name: the achievement's inLanguage, else nothing is claimed.
        let plain = serde_json::json!({"credentialSubject": {"achievement": {
            "name": "Datenkompetenz", "inLanguage": "de"}}});
        let details = card_details(&plain, Some("es")).unwrap();
        assert_eq!(
            details.text_language_for("es"),
            TextLanguage::Other("de".into())
        );
        let bare = serde_json::json!({"credentialSubject": {"achievement": {"name": "X"}}});
        let details = card_details(&bare, Some("es")).unwrap();
        assert_eq!(details.text_language_for("es"), TextLanguage::Unstated);
    }

    #[test]
    fn text_follows_the_readers_language() {
        let value = json!([
            {"@value": "Culture des données", "@language": "fr-FR"},
            {"@value": "Data literacy", "@language": "en"}
        ]);
        assert_eq!(
            localized_text(&value, Some("fr")).as_deref(),
            Some("Culture des données")
        );
        assert_eq!(
            localized_text(&value, Some("en")).as_deref(),
            Some("Data literacy")
        );
        assert_eq!(
            localized_text(&value, None).as_deref(),
            Some("Data literacy")
        );
        assert_eq!(
            localized_text(&value, Some("de")).as_deref(),
            Some("Culture des données")
        );
        assert_eq!(
            localized_text(&json!("plain"), Some("fr")).as_deref(),
            Some("plain")
        );
        assert_eq!(localized_text(&json!(42), Some("en")), None);
    }

    #[test]
    fn a_credential_without_an_achievement_has_no_details() {
        assert_eq!(
            card_details(&json!({"credentialSubject": {"id": "did:example:1"}}), None),
            None
        );
        assert_eq!(card_details(&json!({"credentialSubject": 3}), None), None);
        assert_eq!(card_details(&json!([]), None), None);
    }

    #[test]
    fn only_web_addresses_are_links() {
        assert!(is_web_address("https://x.example/a"));
        assert!(is_web_address("HTTP://x.example/a"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "https://x.example/a b",
            "urn:uuid:1",
            "",
        ] {
            assert!(!is_web_address(bad), "{bad}");
        }
    }
}
