//! Requests put in a chosen order with the emulator's holds, whatever the machine's load.

use gc_emulator::Emulator;
use std::time::Duration;

/// Runs `first`, which makes gcsync send a request matching `method` and `route` (a route
/// template), keeps that request in flight (held before the emulator handles it) while
/// `meanwhile` runs, then lets it go. This replaces "a slow emulator and a short sleep": on a
/// loaded machine the request may not have been sent when the sleep ends, or may be answered
/// before `meanwhile` is done, and the calls counted then depend on the load.
pub fn while_in_flight<T>(
    emu: &Emulator,
    method: &str,
    route: &str,
    first: impl FnOnce(),
    meanwhile: impl FnOnce() -> T,
) -> T {
    let h = emu.hold(method, route, false);
    first();
    assert!(
        emu.wait_held(h, Duration::from_secs(60)),
        "gcsync sent no {method} {route}"
    );
    let out = meanwhile();
    emu.release(h);
    out
}
