//! Force Complete Sync of the configuration kinds (issue 10), more: a change that arrives
//! through a hook during a run wins over the snapshot, as for users; with Sync Advanced Platform
//! Objects off, their parts are neither read nor applied.

mod common;
mod fullsync_support;

use common::routing::codes_named;
use common::*;
use fullsync_support::*;
use gcsync::ffi::gcsync_on_settings_changed;
use gcsync::object::GcsyncObjectKind::{Skill, User, Workgroup, WrapupCode};
use gcsync::result::GcsyncResult;
use serde_json::json;

#[test]
fn a_wrapup_code_changed_during_a_full_sync_keeps_the_hooks_version() {
    let w = world();
    set("sync_advanced_platform_objects", "true");
    w.start();
    let codes = vec![
        json!({"id": "W1", "name": "Sold"}),
        json!({"id": "W2", "name": "Lost"}),
    ];
    full_sync_kinds(&[(WrapupCode, codes.clone())]);
    assert_eq!(codes_named(&w.emu, "Sold").len(), 1);
    // The hook lands while the run reads the org (its first read held in flight; before, a
    // 300 ms latency: on a loaded machine the run could end before the hook came).
    let mut stale = codes;
    stale[0]["name"] = json!("Stale name");
    let fresh = json!({"id": "W1", "name": "Fresh name"}).to_string();
    common::holds::while_in_flight(
        &w.emu,
        "GET",
        "*",
        || send_kinds(&[(WrapupCode, stale)], 10, Some(0)),
        || assert_eq!(object_changed(WrapupCode, &fresh), GcsyncResult::Ok),
    );
    settle();
    assert_eq!(codes_named(&w.emu, "Fresh name").len(), 1);
    assert!(codes_named(&w.emu, "Stale name").is_empty());
    assert!(
        logs()
            .iter()
            .any(|l| l.contains("wrapup_code W1: a newer change arrived")),
        "the snapshot's change was dropped by sequence number, not overtaken by luck"
    );
    let (head, items) = plan();
    assert_eq!(head["counts"]["wrapup_code"]["update"], 1, "{head}");
    assert_eq!(items[0]["detail"], json!(["name"]));
}

#[test]
fn with_advanced_sync_off_a_snapshot_of_those_kinds_reads_and_removes_nothing() {
    let w = world();
    set("sync_advanced_platform_objects", "true");
    w.start();
    let skills = vec![json!({"id": "Billing"}), json!({"id": "French"})];
    full_sync_kinds(&[(Skill, skills.clone())]);
    assert_eq!(w.emu.dump("skills").as_array().unwrap().len(), 2);
    set("sync_advanced_platform_objects", "false");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    w.emu.clear_requests();
    // Billing gone from CIC, a new workgroup: nothing happens while the option is off.
    full_sync_kinds(&[
        (Skill, skills[1..].to_vec()),
        (Workgroup, vec![json!({"id": "Sales"})]),
    ]);
    let routes: Vec<String> = w.emu.requests().iter().map(|r| r.route.clone()).collect();
    assert!(routes.iter().all(|r| r == "/oauth/token"), "{routes:?}");
    assert_eq!(w.emu.dump("skills").as_array().unwrap().len(), 2);
    assert!(logs()
        .iter()
        .any(|l| l.contains("the snapshot's skill part is skipped")));
    let (head, items) = plan();
    assert!(
        items.is_empty() && head["counts"]["skill"].is_null(),
        "{head}"
    );
}

#[test]
fn an_object_released_from_a_wait_during_a_run_still_gets_the_snapshots_version() {
    let w = world();
    set("sync_advanced_platform_objects", "true");
    w.start();
    full_sync_kinds(&[(User, users(0..2))]);
    // Sales waits for user "late", unknown so far.
    let sales = json!({"id": "Sales", "members": ["late"]}).to_string();
    assert_eq!(object_changed(Workgroup, &sales), GcsyncResult::Ok);
    settle();
    assert!(status_of(Workgroup, "Sales")["reason"]
        .as_str()
        .is_some_and(|r| r.contains("late")));
    // The snapshot brings "late" and a Sales with one more member: creating "late" releases
    // the old Sales from its wait during the run; that is no newer change from CIC.
    let mut all = users(0..2);
    all.push(json!({"id": "late", "business_email": "late@example.com"}));
    full_sync_kinds(&[
        (User, all),
        (
            Workgroup,
            vec![json!({"id": "Sales", "members": ["late", "u0"]})],
        ),
    ]);
    let q = common::routing::queue(&w.emu, "Sales");
    let want: std::collections::BTreeSet<String> = ["late", "u0"]
        .iter()
        .map(|u| status(u)["genesys_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(common::routing::member_ids(&q, "user"), want);
    assert_eq!(status_of(Workgroup, "Sales")["state"], "Synced");
}

#[test]
fn a_fresh_data_directory_re_links_queues_skills_and_codes_by_name_without_a_write() {
    let w = world();
    set("sync_advanced_platform_objects", "true");
    w.start();
    let ids = |r: std::ops::Range<usize>| r.map(|i| format!("u{i}")).collect::<Vec<_>>();
    let mut all = users(0..12);
    all[0]["skills"] = json!([{"id": "Billing", "proficiency": 50}]);
    let parts = vec![
        (User, all),
        (WrapupCode, vec![json!({"id": "W1", "name": "Sold"})]),
        (
            Skill,
            vec![
                json!({"id": "Billing"}),
                json!({"id": "French", "treat_as_language": true}),
            ],
        ),
        (
            Workgroup,
            vec![
                json!({"id": "Sales", "members": ids(0..6), "wrapup_codes": ["W1"]}),
                json!({"id": "Support", "members": ids(6..12)}),
            ],
        ),
    ];
    full_sync_kinds(&parts);
    let linked = |kind, id: &str| status_of(kind, id)["genesys_id"].as_str().map(String::from);
    let before: Vec<_> = [
        (Workgroup, "Sales"),
        (Workgroup, "Support"),
        (Skill, "Billing"),
        (Skill, "French"),
        (WrapupCode, "W1"),
    ]
    .into_iter()
    .map(|(k, id)| (k, id, linked(k, id).unwrap()))
    .collect();
    // The data directory is lost.
    assert_eq!(gcsync::ffi::gcsync_shutdown(10_000), GcsyncResult::Ok);
    let fresh = tempfile::tempdir().unwrap();
    set("data_dir", fresh.path().to_str().unwrap());
    w.start();
    w.emu.clear_requests();
    full_sync_kinds(&parts);
    assert!(writes(&w.emu).is_empty(), "{:?}", writes(&w.emu));
    for (k, id, gid) in &before {
        assert_eq!(linked(*k, id).as_deref(), Some(gid.as_str()), "{k:?} {id}");
        assert_eq!(status_of(*k, id)["state"], "Synced", "{k:?} {id}");
    }
    let (head, _) = plan();
    assert_eq!(head["counts"]["workgroup"]["link"], 2, "{head}");
    assert_eq!(head["counts"]["skill"]["link"], 2, "{head}");
    assert_eq!(head["counts"]["wrapup_code"]["link"], 1, "{head}");
    // The next run on the new directory: the floor's reads only.
    w.emu.clear_requests();
    full_sync_kinds(&parts);
    let (reads, writes_n, _) = counts(&w.emu);
    assert_eq!((reads, writes_n), (floor(&w, &["Sales", "Support"]), 0));
}
