//! The Open Badges 3.0 / VC Data Model 2.0 data model: typed builders for the credentials
//! Passerelle issues, and the strict data-model check a verifier runs on what it receives.
//!
//! - [`build`]: [`AchievementCredential`], [`EndorsementCredential`] and
//!   [`VerifiablePresentation`] builders. They produce a [`serde_json::Value`]: signing and
//!   verification always work on the exact JSON document, never on a re-serialised struct.
//! - [`check`]: [`check_credential`] and [`check_presentation`] parse an untrusted document into a
//!   typed [`CredentialModel`] / [`PresentationModel`] or return *every* [`ModelViolation`] found
//!   (a JSON path and the rule, in plain language).
//! - [`identity`]: the OB 3.0 `IdentityObject` and its salted email hash.
//! - [`sample`]: a deterministic, realistic badge used by examples, benchmarks and interop tests.
//!
//! ```
//! use passerelle_core::model::{check_credential, sample, VcVersion};
//!
//! let badge = sample::data_literacy_badge();
//! let model = check_credential(&badge).expect("the sample is a valid OB 3.0 credential");
//! assert_eq!(model.version, VcVersion::V2);
//! assert_eq!(model.achievement.unwrap().name, "Data Literacy Foundations");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub mod build;
pub mod check;
mod datetime;
pub mod identity;
pub mod sample;

pub use build::{
    Achievement, AchievementCredential, AchievementCredentialBuilder, AchievementResult,
    AchievementSubject, Alignment, BuildError, CredentialSchema, Criteria, EndorsementCredential,
    EndorsementCredentialBuilder, Evidence, Image, Profile, Related, ResultDescription,
    ResultStatus, VerifiablePresentation, VerifiablePresentationBuilder,
};
pub use check::{
    check_credential, check_presentation, AchievementSummary, CredentialKind, CredentialModel,
    CredentialSchemaRef, EndorsementSummary, ImageRef, IssuerSummary, ModelViolation,
    PresentationModel, PresentedCredential, Recipient,
};
pub use datetime::{
    format_date_time, parse_date_or_date_time_stamp, parse_date_time_stamp, parse_xsd_date,
    DateOrDateTime, DateTimeError, XsdDate,
};
pub use identity::{identity_hash, identity_matches, IdentityObject};

/// The VC Data Model 2.0 base context: the first `@context` item of every VCDM 2.0 document.
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The VC Data Model 1.1 base context (older OB 3.0 credentials still use it).
pub const VC_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
/// The Open Badges 3.0 context Passerelle emits.
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// The 1EdTech extensions context: the only place `1EdTechJsonSchemaValidator2019`,
/// `1EdTechRevocationList` and `1EdTechCredentialRefresh` are defined.
pub const OB_EXTENSIONS_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json";
/// Where credentials cite the OB 3.0 AchievementCredential JSON Schema.
pub const OB_ACHIEVEMENT_CREDENTIAL_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";
/// Where credentials cite the OB 3.0 EndorsementCredential JSON Schema.
pub const OB_ENDORSEMENT_CREDENTIAL_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json";
/// The `credentialSchema` type 1EdTech uses for JSON Schema validation.
pub const JSON_SCHEMA_VALIDATOR_2019: &str = "1EdTechJsonSchemaValidator2019";

/// The types defined only in [`OB_EXTENSIONS_CONTEXT`].
pub const OB_EXTENSION_TYPES: [&str; 3] = [
    JSON_SCHEMA_VALIDATOR_2019,
    "1EdTechRevocationList",
    "1EdTechCredentialRefresh",
];

/// Which VC Data Model a document follows, read from its first `@context` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum VcVersion {
    /// VC Data Model 1.1 (`https://www.w3.org/2018/credentials/v1`, `issuanceDate`).
    V1,
    /// VC Data Model 2.0 (`https://www.w3.org/ns/credentials/v2`, `validFrom`).
    V2,
}

impl VcVersion {
    /// The base context URL of this version.
    pub fn base_context(self) -> &'static str {
        match self {
            Self::V1 => VC_V1_CONTEXT,
            Self::V2 => VC_V2_CONTEXT,
        }
    }
}

impl fmt::Display for VcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "VC Data Model 1.1",
            Self::V2 => "VC Data Model 2.0",
        })
    }
}

/// Why a string is not an absolute URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IriError {
    #[error("is empty")]
    Empty,
    #[error("contains whitespace or a control character at byte {position}")]
    Whitespace { position: usize },
    #[error("has no scheme (expected an absolute URL such as https://…, urn:uuid:… or did:…)")]
    NoScheme,
    #[error("is not a valid URL: {0}")]
    Malformed(#[from] url::ParseError),
}

/// An absolute URL in the sense the VC Data Model uses the word: `https:` URLs, `urn:uuid:`
/// URNs, DIDs and DID URLs, `data:` URLs — anything with a scheme that parses as a URL and holds
/// no whitespace. Built only through [`Iri::parse`], so holding one means it was checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Iri(String);

impl Iri {
    /// Parses an absolute URL.
    pub fn parse(value: &str) -> Result<Self, IriError> {
        if value.is_empty() {
            return Err(IriError::Empty);
        }
        if let Some(position) = value.find(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(IriError::Whitespace { position });
        }
        if !has_scheme(value) {
            return Err(IriError::NoScheme);
        }
        url::Url::parse(value)?;
        Ok(Self(value.to_owned()))
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL, consuming the value.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// `scheme ":"` with `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn has_scheme(value: &str) -> bool {
    let Some((scheme, _)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl FromStr for Iri {
    type Err = IriError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl TryFrom<&str> for Iri {
    type Error = IriError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<String> for Iri {
    type Error = IriError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl fmt::Display for Iri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Iri {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Whether the JSON object's `type` (a string or an array of strings) includes `wanted`.
/// Anything else — no `type`, a number, a non-object — has no type.
pub fn has_type(object: &serde_json::Value, wanted: &str) -> bool {
    types_of(object).any(|t| t == wanted)
}

/// The strings in a JSON object's `type` (one string, or the strings of an array), in order.
pub fn types_of(object: &serde_json::Value) -> impl Iterator<Item = &str> {
    let (one, many) = match object.get("type") {
        Some(serde_json::Value::String(t)) => (Some(t.as_str()), None),
        Some(serde_json::Value::Array(items)) => (None, Some(items.iter())),
        _ => (None, None),
    };
    one.into_iter().chain(
        many.into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str),
    )
}

/// Whether `tag` has the shape of a BCP 47 language tag (`en`, `fr-CA`, `zh-Hant-TW`), as OB 3.0's
/// `inLanguage` requires: a 2–8 letter primary subtag, then 1–8 character alphanumeric subtags.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    primary_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Is this `@context` URL one of the Open Badges 3.0 contexts (3.0.0 under either URL, 3.0.x)?
pub fn is_ob_context(url: &str) -> bool {
    const PREFIX: &str = "https://purl.imsglobal.org/spec/ob/v3p0/";
    let Some(rest) = url.strip_prefix(PREFIX) else {
        return false;
    };
    if rest == "context.json" || rest == "context/ob_v3p0.jsonld" {
        return true;
    }
    // context-3.<d>.<d>.json, as the OB JSON Schema's pattern allows.
    rest.strip_prefix("context-3.")
        .and_then(|r| r.strip_suffix(".json"))
        .is_some_and(|version| {
            let bytes = version.as_bytes();
            bytes.len() == 3
                && bytes[0].is_ascii_digit()
                && bytes[1] == b'.'
                && bytes[2].is_ascii_digit()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iri_accepts_the_identifiers_credentials_use() {
        for ok in [
            "https://example.com/credentials/3732",
            "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
            "did:web:learn.example#key-1",
            "data:image/png;base64,iVBORw0KGgo=",
            "mailto:registrar@example.edu",
        ] {
            assert!(Iri::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn iri_rejects_what_the_vcdm_suite_calls_not_a_url() {
        assert_eq!(Iri::parse(""), Err(IriError::Empty));
        assert_eq!(
            Iri::parse("https ://not-a-url/vcs/1"),
            Err(IriError::Whitespace { position: 5 })
        );
        assert_eq!(Iri::parse("fake-issuer"), Err(IriError::NoScheme));
        assert_eq!(Iri::parse("/relative/path"), Err(IriError::NoScheme));
        assert_eq!(Iri::parse("1http://x"), Err(IriError::NoScheme));
        assert!(matches!(Iri::parse("http://"), Err(IriError::Malformed(_))));
    }

    #[test]
    fn ob_context_urls() {
        assert!(is_ob_context(OB_CONTEXT));
        assert!(is_ob_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
        ));
        assert!(is_ob_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
        ));
        assert!(is_ob_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld"
        ));
        assert!(!is_ob_context(OB_EXTENSIONS_CONTEXT));
        assert!(!is_ob_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.json"
        ));
    }
}
