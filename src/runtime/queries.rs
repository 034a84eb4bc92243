//! Waits, flush and status queries.

use super::{current, current_owned};
use crate::engine::Shared;
use crate::json_out::JsonOut;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::result::{Failure, GcsyncResult};
use crate::status::write_status;
use std::time::{Duration, Instant};

/// Waits until the queue is idle (objects waiting for a retry time do not count).
pub fn wait_idle(timeout: Duration) -> Result<(), Failure> {
    let shared = current_owned()?;
    if shared.queue.wait_idle(timeout) {
        Ok(())
    } else {
        Err(Failure::new(
            GcsyncResult::Timeout,
            "changes are still pending after the timeout",
        ))
    }
}

/// Waits until every change accepted so far reached a final state: nothing waits, is in flight
/// or waits for a retry time.
pub fn wait_settled(timeout: Duration) -> Result<(), Failure> {
    let shared = current_owned()?;
    if shared.queue.wait_settled(timeout) {
        return Ok(());
    }
    let (waiting, delayed, in_flight) = shared.queue.depth();
    Err(Failure::new(
        GcsyncResult::Timeout,
        format!(
            "not settled after the timeout: {waiting} waiting, {in_flight} in flight, {delayed} \
             waiting for a retry time (their status says when)"
        ),
    ))
}

/// Waits until every change accepted before the call, and every status recorded so far, is
/// durable in the data directory.
pub fn flush(timeout: Duration) -> Result<(), Failure> {
    let shared = current_owned()?;
    let start = Instant::now();
    let upto = shared.queue.accepted_seq();
    shared.queue.wake_writer();
    shared.durability.wait(upto, timeout)?;
    shared.barrier(timeout.saturating_sub(start.elapsed()))
}

/// One object's status JSON.
pub fn object_status(kind: GcsyncObjectKind, id: &str) -> Result<String, Failure> {
    let shared = current()?;
    let key = ObjectKey {
        kind,
        id: id.to_string(),
    };
    // The queue's lock first and alone; then the status is written under the table's lock,
    // copying nothing out of it.
    let pending = shared.queue.is_pending(&key);
    let mut out = JsonOut::with_capacity(192 + 2 * id.len());
    shared
        .objects
        .with_status(&key, |status| write_status(&mut out, &key, status, pending));
    Ok(out.into_string())
}

/// Every object's status of one kind, as a JSON array sorted by id.
pub fn list_status(kind: GcsyncObjectKind) -> Result<String, Failure> {
    let shared = current()?;
    let items = shared.objects.list(kind);
    let mut out = JsonOut::with_capacity(2 + 256 * items.len());
    write_status_array(&shared, &mut out, &items);
    Ok(out.into_string())
}

/// The largest page `list_status_page` returns.
pub const MAX_PAGE_ITEMS: u32 = 10_000;

/// One page of the status list of `kind`: at most `max` objects whose id sorts after `after`
/// (from the first when `None`), as `{"items":[...],"next_after":id|null}`; `next_after` is the
/// last item's id when more objects follow, else `null`.
pub fn list_status_page(
    kind: GcsyncObjectKind,
    after: Option<&str>,
    max: u32,
) -> Result<String, Failure> {
    if max == 0 || max > MAX_PAGE_ITEMS {
        return Err(Failure::new(
            GcsyncResult::InvalidArgument,
            format!("max_items is {max}; it must be 1 to {MAX_PAGE_ITEMS}"),
        ));
    }
    let shared = current()?;
    let mut items = shared.objects.page(kind, after, max as usize + 1);
    let more = items.len() > max as usize;
    items.truncate(max as usize);
    let mut out = JsonOut::with_capacity(40 + 256 * items.len());
    out.raw("{\"items\":");
    write_status_array(&shared, &mut out, &items);
    out.raw(",\"next_after\":");
    out.opt_str(items.last().filter(|_| more).map(|(k, _)| k.id.as_str()));
    out.raw("}");
    Ok(out.into_string())
}

fn write_status_array(
    shared: &Shared,
    out: &mut JsonOut,
    items: &[(ObjectKey, std::sync::Arc<crate::status::ObjectStatus>)],
) {
    out.raw("[");
    for (i, (key, s)) in items.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        let pending = shared.queue.is_pending(key);
        write_status(out, key, Some(s), pending);
    }
    out.raw("]");
}

/// The overview JSON (see [`crate::overview`]).
pub fn overview() -> Result<String, Failure> {
    Ok(crate::overview::render(&*current()?))
}

/// The overview JSON handed to `f`, written into the calling thread's reused buffer.
pub fn overview_with<R>(f: impl FnOnce(&str) -> R) -> Result<R, Failure> {
    Ok(crate::overview::with_rendered(&*current()?, f))
}
