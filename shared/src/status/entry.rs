//! Status entries (`credentialStatus`): Bitstring Status List entries and 1EdTech revocation
//! list entries, parsed strictly, and the lists a credential needs.

use serde_json::{json, Map, Value};

use super::bitstring::check_status_size;
use super::{parse_decimal, StatusError};
use crate::input::json_type_name;

/// A position in a status list (`statusListIndex`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusIndex(u64);

impl StatusIndex {
    pub const fn new(index: u64) -> Self {
        Self(index)
    }

    /// The index as a number.
    pub const fn value(self) -> u64 {
        self.0
    }
}

impl From<u64> for StatusIndex {
    fn from(index: u64) -> Self {
        Self(index)
    }
}

impl From<StatusIndex> for u64 {
    fn from(index: StatusIndex) -> Self {
        index.0
    }
}

impl std::fmt::Display for StatusIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for StatusIndex {
    type Err = StatusError;
    /// Parses the spec's form: a base-10 string of ASCII digits.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_decimal(text)
            .map(Self)
            .ok_or_else(|| StatusError::Field {
                field: "statusListIndex".into(),
                reason: format!("{text:?} is not a non-negative decimal integer"),
            })
    }
}

/// What a status says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusPurpose {
    Revocation,
    Suspension,
    Refresh,
    Message,
    /// A purpose this crate gives no meaning to; its value is still reported.
    Other(String),
}

impl StatusPurpose {
    pub fn parse(value: &str) -> Self {
        match value {
            "revocation" => Self::Revocation,
            "suspension" => Self::Suspension,
            "refresh" => Self::Refresh,
            "message" => Self::Message,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
            Self::Refresh => "refresh",
            Self::Message => "message",
            Self::Other(other) => other,
        }
    }
}

/// Which list format an index-based entry uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListKind {
    /// W3C Bitstring Status List v1.0 (`BitstringStatusListEntry`).
    Bitstring,
    /// The older StatusList2021 (`StatusList2021Entry`), same bit layout.
    StatusList2021,
}

impl ListKind {
    fn entry_type(self) -> &'static str {
        match self {
            Self::Bitstring => "BitstringStatusListEntry",
            Self::StatusList2021 => "StatusList2021Entry",
        }
    }
    pub(super) fn credential_type(self) -> &'static str {
        match self {
            Self::Bitstring => "BitstringStatusListCredential",
            Self::StatusList2021 => "StatusList2021Credential",
        }
    }
    pub(super) fn subject_type(self) -> &'static str {
        match self {
            Self::Bitstring => "BitstringStatusList",
            Self::StatusList2021 => "StatusList2021",
        }
    }
}

/// One `statusMessage` of a `message` entry: what a value means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub status: u64,
    pub message: String,
}

/// A `BitstringStatusListEntry` (or `StatusList2021Entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringEntry {
    pub kind: ListKind,
    pub id: Option<String>,
    pub purpose: StatusPurpose,
    pub index: StatusIndex,
    pub list_credential: String,
    pub status_size: u32,
    pub messages: Vec<StatusMessage>,
    pub reference: Vec<String>,
}

impl BitstringEntry {
    /// A `BitstringStatusListEntry` for an issued credential (one-bit status).
    pub fn new(purpose: StatusPurpose, index: StatusIndex, list_credential: &str) -> Self {
        Self {
            kind: ListKind::Bitstring,
            id: Some(format!("{list_credential}#{index}")),
            purpose,
            index,
            list_credential: list_credential.to_owned(),
            status_size: 1,
            messages: Vec::new(),
            reference: Vec::new(),
        }
    }

    /// The JSON `credentialStatus` entry (`statusListIndex` as a string, as the spec shows).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(id) = &self.id {
            map.insert("id".into(), Value::String(id.clone()));
        }
        map.insert("type".into(), Value::String(self.kind.entry_type().into()));
        map.insert(
            "statusPurpose".into(),
            Value::String(self.purpose.as_str().into()),
        );
        map.insert(
            "statusListIndex".into(),
            Value::String(self.index.to_string()),
        );
        map.insert(
            "statusListCredential".into(),
            Value::String(self.list_credential.clone()),
        );
        if self.status_size != 1 {
            map.insert("statusSize".into(), json!(self.status_size));
        }
        if !self.messages.is_empty() {
            let messages: Vec<Value> = self
                .messages
                .iter()
                .map(|m| json!({"status": format!("0x{:x}", m.status), "message": m.message}))
                .collect();
            map.insert("statusMessage".into(), Value::Array(messages));
        }
        match self.reference.as_slice() {
            [] => {}
            [one] => {
                map.insert("statusReference".into(), Value::String(one.clone()));
            }
            many => {
                map.insert("statusReference".into(), json!(many));
            }
        }
        Value::Object(map)
    }
}

/// A `1EdTechRevocationList` entry: `id` is the URL of a revocation list document whose
/// `revokedCredentials` names revoked credential ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationListEntry {
    /// The revocation list URL.
    pub list: String,
    /// The id of the credential that carries the entry (needed to look it up).
    pub credential_id: Option<String>,
}

/// A parsed `credentialStatus` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusEntry {
    Bitstring(BitstringEntry),
    OneEdTechRevocationList(RevocationListEntry),
}

impl StatusEntry {
    /// The URL the verifier must fetch for this entry.
    pub fn list_url(&self) -> &str {
        match self {
            Self::Bitstring(e) => &e.list_credential,
            Self::OneEdTechRevocationList(e) => &e.list,
        }
    }

    /// Parses one entry; `field` names it in errors (e.g. `credentialStatus[1]`), and
    /// `credential_id` is the id of the credential that carries it.
    pub fn parse(
        value: &Value,
        field: &str,
        credential_id: Option<&str>,
    ) -> Result<Self, StatusError> {
        let err = |member: &str, reason: String| StatusError::Field {
            field: if member.is_empty() {
                field.to_owned()
            } else {
                format!("{field}.{member}")
            },
            reason,
        };
        let object = value.as_object().ok_or_else(|| {
            err(
                "",
                format!("must be an object, found {}", json_type_name(value)),
            )
        })?;
        let kind = match object.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(items)) => match items.as_slice() {
                [Value::String(t)] => t.as_str(),
                _ => return Err(err("type", "must be a single type".into())),
            },
            Some(other) => {
                return Err(err(
                    "type",
                    format!("must be a string, found {}", json_type_name(other)),
                ))
            }
            None => return Err(err("type", "is missing".into())),
        };
        let string = |member: &str| -> Result<Option<String>, StatusError> {
            match object.get(member) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(err(
                    member,
                    format!("must be a string, found {}", json_type_name(other)),
                )),
            }
        };
        let required_url = |member: &str| -> Result<String, StatusError> {
            let s = string(member)?.ok_or_else(|| err(member, "is missing".into()))?;
            url::Url::parse(&s).map_err(|e| err(member, format!("{s:?} is not a URL: {e}")))?;
            Ok(s)
        };
        let list_kind = match kind {
            "BitstringStatusListEntry" => ListKind::Bitstring,
            "StatusList2021Entry" => ListKind::StatusList2021,
            "1EdTechRevocationList" => {
                return Ok(Self::OneEdTechRevocationList(RevocationListEntry {
                    list: required_url("id")?,
                    credential_id: credential_id.map(str::to_owned),
                }))
            }
            other => {
                return Err(StatusError::UnsupportedType {
                    field: format!("{field}.type"),
                    kind: other.to_owned(),
                })
            }
        };
        let id = match string("id")? {
            Some(id) => {
                url::Url::parse(&id).map_err(|e| err("id", format!("{id:?} is not a URL: {e}")))?;
                Some(id)
            }
            None => None,
        };
        let purpose =
            string("statusPurpose")?.ok_or_else(|| err("statusPurpose", "is missing".into()))?;
        if purpose.is_empty() {
            return Err(err("statusPurpose", "is empty".into()));
        }
        let index = match object.get("statusListIndex") {
            Some(Value::String(s)) => parse_decimal(s).ok_or_else(|| {
                err(
                    "statusListIndex",
                    format!("{s:?} is not a non-negative decimal integer"),
                )
            })?,
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
                err(
                    "statusListIndex",
                    format!("{n} is not a non-negative integer"),
                )
            })?,
            Some(other) => {
                return Err(err(
                    "statusListIndex",
                    format!(
                        "must be a string or integer, found {}",
                        json_type_name(other)
                    ),
                ))
            }
            None => return Err(err("statusListIndex", "is missing".into())),
        };
        let list_credential = required_url("statusListCredential")?;
        let status_size = match object.get("statusSize") {
            None => 1,
            Some(v) => {
                let n = v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(parse_decimal))
                    .ok_or_else(|| err("statusSize", format!("{v} is not a positive integer")))?;
                check_status_size(n).map_err(|e| err("statusSize", e.to_string()))?;
                n as u32
            }
        };
        let mut messages = Vec::new();
        if let Some(list) = object.get("statusMessage") {
            let items = list
                .as_array()
                .ok_or_else(|| err("statusMessage", "must be an array".into()))?;
            for (i, item) in items.iter().enumerate() {
                let member = format!("statusMessage[{i}]");
                let status = item
                    .get("status")
                    .and_then(Value::as_str)
                    .and_then(|s| s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")))
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        err(
                            &member,
                            "\"status\" must be a hex string like \"0x1\"".into(),
                        )
                    })?;
                let message = item
                    .get("message")
                    .and_then(Value::as_str)
                    .ok_or_else(|| err(&member, "\"message\" must be a string".into()))?;
                messages.push(StatusMessage {
                    status,
                    message: message.to_owned(),
                });
            }
        }
        // The spec: statusMessage MUST be present when statusSize > 1, and when present holds
        // exactly one message per possible value (2^statusSize).
        if status_size > 1 && messages.is_empty() {
            return Err(err(
                "statusMessage",
                format!("is required when statusSize is {status_size}"),
            ));
        }
        if object.contains_key("statusMessage") {
            let wanted = 1u64.checked_shl(status_size).filter(|_| status_size < 64);
            if wanted != Some(messages.len() as u64) {
                return Err(err(
                    "statusMessage",
                    format!(
                        "holds {} messages; statusSize {status_size} needs one per possible value (2^{status_size})",
                        messages.len()
                    ),
                ));
            }
        }
        let reference = match object.get("statusReference") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| err("statusReference", "must hold strings".into()))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(err("statusReference", "must be a string or array".into())),
        };
        Ok(Self::Bitstring(BitstringEntry {
            kind: list_kind,
            id,
            purpose: StatusPurpose::parse(&purpose),
            index: StatusIndex(index),
            list_credential,
            status_size,
            messages,
            reference,
        }))
    }
}

/// Parses every `credentialStatus` entry of a credential (object or array; absent → none).
pub fn parse_status_entries(credential: &Value) -> Result<Vec<StatusEntry>, StatusError> {
    let credential_id = credential.get("id").and_then(Value::as_str);
    match credential.get("credentialStatus") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                StatusEntry::parse(item, &format!("credentialStatus[{i}]"), credential_id)
            })
            .collect(),
        Some(item) => Ok(vec![StatusEntry::parse(
            item,
            "credentialStatus",
            credential_id,
        )?]),
    }
}

/// The status documents a verifier must fetch for `credential` (each URL once, in order).
/// Entries that do not parse are left out here; [`parse_status_entries`] reports them.
pub fn lists_needed(credential: &Value) -> Vec<String> {
    let credential_id = credential.get("id").and_then(Value::as_str);
    let items: Vec<&Value> = match credential.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
    };
    let mut urls: Vec<String> = Vec::new();
    for item in items {
        if let Ok(entry) = StatusEntry::parse(item, "credentialStatus", credential_id) {
            let url = entry.list_url();
            if !urls.iter().any(|u| u == url) {
                urls.push(url.to_owned());
            }
        }
    }
    urls
}
