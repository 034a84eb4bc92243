//! The work queue between the hooks and the worker, and the intake log the writer persists.
//!
//! Hooks call [`WorkQueue::enqueue`], which holds one mutex for a few hash-map operations and
//! never blocks otherwise: the crossbeam channels are unbounded, but a key is sent only when it
//! becomes pending, so the channels and the maps hold at most one entry per distinct object.
//! Many changes to one object while it waits coalesce into one (the latest wins). Every accepted
//! change gets a sequence number and lands in `unsaved`, which the writer thread takes whole
//! (an O(1) swap) and group-commits; an event identical to the last accepted change of an
//! object that synced costs nothing at all. Objects that failed transiently wait in `delayed`
//! (ordered by their retry times, so the worker never scans; one entry per object) until their
//! retry time. High-priority work (presence) is taken before normal work.

use crate::kinds::CicObject;
use crate::object::ObjectKey;
use crate::result::{Failure, GcsyncResult};
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

mod intake;
mod requeue;
mod waiting;
use intake::{unsaved_insert, Replaced};
use waiting::{Accepted, Delayed, Last, Waiting};

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

/// Which channels a worker takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    Any,
    High,
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

/// What an accepted change needs once the queue's lock is let go.
enum Signal {
    /// Send the key of a newly waiting object to the workers.
    Send(ObjectKey, Priority),
    /// Nothing (the object was waiting already).
    Nothing,
}

/// How many waiting changes [`WorkQueue::peek_waiting`] reads at most per change it may return.
pub const PEEK_SCAN: usize = 8;

/// An accepted change the writer has not committed yet.
pub type Unsaved = (ObjectKey, u64, Arc<Change>);

#[derive(Default)]
struct Inner {
    pending: Waiting,
    delayed: Delayed,
    /// Objects a worker holds, with the worker's slot. A change accepted for one of them waits
    /// in `pending` without being sent to the channels, so no other worker can take it: it is
    /// sent when the holder lets go (`finish`, `defer`, `put_back`).
    in_flight: HashMap<ObjectKey, usize>,
    /// Items taken by `next` whose worker has not called `settled` yet.
    settling: usize,
    closed: bool,
    /// The last sequence number given out.
    seq: u64,
    unsaved: HashMap<ObjectKey, (u64, Arc<Change>)>,
    /// Per object: the last change accepted, while it is pending or after it synced, and the
    /// sequence number of the last change accepted in this process (a full sync does not
    /// overwrite a change newer than its snapshot). One map, so each object's key is held once.
    accepted: HashMap<ObjectKey, Last>,
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
    /// The emptied map of unsaved changes, swapped in by the writer's next take (only the
    /// writer locks it).
    spare_unsaved: Mutex<HashMap<ObjectKey, (u64, Arc<Change>)>>,
    /// One tripwire per worker slot: shutdown and new settings trip them all (a change of the
    /// object a worker holds does not: it waits until the worker lets go).
    interrupts: Vec<crate::cancel::Cancel>,
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
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, key: ObjectKey, priority: Priority) {
        let tx = match priority {
            Priority::High => &self.high.0,
            Priority::Normal => &self.normal.0,
        };
        // Both ends live in `self`, so the channel cannot be disconnected.
        let _ = tx.send(key);
    }

    /// Adds a change; never blocks beyond a short mutex hold. Fails after [`WorkQueue::close`]
    /// and when `max_pending` distinct objects already wait. Returns whether the change was
    /// new (false: identical to what is already accepted, nothing to do).
    pub fn enqueue(
        &self,
        key: ObjectKey,
        change: Change,
        priority: Priority,
    ) -> Result<bool, Failure> {
        self.enqueue_unless_newer(key, change, priority, u64::MAX)
    }

    /// [`WorkQueue::enqueue`], except that nothing is done (`Ok(false)`) when a change of the
    /// object accepted after sequence number `limit` exists: a full sync's snapshot, taken at
    /// `limit`, never overwrites a newer hook change.
    pub fn enqueue_unless_newer(
        &self,
        key: ObjectKey,
        change: Change,
        priority: Priority,
        limit: u64,
    ) -> Result<bool, Failure> {
        let change = Arc::new(change);
        let mut old = Replaced::default();
        let mut g = self.lock();
        let step = self.accept(&mut g, key, change, priority, limit, &mut old);
        drop(g);
        // What the change replaced is freed after the lock is let go.
        drop(old);
        let step = step?;
        let accepted = step.is_some();
        self.signal(step);
        let _ = self.wake_writer.0.try_send(());
        Ok(accepted)
    }

    /// [`WorkQueue::enqueue`] for many changes under one hold of the lock, so the workers see
    /// them all waiting at once (a Force Complete Sync's checks then go out in full batches).
    /// Stops at the first refusal; returns how many were accepted before it, and the refusal.
    pub fn enqueue_all(
        &self,
        changes: impl IntoIterator<Item = (ObjectKey, Change, Priority)>,
    ) -> (usize, Option<Failure>) {
        let mut g = self.lock();
        let (mut steps, mut refused, mut olds) = (Vec::new(), None, Vec::new());
        for (key, change, priority) in changes {
            let mut old = Replaced::default();
            let step = self.accept(&mut g, key, Arc::new(change), priority, u64::MAX, &mut old);
            olds.push(old);
            match step {
                Ok(step) => steps.push(step),
                Err(f) => {
                    refused = Some(f);
                    break;
                }
            }
        }
        drop(g);
        drop(olds);
        let accepted = steps.len();
        for step in steps {
            self.signal(step);
        }
        let _ = self.wake_writer.0.try_send(());
        (accepted, refused)
    }

    /// The locked part of accepting one change: `Ok(None)` when it is identical to what is
    /// accepted already, or a change newer than `limit` exists (nothing to do), else what to
    /// signal once the lock is let go.
    fn accept(
        &self,
        g: &mut Inner,
        key: ObjectKey,
        change: Arc<Change>,
        priority: Priority,
        limit: u64,
        old: &mut Replaced,
    ) -> Result<Option<Signal>, Failure> {
        if g.accepted.get(&key).is_some_and(|a| a.seq > limit) {
            return Ok(None);
        }
        if g.closed {
            return Err(Failure::new(
                GcsyncResult::ShutDown,
                "gcsync is shutting down; the change was not accepted",
            ));
        }
        if !change.is_forced()
            && g.accepted
                .get(&key)
                .and_then(|a| a.what.as_ref())
                .is_some_and(|a| a.is(&change))
        {
            return Ok(None);
        }
        let waiting = g.pending.contains_key(&key) || g.delayed.contains_key(&key);
        if !waiting && g.pending.len() + g.delayed.len() >= self.max_pending {
            return Err(Failure::new(
                GcsyncResult::QueueFull,
                format!(
                    "{} objects are already waiting (max_pending_objects); try again later",
                    self.max_pending
                ),
            ));
        }
        g.seq += 1;
        let seq = g.seq;
        match g.accepted.get_mut(&key) {
            Some(a) => {
                old.accepted = a.what.replace(Accepted::Change(change.clone()));
                a.seq = seq;
            }
            None => {
                let what = Some(Accepted::Change(change.clone()));
                g.accepted.insert(key.clone(), Last { what, seq });
            }
        }
        let holder = g.in_flight.get(&key).copied();
        let newly = if let Some(p) = g.pending.get_mut(&key) {
            let merged = Change::merge(&p.change, change);
            old.pending = Some(std::mem::replace(&mut p.change, merged));
            p.seq = seq;
            if priority == Priority::High {
                p.priority = Priority::High;
            }
            let c = p.change.clone();
            old.unsaved = unsaved_insert(&mut g.unsaved, key, (seq, c));
            None
        } else {
            let (change, attempts) = match g.delayed.remove(&key) {
                Some(d) => {
                    let merged = Change::merge(&d.change, change);
                    old.pending = Some(d.change);
                    (merged, d.attempts)
                }
                None => (change, 0),
            };
            old.unsaved = unsaved_insert(&mut g.unsaved, key.clone(), (seq, change.clone()));
            g.pending.insert(
                key.clone(),
                Pending {
                    change,
                    seq,
                    attempts,
                    priority,
                },
            );
            Some(key)
        };
        // A worker holding the object is not interrupted: it finishes its step (its waits
        // too), so what it wrote is recorded, and the change goes out when it lets go. Ending
        // the step half-way would leave writes it made unrecorded (an object created but not
        // linked, assignments made but forgotten: issue 12's stream and storm tests).
        Ok(Some(match (holder, newly) {
            (None, Some(key)) => Signal::Send(key, priority),
            _ => Signal::Nothing,
        }))
    }

    /// After the lock: a newly waiting object's key goes to the workers (one held by a worker
    /// is sent when it lets go).
    fn signal(&self, step: Option<Signal>) {
        match step {
            Some(Signal::Send(key, priority)) => self.send(key, priority),
            Some(Signal::Nothing) | None => {}
        }
    }

    /// Forgets the last accepted change of an object, so the same change is accepted (and
    /// processed) again: used when settings change how an unchanged object maps.
    pub fn forget_accepted(&self, key: &ObjectKey) {
        if let Some(a) = self.lock().accepted.get_mut(key) {
            a.what = None;
        }
    }

    /// The number of worker slots.
    pub fn workers(&self) -> usize {
        self.interrupts.len()
    }

    /// The tripwire of worker `slot`: pulled when a change supersedes the object it holds, and
    /// by [`WorkQueue::interrupt_all`] and [`WorkQueue::cancel_all`].
    pub fn interrupter(&self, slot: usize) -> crate::cancel::Cancel {
        self.interrupts[slot].clone()
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

    /// Puts back a change loaded from the store at start (already durable, not written again).
    pub fn restore(&self, key: ObjectKey, change: Change, seq: u64) {
        let mut g = self.lock();
        g.seq = g.seq.max(seq);
        let change = Arc::new(change);
        g.accepted.entry(key.clone()).or_default().what = Some(Accepted::Change(change.clone()));
        g.pending.insert(
            key.clone(),
            Pending {
                change,
                seq,
                attempts: 0,
                priority: Priority::Normal,
            },
        );
        drop(g);
        self.send(key, Priority::Normal);
    }

    /// Whether a change of `key` was accepted after sequence number `limit` in this process.
    pub fn newer_than(&self, key: &ObjectKey, limit: u64) -> bool {
        self.lock().accepted.get(key).is_some_and(|a| a.seq > limit)
    }

    /// Records that `change` is what an object already holds (loaded at start), so an identical
    /// event costs nothing.
    pub fn remember_applied(&self, key: ObjectKey, change: Change) {
        self.lock().accepted.entry(key).or_default().what =
            Some(Accepted::Change(Arc::new(change)));
    }

    /// Records that an object synced with `object` (loaded at start): the same as
    /// [`WorkQueue::remember_applied`] with an unforced upsert of it, without copying it.
    pub fn remember_synced(&self, key: ObjectKey, object: Arc<CicObject>) {
        self.lock().accepted.entry(key).or_default().what = Some(Accepted::Synced(object));
    }

    /// Records that an object synced with the CIC object whose store encoding is `text` (loaded
    /// at start): an identical event costs nothing, and nothing is decoded to know it.
    pub fn remember_stored(&self, key: ObjectKey, text: crate::objects::SharedText) {
        self.lock().accepted.entry(key).or_default().what = Some(Accepted::Stored(text));
    }

    /// Makes room for `objects` remembered changes at once (at start, before the loaded
    /// objects are put back), so the map is not rehashed while it fills.
    pub fn reserve(&self, objects: usize) {
        self.lock().accepted.reserve(objects);
    }

    /// Takes the next change for worker `slot`, high priority first, waiting at most `timeout`
    /// (or until the queue is closed, or until the earliest delayed change is due). The taken
    /// object is held by that worker until [`WorkQueue::finish`], [`WorkQueue::defer`] or
    /// [`WorkQueue::put_back`]; no other worker takes it meanwhile.
    pub fn next(&self, slot: usize, timeout: Duration) -> Option<(ObjectKey, Pending)> {
        self.take(slot, timeout, Take::Any)
    }

    /// [`WorkQueue::next`] for a configuration worker beside a presence worker: normal-priority
    /// changes only, so presence changes all go to the presence worker (and its bulk calls).
    pub fn next_normal(&self, slot: usize, timeout: Duration) -> Option<(ObjectKey, Pending)> {
        self.take(slot, timeout, Take::Normal)
    }

    /// [`WorkQueue::next`] for the presence lane's worker: high-priority changes only, so that
    /// configuration work, however much waits, never stands before a presence change.
    pub fn next_high(&self, slot: usize, timeout: Duration) -> Option<(ObjectKey, Pending)> {
        self.take(slot, timeout, Take::High)
    }

    fn take(&self, slot: usize, timeout: Duration, which: Take) -> Option<(ObjectKey, Pending)> {
        let deadline = Instant::now() + timeout;
        // A receiver that never yields stands in for the channel a lane does not take.
        let never = crossbeam_channel::never();
        let normal = if which == Take::High {
            &never
        } else {
            &self.normal.1
        };
        let high = if which == Take::Normal {
            &never
        } else {
            &self.high.1
        };
        let key = loop {
            let now = Instant::now();
            let left = deadline.saturating_duration_since(now);
            let wait = self.promote_due(now).map_or(left, |d| d.min(left));
            if let Ok(k) = high.try_recv().or_else(|_| normal.try_recv()) {
                break k;
            }
            crossbeam_channel::select! {
                recv(high) -> k => break k.ok()?,
                recv(normal) -> k => break k.ok()?,
                recv(self.stop.1) -> _ => return None,
                recv(self.nudge.1) -> _ => return None,
                default(wait) => if Instant::now() >= deadline { return None },
            }
        };
        let mut g = self.lock();
        if g.in_flight.contains_key(&key) {
            // A key left on a channel by `take_waiting` whose object is held again: it is sent
            // anew when its holder lets go.
            return None;
        }
        let p = g.pending.remove(&key)?;
        g.in_flight.insert(key.clone(), slot);
        g.settling += 1;
        Some((key, p))
    }

    /// Takes, without waiting, up to `max` more high-priority changes that wait now, for worker
    /// `slot` to send in one bulk call with the one it took (many agents changing status at
    /// once). Each is held and reported on like one from [`WorkQueue::next`].
    pub fn take_more_high(&self, slot: usize, max: usize) -> Vec<(ObjectKey, Pending)> {
        let mut out = Vec::new();
        while out.len() < max {
            let Ok(key) = self.high.1.try_recv() else {
                break;
            };
            let mut g = self.lock();
            if let Some(p) = g.pending.remove(&key) {
                g.in_flight.insert(key.clone(), slot);
                g.settling += 1;
                out.push((key, p));
            }
        }
        out
    }

    /// The in-flight object is done; `synced` says whether it reached Genesys Cloud (if not,
    /// an identical event later is accepted again).
    pub fn finish(&self, key: &ObjectKey, synced: bool) {
        let mut g = self.lock();
        g.in_flight.remove(key);
        let newer = g.pending.get(key).map(|p| p.priority);
        if !synced && newer.is_none() {
            if let Some(a) = g.accepted.get_mut(key) {
                a.what = None;
            }
        }
        drop(g);
        if let Some(priority) = newer {
            self.send(key.clone(), priority);
        }
    }

    /// The worker has finished reporting on the item it took (status saved, host notified):
    /// only now can the waits return.
    pub fn settled(&self) {
        let mut g = self.lock();
        g.settling = g.settling.saturating_sub(1);
        if g.idle() {
            self.idle.notify_all();
        }
    }

    /// Parks an object that failed transiently until `at`, unless a newer change already waits.
    pub fn defer(&self, key: ObjectKey, mut pending: Pending, at: Instant) {
        let mut g = self.lock();
        g.in_flight.remove(&key);
        if let Some(newer) = g.pending.get_mut(&key) {
            newer.change = Change::merge(&pending.change, newer.change.clone());
            let priority = newer.priority;
            drop(g);
            self.send(key, priority);
            return;
        }
        pending.attempts += 1;
        g.delayed.insert(key, at, pending);
    }

    /// Returns an interrupted change to the queue at once, without counting an attempt.
    pub fn put_back(&self, key: ObjectKey, pending: Pending) {
        let mut g = self.lock();
        g.in_flight.remove(&key);
        if let Some(newer) = g.pending.get_mut(&key) {
            newer.change = Change::merge(&pending.change, newer.change.clone());
            let priority = newer.priority;
            drop(g);
            self.send(key, priority);
            return;
        }
        let prio = pending.priority;
        g.pending.insert(key.clone(), pending);
        drop(g);
        self.send(key, prio);
    }

    /// Moves due delayed objects back into the queue; returns the time until the next one.
    fn promote_due(&self, now: Instant) -> Option<Duration> {
        let mut g = self.lock();
        let mut send = Vec::new();
        while let Some((key, p)) = g.delayed.pop_due(now) {
            send.push((key.clone(), p.priority));
            g.pending.insert(key, p);
        }
        let next = g
            .delayed
            .next_due()
            .map(|at| at.saturating_duration_since(now));
        drop(g);
        for (key, prio) in send {
            self.send(key, prio);
        }
        next
    }

    /// Moves every delayed object back into the queue now (force sync and settings changes
    /// should not wait for backoff timers).
    pub fn retry_delayed_now(&self) {
        let mut g = self.lock();
        let mut send = Vec::new();
        for (key, p) in g.delayed.take_all() {
            send.push((key.clone(), p.priority));
            g.pending.insert(key, p);
        }
        drop(g);
        for (key, prio) in send {
            self.send(key, prio);
        }
    }

    /// Stops intake: every later `enqueue` fails with `ShutDown`; a worker blocked in `next`
    /// returns at once.
    pub fn close(&self) {
        self.lock().closed = true;
        // Dropping the sender makes the stop channel ready for good.
        self.stop.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.idle.notify_all();
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(&Inner) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut g = self.lock();
        loop {
            if done(&g) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            g = self
                .idle
                .wait_timeout(g, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
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

    /// Whether an object has work waiting, delayed or in flight.
    pub fn is_pending(&self, key: &ObjectKey) -> bool {
        let g = self.lock();
        g.pending.contains_key(key) || g.delayed.contains_key(key) || g.in_flight.contains_key(key)
    }

    /// Whether an object has a change waiting (now or for a retry time), not counting the one a
    /// worker holds.
    pub fn has_waiting(&self, key: &ObjectKey) -> bool {
        let g = self.lock();
        g.pending.contains_key(key) || g.delayed.contains_key(key)
    }

    /// (waiting now, waiting for a retry time, in flight).
    pub fn depth(&self) -> (usize, usize, usize) {
        let g = self.lock();
        (g.pending.len(), g.delayed.len(), g.in_flight.len())
    }

    /// Makes the workers waiting in [`WorkQueue::next`] return now (new settings to pick up).
    pub fn nudge_worker(&self) {
        for _ in 0..self.interrupts.len() {
            let _ = self.nudge.0.try_send(());
        }
    }
}

#[cfg(test)]
mod start_tests;
#[cfg(test)]
mod tests;
