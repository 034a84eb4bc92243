//! A step that gives its object up for a newer change (`queue/hold.rs`): the record as it was.

use super::Worker;
use crate::kinds;
use crate::object::ObjectKey;
use crate::objects::Record;
use crate::status::SyncState;

use super::Outcome;

impl Worker {
    /// Whether a create POST for `key` may have been sent in this process (`Shared::posted`),
    /// as the step starts.
    pub(super) fn posted_of(&self, key: &ObjectKey) -> Option<bool> {
        let p = self.shared.posted.lock().unwrap_or_else(|p| p.into_inner());
        p.get(key).copied()
    }

    /// A given-up step sent no create (a refused write is never sent, and a step with a write
    /// applied or possibly applied unversioned is never given up), nor did a step that failed
    /// with every write refused (a create answered 429 each time): what `posted` said before
    /// the step stands; an intent the step recorded itself was not sent (a deletion then
    /// searches for nothing, rather than for 15 minutes).
    pub(super) fn unpost(&self, key: &ObjectKey, before: Option<&Record>, posted: Option<bool>) {
        let mut p = self.shared.posted.lock().unwrap_or_else(|p| p.into_inner());
        match (posted, before.and_then(|b| b.intent.as_ref())) {
            (Some(v), _) => {
                p.insert(key.clone(), v);
            }
            // An intent from an earlier process: unknown, as before.
            (None, Some(_)) => {
                p.remove(key);
            }
            (None, None) => {
                if let Some(v) = p.get_mut(key) {
                    *v = false;
                }
            }
        }
    }

    /// The step gave its object up for a newer change (its client refused a write): no write of
    /// it got through, so the record goes back to what it was (the CIC data last processed, its
    /// status), keeping what reads learned (the Genesys id); the members of a workgroup version
    /// given up are queued again with the next one ([`kinds::skill::grants_given_up`]). Only when a version-guarded write
    /// got no answer may Genesys Cloud hold the stale data: the object is then not Synced and
    /// its known version unsure, so the newest change is written even if it equals what was
    /// synced before (a stale version is a conflict and a re-read). A create intent recorded
    /// by the step stays, but its POST was not sent: `posted` goes back to what it was
    /// ([`Worker::posted_of`]), or to "not sent" for an intent the step recorded, so the next
    /// step POSTs rather than searches for a user that was never created.
    pub(super) fn gave_up(
        &mut self,
        key: &ObjectKey,
        before: Option<&Record>,
        posted: Option<bool>,
    ) -> Outcome {
        log::debug!(
            "{} {}: a newer change arrived before the first write; taking it",
            key.kind.name(),
            key.id
        );
        self.unpost(key, before, posted);
        let maybe_applied = self.hold.maybe_applied();
        // Users may have inherited skills from the version given up (the table held it):
        // they are looked at again with the next version.
        let taken = self.shared.objects.get(key).and_then(|r| r.source);
        if let (Some(b), Some(given_up)) = (before, taken.as_deref()) {
            if b.source.as_deref() != Some(given_up) {
                kinds::skill::grants_given_up(&self.shared, key, given_up);
            }
        }
        self.update(key, |r| {
            if let Some(b) = before {
                let genesys_id = r.status.genesys_id.take();
                r.source = b.source.clone();
                r.status = b.status.clone();
                r.status.genesys_id = genesys_id;
            }
            if !maybe_applied {
                return;
            }
            // What was last applied is not what Genesys holds for sure (the only
            // version-guarded write is a user's PATCH): see `Known::unsure`.
            if let Some(k) = r.applied.as_mut().and_then(|a| match a {
                kinds::Applied::User(a) => a.known.as_mut(),
                _ => None,
            }) {
                k.unsure = true;
            }
            if r.status.state == SyncState::Synced {
                r.status.state = SyncState::NotSynced;
                r.status.reason = Some(
                    "a newer change arrived while an earlier one got no answer; writing the newest"
                        .into(),
                );
            }
        });
        Outcome::Interrupted
    }

    /// A step that did not end synced although a write of it was applied or may have been
    /// (its answer lost, then the step failed, or was interrupted): when the user's known
    /// version is the one the step started with, Genesys may hold more than what was last
    /// applied (a deactivation applied unanswered, then a failure: the user added back in CIC
    /// stayed inactive, as nothing differed from what was applied). It is marked unsure
    /// ([`crate::user_sync::Known::unsure`]): the next step reads the user when nothing changed.
    /// A step that recorded a new version (its user write answered) is left alone.
    pub(super) fn unrecorded_write(&mut self, key: &ObjectKey, before: Option<&Record>) {
        let known = |r: &Record| match &r.applied {
            Some(kinds::Applied::User(a)) => a.known.clone(),
            _ => None,
        };
        let started = before.and_then(known);
        self.update(key, |r| {
            if let Some(kinds::Applied::User(a)) = r.applied.as_mut() {
                if let Some(k) = a.known.as_mut().filter(|k| Some(&**k) == started.as_ref()) {
                    k.unsure = true;
                }
            }
        });
    }
}
