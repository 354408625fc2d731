//! The learner journey with the real `passerelle-wallet` binary in scratch directories: init (through
//! a pseudo-terminal and through stdin), import of every format the issuer and the reference JS
//! signer produce (JSON, JWS, baked PNG/SVG, QR images and text, claim links over HTTP), duplicates,
//! wrong passphrases, presentations checked by our verifier and by the reference JS, backup and
//! restore, passphrase change, offline status "as of", and a killed import.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use passerelle_core::keys::KeyPair;
use passerelle_core::status::{self, Bitstring, StatusEntry, StatusPurpose};
use passerelle_core::{bake, did, model, proof, qr};
use passerelle_tests::{binary, node, run, run_env, stderr, stdout};
use serde_json::{json, Value};

const PASS: &str = "a wallet passphrase 4e1c";
const CREATED: &str = "2026-06-30T12:00:00Z";

/// A wallet in a scratch directory, driven with the passphrase in the environment.
struct Wallet {
    tmp: tempfile::TempDir,
}

impl Wallet {
    fn new() -> Self {
        let wallet = Self {
            tmp: tempfile::tempdir().unwrap(),
        };
        let out = wallet.run(&["init"], None);
        assert!(out.status.success(), "init failed: {}", stderr(&out));
        assert!(stdout(&out).trim().starts_with("did:key:z6Mk"));
        wallet
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn store(&self) -> PathBuf {
        self.dir().join("wallet")
    }

    fn run_with(&self, args: &[&str], stdin: Option<&[u8]>, pass: Option<&str>) -> Output {
        let store = self.store();
        let mut all = vec!["--wallet", store.to_str().unwrap()];
        all.extend_from_slice(args);
        run_env(
            "passerelle-wallet",
            self.dir(),
            &all,
            stdin,
            &[
                ("PASSERELLE_WALLET_PASSPHRASE", pass),
                ("PASSERELLE_WALLET_NEW_PASSPHRASE", None),
                ("PASSERELLE_WALLET_DIR", None),
                ("NO_COLOR", Some("1")),
                // English whatever the developer's locale: these tests read the messages.
                ("LC_ALL", None),
                ("LC_MESSAGES", None),
                ("LANG", None),
            ],
        )
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.run_with(args, stdin, Some(PASS))
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, None);
        assert!(
            out.status.success(),
            "wallet {args:?} failed ({:?}): {}",
            out.status.code(),
            stderr(&out)
        );
        stdout(&out)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.run(&all, None);
        let text = stdout(&out);
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "wallet {args:?} --json is not JSON ({e}): {text}\nstderr: {}",
                stderr(&out)
            )
        })
    }

    /// An offline import that keeps what could not be fully checked (offline, status lists are
    /// never checked).
    fn import(&self, source: &str) -> Output {
        self.run(&["import", "--offline", "--keep-unchecked", source], None)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.dir().join(name), bytes).unwrap();
        self.dir().join(name).to_str().unwrap().to_owned()
    }

    fn list(&self) -> Vec<Value> {
        self.json(&["list"]).as_array().cloned().unwrap_or_default()
    }

    /// Every file of the store with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut stack = vec![self.store()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.insert(path.clone(), std::fs::read(&path).unwrap());
                }
            }
        }
        files
    }
}

/// An issuer key made by `passerelle-issuer keygen`, with the sample badge signed in every format.
struct Issuer {
    tmp: tempfile::TempDir,
    key: KeyPair,
}

impl Issuer {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let out = run(
            "passerelle-issuer",
            tmp.path(),
            &["keygen", "--out", "key.jwk"],
            None,
        );
        assert!(out.status.success(), "keygen: {}", stderr(&out));
        let jwk: Value =
            serde_json::from_slice(&std::fs::read(tmp.path().join("key.jwk")).unwrap()).unwrap();
        let key = KeyPair::from_jwk(&jwk).unwrap();
        Self { tmp, key }
    }

    fn did(&self) -> String {
        did::did_key(&self.key.public()).to_string()
    }

    /// `passerelle-issuer sign --suite SUITE` of `credential`: JSON text or a compact JWS.
    fn sign(&self, credential: &Value, suite: &str) -> String {
        std::fs::write(
            self.tmp.path().join("unsigned.json"),
            serde_json::to_vec(credential).unwrap(),
        )
        .unwrap();
        let out = run(
            "passerelle-issuer",
            self.tmp.path(),
            &[
                "sign",
                "--key",
                "key.jwk",
                "--suite",
                suite,
                "--created",
                CREATED,
                "unsigned.json",
            ],
            None,
        );
        assert!(out.status.success(), "sign {suite}: {}", stderr(&out));
        stdout(&out).trim().to_owned()
    }
}

/// A small badge (no status, few fields) whose compact form fits in a QR code.
fn tiny_badge() -> Value {
    let sample = model::sample::data_literacy_badge();
    json!({
        "@context": sample["@context"],
        "id": "urn:uuid:7d0c9c52-7c1f-4a43-9a5e-2b7f0c3f1a01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:replaced", "type": ["Profile"], "name": "Tiny School"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Knots",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://tiny.example/achievements/knots",
                "type": ["Achievement"],
                "name": "Knots",
                "description": "Ties three knots.",
                "criteria": {"narrative": "Tie them."}
            }
        }
    })
}

/// What the fixture server answers: path → (content type, body).
type Routes = Arc<Mutex<BTreeMap<String, (String, Vec<u8>)>>>;

/// A fixture HTTP server on 127.0.0.1 serving `routes`; anything else is a 404.
fn serve(routes: Routes) -> String {
    serve_logged(routes, Arc::new(Mutex::new(Vec::new())))
}

/// [`serve`], recording every requested path in `log`.
fn serve_logged(routes: Routes, log: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
            log.lock().unwrap().push(path.clone());
            let found = routes.lock().unwrap().get(&path).cloned();
            let (status, kind, body) = match found {
                Some((kind, body)) => ("200 OK", kind, body),
                None => ("404 Not Found", "text/plain".into(), b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    base
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

#[test]
fn init_asks_the_passphrase_on_a_terminal_and_reads_it_from_stdin() {
    // Through a pseudo-terminal: asked twice, not echoed.
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("w");
    let mut command = Command::new(binary("passerelle-wallet"));
    command
        .args(["--wallet", store.to_str().unwrap(), "init"])
        .env_remove("PASSERELLE_WALLET_PASSPHRASE")
        .env_remove("PASSERELLE_WALLET_NEW_PASSPHRASE");
    let mut session = rexpect::session::spawn_command(command, Some(30_000)).unwrap();
    session.exp_string("New wallet passphrase:").unwrap();
    session.send_line(PASS).unwrap();
    session.exp_string("Repeat it:").unwrap();
    session.send_line(PASS).unwrap();
    let rest = session.exp_eof().unwrap();
    assert!(rest.contains("did:key:z6Mk"), "{rest}");
    assert!(!rest.contains(PASS), "the passphrase was echoed: {rest}");

    // The prompt opens it; a wrong one typed at the prompt is refused with exit code 3.
    for (typed, expected) in [(PASS, 0), ("not the passphrase", 3)] {
        let mut command = Command::new(binary("passerelle-wallet"));
        command
            .args(["--wallet", store.to_str().unwrap(), "list"])
            .env_remove("PASSERELLE_WALLET_PASSPHRASE");
        let mut session = rexpect::session::spawn_command(command, Some(30_000)).unwrap();
        session.exp_string("Wallet passphrase:").unwrap();
        session.send_line(typed).unwrap();
        let rest = session.exp_eof().unwrap();
        let status = session.process.wait().unwrap();
        match status {
            rexpect::process::wait::WaitStatus::Exited(_, got) => {
                assert_eq!(got, expected, "{rest}")
            }
            other => panic!("unexpected end {other:?}: {rest}"),
        }
    }

    // --passphrase-stdin.
    let other = tmp.path().join("v");
    let out = run_env(
        "passerelle-wallet",
        tmp.path(),
        &[
            "--wallet",
            other.to_str().unwrap(),
            "--passphrase-stdin",
            "init",
        ],
        Some(format!("{PASS}\n").as_bytes()),
        &[("PASSERELLE_WALLET_PASSPHRASE", None)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_env(
        "passerelle-wallet",
        tmp.path(),
        &[
            "--wallet",
            other.to_str().unwrap(),
            "--passphrase-stdin",
            "list",
            "--json",
        ],
        Some(format!("{PASS}\n").as_bytes()),
        &[("PASSERELLE_WALLET_PASSPHRASE", None)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "[]");
    // Too short, and no terminal nor passphrase at all: usage errors that say what to do.
    let out = run_env(
        "passerelle-wallet",
        tmp.path(),
        &["--wallet", "x", "--passphrase-stdin", "init"],
        Some(b"short\n"),
        &[("PASSERELLE_WALLET_PASSPHRASE", None)],
    );
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("too short"), "{}", stderr(&out));
}

#[test]
fn imports_every_format_recognises_duplicates_and_refuses_tampered_credentials() {
    let issuer = Issuer::new();
    let badge = model::sample::data_literacy_badge();
    let wallet = Wallet::new();
    let mut expected = 0;
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jose"] {
        let signed = issuer.sign(&badge, suite);
        let file = wallet.write(&format!("{suite}.out"), signed.as_bytes());
        let out = wallet.import(&file);
        assert_eq!(code(&out), Some(0), "{suite}: {}", stderr(&out));
        expected += 1;
        assert!(
            stderr(&out).contains("Data Literacy Foundations")
                && stderr(&out).contains("Open Learning Lab")
                && stderr(&out).contains(&format!("Stored as #{expected}")),
            "{suite}: {}",
            stderr(&out)
        );
        // Same credential again, even re-indented: recognised.
        let again = if suite == "vc-jose" {
            signed.clone()
        } else {
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&signed).unwrap()).unwrap()
        };
        let file = wallet.write("again.out", again.as_bytes());
        let out = wallet.import(&file);
        assert_eq!(code(&out), Some(0));
        assert!(
            stderr(&out).contains(&format!("already in your wallet as #{expected}")),
            "{}",
            stderr(&out)
        );
    }
    let listed = wallet.list();
    assert_eq!(listed.len(), 3);
    for item in &listed {
        assert_eq!(item["achievement"], "Data Literacy Foundations");
        assert_eq!(item["issuer"]["id"], issuer.did());
        assert_eq!(item["issued"], "2026-06-30T12:00:00+00:00");
        // Offline the status list cannot be fetched: incomplete, never "verified".
        assert_eq!(item["status"], "incomplete", "{item}");
    }
    assert_eq!(listed[2]["format"], "jws");
    let table = wallet.ok(&["list"]);
    // Kept with --keep-unchecked, it is marked as such.
    assert!(table.contains("Data Literacy Foundations") && table.contains("NOT CHECKED (kept)"));
    let card = wallet.ok(&["show", "2"]);
    assert!(
        card.contains("Ties") || card.contains("six course modules"),
        "{card}"
    );
    // What an employer reads, for the JSON (#1) and the JWS (#3) forms alike.
    for n in ["1", "3"] {
        let card = wallet.ok(&["show", n]);
        for line in [
            "Final grade: 86, Completed (Percent; 0–100; required: 70)",
            "analyse big data (ESCO) <http://data.europa.eu/esco/skill/",
            "Final project: air quality in West African cities (Project)",
            "from 2 March 2026 to 26 June 2026",
        ] {
            assert!(card.contains(line), "#{n} lacks {line:?}:\n{card}");
        }
        assert!(
            card.lines()
                .any(|l| l.contains("Credits") && l.contains(" 2")),
            "{card}"
        );
    }
    // show --json gives the credential exactly as imported (the JWS as a JSON string).
    let raw = wallet.json(&["show", "1"]);
    assert_eq!(
        raw,
        serde_json::from_str::<Value>(&issuer.sign(&badge, "eddsa-rdfc-2022")).unwrap()
    );
    assert_eq!(
        wallet.json(&["show", "3"]),
        Value::String(issuer.sign(&badge, "vc-jose"))
    );

    // The reference JavaScript signer's credentials, both suites.
    let seed = hex_seed(&issuer.key);
    let mut unsigned = badge.clone();
    unsigned["issuer"]["id"] = issuer.did().into();
    unsigned["id"] = "urn:uuid:0b7e2c2e-1d0a-4a4b-8a0e-5f7d5f1b0c11".into();
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        let signed = node(
            "sign.mjs",
            &json!({"suite": suite, "document": unsigned, "seedHex": seed,
                "verificationMethod": did::did_key_verification_method(&issuer.key.public()),
                "created": CREATED}),
        )["signed"]
            .clone();
        let file = wallet.write("js.json", signed.to_string().as_bytes());
        let out = wallet.import(&file);
        assert_eq!(code(&out), Some(0), "JS {suite}: {}", stderr(&out));
        assert!(stderr(&out).contains("Stored as #"), "{}", stderr(&out));
    }
    assert_eq!(wallet.list().len(), 5);

    // A tampered credential is refused (exit 1, nothing stored) unless --force.
    let mut tampered: Value =
        serde_json::from_str(&issuer.sign(&badge, "eddsa-rdfc-2022")).unwrap();
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket Science".into();
    let file = wallet.write("tampered.json", tampered.to_string().as_bytes());
    let out = wallet.import(&file);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(wallet.list().len(), 5);
    let out = wallet.run(
        &["import", "--offline", "--keep-unchecked", "--force", &file],
        None,
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let listed = wallet.list();
    assert_eq!(listed[5]["status"], "not_verified");
    assert_eq!(listed[5]["forced"], true);

    // Not a credential at all: a usage error that names the source.
    let file = wallet.write("notes.txt", b"hello");
    let out = wallet.import(&file);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("notes.txt"), "{}", stderr(&out));
}

/// `len` letters that hardly compress (xorshift64), for a badge too large for any QR code.
fn incompressible(len: usize) -> String {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'a' + (state % 26) as u8)
        })
        .collect()
}

fn hex_seed(key: &KeyPair) -> String {
    key.seed().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn baked_images_qr_codes_and_claim_links() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let big = issuer.sign(&model::sample::data_literacy_badge(), "eddsa-rdfc-2022");
    let jws = issuer.sign(&model::sample::data_literacy_badge(), "vc-jose");
    let tiny = issuer.sign(&tiny_badge(), "eddsa-rdfc-2022");

    // Baked PNG and SVG made with the core.
    let base_png = qr::render_png("just a picture", 4).unwrap();
    let png = bake::bake_png(&base_png, &big).unwrap();
    let svg = bake::bake_svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", &jws).unwrap();
    let out = wallet.import(&wallet.write("badge.png", &png));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("baked PNG"), "{}", stderr(&out));
    let out = wallet.import(&wallet.write("badge.svg", svg.as_bytes()));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("baked SVG"), "{}", stderr(&out));

    // An image of a QR code holding the compact form, and the QR text itself.
    let compact = qr::encode_compact(&tiny).unwrap();
    let out = wallet.import(&wallet.write("code.png", &qr::render_png(&compact, 4).unwrap()));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("QR code image") && stderr(&out).contains("Knots"),
        "{}",
        stderr(&out)
    );
    let out = wallet.import(&compact);
    assert!(
        stderr(&out).contains("already in your wallet as #3"),
        "{}",
        stderr(&out)
    );

    // The wallet's own exports come back as the same credentials.
    let other = Wallet::new();
    for (number, name) in [("1", "out.png"), ("2", "out.svg"), ("1", "out.svg")] {
        let mut out = wallet.run(&["export", number, "--baked", name], None);
        if name == "out.svg" && number == "1" {
            // An existing file is never replaced silently: refused, unchanged, until --overwrite.
            let before = std::fs::read(wallet.dir().join(name)).unwrap();
            assert_eq!(code(&out), Some(2), "{}", stderr(&out));
            assert!(
                stderr(&out).contains("out.svg exists: choose another name, or add --overwrite"),
                "{}",
                stderr(&out)
            );
            assert_eq!(std::fs::read(wallet.dir().join(name)).unwrap(), before);
            out = wallet.run(&["export", number, "--baked", name, "--overwrite"], None);
        }
        assert_eq!(code(&out), Some(0), "{}", stderr(&out));
        let bytes = std::fs::read(wallet.dir().join(name)).unwrap();
        let path = other.write(name, &bytes);
        let out = other.import(&path);
        assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    }
    assert_eq!(
        other.list().len(),
        2,
        "out.svg of #1 is a duplicate of out.png"
    );

    // qr: the shorter compact form (VC2) when it fits, with images; a clear error when nothing
    // fits.
    let text = wallet.ok(&["qr", "3", "--text"]);
    let shortest = qr::encode_compact_v2(tiny.trim()).unwrap();
    assert_eq!(text.trim(), shortest);
    assert!(shortest.len() < compact.len());
    wallet.ok(&["qr", "3", "--png", "q.png", "--svg", "q.svg"]);
    let scanned = qr::scan(&std::fs::read(wallet.dir().join("q.png")).unwrap()).unwrap();
    assert_eq!(scanned, vec![shortest.clone()]);
    assert!(std::fs::read_to_string(wallet.dir().join("q.svg"))
        .unwrap()
        .contains("<svg"));
    let terminal = wallet.ok(&["qr", "3"]);
    assert!(
        terminal.contains('█') || terminal.contains('▀'),
        "{terminal}"
    );
    // #2, the VC-JOSE badge from the SVG: too large for a VC1 code, it fits as VC2 (the JWS's
    // parts decoded), and comes back as the exact JWS.
    assert!(qr::encode_compact(jws.trim()).is_err());
    let text = wallet.ok(&["qr", "2", "--text"]);
    assert!(text.starts_with(qr::COMPACT_PREFIX_V2), "{text}");
    assert_eq!(
        qr::decode(text.trim()).unwrap(),
        qr::QrPayload::Document(jws.trim().to_owned())
    );
    // A badge with 6 KB of text that hardly compresses, which came from no link: too large.
    let mut noisy = tiny_badge();
    noisy["credentialSubject"]["achievement"]["description"] = incompressible(6000).into();
    let lone = Wallet::new();
    let signed = issuer.sign(&noisy, "eddsa-rdfc-2022");
    let out = lone.import(&lone.write("noisy.json", signed.as_bytes()));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let out = lone.run(&["qr", "1"], None);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("too large") && stderr(&out).contains("export"),
        "{}",
        stderr(&out)
    );

    // A claim link served over HTTP: {link}/credential.json, here a VC-JOSE JWS; the link is
    // kept, so `qr` of a credential too large for a code (even as VC2) gives the link.
    let routes: Routes = Arc::new(Mutex::new(BTreeMap::new()));
    let base = serve(routes.clone());
    let other_badge = {
        let mut b = model::sample::data_literacy_badge();
        b["id"] = "urn:uuid:5b1d8a34-2222-4c5e-9f00-000000000002".into();
        b["description"] = incompressible(4000).into();
        issuer.sign(&b, "vc-jose")
    };
    routes.lock().unwrap().insert(
        "/claim/tok123/credential.json".into(),
        ("application/vc+jwt".into(), other_badge.into_bytes()),
    );
    let link = format!("{base}/claim/tok123");
    // Its status list is at learn.example, which is not reachable from here.
    let out = wallet.run(&["import", "--keep-unchecked", &link], None);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("Stored as #4"), "{}", stderr(&out));
    // The learner typed a loopback http link: allowed for development, and said (issue 11.10).
    assert!(
        stderr(&out).contains("allowed because you typed it"),
        "{}",
        stderr(&out)
    );
    assert_eq!(wallet.ok(&["qr", "4", "--text"]).trim(), link);
    // Offline, a link is refused with advice; an unknown claim is an error naming the URL.
    let out = wallet.run(&["import", "--offline", &link], None);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("without --offline"),
        "{}",
        stderr(&out)
    );
    let out = wallet.run(&["import", &format!("{base}/claim/nope")], None);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("404"), "{}", stderr(&out));
}

/// Issue 17: a presentation shared by the DCC Learner Credential Wallet as a `VP1-` QR code
/// (CBOR-LD; the core's fixture, made by that wallet's own packages) is imported, typed or as a
/// file, and its badge stored once.
#[test]
fn imports_a_learner_credential_wallet_vp1_code() {
    let wallet = Wallet::new();
    let text =
        include_str!("../../shared/tests/fixtures/vp1/sample-badge-presentation.vp1.txt").trim();
    let out = wallet.import(text);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("QR text"), "{}", stderr(&out));
    let list = wallet.list();
    assert_eq!(list.len(), 1, "{list:?}");
    let out = wallet.import(&wallet.write("code.txt", text.as_bytes()));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already in your wallet as #1"),
        "{}",
        stderr(&out)
    );
    assert_eq!(wallet.list().len(), 1);
}

#[test]
fn a_wrong_passphrase_changes_nothing_and_says_so() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let file = wallet.write(
        "b.json",
        issuer.sign(&tiny_badge(), "eddsa-jcs-2022").as_bytes(),
    );
    assert_eq!(code(&wallet.import(&file)), Some(0));
    let before = wallet.snapshot();
    for args in [
        vec!["list"],
        vec!["import", "--offline", file.as_str()],
        vec!["delete", "1", "--yes"],
        vec!["passphrase"],
    ] {
        let out = wallet.run_with(&args, None, Some("not the passphrase"));
        assert_eq!(code(&out), Some(3), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("wrong passphrase"),
            "{}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains(PASS));
    }
    assert_eq!(wallet.snapshot(), before);
    // Nothing on disk holds the credential in clear.
    for bytes in before.values() {
        assert!(!String::from_utf8_lossy(bytes).contains("Knots"));
    }
    // No wallet: exit 2 and how to make one.
    let out = run_env(
        "passerelle-wallet",
        wallet.dir(),
        &["--wallet", "missing", "list"],
        None,
        &[("PASSERELLE_WALLET_PASSPHRASE", Some(PASS))],
    );
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("passerelle-wallet init"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn presentations_verify_with_our_verifier_and_the_reference_js() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let holder = wallet.ok(&["holder"]).trim().to_owned();
    let mut badge = tiny_badge();
    badge["credentialSubject"]["id"] = holder.clone().into();
    for suite in ["eddsa-rdfc-2022", "vc-jose"] {
        let file = wallet.write("b.out", issuer.sign(&badge, suite).as_bytes());
        assert_eq!(code(&wallet.import(&file)), Some(0));
    }
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        // One file per suite: the wallet never replaces an existing output file.
        let vp_file = format!("vp-{suite}.json");
        let out = wallet.run(
            &[
                "present",
                "1",
                "2",
                "--challenge",
                "c-91f2",
                "--domain",
                "employer.example",
                "--suite",
                suite,
                "--out",
                &vp_file,
            ],
            None,
        );
        assert_eq!(code(&out), Some(0), "{}", stderr(&out));
        let vp: Value =
            serde_json::from_slice(&std::fs::read(wallet.dir().join(&vp_file)).unwrap()).unwrap();
        assert_eq!(vp["holder"], holder);
        let proof = if vp["proof"].is_array() {
            &vp["proof"][0]
        } else {
            &vp["proof"]
        };
        assert_eq!(proof["cryptosuite"], suite);
        assert_eq!(proof["proofPurpose"], "authentication");

        // Our verifier: verified, and a wrong challenge fails.
        let verifier = |challenge: &str| {
            run(
                "passerelle-verifier",
                wallet.dir(),
                &[
                    "verify",
                    &vp_file,
                    "--json",
                    "--challenge",
                    challenge,
                    "--domain",
                    "employer.example",
                ],
                None,
            )
        };
        let out = verifier("c-91f2");
        assert_eq!(code(&out), Some(0), "{}", stdout(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(report["verdict"], "verified");
        assert_eq!(report["credentials"].as_array().unwrap().len(), 2);
        assert_eq!(code(&verifier("c-other")), Some(1));

        // The reference JavaScript library (it cannot read the enveloped VC-JOSE credential, so it
        // gets a presentation of the Data Integrity credential alone).
        if suite == "eddsa-rdfc-2022" || suite == "eddsa-jcs-2022" {
            let out = wallet.run(
                &[
                    "present",
                    "1",
                    "--challenge",
                    "c-91f2",
                    "--domain",
                    "employer.example",
                    "--suite",
                    suite,
                ],
                None,
            );
            assert_eq!(code(&out), Some(0), "{}", stderr(&out));
            let single: Value = serde_json::from_str(&stdout(&out)).unwrap();
            let answer = node(
                "verify.mjs",
                &json!({"document": single, "challenge": "c-91f2", "domain": "employer.example"}),
            );
            assert_eq!(answer["verified"], true, "{suite}: {answer}");
            let answer = node(
                "verify.mjs",
                &json!({"document": single, "challenge": "c-other", "domain": "employer.example"}),
            );
            assert_eq!(answer["verified"], false, "{suite}: {answer}");
        }
    }
    // A missing credential number: exit 2, pointing at `list`.
    let out = wallet.run(&["present", "9", "--challenge", "c", "--domain", "d"], None);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("list"), "{}", stderr(&out));
}

#[test]
fn backup_restore_passphrase_change_and_delete() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jose"] {
        let file = wallet.write(
            "b.out",
            issuer
                .sign(&model::sample::data_literacy_badge(), suite)
                .as_bytes(),
        );
        assert_eq!(code(&wallet.import(&file)), Some(0));
    }
    let holder = wallet.ok(&["holder"]);
    wallet.ok(&["backup", "backup.pwb"]);
    let blob = std::fs::read(wallet.dir().join("backup.pwb")).unwrap();
    assert!(!String::from_utf8_lossy(&blob).contains("Data Literacy"));

    // Restore into a fresh directory: the same credentials, numbers and holder key.
    let fresh = tempfile::tempdir().unwrap();
    let restored = Wallet { tmp: fresh };
    std::fs::copy(
        wallet.dir().join("backup.pwb"),
        restored.dir().join("backup.pwb"),
    )
    .unwrap();
    let out = restored.run_with(&["restore", "backup.pwb"], None, Some("not the passphrase"));
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    assert!(!restored.store().join("index.pwl").exists());
    restored.ok(&["restore", "backup.pwb"]);
    assert_eq!(restored.list(), wallet.list());
    for n in ["1", "2", "3"] {
        assert_eq!(restored.json(&["show", n]), wallet.json(&["show", n]));
    }
    assert_eq!(restored.ok(&["holder"]), holder);
    // Restoring over an existing wallet is refused.
    let out = restored.run(&["restore", "backup.pwb"], None);
    assert_eq!(code(&out), Some(2));

    // Passphrase change: the new one opens it, the old one no longer does, nothing lost.
    let before = wallet.list();
    let new = "another passphrase 99c2";
    let out = wallet.run(
        &["--passphrase-stdin", "passphrase"],
        Some(format!("{PASS}\n{new}\n").as_bytes()),
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(code(&wallet.run(&["list"], None)), Some(3));
    let out = wallet.run_with(&["list", "--json"], None, Some(new));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap(),
        Value::Array(before)
    );
    let out = wallet.run_with(&["show", "1", "--json"], None, Some(new));
    assert_eq!(code(&out), Some(0));

    // Delete needs --yes without a terminal; then the number is gone for good.
    let out = wallet.run_with(&["delete", "2"], None, Some(new));
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("--yes"));
    let out = wallet.run_with(&["delete", "2", "--yes"], None, Some(new));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let out = wallet.run_with(&["list", "--json"], None, Some(new));
    let numbers: Vec<u64> = serde_json::from_str::<Value>(&stdout(&out))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 3]);
    assert_eq!(
        std::fs::read_dir(wallet.store().join("items"))
            .unwrap()
            .count(),
        2
    );
}

#[test]
fn online_verification_caches_status_and_offline_says_as_of_when() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let routes: Routes = Arc::new(Mutex::new(BTreeMap::new()));
    let log = Arc::new(Mutex::new(Vec::new()));
    let base = serve_logged(routes.clone(), log.clone());
    let list_url = format!("{base}/status/1");
    let mut badge = model::sample::data_literacy_badge();
    badge["credentialStatus"]["statusListCredential"] = list_url.clone().into();
    badge["credentialStatus"]["id"] = format!("{list_url}#94567").into();
    let signed = issuer.sign(&badge, "eddsa-rdfc-2022");
    let signed_value: Value = serde_json::from_str(&signed).unwrap();
    let entries = status::parse_status_entries(&signed_value).unwrap();
    let StatusEntry::Bitstring(entry) = &entries[0] else {
        panic!("the sample uses a BitstringStatusListEntry")
    };
    let status_list = |revoked: bool| {
        let mut bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
        if revoked {
            bits.set(entry.index.into(), 1).unwrap();
        }
        let created: DateTime<Utc> = DateTime::parse_from_rfc3339(CREATED).unwrap().into();
        let list = status::status_list_credential(
            &list_url,
            &issuer.did(),
            &StatusPurpose::Revocation,
            &bits,
            created,
        );
        let options = proof::ProofOptions::assertion(
            proof::Cryptosuite::EddsaRdfc2022,
            did::did_key_verification_method(&issuer.key.public()),
            CREATED,
        );
        proof::sign(&list, &issuer.key, &options)
            .unwrap()
            .to_string()
            .into_bytes()
    };
    routes.lock().unwrap().insert(
        "/status/1".into(),
        ("application/json".into(), status_list(false)),
    );
    let file = wallet.write("b.json", signed.as_bytes());
    // Issue 11.10: the badge names a status list on this machine's loopback over http; without
    // --allow-private-network the wallet refuses before connecting, saying why.
    let out = wallet.run(&["import", "--keep-unchecked", &file], None);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let out = wallet.run(&["verify", "1", "--online"], None);
    assert_ne!(code(&out), Some(0), "{}", stdout(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("only https URLs are fetched"), "{said}");
    assert!(
        log.lock().unwrap().is_empty(),
        "contacted: {:?}",
        log.lock().unwrap()
    );

    let report = wallet.json(&["--allow-private-network", "verify", "1", "--online"]);
    assert_eq!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "status")
            .unwrap()["outcome"],
        "pass",
        "{report}"
    );
    assert_eq!(report["fetched_now"], true);

    // The issuer revokes; offline the wallet still shows the cached answer, dated, never "current".
    routes.lock().unwrap().insert(
        "/status/1".into(),
        ("application/json".into(), status_list(true)),
    );
    let offline = wallet.run(&["verify", "1"], None);
    let text = stdout(&offline);
    assert!(
        text.contains("Status as of") && text.contains("not current"),
        "{text}"
    );
    let report = wallet.json(&["verify", "1"]);
    assert_eq!(
        report["status_as_of"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    // Online again: the revocation is seen, exit code 1.
    let out = wallet.run(
        &["--allow-private-network", "verify", "1", "--online"],
        None,
    );
    assert_eq!(code(&out), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("NOT VERIFIED"), "{}", stdout(&out));
    assert_eq!(wallet.list()[0]["status"], "not_verified");

    // `--online` whose refresh is refused (no --allow-private-network): the cached copy is used,
    // and the report says the refresh failed and why — it does not send the learner to run
    // the command they just ran.
    let contacts = log.lock().unwrap().len();
    let out = wallet.run(&["verify", "1", "--online"], None);
    let text = stdout(&out);
    assert!(
        text.contains(
            "Could not refresh from the network, so the wallet's cached copies were used"
        ) && text.contains(&format!("{list_url}: "))
            && text.contains("only https URLs are fetched"),
        "{text}"
    );
    assert!(text.contains("the refresh failed"), "{text}");
    assert!(
        !text.contains("run `passerelle-wallet verify 1 --online`"),
        "{text}"
    );
    let report = wallet.json(&["verify", "1", "--online"]);
    let failed = report["refresh_failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["url"], list_url.as_str());
    assert_eq!(log.lock().unwrap().len(), contacts, "nothing was contacted");
}

#[test]
fn a_killed_import_leaves_a_readable_wallet() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let signed = issuer.sign(&model::sample::data_literacy_badge(), "eddsa-rdfc-2022");
    let file = wallet.write("b.json", signed.as_bytes());
    let store = wallet.store();
    for delay_ms in [0u64, 2, 5, 10, 20, 40, 80, 160] {
        // Start from an empty wallet each time so the import has work to do.
        for item in wallet.list() {
            let out = wallet.run(&["delete", &item["number"].to_string(), "--yes"], None);
            assert_eq!(code(&out), Some(0), "{}", stderr(&out));
        }
        let mut child = Command::new(binary("passerelle-wallet"))
            .args([
                "--wallet",
                store.to_str().unwrap(),
                "import",
                "--offline",
                "--keep-unchecked",
                &file,
            ])
            .env("PASSERELLE_WALLET_PASSPHRASE", PASS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let listed = wallet.list();
        assert!(listed.len() <= 1, "{listed:?}");
        if listed.len() == 1 {
            assert_eq!(
                wallet.json(&["show", &listed[0]["number"].to_string()])["id"],
                serde_json::from_str::<Value>(&signed).unwrap()["id"]
            );
        }
    }
    // What a crash between the steps of a write leaves: a half-written temporary index and a
    // credential file the index does not name yet. Reading still works; the next write clears them.
    std::fs::write(store.join(".index.pwl.tmp-0123"), b"half an ind").unwrap();
    std::fs::write(store.join("items").join("0123abcd.pwl"), b"PWL1 garbage").unwrap();
    assert!(wallet.list().len() <= 1);
    // No temporary or unnamed files are left behind once a later command wrote the index.
    let out = wallet.import(&file);
    assert_eq!(code(&out), Some(0));
    assert!(!store.join("items").join("0123abcd.pwl").exists());
    assert_eq!(wallet.list().len(), 1);
    let stray: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// Issue 10 point 7: a badge whose signature or status could not be checked is stored only when
/// the learner says so, marked in `list`, `show` and `present` until `verify --online` settles it;
/// the network error names its cause.
#[test]
fn a_badge_that_could_not_be_checked_is_kept_only_when_asked_and_marked_until_checked_online() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let routes: Routes = Arc::new(Mutex::new(BTreeMap::new()));
    let base = serve(routes.clone());
    // The issuer's server is on loopback: the wallet reaches it only with --allow-private-network.
    let list_url = format!("{base}/status/1");
    let mut badge = model::sample::data_literacy_badge();
    badge["credentialStatus"]["statusListCredential"] = list_url.clone().into();
    badge["credentialStatus"]["id"] = format!("{list_url}#94567").into();
    let signed = issuer.sign(&badge, "eddsa-rdfc-2022");
    // Baked into a PNG, as the issue reported it; the status list is not published yet (404).
    let png = bake::bake_png(&qr::render_png("badge", 2).unwrap(), &signed).unwrap();
    let file = wallet.write("badge.png", &png);

    let out = wallet.run(&["--allow-private-network", "import", &file], None);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("NOT FULLY CHECKED"), "{text}");
    assert!(
        text.contains("not checked: Revocation and suspension"),
        "{text}"
    );
    assert!(text.contains("--keep-unchecked"), "{text}");
    assert!(!text.contains("Stored as"), "{text}");
    assert!(wallet.list().is_empty(), "nothing is stored silently");

    let out = wallet.run(
        &[
            "--allow-private-network",
            "import",
            "--keep-unchecked",
            &file,
        ],
        None,
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("marked as not checked"),
        "{}",
        stderr(&out)
    );
    let listed = wallet.list();
    assert_eq!(listed[0]["unchecked"], true, "{listed:?}");
    assert!(stdout(&wallet.run(&["list"], None)).contains("NOT CHECKED"));
    let shown = stdout(&wallet.run(&["show", "1"], None));
    assert!(
        shown.contains("NOT CHECKED") && shown.contains("Not checked"),
        "{shown}"
    );
    let out = wallet.run(
        &[
            "present",
            "1",
            "--challenge",
            "c-1",
            "--domain",
            "v.example",
        ],
        None,
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not been fully checked"),
        "{}",
        stderr(&out)
    );
    // An offline verify does not settle it.
    let _ = wallet.run(&["verify", "1"], None);
    assert_eq!(wallet.list()[0]["unchecked"], true);

    // The issuer's server answers now: an online verify settles it.
    let bits = Bitstring::new(status::MIN_ENTRIES, 1).unwrap();
    let created: DateTime<Utc> = DateTime::parse_from_rfc3339(CREATED).unwrap().into();
    let list = status::status_list_credential(
        &list_url,
        &issuer.did(),
        &StatusPurpose::Revocation,
        &bits,
        created,
    );
    let options = proof::ProofOptions::assertion(
        proof::Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&issuer.key.public()),
        CREATED,
    );
    let list = proof::sign(&list, &issuer.key, &options).unwrap();
    routes.lock().unwrap().insert(
        "/status/1".into(),
        ("application/json".into(), list.to_string().into_bytes()),
    );
    let out = wallet.run(
        &["--allow-private-network", "verify", "1", "--online"],
        None,
    );
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
    let listed = wallet.list();
    assert_eq!(
        (&listed[0]["unchecked"], &listed[0]["status"]),
        (&json!(false), &json!("verified"))
    );

    // A tampered badge from a did:web issuer whose DID document cannot be fetched (nothing
    // listens on the port): refused, and the cause is named.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let web_did = format!("did:web:localhost%3A{port}");
    let mut web_badge = tiny_badge();
    web_badge["issuer"]["id"] = web_did.clone().into();
    let options = proof::ProofOptions::assertion(
        proof::Cryptosuite::EddsaRdfc2022,
        format!("{web_did}#key-1"),
        CREATED,
    );
    let mut tampered = proof::sign(&web_badge, &issuer.key, &options).unwrap();
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket Science".into();
    let file = wallet.write("web.json", tampered.to_string().as_bytes());
    let out = wallet.run(&["--allow-private-network", "import", &file], None);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("connection refused"), "{text}");
    assert_eq!(wallet.list().len(), 1, "the tampered badge is not stored");
}

/// Issue 10 point 5 (wallet half): the wallet calls a recipient "you" only when the subject is its
/// holder DID or an email address the learner confirmed, checked locally against the hash.
#[test]
fn show_calls_the_recipient_you_only_for_the_holder_did_or_a_confirmed_email() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let holder = wallet.ok(&["holder"]).trim().to_owned();
    // The sample names its learner by a salted hash of SAMPLE_EMAIL; offline, its status is
    // unchecked, so it is kept explicitly.
    let hashed = issuer.sign(&model::sample::data_literacy_badge(), "eddsa-rdfc-2022");
    let file = wallet.write("hashed.json", hashed.as_bytes());
    let out = wallet.import(&file);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let shown = stdout(&wallet.run(&["show", "1"], None));
    let recipient = shown
        .lines()
        .find(|l| l.contains("Awarded to"))
        .unwrap_or_default()
        .to_owned();
    assert!(!recipient.contains("you ("), "{shown}");
    assert!(recipient.contains("not confirmed"), "{shown}");

    // Someone else's address: nothing confirmed, exit 1.
    let out = wallet.run(&["confirm-email", "someone.else@example.org"], None);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(
        !stdout(&wallet.run(&["show", "1"], None)).contains("you ("),
        "an unmatched address confirms nothing"
    );
    // The learner's own address (case does not matter): "you", with the address.
    let out = wallet.run(
        &["confirm-email", &model::sample::SAMPLE_EMAIL.to_uppercase()],
        None,
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("#1"), "{}", stderr(&out));
    let shown = stdout(&wallet.run(&["show", "1"], None));
    assert!(shown.contains("you ("), "{shown}");

    // A subject that is another DID is not "you"; the holder's own DID is.
    for (subject, is_you) in [("did:example:learner", false), (holder.as_str(), true)] {
        let mut badge = tiny_badge();
        badge["credentialSubject"]["id"] = subject.into();
        let file = wallet.write(
            "subject.json",
            issuer.sign(&badge, "eddsa-rdfc-2022").as_bytes(),
        );
        let out = wallet.import(&file);
        assert_eq!(code(&out), Some(0), "{}", stderr(&out));
        let number = wallet.list().last().unwrap()["number"].to_string();
        let shown = stdout(&wallet.run(&["show", &number], None));
        assert_eq!(
            shown.contains("you (your holder DID)"),
            is_you,
            "{subject}: {shown}"
        );
    }
}

/// Issue 12.6: "Issued" is the award date (`awardedDate`, else `validFrom`), and the signing
/// date (the proof's `created`) is shown as "Signed", in `show` and `list`.
#[test]
fn show_and_list_give_the_award_date_as_issued_and_the_signing_date_as_signed() {
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let mut badge = tiny_badge();
    badge["awardedDate"] = "2026-03-15T09:00:00Z".into();
    assert_eq!(badge["validFrom"], "2026-01-01T00:00:00Z");
    let file = wallet.write(
        "awarded.json",
        issuer.sign(&badge, "eddsa-rdfc-2022").as_bytes(),
    );
    let out = wallet.import(&file);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let shown = wallet.ok(&["show", "1"]);
    let line = |label: &str| {
        shown
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line: {shown}"))
            .to_owned()
    };
    assert!(line("Issued on").contains("15 March 2026"), "{shown}");
    assert!(
        line("Signed on").contains("30 June 2026, 12:00 UTC"),
        "{shown}"
    );
    assert!(
        !shown.contains("2026-01-01"),
        "validFrom shown as a date: {shown}"
    );
    let listed = wallet.list();
    assert!(
        listed[0]["issued"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-15"),
        "{listed:?}"
    );
    // Without awardedDate, validFrom is the award date.
    let file = wallet.write(
        "plain.json",
        issuer.sign(&tiny_badge(), "eddsa-rdfc-2022").as_bytes(),
    );
    assert_eq!(code(&wallet.import(&file)), Some(0));
    let shown = wallet.ok(&["show", "2"]);
    let issued = shown.lines().find(|l| l.contains("Issued on")).unwrap();
    assert!(issued.contains("1 January 2026"), "{shown}");
}

/// Issue 11.4: a credential whose name holds terminal escapes (`ESC[1A` … "VERIFIED", a carriage
/// return, a right-to-left override) cannot rewrite the screen: every path that prints text taken
/// from a credential — the verifier's report, the wallet's import, list and show — shows them
/// escaped.
#[test]
fn text_from_a_credential_never_reaches_the_terminal_raw() {
    let issuer = Issuer::new();
    let mut badge = tiny_badge();
    badge["issuer"]["id"] = issuer.did().into();
    badge["issuer"]["name"] = "Evil\u{1b}[2J\rSchool\u{202e}".into();
    badge["name"] = "Knots\u{1b}[1A\u{1b}[2K\u{1b}[32mVERIFIED\u{7}".into();
    badge["credentialSubject"]["achievement"]["name"] =
        "Knots\u{1b}]8;;https://evil.example\u{7}".into();
    let signed = issuer.sign(&badge, "eddsa-rdfc-2022");
    let wallet = Wallet::new();
    let path = wallet.write("evil.json", signed.as_bytes());
    let raw = |text: &str| {
        text.chars()
            .filter(|c| {
                (c.is_control() && *c != '\n' && *c != '\t')
                    || ('\u{202a}'..='\u{202e}').contains(c)
                    || ('\u{2066}'..='\u{2069}').contains(c)
            })
            .collect::<Vec<char>>()
    };
    let mut printed = Vec::new();
    let out = run(
        "passerelle-verifier",
        wallet.dir(),
        &["verify", &path],
        None,
    );
    printed.push(("passerelle-verifier verify", out));
    let out = wallet.import(&path);
    assert!(out.status.success(), "import: {}", stderr(&out));
    printed.push(("passerelle-wallet import", out));
    printed.push(("passerelle-wallet list", wallet.run(&["list"], None)));
    printed.push(("passerelle-wallet show", wallet.run(&["show", "1"], None)));
    for (what, out) in &printed {
        for (stream, text) in [("stdout", stdout(out)), ("stderr", stderr(out))] {
            assert!(
                raw(&text).is_empty(),
                "{what} printed raw control characters {:?} on {stream}: {text:?}",
                raw(&text)
            );
        }
    }
    // The names are still there, escaped, so the reader sees something is odd.
    let report = stdout(&printed[0].1);
    assert!(report.contains("\\u{1b}"), "{report}");
    let shown = stdout(&printed[3].1);
    assert!(
        shown.contains("Knots") && shown.contains("\\u{1b}"),
        "{shown}"
    );
}

/// Issue 11 point 9: a damaged header byte of the index or of a backup — any of them: tag, KDF
/// parameters, salt, check value, nonce, checksum — is "damaged" (exit 4) naming the file, never
/// "wrong passphrase" (exit 3); two swapped credential files are damaged, not shown under each
/// other's number; an index that is a directory is damaged, not "no wallet".
#[test]
fn a_damaged_wallet_or_backup_is_reported_damaged_naming_the_file() {
    // The header of the store's files: tag, three KDF costs, salt, check value, nonce, and the
    // SHA-256 of those (passerelle_core::sealed::CHECKED_HEADER_LEN).
    const HEADER: usize = 4 + 12 + 16 + 32 + 24 + 32;
    let issuer = Issuer::new();
    let wallet = Wallet::new();
    let mut second = model::sample::data_literacy_badge();
    second["name"] = "Second badge".into();
    for badge in [model::sample::data_literacy_badge(), second] {
        let file = wallet.write("b.json", issuer.sign(&badge, "eddsa-jcs-2022").as_bytes());
        assert_eq!(code(&wallet.import(&file)), Some(0));
    }
    wallet.ok(&["backup", "backup.pwb"]);
    let store = wallet.store();
    let index = store.join("index.pwl");
    let good = std::fs::read(&index).unwrap();
    for at in 0..HEADER {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        std::fs::write(&index, &bad).unwrap();
        let out = wallet.run(&["list"], None);
        let text = stderr(&out);
        assert_eq!(code(&out), Some(4), "index byte {at}: {text}");
        assert!(text.contains("damaged"), "index byte {at}: {text}");
        assert!(
            text.contains(index.to_str().unwrap()),
            "index byte {at}: {text}"
        );
    }
    std::fs::write(&index, &good).unwrap();
    assert_eq!(
        code(&wallet.run_with(&["list"], None, Some("not it"))),
        Some(3)
    );
    assert_eq!(wallet.list().len(), 2);

    let backup = std::fs::read(wallet.dir().join("backup.pwb")).unwrap();
    // Restored into a scratch directory that holds no wallet.
    let restored = Wallet {
        tmp: tempfile::tempdir().unwrap(),
    };
    for at in 0..HEADER {
        let mut bad = backup.clone();
        bad[at] ^= 0x01;
        restored.write("bad.pwb", &bad);
        let out = restored.run(&["restore", "bad.pwb"], None);
        let text = stderr(&out);
        assert_eq!(code(&out), Some(4), "backup byte {at}: {text}");
        assert!(text.contains("damaged"), "backup byte {at}: {text}");
        assert!(text.contains("bad.pwb"), "backup byte {at}: {text}");
        assert!(!restored.store().join("index.pwl").exists());
    }

    // Two credential files swapped: each number is refused, naming its file.
    let shown: Vec<Value> = ["1", "2"]
        .iter()
        .map(|n| wallet.json(&["show", n]))
        .collect();
    let items: Vec<PathBuf> = std::fs::read_dir(store.join("items"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(items.len(), 2);
    let (a, b) = (
        std::fs::read(&items[0]).unwrap(),
        std::fs::read(&items[1]).unwrap(),
    );
    std::fs::write(&items[0], &b).unwrap();
    std::fs::write(&items[1], &a).unwrap();
    for n in ["1", "2"] {
        let out = wallet.run(&["show", n], None);
        let text = stderr(&out);
        assert_eq!(code(&out), Some(4), "show {n}: {text}");
        assert!(
            text.contains("damaged") && text.contains("items/"),
            "show {n}: {text}"
        );
    }
    std::fs::write(&items[0], &a).unwrap();
    std::fs::write(&items[1], &b).unwrap();
    assert_eq!(wallet.json(&["show", "1"]), shown[0]);

    // A missing credential file, then an index that is a directory.
    std::fs::rename(&items[0], wallet.dir().join("aside.pwl")).unwrap();
    let out = wallet.run(&["backup", "again.pwb"], None);
    assert_eq!(code(&out), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    std::fs::rename(wallet.dir().join("aside.pwl"), &items[0]).unwrap();
    std::fs::remove_file(&index).unwrap();
    std::fs::create_dir(&index).unwrap();
    let out = wallet.run(&["list"], None);
    let text = stderr(&out);
    assert_eq!(code(&out), Some(4), "{text}");
    assert!(text.contains("is a directory, not a wallet file"), "{text}");
    assert!(text.contains(index.to_str().unwrap()), "{text}");
}
