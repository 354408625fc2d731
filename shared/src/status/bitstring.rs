//! The Bitstring Status List's list: `entries` values of `status_size` bits, GZIP + multibase
//! encoded, with decompression caps.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::{StatusError, DEFAULT_MAX_DECOMPRESSED, MAX_STATUS_SIZE, MIN_ENTRIES};
use crate::multibase::{self, MultibaseError};

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

pub(super) fn check_status_size(status_size: u64) -> Result<(), StatusError> {
    if (1..=u64::from(MAX_STATUS_SIZE)).contains(&status_size) {
        Ok(())
    } else {
        Err(StatusError::BadStatusSize { status_size })
    }
}
