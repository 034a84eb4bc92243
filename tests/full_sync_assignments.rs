//! Users' skills and languages in Force Complete Sync (issue 10): read with the users'
//! `expand=skills,languages` on the same paged read, compared with each user's effective
//! assignments, drift put back with the fewest bulk writes, and the dedicated endpoints read
//! only for users whose expansion is missing. Calls counted from the emulator's request log.

mod common;
mod fullsync_support;

use common::skills::{held, skill};
use common::*;
use fullsync_support::*;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};

const N: usize = 620;

/// A world with advanced sync on, skills S1 and S2 and language L1 synced, and `n` users holding
/// S1 (50 → 3 stars), S2 (90 → 5) and L1 (30 → 2), all synced through the hooks.
fn populated(n: usize) -> (FsWorld, Vec<Value>) {
    let w = world();
    set("sync_advanced_platform_objects", "true");
    w.start();
    skill("S1", false);
    skill("S2", false);
    skill("L1", true);
    wait_idle();
    let all: Vec<Value> = (0..n)
        .map(|i| {
            let mut u = user(i);
            u["skills"] = json!([{"id": "S1", "proficiency": 50}, {"id": "S2", "proficiency": 90},
                                 {"id": "L1", "proficiency": 30}]);
            u
        })
        .collect();
    for u in &all {
        assert_eq!(user_changed(&u.to_string()), GcsyncResult::Ok);
    }
    assert_eq!(gcsync::ffi::gcsync_wait_settled(120_000), GcsyncResult::Ok);
    (w, all)
}

fn skill_gid(id: &str) -> String {
    common::skills::gid(id)
}

fn routing_calls(w: &FsWorld) -> Vec<String> {
    w.emu
        .requests()
        .into_iter()
        .filter(|r| r.route.contains("routingskills") || r.route.contains("routinglanguages"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_no_op_full_sync_of_users_with_skills_makes_only_the_paged_reads() {
    let (w, all) = populated(N);
    w.emu.clear_requests();
    full_sync(&all);
    // ⌈620/500⌉ pages (skills and languages expanded on them), nothing else (the workers'
    // client and its token serve the run).
    let log: Vec<String> = w
        .emu
        .requests()
        .iter()
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert_eq!(log.len(), N.div_ceil(500), "{log:#?}");
    let pages = log.iter().filter(|l| !l.contains("/oauth/token"));
    assert!(
        pages.clone().all(|l| l.starts_with("GET /api/v2/users?")
            && l.contains("expand=skills")
            && l.contains("expand=languages")),
        "{log:#?}"
    );
    assert_eq!(pages.count(), N.div_ceil(500));
}

#[test]
fn a_skill_removed_in_the_org_and_a_wrong_proficiency_are_put_back_with_one_bulk_call_each() {
    let (w, all) = populated(3);
    let (s1, s2, l1) = (skill_gid("S1"), skill_gid("S2"), skill_gid("L1"));
    let (u0, u1, u2) = (gid("u0"), gid("u1"), gid("u2"));
    w.emu
        .drift(json!({"op": "remove_skill", "userId": u0, "id": s2}));
    w.emu
        .drift(json!({"op": "set_skill", "userId": u1, "id": s1, "proficiency": 1.0}));
    w.emu
        .drift(json!({"op": "set_language", "userId": u2, "id": l1, "proficiency": 5.0}));
    // Someone else's assignment is left alone.
    let other = w.emu.seed("skills", json!({"name": "Other"}));
    w.emu
        .drift(json!({"op": "set_skill", "userId": u2, "id": other, "proficiency": 4.0}));
    w.emu.clear_requests();
    full_sync(&all);
    let mut fixes = routing_calls(&w);
    fixes.sort();
    let mut expected = vec![
        format!("PATCH /api/v2/users/{u0}/routingskills/bulk"),
        format!("PATCH /api/v2/users/{u1}/routingskills/bulk"),
        format!("PATCH /api/v2/users/{u2}/routinglanguages/bulk"),
    ];
    expected.sort();
    assert_eq!(fixes, expected);
    assert_eq!(writes(&w.emu).len(), 3, "{:?}", writes(&w.emu));
    for u in ["u0", "u1"] {
        let (skills, languages) = held(&w, u);
        assert_eq!(skills, json!({&s1: 3.0, &s2: 5.0}), "{u}");
        assert_eq!(languages, json!({&l1: 2.0}), "{u}");
    }
    let (skills, languages) = held(&w, "u2");
    assert_eq!(skills, json!({&s1: 3.0, &s2: 5.0, &other: 4.0}));
    assert_eq!(languages, json!({&l1: 2.0}));
    // Fixed: the next run only reads.
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(counts(&w.emu), (1, 0, 0));
}

#[test]
fn only_users_whose_expansion_is_missing_are_read_from_their_own_endpoints() {
    let (w, all) = populated(6);
    let (u1, u4) = (gid("u1"), gid("u4"));
    w.emu.omit_expand(&u1, &["skills"]);
    w.emu.omit_expand(&u4, &["skills", "languages"]);
    let s2 = skill_gid("S2");
    w.emu
        .drift(json!({"op": "remove_skill", "userId": u4, "id": s2}));
    w.emu.clear_requests();
    full_sync(&all);
    let mut reads: Vec<String> = routing_calls(&w)
        .into_iter()
        .filter(|c| c.starts_with("GET"))
        .map(|c| c.split('?').next().unwrap().to_string())
        .collect();
    reads.sort();
    let mut expected = vec![
        format!("GET /api/v2/users/{u1}/routingskills"),
        format!("GET /api/v2/users/{u4}/routinglanguages"),
        format!("GET /api/v2/users/{u4}/routingskills"),
    ];
    expected.sort();
    assert_eq!(reads, expected);
    // u4's drift, seen through the fallback, is put back.
    assert_eq!(
        writes(&w.emu),
        vec!["PATCH /api/v2/users/{userId}/routingskills/bulk"]
    );
    assert_eq!(held(&w, "u4").0[&s2], 5.0);
}

#[test]
fn an_empty_expansion_is_trusted_unless_the_setting_says_otherwise() {
    let (w, all) = populated(2);
    // u0 holds nothing of L1 in the org, and the expansion says so with an empty list.
    let (u0, l1) = (gid("u0"), skill_gid("L1"));
    w.emu
        .drift(json!({"op": "remove_language", "userId": u0, "id": l1}));
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(
        writes(&w.emu),
        vec!["PATCH /api/v2/users/{userId}/routinglanguages/bulk"]
    );
    assert_eq!(
        w.emu
            .call_count("GET", "/api/v2/users/{userId}/routinglanguages"),
        0
    );
    // With the setting on, an empty list is read again from the endpoint first.
    set("full_sync_expand_empty_is_missing", "true");
    assert_eq!(gcsync::ffi::gcsync_on_settings_changed(), GcsyncResult::Ok);
    w.emu
        .drift(json!({"op": "remove_language", "userId": u0, "id": l1}));
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(
        w.emu
            .call_count("GET", "/api/v2/users/{userId}/routinglanguages"),
        1
    );
    assert_eq!(
        writes(&w.emu),
        vec!["PATCH /api/v2/users/{userId}/routinglanguages/bulk"]
    );
}

#[test]
fn after_a_lost_data_directory_the_assignments_found_in_place_are_gcsyncs_again() {
    let (w, all) = populated(2);
    let s2 = skill_gid("S2");
    assert_eq!(gcsync::ffi::gcsync_shutdown(10_000), GcsyncResult::Ok);
    let fresh = tempfile::tempdir().unwrap();
    set("data_dir", fresh.path().to_str().unwrap());
    w.start();
    // The host sends its skills again (adopted by name), then a snapshot of its users.
    skill("S1", false);
    skill("S2", false);
    skill("L1", true);
    wait_idle();
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(writes(&w.emu), Vec::<String>::new(), "all in place");
    // S2 is taken off u0 in CIC: gcsync knows it made that assignment and removes it.
    let mut u0 = all[0].clone();
    u0["skills"] = json!([{"id": "S1", "proficiency": 50}, {"id": "L1", "proficiency": 30}]);
    assert_eq!(user_changed(&u0.to_string()), GcsyncResult::Ok);
    wait_idle();
    assert!(held(&w, "u0").0.get(&s2).is_none(), "{:?}", held(&w, "u0"));
    drop(fresh);
}

#[test]
fn users_a_full_sync_creates_get_their_skills_without_a_read_first() {
    let w = world();
    set("sync_advanced_platform_objects", "true");
    w.start();
    skill("S1", false);
    skill("L1", true);
    wait_idle();
    let all: Vec<Value> = (0..5)
        .map(|i| {
            let mut u = user(i);
            u["skills"] = json!([{"id": "S1", "proficiency": 50}, {"id": "L1", "proficiency": 30}]);
            u
        })
        .collect();
    w.emu.clear_requests();
    full_sync(&all);
    let calls = routing_calls(&w);
    assert!(calls.iter().all(|c| !c.starts_with("GET")), "{calls:#?}");
    assert_eq!(
        calls.len(),
        10,
        "one bulk call per user and category: {calls:#?}"
    );
    let (s1, l1) = (skill_gid("S1"), skill_gid("L1"));
    for i in 0..5 {
        assert_eq!(
            held(&w, &format!("u{i}")),
            (json!({&s1: 3.0}), json!({&l1: 2.0}))
        );
    }
}

#[test]
fn a_user_drifted_in_its_fields_and_its_skills_costs_the_page_and_two_writes() {
    let (w, all) = populated(3);
    let (s2, u0) = (skill_gid("S2"), gid("u0"));
    w.emu.drift_user_name(&u0, "Someone Else");
    w.emu
        .drift(json!({"op": "remove_skill", "userId": u0, "id": s2}));
    w.emu.clear_requests();
    full_sync(&all);
    let mut got = writes(&w.emu);
    got.sort();
    assert_eq!(
        got,
        vec![
            "PATCH /api/v2/users/{userId}".to_string(),
            "PATCH /api/v2/users/{userId}/routingskills/bulk".to_string(),
        ]
    );
    // No read beyond the org's page: neither the user nor its assignments are read again.
    assert_eq!(counts(&w.emu), (1, 2, 0), "(reads, writes, tokens)");
    assert_eq!(w.emu.user(&u0).unwrap()["name"], "User 0");
    assert_eq!(held(&w, "u0").0[&s2], 5.0);
    assert_eq!(status("u0")["state"], "Synced");
    // Fixed: the next run only reads.
    w.emu.clear_requests();
    full_sync(&all);
    assert_eq!(counts(&w.emu), (1, 0, 0));
}
