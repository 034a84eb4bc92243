//! The hooks' operations: changed and deleted objects, Force Complete Sync by snapshot.

use super::current;
use crate::cic::{self, check_id};
use crate::kinds::{self, CicObject};
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::queue::{Change, Priority};
use crate::result::Failure;

/// Queues a changed CIC object of any kind (parsed and validated by its kind).
pub fn object_changed(kind: GcsyncObjectKind, json: &str) -> Result<(), Failure> {
    let shared = current()?;
    let object = CicObject::parse(kind, json)?;
    let key = ObjectKey {
        kind,
        id: object.id().to_string(),
    };
    let granted = object.skill_grants().is_some().then(|| object.clone());
    let change = Change::Upsert {
        object,
        force: false,
    };
    if !kinds::skill::grants_skills(kind) {
        // Through the inbox: no lock taken (`queue/inbox.rs`).
        return shared.queue.offer(key, change, kinds::priority(kind));
    }
    // A skill-granting kind needs to know at once whether the change was new.
    let queued = shared
        .queue
        .enqueue(key.clone(), change, kinds::priority(kind))?;
    if let (true, Some(o)) = (queued, granted) {
        kinds::skill::grants_accepted(&shared, &key, Some(&o));
    }
    Ok(())
}

/// Queues the removal of a CIC object of any kind.
pub fn object_deleted(kind: GcsyncObjectKind, id: &str) -> Result<(), Failure> {
    let shared = current()?;
    check_id(id)?;
    let key = ObjectKey {
        kind,
        id: id.to_string(),
    };
    if !kinds::skill::grants_skills(kind) {
        return shared
            .queue
            .offer(key, Change::Remove, kinds::priority(kind));
    }
    if shared
        .queue
        .enqueue(key.clone(), Change::Remove, kinds::priority(kind))?
    {
        kinds::skill::grants_accepted(&shared, &key, None);
    }
    Ok(())
}

/// Queues a forced re-verification of every user in the snapshot.
pub fn force_sync(json: &str) -> Result<(), Failure> {
    let shared = current()?;
    let snap = cic::parse_snapshot(json)?;
    let total = snap.users.len();
    // All at once: the workers find every check waiting and verify them in full batches.
    let changes = snap.users.into_iter().map(|user| {
        let key = ObjectKey::user(user.id.clone());
        let change = Change::Upsert {
            object: CicObject::User(user),
            force: true,
        };
        (key, change, Priority::Normal)
    });
    if let (_, Some(refused)) = shared.queue.enqueue_all(changes) {
        return Err(refused);
    }
    shared.queue.retry_delayed_now();
    log::info!("force complete sync queued for {total} user(s)");
    Ok(())
}
