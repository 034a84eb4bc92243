//! Figures of a Force Complete Sync of every configuration kind (issue 10), printed, never
//! asserted on time: an initial full sync of a reference-shaped org into an empty one, then a
//! no-op one against the paged-read floor (`fullsync_support::floor`). Run: `cargo nextest run
//! -p gcsync --test full_sync_kinds_figures --run-ignored only --no-capture`. Scale from
//! GCSYNC_FULL_SYNC_USERS (default 2 000): N users, N/20 workgroups of 40 members with 2 wrap-up
//! codes each, N/33 skills of which one in ten a language, N/50 wrap-up codes (at 10 000: 500
//! workgroups, 303 skills, 200 codes: issue 8's reference org).

mod common;
mod fullsync_support;

use fullsync_support::*;
use gcsync::object::GcsyncObjectKind::{Skill, User, Workgroup, WrapupCode};
use serde_json::json;
use std::time::Instant;

fn report(what: &str, emu: &gc_emulator::Emulator, started: Instant) -> usize {
    let (reads, writes_n, tokens) = counts(emu);
    let mut by_route = std::collections::BTreeMap::<String, usize>::new();
    for r in emu.requests() {
        *by_route
            .entry(format!("{} {}", r.method, r.route))
            .or_default() += 1;
    }
    println!(
        "{what}: {} calls ({reads} reads, {writes_n} writes, {tokens} token) in {:.1} s \
         unthrottled; {by_route:?}",
        reads + writes_n + tokens,
        started.elapsed().as_secs_f64()
    );
    reads
}

#[test]
#[ignore = "prints figures; run on demand"]
fn figures_of_an_initial_and_a_no_op_full_sync_of_every_kind() {
    let n: usize = std::env::var("GCSYNC_FULL_SYNC_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let (groups, skills, codes) = (n / 20, n / 33, n / 50);
    let w = world();
    common::set("log_level", "warn");
    common::set("sync_advanced_platform_objects", "true");
    w.start();
    let mut all = users(0..n);
    for (i, u) in all.iter_mut().enumerate() {
        u["skills"] = json!([{"id": format!("S{}", i % skills.max(1)), "proficiency": 60}]);
    }
    let wgs: Vec<_> = (0..groups)
        .map(|g| {
            let members: Vec<String> = (0..40).map(|k| format!("u{}", (g * 40 + k) % n)).collect();
            let c = [
                format!("W{}", g % codes.max(1)),
                format!("W{}", (g + 1) % codes.max(1)),
            ];
            json!({"id": format!("Q{g}"), "members": members, "wrapup_codes": c})
        })
        .collect();
    let sks: Vec<_> = (0..skills)
        .map(|i| json!({"id": format!("S{i}"), "treat_as_language": i % 10 == 0}))
        .collect();
    let cds: Vec<_> = (0..codes).map(|i| json!({"id": format!("W{i}")})).collect();
    let parts = vec![
        (User, all),
        (WrapupCode, cds),
        (Skill, sks),
        (Workgroup, wgs),
    ];
    let t = Instant::now();
    send_kinds(&parts, 500, Some(0));
    settle_within(3_600_000);
    report(
        &format!("initial full sync ({n} users, {groups} workgroups x 40, {skills} skills, {codes} codes)"),
        &w.emu,
        t,
    );
    w.emu.clear_requests();
    let t = Instant::now();
    send_kinds(&parts, 500, Some(0));
    settle_within(3_600_000);
    let reads = report("no-op full sync", &w.emu, t);
    let names: Vec<String> = (0..groups).map(|g| format!("Q{g}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    println!("no-op floor: {} reads; measured {reads}", floor(&w, &names));
}
