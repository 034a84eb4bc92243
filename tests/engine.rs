//! Engine 1: settings ordered with the hooks, create intents after a crash, the database at
//! init (damaged, locked, format-1 migration), waiting for a settled state, unchanged events.

mod common;

use common::*;
use gc_emulator::Emulator;
use gcsync::ffi::*;
use gcsync::object::ObjectKey;
use gcsync::objects::{Intent, Record};
use gcsync::queue::Change;
use gcsync::result::GcsyncResult;
use gcsync::store::{Db, RowWrite};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sync(id: &str) -> String {
    assert_eq!(
        user_changed(&cic_user(id, id, Some(&format!("{id}@example.com")))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status(id)["state"], "Synced", "{}", status(id));
    status(id)["genesys_id"].as_str().unwrap().to_string()
}

fn gc_state(emu: &Emulator, gid: &str) -> String {
    emu.user(gid).unwrap()["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_removal_policy_flip_applies_to_the_very_next_deletion() {
    let w = World::new();
    w.start();
    let ids: Vec<String> = (0..6).map(|i| sync(&format!("p{i}"))).collect();
    for (i, gid) in ids.iter().enumerate() {
        let (policy, want) = if i % 2 == 0 {
            ("delete", "deleted")
        } else {
            ("deactivate", "inactive")
        };
        set("user_removal_policy", policy);
        assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
        // No pause: the deletion is sent right after the settings hook returned.
        assert_eq!(user_deleted(&format!("p{i}")), GcsyncResult::Ok);
        wait_idle();
        assert_eq!(gc_state(&w.emu, gid), want, "p{i} after policy {policy}");
    }
}

#[test]
fn a_change_waiting_for_the_budget_uses_the_new_base_url() {
    let w = World::new();
    let other = Emulator::start(emulator_config()).unwrap();
    set("requests_per_minute", "1");
    w.start();
    // The token uses the budget; the create waits about a minute for it.
    assert_eq!(
        user_changed(&cic_user("b1", "B1", Some("b1@example.com"))),
        GcsyncResult::Ok
    );
    eventually("the worker waits for the budget", || {
        !w.emu.requests().is_empty()
    });
    std::thread::sleep(Duration::from_millis(200));
    set("api_base_url", &other.base_url());
    set("login_base_url", &other.base_url());
    set("requests_per_minute", "600");
    let changed_at = Instant::now();
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    assert_eq!(gcsync_wait_settled(20_000), GcsyncResult::Ok);
    assert!(
        changed_at.elapsed() < Duration::from_secs(20),
        "did not wait out the old budget"
    );
    assert_eq!(status("b1")["state"], "Synced");
    assert!(
        other.user_by_email("b1@example.com").is_some(),
        "created where the settings point"
    );
    assert!(
        w.emu.user_by_email("b1@example.com").is_none(),
        "nothing created at the old URL"
    );
}

#[test]
fn credentials_fixed_through_a_restart_retry_the_users_in_error() {
    let w = World::new();
    set("client_secret", "wrong-secret-value");
    w.start();
    for id in ["c1", "c2"] {
        assert_eq!(
            user_changed(&cic_user(id, id, Some(&format!("{id}@example.com")))),
            GcsyncResult::Ok
        );
    }
    wait_idle();
    assert_eq!(status("c1")["state"], "Error");
    assert!(
        status("c1")["reason"]
            .as_str()
            .unwrap()
            .contains("login failed"),
        "{}",
        status("c1")
    );
    assert_eq!(gcsync_shutdown(2_000), GcsyncResult::Ok);
    set("client_secret", CLIENT_SECRET);
    w.start();
    assert_eq!(gcsync_wait_settled(20_000), GcsyncResult::Ok);
    assert_eq!(status("c1")["state"], "Synced");
    assert_eq!(status("c2")["state"], "Synced");
    assert_eq!(w.emu.users().len(), 2);
}

#[test]
fn wait_settled_waits_for_a_scheduled_retry_where_wait_idle_does_not() {
    let w = World::new();
    set("max_retries", "0");
    set("retry_later_s", "1");
    w.start();
    w.emu.inject(gc_emulator::InjectedFault {
        method: "POST".into(),
        route: "/api/v2/users".into(),
        status: 503,
        code: "service.unavailable".into(),
        retry_after: gc_emulator::RetryAfter::Absent,
        count: 1,
        drop_connection: false,
        ..Default::default()
    });
    assert_eq!(
        user_changed(&cic_user("r1", "R1", Some("r1@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    let s = status("r1");
    assert_eq!(s["state"], "Error", "{s}");
    assert_eq!(s["pending"], true, "a retry is scheduled");
    assert_eq!(gcsync_wait_settled(20_000), GcsyncResult::Ok);
    assert_eq!(status("r1")["state"], "Synced");
    assert_eq!(status("r1")["pending"], false);
}

#[test]
fn wait_settled_returns_for_an_error_that_waits_for_an_admin() {
    let w = World::new();
    w.start();
    assert_eq!(
        user_changed(&cic_user("noemail", "N", None)),
        GcsyncResult::Ok
    );
    assert_eq!(gcsync_wait_settled(10_000), GcsyncResult::Ok);
    assert_eq!(status("noemail")["reason"], "business email required");
    assert_eq!(gcsync_wait_settled(0), GcsyncResult::Ok);
}

/// Writes what a crash between a create's POST and its outcome's commit leaves behind: the
/// pending change and the durable intent, no link.
fn crashed_mid_create(dir: &std::path::Path, id: &str, change: Change) {
    let (mut db, _) = Db::open(dir).unwrap();
    let key = ObjectKey::user(id);
    let rec = Record {
        intent: Some(Intent {
            op: "create".into(),
            email: format!("{id}@example.com"),
            at: gcsync::clock::unix_now(),
        }),
        ..Record::default()
    };
    db.commit(
        &[(key.clone(), 7, Arc::new(change))],
        &[RowWrite {
            key,
            record: Some(rec),
            done_seq: None,
        }],
    )
    .unwrap();
}

fn origin_in_db(dir: &std::path::Path, id: &str) -> Option<String> {
    let c = rusqlite::Connection::open(dir.join("gcsync.db")).unwrap();
    c.query_row(
        "SELECT origin FROM objects WHERE kind = 'user' AND cic_id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_create_cut_short_by_a_crash_is_linked_not_duplicated() {
    let w = World::new();
    let user: gcsync::cic::CicUser =
        serde_json::from_str(&cic_user("k1", "K1", Some("k1@example.com"))).unwrap();
    crashed_mid_create(
        w.dir.path(),
        "k1",
        Change::Upsert {
            object: gcsync::kinds::CicObject::User(user),
            force: false,
        },
    );
    let gid = w.emu.seed_user("K1", "k1@example.com", "active");
    w.start();
    assert_eq!(gcsync_wait_settled(20_000), GcsyncResult::Ok);
    let s = status("k1");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["genesys_id"], gid.as_str());
    assert_eq!(w.emu.users().len(), 1, "no second create");
    assert_eq!(w.emu.call_count("POST", "/api/v2/users"), 0);
    assert_eq!(gcsync_shutdown(2_000), GcsyncResult::Ok);
    assert_eq!(origin_in_db(w.dir.path(), "k1").as_deref(), Some("created"));
}

#[test]
fn a_deletion_after_a_crash_mid_create_deactivates_the_created_user() {
    let w = World::new();
    crashed_mid_create(w.dir.path(), "k2", Change::Remove);
    let gid = w.emu.seed_user("K2", "k2@example.com", "active");
    w.start();
    assert_eq!(gcsync_wait_settled(20_000), GcsyncResult::Ok);
    assert_eq!(
        gc_state(&w.emu, &gid),
        "inactive",
        "the departed employee's login is closed"
    );
    let s = status("k2");
    assert_eq!(s["removed"], true, "{s}");
    assert_eq!(s["genesys_id"], gid.as_str());
}

#[test]
fn init_refuses_a_damaged_database_and_leaves_it_alone() {
    let w = World::new();
    let garbage = vec![0x42u8; 16384];
    std::fs::write(w.dir.path().join("gcsync.db"), &garbage).unwrap();
    assert_eq!(init(), GcsyncResult::StorageCorrupt);
    assert!(
        last_error().contains("will not start afresh"),
        "{}",
        last_error()
    );
    assert!(last_error().contains("gcsync.db"), "{}", last_error());
    assert_eq!(
        std::fs::read(w.dir.path().join("gcsync.db")).unwrap(),
        garbage
    );
}

#[test]
fn init_refuses_a_database_another_process_holds_locked() {
    let w = World::new();
    w.start();
    sync("l1");
    assert_eq!(gcsync_shutdown(2_000), GcsyncResult::Ok);
    let other = rusqlite::Connection::open(w.dir.path().join("gcsync.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert_eq!(init(), GcsyncResult::StorageLocked);
    assert!(last_error().contains("locked"), "{}", last_error());
    other.execute_batch("ROLLBACK").unwrap();
    w.start();
    assert_eq!(
        status("l1")["state"],
        "Synced",
        "nothing was lost by the refusal"
    );
}

#[test]
fn a_format_1_data_directory_is_migrated_at_init() {
    let w = World::new();
    let gid = w.emu.seed_user("Old", "old@example.com", "active");
    let state = serde_json::json!({"format": 1, "users": {"old": {
        "source": {"id": "old", "display_name": "Old", "business_email": "old@example.com"},
        "origin": "adopted",
        "applied": {"name": "Old", "email": "old@example.com", "phones": {}},
        "status": {"state": "Synced", "last_synchronized": 1764000000, "reason": null,
                   "genesys_id": gid, "removed": false}}}});
    let pending = serde_json::json!({"format": 1, "pending": [[{"kind": "User", "id": "new"},
        {"UpsertUser": {"user": {"id": "new", "business_email": "new@example.com"}, "force": false}}]]});
    std::fs::write(w.dir.path().join("state.json"), state.to_string()).unwrap();
    std::fs::write(w.dir.path().join("pending.json"), pending.to_string()).unwrap();
    w.start();
    assert_eq!(gcsync_wait_settled(20_000), GcsyncResult::Ok);
    assert_eq!(status("old")["genesys_id"], gid.as_str());
    assert_eq!(status("old")["last_synchronized"], "2025-11-24T16:00:00Z");
    assert_eq!(
        status("new")["state"],
        "Synced",
        "the pending change was resumed"
    );
    assert!(w.dir.path().join("state.json.migrated").exists());
    assert!(w.dir.path().join("pending.json.migrated").exists());
    assert_eq!(w.emu.users().len(), 2);
    assert!(logs()
        .iter()
        .any(|l| l.contains("migrated 1 object(s) and 1 pending")));
}

fn data_files(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for f in ["gcsync.db", "gcsync.db-wal"] {
        all.extend(std::fs::read(dir.join(f)).unwrap_or_default());
    }
    all
}

#[test]
fn an_unchanged_event_writes_nothing_and_calls_nothing() {
    let w = World::new();
    w.start();
    let json = cic_user("u1", "U1", Some("u1@example.com"));
    sync("u1");
    assert_eq!(user_changed(&json), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(flush(), GcsyncResult::Ok);
    let before = data_files(w.dir.path());
    let calls = w.emu.requests().len();
    for _ in 0..100 {
        assert_eq!(user_changed(&json), GcsyncResult::Ok);
    }
    wait_idle();
    assert_eq!(flush(), GcsyncResult::Ok);
    assert_eq!(w.emu.requests().len(), calls, "no API call");
    assert!(
        data_files(w.dir.path()) == before,
        "no byte of the data directory changed"
    );
}

#[test]
fn shutdown_with_nothing_pending_does_not_wait_for_a_tick() {
    let w = World::new();
    w.start();
    sync("t1");
    let start = Instant::now();
    assert_eq!(gcsync_shutdown(30_000), GcsyncResult::Ok);
    // Generous bound (a shared CI machine); the benchmark reports the real figure.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_flush_after_a_backlog_of_many_chunks_returns_with_every_change_on_disk() {
    let w = World::new();
    // Nothing syncs (a closed port): every change stays pending, as in an outage.
    set("api_base_url", "http://127.0.0.1:9");
    set("login_base_url", "http://127.0.0.1:9");
    w.start();
    // 4 000 users of about 700 bytes: 2.8 MB, several chunks of at most 1 000 changes or
    // 512 KB each, accepted faster than one commit of them is written.
    let name = |i: usize, round: &str| format!("{round} {i} {}", "n".repeat(600));
    let user = |i: usize, round: &str| {
        let id = format!("b{i}");
        cic_user(&id, &name(i, round), Some(&format!("{id}@example.com")))
    };
    for i in 0..4000 {
        assert_eq!(user_changed(&user(i, "first")), GcsyncResult::Ok);
    }
    // A second change of some of them while the first ones are being written.
    for i in (0..4000).step_by(7) {
        assert_eq!(user_changed(&user(i, "second")), GcsyncResult::Ok);
    }
    assert_eq!(flush(), GcsyncResult::Ok, "{}", last_error());
    // Read at once: everything accepted before the flush is durable, each user's latest.
    let saved = pending_in_db(w.dir.path());
    let field = "\"display_name\":\"";
    let mut names: Vec<&str> = saved
        .iter()
        .map(|s| {
            let from = s.find(field).expect("a name") + field.len();
            &s[from..from + s[from..].find('"').unwrap()]
        })
        .collect();
    names.sort_unstable();
    let mut want: Vec<String> = (0..4000)
        .map(|i| name(i, if i % 7 == 0 { "second" } else { "first" }))
        .collect();
    want.sort_unstable();
    assert_eq!(names.len(), 4000);
    assert!(names == want, "each user's latest change, once");
}
