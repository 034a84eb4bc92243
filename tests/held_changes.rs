//! A newer change of an object a worker holds (README "Workers", `src/queue/hold.rs`): a step
//! that has got no write through gives its stale change up and the newest is written once; a
//! step whose write is in flight finishes, and exactly one more write follows with the newest
//! data; a write that may have been applied is never taken for synced. Each case holds the
//! worker at a known point with a scripted fault or a hold, so none depends on timing.

mod common;

use common::*;
use gc_emulator::{InjectedFault, RetryAfter};
use gcsync::result::GcsyncResult;
use serde_json::Value;

const EMAIL: &str = "held@example.com";
const PATCH: &str = "/api/v2/users/{userId}";

fn named(name: &str) -> String {
    cic_user("held", name, Some(EMAIL))
}

/// A world with the user synced as "Version 1" and the request log cleared.
fn synced() -> World {
    let w = World::new();
    w.start();
    assert_eq!(user_changed(&named("Version 1")), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(status("held")["state"], "Synced");
    w.emu.clear_requests();
    w
}

fn fault(status: u16, retry_after: RetryAfter, drop: bool, after_commit: bool) -> InjectedFault {
    InjectedFault {
        method: "PATCH".into(),
        route: PATCH.into(),
        status,
        retry_after,
        count: 1,
        drop_connection: drop,
        after_commit,
        ..Default::default()
    }
}

/// The PATCHes of the user the emulator logged: (status answered, status handled, name sent).
fn patches(w: &World) -> Vec<(u16, Option<u16>, String)> {
    w.emu
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH" && r.route == PATCH)
        .map(|r| {
            let name = r.body.as_ref().map_or(Value::Null, |b| b["name"].clone());
            (
                r.status,
                r.handled_status,
                name.as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

/// The statuses the user creates (`POST /api/v2/users`) were answered with, in order.
fn creates(w: &World) -> Vec<u16> {
    let post = |r: &&gc_emulator::LoggedRequest| r.method == "POST" && r.route == "/api/v2/users";
    w.emu
        .requests()
        .iter()
        .filter(post)
        .map(|r| r.status)
        .collect()
}

/// How many reads (GET) the emulator logged.
fn reads(w: &World) -> usize {
    w.emu
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count()
}

fn wait_for_patch_answered(w: &World, status: u16) {
    eventually(&format!("a PATCH answered {status}"), || {
        patches(w).iter().any(|p| p.0 == status)
    });
}

#[test]
fn a_holder_waiting_out_a_429_takes_the_newest_change_and_writes_once() {
    let w = synced();
    // The worker's PATCH of "Version 2" is refused with a 429: it holds the user through the
    // 2 s Retry-After, without having written anything.
    w.emu
        .inject(fault(429, RetryAfter::Seconds(2), false, false));
    assert_eq!(user_changed(&named("Version 2")), GcsyncResult::Ok);
    wait_for_patch_answered(&w, 429);
    assert_eq!(user_changed(&named("Version 3")), GcsyncResult::Ok);
    assert_settled();
    let p = patches(&w);
    let written: Vec<&(u16, Option<u16>, String)> = p.iter().filter(|p| p.0 == 200).collect();
    assert_eq!(written.len(), 1, "one write: {p:?}");
    assert_eq!(written[0].2, "Version 3", "{p:?}");
    assert_eq!(gc_user(&w.emu, EMAIL)["name"], "Version 3");
    assert_eq!(status("held")["state"], "Synced");
}

#[test]
fn a_holder_retrying_an_unanswered_versioned_write_takes_the_newest_change_and_writes_once() {
    let w = synced();
    // The PATCH of "Version 2" gets no answer (not applied), its retry a 503 with a 2 s
    // Retry-After: the worker holds the user, its write unanswered.
    w.emu.inject(fault(503, RetryAfter::Absent, true, false));
    w.emu
        .inject(fault(503, RetryAfter::Seconds(2), false, false));
    assert_eq!(user_changed(&named("Version 2")), GcsyncResult::Ok);
    wait_for_patch_answered(&w, 503);
    assert_eq!(user_changed(&named("Version 3")), GcsyncResult::Ok);
    assert_settled();
    let p = patches(&w);
    let written: Vec<_> = p.iter().filter(|p| p.0 == 200).collect();
    assert_eq!(written.len(), 1, "one write: {p:?}");
    assert_eq!(written[0].2, "Version 3", "{p:?}");
    assert_eq!(gc_user(&w.emu, EMAIL)["name"], "Version 3");
    assert_eq!(status("held")["state"], "Synced");
    // The newest data differs from what was synced: one PATCH with the known version, no read
    // first (a stale version would have been a conflict and a re-read).
    assert_eq!(reads(&w), 0);
}

#[test]
fn a_given_up_write_that_was_applied_is_not_taken_for_synced() {
    let w = synced();
    // The PATCH of "Version 2" is applied but its answer lost; the retry gets a 503 with a 2 s
    // Retry-After. Meanwhile CIC goes back to "Version 1", what was synced before: the worker
    // gives "Version 2" up, and must still write "Version 1" (Genesys holds "Version 2").
    w.emu.inject(fault(503, RetryAfter::Absent, true, true));
    w.emu
        .inject(fault(503, RetryAfter::Seconds(2), false, false));
    assert_eq!(user_changed(&named("Version 2")), GcsyncResult::Ok);
    wait_for_patch_answered(&w, 503);
    assert_eq!(
        gc_user(&w.emu, EMAIL)["name"],
        "Version 2",
        "applied, answer lost"
    );
    assert_eq!(user_changed(&named("Version 1")), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(
        gc_user(&w.emu, EMAIL)["name"],
        "Version 1",
        "{:?}",
        patches(&w)
    );
    assert_eq!(status("held")["state"], "Synced");
    assert_eq!(reads(&w), 1, "read once, as nothing changed");
}

#[test]
fn a_holder_whose_write_is_in_flight_is_followed_by_exactly_one_write_of_the_newest() {
    let w = synced();
    // The PATCH of "Version 2" is held in flight while "Version 3" arrives (before, a 1.5 s
    // latency: on a loaded machine the answer could come before the newer change).
    holds::while_in_flight(
        &w.emu,
        "PATCH",
        PATCH,
        || assert_eq!(user_changed(&named("Version 2")), GcsyncResult::Ok),
        || assert_eq!(user_changed(&named("Version 3")), GcsyncResult::Ok),
    );
    assert_settled();
    let p = patches(&w);
    let names: Vec<&str> = p.iter().map(|p| p.2.as_str()).collect();
    assert!(p.iter().all(|p| p.0 == 200), "{p:?}");
    assert_eq!(names, ["Version 2", "Version 3"]);
    assert_eq!(gc_user(&w.emu, EMAIL)["name"], "Version 3");
    assert_eq!(status("held")["state"], "Synced");
}

#[test]
fn a_new_user_held_before_its_create_is_created_once_with_the_newest_data() {
    let w = World::new();
    w.start();
    // The create of "Version 1" (its intent recorded) is refused with a 429: the worker holds
    // the new user through the 2 s Retry-After, nothing created.
    w.emu.inject(InjectedFault {
        method: "POST".into(),
        route: "/api/v2/users".into(),
        status: 429,
        retry_after: RetryAfter::Seconds(2),
        count: 1,
        ..Default::default()
    });
    assert_eq!(user_changed(&named("Version 1")), GcsyncResult::Ok);
    eventually("the create answered 429", || creates(&w).contains(&429));
    assert_eq!(user_changed(&named("Version 2")), GcsyncResult::Ok);
    assert_settled();
    // The given-up create was never sent: the next step POSTs at once, it does not search for
    // a user created before (which would find none and wait).
    assert_eq!(creates(&w), [429, 200]);
    assert_eq!(w.emu.call_count("POST", "/api/v2/users/search"), 0);
    assert_eq!(w.emu.users().len(), 1);
    assert_eq!(gc_user(&w.emu, EMAIL)["name"], "Version 2");
    assert_eq!(status("held")["state"], "Synced");
}
