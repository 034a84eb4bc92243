//! The persister thread: writes the store to the data directory shortly after anything changes,
//! independently of the worker (which may be waiting out a rate limit for minutes). A change a
//! hook accepted is on disk within about [`INTERVAL`], so a crash of the host loses at most that.

use crate::runtime::Shared;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// How often the persister looks for changes.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// What the persister remembers between passes.
#[derive(Default)]
pub struct Persister {
    saved_queue_version: Option<u64>,
    last_error: Option<String>,
}

impl Persister {
    /// Writes `state.json` if objects changed, then `pending.json` if the queue changed. Errors
    /// are logged once per distinct message and retried on the next pass.
    pub fn persist(&mut self, shared: &Shared) {
        let mut result = shared.store.save_state();
        let version = shared.queue.version();
        if result.is_ok() && self.saved_queue_version != Some(version) {
            result = shared.store.save_pending(shared.queue.snapshot());
            if result.is_ok() {
                self.saved_queue_version = Some(version);
            }
        }
        match result {
            Ok(()) => self.last_error = None,
            Err(f) if self.last_error.as_deref() != Some(f.message.as_str()) => {
                log::error!("{}", f.message);
                shared.metrics.set_last_error(f.message.clone());
                self.last_error = Some(f.message);
            }
            Err(_) => {}
        }
    }
}

/// Runs on the `gcsync-persister` thread until `stop` fires or is dropped; one last pass then.
pub fn run(shared: Arc<Shared>, stop: Receiver<()>) {
    let mut p = Persister::default();
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(INTERVAL) {
        p.persist(&shared);
    }
    p.persist(&shared);
}
