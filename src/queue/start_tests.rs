//! The queue's memory of what objects synced with, as loaded at start.

use super::*;

fn object(id: &str, name: &str) -> CicObject {
    CicObject::User(crate::cic::CicUser {
        id: id.into(),
        display_name: Some(name.into()),
        business_email: None,
        business_phone: None,
        business_phone_2: None,
        mobile_phone: None,
        home_phone: None,
        fax: None,
    })
}

fn upsert(id: &str, name: &str, force: bool) -> Change {
    Change::Upsert {
        object: object(id, name),
        force,
    }
}

#[test]
fn an_object_remembered_as_synced_at_start_costs_nothing_when_sent_again() {
    let q = WorkQueue::new(10, 0);
    let a = ObjectKey::user("a");
    let stored = Arc::new(object("a", "1"));
    q.reserve(1);
    q.remember_synced(a.clone(), stored.clone());
    assert_eq!(Arc::strong_count(&stored), 2, "shared, not copied");
    assert!(!q
        .enqueue(a.clone(), upsert("a", "1", false), Priority::Normal)
        .unwrap());
    assert!(q.take_unsaved().0.is_empty(), "nothing to write");
    assert_eq!(q.depth(), (0, 0, 0));
    assert!(
        q.enqueue(a.clone(), upsert("a", "1", true), Priority::Normal)
            .unwrap(),
        "forced"
    );
    let (k, p) = q.next(0, T).unwrap();
    assert_eq!(*p.change, upsert("a", "1", true));
    q.finish(&k, true);
    q.settled();
    assert!(q
        .enqueue(a.clone(), upsert("a", "2", false), Priority::Normal)
        .unwrap());
    let b = ObjectKey::user("b");
    q.remember_synced(b.clone(), Arc::new(object("b", "1")));
    assert!(q.enqueue(b, Change::Remove, Priority::Normal).unwrap());
}

const T: Duration = Duration::from_millis(10);
