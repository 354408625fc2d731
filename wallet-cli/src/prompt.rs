//! Passphrases: from standard input (`--passphrase-stdin`), the environment, or a prompt on the
//! terminal.

use std::io::{self, BufRead, IsTerminal};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use passerelle_core::sealed::Passphrase;
use passerelle_wallet::i18n::Messages;

use crate::{MIN_PASSPHRASE_CHARS, PASSPHRASE_ENV};

/// Lines of standard input, read once (`--passphrase-stdin`).
pub(crate) fn stdin_lines(m: &Messages<'_>) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for line in io::stdin().lock().lines().take(2) {
        lines.push(line.with_context(|| m.t("wallet.passphrase.stdin_unreadable").to_owned())?);
    }
    Ok(lines)
}

pub(crate) struct Passphrases<'a> {
    stdin: Option<Vec<String>>,
    m: Messages<'a>,
}

impl<'a> Passphrases<'a> {
    pub(crate) fn new(from_stdin: bool, m: &Messages<'a>) -> Result<Self> {
        Ok(Self {
            stdin: if from_stdin {
                Some(stdin_lines(m)?)
            } else {
                None
            },
            m: *m,
        })
    }

    /// The wallet's current passphrase.
    pub(crate) fn current(&self, prompt: &str) -> Result<Passphrase> {
        if let Some(lines) = &self.stdin {
            return match lines.first() {
                Some(line) if !line.is_empty() => Ok(Passphrase::new(line.as_bytes())),
                _ => bail!(self.m.t("wallet.passphrase.stdin_empty").to_owned()),
            };
        }
        if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
            if value.is_empty() {
                bail!(self
                    .m
                    .format("wallet.passphrase.env_empty", &[("env", PASSPHRASE_ENV)]));
            }
            return Ok(Passphrase::new(value));
        }
        prompt_passphrase(prompt, &self.m)
    }

    /// A new passphrase (init, passphrase change): confirmed when typed.
    pub(crate) fn new_one(&self, line: usize, env: &str) -> Result<Passphrase> {
        let text = if let Some(lines) = &self.stdin {
            lines.get(line).cloned().ok_or_else(|| {
                anyhow!(self.m.format(
                    "wallet.passphrase.stdin_new_missing",
                    &[("line", &(line + 1).to_string())]
                ))
            })?
        } else if let Ok(value) = std::env::var(env) {
            value
        } else {
            let first = prompt_text(self.m.t("wallet.prompt.new_passphrase"), env, &self.m)?;
            let second = prompt_text(self.m.t("wallet.prompt.repeat"), env, &self.m)?;
            if first != second {
                bail!(self.m.t("wallet.passphrase.differ").to_owned());
            }
            first
        };
        if text.chars().count() < MIN_PASSPHRASE_CHARS {
            bail!(self.m.format(
                "wallet.error.passphrase_too_short",
                &[("min", &MIN_PASSPHRASE_CHARS.to_string())]
            ));
        }
        Ok(Passphrase::new(text))
    }
}

/// Asks on the terminal; without one, says how else to give it (`env`: the variable that
/// would hold this passphrase).
pub(crate) fn prompt_text(prompt: &str, env: &str, m: &Messages<'_>) -> Result<String> {
    if !io::stdin().is_terminal() && !Path::new("/dev/tty").exists() {
        bail!(m.format("wallet.passphrase.no_terminal", &[("env", env)]));
    }
    rpassword::prompt_password(prompt).map_err(|e| {
        anyhow!(m.format(
            "wallet.passphrase.cannot_ask",
            &[("reason", &e.to_string()), ("env", env)]
        ))
    })
}

pub(crate) fn prompt_passphrase(prompt: &str, m: &Messages<'_>) -> Result<Passphrase> {
    Ok(Passphrase::new(prompt_text(prompt, PASSPHRASE_ENV, m)?))
}
