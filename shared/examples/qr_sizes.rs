//! The QR code sizes of the compact forms (`VC1:` and `VC2:`) for a small, a typical and a large
//! Open Badge signed with eddsa-rdfc-2022, and the typical one as a compact JWS: characters and
//! QR version at error-correction level M. BENCHMARKS.md's QR table comes from here:
//!
//! ```text
//! cargo run --release -p passerelle-core --example qr_sizes
//! cargo run --release -p passerelle-core --example qr_sizes -- --dump /tmp/badges   # + documents, codes
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use chrono::DateTime;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{self, EndorsementCredential, Iri, Profile};
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::{did, jose, qr};
use qrcode::{EcLevel, QrCode, Version};
use serde_json::{json, Value};

fn issuer_key() -> KeyPair {
    KeyPair::from_seed(&[7; 32])
}

fn sign(doc: &Value, key: &KeyPair) -> Value {
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    proof::sign(doc, key, &options).expect("the badge signs")
}

/// The sample badge (about 4.3 KB), issued by a did:key.
fn typical() -> Value {
    let mut doc = model::sample::data_literacy_badge();
    doc["issuer"]["id"] = did::did_key(&issuer_key().public()).to_string().into();
    doc
}

/// The sample reduced to what OB 3.0 requires, plus the recipient, the image and the status
/// entry an issuer puts in every badge (about 1.5 KB).
fn small() -> Value {
    let mut doc = typical();
    let subject = doc["credentialSubject"].as_object_mut().unwrap();
    subject.retain(|k, _| ["type", "identifier", "achievement"].contains(&k.as_str()));
    let achievement = subject["achievement"].as_object_mut().unwrap();
    achievement.retain(|k, _| {
        ["id", "type", "name", "description", "criteria", "image"].contains(&k.as_str())
    });
    achievement["criteria"]
        .as_object_mut()
        .unwrap()
        .remove("narrative");
    achievement["criteria"]["narrative"] =
        "Complete the six course modules and pass the final project.".into();
    let issuer = doc["issuer"].as_object_mut().unwrap();
    issuer.retain(|k, _| ["id", "type", "name", "url"].contains(&k.as_str()));
    let top = doc.as_object_mut().unwrap();
    top.retain(|k, _| {
        [
            "@context",
            "id",
            "type",
            "name",
            "issuer",
            "validFrom",
            "credentialSubject",
            "credentialStatus",
        ]
        .contains(&k.as_str())
    });
    doc
}

/// The sample with two signed endorsements of its achievement embedded.
fn large() -> Value {
    let endorsers = [
        (
            [5u8; 32],
            "Example Quality Agency",
            "https://qa-agency.example",
        ),
        (
            [6u8; 32],
            "Data Skills Alliance",
            "https://data-skills.example",
        ),
    ];
    let achievement = "https://learn.example/achievements/data-literacy-foundations";
    let endorsements: Vec<Value> = endorsers
        .iter()
        .enumerate()
        .map(|(i, (seed, name, url))| {
            let key = KeyPair::from_seed(seed);
            let endorsement = EndorsementCredential::builder(
                Iri::parse(&format!(
                    "urn:uuid:7d2e1f0a-9b8c-4d6e-a5f4-3c2b1a0e9d{i:02}"
                ))
                .unwrap(),
                Profile::new(
                    Iri::parse(did::did_key(&key.public()).as_ref()).unwrap(),
                    *name,
                    Iri::parse(url).unwrap(),
                ),
                "Recognised provider",
                Iri::parse(achievement).unwrap(),
                DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z").unwrap(),
            )
            .endorsement_comment("Meets the agency's quality criteria for online courses.")
            .build()
            .unwrap();
            sign(&endorsement, &key)
        })
        .collect();
    let mut doc = typical();
    doc["credentialSubject"]["achievement"]["endorsement"] = json!(endorsements);
    doc
}

fn zlib(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

/// The QR version `data` needs at level M (`qrcode` picks the mode: alphanumeric for Base45
/// text, byte mode for binary), or at L when M cannot hold it.
fn version(data: &[u8]) -> String {
    let at = |level| match QrCode::with_error_correction_level(data, level).map(|c| c.version()) {
        Ok(Version::Normal(n)) => Some(n.to_string()),
        Ok(Version::Micro(n)) => Some(format!("M{n}")),
        Err(_) => None,
    };
    at(EcLevel::M)
        .or_else(|| at(EcLevel::L).map(|v| format!("over 40 (L: {v})")))
        .unwrap_or_else(|| "does not fit".into())
}

fn main() {
    let dump = std::env::args()
        .skip_while(|a| a != "--dump")
        .nth(1)
        .map(std::path::PathBuf::from);
    let key = issuer_key();
    let typical_signed = serde_json::to_string(&sign(&typical(), &key)).unwrap();
    let kid = did::did_key_verification_method(&key.public());
    let jws = jose::sign_vc_jwt(&typical(), &key, kid.as_str()).unwrap();
    // The sample as published: a did:web issuer (signing resolves nothing).
    let web = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        "did:web:learn.example#key-1",
        "2026-06-30T12:00:00Z",
    );
    let sample = model::sample::data_literacy_badge();
    let web_signed = serde_json::to_string(&proof::sign(&sample, &key, &web).unwrap()).unwrap();
    let rows = [
        (
            "small (eddsa-rdfc-2022)",
            serde_json::to_string(&sign(&small(), &key)).unwrap(),
        ),
        (
            "typical: the sample, did:key issuer (eddsa-rdfc-2022)",
            typical_signed,
        ),
        (
            "typical: the sample, did:web issuer (eddsa-rdfc-2022)",
            web_signed,
        ),
        (
            "large: two endorsements (eddsa-rdfc-2022)",
            serde_json::to_string(&sign(&large(), &key)).unwrap(),
        ),
        ("typical as a compact JWS (VC-JOSE)", jws),
    ];
    println!(
        "| badge | document bytes | VC1 chars | VC1 version (M) | VC2 chars | VC2 version (M) \
         | VC2 as binary, byte mode: bytes | version (M) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (i, (name, text)) in rows.iter().enumerate() {
        // Measured whether or not they fit (the encoders refuse what does not).
        let vc1 = format!("{}{}", qr::COMPACT_PREFIX, base45::encode(zlib(text)));
        let vc2 = qr::vc2::encode(text);
        if let Some(dir) = &dump {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{i}.txt")), text).unwrap();
            std::fs::write(dir.join(format!("{i}.vc1.txt")), &vc1).unwrap();
            std::fs::write(dir.join(format!("{i}.vc2.txt")), &vc2).unwrap();
        }
        assert_eq!(
            qr::decode(&vc2).unwrap(),
            qr::QrPayload::Document(text.clone()),
            "VC2 gives back the exact bytes"
        );
        // The same body unencoded, for byte mode (what scanners that return text mangle).
        let binary = [
            qr::COMPACT_PREFIX_V2.as_bytes(),
            &base45::decode(&vc2[4..]).unwrap(),
        ]
        .concat();
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            text.len(),
            vc1.len(),
            version(vc1.as_bytes()),
            vc2.len(),
            version(vc2.as_bytes()),
            binary.len(),
            version(&binary),
        );
    }
}
