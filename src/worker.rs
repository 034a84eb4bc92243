//! The worker thread: drains the queue, maps, plans and calls Genesys Cloud, records status in
//! the store (the persister thread writes it to disk), and survives its own panics.

use crate::clock::{format_utc, unix_now};
use crate::genesys::Client;
use crate::metrics::Metrics;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::queue::Pending;
use crate::runtime::Shared;
use crate::settings::Settings;
use crate::status::{ObjectStatus, SyncState};
use crate::user_sync::{Ctx, SyncError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(100);

struct Worker {
    shared: Arc<Shared>,
    settings: Arc<Settings>,
    settings_gen: u64,
    client: Option<Result<Client, String>>,
}

/// Runs the worker loop until shutdown; called on the worker thread.
pub fn run(shared: Arc<Shared>) {
    shared.metrics.worker_alive.store(true, Ordering::SeqCst);
    let (settings_gen, settings) = shared.settings();
    let mut w = Worker {
        shared: shared.clone(),
        settings,
        settings_gen,
        client: None,
    };
    loop {
        match catch_unwind(AssertUnwindSafe(|| w.run_until_stopped())) {
            Ok(()) => break,
            Err(_) => {
                Metrics::bump(&shared.metrics.worker_panics);
                shared
                    .metrics
                    .set_last_error("the worker recovered from an internal panic");
                log::error!("worker loop panicked; restarting it");
            }
        }
    }
    shared.metrics.worker_alive.store(false, Ordering::SeqCst);
}

impl Worker {
    fn run_until_stopped(&mut self) {
        loop {
            if let Some(deadline) = self.shared.stop_deadline() {
                let (waiting, _, _) = self.shared.queue.depth();
                if waiting == 0 || Instant::now() >= deadline {
                    return;
                }
            }
            self.refresh_settings();
            if let Some((key, pending)) = self.shared.queue.next(TICK) {
                self.process_guarded(key, pending);
            }
        }
    }

    fn refresh_settings(&mut self) {
        let (gen, new) = self.shared.settings();
        if gen == self.settings_gen {
            return;
        }
        if new.connection_differs(&self.settings) {
            self.client = None;
        }
        self.settings = new;
        self.settings_gen = gen;
        // New settings may be what the admin changed to fix an error (credentials, region,
        // proxy, Sync User Objects turned on): try everything that is not synced again now.
        self.shared.queue.retry_delayed_now();
        self.requeue_unsynced_users();
    }

    fn process_guarded(&mut self, key: ObjectKey, pending: Pending) {
        let retry = pending.clone();
        match catch_unwind(AssertUnwindSafe(|| self.process(&key, &pending))) {
            Ok(Outcome::Done) => self.shared.queue.finish(),
            Ok(Outcome::RetryAt(at)) => self.shared.queue.defer(key.clone(), retry, at),
            Err(_) => {
                Metrics::bump(&self.shared.metrics.worker_panics);
                log::error!(
                    "internal panic while syncing {} {}; will retry",
                    key.kind.name(),
                    key.id
                );
                let at = Instant::now() + self.backoff(retry.attempts);
                self.set_status(&key, |s| {
                    s.state = SyncState::Error;
                    s.reason = Some("internal error in gcsync while syncing; will retry".into());
                });
                self.shared.queue.defer(key.clone(), retry, at);
            }
        }
        Metrics::bump(&self.shared.metrics.processed);
        self.shared.touch_last_run();
        self.shared.store.mark_dirty();
        self.shared.host.status_changed(key.kind, &key.id);
        self.shared.queue.settled();
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let base = self.settings.retry_later;
        (base * 2u32.saturating_pow(attempts.min(16))).min(Duration::from_secs(3600))
    }

    fn set_status(&self, key: &ObjectKey, f: impl FnOnce(&mut ObjectStatus)) {
        let mut store = self.shared.store.lock();
        let rec = store.users.entry(key.id.clone()).or_default();
        f(&mut rec.status);
    }

    fn client(&mut self) -> Result<&mut Client, String> {
        if self.client.is_none() {
            let built = self
                .settings
                .client_config()
                .map_err(|f| f.message)
                .and_then(|cfg| {
                    Client::new(cfg, self.shared.metrics.clone()).map_err(|e| e.to_string())
                })
                .map(|mut c| {
                    c.set_cancel(self.shared.cancel.clone());
                    c
                });
            self.client = Some(built);
        }
        match self.client.as_mut() {
            Some(Ok(c)) => Ok(c),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no client".into()),
        }
    }

    /// Runs one sync step with the Genesys client; an unusable client configuration is an error
    /// the admin must fix.
    fn with_ctx<T>(
        &mut self,
        step: impl FnOnce(&mut Ctx) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let settings = self.settings.clone();
        let metrics = self.shared.metrics.clone();
        let client = self.client().map_err(SyncError::NeedsAdmin)?;
        step(&mut Ctx {
            client,
            settings: &settings,
            metrics: &metrics,
        })
    }

    fn process(&mut self, key: &ObjectKey, pending: &Pending) -> Outcome {
        #[cfg(test)]
        if tests::PANIC_FOR.lock().unwrap().as_deref() == Some(key.id.as_str()) {
            panic!("injected test panic");
        }
        match key.kind {
            GcsyncObjectKind::User => self.process_user(key, pending),
        }
    }

    fn failed(&mut self, key: &ObjectKey, e: SyncError, pending: &Pending) -> Outcome {
        if self.shared.cancel.is_cancelled() {
            // Interrupted by shutdown, not a real failure: keep the status, save the change.
            return Outcome::RetryAt(Instant::now());
        }
        let text = e.to_string();
        log::warn!("{} {}: {text}", key.kind.name(), key.id);
        self.shared
            .metrics
            .set_last_error(format!("{} {}: {text}", key.kind.name(), key.id));
        if e.is_transient() {
            let mut wait = self.backoff(pending.attempts);
            if let SyncError::Api(crate::genesys::ApiError::RateLimited { retry_after }) = &e {
                wait = wait.max(*retry_after);
            }
            let when = format_utc(unix_now() + wait.as_secs());
            self.set_status(key, |s| {
                s.state = SyncState::Error;
                s.reason = Some(format!("{text}; next attempt at {when}"));
            });
            Outcome::RetryAt(Instant::now() + wait)
        } else {
            self.set_status(key, |s| {
                s.state = SyncState::Error;
                s.reason = Some(text);
            });
            Outcome::Done
        }
    }
}

enum Outcome {
    Done,
    RetryAt(Instant),
}

mod users;

#[cfg(test)]
mod tests;
