//! The writer against a real database: a backlog larger than a chunk, and a worker's outcome
//! that must not be written before its own change.

use super::*;
use crate::kinds::CicObject;
use crate::object::ObjectKey;
use crate::queue::{Change, Priority, WorkQueue};

fn user(id: &str) -> Change {
    let json = format!(
        r#"{{"id":"{id}","display_name":"{}","business_email":"{id}@example.com"}}"#,
        "n".repeat(400)
    );
    Change::Upsert {
        object: CicObject::User(crate::cic::parse_user(&json).unwrap()),
        force: false,
    }
}

#[test]
fn an_outcome_behind_a_backlog_of_chunks_is_written_after_its_change() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = Db::open(dir.path()).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let shared = Arc::new(Shared::for_tests(WorkQueue::new(10_000, 0), tx.clone()));
    // 3 000 changes of about 500 bytes: 1.5 MB, at least three chunks.
    let n = 3000;
    for i in 0..n {
        let id = format!("u{i}");
        shared
            .queue
            .enqueue(ObjectKey::user(&id), user(&id), Priority::Normal)
            .unwrap();
    }
    // The worker completed the newest change before the writer took any of them: its outcome
    // (which clears the pending change) is in the channel ahead of the whole backlog.
    let last = ObjectKey::user(format!("u{}", n - 1));
    let done = RowWrite {
        key: last.clone(),
        record: None,
        done_seq: Some(n as u64),
    };
    let (ack, acked) = crossbeam_channel::bounded(1);
    tx.send(Msg::Row(Box::new(done), Some(ack))).unwrap();
    let writer = {
        let shared = shared.clone();
        std::thread::spawn(move || run(db, shared, rx))
    };
    acked.recv().unwrap().unwrap();
    assert!(!shared.queue.has_unsaved(), "the backlog is written first");
    shared.durability.wait(n as u64, Duration::ZERO).unwrap();
    tx.send(Msg::Stop).unwrap();
    writer.join().unwrap();
    let (_, loaded) = Db::open(dir.path()).unwrap();
    let pending: Vec<&ObjectKey> = loaded.pending.iter().map(|p| &p.0).collect();
    assert_eq!(pending.len(), n - 1, "every change but the completed one");
    assert!(!pending.contains(&&last), "the outcome cleared its change");
}
