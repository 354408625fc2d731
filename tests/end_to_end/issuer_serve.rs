//! The provider's service for real: `passerelle-issuer init`, then the `serve` binary on a
//! loopback port, credentials issued through its API and verified by the REFERENCE JavaScript
//! implementation (`tests/interop/verify-served.mjs`), which resolves the issuer's did:web
//! document and its status lists over HTTP from the running service — before and after a
//! revocation, and after a key rotation and restart (old and new credentials). The Rust verifier
//! CLI then checks the same credentials from files fetched from the service.
//!
//! How a did:web on a loopback port is expressed: the did:web method only allows host names
//! (no IP addresses) and always resolves over https, so the issuer is initialised with
//! `--url https://localhost:PORT` (DID `did:web:localhost%3APORT`) and the service listens on
//! `127.0.0.1:PORT` over plain HTTP, as it would behind a TLS-terminating proxy. The JavaScript
//! side maps the https origin to the loopback address (and fetches nothing else).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use passerelle_tests::{
    assert_ok, binary, free_port, issuer_with_passphrase, node, run_env, stderr, stdout,
};
use serde_json::{json, Value};

const PASSPHRASE: &str = "serve test passphrase 41d9";
const EMAIL: &str = "ada.lovelace@example.org";

fn issuer_cmd(dir: &Path, args: &[&str]) -> Output {
    issuer_with_passphrase(PASSPHRASE, dir, args)
}

/// The running service; stopped with SIGTERM (graceful) on drop if still running.
struct Service {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Service {
    fn start(issuer_dir: &Path, port: u16, log: PathBuf) -> Self {
        let log_file = fs::File::create(&log).expect("a log file");
        let child = Command::new(binary("passerelle-issuer"))
            .args([
                "serve",
                "--dir",
                issuer_dir.to_str().expect("a UTF-8 path"),
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--status-max-age",
                "60",
            ])
            .env("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)
            .env_remove("PASSERELLE_ISSUER_DIR")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start passerelle-issuer serve");
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let started = Instant::now();
        loop {
            if let Ok(reply) = http("GET", &format!("{}/health", service.base), None, None) {
                if reply.0 == 200 {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the service did not come up: {}",
                fs::read_to_string(&service.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        service
    }

    /// SIGTERM, then the exit status (graceful shutdown exits 0).
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill can be run");
        assert!(sent.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the service") {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the service did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One HTTP request (status, body) with reqwest on a throwaway runtime.
fn http(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Vec<u8>), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = client.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, bytes.to_vec()))
    })
}

fn http_json(method: &str, url: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let (status, bytes) = http(method, url, token, body).unwrap_or_else(|e| panic!("{url}: {e}"));
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{url} answered {status} with non-JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, value)
}

/// Verifies with the reference JavaScript library, against the running service.
fn js_verify(credential: &Value, public_origin: &str, service: &Service) -> Value {
    node(
        "verify-served.mjs",
        &json!({
            "document": credential,
            "origins": { public_origin: service.base },
        }),
    )
}

fn issue(service: &Service, token: &str, email: &str, external: &str) -> Value {
    let (status, body) = http_json(
        "POST",
        &format!("{}/api/v1/credentials", service.base),
        Some(token),
        Some(&json!({
            "achievement": "data-101",
            "email": email,
            "name": "Ada Lovelace",
            "completion_date": "2026-03-01",
            "external_id": external,
        })),
    );
    assert_eq!(status, 201, "{body}");
    body
}

#[test]
fn served_credentials_verify_with_the_reference_implementation_through_revocation_and_rotation() {
    let tmp = tempfile::tempdir().expect("a scratch directory");
    let dir = tmp.path();
    let issuer_dir = dir.join("issuer");
    let port = free_port();
    let public_origin = format!("https://localhost:{port}");
    let did = format!("did:web:localhost%3A{port}");

    let out = issuer_cmd(
        dir,
        &[
            "init",
            "--dir",
            issuer_dir.to_str().unwrap(),
            "--name",
            "Open Learning Lab",
            "--url",
            &public_origin,
        ],
    );
    assert_ok(&out, "init");
    assert_eq!(stdout(&out).trim(), did);
    let out = issuer_cmd(
        dir,
        &[
            "achievement",
            "create",
            "--dir",
            issuer_dir.to_str().unwrap(),
            "--slug",
            "data-101",
            "--name",
            "Data Literacy Foundations",
            "--description",
            "Reading, cleaning and charting data responsibly.",
            "--criteria",
            "Pass all graded quizzes and the final project.",
            "--level",
            "5",
        ],
    );
    assert_ok(&out, "achievement create");

    // An API token (only its hash is stored; the secret is printed once).
    let out = issuer_cmd(
        dir,
        &[
            "token",
            "create",
            "--dir",
            issuer_dir.to_str().unwrap(),
            "--name",
            "e2e",
        ],
    );
    assert_ok(&out, "token create");
    let token = stdout(&out).trim().to_owned();
    assert!(token.starts_with("pat_"), "{token}");

    let service = Service::start(&issuer_dir, port, dir.join("serve-1.log"));
    let (status, did_doc) = http_json(
        "GET",
        &format!("{}/.well-known/did.json", service.base),
        None,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(did_doc["id"], did.as_str());

    let kept = issue(&service, &token, EMAIL, "enrolment-1")["credential"].clone();
    let issued = issue(&service, &token, "grace@example.org", "enrolment-2");
    let revoked = issued["credential"].clone();
    let revoked_id = issued["id"].as_str().unwrap().to_owned();
    let claim_url = issued["claim"]["url"].as_str().unwrap().to_owned();

    let answer = js_verify(&kept, &public_origin, &service);
    assert_eq!(answer["verified"], true, "{answer}");
    assert_eq!(
        answer["status"],
        json!([
            {"purpose": "revocation", "set": false, "listVerified": true}
        ])
    );
    let answer = js_verify(&revoked, &public_origin, &service);
    assert_eq!(answer["verified"], true, "{answer}");

    let (status, body) = http_json(
        "POST",
        &format!("{}/api/v1/credentials/{revoked_id}/revoke", service.base),
        Some(&token),
        Some(&json!({"reason": "issued in error"})),
    );
    assert_eq!(status, 200, "{body}");
    let answer = js_verify(&revoked, &public_origin, &service);
    assert_eq!(answer["verified"], false, "{answer}");
    assert_eq!(
        answer["proofVerified"], true,
        "the signature itself still holds"
    );
    assert_eq!(answer["status"][0]["purpose"], "revocation");
    assert_eq!(answer["status"][0]["set"], true, "{answer}");
    assert_eq!(answer["status"][0]["listVerified"], true, "{answer}");

    // Graceful stop, `key rotate`, restart.
    let status = service.stop();
    assert!(status.success(), "serve exited with {status} on SIGTERM");
    let out = issuer_cmd(
        dir,
        &["key", "rotate", "--dir", issuer_dir.to_str().unwrap()],
    );
    assert_ok(&out, "key rotate");
    let service = Service::start(&issuer_dir, port, dir.join("serve-2.log"));
    let (_, did_doc) = http_json(
        "GET",
        &format!("{}/.well-known/did.json", service.base),
        None,
        None,
    );
    assert_eq!(did_doc["verificationMethod"].as_array().unwrap().len(), 2);

    let fresh = issue(&service, &token, "lin@example.org", "enrolment-3")["credential"].clone();
    let fresh_vm = fresh["proof"][0]["verificationMethod"]
        .as_str()
        .or_else(|| fresh["proof"]["verificationMethod"].as_str())
        .unwrap()
        .to_owned();
    assert_eq!(fresh_vm, format!("{did}#key-2"));
    for (name, credential) in [("the old credential", &kept), ("a new one", &fresh)] {
        let answer = js_verify(credential, &public_origin, &service);
        assert_eq!(answer["verified"], true, "{name}: {answer}");
    }
    let answer = js_verify(&revoked, &public_origin, &service);
    assert_eq!(
        answer["verified"], false,
        "revocation survives the restart: {answer}"
    );

    // The Rust verifier CLI, offline, with the DID document and status lists fetched from the
    // service into files.
    let did_path = dir.join("did.json");
    fs::write(&did_path, serde_json::to_vec(&did_doc).unwrap()).unwrap();
    let check = |credential: &Value, name: &str| -> Output {
        let file = dir.join(format!("{name}.json"));
        fs::write(&file, serde_json::to_vec(credential).unwrap()).unwrap();
        let mut args = vec![
            "verify".to_owned(),
            "--json".to_owned(),
            "--did-document".to_owned(),
            did_path.display().to_string(),
        ];
        // One object by default (OB 3.0), an array when suspension is on.
        let entries = match &credential["credentialStatus"] {
            Value::Array(entries) => entries.clone(),
            one => vec![one.clone()],
        };
        for entry in &entries {
            let url = entry["statusListCredential"].as_str().unwrap();
            let path = url.strip_prefix(&public_origin).unwrap();
            let (status, bytes) =
                http("GET", &format!("{}{path}", service.base), None, None).unwrap();
            assert_eq!(status, 200);
            let list_file = dir.join(format!(
                "{name}-{}.json",
                entry["statusPurpose"].as_str().unwrap()
            ));
            fs::write(&list_file, bytes).unwrap();
            args.push("--status-list".into());
            args.push(format!("{url}={}", list_file.display()));
        }
        args.push(file.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_env("passerelle-verifier", dir, &args, None, &[])
    };
    for (name, credential) in [("kept", &kept), ("fresh", &fresh)] {
        let out = check(credential, name);
        assert!(
            out.status.success(),
            "{name}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(report["verdict"], "verified", "{name}: {report}");
    }
    let out = check(&revoked, "revoked");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["verdict"], "not_verified");

    // The claim page is served by the real binary too.
    let claim_path = claim_url.strip_prefix(&public_origin).unwrap();
    let (status, page) = http("GET", &format!("{}{claim_path}", service.base), None, None).unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("Data Literacy Foundations"));

    let status = service.stop();
    assert!(status.success());
    // Nothing secret or personal reached the logs.
    let claim_token = claim_url.rsplit('/').next().unwrap();
    for log in ["serve-1.log", "serve-2.log"] {
        let text = fs::read_to_string(dir.join(log)).unwrap();
        assert!(text.contains("listening on"), "{log}: {text}");
        for secret in [PASSPHRASE, token.as_str(), claim_token, EMAIL] {
            assert!(
                !text.contains(secret),
                "{log} contains a secret or an email"
            );
        }
    }
}

#[test]
fn a_bulk_job_killed_mid_run_and_posted_again_loses_and_duplicates_nothing() {
    const ROWS: usize = 600;
    let tmp = tempfile::tempdir().expect("a scratch directory");
    let dir = tmp.path();
    let issuer_dir = dir.join("issuer");
    let port = free_port();
    let public_origin = format!("https://localhost:{port}");
    let d = issuer_dir.to_str().unwrap();
    assert_ok(
        &issuer_cmd(
            dir,
            &["init", "--dir", d, "--name", "Lab", "--url", &public_origin],
        ),
        "init",
    );
    assert_ok(
        &issuer_cmd(
            dir,
            &[
                "achievement",
                "create",
                "--dir",
                d,
                "--slug",
                "data-101",
                "--name",
                "Data Literacy",
                "--description",
                "Charts.",
                "--criteria",
                "Pass.",
            ],
        ),
        "achievement create",
    );
    let out = issuer_cmd(dir, &["token", "create", "--dir", d, "--name", "crash"]);
    assert_ok(&out, "token create");
    let token = stdout(&out).trim().to_owned();
    let mut csv = String::from("email,completion_date,external_id\n");
    for i in 0..ROWS {
        csv.push_str(&format!("learner{i}@example.org,2026-03-01,row-{i}\n"));
    }
    let post_csv = |service: &Service| -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (status, body) = runtime.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{}/api/v1/jobs?achievement=data-101", service.base))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(csv.clone())
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        });
        assert_eq!(status, 202, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        body["id"].as_str().unwrap().to_owned()
    };
    let job = |service: &Service, id: &str| -> Value {
        let (status, body) = http_json(
            "GET",
            &format!("{}/api/v1/jobs/{id}?limit=1", service.base),
            Some(&token),
            None,
        );
        assert_eq!(status, 200, "{body}");
        body
    };

    let mut service = Service::start(&issuer_dir, port, dir.join("crash-1.log"));
    let first = post_csv(&service);
    let started = Instant::now();
    loop {
        let state = job(&service, &first);
        if state["processed"].as_u64().unwrap_or(0) > 0 || state["status"] != "running" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no progress: {state}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no graceful shutdown, no chance to tidy up.
    service.child.kill().expect("kill the service");
    service.child.wait().expect("reap the service");
    drop(service);

    service = Service::start(&issuer_dir, port, dir.join("crash-2.log"));
    let before = job(&service, &first);
    // The kill really interrupted the job: the restart marked it, part of it was committed.
    assert_eq!(before["status"], "interrupted", "{before}");
    let committed = before["issued"].as_u64().unwrap();
    assert!(committed > 0 && committed < ROWS as u64, "{before}");
    let second = post_csv(&service);
    let started = Instant::now();
    let done = loop {
        let state = job(&service, &second);
        if state["status"] != "running" {
            break state;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the re-run did not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["failed"], 0, "{done}");
    // What the dead run committed is found, not issued again (its record may lag one batch).
    assert!(done["existing"].as_u64().unwrap() >= committed, "{done}");
    assert_eq!(
        done["issued"].as_u64().unwrap() + done["existing"].as_u64().unwrap(),
        ROWS as u64,
        "{done}"
    );
    let (_, stats) = http_json(
        "GET",
        &format!("{}/api/v1/stats", service.base),
        Some(&token),
        None,
    );
    assert_eq!(
        stats["totals"]["issued"], ROWS,
        "exactly one credential per row: {stats}"
    );
    assert!(service.stop().success());
}

/// The claim page in a real browser (Debian's chromium driven by playwright-core, like the
/// verifier's page test): in each of the six UN languages, `lang`/`dir`, the switcher, no
/// script, and axe-core (WCAG 2.1 A/AA) finds no violation; screenshots of every language
/// (Arabic right to left) are saved under the target dir, in `claim-screenshots/`. A browser
/// whose locale is Arabic gets the Arabic page without asking (`Accept-Language`).
#[test]
fn a_real_browser_reads_the_claim_page_in_every_language_accessibly() {
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "/usr/bin/chromium is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)"
    );
    const LANGUAGES: [&str; 6] = ["en", "fr", "ar", "es", "ru", "zh"];
    let tmp = tempfile::tempdir().expect("a scratch directory");
    let dir = tmp.path();
    let issuer_dir = dir.join("issuer");
    let port = free_port();
    let public_origin = format!("https://localhost:{port}");
    let d = issuer_dir.to_str().unwrap();
    assert_ok(
        &issuer_cmd(
            dir,
            &[
                "init",
                "--dir",
                d,
                "--name",
                "Open Learning Lab",
                "--url",
                &public_origin,
            ],
        ),
        "init",
    );
    assert_ok(
        &issuer_cmd(
            dir,
            &[
                "achievement",
                "create",
                "--dir",
                d,
                "--slug",
                "data-101",
                "--name",
                "Data Literacy Foundations",
                "--description",
                "Reading, cleaning and charting data responsibly.",
                "--criteria",
                "Pass all graded quizzes and the final project.",
                "--level",
                "5",
            ],
        ),
        "achievement create",
    );
    let out = issuer_cmd(dir, &["token", "create", "--dir", d, "--name", "e2e"]);
    assert_ok(&out, "token create");
    let token = stdout(&out).trim().to_owned();
    let service = Service::start(&issuer_dir, port, dir.join("serve.log"));
    let issued = issue(&service, &token, EMAIL, "enrolment-1");
    let claim_url = issued["claim"]["url"].as_str().unwrap();
    let claim_path = claim_url.strip_prefix(&public_origin).unwrap();

    let shots = binary("passerelle-issuer")
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join("claim-screenshots");
    fs::create_dir_all(&shots).unwrap();
    let out = node(
        "browser.mjs",
        &json!({
            "claim": { "url": format!("{}{claim_path}", service.base), "languages": LANGUAGES },
            "screenshot_dir": shots,
        }),
    );
    for lang in LANGUAGES {
        let page = &out["claim"][lang];
        assert_eq!(page["lang"], lang, "{out:#}");
        assert_eq!(
            page["dir"],
            if lang == "ar" { "rtl" } else { "ltr" },
            "{out:#}"
        );
        assert_eq!(page["title"], "Data Literacy Foundations", "{out:#}");
        assert_eq!(page["current"], lang, "{out:#}");
        assert_eq!(page["links"], LANGUAGES.len() - 1, "{out:#}");
        assert_eq!(page["scripts"], 0, "works without JavaScript: {out:#}");
        println!("claim page in {lang}: {} characters", page["bytes"]);
    }
    assert_eq!(out["switched"]["lang"], "fr", "{out:#}");
    assert_eq!(
        out["switched"]["path"], claim_path,
        "the switcher keeps the page"
    );
    assert_eq!(out["by_locale"]["lang"], "ar", "{out:#}");
    assert_eq!(out["by_locale"]["dir"], "rtl", "{out:#}");
    let audits = out["axe"].as_array().unwrap();
    assert_eq!(audits.len(), LANGUAGES.len(), "{out:#}");
    for audit in audits {
        assert_eq!(
            audit["violations"],
            json!([]),
            "axe-core on {}: {audit:#}",
            audit["page"]
        );
        assert!(audit["passes"].as_u64().unwrap() > 10, "axe ran: {audit:#}");
    }
    for shot in out["screenshots"].as_array().unwrap() {
        let path = Path::new(shot.as_str().unwrap());
        assert!(path.is_file());
        println!("screenshot: {}", path.display());
    }
    assert!(service.stop().success());
}
