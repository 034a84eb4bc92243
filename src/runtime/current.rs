//! The running instance for a hook or a quick query, without a lock or a shared reference
//! count: `LIFECYCLE`'s read lock and an `Arc` clone were four atomic read-modify-writes per
//! call on cache lines every host thread (and init/shutdown) touch.
//!
//! How: [`FAST`] points at the running [`Shared`] (null when nothing runs, or while init or
//! shutdown change that). A call first counts itself in one of [`SLOTS`] padded counters
//! (its thread's own, most of the time alone on its line), then reads [`FAST`]; shutdown (and an
//! init that fails after publishing) clears [`FAST`] ([`withdraw`]) and then lets the `Shared`
//! be dropped only once the counters show no call in progress ([`release`]). Both sides are
//! `SeqCst`, so either the call sees null (and takes the slow path: the lock and a clone, as
//! before) or shutdown sees its count. Shutdown waits a moment for such calls (they are short)
//! and otherwise keeps a reference in [`LINGER`] until a later transition finds none in
//! progress: a call descheduled for long never holds shutdown up on this account, and never
//! outlives what it borrowed. Only calls that cannot block use it: the waits (`wait_idle`,
//! `flush`, ...) hold an `Arc` as before.

use super::{Lifecycle, LIFECYCLE};
use crate::engine::Shared;
use crate::result::{Failure, GcsyncResult};
use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The running instance's shared state while calls may borrow it without a count.
static FAST: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());

const SLOTS: usize = 16;

#[repr(align(128))]
struct Padded(AtomicUsize);

/// Calls in progress holding a [`Current::Fast`], by their thread's slot.
static IN_CALLS: [Padded; SLOTS] = [const { Padded(AtomicUsize::new(0)) }; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

/// Instances shut down while a call still borrowed them, kept until no call borrows any.
static LINGER: Mutex<Vec<Arc<Shared>>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's slot, and how many fast references it holds (nested calls: a host
    /// callback made from inside a call may call again).
    static THREAD: (Cell<usize>, Cell<usize>) = (
        Cell::new(NEXT_SLOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % SLOTS),
        const { Cell::new(0) },
    );
}

/// The running instance for the duration of one call.
pub enum Current {
    /// Borrowed through [`FAST`]; counted in `IN_CALLS[slot]` until dropped.
    Fast {
        shared: *const Shared,
        slot: usize,
        /// Not `Send`: the count belongs to this thread.
        _thread: PhantomData<*const ()>,
    },
    /// Taken under `LIFECYCLE`'s lock (while init or shutdown changes it).
    Owned(Arc<Shared>),
}

impl std::ops::Deref for Current {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        match self {
            // SAFETY: the pointer was read from FAST after this call counted itself in
            // IN_CALLS (both SeqCst); whoever clears FAST waits in `drain` until that count is
            // gone before the `Arc<Shared>` it points into can be dropped.
            Current::Fast { shared, .. } => unsafe { &**shared },
            Current::Owned(s) => s,
        }
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        if let Current::Fast { slot, .. } = self {
            let _ = THREAD.try_with(|t| t.1.set(t.1.get().saturating_sub(1)));
            IN_CALLS[*slot].0.fetch_sub(1, SeqCst);
        }
    }
}

/// The running instance, for a call that cannot block (a hook, a query).
pub fn current() -> Result<Current, Failure> {
    // A thread whose thread-locals are being destroyed takes the slow path.
    if let Ok(slot) = THREAD.try_with(|t| t.0.get()) {
        IN_CALLS[slot].0.fetch_add(1, SeqCst);
        let p = FAST.load(SeqCst);
        if !p.is_null() {
            THREAD.with(|t| t.1.set(t.1.get() + 1));
            return Ok(Current::Fast {
                shared: p,
                slot,
                _thread: PhantomData,
            });
        }
        IN_CALLS[slot].0.fetch_sub(1, SeqCst);
    }
    current_owned().map(Current::Owned)
}

/// The running instance as a reference count of its own, for a call that may wait (shutdown
/// does not wait for it).
pub fn current_owned() -> Result<Arc<Shared>, Failure> {
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

/// Lets calls borrow `shared` (init, once it is published in `LIFECYCLE`).
pub fn publish(shared: &Arc<Shared>) {
    FAST.store(Arc::as_ptr(shared).cast_mut(), SeqCst);
}

/// Stops new calls from borrowing the instance (they take the slow path from here on).
pub fn withdraw() {
    FAST.store(std::ptr::null_mut(), SeqCst);
}

/// Whether a call of another thread borrows an instance through [`FAST`] (the calling
/// thread's own borrows excluded: a transition refused from inside a call does not get here).
fn borrowed_elsewhere() -> bool {
    let own = THREAD.try_with(|t| t.1.get()).unwrap_or(0);
    IN_CALLS.iter().map(|c| c.0.load(SeqCst)).sum::<usize>() > own
}

/// After [`withdraw`]: waits up to 2 ms for the calls borrowing `shared` to end; if some have
/// not, keeps a reference to it in [`LINGER`] so it outlives them. Instances kept earlier are
/// let go once no call borrows any.
pub fn release(shared: &Arc<Shared>) {
    let start = Instant::now();
    let mut spins = 0u32;
    while borrowed_elsewhere() && start.elapsed() < Duration::from_millis(2) {
        spins += 1;
        match spins {
            0..=100 => std::hint::spin_loop(),
            _ => std::thread::yield_now(),
        }
    }
    let mut kept = LINGER.lock().unwrap_or_else(|p| p.into_inner());
    if borrowed_elsewhere() {
        kept.push(shared.clone());
    } else {
        let gone = std::mem::take(&mut *kept);
        drop(kept);
        drop(gone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::WorkQueue;
    use std::sync::mpsc;

    fn instance() -> Arc<Shared> {
        let (tx, _rx) = crossbeam_channel::unbounded();
        Arc::new(Shared::for_tests(WorkQueue::new(10, 0), tx))
    }

    /// A call that borrowed the instance before its withdrawal keeps it alive until the call
    /// ends, however long it takes; a new call no longer borrows it; the next transition that
    /// finds no call in progress lets it go.
    #[test]
    fn an_instance_borrowed_across_its_withdrawal_lives_until_the_borrow_ends() {
        let shared = instance();
        let gone = Arc::downgrade(&shared);
        publish(&shared);
        let (borrowed_tx, borrowed) = mpsc::channel();
        let (end, end_rx) = mpsc::channel::<()>();
        let caller = std::thread::spawn(move || {
            let c = current().expect("borrowed");
            assert!(matches!(c, Current::Fast { .. }));
            borrowed_tx.send(()).unwrap();
            end_rx.recv().unwrap();
            c.max_payload()
        });
        borrowed.recv().unwrap();
        withdraw();
        // The slow path: nothing runs in LIFECYCLE here.
        assert!(
            current().is_err(),
            "a new call does not borrow a withdrawn instance"
        );
        release(&shared);
        let expected = shared.max_payload();
        drop(shared);
        assert!(gone.upgrade().is_some(), "kept while a call borrows it");
        end.send(()).unwrap();
        assert_eq!(caller.join().unwrap(), expected);
        let next = instance();
        publish(&next);
        let c = current().expect("the next instance");
        drop(c);
        withdraw();
        release(&next);
        assert!(gone.upgrade().is_none(), "let go once no call borrows any");
        assert!(LINGER.lock().unwrap().is_empty());
    }
}
