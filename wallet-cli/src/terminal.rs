//! Terminal output helpers: colour (only on a terminal, never with `$NO_COLOR`), escaping of
//! text that comes from a credential, the status label, truncation to a column.

use std::io::{self, IsTerminal};

use passerelle_wallet::i18n::Messages;
use passerelle_wallet::store::{Entry, Verdict};

pub(crate) fn colour(code: &str, text: &str) -> String {
    let enabled = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if enabled {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Text from a credential, safe for a terminal: control characters other than a line break
/// (escape sequences, carriage returns, bidirectional overrides…) are shown as `\u{…}` instead of acting on the terminal.
pub(crate) fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let dangerous = (c.is_control() && c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if dangerous {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A stored credential's standing and the day it was last checked, in the reader's language.
pub(crate) fn verdict_label(entry: &Entry, m: &Messages<'_>) -> String {
    let word = |code: &str, key: &str| colour(code, m.t(key));
    let word = match entry.verdict {
        Verdict::Verified if entry.unchecked => word("33", "wallet.status.unchecked"),
        Verdict::Verified => word("32", "wallet.status.verified"),
        Verdict::NotVerified if entry.forced => word("31", "wallet.status.forced"),
        Verdict::NotVerified => word("31", "wallet.status.not_verified"),
        _ if entry.unchecked => word("33", "wallet.status.unchecked"),
        _ => word("33", "wallet.status.incomplete"),
    };
    format!("{word} {}", m.date(&entry.verified_at))
}

/// Whether a yes/no answer typed on the terminal is yes: `y`, `yes`, or the language's own
/// words (`wallet.prompt.yes_words`, comma-separated).
pub(crate) fn is_yes(answer: &str, m: &Messages<'_>) -> bool {
    let answer = answer.trim().to_lowercase();
    matches!(answer.as_str(), "y" | "yes")
        || m.t("wallet.prompt.yes_words")
            .split(',')
            .any(|word| !word.trim().is_empty() && word.trim().to_lowercase() == answer)
}

pub(crate) fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width - 1).collect();
        cut.push('…');
        cut
    }
}
