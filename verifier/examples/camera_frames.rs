//! Writes two camera frames as the verifier page's scanner sends them to `POST /api/v1/scan`
//! (960 × 540 JPEG, grey scene): one showing the QR code of a real signed badge (the sample
//! Open Badge, did:key issuer, compact `VC1:` form), one showing no code — what most frames of
//! a scan look like. `scripts/bench-scan.sh` loads the scan endpoint with them.
//!
//! ```sh
//! cargo run --release -p passerelle-verifier --example camera_frames -- OUT_DIR
//! ```

use std::io::Cursor;
use std::path::PathBuf;

use anyhow::Context as _;
use image::{DynamicImage, GrayImage, ImageFormat, Luma};

use passerelle_core::keys::KeyPair;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use passerelle_core::{did, model, qr};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;

fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: camera_frames OUT_DIR")?,
    );
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let compact = qr::encode_compact(&signed_sample()?)?;
    let code = image::load_from_memory(&qr::render_png(&compact, 1)?)?.into_luma8();
    // As large as fits in 90 % of the frame's height, like a code held up to the camera.
    let module_pixels = (HEIGHT * 9 / 10 / code.width()).max(1);
    let code = image::load_from_memory(&qr::render_png(&compact, module_pixels)?)?.into_luma8();
    let mut with_code = scene();
    image::imageops::overlay(
        &mut with_code,
        &code,
        i64::from((WIDTH - code.width()) / 2),
        i64::from((HEIGHT - code.height()) / 2),
    );
    for (name, frame) in [("frame-qr.jpg", with_code), ("frame-empty.jpg", scene())] {
        let mut jpeg = Vec::new();
        DynamicImage::ImageLuma8(frame).write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)?;
        let path = out.join(name);
        std::fs::write(&path, &jpeg).with_context(|| format!("writing {}", path.display()))?;
        println!("{} ({} bytes)", path.display(), jpeg.len());
    }
    println!(
        "QR code: {} characters, {} pixels a module",
        compact.len(),
        module_pixels
    );
    Ok(())
}

/// The sample badge signed (eddsa-rdfc-2022) by a did:key issuer, without a status list.
fn signed_sample() -> anyhow::Result<String> {
    let key = KeyPair::from_seed(&[42; 32]);
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
    if let Some(map) = badge.as_object_mut() {
        map.remove("credentialStatus");
    }
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&key.public()),
        "2026-06-30T12:00:00Z",
    );
    Ok(proof::sign(&badge, &key, &options)?.to_string())
}

/// A grey desk under soft light with a darker object on it.
fn scene() -> GrayImage {
    GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let object = (40..200).contains(&x) && (60..190).contains(&y);
        Luma([if object {
            70
        } else {
            (150 + (x + y) * 60 / (WIDTH + HEIGHT)) as u8
        }])
    })
}
