//! Opening the issuer for commands that sign: the passphrase that unlocks the sealed key.

use std::io::{self, BufRead, IsTerminal};
use std::path::Path;

use anyhow::{bail, Context, Result};
use passerelle_issuer::config::{IssuerConfig, KeyStorage};
use passerelle_issuer::issuance::Issuer;
use passerelle_issuer::secret::Passphrase;
use zeroize::Zeroizing;

use super::init::PASSPHRASE_ENV;

/// The passphrase given without a prompt: the first line of standard input with
/// `--passphrase-stdin`, else `$PASSERELLE_ISSUER_PASSPHRASE`; `None` when neither applies.
pub fn given_passphrase(from_stdin: bool) -> Result<Option<Zeroizing<String>>> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the passphrase from standard input")?;
        return Ok(Some(Zeroizing::new(
            line.trim_end_matches(['\n', '\r']).to_owned(),
        )));
    }
    Ok(std::env::var(PASSPHRASE_ENV).ok().map(Zeroizing::new))
}

/// The passphrase of the sealed key: `--passphrase-stdin`, else `$PASSERELLE_ISSUER_PASSPHRASE`,
/// else a prompt (asked once). Never echoed.
pub fn passphrase(from_stdin: bool) -> Result<Passphrase> {
    let text = if let Some(text) = given_passphrase(from_stdin)? {
        text
    } else if io::stdin().is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password("Passphrase of the issuer key: ")
                .context("cannot read the passphrase")?,
        )
    } else {
        bail!(
            "the issuer key is sealed: set ${PASSPHRASE_ENV}, pass --passphrase-stdin, or run in \
             a terminal to be prompted"
        );
    };
    if text.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(Passphrase::new(text.as_bytes().to_vec()))
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
