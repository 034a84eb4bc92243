//! How a step that failed ends: the object in Error with its reason and, for a transient
//! failure, its next attempt (a backoff growing with the attempts); a panic caught; the objects
//! waiting for one in Error told why.

use super::{Outcome, Worker};
use crate::clock::{format_utc, unix_now};
use crate::metrics::Metrics;
use crate::object::ObjectKey;
use crate::queue::Pending;
use crate::status::SyncState;
use crate::store::RowWrite;
use crate::user_sync::SyncError;
use std::time::{Duration, Instant};

impl Worker {
    /// The outcome of a step that panicked: the object in Error, retried later.
    pub(super) fn panicked(&mut self, key: &ObjectKey, pending: &Pending) -> Outcome {
        Metrics::bump(&self.shared.metrics.worker_panics);
        log::error!(
            "internal panic while syncing {} {}; will retry",
            key.kind.name(),
            key.id
        );
        self.update(key, |r| {
            r.status.state = SyncState::Error;
            r.status.reason = Some("internal error in gcsync while syncing; will retry".into());
        });
        Outcome::RetryAt(Instant::now() + self.backoff(pending.attempts))
    }

    /// `key` ended in Error: the objects waiting for it say so in their reason ("waiting for
    /// user jdoe, which is in Error: …"), so a wait is never silent about why it lasts.
    pub(super) fn show_error_to_waiters(&mut self, key: &ObjectKey, why: &str) {
        for w in self.shared.waiting.waiting_for(key) {
            let reason = format!(
                "waiting for {} {}, which is in Error: {why}",
                key.kind.name(),
                key.id
            );
            let still = self.shared.objects.with_status(&w, |s| {
                s.is_some_and(|s| {
                    s.state == SyncState::NotSynced && s.reason.as_ref() != Some(&reason)
                })
            });
            if !still {
                continue;
            }
            let record = self.update(&w, |r| r.status.reason = Some(reason));
            self.shared.persist(RowWrite {
                key: w.clone(),
                record: Some(record),
                done_seq: None,
            });
            self.shared.host.status_changed(w.kind, &w.id);
        }
    }

    pub(super) fn backoff(&self, attempts: u32) -> Duration {
        let base = self.settings.retry_later;
        (base * 2u32.saturating_pow(attempts.min(16))).min(Duration::from_secs(3600))
    }

    pub(super) fn failed(&mut self, key: &ObjectKey, e: SyncError, pending: &Pending) -> Outcome {
        if self.cancel.is_cancelled() || self.hold.yielded() {
            // Interrupted by shutdown or new settings, or given up for a newer change: not a
            // real failure, keep the status.
            return Outcome::Interrupted;
        }
        let text = e.to_string();
        let previous = self.shared.objects.status(key).and_then(|s| s.reason);
        // A transient failure is one attempt (each is logged); a final one is logged once per
        // object and reason.
        if e.is_transient() || previous.as_deref() != Some(text.as_str()) {
            log::warn!("{} {}: {text}", key.kind.name(), key.id);
        }
        self.shared.metrics.set_last_error(Some(key), text.clone());
        if e.is_transient() {
            let mut wait = self.backoff(pending.attempts);
            if let SyncError::Api(crate::genesys::ApiError::RateLimited { retry_after }) = &e {
                wait = wait.max(*retry_after);
            }
            let when = format_utc(unix_now() + wait.as_secs());
            self.update(key, |r| {
                r.status.state = SyncState::Error;
                r.status.reason = Some(format!("{text}; next attempt at {when}"));
            });
            Outcome::RetryAt(Instant::now() + wait)
        } else {
            self.update(key, |r| {
                r.status.state = SyncState::Error;
                r.status.reason = Some(text);
            });
            Outcome::Done(false)
        }
    }
}
