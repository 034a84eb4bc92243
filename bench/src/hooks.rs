//! Hook and query latency with N objects waiting, from 1 and 4 host threads, in three cloud
//! conditions: idle (answers at once, the sync runs flat out), stalled (every call takes 2 s)
//! and down (every connection dropped).
//!
//! Each host thread loops: one `gcsync_on_user_changed` (a 1 KB user, a real change: two
//! versions alternate), one `gcsync_object_status`, one `gcsync_overview`, each timed alone.
//! Paced (the default, `--hook-rate`), a thread starts one such round every 1/rate s, as a
//! CIC server sends change notifications as they happen, and sleeps in between; spinning
//! (`--hook-rate 0`, the figures before session 8) it runs them back to back, so 4 host threads
//! on 2 cores preempt each other whatever gcsync does. Its context switches around every call
//! (read just before and just after it) tell a call that blocked (voluntary switch: a lock, a
//! wait) from one the scheduler preempted (involuntary). The emulator runs in the parent
//! process, started from a thread 5 nice steps down (its threads inherit that): the cloud is
//! remote in production, so it should not take the host's cores first.

use crate::child::{emit, Proc};
use crate::host;
use crate::org::{self, Rng, Sizes, SEED};
use crate::probe::{self, thread_switches};
use crate::report::{num, Report, Target};
use crate::stats::{summarise, Sample, Summary};
use crate::Plan;
use gc_emulator::Faults;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// The cloud conditions, with the emulator faults that make them.
pub const CONDITIONS: [(&str, &str); 3] = [
    (
        "idle",
        "idle cloud (answers at once; the initial sync runs flat out)",
    ),
    ("stalled", "emulator stalled 2 s per call"),
    ("down", "cloud down (every connection dropped)"),
];

fn faults(condition: &str) -> Faults {
    match condition {
        "stalled" => Faults {
            latency_ms: 2_000,
            ..Faults::default()
        },
        "down" => Faults {
            drop_rate: 1.0,
            ..Faults::default()
        },
        _ => Faults::default(),
    }
}

const FNS: [&str; 3] = ["user hook", "object_status", "overview"];

/// Times one call, noting whether the thread blocked or was preempted during it (the switch
/// counts are read outside the timed span).
fn timed(f: impl FnOnce() -> GcsyncResult) -> (Sample, bool) {
    let before = thread_switches();
    let t = Instant::now();
    let ok = f() == GcsyncResult::Ok;
    let ns = t.elapsed().as_nanos() as u64;
    let now = thread_switches();
    let s = Sample {
        ns,
        blocked: now.0 > before.0,
        preempted: now.1 > before.1,
    };
    (s, ok)
}

/// Start times one every `1 / rate` s (none for rate 0: spin). A thread that falls more than a
/// period behind starts again from now rather than bursting to catch up.
struct Pacer {
    period: Option<Duration>,
    next: Instant,
}

impl Pacer {
    fn new(rate: u64) -> Pacer {
        Pacer {
            period: (rate > 0).then(|| Duration::from_nanos(1_000_000_000 / rate)),
            next: Instant::now(),
        }
    }

    /// Sleeps until the next start time.
    fn wait(&mut self) {
        let Some(period) = self.period else {
            return;
        };
        let now = Instant::now();
        if self.next > now {
            std::thread::sleep(self.next - now);
        } else if now - self.next > period {
            self.next = now;
        }
        self.next += period;
    }
}

/// One host thread's loop (`rate` rounds a second, 0: back to back); returns its samples per
/// function and the calls that failed.
fn host_thread(
    payloads: &[[String; 2]],
    ids: &[String],
    iterations: usize,
    rate: u64,
    seed: u64,
) -> ([Vec<Sample>; 3], usize) {
    let mut rng = Rng::new(seed);
    let mut out: [Vec<Sample>; 3] = Default::default();
    for v in &mut out {
        v.reserve(iterations);
    }
    let mut buf = vec![0u8; 4096];
    let mut failed = 0;
    let mut pacer = Pacer::new(rate);
    for k in 0..iterations {
        pacer.wait();
        let u = rng.below(ids.len());
        let payload = &payloads[u][k & 1];
        let (s, ok) = timed(|| host::user_changed(payload));
        out[0].push(s);
        failed += usize::from(!ok);
        let id = &ids[rng.below(ids.len())];
        let (s, ok) = timed(|| host::user_status_into(id, &mut buf));
        out[1].push(s);
        failed += usize::from(!ok);
        let (s, ok) = timed(|| host::overview_into(&mut buf));
        out[2].push(s);
        failed += usize::from(!ok);
    }
    (out, failed)
}

fn summary_json(s: &Summary) -> Value {
    json!({"n": s.n, "p50": s.p50, "p99": s.p99, "p999": s.p999, "max": s.max,
           "blocked": s.blocked, "preempted": s.preempted, "max_unpreempted": s.max_unpreempted,
           "p999_unpreempted": s.p999_unpreempted})
}

/// Child: enqueue N users, then measure from the thread counts asked for (`threads`).
pub fn child(p: &Value) {
    let n = p["waiting"].as_u64().unwrap() as usize;
    let iterations = p["iterations"].as_u64().unwrap() as usize;
    let rate = p["rate"].as_u64().unwrap_or(0);
    let org = org::generate(SEED, Sizes::with_users(n));
    let payloads: Arc<Vec<[String; 2]>> = Arc::new(
        org.users
            .iter()
            .map(|u| {
                [
                    u.changed(1).padded_json(1024),
                    u.changed(2).padded_json(1024),
                ]
            })
            .collect(),
    );
    let ids: Arc<Vec<String>> = Arc::new(org.users.iter().map(|u| u.id.clone()).collect());
    host::configure(p["url"].as_str().unwrap(), p["dir"].as_str().unwrap());
    host::init();
    for pl in payloads.iter() {
        assert_eq!(
            host::user_changed(&pl[0]),
            GcsyncResult::Ok,
            "{}",
            host::last_error()
        );
    }
    let counts: Vec<usize> = p["threads"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_u64())
                .map(|t| t as usize)
                .collect()
        })
        .unwrap_or_else(|| vec![1, 4]);
    for threads in counts {
        let depth_before = host::overview()["queue_depth"].clone();
        let started = Instant::now();
        let (gcsync_before, machine_before) =
            (probe::threads_cpu_ns("gcsync-"), probe::machine_ticks());
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (payloads, ids, barrier) = (payloads.clone(), ids.clone(), barrier.clone());
                let spawned = std::thread::Builder::new().name(format!("bench-host-{t}"));
                spawned
                    .spawn(move || {
                        barrier.wait();
                        host_thread(&payloads, &ids, iterations, rate, 1 + t as u64)
                    })
                    .expect("host thread starts")
            })
            .collect();
        let mut all: [Vec<Sample>; 3] = Default::default();
        let mut failed = 0;
        for h in handles {
            let (samples, f) = h.join().unwrap();
            failed += f;
            for (a, s) in all.iter_mut().zip(samples) {
                a.extend(s);
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        // Cores busy during the phase: the whole machine's, and gcsync's own threads'.
        let busy = match (machine_before, probe::machine_ticks()) {
            (Some(a), Some(b)) if b.1 > a.1 => {
                (b.0 - a.0) as f64 / (b.1 - a.1) as f64 * cores() as f64
            }
            _ => f64::NAN,
        };
        let gcsync_cores =
            (probe::threads_cpu_ns("gcsync-") - gcsync_before) as f64 / 1e9 / seconds;
        emit(json!({
            "threads": threads, "failed": failed, "seconds": seconds,
            "machine_cores_busy": busy, "gcsync_cores_busy": gcsync_cores,
            "queue_depth": [depth_before, host::overview()["queue_depth"]],
            "fns": all.iter().map(|s| summary_json(&summarise(s))).collect::<Vec<_>>(),
        }));
    }
    host::shutdown(Duration::from_secs(1));
}

/// The targets of one function: (p99, p99.9, max) in µs.
fn targets(f: &str) -> [Option<f64>; 3] {
    match f {
        "user hook" => [Some(10.0), Some(50.0), Some(1000.0)],
        "overview" => [Some(5.0), Some(50.0), Some(1000.0)],
        _ => [None, Some(50.0), Some(1000.0)],
    }
}

/// The emulator, started from a thread 5 nice steps down (or SCHED_BATCH / SCHED_IDLE:
/// `--cloud-sched`) so that its threads run below the host's (the cloud is remote in
/// production).
fn remote_emulator(faults: Faults, sched: crate::probe::CloudSched) -> gc_emulator::Emulator {
    std::thread::spawn(move || {
        if !sched.apply() {
            eprintln!("gcsync-bench: could not set the emulator's scheduling ({sched:?})");
        }
        crate::emulator(faults)
    })
    .join()
    .expect("emulator starts")
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Parent: one condition.
pub fn run(plan: &Plan, r: &mut Report, dir: &Path, condition: &str, title: &str) {
    let n = plan.hook_objects;
    r.section(&format!(
        "hooks and queries, {n} objects waiting, 1 KB user: {title}"
    ));
    r.note(&format!(
        "emulator threads: {} (--cloud-sched)",
        plan.cloud_sched.name()
    ));
    let rate = plan.hook_rate;
    r.note(&match rate {
        0 => "host threads spinning (each round right after the last)".to_string(),
        _ => format!("host threads paced: {rate} rounds a second each (hook, status, overview)"),
    });
    // Each thread count gets a fresh cloud and data directory, so that it too starts with N
    // objects waiting and the sync running (one instance for both drained the queue during
    // the 1-thread phase: the 4-thread idle phase ran with under 1 000 waiting).
    for threads in [1usize, 4] {
        let emu = remote_emulator(faults(condition), plan.cloud_sched);
        let sub = dir.join(format!("threads-{threads}"));
        let c = Proc::spawn(
            "hooks",
            &json!({"url": emu.base_url(), "dir": sub, "waiting": n,
                    "iterations": plan.hook_iterations, "rate": rate, "threads": [threads]}),
        );
        report_phase(r, c, condition);
        drop(emu);
    }
}

/// Reads one phase's figures from the child and reports them against the targets.
fn report_phase(r: &mut Report, mut c: Proc, condition: &str) {
    let v = c.next(Duration::from_secs(1800));
    let threads = v["threads"].as_u64().unwrap_or(0);
    let secs = v["seconds"].as_f64().unwrap_or(f64::NAN);
    let calls = v["fns"][0]["n"].as_f64().unwrap_or(f64::NAN);
    r.note(&format!(
        "{threads} thread(s), {calls} calls per function in {secs:.1} s ({:.0} hook calls/s); \
         queue depth {} → {}; {} calls failed; load average {}; cores busy: machine {:.2} \
         of {}, gcsync's threads {:.2}",
        calls / secs,
        v["queue_depth"][0],
        v["queue_depth"][1],
        v["failed"],
        probe::load_average().unwrap_or_default(),
        v["machine_cores_busy"].as_f64().unwrap_or(f64::NAN),
        cores(),
        v["gcsync_cores_busy"].as_f64().unwrap_or(f64::NAN),
    ));
    for (i, f) in FNS.iter().enumerate() {
        let s = &v["fns"][i];
        let get = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
        let mut cells = vec![format!("p50 {}", num(get("p50")))];
        for ((k, label), limit) in [("p99", "p99"), ("p999", "p99.9"), ("max", "max")]
            .into_iter()
            .zip(targets(f))
        {
            let name = format!("{f}, {threads} thread(s), {condition}: {label}");
            let target = limit.map_or(Target::Info, Target::AtMost);
            let verdict = r.score(&name, get(k), "µs", target);
            cells.push(if verdict.is_empty() {
                format!("{label} {}", num(get(k)))
            } else {
                format!("{label} {} [{verdict}]", num(get(k)))
            });
        }
        r.note(&format!(
            "  {f:<14} {}  (µs; blocked {}, preempted {}, p99.9 / max without preemption {} / {})",
            cells.join("  "),
            s["blocked"],
            s["preempted"],
            num(get("p999_unpreempted")),
            num(get("max_unpreempted"))
        ));
    }
    c.finish();
}
