//! Initial-sync call counts of skills and assignments against the floor the bulk limits allow,
//! from the emulator's request log.

mod common;

use common::skills::*;
use common::*;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};

/// A world with advanced sync on whose budget is out of the way (the counts are under test),
/// not started yet.
fn unthrottled_world() -> World {
    let w = World::with_emulator(gc_emulator::EmulatorConfig {
        rate_limit_per_minute: 1_000_000,
        ..emulator_config()
    });
    set("sync_advanced_platform_objects", "true");
    set("requests_per_minute", "100000");
    w
}

/// Initial sync of 40 skills (4 of them languages) and 100 users holding 3 skills and 1
/// language each, sent in one burst (`users_between`: the users between the first and the
/// second half of the skills, so they meet skills still on their way): the routing calls, and the floor the API allows,
/// `creates + Σ users (⌈skills/50⌉ + ⌈languages/50⌉)` (there is no bulk create for skills or
/// languages).
fn initial_sync(users_between: bool) -> (usize, usize) {
    let w = unthrottled_world();
    w.start();
    // One burst whatever the machine's load: the first token waits until every hook was
    // accepted. Otherwise a user could be synced before the hook of one of its skills came (a
    // skill CIC has not sent is unknown, so it does not hold the assignments back: README
    // "Skills and languages"), written once without it and again when it came: over the floor.
    let token = w.emu.hold("POST", "/oauth/token", false);
    let (n_skills, n_users) = (40, 100);
    let is_language = |i: usize| i.is_multiple_of(10);
    let skills = |range: std::ops::Range<usize>| {
        for i in range {
            skill(&format!("K{i:02}"), is_language(i));
        }
    };
    if users_between {
        skills(0..n_skills / 2);
    } else {
        skills(0..n_skills);
    }
    for u in 0..n_users {
        let pick = |k: usize| format!("K{:02}", (u * 7 + k * 3) % n_skills);
        let mut refs: Vec<Value> = Vec::new();
        let (mut s, mut l) = (0, 0);
        for k in 0.. {
            let id = pick(k);
            let lang = is_language(id[1..].parse().unwrap());
            if refs.iter().any(|r| r["id"] == id) || (lang && l == 1) || (!lang && s == 3) {
                continue;
            }
            if lang {
                l += 1
            } else {
                s += 1
            }
            refs.push(json!({"id": id, "proficiency": 10 + (k * 20) % 90}));
            if s == 3 && l == 1 {
                break;
            }
        }
        user(&format!("u{u:03}"), Value::Array(refs));
    }
    if users_between {
        skills(n_skills / 2..n_skills);
    }
    w.emu.release(token);
    wait_idle();
    for u in 0..n_users {
        let (s, l) = held(&w, &format!("u{u:03}"));
        let n = (s.as_object().unwrap().len(), l.as_object().unwrap().len());
        assert_eq!(n, (3, 1), "u{u:03}");
        assert_eq!(status(&format!("u{u:03}"))["warnings"], json!([]));
    }
    let measured = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.route.contains("/routing"))
        .count();
    let floor = n_skills + n_users * 2;
    println!(
        "skills initial sync ({}): {measured} routing calls for {n_skills} skills and {n_users} \
         users; floor {floor}; ratio {:.3}",
        if users_between {
            "users between"
        } else {
            "skills first"
        },
        measured as f64 / floor as f64
    );
    (measured, floor)
}

#[test]
fn an_initial_sync_of_skills_and_assignments_stays_within_5_percent_of_the_floor() {
    let (measured, floor) = initial_sync(false);
    assert!(
        measured as f64 <= 1.05 * floor as f64,
        "{measured} > 1.05 × {floor}"
    );
}

#[test]
fn users_sent_amid_their_skills_still_cost_one_write_per_category() {
    let (measured, floor) = initial_sync(true);
    assert!(
        measured as f64 <= 1.05 * floor as f64,
        "{measured} > 1.05 × {floor}"
    );
}

/// A user the worker takes just before its new workgroup is processed (one worker; every call
/// takes 100 ms, so the workgroup's hook is accepted while the user is created) gets its direct
/// and inherited skills in one write per category, not its direct ones first and the inherited
/// ones again when the workgroup's turn comes.
#[test]
fn a_user_synced_before_its_new_workgroup_gets_inherited_skills_in_the_same_write() {
    let w = unthrottled_world();
    set("max_concurrent_requests", "1");
    w.start();
    skill("Billing", false);
    skill("Direct", false);
    skill("French", true);
    wait_idle();
    w.emu.set_faults(gc_emulator::Faults {
        latency_ms: 100,
        ..gc_emulator::Faults::default()
    });
    w.emu.clear_requests();
    user("ann", json!([{"id": "Direct", "proficiency": 50}]));
    let sales = json!({"id": "Sales", "members": ["ann"],
        "skills": [{"id": "Billing", "proficiency": 90}, {"id": "French", "proficiency": 30}]});
    let wg = gcsync::object::GcsyncObjectKind::Workgroup;
    assert_eq!(object_changed(wg, &sales.to_string()), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(
        held(&w, "ann"),
        (
            json!({gid("Billing"): 5.0, gid("Direct"): 3.0}),
            json!({gid("French"): 2.0})
        )
    );
    let calls = |route: &str| w.emu.call_count("PATCH", route);
    assert_eq!(calls("/api/v2/users/{userId}/routingskills/bulk"), 1);
    assert_eq!(calls("/api/v2/users/{userId}/routinglanguages/bulk"), 1);
}

/// A Force Complete Sync into an empty org creates every user as a forced check; a user it has
/// just created holds no skills or languages, so none is read before they are written.
#[test]
fn users_a_full_sync_creates_get_their_skills_without_a_read() {
    use gcsync::ffi::*;
    let w = unthrottled_world();
    w.start();
    skill("Billing", false);
    skill("French", true);
    wait_idle();
    w.emu.clear_requests();
    let users: Vec<Value> = (0..20)
        .map(|i| {
            json!({"id": format!("fs{i:02}"), "business_email": format!("fs{i:02}@example.com"),
                   "skills": [{"id": "Billing", "proficiency": 50}, {"id": "French", "proficiency": 90}]})
        })
        .collect();
    let chunk = Value::Array(users).to_string();
    let mut id = 0u64;
    unsafe {
        assert_eq!(gcsync_force_sync_begin(0, &mut id), GcsyncResult::Ok);
        let kind = gcsync::object::GcsyncObjectKind::User as u32;
        let r = gcsync_force_sync_add(kind, chunk.as_ptr().cast(), chunk.len());
        assert_eq!(r, GcsyncResult::Ok);
    }
    assert_eq!(gcsync_force_sync_commit(0), GcsyncResult::Ok);
    assert_eq!(gcsync_force_sync_wait(60_000), GcsyncResult::Ok);
    wait_idle();
    for i in 0..20 {
        let u = format!("fs{i:02}");
        assert_eq!(
            held(&w, &u),
            (json!({gid("Billing"): 3.0}), json!({gid("French"): 5.0})),
            "{u}"
        );
    }
    let calls = |m: &str, route: &str| w.emu.call_count(m, route);
    assert_eq!(calls("GET", "/api/v2/users/{userId}/routingskills"), 0);
    assert_eq!(calls("GET", "/api/v2/users/{userId}/routinglanguages"), 0);
    assert_eq!(
        calls("PATCH", "/api/v2/users/{userId}/routingskills/bulk"),
        20
    );
    assert_eq!(
        calls("PATCH", "/api/v2/users/{userId}/routinglanguages/bulk"),
        20
    );
}
