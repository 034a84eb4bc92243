//! Processing an object again because something around it changed (an object it waited for is
//! synced, a workgroup's skills changed, settings changed how it maps), without ever replacing
//! a newer change of it by older data.

use super::waiting::Last;
use super::{Accepted, Change, Priority, WorkQueue};
use crate::object::ObjectKey;
use crate::result::Failure;
use std::sync::Arc;

impl WorkQueue {
    /// Queues `key` to be processed again with the latest change CIC sent for it.
    ///
    /// A change of the object that is waiting already (for a worker or for its retry time) is
    /// kept as it is: it is the latest CIC sent, and the caller's `fallback` (built from the
    /// object table, which holds what was last *processed*) may be older, so queueing it would
    /// lose a change accepted from a hook (with `force`, the waiting change becomes forced).
    /// Otherwise the last accepted change is queued again, even when it is identical to what
    /// was last accepted (that is the point), or `fallback` when the queue remembers none; the
    /// object's acceptance sequence stays as it was.
    /// Returns whether anything was queued.
    pub fn requeue(
        &self,
        key: ObjectKey,
        fallback: Change,
        priority: Priority,
        force: bool,
    ) -> Result<bool, Failure> {
        let mut old = super::intake::Replaced::default();
        let mut g = self.lock();
        let forced = |p: &mut super::Pending| {
            if let Change::Upsert { object, .. } = &*p.change {
                p.change = Arc::new(Change::Upsert {
                    object: object.clone(),
                    force: true,
                });
            }
        };
        if let Some(p) = g.pending.get_mut(&key) {
            if force {
                forced(p);
            }
            return Ok(false);
        }
        if let Some(p) = g.delayed.get_mut(&key) {
            if force {
                forced(p);
            }
            return Ok(false);
        }
        let latest = match g.accepted.get_mut(&key) {
            // After an accepted removal nothing is queued: it is applied (or being applied), and
            // re-queuing its object's older data would bring the object back.
            Some(Last {
                what: Some(Accepted::Change(c)),
                ..
            }) if matches!(**c, Change::Remove) => return Ok(false),
            Some(last) => last.what.take(),
            None => None,
        };
        let latest = match latest {
            Some(Accepted::Change(c)) => (*c).clone(),
            Some(Accepted::Synced(object)) => Change::Upsert {
                object: (*object).clone(),
                force: false,
            },
            // The record's CIC data, which `fallback` is made from (nothing decoded here).
            Some(Accepted::Stored(_)) | None => fallback,
        };
        let change = match latest {
            Change::Upsert { object, force: f } => Change::Upsert {
                object,
                force: f || force,
            },
            remove => remove,
        };
        // Not a new change from the host: the object's acceptance sequence stays as it was, so
        // a Force Complete Sync's snapshot taken earlier is not made older than it
        // (`newer_than`).
        let seq = g.accepted.get(&key).map_or(0, |l| l.seq);
        let step = self.accept(
            &mut g,
            key.clone(),
            Arc::new(change),
            (priority, u64::MAX, super::intake::Mode::Ask),
            &mut old,
            None,
        );
        if matches!(step, Ok(Some(_))) {
            if let Some(last) = g.accepted.get_mut(&key) {
                last.seq = seq;
            }
        }
        drop(g);
        drop(old);
        let step = step?;
        let queued = step.is_some();
        self.signal(step);
        if queued {
            self.wake_parked_writer();
        }
        Ok(queued)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::user;
    use super::*;
    use std::time::Duration;

    const T: Duration = Duration::from_millis(10);

    /// The storm's lost change (issue 12): a hook's change of a user waits; a workgroup's new
    /// skills (or a synced dependency) queue the user again from the object table, which holds
    /// an older version. The waiting change must be the one processed.
    #[test]
    fn a_requeue_never_replaces_a_newer_waiting_change_with_older_data() {
        let q = WorkQueue::new(10, 0);
        let key = ObjectKey::user("a");
        q.enqueue(key.clone(), user("a", "new"), Priority::Normal)
            .unwrap();
        let queued = q
            .requeue(key.clone(), user("a", "old"), Priority::Normal, false)
            .unwrap();
        assert!(!queued, "the waiting change stays");
        let (k, p) = q.next(0, T).unwrap();
        assert_eq!((k, (*p.change).clone()), (key.clone(), user("a", "new")));
        let (unsaved, _) = q.take_unsaved();
        assert_eq!(unsaved.len(), 1);
        assert_eq!(*unsaved[0].2, user("a", "new"), "and is what gets saved");
    }

    #[test]
    fn a_requeue_of_an_object_in_flight_queues_its_latest_change_again() {
        let q = WorkQueue::new(10, 0);
        let key = ObjectKey::user("a");
        q.enqueue(key.clone(), user("a", "new"), Priority::Normal)
            .unwrap();
        let (_, taken) = q.next(0, T).unwrap();
        assert_eq!(*taken.change, user("a", "new"));
        // The worker holds "new"; the object table still says "old" (not processed yet).
        let queued = q
            .requeue(key.clone(), user("a", "old"), Priority::Normal, true)
            .unwrap();
        assert!(queued, "processed again once the holder lets go");
        let (unsaved, _) = q.take_unsaved();
        let mut forced = user("a", "new");
        if let Change::Upsert { force, .. } = &mut forced {
            *force = true;
        }
        assert_eq!(*unsaved.last().unwrap().2, forced);
    }

    #[test]
    fn a_requeue_of_an_idle_object_uses_the_fallback_when_nothing_was_accepted() {
        let q = WorkQueue::new(10, 0);
        let key = ObjectKey::user("a");
        assert!(q
            .requeue(key.clone(), user("a", "table"), Priority::Normal, false)
            .unwrap());
        assert_eq!(*q.next(0, T).unwrap().1.change, user("a", "table"));
    }
}
