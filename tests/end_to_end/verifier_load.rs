//! Issue 11.3 and 12.4 against the real `passerelle-verifier serve` on loopback: large images
//! (6,900 × 6,900 pixels in a small PNG) sent in parallel keep the process under its stated
//! decode ceiling and the page answering while they decode; and the QR code an issuer's claim
//! page offers as SVG is read by the API and the page's upload.

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use passerelle_core::qr;
use serde_json::Value;

use crate::verifier_serve::{serve, signed_badge};

/// The ceiling the verifier is started with (its default), in bytes.
const CEILING_BYTES: u64 = 512 * 1024 * 1024;
/// Parallel requests a round, half to /api/v1/scan, half to /api/v1/verify.
const PARALLEL: usize = 16;
/// Rounds at most: the loop stops as soon as a round shows `GET /` answered mid-decode.
const MAX_ROUNDS: usize = 4;

/// A 6,900 × 6,900 grey PNG, white but for a few dark lines: 48 MB decoded, a small file.
fn large_png() -> Vec<u8> {
    let side = 6_900;
    let mut pixels = image::GrayImage::from_pixel(side, side, image::Luma([255]));
    for y in (0..side).step_by(97) {
        for x in 0..side {
            pixels.put_pixel(x, y, image::Luma([(x % 251) as u8]));
        }
    }
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        Cursor::new(&mut png),
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    );
    pixels.write_with_encoder(encoder).unwrap();
    png
}

/// The process's peak resident memory (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("/proc/<pid>/status has VmHWM");
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// One answer to a large image: the endpoint, the status, whether `Retry-After` came with it.
struct Answer {
    path: &'static str,
    status: u16,
    retry_after: bool,
    body: String,
}

#[test]
fn parallel_large_images_stay_under_the_decode_ceiling_and_the_page_answers_meanwhile() {
    let served = serve(&["--decode-memory-mb", "512"]);
    let pid = served.child.id();
    let png = Arc::new(large_png());
    assert!(png.len() < 1024 * 1024, "{} bytes", png.len());
    // No 30 s default: this test is about memory and ordering, not speed (a debug build decodes
    // these images slowly while the rest of the suite loads both cores); the bound only stops a
    // hung service.
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .unwrap();
    let mut answers = Vec::new();
    let mut page_answered_mid_decode = false;
    for _ in 0..MAX_ROUNDS {
        let pending = Arc::new(AtomicUsize::new(PARALLEL));
        let (done, arrived) = mpsc::channel::<()>();
        let requests: Vec<_> = (0..PARALLEL)
            .map(|n| {
                let path = if n % 2 == 0 {
                    "/api/v1/scan"
                } else {
                    "/api/v1/verify"
                };
                let (client, url, png) = (client.clone(), served.url.clone(), Arc::clone(&png));
                let (pending, done) = (Arc::clone(&pending), done.clone());
                thread::spawn(move || {
                    let response = client
                        .post(format!("{url}{path}"))
                        .header("content-type", "image/png")
                        .body(png.to_vec())
                        .send()
                        .unwrap();
                    let answer = Answer {
                        path,
                        status: response.status().as_u16(),
                        retry_after: response.headers().contains_key("retry-after"),
                        body: response.text().unwrap(),
                    };
                    pending.fetch_sub(1, Ordering::SeqCst);
                    let _ = done.send(());
                    answer
                })
            })
            .collect();
        drop(done);
        // Once the service has answered one of them, it is working on the others.
        arrived.recv().unwrap();
        let page = client.get(format!("{}/", served.url)).send().unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let _ = page.text().unwrap();
        // An ordering fact, not a timing: the page was answered before the last image was.
        if pending.load(Ordering::SeqCst) > 0 {
            page_answered_mid_decode = true;
        }
        answers.extend(requests.into_iter().map(|r| r.join().unwrap()));
        if page_answered_mid_decode {
            break;
        }
    }
    let peak = peak_rss(pid);
    assert!(
        peak < CEILING_BYTES,
        "peak resident memory {} MiB, over the {} MiB ceiling",
        peak / (1024 * 1024),
        CEILING_BYTES / (1024 * 1024)
    );
    assert!(
        page_answered_mid_decode,
        "GET / was never answered while large images were still being decoded"
    );
    // Each image was decoded (no code in it) or refused for saturation with Retry-After.
    let mut busy = 0;
    for answer in &answers {
        match (answer.path, answer.status) {
            (_, 503) => {
                assert!(answer.retry_after, "503 without Retry-After");
                let error: Value = serde_json::from_str(&answer.body).unwrap();
                assert_eq!(error["error"]["code"], "busy", "{error}");
                assert!(
                    error["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("try again"),
                    "{error}"
                );
                busy += 1;
            }
            ("/api/v1/scan", 200) => {
                assert_eq!(answer.body, "{\"codes\":[]}");
            }
            ("/api/v1/verify", 422) => assert!(
                answer.body.contains("no readable QR code"),
                "{}",
                answer.body
            ),
            (path, status) => panic!("{path} answered {status}: {}", answer.body),
        }
    }
    // Three decode slots under 512 MiB: with 16 at once, some were refused rather than queued.
    assert!(busy > 0, "no request was refused for saturation");
    eprintln!(
        "{} large images, {busy} refused busy, peak RSS {} MiB",
        answers.len(),
        peak / (1024 * 1024)
    );
}

/// Issue 12.4: the issuer's claim-page QR code (SVG, drawn by `qr::render_svg`) of a real
/// credential, on the API and through the page's upload.
#[test]
fn the_claim_page_qr_svg_is_read_by_the_api_and_the_page_upload() {
    let served = serve(&[]);
    let (badge, _) = signed_badge();
    let text = badge.to_string();
    let svg = qr::render_svg(&qr::encode_compact(&text).unwrap()).unwrap();
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let direct: Value = client
        .post(format!("{}/api/v1/verify", served.url))
        .header("content-type", "application/json")
        .body(text)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let response = client
        .post(format!("{}/api/v1/verify", served.url))
        .header("content-type", "image/svg+xml")
        .body(svg.clone())
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let from_svg: Value = response.json().unwrap();
    assert_eq!(from_svg["verdict"], direct["verdict"], "{from_svg:#}");
    assert_eq!(from_svg["checks"], direct["checks"]);

    // The page's upload: a multipart form with the SVG as the file.
    let boundary = "passerelle-boundary-7d1";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"credential\"\r\n\r\n\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"qr.svg\"\r\n\
         Content-Type: image/svg+xml\r\n\r\n{svg}\r\n--{boundary}--\r\n"
    );
    let page = client
        .post(format!("{}/verify", served.url))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().unwrap();
    assert!(!html.contains("no readable QR code"), "{html}");
    assert!(html.contains("Data Literacy"), "{html}");
}
