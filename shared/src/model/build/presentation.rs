//! The `VerifiablePresentation` builder.

use serde_json::Value;

use crate::model::{Iri, VC_V2_CONTEXT};

/// The presentation type.
pub struct VerifiablePresentation;

impl VerifiablePresentation {
    /// Starts a VCDM 2.0 presentation by `holder` (the wallet's DID).
    pub fn builder(holder: Iri) -> VerifiablePresentationBuilder {
        VerifiablePresentationBuilder {
            id: None,
            holder,
            credentials: Vec::new(),
        }
    }
}

/// Builds a `VerifiablePresentation`; see [`VerifiablePresentation::builder`].
#[derive(Debug, Clone)]
pub struct VerifiablePresentationBuilder {
    id: Option<Iri>,
    holder: Iri,
    credentials: Vec<Value>,
}

impl VerifiablePresentationBuilder {
    /// The presentation's id (e.g. a `urn:uuid:`).
    pub fn id(mut self, id: Iri) -> Self {
        self.id = Some(id);
        self
    }

    /// Adds a credential with an embedded proof, exactly as held.
    pub fn credential(mut self, credential: Value) -> Self {
        self.credentials.push(credential);
        self
    }

    /// Adds a VC-JOSE credential (a compact JWS) the VCDM 2.0 way: an
    /// `EnvelopedVerifiableCredential` whose id is `data:application/vc+jwt,<jws>`.
    pub fn enveloped_jwt(mut self, compact_jws: &str) -> Self {
        self.credentials.push(serde_json::json!({
            "@context": VC_V2_CONTEXT,
            "id": format!("data:application/vc+jwt,{compact_jws}"),
            "type": "EnvelopedVerifiableCredential",
        }));
        self
    }

    /// The presentation document (unsigned: the proof, with its challenge and domain, is added
    /// by the proof module).
    pub fn build(self) -> Value {
        let mut doc = serde_json::Map::new();
        doc.insert("@context".into(), Value::from(vec![VC_V2_CONTEXT]));
        if let Some(id) = self.id {
            doc.insert("id".into(), Value::String(id.into_string()));
        }
        doc.insert("type".into(), Value::from(vec!["VerifiablePresentation"]));
        doc.insert("holder".into(), Value::String(self.holder.into_string()));
        if !self.credentials.is_empty() {
            doc.insert(
                "verifiableCredential".into(),
                Value::Array(self.credentials),
            );
        }
        Value::Object(doc)
    }
}
