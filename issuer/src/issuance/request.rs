//! A request to issue, checked field by field before anything is built or signed: who receives
//! the credential ([`Recipient`]), the learner key that makes issuing idempotent ([`learner_key`]),
//! and [`Issuer::check_request`], which turns an [`IssueRequest`] into a [`Prepared`] one.

use std::sync::atomic::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use passerelle_core::did;
use sha2::{Digest, Sha256};

use crate::secret::{self, LearnerSecret};
use crate::store::learners::LEGACY_LEARNER_KEY_PREFIX;
use crate::store::{Achievement, Store};

use super::build::{iri, Prepared};
use super::error::IssueError;
use super::{read_lock, Issuer};

/// Longest learner name, result, external id (characters).
pub const MAX_SHORT_TEXT: usize = 256;
/// Longest evidence narrative (characters).
pub const MAX_NARRATIVE: usize = 10_000;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;

/// Who receives the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// By email: the credential carries only a salted hash of it.
    Email(String),
    /// By DID (e.g. the learner's wallet `did:key`).
    Did(String),
}

/// One credential to issue.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRequest {
    /// The achievement's slug or id (`urn:uuid:…`).
    pub achievement: String,
    pub recipient: Recipient,
    /// The learner's name. Kept out of the credential (it would identify the learner to anyone
    /// who sees it); used only for the claim page and `--out` file names when emails are kept.
    pub name: Option<String>,
    /// When the learner completed (the `awardedDate` and the activity end date).
    pub completed: DateTime<FixedOffset>,
    /// The result or grade obtained (`credentialSubject.result[0].value`).
    pub result: Option<String>,
    pub evidence_url: Option<String>,
    pub evidence_narrative: Option<String>,
    /// The provider's own id for this completion; part of the idempotency key.
    pub external_id: Option<String>,
    /// When the claim link stops working (none: never).
    pub claim_expires: Option<DateTime<Utc>>,
    /// Whether the OpenID4VCI credential offer needs a transaction code (a 6-digit PIN handed
    /// out with the offer, to deliver on another channel); `None`: `[oid4vci] tx_code`.
    pub tx_code: Option<bool>,
}

/// The learner key for idempotency: a DID as is; an email as `email-hmac:` + HMAC-SHA256, under
/// the issuer's [`LearnerSecret`], of the issuer DID and the normalised (trimmed, lower-cased)
/// address. Stable across runs, stored only in the database, never in a credential (which
/// carries a salted hash instead); without the secret, which is kept wrapped under the signing
/// key, a copy of the database does not give addresses back by dictionary.
pub fn learner_key(secret: &LearnerSecret, issuer_did: &str, recipient: &Recipient) -> String {
    match recipient {
        Recipient::Did(did) => did.clone(),
        Recipient::Email(email) => {
            secret::learner_key_hmac(secret, issuer_did, &normalise_email(email))
        }
    }
}

/// The unkeyed learner key of earlier versions (`email-sha256:` + SHA-256 of public inputs),
/// computed only to find and re-key the rows that still carry it.
pub fn legacy_learner_key(issuer_did: &str, recipient: &Recipient) -> Option<String> {
    match recipient {
        Recipient::Did(_) => None,
        Recipient::Email(email) => {
            let mut hasher = Sha256::new();
            hasher.update(b"passerelle learner key v1\0");
            hasher.update(issuer_did.as_bytes());
            hasher.update(b"\0");
            hasher.update(normalise_email(email).as_bytes());
            Some(format!(
                "{LEGACY_LEARNER_KEY_PREFIX}{}",
                hex::encode(hasher.finalize())
            ))
        }
    }
}

/// Re-keys the credentials whose unkeyed learner key can be recomputed because their address
/// was kept; returns how many unkeyed keys remain (re-keyed when their learner is next issued
/// to, since only the address gives the keyed value).
pub(super) async fn rekey_kept_addresses(
    store: &Store,
    secret: &LearnerSecret,
    issuer_did: &str,
) -> Result<i64, IssueError> {
    let remaining = store.legacy_learner_keys().await?;
    if remaining == 0 {
        return Ok(0);
    }
    for (id, email) in store.legacy_learner_keys_with_email().await? {
        let keyed = learner_key(secret, issuer_did, &Recipient::Email(email));
        store.set_learner_key(&id, &keyed).await?;
    }
    Ok(store.legacy_learner_keys().await?)
}

pub(super) fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Parses a completion date: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time.
pub fn parse_completion_date(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if text.len() == 10 {
            if let Some(at) = date.and_hms_opt(0, 0, 0) {
                return Ok(at.and_utc().fixed_offset());
            }
        }
    }
    DateTime::parse_from_rfc3339(text)
        .map_err(|_| format!("{text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 date-time"))
}

pub(super) fn short_text(
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Result<Option<String>, IssueError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max {
        return Err(IssueError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(IssueError::invalid(field, "contains control characters"));
    }
    Ok(Some(value.to_owned()))
}

pub(super) fn check_email(email: &str) -> Result<(), IssueError> {
    let email = email.trim();
    let field = "email";
    if email.is_empty() {
        return Err(IssueError::invalid(field, "is empty"));
    }
    if email.len() > MAX_EMAIL {
        return Err(IssueError::invalid(
            field,
            format!("longer than {MAX_EMAIL} bytes"),
        ));
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(IssueError::invalid(field, format!("{email:?} has no '@'")));
    };
    let bad_char =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';');
    if local.is_empty()
        || domain.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.chars().any(bad_char)
        || local.contains('@')
    {
        return Err(IssueError::invalid(
            field,
            format!("{email:?} is not an email address"),
        ));
    }
    Ok(())
}

impl Issuer {
    /// The learner key of `recipient` (see [`learner_key`]).
    pub fn learner_key(&self, recipient: &Recipient) -> String {
        learner_key(&self.learner_secret, &self.did(), recipient)
    }

    /// Before looking learners up: re-keys the rows that still carry the unkeyed key of any of
    /// these (a no-op once no such row remains).
    pub(crate) async fn rekey_before_lookup(
        &self,
        prepared: &[&Prepared],
    ) -> Result<(), IssueError> {
        if !self.legacy_learner_keys.load(Ordering::Relaxed) {
            return Ok(());
        }
        let pairs: Vec<(String, String)> = prepared
            .iter()
            .filter_map(|p| Some((p.legacy_learner_key.clone()?, p.learner_key.clone())))
            .collect();
        self.store.rekey_learners(&pairs).await?;
        if self.store.legacy_learner_keys().await? == 0 {
            self.legacy_learner_keys.store(false, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Checks a request against an already found achievement (no database access).
    pub fn check_request(
        &self,
        request: &IssueRequest,
        achievement: &Achievement,
        now: DateTime<Utc>,
    ) -> Result<Prepared, IssueError> {
        let keep_email = read_lock(&self.config).issuance.keep_learner_emails;
        let (recipient, learner_email) = match &request.recipient {
            Recipient::Email(email) => {
                check_email(email)?;
                let normal = normalise_email(email);
                (
                    Recipient::Email(normal.clone()),
                    keep_email.then_some(normal),
                )
            }
            Recipient::Did(value) => {
                let value = value.trim();
                let parsed = did::Did::parse(value)
                    .map_err(|e| IssueError::invalid("did", format!("{value:?}: {e}")))?;
                (Recipient::Did(parsed.as_str().to_owned()), None)
            }
        };
        let learner_name = short_text("name", &request.name, MAX_SHORT_TEXT)?;
        let result = short_text("result", &request.result, MAX_SHORT_TEXT)?;
        let external_id = short_text("external_id", &request.external_id, MAX_SHORT_TEXT)?;
        let evidence_narrative = short_text(
            "evidence_narrative",
            &request.evidence_narrative,
            MAX_NARRATIVE,
        )?;
        let evidence_url = match short_text("evidence_url", &request.evidence_url, 2048)? {
            Some(text) => {
                let parsed = url::Url::parse(&text)
                    .map_err(|e| IssueError::invalid("evidence_url", format!("{text:?}: {e}")))?;
                if !matches!(parsed.scheme(), "https" | "http") {
                    return Err(IssueError::invalid(
                        "evidence_url",
                        format!("{text:?}: expected an http(s) URL"),
                    ));
                }
                Some(iri("evidence_url", &text)?)
            }
            None => None,
        };
        if request.completed.with_timezone(&Utc) > now + chrono::Duration::days(1) {
            return Err(IssueError::invalid(
                "completion_date",
                format!(
                    "{} is in the future",
                    request.completed.to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
            ));
        }
        if let Some(at) = request.claim_expires {
            if at <= now {
                return Err(IssueError::invalid("claim_expires", "is in the past"));
            }
        }
        Ok(Prepared {
            achievement: achievement.clone(),
            learner_key: self.learner_key(&recipient),
            legacy_learner_key: if self.legacy_learner_keys.load(Ordering::Relaxed) {
                legacy_learner_key(&self.did(), &recipient)
            } else {
                None
            },
            external_id,
            learner_email,
            learner_name,
            recipient,
            completed: request.completed,
            result,
            evidence_url,
            evidence_narrative,
            claim_expires: request.claim_expires,
            tx_code: request.tx_code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learner_keys_are_stable_and_normalised_but_not_the_email() {
        let secret = LearnerSecret::from_bytes([3u8; 32]);
        let email = |e: &str| Recipient::Email(e.into());
        let a = learner_key(&secret, "did:web:x", &email(" Ada@Example.org "));
        let b = learner_key(&secret, "did:web:x", &email("ada@example.org"));
        assert_eq!(a, b);
        assert!(a.starts_with("email-hmac:") && !a.contains("ada"));
        assert_ne!(
            a,
            learner_key(&secret, "did:web:y", &email("ada@example.org"))
        );
        // Keyed: anyone can compute the old unkeyed value from an address, not this one.
        let other = LearnerSecret::from_bytes([4u8; 32]);
        assert_ne!(
            a,
            learner_key(&other, "did:web:x", &email("ada@example.org"))
        );
        assert_ne!(
            Some(a),
            legacy_learner_key("did:web:x", &email("ada@example.org"))
        );
        assert_eq!(
            learner_key(&secret, "did:web:x", &Recipient::Did("did:key:z6Mk".into())),
            "did:key:z6Mk"
        );
    }

    #[test]
    fn completion_dates() {
        assert_eq!(
            parse_completion_date("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert!(parse_completion_date("2026-03-01T10:00:00+02:00").is_ok());
        for bad in [
            "",
            "2026-13-01",
            "01/03/2026",
            "2026-03-01 10:00",
            "2026-3-1",
        ] {
            assert!(parse_completion_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(check_email("ada@example.org").is_ok());
        for bad in [
            "",
            "ada",
            "@example.org",
            "ada@",
            "ada@localhost",
            "a b@example.org",
            "a@b@example.org",
        ] {
            let Err(IssueError::Invalid { field, .. }) = check_email(bad) else {
                panic!("{bad:?} accepted")
            };
            assert_eq!(field, "email");
        }
    }
}
