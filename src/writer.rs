//! The writer thread: the only one that writes the database. It group-commits what the hooks
//! accepted (taking the queue's unsaved changes oldest first, encoded as they are taken, at
//! most [`Bound::DEFAULT`] per commit: `store/intake.rs`) together with the workers'
//! outcomes, in one transaction per batch. A backlog larger than a chunk (a flood) is written
//! in consecutive chunk commits; the workers' outcomes ride with the chunk that completes every
//! change accepted before them, never ahead of their own change. Accepted changes are committed as soon as the writer
//! is free (those accepted during a commit go into the next one: durable within two commits);
//! outcomes alone wait at most [`OUTCOME_GATHER`], unless an accepted change or a message
//! someone waits for (a create intent, a flush, stop; its token on `Shared::urgent_wakeups`)
//! comes first. While outcomes gather, the writer wakes only for such a token, the first
//! accepted change, or the deadline, never once per hook or per outcome. While accepted changes
//! flow (some taken within the last [`QUIET`]), no hook wakes it at all: it looks for them every
//! [`POLL`] (a change is durable within a poll and a commit); only a parked writer is woken, by
//! the first change after it parked. Hooks never wait for it; the workers wait only for a
//! create intent to be durable. A failed commit is kept and retried (a change is never
//! dropped), with the error logged once per message.
use crate::audit::AuditEntry;
use crate::clock::unix_now;
use crate::engine::Shared;
use crate::result::{Failure, GcsyncResult};
use crate::store::{Bound, Db, Extra, Intake, Retention, RowWrite};
use crossbeam_channel::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A message to the writer.
pub enum Msg {
    /// Write an object row; `ack` (if any) hears when it is durable.
    Row(Box<RowWrite>, Option<Sender<Result<(), Failure>>>),
    /// Write an object row and its audit entry, in the same transaction.
    Audited(Box<RowWrite>, Box<AuditEntry>),
    /// Record create intents of objects the sender does not hold (see [`Extra::intents`]).
    Intents(Vec<(crate::object::ObjectKey, crate::objects::Intent)>),
    /// Hear when everything sent before is durable.
    Barrier(Sender<Result<(), Failure>>),
    /// Commit what is queued, then stop.
    Stop,
}

/// How long outcomes alone wait to share a commit (with the next create intent, say).
pub const OUTCOME_GATHER: Duration = Duration::from_millis(50);

/// While accepted changes flow, how often the writer looks for them itself (the hooks then
/// send it nothing: a wakeup is a system call, and in a VM an interrupt to another core, paid
/// by the hook that sends it).
pub const POLL: Duration = Duration::from_millis(2);

/// How long after the last accepted change it took the writer keeps looking every [`POLL`];
/// then it parks, and the next accepted change wakes it.
pub const QUIET: Duration = Duration::from_millis(50);

impl Msg {
    fn is_urgent(&self) -> bool {
        matches!(self, Msg::Row(_, Some(_)) | Msg::Barrier(_) | Msg::Stop)
    }
}

/// How far the accepted changes are durable, for `gcsync_flush`.
#[derive(Default)]
pub struct Durability {
    upto: Mutex<(u64, Option<String>)>,
    changed: Condvar,
}

impl Durability {
    /// A watermark starting at `seq` (everything loaded at start is durable).
    pub fn new(seq: u64) -> Durability {
        Durability {
            upto: Mutex::new((seq, None)),
            changed: Condvar::new(),
        }
    }

    fn set(&self, seq: u64, error: Option<String>) {
        let mut g = self.upto.lock().unwrap_or_else(|p| p.into_inner());
        g.0 = g.0.max(seq);
        g.1 = error;
        self.changed.notify_all();
    }

    /// Waits until every change up to `seq` is durable; on timeout says what is in the way.
    pub fn wait(&self, seq: u64, timeout: Duration) -> Result<(), Failure> {
        let deadline = Instant::now() + timeout;
        let mut g = self.upto.lock().unwrap_or_else(|p| p.into_inner());
        while g.0 < seq {
            let now = Instant::now();
            if now >= deadline {
                let why = g.1.as_deref().map_or(String::new(), |e| format!(": {e}"));
                return Err(Failure::new(
                    GcsyncResult::Timeout,
                    format!(
                        "{} accepted change(s) are not durable yet after the timeout{why}",
                        seq - g.0
                    ),
                ));
            }
            g = self
                .changed
                .wait_timeout(g, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        Ok(())
    }
}

#[derive(Default)]
struct Batch {
    /// Accepted changes, encoded as they are taken (the decoded changes are let go at once:
    /// `store/intake.rs`).
    intake: Intake,
    rows: Vec<RowWrite>,
    acks: Vec<Sender<Result<(), Failure>>>,
    upto: u64,
    /// The sequence number up to which accepted changes must be durable before the messages
    /// are written (an outcome's change was accepted before the outcome was sent).
    needs: u64,
    extra: Extra,
    /// A flush asked for this batch: API counts are written too.
    flush: bool,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.intake.is_empty() && !self.has_messages()
    }

    fn has_messages(&self) -> bool {
        !(self.rows.is_empty() && self.acks.is_empty() && self.extra.is_empty())
    }
}

/// Takes the next chunk of accepted changes (at most [`Bound::DEFAULT`]) into `batch`. While
/// older changes than the batch's messages need are still waiting behind it, the chunk is
/// committed alone and the next one taken: a flood's backlog goes to the disk a bounded chunk
/// at a time, and the messages ride with the chunk that completes what they need.
fn take_chunks(db: &mut Db, shared: &Shared, batch: &mut Batch) -> Result<(), Failure> {
    loop {
        let upto = shared
            .queue
            .take_unsaved_into(&mut batch.intake, Bound::DEFAULT);
        batch.upto = batch.upto.max(upto);
        if batch.upto >= batch.needs {
            return Ok(());
        }
        db.commit_with(&batch.intake, &[], &Extra::default())?;
        shared.durability.set(batch.upto, None);
        batch.intake.clear(true);
    }
}

/// How often API counts are written (riding along with a batch that writes anyway): they touch
/// two pages, which is not worth it on every commit. At stop and on a flush they are always
/// written.
const USAGE_EVERY: Duration = Duration::from_secs(60);

/// What the writer remembers between batches about the journal.
#[derive(Default)]
struct JournalState {
    allowance_written: Option<Option<u64>>,
    usage_written: Option<Instant>,
    clean_stop_written: bool,
}

/// Adds the journal to a batch that is about to be committed: the API counts (at most once a
/// minute, and at stop or flush), the allowance for the admin tool (when it changed), with
/// audit entries the retention in force and, in the `last` batch at stop, the clean-stop marker.
fn add_journal(
    shared: &Shared,
    batch: &mut Batch,
    state: &mut JournalState,
    stopping: bool,
    last: bool,
) {
    let settings = shared.settings().1;
    let due = state
        .usage_written
        .is_none_or(|t| t.elapsed() >= USAGE_EVERY);
    if stopping || batch.flush || due {
        batch.extra.usage.merge(shared.metrics.usage.take_unsaved());
        state.usage_written = Some(Instant::now());
    }
    let allowance_written = &mut state.allowance_written;
    if *allowance_written != Some(settings.monthly_api_allowance) {
        let value = settings.monthly_api_allowance.map(|a| a.to_string());
        batch.extra.meta.retain(|(k, _)| *k != ALLOWANCE_KEY);
        batch.extra.meta.push((ALLOWANCE_KEY, value));
        *allowance_written = Some(settings.monthly_api_allowance);
    }
    if last && !state.clean_stop_written {
        state.clean_stop_written = true;
        // The clean-stop marker (`Db::mark_running` set it to `running` at the start).
        let key = crate::store::RUN_STATE_KEY;
        batch.extra.meta.retain(|(k, _)| *k != key);
        batch.extra.meta.push((key, Some("clean".into())));
    }
    // Trimming rides only with batches that add audit entries: a commit of accepted changes
    // alone (what a hook's durability waits for) never scans or deletes anything.
    batch.extra.retention = (!batch.extra.audit.is_empty()).then_some(Retention {
        days: settings.audit_retention_days,
        max_rows: settings.audit_max_rows,
    });
    batch.extra.now = unix_now();
}

/// The `meta` key holding `monthly_api_allowance`, for tools that read the database.
pub const ALLOWANCE_KEY: &str = "monthly_api_allowance";

/// Outcomes wait for company: returns at a token on `urgent` (a message someone waits for),
/// when an accepted change waits, or after [`OUTCOME_GATHER`]. While changes flow the writer
/// looks for them every [`POLL`]; else it parks and the first accepted change wakes it.
fn gather(shared: &Shared, urgent: &Receiver<()>, wake: &Receiver<()>, flowing: bool) {
    let deadline = Instant::now() + OUTCOME_GATHER;
    loop {
        let now = Instant::now();
        if shared.queue.has_unsaved_now() || now >= deadline {
            return;
        }
        if !flowing {
            break;
        }
        crossbeam_channel::select! {
            recv(urgent) -> _ => return,
            default((deadline - now).min(POLL)) => {}
        }
    }
    if shared.queue.park_writer() {
        crossbeam_channel::select! {
            recv(urgent) -> _ => {}
            recv(wake) -> _ => {}
            default(deadline.saturating_duration_since(Instant::now())) => {}
        }
        shared.queue.unpark_writer();
    }
}

/// Runs on the `gcsync-writer` thread until [`Msg::Stop`] (or every sender is gone) and nothing
/// is left to write; `Stop` is honoured even if the disk keeps failing after a few attempts.
pub fn run(mut db: Db, shared: Arc<Shared>, rx: Receiver<Msg>) {
    let wake = shared.queue.writer_wakeups();
    let urgent = shared.urgent_wakeups();
    let mut carry: Option<Batch> = None;
    // The intake's buffer, reused from batch to batch.
    let mut spare = Intake::default();
    let mut last_error: Option<String> = None;
    let mut stopping = false;
    let mut failures_after_stop = 0;
    let mut journal = JournalState::default();
    // Accepted changes were left waiting by the last commit (its chunk was full).
    let mut more = false;
    // When the writer last took accepted changes (it parks QUIET after).
    let mut last_change: Option<Instant> = None;
    loop {
        let flowing = last_change.is_some_and(|t| t.elapsed() < QUIET);
        let first = if carry.is_some() {
            // Back off after a failed commit, still accepting messages.
            crossbeam_channel::select! {
                recv(rx) -> m => m.ok(),
                default(Duration::from_millis(200)) => None,
            }
        } else if stopping || more || shared.queue.has_unsaved_now() {
            None
        } else if flowing {
            // Changes flow: look again after POLL (no hook wakes the writer).
            crossbeam_channel::select! {
                recv(rx) -> m => Some(m.unwrap_or(Msg::Stop)),
                default(POLL) => None,
            }
        } else if shared.queue.park_writer() {
            let m = crossbeam_channel::select! {
                recv(rx) -> m => Some(m.unwrap_or(Msg::Stop)),
                recv(wake) -> _ => None,
            };
            shared.queue.unpark_writer();
            m
        } else {
            None
        };
        let retrying = carry.is_some();
        let mut batch = carry.take().unwrap_or_else(|| Batch {
            intake: std::mem::take(&mut spare),
            ..Batch::default()
        });
        let msgs: Vec<Msg> = first.into_iter().collect();
        if !retrying
            && !stopping
            && !more
            && !msgs.iter().any(Msg::is_urgent)
            && !shared.queue.has_unsaved_now()
        {
            // Group commit. Accepted changes are committed at once: whatever arrives during a
            // commit goes into the next one, so a change a hook accepted is durable within two
            // commits (one fsync each) and bursts still share commits. Outcomes alone
            // (recoverable from their pending changes and intents) wait in the channel for the
            // next commit: a message someone waits for (its token on `urgent`), the first
            // accepted change (looked for every POLL while changes flow), or OUTCOME_GATHER.
            gather(&shared, &urgent, &wake, flowing);
        }
        // Tokens first, then the messages: a token is sent after its message, so every token
        // dropped here belongs to a message this batch takes (a later one stays for the next).
        while urgent.try_recv().is_ok() {}
        // A wakeup left from the gather is answered by this batch: drop it before taking the
        // intake (a change accepted after this point is found by the next look, or wakes the
        // writer once it parks).
        while wake.try_recv().is_ok() {}
        // Messages first, then the intake: an outcome's change was accepted before the outcome
        // was sent, so its pending row is in this batch or an earlier one, never a later one.
        for m in msgs.into_iter().chain(rx.try_iter()) {
            match m {
                Msg::Row(w, ack) => {
                    batch.rows.push(*w);
                    batch.acks.extend(ack);
                }
                Msg::Audited(w, entry) => {
                    batch.rows.push(*w);
                    batch.extra.audit.push(*entry);
                }
                Msg::Intents(v) => batch.extra.intents.extend(v),
                Msg::Barrier(ack) => {
                    batch.acks.push(ack);
                    batch.flush = true;
                }
                Msg::Stop => stopping = true,
            }
        }
        if batch.has_messages() {
            batch.needs = shared.queue.accepted_seq();
        }
        let taken = take_chunks(&mut db, &shared, &mut batch);
        if !batch.intake.is_empty() {
            last_change = Some(Instant::now());
        }
        more = batch.intake.has_held() || shared.queue.has_unsaved();
        if taken.is_ok() {
            if batch.is_empty() && !stopping {
                shared.durability.set(batch.upto, None);
                spare = batch.intake;
                continue;
            }
            // API counts ride along with a batch that writes anyway (and the last one at stop).
            add_journal(
                &shared,
                &mut batch,
                &mut journal,
                stopping,
                stopping && !more,
            );
            if batch.is_empty() && !more {
                shared.durability.set(batch.upto, None);
                return;
            }
        }
        match taken.and_then(|()| db.commit_with(&batch.intake, &batch.rows, &batch.extra)) {
            Ok(()) => {
                shared.durability.set(batch.upto, None);
                for a in batch.acks {
                    let _ = a.send(Ok(()));
                }
                // Room kept for a flood is let go once nothing waits.
                more = batch.intake.has_held() || shared.queue.has_unsaved();
                batch.intake.clear(more);
                if !more {
                    shared.queue.release_unsaved_room();
                }
                spare = batch.intake;
                if let Some(e) = last_error.take() {
                    log::info!("saving to the data directory works again");
                    shared.metrics.clear_last_error_text(&e);
                }
            }
            Err(f) => {
                if last_error.as_deref() != Some(f.message.as_str()) {
                    log::error!("cannot save to the data directory: {}", f.message);
                    shared.metrics.set_last_error(None, f.message.clone());
                    last_error = Some(f.message.clone());
                }
                shared.durability.set(0, Some(f.message.clone()));
                for a in batch.acks.drain(..) {
                    let _ = a.send(Err(f.clone()));
                }
                if stopping {
                    failures_after_stop += 1;
                    if failures_after_stop >= 5 {
                        log::error!(
                            "gave up saving {} change(s) at shutdown: {}",
                            batch.intake.len() + batch.rows.len(),
                            f.message
                        );
                        return;
                    }
                }
                carry = Some(batch);
            }
        }
    }
}

#[cfg(test)]
mod tests;
