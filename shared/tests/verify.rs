//! The verification report's shape over every signed and negative vector: one entry per check
//! id, never a pass without having checked, and a verdict consistent with the checks.

use chrono::{DateTime, Utc};
use passerelle_core::verify::{self, CheckOptions, Fetched, Outcome, Verdict};

use crate::util::vectors;

fn all_vector_documents() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "openbadges/validator-samples",
        "openbadges/examples",
        "openbadges/ldp-eddsa-rdfc-2022",
        "vc-di-eddsa/rdfc-2022",
        "vc-di-eddsa/jcs-2022",
        "vc-di-eddsa/ed25519-signature-2020",
        "status-list",
        "negative/1edtech-ob30",
        "negative/vcdm2-test-suite",
    ] {
        for entry in std::fs::read_dir(vectors().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json" || e == "jwt") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_report_is_well_formed() {
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let mut checked = 0;
    for path in all_vector_documents() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(presented) = verify::parse_input(&bytes, &Default::default()) else {
            continue;
        };
        let report = verify::check(
            &presented,
            &Fetched::default(),
            now,
            &CheckOptions::default(),
        );
        let name = path.display();
        let mut ids: Vec<&str> = report.checks.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(
            before,
            ids.len(),
            "{name}: a check id appears twice: {report}"
        );
        for check in &report.checks {
            assert!(
                !check.message.is_empty(),
                "{name}: {} has no message",
                check.id
            );
        }
        // Nothing was fetched: a credential with a status entry cannot have a passing status.
        if let Some(status) = report.check("status") {
            if bytes.windows(16).any(|w| w == b"credentialStatus") {
                assert_ne!(
                    status.outcome,
                    Outcome::Pass,
                    "{name}: status passed unchecked"
                );
            }
        }
        let any_fail = report.checks.iter().any(|c| c.outcome == Outcome::Fail);
        assert_eq!(
            any_fail,
            report.verdict == Verdict::NotVerified,
            "{name}: {report}"
        );
        let json = report.to_json();
        assert!(
            json["verdict"].is_string() && json["checks"].is_array(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked > 60, "only {checked} vector documents were checked");
}

#[test]
fn trust_registries_add_a_warning_or_a_pass_never_a_failure() {
    use std::sync::Arc;

    use passerelle_core::keys::KeyPair;
    use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
    use passerelle_core::trust::TrustRegistries;
    use passerelle_core::{did, model};

    let key = KeyPair::from_seed(&[7; 32]);
    let issuer = did::did_key(&key.public()).to_string();
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = issuer.clone().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    let signed = proof::sign(&badge, &key, &options).unwrap();
    let presented =
        verify::parse_input(&serde_json::to_vec(&signed).unwrap(), &Default::default()).unwrap();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let report_with = |trust: TrustRegistries| {
        let options = CheckOptions {
            trust: Some(Arc::new(trust)),
            ..Default::default()
        };
        verify::check(&presented, &Fetched::default(), now, &options)
    };

    let without = verify::check(
        &presented,
        &Fetched::default(),
        now,
        &CheckOptions::default(),
    );
    assert!(without.check("issuer_recognised").is_none());

    let unknown = report_with(TrustRegistries::new());
    let check = unknown.check("issuer_recognised").unwrap();
    assert_eq!(check.outcome, Outcome::Warning, "{unknown}");
    assert_eq!(unknown.verdict, without.verdict, "{unknown}");

    let mut trust = TrustRegistries::new();
    trust
        .load(
            &serde_json::json!({"name": "MOOC alliance", "entries": [{"id": issuer, "name": "Example MOOC"}]}),
            "f.json",
        )
        .unwrap();
    let known = report_with(trust);
    let check = known.check("issuer_recognised").unwrap();
    assert_eq!(check.outcome, Outcome::Pass, "{known}");
    assert!(check.message.contains("MOOC alliance"), "{known}");
    assert_eq!(known.verdict, Verdict::Verified, "{known}");
}
