//! Issue 10 point 4: every front door — `passerelle-verifier verify`, `POST /api/v1/verify`, the
//! page's upload, `passerelle-wallet import` — accepts the same inputs (one core entry point,
//! `verify::recognise`), checked by one table: every input kind × every front door, with the
//! real binaries on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::{bake, did, jose, model, qr};
use passerelle_tests::{binary, run, run_env, stderr};
use serde_json::{json, Value};

const PASS: &str = "an inputs passphrase 77";

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

fn serve_verifier() -> Served {
    let mut child = Command::new(binary("passerelle-verifier"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--allow-private-network",
            "--allow-http",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the verifier starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
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

/// Serves `body` as JSON at every path on 127.0.0.1 (the link in a QR code).
fn serve_document(body: Vec<u8>) -> String {
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
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    base
}

/// The sample badge signed by a did:key issuer, without a status list: it verifies with nothing
/// to fetch, so every front door must say "verified".
fn signed() -> (String, String) {
    let key = KeyPair::from_seed(&[61; 32]);
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    let json_text = proof::sign(&badge, &key, &options).unwrap().to_string();
    let jws = jose::sign_vc_jwt(
        &badge,
        &key,
        &did::did_key_verification_method(&key.public()),
    )
    .unwrap();
    (json_text, jws)
}

/// A multipart/form-data body with one `file` field, as the page's form sends it.
fn multipart(bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "passerelle-inputs-boundary-5e1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn wallet_run(dir: &Path, args: &[&str]) -> Output {
    let store = dir.join("wallet");
    // The fixtures live on loopback: the wallet's address policy refuses them unless told.
    let mut all = vec![
        "--wallet",
        store.to_str().unwrap(),
        "--allow-private-network",
    ];
    all.extend_from_slice(args);
    run_env(
        "passerelle-wallet",
        dir,
        &all,
        None,
        &[
            ("PASSERELLE_WALLET_PASSPHRASE", Some(PASS)),
            ("PASSERELLE_WALLET_DIR", None),
            ("NO_COLOR", Some("1")),
        ],
    )
}

#[test]
fn every_input_kind_is_accepted_by_every_front_door() {
    let (json_text, jws) = signed();
    let enveloped = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": format!("data:application/vc+jwt,{jws}"),
    })
    .to_string();
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"></svg>";
    let compact = qr::encode_compact(&json_text).unwrap();
    let link = format!(
        "{}/badge.json",
        serve_document(json_text.clone().into_bytes())
    );
    // (input kind, bytes, whether it is a link — which the offline CLI must refuse, saying so)
    let inputs: Vec<(&str, Vec<u8>, bool)> = vec![
        ("JSON", json_text.clone().into_bytes(), false),
        ("compact JWS", jws.clone().into_bytes(), false),
        (
            "EnvelopedVerifiableCredential",
            enveloped.into_bytes(),
            false,
        ),
        (
            "baked PNG",
            bake::bake_png(&qr::render_png("badge", 2).unwrap(), &json_text).unwrap(),
            false,
        ),
        (
            "baked SVG",
            bake::bake_svg(svg, &json_text).unwrap().into_bytes(),
            false,
        ),
        ("QR image", qr::render_png(&compact, 3).unwrap(), false),
        ("QR text", compact.clone().into_bytes(), false),
        (
            "QR image of a link",
            qr::render_png(&link, 4).unwrap(),
            true,
        ),
    ];
    let served = serve_verifier();
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (n, (kind, bytes, is_link)) in inputs.iter().enumerate() {
        let file = dir.path().join(format!("input-{n}"));
        std::fs::write(&file, bytes).unwrap();
        let file = file.to_str().unwrap();

        // 1. The CLI (offline: a link is refused with how to proceed).
        let out = run(
            "passerelle-verifier",
            dir.path(),
            &["verify", "--json", file],
            None,
        );
        if *is_link {
            if out.status.code() != Some(2) || !stderr(&out).contains("is a link") {
                failures.push(format!(
                    "CLI verify {kind}: {:?} {}",
                    out.status.code(),
                    stderr(&out)
                ));
            }
        } else {
            let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            if out.status.code() != Some(0) || report["verdict"] != "verified" {
                failures.push(format!(
                    "CLI verify {kind}: {:?} {}",
                    out.status.code(),
                    stderr(&out)
                ));
            }
        }

        // 2. The API.
        let api: Value = client
            .post(format!("{}/api/v1/verify", served.url))
            .body(bytes.clone())
            .send()
            .and_then(|r| r.json())
            .unwrap_or(Value::Null);
        if api["verdict"] != "verified" {
            failures.push(format!("POST /api/v1/verify {kind}: {api}"));
        }

        // 3. The page's upload.
        let (content_type, body) = multipart(bytes);
        let page = client
            .post(format!("{}/verify", served.url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .and_then(|r| r.text())
            .unwrap_or_default();
        if !page.contains("verdict verdict-verified") {
            let start = page.find("<main").unwrap_or(0);
            failures.push(format!(
                "page upload {kind}: {}",
                &page[start..page.len().min(start + 600)]
            ));
        }

        // 4. The wallet's import (a fresh wallet: the same badge twice is a duplicate).
        let wallet_dir = tempfile::tempdir().unwrap();
        let out = wallet_run(wallet_dir.path(), &["init"]);
        assert!(out.status.success(), "wallet init: {}", stderr(&out));
        let out = wallet_run(wallet_dir.path(), &["import", file]);
        if out.status.code() != Some(0) || !stderr(&out).contains("Stored as #1") {
            failures.push(format!(
                "wallet import {kind}: {:?} {}",
                out.status.code(),
                stderr(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
