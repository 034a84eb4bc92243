//! The state one running instance shares between the hooks, the queries, the worker and the
//! writer. It sits below `runtime` (the lifecycle) so the threads import it without reaching up.

use crate::clock::unix_now;
use crate::host::Host;
use crate::metrics::Metrics;
use crate::object::ObjectKey;
use crate::objects::ObjectTable;
use crate::queue::WorkQueue;
use crate::settings::Settings;
use crate::store::RowWrite;
use crate::writer::{Durability, Msg};
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// The org's users as last read for matching ([`crate::user_sync::OrgIndex`]), with when.
#[derive(Default)]
pub struct OrgIndexSlot {
    /// The index and the time it was read.
    pub current: Option<(Instant, Arc<crate::user_sync::OrgIndex>)>,
    /// The org's size at the last read (decides whether reading it again pays).
    pub org_size: Option<usize>,
}

/// The shared Genesys client and the settings it was built for (rebuilt when the connection
/// settings change; an unusable configuration is kept as its message).
#[derive(Default)]
pub struct ClientSlot {
    /// The settings the client was built from.
    pub built_for: Option<Arc<Settings>>,
    /// The client, or why it could not be built.
    pub client: Option<Result<Arc<crate::genesys::Client>, String>>,
}

/// Stripes of the lock a user's skill and language assignments are changed under: the worker
/// syncing the user holds its stripe from reading what was applied to recording what it wrote,
/// and a skill's move or deletion holds it while it takes the skill away from that user, so the
/// two never interleave (`worker/skills.rs`). Held across the calls; never by a hook, and never
/// two at once.
pub struct RoutingLocks([Mutex<()>; 16]);

impl Default for RoutingLocks {
    fn default() -> Self {
        RoutingLocks(std::array::from_fn(|_| Mutex::new(())))
    }
}

impl RoutingLocks {
    /// The stripe of CIC user `user`, locked.
    pub fn lock(&self, user: &str) -> std::sync::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        user.hash(&mut h);
        let i = (h.finish() % self.0.len() as u64) as usize;
        self.0[i].lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// State shared by the hooks, the queries, the worker and the writer of one running instance.
pub struct Shared {
    /// The work queue (and the intake log the writer persists).
    pub queue: WorkQueue,
    /// Every known object, in memory.
    pub objects: ObjectTable,
    /// How far accepted changes are durable.
    pub durability: Durability,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The host callbacks.
    pub host: Host,
    /// Create intents recorded by this process, and whether their create was sent (shared by
    /// the workers: one records intents for the upcoming creates of others). An intent recorded
    /// ahead (in a batch) and never sent cannot have produced an object; one from an earlier
    /// process is not in the map and may have.
    pub posted: Mutex<HashMap<ObjectKey, bool>>,
    /// Genesys users this process saw removed as a CIC user's removal ended (what it did), with
    /// no step since that may have written to them (`worker/user_removal.rs`): a CIC deletion
    /// of a removed user linked to one makes no call. Not kept across a restart.
    pub removed_unchanged: Mutex<HashMap<String, crate::user_sync::Removed>>,
    /// Worker threads still running.
    pub live_workers: AtomicUsize,
    /// Objects waiting for other objects to be synced.
    pub waiting: crate::waiting::Waiting,
    /// The org's users read once for matching many unlinked users (the workers share it).
    pub org_index: Mutex<OrgIndexSlot>,
    /// The Genesys client the workers share (each takes a view with its own cancel and lane).
    pub client: Mutex<ClientSlot>,
    /// The full sync (Force Complete Sync) state.
    pub full_sync: crate::fullsync::FullSync,
    /// Skill grants (a workgroup's members and skills) as CIC last sent them, of objects whose
    /// change is accepted and not processed yet (`None`: a deletion), so a user processed
    /// before its new or changed workgroup gets the inherited skills in the same write
    /// (`kinds::skill`).
    pub accepted_grants: RwLock<HashMap<ObjectKey, Option<Arc<crate::kinds::CicObject>>>>,
    /// Per skill-granting object, the members of accepted versions that a newer accepted
    /// version replaced before the worker processed them: users may have been given those
    /// versions' skills, so the worker queues them again with the object (`kinds::skill`).
    pub superseded_grantees: Mutex<HashMap<ObjectKey, std::collections::BTreeSet<String>>>,
    /// Per skill-granting object, the versions a worker's step took (the object table holds
    /// them meanwhile) and did not end yet, or gave up for a newer change until the object's
    /// next step ends: not durable as processed, so a user given their skills is warned
    /// (`kinds::skill::taking`).
    pub taken_grants: Mutex<HashMap<ObjectKey, Vec<Arc<crate::kinds::CicObject>>>>,
    /// Users' assignment locks ([`RoutingLocks`]).
    pub routing_locks: RoutingLocks,
    writer: Sender<Msg>,
    /// A token sent after every message someone waits for (a durable row, a barrier, stop):
    /// the writer gathers without waking for each ordinary message and ends its gather on this.
    urgent: (Sender<()>, crossbeam_channel::Receiver<()>),
    /// Read on every hook (the payload limit) and by the workers and writer: readers never
    /// wait for each other.
    settings: RwLock<(u64, Arc<Settings>)>,
    /// `max_payload_bytes` of the settings in force, read by every hook without their lock
    /// (stored under the settings' write lock, before `replace_settings` returns).
    max_payload: AtomicUsize,
    stop: Mutex<Option<Instant>>,
    last_run: AtomicU64,
}

impl Shared {
    /// The client the workers and the full sync share (one token, one budget, one connection
    /// pool), built for the connection settings of `settings` by whichever needs it first and
    /// rebuilt when those change. Each user takes a [`crate::genesys::Client::view`] of it with
    /// its own cancel flag and lane.
    pub fn shared_client(
        &self,
        settings: &Arc<Settings>,
    ) -> Result<Arc<crate::genesys::Client>, String> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let stale = slot
            .built_for
            .as_ref()
            .is_none_or(|b| b.connection_differs(settings));
        if stale {
            let built = settings
                .client_config()
                .map_err(|f| f.message)
                .and_then(|cfg| {
                    crate::genesys::Client::new(cfg, self.metrics.clone())
                        .map_err(|e| e.to_string())
                })
                .map(Arc::new);
            slot.built_for = Some(settings.clone());
            slot.client = Some(built);
        }
        slot.client
            .clone()
            .unwrap_or_else(|| Err("no client".into()))
    }

    /// Assembles the shared state.
    pub fn new(
        queue: WorkQueue,
        objects: ObjectTable,
        durability: Durability,
        host: Host,
        settings: Settings,
        writer: Sender<Msg>,
    ) -> Shared {
        Shared {
            posted: Mutex::default(),
            removed_unchanged: Mutex::default(),
            full_sync: crate::fullsync::FullSync::default(),
            accepted_grants: RwLock::default(),
            superseded_grantees: Mutex::default(),
            taken_grants: Mutex::default(),
            routing_locks: RoutingLocks::default(),
            live_workers: AtomicUsize::new(queue.workers()),
            waiting: Default::default(),
            org_index: Mutex::default(),
            client: Mutex::default(),
            queue,
            objects,
            durability,
            metrics: Arc::new(Metrics::default()),
            host,
            writer,
            urgent: crossbeam_channel::bounded(1),
            max_payload: AtomicUsize::new(settings.max_payload_bytes),
            settings: RwLock::new((1, Arc::new(settings))),
            stop: Mutex::new(None),
            last_run: AtomicU64::new(0),
        }
    }

    /// The current settings and their generation number.
    pub fn settings(&self) -> (u64, Arc<Settings>) {
        let g = self.settings.read().unwrap_or_else(|p| p.into_inner());
        (g.0, g.1.clone())
    }

    /// `max_payload_bytes` of the settings in force (a hook's limit), without their lock.
    pub fn max_payload(&self) -> usize {
        self.max_payload.load(Ordering::Acquire)
    }

    /// Runs `f` on the current settings under their lock (for a quick read that needs no
    /// `Arc`; `f` must not block).
    pub fn with_settings<R>(&self, f: impl FnOnce(&Settings) -> R) -> R {
        let g = self.settings.read().unwrap_or_else(|p| p.into_inner());
        f(&g.1)
    }

    /// Installs new settings (validated by the caller) and interrupts the worker's waits so the
    /// change it holds, if any, is tried again with them.
    pub fn replace_settings(
        &self,
        f: impl FnOnce(&Settings) -> Result<Settings, crate::result::Failure>,
    ) -> Result<(), crate::result::Failure> {
        let mut g = self.settings.write().unwrap_or_else(|p| p.into_inner());
        let new = f(&g.1)?;
        // Settings that change what a synced user should look like: its phones, its skills'
        // stars, or whether it has skills and languages at all.
        let remap = new.default_country_code != g.1.default_country_code
            || new.proficiency_bands != g.1.proficiency_bands
            || (new.sync_advanced_platform_objects && !g.1.sync_advanced_platform_objects);
        self.max_payload
            .store(new.max_payload_bytes, Ordering::Release);
        *g = (g.0 + 1, Arc::new(new));
        drop(g);
        // New settings may be what the admin changed to fix an error (credentials, region,
        // proxy, Sync User Objects turned on): everything not synced is tried again now. Queued
        // before this returns, so a wait started after it sees the work.
        self.queue.retry_delayed_now();
        self.requeue_unsynced();
        if remap {
            self.remap_users();
        }
        self.queue.interrupt_all();
        self.queue.nudge_worker();
        Ok(())
    }

    /// Queues every object whose CIC state has not reached Genesys Cloud (Error or Not synced,
    /// or a removal not applied yet). Objects whose mapping fails cost no API call when retried.
    pub fn requeue_unsynced(&self) {
        for (key, r) in self.objects.unfinished() {
            let priority = crate::kinds::priority(key.kind);
            if let Err(f) = self.queue.requeue(key, r.wanted_change(), priority, false) {
                log::warn!(
                    "could not queue an object after a settings change: {}",
                    f.message
                );
            }
        }
    }

    /// Whether `key` is linked to a Genesys object and synced, so objects that need it can go.
    pub fn is_ready(&self, key: &ObjectKey) -> bool {
        self.objects.with_status(key, |s| {
            s.is_some_and(|s| {
                s.state == crate::status::SyncState::Synced && s.genesys_id.is_some() && !s.removed
            })
        })
    }

    /// Queues again the objects that waited for `key`, now that it is ready.
    pub fn release_waiters(&self, key: &ObjectKey) {
        for waiter in self.waiting.ready(key) {
            let Some(r) = self.objects.get(&waiter) else {
                continue;
            };
            log::debug!(
                "{} {} is synced; {} {} no longer waits for it",
                key.kind.name(),
                key.id,
                waiter.kind.name(),
                waiter.id
            );
            let priority = crate::kinds::priority(waiter.kind);
            if let Err(f) = self
                .queue
                .requeue(waiter, r.wanted_change(), priority, false)
            {
                log::warn!("could not queue an object that waited: {}", f.message);
            }
        }
    }

    /// Queues every user CIC still has: `default_country_code` changed how their phones map, or
    /// `proficiency_bands` / `sync_advanced_platform_objects` what skills they hold.
    /// A user whose mapping comes out the same costs no API call.
    fn remap_users(&self) {
        use crate::kinds::CicObject;
        let users = self
            .objects
            .select_kind(crate::object::GcsyncObjectKind::User, |r| {
                matches!(r.source.as_deref(), Some(CicObject::User(_)))
            });
        log::info!(
            "user mapping settings changed; mapping {} user(s) again",
            users.len()
        );
        for (key, r) in users {
            let change = r.wanted_change();
            let normal = crate::queue::Priority::Normal;
            if let Err(f) = self.queue.requeue(key, change, normal, false) {
                log::warn!("could not queue a user to map again: {}", f.message);
            }
        }
    }

    /// When shutdown was requested: the time by which the worker must stop.
    pub fn stop_deadline(&self) -> Option<Instant> {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the worker to stop by `deadline`.
    pub fn request_stop(&self, deadline: Instant) {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(deadline);
    }

    /// Records that the worker finished an item now.
    pub fn touch_last_run(&self) {
        self.last_run.store(unix_now(), Ordering::Relaxed);
    }

    /// Unix seconds of the last finished item (0: none yet).
    pub fn last_run(&self) -> u64 {
        self.last_run.load(Ordering::Relaxed)
    }

    /// The channel on which the writer hears that a message someone waits for was sent (the
    /// message itself is already in its queue).
    pub fn urgent_wakeups(&self) -> crossbeam_channel::Receiver<()> {
        self.urgent.1.clone()
    }

    fn send_urgent(&self, msg: Msg) -> Result<(), crossbeam_channel::SendError<Msg>> {
        self.writer.send(msg)?;
        let _ = self.urgent.0.try_send(());
        Ok(())
    }

    /// Hands an object row to the writer (not waiting for it).
    pub fn persist(&self, w: RowWrite) {
        let _ = self.writer.send(Msg::Row(Box::new(w), None));
    }

    /// Hands an object row to the writer with its audit entry, if any (stored in the same
    /// transaction); not waiting for it.
    pub fn persist_audited(&self, w: RowWrite, audit: Option<crate::audit::AuditEntry>) {
        let msg = match audit {
            Some(a) => Msg::Audited(Box::new(w), Box::new(a)),
            None => Msg::Row(Box::new(w), None),
        };
        let _ = self.writer.send(msg);
    }

    /// Hands create intents of objects this worker does not hold to the writer (not waiting:
    /// a later [`Shared::persist_durably`] waits for them too). Each sets only the row's intent,
    /// and only while it has no Genesys id.
    pub fn persist_intents(&self, intents: Vec<(ObjectKey, crate::objects::Intent)>) {
        if !intents.is_empty() {
            let _ = self.writer.send(Msg::Intents(intents));
        }
    }

    /// Hands an object row to the writer and waits until it is durable.
    pub fn persist_durably(&self, w: RowWrite) -> Result<(), crate::result::Failure> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.send_urgent(Msg::Row(Box::new(w), Some(tx)))
            .map_err(|_| {
                crate::result::Failure::new(
                    crate::result::GcsyncResult::StorageError,
                    "the writer thread is gone",
                )
            })?;
        rx.recv().unwrap_or_else(|_| {
            Err(crate::result::Failure::new(
                crate::result::GcsyncResult::StorageError,
                "the writer thread stopped before saving",
            ))
        })
    }

    /// Waits (at most `timeout`) until every row handed to the writer so far is durable.
    pub fn barrier(&self, timeout: std::time::Duration) -> Result<(), crate::result::Failure> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let gone = || {
            crate::result::Failure::new(
                crate::result::GcsyncResult::StorageError,
                "the writer thread is gone",
            )
        };
        self.send_urgent(Msg::Barrier(tx)).map_err(|_| gone())?;
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(crate::result::Failure::new(
                crate::result::GcsyncResult::Timeout,
                "the data directory did not confirm the writes before the timeout",
            )),
            Err(_) => Err(gone()),
        }
    }

    /// Tells the writer to commit what is left and stop.
    pub fn stop_writer(&self) {
        let _ = self.send_urgent(Msg::Stop);
    }
}

#[cfg(test)]
impl Shared {
    /// Shared state for unit tests: minimal settings (a closed port, no data directory), a host
    /// without callbacks, `queue`, and `writer` as the writer's channel.
    pub(crate) fn for_tests(queue: WorkQueue, writer: Sender<Msg>) -> Shared {
        let host = Host(crate::host::GcsyncHost {
            abi_version: crate::host::GCSYNC_ABI_VERSION,
            struct_size: std::mem::size_of::<crate::host::GcsyncHost>() as u32,
            userdata: std::ptr::null_mut(),
            get_setting: None,
            log: None,
            status_changed: None,
            request_snapshot: None,
        });
        let settings = Settings::for_tests();
        let durability = Durability::new(queue.accepted_seq());
        Shared::new(
            queue,
            Default::default(),
            durability,
            host,
            settings,
            writer,
        )
    }
}
