//! The plugin's process-global lifecycle (not initialised → running → shut down → running ...)
//! and the operations behind every export. Functions here take and return Rust types; `ffi.rs`
//! does the C conversions.
//!
//! Locking: `LIFECYCLE` is an `RwLock` held only to clone or swap an `Arc`, never across I/O;
//! `TRANSITION` serialises init and shutdown (which do I/O) without blocking hooks.

use crate::cic::{self, check_id};
use crate::engine::Shared;
use crate::host::{GcsyncHost, Host};
use crate::json_out::JsonOut;
use crate::kinds::{self, CicObject};
use crate::logging;
use crate::metrics::Metrics;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::ObjectTable;
use crate::queue::{Change, Priority, WorkQueue};
use crate::result::{Failure, GcsyncResult};
use crate::settings::Settings;
use crate::status::write_status;
use crate::store::{Db, Loaded};
use crate::writer::Durability;
use crossbeam_channel::Receiver;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

struct Threads {
    workers: Vec<JoinHandle<()>>,
    /// One message per worker that returned.
    worker_done: Receiver<()>,
    writer: JoinHandle<()>,
}

struct Running {
    shared: Arc<Shared>,
    threads: Mutex<Option<Threads>>,
}

enum Lifecycle {
    NotInitialized,
    Running(Arc<Running>),
    ShutDown,
}

static LIFECYCLE: RwLock<Lifecycle> = RwLock::new(Lifecycle::NotInitialized);
static TRANSITION: Mutex<()> = Mutex::new(());

fn current() -> Result<Arc<Shared>, Failure> {
    let g = LIFECYCLE.read().unwrap_or_else(|p| p.into_inner());
    match &*g {
        Lifecycle::Running(r) => Ok(r.shared.clone()),
        Lifecycle::NotInitialized => Err(Failure::new(
            GcsyncResult::NotInitialized,
            "call gcsync_init first",
        )),
        Lifecycle::ShutDown => Err(Failure::new(
            GcsyncResult::ShutDown,
            "gcsync has been shut down; call gcsync_init to start it again",
        )),
    }
}

fn load_settings(host: &Host) -> Result<Settings, Failure> {
    let map = host.read_settings()?;
    Settings::load(&|k| map.get(k).cloned())
}

/// Builds (without network I/O) the client the settings describe, so a bad proxy, CA bundle or
/// URL is refused at once rather than shown later on every object.
fn check_connection(s: &Settings) -> Result<(), Failure> {
    crate::genesys::Client::new(s.client_config()?, Arc::new(Metrics::default()))
        .map(|_| ())
        .map_err(|e| {
            Failure::new(
                GcsyncResult::InvalidSetting,
                format!("settings: {}", e.into_reason()),
            )
        })
}

fn redactions(s: &Settings) -> Vec<String> {
    vec![s.client_secret.expose().to_string()]
}

/// Puts the loaded work back in the queue: every pending change, and every object whose last
/// outcome was not Synced (new settings may arrive through a restart: fixed credentials are
/// tried at once, not at the next change). Objects that synced are remembered, so an identical
/// event later costs nothing.
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
        if r.unfinished() {
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
/// unfinished work and starts the worker and writer threads.
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
    crate::platform::pin_module();
    let for_timer = shared.clone();
    match start_threads(shared, db, writer_rx) {
        Ok(t) => *running.threads.lock().unwrap_or_else(|p| p.into_inner()) = Some(t),
        Err(e) => {
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
    let writer = std::thread::Builder::new()
        .name("gcsync-writer".into())
        .spawn(move || crate::writer::run(db, for_writer, writer_rx))?;
    let n = shared.queue.workers();
    let (done_tx, worker_done) = crossbeam_channel::bounded(n);
    let mut workers = Vec::with_capacity(n);
    for slot in 0..n {
        let (for_worker, done) = (shared.clone(), done_tx.clone());
        let spawned = std::thread::Builder::new()
            .name(match slot + 1 == n {
                true => "gcsync-presence".to_string(),
                false => format!("gcsync-worker-{slot}"),
            })
            .spawn(move || {
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

/// Stops intake, lets the worker drain for up to `timeout` (then cuts off the request in flight
/// through the cancel flag: a stalled server does not hold shutdown up), joins the worker and
/// then the writer (which commits everything accepted), and disconnects logging. Afterwards no
/// gcsync thread runs.
pub fn shutdown(timeout: Duration) -> Result<(), Failure> {
    let _t = TRANSITION.lock().unwrap_or_else(|p| p.into_inner());
    let running = {
        let mut g = LIFECYCLE.write().unwrap_or_else(|p| p.into_inner());
        match std::mem::replace(&mut *g, Lifecycle::ShutDown) {
            Lifecycle::Running(r) => r,
            Lifecycle::NotInitialized => {
                *g = Lifecycle::NotInitialized;
                return Err(Failure::new(
                    GcsyncResult::NotInitialized,
                    "gcsync was never started",
                ));
            }
            Lifecycle::ShutDown => {
                return Err(Failure::new(
                    GcsyncResult::ShutDown,
                    "gcsync is already shut down; call gcsync_init to start it again",
                ))
            }
        }
    };
    let shared = running.shared.clone();
    shared.request_stop(Instant::now() + timeout);
    shared.queue.close();
    shared.full_sync.stop();
    if crate::fullsync::run::standby(&shared) {
        // A standby's workers sleep until the role changes and have nothing to drain (the
        // hooks it saved wait for the next start): wake them so shutdown does not wait for
        // the timeout. After `request_stop`, so a worker woken here sees the stop.
        shared.queue.interrupt_all();
    }
    let threads = running
        .threads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some(t) = threads {
        let deadline = Instant::now() + timeout;
        for _ in 0..t.workers.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if t.worker_done.recv_timeout(left).is_err() {
                // Past the timeout: end whatever wait the workers are in (rate-limit pause,
                // backoff).
                shared.queue.cancel_all();
                break;
            }
        }
        t.workers.into_iter().for_each(|w| drop(w.join()));
        shared.stop_writer();
        let _ = t.writer.join();
    }
    let (waiting, delayed, in_flight) = shared.queue.depth();
    let left = waiting + delayed + in_flight;
    let durable = shared
        .durability
        .wait(shared.queue.accepted_seq(), Duration::ZERO);
    log::info!("gcsync stopped; {left} unfinished change(s) saved for the next start");
    logging::disconnect();
    durable.map_err(|f| {
        Failure::new(
            GcsyncResult::StorageError,
            format!(
                "some accepted changes could not be saved in the data directory: {}",
                f.message
            ),
        )
    })?;
    if left > 0 {
        return Err(Failure::new(
            GcsyncResult::ShutdownTimedOut,
            format!("{left} change(s) were not synced before the timeout; they were saved and resume at the next start"),
        ));
    }
    Ok(())
}

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

/// Re-reads the settings from the host and installs them; the worker picks them up before the
/// next change it takes (and ends any wait it is in), so every change accepted after this
/// returns is applied with them.
pub fn settings_changed() -> Result<(), Failure> {
    let shared = current()?;
    let new = load_settings(&shared.host)?;
    check_connection(&new)?;
    let (level, redact) = (new.log_level, redactions(&new));
    shared.replace_settings(|old| {
        if new.data_dir != old.data_dir {
            return Err(Failure::new(
                GcsyncResult::InvalidSetting,
                "data_dir cannot change while gcsync runs; shut down and start again to move it",
            ));
        }
        Ok(new)
    })?;
    logging::update(level, redact);
    log::info!("settings reloaded");
    Ok(())
}

/// The payload limit in force. The C layer enforces it before it validates UTF-8, so the
/// functions here take payloads already checked.
pub fn max_payload() -> Result<usize, Failure> {
    Ok(current()?.with_settings(|s| s.max_payload_bytes))
}

/// Waits until the queue is idle (objects waiting for a retry time do not count).
pub fn wait_idle(timeout: Duration) -> Result<(), Failure> {
    let shared = current()?;
    if shared.queue.wait_idle(timeout) {
        Ok(())
    } else {
        Err(Failure::new(
            GcsyncResult::Timeout,
            "changes are still pending after the timeout",
        ))
    }
}

/// Waits until every change accepted so far reached a final state: nothing waits, is in flight
/// or waits for a retry time.
pub fn wait_settled(timeout: Duration) -> Result<(), Failure> {
    let shared = current()?;
    if shared.queue.wait_settled(timeout) {
        return Ok(());
    }
    let (waiting, delayed, in_flight) = shared.queue.depth();
    Err(Failure::new(
        GcsyncResult::Timeout,
        format!(
            "not settled after the timeout: {waiting} waiting, {in_flight} in flight, {delayed} \
             waiting for a retry time (their status says when)"
        ),
    ))
}

/// Waits until every change accepted before the call, and every status recorded so far, is
/// durable in the data directory.
pub fn flush(timeout: Duration) -> Result<(), Failure> {
    let shared = current()?;
    let start = Instant::now();
    let upto = shared.queue.accepted_seq();
    shared.queue.wake_writer();
    shared.durability.wait(upto, timeout)?;
    shared.barrier(timeout.saturating_sub(start.elapsed()))
}

/// One object's status JSON.
pub fn object_status(kind: GcsyncObjectKind, id: &str) -> Result<String, Failure> {
    let shared = current()?;
    let key = ObjectKey {
        kind,
        id: id.to_string(),
    };
    // The queue's lock first and alone; then the status is written under the table's lock,
    // copying nothing out of it.
    let pending = shared.queue.is_pending(&key);
    let mut out = JsonOut::with_capacity(192 + 2 * id.len());
    shared
        .objects
        .with_status(&key, |status| write_status(&mut out, &key, status, pending));
    Ok(out.into_string())
}

/// Every object's status of one kind, as a JSON array sorted by id.
pub fn list_status(kind: GcsyncObjectKind) -> Result<String, Failure> {
    let shared = current()?;
    let items = shared.objects.list(kind);
    let mut out = JsonOut::with_capacity(2 + 256 * items.len());
    write_status_array(&shared, &mut out, &items);
    Ok(out.into_string())
}

/// The largest page `list_status_page` returns.
pub const MAX_PAGE_ITEMS: u32 = 10_000;

/// One page of the status list of `kind`: at most `max` objects whose id sorts after `after`
/// (from the first when `None`), as `{"items":[...],"next_after":id|null}`; `next_after` is the
/// last item's id when more objects follow, else `null`.
pub fn list_status_page(
    kind: GcsyncObjectKind,
    after: Option<&str>,
    max: u32,
) -> Result<String, Failure> {
    if max == 0 || max > MAX_PAGE_ITEMS {
        return Err(Failure::new(
            GcsyncResult::InvalidArgument,
            format!("max_items is {max}; it must be 1 to {MAX_PAGE_ITEMS}"),
        ));
    }
    let shared = current()?;
    let mut items = shared.objects.page(kind, after, max as usize + 1);
    let more = items.len() > max as usize;
    items.truncate(max as usize);
    let mut out = JsonOut::with_capacity(40 + 256 * items.len());
    out.raw("{\"items\":");
    write_status_array(&shared, &mut out, &items);
    out.raw(",\"next_after\":");
    out.opt_str(items.last().filter(|_| more).map(|(k, _)| k.id.as_str()));
    out.raw("}");
    Ok(out.into_string())
}

fn write_status_array(
    shared: &Shared,
    out: &mut JsonOut,
    items: &[(ObjectKey, crate::status::ObjectStatus)],
) {
    out.raw("[");
    for (i, (key, s)) in items.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        let pending = shared.queue.is_pending(key);
        write_status(out, key, Some(s), pending);
    }
    out.raw("]");
}

/// The overview JSON (see [`crate::overview`]).
pub fn overview() -> Result<String, Failure> {
    Ok(crate::overview::render(&*current()?))
}

/// Force Complete Sync in parts (README, "Force Complete Sync"): the operations behind
/// `gcsync_force_sync_begin` / `_add` / `_commit` / `_abort` / `_release_held` / `_plan`.
pub mod full {
    use super::current;
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
}
