//! Multibase (base58btc `z…`, base64url-no-pad `u…`) and multicodec key prefixes.
//!
//! Only the two bases that Data Integrity, did:key and Bitstring Status List use are supported;
//! any other prefix is an error naming the prefix.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed).
pub const ED25519_PUB_PREFIX: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix of an Ed25519 private key (`ed25519-priv`, 0x1300).
pub const ED25519_PRIV_PREFIX: [u8; 2] = [0x80, 0x26];

/// Why a multibase string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultibaseError {
    #[error("multibase value is empty")]
    Empty,
    #[error("multibase prefix {prefix:?} is not supported (expected 'z' for base58btc or 'u' for base64url)")]
    UnsupportedBase { prefix: char },
    #[error("multibase value is not valid base58btc: {reason}")]
    InvalidBase58 { reason: String },
    #[error("multibase value is not valid base64url (no padding): {reason}")]
    InvalidBase64 { reason: String },
}

/// Encodes bytes as multibase base58btc (`z` prefix).
pub fn encode_base58btc(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(1 + bytes.len() * 138 / 100 + 1);
    out.push('z');
    out.push_str(&bs58::encode(bytes).into_string());
    out
}

/// Encodes bytes as multibase base64url without padding (`u` prefix).
pub fn encode_base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(1 + bytes.len().div_ceil(3) * 4);
    out.push('u');
    URL_SAFE_NO_PAD.encode_string(bytes, &mut out);
    out
}

/// Decodes a multibase string in base58btc (`z`) or base64url (`u`).
pub fn decode(value: &str) -> Result<Vec<u8>, MultibaseError> {
    let mut chars = value.chars();
    let prefix = chars.next().ok_or(MultibaseError::Empty)?;
    let rest = chars.as_str();
    match prefix {
        'z' => decode_base58btc_body(rest),
        'u' => URL_SAFE_NO_PAD
            .decode(rest)
            .map_err(|e| MultibaseError::InvalidBase64 {
                reason: e.to_string(),
            }),
        other => Err(MultibaseError::UnsupportedBase { prefix: other }),
    }
}

/// Decodes a multibase string that must be base58btc (`z`).
pub fn decode_base58btc(value: &str) -> Result<Vec<u8>, MultibaseError> {
    match value.strip_prefix('z') {
        Some(rest) => decode_base58btc_body(rest),
        None => match value.chars().next() {
            None => Err(MultibaseError::Empty),
            Some(prefix) => Err(MultibaseError::UnsupportedBase { prefix }),
        },
    }
}

fn decode_base58btc_body(body: &str) -> Result<Vec<u8>, MultibaseError> {
    if body.is_empty() {
        return Err(MultibaseError::InvalidBase58 {
            reason: "no characters after the 'z' prefix".into(),
        });
    }
    bs58::decode(body)
        .into_vec()
        .map_err(|e| MultibaseError::InvalidBase58 {
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let bytes = [0u8, 1, 2, 250, 255];
        assert_eq!(decode(&encode_base58btc(&bytes)).unwrap(), bytes);
        assert_eq!(decode(&encode_base64url(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decode(""), Err(MultibaseError::Empty));
        assert!(matches!(
            decode("mAAAA"),
            Err(MultibaseError::UnsupportedBase { prefix: 'm' })
        ));
        assert!(matches!(
            decode("z0OIl"),
            Err(MultibaseError::InvalidBase58 { .. })
        ));
        assert!(matches!(
            decode("u***"),
            Err(MultibaseError::InvalidBase64 { .. })
        ));
        assert!(matches!(
            decode("z"),
            Err(MultibaseError::InvalidBase58 { .. })
        ));
    }
}
