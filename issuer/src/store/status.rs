//! Status lists: index allocation and status bits.
//!
//! ## How indices are allocated
//! Every index ever handed out is a row of `status_entries`, whose primary key is
//! `(list_id, idx)`; rows are never deleted, so an index is never reused. To allocate, the store
//! takes the one *open* list of the purpose (a partial unique index allows at most one open list
//! per purpose, so racing instances that both try to open a new one end up sharing it), draws a
//! uniformly random candidate below the list size and inserts it with `ON CONFLICT DO NOTHING`:
//! one row inserted means the index is ours; none means another allocation holds it, so draw
//! again. Each attempt is a single autocommit statement, so the scheme needs no transaction and
//! no lock held across round trips, and it is correct for any number of tasks and of issuer
//! processes sharing one PostgreSQL (the database's primary key is the only arbiter).
//!
//! Random probing slows as a list fills, so after [`RANDOM_TRIES`] misses the store reads the
//! list's taken indices and draws among the free ones; when none is left it marks the list full,
//! and the next round opens a new one.
//!
//! The bit a verifier reads lives in `status_entries.status`, changed together with the
//! credential's status columns in one transaction; [`Store::status_list_bits`] builds the
//! published bitstring from those rows.
//!
//! ## Revisions
//! Each list carries a change counter, `status_lists.revision`, bumped in the same transaction
//! as every write of a bit (the only such write is in `set_status`). A reader that reads the
//! revision *before* the bits gets bits at least as new as that revision, so a signed list
//! cached under revision `r` is current for as long as [`Store::status_list_revision`] still
//! answers `r` — one indexed row instead of every set entry (see `crate::status_cache`).

use chrono::{DateTime, Utc};
use passerelle_core::status::{Bitstring, StatusIndex, StatusPurpose, MIN_ENTRIES};
use rand::Rng;

use super::{new_urn, now, CredentialId, StatusListId, Store, StoreError};

/// Random candidates tried before looking at which indices are free.
pub const RANDOM_TRIES: u32 = 16;
/// Rounds (each: pick the open list, try) before giving up; only reached if the database keeps
/// failing in ways that are not errors.
const MAX_ROUNDS: u32 = 64;

/// The purposes the issuer publishes lists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListPurpose {
    Revocation,
    Suspension,
}

impl ListPurpose {
    /// The `statusPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        match value {
            "revocation" => Ok(Self::Revocation),
            "suspension" => Ok(Self::Suspension),
            other => Err(StoreError::Corrupt {
                what: "status list purpose",
                reason: format!("{other:?} is neither revocation nor suspension"),
            }),
        }
    }
}

impl From<ListPurpose> for StatusPurpose {
    fn from(value: ListPurpose) -> Self {
        match value {
            ListPurpose::Revocation => StatusPurpose::Revocation,
            ListPurpose::Suspension => StatusPurpose::Suspension,
        }
    }
}

/// A credential's place in a status list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusSlot {
    pub list_id: StatusListId,
    pub index: StatusIndex,
}

impl StatusSlot {
    pub(crate) fn from_columns(list: String, index: i64) -> Option<Self> {
        Some(Self {
            list_id: StatusListId::from(list),
            index: StatusIndex::new(u64::try_from(index).ok()?),
        })
    }

    pub(crate) fn index_i64(&self) -> i64 {
        // Indices are below the list size, which fits in an i64 (checked where lists are made).
        i64::try_from(self.index.value()).unwrap_or(i64::MAX)
    }
}

/// A status list's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListInfo {
    pub id: StatusListId,
    pub purpose: ListPurpose,
    /// Number of entries (indices `0..size`).
    pub size: u64,
    /// Every index has been allocated; no more will be.
    pub is_full: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: String,
    purpose: String,
    size: i64,
    is_full: bool,
    created_at: DateTime<Utc>,
}

impl ListRow {
    fn into_info(self) -> Result<StatusListInfo, StoreError> {
        let size = u64::try_from(self.size)
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| StoreError::Corrupt {
                what: "status list size",
                reason: format!("{} is not positive", self.size),
            })?;
        Ok(StatusListInfo {
            id: StatusListId::from(self.id),
            purpose: ListPurpose::parse(&self.purpose)?,
            size,
            is_full: self.is_full,
            created_at: self.created_at,
        })
    }
}

const LIST_SELECT: &str = "SELECT id, purpose, size, is_full, created_at FROM status_lists";

impl Store {
    /// Allocates a random, never-used index in the open list of `purpose` (opening a new list
    /// when the current one is full). Safe under concurrency, across processes.
    pub async fn allocate_status_index(
        &self,
        purpose: ListPurpose,
    ) -> Result<StatusSlot, StoreError> {
        for _ in 0..MAX_ROUNDS {
            let list = self.open_list(purpose).await?;
            for _ in 0..RANDOM_TRIES {
                let candidate = rand::thread_rng().gen_range(0..list.size);
                if self.claim(&list.id, candidate).await? {
                    return Ok(slot(&list, candidate));
                }
            }
            // Crowded: draw among the indices still free.
            let taken: Vec<i64> = on_pool!(self, p => {
                sqlx::query_scalar("SELECT idx FROM status_entries WHERE list_id = $1")
                    .bind(list.id.as_str())
                    .fetch_all(p)
                    .await?
            });
            let size = usize::try_from(list.size).map_err(|_| StoreError::Corrupt {
                what: "status list size",
                reason: format!("{} does not fit in memory", list.size),
            })?;
            let mut used = vec![false; size];
            for index in taken {
                if let Some(u) = usize::try_from(index).ok().and_then(|i| used.get_mut(i)) {
                    *u = true;
                }
            }
            let mut free: Vec<u64> = (0..list.size).filter(|&i| !used[i as usize]).collect();
            if free.is_empty() {
                on_pool!(self, p => {
                    sqlx::query("UPDATE status_lists SET is_full = $1 WHERE id = $2")
                        .bind(true)
                        .bind(list.id.as_str())
                        .execute(p)
                        .await?;
                });
                continue;
            }
            // Others may be taking free indices meanwhile: try a few before reading again.
            for _ in 0..RANDOM_TRIES {
                if free.is_empty() {
                    break;
                }
                let candidate = free.swap_remove(rand::thread_rng().gen_range(0..free.len()));
                if self.claim(&list.id, candidate).await? {
                    return Ok(slot(&list, candidate));
                }
            }
        }
        Err(StoreError::AllocationFailed {
            purpose: purpose.as_str(),
            attempts: MAX_ROUNDS,
        })
    }

    /// Allocates `count` random, never-used indices of `purpose` at once (bulk issuance): each
    /// round draws distinct random candidates and inserts them in one multi-row
    /// `INSERT … ON CONFLICT DO NOTHING RETURNING idx`, keeping those the database accepted, so
    /// it is as safe under concurrency (tasks and processes) as [`Store::allocate_status_index`].
    /// When the open list has little room left, the rest is allocated one by one (which fills
    /// the list, marks it full and opens the next).
    pub async fn allocate_status_indices(
        &self,
        purpose: ListPurpose,
        count: usize,
    ) -> Result<Vec<StatusSlot>, StoreError> {
        const CHUNK: usize = 400;
        let mut slots = Vec::with_capacity(count);
        let mut rounds = 0;
        while slots.len() < count {
            rounds += 1;
            if rounds > MAX_ROUNDS {
                return Err(StoreError::AllocationFailed {
                    purpose: purpose.as_str(),
                    attempts: MAX_ROUNDS,
                });
            }
            let list = self.open_list(purpose).await?;
            let wanted = (count - slots.len()).min(CHUNK);
            let used = self.allocated_count(&list.id).await?;
            let free = list.size.saturating_sub(used);
            // Random probing needs headroom: with under 4x the wanted room (or a small list),
            // take the careful path.
            if free < (wanted as u64).saturating_mul(4).max(64) {
                for _ in 0..wanted {
                    slots.push(self.allocate_status_index(purpose).await?);
                }
                rounds = 0;
                continue;
            }
            let mut candidates = std::collections::BTreeSet::new();
            {
                let mut rng = rand::thread_rng();
                while candidates.len() < wanted {
                    candidates.insert(rng.gen_range(0..list.size));
                }
            }
            let mut sql = String::from("INSERT INTO status_entries (list_id, idx, status) VALUES ");
            for (i, candidate) in candidates.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                // Our own integers below the list size: no injection possible.
                sql.push_str(&format!("($1, {candidate}, 0)"));
            }
            sql.push_str(" ON CONFLICT DO NOTHING RETURNING idx");
            let won: Vec<i64> = on_pool!(self, p => {
                sqlx::query_scalar(&sql)
                    .bind(list.id.as_str())
                    .fetch_all(p)
                    .await?
            });
            for index in &won {
                let index = *index;
                let index = u64::try_from(index).map_err(|_| StoreError::Corrupt {
                    what: "status index",
                    reason: format!("{index} is negative"),
                })?;
                slots.push(slot(&list, index));
            }
            if !won.is_empty() {
                // Progress: only rounds that win nothing count towards giving up.
                rounds = 0;
            }
        }
        Ok(slots)
    }

    /// Inserts the entry; true if it was free.
    async fn claim(&self, list: &StatusListId, index: u64) -> Result<bool, StoreError> {
        let index = i64::try_from(index).map_err(|_| StoreError::Corrupt {
            what: "status index",
            reason: format!("{index} does not fit in an i64"),
        })?;
        let n = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO status_entries (list_id, idx, status) VALUES ($1, $2, 0) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(list.as_str())
            .bind(index)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The open list of `purpose`, created if there is none.
    async fn open_list(&self, purpose: ListPurpose) -> Result<StatusListInfo, StoreError> {
        let sql = format!("{LIST_SELECT} WHERE purpose = $1 AND NOT is_full");
        let size =
            i64::try_from(self.options.status_list_size).map_err(|_| StoreError::Corrupt {
                what: "configured status list size",
                reason: "does not fit in an i64".into(),
            })?;
        for _ in 0..MAX_ROUNDS {
            let row: Option<ListRow> = on_pool!(self, p => {
                sqlx::query_as(&sql).bind(purpose.as_str()).fetch_optional(p).await?
            });
            if let Some(row) = row {
                return row.into_info();
            }
            // Several creators may race; the partial unique index lets one win, the others
            // insert nothing and read the winner's list on the next turn.
            on_pool!(self, p => {
                sqlx::query(
                    "INSERT INTO status_lists (id, purpose, size, is_full, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(new_urn())
                .bind(purpose.as_str())
                .bind(size)
                .bind(false)
                .bind(now())
                .execute(p)
                .await?;
            });
        }
        Err(StoreError::AllocationFailed {
            purpose: purpose.as_str(),
            attempts: MAX_ROUNDS,
        })
    }

    /// A status list's record.
    pub async fn status_list(
        &self,
        id: &StatusListId,
    ) -> Result<Option<StatusListInfo>, StoreError> {
        let sql = format!("{LIST_SELECT} WHERE id = $1");
        let row: Option<ListRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(p).await?
        });
        row.map(ListRow::into_info).transpose()
    }

    /// Every list of `purpose`, oldest first.
    pub async fn status_lists(
        &self,
        purpose: ListPurpose,
    ) -> Result<Vec<StatusListInfo>, StoreError> {
        let sql = format!("{LIST_SELECT} WHERE purpose = $1 ORDER BY created_at, id");
        let rows: Vec<ListRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(purpose.as_str()).fetch_all(p).await?
        });
        rows.into_iter().map(ListRow::into_info).collect()
    }

    /// Number of indices allocated in a list.
    pub async fn allocated_count(&self, id: &StatusListId) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM status_entries WHERE list_id = $1")
                .bind(id.as_str())
                .fetch_one(p)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The list's change counter (`None` if there is no such list): bumped by every status
    /// change of one of its entries, in the transaction that makes it. Read it before the bits
    /// ([`Store::status_list_bits_of`]) and the bits are at least that new.
    pub async fn status_list_revision(&self, id: &StatusListId) -> Result<Option<u64>, StoreError> {
        let revision: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT revision FROM status_lists WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(p)
                .await?
        });
        revision
            .map(|r| {
                u64::try_from(r).map_err(|_| StoreError::Corrupt {
                    what: "status list revision",
                    reason: format!("{r} is negative"),
                })
            })
            .transpose()
    }

    /// The list's bitstring (one bit per entry) as verifiers must see it. Lists smaller than the
    /// spec's minimum (only possible in tests) are padded to [`MIN_ENTRIES`] entries.
    pub async fn status_list_bits(&self, id: &StatusListId) -> Result<Bitstring, StoreError> {
        let info = self
            .status_list(id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "status list",
                id: id.to_string(),
            })?;
        self.status_list_bits_of(&info).await
    }

    /// [`Store::status_list_bits`] for a list whose record the caller already holds.
    pub async fn status_list_bits_of(
        &self,
        info: &StatusListInfo,
    ) -> Result<Bitstring, StoreError> {
        let id = &info.id;
        let corrupt = |e: passerelle_core::status::StatusError| StoreError::Corrupt {
            what: "status list",
            reason: e.to_string(),
        };
        let entries = usize::try_from(info.size)
            .unwrap_or(usize::MAX)
            .max(MIN_ENTRIES);
        let mut bits = Bitstring::new(entries, 1).map_err(corrupt)?;
        let set: Vec<i64> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT idx FROM status_entries WHERE list_id = $1 AND status <> 0")
                .bind(id.as_str())
                .fetch_all(p)
                .await?
        });
        for index in set {
            let index = u64::try_from(index).map_err(|_| StoreError::Corrupt {
                what: "status index",
                reason: format!("{index} is negative"),
            })?;
            bits.set(index, 1).map_err(corrupt)?;
        }
        Ok(bits)
    }

    /// Revokes a credential for good: sets its revocation bit and records when and why.
    /// Returns false if it was already revoked.
    pub async fn revoke(
        &self,
        id: &CredentialId,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.set_status(id, ListPurpose::Revocation, true, reason)
            .await
    }

    /// Suspends (`suspended = true`) or reinstates a credential. Returns false if it already was
    /// in that state.
    pub async fn set_suspended(
        &self,
        id: &CredentialId,
        suspended: bool,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.set_status(id, ListPurpose::Suspension, suspended, reason)
            .await
    }

    async fn set_status(
        &self,
        id: &CredentialId,
        purpose: ListPurpose,
        on: bool,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        // The first statement is a write, so an SQLite transaction takes the write lock at once
        // (no deferred-lock upgrade that could fail with SQLITE_BUSY).
        // The entry's bit and its list's revision change in the same transaction, so a reader
        // never sees a new bit under an old revision for longer than its own read takes (it
        // reads the revision first; see the module documentation).
        let (update_credential, entry_columns) = match purpose {
            ListPurpose::Revocation => (
                "UPDATE credentials SET revoked_at = $1, revocation_reason = $2 \
                 WHERE id = $3 AND revocation_list_id IS NOT NULL AND revoked_at IS NULL",
                ("revocation_list_id", "revocation_index"),
            ),
            ListPurpose::Suspension => (
                "UPDATE credentials SET suspended = $1, suspension_reason = $2 \
                 WHERE id = $3 AND suspension_list_id IS NOT NULL AND suspended <> $1",
                ("suspension_list_id", "suspension_index"),
            ),
        };
        let update_entry = format!(
            "UPDATE status_entries SET status = $1 \
             WHERE list_id = (SELECT {0} FROM credentials WHERE id = $2) \
             AND idx = (SELECT {1} FROM credentials WHERE id = $2)",
            entry_columns.0, entry_columns.1
        );
        let bump_revision = format!(
            "UPDATE status_lists SET revision = revision + 1 \
             WHERE id = (SELECT {0} FROM credentials WHERE id = $1)",
            entry_columns.0
        );
        let at = now();
        let changed = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let query = sqlx::query(update_credential);
            let query = match purpose {
                ListPurpose::Revocation => query.bind(at),
                ListPurpose::Suspension => query.bind(on),
            };
            let n = query
                .bind(reason)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query(&update_entry)
                    .bind(i16::from(on))
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&bump_revision)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            n == 1
        });
        if changed {
            return Ok(true);
        }
        let current = self
            .credential(id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "credential",
                id: id.to_string(),
            })?;
        let has_entry = match purpose {
            ListPurpose::Revocation => current.revocation.is_some(),
            ListPurpose::Suspension => current.suspension.is_some(),
        };
        if !has_entry {
            return Err(StoreError::NoStatusEntry {
                credential: id.to_string(),
                purpose: purpose.as_str(),
            });
        }
        Ok(false)
    }
}

fn slot(list: &StatusListInfo, index: u64) -> StatusSlot {
    StatusSlot {
        list_id: list.id.clone(),
        index: StatusIndex::new(index),
    }
}
