//! Revocation and suspension ([`Issuer::set_status`]) and the signed status lists the service
//! publishes ([`Issuer::serve_status_list`], cached in [`crate::status_cache`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use passerelle_core::proof;
use passerelle_core::status::{self as core_status, StatusPurpose};

use crate::status_cache::{self, ServedStatusList, SignedStatusList};
use crate::store::{CredentialId, IssuedCredential, NewAuditEntry, StatusListId};

use super::error::IssueError;
use super::Issuer;

/// A change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Final: a revoked credential stays revoked.
    Revoke,
    Suspend,
    Unsuspend,
}

impl StatusChange {
    fn action(self) -> &'static str {
        match self {
            Self::Revoke => "credential.revoke",
            Self::Suspend => "credential.suspend",
            Self::Unsuspend => "credential.unsuspend",
        }
    }
}

/// `{base}/status/{uuid}`: where the status list `list_id` (`urn:uuid:{uuid}`) is published.
pub fn status_list_url(base_url: &str, list_id: &StatusListId) -> String {
    let id = list_id.as_str();
    let tail = id.strip_prefix("urn:uuid:").unwrap_or(id);
    format!("{}/status/{tail}", base_url.trim_end_matches('/'))
}

/// The list id for the `{uuid}` of a `/status/{uuid}` URL, if it is a UUID.
pub fn status_list_id_from_path(uuid: &str) -> Option<StatusListId> {
    let parsed = uuid::Uuid::parse_str(uuid).ok()?;
    Some(StatusListId::from(format!("urn:uuid:{parsed}")))
}

impl Issuer {
    /// Revokes (for good), suspends or reinstates a credential, with an audit record. Changing
    /// to the current state is not an error (nothing is written but the audit record).
    pub async fn set_status(
        &self,
        id: &CredentialId,
        change: StatusChange,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<IssuedCredential, IssueError> {
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) if r.chars().count() > 1000 => {
                return Err(IssueError::invalid("reason", "longer than 1000 characters"))
            }
            other => other,
        };
        let current = self
            .store
            .credential(id)
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "credential",
                id: id.to_string(),
            })?;
        if change != StatusChange::Revoke && current.revoked_at.is_some() {
            return Err(IssueError::Conflict {
                reason: format!("credential {id} is revoked; revocation is final"),
            });
        }
        let changed = match change {
            StatusChange::Revoke => self.store.revoke(id, reason).await?,
            StatusChange::Suspend => self.store.set_suspended(id, true, reason).await?,
            StatusChange::Unsuspend => self.store.set_suspended(id, false, reason).await?,
        };
        // This process serves the change at once; other instances within their freshness
        // window (see `status_cache`).
        let touched = match change {
            StatusChange::Revoke => current.revocation.as_ref(),
            StatusChange::Suspend | StatusChange::Unsuspend => current.suspension.as_ref(),
        };
        if let Some(slot) = touched {
            self.status_cache.expire(&slot.list_id);
        }
        self.store
            .append_audit(&NewAuditEntry {
                actor: actor.to_owned(),
                action: change.action().into(),
                subject: id.to_string(),
                details: serde_json::json!({ "reason": reason, "changed": changed }),
            })
            .await?;
        self.store
            .credential(id)
            .await?
            .ok_or_else(|| IssueError::NotFound {
                what: "credential",
                id: id.to_string(),
            })
    }

    /// The signed `BitstringStatusListCredential` for `list_id` with the current bits, as of
    /// this call (the database's revision of the list is read). Signed again only when the bits
    /// (or the signing key) changed; `now` is the `validFrom` of a newly signed list. A copy of
    /// the cached list: [`Issuer::serve_status_list`] shares it instead.
    pub async fn status_list_credential(
        &self,
        list_id: &StatusListId,
        now: DateTime<Utc>,
    ) -> Result<SignedStatusList, IssueError> {
        let served = self.serve_status_list(list_id, now, Duration::ZERO).await?;
        Ok(SignedStatusList::clone(&served.list))
    }

    /// How many status lists this process holds signed in memory (never more than the
    /// database has lists).
    pub fn cached_status_lists(&self) -> usize {
        self.status_cache.len()
    }

    /// [`Issuer::status_list_credential`] for serving: a list whose revision the database
    /// confirmed less than `window` ago is answered from memory without asking it again (the
    /// answer's `age` says how long ago; see [`crate::status_cache`] for why a caller that
    /// advertises `max-age` should pass at most a fraction of it and subtract the age).
    pub async fn serve_status_list(
        &self,
        list_id: &StatusListId,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<ServedStatusList, IssueError> {
        let key = self.signing_key();
        let known = self.status_cache.get(list_id);
        if let Some(served) = known
            .as_ref()
            .and_then(|cache| cache.fresh(&key.verification_method, window))
        {
            return Ok(served);
        }
        let not_found = || IssueError::NotFound {
            what: "status list",
            id: list_id.to_string(),
        };
        let observed = known.as_ref().map(|cache| cache.observe());
        let revision = self
            .store
            .status_list_revision(list_id)
            .await?
            .ok_or_else(not_found)?;
        // Only lists the database knows get a cache: made-up ids cannot grow it.
        let cache = known.unwrap_or_else(|| self.status_cache.list(list_id));
        if let Some(list) = observed
            .and_then(|observed| cache.confirm(revision, &key.verification_method, observed))
        {
            return Ok(ServedStatusList {
                list,
                age: Duration::ZERO,
            });
        }
        // Single flight: one task per list rebuilds; the others wait here and then find the
        // list current (one more revision read each, no bits, no signing).
        let _rebuilding = cache.rebuilding().await;
        let observed = cache.observe();
        let revision = self
            .store
            .status_list_revision(list_id)
            .await?
            .ok_or_else(not_found)?;
        if let Some(list) = cache.confirm(revision, &key.verification_method, observed) {
            return Ok(ServedStatusList {
                list,
                age: Duration::ZERO,
            });
        }
        // The revision was read first, so these bits are at least that new.
        let info = self
            .store
            .status_list(list_id)
            .await?
            .ok_or_else(not_found)?;
        let bits = self.store.status_list_bits_of(&info).await?;
        let etag = status_cache::entity_tag(list_id, &key.verification_method, &bits);
        let list = match cache.with_etag(&etag) {
            // A change that changed nothing visible (suspended and reinstated meanwhile).
            Some(unchanged) => unchanged,
            None => {
                let purpose: StatusPurpose = info.purpose.into();
                let url = status_list_url(&self.base_url(), list_id);
                let unsigned =
                    core_status::status_list_credential(&url, &self.did(), &purpose, &bits, now);
                let created = now.to_rfc3339_opts(SecondsFormat::Secs, true);
                let signing = Arc::clone(&key);
                let signed = tokio::task::spawn_blocking(move || {
                    let options = proof::ProofOptions::assertion(
                        proof::Cryptosuite::EddsaRdfc2022,
                        signing.verification_method.clone(),
                        created,
                    );
                    proof::sign(&unsigned, &signing.pair, &options).map(|signed| {
                        // Serialized here, off the async workers, once for every answer.
                        SignedStatusList::new(signed, etag, signing.verification_method.clone())
                    })
                })
                .await
                .map_err(|source| IssueError::Task { source })?
                .map_err(|source| IssueError::Signing { source })?;
                Arc::new(signed)
            }
        };
        cache.install(revision, Arc::clone(&list), observed);
        Ok(ServedStatusList {
            list,
            age: Duration::ZERO,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_list_urls_round_trip() {
        let id = StatusListId::from("urn:uuid:6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f".to_owned());
        let url = status_list_url("https://learn.example/", &id);
        assert_eq!(
            url,
            "https://learn.example/status/6f1c2a5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f"
        );
        let tail = url.rsplit('/').next().unwrap();
        assert_eq!(status_list_id_from_path(tail), Some(id));
        assert_eq!(status_list_id_from_path("../etc"), None);
    }
}
