//! Reading every object row at start. With many rows the table is read in two halves (by
//! rowid) at once, the second on a scoped thread with its own read-only connection: decoding
//! the rows' JSON is most of `gcsync_init`'s time, and both halves are in memory before
//! `Db::open` returns (a status query right after `gcsync_init` sees every object).

use super::{codec, sql_failure, Loaded};
use crate::object::ObjectKey;
use crate::objects::Record;
use crate::queue::Change;
use crate::result::Failure;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// Below this many rows one pass on the calling thread costs less than starting a thread and
/// opening a second connection.
const SPLIT_AT: i64 = 4_000;

/// [`SPLIT_AT`], for tests.
#[cfg(test)]
pub(super) fn split_at() -> usize {
    SPLIT_AT as usize
}

/// The rows of one rowid range.
#[derive(Default)]
struct Part {
    rows: Vec<(ObjectKey, Record)>,
    pending: Vec<(ObjectKey, Change, u64)>,
    last_seq: u64,
}

/// Reads the rows with `from < rowid <= to`, each into `keep`.
fn scan(
    conn: &Connection,
    from: i64,
    to: i64,
    part: &mut Part,
    mut keep: impl FnMut(ObjectKey, Record),
) -> rusqlite::Result<()> {
    let sql = format!("{} WHERE rowid > ?1 AND rowid <= ?2", codec::SELECT_OBJECTS);
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([from, to])?;
    while let Some(row) = rows.next()? {
        let (key, rec) = codec::read_object(row)?;
        part.last_seq = part.last_seq.max(rec.seq);
        if let Some((change, seq)) = codec::read_change(row, key.kind)? {
            part.last_seq = part.last_seq.max(seq);
            part.pending.push((key.clone(), change, seq));
        }
        keep(key, rec);
    }
    Ok(())
}

/// The upper half on its own connection (read-only; the caller's connection holds the
/// instance lock and nothing writes meanwhile).
fn scan_upper(path: &Path, from: i64, to: i64) -> rusqlite::Result<Part> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_millis(1500))?;
    let mut part = Part::default();
    let mut rows = Vec::with_capacity(usize::try_from(to - from).unwrap_or(0));
    scan(&conn, from, to, &mut part, |k, r| rows.push((k, r)))?;
    part.rows = rows;
    Ok(part)
}

/// Every object row and pending change of the open database `conn` (file `path`).
pub(super) fn objects(conn: &Connection, path: &Path) -> Result<Loaded, Failure> {
    let fail = |e| sql_failure("reading it", path, e);
    // max(rowid) is read from the table's b-tree at once and bounds the number of rows: the
    // map is sized once, and the halves are split by it.
    let most: i64 = conn
        .query_row("SELECT coalesce(max(rowid), 0) FROM objects", [], |r| {
            r.get(0)
        })
        .map_err(fail)?;
    let mut out = Loaded::default();
    let mut map: HashMap<ObjectKey, Record> =
        HashMap::with_capacity(usize::try_from(most).unwrap_or(0).min(10_000_000));
    let mut mine = Part::default();
    let mid = if most >= SPLIT_AT { most / 2 } else { most };
    let upper = std::thread::scope(|s| {
        let upper = (mid < most).then(|| {
            std::thread::Builder::new()
                .name("gcsync-load".into())
                .spawn_scoped(s, || scan_upper(path, mid, most))
        });
        let lower = scan(conn, i64::MIN, mid, &mut mine, |k, r| {
            map.insert(k, r);
        });
        let upper = match upper {
            // The thread could not start: read the upper half here.
            Some(Err(_)) => Some(Ok(scan_upper(path, mid, most))),
            Some(Ok(h)) => Some(h.join()),
            None => None,
        };
        lower.map(|()| upper)
    })
    .map_err(fail)?;
    match upper {
        Some(Ok(part)) => {
            let part = part.map_err(fail)?;
            map.extend(part.rows);
            mine.pending.extend(part.pending);
            mine.last_seq = mine.last_seq.max(part.last_seq);
        }
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => {}
    }
    mine.pending.sort_unstable_by_key(|(_, _, seq)| *seq);
    out.rows = map;
    out.pending = mine.pending;
    out.last_seq = mine.last_seq;
    Ok(out)
}
