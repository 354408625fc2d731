//! `passerelle-issuer init`: create the issuer directory, its config, database, profile and key.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use passerelle_core::did;
use passerelle_core::model::{Image, Iri, Profile};
use passerelle_issuer::config::{
    self, DatabaseConfig, IssuerConfig, KeyConfig, KeyStorage, CONFIG_FILE, DATABASE_URL_ENV,
    DEFAULT_DB_FILE,
};
use passerelle_issuer::secret::{KdfParams, Passphrase};
use passerelle_issuer::store::{NewIssuerProfile, Store};
use zeroize::Zeroizing;

/// Shortest passphrase accepted for sealing the signing key.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// The fragment of the first signing key.
const FIRST_KEY_FRAGMENT: &str = "key-1";
/// The plain key file's name (with `--plain-key`).
const PLAIN_KEY_FILE: &str = "issuer-key.jwk";

/// Which DID the issuer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DidMethod {
    /// `did:web` derived from `--url` (the service publishes `/.well-known/did.json`).
    Web,
    /// The key's own `did:key` (no hosting needed, but the key can never be rotated).
    Key,
}

/// What `init` was asked to do.
#[derive(Debug)]
pub struct InitArgs {
    pub dir: PathBuf,
    pub name: String,
    pub url: String,
    pub did: DidMethod,
    pub db: Option<String>,
    pub plain_key: bool,
    pub passphrase_stdin: bool,
    /// The issuer's image (PNG or SVG), embedded in the Profile.
    pub image: Option<PathBuf>,
    /// A local copy of the OB 3.0 schema to install (else it is fetched).
    pub ob_schema: Option<PathBuf>,
}

/// Where the database URL came from.
enum DbChoice {
    Sqlite(PathBuf),
    Url(String),
    Env(String),
}

pub fn init(args: InitArgs) -> Result<()> {
    let dir = &args.dir;
    // Check everything before creating anything, so a refused init leaves nothing behind.
    let leftovers = ["-wal", "-shm", "-journal"].map(|suffix| format!("{DEFAULT_DB_FILE}{suffix}"));
    let mut names = vec![CONFIG_FILE, DEFAULT_DB_FILE, PLAIN_KEY_FILE];
    names.extend(leftovers.iter().map(String::as_str));
    for existing in names {
        if dir.join(existing).exists() {
            bail!(
                "{} is already an issuer directory ({} exists); refusing to re-initialise it — nothing was changed",
                dir.display(),
                existing
            );
        }
    }
    let name = args.name.trim();
    if name.is_empty() {
        bail!("--name must not be empty");
    }
    let url = normalise_url(&args.url)?;
    let db = choose_database(dir, args.db.as_deref())?;
    // A given schema file must be the right one before anything is created.
    let local_schema = args
        .ob_schema
        .as_deref()
        .map(super::schema::LocalSchema::read)
        .transpose()?;
    if let Some(local) = &local_schema {
        passerelle_issuer::schemas::candidate(
            passerelle_core::model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA,
            &local.bytes,
            &local.source,
        )?;
    }
    let passphrase = if args.plain_key {
        None
    } else {
        Some(read_passphrase(args.passphrase_stdin)?)
    };

    let key = passerelle_issuer::secret::generate_key()?;
    let public = key.public();
    let (issuer_did, verification_method) = match args.did {
        DidMethod::Web => {
            let did = did::did_web_from_url(&url)
                .with_context(|| format!("cannot derive a did:web from --url {url}"))?;
            let vm = format!("{did}#{FIRST_KEY_FRAGMENT}");
            (did.to_string(), vm)
        }
        DidMethod::Key => (
            did::did_key(&public).to_string(),
            did::did_key_verification_method(&public),
        ),
    };
    let mut profile = Profile::new(
        Iri::parse(&issuer_did).with_context(|| format!("the DID {issuer_did} is not a URL"))?,
        name,
        Iri::parse(&url).with_context(|| format!("--url {url} is not a URL"))?,
    );
    if let Some(path) = &args.image {
        profile =
            profile.image(Image::new(super::achievement::image_data_url(path)?).caption(name));
    }
    let profile = serde_json::to_value(&profile).context("cannot serialise the profile")?;

    // From here on, a failure removes what this run created, so that init can simply be re-run.
    let mut cleanup = Cleanup::default();
    if !dir.exists() {
        cleanup.dir = Some(dir.to_path_buf());
    }
    // 0700 whatever the umask: it will hold the database (sealed key, learner keys, audit).
    passerelle_issuer::files::create_private_dir(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let (database, db_url, db_shown) = match db {
        DbChoice::Sqlite(path) => {
            let url = config::sqlite_url(&path)?;
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                cleanup.files.push(PathBuf::from(file));
            }
            // Created 0600 before SQLite opens it, which gives -wal and -shm the same mode.
            passerelle_issuer::files::create_private_file(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            (
                DatabaseConfig {
                    sqlite_file: Some(DEFAULT_DB_FILE.into()),
                    url: None,
                    url_env: None,
                },
                url,
                path.display().to_string(),
            )
        }
        DbChoice::Url(url) => (
            DatabaseConfig {
                sqlite_file: None,
                url: Some(url.clone()),
                url_env: None,
            },
            url.clone(),
            url,
        ),
        DbChoice::Env(url) => (
            DatabaseConfig {
                sqlite_file: None,
                url: None,
                url_env: Some(DATABASE_URL_ENV.into()),
            },
            url,
            format!("${DATABASE_URL_ENV}"),
        ),
    };

    let key_file = if args.plain_key {
        let path = dir.join(PLAIN_KEY_FILE);
        let mut text = Zeroizing::new(
            serde_json::to_string_pretty(&key.to_private_jwk()).context("cannot encode the key")?,
        );
        text.push('\n');
        crate::write_secret_file(&path, text.as_bytes())?;
        cleanup.files.push(path.clone());
        eprintln!(
            "WARNING: --plain-key: the issuer's PRIVATE KEY is stored UNENCRYPTED in {}.\n\
             WARNING: anyone who can read this file can issue badges in your name.\n\
             WARNING: keep it mode 0600, out of backups you do not control, or re-run init without --plain-key.",
            path.display()
        );
        Some(PLAIN_KEY_FILE.to_owned())
    } else {
        None
    };

    super::runtime()?.block_on(async {
        let store = Store::connect(&db_url)
            .await
            .with_context(|| format!("cannot open the database {db_shown}"))?;
        if let Some(existing) = store.issuer_profile().await? {
            bail!(
                "the database {db_shown} already holds the issuer {} ({}); refusing to overwrite it",
                existing.name,
                existing.did
            );
        }
        store
            .set_issuer_profile(&NewIssuerProfile {
                name: name.to_owned(),
                url: url.clone(),
                did: issuer_did.clone(),
                profile,
            })
            .await?;
        if let Some(passphrase) = passphrase {
            store
                .add_key(FIRST_KEY_FRAGMENT, &key, passphrase, KdfParams::default())
                .await?;
        }
        store.close().await;
        Ok(())
    })?;

    let config = IssuerConfig {
        name: name.to_owned(),
        url: url.clone(),
        did: issuer_did.clone(),
        database,
        key: KeyConfig {
            fragment: FIRST_KEY_FRAGMENT.into(),
            verification_method: verification_method.clone(),
            public_multikey: public.to_multikey(),
            storage: if args.plain_key {
                KeyStorage::PlainFile
            } else {
                KeyStorage::Sealed
            },
            file: key_file.clone(),
        },
        issuance: config::IssuanceConfig::default(),
        oid4vci: config::Oid4vciConfig::default(),
        ob_api: config::ObApiConfig::default(),
    };
    let config_path = config.create(dir)?;
    cleanup.disarm();
    // The issuer exists from here on; without the schema it refuses to issue, and says how to
    // install it.
    let schema = super::schema::install_ob_schema(dir, local_schema);

    println!("{issuer_did}");
    eprintln!("initialised the issuer {name:?} in {}", dir.display());
    eprintln!("  config:   {}", config_path.display());
    eprintln!("  database: {db_shown}");
    match key_file {
        Some(file) => eprintln!("  key:      {} (UNENCRYPTED)", dir.join(file).display()),
        None => eprintln!("  key:      sealed in the database under your passphrase"),
    }
    eprintln!("  verification method: {verification_method}");
    if args.did == DidMethod::Web {
        eprintln!("  publish the DID document at {}", did_json_url(&url));
    }
    match schema {
        Ok(record) => eprintln!(
            "  OB 3.0 schema: installed from {} (sha256 {})",
            record.source, record.sha256
        ),
        Err(e) => eprintln!(
            "WARNING: the OB 3.0 JSON Schema could not be installed: {e:#}\n\
             WARNING: issuing is refused until it is: run `passerelle-issuer schema install` \
             when this machine is online, or `schema install --from FILE`"
        ),
    }
    Ok(())
}

/// Files and the directory a failed `init` created, removed when dropped unless disarmed.
#[derive(Default)]
struct Cleanup {
    files: Vec<PathBuf>,
    dir: Option<PathBuf>,
    disarmed: bool,
}

impl Cleanup {
    fn disarm(&mut self) {
        self.disarmed = true;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.disarmed {
            return;
        }
        for file in &self.files {
            // Only files this run created (init refused to start if they existed).
            let _ = fs::remove_file(file);
        }
        if let Some(dir) = &self.dir {
            // Removes the directory only if it is empty.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Where a did:web document for `url` is served.
fn did_json_url(url: &str) -> String {
    if url::Url::parse(url).is_ok_and(|u| u.path() == "/") {
        format!("{url}/.well-known/did.json")
    } else {
        format!("{url}/did.json")
    }
}

/// An https URL without a trailing slash, query or fragment.
fn normalise_url(raw: &str) -> Result<String> {
    let parsed =
        url::Url::parse(raw.trim()).with_context(|| format!("--url {raw:?} is not a URL"))?;
    if parsed.scheme() != "https" {
        bail!("--url must be an https:// URL (it is the issuer's public address), not {raw:?}");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        bail!("--url must not carry a query or a fragment: {raw:?}");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        bail!("--url must not carry a user name or password");
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn choose_database(dir: &Path, db: Option<&str>) -> Result<DbChoice> {
    if let Some(url) = db {
        return database_url_choice(url, false);
    }
    if let Ok(url) = std::env::var(DATABASE_URL_ENV) {
        if !url.is_empty() {
            return database_url_choice(&url, true);
        }
    }
    Ok(DbChoice::Sqlite(dir.join(DEFAULT_DB_FILE)))
}

fn database_url_choice(url: &str, from_env: bool) -> Result<DbChoice> {
    let scheme = url.split(':').next().unwrap_or_default();
    if !matches!(scheme, "postgres" | "postgresql" | "sqlite") {
        bail!("unsupported database URL scheme {scheme:?}: use postgres://… or sqlite://PATH");
    }
    if from_env {
        return Ok(DbChoice::Env(url.to_owned()));
    }
    let has_password = url::Url::parse(url).is_ok_and(|u| u.password().is_some());
    if has_password {
        bail!(
            "--db carries a password, which would be written to {CONFIG_FILE}: give the URL in \
             ${DATABASE_URL_ENV} instead, or leave the password out and set PGPASSWORD"
        );
    }
    Ok(DbChoice::Url(url.to_owned()))
}

/// The passphrase sealing the key: `--passphrase-stdin`, else `$PASSERELLE_ISSUER_PASSPHRASE`,
/// else an interactive prompt (asked twice). Never echoed, never printed.
fn read_passphrase(from_stdin: bool) -> Result<Passphrase> {
    let text = super::passphrase::read_text(from_stdin, &super::passphrase::SEAL)?;
    if text.trim().is_empty() {
        bail!("the passphrase is empty");
    }
    if text.chars().count() < MIN_PASSPHRASE_CHARS {
        bail!("the passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters");
    }
    let _ = io::stderr().flush();
    Ok(Passphrase::new(text.as_bytes().to_vec()))
}
