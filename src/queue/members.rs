//! Which objects the queue holds (waiting, waiting for a retry time, or in flight), readable
//! without the queue's lock: `is_pending` (the status queries, the full sync) neither waits for
//! a holder of the lock (a below-normal writer preempted while it applies the hooks' inbox,
//! say) nor delays one.
//!
//! Only holders of the lock write it; readers take no lock. An object enters when a change
//! of it starts waiting while no worker holds it (`accept`, `restore`) and leaves when its
//! worker finishes with nothing newer waiting (`finish`): every other move is between the maps
//! (waiting → in flight → waiting or delayed → waiting) and keeps it a member. Slots hold a
//! 64-bit fingerprint of the key (0: empty), found within a window of [`WINDOW`] slots from
//! the key's place; a reader looks at the whole window, so a slot emptied by a removal never
//! hides another key. The table is kept at most a quarter full: when members pass that, the
//! holder builds a table twice the size from the maps and publishes it. A reader that loaded
//! the old table still reads a consistent set (the one at the moment of the swap); old tables
//! are kept until the queue is dropped (their total is below the current one's size). Two
//! keys share a fingerprint with a chance of 2^-64; a full window (practically never at a
//! quarter full) counts in `overflow`, and while it is non-zero a key not found is looked up
//! under the lock.

use super::Inner;
use crate::object::ObjectKey;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

const WINDOW: usize = 16;
const FIRST_SLOTS: usize = 1 << 12;

/// One table of fingerprints.
struct Table {
    slots: Box<[AtomicU64]>,
}

impl Table {
    fn new(n: usize) -> Box<Table> {
        Box::new(Table {
            slots: (0..n).map(|_| AtomicU64::new(0)).collect(),
        })
    }
}

/// The readers' side: the current table and the overflow count.
pub(super) struct Members {
    current: AtomicPtr<Table>,
    overflow: AtomicUsize,
    hasher: foldhash::fast::FixedState,
}

/// The writers' side, owned by the queue's locked state: every table made (the last one is
/// current) and how many keys the current one holds.
#[derive(Default)]
pub(super) struct Tables {
    // Boxed: readers hold a pointer to a table, which must not move when the `Vec` grows.
    #[allow(clippy::vec_box)]
    all: Vec<Box<Table>>,
    members: usize,
    overflowed: Vec<ObjectKey>,
}

impl Default for Members {
    fn default() -> Members {
        Members {
            current: AtomicPtr::new(std::ptr::null_mut()),
            overflow: AtomicUsize::new(0),
            hasher: foldhash::fast::FixedState::with_seed(0x243f_6a88_85a3_08d3),
        }
    }
}

impl Members {
    /// The key's first slot in a table of `n` slots, and its fingerprint (never 0).
    fn place(&self, key: &ObjectKey, n: usize) -> (usize, u64) {
        let h = self.hasher.hash_one(key);
        (h as usize % n, h.max(1))
    }

    fn table(&self) -> Option<&Table> {
        // SAFETY: a non-null pointer is to a table in `Tables::all`, which only grows and is
        // dropped with the queue, after every borrow of it (readers borrow the queue).
        unsafe { self.current.load(Ordering::SeqCst).as_ref() }
    }

    /// Whether `key` is a member: `None` when it is not found while some key overflowed (then
    /// only the maps can tell).
    pub(super) fn contains(&self, key: &ObjectKey) -> Option<bool> {
        let Some(t) = self.table() else {
            return Some(false);
        };
        let n = t.slots.len();
        let (first, fp) = self.place(key, n);
        let found = (0..WINDOW).any(|i| t.slots[(first + i) % n].load(Ordering::SeqCst) == fp);
        match found || self.overflow.load(Ordering::SeqCst) == 0 {
            true => Some(found),
            false => None,
        }
    }

    /// `key` became a member (under the queue's lock; not a member before).
    pub(super) fn add(&self, tables: &mut Tables, key: &ObjectKey) {
        if tables.all.is_empty() {
            self.publish(tables, Table::new(FIRST_SLOTS));
        }
        tables.members += 1;
        if !self.put(tables, key) {
            tables.overflowed.push(key.clone());
            self.overflow
                .store(tables.overflowed.len(), Ordering::SeqCst);
        }
    }

    fn put(&self, tables: &Tables, key: &ObjectKey) -> bool {
        let t = tables.all.last().expect("a table");
        let n = t.slots.len();
        let (first, fp) = self.place(key, n);
        for i in 0..WINDOW {
            let slot = &t.slots[(first + i) % n];
            if slot.load(Ordering::SeqCst) == 0 {
                slot.store(fp, Ordering::SeqCst);
                return true;
            }
        }
        false
    }

    /// `key` is no longer a member (under the queue's lock).
    pub(super) fn remove(&self, tables: &mut Tables, key: &ObjectKey) {
        tables.members = tables.members.saturating_sub(1);
        if let Some(at) = tables.overflowed.iter().position(|k| k == key) {
            tables.overflowed.swap_remove(at);
            self.overflow
                .store(tables.overflowed.len(), Ordering::SeqCst);
            return;
        }
        let Some(t) = tables.all.last() else {
            return;
        };
        let n = t.slots.len();
        let (first, fp) = self.place(key, n);
        for i in 0..WINDOW {
            let slot = &t.slots[(first + i) % n];
            if slot.load(Ordering::SeqCst) == fp {
                slot.store(0, Ordering::SeqCst);
                return;
            }
        }
    }

    /// After a holder's changes (the lock still held): a table more than a quarter full, or
    /// one with overflowed keys, is rebuilt twice as large from the maps.
    pub(super) fn grow_if_needed(&self, g: &mut Inner) {
        let n = g.members.all.last().map_or(0, |t| t.slots.len());
        if g.members.members * 4 <= n && g.members.overflowed.is_empty() {
            return;
        }
        let mut size = n.max(FIRST_SLOTS);
        while g.members.members * 4 > size {
            size *= 2;
        }
        if !g.members.overflowed.is_empty() && size == n {
            size *= 2;
        }
        let t = Table::new(size);
        let mut tables = std::mem::take(&mut g.members);
        let keys = g
            .pending
            .keys()
            .chain(g.delayed.keys())
            .chain(g.in_flight.keys());
        let mut members = 0;
        let mut overflowed = Vec::new();
        for key in keys {
            // In more than one map only in passing (never between two holds of the lock).
            members += 1;
            let (first, fp) = self.place(key, size);
            let free = (0..WINDOW)
                .map(|i| &t.slots[(first + i) % size])
                .find(|s| s.load(Ordering::Relaxed) == 0);
            match free {
                Some(s) => s.store(fp, Ordering::Relaxed),
                None => overflowed.push(key.clone()),
            }
        }
        tables.members = members;
        tables.overflowed = overflowed;
        self.publish(&mut tables, t);
        self.overflow
            .store(tables.overflowed.len(), Ordering::SeqCst);
        g.members = tables;
    }

    fn publish(&self, tables: &mut Tables, t: Box<Table>) {
        let p: *const Table = &*t;
        tables.all.push(t);
        self.current.store(p.cast_mut(), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::user;
    use super::super::{Priority, WorkQueue};
    use crate::object::ObjectKey;
    use std::time::Duration;

    #[test]
    fn members_follow_the_maps_through_growth_and_leave_only_when_finished() {
        let q = WorkQueue::with_workers(100_000, 0, 2);
        let key = |i: usize| ObjectKey::user(format!("u{i}"));
        for i in 0..20_000 {
            q.enqueue(key(i), user(&format!("u{i}"), "x"), Priority::Normal)
                .unwrap();
        }
        let slots = q.members.table().unwrap().slots.len();
        assert!(slots >= 4 * 20_000, "grown to {slots} slots");
        assert!((0..20_000).all(|i| q.members.contains(&key(i)) == Some(true)));
        assert_eq!(q.members.contains(&key(20_000)), Some(false));
        // Taken, deferred, taken again: still a member; finished: gone.
        let (k, p) = q.next(0, Duration::from_millis(10)).unwrap();
        assert_eq!(q.members.contains(&k), Some(true));
        q.defer(k.clone(), p, std::time::Instant::now());
        assert_eq!(q.members.contains(&k), Some(true));
        let (k2, _) = q.next(1, Duration::from_millis(10)).unwrap();
        q.finish(&k2, true);
        assert_eq!(q.members.contains(&k2), Some(false));
        assert!(!q.is_pending(&k2));
        // A change accepted while its object is in flight keeps it a member after finish.
        let (k3, _) = q.next(1, Duration::from_millis(10)).unwrap();
        q.enqueue(k3.clone(), user(&k3.id, "newer"), Priority::Normal)
            .unwrap();
        q.finish(&k3, true);
        assert_eq!(q.members.contains(&k3), Some(true));
        let g = q.lock();
        assert_eq!(g.members.members, g.pending.len() + g.delayed.len());
        assert!(g.members.overflowed.is_empty());
    }
}
