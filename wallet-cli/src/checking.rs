//! Verification of a stored or imported credential with the core's sans-I/O `verify`: the wallet
//! supplies what it cached and, online, what it fetches (did:web documents, status lists, JSON
//! Schemas), caching every fetched document with its fetch time.
//!
//! Offline, a cached status list is labelled with the time it was fetched ("status as of …"), never
//! as current.

use chrono::{DateTime, Utc};
use passerelle_core::did::Did;
use passerelle_core::i18n::Messages;
use passerelle_core::input;
use passerelle_core::verify::{self, CheckOptions, Fetched, Presented, Report};
use serde_json::{json, Value};

use crate::fetch::Fetcher;
use crate::store::{self, Entry, StoreError, Wallet};

/// A verification and what it relied on.
#[derive(Debug)]
pub struct Checked {
    pub report: Report,
    /// Fetch times of the cached status lists used ("status as of …"), oldest first.
    pub status_as_of: Vec<String>,
    /// Whether anything was fetched now.
    pub fetched_now: bool,
    /// Documents a refresh was asked for but could not be fetched, with why: the cached copy
    /// was used instead (`url`, reason).
    pub refresh_failures: Vec<(String, String)>,
}

impl Checked {
    /// The `verify --json` document: the report with what it relied on.
    pub fn to_json(&self) -> Value {
        let mut value = self.report.to_json();
        value["status_as_of"] = json!(self.status_as_of);
        value["fetched_now"] = json!(self.fetched_now);
        value["refresh_failed"] = json!(self
            .refresh_failures
            .iter()
            .map(|(url, reason)| json!({"url": url, "reason": reason}))
            .collect::<Vec<_>>());
        value
    }

    /// Records this verification, made at `at` (`online`: with the network), in the entry: its
    /// verdict and time, and, when it was made online with every required check done, the end of
    /// its "unchecked" mark.
    pub fn record(&self, entry: &mut Entry, online: bool, at: DateTime<Utc>) {
        entry.verdict = self.report.verdict().into();
        entry.verified_at = store::timestamp(at);
        // Only a check made online, with every required check done, settles a kept credential.
        if online
            && self.refresh_failures.is_empty()
            && self.report.verdict() != verify::Verdict::Incomplete
        {
            entry.unchecked = false;
        }
    }
}

/// The credential (JSON) inside a stored text: the credential itself, or a JWS's payload.
pub fn credential_of(presented: &Presented) -> Option<Value> {
    match presented {
        Presented::Credential(v) => Some(v.clone()),
        Presented::Jws(jws) => jws.credential.clone(),
        _ => None,
    }
}

/// Reads a credential text for the core.
pub fn parse(text: &str) -> Result<Presented, verify::VerifyInputError> {
    verify::parse_input(text.as_bytes(), &input::InputLimits::default())
}

/// Verifies `presented` at `now`. With a fetcher, missing or (when `refresh`) cached documents are
/// fetched and cached in `wallet` (the caller saves the index). What the wallet itself says in
/// the report (where a status list came from, why a document is missing) is in `m`'s language.
pub fn check(
    wallet: &mut Wallet,
    presented: &Presented,
    now: DateTime<Utc>,
    fetcher: Option<&Fetcher>,
    refresh: bool,
    m: &Messages<'_>,
) -> Result<Checked, StoreError> {
    let mut fetched = Fetched::default();
    let mut status_as_of = Vec::new();
    let mut fetched_now = false;
    let mut refresh_failures = Vec::new();
    let now_text = store::timestamp(now);
    // Each round adds what `needs` asks for; a fetched status list may name another key.
    for _round in 0..4 {
        let needs = verify::needs(presented, &fetched);
        if needs.is_empty() {
            break;
        }
        for need in &needs.did_documents {
            let Ok(did) = Did::parse(&need.did) else {
                fetched
                    .failures
                    .insert(need.url.clone(), "not a valid DID".into());
                continue;
            };
            match obtain(wallet, &need.url, "did", fetcher, refresh, &now_text, m)? {
                Obtained::Document(document, _) => {
                    fetched.did_documents.insert(&did, document);
                }
                Obtained::Stale(document, _, reason) => {
                    refresh_failures.push((need.url.clone(), reason));
                    fetched.did_documents.insert(&did, document);
                }
                Obtained::Fetched(document) => {
                    fetched_now = true;
                    fetched.did_documents.insert(&did, document);
                }
                Obtained::Failed(reason) => {
                    fetched.failures.insert(need.url.clone(), reason);
                }
            }
        }
        for url in &needs.status_lists {
            match obtain(wallet, url, "status", fetcher, refresh, &now_text, m)? {
                Obtained::Document(document, fetched_at) => {
                    let provenance =
                        m.format("wallet.check.cached", &[("date", &m.moment(&fetched_at))]);
                    status_as_of.push(fetched_at);
                    fetched.add_status_list(url, document, &provenance);
                }
                Obtained::Stale(document, fetched_at, reason) => {
                    let provenance = m.format(
                        "wallet.check.stale",
                        &[("date", &m.moment(&fetched_at)), ("reason", &reason)],
                    );
                    refresh_failures.push((url.clone(), reason));
                    status_as_of.push(fetched_at);
                    fetched.add_status_list(url, document, &provenance);
                }
                Obtained::Fetched(document) => {
                    fetched_now = true;
                    let provenance =
                        m.format("wallet.check.fetched", &[("date", &m.moment(&now_text))]);
                    fetched.add_status_list(url, document, &provenance);
                }
                Obtained::Failed(reason) => {
                    fetched.failures.insert(url.clone(), reason);
                }
            }
        }
        for url in &needs.schemas {
            match obtain(wallet, url, "schema", fetcher, false, &now_text, m)? {
                Obtained::Document(document, _)
                | Obtained::Stale(document, _, _)
                | Obtained::Fetched(document) => {
                    if let Err(e) = fetched.schemas.insert(document, &[url.as_str()]) {
                        fetched.failures.insert(
                            url.clone(),
                            m.format("wallet.check.bad_schema", &[("reason", &e.to_string())]),
                        );
                    }
                }
                Obtained::Failed(reason) => {
                    fetched.failures.insert(url.clone(), reason);
                }
            }
        }
    }
    status_as_of.sort();
    let report = verify::check(presented, &fetched, now, &CheckOptions::default());
    Ok(Checked {
        report,
        status_as_of,
        fetched_now,
        refresh_failures,
    })
}

enum Obtained {
    /// From the cache, with its fetch time.
    Document(Value, String),
    /// From the cache because the refresh asked for failed: with its fetch time and why.
    Stale(Value, String, String),
    Fetched(Value),
    Failed(String),
}

fn obtain(
    wallet: &mut Wallet,
    url: &str,
    kind: &str,
    fetcher: Option<&Fetcher>,
    refresh: bool,
    now_text: &str,
    m: &Messages<'_>,
) -> Result<Obtained, StoreError> {
    let cached = wallet.cached(url)?;
    let fetcher = fetcher.filter(|_| refresh || cached.is_none());
    match (fetcher, cached) {
        (Some(fetcher), cached) => {
            let accept = match kind {
                "did" => "application/did+json, application/json",
                "schema" => "application/schema+json, application/json",
                _ => "application/vc, application/vc+ld+json, application/json",
            };
            let fetched = fetcher
                .get(url, accept)
                .map_err(|e| e.to_string())
                .and_then(|response| {
                    input::parse_json_object(&response.body, &input::InputLimits::default())
                        .map_err(|e| format!("{url} did not answer a JSON object: {e}"))
                });
            match (fetched, cached) {
                (Ok(document), _) => {
                    wallet.cache(url, kind, &document, now_text)?;
                    Ok(Obtained::Fetched(document))
                }
                // The network failed: fall back to the cache, labelled with its age and why.
                (Err(reason), Some((document, at))) => Ok(Obtained::Stale(document, at, reason)),
                (Err(reason), None) => Ok(Obtained::Failed(reason)),
            }
        }
        (_, Some((document, at))) => Ok(Obtained::Document(document, at)),
        (None, None) => Ok(Obtained::Failed(m.t("wallet.check.offline").to_owned())),
    }
}
