//! Every object's admin-visible status beside the table, in stripes by key hash, each under its
//! own lock: `gcsync_object_status` reads one stripe and never waits for a worker that holds the
//! table's write lock (a worker's update can take microseconds: decoding a user kept as text,
//! the change itself), only, rarely, for the swap of one `Arc` in its own stripe.
//!
//! The table writes a record's status here, while it still holds its write lock, whenever an
//! update changes what [`super::Record::status_shown`] says, so the index always holds exactly
//! what the table's records show (two updates of one object cannot land out of order).

use crate::object::ObjectKey;
use crate::status::ObjectStatus;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

const STRIPES: usize = 64;

type Map = HashMap<ObjectKey, Arc<ObjectStatus>, foldhash::fast::RandomState>;

/// One stripe on its own cache lines, so readers of different stripes share no line.
#[repr(align(128))]
#[derive(Default)]
struct Stripe(RwLock<Map>);

/// The statuses, by key.
pub struct StatusIndex {
    /// Picks the stripe (a seed of its own, so a stripe's keys spread over its map).
    pick: foldhash::fast::FixedState,
    stripes: Box<[Stripe]>,
    /// Whether every record of the table has its status here. A table loaded at start fills
    /// its index after `gcsync_init` returned ([`super::ObjectTable::fill_status_index`]);
    /// until then a status missing here is read from the table.
    complete: AtomicBool,
}

impl Default for StatusIndex {
    fn default() -> Self {
        StatusIndex {
            pick: foldhash::fast::FixedState::with_seed(0x5eed_57a7_u64),
            stripes: (0..STRIPES).map(|_| Stripe::default()).collect(),
            complete: AtomicBool::new(true),
        }
    }
}

impl StatusIndex {
    fn stripe(&self, key: &ObjectKey) -> &RwLock<Map> {
        &self.stripes[(self.pick.hash_one(key) % STRIPES as u64) as usize].0
    }

    fn read(&self, key: &ObjectKey) -> RwLockReadGuard<'_, Map> {
        self.stripe(key).read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, key: &ObjectKey) -> RwLockWriteGuard<'_, Map> {
        self.stripe(key).write().unwrap_or_else(|p| p.into_inner())
    }

    /// An empty index that the table's loaded records are still to fill.
    pub fn incomplete() -> Self {
        let index = StatusIndex::default();
        index.complete.store(false, Ordering::Relaxed);
        index
    }

    /// Whether every record of the table has its status here.
    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    /// Marks the index complete (the fill is done).
    pub fn set_complete(&self) {
        self.complete.store(true, Ordering::Release);
    }

    /// Records `status` for `key` unless the index has one already (the fill: an update made
    /// since the start recorded a newer one; the caller holds the table's read lock, so no
    /// update of `key` runs meanwhile).
    pub fn insert_absent(&self, key: &ObjectKey, status: impl FnOnce() -> ObjectStatus) {
        if self.read(key).contains_key(key) {
            return;
        }
        let mut g = self.write(key);
        if !g.contains_key(key) {
            g.insert(key.clone(), Arc::new(status()));
        }
    }

    /// The status of `key` (`None`: no such object), holding its stripe's lock for a lookup
    /// and one reference count only.
    pub fn get(&self, key: &ObjectKey) -> Option<Arc<ObjectStatus>> {
        self.read(key).get(key).cloned()
    }

    /// Records `status` for `key` unless it is what the index holds already (most updates of a
    /// record leave its status alone: no allocation then). What it replaces is freed after the
    /// stripe's lock is let go.
    pub fn set(&self, key: &ObjectKey, status: &ObjectStatus) {
        if self.read(key).get(key).is_some_and(|s| **s == *status) {
            return;
        }
        let new = Arc::new(status.clone());
        let mut g = self.write(key);
        let old = match g.get_mut(key) {
            Some(s) => Some(std::mem::replace(s, new)),
            None => g.insert(key.clone(), new),
        };
        drop(g);
        drop(old);
    }

    /// How many objects the index holds (tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.stripes
            .iter()
            .map(|s| s.0.read().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }
}
