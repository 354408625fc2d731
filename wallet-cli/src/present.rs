//! Presentation building (`present`): stored credentials wrapped in a VCDM 2.0 presentation by
//! the holder's did:key, with a fresh `urn:uuid:` id, signed for a verifier's challenge and
//! domain.
//!
//! Built in steps ([`Draft::new`], [`Draft::add`] per credential, [`Draft::sign`]) so that the
//! binary reads each credential from the store and warns about it in order, and stops at the
//! first one that cannot be presented.

use passerelle_core::did;
use passerelle_core::keys::KeyPair;
use passerelle_core::model::{
    Iri, IriError, VerifiablePresentation, VerifiablePresentationBuilder,
};
use passerelle_core::proof::{self, Cryptosuite, ProofError, ProofOptions};
use passerelle_core::verify::{Presented, VerifyInputError};
use uuid::Uuid;

use crate::checking;

/// Why a presentation could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresentError {
    #[error("--challenge and --domain must not be empty: use the values the verifier gave you")]
    EmptyRequest,
    /// The stored text of credential `number` is not readable.
    #[error("{source}")]
    Unreadable {
        number: u64,
        #[source]
        source: VerifyInputError,
    },
    #[error("#{number} is not a credential")]
    NotACredential { number: u64 },
    /// The holder DID or the presentation id is not an IRI (neither happens with a did:key and
    /// a `urn:uuid:`).
    #[error("{source}")]
    Iri {
        iri: String,
        #[source]
        source: IriError,
    },
    #[error("cannot sign the presentation")]
    Sign(#[source] ProofError),
    #[error("{0}")]
    Json(#[source] serde_json::Error),
}

/// What the verifier asked for: its challenge and domain, neither empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    challenge: String,
    domain: String,
}

impl Request {
    /// The request, refused when the challenge or the domain is empty (or only spaces).
    pub fn new(challenge: &str, domain: &str) -> Result<Self, PresentError> {
        if challenge.trim().is_empty() || domain.trim().is_empty() {
            return Err(PresentError::EmptyRequest);
        }
        Ok(Self {
            challenge: challenge.to_owned(),
            domain: domain.to_owned(),
        })
    }

    /// The verifier's domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

/// A presentation being filled with credentials.
#[derive(Debug, Clone)]
pub struct Draft {
    builder: VerifiablePresentationBuilder,
}

impl Draft {
    /// An empty presentation held by `holder`'s did:key.
    pub fn new(holder: &KeyPair) -> Result<Self, PresentError> {
        let holder_did = did::did_key(&holder.public()).to_string();
        Ok(Self {
            builder: VerifiablePresentation::builder(iri(&holder_did)?),
        })
    }

    /// Adds credential `number` from its stored `text`: a credential with an embedded proof as
    /// held, a compact JWS enveloped.
    pub fn add(self, number: u64, text: &str) -> Result<Self, PresentError> {
        let builder = match checking::parse(text)
            .map_err(|source| PresentError::Unreadable { number, source })?
        {
            Presented::Jws(jws) => self.builder.enveloped_jwt(&jws.compact),
            Presented::Credential(value) => self.builder.credential(value),
            _ => return Err(PresentError::NotACredential { number }),
        };
        Ok(Self { builder })
    }

    /// The presentation, with a fresh `urn:uuid:` id, signed by `holder` with `cryptosuite`
    /// at `created` (RFC 3339) for `request`: pretty JSON ending in a line break.
    pub fn sign(
        self,
        holder: &KeyPair,
        request: &Request,
        cryptosuite: Cryptosuite,
        created: &str,
    ) -> Result<String, PresentError> {
        let presentation = self
            .builder
            .id(iri(&presentation_id(Uuid::new_v4()))?)
            .build();
        let options = ProofOptions::authentication(
            cryptosuite,
            did::did_key_verification_method(&holder.public()),
            created,
            request.challenge.as_str(),
            request.domain.as_str(),
        );
        let signed = proof::sign(&presentation, holder, &options).map_err(PresentError::Sign)?;
        Ok(serde_json::to_string_pretty(&signed).map_err(PresentError::Json)? + "\n")
    }
}

/// `urn:uuid:` and the id, hyphenated, lowercase.
fn presentation_id(id: Uuid) -> String {
    format!("urn:uuid:{}", id.hyphenated())
}

fn iri(text: &str) -> Result<Iri, PresentError> {
    Iri::parse(text).map_err(|source| PresentError::Iri {
        iri: text.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use passerelle_core::model;
    use serde_json::Value;

    use super::*;

    #[test]
    fn a_presentation_holds_the_credentials_is_signed_for_the_request_and_has_a_v4_urn() {
        let holder = KeyPair::from_seed(&[7; 32]);
        let credential = model::sample::data_literacy_badge().to_string();
        let request = Request::new("c-123", "verifier.example").unwrap();
        let text = Draft::new(&holder)
            .unwrap()
            .add(1, &credential)
            .unwrap()
            .add(2, "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln")
            .unwrap()
            .sign(
                &holder,
                &request,
                Cryptosuite::EddsaJcs2022,
                "2026-12-01T00:00:00Z",
            )
            .unwrap();
        assert!(text.ends_with("}\n"));
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["holder"], did::did_key(&holder.public()).to_string());
        let held = doc["verifiableCredential"].as_array().unwrap();
        assert_eq!(held.len(), 2);
        assert_eq!(held[0], serde_json::from_str::<Value>(&credential).unwrap());
        assert!(model::has_type(&held[1], "EnvelopedVerifiableCredential"));
        let proof = if doc["proof"].is_array() {
            &doc["proof"][0]
        } else {
            &doc["proof"]
        };
        assert_eq!(proof["challenge"], "c-123", "{text}");
        assert_eq!(proof["domain"], "verifier.example");
        assert_eq!(proof["created"], "2026-12-01T00:00:00Z");
        let id = doc["id"].as_str().unwrap();
        let uuid = id.strip_prefix("urn:uuid:").unwrap();
        let parsed = Uuid::parse_str(uuid).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(uuid, uuid.to_ascii_lowercase());
        assert_eq!(uuid.len(), 36);
    }

    #[test]
    fn an_empty_request_or_a_text_that_is_not_a_credential_is_refused() {
        for (challenge, domain) in [("", "d"), ("c", " "), ("  ", "")] {
            assert!(matches!(
                Request::new(challenge, domain),
                Err(PresentError::EmptyRequest)
            ));
        }
        let holder = KeyPair::from_seed(&[7; 32]);
        let draft = Draft::new(&holder).unwrap();
        assert!(matches!(
            draft.clone().add(3, "not a credential"),
            Err(PresentError::Unreadable { number: 3, .. })
        ));
        let presentation = serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"]
        })
        .to_string();
        match draft.add(4, &presentation) {
            Err(e @ PresentError::NotACredential { number: 4 }) => {
                assert_eq!(e.to_string(), "#4 is not a credential");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn presentation_ids_are_hyphenated_lowercase_urns() {
        let id = Uuid::from_u128(0xABCDEF01_2345_4678_89AB_CDEF01234567);
        assert_eq!(
            presentation_id(id),
            "urn:uuid:abcdef01-2345-4678-89ab-cdef01234567"
        );
    }
}
