//! Stop: `gcsync_shutdown`.

use super::{Lifecycle, LIFECYCLE, TRANSITION};
use crate::logging;
use crate::result::{Failure, GcsyncResult};
use std::time::{Duration, Instant};

/// Stops intake, lets the worker drain for up to `timeout` (then cuts off the request in flight
/// through the cancel flag: a stalled server does not hold shutdown up), joins the worker and
/// then the writer (which commits everything accepted), and disconnects logging. Afterwards no
/// gcsync thread runs.
pub fn shutdown(timeout: Duration) -> Result<(), Failure> {
    let _t = TRANSITION.lock().unwrap_or_else(|p| p.into_inner());
    // No new call borrows the instance from here on.
    super::current::withdraw();
    let running = {
        let mut g = LIFECYCLE.write().unwrap_or_else(|p| p.into_inner());
        match std::mem::replace(&mut *g, Lifecycle::ShutDown) {
            Lifecycle::Running(r) => r,
            Lifecycle::NotInitialized => {
                *g = Lifecycle::NotInitialized;
                return Err(Failure::new(
                    GcsyncResult::NotInitialized,
                    "gcsync was never started",
                ));
            }
            Lifecycle::ShutDown => {
                return Err(Failure::new(
                    GcsyncResult::ShutDown,
                    "gcsync is already shut down; call gcsync_init to start it again",
                ))
            }
        }
    };
    // The calls that borrowed it end before it can be dropped (or it is kept until they do).
    super::current::release(&running.shared);
    let shared = running.shared.clone();
    shared.request_stop(Instant::now() + timeout);
    shared.queue.close();
    shared.full_sync.stop();
    if crate::fullsync::run::standby(&shared) {
        // A standby's workers sleep until the role changes and have nothing to drain (the
        // hooks it saved wait for the next start): wake them so shutdown does not wait for
        // the timeout. After `request_stop`, so a worker woken here sees the stop.
        shared.queue.interrupt_all();
    }
    let threads = running
        .threads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some(t) = threads {
        let deadline = Instant::now() + timeout;
        for _ in 0..t.workers.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if t.worker_done.recv_timeout(left).is_err() {
                // Past the timeout: end whatever wait the workers are in (rate-limit pause,
                // backoff).
                shared.queue.cancel_all();
                break;
            }
        }
        t.workers.into_iter().for_each(|w| drop(w.join()));
        shared.stop_writer();
        let _ = t.writer.join();
    }
    let (waiting, delayed, in_flight) = shared.queue.depth();
    let left = waiting + delayed + in_flight;
    let durable = shared
        .durability
        .wait(shared.queue.accepted_seq(), Duration::ZERO);
    log::info!("gcsync stopped; {left} unfinished change(s) saved for the next start");
    logging::disconnect();
    durable.map_err(|f| {
        Failure::new(
            GcsyncResult::StorageError,
            format!(
                "some accepted changes could not be saved in the data directory: {}",
                f.message
            ),
        )
    })?;
    if left > 0 {
        return Err(Failure::new(
            GcsyncResult::ShutdownTimedOut,
            format!("{left} change(s) were not synced before the timeout; they were saved and resume at the next start"),
        ));
    }
    Ok(())
}
