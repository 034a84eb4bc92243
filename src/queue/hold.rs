//! What a worker's hold on an object means when a newer change of that object arrives.
//!
//! A change accepted for an object a worker holds waits in the queue until the worker lets go
//! (never ending the step half-way: writes it made would go unrecorded). But a step that has not
//! yet got any write through gives its stale change up for the newest one: the hook marks the
//! holder's [`Hold`] superseded (one atomic, under the queue's lock), and the worker's Genesys
//! client looks at it at the point of no return, right before it sends a write. Before the first
//! write is answered with success, the write is refused ([`Hold::may_send_write`] is false), the
//! step ends as interrupted and the object goes back to the queue, where the newest change
//! replaces the held one: one write with the newest data instead of two. Once a write of the
//! step got through, the step runs to its end and the newest change waits for it.
//!
//! A retry of a write whose earlier attempt got no answer (a dropped connection, a 5xx) may have
//! reached Genesys Cloud. Giving up there is what running out of retries does already, but only
//! a version-guarded write (a `PATCH` carrying the object's `version`) is given up: should the
//! lost attempt have been applied, the next write with the same version is refused with a
//! conflict, and the next step reads the object again. Any other unanswered write keeps the
//! step going (the hold is "unsure").

use std::sync::atomic::{AtomicU8, Ordering};

/// The step may give its object up (a step holding one object; batches never do).
const ARMED: u8 = 1;
/// A newer change of a held object was accepted.
const SUPERSEDED: u8 = 2;
/// A write of the step was answered with success: the point of no return is passed.
const WROTE: u8 = 4;
/// A write of the step got no answer and carried no version: it may have been applied.
const UNSURE: u8 = 8;
/// A version-guarded write of the step got no answer (it may have been applied).
const GUARDED_UNSURE: u8 = 16;
/// A write was refused: the step gives its object up.
const YIELDED: u8 = 32;

/// One worker slot's hold (shared by the queue, the worker and the worker's client).
#[derive(Debug, Default)]
pub struct Hold(AtomicU8);

/// What a write attempt is, for [`Hold::may_send_write`] and [`Hold::answered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// Not a write (a GET, a search, the login).
    Read,
    /// A write carrying the object's `version` (a conflict tells if a lost attempt applied).
    Guarded,
    /// Any other write.
    Unguarded,
}

/// How an attempt ended, for [`Hold::answered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 2xx: the write was applied.
    Applied,
    /// Refused before it was applied (4xx, 429).
    Refused,
    /// No answer, or a 5xx: it may have been applied.
    Unknown,
}

impl Hold {
    /// A new hold (under the queue's lock, as the worker takes an object): nothing seen yet.
    pub(super) fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }

    /// A newer change of a held object was accepted (under the queue's lock).
    pub(super) fn supersede(&self) {
        self.0.fetch_or(SUPERSEDED, Ordering::SeqCst);
    }

    /// The worker's step holds one object: it may give it up before its first write.
    pub fn arm(&self) {
        self.0.fetch_or(ARMED, Ordering::SeqCst);
    }

    /// The point of no return: whether a write attempt may be sent now. False (and the hold
    /// yielded, for good) when the step holds one object, a newer change of it waits, and no
    /// write of the step got through or may have got through unguarded; a refused write is
    /// never sent.
    pub fn may_send_write(&self, kind: WriteKind) -> bool {
        if kind == WriteKind::Read {
            return true;
        }
        let s = self.0.load(Ordering::SeqCst);
        if s & YIELDED != 0 {
            return false;
        }
        let may_yield = s & ARMED != 0 && s & SUPERSEDED != 0 && s & (WROTE | UNSURE) == 0;
        if may_yield {
            self.0.fetch_or(YIELDED, Ordering::SeqCst);
        }
        !may_yield
    }

    /// Records how a write attempt ended.
    pub fn answered(&self, kind: WriteKind, answer: Answer) {
        let bit = match (kind, answer) {
            (WriteKind::Read, _) | (_, Answer::Refused) => return,
            (_, Answer::Applied) => WROTE,
            (WriteKind::Guarded, Answer::Unknown) => GUARDED_UNSURE,
            (WriteKind::Unguarded, Answer::Unknown) => UNSURE,
        };
        self.0.fetch_or(bit, Ordering::SeqCst);
    }

    /// Whether a write of the step was applied or may have been (answered with success, or
    /// got no answer): a step that ends without recording it leaves Genesys ahead of the record.
    pub fn may_have_written(&self) -> bool {
        self.0.load(Ordering::SeqCst) & (WROTE | UNSURE | GUARDED_UNSURE) != 0
    }

    /// Whether the step gave its object up (a write was refused).
    pub fn yielded(&self) -> bool {
        self.0.load(Ordering::SeqCst) & YIELDED != 0
    }

    /// Whether a write of the step that was given up may have been applied (a version-guarded
    /// write got no answer): the object must not count as synced with what it had before.
    pub fn maybe_applied(&self) -> bool {
        self.0.load(Ordering::SeqCst) & GUARDED_UNSURE != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armed_and_superseded() -> Hold {
        let h = Hold::default();
        h.arm();
        h.supersede();
        h
    }

    #[test]
    fn a_superseded_step_yields_at_its_first_write_and_never_writes_after() {
        let h = armed_and_superseded();
        assert!(h.may_send_write(WriteKind::Read), "reads go on");
        assert!(!h.may_send_write(WriteKind::Guarded));
        assert!(h.yielded());
        assert!(!h.may_send_write(WriteKind::Unguarded), "refused for good");
        assert!(!h.maybe_applied());
    }

    #[test]
    fn a_step_whose_write_got_through_or_may_have_keeps_going() {
        let h = Hold::default();
        h.arm();
        assert!(h.may_send_write(WriteKind::Unguarded));
        h.answered(WriteKind::Unguarded, Answer::Applied);
        h.supersede();
        assert!(
            h.may_send_write(WriteKind::Unguarded),
            "past the point of no return"
        );
        let unsure = Hold::default();
        unsure.arm();
        unsure.answered(WriteKind::Unguarded, Answer::Unknown);
        unsure.supersede();
        assert!(unsure.may_send_write(WriteKind::Unguarded));
        assert!(!unsure.yielded());
    }

    #[test]
    fn an_unanswered_version_guarded_write_is_given_up_and_marked() {
        let h = Hold::default();
        h.arm();
        h.answered(WriteKind::Guarded, Answer::Unknown);
        h.answered(WriteKind::Guarded, Answer::Refused);
        h.supersede();
        assert!(!h.may_send_write(WriteKind::Guarded));
        assert!(h.yielded() && h.maybe_applied());
    }

    #[test]
    fn a_step_may_have_written_once_a_write_was_applied_or_went_unanswered() {
        let h = Hold::default();
        h.arm();
        assert!(!h.may_have_written());
        h.answered(WriteKind::Read, Answer::Applied);
        h.answered(WriteKind::Guarded, Answer::Refused);
        assert!(!h.may_have_written(), "a read or a refused write");
        for (kind, answer) in [
            (WriteKind::Guarded, Answer::Unknown),
            (WriteKind::Unguarded, Answer::Unknown),
            (WriteKind::Unguarded, Answer::Applied),
        ] {
            let h = Hold::default();
            h.answered(kind, answer);
            assert!(h.may_have_written(), "{kind:?} {answer:?}");
            h.reset();
            assert!(!h.may_have_written(), "a new step");
        }
    }

    #[test]
    fn batches_and_steps_without_a_newer_change_never_yield() {
        let batch = Hold::default();
        batch.supersede();
        assert!(batch.may_send_write(WriteKind::Unguarded), "not armed");
        let h = Hold::default();
        h.arm();
        assert!(h.may_send_write(WriteKind::Guarded), "nothing newer");
        h.reset();
        assert!(!h.yielded());
    }

    /// The queue's side: a change of the object slot 0 holds marks slot 0's hold (not another
    /// object's change, not another slot), the step gives it up at its first write, and the
    /// newest change is what the next take hands out, with a fresh hold.
    #[test]
    fn a_change_of_a_held_object_marks_its_holder_and_the_next_take_has_the_newest() {
        use super::super::tests::user;
        use super::super::{Priority, WorkQueue};
        use crate::object::ObjectKey;
        let t = std::time::Duration::from_millis(10);
        let q = WorkQueue::with_workers(10, 0, 2);
        let (a, b) = (ObjectKey::user("a"), ObjectKey::user("b"));
        q.enqueue(a.clone(), user("a", "old"), Priority::Normal)
            .unwrap();
        let (k, held) = q.next(0, t).unwrap();
        assert_eq!(k, a);
        let h = q.hold(0);
        h.arm();
        q.enqueue(b.clone(), user("b", "x"), Priority::Normal)
            .unwrap();
        assert!(
            h.may_send_write(WriteKind::Guarded),
            "another object's change"
        );
        q.enqueue(a.clone(), user("a", "new"), Priority::Normal)
            .unwrap();
        assert!(!q.hold(1).yielded());
        assert!(
            !h.may_send_write(WriteKind::Guarded),
            "given up at the first write"
        );
        q.put_back(a.clone(), held);
        q.settled();
        let mut taken = [q.next(0, t).unwrap(), q.next(0, t).unwrap()];
        taken.sort_by(|x, y| x.0.id.cmp(&y.0.id));
        assert_eq!(*taken[0].1.change, user("a", "new"));
        assert!(!q.hold(0).yielded(), "a new step starts with a fresh hold");
    }
}
