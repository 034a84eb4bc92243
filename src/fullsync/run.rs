//! One full sync run, on its own thread: read the org once per kind the snapshot holds, plan
//! every kind, hold mass removals (per kind), hand the operations to the work queue (so the
//! worker's steps, intents and statuses apply), then record the external ids of the users it
//! linked.

use super::apply::{apply_named, local_named};
use super::guard::guard;
use super::named::{plan_named, NamedFacts};
use super::named_kinds::{Codes, Queues, Skills};
use super::plan::{self, Facts, Op, OpKind, Plan};
pub use super::role::{set_role, standby};
use super::state::{Held, KindPlans, Phase, Request};
use super::users::{apply_op, local_users, lookups, observable};
use super::{read, read_named, Staging, DRY_RUN};
use crate::engine::Shared;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::queue::Change;
use crate::result::Failure;
use std::collections::HashMap;
use std::sync::Arc;

/// Commits the staged snapshot: starts a run, or leaves it waiting behind the running one.
pub fn commit(shared: &Arc<Shared>, flags: u32) -> Result<(), Failure> {
    let seq = shared.queue.accepted_seq();
    if let Some(req) = shared.full_sync.commit(flags, seq)? {
        let for_run = shared.clone();
        let priority = shared.with_settings(|s| s.background_priority);
        let h = crate::threads::spawn("gcsync-fullsync".into(), priority, move || {
            run_all(for_run, req)
        })
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

/// Applies the removals the deletion guard held, every kind.
pub fn release_held(shared: &Shared) -> Result<usize, Failure> {
    let held = shared.full_sync.take_held();
    let mut n = 0;
    for (kind, (ops, _)) in held {
        for op in ops {
            let key = ObjectKey {
                kind,
                id: op.id.clone(),
            };
            let priority = crate::kinds::priority(kind);
            shared.queue.enqueue(key, Change::Remove, priority)?;
            n += 1;
        }
    }
    log::info!("{n} held removal(s) released");
    Ok(n)
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
    // A kind whose sync is turned off (Sync Advanced Platform Objects) is neither read nor
    // planned: turning the option off stops its sync and deletes nothing.
    for k in &staging.kinds {
        if let Some(why) = crate::kinds::disabled(*k, &settings, false) {
            if *k != GcsyncObjectKind::User {
                log::warn!(
                    "full sync: the snapshot's {} part is skipped: {why}",
                    k.name()
                );
            }
        }
    }
    let has = |k| {
        staging.kinds.contains(&k)
            && (k == GcsyncObjectKind::User
                || crate::kinds::disabled(k, &settings, false).is_none())
    };
    fs.set_phase(shared, Phase::Reading, 0);
    // The workers' client (one token, one budget: the run's reads count against
    // `requests_per_minute` with everything else), with the run's own cancel flag.
    let client = shared
        .shared_client(&settings)?
        .view(fs.cancel.clone(), crate::genesys::budget::Lane::Config);
    // Skills and languages come on the same pages when assignments are synced.
    let expand = crate::kinds::skill::advanced_disabled(&settings).is_none();
    let (org, expanded) = match has(GcsyncObjectKind::User) {
        true => read::read_users_with(&client, expand, &mut |d, t| fs.progress(d as u64, t as u64))
            .map_err(|e| format!("reading the org's users failed: {e}"))?,
        false => Default::default(),
    };
    // Progress while reading: objects read so far, every kind (the total grows as they come).
    let mut read_so_far = org.len();
    let mut on_read = |n: usize| {
        read_so_far += n;
        fs.progress(read_so_far as u64, read_so_far as u64);
    };
    let local = local_users(shared);
    let by_external = lookups(&client, &settings, staging, &local, &org)?;
    let local_codes = local_named(shared, GcsyncObjectKind::WrapupCode);
    let local_skills = local_named(shared, GcsyncObjectKind::Skill);
    let local_queues = local_named(shared, GcsyncObjectKind::Workgroup);
    let codes_org = match has(GcsyncObjectKind::WrapupCode) {
        true => read_named::read_codes(&client, &mut on_read)
            .map_err(|e| format!("reading the org's wrap-up codes failed: {e}"))?,
        false => Vec::new(),
    };
    let skills_org = match has(GcsyncObjectKind::Skill) {
        true => read_named::read_skills(&client, &mut on_read)
            .map_err(|e| format!("reading the org's skills and languages failed: {e}"))?,
        false => Vec::new(),
    };
    let queues_org = match has(GcsyncObjectKind::Workgroup) {
        true => {
            let wanted = queue_reads(staging, &local_queues);
            read_named::read_queues(&client, &wanted, &mut on_read)
                .map_err(|e| format!("reading the org's queues failed: {e}"))?
        }
        false => Vec::new(),
    };
    fs.set_phase(shared, Phase::Planning, staging.len() as u64);
    let users_plan = plan::plan_users(&Facts {
        snapshot: has(GcsyncObjectKind::User).then_some(staging.users.as_slice()),
        org: &org,
        local: &local,
        by_external: &by_external,
        country: settings.default_country_code.as_deref(),
        policy: settings.user_removal_policy,
    });
    let code_facts = NamedFacts::<Codes> {
        snapshot: has(GcsyncObjectKind::WrapupCode).then_some(staging.wrapup_codes.as_slice()),
        org: &codes_org,
        local: &local_codes,
    };
    let codes_plan = plan_named(&Codes, &code_facts);
    let skill_facts = NamedFacts::<Skills> {
        snapshot: has(GcsyncObjectKind::Skill).then_some(staging.skills.as_slice()),
        org: &skills_org,
        local: &local_skills,
    };
    let skills_plan = plan_named(&Skills, &skill_facts);
    let user_ids = ready_ids(
        &linked_ids(&local, |l| l.genesys_id.as_ref()),
        &users_plan,
        false,
    );
    let code_ids = ready_ids(
        &linked_ids(&local_codes, |l| l.genesys_id.as_ref()),
        &codes_plan,
        true,
    );
    let queues = Queues {
        users: &user_ids,
        codes: &code_ids,
    };
    let queue_facts = NamedFacts::<Queues> {
        snapshot: has(GcsyncObjectKind::Workgroup).then_some(staging.workgroups.as_slice()),
        org: &queues_org,
        local: &local_queues,
    };
    let queues_plan = plan_named(&queues, &queue_facts);
    let plans: KindPlans = vec![
        (GcsyncObjectKind::User, users_plan),
        (GcsyncObjectKind::Workgroup, queues_plan),
        (GcsyncObjectKind::Skill, skills_plan),
        (GcsyncObjectKind::WrapupCode, codes_plan),
    ];
    let mut held = Held::new();
    let mut apply: HashMap<GcsyncObjectKind, Vec<Op>> = HashMap::new();
    for (kind, p) in &plans {
        let (now, later, reason) = guard(&settings, *kind, p);
        if let Some(reason) = reason {
            held.insert(*kind, (later, reason));
        }
        apply.insert(*kind, now);
        log::info!(
            "full sync plan{} for {}: {:?} against {} owned; {} removal(s) held",
            if dry { " (dry run)" } else { "" },
            kind.name(),
            p.counts(),
            p.owned,
            held.get(kind).map_or(0, |h| h.0.len())
        );
    }
    let plans: KindPlans = plans
        .into_iter()
        .filter(|(k, p)| has(*k) || !p.ops.is_empty())
        .collect();
    fs.set_plan(plans, dry, held);
    if dry {
        return Ok(());
    }
    let ops = |k| apply.get(&k).cloned().unwrap_or_default();
    let total: usize = apply.values().map(Vec::len).sum();
    fs.set_phase(shared, Phase::Applying, total as u64);
    let mut done = 0u64;
    let mut step = || {
        if fs.cancel.is_shutdown() {
            return Err("gcsync is shutting down".to_string());
        }
        done += 1;
        fs.progress(done, total as u64);
        Ok(())
    };
    let user_ops = ops(GcsyncObjectKind::User);
    let users: HashMap<&str, &crate::cic::CicUser> =
        staging.users.iter().map(|u| (u.id.as_str(), u)).collect();
    let org_by_id: HashMap<&str, &crate::genesys::users::GcUser> =
        org.iter().map(|g| (g.id.as_str(), g)).collect();
    let observed: HashMap<&str, &crate::genesys::users::GcUser> = user_ops
        .iter()
        .filter(|o| {
            !shared
                .queue
                .newer_than(&ObjectKey::user(o.id.as_str()), seq)
        })
        .filter_map(|o| Some((o.id.as_str(), observable(o, &org_by_id)?)))
        .collect();
    let desired_of =
        |u: &crate::cic::CicUser| crate::kinds::skill::desired_routing(shared, u, &settings);
    let check_assignments = |only: Option<&std::collections::HashSet<&str>>| {
        let user_ops = (user_ops.as_slice(), only);
        let s = &settings;
        super::assignments::check(
            shared,
            &client,
            s,
            staging,
            &expanded,
            user_ops,
            seq,
            &desired_of,
        )
    };
    if expand && !observed.is_empty() {
        // The drifted users the worker updates without a re-read: their assignments are checked
        // against the read's expansions first (the worker then finds them as gcsync left them).
        let only: std::collections::HashSet<&str> = observed.keys().copied().collect();
        let c = check_assignments(Some(&only))?;
        log::info!(
            "full sync: assignments of {} drifted user(s) checked, {} fixed",
            c.users,
            c.fixed
        );
    }
    for op in &user_ops {
        step()?;
        let seen = observed.get(op.id.as_str()).copied();
        apply_op(shared, &settings, &users, op, seen, seq).map_err(|f| f.message)?;
    }
    // Queues removed first (a code removed next finds them gone, not in use), then codes and
    // skills, then the other queue operations (a queue waits for a code being created again).
    let (queue_removes, queue_ops): (Vec<Op>, Vec<Op>) = ops(GcsyncObjectKind::Workgroup)
        .into_iter()
        .partition(|o| o.op == OpKind::Remove);
    apply_named(
        shared,
        &queues,
        &queue_facts,
        &queue_removes,
        seq,
        &mut step,
    )?;
    let codes_ops = ops(GcsyncObjectKind::WrapupCode);
    apply_named(shared, &Codes, &code_facts, &codes_ops, seq, &mut step)?;
    let skill_ops = ops(GcsyncObjectKind::Skill);
    apply_named(shared, &Skills, &skill_facts, &skill_ops, seq, &mut step)?;
    let creates = |o: &Op| matches!(o.op, OpKind::Create | OpKind::Restore);
    if !queue_ops.is_empty() && (user_ops.iter().any(creates) || codes_ops.iter().any(creates)) {
        // The queues then find the users and codes they list synced, and add them in one go.
        settle_first(shared)?;
    }
    apply_named(shared, &queues, &queue_facts, &queue_ops, seq, &mut step)?;
    if let Some(authority) = &settings.full_sync.external_id_authority {
        let ids = staging.users.iter().map(|u| u.id.as_str());
        super::ownership::record_external_ids(shared, &client, authority, ids);
    }
    if expand {
        let c = check_assignments(None)?;
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

/// Waits (bounded) until the worker has applied what the run queued so far.
fn settle_first(shared: &Shared) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    while !shared
        .queue
        .wait_settled(std::time::Duration::from_millis(200))
    {
        if shared.full_sync.cancel.is_shutdown() {
            return Err("gcsync is shutting down".into());
        }
        if std::time::Instant::now() > deadline {
            log::warn!("full sync: the queue did not settle; the queues wait for what they need");
            break;
        }
    }
    Ok(())
}

/// Which parts of which queues are read: the queues linked to a workgroup of the snapshot,
/// and those named exactly as a workgroup of the snapshot that no other workgroup owns; of
/// those, the members (codes) when the workgroup lists some or gcsync owns some on the queue.
fn queue_reads(
    staging: &Staging,
    local: &HashMap<String, super::named::LocalNamed>,
) -> impl Fn(&crate::genesys::queues::Named) -> read_named::Parts {
    let wants: HashMap<String, read_named::Parts> = staging
        .workgroups
        .iter()
        .map(|w| {
            let owned = match local.get(&w.id).and_then(|l| l.applied.as_ref()) {
                Some(crate::kinds::Applied::Workgroup(a)) => (
                    !a.claimed_members().is_empty(),
                    !a.claimed_wrapup_codes().is_empty(),
                ),
                _ => (false, false),
            };
            let parts = (
                !w.members.is_empty() || owned.0,
                !w.wrapup_codes.is_empty() || owned.1,
            );
            (w.id.clone(), parts)
        })
        .collect();
    let owners: HashMap<String, String> = local
        .iter()
        .filter_map(|(c, l)| l.genesys_id.clone().map(|g| (g, c.clone())))
        .collect();
    move |q| {
        let by = owners.get(&q.id).unwrap_or(&q.name);
        wants.get(by).copied().unwrap_or((false, false))
    }
}

/// CIC id → Genesys id of the linked objects of `local` (`genesys_id`: an object's link).
fn linked_ids<L>(
    local: &HashMap<String, L>,
    genesys_id: impl Fn(&L) -> Option<&String>,
) -> HashMap<String, String> {
    local
        .iter()
        .filter_map(|(c, l)| genesys_id(l).map(|g| (c.clone(), g.clone())))
        .collect()
}

/// The Genesys id each object will have once `p` is applied without waiting for a write: the
/// local links, plus those found (linked or adopted) by the plan; less those created (or, when
/// `recreated`, restored: a named kind's object deleted in the org gets a new id).
fn ready_ids(
    linked: &HashMap<String, String>,
    p: &Plan,
    recreated: bool,
) -> HashMap<String, String> {
    let mut out = linked.clone();
    for o in &p.ops {
        match (o.op, &o.genesys_id) {
            (OpKind::Create | OpKind::Invalid, _) => {
                out.remove(&o.id);
            }
            (OpKind::Restore, _) if recreated => {
                out.remove(&o.id);
            }
            (OpKind::Link | OpKind::Update | OpKind::Restore, Some(g)) => {
                out.insert(o.id.clone(), g.clone());
            }
            _ => {}
        }
    }
    out
}
