//! Shutdown with a stalled Genesys Cloud (issue 12 item 5): the emulator answers far later than
//! the timeout the host gives `gcsync_shutdown`, and the worker is inside a request when the
//! host shuts down. Shutdown must return within that timeout (with slack, as a ratio to it),
//! say SHUTDOWN_TIMED_OUT and keep the change for the next start.
//! (Before the fix, shutdown waited for the stalled answer: 19.8 s for a 1 s timeout with a
//! 20 s stall.)

mod common;

use common::*;
use gcsync::ffi::gcsync_shutdown;
use gcsync::result::GcsyncResult;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Largest accepted shutdown time as a multiple of the host's timeout.
const MAX_RATIO: f64 = 1.5;

#[test]
fn shutdown_returns_within_its_timeout_while_a_request_is_stalled() {
    let w = World::new();
    set("request_timeout_ms", "120000"); // the client would wait for the answer
    w.start();
    // The worker's first API read is sent and stalled (held by the emulator until the shutdown
    // returned). Before, a 6 s latency and a 300 ms sleep: on a loaded machine the
    // request could still be unsent when shutdown began.
    let stalled = w.emu.hold("GET", "*", false);
    assert_eq!(
        user_changed(&cic_user("stall", "Stall", Some("stall@example.com"))),
        GcsyncResult::Ok
    );
    assert!(
        w.emu.wait_held(stalled, Duration::from_secs(60)),
        "no request was sent"
    );
    assert_eq!(
        overview()["in_flight"],
        1,
        "the worker is inside the request"
    );
    let timeout = Duration::from_millis(500);
    let returned = AtomicBool::new(false);
    let (r, took) = std::thread::scope(|s| {
        // Were shutdown to wait for the answer, the stall ends after 20 s (and the ratio below
        // fails) rather than never.
        s.spawn(|| {
            let until = Instant::now() + Duration::from_secs(20);
            while !returned.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
            w.emu.release(stalled);
        });
        let t = Instant::now();
        let r = gcsync_shutdown(timeout.as_millis() as u32);
        let took = t.elapsed();
        returned.store(true, Ordering::SeqCst);
        (r, took)
    });
    let ratio = took.as_secs_f64() / timeout.as_secs_f64();
    eprintln!(
        "shutdown({} ms) with a request stalled returned {r:?} after {} ms (ratio {ratio:.2})",
        timeout.as_millis(),
        took.as_millis()
    );
    assert_eq!(r, GcsyncResult::ShutdownTimedOut, "{}", last_error());
    assert!(
        ratio <= MAX_RATIO,
        "shutdown took {took:?} for a {timeout:?} timeout"
    );
    // The change was kept: after a restart with a healthy emulator it syncs.
    w.start();
    eventually("the kept change synced", || {
        status("stall")["state"] == "Synced"
    });
}
