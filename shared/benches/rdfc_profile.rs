//! A fixed workload for profilers: `N` eddsa-rdfc-2022 signatures of the sample badge (default
//! 50, or `$PASSERELLE_PROFILE_ITERATIONS`), with nothing else in the process worth measuring.
//! `BENCHMARKS.md` shows how to run it under callgrind and perf; criterion timings are in
//! `proofs.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use passerelle_core::did;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::sample;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};

pub fn main() {
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
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2024-01-01T00:00:00Z",
    );
    let iterations: u32 = std::env::var("PASSERELLE_PROFILE_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(proof::sign(black_box(&badge), &key, &options).expect("the badge signs"));
    }
    let elapsed = start.elapsed();
    println!(
        "{iterations} eddsa-rdfc-2022 signatures of the badge in {elapsed:?} ({:?} each)",
        elapsed / iterations.max(1)
    );
}
