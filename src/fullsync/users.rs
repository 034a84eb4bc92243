//! The users' part of a full sync run (the pure planning is [`super::plan`]): what gcsync knows
//! of them locally, the external-id look-ups, applying one user operation through the work
//! queue (the external ids are recorded by [`super::ownership`]).

use super::plan::{Found, Local, Op, OpKind};
use super::read;
use super::Staging;
use crate::clock::unix_now;
use crate::engine::Shared;
use crate::genesys::users::GcUser;
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

pub(super) fn local_users(shared: &Shared) -> HashMap<String, Local> {
    shared
        .objects
        .select_kind(GcsyncObjectKind::User, |_| true)
        .into_iter()
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
    client: &Client,
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

/// Whether the run can hand `op` to the worker as an unforced change with what the org read
/// showed (see [`record_observed`]): an update of a user linked locally and active in the org
/// (an inactive one is reactivated by the forced path).
pub(super) fn observable<'a>(op: &Op, org: &HashMap<&str, &'a GcUser>) -> Option<&'a GcUser> {
    if op.op != OpKind::Update || op.found != Some(Found::Link) {
        return None;
    }
    let g = org.get(op.genesys_id.as_deref()?)?;
    (g.state() == "active").then_some(*g)
}

/// Records what the org read showed of a drifted user as what was last applied (its fields,
/// version and kept contacts; the assignments and external id gcsync made stay), so the
/// worker's own comparison finds exactly the drift and PATCHes it with that version: no
/// re-read (a forced check would read the user, its skills and its languages again). Returns
/// false when the record holds no applied user to amend (the forced path then applies).
fn record_observed(
    shared: &Shared,
    key: &ObjectKey,
    user: &crate::cic::CicUser,
    g: &GcUser,
    country: Option<&str>,
) -> bool {
    let Ok(mapped) = crate::mapping::desired_user(user, country) else {
        return false;
    };
    let seen = crate::mapping::DesiredUser {
        name: g.name.clone().unwrap_or_default(),
        email: g.email.clone().unwrap_or_default(),
        phones: crate::diff::actual_phones(&mapped.user, g),
    };
    let known = crate::user_sync::Known {
        version: g.version,
        kept: crate::diff::kept_contacts(&mapped.user, g),
        unsure: false,
    };
    let mut amended = false;
    let r = shared.objects.update(key, |r| {
        if let Some(Applied::User(a)) = &mut r.applied {
            a.desired = seen;
            a.known = Some(known);
            amended = true;
        }
    });
    if amended {
        shared.persist(RowWrite {
            key: key.clone(),
            record: Some(r),
            done_seq: None,
        });
    }
    amended
}

pub(super) fn apply_op(
    shared: &Shared,
    settings: &Settings,
    users: &HashMap<&str, &crate::cic::CicUser>,
    op: &Op,
    observed: Option<&GcUser>,
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
    let mut force = op.op != OpKind::Invalid;
    if let Some(g) = observed {
        if record_observed(shared, &key, &user, g, country) {
            // Unforced: the queue would take it for the change it last accepted; forget that.
            q.forget_accepted(&key);
            force = false;
        }
    }
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
