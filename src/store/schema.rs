//! The database schema and its migrations, versioned by `PRAGMA user_version`.

use super::sql_failure;
use crate::result::{Failure, GcsyncResult};
use rusqlite::Connection;
use std::path::Path;

/// The writer connection's page cache (`PRAGMA cache_size`, negative: KiB).
pub const CACHE_SIZE: &str = "PRAGMA cache_size = -512";

/// The schema this version writes.
pub const SCHEMA_VERSION: i64 = 3;

/// Migrations: entry `n` takes version `n` to `n + 1`. An entry never changes once released.
const MIGRATIONS: [&str; 3] = [
    "
CREATE TABLE objects (
    kind        TEXT    NOT NULL,            -- object kind: user, ...
    cic_id      TEXT    NOT NULL,            -- the CIC id (user name, ...)
    source      TEXT,                        -- latest CIC data processed (JSON); NULL once deleted
    origin      TEXT,                        -- created | adopted | restored
    applied     TEXT,                        -- what was last applied in Genesys Cloud (JSON)
    genesys_id  TEXT,
    state       TEXT    NOT NULL,            -- Synced | Error | Not synced
    reason      TEXT,
    last_synced INTEGER,                     -- unix seconds
    removed     INTEGER NOT NULL DEFAULT 0,
    intent      TEXT,                        -- a create that may be in flight (JSON)
    seq         INTEGER NOT NULL DEFAULT 0,  -- the last change processed
    change      TEXT,                        -- an accepted change not applied yet (JSON)
    change_seq  INTEGER,                     -- its sequence number
    UNIQUE (kind, cic_id)
);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;
",
    "
CREATE TABLE audit (
    id             INTEGER PRIMARY KEY,      -- grows with time; trimming takes the lowest
    at             INTEGER NOT NULL,         -- unix seconds
    kind           TEXT    NOT NULL,
    cic_id         TEXT    NOT NULL,
    operation      TEXT    NOT NULL,         -- created | adopted | restored | linked | updated |
                                             -- verified | deactivated | deleted | removed | held
    fields         TEXT,                     -- names of the fields changed, comma-separated
    result         TEXT    NOT NULL,         -- Synced | Error | Not synced
    reason         TEXT,
    genesys_id     TEXT,
    correlation_id TEXT,                     -- of the last Genesys Cloud call for the change
    calls          INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE api_usage (
    month        TEXT    NOT NULL,           -- YYYY-MM, UTC
    method       TEXT    NOT NULL,
    route        TEXT    NOT NULL,           -- route template, e.g. /api/v2/users/{userId}
    calls        INTEGER NOT NULL,
    rate_limited INTEGER NOT NULL,           -- 429 answers among them
    PRIMARY KEY (month, method, route)
) WITHOUT ROWID;
CREATE TABLE api_hourly (
    hour         INTEGER PRIMARY KEY,        -- unix seconds / 3600
    calls        INTEGER NOT NULL,
    rate_limited INTEGER NOT NULL
);
",
    "
ALTER TABLE objects ADD COLUMN warnings TEXT;  -- the status's warnings (JSON array); NULL: none
",
];

/// Sets the connection up (WAL, full fsync on commit) and brings the schema to
/// [`SCHEMA_VERSION`]. A database from a newer gcsync is refused.
pub fn prepare(conn: &Connection, path: &Path) -> Result<(), Failure> {
    let fail = |e| sql_failure("preparing it", path, e);
    // A commit writes whole pages: 2 KiB pages hold a few objects' rows (rowid tables, so a
    // row never spills into overflow pages) and keep the bytes written per synced object low.
    // Takes effect only when the database is created.
    conn.execute_batch("PRAGMA page_size = 2048")
        .map_err(fail)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(fail)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Failure::new(
            GcsyncResult::StorageError,
            format!(
                "cannot switch {} to WAL mode (it stays {mode})",
                path.display()
            ),
        ));
    }
    // Checkpoint every 8 192 pages (16 MiB of WAL) rather than SQLite's 1 000: a page changed
    // many times between checkpoints is copied into the database once.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 8192;",
    )
    .map_err(fail)?;
    // The writer's page cache: 512 KiB (SQLite's default is 2 000 KiB). Its commits touch a
    // few pages each (rows in sync order), and reads come from the kernel's cache anyway; the
    // start reads through a memory map, not this cache.
    conn.execute_batch(CACHE_SIZE).map_err(fail)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    if version > SCHEMA_VERSION {
        return Err(Failure::new(
            GcsyncResult::StorageError,
            format!(
                "{} has schema version {version}, written by a newer gcsync; this one reads up \
                 to {SCHEMA_VERSION}: run the newer version, or restore a backup",
                path.display()
            ),
        ));
    }
    // Take the write lock once (an empty transaction writes nothing): a database another
    // process holds locked is reported now, not at the first change.
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
        .map_err(fail)?;
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let step = || -> rusqlite::Result<()> {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", n as i64 + 1)?;
            tx.commit()
        };
        step().map_err(fail)?;
    }
    Ok(())
}
