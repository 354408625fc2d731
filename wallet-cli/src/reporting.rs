//! A verification report as the terminal shows it, in the reader's language: the verdict, the
//! badge card, each check by its title with its outcome and its sentence (`Messages::message`),
//! the credentials of a presentation and the endorsements. Every text that comes from the
//! credential (or quotes it: a message's arguments) is escaped for the terminal.

use std::fmt::Write as _;

use passerelle_core::verify::{self, Check, Outcome, Report, Verdict};
use passerelle_wallet::card;
use passerelle_wallet::i18n::Messages;
use serde_json::Value;

use crate::terminal::safe;

/// The report of `credential` (the checked document, when it is a credential: its language
/// maps are read in the reader's language) as lines of text, each ending with a line break.
pub(crate) fn report_text(report: &Report, credential: Option<&Value>, m: &Messages<'_>) -> String {
    let mut out = String::new();
    render(&mut out, report, credential, m, 0);
    out
}

/// The verdict's word, as the wallet writes it above a report: `VERIFIED`, `NOT VERIFIED`…
pub(crate) fn verdict_word(verdict: Verdict, m: &Messages<'_>) -> String {
    m.t(verdict_key(verdict)).to_uppercase()
}

fn verdict_key(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Verified => "verdict.verified",
        Verdict::NotVerified => "verdict.not_verified",
        _ => "verdict.incomplete",
    }
}

/// An outcome's word: `Passed`, `Failed`, `Warning`, `Not checked`.
pub(crate) fn outcome_word<'a>(outcome: Outcome, m: &Messages<'a>) -> &'a str {
    m.t(match outcome {
        Outcome::Pass => "outcome.pass",
        Outcome::Fail => "outcome.fail",
        Outcome::Warning => "outcome.warning",
        _ => "outcome.not_checked",
    })
}

/// A check's title: `Signature`, `Revocation and suspension`…
pub(crate) fn check_title<'a>(check: &Check, m: &Messages<'a>) -> &'a str {
    let title = m.t(&format!("check.{}.title", check.id));
    if title.is_empty() {
        m.t("check.other.title")
    } else {
        title
    }
}

/// Labelled lines, the labels padded to one column.
fn labelled(out: &mut String, pad: &str, lines: &[(String, String)]) {
    let width = lines
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    for (label, value) in lines {
        let fill = " ".repeat(width - label.chars().count());
        let _ = writeln!(out, "{pad}  {label}{fill} {}", safe(value));
    }
}

fn render(
    out: &mut String,
    report: &Report,
    credential: Option<&Value>,
    m: &Messages<'_>,
    indent: usize,
) {
    let pad = " ".repeat(indent);
    let key = verdict_key(report.verdict());
    // The verdict alone on its line (scripts and tests look for it), what it means below.
    let _ = writeln!(out, "{pad}{}", verdict_word(report.verdict(), m));
    let _ = writeln!(out, "{pad}  {}", m.t(&format!("{key}.text")));
    let mut lines = Vec::new();
    if let Some(summary) = &report.summary {
        let lang = Some(m.lang());
        let localized = |pointer: &str| {
            credential
                .and_then(|c| c.pointer(pointer))
                .and_then(|v| verify::localized_text(v, lang))
        };
        if let Some(achievement) = &summary.achievement {
            lines.push((
                m.t("wallet.card.achievement").to_owned(),
                localized("/credentialSubject/achievement/name")
                    .unwrap_or_else(|| achievement.name.clone()),
            ));
        } else if let Some(name) = &summary.name {
            lines.push((
                m.t("wallet.card.credential").to_owned(),
                localized("/name").unwrap_or_else(|| name.clone()),
            ));
        }
        let issuer = match &summary.issuer.name {
            Some(name) => format!("{name} ({})", summary.issuer.id.as_str()),
            None => summary.issuer.id.as_str().to_owned(),
        };
        lines.push((m.t("card.issuer").to_owned(), issuer));
        for recipient in &summary.recipients {
            lines.push((
                m.t("card.recipient").to_owned(),
                card::recipient_text(recipient, "", &[], m),
            ));
        }
        let dates = report.dates.clone().unwrap_or_default();
        if let Some(issued) = &dates.issued {
            lines.push((m.t("card.issued").to_owned(), m.date(&issued.to_rfc3339())));
        }
        if let Some(signed) = &dates.signed {
            lines.push((
                m.t("card.signed").to_owned(),
                m.moment(&signed.to_rfc3339()),
            ));
        }
        if let Some(until) = &summary.valid_until {
            lines.push((m.t("card.expires").to_owned(), m.date(&until.to_rfc3339())));
        }
    }
    let details = credential
        .and_then(|c| verify::card_details(c, Some(m.lang())))
        .or_else(|| report.details.clone());
    if let Some(details) = &details {
        lines.extend(card::detail_lines(details, m));
    }
    labelled(out, &pad, &lines);
    let _ = writeln!(out);
    let width = report
        .checks()
        .iter()
        .map(|c| outcome_word(c.outcome, m).chars().count())
        .max()
        .unwrap_or(0);
    for check in report.checks() {
        let word = outcome_word(check.outcome, m);
        let fill = " ".repeat(width - word.chars().count());
        let _ = writeln!(
            out,
            "{pad}  [{word}]{fill} {}",
            m.format(
                "wallet.report.check",
                &[
                    ("title", check_title(check, m)),
                    ("message", &safe(&m.message(&check.message)))
                ]
            )
        );
        for detail in &check.details {
            let _ = writeln!(
                out,
                "{pad}  {}    · {}",
                " ".repeat(width + 2),
                safe(&m.message(detail))
            );
        }
    }
    for (n, inner) in report.credentials().iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{pad}  {}",
            m.format(
                "wallet.report.credential_n",
                &[("n", &m.number(&(n + 1).to_string()))]
            )
        );
        render(out, inner, None, m, indent + 4);
    }
    if !report.endorsements().is_empty() || report.endorsements_not_checked > 0 {
        let _ = writeln!(out, "\n{pad}  {}:", m.t("endorsements.title"));
    }
    for endorsement in report.endorsements() {
        let _ = writeln!(
            out,
            "{pad}    {}",
            safe(&card::endorsement_headline(endorsement, m))
        );
        let mut lines = Vec::new();
        if let Some(endorsed) = &endorsement.endorsed {
            lines.push((m.t("endorsements.endorses").to_owned(), endorsed.clone()));
        }
        lines.push((
            m.t("endorsements.found_at").to_owned(),
            endorsement.found_at.clone(),
        ));
        if let Some(comment) = &endorsement.comment {
            lines.push((m.t("endorsements.comment").to_owned(), comment.clone()));
        }
        labelled(out, &format!("{pad}    "), &lines);
        render(out, &endorsement.report, None, m, indent + 6);
    }
    if report.endorsements_not_checked > 0 {
        let _ = writeln!(
            out,
            "{pad}    {}",
            m.format(
                "endorsements.more",
                &[(
                    "count",
                    &m.number(&report.endorsements_not_checked.to_string())
                )]
            )
        );
    }
}
