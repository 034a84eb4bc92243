//! External ids of the users a full sync leaves to itself (README "Ownership in the org"): the
//! worker records the id of every user it creates, adopts or restores (an operation the run
//! queues included); the run records it for the snapshot's users it linked without the worker
//! (found by email), and for owned users whose record does not say it is recorded (linked by
//! an earlier version), once each: the record remembers it.

use crate::engine::Shared;
use crate::genesys::{external_ids, Client};
use crate::kinds::Applied;
use crate::object::ObjectKey;
use crate::status::SyncState;
use crate::store::RowWrite;

/// Records `authority`/CIC id on the Genesys user of every snapshot user (`ids`) that is
/// linked, Synced, not queued and not recorded yet. A failure is logged and left for the next
/// run (the record still says it is not recorded). Returns how many were recorded.
pub fn record_external_ids<'a>(
    shared: &Shared,
    client: &Client,
    authority: &str,
    ids: impl Iterator<Item = &'a str>,
) -> usize {
    let mut recorded = 0;
    for id in ids {
        if shared.full_sync.cancel.is_shutdown() {
            break;
        }
        let key = ObjectKey::user(id);
        if shared.queue.is_pending(&key) {
            continue;
        }
        let Some(r) = shared.objects.get(&key) else {
            continue;
        };
        let gid = match (&r.status.genesys_id, &r.applied) {
            (Some(g), Some(Applied::User(a)))
                if !r.status.removed
                    && r.status.state == SyncState::Synced
                    && a.external_id.as_deref() != Some(authority) =>
            {
                g.clone()
            }
            _ => continue,
        };
        if let Err(e) = external_ids::add(client, &gid, authority, id) {
            log::warn!(
                "user {id}: could not record external id {authority}/{id} on Genesys user {gid}: {e}"
            );
            continue;
        }
        recorded += 1;
        let r = shared.objects.update(&key, |r| match &mut r.applied {
            Some(Applied::User(a)) if r.status.genesys_id.as_deref() == Some(gid.as_str()) => {
                a.external_id = Some(authority.to_string());
            }
            _ => {}
        });
        shared.persist(RowWrite {
            key,
            record: Some(r),
            done_seq: None,
        });
    }
    recorded
}
