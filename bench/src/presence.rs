//! Presence latency (issue 9): hook → presence applied in the emulator, with the pipeline idle
//! and during a Force Complete Sync of many users at a 300/min budget, and the latency of the
//! `gcsync_on_status_changed` hook itself.
//!
//! Runs in this process, not a child: the end-to-end figure compares the `Instant` taken before
//! the hook with the emulator's `applied_at` (its presence hook), and an `Instant` means nothing
//! in another process. The emulator answers every call after `latency_ms` (the "round trip").

use crate::host;
use crate::report::{Report, Target};
use crate::stats::percentile;
use crate::Plan;
use gc_emulator::{Faults, PresenceWrite};
use gcsync::ffi::{gcsync_on_force_sync, gcsync_on_settings_changed, gcsync_on_status_changed};
use gcsync::result::GcsyncResult;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Emulator answer time standing in for a Genesys round trip.
const ROUND_TRIP_MS: u64 = 100;
const AGENTS: usize = 20;
const STATUSES: [&str; 2] = ["At Lunch", "In a Meeting"];

fn status_changed(user: &str, json: &str) -> (GcsyncResult, u64) {
    let t = Instant::now();
    // SAFETY: both strings are readable for their lengths.
    let r = unsafe {
        gcsync_on_status_changed(
            user.as_ptr().cast(),
            user.len(),
            json.as_ptr().cast(),
            json.len(),
        )
    };
    (r, t.elapsed().as_nanos() as u64)
}

fn status_json(i: usize) -> String {
    format!(r#"{{"status":"{}"}}"#, STATUSES[i % 2])
}

/// The next status of agent `i`: always another than its last (an identical event costs
/// nothing and would never be applied).
fn next_status(turns: &mut [usize], i: usize) -> String {
    turns[i] += 1;
    status_json(turns[i])
}

/// Sends `samples` status changes one at a time (each waits for its presence to be applied, at
/// most 30 s) and returns the hook → applied latencies in µs.
fn end_to_end(
    applied: &Receiver<(String, Instant)>,
    gids: &[String],
    samples: usize,
    spacing: Duration,
    turns: &mut [usize],
) -> Vec<u64> {
    let mut out = Vec::with_capacity(samples);
    for k in 0..samples {
        let i = k % AGENTS;
        while applied.try_recv().is_ok() {}
        let t0 = Instant::now();
        let (r, _) = status_changed(&format!("agent{i}"), &next_status(turns, i));
        assert_eq!(r, GcsyncResult::Ok, "{}", host::last_error());
        let deadline = t0 + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match applied.recv_timeout(left) {
                Ok((gid, at)) if gid == gids[i] => {
                    out.push(at.saturating_duration_since(t0).as_micros() as u64);
                    break;
                }
                Ok(_) => continue,
                Err(_) => fail_with(&format!("presence of agent{i} not applied within 30 s")),
            }
        }
        std::thread::sleep(spacing);
    }
    out
}

fn print_latency(r: &mut Report, name: &str, mut us: Vec<u64>, round_trips: f64) {
    us.sort_unstable();
    let target_ms = round_trips * ROUND_TRIP_MS as f64 + 50.0;
    let note = format!("{} samples", us.len());
    let p50 = percentile(&us, 0.5) as f64 / 1000.0;
    let p99 = percentile(&us, 0.99) as f64 / 1000.0;
    r.figure(&format!("{name} p50"), p50, "ms", Target::Info, &note);
    r.figure(
        &format!("{name} p99"),
        p99,
        "ms",
        Target::AtMost(target_ms),
        &note,
    );
}

/// The presence section.
pub fn run(plan: &Plan, r: &mut Report, root: &std::path::Path) {
    r.section(&format!(
        "presence (issue 9): emulator round trip {ROUND_TRIP_MS} ms, {AGENTS} agents"
    ));
    let emu = crate::emulator(Faults::default());
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    emu.set_presence_hook(Some(Arc::new(move |w: &PresenceWrite| {
        let _ = tx.lock().unwrap().send((w.user_id.clone(), w.applied_at));
    })));
    let dir = root.join("presence");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("presence data dir");
    host::configure(&emu.base_url(), dir.to_str().unwrap());
    host::set("sync_advanced_platform_objects", "true");
    host::set("max_payload_bytes", "67108864");
    host::init();
    let users: Vec<String> = (0..AGENTS).map(user_json).collect();
    for u in &users {
        assert_eq!(host::user_changed(u), GcsyncResult::Ok);
    }
    assert!(host::settle(Duration::from_secs(60)), "agents synced");
    let gids: Vec<String> = (0..AGENTS)
        .map(|i| {
            emu.user_by_email(&email(i)).expect("agent synced")["id"]
                .as_str()
                .unwrap()
                .into()
        })
        .collect();
    // First presences (primary source, definitions), not measured.
    let mut turns = vec![0; AGENTS];
    let _ = end_to_end(&rx, &gids, AGENTS, Duration::ZERO, &mut turns);
    emu.set_faults(Faults {
        latency_ms: ROUND_TRIP_MS,
        ..Faults::default()
    });
    let samples = if plan.quick { 60 } else { 300 };
    let idle = end_to_end(&rx, &gids, samples, Duration::from_millis(20), &mut turns);
    print_latency(r, "hook → applied, pipeline idle", idle, 1.0);
    hook_figures(r, plan, "idle", &mut turns);

    // A Force Complete Sync of many users at 300/min: configuration workers busy and the
    // budget spent, the presence lane ahead of them.
    let n = if plan.quick { 1_000 } else { 10_000 };
    host::set("requests_per_minute", "300");
    let changed = gcsync_on_settings_changed();
    if changed != GcsyncResult::Ok {
        fail_with(&format!("settings: {changed:?} {}", host::last_error()));
    }
    let all: Vec<String> = (0..n).map(user_json).collect();
    let snapshot = format!(r#"{{"users":[{}]}}"#, all.join(","));
    // SAFETY: snapshot is readable for its length.
    let f = unsafe { gcsync_on_force_sync(snapshot.as_ptr().cast(), snapshot.len()) };
    if f != GcsyncResult::Ok {
        fail_with(&format!("force sync: {f:?} {}", host::last_error()));
    }
    std::thread::sleep(Duration::from_secs(3));
    let samples = if plan.quick { 20 } else { 60 };
    let busy = end_to_end(&rx, &gids, samples, Duration::from_millis(1100), &mut turns);
    if std::env::var_os("GCSYNC_BENCH_SAMPLES").is_some() {
        eprintln!("busy samples (µs, in order): {busy:?}");
    }
    let waiting = host::overview()["queue_depth"].as_u64().unwrap_or(0);
    print_latency(
        r,
        &format!("hook → applied, during a {n}-user Force Complete Sync"),
        busy,
        2.0,
    );
    r.note(&format!(
        "{waiting} configuration objects still waiting at the end (the sync was running throughout)"
    ));

    hook_figures(r, plan, "during the sync", &mut turns);
    emu.set_presence_hook(None);
    let _ = host::shutdown(Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The hook itself: a burst of status changes over the agents, each call timed.
fn hook_figures(r: &mut Report, plan: &Plan, when: &str, turns: &mut [usize]) {
    let calls = if plan.quick { 5_000 } else { 50_000 };
    let mut ns: Vec<u64> = (0..calls)
        .map(|k| {
            let i = k % AGENTS;
            let json = next_status(turns, i);
            status_changed(&format!("agent{i}"), &json).1
        })
        .collect();
    ns.sort_unstable();
    let note = format!("{calls} calls, one host thread, {when}");
    let p99 = percentile(&ns, 0.99) as f64 / 1000.0;
    let p999 = percentile(&ns, 0.999) as f64 / 1000.0;
    r.figure(
        "gcsync_on_status_changed p99",
        p99,
        "µs",
        Target::AtMost(5.0),
        &note,
    );
    r.figure(
        "gcsync_on_status_changed p99.9",
        p999,
        "µs",
        Target::AtMost(50.0),
        &note,
    );
    if when == "idle" && !host::settle(Duration::from_secs(120)) {
        eprintln!(
            "presence: the burst did not settle: {} {:?}",
            host::last_error(),
            host::warnings()
        );
    }
}

/// Stops the benchmark with `why` on stderr (a panic would go to gcsync's log while connected).
fn fail_with(why: &str) -> ! {
    eprintln!("presence benchmark: {why}");
    std::process::exit(1)
}

fn email(i: usize) -> String {
    format!("agent{i}@bench.example.com")
}

fn user_json(i: usize) -> String {
    format!(
        r#"{{"id":"agent{i}","display_name":"Agent {i}","business_email":"{}"}}"#,
        email(i)
    )
}
