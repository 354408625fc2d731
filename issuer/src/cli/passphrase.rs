//! The one passphrase reader of the command line (`init`, the commands that sign, `serve`): the
//! first line of standard input with `--passphrase-stdin`, else [`PASSPHRASE_ENV`], else a
//! prompt on the terminal (never echoed). The text lives in a [`Zeroizing`] buffer until it
//! becomes a [`Passphrase`], which zeroes itself too.

use std::io::{self, BufRead, IsTerminal};

use anyhow::{bail, Context, Result};
use passerelle_issuer::secret::Passphrase;
use zeroize::Zeroizing;

/// The environment variable that may hold the key passphrase.
pub const PASSPHRASE_ENV: &str = "PASSERELLE_ISSUER_PASSPHRASE";

/// How one command asks: what the prompt says, whether it asks twice, and what it says when
/// there is neither standard input, nor the variable, nor a terminal.
pub struct Ask {
    pub prompt: &'static str,
    /// Asked a second time, and the two answers must agree (for a new passphrase).
    pub repeat: Option<&'static str>,
    /// The error when nothing can give a passphrase.
    pub missing: fn() -> String,
}

/// Unlocking the key for a command that signs.
pub const UNLOCK: Ask = Ask {
    prompt: "Passphrase of the issuer key: ",
    repeat: None,
    missing: || {
        format!(
            "the issuer key is sealed: set ${PASSPHRASE_ENV}, pass --passphrase-stdin, or run in \
             a terminal to be prompted"
        )
    },
};

/// Unlocking the key for `serve`.
pub const SERVE: Ask = Ask {
    prompt: "Issuer key passphrase: ",
    repeat: None,
    missing: || {
        format!(
            "the issuer key is sealed: set ${PASSPHRASE_ENV}, pass --passphrase-stdin, or run on a terminal"
        )
    },
};

/// A new passphrase to seal the key with (`init`).
pub const SEAL: Ask = Ask {
    prompt: "Passphrase to seal the issuer key: ",
    repeat: Some("Repeat the passphrase: "),
    missing: || {
        format!(
            "no passphrase to seal the issuer key: set ${PASSPHRASE_ENV}, pass --passphrase-stdin, \
             or run in a terminal to be prompted (or, at your own risk, --plain-key)"
        )
    },
};

/// The passphrase text, refused when empty.
pub fn read_text(from_stdin: bool, ask: &Ask) -> Result<Zeroizing<String>> {
    let text = if from_stdin {
        let mut line = Zeroizing::new(String::new());
        io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the passphrase from standard input")?;
        Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned())
    } else if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
        Zeroizing::new(value)
    } else if io::stdin().is_terminal() {
        let first = prompt(ask.prompt)?;
        if let Some(again) = ask.repeat {
            if *first != *prompt(again)? {
                bail!("the two passphrases differ");
            }
        }
        first
    } else {
        bail!("{}", (ask.missing)());
    };
    if text.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(text)
}

/// [`read_text`] as the key's [`Passphrase`].
pub fn read(from_stdin: bool, ask: &Ask) -> Result<Passphrase> {
    let text = read_text(from_stdin, ask)?;
    Ok(Passphrase::new(text.as_bytes().to_vec()))
}

fn prompt(text: &str) -> Result<Zeroizing<String>> {
    Ok(Zeroizing::new(
        rpassword::prompt_password(text).context("cannot read the passphrase")?,
    ))
}
