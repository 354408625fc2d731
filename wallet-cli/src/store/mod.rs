//! The wallet's encrypted store on disk.
//!
//! ```text
//! <wallet>/            mode 0700
//!   wallet.lock        empty; an exclusive lock while a command writes, shared while it reads
//!   index.pwl          sealed JSON: holder key, one summary per credential, the fetch cache index,
//!                      the Open Badges API connections (client credentials, refresh tokens)
//!   items/<id>.pwl     sealed text of one credential (JSON or compact JWS), exactly as imported
//!   cache/<id>.pwl     sealed DID document, status list or schema fetched from the network
//! ```
//!
//! Every `.pwl` file is sealed with [`passerelle_core::sealed`] in its checked layout (tag `PWL2`)
//! under one key derived from the passphrase and the index's salt: the key is derived once per
//! command, and `list` reads the index only. The header's own checksum is verified before the key
//! is derived, so a damaged header is reported as damaged, never as a wrong passphrase. Each file
//! is bound to its slot through the AEAD's associated data (`index`, `items/<name>`,
//! `cache/<name>`): a file moved, swapped or replaced by another of the wallet's files fails to
//! open and is reported as damaged, naming it.
//!
//! Wallets written before (tag `PWL1`, index format 1: no header checksum, no slot binding) still
//! open; reading one checks each credential file against the digest the index holds for it, and
//! the first command that writes rewrites every file in the new form (the same way a passphrase
//! change does: new files first, then the index in one rename). Every file is written atomically (temporary file, fsync, rename, fsync of the
//! directory), mode 0600. A credential file is written before the index names it, and files the
//! index no longer names are removed after the index is replaced, so a crash at any point leaves
//! the previous index and every file it names intact (at worst an unnamed file, removed by the
//! next write).
//!
//! The API connections live in the sealed index only; backups leave them out (a restored wallet
//! connects again): an old backup's refresh token would be a rotated-out one, whose replay a
//! provider answers by revoking the whole grant (OAuth 2.0 Security BCP §4.14).

//!
//! The module is split by concern: [`index`] holds the records the sealed index serialises
//! (their serde names are the on-disk format), `files` the file-system primitives (lock, atomic
//! write, capped read), `backup` the backup blob and restore; this file the [`Wallet`] itself:
//! opening, sealing and the index's life cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use passerelle_core::sealed::{
    Derivation, KdfParams, Passphrase, SealedError, SealingKey, NONCE_LEN, SALT_LEN,
};
use zeroize::Zeroizing;

mod backup;
mod files;
pub mod index;

pub use backup::{RestoreError, BACKUP_TAG, LEGACY_BACKUP_TAG};
pub use files::write_atomic;
pub use index::{timestamp, CacheEntry, Connection, Entry, Format, Index, Verdict};

use files::{lock, make_private_dir, random, random_name, read_capped};

/// Format tag of the wallet's sealed files (checked layout, bound to their slot).
pub const TAG: [u8; 4] = *b"PWL2";
/// Format tag of wallet files written before [`TAG`] (still read, rewritten on the next write).
pub const LEGACY_TAG: [u8; 4] = *b"PWL1";
/// The index format written by this program (2: files in the `PWL2` form).
const FORMAT: u32 = 2;
const INDEX: &str = "index.pwl";
const LOCK: &str = "wallet.lock";
const ITEMS: &str = "items";
const CACHE: &str = "cache";
/// Largest sealed file the wallet reads (a credential is capped far below this).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "no wallet in {dir}: create one with `passerelle-wallet init` (or point --wallet at it)"
    )]
    NotFound { dir: PathBuf },
    #[error("a wallet already exists in {dir}; use it, or choose another directory with --wallet")]
    AlreadyExists { dir: PathBuf },
    #[error("wrong passphrase for the wallet in {dir}: nothing was changed; try again")]
    WrongPassphrase { dir: PathBuf },
    #[error("another passerelle-wallet command is using the wallet in {dir}; wait for it to finish and try again")]
    Locked { dir: PathBuf },
    #[error("the wallet file {path} is damaged ({source}); restore the wallet from a backup (`passerelle-wallet restore FILE`)")]
    Damaged { path: PathBuf, source: SealedError },
    #[error(
        "the wallet index in {path} is not readable ({reason}); restore the wallet from a backup"
    )]
    BadIndex { path: PathBuf, reason: String },
    #[error("the wallet file {path} is missing; restore the wallet from a backup (`passerelle-wallet restore FILE`)")]
    Missing { path: PathBuf },
    #[error("{path} is {what}, not a wallet file; the wallet is damaged: restore it from a backup (`passerelle-wallet restore FILE`)")]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("the wallet file {path} does not hold the credential the index names for it (its digest differs): it was replaced or swapped; restore the wallet from a backup")]
    Swapped { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("encryption failed: {0}")]
    Sealed(#[from] SealedError),
    #[error("no randomness available from the operating system: {0}")]
    Random(String),
}

/// A wallet opened with its passphrase, holding the lock until dropped.
#[derive(Debug)]
pub struct Wallet {
    dir: PathBuf,
    key: SealingKey,
    /// Opened from a `PWL1` wallet: files are read in the old form until rewritten.
    legacy: bool,
    pub index: Index,
    _lock: File,
}

/// The lock mode a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Whether `dir` holds a wallet: its index exists, as a file or as anything else (a directory in
/// its place is a damaged wallet, reported when it is opened, not "no wallet").
pub fn exists(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(INDEX)).is_ok()
}

/// [`StoreError::NotFound`] unless `dir` holds a wallet ([`exists`]): checked before a
/// passphrase is asked for.
pub fn ensure_exists(dir: &Path) -> Result<(), StoreError> {
    if exists(dir) {
        Ok(())
    } else {
        Err(StoreError::NotFound {
            dir: dir.to_owned(),
        })
    }
}

/// The stored text's identity: JSON re-serialised (whitespace does not matter), a JWS as is.
pub fn digest_of(text: &str) -> String {
    use passerelle_core::input;
    use sha2::{Digest, Sha256};
    let normal = input::parse_json(text.as_bytes(), &input::InputLimits::default())
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.trim().to_owned());
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// A key for `passphrase` under a new random salt (a new wallet, a passphrase change).
fn fresh_key(passphrase: &Passphrase, params: KdfParams) -> Result<SealingKey, StoreError> {
    Ok(SealingKey::derive(
        TAG,
        passphrase,
        Derivation {
            params,
            salt: random::<SALT_LEN>()?,
        },
    )?)
}

/// Associated data binding a file to its slot in the wallet.
fn slot(sub: &str, file: &str) -> Vec<u8> {
    format!("{sub}/{file}").into_bytes()
}

impl Wallet {
    /// Creates a wallet in `dir` (which may exist but must hold no wallet) with a fresh holder key.
    pub fn create(
        dir: &Path,
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<Self, StoreError> {
        let seed = Zeroizing::new(random::<32>()?);
        Self::create_with(dir, passphrase, params, hex::encode(seed.as_slice()))
    }

    fn create_with(
        dir: &Path,
        passphrase: &Passphrase,
        params: KdfParams,
        holder_seed: String,
    ) -> Result<Self, StoreError> {
        if exists(dir) {
            return Err(StoreError::AlreadyExists {
                dir: dir.to_owned(),
            });
        }
        make_private_dir(dir)?;
        let lock = lock(dir, Access::Write)?;
        if exists(dir) {
            return Err(StoreError::AlreadyExists {
                dir: dir.to_owned(),
            });
        }
        for sub in [ITEMS, CACHE] {
            make_private_dir(&dir.join(sub))?;
        }
        let key = fresh_key(passphrase, params)?;
        let wallet = Self {
            dir: dir.to_owned(),
            key,
            legacy: false,
            index: Index {
                format: FORMAT,
                holder_seed,
                next_number: 1,
                credentials: Vec::new(),
                cache: BTreeMap::new(),
                confirmed_emails: Vec::new(),
                connections: Vec::new(),
            },
            _lock: lock,
        };
        wallet.save_index()?;
        Ok(wallet)
    }

    /// Opens the wallet in `dir`; the passphrase is checked before anything is read or changed.
    pub fn open(dir: &Path, passphrase: &Passphrase, access: Access) -> Result<Self, StoreError> {
        ensure_exists(dir)?;
        let lock = lock(dir, access)?;
        let path = dir.join(INDEX);
        let blob = read_capped(&path)?;
        let legacy = blob.starts_with(&LEGACY_TAG);
        let derived = if legacy {
            SealingKey::for_blob(LEGACY_TAG, passphrase, &blob)
        } else {
            SealingKey::for_checked_blob(TAG, passphrase, &blob)
        };
        let key = match derived {
            Ok(key) => key,
            Err(SealedError::WrongPassphrase) => {
                return Err(StoreError::WrongPassphrase {
                    dir: dir.to_owned(),
                })
            }
            Err(source) => return Err(StoreError::Damaged { path, source }),
        };
        let plain = if legacy {
            key.open(&blob)
        } else {
            key.open_checked(&blob, INDEX.as_bytes())
        }
        .map_err(|source| StoreError::Damaged {
            path: path.clone(),
            source,
        })?;
        let index: Index = serde_json::from_slice(&plain).map_err(|e| StoreError::BadIndex {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let expected = if legacy { 1 } else { FORMAT };
        if index.format != expected {
            return Err(StoreError::BadIndex {
                path,
                reason: if index.format > FORMAT {
                    format!(
                        "format {} is newer than this program understands; upgrade passerelle-wallet",
                        index.format
                    )
                } else {
                    format!("format {} in a file of format {expected}", index.format)
                },
            });
        }
        let mut wallet = Self {
            dir: dir.to_owned(),
            key,
            legacy,
            index,
            _lock: lock,
        };
        if legacy && access == Access::Write {
            wallet.upgrade()?;
        }
        Ok(wallet)
    }

    /// Rewrites a `PWL1` wallet in the current form under the same key: every file under a new
    /// name first, then the index in one rename (until then the wallet opens as before).
    fn upgrade(&mut self) -> Result<(), StoreError> {
        let new_key = self.key.with_tag(TAG);
        self.rewrite_all(new_key)
    }

    /// Re-seals every file under `new_key` and new names, then replaces the index.
    fn rewrite_all(&mut self, new_key: SealingKey) -> Result<(), StoreError> {
        let mut index = self.index.clone();
        for entry in &mut index.credentials {
            let text = self.document(entry)?;
            let name = random_name()?;
            let blob = new_key.seal_checked(
                random::<NONCE_LEN>()?,
                text.as_bytes(),
                &slot(ITEMS, &name),
            )?;
            write_atomic(&self.item_path(ITEMS, &name), &blob)?;
            entry.file = name;
        }
        for entry in index.cache.values_mut() {
            let plain = self.open_file(CACHE, &entry.file)?;
            let name = random_name()?;
            let blob = new_key.seal_checked(random::<NONCE_LEN>()?, &plain, &slot(CACHE, &name))?;
            write_atomic(&self.item_path(CACHE, &name), &blob)?;
            entry.file = name;
        }
        index.format = FORMAT;
        self.key = new_key;
        self.legacy = false;
        self.index = index;
        self.save_index()
    }

    /// The wallet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Seals `plaintext` for the slot `aad`. Only called once a legacy wallet was upgraded
    /// (every write opens with [`Access::Write`], which upgrades).
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
        Ok(self
            .key
            .seal_checked(random::<NONCE_LEN>()?, plaintext, aad)?)
    }

    /// Opens the file `name` under `sub`, checking it belongs to that slot.
    fn open_file(&self, sub: &str, name: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let path = self.item_path(sub, name);
        let blob = read_capped(&path)?;
        if self.legacy {
            self.key.open(&blob)
        } else {
            self.key.open_checked(&blob, &slot(sub, name))
        }
        .map_err(|source| StoreError::Damaged { path, source })
    }

    /// Replaces the index on disk with `self.index`, then removes files it no longer names.
    pub fn save_index(&self) -> Result<(), StoreError> {
        let json =
            Zeroizing::new(
                serde_json::to_vec(&self.index).map_err(|e| StoreError::BadIndex {
                    path: self.dir.join(INDEX),
                    reason: e.to_string(),
                })?,
            );
        write_atomic(&self.dir.join(INDEX), &self.seal(&json, INDEX.as_bytes())?)?;
        self.remove_unnamed_files();
        Ok(())
    }

    /// Removes sealed files the index does not name (left by an interrupted command) and stray
    /// temporary files. Failures are ignored: the files are encrypted and harmless.
    fn remove_unnamed_files(&self) {
        let named: BTreeSet<&str> = self
            .index
            .credentials
            .iter()
            .map(|e| e.file.as_str())
            .chain(self.index.cache.values().map(|c| c.file.as_str()))
            .collect();
        for sub in [ITEMS, CACHE] {
            let Ok(entries) = fs::read_dir(self.dir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let stem = name.strip_suffix(".pwl").unwrap_or(&name);
                if !named.contains(stem) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().contains(".tmp-") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }

    fn item_path(&self, sub: &str, file: &str) -> PathBuf {
        self.dir.join(sub).join(format!("{file}.pwl"))
    }

    /// Writes a new sealed file under `sub` and returns its name (the index does not name it yet).
    fn write_new(&self, sub: &str, plaintext: &[u8]) -> Result<String, StoreError> {
        let name = random_name()?;
        make_private_dir(&self.dir.join(sub))?;
        write_atomic(
            &self.item_path(sub, &name),
            &self.seal(plaintext, &slot(sub, &name))?,
        )?;
        Ok(name)
    }

    /// The stored text of a credential.
    /// A file of the old form is not bound to its slot: its text is checked against the digest
    /// the (authenticated) index holds for the entry instead.
    pub fn document(&self, entry: &Entry) -> Result<String, StoreError> {
        let bytes = self.open_file(ITEMS, &entry.file)?;
        let path = self.item_path(ITEMS, &entry.file);
        let text = String::from_utf8(bytes.to_vec()).map_err(|e| StoreError::BadIndex {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if self.legacy && digest_of(&text) != entry.digest {
            return Err(StoreError::Swapped { path });
        }
        Ok(text)
    }

    /// The credential whose stored text has this digest.
    pub fn find_digest(&self, digest: &str) -> Option<&Entry> {
        self.index.credentials.iter().find(|e| e.digest == digest)
    }

    /// Stores a credential's text and adds `entry` (its number and file are assigned here).
    /// Returns the number.
    pub fn add(&mut self, mut entry: Entry, text: &str) -> Result<u64, StoreError> {
        entry.file = self.write_new(ITEMS, text.as_bytes())?;
        entry.number = self.index.next_number;
        self.index.next_number += 1;
        let number = entry.number;
        self.index.credentials.push(entry);
        self.save_index()?;
        Ok(number)
    }

    /// Stores many credentials with one index write (restores and benchmarks).
    pub fn add_many(&mut self, items: Vec<(Entry, String)>) -> Result<Vec<u64>, StoreError> {
        let mut numbers = Vec::with_capacity(items.len());
        for (mut entry, text) in items {
            entry.file = self.write_new(ITEMS, text.as_bytes())?;
            entry.number = self.index.next_number;
            self.index.next_number += 1;
            numbers.push(entry.number);
            self.index.credentials.push(entry);
        }
        self.save_index()?;
        Ok(numbers)
    }

    /// Removes a credential (its file goes once the index no longer names it).
    pub fn remove(&mut self, number: u64) -> Result<Option<Entry>, StoreError> {
        let Some(at) = self
            .index
            .credentials
            .iter()
            .position(|e| e.number == number)
        else {
            return Ok(None);
        };
        let entry = self.index.credentials.remove(at);
        self.save_index()?;
        Ok(Some(entry))
    }

    /// A cached document and when it was fetched.
    pub fn cached(&self, url: &str) -> Result<Option<(serde_json::Value, String)>, StoreError> {
        let Some(entry) = self.index.cache.get(url) else {
            return Ok(None);
        };
        let path = self.item_path(CACHE, &entry.file);
        let bytes = self.open_file(CACHE, &entry.file)?;
        let value = serde_json::from_slice(&bytes).map_err(|e| StoreError::BadIndex {
            path,
            reason: e.to_string(),
        })?;
        Ok(Some((value, entry.fetched_at.clone())))
    }

    /// Caches a fetched document (call [`Wallet::save_index`] afterwards).
    pub fn cache(
        &mut self,
        url: &str,
        kind: &str,
        document: &serde_json::Value,
        fetched_at: &str,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(document).map_err(|e| StoreError::BadIndex {
            path: self.dir.join(CACHE),
            reason: e.to_string(),
        })?;
        let file = self.write_new(CACHE, &bytes)?;
        self.index.cache.insert(
            url.to_owned(),
            CacheEntry {
                file,
                kind: kind.to_owned(),
                fetched_at: fetched_at.to_owned(),
            },
        );
        Ok(())
    }

    /// Re-encrypts every file under a new passphrase (and a new salt). Each file is rewritten under
    /// a new name, then the index is replaced in one rename: until then the old passphrase opens
    /// the wallet as before.
    pub fn change_passphrase(
        &mut self,
        new: &Passphrase,
        params: KdfParams,
    ) -> Result<(), StoreError> {
        let new_key = fresh_key(new, params)?;
        self.rewrite_all(new_key)
    }
}

#[cfg(test)]
mod tests;
