//! A user's skills and languages, a facet of the user: after the user itself is synced, its
//! effective skills are compared with what gcsync last applied and written with the bulk
//! endpoints; nothing differs, nothing is sent. While a skill the user has is on its way (sent by
//! CIC, not synced yet) the assignments wait, so they are written once rather than once per
//! skill; a skill that cannot be synced (unknown, Error, deleted) does not hold them back. Either
//! way the user's warnings name the skill and it is queued again the moment the skill is synced.

use super::item_faults::ItemFaults;
use super::{record_ahead, settle_read, Outcome, Planned, Worker};
use crate::assignments::{bulk_max, plan_languages, plan_skills, skills_need_read, Ops};
use crate::batch::run_bulk;
use crate::cic::CicUser;
use crate::genesys::skills::{self as api, Category};
use crate::genesys::users;
use crate::genesys::ApiError;
use crate::kinds::skill::{advanced_disabled, desired_routing, requeue_users_for_skills};
use crate::kinds::skill::{inherited_note, noted_processed};
use crate::kinds::skill::{skill_state, DesiredRouting, SkillState};
use crate::kinds::Applied;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::{Origin, Record, ASSIGNED_WHEN_SYNCED};
use crate::queue::Pending;
use crate::user_sync::{Ctx, SyncError};
use std::collections::BTreeMap;

/// Runs one category's operations, recording in `now` each assignment that is in place
/// afterwards. An entry Genesys refuses (400, or 404 while the user exists) becomes a warning (`name` gives the CIC skill of
/// a Genesys id) and the others still go; any other failure stops here.
#[allow(clippy::too_many_arguments)]
pub(crate) fn execute(
    ctx: &mut Ctx,
    cat: Category,
    user: &str,
    ops: &Ops,
    want: &BTreeMap<String, u8>,
    now: &mut BTreeMap<String, u8>,
    warnings: &mut Vec<String>,
    name: &dyn Fn(&str) -> String,
) -> Result<(), SyncError> {
    if let Some(first) = &ops.replace {
        api::replace_skills(ctx.client, user, first)?;
        // Genesys holds exactly `first` now; gcsync made those of it that it wants.
        now.clear();
        now.extend(
            first
                .iter()
                .filter(|(id, _)| want.contains_key(id))
                .cloned(),
        );
    }
    // A 404 names the user or a skill gone from Genesys: the user is read once to tell.
    let client = ctx.client;
    let check = ItemFaults::new(format!("user {user}"), || {
        users::get(client, user, false).map(|u| u.is_some())
    });
    let item_fault = |e: &ApiError| check.is_item_fault(e);
    let results = run_bulk(&ops.upsert, bulk_max(), item_fault, &mut |items| {
        api::patch_bulk(client, cat, user, items)
    });
    for ((id, v), r) in ops.upsert.iter().zip(results) {
        match r {
            Ok(()) => {
                now.insert(id.clone(), *v);
            }
            Err(e) if item_fault(&e) => {
                warnings.push(format!("{} {}: not assigned: {e}", cat.name(), name(id)));
            }
            Err(e) => return Err(e.into()),
        }
    }
    for id in &ops.remove {
        api::unassign(ctx.client, cat, user, id)?;
        now.remove(id);
    }
    Ok(())
}

impl Worker {
    /// Whether the assignment step after a user step is a forced check: as the change says,
    /// except for a user this very step created (`before` unlinked, now `Created`), which holds
    /// no assignment yet, so there is nothing to read (a full sync's creates are forced).
    pub(super) fn routing_force(&self, key: &ObjectKey, before: &Record, force: bool) -> bool {
        let created = before.status.genesys_id.is_none()
            && self.shared.objects.get(key).is_some_and(|r| {
                r.status.genesys_id.is_some() && r.origin == Some(Origin::Created)
            });
        force && !created
    }

    /// Brings the linked Genesys user's skills and languages to the CIC user's effective
    /// skills (after the user itself synced). `force`: read what Genesys holds and repair.
    pub(super) fn sync_user_routing(
        &mut self,
        key: &ObjectKey,
        user: &CicUser,
        force: bool,
        pending: &Pending,
    ) -> Outcome {
        if advanced_disabled(&self.settings).is_some() {
            return Outcome::Done(true);
        }
        // From reading what was applied to recording what was written, a skill's move or
        // deletion cannot take skills away from this user (`worker/skills.rs`).
        let shared = self.shared.clone();
        let _assigning = shared.routing_locks.lock(&key.id);
        let record = self.shared.objects.get(key).unwrap_or_default();
        let Some(gid) = record
            .status
            .genesys_id
            .clone()
            .filter(|_| !record.status.removed)
        else {
            return Outcome::Done(true);
        };
        // The assignments gcsync made, and those an earlier step was making when it stopped
        // short of its outcome (a crash, a failure): settled against what the user holds.
        let (applied, adding) = match &record.applied {
            Some(Applied::User(a)) => (a.routing.clone(), a.adding.clone()),
            _ => Default::default(),
        };
        let want = desired_routing(&self.shared, user, &self.settings);
        let mut warnings = record.status.warnings.clone();
        warnings.extend(want.warnings.iter().cloned());
        for m in &want.pending {
            warnings.push(format!(
                "skill {}: not synced yet; {ASSIGNED_WHEN_SYNCED}",
                m.id
            ));
        }
        for m in &want.unavailable {
            warnings.push(format!(
                "skill {}: not synced; {ASSIGNED_WHEN_SYNCED}",
                m.id
            ));
        }
        warnings.extend(want.unprocessed.iter().map(|w| inherited_note(w)));
        let needed: Vec<ObjectKey> = want
            .pending
            .iter()
            .chain(&want.unavailable)
            .cloned()
            .collect();
        if !needed.is_empty() {
            self.shared.waiting.wait(key, &needed);
            // What became ready, or stopped being on its way (a deletion done), between the
            // check and the registration must not be missed.
            for n in &needed {
                let settled = match want.pending.contains(n) {
                    true => skill_state(&self.shared, &n.id) != SkillState::Pending,
                    false => self.shared.is_ready(n),
                };
                if settled {
                    self.shared.release_waiters(n);
                }
            }
        }
        if !want.pending.is_empty() {
            // Skills on their way: one write once they are all synced, not one per skill.
            log::debug!(
                "user {}: skills and languages wait for {} skill(s) being synced",
                key.id,
                want.pending.len()
            );
            self.update(key, |r| r.status.warnings = warnings);
            self.again_if_noted_processed(key, &want);
            return Outcome::Done(true);
        }
        if !force && want.routing == applied && adding.is_empty() {
            log::debug!(
                "user {}: skills and languages unchanged; no API call",
                key.id
            );
            self.update(key, |r| r.status.warnings = warnings);
            self.again_if_outdated(key, &want);
            return Outcome::Done(true);
        }
        let (shared, intents) = (self.shared.clone(), self.shared.clone());
        let name = move |gid: &str| {
            shared
                .objects
                .owner_of(GcsyncObjectKind::Skill, gid)
                .unwrap_or_else(|| gid.to_string())
        };
        if !want.unprocessed.is_empty() {
            // Recorded durably with what the step writes below (`record_ahead` writes the row
            // ahead of the first write), so a kill after it leaves the note behind, and the
            // restarted step reads what the write left.
            let noted = warnings.clone();
            self.update(key, |r| r.status.warnings = noted);
        }
        let mut now = applied.clone();
        let result = self.with_ctx(|ctx| {
            // A forced check reads what Genesys holds, for the categories the user has at all;
            // so do writes recorded by a step that stopped short of its outcome.
            let read =
                |w: &BTreeMap<String, u8>, a: &BTreeMap<String, u8>, adding: &BTreeMap<_, _>| {
                    (force && !(w.is_empty() && a.is_empty())) || !adding.is_empty()
                };
            let (want_s, want_l) = (&want.routing.skills, &want.routing.languages);
            let actual_s = match read(want_s, &applied.skills, &adding.skills)
                || skills_need_read(want_s, &applied.skills)
            {
                true => Some(api::user_assignments(ctx.client, Category::Skill, &gid)?),
                false => None,
            };
            let actual_l = match read(want_l, &applied.languages, &adding.languages) {
                true => Some(api::user_assignments(ctx.client, Category::Language, &gid)?),
                false => None,
            };
            settle_read(&mut now.skills, &adding.skills, actual_s.as_ref());
            settle_read(&mut now.languages, &adding.languages, actual_l.as_ref());
            let ops_s = plan_skills(want_s, &now.skills, actual_s.as_ref(), bulk_max());
            let ops_l = plan_languages(want_l, &now.languages, actual_l.as_ref());
            // One durable record of what both categories add, change and remove, before the
            // first write (with the note, when there is one).
            let planned = |want, owned, ops| Planned { want, owned, ops };
            record_ahead(
                &intents,
                key,
                planned(want_s, &now.skills, &ops_s),
                planned(want_l, &now.languages, &ops_l),
            )?;
            let (n, w) = (&mut now.skills, &mut warnings);
            execute(ctx, Category::Skill, &gid, &ops_s, want_s, n, w, &name)?;
            let (n, w) = (&mut now.languages, &mut warnings);
            execute(ctx, Category::Language, &gid, &ops_l, want_l, n, w, &name)
        });
        self.update(key, |r| {
            if let Some(Applied::User(a)) = &mut r.applied {
                a.routing = now;
                // The outcome settles what was being added; after a failure the next step
                // reads the user to tell (what was answered is in `now` already).
                if result.is_ok() {
                    a.adding = Default::default();
                }
            }
            r.status.warnings = warnings;
        });
        self.again_if_outdated(key, &want);
        match result {
            Ok(()) => Outcome::Done(true),
            Err(e) => self.failed(key, e, pending),
        }
    }

    /// After recording what was applied: a skill `want` was worked out from that started
    /// moving or being deleted meanwhile (its step marks it before it looks for holders) may
    /// have missed this user, whose write it could not see yet; the user is processed again
    /// (after this step), and then sees the skill on its way or moved.
    fn again_if_outdated(&self, key: &ObjectKey, want: &DesiredRouting) {
        if want.outdated(&self.shared) {
            log::debug!(
                "user {}: a skill it was just given is moving; processed again",
                key.id
            );
            requeue_users_for_skills(&self.shared, std::slice::from_ref(&key.id));
        } else {
            self.again_if_noted_processed(key, want);
        }
    }

    /// After recording the warnings: a workgroup they name as not processed whose step ended
    /// meanwhile looked at this user's warnings before they were recorded
    /// (`kinds::skill::grants_step_ended`); the user is processed again, so the note goes
    /// (no call when nothing else changed).
    fn again_if_noted_processed(&self, key: &ObjectKey, want: &DesiredRouting) {
        if noted_processed(&self.shared, &key.id, &want.unprocessed) {
            log::debug!(
                "user {}: a workgroup its warnings name was processed meanwhile; processed again",
                key.id
            );
            requeue_users_for_skills(&self.shared, std::slice::from_ref(&key.id));
        }
    }
}
