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
