//! The queue's waits and retry times: deferred objects, idle and settled, close.

use super::tests::{user, T};
use super::*;

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
