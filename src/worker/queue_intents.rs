//! What the workgroup steps record durably ahead of their POSTs (README "Crash-consistent
//! queue members and codes"): the queue's create intent before the queue's POST, the link and
//! the additions before a POST that adds members or codes; and the look-up by name that a
//! CIC deletion makes when only a create intent was recorded.

use crate::clock::unix_now;
use crate::engine::Shared;
use crate::genesys::queues;
use crate::kinds::workgroup::AppliedQueue;
use crate::kinds::{Applied, CicObject};
use crate::object::ObjectKey;
use crate::objects::{Intent, Origin, Record};
use crate::store::RowWrite;
use crate::user_sync::{Ctx, SyncError};
use std::sync::Arc;

/// Records durably, before a POST that adds members or codes to `queue`, the link and what is
/// being added (`applied.adding_*`), so that a restart after a crash before the outcome (or the
/// next attempt after a failed POST) knows them as gcsync's when the queue holds them. The row
/// keeps the CIC data processed before this change (`prior`): the change stays pending (it is
/// committed with this row if it was not yet) and is processed again against what came before.
pub(super) fn save_intent(
    shared: &Shared,
    key: &ObjectKey,
    prior: Option<Arc<CicObject>>,
    queue: &(String, Origin),
    applied: &AppliedQueue,
) -> Result<(), SyncError> {
    let change = |r: &mut Record| {
        r.status.genesys_id = Some(queue.0.clone());
        r.origin = Some(queue.1);
        r.status.removed = false;
        r.applied = Some(Applied::Workgroup(applied.clone()));
        // The link is recorded: a create intent has done its work.
        r.intent = None;
    };
    persist_ahead(shared, key, prior, change, "the queue's additions")
}

/// Records durably, before the POST that creates the workgroup's queue (named as the
/// workgroup), that it may be created (a create intent, its `email` empty), unless one is
/// recorded already: a restart after a crash before the link's commit takes the queue it
/// finds by that name as gcsync's creation, and a CIC deletion meanwhile finds and deletes it.
pub(super) fn record_create_intent(
    shared: &Shared,
    key: &ObjectKey,
    prior: Option<Arc<CicObject>>,
) -> Result<(), SyncError> {
    if shared
        .objects
        .with_record(key, |r| r.is_some_and(|r| r.intent.is_some()))
    {
        return Ok(());
    }
    let intent = Intent {
        op: "create".into(),
        email: String::new(),
        at: unix_now(),
    };
    let change = |r: &mut Record| r.intent = Some(intent);
    persist_ahead(shared, key, prior, change, "the queue's create")
}

/// Records durably, before the POST that creates a wrap-up code named `name`, that it may be
/// created (a create intent whose `email` is that name), unless that is recorded already: the
/// next step, or a restart after a crash before the link's commit, looks for a code of that
/// name before creating one (README "Crash-consistent queue members and codes").
pub(super) fn record_code_intent(
    shared: &Shared,
    key: &ObjectKey,
    prior: Option<Arc<CicObject>>,
    name: &str,
) -> Result<(), SyncError> {
    let recorded = |r: Option<&Record>| {
        r.and_then(|r| r.intent.as_ref())
            .is_some_and(|i| i.email == name)
    };
    if shared.objects.with_record(key, recorded) {
        return Ok(());
    }
    let intent = Intent {
        op: "create".into(),
        email: name.to_string(),
        at: unix_now(),
    };
    let change = |r: &mut Record| r.intent = Some(intent);
    persist_ahead(shared, key, prior, change, "the wrap-up code's create")
}

/// Changes `key`'s record with `change` and writes it durably, with the CIC data processed
/// before (`prior`) so the change being processed stays new (see [`save_intent`]).
fn persist_ahead(
    shared: &Shared,
    key: &ObjectKey,
    prior: Option<Arc<CicObject>>,
    change: impl FnOnce(&mut Record),
    what: &str,
) -> Result<(), SyncError> {
    let mut row = shared.objects.update(key, change);
    row.source = prior;
    write_ahead(shared, key, row, what)
}

/// Writes `row`, recorded ahead of a write to Genesys Cloud, durably; a failure is transient
/// ("cannot record `what` …; will retry"). Shared with `worker/assign_intents.rs`.
pub(super) fn write_ahead(
    shared: &Shared,
    key: &ObjectKey,
    row: Record,
    what: &str,
) -> Result<(), SyncError> {
    let write = RowWrite {
        key: key.clone(),
        record: Some(row),
        done_seq: None,
    };
    shared.persist_durably(write).map_err(|f| {
        SyncError::Transient(format!(
            "cannot record {what} in the data directory ({}); will retry",
            f.message
        ))
    })
}

/// The queue named exactly `name` that a create recorded before a crash may have made, unless
/// another workgroup is linked to it.
pub(super) fn created_queue(
    ctx: &mut Ctx,
    name: &str,
    owner_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, SyncError> {
    let found = queues::find_by_name(ctx.client, name)?;
    let mine = found
        .into_iter()
        .find(|q| q.name == name)
        .filter(|q| owner_of(&q.id).is_none_or(|o| o == name));
    Ok(mine.map(|q| q.id))
}
