//! The hooks' inbox: how a hook hands a change over without taking any lock.
//!
//! A hook pushes `(key, change, priority)` onto an unbounded crossbeam channel whose receiver
//! never blocks (so a send wakes nobody and takes no lock) and returns. Every holder of the
//! queue's lock applies the inbox first, in order, exactly as the hook used to under the lock
//! ([`WorkQueue::drain_inbox`], called by `WorkQueue::lock`): every reader of the queue sees
//! every change a hook accepted before it. The writer (polling every `writer::POLL` while
//! changes flow, woken by the hook only when parked) is the usual drainer; workers drain when
//! they take or let go.
//!
//! Three things a hook used to learn under the lock are kept in atomics instead:
//! - shutdown: a closed flag and a count of hooks between their look at it and their push;
//!   [`WorkQueue::close`] sets the flag, waits until no hook is in that section, then drains,
//!   so a change is either refused (`ShutDown`) or applied (and saved by the writer's last
//!   commit), never accepted and lost;
//! - `max_pending_objects`: the objects waiting as the last holder of the lock published them
//!   plus the changes in the inbox (each counted as an object, so the limit may refuse slightly
//!   early, never late: a hook reserves its place before it looks);
//! - whether an object's change sits in the inbox ([`Marks`], for `is_pending`, which neither
//!   drains nor waits for a hook).

use super::{Change, Priority, WorkQueue};
use crate::object::ObjectKey;
use crate::result::{Failure, GcsyncResult};
use crossbeam_channel::{unbounded, Receiver, Sender};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// A change handed over by a hook, not yet applied.
pub(super) struct Entry {
    pub(super) key: ObjectKey,
    pub(super) change: Arc<Change>,
    pub(super) priority: Priority,
    /// Where the hook marked its key ([`Marks::add`]); unmarked when applied.
    pub(super) mark: Mark,
}

/// The inbox and its counts.
pub(super) struct Inbox {
    tx: Sender<Entry>,
    pub(super) rx: Receiver<Entry>,
    /// Changes pushed (or reserved by a hook about to push) and not yet counted by the depths a
    /// lock holder published: lowered only after the holder that applied them published.
    pub(super) len: AtomicUsize,
    /// Hooks between their look at `closed` and their push.
    entering: AtomicUsize,
    closed: AtomicBool,
    pub(super) marks: Marks,
    /// Tests: how long a hook dwells between its look at `closed` and its push (µs), to widen
    /// the window a shutdown races.
    #[cfg(test)]
    pub(super) dwell_us: std::sync::atomic::AtomicU64,
}

impl Default for Inbox {
    fn default() -> Inbox {
        let (tx, rx) = unbounded();
        Inbox {
            tx,
            rx,
            len: AtomicUsize::new(0),
            entering: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            marks: Marks::default(),
            #[cfg(test)]
            dwell_us: Default::default(),
        }
    }
}

/// Above this many changes in the inbox a hook applies it itself if the queue's lock is free
/// (`try_lock`: it never waits), so a flood faster than the writer's poll does not pile up.
/// A presence change (high priority) is applied by its hook in the same way.
const SELF_DRAIN: usize = 256;

/// Above this many a hook applies the inbox itself, waiting for the queue's lock if need be:
/// only a flood faster than the holders apply it (a host thread sending 250 000 changes a
/// second while the writer, below normal priority, is preempted holding the lock) gets here,
/// and memory stays bounded (about 1.5 KB a change) rather than the hook's latency.
pub(super) const FORCE_DRAIN: usize = 1024;

impl WorkQueue {
    /// The hooks' way in: hands a change over to the queue without taking any lock and returns.
    /// Fails with `ShutDown` after [`WorkQueue::close`] began, and with `QueueFull` when the
    /// objects waiting plus the changes not yet applied reach `max_pending`. Whether the change
    /// is identical to what the object last accepted is decided when it is applied.
    pub fn offer(&self, key: ObjectKey, change: Change, priority: Priority) -> Result<(), Failure> {
        let inbox = &self.inbox;
        inbox.entering.fetch_add(1, Ordering::SeqCst);
        let pushed = self.push(key, change, priority);
        inbox.entering.fetch_sub(1, Ordering::SeqCst);
        let backlog = pushed?;
        self.wake_parked_writer();
        // A presence change goes out at once (README "Presence"): applied here when the lock is
        // free, which sends its key to the presence worker; else the holder's next look, the
        // writer's poll or a worker's take applies it. A flood is applied when it piles up.
        if backlog >= FORCE_DRAIN {
            drop(self.lock());
        } else if priority == Priority::High || backlog >= SELF_DRAIN {
            if let Ok(g) = self.inner.try_lock() {
                drop(self.locked(g));
            }
        }
        Ok(())
    }

    /// The part of [`WorkQueue::offer`] that `close` waits for. Returns the inbox's length.
    fn push(&self, key: ObjectKey, change: Change, priority: Priority) -> Result<usize, Failure> {
        let inbox = &self.inbox;
        if inbox.closed.load(Ordering::SeqCst) {
            return Err(Failure::new(
                GcsyncResult::ShutDown,
                "gcsync is shutting down; the change was not accepted",
            ));
        }
        #[cfg(test)]
        std::thread::sleep(std::time::Duration::from_micros(
            inbox.dwell_us.load(Ordering::Relaxed),
        ));
        let queued = inbox.len.fetch_add(1, Ordering::SeqCst);
        let [waiting, delayed, _, _] = &self.depths;
        let objects = waiting.load(Ordering::SeqCst) + delayed.load(Ordering::SeqCst);
        if objects + queued >= self.max_pending {
            inbox.len.fetch_sub(1, Ordering::SeqCst);
            return Err(Failure::new(
                GcsyncResult::QueueFull,
                format!(
                    "{} objects are already waiting (max_pending_objects; changes not yet \
                     taken in count as objects); try again later",
                    self.max_pending
                ),
            ));
        }
        let mark = inbox.marks.add(&key);
        let entry = Entry {
            key,
            change: Arc::new(change),
            priority,
            mark,
        };
        // Both ends live in `self`: the channel cannot be disconnected.
        let _ = inbox.tx.send(entry);
        Ok(queued + 1)
    }

    /// Refuses every later hook, waits until no hook is between its look and its push, and
    /// returns: everything a hook was told OK for is then in the inbox, for the caller's lock
    /// to apply.
    pub(super) fn close_inbox(&self) {
        self.inbox.closed.store(true, Ordering::SeqCst);
        while self.inbox.entering.load(Ordering::SeqCst) != 0 {
            std::thread::yield_now();
        }
    }

    /// Whether [`WorkQueue::close`] began (read without any lock).
    pub fn is_closed(&self) -> bool {
        self.inbox.closed.load(Ordering::SeqCst)
    }

    /// Whether a hook's change of `key` waits in the inbox (read without any lock).
    pub(super) fn in_inbox(&self, key: &ObjectKey) -> bool {
        self.inbox.marks.contains(key)
    }
}

/// Where a key was marked: a slot of [`Marks`], or the overflow count.
pub(super) type Mark = Option<usize>;

/// A lock-free count of the inbox's changes per key: slots of (fingerprint, count) packed in
/// one atomic, found by open addressing within a small window. A key is in the inbox only if
/// a slot of its window holds its fingerprint with a count above zero; two keys share a
/// fingerprint with a chance of 2^-36 per pair (then an object may show as pending for the
/// moment the other one's change waits in the inbox, never the reverse). A full window
/// (thousands of changes in the inbox and bad luck) counts in `overflow`, which makes every
/// key look marked until it is applied: early, never late.
pub(super) struct Marks {
    slots: Box<[AtomicU64]>,
    overflow: AtomicUsize,
    hasher: foldhash::fast::FixedState,
}

const SLOTS: usize = 1 << 14;
const WINDOW: usize = 8;
const COUNT_BITS: u32 = 28;
const COUNT: u64 = (1 << COUNT_BITS) - 1;

impl Default for Marks {
    fn default() -> Marks {
        Marks {
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            overflow: AtomicUsize::new(0),
            hasher: foldhash::fast::FixedState::with_seed(0x9e37_79b9_7f4a_7c15),
        }
    }
}

impl Marks {
    /// The key's first slot and its fingerprint (never 0).
    fn place(&self, key: &ObjectKey) -> (usize, u64) {
        let h = self.hasher.hash_one(key);
        let fp = (h >> COUNT_BITS).max(1);
        (h as usize % SLOTS, fp)
    }

    fn add(&self, key: &ObjectKey) -> Mark {
        let (first, fp) = self.place(key);
        for i in 0..WINDOW {
            let at = (first + i) % SLOTS;
            let slot = &self.slots[at];
            let mut cur = slot.load(Ordering::SeqCst);
            loop {
                let count = cur & COUNT;
                let next = match count {
                    0 => (fp << COUNT_BITS) | 1,
                    // The count never reaches its top: the inbox holds at most
                    // `max_pending_objects` (≤ 10^8) changes.
                    _ if cur >> COUNT_BITS == fp && count < COUNT => cur + 1,
                    _ => break,
                };
                match slot.compare_exchange_weak(cur, next, Ordering::SeqCst, Ordering::SeqCst) {
                    Ok(_) => return Some(at),
                    Err(now) => cur = now,
                }
            }
        }
        self.overflow.fetch_add(1, Ordering::SeqCst);
        None
    }

    /// The change marked at `mark` was applied.
    pub(super) fn remove(&self, mark: Mark) {
        match mark {
            Some(at) => self.slots[at].fetch_sub(1, Ordering::SeqCst),
            None => self.overflow.fetch_sub(1, Ordering::SeqCst) as u64,
        };
    }

    fn contains(&self, key: &ObjectKey) -> bool {
        let (first, fp) = self.place(key);
        (0..WINDOW).any(|i| {
            let cur = self.slots[(first + i) % SLOTS].load(Ordering::SeqCst);
            cur & COUNT != 0 && cur >> COUNT_BITS == fp
        }) || self.overflow.load(Ordering::SeqCst) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_key_is_found_until_each_of_its_marks_is_removed_and_others_are_not() {
        let m = Marks::default();
        let a = ObjectKey::user("a");
        let marks: Vec<Mark> = (0..3).map(|_| m.add(&a)).collect();
        assert!(marks.iter().all(Option::is_some));
        assert!(m.contains(&a));
        assert!(!m.contains(&ObjectKey::user("b")));
        for (i, mark) in marks.into_iter().enumerate() {
            assert!(m.contains(&a), "mark {i}");
            m.remove(mark);
        }
        assert!(!m.contains(&a));
    }

    #[test]
    fn keys_sharing_a_window_keep_their_own_counts_and_a_full_window_overflows() {
        let m = Marks::default();
        // WINDOW + 1 keys whose first slot is the same: the first WINDOW fill the window.
        let (first, _) = m.place(&ObjectKey::user("k0"));
        let keys: Vec<ObjectKey> = (0..)
            .map(|i| ObjectKey::user(format!("k{i}")))
            .filter(|k| m.place(k).0 == first)
            .take(WINDOW + 1)
            .collect();
        let marks: Vec<Mark> = keys[..WINDOW].iter().map(|k| m.add(k)).collect();
        let want: Vec<Mark> = (0..WINDOW).map(|i| Some((first + i) % SLOTS)).collect();
        assert_eq!(marks, want, "one slot each, in window order");
        let last = &keys[WINDOW];
        assert!(!m.contains(last));
        let over = m.add(last);
        assert_eq!(over, None, "a full window overflows");
        assert!(m.contains(last));
        assert!(m.contains(&ObjectKey::user("never")), "early, never late");
        m.remove(over);
        assert!(!m.contains(last));
        for (k, mark) in keys.iter().zip(marks) {
            assert!(m.contains(k));
            m.remove(mark);
            assert!(!m.contains(k));
        }
    }
}
