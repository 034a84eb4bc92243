//! The users' part of a full sync run (the pure planning is [`super::plan`]): what gcsync knows
//! of them locally, the external-id look-ups, applying one user operation through the work
//! queue, and recording the external ids of the users the run created or linked by email.

use super::plan::{Found, Local, Op, OpKind};
use super::read;
use super::Staging;
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

pub(super) fn local_users(shared: &Shared) -> HashMap<String, Local> {
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

/// Users looked up by external id: only those not linked locally, and only when the org holds
/// users gcsync does not know locally (else nothing can be found that way).
pub(super) fn lookups(
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

pub(super) fn apply_op(
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
pub(super) fn record_external_ids(
    shared: &Shared,
    client: &mut Client,
    authority: &str,
    ops: &[Op],
) {
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
