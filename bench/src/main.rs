//! `gcsync-bench`: every figure of issue 11 that the current engine can show, printed beside its
//! target (PASS / MISS), with slots for the figures later issues make measurable.
//!
//! ```text
//! cargo run --release -p gcsync-bench              # full size (BENCHMARKS.md)
//! cargo run --release -p gcsync-bench -- --quick   # CI size; exits 1 if a check fails
//! gcsync-bench org [--users N]                     # describe the reference org
//! ```
//!
//! The emulator runs in this process; every measurement runs in a child process (`child.rs`)
//! so its CPU time, bytes written and memory belong to the plugin and its host alone.

mod budget;
mod child;
mod floor;
mod floor_calc;
mod floor_drift;
mod floor_lists;
mod hooks;
mod host;
mod org;
mod org_gen;
mod org_json;
mod outage;
mod presence;
mod probe;
mod report;
mod routing;
mod stats;
mod sync;

use gc_emulator::{Emulator, EmulatorConfig, Faults};
use report::Report;
use std::path::{Path, PathBuf};

const USAGE: &str =
    "usage: gcsync-bench [--quick] [--only cpu,startstop,outage,hooks,budget,routing,presence,floor] [--data-root DIR]
                    [--sizes N,M] [--keep] [--hook-rate N (0: spin)] [--hook-iterations N]
                    [--cloud-sched nice|batch|idle (the hook scenario's emulator threads)]
       gcsync-bench org [--users N]";

/// Sizes and switches of one run.
pub struct Plan {
    /// CI mode: small sizes; the exit code reflects the checks.
    pub quick: bool,
    /// Initial-sync sizes for the CPU figures (smallest first).
    pub cpu_sizes: Vec<usize>,
    /// Sizes whose sync run also reports the disk figures.
    pub disk_sizes: Vec<usize>,
    /// Sizes with start/stop figures.
    pub startstop_sizes: Vec<usize>,
    /// Users in the outage (one of the sync sizes).
    pub outage_users: usize,
    /// Change events during the outage.
    pub outage_events: usize,
    /// Objects waiting during the hook measurements.
    pub hook_objects: usize,
    /// Loop iterations per host thread in the hook measurements.
    pub hook_iterations: usize,
    /// Rounds a second per host thread in the hook measurements (0: back to back).
    pub hook_rate: u64,
    /// Unchanged events sent after a sync.
    pub unchanged: usize,
    /// Calls per query when comparing an empty and a full store.
    pub query_samples: usize,
    /// Scenarios to run.
    pub only: Vec<String>,
    /// Where the data directories go (must be on a disk).
    pub data_root: PathBuf,
    /// Keep the data directories after the run (to time `gcsync_init` on them again).
    pub keep: bool,
    /// How the hook scenario runs its emulator's threads ([`probe::CloudSched`]).
    pub cloud_sched: probe::CloudSched,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            quick: false,
            cpu_sizes: vec![1_000, 10_000, 50_000],
            disk_sizes: vec![10_000],
            startstop_sizes: vec![10_000, 50_000],
            outage_users: 10_000,
            outage_events: 1_000_000,
            hook_objects: 10_000,
            hook_iterations: 20_000,
            hook_rate: 1_000,
            unchanged: 1_000,
            query_samples: 5_000,
            only: vec![],
            data_root: std::env::temp_dir(),
            keep: false,
            cloud_sched: probe::CloudSched::Nice,
        }
    }

    fn quick() -> Plan {
        Plan {
            quick: true,
            cpu_sizes: vec![500, 2_000],
            disk_sizes: vec![2_000],
            startstop_sizes: vec![2_000],
            outage_users: 2_000,
            outage_events: 100_000,
            hook_objects: 2_000,
            hook_iterations: 3_000,
            unchanged: 500,
            query_samples: 2_000,
            ..Plan::full()
        }
    }

    fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }

    /// Every size an initial sync must run at, smallest first.
    fn sync_sizes(&self) -> Vec<usize> {
        let mut v = Vec::new();
        if self.wants("cpu") {
            v.extend(&self.cpu_sizes);
        }
        if self.wants("startstop") {
            v.extend(&self.startstop_sizes);
        }
        if self.wants("outage") {
            v.push(self.outage_users);
        }
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// An emulator accepting the benchmark's client, with no rate limit worth the name.
pub fn emulator(faults: Faults) -> Emulator {
    Emulator::start(EmulatorConfig {
        clients: vec![(host::CLIENT_ID.into(), host::CLIENT_SECRET.into())],
        rate_limit_per_minute: 100_000_000,
        faults,
        ..EmulatorConfig::default()
    })
    .expect("emulator starts")
}

fn fail(msg: &str) -> ! {
    eprintln!("gcsync-bench: {msg}\n{USAGE}");
    std::process::exit(2)
}

fn count(v: Option<&String>, usage: &str) -> usize {
    v.and_then(|v| v.parse().ok())
        .unwrap_or_else(|| fail(usage))
}

fn parse(args: &[String]) -> Plan {
    let quick = args.iter().any(|a| a == "--quick");
    let mut plan = if quick { Plan::quick() } else { Plan::full() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => {}
            "--only" => {
                let v = it.next().unwrap_or_else(|| fail("--only needs a list"));
                plan.only = v.split(',').map(str::to_string).collect();
                for s in &plan.only {
                    if ![
                        "cpu",
                        "startstop",
                        "outage",
                        "hooks",
                        "budget",
                        "routing",
                        "presence",
                        "floor",
                    ]
                    .contains(&s.as_str())
                    {
                        fail(&format!("unknown scenario {s}"));
                    }
                }
            }
            "--data-root" => {
                plan.data_root = it
                    .next()
                    .unwrap_or_else(|| fail("--data-root needs a directory"))
                    .into();
            }
            "--sizes" => {
                // One list for every sync-based figure: CPU, disk, start/stop and the outage's
                // users (the first size) and the hooks' waiting objects (the largest).
                let v = it.next().unwrap_or_else(|| fail("--sizes needs a list"));
                let sizes: Vec<usize> = v
                    .split(',')
                    .map(|n| n.parse().unwrap_or_else(|_| fail("--sizes N,M")))
                    .collect();
                plan.cpu_sizes = sizes.clone();
                plan.disk_sizes = sizes.clone();
                plan.startstop_sizes = sizes.clone();
                plan.outage_users = sizes[0];
                plan.hook_objects = *sizes.iter().max().unwrap_or(&plan.hook_objects);
            }
            "--hook-rate" => plan.hook_rate = count(it.next(), "--hook-rate N") as u64,
            "--hook-iterations" => plan.hook_iterations = count(it.next(), "--hook-iterations N"),
            "--keep" => plan.keep = true,
            "--cloud-sched" => {
                let v = it.next().map(String::as_str).unwrap_or_default();
                plan.cloud_sched = probe::CloudSched::parse(v)
                    .unwrap_or_else(|| fail("--cloud-sched nice|batch|idle"));
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => fail(&format!("unknown option {other}")),
        }
    }
    plan
}

fn describe_org(args: &[String]) {
    let users = match args {
        [flag, n] if flag == "--users" => n.parse().unwrap_or_else(|_| fail("--users N")),
        [] => org::Sizes::default().users,
        _ => fail("org takes only --users N"),
    };
    let o = org::generate(org::SEED, org::Sizes::with_users(users));
    println!("reference org (seed {:#x}): {}", org::SEED, o.summary());
    for u in o.users.iter().take(3) {
        println!("  {}", u.cic_json());
    }
}

fn run(plan: &Plan) -> bool {
    let mut r = Report::default();
    let root = tempdir_in(&plan.data_root);
    println!(
        "gcsync-bench {} ({} build, gcsync ABI {}), {}",
        if plan.quick { "--quick" } else { "full size" },
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        gcsync::ffi::gcsync_abi_version(),
        probe::machine()
    );
    println!("data directories under {}", root.display());
    if let Some(fs) = probe::memory_backed(&root) {
        println!(
            "WARNING: {} is {fs}: bytes written never reach a disk; pass --data-root",
            root.display()
        );
    }
    if cfg!(debug_assertions) {
        println!(
            "debug build: timings are not representative (the checks are counts, bytes and ratios)"
        );
    }
    let mut synced = Vec::new();
    for n in plan.sync_sizes() {
        let emu = emulator(Faults::default());
        let dir = root.join(format!("sync-{n}"));
        let s = sync::run(plan, &mut r, &emu, &dir, n);
        if plan.wants("cpu") && plan.cpu_sizes.contains(&n) {
            synced.push(s);
        }
        if plan.wants("startstop") && plan.startstop_sizes.contains(&n) {
            sync::startstop(&mut r, &emu, &dir, n);
        }
        if plan.wants("outage") && plan.outage_users == n {
            outage::run(plan, &mut r, &emu, &dir, n);
        }
        if !plan.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    sync::flatness(&mut r, &synced, plan.quick);
    if plan.wants("routing") {
        let n = if plan.quick { 2_000 } else { 10_000 };
        let emu = emulator(Faults::default());
        let dir = root.join("routing");
        routing::run(&mut r, &emu, &dir, n);
        let _ = std::fs::remove_dir_all(&dir);
    }
    if plan.wants("floor") {
        floor::run(
            &mut r,
            &root,
            if plan.quick { 1_000 } else { 10_000 },
            plan.quick,
        );
    }
    if plan.wants("hooks") {
        for (condition, title) in hooks::CONDITIONS {
            let dir = root.join(format!("hooks-{condition}"));
            hooks::run(plan, &mut r, &dir, condition, title);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    if plan.wants("budget") {
        budget::run(plan, &mut r);
    }
    if plan.wants("presence") {
        presence::run(plan, &mut r, &root);
    }
    r.section("not yet measurable");
    r.slot(
        "disk and CPU per object of the other kinds",
        8,
        "workgroups, skills, wrap-up codes",
    );
    if plan.keep {
        println!("data directories kept under {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    r.finish(plan.quick)
}

/// A fresh directory under `parent` for this run's data directories.
fn tempdir_in(parent: &Path) -> PathBuf {
    let dir = parent.join(format!("gcsync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(&format!("{}: {e}", dir.display())));
    dir
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child") => {
            let params: serde_json::Value =
                serde_json::from_str(args.get(2).map_or("{}", String::as_str))
                    .expect("child parameters");
            match args.get(1).map(String::as_str) {
                Some("sync") => sync::child(&params),
                Some("startstop") => sync::startstop_child(&params),
                Some("outage") => outage::child(&params),
                Some("hooks") => hooks::child(&params),
                Some("routing") => routing::child(&params),
                Some("floor") => floor::child(&params),
                other => fail(&format!("unknown child {other:?}")),
            }
        }
        Some("org") => describe_org(&args[1..]),
        _ => {
            let plan = parse(&args);
            std::process::exit(if run(&plan) { 0 } else { 1 });
        }
    }
}
