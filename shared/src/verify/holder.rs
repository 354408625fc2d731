//! A presentation's own checks: its `challenge` (and domain), and each credential's
//! `holder_binding` to whoever signed the presentation.

use serde_json::Value;

use super::messages::{Message, MessageCode as C};
use super::report::{Check, CheckId, Outcome, Report};
use super::CheckOptions;
use crate::proof::ParsedProof;

/// Why a presentation proof does not answer this verifier's challenge and domain, if it does not.
fn challenge_problem(parsed: &ParsedProof, options: &CheckOptions) -> Option<Message> {
    if let Some(expected) = &options.challenge {
        match parsed.challenge.as_deref() {
            None => return Some(Message::new(C::ChallengeDetailMissingChallenge)),
            Some(found) if found != expected => {
                return Some(Message::new(C::ChallengeDetailWrongChallenge).id("found", found))
            }
            Some(_) => {}
        }
    }
    if let Some(expected) = &options.domain {
        let domains: Vec<&str> = match parsed.json.get("domain") {
            Some(Value::String(d)) => vec![d.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if domains.is_empty() {
            return Some(Message::new(C::ChallengeDetailMissingDomain).id("expected", expected));
        }
        if !domains.contains(&expected.as_str()) {
            return Some(
                Message::new(C::ChallengeDetailWrongDomain)
                    .id("found", domains.join(", "))
                    .id("expected", expected),
            );
        }
    }
    None
}

/// The `challenge` check: whether the presentation answers the challenge (and domain) this
/// verifier gave. Without a challenge, it is a required `not_checked` (at best `incomplete`)
/// unless the operator allowed unchallenged presentations, when it is a warning.
pub(super) fn challenge_check(proofs: &[ParsedProof], options: &CheckOptions) -> Check {
    let problems: Vec<Message> = proofs
        .iter()
        .filter_map(|p| challenge_problem(p, options))
        .collect();
    if !problems.is_empty() || (proofs.is_empty() && options.challenge.is_some()) {
        return Check::fail(
            CheckId::Challenge,
            Message::new(C::ChallengeInvalid),
            problems,
            true,
        );
    }
    if options.challenge.is_some() {
        return Check::pass(
            CheckId::Challenge,
            Message::new(C::ChallengeValid),
            vec![],
            true,
        );
    }
    // What the proofs carry, unchecked: said so the reader knows what was not compared.
    let mut details: Vec<Message> = proofs
        .iter()
        .filter_map(|p| p.challenge.as_deref())
        .map(|found| Message::new(C::ChallengeDetailUnchecked).id("found", found))
        .collect();
    if details.is_empty() {
        details.push(Message::new(C::ChallengeDetailNoneInProof));
    }
    if options.allow_unchallenged {
        Check::warning(
            CheckId::Challenge,
            Message::new(C::ChallengeNotRequired),
            details,
            false,
        )
    } else {
        Check::not_checked(
            CheckId::Challenge,
            Message::new(C::ChallengeNotGiven),
            details,
            true,
        )
    }
}

/// The DIDs whose keys signed a presentation's proofs (the verification methods without their
/// fragments).
pub(super) fn presenters(proofs: &[ParsedProof]) -> Vec<String> {
    let mut dids: Vec<String> = proofs
        .iter()
        .filter_map(|p| p.verification_method.as_deref())
        .filter_map(|vm| vm.split('#').next())
        .filter(|did| !did.is_empty())
        .map(str::to_owned)
        .collect();
    dids.sort();
    dids.dedup();
    dids
}

/// Adds `holder_binding` to the report of a credential inside a presentation.
pub(super) fn with_holder_binding(
    mut report: Report,
    credential: &Value,
    presenters: &[String],
) -> Report {
    report.push(holder_binding_check(credential, presenters));
    report
}

/// Whether the credential's subject is the one who signed the presentation (`presenters`,
/// empty when the presentation's signature or key did not hold): `pass` when every subject's
/// `id` is a presenter; `fail` when a subject is another identifier; a warning when a subject
/// is known only by an identity (a hashed email) or not at all — anyone holding a copy could
/// have presented it.
pub fn holder_binding_check(credential: &Value, presenters: &[String]) -> Check {
    const ID: CheckId = CheckId::HolderBinding;
    let subjects: Vec<&Value> = match credential.get("credentialSubject") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(subject @ Value::Object(_)) => vec![subject],
        _ => vec![],
    };
    let mut findings: Vec<(Outcome, Message)> = Vec::new();
    for subject in &subjects {
        if let Some(id) = subject.get("id").and_then(Value::as_str) {
            if presenters.is_empty() {
                findings.push((
                    Outcome::NotChecked,
                    Message::new(C::HolderBindingNoPresenter),
                ));
            } else if presenters.iter().any(|p| p == id) {
                findings.push((
                    Outcome::Pass,
                    Message::new(C::HolderBindingBound).id("subject", id),
                ));
            } else {
                findings.push((
                    Outcome::Fail,
                    Message::new(C::HolderBindingOther)
                        .id("subject", id)
                        .id("presenter", presenters.join(", ")),
                ));
            }
            continue;
        }
        let identities: Vec<&Value> = match subject.get("identifier") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => vec![],
        };
        let kind = identities
            .iter()
            .find_map(|i| i.get("identityType").and_then(Value::as_str));
        let message = match kind {
            Some("emailAddress") => Message::new(C::HolderBindingHashedEmail),
            Some(other) => Message::new(C::HolderBindingIdentifier).id("identity_type", other),
            None if !identities.is_empty() => {
                Message::new(C::HolderBindingIdentifier).id("identity_type", "(unnamed)")
            }
            None => Message::new(C::HolderBindingNoRecipient),
        };
        findings.push((Outcome::Warning, message));
    }
    if findings.is_empty() {
        findings.push((Outcome::Warning, Message::new(C::HolderBindingNoRecipient)));
    }
    let outcome = findings
        .iter()
        .fold(Outcome::Pass, |worst, (o, _)| worst.worst(*o));
    // The message is the first finding with the worst outcome; with several subjects, every
    // finding is also a detail.
    let message = findings
        .iter()
        .find(|(o, _)| *o == outcome)
        .map(|(_, m)| m.clone())
        .unwrap_or_else(|| Message::new(C::HolderBindingNoRecipient));
    let details = if findings.len() > 1 {
        findings.into_iter().map(|(_, m)| m).collect()
    } else {
        vec![]
    };
    Check::new(ID, outcome, message, details, false)
}
