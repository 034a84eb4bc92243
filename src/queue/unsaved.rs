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

    /// Lets go of the room the maps of unsaved changes keep for a burst, when no change
    /// waits (after a flood both hold room for its batches: about 0.8 MB each at 10 000
    /// objects). The empty maps are freed after the queue's lock is let go.
    pub fn release_unsaved_room(&self) {
        let mut spare = self.spare_unsaved.lock().unwrap_or_else(|p| p.into_inner());
        let old_spare = std::mem::take(&mut *spare);
        let mut g = self.lock();
        let old = match g.unsaved.is_empty() {
            true => std::mem::take(&mut g.unsaved),
            false => Default::default(),
        };
        drop(g);
        drop(spare);
        drop((old, old_spare));
    }

    /// [`WorkQueue::take_unsaved`] into the writer's `intake`: each change is encoded as it is
    /// drained, with no list of the taken changes in between, then the taken ones are put in
    /// order. Returns the sequence number up to which everything accepted is taken.
    pub fn take_unsaved_into(&self, intake: &mut crate::store::Intake) -> u64 {
        let mut spare = self.spare_unsaved.lock().unwrap_or_else(|p| p.into_inner());
        let mut g = self.lock();
        std::mem::swap(&mut g.unsaved, &mut *spare);
        let upto = g.seq;
        drop(g);
        let (from, n) = (intake.encoded(), spare.len());
        for (key, (seq, change)) in spare.drain() {
            intake.push(key, seq, change);
        }
        if spare.capacity() > 4 * n.max(1024) {
            spare.shrink_to(n);
        }
        drop(spare);
        intake.sort_from(from);
        upto
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

#[cfg(test)]
mod tests {
    use super::super::tests::user;
    use super::super::{Priority, WorkQueue};
    use crate::object::ObjectKey;

    fn flood(q: &WorkQueue, ids: std::ops::Range<usize>) {
        for i in ids {
            let id = format!("u{i}");
            q.enqueue(ObjectKey::user(&id), user(&id, "x"), Priority::Normal)
                .unwrap();
        }
    }

    #[test]
    fn the_room_kept_for_a_flood_is_let_go_when_nothing_waits_and_no_change_is_lost() {
        let q = WorkQueue::new(20_000, 0);
        flood(&q, 0..5000);
        assert_eq!(q.take_unsaved().0.len(), 5000);
        flood(&q, 5000..10_000);
        // The map the first take emptied now takes the hooks' changes: both hold room.
        assert_eq!(q.take_unsaved().0.len(), 5000);
        assert!(q.spare_unsaved.lock().unwrap().capacity() >= 5000);
        assert!(q.lock().unsaved.capacity() >= 5000);
        q.enqueue(ObjectKey::user("late"), user("late", "y"), Priority::Normal)
            .unwrap();
        q.release_unsaved_room();
        assert_eq!(q.spare_unsaved.lock().unwrap().capacity(), 0);
        assert!(
            q.lock().unsaved.capacity() >= 5000,
            "a waiting change keeps its map"
        );
        let (taken, upto) = q.take_unsaved();
        assert_eq!(taken.len(), 1, "the waiting change is still taken");
        assert_eq!(
            (taken[0].0.id.as_str(), taken[0].1, upto),
            ("late", 10_001, 10_001)
        );
        q.release_unsaved_room();
        assert_eq!(q.spare_unsaved.lock().unwrap().capacity(), 0);
        assert_eq!(q.lock().unsaved.capacity(), 0);
        assert!(!q.has_unsaved());
    }

    #[test]
    fn the_writer_s_take_encodes_every_waiting_change_once_oldest_first() {
        let q = WorkQueue::new(100, 0);
        for (id, name) in [("c", "1"), ("a", "1"), ("b", "1"), ("c", "2"), ("a", "2")] {
            q.enqueue(ObjectKey::user(id), user(id, name), Priority::Normal)
                .unwrap();
        }
        let mut intake = crate::store::Intake::default();
        assert_eq!(q.take_unsaved_into(&mut intake), 5);
        let rows: Vec<(String, u64)> = intake.rows().map(|(k, s, _)| (k.id.clone(), s)).collect();
        let want = [("b", 3), ("c", 4), ("a", 5)].map(|(k, s)| (k.to_string(), s));
        assert_eq!(rows, want, "one per object, the latest, oldest first");
        let text = intake.rows().last().unwrap().2;
        assert!(std::str::from_utf8(text)
            .unwrap()
            .contains(r#""display_name":"2""#));
        // A later take appends after what a failed commit kept.
        q.enqueue(ObjectKey::user("d"), user("d", "1"), Priority::Normal)
            .unwrap();
        assert_eq!(q.take_unsaved_into(&mut intake), 6);
        assert_eq!(
            intake.rows().map(|(_, s, _)| s).collect::<Vec<_>>(),
            [3, 4, 5, 6]
        );
        assert_eq!(q.take_unsaved_into(&mut intake), 6);
        assert_eq!(intake.len(), 4, "nothing taken twice");
    }
}
