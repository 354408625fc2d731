//! `import` of an OpenID4VCI credential offer: shows what is offered and by whom, asks for the
//! transaction code when the offer has one, runs the flow (`passerelle_wallet::oid4vci`), hands
//! each credential received to the import policy, and tells the issuer what became of it.
//! Nothing secret is printed: not the codes, not the token, not the nonce.

use std::io::{self, IsTerminal};

use anyhow::{anyhow, bail, Context, Result};
use chrono::Utc;
use passerelle_core::did;
use passerelle_core::oid4vci::TxCode;
use passerelle_wallet::checking::{self, credential_of};
use passerelle_wallet::fetch::Fetcher;
use passerelle_wallet::import::Imported;
use passerelle_wallet::oid4vci::{self, Access, CredentialFormat, Event, Offer, Preferences};
use passerelle_wallet::source::Found;
use passerelle_wallet::store::Wallet;
use zeroize::Zeroizing;

use crate::importing::Policy;
use crate::terminal::safe;

/// How many times the learner is asked for a transaction code the issuer refused.
const TX_CODE_ATTEMPTS: usize = 3;

/// `import`'s options for an offer.
#[derive(Default)]
pub(crate) struct OfferOptions {
    /// `--tx-code CODE`.
    pub(crate) tx_code: Option<Zeroizing<String>>,
    /// `--format`.
    pub(crate) format: Option<CredentialFormat>,
}

/// Receives the credentials `offer_text` offers and imports them under `policy`.
pub(crate) fn receive(
    wallet: &mut Wallet,
    offer_text: &str,
    fetcher: &Fetcher,
    options: &OfferOptions,
    policy: &Policy,
) -> Result<Vec<Imported>> {
    let languages = user_languages();
    let preferences = Preferences {
        format: options.format,
        languages: languages.clone(),
    };
    let offer = oid4vci::resolve(offer_text, fetcher, &preferences)
        .context("nothing imported from the credential offer")?;
    show_offer(&offer, &languages);
    let access = token(&offer, fetcher, options)?;
    let holder = wallet.index.holder()?;
    let holder_did = did::did_key(&holder.public()).to_string();
    let mut results = Vec::new();
    for chosen in &offer.chosen {
        let received = offer
            .request_credential(fetcher, &access, chosen, &holder, Utc::now().timestamp())
            .with_context(|| {
                format!(
                    "{} was not received",
                    safe(chosen.name.as_deref().unwrap_or(&chosen.id))
                )
            })?;
        for item in &received.found {
            note_binding(item, &holder_did);
        }
        let applied = policy.apply(wallet, received.found, Utc::now(), Some(fetcher));
        if let Some(id) = &received.notification_id {
            let (event, description) = match &applied {
                Ok(imported) => outcome(imported),
                Err(_) => (
                    Event::CredentialFailure,
                    Some("the wallet could not read or store it"),
                ),
            };
            notify(&offer, fetcher, &access, id, event, description);
        }
        results.extend(applied?);
    }
    Ok(results)
}

fn show_offer(offer: &Offer, languages: &[String]) {
    let name = offer.issuer_name(languages);
    if name == offer.credential_issuer {
        eprintln!("Credential offer from {}:", safe(&name));
    } else {
        eprintln!(
            "Credential offer from {} ({}):",
            safe(&name),
            safe(&offer.credential_issuer)
        );
    }
    for chosen in &offer.chosen {
        let label = chosen.name.as_deref().unwrap_or(&chosen.id);
        eprintln!("  · {} ({})", safe(label), chosen.format);
        if let Some(description) = &chosen.description {
            eprintln!("    {}", safe(description));
        }
    }
    for skipped in &offer.skipped {
        eprintln!(
            "  (not asked for: {}: {})",
            safe(&skipped.id),
            safe(&skipped.reason)
        );
    }
}

/// The token: with `--tx-code`, once; asked on the terminal, again (up to
/// [`TX_CODE_ATTEMPTS`]) when the issuer refuses the code or it has the wrong shape.
fn token(offer: &Offer, fetcher: &Fetcher, options: &OfferOptions) -> Result<Access> {
    let context = "the issuer gave no access to the offered credential";
    let Some(tx_code) = &offer.tx_code else {
        if options.tx_code.is_some() {
            eprintln!("note: this offer needs no transaction code; --tx-code is ignored");
        }
        return offer.request_token(fetcher, None).context(context);
    };
    if let Some(code) = &options.tx_code {
        return offer
            .request_token(fetcher, Some(code.trim()))
            .context(context);
    }
    if !io::stdin().is_terminal() {
        bail!(
            "this offer needs a transaction code{}: pass --tx-code CODE (the issuer sent it to you \
             separately, by email or text message), or run the import on a terminal to be asked",
            tx_code_hint(tx_code)
        );
    }
    if let Some(description) = &tx_code.description {
        eprintln!("The issuer says: {}", safe(description));
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let code = ask_tx_code(tx_code)?;
        let refused = match offer.request_token(fetcher, Some(code.trim())) {
            Ok(access) => return Ok(access),
            Err(e) if e.is_refused_tx_code() || is_shape(&e) => e,
            Err(e) => return Err(anyhow!(e).context(context)),
        };
        if attempt >= TX_CODE_ATTEMPTS {
            return Err(anyhow!(refused).context(context));
        }
        let note = match &refused {
            oid4vci::Oid4vciError::Refused {
                code, description, ..
            } => format!("The issuer refused that code ({code}){description}."),
            other => format!("{}.", capitalised(&other.to_string())),
        };
        eprintln!("{} Try again.", safe(&note));
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn is_shape(e: &oid4vci::Oid4vciError) -> bool {
    matches!(e, oid4vci::Oid4vciError::TxCodeShape { .. })
}

/// ` (6 digits: "…")` — what the offer says of its code.
fn tx_code_hint(tx_code: &TxCode) -> String {
    let shape = match (tx_code.length, tx_code.input_mode.as_deref()) {
        (Some(n), Some("text")) => Some(format!("{n} characters")),
        (Some(n), _) => Some(format!("{n} digits")),
        (None, Some("text")) => None,
        (None, _) => Some("digits".into()),
    };
    let description = tx_code
        .description
        .as_deref()
        .map(|d| format!("{:?}", safe(d)));
    match (shape, description) {
        (Some(shape), Some(d)) => format!(" ({shape}: {d})"),
        (Some(shape), None) => format!(" ({shape})"),
        (None, Some(d)) => format!(" ({d})"),
        (None, None) => String::new(),
    }
}

/// The transaction code, typed without echo.
fn ask_tx_code(tx_code: &TxCode) -> Result<Zeroizing<String>> {
    let prompt = match tx_code.length {
        Some(n) if tx_code.input_mode.as_deref() == Some("text") => {
            format!("Transaction code ({n} characters): ")
        }
        Some(n) => format!("Transaction code ({n} digits): "),
        None => "Transaction code: ".into(),
    };
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| anyhow!("cannot ask for the transaction code ({e}): pass --tx-code CODE"))
}

/// Says so when a received credential is not bound to the holder's DID (its
/// `credentialSubject.id`): presenting it will not prove it is yours.
fn note_binding(item: &Found, holder_did: &str) {
    let Ok(presented) = checking::parse(&item.text) else {
        return;
    };
    let subject = credential_of(&presented)
        .and_then(|c| c.pointer("/credentialSubject/id").cloned())
        .and_then(|id| id.as_str().map(str::to_owned));
    if subject.as_deref() != Some(holder_did) {
        eprintln!(
            "note: the issuer did not bind this credential to your holder key {holder_did} \
             (its credentialSubject.id is {}): a presentation cannot prove it is yours",
            safe(&subject.unwrap_or_else(|| "absent".into()))
        );
    }
}

/// What to tell the issuer of the credentials of one response: accepted when all were kept (or
/// already held), else a failure saying why.
fn outcome(imported: &[Imported]) -> (Event, Option<&'static str>) {
    match imported.iter().find(|i| i.is_refusal()) {
        None => (Event::CredentialAccepted, None),
        Some(Imported::RefusedUnchecked { .. }) => (
            Event::CredentialFailure,
            Some("the wallet could not fully check it and did not keep it"),
        ),
        Some(_) => (
            Event::CredentialFailure,
            Some("it failed the wallet's verification"),
        ),
    }
}

/// Tells the issuer what became of the credentials; a failure to notify is only a warning (what
/// was stored stays stored).
fn notify(
    offer: &Offer,
    fetcher: &Fetcher,
    access: &Access,
    id: &str,
    event: Event,
    description: Option<&str>,
) {
    if let Err(e) = offer.notify(fetcher, access, id, event, description) {
        eprintln!(
            "warning: could not tell the issuer ({event}): {}",
            safe(&e.to_string())
        );
    }
}

/// The learner's languages, most wanted first, from `$LANGUAGE`, `$LC_ALL`, `$LC_MESSAGES` and
/// `$LANG` (`fr_CA.UTF-8` → `fr-CA`; `C` and `POSIX` say nothing).
fn user_languages() -> Vec<String> {
    let mut languages = Vec::new();
    for name in ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"] {
        let Ok(value) = std::env::var(name) else {
            continue;
        };
        for item in value.split(':') {
            let tag = item
                .split(['.', '@'])
                .next()
                .unwrap_or("")
                .replace('_', "-");
            if tag.is_empty() || tag == "C" || tag == "POSIX" || languages.contains(&tag) {
                continue;
            }
            languages.push(tag);
        }
    }
    languages
}
