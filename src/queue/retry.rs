//! Retry: objects that failed transiently wait for their retry time (one entry per object,
//! in time order) and are moved back to the waiting objects when it comes, or at once.

use super::{Pending, WorkQueue};
use crate::object::ObjectKey;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Objects waiting for a retry time, with their times in order. An object leaving early (a new
/// change arrived, or a retry now) takes its time with it, so the set never holds more entries
/// than objects: a heap of times with stale entries grew by one per failed attempt while the
/// cloud was down.
#[derive(Default)]
pub(super) struct Delayed {
    by_key: super::KeyMap<((Instant, u64), Pending)>,
    due: BTreeMap<(Instant, u64), ObjectKey>,
    tickets: u64,
}

impl Delayed {
    pub(super) fn len(&self) -> usize {
        self.by_key.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub(super) fn contains_key(&self, key: &ObjectKey) -> bool {
        self.by_key.contains_key(key)
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &ObjectKey> {
        self.by_key.keys()
    }

    /// The change waiting for a retry time, to amend in place (its time stays).
    pub(super) fn get_mut(&mut self, key: &ObjectKey) -> Option<&mut Pending> {
        self.by_key.get_mut(key).map(|(_, p)| p)
    }

    /// How many retry times are kept (one per object; for tests).
    #[cfg(test)]
    pub(super) fn times(&self) -> usize {
        self.due.len()
    }

    /// Parks an object until `at` (replacing a time it already had).
    pub(super) fn insert(&mut self, key: ObjectKey, at: Instant, p: Pending) {
        self.remove(&key);
        self.tickets += 1;
        let slot = (at, self.tickets);
        self.due.insert(slot, key.clone());
        self.by_key.insert(key, (slot, p));
    }

    pub(super) fn remove(&mut self, key: &ObjectKey) -> Option<Pending> {
        let (slot, p) = self.by_key.remove(key)?;
        self.due.remove(&slot);
        Some(p)
    }

    /// The earliest object due at `now` or before, taken out.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<(ObjectKey, Pending)> {
        let (&slot, _) = self
            .due
            .first_key_value()
            .filter(|((at, _), _)| *at <= now)?;
        let key = self.due.remove(&slot)?;
        let (_, p) = self.by_key.remove(&key)?;
        Some((key, p))
    }

    /// When the earliest object is due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.due.first_key_value().map(|((at, _), _)| *at)
    }

    /// Every object, taken out.
    pub(super) fn take_all(&mut self) -> Vec<(ObjectKey, Pending)> {
        self.due.clear();
        self.by_key.drain().map(|(k, (_, p))| (k, p)).collect()
    }
}

impl WorkQueue {
    /// Moves due delayed objects back into the queue; returns the time until the next one.
    pub(super) fn promote_due(&self, now: Instant) -> Option<Duration> {
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
}
