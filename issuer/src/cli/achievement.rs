//! `passerelle-issuer achievement create|list|show`: the OB 3.0 Achievement definitions the
//! issuer awards, stored in the database under a slug.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use passerelle_core::model::Iri;
use passerelle_issuer::achievements::{
    self, AchievementError, AchievementInput, AlignmentInput, ImageInput, IssuerIdentity,
};
use passerelle_issuer::auth::CLI_ACTOR;
use passerelle_issuer::config::IssuerConfig;
use passerelle_issuer::store::{NewAuditEntry, StoreError};
use serde_json::Value;

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
    /// ISCED-F 2013 field of education (2-4 digits, e.g. 0613), recorded as an alignment and
    /// as `fieldOfStudy`; `stats export` counts by it.
    #[arg(long)]
    pub isced_f: Option<String>,
    /// An alignment to a framework entry, as NAME=URL (e.g. an ESCO skill); repeatable.
    #[arg(long = "alignment")]
    pub alignments: Vec<String>,
    /// The language of the definition (BCP 47, e.g. en, fr-CA).
    #[arg(long)]
    pub language: Option<String>,
    /// This achievement is a version (e.g. a translation) of the achievement with this slug:
    /// recorded as an OB 3.0 `related` entry with that achievement's id and language; repeatable.
    #[arg(long = "translation-of")]
    pub translation_of: Vec<String>,
}

use super::open_store;

pub fn create(dir: &Path, args: CreateArgs) -> Result<()> {
    let config = IssuerConfig::load(dir)?;
    let definition = super::runtime()?.block_on(async {
        let (_, store) = open_store(dir).await?;
        let mut related = Vec::new();
        for slug in &args.translation_of {
            match store.achievement_by_slug(slug).await? {
                Some(other) => related.push(achievements::related_to(&other.definition)),
                None => {
                    store.close().await;
                    bail!("--translation-of {slug:?}: no achievement has this slug (see `achievement list`)");
                }
            }
        }
        let definition = match build_definition(&config, &args, related) {
            Ok(definition) => definition,
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        };
        let result = store.create_achievement(&args.slug, &definition).await;
        // Audited as the API's `achievement.create` is, actor `cli`.
        let audited = match &result {
            Ok(stored) => {
                store
                    .append_audit(&NewAuditEntry {
                        actor: CLI_ACTOR.to_owned(),
                        action: "achievement.create".into(),
                        subject: stored.id.as_str().to_owned(),
                        details: serde_json::json!({ "slug": args.slug }),
                    })
                    .await
                    .map(|_| ())
            }
            Err(_) => Ok(()),
        };
        store.close().await;
        audited.context("the achievement was created but its audit entry could not be written")?;
        match result {
            Ok(_) => Ok(definition),
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

/// Reads the image file and the `--alignment NAME=URL` flags, then builds the definition with
/// the library's [`achievements::build_definition`] (the same code the HTTP API uses).
fn build_definition(
    config: &IssuerConfig,
    args: &CreateArgs,
    related: Vec<achievements::RelatedInput>,
) -> Result<Value> {
    let image = match &args.image {
        Some(path) => Some(read_image(path)?),
        None => None,
    };
    let mut alignments = Vec::new();
    for spec in &args.alignments {
        let Some((name, url)) = spec.split_once('=') else {
            bail!("--alignment {spec:?}: expected NAME=URL (e.g. \"Data literacy=http://data.europa.eu/esco/skill/…\")");
        };
        alignments.push(AlignmentInput {
            name: name.to_owned(),
            url: url.to_owned(),
            ..AlignmentInput::default()
        });
    }
    let input = AchievementInput {
        slug: args.slug.clone(),
        name: args.name.clone(),
        description: args.description.clone(),
        criteria: args.criteria.clone(),
        criteria_url: args.criteria_url.clone(),
        image,
        image_caption: args.image_caption.clone(),
        level: args.level,
        credits: args.credits,
        isced_f: args.isced_f.clone(),
        alignments,
        language: args.language.clone(),
        related,
    };
    let identity = IssuerIdentity {
        did: &config.did,
        name: &config.name,
        url: &config.url,
    };
    achievements::build_definition(identity, &input).map_err(|e| match e {
        AchievementError::Invalid { field, reason } => {
            anyhow::anyhow!("{}: {reason}", flag_for(&field))
        }
        other => anyhow::Error::new(other),
    })
}

/// The command-line flag for an API field name (`criteria_url` → `--criteria-url`,
/// `alignments[0].url` → `--alignment`).
fn flag_for(field: &str) -> String {
    if field.starts_with("alignments[") {
        return "--alignment".to_owned();
    }
    if field.starts_with("related[") {
        return "--translation-of".to_owned();
    }
    format!("--{}", field.replace('_', "-"))
}

/// Reads a PNG or SVG (judged by its bytes, not its name), at most
/// [`achievements::MAX_IMAGE_BYTES`], as a `data:` URL (`init --image` uses it too).
pub fn image_data_url(path: &Path) -> Result<Iri> {
    let image = read_image(path)?;
    achievements::image_data_url(&image).map_err(|e| match e {
        AchievementError::Invalid { reason, .. } => anyhow::anyhow!("--image: {reason}"),
        other => anyhow::Error::new(other),
    })
}

/// Reads at most one byte more than the image cap (the library judges size and type).
fn read_image(path: &Path) -> Result<ImageInput> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| {
            file.take(achievements::MAX_IMAGE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
        })
        .with_context(|| format!("cannot read the image {}", path.display()))?;
    Ok(ImageInput {
        bytes,
        source: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_map_to_flags() {
        assert_eq!(flag_for("criteria_url"), "--criteria-url");
        assert_eq!(flag_for("slug"), "--slug");
        assert_eq!(flag_for("alignments[3].url"), "--alignment");
    }
}
