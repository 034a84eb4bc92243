use super::*;

fn user(id: &str, name: &str) -> Change {
    Change::UpsertUser {
        user: CicUser {
            id: id.into(),
            display_name: Some(name.into()),
            business_email: None,
            business_phone: None,
            business_phone_2: None,
            mobile_phone: None,
            home_phone: None,
            fax: None,
        },
        force: false,
    }
}

const T: Duration = Duration::from_millis(10);

#[test]
fn many_changes_to_one_object_coalesce_to_the_latest() {
    let q = WorkQueue::new(10);
    for i in 0..1000 {
        q.enqueue(
            ObjectKey::user("a"),
            user("a", &i.to_string()),
            Priority::Normal,
        )
        .unwrap();
    }
    assert_eq!(q.depth(), (1, 0, 0));
    let (k, p) = q.next(T).unwrap();
    assert_eq!(k, ObjectKey::user("a"));
    assert_eq!(p.change, user("a", "999"));
    assert!(q.next(T).is_none(), "the channel held only one key");
}

#[test]
fn force_survives_coalescing_and_removal_replaces_upsert() {
    let q = WorkQueue::new(10);
    let mut forced = user("a", "1");
    if let Change::UpsertUser { force, .. } = &mut forced {
        *force = true;
    }
    q.enqueue(ObjectKey::user("a"), forced, Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("a"), user("a", "2"), Priority::Normal)
        .unwrap();
    match q.next(T).unwrap().1.change {
        Change::UpsertUser { force, user } => {
            assert!(force);
            assert_eq!(user.display_name.as_deref(), Some("2"));
        }
        other => panic!("{other:?}"),
    }
    q.finish();
    q.enqueue(ObjectKey::user("b"), user("b", "1"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("b"), Change::RemoveUser, Priority::Normal)
        .unwrap();
    assert_eq!(q.next(T).unwrap().1.change, Change::RemoveUser);
}

#[test]
fn high_priority_goes_first() {
    let q = WorkQueue::new(10);
    q.enqueue(ObjectKey::user("n1"), user("n1", "x"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("n2"), user("n2", "x"), Priority::Normal)
        .unwrap();
    q.enqueue(ObjectKey::user("h"), user("h", "x"), Priority::High)
        .unwrap();
    assert_eq!(q.next(T).unwrap().0.id, "h");
}

#[test]
fn full_and_closed_queues_refuse_without_blocking() {
    let q = WorkQueue::new(2);
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
    assert_eq!(q.snapshot().len(), 2);
}

#[test]
fn deferred_objects_return_when_due_or_when_new_data_arrives() {
    let q = WorkQueue::new(10);
    q.enqueue(ObjectKey::user("a"), user("a", "1"), Priority::Normal)
        .unwrap();
    let (k, p) = q.next(T).unwrap();
    q.defer(k, p, Instant::now() + Duration::from_secs(3600));
    q.settled();
    assert_eq!(q.depth(), (0, 1, 0));
    assert!(q.wait_idle(T), "delayed work does not count as busy");
    assert!(q.is_pending(&ObjectKey::user("a")));
    assert!(q.next(T).is_none());
    q.enqueue(ObjectKey::user("a"), user("a", "2"), Priority::Normal)
        .unwrap();
    let (_, p) = q.next(T).unwrap();
    assert_eq!(p.attempts, 1);
    assert_eq!(p.change, user("a", "2"));
    q.defer(ObjectKey::user("a"), p, Instant::now());
    let (_, p) = q.next(T).unwrap();
    assert_eq!(p.attempts, 2);
}

#[test]
fn snapshot_includes_in_flight_work_and_wait_idle_sees_it() {
    let q = WorkQueue::new(10);
    q.enqueue(ObjectKey::user("a"), user("a", "1"), Priority::Normal)
        .unwrap();
    let _taken = q.next(T).unwrap();
    assert_eq!(q.snapshot(), vec![(ObjectKey::user("a"), user("a", "1"))]);
    assert!(!q.wait_idle(T));
    q.finish();
    assert!(!q.wait_idle(T), "not idle until the worker has reported");
    q.settled();
    assert!(q.wait_idle(T));
    assert!(q.snapshot().is_empty());
}
