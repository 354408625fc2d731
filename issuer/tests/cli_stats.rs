//! `passerelle-issuer stats export`, run as the real binary in a scratch issuer directory
//! (SQLite). Kept apart from `tests/end_to_end` because this branch touches only the issuer
//! crate; the credentials are written through the store so their issue months are fixed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use passerelle_issuer::config::IssuerConfig;
use passerelle_issuer::store::{CredentialId, NewCredential, Store};
use serde_json::{json, Value};

const PASSPHRASE: &str = "a passphrase nobody guesses 7f3a";

fn issuer(cwd: &Path, args: &[&str]) -> Output {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/openbadges/schema/ob_v3p0_achievementcredential_schema.json");
    Command::new(env!("CARGO_BIN_EXE_passerelle-issuer"))
        .current_dir(cwd)
        .args(args)
        .env("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)
        .env("PASSERELLE_OB_SCHEMA", schema)
        .env_remove("PASSERELLE_ISSUER_DIR")
        .env_remove("DATABASE_URL")
        .output()
        .expect("the issuer binary runs")
}

fn ok(cwd: &Path, args: &[&str]) -> String {
    let out = issuer(cwd, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn stats_export_writes_suppressed_csv_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    ok(
        cwd,
        &[
            "init",
            "--name",
            "Open Learning Lab",
            "--url",
            "https://learn.example/",
        ],
    );
    ok(
        cwd,
        &[
            "achievement",
            "create",
            "--slug",
            "data-101",
            "--name",
            "Data Literacy",
            "--description",
            "Reading data.",
            "--criteria",
            "Pass the quizzes.",
            "--level",
            "6",
            "--isced-f",
            "0613",
        ],
    );
    let refused = issuer(
        cwd,
        &[
            "achievement",
            "create",
            "--slug",
            "web-201",
            "--name",
            "Web",
            "--description",
            "W.",
            "--criteria",
            "C.",
            "--isced-f",
            "ICT",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--isced-f"));

    // 12 credentials in January 2026 and 2 in February.
    let dir = cwd.join("passerelle-issuer");
    let config = IssuerConfig::load(&dir).unwrap();
    let url = config.database_url(&dir).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = Store::connect(&url).await.unwrap();
            let a = store
                .achievement_by_slug("data-101")
                .await
                .unwrap()
                .unwrap();
            for i in 0..14 {
                let month = if i < 12 { 1 } else { 2 };
                let c = NewCredential {
                    id: CredentialId::generate(),
                    achievement_id: a.id.clone(),
                    learner_key: format!("did:key:z6MkLearner{i}"),
                    external_id: Some(format!("row-{i}")),
                    learner_email: Some(format!("person{i}@example.org")),
                    revocation: None,
                    suspension: None,
                    credential: "{}".into(),
                    issued_at: Utc.with_ymd_and_hms(2026, month, 15, 9, 0, 0).unwrap(),
                };
                store.insert_credential(&c).await.unwrap();
            }
            store.close().await;
        });

    let text = ok(
        cwd,
        &[
            "stats", "export", "--format", "json", "--from", "2026-01", "--to", "2026-02",
        ],
    );
    assert!(
        !text.contains("example.org") && !text.contains("did:key"),
        "{text}"
    );
    let export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["threshold"], 10);
    assert_eq!(export["from"], "2026-01");
    assert_eq!(export["to"], "2026-02");
    assert_eq!(export["totals"]["issued"], 14);
    // February's 2 would follow from the total and January: January is withheld.
    assert_eq!(
        export["tables"]["by_month"],
        json!([
            {"key": "2026-01", "issued": "x", "revoked": "<10", "suspended": "<10"},
            {"key": "2026-02", "issued": "<10", "revoked": "<10", "suspended": "<10"},
        ])
    );
    assert_eq!(export["tables"]["by_eqf_level"][0]["key"], "6");
    assert_eq!(export["tables"]["by_eqf_level"][0]["issued"], 14);
    assert_eq!(export["tables"]["by_isced_f"][0]["key"], "0613");

    let out = issuer(
        cwd,
        &[
            "stats",
            "export",
            "--threshold",
            "5",
            "--from",
            "2026-02",
            "--to",
            "2026-02",
            "--out",
            "stats.csv",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let csv = std::fs::read_to_string(cwd.join("stats.csv")).unwrap();
    assert!(
        csv.contains("# threshold=5\n# from=2026-02\n# to=2026-02\n"),
        "{csv}"
    );
    assert!(csv.contains("\ntotals,all,<5,<5,<5\n"), "{csv}");
    assert!(
        csv.contains("\nby_achievement,data-101,<5,<5,<5\n"),
        "{csv}"
    );

    for (args, message) in [
        (&["stats", "export", "--threshold", "2"][..], "threshold 2"),
        (&["stats", "export", "--from", "2026-1"][..], "--from"),
        (&["stats", "export", "--format", "xml"][..], "csv or json"),
        (
            &["stats", "export", "--from", "2026-03", "--to", "2026-01"][..],
            "before it starts",
        ),
    ] {
        let out = issuer(cwd, args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
    }
}
