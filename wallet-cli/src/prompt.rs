//! Passphrases: from standard input (`--passphrase-stdin`), the environment, or a prompt on the
//! terminal.

use std::io::{self, BufRead, IsTerminal};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use passerelle_core::sealed::Passphrase;

use crate::{MIN_PASSPHRASE_CHARS, PASSPHRASE_ENV};

/// Lines of standard input, read once (`--passphrase-stdin`).
pub(crate) fn stdin_lines() -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for line in io::stdin().lock().lines().take(2) {
        lines.push(line.context("cannot read the passphrase from standard input")?);
    }
    Ok(lines)
}

pub(crate) struct Passphrases {
    stdin: Option<Vec<String>>,
}

impl Passphrases {
    pub(crate) fn new(from_stdin: bool) -> Result<Self> {
        Ok(Self {
            stdin: if from_stdin {
                Some(stdin_lines()?)
            } else {
                None
            },
        })
    }

    /// The wallet's current passphrase.
    pub(crate) fn current(&self, prompt: &str) -> Result<Passphrase> {
        if let Some(lines) = &self.stdin {
            return match lines.first() {
                Some(line) if !line.is_empty() => Ok(Passphrase::new(line.as_bytes())),
                _ => bail!("--passphrase-stdin: the first line of standard input is empty"),
            };
        }
        if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
            if value.is_empty() {
                bail!("${PASSPHRASE_ENV} is set but empty: set it to the wallet's passphrase, or unset it to be asked");
            }
            return Ok(Passphrase::new(value));
        }
        prompt_passphrase(prompt)
    }

    /// A new passphrase (init, passphrase change): confirmed when typed.
    pub(crate) fn new_one(&self, line: usize, env: &str) -> Result<Passphrase> {
        let text = if let Some(lines) = &self.stdin {
            lines.get(line).cloned().ok_or_else(|| {
                anyhow!(
                    "--passphrase-stdin: expected the new passphrase on line {} of standard input",
                    line + 1
                )
            })?
        } else if let Ok(value) = std::env::var(env) {
            value
        } else {
            let first = prompt_text("New wallet passphrase: ", env)?;
            let second = prompt_text("Repeat it: ", env)?;
            if first != second {
                bail!("the two passphrases differ; nothing was changed — run the command again");
            }
            first
        };
        if text.chars().count() < MIN_PASSPHRASE_CHARS {
            bail!("the passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters (a few words are easy to remember)");
        }
        Ok(Passphrase::new(text))
    }
}

/// Asks on the terminal; without one, says how else to give it (`env`: the variable that
/// would hold this passphrase).
pub(crate) fn prompt_text(prompt: &str, env: &str) -> Result<String> {
    if !io::stdin().is_terminal() && !Path::new("/dev/tty").exists() {
        bail!("no terminal to ask for the passphrase: use --passphrase-stdin or set ${env}");
    }
    rpassword::prompt_password(prompt).map_err(|e| {
        anyhow!("cannot ask for the passphrase ({e}): use --passphrase-stdin or set ${env}")
    })
}

pub(crate) fn prompt_passphrase(prompt: &str) -> Result<Passphrase> {
    Ok(Passphrase::new(prompt_text(prompt, PASSPHRASE_ENV)?))
}
