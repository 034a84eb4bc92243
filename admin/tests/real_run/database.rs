//! Figures straight from the database, read independently with SQL (read-only).

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

pub(crate) fn db(dir: &Path) -> Connection {
    Connection::open_with_flags(dir.join("gcsync.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

pub(crate) fn one(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Figures straight from the database.
pub(crate) struct Held {
    pub(crate) synced: i64,
    pub(crate) error: i64,
    pub(crate) not_synced: i64,
    pub(crate) removed: i64,
    pub(crate) pending: i64,
    pub(crate) removals: i64,
    pub(crate) calls: i64,
    pub(crate) limited: i64,
}

pub(crate) fn held(dir: &Path) -> Held {
    let c = db(dir);
    let state = |s: &str| {
        one(
            &c,
            &format!("SELECT count(*) FROM objects WHERE removed = 0 AND state = '{s}'"),
        )
    };
    Held {
        synced: state("Synced"),
        error: state("Error"),
        not_synced: state("Not synced"),
        removed: one(&c, "SELECT count(*) FROM objects WHERE removed = 1"),
        pending: one(&c, "SELECT count(*) FROM objects WHERE change IS NOT NULL"),
        removals: one(
            &c,
            "SELECT count(*) FROM audit WHERE operation IN ('deactivated','deleted','removed')",
        ),
        calls: one(&c, "SELECT coalesce(sum(calls),0) FROM api_usage"),
        limited: one(&c, "SELECT coalesce(sum(rate_limited),0) FROM api_usage"),
    }
}
