//! Sans-I/O verification of credentials and presentations.
//!
//! Verification takes three steps, and only the middle one does I/O, in the caller:
//! 1. [`parse_input`] reads what the user gave (JSON credential or presentation, compact JWS);
//! 2. [`needs`] says which DID documents, status lists and schemas must be fetched; the caller
//!    fetches what it is allowed to and puts it in [`Fetched`] (calling `needs` again until it
//!    asks for nothing new: a fetched status list may name another issuer's key);
//! 3. [`check`] returns a [`Report`]: one [`Check`] per rule, each passed, failed, warning or not
//!    checked, with a plain-language message, and an overall [`Verdict`].
//!
//! "Invalid" ([`Outcome::Fail`]) and "could not check" ([`Outcome::NotChecked`]) are kept apart;
//! neither is ever reported as a pass. A check that must pass but could not be done makes the
//! verdict [`Verdict::Incomplete`], never [`Verdict::Verified`].
//!
//! ```
//! use passerelle_core::keys::KeyPair;
//! use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
//! use passerelle_core::verify::{self, CheckOptions, Fetched, Outcome, Verdict};
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
//! assert_eq!(report.check("proof").unwrap().outcome, Outcome::Pass);
//! // The status list was not fetched: revocation could not be checked, so no "verified".
//! assert_eq!(report.check("status").unwrap().outcome, Outcome::NotChecked);
//! assert_eq!(report.verdict, Verdict::Incomplete);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::did::{self, FetchedDocuments, KeyReference, Relationship, ResolvedKey, ResolvedVia};
use crate::input::{self, InputError, InputLimits};
use crate::jose::{self, ParsedJws, VcForm};
use crate::jsonld;
use crate::model::{self, CredentialKind, CredentialModel, VcVersion};
use crate::proof::{self, ParsedProof, ProofError, Suite};
use crate::schema::{SchemaOutcome, SchemaSet};
use crate::status::{self, StatusEntry};
use crate::trust::{TrustDecision, TrustRegistries};

/// Why the input could not even be read as a credential, presentation or JWS.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyInputError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("input is neither JSON nor a compact JWS (three base64url parts separated by dots)")]
    UnknownFormat,
    #[error("compact JWS: {0}")]
    Jws(#[from] jose::JoseError),
    #[error("the JWS payload is not a JSON object")]
    JwsPayloadNotObject,
}

/// A document as the user presented it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Presented {
    /// A JSON credential, secured (or not) by embedded Data Integrity proofs.
    Credential(Value),
    /// A JSON Verifiable Presentation.
    Presentation(Value),
    /// A compact JWS: VC-JOSE (the payload is the credential) or VC-JWT 1.1 (`vc` claim).
    Jws(Box<JwsCredential>),
}

/// A credential secured as a compact JWS.
#[derive(Debug, Clone, PartialEq)]
pub struct JwsCredential {
    /// The compact serialization, as given.
    pub compact: String,
    pub parsed: ParsedJws,
    pub form: VcForm,
    /// The credential: the payload (VC-JOSE) or the one rebuilt from the JWT claims (VC-JWT 1.1).
    /// `None` when the VC-JWT 1.1 claims contradict each other (reported by [`check`]).
    pub credential: Option<Value>,
    /// Why the credential could not be rebuilt from VC-JWT 1.1 claims.
    pub claims_error: Option<String>,
}

/// Reads a credential, presentation or compact JWS from untrusted bytes (caps first).
pub fn parse_input(bytes: &[u8], limits: &InputLimits) -> Result<Presented, VerifyInputError> {
    let text = input::check_text(bytes, limits)?.trim();
    if text.starts_with('{') {
        let value = input::parse_json_object(text.as_bytes(), limits)?;
        return Ok(classify_json(value));
    }
    if text.starts_with('"') {
        // A JSON string holding a JWS, as some APIs wrap it.
        if let Ok(Value::String(inner)) = input::parse_json(text.as_bytes(), limits) {
            return parse_jws(inner.trim());
        }
    }
    if looks_like_compact_jws(text) {
        return parse_jws(text);
    }
    Err(VerifyInputError::UnknownFormat)
}

/// Wraps an already-parsed JSON document.
pub fn classify_json(value: Value) -> Presented {
    if has_type(&value, "VerifiablePresentation") {
        Presented::Presentation(value)
    } else {
        Presented::Credential(value)
    }
}

fn looks_like_compact_jws(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts[..2].iter().all(|p| !p.is_empty())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn parse_jws(text: &str) -> Result<Presented, VerifyInputError> {
    let parsed = jose::parse_compact(text)?;
    if !parsed.payload.is_object() {
        return Err(VerifyInputError::JwsPayloadNotObject);
    }
    let form = parsed.form();
    let (credential, claims_error) = match form {
        VcForm::VcJwt11 => match jose::credential_from_vc_jwt_claims(&parsed.payload) {
            Ok(credential) => (Some(credential), None),
            Err(e) => (None, Some(e.to_string())),
        },
        _ => (Some(parsed.payload.clone()), None),
    };
    Ok(Presented::Jws(Box::new(JwsCredential {
        compact: text.to_owned(),
        parsed,
        form,
        credential,
        claims_error,
    })))
}

/// What the caller fetched (or had cached, or was given on the command line).
#[derive(Debug, Default)]
pub struct Fetched {
    /// DID documents, by DID.
    pub did_documents: FetchedDocuments,
    /// Status list credentials (or 1EdTech revocation lists), by the URL the entry names.
    pub status_lists: BTreeMap<String, FetchedStatusList>,
    /// JSON Schemas available locally.
    pub schemas: SchemaSet,
    /// URLs the caller tried and could not fetch, with the reason (shown in the report).
    pub failures: BTreeMap<String, String>,
}

/// A fetched status list, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedStatusList {
    pub document: Value,
    /// How fresh it is: "fetched now", "from cache, 4 min old", "from a local file", …
    pub provenance: String,
}

impl Fetched {
    /// Adds a status list credential under the URL a credential names.
    pub fn add_status_list(&mut self, url: &str, document: Value, provenance: &str) {
        self.status_lists.insert(
            url.to_owned(),
            FetchedStatusList {
                document,
                provenance: provenance.to_owned(),
            },
        );
    }
}

/// What [`check`] still needs from the outside world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Needs {
    /// DID documents to fetch (did:web).
    pub did_documents: Vec<DidDocumentNeed>,
    /// Status list credentials to fetch, by URL.
    pub status_lists: Vec<String>,
    /// JSON Schemas a credential cites that are not available.
    pub schemas: Vec<String>,
}

/// One DID document to fetch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DidDocumentNeed {
    pub did: String,
    pub url: String,
}

impl Needs {
    /// Nothing left to fetch.
    pub fn is_empty(&self) -> bool {
        self.did_documents.is_empty() && self.status_lists.is_empty() && self.schemas.is_empty()
    }
}

/// Lists what is still missing from `fetched` to check `presented` fully. Call again after
/// fetching: a fetched status list credential may be signed with a did:web key.
pub fn needs(presented: &Presented, fetched: &Fetched) -> Needs {
    let mut dids = BTreeSet::new();
    let mut lists = BTreeSet::new();
    let mut schemas = BTreeSet::new();
    let add_vm = |vm: &str, dids: &mut BTreeSet<DidDocumentNeed>| {
        if let Some(request) = did::document_needed(vm) {
            if fetched
                .did_documents
                .document(request.did.as_str())
                .is_none()
                && !fetched.failures.contains_key(&request.url)
            {
                dids.insert(DidDocumentNeed {
                    did: request.did.to_string(),
                    url: request.url,
                });
            }
        }
    };
    let mut credentials: Vec<&Value> = Vec::new();
    let mut owned: Vec<Value> = Vec::new();
    match presented {
        Presented::Credential(doc) => credentials.push(doc),
        Presented::Presentation(doc) => {
            for proof in proof::proofs(doc).unwrap_or_default() {
                if let Some(vm) = &proof.verification_method {
                    add_vm(vm, &mut dids);
                }
            }
            credentials.extend(
                embedded_credentials(doc)
                    .into_iter()
                    .filter_map(|c| match c {
                        Embedded::Json(v) => Some(v),
                        Embedded::Jws(_) => None,
                    }),
            );
            for jws in embedded_credentials(doc)
                .into_iter()
                .filter_map(|c| match c {
                    Embedded::Jws(text) => Some(text),
                    Embedded::Json(_) => None,
                })
            {
                if let Ok(Presented::Jws(jws)) = parse_jws(jws) {
                    if let Some(vm) = jws_key_reference(&jws) {
                        add_vm(&vm, &mut dids);
                    }
                    if let Some(credential) = jws.credential {
                        owned.push(credential);
                    }
                }
            }
        }
        Presented::Jws(jws) => {
            if let Some(vm) = jws_key_reference(jws) {
                add_vm(&vm, &mut dids);
            }
            if let Some(credential) = &jws.credential {
                credentials.push(credential);
            }
        }
    }
    credentials.extend(owned.iter());
    for credential in credentials {
        for proof in proof::proofs(credential).unwrap_or_default() {
            if let Some(vm) = &proof.verification_method {
                add_vm(vm, &mut dids);
            }
        }
        for url in status::lists_needed(credential) {
            match fetched.status_lists.get(&url) {
                None if !fetched.failures.contains_key(&url) => {
                    lists.insert(url);
                }
                Some(list) => {
                    for proof in proof::proofs(&list.document).unwrap_or_default() {
                        if let Some(vm) = &proof.verification_method {
                            add_vm(vm, &mut dids);
                        }
                    }
                }
                None => {}
            }
        }
        for (id, _) in crate::schema::credential_schemas(credential) {
            if !fetched.schemas.contains(&id) && !fetched.failures.contains_key(&id) {
                schemas.insert(id);
            }
        }
    }
    Needs {
        did_documents: dids.into_iter().collect(),
        status_lists: lists.into_iter().collect(),
        schemas: schemas.into_iter().collect(),
    }
}

/// Options of a check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The challenge the verifier issued; a presentation's proof must carry it.
    pub challenge: Option<String>,
    /// The domain the verifier expects in a presentation's proof.
    pub domain: Option<String>,
    /// The trust registries the verifier relies on. When given, each credential's report gets an
    /// `issuer_recognised` check: a pass naming the registries, or a warning when the issuer is
    /// in none (unknown is not invalid, so it never fails).
    pub trust: Option<Arc<TrustRegistries>>,
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Warning,
    NotChecked,
}

impl Outcome {
    fn rank(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::NotChecked => 1,
            Outcome::Warning => 2,
            Outcome::Fail => 3,
        }
    }

    /// The worse of two outcomes (fail > warning > not checked > pass).
    pub fn worst(self, other: Outcome) -> Outcome {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "FAIL",
            Outcome::Warning => "warning",
            Outcome::NotChecked => "not checked",
        }
    }
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check that applies passed (warnings allowed).
    Verified,
    /// At least one check failed.
    NotVerified,
    /// No check failed, but one that must pass could not be done (e.g. the status list could not
    /// be fetched, or the issuer's DID document).
    Incomplete,
}

/// One check in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier: `proof`, `verification_method`, `json_ld`, `data_model`,
    /// `open_badges`, `json_schema`, `validity_period`, `status`, `challenge`, `credentials`,
    /// `issuer_recognised`.
    pub id: &'static str,
    pub outcome: Outcome,
    /// One plain-language sentence.
    pub message: String,
    /// Supporting facts, one per line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// Whether the verdict requires this check to pass (a `not_checked` here means incomplete).
    pub required: bool,
}

/// What was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Credential,
    Presentation,
}

/// How the document is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecuringMechanism {
    DataIntegrity,
    VcJose,
    VcJwt11,
    Unsecured,
}

/// A verification report: what the web page, the API, the wallet and the tests all show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub verdict: Verdict,
    pub kind: DocumentKind,
    pub secured_by: SecuringMechanism,
    /// The moment the time-dependent checks were made against.
    pub checked_at: String,
    pub checks: Vec<Check>,
    /// What the credential says, for display (absent when it could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<CredentialModel>,
    /// For a presentation: one report per credential inside.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<Report>,
}

impl Report {
    /// The check with this id, if it was made.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Whether the verdict is [`Verdict::Verified`].
    pub fn is_verified(&self) -> bool {
        self.verdict == Verdict::Verified
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn finish(mut self) -> Self {
        self.verdict = verdict_of(&self.checks);
        self
    }
}

fn verdict_of(checks: &[Check]) -> Verdict {
    if checks.iter().any(|c| c.outcome == Outcome::Fail) {
        Verdict::NotVerified
    } else if checks
        .iter()
        .any(|c| c.required && c.outcome == Outcome::NotChecked)
    {
        Verdict::Incomplete
    } else {
        Verdict::Verified
    }
}

impl fmt::Display for Report {
    /// A plain-text rendering for terminals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render(self, f, 0)
    }
}

fn render(report: &Report, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
    let pad = " ".repeat(indent);
    let verdict = match report.verdict {
        Verdict::Verified => "VERIFIED",
        Verdict::NotVerified => "NOT VERIFIED",
        Verdict::Incomplete => "INCOMPLETE: no check failed, but not everything could be checked",
    };
    writeln!(f, "{pad}{verdict}")?;
    if let Some(summary) = &report.summary {
        for (label, value) in display_lines(summary) {
            writeln!(f, "{pad}  {label:<12} {value}")?;
        }
    }
    writeln!(f)?;
    for check in &report.checks {
        writeln!(
            f,
            "{pad}  [{:<11}] {:<20} {}",
            check.outcome.label(),
            check.id,
            check.message
        )?;
        for detail in &check.details {
            writeln!(f, "{pad}  {:<14}{:<20}   · {detail}", "", "")?;
        }
    }
    for (n, credential) in report.credentials.iter().enumerate() {
        writeln!(f, "\n{pad}  Credential {} in the presentation:", n + 1)?;
        render(credential, f, indent + 4)?;
    }
    Ok(())
}

/// The lines of a badge card, for terminals.
fn display_lines(model: &CredentialModel) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(achievement) = &model.achievement {
        lines.push(("Achievement", achievement.name.clone()));
    } else if let Some(name) = &model.name {
        lines.push(("Credential", name.clone()));
    }
    let issuer = match &model.issuer.name {
        Some(name) => format!("{name} ({})", model.issuer.id.as_str()),
        None => model.issuer.id.as_str().to_owned(),
    };
    lines.push(("Issuer", issuer));
    for recipient in &model.recipients {
        let who = match (
            &recipient.name,
            &recipient.id,
            recipient.identifiers.first(),
        ) {
            (Some(name), _, _) => name.clone(),
            (None, Some(id), _) => id.as_str().to_owned(),
            (None, None, Some(identity)) => format!(
                "{} identified by a hashed {}",
                "a learner",
                identity.identity_type()
            ),
            _ => "(not named)".into(),
        };
        lines.push(("Recipient", who));
    }
    if let Some(from) = &model.valid_from {
        lines.push(("Issued", from.format("%Y-%m-%d").to_string()));
    }
    if let Some(until) = &model.valid_until {
        lines.push(("Expires", until.format("%Y-%m-%d").to_string()));
    }
    lines
}

/// Checks a presented document against what was fetched, at `now`.
pub fn check(
    presented: &Presented,
    fetched: &Fetched,
    now: DateTime<Utc>,
    options: &CheckOptions,
) -> Report {
    let mut report = match presented {
        Presented::Credential(doc) => check_json_credential(doc, fetched, now),
        Presented::Presentation(doc) => check_presentation(doc, fetched, now, options),
        Presented::Jws(jws) => check_jws_credential(jws, fetched, now),
    };
    if let Some(trust) = &options.trust {
        add_trust_checks(&mut report, trust, now);
    }
    report
}

/// Adds `issuer_recognised` to a credential's report (and to each credential of a presentation).
fn add_trust_checks(report: &mut Report, trust: &TrustRegistries, now: DateTime<Utc>) {
    for inner in &mut report.credentials {
        add_trust_checks(inner, trust, now);
    }
    if report.kind != DocumentKind::Credential {
        return;
    }
    let Some(summary) = &report.summary else {
        return;
    };
    let issuer = summary.issuer.id.as_str();
    let registries = if trust.registry_names().is_empty() {
        "no trust registry is configured".to_owned()
    } else {
        format!(
            "registries consulted: {}",
            trust.registry_names().join(", ")
        )
    };
    let check = match trust.decide(issuer, now) {
        TrustDecision::Recognised(listings) => {
            let by: Vec<String> = listings.iter().map(|l| l.registry.clone()).collect();
            let mut details: Vec<String> = listings
                .iter()
                .map(|l| match &l.jurisdiction {
                    Some(j) => format!("{}: listed as {} ({j})", l.registry, l.name),
                    None => format!("{}: listed as {}", l.registry, l.name),
                })
                .collect();
            details.push(registries);
            pass(
                "issuer_recognised",
                &format!("The issuer is recognised by {}.", by.join(", ")),
                details,
                false,
            )
        }
        TrustDecision::NotCurrent(listings) => Check {
            id: "issuer_recognised",
            outcome: Outcome::Warning,
            message: "The issuer is listed in a registry you trust, but not for this date.".into(),
            details: listings
                .iter()
                .map(|l| {
                    let dates = |d: Option<DateTime<Utc>>| {
                        d.map(|d| d.format("%Y-%m-%d").to_string())
                            .unwrap_or_else(|| "…".into())
                    };
                    format!(
                        "{}: {} listed from {} to {}",
                        l.registry,
                        l.name,
                        dates(l.valid_from),
                        dates(l.valid_until)
                    )
                })
                .chain(std::iter::once(registries))
                .collect(),
            required: false,
        },
        TrustDecision::Unknown => Check {
            id: "issuer_recognised",
            outcome: Outcome::Warning,
            message: "The issuer is not in any registry you trust (unknown is not invalid).".into(),
            details: vec![format!("issuer {issuer}"), registries],
            required: false,
        },
    };
    report.checks.push(check);
    let verdict = verdict_of(&report.checks);
    report.verdict = verdict;
}

fn new_report(kind: DocumentKind, secured_by: SecuringMechanism, now: DateTime<Utc>) -> Report {
    Report {
        verdict: Verdict::Incomplete,
        kind,
        secured_by,
        checked_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        checks: Vec::new(),
        summary: None,
        credentials: Vec::new(),
    }
}

fn check_json_credential(doc: &Value, fetched: &Fetched, now: DateTime<Utc>) -> Report {
    let proofs = proof::proofs(doc);
    let secured_by = match &proofs {
        Ok(list) if list.is_empty() => SecuringMechanism::Unsecured,
        _ => SecuringMechanism::DataIntegrity,
    };
    let mut report = new_report(DocumentKind::Credential, secured_by, now);
    let issuer = issuer_id(doc);
    let signature = data_integrity_checks(
        doc,
        proofs,
        fetched,
        Relationship::AssertionMethod,
        issuer.as_deref(),
        None,
    );
    report.checks.push(signature.proof);
    report.checks.push(signature.key);
    report.checks.push(json_ld_check(doc, signature.json_ld));
    credential_content_checks(doc, fetched, now, &mut report);
    report.finish()
}

fn check_jws_credential(jws: &JwsCredential, fetched: &Fetched, now: DateTime<Utc>) -> Report {
    let secured_by = match jws.form {
        VcForm::VcJwt11 => SecuringMechanism::VcJwt11,
        _ => SecuringMechanism::VcJose,
    };
    let mut report = new_report(DocumentKind::Credential, secured_by, now);
    let Some(credential) = &jws.credential else {
        report.checks.push(fail(
            "data_model",
            "The JWT's claims contradict the credential inside it.",
            jws.claims_error.iter().cloned().collect(),
            true,
        ));
        return report.finish();
    };
    let issuer = issuer_id(credential);
    let (proof_check, key_check) = jws_checks(jws, fetched, issuer.as_deref());
    report.checks.push(proof_check);
    report.checks.push(key_check);
    report.checks.push(json_ld_check(credential, None));
    if credential.get("proof").is_some() {
        if let Some(check) = report.checks.iter_mut().find(|c| c.id == "proof") {
            check.details.push(
                "the credential also carries embedded proofs; only the JWS signature was checked"
                    .into(),
            );
        }
    }
    credential_content_checks(credential, fetched, now, &mut report);
    report.finish()
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
    let mut report = new_report(DocumentKind::Presentation, secured_by, now);
    let holder = doc.get("holder").and_then(|h| match h {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    });
    let challenge_check = challenge_check(proofs.as_deref().unwrap_or(&[]), options);
    let signature = data_integrity_checks(
        doc,
        proofs,
        fetched,
        Relationship::Authentication,
        holder.as_deref(),
        Some(options),
    );
    report.checks.push(signature.proof);
    report.checks.push(signature.key);
    report.checks.push(json_ld_check(doc, signature.json_ld));
    report.checks.push(challenge_check);
    match model::check_presentation(doc) {
        Ok(_) => report.checks.push(pass(
            "data_model",
            "The presentation follows the Verifiable Credentials data model.",
            vec![],
            true,
        )),
        Err(violations) => report.checks.push(fail(
            "data_model",
            "The presentation does not follow the Verifiable Credentials data model.",
            violations.iter().map(|v| v.to_string()).collect(),
            true,
        )),
    }
    let embedded = embedded_credentials(doc);
    for item in &embedded {
        let inner = match item {
            Embedded::Json(value) => check_json_credential(value, fetched, now),
            Embedded::Jws(text) => match parse_jws(text) {
                Ok(Presented::Jws(jws)) => check_jws_credential(&jws, fetched, now),
                Ok(_) => unreachable_report(now),
                Err(e) => {
                    let mut r =
                        new_report(DocumentKind::Credential, SecuringMechanism::VcJose, now);
                    r.checks.push(fail(
                        "proof",
                        "A credential in the presentation is not a readable JWS.",
                        vec![e.to_string()],
                        true,
                    ));
                    r.finish()
                }
            },
        };
        report.credentials.push(inner);
    }
    let failed = report
        .credentials
        .iter()
        .filter(|r| r.verdict == Verdict::NotVerified)
        .count();
    let incomplete = report
        .credentials
        .iter()
        .filter(|r| r.verdict == Verdict::Incomplete)
        .count();
    let total = report.credentials.len();
    report.checks.push(if failed > 0 {
        fail(
            "credentials",
            &format!(
                "{failed} of the {total} credentials in the presentation failed verification."
            ),
            vec![],
            true,
        )
    } else if incomplete > 0 {
        not_checked(
            "credentials",
            &format!("{incomplete} of the {total} credentials could not be fully checked."),
            vec![],
            true,
        )
    } else if total == 0 {
        Check {
            id: "credentials",
            outcome: Outcome::Warning,
            message: "The presentation contains no credential.".into(),
            details: vec![],
            required: false,
        }
    } else {
        pass(
            "credentials",
            &format!("All {total} credentials in the presentation are verified."),
            vec![],
            true,
        )
    });
    report.finish()
}

fn unreachable_report(now: DateTime<Utc>) -> Report {
    let mut r = new_report(DocumentKind::Credential, SecuringMechanism::Unsecured, now);
    r.checks.push(fail(
        "proof",
        "A credential in the presentation could not be read.",
        vec![],
        true,
    ));
    r.finish()
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

/// The compact JWS inside a VCDM 2.0 `EnvelopedVerifiableCredential` id
/// (`data:application/vc+jwt,<jws>`). Other media types are not JWS credentials.
fn enveloped_jws(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("data:")?;
    let (media_type, data) = rest.split_once(',')?;
    let media_type = media_type.split(';').next().unwrap_or_default();
    matches!(
        media_type,
        "application/vc+jwt" | "application/jwt" | "application/vc+jose"
    )
    .then_some(data)
}

// ---------------------------------------------------------------------------------------------
// Signature and key checks

/// Checks every Data Integrity proof of `doc`: returns the `proof` check and the
/// `verification_method` check.
/// The `proof` and `verification_method` checks, and what canonicalization learnt about the
/// document's JSON-LD (`None` when no RDFC proof got that far).
struct SignatureChecks {
    proof: Check,
    key: Check,
    json_ld: Option<Result<(), String>>,
}

fn data_integrity_checks(
    doc: &Value,
    proofs: Result<Vec<ParsedProof>, ProofError>,
    fetched: &Fetched,
    relationship: Relationship,
    expected_controller: Option<&str>,
    presentation: Option<&CheckOptions>,
) -> SignatureChecks {
    let proofs = match proofs {
        Ok(proofs) => proofs,
        Err(e) => {
            return SignatureChecks {
                proof: fail(
                    "proof",
                    "The proof cannot be read.",
                    vec![e.to_string()],
                    true,
                ),
                key: not_checked(
                    "verification_method",
                    "The signing key could not be looked up because the proof cannot be read.",
                    vec![],
                    true,
                ),
                json_ld: None,
            }
        }
    };
    if proofs.is_empty() {
        return SignatureChecks {
            proof: fail(
                "proof",
                "The document is not signed: it has no proof, so anyone could have written it.",
                vec![],
                true,
            ),
            key: not_checked(
                "verification_method",
                "There is no signing key to look up (no proof).",
                vec![],
                true,
            ),
            json_ld: None,
        };
    }
    let mut proof_outcome = Outcome::Pass;
    let mut key_outcome = Outcome::Pass;
    let mut proof_details = Vec::new();
    let mut key_details = Vec::new();
    let several = proofs.len() > 1;
    let mut json_ld: Option<Result<(), String>> = None;
    for (n, parsed) in proofs.iter().enumerate() {
        let label = if several {
            format!("proof {}: ", n + 1)
        } else {
            String::new()
        };
        let suite = parsed.suite.to_string();
        // The suite must be one we know.
        if let Suite::Unsupported { .. } = &parsed.suite {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            proof_details.push(format!(
                "{label}{}: proof type {suite} is not one this verifier supports (eddsa-rdfc-2022, eddsa-jcs-2022, eddsa-2022, Ed25519Signature2020)",
                parsed.path
            ));
            continue;
        }
        // Purpose.
        let expected_purpose = relationship.as_str();
        if parsed.proof_purpose.as_deref() != Some(expected_purpose) {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            proof_details.push(format!(
                "{label}proofPurpose is {:?}, expected {expected_purpose:?}",
                parsed.proof_purpose.as_deref().unwrap_or("(missing)")
            ));
            continue;
        }
        if let Some(options) = presentation {
            if let Some(problem) = challenge_problem(parsed, options) {
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(format!("{label}{problem}"));
                continue;
            }
        }
        // Key.
        let Some(vm) = parsed.verification_method.as_deref() else {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            key_outcome = key_outcome.worst(Outcome::Fail);
            key_details.push(format!("{label}the proof names no verificationMethod"));
            continue;
        };
        let key = match resolve_key(vm, fetched, relationship, expected_controller) {
            KeyLookup::Found { key, outcome, note } => {
                key_outcome = key_outcome.worst(outcome);
                key_details.push(format!("{label}{note}"));
                key
            }
            KeyLookup::Failed { outcome, reason } => {
                key_outcome = key_outcome.worst(outcome);
                key_details.push(format!("{label}{reason}"));
                proof_outcome = proof_outcome.worst(if outcome == Outcome::Fail {
                    Outcome::Fail
                } else {
                    Outcome::NotChecked
                });
                proof_details.push(format!(
                    "{label}the {suite} signature was not checked: the key is not available"
                ));
                continue;
            }
        };
        let uses_rdfc = !matches!(parsed.suite, Suite::EddsaJcs2022);
        match proof::verify_proof(doc, parsed, &key.public_key) {
            Ok(verified) => {
                if uses_rdfc {
                    json_ld.get_or_insert(Ok(()));
                }
                if verified.legacy {
                    proof_outcome = proof_outcome.worst(Outcome::Warning);
                    proof_details.push(format!(
                        "{label}{suite} signature is valid, but this proof format predates the W3C Recommendation; ask the issuer to re-issue with eddsa-rdfc-2022"
                    ));
                } else if verified.utf16_order {
                    proof_outcome = proof_outcome.worst(Outcome::Warning);
                    proof_details.push(format!(
                        "{label}{suite} signature is valid over the statement order of the JavaScript reference implementation (UTF-16 code units) rather than RDFC-1.0's (code points); accepted for compatibility"
                    ));
                } else {
                    proof_details.push(format!("{label}{suite} signature is valid"));
                }
            }
            Err(ProofError::Document(e)) => {
                json_ld = Some(Err(e.to_string()));
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(format!(
                    "{label}the signed data cannot be computed because the document is not valid JSON-LD: {e}"
                ));
            }
            Err(e) => {
                if uses_rdfc && matches!(e, ProofError::BadSignature { .. }) {
                    json_ld.get_or_insert(Ok(()));
                }
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(format!("{label}{e}"));
            }
        }
    }
    let subject = if presentation.is_some() {
        "holder"
    } else {
        "issuer"
    };
    let proof_message = match proof_outcome {
        Outcome::Pass => format!("The {subject}'s signature is valid: the document has not been changed since it was signed."),
        Outcome::Warning => format!("The {subject}'s signature is valid, with a caveat."),
        Outcome::Fail => "The signature does not hold: the document was altered, or it was not signed by this key.".to_owned(),
        Outcome::NotChecked => "The signature could not be checked.".to_owned(),
    };
    let key_message = match key_outcome {
        Outcome::Pass => {
            format!("The signing key belongs to the {subject} and is authorised for this use.")
        }
        Outcome::Warning => format!(
            "The signing key was found, but nothing published by the {subject} vouches for it."
        ),
        Outcome::Fail => format!(
            "The signing key does not belong to the {subject}, or is not authorised for this use."
        ),
        Outcome::NotChecked => "The signing key could not be looked up.".to_owned(),
    };
    SignatureChecks {
        proof: Check {
            id: "proof",
            outcome: proof_outcome,
            message: proof_message,
            details: proof_details,
            required: true,
        },
        key: Check {
            id: "verification_method",
            outcome: key_outcome,
            message: key_message,
            details: key_details,
            required: true,
        },
        json_ld,
    }
}

fn challenge_problem(parsed: &ParsedProof, options: &CheckOptions) -> Option<String> {
    if let Some(expected) = &options.challenge {
        if parsed.challenge.as_deref() != Some(expected.as_str()) {
            return Some(format!(
                "the proof's challenge {:?} is not the one this verifier issued",
                parsed.challenge.as_deref().unwrap_or("(missing)")
            ));
        }
    }
    if let Some(expected) = &options.domain {
        let domains: Vec<&str> = match parsed.json.get("domain") {
            Some(Value::String(d)) => vec![d.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !domains.contains(&expected.as_str()) {
            return Some(format!(
                "the proof's domain {domains:?} does not include {expected:?}"
            ));
        }
    }
    None
}

fn challenge_check(proofs: &[ParsedProof], options: &CheckOptions) -> Check {
    if options.challenge.is_none() && options.domain.is_none() {
        return Check {
            id: "challenge",
            outcome: Outcome::Warning,
            message:
                "No challenge was required, so this presentation could be a replay of an old one."
                    .into(),
            details: vec![],
            required: false,
        };
    }
    let problems: Vec<String> = proofs
        .iter()
        .filter_map(|p| challenge_problem(p, options))
        .collect();
    if problems.is_empty() && !proofs.is_empty() {
        pass(
            "challenge",
            "The presentation answers this verifier's challenge and domain.",
            vec![],
            true,
        )
    } else {
        fail(
            "challenge",
            "The presentation was not made for this request (challenge or domain differ).",
            problems,
            true,
        )
    }
}

enum KeyLookup {
    Found {
        key: Box<ResolvedKey>,
        outcome: Outcome,
        note: String,
    },
    Failed {
        outcome: Outcome,
        reason: String,
    },
}

fn resolve_key(
    vm: &str,
    fetched: &Fetched,
    relationship: Relationship,
    expected_controller: Option<&str>,
) -> KeyLookup {
    match did::parse_verification_method(vm) {
        Err(e) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: e.to_string(),
            }
        }
        Ok(KeyReference::Unsupported { vm, reason }) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: format!("verification method {vm:?}: {reason}"),
            }
        }
        Ok(_) => {}
    }
    let key = match did::dereference(vm, &fetched.did_documents) {
        Ok(key) => key,
        Err(did::DidError::DocumentMissing { did, url }) => {
            let why = fetched
                .failures
                .get(&url)
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            return KeyLookup::Failed {
                outcome: Outcome::NotChecked,
                reason: format!("the DID document of {did} could not be fetched from {url}{why}"),
            };
        }
        Err(e) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: e.to_string(),
            }
        }
    };
    // The key is usable, so the signature is still checked, but a key that is not the issuer's
    // (or not authorised for this purpose) fails the key check.
    if let Some(expected) = expected_controller {
        if key.controller != expected {
            return KeyLookup::Found {
                note: format!(
                    "the key {} is controlled by {}, not by {expected}: nothing ties it to the {}",
                    key.id,
                    key.controller,
                    if relationship == Relationship::Authentication {
                        "holder"
                    } else {
                        "issuer"
                    }
                ),
                key: Box::new(key),
                outcome: Outcome::Fail,
            };
        }
    }
    match key.via {
        ResolvedVia::HttpsFragment => KeyLookup::Found {
            note: format!(
                "key {} is given in the verification method URL itself; {} publishes no DID document listing it",
                key.public_key.to_multikey(),
                key.controller
            ),
            key: Box::new(key),
            outcome: Outcome::Warning,
        },
        _ if !key.has_relationship(relationship) => KeyLookup::Found {
            note: format!(
                "key {} is not listed under {} in the DID document of {}",
                key.id,
                relationship.as_str(),
                key.controller
            ),
            key: Box::new(key),
            outcome: Outcome::Fail,
        },
        via => KeyLookup::Found {
            note: format!(
                "key {} ({}) is listed under {}",
                key.id,
                match via {
                    ResolvedVia::DidKey => "did:key, self-certifying",
                    ResolvedVia::DidWebDocument => "from the did:web document",
                    _ => "resolved",
                },
                relationship.as_str()
            ),
            key: Box::new(key),
            outcome: Outcome::Pass,
        },
    }
}

/// The verification method a JWS points at: its `kid`, made absolute against the issuer when
/// relative; or the issuer's did:key when there is no `kid`.
fn jws_key_reference(jws: &JwsCredential) -> Option<String> {
    let issuer = jws.credential.as_ref().and_then(issuer_id);
    match (&jws.parsed.kid, issuer) {
        (Some(kid), Some(issuer)) if kid.starts_with('#') => Some(format!("{issuer}{kid}")),
        (Some(kid), _) => Some(kid.clone()),
        (None, Some(issuer)) if issuer.starts_with("did:key:") => {
            let fragment = issuer.trim_start_matches("did:key:").to_owned();
            Some(format!("{issuer}#{fragment}"))
        }
        _ => None,
    }
}

fn jws_checks(jws: &JwsCredential, fetched: &Fetched, issuer: Option<&str>) -> (Check, Check) {
    let Some(vm) = jws_key_reference(jws) else {
        return (
            fail(
                "proof",
                "The JWS signature cannot be checked: its header names no key (kid).",
                vec![],
                true,
            ),
            fail(
                "verification_method",
                "The JWS names no key, and the issuer is not a did:key.",
                vec![],
                true,
            ),
        );
    };
    let key = match resolve_key(&vm, fetched, Relationship::AssertionMethod, issuer) {
        KeyLookup::Found { key, outcome, note } => (key, outcome, note),
        KeyLookup::Failed { outcome, reason } => {
            return (
                if outcome == Outcome::Fail {
                    fail(
                        "proof",
                        "The JWS signature was not checked: the key is unusable.",
                        vec![],
                        true,
                    )
                } else {
                    not_checked(
                        "proof",
                        "The JWS signature could not be checked: the key is not available.",
                        vec![],
                        true,
                    )
                },
                Check {
                    id: "verification_method",
                    outcome,
                    message: "The signing key could not be used.".into(),
                    details: vec![reason],
                    required: true,
                },
            )
        }
    };
    let (key, key_outcome, note) = key;
    let form = match jws.form {
        VcForm::VcJwt11 => "VC-JWT 1.1",
        _ => "VC-JOSE",
    };
    let proof_check = match jose::verify_compact(&jws.compact, &key.public_key) {
        Ok(_) => pass(
            "proof",
            "The issuer's signature is valid: the document has not been changed since it was signed.",
            vec![format!("{form} compact JWS, EdDSA (Ed25519) signature is valid")],
            true,
        ),
        Err(e) => fail(
            "proof",
            "The signature does not hold: the document was altered, or it was not signed by this key.",
            vec![e.to_string()],
            true,
        ),
    };
    let key_check = Check {
        id: "verification_method",
        outcome: key_outcome,
        message: match key_outcome {
            Outcome::Pass => {
                "The signing key belongs to the issuer and is authorised for this use.".into()
            }
            Outcome::Fail => {
                "The signing key does not belong to the issuer, or is not authorised for this use."
                    .into()
            }
            _ => "The signing key was found, but nothing published by the issuer vouches for it."
                .into(),
        },
        details: vec![note],
        required: true,
    };
    (proof_check, key_check)
}

// ---------------------------------------------------------------------------------------------
// Content checks (shared by every securing mechanism)

fn credential_content_checks(
    doc: &Value,
    fetched: &Fetched,
    now: DateTime<Utc>,
    report: &mut Report,
) {
    match model::check_credential(doc) {
        Ok(parsed) => {
            report.checks.push(match parsed.version {
                VcVersion::V2 => pass(
                    "data_model",
                    "The credential follows the Verifiable Credentials 2.0 data model.",
                    vec![],
                    true,
                ),
                VcVersion::V1 => Check {
                    id: "data_model",
                    outcome: Outcome::Warning,
                    message: "The credential follows the older Verifiable Credentials 1.1 data \
                              model; it is accepted, but issuers should move to 2.0."
                        .into(),
                    details: vec![],
                    required: true,
                },
            });
            let profile = match parsed.kind {
                CredentialKind::OpenBadge => Some("achievement credential"),
                CredentialKind::Endorsement => Some("endorsement credential"),
                _ => None,
            };
            report.checks.push(match profile {
                Some(profile) => pass(
                    "open_badges",
                    &format!("The credential is a well-formed Open Badges 3.0 {profile}."),
                    vec![],
                    false,
                ),
                None => Check {
                    id: "open_badges",
                    outcome: Outcome::Warning,
                    message: "This is a Verifiable Credential, but not an Open Badge.".into(),
                    details: vec![],
                    required: false,
                },
            });
            report.summary = Some(parsed);
        }
        Err(violations) => {
            let (ob, vc): (Vec<_>, Vec<_>) = violations.iter().partition(|v| v.open_badges);
            if vc.is_empty() {
                report.checks.push(pass(
                    "data_model",
                    "The credential follows the Verifiable Credentials data model.",
                    vec![],
                    true,
                ));
            } else {
                report.checks.push(fail(
                    "data_model",
                    "The credential does not follow the Verifiable Credentials data model.",
                    vc.iter().map(|v| v.to_string()).collect(),
                    true,
                ));
            }
            if !ob.is_empty() {
                report.checks.push(fail(
                    "open_badges",
                    "The credential claims to be an Open Badge but does not have the required shape.",
                    ob.iter().map(|v| v.to_string()).collect(),
                    true,
                ));
            }
        }
    }
    report.checks.push(schema_check(doc, fetched));
    report.checks.push(validity_check(doc, now));
    report.checks.push(status_check(doc, fetched, now));
}

/// Data Integrity "safe mode" for the whole document: every term and type must be defined by the
/// contexts, or it would be silently dropped. An RDFC signature check already established it;
/// otherwise (JCS, JOSE, unsigned) the document is expanded here.
fn json_ld_check(doc: &Value, from_signature: Option<Result<(), String>>) -> Check {
    let result = match from_signature {
        Some(result) => result,
        None => jsonld::to_rdf(doc).map(|_| ()).map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => pass(
            "json_ld",
            "Every property and type in the document is defined by its JSON-LD contexts.",
            vec![],
            true,
        ),
        Err(reason) => fail(
            "json_ld",
            "The document uses terms its JSON-LD contexts do not define, or is not valid JSON-LD.",
            vec![reason],
            true,
        ),
    }
}

fn schema_check(doc: &Value, fetched: &Fetched) -> Check {
    let cited = crate::schema::credential_schemas(doc);
    if cited.is_empty() {
        return not_checked(
            "json_schema",
            "The credential names no JSON Schema to check it against.",
            vec![],
            false,
        );
    }
    let mut outcome = Outcome::Pass;
    let mut details = Vec::new();
    for result in fetched.schemas.check(doc) {
        let id = &result.id;
        match result.outcome {
            SchemaOutcome::Validated => details.push(format!("valid against {id}")),
            SchemaOutcome::Failed(violations) => {
                outcome = outcome.worst(Outcome::Fail);
                details.extend(violations.iter().map(|v| format!("{id}: {v}")));
            }
            SchemaOutcome::NotChecked { .. } => {
                outcome = outcome.worst(Outcome::NotChecked);
                let why = fetched
                    .failures
                    .get(id)
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                details.push(format!("schema {id} is not available here{why}"));
            }
            SchemaOutcome::UnsupportedType { schema_type } => {
                outcome = outcome.worst(Outcome::NotChecked);
                details.push(format!(
                    "schema {id} has type {schema_type:?}, which is not supported"
                ));
            }
        }
    }
    let message = match outcome {
        Outcome::Pass => "The credential matches every JSON Schema it names.",
        Outcome::Fail => "The credential does not match a JSON Schema it names.",
        _ => "Not every JSON Schema the credential names could be checked.",
    };
    Check {
        id: "json_schema",
        outcome,
        message: message.into(),
        details,
        required: false,
    }
}

fn validity_check(doc: &Value, now: DateTime<Utc>) -> Check {
    let from_key = if doc.get("validFrom").is_some() {
        "validFrom"
    } else {
        "issuanceDate"
    };
    let until_key = if doc.get("validUntil").is_some() {
        "validUntil"
    } else {
        "expirationDate"
    };
    let read = |key: &str| -> Result<Option<DateTime<Utc>>, String> {
        match doc.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => model::parse_date_time_stamp(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|e| format!("{key}: {e}")),
            Some(_) => Err(format!("{key} must be a date-time string")),
        }
    };
    let (from, until) = match (read(from_key), read(until_key)) {
        (Ok(f), Ok(u)) => (f, u),
        (Err(e), _) | (_, Err(e)) => {
            return fail(
                "validity_period",
                "The credential's validity dates cannot be read.",
                vec![e],
                true,
            )
        }
    };
    let fmt = |d: DateTime<Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if let Some(from) = from {
        if now < from {
            return fail(
                "validity_period",
                &format!(
                    "The credential is not valid yet: it becomes valid on {}.",
                    fmt(from)
                ),
                vec![format!("{from_key} {}", fmt(from))],
                true,
            );
        }
    }
    if let Some(until) = until {
        if now > until {
            return fail(
                "validity_period",
                &format!("The credential expired on {}.", fmt(until)),
                vec![format!("{until_key} {}", fmt(until))],
                true,
            );
        }
    }
    let mut details = Vec::new();
    if let Some(from) = from {
        details.push(format!("valid from {}", fmt(from)));
    }
    match until {
        Some(until) => details.push(format!("valid until {}", fmt(until))),
        None => details.push("no expiry date".into()),
    }
    pass(
        "validity_period",
        "The credential is within its validity period.",
        details,
        true,
    )
}

fn status_check(doc: &Value, fetched: &Fetched, now: DateTime<Utc>) -> Check {
    if doc.get("credentialStatus").is_none() {
        return Check {
            id: "status",
            outcome: Outcome::NotChecked,
            message: "The issuer gave no way to revoke this credential (no credentialStatus)."
                .into(),
            details: vec![],
            required: false,
        };
    }
    let entries = match status::parse_status_entries(doc) {
        Ok(entries) => entries,
        Err(e) => {
            return fail(
                "status",
                "The credential's status entry cannot be read.",
                vec![e.to_string()],
                true,
            )
        }
    };
    let issuer = issuer_id(doc);
    let mut outcome = Outcome::Pass;
    let mut details = Vec::new();
    let mut invalidating: Vec<String> = Vec::new();
    for entry in &entries {
        let url = entry.list_url().to_owned();
        let Some(list) = fetched.status_lists.get(&url) else {
            outcome = outcome.worst(Outcome::NotChecked);
            let why = fetched
                .failures
                .get(&url)
                .cloned()
                .unwrap_or_else(|| "it was not fetched".into());
            details.push(format!("status list {url} could not be read: {why}"));
            continue;
        };
        // The list must itself be genuine: signed by the credential's issuer, and current.
        if let Err(problem) =
            check_status_list_credential(&list.document, issuer.as_deref(), fetched, now)
        {
            let (o, text) = problem;
            outcome = outcome.worst(o);
            details.push(format!("status list {url}: {text}"));
            continue;
        }
        match status::check_entry(entry, &list.document) {
            Ok(result) => {
                let purpose = result.purpose.as_str().to_owned();
                if result.is_invalidating() {
                    outcome = outcome.worst(Outcome::Fail);
                    invalidating.push(result.meaning.clone());
                } else if purpose == "message" && result.value != 0 {
                    outcome = outcome.worst(Outcome::Warning);
                }
                let mut line = format!(
                    "{purpose}: {} ({}; {})",
                    result.meaning, url, list.provenance
                );
                if let Some(index) = result.index {
                    line.push_str(&format!(", index {index}"));
                }
                details.push(line);
                if let Some(id) = &result.list_id_mismatch {
                    outcome = outcome.worst(Outcome::Warning);
                    details.push(format!("the list fetched from {url} calls itself {id}"));
                }
            }
            Err(e) => {
                outcome = outcome.worst(Outcome::Fail);
                details.push(format!("status list {url}: {e}"));
            }
        }
        if let StatusEntry::OneEdTechRevocationList(_) = entry {
            details.push("1EdTechRevocationList (1EdTech's own revocation format)".into());
        }
    }
    let message = match outcome {
        Outcome::Pass => "The issuer has not revoked or suspended this credential.".to_owned(),
        Outcome::Fail if !invalidating.is_empty() => {
            format!(
                "The issuer has {} this credential.",
                invalidating.join(" and ")
            )
        }
        Outcome::Fail => "The credential's status list is not trustworthy.".to_owned(),
        Outcome::Warning => "The status list carries a message about this credential.".to_owned(),
        Outcome::NotChecked => {
            "Could not check whether the issuer revoked this credential.".to_owned()
        }
    };
    Check {
        id: "status",
        outcome,
        message,
        details,
        required: true,
    }
}

/// Checks a status list credential's own proof, issuer and validity period.
fn check_status_list_credential(
    list: &Value,
    credential_issuer: Option<&str>,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> Result<(), (Outcome, String)> {
    // 1EdTechRevocationList documents are plain JSON, not credentials: nothing to check here.
    if !has_type(list, "VerifiableCredential") {
        return Ok(());
    }
    let list_issuer = issuer_id(list);
    if let (Some(expected), Some(found)) = (credential_issuer, list_issuer.as_deref()) {
        if expected != found {
            return Err((
                Outcome::Fail,
                format!("it was issued by {found}, not by the credential's issuer {expected}"),
            ));
        }
    }
    let signature = data_integrity_checks(
        list,
        proof::proofs(list),
        fetched,
        Relationship::AssertionMethod,
        list_issuer.as_deref(),
        None,
    );
    for check in [&signature.proof, &signature.key] {
        match check.outcome {
            Outcome::Fail => {
                return Err((
                    Outcome::Fail,
                    format!("its signature does not hold ({})", check.details.join("; ")),
                ))
            }
            Outcome::NotChecked => {
                return Err((
                    Outcome::NotChecked,
                    format!(
                        "its signature could not be checked ({})",
                        check.details.join("; ")
                    ),
                ))
            }
            _ => {}
        }
    }
    let validity = validity_check(list, now);
    if validity.outcome == Outcome::Fail {
        return Err((
            Outcome::NotChecked,
            format!("the list is out of date: {}", validity.message),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn pass(id: &'static str, message: &str, details: Vec<String>, required: bool) -> Check {
    Check {
        id,
        outcome: Outcome::Pass,
        message: message.to_owned(),
        details,
        required,
    }
}

fn fail(id: &'static str, message: &str, details: Vec<String>, required: bool) -> Check {
    Check {
        id,
        outcome: Outcome::Fail,
        message: message.to_owned(),
        details,
        required,
    }
}

fn not_checked(id: &'static str, message: &str, details: Vec<String>, required: bool) -> Check {
    Check {
        id,
        outcome: Outcome::NotChecked,
        message: message.to_owned(),
        details,
        required,
    }
}

fn has_type(doc: &Value, wanted: &str) -> bool {
    match doc.get("type") {
        Some(Value::String(t)) => t == wanted,
        Some(Value::Array(items)) => items.iter().any(|t| t.as_str() == Some(wanted)),
        _ => false,
    }
}

/// The issuer's id: `issuer` as a string, or `issuer.id`.
pub fn issuer_id(doc: &Value) -> Option<String> {
    match doc.get("issuer")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}
