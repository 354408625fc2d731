//! Achievement definitions: turning what a provider describes (name, criteria, image, level,
//! credits, alignments, language) into an OB 3.0 `Achievement` JSON that verifiers accept.
//!
//! The CLI (`achievement create`) and the HTTP API (`POST /api/v1/achievements`) both call
//! [`build_definition`], so a definition is judged the same way whichever door it came through.
//! Errors name the field in the API's spelling (`slug`, `criteria_url`, `alignments[1].url`);
//! the CLI turns that into its flag (`--slug`, `--criteria-url`, `--alignment`).

use chrono::DateTime;
use passerelle_core::model::{
    Achievement, AchievementCredential, AchievementSubject, Alignment, Criteria, Image, Iri,
    Profile, Related,
};
use serde_json::Value;

/// Largest badge image embedded in a definition (it travels inside every credential).
pub const MAX_IMAGE_BYTES: usize = 256 * 1024;
/// Longest slug.
pub const MAX_SLUG_CHARS: usize = 64;
/// The `targetFramework` of the alignment recording an EQF level.
pub const EQF_FRAMEWORK: &str = "European Qualifications Framework";
/// The `targetFramework` of the alignment recording an ISCED-F 2013 field of education.
pub const ISCED_F_FRAMEWORK: &str = "ISCED-F 2013";

/// Why a definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AchievementError {
    /// One field is wrong: `field` is its name in the API (`alignments[0].url`), `reason` what
    /// was expected.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The fields are each fine but together would not make a valid OB 3.0 credential.
    #[error("the achievement would not make a valid Open Badges 3.0 credential: {reason}")]
    Unusable { reason: String },
}

impl AchievementError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Unusable { .. } => None,
        }
    }
}

/// The issuer an achievement belongs to (from `issuer.toml`).
#[derive(Debug, Clone, Copy)]
pub struct IssuerIdentity<'a> {
    pub did: &'a str,
    pub name: &'a str,
    /// The public base URL; the achievement id is `{url}/achievements/{slug}`.
    pub url: &'a str,
}

/// A badge image as given: its bytes (the type is judged from them, not from a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInput {
    pub bytes: Vec<u8>,
    /// Where it came from, for messages (a file name, or `image`).
    pub source: String,
}

/// An alignment to a framework entry (e.g. an ESCO skill).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlignmentInput {
    pub name: String,
    pub url: String,
    /// `targetFramework`; for an ESCO concept URL (`http://data.europa.eu/esco/skill/…`,
    /// `…/occupation/…`) `ESCO` when not given.
    pub framework: Option<String>,
    /// `targetCode`.
    pub code: Option<String>,
    /// `targetDescription`.
    pub description: Option<String>,
}

/// Another version of the achievement, typically a translation: its id and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedInput {
    pub id: String,
    pub language: Option<String>,
}

/// What a provider describes; see [`build_definition`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AchievementInput {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// How it is earned (Markdown narrative).
    pub criteria: Option<String>,
    /// A page describing the criteria.
    pub criteria_url: Option<String>,
    pub image: Option<ImageInput>,
    /// The image's alternative text (default: the name).
    pub image_caption: Option<String>,
    /// European Qualifications Framework level (1–8), recorded as an alignment.
    pub level: Option<u8>,
    /// Credits available, e.g. ECTS.
    pub credits: Option<f64>,
    /// ISCED-F 2013 field of education and training: a broad (2 digits), narrow (3) or detailed
    /// (4) field code, e.g. `0613`. Recorded as an alignment (framework "ISCED-F 2013", the
    /// code, ESCO's URI for it) and as the Achievement's `fieldOfStudy`.
    pub isced_f: Option<String>,
    pub alignments: Vec<AlignmentInput>,
    /// BCP 47 language tag.
    pub language: Option<String>,
    /// Other versions of this achievement (e.g. the same badge in other languages), recorded as
    /// OB 3.0 `related` entries.
    pub related: Vec<RelatedInput>,
}

/// A `related` entry pointing at a stored achievement definition: its id and its language.
pub fn related_to(definition: &Value) -> RelatedInput {
    RelatedInput {
        id: definition["id"].as_str().unwrap_or_default().to_owned(),
        language: definition["inLanguage"].as_str().map(str::to_owned),
    }
}

/// Builds the OB 3.0 Achievement JSON with the core builders and checks it inside a probe
/// credential from this issuer, so that only definitions a verifier accepts are stored.
pub fn build_definition(
    issuer: IssuerIdentity<'_>,
    input: &AchievementInput,
) -> Result<Value, AchievementError> {
    check_slug(&input.slug)?;
    let name = non_empty("name", &input.name)?;
    let description = non_empty("description", &input.description)?;
    let base = issuer.url.trim_end_matches('/');
    let id = iri("slug", &format!("{base}/achievements/{}", input.slug))?;

    let mut criteria = Criteria::new();
    let mut has_criteria = false;
    if let Some(narrative) = &input.criteria {
        criteria = criteria.narrative(non_empty("criteria", narrative)?);
        has_criteria = true;
    }
    if let Some(url) = &input.criteria_url {
        criteria = criteria.id(web_url("criteria_url", url)?);
        has_criteria = true;
    }
    if !has_criteria {
        return Err(AchievementError::invalid(
            "criteria",
            "give the criteria: a narrative of what the learner did and/or a criteria URL",
        ));
    }

    let mut achievement = Achievement::new(id, name, description, criteria);
    if let Some(image) = &input.image {
        let caption = input
            .image_caption
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(name);
        achievement = achievement.image(Image::new(image_data_url(image)?).caption(caption));
    }
    if let Some(level) = input.level {
        if !(1..=8).contains(&level) {
            return Err(AchievementError::invalid(
                "level",
                format!("{level}: the European Qualifications Framework has levels 1 to 8"),
            ));
        }
        achievement = achievement.alignment(
            Alignment::new(
                format!("EQF level {level}"),
                iri("level", &format!("http://data.europa.eu/snb/eqf/{level}"))?,
            )
            .target_framework(EQF_FRAMEWORK)
            .target_code(level.to_string()),
        );
    }
    if let Some(code) = &input.isced_f {
        let code = code.trim();
        if !(2..=4).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AchievementError::invalid(
                "isced_f",
                format!(
                    "{code:?}: an ISCED-F 2013 field is a code of 2, 3 or 4 digits (e.g. 06, 061, 0613)"
                ),
            ));
        }
        achievement = achievement
            .field_of_study(format!("ISCED-F 2013 {code}"))
            .alignment(
                Alignment::new(
                    format!("ISCED-F 2013 field {code}"),
                    iri(
                        "isced_f",
                        &format!("http://data.europa.eu/esco/isced-f/{code}"),
                    )?,
                )
                .target_framework(ISCED_F_FRAMEWORK)
                .target_code(code.to_owned()),
            );
    }
    if let Some(credits) = input.credits {
        if !credits.is_finite() || credits < 0.0 {
            return Err(AchievementError::invalid(
                "credits",
                format!("{credits}: must be a finite number, zero or more"),
            ));
        }
        achievement = achievement.credits_available(credits);
    }
    for (i, alignment) in input.alignments.iter().enumerate() {
        let target = non_empty(&format!("alignments[{i}].name"), &alignment.name)?;
        let url = web_url(&format!("alignments[{i}].url"), &alignment.url)?;
        let esco = ["skill", "occupation"].into_iter().find(|kind| {
            alignment
                .url
                .starts_with(&format!("http://data.europa.eu/esco/{kind}/"))
        });
        let mut entry = Alignment::new(target, url);
        let optional =
            |field: &str, value: &Option<String>| -> Result<Option<String>, AchievementError> {
                match value {
                    None => Ok(None),
                    Some(v) => non_empty(&format!("alignments[{i}].{field}"), v)
                        .map(|v| Some(v.to_owned())),
                }
            };
        match (optional("framework", &alignment.framework)?, esco) {
            (Some(framework), _) => entry = entry.target_framework(framework),
            (None, Some(kind)) => {
                entry = entry
                    .target_framework("ESCO")
                    .target_type(if kind == "skill" {
                        "ext:ESCOSkill"
                    } else {
                        "ext:ESCOOccupation"
                    })
            }
            (None, None) => {}
        }
        if let Some(code) = optional("code", &alignment.code)? {
            entry = entry.target_code(code);
        }
        if let Some(description) = optional("description", &alignment.description)? {
            entry = entry.target_description(description);
        }
        achievement = achievement.alignment(entry);
    }
    if let Some(lang) = &input.language {
        if !passerelle_core::model::is_language_tag(lang) {
            return Err(AchievementError::invalid(
                "language",
                format!("{lang:?} is not a BCP 47 language tag (e.g. en, fr-CA)"),
            ));
        }
        achievement = achievement.in_language(lang.clone());
    }
    for (i, related) in input.related.iter().enumerate() {
        let mut entry = Related::new(web_url(&format!("related[{i}].id"), &related.id)?);
        if let Some(lang) = &related.language {
            if !passerelle_core::model::is_language_tag(lang) {
                return Err(AchievementError::invalid(
                    format!("related[{i}].language"),
                    format!("{lang:?} is not a BCP 47 language tag (e.g. en, fr-CA)"),
                ));
            }
            entry = entry.in_language(lang.clone());
        }
        achievement = achievement.related(entry);
    }

    // Probe: the achievement inside a credential from this issuer must pass the core's checks.
    let unusable = |reason: String| AchievementError::Unusable { reason };
    let issuer_profile = Profile::new(
        Iri::parse(issuer.did).map_err(|e| unusable(format!("issuer DID: {e}")))?,
        issuer.name.to_owned(),
        Iri::parse(issuer.url).map_err(|e| unusable(format!("issuer URL: {e}")))?,
    );
    let probe_subject = AchievementSubject::with_id(
        Iri::parse("did:example:learner").map_err(|e| unusable(e.to_string()))?,
    );
    let probe_date = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .map_err(|e| unusable(e.to_string()))?;
    AchievementCredential::builder(
        Iri::parse("urn:uuid:00000000-0000-4000-8000-000000000000")
            .map_err(|e| unusable(e.to_string()))?,
        issuer_profile,
        achievement.clone(),
        probe_subject,
        probe_date,
    )
    .build()
    .map_err(|e| unusable(e.to_string()))?;
    serde_json::to_value(&achievement).map_err(|e| unusable(e.to_string()))
}

/// A slug: 1 to 64 lower-case letters, digits and inner dashes.
pub fn check_slug(slug: &str) -> Result<(), AchievementError> {
    let ok = !slug.is_empty()
        && slug.chars().count() <= MAX_SLUG_CHARS
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !ok {
        return Err(AchievementError::invalid(
            "slug",
            format!(
                "{slug:?}: use 1 to {MAX_SLUG_CHARS} lower-case letters, digits and inner dashes (e.g. data-101); it becomes part of the achievement URL"
            ),
        ));
    }
    Ok(())
}

fn non_empty<'a>(field: &str, value: &'a str) -> Result<&'a str, AchievementError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AchievementError::invalid(field, "must not be empty"));
    }
    Ok(value)
}

fn iri(field: &str, value: &str) -> Result<Iri, AchievementError> {
    Iri::parse(value)
        .map_err(|e| AchievementError::invalid(field, format!("{value:?} is not a valid URL: {e}")))
}

/// An http(s) URL.
fn web_url(field: &str, value: &str) -> Result<Iri, AchievementError> {
    let value = value.trim();
    let parsed = url::Url::parse(value)
        .map_err(|e| AchievementError::invalid(field, format!("{value:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(AchievementError::invalid(
            field,
            format!("{value:?}: expected an http(s) URL"),
        ));
    }
    iri(field, value)
}

/// A PNG or SVG (judged by its bytes), at most [`MAX_IMAGE_BYTES`], as a `data:` URL.
pub fn image_data_url(image: &ImageInput) -> Result<Iri, AchievementError> {
    if image.bytes.len() > MAX_IMAGE_BYTES {
        return Err(AchievementError::invalid(
            "image",
            format!(
                "the image {} is larger than {} KiB; badge images travel inside every credential, make it smaller",
                image.source,
                MAX_IMAGE_BYTES / 1024
            ),
        ));
    }
    let mime = image_type(&image.bytes).ok_or_else(|| {
        AchievementError::invalid(
            "image",
            format!(
                "the image {} is neither a PNG nor an SVG (judged by its content)",
                image.source
            ),
        )
    })?;
    iri(
        "image",
        &passerelle_core::data_url::encode(mime, &image.bytes),
    )
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The image's media type from its first bytes, or `None`. An SVG must be UTF-8 text whose first
/// element is `<svg` (after an optional BOM, XML declaration, comments and doctype) and which
/// holds no `<script`.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(PNG_SIGNATURE) {
        return Some("image/png");
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>')?.1.trim_start();
        } else {
            break;
        }
    }
    let is_svg = rest.starts_with("<svg")
        && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
    if !is_svg || text.to_ascii_lowercase().contains("<script") {
        return None;
    }
    Some("image/svg+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> IssuerIdentity<'static> {
        IssuerIdentity {
            did: "did:web:learn.example",
            name: "Open Learning Lab",
            url: "https://learn.example",
        }
    }

    fn input() -> AchievementInput {
        AchievementInput {
            slug: "data-101".into(),
            name: "Data Literacy".into(),
            description: "Reading data.".into(),
            criteria: Some("Pass the quizzes.".into()),
            ..Default::default()
        }
    }

    #[test]
    fn image_types_are_judged_by_content() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(
            image_type(
                b"<?xml version=\"1.0\"?>\n<!-- x --><svg xmlns=\"http://www.w3.org/2000/svg\"/>"
            ),
            Some("image/svg+xml")
        );
        assert_eq!(image_type(b"GIF89a"), None);
        assert_eq!(image_type(b"<svgx/>"), None);
        assert_eq!(image_type(b"<html><svg/></html>"), None);
        assert_eq!(image_type(b"<svg><script>alert(1)</script></svg>"), None);
        assert_eq!(image_type(b"\xff\xd8\xff\xe0 jpeg"), None);
        assert_eq!(image_type(b"<?xml unterminated"), None);
    }

    #[test]
    fn esco_alignments_name_their_framework_and_others_keep_what_is_given() {
        let mut with = input();
        with.alignments = vec![
            AlignmentInput {
                name: "analyse big data".into(),
                url: "http://data.europa.eu/esco/skill/4bbb3a0d".into(),
                ..AlignmentInput::default()
            },
            AlignmentInput {
                name: "data analyst".into(),
                url: "http://data.europa.eu/esco/occupation/9b3e".into(),
                ..AlignmentInput::default()
            },
            AlignmentInput {
                name: "Data literacy".into(),
                url: "https://frameworks.example/digcomp/1.1".into(),
                framework: Some("DigComp 2.2".into()),
                code: Some("1.1".into()),
                description: Some("Browsing, searching and filtering data.".into()),
            },
        ];
        let definition = build_definition(issuer(), &with).unwrap();
        let alignments = definition["alignment"].as_array().unwrap();
        assert_eq!(alignments[0]["targetFramework"], "ESCO");
        assert_eq!(alignments[0]["targetType"], "ext:ESCOSkill");
        assert_eq!(alignments[1]["targetType"], "ext:ESCOOccupation");
        assert_eq!(alignments[2]["targetFramework"], "DigComp 2.2");
        assert_eq!(alignments[2]["targetCode"], "1.1");
        assert_eq!(
            alignments[2]["targetDescription"],
            "Browsing, searching and filtering data."
        );
        assert!(alignments[2].get("targetType").is_none());

        with.alignments[2].code = Some("  ".into());
        let error = build_definition(issuer(), &with).unwrap_err();
        assert!(error.to_string().contains("alignments[2].code"), "{error}");
    }

    #[test]
    fn slugs() {
        assert!(check_slug("data-101").is_ok());
        for bad in ["", "Data", "-a", "a-", "a b", "a/b", &"a".repeat(65)] {
            assert!(check_slug(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_definition_is_built_and_each_bad_field_is_named() {
        let definition = build_definition(issuer(), &input()).unwrap();
        assert_eq!(
            definition["id"],
            "https://learn.example/achievements/data-101"
        );
        type Change = Box<dyn Fn(&mut AchievementInput)>;
        let cases: Vec<(&str, Change)> = vec![
            ("slug", Box::new(|i| i.slug = "Bad Slug".into())),
            ("name", Box::new(|i| i.name = "  ".into())),
            ("criteria", Box::new(|i| i.criteria = None)),
            (
                "criteria_url",
                Box::new(|i| i.criteria_url = Some("ftp://x".into())),
            ),
            ("level", Box::new(|i| i.level = Some(9))),
            ("credits", Box::new(|i| i.credits = Some(f64::NAN))),
            ("isced_f", Box::new(|i| i.isced_f = Some("06a".into()))),
            ("language", Box::new(|i| i.language = Some("en_GB".into()))),
            (
                "alignments[0].url",
                Box::new(|i| {
                    i.alignments = vec![AlignmentInput {
                        name: "x".into(),
                        url: "not a url".into(),
                        ..AlignmentInput::default()
                    }]
                }),
            ),
            (
                "image",
                Box::new(|i| {
                    i.image = Some(ImageInput {
                        bytes: b"GIF89a".to_vec(),
                        source: "image".into(),
                    })
                }),
            ),
        ];
        for (field, change) in cases {
            let mut bad = input();
            change(&mut bad);
            let err = build_definition(issuer(), &bad).unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
        }
    }
}
