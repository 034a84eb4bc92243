//! The work queue between the hooks and the worker.
//!
//! Hooks call [`WorkQueue::enqueue`], which holds a mutex for a few hash-map operations and never
//! blocks otherwise: the crossbeam channels are unbounded, but a key is sent only when it becomes
//! pending, so the channels and the map together hold at most one entry per distinct object.
//! Many changes to one object while it waits coalesce into one (the latest state wins), which
//! keeps memory bounded by the number of objects, not the number of events. Objects that failed
//! transiently wait in a `delayed` set until their retry time. High-priority work (presence) is
//! always taken before normal work.

use crate::cic::CicUser;
use crate::object::ObjectKey;
use crate::result::{Failure, GcsyncResult};
use crossbeam_channel::{unbounded, Receiver, Sender};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What should happen to an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Create or update a user from this CIC data; `force` skips the "unchanged" shortcut.
    UpsertUser {
        /// The latest CIC data.
        user: CicUser,
        /// Verify against Genesys Cloud even if nothing changed locally.
        force: bool,
    },
    /// The user was deleted in CIC: apply the removal policy.
    RemoveUser,
}

impl Change {
    /// Combines a waiting change with a newer one for the same object.
    fn merge(older: Change, newer: Change) -> Change {
        match (older, newer) {
            (Change::UpsertUser { force: f1, .. }, Change::UpsertUser { user, force: f2 }) => {
                Change::UpsertUser {
                    user,
                    force: f1 || f2,
                }
            }
            (_, newer) => newer,
        }
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

/// A change waiting for the worker, with its retry count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The change.
    pub change: Change,
    /// Transient failures so far (drives the retry-later backoff).
    pub attempts: u32,
    /// Queue priority.
    pub priority: Priority,
}

#[derive(Default)]
struct Inner {
    pending: HashMap<ObjectKey, Pending>,
    delayed: HashMap<ObjectKey, (Instant, Pending)>,
    in_flight: Option<(ObjectKey, Change)>,
    /// From `next` until `settled`: the worker is still reporting on the item it took.
    settling: bool,
    closed: bool,
    /// Bumped by every change to what is waiting or in flight (drives saving).
    version: u64,
}

/// The coalescing, prioritised work queue. Shared by hooks (any thread) and the worker.
pub struct WorkQueue {
    inner: Mutex<Inner>,
    idle: Condvar,
    high: (Sender<ObjectKey>, Receiver<ObjectKey>),
    normal: (Sender<ObjectKey>, Receiver<ObjectKey>),
    max_pending: usize,
}

impl WorkQueue {
    /// An empty queue holding at most `max_pending` distinct waiting objects.
    pub fn new(max_pending: usize) -> WorkQueue {
        WorkQueue {
            inner: Mutex::new(Inner::default()),
            idle: Condvar::new(),
            high: unbounded(),
            normal: unbounded(),
            max_pending,
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
    /// and when `max_pending` distinct objects already wait.
    pub fn enqueue(
        &self,
        key: ObjectKey,
        change: Change,
        priority: Priority,
    ) -> Result<(), Failure> {
        let mut g = self.lock();
        if g.closed {
            return Err(Failure::new(
                GcsyncResult::ShutDown,
                "gcsync is shutting down; the change was not accepted",
            ));
        }
        g.version += 1;
        if let Some(p) = g.pending.get_mut(&key) {
            p.change = Change::merge(p.change.clone(), change);
            if priority == Priority::High {
                p.priority = Priority::High;
            }
            return Ok(());
        }
        let (change, attempts) = match g.delayed.remove(&key) {
            Some((_, old)) => (Change::merge(old.change, change), old.attempts),
            None => (change, 0),
        };
        if g.pending.len() + g.delayed.len() >= self.max_pending {
            return Err(Failure::new(
                GcsyncResult::QueueFull,
                format!(
                    "{} objects are already waiting (max_pending_objects); try again later",
                    self.max_pending
                ),
            ));
        }
        g.pending.insert(
            key.clone(),
            Pending {
                change,
                attempts,
                priority,
            },
        );
        drop(g);
        self.send(key, priority);
        Ok(())
    }

    /// Takes the next change, high priority first, waiting at most `timeout`. Moves due delayed
    /// objects back into the queue first. The taken object counts as in flight until
    /// [`WorkQueue::finish`].
    pub fn next(&self, timeout: Duration) -> Option<(ObjectKey, Pending)> {
        self.promote_due(Instant::now());
        let key = match self.high.1.try_recv() {
            Ok(k) => k,
            Err(_) => crossbeam_channel::select! {
                recv(self.high.1) -> k => k.ok()?,
                recv(self.normal.1) -> k => k.ok()?,
                default(timeout) => return None,
            },
        };
        let mut g = self.lock();
        let p = g.pending.remove(&key)?;
        g.in_flight = Some((key.clone(), p.change.clone()));
        g.settling = true;
        g.version += 1;
        Some((key, p))
    }

    /// Marks the in-flight object done (successfully or with a final error).
    pub fn finish(&self) {
        let mut g = self.lock();
        g.in_flight = None;
        g.version += 1;
    }

    /// The worker has finished reporting on the item it took (status saved, host notified):
    /// only now can [`WorkQueue::wait_idle`] return.
    pub fn settled(&self) {
        let mut g = self.lock();
        g.settling = false;
        if g.pending.is_empty() {
            self.idle.notify_all();
        }
    }

    /// Parks an object that failed transiently until `at`, unless a newer change already waits.
    pub fn defer(&self, key: ObjectKey, mut pending: Pending, at: Instant) {
        let mut g = self.lock();
        g.in_flight = None;
        g.version += 1;
        if !g.pending.contains_key(&key) {
            pending.attempts += 1;
            g.delayed.insert(key, (at, pending));
        }
    }

    fn promote_due(&self, now: Instant) {
        let mut g = self.lock();
        if g.delayed.is_empty() {
            return;
        }
        let due: Vec<ObjectKey> = g
            .delayed
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut send = Vec::new();
        for key in due {
            if let Some((_, p)) = g.delayed.remove(&key) {
                send.push((key.clone(), p.priority));
                g.pending.insert(key, p);
            }
        }
        drop(g);
        for (key, prio) in send {
            self.send(key, prio);
        }
    }

    /// Moves every delayed object back into the queue now (used by force sync and settings
    /// changes, which should not wait for backoff timers).
    pub fn retry_delayed_now(&self) {
        let far = Instant::now() + Duration::from_secs(366 * 86_400);
        self.promote_due(far);
    }

    /// Stops intake: every later `enqueue` fails with `ShutDown`.
    pub fn close(&self) {
        self.lock().closed = true;
    }

    /// Waits until nothing is pending or in flight and the worker has reported on the last item
    /// (delayed retries do not count), up to
    /// `timeout`. Returns whether the queue became idle.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut g = self.lock();
        loop {
            if g.pending.is_empty() && g.in_flight.is_none() && !g.settling {
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

    /// Whether an object has work waiting, delayed or in flight.
    pub fn is_pending(&self, key: &ObjectKey) -> bool {
        let g = self.lock();
        g.pending.contains_key(key)
            || g.delayed.contains_key(key)
            || g.in_flight.as_ref().is_some_and(|(k, _)| k == key)
    }

    /// (waiting now, waiting for a retry time, in flight).
    pub fn depth(&self) -> (usize, usize, usize) {
        let g = self.lock();
        (
            g.pending.len(),
            g.delayed.len(),
            usize::from(g.in_flight.is_some()),
        )
    }

    /// A counter that changes whenever what is waiting or in flight changes (lets the persister
    /// skip saving an unchanged queue).
    pub fn version(&self) -> u64 {
        self.lock().version
    }

    /// Every unfinished change (waiting, delayed and in flight), for persisting.
    pub fn snapshot(&self) -> Vec<(ObjectKey, Change)> {
        let g = self.lock();
        let mut out: Vec<(ObjectKey, Change)> = g
            .pending
            .iter()
            .map(|(k, p)| (k.clone(), p.change.clone()))
            .chain(
                g.delayed
                    .iter()
                    .map(|(k, (_, p))| (k.clone(), p.change.clone())),
            )
            .collect();
        if let Some((k, c)) = &g.in_flight {
            if !g.pending.contains_key(k) && !g.delayed.contains_key(k) {
                out.push((k.clone(), c.clone()));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests;
