//! Intake: accepting changes from the hooks (and the engine's own requeues and full syncs),
//! coalescing them per object, numbering them, and remembering what each object last accepted.

use super::waiting::{Accepted, Last};
use super::{Change, Inner, Pending, Priority, WorkQueue};
use crate::kinds::CicObject;
use crate::object::ObjectKey;
use crate::result::{Failure, GcsyncResult};
use std::sync::Arc;

/// What the changes applied from the inbox need once the queue's lock is let go.
#[derive(Default)]
pub(super) struct AfterDrain {
    /// How many were applied (they leave the inbox's count once the depths are published).
    pub(super) drained: usize,
    signals: Vec<Signal>,
    replaced: Vec<Replaced>,
}

/// Whether [`WorkQueue::accept`] may refuse the change.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A caller still waiting for the answer: refused when closed or full.
    Ask,
    /// A hook's change from the inbox: the hook was told OK already, so neither shutdown (its
    /// close applies the inbox before it closes) nor the limit (decided by the hook) refuses it.
    Told,
}

/// What an accepted change needs once the queue's lock is let go.
pub(super) enum Signal {
    /// Send the key of a newly waiting object to the workers.
    Send(ObjectKey, Priority),
    /// Nothing (the object was waiting already).
    Nothing,
}

/// What accepting a change replaced (older changes of the object), kept to be freed once the
/// queue's lock is let go: the last reference to an older change frees a whole CIC object.
#[derive(Default)]
pub(super) struct Replaced {
    pub(super) accepted: Option<Accepted>,
    pub(super) pending: Option<Arc<Change>>,
    pub(super) unsaved: Option<(ObjectKey, Arc<Change>)>,
}

/// What an object last accepted, read before the queue's lock was taken, and whether the new
/// change is identical to it.
pub(super) struct Known {
    pub(super) what: Accepted,
    pub(super) identical: bool,
}

/// Where an accepted change goes: into the change waiting already, into the object's place
/// among the waiting ones (taken from its retry time), or into a new place.
enum Slot<'a> {
    Waiting(&'a mut Pending),
    Delayed(Pending),
    New,
}

impl WorkQueue {
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
        // Whether the change is identical to what the object last accepted is found outside
        // the lock: the comparison reads the whole older object, cold in memory (a 1 KB user
        // is dozens of allocations), which every other hook and worker would wait for. Under
        // the lock only a reference to it is taken; the answer is used if it is still the
        // last one accepted (the same allocation: held here, so it cannot be a new one at the
        // same address).
        let last = self.lock().accepted.get(&key).and_then(|a| a.what.clone());
        let known = last.map(|what| {
            let identical = !change.is_forced() && what.is(&change);
            Known { what, identical }
        });
        let mut old = Replaced::default();
        let mut g = self.lock();
        let step = self.accept(
            &mut g,
            key,
            change,
            (priority, limit, Mode::Ask),
            &mut old,
            known.as_ref(),
        );
        drop(g);
        drop(known);
        // What the change replaced is freed after the lock is let go.
        drop(old);
        let step = step?;
        let accepted = step.is_some();
        self.signal(step);
        if accepted {
            self.wake_parked_writer();
        }
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
            let step = self.accept(
                &mut g,
                key,
                Arc::new(change),
                (priority, u64::MAX, Mode::Ask),
                &mut old,
                None,
            );
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
        self.wake_parked_writer();
        (accepted, refused)
    }

    /// The locked part of accepting one change: `Ok(None)` when it is identical to what is
    /// accepted already, or a change newer than `limit` exists (nothing to do), else what to
    /// signal once the lock is let go. `known`: whether the change is identical to
    /// `known.what`, found before the lock was taken (used if that is still the last change
    /// accepted; else, or without it, compared here).
    pub(super) fn accept(
        &self,
        g: &mut Inner,
        key: ObjectKey,
        change: Arc<Change>,
        (priority, limit, mode): (Priority, u64, Mode),
        old: &mut Replaced,
        known: Option<&Known>,
    ) -> Result<Option<Signal>, Failure> {
        // One look-up per map (each hashes the key under the lock), the object's entries
        // borrowed side by side.
        let Inner {
            pending,
            delayed,
            in_flight,
            closed,
            seq,
            unsaved,
            accepted,
            members,
            ..
        } = g;
        let last = accepted.get_mut(&key);
        if last.as_ref().is_some_and(|a| a.seq > limit) {
            return Ok(None);
        }
        if *closed && mode == Mode::Ask {
            return Err(Failure::new(
                GcsyncResult::ShutDown,
                "gcsync is shutting down; the change was not accepted",
            ));
        }
        let identical = match (last.as_ref().and_then(|a| a.what.as_ref()), known) {
            _ if change.is_forced() => false,
            (Some(what), Some(k)) if what.same(&k.what) => k.identical,
            (Some(what), _) => what.is(&change),
            (None, _) => false,
        };
        if identical {
            return Ok(None);
        }
        let full = pending.len() + delayed.len() >= self.max_pending && mode == Mode::Ask;
        let slot = match pending.get_mut(&key) {
            Some(p) => Slot::Waiting(p),
            None => match delayed.remove(&key) {
                Some(d) => Slot::Delayed(d),
                None if full => {
                    return Err(Failure::new(
                        GcsyncResult::QueueFull,
                        format!(
                            "{} objects are already waiting (max_pending_objects); try again later",
                            self.max_pending
                        ),
                    ))
                }
                None => Slot::New,
            },
        };
        *seq += 1;
        let seq = *seq;
        match last {
            Some(a) => {
                old.accepted = a.what.replace(Accepted::Change(change.clone()));
                a.seq = seq;
            }
            None => {
                let what = Some(Accepted::Change(change.clone()));
                accepted.insert(key.clone(), Last { what, seq });
            }
        }
        let holder = match in_flight.is_empty() {
            true => None,
            false => in_flight.get(&key).copied(),
        };
        let newly = match slot {
            Slot::Waiting(p) => {
                let merged = Change::merge(&p.change, change);
                old.pending = Some(std::mem::replace(&mut p.change, merged));
                p.seq = seq;
                if priority == Priority::High {
                    p.priority = Priority::High;
                }
                let c = p.change.clone();
                old.unsaved = unsaved.insert(key, (seq, c));
                None
            }
            slot => {
                let was_delayed = matches!(slot, Slot::Delayed(_));
                let (change, attempts) = match slot {
                    Slot::Delayed(d) => {
                        let merged = Change::merge(&d.change, change);
                        old.pending = Some(d.change);
                        (merged, d.attempts)
                    }
                    _ => (change, 0),
                };
                old.unsaved = unsaved.insert(key.clone(), (seq, change.clone()));
                let p = Pending {
                    change,
                    seq,
                    attempts,
                    priority,
                };
                pending.insert_new(key.clone(), p);
                if holder.is_none() && !was_delayed {
                    self.members.add(members, &key);
                }
                Some(key)
            }
        };
        // A worker holding the object is not interrupted: it finishes its step (its waits
        // too), so what it wrote is recorded, and the change goes out when it lets go. Ending
        // the step half-way would leave writes it made unrecorded (an object created but not
        // linked, assignments made but forgotten: issue 12's stream and storm tests). Its hold
        // is marked: a step that has got no write through yet gives its stale change up at its
        // next write (`hold.rs`).
        if let Some(slot) = holder {
            self.holds[slot].supersede();
        }
        Ok(Some(match (holder, newly) {
            (None, Some(key)) => Signal::Send(key, priority),
            _ => Signal::Nothing,
        }))
    }

    /// Applies every change waiting in the inbox, oldest first, as [`WorkQueue::enqueue`] would
    /// have under this lock (numbering, coalescing, the identical-change check, unsaved); what
    /// they signal and replace goes to `after`, for when the lock is let go. Only those pushed
    /// before the lock was taken (the others are concurrent with this holder): a flood of
    /// hooks cannot keep a holder applying for ever.
    pub(super) fn drain_inbox(&self, g: &mut Inner, after: &mut AfterDrain) {
        for _ in 0..self.inbox.rx.len() {
            let Ok(e) = self.inbox.rx.try_recv() else {
                break;
            };
            let mut old = Replaced::default();
            let mode = (e.priority, u64::MAX, Mode::Told);
            // `Told` is never refused.
            if let Ok(step) = self.accept(g, e.key, e.change, mode, &mut old, None) {
                after.signals.extend(step);
            }
            self.inbox.marks.remove(e.mark);
            after.drained += 1;
            after.replaced.push(old);
        }
    }

    /// After the lock: sends what the changes applied from the inbox signal, frees what they
    /// replaced.
    pub(super) fn after_drain(&self, after: AfterDrain) {
        for step in after.signals {
            self.signal(Some(step));
        }
        drop(after.replaced);
    }

    /// After the lock: a newly waiting object's key goes to the workers (one held by a worker
    /// is sent when it lets go).
    pub(super) fn signal(&self, step: Option<Signal>) {
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

    /// Puts back a change loaded from the store at start (already durable, not written again).
    pub fn restore(&self, key: ObjectKey, change: Change, seq: u64) {
        let mut g = self.lock();
        g.seq = g.seq.max(seq);
        let change = Arc::new(change);
        g.accepted.entry(key.clone()).or_default().what = Some(Accepted::Change(change.clone()));
        if !(g.pending.contains_key(&key)
            || g.delayed.contains_key(&key)
            || g.in_flight.contains_key(&key))
        {
            let Inner { members, .. } = &mut *g;
            self.members.add(members, &key);
        }
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
}
