//! The queue's intake: coalescing, priority, the limit, numbering, the identical-change
//! check and the writer's order. Shared helpers for the other test files of the queue.

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

pub(super) const T: Duration = Duration::from_millis(10);

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
