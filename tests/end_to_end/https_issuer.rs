//! `passerelle-issuer serve` on loopback **https** for the end-to-end tests that speak its
//! protocols (OpenID4VCI, the Open Badges 3.0 API): an issuer directory with one achievement
//! (`data-101`) and an admin API token, a development CA from `passerelle-issuer dev-tls`
//! trusted by the test's client through its CA file (nothing special-cased for http), and the
//! service's log for failure messages. Each test module adds its protocol's helpers in its own
//! `impl Issuer` block.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use passerelle_tests::{assert_ok, binary, free_port, issuer_with_passphrase, stdout};
use serde_json::Value;

/// The issuer's passphrase in these tests.
pub const PASSPHRASE: &str = "oid4vci test passphrase 7c21";

pub fn issuer_cmd(dir: &Path, args: &[&str]) -> Output {
    issuer_with_passphrase(PASSPHRASE, dir, args)
}

/// A reply: status, headers, body (JSON when it parses, else the text as a JSON string).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// One issuer directory, its development CA and `serve` over https on a loopback port.
pub struct Issuer {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    /// `https://localhost:PORT`: the credential issuer identifier and the did:web host.
    pub base: String,
    pub port: u16,
    pub ca: PathBuf,
    pub admin_token: String,
    pub http: reqwest::blocking::Client,
    child: Child,
    pub log: PathBuf,
}

impl Issuer {
    pub fn start() -> Self {
        Self::start_after(|_, _| {})
    }

    /// Sets the issuer up, runs `before_serve(scratch dir, issuer dir)` (CLI steps that need the
    /// database to themselves), then serves.
    pub fn start_after(before_serve: impl FnOnce(&Path, &str)) -> Self {
        let tmp = tempfile::tempdir().expect("a scratch directory");
        let dir = tmp.path().to_path_buf();
        let issuer_dir = dir.join("issuer");
        let d = issuer_dir.to_str().expect("a UTF-8 path").to_owned();
        let port = free_port();
        let base = format!("https://localhost:{port}");
        assert_ok(
            &issuer_cmd(
                &dir,
                &[
                    "init",
                    "--dir",
                    &d,
                    "--name",
                    "Open Learning Lab",
                    "--url",
                    &base,
                ],
            ),
            "init",
        );
        assert_ok(
            &issuer_cmd(
                &dir,
                &[
                    "achievement",
                    "create",
                    "--dir",
                    &d,
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
        let out = issuer_cmd(&dir, &["token", "create", "--dir", &d, "--name", "oid4vci"]);
        assert_ok(&out, "token create");
        let admin_token = stdout(&out).trim().to_owned();
        let tls = dir.join("tls");
        let out = issuer_cmd(
            &dir,
            &[
                "dev-tls",
                "--dir",
                &d,
                "--out",
                tls.to_str().unwrap(),
                "--name",
                "localhost",
                "--name",
                "127.0.0.1",
            ],
        );
        assert_ok(&out, "dev-tls");
        let ca = tls.join("ca.pem");
        let pem = fs::read(&ca).expect("dev-tls wrote ca.pem");
        let http = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM CA"))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an https client");
        before_serve(&dir, &d);
        let log = dir.join("serve.log");
        let child = Command::new(binary("passerelle-issuer"))
            .args([
                "serve",
                "--dir",
                &d,
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--tls-cert",
                tls.join("server.pem").to_str().unwrap(),
                "--tls-key",
                tls.join("server-key.pem").to_str().unwrap(),
            ])
            .env("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)
            .env_remove("PASSERELLE_ISSUER_DIR")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("start passerelle-issuer serve");
        let issuer = Self {
            _tmp: tmp,
            dir,
            base,
            port,
            ca,
            admin_token,
            http,
            child,
            log,
        };
        let started = Instant::now();
        loop {
            if let Ok(response) = issuer.http.get(issuer.url("/health")).send() {
                if response.status().as_u16() == 200 {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the https service did not come up: {}",
                issuer.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        issuer
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn reply(&self, request: reqwest::blocking::RequestBuilder, what: &str) -> Reply {
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{what}: {e}\nservice log:\n{}", self.log_text()));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, url: &str) -> Reply {
        self.reply(self.http.get(url), url)
    }

    /// One award through the admin API (`POST /api/v1/credentials` with `body`): its answer,
    /// which must be 201 (the credential, its claim link and its offers).
    pub fn award(&self, body: &Value) -> Value {
        let reply = self.reply(
            self.http
                .post(self.url("/api/v1/credentials"))
                .bearer_auth(&self.admin_token)
                .json(body),
            "POST /api/v1/credentials",
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
