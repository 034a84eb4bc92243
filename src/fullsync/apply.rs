//! Applying a named kind's plan ([`super::named`]) through the work queue, so the worker's
//! steps, waits, statuses and bulk endpoints apply: a `link` is recorded with no call; an
//! `update` records what the org holds (so the worker's own comparison finds exactly the drift
//! and re-reads only the drifted part of a queue) and queues the object; a `restore` forgets
//! the link to the object deleted in the org, so the worker creates it again with its parts; a
//! `create` queues the object (the worker adopts an exact-name twin that appeared since); a
//! `remove` queues the removal (the worker removes the uses first). A change of the object that
//! arrived after the snapshot wins (`seq`).

use super::named::{LocalNamed, NamedFacts, Reconcile};
use super::plan::{Found, Op, OpKind};
use crate::clock::unix_now;
use crate::engine::Shared;
use crate::kinds::{Applied, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::Origin;
use crate::queue::{Change, Priority};
use crate::result::Failure;
use crate::status::SyncState;
use crate::store::RowWrite;
use std::collections::HashMap;
use std::sync::Arc;

/// Applies `ops` (planned from `f` by `r`); `step` hears after each operation.
pub(super) fn apply_named<R: Reconcile>(
    shared: &Shared,
    r: &R,
    f: &NamedFacts<R>,
    ops: &[Op],
    seq: u64,
    step: &mut dyn FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let wants: HashMap<&str, &R::Want> = f
        .snapshot
        .unwrap_or_default()
        .iter()
        .map(|w| (R::id(w), w))
        .collect();
    let org: HashMap<&str, &R::Have> = f.org.iter().map(|h| (R::have_id(h), h)).collect();
    let q = &shared.queue;
    let priority = crate::kinds::priority(R::KIND);
    for op in ops {
        step()?;
        let key = ObjectKey {
            kind: R::KIND,
            id: op.id.clone(),
        };
        if op.op == OpKind::Remove {
            q.enqueue_unless_newer(key, Change::Remove, priority, seq)
                .map_err(|e| e.message)?;
            continue;
        }
        let Some(w) = wants.get(op.id.as_str()) else {
            continue;
        };
        if q.newer_than(&key, seq) {
            log::debug!(
                "{} {}: a newer change arrived; the snapshot's is dropped",
                R::KIND.name(),
                op.id
            );
            continue;
        }
        let object = R::object(w);
        let have = op.genesys_id.as_deref().and_then(|g| org.get(g));
        let local = f.local.get(&op.id);
        match (op.op, have) {
            (OpKind::Link, Some(h)) => {
                let applied = r.applied(w, h, local.filter(|_| op.found == Some(Found::Link)));
                link(shared, &key, object, applied, R::have_id(h), op.found);
                continue;
            }
            (OpKind::Update, Some(h)) => {
                let applied = r.applied(w, h, local.filter(|_| op.found == Some(Found::Link)));
                record(shared, &key, |rec| {
                    rec.status.genesys_id = Some(R::have_id(h).to_string());
                    rec.status.removed = false;
                    if op.found == Some(Found::Name) || rec.origin.is_none() {
                        rec.origin = Some(Origin::Adopted);
                    }
                    rec.applied = Some(applied);
                });
            }
            (OpKind::Restore, _) => forget_link(shared, &key),
            _ => {}
        }
        q.forget_accepted(&key);
        let change = Change::Upsert {
            object,
            force: false,
        };
        enqueue(shared, key, change, priority, seq)?;
    }
    Ok(())
}

fn enqueue(
    shared: &Shared,
    key: ObjectKey,
    change: Change,
    priority: Priority,
    seq: u64,
) -> Result<(), String> {
    shared
        .queue
        .enqueue_unless_newer(key, change, priority, seq)
        .map(|_| ())
        .map_err(|f: Failure| f.message)
}

/// Updates and saves one record.
fn record(shared: &Shared, key: &ObjectKey, f: impl FnOnce(&mut crate::objects::Record)) {
    let r = shared.objects.update(key, f);
    shared.persist(RowWrite {
        key: key.clone(),
        record: Some(r),
        done_seq: None,
    });
}

/// Records an object the org already holds as the snapshot says: Synced, no call. A workgroup
/// whose CIC data changed meanwhile re-queues the users whose inherited skills change.
fn link(
    shared: &Shared,
    key: &ObjectKey,
    object: CicObject,
    applied: Applied,
    gid: &str,
    found: Option<Found>,
) {
    let mut before = None;
    record(shared, key, |r| {
        before = r.source.clone();
        r.source = Some(Arc::new(object.clone()));
        r.applied = Some(applied);
        if found == Some(Found::Name) || r.origin.is_none() {
            r.origin = Some(Origin::Adopted);
        }
        r.intent = None;
        r.status.state = SyncState::Synced;
        r.status.genesys_id = Some(gid.to_string());
        r.status.removed = false;
        r.status.reason = None;
        r.status.last_synchronized = Some(unix_now());
    });
    if let CicObject::Workgroup(new) = &object {
        let old = match before.as_deref() {
            Some(CicObject::Workgroup(w)) => w.clone(),
            _ => crate::payloads::CicWorkgroup {
                id: new.id.clone(),
                members: Vec::new(),
                skills: Vec::new(),
                wrapup_codes: Vec::new(),
            },
        };
        let users = crate::kinds::workgroup::plan::affected_users(&old, new);
        crate::kinds::skill::requeue_users_for_skills(shared, &users);
    }
    shared.release_waiters(key);
    let unchanged = Change::Upsert {
        object,
        force: false,
    };
    shared.queue.remember_applied(key.clone(), unchanged);
}

/// Forgets the link to an object deleted in the org, so the worker creates it again. The users
/// holding a skill (language) deleted in the org get the new one once it is synced.
fn forget_link(shared: &Shared, key: &ObjectKey) {
    let Some(r) = shared.objects.get(key) else {
        return;
    };
    if let (Some(gid), Some(Applied::Skill(a))) = (&r.status.genesys_id, &r.applied) {
        let holders = shared
            .objects
            .select_kind(GcsyncObjectKind::User, |u| match &u.applied {
                Some(Applied::User(ua)) if a.language => ua.routing.languages.contains_key(gid),
                Some(Applied::User(ua)) => ua.routing.skills.contains_key(gid),
                _ => false,
            });
        for (user, _) in holders {
            shared.waiting.wait(&user, std::slice::from_ref(key));
        }
    }
    record(shared, key, |r| {
        r.status.genesys_id = None;
        r.status.removed = false;
        r.applied = None;
        r.origin = None;
    });
}

/// What gcsync knows locally of every object of `kind` (owned: linked and not removed).
pub(super) fn local_named(shared: &Shared, kind: GcsyncObjectKind) -> HashMap<String, LocalNamed> {
    shared
        .objects
        .select_kind(kind, |r| {
            r.source.as_deref().is_none_or(|s| s.kind() == kind)
        })
        .into_iter()
        .filter(|(k, _)| k.kind == kind)
        .map(|(k, r)| {
            let owned = r.origin.is_some() && !r.status.removed;
            let synced = r.status.state == SyncState::Synced && owned;
            let local = LocalNamed {
                genesys_id: r.status.genesys_id.clone().filter(|_| owned),
                created: r.origin == Some(Origin::Created),
                synced_as: r.source.as_deref().filter(|_| synced).cloned(),
                applied: r.applied.clone(),
            };
            (k.id, local)
        })
        .collect()
}
