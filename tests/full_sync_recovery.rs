//! Recovery (issue 10 item 7): a start after an unclean stop asks the host for a snapshot
//! through `request_snapshot`, or sets `full_sync.recommended` for a host without it.

mod common;
mod fullsync_support;

use common::*;
use fullsync_support::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;
use std::sync::atomic::{AtomicU32, Ordering};

static ASKED: AtomicU32 = AtomicU32::new(0);

unsafe extern "C" fn request_snapshot(_: *mut std::ffi::c_void, reason: u32) {
    ASKED.store(reason, Ordering::SeqCst);
}

/// What a kill -9 leaves in the data directory: the run marker still says `running`.
fn leave_as_crashed(dir: &std::path::Path) {
    let conn = rusqlite::Connection::open(dir.join("gcsync.db")).unwrap();
    conn.execute(
        "UPDATE meta SET value = 'running' WHERE key = 'run_state'",
        [],
    )
    .unwrap();
}

fn start_with_callback() {
    let mut h = host();
    h.request_snapshot = Some(request_snapshot);
    assert_eq!(
        unsafe { gcsync_init(&h) },
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
}

#[test]
fn a_crash_is_detected_and_the_host_asked_for_a_snapshot_that_converges_the_org() {
    let w = world();
    start_with_callback();
    let all = users(0..5);
    full_sync(&all);
    let g = gid("u2");
    // A clean stop and start ask nothing.
    assert_eq!(gcsync_shutdown(10_000), GcsyncResult::Ok);
    start_with_callback();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(ASKED.load(Ordering::SeqCst), 0);
    assert_eq!(gcsync_shutdown(10_000), GcsyncResult::Ok);
    // Crash; meanwhile someone deletes u2 in the org.
    leave_as_crashed(w.dir.path());
    w.emu.set_user_state(&g, "deleted");
    start_with_callback();
    eventually("the host is asked for a snapshot", || {
        ASKED.load(Ordering::SeqCst) == 1
    });
    assert_eq!(overview()["full_sync"]["recommended"], false);
    full_sync(&all); // the host answers from its own thread
    assert_eq!(w.emu.user(&g).unwrap()["state"], "active");
    assert_eq!(w.emu.users().len(), 5, "no duplicate");
}

#[test]
fn a_host_without_the_callback_sees_a_full_sync_recommended() {
    let w = world();
    w.start();
    full_sync(&users(0..2));
    assert_eq!(gcsync_shutdown(10_000), GcsyncResult::Ok);
    leave_as_crashed(w.dir.path());
    w.start();
    eventually("recommended", || {
        overview()["full_sync"]["recommended"] == true
    });
    full_sync(&users(0..2));
    assert_eq!(overview()["full_sync"]["recommended"], false);
}

#[test]
fn a_standby_makes_no_call_keeps_the_hooks_and_takes_over_with_a_snapshot() {
    let w = world();
    set("role", "standby");
    start_with_callback();
    for i in 0..3 {
        let u = cic_user(&format!("s{i}"), "S", Some(&format!("s{i}@example.com")));
        assert_eq!(user_changed(&u), GcsyncResult::Ok);
    }
    send(&users(0..2), 10, Some(0));
    assert_eq!(gcsync_force_sync_wait(10_000), GcsyncResult::Ok);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(w.emu.requests().is_empty(), "a standby calls nothing");
    assert!(overview()["full_sync"]["last_error"]
        .as_str()
        .unwrap()
        .contains("standby"));
    assert_eq!(status("s0")["pending"], true);
    assert_eq!(gcsync_set_role(99), GcsyncResult::InvalidArgument);
    assert_eq!(gcsync_set_role(GCSYNC_ROLE_ACTIVE), GcsyncResult::Ok);
    assert_eq!(gcsync_wait_settled(30_000), GcsyncResult::Ok);
    for i in 0..3 {
        assert!(w.emu.user_by_email(&format!("s{i}@example.com")).is_some());
    }
    eventually("the host is asked for a snapshot on takeover", || {
        ASKED.load(Ordering::SeqCst) == GCSYNC_SNAPSHOT_REASON_TAKEOVER
    });
    full_sync(&users(0..2));
    assert!(w.emu.user_by_email("u1@example.com").is_some());
}

#[test]
fn a_standby_with_saved_hooks_shuts_down_without_waiting_for_the_timeout() {
    let w = world();
    set("role", "standby");
    start_with_callback();
    assert_eq!(user_changed(&users(0..1)[0].to_string()), GcsyncResult::Ok);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let t = std::time::Instant::now();
    // The change was saved, not synced: said as for any unfinished change at shutdown.
    assert_eq!(gcsync_shutdown(30_000), GcsyncResult::ShutdownTimedOut);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "a standby's shutdown waited {:?} of its 30 s timeout",
        t.elapsed()
    );
    assert!(w.emu.requests().is_empty(), "a standby calls nothing");
    // The hook is still there at the next (active) start.
    set("role", "active");
    start_with_callback();
    assert_eq!(gcsync_wait_settled(30_000), GcsyncResult::Ok);
    assert!(w.emu.user_by_email("u0@example.com").is_some());
}
