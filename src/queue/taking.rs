//! Taking work: the workers' side of the queue. A worker takes an object (high priority
//! first), holds it until it lets go (finished, deferred to a retry time, or put back), and may
//! take more waiting objects for one batch; planning reads the next waiting ones.

use super::{Change, Locked, Pending, WorkQueue, PEEK_SCAN};
use crate::object::ObjectKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which channels a worker takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    Any,
    High,
    Normal,
}

impl WorkQueue {
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
        // A new step: under the lock, so a change accepted from now on marks this hold.
        self.holds[slot].reset();
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
        if newer.is_none() && !g.delayed.contains_key(key) {
            let super::Inner { members, .. } = &mut *g;
            self.members.remove(members, key);
        }
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

    /// The holder lets go of `key`: when a newer change waits, the held one merges into it
    /// (a forced check stays forced) and the key goes to the workers (`None`); otherwise the
    /// locked queue and the held change come back to be parked.
    fn let_go(&self, key: ObjectKey, pending: Pending) -> Option<(Locked<'_>, ObjectKey, Pending)> {
        let mut g = self.lock();
        g.in_flight.remove(&key);
        if let Some(newer) = g.pending.get_mut(&key) {
            newer.change = Change::merge(&pending.change, newer.change.clone());
            let priority = newer.priority;
            drop(g);
            self.send(key, priority);
            return None;
        }
        Some((g, key, pending))
    }

    /// Parks an object that failed transiently until `at`, unless a newer change already waits.
    pub fn defer(&self, key: ObjectKey, pending: Pending, at: Instant) {
        if let Some((mut g, key, mut pending)) = self.let_go(key, pending) {
            pending.attempts += 1;
            g.delayed.insert(key, at, pending);
        }
    }

    /// Returns an interrupted change to the queue at once, without counting an attempt.
    pub fn put_back(&self, key: ObjectKey, pending: Pending) {
        let Some((mut g, key, pending)) = self.let_go(key, pending) else {
            return;
        };
        let prio = pending.priority;
        g.pending.insert(key.clone(), pending);
        drop(g);
        self.send(key, prio);
    }

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
}
