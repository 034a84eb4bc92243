//! Workgroups → queues with members and wrap-up codes, end to end through the C API against
//! the Genesys Cloud emulator (the wrap-up code kind is in `wrapup_codes.rs`). Call counts come
//! from the request log.

mod common;

use common::routing::*;
use common::*;
use gcsync::object::GcsyncObjectKind::{Workgroup, WrapupCode};
use gcsync::result::GcsyncResult;
use serde_json::json;
use std::collections::BTreeSet;

#[test]
fn a_workgroup_becomes_a_queue_with_its_members_and_wrapup_codes() {
    let w = advanced_world();
    add_user("u1");
    add_user("u2");
    code("W1", "Sold");
    // Everything the workgroup needs is synced first (with several workers the workgroup could
    // otherwise be taken first, wait, and read its members on the second pass).
    wait_idle();
    workgroup("Sales", &["u1", "u2"], &["W1"]);
    wait_idle();
    let s = status_of(Workgroup, "Sales");
    assert_eq!(s["state"], "Synced", "{s}");
    let q = queue(&w.emu, "Sales");
    assert_eq!(s["genesys_id"], q["id"]);
    assert_eq!(member_ids(&q, "user"), gids(&["u1", "u2"]));
    let c = status_of(WrapupCode, "W1");
    assert_eq!(c["state"], "Synced", "{c}");
    assert_eq!(q["wrapupCodes"], json!([c["genesys_id"]]));
    assert_eq!(codes_named(&w.emu, "Sold").len(), 1);
    // A new queue is not read back: one create, one member add, one code add.
    assert_eq!(w.emu.call_count("POST", "/api/v2/routing/queues"), 1);
    assert_eq!(w.emu.call_count("POST", MEMBERS), 1);
    assert_eq!(w.emu.call_count("GET", MEMBERS), 0);
    assert_eq!(w.emu.call_count("POST", QUEUE_CODES), 1);

    // The overview counts the new kinds.
    let o = overview();
    let kinds = o["kinds"].to_string();
    assert!(
        kinds.contains("workgroup") && kinds.contains("wrapup_code"),
        "{o}"
    );

    // Deleting the workgroup deletes its queue (gcsync created it).
    assert_eq!(object_deleted(Workgroup, "Sales"), GcsyncResult::Ok);
    wait_idle();
    assert!(w.emu.dump("queues").as_array().unwrap().is_empty());
    let s = status_of(Workgroup, "Sales");
    assert_eq!(s["removed"], true, "{s}");
}

#[test]
fn two_hundred_fifty_members_cost_three_calls_and_an_unchanged_workgroup_none() {
    let w = World::with_emulator(gc_emulator::EmulatorConfig {
        rate_limit_per_minute: 100_000,
        ..emulator_config()
    });
    set("sync_advanced_platform_objects", "true");
    set("log_level", "info");
    set("requests_per_minute", "60000");
    w.start();
    let ids: Vec<String> = (0..250).map(|i| format!("m{i:03}")).collect();
    for id in &ids {
        add_user(id);
    }
    wait_idle();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    workgroup("Big", &refs, &[]);
    wait_idle();
    assert_eq!(status_of(Workgroup, "Big")["state"], "Synced");
    let adds: Vec<usize> = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.route == MEMBERS)
        .map(|r| r.body.as_ref().unwrap().as_array().unwrap().len())
        .collect();
    assert_eq!(adds, [100, 100, 50]);
    assert_eq!(member_ids(&queue(&w.emu, "Big"), "user").len(), 250);

    // The same workgroup again (members in another order): what was applied holds, no call.
    w.emu.clear_requests();
    let mut reversed = refs.clone();
    reversed.reverse();
    workgroup("Big", &reversed, &[]);
    wait_idle();
    assert!(w.emu.requests().is_empty(), "{:?}", w.emu.requests());
    assert_eq!(status_of(Workgroup, "Big")["state"], "Synced");

    // Everyone leaves: the members are read (3 pages, the last one short) and removed 100 a call.
    workgroup("Big", &[], &[]);
    wait_idle();
    let removes: Vec<usize> = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.route == MEMBERS)
        .inspect(|r| assert_eq!(r.query, "delete=true"))
        .map(|r| r.body.as_ref().unwrap().as_array().unwrap().len())
        .collect();
    assert_eq!(removes, [100, 100, 50]);
    assert_eq!(w.emu.call_count("GET", MEMBERS), 3);
    assert!(member_ids(&queue(&w.emu, "Big"), "user").is_empty());
}

#[test]
fn a_member_whose_user_is_not_synced_yet_is_added_once_it_is() {
    let w = advanced_world();
    add_user("u1");
    workgroup("Support", &["u1", "late"], &[]);
    wait_idle();
    let s = status_of(Workgroup, "Support");
    assert_eq!(s["state"], "Not synced", "{s}");
    assert_eq!(s["reason"], "waiting for user late");
    let q = queue(&w.emu, "Support");
    assert_eq!(s["genesys_id"], q["id"], "the queue exists meanwhile");
    assert_eq!(member_ids(&q, "user"), gids(&["u1"]));

    add_user("late");
    wait_idle();
    let s = status_of(Workgroup, "Support");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(
        member_ids(&queue(&w.emu, "Support"), "user"),
        gids(&["u1", "late"])
    );
}

#[test]
fn an_existing_queue_and_code_of_exactly_that_name_are_adopted() {
    let w = advanced_world();
    let outsider = w
        .emu
        .seed_user("Out Sider", "outsider@example.com", "active");
    let seeded_code = w.emu.seed("wrapupcodes", json!({"name": "Refund"}));
    let seeded_queue = w
        .emu
        .seed("queues", json!({"name": "Returns", "members": [outsider]}));
    // Look-alikes the name filter also returns.
    w.emu.seed("queues", json!({"name": "Returns EMEA"}));
    w.emu.seed("wrapupcodes", json!({"name": "Refund later"}));
    add_user("u1");
    code("W1", "Refund");
    workgroup("Returns", &["u1"], &["W1"]);
    wait_idle();
    assert_eq!(
        status_of(WrapupCode, "W1")["genesys_id"],
        seeded_code.as_str()
    );
    assert_eq!(
        status_of(Workgroup, "Returns")["genesys_id"],
        seeded_queue.as_str()
    );
    let q = queue(&w.emu, "Returns");
    let mut want = gids(&["u1"]);
    want.insert(outsider.clone());
    assert_eq!(member_ids(&q, "user"), want);
    assert_eq!(w.emu.dump("queues").as_array().unwrap().len(), 2);

    // Only what gcsync added is removed: u1 goes, the outsider stays.
    workgroup("Returns", &[], &["W1"]);
    wait_idle();
    let q = queue(&w.emu, "Returns");
    assert_eq!(member_ids(&q, "user"), BTreeSet::from([outsider]));

    // A rename of the code is a PUT on the same code.
    code("W1", "Refunded");
    wait_idle();
    assert_eq!(
        w.emu
            .call_count("PUT", "/api/v2/routing/wrapupcodes/{codeId}"),
        1
    );
    assert_eq!(
        codes_named(&w.emu, "Refunded")[0]["id"],
        seeded_code.as_str()
    );
}

#[test]
fn a_member_added_by_a_post_whose_outcome_is_unknown_stays_gcsyncs() {
    // The POST adding u1 to the new queue is applied but answered 503 (no client retry), and
    // the read that would confirm it fails too: the outcome is unknown. CIC removes u1 before
    // the next attempt, which must still take u1 out: the addition was recorded before the POST.
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("max_retries", "0");
    set("retry_later_s", "1");
    w.start();
    add_user("u1");
    wait_idle();
    for (method, status) in [("POST", 503), ("GET", 503)] {
        w.emu.inject(gc_emulator::InjectedFault {
            method: method.into(),
            route: MEMBERS.into(),
            status,
            after_commit: method == "POST",
            ..Default::default()
        });
    }
    workgroup("Returns", &["u1"], &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while status_of(Workgroup, "Returns")["state"] != "Error" {
        assert!(std::time::Instant::now() < deadline, "the attempt fails");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(member_ids(&queue(&w.emu, "Returns"), "user"), gids(&["u1"]));
    workgroup("Returns", &[], &[]);
    assert_eq!(gcsync::ffi::gcsync_wait_settled(30_000), GcsyncResult::Ok);
    let s = status_of(Workgroup, "Returns");
    assert_eq!(s["state"], "Synced", "{s}");
    let q = queue(&w.emu, "Returns");
    assert_eq!(member_ids(&q, "user"), BTreeSet::new(), "{q}");
    assert_eq!(
        w.emu.call_count("POST", MEMBERS),
        2,
        "the add, then the removal"
    );
}

#[test]
fn a_member_through_a_group_is_not_added_directly() {
    let w = advanced_world();
    let seeded = w.emu.seed_user("Grace", "grace@example.com", "active");
    w.emu
        .seed("queues", json!({"name": "Ops", "groupMembers": [seeded]}));
    add_user("grace");
    wait_idle();
    assert_eq!(gid("grace"), seeded, "adopted by email");
    workgroup("Ops", &["grace"], &[]);
    wait_idle();
    assert_eq!(status_of(Workgroup, "Ops")["state"], "Synced");
    assert_eq!(w.emu.call_count("POST", MEMBERS), 0);
    let q = queue(&w.emu, "Ops");
    assert_eq!(member_ids(&q, "group"), BTreeSet::from([seeded]));
    assert!(member_ids(&q, "user").is_empty());
}

#[test]
fn a_restored_user_gets_its_queue_memberships_back() {
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("user_removal_policy", "delete");
    w.start();
    add_user("u1");
    add_user("u2");
    workgroup("Sales", &["u1", "u2"], &[]);
    wait_idle();
    let u1 = gid("u1");
    assert_eq!(user_deleted("u1"), GcsyncResult::Ok);
    wait_idle();
    // Genesys dropped the soft-deleted user's membership.
    assert_eq!(
        member_ids(&queue(&w.emu, "Sales"), "user"),
        BTreeSet::from([gid("u2")])
    );
    add_user("u1");
    wait_idle();
    assert_eq!(gid("u1"), u1, "restored, not recreated");
    let q = queue(&w.emu, "Sales");
    assert_eq!(member_ids(&q, "user"), BTreeSet::from([u1, gid("u2")]));
    assert_eq!(status_of(Workgroup, "Sales")["state"], "Synced");
}

#[test]
fn advanced_objects_while_users_are_off_is_a_clear_error() {
    let _w = World::new();
    set("sync_user_objects", "false");
    set("sync_advanced_platform_objects", "true");
    assert_eq!(init(), GcsyncResult::ConflictingSettings);
    let e = last_error();
    assert!(
        e.contains("sync_advanced_platform_objects requires sync_user_objects=true"),
        "{e}"
    );
}

#[test]
fn with_advanced_sync_off_nothing_is_synced_and_nothing_deleted() {
    let w = advanced_world();
    add_user("u1");
    workgroup("Sales", &["u1"], &[]);
    wait_idle();
    set("sync_advanced_platform_objects", "false");
    assert_eq!(gcsync::ffi::gcsync_on_settings_changed(), GcsyncResult::Ok);
    assert_eq!(object_deleted(Workgroup, "Sales"), GcsyncResult::Ok);
    code("W1", "Sold");
    wait_idle();
    let s = status_of(Workgroup, "Sales");
    assert_eq!(s["state"], "Not synced", "{s}");
    assert!(s["reason"]
        .as_str()
        .unwrap()
        .contains("Sync Advanced Platform Objects is turned off"));
    assert_eq!(
        w.emu.dump("queues").as_array().unwrap().len(),
        1,
        "nothing deleted"
    );
    assert!(codes_named(&w.emu, "Sold").is_empty());
    // Turned on again, the removal and the code apply.
    set("sync_advanced_platform_objects", "true");
    assert_eq!(gcsync::ffi::gcsync_on_settings_changed(), GcsyncResult::Ok);
    wait_idle();
    assert!(w.emu.dump("queues").as_array().unwrap().is_empty());
    assert_eq!(codes_named(&w.emu, "Sold").len(), 1);
}

#[test]
fn a_queue_deleted_in_genesys_is_created_again_on_the_next_change() {
    let w = advanced_world();
    add_user("u1");
    add_user("u2");
    workgroup("Sales", &["u1"], &[]);
    wait_idle();
    let first = status_of(Workgroup, "Sales")["genesys_id"].clone();
    w.emu
        .drift(json!({"op": "delete", "kind": "queue", "id": first}));
    workgroup("Sales", &["u1", "u2"], &[]);
    wait_idle();
    let s = status_of(Workgroup, "Sales");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_ne!(s["genesys_id"], first);
    let q = queue(&w.emu, "Sales");
    assert_eq!(s["genesys_id"], q["id"]);
    assert_eq!(member_ids(&q, "user"), gids(&["u1", "u2"]));
}

#[test]
fn a_wait_survives_a_restart_and_unchanged_work_costs_nothing_after_it() {
    let w = advanced_world();
    add_user("u1");
    code("W1", "Sold");
    workgroup("Sales", &["u1", "late"], &["W1"]);
    wait_idle();
    assert_eq!(
        status_of(Workgroup, "Sales")["reason"],
        "waiting for user late"
    );
    assert_eq!(gcsync::ffi::gcsync_shutdown(5_000), GcsyncResult::Ok);
    w.emu.clear_requests();
    w.start();
    wait_idle();
    // The unfinished workgroup was resumed; with nothing new ready it made no call.
    let writes: Vec<String> = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.route.contains("/routing/"))
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(
        status_of(Workgroup, "Sales")["reason"],
        "waiting for user late"
    );
    add_user("late");
    wait_idle();
    assert_eq!(status_of(Workgroup, "Sales")["state"], "Synced");
    assert_eq!(
        member_ids(&queue(&w.emu, "Sales"), "user"),
        gids(&["u1", "late"])
    );
    assert_eq!(
        w.emu.call_count("POST", MEMBERS),
        1,
        "only the late member was added"
    );
}

#[test]
fn users_whose_inherited_skills_change_are_queued_again() {
    let w = advanced_world();
    for u in ["u1", "u2", "u3"] {
        add_user(u);
    }
    let skilled = |members: &[&str], proficiency: u32| {
        let j = json!({"id": "Sales", "members": members,
                       "skills": [{"id": "French", "proficiency": proficiency}]});
        assert_eq!(object_changed(Workgroup, &j.to_string()), GcsyncResult::Ok);
        wait_idle();
    };
    skilled(&["u1", "u2"], 50);
    let processed = || overview()["processed"].as_u64().unwrap();
    let before = processed();
    w.emu.clear_requests();
    // The skills change: the workgroup and both members are processed again.
    skilled(&["u1", "u2"], 60);
    assert_eq!(processed() - before, 3);
    // The same skills, one member swapped: the workgroup, who left and who joined.
    let before = processed();
    skilled(&["u2", "u3"], 60);
    assert_eq!(processed() - before, 3);
    // Users queued again with nothing to change cost no call: only the member diffs were sent.
    let user_calls = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.route.starts_with("/api/v2/users"))
        .count();
    assert_eq!(user_calls, 0);
}

#[test]
fn a_member_whose_latest_update_failed_keeps_its_membership() {
    let w = advanced_world();
    add_user("u1");
    add_user("u2");
    workgroup("Sales", &["u1"], &[]);
    wait_idle();
    w.emu.inject(gc_emulator::InjectedFault {
        method: "PATCH".into(),
        route: "/api/v2/users/{userId}".into(),
        status: 400,
        count: 1,
        ..Default::default()
    });
    let j = cic_user("u1", "Renamed", Some("u1@example.com"));
    assert_eq!(user_changed(&j), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(status("u1")["state"], "Error");
    workgroup("Sales", &["u1", "u2"], &[]);
    wait_idle();
    assert_eq!(status_of(Workgroup, "Sales")["state"], "Synced");
    assert_eq!(
        member_ids(&queue(&w.emu, "Sales"), "user"),
        gids(&["u1", "u2"])
    );
}
