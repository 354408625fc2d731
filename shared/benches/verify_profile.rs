//! A fixed workload for profilers: `N` full verifications (`verify::parse_input` +
//! `verify::check`, nothing fetched) of the sample badge signed with one securing mechanism,
//! with `mimalloc` as the global allocator like the `passerelle-verifier` binary.
//!
//! ```sh
//! PASSERELLE_PROFILE_SUITE=eddsa-rdfc-2022 PASSERELLE_PROFILE_ITERATIONS=200 $BIN
//! PASSERELLE_PROFILE_STEPS=1 $BIN     # also time each step of the check alone
//! ```
//!
//! Suites: `eddsa-rdfc-2022` (default), `eddsa-jcs-2022`, `vc-jose`. Under callgrind, the
//! steady-state instructions per verification are `(total(3N) - total(N)) / 2N`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use passerelle_core::did;
use passerelle_core::input::InputLimits;
use passerelle_core::jose;
use passerelle_core::jsonld;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, sample};
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::verify::{self, CheckOptions, Fetched, Presented};

fn main() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors"));
    let path = dir.join("vc-di-eddsa/keyPair.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): the profile workload needs the shared vectors checkout",
            path.display()
        )
    });
    let key_pair: Value = serde_json::from_str(&text).expect("keyPair.json is JSON");
    let secret = key_pair["privateKeyMultibase"]
        .as_str()
        .expect("keyPair.json has privateKeyMultibase");
    let key = KeyPair::from_secret_multikey(secret).expect("the W3C vector key is valid");
    let mut badge = sample::data_literacy_badge();
    badge["issuer"]["id"] = Value::String(did::did_key(&key.public()).to_string());
    if let Some(map) = badge.as_object_mut() {
        map.remove("credentialStatus");
    }
    let vm = did::did_key_verification_method(&key.public());
    let suite =
        std::env::var("PASSERELLE_PROFILE_SUITE").unwrap_or_else(|_| "eddsa-rdfc-2022".into());
    let bytes = match suite.as_str() {
        "eddsa-rdfc-2022" | "eddsa-jcs-2022" => {
            let cryptosuite = if suite == "eddsa-rdfc-2022" {
                Cryptosuite::EddsaRdfc2022
            } else {
                Cryptosuite::EddsaJcs2022
            };
            let options = ProofOptions::assertion(cryptosuite, &vm, "2024-01-01T00:00:00Z");
            let signed = proof::sign(&badge, &key, &options).expect("the badge signs");
            serde_json::to_vec(&signed).expect("JSON serialises")
        }
        "vc-jose" => jose::sign_vc_jwt(&badge, &key, &vm)
            .expect("the badge signs")
            .into_bytes(),
        other => panic!("unknown PASSERELLE_PROFILE_SUITE {other:?}"),
    };
    let iterations: u32 = std::env::var("PASSERELLE_PROFILE_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let limits = InputLimits::default();
    let now = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
        .expect("a valid date")
        .to_utc();
    let fetched = Fetched::default();
    let options = CheckOptions::default();
    let run = || {
        let presented = verify::parse_input(black_box(&bytes), &limits).expect("parses");
        let report = verify::check(&presented, &fetched, now, &options);
        serde_json::to_vec(&report.to_json()).expect("the report serialises")
    };
    let first = run();
    let report: Value = serde_json::from_slice(&first).expect("report JSON");
    let failed: Vec<&Value> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .collect();
    assert!(failed.is_empty(), "the badge fails a check: {failed:?}");
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(run());
    }
    let elapsed = start.elapsed();
    println!(
        "{iterations} verifications ({suite}) of the badge in {elapsed:?} ({:?} each)",
        elapsed / iterations.max(1)
    );
    if std::env::var_os("PASSERELLE_PROFILE_STEPS").is_some() {
        steps(&bytes, &key, iterations.max(1), &limits);
    }
}

/// Times the parts of a verification one by one.
fn steps(bytes: &[u8], key: &KeyPair, n: u32, limits: &InputLimits) {
    let time = |name: &str, f: &mut dyn FnMut()| {
        f();
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        println!("  {name:<40} {:?}", start.elapsed() / n);
    };
    let presented = verify::parse_input(bytes, limits).expect("parses");
    time("parse_input", &mut || {
        black_box(verify::parse_input(black_box(bytes), limits).expect("parses"));
    });
    let doc = match &presented {
        Presented::Credential(doc) => doc.clone(),
        Presented::Jws(jws) => jws.credential.clone().expect("a credential"),
        _ => return,
    };
    let mut unsecured = doc.clone();
    if let Some(map) = unsecured.as_object_mut() {
        map.remove("proof");
    }
    time("jsonld::to_rdf(document with proof)", &mut || {
        black_box(jsonld::to_rdf(&doc).expect("to_rdf"));
    });
    time("jsonld::to_rdf(document without proof)", &mut || {
        black_box(jsonld::to_rdf(&unsecured).expect("to_rdf"));
    });
    let dataset = jsonld::to_rdf(&unsecured).expect("to_rdf");
    time("jsonld::canonicalize_dataset(document)", &mut || {
        black_box(jsonld::canonicalize_dataset(&dataset).expect("rdfc"));
    });
    if let Ok(proofs) = proof::proofs(&doc) {
        for parsed in &proofs {
            time("proof::hash_data", &mut || {
                black_box(proof::hash_data(&doc, parsed).expect("hash"));
            });
            time("proof::verify_proof", &mut || {
                black_box(proof::verify_proof(&doc, parsed, &key.public()).expect("verifies"));
            });
        }
    }
    let vm = did::did_key_verification_method(&key.public());
    time("did::dereference(did:key)", &mut || {
        black_box(did::dereference(&vm, &did::FetchedDocuments::new()).expect("did:key"));
    });
    time("model::check_credential", &mut || {
        black_box(model::check_credential(&doc).is_ok());
    });
}
