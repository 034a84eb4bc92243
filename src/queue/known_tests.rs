//! The hook's identical-change check, made before the queue's lock is taken.

use super::intake::{Known, Replaced};
use super::tests::user;
use super::*;

/// The hook's look at what an object last accepted is taken before the lock: its answer is
/// used only while that is still the last change accepted (the same allocation).
#[test]
fn an_identity_answer_found_before_the_lock_is_used_only_for_the_change_it_was_found_for() {
    let q = WorkQueue::new(10, 0);
    let a = ObjectKey::user("a");
    q.enqueue(a.clone(), user("a", "1"), Priority::Normal)
        .unwrap();
    let last = |q: &WorkQueue| q.lock().accepted.get(&a).unwrap().what.clone().unwrap();
    let accept = |q: &WorkQueue, name: &str, known: &Known| {
        let mut old = Replaced::default();
        let mut g = q.lock();
        let change = Arc::new(user("a", name));
        let step = q.accept(
            &mut g,
            a.clone(),
            change,
            (Priority::Normal, u64::MAX, super::intake::Mode::Ask),
            &mut old,
            Some(known),
        );
        step.unwrap().is_some()
    };
    // Said identical while "1" is still the last accepted: taken as said (a change that
    // differs is dropped: the answer is trusted, not recomputed under the lock).
    let stale = Known {
        what: last(&q),
        identical: true,
    };
    assert!(!accept(&q, "2", &stale), "the answer is used");
    // Another change is accepted meanwhile: the answer about "1" no longer counts, and the
    // comparison is made under the lock (an equal value is not the same allocation).
    q.enqueue(a.clone(), user("a", "3"), Priority::Normal)
        .unwrap();
    assert!(accept(&q, "4", &stale), "a stale answer is not used");
    let equal = Known {
        what: Accepted::Change(Arc::new(user("a", "4"))),
        identical: false,
    };
    assert!(
        !accept(&q, "4", &equal),
        "compared under the lock: identical"
    );
    assert_eq!(q.take_unsaved().0.len(), 1);
    assert_eq!(
        q.accepted_seq(),
        3,
        "1, 3 and 4 accepted; 2 and the second 4 not"
    );
}
