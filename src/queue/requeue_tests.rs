//! Processing an object again (the engine's requeues) against accepted changes.

use super::tests::{user, T};
use super::*;

#[test]
fn an_internal_requeue_does_not_make_a_snapshot_older_than_the_object() {
    let q = WorkQueue::new(10, 0);
    let a = ObjectKey::user("a");
    q.enqueue(a.clone(), user("a", "1"), Priority::Normal)
        .unwrap();
    let (k, _) = q.next(0, T).unwrap();
    q.finish(&k, true);
    let snapshot = q.accepted_seq();
    // gcsync queues the object again itself: the snapshot still applies.
    assert!(q
        .requeue(a.clone(), user("a", "2"), Priority::Normal, false)
        .unwrap());
    assert!(!q.newer_than(&a, snapshot));
    assert!(q
        .enqueue_unless_newer(a.clone(), user("a", "3"), Priority::Normal, snapshot)
        .unwrap());
    // A change from the host after the snapshot wins over it.
    let snapshot = q.accepted_seq();
    q.enqueue(a.clone(), user("a", "4"), Priority::Normal)
        .unwrap();
    assert!(q.newer_than(&a, snapshot));
    assert!(!q
        .enqueue_unless_newer(a.clone(), user("a", "5"), Priority::Normal, snapshot)
        .unwrap());
}

#[test]
fn an_internal_requeue_never_replaces_a_waiting_change() {
    let q = WorkQueue::new(10, 0);
    let (a, b) = (ObjectKey::user("a"), ObjectKey::user("b"));
    // A waiting removal stays a removal; a waiting newer upsert stays as the host sent it.
    q.enqueue(a.clone(), Change::Remove, Priority::Normal)
        .unwrap();
    assert!(!q
        .requeue(a.clone(), user("a", "old"), Priority::Normal, false)
        .unwrap());
    q.enqueue(b.clone(), user("b", "new"), Priority::Normal)
        .unwrap();
    assert!(!q
        .requeue(b.clone(), user("b", "old"), Priority::Normal, false)
        .unwrap());
    let forced = |c: Change| match c {
        Change::Upsert { object, .. } => Change::Upsert {
            object,
            force: true,
        },
        c => c,
    };
    // A forced re-queue makes the waiting upsert forced, with the host's data.
    assert!(!q
        .requeue(b.clone(), user("b", "old"), Priority::Normal, true)
        .unwrap());
    let mut got = std::collections::HashMap::new();
    while let Some((k, p)) = q.next(0, T) {
        got.insert(k.clone(), (*p.change).clone());
        q.finish(&k, true);
    }
    assert_eq!(got[&a], Change::Remove);
    assert_eq!(got[&b], forced(user("b", "new")));
}

#[test]
fn an_internal_requeue_carries_the_latest_accepted_word_not_the_tables() {
    let q = WorkQueue::new(10, 0);
    let (a, b) = (ObjectKey::user("a"), ObjectKey::user("b"));
    // A removal taken by a worker (in flight, the table not updated yet): nothing is queued.
    q.enqueue(a.clone(), Change::Remove, Priority::Normal)
        .unwrap();
    let (k, _) = q.next(0, T).unwrap();
    assert!(!q
        .requeue(a.clone(), user("a", "old"), Priority::Normal, false)
        .unwrap());
    q.finish(&k, true);
    // A newer change in flight: the re-queue carries it, not the table's older one.
    q.enqueue(b.clone(), user("b", "new"), Priority::Normal)
        .unwrap();
    let (k, _) = q.next(0, T).unwrap();
    assert!(q
        .requeue(b.clone(), user("b", "old"), Priority::Normal, false)
        .unwrap());
    q.finish(&k, true);
    let (k, p) = q.next(0, T).unwrap();
    assert_eq!((k, (*p.change).clone()), (b.clone(), user("b", "new")));
    assert!(q.next(0, T).is_none());
}
