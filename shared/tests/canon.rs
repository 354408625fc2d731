//! JSON-LD → RDF → RDFC-1.0 against the W3C and 1EdTech vectors, safe mode, toRdf pitfalls.

use passerelle_core::jsonld::{canonical_nquads, check_terms, JsonLdError};
use serde_json::{json, Value};

use crate::util;

/// The proof options with the document's `@context`, as eddsa-rdfc-2022 canonicalizes them.
fn with_context(options: &Value, document: &Value) -> Value {
    let mut config = options.clone();
    if let Some(map) = config.as_object_mut() {
        map.remove("proofValue");
        map.insert("@context".into(), document["@context"].clone());
    }
    config
}

#[test]
fn rdfc_vectors_byte_for_byte() {
    let w3c_unsigned = util::json("vc-di-eddsa/unsigned.json");
    let ob_unsigned = util::json("openbadges/ldp-eddsa-rdfc-2022/unsigned.json");
    let cases: Vec<(&str, Value, String)> = vec![
        (
            "W3C rdfc-2022 canonDoc",
            w3c_unsigned.clone(),
            util::text("vc-di-eddsa/rdfc-2022/canonDocDataInt.txt"),
        ),
        (
            "W3C rdfc-2022 proofCanon",
            util::json("vc-di-eddsa/rdfc-2022/proofConfigDataInt.json"),
            util::text("vc-di-eddsa/rdfc-2022/proofCanonDataInt.txt"),
        ),
        (
            "W3C ed25519-signature-2020 canonDoc",
            w3c_unsigned.clone(),
            util::text("vc-di-eddsa/ed25519-signature-2020/canonDocEdSig.txt"),
        ),
        (
            "OB 3.0 LDP document-canon.nq",
            ob_unsigned.clone(),
            util::text("openbadges/ldp-eddsa-rdfc-2022/document-canon.nq"),
        ),
        (
            "OB 3.0 LDP proof-canon.nq",
            with_context(
                &util::json("openbadges/ldp-eddsa-rdfc-2022/proof-options.json"),
                &ob_unsigned,
            ),
            util::text("openbadges/ldp-eddsa-rdfc-2022/proof-canon.nq"),
        ),
    ];
    let mut failures = Vec::new();
    for (name, input, expected) in &cases {
        match canonical_nquads(input) {
            Ok(got) if &got == expected => {}
            Ok(got) => failures.push(format!(
                "{name}: differs\n--- got\n{got}--- expected\n{expected}"
            )),
            Err(e) => failures.push(format!("{name}: error {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every positive sample must canonicalize: safe mode must not reject valid credentials.
#[test]
fn positive_documents_pass_safe_mode() {
    let files = [
        "vc-di-eddsa/unsigned.json",
        "vc-di-eddsa/rdfc-2022/signedDataInt.json",
        "vc-di-eddsa/jcs-2022/signedJCS.json",
        "vc-di-eddsa/ed25519-signature-2020/signedEdSig.json",
        "openbadges/ldp-eddsa-rdfc-2022/signed.json",
        "openbadges/validator-samples/simple.json",
        "openbadges/validator-samples/simple-did-key-method.json",
        "openbadges/validator-samples/endorsement-valid.json",
        "openbadges/validator-samples/simple-noproof.json",
        "openbadges/validator-samples/simple_v1.json",
        "openbadges/validator-samples/simple-eddsa-2022.json",
        "openbadges/validator-samples/complete.json",
        "openbadges/examples/achievement-alignment-case.json",
        "openbadges/examples/achievement-alignment-ctdl.json",
        "openbadges/examples/basic-openbadgecredential.json",
        "openbadges/examples/complete-openbadgecredential.json",
        "openbadges/examples/endorsementcredential.json",
        "openbadges/examples/skill-assertion-case.json",
        "openbadges/examples/skill-assertion-ctdl.json",
        "status-list/1edtech-credential-status-revoked.json",
        "status-list/1edtech-testlist-statuslist-credential.json",
        "status-list/spec-example-statuslist-credential.json",
        "status-list/spec-example-credential-with-status-entries.json",
    ];
    let failures: Vec<String> = files
        .iter()
        .filter_map(|file| {
            canonical_nquads(&util::json(file))
                .err()
                .map(|e| format!("{file}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "falsely rejected:\n{}",
        failures.join("\n")
    );
}

#[test]
fn safe_mode_names_undefined_proof_type_and_path() {
    let doc = util::json("openbadges/validator-samples/simple-multiple-proofs.json");
    let err = canonical_nquads(&doc).unwrap_err();
    match &err {
        JsonLdError::UndefinedTerm { term, path } => {
            assert_eq!(term, "SomeProofType");
            assert_eq!(path, "proof[0].type");
        }
        other => panic!("expected UndefinedTerm, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "proof[0].type: \"SomeProofType\" is not defined by the document's @context"
    );
}

fn base(extra: Value) -> Value {
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"}
    });
    if let (Some(map), Value::Object(extra)) = (doc.as_object_mut(), extra) {
        map.extend(extra);
    }
    doc
}

#[test]
fn safe_mode_rejects_undefined_property_type_and_relative_iri() {
    let cases = [
        (
            base(json!({"credentialSubject": {"id": "did:example:s", "favouriteColour": "blue"}})),
            "favouriteColour",
            "credentialSubject.favouriteColour",
        ),
        (
            base(json!({"type": ["VerifiableCredential", "MadeUpCredential"]})),
            "MadeUpCredential",
            "type[1]",
        ),
        (
            base(json!({"credentialSubject": {"id": "did:example:s", "type": "Nope"}})),
            "Nope",
            "credentialSubject.type",
        ),
    ];
    for (doc, want_term, want_path) in cases {
        match canonical_nquads(&doc) {
            Err(JsonLdError::UndefinedTerm { term, path }) => {
                assert_eq!((term.as_str(), path.as_str()), (want_term, want_path));
            }
            other => panic!("{want_term}: expected UndefinedTerm, got {other:?}"),
        }
    }
    let relative = base(json!({"id": "relative/credential/1"}));
    match canonical_nquads(&relative) {
        Err(JsonLdError::RelativeIri { iri, path }) => {
            assert_eq!(iri, "relative/credential/1");
            assert_eq!(path, "id");
        }
        other => panic!("relative id: expected RelativeIri, got {other:?}"),
    }
}

#[test]
fn contexts_are_never_fetched() {
    let mut doc = base(json!({}));
    doc["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://example.com/unknown-context.jsonld"
    ]);
    match canonical_nquads(&doc) {
        Err(JsonLdError::UnknownContext(e)) => {
            assert!(e
                .to_string()
                .contains("https://example.com/unknown-context.jsonld"))
        }
        other => panic!("expected UnknownContext, got {other:?}"),
    }
    doc["@context"] = json!(["https://www.w3.org/ns/credentials/v2", 42]);
    assert!(matches!(
        canonical_nquads(&doc),
        Err(JsonLdError::InvalidContext { .. })
    ));
    // A scoped context inside an inline context is checked too.
    doc["@context"] = json!(["https://www.w3.org/ns/credentials/v2",
        {"foo": {"@id": "https://ex.org/foo", "@context": "https://evil.example/ctx"}}]);
    assert!(matches!(
        canonical_nquads(&doc),
        Err(JsonLdError::UnknownContext(_))
    ));
    doc["@context"] = json!(["https://www.w3.org/ns/credentials/v2",
        {"@version": 1.1, "@import": "https://evil.example/import"}]);
    assert!(matches!(
        canonical_nquads(&doc),
        Err(JsonLdError::UnknownContext(_))
    ));
    doc["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "relative/context.jsonld"
    ]);
    assert!(matches!(
        canonical_nquads(&doc),
        Err(JsonLdError::UnknownContext(_))
    ));
}

/// Bad input never panics; it is an error or (for valid JSON-LD) a result.
#[test]
fn hostile_shapes_do_not_panic() {
    let inputs = [
        json!(null),
        json!(42),
        json!("text"),
        json!([]),
        json!({}),
        json!({"@context": null}),
        json!({"@context": {"@version": 2}}),
        json!({"@context": [[]]}),
        json!({"@context": "https://www.w3.org/ns/credentials/v2", "@id": 5}),
        json!({"@context": "https://www.w3.org/ns/credentials/v2", "type": 5}),
        json!({"@context": "https://www.w3.org/ns/credentials/v2", "name": {"@value": "x", "@language": "not a tag!"}}),
    ];
    for input in inputs {
        let _ = canonical_nquads(&input);
    }
    // Deep nesting: within the cap it is processed, beyond it refused, never a stack overflow.
    let nest = |levels: usize| {
        let mut inner = json!({"id": "urn:leaf", "name": "leaf"});
        for _ in 0..levels {
            inner = json!({"id": "urn:x", "nameOf": inner});
        }
        let mut doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2",
            {"nameOf": "https://ex.org/nameOf"}]});
        doc["nameOf"] = inner;
        doc
    };
    assert!(canonical_nquads(&nest(60)).is_ok());
    assert!(matches!(
        canonical_nquads(&nest(100)),
        Err(JsonLdError::TooDeep { limit: 64 })
    ));
}

/// toRdf details settled against the reference JavaScript implementation (jsonld.js 9 with rdf-canonize 5,
/// `rdfDirection: "i18n-datatype"`, `safe: true`) with the bundled contexts: each expected output
/// below is what it printed for the same input.
#[test]
fn to_rdf_matches_reference_implementation() {
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "numbers",
            "JSON-LD toRdf numbers: integral values keep integer form even when coerced (36, 36.0 -> \"36\"^^xsd:float), non-integral and >= 1e21 take the canonical double form, uncoerced integers are xsd:integer, xsd:double coercion forces the double form",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"f": {"@id": "https://ex.org/f", "@type": "http://www.w3.org/2001/XMLSchema#float"}, "dbl": {"@id": "https://ex.org/dbl", "@type": "http://www.w3.org/2001/XMLSchema#double"}, "n": "https://ex.org/n"}],
   "id": "urn:ex:numbers", "f": [36, 36.0, 3.5, -0.25, 1e21, 1.5e300], "n": [7, 3.5, 7.0, 1e21, 0.1, 123456789012], "dbl": [36, 2.5]}"#,
            r#"<urn:ex:numbers> <https://ex.org/dbl> "2.5E0"^^<http://www.w3.org/2001/XMLSchema#double> .
<urn:ex:numbers> <https://ex.org/dbl> "3.6E1"^^<http://www.w3.org/2001/XMLSchema#double> .
<urn:ex:numbers> <https://ex.org/f> "-2.5E-1"^^<http://www.w3.org/2001/XMLSchema#float> .
<urn:ex:numbers> <https://ex.org/f> "1.0E21"^^<http://www.w3.org/2001/XMLSchema#float> .
<urn:ex:numbers> <https://ex.org/f> "1.5E300"^^<http://www.w3.org/2001/XMLSchema#float> .
<urn:ex:numbers> <https://ex.org/f> "3.5E0"^^<http://www.w3.org/2001/XMLSchema#float> .
<urn:ex:numbers> <https://ex.org/f> "36"^^<http://www.w3.org/2001/XMLSchema#float> .
<urn:ex:numbers> <https://ex.org/n> "1.0E-1"^^<http://www.w3.org/2001/XMLSchema#double> .
<urn:ex:numbers> <https://ex.org/n> "1.0E21"^^<http://www.w3.org/2001/XMLSchema#double> .
<urn:ex:numbers> <https://ex.org/n> "123456789012"^^<http://www.w3.org/2001/XMLSchema#integer> .
<urn:ex:numbers> <https://ex.org/n> "3.5E0"^^<http://www.w3.org/2001/XMLSchema#double> .
<urn:ex:numbers> <https://ex.org/n> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .
"#,
        ),
        (
            "language",
            "language tags are lowercased; @direction becomes an i18n datatype, with `_dir` when there is no language",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:ex:lang",
   "name": [{"@value": "Hello", "@language": "en-US"}, {"@value": "مرحبا", "@language": "AR-eg", "@direction": "rtl"}, {"@value": "no lang", "@direction": "ltr"}]}"#,
            r#"<urn:ex:lang> <https://schema.org/name> "Hello"@en-us .
<urn:ex:lang> <https://schema.org/name> "no lang"^^<https://www.w3.org/ns/i18n#_ltr> .
<urn:ex:lang> <https://schema.org/name> "مرحبا"^^<https://www.w3.org/ns/i18n#ar-eg_rtl> .
"#,
        ),
        (
            "defaultLanguage",
            "a context's default @language is lowercased too",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"@language": "EN-gb"}], "id": "urn:ex:dl", "description": "colour"}"#,
            r#"<urn:ex:dl> <https://schema.org/description> "colour"@en-gb .
"#,
        ),
        (
            "json",
            "@json literals are RFC 8785 canonical JSON (keys sorted by UTF-16 code units, ECMAScript numbers)",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"data": {"@id": "https://ex.org/data", "@type": "@json"}}], "id": "urn:ex:json",
   "data": {"b": 1, "a": [1.0, "x", true, null, 1e21, 0.000001], "\u00e9": 2, "\u20ac": 3, "\ud83d\ude00": 4, "\ufb01": 5}}"#,
            r#"<urn:ex:json> <https://ex.org/data> "{\"a\":[1,\"x\",true,null,1e+21,0.000001],\"b\":1,\"é\":2,\"€\":3,\"😀\":4,\"ﬁ\":5}"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON> .
"#,
        ),
        (
            "escapes",
            "canonical N-Quads string escaping",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:ex:esc", "name": "tab\t nl\n cr\r quote\" back\\ bell\u0007 del\u007f nbsp\u00a0 emoji\ud83d\ude00 bs\b ff\f"}"#,
            r#"<urn:ex:esc> <https://schema.org/name> "tab\t nl\n cr\r quote\" back\\ bell\u0007 del\u007F nbsp  emoji😀 bs\b ff\f" .
"#,
        ),
        (
            "bool",
            "booleans",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"b": "https://ex.org/b"}], "id": "urn:ex:b", "b": [true, false]}"#,
            r#"<urn:ex:b> <https://ex.org/b> "false"^^<http://www.w3.org/2001/XMLSchema#boolean> .
<urn:ex:b> <https://ex.org/b> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .
"#,
        ),
    ];
    let mut failures = Vec::new();
    for (name, why, input, expected) in cases {
        // Parse the raw text so that spellings such as `36.0` and `1e21` reach the processor.
        let document: Value = serde_json::from_str(input).expect("case is JSON");
        match canonical_nquads(&document) {
            Ok(got) if got == expected => {}
            Ok(got) => failures.push(format!(
                "{name} ({why}):\n--- got\n{got}--- expected\n{expected}"
            )),
            Err(e) => failures.push(format!("{name} ({why}): error {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Data-loss inputs that jsonld.js rejects in safe mode (`safe: true`) must be rejected here too.
#[test]
fn safe_mode_matches_reference_rejections() {
    let must_fail: [(&str, &str); 10] = [
        (
            "valueTypeUndefined",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"p": "https://ex.org/p"}], "id": "urn:x", "p": {"@value": "x", "@type": "Undefined"}}"#,
        ),
        (
            "relativeIssuer",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "issuer": "relative-issuer"}"#,
        ),
        (
            "emptyType",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "type": ""}"#,
        ),
        (
            "reservedLike",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "@foo": "bar", "name": "n"}"#,
        ),
        (
            "freeFloating",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "@graph": ["scalar", {"id": "urn:y", "name": "n"}]}"#,
        ),
        (
            "nullId",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": null, "name": "n"}"#,
        ),
        (
            "relativeType",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": null}], "id": "urn:x", "type": "Foo"}"#,
        ),
        (
            "badLang",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "name": {"@value": "x", "@language": "not a tag!"}}"#,
        ),
        (
            "emptyKey",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "": "v"}"#,
        ),
        (
            "nestedUndefinedInList",
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"l": {"@id": "https://ex.org/l", "@container": "@list"}}], "id": "urn:x", "l": [{"undefinedInList": 1}]}"#,
        ),
    ];
    let mut accepted = Vec::new();
    for (name, input) in must_fail {
        let document: Value = serde_json::from_str(input).expect("case is JSON");
        if let Ok(nquads) = canonical_nquads(&document) {
            accepted.push(format!("{name}: accepted as\n{nquads}"));
        }
    }
    assert!(accepted.is_empty(), "{}", accepted.join("\n"));
    // A compact IRI with an undefined prefix is an absolute IRI (scheme `ex:`): kept, not lost.
    let kept = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "ex:foo": "bar"});
    assert_eq!(
        canonical_nquads(&kept).unwrap(),
        "<urn:x> <ex:foo> \"bar\" .\n"
    );
}

/// The negative inputs never panic; prints what safe mode says about each (for the record).
#[test]
fn negative_inputs_give_answers() {
    for dir in ["negative/1edtech-ob30", "negative/vcdm2-test-suite"] {
        let mut names: Vec<_> = std::fs::read_dir(util::vectors().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        for name in names {
            let doc = util::json(&format!("{dir}/{name}"));
            match canonical_nquads(&doc) {
                Ok(_) => println!("{dir}/{name}: canonicalizes"),
                Err(e) => println!("{dir}/{name}: {e}"),
            }
        }
    }
}

/// Numbers on which the specification, the `json-ld` crate and jsonld.js disagree are refused
/// with their path, rather than signed in a form another implementation would not reproduce
/// (jsonld.js printed `"0"^^xsd:integer` for 1e-7 and `"3.0E-1"` for 0.30000000000000004).
#[test]
fn ambiguous_numbers_are_refused() {
    for (text, path) in [
        ("1e-7", "credentialSubject.n"),
        ("0.30000000000000004", "credentialSubject.n"),
        ("100000000000000000000", "credentialSubject.n"),
        ("9007199254740993", "credentialSubject.n"),
    ] {
        let input = format!(
            r#"{{"@context": ["https://www.w3.org/ns/credentials/v2", {{"n": "https://ex.org/n"}}],
            "credentialSubject": {{"id": "did:example:s", "n": {text}}}}}"#
        );
        let document: Value = serde_json::from_str(&input).unwrap();
        match canonical_nquads(&document) {
            Err(JsonLdError::AmbiguousNumber { path: p, .. }) => assert_eq!(p, path),
            other => panic!("{text}: {other:?}"),
        }
    }
}

/// Signed as JSON text (eddsa-jcs-2022, VC-JOSE), the same numbers are unambiguous: safe mode
/// then only needs every term defined (issue 10, point 2), and still refuses an undefined one.
#[test]
fn check_terms_leaves_numbers_to_the_rdf_signature() {
    for text in [
        "1e-7",
        "0.30000000000000004",
        "100000000000000000000",
        "9007199254740993",
    ] {
        let input = format!(
            r#"{{"@context": ["https://www.w3.org/ns/credentials/v2", {{"n": "https://ex.org/n"}}],
            "type": ["VerifiableCredential"], "credentialSubject": {{"id": "did:example:s", "n": {text}}}}}"#
        );
        let document: Value = serde_json::from_str(&input).unwrap();
        assert_eq!(check_terms(&document), Ok(()), "{text}");
        let mut undefined = document.clone();
        undefined["credentialSubject"]["m"] = json!(0.30000000000000004);
        match check_terms(&undefined) {
            Err(JsonLdError::UndefinedTerm { term, path }) => {
                assert_eq!((term.as_str(), path.as_str()), ("m", "credentialSubject.m"))
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

/// A "poison" dataset (a clique of indistinguishable blank nodes) hits the work cap: an error,
/// quickly, rather than a hang.
#[test]
fn blank_node_clique_is_capped() {
    let n = 12;
    let nodes: Vec<Value> = (0..n)
        .map(|i| {
            let links: Vec<Value> = (0..n)
                .filter(|&j| j != i)
                .map(|j| json!({"@id": format!("_:b{j}")}))
                .collect();
            json!({"@id": format!("_:b{i}"), "https://ex.org/p": links})
        })
        .collect();
    let document = json!({"@context": {"@version": 1.1}, "@graph": nodes});
    let start = std::time::Instant::now();
    let result = canonical_nquads(&document);
    assert!(
        matches!(result, Err(JsonLdError::Canonicalization { .. })),
        "{result:?}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

/// Found by fuzzing (`fuzz/`): an IRI whose percent-escapes are not UTF-8 made the `json-ld`
/// crate panic while hashing it. It is now refused before processing, naming the path.
#[test]
fn iris_with_non_utf8_percent_escapes_are_refused_not_a_panic() {
    let mut doc = util::json("vc-di-eddsa/unsigned.json");
    doc["id"] = "urn:uuid:280c19b6-9680-4a37%ba84-e38b1a4e4584".into();
    match passerelle_core::jsonld::to_rdf(&doc) {
        Err(passerelle_core::jsonld::JsonLdError::InvalidIri { path, .. }) => {
            assert_eq!(path, "id")
        }
        other => panic!("expected InvalidIri at id, got {other:?}"),
    }
    // UTF-8 escapes in IRIs, and a stray "%C3" in plain text, are fine.
    let mut fine = util::json("vc-di-eddsa/unsigned.json");
    fine["id"] = "https://example.org/caf%C3%A9".into();
    fine["credentialSubject"]["alumniOf"] = "Université 50%C3 Paris".into();
    passerelle_core::jsonld::to_rdf(&fine).expect("UTF-8 escapes and plain text are accepted");
}
