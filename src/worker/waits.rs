//! An object that needs others synced first: the wait recorded and said in its status, and an
//! Error of what it waits for shown in its reason.

use super::{Outcome, Worker};
use crate::object::ObjectKey;
use crate::status::SyncState;
use crate::store::RowWrite;

impl Worker {
    /// `key` needs each of `needed` synced first: records the wait (the object is queued again
    /// when they are) and says so in its status ("waiting for user jdoe"). Returns the outcome
    /// to give: done, not synced; a wait is not an error the admin must act on.
    pub(super) fn wait_for(&mut self, key: &ObjectKey, needed: &[ObjectKey]) -> Outcome {
        self.shared.waiting.wait(key, needed);
        let names: Vec<String> = needed
            .iter()
            .take(3)
            .map(|n| format!("{} {}", n.kind.name(), n.id))
            .collect();
        let more = needed.len().saturating_sub(3);
        let reason = match more {
            0 => format!("waiting for {}", names.join(", ")),
            n => format!("waiting for {} and {n} more", names.join(", ")),
        };
        self.update(key, |r| {
            r.status.state = SyncState::NotSynced;
            r.status.reason = Some(reason);
        });
        // What became ready between the check and the registration must not be missed.
        for n in needed {
            if self.shared.is_ready(n) {
                self.shared.release_waiters(n);
            }
        }
        Outcome::Done(false)
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
            let record = self.update_get(&w, |r| r.status.reason = Some(reason));
            self.shared.persist(RowWrite {
                key: w.clone(),
                record: Some(record),
                done_seq: None,
            });
            self.shared.host.status_changed(w.kind, &w.id);
        }
    }
}
