//! The strict data-model check a verifier runs before anything else: VC Data Model 2.0 (and
//! 1.1) rules for every credential, plus the Open Badges 3.0 shape for OB credentials.
//!
//! Parse, don't validate: [`check_credential`] turns an untrusted [`Value`] into a typed
//! [`CredentialModel`] — what a verifier page shows — or returns *all* the [`ModelViolation`]s it
//! found, each with the JSON path of the offending value (`credentialSubject.achievement.type`,
//! `evidence[1].type`) and the rule as a report message (a `model.rule.*` code with its
//! arguments, so a verifier can show it in the viewer's language).
//!
//! What this check cannot see: errors that only appear when JSON-LD is processed (a type that no
//! context maps to a URL, a context redefining a protected term). Those are the JSON-LD
//! processor's to catch ([`crate::jsonld`], safe mode). Validity *at a given time* is not checked
//! here either: there is no clock in the core; [`crate::verify`] compares the dates with `now`.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::input::json_type_name;
use crate::model::identity::IdentityObject;
use crate::model::{Iri, VcVersion};
use crate::verify::{Arg, ArgKind, Message, MessageCode as C};

/// How deep endorsements may nest inside endorsements before the check gives up.
mod credential;
mod open_badges;
mod presentation;
mod values;

const MAX_ENDORSEMENT_DEPTH: usize = 4;

/// One broken rule: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ModelViolation {
    /// JSON path of the offending value, e.g. `credentialSubject.achievement.type` or
    /// `evidence[1].type`; empty for the document itself.
    pub path: String,
    /// The rule, as a report message (a `model.rule.*` code): what was expected. Its first
    /// argument is `path` (`(document)` for the document itself), so the message alone is the
    /// whole sentence, in English or in a catalogue's language.
    pub rule: Message,
    /// Whether the rule is one of Open Badges 3.0 (true) or of the VC Data Model (false).
    pub open_badges: bool,
}

impl fmt::Display for ModelViolation {
    /// `path: rule`, or `(document): rule` for the document itself (the rule's English text).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rule.english())
    }
}

/// What kind of credential the document declares itself to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum CredentialKind {
    /// `OpenBadgeCredential` / `AchievementCredential`.
    OpenBadge,
    /// `EndorsementCredential`.
    Endorsement,
    /// Any other verifiable credential (no OB shape to check).
    Other,
}

/// An image reference (`{id, type: "Image", caption?}` in OB 3.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// The image URL (possibly a `data:` URL).
    pub id: Iri,
    /// Alternative text.
    pub caption: Option<String>,
}

/// Who issued the credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuerSummary {
    /// The issuer's id: the DID or URL that signs.
    pub id: Iri,
    /// Its display name, when the issuer is given as an object.
    pub name: Option<String>,
    /// Its web site.
    pub url: Option<Iri>,
    /// Its logo.
    pub image: Option<ImageRef>,
}

/// The achievement an Open Badge attests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AchievementSummary {
    pub id: Iri,
    pub name: String,
    pub description: String,
    pub criteria_id: Option<Iri>,
    pub criteria_narrative: Option<String>,
    pub image: Option<ImageRef>,
    /// `Course`, `Badge`, `MicroCredential`, …
    pub achievement_type: Option<String>,
    pub credits_available: Option<f64>,
    /// Number of alignments to competency frameworks.
    pub alignment_count: usize,
}

/// An endorsement's subject and comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndorsementSummary {
    /// What is endorsed (a profile, an achievement or a credential).
    pub subject_id: Iri,
    pub comment: Option<String>,
}

/// Who the credential is about: one per `credentialSubject` (an Open Badge has exactly one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The subject's id (usually a DID), if given.
    pub id: Option<Iri>,
    /// A `name` given as a plain string in the subject, if any.
    pub name: Option<String>,
    /// OB 3.0 identity objects (e.g. a hashed email), if any.
    pub identifiers: Vec<IdentityObject>,
}

/// A `credentialSchema` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialSchemaRef {
    pub id: Iri,
    /// The first (normally only) `type`, e.g. `1EdTechJsonSchemaValidator2019` or `JsonSchema`.
    pub schema_type: String,
}

/// A credential that passed the data-model check, parsed: what a verifier page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialModel {
    pub version: VcVersion,
    pub kind: CredentialKind,
    pub types: Vec<String>,
    pub id: Option<Iri>,
    pub issuer: IssuerSummary,
    pub name: Option<String>,
    pub description: Option<String>,
    pub image: Option<ImageRef>,
    /// `validFrom` (VCDM 2.0) or `issuanceDate` (VCDM 1.1).
    pub valid_from: Option<DateTime<FixedOffset>>,
    /// `validUntil` (VCDM 2.0) or `expirationDate` (VCDM 1.1).
    pub valid_until: Option<DateTime<FixedOffset>>,
    /// OB 3.0 `awardedDate`.
    pub awarded_date: Option<DateTime<FixedOffset>>,
    pub achievement: Option<AchievementSummary>,
    pub endorsement: Option<EndorsementSummary>,
    pub recipients: Vec<Recipient>,
    pub credential_schemas: Vec<CredentialSchemaRef>,
    /// The `credentialStatus` entries exactly as written (the status module interprets them).
    pub credential_status: Vec<Value>,
    pub evidence_count: usize,
    pub proof_count: usize,
}

/// A credential inside a presentation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub enum PresentedCredential {
    /// A credential with an embedded proof; it passed the data-model check too.
    Embedded(Box<CredentialModel>),
    /// A compact JWS (VC-JWT / VC-JOSE), as VCDM 1.1 presentations carry them.
    CompactJws(String),
    /// A VCDM 2.0 `EnvelopedVerifiableCredential`; `id` is its `data:` URL.
    Enveloped { id: String },
}

/// A presentation that passed the data-model check, parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresentationModel {
    pub version: VcVersion,
    pub types: Vec<String>,
    pub id: Option<Iri>,
    pub holder: Option<Iri>,
    pub credentials: Vec<PresentedCredential>,
    pub proof_count: usize,
}

/// Checks a credential against the VC Data Model (2.0, or 1.1 when its first context says so)
/// and, for Open Badges and endorsements, the OB 3.0 data model. Returns the parsed credential,
/// or every violation found.
pub fn check_credential(doc: &Value) -> Result<CredentialModel, Vec<ModelViolation>> {
    let mut checker = Checker::default();
    let model = checker.credential(doc, "", 0);
    checker.finish(model)
}

/// Checks a presentation (`VerifiablePresentation`, `holder`, `verifiableCredential`), including
/// every embedded credential, whose violations are reported under `verifiableCredential[i]`.
pub fn check_presentation(doc: &Value) -> Result<PresentationModel, Vec<ModelViolation>> {
    let mut checker = Checker::default();
    let model = checker.presentation(doc);
    checker.finish(model)
}

fn key(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

fn index(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
}

/// A value that may be one item or a list of items, with each item's path.
fn items<'a>(value: &'a Value, path: &str) -> Vec<(String, &'a Value)> {
    match value {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (index(path, i), v))
            .collect(),
        other => vec![(path.to_owned(), other)],
    }
}

fn includes(types: &Option<Vec<String>>, wanted: &str) -> bool {
    types
        .as_ref()
        .is_some_and(|list| list.iter().any(|t| t == wanted))
}

fn is_compact_jws(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[2].is_empty()
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[derive(Default)]
struct Checker {
    violations: Vec<ModelViolation>,
    /// Set while checking rules that Open Badges 3.0 adds to the VC Data Model.
    ob_scope: bool,
}

impl Checker {
    /// Records a broken rule at `path`; the rule's `path` argument is added here.
    fn fail(&mut self, path: &str, mut rule: Message) {
        let shown = if path.is_empty() { "(document)" } else { path };
        rule.args.insert(
            0,
            Arg {
                name: "path",
                value: shown.to_owned(),
                kind: ArgKind::Identifier,
            },
        );
        self.violations.push(ModelViolation {
            path: path.to_owned(),
            rule,
            open_badges: self.ob_scope,
        });
    }

    /// Runs `f` with violations attributed to Open Badges 3.0.
    fn in_ob_scope<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.ob_scope, true);
        let result = f(self);
        self.ob_scope = outer;
        result
    }

    fn finish<T>(mut self, model: Option<T>) -> Result<T, Vec<ModelViolation>> {
        match model {
            Some(model) if self.violations.is_empty() => Ok(model),
            Some(_) => Err(self.violations),
            None => {
                if self.violations.is_empty() {
                    // Every path that yields no model records why; this keeps a silent gap
                    // from ever reading as a pass.
                    self.fail("", Message::new(C::ModelRuleUnreadable));
                }
                Err(self.violations)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum IdRule {
    Required,
    Optional,
}

struct TypedEntry<'a> {
    value: &'a Value,
    types: Option<Vec<String>>,
    id: Option<Iri>,
}

/// A JSON value's type, and the value itself when it is short and scalar.
fn describe(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.is_empty() => "an empty string".to_owned(),
        Value::Array(list) if list.is_empty() => "an empty list".to_owned(),
        other => json_type_name(other).to_owned(),
    }
}

/// Who a subject is, parsed leniently: violations in these fields are reported by the checks.
fn recipient(subject: &Map<String, Value>) -> Recipient {
    let id = subject
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Iri::parse(s).ok());
    let name = subject
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let identifiers = subject
        .get("identifier")
        .map(|v| items(v, ""))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(_, item)| identity_object(item))
        .collect();
    Recipient {
        id,
        name,
        identifiers,
    }
}

fn identity_object(value: &Value) -> Option<IdentityObject> {
    let obj = value.as_object()?;
    Some(IdentityObject::new(
        obj.get("hashed")?.as_bool()?,
        obj.get("identityHash")?.as_str()?,
        obj.get("identityType")?.as_str()?,
        obj.get("salt").and_then(Value::as_str).map(str::to_owned),
    ))
}
