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
use crate::model::datetime::{parse_date_or_date_time_stamp, parse_date_time_stamp};
use crate::model::identity::{is_identity_hash, IdentityObject};
use crate::model::{is_ob_context, Iri, VcVersion, OB_CONTEXT, VC_V1_CONTEXT, VC_V2_CONTEXT};
use crate::verify::{Arg, ArgKind, Message, MessageCode as C};

/// How deep endorsements may nest inside endorsements before the check gives up.
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

    // ----- credentials -------------------------------------------------------------------

    fn credential(&mut self, doc: &Value, base: &str, depth: usize) -> Option<CredentialModel> {
        let Some(obj) = doc.as_object() else {
            self.fail(
                base,
                Message::new(C::ModelRuleCredentialNotObject).raw("found", json_type_name(doc)),
            );
            return None;
        };
        let (version, contexts) = self.context(obj.get("@context"), &key(base, "@context"));
        let type_path = key(base, "type");
        let types = self.types(obj.get("type"), &type_path, true);
        if types.is_some() && !includes(&types, "VerifiableCredential") {
            self.fail(
                &type_path,
                Message::new(C::ModelRuleMustInclude).id("wanted", "VerifiableCredential"),
            );
        }
        let subject_path = key(base, "credentialSubject");
        let subjects = self.subjects(obj.get("credentialSubject"), &subject_path);

        let declares_achievement_subject = subjects.iter().any(|(_, s)| {
            s.get("type").is_some_and(|t| match t {
                Value::String(t) => t == "AchievementSubject",
                Value::Array(list) => list.iter().any(|t| t == "AchievementSubject"),
                _ => false,
            })
        });
        let kind = if includes(&types, "OpenBadgeCredential")
            || includes(&types, "AchievementCredential")
        {
            CredentialKind::OpenBadge
        } else if includes(&types, "EndorsementCredential") {
            CredentialKind::Endorsement
        } else if declares_achievement_subject {
            self.in_ob_scope(|checker| {
                checker.fail(
                    &type_path,
                    Message::new(C::ModelRuleAchievementSubjectNotBadge),
                )
            });
            CredentialKind::OpenBadge
        } else {
            CredentialKind::Other
        };
        let is_ob = kind != CredentialKind::Other;

        if is_ob && !contexts.iter().any(|c| is_ob_context(c)) {
            self.in_ob_scope(|checker| {
                checker.fail(
                    &key(base, "@context"),
                    Message::new(C::ModelRuleObContextMissing).id("context", OB_CONTEXT),
                )
            });
        }

        let id = if is_ob {
            self.iri_field(obj, base, "id", true)
        } else {
            self.iri_field(obj, base, "id", false)
        };
        let issuer = self.issuer(obj.get("issuer"), &key(base, "issuer"), is_ob, depth);
        let name = self.text_field(obj, base, "name", kind == CredentialKind::Endorsement);
        let description = self.text_field(obj, base, "description", false);

        // Dates: VCDM 1.1 names them issuanceDate / expirationDate, and requires the first.
        let (from_name, until_name) = match version {
            Some(VcVersion::V1) => ("issuanceDate", "expirationDate"),
            _ => ("validFrom", "validUntil"),
        };
        let from_required = version == Some(VcVersion::V1) || is_ob;
        let valid_from = self.date_field(obj, base, from_name, from_required);
        let valid_until = self.date_field(obj, base, until_name, false);
        if let (Some(from), Some(until)) = (valid_from, valid_until) {
            if until < from {
                self.fail(
                    &key(base, until_name),
                    Message::new(C::ModelRuleNotEarlierThan).id("field", from_name),
                );
            }
        }
        let awarded_date = self.date_field(obj, base, "awardedDate", false);

        let credential_status = self.typed_entries(obj, base, "credentialStatus", IdRule::Optional);
        let schemas = self.typed_entries(obj, base, "credentialSchema", IdRule::Required);
        self.typed_entries(obj, base, "refreshService", IdRule::Optional);
        self.typed_entries(obj, base, "termsOfUse", IdRule::Optional);
        let evidence = self.typed_entries(obj, base, "evidence", IdRule::Optional);
        let proof_count = self.proofs(obj, base);

        let image = if is_ob {
            obj.get("image")
                .and_then(|v| self.image(v, &key(base, "image")))
        } else {
            None
        };

        let mut achievement = None;
        let mut endorsement = None;
        let outer_scope = std::mem::replace(&mut self.ob_scope, is_ob);
        match kind {
            CredentialKind::OpenBadge => {
                for (path, item) in &evidence {
                    if !includes(&item.types, "Evidence") && item.types.is_some() {
                        self.fail(
                            &key(path, "type"),
                            Message::new(C::ModelRuleTypeEvidence).id("wanted", "Evidence"),
                        );
                    }
                }
                if matches!(obj.get("credentialSubject"), Some(Value::Array(_))) {
                    self.fail(&subject_path, Message::new(C::ModelRuleBadgeOneSubject));
                }
                for (path, subject) in &subjects {
                    let summary = self.achievement_subject(subject, path, depth);
                    if achievement.is_none() {
                        achievement = summary;
                    }
                }
                self.endorsements(obj, base, depth);
            }
            CredentialKind::Endorsement => {
                if matches!(obj.get("credentialSubject"), Some(Value::Array(_))) {
                    self.fail(
                        &subject_path,
                        Message::new(C::ModelRuleEndorsementOneSubject),
                    );
                }
                for (path, subject) in &subjects {
                    let summary = self.endorsement_subject(subject, path);
                    if endorsement.is_none() {
                        endorsement = summary;
                    }
                }
            }
            CredentialKind::Other => {}
        }
        self.ob_scope = outer_scope;

        let recipients = subjects
            .iter()
            .map(|(_, subject)| recipient(subject))
            .collect();
        let credential_schemas = schemas
            .into_iter()
            .filter_map(|(_, entry)| {
                Some(CredentialSchemaRef {
                    id: entry.id?,
                    schema_type: entry.types?.into_iter().next()?,
                })
            })
            .collect();

        Some(CredentialModel {
            version: version?,
            kind,
            types: types?,
            id,
            issuer: issuer?,
            name,
            description,
            image,
            valid_from,
            valid_until,
            awarded_date,
            achievement,
            endorsement,
            recipients,
            credential_schemas,
            credential_status: credential_status
                .into_iter()
                .map(|(_, entry)| entry.value.clone())
                .collect(),
            evidence_count: evidence.len(),
            proof_count,
        })
    }

    /// `@context`: the base context first, then URLs or inline context objects.
    fn context<'a>(
        &mut self,
        value: Option<&'a Value>,
        path: &str,
    ) -> (Option<VcVersion>, Vec<&'a str>) {
        let first = |code| {
            Message::new(code)
                .id("context", VC_V2_CONTEXT)
                .id("legacy_context", VC_V1_CONTEXT)
        };
        let base_version = |url: &str| match url {
            VC_V2_CONTEXT => Some(VcVersion::V2),
            VC_V1_CONTEXT => Some(VcVersion::V1),
            _ => None,
        };
        match value {
            None => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleContextRequired).id("context", VC_V2_CONTEXT),
                );
                (None, Vec::new())
            }
            Some(Value::String(url)) => {
                let version = base_version(url);
                if version.is_none() {
                    self.fail(path, first(C::ModelRuleContextFirst));
                }
                (version, vec![url.as_str()])
            }
            Some(Value::Array(list)) if list.is_empty() => {
                self.fail(path, first(C::ModelRuleContextEmpty));
                (None, Vec::new())
            }
            Some(Value::Array(list)) => {
                let mut urls = Vec::new();
                let version = list.first().and_then(Value::as_str).and_then(base_version);
                if version.is_none() {
                    self.fail(&index(path, 0), first(C::ModelRuleContextFirst));
                }
                for (i, item) in list.iter().enumerate() {
                    match item {
                        Value::String(url) => {
                            if let Err(err) = Iri::parse(url) {
                                self.fail(
                                    &index(path, i),
                                    Message::new(C::ModelRuleContextUrlInvalid).raw("error", err),
                                );
                            }
                            urls.push(url.as_str());
                        }
                        Value::Object(_) => {}
                        other => self.fail(
                            &index(path, i),
                            Message::new(C::ModelRuleContextEntryType)
                                .raw("found", json_type_name(other)),
                        ),
                    }
                }
                (version, urls)
            }
            Some(other) => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleContextType).raw("found", json_type_name(other)),
                );
                (None, Vec::new())
            }
        }
    }

    /// `type`: a name or a non-empty list of names.
    fn types(&mut self, value: Option<&Value>, path: &str, required: bool) -> Option<Vec<String>> {
        match value {
            None => {
                if required {
                    self.fail(path, Message::new(C::ModelRuleRequired));
                }
                None
            }
            Some(Value::String(t)) if !t.is_empty() => Some(vec![t.clone()]),
            Some(Value::Array(list)) if !list.is_empty() => {
                let mut out = Vec::with_capacity(list.len());
                for (i, item) in list.iter().enumerate() {
                    match item {
                        Value::String(t) if !t.is_empty() => out.push(t.clone()),
                        other => self.fail(
                            &index(path, i),
                            Message::new(C::ModelRuleTypeEntry).raw("found", json_type_name(other)),
                        ),
                    }
                }
                (out.len() == list.len()).then_some(out)
            }
            Some(other) => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleTypeValue).raw("found", describe(other)),
                );
                None
            }
        }
    }

    /// `type` must include `wanted`; `rule` (a `model.rule.type.*` message) says of what.
    fn require_type(&mut self, obj: &Map<String, Value>, base: &str, wanted: &str, rule: Message) {
        let path = key(base, "type");
        let types = self.types(obj.get("type"), &path, true);
        if types.is_some() && !includes(&types, wanted) {
            self.fail(&path, rule.id("wanted", wanted));
        }
    }

    fn iri_value(&mut self, value: &Value, path: &str) -> Option<Iri> {
        match value {
            Value::String(s) => match Iri::parse(s) {
                Ok(iri) => Some(iri),
                Err(err) => {
                    self.fail(path, Message::new(C::ModelRuleUrlInvalid).raw("error", err));
                    None
                }
            },
            Value::Array(_) => {
                self.fail(path, Message::new(C::ModelRuleUrlList));
                None
            }
            other => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleUrlType).raw("found", json_type_name(other)),
                );
                None
            }
        }
    }

    fn iri_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<Iri> {
        let path = key(base, name);
        match obj.get(name) {
            Some(value) => self.iri_value(value, &path),
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleUrlRequired));
                }
                None
            }
        }
    }

    fn string_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<String> {
        let path = key(base, name);
        match obj.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleStringType).raw("found", json_type_name(other)),
                );
                None
            }
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleStringRequired));
                }
                None
            }
        }
    }

    fn number_field(&mut self, obj: &Map<String, Value>, base: &str, name: &str) -> Option<f64> {
        match obj.get(name) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                self.fail(
                    &key(base, name),
                    Message::new(C::ModelRuleNumberType).raw("found", json_type_name(other)),
                );
                None
            }
        }
    }

    /// A human-readable text: a string, a language value object, or a list of them (the first
    /// is returned).
    fn text_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<String> {
        let path = key(base, name);
        match obj.get(name) {
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleStringRequired));
                }
                None
            }
            Some(Value::Array(list)) if !list.is_empty() => {
                let mut first = None;
                for (i, item) in list.iter().enumerate() {
                    let text = self.text_value(item, &index(&path, i));
                    if first.is_none() {
                        first = text;
                    }
                }
                first
            }
            Some(value) => self.text_value(value, &path),
        }
    }

    fn text_value(&mut self, value: &Value, path: &str) -> Option<String> {
        const SHAPE: &str = "{\"@value\", \"@language\", \"@direction\"}";
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Object(map) if map.contains_key("@value") => {
                let mut ok = true;
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("@value", Value::String(_)) | ("@language", Value::String(_)) => {}
                        ("@direction", Value::String(d)) if d == "ltr" || d == "rtl" => {}
                        ("@value" | "@language", _) => {
                            ok = false;
                            self.fail(&key(path, k), Message::new(C::ModelRuleString));
                        }
                        ("@direction", _) => {
                            ok = false;
                            self.fail(&key(path, k), Message::new(C::ModelRuleTextDirection));
                        }
                        _ => {
                            ok = false;
                            self.fail(&key(path, k), Message::new(C::ModelRuleTextKeys));
                        }
                    }
                }
                ok.then(|| map.get("@value").and_then(Value::as_str).map(str::to_owned))
                    .flatten()
            }
            other => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleTextType)
                        .id("shape", SHAPE)
                        .raw("found", describe(other)),
                );
                None
            }
        }
    }

    fn date_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<DateTime<FixedOffset>> {
        let path = key(base, name);
        match obj.get(name) {
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleDateTimeRequired));
                }
                None
            }
            Some(Value::String(s)) => match parse_date_time_stamp(s) {
                Ok(date) => Some(date),
                Err(err) => {
                    self.fail(
                        &path,
                        Message::new(C::ModelRuleDateTimeInvalid).raw("error", err),
                    );
                    None
                }
            },
            Some(other) => {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleDateTimeType).raw("found", json_type_name(other)),
                );
                None
            }
        }
    }

    /// A term the OB 3.0 context types as `xsd:date` (`activityStartDate`, `activityEndDate`,
    /// `dateOfBirth`). The OB JSON Schema says date-time; the context decides what the
    /// credential means, so both an `xsd:date` and an `xsd:dateTimeStamp` are accepted (what
    /// the schema says is the `json_schema` check's to report).
    fn date_or_date_time_field(&mut self, obj: &Map<String, Value>, base: &str, name: &str) {
        let path = key(base, name);
        match obj.get(name) {
            None => {}
            Some(Value::String(s)) => {
                if let Err(err) = parse_date_or_date_time_stamp(s) {
                    self.fail(
                        &path,
                        Message::new(C::ModelRuleDateInvalid).raw("error", err),
                    );
                }
            }
            Some(other) => {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleDateType).raw("found", json_type_name(other)),
                );
            }
        }
    }

    fn issuer(
        &mut self,
        value: Option<&Value>,
        path: &str,
        is_ob: bool,
        depth: usize,
    ) -> Option<IssuerSummary> {
        match value {
            None => {
                self.fail(path, Message::new(C::ModelRuleIssuerRequired));
                None
            }
            Some(Value::String(_)) => {
                let id = value.and_then(|v| self.iri_value(v, path))?;
                Some(IssuerSummary {
                    id,
                    name: None,
                    url: None,
                    image: None,
                })
            }
            Some(Value::Object(obj)) => {
                if is_ob {
                    self.in_ob_scope(|checker| checker.profile(obj, path, "issuer", depth))
                } else {
                    let id = self.iri_field(obj, path, "id", true);
                    let name = self.text_field(obj, path, "name", false);
                    self.text_field(obj, path, "description", false);
                    Some(IssuerSummary {
                        id: id?,
                        name,
                        url: None,
                        image: None,
                    })
                }
            }
            Some(other) => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleIssuerType).raw("found", json_type_name(other)),
                );
                None
            }
        }
    }

    /// An OB 3.0 Profile: the value of `property` (`issuer`, `creator`, `source`).
    fn profile(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        property: &'static str,
        depth: usize,
    ) -> Option<IssuerSummary> {
        let id = self.iri_field(obj, path, "id", true);
        self.require_type(
            obj,
            path,
            "Profile",
            Message::new(C::ModelRuleTypeProfile).id("property", property),
        );
        let name = self.text_field(obj, path, "name", false);
        self.text_field(obj, path, "description", false);
        let url = self.iri_field(obj, path, "url", false);
        self.date_or_date_time_field(obj, path, "dateOfBirth");
        let image = obj
            .get("image")
            .and_then(|v| self.image(v, &key(path, "image")));
        self.endorsements(obj, path, depth);
        Some(IssuerSummary {
            id: id?,
            name,
            url,
            image,
        })
    }

    fn image(&mut self, value: &Value, path: &str) -> Option<ImageRef> {
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                Message::new(C::ModelRuleImageType)
                    .id("shape", "{\"id\": <URL>, \"type\": \"Image\"}")
                    .raw("found", json_type_name(value)),
            );
            return None;
        };
        let id = self.iri_field(obj, path, "id", true);
        self.require_type(obj, path, "Image", Message::new(C::ModelRuleTypeImage));
        let caption = self.string_field(obj, path, "caption", false);
        Some(ImageRef { id: id?, caption })
    }

    fn subjects<'a>(
        &mut self,
        value: Option<&'a Value>,
        path: &str,
    ) -> Vec<(String, &'a Map<String, Value>)> {
        let Some(value) = value else {
            self.fail(path, Message::new(C::ModelRuleSubjectRequired));
            return Vec::new();
        };
        if matches!(value, Value::Array(list) if list.is_empty()) {
            self.fail(path, Message::new(C::ModelRuleEmptyList));
            return Vec::new();
        }
        let mut subjects = Vec::new();
        for (item_path, item) in items(value, path) {
            let Some(subject) = item.as_object() else {
                self.fail(
                    &item_path,
                    Message::new(C::ModelRuleSubjectType).raw("found", json_type_name(item)),
                );
                continue;
            };
            if subject.keys().all(|k| k == "id") {
                self.fail(&item_path, Message::new(C::ModelRuleSubjectNoClaim));
            }
            if let Some(id) = subject.get("id") {
                self.iri_value(id, &key(&item_path, "id"));
            }
            subjects.push((item_path, subject));
        }
        subjects
    }

    /// Items that must carry a `type` (credentialStatus, credentialSchema, evidence, …).
    fn typed_entries<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        base: &str,
        name: &str,
        id_rule: IdRule,
    ) -> Vec<(String, TypedEntry<'a>)> {
        let Some(value) = obj.get(name) else {
            return Vec::new();
        };
        let path = key(base, name);
        let mut out = Vec::new();
        for (item_path, item) in items(value, &path) {
            let Some(entry) = item.as_object() else {
                self.fail(
                    &item_path,
                    Message::new(C::ModelRuleTypedEntryType).raw("found", json_type_name(item)),
                );
                continue;
            };
            let types = self.types(entry.get("type"), &key(&item_path, "type"), true);
            let id = self.iri_field(entry, &item_path, "id", id_rule == IdRule::Required);
            out.push((
                item_path,
                TypedEntry {
                    value: item,
                    types,
                    id,
                },
            ));
        }
        out
    }

    fn proofs(&mut self, obj: &Map<String, Value>, base: &str) -> usize {
        let Some(value) = obj.get("proof") else {
            return 0;
        };
        let path = key(base, "proof");
        let list = items(value, &path);
        for (item_path, item) in &list {
            match item.as_object() {
                Some(proof) => {
                    let type_path = key(item_path, "type");
                    match proof.get("type") {
                        Some(Value::String(t)) if !t.is_empty() => {}
                        Some(other) => self.fail(
                            &type_path,
                            Message::new(C::ModelRuleProofTypeValue).raw("found", describe(other)),
                        ),
                        None => self.fail(&type_path, Message::new(C::ModelRuleProofTypeRequired)),
                    }
                    // Data Integrity: "verificationMethod … MUST be a string that conforms to
                    // the URL syntax" (whether it resolves is for the proof check).
                    if let Some(method) = proof.get("verificationMethod") {
                        if !method.is_object() {
                            self.iri_value(method, &key(item_path, "verificationMethod"));
                        }
                    }
                }
                None => self.fail(
                    item_path,
                    Message::new(C::ModelRuleProofType).raw("found", json_type_name(item)),
                ),
            }
        }
        list.len()
    }

    // ----- Open Badges 3.0 -----------------------------------------------------------------

    fn achievement_subject(
        &mut self,
        subject: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Option<AchievementSummary> {
        self.require_type(
            subject,
            path,
            "AchievementSubject",
            Message::new(C::ModelRuleTypeAchievementSubject),
        );
        if !subject.contains_key("id") && !subject.contains_key("identifier") {
            self.fail(path, Message::new(C::ModelRuleLearnerUnnamed));
        }
        if let Some(value) = subject.get("identifier") {
            let ids_path = key(path, "identifier");
            if matches!(value, Value::Array(list) if list.is_empty()) {
                self.fail(&ids_path, Message::new(C::ModelRuleEmptyList));
            }
            for (item_path, item) in items(value, &ids_path) {
                self.identity_object(item, &item_path);
            }
        }
        if let Some(value) = subject.get("result") {
            for (item_path, item) in items(value, &key(path, "result")) {
                self.result(item, &item_path);
            }
        }
        if let Some(image) = subject.get("image") {
            self.image(image, &key(path, "image"));
        }
        if let Some(Value::Object(source)) = subject.get("source") {
            self.profile(source, &key(path, "source"), "source", depth);
        }
        self.number_field(subject, path, "creditsEarned");
        self.date_or_date_time_field(subject, path, "activityStartDate");
        self.date_or_date_time_field(subject, path, "activityEndDate");
        let achievement_path = key(path, "achievement");
        match subject.get("achievement") {
            Some(Value::Object(achievement)) => {
                self.achievement(achievement, &achievement_path, depth)
            }
            Some(other) => {
                self.fail(
                    &achievement_path,
                    Message::new(C::ModelRuleObjectTypeAn)
                        .id("object", "Achievement")
                        .raw("found", json_type_name(other)),
                );
                None
            }
            None => {
                self.fail(
                    &achievement_path,
                    Message::new(C::ModelRuleAchievementRequired),
                );
                None
            }
        }
    }

    fn identity_object(&mut self, value: &Value, path: &str) {
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                Message::new(C::ModelRuleIdentityObjectType).raw("found", json_type_name(value)),
            );
            return;
        };
        self.require_type(
            obj,
            path,
            "IdentityObject",
            Message::new(C::ModelRuleTypeIdentityObject),
        );
        let hashed = match obj.get("hashed") {
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.fail(
                    &key(path, "hashed"),
                    Message::new(C::ModelRuleBooleanType).raw("found", json_type_name(other)),
                );
                None
            }
            None => {
                self.fail(
                    &key(path, "hashed"),
                    Message::new(C::ModelRuleBooleanRequired),
                );
                None
            }
        };
        let hash = self.string_field(obj, path, "identityHash", true);
        self.string_field(obj, path, "identityType", true);
        self.string_field(obj, path, "salt", false);
        if let (Some(true), Some(hash)) = (hashed, hash) {
            if !is_identity_hash(&hash) {
                self.fail(
                    &key(path, "identityHash"),
                    Message::new(C::ModelRuleIdentityHash),
                );
            }
        }
    }

    fn result(&mut self, value: &Value, path: &str) {
        const STATUSES: [&str; 7] = [
            "Completed",
            "Enrolled",
            "Failed",
            "InProgress",
            "OnHold",
            "Provisional",
            "Withdrew",
        ];
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                Message::new(C::ModelRuleObjectTypeA)
                    .id("object", "Result")
                    .raw("found", json_type_name(value)),
            );
            return;
        };
        self.require_type(obj, path, "Result", Message::new(C::ModelRuleTypeResult));
        if let Some(status) = self.string_field(obj, path, "status", false) {
            if !STATUSES.contains(&status.as_str()) {
                self.fail(
                    &key(path, "status"),
                    Message::new(C::ModelRuleOneOf).id("values", STATUSES.join(", ")),
                );
            }
        }
    }

    fn achievement(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Option<AchievementSummary> {
        let id = self.iri_field(obj, path, "id", true);
        self.require_type(
            obj,
            path,
            "Achievement",
            Message::new(C::ModelRuleTypeAchievement),
        );
        let name = self.text_field(obj, path, "name", true);
        let description = self.text_field(obj, path, "description", true);
        let criteria_path = key(path, "criteria");
        let (criteria_id, criteria_narrative) = match obj.get("criteria") {
            Some(Value::Object(criteria)) => (
                self.iri_field(criteria, &criteria_path, "id", false),
                self.string_field(criteria, &criteria_path, "narrative", false),
            ),
            Some(other) => {
                self.fail(
                    &criteria_path,
                    Message::new(C::ModelRuleObjectTypeA)
                        .id("object", "Criteria")
                        .raw("found", json_type_name(other)),
                );
                (None, None)
            }
            None => {
                self.fail(&criteria_path, Message::new(C::ModelRuleCriteriaRequired));
                (None, None)
            }
        };
        let image = obj
            .get("image")
            .and_then(|v| self.image(v, &key(path, "image")));
        let credits_available = self.number_field(obj, path, "creditsAvailable");
        let achievement_type = self.string_field(obj, path, "achievementType", false);
        let mut alignment_count = 0;
        if let Some(value) = obj.get("alignment") {
            for (item_path, item) in items(value, &key(path, "alignment")) {
                alignment_count += 1;
                self.alignment(item, &item_path);
            }
        }
        if let Some(value) = obj.get("resultDescription") {
            for (item_path, item) in items(value, &key(path, "resultDescription")) {
                match item.as_object() {
                    Some(rd) => {
                        self.iri_field(rd, &item_path, "id", true);
                        self.require_type(
                            rd,
                            &item_path,
                            "ResultDescription",
                            Message::new(C::ModelRuleTypeResultDescription),
                        );
                        self.text_field(rd, &item_path, "name", true);
                        self.string_field(rd, &item_path, "resultType", true);
                    }
                    None => self.fail(
                        &item_path,
                        Message::new(C::ModelRuleObjectTypeA)
                            .id("object", "ResultDescription")
                            .raw("found", json_type_name(item)),
                    ),
                }
            }
        }
        if let Some(Value::Object(creator)) = obj.get("creator") {
            self.profile(creator, &key(path, "creator"), "creator", depth);
        } else if let Some(other) = obj.get("creator") {
            if !other.is_string() {
                self.fail(
                    &key(path, "creator"),
                    Message::new(C::ModelRuleProfileType).raw("found", json_type_name(other)),
                );
            }
        }
        self.endorsements(obj, path, depth);
        Some(AchievementSummary {
            id: id?,
            name: name?,
            description: description?,
            criteria_id,
            criteria_narrative,
            image,
            achievement_type,
            credits_available,
            alignment_count,
        })
    }

    fn alignment(&mut self, value: &Value, path: &str) {
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                Message::new(C::ModelRuleObjectTypeAn)
                    .id("object", "Alignment")
                    .raw("found", json_type_name(value)),
            );
            return;
        };
        self.require_type(
            obj,
            path,
            "Alignment",
            Message::new(C::ModelRuleTypeAlignment),
        );
        self.string_field(obj, path, "targetName", true);
        self.iri_field(obj, path, "targetUrl", true);
    }

    fn endorsement_subject(
        &mut self,
        subject: &Map<String, Value>,
        path: &str,
    ) -> Option<EndorsementSummary> {
        self.require_type(
            subject,
            path,
            "EndorsementSubject",
            Message::new(C::ModelRuleTypeEndorsementSubject),
        );
        let subject_id = self.iri_field(subject, path, "id", true);
        let comment = self.string_field(subject, path, "endorsementComment", false);
        Some(EndorsementSummary {
            subject_id: subject_id?,
            comment,
        })
    }

    /// Embedded `endorsement` credentials and `endorsementJwt` strings of a credential,
    /// profile or achievement.
    fn endorsements(&mut self, obj: &Map<String, Value>, base: &str, depth: usize) {
        if let Some(value) = obj.get("endorsement") {
            let path = key(base, "endorsement");
            if depth >= MAX_ENDORSEMENT_DEPTH {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleEndorsementDepth).number("max", MAX_ENDORSEMENT_DEPTH),
                );
                return;
            }
            for (item_path, item) in items(value, &path) {
                if let Some(model) = self.credential(item, &item_path, depth + 1) {
                    if model.kind != CredentialKind::Endorsement {
                        self.fail(
                            &key(&item_path, "type"),
                            Message::new(C::ModelRuleTypeEmbeddedEndorsement)
                                .id("wanted", "EndorsementCredential"),
                        );
                    }
                }
            }
        }
        if let Some(value) = obj.get("endorsementJwt") {
            for (item_path, item) in items(value, &key(base, "endorsementJwt")) {
                if !item.as_str().is_some_and(is_compact_jws) {
                    self.fail(&item_path, Message::new(C::ModelRuleCompactJws));
                }
            }
        }
    }

    // ----- presentations -------------------------------------------------------------------

    fn presentation(&mut self, doc: &Value) -> Option<PresentationModel> {
        let Some(obj) = doc.as_object() else {
            self.fail(
                "",
                Message::new(C::ModelRulePresentationNotObject).raw("found", json_type_name(doc)),
            );
            return None;
        };
        let (version, _) = self.context(obj.get("@context"), "@context");
        let types = self.types(obj.get("type"), "type", true);
        if types.is_some() && !includes(&types, "VerifiablePresentation") {
            self.fail(
                "type",
                Message::new(C::ModelRuleMustInclude).id("wanted", "VerifiablePresentation"),
            );
        }
        let id = self.iri_field(obj, "", "id", false);
        let holder = match obj.get("holder") {
            None => None,
            Some(Value::Object(holder)) => self.iri_field(holder, "holder", "id", true),
            Some(value) => self.iri_value(value, "holder"),
        };
        let mut credentials = Vec::new();
        if let Some(value) = obj.get("verifiableCredential") {
            for (path, item) in items(value, "verifiableCredential") {
                match item {
                    Value::String(jws) if is_compact_jws(jws) => {
                        credentials.push(PresentedCredential::CompactJws(jws.clone()));
                    }
                    Value::Object(map)
                        if includes(
                            &map.get("type").map(|t| match t {
                                Value::String(s) => vec![s.clone()],
                                Value::Array(list) => list
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect(),
                                _ => Vec::new(),
                            }),
                            "EnvelopedVerifiableCredential",
                        ) =>
                    {
                        match map.get("id").and_then(Value::as_str) {
                            Some(id) if id.starts_with("data:") => {
                                credentials
                                    .push(PresentedCredential::Enveloped { id: id.to_owned() });
                            }
                            _ => {
                                self.fail(&key(&path, "id"), Message::new(C::ModelRuleEnvelopedId))
                            }
                        }
                    }
                    Value::Object(_) => {
                        if let Some(model) = self.credential(item, &path, 0) {
                            credentials.push(PresentedCredential::Embedded(Box::new(model)));
                        }
                    }
                    other => self.fail(
                        &path,
                        Message::new(C::ModelRulePresentedCredentialType)
                            .raw("found", describe(other)),
                    ),
                }
            }
        }
        let proof_count = self.proofs(obj, "");
        Some(PresentationModel {
            version: version?,
            types: types?,
            id,
            holder,
            credentials,
            proof_count,
        })
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
