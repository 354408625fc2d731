//! The provider's issuing journey with the real `passerelle-issuer` binary: bulk issuance from a
//! CSV (error CSV, idempotent re-run, dry run, `--out` artefacts checked by extracting the baked
//! credential and verifying it), revocation, key rotation, API tokens, and a crash test that
//! SIGKILLs a bulk run and re-runs it (SQLite, and PostgreSQL: `PASSERELLE_TEST_POSTGRES_URL`,
//! which CI sets; unset, that test fails).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use passerelle_core::verify::{self, CheckOptions, Fetched, Verdict};
use passerelle_core::{bake, did, status};
use passerelle_issuer::config::IssuerConfig;
use passerelle_issuer::issuance::{self, Issuer};
use passerelle_issuer::secret::Passphrase;
use passerelle_issuer::store::Store;
use passerelle_tests::{
    binary, enable_suspension, ob_schema_file, run_env, stderr, stdout, OB_SCHEMA_ENV,
};
use serde_json::Value;

const PASSPHRASE: &str = "bulk passphrase nobody guesses 42";
const PG_ENV: &str = "PASSERELLE_TEST_POSTGRES_URL";

/// Runs the issuer in `dir` with the issuer directory `dir/iss`, the passphrase, and `env`.
fn issuer(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let env: Vec<(&str, Option<&str>)> = env.iter().map(|(k, v)| (*k, Some(*v))).collect();
    issuer_env(dir, args, &env)
}

/// [`issuer`], where `env` can also remove variables (`None`).
fn issuer_env(dir: &Path, args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
    let iss = dir.join("iss");
    let iss = iss.to_str().unwrap().to_owned();
    let mut all: Vec<(&str, Option<&str>)> = vec![
        ("PASSERELLE_ISSUER_PASSPHRASE", Some(PASSPHRASE)),
        ("PASSERELLE_ISSUER_DIR", Some(iss.as_str())),
        ("DATABASE_URL", None),
    ];
    for (k, v) in env {
        all.retain(|(name, _)| name != k);
        all.push((k, *v));
    }
    run_env("passerelle-issuer", dir, args, None, &all)
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// An issuer with the achievement `data-101` (with an SVG image) in `dir/iss`.
fn setup(dir: &Path, env: &[(&str, &str)]) {
    let svg = dir.join("badge.svg");
    fs::write(
        &svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#2a7"/></svg>"##,
    )
    .unwrap();
    ok(
        &issuer(
            dir,
            &[
                "init",
                "--name",
                "Open Learning Lab",
                "--url",
                "https://learn.example",
                "--image",
                svg.to_str().unwrap(),
            ],
            env,
        ),
        "init",
    );
    ok(
        &issuer(
            dir,
            &[
                "achievement",
                "create",
                "--slug",
                "data-101",
                "--name",
                "Data literacy 101",
                "--description",
                "Reads, cleans and charts tabular data.",
                "--criteria",
                "Passed the final assessment.",
                "--image",
                svg.to_str().unwrap(),
            ],
            env,
        ),
        "achievement create",
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Opens the issuer directory through the library (as `serve` would).
async fn open(dir: &Path) -> Issuer {
    Issuer::open(&dir.join("iss"), Some(&Passphrase::new(PASSPHRASE)))
        .await
        .expect("open the issuer")
}

/// [`open`] for a directory whose config reads the database URL from `$DATABASE_URL`, given
/// here instead (tests do not change their own environment).
async fn open_at(dir: &Path, env: &[(&str, &str)]) -> Issuer {
    let Some((_, url)) = env.iter().find(|(k, _)| *k == "DATABASE_URL") else {
        return open(dir).await;
    };
    let config = IssuerConfig::load(&dir.join("iss")).unwrap();
    let store = Store::connect(url).await.unwrap();
    let active = store.active_key().await.unwrap().unwrap();
    let key = store
        .unlock_key(&active.id, Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    // `open` reads the installed schema from the directory; from parts, it is given.
    let schemas = passerelle_issuer::schemas::load(&dir.join("iss")).unwrap();
    Issuer::from_parts(config, store, key)
        .await
        .unwrap()
        .with_schemas(schemas)
}

/// The core verifier's verdict on `credential` with what this issuer publishes now.
async fn verdict(issuer: &Issuer, credential: &Value) -> (Verdict, Value) {
    let mut fetched = Fetched::default();
    fetched.did_documents.insert(
        &did::Did::parse(&issuer.did()).unwrap(),
        issuer.did_document().await.unwrap(),
    );
    for url in status::lists_needed(credential) {
        let id = issuance::status_list_id_from_path(url.rsplit('/').next().unwrap()).unwrap();
        let list = issuer
            .status_list_credential(&id, Utc::now())
            .await
            .unwrap();
        fetched.add_status_list(&url, list.credential, "served");
    }
    let report = verify::check(
        &verify::classify_json(credential.clone()),
        &fetched,
        Utc::now(),
        &CheckOptions::default(),
    );
    (report.verdict(), report.to_json())
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| {
            l.split(',')
                .map(|f| f.trim_matches('"').to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn bulk_issue_with_errors_rerun_dry_run_and_artefacts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir, &[]);
    let csv = dir.join("completions.csv");
    fs::write(
        &csv,
        "email,name,completion_date,grade,evidence_url,external_id\n\
         ada@example.org,Ada Lovelace,2026-03-01,92,https://learn.example/p/1,e1\n\
         not-an-email,Bad Row,2026-03-01,,,e2\n\
         bob@example.org,Bob,2026-03-02T10:00:00+02:00,,,e3\n\
         carol@example.org,Carol,31/02/2026,,,e4\n\
         dan@example.org,Dan,2026-03-03,,javascript:alert(1),e5\n\
         erin@example.org,Erin <O'Brien> & Co,2026-03-04,B+,,e6\n",
    )
    .unwrap();
    let out_dir = dir.join("badges");
    let args = [
        "issue",
        "--achievement",
        "data-101",
        "--csv",
        csv.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let first = issuer(dir, &args, &[]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert!(
        stderr(&first)
            .contains("6 rows: 3 issued, 0 already issued (kept their claim links), 3 refused"),
        "{}",
        stderr(&first)
    );
    // The error CSV: row number, external id, column, reason.
    let errors = read_csv(&out_dir.join("errors.csv"));
    assert_eq!(errors[0], ["row", "external_id", "column", "reason"]);
    let summary: Vec<(String, String, String)> = errors[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("2".into(), "e2".into(), "email".into()),
            ("4".into(), "e4".into(), "completion_date".into()),
            ("5".into(), "e5".into(), "evidence_url".into()),
        ]
    );
    // claims.csv and the per-learner files.
    let claims = read_csv(&out_dir.join("claims.csv"));
    assert_eq!(claims.len(), 4, "{claims:?}");
    assert!(!fs::read_to_string(out_dir.join("claims.csv"))
        .unwrap()
        .contains("@example.org"));
    let rt = runtime();
    rt.block_on(async {
        let iss = open(dir).await;
        for row in &claims[1..] {
            assert!(row[4].starts_with("https://learn.example/claim/clm_"));
            let stem = &row[5];
            let json: Value = serde_json::from_str(
                &fs::read_to_string(out_dir.join(format!("{stem}.json"))).unwrap(),
            )
            .unwrap();
            assert_eq!(json["id"], row[2].as_str());
            let png = fs::read(out_dir.join(format!("{stem}.png"))).unwrap();
            let svg = fs::read_to_string(out_dir.join(format!("{stem}.svg"))).unwrap();
            for baked in [
                bake::extract_png(&png).unwrap().expect("a baked PNG"),
                bake::extract_svg(&svg).unwrap().expect("a baked SVG"),
            ] {
                let doc: Value = serde_json::from_str(baked.as_str()).unwrap();
                assert_eq!(doc, json);
                let (v, report) = verdict(&iss, &doc).await;
                assert_eq!(v, Verdict::Verified, "{report}");
            }
            assert!(
                fs::read_to_string(out_dir.join(format!("{stem}-claim-qr.svg")))
                    .unwrap()
                    .contains("<svg")
            );
            // The printable certificate (A4 by default), with the name from the CSV, escaped.
            let certificate =
                fs::read_to_string(out_dir.join(format!("{stem}-certificate.svg"))).unwrap();
            assert!(certificate.contains("width=\"210mm\" height=\"297mm\""));
            let name = match row[0].as_str() {
                "1" => "Ada Lovelace",
                "3" => "Bob",
                "6" => "Erin &lt;O&#39;Brien&gt; &amp; Co",
                other => panic!("row {other} was not issued"),
            };
            assert!(
                certificate.contains(&format!(">{name}</text>")),
                "{name} not on {certificate}"
            );
            assert!(!certificate.contains("<O'Brien>"));
            assert!(
                !json.to_string().contains("example.org\""),
                "an email leaked"
            );
        }
        assert_eq!(iss.profile()["image"]["type"], "Image");
        iss.store().close().await;
    });

    // Re-run: nothing issued twice. The files are written again, the certificates on Letter.
    let mut letter_args = args.to_vec();
    letter_args.extend(["--paper", "letter"]);
    let again = issuer(dir, &letter_args, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again)
            .contains("6 rows: 0 issued, 3 already issued (kept their claim links), 3 refused"),
        "{}",
        stderr(&again)
    );
    for row in &claims[1..] {
        let stem = &row[5];
        let certificate =
            fs::read_to_string(out_dir.join(format!("{stem}-certificate.svg"))).unwrap();
        assert!(
            certificate.contains("width=\"215.9mm\" height=\"279.4mm\""),
            "row {}",
            row[0]
        );
    }
    let a5 = issuer(dir, &[&args[..], &["--paper", "a5"]].concat(), &[]);
    assert_eq!(a5.status.code(), Some(2), "{}", stderr(&a5));
    assert!(
        stderr(&a5).contains("unknown paper size \"a5\": use a4 or letter"),
        "{}",
        stderr(&a5)
    );
    // A dry run of the same rows says they are already issued (not "valid", not new).
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run");
    let dry_again = issuer(dir, &dry_args, &[]);
    assert!(
        stderr(&dry_again)
            .contains("6 rows: 0 valid (dry run, nothing issued), 3 already issued, 3 refused"),
        "{}",
        stderr(&dry_again)
    );
    // Dry run of new rows: valid rows counted, nothing stored.
    let fresh = dir.join("fresh.csv");
    fs::write(
        &fresh,
        "did,completion_date\n\
         did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK,2026-03-01\n",
    )
    .unwrap();
    let dry = issuer(
        dir,
        &[
            "issue",
            "--achievement",
            "data-101",
            "--csv",
            fresh.to_str().unwrap(),
            "--dry-run",
        ],
        &[],
    );
    ok(&dry, "dry run");
    assert!(
        stderr(&dry).contains("1 valid (dry run"),
        "{}",
        stderr(&dry)
    );
    rt.block_on(async {
        let iss = open(dir).await;
        let a = iss.achievement("data-101").await.unwrap();
        assert_eq!(iss.store().count_credentials(&a.id).await.unwrap(), 3);
        iss.store().close().await;
    });
    // A header the tool does not know is refused before anything happens.
    let bad = dir.join("bad.csv");
    fs::write(
        &bad,
        "mail_addr,completion_date\nx@example.org,2026-01-01\n",
    )
    .unwrap();
    let refused = issuer(
        dir,
        &[
            "issue",
            "--achievement",
            "data-101",
            "--csv",
            bad.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("unknown column"),
        "{}",
        stderr(&refused)
    );
}

/// Nine learners, and with `extra` a tenth.
fn nine_rows(path: &Path, extra: bool) {
    let mut text = String::from("email,name,completion_date,external_id\n");
    for i in 1..=9 {
        text.push_str(&format!("l{i}@example.org,Learner {i},2026-03-0{i},k{i}\n"));
    }
    if extra {
        text.push_str("l10@example.org,Learner 10,2026-03-10,k10\n");
    }
    fs::write(path, text).unwrap();
}

/// (credential id, claim link) per line of claims.csv, and its line count with the header.
fn claim_links(out: &Path) -> (Vec<(String, String)>, usize) {
    let claims = read_csv(&out.join("claims.csv"));
    let links = claims[1..]
        .iter()
        .map(|r| (r[2].clone(), r[4].clone()))
        .collect();
    (links, claims.len())
}

/// Issue 12.3: re-running `issue` on the same CSV writes each credential once, keeps the
/// claim links (claims.csv rewritten, not appended), says what it did; an added row issues only
/// that one; `--new-claim-links` replaces the links and the old ones stop working.
#[test]
fn rerunning_issue_keeps_one_line_and_one_claim_link_per_credential() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir, &[]);
    let csv = dir.join("nine.csv");
    nine_rows(&csv, false);
    let out = dir.join("out");
    let args = |csv: &Path| {
        vec![
            "issue".to_owned(),
            "--achievement".into(),
            "data-101".into(),
            "--csv".into(),
            csv.to_str().unwrap().into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ]
    };
    let run = |extra: &[&str], csv: &Path| {
        let mut a = args(csv);
        a.extend(extra.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = issuer(dir, &a, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let first = run(&[], &csv);
    assert!(
        first.contains("9 rows: 9 issued, 0 already issued (kept their claim links), 0 refused"),
        "{first}"
    );
    let (links, lines) = claim_links(&out);
    assert_eq!(lines, 10);
    for _ in 0..2 {
        let again = run(&[], &csv);
        assert!(
            again
                .contains("9 rows: 0 issued, 9 already issued (kept their claim links), 0 refused"),
            "{again}"
        );
        assert_eq!(claim_links(&out), (links.clone(), 10));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(out.join("claims.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "claims.csv holds the claim links");
    }
    assert!(!out.join("errors.csv").exists());
    // One added row: only it is issued.
    let ten = dir.join("ten.csv");
    nine_rows(&ten, true);
    let added = run(&[], &ten);
    assert!(
        added.contains("10 rows: 1 issued, 9 already issued (kept their claim links), 0 refused"),
        "{added}"
    );
    let (ten_links, lines) = claim_links(&out);
    assert_eq!(lines, 11);
    assert_eq!(ten_links[..9], links[..]);
    // New links on request: all differ, and the old ones no longer redeem.
    let renewed = run(&["--new-claim-links"], &ten);
    assert!(
        renewed.contains(
            "10 already issued (10 given new claim links: their old links no longer work)"
        ),
        "{renewed}"
    );
    let (new_links, lines) = claim_links(&out);
    assert_eq!(lines, 11);
    let rt = runtime();
    rt.block_on(async {
        let iss = open(dir).await;
        for ((old_id, old), (new_id, new)) in ten_links.iter().zip(&new_links) {
            assert_eq!(old_id, new_id);
            assert_ne!(old, new);
            let token = |url: &str| url.rsplit('/').next().unwrap().to_owned();
            let now = Utc::now();
            assert!(iss
                .store()
                .redeem_claim_token(&token(old), now)
                .await
                .unwrap()
                .is_none());
            let found = iss
                .store()
                .redeem_claim_token(&token(new), now)
                .await
                .unwrap();
            assert_eq!(found.unwrap().id.to_string(), *new_id);
        }
        iss.store().close().await;
    });
    // Without --out there is nowhere to put new links: refused, nothing changed.
    let no_out = issuer(
        dir,
        &[
            "issue",
            "--achievement",
            "data-101",
            "--csv",
            csv.to_str().unwrap(),
            "--new-claim-links",
        ],
        &[],
    );
    assert_eq!(no_out.status.code(), Some(2), "{}", stderr(&no_out));
    assert!(
        stderr(&no_out).contains("--new-claim-links needs --out"),
        "{}",
        stderr(&no_out)
    );
}

/// Issue 12.5: `credential list` (the admin API's filters, a table or its JSON) and `credential
/// show` (record, status, claim links, the signed credential).
#[test]
fn credential_list_and_show_use_the_api_filters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir, &[]);
    let csv = dir.join("three.csv");
    fs::write(
        &csv,
        "email,name,completion_date,external_id\n\
         a@example.org,A,2026-03-01,k1\n\
         b@example.org,B,2026-03-02,k2\n\
         c@example.org,C,2026-03-03,k3\n",
    )
    .unwrap();
    let out = dir.join("out");
    ok(
        &issuer(
            dir,
            &[
                "issue",
                "--achievement",
                "data-101",
                "--csv",
                csv.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        ),
        "issue",
    );
    let claims = read_csv(&out.join("claims.csv"));
    let ids: Vec<String> = claims[1..].iter().map(|r| r[2].clone()).collect();
    ok(&issuer(dir, &["revoke", &ids[0]], &[]), "revoke");

    let table = ok(&issuer(dir, &["credential", "list"], &[]), "list");
    assert_eq!(table.lines().count(), 4, "{table}");
    for id in &ids {
        assert!(table.contains(id.as_str()), "{table}");
    }
    let json = |args: &[&str]| -> Value {
        serde_json::from_str(&ok(&issuer(dir, args, &[]), "credential --json")).unwrap()
    };
    let revoked = json(&["credential", "list", "--status", "revoked", "--json"]);
    let items = revoked["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{revoked}");
    assert_eq!(items[0]["id"], ids[0].as_str());
    assert_eq!(items[0]["status"], "revoked");
    let found = json(&["credential", "list", "--search", "k2", "--json"]);
    assert_eq!(found["items"][0]["external_id"], "k2", "{found}");
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let paged = json(&[
        "credential",
        "list",
        "--limit",
        "2",
        "--achievement",
        "data-101",
        "--json",
    ]);
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    let cursor = paged["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = json(&[
        "credential",
        "list",
        "--limit",
        "2",
        "--cursor",
        &cursor,
        "--json",
    ]);
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let bad = issuer(dir, &["credential", "list", "--status", "gone"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--status: \"gone\": expected active, revoked or suspended"),
        "{}",
        stderr(&bad)
    );

    let shown = ok(&issuer(dir, &["credential", "show", &ids[0]], &[]), "show");
    assert!(shown.contains("revoked at"), "{shown}");
    assert!(shown.contains("1 link(s), 1 still working"), "{shown}");
    assert!(shown.contains("External id  k1"), "{shown}");
    let record = json(&["credential", "show", &ids[0], "--json"]);
    assert_eq!(record["status"], "revoked");
    assert_eq!(record["claim_links"].as_array().unwrap().len(), 1);
    let text = ok(
        &issuer(dir, &["credential", "show", &ids[1], "--credential"], &[]),
        "show --credential",
    );
    let stem = &claims[2][5];
    let file: Value =
        serde_json::from_str(&fs::read_to_string(out.join(format!("{stem}.json"))).unwrap())
            .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), file);
    let missing = issuer(
        dir,
        &[
            "credential",
            "show",
            "urn:uuid:00000000-0000-4000-8000-000000000000",
        ],
        &[],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no credential"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn revoke_suspend_rotate_and_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir, &[]);
    enable_suspension(&dir.join("iss"));
    let csv = dir.join("c.csv");
    fs::write(
        &csv,
        "email,completion_date,external_id\nada@example.org,2026-03-01,1\nbob@example.org,2026-03-01,2\n",
    )
    .unwrap();
    let out = dir.join("out");
    ok(
        &issuer(
            dir,
            &[
                "issue",
                "--achievement",
                "data-101",
                "--csv",
                csv.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        ),
        "issue",
    );
    let claims = read_csv(&out.join("claims.csv"));
    let (ada, bob) = (claims[1][2].clone(), claims[2][2].clone());
    let load = |row: &Vec<String>| -> Value {
        serde_json::from_str(&fs::read_to_string(out.join(format!("{}.json", row[5]))).unwrap())
            .unwrap()
    };
    let (ada_doc, bob_doc) = (load(&claims[1]), load(&claims[2]));

    let revoked = issuer(dir, &["revoke", &ada, "--reason", "plagiarism"], &[]);
    assert_eq!(ok(&revoked, "revoke").trim(), format!("{ada} revoked"));
    ok(&issuer(dir, &["suspend", &bob], &[]), "suspend");
    let rt = runtime();
    rt.block_on(async {
        let iss = open(dir).await;
        assert_eq!(verdict(&iss, &ada_doc).await.0, Verdict::NotVerified);
        assert_eq!(verdict(&iss, &bob_doc).await.0, Verdict::NotVerified);
        iss.store().close().await;
    });
    ok(&issuer(dir, &["unsuspend", &bob], &[]), "unsuspend");
    let refused = issuer(dir, &["unsuspend", &ada], &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("revocation is final"),
        "{}",
        stderr(&refused)
    );
    let bad_id = issuer(dir, &["revoke", "not-an-id"], &[]);
    assert!(
        stderr(&bad_id).contains("not a credential id"),
        "{}",
        stderr(&bad_id)
    );

    // Rotation: a wrong passphrase changes nothing; the right one makes key-2 sign.
    let wrong = issuer(
        dir,
        &["key", "rotate"],
        &[("PASSERELLE_ISSUER_PASSPHRASE", "not the passphrase at all")],
    );
    assert!(!wrong.status.success());
    let rotated = ok(&issuer(dir, &["key", "rotate"], &[]), "key rotate");
    assert_eq!(rotated.trim(), "did:web:learn.example#key-2");
    let config = fs::read_to_string(dir.join("iss/issuer.toml")).unwrap();
    assert!(config.contains("did:web:learn.example#key-2"), "{config}");
    let csv2 = dir.join("c2.csv");
    fs::write(
        &csv2,
        "email,completion_date\ncarol@example.org,2026-03-05\n",
    )
    .unwrap();
    let out2 = dir.join("out2");
    ok(
        &issuer(
            dir,
            &[
                "issue",
                "--achievement",
                "data-101",
                "--csv",
                csv2.to_str().unwrap(),
                "--out",
                out2.to_str().unwrap(),
            ],
            &[],
        ),
        "issue after rotation",
    );
    let carol = read_csv(&out2.join("claims.csv"));
    let carol_doc: Value = serde_json::from_str(
        &fs::read_to_string(out2.join(format!("{}.json", carol[1][5]))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        carol_doc["proof"][0]["verificationMethod"],
        "did:web:learn.example#key-2"
    );
    rt.block_on(async {
        let iss = open(dir).await;
        // bob (signed by key-1, reinstated) and carol (key-2) verify; ada stays revoked.
        assert_eq!(verdict(&iss, &bob_doc).await.0, Verdict::Verified);
        assert_eq!(verdict(&iss, &carol_doc).await.0, Verdict::Verified);
        assert_eq!(verdict(&iss, &ada_doc).await.0, Verdict::NotVerified);
        iss.store().close().await;
    });

    // API tokens: the secret is printed once, listed never, and stops working when revoked.
    let created = issuer(dir, &["token", "create", "--name", "LMS"], &[]);
    let secret = ok(&created, "token create").trim().to_owned();
    assert!(secret.starts_with("pat_") && secret.len() > 40);
    // The message says where the secret went: stdout, once, stored only hashed.
    let told = stderr(&created);
    for words in ["standard output", "once", "hash", "token revoke"] {
        assert!(told.contains(words), "{words}: {told}");
    }
    assert!(
        !told.contains(&secret),
        "the secret is on stdout only: {told}"
    );
    let listed = ok(&issuer(dir, &["token", "list"], &[]), "token list");
    assert!(
        listed.contains("LMS") && !listed.contains(&secret),
        "{listed}"
    );
    let id = listed.split_whitespace().next().unwrap().to_owned();
    rt.block_on(async {
        let iss = open(dir).await;
        assert!(iss
            .store()
            .authenticate_api_token(&secret)
            .await
            .unwrap()
            .is_some());
        iss.store().close().await;
    });
    ok(&issuer(dir, &["token", "revoke", &id], &[]), "token revoke");
    rt.block_on(async {
        let iss = open(dir).await;
        assert!(iss
            .store()
            .authenticate_api_token(&secret)
            .await
            .unwrap()
            .is_none());
        let actions: Vec<String> = iss
            .store()
            .audit_entries(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        for wanted in [
            "credential.revoke",
            "key.rotate",
            "token.create",
            "token.revoke",
        ] {
            assert!(actions.iter().any(|a| a == wanted), "{wanted}: {actions:?}");
        }
        iss.store().close().await;
    });
    let unknown = issuer(dir, &["token", "revoke", "urn:uuid:nope"], &[]);
    assert!(!unknown.status.success());
}

#[test]
fn suspending_a_credential_without_a_suspension_entry_says_how_to_enable_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir, &[]); // suspension off, the default
    let csv = dir.join("c.csv");
    fs::write(
        &csv,
        "email,completion_date,external_id\nada@example.org,2026-03-01,1\n",
    )
    .unwrap();
    let out = dir.join("out");
    ok(
        &issuer(
            dir,
            &[
                "issue",
                "--achievement",
                "data-101",
                "--csv",
                csv.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        ),
        "issue",
    );
    let ada = read_csv(&out.join("claims.csv"))[1][2].clone();
    let refused = issuer(dir, &["suspend", &ada], &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let told = stderr(&refused);
    for words in [
        "no suspension status entry",
        "suspension = true",
        "[issuance]",
        "issuer.toml",
        "revoked",
    ] {
        assert!(told.contains(words), "{words}: {told}");
    }
    // Nothing changed: it can still be revoked.
    let revoked = issuer(dir, &["revoke", &ada], &[]);
    assert_eq!(ok(&revoked, "revoke").trim(), format!("{ada} revoked"));
}

/// Writes a CSV of `n` valid rows.
fn big_csv(path: &Path, n: usize) {
    let mut text = String::from("email,completion_date,external_id\n");
    for i in 0..n {
        text.push_str(&format!("learner{i}@example.org,2026-03-01,row-{i}\n"));
    }
    fs::write(path, text).unwrap();
}

/// Starts a bulk run, SIGKILLs it once some (not all) credentials are committed, re-runs it
/// to completion, and checks: every row issued exactly once, all ids and indices distinct.
fn kill_and_rerun(dir: &Path, env: &[(&str, &str)]) {
    const ROWS: usize = 400;
    setup(dir, env);
    let csv = dir.join("big.csv");
    big_csv(&csv, ROWS);
    let iss_dir: PathBuf = dir.join("iss");
    let args = [
        "issue",
        "--achievement",
        "data-101",
        "--csv",
        csv.to_str().unwrap(),
        "--batch-size",
        "16",
    ];
    let mut command = Command::new(binary("passerelle-issuer"));
    command
        .current_dir(dir)
        .args(args)
        .env("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)
        .env("PASSERELLE_ISSUER_DIR", &iss_dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let rt = runtime();
    let count = |rt: &tokio::runtime::Runtime| -> i64 {
        rt.block_on(async {
            let iss = open_at(dir, env).await;
            let a = iss.achievement("data-101").await.unwrap();
            let n = iss.store().count_credentials(&a.id).await.unwrap();
            iss.store().close().await;
            n
        })
    };
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let n = count(&rt);
        if n >= 32 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let after_kill = count(&rt);
    assert!(
        after_kill > 0 && (after_kill as usize) < ROWS,
        "killed after {after_kill} of {ROWS}: not mid-run"
    );
    // Issue 11.11: the killed run's job said `running`; the next start on this machine sees its
    // process is gone and marks it interrupted at once (another machine's job: by its heartbeat,
    // see issuer/tests/issuance.rs).
    let rerun = issuer(dir, &args, env);
    let err = stderr(&rerun);
    assert!(rerun.status.success(), "{err}");
    assert!(
        err.contains("1 earlier bulk job(s) had died without finishing"),
        "the re-run should say it marked the dead job: {err}"
    );
    assert!(
        err.contains(&format!(
            "{} issued, {after_kill} already issued (kept their claim links), 0 refused",
            ROWS as i64 - after_kill
        )),
        "{err}"
    );
    rt.block_on(async {
        let iss = open_at(dir, env).await;
        let a = iss.achievement("data-101").await.unwrap();
        assert_eq!(
            iss.store().count_credentials(&a.id).await.unwrap(),
            ROWS as i64
        );
        // Every row once; every credential's status slots distinct.
        let mut revocation = HashSet::new();
        for i in 0..ROWS {
            let key = iss.learner_key(&issuance::Recipient::Email(format!(
                "learner{i}@example.org"
            )));
            let c = iss
                .store()
                .credential_by_key(&a.id, &key, Some(&format!("row-{i}")))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("row {i} lost"));
            assert!(revocation.insert(c.revocation.unwrap()));
            // One status entry by default (revocation), as OB 3.0 allows.
            assert!(c.suspension.is_none());
        }
        // The killed job is marked interrupted; the re-run completed.
        let jobs = iss.store().bulk_jobs().await.unwrap();
        let mut statuses: Vec<&str> = jobs.iter().map(|j| j.status.as_str()).collect();
        statuses.sort();
        assert_eq!(statuses, ["completed", "interrupted"]);
        assert!(jobs
            .iter()
            .any(|j| j.issued as i64 == ROWS as i64 - after_kill));
        iss.store().close().await;
    });
}

#[test]
fn killed_bulk_run_resumes_without_loss_or_duplicates_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    kill_and_rerun(tmp.path(), &[]);
}

#[test]
fn killed_bulk_run_resumes_without_loss_or_duplicates_postgres() {
    // A test that did not run must not pass: without the server this fails, saying how.
    let base = std::env::var(PG_ENV).unwrap_or_else(|_| {
        panic!(
            "PostgreSQL tests need a server: {PG_ENV} is not set \
             (.ci/run starts PostgreSQL and sets it; see README, 'Tests')"
        )
    });
    let schema = format!("e2e_{}", uuid::Uuid::new_v4().simple());
    let rt = runtime();
    rt.block_on(async {
        let admin = sqlx::PgPool::connect(&base).await.expect("PostgreSQL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
    });
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let tmp = tempfile::tempdir().unwrap();
    kill_and_rerun(tmp.path(), &[("DATABASE_URL", url.as_str())]);
    rt.block_on(async {
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
    });
}

/// Nothing is signed unchecked: without the OB 3.0 JSON Schema (no network at `init`, no local
/// copy) the issuer refuses to issue and says how to install it; a wrong file is refused at
/// install time; once installed, issued credentials pass the official schema as a whole (one
/// `credentialStatus` object by default); a schema file changed after install is refused.
#[test]
fn the_ob_schema_is_installed_before_anything_is_issued() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let iss = dir.join("iss");
    // No local copy, and every https request goes to a proxy that refuses connections, so the
    // fetch fails here as it would on a machine without network.
    let offline = |args: &[&str]| {
        let refused = Some("http://127.0.0.1:9");
        issuer_env(
            dir,
            args,
            &[
                (OB_SCHEMA_ENV, None),
                ("HTTPS_PROXY", refused),
                ("https_proxy", refused),
                ("ALL_PROXY", None),
                ("all_proxy", None),
                ("NO_PROXY", None),
                ("no_proxy", None),
            ],
        )
    };
    let init = offline(&["init", "--name", "Lab", "--url", "https://learn.example"]);
    ok(&init, "init");
    assert!(
        stderr(&init).contains("WARNING: the OB 3.0 JSON Schema could not be installed"),
        "{}",
        stderr(&init)
    );
    ok(
        &offline(&[
            "achievement",
            "create",
            "--slug",
            "data-101",
            "--name",
            "Data literacy 101",
            "--description",
            "Reads, cleans and charts tabular data.",
            "--criteria",
            "Passed.",
        ]),
        "achievement create",
    );
    let csv = dir.join("c.csv");
    fs::write(
        &csv,
        "email,completion_date,external_id\nada@example.org,2026-03-01,1\n",
    )
    .unwrap();
    let out = dir.join("out");
    let issue_args = [
        "issue",
        "--achievement",
        "data-101",
        "--csv",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let refused = offline(&issue_args);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("passerelle-issuer schema install"),
        "{}",
        stderr(&refused)
    );
    assert!(!out.join("claims.csv").exists(), "nothing may be issued");
    let shown = offline(&["schema", "show"]);
    assert!(
        stdout(&shown).contains("no schema installed"),
        "{}",
        stdout(&shown)
    );
    assert!(
        stderr(&shown).contains("issuing is refused"),
        "{}",
        stderr(&shown)
    );

    // Wrong files are refused at install time, and change nothing.
    let html = dir.join("not-found.html");
    fs::write(&html, "<html><body>Not Found</body></html>").unwrap();
    let profile_schema = ob_schema_file().with_file_name("ob_v3p0_profile_schema.json");
    for (wrong, expected) in [
        (html.as_path(), "not a JSON object"),
        (
            profile_schema.as_path(),
            "rejects the reference OB 3.0 badge",
        ),
    ] {
        let refused = offline(&["schema", "install", "--from", wrong.to_str().unwrap()]);
        assert!(!refused.status.success());
        assert!(stderr(&refused).contains(expected), "{}", stderr(&refused));
    }
    assert!(!iss.join("schemas/manifest.toml").exists());

    let official = ob_schema_file();
    let installed = offline(&["schema", "install", "--from", official.to_str().unwrap()]);
    ok(&installed, "schema install");
    let shown: Value =
        serde_json::from_str(&ok(&offline(&["schema", "show", "--json"]), "schema show")).unwrap();
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(fs::read(&official).unwrap()))
    };
    assert_eq!(shown["schemas"][0]["sha256"], digest.as_str());
    assert_eq!(shown["require_ob_schema"], true);

    ok(&offline(&issue_args), "issue");
    let claims = read_csv(&out.join("claims.csv"));
    let doc: Value = serde_json::from_str(
        &fs::read_to_string(out.join(format!("{}.json", claims[1][5]))).unwrap(),
    )
    .unwrap();
    assert!(
        doc["credentialStatus"].is_object(),
        "{}",
        doc["credentialStatus"]
    );
    let mut set = passerelle_core::schema::SchemaSet::new();
    set.insert(
        serde_json::from_slice(&fs::read(&official).unwrap()).unwrap(),
        &[passerelle_core::model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA],
    )
    .unwrap();
    let verdict = set.validate(
        passerelle_core::model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
        &doc,
    );
    assert!(matches!(verdict, Some(Ok(()))), "{verdict:?}");

    // A schema file changed behind the manifest's back is never used.
    let file = iss.join("schemas/ob_v3p0_achievementcredential_schema.json");
    let mut text = fs::read_to_string(&file).unwrap();
    text.push('\n');
    fs::write(&file, text).unwrap();
    fs::write(
        &csv,
        "email,completion_date,external_id\nbob@example.org,2026-03-01,2\n",
    )
    .unwrap();
    let refused = offline(&issue_args);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("does not match its record"),
        "{}",
        stderr(&refused)
    );
}
