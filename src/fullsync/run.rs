//! One full sync run, on its own thread: read the org, plan, hold mass removals, hand the
//! operations to the work queue (so the worker's steps, intents and statuses apply), then
//! record the external ids of the users it linked.

use super::plan::{self, Facts, Found, Local, Op, OpKind};
use super::read;
use super::state::{Phase, Request};
use super::{Staging, DRY_RUN};
use crate::clock::unix_now;
use crate::engine::Shared;
use crate::genesys::Client;
use crate::kinds::{Applied, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::Origin;
use crate::queue::{Change, Priority};
use crate::result::Failure;
use crate::settings::Settings;
use crate::status::SyncState;
use crate::store::RowWrite;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Commits the staged snapshot: starts a run, or leaves it waiting behind the running one.
pub fn commit(shared: &Arc<Shared>, flags: u32) -> Result<(), Failure> {
    let seq = shared.queue.accepted_seq();
    if let Some(req) = shared.full_sync.commit(flags, seq)? {
        let for_run = shared.clone();
        let h = std::thread::Builder::new()
            .name("gcsync-fullsync".into())
            .spawn(move || run_all(for_run, req))
            .map_err(|e| {
                Failure::new(
                    crate::result::GcsyncResult::InternalError,
                    format!("cannot start the full sync thread: {e}"),
                )
            })?;
        shared.full_sync.keep_thread(h);
    } else {
        log::info!("a full sync is running; the new snapshot runs after it (coalesced)");
    }
    Ok(())
}

/// Applies the removals the deletion guard held.
pub fn release_held(shared: &Shared) -> Result<usize, Failure> {
    let held = shared.full_sync.take_held();
    for op in &held {
        let key = ObjectKey::user(op.id.clone());
        shared
            .queue
            .enqueue(key, Change::Remove, Priority::Normal)?;
    }
    log::info!("{} held removal(s) released", held.len());
    Ok(held.len())
}

fn run_all(shared: Arc<Shared>, mut req: Request) {
    loop {
        let (staging, flags, seq) = req;
        let error = run_once(&shared, &staging, flags & DRY_RUN != 0, seq).err();
        if let Some(e) = &error {
            log::warn!("full sync stopped before applying anything more: {e}");
        }
        match shared.full_sync.finish(&shared, error) {
            Some(next) => req = next,
            None => return,
        }
    }
}

fn local_users(shared: &Shared) -> HashMap<String, Local> {
    shared
        .objects
        .select(|_| true)
        .into_iter()
        .filter(|(k, _)| k.kind == GcsyncObjectKind::User)
        .map(|(k, r)| {
            let owned = r.origin.is_some() && !r.status.removed;
            let synced_as = match (&r.applied, r.status.state) {
                (Some(Applied::User(a)), SyncState::Synced) => Some(a.desired.clone()),
                _ => None,
            };
            let local = Local {
                genesys_id: r.status.genesys_id.clone().filter(|_| owned),
                synced_as,
            };
            (k.id, local)
        })
        .collect()
}

fn run_once(shared: &Arc<Shared>, staging: &Staging, dry: bool, seq: u64) -> Result<(), String> {
    let fs = &shared.full_sync;
    let settings = shared.settings().1;
    if standby(shared) {
        return Err(
            "this instance is standby (role): it makes no Genesys Cloud call; the host \
                    is asked for a snapshot when it becomes active"
                .into(),
        );
    }
    fs.set_phase(shared, Phase::Reading, 0);
    let cfg = settings.client_config().map_err(|f| f.message)?;
    let mut client = Client::new(cfg, shared.metrics.clone()).map_err(|e| e.to_string())?;
    client.set_cancel(fs.cancel.clone());
    // Skills and languages come on the same pages when assignments are synced.
    let expand = crate::kinds::skill::advanced_disabled(&settings).is_none();
    let (org, expanded) =
        read::read_users_with(&client, expand, &mut |d, t| fs.progress(d as u64, t as u64))
            .map_err(|e| format!("reading the org's users failed: {e}"))?;
    let local = local_users(shared);
    let by_external = lookups(&mut client, &settings, staging, &local, &org)?;
    fs.set_phase(shared, Phase::Planning, staging.users.len() as u64);
    let snapshot = staging
        .kinds
        .contains(&GcsyncObjectKind::User)
        .then_some(staging.users.as_slice());
    let plan = plan::plan_users(&Facts {
        snapshot,
        org: &org,
        local: &local,
        by_external: &by_external,
        country: settings.default_country_code.as_deref(),
        policy: settings.user_removal_policy,
    });
    let (apply, held, reason) = guard(&settings, &plan);
    log::info!(
        "full sync plan{}: {:?} against {} owned user(s); {} removal(s) held",
        if dry { " (dry run)" } else { "" },
        plan.counts(),
        plan.owned,
        held.len()
    );
    fs.set_plan(plan, dry, held, reason);
    if dry {
        return Ok(());
    }
    fs.set_phase(shared, Phase::Applying, apply.len() as u64);
    let users: HashMap<&str, &crate::cic::CicUser> =
        staging.users.iter().map(|u| (u.id.as_str(), u)).collect();
    for (i, op) in apply.iter().enumerate() {
        if fs.cancel.is_shutdown() {
            return Err("gcsync is shutting down".into());
        }
        apply_op(shared, &settings, &users, op, seq).map_err(|f| f.message)?;
        fs.progress(i as u64 + 1, apply.len() as u64);
    }
    if let Some(authority) = &settings.full_sync.external_id_authority {
        let ids = staging.users.iter().map(|u| u.id.as_str());
        super::ownership::record_external_ids(shared, &client, authority, ids);
    }
    if expand {
        let desired_of =
            |u: &crate::cic::CicUser| crate::kinds::skill::desired_routing(shared, u, &settings);
        let c = super::assignments::check(
            shared,
            &client,
            &settings,
            staging,
            &expanded,
            &apply,
            seq,
            &desired_of,
        )?;
        log::info!(
            "full sync: assignments of {} user(s) checked ({} read from their own endpoints: \
             expansion missing), {} fixed",
            c.users,
            c.fallback_reads,
            c.fixed
        );
    }
    Ok(())
}

/// Users looked up by external id: only those not linked locally, and only when the org holds
/// users gcsync does not know locally (else nothing can be found that way).
fn lookups(
    client: &mut Client,
    settings: &Settings,
    staging: &Staging,
    local: &HashMap<String, Local>,
    org: &[crate::genesys::users::GcUser],
) -> Result<HashMap<String, crate::genesys::users::GcUser>, String> {
    let mut found = HashMap::new();
    let Some(authority) = &settings.full_sync.external_id_authority else {
        return Ok(found);
    };
    let known: HashSet<&str> = local
        .values()
        .filter_map(|l| l.genesys_id.as_deref())
        .collect();
    if !org
        .iter()
        .any(|g| g.state() != "deleted" && !known.contains(g.id.as_str()))
    {
        return Ok(found);
    }
    for u in &staging.users {
        if local
            .get(&u.id)
            .and_then(|l| l.genesys_id.as_ref())
            .is_some()
        {
            continue;
        }
        if let Some(g) = read::lookup_external(client, authority, &u.id)
            .map_err(|e| format!("looking up user {} by external id failed: {e}", u.id))?
        {
            found.insert(u.id.clone(), g);
        }
    }
    Ok(found)
}

/// Splits the plan into what is applied now and the removals the deletion guard holds.
fn guard(settings: &Settings, plan: &plan::Plan) -> (Vec<Op>, Vec<Op>, Option<String>) {
    let g = &settings.full_sync;
    let removes = plan.ops.iter().filter(|o| o.op == OpKind::Remove).count();
    let too_many = removes as u64 > g.deletion_guard_max;
    let too_much = removes * 100 > g.deletion_guard_percent as usize * plan.owned;
    if !g.deletion_guard || removes == 0 || !(too_many || too_much) {
        return (plan.ops.clone(), Vec::new(), None);
    }
    let reason = format!(
        "the run would remove {removes} of {} owned user(s), more than deletion_guard_percent={} % \
         or deletion_guard_max={}; call gcsync_force_sync_release_held to apply them",
        plan.owned, g.deletion_guard_percent, g.deletion_guard_max
    );
    let (held, apply) = plan
        .ops
        .iter()
        .cloned()
        .partition(|o| o.op == OpKind::Remove);
    (apply, held, Some(reason))
}

fn apply_op(
    shared: &Shared,
    settings: &Settings,
    users: &HashMap<&str, &crate::cic::CicUser>,
    op: &Op,
    seq: u64,
) -> Result<(), Failure> {
    let key = ObjectKey::user(op.id.clone());
    let q = &shared.queue;
    if op.op == OpKind::Remove {
        q.enqueue_unless_newer(key, Change::Remove, Priority::Normal, seq)?;
        return Ok(());
    }
    let Some(user) = users.get(op.id.as_str()).map(|u| (*u).clone()) else {
        return Ok(());
    };
    let object = CicObject::User(user.clone());
    if q.newer_than(&key, seq) {
        log::debug!(
            "user {}: a newer change arrived; the snapshot's is dropped",
            op.id
        );
        return Ok(());
    }
    // Found through its external id: it holds it, nothing to record.
    let external = (op.found == Some(Found::ExternalId))
        .then(|| settings.full_sync.external_id_authority.clone())
        .flatten();
    let country = settings.default_country_code.as_deref();
    if let (Some(gid), Some(Found::ExternalId | Found::Email)) = (&op.genesys_id, op.found) {
        let desired = crate::mapping::desired_user(&user, country).ok();
        let held = external.clone().zip(desired.map(|m| m.user));
        prelink(shared, &key, gid, held);
    }
    if op.op == OpKind::Link {
        let mapped = crate::mapping::desired_user(&user, country)
            .map_err(|e| Failure::new(crate::result::GcsyncResult::InvalidField, e.0))?;
        let gid = op.genesys_id.clone();
        let r = shared.objects.update(&key, |r| {
            r.source = Some(Arc::new(object.clone()));
            // What gcsync made on this same Genesys user stays known (assignments, external
            // id); a user found another way starts afresh.
            let mut applied = crate::kinds::user::AppliedUser::from(mapped.user);
            if let Some(Applied::User(a)) = r.applied.take() {
                if r.status.genesys_id == gid {
                    applied.routing = a.routing;
                    applied.external_id = a.external_id;
                }
            }
            applied.external_id = external.or(applied.external_id);
            r.applied = Some(Applied::User(applied));
            r.origin = r.origin.or(Some(Origin::Adopted));
            r.intent = None;
            r.status.state = SyncState::Synced;
            r.status.genesys_id = gid;
            r.status.removed = false;
            r.status.reason = None;
            r.status.last_synchronized = Some(unix_now());
            r.status.warnings = mapped.warnings;
        });
        shared.persist(RowWrite {
            key: key.clone(),
            record: Some(r),
            done_seq: None,
        });
        let unchanged = Change::Upsert {
            object,
            force: false,
        };
        q.remember_applied(key, unchanged);
        return Ok(());
    }
    let force = op.op != OpKind::Invalid;
    q.enqueue_unless_newer(key, Change::Upsert { object, force }, Priority::Normal, seq)?;
    Ok(())
}

/// Links an object found in the org (by external id or email) before the worker takes it, so
/// the worker updates or restores that user instead of searching again. `held`: found through
/// the external id of this authority (remembered, so it is not recorded again), with the desired
/// user to keep it beside when the object has no applied record yet.
fn prelink(
    shared: &Shared,
    key: &ObjectKey,
    gid: &str,
    held: Option<(String, crate::mapping::DesiredUser)>,
) {
    let linked = shared
        .objects
        .get(key)
        .is_some_and(|r| r.status.genesys_id.is_some() && !r.status.removed);
    if linked {
        return;
    }
    let r = shared.objects.update(key, |r| {
        r.status.genesys_id = Some(gid.to_string());
        r.status.removed = false;
        r.origin = Some(Origin::Adopted);
        if let Some((authority, desired)) = held {
            let mut applied = match r.applied.take() {
                Some(Applied::User(a)) => a,
                _ => crate::kinds::user::AppliedUser::from(desired),
            };
            applied.external_id = Some(authority);
            r.applied = Some(Applied::User(applied));
        }
    });
    shared.persist(RowWrite {
        key: key.clone(),
        record: Some(r),
        done_seq: None,
    });
}

/// `gcsync_set_role`: `standby` stops every Genesys Cloud call (hooks are still accepted and
/// saved); becoming active again resumes the worker and asks the host for a snapshot, since
/// the other server may have missed or applied changes meanwhile.
pub fn set_role(shared: &Shared, standby: bool) {
    let setting = shared.with_settings(|s| s.full_sync.standby);
    let was = shared.full_sync.set_standby(standby, setting);
    log::info!("role set to {}", if standby { "standby" } else { "active" });
    if was && !standby {
        shared
            .full_sync
            .takeover
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    shared.queue.interrupt_all();
    shared.queue.nudge_worker();
}

/// Whether this instance makes no Genesys Cloud call now.
pub fn standby(shared: &Shared) -> bool {
    let setting = shared.with_settings(|s| s.full_sync.standby);
    shared.full_sync.is_standby(setting)
}
