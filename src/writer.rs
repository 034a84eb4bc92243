//! The writer thread: the only one that writes the database. It group-commits what the hooks
//! accepted (taking the queue's unsaved changes whole) together with the worker's outcomes, in
//! one transaction per batch, as soon as either arrives: a commit's fsync is the only pause, so
//! changes that arrive meanwhile form the next group. Hooks never wait for it; the worker waits
//! only for a create intent to be durable. A failed commit is kept and retried (a change is
//! never dropped), with the error logged once per message.

use crate::engine::Shared;
use crate::queue::Unsaved;
use crate::result::{Failure, GcsyncResult};
use crate::store::{Db, RowWrite};
use crossbeam_channel::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A message to the writer.
pub enum Msg {
    /// Write an object row; `ack` (if any) hears when it is durable.
    Row(Box<RowWrite>, Option<Sender<Result<(), Failure>>>),
    /// Hear when everything sent before is durable.
    Barrier(Sender<Result<(), Failure>>),
    /// Commit what is queued, then stop.
    Stop,
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

struct Batch {
    intake: Vec<Unsaved>,
    rows: Vec<RowWrite>,
    acks: Vec<Sender<Result<(), Failure>>>,
    upto: u64,
}

/// Runs on the `gcsync-writer` thread until [`Msg::Stop`] (or every sender is gone) and nothing
/// is left to write; `Stop` is honoured even if the disk keeps failing after a few attempts.
pub fn run(mut db: Db, shared: Arc<Shared>, rx: Receiver<Msg>) {
    let wake = shared.queue.writer_wakeups();
    let mut carry: Option<Batch> = None;
    let mut last_error: Option<String> = None;
    let mut stopping = false;
    let mut failures_after_stop = 0;
    loop {
        let first = if carry.is_some() {
            // Back off after a failed commit, still accepting messages.
            crossbeam_channel::select! {
                recv(rx) -> m => m.ok(),
                default(Duration::from_millis(200)) => None,
            }
        } else if stopping {
            None
        } else {
            crossbeam_channel::select! {
                recv(rx) -> m => Some(m.unwrap_or(Msg::Stop)),
                recv(wake) -> _ => None,
            }
        };
        let mut batch = carry.take().unwrap_or(Batch {
            intake: Vec::new(),
            rows: Vec::new(),
            acks: Vec::new(),
            upto: 0,
        });
        // Messages first, then the intake: an outcome's change was accepted before the outcome
        // was sent, so its pending row is in this batch or an earlier one, never a later one.
        for m in first.into_iter().chain(rx.try_iter()) {
            match m {
                Msg::Row(w, ack) => {
                    batch.rows.push(*w);
                    batch.acks.extend(ack);
                }
                Msg::Barrier(ack) => batch.acks.push(ack),
                Msg::Stop => stopping = true,
            }
        }
        let (intake, upto) = shared.queue.take_unsaved();
        batch.intake.extend(intake);
        batch.upto = batch.upto.max(upto);
        if batch.intake.is_empty() && batch.rows.is_empty() && batch.acks.is_empty() {
            shared.durability.set(batch.upto, None);
            if stopping {
                return;
            }
            continue;
        }
        match db.commit(&batch.intake, &batch.rows) {
            Ok(()) => {
                shared.durability.set(batch.upto, None);
                for a in batch.acks {
                    let _ = a.send(Ok(()));
                }
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
