//! Credential status: W3C Bitstring Status List v1.0 (and its predecessor StatusList2021, same
//! bits), and 1EdTech's `1EdTechRevocationList`.
//!
//! - [`Bitstring`]: the list itself — bit operations (index 0 is the most significant bit of the
//!   first byte), `encodedList` encoding (GZIP, then multibase base64url `u…`), and decoding with a
//!   cap on the decompressed size (a hostile list cannot be a zip bomb).
//! - [`StatusEntry`]: a `credentialStatus` entry, parsed with errors that name the field.
//! - [`lists_needed`], [`check_entry`]: the verifier's side, sans I/O — which documents to fetch,
//!   then what the fetched list says. Checking the list credential's own proof and validity period
//!   is the caller's job (it has the proof module and the clock).
//! - [`status_list_credential`], [`BitstringEntry::to_json`]: the issuer's side.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use passerelle_core::status::{self, Bitstring, BitstringEntry, StatusPurpose, MIN_ENTRIES};
//! use serde_json::json;
//!
//! // Issuer: revoke index 42 and publish the list.
//! let url = "https://learn.example/status/1";
//! let mut bits = Bitstring::new(MIN_ENTRIES, 1)?;
//! bits.set(42, 1)?;
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let list = status::status_list_credential(url, "did:web:learn.example",
//!     &StatusPurpose::Revocation, &bits, now);
//! let entry = BitstringEntry::new(StatusPurpose::Revocation, 42.into(), url);
//! let credential = json!({"credentialStatus": entry.to_json()});
//!
//! // Verifier: fetch what is needed, then check.
//! assert_eq!(status::lists_needed(&credential), vec![url.to_owned()]);
//! let entries = status::parse_status_entries(&credential)?;
//! let outcome = status::check_entry(&entries[0], &list)?;
//! assert_eq!(outcome.meaning, "revoked");
//! # Ok::<(), status::StatusError>(())
//! ```

use std::io::{Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

use crate::input::json_type_name;
use crate::multibase::{self, MultibaseError};

/// The smallest list the spec allows: 131,072 entries (16 KiB at one bit per entry), so that a
/// credential's index says little about who holds it.
pub const MIN_ENTRIES: usize = 131_072;

/// Default cap on a decompressed list: 16 MiB (134 million one-bit entries).
pub const DEFAULT_MAX_DECOMPRESSED: usize = 16 * 1024 * 1024;

/// Largest `statusSize` supported (values are read into a `u64`).
pub const MAX_STATUS_SIZE: u32 = 64;

/// Why a status list or entry could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    #[error("statusSize {status_size} is not supported (1 to {MAX_STATUS_SIZE})")]
    BadStatusSize { status_size: u64 },
    #[error("a status list needs at least {minimum} entries, asked for {entries}")]
    TooFewEntries { entries: usize, minimum: usize },
    #[error("status list index {index} is out of range (the list has {entries} entries)")]
    IndexOutOfRange { index: u64, entries: usize },
    #[error("status value {value} does not fit in {status_size} bits")]
    ValueTooLarge { value: u64, status_size: u32 },
    #[error("encodedList must be multibase base64url (prefix 'u'), found prefix {prefix:?}")]
    NotBase64urlMultibase { prefix: String },
    #[error("encodedList is not valid base64url: {reason}")]
    Base64 { reason: String },
    #[error("encodedList is not valid GZIP data: {reason}")]
    Gzip { reason: String },
    #[error("encodedList decompresses to more than {limit} bytes")]
    DecompressedTooLarge { limit: usize },
    #[error("STATUS_LIST_LENGTH_ERROR: the list holds {entries} entries of {status_size} bits, fewer than {minimum}")]
    ListTooShort {
        entries: usize,
        status_size: u32,
        minimum: usize,
    },
    #[error("{field}: {reason}")]
    Field { field: String, reason: String },
    #[error("{field}: status type {kind:?} is not supported")]
    UnsupportedType { field: String, kind: String },
    #[error("the status list credential is not a {expected}: {reason}")]
    BadListCredential {
        expected: &'static str,
        reason: String,
    },
    #[error("STATUS_VERIFICATION_ERROR: the entry's statusPurpose is {entry:?} but the list is for {list:?}")]
    PurposeMismatch { entry: String, list: Vec<String> },
    #[error(
        "a 1EdTechRevocationList entry can only be checked for a credential that has an \"id\""
    )]
    CredentialIdMissing,
}

// ---------------------------------------------------------------------------------------------
// Bitstring

/// A status list: `entries` values of `status_size` bits each.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
    status_size: u32,
    entries: usize,
}

impl std::fmt::Debug for Bitstring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bitstring")
            .field("entries", &self.entries)
            .field("status_size", &self.status_size)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Limits for decoding an untrusted `encodedList`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted decompressed bitstring, in bytes.
    pub max_decompressed: usize,
    /// Smallest accepted number of entries (the spec's 131,072; lower only for legacy lists).
    pub min_entries: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            min_entries: MIN_ENTRIES,
        }
    }
}

impl Bitstring {
    /// A list of `entries` zero values of `status_size` bits (at least [`MIN_ENTRIES`]).
    pub fn new(entries: usize, status_size: u32) -> Result<Self, StatusError> {
        check_status_size(u64::from(status_size))?;
        if entries < MIN_ENTRIES {
            return Err(StatusError::TooFewEntries {
                entries,
                minimum: MIN_ENTRIES,
            });
        }
        let bits = entries
            .checked_mul(status_size as usize)
            .ok_or(StatusError::TooFewEntries {
                entries,
                minimum: MIN_ENTRIES,
            })?;
        Ok(Self {
            bytes: vec![0; bits.div_ceil(8)],
            status_size,
            entries,
        })
    }

    /// Number of entries.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Bits per entry.
    pub fn status_size(&self) -> u32 {
        self.status_size
    }

    /// The raw bitstring bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The value at `index` (its bits read most significant first).
    pub fn get(&self, index: u64) -> Result<u64, StatusError> {
        let first = self.first_bit(index)?;
        let mut value = 0u64;
        for bit in first..first + self.status_size as usize {
            let set = self.bytes[bit / 8] & (0x80 >> (bit % 8)) != 0;
            value = (value << 1) | u64::from(set);
        }
        Ok(value)
    }

    /// Sets the value at `index`.
    pub fn set(&mut self, index: u64, value: u64) -> Result<(), StatusError> {
        if self.status_size < 64 && value >> self.status_size != 0 {
            return Err(StatusError::ValueTooLarge {
                value,
                status_size: self.status_size,
            });
        }
        let first = self.first_bit(index)?;
        let size = self.status_size as usize;
        for (offset, bit) in (first..first + size).enumerate() {
            let set = (value >> (size - 1 - offset)) & 1 == 1;
            let mask = 0x80 >> (bit % 8);
            if set {
                self.bytes[bit / 8] |= mask;
            } else {
                self.bytes[bit / 8] &= !mask;
            }
        }
        Ok(())
    }

    fn first_bit(&self, index: u64) -> Result<usize, StatusError> {
        match usize::try_from(index) {
            Ok(i) if i < self.entries => Ok(i * self.status_size as usize),
            _ => Err(StatusError::IndexOutOfRange {
                index,
                entries: self.entries,
            }),
        }
    }

    /// The `encodedList` form: GZIP, then multibase base64url without padding (`u…`).
    pub fn encode(&self) -> String {
        multibase::encode_base64url(&self.gzip())
    }

    #[allow(
        clippy::expect_used,
        reason = "GzEncoder only fails when its writer does, and writing into a Vec<u8> cannot"
    )]
    fn gzip(&self) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(&self.bytes)
            .expect("writing into a Vec cannot fail");
        encoder.finish().expect("writing into a Vec cannot fail")
    }

    /// Decodes an `encodedList` under the default limits.
    pub fn decode(encoded: &str, status_size: u32) -> Result<Self, StatusError> {
        Self::decode_with_limits(encoded, status_size, &DecodeLimits::default())
    }

    /// Decodes an `encodedList` (`u` + base64url of GZIP data).
    pub fn decode_with_limits(
        encoded: &str,
        status_size: u32,
        limits: &DecodeLimits,
    ) -> Result<Self, StatusError> {
        check_status_size(u64::from(status_size))?;
        if !encoded.starts_with('u') {
            return Err(StatusError::NotBase64urlMultibase {
                prefix: encoded.chars().next().map(String::from).unwrap_or_default(),
            });
        }
        // A GZIP stream of a valid list is far smaller than the cap; refuse absurd input early.
        if encoded.len() > limits.max_decompressed.saturating_mul(2).max(1024) {
            return Err(StatusError::DecompressedTooLarge {
                limit: limits.max_decompressed,
            });
        }
        let compressed = multibase::decode(encoded).map_err(|e| match e {
            MultibaseError::InvalidBase64 { reason } => StatusError::Base64 { reason },
            other => StatusError::Base64 {
                reason: other.to_string(),
            },
        })?;
        Self::from_gzip(&compressed, status_size, limits)
    }

    /// Decodes a StatusList2021 `encodedList`: base64url of GZIP data without the multibase
    /// prefix (padding tolerated), as that older spec wrote it.
    pub fn decode_status_list_2021(
        encoded: &str,
        limits: &DecodeLimits,
    ) -> Result<Self, StatusError> {
        use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
        use base64::engine::DecodePaddingMode;
        use base64::Engine;
        const LENIENT: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let body = encoded.strip_prefix('u').unwrap_or(encoded);
        if body.len() > limits.max_decompressed.saturating_mul(2).max(1024) {
            return Err(StatusError::DecompressedTooLarge {
                limit: limits.max_decompressed,
            });
        }
        let compressed = LENIENT.decode(body).map_err(|e| StatusError::Base64 {
            reason: e.to_string(),
        })?;
        Self::from_gzip(&compressed, 1, limits)
    }

    fn from_gzip(
        compressed: &[u8],
        status_size: u32,
        limits: &DecodeLimits,
    ) -> Result<Self, StatusError> {
        let mut bytes = Vec::new();
        let cap = u64::try_from(limits.max_decompressed)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        GzDecoder::new(compressed)
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusError::Gzip {
                reason: e.to_string(),
            })?;
        if bytes.len() > limits.max_decompressed {
            return Err(StatusError::DecompressedTooLarge {
                limit: limits.max_decompressed,
            });
        }
        let entries = bytes.len() * 8 / status_size as usize;
        if entries < limits.min_entries {
            return Err(StatusError::ListTooShort {
                entries,
                status_size,
                minimum: limits.min_entries,
            });
        }
        Ok(Self {
            bytes,
            status_size,
            entries,
        })
    }
}

fn check_status_size(status_size: u64) -> Result<(), StatusError> {
    if (1..=u64::from(MAX_STATUS_SIZE)).contains(&status_size) {
        Ok(())
    } else {
        Err(StatusError::BadStatusSize { status_size })
    }
}

// ---------------------------------------------------------------------------------------------
// Entries

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
    fn credential_type(self) -> &'static str {
        match self {
            Self::Bitstring => "BitstringStatusListCredential",
            Self::StatusList2021 => "StatusList2021Credential",
        }
    }
    fn subject_type(self) -> &'static str {
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

// ---------------------------------------------------------------------------------------------
// Checking

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

fn meaning(purpose: &StatusPurpose, value: u64, messages: &[StatusMessage]) -> String {
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

// ---------------------------------------------------------------------------------------------
// Issuing

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

/// A non-negative decimal integer: ASCII digits only (no sign, no spaces).
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
