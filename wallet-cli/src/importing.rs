//! `import`: what the learner gave → credentials → the import policy (`passerelle_wallet::import`),
//! printing what was found and what became of it. A credential offer goes through
//! [`receiving`](crate::receiving) first; what it receives comes back here, to the same policy.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use passerelle_core::verify::Check;
use passerelle_wallet::checking;
use passerelle_wallet::fetch::Fetcher;
use passerelle_wallet::i18n::Messages;
use passerelle_wallet::import::{self, Decision, Imported, Keep};
use passerelle_wallet::source::{self, Found};
use passerelle_wallet::store::{self, Access, Wallet};
use serde_json::Value;

use crate::receiving::{self, OfferOptions};
use crate::reporting::{check_title, report_text};
use crate::terminal::{is_yes, safe};
use crate::{open, print_json, Network};

/// What `import` was asked to do besides its source.
pub(crate) struct ImportOptions {
    pub(crate) keep: Keep,
    pub(crate) offline: bool,
    pub(crate) json: bool,
    pub(crate) offer: OfferOptions,
}

pub(crate) fn import(
    dir: &Path,
    stdin_pass: bool,
    source_text: &str,
    options: ImportOptions,
    network: &Network,
    m: &Messages<'_>,
) -> Result<u8> {
    let nothing = || {
        m.format(
            "wallet.import.nothing_from",
            &[("source", &safe(source_text))],
        )
    };
    let offer = source::offer_in(source_text).with_context(nothing)?;
    if offer.is_none() && options.offer.format.is_some() {
        bail!(m.format(
            "wallet.import.format_not_offer",
            &[("source", &safe(source_text))]
        ));
    }
    if offer.is_none() && options.offer.tx_code.is_some() {
        let message = m.t("wallet.import.tx_code_unused");
        eprintln!("{}", m.format("wallet.note", &[("message", message)]));
    }
    if offer.is_some() && options.offline {
        bail!(m.t("wallet.import.offer_offline").to_owned());
    }
    // Open first: a wrong passphrase costs no download.
    let mut wallet = open(dir, stdin_pass, Access::Write, m)?;
    let fetcher = if options.offline {
        None
    } else {
        Some(network.fetcher()?)
    };
    let policy = Policy {
        keep: options.keep,
        stdin_pass,
        json: options.json,
        m: *m,
    };
    let results = match (offer, &fetcher) {
        (Some(offer), Some(fetcher)) => {
            receiving::receive(&mut wallet, &offer, fetcher, &options.offer, &policy)?
        }
        _ => {
            let found = source::read(source_text, fetcher.as_ref()).with_context(nothing)?;
            policy.apply(&mut wallet, found, Utc::now(), fetcher.as_ref())?
        }
    };
    if options.json {
        print_json(&Value::Array(
            results.iter().map(Imported::to_json).collect(),
        ))?;
    }
    let refused = results.iter().any(Imported::is_refusal);
    Ok(if refused { 1 } else { 0 })
}

/// The import policy as the command line sets it.
pub(crate) struct Policy<'a> {
    pub(crate) keep: Keep,
    pub(crate) stdin_pass: bool,
    pub(crate) json: bool,
    /// The reader's language.
    pub(crate) m: Messages<'a>,
}

impl Policy<'_> {
    /// Verifies each found credential and stores it, refuses it, or asks (the same rules for
    /// every source); one result per item, in order. The index is saved.
    pub(crate) fn apply(
        &self,
        wallet: &mut Wallet,
        found: Vec<Found>,
        now: DateTime<Utc>,
        fetcher: Option<&Fetcher>,
    ) -> Result<Vec<Imported>> {
        let mut results = Vec::new();
        for item in found {
            results.push(self.apply_one(wallet, item, now, fetcher)?);
        }
        wallet.save_index()?;
        Ok(results)
    }

    fn apply_one(
        &self,
        wallet: &mut Wallet,
        item: Found,
        now: DateTime<Utc>,
        fetcher: Option<&Fetcher>,
    ) -> Result<Imported> {
        let m = &self.m;
        let digest = store::digest_of(&item.text);
        if let Some(existing) = wallet.find_digest(&digest) {
            let number = existing.number;
            eprintln!(
                "{}",
                m.format(
                    "wallet.import.duplicate",
                    &[
                        (
                            "name",
                            &safe(
                                existing
                                    .achievement
                                    .as_deref()
                                    .unwrap_or(m.t("wallet.import.a_credential"))
                            )
                        ),
                        ("number", &number.to_string()),
                    ]
                )
            );
            return Ok(Imported::Duplicate {
                found: item.how,
                number,
            });
        }
        let presented = checking::parse(&item.text).with_context(|| {
            m.format("wallet.import.unreadable", &[("found", &safe(&item.how))])
        })?;
        let checked = checking::check(wallet, &presented, now, fetcher, false, m)?;
        let report = &checked.report;
        let assessed = import::assess(&item, &presented, report, &store::timestamp(now));
        let standing = if assessed.failed {
            "wallet.standing.not_verified"
        } else if assessed.unchecked {
            "wallet.standing.unchecked"
        } else {
            "wallet.standing.verified"
        };
        eprintln!(
            "{}",
            m.format(
                "wallet.import.found",
                &[
                    ("found", &safe(&item.how)),
                    ("achievement", &safe(&assessed.achievement)),
                    ("issuer", &safe(&assessed.issuer)),
                    ("standing", m.t(standing)),
                ]
            )
        );
        let decision = assessed.decide(self.keep);
        if decision == Decision::RefuseFailed {
            let credential = checking::credential_of(&presented);
            eprint!("{}", report_text(report, credential.as_ref(), m));
            eprintln!("{}", m.t("wallet.import.refused_failed"));
            wallet.save_index()?;
            return Ok(Imported::refusal(&item.how, &assessed, report, false));
        }
        print_checks(m.t("wallet.import.failed_label"), &assessed.failures, m);
        print_checks(
            m.t("wallet.import.not_checked_label"),
            &assessed.not_checked,
            m,
        );
        if decision == Decision::Ask && !ask_keep_unchecked(self.stdin_pass, self.json, m)? {
            eprintln!("{}", m.t("wallet.import.refused_unchecked"));
            wallet.save_index()?;
            return Ok(Imported::refusal(&item.how, &assessed, report, true));
        }
        let number = wallet.add(assessed.entry.clone(), &item.text)?;
        let n = number.to_string();
        if assessed.failed {
            eprintln!("{}", m.t("wallet.import.kept_forced"));
        } else if assessed.unchecked {
            eprintln!(
                "{}",
                m.format("wallet.import.kept_unchecked", &[("number", &n)])
            );
        }
        eprintln!("{}", m.format("wallet.import.stored", &[("number", &n)]));
        Ok(Imported::Stored {
            found: item.how,
            number,
            achievement: assessed.achievement,
            issuer: assessed.issuer,
            verdict: report.verdict().into(),
            unchecked: assessed.unchecked,
        })
    }
}

/// Asks on the terminal whether to keep a credential that could not be fully checked; `false`
/// when there is no terminal to ask on.
fn ask_keep_unchecked(stdin_pass: bool, json: bool, m: &Messages<'_>) -> Result<bool> {
    if stdin_pass || json || !io::stdin().is_terminal() || !io::stderr().is_terminal() {
        return Ok(false);
    }
    eprint!("{} ", m.t("wallet.import.ask_keep"));
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().read_line(&mut answer)?;
    Ok(is_yes(&answer, m))
}

/// Prints the checks that failed or were not made, by their titles, with their details.
fn print_checks(label: &str, checks: &[&Check], m: &Messages<'_>) {
    for check in checks {
        let line = m.format(
            "wallet.report.check",
            &[
                ("title", check_title(check, m)),
                ("message", &safe(&m.message(&check.message))),
            ],
        );
        eprintln!(
            "  {}",
            m.format(
                "wallet.report.check",
                &[("title", label), ("message", &line)]
            )
        );
        for detail in &check.details {
            eprintln!("    {}", safe(&m.message(detail)));
        }
    }
}
