//! The wallet's encrypted store on disk.
//!
//! ```text
//! <wallet>/            mode 0700
//!   wallet.lock        empty; an exclusive lock while a command writes, shared while it reads
//!   index.pwl          sealed JSON: holder key, one summary per credential, the fetch cache index
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

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use passerelle_core::keys::KeyPair;
use passerelle_core::sealed::{
    self, Derivation, KdfParams, Passphrase, SealedError, SealingKey, NONCE_LEN, SALT_LEN,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Format tag of the wallet's sealed files (checked layout, bound to their slot).
pub const TAG: [u8; 4] = *b"PWL2";
/// Format tag of wallet files written before [`TAG`] (still read, rewritten on the next write).
pub const LEGACY_TAG: [u8; 4] = *b"PWL1";
/// Format tag of a backup file (checked layout).
pub const BACKUP_TAG: [u8; 4] = *b"PWB2";
/// Format tag of backups made before [`BACKUP_TAG`] (still restored).
pub const LEGACY_BACKUP_TAG: [u8; 4] = *b"PWB1";
/// The index format written by this program (2: files in the `PWL2` form).
const FORMAT: u32 = 2;
/// Associated data binding a backup blob.
const BACKUP_AAD: &[u8] = b"passerelle-wallet-backup";
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

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

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
    /// `json` (embedded proof) or `jws` (compact JWS).
    pub format: String,
    /// The credential's `id`, if any.
    pub credential_id: Option<String>,
    pub achievement: Option<String>,
    pub issuer_name: Option<String>,
    pub issuer_id: Option<String>,
    /// `validFrom` / `issuanceDate`.
    pub issued: Option<String>,
    pub expires: Option<String>,
    /// The last verdict (`verified`, `not_verified`, `incomplete`).
    pub verdict: String,
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
    holder_seed: String,
    pub next_number: u64,
    pub credentials: Vec<Entry>,
    /// Fetched documents by URL.
    pub cache: BTreeMap<String, CacheEntry>,
    /// Email addresses the learner confirmed as theirs (`confirm-email`), checked locally
    /// against a credential's hashed identifier. Absent from older wallets (then empty).
    #[serde(default)]
    pub confirmed_emails: Vec<String>,
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

fn random<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(bytes)
}

fn random_name() -> Result<String, StoreError> {
    Ok(hex::encode(random::<16>()?))
}

fn lock(dir: &Path, access: Access) -> Result<File, StoreError> {
    let path = dir.join(LOCK);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(io_error(&path))?;
    let taken = match access {
        Access::Read => file.try_lock_shared(),
        Access::Write => file.try_lock(),
    };
    match taken {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            dir: dir.to_owned(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(StoreError::Io { path, source: e }),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename,
/// fsync of the directory. Mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.tmp-{}", random_name()?));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(io_error(&temp))?;
        file.write_all(bytes).map_err(io_error(&temp))?;
        file.sync_all().map_err(io_error(&temp))?;
        fs::rename(&temp, path).map_err(io_error(path))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

/// What a non-file is, for messages.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>, StoreError> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            })
        }
        Err(e) => {
            return Err(StoreError::Io {
                path: path.to_owned(),
                source: e,
            })
        }
    };
    if !meta.is_file() {
        return Err(StoreError::NotAFile {
            path: path.to_owned(),
            what: kind_of(&meta),
        });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(StoreError::BadIndex {
            path: path.to_owned(),
            reason: format!("{} bytes, more than a wallet file may hold", meta.len()),
        });
    }
    fs::read(path).map_err(io_error(path))
}

fn make_private_dir(dir: &Path) -> Result<(), StoreError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_error(dir))
}

/// Whether `dir` holds a wallet: its index exists, as a file or as anything else (a directory in
/// its place is a damaged wallet, reported when it is opened, not "no wallet").
pub fn exists(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(INDEX)).is_ok()
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
        let key = SealingKey::derive(
            TAG,
            passphrase,
            Derivation {
                params,
                salt: random::<SALT_LEN>()?,
            },
        )?;
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
            },
            _lock: lock,
        };
        wallet.save_index()?;
        Ok(wallet)
    }

    /// Opens the wallet in `dir`; the passphrase is checked before anything is read or changed.
    pub fn open(dir: &Path, passphrase: &Passphrase, access: Access) -> Result<Self, StoreError> {
        if !exists(dir) {
            return Err(StoreError::NotFound {
                dir: dir.to_owned(),
            });
        }
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
        let new_key = SealingKey::derive(
            TAG,
            new,
            Derivation {
                params,
                salt: random::<SALT_LEN>()?,
            },
        )?;
        self.rewrite_all(new_key)
    }

    /// Everything in the wallet, as one sealed backup blob (under `passphrase`, fresh salt).
    pub fn backup(
        &self,
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<Vec<u8>, StoreError> {
        let mut credentials = Vec::new();
        for entry in &self.index.credentials {
            credentials.push(BackupCredential {
                entry: entry.clone(),
                document: self.document(entry)?,
            });
        }
        let mut cache = Vec::new();
        for (url, entry) in &self.index.cache {
            if let Some((document, fetched_at)) = self.cached(url)? {
                cache.push(BackupCache {
                    url: url.clone(),
                    kind: entry.kind.clone(),
                    fetched_at,
                    document,
                });
            }
        }
        let backup = Backup {
            format: "passerelle-wallet-backup".into(),
            version: 1,
            holder_seed: self.index.holder_seed.clone(),
            next_number: self.index.next_number,
            credentials,
            cache,
            confirmed_emails: self.index.confirmed_emails.clone(),
        };
        let json =
            Zeroizing::new(
                serde_json::to_vec(&backup).map_err(|e| StoreError::BadIndex {
                    path: PathBuf::from("backup"),
                    reason: e.to_string(),
                })?,
            );
        Ok(sealed::seal_checked(
            BACKUP_TAG,
            passphrase,
            Derivation {
                params,
                salt: random::<SALT_LEN>()?,
            },
            random::<NONCE_LEN>()?,
            &json,
            BACKUP_AAD,
        )?)
    }

    /// Creates a wallet in `dir` from a backup blob, sealed under the same passphrase.
    pub fn restore(
        dir: &Path,
        blob: &[u8],
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<(Self, usize), RestoreError> {
        let opened = if blob.starts_with(&LEGACY_BACKUP_TAG) {
            sealed::open(LEGACY_BACKUP_TAG, blob, passphrase)
        } else {
            sealed::open_checked(BACKUP_TAG, blob, passphrase, BACKUP_AAD)
        };
        let plain = opened.map_err(|e| match e {
            SealedError::WrongPassphrase => RestoreError::WrongPassphrase,
            other => RestoreError::Damaged(other),
        })?;
        let backup: Backup =
            serde_json::from_slice(&plain).map_err(|e| RestoreError::Format(e.to_string()))?;
        if backup.format != "passerelle-wallet-backup" || backup.version != 1 {
            return Err(RestoreError::Format(format!(
                "{} version {} is not a backup this program reads",
                backup.format, backup.version
            )));
        }
        let mut wallet = Self::create_with(dir, passphrase, params, backup.holder_seed)?;
        let count = backup.credentials.len();
        for item in backup.credentials {
            let mut entry = item.entry;
            entry.file = wallet.write_new(ITEMS, item.document.as_bytes())?;
            wallet.index.credentials.push(entry);
        }
        for item in backup.cache {
            wallet.cache(&item.url, &item.kind, &item.document, &item.fetched_at)?;
        }
        wallet.index.next_number = backup.next_number;
        wallet.index.confirmed_emails = backup.confirmed_emails;
        wallet.save_index()?;
        Ok((wallet, count))
    }
}

/// Why a backup could not be restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    #[error("wrong passphrase for the backup: nothing was restored; try again")]
    WrongPassphrase,
    #[error("the backup is damaged ({0}); nothing was restored")]
    Damaged(SealedError),
    #[error("the backup's content is not readable: {0}")]
    Format(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Serialize, Deserialize)]
struct Backup {
    format: String,
    version: u32,
    holder_seed: String,
    next_number: u64,
    credentials: Vec<BackupCredential>,
    cache: Vec<BackupCache>,
    /// Absent from backups made before `confirm-email` existed.
    #[serde(default)]
    confirmed_emails: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct BackupCredential {
    entry: Entry,
    document: String,
}

#[derive(Serialize, Deserialize)]
struct BackupCache {
    url: String,
    kind: String,
    fetched_at: String,
    document: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams {
        m_cost: 256,
        t_cost: 1,
        p_cost: 1,
    };

    fn entry() -> Entry {
        Entry {
            number: 0,
            file: String::new(),
            digest: "d".into(),
            format: "json".into(),
            credential_id: None,
            achievement: Some("A".into()),
            issuer_name: None,
            issuer_id: None,
            issued: None,
            expires: None,
            verdict: "verified".into(),
            verified_at: "2026-01-01T00:00:00Z".into(),
            forced: false,
            unchecked: false,
            link: None,
            source: "test".into(),
            imported_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn an_index_written_before_the_unchecked_flag_and_confirmed_emails_still_reads() {
        let old = serde_json::json!({
            "format": 1,
            "holder_seed": "00".repeat(32),
            "next_number": 2,
            "credentials": [{
                "number": 1, "file": "f", "digest": "d", "format": "json",
                "credential_id": null, "achievement": "A", "issuer_name": null,
                "issuer_id": null, "issued": null, "expires": null, "verdict": "incomplete",
                "verified_at": "2026-01-01T00:00:00Z", "forced": false, "link": null,
                "source": "test", "imported_at": "2026-01-01T00:00:00Z"
            }],
            "cache": {}
        });
        let index: Index = serde_json::from_value(old).unwrap();
        assert!(!index.credentials[0].unchecked);
        assert!(index.confirmed_emails.is_empty());
        let mut marked = index.credentials[0].clone();
        marked.unchecked = true;
        let back: Entry = serde_json::from_value(serde_json::to_value(&marked).unwrap()).unwrap();
        assert!(back.unchecked, "the flag survives a write and a read");
    }

    #[test]
    fn create_add_reopen_and_wrong_passphrase() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let pass = Passphrase::new("a good passphrase");
        let mut wallet = Wallet::create(&dir, &pass, FAST).unwrap();
        let n = wallet.add(entry(), "{\"secret\":\"text\"}").unwrap();
        assert_eq!(n, 1);
        drop(wallet);
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        for file in fs::read_dir(dir.join(ITEMS)).unwrap() {
            let path = file.unwrap().path();
            let bytes = fs::read(&path).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains("secret"));
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(matches!(
            Wallet::open(&dir, &Passphrase::new("wrong"), Access::Read),
            Err(StoreError::WrongPassphrase { .. })
        ));
        let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
        let e = wallet.index.entry(1).unwrap();
        assert_eq!(wallet.document(e).unwrap(), "{\"secret\":\"text\"}");
        // A reader excludes a writer.
        assert!(matches!(
            Wallet::open(&dir, &pass, Access::Write),
            Err(StoreError::Locked { .. })
        ));
    }

    #[test]
    fn passphrase_change_and_backup_restore() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let old = Passphrase::new("old passphrase");
        let new = Passphrase::new("new passphrase");
        let mut wallet = Wallet::create(&dir, &old, FAST).unwrap();
        wallet.add(entry(), "one").unwrap();
        wallet
            .cache(
                "https://x.example/list",
                "status",
                &serde_json::json!({"a": 1}),
                "t",
            )
            .unwrap();
        wallet.change_passphrase(&new, FAST).unwrap();
        drop(wallet);
        assert!(Wallet::open(&dir, &old, Access::Read).is_err());
        let wallet = Wallet::open(&dir, &new, Access::Read).unwrap();
        assert_eq!(fs::read_dir(dir.join(ITEMS)).unwrap().count(), 1);
        let blob = wallet.backup(&new, FAST).unwrap();
        let (restored, count) = Wallet::restore(&tmp.path().join("r"), &blob, &new, FAST).unwrap();
        assert_eq!(count, 1);
        assert_eq!(
            restored.index.credentials,
            wallet
                .index
                .credentials
                .iter()
                .map(|e| Entry {
                    file: restored.index.credentials[0].file.clone(),
                    ..e.clone()
                })
                .collect::<Vec<_>>()
        );
        assert_eq!(
            restored.document(&restored.index.credentials[0]).unwrap(),
            "one"
        );
        assert!(restored.cached("https://x.example/list").unwrap().is_some());
        assert!(matches!(
            Wallet::restore(&tmp.path().join("s"), &blob, &old, FAST),
            Err(RestoreError::WrongPassphrase)
        ));
    }

    fn item_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(dir.join(ITEMS))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    /// Issue 11 point 9: any damaged byte of the index's header (tag, KDF parameters, salt,
    /// check value, nonce, checksum) is "damaged", whatever the passphrase, never "wrong passphrase".
    #[test]
    fn a_damaged_index_header_is_damaged_not_a_wrong_passphrase() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let pass = Passphrase::new("a good passphrase");
        drop(Wallet::create(&dir, &pass, FAST).unwrap());
        let index = dir.join(INDEX);
        let good = fs::read(&index).unwrap();
        assert_eq!(&good[..4], b"PWL2");
        for at in 0..sealed::CHECKED_HEADER_LEN {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            fs::write(&index, &bad).unwrap();
            for p in [&pass, &Passphrase::new("another one")] {
                match Wallet::open(&dir, p, Access::Read) {
                    Err(StoreError::Damaged { path, .. }) => assert_eq!(path, index),
                    other => panic!("byte {at}: {other:?}"),
                }
            }
        }
        fs::write(&index, &good).unwrap();
        assert!(matches!(
            Wallet::open(&dir, &Passphrase::new("another one"), Access::Read),
            Err(StoreError::WrongPassphrase { .. })
        ));
        Wallet::open(&dir, &pass, Access::Read).unwrap();
    }

    /// Issue 11 point 9: two item files swapped do not show one credential under the other's
    /// number: each file is bound to its slot.
    #[test]
    fn swapped_item_files_are_damaged_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let pass = Passphrase::new("a good passphrase");
        let mut wallet = Wallet::create(&dir, &pass, FAST).unwrap();
        wallet.add(entry(), "first").unwrap();
        wallet.add(entry(), "second").unwrap();
        drop(wallet);
        let files = item_files(&dir);
        let (a, b) = (fs::read(&files[0]).unwrap(), fs::read(&files[1]).unwrap());
        fs::write(&files[0], &b).unwrap();
        fs::write(&files[1], &a).unwrap();
        let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
        for number in [1, 2] {
            let e = wallet.index.entry(number).unwrap();
            match wallet.document(e) {
                Err(StoreError::Damaged { path, source }) => {
                    assert_eq!(path, wallet.item_path(ITEMS, &e.file));
                    assert_eq!(source, SealedError::Tampered);
                }
                other => panic!("#{number}: {other:?}"),
            }
        }
    }

    /// Issue 11 point 9: an index that is a directory is a damaged wallet, not "no wallet"; a
    /// missing, empty or truncated file is damaged too, naming it.
    #[test]
    fn an_index_that_is_not_a_file_or_is_empty_or_truncated_is_damaged() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let pass = Passphrase::new("a good passphrase");
        let mut wallet = Wallet::create(&dir, &pass, FAST).unwrap();
        wallet.add(entry(), "first").unwrap();
        drop(wallet);
        let index = dir.join(INDEX);
        let good = fs::read(&index).unwrap();
        for bytes in [&b""[..], &good[..good.len() / 2], &good[..good.len() - 1]] {
            fs::write(&index, bytes).unwrap();
            assert!(matches!(
                Wallet::open(&dir, &pass, Access::Read),
                Err(StoreError::Damaged { .. })
            ));
        }
        fs::remove_file(&index).unwrap();
        fs::create_dir(&index).unwrap();
        assert!(exists(&dir));
        match Wallet::open(&dir, &pass, Access::Read) {
            Err(e @ StoreError::NotAFile { .. }) => {
                let text = e.to_string();
                assert!(text.contains("index.pwl is a directory"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        fs::remove_dir(&index).unwrap();
        fs::write(&index, &good).unwrap();
        let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
        let e = wallet.index.entry(1).unwrap().clone();
        let item = wallet.item_path(ITEMS, &e.file);
        fs::remove_file(&item).unwrap();
        assert!(matches!(wallet.document(&e), Err(StoreError::Missing { path }) if path == item));
        fs::create_dir(&item).unwrap();
        assert!(
            matches!(wallet.document(&e), Err(StoreError::NotAFile { path, .. }) if path == item)
        );
    }

    /// A wallet written before the checked layout (`PWL1`, index format 1), made here with the
    /// core's old-layout API exactly as the previous version of this module wrote it.
    fn legacy_wallet(dir: &Path, pass: &Passphrase, texts: &[&str]) {
        make_private_dir(dir).unwrap();
        make_private_dir(&dir.join(ITEMS)).unwrap();
        make_private_dir(&dir.join(CACHE)).unwrap();
        let key = SealingKey::derive(
            LEGACY_TAG,
            pass,
            Derivation {
                params: FAST,
                salt: [7; SALT_LEN],
            },
        )
        .unwrap();
        let mut credentials = Vec::new();
        for (n, text) in texts.iter().enumerate() {
            let file = format!("{:032x}", n + 1);
            let blob = key.seal([n as u8; NONCE_LEN], text.as_bytes()).unwrap();
            fs::write(dir.join(ITEMS).join(format!("{file}.pwl")), blob).unwrap();
            credentials.push(Entry {
                number: n as u64 + 1,
                file,
                digest: digest_of(text),
                ..entry()
            });
        }
        let cache_blob = key.seal([200; NONCE_LEN], b"{\"a\":1}").unwrap();
        fs::write(dir.join(CACHE).join("c.pwl"), cache_blob).unwrap();
        let index = Index {
            format: 1,
            holder_seed: "11".repeat(32),
            next_number: texts.len() as u64 + 1,
            credentials,
            cache: BTreeMap::from([(
                "https://x.example/list".to_owned(),
                CacheEntry {
                    file: "c".into(),
                    kind: "status".into(),
                    fetched_at: "t".into(),
                },
            )]),
            confirmed_emails: Vec::new(),
        };
        let json = serde_json::to_vec(&index).unwrap();
        fs::write(dir.join(INDEX), key.seal([99; NONCE_LEN], &json).unwrap()).unwrap();
    }

    /// Wallets written before the checked layout still open; a swap of their (unbound) item files
    /// is caught by the index's digest; the first write rewrites every file in the new form.
    #[test]
    fn a_legacy_wallet_opens_catches_swaps_and_is_rewritten_on_the_first_write() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let pass = Passphrase::new("a good passphrase");
        legacy_wallet(&dir, &pass, &["{\"n\": 1}", "{\"n\": 2}"]);
        assert!(matches!(
            Wallet::open(&dir, &Passphrase::new("wrong"), Access::Read),
            Err(StoreError::WrongPassphrase { .. })
        ));
        let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
        assert_eq!(wallet.index.format, 1);
        let e = wallet.index.entry(2).unwrap();
        assert_eq!(wallet.document(e).unwrap(), "{\"n\": 2}");
        assert!(wallet.cached("https://x.example/list").unwrap().is_some());
        drop(wallet);

        let files = item_files(&dir);
        let (a, b) = (fs::read(&files[0]).unwrap(), fs::read(&files[1]).unwrap());
        fs::write(&files[0], &b).unwrap();
        fs::write(&files[1], &a).unwrap();
        let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
        let e = wallet.index.entry(1).unwrap();
        assert!(
            matches!(wallet.document(e), Err(StoreError::Swapped { path }) if path == files[0])
        );
        drop(wallet);
        // Swapped back, then opened for writing: upgraded, still the same content.
        fs::write(&files[0], &a).unwrap();
        fs::write(&files[1], &b).unwrap();
        drop(Wallet::open(&dir, &pass, Access::Write).unwrap());
        assert_eq!(&fs::read(dir.join(INDEX)).unwrap()[..4], b"PWL2");
        for file in item_files(&dir) {
            assert_eq!(&fs::read(&file).unwrap()[..4], b"PWL2");
            assert!(!files.contains(&file), "rewritten under a new name");
        }
        let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
        assert_eq!(wallet.index.format, FORMAT);
        assert_eq!(
            wallet.document(wallet.index.entry(1).unwrap()).unwrap(),
            "{\"n\": 1}"
        );
        assert_eq!(
            wallet.cached("https://x.example/list").unwrap().unwrap().0,
            serde_json::json!({"a": 1})
        );
        assert_eq!(wallet.index.holder_seed, "11".repeat(32));
    }

    /// Backups: a damaged header byte is "damaged", not "wrong passphrase"; old backups restore.
    #[test]
    fn a_damaged_backup_header_is_damaged_and_old_backups_still_restore() {
        let tmp = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("a good passphrase");
        let mut wallet = Wallet::create(&tmp.path().join("w"), &pass, FAST).unwrap();
        wallet.add(entry(), "one").unwrap();
        let blob = wallet.backup(&pass, FAST).unwrap();
        assert_eq!(&blob[..4], b"PWB2");
        for at in 0..sealed::CHECKED_HEADER_LEN {
            let mut bad = blob.clone();
            bad[at] ^= 0x01;
            let target = tmp.path().join(format!("r{at}"));
            match Wallet::restore(&target, &bad, &pass, FAST) {
                Err(RestoreError::Damaged(_)) => {}
                other => panic!("byte {at}: {other:?}"),
            }
            assert!(!exists(&target));
        }
        // A backup in the old layout, as the previous version wrote it.
        let plain = sealed::open_checked(BACKUP_TAG, &blob, &pass, BACKUP_AAD).unwrap();
        let old = sealed::seal(LEGACY_BACKUP_TAG, &pass, FAST, [5; 16], [6; 24], &plain).unwrap();
        let (restored, count) =
            Wallet::restore(&tmp.path().join("old"), &old, &pass, FAST).unwrap();
        assert_eq!(count, 1);
        assert_eq!(
            restored.document(&restored.index.credentials[0]).unwrap(),
            "one"
        );
    }
}
