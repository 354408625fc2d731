//! Encryption at rest of issuer private keys.
//!
//! A key-encryption key (KEK) is derived from the operator's passphrase with Argon2id and a random
//! 16-byte salt; the Ed25519 seed is sealed with XChaCha20-Poly1305 under a random 24-byte nonce.
//! Argon2id yields 64 bytes: the first 32 are the KEK, the last 32 a *check value* stored in the
//! blob, so that a wrong passphrase is told apart from a damaged blob. (The check value gives an
//! attacker nothing the ciphertext does not: either lets them test a guessed passphrase, at the
//! cost of one Argon2id derivation per guess.)
//!
//! Blob layout (all integers big-endian), the header being authenticated as AEAD associated data:
//!
//! ```text
//! "PSK1" | m_cost u32 | t_cost u32 | p_cost u32 | salt[16] | check[32] | nonce[24] | ciphertext[32 + 16]
//! ```
//!
//! The plaintext seed never leaves this module except inside a [`KeyPair`], whose `Debug` is
//! redacted; intermediate buffers are zeroed.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use passerelle_core::keys::KeyPair;
use zeroize::{Zeroize, Zeroizing};

const MAGIC: &[u8; 4] = b"PSK1";
const SALT_LEN: usize = 16;
const CHECK_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const SEED_LEN: usize = 32;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 4 + 12 + SALT_LEN + CHECK_LEN + NONCE_LEN;
/// Length of a sealed key blob.
pub const SEALED_LEN: usize = HEADER_LEN + SEED_LEN + TAG_LEN;

/// Largest Argon2 memory cost accepted when opening a blob (1 GiB), so that a forged blob cannot
/// make the issuer allocate without bound.
const MAX_M_COST_KIB: u32 = 1024 * 1024;
/// Largest Argon2 time cost accepted when opening a blob.
const MAX_T_COST: u32 = 64;

/// Why a key could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The passphrase does not match the one the key was sealed with.
    #[error("wrong passphrase: it does not decrypt this issuer key")]
    WrongPassphrase,
    /// The passphrase is right but the ciphertext fails authentication: the blob was altered.
    #[error("the encrypted issuer key has been altered or damaged (authentication failed)")]
    Tampered,
    /// The blob does not have the expected layout.
    #[error("the encrypted issuer key is malformed: {reason}")]
    Malformed { reason: String },
    /// The Argon2id parameters are unusable.
    #[error("invalid Argon2id parameters (m_cost {m_cost} KiB, t_cost {t_cost}, p_cost {p_cost}): {reason}")]
    Params {
        m_cost: u32,
        t_cost: u32,
        p_cost: u32,
        reason: String,
    },
    /// The empty passphrase is refused.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// The operating system gave no randomness.
    #[error("no randomness available from the operating system: {0}")]
    Random(String),
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            m_cost: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

/// A passphrase held in memory that is zeroed on drop; its `Debug` is redacted.
pub struct Passphrase(Zeroizing<Vec<u8>>);

impl Passphrase {
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// Encrypts `key`'s seed under `passphrase` with fresh random salt and nonce.
pub fn seal(
    key: &KeyPair,
    passphrase: &Passphrase,
    params: KdfParams,
) -> Result<Vec<u8>, SecretError> {
    if passphrase.bytes().is_empty() {
        return Err(SecretError::EmptyPassphrase);
    }
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut salt).map_err(|e| SecretError::Random(e.to_string()))?;
    getrandom::fill(&mut nonce).map_err(|e| SecretError::Random(e.to_string()))?;
    let derived = derive(passphrase, &salt, params)?;

    let mut blob = Vec::with_capacity(SEALED_LEN);
    blob.extend_from_slice(MAGIC);
    blob.extend_from_slice(&params.m_cost.to_be_bytes());
    blob.extend_from_slice(&params.t_cost.to_be_bytes());
    blob.extend_from_slice(&params.p_cost.to_be_bytes());
    blob.extend_from_slice(&salt);
    blob.extend_from_slice(&derived[SEED_LEN..]);
    blob.extend_from_slice(&nonce);

    let cipher = XChaCha20Poly1305::new(Key::from_slice(&derived[..SEED_LEN]));
    let seed = Zeroizing::new(key.seed());
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: seed.as_slice(),
                aad: &blob,
            },
        )
        .map_err(|_| SecretError::Malformed {
            reason: "encryption failed".into(),
        })?;
    blob.extend_from_slice(&ciphertext);
    Ok(blob)
}

/// Decrypts a blob made by [`seal`].
pub fn open(blob: &[u8], passphrase: &Passphrase) -> Result<KeyPair, SecretError> {
    if blob.len() != SEALED_LEN {
        return Err(SecretError::Malformed {
            reason: format!("{} bytes, expected {SEALED_LEN}", blob.len()),
        });
    }
    if &blob[..4] != MAGIC {
        return Err(SecretError::Malformed {
            reason: "unknown format tag (expected PSK1)".into(),
        });
    }
    let be = |at: usize| u32::from_be_bytes([blob[at], blob[at + 1], blob[at + 2], blob[at + 3]]);
    let params = KdfParams {
        m_cost: be(4),
        t_cost: be(8),
        p_cost: be(12),
    };
    if params.m_cost > MAX_M_COST_KIB || params.t_cost > MAX_T_COST {
        return Err(SecretError::Params {
            m_cost: params.m_cost,
            t_cost: params.t_cost,
            p_cost: params.p_cost,
            reason: "above the accepted maximum".into(),
        });
    }
    let salt = &blob[16..16 + SALT_LEN];
    let check = &blob[16 + SALT_LEN..16 + SALT_LEN + CHECK_LEN];
    let nonce = &blob[16 + SALT_LEN + CHECK_LEN..HEADER_LEN];
    let derived = derive(passphrase, salt, params)?;
    if !constant_time_eq(&derived[SEED_LEN..], check) {
        return Err(SecretError::WrongPassphrase);
    }
    let cipher = XChaCha20Poly1305::new(Key::from_slice(&derived[..SEED_LEN]));
    let mut seed = cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: &blob[HEADER_LEN..],
                aad: &blob[..HEADER_LEN],
            },
        )
        .map_err(|_| SecretError::Tampered)?;
    let pair = KeyPair::from_seed_slice(&seed).map_err(|e| SecretError::Malformed {
        reason: e.to_string(),
    });
    seed.zeroize();
    pair
}

/// Argon2id(passphrase, salt) → 64 bytes: KEK ‖ check value.
fn derive(
    passphrase: &Passphrase,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 64]>, SecretError> {
    let bad = |reason: String| SecretError::Params {
        m_cost: params.m_cost,
        t_cost: params.t_cost,
        p_cost: params.p_cost,
        reason,
    };
    let argon_params = Params::new(params.m_cost, params.t_cost, params.p_cost, Some(64))
        .map_err(|e| bad(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; 64]);
    argon
        .hash_password_into(passphrase.bytes(), salt, out.as_mut())
        .map_err(|e| bad(e.to_string()))?;
    Ok(out)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so the tests run fast in debug builds; the format is the same.
    const FAST: KdfParams = KdfParams {
        m_cost: 256,
        t_cost: 1,
        p_cost: 1,
    };

    fn key() -> KeyPair {
        KeyPair::from_seed(&[7u8; 32])
    }

    #[test]
    fn round_trip() {
        let pass = Passphrase::new("correct horse battery staple");
        let blob = seal(&key(), &pass, FAST).unwrap();
        assert_eq!(blob.len(), SEALED_LEN);
        let opened = open(&blob, &pass).unwrap();
        assert_eq!(opened.seed(), key().seed());
        // The seed does not appear in the blob.
        assert!(!blob.windows(32).any(|w| w == [7u8; 32]));
    }

    #[test]
    fn round_trip_with_default_parameters() {
        let pass = Passphrase::new("pass");
        let blob = seal(&key(), &pass, KdfParams::default()).unwrap();
        assert_eq!(open(&blob, &pass).unwrap().seed(), key().seed());
    }

    #[test]
    fn fresh_salt_and_nonce_every_time() {
        let pass = Passphrase::new("p");
        let a = seal(&key(), &pass, FAST).unwrap();
        let b = seal(&key(), &pass, FAST).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_passphrase() {
        let blob = seal(&key(), &Passphrase::new("right"), FAST).unwrap();
        let err = open(&blob, &Passphrase::new("wrong")).unwrap_err();
        assert!(matches!(err, SecretError::WrongPassphrase), "{err:?}");
        assert!(err.to_string().contains("wrong passphrase"));
    }

    #[test]
    fn tampered_ciphertext_nonce_and_header() {
        let pass = Passphrase::new("right");
        let blob = seal(&key(), &pass, FAST).unwrap();
        // Ciphertext, tag and nonce bytes: authentication fails.
        for at in [HEADER_LEN, SEALED_LEN - 1, HEADER_LEN - 1] {
            let mut bad = blob.clone();
            bad[at] ^= 1;
            assert!(
                matches!(open(&bad, &pass), Err(SecretError::Tampered)),
                "byte {at}"
            );
        }
        // Salt or check value: the derived check no longer matches.
        let mut bad = blob.clone();
        bad[20] ^= 1;
        assert!(matches!(
            open(&bad, &pass),
            Err(SecretError::WrongPassphrase)
        ));
        // Format tag and length.
        let mut bad = blob.clone();
        bad[0] = b'X';
        assert!(matches!(
            open(&bad, &pass),
            Err(SecretError::Malformed { .. })
        ));
        assert!(matches!(
            open(&blob[..blob.len() - 1], &pass),
            Err(SecretError::Malformed { .. })
        ));
        // Absurd cost parameters are refused before any work.
        let mut bad = blob.clone();
        bad[4] = 0xff;
        assert!(matches!(open(&bad, &pass), Err(SecretError::Params { .. })));
    }

    #[test]
    fn empty_passphrase_refused_and_debug_redacted() {
        let pass = Passphrase::new("");
        assert!(matches!(
            seal(&key(), &pass, FAST),
            Err(SecretError::EmptyPassphrase)
        ));
        assert_eq!(
            format!("{:?}", Passphrase::new("hunter2")),
            "Passphrase(<redacted>)"
        );
    }
}
