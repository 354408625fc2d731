//! Backups: the whole wallet as one sealed blob, and a new wallet created from one.

use std::path::{Path, PathBuf};

use passerelle_core::sealed::{
    self, Derivation, KdfParams, Passphrase, SealedError, NONCE_LEN, SALT_LEN,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::files::random;
use super::{Entry, StoreError, Wallet, ITEMS};

/// Format tag of a backup file (checked layout).
pub const BACKUP_TAG: [u8; 4] = *b"PWB2";
/// Format tag of backups made before [`BACKUP_TAG`] (still restored).
pub const LEGACY_BACKUP_TAG: [u8; 4] = *b"PWB1";
/// Associated data binding a backup blob.
pub(super) const BACKUP_AAD: &[u8] = b"passerelle-wallet-backup";

impl Wallet {
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
