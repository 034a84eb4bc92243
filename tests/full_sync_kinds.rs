//! Force Complete Sync of every configuration kind (issue 10): workgroups → queues with members
//! and wrap-up codes, skills → skills or languages, wrap-up codes, through the C API against the
//! emulator. Call counts come from the request log.

mod common;
mod fullsync_support;

use common::routing::{member_ids, queue, MEMBERS, QUEUE_CODES};
use common::*;
use fullsync_support::*;
use gcsync::object::GcsyncObjectKind::{self, Skill, User, Workgroup, WrapupCode};
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};

/// The test org: 130 users (u0 holds Billing and French, u1 Tier2), workgroups Sales (u0-u4;
/// W1, W2), Support (u5-u9; W2, W3) and Big (u10-u129: two member pages), skills Billing and
/// Tier2 and the language French, wrap-up codes W1 Sold, W2 Lost, W3 Callback.
struct Org {
    users: Vec<Value>,
    workgroups: Vec<Value>,
    skills: Vec<Value>,
    codes: Vec<Value>,
}

fn org() -> Org {
    let mut users = users(0..130);
    users[0]["skills"] =
        json!([{"id": "Billing", "proficiency": 50}, {"id": "French", "proficiency": 90}]);
    users[1]["skills"] = json!([{"id": "Tier2", "proficiency": 70}]);
    let ids = |r: std::ops::Range<usize>| r.map(|i| format!("u{i}")).collect::<Vec<_>>();
    Org {
        users,
        workgroups: vec![
            json!({"id": "Sales", "members": ids(0..5), "wrapup_codes": ["W1", "W2"]}),
            json!({"id": "Support", "members": ids(5..10), "wrapup_codes": ["W2", "W3"]}),
            json!({"id": "Big", "members": ids(10..130)}),
        ],
        skills: vec![
            json!({"id": "Billing"}),
            json!({"id": "Tier2"}),
            json!({"id": "French", "treat_as_language": true}),
        ],
        codes: vec![
            json!({"id": "W1", "name": "Sold"}),
            json!({"id": "W2", "name": "Lost"}),
            json!({"id": "W3", "name": "Callback", "category": "ignored"}),
        ],
    }
}

impl Org {
    fn parts(&self) -> Vec<(GcsyncObjectKind, Vec<Value>)> {
        vec![
            (User, self.users.clone()),
            (WrapupCode, self.codes.clone()),
            (Skill, self.skills.clone()),
            (Workgroup, self.workgroups.clone()),
        ]
    }
}

/// A world with advanced sync on, populated by a first full sync of `o`.
fn populated(o: &Org) -> FsWorld {
    let w = world();
    set("sync_advanced_platform_objects", "true");
    w.start();
    full_sync_kinds(&o.parts());
    for (kind, id) in [
        (Workgroup, "Sales"),
        (Workgroup, "Big"),
        (Skill, "French"),
        (WrapupCode, "W3"),
    ] {
        let s = status_of(kind, id);
        assert_eq!(s["state"], "Synced", "{kind:?} {id}: {s}");
    }
    w
}

fn gid_of(kind: GcsyncObjectKind, id: &str) -> String {
    let s = status_of(kind, id);
    s["genesys_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{kind:?} {id} not linked: {s}"))
        .to_string()
}

fn sorted_writes(w: &World) -> Vec<String> {
    let mut v = writes(&w.emu);
    v.sort();
    v
}

#[test]
fn a_no_op_full_sync_of_every_kind_makes_only_the_floor_reads() {
    let o = org();
    let w = populated(&o);
    w.emu.clear_requests();
    full_sync_kinds(&o.parts());
    let (reads, writes_n, tokens) = counts(&w.emu);
    let floor = floor(&w, &["Sales", "Support", "Big"]);
    // 130 users, 3 queues (5 + 5 + 120 members, 2 + 2 + 0 codes), 2 skills, 1 language, 3 codes:
    // 1 + 1 + (1 + 1 + 2) + (1 + 1) + 1 + 1 + 1.
    assert_eq!(floor, 11);
    let routes: Vec<String> = w.emu.requests().iter().map(|r| r.route.clone()).collect();
    assert_eq!((reads, writes_n, tokens), (floor, 0, 0), "{routes:?}");
    assert_eq!(w.emu.call_count("GET", MEMBERS), 4);
    let (head, items) = plan();
    assert!(items.is_empty(), "{items:?}");
    for kind in ["user", "workgroup", "skill", "wrapup_code"] {
        assert_eq!(head["counts"][kind], json!({}), "{head}");
    }
}

#[test]
fn drift_of_each_kind_is_repaired_with_the_minimum_writes() {
    let o = org();
    let w = populated(&o);
    let sales = gid_of(Workgroup, "Sales");
    let support = gid_of(Workgroup, "Support");
    w.emu
        .drift(json!({"op": "remove_member", "queueId": sales, "userId": gid("u1")}));
    let w2 = gid_of(WrapupCode, "W2");
    w.emu
        .drift(json!({"op": "remove_queue_wrapup", "queueId": support, "codeId": w2}));
    let w3 = gid_of(WrapupCode, "W3");
    w.emu
        .drift(json!({"op": "rename", "kind": "wrapupcode", "id": w3, "name": "Renamed"}));
    // Someone else's member on a gcsync queue is not drift.
    w.emu
        .drift(json!({"op": "add_member", "queueId": support, "userId": gid("u20")}));
    w.emu.clear_requests();
    full_sync_kinds(&o.parts());
    assert_eq!(
        sorted_writes(&w),
        vec![
            format!("POST {MEMBERS}"),
            format!("POST {QUEUE_CODES}"),
            "PUT /api/v2/routing/wrapupcodes/{codeId}".to_string(),
        ]
    );
    // Reads: the floor, plus the re-read of the drifted part of each drifted queue only.
    let (reads, _, _) = counts(&w.emu);
    assert_eq!(reads, floor(&w, &["Sales", "Support", "Big"]) + 2);
    assert!(member_ids(&queue(&w.emu, "Sales"), "user").contains(&gid("u1")));
    assert!(member_ids(&queue(&w.emu, "Support"), "user").contains(&gid("u20")));
    let q = queue(&w.emu, "Support");
    assert!(q["wrapupCodes"].as_array().unwrap().contains(&json!(w2)));
    assert!(common::routing::codes_named(&w.emu, "Callback").len() == 1);
    let (head, items) = plan();
    assert_eq!(head["counts"]["workgroup"]["update"], 2, "{head}");
    assert_eq!(head["counts"]["wrapup_code"]["update"], 1, "{head}");
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["workgroup", "workgroup", "wrapup_code"]);
    // Progress covered every kind's operations.
    let fs = &overview()["full_sync"];
    assert_eq!(
        (fs["done"].as_u64(), fs["total"].as_u64()),
        (Some(3), Some(3)),
        "{fs}"
    );
    // Repaired: the next run is a no-op again.
    w.emu.clear_requests();
    full_sync_kinds(&o.parts());
    assert!(writes(&w.emu).is_empty(), "{:?}", writes(&w.emu));
}

#[test]
fn owned_objects_deleted_in_the_org_are_created_again_with_their_parts() {
    let o = org();
    let w = populated(&o);
    let (sales, billing, w1) = (
        gid_of(Workgroup, "Sales"),
        gid_of(Skill, "Billing"),
        gid_of(WrapupCode, "W1"),
    );
    w.emu
        .drift(json!({"op": "delete", "kind": "queue", "id": sales}));
    w.emu
        .drift(json!({"op": "delete", "kind": "skill", "id": billing}));
    w.emu
        .drift(json!({"op": "delete", "kind": "wrapupcode", "id": w1}));
    w.emu.clear_requests();
    full_sync_kinds(&o.parts());
    let (new_sales, new_billing, new_w1) = (
        gid_of(Workgroup, "Sales"),
        gid_of(Skill, "Billing"),
        gid_of(WrapupCode, "W1"),
    );
    assert!(new_sales != sales && new_billing != billing && new_w1 != w1);
    let q = queue(&w.emu, "Sales");
    assert_eq!(q["id"], json!(new_sales));
    let want: std::collections::BTreeSet<String> = (0..5).map(|i| gid(&format!("u{i}"))).collect();
    assert_eq!(member_ids(&q, "user"), want);
    let mut codes: Vec<String> = q["wrapupCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    codes.sort();
    let mut want_codes = vec![new_w1.clone(), gid_of(WrapupCode, "W2")];
    want_codes.sort();
    assert_eq!(codes, want_codes);
    // Support held the old W1? No: only Sales did. u0 holds the new Billing with its stars.
    let a = w.emu.dump("assignments");
    assert_eq!(a[gid("u0")]["skills"][&new_billing], json!(3.0), "{a}");
    let (head, _) = plan();
    assert_eq!(head["counts"]["workgroup"]["restore"], 1, "{head}");
    assert_eq!(head["counts"]["skill"]["restore"], 1, "{head}");
    assert_eq!(head["counts"]["wrapup_code"]["restore"], 1, "{head}");
    // One create each, the members and both codes in one call each; u0 gets the new Billing
    // and loses its assignment to the deleted one (the org keeps it with `state: deleted`).
    assert_eq!(
        sorted_writes(&w),
        vec![
            "PATCH /api/v2/users/{userId}/routingskills/bulk".to_string(),
            "POST /api/v2/routing/queues".to_string(),
            format!("POST {MEMBERS}"),
            format!("POST {QUEUE_CODES}"),
            "POST /api/v2/routing/skills".to_string(),
            "POST /api/v2/routing/wrapupcodes".to_string(),
            // u0's skills read (the restore is a forced check) and replaced in one call, the
            // stale assignment to the deleted Billing going with it (cheaper than a DELETE and
            // a PATCH: `assignments::plan_skills`).
            "PUT /api/v2/users/{userId}/routingskills/bulk".to_string(),
        ]
    );
    assert!(
        a[gid("u0")]["skills"].as_object().unwrap().len() == 1,
        "only the new Billing: {a}"
    );
    for (kind, id) in [(Workgroup, "Sales"), (Skill, "Billing"), (WrapupCode, "W1")] {
        assert_eq!(status_of(kind, id)["state"], "Synced");
    }
}

#[test]
fn a_skill_toggled_to_a_language_in_the_snapshot_is_moved_with_its_assignments() {
    let mut o = org();
    let w = populated(&o);
    let tier2 = gid_of(Skill, "Tier2");
    o.skills[1]["treat_as_language"] = json!(true);
    w.emu.clear_requests();
    full_sync_kinds(&o.parts());
    let (head, items) = plan();
    assert_eq!(head["counts"]["skill"]["update"], 1, "{head}");
    assert_eq!(items[0]["detail"], json!(["treat_as_language"]));
    let lang = gid_of(Skill, "Tier2");
    assert_ne!(lang, tier2);
    let langs = w.emu.dump("languages");
    assert!(langs
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["id"] == json!(lang)));
    let a = w.emu.dump("assignments");
    assert_eq!(a[gid("u1")]["languages"][&lang], json!(4.0), "{a}");
    // The move: u1's assignment and the skill go, the language comes, u1 gets it.
    assert_eq!(
        sorted_writes(&w),
        vec![
            "DELETE /api/v2/routing/skills/{skillId}".to_string(),
            "DELETE /api/v2/users/{userId}/routingskills/{skillId}".to_string(),
            "PATCH /api/v2/users/{userId}/routinglanguages/bulk".to_string(),
            "POST /api/v2/routing/languages".to_string(),
        ]
    );
}

#[test]
fn unowned_look_alikes_are_untouched_and_an_exact_twin_in_the_snapshot_is_adopted() {
    let o = org();
    let w = world();
    set("sync_advanced_platform_objects", "true");
    // Before gcsync: a queue named as a workgroup (adopted), and strays it never touches.
    let twin = w.emu.seed("queues", json!({"name": "Support"}));
    let strays = [
        (
            "queues",
            w.emu.seed("queues", json!({"name": "Stray queue"})),
        ),
        (
            "skills",
            w.emu.seed("skills", json!({"name": "Stray skill"})),
        ),
        (
            "wrapupcodes",
            w.emu.seed("wrapupcodes", json!({"name": "Stray code"})),
        ),
    ];
    w.start();
    full_sync_kinds(&o.parts());
    assert_eq!(gid_of(Workgroup, "Support"), twin, "adopted, not created");
    assert_eq!(w.emu.call_count("POST", "/api/v2/routing/queues"), 2);
    // Everything removed from CIC: owned objects go, strays stay, and nothing calls them.
    set("deletion_guard", "off");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    w.emu.clear_requests();
    full_sync_kinds(&[
        (Workgroup, vec![o.workgroups[2].clone()]),
        (Skill, vec![o.skills[2].clone()]),
        (WrapupCode, vec![o.codes[0].clone()]),
    ]);
    for (kind, id) in &strays {
        let all = w.emu.dump(kind);
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == json!(id) && x["state"] != "deleted"),
            "{kind} {id} untouched"
        );
        assert!(w
            .emu
            .requests()
            .iter()
            .all(|r| !r.path.contains(id.as_str())));
    }
    // The adopted queue is owned now: removed with its workgroup, like the created one.
    let names: Vec<String> = w
        .emu
        .dump("queues")
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"Big".to_string()) && !names.contains(&"Sales".to_string()));
    assert!(!names.contains(&"Support".to_string()), "{names:?}");
}

use gcsync::ffi::{
    gcsync_force_sync_release_held, gcsync_on_settings_changed, gcsync_wait_settled,
    GCSYNC_FORCE_SYNC_DRY_RUN,
};

#[test]
fn owned_objects_missing_from_the_snapshot_are_removed_uses_first_and_the_guard_holds_a_mass_deletion(
) {
    let o = org();
    let w = populated(&o);
    let (tier2, w3) = (gid_of(Skill, "Tier2"), gid_of(WrapupCode, "W3"));
    // Tier2 is in use (u1), W3 is on Support's queue: one of 3 skills and codes is 33 % > 20 %.
    let mut next = o.parts();
    next[1].1.remove(2);
    next[2].1.remove(1);
    w.emu.clear_requests();
    full_sync_kinds(&next);
    assert!(writes(&w.emu).is_empty(), "held: {:?}", writes(&w.emu));
    let held = &overview()["full_sync"]["held"];
    assert_eq!(held["skill"]["ids"], json!(["Tier2"]), "{held}");
    assert_eq!(held["wrapup_code"]["ids"], json!(["W3"]), "{held}");
    assert!(
        held["user"].is_null() && held["workgroup"].is_null(),
        "{held}"
    );
    assert!(held["skill"]["reason"]
        .as_str()
        .unwrap()
        .contains("owned skill"));
    assert_eq!(gcsync_force_sync_release_held(), GcsyncResult::Ok);
    assert_eq!(gcsync_wait_settled(60_000), GcsyncResult::Ok);
    assert!(overview()["full_sync"]["held"].is_null());
    // The uses went first: u1's assignment, Support's code; then the objects themselves.
    assert_eq!(
        sorted_writes(&w),
        vec![
            "DELETE /api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}".to_string(),
            "DELETE /api/v2/routing/skills/{skillId}".to_string(),
            "DELETE /api/v2/routing/wrapupcodes/{codeId}".to_string(),
            "DELETE /api/v2/users/{userId}/routingskills/{skillId}".to_string(),
        ]
    );
    let skills = w.emu.dump("skills");
    assert!(skills
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["id"] != json!(tier2) || s["state"] == "deleted"));
    assert!(w
        .emu
        .dump("wrapupcodes")
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != json!(w3)));
    assert_eq!(status_of(Skill, "Tier2")["removed"], true);
}

#[test]
fn a_dry_run_of_every_kind_applies_nothing_and_the_real_run_does_exactly_its_plan() {
    let o = org();
    let w = populated(&o);
    set("deletion_guard", "off");
    assert_eq!(gcsync_on_settings_changed(), GcsyncResult::Ok);
    w.emu.drift(
        json!({"op": "remove_member", "queueId": gid_of(Workgroup, "Big"), "userId": gid("u99")}),
    );
    w.emu
        .drift(json!({"op": "delete", "kind": "wrapupcode", "id": gid_of(WrapupCode, "W2")}));
    let mut next = o.parts();
    next[2]
        .1
        .push(json!({"id": "Spanish", "treat_as_language": true}));
    next[3].1.remove(0);
    w.emu.clear_requests();
    send_kinds(&next, 2, Some(GCSYNC_FORCE_SYNC_DRY_RUN));
    settle();
    assert!(writes(&w.emu).is_empty(), "{:?}", writes(&w.emu));
    let (head, dry) = plan();
    assert_eq!(head["dry_run"], true);
    let ops: Vec<(&str, &str, &str)> = dry
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap(),
                o["id"].as_str().unwrap(),
                o["op"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            ("workgroup", "Big", "update"),
            ("workgroup", "Sales", "remove"),
            ("workgroup", "Support", "update"),
            ("skill", "Spanish", "create"),
            ("wrapup_code", "W2", "restore"),
        ]
    );
    full_sync_kinds(&next);
    let (head, real) = plan();
    assert_eq!((head["dry_run"].as_bool(), &real), (Some(false), &dry));
    assert!(w
        .emu
        .dump("queues")
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["name"] != "Sales"));
    assert_eq!(status_of(Skill, "Spanish")["state"], "Synced");
    assert!(member_ids(&queue(&w.emu, "Big"), "user").contains(&gid("u99")));
}
