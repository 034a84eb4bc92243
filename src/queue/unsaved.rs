//! The intake's side toward the writer: sequence numbers, the accepted changes not yet
//! durable, and the writer's wakeups.

use super::{Unsaved, WorkQueue};
use crossbeam_channel::Receiver;

impl WorkQueue {
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
