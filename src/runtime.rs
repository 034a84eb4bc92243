//! The plugin's process-global lifecycle (not initialised → running → shut down → running ...)
//! and the operations behind every export. Functions here take and return Rust types; `ffi.rs`
//! does the C conversions.
//!
//! Locking: `LIFECYCLE` is an `RwLock` held only to clone or swap an `Arc`, never across I/O;
//! `TRANSITION` serialises init and shutdown (which do I/O) without blocking hooks.

use crate::cancel::Cancel;
use crate::cic::{self, check_id};
use crate::clock::{format_utc, unix_now};
use crate::host::{GcsyncHost, Host, GCSYNC_ABI_VERSION};
use crate::logging;
use crate::metrics::Metrics;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::queue::{Change, Priority, WorkQueue};
use crate::result::{Failure, GcsyncResult};
use crate::settings::Settings;
use crate::status::{status_json, SyncState};
use crate::store::Store;
use crossbeam_channel::Sender;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// State shared by the hooks, the queries and the worker of one running instance.
pub struct Shared {
    /// The work queue.
    pub queue: WorkQueue,
    /// Persistent state.
    pub store: Store,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The host callbacks.
    pub host: Host,
    /// Raised when shutdown's timeout passes: in-flight waits end at once.
    pub cancel: Cancel,
    settings: Mutex<(u64, Arc<Settings>)>,
    stop: Mutex<Option<Instant>>,
    last_run: AtomicU64,
}

impl Shared {
    /// The current settings and their generation number.
    pub fn settings(&self) -> (u64, Arc<Settings>) {
        let g = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        (g.0, g.1.clone())
    }

    /// When shutdown was requested: the time by which the worker must stop.
    pub fn stop_deadline(&self) -> Option<Instant> {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that the worker finished an item now.
    pub fn touch_last_run(&self) {
        self.last_run.store(unix_now(), Ordering::Relaxed);
    }
}

struct Running {
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
    persister: Mutex<Option<(Sender<()>, JoinHandle<()>)>>,
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

/// Starts the plugin: validates the host struct and the settings, opens the store, re-queues
/// unfinished work and starts the worker thread.
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
    if host.abi_version != GCSYNC_ABI_VERSION {
        return Err(Failure::new(
            GcsyncResult::AbiVersionMismatch,
            format!(
                "host declares ABI version {}; this library speaks {GCSYNC_ABI_VERSION}",
                host.abi_version
            ),
        ));
    }
    let host = Host(*host);
    let settings = load_settings(&host)?;
    check_connection(&settings)?;
    let store = Store::open(&settings.data_dir)?;
    logging::connect(host, settings.log_level, redactions(&settings));
    let queue = WorkQueue::new(settings.max_pending_objects);
    let leftover = store.take_loaded_pending();
    let resumed = leftover.len();
    for (key, change) in leftover {
        if let Err(f) = queue.enqueue(key, change, Priority::Normal) {
            log::error!("could not resume a pending change: {}", f.message);
        }
    }
    let shared = Arc::new(Shared {
        queue,
        store,
        metrics: Arc::new(Metrics::default()),
        host,
        cancel: Cancel::default(),
        settings: Mutex::new((1, Arc::new(settings))),
        stop: Mutex::new(None),
        last_run: AtomicU64::new(0),
    });
    // Publish the running state before the worker starts: work it resumes may notify the host,
    // whose callback may query gcsync before gcsync_init has returned.
    let running = Arc::new(Running {
        shared: shared.clone(),
        worker: Mutex::new(None),
        persister: Mutex::new(None),
    });
    let previous = std::mem::replace(
        &mut *LIFECYCLE.write().unwrap_or_else(|p| p.into_inner()),
        Lifecycle::Running(running.clone()),
    );
    if let Err(e) = start_threads(&running, shared) {
        *LIFECYCLE.write().unwrap_or_else(|p| p.into_inner()) = previous;
        stop_persister(&running);
        logging::disconnect();
        return Err(Failure::new(
            GcsyncResult::InternalError,
            format!("cannot start a gcsync thread: {e}"),
        ));
    }
    log::info!(
        "gcsync {} started; {resumed} unfinished change(s) resumed",
        env!("CARGO_PKG_VERSION")
    );
    Ok(())
}

fn start_threads(running: &Running, shared: Arc<Shared>) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = crossbeam_channel::bounded(1);
    let for_persister = shared.clone();
    let persister = std::thread::Builder::new()
        .name("gcsync-persister".into())
        .spawn(move || crate::persister::run(for_persister, stop_rx))?;
    *running.persister.lock().unwrap_or_else(|p| p.into_inner()) = Some((stop_tx, persister));
    let worker = std::thread::Builder::new()
        .name("gcsync-worker".into())
        .spawn(move || crate::worker::run(shared))?;
    *running.worker.lock().unwrap_or_else(|p| p.into_inner()) = Some(worker);
    Ok(())
}

fn stop_persister(running: &Running) {
    let persister = running
        .persister
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some((stop, handle)) = persister {
        let _ = stop.send(());
        let _ = handle.join();
    }
}

/// Stops intake, lets the worker drain for up to `timeout`, joins the worker and the persister,
/// saves what is left and disconnects logging. Afterwards no gcsync thread runs.
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
    shared.queue.close();
    *shared.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + timeout);
    let handle = running
        .worker
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some(h) = handle {
        let deadline = Instant::now() + timeout;
        while !h.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        // Past the timeout: end whatever wait the worker is in (rate-limit pause, backoff).
        shared.cancel.cancel();
        let _ = h.join();
    }
    stop_persister(&running);
    let unfinished = shared.queue.snapshot();
    let left = unfinished.len();
    let saved = shared
        .store
        .save_state()
        .and_then(|()| shared.store.save_pending(unfinished));
    log::info!("gcsync stopped; {left} unfinished change(s) saved for the next start");
    logging::disconnect();
    saved?;
    if left > 0 {
        return Err(Failure::new(
            GcsyncResult::ShutdownTimedOut,
            format!("{left} change(s) were not synced before the timeout; they were saved and resume at the next start"),
        ));
    }
    Ok(())
}

/// Queues a changed CIC user.
pub fn user_changed(json: &str) -> Result<(), Failure> {
    let shared = current()?;
    let user = cic::parse_user(json)?;
    let key = ObjectKey::user(user.id.clone());
    shared.queue.enqueue(
        key,
        Change::UpsertUser { user, force: false },
        Priority::Normal,
    )
}

/// Queues the removal of a CIC user.
pub fn user_deleted(id: &str) -> Result<(), Failure> {
    let shared = current()?;
    check_id(id)?;
    shared
        .queue
        .enqueue(ObjectKey::user(id), Change::RemoveUser, Priority::Normal)
}

/// Queues a forced re-verification of every user in the snapshot.
pub fn force_sync(json: &str) -> Result<(), Failure> {
    let shared = current()?;
    let snap = cic::parse_snapshot(json)?;
    let total = snap.users.len();
    for user in snap.users {
        let key = ObjectKey::user(user.id.clone());
        shared.queue.enqueue(
            key,
            Change::UpsertUser { user, force: true },
            Priority::Normal,
        )?;
    }
    shared.queue.retry_delayed_now();
    log::info!("force complete sync queued for {total} user(s)");
    Ok(())
}

/// Re-reads the settings from the host and hands them to the worker.
pub fn settings_changed() -> Result<(), Failure> {
    let shared = current()?;
    let new = load_settings(&shared.host)?;
    check_connection(&new)?;
    let (level, redact) = (new.log_level, redactions(&new));
    {
        let mut g = shared.settings.lock().unwrap_or_else(|p| p.into_inner());
        if new.data_dir != g.1.data_dir {
            return Err(Failure::new(
                GcsyncResult::InvalidSetting,
                "data_dir cannot change while gcsync runs; shut down and start again to move it",
            ));
        }
        *g = (g.0 + 1, Arc::new(new));
    }
    logging::update(level, redact);
    log::info!("settings reloaded");
    Ok(())
}

/// The payload limit in force. The C layer enforces it before it validates UTF-8, so the
/// functions here take payloads already checked.
pub fn max_payload() -> Result<usize, Failure> {
    Ok(current()?.settings().1.max_payload_bytes)
}

/// Waits until the queue is idle.
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

/// One object's status JSON.
pub fn object_status(kind: GcsyncObjectKind, id: &str) -> Result<String, Failure> {
    let shared = current()?;
    let key = ObjectKey {
        kind,
        id: id.to_string(),
    };
    let pending = shared.queue.is_pending(&key);
    let status = shared.store.lock().users.get(id).map(|r| r.status.clone());
    Ok(status_json(&key, status.as_ref(), pending).to_string())
}

/// Every object's status of one kind, as a JSON array.
pub fn list_status(kind: GcsyncObjectKind) -> Result<String, Failure> {
    let shared = current()?;
    let statuses: Vec<(String, crate::status::ObjectStatus)> = {
        let store = shared.store.lock();
        store
            .users
            .iter()
            .map(|(id, r)| (id.clone(), r.status.clone()))
            .collect()
    };
    let items: Vec<Value> = statuses
        .into_iter()
        .map(|(id, s)| {
            let key = ObjectKey { kind, id };
            let pending = shared.queue.is_pending(&key);
            status_json(&key, Some(&s), pending)
        })
        .collect();
    Ok(Value::Array(items).to_string())
}

/// The overview JSON.
pub fn overview() -> Result<String, Failure> {
    let shared = current()?;
    let (waiting, delayed, in_flight) = shared.queue.depth();
    let (mut synced, mut error, mut not_synced, mut removed) = (0u64, 0u64, 0u64, 0u64);
    for r in shared.store.lock().users.values() {
        match (r.status.removed, r.status.state) {
            (true, _) => removed += 1,
            (_, SyncState::Synced) => synced += 1,
            (_, SyncState::Error) => error += 1,
            (_, SyncState::NotSynced) => not_synced += 1,
        }
    }
    let m = &shared.metrics;
    let settings = shared.settings().1;
    let last_run = shared.last_run.load(Ordering::Relaxed);
    Ok(json!({
        "queue_depth": waiting + delayed + in_flight,
        "pending": waiting,
        "retry_scheduled": delayed,
        "in_flight": in_flight,
        "objects": {"synced": synced, "error": error, "not_synced": not_synced, "removed": removed},
        "api_calls": Metrics::get(&m.api_calls),
        "retries": Metrics::get(&m.retries),
        "rate_limited": Metrics::get(&m.rate_limited),
        "tokens_issued": Metrics::get(&m.tokens_issued),
        "processed": Metrics::get(&m.processed),
        "worker_panics": Metrics::get(&m.worker_panics),
        "last_error": m.last_error(),
        "worker_alive": m.worker_alive.load(Ordering::SeqCst),
        "last_run": (last_run > 0).then(|| format_utc(last_run)),
        "sync_user_objects": settings.sync_user_objects,
        "sync_advanced_platform_objects": settings.sync_advanced_platform_objects,
        "api_base_url": settings.api_base_url,
    })
    .to_string())
}
