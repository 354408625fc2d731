//! Quickstart: the whole life of an Open Badge in one program, with nothing to install.
//!
//! `cargo run --release -p passerelle-examples --example quickstart`
//!
//! 1. makes an issuer key (did:key) and a revocation status list;
//! 2. builds a 4–5 KB Open Badges 3.0 credential for a MOOC course;
//! 3. signs it three ways: eddsa-rdfc-2022, eddsa-jcs-2022 and VC-JOSE;
//! 4. verifies each, then a tampered copy, then after revocation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use chrono::{DateTime, Utc};
use passerelle_core::keys::KeyPair;
use passerelle_core::status::{self, Bitstring, StatusEntry, StatusPurpose};
use passerelle_core::verify::{self, CheckOptions, Fetched};
use passerelle_core::{did, jose, model, proof};
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The issuer's key. Randomness and the clock belong to the program, not the core.
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| format!("no randomness from the operating system: {e}"))?;
    let key = KeyPair::from_seed(&seed);
    let issuer = did::did_key(&key.public()).to_string();
    let method = did::did_key_verification_method(&key.public());
    let now = Utc::now();
    let created = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    println!("Issuer: {issuer}\n");

    // 2. The badge, issued by that key.
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = Value::String(issuer.clone());
    println!(
        "Built an Open Badge of {} bytes: {:?}\n",
        serde_json::to_vec(&badge)?.len(),
        badge["credentialSubject"]["achievement"]["name"]
    );

    // A revocation list for it (131,072 entries, all clear), signed by the issuer.
    let entries = status::parse_status_entries(&badge)?;
    let StatusEntry::Bitstring(entry) = &entries[0] else {
        return Err("the sample badge uses a BitstringStatusListEntry".into());
    };
    let mut bits = Bitstring::new(status::MIN_ENTRIES, 1)?;
    let options = |suite| proof::ProofOptions {
        cryptosuite: suite,
        verification_method: method.clone(),
        created: created.clone(),
        proof_purpose: proof::ProofPurpose::AssertionMethod,
        challenge: None,
        domain: None,
    };
    let sign_list = |bits: &Bitstring| {
        let list = status::status_list_credential(
            &entry.list_credential,
            &issuer,
            &StatusPurpose::Revocation,
            bits,
            now,
        );
        proof::sign(&list, &key, &options(proof::Cryptosuite::EddsaRdfc2022))
    };
    let mut fetched = Fetched::default();
    fetched.add_status_list(
        &entry.list_credential,
        sign_list(&bits)?,
        "built by this program",
    );

    // 3. Sign three ways.
    let rdfc = proof::sign(&badge, &key, &options(proof::Cryptosuite::EddsaRdfc2022))?;
    let jcs = proof::sign(&badge, &key, &options(proof::Cryptosuite::EddsaJcs2022))?;
    let jws = jose::sign_vc_jwt(&badge, &key, &method)?;

    // 4. Verify.
    let check =
        |bytes: &[u8], fetched: &Fetched, label: &str| -> Result<(), Box<dyn std::error::Error>> {
            let presented = verify::parse_input(bytes, &Default::default())?;
            let report = verify::check(&presented, fetched, later(now), &CheckOptions::default());
            println!("── {label} ──\n{report}");
            Ok(())
        };
    check(
        &serde_json::to_vec(&rdfc)?,
        &fetched,
        "eddsa-rdfc-2022 (the Open Badges 3.0 default)",
    )?;
    check(&serde_json::to_vec(&jcs)?, &fetched, "eddsa-jcs-2022")?;
    check(jws.as_bytes(), &fetched, "VC-JOSE compact JWS")?;

    let mut tampered = rdfc.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Data Literacy Expert".into();
    check(
        &serde_json::to_vec(&tampered)?,
        &fetched,
        "the same badge, with its name changed",
    )?;

    bits.set(entry.index.into(), 1)?;
    fetched.add_status_list(
        &entry.list_credential,
        sign_list(&bits)?,
        "built by this program",
    );
    check(
        &serde_json::to_vec(&rdfc)?,
        &fetched,
        "the badge after the issuer revoked it",
    )?;
    Ok(())
}

fn later(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::seconds(1)
}
