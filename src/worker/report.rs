//! What became of one taken change, told to everyone concerned: the row and its audit entry to
//! the writer, the waiters released, the queue and the host.

use super::{Outcome, Worker};
use crate::metrics::Metrics;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::Record;
use crate::queue::Pending;
use crate::status::SyncState;
use crate::store::RowWrite;

impl Worker {
    /// Records what became of one taken change: the row and its audit entry to the writer, the
    /// objects that waited for it released, the queue told, the host notified.
    pub(super) fn report(
        &mut self,
        key: ObjectKey,
        pending: Pending,
        before: Option<Record>,
        outcome: Outcome,
    ) {
        let after = self.shared.objects.get(&key);
        let after_error = after
            .as_ref()
            .filter(|a| a.status.state == SyncState::Error)
            .map(|a| a.status.reason.clone().unwrap_or_default());
        let audit = crate::audit::outcome(
            &self.shared,
            &key,
            before.as_ref(),
            after.as_ref(),
            &self.settings,
        );
        let changed = after != before;
        let done_seq = match outcome {
            Outcome::Done(_) => Some(pending.seq),
            _ => None,
        };
        // The worker is done with the object: its record goes back to text in the table (a
        // decoded user is several times its text), and the writer gets the same text.
        let after = after.map(|r| self.shared.objects.compact(&key, r));
        if changed || done_seq.is_some() || audit.is_some() {
            self.shared.persist_audited(
                RowWrite {
                    key: key.clone(),
                    record: after.filter(|_| changed).map(|mut r| {
                        if done_seq.is_some() {
                            r.seq = r.seq.max(pending.seq);
                        }
                        r
                    }),
                    done_seq,
                },
                audit,
            );
        }
        let notify = !matches!(outcome, Outcome::Interrupted);
        // A skill's waiters go once the queue lets go of it, whatever became of it (moved,
        // deleted, Error): they must not see it in flight again (`worker/skills.rs`).
        let skill_done = key.kind == GcsyncObjectKind::Skill && matches!(outcome, Outcome::Done(_));
        if matches!(outcome, Outcome::Done(true)) && !skill_done && self.shared.is_ready(&key) {
            self.shared.release_waiters(&key);
        }
        if let Some(why) = after_error {
            self.show_error_to_waiters(&key, &why);
        }
        if matches!(outcome, Outcome::Done(_)) {
            self.release_duplicates(&key, before.as_ref());
        }
        match outcome {
            Outcome::Done(synced) => self.shared.queue.finish(&key, synced),
            Outcome::RetryAt(at) => self.shared.queue.defer(key.clone(), pending, at),
            Outcome::Interrupted => self.shared.queue.put_back(key.clone(), pending),
        }
        if skill_done {
            self.shared.release_waiters(&key);
        }
        if notify {
            Metrics::bump(&self.shared.metrics.processed);
            self.shared.touch_last_run();
            self.shared.host.status_changed(key.kind, &key.id);
        }
        self.shared.queue.settled();
    }
}
