//! gcsync's background threads run below the host's priority (`background_priority`, default
//! `below_normal`: Linux nice +5 and `SCHED_BATCH` per thread), the host's threads keep theirs, and with
//! `normal` nothing is lowered. Each thread's nice value is read as `ps` would, from field 19 of
//! `/proc/self/task/<tid>/stat`; the threads are told apart by their names (`comm`, the first
//! 15 bytes: `gcsync-fullsync` is both the full sync's timer and its run).
#![cfg(target_os = "linux")]

mod common;
mod fullsync_support;

use common::*;
use gc_emulator::Faults;
use gcsync::result::GcsyncResult;

/// `SCHED_BATCH`'s number in field 41 (policy) of `/proc/<pid>/task/<tid>/stat`.
const SCHED_BATCH: i32 = 3;

/// One thread of this process: (thread id, name, nice value).
fn tasks() -> Vec<(i32, String, i32)> {
    tasks_with_policy()
        .into_iter()
        .map(|(tid, name, nice, _)| (tid, name, nice))
        .collect()
}

/// One thread of this process: (thread id, name, nice value, scheduling policy).
fn tasks_with_policy() -> Vec<(i32, String, i32, i32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = entry.unwrap().path();
        let (Ok(stat), Ok(comm)) = (
            std::fs::read_to_string(dir.join("stat")),
            std::fs::read_to_string(dir.join("comm")),
        ) else {
            continue; // the thread ended while we listed them
        };
        // The name in parentheses may hold blanks: the fields follow the last ')'. Field 3
        // (state) is the first after it, so field 19 (nice) is the 17th, 41 (policy) the 39th.
        let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let (nice, policy) = (rest[16].parse().unwrap(), rest[38].parse().unwrap());
        let tid = dir.file_name().unwrap().to_str().unwrap().parse().unwrap();
        out.push((tid, comm.trim_end().to_string(), nice, policy));
    }
    out
}

fn gcsync_threads() -> Vec<(String, i32)> {
    tasks()
        .into_iter()
        .filter(|(_, name, _)| name.starts_with("gcsync-"))
        .map(|(_, name, nice)| (name, nice))
        .collect()
}

/// The scheduling policies of the gcsync threads (0: SCHED_OTHER) and of the others.
fn policies() -> (Vec<i32>, Vec<i32>) {
    let (mut ours, mut others) = (Vec::new(), Vec::new());
    for (_, name, _, policy) in tasks_with_policy() {
        match name.starts_with("gcsync-") {
            true => ours.push(policy),
            false => others.push(policy),
        }
    }
    (ours, others)
}

fn own_tid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

fn nice_of(tid: i32) -> i32 {
    tasks().into_iter().find(|t| t.0 == tid).unwrap().2
}

/// The threads `gcsync_init` starts with the default `max_concurrent_requests` of 4.
const STARTED: [&str; 7] = [
    "gcsync-writer",
    "gcsync-worker-0",
    "gcsync-worker-1",
    "gcsync-worker-2",
    "gcsync-presence",
    "gcsync-fullsync", // the timer
    "gcsync-worker-3",
];

fn names(threads: &[(String, i32)]) -> Vec<String> {
    let mut n: Vec<String> = threads.iter().map(|t| t.0.clone()).collect();
    n.sort();
    n
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut n: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    n.sort();
    n
}

#[test]
fn background_threads_run_five_nice_steps_below_the_host_and_the_host_keeps_its_priority() {
    let w = fullsync_support::world();
    let host = own_tid();
    let main = std::process::id() as i32;
    let (host_nice, main_nice) = (nice_of(host), nice_of(main));
    let lowered = (host_nice + 5).min(19);
    assert!(gcsync_threads().is_empty(), "{:?}", gcsync_threads());
    w.start();
    // A thread shows in /proc when it is created and lowers itself as its first step.
    eventually("every gcsync thread lowered", || {
        let t = gcsync_threads();
        names(&t) == sorted(&STARTED) && t.iter().all(|(_, n)| *n == lowered)
    });
    assert_eq!(
        nice_of(host),
        host_nice,
        "the thread that called gcsync_init"
    );
    assert_eq!(nice_of(main), main_nice, "the process's main thread");
    // SCHED_BATCH: a gcsync thread a hook wakes never preempts the host's thread.
    let (ours, others) = policies();
    assert!(ours.iter().all(|p| *p == SCHED_BATCH), "{ours:?}");
    assert!(others.iter().all(|p| *p == 0), "{others:?}");
    // The hooks run on the host's thread at its priority; the user is synced by a lowered
    // worker, and the emulator's threads (another "process" in production) are untouched.
    assert_eq!(
        user_changed(&cic_user("p1", "Pat One", Some("p1@example.com"))),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(status("p1")["state"], "Synced", "{}", status("p1"));
    assert_eq!(nice_of(host), host_nice);
    assert!(tasks()
        .iter()
        .filter(|(_, name, _)| !name.starts_with("gcsync-"))
        .all(|(_, _, n)| *n == host_nice));
    // A Force Complete Sync's thread starts at the same priority (it reads the org slowly here,
    // so it is alive while we look).
    w.emu.set_faults(Faults {
        latency_ms: 1_500,
        ..Faults::default()
    });
    fullsync_support::send(&fullsync_support::users(0..3), 10, Some(0));
    eventually("the full sync's thread runs, lowered", || {
        let t = gcsync_threads();
        t.iter().filter(|(n, _)| n == "gcsync-fullsync").count() == 2
            && t.iter().all(|(_, n)| *n == lowered)
    });
    w.emu.set_faults(Faults::default());
    fullsync_support::settle();
}

#[test]
fn with_background_priority_normal_nothing_is_lowered() {
    let w = fullsync_support::world();
    set("background_priority", "normal");
    let host = own_tid();
    let host_nice = nice_of(host);
    w.start();
    eventually("every gcsync thread started", || {
        names(&gcsync_threads()) == sorted(&STARTED)
    });
    // Each thread has run past its first step once it has done some work: the writer made a
    // change durable, a worker synced it.
    assert_eq!(
        user_changed(&cic_user("p1", "Pat One", Some("p1@example.com"))),
        GcsyncResult::Ok
    );
    assert_eq!(flush(), GcsyncResult::Ok);
    wait_idle();
    assert_eq!(status("p1")["state"], "Synced", "{}", status("p1"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let t = gcsync_threads();
    assert_eq!(names(&t), sorted(&STARTED));
    assert!(t.iter().all(|(_, n)| *n == host_nice), "{t:?}");
    assert_eq!(nice_of(host), host_nice);
    let (ours, _) = policies();
    assert!(ours.iter().all(|p| *p == 0), "{ours:?}");
}
