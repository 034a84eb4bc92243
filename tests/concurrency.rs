//! Hooks called from many host threads at once: every call accepted, changes coalesced, the
//! latest data of every user in Genesys Cloud.

mod common;

use common::*;
use gcsync::result::GcsyncResult;
use std::sync::Arc;

#[test]
fn eight_threads_times_ten_thousand_calls() {
    let w = World::with_emulator(gc_emulator::EmulatorConfig {
        rate_limit_per_minute: 1_000_000,
        ..emulator_config()
    });
    set("requests_per_minute", "100000");
    w.start();
    const THREADS: usize = 8;
    const CALLS: usize = 10_000;
    const USERS_PER_THREAD: usize = 25;
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut failures = 0;
                for i in 0..CALLS {
                    let u = i % USERS_PER_THREAD;
                    let json = cic_user(
                        &format!("t{t}u{u}"),
                        &format!("User {t}-{u} v{}", i / USERS_PER_THREAD),
                        Some(&format!("t{t}u{u}@example.com")),
                    );
                    if user_changed(&json) != GcsyncResult::Ok {
                        failures += 1;
                    }
                }
                failures
            })
        })
        .collect();
    let failures: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(failures, 0);
    wait_idle();
    let last_version = CALLS / USERS_PER_THREAD - 1;
    for t in 0..THREADS {
        for u in 0..USERS_PER_THREAD {
            let g = gc_user(&w.emu, &format!("t{t}u{u}@example.com"));
            assert_eq!(g["name"], format!("User {t}-{u} v{last_version}"));
        }
    }
    let o = overview();
    assert_eq!(o["objects"]["synced"], (THREADS * USERS_PER_THREAD) as u64);
    assert_eq!(
        w.emu.users().len(),
        THREADS * USERS_PER_THREAD,
        "no duplicates"
    );
    let processed = o["processed"].as_u64().unwrap();
    assert!(
        processed < (THREADS * CALLS) as u64,
        "coalesced: {processed} items for {} calls",
        THREADS * CALLS
    );
}
