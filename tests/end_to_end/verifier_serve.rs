//! `passerelle-verifier serve`, the real binary on loopback: the API, the page and the CLI give
//! the same core report; and a real browser (Debian's chromium driven by playwright-core) pastes
//! a credential, uploads a baked PNG and a QR image, switches language, opens the printable
//! report, and axe-core finds no WCAG 2.1 A/AA violation on the result and report pages. Screenshots are saved under the target dir.
//! The camera scanner runs in the same browser with a fake camera (a YUV4MPEG2 video written
//! here) showing a real credential's QR code (read by the server, then by a stand-in
//! BarcodeDetector), then no code, then a code that is not a credential, then with camera
//! access refused.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::{bake, did, model, qr};
use passerelle_tests::{binary, node, run, stdout};
use serde_json::{json, Value};

/// The languages besides English whose start and result pages the browser test audits (French
/// also through the switcher, on the result page and its printable report).
const OTHER_LANGUAGES: [&str; 5] = ["fr", "ar", "es", "ru", "zh"];

/// A running `passerelle-verifier serve`, stopped when dropped.
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(args: &[&str]) -> Served {
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
pub(crate) fn signed_badge() -> (Value, String) {
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
    assert_eq!(
        recognised["args"]["registries"], "dcc-registry.json (Lyon, FR)",
        "the registry with the listing's jurisdiction"
    );
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
        "L’émetteur est reconnu par : dcc-registry.json (Lyon, FR)."
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

/// Issue 12.6: a badge whose award date, start of validity and signing date all differ shows
/// the award date as "Issued" and the proof's `created` as "Signed", in the CLI's report and
/// on the result page.
#[test]
fn the_cli_and_the_page_show_the_award_date_as_issued_and_the_signing_date_as_signed() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::from_seed(&[42; 32]);
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
    let doc = badge.as_object_mut().expect("the sample is an object");
    doc.remove("credentialStatus");
    doc.insert("awardedDate".into(), "2026-05-15T09:00:00Z".into());
    doc.insert("validFrom".into(), "2026-06-01T00:00:00Z".into());
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    let signed = proof::sign(&badge, &key, &options).unwrap();
    let path = dir.path().join("badge.json");
    std::fs::write(&path, signed.to_string()).unwrap();

    let cli = run(
        "passerelle-verifier",
        dir.path(),
        &["verify", path.to_str().unwrap()],
        None,
    );
    let report = stdout(&cli);
    assert!(report.starts_with("VERIFIED"), "{report}");
    let line = |label: &str| {
        report
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line: {report}"))
            .to_owned()
    };
    assert!(line("Issued").contains("2026-05-15"), "{report}");
    assert!(line("Signed").contains("2026-06-30 12:00:00"), "{report}");
    // validFrom appears only as the validity period's start.
    assert!(
        report
            .lines()
            .filter(|l| l.contains("2026-06-01"))
            .all(|l| l.contains("valid from")),
        "{report}"
    );

    let served = serve(&[]);
    let boundary = "----passerelle-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"lang\"\r\n\r\nen\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"credential\"\r\n\r\n{signed}\r\n\
         --{boundary}--\r\n"
    );
    let html = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/verify", served.url))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let after = |label: &str| {
        let at = html
            .find(label)
            .unwrap_or_else(|| panic!("no {label:?} on the page: {html}"));
        html[at..].chars().take(160).collect::<String>()
    };
    assert!(
        after("Issued on").contains(">15 May 2026<"),
        "{}",
        after("Issued on")
    );
    assert!(
        after("Signed on").contains(">30 June 2026, 12:00 UTC<"),
        "{}",
        after("Signed on")
    );
    // (validFrom still appears, as the start of the validity period in the checks.)
    assert!(!after("Issued on").contains("1 June 2026"));
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
            "languages": OTHER_LANGUAGES,
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
    // The printable report of the French result: same checks, every detail open, no form.
    assert_eq!(out["print"]["lang"], "fr", "{out:#}");
    assert_eq!(out["print"]["title"], "Rapport de vérification", "{out:#}");
    assert_eq!(out["print"]["forms"], 0, "{out:#}");
    assert_eq!(out["print"]["checks"], french_checks.len(), "{out:#}");
    assert_eq!(out["print"]["open"], out["print"]["details"], "{out:#}");
    // The other languages: the page in each, right to left for Arabic, every check's sentence
    // translated (none is the English one).
    for lang in OTHER_LANGUAGES {
        let result = &out["languages"][lang];
        assert_eq!(result["lang"], lang, "{out:#}");
        assert_eq!(
            result["dir"],
            if lang == "ar" { "rtl" } else { "ltr" },
            "{out:#}"
        );
        assert_ne!(result["title"], "Verified", "{lang}: {out:#}");
        let checks = result["checks"].as_array().unwrap();
        assert_eq!(checks.len(), english_checks.len(), "{lang}: {out:#}");
        for check in checks {
            let english = english_checks
                .iter()
                .find(|c| c["id"] == check["id"])
                .unwrap_or_else(|| panic!("{lang}: {out:#}"));
            assert_ne!(english["text"], check["text"], "{lang}: {out:#}");
        }
    }
    let audits = out["axe"].as_array().unwrap();
    assert_eq!(audits.len(), 4 + 2 * OTHER_LANGUAGES.len(), "{out:#}");
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

/// Frame size of the fake camera (a 720p webcam).
const CAMERA_WIDTH: usize = 1280;
const CAMERA_HEIGHT: usize = 720;

/// A YUV4MPEG2 video (4:2:0, full-range, one frame, which chromium's fake camera repeats) of a
/// grey picture: the luma plane is the picture, the chroma planes neutral. Chromium reads this
/// format with `--use-file-for-fake-video-capture`.
fn y4m_video(width: usize, height: usize, luma: &[u8]) -> Vec<u8> {
    assert!(width.is_multiple_of(2) && height.is_multiple_of(2) && luma.len() == width * height);
    let mut video = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    video.extend_from_slice(b"FRAME\n");
    video.extend_from_slice(luma);
    video.extend(std::iter::repeat_n(128u8, width * height / 2));
    video
}

/// A camera picture: a grey desk with a darker object on it, and the QR code of `text` (if
/// any) in the middle, as large as fits in 90 % of the frame's height.
fn camera_picture(text: Option<&str>) -> Vec<u8> {
    let (width, height) = (CAMERA_WIDTH, CAMERA_HEIGHT);
    let mut luma: Vec<u8> = (0..width * height)
        .map(|i| {
            let (x, y) = (i % width, i / width);
            // A soft diagonal gradient, as lighting on a desk.
            u8::try_from(150 + (x + y) * 60 / (width + height)).unwrap()
        })
        .collect();
    for y in 80..260 {
        luma[y * width + 60..y * width + 300].fill(70);
    }
    if let Some(text) = text {
        let modules = qr_luma(text, 1).0;
        let module_pixels = u32::try_from(height * 9 / 10 / modules).unwrap().max(1);
        let (side, code) = qr_luma(text, module_pixels);
        assert!(side <= height, "the QR code fits in the frame");
        let (left, top) = ((width - side) / 2, (height - side) / 2);
        for y in 0..side {
            luma[(top + y) * width + left..(top + y) * width + left + side]
                .copy_from_slice(&code[y * side..(y + 1) * side]);
        }
    }
    y4m_video(width, height, &luma)
}

/// The QR code of `text` as grey pixels (from the core's PNG rendering): side and pixels.
fn qr_luma(text: &str, module_pixels: u32) -> (usize, Vec<u8>) {
    let png = qr::render_png(text, module_pixels).unwrap();
    let image = image::load_from_memory(&png).unwrap().into_luma8();
    let side = usize::try_from(image.width()).unwrap();
    (side, image.into_raw())
}

#[test]
fn a_real_browser_scans_a_qr_code_with_a_fake_camera() {
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "/usr/bin/chromium is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (badge, _) = signed_badge();
    let compact = qr::encode_compact(&badge.to_string()).unwrap();
    let with_code = dir.path().join("camera-qr.y4m");
    std::fs::write(&with_code, camera_picture(Some(&compact))).unwrap();
    let without_code = dir.path().join("camera-empty.y4m");
    std::fs::write(&without_code, camera_picture(None)).unwrap();
    let other_code = dir.path().join("camera-other.y4m");
    std::fs::write(&other_code, camera_picture(Some("Table 12"))).unwrap();
    let shots = screenshot_dir();
    let served = serve(&[]);

    let out = node(
        "browser.mjs",
        &json!({
            "url": served.url,
            "camera": {
                "with_code": with_code,
                "without_code": without_code,
                "other_code": other_code,
                "detector_text": compact,
            },
            "screenshot_dir": shots,
        }),
    );

    // 1. The camera shows a credential's QR code: opened from the keyboard, frames read by the
    //    server (headless chromium has no BarcodeDetector), the text verified as if pasted.
    let scan = &out["camera_scan"];
    assert_eq!(scan["barcode_detector"], false, "{scan:#}");
    assert_eq!(scan["title"], "Verified", "{scan:#}");
    assert!(
        scan["source"].as_str().unwrap().contains("QR code's text"),
        "{scan:#}"
    );
    let checks = scan["checks"].as_array().unwrap();
    for id in [
        "proof",
        "verification_method",
        "json_ld",
        "data_model",
        "open_badges",
    ] {
        assert!(
            checks
                .iter()
                .any(|c| c["id"] == id && c["outcome"] == "pass"),
            "{id}: {scan:#}"
        );
    }
    let frames = scan["scan_requests"].as_u64().unwrap();
    assert!(frames >= 1, "frames went to /api/v1/scan: {scan:#}");
    assert_eq!(scan["focus_while_scanning"], "camera-stop", "{scan:#}");
    assert_eq!(scan["last_status"], "found", "{scan:#}");

    // 1b. Where the browser has a BarcodeDetector (a stand-in here: headless chromium has
    //     none), the page uses it and no frame leaves the browser.
    let detector = &out["camera_detector"];
    assert_eq!(detector["title"], "Verified", "{detector:#}");
    assert!(
        detector["source"]
            .as_str()
            .unwrap()
            .contains("QR code's text"),
        "{detector:#}"
    );
    assert_eq!(detector["scan_requests"], 0, "{detector:#}");

    // 2. No code in sight: the status line says it is still looking; Stop ends it.
    let idle = &out["camera_idle"];
    assert_eq!(idle["status_state"], "looking", "{idle:#}");
    assert!(
        idle["status_text"]
            .as_str()
            .unwrap()
            .starts_with("Still looking for a QR code"),
        "{idle:#}"
    );
    assert_eq!(idle["focus"], "camera-stop", "{idle:#}");
    assert!(idle["video_width"].as_u64().unwrap() > 0, "{idle:#}");
    // 1280 × 720 frames go to the server scaled to 960 pixels on their long side, as JPEG.
    let sides = idle["frame_sides"].as_array().unwrap();
    assert!(
        !sides.is_empty() && sides.iter().all(|side| side == 960),
        "{idle:#}"
    );
    assert!(
        idle["scan_answers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a == &json!({"status": 200, "codes": 0})),
        "{idle:#}"
    );
    assert!(
        idle["scan_answers"].as_array().unwrap().len() >= 3,
        "{idle:#}"
    );
    assert_eq!(idle["after_stop"]["status_state"], "stopped", "{idle:#}");
    assert_eq!(
        idle["after_stop"]["status_text"], "Camera stopped.",
        "{idle:#}"
    );
    assert_eq!(idle["after_stop"]["panel_hidden"], true, "{idle:#}");
    assert_eq!(idle["after_stop"]["tracks_ended"], true, "{idle:#}");
    assert_eq!(idle["after_stop"]["focus"], "camera-start", "{idle:#}");
    assert_eq!(
        idle["after_stop"]["scan_requests_later"], idle["after_stop"]["scan_requests"],
        "no frame is sent once stopped: {idle:#}"
    );

    // 2b. A QR code with neither a credential nor a link: said so, nothing submitted.
    let other = &out["camera_other"];
    assert_eq!(other["status_state"], "unusable", "{other:#}");
    assert!(
        other["status_text"]
            .as_str()
            .unwrap()
            .starts_with("This QR code holds no credential and no link"),
        "{other:#}"
    );
    assert_eq!(other["path"], "/", "{other:#}");
    assert!(
        other["scan_answers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == &json!({"status": 200, "codes": 1})),
        "{other:#}"
    );

    // 3. Camera access refused: a clear message, in the page's language (French here).
    let denied = &out["camera_denied"];
    assert_eq!(denied["status_state"], "denied", "{denied:#}");
    assert!(
        denied["status_text"]
            .as_str()
            .unwrap()
            .starts_with("L’accès à la caméra a été refusé"),
        "{denied:#}"
    );
    assert_eq!(denied["focus"], "camera-start", "{denied:#}");

    // The page's Content-Security-Policy was enforced throughout and nothing broke it.
    assert_eq!(out["csp_violations"], json!([]), "{out:#}");
    let audits = out["axe"].as_array().unwrap();
    assert_eq!(audits.len(), 1, "{out:#}");
    assert_eq!(audits[0]["page"], "camera-open");
    assert_eq!(audits[0]["violations"], json!([]), "axe-core: {out:#}");
    assert!(audits[0]["passes"].as_u64().unwrap() > 10, "{out:#}");
    for shot in out["screenshots"].as_array().unwrap() {
        let path = Path::new(shot.as_str().unwrap());
        assert!(path.is_file());
        println!("screenshot: {}", path.display());
    }
}
