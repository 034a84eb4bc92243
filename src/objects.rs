//! The in-memory table of every object gcsync knows: its link to Genesys Cloud, what was last
//! applied, its admin-visible status and any create in flight. The worker updates it; queries
//! read it; the writer thread persists copies of changed rows, so a query never waits on disk.
//! Counts per state are kept as rows change (the overview never scans).

use crate::kinds::{Applied, CicObject};
use crate::object::ObjectKey;
use crate::status::{ObjectStatus, SyncState};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

mod queries;
mod status_index;
mod texts;
pub use texts::{kept_as_text, SharedText, Texts};

/// How gcsync came to be linked to a Genesys object. Only what gcsync created or adopted is ever
/// changed or removed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// gcsync created it.
    Created,
    /// It existed with the same email and gcsync took it over.
    Adopted,
    /// It was soft-deleted and gcsync restored it.
    Restored,
}

impl Origin {
    /// The name stored in the database.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Created => "created",
            Origin::Adopted => "adopted",
            Origin::Restored => "restored",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "created" => Some(Origin::Created),
            "adopted" => Some(Origin::Adopted),
            "restored" => Some(Origin::Restored),
            _ => None,
        }
    }
}

/// A create that may have reached Genesys Cloud without its outcome being recorded. Written
/// durably before the POST and cleared in the transaction that records the link, so a restart
/// after a crash in between knows to look for the object (a user by email, a queue by name)
/// before creating it again (a wrap-up code by the name its create sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// What was about to be done (`create`).
    pub op: String,
    /// The email the new user was created with (empty for a workgroup's queue, which is
    /// named as the workgroup; the name sent for a wrap-up code, which can be renamed).
    pub email: String,
    /// Unix seconds when the intent was recorded.
    pub at: u64,
}

/// How a user's warning naming a skill its assignments wait for ends.
pub const ASSIGNED_WHEN_SYNCED: &str = "assigned when it is";

/// How a user's warning naming a workgroup ends whose change, accepted and not processed yet,
/// gives the user skills (`workgroup W: skills inherited from …`): recorded with the
/// assignments, so a restart looks at the user again ([`Record::assignments_wait`]) even if
/// that change was replaced before the kill (who inherited it was known in memory only).
pub const INHERITED_NOT_SYNCED: &str = "skills inherited from its change not synced yet";

/// Everything gcsync remembers about one object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// The latest CIC data processed (`None` once deleted in CIC).
    pub source: Option<Arc<CicObject>>,
    /// How the link to the Genesys object came about.
    pub origin: Option<Origin>,
    /// What gcsync last wrote to (or verified in) Genesys Cloud.
    pub applied: Option<Applied>,
    /// Admin-visible status, including the Genesys id.
    pub status: ObjectStatus,
    /// A create that may be in flight.
    pub intent: Option<Intent>,
    /// Sequence number of the last change processed.
    pub seq: u64,
    /// When set, `source` and `applied` are kept as this text instead (both are then `None`):
    /// see [`Texts`]. Only the table and a freshly loaded store hold such records; every record
    /// the table hands out is decoded.
    pub texts: Option<Texts>,
}

impl Record {
    /// The change that brings Genesys Cloud to what CIC last said of this object (of a decoded
    /// record).
    pub fn wanted_change(&self) -> crate::queue::Change {
        debug_assert!(
            self.texts.is_none(),
            "wanted_change of a record not decoded"
        );
        match &self.source {
            Some(object) => crate::queue::Change::Upsert {
                object: (**object).clone(),
                force: false,
            },
            None => crate::queue::Change::Remove,
        }
    }

    /// Whether this user's skill and language assignments wait for a skill (its warnings say
    /// [`ASSIGNED_WHEN_SYNCED`]) or were made from a workgroup change not processed yet
    /// ([`INHERITED_NOT_SYNCED`]). The wait, and who inherited a replaced workgroup change, are
    /// kept in memory only, so after a restart such a user is processed again
    /// (`runtime::resume`): otherwise the skill's sync would never reach it (a kill while it
    /// waited, or a skill CIC sends later), or it would keep the skills of a workgroup version
    /// never applied. A record kept as text (users only) decodes its warnings for the check.
    pub fn assignments_wait(&self) -> bool {
        let user = match &self.texts {
            Some(_) => self.has_source(),
            None => matches!(self.source.as_deref(), Some(CicObject::User(_))),
        };
        user && self
            .status_shown()
            .warnings
            .iter()
            .any(|w| w.ends_with(ASSIGNED_WHEN_SYNCED) || w.ends_with(INHERITED_NOT_SYNCED))
    }

    /// Whether CIC's last word on this object has not reached Genesys Cloud: a change not
    /// Synced, or a removal of a linked object not applied yet.
    pub fn unfinished(&self) -> bool {
        match self.has_source() {
            true => self.status.state != SyncState::Synced,
            false => self.status.genesys_id.is_some() && !self.status.removed,
        }
    }
}

/// Which overview bucket a status counts in.
fn bucket(s: &ObjectStatus) -> usize {
    match (s.removed, s.state) {
        (true, _) => 3,
        (_, SyncState::Synced) => 0,
        (_, SyncState::Error) => 1,
        (_, SyncState::NotSynced) => 2,
    }
}

/// Counts of objects per state, as the overview shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Synced and not removed.
    pub synced: u64,
    /// In Error and not removed.
    pub error: u64,
    /// Not synced and not removed.
    pub not_synced: u64,
    /// Removed in CIC.
    pub removed: u64,
}

impl Counts {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &Counts) {
        self.synced += o.synced;
        self.error += o.error;
        self.not_synced += o.not_synced;
        self.removed += o.removed;
    }
}

const KINDS: usize = crate::object::GcsyncObjectKind::ALL.len();

/// The table. Locks are held for map operations only, never across I/O; queries take the
/// lock shared, so they never wait for each other, only for the workers' short updates. A
/// status query reads the [`status_index::StatusIndex`] instead, and never waits for them.
#[derive(Default)]
pub struct ObjectTable {
    /// Boxed: a bucket of the map is then a key and a pointer, not a 400-byte record, so the
    /// map the start fills is a fraction of the memory it first touches.
    rows: RwLock<HashMap<ObjectKey, Box<Record>>>,
    /// Per kind (by [`crate::object::GcsyncObjectKind::index`]) and bucket.
    counts: [[AtomicU64; 4]; KINDS],
    /// What [`Record::status_shown`] says of each record, kept as records change.
    statuses: status_index::StatusIndex,
}

impl ObjectTable {
    /// A table holding `rows` (loaded from the store).
    pub fn new(rows: HashMap<ObjectKey, Box<Record>>) -> ObjectTable {
        // The status index is filled after start (`fill_status_index`): building it here
        // took a third of `gcsync_init`'s time at 10 000 stored objects.
        let mut t = ObjectTable {
            statuses: match rows.is_empty() {
                true => status_index::StatusIndex::default(),
                false => status_index::StatusIndex::incomplete(),
            },
            ..ObjectTable::default()
        };
        for (k, r) in &rows {
            t.counts[k.kind.index()][bucket(&r.status)].fetch_add(1, Ordering::Relaxed);
        }
        *t.rows.get_mut().unwrap_or_else(|p| p.into_inner()) = rows;
        t
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<ObjectKey, Box<Record>>> {
        self.rows.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<ObjectKey, Box<Record>>> {
        self.rows.write().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of one record (decoded after the lock is let go).
    pub fn get(&self, key: &ObjectKey) -> Option<Record> {
        let copy = self.read().get(key).map(|r| Record::clone(r));
        copy.map(|r| r.decoded(key.kind))
    }

    /// One record's status.
    pub fn status(&self, key: &ObjectKey) -> Option<ObjectStatus> {
        self.indexed_status(key).map(Arc::unwrap_or_clone)
    }

    /// Runs `f` on one record's status (or `None`), from the status index: neither waits for
    /// a writer of the table nor holds a lock while `f` runs (once the index is filled after
    /// start; before, a record not in it yet is read from the table).
    pub fn with_status<R>(&self, key: &ObjectKey, f: impl FnOnce(Option<&ObjectStatus>) -> R) -> R {
        f(self.indexed_status(key).as_deref())
    }

    /// The status of `key` from the index, or from the table while the index is not filled.
    fn indexed_status(&self, key: &ObjectKey) -> Option<Arc<ObjectStatus>> {
        match self.statuses.get(key) {
            Some(s) => Some(s),
            None if !self.statuses.is_complete() => self
                .read()
                .get(key)
                .map(|r| Arc::new(r.status_shown().into_owned())),
            None => None,
        }
    }

    /// Fills the status index with the records loaded at start, a chunk at a time under the
    /// table's read lock (a worker's update waits for one chunk at most), and stops early when
    /// `stop` says so (a shutdown right after the start: the table then keeps answering for
    /// the index). Run by a background thread after `gcsync_init` returned.
    pub fn fill_status_index(&self, stop: impl Fn() -> bool) {
        if self.statuses.is_complete() {
            return;
        }
        let keys: Vec<ObjectKey> = self.read().keys().cloned().collect();
        for chunk in keys.chunks(512) {
            if stop() {
                return;
            }
            let g = self.read();
            for k in chunk {
                if let Some(r) = g.get(k) {
                    self.statuses
                        .insert_absent(k, || r.status_shown().into_owned());
                }
            }
        }
        self.statuses.set_complete();
    }

    /// Runs `f` on one record (or `None`) under the table's lock, copying nothing; `f` must be
    /// quick and take no other lock.
    /// A record kept as text is copied and decoded after the lock is let go.
    pub fn with_record<R>(&self, key: &ObjectKey, f: impl FnOnce(Option<&Record>) -> R) -> R {
        let g = self.read();
        match g.get(key) {
            Some(r) if r.texts.is_some() => {
                let copy = Record::clone(r);
                drop(g);
                f(Some(&copy.decoded(key.kind)))
            }
            r => f(r.map(|r| &**r)),
        }
    }

    /// Changes one record (created empty if absent) and returns a copy of the result, keeping
    /// the counts right.
    pub fn update(&self, key: &ObjectKey, f: impl FnOnce(&mut Record)) -> Record {
        let mut copy = None;
        self.change(key, |r| {
            f(r);
            copy = Some(Record::clone(r));
        });
        copy.unwrap_or_default()
    }

    /// [`ObjectTable::update`] without a copy of the record for the caller (most callers only
    /// change a field: the copy and its drop were 4 % of an initial sync's instructions).
    pub fn change(&self, key: &ObjectKey, f: impl FnOnce(&mut Record)) {
        // A record kept as text is decoded before the write lock is taken (decoding a user
        // takes microseconds that every query would wait for), from a copy taken under the
        // read lock; the decoded copy is used if the row is still what was copied.
        let copied = self
            .read()
            .get(key)
            .filter(|r| r.texts.is_some())
            .map(|r| Record::clone(r));
        let predecoded = copied.map(|c| (c.clone().decoded(key.kind), c));
        let mut g = self.write();
        let (before, rec) = match g.get_mut(key) {
            Some(r) => (Some(bucket(&r.status)), r),
            None => (None, g.entry(key.clone()).or_default()),
        };
        let mut replaced = None;
        if let Some((decoded, copy)) = predecoded {
            if **rec == copy {
                replaced = Some(std::mem::replace(&mut **rec, decoded));
            }
        }
        rec.decode(key.kind);
        f(rec);
        let after = bucket(&rec.status);
        // Decoded, so what it shows is its status. Under the write lock: two updates of one
        // object reach the index in the order they were made.
        self.statuses.set(key, &rec.status);
        drop(g);
        // The text form is freed after the lock is let go.
        drop(replaced);
        if before != Some(after) {
            let counts = &self.counts[key.kind.index()];
            if let Some(b) = before {
                counts[b].fetch_sub(1, Ordering::Relaxed);
            }
            counts[after].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counts per state of one kind, without locking the table.
    pub fn kind_counts(&self, kind: crate::object::GcsyncObjectKind) -> Counts {
        let c = |i: usize| self.counts[kind.index()][i].load(Ordering::Relaxed);
        Counts {
            synced: c(0),
            error: c(1),
            not_synced: c(2),
            removed: c(3),
        }
    }

    /// The counts per state of every kind together, without locking the table.
    pub fn counts(&self) -> Counts {
        let mut total = Counts::default();
        for kind in crate::object::GcsyncObjectKind::ALL {
            total.add(&self.kind_counts(kind));
        }
        total
    }

    /// Keeps one record's `source` and `applied` as text again once a worker is done with it,
    /// if the record is still `done` (a decoded copy; nothing changed it since): returns `done`
    /// kept as the same text, for the writer (which then writes the text as it is). Returns
    /// `done` as it is when the record changed or cannot be encoded.
    pub fn compact(&self, key: &ObjectKey, mut done: Record) -> Record {
        if done.texts.is_some() || !kept_as_text(key.kind) {
            return done;
        }
        let (source, applied) = (done.source.as_deref(), done.applied.as_ref());
        let Ok(texts) = Texts::encode(source, applied, &done.status.warnings) else {
            return done;
        };
        let mut g = self.write();
        if let Some(r) = g.get_mut(key).filter(|r| ***r == done) {
            r.keep_as(texts.clone());
            drop(g);
            done.keep_as(texts);
        }
        done
    }
}

#[cfg(test)]
mod tests;
