//! Building, validating and signing one credential (steps 4 and 5 of the module overview): a
//! pure function of a [`Prepared`] request, its status slots and a [`SigningContext`], so the
//! bulk engine can run it on every core.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use passerelle_core::model::{
    self, Achievement as CoreAchievement, AchievementCredential, AchievementResult,
    AchievementSubject, CredentialSchema, Criteria, Evidence, Iri, Profile,
};
use passerelle_core::proof;
use passerelle_core::schema::SchemaSet;
use passerelle_core::status::{self as core_status, BitstringEntry, StatusPurpose};
use serde_json::Value;

use crate::secret;
use crate::store::{
    Achievement, CredentialId, IssueRecord, NewAuditEntry, NewCredential, StatusListId, StatusSlot,
};

use super::error::IssueError;
use super::keys::SigningKey;
use super::request::{normalise_email, Recipient};
use super::status::status_list_url;

/// Checks an unsigned credential as the issuer does before signing: the core data-model rules
/// (VC 2.0 and OB 3.0), the JSON Schema in `schemas` filed under the OB AchievementCredential
/// schema URL if given (each `credentialStatus` entry checked on its own, since VC 2.0 allows
/// several and the OB schema one), and JSON-LD safe mode (no undefined term).
pub fn validate_credential(doc: &Value, schemas: Option<&SchemaSet>) -> Result<(), IssueError> {
    validate_model_and_schema(doc, schemas)?;
    check_safe_mode(doc)
}

/// The data-model and JSON Schema part of [`validate_credential`]. Signing runs JSON-LD safe
/// mode itself (the rdfc signer expands the document anyway), so the signing path uses this and
/// pays for JSON-LD processing once.
pub(super) fn validate_model_and_schema(
    doc: &Value,
    schemas: Option<&SchemaSet>,
) -> Result<(), IssueError> {
    if let Err(violations) = model::check_credential(doc) {
        let field = violations.first().map_or("", |v| v.path.as_str());
        return Err(violations_error(field, &violations));
    }
    let Some(set) = schemas else {
        return Ok(());
    };
    let url = model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA;
    // With a suspension entry too, each status entry is checked on its own (OB allows one).
    match set.validate_each_status_entry(url, doc) {
        Some(Ok(())) => Ok(()),
        Some(Err(passerelle_core::schema::SchemaError::Violations(violations))) => {
            let field = violations.first().map_or_else(String::new, |v| {
                v.instance_path.trim_start_matches('/').replace('/', ".")
            });
            Err(violations_error(&field, &violations))
        }
        Some(Err(other)) => Err(IssueError::invalid("credentialSchema", other.to_string())),
        None => Err(IssueError::invalid(
            "credentialSchema",
            format!("the schema {url} is not loaded"),
        )),
    }
}

/// An [`IssueError::Invalid`] at `field` (the whole credential when empty) listing every
/// violation.
pub(super) fn violations_error<V: std::fmt::Display>(field: &str, violations: &[V]) -> IssueError {
    let field = if field.is_empty() {
        "credential"
    } else {
        field
    };
    let reason = violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    IssueError::invalid(field, reason)
}

/// JSON-LD safe mode: every term defined, nothing dropped.
pub(super) fn check_safe_mode(doc: &Value) -> Result<(), IssueError> {
    passerelle_core::jsonld::canonical_nquads(doc)
        .map(|_| ())
        .map_err(|e| safe_mode_error(&e))
}

/// An [`IssueError::Invalid`] naming the JSON path a JSON-LD error points at.
pub(super) fn safe_mode_error(e: &passerelle_core::jsonld::JsonLdError) -> IssueError {
    let text = e.to_string();
    let field = text
        .split_once(": ")
        .map(|(path, _)| path.to_owned())
        .filter(|p| !p.contains(' '))
        .unwrap_or_else(|| "credential".into());
    IssueError::Invalid {
        field,
        reason: text,
    }
}

/// A checked request, ready to be built and signed once its status slots are known.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub achievement: Achievement,
    pub learner_key: String,
    /// The unkeyed key of earlier versions, while rows with such keys remain.
    pub legacy_learner_key: Option<String>,
    pub external_id: Option<String>,
    pub learner_email: Option<String>,
    /// The learner's name as given, for what is printed for them (`issue --out`'s
    /// certificate); never put into the credential nor stored.
    pub learner_name: Option<String>,
    pub(super) recipient: Recipient,
    pub(super) completed: DateTime<FixedOffset>,
    pub(super) result: Option<String>,
    pub(super) evidence_url: Option<Iri>,
    pub(super) evidence_narrative: Option<String>,
    pub claim_expires: Option<DateTime<Utc>>,
    /// Whether the credential offer needs a transaction code (`None`: the config's default).
    pub tx_code: Option<bool>,
}

/// A signed credential not yet committed.
#[derive(Debug, Clone)]
pub struct Signed {
    pub record: IssueRecord,
}

/// Everything [`Prepared::sign`] needs from the issuer (cheap to clone, `Send`), so bulk
/// workers can sign without touching the async world.
#[derive(Clone)]
pub struct SigningContext {
    pub(super) key: Arc<SigningKey>,
    pub(super) suspension: bool,
    pub(super) profile: Value,
    pub(super) base_url: String,
    pub(super) schemas: Option<Arc<SchemaSet>>,
    pub(super) schema_required: bool,
}

impl SigningContext {
    /// [`IssueError::SchemaMissing`] when the OB schema is required but not loaded.
    fn ensure_schema(&self) -> Result<(), IssueError> {
        ensure_schema(self.schemas.as_deref(), self.schema_required, None)
    }

    /// Checks an unsigned credential as every credential is checked before signing (the data
    /// model, the OB JSON Schema when loaded or required, JSON-LD safe mode) and signs it with
    /// eddsa-rdfc-2022, `created` = `now`. CPU only.
    pub fn check_and_sign(
        &self,
        unsigned: &Value,
        now: DateTime<Utc>,
    ) -> Result<Value, IssueError> {
        // Safe mode is checked by the signer below (a failure there is the input's fault).
        self.ensure_schema()?;
        validate_model_and_schema(unsigned, self.schemas.as_deref())?;
        self.sign_checked(unsigned, now)
    }

    /// Checks an unsigned `EndorsementCredential` (the core data-model rules, which include the
    /// OB 3.0 endorsement shape, and JSON-LD safe mode in the signer) and signs it with
    /// eddsa-rdfc-2022 like [`SigningContext::check_and_sign`]. The OB AchievementCredential JSON
    /// Schema is not applied: it describes another credential type.
    pub fn check_and_sign_endorsement(
        &self,
        unsigned: &Value,
        now: DateTime<Utc>,
    ) -> Result<Value, IssueError> {
        validate_model_and_schema(unsigned, None)?;
        if !model::has_type(unsigned, "EndorsementCredential") {
            return Err(IssueError::invalid("type", "not an EndorsementCredential"));
        }
        self.sign_checked(unsigned, now)
    }

    fn sign_checked(&self, unsigned: &Value, now: DateTime<Utc>) -> Result<Value, IssueError> {
        let created = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let options = proof::ProofOptions::assertion(
            proof::Cryptosuite::EddsaRdfc2022,
            self.key.verification_method.clone(),
            created,
        );
        proof::sign(unsigned, &self.key.pair, &options).map_err(|e| {
            // Safe mode failures are the input's fault; anything else is ours.
            match e {
                proof::ProofError::Document(inner) => safe_mode_error(&inner),
                other => IssueError::Signing { source: other },
            }
        })
    }

    /// Checks an unsigned credential like [`SigningContext::check_and_sign`] and secures it as
    /// VC-JOSE (`application/vc+jwt`, EdDSA, `kid` = the signing verification method).
    pub fn check_and_sign_jwt(&self, unsigned: &Value) -> Result<String, IssueError> {
        self.ensure_schema()?;
        validate_credential(unsigned, self.schemas.as_deref())?;
        passerelle_core::jose::sign_vc_jwt(unsigned, &self.key.pair, &self.key.verification_method)
            .map_err(|source| IssueError::Jose { source })
    }

    /// The verification method that signs.
    pub fn verification_method(&self) -> &str {
        &self.key.verification_method
    }

    /// The issuer's public base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

pub(super) fn ensure_schema(
    schemas: Option<&SchemaSet>,
    required: bool,
    dir: Option<&Path>,
) -> Result<(), IssueError> {
    let url = model::OB_ACHIEVEMENT_CREDENTIAL_SCHEMA;
    if required && !schemas.is_some_and(|set| set.contains(url)) {
        return Err(IssueError::SchemaMissing {
            where_: dir.map_or_else(String::new, |d| {
                format!(" in {}", d.join(crate::schemas::SCHEMA_DIR).display())
            }),
            url,
        });
    }
    Ok(())
}

impl Prepared {
    /// Builds, validates and signs the credential with these status slots (CPU only: run it on
    /// a blocking thread or a rayon worker). `now` is `validFrom` and the proof's `created`.
    pub fn sign(
        &self,
        context: &SigningContext,
        revocation: StatusSlot,
        suspension: Option<StatusSlot>,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<Signed, IssueError> {
        let id = CredentialId::generate();
        let unsigned = self.build(context, &id, &revocation, suspension.as_ref(), now)?;
        let signed = context.check_and_sign(&unsigned, now)?;
        let text =
            serde_json::to_string(&signed).map_err(|source| IssueError::Encoding { source })?;
        let audit = NewAuditEntry {
            actor: actor.to_owned(),
            action: "credential.issue".into(),
            subject: id.to_string(),
            details: serde_json::json!({
                "achievement": self.achievement.slug,
                "externalId": self.external_id,
            }),
        };
        Ok(Signed {
            record: IssueRecord {
                credential: NewCredential {
                    id,
                    achievement_id: self.achievement.id.clone(),
                    learner_key: self.learner_key.clone(),
                    external_id: self.external_id.clone(),
                    learner_email: self.learner_email.clone(),
                    revocation: Some(revocation),
                    suspension,
                    credential: text,
                    issued_at: now,
                },
                claim_expires: self.claim_expires,
                audit,
                tx_code: None,
            },
        })
    }

    /// Builds and validates the credential with placeholder status slots, signing nothing
    /// (bulk `--dry-run`).
    pub fn check_only(
        &self,
        context: &SigningContext,
        now: DateTime<Utc>,
    ) -> Result<(), IssueError> {
        let placeholder = StatusSlot {
            list_id: StatusListId::from("urn:uuid:00000000-0000-4000-8000-000000000000".to_owned()),
            index: core_status::StatusIndex::new(0),
        };
        let suspension = context.suspension.then(|| placeholder.clone());
        let unsigned = self.build(
            context,
            &CredentialId::generate(),
            &placeholder,
            suspension.as_ref(),
            now,
        )?;
        context.ensure_schema()?;
        validate_credential(&unsigned, context.schemas.as_deref())
    }

    fn build(
        &self,
        context: &SigningContext,
        id: &CredentialId,
        revocation: &StatusSlot,
        suspension: Option<&StatusSlot>,
        now: DateTime<Utc>,
    ) -> Result<Value, IssueError> {
        let def = &self.achievement.definition;
        let text = |key: &str| def.get(key).and_then(Value::as_str).unwrap_or_default();
        // The builder wants a typed Achievement; the stored definition (made by the same
        // builders) replaces it below so every stored property is kept.
        let placeholder = CoreAchievement::new(
            iri("credentialSubject.achievement.id", text("id"))?,
            text("name"),
            text("description"),
            Criteria::new().narrative("-"),
        );
        let mut subject = match &self.recipient {
            Recipient::Did(did) => AchievementSubject::with_id(iri("recipient", did)?),
            Recipient::Email(email) => {
                AchievementSubject::with_email(&normalise_email(email), &random_salt()?)
            }
        };
        subject = subject.activity_end_date(self.completed);
        if let Some(value) = &self.result {
            subject = subject.result(AchievementResult::new().value(value.clone()));
        }
        let issuer_placeholder = Profile::new(
            iri("issuer", "did:example:placeholder")?,
            "-",
            iri("issuer.url", "https://placeholder.example")?,
        );
        let valid_from = now.fixed_offset();
        let mut builder = AchievementCredential::builder(
            iri("id", id.as_str())?,
            issuer_placeholder,
            placeholder,
            subject,
            valid_from,
        )
        .awarded_date(self.completed);
        // Cited so that verifiers check it against the schema it was checked against before
        // signing — only when it conforms whole: with a suspension entry too, its two
        // `credentialStatus` entries break the schema's one-entry rule (each is checked alone).
        if suspension.is_none() {
            builder = builder.credential_schema(CredentialSchema::ob_achievement_credential());
        }
        if let Some(name) = def.get("name").and_then(Value::as_str) {
            builder = builder.name(name);
        }
        if self.evidence_url.is_some() || self.evidence_narrative.is_some() {
            let mut evidence = Evidence::new();
            if let Some(url) = &self.evidence_url {
                evidence = evidence.id(url.clone());
            }
            if let Some(narrative) = &self.evidence_narrative {
                evidence = evidence.narrative(narrative.clone());
            }
            builder = builder.evidence(evidence);
        }
        let mut doc = builder.build().map_err(|e| match e {
            model::BuildError::Invalid { violations } => {
                let field = violations
                    .first()
                    .map(|v| v.path.clone())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "credential".into());
                IssueError::Invalid {
                    field,
                    reason: violations
                        .iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            }
            other => IssueError::invalid("credential", other.to_string()),
        })?;
        doc["issuer"] = context.profile.clone();
        doc["credentialSubject"]["achievement"] = def.clone();
        let mut entries = vec![BitstringEntry::new(
            StatusPurpose::Revocation,
            revocation.index,
            &status_list_url(&context.base_url, &revocation.list_id),
        )
        .to_json()];
        if let Some(slot) = suspension {
            entries.push(
                BitstringEntry::new(
                    StatusPurpose::Suspension,
                    slot.index,
                    &status_list_url(&context.base_url, &slot.list_id),
                )
                .to_json(),
            );
        }
        doc["credentialStatus"] = if entries.len() == 1 {
            entries.remove(0)
        } else {
            Value::Array(entries)
        };
        Ok(doc)
    }
}

pub(super) fn iri(field: &str, value: &str) -> Result<Iri, IssueError> {
    Iri::parse(value).map_err(|e| IssueError::invalid(field, format!("{value:?}: {e}")))
}

pub(super) fn random_salt() -> Result<String, IssueError> {
    let mut bytes = [0u8; 16];
    secret::fill_random(&mut bytes).map_err(|source| IssueError::Randomness {
        what: "the learner's identity salt",
        source,
    })?;
    Ok(hex::encode(bytes))
}
