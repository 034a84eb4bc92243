//! The full sync's shared state: the snapshot being staged, the phase and progress of the run,
//! what the deletion guard holds and the last plan. One mutex, held for short in-memory steps
//! only (never across I/O or a host callback).

use super::plan::{Op, Plan};
use super::Staging;
use crate::engine::Shared;
use crate::json_out::JsonOut;
use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// What a full sync is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// No run.
    #[default]
    Idle,
    /// Reading the org.
    Reading,
    /// Computing the plan.
    Planning,
    /// Handing the plan's operations to the worker (and recording external ids).
    Applying,
}

impl Phase {
    /// The name in the overview.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Reading => "reading",
            Phase::Planning => "planning",
            Phase::Applying => "applying",
        }
    }
}

/// A committed snapshot waiting for its run: the snapshot, the commit flags and the sequence
/// number at commit.
pub(super) type Request = (Staging, u32, u64);

/// The plan of every kind the snapshot holds, in kind order, each plan sorted by CIC id.
pub type KindPlans = Vec<(GcsyncObjectKind, Plan)>;

/// Removals the deletion guard holds, per kind: the operations and why.
pub type Held = BTreeMap<GcsyncObjectKind, (Vec<Op>, String)>;

#[derive(Default)]
struct Inner {
    next_id: u64,
    staging: Option<Staging>,
    phase: Phase,
    running: bool,
    queued: Option<Request>,
    done: u64,
    total: u64,
    calls_at_start: u64,
    held: Held,
    plan: Option<Arc<(KindPlans, bool)>>,
    last_error: Option<String>,
    runs: u64,
    recommended: bool,
    last_completed: Option<std::time::Instant>,
}

/// The full sync of one running instance.
#[derive(Default)]
pub struct FullSync {
    /// Read shared by the overview (the host threads' overviews never wait for each other).
    inner: RwLock<Inner>,
    /// Notified when a run ends with none waiting (`running` set false), taken by the notifier
    /// after that change and held by a waiter from its check to its wait: no wake-up is lost.
    finished: (Mutex<()>, Condvar),
    /// The run thread and the timer thread, joined at shutdown.
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// Tripped at shutdown: ends the run's requests and waits.
    pub(super) cancel: crate::cancel::Cancel,
    /// The role set by `gcsync_set_role` (`Some(true)`: standby), over the `role` setting.
    role: Mutex<Option<bool>>,
    /// Set when a standby became active: the timer asks the host for a snapshot.
    pub(super) takeover: std::sync::atomic::AtomicBool,
}

impl FullSync {
    fn lock(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this instance is standby (makes no Genesys Cloud call).
    pub fn is_standby(&self, setting: bool) -> bool {
        self.role
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or(setting)
    }

    /// Sets the role over the setting; returns whether this instance was standby before.
    pub fn set_standby(&self, standby: bool, setting: bool) -> bool {
        let mut g = self.role.lock().unwrap_or_else(|p| p.into_inner());
        let before = g.unwrap_or(setting);
        *g = Some(standby);
        before
    }

    /// Keeps a thread to join at shutdown (finished ones are joined now).
    pub(super) fn keep_thread(&self, h: std::thread::JoinHandle<()>) {
        let mut g = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        let (done, running): (Vec<_>, Vec<_>) = g.drain(..).partition(|t| t.is_finished());
        done.into_iter().for_each(|t| drop(t.join()));
        *g = running;
        g.push(h);
    }

    /// Ends the run (its requests and waits are cancelled; nothing more is queued) and the timer,
    /// and joins their threads. Called by shutdown after the stop request.
    pub fn stop(&self) {
        self.cancel.cancel();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        threads.into_iter().for_each(|t| drop(t.join()));
    }

    /// Starts staging a snapshot (an uncommitted one is dropped); returns its number.
    pub fn begin(&self) -> u64 {
        let mut g = self.lock();
        g.next_id += 1;
        let id = g.next_id;
        g.staging = Some(Staging {
            id,
            ..Staging::default()
        });
        id
    }

    /// Adds a chunk to the staged snapshot; returns how many objects it held.
    pub fn add(&self, kind: GcsyncObjectKind, json: &str) -> Result<usize, Failure> {
        let mut g = self.lock();
        let s = g.staging.as_mut().ok_or_else(no_snapshot)?;
        s.add(kind, json)
    }

    /// Drops the staged snapshot (nothing was applied).
    pub fn abort(&self) -> Result<(), Failure> {
        self.lock()
            .staging
            .take()
            .map(|_| ())
            .ok_or_else(no_snapshot)
    }

    /// Takes the staged snapshot for a run. Returns it when no run is going; otherwise it waits
    /// behind the running one, replacing any other waiting request (coalesced), and `None`.
    pub(super) fn commit(&self, flags: u32, seq: u64) -> Result<Option<Request>, Failure> {
        let mut g = self.lock();
        let s = g.staging.take().ok_or_else(no_snapshot)?;
        if g.running {
            g.queued = Some((s, flags, seq));
            return Ok(None);
        }
        g.running = true;
        Ok(Some((s, flags, seq)))
    }

    /// Ends a run: the next waiting request, if any, or idle.
    pub(super) fn finish(&self, shared: &Shared, error: Option<String>) -> Option<Request> {
        let mut g = self.lock();
        if error.is_none() && g.plan.as_ref().is_some_and(|p| !p.1) {
            g.recommended = false;
            g.last_completed = Some(std::time::Instant::now());
        }
        g.last_error = error;
        g.runs += 1;
        let next = g.queued.take();
        if next.is_none() {
            g.running = false;
            g.phase = Phase::Idle;
        }
        drop(g);
        drop(self.finished.0.lock().unwrap_or_else(|p| p.into_inner()));
        self.finished.1.notify_all();
        if next.is_none() {
            notify(shared);
        }
        next
    }

    /// Enters `phase` with `total` steps to do, and tells the host.
    pub(super) fn set_phase(&self, shared: &Shared, phase: Phase, total: u64) {
        let mut g = self.lock();
        if phase == Phase::Reading {
            g.calls_at_start = shared.metrics.api_calls.load(Ordering::Relaxed);
        }
        g.phase = phase;
        g.done = 0;
        g.total = total;
        drop(g);
        notify(shared);
    }

    /// Records progress within the phase.
    pub(super) fn progress(&self, done: u64, total: u64) {
        let mut g = self.lock();
        g.done = done;
        g.total = total;
    }

    /// Records the plan of the run (`dry`: nothing is applied) and what the guard holds.
    pub(super) fn set_plan(&self, plan: KindPlans, dry: bool, held: Held) {
        let mut g = self.lock();
        g.plan = Some(Arc::new((plan, dry)));
        if !dry {
            g.held = held;
        }
    }

    /// Takes the held removals of every kind (for release).
    pub(super) fn take_held(&self) -> Held {
        std::mem::take(&mut self.lock().held)
    }

    /// Sets whether a full sync is recommended (a crash or the period, with a host that cannot
    /// be asked for a snapshot).
    pub fn set_recommended(&self, on: bool) {
        self.lock().recommended = on;
    }

    /// Notes why a snapshot is wanted (logged only).
    pub fn set_recommended_reason(&self, why: &str) {
        log::warn!("a Force Complete Sync is needed: {why}");
    }

    /// When the last real full sync completed.
    pub fn last_completed(&self) -> Option<std::time::Instant> {
        self.read().last_completed
    }

    /// Waits until no run is going or waiting; false after `timeout`.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut w = self.finished.0.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if !self.read().running {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            w = self
                .finished
                .1
                .wait_timeout(w, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Writes the overview's `full_sync` object.
    pub fn render(&self, out: &mut JsonOut, calls_now: u64, per_minute: u32) {
        let g = self.read();
        let recommended = g.recommended;
        let calls = if g.phase == Phase::Idle {
            0
        } else {
            calls_now.saturating_sub(g.calls_at_start)
        };
        let left = g.total.saturating_sub(g.done);
        out.raw("{\"calls\":");
        out.u64(calls);
        out.raw(",\"done\":");
        out.u64(g.done);
        out.raw(",\"eta_s\":");
        out.u64(left * 60 / u64::from(per_minute.max(1)));
        out.raw(",\"held\":");
        if g.held.is_empty() {
            out.raw("null");
        } else {
            for (i, (kind, (ops, reason))) in g.held.iter().enumerate() {
                out.raw(if i == 0 { "{" } else { "," });
                out.str(kind.name());
                out.raw(":{\"count\":");
                out.u64(ops.len() as u64);
                out.raw(",\"ids\":");
                out.str_array(ops.iter().take(100).map(|o| o.id.as_str()));
                out.raw(",\"reason\":");
                out.str(reason);
                out.raw("}");
            }
            out.raw("}");
        }
        out.raw(",\"last_error\":");
        out.opt_str(g.last_error.as_deref());
        out.raw(",\"phase\":");
        out.str(g.phase.name());
        out.raw(",\"recommended\":");
        out.bool(recommended);
        out.raw(",\"runs\":");
        out.u64(g.runs);
        out.raw(",\"total\":");
        out.u64(g.total);
        out.raw("}");
    }

    /// One page of the last plan: `{"counts":{kind:{op:n}},"dry_run":b,"held":n,
    /// "items":[...],"next_after":cursor|null}`: items in kind order then by CIC id, after the
    /// cursor `after` (`kind/id`, as `next_after` gives it), at most `max`.
    pub fn plan_page(&self, after: Option<&str>, max: usize) -> Result<String, Failure> {
        let (plan, held) = {
            let g = self.read();
            let p = g.plan.clone().ok_or_else(|| {
                Failure::new(
                    GcsyncResult::InvalidArgument,
                    "no full sync plan yet: commit a snapshot first",
                )
            })?;
            (p, g.held.values().map(|(ops, _)| ops.len()).sum::<usize>())
        };
        let (plans, dry) = (&plan.0, plan.1);
        let cursor = match after {
            None => None,
            Some(a) => Some(parse_cursor(a)?),
        };
        let all: Vec<(GcsyncObjectKind, &Op)> = plans
            .iter()
            .flat_map(|(k, p)| p.ops.iter().map(move |o| (*k, o)))
            .collect();
        let start = match &cursor {
            None => 0,
            Some((k, id)) => all.partition_point(|(ok, o)| (*ok, o.id.as_str()) <= (*k, id)),
        };
        let page = &all[start..(start + max).min(all.len())];
        let mut out = JsonOut::with_capacity(128 + 96 * page.len());
        out.raw("{\"counts\":{");
        for (i, (kind, p)) in plans.iter().enumerate() {
            out.raw(if i > 0 { "," } else { "" });
            out.str(kind.name());
            out.raw(":{");
            for (j, (op, n)) in p.counts().into_iter().enumerate() {
                out.raw(if j > 0 { "," } else { "" });
                out.str(op);
                out.raw(":");
                out.u64(n as u64);
            }
            out.raw("}");
        }
        out.raw("},\"dry_run\":");
        out.bool(dry);
        out.raw(",\"held\":");
        out.u64(held as u64);
        out.raw(",\"items\":[");
        for (i, (kind, o)) in page.iter().enumerate() {
            out.raw(if i > 0 { "," } else { "" });
            write_op(&mut out, *kind, o);
        }
        out.raw("],\"next_after\":");
        let more = start + page.len() < all.len();
        let next = page
            .last()
            .filter(|_| more)
            .map(|(k, o)| format!("{}/{}", k.name(), o.id));
        out.opt_str(next.as_deref());
        out.raw("}");
        Ok(out.into_string())
    }
}

/// Reads a plan cursor `kind/id` (the kind's name, a slash, the CIC id).
fn parse_cursor(a: &str) -> Result<(GcsyncObjectKind, &str), Failure> {
    let (kind, id) = a
        .split_once('/')
        .and_then(|(k, id)| GcsyncObjectKind::from_name(k).map(|k| (k, id)))
        .ok_or_else(|| {
            Failure::new(
                GcsyncResult::InvalidArgument,
                format!("after_id {a:?} is not a plan cursor: pass next_after as it was given"),
            )
        })?;
    crate::cic::check_id_field("after_id", id)?;
    Ok((kind, id))
}

fn write_op(out: &mut JsonOut, kind: GcsyncObjectKind, o: &Op) {
    out.raw("{\"detail\":");
    out.str_array(o.detail.iter().map(String::as_str));
    out.raw(",\"genesys_id\":");
    out.opt_str(o.genesys_id.as_deref());
    out.raw(",\"id\":");
    out.str(&o.id);
    out.raw(",\"kind\":");
    out.str(kind.name());
    out.raw(",\"op\":");
    out.str(o.op.name());
    out.raw(",\"writes\":");
    out.bool(o.op.writes());
    out.raw("}");
}

fn no_snapshot() -> Failure {
    Failure::new(
        GcsyncResult::InvalidArgument,
        "no snapshot is being staged: call gcsync_force_sync_begin first",
    )
}

/// Tells the host the full sync's phase changed: `status_changed` with kind USER and an empty
/// id (never a CIC id); it reads the overview's `full_sync` for the details.
fn notify(shared: &Shared) {
    shared.host.status_changed(GcsyncObjectKind::User, "");
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
