//! The hooks' inbox: what a reader sees of a change not yet applied, shutdown, the limit and
//! the order against the locked intake.

use super::tests::user;
use super::*;
use crate::result::GcsyncResult;
use std::collections::BTreeSet;

fn offer(q: &WorkQueue, id: &str, name: &str) -> Result<(), crate::result::Failure> {
    q.offer(ObjectKey::user(id), user(id, name), Priority::Normal)
}

#[test]
fn a_change_in_the_inbox_is_pending_for_status_which_applies_nothing() {
    let q = WorkQueue::new(10, 0);
    let a = ObjectKey::user("a");
    offer(&q, "a", "1").unwrap();
    assert_eq!(q.inbox.rx.len(), 1);
    assert!(q.is_pending(&a));
    assert!(q.has_waiting(&a));
    assert!(!q.is_pending(&ObjectKey::user("b")));
    assert_eq!(q.inbox.rx.len(), 1, "a status query applies nothing");
    assert!(q.has_unsaved_now(), "the writer sees it without the lock");
    // Any holder of the lock applies it: numbered, waiting, for the writer.
    assert_eq!(q.accepted_seq(), 1);
    assert!(q.inbox.rx.is_empty());
    assert!(!q.in_inbox(&a), "unmarked once applied");
    assert!(q.is_pending(&a), "still pending, now in the maps");
    assert_eq!(q.depth(), (1, 0, 0));
    let (k, p) = q.next(0, Duration::from_millis(10)).unwrap();
    assert_eq!((k, &*p.change), (a.clone(), &user("a", "1")));
    q.finish(&a, true);
    q.settled();
    assert!(!q.is_pending(&a));
}

#[test]
fn waits_and_the_sequence_number_count_a_change_still_in_the_inbox() {
    let q = WorkQueue::new(10, 0);
    offer(&q, "a", "1").unwrap();
    assert!(
        !q.wait_idle(Duration::from_millis(20)),
        "not idle: a change waits in the inbox"
    );
    let q = WorkQueue::new(10_000, 0);
    std::thread::scope(|s| {
        for t in 0..2 {
            let q = &q;
            s.spawn(move || {
                for i in 0..500 {
                    offer(q, &format!("t{t}u{i}"), "x").unwrap();
                }
            });
        }
    });
    // What gcsync_flush waits for: every change accepted before it.
    assert_eq!(q.accepted_seq(), 1000);
    let (taken, upto) = q.take_unsaved();
    assert_eq!((taken.len(), upto), (1000, 1000));
}

#[test]
fn identical_and_coalesced_changes_from_the_inbox_are_applied_as_the_hook_did() {
    let q = WorkQueue::new(10, 0);
    for name in ["1", "2", "2"] {
        offer(&q, "a", name).unwrap();
    }
    offer(&q, "b", "1").unwrap();
    let (taken, _) = q.take_unsaved();
    let rows: Vec<(String, u64)> = taken.iter().map(|(k, s, _)| (k.id.clone(), *s)).collect();
    assert_eq!(
        rows,
        [("a".to_string(), 2), ("b".to_string(), 3)],
        "the identical third change got no number"
    );
    assert_eq!(q.depth(), (2, 0, 0));
}

#[test]
fn a_full_sync_s_locked_intake_never_overwrites_an_earlier_hook_change_in_the_inbox() {
    let q = WorkQueue::new(10, 0);
    // The snapshot is taken at sequence number 0; the hook's change comes after it.
    offer(&q, "a", "hook").unwrap();
    let key = ObjectKey::user("a");
    let snap = user("a", "snapshot");
    assert!(!q
        .enqueue_unless_newer(key.clone(), snap, Priority::Normal, 0)
        .unwrap());
    let (_, p) = q.next(0, Duration::from_millis(10)).unwrap();
    assert_eq!(*p.change, user("a", "hook"));
}

#[test]
fn the_limit_counts_changes_in_the_inbox_and_is_never_passed() {
    let q = WorkQueue::new(3, 0);
    for id in ["a", "b", "c"] {
        offer(&q, id, "1").unwrap();
    }
    let full = |r: Result<(), crate::result::Failure>| r.unwrap_err().code;
    assert_eq!(full(offer(&q, "d", "1")), GcsyncResult::QueueFull);
    // Early, never late: a change of an object that waits counts too while the limit is
    // reached (the locked intake would have merged it).
    assert_eq!(full(offer(&q, "a", "2")), GcsyncResult::QueueFull);
    assert_eq!(q.accepted_seq(), 3);
    assert_eq!(full(offer(&q, "a", "2")), GcsyncResult::QueueFull);
    let (k, _) = q.next(0, Duration::from_millis(10)).unwrap();
    offer(&q, "d", "1").unwrap();
    assert_eq!(full(offer(&q, "e", "1")), GcsyncResult::QueueFull);
    q.finish(&k, true);
    assert_eq!(q.depth(), (3, 0, 0));

    // Many hooks at once: exactly the limit gets in, no more.
    let q = WorkQueue::new(100, 0);
    let ok: usize = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|t| {
                let q = &q;
                s.spawn(move || {
                    (0..1000)
                        .filter(|i| match offer(q, &format!("t{t}u{i}"), "x") {
                            Ok(()) => true,
                            Err(f) if f.code == GcsyncResult::QueueFull => false,
                            Err(f) => panic!("{f:?}"),
                        })
                        .count()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(ok, 100);
    assert_eq!(q.accepted_seq(), 100);
    assert_eq!(q.depth(), (100, 0, 0));
}

#[test]
fn hooks_racing_close_are_refused_or_applied_never_accepted_and_lost() {
    for round in 0..20 {
        let q = WorkQueue::new(1_000_000, 0);
        // Every other round the hooks dwell in the section close waits for.
        q.inbox.dwell_us.store(50 * (round % 2), Ordering::Relaxed);
        let started = AtomicUsize::new(0);
        let accepted: BTreeSet<String> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..3)
                .map(|t| {
                    let (q, started) = (&q, &started);
                    s.spawn(move || {
                        let mut ok = BTreeSet::new();
                        for i in 0.. {
                            let id = format!("t{t}u{i}");
                            match offer(q, &id, "x") {
                                Ok(()) => ok.insert(id),
                                Err(f) if f.code == GcsyncResult::ShutDown => return ok,
                                Err(f) => panic!("{f:?}"),
                            };
                            if i == 0 {
                                started.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        ok
                    })
                })
                .collect();
            // Every hook thread is in its loop; close at a different moment each round.
            while started.load(Ordering::SeqCst) < 3 {
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_micros(100 * (round % 8)));
            q.close();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        assert!(!accepted.is_empty());
        // Everything was applied by close itself (a later lock would apply a straggler and
        // hide it; the writer's last commit would not).
        assert!(
            q.inbox.rx.is_empty(),
            "round {round}: a change got in after close"
        );
        let applied = q.inner.lock().unwrap().unsaved.len();
        assert_eq!(applied, accepted.len(), "round {round}");
        let (taken, upto) = q.take_unsaved();
        let saved: BTreeSet<String> = taken.into_iter().map(|(k, _, _)| k.id).collect();
        assert_eq!(saved.len(), accepted.len(), "round {round}");
        assert!(saved == accepted, "round {round}: every OK is saved");
        assert_eq!(upto, accepted.len() as u64);
        assert_eq!(
            offer(&q, "late", "x").unwrap_err().code,
            GcsyncResult::ShutDown
        );
    }
}

#[test]
fn status_answers_while_another_thread_holds_the_queue_s_lock() {
    let q = WorkQueue::new(10, 0);
    let (a, b, c) = (
        ObjectKey::user("a"),
        ObjectKey::user("b"),
        ObjectKey::user("c"),
    );
    q.enqueue(a.clone(), user("a", "1"), Priority::Normal)
        .unwrap();
    offer(&q, "b", "1").unwrap();
    // A holder preempted while it holds the lock (a writer applying the inbox, say).
    let held = q.inner.lock().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| tx.send([&a, &b, &c].map(|k| q.is_pending(k))).unwrap());
        let answer = rx.recv_timeout(Duration::from_secs(5));
        drop(held);
        assert_eq!(answer, Ok([true, true, false]), "answered without the lock");
    });
}

#[test]
fn a_presence_change_is_applied_by_its_hook_when_the_lock_is_free() {
    let q = WorkQueue::new(10, 0);
    let key = ObjectKey::user("agent");
    q.offer(key.clone(), user("agent", "away"), Priority::High)
        .unwrap();
    assert!(q.inbox.rx.is_empty(), "applied by the hook");
    assert_eq!(q.high.1.len(), 1, "its key is with the presence worker");
    // With the lock held elsewhere the hook does not wait: the change waits in the inbox.
    let held = q.inner.lock().unwrap();
    q.offer(ObjectKey::user("b"), user("b", "x"), Priority::High)
        .unwrap();
    assert_eq!(q.inbox.rx.len(), 1);
    drop(held);
    // A configuration change is left to the next holder of the lock.
    offer(&q, "c", "x").unwrap();
    assert_eq!(q.inbox.rx.len(), 2);
    assert_eq!(q.next_high(0, Duration::from_millis(10)).unwrap().0, key);
    assert!(q.inbox.rx.is_empty());
}

#[test]
fn a_flood_of_hooks_keeps_the_inbox_bounded_even_while_the_lock_is_held() {
    let q = WorkQueue::new(1_000_000, 0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let q = &q;
        // A holder preempted for 100 ms while it holds the lock.
        s.spawn(move || {
            let held = q.inner.lock().unwrap();
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            drop(held);
        });
        rx.recv().unwrap();
        let mut most = 0;
        for i in 0..5000 {
            offer(q, &format!("u{i}"), "x").unwrap();
            most = most.max(q.inbox.rx.len());
        }
        assert!(most <= super::inbox::FORCE_DRAIN, "{most} changes piled up");
    });
    assert_eq!(q.accepted_seq(), 5000);
}
