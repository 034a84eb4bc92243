//! Rows ↔ records: the column encoding of [`Record`] and of pending changes.

use crate::kinds::{Applied, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{kept_as_text, Origin, Record, Texts};
use crate::queue::Change;
use crate::status::{ObjectStatus, SyncState};
use rusqlite::types::{ToSql, ToSqlOutput, Type, ValueRef};
use rusqlite::{params, Row, Transaction};
use std::sync::Arc;

/// Selects every object row in the column order [`read_object`] expects.
pub const SELECT_OBJECTS: &str = "SELECT kind, cic_id, source, origin, applied, genesys_id, \
     state, reason, last_synced, removed, intent, seq, warnings, change, change_seq FROM objects";

/// The column of [`SELECT_OBJECTS`] holding the pending change (its sequence number follows).
pub const CHANGE_COL: usize = 13;

fn bad(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        Type::Text,
        format!("unexpected {what} in the database").into(),
    )
}

/// A text column read in place (no copy out of SQLite's row buffer: start reads every row).
fn text<'r>(row: &'r Row, col: usize) -> rusqlite::Result<Option<&'r str>> {
    row.get_ref(col)?
        .as_str_or_null()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(col, Type::Text, Box::new(e)))
}

fn kind(row: &Row, col: usize) -> rusqlite::Result<GcsyncObjectKind> {
    text(row, col)?
        .and_then(GcsyncObjectKind::from_name)
        .ok_or_else(|| bad(col, "object kind"))
}

fn json<T: serde::de::DeserializeOwned>(row: &Row, col: usize) -> rusqlite::Result<Option<T>> {
    text(row, col)?
        .map(|t| {
            serde_json::from_str(t).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(col, Type::Text, Box::new(e))
            })
        })
        .transpose()
}

fn state(label: &str) -> Option<SyncState> {
    [SyncState::Synced, SyncState::Error, SyncState::NotSynced]
        .into_iter()
        .find(|s| s.label() == label)
}

/// The pending change of a row of [`SELECT_OBJECTS`] (read by [`read_object`]'s caller in the
/// same pass), with its sequence number.
pub fn read_change(row: &Row, kind: GcsyncObjectKind) -> rusqlite::Result<Option<(Change, u64)>> {
    let Some(change) = text(row, CHANGE_COL)? else {
        return Ok(None);
    };
    let change = decode_change(kind, change)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(CHANGE_COL, Type::Text, e.into()))?;
    Ok(Some((change, row.get::<_, i64>(CHANGE_COL + 1)? as u64)))
}

/// A text column's bytes read in place, not checked for UTF-8 (a user's texts are checked
/// when decoded: see `Texts`).
fn text_bytes<'r>(row: &'r Row, col: usize) -> rusqlite::Result<Option<&'r [u8]>> {
    match row.get_ref(col)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => Ok(Some(t)),
        _ => Err(bad(col, "value type")),
    }
}

/// Decodes one row of [`SELECT_OBJECTS`]. A user's CIC data, applied state and warnings stay
/// text until it is used (see `Texts`); other kinds are decoded (and checked) now.
pub fn read_object(row: &Row) -> rusqlite::Result<(ObjectKey, Record)> {
    let key = ObjectKey {
        kind: kind(row, 0)?,
        id: row.get(1)?,
    };
    let origin = text(row, 3)?;
    let label = text(row, 6)?.unwrap_or_default();
    let as_text = kept_as_text(key.kind);
    let mut rec = Record {
        source: None,
        origin: match origin {
            Some(o) => Some(Origin::parse(o).ok_or_else(|| bad(3, "origin"))?),
            None => None,
        },
        applied: None,
        texts: None,
        status: ObjectStatus {
            state: state(label).ok_or_else(|| bad(6, "state"))?,
            last_synchronized: row.get::<_, Option<i64>>(8)?.map(|t| t as u64),
            reason: row.get(7)?,
            genesys_id: row.get(5)?,
            removed: row.get::<_, i64>(9)? != 0,
            warnings: match as_text {
                true => Vec::new(),
                false => json(row, 12)?.unwrap_or_default(),
            },
        },
        intent: json(row, 10)?,
        seq: row.get::<_, i64>(11)? as u64,
    };
    if as_text {
        rec.texts = Some(Texts::new(
            text_bytes(row, 2)?,
            text_bytes(row, 4)?,
            text_bytes(row, 12)?,
        ));
        return Ok((key, rec));
    }
    let decoded = |col: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(col, Type::Text, e.into())
    };
    if let Some(s) = text(row, 2)? {
        let source = CicObject::decode(key.kind, s).map_err(|e| decoded(2, e))?;
        rec.source = Some(Arc::new(source));
    }
    if let Some(s) = text(row, 4)? {
        rec.applied = Some(Applied::decode(key.kind, s).map_err(|e| decoded(4, e))?);
    }
    Ok((key, rec))
}

/// A text column's value from bytes (NULL when `None`), written as TEXT as it is.
struct TextArg<'a>(Option<&'a [u8]>);

impl ToSql for TextArg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Some(t) => ValueRef::Text(t),
            None => ValueRef::Null,
        }))
    }
}

fn encoded(v: Option<serde_json::Result<String>>) -> rusqlite::Result<Option<String>> {
    v.transpose()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
}

/// The stored form of a pending change: `{"upsert":<the kind's JSON>,"force":bool}` or
/// `"remove"` (the kind is in its own column).
pub fn encode_change(change: &Change) -> serde_json::Result<String> {
    match change {
        Change::Upsert { object, force } => Ok(format!(
            "{{\"upsert\":{},\"force\":{force}}}",
            object.encode()?
        )),
        Change::Remove => Ok("\"remove\"".into()),
    }
}

/// [`encode_change`] appended to `out`: the writer encodes a batch's accepted changes into one
/// reused buffer.
pub fn encode_change_into(change: &Change, out: &mut Vec<u8>) -> serde_json::Result<()> {
    match change {
        Change::Upsert { object, force } => {
            out.extend_from_slice(b"{\"upsert\":");
            object.encode_into(out)?;
            let tail: &[u8] = match force {
                true => b",\"force\":true}",
                false => b",\"force\":false}",
            };
            out.extend_from_slice(tail);
        }
        Change::Remove => out.extend_from_slice(b"\"remove\""),
    }
    Ok(())
}

/// Reads [`encode_change`]'s form, and the user-only form of schema version 2
/// (`{"UpsertUser":{"user":..,"force":..}}` / `"RemoveUser"`).
pub fn decode_change(kind: GcsyncObjectKind, text: &str) -> Result<Change, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let (body, force) = match &v {
        serde_json::Value::String(s) if s == "remove" || s == "RemoveUser" => {
            return Ok(Change::Remove)
        }
        serde_json::Value::Object(m) if m.contains_key("upsert") => (&m["upsert"], &m["force"]),
        serde_json::Value::Object(m) if m.contains_key("UpsertUser") => {
            (&m["UpsertUser"]["user"], &m["UpsertUser"]["force"])
        }
        _ => return Err(format!("unexpected stored change {text:.80}")),
    };
    Ok(Change::Upsert {
        object: CicObject::decode(kind, &body.to_string())?,
        force: force.as_bool().unwrap_or(false),
    })
}

fn to_json<T: serde::Serialize>(v: &Option<T>) -> rusqlite::Result<Option<String>> {
    v.as_ref()
        .map(|v| {
            serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
        })
        .transpose()
}

/// Inserts or replaces one object row.
pub fn write_object(tx: &Transaction, key: &ObjectKey, r: &Record) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO objects (kind, cic_id, source, origin, applied, genesys_id, \
         state, reason, last_synced, removed, intent, seq, warnings) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (kind, cic_id) DO UPDATE SET source = excluded.source, \
         origin = excluded.origin, applied = excluded.applied, genesys_id = excluded.genesys_id, \
         state = excluded.state, reason = excluded.reason, last_synced = excluded.last_synced, \
         removed = excluded.removed, intent = excluded.intent, seq = excluded.seq, \
         warnings = excluded.warnings",
    )?;
    // A record kept as text is written as it is, without encoding it again.
    let encoded_now;
    let [source, applied, warnings] = match &r.texts {
        Some(t) => [t.source_text(), t.applied_text(), t.warnings_text()].map(TextArg),
        None => {
            encoded_now = [
                encoded(r.source.as_deref().map(CicObject::encode))?,
                encoded(r.applied.as_ref().map(Applied::encode))?,
                to_json(&Some(&r.status.warnings).filter(|w| !w.is_empty()))?,
            ];
            [0, 1, 2].map(|i| TextArg(encoded_now[i].as_deref().map(str::as_bytes)))
        }
    };
    stmt.execute(params![
        key.kind.name(),
        key.id,
        source,
        r.origin.map(Origin::name),
        applied,
        r.status.genesys_id,
        r.status.state.label(),
        r.status.reason,
        r.status.last_synchronized.map(|t| t as i64),
        i64::from(r.status.removed),
        to_json(&r.intent)?,
        r.seq as i64,
        warnings,
    ])?;
    Ok(())
}
