//! JSON Schema validation against the official OB 3.0 schemas.

use std::net::TcpListener;

use chrono::DateTime;
use passerelle_core::model::{
    sample, CredentialSchema, EndorsementCredential, Iri, Profile,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, OB_ENDORSEMENT_CREDENTIAL_SCHEMA,
};
use passerelle_core::schema::{
    credential_schemas, proof_as_array, validate, SchemaError, SchemaOutcome, SchemaSet,
};
use serde_json::{json, Value};

use crate::util::json as load;

fn achievement_schema() -> Value {
    load("openbadges/schema/ob_v3p0_achievementcredential_schema.json")
}

fn endorsement_schema() -> Value {
    load("openbadges/schema/ob_v3p0_endorsementcredential_schema.json")
}

fn ob_schemas() -> SchemaSet {
    let mut set = SchemaSet::new();
    set.insert(achievement_schema(), &[OB_ACHIEVEMENT_CREDENTIAL_SCHEMA])
        .unwrap();
    set.insert(endorsement_schema(), &[OB_ENDORSEMENT_CREDENTIAL_SCHEMA])
        .unwrap();
    set
}

/// OB 3.0 AchievementCredentials from the spec and the 1EdTech validator's positives (VCDM 2.0;
/// the 1.1-era samples predate this schema, which requires validFrom and the v2 context).
const ACHIEVEMENT_CREDENTIALS: &[&str] = &[
    "openbadges/examples/basic-openbadgecredential.json",
    "openbadges/examples/complete-openbadgecredential.json",
    "openbadges/examples/achievement-alignment-case.json",
    "openbadges/examples/achievement-alignment-ctdl.json",
    "openbadges/examples/skill-assertion-case.json",
    "openbadges/examples/skill-assertion-ctdl.json",
    "openbadges/validator-samples/simple.json",
    "openbadges/validator-samples/simple-did-key-method.json",
    "openbadges/validator-samples/simple-multiple-proofs.json",
    "openbadges/validator-samples/complete.json",
    "openbadges/ldp-eddsa-rdfc-2022/signed.json",
    "openbadges/ldp-eddsa-rdfc-2022/unsigned.json",
];

#[test]
fn ob_positives_validate_against_the_achievement_schema() {
    let schema = achievement_schema();
    let mut failures = Vec::new();
    for file in ACHIEVEMENT_CREDENTIALS {
        // Object proofs are read as one-item arrays (vectors README, discrepancy 1).
        if let Err(err) = validate(&proof_as_array(&load(file)), &schema) {
            failures.push(format!("{file}: {err}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_object_proof_fails_the_schema_until_wrapped() {
    let signed = load("openbadges/ldp-eddsa-rdfc-2022/signed.json");
    assert!(signed["proof"].is_object());
    let Err(SchemaError::Violations(violations)) = validate(&signed, &achievement_schema()) else {
        panic!("the OB schema wants proof as an array");
    };
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert_eq!(violations[0].instance_path, "/proof");
    assert!(validate(&proof_as_array(&signed), &achievement_schema()).is_ok());
}

#[test]
fn endorsements_validate_against_the_endorsement_schema() {
    let schema = endorsement_schema();
    for file in [
        "openbadges/examples/endorsementcredential.json",
        "openbadges/validator-samples/endorsement-valid.json",
    ] {
        validate(&proof_as_array(&load(file)), &schema).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[test]
fn a_missing_issuer_fails_naming_issuer() {
    let doc = load("negative/1edtech-ob30/simple-err-issuer.json");
    let Err(SchemaError::Violations(violations)) =
        validate(&proof_as_array(&doc), &achievement_schema())
    else {
        panic!("simple-err-issuer.json validated");
    };
    assert!(
        violations
            .iter()
            .any(|v| v.instance_path.is_empty() && v.message.contains("\"issuer\"")),
        "{violations:#?}"
    );
}

/// The sample the model test cannot pass is rejected by the schema too.
#[test]
fn a_subject_without_achievement_fails_the_schema() {
    let doc = load("openbadges/validator-samples/simple-noproof.json");
    let Err(SchemaError::Violations(violations)) = validate(&doc, &achievement_schema()) else {
        panic!("simple-noproof.json validated");
    };
    assert!(
        violations
            .iter()
            .any(|v| v.instance_path == "/credentialSubject" && v.message.contains("achievement")),
        "{violations:#?}"
    );
}

#[test]
fn builder_output_validates() {
    let schema = achievement_schema();
    let mut badge = sample::data_literacy_badge();
    validate(&badge, &schema).unwrap();
    // As signed: the proof array the proof module appends.
    badge["proof"] = json!([{
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-06-30T12:00:00Z",
        "verificationMethod": "did:web:learn.example#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKKFK2Z1ejuvFbGrxqe"
    }]);
    validate(&badge, &schema).unwrap();

    let iri = |s: &str| Iri::parse(s).unwrap();
    let endorsement = EndorsementCredential::builder(
        iri("urn:uuid:7d2e1f0a-9b8c-4d6e-a5f4-3c2b1a0e9d8f"),
        Profile::new(
            iri("did:web:qa-agency.example"),
            "Example Quality Agency",
            iri("https://qa-agency.example"),
        ),
        "Recognised provider",
        iri("did:web:learn.example"),
        DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z").unwrap(),
    )
    .endorsement_comment(
        "Open Learning Lab meets the agency's quality criteria for online courses.",
    )
    .credential_schema(CredentialSchema::ob_endorsement_credential())
    .build()
    .unwrap();
    assert_eq!(
        endorsement["@context"][2], "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        "the schema validator type is defined in the extensions context"
    );
    validate(&endorsement, &endorsement_schema()).unwrap();
    assert!(passerelle_core::model::check_credential(&endorsement).is_ok());
}

#[test]
fn schema_set_outcomes() {
    let set = ob_schemas();
    // Filed under the internal $id and the URL credentials cite.
    assert!(set.contains(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA));
    assert!(set.contains(
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential-jsonschema1.json"
    ));

    let badge = sample::data_literacy_badge();
    let checks = set.check(&badge);
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].id, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA);
    assert_eq!(checks[0].outcome, SchemaOutcome::Validated);

    // complete-openbadgecredential: an object proof is accepted (read as an array).
    let complete = load("openbadges/examples/complete-openbadgecredential.json");
    assert!(set
        .check(&complete)
        .iter()
        .all(|c| c.outcome == SchemaOutcome::Validated));

    let mut doc = badge.clone();
    doc["credentialSchema"] = json!([
        {"id": OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"},
        {"id": "https://schemas.example/badge.json", "type": "1EdTechJsonSchemaValidator2019"},
        {"id": "https://schemas.example/credential.json", "type": "JsonSchemaCredential"}
    ]);
    doc["credentialSubject"]["achievement"]
        .as_object_mut()
        .unwrap()
        .remove("criteria");
    let checks = set.check(&doc);
    match &checks[0].outcome {
        SchemaOutcome::Failed(violations) => assert!(
            violations
                .iter()
                .any(|v| v.instance_path == "/credentialSubject/achievement"
                    && v.message.contains("criteria")),
            "{violations:#?}"
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(
        checks[1].outcome,
        SchemaOutcome::NotChecked {
            url: "https://schemas.example/badge.json".into()
        }
    );
    assert_eq!(
        checks[2].outcome,
        SchemaOutcome::UnsupportedType {
            schema_type: "JsonSchemaCredential".into()
        }
    );
}

#[test]
fn credential_schemas_lists_what_is_cited() {
    let doc = load("openbadges/examples/complete-openbadgecredential.json");
    assert_eq!(
        credential_schemas(&doc),
        [(
            OB_ACHIEVEMENT_CREDENTIAL_SCHEMA.to_owned(),
            "1EdTechJsonSchemaValidator2019".to_owned()
        )]
    );
    assert_eq!(
        credential_schemas(
            &json!({"credentialSchema": {"id": "https://s.example/x", "type": ["JsonSchema"]}})
        ),
        [("https://s.example/x".to_owned(), "JsonSchema".to_owned())]
    );
    assert!(
        credential_schemas(&json!({"credentialSchema": [{"type": "JsonSchema"}, 3]})).is_empty()
    );
}

/// A `$ref` to a schema that was not supplied is an error, and nothing is fetched: a listener
/// on the referenced address sees no connection.
#[test]
fn remote_refs_are_never_fetched() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/schema.json", listener.local_addr().unwrap());
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://schemas.example/root.json",
        "type": "object",
        "properties": {"issuer": {"$ref": url}}
    });

    assert_eq!(
        validate(&json!({"issuer": "x"}), &schema),
        Err(SchemaError::UnavailableReference { url: url.clone() })
    );
    let mut set = SchemaSet::new();
    assert_eq!(
        set.insert(schema.clone(), &[]),
        Err(SchemaError::UnavailableReference { url: url.clone() })
    );
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("something connected to {url}: {other:?}"),
    }

    // Supplied first, the referenced schema resolves locally.
    set.insert(json!({"$id": url, "type": "string"}), &[])
        .unwrap();
    set.insert(schema, &[]).unwrap();
    assert_eq!(
        set.validate(
            "https://schemas.example/root.json",
            &json!({"issuer": "did:web:x"})
        ),
        Some(Ok(()))
    );
    assert!(matches!(
        set.validate("https://schemas.example/root.json", &json!({"issuer": 5})),
        Some(Err(SchemaError::Violations(_)))
    ));
}

#[test]
fn schema_errors() {
    assert!(matches!(
        validate(&json!({}), &json!({"type": "no-such-type"})),
        Err(SchemaError::InvalidSchema { .. })
    ));
    assert_eq!(
        SchemaSet::new().insert(json!({"type": "object"}), &[]),
        Err(SchemaError::NoId)
    );
}

/// `format` is asserted, not just annotated: a date the schema marks `date-time` must be one.
#[test]
fn formats_are_validated() {
    let mut badge = sample::data_literacy_badge();
    badge["validFrom"] = json!("30 June 2026");
    let Err(SchemaError::Violations(violations)) = validate(&badge, &achievement_schema()) else {
        panic!("a malformed validFrom validated");
    };
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert_eq!(violations[0].instance_path, "/validFrom");
}
