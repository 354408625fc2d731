//! Opening the issuer for commands that sign: the passphrase that unlocks the sealed key.

use std::path::Path;

use anyhow::{Context, Result};
use passerelle_issuer::config::{IssuerConfig, KeyStorage};
use passerelle_issuer::issuance::Issuer;
use passerelle_issuer::secret::Passphrase;

use super::passphrase;

/// The passphrase of the sealed key: `--passphrase-stdin`, else `$PASSERELLE_ISSUER_PASSPHRASE`,
/// else a prompt (asked once). Never echoed.
pub fn passphrase(from_stdin: bool) -> Result<Passphrase> {
    passphrase::read(from_stdin, &passphrase::UNLOCK)
}

/// Opens the issuer in `dir`, asking for the passphrase only if the key is sealed.
pub async fn open_issuer(dir: &Path, passphrase_stdin: bool) -> Result<Issuer> {
    let config = IssuerConfig::load(dir)?;
    let secret = match config.key.storage {
        KeyStorage::Sealed => Some(passphrase(passphrase_stdin)?),
        KeyStorage::PlainFile => None,
    };
    let issuer = Issuer::open(dir, secret.as_ref())
        .await
        .context("cannot open the issuer")?;
    for note in issuer.start_notes() {
        eprintln!("note: {note}");
    }
    Ok(issuer)
}
