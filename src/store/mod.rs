//! The persistent store: one SQLite database (`gcsync.db`, WAL, `synchronous=FULL`) in the data
//! directory. One row per object, keyed by (kind, CIC id), holds the link, what was last applied,
//! the status, any create intent, and the accepted change not applied yet with its sequence
//! number: intake, intent and outcome of one object all touch the same row (and, for objects
//! synced one after the other, the same page), so a commit writes few pages. Only the writer thread writes, in one short transaction per batch;
//! nothing is ever rewritten whole, and opening reads without rewriting.
//!
//! Opening takes an exclusive lock on `gcsync.lock` (one gcsync per data directory). A damaged
//! database is reported ([`GcsyncResult::StorageCorrupt`]), never silently replaced: starting
//! afresh could duplicate users. A database another process holds locked is
//! [`GcsyncResult::StorageLocked`].

mod codec;
mod intake;
mod journal;
mod migrate;
mod schema;

pub use intake::{Bound, Intake, Taken};
pub use journal::{Extra, Retention};
pub use schema::SCHEMA_VERSION;

use crate::object::ObjectKey;
use crate::objects::Record;
use crate::platform;
use crate::queue::{Change, Unsaved};
use crate::result::{Failure, GcsyncResult};
use rusqlite::{params, Connection, OpenFlags};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "gcsync.db";
/// The instance lock's file name inside the data directory.
pub const LOCK_FILE: &str = "gcsync.lock";

/// One object row to write: the record (`None`: leave the row as it is) and the sequence number
/// of the change it completes (cleared from the row unless a newer change replaced it).
#[derive(Debug, Clone)]
pub struct RowWrite {
    /// The object.
    pub key: ObjectKey,
    /// Its new state.
    pub record: Option<Record>,
    /// The change this completes.
    pub done_seq: Option<u64>,
}

/// The memory map `gcsync_init`'s scan reads the database through (SQLite maps at most the
/// file's size).
const LOAD_MMAP: &str = "PRAGMA mmap_size = 4294967296";

/// The `meta` key that tells a clean stop (`clean`) from a crash (`running` left behind).
pub const RUN_STATE_KEY: &str = "run_state";

/// What the database held when it was opened.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every object.
    pub rows: HashMap<ObjectKey, Box<Record>>,
    /// Accepted changes not applied yet, oldest first.
    pub pending: Vec<(ObjectKey, Change, u64)>,
    /// The highest sequence number in use.
    pub last_seq: u64,
    /// What a format-1 migration did, if one ran.
    pub migrated: Option<String>,
    /// API calls counted in the current month (`YYYY-MM`, UTC) before this start.
    pub month_calls: (String, u64),
}

/// The open database (used by one thread at a time).
pub struct Db {
    conn: Connection,
    path: PathBuf,
    trim: journal::Trim,
    _lock: File,
}

pub(crate) fn storage(what: &str, path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::new(
        GcsyncResult::StorageError,
        format!("{what} {}: {e}", path.display()),
    )
}

/// Maps an SQLite error to the right code, with the file and what gcsync was doing.
pub(crate) fn sql_failure(what: &str, path: &Path, e: rusqlite::Error) -> Failure {
    use rusqlite::ErrorCode as C;
    let code = e.sqlite_error_code();
    match code {
        Some(C::NotADatabase | C::DatabaseCorrupt) => Failure::new(
            GcsyncResult::StorageCorrupt,
            format!(
                "the gcsync database {} is damaged ({e}) while {what}; gcsync will not start afresh, \
                 since that could duplicate users: restore it from a backup, or move the data \
                 directory's contents aside to rebuild links by email matching (README, \"Persistence\")",
                path.display()
            ),
        ),
        Some(C::DatabaseBusy | C::DatabaseLocked) => Failure::new(
            GcsyncResult::StorageLocked,
            format!(
                "the gcsync database {} is locked by another process ({e}) while {what}; close \
                 whatever holds it (a sqlite3 shell with an open write transaction?) and start again",
                path.display()
            ),
        ),
        _ => storage(what, path, e),
    }
}

fn take_instance_lock(dir: &Path) -> Result<File, Failure> {
    let path = dir.join(LOCK_FILE);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| storage("cannot open", &path, e))?;
    let _ = platform::restrict_file(&path);
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::new(
            GcsyncResult::StorageLocked,
            format!(
                "data_dir {} is in use by another running gcsync (one data directory per \
                 plugin instance; two CIC servers cannot share one)",
                dir.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(storage("cannot lock", &path, e)),
    }
}

impl Db {
    /// Opens (creating if needed) the data directory and its database, migrates an older
    /// schema or a format-1 `state.json`/`pending.json`, and loads every row.
    pub fn open(dir: &Path) -> Result<(Db, Loaded), Failure> {
        platform::create_private_dir(dir)
            .map_err(|e| storage("cannot create data directory", dir, e))?;
        let lock = take_instance_lock(dir)?;
        let path = dir.join(DB_FILE);
        let fresh = !path.exists();
        if fresh {
            File::create(&path).map_err(|e| storage("cannot create", &path, e))?;
        }
        platform::restrict_file(&path).map_err(|e| storage("cannot restrict", &path, e))?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_failure("opening it", &path, e))?;
        conn.busy_timeout(Duration::from_millis(1500))
            .map_err(|e| sql_failure("opening it", &path, e))?;
        let mut db = Db {
            conn,
            path,
            trim: journal::Trim::default(),
            _lock: lock,
        };
        schema::prepare(&db.conn, &db.path)?;
        let migrated = migrate::from_json_files(&mut db, dir)?;
        let mut loaded = db.load()?;
        loaded.migrated = migrated;
        Ok((db, loaded))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Marks the start of a run (the `run_state` meta row becomes `running`; a clean stop sets
    /// it to `clean`) and returns whether the previous run ended without a clean stop.
    pub fn mark_running(&mut self) -> Result<bool, Failure> {
        let fail = |e| sql_failure("marking the start", &self.path, e);
        let before: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [RUN_STATE_KEY],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(fail)?;
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, 'running') \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [RUN_STATE_KEY],
            )
            .map_err(fail)?;
        Ok(before.as_deref() == Some("running"))
    }

    fn load(&self) -> Result<Loaded, Failure> {
        let fail = |e| sql_failure("reading it", &self.path, e);
        let mut out = Loaded::default();
        // One pass over the objects (rows and pending changes together), into a map sized once:
        // max(rowid) is read from the table's b-tree at once and bounds the number of rows.
        let most: i64 = self
            .conn
            .query_row("SELECT coalesce(max(rowid), 0) FROM objects", [], |r| {
                r.get(0)
            })
            .map_err(fail)?;
        out.rows
            .reserve(usize::try_from(most).unwrap_or(0).min(10_000_000));
        // The one scan reads the file through a memory map (no copy of every page into
        // SQLite's page cache); the map is dropped again after it, so the writer's later
        // reads and writes go through ordinary I/O (a map turns an I/O error into a signal).
        self.conn.execute_batch(LOAD_MMAP).map_err(fail)?;
        let scanned = self.scan(&mut out);
        self.conn
            .execute_batch("PRAGMA mmap_size = 0")
            .map_err(fail)?;
        scanned.map_err(fail)?;
        out.pending.sort_unstable_by_key(|(_, _, seq)| *seq);
        let month = crate::usage::month_of(crate::clock::unix_now());
        let calls = journal::month_calls(&self.conn, &month).map_err(fail)?;
        out.month_calls = (month, calls);
        Ok(out)
    }

    fn scan(&self, out: &mut Loaded) -> rusqlite::Result<()> {
        let mut stmt = self.conn.prepare(codec::SELECT_OBJECTS)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (key, rec) = codec::read_object(row)?;
            out.last_seq = out.last_seq.max(rec.seq);
            if let Some((change, seq)) = codec::read_change(row, key.kind)? {
                out.last_seq = out.last_seq.max(seq);
                out.pending.push((key.clone(), change, seq));
            }
            out.rows.insert(key, Box::new(rec));
        }
        Ok(())
    }

    /// Writes one batch in one transaction: accepted changes first, then object rows (each
    /// clearing the change it completes unless a newer one replaced it).
    pub fn commit(&mut self, intake: &[Unsaved], rows: &[RowWrite]) -> Result<(), Failure> {
        let intake = Intake::from(intake.to_vec());
        self.commit_with(&intake, rows, &Extra::default())
    }

    /// [`Db::commit`] with the journal in the same transaction: audit entries, API usage
    /// counts, `meta` rows, and trimming by the retention given.
    pub fn commit_with(
        &mut self,
        intake: &Intake,
        rows: &[RowWrite],
        extra: &Extra,
    ) -> Result<(), Failure> {
        let path = self.path.clone();
        let fail = |e| sql_failure("writing it", &path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO objects (kind, cic_id, state, change, change_seq) \
                     VALUES (?1, ?2, 'Not synced', ?3, ?4) \
                     ON CONFLICT (kind, cic_id) DO UPDATE SET change = excluded.change, \
                     change_seq = excluded.change_seq \
                     WHERE excluded.change_seq > coalesce(objects.change_seq, -1)",
                )
                .map_err(fail)?;
            for (key, seq, text) in intake.rows() {
                let json = std::str::from_utf8(text)
                    .map_err(|e| storage("cannot encode a change for", &path, e))?;
                put.execute(params![key.kind.name(), key.id, json, seq as i64])
                    .map_err(fail)?;
            }
            for (key, seq, change) in intake.unencodable() {
                let json = codec::encode_change(change)
                    .map_err(|e| storage("cannot encode a change for", &path, e))?;
                put.execute(params![key.kind.name(), key.id, json, *seq as i64])
                    .map_err(fail)?;
            }
            let mut done = tx
                .prepare_cached(
                    "UPDATE objects SET change = NULL, change_seq = NULL \
                     WHERE kind = ?1 AND cic_id = ?2 AND change_seq <= ?3",
                )
                .map_err(fail)?;
            for w in rows {
                if let Some(rec) = &w.record {
                    codec::write_object(&tx, &w.key, rec).map_err(fail)?;
                }
                if let Some(seq) = w.done_seq {
                    done.execute(params![w.key.kind.name(), w.key.id, seq as i64])
                        .map_err(fail)?;
                }
            }
            let mut intend = tx
                .prepare_cached(
                    "INSERT INTO objects (kind, cic_id, state, intent) \
                     VALUES (?1, ?2, 'Not synced', ?3) \
                     ON CONFLICT (kind, cic_id) DO UPDATE SET intent = excluded.intent \
                     WHERE objects.genesys_id IS NULL",
                )
                .map_err(fail)?;
            for (key, intent) in &extra.intents {
                let json = serde_json::to_string(intent)
                    .map_err(|e| storage("cannot encode an intent for", &path, e))?;
                intend
                    .execute(params![key.kind.name(), key.id, json])
                    .map_err(fail)?;
            }
        }
        // Trimming state is kept only when the commit succeeds (after a failure the row count
        // is taken again).
        let mut trim = std::mem::take(&mut self.trim);
        journal::write(&tx, extra, &mut trim).map_err(fail)?;
        tx.commit().map_err(fail)?;
        self.trim = trim;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
