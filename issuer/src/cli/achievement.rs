//! `passerelle-issuer achievement create|list|show`: the OB 3.0 Achievement definitions the
//! issuer awards, stored in the database under a slug.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use chrono::DateTime;
use passerelle_core::model::{
    Achievement, AchievementCredential, AchievementSubject, Alignment, Criteria, Image, Iri,
    Profile,
};
use passerelle_issuer::config::IssuerConfig;
use passerelle_issuer::store::{Store, StoreError};
use serde_json::Value;

/// Largest badge image embedded in a definition (it travels inside every credential).
pub const MAX_IMAGE_BYTES: u64 = 256 * 1024;
/// Longest slug.
const MAX_SLUG_CHARS: usize = 64;

/// What `achievement create` was asked to store.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Short unique name, part of the achievement URL (e.g. data-101).
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub description: String,
    /// How it is earned (Markdown narrative).
    #[arg(long)]
    pub criteria: Option<String>,
    /// A page describing the criteria.
    #[arg(long)]
    pub criteria_url: Option<String>,
    /// The badge image: a PNG or SVG file of at most 256 KiB, embedded as a data: URL.
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// The image's alternative text (default: the name).
    #[arg(long)]
    pub image_caption: Option<String>,
    /// European Qualifications Framework level (1-8), recorded as an alignment.
    #[arg(long)]
    pub level: Option<u8>,
    /// Credits available, e.g. ECTS.
    #[arg(long)]
    pub credits: Option<f64>,
    /// An alignment to a framework entry, as NAME=URL (e.g. an ESCO skill); repeatable.
    #[arg(long = "alignment")]
    pub alignments: Vec<String>,
    /// The language of the definition (BCP 47, e.g. en, fr-CA).
    #[arg(long)]
    pub language: Option<String>,
}

async fn open_store(dir: &Path) -> Result<(IssuerConfig, Store)> {
    let config = IssuerConfig::load(dir)?;
    let url = config.database_url(dir)?;
    let store = Store::connect(&url)
        .await
        .context("cannot open the issuer database")?;
    Ok((config, store))
}

pub fn create(dir: &Path, args: CreateArgs) -> Result<()> {
    let config = IssuerConfig::load(dir)?;
    let definition = build_definition(&config, &args)?;
    super::runtime()?.block_on(async {
        let (_, store) = open_store(dir).await?;
        let result = store.create_achievement(&args.slug, &definition).await;
        store.close().await;
        match result {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict { .. }) => bail!(
                "an achievement with the slug {:?} already exists; choose another slug",
                args.slug
            ),
            Err(e) => Err(e).context("cannot store the achievement"),
        }
    })?;
    println!("{}", definition["id"].as_str().unwrap_or_default());
    eprintln!("created achievement {:?} ({})", args.slug, args.name.trim());
    Ok(())
}

pub fn list(dir: &Path, json: bool) -> Result<()> {
    let achievements = super::runtime()?.block_on(async {
        let (_, store) = open_store(dir).await?;
        let all = store.achievements().await;
        store.close().await;
        all.context("cannot list the achievements")
    })?;
    if json {
        let items: Vec<Value> = achievements
            .iter()
            .map(|a| {
                serde_json::json!({
                    "slug": a.slug,
                    "createdAt": a.created_at.to_rfc3339(),
                    "achievement": a.definition,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    if achievements.is_empty() {
        eprintln!("no achievements yet: add one with `passerelle-issuer achievement create`");
        return Ok(());
    }
    let width = achievements
        .iter()
        .map(|a| a.slug.chars().count())
        .max()
        .unwrap_or(0);
    for a in &achievements {
        let name = a.definition["name"].as_str().unwrap_or("(no name)");
        println!("{:width$}  {name}", a.slug);
    }
    Ok(())
}

pub fn show(dir: &Path, slug: &str, json: bool) -> Result<()> {
    let found = super::runtime()?.block_on(async {
        let (_, store) = open_store(dir).await?;
        let found = store.achievement_by_slug(slug).await;
        store.close().await;
        found.context("cannot read the achievement")
    })?;
    let Some(a) = found else {
        bail!("no achievement with the slug {slug:?} (see `passerelle-issuer achievement list`)");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&a.definition)?);
        return Ok(());
    }
    let d = &a.definition;
    let text = |key: &str| d[key].as_str().unwrap_or("").to_owned();
    println!("slug:        {}", a.slug);
    println!("id:          {}", text("id"));
    println!("name:        {}", text("name"));
    println!("description: {}", text("description"));
    if let Some(narrative) = d["criteria"]["narrative"].as_str() {
        println!("criteria:    {narrative}");
    }
    if let Some(url) = d["criteria"]["id"].as_str() {
        println!("criteria at: {url}");
    }
    if let Some(credits) = d["creditsAvailable"].as_f64() {
        println!("credits:     {credits}");
    }
    if let Some(lang) = d["inLanguage"].as_str() {
        println!("language:    {lang}");
    }
    if let Some(image) = d["image"]["id"].as_str() {
        let kind = image
            .strip_prefix("data:")
            .and_then(|rest| rest.split(';').next())
            .map_or_else(|| image.to_owned(), |mime| format!("embedded {mime}"));
        println!("image:       {kind}");
    }
    for alignment in d["alignment"].as_array().into_iter().flatten() {
        println!(
            "aligned to:  {} <{}>",
            alignment["targetName"].as_str().unwrap_or(""),
            alignment["targetUrl"].as_str().unwrap_or("")
        );
    }
    println!("created:     {}", a.created_at.to_rfc3339());
    Ok(())
}

/// Builds the OB 3.0 Achievement JSON with the core builders and checks it inside a probe
/// credential, so that only definitions a verifier accepts are stored.
fn build_definition(config: &IssuerConfig, args: &CreateArgs) -> Result<Value> {
    check_slug(&args.slug)?;
    let name = non_empty("--name", &args.name)?;
    let description = non_empty("--description", &args.description)?;
    let base = config.url.trim_end_matches('/');
    let id = iri(
        "achievement id",
        &format!("{base}/achievements/{}", args.slug),
    )?;

    let mut criteria = Criteria::new();
    let mut has_criteria = false;
    if let Some(narrative) = &args.criteria {
        criteria = criteria.narrative(non_empty("--criteria", narrative)?);
        has_criteria = true;
    }
    if let Some(url) = &args.criteria_url {
        criteria = criteria.id(web_url("--criteria-url", url)?);
        has_criteria = true;
    }
    if !has_criteria {
        bail!("give the criteria: --criteria \"what the learner did\" and/or --criteria-url URL");
    }

    let mut achievement = Achievement::new(id, name, description, criteria);
    if let Some(path) = &args.image {
        let mut image = Image::new(image_data_url(path)?);
        image = image.caption(
            args.image_caption
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .unwrap_or(name),
        );
        achievement = achievement.image(image);
    }
    if let Some(level) = args.level {
        if !(1..=8).contains(&level) {
            bail!("--level {level}: the European Qualifications Framework has levels 1 to 8");
        }
        achievement = achievement.alignment(
            Alignment::new(
                format!("EQF level {level}"),
                iri(
                    "EQF level",
                    &format!("http://data.europa.eu/snb/eqf/{level}"),
                )?,
            )
            .target_framework("European Qualifications Framework")
            .target_code(level.to_string()),
        );
    }
    if let Some(credits) = args.credits {
        if !credits.is_finite() || credits < 0.0 {
            bail!("--credits {credits}: must be a finite number, zero or more");
        }
        achievement = achievement.credits_available(credits);
    }
    for spec in &args.alignments {
        let Some((target, url)) = spec.split_once('=') else {
            bail!("--alignment {spec:?}: expected NAME=URL (e.g. \"Data literacy=http://data.europa.eu/esco/skill/…\")");
        };
        let target = non_empty("--alignment name", target)?;
        achievement = achievement.alignment(Alignment::new(target, web_url("--alignment", url)?));
    }
    if let Some(lang) = &args.language {
        check_language(lang)?;
        achievement = achievement.in_language(lang.clone());
    }

    // Probe: the achievement inside a credential from this issuer must pass the core's checks.
    let issuer = Profile::new(
        iri("issuer DID", &config.did)?,
        config.name.clone(),
        iri("issuer URL", &config.url)?,
    );
    let probe_subject = AchievementSubject::with_id(iri("probe subject", "did:example:learner")?);
    let probe_date = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .context("the probe date is a valid RFC 3339 date")?;
    AchievementCredential::builder(
        iri("probe id", "urn:uuid:00000000-0000-4000-8000-000000000000")?,
        issuer,
        achievement.clone(),
        probe_subject,
        probe_date,
    )
    .build()
    .context("the achievement would not make a valid Open Badges 3.0 credential")?;
    serde_json::to_value(&achievement).context("cannot serialise the achievement")
}

fn check_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.chars().count() <= MAX_SLUG_CHARS
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !ok {
        bail!(
            "--slug {slug:?}: use 1 to {MAX_SLUG_CHARS} lower-case letters, digits and inner dashes (e.g. data-101); it becomes part of the achievement URL"
        );
    }
    Ok(())
}

fn non_empty<'a>(flag: &str, value: &'a str) -> Result<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        bail!("{flag} must not be empty");
    }
    Ok(value)
}

fn iri(what: &str, value: &str) -> Result<Iri> {
    Iri::parse(value).with_context(|| format!("the {what} {value:?} is not a valid URL"))
}

/// An http(s) URL.
fn web_url(flag: &str, value: &str) -> Result<Iri> {
    let value = value.trim();
    let parsed =
        url::Url::parse(value).with_context(|| format!("{flag} {value:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        bail!("{flag} {value:?}: expected an http(s) URL");
    }
    Iri::parse(value).with_context(|| format!("{flag} {value:?} is not a valid URL"))
}

/// `--language` must be a BCP 47 language tag (the rule lives in the core model).
fn check_language(tag: &str) -> Result<()> {
    if !passerelle_core::model::is_language_tag(tag) {
        bail!("--language {tag:?} is not a BCP 47 language tag (e.g. en, fr-CA)");
    }
    Ok(())
}

/// Reads a PNG or SVG (judged by its bytes, not its name), at most [`MAX_IMAGE_BYTES`], as a
/// `data:` URL.
pub fn image_data_url(path: &Path) -> Result<Iri> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read the image {}", path.display()))?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        bail!(
            "the image {} is larger than {} KiB; badge images travel inside every credential, make it smaller",
            path.display(),
            MAX_IMAGE_BYTES / 1024
        );
    }
    let mime = image_type(&bytes).with_context(|| {
        format!(
            "the image {} is neither a PNG nor an SVG (judged by its content)",
            path.display()
        )
    })?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    iri("image data URL", &format!("data:{mime};base64,{encoded}"))
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The image's media type from its first bytes, or `None`. An SVG must be UTF-8 text whose first
/// element is `<svg` (after an optional BOM, XML declaration, comments and doctype) and which
/// holds no `<script`.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(PNG_SIGNATURE) {
        return Some("image/png");
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1.trim_start();
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>')?.1.trim_start();
        } else {
            break;
        }
    }
    let is_svg = rest.starts_with("<svg")
        && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
    if !is_svg || text.to_ascii_lowercase().contains("<script") {
        return None;
    }
    Some("image/svg+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_are_judged_by_content() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(
            image_type(
                b"<?xml version=\"1.0\"?>\n<!-- x --><svg xmlns=\"http://www.w3.org/2000/svg\"/>"
            ),
            Some("image/svg+xml")
        );
        assert_eq!(image_type(b"GIF89a"), None);
        assert_eq!(image_type(b"<svgx/>"), None);
        assert_eq!(image_type(b"<html><svg/></html>"), None);
        assert_eq!(image_type(b"<svg><script>alert(1)</script></svg>"), None);
        assert_eq!(image_type(b"\xff\xd8\xff\xe0 jpeg"), None);
        assert_eq!(image_type(b"<?xml unterminated"), None);
    }

    #[test]
    fn slugs_and_languages() {
        assert!(check_slug("data-101").is_ok());
        for bad in ["", "Data", "-a", "a-", "a b", "a/b", &"a".repeat(65)] {
            assert!(check_slug(bad).is_err(), "{bad:?}");
        }
        for good in ["en", "fr-CA", "zh-Hant-TW"] {
            assert!(check_language(good).is_ok(), "{good}");
        }
        for bad in ["", "e", "en_GB", "en-", "123"] {
            assert!(check_language(bad).is_err(), "{bad}");
        }
    }
}
