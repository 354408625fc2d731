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
use passerelle_wallet::i18n::Messages;
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
    policy: &Policy<'_>,
) -> Result<Vec<Imported>> {
    let m = &policy.m;
    let languages = user_languages(m);
    let preferences = Preferences {
        format: options.format,
        languages: languages.clone(),
    };
    let offer = oid4vci::resolve(offer_text, fetcher, &preferences)
        .with_context(|| m.t("wallet.offer.nothing").to_owned())?;
    show_offer(&offer, &languages, m);
    let access = token(&offer, fetcher, options, m)?;
    let holder = wallet.index.holder()?;
    let holder_did = did::did_key(&holder.public()).to_string();
    let mut results = Vec::new();
    for chosen in &offer.chosen {
        let received = offer
            .request_credential(fetcher, &access, chosen, &holder, Utc::now().timestamp())
            .with_context(|| {
                m.format(
                    "wallet.offer.not_received",
                    &[("name", &safe(chosen.name.as_deref().unwrap_or(&chosen.id)))],
                )
            })?;
        for item in &received.found {
            note_binding(item, &holder_did, m);
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
            notify(&offer, fetcher, &access, id, event, description, m);
        }
        results.extend(applied?);
    }
    Ok(results)
}

fn show_offer(offer: &Offer, languages: &[String], m: &Messages<'_>) {
    let name = offer.issuer_name(languages);
    let issuer = if name == offer.credential_issuer {
        safe(&name)
    } else {
        format!("{} ({})", safe(&name), safe(&offer.credential_issuer))
    };
    eprintln!("{}", m.format("wallet.offer.from", &[("issuer", &issuer)]));
    for chosen in &offer.chosen {
        let label = chosen.name.as_deref().unwrap_or(&chosen.id);
        eprintln!("  · {} ({})", safe(label), chosen.format);
        if let Some(description) = &chosen.description {
            eprintln!("    {}", safe(description));
        }
    }
    for skipped in &offer.skipped {
        eprintln!(
            "  ({})",
            m.format(
                "wallet.offer.skipped",
                &[
                    ("id", &safe(&skipped.id)),
                    ("reason", &safe(&skipped.reason))
                ]
            )
        );
    }
}

/// The token: with `--tx-code`, once; asked on the terminal, again (up to
/// [`TX_CODE_ATTEMPTS`]) when the issuer refuses the code or it has the wrong shape.
fn token(
    offer: &Offer,
    fetcher: &Fetcher,
    options: &OfferOptions,
    m: &Messages<'_>,
) -> Result<Access> {
    let context = m.t("wallet.offer.no_access").to_owned();
    let Some(tx_code) = &offer.tx_code else {
        if options.tx_code.is_some() {
            let message = m.t("wallet.offer.tx_code_ignored");
            eprintln!("{}", m.format("wallet.note", &[("message", message)]));
        }
        return offer.request_token(fetcher, None).context(context.clone());
    };
    if let Some(code) = &options.tx_code {
        return offer
            .request_token(fetcher, Some(code.trim()))
            .context(context.clone());
    }
    if !io::stdin().is_terminal() {
        bail!(m.format(
            "wallet.offer.needs_tx_code",
            &[("hint", &tx_code_hint(tx_code, m))]
        ));
    }
    if let Some(description) = &tx_code.description {
        eprintln!(
            "{}",
            m.format("wallet.offer.issuer_says", &[("text", &safe(description))])
        );
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let code = ask_tx_code(tx_code, m)?;
        let refused = match offer.request_token(fetcher, Some(code.trim())) {
            Ok(access) => return Ok(access),
            Err(e) if e.is_refused_tx_code() || is_shape(&e) => e,
            Err(e) => return Err(anyhow!(e).context(context.clone())),
        };
        if attempt >= TX_CODE_ATTEMPTS {
            return Err(anyhow!(refused).context(context.clone()));
        }
        let note = match &refused {
            oid4vci::Oid4vciError::Refused {
                code, description, ..
            } => m.format(
                "wallet.offer.code_refused",
                &[("code", code), ("description", description)],
            ),
            other => format!("{}.", capitalised(&other.to_string())),
        };
        eprintln!("{} {}", safe(&note), m.t("wallet.offer.try_again"));
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
fn tx_code_hint(tx_code: &TxCode, m: &Messages<'_>) -> String {
    let shape = match (tx_code.length, tx_code.input_mode.as_deref()) {
        (Some(n), Some("text")) => {
            Some(m.format("wallet.offer.characters", &[("n", &n.to_string())]))
        }
        (Some(n), _) => Some(m.format("wallet.offer.digits", &[("n", &n.to_string())])),
        (None, Some("text")) => None,
        (None, _) => Some(m.t("wallet.offer.some_digits").to_owned()),
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
fn ask_tx_code(tx_code: &TxCode, m: &Messages<'_>) -> Result<Zeroizing<String>> {
    let n = tx_code.length.map(|n| n.to_string()).unwrap_or_default();
    let prompt = match tx_code.length {
        Some(_) if tx_code.input_mode.as_deref() == Some("text") => {
            m.format("wallet.prompt.tx_code_characters", &[("n", &n)])
        }
        Some(_) => m.format("wallet.prompt.tx_code_digits", &[("n", &n)]),
        None => m.t("wallet.prompt.tx_code").to_owned(),
    };
    rpassword::prompt_password(format!("{prompt} "))
        .map(Zeroizing::new)
        .map_err(|e| anyhow!(m.format("wallet.offer.cannot_ask", &[("reason", &e.to_string())])))
}

/// Says so when a received credential is not bound to the holder's DID (its
/// `credentialSubject.id`): presenting it will not prove it is yours.
fn note_binding(item: &Found, holder_did: &str, m: &Messages<'_>) {
    let Ok(presented) = checking::parse(&item.text) else {
        return;
    };
    let subject = credential_of(&presented)
        .and_then(|c| c.pointer("/credentialSubject/id").cloned())
        .and_then(|id| id.as_str().map(str::to_owned));
    if subject.as_deref() != Some(holder_did) {
        let subject = subject.map_or_else(|| m.t("wallet.offer.absent").to_owned(), |s| safe(&s));
        let message = m.format(
            "wallet.offer.not_bound",
            &[("holder", holder_did), ("subject", &subject)],
        );
        eprintln!("{}", m.format("wallet.note", &[("message", &message)]));
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
    m: &Messages<'_>,
) {
    if let Err(e) = offer.notify(fetcher, access, id, event, description) {
        let message = m.format(
            "wallet.offer.notify_failed",
            &[
                ("event", &event.to_string()),
                ("reason", &safe(&e.to_string())),
            ],
        );
        eprintln!("{}", m.format("wallet.warning", &[("message", &message)]));
    }
}

/// The learner's languages, most wanted first: the language the wallet speaks when chosen with
/// `--lang` or the locale (`m`, unless English by default), then `$LANGUAGE`, `$LC_ALL`,
/// `$LC_MESSAGES` and `$LANG` (`fr_CA.UTF-8` → `fr-CA`; `C` and `POSIX` say nothing).
fn user_languages(m: &Messages<'_>) -> Vec<String> {
    let mut languages = Vec::new();
    if m.lang() != "en" {
        languages.push(m.lang().to_owned());
    }
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
