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
use std::time::Duration;

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
    let org = read::read_users(&mut client, &mut |d, t| fs.progress(d as u64, t as u64))
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
        record_external_ids(shared, &mut client, authority, &apply);
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
    if let (Some(gid), Some(Found::ExternalId | Found::Email)) = (&op.genesys_id, op.found) {
        prelink(shared, &key, gid);
    }
    if op.op == OpKind::Link {
        let mapped = crate::mapping::desired_user(&user, settings.default_country_code.as_deref())
            .map_err(|e| Failure::new(crate::result::GcsyncResult::InvalidField, e.0))?;
        let gid = op.genesys_id.clone();
        let r = shared.objects.update(&key, |r| {
            r.source = Some(Arc::new(object.clone()));
            r.applied = Some(Applied::User(mapped.user.into()));
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
/// the worker updates or restores that user instead of searching again.
fn prelink(shared: &Shared, key: &ObjectKey, gid: &str) {
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
    });
    shared.persist(RowWrite {
        key: key.clone(),
        record: Some(r),
        done_seq: None,
    });
}

/// Records the CIC id as the external id of every user this run created or linked by email
/// (one call each; a user found through its external id or the local link has it already).
fn record_external_ids(shared: &Shared, client: &mut Client, authority: &str, ops: &[Op]) {
    let needs = |o: &&Op| match o.op {
        OpKind::Create => true,
        OpKind::Update | OpKind::Restore | OpKind::Link => o.found == Some(Found::Email),
        _ => false,
    };
    let todo: Vec<&Op> = ops.iter().filter(needs).collect();
    if todo.is_empty() {
        return;
    }
    // The creates and restores go through the worker: wait for them (bounded).
    let deadline = std::time::Instant::now() + Duration::from_secs(3600);
    while !shared.queue.wait_settled(Duration::from_millis(200)) {
        if shared.full_sync.cancel.is_shutdown() {
            return;
        }
        if std::time::Instant::now() > deadline {
            log::warn!("full sync: the queue did not settle; ids recorded for those linked");
            break;
        }
    }
    for op in todo {
        let key = ObjectKey::user(op.id.clone());
        let Some(gid) = shared.objects.get(&key).and_then(|r| r.status.genesys_id) else {
            continue;
        };
        if let Err(e) = read::add_external(client, &gid, authority, &op.id) {
            log::warn!(
                "user {}: could not record external id {authority}/{} on Genesys user {gid}: {e}",
                op.id,
                op.id
            );
        }
    }
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
