//! What a check still needs from the outside world, and what the caller fetched.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::endorsement::{embedded_endorsements, Item};
use super::input::{parse_jws, Presented};
use super::signature::jws_key_reference;
use super::{embedded_credentials, Embedded};
use crate::did::{self, FetchedDocuments};
use crate::proof;
use crate::schema::SchemaSet;
use crate::status;

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
    // Each credential's embedded endorsements (bounded) are checked like credentials: their
    // keys, status lists and schemas are needed too.
    let mut endorsements: Vec<&Value> = Vec::new();
    let mut endorsement_payloads: Vec<Value> = Vec::new();
    for credential in &credentials {
        for found in embedded_endorsements(credential).0 {
            match found.item {
                Item::Json(value) => endorsements.push(value),
                Item::Jws(text) => {
                    if let Ok(Presented::Jws(jws)) = parse_jws(text) {
                        if let Some(vm) = jws_key_reference(&jws) {
                            add_vm(&vm, &mut dids);
                        }
                        if let Some(credential) = jws.credential {
                            endorsement_payloads.push(credential);
                        }
                    }
                }
            }
        }
    }
    credentials.extend(endorsements);
    credentials.extend(endorsement_payloads.iter());
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
