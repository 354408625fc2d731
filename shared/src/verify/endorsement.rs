//! Endorsements embedded in a credential (OB 3.0 `endorsement` and `endorsementJwt` on the
//! credential, its issuer, its subject's achievement and the profiles the data model lets
//! carry them): each is checked like a credential, in its own report, and never changes the
//! verdict of the credential that carries it.
//!
//! Bounded: at most [`MAX_ENDORSEMENTS`] per credential are checked (the rest are counted),
//! and only those of the presented credential — endorsements of endorsements are not followed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::input::{parse_jws, Presented};
use super::messages::{Message, MessageCode as C};
use super::report::{Check, CheckId, DocumentKind, Outcome, Report, SecuringMechanism, Verdict};
use super::{check_json_credential, check_jws_credential, Fetched};

/// How many embedded endorsements of one credential are checked; the others are only counted.
pub const MAX_ENDORSEMENTS: usize = 16;

/// An embedded endorsement, as found.
pub(super) struct Found<'a> {
    /// Where: `issuer.endorsement[0]`, `credentialSubject.achievement.endorsementJwt[1]`, …
    pub path: String,
    /// The id of the object carrying it (what it must be about), if that object has one.
    pub attached_to: Option<&'a str>,
    pub item: Item<'a>,
}

/// A JSON endorsement credential or a compact JWS.
pub(super) enum Item<'a> {
    Json(&'a Value),
    Jws(&'a str),
}

/// The embedded endorsements of `doc`, in document order, at most [`MAX_ENDORSEMENTS`], and how
/// many more there were.
pub(super) fn embedded_endorsements(doc: &Value) -> (Vec<Found<'_>>, usize) {
    let mut found = Vec::new();
    collect(doc, "", &mut found);
    if let Some(issuer @ Value::Object(_)) = doc.get("issuer") {
        collect(issuer, "issuer", &mut found);
    }
    if let Some(subject @ Value::Object(_)) = doc.get("credentialSubject") {
        if let Some(source @ Value::Object(_)) = subject.get("source") {
            collect(source, "credentialSubject.source", &mut found);
        }
        if let Some(achievement @ Value::Object(_)) = subject.get("achievement") {
            collect(achievement, "credentialSubject.achievement", &mut found);
            if let Some(creator @ Value::Object(_)) = achievement.get("creator") {
                collect(creator, "credentialSubject.achievement.creator", &mut found);
            }
        }
    }
    let extra = found.len().saturating_sub(MAX_ENDORSEMENTS);
    found.truncate(MAX_ENDORSEMENTS);
    (found, extra)
}

fn collect<'a>(object: &'a Value, base: &str, found: &mut Vec<Found<'a>>) {
    let attached_to = object.get("id").and_then(Value::as_str);
    let path = |name: &str, n: Option<usize>| {
        let name = if base.is_empty() {
            name.to_owned()
        } else {
            format!("{base}.{name}")
        };
        match n {
            Some(n) => format!("{name}[{n}]"),
            None => name,
        }
    };
    let list = |value: Option<&'a Value>| -> Vec<(Option<usize>, &'a Value)> {
        match value {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(n, v)| (Some(n), v))
                .collect(),
            Some(one) => vec![(None, one)],
            None => vec![],
        }
    };
    for (n, item) in list(object.get("endorsement")) {
        if item.is_object() {
            found.push(Found {
                path: path("endorsement", n),
                attached_to,
                item: Item::Json(item),
            });
        }
    }
    for (n, item) in list(object.get("endorsementJwt")) {
        if let Some(text) = item.as_str() {
            found.push(Found {
                path: path("endorsementJwt", n),
                attached_to,
                item: Item::Jws(text),
            });
        }
    }
}

/// The verification of one embedded endorsement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndorsementReport {
    /// Where it was found in the credential (a JSON path).
    pub found_at: String,
    /// The endorser: the endorsement credential's issuer id, when it can be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endorser: Option<String>,
    /// The endorser's name as the endorsement gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endorser_name: Option<String>,
    /// What the endorsement says it endorses (its `credentialSubject.id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endorsed: Option<String>,
    /// The endorser's `endorsementComment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// How a reader should take it, computed from `report` (see [`Standing`]).
    pub standing: Standing,
    /// The endorsement's own report (kind `endorsement`).
    pub report: Report,
}

/// How an endorsement may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Standing {
    /// Verified, and its endorser is recognised by these trust registries (each named with the
    /// listing's jurisdiction, when it gives one: `Registry (FR)`): the only case a reader may
    /// be told "endorsed by …".
    Recognised { registries: Vec<String> },
    /// Verified, but its endorser is in none of the trust registries loaded (or none is).
    NotRecognised,
    /// A check failed (signature, key, dates, status, subject…): these.
    Invalid { failed: Vec<CheckId> },
    /// No check failed, but a required one could not be made: these.
    Incomplete { unchecked: Vec<CheckId> },
}

impl EndorsementReport {
    /// Who endorses, for display: the endorser's name, else its id.
    pub fn endorser_label(&self) -> &str {
        self.endorser_name
            .as_deref()
            .or(self.endorser.as_deref())
            .unwrap_or("an unknown endorser")
    }

    /// One English line saying how to take the endorsement: "Endorsed by …" only when it is
    /// verified and its endorser recognised. (Not terminal-safe: escape it before printing.)
    pub fn headline(&self) -> String {
        let who = self.endorser_label();
        let names = |ids: &[CheckId]| {
            ids.iter()
                .map(|id| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.standing {
            Standing::Recognised { registries } => {
                format!("Endorsed by {who} (recognised: {})", registries.join(", "))
            }
            Standing::NotRecognised => {
                format!("Endorsement by {who} (not in your trust registries)")
            }
            Standing::Invalid { failed } => {
                let reason = self
                    .report
                    .checks()
                    .iter()
                    .find(|c| c.outcome == Outcome::Fail)
                    .map(|c| c.message.english())
                    .unwrap_or_default();
                format!(
                    "INVALID endorsement by {who}: {} failed: {reason}",
                    names(failed)
                )
            }
            Standing::Incomplete { unchecked } => format!(
                "Unverified endorsement by {who}: could not check {}",
                names(unchecked)
            ),
        }
    }

    /// Recomputes [`EndorsementReport::standing`] from the report (after a check was added).
    pub(super) fn refresh(&mut self) {
        self.standing = standing_of(&self.report);
    }
}

fn standing_of(report: &Report) -> Standing {
    match report.verdict() {
        Verdict::NotVerified => Standing::Invalid {
            failed: report
                .checks()
                .iter()
                .filter(|c| c.outcome == Outcome::Fail)
                .map(|c| c.id)
                .collect(),
        },
        Verdict::Incomplete => Standing::Incomplete {
            unchecked: report
                .checks()
                .iter()
                .filter(|c| c.required && c.outcome == Outcome::NotChecked)
                .map(|c| c.id)
                .collect(),
        },
        Verdict::Verified => match report.check(CheckId::IssuerRecognised) {
            Some(check) if check.outcome == Outcome::Pass => Standing::Recognised {
                registries: check
                    .message
                    .arg("registries")
                    .map(|r| r.split(", ").map(str::to_owned).collect())
                    .unwrap_or_default(),
            },
            _ => Standing::NotRecognised,
        },
    }
}

/// Checks each embedded endorsement of `doc` and adds its report to `report`.
pub(super) fn add_endorsements(
    report: &mut Report,
    doc: &Value,
    fetched: &Fetched,
    now: DateTime<Utc>,
) {
    let (found, extra) = embedded_endorsements(doc);
    for one in found {
        report.push_endorsement(check_endorsement(&one, fetched, now));
    }
    report.endorsements_not_checked = extra;
}

fn check_endorsement(
    found: &Found<'_>,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> EndorsementReport {
    let (mut report, credential) = match found.item {
        Item::Json(value) => (
            check_json_credential(value, fetched, now),
            Some(value.clone()),
        ),
        Item::Jws(text) => match parse_jws(text) {
            Ok(Presented::Jws(jws)) => (check_jws_credential(&jws, fetched, now), jws.credential),
            _ => {
                let mut r = Report::new(DocumentKind::Endorsement, SecuringMechanism::VcJose, now);
                r.push(Check::fail(
                    CheckId::Proof,
                    Message::new(C::EndorsementJwsUnreadable),
                    vec![],
                    true,
                ));
                (r, None)
            }
        },
    };
    report.kind = DocumentKind::Endorsement;
    let subject = credential.as_ref().and_then(|c| c.get("credentialSubject"));
    let endorsed = subject
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let comment = subject
        .and_then(|s| s.get("endorsementComment"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let endorser = credential.as_ref().and_then(super::issuer_id);
    let endorser_name = credential
        .as_ref()
        .and_then(|c| c.get("issuer"))
        .and_then(|i| i.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if credential.is_some() {
        report.push(subject_check(endorsed.as_deref(), found.attached_to));
    }
    let standing = standing_of(&report);
    EndorsementReport {
        found_at: found.path.clone(),
        endorser,
        endorser_name,
        endorsed,
        comment,
        standing,
        report,
    }
}

/// `endorsed_subject`: the endorsement is about the thing it is attached to. An endorsement of
/// something else, copied onto this credential, proves nothing about it.
fn subject_check(endorsed: Option<&str>, attached_to: Option<&str>) -> Check {
    const ID: CheckId = CheckId::EndorsedSubject;
    match (endorsed, attached_to) {
        (None, _) => Check::fail(ID, Message::new(C::EndorsedSubjectMissing), vec![], true),
        (Some(subject), None) => Check::not_checked(
            ID,
            Message::new(C::EndorsedSubjectNoTarget).id("subject", subject),
            vec![],
            true,
        ),
        (Some(subject), Some(target)) if subject == target => Check::pass(
            ID,
            Message::new(C::EndorsedSubjectMatches).id("subject", subject),
            vec![],
            true,
        ),
        (Some(subject), Some(target)) => Check::fail(
            ID,
            Message::new(C::EndorsedSubjectOther)
                .id("subject", subject)
                .id("expected", target),
            vec![],
            true,
        ),
    }
}
