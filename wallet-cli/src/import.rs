//! The import policy: what `import` keeps of a credential it found, and how it is summarised in
//! the index.
//!
//! A credential that verified is stored. One that failed a check is refused unless `--force`
//! ([`Keep::failed`]), and is then marked as forced. One whose signature or status could not be
//! checked (a required check not done, or an incomplete verdict) is refused unless
//! `--keep-unchecked` ([`Keep::unchecked`]) or the learner agrees when asked, and is then marked
//! as unchecked until `verify N --online` settles it.
//!
//! This module decides; it does not ask or print. [`Decision::Ask`] tells the binary to ask the
//! learner, and [`Imported`] is what it reports for each credential (`import --json`).

use passerelle_core::verify::{self, Check, Outcome, Presented, Report};
use serde_json::{json, Value};

use crate::checking::credential_of;
use crate::source::Found;
use crate::store::{digest_of, Entry, Format, Verdict};

/// What `import` stores besides credentials that verified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    /// `--force`: also those that failed a check.
    pub failed: bool,
    /// `--keep-unchecked`: also those whose signature or status could not be checked.
    pub unchecked: bool,
}

/// A found credential, verified and summarised: the entry it would be stored as, and what its
/// report says about keeping it.
#[derive(Debug, Clone)]
pub struct Assessed<'r> {
    /// The index entry, marked forced / unchecked as it would be stored.
    pub entry: Entry,
    /// The achievement's name, or `(unnamed)`.
    pub achievement: String,
    /// The issuer's name, else its id, else `(unknown issuer)`.
    pub issuer: String,
    /// The verdict is "not verified" or a check failed.
    pub failed: bool,
    /// A required check was not made, or the verdict is incomplete.
    pub unchecked: bool,
    /// The checks that failed, in report order.
    pub failures: Vec<&'r Check>,
    /// The required checks that were not made, in report order.
    pub not_checked: Vec<&'r Check>,
}

/// What to do with an assessed credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Store it (marked forced or unchecked as [`Assessed::entry`] says).
    Store,
    /// Refuse it: it failed verification and `--force` was not given.
    RefuseFailed,
    /// It could not be fully checked and `--keep-unchecked` was not given: ask the learner
    /// whether to keep it; without a yes, refuse it ([`Imported::RefusedUnchecked`]).
    Ask,
}

impl Assessed<'_> {
    /// The decision under `keep`.
    pub fn decide(&self, keep: Keep) -> Decision {
        if self.failed && !keep.failed {
            Decision::RefuseFailed
        } else if self.unchecked && !self.failed && !keep.unchecked {
            Decision::Ask
        } else {
            Decision::Store
        }
    }

    /// The one-word standing shown when the credential is found.
    pub fn standing(&self) -> &'static str {
        if self.failed {
            "NOT VERIFIED"
        } else if self.unchecked {
            "NOT FULLY CHECKED"
        } else {
            "verified"
        }
    }
}

/// Assesses a found credential from its verification `report`, made at `now` (RFC 3339).
pub fn assess<'r>(
    item: &Found,
    presented: &Presented,
    report: &'r Report,
    now: &str,
) -> Assessed<'r> {
    let mut entry = entry_from(item, presented, report, now);
    let achievement = entry
        .achievement
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
    let issuer = entry
        .issuer_name
        .clone()
        .or(entry.issuer_id.clone())
        .unwrap_or_else(|| "(unknown issuer)".into());
    let failures: Vec<&Check> = report
        .checks()
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    let failed = report.verdict() == verify::Verdict::NotVerified || !failures.is_empty();
    let not_checked: Vec<&Check> = report
        .checks()
        .iter()
        .filter(|c| c.required && c.outcome == Outcome::NotChecked)
        .collect();
    let unchecked = !not_checked.is_empty() || report.verdict() == verify::Verdict::Incomplete;
    entry.forced = failed;
    entry.unchecked = unchecked;
    Assessed {
        entry,
        achievement,
        issuer,
        failed,
        unchecked,
        failures,
        not_checked,
    }
}

/// The index entry for a found credential (number and file are assigned when it is stored;
/// `forced` and `unchecked` are left false: [`assess`] sets them).
pub fn entry_from(item: &Found, presented: &Presented, report: &Report, now: &str) -> Entry {
    let summary = report.summary.as_ref();
    let credential = credential_of(presented);
    Entry {
        number: 0,
        file: String::new(),
        digest: digest_of(&item.text),
        format: if matches!(presented, Presented::Jws(_)) {
            Format::Jws
        } else {
            Format::Json
        },
        credential_id: credential
            .as_ref()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        achievement: summary
            .and_then(|s| {
                s.achievement
                    .as_ref()
                    .map(|a| a.name.clone())
                    .or(s.name.clone())
            })
            .or_else(|| {
                credential.as_ref().and_then(|c| {
                    c.pointer("/credentialSubject/achievement/name")
                        .or_else(|| c.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
            }),
        issuer_name: summary.and_then(|s| s.issuer.name.clone()),
        issuer_id: summary
            .map(|s| s.issuer.id.as_str().to_owned())
            .or_else(|| credential.as_ref().and_then(verify::issuer_id)),
        // The award date, chosen by the core (`verify::card_dates`), as on the verifier's page.
        issued: report
            .dates
            .as_ref()
            .and_then(|d| d.issued.map(|d| d.to_rfc3339())),
        expires: summary.and_then(|s| s.valid_until.map(|d| d.to_rfc3339())),
        verdict: report.verdict().into(),
        verified_at: now.into(),
        forced: false,
        unchecked: false,
        link: item.link.clone(),
        source: item.how.clone(),
        imported_at: now.into(),
    }
}

/// What became of one credential `import` found (`found`: how it was found).
#[derive(Debug, Clone)]
pub enum Imported {
    /// The same text is already stored as `number`.
    Duplicate { found: String, number: u64 },
    /// Refused: it failed verification.
    Refused {
        found: String,
        achievement: String,
        issuer: String,
        report: Value,
    },
    /// Refused: it could not be fully checked and keeping it was not asked for.
    RefusedUnchecked {
        found: String,
        achievement: String,
        issuer: String,
        report: Value,
    },
    /// Stored as `number`.
    Stored {
        found: String,
        number: u64,
        achievement: String,
        issuer: String,
        verdict: Verdict,
        unchecked: bool,
    },
}

impl Imported {
    /// A refusal of `assessed` (`unchecked`: for want of checks, else for a failure).
    pub fn refusal(found: &str, assessed: &Assessed<'_>, report: &Report, unchecked: bool) -> Self {
        let (found, achievement, issuer, report) = (
            found.to_owned(),
            assessed.achievement.clone(),
            assessed.issuer.clone(),
            report.to_json(),
        );
        if unchecked {
            Self::RefusedUnchecked {
                found,
                achievement,
                issuer,
                report,
            }
        } else {
            Self::Refused {
                found,
                achievement,
                issuer,
                report,
            }
        }
    }

    /// Whether the credential was refused (`import` then exits with 1).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Refused { .. } | Self::RefusedUnchecked { .. })
    }

    /// The `import --json` record.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Duplicate { found, number } => {
                json!({"found": found, "outcome": "duplicate", "number": number})
            }
            Self::Refused {
                found,
                achievement,
                issuer,
                report,
            } => json!({"found": found, "outcome": "refused", "achievement": achievement,
                "issuer": issuer, "report": report}),
            Self::RefusedUnchecked {
                found,
                achievement,
                issuer,
                report,
            } => json!({"found": found, "outcome": "refused_unchecked",
                "achievement": achievement, "issuer": issuer, "report": report}),
            Self::Stored {
                found,
                number,
                achievement,
                issuer,
                verdict,
                unchecked,
            } => json!({"found": found, "outcome": "stored", "number": number,
                "achievement": achievement, "issuer": issuer, "verdict": verdict.as_str(),
                "unchecked": unchecked}),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use passerelle_core::keys::KeyPair;
    use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
    use passerelle_core::verify::{CheckOptions, Fetched};
    use passerelle_core::{did, model};

    use super::*;
    use crate::checking;

    /// The core's sample badge, signed by a did:key issuer (verifies offline), as found text.
    fn found() -> (Found, String) {
        let issuer = KeyPair::from_seed(&[42; 32]);
        let issuer_did = did::did_key(&issuer.public()).to_string();
        let mut badge = model::sample::data_literacy_badge();
        badge["issuer"]["id"] = issuer_did.clone().into();
        let options = ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            did::did_key_verification_method(&issuer.public()),
            "2026-06-30T12:00:00Z",
        );
        let text = proof::sign(&badge, &issuer, &options).unwrap().to_string();
        let found = Found {
            text,
            how: "file badge.json".into(),
            link: Some("https://issuer.example/claim/1".into()),
        };
        (found, issuer_did)
    }

    fn report_of(found: &Found) -> (Presented, Report) {
        let presented = checking::parse(&found.text).unwrap();
        let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let report = verify::check(
            &presented,
            &Fetched::default(),
            now,
            &CheckOptions::default(),
        );
        // Offline, the sample's status list and schema are not checked: the signature is, and
        // passes. The tests start from a report where everything passed and change one thing.
        assert!(
            report.checks().iter().all(|c| c.outcome != Outcome::Fail),
            "{report}"
        );
        let mut report = report;
        let not_checked: Vec<Check> = report
            .checks()
            .iter()
            .filter(|c| c.outcome == Outcome::NotChecked)
            .cloned()
            .collect();
        for check in not_checked {
            report.replace_check(with_outcome(&check, Outcome::Pass));
        }
        (presented, report)
    }

    /// A copy of `check` with another outcome.
    fn with_outcome(check: &Check, outcome: Outcome) -> Check {
        Check {
            outcome,
            ..check.clone()
        }
    }

    #[test]
    fn a_verified_credential_is_stored_unmarked_with_its_summary() {
        let (found, issuer_did) = found();
        let (presented, report) = report_of(&found);
        assert_eq!(report.verdict(), verify::Verdict::Verified, "{report}");
        let assessed = assess(&found, &presented, &report, "2026-12-01T00:00:00Z");
        assert_eq!(assessed.decide(Keep::default()), Decision::Store);
        assert_eq!(assessed.standing(), "verified");
        assert!(!assessed.entry.forced && !assessed.entry.unchecked);
        let entry = &assessed.entry;
        assert_eq!(entry.format, Format::Json);
        assert_eq!(entry.verdict, Verdict::Verified);
        assert_eq!(entry.issuer_id.as_deref(), Some(issuer_did.as_str()));
        assert_eq!(entry.digest, digest_of(&found.text));
        assert_eq!(
            entry.achievement.as_deref(),
            Some(assessed.achievement.as_str())
        );
        assert_eq!(entry.link, found.link);
        assert_eq!(entry.source, "file badge.json");
        assert_eq!(entry.imported_at, "2026-12-01T00:00:00Z");
        let stored = Imported::Stored {
            found: found.how.clone(),
            number: 4,
            achievement: assessed.achievement.clone(),
            issuer: assessed.issuer.clone(),
            verdict: entry.verdict,
            unchecked: false,
        };
        assert!(!stored.is_refusal());
        assert_eq!(stored.to_json()["verdict"], "verified");
        assert_eq!(stored.to_json()["outcome"], "stored");
    }

    #[test]
    fn a_failed_credential_is_refused_unless_forced_and_then_marked() {
        let (found, _) = found();
        let (presented, mut report) = report_of(&found);
        let first = with_outcome(&report.checks()[0], Outcome::Fail);
        report.replace_check(first);
        let assessed = assess(&found, &presented, &report, "t");
        assert!(assessed.failed);
        assert_eq!(assessed.failures.len(), 1);
        assert_eq!(assessed.standing(), "NOT VERIFIED");
        assert_eq!(assessed.decide(Keep::default()), Decision::RefuseFailed);
        assert_eq!(
            assessed.decide(Keep {
                failed: false,
                unchecked: true
            }),
            Decision::RefuseFailed
        );
        assert_eq!(
            assessed.decide(Keep {
                failed: true,
                unchecked: false
            }),
            Decision::Store
        );
        assert!(assessed.entry.forced);
        let refusal = Imported::refusal(&found.how, &assessed, &report, false);
        assert!(refusal.is_refusal());
        assert_eq!(refusal.to_json()["outcome"], "refused");
    }

    #[test]
    fn an_unchecked_credential_is_asked_about_unless_kept_and_then_marked() {
        let (found, _) = found();
        let (presented, mut report) = report_of(&found);
        let required = report.checks().iter().find(|c| c.required).unwrap();
        let required = with_outcome(required, Outcome::NotChecked);
        report.replace_check(required);
        let assessed = assess(&found, &presented, &report, "t");
        assert!(assessed.unchecked && !assessed.failed);
        assert_eq!(assessed.not_checked.len(), 1);
        assert_eq!(assessed.standing(), "NOT FULLY CHECKED");
        assert_eq!(assessed.decide(Keep::default()), Decision::Ask);
        let keep = Keep {
            failed: false,
            unchecked: true,
        };
        assert_eq!(assessed.decide(keep), Decision::Store);
        assert!(assessed.entry.unchecked && !assessed.entry.forced);
        // The stored verdict is the report's: incomplete (the report computes it).
        assert_eq!(report.verdict(), verify::Verdict::Incomplete);
        assert_eq!(assessed.entry.verdict, Verdict::Incomplete);
        let refusal = Imported::refusal(&found.how, &assessed, &report, true);
        assert_eq!(refusal.to_json()["outcome"], "refused_unchecked");
    }
}
