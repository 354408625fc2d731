//! `passerelle-verifier serve`, the real binary on loopback: the API, the page and the CLI give
//! the same core report; and a real browser (Debian's chromium driven by playwright-core) pastes
//! a credential, uploads a baked PNG and a QR image, switches language, and axe-core finds no
//! WCAG 2.1 A/AA violation on the result pages. Screenshots are saved under the target dir.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::{bake, did, model, qr};
use passerelle_tests::{binary, node, run, stdout};
use serde_json::{json, Value};

/// A running `passerelle-verifier serve`, stopped when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(binary("passerelle-verifier"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the verifier starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the verifier prints its address");
    let url = line
        .trim()
        .strip_prefix("passerelle-verifier listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    Served { child, url }
}

/// The sample badge signed by a did:key issuer, without a status list (nothing to fetch).
fn signed_badge() -> (Value, String) {
    let key = KeyPair::from_seed(&[42; 32]);
    let issuer = did::did_key(&key.public()).to_string();
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = issuer.clone().into();
    badge
        .as_object_mut()
        .expect("the sample is an object")
        .remove("credentialStatus");
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    (proof::sign(&badge, &key, &options).unwrap(), issuer)
}

fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn api_and_cli_give_the_same_report_and_registries_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (badge, issuer) = signed_badge();
    let badge_path = dir.path().join("badge.json");
    std::fs::write(&badge_path, badge.to_string()).unwrap();
    // A DCC-format registry that lists the issuer.
    let registry = dir.path().join("dcc-registry.json");
    std::fs::write(
        &registry,
        json!({"meta": {"created": "2026-01-01T00:00:00Z"}, "registry": {
            issuer.clone(): {"name": "Open Learning Lab", "location": "Lyon, FR", "url": "https://lab.example"}
        }})
        .to_string(),
    )
    .unwrap();
    let registry_arg = registry.to_str().unwrap();
    let served = serve(&["--trust", registry_arg]);
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let api: Value = client
        .post(format!("{}/api/v1/verify", served.url))
        .body(badge.to_string())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(api["verdict"], "verified", "{api:#}");
    let recognised = api["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "issuer_recognised")
        .unwrap();
    assert_eq!(recognised["outcome"], "pass", "{api:#}");
    assert!(recognised["message"]
        .as_str()
        .unwrap()
        .contains("dcc-registry.json"));
    // The message's code and arguments come with it; ?lang= adds the text in that language.
    assert_eq!(recognised["code"], "trust.recognised", "{api:#}");
    assert_eq!(recognised["args"]["registries"], "dcc-registry.json");
    let french: Value = client
        .post(format!("{}/api/v1/verify?lang=fr", served.url))
        .body(badge.to_string())
        .send()
        .unwrap()
        .json()
        .unwrap();
    let localized = french["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "issuer_recognised")
        .unwrap()["localized"]
        .clone();
    assert_eq!(localized["lang"], "fr", "{french:#}");
    assert_eq!(
        localized["message"],
        "L’émetteur est reconnu par : dcc-registry.json."
    );

    let cli = run(
        "passerelle-verifier",
        dir.path(),
        &[
            "verify",
            "--json",
            "--trust",
            registry_arg,
            badge_path.to_str().unwrap(),
        ],
        None,
    );
    assert!(cli.status.success(), "{}", stdout(&cli));
    let cli: Value = serde_json::from_str(&stdout(&cli)).unwrap();
    assert_eq!(outcomes(&cli), outcomes(&api));
    assert_eq!(cli["summary"], api["summary"]);

    // A registry file the verifier cannot read stops it with a message naming the field.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"entries": [{"id": "did:web:x"}]}"#).unwrap();
    let out = Command::new(binary("passerelle-verifier"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--trust",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("entries[0].name"));
}

fn screenshot_dir() -> PathBuf {
    let dir = binary("passerelle-verifier")
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join("verifier-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_real_browser_verifies_pasted_baked_and_qr_badges_accessibly() {
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "/usr/bin/chromium is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (badge, _) = signed_badge();
    let text = badge.to_string();
    let base_png = qr::render_png("Passerelle", 6).unwrap();
    let baked = dir.path().join("baked.png");
    std::fs::write(&baked, bake::bake_png(&base_png, &text).unwrap()).unwrap();
    let qr_png = dir.path().join("qr.png");
    std::fs::write(
        &qr_png,
        qr::render_png(&qr::encode_compact(&text).unwrap(), 4).unwrap(),
    )
    .unwrap();
    let shots = screenshot_dir();
    let served = serve(&[]);

    let out = node(
        "browser.mjs",
        &json!({
            "url": served.url,
            "credential": text,
            "baked_png": baked,
            "qr_png": qr_png,
            "screenshot_dir": shots,
        }),
    );
    for (step, source) in [
        ("paste", "text you gave"),
        ("baked", "baked into the image"),
        ("qr", "QR code of the image"),
    ] {
        assert_eq!(out[step]["title"], "Verified", "{step}: {out:#}");
        assert!(
            out[step]["source"].as_str().unwrap().contains(source),
            "{step}: {out:#}"
        );
        let checks = out[step]["checks"].as_array().unwrap();
        assert!(
            checks
                .iter()
                .any(|c| c["id"] == "proof" && c["outcome"] == "pass"),
            "{out:#}"
        );
    }
    assert_eq!(out["french"]["lang"], "fr");
    assert_eq!(out["french"]["title"], "Vérifiée", "{out:#}");
    // After switching, every check reads in French: no sentence is the English one, and none
    // is a message template of the core.
    let english_checks = out["paste"]["checks"].as_array().unwrap();
    let french_checks = out["french"]["checks"].as_array().unwrap();
    assert_eq!(english_checks.len(), french_checks.len(), "{out:#}");
    for check in french_checks {
        let text = check["text"].as_str().unwrap();
        let english = english_checks
            .iter()
            .find(|c| c["id"] == check["id"])
            .unwrap_or_else(|| panic!("{out:#}"));
        assert_ne!(english["text"].as_str().unwrap(), text, "{out:#}");
        for code in passerelle_core::verify::MessageCode::ALL {
            assert!(!text.contains(code.english()), "{text}");
        }
    }
    let audits = out["axe"].as_array().unwrap();
    assert_eq!(audits.len(), 3, "{out:#}");
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
}
