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

mod bitstring;
mod check;
mod entry;

pub use bitstring::{Bitstring, DecodeLimits};
pub use check::{check_entry, check_entry_with_limits, status_list_credential, StatusOutcome};
pub use entry::{
    lists_needed, parse_status_entries, BitstringEntry, ListKind, RevocationListEntry, StatusEntry,
    StatusIndex, StatusMessage, StatusPurpose,
};

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

/// A non-negative decimal integer: ASCII digits only (no sign, no spaces).
pub(super) fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
