//! The journal tables (schema version 2): the audit trail and the API usage counts, written in
//! the same transaction as the batch they belong to, and their retention.
//!
//! Retention: entries older than `audit_retention_days` go (and hourly counts with them);
//! beyond `audit_max_rows` the oldest entries go first, except removal records
//! ([`Op::KEPT`]), which stay for the whole retention period. Trimming runs inside a commit: by
//! age at most once an hour, by size when the table passes the limit (down to 1 % below it), so
//! an ordinary commit never scans the table.

use crate::audit::{AuditEntry, Op};
use crate::object::ObjectKey;
use crate::objects::Intent;
use crate::usage::UsageDelta;
use rusqlite::{params, Transaction};

/// How long and how much to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Entries older than this many days are deleted.
    pub days: u32,
    /// At most this many entries (removal records excepted).
    pub max_rows: u64,
}

/// What a commit writes besides objects and pending changes.
#[derive(Debug, Default)]
pub struct Extra {
    /// Audit entries, oldest first.
    pub audit: Vec<AuditEntry>,
    /// API call counts to add.
    pub usage: UsageDelta,
    /// `meta` rows to set (`None` deletes the key).
    pub meta: Vec<(&'static str, Option<String>)>,
    /// Retention in force (`None`: no trimming in this commit).
    pub retention: Option<Retention>,
    /// Unix seconds, now.
    pub now: u64,
    /// Create intents recorded ahead for objects the writing worker does not hold (another
    /// worker may take and finish one meanwhile): each sets only its row's `intent` (inserting
    /// the row if needed), and only while the row has no Genesys id, so an intent that reaches
    /// the writer after the object's outcome never overwrites that outcome.
    pub intents: Vec<(ObjectKey, Intent)>,
}

impl Extra {
    /// Whether the commit has nothing of this to write.
    pub fn is_empty(&self) -> bool {
        self.audit.is_empty()
            && self.usage.is_empty()
            && self.meta.is_empty()
            && self.intents.is_empty()
    }
}

/// Trimming bookkeeping kept by the open database.
#[derive(Debug, Default)]
pub struct Trim {
    /// Rows in `audit` (known after the first size check).
    rows: Option<u64>,
    /// The row count past which the next size trim runs.
    next_size_check: u64,
    /// When the last age trim ran (Unix seconds).
    last_age_trim: Option<u64>,
}

fn kept_ops() -> String {
    Op::KEPT
        .iter()
        .map(|o| format!("'{}'", o.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `extra` and trims what retention says, inside `tx`.
pub fn write(tx: &Transaction, extra: &Extra, trim: &mut Trim) -> rusqlite::Result<()> {
    if !extra.audit.is_empty() {
        let mut put = tx.prepare_cached(
            "INSERT INTO audit (at, kind, cic_id, operation, fields, result, reason, genesys_id, \
             correlation_id, calls) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for e in &extra.audit {
            let fields = (!e.fields.is_empty()).then(|| e.fields.join(","));
            put.execute(params![
                e.at as i64,
                e.key.kind.name(),
                e.key.id,
                e.op.name(),
                fields,
                e.result.label(),
                e.reason,
                e.genesys_id,
                e.correlation_id,
                i64::from(e.calls),
            ])?;
        }
        if let Some(n) = trim.rows.as_mut() {
            *n += extra.audit.len() as u64;
        }
    }
    if !extra.usage.endpoints.is_empty() {
        let mut add = tx.prepare_cached(
            "INSERT INTO api_usage (month, method, route, calls, rate_limited) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (month, method, route) DO UPDATE SET \
             calls = calls + excluded.calls, rate_limited = rate_limited + excluded.rate_limited",
        )?;
        for ((month, method, route), (calls, limited)) in &extra.usage.endpoints {
            add.execute(params![
                month,
                method,
                route,
                *calls as i64,
                *limited as i64
            ])?;
        }
    }
    if !extra.usage.hours.is_empty() {
        let mut add = tx.prepare_cached(
            "INSERT INTO api_hourly (hour, calls, rate_limited) VALUES (?1, ?2, ?3) \
             ON CONFLICT (hour) DO UPDATE SET calls = calls + excluded.calls, \
             rate_limited = rate_limited + excluded.rate_limited",
        )?;
        for (hour, (calls, limited)) in &extra.usage.hours {
            add.execute(params![*hour as i64, *calls as i64, *limited as i64])?;
        }
    }
    for (key, value) in &extra.meta {
        match value {
            Some(v) => tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => tx.execute("DELETE FROM meta WHERE key = ?1", params![key])?,
        };
    }
    if let Some(r) = extra.retention {
        retain(tx, r, extra.now, trim)?;
    }
    Ok(())
}

fn retain(tx: &Transaction, r: Retention, now: u64, trim: &mut Trim) -> rusqlite::Result<()> {
    if trim.last_age_trim.is_none_or(|t| now >= t + 3600) {
        trim.last_age_trim = Some(now);
        let cutoff = now.saturating_sub(u64::from(r.days) * 86_400) as i64;
        // Ids grow with time: delete below the first id that is recent enough (a scan of the
        // old rows only), so no index on `at` is needed.
        let gone = tx.execute(
            "DELETE FROM audit WHERE id < coalesce((SELECT id FROM audit WHERE at >= ?1 \
             ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM audit))",
            params![cutoff],
        )?;
        tx.execute(
            "DELETE FROM api_hourly WHERE hour < ?1",
            params![cutoff / 3600],
        )?;
        if let Some(n) = trim.rows.as_mut() {
            *n = n.saturating_sub(gone as u64);
        }
    }
    let rows = match trim.rows {
        Some(n) => n,
        None => {
            let n: i64 = tx.query_row("SELECT count(*) FROM audit", [], |row| row.get(0))?;
            trim.rows = Some(n as u64);
            n as u64
        }
    };
    // Past the limit, trim 1 % below it, so the next trim is 1 % of the limit away.
    let slack = (r.max_rows / 100).max(10).min(r.max_rows);
    if rows > r.max_rows && rows >= trim.next_size_check {
        let excess = rows - (r.max_rows - slack);
        let gone = tx.execute(
            &format!(
                "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE operation NOT IN \
                 ({}) ORDER BY id LIMIT ?1)",
                kept_ops()
            ),
            params![excess as i64],
        )? as u64;
        let left = rows - gone;
        trim.rows = Some(left);
        // If removal records alone exceed the limit, look again only after `slack` more rows.
        trim.next_size_check = if left > r.max_rows { left + slack } else { 0 };
    }
    Ok(())
}

/// The calls counted in `month` (`YYYY-MM`), for the overview after a restart.
pub fn month_calls(conn: &rusqlite::Connection, month: &str) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT coalesce(sum(calls), 0) FROM api_usage WHERE month = ?1",
        params![month],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::SyncState;
    use crate::store::Db;

    fn entry(at: u64, id: &str, op: Op) -> AuditEntry {
        AuditEntry {
            at,
            key: ObjectKey::user(id),
            op,
            fields: vec!["state".into()],
            result: SyncState::Synced,
            reason: None,
            genesys_id: Some(format!("g-{id}")),
            correlation_id: Some(format!("c-{id}")),
            calls: 2,
        }
    }

    fn ops(db: &Db) -> Vec<(String, String)> {
        let mut stmt = db
            .conn
            .prepare("SELECT cic_id, operation FROM audit ORDER BY id")
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(Result::unwrap).collect()
    }

    fn commit(db: &mut Db, audit: Vec<AuditEntry>, retention: Retention, now: u64) {
        let extra = Extra {
            audit,
            retention: Some(retention),
            now,
            ..Extra::default()
        };
        db.commit_with(&Default::default(), &[], &extra).unwrap();
    }

    const DAY: u64 = 86_400;

    #[test]
    fn entries_older_than_the_retention_go_removals_included() {
        let dir = tempfile::tempdir().unwrap();
        let (mut db, _) = Db::open(dir.path()).unwrap();
        let now = 1_000 * DAY;
        let keep = Retention {
            days: 90,
            max_rows: 1_000,
        };
        let edge = now - 90 * DAY + 30;
        commit(
            &mut db,
            vec![
                entry(now - 100 * DAY, "old", Op::Deactivated),
                entry(now - 91 * DAY, "old2", Op::Updated),
                entry(edge, "edge", Op::Deleted),
                entry(now, "new", Op::Created),
            ],
            keep,
            now,
        );
        assert_eq!(
            ops(&db),
            [
                ("edge".into(), "deleted".into()),
                ("new".into(), "created".into())
            ]
        );
        // A minute later `edge` is past the retention too, but the age trim runs hourly.
        commit(&mut db, vec![], keep, now + 60);
        assert_eq!(ops(&db).len(), 2);
        commit(&mut db, vec![], keep, now + 3_600);
        assert_eq!(ops(&db), [("new".into(), "created".into())]);
    }

    #[test]
    fn past_the_size_limit_the_oldest_go_but_removals_stay() {
        let dir = tempfile::tempdir().unwrap();
        let (mut db, _) = Db::open(dir.path()).unwrap();
        let now = 1_000 * DAY;
        let r = Retention {
            days: 90,
            max_rows: 20,
        };
        let mut first: Vec<AuditEntry> = (0..5)
            .map(|i| entry(now - 50 * DAY, &format!("rm{i}"), Op::Deactivated))
            .collect();
        first.extend((0..10).map(|i| entry(now - 40 * DAY, &format!("u{i}"), Op::Updated)));
        commit(&mut db, first, r, now);
        assert_eq!(ops(&db).len(), 15, "under the limit nothing goes");
        let more = (10..30)
            .map(|i| entry(now, &format!("u{i}"), Op::Updated))
            .collect();
        commit(&mut db, more, r, now);
        let left = ops(&db);
        assert!(left.len() <= 20, "{} rows", left.len());
        for i in 0..5 {
            assert!(
                left.contains(&(format!("rm{i}"), "deactivated".into())),
                "rm{i} trimmed"
            );
        }
        // The oldest updates went first: the newest is still there, the oldest not.
        assert!(left.contains(&("u29".into(), "updated".into())));
        assert!(!left.contains(&("u0".into(), "updated".into())));
        // Removal records alone above the limit are all kept.
        let removals = (0..30)
            .map(|i| entry(now, &format!("d{i}"), Op::Deleted))
            .collect();
        commit(&mut db, removals, r, now);
        let left = ops(&db);
        assert_eq!(left.iter().filter(|(_, o)| o == "deleted").count(), 30);
        assert_eq!(left.iter().filter(|(_, o)| o == "updated").count(), 0);
    }

    #[test]
    fn usage_counts_add_up_across_commits_and_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let month = crate::usage::month_of(crate::clock::unix_now());
        for _ in 0..2 {
            let (mut db, loaded) = Db::open(dir.path()).unwrap();
            let u = crate::usage::Usage::default();
            u.answered(
                crate::clock::unix_now(),
                "GET",
                "/api/v2/users/{userId}",
                200,
                None,
            );
            u.answered(crate::clock::unix_now(), "POST", "/oauth/token", 429, None);
            let extra = Extra {
                usage: u.take_unsaved(),
                meta: vec![("monthly_api_allowance", Some("5000".into()))],
                ..Extra::default()
            };
            db.commit_with(&Default::default(), &[], &extra).unwrap();
            assert!(loaded.month_calls.0 == month);
        }
        let (db, loaded) = Db::open(dir.path()).unwrap();
        assert_eq!(loaded.month_calls, (month.clone(), 4));
        let (calls, limited): (i64, i64) = db
            .conn
            .query_row(
                "SELECT calls, rate_limited FROM api_usage WHERE route = '/oauth/token'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((calls, limited), (2, 2));
        let hourly: i64 = db
            .conn
            .query_row("SELECT sum(calls) FROM api_hourly", [], |r| r.get(0))
            .unwrap();
        assert_eq!(hourly, 4);
        let allowance: String = db
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'monthly_api_allowance'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(allowance, "5000");
    }

    #[test]
    fn a_version_1_database_gains_the_journal_tables() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (db, _) = Db::open(dir.path()).unwrap();
            // Make it exactly what version 1 wrote.
            db.conn
                .execute_batch(
                    "DROP TABLE audit; DROP TABLE api_usage; DROP TABLE api_hourly; \
                     ALTER TABLE objects DROP COLUMN warnings; PRAGMA user_version = 1;",
                )
                .unwrap();
        }
        let (mut db, _) = Db::open(dir.path()).unwrap();
        let v: i64 = db
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, crate::store::SCHEMA_VERSION);
        assert_eq!(v, 3);
        commit(
            &mut db,
            vec![entry(5, "a", Op::Created)],
            Retention {
                days: 1,
                max_rows: 10,
            },
            5,
        );
        assert_eq!(ops(&db), [("a".into(), "created".into())]);
    }
}
