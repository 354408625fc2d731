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
use passerelle_wallet::import::{self, Decision, Imported, Keep};
use passerelle_wallet::source::{self, Found};
use passerelle_wallet::store::{self, Access, Wallet};
use serde_json::Value;

use crate::receiving::{self, OfferOptions};
use crate::terminal::safe;
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
) -> Result<u8> {
    let offer = source::offer_in(source_text)
        .with_context(|| format!("nothing imported from {source_text}"))?;
    if offer.is_none() && options.offer.format.is_some() {
        bail!(
            "--format is for OpenID4VCI credential offers (openid-credential-offer://…), and \
             {source_text} is not one"
        );
    }
    if offer.is_none() && options.offer.tx_code.is_some() {
        eprintln!("note: this is not a credential offer: the transaction code is not used");
    }
    if offer.is_some() && options.offline {
        bail!("a credential offer is received over the network: run the import without --offline");
    }
    // Open first: a wrong passphrase costs no download.
    let mut wallet = open(dir, stdin_pass, Access::Write)?;
    let fetcher = if options.offline {
        None
    } else {
        Some(network.fetcher()?)
    };
    let policy = Policy {
        keep: options.keep,
        stdin_pass,
        json: options.json,
    };
    let results = match (offer, &fetcher) {
        (Some(offer), Some(fetcher)) => {
            receiving::receive(&mut wallet, &offer, fetcher, &options.offer, &policy)?
        }
        _ => {
            let found = source::read(source_text, fetcher.as_ref())
                .with_context(|| format!("nothing imported from {source_text}"))?;
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
pub(crate) struct Policy {
    pub(crate) keep: Keep,
    pub(crate) stdin_pass: bool,
    pub(crate) json: bool,
}

impl Policy {
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
        let digest = store::digest_of(&item.text);
        if let Some(existing) = wallet.find_digest(&digest) {
            let number = existing.number;
            eprintln!(
                "{}: already in your wallet as #{number}",
                safe(existing.achievement.as_deref().unwrap_or("credential"))
            );
            return Ok(Imported::Duplicate {
                found: item.how,
                number,
            });
        }
        let presented = checking::parse(&item.text)
            .with_context(|| format!("the {} is not a readable credential", item.how))?;
        let checked = checking::check(wallet, &presented, now, fetcher, false)?;
        let report = &checked.report;
        let assessed = import::assess(&item, &presented, report, &store::timestamp(now));
        eprintln!(
            "Found a credential ({}): {}, issued by {}: {}",
            safe(&item.how),
            safe(&assessed.achievement),
            safe(&assessed.issuer),
            assessed.standing()
        );
        let decision = assessed.decide(self.keep);
        if decision == Decision::RefuseFailed {
            eprint!("{report}");
            eprintln!(
                "Not stored: it failed verification (see above). If you still want to keep it, \
                 run the import again with --force; it will be marked as not verified."
            );
            wallet.save_index()?;
            return Ok(Imported::refusal(&item.how, &assessed, report, false));
        }
        print_checks("FAILED", &assessed.failures);
        print_checks("not checked", &assessed.not_checked);
        if decision == Decision::Ask && !ask_keep_unchecked(self.stdin_pass, self.json)? {
            eprintln!(
                "Not stored: it could not be fully checked (see above), so nothing says it is \
                 genuine or not revoked. Retry when the issuer's server answers (import without \
                 --offline), or keep it marked as unchecked with --keep-unchecked; \
                 `passerelle-wallet verify N --online` settles it later."
            );
            wallet.save_index()?;
            return Ok(Imported::refusal(&item.how, &assessed, report, true));
        }
        let number = wallet.add(assessed.entry.clone(), &item.text)?;
        if assessed.failed {
            eprintln!(
                "Kept because of --force, marked NOT VERIFIED (forced) in list, show and present."
            );
        } else if assessed.unchecked {
            eprintln!(
                "Kept, marked as not checked: run `passerelle-wallet verify {number} --online` \
                 when the issuer's server answers."
            );
        }
        eprintln!("Stored as #{number}.");
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
fn ask_keep_unchecked(stdin_pass: bool, json: bool) -> Result<bool> {
    if stdin_pass || json || !io::stdin().is_terminal() || !io::stderr().is_terminal() {
        return Ok(false);
    }
    eprint!("Keep it anyway, marked as not checked? [y/N] ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Prints the checks that failed or were not made, with their details.
fn print_checks(label: &str, checks: &[&Check]) {
    for check in checks {
        eprintln!(
            "  {label}: {}: {}",
            check.id,
            safe(&check.message.to_string())
        );
        for detail in &check.details {
            eprintln!("    {}", safe(&detail.to_string()));
        }
    }
}
