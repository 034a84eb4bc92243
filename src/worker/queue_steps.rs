//! The Genesys Cloud calls of one workgroup sync: make sure the queue exists (create it, or
//! adopt the one of exactly that name), then bring its members and wrap-up codes to what CIC
//! wants with the fewest calls (bulk adds and member removals 100 a call, code removals one by
//! one), recording what was done as it goes so a failure half-way loses nothing. Additions
//! are recorded durably before their POST (`AppliedQueue::adding_*`, with the queue's link), so
//! a crash before the outcome's commit, or a POST that failed or went unanswered, never leaves
//! a member or code gcsync added unknown as gcsync's.

use super::item_faults::ItemFaults;
use crate::batch;
use crate::genesys::{queues, ApiError, Client};
use crate::kinds::workgroup::plan::{self, Resolved, SetPlan};
use crate::kinds::workgroup::AppliedQueue;
use crate::objects::Origin;
use crate::user_sync::{Ctx, SyncError};
use std::collections::BTreeSet;

const MEMBERS: &str = "/api/v2/routing/queues/{queueId}/members";
const CODES: &str = "/api/v2/routing/queues/{queueId}/wrapupcodes";

/// Records the queue's link and what the queue is known to hold, with the additions about to
/// be sent, durably (before the POST that sends them); an error stops the step before it.
pub(super) type Save<'a> = &'a dyn Fn(&(String, Origin), &AppliedQueue) -> Result<(), SyncError>;

/// What the steps achieved so far (kept when a later step fails).
pub(super) struct Progress<'a> {
    /// The queue's Genesys id and how gcsync came to own it.
    pub queue: Option<(String, Origin)>,
    /// What the queue is known to hold.
    pub applied: AppliedQueue,
    /// Members or codes Genesys refused (the rest were applied), one sentence each.
    pub faults: Vec<String>,
    /// Records the intended additions before their POST.
    pub save: Save<'a>,
    /// Records durably, before the POST that creates the queue, that it may be created.
    pub before_create: &'a dyn Fn() -> Result<(), SyncError>,
    /// A create recorded so before this attempt may have created the queue of that name: one
    /// found by name is gcsync's creation (origin `Created`), not an adoption.
    pub created_before: bool,
}

/// Records durably that `ids` are about to be added to the queue (`set` picks the members or
/// the codes of [`AppliedQueue`]), unless there are none: one transaction for every call of a
/// set's additions. Claims only grow here; the outcome settles them.
fn intend(
    progress: &mut Progress,
    queue: &(String, Origin),
    ids: &[String],
    set: fn(&mut AppliedQueue) -> &mut BTreeSet<String>,
) -> Result<(), Step> {
    if ids.is_empty() {
        return Ok(());
    }
    set(&mut progress.applied).extend(ids.iter().cloned());
    (progress.save)(queue, &progress.applied).map_err(Step::Failed)
}

/// A bulk call's failures on queue `qid`: a 404 is an item's while the queue exists.
fn item_faults<'a>(client: &'a Client, qid: &'a str) -> ItemFaults<'a> {
    ItemFaults::new(format!("queue {qid}"), move || queues::exists(client, qid))
}

/// What a failure that is not the items' means: the queue gone (a 404, and the queue read says
/// so), the queue read's own failure (nothing is concluded from it), or itself.
fn step_of(check: &ItemFaults, e: ApiError) -> Step {
    if e.status() != Some(404) {
        return e.into();
    }
    match check.object_read() {
        Ok(_) => Step::Gone,
        Err(read) => read.into(),
    }
}

/// Why a step over the queue's parts stopped.
enum Step {
    /// The queue no longer exists (404): create it again.
    Gone,
    /// Any other failure.
    Failed(SyncError),
}

impl From<ApiError> for Step {
    fn from(e: ApiError) -> Step {
        Step::Failed(e.into())
    }
}

/// The queue went away while gcsync held a link to it.
fn gone(name: &str) -> SyncError {
    SyncError::Transient(format!(
        "queue {name} no longer exists in Genesys Cloud; it is created again on the next attempt"
    ))
}

/// Brings the queue of workgroup `name` to hold `members` and `codes` (the ready ones).
pub(super) fn sync_queue(
    ctx: &mut Ctx,
    name: &str,
    division: Option<&str>,
    force: bool,
    owner_of: &dyn Fn(&str) -> Option<String>,
    (members, codes): (&Resolved, &Resolved),
    progress: &mut Progress,
) -> Result<(), SyncError> {
    // A queue gone behind gcsync's back is created again once, at once.
    for attempt in 0..2 {
        let created_now = match &progress.queue {
            Some(_) => false,
            None => {
                (progress.before_create)()?;
                let (q, created) = ensure_queue(ctx, name, division, owner_of)?;
                let q = match q.1 {
                    Origin::Adopted if progress.created_before => {
                        log::info!("queue {} of workgroup {name} was created by gcsync before a restart or a lost answer", q.0);
                        (q.0, Origin::Created)
                    }
                    _ => q,
                };
                progress.queue = Some(q);
                progress.applied = AppliedQueue {
                    name: name.to_string(),
                    ..AppliedQueue::default()
                };
                created
            }
        };
        match sync_parts(ctx, name, force, created_now, (members, codes), progress) {
            Ok(()) => return Ok(()),
            Err(Step::Gone) if attempt == 0 => {
                log::warn!("queue {name} was deleted in Genesys Cloud; creating it again");
                progress.queue = None;
                progress.applied = AppliedQueue::default();
            }
            Err(Step::Gone) => break,
            Err(Step::Failed(e)) => return Err(e),
        }
    }
    Err(gone(name))
}

fn sync_parts(
    ctx: &mut Ctx,
    name: &str,
    force: bool,
    created_now: bool,
    (members, codes): (&Resolved, &Resolved),
    progress: &mut Progress,
) -> Result<(), Step> {
    let (qid, origin) = progress.queue.clone().expect("queue ensured");
    let created = origin == Origin::Created;
    let applied = &mut progress.applied;
    applied.name = name.to_string();
    let want = members.ids();
    // `claimed`: what gcsync added or was adding; `adding` non-empty: additions whose outcome
    // was not recorded (read the queue to settle them).
    let touch = |have: &BTreeSet<String>,
                 claimed: &BTreeSet<String>,
                 adding: &BTreeSet<String>,
                 want: &BTreeSet<String>| {
        force
            || have != want
            || (created_now && !want.is_empty())
            || !adding.is_empty()
            || claimed.difference(want).next().is_some()
    };
    let claimed = applied.claimed_members();
    if touch(&applied.members, &claimed, &applied.adding_members, &want) {
        let current = if created_now {
            Vec::new()
        } else {
            queues::members(ctx.client, &qid)?.ok_or(Step::Gone)?
        };
        let direct: BTreeSet<String> = current
            .iter()
            .filter(|m| !m.by_group())
            .map(|m| m.id.clone())
            .collect();
        let fixed: BTreeSet<String> = current
            .iter()
            .filter(|m| m.by_group())
            .map(|m| m.id.clone())
            .collect();
        let p = plan::plan_set(&want, &direct, &fixed, &claimed, created);
        let label = |id: &str| {
            members
                .ready
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        intend(progress, &(qid.clone(), origin), &p.add, |a| {
            &mut a.adding_members
        })?;
        let max = batch::max_items("POST", MEMBERS);
        let check = item_faults(ctx.client, &qid);
        let call =
            |remove: bool, ids: &[String]| queues::change_members(ctx.client, &qid, ids, remove);
        let mut added = run(&check, &p.add, max, &mut |c| call(false, c));
        let mut removed = run(&check, &p.remove, max, &mut |c| call(true, c));
        confirm(&mut added, &mut removed, || {
            let now = queues::members(ctx.client, &qid)?;
            Ok(now.map(|m| m.into_iter().map(|m| m.id).collect()))
        });
        let held: BTreeSet<String> = direct.union(&fixed).cloned().collect();
        let part = Part {
            queue: name,
            what: "member",
            label: &label,
            check: &check,
        };
        let (owned, now) = part.finish(&p, &want, &held, added, removed, &mut progress.faults)?;
        progress.applied.owned_members = owned;
        progress.applied.members = now;
        progress.applied.adding_members.clear();
        if !fixed.is_empty() {
            log::debug!(
                "queue {name}: {} member(s) through a group left alone",
                fixed.len()
            );
        }
    }
    let want = codes.ids();
    let applied = &progress.applied;
    let claimed = applied.claimed_wrapup_codes();
    if touch(
        &applied.wrapup_codes,
        &claimed,
        &applied.adding_wrapup_codes,
        &want,
    ) {
        let current: BTreeSet<String> = if created_now {
            BTreeSet::new()
        } else {
            queues::wrapup_codes(ctx.client, &qid)?
                .ok_or(Step::Gone)?
                .into_iter()
                .collect()
        };
        let p = plan::plan_set(&want, &current, &BTreeSet::new(), &claimed, created);
        let label = |id: &str| {
            codes
                .ready
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        intend(progress, &(qid.clone(), origin), &p.add, |a| {
            &mut a.adding_wrapup_codes
        })?;
        let check = item_faults(ctx.client, &qid);
        let mut added = run(&check, &p.add, batch::max_items("POST", CODES), &mut |c| {
            queues::add_wrapup_codes(ctx.client, &qid, c)
        });
        let mut removed = run(&check, &p.remove, 1, &mut |c| {
            queues::remove_wrapup_code(ctx.client, &qid, &c[0]).map(|_| ())
        });
        confirm(&mut added, &mut removed, || {
            Ok(queues::wrapup_codes(ctx.client, &qid)?.map(|c| c.into_iter().collect()))
        });
        let part = Part {
            queue: name,
            what: "wrap-up code",
            label: &label,
            check: &check,
        };
        let (owned, now) =
            part.finish(&p, &want, &current, added, removed, &mut progress.faults)?;
        progress.applied.owned_wrapup_codes = owned;
        progress.applied.wrapup_codes = now;
        progress.applied.adding_wrapup_codes.clear();
    }
    Ok(())
}

/// `ids` through `call` in chunks of `max`, each id with its result.
fn run(
    check: &ItemFaults,
    ids: &[String],
    max: usize,
    call: &mut dyn FnMut(&[String]) -> Result<(), ApiError>,
) -> Vec<(String, Result<(), ApiError>)> {
    let results = batch::run_bulk(ids, max, |e| check.is_item_fault(e), call);
    ids.iter().cloned().zip(results).collect()
}

/// Takes as done the refused additions the queue holds and the refused removals it lacks.
/// Genesys may refuse what is already so (an add of a member the queue has, e.g. a POST retried
/// after its first answer was lost): whether it does is UNCONFIRMED (API-FACTS §8 expects
/// re-adding to be harmless). After any refusal the set is read once (`read`: `None` when the
/// queue is gone); a read that fails changes nothing.
fn confirm(
    added: &mut [(String, Result<(), ApiError>)],
    removed: &mut [(String, Result<(), ApiError>)],
    read: impl FnOnce() -> Result<Option<BTreeSet<String>>, ApiError>,
) {
    let refused = |r: &[(String, Result<(), ApiError>)]| r.iter().any(|(_, r)| r.is_err());
    if !refused(added) && !refused(removed) {
        return;
    }
    let Ok(Some(held)) = read() else {
        return;
    };
    for (id, r) in added.iter_mut() {
        if r.is_err() && held.contains(id) {
            log::debug!("{id}: refused, but the queue holds it already");
            *r = Ok(());
        }
    }
    for (id, r) in removed.iter_mut() {
        if r.is_err() && !held.contains(id) {
            log::debug!("{id}: refused, but the queue no longer holds it");
            *r = Ok(());
        }
    }
}

/// One of a queue's sets (members or wrap-up codes), for naming refused items.
struct Part<'a> {
    queue: &'a str,
    what: &'a str,
    label: &'a dyn Fn(&str) -> String,
    check: &'a ItemFaults<'a>,
}

impl Part<'_> {
    /// From the results of a plan's additions and removals: what gcsync owns afterwards (less
    /// refused additions, plus refused removals, tried again next time) and which of `want` the
    /// queue now holds (`held` before, plus the additions). Refused items are named in
    /// `faults`; any other failure (transient, the queue gone, a permission) ends the step.
    fn finish(
        &self,
        p: &SetPlan,
        want: &BTreeSet<String>,
        held: &BTreeSet<String>,
        added: Vec<(String, Result<(), ApiError>)>,
        removed: Vec<(String, Result<(), ApiError>)>,
        faults: &mut Vec<String>,
    ) -> Result<(BTreeSet<String>, BTreeSet<String>), Step> {
        let (add_ok, add_bad) = self.settle(added, "added to", faults)?;
        let (_, remove_bad) = self.settle(removed, "removed from", faults)?;
        let mut owned = p.owned.clone();
        for id in &add_bad {
            owned.remove(id);
        }
        owned.extend(remove_bad);
        let now = want
            .iter()
            .filter(|id| held.contains(*id) || add_ok.contains(*id))
            .cloned()
            .collect();
        Ok((owned, now))
    }

    /// Splits results into the ids that succeeded and those Genesys refused.
    fn settle(
        &self,
        results: Vec<(String, Result<(), ApiError>)>,
        verb: &str,
        faults: &mut Vec<String>,
    ) -> Result<(Vec<String>, Vec<String>), Step> {
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        for (id, r) in results {
            match r {
                Ok(()) => ok.push(id),
                Err(e) if self.check.is_item_fault(&e) => {
                    let (what, queue) = (self.what, self.queue);
                    faults.push(format!(
                        "{what} {} could not be {verb} queue {queue}: {e}",
                        (self.label)(&id)
                    ));
                    bad.push(id);
                }
                Err(e) => return Err(step_of(self.check, e)),
            }
        }
        Ok((ok, bad))
    }
}

/// Creates the queue, or adopts the existing one of exactly that name (the create is tried
/// first: one call for a new queue; "duplicate name" then means look it up). `true` with the
/// queue: it was created now (it holds nothing yet).
fn ensure_queue(
    ctx: &mut Ctx,
    name: &str,
    division: Option<&str>,
    owner_of: &dyn Fn(&str) -> Option<String>,
) -> Result<((String, Origin), bool), SyncError> {
    match queues::create(ctx.client, name, division) {
        Ok(q) => {
            log::info!("created queue {} for workgroup {name}", q.id);
            Ok(((q.id, Origin::Created), true))
        }
        Err(e) if e.is_name_conflict() => {
            let found = queues::find_by_name(ctx.client, name)?;
            if let Some(q) = found.iter().find(|q| q.name == name) {
                if let Some(other) = owner_of(&q.id).filter(|o| o != name) {
                    return Err(SyncError::NeedsAdmin(format!(
                        "duplicate name: queue '{}' already belongs to workgroup {other}",
                        q.name
                    )));
                }
                log::info!("adopted existing queue {} for workgroup {name}", q.id);
                return Ok(((q.id.clone(), Origin::Adopted), false));
            }
            if let Some(q) = found.first() {
                return Err(SyncError::NeedsAdmin(format!(
                    "duplicate name: Genesys Cloud already has a queue named '{}', which differs \
                     from workgroup {name} only in case (queue names are unique regardless of \
                     case); rename one of them",
                    q.name
                )));
            }
            Err(SyncError::Transient(format!(
                "a queue named {name} exists in Genesys Cloud but is not listed yet; will retry"
            )))
        }
        Err(e) => Err(e.into()),
    }
}
