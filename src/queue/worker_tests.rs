//! The workers' side: holding an object, many workers, the presence lane.

use super::tests::{user, T};
use super::*;

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
