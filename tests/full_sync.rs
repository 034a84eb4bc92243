//! Force Complete Sync as a reconcile (issue 10): snapshot in parts, only differences applied,
//! call counts from the emulator's request log.

mod common;
mod fullsync_support;

use common::*;
use fullsync_support::*;
use gcsync::ffi::*;
use gcsync::result::GcsyncResult;

#[test]
fn a_no_op_full_sync_makes_only_the_paged_reads() {
    let w = world();
    w.start();
    let all = users(0..620);
    full_sync(&all);
    assert_eq!(w.emu.users().len(), 620);
    w.emu.clear_requests();
    full_sync(&all);
    let (reads, writes_n, tokens) = counts(&w.emu);
    assert_eq!(
        reads,
        2,
        "⌈620/500⌉ pages: {:?}",
        w.emu
            .requests()
            .iter()
            .map(|r| &r.route)
            .collect::<Vec<_>>()
    );
    assert_eq!(w.emu.call_count("GET", "/api/v2/users"), 2);
    // No token either: the run shares the workers' client, whose token is still good.
    assert_eq!((writes_n, tokens), (0, 0));
    let (head, items) = plan();
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(head["dry_run"], false);
    assert_eq!(overview()["full_sync"]["phase"], "idle");
}

#[test]
fn one_percent_drift_costs_one_write_per_drifted_user() {
    let w = world();
    w.start();
    let all = users(0..200);
    full_sync(&all);
    let drifted = [gid("u7"), gid("u150")];
    for g in &drifted {
        w.emu.drift_user_name(g, "Someone Else");
    }
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(writes(&w.emu), vec!["PATCH /api/v2/users/{userId}"; 2]);
    // The reads are the org's page and nothing more: the worker PATCHes what the read showed,
    // with the version it showed, without reading the drifted users again.
    let reads: Vec<String> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path != "/oauth/token" && r.method == "GET")
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    assert_eq!(reads, vec!["GET /api/v2/users"], "{reads:?}");
    assert_eq!(w.emu.user(&drifted[0]).unwrap()["name"], "User 7");
    assert_eq!(w.emu.user(&drifted[1]).unwrap()["name"], "User 150");
    let (head, items) = plan();
    assert_eq!(head["counts"]["user"]["update"], 2);
    assert_eq!(items[0]["detail"], serde_json::json!(["name"]));
}

#[test]
fn an_owned_user_deleted_in_the_org_is_restored_not_duplicated() {
    let w = world();
    w.start();
    let all = users(0..5);
    full_sync(&all);
    let g = gid("u3");
    w.emu.set_user_state(&g, "deleted");
    full_sync(&all);
    assert_eq!(w.emu.user(&g).unwrap()["state"], "active");
    assert_eq!(w.emu.users().len(), 5, "restored, not re-created");
    assert_eq!(status("u3")["state"], "Synced");
}

#[test]
fn unowned_look_alikes_are_never_touched() {
    let w = world();
    let twin = w
        .emu
        .seed_user("User 1", "someone.else@example.com", "active");
    let stray = w.emu.seed_user("Stray", "stray@example.com", "active");
    w.start();
    full_sync(&users(0..10));
    w.emu.clear_requests();
    // Everything removed from CIC but u0: nothing unowned may go, owned ones go (guard off).
    set("deletion_guard", "off");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    full_sync(&users(0..1));
    for id in [&twin, &stray] {
        let u = w.emu.user(id).unwrap();
        assert_eq!(
            (u["state"].as_str(), u["version"].as_i64()),
            (Some("active"), Some(1))
        );
        assert!(w
            .emu
            .requests()
            .iter()
            .all(|r| !r.path.contains(id.as_str())));
    }
    assert_eq!(w.emu.user(&gid("u5")).unwrap()["state"], "inactive");
}

#[test]
fn owned_users_missing_from_the_snapshot_are_removed_per_policy() {
    let w = world();
    w.start();
    full_sync(&users(0..10));
    let gone = gid("u9");
    full_sync(&users(0..9));
    assert_eq!(w.emu.user(&gone).unwrap()["state"], "inactive");
    assert_eq!(status("u9")["removed"], true);
    assert_eq!(w.emu.user(&gid("u8")).unwrap()["state"], "active");
}

#[test]
fn the_guard_holds_a_mass_deletion_until_released() {
    let w = world();
    w.start();
    full_sync(&users(0..10));
    w.emu.clear_requests();
    full_sync(&users(0..4));
    assert!(writes(&w.emu).is_empty(), "{:?}", writes(&w.emu));
    let held = &overview()["full_sync"]["held"]["user"];
    assert_eq!(held["count"], 6);
    assert!(held["reason"]
        .as_str()
        .unwrap()
        .contains("deletion_guard_percent"));
    assert_eq!(held["ids"][0], "u4");
    assert_eq!(gcsync_force_sync_release_held(), GcsyncResult::Ok);
    assert_eq!(gcsync_wait_settled(60_000), GcsyncResult::Ok);
    for i in 4..10 {
        assert_eq!(
            w.emu.user(&gid(&format!("u{i}"))).unwrap()["state"],
            "inactive"
        );
    }
    assert!(overview()["full_sync"]["held"].is_null());
}

#[test]
fn empty_and_partial_snapshots_and_a_failed_read_delete_nothing() {
    let w = world();
    w.start();
    full_sync(&users(0..5));
    w.emu.clear_requests();
    full_sync(&[]); // `[]` for users: empty
    let mut id = 0;
    assert_eq!(
        unsafe { gcsync_force_sync_begin(0, &mut id) },
        GcsyncResult::Ok
    );
    assert_eq!(gcsync_force_sync_commit(0), GcsyncResult::Ok); // no user part at all
    settle();
    assert!(writes(&w.emu).is_empty(), "{:?}", writes(&w.emu));
    w.emu.set_faults(gc_emulator::Faults {
        error_5xx_rate: 1.0,
        ..Default::default()
    });
    set("max_retries", "0");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    full_sync(&users(0..1));
    w.emu.set_faults(gc_emulator::Faults::default());
    assert!(overview()["full_sync"]["last_error"]
        .as_str()
        .unwrap()
        .contains("reading the org"));
    assert!(w.emu.users().iter().all(|u| u["state"] == "active"));
}

#[test]
fn a_dry_run_applies_nothing_and_the_real_run_does_exactly_its_plan() {
    let w = world();
    w.start();
    full_sync(&users(0..8));
    w.emu.drift_user_name(&gid("u2"), "Drifted");
    w.emu.set_user_state(&gid("u3"), "deleted");
    let mut next = users(1..8);
    next.push(user(20));
    w.emu.clear_requests();
    send(&next, 3, Some(GCSYNC_FORCE_SYNC_DRY_RUN));
    settle();
    assert!(writes(&w.emu).is_empty());
    let (head, dry) = plan();
    assert_eq!(head["dry_run"], true);
    let ops: Vec<(&str, &str)> = dry
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o["op"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("u0", "remove"),
            ("u2", "update"),
            ("u20", "create"),
            ("u3", "restore")
        ]
    );
    full_sync(&next);
    let (head, real) = plan();
    assert_eq!((head["dry_run"].as_bool(), &real), (Some(false), &dry));
    assert_eq!(w.emu.user(&gid("u0")).unwrap()["state"], "inactive");
    assert_eq!(w.emu.user(&gid("u3")).unwrap()["state"], "active");
    assert!(w.emu.user_by_email("u20@example.com").is_some());
}

#[test]
fn a_change_that_arrives_during_a_full_sync_wins() {
    let w = world();
    w.start();
    full_sync(&users(0..3));
    // The hook lands while the run reads the org (its first read held in flight; before, a
    // 300 ms latency: on a loaded machine the run could end before the hook came).
    let mut stale = users(0..3);
    stale[1]["display_name"] = "Old Name".into();
    let fresh = cic_user("u1", "New Name", Some("u1@example.com"));
    common::holds::while_in_flight(
        &w.emu,
        "GET",
        "*",
        || send(&stale, 10, Some(0)),
        || assert_eq!(user_changed(&fresh), GcsyncResult::Ok),
    );
    settle();
    assert_eq!(w.emu.user(&gid("u1")).unwrap()["name"], "New Name");
    assert!(
        logs()
            .iter()
            .any(|l| l.contains("user u1: a newer change arrived")),
        "the snapshot's change was dropped by sequence number, not overtaken by luck"
    );
}

#[test]
fn a_20000_user_snapshot_arrives_in_parts_under_a_small_payload_limit() {
    let w = world();
    set("max_payload_bytes", "65536");
    w.start();
    let all = users(0..20_000);
    send(&all, 500, Some(GCSYNC_FORCE_SYNC_DRY_RUN));
    settle();
    let (head, items) = plan();
    assert_eq!(head["counts"]["user"]["create"], 20_000);
    assert_eq!(items.len(), 20_000);
    assert_eq!(w.emu.call_count("GET", "/api/v2/users"), 1);
    // A chunk over the limit is refused, and so is an id sent twice.
    let mut id = 0;
    assert_eq!(
        unsafe { gcsync_force_sync_begin(0, &mut id) },
        GcsyncResult::Ok
    );
    let big = serde_json::Value::Array(users(0..2000)).to_string();
    let r = unsafe { gcsync_force_sync_add(1, big.as_ptr().cast(), big.len()) };
    assert_eq!(r, GcsyncResult::PayloadTooLarge);
    let one = serde_json::Value::Array(users(0..1)).to_string();
    assert_eq!(
        unsafe { gcsync_force_sync_add(1, one.as_ptr().cast(), one.len()) },
        GcsyncResult::Ok
    );
    assert_eq!(
        unsafe { gcsync_force_sync_add(1, one.as_ptr().cast(), one.len()) },
        GcsyncResult::InvalidField
    );
    assert_eq!(gcsync_force_sync_abort(), GcsyncResult::Ok);
    assert_eq!(
        gcsync_force_sync_commit(0),
        GcsyncResult::InvalidArgument,
        "aborted"
    );
}
