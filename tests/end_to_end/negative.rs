//! Every file in `../shared/vectors/negative/` is rejected — by `verify`, with the check that
//! explains why, and for the VCDM 2.0 inputs also by `passerelle-issuer sign`. The loop reports
//! every file that misbehaved, not just the first.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use passerelle_core::verify::{self, CheckOptions, Fetched, Outcome, Verdict};
use passerelle_tests::{run, stderr, vectors};

fn files(folder: &str) -> Vec<PathBuf> {
    let dir = vectors().join("negative").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vectors in {}", dir.display());
    files
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .unwrap()
        .into()
}

fn failed_checks(report: &verify::Report) -> Vec<&'static str> {
    report
        .checks()
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| c.id.as_str())
        .collect()
}

/// The check that must fail for each 1EdTech negative, from the validator's own test expectations.
fn expected_1edtech_check(name: &str) -> &'static str {
    match name {
        "simple-err-proof-value.json" => "proof",
        "simple-err-type.json" => "open_badges",
        "simple-err-context.json" => "data_model",
        "simple-err-issuer.json" => "data_model",
        "simple-err-issued.json" | "simple-err-expired.json" => "validity_period",
        "simple-err-credential-subject-type.json"
        | "simple-err-issuer-type.json"
        | "simple-err-evidence-type.json" => "open_badges",
        name if name.starts_with("simple-err-proof-method") => "verification_method",
        other => panic!("new 1EdTech negative vector {other}: add its expected check here"),
    }
}

#[test]
fn every_1edtech_negative_fails_verification_with_the_right_check() {
    let mut misbehaved = Vec::new();
    for path in files("1edtech-ob30") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let presented = match verify::parse_input(&bytes, &Default::default()) {
            Ok(p) => p,
            Err(e) => {
                misbehaved.push(format!("{name}: could not even be read: {e}"));
                continue;
            }
        };
        let report = verify::check(
            &presented,
            &Fetched::default(),
            now(),
            &CheckOptions::default(),
        );
        let failed = failed_checks(&report);
        let expected = expected_1edtech_check(&name);
        println!(
            "{name}: verdict {:?}, failed checks {failed:?}",
            report.verdict()
        );
        if report.verdict() != Verdict::NotVerified {
            misbehaved.push(format!(
                "{name}: verdict {:?}, expected not_verified",
                report.verdict()
            ));
        } else if !failed.contains(&expected) {
            misbehaved.push(format!(
                "{name}: expected the {expected} check to fail, failed: {failed:?}"
            ));
        }
    }
    assert!(
        misbehaved.is_empty(),
        "misbehaving vectors:\n{}",
        misbehaved.join("\n")
    );
}

#[test]
fn every_vcdm2_negative_is_refused_by_sign_and_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        "passerelle-issuer",
        dir.path(),
        &["keygen", "--out", "key.jwk"],
        None,
    );
    assert!(out.status.success());
    let mut misbehaved = Vec::new();
    for path in files("vcdm2-test-suite") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();

        // The issuer refuses to sign it (the "-or-inject" inputs may be refused too).
        let out = run(
            "passerelle-issuer",
            dir.path(),
            &["sign", "--keep-issuer", "--verification-method", "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "--key", "key.jwk", path.to_str().unwrap()],
            None,
        );
        let refusal = stderr(&out);
        if out.status.code() != Some(2) {
            misbehaved.push(format!(
                "{name}: sign exited {:?}, expected a refusal (2)",
                out.status.code()
            ));
        } else if refusal.trim().is_empty() {
            misbehaved.push(format!("{name}: sign refused without saying why"));
        }

        // The verifier rejects it for a reason beyond "unsigned": the data model or JSON-LD.
        let presented = match verify::parse_input(&bytes, &Default::default()) {
            Ok(p) => p,
            Err(e) => {
                println!("{name}: unreadable input: {e}");
                continue;
            }
        };
        let report = verify::check(
            &presented,
            &Fetched::default(),
            now(),
            &CheckOptions::default(),
        );
        let failed = failed_checks(&report);
        println!(
            "{name}: sign: {}; verify failed checks {failed:?}",
            refusal.trim()
        );
        if report.verdict() != Verdict::NotVerified {
            misbehaved.push(format!("{name}: verdict {:?}", report.verdict()));
        } else if !failed.iter().any(|c| {
            matches!(
                *c,
                "data_model" | "json_ld" | "validity_period" | "status" | "open_badges"
            )
        }) {
            misbehaved.push(format!(
                "{name}: only {failed:?} failed; the data-model violation went unnoticed"
            ));
        }
    }
    assert!(
        misbehaved.is_empty(),
        "misbehaving vectors:\n{}",
        misbehaved.join("\n")
    );
}
