//! Builds the sample Open Badge — "Data Literacy Foundations" from a MOOC — and prints it.
//!
//! ```text
//! cargo run -p passerelle-examples --example build_badge > badge.json
//! ```
//!
//! The badge is deterministic (fixed id, salt and dates), so it doubles as the benchmark and
//! interoperability fixture. The builder code lives in
//! `passerelle_core::model::sample::data_literacy_badge`; read it to see every builder in use.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::process::ExitCode;

use passerelle_core::model::{check_credential, sample};

fn main() -> ExitCode {
    let badge = sample::data_literacy_badge();

    // What a verifier's data-model check reads back from it.
    let model = match check_credential(&badge) {
        Ok(model) => model,
        Err(violations) => {
            for violation in violations {
                eprintln!("invalid: {violation}");
            }
            return ExitCode::FAILURE;
        }
    };
    let pretty = match serde_json::to_string_pretty(&badge) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("cannot print the badge: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("{pretty}");

    let compact_len = serde_json::to_vec(&badge).map_or(0, |bytes| bytes.len());
    eprintln!("{} ({})", model.types.join(", "), model.version);
    if let Some(achievement) = &model.achievement {
        eprintln!("achievement: {}", achievement.name);
    }
    eprintln!(
        "issuer: {} ({})",
        model.issuer.name.as_deref().unwrap_or("unnamed"),
        model.issuer.id
    );
    eprintln!(
        "recipient: hashed email {}",
        model.recipients[0]
            .identifiers
            .first()
            .map_or("none", |id| id.identity_hash())
    );
    eprintln!("{compact_len} bytes as compact JSON, unsigned");
    ExitCode::SUCCESS
}
