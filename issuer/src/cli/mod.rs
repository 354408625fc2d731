//! The issuer-directory commands: `init`, `achievement create|list|show`, `issue`,
//! `credential list|show`, `revoke|suspend|unsuspend`, `key rotate`, `token create|list|revoke`, `schema install|show`, `stats export` and `dev-tls`. They read and
//! write `DIR/issuer.toml` and the database through `passerelle_issuer`.

use std::path::PathBuf;

use anyhow::{Context, Result};

pub mod achievement;
pub mod credential;
pub mod dev_tls;
pub mod endorse;
pub mod init;
pub mod issue;
pub mod key;
pub mod passphrase;
pub mod schema;
pub mod serve;
pub mod stats;
pub mod status;
pub mod token;
pub mod unlock;

/// The environment variable naming the issuer directory.
pub const DIR_ENV: &str = "PASSERELLE_ISSUER_DIR";
/// The issuer directory when neither `--dir` nor [`DIR_ENV`] is given.
pub const DEFAULT_DIR: &str = "passerelle-issuer";

/// `--dir`, else `$PASSERELLE_ISSUER_DIR` (handled by clap), else `./passerelle-issuer`.
pub fn issuer_dir(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

/// A single-threaded Tokio runtime for one command (the store's blocking work goes to Tokio's
/// blocking pool).
/// The config and database of the issuer in `dir`, for commands that need no key: file modes
/// are checked (and tightened, saying so) first, as [`passerelle_issuer::issuance::Issuer::open`]
/// does.
pub async fn open_store(
    dir: &std::path::Path,
) -> Result<(
    passerelle_issuer::config::IssuerConfig,
    passerelle_issuer::store::Store,
)> {
    let config = passerelle_issuer::config::IssuerConfig::load(dir)?;
    for note in passerelle_issuer::files::secure(dir, &config)? {
        eprintln!("note: {note}");
    }
    let url = config.database_url(dir)?;
    let store = passerelle_issuer::store::Store::connect(&url)
        .await
        .context("cannot open the issuer database")?;
    Ok((config, store))
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
