//! Asking the host for a snapshot: once after an unclean stop, then every
//! `full_sync_period_hours` since the last completed full sync (or the start). A host without the
//! `request_snapshot` callback sees `full_sync.recommended = true` in the overview instead.

use crate::engine::Shared;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `request_snapshot` reason: the previous run ended without a clean stop.
pub(crate) const REASON_UNCLEAN_STOP: u32 = 1;
/// `request_snapshot` reason: the period passed.
pub(crate) const REASON_PERIOD: u32 = 2;
/// `request_snapshot` reason: a standby became active.
pub(crate) const REASON_TAKEOVER: u32 = 3;

/// Starts the timer thread (it ends within a second of a shutdown request).
pub fn start(shared: Arc<Shared>, unclean: bool) -> std::io::Result<()> {
    let for_thread = shared.clone();
    let priority = shared.with_settings(|s| s.background_priority);
    let h = crate::threads::spawn("gcsync-fullsync-timer".into(), priority, move || {
        run(&for_thread, unclean)
    })?;
    shared.full_sync.keep_thread(h);
    Ok(())
}

fn ask(shared: &Shared, reason: u32) {
    log::info!(
        "asking the host for a Force Complete Sync snapshot ({})",
        match reason {
            REASON_UNCLEAN_STOP => "the previous run ended without a clean stop",
            REASON_TAKEOVER => "this instance became active",
            _ => "full_sync_period_hours passed",
        }
    );
    if !shared.host.request_snapshot(reason) {
        shared.full_sync.set_recommended(true);
    }
}

fn run(shared: &Shared, unclean: bool) {
    if unclean {
        shared.full_sync.set_recommended_reason("unclean stop");
        ask(shared, REASON_UNCLEAN_STOP);
    }
    let mut since = Instant::now();
    // `sleep` returns false once shutdown cancels the full sync.
    while shared.full_sync.cancel.sleep(Duration::from_millis(250)) {
        if shared
            .full_sync
            .takeover
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            ask(shared, REASON_TAKEOVER);
        }
        let hours = shared.with_settings(|s| s.full_sync.full_sync_period_hours);
        if let Some(done) = shared.full_sync.last_completed() {
            since = since.max(done);
        }
        if hours > 0 && since.elapsed() >= Duration::from_secs(u64::from(hours) * 3600) {
            ask(shared, REASON_PERIOD);
            since = Instant::now();
        }
    }
}
