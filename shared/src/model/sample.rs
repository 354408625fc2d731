//! A sample fixture: a realistic, deterministic Open Badge for examples, benchmarks and
//! interoperability tests. Not for issuing anything real.
//!
//! [`data_literacy_badge`] is what a MOOC would issue for its "Data Literacy Foundations" course:
//! criteria, image, two ESCO alignments, credits, a result, evidence, a hashed email recipient, a
//! revocation entry and the OB credentialSchema. Every value is fixed (id, salt, dates), so the
//! document — and its signature with a fixed key — is byte-for-byte reproducible. It is about
//! 4.4 KB as compact JSON, 4.8 KB once signed with eddsa-rdfc-2022.
//!
//! The ESCO alignment URLs have the form ESCO concept URIs take
//! (`http://data.europa.eu/esco/skill/<uuid>`); they are illustrative and were not checked
//! against the ESCO dataset.
#![allow(
    clippy::expect_used,
    reason = "a fixture of constants: an invalid one is a bug its tests catch at once"
)]

use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};

use crate::model::{
    Achievement, AchievementCredential, AchievementResult, AchievementSubject, Alignment,
    CredentialSchema, Criteria, Evidence, Image, Iri, Profile, ResultDescription, ResultStatus,
};

/// The learner's address the sample hashes (with [`SAMPLE_SALT`]).
pub const SAMPLE_EMAIL: &str = "amina.diallo@example.org";
/// The fixed salt of the sample's identity hash.
pub const SAMPLE_SALT: &str = "5f1c7e2a9b3d4c68";
/// The sample credential's id.
pub const SAMPLE_CREDENTIAL_ID: &str = "urn:uuid:3f9a6c1e-7b2d-4e58-9c0a-1d4e6f8b2a57";
/// The sample issuer's DID.
pub const SAMPLE_ISSUER_DID: &str = "did:web:learn.example";

/// A constant that is known to parse.
fn iri(value: &'static str) -> Iri {
    // Invariant: only called with the literal URLs of this module, each covered by the test
    // below, so the parse cannot fail.
    Iri::parse(value).expect("sample URLs are valid")
}

fn date(value: &'static str) -> DateTime<FixedOffset> {
    // Invariant: only called with the literal RFC 3339 dates of this module (tested).
    DateTime::parse_from_rfc3339(value).expect("sample dates are valid")
}

/// The "Data Literacy Foundations" badge, unsigned. Deterministic; passes
/// [`crate::model::check_credential`] and the OB 3.0 JSON Schema.
pub fn data_literacy_badge() -> Value {
    let issuer = Profile::new(
        iri(SAMPLE_ISSUER_DID),
        "Open Learning Lab",
        iri("https://learn.example"),
    )
    .email("credentials@learn.example")
    .description("A non-profit MOOC platform offering free courses in data and digital skills.")
    .image(
        Image::new(iri("https://learn.example/assets/logo.png")).caption("Open Learning Lab logo"),
    );

    let grade_id =
        "https://learn.example/achievements/data-literacy-foundations/results/final-grade";
    let achievement = Achievement::new(
        iri("https://learn.example/achievements/data-literacy-foundations"),
        "Data Literacy Foundations",
        "An introductory course on finding, reading, cleaning, analysing and presenting data \
         responsibly: descriptive statistics, spreadsheets, charts and the basics of data ethics.",
        Criteria::new()
            .id(iri(
                "https://learn.example/achievements/data-literacy-foundations/criteria",
            ))
            .narrative(
                "Learners earn this badge by:\n\n\
                 1. completing the six course modules (about 40 hours of study);\n\
                 2. passing the six graded quizzes with an average of at least 70%;\n\
                 3. submitting a final project — a short report that cleans a public data set, \
                 analyses it and presents the findings with appropriate charts — graded \
                 'Pass' by two peer reviewers and a course tutor.",
            ),
    )
    .image(
        Image::new(iri(
            "https://learn.example/achievements/data-literacy-foundations/image.png",
        ))
        .caption("Data Literacy Foundations badge: a bar chart inside a hexagon"),
    )
    .achievement_type("Course")
    .human_code("DATA-101")
    .field_of_study("Data science")
    .credits_available(2.0)
    .in_language("en")
    .tag("data literacy")
    .tag("statistics")
    .tag("spreadsheets")
    .tag("data visualisation")
    .alignment(
        Alignment::new(
            "analyse big data",
            iri("http://data.europa.eu/esco/skill/4bbb3a0d-3d38-4b5b-9d35-5b2f4a0e1c6d"),
        )
        .target_description(
            "Collect and evaluate numerical data in large quantities, especially for the \
             purpose of identifying patterns between the data.",
        )
        .target_framework("ESCO")
        .target_type("ext:ESCOSkill"),
    )
    .alignment(
        Alignment::new(
            "present visual data",
            iri("http://data.europa.eu/esco/skill/6b3e1f5a-2c9d-4e7f-8a1b-0c4d2e6f9a83"),
        )
        .target_description(
            "Create visual representations of data such as charts or diagrams for easier \
             understanding.",
        )
        .target_framework("ESCO")
        .target_type("ext:ESCOSkill"),
    )
    .result_description(
        ResultDescription::new(iri(grade_id), "Final grade", "Percent")
            .value_min("0")
            .value_max("100")
            .required_value("70"),
    );

    let subject = AchievementSubject::with_email(SAMPLE_EMAIL, SAMPLE_SALT)
        .result(
            AchievementResult::new()
                .result_description(iri(grade_id))
                .value("86")
                .status(ResultStatus::Completed),
        )
        .credits_earned(2.0)
        .activity_start_date(date("2026-03-02T09:00:00Z"))
        .activity_end_date(date("2026-06-26T17:00:00Z"));

    let evidence = Evidence::new()
        .id(iri(
            "https://learn.example/portfolio/5f1c7e2a/data-literacy-foundations/final-project",
        ))
        .name("Final project: air quality in West African cities")
        .description("Report, cleaned data set and charts submitted for the final project.")
        .narrative(
            "The learner cleaned two years of public sensor readings, compared monthly PM2.5 \
             levels across four cities and explained the limits of the data.",
        )
        .genre("Project");

    let status = json!({
        "id": "https://learn.example/status/revocation/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://learn.example/status/revocation/1"
    });

    let builder = AchievementCredential::builder(
        iri(SAMPLE_CREDENTIAL_ID),
        issuer,
        achievement,
        subject,
        date("2026-06-30T12:00:00Z"),
    )
    .name("Data Literacy Foundations")
    .description("Awarded for completing the Data Literacy Foundations course with a grade of 86%.")
    .image(
        Image::new(iri(
            "https://learn.example/credentials/3f9a6c1e-7b2d-4e58-9c0a-1d4e6f8b2a57/image.png",
        ))
        .caption("Data Literacy Foundations badge awarded by Open Learning Lab"),
    )
    .awarded_date(date("2026-06-30T12:00:00Z"))
    .valid_until(date("2031-06-30T12:00:00Z"))
    .evidence(evidence)
    .credential_schema(CredentialSchema::ob_achievement_credential())
    .credential_status(status);
    // Invariant: the inputs above are fixed and the sample test builds them, so the builder's
    // own data-model check passes.
    builder.build().expect("the sample badge is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_deterministic_and_valid() {
        let a = data_literacy_badge();
        let b = data_literacy_badge();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert!(crate::model::check_credential(&a).is_ok());
    }
}
