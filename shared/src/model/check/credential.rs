//! The VC Data Model rules of a credential: its `@context`, types, issuer, subjects, proofs.

use serde_json::{Map, Value};

use super::{
    describe, includes, index, items, key, recipient, Checker, CredentialKind, CredentialModel,
    CredentialSchemaRef, IdRule, ImageRef, IssuerSummary, TypedEntry,
};
use crate::input::json_type_name;
use crate::model::{is_ob_context, Iri, VcVersion, OB_CONTEXT, VC_V1_CONTEXT, VC_V2_CONTEXT};
use crate::verify::{Message, MessageCode as C};

impl Checker {
    pub(super) fn credential(
        &mut self,
        doc: &Value,
        base: &str,
        depth: usize,
    ) -> Option<CredentialModel> {
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
    pub(super) fn context<'a>(
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
    pub(super) fn types(
        &mut self,
        value: Option<&Value>,
        path: &str,
        required: bool,
    ) -> Option<Vec<String>> {
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
    pub(super) fn require_type(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        wanted: &str,
        rule: Message,
    ) {
        let path = key(base, "type");
        let types = self.types(obj.get("type"), &path, true);
        if types.is_some() && !includes(&types, wanted) {
            self.fail(&path, rule.id("wanted", wanted));
        }
    }

    pub(super) fn issuer(
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
    pub(super) fn profile(
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

    pub(super) fn image(&mut self, value: &Value, path: &str) -> Option<ImageRef> {
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

    pub(super) fn subjects<'a>(
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
    pub(super) fn typed_entries<'a>(
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

    pub(super) fn proofs(&mut self, obj: &Map<String, Value>, base: &str) -> usize {
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
}
