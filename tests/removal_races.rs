//! A CIC deletion or re-add racing a step that wrote to Genesys Cloud but did not record it
//! (issue 12, the full-size storm's `deleted user stC06: its Genesys user is still active`):
//! the org must end as CIC says, whatever the step before may have done. Each case holds the
//! step at a known point with scripted faults, so none depends on timing.
//!
//! The windows (each test above the guards failed before its fix): a user removed in CIC (its
//! Genesys user deactivated, the record "removed") is added again and the step reactivates
//! the Genesys user (a `state: active` PATCH applied, its answer lost), then is given up for
//! the newer deletion (`queue/hold.rs`) or fails for good before it records the link; a user
//! never linked is added again and its create is applied with its answer lost before the step
//! fails; a wrap-up code's or skill's create is applied unanswered and the step fails. The
//! deletion that followed found the record "removed" (or not linked) and removed nothing.
//! Conversely a user write applied unanswered in a failed step (a deactivation, an update) left
//! the known version as it was: the next change equal to what was last applied wrote nothing;
//! and a create refused every time (429) was taken as possibly sent: the deletion that followed
//! looked for the user for 15 minutes, past any settle.

mod common;

use common::*;
use gc_emulator::{InjectedFault, RetryAfter};
use gcsync::result::GcsyncResult;

const EMAIL: &str = "again@example.com";
const USER: &str = "/api/v2/users/{userId}";
const USERS: &str = "/api/v2/users";

fn named(name: &str) -> String {
    cic_user("again", name, Some(EMAIL))
}

/// A world whose failed steps wait 30 s before their next attempt (so the deletion comes
/// first), gcsync started.
fn world() -> World {
    let w = World::new();
    set("retry_later_s", "30");
    w.start();
    w
}

/// The user synced, then deleted in CIC: its Genesys user inactive, the record removed.
fn removed_after_sync(w: &World) {
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(gc_state(w), "active");
    deleted_deactivates(w);
}

/// `count` scripted faults on `method route`: an answer lost after the write was applied
/// (`after_commit`), or a 503 that was not applied.
fn fault(
    w: &World,
    method: &str,
    route: &str,
    after_commit: bool,
    retry_after: RetryAfter,
    count: u32,
) {
    w.emu.inject(InjectedFault {
        method: method.into(),
        route: route.into(),
        status: 503,
        retry_after,
        count,
        drop_connection: after_commit,
        after_commit,
        ..Default::default()
    });
}

/// How many requests `method route` the emulator answered with `status`.
fn answered(w: &World, method: &str, route: &str, status: u16) -> usize {
    let r = w.emu.requests();
    r.iter()
        .filter(|r| r.method == method && r.route == route && r.status == status)
        .count()
}

/// The next `method route` is applied with its answer lost, and its 5 retries get a 503: the
/// step fails (next attempt in 30 s) without recording what it wrote.
fn applied_then_failing(w: &World, method: &str, route: &str) {
    fault(w, method, route, true, RetryAfter::Absent, 1);
    fault(w, method, route, false, RetryAfter::Absent, 5);
}

/// The next user PATCH is applied with its answer lost, and its retry gets a 503 with a 2 s
/// Retry-After: the worker holds the user, its versioned write unanswered.
fn applied_then_held(w: &World) {
    fault(w, "PATCH", USER, true, RetryAfter::Absent, 1);
    fault(w, "PATCH", USER, false, RetryAfter::Seconds(2), 1);
}

/// Waits until the PATCH retry was answered 503 (the step holds the user).
fn held(w: &World) {
    eventually("the PATCH retry answered 503", || {
        answered(w, "PATCH", USER, 503) == 1
    });
}

/// The Genesys user's state.
fn gc_state(w: &World) -> serde_json::Value {
    gc_user(&w.emu, EMAIL)["state"].clone()
}

/// The CIC user deleted (again): its Genesys user must end inactive, the record removed and
/// Synced.
fn deleted_deactivates(w: &World) {
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(gc_state(w), "inactive");
    let s = status("again");
    assert_eq!(
        (&s["removed"], &s["state"]),
        (&true.into(), &"Synced".into()),
        "{s}"
    );
}

/// The CIC user added back: its Genesys user must end active, the record linked and Synced.
fn added_back_reactivates(w: &World) {
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(gc_state(w), "active");
    let s = status("again");
    assert_eq!(
        (&s["removed"], &s["state"]),
        (&false.into(), &"Synced".into()),
        "{s}"
    );
}

#[test]
fn a_delete_after_a_readd_given_up_with_its_reactivation_unanswered_deactivates_the_user() {
    let w = world();
    removed_after_sync(&w);
    // The re-add's `state: active` PATCH is applied, its answer lost; its retry gets a 503
    // with a 2 s Retry-After: the worker holds the user, its versioned write unanswered.
    applied_then_held(&w);
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    held(&w);
    assert_eq!(gc_state(&w), "active", "applied, answer lost");
    // CIC deletes the user again while the step waits: it gives the re-add up.
    deleted_deactivates(&w);
}

#[test]
fn a_delete_after_a_readd_that_failed_after_reactivating_deactivates_the_user() {
    let w = world();
    removed_after_sync(&w);
    // The re-add's `state: active` PATCH is applied, its answer lost, and its 5 retries get a
    // 503: the step fails (next attempt in 30 s) without recording the link.
    applied_then_failing(&w, "PATCH", USER);
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    eventually("the re-add failed", || status("again")["state"] == "Error");
    assert_eq!(gc_state(&w), "active", "applied, answer lost");
    deleted_deactivates(&w);
}

#[test]
fn a_delete_after_a_readd_whose_create_was_applied_unanswered_removes_the_created_user() {
    let w = world();
    // Deleted in CIC before it was ever linked: nothing to remove, the record "removed".
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(status("again")["removed"], true);
    // Added (again): the create is applied, its answer lost, and its 5 retries get a 503: the
    // step fails (next attempt in 30 s) with only the create intent recorded.
    applied_then_failing(&w, "POST", USERS);
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    eventually("the create failed", || status("again")["state"] == "Error");
    assert_eq!(gc_state(&w), "active", "created, answer lost");
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(gc_state(&w), "inactive");
    assert_eq!(w.emu.users().len(), 1, "one Genesys user");
    let s = status("again");
    assert_eq!(s["removed"], true, "{s}");
}

#[test]
fn a_delete_after_a_code_create_applied_unanswered_deletes_the_created_code() {
    use common::routing::code;
    use gcsync::object::GcsyncObjectKind::WrapupCode;
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("retry_later_s", "30");
    w.start();
    // The code's create is applied, its answer lost, and its 5 retries get a 503: the step
    // fails (next attempt in 30 s) without recording the link.
    let create = "/api/v2/routing/wrapupcodes";
    applied_then_failing(&w, "POST", create);
    code("Z1", "Refund");
    eventually("the create failed", || {
        status_of(WrapupCode, "Z1")["state"] == "Error"
    });
    assert_eq!(common::routing::codes_named(&w.emu, "Refund").len(), 1);
    assert_eq!(object_deleted(WrapupCode, "Z1"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(
        common::routing::codes_named(&w.emu, "Refund"),
        Vec::<serde_json::Value>::new()
    );
    assert_eq!(status_of(WrapupCode, "Z1")["removed"], true);
}

#[test]
fn a_delete_after_a_skill_create_applied_unanswered_deletes_the_created_skill() {
    use gcsync::object::GcsyncObjectKind::Skill;
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("retry_later_s", "30");
    w.start();
    let named = |emu: &gc_emulator::Emulator| -> Vec<String> {
        let all = emu.dump("skills");
        let list = all.as_array().unwrap();
        list.iter()
            .filter(|s| s["name"] == "Spanish" && s["state"] == "active")
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    // The skill's create is applied, its answer lost, and its 5 retries get a 503: the step
    // fails (next attempt in 30 s) without recording the link.
    let create = "/api/v2/routing/skills";
    applied_then_failing(&w, "POST", create);
    let skill = serde_json::json!({"id": "Spanish", "treat_as_language": false});
    assert_eq!(object_changed(Skill, &skill.to_string()), GcsyncResult::Ok);
    eventually("the create failed", || {
        status_of(Skill, "Spanish")["state"] == "Error"
    });
    assert_eq!(named(&w.emu).len(), 1, "created, answer lost");
    assert_eq!(object_deleted(Skill, "Spanish"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(named(&w.emu), Vec::<String>::new());
    assert_eq!(status_of(Skill, "Spanish")["removed"], true);
}

#[test]
fn an_update_applied_unanswered_that_failed_is_written_back_when_cic_reverts() {
    let w = world();
    assert_eq!(user_changed(&named("Version 1")), GcsyncResult::Ok);
    assert_settled();
    // The PATCH of "Version 2" is applied, its answer lost, its 5 retries get a 503: the step
    // fails, its known version still the one before. CIC goes back to "Version 1", what was
    // last applied: it must still be written (Genesys holds "Version 2").
    applied_then_failing(&w, "PATCH", USER);
    assert_eq!(user_changed(&named("Version 2")), GcsyncResult::Ok);
    eventually("the update failed", || status("again")["state"] == "Error");
    assert_eq!(gc_user(&w.emu, EMAIL)["name"], "Version 2", "applied");
    assert_eq!(user_changed(&named("Version 1")), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(gc_user(&w.emu, EMAIL)["name"], "Version 1");
    assert_eq!(status("again")["state"], "Synced");
}

#[test]
fn a_readd_after_a_deactivation_applied_unanswered_that_failed_reactivates_the_user() {
    let w = world();
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    assert_settled();
    // The deletion's PATCH is applied, its answer lost, its 5 retries get a 503: it fails.
    applied_then_failing(&w, "PATCH", USER);
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    eventually("the deletion failed", || {
        status("again")["state"] == "Error"
    });
    assert_eq!(gc_state(&w), "inactive", "applied");
    added_back_reactivates(&w);
}

#[test]
fn a_code_rename_applied_unanswered_that_failed_is_undone_when_cic_reverts() {
    use common::routing::{code, codes_named};
    use gcsync::object::GcsyncObjectKind::WrapupCode;
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("retry_later_s", "30");
    w.start();
    code("Z1", "Refund");
    assert_settled();
    // The rename's PUT is applied, its answer lost, its 5 retries get a 503: the step fails.
    let one = "/api/v2/routing/wrapupcodes/{codeId}";
    applied_then_failing(&w, "PUT", one);
    code("Z1", "Credit");
    eventually("the rename failed", || {
        status_of(WrapupCode, "Z1")["state"] == "Error"
    });
    assert_eq!(codes_named(&w.emu, "Credit").len(), 1, "applied");
    // CIC goes back to the name last applied: Genesys must have it again.
    code("Z1", "Refund");
    assert_settled();
    assert_eq!(codes_named(&w.emu, "Refund").len(), 1);
    assert_eq!(codes_named(&w.emu, "Credit").len(), 0);
    assert_eq!(status_of(WrapupCode, "Z1")["state"], "Synced");
}

#[test]
fn a_delete_after_a_create_refused_every_time_settles_at_once() {
    let w = world();
    // Every attempt of the create is refused with a 429 (not applied): the step fails with
    // only the intent recorded. The deletion must not look for a user for 15 minutes.
    w.emu.inject(InjectedFault {
        method: "POST".into(),
        route: USERS.into(),
        status: 429,
        retry_after: RetryAfter::Seconds(0),
        count: 6,
        ..Default::default()
    });
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    eventually("the create failed", || status("again")["state"] == "Error");
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    assert_eq!(
        gcsync::ffi::gcsync_wait_settled(10_000),
        GcsyncResult::Ok,
        "settled: {}",
        status("again")
    );
    assert!(w.emu.users().is_empty());
    assert_eq!(status("again")["removed"], true);
}

/// The re-add's read of the org's users gets a 503 on each of its 6 attempts (none applied):
/// the step fails (next attempt in 30 s) having written nothing.
fn readd_that_writes_nothing(w: &World) {
    fault(w, "GET", USERS, false, RetryAfter::Absent, 6);
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    eventually("the re-add failed", || status("again")["state"] == "Error");
    assert_eq!(answered(w, "GET", USERS, 503), 6, "the re-add's reads");
}

/// [`readd_that_writes_nothing`], then CIC deletes the user: returns the calls the deletion
/// made (the user ends inactive, the record removed).
fn deleted_after_a_readd_that_wrote_nothing(w: &World) -> Vec<String> {
    readd_that_writes_nothing(w);
    let before = w.emu.requests().len();
    deleted_deactivates(w);
    let calls = w.emu.requests();
    let made = calls[before..].iter();
    made.map(|r| format!("{} {}", r.method, r.route)).collect()
}

#[test]
fn a_delete_of_a_removed_user_no_step_wrote_to_since_makes_no_call() {
    let w = world();
    removed_after_sync(&w);
    assert_eq!(
        deleted_after_a_readd_that_wrote_nothing(&w),
        Vec::<String>::new()
    );
}

#[test]
fn after_a_restart_a_delete_of_a_removed_user_reads_its_genesys_user() {
    let w = world();
    removed_after_sync(&w);
    assert_eq!(gcsync::ffi::gcsync_shutdown(5_000), GcsyncResult::Ok);
    assert_eq!(init(), GcsyncResult::Ok, "init: {}", last_error());
    // What a step of the process before wrote is not known: the user is read.
    let calls = deleted_after_a_readd_that_wrote_nothing(&w);
    assert_eq!(calls, [format!("GET {USER}")]);
}

#[test]
fn a_delete_of_a_user_deactivated_before_the_policy_became_delete_deletes_it() {
    let w = world();
    removed_after_sync(&w);
    set("user_removal_policy", "delete");
    assert_eq!(gcsync::ffi::gcsync_on_settings_changed(), GcsyncResult::Ok);
    readd_that_writes_nothing(&w);
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(gc_state(&w), "deleted");
    assert_eq!(w.emu.call_count("DELETE", USER), 1);
}

// The windows below were suspects too, and passed before these fixes (kept as guards).

#[test]
fn a_first_add_whose_create_was_applied_unanswered_then_deleted_deactivates_the_user() {
    let w = world();
    // The create is applied, its answer lost, and its 5 retries get a 503: only the intent is
    // recorded when the deletion comes.
    applied_then_failing(&w, "POST", USERS);
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    eventually("the create failed", || status("again")["state"] == "Error");
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    assert_settled();
    assert_eq!(gc_state(&w), "inactive");
    assert_eq!(w.emu.users().len(), 1, "one Genesys user");
}

#[test]
fn a_readd_after_a_deactivation_applied_unanswered_and_given_up_reactivates_the_user() {
    let w = world();
    assert_eq!(user_changed(&named("Again")), GcsyncResult::Ok);
    assert_settled();
    // The deletion's `state: inactive` PATCH is applied, its answer lost; its retry waits out
    // a 2 s Retry-After while CIC adds the user back: the deletion is given up.
    applied_then_held(&w);
    assert_eq!(user_deleted("again"), GcsyncResult::Ok);
    held(&w);
    assert_eq!(gc_state(&w), "inactive", "applied");
    added_back_reactivates(&w);
}

#[test]
fn a_member_removal_applied_unanswered_is_undone_when_cic_reverts() {
    use common::routing::{add_user, gid, member_ids, queue, workgroup, MEMBERS};
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("retry_later_s", "30");
    w.start();
    add_user("ann");
    add_user("bob");
    workgroup("Sales", &["ann", "bob"], &[]);
    assert_settled();
    let both = [gid("ann"), gid("bob")].into_iter().collect();
    assert_eq!(member_ids(&queue(&w.emu, "Sales"), "user"), both);
    // Bob's removal is applied, its answer lost, its 5 retries get a 503 (the queue's
    // members are read then: the removal is seen done).
    applied_then_failing(&w, "POST", MEMBERS);
    workgroup("Sales", &["ann"], &[]);
    assert_settled();
    assert_eq!(
        member_ids(&queue(&w.emu, "Sales"), "user").len(),
        1,
        "applied"
    );
    // CIC adds Bob back (what was last applied): the queue must have him again.
    workgroup("Sales", &["ann", "bob"], &[]);
    assert_settled();
    assert_eq!(member_ids(&queue(&w.emu, "Sales"), "user"), both);
}
