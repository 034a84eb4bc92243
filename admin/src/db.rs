//! Reading a gcsync database, read-only: safe while the plugin runs (WAL readers never block the
//! writer, and this connection cannot write). Every command reads inside one read transaction,
//! so what it shows is one consistent snapshot.

use crate::Exit;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a read waits for a lock before giving up with [`Exit::Locked`].
pub const BUSY_WAIT: Duration = Duration::from_millis(2000);

/// A failure with its exit code and message.
#[derive(Debug)]
pub struct Fail(pub Exit, pub String);

/// The open database.
pub struct Db {
    conn: Connection,
    /// The database file.
    pub path: PathBuf,
    /// `PRAGMA user_version`.
    pub schema: i64,
}

/// One object row, with whether a change for it is pending.
#[derive(Debug, Clone)]
pub struct Object {
    pub kind: String,
    pub id: String,
    pub state: String,
    pub removed: bool,
    pub last_synced: Option<i64>,
    pub genesys_id: Option<String>,
    pub origin: Option<String>,
    pub reason: Option<String>,
    pub source: Option<Value>,
    pub applied: Option<Value>,
    pub intent: Option<Value>,
    /// The accepted change not applied yet (its JSON), if any.
    pub pending: Option<Value>,
}

impl Object {
    /// The state an admin filters by: `removed`, or the state itself.
    pub fn shown_state(&self) -> &str {
        if self.removed {
            "removed"
        } else {
            &self.state
        }
    }
}

/// One audit row.
#[derive(Debug, Clone)]
pub struct Audit {
    pub at: i64,
    pub kind: String,
    pub id: String,
    pub op: String,
    pub fields: Option<String>,
    pub result: String,
    pub reason: Option<String>,
    pub genesys_id: Option<String>,
    pub correlation_id: Option<String>,
    pub calls: i64,
}

/// Calls per endpoint in a month.
#[derive(Debug, Clone)]
pub struct Usage {
    pub method: String,
    pub route: String,
    pub calls: i64,
    pub limited: i64,
}

/// What the audit query selects.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub since: Option<i64>,
    pub removals_only: bool,
    pub kind: Option<String>,
    pub id: Option<String>,
    pub limit: Option<i64>,
}

fn classify(path: &Path, what: &str, e: rusqlite::Error) -> Fail {
    use rusqlite::ErrorCode as C;
    let shown = path.display();
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => Fail(
            Exit::Locked,
            format!(
                "{shown} is locked by another process ({e}) while {what}; gcsync itself never \
                 blocks readers: is a sqlite3 shell holding an exclusive lock? Try again"
            ),
        ),
        Some(C::NotADatabase | C::DatabaseCorrupt) => Fail(
            Exit::Damaged,
            format!("{shown} is not a readable gcsync database ({e}) while {what}"),
        ),
        Some(C::CannotOpen | C::PermissionDenied) => Fail(
            Exit::Missing,
            format!(
                "cannot open {shown} ({e}); run as the account gcsync runs as (the data \
                 directory is private to it)"
            ),
        ),
        _ => Fail(Exit::Damaged, format!("{shown}: {e} while {what}")),
    }
}

fn json(text: Option<String>) -> Option<Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

impl Db {
    /// Opens `dir/gcsync.db` read-only and checks its schema.
    pub fn open(dir: &Path) -> Result<Db, Fail> {
        if !dir.is_dir() {
            return Err(Fail(
                Exit::Missing,
                format!("data directory {} does not exist", dir.display()),
            ));
        }
        let path = dir.join(gcsync::store::DB_FILE);
        if !path.is_file() {
            return Err(Fail(
                Exit::Missing,
                format!(
                    "no gcsync database in {} (gcsync creates {} at its first start; is this \
                     the data_dir setting?)",
                    dir.display(),
                    gcsync::store::DB_FILE
                ),
            ));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|e| classify(&path, "opening it", e))?;
        conn.busy_timeout(BUSY_WAIT)
            .and_then(|()| conn.execute_batch("PRAGMA query_only = ON; BEGIN"))
            .map_err(|e| classify(&path, "opening it", e))?;
        let schema: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| classify(&path, "reading its schema version", e))?;
        let has_objects: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'objects'",
                [],
                |r| r.get::<_, i64>(0).map(|n| n > 0),
            )
            .map_err(|e| classify(&path, "reading its tables", e))?;
        if schema == 0 || !has_objects {
            return Err(Fail(
                Exit::Damaged,
                format!(
                    "{} holds no gcsync tables (schema version {schema})",
                    path.display()
                ),
            ));
        }
        if schema > gcsync::store::SCHEMA_VERSION {
            return Err(Fail(
                Exit::Damaged,
                format!(
                    "{} has schema version {schema}, written by a newer gcsync; this gcsync-admin \
                     reads up to {}: use the gcsync-admin of that version",
                    path.display(),
                    gcsync::store::SCHEMA_VERSION
                ),
            ));
        }
        Ok(Db { conn, path, schema })
    }

    fn fail(&self, what: &str) -> impl Fn(rusqlite::Error) -> Fail + '_ {
        let what = what.to_string();
        move |e| classify(&self.path, &what, e)
    }

    /// Whether the audit and usage tables exist (schema 2 and later).
    pub fn has_journal(&self) -> bool {
        self.schema >= 2
    }

    /// Every object (of `kind`, if given), sorted by kind and id.
    pub fn objects(&self, kind: Option<&str>) -> Result<Vec<Object>, Fail> {
        let fail = self.fail("reading objects");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT o.kind, o.cic_id, o.state, o.removed, o.last_synced, o.genesys_id, \
                 o.origin, o.reason, o.source, o.applied, o.intent, o.change FROM objects o \
                 WHERE ?1 IS NULL OR o.kind = ?1 ORDER BY o.kind, o.cic_id",
            )
            .map_err(&fail)?;
        let rows = stmt
            .query_map(params![kind], |r| {
                Ok(Object {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    state: r.get(2)?,
                    removed: r.get::<_, i64>(3)? != 0,
                    last_synced: r.get(4)?,
                    genesys_id: r.get(5)?,
                    origin: r.get(6)?,
                    reason: r.get(7)?,
                    source: json(r.get(8)?),
                    applied: json(r.get(9)?),
                    intent: json(r.get(10)?),
                    pending: json(r.get(11)?),
                })
            })
            .map_err(&fail)?;
        rows.collect::<Result<_, _>>().map_err(&fail)
    }

    /// Accepted changes for objects without a row yet. Since every accepted change is kept in
    /// its object's row (created "Not synced" at intake), this finds none in a current
    /// database; it is kept for a caller that merges the two lists.
    pub fn pending_only(&self) -> Result<Vec<Object>, Fail> {
        let fail = self.fail("reading pending changes");
        let mut stmt = self
            .conn
            .prepare("SELECT kind, cic_id, change FROM objects WHERE 0")
            .map_err(&fail)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Object {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    state: "Not synced".into(),
                    removed: false,
                    last_synced: None,
                    genesys_id: None,
                    origin: None,
                    reason: None,
                    source: None,
                    applied: None,
                    intent: None,
                    pending: json(r.get(2)?),
                })
            })
            .map_err(&fail)?;
        rows.collect::<Result<_, _>>().map_err(&fail)
    }

    /// Audit rows, newest first.
    pub fn audit(&self, f: &AuditFilter) -> Result<Vec<Audit>, Fail> {
        if !self.has_journal() {
            return Ok(Vec::new());
        }
        let fail = self.fail("reading the audit trail");
        let removals = gcsync::audit::Op::KEPT
            .iter()
            .map(|o| format!("'{}'", o.name()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT at, kind, cic_id, operation, fields, result, reason, genesys_id, \
             correlation_id, calls FROM audit WHERE (?1 IS NULL OR at >= ?1) \
             AND (?2 = 0 OR operation IN ({removals})) AND (?3 IS NULL OR kind = ?3) \
             AND (?4 IS NULL OR cic_id = ?4) ORDER BY id DESC LIMIT ?5"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(&fail)?;
        let rows = stmt
            .query_map(
                params![
                    f.since,
                    i64::from(f.removals_only),
                    f.kind,
                    f.id,
                    f.limit.unwrap_or(-1)
                ],
                |r| {
                    Ok(Audit {
                        at: r.get(0)?,
                        kind: r.get(1)?,
                        id: r.get(2)?,
                        op: r.get(3)?,
                        fields: r.get(4)?,
                        result: r.get(5)?,
                        reason: r.get(6)?,
                        genesys_id: r.get(7)?,
                        correlation_id: r.get(8)?,
                        calls: r.get(9)?,
                    })
                },
            )
            .map_err(&fail)?;
        rows.collect::<Result<_, _>>().map_err(&fail)
    }

    /// Calls per endpoint in `month` (`YYYY-MM`), most called first.
    pub fn usage(&self, month: &str) -> Result<Vec<Usage>, Fail> {
        if !self.has_journal() {
            return Ok(Vec::new());
        }
        let fail = self.fail("reading API usage");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT method, route, calls, rate_limited FROM api_usage WHERE month = ?1 \
                 ORDER BY calls DESC, route, method",
            )
            .map_err(&fail)?;
        let rows = stmt
            .query_map(params![month], |r| {
                Ok(Usage {
                    method: r.get(0)?,
                    route: r.get(1)?,
                    calls: r.get(2)?,
                    limited: r.get(3)?,
                })
            })
            .map_err(&fail)?;
        rows.collect::<Result<_, _>>().map_err(&fail)
    }

    /// `(hour, calls, 429s)` for hours from `since_hour` on, oldest first.
    pub fn hours(&self, since_hour: i64) -> Result<Vec<(i64, i64, i64)>, Fail> {
        if !self.has_journal() {
            return Ok(Vec::new());
        }
        let fail = self.fail("reading hourly API counts");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT hour, calls, rate_limited FROM api_hourly WHERE hour >= ?1 ORDER BY hour",
            )
            .map_err(&fail)?;
        let rows = stmt
            .query_map(params![since_hour], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(&fail)?;
        rows.collect::<Result<_, _>>().map_err(&fail)
    }

    /// A `meta` value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, Fail> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(self.fail("reading meta"))
    }

    /// The `monthly_api_allowance` gcsync last ran with, if any.
    pub fn allowance(&self) -> Result<Option<u64>, Fail> {
        Ok(self
            .meta(gcsync::writer::ALLOWANCE_KEY)?
            .and_then(|v| v.parse().ok()))
    }
}
