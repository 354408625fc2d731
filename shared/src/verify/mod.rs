//! Sans-I/O verification of credentials and presentations.
//!
//! Verification takes three steps, and only the middle one does I/O, in the caller:
//! 1. [`recognise`] reads what the user gave (JSON credential or presentation, compact JWS,
//!    enveloped credential, baked PNG / SVG, QR image or text; a link for the caller to fetch and
//!    pass to [`recognise_fetched`]); [`parse_input`] is its text-only part;
//! 2. [`needs`] says which DID documents, status lists and schemas must be fetched; the caller
//!    fetches what it is allowed to and puts it in [`Fetched`] (calling `needs` again until it
//!    asks for nothing new: a fetched status list may name another issuer's key);
//! 3. [`check`] returns a [`Report`]: one [`Check`] per rule, each passed, failed, warning or not
//!    checked, with a plain-language message, and an overall [`Verdict`].
//!
//! The modules follow those steps: `input` (reading text), `needs` (what to fetch), then the
//! checks — `signature` (proofs and keys), `holder` (a presentation's challenge and its
//! credentials' holder binding), `content` (JSON-LD, data model, Open Badges, schema, validity,
//! status) — each adding [`Check`]s to a [`Report`] (`report`), which alone computes the
//! verdict; `card` gives the dates a badge card shows and `details` what else a reader needs
//! (type, level, credits, skills, results, evidence); `messages` holds every sentence.
//!
//! "Invalid" ([`Outcome::Fail`]) and "could not check" ([`Outcome::NotChecked`]) are kept apart;
//! neither is ever reported as a pass. A check that must pass but could not be done makes the
//! verdict [`Verdict::Incomplete`], never [`Verdict::Verified`].
//!
//! ```
//! use passerelle_core::keys::KeyPair;
//! use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
//! use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome, Verdict};
//! use passerelle_core::{did, model};
//!
//! // An issuer signs a badge with its did:key.
//! let key = KeyPair::from_seed(&[1; 32]);
//! let mut badge = model::sample::data_literacy_badge();
//! badge["issuer"]["id"] = did::did_key(&key.public()).to_string().into();
//! let method = did::did_key_verification_method(&key.public());
//! let options = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, method, "2026-06-30T12:00:00Z");
//! let signed = proof::sign(&badge, &key, &options).unwrap();
//!
//! // A verifier reads it, sees what it would fetch, and checks it.
//! let presented = verify::parse_input(&serde_json::to_vec(&signed).unwrap(), &Default::default()).unwrap();
//! let fetched = Fetched::default();
//! assert_eq!(verify::needs(&presented, &fetched).status_lists.len(), 1);
//! let now = chrono::DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z").unwrap().into();
//! let report = verify::check(&presented, &fetched, now, &CheckOptions::default());
//! assert_eq!(report.check(CheckId::Proof).unwrap().outcome, Outcome::Pass);
//! // The status list was not fetched: revocation could not be checked, so no "verified".
//! assert_eq!(report.check(CheckId::Status).unwrap().outcome, Outcome::NotChecked);
//! assert_eq!(report.verdict(), Verdict::Incomplete);
//! ```

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::did::Relationship;
use crate::jose::VcForm;
use crate::model::{self, has_type};
use crate::proof;
use crate::trust::{TrustDecision, TrustRegistries};

mod card;
mod content;
mod details;
mod endorsement;
mod holder;
mod input;
mod messages;
mod needs;
mod recognise;
mod report;
mod signature;

pub use card::{card_dates, CardDates, IssuedFrom};
pub use content::STATUS_LIST_CLOCK_LEEWAY;
pub use details::{
    achievement_type_words, card_details, is_web_address, localized_text, result_status_words,
    result_type_words, AlignmentDetail, CardDetails, EvidenceDetail, FrameworkKind, RelatedDetail,
    ResultDetail, TextLanguage, ACHIEVEMENT_TYPES, RESULT_STATUSES,
};
pub use endorsement::{EndorsementReport, Standing, MAX_ENDORSEMENTS};
pub use holder::holder_binding_check;
pub use input::{
    classify_json, enveloped_jws, parse_input, JwsCredential, Presented, VerifyInputError,
};
pub use messages::{fill, placeholders, Arg, ArgKind, Message, MessageCode, MESSAGE_CODES};
pub use needs::{needs, DidDocumentNeed, Fetched, FetchedStatusList, Needs};
pub use recognise::{
    image_kind, recognise, recognise_fetched, Form, ImageKind, RecogniseError, Recognised,
    Recovered, MAX_INPUT_BYTES,
};
pub use report::{
    report_messages, terminal_safe, Check, CheckId, DocumentKind, Outcome, Report,
    SecuringMechanism, Verdict,
};

use card::{credential_dates, jws_dates, proof_created};
use content::{credential_content_checks, json_ld_check, violation_detail};
use endorsement::add_endorsements;
use holder::{challenge_check, presenters, with_holder_binding};
use input::parse_jws;
use signature::{data_integrity_checks, jws_checks, Signer};
use MessageCode as C;

/// Options of a check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The challenge the verifier issued; a presentation's proof must carry it.
    pub challenge: Option<String>,
    /// The domain the verifier expects in a presentation's proof.
    pub domain: Option<String>,
    /// Whether a presentation may be `verified` without answering a challenge the verifier
    /// issued. `false` (the default): without `challenge`, a presentation's `challenge` check
    /// is a required `not_checked`, so the verdict is at best `incomplete` (a replay of an old
    /// presentation proves nothing). `true`: the operator turned that off explicitly; the check
    /// is then a warning.
    pub allow_unchallenged: bool,
    /// The trust registries the verifier relies on. When given, each credential's report gets an
    /// `issuer_recognised` check: a pass naming the registries, or a warning when the issuer is
    /// in none (unknown is not invalid, so it never fails).
    pub trust: Option<Arc<TrustRegistries>>,
}

/// Checks a presented document against what was fetched, at `now`.
pub fn check(
    presented: &Presented,
    fetched: &Fetched,
    now: DateTime<Utc>,
    options: &CheckOptions,
) -> Report {
    let mut report = match presented {
        Presented::Credential(doc) => {
            let mut report = check_json_credential(doc, fetched, now);
            add_endorsements(&mut report, doc, fetched, now);
            report
        }
        Presented::Presentation(doc) => check_presentation(doc, fetched, now, options),
        Presented::Jws(jws) => {
            let mut report = check_jws_credential(jws, fetched, now);
            if let Some(credential) = &jws.credential {
                add_endorsements(&mut report, credential, fetched, now);
            }
            report
        }
    };
    if let Some(trust) = &options.trust {
        add_trust_checks(&mut report, trust, now);
    }
    report
}

/// Adds `issuer_recognised` to a credential's report (and to each credential of a presentation).
fn add_trust_checks(report: &mut Report, trust: &TrustRegistries, now: DateTime<Utc>) {
    for inner in report.credentials_mut() {
        add_trust_checks(inner, trust, now);
    }
    for endorsement in report.endorsements_mut() {
        add_trust_checks(&mut endorsement.report, trust, now);
        endorsement.refresh();
    }
    if report.kind == DocumentKind::Presentation {
        return;
    }
    let Some(summary) = &report.summary else {
        return;
    };
    let issuer = summary.issuer.id.as_str();
    let registries = if trust.registry_names().is_empty() {
        Message::new(C::TrustDetailNoRegistry)
    } else {
        Message::new(C::TrustDetailConsulted).text("registries", trust.registry_names().join(", "))
    };
    let check = match trust.decide(issuer, now) {
        TrustDecision::Recognised(listings) => {
            // "Registry (jurisdiction)": where the recognition holds, next to who gives it.
            let by: Vec<String> = listings
                .iter()
                .map(|l| match &l.jurisdiction {
                    Some(j) => format!("{} ({j})", l.registry),
                    None => l.registry.clone(),
                })
                .collect();
            let mut details: Vec<Message> = listings
                .iter()
                .map(|l| match &l.jurisdiction {
                    Some(j) => Message::new(C::TrustDetailListedIn)
                        .text("registry", &l.registry)
                        .text("name", &l.name)
                        .text("jurisdiction", j),
                    None => Message::new(C::TrustDetailListed)
                        .text("registry", &l.registry)
                        .text("name", &l.name),
                })
                .collect();
            details.push(registries);
            Check::pass(
                CheckId::IssuerRecognised,
                Message::new(C::TrustRecognised).text("registries", by.join(", ")),
                details,
                false,
            )
        }
        TrustDecision::NotCurrent(listings) => Check::warning(
            CheckId::IssuerRecognised,
            Message::new(C::TrustNotCurrent),
            listings
                .iter()
                .map(|l| {
                    let dates = |d: Option<DateTime<Utc>>| {
                        d.map(|d| d.format("%Y-%m-%d").to_string())
                            .unwrap_or_else(|| "…".into())
                    };
                    Message::new(C::TrustDetailListedDates)
                        .text("registry", &l.registry)
                        .text("name", &l.name)
                        .text("from", dates(l.valid_from))
                        .text("until", dates(l.valid_until))
                })
                .chain(std::iter::once(registries))
                .collect(),
            false,
        ),
        TrustDecision::Unknown => Check::warning(
            CheckId::IssuerRecognised,
            Message::new(C::TrustUnknown),
            vec![
                Message::new(C::TrustDetailIssuer).id("issuer", issuer),
                registries,
            ],
            false,
        ),
    };
    report.push(check);
}

fn check_json_credential(doc: &Value, fetched: &Fetched, now: DateTime<Utc>) -> Report {
    let proofs = proof::proofs(doc);
    let secured_by = match &proofs {
        Ok(list) if list.is_empty() => SecuringMechanism::Unsecured,
        _ => SecuringMechanism::DataIntegrity,
    };
    let mut report = Report::new(DocumentKind::Credential, secured_by, now);
    let issuer = issuer_id(doc);
    let signature = data_integrity_checks(
        doc,
        proofs,
        fetched,
        Relationship::AssertionMethod,
        issuer.as_deref(),
        Signer::Issuer,
    );
    report.push(signature.proof);
    report.push(signature.key);
    report.push(json_ld_check(doc, signature.json_ld));
    credential_content_checks(doc, fetched, now, &mut report);
    report.dates = Some(credential_dates(doc, proof_created(doc)));
    report.details = details::card_details(doc, None);
    report
}

fn check_jws_credential(jws: &JwsCredential, fetched: &Fetched, now: DateTime<Utc>) -> Report {
    let secured_by = match jws.form {
        VcForm::VcJwt11 => SecuringMechanism::VcJwt11,
        _ => SecuringMechanism::VcJose,
    };
    let mut report = Report::new(DocumentKind::Credential, secured_by, now);
    let Some(credential) = &jws.credential else {
        report.push(Check::fail(
            CheckId::DataModel,
            Message::new(C::DataModelJwtClaims),
            jws.claims_error
                .iter()
                .map(|e| Message::new(C::DataModelDetailJwtClaims).raw("error", e))
                .collect(),
            true,
        ));
        return report;
    };
    let issuer = issuer_id(credential);
    let (proof_check, key_check) = jws_checks(jws, fetched, issuer.as_deref());
    report.push(proof_check);
    report.push(key_check);
    report.push(json_ld_check(credential, None));
    if credential.get("proof").is_some() {
        report.add_detail(
            CheckId::Proof,
            Message::new(C::ProofDetailJwsEmbeddedProofsIgnored),
        );
    }
    credential_content_checks(credential, fetched, now, &mut report);
    report.dates = Some(jws_dates(jws));
    report.details = details::card_details(credential, None);
    report
}

fn check_presentation(
    doc: &Value,
    fetched: &Fetched,
    now: DateTime<Utc>,
    options: &CheckOptions,
) -> Report {
    let proofs = proof::proofs(doc);
    let secured_by = match &proofs {
        Ok(list) if list.is_empty() => SecuringMechanism::Unsecured,
        _ => SecuringMechanism::DataIntegrity,
    };
    let mut report = Report::new(DocumentKind::Presentation, secured_by, now);
    let holder = doc.get("holder").and_then(|h| match h {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    });
    let challenge_check = challenge_check(proofs.as_deref().unwrap_or(&[]), options);
    let presenters = presenters(proofs.as_deref().unwrap_or(&[]));
    let signature = data_integrity_checks(
        doc,
        proofs,
        fetched,
        Relationship::Authentication,
        holder.as_deref(),
        Signer::Holder,
    );
    // The presenter is established only when the presentation's signature holds and its key
    // is the holder's.
    let presenter_proven = matches!(signature.proof.outcome, Outcome::Pass | Outcome::Warning)
        && signature.key.outcome == Outcome::Pass;
    let presenters = if presenter_proven { presenters } else { vec![] };
    report.push(signature.proof);
    report.push(signature.key);
    report.push(json_ld_check(doc, signature.json_ld));
    report.push(challenge_check);
    match model::check_presentation(doc) {
        Ok(_) => report.push(Check::pass(
            CheckId::DataModel,
            Message::new(C::DataModelPresentationValid),
            vec![],
            true,
        )),
        Err(violations) => report.push(Check::fail(
            CheckId::DataModel,
            Message::new(C::DataModelPresentationInvalid),
            violations.iter().map(violation_detail).collect(),
            true,
        )),
    }
    let embedded = embedded_credentials(doc);
    for item in &embedded {
        let inner = match item {
            Embedded::Json(value) => {
                let mut report = check_json_credential(value, fetched, now);
                add_endorsements(&mut report, value, fetched, now);
                with_holder_binding(report, value, &presenters)
            }
            Embedded::Jws(text) => match parse_jws(text) {
                Ok(Presented::Jws(jws)) => {
                    let mut report = check_jws_credential(&jws, fetched, now);
                    match &jws.credential {
                        Some(credential) => {
                            add_endorsements(&mut report, credential, fetched, now);
                            with_holder_binding(report, credential, &presenters)
                        }
                        None => report,
                    }
                }
                Ok(_) => unreachable_report(now),
                Err(e) => {
                    let mut r =
                        Report::new(DocumentKind::Credential, SecuringMechanism::VcJose, now);
                    r.push(Check::fail(
                        CheckId::Proof,
                        Message::new(C::ProofEmbeddedJwsUnreadable),
                        vec![Message::new(C::ProofDetailError).raw("error", e)],
                        true,
                    ));
                    r
                }
            },
        };
        report.push_credential(inner);
    }
    let failed = report
        .credentials()
        .iter()
        .filter(|r| r.verdict() == Verdict::NotVerified)
        .count();
    let incomplete = report
        .credentials()
        .iter()
        .filter(|r| r.verdict() == Verdict::Incomplete)
        .count();
    let total = report.credentials().len();
    report.push(if failed > 0 {
        Check::fail(
            CheckId::Credentials,
            Message::new(C::CredentialsFailed)
                .number("failed", failed)
                .number("total", total),
            vec![],
            true,
        )
    } else if incomplete > 0 {
        Check::not_checked(
            CheckId::Credentials,
            Message::new(C::CredentialsIncomplete)
                .number("incomplete", incomplete)
                .number("total", total),
            vec![],
            true,
        )
    } else if total == 0 {
        Check::warning(
            CheckId::Credentials,
            Message::new(C::CredentialsNone),
            vec![],
            false,
        )
    } else {
        Check::pass(
            CheckId::Credentials,
            Message::new(C::CredentialsAllVerified).number("total", total),
            vec![],
            true,
        )
    });
    report
}

fn unreachable_report(now: DateTime<Utc>) -> Report {
    let mut r = Report::new(DocumentKind::Credential, SecuringMechanism::Unsecured, now);
    r.push(Check::fail(
        CheckId::Proof,
        Message::new(C::ProofEmbeddedUnreadable),
        vec![],
        true,
    ));
    r
}

enum Embedded<'a> {
    Json(&'a Value),
    Jws(&'a str),
}

fn embedded_credentials(doc: &Value) -> Vec<Embedded<'_>> {
    let items: Vec<&Value> = match doc.get("verifiableCredential") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Value::Object(_) if has_type(item, "EnvelopedVerifiableCredential") => item
                .get("id")
                .and_then(Value::as_str)
                .and_then(enveloped_jws)
                .map(Embedded::Jws),
            Value::Object(_) => Some(Embedded::Json(item)),
            Value::String(s) => Some(Embedded::Jws(s.as_str())),
            _ => None,
        })
        .collect()
}

/// The issuer's id: `issuer` as a string, or `issuer.id`.
pub fn issuer_id(doc: &Value) -> Option<String> {
    match doc.get("issuer")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}
