//! Fills a new wallet with N distinct signed badges, for the `list` benchmark
//! (`scripts/bench-wallet.sh`).
//!
//! ```text
//! PASSERELLE_WALLET_PASSPHRASE=… cargo run --release -p passerelle-wallet --example fill_wallet -- DIR 10000
//! ```
//!
//! Each badge is the core's sample badge with its own `id`, signed with eddsa-jcs-2022 by one
//! did:key issuer, stored through the wallet library exactly as `import` stores it (one sealed
//! file per credential, one sealed index), but with one index write at the end.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::sealed::{KdfParams, Passphrase};
use passerelle_core::{did, model};
use passerelle_wallet::store::{Entry, Format, Verdict, Wallet};
use sha2::{Digest, Sha256};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(count)) = (args.next(), args.next()) else {
        bail!("usage: fill_wallet DIR COUNT (passphrase in $PASSERELLE_WALLET_PASSPHRASE)");
    };
    let count: u64 = count.parse().context("COUNT must be a number")?;
    let pass = std::env::var("PASSERELLE_WALLET_PASSPHRASE")
        .context("set $PASSERELLE_WALLET_PASSPHRASE")?;
    let mut wallet = Wallet::create(
        &PathBuf::from(dir),
        &Passphrase::new(pass),
        KdfParams::default(),
    )?;
    let issuer = KeyPair::from_seed(&[42; 32]);
    let issuer_did = did::did_key(&issuer.public()).to_string();
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaJcs2022,
        did::did_key_verification_method(&issuer.public()),
        "2026-06-30T12:00:00Z",
    );
    let mut items = Vec::new();
    for n in 0..count {
        let mut badge = model::sample::data_literacy_badge();
        badge["issuer"]["id"] = issuer_did.clone().into();
        badge["id"] = format!("urn:uuid:00000000-0000-4000-8000-{n:012}").into();
        let signed = proof::sign(&badge, &issuer, &options)?;
        let text = signed.to_string();
        let entry = Entry {
            number: 0,
            file: String::new(),
            digest: hex::encode(Sha256::digest(text.as_bytes())),
            format: Format::Json,
            credential_id: badge["id"].as_str().map(str::to_owned),
            achievement: Some("Data Literacy Foundations".into()),
            issuer_name: Some("Open Learning Lab".into()),
            issuer_id: Some(issuer_did.clone()),
            issued: Some("2026-06-30T12:00:00+00:00".into()),
            expires: Some("2031-06-30T12:00:00+00:00".into()),
            verdict: Verdict::Incomplete,
            verified_at: "2026-11-25T00:00:00Z".into(),
            forced: false,
            unchecked: false,
            link: None,
            source: "fill_wallet".into(),
            imported_at: "2026-11-25T00:00:00Z".into(),
        };
        items.push((entry, text));
    }
    wallet.add_many(items)?;
    eprintln!("stored {count} credentials");
    Ok(())
}
