//! The user steps of the worker: apply a CIC user change or removal to Genesys Cloud and record
//! the outcome.

use super::{Outcome, Worker};
use crate::cic::CicUser;
use crate::clock::unix_now;
use crate::engine::Shared;
use crate::mapping::desired_user;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{Intent, Origin, Record};
use crate::queue::{Change, Pending, Priority};
use crate::status::{ObjectStatus, SyncState};
use crate::store::RowWrite;
use crate::user_sync::{self, SyncError};
use std::sync::Arc;

impl Worker {
    /// Queues every object whose CIC state has not reached Genesys Cloud (Error or Not synced,
    /// or a removal not applied yet). Users whose mapping fails cost no API call when retried.
    pub(super) fn requeue_unsynced(&self) {
        let work = self.shared.objects.select(|r| {
            (r.source.is_some() && r.status.state != SyncState::Synced)
                || (r.source.is_none() && r.status.genesys_id.is_some() && !r.status.removed)
        });
        for (key, r) in work {
            let change = match &r.source {
                Some(u) => Change::UpsertUser {
                    user: (**u).clone(),
                    force: false,
                },
                None => Change::RemoveUser,
            };
            if let Err(f) = self.shared.queue.enqueue(key, change, Priority::Normal) {
                log::warn!(
                    "could not queue an object after a settings change: {}",
                    f.message
                );
            }
        }
    }

    pub(super) fn process_user(&mut self, key: &ObjectKey, pending: &Pending) -> Outcome {
        let (source, force) = match &*pending.change {
            Change::UpsertUser { user, force } => (Some(Arc::new(user.clone())), *force),
            Change::RemoveUser => (None, false),
        };
        let record = self.update(key, |r| r.source = source.clone());
        if !self.settings.sync_user_objects {
            log::debug!("user {}: not synced: Sync User Objects is off", key.id);
            let why = match source {
                Some(_) => "Sync User Objects is turned off",
                None => "Sync User Objects is turned off; the removal applies when it is turned on",
            };
            self.update(key, |r| {
                r.status.state = SyncState::NotSynced;
                r.status.reason = Some(why.into());
            });
            return Outcome::Done(false);
        }
        match source {
            Some(user) => self.upsert_user(key, &record, &user, force, pending),
            None => self.remove_user(key, &record, pending),
        }
    }

    fn linked(
        &self,
        key: &ObjectKey,
        applied: crate::mapping::DesiredUser,
        gid: String,
        origin: Origin,
    ) {
        self.update(key, |r| {
            r.applied = Some(applied);
            r.origin = Some(origin);
            r.intent = None;
            r.status = ObjectStatus {
                state: SyncState::Synced,
                last_synchronized: Some(unix_now()),
                reason: None,
                genesys_id: Some(gid),
                removed: false,
            };
        });
    }

    pub(super) fn upsert_user(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        user: &CicUser,
        force: bool,
        pending: &Pending,
    ) -> Outcome {
        let desired = match desired_user(user, self.settings.default_country_code.as_deref()) {
            Ok(mapped) => {
                // What had to be left out is logged once per object and text.
                for w in self.shared.metrics.new_warnings(key, &mapped.warnings) {
                    log::warn!("user {}: {w}", key.id);
                }
                mapped.user
            }
            Err(e) => {
                // Logged once per object and reason: a repeated event with the same problem
                // (or a retry after new settings) adds no line.
                if record.status.state != SyncState::Error
                    || record.status.reason.as_deref() != Some(e.0.as_str())
                {
                    log::warn!("user {}: not synced: {}", key.id, e.0);
                }
                self.shared.metrics.set_last_error(Some(key), e.0.clone());
                self.update(key, |r| {
                    r.status.state = SyncState::Error;
                    r.status.reason = Some(e.0);
                });
                return Outcome::Done(false);
            }
        };
        let link = record.status.genesys_id.clone().zip(record.origin);
        if !force
            && link.is_some()
            && record.status.state == SyncState::Synced
            && !record.status.removed
            && record.applied.as_ref() == Some(&desired)
        {
            log::debug!(
                "user {}: matches what was last applied; no API call",
                key.id
            );
            return Outcome::Done(true);
        }
        let shared = self.shared.clone();
        let owner_of = move |gid: &str| shared.objects.owner_of(GcsyncObjectKind::User, gid);
        let intended = record.intent.as_ref().map(|i| i.email.clone());
        let for_intent = self.shared.clone();
        let before_create = move |email: &str| record_intent(&for_intent, key, email);
        let result = self.with_ctx(|ctx| {
            user_sync::upsert(
                ctx,
                &key.id,
                &desired,
                link.as_ref().map(|(id, o)| (id.as_str(), *o)),
                &owner_of,
                intended.as_deref(),
                &before_create,
            )
        });
        match result {
            Ok(applied) => {
                self.linked(key, desired, applied.genesys_id, applied.origin);
                Outcome::Done(true)
            }
            Err(e) => self.failed(key, e, pending),
        }
    }

    pub(super) fn remove_user(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        pending: &Pending,
    ) -> Outcome {
        let mut gid = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed);
        if gid.is_none() && !record.status.removed {
            if let Some(intent) = record.intent.clone() {
                // A create may have reached Genesys Cloud before a crash: find it before
                // concluding there is nothing to remove.
                match self.with_ctx(|ctx| user_sync::find_created(ctx, &intent)) {
                    Ok(Some(found)) => {
                        log::info!(
                            "linked Genesys user {found} to CIC user {} (created before a restart)",
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
        match self.with_ctx(|ctx| user_sync::remove(ctx, &gid)) {
            Ok(done) => {
                log::info!(
                    "CIC user {} was deleted; Genesys user {gid} {}",
                    key.id,
                    done.describe()
                );
                self.update(key, |r| {
                    r.status.state = SyncState::Synced;
                    r.status.removed = true;
                    r.status.reason = None;
                    r.status.last_synchronized = Some(unix_now());
                    r.applied = None;
                });
                Outcome::Done(true)
            }
            Err(e) => self.failed(key, e, pending),
        }
    }
}

/// Records durably that a create for `email` is about to be sent, so a restart after a crash
/// between the POST and the outcome's commit looks for the user instead of creating another.
fn record_intent(shared: &Shared, key: &ObjectKey, email: &str) -> Result<(), SyncError> {
    let rec = shared.objects.update(key, |r| {
        r.intent = Some(Intent {
            op: "create".into(),
            email: email.to_string(),
            at: unix_now(),
        })
    });
    shared
        .persist_durably(RowWrite {
            key: key.clone(),
            record: Some(rec),
            done_seq: None,
        })
        .map_err(|f| {
            SyncError::Transient(format!(
                "cannot record the create in the data directory ({}); will retry",
                f.message
            ))
        })
}
