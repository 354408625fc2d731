//! Every term the bundled Open Badges 3.0 and VC contexts give a datatype, with the lexical
//! forms the data-model check accepts (and refuses) for it. The table is checked against the
//! contexts themselves: a typed term added to a bundled context without a row here fails.
//!
//! Where the OB 3.0 context and the OB JSON Schema disagree (`activityStartDate`,
//! `activityEndDate`, `dateOfBirth`: `xsd:date` in the context, `format: date-time` in the
//! schema), the data-model check follows the context and the `json_schema` check reports the
//! schema (issue 10, point 1).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use passerelle_core::contexts;
use passerelle_core::did;
use passerelle_core::jsonld;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{check_credential, sample, OB_ACHIEVEMENT_CREDENTIAL_SCHEMA};
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::schema::SchemaSet;
use passerelle_core::status::{self, Bitstring, StatusPurpose};
use passerelle_core::verify::{
    self, CheckId, CheckOptions, Fetched, MessageCode, Outcome, Presented,
};
use serde_json::{json, Map, Value};

use crate::util::json as load;

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// The contexts whose typed terms the table must cover.
const CONTEXTS: &[&str] = &[
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
];

/// Which document a row's term is tried in.
#[derive(Clone, Copy)]
enum Doc {
    /// The sample OB 3.0 badge (VCDM 2.0).
    Badge,
    /// A minimal VCDM 1.1 credential.
    V1,
    /// A Bitstring Status List credential.
    StatusList,
}

/// Where in the document the term goes.
#[derive(Clone, Copy)]
enum Place {
    Root,
    Issuer,
    Subject,
    Identifier,
    Result,
    Achievement,
    Alignment,
    ResultDescription,
    /// A Data Integrity proof object added to the document.
    Proof,
    /// The credentialStatus entry.
    Status,
    /// A relatedResource entry.
    RelatedResource,
}

struct Row {
    term: &'static str,
    /// The datatype, `xsd:` for XML Schema (http or https namespace), else the full IRI.
    datatype: &'static str,
    doc: Doc,
    place: Place,
    /// The JSON path of the value, as violations name it.
    path: &'static str,
    accepted: Vec<Value>,
    /// Forms the data-model check refuses, each as a violation at `path`.
    refused: Vec<Value>,
}

fn row(
    term: &'static str,
    datatype: &'static str,
    doc: Doc,
    place: Place,
    path: &'static str,
    accepted: Vec<Value>,
    refused: Vec<Value>,
) -> Row {
    Row {
        term,
        datatype,
        doc,
        place,
        path,
        accepted,
        refused,
    }
}

fn table() -> Vec<Row> {
    use Doc::*;
    use Place::*;
    let stamps = || {
        vec![
            json!("2024-01-15T09:00:00Z"),
            json!("2024-01-15T09:00:00.125+02:00"),
            json!("2023-12-31T24:00:00Z"),
        ]
    };
    let not_stamps = || {
        vec![
            json!("2024-01-15"),
            json!("2024-01-15T09:00:00"),
            json!("15/01/2024"),
            json!(1_705_309_200),
        ]
    };
    // xsd:date (context) or date-time (schema): both, but a date-time needs its zone.
    let dates = || {
        vec![
            json!("2024-01-15"),
            json!("2024-01-15Z"),
            json!("2024-01-15+02:00"),
            json!("2024-01-15T09:00:00Z"),
            json!("2024-01-15T09:00:00-05:00"),
        ]
    };
    let not_dates = || {
        vec![
            json!("2024-01-15T09:00:00"),
            json!("2023-02-29"),
            json!("15/01/2024"),
            json!("20240115"),
            json!(20_240_115),
        ]
    };
    let floats = || vec![json!(2), json!(2.5), json!(0.30000000000000004), json!(0)];
    let uri = |u: &str| vec![json!(u)];
    vec![
        // VC Data Model 2.0: validFrom / validUntil are xsd:dateTimeStamp (VCDM 2.0 §4.9).
        row("validFrom", "xsd:dateTime", Badge, Root, "validFrom", stamps(), not_stamps()),
        row("validUntil", "xsd:dateTime", Badge, Root, "validUntil", vec![json!("2031-06-30T12:00:00Z")], not_stamps()),
        // VCDM 1.1: the same rule for issuanceDate / expirationDate.
        row("issuanceDate", "xsd:dateTime", V1, Root, "issuanceDate", stamps(), not_stamps()),
        row("expirationDate", "xsd:dateTime", V1, Root, "expirationDate", vec![json!("2031-06-30T12:00:00Z")], not_stamps()),
        // VCDM 1.1 defines these for other vocabularies; the data model does not use them.
        row("issued", "xsd:dateTime", V1, Root, "issued", stamps(), vec![]),
        // Proof dates: the proof module reads them; the data-model check leaves them alone.
        row("created", "xsd:dateTime", Badge, Proof, "proof.created", stamps(), vec![]),
        row("expires", "xsd:dateTime", Badge, Proof, "proof.expires", stamps(), vec![]),
        row("cryptosuite", "https://w3id.org/security#cryptosuiteString", Badge, Proof, "proof.cryptosuite", vec![json!("eddsa-rdfc-2022"), json!("eddsa-jcs-2022")], vec![]),
        row("proofValue", "https://w3id.org/security#multibase", Badge, Proof, "proof.proofValue", vec![json!("z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKods5D2UBHYKXGgiKP")], vec![]),
        // Bitstring Status List (the status module checks these).
        row("statusSize", "xsd:integer", Badge, Status, "credentialStatus.statusSize", vec![json!(1), json!(2)], vec![]),
        row("encodedList", "https://w3id.org/security#multibase", StatusList, Subject, "credentialSubject.encodedList", vec![json!("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")], vec![]),
        // Integrity of related resources.
        row("digestMultibase", "https://w3id.org/security#multibase", Badge, RelatedResource, "relatedResource[0].digestMultibase", vec![json!("uEiDsMoRpBDH7kWK3TyFADRz6q9N3pKoF3Lh0Bm5tA1a1cA")], vec![]),
        row("digestSRI", "https://www.w3.org/2018/credentials#sriString", Badge, RelatedResource, "relatedResource[0].digestSRI", vec![json!("sha384-S57yQDg1MTzF56Oi9DbSQ14u7jBy0RDdx0YbeV7shwhCS88G8SCXeFq82PafhCrW")], vec![]),
        // JWT claims VC-JOSE-COSE may carry in the credential (NumericDate).
        row("exp", "xsd:nonNegativeInteger", Badge, Root, "exp", vec![json!(1_800_000_000)], vec![]),
        row("iat", "xsd:nonNegativeInteger", Badge, Root, "iat", vec![json!(1_700_000_000)], vec![]),
        row("nbf", "xsd:nonNegativeInteger", Badge, Root, "nbf", vec![json!(1_700_000_000)], vec![]),
        // Open Badges 3.0.
        row("awardedDate", "xsd:dateTime", Badge, Root, "awardedDate", stamps(), not_stamps()),
        row("activityStartDate", "xsd:date", Badge, Subject, "credentialSubject.activityStartDate", dates(), not_dates()),
        row("activityEndDate", "xsd:date", Badge, Subject, "credentialSubject.activityEndDate", dates(), not_dates()),
        row("dateOfBirth", "xsd:date", Badge, Issuer, "issuer.dateOfBirth", dates(), not_dates()),
        row("creditsAvailable", "xsd:float", Badge, Achievement, "credentialSubject.achievement.creditsAvailable", floats(), vec![json!("2"), json!(true)]),
        row("creditsEarned", "xsd:float", Badge, Subject, "credentialSubject.creditsEarned", floats(), vec![json!("2"), json!(null)]),
        row("hashed", "xsd:boolean", Badge, Identifier, "credentialSubject.identifier[0].hashed", vec![json!(true)], vec![json!("true"), json!(1)]),
        row("url", "xsd:anyURI", Badge, Issuer, "issuer.url", uri("https://learn.example/about"), vec![json!("learn.example"), json!(42)]),
        row("targetUrl", "xsd:anyURI", Badge, Alignment, "credentialSubject.achievement.alignment[0].targetUrl", uri("https://esco.example/skill/1"), vec![json!("not a url"), json!(["https://a.example"])]),
        // Result levels and descriptions: anyURI literals, not read by the data-model check.
        row("achievedLevel", "xsd:anyURI", Badge, Result, "credentialSubject.result[0].achievedLevel", uri("https://learn.example/levels/pass"), vec![]),
        row("resultDescription", "xsd:anyURI", Badge, Result, "credentialSubject.result[0].resultDescription", uri("https://learn.example/achievements/data-literacy-foundations/results/final-grade"), vec![]),
        row("requiredLevel", "xsd:anyURI", Badge, ResultDescription, "credentialSubject.achievement.resultDescription[0].requiredLevel", uri("https://learn.example/levels/pass"), vec![]),
    ]
}

/// `(term, datatype)` for every term of the context (scoped contexts included) whose `@type` is
/// a datatype: not a keyword, not a class of the OB vocabulary (a type-scoped node), and not
/// `xsd:string` (OB 3.0.0 and 3.0.1 type most text terms so; every JSON string is one).
fn typed_terms(
    context: &Value,
    prefixes: &Map<String, Value>,
    out: &mut BTreeSet<(String, String)>,
) {
    let Some(map) = context.as_object() else {
        if let Some(list) = context.as_array() {
            for item in list {
                typed_terms(item, prefixes, out);
            }
        }
        return;
    };
    for (term, definition) in map {
        let Some(definition) = definition.as_object() else {
            continue;
        };
        if let Some(Value::String(datatype)) = definition.get("@type") {
            if !datatype.starts_with('@') && !datatype.contains("/ob/vocab.html#") {
                let datatype = short_datatype(datatype, prefixes);
                if datatype != "xsd:string" {
                    out.insert((term.clone(), datatype));
                }
            }
        }
        if let Some(scoped) = definition.get("@context") {
            typed_terms(scoped, prefixes, out);
        }
    }
}

fn short_datatype(datatype: &str, prefixes: &Map<String, Value>) -> String {
    let expanded = match datatype.split_once(':') {
        Some((prefix, rest)) if !rest.starts_with("//") => match prefixes.get(prefix) {
            Some(Value::String(ns)) => format!("{ns}{rest}"),
            _ => datatype.to_owned(),
        },
        _ => datatype.to_owned(),
    };
    // OB 3.0.2+ spell the XML Schema namespace with https; it is the same datatype.
    for ns in [XSD, "https://www.w3.org/2001/XMLSchema#"] {
        if let Some(local) = expanded.strip_prefix(ns) {
            return format!("xsd:{local}");
        }
    }
    expanded
}

#[test]
fn the_table_covers_every_typed_term_of_the_bundled_contexts() {
    let mut in_contexts = BTreeSet::new();
    for url in CONTEXTS {
        let document: Value = serde_json::from_str(contexts::resolve(url).unwrap().json).unwrap();
        let context = &document["@context"];
        let mut prefixes = context.as_object().cloned().unwrap_or_default();
        prefixes
            .entry("xsd")
            .or_insert_with(|| Value::String(XSD.to_owned()));
        let mut terms = BTreeSet::new();
        typed_terms(context, &prefixes, &mut terms);
        assert!(!terms.is_empty(), "{url}: no typed terms found");
        in_contexts.extend(terms);
    }
    let in_table: BTreeSet<(String, String)> = table()
        .iter()
        .map(|r| (r.term.to_owned(), r.datatype.to_owned()))
        .collect();
    let missing: Vec<_> = in_contexts.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_contexts).collect();
    assert!(
        missing.is_empty(),
        "typed terms of the bundled contexts with no row in the table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows no bundled context types so: {stale:?}"
    );
}

fn v1_credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "urn:uuid:0b9d1a4e-6c1f-4d8e-8f3a-2e5b7c9d1f20",
        "type": ["VerifiableCredential"],
        "issuer": "did:web:learn.example",
        "issuanceDate": "2024-01-15T09:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "https://learn.example/vocab#completed": "Data Literacy Foundations"
        }
    })
}

fn document_with(row: &Row, value: &Value) -> Value {
    let mut doc = match row.doc {
        Doc::Badge => sample::data_literacy_badge(),
        Doc::V1 => v1_credential(),
        Doc::StatusList => status::status_list_credential(
            "https://learn.example/status/revocation/1",
            "did:web:learn.example",
            &StatusPurpose::Revocation,
            &Bitstring::new(status::MIN_ENTRIES, 1).unwrap(),
            DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
                .unwrap()
                .into(),
        ),
    };
    let target = match row.place {
        Place::Root => &mut doc,
        Place::Issuer => &mut doc["issuer"],
        Place::Subject => &mut doc["credentialSubject"],
        Place::Identifier => &mut doc["credentialSubject"]["identifier"][0],
        Place::Result => &mut doc["credentialSubject"]["result"][0],
        Place::Achievement => &mut doc["credentialSubject"]["achievement"],
        Place::Alignment => &mut doc["credentialSubject"]["achievement"]["alignment"][0],
        Place::ResultDescription => {
            &mut doc["credentialSubject"]["achievement"]["resultDescription"][0]
        }
        Place::Proof => {
            doc["proof"] = json!({
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2024-01-15T09:00:00Z",
                "verificationMethod": "did:web:learn.example#key-1",
                "proofPurpose": "assertionMethod",
                "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKods5D2UBHYKXGgiKP"
            });
            &mut doc["proof"]
        }
        Place::Status => &mut doc["credentialStatus"],
        Place::RelatedResource => {
            doc["relatedResource"] = json!([{"id": "https://learn.example/assets/logo.png"}]);
            &mut doc["relatedResource"][0]
        }
    };
    assert!(target.is_object(), "{}: no object to put it in", row.term);
    target[row.term] = value.clone();
    doc
}

/// Each accepted form passes the data-model check and Data Integrity safe mode (every term
/// defined; the RDF form of a number is the RDFC signature's concern, tested with the proofs);
/// each refused form is reported at the term's path.
#[test]
fn each_typed_term_accepts_its_lexical_forms() {
    let mut failures = Vec::new();
    for row in table() {
        for value in &row.accepted {
            let doc = document_with(&row, value);
            if let Err(violations) = check_credential(&doc) {
                failures.push(format!(
                    "{} = {value}: refused by the data-model check: {violations:?}",
                    row.term
                ));
            }
            if let Err(error) = jsonld::check_terms(&doc) {
                failures.push(format!(
                    "{} = {value}: refused by JSON-LD: {error}",
                    row.term
                ));
            }
        }
        for value in &row.refused {
            let doc = document_with(&row, value);
            match check_credential(&doc) {
                Ok(_) => failures.push(format!("{} = {value}: accepted", row.term)),
                Err(violations) => {
                    if !violations.iter().any(|v| v.path == row.path) {
                        failures.push(format!(
                            "{} = {value}: no violation at {}: {violations:?}",
                            row.term, row.path
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A genuine badge whose activity dates are `xsd:date`s (as the OB 3.0 context types them)
/// verifies: the data model and Open Badges checks pass, and the JSON Schema's `date-time` format
/// is reported by the `json_schema` check alone.
#[test]
fn a_badge_with_xsd_date_activity_dates_verifies_and_the_schema_reports_its_format() {
    let key = KeyPair::from_seed(&[10; 32]);
    let mut badge = sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    badge["credentialSubject"]["activityStartDate"] = json!("2026-03-02");
    badge["credentialSubject"]["activityEndDate"] = json!("2026-06-26");
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    // (The issuer's `sign` runs `check_credential` first: tests/end_to_end/cli.rs.)
    let signed = proof::sign(&badge, &key, &options).unwrap();

    let mut fetched = Fetched::default();
    let mut schemas = SchemaSet::new();
    schemas
        .insert(
            load("openbadges/schema/ob_v3p0_achievementcredential_schema.json"),
            &[OB_ACHIEVEMENT_CREDENTIAL_SCHEMA],
        )
        .unwrap();
    fetched.schemas = schemas;
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let report = verify::check(
        &Presented::Credential(signed),
        &fetched,
        now,
        &CheckOptions::default(),
    );
    let outcome = |id: CheckId| report.check(id).map(|c| c.outcome);
    assert_eq!(outcome(CheckId::Proof), Some(Outcome::Pass), "{report}");
    assert_eq!(outcome(CheckId::DataModel), Some(Outcome::Pass), "{report}");
    assert_eq!(
        outcome(CheckId::OpenBadges),
        Some(Outcome::Pass),
        "{report}"
    );
    let schema = report.check(CheckId::JsonSchema).unwrap();
    assert_eq!(schema.outcome, Outcome::Fail, "{report}");
    assert!(
        schema
            .details
            .iter()
            .any(|d| d.code == MessageCode::SchemaDetailViolation
                && d.to_string().contains("activityStartDate")),
        "{report}"
    );
    // The schema's complaint is a schema result, never an Open Badges one.
    let ob = report.check(CheckId::OpenBadges).unwrap();
    assert!(ob
        .details
        .iter()
        .all(|d| !d.to_string().contains("activityStartDate")));
}
