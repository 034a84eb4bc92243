//! Objects waiting for a retry time, with their times in order, and what each object last
//! accepted.

use super::{Change, Pending};
use crate::kinds::CicObject;
use crate::object::ObjectKey;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an object last accepted: a change, or (loaded at start) the CIC object it synced with,
/// shared with the object table's record rather than copied.
#[derive(Clone)]
pub(super) enum Accepted {
    Change(Arc<Change>),
    Synced(Arc<CicObject>),
    /// Synced with the CIC object whose store encoding is this text (shared with the object
    /// table's record, which keeps it as text).
    Stored(crate::objects::SharedText),
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
            (
                Accepted::Stored(text),
                Change::Upsert {
                    object,
                    force: false,
                },
            ) => object.encodes_as(text.bytes()),
            (Accepted::Synced(_) | Accepted::Stored(_), _) => false,
        }
    }

    /// Whether `other` is this very value (the same allocation), not merely an equal one.
    pub(super) fn same(&self, other: &Accepted) -> bool {
        match (self, other) {
            (Accepted::Change(a), Accepted::Change(b)) => Arc::ptr_eq(a, b),
            (Accepted::Synced(a), Accepted::Synced(b)) => Arc::ptr_eq(a, b),
            (Accepted::Stored(a), Accepted::Stored(b)) => a.same(b),
            _ => false,
        }
    }
}

/// What the queue remembers of an object's accepted changes: the last one (`None` once
/// forgotten, or after it failed: the same change is then accepted again) and the sequence
/// number of the last change accepted in this process (0: none).
#[derive(Default)]
pub(super) struct Last {
    pub(super) what: Option<Accepted>,
    pub(super) seq: u64,
}

/// Waiting changes by object, and their keys in the order each object became waiting: the
/// order of the channels the workers take keys from, so planning ahead
/// ([`super::WorkQueue::peek_waiting`]) reads the next few without scanning every waiting
/// change under the queue's lock.
#[derive(Default)]
pub(super) struct Waiting {
    by_key: super::KeyMap<(u64, Pending)>,
    order: BTreeMap<u64, ObjectKey>,
    arrivals: u64,
}

impl Waiting {
    pub(super) fn len(&self) -> usize {
        self.by_key.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub(super) fn contains_key(&self, key: &ObjectKey) -> bool {
        self.by_key.contains_key(key)
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &ObjectKey> {
        self.by_key.keys()
    }

    pub(super) fn get(&self, key: &ObjectKey) -> Option<&Pending> {
        self.by_key.get(key).map(|(_, p)| p)
    }

    pub(super) fn get_mut(&mut self, key: &ObjectKey) -> Option<&mut Pending> {
        self.by_key.get_mut(key).map(|(_, p)| p)
    }

    /// Adds an object at the back of the order (an object already waiting keeps its place and
    /// takes the new change).
    pub(super) fn insert(&mut self, key: ObjectKey, p: Pending) {
        if let Some(slot) = self.by_key.get_mut(&key) {
            slot.1 = p;
            return;
        }
        self.arrivals += 1;
        self.order.insert(self.arrivals, key.clone());
        self.by_key.insert(key, (self.arrivals, p));
    }

    /// [`Waiting::insert`] of an object known not to wait (one look-up less).
    pub(super) fn insert_new(&mut self, key: ObjectKey, p: Pending) {
        debug_assert!(!self.by_key.contains_key(&key));
        self.arrivals += 1;
        self.order.insert(self.arrivals, key.clone());
        self.by_key.insert(key, (self.arrivals, p));
    }

    pub(super) fn remove(&mut self, key: &ObjectKey) -> Option<Pending> {
        let (arrival, p) = self.by_key.remove(key)?;
        self.order.remove(&arrival);
        Some(p)
    }

    /// Waiting objects in the order they became waiting, oldest first.
    pub(super) fn in_order(&self) -> impl Iterator<Item = (&ObjectKey, &Pending)> {
        self.order
            .values()
            .filter_map(|k| self.by_key.get(k).map(|(_, p)| (k, p)))
    }
}
