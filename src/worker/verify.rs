//! Forced checks of linked users in bulk (Force Complete Sync): the worker takes up to
//! [`VERIFY_BATCH`] waiting forced checks at once, reads them 100 a call by id and writes only
//! to the users that differ. N unchanged users cost ⌈N/100⌉ calls and no write.

use super::Worker;
use crate::engine::Shared;
use crate::kinds::CicObject;
use crate::mapping::desired_user;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::Record;
use crate::queue::{Change, Pending};
use crate::user_sync::{self, SyncError, Verdict};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// How many forced checks one batch takes (the users-by-id read takes 100 a call).
pub const VERIFY_BATCH: usize = 100;

/// One forced check in a batch.
struct Check {
    key: ObjectKey,
    pending: Pending,
    before: Option<Record>,
    desired: crate::mapping::DesiredUser,
    gid: String,
    /// The CIC user (its skills are verified after the user).
    user: crate::cic::CicUser,
}

/// A forced check of a user linked to a Genesys user that is not removed.
fn forced_check_of_linked_user(shared: &Shared, key: &ObjectKey, change: &Change) -> bool {
    let forced_user = matches!(
        change,
        Change::Upsert {
            object: CicObject::User(_),
            force: true
        }
    );
    forced_user
        && shared.objects.with_status(key, |s| {
            s.is_some_and(|s| s.genesys_id.is_some() && !s.removed)
        })
}

impl Worker {
    /// Whether `change` of `key` is a forced check of a linked user that a batch can verify:
    /// users are synced, and the user is linked and not removed.
    pub(super) fn is_forced_check(&self, key: &ObjectKey, change: &Change) -> bool {
        self.settings.sync_user_objects && forced_check_of_linked_user(&self.shared, key, change)
    }

    /// Verifies `key` with up to [`VERIFY_BATCH`] - 1 other waiting forced checks, and reports
    /// on each. A user whose mapping fails, or that is missing from the org, goes through the
    /// one-user steps.
    pub(super) fn verify_batch(&mut self, key: ObjectKey, pending: Pending) {
        let shared = self.shared.clone();
        let mut taken = vec![(key, pending)];
        taken.extend(
            shared
                .queue
                .take_waiting(self.slot, VERIFY_BATCH - 1, |k, c| {
                    forced_check_of_linked_user(&shared, k, c)
                }),
        );
        let mut checks = Vec::with_capacity(taken.len());
        for (key, pending) in taken {
            match self.prepare_check(key, pending) {
                Ok(c) => checks.push(c),
                Err((key, pending)) => self.process_alone(key, pending),
            }
        }
        if checks.is_empty() {
            return;
        }
        let pairs: Vec<(String, crate::mapping::DesiredUser)> = checks
            .iter()
            .map(|c| (c.gid.clone(), c.desired.clone()))
            .collect();
        let verdicts = self.with_ctx(|ctx| {
            let refs: Vec<(&str, &crate::mapping::DesiredUser)> =
                pairs.iter().map(|(g, d)| (g.as_str(), d)).collect();
            user_sync::verify_users(ctx.client, &refs).map_err(SyncError::from)
        });
        log::debug!("verified {} user(s) in bulk", checks.len());
        match verdicts {
            Ok(verdicts) => {
                for (check, verdict) in checks.into_iter().zip(verdicts) {
                    self.settle_check(check, verdict);
                }
            }
            Err(e) => {
                for c in checks {
                    let outcome = self.failed(&c.key, e.clone(), &c.pending);
                    self.report(c.key, c.pending, c.before, outcome);
                }
            }
        }
    }

    /// Records the CIC data the check was queued with and maps it; `Err` hands it back for the
    /// one-user steps (mapping failed: they report the error).
    fn prepare_check(
        &mut self,
        key: ObjectKey,
        pending: Pending,
    ) -> Result<Check, (ObjectKey, Pending)> {
        let Change::Upsert {
            object: object @ CicObject::User(user),
            ..
        } = &*pending.change
        else {
            return Err((key, pending));
        };
        let mapped = desired_user(user, self.settings.default_country_code.as_deref());
        let before = self.shared.objects.get(&key);
        let gid = before.as_ref().and_then(|r| r.status.genesys_id.clone());
        match (mapped, gid) {
            (Ok(m), Some(gid)) => {
                for w in self.shared.metrics.new_warnings(&key, &m.warnings) {
                    log::warn!("user {}: {w}", key.id);
                }
                let source = Arc::new(object.clone());
                self.update(&key, |r| {
                    r.source = Some(source);
                    r.status.warnings = m.warnings;
                });
                let user = user.clone();
                Ok(Check {
                    key,
                    pending,
                    before,
                    desired: m.user,
                    gid,
                    user,
                })
            }
            _ => Err((key, pending)),
        }
    }

    /// The one-user steps for a taken change, guarded and reported.
    fn process_alone(&mut self, key: ObjectKey, pending: Pending) {
        let before = self.shared.objects.get(&key);
        let outcome = match catch_unwind(AssertUnwindSafe(|| self.process(&key, &pending))) {
            Ok(o) => o,
            Err(_) => self.panicked(&key, &pending),
        };
        self.note_removals(&key, before.as_ref(), &pending.change, &outcome);
        self.report(key, pending, before, outcome);
    }

    /// Applies one verdict: nothing to write, the PATCH of what differs, or the one-user steps
    /// for a user missing from the org (restored or created again).
    fn settle_check(&mut self, c: Check, verdict: Verdict) {
        let origin = c.before.as_ref().and_then(|r| r.origin);
        let known = match verdict {
            Verdict::Missing { .. } => return self.process_alone(c.key, c.pending),
            Verdict::Unchanged { known } => Ok(known),
            patch @ Verdict::PatchNeeded { .. } => {
                self.forget_removed(Some(&c.gid));
                let desired = c.desired.clone();
                let fixed = catch_unwind(AssertUnwindSafe(|| {
                    self.with_ctx(|ctx| user_sync::fix_verified(ctx, &desired, patch))
                }));
                match fixed {
                    Ok(r) => r,
                    Err(_) => {
                        let outcome = self.panicked(&c.key, &c.pending);
                        return self.report(c.key, c.pending, c.before, outcome);
                    }
                }
            }
        };
        let outcome = match (known, origin) {
            (Ok(known), Some(origin)) => {
                let done = user_sync::Applied {
                    genesys_id: c.gid,
                    origin,
                    known,
                    restored: false,
                    by_external_id: false,
                };
                self.linked(&c.key, c.desired, done);
                // Its external id (once) and its skills and languages, as a forced sync of the
                // user does.
                match self.record_external_id(&c.key) {
                    Ok(()) => self.sync_user_routing(&c.key, &c.user, true, &c.pending),
                    Err(e) => self.failed(&c.key, e, &c.pending),
                }
            }
            (Ok(_), None) => return self.process_alone(c.key, c.pending),
            (Err(e), _) => self.failed(&c.key, e, &c.pending),
        };
        log::debug!(
            "{} {}: verified against Genesys Cloud",
            GcsyncObjectKind::User.name(),
            c.key.id
        );
        self.report(c.key, c.pending, c.before, outcome);
    }
}
