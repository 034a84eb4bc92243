//! The queue's memory of what objects synced with, as loaded at start.

use super::*;

fn object(id: &str, name: &str) -> CicObject {
    match super::tests::user(id, name) {
        Change::Upsert { object, .. } => object,
        Change::Remove => unreachable!("tests::user is an upsert"),
    }
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

#[test]
fn planning_ahead_reads_the_front_of_the_waiting_objects_only() {
    let q = WorkQueue::new(100_000, 0);
    for i in 0..10_000 {
        let id = format!("u{i:05}");
        q.enqueue(
            ObjectKey::user(&id),
            upsert(&id, "1", false),
            Priority::Normal,
        )
        .unwrap();
    }
    let read = std::cell::Cell::new(0);
    let next = q.peek_waiting(4, |_, _| {
        read.set(read.get() + 1);
        true
    });
    let ids: Vec<&str> = next.iter().map(|(k, _)| k.id.as_str()).collect();
    assert_eq!(ids, ["u00000", "u00001", "u00002", "u00003"], "in order");
    assert_eq!(read.get(), 4);
    // A filter that selects nothing reads PEEK_SCAN × n changes, not all 10 000.
    read.set(0);
    let none = q.peek_waiting(4, |_, _| {
        read.set(read.get() + 1);
        false
    });
    assert!(none.is_empty());
    assert_eq!(read.get(), 4 * PEEK_SCAN);
    // An object taken and put back goes to the back of the order, like its key on the channel.
    let (k, p) = q.next(0, T).unwrap();
    assert_eq!(k.id, "u00000");
    q.put_back(k, p);
    let next = q.peek_waiting(1, |_, _| true);
    assert_eq!(next[0].0.id, "u00001");
}

#[test]
fn an_object_remembered_by_its_stored_text_costs_nothing_when_sent_again() {
    let q = WorkQueue::new(10, 0);
    let a = ObjectKey::user("a");
    let stored = |o: CicObject| {
        let text = o.encode().unwrap();
        crate::objects::Texts::new(Some(text.as_bytes()), None, None)
            .source_shared()
            .unwrap()
    };
    let text = stored(object("a", "1"));
    q.remember_stored(a.clone(), text.clone());
    assert!(!q
        .enqueue(a.clone(), upsert("a", "1", false), Priority::Normal)
        .unwrap());
    assert!(q.take_unsaved().0.is_empty(), "nothing to write");
    assert!(q
        .enqueue(a.clone(), upsert("a", "2", false), Priority::Normal)
        .unwrap());
    let b = ObjectKey::user("b");
    q.remember_stored(b.clone(), text);
    assert!(
        q.enqueue(b.clone(), upsert("a", "1", true), Priority::Normal)
            .unwrap(),
        "forced"
    );
    let c = ObjectKey::user("c");
    q.remember_stored(c.clone(), stored(object("c", "1")));
    assert!(q.enqueue(c, Change::Remove, Priority::Normal).unwrap());
}
