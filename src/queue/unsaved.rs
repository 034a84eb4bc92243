//! The intake's side toward the writer: sequence numbers, the accepted changes not yet
//! durable, and the writer's wakeups.

use super::{Change, KeyMap, Unsaved, WorkQueue};
use crate::object::ObjectKey;
use crate::store::{Bound, Intake, Taken};
use crossbeam_channel::Receiver;
use std::collections::VecDeque;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

/// The most changes the writer moves under one hold of the queue's lock during a flood (each
/// costs a hash-map removal: a hook waits for at most that many, about 1 µs, short enough
/// for a hook to spin rather than sleep on the lock).
const PER_TAKE: usize = 16;

/// The accepted changes the writer has not taken yet: one per object (the latest), and the
/// objects in the order they got their oldest change not taken yet, so the writer takes them
/// oldest first a chunk at a time and knows up to where everything accepted is taken.
#[derive(Default)]
pub(super) struct UnsavedChanges {
    map: KeyMap<(u64, Arc<Change>)>,
    /// The sequence number of each object's oldest change not taken, and its key: increasing
    /// (an object enters at the back when it gets a change and none waits), one per object.
    order: VecDeque<(u64, ObjectKey)>,
}

impl UnsavedChanges {
    /// Sets an object's unsaved change, handing back what it replaced (key included: freeing
    /// them is left to the caller). A replaced change keeps the object's place in the order.
    pub(super) fn insert(
        &mut self,
        key: ObjectKey,
        v: (u64, Arc<Change>),
    ) -> Option<(ObjectKey, Arc<Change>)> {
        match self.map.get_mut(&key) {
            Some(slot) => Some((key, std::mem::replace(slot, v).1)),
            None => {
                self.order.push_back((v.0, key.clone()));
                self.map.insert(key, v);
                None
            }
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// Moves the `n` oldest (at most) to the back of `out`; the map's copies of their keys go
    /// to `keys`, to be freed by the caller once the queue's lock is let go.
    fn take_oldest(&mut self, n: usize, out: &mut VecDeque<Taken>, keys: &mut Vec<ObjectKey>) {
        for _ in 0..n {
            let Some((first, key)) = self.order.pop_front() else {
                break;
            };
            if let Some((copy, (seq, change))) = self.map.remove_entry(&key) {
                keys.push(copy);
                out.push_back((key, seq, first, change));
            }
        }
    }

    /// The sequence number up to which every change accepted has been taken, `last` being the
    /// last one given out.
    fn taken_upto(&self, last: u64) -> u64 {
        self.order.front().map_or(last, |(first, _)| first - 1)
    }
}

impl WorkQueue {
    /// The last sequence number given to an accepted change.
    pub fn accepted_seq(&self) -> u64 {
        self.lock().seq
    }

    /// Takes every accepted change not yet handed to the writer, oldest first, and the sequence
    /// number up to which everything accepted is taken (this batch or an earlier one).
    pub fn take_unsaved(&self) -> (Vec<Unsaved>, u64) {
        let mut out = VecDeque::new();
        self.take_some(usize::MAX, &mut out);
        let g = self.lock();
        let upto = g.unsaved.taken_upto(g.seq);
        drop(g);
        let v = out.into_iter().map(|(k, s, _, c)| (k, s, c)).collect();
        (v, upto)
    }

    /// Moves the oldest accepted changes, at most `room`, to the back of `out`. When all that
    /// wait fit, they are swapped out whole with the writer's emptied spare (the queue's lock is
    /// held for the swap only) and moved after it is let go; else (a flood) at most
    /// [`PER_TAKE`] move under the lock.
    fn take_some(&self, room: usize, out: &mut VecDeque<Taken>) {
        let mut spare = self.spare_unsaved.lock().unwrap_or_else(|p| p.into_inner());
        // Allocated before the lock is taken (a flood's holds push into it).
        let mut keys = Vec::with_capacity(PER_TAKE);
        let mut g = self.lock();
        if g.unsaved.map.len() <= room {
            std::mem::swap(&mut g.unsaved, &mut *spare);
            drop(g);
            let n = spare.map.len();
            spare.take_oldest(n, out, &mut keys);
            // Keep room for a burst like this one, not for the largest ever seen.
            if spare.map.capacity() > 4 * n.max(1024) {
                spare.map.shrink_to(n);
                spare.order.shrink_to(n);
            }
        } else {
            g.unsaved.take_oldest(PER_TAKE.min(room), out, &mut keys);
            drop(g);
        }
        drop(spare);
        drop(keys);
    }

    /// Lets go of the room the map of unsaved changes and its order keep for a burst, when no
    /// change waits (after a flood: about 1 MB at 10 000 objects). The empty ones are freed
    /// after the queue's lock is let go.
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

    /// Fills the writer's `intake` up to `bound` with the oldest accepted changes (see
    /// [`Intake::fill`]): the queue's lock is held for one swap when they fit, else to move
    /// [`PER_TAKE`] changes at a time; each is encoded after it is let go. Oldest first matters
    /// for the bytes written: a new object's row is numbered (its rowid) in the order the writer
    /// inserts it, and the workers take objects in the order they were accepted, so rows synced
    /// one after the other share pages. Returns the sequence number up to which everything accepted is in this batch or
    /// an earlier one.
    pub fn take_unsaved_into(&self, intake: &mut Intake, bound: Bound) -> u64 {
        let held = intake.fill(bound, |room, out| self.take_some(room, out));
        match held {
            Some(first) => first - 1,
            None => {
                let g = self.lock();
                g.unsaved.taken_upto(g.seq)
            }
        }
    }

    /// Whether accepted changes wait for the writer (in the queue: see also
    /// [`Intake::has_held`]).
    pub fn has_unsaved(&self) -> bool {
        !self.lock().unsaved.is_empty()
    }

    /// Whether accepted changes wait for the writer, read without the queue's lock: as the
    /// last holder of the lock left it, or in the hooks' inbox (see [`WorkQueue::park_writer`]
    /// for why that is enough for the writer).
    pub fn has_unsaved_now(&self) -> bool {
        self.depths[3].load(Ordering::SeqCst) > 0 || self.inbox.len.load(Ordering::SeqCst) > 0
    }

    /// The channel on which an accepted change wakes the writer while it is parked
    /// ([`WorkQueue::park_writer`]).
    pub fn writer_wakeups(&self) -> Receiver<()> {
        self.wake_writer.1.clone()
    }

    /// Wakes the writer whether it is parked or not (a flush was requested).
    pub fn wake_writer(&self) {
        let _ = self.wake_writer.0.try_send(());
    }

    /// The writer is about to block until a token on [`WorkQueue::writer_wakeups`]: from now
    /// on an accepted change sends one. Returns `false` (not parked) when accepted changes
    /// wait already. Either the change's hook sees the writer parked (and wakes it), or the
    /// writer sees the change here: both sides publish, then fence, then look.
    pub fn park_writer(&self) -> bool {
        self.writer_parked.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if self.has_unsaved_now() {
            self.writer_parked.store(false, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// The writer woke (by a token, a message or its timeout): accepted changes no longer
    /// wake it.
    pub fn unpark_writer(&self) {
        self.writer_parked.store(false, Ordering::Relaxed);
    }

    /// After an accepted change (its lock let go): wakes the writer if it is parked, else
    /// nothing (no system call: the writer, not parked, looks for changes itself).
    pub(super) fn wake_parked_writer(&self) {
        fence(Ordering::SeqCst);
        if self.writer_parked.load(Ordering::Relaxed)
            && self.writer_parked.swap(false, Ordering::Relaxed)
        {
            let _ = self.wake_writer.0.try_send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::user;
    use super::super::{Priority, WorkQueue};
    use crate::object::ObjectKey;
    use crate::store::{Bound, Intake};

    fn flood(q: &WorkQueue, ids: std::ops::Range<usize>) {
        for i in ids {
            let id = format!("u{i}");
            q.enqueue(ObjectKey::user(&id), user(&id, "x"), Priority::Normal)
                .unwrap();
        }
    }

    fn put(q: &WorkQueue, id: &str, name: &str) {
        q.enqueue(ObjectKey::user(id), user(id, name), Priority::Normal)
            .unwrap();
    }

    #[test]
    fn the_room_kept_for_a_flood_is_let_go_when_nothing_waits_and_no_change_is_lost() {
        let q = WorkQueue::new(20_000, 0);
        flood(&q, 0..5000);
        assert_eq!(q.take_unsaved().0.len(), 5000);
        flood(&q, 5000..10_000);
        // The set the first take emptied (the writer's spare) keeps its room for the next
        // burst; the hooks fill the other one.
        assert!(q.spare_unsaved.lock().unwrap().map.capacity() >= 5000);
        assert!(q.lock().unsaved.map.capacity() >= 5000);
        put(&q, "late", "y");
        q.release_unsaved_room();
        assert_eq!(q.spare_unsaved.lock().unwrap().map.capacity(), 0);
        assert!(
            q.lock().unsaved.map.capacity() >= 5000,
            "waiting changes keep their map"
        );
        let (taken, upto) = q.take_unsaved();
        assert_eq!(taken.len(), 5001, "the waiting changes are still taken");
        assert_eq!(
            (taken[5000].0.id.as_str(), taken[5000].1, upto),
            ("late", 10_001, 10_001)
        );
        q.release_unsaved_room();
        let (g, spare) = (q.lock(), q.spare_unsaved.lock().unwrap());
        for set in [&g.unsaved, &*spare] {
            assert_eq!((set.map.capacity(), set.order.capacity()), (0, 0));
        }
        drop((g, spare));
        assert!(!q.has_unsaved());
    }

    #[test]
    fn the_writer_s_take_encodes_every_waiting_change_once_oldest_first() {
        let q = WorkQueue::new(100, 0);
        for (id, name) in [("c", "1"), ("a", "1"), ("b", "1"), ("c", "2"), ("a", "2")] {
            put(&q, id, name);
        }
        let mut intake = Intake::default();
        assert_eq!(q.take_unsaved_into(&mut intake, Bound::DEFAULT), 5);
        let rows: Vec<(String, u64)> = intake.rows().map(|(k, s, _)| (k.id.clone(), s)).collect();
        let want = [("c", 4), ("a", 5), ("b", 3)].map(|(k, s)| (k.to_string(), s));
        assert_eq!(
            rows, want,
            "one per object, the latest, by its oldest change"
        );
        let text = intake.rows().next().unwrap().2;
        assert!(std::str::from_utf8(text)
            .unwrap()
            .contains(r#""display_name":"2""#));
        // A later take appends after what a failed commit kept.
        put(&q, "d", "1");
        assert_eq!(q.take_unsaved_into(&mut intake, Bound::DEFAULT), 6);
        assert_eq!(
            intake.rows().map(|(_, s, _)| s).collect::<Vec<_>>(),
            [4, 5, 3, 6]
        );
        assert_eq!(q.take_unsaved_into(&mut intake, Bound::DEFAULT), 6);
        assert_eq!(intake.len(), 4, "nothing taken twice");
    }

    /// A chunk taken: its rows (id, seq), its bytes and its watermark.
    type Chunk = (Vec<(String, u64)>, usize, u64);

    /// Takes chunks until none is left.
    fn chunks(q: &WorkQueue, bound: Bound) -> Vec<Chunk> {
        let mut intake = Intake::default();
        let mut out = Vec::new();
        loop {
            let upto = q.take_unsaved_into(&mut intake, bound);
            if intake.is_empty() {
                return out;
            }
            let rows = intake.rows().map(|(k, s, _)| (k.id.clone(), s)).collect();
            out.push((rows, intake.bytes(), upto));
            intake.clear(true);
        }
    }

    #[test]
    fn a_backlog_is_taken_in_chunks_within_the_bound_each_with_a_watermark_it_covers() {
        let q = WorkQueue::new(10_000, 0);
        // Names of 1 to 400 bytes: chunks end by their text as well as by their count.
        for i in 0..3000 {
            let id = format!("u{i}");
            put(&q, &id, &"n".repeat(1 + (i * 7919) % 400));
        }
        let bound = Bound {
            rows: 500,
            bytes: 64 * 1024,
        };
        let all = chunks(&q, bound);
        let (mut seen, mut by_bytes) = (Vec::new(), 0);
        for (rows, bytes, upto) in &all {
            assert!(rows.len() <= bound.rows, "{} rows", rows.len());
            assert!(
                bytes <= &bound.bytes,
                "{bytes} bytes in {} rows",
                rows.len()
            );
            by_bytes += usize::from(rows.len() < bound.rows);
            seen.extend(rows.iter().map(|r| r.1));
            // Every change numbered up to the watermark is in this chunk or an earlier one.
            assert!((1..=*upto).all(|s| seen.contains(&s)), "watermark {upto}");
        }
        assert!(by_bytes > 1 && all.len() > 6, "{} chunks", all.len());
        seen.sort_unstable();
        assert_eq!(seen, (1..=3000).collect::<Vec<u64>>(), "each change once");
        assert_eq!(all.last().unwrap().2, 3000);
    }

    #[test]
    fn a_change_larger_than_the_bound_is_a_chunk_of_its_own() {
        let q = WorkQueue::new(100, 0);
        put(&q, "a", "small");
        put(&q, "b", &"x".repeat(5000));
        put(&q, "c", "small");
        let bound = Bound {
            rows: 10,
            bytes: 1000,
        };
        let ids: Vec<Vec<String>> = chunks(&q, bound)
            .into_iter()
            .map(|(rows, _, _)| rows.into_iter().map(|r| r.0).collect())
            .collect();
        assert_eq!(ids, [vec!["a"], vec!["b"], vec!["c"]]);
    }

    #[test]
    fn the_watermark_waits_for_an_object_replaced_behind_the_chunk() {
        let q = WorkQueue::new(100, 0);
        for id in ["a", "b", "c"] {
            put(&q, id, "1");
        }
        let one = Bound {
            rows: 1,
            bytes: 1 << 20,
        };
        let mut intake = Intake::default();
        let take = |intake: &mut Intake| {
            let upto = q.take_unsaved_into(intake, one);
            let row = intake.rows().map(|(k, s, _)| (k.id.clone(), s)).next();
            intake.clear(true);
            (row.unwrap(), upto)
        };
        assert_eq!(take(&mut intake), (("a".into(), 1), 1));
        put(&q, "a", "2"); // seq 4: a waits again, at the back
        put(&q, "b", "2"); // seq 5: b's place (its change 2) is kept
        assert_eq!(take(&mut intake), (("b".into(), 5), 2), "c (3) still waits");
        assert_eq!(take(&mut intake), (("c".into(), 3), 3), "a (4) still waits");
        assert_eq!(take(&mut intake), (("a".into(), 4), 5));
        assert!(!q.has_unsaved());
    }
}
