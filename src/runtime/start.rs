//! Start: `gcsync_init` (settings checked, store opened and loaded, unfinished work put back,
//! threads started).

use super::{Lifecycle, Running, Threads, LIFECYCLE, TRANSITION};
use crate::engine::Shared;
use crate::host::{GcsyncHost, Host};
use crate::logging;
use crate::metrics::Metrics;
use crate::objects::ObjectTable;
use crate::queue::WorkQueue;
use crate::result::{Failure, GcsyncResult};
use crate::settings::Settings;
use crate::store::{Db, Loaded};
use crate::writer::Durability;
use crossbeam_channel::Receiver;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

pub(super) fn load_settings(host: &Host) -> Result<Settings, Failure> {
    let map = host.read_settings()?;
    Settings::load(&|k| map.get(k).cloned())
}

/// Builds (without network I/O) the client the settings describe, so a bad proxy, CA bundle or
/// URL is refused at once rather than shown later on every object.
pub(super) fn check_connection(s: &Settings) -> Result<(), Failure> {
    crate::genesys::Client::new(s.client_config()?, Arc::new(Metrics::default()))
        .map(|_| ())
        .map_err(|e| {
            Failure::new(
                GcsyncResult::InvalidSetting,
                format!("settings: {}", e.into_reason()),
            )
        })
}

pub(super) fn redactions(s: &Settings) -> Vec<String> {
    vec![s.client_secret.expose().to_string()]
}

/// Puts the loaded work back in the queue: every pending change, every object whose last
/// outcome was not Synced (new settings may arrive through a restart: fixed credentials are
/// tried at once, not at the next change), and every user whose assignments wait for a skill
/// (the wait is in memory: [`crate::objects::Record::assignments_wait`]; an unchanged user costs no call).
/// Objects that synced are remembered, so an identical event later costs nothing.
fn resume(queue: &WorkQueue, loaded: &mut Loaded) -> usize {
    queue.reserve(loaded.rows.len());
    let mut waiting = HashSet::with_capacity(loaded.pending.len());
    for (key, change, seq) in std::mem::take(&mut loaded.pending) {
        waiting.insert(key.clone());
        queue.restore(key, change, seq);
    }
    let resumed = waiting.len();
    for (key, r) in &loaded.rows {
        if waiting.contains(key) {
            continue;
        }
        if r.unfinished() || r.assignments_wait() {
            let change = r.clone().decoded(key.kind).wanted_change();
            queue.restore(key.clone(), change, r.seq);
        } else if let Some(text) = r.texts.as_ref().and_then(|t| t.source_shared()) {
            // Shared with the record, which keeps it as text (nothing decoded at start).
            queue.remember_stored(key.clone(), text);
        } else if let Some(object) = &r.source {
            // Shared with the record, not copied: most stored objects are synced ones.
            queue.remember_synced(key.clone(), object.clone());
        } else if r.status.removed {
            queue.remember_applied(key.clone(), crate::queue::Change::Remove);
        }
    }
    resumed
}

/// Starts the plugin (the host struct's ABI version and size were checked by
/// `GcsyncHost::read` at the boundary): validates the settings, opens the store, re-queues
/// unfinished work and starts the worker and writer threads (below normal priority unless
/// `background_priority` is `normal`: `crate::threads`).
pub fn init(host: &GcsyncHost) -> Result<(), Failure> {
    let _t = TRANSITION.lock().unwrap_or_else(|p| p.into_inner());
    if matches!(
        &*LIFECYCLE.read().unwrap_or_else(|p| p.into_inner()),
        Lifecycle::Running(_)
    ) {
        return Err(Failure::new(
            GcsyncResult::AlreadyInitialized,
            "gcsync is already running; call gcsync_shutdown first",
        ));
    }
    let host = Host(*host);
    let settings = load_settings(&host)?;
    check_connection(&settings)?;
    let (mut db, mut loaded) = Db::open(&settings.data_dir)?;
    let unclean = db.mark_running()?;
    logging::connect(host, settings.log_level, redactions(&settings));
    if let Some(m) = &loaded.migrated {
        log::info!("{m}");
    }
    let queue = WorkQueue::with_workers(
        settings.max_pending_objects,
        loaded.last_seq,
        worker_threads(&settings),
    );
    let resumed = resume(&queue, &mut loaded);
    let objects = ObjectTable::new(std::mem::take(&mut loaded.rows));
    let (writer_tx, writer_rx) = crossbeam_channel::unbounded();
    let shared = Arc::new(Shared::new(
        queue,
        objects,
        Durability::new(loaded.last_seq),
        host,
        settings,
        writer_tx,
    ));
    let (month, calls) = &loaded.month_calls;
    shared.metrics.usage.seed_month(month, *calls);
    shared.metrics.worker_alive.store(true, Ordering::SeqCst);
    // Publish the running state before the worker starts: work it resumes may notify the host,
    // whose callback may query gcsync before gcsync_init has returned.
    let running = Arc::new(Running {
        shared: shared.clone(),
        threads: Mutex::new(None),
    });
    let previous = std::mem::replace(
        &mut *LIFECYCLE.write().unwrap_or_else(|p| p.into_inner()),
        Lifecycle::Running(running.clone()),
    );
    super::current::publish(&shared);
    crate::platform::pin_module();
    let for_timer = shared.clone();
    match start_threads(shared, db, writer_rx) {
        Ok(t) => *running.threads.lock().unwrap_or_else(|p| p.into_inner()) = Some(t),
        Err(e) => {
            super::current::withdraw();
            super::current::release(&running.shared);
            *LIFECYCLE.write().unwrap_or_else(|p| p.into_inner()) = previous;
            logging::disconnect();
            return Err(Failure::new(
                GcsyncResult::InternalError,
                format!("cannot start a gcsync thread: {e}"),
            ));
        }
    }
    if let Err(e) = crate::fullsync::timer::start(for_timer, unclean) {
        log::warn!("cannot start the full sync timer: {e}");
    }
    log::info!(
        "gcsync {} started; {resumed} unfinished change(s) resumed",
        env!("CARGO_PKG_VERSION")
    );
    Ok(())
}

fn start_threads(
    shared: Arc<Shared>,
    db: Db,
    writer_rx: Receiver<crate::writer::Msg>,
) -> std::io::Result<Threads> {
    let for_writer = shared.clone();
    let priority = shared.with_settings(|s| s.background_priority);
    let writer = crate::threads::spawn("gcsync-writer".into(), priority, move || {
        crate::writer::run(db, for_writer, writer_rx)
    })?;
    let n = shared.queue.workers();
    let (done_tx, worker_done) = crossbeam_channel::bounded(n);
    let mut workers = Vec::with_capacity(n);
    for slot in 0..n {
        let (for_worker, done) = (shared.clone(), done_tx.clone());
        let name = match slot + 1 == n {
            true => "gcsync-presence".to_string(),
            false => format!("gcsync-worker-{slot}"),
        };
        let fill = slot + 1 == n;
        let spawned = crate::threads::spawn(name, priority, move || {
            // The presence worker, idle most of the time, first fills the status index.
            if fill {
                let queue = &for_worker.queue;
                for_worker.objects.fill_status_index(|| queue.is_closed());
            }
            crate::worker::run(for_worker, slot);
            let _ = done.send(());
        });
        match spawned {
            Ok(w) => workers.push(w),
            Err(e) => {
                shared.queue.close();
                shared.queue.cancel_all();
                workers.into_iter().for_each(|w| drop(w.join()));
                shared.stop_writer();
                let _ = writer.join();
                return Err(e);
            }
        }
    }
    Ok(Threads {
        workers,
        worker_done,
        writer,
    })
}

/// How many worker threads take objects from the queue (each holds one object at a time, so
/// this is also the most requests in flight): `max_concurrent_requests` configuration workers,
/// read at start, and one presence worker (the last slot, `gcsync-presence`, on the presence
/// lane; see `worker::is_presence_slot`).
fn worker_threads(settings: &Settings) -> usize {
    settings.max_concurrent_requests + 1
}
