//! The user steps of the worker: apply a CIC user change or removal to Genesys Cloud and record
//! the outcome.

use super::{Outcome, Worker};
use crate::cic::CicUser;
use crate::clock::unix_now;
use crate::engine::Shared;
use crate::kinds::user::AppliedUser;
use crate::kinds::{Applied, CicObject};
use crate::mapping::desired_user;
use crate::mapping::same_email;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{Intent, Record};
use crate::queue::{Change, Pending};
use crate::status::{ObjectStatus, SyncState};
use crate::store::RowWrite;
use crate::user_sync::{self, Matching, OrgIndex, SyncError, UserOp};

/// How long an org index read for matching unlinked users is used before it is read again.
const ORG_INDEX_TTL: std::time::Duration = std::time::Duration::from_secs(600);

impl Worker {
    /// Whether the intent recorded for `key` may have been followed by a POST: it was sent
    /// in this process, or it comes from an earlier one (unknown).
    pub(super) fn intent_may_have_been_sent(&self, key: &ObjectKey) -> bool {
        let p = self.shared.posted.lock().unwrap_or_else(|p| p.into_inner());
        p.get(key) != Some(&false)
    }

    pub(super) fn linked(
        &self,
        key: &ObjectKey,
        applied: crate::mapping::DesiredUser,
        done: user_sync::Applied,
    ) {
        let (gid, origin) = (done.genesys_id, done.origin);
        let authority = self.settings.full_sync.external_id_authority.clone();
        self.update(key, |r| {
            // The assignments gcsync made stay known, unless the Genesys user is another one
            // or was restored (Genesys keeps none across a soft delete): then none are.
            // So does the external id recorded on it (re-recorded after a restore: whether
            // Genesys keeps it across a soft delete is UNCONFIRMED).
            let ((routing, adding), mut external_id) = match r.applied.take() {
                Some(Applied::User(a))
                    if !done.restored && r.status.genesys_id.as_deref() == Some(gid.as_str()) =>
                {
                    ((a.routing, a.adding), a.external_id)
                }
                _ => Default::default(),
            };
            if done.by_external_id {
                external_id = authority;
            }
            r.applied = Some(Applied::User(AppliedUser {
                desired: applied,
                known: Some(done.known),
                routing,
                adding,
                external_id,
            }));
            r.origin = Some(origin);
            r.intent = None;
            r.status = ObjectStatus {
                state: SyncState::Synced,
                last_synchronized: Some(unix_now()),
                reason: None,
                genesys_id: Some(gid),
                removed: false,
                warnings: std::mem::take(&mut r.status.warnings),
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
                if record.status.warnings != mapped.warnings {
                    self.update(key, |r| r.status.warnings = mapped.warnings);
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
                    r.status.warnings.clear();
                });
                return Outcome::Done(false);
            }
        };
        let link = record.status.genesys_id.clone().zip(record.origin);
        if !force
            && link.is_some()
            && record.status.state == SyncState::Synced
            && !record.status.removed
            && matches!(&record.applied, Some(Applied::User(a)) if a.desired == desired
                && !a.known.as_ref().is_some_and(|k| k.unsure))
            && self.external_id_recorded(record)
        {
            log::debug!(
                "user {}: matches what was last applied; no API call",
                key.id
            );
            return Outcome::Done(true);
        }
        let shared = self.shared.clone();
        let owner_of = move |gid: &str| shared.objects.owner_of(GcsyncObjectKind::User, gid);
        // Only an intent whose create may have been sent says "gcsync created it".
        let intended = record
            .intent
            .as_ref()
            .filter(|_| self.intent_may_have_been_sent(key))
            .map(|i| i.email.clone());
        let for_intent = self.shared.clone();
        let before_create = move |email: &str| record_intent(&for_intent, key, email);
        // A forced check reads the user (what the store says was applied is not trusted);
        // otherwise an update with the known version is one PATCH.
        // An unsure version (a write given up unanswered) is still used for a PATCH of what
        // changed, but with nothing changed the user is read rather than left alone.
        let last = match (&record.applied, force) {
            (Some(Applied::User(a)), false) => a
                .known
                .as_ref()
                .filter(|k| !(k.unsure && a.desired == desired))
                .map(|k| (&a.desired, k)),
            _ => None,
        };
        let index = match link {
            None => self.org_index(key),
            Some(_) => None,
        };
        // A create that may have happened before a restart is looked for first (one search),
        // rather than POSTed again to learn from the conflict (three calls).
        let matching = match (index.as_deref(), &intended) {
            (Some(index), _) => Matching::Index(index),
            (None, Some(_)) => Matching::SearchFirst,
            (None, None) => Matching::PostFirst,
        };
        let authority = self.settings.full_sync.external_id_authority.clone();
        let op = UserOp {
            cic_id: &key.id,
            desired: &desired,
            link: link.as_ref().map(|(id, o)| (id.as_str(), *o)),
            last,
            matching,
            owner_of: &owner_of,
            intended: intended.as_deref(),
            before_create: &before_create,
            by_external: authority.as_deref(),
        };
        match self.with_ctx(|ctx| user_sync::sync_user(ctx, &op)) {
            Ok(applied) => {
                // Restored from a soft delete, linked to another Genesys user, or back in CIC
                // after a removal: the user's queue memberships are applied again.
                let relinked = applied.restored
                    || record.status.removed
                    || record
                        .status
                        .genesys_id
                        .as_deref()
                        .is_some_and(|g| g != applied.genesys_id);
                self.linked(key, desired, applied);
                if relinked {
                    self.requeue_memberships(key);
                }
                match self.record_external_id(key) {
                    Ok(()) => Outcome::Done(true),
                    Err(e) => self.failed(key, e, pending),
                }
            }
            Err(e) => self.failed(key, e, pending),
        }
    }

    /// The org's users read once, when enough unlinked users wait that matching them against
    /// it costs fewer calls than a POST (and a conflict) each (`org_index_threshold`,
    /// [`user_sync::should_read_org`]); `None`: POST first. Kept for [`ORG_INDEX_TTL`] and
    /// shared by the workers; its entries going stale is safe (a stale version is a 409 and a
    /// re-read, a missed email a POST whose conflict finds the holder).
    fn org_index(&mut self, key: &ObjectKey) -> Option<std::sync::Arc<OrgIndex>> {
        let shared = self.shared.clone();
        let mut slot = shared.org_index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, index)) = &slot.current {
            if at.elapsed() < ORG_INDEX_TTL {
                return Some(index.clone());
            }
        }
        let threshold = self.settings.org_index_threshold;
        if threshold == 0 {
            return None;
        }
        let unlinked_user = |k: &ObjectKey, c: &Change| {
            k != key
                && matches!(
                    c,
                    Change::Upsert {
                        object: CicObject::User(_),
                        ..
                    }
                )
                && shared
                    .objects
                    .with_status(k, |s| s.and_then(|s| s.genesys_id.as_ref()).is_none())
        };
        let waiting = 1 + shared
            .queue
            .peek_waiting(threshold as usize, unlinked_user)
            .len();
        if !user_sync::should_read_org(waiting, slot.org_size, threshold) {
            return None;
        }
        log::info!("{waiting}+ users to link: reading the org's users once to match them by email");
        match self.with_ctx(|ctx| OrgIndex::read(ctx.client).map_err(SyncError::from)) {
            Ok(index) => {
                log::info!(
                    "read {} Genesys users in {} call(s)",
                    index.len(),
                    index.calls()
                );
                let mut index = index;
                // Genesys ids are GUIDs: the ids linked by any object will do.
                let linked: std::collections::HashSet<String> = shared
                    .objects
                    .statuses(|s| s.genesys_id.is_some() && !s.removed)
                    .into_iter()
                    .filter_map(|(_, s)| s.genesys_id)
                    .collect();
                index.mark_owned(&|gid| linked.contains(gid));
                let index = std::sync::Arc::new(index);
                slot.org_size = Some(index.len());
                slot.current = Some((std::time::Instant::now(), index.clone()));
                Some(index)
            }
            Err(e) => {
                log::warn!("could not read the org's users ({e}); creating users one by one");
                None
            }
        }
    }
}

/// How many create intents are recorded in one durable commit: the one needed now, plus those
/// of other new users already waiting, so that an initial sync pays one fsync per batch of
/// creates rather than one per user.
const INTENT_BATCH: usize = 64;

/// Records durably that a create for `email` is about to be sent (unless an intent for that
/// email is already durable), so a restart after a crash between the POST and the outcome's
/// commit looks for the user instead of creating another. Intents for up to
/// [`INTENT_BATCH`] other waiting new users ride along in the same commit. `shared.posted`
/// learns which objects had a POST sent in this process.
fn record_intent(shared: &Shared, key: &ObjectKey, email: &str) -> Result<(), SyncError> {
    let posted = &shared.posted;
    let covered = shared.objects.with_record(key, |r| {
        r.and_then(|r| r.intent.as_ref())
            .is_some_and(|i| same_email(&i.email, email))
    });
    if !covered {
        let now = unix_now();
        let intent = |email: &str| Intent {
            op: "create".into(),
            email: email.to_string(),
            at: now,
        };
        // Other waiting users' intents: another worker may take one of them and record its
        // outcome before this commit, so they carry only the intent (never a copy of a record
        // that may be stale by the time the writer has it).
        let mut others = Vec::new();
        // Lock order: `posted`, then the queue (nothing takes them the other way round).
        let upcoming = {
            let known = posted.lock().unwrap_or_else(|p| p.into_inner());
            let new_user = |k: &ObjectKey, c: &Change| {
                matches!(
                    c,
                    Change::Upsert {
                        object: CicObject::User(_),
                        ..
                    }
                ) && k != key
                    && !known.contains_key(k)
            };
            shared.queue.peek_waiting(INTENT_BATCH * 2, new_user)
        };
        for (k, change) in upcoming {
            if others.len() >= INTENT_BATCH {
                break;
            }
            let Change::Upsert {
                object: CicObject::User(user),
                ..
            } = &*change
            else {
                continue;
            };
            let Some(e) = user
                .business_email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
            else {
                continue;
            };
            let linked_or_intended = shared.objects.with_record(&k, |r| {
                r.is_some_and(|r| r.status.genesys_id.is_some() || r.intent.is_some())
            });
            if linked_or_intended || k == *key {
                continue;
            }
            others.push((k, intent(e)));
        }
        let mut own = shared.objects.get(key).unwrap_or_default();
        own.intent = Some(intent(email));
        shared.persist_intents(others.clone());
        shared
            .persist_durably(RowWrite {
                key: key.clone(),
                record: Some(own.clone()),
                done_seq: None,
            })
            .map_err(|f| {
                SyncError::Transient(format!(
                    "cannot record the create in the data directory ({}); will retry",
                    f.message
                ))
            })?;
        // Durable now: remember the intents (the worker is the only writer of records).
        let mut p = posted.lock().unwrap_or_else(|p| p.into_inner());
        for (k, i) in others
            .into_iter()
            .chain([(key.clone(), own.intent.unwrap())])
        {
            p.entry(k.clone()).or_insert(false);
            // Another worker may have linked it meanwhile: a linked object needs no intent.
            shared.objects.change(&k, |x| {
                if x.status.genesys_id.is_none() {
                    x.intent = Some(i)
                }
            });
        }
    }
    posted
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key.clone(), true);
    Ok(())
}
