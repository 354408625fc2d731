//! Terminal output helpers: colour (only on a terminal, never with `$NO_COLOR`), escaping of
//! text that comes from a credential, the status label, truncation to a column.

use std::io::{self, IsTerminal};

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

pub(crate) fn verdict_label(entry: &Entry) -> String {
    let word = match entry.verdict {
        Verdict::Verified if entry.unchecked => colour("33", "NOT CHECKED (kept)"),
        Verdict::Verified => colour("32", "verified"),
        Verdict::NotVerified if entry.forced => colour("31", "NOT VERIFIED (forced)"),
        Verdict::NotVerified => colour("31", "NOT VERIFIED"),
        _ if entry.unchecked => colour("33", "NOT CHECKED (kept)"),
        _ => colour("33", "incomplete"),
    };
    format!("{word} {}", entry.verified_at.get(..10).unwrap_or(""))
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
