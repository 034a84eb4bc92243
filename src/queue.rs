//! The work queue between the hooks and the worker, and the intake log the writer persists.
//!
//! Hooks call [`WorkQueue::offer`], which takes no lock: it pushes the change onto the inbox
//! (`inbox.rs`), and every holder of the queue's mutex applies the inbox first
//! ([`WorkQueue::drain_inbox`]), as the hook used to under the mutex ([`WorkQueue::enqueue`],
//! still used by the engine and by the kinds whose hooks need the answer at once). The
//! crossbeam channels are unbounded, but a key is sent only when it becomes pending, so the
//! channels and the maps hold at most one entry per distinct object.
//! Many changes to one object while it waits coalesce into one (the latest wins). Every accepted
//! change gets a sequence number and lands in `unsaved`, which the writer thread takes oldest
//! first, a bounded chunk at a time, and group-commits; an event identical to the last accepted change of an
//! object that synced costs nothing at all. Objects that failed transiently wait in `delayed`
//! (ordered by their retry times, so the worker never scans; one entry per object) until their
//! retry time. High-priority work (presence) is taken before normal work.
//!
//! By concern: `intake` (accepting and coalescing changes), `unsaved` (the writer's side),
//! `taking` (the workers' side: take, hold, let go, batches, planning), `retry` (retry times),
//! `requeue` (processing an object again), `waiting` (the maps of waiting objects and of what
//! each object last accepted), `hold` (what a newer change of a held object means for the
//! worker's step), `inbox` (the hooks' lock-free way in). This file: the types, the shared
//! state, the lock, and the waits.

use crate::kinds::CicObject;
use crate::object::ObjectKey;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

mod hold;
mod inbox;
mod intake;
mod members;
mod requeue;
mod retry;
mod taking;
mod unsaved;
mod waiting;
pub use hold::{Answer, Hold, WriteKind};
use retry::Delayed;
use waiting::{Accepted, Last, Waiting};

/// What should happen to an object (of any kind).
// An upsert is the common case; boxing its object would cost an allocation per change.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Create or update the object from this CIC data; `force` skips the "unchanged" shortcut.
    Upsert {
        /// The latest CIC data.
        object: CicObject,
        /// Verify against Genesys Cloud even if nothing changed locally.
        force: bool,
    },
    /// The object was deleted in CIC: remove it in Genesys Cloud as its kind's policy says.
    Remove,
}

impl Change {
    /// Combines a waiting change with a newer one for the same object.
    fn merge(older: &Change, newer: Arc<Change>) -> Arc<Change> {
        match (older, &*newer) {
            (
                Change::Upsert { force: true, .. },
                Change::Upsert {
                    object,
                    force: false,
                },
            ) => Arc::new(Change::Upsert {
                object: object.clone(),
                force: true,
            }),
            _ => newer,
        }
    }

    fn is_forced(&self) -> bool {
        matches!(self, Change::Upsert { force: true, .. })
    }
}

/// Queue priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Latency-sensitive work (agent presence).
    High,
    /// Configuration work.
    Normal,
}

/// A change waiting for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The change.
    pub change: Arc<Change>,
    /// Sequence number of the newest change merged into it.
    pub seq: u64,
    /// Transient failures so far (drives the retry-later backoff).
    pub attempts: u32,
    /// Queue priority.
    pub priority: Priority,
}

/// How many waiting changes [`WorkQueue::peek_waiting`] reads at most per change it may return.
pub const PEEK_SCAN: usize = 8;

/// The queue's maps by object. Keys are CIC ids from the host (not from the network), hashed
/// with foldhash under the queue's lock: several times cheaper than SipHash for short keys.
type KeyMap<V> = std::collections::HashMap<ObjectKey, V, foldhash::fast::RandomState>;

/// An accepted change the writer has not committed yet.
pub type Unsaved = (ObjectKey, u64, Arc<Change>);

#[derive(Default)]
struct Inner {
    pending: Waiting,
    delayed: Delayed,
    /// Objects a worker holds, with the worker's slot. A change accepted for one of them waits
    /// in `pending` without being sent to the channels, so no other worker can take it: it is
    /// sent when the holder lets go (`finish`, `defer`, `put_back`).
    in_flight: KeyMap<usize>,
    /// Items taken by `next` whose worker has not called `settled` yet.
    settling: usize,
    closed: bool,
    /// The last sequence number given out.
    seq: u64,
    unsaved: unsaved::UnsavedChanges,
    /// Per object: the last change accepted, while it is pending or after it synced, and the
    /// sequence number of the last change accepted in this process (a full sync does not
    /// overwrite a change newer than its snapshot). One map, so each object's key is held once.
    accepted: KeyMap<Last>,
    /// The writers' side of [`WorkQueue::members`].
    members: members::Tables,
}

impl Inner {
    fn idle(&self) -> bool {
        self.pending.is_empty() && self.in_flight.is_empty() && self.settling == 0
    }
}

/// The coalescing, prioritised work queue. Shared by hooks (any thread), the worker and the
/// writer.
pub struct WorkQueue {
    inner: Mutex<Inner>,
    idle: Condvar,
    high: (Sender<ObjectKey>, Receiver<ObjectKey>),
    normal: (Sender<ObjectKey>, Receiver<ObjectKey>),
    stop: (Mutex<Option<Sender<()>>>, Receiver<()>),
    wake_writer: (Sender<()>, Receiver<()>),
    nudge: (Sender<()>, Receiver<()>),
    max_pending: usize,
    /// The writer's emptied set of unsaved changes, swapped in by its next take when everything
    /// waiting fits in one chunk (only the writer locks it).
    spare_unsaved: Mutex<unsaved::UnsavedChanges>,
    /// One tripwire per worker slot: shutdown and new settings trip them all (a change of the
    /// object a worker holds does not: it waits until the worker lets go).
    interrupts: Vec<crate::cancel::Cancel>,
    /// One hold per worker slot: a newer change of the object a worker holds marks it, so a
    /// step that has not written yet gives its stale change up (`hold.rs`).
    holds: Vec<Arc<Hold>>,
    /// (waiting now, waiting for a retry time, in flight, accepted changes the writer has not
    /// taken), published by every holder of the lock as it lets go ([`Locked`]), so
    /// [`WorkQueue::depth`] and the writer's look for changes take no lock.
    depths: [AtomicUsize; 4],
    /// The writer is blocked until woken (`unsaved.rs`): only then does an accepted change
    /// send it a token. While changes flow it looks for them itself, so a hook does not pay
    /// for a thread wakeup.
    writer_parked: AtomicBool,
    /// The hooks' changes not yet applied (`inbox.rs`).
    inbox: inbox::Inbox,
    /// Which objects are waiting, delayed or in flight, read without the lock (`members.rs`).
    members: members::Members,
}

/// The queue's state, locked, with the inbox applied. Letting go publishes its depths for
/// [`WorkQueue::depth`], then (the mutex let go) sends what the inbox's changes signal and
/// frees what they replaced.
struct Locked<'a> {
    g: ManuallyDrop<MutexGuard<'a, Inner>>,
    q: &'a WorkQueue,
    after: intake::AfterDrain,
}

impl std::ops::Deref for Locked<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.g
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.g
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.q.members.grow_if_needed(&mut self.g);
        self.q.publish(&self.g);
        // The applied changes are counted by the depths now: only then do they leave the
        // inbox's count (a hook deciding QueueFull never counts them less than once).
        if self.after.drained > 0 {
            self.q
                .inbox
                .len
                .fetch_sub(self.after.drained, Ordering::SeqCst);
        }
        // SAFETY: dropped once, here, and never used again.
        unsafe { ManuallyDrop::drop(&mut self.g) };
        self.q.after_drain(std::mem::take(&mut self.after));
    }
}

impl WorkQueue {
    /// An empty queue holding at most `max_pending` distinct waiting objects, numbering changes
    /// after `last_seq`, for one worker.
    pub fn new(max_pending: usize, last_seq: u64) -> WorkQueue {
        WorkQueue::with_workers(max_pending, last_seq, 1)
    }

    /// [`WorkQueue::new`] for `workers` worker threads (slots `0..workers`, at least one).
    pub fn with_workers(max_pending: usize, last_seq: u64, workers: usize) -> WorkQueue {
        WorkQueue {
            inner: Mutex::new(Inner {
                seq: last_seq,
                ..Inner::default()
            }),
            idle: Condvar::new(),
            high: unbounded(),
            normal: unbounded(),
            stop: {
                let (tx, rx) = bounded(1);
                (Mutex::new(Some(tx)), rx)
            },
            wake_writer: bounded(1),
            nudge: bounded(workers.max(1)),
            max_pending,
            spare_unsaved: Mutex::default(),
            interrupts: (0..workers.max(1))
                .map(|_| crate::cancel::Cancel::default())
                .collect(),
            holds: (0..workers.max(1)).map(|_| Arc::default()).collect(),
            depths: Default::default(),
            writer_parked: AtomicBool::new(false),
            inbox: Default::default(),
            members: Default::default(),
        }
    }

    /// Locks the queue and applies the inbox: every change a hook was told OK for before is
    /// then in the maps.
    fn lock(&self) -> Locked<'_> {
        self.locked(self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn locked<'a>(&'a self, g: MutexGuard<'a, Inner>) -> Locked<'a> {
        let mut l = Locked {
            g: ManuallyDrop::new(g),
            q: self,
            after: Default::default(),
        };
        self.drain_inbox(&mut l.g, &mut l.after);
        l
    }

    /// Publishes the depths of `g` (the waiting, delayed, in-flight and unsaved counts) for the
    /// readers that take no lock.
    fn publish(&self, g: &Inner) {
        let lens = [
            g.pending.len(),
            g.delayed.len(),
            g.in_flight.len(),
            g.unsaved.len(),
        ];
        for (a, n) in self.depths.iter().zip(lens) {
            a.store(n, Ordering::SeqCst);
        }
    }

    fn send(&self, key: ObjectKey, priority: Priority) {
        let tx = match priority {
            Priority::High => &self.high.0,
            Priority::Normal => &self.normal.0,
        };
        // Both ends live in `self`, so the channel cannot be disconnected.
        let _ = tx.send(key);
    }

    /// The number of worker slots.
    pub fn workers(&self) -> usize {
        self.interrupts.len()
    }

    /// The tripwire of worker `slot`: pulled by [`WorkQueue::interrupt_all`] and
    /// [`WorkQueue::cancel_all`] (a newer change of the object it holds marks its
    /// [`WorkQueue::hold`] instead).
    pub fn interrupter(&self, slot: usize) -> crate::cancel::Cancel {
        self.interrupts[slot].clone()
    }

    /// The hold of worker `slot` (its Genesys client looks at it before every write).
    pub fn hold(&self, slot: usize) -> Arc<Hold> {
        self.holds[slot].clone()
    }

    /// Ends every worker's current waits (new settings to pick up).
    pub fn interrupt_all(&self) {
        self.interrupts
            .iter()
            .for_each(crate::cancel::Cancel::interrupt);
    }

    /// Ends every worker's waits for good (shutdown's timeout passed).
    pub fn cancel_all(&self) {
        self.interrupts
            .iter()
            .for_each(crate::cancel::Cancel::cancel);
    }

    /// Stops intake: every later `enqueue` fails with `ShutDown`; a worker blocked in `next`
    /// returns at once.
    pub fn close(&self) {
        // Every change a hook was told OK for is applied under this lock (and then saved by
        // the writer's last commit); every later hook is refused.
        self.close_inbox();
        self.lock().closed = true;
        // Dropping the sender makes the stop channel ready for good.
        self.stop.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.idle.notify_all();
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(&Inner) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            // The inbox applied first: a change a hook accepted before is seen.
            if done(&self.lock()) {
                return true;
            }
            // Waiting changes nothing: the plain guard (the condition variable needs it). A
            // hook's change that came meanwhile is applied by the next round, after a short
            // wait (a flood of hooks does not make this loop spin).
            let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            let quiet = self.inbox.rx.is_empty();
            if quiet && done(&g) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let wait = match quiet {
                true => deadline - now,
                false => (deadline - now).min(Duration::from_millis(2)),
            };
            drop(
                self.idle
                    .wait_timeout(g, wait)
                    .unwrap_or_else(|p| p.into_inner()),
            );
        }
    }

    /// Waits until nothing is pending or in flight and the worker has reported on the last item
    /// (objects waiting for a retry time do not count). Returns whether that happened in time.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, Inner::idle)
    }

    /// Waits until, in addition, no object waits for a retry time: everything accepted has
    /// reached a final state. Returns whether that happened in time.
    pub fn wait_settled(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |g| g.idle() && g.delayed.is_empty())
    }

    /// Whether an object has work waiting (in the maps or, a hook's change not yet applied, in
    /// the inbox), delayed or in flight. Takes no lock and applies nothing: the inbox is looked
    /// at first (a change applied meanwhile is a member by the time the members are read),
    /// then the members (`members.rs`; the maps under the lock only in the practically
    /// unreachable case of an overflowed window).
    pub fn is_pending(&self, key: &ObjectKey) -> bool {
        if self.in_inbox(key) {
            return true;
        }
        if let Some(member) = self.members.contains(key) {
            return member;
        }
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.pending.contains_key(key) || g.delayed.contains_key(key) || g.in_flight.contains_key(key)
    }

    /// Whether an object has a change waiting (now or for a retry time, or in the inbox), not
    /// counting the one a worker holds.
    pub fn has_waiting(&self, key: &ObjectKey) -> bool {
        if self.in_inbox(key) {
            return true;
        }
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.pending.contains_key(key) || g.delayed.contains_key(key)
    }

    /// (waiting now, waiting for a retry time, in flight).
    ///
    /// Read without the queue's lock (the overview): the depths as the last holder of the lock
    /// left them; the hooks' changes not yet applied count as waiting objects (one each, as
    /// for `max_pending_objects`, until a holder of the lock applies them).
    pub fn depth(&self) -> (usize, usize, usize) {
        let [w, d, f, _] = &self.depths;
        (
            w.load(Ordering::Relaxed) + self.inbox.len.load(Ordering::Relaxed),
            d.load(Ordering::Relaxed),
            f.load(Ordering::Relaxed),
        )
    }

    /// Makes the workers waiting in [`WorkQueue::next`] return now (new settings to pick up).
    pub fn nudge_worker(&self) {
        for _ in 0..self.interrupts.len() {
            let _ = self.nudge.0.try_send(());
        }
    }
}

#[cfg(test)]
mod inbox_tests;
#[cfg(test)]
mod known_tests;
#[cfg(test)]
mod requeue_tests;
#[cfg(test)]
mod start_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod wait_tests;
#[cfg(test)]
mod worker_tests;
