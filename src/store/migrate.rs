//! Migration from the format-1 data directory (`state.json` + `pending.json`, written by gcsync
//! before the database): on the first start of a version with the database, their rows are
//! imported in one transaction and the files renamed to `*.json.migrated` (never deleted).

use super::{storage, Db};
use crate::cic::CicUser;
use crate::kinds::{Applied, CicObject};
use crate::mapping::DesiredUser;
use crate::object::ObjectKey;
use crate::objects::{Origin, Record};
use crate::queue::Change;
use crate::result::{Failure, GcsyncResult};
use crate::status::ObjectStatus;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Deserialize)]
struct UserRecord {
    source: Option<CicUser>,
    origin: Option<Origin>,
    applied: Option<DesiredUser>,
    status: ObjectStatus,
}

#[derive(Deserialize)]
struct StateFile {
    format: u32,
    users: BTreeMap<String, UserRecord>,
}

/// A pending change as format 1 wrote it (users only).
#[allow(clippy::large_enum_variant)] // read once, at migration
#[derive(Deserialize)]
enum LegacyChange {
    UpsertUser { user: CicUser, force: bool },
    RemoveUser,
}

impl From<LegacyChange> for Change {
    fn from(c: LegacyChange) -> Change {
        match c {
            LegacyChange::UpsertUser { user, force } => Change::Upsert {
                object: CicObject::User(user),
                force,
            },
            LegacyChange::RemoveUser => Change::Remove,
        }
    }
}

#[derive(Deserialize)]
struct PendingFile {
    format: u32,
    pending: Vec<(ObjectKey, LegacyChange)>,
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, Failure> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Failure::new(
                GcsyncResult::StorageCorrupt,
                format!(
                    "{} (format 1) cannot be migrated: {e}; fix or move it aside and start again",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(storage("cannot read", path, e)),
    }
}

fn check_format(format: u32, path: &Path) -> Result<(), Failure> {
    if format == 1 {
        return Ok(());
    }
    Err(Failure::new(
        GcsyncResult::StorageCorrupt,
        format!(
            "{} has format {format}; only format 1 can be migrated",
            path.display()
        ),
    ))
}

/// Imports `state.json` and `pending.json` if present; returns what was done.
pub fn from_json_files(db: &mut Db, dir: &Path) -> Result<Option<String>, Failure> {
    let (state_path, pending_path) = (dir.join("state.json"), dir.join("pending.json"));
    let state: Option<StateFile> = read(&state_path)?;
    let pending: Option<PendingFile> = read(&pending_path)?;
    if state.is_none() && pending.is_none() {
        return Ok(None);
    }
    let mut rows = Vec::new();
    if let Some(s) = &state {
        check_format(s.format, &state_path)?;
    }
    for (id, r) in state.map(|s| s.users).unwrap_or_default() {
        let rec = Record {
            source: r.source.map(|u| Arc::new(CicObject::User(u))),
            origin: r.origin,
            applied: r.applied.map(|u| Applied::User(u.into())),
            status: r.status,
            intent: None,
            seq: 0,
            texts: None,
        };
        rows.push(super::RowWrite {
            key: ObjectKey::user(id),
            record: Some(rec),
            done_seq: None,
        });
    }
    let mut intake = Vec::new();
    if let Some(p) = pending {
        check_format(p.format, &pending_path)?;
        for (n, (key, change)) in p.pending.into_iter().enumerate() {
            intake.push((key, n as u64 + 1, Arc::new(Change::from(change))));
        }
    }
    // Objects first (seq 0), then the pending changes (seq 1..), in one transaction.
    db.commit(&intake, &rows)?;
    let what = format!(
        "migrated {} object(s) and {} pending change(s) from state.json/pending.json (format 1; \
         the files were renamed *.json.migrated)",
        rows.len(),
        intake.len()
    );
    for p in [state_path, pending_path] {
        if p.exists() {
            let to = p.with_extension("json.migrated");
            std::fs::rename(&p, &to).map_err(|e| storage("cannot rename", &p, e))?;
        }
    }
    Ok(Some(what))
}
