//! The bundled JSON-LD contexts against the test vectors' copies, the W3C-published digests and
//! the provenance record in `shared/contexts/sources.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest, Sha256};

use passerelle_core::contexts::{self, ContextError};

/// Vector URLs whose bundled document is knowingly not JSON-equal to the vector copy.
const KNOWN_DIFFERENT: &[(&str, &str)] = &[(
    "https://w3id.org/security/suites/ed25519-2020/v1",
    "we bundle the context w3id.org serves (npm ed25519-signature-2020-context); the vector \
     holds w3c/vc-di-eddsa's shorter hand-written copy (see shared/contexts/SOURCES.md)",
)];

/// Vector URLs that no registry package carries, so they are not bundled.
const NOT_BUNDLED: &[&str] = &["https://w3id.org/security/jwk/v1"];

/// SHA-256 digests the W3C Recommendations print for the bytes W3C serves.
const REC_DIGESTS: &[(&str, &str)] = &[
    (
        "https://www.w3.org/ns/credentials/v2",
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    ),
    (
        "https://w3id.org/security/multikey/v1",
        "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    ),
    (
        "https://w3id.org/security/jwk/v1",
        "0f14b62f6071aafe00df265770ea0c7508e118247d79b7d861a406d2aa00bece",
    ),
];

fn vectors_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors"));
    assert!(
        dir.join("contexts/index.json").is_file(),
        "test vectors not found at {}: these tests need the project's shared/vectors folder \
         beside the workspace (../shared/vectors from the workspace root)",
        dir.display()
    );
    dir
}

/// The vectors' `contexts/index.json`: URL → file name.
fn vector_index() -> BTreeMap<String, String> {
    let path = vectors_dir().join("contexts/index.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn vector_bytes(file: &str) -> Vec<u8> {
    let path = vectors_dir().join("contexts").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn parse(what: &str, bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn bundled_contexts_equal_the_vector_copies() {
    let index = vector_index();
    let mut differing = Vec::new();
    for context in contexts::all() {
        let file = index.get(context.url).unwrap_or_else(|| {
            panic!(
                "{} is bundled but not in the vectors' index.json",
                context.url
            )
        });
        let ours = parse(context.url, context.json.as_bytes());
        let theirs = parse(file, &vector_bytes(file));
        let same_bytes = context.json.as_bytes() == vector_bytes(file).as_slice();
        let verdict = match (ours == theirs, same_bytes) {
            (true, true) => "same bytes",
            (true, false) => "same JSON, bytes differ",
            (false, _) => {
                differing.push(context.url);
                "DIFFERENT JSON"
            }
        };
        println!("{:<64} {file:<34} {verdict}", context.url);
    }
    let expected: Vec<&str> = KNOWN_DIFFERENT.iter().map(|(url, _)| *url).collect();
    assert_eq!(
        differing, expected,
        "bundled contexts whose JSON differs from the vector copy (expected only {KNOWN_DIFFERENT:?})"
    );
}

#[test]
fn every_vector_context_url_resolves() {
    let index = vector_index();
    let mut unresolved = Vec::new();
    for url in index.keys() {
        match contexts::resolve(url) {
            Ok(context) => assert_eq!(context.url, url, "resolve({url}) returned another entry"),
            Err(ContextError::Unknown { url: named }) => {
                assert_eq!(&named, url, "the error must name the requested URL");
                unresolved.push(url.as_str());
            }
            Err(other) => panic!("resolve({url}): unexpected {other:?}"),
        }
    }
    assert_eq!(
        unresolved, NOT_BUNDLED,
        "only the contexts no registry package carries may be missing"
    );
}

#[test]
fn rec_digests_hold_where_we_bundle_the_rec_bytes() {
    let index = vector_index();
    for (url, rec) in REC_DIGESTS {
        // The vectors' copy is the W3C-served file: it is our reference for the REC bytes.
        let file = &index[*url];
        let rec_bytes = vector_bytes(file);
        assert_eq!(
            &sha256_hex(&rec_bytes),
            rec,
            "vector copy {file} is not the REC bytes"
        );
        match contexts::resolve(url) {
            Ok(context) if context.sha256 == *rec => {
                assert_eq!(context.json.as_bytes(), rec_bytes.as_slice());
                println!("{url}: bundled bytes are the REC bytes");
            }
            Ok(context) => {
                assert_eq!(
                    parse(url, context.json.as_bytes()),
                    parse(file, &rec_bytes),
                    "{url}: bundled bytes are not the REC bytes and their JSON differs too"
                );
                println!(
                    "{url}: bundled bytes differ from the REC bytes (sha256 {}), JSON content equal",
                    context.sha256
                );
            }
            Err(_) => {
                assert!(NOT_BUNDLED.contains(url), "{url} must be bundled");
                println!("{url}: not bundled");
            }
        }
    }
}

#[test]
fn recorded_digests_match_the_embedded_bytes() {
    for context in contexts::all() {
        assert_eq!(
            sha256_hex(context.json.as_bytes()),
            context.sha256,
            "{}: recorded sha256 does not match the embedded bytes",
            context.url
        );
        let value = parse(context.url, context.json.as_bytes());
        assert!(
            value.get("@context").is_some(),
            "{}: not a JSON-LD context document",
            context.url
        );
    }
}

#[test]
fn table_agrees_with_the_sources_record() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/contexts/sources.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let sources = parse(path, text.as_bytes());
    let records = sources["contexts"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no contexts array"));
    assert_eq!(records.len(), contexts::all().len(), "entry count");
    for record in records {
        let field = |name: &str| {
            record[name]
                .as_str()
                .unwrap_or_else(|| panic!("{path}: record without {name}: {record}"))
        };
        let context = contexts::resolve(field("url"))
            .unwrap_or_else(|e| panic!("{path} lists an unbundled context: {e}"));
        assert_eq!(context.package, field("package"), "{}", context.url);
        assert_eq!(context.version, field("version"), "{}", context.url);
        assert_eq!(context.registry, field("registry"), "{}", context.url);
        assert_eq!(context.path, field("path"), "{}", context.url);
        assert_eq!(context.sha256, field("sha256"), "{}", context.url);
        assert_eq!(
            context.alias_of,
            record["aliasOf"].as_str(),
            "{}",
            context.url
        );
        let licences = record["licenceFiles"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {} has no licenceFiles", context.url));
        assert!(!licences.is_empty(), "{}: no licence file", context.url);
        for licence in licences {
            let file = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/contexts"))
                .join(licence.as_str().unwrap_or_default());
            assert!(
                file.is_file(),
                "{}: missing {}",
                context.url,
                file.display()
            );
        }
    }
}

#[test]
fn unknown_url_is_an_error_naming_it() {
    let url = "https://example.com/never-bundled/v1";
    let err = contexts::resolve(url).unwrap_err();
    assert_eq!(
        err,
        ContextError::Unknown {
            url: url.to_owned()
        }
    );
    let message = err.to_string();
    assert!(message.contains(url), "{message}");
    assert!(message.contains("never fetched"), "{message}");
}
