//! The user removal step of the worker: a CIC user deleted, its Genesys user deactivated or
//! deleted as `user_removal_policy` says.
//!
//! What the record says is not enough when the user was removed before. The link is kept
//! across a removal (a user back in CIC is reactivated through it), and a step since may have
//! made a Genesys user active again without recording it: its write applied but unanswered,
//! then the step given up for this deletion (`queue/hold.rs`) or failed for good (issue 12's
//! storm: `deleted user stC06: its Genesys user is still active`). So a deletion of a removed
//! user looks at its Genesys user again (one read; nothing is written when it is inactive), and
//! at the user a create intent recorded since may have produced.
//!
//! Unless this process knows no step wrote since: a removal that ends with its Genesys user
//! inactive or deleted notes it (`Shared::removed_unchanged`, with what it did), and any step
//! that may have written to that Genesys user (`Hold::may_have_written`, of a step holding a
//! CIC user linked to it before or after) forgets it. A deletion of a removed user whose
//! Genesys user is noted costs no call (a re-add given up or failed before its first write,
//! then a deletion: 5-8 reads per full-size storm before). After a restart nothing is noted:
//! the read is made, as before.

use super::{Outcome, Worker};
use crate::clock::unix_now;
use crate::kinds::user::AppliedUser;
use crate::kinds::Applied;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{Intent, Origin, Record};
use crate::queue::{Change, Pending};
use crate::settings::RemovalPolicy;
use crate::status::SyncState;
use crate::user_sync::{self, Removed};

impl Worker {
    pub(super) fn remove_user(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        pending: &Pending,
    ) -> Outcome {
        self.removal = None;
        let removed = record.status.removed;
        // The linked Genesys user; once removed, still it unless another CIC user holds it now
        // (its email came back on another user, who adopted it).
        let mut gid = record.status.genesys_id.clone().filter(|g| {
            !removed
                || self
                    .shared
                    .objects
                    .owner_of(GcsyncObjectKind::User, g)
                    .is_none()
        });
        // A create intent is dropped once the user is linked or removed: one still recorded
        // means a create may have reached Genesys Cloud since (its answer lost, or a crash),
        // unless it was recorded in this process for a create never sent (ahead, in a batch).
        if gid.is_none() || removed {
            let sent_or_unknown = |_: &Intent| self.intent_may_have_been_sent(key);
            if let Some(intent) = record.intent.clone().filter(sent_or_unknown) {
                // Find it before concluding there is nothing to remove.
                match self.with_ctx(|ctx| user_sync::find_created(ctx, &intent)) {
                    Ok(Some(found)) => {
                        log::info!(
                            "linked Genesys user {found} to CIC user {} (its create was sent \
                             but not recorded)",
                            key.id
                        );
                        self.update(key, |r| {
                            r.status.genesys_id = Some(found.clone());
                            r.origin = Some(Origin::Created);
                            r.intent = None;
                        });
                        gid = Some(found);
                    }
                    Ok(None) => {}
                    Err(e) => return self.failed(key, e, pending),
                }
            }
        }
        let Some(gid) = gid else {
            log::debug!(
                "user {}: deleted in CIC; never linked to a Genesys user, so nothing to remove",
                key.id
            );
            self.update(key, |r| {
                r.status.removed = true;
                r.status.reason = None;
                r.intent = None;
                if r.status.state == SyncState::Error {
                    r.status.state = SyncState::NotSynced;
                }
            });
            return Outcome::Done(true);
        };
        let unchanged = self.unchanged_since_removal(&gid).filter(|_| removed);
        let result = match unchanged {
            Some(done) => {
                log::debug!(
                    "user {}: deleted in CIC again; Genesys user {gid} is as its removal left \
                     it (no step wrote to it since): no call",
                    key.id
                );
                Ok(done)
            }
            None => {
                if removed {
                    log::debug!(
                        "user {}: deleted in CIC again; Genesys user {gid}, removed before, is \
                         looked at again (a step since may have made it active)",
                        key.id
                    );
                }
                self.with_ctx(|ctx| user_sync::remove(ctx, &gid))
            }
        };
        match result {
            Ok(done) => {
                log::info!(
                    "CIC user {} was deleted; Genesys user {gid} {}",
                    key.id,
                    done.describe()
                );
                self.removal = Some((gid.clone(), done));
                // A deactivated (inactive) user keeps its skills, languages and memberships in
                // Genesys Cloud: what gcsync assigned stays known, so a user back in CIC has the
                // ones it no longer wants removed (forgetting them left them assigned for good).
                let kept = matches!(
                    done,
                    user_sync::Removed::Deactivated | user_sync::Removed::AlreadyInactive
                );
                self.update(key, |r| {
                    r.status.state = SyncState::Synced;
                    r.status.removed = true;
                    r.status.reason = None;
                    r.status.last_synchronized = Some(unix_now());
                    r.intent = None;
                    r.applied = match r.applied.take() {
                        Some(Applied::User(a)) if kept => Some(Applied::User(AppliedUser {
                            desired: a.desired,
                            known: None,
                            routing: a.routing,
                            adding: a.adding,
                            external_id: a.external_id,
                        })),
                        _ => None,
                    };
                });
                Outcome::Done(true)
            }
            Err(e) => self.failed(key, e, pending),
        }
    }

    /// What the removal noted for `gid` still holds: no step wrote to it since, and it
    /// satisfies the removal policy in force (a user deactivated is not deleted yet).
    fn unchanged_since_removal(&self, gid: &str) -> Option<Removed> {
        let noted = self.shared.removed_unchanged.lock();
        let done = *noted.unwrap_or_else(|p| p.into_inner()).get(gid)?;
        let deleted = matches!(done, Removed::Deleted | Removed::AlreadyGone);
        match self.settings.user_removal_policy {
            RemovalPolicy::Deactivate => Some(done),
            RemovalPolicy::Delete => deleted.then_some(done),
        }
    }

    /// After a step of `key` (its record `before` it): the Genesys users it may have written
    /// to (linked before or after) are no longer as a removal left them; a removal that ended
    /// synced notes its own. Steps of other kinds change nothing here.
    pub(super) fn note_removals(
        &mut self,
        key: &ObjectKey,
        before: Option<&Record>,
        change: &Change,
        outcome: &Outcome,
    ) {
        let removal = self.removal.take();
        if key.kind != GcsyncObjectKind::User {
            return;
        }
        if self.hold.may_have_written() {
            let after = (self.shared.objects).with_status(key, |s| s?.genesys_id.clone());
            self.forget_removed(before.and_then(|r| r.status.genesys_id.as_deref()));
            self.forget_removed(after.as_deref());
        }
        if let (Some((gid, done)), Outcome::Done(true), Change::Remove) = (removal, outcome, change)
        {
            let noted = &self.shared.removed_unchanged;
            noted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(gid, done);
        }
    }

    /// A step may have written to Genesys user `gid`: it is no longer as a removal left it.
    pub(super) fn forget_removed(&self, gid: Option<&str>) {
        if let Some(g) = gid {
            let noted = &self.shared.removed_unchanged;
            noted.lock().unwrap_or_else(|p| p.into_inner()).remove(g);
        }
    }
}
