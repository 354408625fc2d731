//! The VC Data Model rules of a presentation.

use serde_json::Value;

use super::{
    describe, includes, is_compact_jws, items, key, Checker, PresentationModel, PresentedCredential,
};
use crate::input::json_type_name;
use crate::verify::{Message, MessageCode as C};

impl Checker {
    pub(super) fn presentation(&mut self, doc: &Value) -> Option<PresentationModel> {
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
