//! The queue's side toward the writer and the worker's planning: sequence numbers, the
//! accepted changes not yet durable, the next waiting changes, and the writer's wakeups.

use super::waiting::Accepted;
use super::{Change, Pending, Unsaved, WorkQueue, PEEK_SCAN};
use crate::object::ObjectKey;
use crossbeam_channel::Receiver;
use std::collections::HashMap;
use std::sync::Arc;

/// What accepting a change replaced (older changes of the object), kept to be freed once the
/// queue's lock is let go: the last reference to an older change frees a whole CIC object.
#[derive(Default)]
pub(super) struct Replaced {
    pub(super) accepted: Option<Accepted>,
    pub(super) pending: Option<Arc<Change>>,
    pub(super) unsaved: Option<(ObjectKey, Arc<Change>)>,
}

/// Sets an object's unsaved change, handing back what it replaced (key included: freeing them
/// is left to the caller).
pub(super) fn unsaved_insert(
    unsaved: &mut HashMap<ObjectKey, (u64, Arc<Change>)>,
    key: ObjectKey,
    v: (u64, Arc<Change>),
) -> Option<(ObjectKey, Arc<Change>)> {
    match unsaved.get_mut(&key) {
        Some(slot) => Some((key, std::mem::replace(slot, v).1)),
        None => {
            unsaved.insert(key, v);
            None
        }
    }
}

impl WorkQueue {
    /// Takes, without waiting, up to `max` of the first waiting changes `want` selects (among
    /// the first [`PEEK_SCAN`] × `max` waiting, as [`WorkQueue::peek_waiting`]), for worker
    /// `slot` to handle in one batch with the one it took (e.g. forced checks read 100 users a
    /// call). Each is held and reported on like one from [`WorkQueue::next`]; its key left on a
    /// channel is skipped when it comes up. `want` runs under the queue's lock.
    pub fn take_waiting(
        &self,
        slot: usize,
        max: usize,
        want: impl Fn(&ObjectKey, &Change) -> bool,
    ) -> Vec<(ObjectKey, Pending)> {
        if max == 0 {
            return Vec::new();
        }
        // Chosen and taken under one hold of the lock, so workers batching at the same time
        // never split a batch between them.
        let mut g = self.lock();
        let keys: Vec<ObjectKey> = g
            .pending
            .in_order()
            .take(max.saturating_mul(PEEK_SCAN))
            .filter(|(k, p)| !g.in_flight.contains_key(*k) && want(k, &p.change))
            .take(max)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(p) = g.pending.remove(&key) {
                g.in_flight.insert(key.clone(), slot);
                g.settling += 1;
                out.push((key, p));
            }
        }
        out
    }

    /// The last sequence number given to an accepted change.
    pub fn accepted_seq(&self) -> u64 {
        self.lock().seq
    }

    /// Takes every accepted change not yet handed to the writer, oldest first, and the sequence
    /// number up to which everything accepted is in this batch or an earlier one.
    ///
    /// Oldest first matters for the bytes written: a new object's row is numbered (its rowid)
    /// in the order the writer inserts it, and the workers take objects in the order they were
    /// accepted, so rows synced one after the other share pages and a commit of a few outcomes
    /// rewrites a few pages (in hash-map order, every outcome rewrote a page of its own).
    pub fn take_unsaved(&self) -> (Vec<Unsaved>, u64) {
        // The map the hooks fill next is the one the last call emptied, with its capacity: a
        // hook never grows (rehashes) a fresh map under the queue's lock after each commit, and
        // the lock is held for a swap only.
        let mut spare = self.spare_unsaved.lock().unwrap_or_else(|p| p.into_inner());
        let mut g = self.lock();
        std::mem::swap(&mut g.unsaved, &mut *spare);
        let upto = g.seq;
        drop(g);
        let mut v: Vec<Unsaved> = spare.drain().map(|(k, (s, c))| (k, s, c)).collect();
        // Keep room for a burst like this one, not for the largest ever seen.
        if spare.capacity() > 4 * v.len().max(1024) {
            spare.shrink_to(v.len());
        }
        drop(spare);
        v.sort_unstable_by_key(|(_, seq, _)| *seq);
        (v, upto)
    }

    /// The first `n` changes waiting for the workers that `want` selects, in the order the
    /// workers take them (the order in which the objects became waiting), to plan ahead with.
    /// `want` runs under the queue's lock: keep it to in-memory lookups. Reads at most
    /// [`PEEK_SCAN`] × `n` waiting changes from the front, so the lock is held for a time
    /// bounded by `n`, not by how many objects wait.
    pub fn peek_waiting(
        &self,
        n: usize,
        want: impl Fn(&ObjectKey, &Change) -> bool,
    ) -> Vec<(ObjectKey, Arc<Change>)> {
        let g = self.lock();
        g.pending
            .in_order()
            .take(n.saturating_mul(PEEK_SCAN))
            .filter(|(k, p)| want(k, &p.change))
            .take(n)
            .map(|(k, p)| (k.clone(), p.change.clone()))
            .collect()
    }

    /// Whether accepted changes wait for the writer.
    pub fn has_unsaved(&self) -> bool {
        !self.lock().unsaved.is_empty()
    }

    /// The channel on which hooks wake the writer.
    pub fn writer_wakeups(&self) -> Receiver<()> {
        self.wake_writer.1.clone()
    }

    /// Wakes the writer (a flush was requested).
    pub fn wake_writer(&self) {
        let _ = self.wake_writer.0.try_send(());
    }
}
