//! End-to-end user sync through the C API against the Genesys Cloud emulator.

#[path = "../common/mod.rs"]
mod common;

mod admin_errors;
mod mapping;
mod matching;
mod removal;
mod retries;

use gc_emulator::{InjectedFault, RetryAfter};

/// A fault on `method` `route`: `status` with error `code`, `count` times.
fn fault(
    method: &str,
    route: &str,
    status: u16,
    code: &str,
    retry_after: RetryAfter,
    count: u32,
) -> InjectedFault {
    InjectedFault {
        method: method.into(),
        route: route.into(),
        status,
        code: code.into(),
        retry_after,
        count,
        drop_connection: false,
        ..Default::default()
    }
}
