//! The instance's role (`gcsync_set_role`, the `role` setting): an active instance syncs, a
//! standby one accepts and saves hooks and makes no Genesys Cloud call.

use crate::engine::Shared;

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
