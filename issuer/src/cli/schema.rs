//! `passerelle-issuer schema install|show`: the OB 3.0 JSON Schema every credential is checked
//! against before signing, installed once in `DIR/schemas/` (see [`passerelle_issuer::schemas`]).

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{SecondsFormat, Utc};
use passerelle_core::model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA;
use passerelle_issuer::config::IssuerConfig;
use passerelle_issuer::schemas::{self, InstalledSchema, MAX_SCHEMA_BYTES, OB_SCHEMA_FILE};

/// The environment variable naming a local copy of the OB schema (`--from` / `init --ob-schema`).
pub const OB_SCHEMA_ENV: &str = "PASSERELLE_OB_SCHEMA";

/// A local copy of a schema, read once.
pub struct LocalSchema {
    pub bytes: Vec<u8>,
    /// Where it was read from (recorded in the manifest).
    pub source: String,
}

impl LocalSchema {
    /// Reads `path`, refusing a file larger than the cap before reading it whole.
    pub fn read(path: &Path) -> Result<Self> {
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read the schema file {}", path.display()))?
            .len();
        if size > MAX_SCHEMA_BYTES as u64 {
            anyhow::bail!(
                "{} is {size} bytes; a schema may be at most {MAX_SCHEMA_BYTES}",
                path.display()
            );
        }
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the schema file {}", path.display()))?;
        Ok(Self {
            bytes,
            source: path.display().to_string(),
        })
    }
}

/// Installs the OB 3.0 AchievementCredential schema in `dir`: a local copy, or fetched from its
/// published URL.
pub fn install_ob_schema(dir: &Path, local: Option<LocalSchema>) -> Result<InstalledSchema> {
    let url = OB_ACHIEVEMENT_CREDENTIAL_SCHEMA;
    let (bytes, source) = match local {
        Some(local) => (local.bytes, local.source),
        None => {
            let bytes = super::runtime()?.block_on(schemas::fetch(url))?;
            (bytes, url.to_owned())
        }
    };
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    Ok(schemas::install(
        dir,
        url,
        OB_SCHEMA_FILE,
        &bytes,
        &source,
        &now,
    )?)
}

/// `schema install [--from FILE]`.
pub fn install(dir: &Path, from: Option<&Path>) -> Result<()> {
    // Only an issuer directory gets schemas (a typo in --dir must not create a stray folder).
    IssuerConfig::load(dir)?;
    let record = install_ob_schema(dir, from.map(LocalSchema::read).transpose()?)?;
    print_record(&record);
    eprintln!("every credential issued from now on is checked against it before signing");
    Ok(())
}

/// `schema show [--json]`.
pub fn show(dir: &Path, json: bool) -> Result<()> {
    let config = IssuerConfig::load(dir)?;
    let entries = schemas::installed(dir)?;
    // Loading also checks each file against its recorded digest.
    schemas::load(dir)?;
    if json {
        let list: Vec<_> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "url": e.url, "file": e.file, "sha256": e.sha256,
                    "source": e.source, "installed_at": e.installed_at,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "schemas": list,
                "require_ob_schema": config.issuance.require_ob_schema,
            })
        );
        return Ok(());
    }
    if entries.is_empty() {
        println!("no schema installed");
    }
    for record in &entries {
        print_record(record);
    }
    if !entries
        .iter()
        .any(|e| e.url == OB_ACHIEVEMENT_CREDENTIAL_SCHEMA)
    {
        if config.issuance.require_ob_schema {
            eprintln!(
                "issuing is refused until the OB 3.0 schema is installed: \
                 run `passerelle-issuer schema install`"
            );
        } else {
            eprintln!(
                "WARNING: credentials are issued WITHOUT the OB 3.0 JSON Schema check \
                 (require_ob_schema = false)"
            );
        }
    }
    Ok(())
}

fn print_record(record: &InstalledSchema) {
    println!("{}", record.url);
    println!("  file:      {}/{}", schemas::SCHEMA_DIR, record.file);
    println!("  sha256:    {}", record.sha256);
    println!("  from:      {}", record.source);
    println!("  installed: {}", record.installed_at);
}
