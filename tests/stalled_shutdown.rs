//! Shutdown with a stalled Genesys Cloud (issue 12 item 5): the emulator answers far later than
//! the timeout the host gives `gcsync_shutdown`, and the worker is inside a request when the
//! host shuts down. Shutdown must return within that timeout (with slack, as a ratio to it),
//! say SHUTDOWN_TIMED_OUT and keep the change for the next start.
//! (Before the fix, shutdown waited for the stalled answer: 19.8 s for a 1 s timeout with a
//! 20 s stall.)

mod common;

use common::*;
use gc_emulator::Faults;
use gcsync::ffi::gcsync_shutdown;
use gcsync::result::GcsyncResult;
use std::time::{Duration, Instant};

/// Largest accepted shutdown time as a multiple of the host's timeout.
const MAX_RATIO: f64 = 1.5;

#[test]
fn shutdown_returns_within_its_timeout_while_a_request_is_stalled() {
    let w = World::new();
    set("request_timeout_ms", "120000"); // the client would wait for the answer
    w.start();
    w.emu.set_faults(Faults {
        latency_ms: 6_000, // 12 times the timeout below
        ..Faults::default()
    });
    assert_eq!(
        user_changed(&cic_user("stall", "Stall", Some("stall@example.com"))),
        GcsyncResult::Ok
    );
    eventually("the worker is inside a request", || {
        overview()["in_flight"] == 1
    });
    std::thread::sleep(Duration::from_millis(300)); // the request is sent and being stalled
    let timeout = Duration::from_millis(500);
    let t = Instant::now();
    let r = gcsync_shutdown(timeout.as_millis() as u32);
    let took = t.elapsed();
    let ratio = took.as_secs_f64() / timeout.as_secs_f64();
    eprintln!(
        "shutdown({} ms) with a 6 s stall returned {r:?} after {} ms (ratio {ratio:.2})",
        timeout.as_millis(),
        took.as_millis()
    );
    assert_eq!(r, GcsyncResult::ShutdownTimedOut, "{}", last_error());
    assert!(
        ratio <= MAX_RATIO,
        "shutdown took {took:?} for a {timeout:?} timeout"
    );
    // The change was kept: after a restart with a healthy emulator it syncs.
    w.emu.set_faults(Faults::default());
    w.start();
    eventually("the kept change synced", || {
        status("stall")["state"] == "Synced"
    });
}
