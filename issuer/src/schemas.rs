//! The OB 3.0 JSON Schema the issuer checks every credential against before signing.
//!
//! 1EdTech publishes the AchievementCredential schema at its URL only — no package on the
//! registries carries it, and it is not ours to redistribute — so an issuer installs it once
//! into `DIR/schemas/`: `init` and `schema install` fetch it from the URL credentials cite
//! ([`model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA`]), and `--from FILE` copies it from a file for
//! machines without network. Every start-up reads it back from there; nothing is fetched while
//! issuing.
//!
//! `schemas/manifest.toml` records, per schema, the URL it is filed under, the file, its SHA-256,
//! where it came from and when. A file whose digest does not match its record is refused
//! (corruption or tampering), never used. A candidate schema is accepted only if it compiles as a
//! JSON Schema and accepts the core's reference badge, so a wrong file (an error page, another
//! schema) is refused at install time, not discovered when every credential fails.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use passerelle_core::input::{self, InputLimits};
use passerelle_core::model;
use passerelle_core::schema::{SchemaError, SchemaSet};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The directory, inside the issuer directory, holding installed schemas.
pub const SCHEMA_DIR: &str = "schemas";
/// The record of installed schemas, inside [`SCHEMA_DIR`].
pub const MANIFEST_FILE: &str = "manifest.toml";
/// The OB 3.0 AchievementCredential schema's file name inside [`SCHEMA_DIR`].
pub const OB_SCHEMA_FILE: &str = "ob_v3p0_achievementcredential_schema.json";
/// The largest schema accepted (the OB schema is ≈ 70 KB).
pub const MAX_SCHEMA_BYTES: usize = 1 << 20;
/// How long fetching a schema may take, end to end.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Why installing or loading a schema failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaStoreError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid schema manifest: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error(
        "{path} does not match its record in the manifest (SHA-256 {found}, recorded {expected}); \
         re-install it with `passerelle-issuer schema install`"
    )]
    Digest {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// The candidate from `source` is not a usable schema for `url`.
    #[error("{source_name} is not the schema {url}: {reason}")]
    Invalid {
        source_name: String,
        url: String,
        reason: String,
    },
    /// Fetching the schema failed.
    #[error("cannot fetch {url}: {reason}")]
    Fetch { url: String, reason: String },
}

/// One installed schema, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledSchema {
    /// The URL credentials cite in `credentialSchema`, under which it is filed.
    pub url: String,
    /// The file name inside [`SCHEMA_DIR`].
    pub file: String,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Where it came from: the URL fetched, or the file copied.
    pub source: String,
    /// When it was installed (RFC 3339).
    pub installed_at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    schema: Vec<InstalledSchema>,
}

fn manifest_path(dir: &Path) -> PathBuf {
    dir.join(SCHEMA_DIR).join(MANIFEST_FILE)
}

/// The schemas installed in the issuer directory `dir` (none if it has no manifest).
pub fn installed(dir: &Path) -> Result<Vec<InstalledSchema>, SchemaStoreError> {
    let path = manifest_path(dir);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(SchemaStoreError::Read { path, source }),
    };
    let manifest: Manifest = toml::from_str(&text).map_err(|e| SchemaStoreError::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    for entry in &manifest.schema {
        if entry.file.contains(['/', '\\']) || entry.file.starts_with('.') {
            return Err(SchemaStoreError::Manifest {
                path,
                reason: format!("file name {:?} is not a plain file name", entry.file),
            });
        }
    }
    Ok(manifest.schema)
}

/// Reads, checks against the manifest and compiles every installed schema.
pub fn load(dir: &Path) -> Result<SchemaSet, SchemaStoreError> {
    let mut set = SchemaSet::new();
    for entry in installed(dir)? {
        let path = dir.join(SCHEMA_DIR).join(&entry.file);
        let bytes = fs::read(&path).map_err(|source| SchemaStoreError::Read {
            path: path.clone(),
            source,
        })?;
        let found = sha256_hex(&bytes);
        if found != entry.sha256 {
            return Err(SchemaStoreError::Digest {
                path,
                expected: entry.sha256,
                found,
            });
        }
        add_checked(&mut set, &entry.url, &bytes, &path.display().to_string())?;
    }
    Ok(set)
}

/// Checks that `bytes` (from `source_name`) are a usable schema for `url`: JSON within the
/// size cap, compiling as a JSON Schema, and — for the OB AchievementCredential schema —
/// accepting the core's reference badge.
pub fn candidate(url: &str, bytes: &[u8], source_name: &str) -> Result<(), SchemaStoreError> {
    add_checked(&mut SchemaSet::new(), url, bytes, source_name)
}

/// [`candidate`]'s checks, filing the schema in `set` under `url` (compiled once).
fn add_checked(
    set: &mut SchemaSet,
    url: &str,
    bytes: &[u8],
    source_name: &str,
) -> Result<(), SchemaStoreError> {
    let limits = InputLimits {
        max_bytes: MAX_SCHEMA_BYTES,
        ..InputLimits::default()
    };
    let schema =
        input::parse_json_object(bytes, &limits).map_err(|e| SchemaStoreError::Invalid {
            source_name: source_name.to_owned(),
            url: url.to_owned(),
            reason: format!("not a JSON object: {e}"),
        })?;
    set.insert(schema, &[url])
        .map_err(|e| invalid(source_name, url, e))?;
    if url == model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA {
        let reference = model::sample::data_literacy_badge();
        match set.validate(url, &reference) {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                return Err(SchemaStoreError::Invalid {
                    source_name: source_name.to_owned(),
                    url: url.to_owned(),
                    reason: format!("it rejects the reference OB 3.0 badge ({e})"),
                })
            }
            None => {
                return Err(SchemaStoreError::Invalid {
                    source_name: source_name.to_owned(),
                    url: url.to_owned(),
                    reason: "it could not be filed under its URL".into(),
                })
            }
        }
    }
    Ok(())
}

fn invalid(source_name: &str, url: &str, e: SchemaError) -> SchemaStoreError {
    SchemaStoreError::Invalid {
        source_name: source_name.to_owned(),
        url: url.to_owned(),
        reason: e.to_string(),
    }
}

/// Installs `bytes` as the schema for `url` in the issuer directory `dir`, after
/// [`candidate`] accepts them. The schema file and the manifest are each replaced atomically
/// (written beside, then renamed); an existing record for `url` is replaced.
pub fn install(
    dir: &Path,
    url: &str,
    file: &str,
    bytes: &[u8],
    source: &str,
    installed_at: &str,
) -> Result<InstalledSchema, SchemaStoreError> {
    candidate(url, bytes, source)?;
    let mut entries = installed(dir)?;
    let schema_dir = dir.join(SCHEMA_DIR);
    fs::create_dir_all(&schema_dir).map_err(|source| SchemaStoreError::Write {
        path: schema_dir.clone(),
        source,
    })?;
    write_atomically(&schema_dir.join(file), bytes)?;
    let record = InstalledSchema {
        url: url.to_owned(),
        file: file.to_owned(),
        sha256: sha256_hex(bytes),
        source: source.to_owned(),
        installed_at: installed_at.to_owned(),
    };
    entries.retain(|e| e.url != url);
    entries.push(record.clone());
    let manifest = Manifest { schema: entries };
    let text = toml::to_string_pretty(&manifest).map_err(|e| SchemaStoreError::Manifest {
        path: manifest_path(dir),
        reason: e.to_string(),
    })?;
    let header = "# Schemas this issuer validates every credential against before signing.\n\
                  # Written by `passerelle-issuer schema install`; each file's SHA-256 is checked \
                  at start-up.\n\n";
    write_atomically(&manifest_path(dir), format!("{header}{text}").as_bytes())?;
    Ok(record)
}

/// Fetches the schema at `url` (https only, redirects followed to https only, at most
/// [`MAX_SCHEMA_BYTES`], within [`FETCH_TIMEOUT`]).
pub async fn fetch(url: &str) -> Result<Vec<u8>, SchemaStoreError> {
    let fail = |reason: String| SchemaStoreError::Fetch {
        url: url.to_owned(),
        reason,
    };
    if !url.starts_with("https://") {
        return Err(fail("only https URLs are fetched".into()));
    }
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("more than 5 redirects")
        } else if attempt.url().scheme() != "https" {
            attempt.error("redirect to a non-https URL")
        } else {
            attempt.follow()
        }
    });
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(redirects)
        .user_agent(concat!("passerelle-issuer/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut response = client
        .get(url)
        .header(
            reqwest::header::ACCEPT,
            "application/schema+json, application/json",
        )
        .send()
        .await
        .map_err(|e| fail(without_url(&e)))?;
    if !response.status().is_success() {
        return Err(fail(format!("the server answered {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(without_url(&e)))? {
        if body.len() + chunk.len() > MAX_SCHEMA_BYTES {
            return Err(fail(format!("larger than {MAX_SCHEMA_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// reqwest's message without the URL it repeats (the caller names it already).
fn without_url(e: &reqwest::Error) -> String {
    let mut reason = e.to_string();
    if let Some(url) = e.url() {
        reason = reason.replace(&format!(" ({url})"), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SchemaStoreError> {
    let error = |source| SchemaStoreError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    {
        let mut file = fs::File::create(&tmp).map_err(error)?;
        file.write_all(bytes).map_err(error)?;
        file.sync_all().map_err(error)?;
    }
    fs::rename(&tmp, path).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ob_schema_bytes() -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/vectors/openbadges/schema")
            .join(OB_SCHEMA_FILE);
        fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    const URL: &str = model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA;

    #[test]
    fn installs_and_loads_the_ob_schema() {
        let dir = tempfile::tempdir().unwrap();
        assert!(installed(dir.path()).unwrap().is_empty());
        assert!(!load(dir.path()).unwrap().contains(URL));
        let bytes = ob_schema_bytes();
        let record = install(
            dir.path(),
            URL,
            OB_SCHEMA_FILE,
            &bytes,
            "a file",
            "2026-11-26T00:00:00Z",
        )
        .unwrap();
        assert_eq!(record.sha256, sha256_hex(&bytes));
        assert_eq!(installed(dir.path()).unwrap(), vec![record]);
        let set = load(dir.path()).unwrap();
        assert!(set.contains(URL));
        // Re-installing replaces the record instead of adding a second one.
        install(
            dir.path(),
            URL,
            OB_SCHEMA_FILE,
            &bytes,
            "again",
            "2026-11-26T00:00:01Z",
        )
        .unwrap();
        let entries = installed(dir.path()).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].source, "again");
    }

    #[test]
    fn refuses_a_file_that_changed_after_install() {
        let dir = tempfile::tempdir().unwrap();
        install(
            dir.path(),
            URL,
            OB_SCHEMA_FILE,
            &ob_schema_bytes(),
            "f",
            "t",
        )
        .unwrap();
        let path = dir.path().join(SCHEMA_DIR).join(OB_SCHEMA_FILE);
        let mut text = fs::read_to_string(&path).unwrap();
        text.push(' ');
        fs::write(&path, text).unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(matches!(err, SchemaStoreError::Digest { .. }), "{err}");
    }

    #[test]
    fn refuses_what_is_not_the_ob_schema() {
        let dir = tempfile::tempdir().unwrap();
        for (bytes, expected) in [
            (&b"<html>Not Found</html>"[..], "not a JSON object"),
            (
                &br#"{"type": "object", "required": ["nope"]}"#[..],
                "rejects the reference",
            ),
            (&br#"{"type": 12}"#[..], "is not the schema"),
        ] {
            let err = install(dir.path(), URL, OB_SCHEMA_FILE, bytes, "upload", "t").unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
        // Nothing was written by the refused installs.
        assert!(!dir.path().join(SCHEMA_DIR).exists());
    }

    #[test]
    fn refuses_a_manifest_pointing_outside_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(SCHEMA_DIR)).unwrap();
        fs::write(
            manifest_path(dir.path()),
            "[[schema]]\nurl = \"u\"\nfile = \"../issuer.toml\"\nsha256 = \"x\"\nsource = \"s\"\ninstalled_at = \"t\"\n",
        )
        .unwrap();
        assert!(matches!(
            load(dir.path()).unwrap_err(),
            SchemaStoreError::Manifest { .. }
        ));
    }
}
