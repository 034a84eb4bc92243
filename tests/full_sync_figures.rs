//! Figures of a Force Complete Sync (issue 10's note), printed, never asserted on time: an initial
//! full sync of N users into an empty org and a no-op one, calls counted from the emulator's
//! request log. Run: `cargo nextest run --release -p gcsync --test full_sync_figures
//! --run-ignored only --no-capture` (N from GCSYNC_FULL_SYNC_USERS, default 10 000). The CI part
//! runs the same at 300 users and asserts the call counts (never the time).
//! `GCSYNC_FULL_SYNC_SKILLS=1`: every user holds two skills and a language (advanced sync on).

mod common;
mod fullsync_support;

use fullsync_support::*;
use std::collections::BTreeMap;
use std::time::Instant;

/// Calls per "METHOD route" in the request log.
fn by_route(emu: &gc_emulator::Emulator) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in emu.requests() {
        *m.entry(format!("{} {}", r.method, r.route)).or_default() += 1;
    }
    m
}

fn report(what: &str, emu: &gc_emulator::Emulator, started: Instant) -> BTreeMap<String, usize> {
    // `writes` counts every non-GET request, the user search (a POST) included.
    let (reads, writes_n, tokens) = counts(emu);
    let calls = reads + writes_n + tokens;
    let routes = by_route(emu);
    println!(
        "{what}: {calls} calls ({reads} reads, {writes_n} writes, {tokens} token) in {:.1} s \
         unthrottled; {:.1} min at 240/min; {routes:?}",
        started.elapsed().as_secs_f64(),
        calls as f64 / 240.0
    );
    routes
}

/// An initial full sync of `n` users into an empty org, then a no-op one: the calls of each.
/// With `skills`, advanced sync is on and every user holds two skills and a language.
fn initial_and_no_op(n: usize, skills: bool) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let w = world();
    common::set("log_level", "warn");
    if skills {
        common::set("sync_advanced_platform_objects", "true");
    }
    w.start();
    let mut all = users(0..n);
    if skills {
        for (id, language) in [("S1", false), ("S2", false), ("L1", true)] {
            common::skills::skill(id, language);
        }
        common::wait_idle();
        w.emu.clear_requests();
        for u in &mut all {
            u["skills"] = serde_json::json!([{"id": "S1", "proficiency": 50},
                {"id": "S2", "proficiency": 90}, {"id": "L1", "proficiency": 30}]);
        }
    }
    let what = if skills { " with skills" } else { "" };
    let t = Instant::now();
    send(&all, 500, Some(0));
    settle_within(3_600_000);
    let initial = report(&format!("initial full sync of {n} users{what}"), &w.emu, t);
    w.emu.clear_requests();
    let t = Instant::now();
    send(&all, 500, Some(0));
    settle_within(3_600_000);
    let no_op = report(&format!("no-op full sync of {n} users{what}"), &w.emu, t);
    (initial, no_op)
}

#[test]
#[ignore = "prints figures; run on demand"]
fn figures_of_an_initial_and_a_no_op_full_sync() {
    let n: usize = std::env::var("GCSYNC_FULL_SYNC_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let skills = std::env::var("GCSYNC_FULL_SYNC_SKILLS").is_ok_and(|v| v == "1");
    initial_and_no_op(n, skills);
}

#[test]
fn an_initial_full_sync_costs_a_create_and_an_external_id_per_user_and_a_no_op_one_a_page() {
    let n = 300;
    let (initial, no_op) = initial_and_no_op(n, false);
    let get = |m: &BTreeMap<String, usize>, k: &str| m.get(k).copied().unwrap_or(0);
    // The run's page (with the org empty, the run makes no lookup by external id), then the
    // worker: the org's users read once to match the backlog (active and inactive: 2 pages),
    // per user one create and one external id recorded; one token: the run and the workers
    // share one client.
    assert_eq!(get(&initial, "POST /api/v2/users"), n);
    assert_eq!(get(&initial, "POST /api/v2/users/{userId}/externalid"), n);
    assert_eq!(get(&initial, "GET /api/v2/users"), 3);
    assert_eq!(get(&initial, "POST /oauth/token"), 1);
    // A user the worker takes before the backlog reaches `org_index_threshold` (50) is
    // POSTed first, after a lookup by external id: at most a few.
    let lookups = get(
        &initial,
        "GET /api/v2/users/externalid/{authorityName}/{externalKey}",
    );
    assert!(lookups < 50, "{initial:?}");
    let total: usize = initial.values().sum();
    assert_eq!(total, 2 * n + 4 + lookups, "{initial:?}");
    // The no-op run: one page (⌈300/500⌉), nothing else (the shared client's token is good).
    let want = BTreeMap::from([("GET /api/v2/users".to_string(), 1)]);
    assert_eq!(no_op, want);
}
