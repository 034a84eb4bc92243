//! Objects waiting for a retry time, with their times in order, and what each object last
//! accepted.

use super::{Change, Pending};
use crate::kinds::CicObject;
use crate::object::ObjectKey;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// Objects waiting for a retry time, with their times in order. An object leaving early (a new
/// change arrived, or a retry now) takes its time with it, so the set never holds more entries
/// than objects: a heap of times with stale entries grew by one per failed attempt while the
/// cloud was down.
#[derive(Default)]
pub(super) struct Delayed {
    by_key: HashMap<ObjectKey, ((Instant, u64), Pending)>,
    due: BTreeMap<(Instant, u64), ObjectKey>,
    tickets: u64,
}

impl Delayed {
    pub(super) fn len(&self) -> usize {
        self.by_key.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub(super) fn contains_key(&self, key: &ObjectKey) -> bool {
        self.by_key.contains_key(key)
    }

    /// How many retry times are kept (one per object; for tests).
    #[cfg(test)]
    pub(super) fn times(&self) -> usize {
        self.due.len()
    }

    /// Parks an object until `at` (replacing a time it already had).
    pub(super) fn insert(&mut self, key: ObjectKey, at: Instant, p: Pending) {
        self.remove(&key);
        self.tickets += 1;
        let slot = (at, self.tickets);
        self.due.insert(slot, key.clone());
        self.by_key.insert(key, (slot, p));
    }

    pub(super) fn remove(&mut self, key: &ObjectKey) -> Option<Pending> {
        let (slot, p) = self.by_key.remove(key)?;
        self.due.remove(&slot);
        Some(p)
    }

    /// The earliest object due at `now` or before, taken out.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<(ObjectKey, Pending)> {
        let (&slot, _) = self
            .due
            .first_key_value()
            .filter(|((at, _), _)| *at <= now)?;
        let key = self.due.remove(&slot)?;
        let (_, p) = self.by_key.remove(&key)?;
        Some((key, p))
    }

    /// When the earliest object is due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.due.first_key_value().map(|((at, _), _)| *at)
    }

    /// Every object, taken out.
    pub(super) fn take_all(&mut self) -> Vec<(ObjectKey, Pending)> {
        self.due.clear();
        self.by_key.drain().map(|(k, (_, p))| (k, p)).collect()
    }
}

/// What an object last accepted: a change, or (loaded at start) the CIC object it synced with,
/// shared with the object table's record rather than copied.
pub(super) enum Accepted {
    Change(Arc<Change>),
    Synced(Arc<CicObject>),
}

impl Accepted {
    /// Whether `change` asks for nothing new.
    pub(super) fn is(&self, change: &Change) -> bool {
        match (self, change) {
            (Accepted::Change(a), c) => **a == *c,
            (
                Accepted::Synced(o),
                Change::Upsert {
                    object,
                    force: false,
                },
            ) => **o == *object,
            (Accepted::Synced(_), _) => false,
        }
    }
}
