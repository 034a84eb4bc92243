//! The plugin's process-global lifecycle (not initialised → running → shut down → running ...)
//! and the operations behind every export. Functions here take and return Rust types; `ffi.rs`
//! does the C conversions.
//!
//! Locking: `LIFECYCLE` is an `RwLock` held only to clone or swap an `Arc`, never across I/O;
//! `TRANSITION` serialises init and shutdown (which do I/O) without blocking hooks. Hooks and
//! quick queries borrow the running instance without that lock ([`current`]: `runtime/current.rs`).

use crate::engine::Shared;
use crossbeam_channel::Receiver;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

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

mod current;
mod intake;
mod queries;
mod settings;
mod start;
mod stop;

/// Force Complete Sync in parts (README, "Force Complete Sync"): the operations behind
/// `gcsync_force_sync_begin` / `_add` / `_commit` / `_abort` / `_release_held` / `_plan`.
pub mod full;

use current::{current, current_owned};
pub use intake::{force_sync, object_changed, object_deleted};
pub use queries::{
    flush, list_status, list_status_page, object_status, overview, overview_with, wait_idle,
    wait_settled, MAX_PAGE_ITEMS,
};
pub use settings::{max_payload, settings_changed};
pub use start::init;
pub use stop::shutdown;
