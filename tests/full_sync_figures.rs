//! Figures of a Force Complete Sync (issue 10's note), printed, never asserted on time: an initial
//! full sync of N users into an empty org and a no-op one, calls counted from the emulator's
//! request log. Run: `cargo nextest run -p gcsync --test full_sync_figures --run-ignored only
//! --no-capture` (N from GCSYNC_FULL_SYNC_USERS, default 10 000).

mod common;
mod fullsync_support;

use fullsync_support::*;
use std::time::Instant;

fn report(what: &str, emu: &gc_emulator::Emulator, started: Instant) {
    // `writes` counts every non-GET request, the user search (a POST) included.
    let (reads, writes_n, tokens) = counts(emu);
    let calls = reads + writes_n + tokens;
    let mut by_route = std::collections::BTreeMap::<String, usize>::new();
    for r in emu.requests() {
        *by_route
            .entry(format!("{} {}", r.method, r.route))
            .or_default() += 1;
    }
    println!(
        "{what}: {calls} calls ({reads} reads, {writes_n} writes, {tokens} token) in {:.1} s \
         unthrottled; {:.1} min at 240/min; {by_route:?}",
        started.elapsed().as_secs_f64(),
        calls as f64 / 240.0
    );
}

#[test]
#[ignore = "prints figures; run on demand"]
fn figures_of_an_initial_and_a_no_op_full_sync() {
    let n: usize = std::env::var("GCSYNC_FULL_SYNC_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let w = world();
    common::set("log_level", "warn");
    w.start();
    let all = users(0..n);
    let t = Instant::now();
    send(&all, 500, Some(0));
    settle_within(3_600_000);
    report(&format!("initial full sync of {n} users"), &w.emu, t);
    w.emu.clear_requests();
    let t = Instant::now();
    send(&all, 500, Some(0));
    settle_within(3_600_000);
    report(&format!("no-op full sync of {n} users"), &w.emu, t);
}
