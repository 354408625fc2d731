//! Checking an entry against its fetched list credential, and issuing a list credential.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::bitstring::{Bitstring, DecodeLimits};
use super::entry::{
    BitstringEntry, ListKind, RevocationListEntry, StatusEntry, StatusIndex, StatusMessage,
    StatusPurpose,
};
use super::StatusError;
use crate::input::json_type_name;

/// What a status entry's list says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOutcome {
    pub purpose: StatusPurpose,
    /// The index read (for a 1EdTech revocation list: none).
    pub index: Option<StatusIndex>,
    /// The value read; 0 means "no status set" (not revoked, not suspended, …).
    pub value: u64,
    /// A human meaning: "revoked", "not revoked", "suspended", a status message, …
    pub meaning: String,
    /// Set when the fetched list credential's `id` differs from the URL the entry names (the
    /// 1EdTech sample list does this); a verifier may warn.
    pub list_id_mismatch: Option<String>,
}

impl StatusOutcome {
    /// Whether the credential is revoked or suspended by this entry.
    pub fn is_invalidating(&self) -> bool {
        self.value != 0
            && matches!(
                self.purpose,
                StatusPurpose::Revocation | StatusPurpose::Suspension
            )
    }
}

/// Checks one entry against the fetched list document (a status list credential, or for
/// `1EdTechRevocationList` the revocation list). The list credential's proof and validity
/// period are the caller's to check.
pub fn check_entry(entry: &StatusEntry, list: &Value) -> Result<StatusOutcome, StatusError> {
    check_entry_with_limits(entry, list, &DecodeLimits::default())
}

/// [`check_entry`] with explicit decoding limits.
pub fn check_entry_with_limits(
    entry: &StatusEntry,
    list: &Value,
    limits: &DecodeLimits,
) -> Result<StatusOutcome, StatusError> {
    match entry {
        StatusEntry::Bitstring(entry) => check_bitstring(entry, list, limits),
        StatusEntry::OneEdTechRevocationList(entry) => check_revocation_list(entry, list),
    }
}

fn check_bitstring(
    entry: &BitstringEntry,
    list: &Value,
    limits: &DecodeLimits,
) -> Result<StatusOutcome, StatusError> {
    let expected = entry.kind.credential_type();
    let bad = |reason: String| StatusError::BadListCredential { expected, reason };
    let object = list
        .as_object()
        .ok_or_else(|| bad(format!("it is {}", json_type_name(list))))?;
    if !crate::model::has_type(list, expected) {
        return Err(bad("its \"type\" does not include it".into()));
    }
    let subject = match object.get("credentialSubject") {
        Some(s @ Value::Object(_)) => s,
        Some(Value::Array(items)) if items.len() == 1 => items
            .first()
            .filter(|s| s.is_object())
            .ok_or_else(|| bad("credentialSubject is not an object".into()))?,
        _ => return Err(bad("it needs exactly one credentialSubject object".into())),
    };
    if !crate::model::has_type(subject, entry.kind.subject_type()) {
        return Err(bad(format!(
            "credentialSubject.type is not {}",
            entry.kind.subject_type()
        )));
    }
    let purposes: Vec<String> = match subject.get("statusPurpose") {
        Some(Value::String(p)) => vec![p.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => return Err(bad("credentialSubject.statusPurpose is missing".into())),
    };
    if !purposes.iter().any(|p| p == entry.purpose.as_str()) {
        return Err(StatusError::PurposeMismatch {
            entry: entry.purpose.as_str().to_owned(),
            list: purposes,
        });
    }
    // Early drafts put statusSize on the list; if it is there it must agree with the entry.
    if let Some(size) = subject.get("statusSize") {
        if size.as_u64() != Some(u64::from(entry.status_size)) {
            return Err(bad(format!(
                "credentialSubject.statusSize {size} differs from the entry's statusSize {}",
                entry.status_size
            )));
        }
    }
    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("credentialSubject.encodedList is missing or not a string".into()))?;
    let bitstring = match entry.kind {
        ListKind::Bitstring => Bitstring::decode_with_limits(encoded, entry.status_size, limits)?,
        ListKind::StatusList2021 => Bitstring::decode_status_list_2021(encoded, limits)?,
    };
    let value = bitstring.get(entry.index.value())?;
    let list_id_mismatch = match object.get("id").and_then(Value::as_str) {
        Some(id) if id == entry.list_credential => None,
        Some(id) => Some(id.to_owned()),
        None => Some(String::new()),
    };
    Ok(StatusOutcome {
        meaning: meaning(&entry.purpose, value, &entry.messages),
        purpose: entry.purpose.clone(),
        index: Some(entry.index),
        value,
        list_id_mismatch,
    })
}

fn check_revocation_list(
    entry: &RevocationListEntry,
    list: &Value,
) -> Result<StatusOutcome, StatusError> {
    let expected = "1EdTech revocation list";
    let credential_id = entry
        .credential_id
        .as_deref()
        .ok_or(StatusError::CredentialIdMissing)?;
    let object = list
        .as_object()
        .ok_or_else(|| StatusError::BadListCredential {
            expected,
            reason: format!("it is {}", json_type_name(list)),
        })?;
    let revoked_list = match object.get("revokedCredentials") {
        None => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(StatusError::BadListCredential {
                expected,
                reason: format!("revokedCredentials is {}", json_type_name(other)),
            })
        }
    };
    // Revoked when listed and `revoked` is true or omitted (1EdTech Revocation List Status Method).
    let revoked = revoked_list.iter().any(|item| {
        item.get("id").and_then(Value::as_str) == Some(credential_id)
            && item
                .get("revoked")
                .is_none_or(|r| r.as_bool() == Some(true))
    });
    let value = u64::from(revoked);
    let list_id_mismatch = match object.get("id").and_then(Value::as_str) {
        Some(id) if id != entry.list => Some(id.to_owned()),
        _ => None,
    };
    Ok(StatusOutcome {
        meaning: meaning(&StatusPurpose::Revocation, value, &[]),
        purpose: StatusPurpose::Revocation,
        index: None,
        value,
        list_id_mismatch,
    })
}

pub(super) fn meaning(purpose: &StatusPurpose, value: u64, messages: &[StatusMessage]) -> String {
    if let Some(message) = messages.iter().find(|m| m.status == value) {
        return message.message.clone();
    }
    match (purpose, value) {
        (StatusPurpose::Revocation, 0) => "not revoked".into(),
        (StatusPurpose::Revocation, _) => "revoked".into(),
        (StatusPurpose::Suspension, 0) => "not suspended".into(),
        (StatusPurpose::Suspension, _) => "suspended".into(),
        (StatusPurpose::Refresh, 0) => "no refresh needed".into(),
        (StatusPurpose::Refresh, _) => "a refreshed credential is available".into(),
        (purpose, value) => format!("{} status 0x{value:x}", purpose.as_str()),
    }
}

/// An unsigned `BitstringStatusListCredential` (VC 2.0) publishing `list`.
pub fn status_list_credential(
    id: &str,
    issuer: &str,
    purpose: &StatusPurpose,
    list: &Bitstring,
    valid_from: DateTime<Utc>,
) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": {
            "id": format!("{id}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose.as_str(),
            "encodedList": list.encode(),
        },
    })
}
