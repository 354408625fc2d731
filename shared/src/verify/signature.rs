//! The `proof` and `verification_method` checks: Data Integrity proofs and compact JWSs, and
//! whether the signing key is the issuer's (or holder's) for this purpose.

use serde_json::Value;

use super::input::JwsCredential;
use super::issuer_id;
use super::messages::{Message, MessageCode as C};
use super::needs::Fetched;
use super::report::{Check, CheckId, Outcome};
use crate::did::{self, KeyReference, Relationship, ResolvedKey, ResolvedVia};
use crate::jose::{self, VcForm};
use crate::jsonld::JsonLdError;
use crate::proof::{self, ParsedProof, ProofError, Suite};

/// The `proof` and `verification_method` checks, and what canonicalization learnt about the
/// document's JSON-LD (`None` when no RDFC proof got that far).
pub(super) struct SignatureChecks {
    pub(super) proof: Check,
    pub(super) key: Check,
    pub(super) json_ld: Option<Result<(), JsonLdError>>,
}

/// Whose signature a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signer {
    Issuer,
    Holder,
}

impl Signer {
    fn proof_message(self, outcome: Outcome) -> Message {
        Message::new(match (outcome, self) {
            (Outcome::Pass, Signer::Issuer) => C::ProofValidIssuer,
            (Outcome::Pass, Signer::Holder) => C::ProofValidHolder,
            (Outcome::Warning, Signer::Issuer) => C::ProofCaveatIssuer,
            (Outcome::Warning, Signer::Holder) => C::ProofCaveatHolder,
            (Outcome::Fail, _) => C::ProofInvalid,
            (Outcome::NotChecked, _) => C::ProofNotChecked,
        })
    }

    fn key_message(self, outcome: Outcome) -> Message {
        Message::new(match (outcome, self) {
            (Outcome::Pass, Signer::Issuer) => C::KeyValidIssuer,
            (Outcome::Pass, Signer::Holder) => C::KeyValidHolder,
            (Outcome::Warning, Signer::Issuer) => C::KeyUnvouchedIssuer,
            (Outcome::Warning, Signer::Holder) => C::KeyUnvouchedHolder,
            (Outcome::Fail, Signer::Issuer) => C::KeyWrongIssuer,
            (Outcome::Fail, Signer::Holder) => C::KeyWrongHolder,
            (Outcome::NotChecked, _) => C::KeyNotChecked,
        })
    }
}

/// Checks every Data Integrity proof of `doc`.
pub(super) fn data_integrity_checks(
    doc: &Value,
    proofs: Result<Vec<ParsedProof>, ProofError>,
    fetched: &Fetched,
    relationship: Relationship,
    expected_controller: Option<&str>,
    signer: Signer,
) -> SignatureChecks {
    let proofs = match proofs {
        Ok(proofs) => proofs,
        Err(e) => {
            return SignatureChecks {
                proof: Check::fail(
                    CheckId::Proof,
                    Message::new(C::ProofUnreadable),
                    vec![Message::new(C::ProofDetailError).raw("error", e)],
                    true,
                ),
                key: Check::not_checked(
                    CheckId::VerificationMethod,
                    Message::new(C::KeyProofUnreadable),
                    vec![],
                    true,
                ),
                json_ld: None,
            }
        }
    };
    if proofs.is_empty() {
        return SignatureChecks {
            proof: Check::fail(CheckId::Proof, Message::new(C::ProofMissing), vec![], true),
            key: Check::not_checked(
                CheckId::VerificationMethod,
                Message::new(C::KeyNoProof),
                vec![],
                true,
            ),
            json_ld: None,
        };
    }
    let mut proof_outcome = Outcome::Pass;
    let mut key_outcome = Outcome::Pass;
    let mut proof_details = Vec::new();
    let mut key_details = Vec::new();
    let several = proofs.len() > 1;
    let mut json_ld: Option<Result<(), JsonLdError>> = None;
    for (n, parsed) in proofs.iter().enumerate() {
        let label = |message: Message| {
            if several {
                message.about_proof(n + 1)
            } else {
                message
            }
        };
        let suite = parsed.suite.to_string();
        // The suite must be one we know.
        if let Suite::Unsupported { .. } = &parsed.suite {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            proof_details.push(label(
                Message::new(C::ProofDetailUnsupportedSuite)
                    .id("path", &parsed.path)
                    .id("suite", &suite),
            ));
            continue;
        }
        // Purpose.
        let expected_purpose = relationship.as_str();
        if parsed.proof_purpose.as_deref() != Some(expected_purpose) {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            proof_details.push(label(
                Message::new(C::ProofDetailWrongPurpose)
                    .id(
                        "found",
                        parsed.proof_purpose.as_deref().unwrap_or("(missing)"),
                    )
                    .id("expected", expected_purpose),
            ));
            continue;
        }
        // A challenge or domain that is not this verifier's is the `challenge` check's
        // finding: the signature itself may well hold.
        // Key.
        let Some(vm) = parsed.verification_method.as_deref() else {
            proof_outcome = proof_outcome.worst(Outcome::Fail);
            key_outcome = key_outcome.worst(Outcome::Fail);
            key_details.push(label(Message::new(C::KeyDetailNoVerificationMethod)));
            continue;
        };
        let key = match resolve_key(vm, fetched, relationship, expected_controller) {
            KeyLookup::Found { key, outcome, note } => {
                key_outcome = key_outcome.worst(outcome);
                key_details.push(label(note));
                key
            }
            KeyLookup::Failed { outcome, reason } => {
                key_outcome = key_outcome.worst(outcome);
                key_details.push(label(reason));
                proof_outcome = proof_outcome.worst(if outcome == Outcome::Fail {
                    Outcome::Fail
                } else {
                    Outcome::NotChecked
                });
                proof_details.push(label(
                    Message::new(C::ProofDetailKeyUnavailable).id("suite", &suite),
                ));
                continue;
            }
        };
        let uses_rdfc = !matches!(parsed.suite, Suite::EddsaJcs2022);
        match proof::verify_proof(doc, parsed, &key.public_key) {
            Ok(verified) => {
                if uses_rdfc {
                    json_ld.get_or_insert(Ok(()));
                }
                let code = if verified.legacy {
                    proof_outcome = proof_outcome.worst(Outcome::Warning);
                    C::ProofDetailValidLegacy
                } else if verified.utf16_order {
                    proof_outcome = proof_outcome.worst(Outcome::Warning);
                    C::ProofDetailValidUtf16
                } else {
                    C::ProofDetailValid
                };
                proof_details.push(label(Message::new(code).id("suite", &suite)));
            }
            // The RDF form of a number is not agreed on: the signed data cannot be computed, and
            // that says nothing about the document (the json_ld check judges its terms).
            Err(ProofError::Document(JsonLdError::AmbiguousNumber {
                value,
                path,
                reason,
            })) if uses_rdfc => {
                proof_outcome = proof_outcome.worst(Outcome::NotChecked);
                proof_details.push(label(
                    Message::new(C::ProofDetailAmbiguousNumber)
                        .id("path", path)
                        .id("number", value)
                        .raw("reason", reason)
                        .id("suite", &suite),
                ));
            }
            Err(ProofError::Document(e)) => {
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(label(
                    Message::new(C::ProofDetailNotJsonLd).raw("error", &e),
                ));
                json_ld = Some(Err(e));
            }
            Err(ProofError::BadSignature { path }) => {
                if uses_rdfc {
                    json_ld.get_or_insert(Ok(()));
                }
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(label(
                    Message::new(C::ProofDetailSignatureMismatch)
                        .id("path", path)
                        .id("suite", &suite),
                ));
            }
            Err(e) => {
                proof_outcome = proof_outcome.worst(Outcome::Fail);
                proof_details.push(label(Message::new(C::ProofDetailError).raw("error", e)));
            }
        }
    }
    SignatureChecks {
        proof: Check::new(
            CheckId::Proof,
            proof_outcome,
            signer.proof_message(proof_outcome),
            proof_details,
            true,
        ),
        key: Check::new(
            CheckId::VerificationMethod,
            key_outcome,
            signer.key_message(key_outcome),
            key_details,
            true,
        ),
        json_ld,
    }
}

enum KeyLookup {
    Found {
        key: Box<ResolvedKey>,
        outcome: Outcome,
        note: Message,
    },
    Failed {
        outcome: Outcome,
        reason: Message,
    },
}

fn resolve_key(
    vm: &str,
    fetched: &Fetched,
    relationship: Relationship,
    expected_controller: Option<&str>,
) -> KeyLookup {
    match did::parse_verification_method(vm) {
        Err(e) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: Message::new(C::KeyDetailInvalidReference).raw("error", e),
            }
        }
        Ok(KeyReference::Unsupported { vm, reason }) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: Message::new(C::KeyDetailUnsupported)
                    .id("method", vm)
                    .raw("reason", reason),
            }
        }
        Ok(_) => {}
    }
    let key = match did::dereference(vm, &fetched.did_documents) {
        Ok(key) => key,
        Err(did::DidError::DocumentMissing { did, url }) => {
            let reason = match fetched.failures.get(&url) {
                Some(why) => Message::new(C::KeyDetailDocumentUnavailable)
                    .id("did", did.to_string())
                    .id("url", url)
                    .raw("reason", why),
                None => Message::new(C::KeyDetailDocumentNotFetched)
                    .id("did", did.to_string())
                    .id("url", url),
            };
            return KeyLookup::Failed {
                outcome: Outcome::NotChecked,
                reason,
            };
        }
        Err(e) => {
            return KeyLookup::Failed {
                outcome: Outcome::Fail,
                reason: Message::new(C::KeyDetailError).raw("error", e),
            }
        }
    };
    // The key is usable, so the signature is still checked, but a key that is not the issuer's
    // (or not authorised for this purpose) fails the key check.
    if let Some(expected) = expected_controller {
        if key.controller != expected {
            let code = if relationship == Relationship::Authentication {
                C::KeyDetailWrongControllerHolder
            } else {
                C::KeyDetailWrongControllerIssuer
            };
            return KeyLookup::Found {
                note: Message::new(code)
                    .id("key", &key.id)
                    .id("controller", &key.controller)
                    .id("expected", expected),
                key: Box::new(key),
                outcome: Outcome::Fail,
            };
        }
    }
    match key.via {
        ResolvedVia::HttpsFragment => KeyLookup::Found {
            note: Message::new(C::KeyDetailUrlOnly)
                .id("key", key.public_key.to_multikey())
                .id("controller", &key.controller),
            key: Box::new(key),
            outcome: Outcome::Warning,
        },
        _ if !key.has_relationship(relationship) => KeyLookup::Found {
            note: Message::new(C::KeyDetailNotListed)
                .id("key", &key.id)
                .id("relationship", relationship.as_str())
                .id("controller", &key.controller),
            key: Box::new(key),
            outcome: Outcome::Fail,
        },
        via => KeyLookup::Found {
            note: Message::new(match via {
                ResolvedVia::DidKey => C::KeyDetailListedDidKey,
                ResolvedVia::DidWebDocument => C::KeyDetailListedDidWeb,
                _ => C::KeyDetailListed,
            })
            .id("key", &key.id)
            .id("relationship", relationship.as_str()),
            key: Box::new(key),
            outcome: Outcome::Pass,
        },
    }
}

/// The verification method a JWS points at: its `kid`, made absolute against the issuer when
/// relative; or the issuer's did:key when there is no `kid`.
pub(super) fn jws_key_reference(jws: &JwsCredential) -> Option<String> {
    let issuer = jws.credential.as_ref().and_then(issuer_id);
    match (&jws.parsed.kid, issuer) {
        (Some(kid), Some(issuer)) if kid.starts_with('#') => Some(format!("{issuer}{kid}")),
        (Some(kid), _) => Some(kid.clone()),
        (None, Some(issuer)) if issuer.starts_with("did:key:") => {
            let fragment = issuer.trim_start_matches("did:key:").to_owned();
            Some(format!("{issuer}#{fragment}"))
        }
        _ => None,
    }
}

pub(super) fn jws_checks(
    jws: &JwsCredential,
    fetched: &Fetched,
    issuer: Option<&str>,
) -> (Check, Check) {
    let Some(vm) = jws_key_reference(jws) else {
        return (
            Check::fail(CheckId::Proof, Message::new(C::ProofJwsNoKey), vec![], true),
            Check::fail(
                CheckId::VerificationMethod,
                Message::new(C::KeyJwsNoKey),
                vec![],
                true,
            ),
        );
    };
    let key = match resolve_key(&vm, fetched, Relationship::AssertionMethod, issuer) {
        KeyLookup::Found { key, outcome, note } => (key, outcome, note),
        KeyLookup::Failed { outcome, reason } => {
            return (
                if outcome == Outcome::Fail {
                    Check::fail(
                        CheckId::Proof,
                        Message::new(C::ProofJwsKeyUnusable),
                        vec![],
                        true,
                    )
                } else {
                    Check::not_checked(
                        CheckId::Proof,
                        Message::new(C::ProofJwsKeyUnavailable),
                        vec![],
                        true,
                    )
                },
                Check::new(
                    CheckId::VerificationMethod,
                    outcome,
                    Message::new(C::KeyUnusable),
                    vec![reason],
                    true,
                ),
            )
        }
    };
    let (key, key_outcome, note) = key;
    let form = match jws.form {
        VcForm::VcJwt11 => "VC-JWT 1.1",
        _ => "VC-JOSE",
    };
    let proof_check = match jose::verify_compact(&jws.compact, &key.public_key) {
        Ok(_) => Check::pass(
            CheckId::Proof,
            Message::new(C::ProofValidIssuer),
            vec![Message::new(C::ProofDetailJwsValid).id("form", form)],
            true,
        ),
        Err(e) => Check::fail(
            CheckId::Proof,
            Message::new(C::ProofInvalid),
            vec![Message::new(C::ProofDetailError).raw("error", e)],
            true,
        ),
    };
    let key_outcome_shown = match key_outcome {
        Outcome::Pass | Outcome::Fail => key_outcome,
        _ => Outcome::Warning,
    };
    let key_check = Check::new(
        CheckId::VerificationMethod,
        key_outcome,
        Signer::Issuer.key_message(key_outcome_shown),
        vec![note],
        true,
    );
    (proof_check, key_check)
}
