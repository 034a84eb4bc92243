//! The worker thread: drains the queue, maps, plans and calls Genesys Cloud, records each
//! outcome in the object table and hands it to the writer, and survives its own panics.

use crate::cancel::Cancel;
use crate::engine::Shared;
use crate::genesys::{Client, Lane};
use crate::kinds::{self, CicObject};
use crate::metrics::Metrics;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::objects::Record;
use crate::queue::{Change, Hold, Pending};
use crate::settings::Settings;
use crate::status::SyncState;
use crate::user_sync::{Ctx, SyncError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest the worker sleeps with nothing to do before looking again (it is woken at once
/// by new work, by a due retry and by shutdown; this only bounds clock drift).
const IDLE: Duration = Duration::from_secs(3600);

struct Worker {
    shared: Arc<Shared>,
    settings: Arc<Settings>,
    settings_gen: u64,
    client: Option<Result<Client, String>>,
    /// This worker's queue slot.
    slot: usize,
    /// This worker's tripwire (shutdown, new settings).
    cancel: Cancel,
    /// This worker's hold on the object it syncs (a newer change of it, before the step's
    /// first write, makes the step give it up: `queue/hold.rs`).
    hold: Arc<Hold>,
    /// The budget lane its calls go on.
    lane: Lane,
    /// The presence worker's cache of the org's presence definitions and sources.
    presence: presence::Cache,
    /// Users whose inherited skills the step changes (a workgroup's), queued again once the
    /// step has ended (`Worker::requeue_after_step`).
    after_step: Vec<String>,
    /// The Genesys user the step's user removal left removed, and how (`user_removal.rs`).
    removal: Option<(String, crate::user_sync::Removed)>,
}

/// Runs one worker's loop until shutdown; called on worker thread `slot`.
pub fn run(shared: Arc<Shared>, slot: usize) {
    let (settings_gen, settings) = shared.settings();
    let mut w = Worker {
        shared: shared.clone(),
        settings,
        settings_gen,
        client: None,
        slot,
        cancel: shared.queue.interrupter(slot),
        hold: shared.queue.hold(slot),
        lane: match is_presence_slot(&shared, slot) {
            true => Lane::Presence,
            false => Lane::Config,
        },
        presence: presence::Cache::default(),
        after_step: Vec::new(),
        removal: None,
    };
    loop {
        match catch_unwind(AssertUnwindSafe(|| w.run_until_stopped())) {
            Ok(()) => break,
            Err(_) => {
                Metrics::bump(&shared.metrics.worker_panics);
                shared
                    .metrics
                    .set_last_error(None, "the worker recovered from an internal panic");
                log::error!("worker loop panicked; restarting it");
            }
        }
    }
    if shared.live_workers.fetch_sub(1, Ordering::SeqCst) == 1 {
        shared.metrics.worker_alive.store(false, Ordering::SeqCst);
    }
}

/// Whether worker `slot` is the presence worker: the last slot, when there is more than one
/// (the runtime starts `max_concurrent_requests` configuration workers and one presence worker).
pub fn is_presence_slot(shared: &Shared, slot: usize) -> bool {
    let n = shared.queue.workers();
    n > 1 && slot == n - 1
}

/// What became of one change.
pub(crate) enum Outcome {
    /// Finished: synced (true) or a final error / nothing to do (false).
    Done(bool),
    /// Failed transiently: try again at this time.
    RetryAt(Instant),
    /// Interrupted by shutdown or new settings, or given up for a newer change before its first
    /// write: back in the queue, no attempt counted.
    Interrupted,
}

impl Worker {
    fn run_until_stopped(&mut self) {
        loop {
            if let Some(deadline) = self.shared.stop_deadline() {
                let (waiting, _, _) = self.shared.queue.depth();
                if waiting == 0 || Instant::now() >= deadline || self.cancel.is_shutdown() {
                    return;
                }
            }
            self.refresh_settings();
            if crate::fullsync::run::standby(&self.shared) {
                // A standby makes no Genesys Cloud call: the work waits (saved) until the role
                // turns active (which interrupts this wait) or shutdown.
                if self.shared.stop_deadline().is_some() {
                    return;
                }
                self.cancel.sleep(IDLE);
                continue;
            }
            let queue = &self.shared.queue;
            let taken = match (self.lane, queue.workers() > 1) {
                (Lane::Presence, _) => queue.next_high(self.slot, IDLE),
                (_, true) => queue.next_normal(self.slot, IDLE),
                (_, false) => queue.next(self.slot, IDLE),
            };
            if let Some((key, pending)) = taken {
                // After taking: a change accepted after gcsync_on_settings_changed returned is
                // processed with the new settings.
                self.refresh_settings();
                match self.lane {
                    Lane::Presence => self.presence_batch(key, pending),
                    _ => self.process_guarded(key, pending),
                }
            }
        }
    }

    fn refresh_settings(&mut self) {
        self.cancel.clear_interrupt();
        let (gen, new) = self.shared.settings();
        if gen == self.settings_gen {
            return;
        }
        if new.connection_differs(&self.settings) {
            self.client = None;
            // Another org (or another client's view of it): its definitions and source differ.
            // A new budget or timeout changes nothing there.
            if new.api_base_url != self.settings.api_base_url
                || new.client_id != self.settings.client_id
            {
                self.presence = presence::Cache::default();
                let noted = &self.shared.removed_unchanged;
                noted.lock().unwrap_or_else(|p| p.into_inner()).clear();
            }
        }

        self.settings = new;
        self.settings_gen = gen;
    }

    fn process_guarded(&mut self, key: ObjectKey, pending: Pending) {
        if self.is_forced_check(&key, &pending.change) {
            return self.verify_batch(key, pending);
        }
        let before = self.shared.objects.get(&key);
        // One object: the step may give it up for a newer change until its first write.
        self.hold.arm();
        let posted = self.posted_of(&key);
        let outcome = match catch_unwind(AssertUnwindSafe(|| self.process(&key, &pending))) {
            Ok(_) if self.hold.yielded() => self.gave_up(&key, before.as_ref(), posted),
            Ok(o) => o,
            Err(_) => self.panicked(&key, &pending),
        };
        kinds::skill::grants_step_ended(&self.shared, &key, self.hold.yielded());
        // Ahead of the outcome (durable with it), and after the version is ended: their steps
        // see it processed.
        self.requeue_after_step();
        if !matches!(outcome, Outcome::Done(true)) && !self.hold.yielded() {
            match self.hold.may_have_written() {
                true => self.unrecorded_write(&key, before.as_ref()),
                // Nothing of it reached Genesys Cloud: a create it meant to send was not sent.
                false => self.unpost(&key, before.as_ref(), posted),
            }
        }
        self.note_removals(&key, before.as_ref(), &pending.change, &outcome);
        self.report(key, pending, before, outcome);
    }

    /// Changes an object's record in the table (the writer persists it when the item ends).
    fn update(&self, key: &ObjectKey, f: impl FnOnce(&mut Record)) {
        self.shared.objects.change(key, f)
    }

    /// [`Worker::update`], returning a copy of the record afterwards.
    fn update_get(&self, key: &ObjectKey, f: impl FnOnce(&mut Record)) -> Record {
        self.shared.objects.update(key, f)
    }

    /// This worker's view of the client the workers share (one token, one budget), built for
    /// the connection settings in force by whichever worker needs it first.
    fn client(&mut self) -> Result<&Client, String> {
        if self.client.is_none() {
            let base = self.shared.shared_client(&self.settings);
            self.client = Some(base.map(|c| {
                c.view(self.cancel.clone(), self.lane)
                    .with_hold(self.hold.clone())
            }));
        }
        match self.client.as_ref() {
            Some(Ok(c)) => Ok(c),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no client".into()),
        }
    }

    /// Runs one sync step with the Genesys client; an unusable client configuration is an error
    /// the admin must fix.
    fn with_ctx<T>(
        &mut self,
        step: impl FnOnce(&mut Ctx) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let settings = self.settings.clone();
        let metrics = self.shared.metrics.clone();
        let client = self.client().map_err(SyncError::NeedsAdmin)?;
        step(&mut Ctx {
            client,
            settings: &settings,
            metrics: &metrics,
        })
    }

    fn process(&mut self, key: &ObjectKey, pending: &Pending) -> Outcome {
        #[cfg(test)]
        if tests::PANIC_FOR.lock().unwrap().as_deref() == Some(key.id.as_str()) {
            panic!("injected test panic");
        }
        let (source, force) = match &*pending.change {
            Change::Upsert { object, force } => (Some(Arc::new(object.clone())), *force),
            Change::Remove => (None, false),
        };
        // The CIC data processed before this change (a workgroup compares its members and
        // skills with it to re-queue the users whose inherited skills change).
        let mut previous = None;
        // The version is taken and put in the table at once (`kinds::skill::taking`).
        let record = kinds::skill::taking(&self.shared, key, source.as_ref(), || {
            self.update_get(key, |r| {
                previous = std::mem::replace(&mut r.source, source.clone());
            })
        });
        kinds::skill::grants_processed(&self.shared, key, source.as_deref());
        if let Some(why) = kinds::disabled(key.kind, &self.settings, source.is_none()) {
            log::debug!("{} {}: not synced: {why}", key.kind.name(), key.id);
            self.update(key, |r| {
                r.status.state = SyncState::NotSynced;
                r.status.reason = Some(why.into());
            });
            return Outcome::Done(false);
        }
        // The kind's own steps (one arm per kind).
        match (key.kind, source.as_deref()) {
            (GcsyncObjectKind::User, Some(CicObject::User(user))) => {
                match self.upsert_user(key, &record, user, force, pending) {
                    Outcome::Done(true) => {
                        let force = self.routing_force(key, &record, force);
                        self.sync_user_routing(key, user, force, pending)
                    }
                    other => other,
                }
            }
            (GcsyncObjectKind::User, None) => self.remove_user(key, &record, pending),
            (GcsyncObjectKind::Skill, Some(CicObject::Skill(skill))) => {
                self.upsert_skill(key, &record, skill, (previous.as_deref(), force), pending)
            }
            (GcsyncObjectKind::Skill, None) => {
                self.remove_skill(key, &record, previous.as_deref(), pending)
            }
            (GcsyncObjectKind::Workgroup, Some(CicObject::Workgroup(w))) => {
                let before = workgroups::previous(previous.as_deref());
                self.upsert_workgroup(key, &record, before, w, force, pending)
            }
            (GcsyncObjectKind::Workgroup, None) => {
                let before = workgroups::previous(previous.as_deref());
                self.remove_workgroup(key, &record, before, pending)
            }
            (GcsyncObjectKind::WrapupCode, Some(CicObject::WrapupCode(c))) => {
                self.upsert_wrapup_code(key, &record, c, (previous.as_deref(), force), pending)
            }
            (GcsyncObjectKind::WrapupCode, None) => {
                self.remove_wrapup_code(key, &record, previous.as_deref(), pending)
            }
            (GcsyncObjectKind::AgentStatus, _) => self.agent_status_one(key, pending),
            (kind, Some(other)) => {
                log::error!(
                    "{} {}: a {} payload was queued for it; ignored",
                    kind.name(),
                    key.id,
                    other.kind().name()
                );
                Outcome::Done(false)
            }
        }
    }
}

mod assign_intents;
/// The additions an assignment write records ahead (Force Complete Sync's check uses them too).
pub(crate) use assign_intents::{record_ahead, settle_read, Planned};
mod duplicates;
mod external_ids;
mod failures;
mod give_up;
mod item_faults;
mod presence;
mod queue_intents;
/// One user's assignment operations run through the bulk endpoints (Force Complete Sync's
/// assignment check uses it too).
pub(crate) use user_routing::execute as execute_assignments;
mod queue_steps;
mod report;
mod skills;
mod user_removal;
mod user_routing;
mod users;
mod verify;
mod waits;
mod workgroups;
mod wrapup_codes;

#[cfg(test)]
mod tests;
