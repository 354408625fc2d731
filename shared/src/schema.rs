//! JSON Schema validation of credentials against the schemas they cite in `credentialSchema`
//! (OB 3.0: `1EdTechJsonSchemaValidator2019`, draft 2019-09; VCDM 2.0: `JsonSchema`).
//!
//! The core reads no files and fetches nothing: the caller supplies the schemas to a
//! [`SchemaSet`], keyed by their `$id` and by any alias URL (the OB schemas' internal `$id`,
//! `…/ob_v3p0_achievementcredential-jsonschema1.json`, is not the URL credentials cite,
//! `…/ob_v3p0_achievementcredential_schema.json`). A `$ref` to a schema that is not in the set
//! is an error at compile time, never a network request: the validator is built with a retriever
//! that only serves the set's own schemas, whatever features the `jsonschema` crate is built with.
//!
//! ```
//! use passerelle_core::schema::{validate, SchemaError};
//! use serde_json::json;
//!
//! let schema = json!({"type": "object", "required": ["issuer"]});
//! assert!(validate(&json!({"issuer": "did:web:learn.example"}), &schema).is_ok());
//! let Err(SchemaError::Violations(violations)) = validate(&json!({}), &schema) else { panic!() };
//! assert!(violations[0].message.contains("issuer"));
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use jsonschema::{Retrieve, Uri, Validator};
use serde::Serialize;
use serde_json::Value;

use crate::model::JSON_SCHEMA_VALIDATOR_2019;

/// The `credentialSchema` types this module can check.
pub const SUPPORTED_SCHEMA_TYPES: [&str; 2] = [JSON_SCHEMA_VALIDATOR_2019, "JsonSchema"];

/// One place where a document breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaViolation {
    /// JSON Pointer to the offending value (`""` for the document itself, `/issuer/type`).
    pub instance_path: String,
    /// JSON Pointer to the schema keyword that failed (`/required`, `/properties/proof/type`).
    pub schema_path: String,
    /// What is wrong, e.g. `"issuer" is a required property`.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "(document)"
        } else {
            &self.instance_path
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// Why a schema could not be used, or a document did not validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The document breaks the schema; every violation is listed.
    #[error("the document does not match the schema: {}", join(.0))]
    Violations(Vec<SchemaViolation>),
    /// The schema `$ref`s a schema that was not supplied; it is not fetched.
    #[error(
        "the schema refers to {url}, which is not available locally (schemas are never fetched)"
    )]
    UnavailableReference { url: String },
    /// The schema itself is not a valid JSON Schema.
    #[error("not a usable JSON Schema: {message}")]
    InvalidSchema { message: String },
    /// [`SchemaSet::insert`] was given a schema with neither `$id` nor an alias to file it under.
    #[error("the schema has no $id and no alias URL to key it by")]
    NoId,
}

fn join(violations: &[SchemaViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Validates `doc` against a standalone `schema` (one that `$ref`s nothing outside itself).
pub fn validate(doc: &Value, schema: &Value) -> Result<(), SchemaError> {
    let validator = compile(schema, Arc::new(HashMap::new()))?;
    run(&validator, doc)
}

fn run(validator: &Validator, doc: &Value) -> Result<(), SchemaError> {
    let violations: Vec<SchemaViolation> = validator
        .iter_errors(doc)
        .map(|error| SchemaViolation {
            instance_path: error.instance_path().to_string(),
            schema_path: error.schema_path().to_string(),
            message: error.to_string(),
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Violations(violations))
    }
}

/// Serves `$ref`s from the caller-supplied schemas only, and remembers what it refused.
struct LocalOnly {
    known: Arc<HashMap<String, Value>>,
    refused: Arc<Mutex<Vec<String>>>,
}

#[derive(Debug)]
struct NotLocal(String);

impl fmt::Display for NotLocal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not available locally and is never fetched",
            self.0
        )
    }
}

impl std::error::Error for NotLocal {}

impl Retrieve for LocalOnly {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let url = uri.as_str();
        let without_fragment = url.split('#').next().unwrap_or(url);
        if let Some(schema) = self
            .known
            .get(url)
            .or_else(|| self.known.get(without_fragment))
        {
            return Ok(schema.clone());
        }
        if let Ok(mut refused) = self.refused.lock() {
            refused.push(url.to_owned());
        }
        Err(Box::new(NotLocal(url.to_owned())))
    }
}

fn compile(schema: &Value, known: Arc<HashMap<String, Value>>) -> Result<Validator, SchemaError> {
    let refused = Arc::new(Mutex::new(Vec::new()));
    let retriever = LocalOnly {
        known,
        refused: Arc::clone(&refused),
    };
    jsonschema::options()
        .with_retriever(retriever)
        .should_validate_formats(true)
        .build(schema)
        .map_err(|error| {
            let first_refused = refused.lock().ok().and_then(|r| r.first().cloned());
            match first_refused {
                Some(url) => SchemaError::UnavailableReference { url },
                None => SchemaError::InvalidSchema {
                    message: error.to_string(),
                },
            }
        })
}

/// What checking one `credentialSchema` entry gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum SchemaOutcome {
    /// The credential matches the schema.
    Validated,
    /// The credential breaks the schema.
    Failed(Vec<SchemaViolation>),
    /// The schema is not in the set (and is never fetched): could not check.
    NotChecked { url: String },
    /// The entry's type is not a JSON Schema method this module runs.
    UnsupportedType { schema_type: String },
}

/// The outcome for one `credentialSchema` entry of a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaCheck {
    /// The schema URL the credential cites.
    pub id: String,
    /// The entry's type.
    pub schema_type: String,
    pub outcome: SchemaOutcome,
}

/// The `credentialSchema` entries a credential cites, as `(id, type)` (entries without a string
/// id and type are skipped: the data-model check reports them).
pub fn credential_schemas(doc: &Value) -> Vec<(String, String)> {
    let entries: Vec<&Value> = match doc.get("credentialSchema") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(entry @ Value::Object(_)) => vec![entry],
        _ => Vec::new(),
    };
    entries
        .into_iter()
        .filter_map(|entry| {
            let id = entry.get("id")?.as_str()?;
            let kind = match entry.get("type")? {
                Value::String(t) => t.as_str(),
                Value::Array(list) => list.first()?.as_str()?,
                _ => return None,
            };
            Some((id.to_owned(), kind.to_owned()))
        })
        .collect()
}

/// The document with a single `proof` object read as a one-item array.
///
/// The OB 3.0 JSON Schema wants `proof` as an array while most signers (the W3C and OB test
/// vectors among them) emit one object; Passerelle emits arrays and accepts both, so this is
/// applied before validating against a schema.
pub fn proof_as_array(doc: &Value) -> Cow<'_, Value> {
    match doc.get("proof") {
        Some(proof @ Value::Object(_)) => {
            let mut owned = doc.clone();
            if let Some(map) = owned.as_object_mut() {
                map.insert("proof".to_owned(), Value::Array(vec![proof.clone()]));
            }
            Cow::Owned(owned)
        }
        _ => Cow::Borrowed(doc),
    }
}

/// The JSON Schemas a verifier has locally, compiled, keyed by `$id` and aliases.
///
/// Cloning is cheap (compiled validators are shared), and [`SchemaSet::adopt`] copies one
/// compiled schema into another set, so a server compiles a fetched schema once, not per request.
#[derive(Default, Clone)]
pub struct SchemaSet {
    validators: Vec<Arc<Validator>>,
    by_url: HashMap<String, usize>,
    sources: HashMap<String, Value>,
}

impl fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut urls: Vec<&String> = self.by_url.keys().collect();
        urls.sort();
        f.debug_struct("SchemaSet").field("urls", &urls).finish()
    }
}

impl SchemaSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds and compiles a schema, filed under its `$id` (if any) and each alias URL.
    ///
    /// A `$ref` to another schema resolves against the schemas inserted *before* this one; one
    /// that resolves to nothing is an [`SchemaError::UnavailableReference`], not a fetch.
    pub fn insert(&mut self, schema: Value, aliases: &[&str]) -> Result<(), SchemaError> {
        let id = schema
            .get("$id")
            .and_then(Value::as_str)
            .map(|id| id.trim_end_matches('#').to_owned());
        let mut urls: Vec<String> = id.into_iter().collect();
        urls.extend(aliases.iter().map(|a| (*a).to_owned()));
        if urls.is_empty() {
            return Err(SchemaError::NoId);
        }
        let validator = compile(&schema, Arc::new(self.sources.clone()))?;
        let slot = self.validators.len();
        self.validators.push(Arc::new(validator));
        for url in urls {
            self.sources.insert(url.clone(), schema.clone());
            self.by_url.insert(url, slot);
        }
        Ok(())
    }

    /// Files the schema `other` has under `url` here too, under the same URL, without compiling
    /// it again. Returns whether `other` had one.
    pub fn adopt(&mut self, url: &str, other: &SchemaSet) -> bool {
        let Some(validator) = other
            .by_url
            .get(url)
            .and_then(|&slot| other.validators.get(slot))
        else {
            return false;
        };
        let slot = self.validators.len();
        self.validators.push(Arc::clone(validator));
        self.by_url.insert(url.to_owned(), slot);
        if let Some(source) = other.sources.get(url) {
            self.sources.insert(url.to_owned(), source.clone());
        }
        true
    }

    /// Is a schema filed under `url`?
    pub fn contains(&self, url: &str) -> bool {
        self.by_url.contains_key(url)
    }

    /// Validates `doc` against the schema filed under `url`; `None` if there is none.
    pub fn validate(&self, url: &str, doc: &Value) -> Option<Result<(), SchemaError>> {
        let slot = *self.by_url.get(url)?;
        let validator = self.validators.get(slot)?;
        Some(run(validator, &proof_as_array(doc)))
    }

    /// [`SchemaSet::validate`], but a document with several `credentialStatus` entries (VC 2.0
    /// allows several; the OB 3.0 schema one) is checked once per entry, as if it had only
    /// that one: every rule of the schema but the count holds. The document is copied only in
    /// that case.
    pub fn validate_each_status_entry(
        &self,
        url: &str,
        doc: &Value,
    ) -> Option<Result<(), SchemaError>> {
        let Some(Value::Array(entries)) = doc.get("credentialStatus") else {
            return self.validate(url, doc);
        };
        for entry in entries {
            let mut one = doc.clone();
            one["credentialStatus"] = entry.clone();
            match self.validate(url, &one)? {
                Ok(()) => {}
                failed => return Some(failed),
            }
        }
        Some(Ok(()))
    }

    /// Checks a credential against every schema it cites in `credentialSchema`.
    pub fn check(&self, doc: &Value) -> Vec<SchemaCheck> {
        credential_schemas(doc)
            .into_iter()
            .map(|(id, schema_type)| {
                let outcome = if !SUPPORTED_SCHEMA_TYPES.contains(&schema_type.as_str()) {
                    SchemaOutcome::UnsupportedType {
                        schema_type: schema_type.clone(),
                    }
                } else {
                    match self.validate(&id, doc) {
                        None => SchemaOutcome::NotChecked { url: id.clone() },
                        Some(Ok(())) => SchemaOutcome::Validated,
                        Some(Err(SchemaError::Violations(violations))) => {
                            SchemaOutcome::Failed(violations)
                        }
                        // Validation of a compiled schema only yields violations.
                        Some(Err(_)) => SchemaOutcome::NotChecked { url: id.clone() },
                    }
                };
                SchemaCheck {
                    id,
                    schema_type,
                    outcome,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn several_status_entries_are_checked_one_at_a_time() {
        let url = "https://schemas.example/one-status.json";
        let mut set = SchemaSet::new();
        set.insert(
            json!({"properties": {"credentialStatus": {"type": "object", "required": ["id"]}}}),
            &[url],
        )
        .unwrap();
        let one = json!({"credentialStatus": {"id": "a"}});
        let two = json!({"credentialStatus": [{"id": "a"}, {"id": "b"}]});
        let broken = json!({"credentialStatus": [{"id": "a"}, {"type": "x"}]});
        assert!(matches!(
            set.validate_each_status_entry(url, &one),
            Some(Ok(()))
        ));
        assert!(matches!(set.validate(url, &two), Some(Err(_))));
        assert!(matches!(
            set.validate_each_status_entry(url, &two),
            Some(Ok(()))
        ));
        assert!(matches!(
            set.validate_each_status_entry(url, &broken),
            Some(Err(SchemaError::Violations(_)))
        ));
        assert!(set
            .validate_each_status_entry("https://other.example", &one)
            .is_none());
    }

    #[test]
    fn an_adopted_schema_validates_like_the_original() {
        let url = "https://schemas.example/badge.json";
        let mut source = SchemaSet::new();
        source
            .insert(json!({"type": "object", "required": ["issuer"]}), &[url])
            .unwrap();
        let mut per_request = SchemaSet::new();
        assert!(!per_request.adopt("https://schemas.example/other.json", &source));
        assert!(per_request.adopt(url, &source));
        assert!(per_request.contains(url));
        assert!(matches!(
            per_request.validate(url, &json!({"issuer": "did:web:learn.example"})),
            Some(Ok(()))
        ));
        assert!(matches!(
            per_request.validate(url, &json!({})),
            Some(Err(SchemaError::Violations(_)))
        ));
    }
}
