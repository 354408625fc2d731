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

use chrono::{DateTime, FixedOffset, Utc};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::Value;

use crate::did::{self, FetchedDocuments, KeyReference, Relationship, ResolvedKey, ResolvedVia};
use crate::input::{self, InputError, InputLimits};
use crate::jose::{self, ParsedJws, VcForm};
use crate::jsonld::{self, JsonLdError};
use crate::model::{self, has_type, CredentialKind, CredentialModel, VcVersion};
use crate::proof::{self, ParsedProof, ProofError, Suite};
use crate::schema::{SchemaOutcome, SchemaSet};
use crate::status::{self, StatusEntry};
use crate::trust::{TrustDecision, TrustRegistries};

mod messages;
mod recognise;

pub use messages::{placeholders, Arg, ArgKind, Message, MessageCode, MESSAGE_CODES};
pub use recognise::{
    image_kind, recognise, recognise_fetched, Form, ImageKind, RecogniseError, Recognised,
    Recovered, MAX_INPUT_BYTES,
};

use MessageCode as C;

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
///
/// Its JSON form keeps the English text under `message` and `details` and adds the stable
/// `code` and `args` of the message, and `detail_codes` (one `{code, args}` per detail, in the
/// same order), so a client can show every sentence in its own language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable identifier: `proof`, `verification_method`, `json_ld`, `data_model`,
    /// `open_badges`, `json_schema`, `validity_period`, `status`, `challenge`, `credentials`,
    /// `holder_binding` (a credential inside a presentation), `issuer_recognised`.
    pub id: &'static str,
    pub outcome: Outcome,
    /// One plain-language sentence (`message.english()` is the English text).
    pub message: Message,
    /// Supporting facts, one per line.
    pub details: Vec<Message>,
    /// Whether the verdict requires this check to pass (a `not_checked` here means incomplete).
    pub required: bool,
}

impl Check {
    /// A check with its outcome, message, details and whether it is required.
    pub fn new(
        id: &'static str,
        outcome: Outcome,
        message: Message,
        details: Vec<Message>,
        required: bool,
    ) -> Self {
        Self {
            id,
            outcome,
            message,
            details,
            required,
        }
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.details.is_empty() { 6 } else { 8 };
        let mut out = serializer.serialize_struct("Check", fields)?;
        out.serialize_field("id", self.id)?;
        out.serialize_field("outcome", &self.outcome)?;
        out.serialize_field("message", &self.message.english())?;
        out.serialize_field("code", &self.message.code)?;
        out.serialize_field("args", &messages::ArgsMap(&self.message.args))?;
        if !self.details.is_empty() {
            let english: Vec<String> = self.details.iter().map(Message::english).collect();
            out.serialize_field("details", &english)?;
            out.serialize_field("detail_codes", &self.details)?;
        }
        out.serialize_field("required", &self.required)?;
        out.end()
    }
}

/// Every message of a report, nested credential reports included: each check's message and
/// details.
pub fn report_messages(report: &Report) -> Vec<&Message> {
    let mut all = Vec::new();
    for check in &report.checks {
        all.push(&check.message);
        all.extend(check.details.iter());
    }
    for inner in &report.credentials {
        all.extend(report_messages(inner));
    }
    all
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
    /// The dates to show for a credential ([`card_dates`]); absent for a presentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dates: Option<CardDates>,
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
        let dates = report.dates.clone().unwrap_or_default();
        for (label, value) in display_lines(summary, &dates) {
            writeln!(f, "{pad}  {label:<12} {}", terminal_safe(&value))?;
        }
    }
    writeln!(f)?;
    for check in &report.checks {
        writeln!(
            f,
            "{pad}  [{:<11}] {:<20} {}",
            check.outcome.label(),
            check.id,
            terminal_safe(&check.message.english())
        )?;
        for detail in &check.details {
            let detail = terminal_safe(&detail.english());
            writeln!(f, "{pad}  {:<14}{:<20}   · {detail}", "", "")?;
        }
    }
    for (n, credential) in report.credentials.iter().enumerate() {
        writeln!(f, "\n{pad}  Credential {} in the presentation:", n + 1)?;
        render(credential, f, indent + 4)?;
    }
    Ok(())
}

/// Text for a terminal: control characters (escape sequences, carriage returns, line breaks)
/// and bidirectional overrides, which a credential could use to rewrite what the reader sees,
/// are shown as `\u{..}` escapes.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The lines of a badge card, for terminals.
fn display_lines(model: &CredentialModel, dates: &CardDates) -> Vec<(&'static str, String)> {
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
    if let Some(issued) = &dates.issued {
        lines.push(("Issued", issued.format("%Y-%m-%d").to_string()));
    }
    if let Some(signed) = &dates.signed {
        lines.push(("Signed", signed.format("%Y-%m-%d %H:%M:%S %:z").to_string()));
    }
    if let Some(until) = &model.valid_until {
        lines.push(("Expires", until.format("%Y-%m-%d").to_string()));
    }
    lines
}

/// Where a credential's "Issued" date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IssuedFrom {
    /// OB 3.0 `awardedDate`: when the achievement was awarded.
    #[serde(rename = "awardedDate")]
    AwardedDate,
    /// VCDM 2.0 `validFrom`.
    #[serde(rename = "validFrom")]
    ValidFrom,
    /// VCDM 1.1 `issuanceDate`.
    #[serde(rename = "issuanceDate")]
    IssuanceDate,
}

/// The dates a badge card shows. Every front end (the verifier's terminal report and page, the
/// wallet's `show` and `list`) takes them from here, so they agree on which date is which.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CardDates {
    /// "Issued": the award date — `awardedDate`, else `validFrom`, else `issuanceDate`.
    pub issued: Option<DateTime<FixedOffset>>,
    pub issued_from: Option<IssuedFrom>,
    /// "Signed": the (first) proof's `created`, or the JWS `iat` claim.
    pub signed: Option<DateTime<FixedOffset>>,
}

/// The [`CardDates`] of a presented credential (all `None` for a presentation, and for a date
/// that is not an RFC 3339 date-time with a time zone: the data-model check reports those).
pub fn card_dates(presented: &Presented) -> CardDates {
    match presented {
        Presented::Credential(doc) => credential_dates(doc, proof_created(doc)),
        Presented::Jws(jws) => jws_dates(jws),
        Presented::Presentation(_) => CardDates::default(),
    }
}

fn jws_dates(jws: &JwsCredential) -> CardDates {
    let iat = jws
        .parsed
        .payload
        .get("iat")
        .or_else(|| jws.parsed.header.get("iat"))
        .and_then(Value::as_i64)
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .map(|t| t.fixed_offset());
    match &jws.credential {
        Some(credential) => credential_dates(credential, iat),
        None => CardDates {
            signed: iat,
            ..CardDates::default()
        },
    }
}

/// The `created` of a document's (first) proof.
fn proof_created(doc: &Value) -> Option<DateTime<FixedOffset>> {
    doc.get("proof")
        .and_then(|p| match p {
            Value::Array(list) => list.first(),
            other => Some(other),
        })
        .and_then(|p| p.get("created"))
        .and_then(date_value)
}

fn credential_dates(credential: &Value, signed: Option<DateTime<FixedOffset>>) -> CardDates {
    let (issued, issued_from) = [
        ("awardedDate", IssuedFrom::AwardedDate),
        ("validFrom", IssuedFrom::ValidFrom),
        ("issuanceDate", IssuedFrom::IssuanceDate),
    ]
    .into_iter()
    .find_map(|(name, from)| {
        credential
            .get(name)
            .and_then(date_value)
            .map(|d| (Some(d), Some(from)))
    })
    .unwrap_or((None, None));
    CardDates {
        issued,
        issued_from,
        signed,
    }
}

fn date_value(value: &Value) -> Option<DateTime<FixedOffset>> {
    value
        .as_str()
        .and_then(|s| model::parse_date_time_stamp(s).ok())
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
        Message::new(C::TrustDetailNoRegistry)
    } else {
        Message::new(C::TrustDetailConsulted).text("registries", trust.registry_names().join(", "))
    };
    let check = match trust.decide(issuer, now) {
        TrustDecision::Recognised(listings) => {
            let by: Vec<String> = listings.iter().map(|l| l.registry.clone()).collect();
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
            pass(
                "issuer_recognised",
                Message::new(C::TrustRecognised).text("registries", by.join(", ")),
                details,
                false,
            )
        }
        TrustDecision::NotCurrent(listings) => Check::new(
            "issuer_recognised",
            Outcome::Warning,
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
        TrustDecision::Unknown => Check::new(
            "issuer_recognised",
            Outcome::Warning,
            Message::new(C::TrustUnknown),
            vec![
                Message::new(C::TrustDetailIssuer).id("issuer", issuer),
                registries,
            ],
            false,
        ),
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
        dates: None,
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
        Signer::Issuer,
    );
    report.checks.push(signature.proof);
    report.checks.push(signature.key);
    report.checks.push(json_ld_check(doc, signature.json_ld));
    credential_content_checks(doc, fetched, now, &mut report);
    report.dates = Some(credential_dates(doc, proof_created(doc)));
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
            Message::new(C::DataModelJwtClaims),
            jws.claims_error
                .iter()
                .map(|e| Message::new(C::DataModelDetailJwtClaims).raw("error", e))
                .collect(),
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
            check
                .details
                .push(Message::new(C::ProofDetailJwsEmbeddedProofsIgnored));
        }
    }
    credential_content_checks(credential, fetched, now, &mut report);
    report.dates = Some(jws_dates(jws));
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
    report.checks.push(signature.proof);
    report.checks.push(signature.key);
    report.checks.push(json_ld_check(doc, signature.json_ld));
    report.checks.push(challenge_check);
    match model::check_presentation(doc) {
        Ok(_) => report.checks.push(pass(
            "data_model",
            Message::new(C::DataModelPresentationValid),
            vec![],
            true,
        )),
        Err(violations) => report.checks.push(fail(
            "data_model",
            Message::new(C::DataModelPresentationInvalid),
            violations.iter().map(violation_detail).collect(),
            true,
        )),
    }
    let embedded = embedded_credentials(doc);
    for item in &embedded {
        let inner = match item {
            Embedded::Json(value) => with_holder_binding(
                check_json_credential(value, fetched, now),
                value,
                &presenters,
            ),
            Embedded::Jws(text) => match parse_jws(text) {
                Ok(Presented::Jws(jws)) => {
                    let report = check_jws_credential(&jws, fetched, now);
                    match &jws.credential {
                        Some(credential) => with_holder_binding(report, credential, &presenters),
                        None => report,
                    }
                }
                Ok(_) => unreachable_report(now),
                Err(e) => {
                    let mut r =
                        new_report(DocumentKind::Credential, SecuringMechanism::VcJose, now);
                    r.checks.push(fail(
                        "proof",
                        Message::new(C::ProofEmbeddedJwsUnreadable),
                        vec![Message::new(C::ProofDetailError).raw("error", e)],
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
            Message::new(C::CredentialsFailed)
                .number("failed", failed)
                .number("total", total),
            vec![],
            true,
        )
    } else if incomplete > 0 {
        not_checked(
            "credentials",
            Message::new(C::CredentialsIncomplete)
                .number("incomplete", incomplete)
                .number("total", total),
            vec![],
            true,
        )
    } else if total == 0 {
        Check::new(
            "credentials",
            Outcome::Warning,
            Message::new(C::CredentialsNone),
            vec![],
            false,
        )
    } else {
        pass(
            "credentials",
            Message::new(C::CredentialsAllVerified).number("total", total),
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
        Message::new(C::ProofEmbeddedUnreadable),
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
pub fn enveloped_jws(id: &str) -> Option<&str> {
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

/// The `proof` and `verification_method` checks, and what canonicalization learnt about the
/// document's JSON-LD (`None` when no RDFC proof got that far).
struct SignatureChecks {
    proof: Check,
    key: Check,
    json_ld: Option<Result<(), JsonLdError>>,
}

/// Whose signature a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signer {
    Issuer,
    Holder,
}

impl Signer {
    fn proof_message(self, outcome: Outcome) -> Message {
        Message::new(match (outcome, self) {
            (Outcome::Pass, Signer::Issuer) => C::ProofValidIssuer,
            (Outcome::Pass, Signer::Holder) => C::ProofValidHolder,
            (Outcome::Warning, Signer::Issuer) => C::ProofCaveatIssuer,
            (Outcome::Warning, Signer::Holder) => C::ProofCaveatHolder,
            (Outcome::Fail, _) => C::ProofInvalid,
            (Outcome::NotChecked, _) => C::ProofNotChecked,
        })
    }

    fn key_message(self, outcome: Outcome) -> Message {
        Message::new(match (outcome, self) {
            (Outcome::Pass, Signer::Issuer) => C::KeyValidIssuer,
            (Outcome::Pass, Signer::Holder) => C::KeyValidHolder,
            (Outcome::Warning, Signer::Issuer) => C::KeyUnvouchedIssuer,
            (Outcome::Warning, Signer::Holder) => C::KeyUnvouchedHolder,
            (Outcome::Fail, Signer::Issuer) => C::KeyWrongIssuer,
            (Outcome::Fail, Signer::Holder) => C::KeyWrongHolder,
            (Outcome::NotChecked, _) => C::KeyNotChecked,
        })
    }
}

/// Checks every Data Integrity proof of `doc`.
fn data_integrity_checks(
    doc: &Value,
    proofs: Result<Vec<ParsedProof>, ProofError>,
    fetched: &Fetched,
    relationship: Relationship,
    expected_controller: Option<&str>,
    signer: Signer,
) -> SignatureChecks {
    let proofs = match proofs {
        Ok(proofs) => proofs,
        Err(e) => {
            return SignatureChecks {
                proof: fail(
                    "proof",
                    Message::new(C::ProofUnreadable),
                    vec![Message::new(C::ProofDetailError).raw("error", e)],
                    true,
                ),
                key: not_checked(
                    "verification_method",
                    Message::new(C::KeyProofUnreadable),
                    vec![],
                    true,
                ),
                json_ld: None,
            }
        }
    };
    if proofs.is_empty() {
        return SignatureChecks {
            proof: fail("proof", Message::new(C::ProofMissing), vec![], true),
            key: not_checked(
                "verification_method",
                Message::new(C::KeyNoProof),
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
    let mut json_ld: Option<Result<(), JsonLdError>> = None;
    for (n, parsed) in proofs.iter().enumerate() {
        let label = |message: Message| {
            if several {
                message.about_proof(n + 1)
            } else {
                message
            }
        };
        let suite = parsed.suite.to_string();
        // The suite must be one we know.
        if let Suite::Unsupported { .. } = &parsed.suite {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            proof_details.push(label(
                Message::new(C::ProofDetailUnsupportedSuite)
                    .id("path", &parsed.path)
                    .id("suite", &suite),
            ));
            continue;
        }
        // Purpose.
        let expected_purpose = relationship.as_str();
        if parsed.proof_purpose.as_deref() != Some(expected_purpose) {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            proof_details.push(label(
                Message::new(C::ProofDetailWrongPurpose)
                    .id(
                        "found",
                        parsed.proof_purpose.as_deref().unwrap_or("(missing)"),
                    )
                    .id("expected", expected_purpose),
            ));
            continue;
        }
        // A challenge or domain that is not this verifier's is the `challenge` check's
        // finding: the signature itself may well hold.
        // Key.
        let Some(vm) = parsed.verification_method.as_deref() else {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            key_outcome = key_outcome.worst(Outcome::Fail);
            key_details.push(label(Message::new(C::KeyDetailNoVerificationMethod)));
            continue;
        };
        let key = match resolve_key(vm, fetched, relationship, expected_controller) {
            KeyLookup::Found { key, outcome, note } => {
                key_outcome = key_outcome.worst(outcome);
                key_details.push(label(note));
                key
            }
            KeyLookup::Failed { outcome, reason } => {
                key_outcome = key_outcome.worst(outcome);
                key_details.push(label(reason));
                proof_outcome = proof_outcome.worst(if outcome == Outcome::Fail {
                    Outcome::Fail
                } else {
                    Outcome::NotChecked
                });
                proof_details.push(label(
                    Message::new(C::ProofDetailKeyUnavailable).id("suite", &suite),
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
                let code = if verified.legacy {
                    proof_outcome = proof_outcome.worst(Outcome::Warning);
                    C::ProofDetailValidLegacy
                } else if verified.utf16_order {
                    proof_outcome = proof_outcome.worst(Outcome::Warning);
                    C::ProofDetailValidUtf16
                } else {
                    C::ProofDetailValid
                };
                proof_details.push(label(Message::new(code).id("suite", &suite)));
            }
            // The RDF form of a number is not agreed on: the signed data cannot be computed, and
            // that says nothing about the document (the json_ld check judges its terms).
            Err(ProofError::Document(JsonLdError::AmbiguousNumber {
                value,
                path,
                reason,
            })) if uses_rdfc => {
                proof_outcome = proof_outcome.worst(Outcome::NotChecked);
                proof_details.push(label(
                    Message::new(C::ProofDetailAmbiguousNumber)
                        .id("path", path)
                        .id("number", value)
                        .raw("reason", reason)
                        .id("suite", &suite),
                ));
            }
            Err(ProofError::Document(e)) => {
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(label(
                    Message::new(C::ProofDetailNotJsonLd).raw("error", &e),
                ));
                json_ld = Some(Err(e));
            }
            Err(ProofError::BadSignature { path }) => {
                if uses_rdfc {
                    json_ld.get_or_insert(Ok(()));
                }
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(label(
                    Message::new(C::ProofDetailSignatureMismatch)
                        .id("path", path)
                        .id("suite", &suite),
                ));
            }
            Err(e) => {
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(label(Message::new(C::ProofDetailError).raw("error", e)));
            }
        }
    }
    SignatureChecks {
        proof: Check::new(
            "proof",
            proof_outcome,
            signer.proof_message(proof_outcome),
            proof_details,
            true,
        ),
        key: Check::new(
            "verification_method",
            key_outcome,
            signer.key_message(key_outcome),
            key_details,
            true,
        ),
        json_ld,
    }
}

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
fn challenge_check(proofs: &[ParsedProof], options: &CheckOptions) -> Check {
    let problems: Vec<Message> = proofs
        .iter()
        .filter_map(|p| challenge_problem(p, options))
        .collect();
    if !problems.is_empty() || (proofs.is_empty() && options.challenge.is_some()) {
        return fail(
            "challenge",
            Message::new(C::ChallengeInvalid),
            problems,
            true,
        );
    }
    if options.challenge.is_some() {
        return pass("challenge", Message::new(C::ChallengeValid), vec![], true);
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
        Check::new(
            "challenge",
            Outcome::Warning,
            Message::new(C::ChallengeNotRequired),
            details,
            false,
        )
    } else {
        not_checked(
            "challenge",
            Message::new(C::ChallengeNotGiven),
            details,
            true,
        )
    }
}

/// The DIDs whose keys signed a presentation's proofs (the verification methods without their
/// fragments).
fn presenters(proofs: &[ParsedProof]) -> Vec<String> {
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
fn with_holder_binding(mut report: Report, credential: &Value, presenters: &[String]) -> Report {
    report
        .checks
        .push(holder_binding_check(credential, presenters));
    report.finish()
}

/// Whether the credential's subject is the one who signed the presentation (`presenters`,
/// empty when the presentation's signature or key did not hold): `pass` when every subject's
/// `id` is a presenter; `fail` when a subject is another identifier; a warning when a subject
/// is known only by an identity (a hashed email) or not at all — anyone holding a copy could
/// have presented it.
pub fn holder_binding_check(credential: &Value, presenters: &[String]) -> Check {
    const ID: &str = "holder_binding";
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

enum KeyLookup {
    Found {
        key: Box<ResolvedKey>,
        outcome: Outcome,
        note: Message,
    },
    Failed {
        outcome: Outcome,
        reason: Message,
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
                reason: Message::new(C::KeyDetailInvalidReference).raw("error", e),
            }
        }
        Ok(KeyReference::Unsupported { vm, reason }) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: Message::new(C::KeyDetailUnsupported)
                    .id("method", vm)
                    .raw("reason", reason),
            }
        }
        Ok(_) => {}
    }
    let key = match did::dereference(vm, &fetched.did_documents) {
        Ok(key) => key,
        Err(did::DidError::DocumentMissing { did, url }) => {
            let reason = match fetched.failures.get(&url) {
                Some(why) => Message::new(C::KeyDetailDocumentUnavailable)
                    .id("did", did.to_string())
                    .id("url", url)
                    .raw("reason", why),
                None => Message::new(C::KeyDetailDocumentNotFetched)
                    .id("did", did.to_string())
                    .id("url", url),
            };
            return KeyLookup::Failed {
                outcome: Outcome::NotChecked,
                reason,
            };
        }
        Err(e) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: Message::new(C::KeyDetailError).raw("error", e),
            }
        }
    };
    // The key is usable, so the signature is still checked, but a key that is not the issuer's
    // (or not authorised for this purpose) fails the key check.
    if let Some(expected) = expected_controller {
        if key.controller != expected {
            let code = if relationship == Relationship::Authentication {
                C::KeyDetailWrongControllerHolder
            } else {
                C::KeyDetailWrongControllerIssuer
            };
            return KeyLookup::Found {
                note: Message::new(code)
                    .id("key", &key.id)
                    .id("controller", &key.controller)
                    .id("expected", expected),
                key: Box::new(key),
                outcome: Outcome::Fail,
            };
        }
    }
    match key.via {
        ResolvedVia::HttpsFragment => KeyLookup::Found {
            note: Message::new(C::KeyDetailUrlOnly)
                .id("key", key.public_key.to_multikey())
                .id("controller", &key.controller),
            key: Box::new(key),
            outcome: Outcome::Warning,
        },
        _ if !key.has_relationship(relationship) => KeyLookup::Found {
            note: Message::new(C::KeyDetailNotListed)
                .id("key", &key.id)
                .id("relationship", relationship.as_str())
                .id("controller", &key.controller),
            key: Box::new(key),
            outcome: Outcome::Fail,
        },
        via => KeyLookup::Found {
            note: Message::new(match via {
                ResolvedVia::DidKey => C::KeyDetailListedDidKey,
                ResolvedVia::DidWebDocument => C::KeyDetailListedDidWeb,
                _ => C::KeyDetailListed,
            })
            .id("key", &key.id)
            .id("relationship", relationship.as_str()),
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
            fail("proof", Message::new(C::ProofJwsNoKey), vec![], true),
            fail(
                "verification_method",
                Message::new(C::KeyJwsNoKey),
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
                    fail("proof", Message::new(C::ProofJwsKeyUnusable), vec![], true)
                } else {
                    not_checked(
                        "proof",
                        Message::new(C::ProofJwsKeyUnavailable),
                        vec![],
                        true,
                    )
                },
                Check::new(
                    "verification_method",
                    outcome,
                    Message::new(C::KeyUnusable),
                    vec![reason],
                    true,
                ),
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
            Message::new(C::ProofValidIssuer),
            vec![Message::new(C::ProofDetailJwsValid).id("form", form)],
            true,
        ),
        Err(e) => fail(
            "proof",
            Message::new(C::ProofInvalid),
            vec![Message::new(C::ProofDetailError).raw("error", e)],
            true,
        ),
    };
    let key_outcome_shown = match key_outcome {
        Outcome::Pass | Outcome::Fail => key_outcome,
        _ => Outcome::Warning,
    };
    let key_check = Check::new(
        "verification_method",
        key_outcome,
        Signer::Issuer.key_message(key_outcome_shown),
        vec![note],
        true,
    );
    (proof_check, key_check)
}

// ---------------------------------------------------------------------------------------------
// Content checks (shared by every securing mechanism)

/// A broken data-model rule as a detail.
fn violation_detail(violation: &model::ModelViolation) -> Message {
    // The rule is its own `model.rule.*` message with the path as its first argument, so a
    // catalogue translates the whole sentence.
    violation.rule.clone()
}

fn credential_content_checks(
    doc: &Value,
    fetched: &Fetched,
    now: DateTime<Utc>,
    report: &mut Report,
) {
    match model::check_credential(doc) {
        Ok(parsed) => {
            report.checks.push(match parsed.version {
                VcVersion::V2 => pass("data_model", Message::new(C::DataModelV2), vec![], true),
                VcVersion::V1 => Check::new(
                    "data_model",
                    Outcome::Warning,
                    Message::new(C::DataModelV1),
                    vec![],
                    true,
                ),
            });
            let profile = match parsed.kind {
                CredentialKind::OpenBadge => Some(C::OpenBadgesAchievement),
                CredentialKind::Endorsement => Some(C::OpenBadgesEndorsement),
                _ => None,
            };
            report.checks.push(match profile {
                Some(code) => pass("open_badges", Message::new(code), vec![], false),
                None => Check::new(
                    "open_badges",
                    Outcome::Warning,
                    Message::new(C::OpenBadgesNotABadge),
                    vec![],
                    false,
                ),
            });
            report.summary = Some(parsed);
        }
        Err(violations) => {
            let (ob, vc): (Vec<_>, Vec<_>) = violations.iter().partition(|v| v.open_badges);
            if vc.is_empty() {
                report.checks.push(pass(
                    "data_model",
                    Message::new(C::DataModelValid),
                    vec![],
                    true,
                ));
            } else {
                report.checks.push(fail(
                    "data_model",
                    Message::new(C::DataModelInvalid),
                    vc.iter().map(|v| violation_detail(v)).collect(),
                    true,
                ));
            }
            if !ob.is_empty() {
                report.checks.push(fail(
                    "open_badges",
                    Message::new(C::OpenBadgesInvalid),
                    ob.iter().map(|v| violation_detail(v)).collect(),
                    true,
                ));
            }
        }
    }
    report.checks.push(schema_check(doc, fetched));
    report.checks.push(validity_check(doc, now));
    report.checks.push(status_check(doc, fetched, now));
}

/// A JSON-LD error as a detail: an undefined term names the term and where it is.
fn json_ld_detail(error: &JsonLdError) -> Message {
    match error {
        JsonLdError::UndefinedTerm { term, path } => Message::new(C::JsonLdDetailUndefinedTerm)
            .id("path", path)
            .id("term", term),
        JsonLdError::UnknownContext(e) => {
            Message::new(C::JsonLdDetailUnknownContext).raw("error", e)
        }
        other => Message::new(C::JsonLdDetailError).raw("error", other),
    }
}

/// Data Integrity "safe mode" for the whole document: every term and type must be defined by the
/// contexts, or it would be silently dropped. An RDFC signature check already established it;
/// otherwise (JCS, JOSE, unsigned, or an RDFC proof that stopped at an ambiguous number) the
/// document is expanded here, its numbers not judged: their RDF form matters only to an RDFC
/// signature, which reports it itself.
fn json_ld_check(doc: &Value, from_signature: Option<Result<(), JsonLdError>>) -> Check {
    let result = match from_signature {
        Some(result) => result,
        None => jsonld::check_terms(doc),
    };
    match result {
        Ok(()) => pass("json_ld", Message::new(C::JsonLdValid), vec![], true),
        Err(error) => fail(
            "json_ld",
            Message::new(C::JsonLdInvalid),
            vec![json_ld_detail(&error)],
            true,
        ),
    }
}

fn schema_check(doc: &Value, fetched: &Fetched) -> Check {
    let cited = crate::schema::credential_schemas(doc);
    if cited.is_empty() {
        return not_checked("json_schema", Message::new(C::SchemaNone), vec![], false);
    }
    let mut outcome = Outcome::Pass;
    let mut details = Vec::new();
    for result in fetched.schemas.check(doc) {
        let id = &result.id;
        match result.outcome {
            SchemaOutcome::Validated => {
                details.push(Message::new(C::SchemaDetailValid).id("schema", id))
            }
            SchemaOutcome::Failed(violations) => {
                outcome = outcome.worst(Outcome::Fail);
                details.extend(violations.iter().map(|v| {
                    let path = if v.instance_path.is_empty() {
                        "(document)"
                    } else {
                        v.instance_path.as_str()
                    };
                    Message::new(C::SchemaDetailViolation)
                        .id("schema", id)
                        .id("path", path)
                        .raw("error", &v.message)
                }));
            }
            SchemaOutcome::NotChecked { .. } => {
                outcome = outcome.worst(Outcome::NotChecked);
                details.push(match fetched.failures.get(id) {
                    Some(reason) => Message::new(C::SchemaDetailNotFetched)
                        .id("schema", id)
                        .raw("reason", reason),
                    None => Message::new(C::SchemaDetailNotAvailable).id("schema", id),
                });
            }
            SchemaOutcome::UnsupportedType { schema_type } => {
                outcome = outcome.worst(Outcome::NotChecked);
                details.push(
                    Message::new(C::SchemaDetailUnsupportedType)
                        .id("schema", id)
                        .id("schema_type", schema_type),
                );
            }
        }
    }
    let message = match outcome {
        Outcome::Pass => C::SchemaValid,
        Outcome::Fail => C::SchemaInvalid,
        _ => C::SchemaIncomplete,
    };
    Check::new(
        "json_schema",
        outcome,
        Message::new(message),
        details,
        false,
    )
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
    let read = |key: &'static str| -> Result<Option<DateTime<Utc>>, Message> {
        match doc.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => model::parse_date_time_stamp(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|e| {
                    Message::new(C::ValidityDetailBadDate)
                        .id("field", key)
                        .raw("error", e)
                }),
            Some(_) => Err(Message::new(C::ValidityDetailNotAString).id("field", key)),
        }
    };
    let (from, until) = match (read(from_key), read(until_key)) {
        (Ok(f), Ok(u)) => (f, u),
        (Err(e), _) | (_, Err(e)) => {
            return fail(
                "validity_period",
                Message::new(C::ValidityUnreadable),
                vec![e],
                true,
            )
        }
    };
    if let Some(from) = from {
        if now < from {
            return fail(
                "validity_period",
                Message::new(C::ValidityNotYet).date("date", from),
                vec![Message::new(C::ValidityDetailField)
                    .id("field", from_key)
                    .date("date", from)],
                true,
            );
        }
    }
    if let Some(until) = until {
        if now > until {
            return fail(
                "validity_period",
                Message::new(C::ValidityExpired).date("date", until),
                vec![Message::new(C::ValidityDetailField)
                    .id("field", until_key)
                    .date("date", until)],
                true,
            );
        }
    }
    let mut details = Vec::new();
    if let Some(from) = from {
        details.push(Message::new(C::ValidityDetailFrom).date("date", from));
    }
    details.push(match until {
        Some(until) => Message::new(C::ValidityDetailUntil).date("date", until),
        None => Message::new(C::ValidityDetailNoExpiry),
    });
    pass(
        "validity_period",
        Message::new(C::ValidityValid),
        details,
        true,
    )
}

/// The detail line of one status entry's answer.
fn status_entry_detail(result: &status::StatusOutcome, url: &str, provenance: &str) -> Message {
    use crate::status::StatusPurpose;
    let set = result.value != 0;
    let Some(index) = result.index else {
        // 1EdTechRevocationList: the list names revoked credential ids, not indices.
        let code = if set {
            C::StatusDetailRevocationListRevoked
        } else {
            C::StatusDetailRevocationListClear
        };
        return Message::new(code)
            .id("url", url)
            .raw("provenance", provenance);
    };
    let message = match (&result.purpose, set) {
        (StatusPurpose::Revocation, false) => Message::new(C::StatusDetailNotRevoked),
        (StatusPurpose::Revocation, true) => Message::new(C::StatusDetailRevoked),
        (StatusPurpose::Suspension, false) => Message::new(C::StatusDetailNotSuspended),
        (StatusPurpose::Suspension, true) => Message::new(C::StatusDetailSuspended),
        (purpose, _) => Message::new(C::StatusDetailOther)
            .id("purpose", purpose.as_str())
            .text("meaning", &result.meaning),
    };
    message
        .id("url", url)
        .raw("provenance", provenance)
        .number("index", index)
}

fn status_check(doc: &Value, fetched: &Fetched, now: DateTime<Utc>) -> Check {
    if doc.get("credentialStatus").is_none() {
        return Check::new(
            "status",
            Outcome::NotChecked,
            Message::new(C::StatusNone),
            vec![],
            false,
        );
    }
    let entries = match status::parse_status_entries(doc) {
        Ok(entries) => entries,
        Err(e) => {
            return fail(
                "status",
                Message::new(C::StatusUnreadable),
                vec![Message::new(C::StatusDetailEntryError).raw("error", e)],
                true,
            )
        }
    };
    let issuer = issuer_id(doc);
    let mut outcome = Outcome::Pass;
    let mut details = Vec::new();
    let (mut revoked, mut suspended) = (false, false);
    for entry in &entries {
        let url = entry.list_url().to_owned();
        let Some(list) = fetched.status_lists.get(&url) else {
            outcome = outcome.worst(Outcome::NotChecked);
            details.push(match fetched.failures.get(&url) {
                Some(why) => Message::new(C::StatusDetailListUnreadable)
                    .id("url", &url)
                    .raw("reason", why),
                None => Message::new(C::StatusDetailListNotFetched).id("url", &url),
            });
            continue;
        };
        // The list must itself be genuine: signed by the credential's issuer, and current.
        if let Err((o, problem)) =
            check_status_list_credential(&list.document, &url, issuer.as_deref(), fetched, now)
        {
            outcome = outcome.worst(o);
            details.extend(problem);
            continue;
        }
        match status::check_entry(entry, &list.document) {
            Ok(result) => {
                if result.is_invalidating() {
                    outcome = outcome.worst(Outcome::Fail);
                    match result.purpose {
                        status::StatusPurpose::Suspension => suspended = true,
                        _ => revoked = true,
                    }
                } else if result.purpose.as_str() == "message" && result.value != 0 {
                    outcome = outcome.worst(Outcome::Warning);
                }
                details.push(status_entry_detail(&result, &url, &list.provenance));
                if let Some(id) = &result.list_id_mismatch {
                    outcome = outcome.worst(Outcome::Warning);
                    details.push(
                        Message::new(C::StatusDetailListIdMismatch)
                            .id("url", &url)
                            .id("id", id),
                    );
                }
            }
            Err(e) => {
                outcome = outcome.worst(Outcome::Fail);
                details.push(
                    Message::new(C::StatusDetailCheckError)
                        .id("url", &url)
                        .raw("error", e),
                );
            }
        }
        if let StatusEntry::OneEdTechRevocationList(_) = entry {
            details.push(Message::new(C::StatusDetailRevocationListFormat));
        }
    }
    let message = match outcome {
        Outcome::Pass => C::StatusClear,
        Outcome::Fail => match (revoked, suspended) {
            (true, true) => C::StatusRevokedAndSuspended,
            (true, false) => C::StatusRevoked,
            (false, true) => C::StatusSuspended,
            (false, false) => C::StatusUntrustworthy,
        },
        Outcome::Warning => C::StatusMessage,
        Outcome::NotChecked => C::StatusNotChecked,
    };
    Check::new("status", outcome, Message::new(message), details, true)
}

/// Checks a status list credential's own proof, issuer and validity period; on failure, the
/// outcome and the detail lines that explain it.
fn check_status_list_credential(
    list: &Value,
    url: &str,
    credential_issuer: Option<&str>,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> Result<(), (Outcome, Vec<Message>)> {
    // 1EdTechRevocationList documents are plain JSON, not credentials: nothing to check here.
    if !has_type(list, "VerifiableCredential") {
        return Ok(());
    }
    let list_issuer = issuer_id(list);
    if let (Some(expected), Some(found)) = (credential_issuer, list_issuer.as_deref()) {
        if expected != found {
            return Err((
                Outcome::Fail,
                vec![Message::new(C::StatusDetailListWrongIssuer)
                    .id("url", url)
                    .id("found", found)
                    .id("expected", expected)],
            ));
        }
    }
    let signature = data_integrity_checks(
        list,
        proof::proofs(list),
        fetched,
        Relationship::AssertionMethod,
        list_issuer.as_deref(),
        Signer::Issuer,
    );
    for check in [&signature.proof, &signature.key] {
        let code = match check.outcome {
            Outcome::Fail => C::StatusDetailListSignatureInvalid,
            Outcome::NotChecked => C::StatusDetailListSignatureUnchecked,
            _ => continue,
        };
        let mut lines = vec![Message::new(code).id("url", url)];
        lines.extend(check.details.iter().cloned());
        return Err((check.outcome, lines));
    }
    let validity = validity_check(list, now);
    if validity.outcome == Outcome::Fail {
        return Err((
            Outcome::NotChecked,
            vec![
                Message::new(C::StatusDetailListOutOfDate).id("url", url),
                validity.message,
            ],
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn pass(id: &'static str, message: Message, details: Vec<Message>, required: bool) -> Check {
    Check::new(id, Outcome::Pass, message, details, required)
}

fn fail(id: &'static str, message: Message, details: Vec<Message>, required: bool) -> Check {
    Check::new(id, Outcome::Fail, message, details, required)
}

fn not_checked(id: &'static str, message: Message, details: Vec<Message>, required: bool) -> Check {
    Check::new(id, Outcome::NotChecked, message, details, required)
}

/// The issuer's id: `issuer` as a string, or `issuer.id`.
pub fn issuer_id(doc: &Value) -> Option<String> {
    match doc.get("issuer")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}
