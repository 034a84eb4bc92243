//! The workgroup steps of the worker: a CIC workgroup → a Genesys Cloud queue, its members (the
//! members' users, once they are synced) and its wrap-up codes (once they are synced). The
//! planning is pure ([`crate::kinds::workgroup::plan`]); this file does the calls and records
//! the outcome. Also the re-queuing that keeps other objects right when a workgroup or a user
//! changes (inherited skills, memberships of a restored user).

use super::queue_intents::{created_queue, record_create_intent, save_intent};
use super::queue_steps::{sync_queue, Progress};
use super::{Outcome, Worker};
use crate::clock::unix_now;
use crate::genesys::queues;
use crate::kinds::skill::take_superseded_grantees;
use crate::kinds::workgroup::plan::{self, Resolved};
use crate::kinds::workgroup::AppliedQueue;
use crate::kinds::{Applied, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{Origin, Record};
use crate::payloads::CicWorkgroup;
use crate::queue::{Change, Pending};
use crate::status::SyncState;
use crate::user_sync::SyncError;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Genesys names being created or renamed at this moment, per kind (lower case) → the CIC id
/// doing it: with several workers, two CIC objects of one name must not both pass the
/// duplicate check before either is linked (both would adopt one Genesys object).
static NAME_CLAIMS: Mutex<BTreeMap<(GcsyncObjectKind, String), String>> =
    Mutex::new(BTreeMap::new());

/// Holds a name claim until dropped.
pub(super) struct NameClaim((GcsyncObjectKind, String));

impl Drop for NameClaim {
    fn drop(&mut self) {
        NAME_CLAIMS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

/// Claims `name` for `key` while it syncs; `Err` names the CIC object holding it.
pub(super) fn claim_name(key: &ObjectKey, name: &str) -> Result<NameClaim, SyncError> {
    let k = (key.kind, name.to_lowercase());
    let mut g = NAME_CLAIMS.lock().unwrap_or_else(|p| p.into_inner());
    match g.get(&k) {
        Some(holder) if *holder != key.id => Err(SyncError::Transient(format!(
            "{} {holder} with the same name is being synced at this moment; will retry",
            key.kind.name()
        ))),
        _ => {
            g.insert(k.clone(), key.id.clone());
            Ok(NameClaim(k))
        }
    }
}

/// The Genesys object `record` is linked to and how, unless it was removed.
pub(super) fn live_link(record: &Record) -> Option<(String, crate::objects::Origin)> {
    let gid = record.status.genesys_id.clone();
    gid.filter(|_| !record.status.removed).zip(record.origin)
}

/// The workgroup data processed before, when `p` is one.
pub(super) fn previous(p: Option<&CicObject>) -> Option<&CicWorkgroup> {
    match p {
        Some(CicObject::Workgroup(w)) => Some(w),
        _ => None,
    }
}

impl Worker {
    /// The Genesys id of `key` when it is linked and not removed (what a workgroup may
    /// reference), else `None`. A linked object whose latest change failed still exists in
    /// Genesys: its queue memberships stay.
    pub(super) fn ready_id(&self, key: &ObjectKey) -> Option<String> {
        let status = self.shared.objects.status(key)?;
        status.genesys_id.filter(|_| !status.removed)
    }

    pub(super) fn upsert_workgroup(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        before: Option<&CicWorkgroup>,
        wg: &CicWorkgroup,
        force: bool,
        pending: &Pending,
    ) -> Outcome {
        let empty = empty_like(wg);
        let mut users = plan::affected_users(before.unwrap_or(&empty), wg);
        users.extend(take_superseded_grantees(&self.shared, key));
        self.after_step.extend(users);
        let members = plan::resolve(GcsyncObjectKind::User, &wg.members, |k| self.ready_id(k));
        let codes = plan::resolve(GcsyncObjectKind::WrapupCode, &wg.wrapup_codes, |k| {
            self.ready_id(k)
        });
        let applied = match &record.applied {
            Some(Applied::Workgroup(a)) => a.clone(),
            _ => AppliedQueue::default(),
        };
        let link = live_link(record);
        if !force
            && link.is_some()
            && record.status.state != SyncState::Error
            && !applied.adding()
            && applied.name == wg.id
            && applied.members == members.ids()
            && applied.wrapup_codes == codes.ids()
        {
            log::debug!(
                "workgroup {}: matches what was last applied; no API call",
                key.id
            );
            return self.settle_workgroup(key, &members, &codes);
        }
        if let Some(other) = self.same_name_workgroup(key, &wg.id) {
            return self.duplicate_name(
                key,
                &format!(
                "duplicate name: workgroup {other} already syncs to the Genesys Cloud queue named \
                 '{}' (queue names are unique regardless of case); rename one of them in CIC",
                wg.id
            ),
            );
        }
        let _claim = match claim_name(key, &wg.id) {
            Ok(c) => c,
            Err(e) => return self.failed(key, e, pending),
        };
        let division = self.settings.division_id.clone();
        let shared = self.shared.clone();
        let owner_of = move |gid: &str| shared.objects.owner_of(GcsyncObjectKind::Workgroup, gid);
        let prior = before.map(|b| Arc::new(CicObject::Workgroup(b.clone())));
        let (shared, ahead) = (self.shared.clone(), prior.clone());
        let save = move |queue: &(String, Origin), applied: &AppliedQueue| {
            save_intent(&shared, key, ahead.clone(), queue, applied)
        };
        let shared = self.shared.clone();
        let before_create = move || record_create_intent(&shared, key, prior.clone());
        let mut progress = Progress {
            created_before: link.is_none() && record.intent.is_some(),
            queue: link,
            applied,
            faults: Vec::new(),
            save: &save,
            before_create: &before_create,
        };
        let result = self.with_ctx(|ctx| {
            sync_queue(
                ctx,
                &wg.id,
                division.as_deref(),
                force,
                &owner_of,
                (&members, &codes),
                &mut progress,
            )
        });
        let Progress {
            queue,
            applied,
            faults,
            ..
        } = progress;
        self.update(key, |r| {
            r.status.genesys_id = queue.as_ref().map(|(id, _)| id.clone());
            r.origin = queue.as_ref().map(|(_, o)| *o);
            r.status.removed = false;
            r.applied = queue.as_ref().map(|_| Applied::Workgroup(applied));
            if queue.is_some() {
                r.intent = None;
            }
        });
        match result {
            Ok(()) if faults.is_empty() => self.settle_workgroup(key, &members, &codes),
            Ok(()) => {
                let text = faults.join("; ");
                log::warn!("workgroup {}: {text}", key.id);
                self.shared.metrics.set_last_error(Some(key), text.clone());
                self.update(key, |r| {
                    r.status.state = SyncState::Error;
                    r.status.reason = Some(text);
                });
                Outcome::Done(false)
            }
            Err(e) => self.failed(key, e, pending),
        }
    }

    /// The queue holds what it can: Synced, or waiting for the members' users and the codes
    /// not synced yet (Not synced, "waiting for user jdoe"; queued again when they are).
    fn settle_workgroup(
        &mut self,
        key: &ObjectKey,
        members: &Resolved,
        codes: &Resolved,
    ) -> Outcome {
        let needed: Vec<ObjectKey> = members
            .waiting
            .iter()
            .chain(&codes.waiting)
            .cloned()
            .collect();
        if !needed.is_empty() {
            return self.wait_for(key, &needed);
        }
        self.update(key, |r| {
            r.status.state = SyncState::Synced;
            r.status.reason = None;
            r.status.last_synchronized = Some(unix_now());
        });
        Outcome::Done(true)
    }

    /// Ends an object in Error for a name another object of its kind already syncs to.
    pub(super) fn duplicate_name(&mut self, key: &ObjectKey, text: &str) -> Outcome {
        log::warn!("{} {}: {text}", key.kind.name(), key.id);
        self.shared
            .metrics
            .set_last_error(Some(key), text.to_string());
        self.update(key, |r| {
            r.status.state = SyncState::Error;
            r.status.reason = Some(text.to_string());
        });
        Outcome::Done(false)
    }

    /// Another linked workgroup whose queue name equals `name` ignoring case.
    fn same_name_workgroup(&self, key: &ObjectKey, name: &str) -> Option<String> {
        let lower = name.to_lowercase();
        let mine = key.id.as_str();
        let found = self.shared.objects.linked_where(GcsyncObjectKind::Workgroup, |o| {
            matches!(o, CicObject::Workgroup(w) if w.id != mine && w.id.to_lowercase() == lower)
        });
        found.into_iter().map(|k| k.id).min()
    }

    pub(super) fn remove_workgroup(
        &mut self,
        key: &ObjectKey,
        record: &Record,
        before: Option<&CicWorkgroup>,
        pending: &Pending,
    ) -> Outcome {
        let mut users = before.map_or_else(Vec::new, |b| plan::affected_users(b, &empty_like(b)));
        users.extend(take_superseded_grantees(&self.shared, key));
        self.after_step.extend(users);
        let mut gid = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed);
        if gid.is_none() && record.intent.is_some() {
            // A create recorded before a crash may have made the queue: find it by its name.
            let shared = self.shared.clone();
            let owner = move |q: &str| shared.objects.owner_of(GcsyncObjectKind::Workgroup, q);
            match self.with_ctx(|ctx| created_queue(ctx, &key.id, &owner)) {
                Ok(found) => {
                    // Deleting it is the removal of a linked queue (Synced, removed).
                    let link = found.clone();
                    self.update(key, |r| r.status.genesys_id = link);
                    gid = found;
                }
                Err(e) => return self.failed(key, e, pending),
            }
        }
        if let Some(gid) = gid {
            match self.with_ctx(|ctx| queues::delete(ctx.client, &gid).map_err(Into::into)) {
                Ok(true) => log::info!("CIC workgroup {} was deleted; queue {gid} deleted", key.id),
                Ok(false) => log::info!(
                    "CIC workgroup {} was deleted; queue {gid} no longer existed",
                    key.id
                ),
                Err(e) => return self.failed(key, e, pending),
            }
        }
        self.mark_removed(key);
        self.update(key, |r| r.intent = None);
        Outcome::Done(true)
    }

    /// Records a CIC deletion as applied (Synced and removed when the object was linked).
    pub(super) fn mark_removed(&self, key: &ObjectKey) {
        self.update(key, |r| {
            if r.status.genesys_id.is_some() {
                r.status.state = SyncState::Synced;
                r.status.last_synchronized = Some(unix_now());
            } else if r.status.state == SyncState::Error {
                r.status.state = SyncState::NotSynced;
            }
            r.status.removed = true;
            r.status.reason = None;
            r.applied = None;
        });
    }

    /// Queues again the users a workgroup's step noted in `after_step` (whose inherited skills
    /// it changes, and the members of versions replaced or given up), each once (a user both
    /// affected by the change and a member of a replaced version must not be queued twice: a
    /// worker may take it between the two). Called once the step has ended
    /// (`kinds::skill::grants_step_ended`), so their steps do not run beside it and see its
    /// version as not processed (which would name the workgroup in their warnings and cost
    /// each a second step once it ends).
    pub(super) fn requeue_after_step(&mut self) {
        let mut users = std::mem::take(&mut self.after_step);
        users.sort_unstable();
        users.dedup();
        self.requeue_users(&users);
    }

    /// Queues again (as CIC last said them) the users whose inherited skills changed.
    fn requeue_users(&self, ids: &[String]) {
        for id in ids {
            self.requeue(&ObjectKey::user(id.as_str()), false);
        }
    }

    /// Queues again, forced, every linked workgroup that has `user` as a member: Genesys
    /// dropped (or never had) the user's memberships.
    pub(super) fn requeue_memberships(&self, user: &ObjectKey) {
        let id = user.id.as_str();
        let groups = self.shared.objects.linked_where(
            GcsyncObjectKind::Workgroup,
            |o| matches!(o, CicObject::Workgroup(w) if w.members.iter().any(|m| m == id)),
        );
        for k in groups {
            log::info!(
                "user {id} was restored or linked again; queue memberships of workgroup {} are applied again",
                k.id
            );
            self.requeue(&k, true);
        }
    }

    /// Queues an object again with what CIC last said of it (nothing for an unknown one or one
    /// CIC deleted).
    pub(super) fn requeue(&self, key: &ObjectKey, force: bool) {
        let Some(r) = self.shared.objects.get(key) else {
            return;
        };
        let Some(object) = r.source.as_deref() else {
            return;
        };
        let change = Change::Upsert {
            object: object.clone(),
            force,
        };
        let priority = crate::kinds::priority(key.kind);
        if let Err(f) = self
            .shared
            .queue
            .requeue(key.clone(), change, priority, force)
        {
            log::warn!(
                "could not queue {} {} again: {}",
                key.kind.name(),
                key.id,
                f.message
            );
        }
    }
}

/// A workgroup with `w`'s id and nothing else (before it existed, after it is deleted).
fn empty_like(w: &CicWorkgroup) -> CicWorkgroup {
    CicWorkgroup {
        id: w.id.clone(),
        members: Vec::new(),
        skills: Vec::new(),
        wrapup_codes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_claimed_by_one_object_of_a_kind_at_a_time() {
        let (a, b) = (ObjectKey::wrapup_code("W1"), ObjectKey::wrapup_code("W2"));
        let held = claim_name(&a, "Sold").unwrap();
        let e = claim_name(&b, "SOLD").err().unwrap();
        assert!(
            e.is_transient() && e.to_string().contains("wrapup_code W1"),
            "{e}"
        );
        // Another kind, or the holder itself, is not refused.
        drop(claim_name(&ObjectKey::workgroup("Sold"), "Sold").unwrap());
        drop(held);
        let again = claim_name(&b, "Sold");
        assert!(again.is_ok(), "released when the holder is done");
    }
}
