//! Issuing one credential end to end ([`Issuer::issue`]) and the claim link handed out with it.

use chrono::{DateTime, Utc};

use crate::store::{
    Achievement, AchievementId, ClaimSecrets, Inserted, IssuedCredential, ListPurpose,
};

use super::error::IssueError;
use super::offer::TxCodePin;
use super::request::IssueRequest;
use super::Issuer;

/// A claim link for the learner, and the OpenID4VCI credential offer made with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLink {
    /// `{base}/claim/{token}` — the token is the secret: show it only to the learner.
    pub url: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// `openid-credential-offer://?credential_offer_uri=…` (a bearer secret like the claim
    /// link, with the same lifetime).
    pub credential_offer: String,
    /// The offer's reference alone (the secret part of `credential_offer`).
    pub offer_reference: String,
    /// The transaction code the offer needs, if any: deliver it on another channel.
    pub tx_code: Option<TxCodePin>,
}

/// The result of [`Issuer::issue`].
#[derive(Debug, Clone)]
pub struct Issued {
    pub credential: IssuedCredential,
    /// False when the same achievement, learner and external id had been issued before (the
    /// earlier credential is returned; nothing was signed).
    pub new: bool,
    /// A fresh claim link for the credential (also for an earlier one: links are cheap and
    /// earlier links stay valid).
    pub claim: Option<ClaimLink>,
}

/// `{base}/claim/{token}`.
pub fn claim_url(base_url: &str, token: &str) -> String {
    format!("{}/claim/{token}", base_url.trim_end_matches('/'))
}

impl Issuer {
    /// The achievement by slug, or by id when `key` is a `urn:uuid:`.
    pub async fn achievement(&self, key: &str) -> Result<Achievement, IssueError> {
        let found = if key.starts_with("urn:uuid:") {
            self.store
                .achievement(&AchievementId::from(key.to_owned()))
                .await?
        } else {
            self.store.achievement_by_slug(key).await?
        };
        found.ok_or_else(|| IssueError::NotFound {
            what: "achievement",
            id: key.to_owned(),
        })
    }

    /// Issues one credential (see the module documentation for the steps). Idempotent by
    /// achievement + learner + external id.
    pub async fn issue(&self, request: &IssueRequest, actor: &str) -> Result<Issued, IssueError> {
        self.ensure_schema()?;
        let now = crate::store::now_seconds();
        let achievement = self.achievement(&request.achievement).await?;
        let prepared = self.check_request(request, &achievement, now)?;
        self.rekey_before_lookup(&[&prepared]).await?;
        if let Some(existing) = self
            .store
            .credential_by_key(
                &achievement.id,
                &prepared.learner_key,
                prepared.external_id.as_deref(),
            )
            .await?
        {
            let tx_code = self.new_tx_code(prepared.tx_code)?;
            let secrets = self
                .store
                .create_claim_with_offer(
                    &existing.id,
                    prepared.claim_expires,
                    tx_code.as_ref().map(|(_, check)| check),
                    false,
                )
                .await?;
            return Ok(Issued {
                credential: existing,
                new: false,
                claim: Some(self.claim_link(
                    &secrets,
                    prepared.claim_expires,
                    tx_code.map(|(pin, _)| pin),
                )),
            });
        }
        let revocation = self
            .store
            .allocate_status_index(ListPurpose::Revocation)
            .await?;
        let suspension = if self.suspension_enabled() {
            Some(
                self.store
                    .allocate_status_index(ListPurpose::Suspension)
                    .await?,
            )
        } else {
            None
        };
        let tx_code = self.new_tx_code(prepared.tx_code)?;
        let context = self.signing_context();
        let actor_owned = actor.to_owned();
        // On the signing threads (one per core, with a stack JSON-LD runs on in place).
        let signed = tokio::task::spawn_blocking(move || {
            crate::signing_pool::on_signing_pool(move || {
                prepared.sign(&context, revocation, suspension, now, &actor_owned)
            })
        })
        .await
        .map_err(|source| IssueError::Task { source })??;
        let mut signed = signed;
        signed.record.tx_code = tx_code.as_ref().map(|(_, check)| check.clone());
        let committed = self
            .store
            .commit_issued(std::slice::from_ref(&signed.record))
            .await?;
        let first = committed
            .into_iter()
            .next()
            .ok_or(IssueError::NothingCommitted)?;
        let new = matches!(first.inserted, Inserted::New(_));
        let credential = match first.inserted {
            Inserted::New(c) | Inserted::Existing(c) => c,
        };
        Ok(Issued {
            credential,
            new,
            claim: Some(self.claim_link(
                &ClaimSecrets {
                    claim: first.claim,
                    offer: first.offer,
                },
                signed.record.claim_expires,
                tx_code.map(|(pin, _)| pin),
            )),
        })
    }
}
