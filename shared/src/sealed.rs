//! Passphrase-sealed bytes: Argon2id key derivation and XChaCha20-Poly1305 encryption.
//!
//! The one encryption-at-rest primitive of Passerelle, used by the issuer for its signing keys and
//! by the wallet for its whole store. Pure: the caller passes the random salt and nonce (from the
//! operating system) and reads and writes the bytes.
//!
//! Argon2id yields 64 bytes from the passphrase and a 16-byte salt: the first 32 are the
//! key-encryption key, the last 32 a *check value* stored in the blob, so that a wrong passphrase
//! is told apart from a damaged blob. (The check value gives an attacker nothing the ciphertext
//! does not: either lets them test a guessed passphrase, at the cost of one Argon2id derivation.)
//!
//! Blob layout (integers big-endian); the header is authenticated as AEAD associated data, so the
//! format tag and the KDF parameters cannot be changed without detection:
//!
//! ```text
//! tag[4] | m_cost u32 | t_cost u32 | p_cost u32 | salt[16] | check[32] | nonce[24] | ciphertext | poly1305 tag[16]
//! ```
//!
//! The *checked* layout ([`SealingKey::seal_checked`], [`seal_checked`]) adds a SHA-256 of the
//! header right after it, verified before any key derivation, so that a damaged header byte (tag,
//! parameters, salt, check value, nonce) reads as [`SealedError::DamagedHeader`] and only a
//! header intact under its checksum can yield [`SealedError::WrongPassphrase`]. Its AEAD associated
//! data is the header, the checksum and caller-chosen bytes (e.g. the slot a file belongs to), so a
//! blob moved to another slot fails authentication. (The checksum is not a secret and does not
//! stop a deliberate forger, who could recompute it; the AEAD still refuses any forged content.)
//!
//! ```text
//! tag[4] | m_cost u32 | t_cost u32 | p_cost u32 | salt[16] | check[32] | nonce[24] | sha256(header)[32] | ciphertext | poly1305 tag[16]
//! ```
//!
//! Deriving a key costs tens of milliseconds on purpose. A program that opens many blobs made under
//! the same passphrase and salt derives once with [`SealingKey::derive`] and calls
//! [`SealingKey::seal`] / [`SealingKey::open`] for each.
//!
//! ```
//! use passerelle_core::sealed::{self, KdfParams, Passphrase};
//!
//! let params = KdfParams { m_cost: 256, t_cost: 1, p_cost: 1 }; // tiny, for the example only
//! let pass = Passphrase::new("correct horse battery staple");
//! let blob = sealed::seal(*b"DEMO", &pass, params, [1; 16], [2; 24], b"secret").unwrap();
//! assert_eq!(sealed::open(*b"DEMO", &blob, &pass).unwrap().as_slice(), b"secret");
//! assert!(matches!(
//!     sealed::open(*b"DEMO", &blob, &Passphrase::new("wrong")),
//!     Err(sealed::SealedError::WrongPassphrase)
//! ));
//! ```

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Length of the random salt.
pub const SALT_LEN: usize = 16;
/// Length of the random XChaCha20 nonce.
pub const NONCE_LEN: usize = 24;
const CHECK_LEN: usize = 32;
const KEY_LEN: usize = 32;
/// Length of the Poly1305 authentication tag.
pub const TAG_LEN: usize = 16;
/// Length of the header (format tag, KDF parameters, salt, check value, nonce).
pub const HEADER_LEN: usize = 4 + 12 + SALT_LEN + CHECK_LEN + NONCE_LEN;

/// Length of the header checksum of the checked layout.
pub const HEADER_SUM_LEN: usize = 32;
/// Length of the header of the checked layout (header, then its SHA-256).
pub const CHECKED_HEADER_LEN: usize = HEADER_LEN + HEADER_SUM_LEN;

/// Largest Argon2 memory cost accepted when opening a blob (1 GiB), so that a forged blob cannot
/// make the program allocate without bound.
pub const MAX_M_COST_KIB: u32 = 1024 * 1024;
/// Largest Argon2 time cost accepted when opening a blob.
pub const MAX_T_COST: u32 = 64;
/// Largest Argon2 parallelism accepted when opening a blob.
pub const MAX_P_COST: u32 = 16;

/// Why bytes could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealedError {
    /// The passphrase does not match the one the blob was sealed with.
    #[error("wrong passphrase: it does not decrypt this data")]
    WrongPassphrase,
    /// The header (tag, parameters, salt, check value, nonce) does not match its checksum: the
    /// blob was damaged, whatever the passphrase (checked layout only).
    #[error("the header of the encrypted data is damaged (its checksum does not match)")]
    DamagedHeader,
    /// The passphrase is right but the ciphertext fails authentication: the blob was altered.
    #[error("the encrypted data has been altered or damaged (authentication failed)")]
    Tampered,
    /// The blob does not have the expected layout.
    #[error("the encrypted data is malformed: {reason}")]
    Malformed { reason: String },
    /// The blob was sealed under another salt or other parameters than this derived key.
    #[error(
        "the encrypted data was sealed under another key derivation (salt or parameters differ)"
    )]
    OtherDerivation,
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

    /// The passphrase bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether the passphrase is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// The key-derivation part of a blob's header: what [`SealingKey::derive`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derivation {
    pub params: KdfParams,
    pub salt: [u8; SALT_LEN],
}

/// Reads the format tag and key derivation of a blob, checking its layout and refusing absurd
/// costs before any work.
pub fn derivation_of(tag: [u8; 4], blob: &[u8]) -> Result<Derivation, SealedError> {
    if blob.len() < HEADER_LEN + TAG_LEN {
        return Err(SealedError::Malformed {
            reason: format!(
                "{} bytes, at least {} expected",
                blob.len(),
                HEADER_LEN + TAG_LEN
            ),
        });
    }
    if blob[..4] != tag {
        return Err(SealedError::Malformed {
            reason: format!(
                "unknown format tag (expected {})",
                String::from_utf8_lossy(&tag)
            ),
        });
    }
    let be = |at: usize| u32::from_be_bytes([blob[at], blob[at + 1], blob[at + 2], blob[at + 3]]);
    let params = KdfParams {
        m_cost: be(4),
        t_cost: be(8),
        p_cost: be(12),
    };
    if params.m_cost > MAX_M_COST_KIB || params.t_cost > MAX_T_COST || params.p_cost > MAX_P_COST {
        return Err(SealedError::Params {
            m_cost: params.m_cost,
            t_cost: params.t_cost,
            p_cost: params.p_cost,
            reason: "above the accepted maximum".into(),
        });
    }
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&blob[16..16 + SALT_LEN]);
    Ok(Derivation { params, salt })
}

/// A key derived from a passphrase, ready to seal and open many blobs of one format.
pub struct SealingKey {
    tag: [u8; 4],
    derivation: Derivation,
    key: Zeroizing<[u8; KEY_LEN]>,
    check: [u8; CHECK_LEN],
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("tag", &String::from_utf8_lossy(&self.tag))
            .field("derivation", &self.derivation)
            .finish_non_exhaustive()
    }
}

impl SealingKey {
    /// Derives the key for blobs tagged `tag` (Argon2id: slow on purpose).
    pub fn derive(
        tag: [u8; 4],
        passphrase: &Passphrase,
        derivation: Derivation,
    ) -> Result<Self, SealedError> {
        if passphrase.is_empty() {
            return Err(SealedError::EmptyPassphrase);
        }
        let params = derivation.params;
        let bad = |reason: String| SealedError::Params {
            m_cost: params.m_cost,
            t_cost: params.t_cost,
            p_cost: params.p_cost,
            reason,
        };
        let argon_params = Params::new(
            params.m_cost,
            params.t_cost,
            params.p_cost,
            Some(KEY_LEN + CHECK_LEN),
        )
        .map_err(|e| bad(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut out = Zeroizing::new([0u8; KEY_LEN + CHECK_LEN]);
        argon
            .hash_password_into(passphrase.bytes(), &derivation.salt, out.as_mut())
            .map_err(|e| bad(e.to_string()))?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&out[..KEY_LEN]);
        let mut check = [0u8; CHECK_LEN];
        check.copy_from_slice(&out[KEY_LEN..]);
        Ok(Self {
            tag,
            derivation,
            key,
            check,
        })
    }

    /// Derives the key a blob was sealed under (its header says how), failing with
    /// [`SealedError::WrongPassphrase`] when the passphrase is not the one it was sealed with.
    pub fn for_blob(
        tag: [u8; 4],
        passphrase: &Passphrase,
        blob: &[u8],
    ) -> Result<Self, SealedError> {
        let derivation = derivation_of(tag, blob)?;
        let key = Self::derive(tag, passphrase, derivation)?;
        key.check_matches(blob)?;
        Ok(key)
    }

    /// Derives the key a blob of the checked layout was sealed under: its header checksum is
    /// verified first ([`SealedError::DamagedHeader`]), then the passphrase
    /// ([`SealedError::WrongPassphrase`]).
    pub fn for_checked_blob(
        tag: [u8; 4],
        passphrase: &Passphrase,
        blob: &[u8],
    ) -> Result<Self, SealedError> {
        verify_header_sum(tag, blob)?;
        Self::for_blob(tag, passphrase, blob)
    }

    /// The same derived key, for blobs tagged `tag` (to rewrite blobs in a new format version
    /// without deriving again).
    pub fn with_tag(&self, tag: [u8; 4]) -> Self {
        Self {
            tag,
            derivation: self.derivation,
            key: self.key.clone(),
            check: self.check,
        }
    }

    /// How this key was derived (parameters and salt).
    pub fn derivation(&self) -> Derivation {
        self.derivation
    }

    /// Seals `plaintext` under a fresh random `nonce` (never reuse one with the same key).
    pub fn seal(&self, nonce: [u8; NONCE_LEN], plaintext: &[u8]) -> Result<Vec<u8>, SealedError> {
        let params = self.derivation.params;
        let mut blob = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        blob.extend_from_slice(&self.tag);
        blob.extend_from_slice(&params.m_cost.to_be_bytes());
        blob.extend_from_slice(&params.t_cost.to_be_bytes());
        blob.extend_from_slice(&params.p_cost.to_be_bytes());
        blob.extend_from_slice(&self.derivation.salt);
        blob.extend_from_slice(&self.check);
        blob.extend_from_slice(&nonce);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(self.key.as_slice()));
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &blob,
                },
            )
            .map_err(|_| SealedError::Malformed {
                reason: "the plaintext is too long to encrypt".into(),
            })?;
        blob.extend_from_slice(&ciphertext);
        Ok(blob)
    }

    /// Opens a blob sealed under this key.
    pub fn open(&self, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealedError> {
        if derivation_of(self.tag, blob)? != self.derivation {
            return Err(SealedError::OtherDerivation);
        }
        self.check_matches(blob)?;
        let nonce = &blob[HEADER_LEN - NONCE_LEN..HEADER_LEN];
        let cipher = XChaCha20Poly1305::new(Key::from_slice(self.key.as_slice()));
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: &blob[HEADER_LEN..],
                    aad: &blob[..HEADER_LEN],
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealedError::Tampered)
    }

    /// Seals `plaintext` in the checked layout, binding it to `aad` (which [`SealingKey::open_checked`]
    /// must be given again).
    pub fn seal_checked(
        &self,
        nonce: [u8; NONCE_LEN],
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, SealedError> {
        let params = self.derivation.params;
        let mut blob = Vec::with_capacity(CHECKED_HEADER_LEN + plaintext.len() + TAG_LEN);
        blob.extend_from_slice(&self.tag);
        blob.extend_from_slice(&params.m_cost.to_be_bytes());
        blob.extend_from_slice(&params.t_cost.to_be_bytes());
        blob.extend_from_slice(&params.p_cost.to_be_bytes());
        blob.extend_from_slice(&self.derivation.salt);
        blob.extend_from_slice(&self.check);
        blob.extend_from_slice(&nonce);
        let sum = Sha256::digest(&blob);
        blob.extend_from_slice(&sum);
        let mut associated = Vec::with_capacity(CHECKED_HEADER_LEN + aad.len());
        associated.extend_from_slice(&blob);
        associated.extend_from_slice(aad);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(self.key.as_slice()));
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &associated,
                },
            )
            .map_err(|_| SealedError::Malformed {
                reason: "the plaintext is too long to encrypt".into(),
            })?;
        blob.extend_from_slice(&ciphertext);
        Ok(blob)
    }

    /// Opens a blob of the checked layout sealed under this key and bound to `aad`.
    pub fn open_checked(&self, blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealedError> {
        verify_header_sum(self.tag, blob)?;
        if derivation_of(self.tag, blob)? != self.derivation {
            return Err(SealedError::OtherDerivation);
        }
        self.check_matches(blob)?;
        let nonce = &blob[HEADER_LEN - NONCE_LEN..HEADER_LEN];
        let mut associated = Vec::with_capacity(CHECKED_HEADER_LEN + aad.len());
        associated.extend_from_slice(&blob[..CHECKED_HEADER_LEN]);
        associated.extend_from_slice(aad);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(self.key.as_slice()));
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: &blob[CHECKED_HEADER_LEN..],
                    aad: &associated,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealedError::Tampered)
    }

    fn check_matches(&self, blob: &[u8]) -> Result<(), SealedError> {
        let stored = blob
            .get(16 + SALT_LEN..16 + SALT_LEN + CHECK_LEN)
            .ok_or_else(|| SealedError::Malformed {
                reason: "too short for a header".into(),
            })?;
        if constant_time_eq(stored, &self.check) {
            Ok(())
        } else {
            Err(SealedError::WrongPassphrase)
        }
    }
}

/// Checks the layout and header checksum of a checked-layout blob, before any key derivation.
/// A blob whose tag is not `tag` is [`SealedError::Malformed`].
pub fn verify_header_sum(tag: [u8; 4], blob: &[u8]) -> Result<(), SealedError> {
    if blob.len() < CHECKED_HEADER_LEN + TAG_LEN {
        return Err(SealedError::Malformed {
            reason: format!(
                "{} bytes, at least {} expected",
                blob.len(),
                CHECKED_HEADER_LEN + TAG_LEN
            ),
        });
    }
    let sum = Sha256::digest(&blob[..HEADER_LEN]);
    if !constant_time_eq(&sum, &blob[HEADER_LEN..CHECKED_HEADER_LEN]) {
        return Err(SealedError::DamagedHeader);
    }
    if blob[..4] != tag {
        return Err(SealedError::Malformed {
            reason: format!(
                "unknown format tag (expected {})",
                String::from_utf8_lossy(&tag)
            ),
        });
    }
    Ok(())
}

/// Derives a key and seals `plaintext` in the checked layout, bound to `aad`.
pub fn seal_checked(
    tag: [u8; 4],
    passphrase: &Passphrase,
    derivation: Derivation,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, SealedError> {
    SealingKey::derive(tag, passphrase, derivation)?.seal_checked(nonce, plaintext, aad)
}

/// Opens a blob made by [`seal_checked`] (or [`SealingKey::seal_checked`]) with the same `aad`.
pub fn open_checked(
    tag: [u8; 4],
    blob: &[u8],
    passphrase: &Passphrase,
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealedError> {
    SealingKey::for_checked_blob(tag, passphrase, blob)?.open_checked(blob, aad)
}

/// Derives a key from `passphrase` and `salt` and seals `plaintext` under `nonce`.
pub fn seal(
    tag: [u8; 4],
    passphrase: &Passphrase,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealedError> {
    SealingKey::derive(tag, passphrase, Derivation { params, salt })?.seal(nonce, plaintext)
}

/// Opens a blob made by [`seal`] (or [`SealingKey::seal`]).
pub fn open(
    tag: [u8; 4],
    blob: &[u8],
    passphrase: &Passphrase,
) -> Result<Zeroizing<Vec<u8>>, SealedError> {
    SealingKey::for_blob(tag, passphrase, blob)?.open(blob)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: [u8; 4] = *b"TEST";
    const FAST: KdfParams = KdfParams {
        m_cost: 256,
        t_cost: 1,
        p_cost: 1,
    };

    fn blob(plaintext: &[u8]) -> Vec<u8> {
        seal(
            TAG,
            &Passphrase::new("right"),
            FAST,
            [3; 16],
            [4; 24],
            plaintext,
        )
        .unwrap()
    }

    #[test]
    fn round_trip_any_length() {
        for len in [0usize, 1, 32, 1000] {
            let plaintext = vec![0xa5u8; len];
            let sealed = blob(&plaintext);
            assert_eq!(sealed.len(), HEADER_LEN + len + TAG_LEN);
            let opened = open(TAG, &sealed, &Passphrase::new("right")).unwrap();
            assert_eq!(opened.as_slice(), plaintext.as_slice());
            if len >= 32 {
                assert!(!sealed.windows(32).any(|w| w == [0xa5u8; 32]));
            }
        }
    }

    #[test]
    fn derive_once_open_many_and_refuse_other_derivations() {
        let pass = Passphrase::new("right");
        let key = SealingKey::derive(
            TAG,
            &pass,
            Derivation {
                params: FAST,
                salt: [9; 16],
            },
        )
        .unwrap();
        let a = key.seal([1; 24], b"a").unwrap();
        let b = key.seal([2; 24], b"b").unwrap();
        assert_eq!(key.open(&a).unwrap().as_slice(), b"a");
        assert_eq!(key.open(&b).unwrap().as_slice(), b"b");
        // A blob under another salt is not silently accepted by this key.
        assert_eq!(
            key.open(&blob(b"x")).unwrap_err(),
            SealedError::OtherDerivation
        );
        // But it opens with the passphrase.
        assert_eq!(open(TAG, &a, &pass).unwrap().as_slice(), b"a");
    }

    #[test]
    fn wrong_passphrase_tampering_and_malformed_blobs() {
        let sealed = blob(b"payload");
        let right = Passphrase::new("right");
        assert_eq!(
            open(TAG, &sealed, &Passphrase::new("wrong")).unwrap_err(),
            SealedError::WrongPassphrase
        );
        for at in [HEADER_LEN - 1, HEADER_LEN, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            assert_eq!(
                open(TAG, &bad, &right).unwrap_err(),
                SealedError::Tampered,
                "byte {at}"
            );
        }
        // The salt or the check value: the derived check no longer matches.
        let mut bad = sealed.clone();
        bad[20] ^= 1;
        assert_eq!(
            open(TAG, &bad, &right).unwrap_err(),
            SealedError::WrongPassphrase
        );
        assert!(matches!(
            open(*b"ELSE", &sealed, &right),
            Err(SealedError::Malformed { .. })
        ));
        assert!(matches!(
            open(TAG, &sealed[..HEADER_LEN], &right),
            Err(SealedError::Malformed { .. })
        ));
        let mut bad = sealed.clone();
        bad[4] = 0xff;
        assert!(matches!(
            open(TAG, &bad, &right),
            Err(SealedError::Params { .. })
        ));
    }

    #[test]
    fn checked_layout_tells_a_damaged_header_from_a_wrong_passphrase() {
        let right = Passphrase::new("right");
        let derivation = Derivation {
            params: FAST,
            salt: [3; 16],
        };
        let sealed = seal_checked(TAG, &right, derivation, [4; 24], b"payload", b"slot-a").unwrap();
        assert_eq!(sealed.len(), CHECKED_HEADER_LEN + 7 + TAG_LEN);
        assert_eq!(
            open_checked(TAG, &sealed, &right, b"slot-a")
                .unwrap()
                .as_slice(),
            b"payload"
        );
        assert_eq!(
            open_checked(TAG, &sealed, &Passphrase::new("wrong"), b"slot-a").unwrap_err(),
            SealedError::WrongPassphrase
        );
        // Bound to its slot.
        assert_eq!(
            open_checked(TAG, &sealed, &right, b"slot-b").unwrap_err(),
            SealedError::Tampered
        );
        // Every byte of the header and of its checksum: damaged, never "wrong passphrase",
        // whichever passphrase is tried.
        for at in 0..CHECKED_HEADER_LEN {
            for flip in [0x01u8, 0x80] {
                let mut bad = sealed.clone();
                bad[at] ^= flip;
                for pass in [&right, &Passphrase::new("wrong")] {
                    assert_eq!(
                        open_checked(TAG, &bad, pass, b"slot-a").unwrap_err(),
                        SealedError::DamagedHeader,
                        "byte {at} flipped by {flip:#x}"
                    );
                }
            }
        }
        for at in [CHECKED_HEADER_LEN, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            assert_eq!(
                open_checked(TAG, &bad, &right, b"slot-a").unwrap_err(),
                SealedError::Tampered
            );
        }
        assert!(matches!(
            open_checked(TAG, &sealed[..CHECKED_HEADER_LEN], &right, b"slot-a"),
            Err(SealedError::Malformed { .. })
        ));
        // A key re-tagged for the new layout opens what it seals.
        let key = SealingKey::derive(*b"OLD1", &right, derivation).unwrap();
        let new = key.with_tag(TAG).seal_checked([5; 24], b"x", b"").unwrap();
        assert_eq!(
            open_checked(TAG, &new, &right, b"").unwrap().as_slice(),
            b"x"
        );
    }

    #[test]
    fn empty_passphrase_refused_and_debug_redacted() {
        assert_eq!(
            seal(TAG, &Passphrase::new(""), FAST, [0; 16], [0; 24], b"x").unwrap_err(),
            SealedError::EmptyPassphrase
        );
        assert_eq!(
            format!("{:?}", Passphrase::new("hunter2")),
            "Passphrase(<redacted>)"
        );
    }
}
