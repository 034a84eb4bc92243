//! Initial sync of N reference users against a zero-latency emulator: CPU per 1 000 users,
//! bytes written per user and per unchanged event, the data directory's size, and the cost of
//! `gcsync_init` / `gcsync_shutdown` with N stored objects afterwards.

use crate::child::{emit, Proc};
use crate::host;
use crate::org::{self, Sizes, SEED};
use crate::probe;
use crate::report::{num, Report, Target};
use crate::stats::{summarise, Sample};
use crate::Plan;
use gc_emulator::Emulator;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// What one sync run measured, for the figures that compare sizes.
pub struct Synced {
    /// Users synced.
    pub users: usize,
    /// CPU seconds per 1 000 users.
    pub cpu_per_1000: f64,
}

/// Median wall time (µs) of `gcsync_overview` and of `gcsync_object_status` over `samples`
/// calls each.
fn query_p50s(org: &org::RefOrg, samples: usize) -> (f64, f64) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut rng = org::Rng::new(7);
    let mut time = |f: &mut dyn FnMut(&mut [u8]) -> GcsyncResult| {
        let s: Vec<Sample> = (0..samples)
            .map(|_| {
                let t = Instant::now();
                f(&mut buf);
                Sample {
                    ns: t.elapsed().as_nanos() as u64,
                    ..Sample::default()
                }
            })
            .collect();
        summarise(&s).p50
    };
    let overview = time(&mut |b| host::overview_into(b));
    let status = time(&mut |b| {
        let u = &org.users[rng.below(org.users.len())];
        host::user_status_into(&u.id, b)
    });
    (overview, status)
}

/// Median wall time (ms) of a walk over every user's status, pages of 1 000
/// (`gcsync_list_status_page`), over `walks` walks; and the items one walk saw.
fn list_walk_ms(walks: usize) -> (f64, usize) {
    let mut buf = vec![0u8; 1 << 20];
    let (_, items) = host::walk_user_statuses(1_000, &mut buf, true);
    let s: Vec<Sample> = (0..walks)
        .map(|_| {
            let t = Instant::now();
            host::walk_user_statuses(1_000, &mut buf, false);
            Sample {
                ns: t.elapsed().as_nanos() as u64,
                ..Sample::default()
            }
        })
        .collect();
    (summarise(&s).p50 / 1000.0, items)
}

/// Child: the sync run.
pub fn child(p: &Value) {
    let n = p["users"].as_u64().unwrap() as usize;
    let dir = p["dir"].as_str().unwrap();
    let org = org::generate(SEED, Sizes::with_users(n));
    let jsons: Vec<String> = org.users.iter().map(|u| u.cic_json().to_string()).collect();
    host::configure(p["url"].as_str().unwrap(), dir);
    host::init();
    let samples = p["query_samples"].as_u64().unwrap() as usize;
    let (overview_empty, status_empty) = query_p50s(&org, samples);
    let (cpu0, io0, t0) = (probe::cpu_seconds(), probe::io(), Instant::now());
    let rejected = jsons
        .iter()
        .filter(|j| host::user_changed(j) != GcsyncResult::Ok)
        .count();
    let settled = host::settle(Duration::from_secs(4 * 3600));
    let sync_s = t0.elapsed().as_secs_f64();
    host::flush();
    let (cpu1, io1) = (probe::cpu_seconds(), probe::io());
    let ov = host::overview();
    let (overview_full, status_full) = query_p50s(&org, samples);
    let (list_ms, listed) = list_walk_ms(11);
    let delta = |a: Option<probe::Io>, b: Option<probe::Io>| match (a, b) {
        (Some(a), Some(b)) => {
            json!({"net": b.net_since(&a), "gross": b.write_bytes - a.write_bytes})
        }
        _ => Value::Null,
    };
    emit(json!({
        "users": n, "rejected": rejected, "settled": settled, "sync_s": sync_s,
        "objects": ov["objects"], "api_calls": ov["api_calls"],
        "cpu_s": cpu0.zip(cpu1).map(|(a, b)| b - a),
        "written": delta(io0, io1),
        "overview_p50": [overview_empty, overview_full], "status_p50": [status_empty, status_full],
        "list_walk_ms": list_ms, "listed": listed,
        "warnings": host::warnings(),
    }));
    let k = p["unchanged"].as_u64().unwrap() as usize;
    let io2 = probe::io();
    for j in jsons.iter().cycle().take(k) {
        host::user_changed(j);
    }
    host::settle(Duration::from_secs(600));
    host::flush();
    emit(json!({"unchanged": k, "written": delta(io2, probe::io())}));
    let t = Instant::now();
    let r = host::shutdown(Duration::from_secs(60));
    emit(json!({
        "shutdown_ms": t.elapsed().as_secs_f64() * 1e3, "result": r as u32,
        "dir_bytes": probe::dir_bytes(Path::new(dir)),
    }));
}

/// Child: `gcsync_init` and `gcsync_shutdown` on a data directory holding N objects, in a fresh
/// process (the first pair) and again in the same process.
pub fn startstop_child(p: &Value) {
    host::configure(p["url"].as_str().unwrap(), p["dir"].as_str().unwrap());
    for _ in 0..p["reps"].as_u64().unwrap() {
        let (t, cpu0) = (Instant::now(), probe::cpu_seconds());
        host::init();
        let init_ms = t.elapsed().as_secs_f64() * 1e3;
        // CPU time of the process during init (its threads start only at the end): what the
        // code costs, less disturbed than wall time by a machine shared with busy neighbours.
        let init_cpu_ms = cpu0.zip(probe::cpu_seconds()).map(|(a, b)| (b - a) * 1e3);
        let objects = host::overview()["objects"].clone();
        let t = Instant::now();
        let r = host::shutdown(Duration::from_secs(60));
        let shutdown_ms = t.elapsed().as_secs_f64() * 1e3;
        emit(
            json!({"init_ms": init_ms, "init_cpu_ms": init_cpu_ms, "shutdown_ms": shutdown_ms, "result": r as u32, "objects": objects}),
        );
    }
}

fn written(v: &Value) -> Option<(f64, f64)> {
    Some((v["net"].as_f64()?, v["gross"].as_f64()?))
}

/// Parent: syncs `n` users into `emu` with the data directory `dir`; prints the CPU and disk
/// figures.
pub fn run(plan: &Plan, r: &mut Report, emu: &Emulator, dir: &Path, n: usize) -> Synced {
    r.section(&format!(
        "initial sync of {n} reference users (zero-latency emulator, budget 100 000/min)"
    ));
    let timeout = Duration::from_secs(4 * 3600);
    let mut c = Proc::spawn(
        "sync",
        &json!({"url": emu.base_url(), "dir": dir, "users": n, "unchanged": plan.unchanged,
                "query_samples": plan.query_samples}),
    );
    let s = c.next(timeout);
    let objects = &s["objects"];
    let synced = objects["synced"].as_u64().unwrap_or(0) as usize;
    let cpu = s["cpu_s"].as_f64();
    let per_1000 = cpu.map_or(f64::NAN, |c| c / (n as f64 / 1000.0));
    r.note(&format!(
        "{synced} of {n} Synced ({} error, {} not synced, {} hooks refused) in {} s; {} API calls \
         ({} per user); CPU {:.3} s",
        objects["error"],
        objects["not_synced"],
        s["rejected"],
        num(s["sync_s"].as_f64().unwrap_or(0.0)),
        s["api_calls"],
        num(s["api_calls"].as_f64().unwrap_or(0.0) / n as f64),
        cpu.unwrap_or(f64::NAN)
    ));
    for w in s["warnings"].as_array().into_iter().flatten().take(3) {
        r.note(&format!("last warnings: {w}"));
    }
    r.check(
        &format!("every one of {n} users Synced"),
        synced == n && s["settled"] == true,
        &format!("{synced} Synced, settled {}", s["settled"]),
    );
    match cpu {
        Some(_) => r.figure(
            &format!("CPU per 1 000 synced users (N = {n})"),
            per_1000,
            "s",
            Target::AtMost(0.2),
            "user + system of the plugin's process, first hook to settled",
        ),
        None => r.unmeasured("CPU per 1 000 synced users", "no getrusage on this OS"),
    }
    let measure_disk = plan.disk_sizes.contains(&n);
    match written(&s["written"]) {
        Some((net, gross)) if measure_disk => {
            r.figure(
                &format!("bytes written per synced user (N = {n})"),
                net / n as f64,
                "B",
                Target::AtMost(8000.0),
                &format!(
                    "8 KB read as 8 000 B; {} MB in all, {} MB before cancellations",
                    num(net / 1e6),
                    num(gross / 1e6)
                ),
            );
            // The check CI runs is a regression guard, not the target (printed above as
            // PASS/MISS): how commits group depends on timing, which a shared 2-core machine
            // and a debug build change; the guard still catches a return of per-change
            // rewrites (tens of KB per user).
            r.check(
                "bytes written per synced user ≤ 16 000 (regression guard; target 8 000)",
                net / n as f64 <= 16000.0,
                &format!("{} B", num(net / n as f64)),
            );
        }
        Some(_) => {}
        None => r.unmeasured(
            "bytes written per synced user",
            "no /proc/self/io on this OS",
        ),
    }
    let (ov, st) = (&s["overview_p50"], &s["status_p50"]);
    let ratio = |v: &Value| v[1].as_f64().unwrap_or(0.0) / v[0].as_f64().unwrap_or(1.0).max(1e-3);
    r.figure(
        &format!("overview p50 with {n} stored / with none"),
        ratio(ov),
        "×",
        Target::Info,
        &format!(
            "{} µs / {} µs",
            num(ov[1].as_f64().unwrap_or(0.0)),
            num(ov[0].as_f64().unwrap_or(0.0))
        ),
    );
    r.check(
        "overview cost flat in the number of objects (p50 ratio ≤ 3)",
        ratio(ov) <= 3.0,
        &format!("{}×", num(ratio(ov))),
    );
    r.figure(
        &format!("object_status p50 with {n} stored / with none"),
        ratio(st),
        "×",
        Target::Info,
        &format!(
            "{} µs / {} µs",
            num(st[1].as_f64().unwrap_or(0.0)),
            num(st[0].as_f64().unwrap_or(0.0))
        ),
    );
    r.figure(
        &format!("status list walk with {n} stored (pages of 1 000)"),
        s["list_walk_ms"].as_f64().unwrap_or(f64::NAN),
        "ms",
        Target::Info,
        &format!(
            "median of 11 walks over gcsync_list_status_page; {} items a walk",
            s["listed"]
        ),
    );
    let u = c.next(timeout);
    let k = u["unchanged"].as_f64().unwrap_or(1.0);
    if let (Some((net, _)), true) = (written(&u["written"]), measure_disk) {
        r.figure(
            "bytes written per unchanged event",
            net / k,
            "B",
            Target::AtMost(0.0),
            &format!("{k} events re-sending synced users; {} B in all", num(net)),
        );
        r.check(
            "an unchanged event writes nothing",
            net <= 0.0,
            &format!("{} B for {k} events", num(net)),
        );
    }
    let d = c.next(timeout);
    if measure_disk {
        r.figure(
            &format!("data directory after syncing {n} users"),
            d["dir_bytes"].as_f64().unwrap_or(0.0) / 1e6,
            "MB",
            Target::Info,
            "sum of file sizes",
        );
    }
    r.note(&format!(
        "shutdown after the sync: {} ms (result {})",
        num(d["shutdown_ms"].as_f64().unwrap_or(0.0)),
        d["result"]
    ));
    c.finish();
    Synced {
        users: n,
        cpu_per_1000: per_1000,
    }
}

/// Parent: start/stop figures on a data directory holding `n` synced objects.
pub fn startstop(r: &mut Report, emu: &Emulator, dir: &Path, n: usize) {
    r.section(&format!("start and stop with {n} stored objects"));
    let limit = if n <= 10_000 { 50.0 } else { 250.0 };
    let mut c = Proc::spawn(
        "startstop",
        &json!({"url": emu.base_url(), "dir": dir, "reps": 3}),
    );
    let runs: Vec<Value> = (0..3).map(|_| c.next(Duration::from_secs(600))).collect();
    c.finish();
    let ms = |k: &str| -> Vec<String> {
        runs.iter()
            .map(|v| num(v[k].as_f64().unwrap_or(0.0)))
            .collect()
    };
    let first = &runs[0];
    r.figure(
        &format!("gcsync_init with {n} stored objects"),
        first["init_ms"].as_f64().unwrap_or(f64::NAN),
        "ms",
        Target::AtMost(limit),
        &format!(
            "fresh process; again in-process: {} ms; CPU during init: {} ms",
            ms("init_ms")[1..].join(", "),
            ms("init_cpu_ms").join(", ")
        ),
    );
    r.figure(
        &format!("gcsync_shutdown with {n} stored objects"),
        first["shutdown_ms"].as_f64().unwrap_or(f64::NAN),
        "ms",
        Target::AtMost(limit),
        &format!(
            "nothing pending; later runs: {} ms",
            ms("shutdown_ms")[1..].join(", ")
        ),
    );
    let empty = root_empty(dir);
    let mut c = Proc::spawn(
        "startstop",
        &json!({"url": emu.base_url(), "dir": &empty, "reps": 1}),
    );
    let fixed = c.next(Duration::from_secs(600));
    c.finish();
    let _ = std::fs::remove_dir_all(&empty);
    r.note(&format!(
        "for comparison, a fresh process with an empty data directory: init {} ms, shutdown {} ms",
        num(fixed["init_ms"].as_f64().unwrap_or(f64::NAN)),
        num(fixed["shutdown_ms"].as_f64().unwrap_or(f64::NAN))
    ));
    let seen = first["objects"]["synced"].as_u64().unwrap_or(0) as usize;
    r.check(
        &format!("all {n} stored objects known after a restart"),
        seen == n,
        &format!("{seen} Synced after init"),
    );
}

/// A fresh, empty data directory beside `dir`.
fn root_empty(dir: &Path) -> std::path::PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push("-empty");
    dir.with_file_name(name)
}

/// Parent: CPU per 1 000 users at every size, compared.
pub fn flatness(r: &mut Report, runs: &[Synced], quick: bool) {
    let (Some(small), Some(large)) = (runs.first(), runs.last()) else {
        return;
    };
    if runs.len() < 2 {
        return;
    }
    let ratio = large.cpu_per_1000 / small.cpu_per_1000;
    r.section("CPU per synced user as N grows");
    let limit = if quick { 2.0 } else { 1.5 };
    r.figure(
        &format!(
            "CPU per 1 000 users at N = {} / at N = {}",
            large.users, small.users
        ),
        ratio,
        "×",
        Target::AtMost(1.5),
        &format!(
            "\"flat in N\" read as ≤ 1.5×; {}",
            runs.iter()
                .map(|s| format!("{} s at {}", num(s.cpu_per_1000), s.users))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    r.check(
        &format!("CPU per user flat in N (ratio ≤ {limit})"),
        ratio <= limit,
        &format!("{}×", num(ratio)),
    );
}
