//! OB 3.0 endorsements, both ways (issue 16).
//!
//! - As an endorser: [`Issuer::endorse`] signs an `EndorsementCredential` about another issuer's
//!   Profile or Achievement with this issuer's key (the core builder, the core data-model check,
//!   eddsa-rdfc-2022), with a revocation entry from this issuer's status lists, and records it
//!   in the `endorsements` table (not with the credentials: it has no learner), with an audit
//!   record. [`Issuer::revoke_endorsement`] revokes it; the published list shows it at once.
//! - As the endorsed: [`attach`] checks a received endorsement (a JSON EndorsementCredential,
//!   stored in `endorsement`) — its subject is the target's id, its shape passes the core's
//!   data-model check, and its signature verifies when it can be checked offline — and stores it
//!   in the issuer Profile or the Achievement definition, so every credential issued afterwards
//!   carries it (issuance puts the stored definitions in). [`detach`] removes it again. A
//!   compact JWS (`endorsementJwt`) is refused: the OB 3.0 JSON-LD context does not define the
//!   term, so no credential carrying it could be signed with eddsa-rdfc-2022.
//!
//! Every rule (shape, signature, key) is the core's; this module only moves documents.

use chrono::{DateTime, FixedOffset, Utc};
use passerelle_core::did::Did;
use passerelle_core::input::InputLimits;
use passerelle_core::model::{self, CredentialKind, EndorsementCredential, Iri, Profile};
use passerelle_core::status::{BitstringEntry, StatusPurpose};
use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome, Presented};
use serde_json::{json, Value};

use crate::issuance::{
    parse_completion_date, status_list_url, IssueError, Issuer, MAX_NARRATIVE, MAX_SHORT_TEXT,
};
use crate::store::{
    CredentialId, IssuedEndorsement, ListPurpose, NewAuditEntry, NewEndorsement, NewIssuerProfile,
    Store,
};

/// What to endorse, and how (the CLI's flags and the admin API's JSON body).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndorseRequest {
    /// The endorsed Profile's or Achievement's id (a DID, a URL or a `urn:uuid:`).
    pub subject: String,
    /// The endorser's comment (Markdown).
    pub comment: String,
    /// `YYYY-MM-DD` or RFC 3339; default now.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339; default none.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// The credential's `name`; default "Endorsement by {endorser}".
    #[serde(default)]
    pub name: Option<String>,
}

impl Issuer {
    /// Signs an `EndorsementCredential` (see the module documentation) and records it, with an
    /// `endorsement.issue` audit record; only then is it returned.
    pub async fn endorse(
        &self,
        request: &EndorseRequest,
        actor: &str,
    ) -> Result<IssuedEndorsement, IssueError> {
        let now = crate::store::now_seconds();
        let subject = request.subject.trim();
        let subject_iri = Iri::parse(subject)
            .map_err(|e| IssueError::invalid("subject", format!("{subject:?}: {e}")))?;
        let comment = request.comment.trim();
        if comment.is_empty() {
            return Err(IssueError::invalid("comment", "empty"));
        }
        if comment.chars().count() > MAX_NARRATIVE {
            return Err(IssueError::invalid(
                "comment",
                format!("longer than {MAX_NARRATIVE} characters"),
            ));
        }
        let date = |field: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| parse_completion_date(t).map_err(|e| IssueError::invalid(field, e)))
                .transpose()
        };
        let valid_from = date("valid_from", &request.valid_from)?.unwrap_or(now.fixed_offset());
        let valid_until = date("valid_until", &request.valid_until)?;
        if let Some(until) = valid_until {
            if until <= valid_from {
                return Err(IssueError::invalid(
                    "valid_until",
                    format!("{until} is not after valid_from {valid_from}"),
                ));
            }
        }
        let profile = self.profile();
        let name = match request.name.as_deref().map(str::trim) {
            Some("") => return Err(IssueError::invalid("name", "empty")),
            Some(n) if n.chars().count() > MAX_SHORT_TEXT => {
                return Err(IssueError::invalid(
                    "name",
                    format!("longer than {MAX_SHORT_TEXT} characters"),
                ))
            }
            Some(n) => n.to_owned(),
            None => format!(
                "Endorsement by {}",
                profile["name"].as_str().unwrap_or(&self.did())
            ),
        };
        let revocation = self
            .store()
            .allocate_status_index(ListPurpose::Revocation)
            .await?;
        let id = CredentialId::generate();
        let unsigned = build(
            &id,
            &profile,
            &name,
            subject_iri,
            comment,
            valid_from,
            valid_until,
            BitstringEntry::new(
                StatusPurpose::Revocation,
                revocation.index,
                &status_list_url(&self.base_url(), &revocation.list_id),
            )
            .to_json(),
        )?;
        let context = self.signing_context();
        // On the signing threads, as credentials are (JSON-LD runs on their large stacks).
        let signed = tokio::task::spawn_blocking(move || {
            crate::signing_pool::on_signing_pool(move || {
                context.check_and_sign_endorsement(&unsigned, now)
            })
        })
        .await
        .map_err(|source| IssueError::Task { source })??;
        let text =
            serde_json::to_string(&signed).map_err(|source| IssueError::Encoding { source })?;
        self.store()
            .insert_endorsement(&NewEndorsement {
                id: id.clone(),
                subject_id: subject.to_owned(),
                revocation,
                credential: text,
                issued_at: now,
            })
            .await?;
        self.store()
            .append_audit(&NewAuditEntry {
                actor: actor.to_owned(),
                action: "endorsement.issue".into(),
                subject: id.to_string(),
                details: json!({ "endorsed": subject }),
            })
            .await?;
        self.store()
            .endorsement(&id)
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "endorsement just written",
                id: id.to_string(),
            })
    }

    /// Revokes an endorsement this issuer signed, for good, with an `endorsement.revoke` audit
    /// record; this process serves the changed status list at once.
    pub async fn revoke_endorsement(
        &self,
        id: &CredentialId,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<IssuedEndorsement, IssueError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 1000) {
            return Err(IssueError::invalid("reason", "longer than 1000 characters"));
        }
        let changed = self.store().revoke_endorsement(id, reason).await?;
        let stored = self
            .store()
            .endorsement(id)
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "endorsement",
                id: id.to_string(),
            })?;
        self.status_cache().expire(&stored.revocation.list_id);
        self.store()
            .append_audit(&NewAuditEntry {
                actor: actor.to_owned(),
                action: "endorsement.revoke".into(),
                subject: id.to_string(),
                details: json!({ "reason": reason, "changed": changed }),
            })
            .await?;
        Ok(stored)
    }
}

/// The unsigned endorsement, made by the core builder (which runs the data-model check); the
/// stored issuer Profile replaces the builder's typed one so every stored property is kept, as
/// issuance does for credentials.
#[allow(clippy::too_many_arguments)]
fn build(
    id: &CredentialId,
    profile: &Value,
    name: &str,
    subject: Iri,
    comment: &str,
    valid_from: DateTime<FixedOffset>,
    valid_until: Option<DateTime<FixedOffset>>,
    status: Value,
) -> Result<Value, IssueError> {
    let iri = |field: &str, text: &str| {
        Iri::parse(text).map_err(|e| IssueError::invalid(field, format!("{text:?}: {e}")))
    };
    let placeholder = Profile::new(
        iri("issuer", "did:example:placeholder")?,
        "-",
        iri("issuer.url", "https://placeholder.example")?,
    );
    let mut builder = EndorsementCredential::builder(
        iri("id", id.as_str())?,
        placeholder,
        name,
        subject,
        valid_from,
    )
    .endorsement_comment(comment)
    .credential_status(status);
    if let Some(until) = valid_until {
        builder = builder.valid_until(until);
    }
    let mut doc = builder
        .build()
        .map_err(|e| IssueError::invalid("endorsement", e.to_string()))?;
    doc["issuer"] = profile.clone();
    Ok(doc)
}

/// The JSON the admin API and `endorse --json`-style outputs show for an endorsement signed here.
pub fn endorsement_view(e: &IssuedEndorsement) -> Value {
    json!({
        "id": e.id.as_str(),
        "subject": e.subject_id,
        "status": if e.revoked_at.is_some() { "revoked" } else { "active" },
        "issued_at": e.issued_at.to_rfc3339(),
        "revoked_at": e.revoked_at.map(|t| t.to_rfc3339()),
        "credential": serde_json::from_str::<Value>(&e.credential).unwrap_or(Value::Null),
    })
}

/// Where a received endorsement is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachTarget {
    /// The issuer Profile (`issuer.endorsement` in every credential).
    Profile,
    /// An Achievement definition, by slug (`credentialSubject.achievement.endorsement`).
    Achievement(String),
}

/// Whether the attached endorsement's signature was checked here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The proof and the endorser's key verified.
    Verified,
    /// Not checked here (e.g. a did:web endorser without its DID document); verifiers check it.
    NotChecked { reason: String },
}

/// What [`attach`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    /// The endorsement credential's `id`.
    pub endorsement_id: String,
    /// The endorser (the endorsement's issuer id).
    pub endorser: String,
    /// The Profile's or Achievement's id it is attached to.
    pub target_id: String,
    /// `endorsement` (JSON) or `endorsementJwt` (compact JWS).
    pub property: &'static str,
    pub signature: SignatureCheck,
}

/// Checks a received endorsement and attaches it to `target` (see the module documentation),
/// with an `endorsement.attach` audit record. `did_document` is the endorser's DID document,
/// for a did:web endorser checked offline. A caller holding an [`Issuer`] calls
/// [`Issuer::reload_profile`] after attaching to the Profile.
pub async fn attach(
    store: &Store,
    target: &AttachTarget,
    bytes: &[u8],
    did_document: Option<&Value>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Attached, IssueError> {
    let presented = verify::parse_input(bytes, &InputLimits::default())
        .map_err(|e| IssueError::invalid("endorsement", e.to_string()))?;
    let (doc, property, entry) = match &presented {
        Presented::Credential(doc) => (doc.clone(), "endorsement", doc.clone()),
        Presented::Jws(_) => {
            // Refused rather than stored: every credential carrying it would then fail JSON-LD
            // safe mode at signing (`endorsementJwt` is in the 1EdTech validator's cached
            // context only, not in the published 3.0.3 one we sign with).
            return Err(IssueError::invalid(
                "endorsement",
                "a compact JWS would go in `endorsementJwt`, which the OB 3.0 JSON-LD context \
                 (context-3.0.3.json) does not define, so no credential carrying it could be \
                 signed with eddsa-rdfc-2022; attach the endorsement as JSON (an \
                 EndorsementCredential with its Data Integrity proof)",
            ));
        }
        _ => {
            return Err(IssueError::invalid(
                "endorsement",
                "not an EndorsementCredential (a presentation?)",
            ))
        }
    };
    let checked = model::check_credential(&doc).map_err(|violations| {
        IssueError::invalid(
            "endorsement",
            violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let (CredentialKind::Endorsement, Some(summary)) = (checked.kind, &checked.endorsement) else {
        return Err(IssueError::invalid(
            "endorsement",
            "not an EndorsementCredential",
        ));
    };
    let endorsement_id = checked
        .id
        .as_ref()
        .map(|i| i.as_str().to_owned())
        .ok_or_else(|| IssueError::invalid("endorsement.id", "missing"))?;
    let endorser = checked.issuer.id.as_str().to_owned();
    let (target_id, mut definition) = target_definition(store, target).await?;
    if summary.subject_id.as_str() != target_id {
        return Err(IssueError::invalid(
            "endorsement.credentialSubject.id",
            format!(
                "the endorsement is about {:?}, but {} is {target_id:?}",
                summary.subject_id.as_str(),
                target_name(target)
            ),
        ));
    }
    if attached_ids(&definition).contains(&endorsement_id) {
        return Err(IssueError::Conflict {
            reason: format!(
                "endorsement {endorsement_id} is already attached to {}",
                target_name(target)
            ),
        });
    }
    let signature = check_signature(&presented, &endorser, did_document, now)?;
    match definition
        .as_object_mut()
        .map(|o| o.entry(property).or_insert_with(|| json!([])))
    {
        Some(Value::Array(list)) => list.push(entry),
        _ => {
            return Err(IssueError::invalid(
                property,
                format!("the stored {} has no {property} array", target_name(target)),
            ))
        }
    }
    save_definition(store, target, &definition).await?;
    store
        .append_audit(&NewAuditEntry {
            actor: actor.to_owned(),
            action: "endorsement.attach".into(),
            subject: endorsement_id.clone(),
            details: json!({
                "target": target_id,
                "endorser": endorser,
                "property": property,
                "signatureChecked": signature == SignatureCheck::Verified,
            }),
        })
        .await?;
    Ok(Attached {
        endorsement_id,
        endorser,
        target_id,
        property,
        signature,
    })
}

/// Removes the endorsement with credential id `endorsement_id` from `target` (from
/// `endorsement` or `endorsementJwt`), with an `endorsement.detach` audit record. Credentials
/// issued before keep it (they are signed).
pub async fn detach(
    store: &Store,
    target: &AttachTarget,
    endorsement_id: &str,
    actor: &str,
) -> Result<(), IssueError> {
    let (target_id, mut definition) = target_definition(store, target).await?;
    let mut removed = false;
    if let Some(object) = definition.as_object_mut() {
        for property in ["endorsement", "endorsementJwt"] {
            let Some(Value::Array(list)) = object.get_mut(property) else {
                continue;
            };
            let before = list.len();
            list.retain(|e| entry_id(e).as_deref() != Some(endorsement_id));
            removed |= list.len() != before;
            if list.is_empty() {
                object.remove(property);
            }
        }
    }
    if !removed {
        return Err(IssueError::NotFound {
            what: "attached endorsement",
            id: endorsement_id.to_owned(),
        });
    }
    save_definition(store, target, &definition).await?;
    store
        .append_audit(&NewAuditEntry {
            actor: actor.to_owned(),
            action: "endorsement.detach".into(),
            subject: endorsement_id.to_owned(),
            details: json!({ "target": target_id }),
        })
        .await?;
    Ok(())
}

/// The ids of the endorsements attached to a stored Profile or Achievement definition.
pub fn attached_ids(definition: &Value) -> Vec<String> {
    ["endorsement", "endorsementJwt"]
        .iter()
        .filter_map(|p| definition.get(*p).and_then(Value::as_array))
        .flatten()
        .filter_map(entry_id)
        .collect()
}

/// The credential id of an `endorsement` object or an `endorsementJwt` string.
fn entry_id(entry: &Value) -> Option<String> {
    match entry {
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        Value::String(compact) => {
            match verify::parse_input(compact.as_bytes(), &InputLimits::default()).ok()? {
                Presented::Jws(jws) => jws
                    .credential?
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                _ => None,
            }
        }
        _ => None,
    }
}

fn target_name(target: &AttachTarget) -> String {
    match target {
        AttachTarget::Profile => "the issuer profile".into(),
        AttachTarget::Achievement(slug) => format!("achievement {slug:?}"),
    }
}

async fn target_definition(
    store: &Store,
    target: &AttachTarget,
) -> Result<(String, Value), IssueError> {
    let definition = match target {
        AttachTarget::Profile => {
            store
                .issuer_profile()
                .await?
                .ok_or_else(|| IssueError::NotFound {
                    what: "issuer profile (run init)",
                    id: String::new(),
                })?
                .profile
        }
        AttachTarget::Achievement(slug) => {
            store
                .achievement_by_slug(slug)
                .await?
                .ok_or_else(|| IssueError::NotFound {
                    what: "achievement",
                    id: slug.clone(),
                })?
                .definition
        }
    };
    let id = definition
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            IssueError::invalid(
                "id",
                format!("the stored {} has no id", target_name(target)),
            )
        })?
        .to_owned();
    Ok((id, definition))
}

async fn save_definition(
    store: &Store,
    target: &AttachTarget,
    definition: &Value,
) -> Result<(), IssueError> {
    match target {
        AttachTarget::Profile => {
            let current = store
                .issuer_profile()
                .await?
                .ok_or_else(|| IssueError::NotFound {
                    what: "issuer profile (run init)",
                    id: String::new(),
                })?;
            store
                .set_issuer_profile(&NewIssuerProfile {
                    name: current.name,
                    url: current.url,
                    did: current.did,
                    profile: definition.clone(),
                })
                .await?;
        }
        AttachTarget::Achievement(slug) => {
            let achievement =
                store
                    .achievement_by_slug(slug)
                    .await?
                    .ok_or_else(|| IssueError::NotFound {
                        what: "achievement",
                        id: slug.clone(),
                    })?;
            store
                .update_achievement(&achievement.id, definition)
                .await?;
        }
    }
    Ok(())
}

/// The endorsement's signature and key, checked by the core verifier when that can be done
/// offline: a did:key always, a did:web with its DID document. A proof or key that fails is
/// refused; one that could not be checked is attached with [`SignatureCheck::NotChecked`].
fn check_signature(
    presented: &Presented,
    endorser: &str,
    did_document: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<SignatureCheck, IssueError> {
    let mut fetched = Fetched::default();
    if let Some(document) = did_document {
        let did = Did::parse(endorser)
            .map_err(|e| IssueError::invalid("endorsement.issuer", format!("{endorser:?}: {e}")))?;
        if document.get("id").and_then(Value::as_str) != Some(endorser) {
            return Err(IssueError::invalid(
                "did_document",
                format!(
                    "the DID document is {:?}, the endorser is {endorser:?}",
                    document.get("id").and_then(Value::as_str).unwrap_or("")
                ),
            ));
        }
        fetched.did_documents.insert(&did, document.clone());
    }
    let report = verify::check(presented, &fetched, now, &CheckOptions::default());
    let mut not_checked = Vec::new();
    for id in [CheckId::Proof, CheckId::VerificationMethod] {
        let Some(check) = report.check(id) else {
            continue;
        };
        match check.outcome {
            Outcome::Pass => {}
            Outcome::Fail => {
                return Err(IssueError::invalid(
                    "endorsement.proof",
                    format!("{}: {}", id.as_str(), check.message.english()),
                ))
            }
            _ => not_checked.push(format!("{}: {}", id.as_str(), check.message.english())),
        }
    }
    if report.check(CheckId::Proof).is_none() {
        not_checked.push("no proof was checked".into());
    }
    Ok(if not_checked.is_empty() {
        SignatureCheck::Verified
    } else {
        SignatureCheck::NotChecked {
            reason: not_checked.join("; "),
        }
    })
}
