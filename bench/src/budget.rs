//! Figure 4 of issue 11: N threads sharing one `genesys::Client` under one budget, against the
//! emulator with 150 ms latency and its own rate limit set to the budget.
//!
//! Method: the threads read seeded users (`GET /api/v2/users/{id}`) as fast as the client lets
//! them. After a warm-up (the bucket's burst of 10 spent, every connection open) the API calls the
//! emulator answered are counted over a measuring window; achieved rate / budget is that count
//! per minute over the budget. The sliding-window rule of the budget only binds after about
//! 60 s of saturation, when the burst leaves the window; until then the bucket refills at exactly
//! `budget / 60` a second, which is also the long-run rate the window allows, so a window shorter
//! than a minute measures the steady state. The 429s are the emulator's, over the whole run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gc_emulator::{Emulator, EmulatorConfig, Faults};
use gcsync::cancel::Cancel;
use gcsync::genesys::{users, Client, ClientConfig, Lane, Method};
use gcsync::metrics::Metrics;
use gcsync::secret::Secret;

use crate::report::{Report, Target};
use crate::{host, stats, Plan};

/// Emulator latency of every answer.
const LATENCY: Duration = Duration::from_millis(150);

/// Threads needed to keep `rpm` requests a minute in flight at `LATENCY`: the calls in flight
/// at that rate with 25 % headroom for the client's own time, plus one.
pub fn threads_for(rpm: u32) -> usize {
    let in_flight = f64::from(rpm) / 60.0 * LATENCY.as_secs_f64() * 1.25;
    (in_flight.ceil() as usize + 1).clamp(2, 16)
}

struct Run {
    rpm: u32,
    share: u32,
    /// Seconds between presence calls; `None`: no presence caller.
    presence_every: Option<Duration>,
    /// How long calls are counted, after the warm-up.
    window: Duration,
}

struct Outcome {
    threads: usize,
    /// Config calls per minute over the measuring window.
    config_per_min: f64,
    /// Presence calls per minute over the measuring window.
    presence_per_min: f64,
    /// 429s the emulator answered during the whole run.
    limited: usize,
    /// Wall time of each presence call, microseconds.
    presence_us: Vec<u64>,
    failed: u64,
}

fn measure(plan: &Plan, run: &Run) -> Outcome {
    let emu = Emulator::start(EmulatorConfig {
        clients: vec![(host::CLIENT_ID.into(), host::CLIENT_SECRET.into())],
        rate_limit_per_minute: run.rpm,
        faults: Faults {
            latency_ms: LATENCY.as_millis() as u64,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .expect("emulator starts");
    let ids: Arc<Vec<String>> = Arc::new(
        (0..50)
            .map(|i| emu.seed_user(&format!("User {i}"), &format!("u{i}@example.com"), "active"))
            .collect(),
    );
    let threads = threads_for(run.rpm);
    let cfg = ClientConfig {
        api_base_url: emu.base_url(),
        login_base_url: emu.base_url(),
        client_id: host::CLIENT_ID.into(),
        client_secret: Secret::new(host::CLIENT_SECRET),
        requests_per_minute: run.rpm,
        max_concurrent_requests: threads,
        presence_reserved_share: run.share,
        ..ClientConfig::default()
    };
    let client = Arc::new(Client::new(cfg, Arc::new(Metrics::default())).expect("client"));
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for t in 0..threads {
        let (c, s, ids, f) = (client.clone(), stop.clone(), ids.clone(), failed.clone());
        handles.push(std::thread::spawn(move || {
            let mut i = t;
            while !s.load(Ordering::SeqCst) {
                // ids[0] is the presence caller's: config reads the others.
                if users::get(&c, &ids[1 + i % (ids.len() - 1)], false).is_err() {
                    f.fetch_add(1, Ordering::SeqCst);
                }
                i += threads;
            }
        }));
    }
    let presence_us = Arc::new(Mutex::new(Vec::new()));
    if let Some(every) = run.presence_every {
        let (c, s, ids, p, f) = (
            client.clone(),
            stop.clone(),
            ids.clone(),
            presence_us.clone(),
            failed.clone(),
        );
        handles.push(std::thread::spawn(move || {
            let cancel = Cancel::default();
            // Stands in for a presence write: the same budget, the presence lane.
            let path = format!("/api/v2/users/{}", ids[0]);
            while !s.load(Ordering::SeqCst) {
                std::thread::sleep(every);
                let t0 = Instant::now();
                match c.request_on(Lane::Presence, &cancel, Method::Get, &path, &[], None) {
                    Ok(_) => p.lock().unwrap().push(t0.elapsed().as_micros() as u64),
                    Err(_) => {
                        f.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    let warm = Duration::from_secs(if plan.quick { 3 } else { 5 });
    let window = run.window;
    let presence_path = format!("/api/v2/users/{}", ids[0]);
    // (config, presence) calls answered so far.
    let calls = |e: &Emulator| {
        let log = e.requests();
        let ok = log
            .iter()
            .filter(|r| r.route == "/api/v2/users/{userId}" && r.status == 200);
        let presence = ok.clone().filter(|r| r.path == presence_path).count();
        (ok.count() - presence, presence)
    };
    std::thread::sleep(warm);
    let (n1, t1) = (calls(&emu), Instant::now());
    std::thread::sleep(window);
    let (n2, t2) = (calls(&emu), Instant::now());
    stop.store(true, Ordering::SeqCst);
    for h in handles {
        let _ = h.join();
    }
    let presence_us = presence_us.lock().unwrap().clone();
    let minutes = (t2 - t1).as_secs_f64() / 60.0;
    Outcome {
        threads,
        config_per_min: (n2.0 - n1.0) as f64 / minutes,
        presence_per_min: (n2.1 - n1.1) as f64 / minutes,
        limited: emu.requests().iter().filter(|r| r.status == 429).count(),
        presence_us,
        failed: failed.load(Ordering::SeqCst),
    }
}

/// Prints figure 4 (and the presence lane beside a saturating config load).
pub fn run(plan: &Plan, r: &mut Report) {
    r.section("budget: threads sharing one client under one budget (emulator latency 150 ms)");
    // Full size: the 3 000/min run outlasts a minute, so the sliding window binds too.
    let (short, long) = if plan.quick {
        (Duration::from_secs(10), Duration::from_secs(10))
    } else {
        (Duration::from_secs(40), Duration::from_secs(65))
    };
    r.note(&format!(
        "presence_reserved_share = 0: config threads only; warm-up {} s, then calls counted \
         over {} s (300/min) and {} s (3 000/min); the emulator's own limit = the budget",
        if plan.quick { 3 } else { 5 },
        short.as_secs(),
        long.as_secs()
    ));
    for (rpm, target, window) in [(300, 0.95, short), (3000, 0.9, long)] {
        let o = measure(
            plan,
            &Run {
                rpm,
                share: 0,
                presence_every: None,
                window,
            },
        );
        let ratio = o.config_per_min / f64::from(rpm);
        let name = format!("{rpm}/min: achieved / budget");
        r.figure(
            &name,
            ratio,
            "",
            Target::AtLeast(target),
            &format!(
                "{:.0} calls/min with max_concurrent_requests = {}",
                o.config_per_min, o.threads
            ),
        );
        let name = format!("{rpm}/min: 429s answered by the emulator");
        r.figure(&name, o.limited as f64, "", Target::AtMost(0.0), "");
        r.check(
            &format!("{rpm}/min: achieved ≥ {target} of the budget, no 429, no failed call"),
            ratio >= target && o.limited == 0 && o.failed == 0,
            &format!("{ratio:.3}, {} 429s, {} failed", o.limited, o.failed),
        );
    }
    let share = 20;
    let o = measure(
        plan,
        &Run {
            rpm: 300,
            share,
            presence_every: Some(Duration::from_secs(1)),
            window: short,
        },
    );
    r.note(&format!(
        "300/min, presence_reserved_share = {share}: config threads saturating and one presence \
         call a second in the presence lane"
    ));
    let total = o.config_per_min + o.presence_per_min;
    r.figure(
        "both lanes: achieved / budget",
        total / 300.0,
        "",
        Target::AtLeast(0.95),
        &format!(
            "config {:.0} + presence {:.0} calls/min",
            o.config_per_min, o.presence_per_min
        ),
    );
    let mut us = o.presence_us.clone();
    us.sort_unstable();
    let ms = |v: u64| v as f64 / 1000.0;
    let bound = 2.0 * LATENCY.as_secs_f64() * 1000.0 + 50.0;
    r.figure(
        "presence call p50 (budget wait + one round trip)",
        ms(stats::percentile(&us, 0.5)),
        "ms",
        Target::AtMost(bound),
        &format!("{} calls", us.len()),
    );
    r.figure(
        "presence call p99",
        ms(stats::percentile(&us, 0.99)),
        "ms",
        Target::AtMost(bound),
        "issue 9: ≤ two round trips + 50 ms during a full sync",
    );
    r.figure(
        "429s answered by the emulator",
        o.limited as f64,
        "",
        Target::AtMost(0.0),
        "",
    );
    r.check(
        "presence beside a saturating config load: no 429, no failed call",
        o.limited == 0 && o.failed == 0 && !us.is_empty(),
        &format!(
            "{} 429s, {} failed, {} presence calls",
            o.limited,
            o.failed,
            us.len()
        ),
    );
}
