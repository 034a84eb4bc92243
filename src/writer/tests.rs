//! The writer against a real database: a backlog larger than a chunk, and a worker's outcome
//! that must not be written before its own change.

use super::*;
use crate::kinds::CicObject;
use crate::object::ObjectKey;
use crate::queue::{Change, Priority, WorkQueue};

fn user(id: &str) -> Change {
    named(id, &"n".repeat(400))
}

fn named(id: &str, name: &str) -> Change {
    let json =
        format!(r#"{{"id":"{id}","display_name":"{name}","business_email":"{id}@example.com"}}"#);
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

#[test]
fn a_change_accepted_while_the_writer_parks_or_polls_is_durable_without_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = Db::open(dir.path()).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let shared = Arc::new(Shared::for_tests(WorkQueue::new(10_000, 0), tx.clone()));
    let writer = {
        let shared = shared.clone();
        std::thread::spawn(move || run(db, shared, rx))
    };
    // Pauses around POLL and QUIET: changes arrive while the writer polls, as it parks, and
    // long after it parked. A wakeup lost between its look and its park would leave the change
    // waiting for the next message: here there is none, so the wait below would time out.
    let pauses = [0, 1, 2, 3, 45, 50, 55, 80, 0, 0, 120];
    let mut seq = 0;
    for (i, pause) in pauses.iter().cycle().take(60).enumerate() {
        std::thread::sleep(Duration::from_millis(*pause));
        let id = format!("u{}", i % 7);
        let accepted = shared
            .queue
            .enqueue(
                ObjectKey::user(&id),
                named(&id, &format!("v{i}")),
                Priority::Normal,
            )
            .unwrap();
        assert!(accepted);
        seq += 1;
        shared
            .durability
            .wait(seq, Duration::from_secs(5))
            .unwrap_or_else(|f| panic!("change {seq} (pause {pause} ms): {}", f.message));
    }
    tx.send(Msg::Stop).unwrap();
    writer.join().unwrap();
    let (_, loaded) = Db::open(dir.path()).unwrap();
    assert_eq!(loaded.pending.len(), 7, "one pending row per object");
}
