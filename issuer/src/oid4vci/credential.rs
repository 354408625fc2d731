//! The credential endpoint (§8) and the notification endpoint (§11).
//!
//! A credential request names one of the award's two configurations and carries one `jwt` key
//! proof. The proof is verified by the core (type, algorithm, key, audience = our issuer
//! identifier, freshness, signature); its nonce must be a `c_nonce` we gave out, unused and
//! unexpired. The credential delivered is a holder-bound copy of the stored award: the same
//! document (achievement, learner identifier, dates, the SAME status entries, so revoking the
//! award revokes every copy) with its own `id` and `credentialSubject.id` = the holder's DID,
//! checked and signed exactly as every credential is (eddsa-rdfc-2022, or VC-JOSE for
//! `jwt_vc_json`), and recorded as a delivery of the award with its audit entry.

use passerelle_core::input::{self, InputLimits};
use passerelle_core::oid4vci::{
    self, CredentialErrorCode, NotificationErrorCode, NotificationEvent, ProofExpectations,
    RequestedCredential,
};
use serde_json::{json, Value};

use crate::issuance::{IssueError, Issuer};
use crate::signing_pool::on_signing_pool;
use crate::store::oid4vci::{NewDelivery, NOTIFICATION_PREFIX};
use crate::store::{CredentialId, IssuedCredential, NewAuditEntry, StoreError};

use super::token::{consume_nonce, WALLET_ACTOR};
use super::{
    parse_configuration_id, well_formed, Authorized, Format, Oid4vciError, PROOF_MAX_AGE_SECONDS,
    PROOF_MAX_SKEW_SECONDS,
};

/// A credential response (§8.3). `Debug` is redacted.
#[derive(Clone)]
pub struct CredentialResponse {
    /// The credential: a JSON object (`ldp_vc`) or a compact JWS string (`jwt_vc_json`).
    pub credential: Value,
    pub notification_id: String,
    /// The delivered credential's own id.
    pub id: CredentialId,
}

impl std::fmt::Debug for CredentialResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialResponse")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl CredentialResponse {
    /// The response body: `{"credentials": [{"credential": …}], "notification_id": …}`.
    pub fn body(&self) -> Value {
        json!({
            "credentials": [{ "credential": self.credential }],
            "notification_id": self.notification_id,
        })
    }
}

fn denied(description: impl Into<String>) -> Oid4vciError {
    Oid4vciError::credential(CredentialErrorCode::CredentialRequestDenied, description)
}

/// Which format the request asks for, checked against the award's achievement.
fn requested_format(
    requested: &RequestedCredential,
    award_slug: &str,
) -> Result<Format, Oid4vciError> {
    let (id, code) = match requested {
        RequestedCredential::Configuration(id) => {
            (id, CredentialErrorCode::UnknownCredentialConfiguration)
        }
        RequestedCredential::Identifier(id) => {
            (id, CredentialErrorCode::UnknownCredentialIdentifier)
        }
    };
    match parse_configuration_id(id) {
        Some((slug, format)) if slug == award_slug => Ok(format),
        _ => Err(Oid4vciError::credential(
            code,
            format!(
                "{id:?} is not offered to this access token (it is for {:?} and {:?})",
                super::configuration_id(award_slug, Format::LdpVc),
                super::configuration_id(award_slug, Format::JwtVcJson)
            ),
        )),
    }
}

/// The award's document made the holder's: its own `id`, no proof, `credentialSubject.id` =
/// `holder`. An award made out to a DID goes only to that DID.
fn holder_bound(
    award: &IssuedCredential,
    id: &CredentialId,
    holder: &str,
) -> Result<Value, Oid4vciError> {
    let corrupt = |reason: &str| {
        Oid4vciError::from(StoreError::Corrupt {
            what: "stored credential",
            reason: reason.to_owned(),
        })
    };
    let mut doc: Value =
        serde_json::from_str(&award.credential).map_err(|e| corrupt(&format!("not JSON: {e}")))?;
    let object = doc
        .as_object_mut()
        .ok_or_else(|| corrupt("not a JSON object"))?;
    object.remove("proof");
    object.insert("id".into(), Value::String(id.to_string()));
    let subject = object
        .get_mut("credentialSubject")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| corrupt("no credentialSubject object"))?;
    if let Some(awarded) = subject.get("id").and_then(Value::as_str) {
        if awarded != holder {
            return Err(denied(format!(
                "this badge was awarded to {awarded}; the key proof is by {holder}: prove \
                 possession of the awarded DID's key"
            )));
        }
    }
    subject.insert("id".into(), Value::String(holder.to_owned()));
    Ok(doc)
}

/// The credential endpoint: checks the request and its key proof and delivers the credential.
pub async fn issue_credential(
    issuer: &Issuer,
    token: &Authorized,
    body: &[u8],
) -> Result<CredentialResponse, Oid4vciError> {
    let request = oid4vci::parse_credential_request(body)
        .map_err(|e| Oid4vciError::credential(e.code(), e.to_string()))?;
    let store = issuer.store();
    let award = store
        .credential(&token.credential_id)
        .await?
        .ok_or_else(|| denied("the badge this access token was issued for no longer exists"))?;
    if award.revoked_at.is_some() {
        return Err(denied("this badge has been revoked by its issuer"));
    }
    if award.suspended {
        return Err(denied(
            "this badge is suspended by its issuer; it can be collected once reinstated",
        ));
    }
    let achievement = store
        .achievement(&award.achievement_id)
        .await?
        .ok_or_else(|| denied("the badge's achievement no longer exists"))?;
    let format = requested_format(&request.credential, &achievement.slug)?;
    let [jwt] = request.jwt_proofs.as_slice() else {
        return Err(Oid4vciError::credential(
            CredentialErrorCode::InvalidCredentialRequest,
            format!(
                "{} key proofs were sent; this issuer delivers one credential per request (no \
                 batch issuance): send one",
                request.jwt_proofs.len()
            ),
        ));
    };
    let base = issuer.base_url();
    let now = crate::store::now_seconds();
    let expect = ProofExpectations {
        audience: &base,
        now: now.timestamp(),
        max_age_seconds: PROOF_MAX_AGE_SECONDS,
        max_skew_seconds: PROOF_MAX_SKEW_SECONDS,
    };
    let proof = oid4vci::verify_proof_jwt(jwt, &expect)
        .map_err(|e| Oid4vciError::credential(CredentialErrorCode::InvalidProof, e.to_string()))?;
    let nonce_endpoint = format!("{base}/oid4vci/nonce");
    let Some(nonce) = proof.nonce.as_deref() else {
        return Err(Oid4vciError::credential(
            CredentialErrorCode::InvalidNonce,
            format!("the key proof has no nonce: get a c_nonce from {nonce_endpoint}"),
        ));
    };
    if let Some(why) = consume_nonce(issuer, nonce).await? {
        return Err(Oid4vciError::credential(
            CredentialErrorCode::InvalidNonce,
            format!("the key proof's nonce {why}: get a fresh c_nonce from {nonce_endpoint}"),
        ));
    }
    let holder = proof.holder.did.as_str().to_owned();
    let id = CredentialId::generate();
    let unsigned = holder_bound(&award, &id, &holder)?;
    let context = issuer.signing_context();
    let signed = tokio::task::spawn_blocking(move || {
        on_signing_pool(move || match format {
            Format::LdpVc => context.check_and_sign(&unsigned, now),
            Format::JwtVcJson => context.check_and_sign_jwt(&unsigned).map(Value::String),
        })
    })
    .await
    .map_err(|source| IssueError::Task { source })??;
    let configuration = super::configuration_id(&achievement.slug, format);
    let notification = store
        .record_delivery(
            &NewDelivery {
                id: id.clone(),
                credential_id: award.id.clone(),
                format: format.as_str().into(),
                holder_did: holder,
                access_token: token.token.clone(),
                issued_at: now,
            },
            &NewAuditEntry {
                actor: WALLET_ACTOR.into(),
                action: "oid4vci.credential".into(),
                subject: id.to_string(),
                details: json!({
                    "credential": award.id.as_str(),
                    "configuration": configuration,
                    "format": format.as_str(),
                    "proof_algorithm": proof.algorithm.as_str(),
                }),
            },
        )
        .await?;
    Ok(CredentialResponse {
        credential: signed,
        notification_id: notification.expose().to_owned(),
        id,
    })
}

/// Longest `event_description` kept in the audit log.
const MAX_EVENT_DESCRIPTION: usize = 300;

fn bad_notification(description: impl Into<String>) -> Oid4vciError {
    Oid4vciError::Notification {
        code: NotificationErrorCode::InvalidNotificationRequest,
        description: description.into(),
    }
}

/// The notification endpoint: records what the wallet did with a delivered credential.
pub async fn notify(issuer: &Issuer, token: &Authorized, body: &[u8]) -> Result<(), Oid4vciError> {
    let limits = InputLimits {
        max_bytes: 16 * 1024,
        max_depth: 4,
    };
    let body = input::parse_json_object(body, &limits)
        .map_err(|e| bad_notification(format!("the body is not acceptable JSON: {e}")))?;
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    let Some(notification_id) = text("notification_id") else {
        return Err(bad_notification("notification_id is missing (a string)"));
    };
    let event = text("event")
        .and_then(NotificationEvent::from_name)
        .ok_or_else(|| {
            bad_notification(
                "event must be credential_accepted, credential_failure or credential_deleted",
            )
        })?;
    let description = match body.get("event_description") {
        None => None,
        Some(Value::String(d))
            if d.len() <= MAX_EVENT_DESCRIPTION
                && d.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) =>
        {
            Some(d.clone())
        }
        Some(_) => {
            return Err(bad_notification(format!(
                "event_description must be printable ASCII text of at most \
                 {MAX_EVENT_DESCRIPTION} characters"
            )))
        }
    };
    let unknown = || Oid4vciError::Notification {
        code: NotificationErrorCode::InvalidNotificationId,
        description: "the notification_id is not one this access token's credential was \
                      delivered with"
            .into(),
    };
    if !well_formed(notification_id, NOTIFICATION_PREFIX) {
        return Err(unknown());
    }
    let delivery = issuer
        .store()
        .record_notification(
            notification_id,
            &token.credential_id,
            event.as_str(),
            crate::store::now_seconds(),
        )
        .await?
        .ok_or_else(unknown)?;
    issuer
        .store()
        .append_audit(&NewAuditEntry {
            actor: WALLET_ACTOR.into(),
            action: format!("oid4vci.notification.{}", event.as_str()),
            subject: delivery.id.clone(),
            details: json!({
                "credential": delivery.credential_id,
                "event": event.as_str(),
                "event_description": description,
            }),
        })
        .await?;
    Ok(())
}
