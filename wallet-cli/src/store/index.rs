//! The index's records: one summary per credential ([`Entry`]), the fetch cache's entries, and
//! the index itself. These are serialised into the sealed `index.pwl` (and into backups), so
//! their serde names are the on-disk format: a field or variant renamed here must keep its
//! `#[serde(rename)]`, or existing wallets stop opening.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use passerelle_core::keys::KeyPair;
use passerelle_core::verify;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{StoreError, INDEX};

/// One credential's summary, kept in the index so that `list` reads nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The number the learner uses (`show 3`); never reused.
    pub number: u64,
    /// The sealed file holding the credential (not shown to the user).
    #[serde(rename = "file")]
    pub file: String,
    /// SHA-256 of the stored text, to recognise the same credential imported twice.
    pub digest: String,
    /// How the credential is secured.
    pub format: Format,
    /// The credential's `id`, if any.
    pub credential_id: Option<String>,
    pub achievement: Option<String>,
    pub issuer_name: Option<String>,
    pub issuer_id: Option<String>,
    /// `validFrom` / `issuanceDate`.
    pub issued: Option<String>,
    pub expires: Option<String>,
    /// The last verdict.
    pub verdict: Verdict,
    /// When the last verification was made.
    pub verified_at: String,
    /// Stored although it failed verification (`import --force`).
    pub forced: bool,
    /// Stored although a required check (signature, status, …) could not be done
    /// (`import --keep-unchecked`); marked until `verify --online` settles it. Absent from
    /// wallets written before it existed, which read as `false`.
    #[serde(default)]
    pub unchecked: bool,
    /// The claim link the credential came from, if any (used by `qr` when the credential is too
    /// large for a QR code).
    pub link: Option<String>,
    /// Where it was imported from (a file name, a URL, "QR text").
    pub source: String,
    pub imported_at: String,
}

/// A moment as the index stores it (`verified_at`, `imported_at`, cache fetch times) and proofs
/// give it: RFC 3339 in UTC to the second, `2026-01-01T00:00:00Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// How a stored credential is secured. Stored as `json` / `jws`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A compact JWS (VC-JOSE) (`jws`).
    Jws,
    /// A JSON credential with an embedded Data Integrity proof (`json`). Also what a value this
    /// program never wrote reads as: `show` has always called anything but `jws` this.
    #[serde(other)]
    Json,
}

/// The verdict of a credential's last verification, as the index stores it (`verified`,
/// `not_verified`, `incomplete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Verified,
    NotVerified,
    /// Not every required check could be made. Also what a value this program never wrote
    /// reads as: `list` and `show` have always shown anything else as incomplete.
    #[serde(other)]
    Incomplete,
}

impl Verdict {
    /// The stored name (`verified`, `not_verified`, `incomplete`), also used in `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::NotVerified => "not_verified",
            Self::Incomplete => "incomplete",
        }
    }
}

impl From<verify::Verdict> for Verdict {
    /// The core's verdict as stored: anything but verified / not verified is incomplete.
    fn from(verdict: verify::Verdict) -> Self {
        match verdict {
            verify::Verdict::Verified => Self::Verified,
            verify::Verdict::NotVerified => Self::NotVerified,
            _ => Self::Incomplete,
        }
    }
}

/// A document fetched from the network, cached for offline verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub file: String,
    /// `did`, `status` or `schema`.
    pub kind: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
}

/// The decrypted index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    pub format: u32,
    /// The holder key's Ed25519 seed, hex.
    pub(super) holder_seed: String,
    pub next_number: u64,
    pub credentials: Vec<Entry>,
    /// Fetched documents by URL.
    pub cache: BTreeMap<String, CacheEntry>,
    /// Email addresses the learner confirmed as theirs (`confirm-email`), checked locally
    /// against a credential's hashed identifier. Absent from older wallets (then empty).
    #[serde(default)]
    pub confirmed_emails: Vec<String>,
    /// The Open Badges API providers the wallet is connected to (`connect`), with their client
    /// credentials and refresh tokens: secrets, kept only in this sealed index. Absent from older
    /// wallets (then empty) and not written while empty, so a wallet that never connected keeps
    /// the index text it always had.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<Connection>,
}

/// One connection to an Open Badges 3.0 API provider: what `sync` needs to fetch new badges
/// and `disconnect` to revoke the grant. Its `Debug` never shows a secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// The URL the learner gave `connect` (how `sync` and `disconnect` name it).
    pub provider: String,
    /// The provider's title (`info.title` of its service description).
    pub title: String,
    /// The API's base URL (`servers[0].url`): `{api}/credentials` is fetched.
    pub api_base: String,
    /// The token endpoint (`tokenUrl`, or `refreshUrl` when the description has one).
    pub token_url: String,
    /// RFC 8414 `revocation_endpoint`, when the provider publishes one.
    pub revocation_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    /// The current refresh token (replaced, and saved, at each rotation before it is used).
    pub refresh_token: Option<String>,
    /// The last access token and when it expires (RFC 3339), kept to revoke it on disconnect.
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub access_expires_at: Option<String>,
    /// The scopes the provider granted.
    pub scopes: Vec<String>,
    /// The learner's Profile at the provider (getProfile): its id, and its name if any. Absent
    /// from connections made before it was read, and when the provider did not grant it.
    #[serde(default)]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub profile_name: Option<String>,
    pub connected_at: String,
    pub last_sync: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("provider", &self.provider)
            .field("title", &self.title)
            .field("api_base", &self.api_base)
            .field("token_url", &self.token_url)
            .field("revocation_url", &self.revocation_url)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("profile_id", &self.profile_id)
            .field("connected_at", &self.connected_at)
            .field("last_sync", &self.last_sync)
            .finish_non_exhaustive()
    }
}

impl Index {
    /// The holder's key pair.
    pub fn holder(&self) -> Result<KeyPair, StoreError> {
        let seed =
            Zeroizing::new(
                hex::decode(&self.holder_seed).map_err(|e| StoreError::BadIndex {
                    path: PathBuf::from(INDEX),
                    reason: format!("holder key: {e}"),
                })?,
            );
        KeyPair::from_seed_slice(&seed).map_err(|e| StoreError::BadIndex {
            path: PathBuf::from(INDEX),
            reason: format!("holder key: {e}"),
        })
    }

    /// The credential numbered `number`.
    pub fn entry(&self, number: u64) -> Option<&Entry> {
        self.credentials.iter().find(|e| e.number == number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names wallets have always written deserialize to the enums, and are written back
    /// byte for byte.
    #[test]
    fn stored_formats_and_verdicts_read_and_write_as_before() {
        for (text, format) in [("\"json\"", Format::Json), ("\"jws\"", Format::Jws)] {
            assert_eq!(
                serde_json::from_str::<Format>(text).unwrap(),
                format,
                "{text}"
            );
            assert_eq!(serde_json::to_string(&format).unwrap(), text);
        }
        for (text, verdict) in [
            ("\"verified\"", Verdict::Verified),
            ("\"not_verified\"", Verdict::NotVerified),
            ("\"incomplete\"", Verdict::Incomplete),
        ] {
            assert_eq!(
                serde_json::from_str::<Verdict>(text).unwrap(),
                verdict,
                "{text}"
            );
            assert_eq!(serde_json::to_string(&verdict).unwrap(), text);
            assert_eq!(format!("\"{}\"", verdict.as_str()), text);
        }
        // What this program never wrote reads as `show` and `list` always showed it.
        assert_eq!(
            serde_json::from_str::<Format>("\"ldp\"").unwrap(),
            Format::Json
        );
        assert_eq!(
            serde_json::from_str::<Verdict>("\"revoked\"").unwrap(),
            Verdict::Incomplete
        );
    }

    /// A whole entry as a wallet of the previous version wrote it (format and verdict as
    /// strings) reads, and is written back to the same JSON text.
    #[test]
    fn an_entry_written_with_string_format_and_verdict_round_trips_byte_for_byte() {
        let old = r#"{"number":3,"file":"ab","digest":"d","format":"jws","credential_id":null,"achievement":"A","issuer_name":null,"issuer_id":"did:key:z","issued":null,"expires":null,"verdict":"not_verified","verified_at":"2026-01-01T00:00:00Z","forced":true,"unchecked":false,"link":null,"source":"QR text","imported_at":"2026-01-01T00:00:00Z"}"#;
        let entry: Entry = serde_json::from_str(old).unwrap();
        assert_eq!(entry.format, Format::Jws);
        assert_eq!(entry.verdict, Verdict::NotVerified);
        assert_eq!(serde_json::to_string(&entry).unwrap(), old);
    }
}
