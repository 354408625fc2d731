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

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use passerelle_core::keys::KeyPair;
use passerelle_core::sealed::{self, SealedError, HEADER_LEN, NONCE_LEN, SALT_LEN, TAG_LEN};
use sha2::Sha256;
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
    /// The passphrase does not match the one the key was sealed with (kept apart from
    /// [`SecretError::Sealed`]: it is the user's to fix, everything else is damage or a bug).
    #[error("wrong passphrase: it does not decrypt this issuer key")]
    WrongPassphrase,
    /// The core's sealing primitive refused: the blob is damaged or altered, the Argon2id
    /// parameters are unusable, or the passphrase is empty.
    #[error("the encrypted issuer key cannot be used: {0}")]
    Sealed(#[source] SealedError),
    /// A wrapped learner secret fails authentication: the blob was altered.
    #[error("the encrypted issuer key has been altered or damaged (authentication failed)")]
    Tampered,
    /// The blob does not have the expected layout.
    #[error("the encrypted issuer key is malformed: {reason}")]
    Malformed { reason: String },
    /// The operating system gave no randomness.
    #[error(transparent)]
    Random(#[from] NoRandomness),
}

impl From<SealedError> for SecretError {
    fn from(error: SealedError) -> Self {
        match error {
            SealedError::WrongPassphrase => Self::WrongPassphrase,
            other => Self::Sealed(other),
        }
    }
}

/// The operating system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("no randomness available from the operating system: {0}")]
pub struct NoRandomness(#[source] getrandom::Error);

/// Fills `bytes` from the operating system's random source.
pub fn fill_random(bytes: &mut [u8]) -> Result<(), NoRandomness> {
    getrandom::fill(bytes).map_err(NoRandomness)
}

/// A new Ed25519 signing key from a fresh random seed (the seed is zeroed after use): the one
/// place the issuer makes keys (`keygen`, `init`, `key rotate`).
pub fn generate_key() -> Result<KeyPair, NoRandomness> {
    let mut seed = Zeroizing::new([0u8; SEED_LEN]);
    fill_random(seed.as_mut_slice())?;
    Ok(KeyPair::from_seed(&seed))
}

/// Encrypts `key`'s seed under `passphrase` with fresh random salt and nonce.
pub fn seal(
    key: &KeyPair,
    passphrase: &Passphrase,
    params: KdfParams,
) -> Result<Vec<u8>, SecretError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut salt)?;
    fill_random(&mut nonce)?;
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

/// The secret under which learner keys are computed ([`learner_key_hmac`]): 32 random bytes made
/// once per issuer. It is stored only wrapped (encrypted) under the signing key, so it is kept
/// exactly as well as that key is — sealed under the passphrase, or in the 0600 key file — and a
/// copy of the database alone cannot turn learner keys back into addresses by dictionary.
pub struct LearnerSecret(Zeroizing<[u8; LEARNER_SECRET_LEN]>);

const LEARNER_SECRET_LEN: usize = 32;
/// Format tag of a wrapped learner secret.
const WRAP_MAGIC: [u8; 4] = *b"PLW1";
const WRAP_LEN: usize = 4 + NONCE_LEN + LEARNER_SECRET_LEN + TAG_LEN;

impl std::fmt::Debug for LearnerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LearnerSecret(<redacted>)")
    }
}

impl LearnerSecret {
    /// A new random secret from the operating system.
    pub fn generate() -> Result<Self, SecretError> {
        let mut bytes = Zeroizing::new([0u8; LEARNER_SECRET_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// A fixed secret (tests and embedding).
    pub fn from_bytes(bytes: [u8; LEARNER_SECRET_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Encrypts the secret under `key` (XChaCha20-Poly1305 under a key derived from the signing
    /// seed; the public key is authenticated data, so a blob only opens for the key it names):
    /// `"PLW1" | nonce[24] | ciphertext[32 + 16]`.
    pub fn wrap(&self, key: &KeyPair) -> Result<Vec<u8>, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let mut blob = Vec::with_capacity(WRAP_LEN);
        blob.extend_from_slice(&WRAP_MAGIC);
        blob.extend_from_slice(&nonce);
        let aad = wrap_aad(key);
        let ciphertext = wrap_cipher(key)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: self.0.as_slice(),
                    aad: &aad,
                },
            )
            .map_err(|_| SecretError::Malformed {
                reason: "the learner secret could not be encrypted".into(),
            })?;
        blob.extend_from_slice(&ciphertext);
        Ok(blob)
    }

    /// Opens a blob made by [`LearnerSecret::wrap`] with the same key.
    pub fn unwrap(blob: &[u8], key: &KeyPair) -> Result<Self, SecretError> {
        if blob.len() != WRAP_LEN || blob[..4] != WRAP_MAGIC {
            return Err(SecretError::Malformed {
                reason: format!(
                    "a wrapped learner secret is {WRAP_LEN} bytes starting PLW1 (got {} bytes)",
                    blob.len()
                ),
            });
        }
        let nonce = &blob[4..4 + NONCE_LEN];
        let plain = Zeroizing::new(
            wrap_cipher(key)
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: &blob[4 + NONCE_LEN..],
                        aad: &wrap_aad(key),
                    },
                )
                .map_err(|_| SecretError::Tampered)?,
        );
        let mut bytes = Zeroizing::new([0u8; LEARNER_SECRET_LEN]);
        bytes.copy_from_slice(&plain);
        Ok(Self(bytes))
    }
}

fn wrap_cipher(key: &KeyPair) -> XChaCha20Poly1305 {
    let seed = Zeroizing::new(key.seed());
    let mut mac = hmac_sha256(&seed);
    mac.update(b"passerelle learner-secret wrapping key v1");
    let mut derived = Zeroizing::new([0u8; 32]);
    derived.copy_from_slice(&mac.finalize().into_bytes());
    XChaCha20Poly1305::new(Key::from_slice(derived.as_slice()))
}

/// HMAC-SHA256 under a 32-byte key. The key is zero-padded to SHA-256's 64-byte block, which is
/// what HMAC does with every key shorter than a block (RFC 2104, section 2): the same MAC as
/// `Hmac::new_from_slice(key)`, without its error for a length that cannot occur.
fn hmac_sha256(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as KeyInit>::new(hmac::digest::Key::<Hmac<Sha256>>::from_slice(
        block.as_slice(),
    ))
}

fn wrap_aad(key: &KeyPair) -> Vec<u8> {
    let mut aad = WRAP_MAGIC.to_vec();
    aad.extend_from_slice(key.public().to_multikey().as_bytes());
    aad
}

/// The keyed learner key of a normalised email address: HMAC-SHA256 under the issuer's
/// [`LearnerSecret`] of the issuer DID and the address, as `email-hmac:` + hex.
pub fn learner_key_hmac(
    secret: &LearnerSecret,
    issuer_did: &str,
    normalised_email: &str,
) -> String {
    let mut mac = hmac_sha256(&secret.0);
    mac.update(b"passerelle learner key v2\0");
    mac.update(issuer_did.as_bytes());
    mac.update(b"\0");
    mac.update(normalised_email.as_bytes());
    format!(
        "{LEARNER_KEY_HMAC_PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// HMAC-SHA256 under the issuer's [`LearnerSecret`] of a `label` (which names the purpose and
/// its version, so MACs made for one purpose never stand for another) and `parts`, each
/// length-prefixed so no two lists of parts give the same input.
pub fn purpose_mac(secret: &LearnerSecret, label: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = hmac_sha256(&secret.0);
    mac.update(label.as_bytes());
    mac.update(b"\0");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Prefix of keyed learner keys.
pub const LEARNER_KEY_HMAC_PREFIX: &str = "email-hmac:";

/// The stored form of an OpenID4VCI transaction code (a short PIN, guessable offline from a plain
/// hash): HMAC-SHA256 under the issuer's [`LearnerSecret`] of a random per-offer `salt` and the
/// code. A copy of the database alone does not give the PINs back.
pub fn tx_code_mac(secret: &LearnerSecret, salt: &[u8], tx_code: &str) -> Vec<u8> {
    let mut mac = hmac_sha256(&secret.0);
    mac.update(b"passerelle oid4vci tx_code v1\0");
    mac.update(salt);
    mac.update(b"\0");
    mac.update(tx_code.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Whether `presented` is the transaction code whose [`tx_code_mac`] is `expected` (compared in
/// constant time).
pub fn tx_code_matches(
    secret: &LearnerSecret,
    salt: &[u8],
    presented: &str,
    expected: &[u8],
) -> bool {
    let mut mac = hmac_sha256(&secret.0);
    mac.update(b"passerelle oid4vci tx_code v1\0");
    mac.update(salt);
    mac.update(b"\0");
    mac.update(presented.as_bytes());
    mac.verify_slice(expected).is_ok()
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
                matches!(
                    open(&bad, &pass),
                    Err(SecretError::Sealed(SealedError::Tampered))
                ),
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
            Err(SecretError::Sealed(SealedError::Malformed { .. }))
        ));
        assert!(matches!(
            open(&blob[..blob.len() - 1], &pass),
            Err(SecretError::Malformed { .. })
        ));
        // Absurd cost parameters are refused before any work.
        let mut bad = blob.clone();
        bad[4] = 0xff;
        assert!(matches!(
            open(&bad, &pass),
            Err(SecretError::Sealed(SealedError::Params { .. }))
        ));
    }

    #[test]
    fn empty_passphrase_refused_and_debug_redacted() {
        let pass = Passphrase::new("");
        assert!(matches!(
            seal(&key(), &pass, FAST),
            Err(SecretError::Sealed(SealedError::EmptyPassphrase))
        ));
        assert_eq!(
            format!("{:?}", Passphrase::new("hunter2")),
            "Passphrase(<redacted>)"
        );
    }

    #[test]
    fn a_learner_secret_opens_only_with_the_key_it_was_wrapped_for() {
        let secret = LearnerSecret::from_bytes([9u8; 32]);
        let blob = secret.wrap(&key()).unwrap();
        assert!(!blob.windows(32).any(|w| w == [9u8; 32]), "stored in clear");
        let opened = LearnerSecret::unwrap(&blob, &key()).unwrap();
        assert_eq!(opened.0.as_slice(), &[9u8; 32]);
        let other = KeyPair::from_seed(&[8u8; 32]);
        assert!(matches!(
            LearnerSecret::unwrap(&blob, &other),
            Err(SecretError::Tampered)
        ));
        let mut altered = blob.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(matches!(
            LearnerSecret::unwrap(&altered, &key()),
            Err(SecretError::Tampered)
        ));
        assert!(matches!(
            LearnerSecret::unwrap(&blob[..10], &key()),
            Err(SecretError::Malformed { .. })
        ));
        assert_eq!(format!("{secret:?}"), "LearnerSecret(<redacted>)");
    }

    #[test]
    fn the_padded_hmac_key_gives_the_same_mac_as_the_slice() {
        let key = [7u8; 32];
        let mut slice = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        let mut padded = hmac_sha256(&key);
        slice.update(b"message");
        padded.update(b"message");
        assert_eq!(
            slice.finalize().into_bytes(),
            padded.finalize().into_bytes()
        );
    }

    #[test]
    fn learner_keys_depend_on_the_secret() {
        let a = LearnerSecret::from_bytes([1u8; 32]);
        let b = LearnerSecret::from_bytes([2u8; 32]);
        let ka = learner_key_hmac(&a, "did:web:x", "ada@example.org");
        assert!(ka.starts_with("email-hmac:") && ka.len() == "email-hmac:".len() + 64);
        assert_eq!(ka, learner_key_hmac(&a, "did:web:x", "ada@example.org"));
        assert_ne!(ka, learner_key_hmac(&b, "did:web:x", "ada@example.org"));
        assert_ne!(ka, learner_key_hmac(&a, "did:web:y", "ada@example.org"));
    }
}
