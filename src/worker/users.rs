//! The user steps of the worker: apply a CIC user change or removal to Genesys Cloud and record
//! the outcome.

use super::{Outcome, Worker};
use crate::clock::unix_now;
use crate::mapping::desired_user;
use crate::object::ObjectKey;
use crate::queue::{Change, Pending, Priority};
use crate::status::{ObjectStatus, SyncState};
use crate::store::UserRecord;
use crate::user_sync;

impl Worker {
    /// Queues every user whose CIC state has not reached Genesys Cloud (Error or Not synced, or a
    /// removal not applied yet). Users whose mapping fails cost no API call when retried.
    pub(super) fn requeue_unsynced_users(&self) {
        let work: Vec<(String, Change)> = {
            let store = self.shared.store.lock();
            store
                .users
                .iter()
                .filter_map(|(id, r)| match (&r.source, &r.status.genesys_id) {
                    (Some(u), _) if r.status.state != SyncState::Synced => Some((
                        id.clone(),
                        Change::UpsertUser {
                            user: u.clone(),
                            force: false,
                        },
                    )),
                    (None, Some(_)) if !r.status.removed => Some((id.clone(), Change::RemoveUser)),
                    _ => None,
                })
                .collect()
        };
        for (id, change) in work {
            if let Err(f) = self
                .shared
                .queue
                .enqueue(ObjectKey::user(id), change, Priority::Normal)
            {
                log::warn!(
                    "could not queue a user after settings change: {}",
                    f.message
                );
            }
        }
    }

    pub(super) fn process_user(&mut self, key: &ObjectKey, pending: &Pending) -> Outcome {
        let (source, force) = match &pending.change {
            Change::UpsertUser { user, force } => (Some(user.clone()), *force),
            Change::RemoveUser => (None, false),
        };
        let record: UserRecord = {
            let mut store = self.shared.store.lock();
            let rec = store.users.entry(key.id.clone()).or_default();
            rec.source = source.clone();
            rec.clone()
        };
        if !self.settings.sync_user_objects {
            let why = match source {
                Some(_) => "Sync User Objects is turned off",
                None => "Sync User Objects is turned off; the removal applies when it is turned on",
            };
            self.set_status(key, |s| {
                s.state = SyncState::NotSynced;
                s.reason = Some(why.into());
            });
            return Outcome::Done;
        }
        match source {
            Some(user) => self.upsert_user(key, &record, &user, force, pending),
            None => self.remove_user(key, &record, pending),
        }
    }

    pub(super) fn upsert_user(
        &mut self,
        key: &ObjectKey,
        record: &UserRecord,
        user: &crate::cic::CicUser,
        force: bool,
        pending: &Pending,
    ) -> Outcome {
        let desired = match desired_user(user) {
            Ok(d) => d,
            Err(e) => {
                self.shared
                    .metrics
                    .set_last_error(format!("user {}: {}", key.id, e.0));
                self.set_status(key, |s| {
                    s.state = SyncState::Error;
                    s.reason = Some(e.0);
                });
                return Outcome::Done;
            }
        };
        let link = record.status.genesys_id.clone().zip(record.origin);
        if !force
            && link.is_some()
            && record.status.state == SyncState::Synced
            && !record.status.removed
            && record.applied.as_ref() == Some(&desired)
        {
            return Outcome::Done;
        }
        let shared = self.shared.clone();
        let owner_of = move |gid: &str| -> Option<String> {
            let store = shared.store.lock();
            store
                .users
                .iter()
                .find(|(_, r)| r.status.genesys_id.as_deref() == Some(gid) && !r.status.removed)
                .map(|(id, _)| id.clone())
        };
        let result = self.with_ctx(|ctx| {
            user_sync::upsert(
                ctx,
                &key.id,
                &desired,
                link.as_ref().map(|(id, o)| (id.as_str(), *o)),
                &owner_of,
            )
        });
        match result {
            Ok(applied) => {
                let mut store = self.shared.store.lock();
                let rec = store.users.entry(key.id.clone()).or_default();
                rec.applied = Some(desired);
                rec.origin = Some(applied.origin);
                rec.status = ObjectStatus {
                    state: SyncState::Synced,
                    last_synchronized: Some(unix_now()),
                    reason: None,
                    genesys_id: Some(applied.genesys_id),
                    removed: false,
                };
                Outcome::Done
            }
            Err(e) => self.failed(key, e, pending),
        }
    }

    pub(super) fn remove_user(
        &mut self,
        key: &ObjectKey,
        record: &UserRecord,
        pending: &Pending,
    ) -> Outcome {
        let Some(gid) = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed)
        else {
            self.set_status(key, |s| {
                s.removed = true;
                s.reason = None;
                if s.state == SyncState::Error {
                    s.state = SyncState::NotSynced;
                }
            });
            return Outcome::Done;
        };
        let result = self.with_ctx(|ctx| user_sync::remove(ctx, &gid));
        match result {
            Ok(()) => {
                log::info!(
                    "CIC user {} removed; Genesys user {gid} {:?}",
                    key.id,
                    self.settings.user_removal_policy
                );
                self.set_status(key, |s| {
                    s.state = SyncState::Synced;
                    s.removed = true;
                    s.reason = None;
                    s.last_synchronized = Some(unix_now());
                });
                let mut store = self.shared.store.lock();
                if let Some(r) = store.users.get_mut(&key.id) {
                    r.applied = None;
                }
                Outcome::Done
            }
            Err(e) => self.failed(key, e, pending),
        }
    }
}
