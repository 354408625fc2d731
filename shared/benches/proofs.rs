//! Signing and verification speed of every suite, on the W3C EdDSA vector credential and on the
//! sample Open Badge, plus the full verification a user runs and where eddsa-rdfc-2022 spends
//! its time.
//!
//! Groups (criterion ids are `group/function/document`):
//! - `sign` and `verify`: `eddsa-rdfc-2022`, `eddsa-jcs-2022` and `vc-jose` (EdDSA compact JWS)
//!   on `w3c` (`vc-di-eddsa/unsigned.json`) and `badge` (`model::sample::data_literacy_badge`);
//!   verify = reading the proof, canonicalising, hashing and checking the signature;
//! - `verify_full`: `verify::parse_input` alone, and `parse_input` + `verify::check` (data model,
//!   OB rules, safe mode, proof, did:key, dates at 2027-01-01; no status list or JSON Schema
//!   fetched, so those two checks are "not checked") of the signed badge in each securing
//!   mechanism;
//! - `rdfc_breakdown`: the steps of one eddsa-rdfc-2022 signature of the badge, each timed alone
//!   (`jsonld::to_rdf` with the warm process-wide context cache, as in a running service, and
//!   `*_uncached` with caching disabled).
//!
//! Both documents are signed with the W3C vector key (`vc-di-eddsa/keyPair.json`); the badge's
//! `issuer.id` is that key's did:key so `verify::check` can resolve it without fetching.
//!
//! `scripts/bench.sh` runs this and the reference JavaScript on the same inputs: when
//! `PASSERELLE_BENCH_INPUTS` names a directory, the inputs are written there first
//! (`w3c.json`, `badge.json`, `key.json`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use json_syntax::Parse;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use passerelle_core::did;
use passerelle_core::input::InputLimits;
use passerelle_core::jose;
use passerelle_core::jsonld;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::sample;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::verify::{self, CheckOptions, Fetched, Outcome};

const CREATED: &str = "2024-01-01T00:00:00Z";

/// What the benches sign and verify.
struct Inputs {
    key: KeyPair,
    verification_method: String,
    /// `(name, unsigned document)`.
    documents: Vec<(&'static str, Value)>,
}

fn vectors() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors"));
    assert!(
        dir.is_dir(),
        "test vectors folder {} is missing: the benchmarks need the shared vectors checkout",
        dir.display()
    );
    dir
}

fn vector_json(relative: &str) -> Value {
    let path = vectors().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("vector {relative} is not JSON: {e}"))
}

fn inputs() -> Inputs {
    let key_pair = vector_json("vc-di-eddsa/keyPair.json");
    let secret = key_pair["privateKeyMultibase"]
        .as_str()
        .expect("keyPair.json has privateKeyMultibase");
    let key = KeyPair::from_secret_multikey(secret).expect("the W3C vector key is valid");
    let verification_method = did::did_key_verification_method(&key.public());
    let w3c = vector_json("vc-di-eddsa/unsigned.json");
    let mut badge = sample::data_literacy_badge();
    badge["issuer"]["id"] = Value::String(did::did_key(&key.public()).to_string());
    Inputs {
        key,
        verification_method,
        documents: vec![("w3c", w3c), ("badge", badge)],
    }
}

/// Writes the inputs for the JavaScript side of `scripts/bench.sh`.
fn write_inputs(inputs: &Inputs) {
    let Some(dir) = std::env::var_os("PASSERELLE_BENCH_INPUTS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {dir:?}: {e}"));
    let write = |name: &str, value: &Value| {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(value).expect("a JSON value serialises");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
    };
    for (name, document) in &inputs.documents {
        write(&format!("{name}.json"), document);
    }
    write(
        "key.json",
        &json!({
            "seedHex": hex::encode(inputs.key.seed()),
            "verificationMethod": inputs.verification_method,
            "privateJwk": inputs.key.to_private_jwk(),
            "publicJwk": inputs.key.public().to_jwk(),
            "created": CREATED,
        }),
    );
}

#[derive(Clone, Copy)]
enum Mechanism {
    Di(Cryptosuite),
    Jose,
}

impl Mechanism {
    const ALL: [Mechanism; 3] = [
        Mechanism::Di(Cryptosuite::EddsaRdfc2022),
        Mechanism::Di(Cryptosuite::EddsaJcs2022),
        Mechanism::Jose,
    ];

    fn name(self) -> &'static str {
        match self {
            Mechanism::Di(suite) => suite.name(),
            Mechanism::Jose => "vc-jose",
        }
    }
}

/// A secured document: the signed JSON, or the compact JWS as a JSON string.
fn secure(inputs: &Inputs, mechanism: Mechanism, document: &Value) -> Value {
    match mechanism {
        Mechanism::Di(suite) => {
            let options = ProofOptions::assertion(suite, &inputs.verification_method, CREATED);
            proof::sign(document, &inputs.key, &options).expect("the bench documents sign")
        }
        Mechanism::Jose => Value::String(
            jose::sign_vc_jwt(document, &inputs.key, &inputs.verification_method)
                .expect("the bench documents sign as VC-JOSE"),
        ),
    }
}

/// Verifies what [`secure`] returned; panics if it does not verify (a bench must not time a
/// failure path).
fn check_secured(inputs: &Inputs, mechanism: Mechanism, secured: &Value) {
    let public = inputs.key.public();
    match (mechanism, secured) {
        (Mechanism::Di(_), _) => {
            let proofs = proof::proofs(secured).expect("the signed document has readable proofs");
            for parsed in &proofs {
                proof::verify_proof(secured, parsed, &public).expect("the proof verifies");
            }
        }
        (Mechanism::Jose, Value::String(jws)) => {
            jose::verify_compact(jws, &public).expect("the JWS verifies");
        }
        (Mechanism::Jose, _) => unreachable!("secure returns a string for VC-JOSE"),
    }
}

fn bench_sign_verify(c: &mut Criterion) {
    let inputs = inputs();
    let mut sign = c.benchmark_group("sign");
    for mechanism in Mechanism::ALL {
        for (name, document) in &inputs.documents {
            sign.bench_with_input(
                BenchmarkId::new(mechanism.name(), name),
                document,
                |b, document| b.iter(|| secure(&inputs, mechanism, black_box(document))),
            );
        }
    }
    sign.finish();

    let mut verify = c.benchmark_group("verify");
    for mechanism in Mechanism::ALL {
        for (name, document) in &inputs.documents {
            let secured = secure(&inputs, mechanism, document);
            check_secured(&inputs, mechanism, &secured);
            verify.bench_with_input(
                BenchmarkId::new(mechanism.name(), name),
                &secured,
                |b, secured| b.iter(|| check_secured(&inputs, mechanism, black_box(secured))),
            );
        }
    }
    verify.finish();
}

fn bench_verify_full(c: &mut Criterion) {
    let inputs = inputs();
    let badge = &inputs.documents[1].1;
    let now = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
        .expect("a valid date")
        .to_utc();
    let limits = InputLimits::default();
    let mut group = c.benchmark_group("verify_full");
    for mechanism in Mechanism::ALL {
        let bytes = match secure(&inputs, mechanism, badge) {
            Value::String(jws) => jws.into_bytes(),
            signed => serde_json::to_vec(&signed).expect("a JSON value serialises"),
        };
        let presented = verify::parse_input(&bytes, &limits).expect("the signed badge parses");
        let report = verify::check(
            &presented,
            &Fetched::default(),
            now,
            &CheckOptions::default(),
        );
        let failed = report
            .checks()
            .iter()
            .find(|check| check.outcome == Outcome::Fail);
        assert!(
            failed.is_none(),
            "the signed badge ({}) fails a check: {report}",
            mechanism.name()
        );
        group.bench_with_input(
            BenchmarkId::new("parse_input", mechanism.name()),
            &bytes,
            |b, bytes| b.iter(|| verify::parse_input(black_box(bytes), &limits)),
        );
        group.bench_with_input(
            BenchmarkId::new("parse_and_check", mechanism.name()),
            &bytes,
            |b, bytes| {
                b.iter(|| {
                    let presented = verify::parse_input(black_box(bytes), &limits)
                        .expect("the signed badge parses");
                    verify::check(
                        &presented,
                        &Fetched::default(),
                        now,
                        &CheckOptions::default(),
                    )
                })
            },
        );
    }
    group.finish();
}

/// The steps of one eddsa-rdfc-2022 signature of the badge, each timed alone. The document and
/// the proof configuration are each turned into RDF and canonicalised; both carry the badge's
/// three contexts.
fn bench_rdfc_breakdown(c: &mut Criterion) {
    let inputs = inputs();
    let badge = inputs.documents[1].1.clone();
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        &inputs.verification_method,
        CREATED,
    );
    let signed = proof::sign(&badge, &inputs.key, &options).expect("the badge signs");
    let parsed = proof::proofs(&signed).expect("readable proofs").remove(0);
    let hash_data = proof::hash_data(&signed, &parsed).expect("the badge hashes");
    let mut config = Value::Object(parsed.json.clone());
    config["@context"] = badge["@context"].clone();
    if let Value::Object(map) = &mut config {
        map.remove("proofValue");
    }
    let context_only = json!({ "@context": badge["@context"].clone() });
    let urls: Vec<&str> = badge["@context"]
        .as_array()
        .expect("the badge's @context is an array")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let context_texts: Vec<&'static str> = urls
        .iter()
        .map(|url| {
            passerelle_core::contexts::resolve(url)
                .expect("the badge's contexts are bundled")
                .json
        })
        .collect();
    let dataset = jsonld::to_rdf(&badge).expect("the badge is valid JSON-LD");
    let combined = hash_data.combined();
    let signature = inputs.key.sign(&combined);
    let public = inputs.key.public();

    let mut group = c.benchmark_group("rdfc_breakdown");
    group.bench_function("sign_total", |b| {
        b.iter(|| proof::sign(black_box(&badge), &inputs.key, &options))
    });
    group.bench_function("hash_data_total", |b| {
        b.iter(|| proof::hash_data(black_box(&signed), &parsed))
    });
    group.bench_function("parse_context_json", |b| {
        b.iter(|| {
            for text in &context_texts {
                black_box(json_syntax::Value::parse_str(black_box(text)).is_ok());
            }
        })
    });
    group.bench_function("to_rdf_context_only", |b| {
        b.iter(|| jsonld::to_rdf(black_box(&context_only)))
    });
    group.bench_function("to_rdf_document", |b| {
        b.iter(|| jsonld::to_rdf(black_box(&badge)))
    });
    group.bench_function("to_rdf_proof_config", |b| {
        b.iter(|| jsonld::to_rdf(black_box(&config)))
    });
    // The same two without the cache of processed top-level contexts (every call processes
    // the badge's three contexts again, as before the cache existed).
    let uncached = jsonld::ContextCache::new(0);
    group.bench_function("to_rdf_document_uncached", |b| {
        b.iter(|| uncached.to_rdf(black_box(&badge)))
    });
    group.bench_function("to_rdf_proof_config_uncached", |b| {
        b.iter(|| uncached.to_rdf(black_box(&config)))
    });
    group.bench_function("rdfc_canonicalize_document", |b| {
        b.iter(|| jsonld::canonicalize_dataset(black_box(&dataset)))
    });
    group.bench_function("sha256_both", |b| {
        b.iter(|| {
            (
                Sha256::digest(black_box(hash_data.canonical_document.as_bytes())),
                Sha256::digest(black_box(hash_data.canonical_proof_config.as_bytes())),
            )
        })
    });
    group.bench_function("ed25519_sign", |b| {
        b.iter(|| inputs.key.sign(black_box(&combined)))
    });
    group.bench_function("ed25519_verify", |b| {
        b.iter(|| public.verify(black_box(&combined), &signature))
    });
    group.finish();
}

fn config() -> Criterion {
    // Short but sane on a shared 2-core machine: 30 samples over 3 s after a 1 s warm-up.
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .noise_threshold(0.05)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_sign_verify, bench_verify_full, bench_rdfc_breakdown
}

fn main() {
    write_inputs(&inputs());
    benches();
    Criterion::default().configure_from_args().final_summary();
}
