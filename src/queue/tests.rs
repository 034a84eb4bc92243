use super::*;
use crate::result::GcsyncResult;

pub(super) fn user(id: &str, name: &str) -> Change {
    Change::Upsert {
        object: CicObject::User(crate::cic::CicUser {
            id: id.into(),
            display_name: Some(name.into()),
            business_email: None,
            business_phone: None,
            business_phone_2: None,
            mobile_phone: None,
            home_phone: None,
            fax: None,
            skills: vec![],
        }),
        force: false,
    }
}

const T: Duration = Duration::from_millis(10);

#[test]
fn many_changes_to_one_object_coalesce_to_the_latest() {
    let q = WorkQueue::new(10, 0);
    for i in 0..1000 {
        q.enqueue(
            ObjectKey::user("a"),
            user("a", &i.to_string()),
            Priority::Normal,
        )
        .unwrap();
    }
    assert_eq!(q.depth(), (1, 0, 0));
    let (k, p) = q.next(0, T).unwrap();
    assert_eq!(k, ObjectKey::user("a"));
    assert_eq!(*p.change, user("a", "999"));
    assert!(q.next(0, T).is_none(), "the channel held only one key");
}

#[test]
fn force_survives_coalescing_and_removal_replaces_upsert() {
    let q = WorkQueue::new(10, 0);
    let mut forced = user("a", "1");
    if let Change::Upsert { force, .. } = &mut forced {
        *force = true;
    }
    q.enqueue(ObjectKey::user("a"), forced, Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("a"), user("a", "2"), Priority::Normal)
        .unwrap();
    match (*q.next(0, T).unwrap().1.change).clone() {
        Change::Upsert {
            force,
            object: CicObject::User(user),
        } => {
            assert!(force);
            assert_eq!(user.display_name.as_deref(), Some("2"));
        }
        other => panic!("{other:?}"),
    }
    q.finish(&ObjectKey::user("a"), true);
    q.enqueue(ObjectKey::user("b"), user("b", "1"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("b"), Change::Remove, Priority::Normal)
        .unwrap();
    assert_eq!(*q.next(0, T).unwrap().1.change, Change::Remove);
}

#[test]
fn high_priority_goes_first() {
    let q = WorkQueue::new(10, 0);
    q.enqueue(ObjectKey::user("n1"), user("n1", "x"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("n2"), user("n2", "x"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("h"), user("h", "x"), Priority::High)
        .unwrap();
    assert_eq!(q.next(0, T).unwrap().0.id, "h");
}

#[test]
fn full_and_closed_queues_refuse_without_blocking() {
    let q = WorkQueue::new(2, 0);
    q.enqueue(ObjectKey::user("a"), user("a", "x"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("b"), user("b", "x"), Priority::Normal)
        .unwrap();
    let f = q
        .enqueue(ObjectKey::user("c"), user("c", "x"), Priority::Normal)
        .unwrap_err();
    assert_eq!(f.code, GcsyncResult::QueueFull);
    // An object already waiting still takes new data when full.
    q.enqueue(ObjectKey::user("a"), user("a", "y"), Priority::Normal)
        .unwrap();
    q.close();
    let f = q
        .enqueue(ObjectKey::user("a"), user("a", "z"), Priority::Normal)
        .unwrap_err();
    assert_eq!(f.code, GcsyncResult::ShutDown);
    assert_eq!(q.depth(), (2, 0, 0));
}

#[test]
fn deferred_objects_return_when_due_or_when_new_data_arrives() {
    let q = WorkQueue::new(10, 0);
    q.enqueue(ObjectKey::user("a"), user("a", "1"), Priority::Normal)
        .unwrap();
    let (k, p) = q.next(0, T).unwrap();
    q.defer(k, p, Instant::now() + Duration::from_secs(3600));
    q.settled();
    assert_eq!(q.depth(), (0, 1, 0));
    assert!(q.wait_idle(T), "delayed work does not count as busy");
    assert!(q.is_pending(&ObjectKey::user("a")));
    assert!(q.next(0, T).is_none());
    q.enqueue(ObjectKey::user("a"), user("a", "2"), Priority::Normal)
        .unwrap();
    let (_, p) = q.next(0, T).unwrap();
    assert_eq!(p.attempts, 1);
    assert_eq!(*p.change, user("a", "2"));
    q.defer(ObjectKey::user("a"), p, Instant::now());
    let (_, p) = q.next(0, T).unwrap();
    assert_eq!(p.attempts, 2);
}

#[test]
fn wait_idle_sees_in_flight_work_until_the_worker_reported() {
    let q = WorkQueue::new(10, 0);
    q.enqueue(ObjectKey::user("a"), user("a", "1"), Priority::Normal)
        .unwrap();
    let _taken = q.next(0, T).unwrap();
    assert!(q.is_pending(&ObjectKey::user("a")));
    assert!(!q.wait_idle(T));
    q.finish(&ObjectKey::user("a"), true);
    assert!(!q.wait_idle(T), "not idle until the worker has reported");
    q.settled();
    assert!(q.wait_idle(T));
    assert!(q.wait_settled(T));
}

#[test]
fn wait_settled_waits_for_retries_too() {
    let q = WorkQueue::new(10, 0);
    q.enqueue(ObjectKey::user("a"), user("a", "1"), Priority::Normal)
        .unwrap();
    let (k, p) = q.next(0, T).unwrap();
    q.defer(k, p, Instant::now() + Duration::from_millis(30));
    q.settled();
    assert!(q.wait_idle(T));
    assert!(!q.wait_settled(T), "a retry is scheduled");
    let (k, _) = q
        .next(0, Duration::from_secs(5))
        .expect("due after 30 ms, without polling");
    q.finish(&k, false);
    q.settled();
    assert!(q.wait_settled(T));
}

#[test]
fn every_accepted_change_is_numbered_and_handed_to_the_writer_once() {
    let q = WorkQueue::new(10, 41);
    for i in 0..3 {
        q.enqueue(
            ObjectKey::user("a"),
            user("a", &i.to_string()),
            Priority::Normal,
        )
        .unwrap();
    }
    q.enqueue(ObjectKey::user("b"), user("b", "x"), Priority::Normal)
        .unwrap();
    assert_eq!(q.accepted_seq(), 45);
    let (mut taken, upto) = q.take_unsaved();
    taken.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(upto, 45);
    assert_eq!(taken.len(), 2, "coalesced per object");
    assert_eq!((taken[0].1, &*taken[0].2), (44, &user("a", "2")));
    assert_eq!(taken[1].1, 45);
    assert!(q.take_unsaved().0.is_empty());
    assert!(
        q.writer_wakeups().try_recv().is_err(),
        "a writer that is not parked is not woken"
    );
    assert!(q.park_writer(), "nothing waits: the writer parks");
    q.enqueue(ObjectKey::user("c"), user("c", "x"), Priority::Normal)
        .unwrap();
    assert!(
        q.writer_wakeups().try_recv().is_ok(),
        "the parked writer was woken"
    );
    q.enqueue(ObjectKey::user("d"), user("d", "x"), Priority::Normal)
        .unwrap();
    assert!(
        q.writer_wakeups().try_recv().is_err(),
        "once: the woken writer looks for changes itself"
    );
    assert!(!q.park_writer(), "changes wait: the writer does not park");
    q.enqueue(ObjectKey::user("e"), user("e", "x"), Priority::Normal)
        .unwrap();
    assert!(q.writer_wakeups().try_recv().is_err());
    assert_eq!(q.take_unsaved().0.len(), 3);
}

#[test]
fn an_event_identical_to_what_synced_costs_nothing_unless_forced() {
    let q = WorkQueue::new(10, 0);
    let a = ObjectKey::user("a");
    assert!(q
        .enqueue(a.clone(), user("a", "1"), Priority::Normal)
        .unwrap());
    let (k, _) = q.next(0, T).unwrap();
    q.finish(&k, true);
    q.settled();
    let _ = q.take_unsaved();
    assert!(!q
        .enqueue(a.clone(), user("a", "1"), Priority::Normal)
        .unwrap());
    assert!(q.take_unsaved().0.is_empty(), "nothing to write");
    assert_eq!(q.depth(), (0, 0, 0));
    let mut forced = user("a", "1");
    if let Change::Upsert { force, .. } = &mut forced {
        *force = true;
    }
    assert!(q.enqueue(a.clone(), forced, Priority::Normal).unwrap());
    let (k, _) = q.next(0, T).unwrap();
    q.finish(&k, false);
    q.settled();
    assert!(
        q.enqueue(a, user("a", "1"), Priority::Normal).unwrap(),
        "after a failure the same data is tried again"
    );
}

#[test]
fn close_wakes_a_waiting_worker_at_once() {
    let q = std::sync::Arc::new(WorkQueue::new(10, 0));
    let q2 = q.clone();
    let t = std::thread::spawn(move || {
        let start = Instant::now();
        (
            q2.next(0, Duration::from_secs(30)).is_none(),
            start.elapsed(),
        )
    });
    std::thread::sleep(Duration::from_millis(30));
    q.close();
    let (none, took) = t.join().unwrap();
    assert!(none);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(q.next(0, Duration::from_secs(30)).is_none(), "stays closed");
}

#[test]
fn a_change_for_the_object_in_flight_waits_for_the_worker_without_interrupting_it() {
    let q = WorkQueue::new(10, 0);
    let stop = q.interrupter(0);
    q.enqueue(ObjectKey::user("a"), user("a", "1"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("b"), user("b", "1"), Priority::Normal)
        .unwrap();
    let (k, p) = q.next(0, T).unwrap();
    let other = if k.id == "a" { "b" } else { "a" };
    q.enqueue(ObjectKey::user(other), user(other, "2"), Priority::Normal)
        .unwrap();
    assert!(
        !stop.is_cancelled(),
        "a change of another object does not interrupt"
    );
    q.enqueue(k.clone(), user(&k.id, "2"), Priority::Normal)
        .unwrap();
    assert!(
        !stop.is_cancelled(),
        "the worker finishes its step (what it wrote is recorded)"
    );
    // Put back (settings or shutdown interrupted it): the newer one wins.
    q.put_back(k.clone(), p);
    let mut seen = Vec::new();
    while let Some((key, p)) = q.next(0, T) {
        q.finish(&key, true);
        seen.push((key.id.clone(), (*p.change).clone()));
    }
    assert!(seen.contains(&(k.id.clone(), user(&k.id, "2"))), "{seen:?}");
    assert_eq!(seen.len(), 2);
}

#[test]
fn an_object_held_by_one_worker_is_not_taken_by_another_until_it_is_let_go() {
    let q = WorkQueue::with_workers(10, 0, 2);
    let a = ObjectKey::user("a");
    q.enqueue(a.clone(), user("a", "1"), Priority::Normal)
        .unwrap();
    let (k, p) = q.next(0, T).unwrap();
    assert_eq!(k, a);
    let (w0, w1) = (q.interrupter(0), q.interrupter(1));
    // A newer change while worker 0 holds it waits, interrupting nobody.
    q.enqueue(a.clone(), user("a", "2"), Priority::Normal)
        .unwrap();
    assert!(!w0.is_cancelled() && !w1.is_cancelled());
    assert!(
        q.next(1, T).is_none(),
        "worker 1 must not take a held object"
    );
    assert_eq!(q.depth(), (1, 0, 1));
    assert!(q.is_pending(&a));
    // Worker 0 puts its (older) change back: the newer one wins, once.
    q.put_back(k, p);
    q.settled();
    let (k, p) = q.next(1, T).unwrap();
    assert_eq!(*p.change, user("a", "2"));
    assert!(q.next(0, T).is_none(), "sent once");
    // A change during a transient failure of worker 1's attempt goes out when it defers.
    q.enqueue(a.clone(), user("a", "3"), Priority::Normal)
        .unwrap();
    assert!(!w1.is_cancelled() && !w0.is_cancelled());
    q.defer(k, p, Instant::now() + Duration::from_secs(60));
    q.settled();
    let (k, p) = q.next(0, T).unwrap();
    assert_eq!(*p.change, user("a", "3"));
    assert_eq!(q.depth(), (0, 0, 1), "the newer change replaced the retry");
    // And one that arrives while it syncs goes out when it finishes.
    q.enqueue(a.clone(), user("a", "4"), Priority::Normal)
        .unwrap();
    assert!(q.next(1, T).is_none());
    q.finish(&k, true);
    q.settled();
    assert_eq!(*q.next(1, T).unwrap().1.change, user("a", "4"));
    q.finish(&a, true);
    q.settled();
    assert!(q.wait_idle(T));
}

#[test]
fn many_workers_take_distinct_objects_and_the_queue_settles() {
    let q = std::sync::Arc::new(WorkQueue::with_workers(1000, 0, 4));
    for i in 0..200 {
        let id = format!("u{i}");
        q.enqueue(
            ObjectKey::user(id.as_str()),
            user(&id, "x"),
            Priority::Normal,
        )
        .unwrap();
    }
    let held = std::sync::Arc::new(Mutex::new(std::collections::HashSet::new()));
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|slot| {
            let (q, held, taken) = (q.clone(), held.clone(), taken.clone());
            std::thread::spawn(move || {
                while let Some((k, _)) = q.next(slot, Duration::from_millis(200)) {
                    assert!(held.lock().unwrap().insert(k.clone()), "{k:?} held twice");
                    // Hooks keep changing objects while they are held.
                    q.enqueue(k.clone(), user(&k.id, "y"), Priority::Normal)
                        .unwrap();
                    std::thread::yield_now();
                    held.lock().unwrap().remove(&k);
                    q.finish(&k, true);
                    q.settled();
                    taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(q.wait_idle(T));
    assert_eq!(q.depth(), (0, 0, 0));
    // Each object: its first change, then the one made while it was held.
    assert_eq!(taken.load(std::sync::atomic::Ordering::Relaxed), 400);
}

#[test]
fn the_presence_lane_takes_only_high_priority_work_and_can_take_a_batch() {
    let q = WorkQueue::with_workers(100, 0, 2);
    for i in 0..5 {
        let id = format!("n{i}");
        q.enqueue(
            ObjectKey::user(id.as_str()),
            user(&id, "x"),
            Priority::Normal,
        )
        .unwrap();
    }
    assert!(
        q.next_high(1, T).is_none(),
        "normal work is not the presence lane's"
    );
    for i in 0..5 {
        let id = format!("h{i}");
        q.enqueue(ObjectKey::user(id.as_str()), user(&id, "x"), Priority::High)
            .unwrap();
    }
    let (first, _) = q.next_high(1, T).unwrap();
    assert_eq!(first, ObjectKey::user("h0"));
    let more = q.take_more_high(1, 3);
    let ids: Vec<&str> = more.iter().map(|(k, _)| k.id.as_str()).collect();
    assert_eq!(ids, ["h1", "h2", "h3"]);
    assert_eq!(q.depth(), (6, 0, 4));
    // The config worker takes what is left of the high work first, then normal work.
    assert_eq!(q.next(0, T).unwrap().0, ObjectKey::user("h4"));
    assert_eq!(q.next(0, T).unwrap().0, ObjectKey::user("n0"));
    for (k, _) in more {
        q.finish(&k, true);
        q.settled();
    }
}

#[test]
fn the_writer_takes_accepted_changes_oldest_first() {
    let q = WorkQueue::new(1_000, 0);
    for i in (0..100).rev() {
        let id = format!("u{i}");
        q.enqueue(ObjectKey::user(&id), user(&id, "1"), Priority::Normal)
            .unwrap();
    }
    let (taken, upto) = q.take_unsaved();
    assert_eq!(upto, 100);
    let ids: Vec<String> = taken.iter().map(|(k, _, _)| k.id.clone()).collect();
    let want: Vec<String> = (0..100).rev().map(|i| format!("u{i}")).collect();
    assert_eq!(ids, want, "in the order they were accepted");
}

#[test]
fn an_object_deferred_again_and_again_keeps_one_retry_time() {
    let q = WorkQueue::new(10, 0);
    let a = ObjectKey::user("a");
    let later = Instant::now() + Duration::from_secs(3600);
    for i in 0..100 {
        q.enqueue(a.clone(), user("a", &i.to_string()), Priority::Normal)
            .unwrap();
        let (k, p) = q.next(0, T).unwrap();
        q.defer(k, p, later);
    }
    assert_eq!(q.depth(), (0, 1, 0));
    assert_eq!(q.lock().delayed.times(), 1, "one retry time for one object");
    assert!(q.next(0, T).is_none(), "not due for an hour");
    // Due now: it comes back once, with the latest change and its attempts counted.
    q.retry_delayed_now();
    let (k, p) = q.next(0, T).unwrap();
    q.defer(k, p, Instant::now());
    let (k, p) = q.next(0, T).unwrap();
    assert_eq!(k, a);
    assert_eq!(*p.change, user("a", "99"));
    assert!(p.attempts >= 100, "{}", p.attempts);
    assert!(q.next(0, T).is_none(), "sent once");
}

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
