//! Encryption at rest of issuer private keys: a thin wrapper over the core's passphrase-sealing
//! primitive ([`passerelle_core::sealed`], Argon2id + XChaCha20-Poly1305) that fixes the format tag
//! `PSK1`, draws the salt and nonce from the operating system, and checks that the plaintext is an
//! Ed25519 seed.
//!
//! Blob layout (see the core module for the header):
//!
//! ```text
//! "PSK1" | m_cost u32 | t_cost u32 | p_cost u32 | salt[16] | check[32] | nonce[24] | ciphertext[32 + 16]
//! ```
//!
//! The plaintext seed never leaves this module except inside a [`KeyPair`], whose `Debug` is
//! redacted; intermediate buffers are zeroed.

use passerelle_core::keys::KeyPair;
use passerelle_core::sealed::{self, SealedError, HEADER_LEN, NONCE_LEN, SALT_LEN, TAG_LEN};
use zeroize::Zeroizing;

pub use passerelle_core::sealed::{KdfParams, Passphrase};

const MAGIC: [u8; 4] = *b"PSK1";
const SEED_LEN: usize = 32;
/// Length of a sealed key blob.
pub const SEALED_LEN: usize = HEADER_LEN + SEED_LEN + TAG_LEN;

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

impl From<SealedError> for SecretError {
    fn from(error: SealedError) -> Self {
        match error {
            SealedError::WrongPassphrase => Self::WrongPassphrase,
            SealedError::Tampered => Self::Tampered,
            SealedError::Params {
                m_cost,
                t_cost,
                p_cost,
                reason,
            } => Self::Params {
                m_cost,
                t_cost,
                p_cost,
                reason,
            },
            SealedError::EmptyPassphrase => Self::EmptyPassphrase,
            other => Self::Malformed {
                reason: other.to_string(),
            },
        }
    }
}

/// Encrypts `key`'s seed under `passphrase` with fresh random salt and nonce.
pub fn seal(
    key: &KeyPair,
    passphrase: &Passphrase,
    params: KdfParams,
) -> Result<Vec<u8>, SecretError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut salt).map_err(|e| SecretError::Random(e.to_string()))?;
    getrandom::fill(&mut nonce).map_err(|e| SecretError::Random(e.to_string()))?;
    let seed = Zeroizing::new(key.seed());
    Ok(sealed::seal(
        MAGIC,
        passphrase,
        params,
        salt,
        nonce,
        seed.as_slice(),
    )?)
}

/// Decrypts a blob made by [`seal`].
pub fn open(blob: &[u8], passphrase: &Passphrase) -> Result<KeyPair, SecretError> {
    if blob.len() != SEALED_LEN {
        return Err(SecretError::Malformed {
            reason: format!("{} bytes, expected {SEALED_LEN}", blob.len()),
        });
    }
    let seed = sealed::open(MAGIC, blob, passphrase)?;
    KeyPair::from_seed_slice(&seed).map_err(|e| SecretError::Malformed {
        reason: e.to_string(),
    })
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
