//! Force Complete Sync in parts (README, "Force Complete Sync"): the operations behind
//! `gcsync_force_sync_begin` / `_add` / `_commit` / `_abort` / `_release_held` / `_plan`.

use super::current_owned as current;
use crate::object::GcsyncObjectKind;
use crate::result::Failure;
use std::time::Duration;

/// Starts staging a snapshot; returns its number.
pub fn begin() -> Result<u64, Failure> {
    Ok(current()?.full_sync.begin())
}

/// Adds a chunk (a JSON array of objects of `kind`).
pub fn add(kind: GcsyncObjectKind, json: &str) -> Result<usize, Failure> {
    current()?.full_sync.add(kind, json)
}

/// Commits the staged snapshot (flags: `DRY_RUN`).
pub fn commit(flags: u32) -> Result<(), Failure> {
    crate::fullsync::run::commit(&current()?, flags)
}

/// Drops the staged snapshot.
pub fn abort() -> Result<(), Failure> {
    current()?.full_sync.abort()
}

/// Sets the role (standby: no Genesys Cloud call).
pub fn set_role(standby: bool) -> Result<(), Failure> {
    crate::fullsync::run::set_role(&*current()?, standby);
    Ok(())
}

/// Applies the held removals.
pub fn release_held() -> Result<usize, Failure> {
    crate::fullsync::run::release_held(&*current()?)
}

/// Waits until no full sync runs or waits.
pub fn wait(timeout: Duration) -> Result<bool, Failure> {
    Ok(current()?.full_sync.wait(timeout))
}

/// One page of the last plan.
pub fn plan_page(after: Option<&str>, max: u32) -> Result<String, Failure> {
    if max == 0 || max > super::MAX_PAGE_ITEMS {
        return Err(Failure::new(
            crate::result::GcsyncResult::InvalidArgument,
            format!(
                "max_items is {max}; it must be 1 to {}",
                super::MAX_PAGE_ITEMS
            ),
        ));
    }
    current()?.full_sync.plan_page(after, max as usize)
}
