//! The C API. Every export runs inside [`ffi_boundary!`], which catches panics, records the
//! failure message for `gcsync_last_error_message` and returns a [`GcsyncResult`]. Exports that
//! may block, reconfigure, change the lifecycle or queue work are `guarded`: called from inside
//! a host callback they return `GCSYNC_RESULT_CALLED_FROM_CALLBACK` before doing anything.
//!
//! Conventions (as in rustls-ffi): strings come in as pointer + length, as UTF-8 bytes or (the
//! `_utf16` forms) UTF-16 code units; `args::Text` is the one place that checks them for NULL
//! (`GCSYNC_RESULT_NULL_PARAMETER`), size (`GCSYNC_RESULT_PAYLOAD_TOO_LARGE`, counted in UTF-8
//! bytes) and encoding (`GCSYNC_RESULT_INVALID_UTF8` / `GCSYNC_RESULT_INVALID_UTF16`), after
//! which both forms share one path. Output goes to a caller buffer snprintf-style: always
//! NUL-terminated when `buf_len > 0`, the full length (without the NUL) stored in `*out_len`,
//! `GCSYNC_RESULT_BUFFER_TOO_SMALL` when it did not fit.

mod args;

use crate::host::{GcsyncHost, GCSYNC_ABI_VERSION};
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use args::{copy_out, kind_arg, timeout, write_json, Text};
use std::cell::RefCell;
use std::ffi::c_char;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(text: &str) {
    LAST_ERROR.with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.push_str(text);
    });
}

/// Runs `$body` (an expression of type `Result<(), Failure>`) behind the panic boundary.
/// `guarded:` first refuses a call from inside a host callback
/// ([`crate::host::refuse_in_callback`]).
macro_rules! ffi_boundary {
    (guarded: $body:expr) => {
        ffi_boundary!({
            crate::host::refuse_in_callback()?;
            $body
        })
    };
    ($body:expr) => {{
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || -> Result<(), crate::result::Failure> { $body },
        ));
        match outcome {
            Ok(Ok(())) => {
                crate::ffi::set_last_error("");
                crate::result::GcsyncResult::Ok
            }
            Ok(Err(f)) => {
                crate::ffi::set_last_error(&f.message);
                f.code
            }
            Err(_) => {
                crate::ffi::set_last_error("internal panic caught at the gcsync boundary");
                crate::result::GcsyncResult::Panic
            }
        }
    }};
}

mod hooks;
pub use hooks::*;
mod pages;
pub use pages::*;
mod fullsync;
pub use fullsync::*;

/// The ABI version this library implements (`GCSYNC_ABI_VERSION`). Any thread, any time.
#[no_mangle]
pub extern "C" fn gcsync_abi_version() -> u32 {
    GCSYNC_ABI_VERSION
}

/// Starts gcsync: reads and validates the settings through `host->get_setting` (on this thread),
/// opens the data directory, resumes saved work and starts gcsync's threads (workers, writer,
/// full sync timer; they run below normal priority unless the setting `background_priority` is
/// `normal`, and the calling thread keeps its own). `host` is copied
/// (`abi_version` first, then `struct_size`, then at most `struct_size` bytes; see
/// `gcsync_host`); its `userdata` must stay valid until `gcsync_shutdown` returns. Fails with
/// `GCSYNC_RESULT_ABI_VERSION_MISMATCH` for another ABI version or a too small `struct_size`,
/// `GCSYNC_RESULT_ALREADY_INITIALIZED` while running. Call from one thread at a time with
/// `gcsync_shutdown`, never from a callback; hooks may run concurrently and get
/// `NOT_INITIALIZED` until it returns.
///
/// # Safety
/// `host` must be NULL or point to a `gcsync_host` readable for its `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_init(host: *const GcsyncHost) -> GcsyncResult {
    ffi_boundary!(guarded: {
        // SAFETY: the caller passes NULL or a struct readable as far as it declares.
        let host = unsafe { GcsyncHost::read(host) }?;
        runtime::init(&host)
    })
}

/// Stops gcsync: refuses new changes, lets the worker finish pending ones for up to `timeout_ms`,
/// saves the rest in the data directory (they resume at the next start; then the result is
/// `GCSYNC_RESULT_SHUTDOWN_TIMED_OUT`), joins every gcsync thread and disconnects the log
/// callback. After it returns no gcsync code runs and the host may `dlclose` the library.
/// May block for `timeout_ms` plus one in-flight HTTP request. From inside a gcsync callback it
/// returns `GCSYNC_RESULT_CALLED_FROM_CALLBACK` and does nothing.
#[no_mangle]
pub extern "C" fn gcsync_shutdown(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(guarded: runtime::shutdown(timeout(timeout_ms)))
}

/// Hook: the settings changed. Re-reads them through `get_setting` on this thread, validates
/// them as a whole (on error the old settings stay in force) and applies them without a
/// restart. `data_dir` cannot change while running. Never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_on_settings_changed() -> GcsyncResult {
    ffi_boundary!(guarded: runtime::settings_changed())
}

/// The hook behind both forms of `gcsync_on_force_sync`.
///
/// # Safety
/// As for [`Text::read`].
unsafe fn force_sync(snapshot_json: Text) -> Result<(), Failure> {
    // SAFETY: forwarded caller guarantee.
    let json = unsafe { snapshot_json.payload("snapshot_json") }?;
    runtime::force_sync(&json)
}

/// Hook: Force Complete Sync. `snapshot_json` is `{"users":[user, ...]}` with every CIC user;
/// each is verified against Genesys Cloud even if it looks up to date. Thread-safe.
///
/// # Safety
/// `snapshot_json` must be NULL or readable for `snapshot_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_force_sync(
    snapshot_json: *const c_char,
    snapshot_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { force_sync(Text::Utf8(snapshot_json, snapshot_json_len)) })
}

/// `gcsync_on_force_sync` with the snapshot in UTF-16 (`snapshot_json_units` code units).
///
/// # Safety
/// `snapshot_json` must be NULL or readable for `snapshot_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_force_sync_utf16(
    snapshot_json: *const u16,
    snapshot_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe {
        force_sync(Text::Utf16(snapshot_json, snapshot_json_units))
    })
}

/// Blocks the calling thread until no change is waiting or in flight (objects waiting for a
/// retry time do not count), or `timeout_ms` passes (`GCSYNC_RESULT_TIMEOUT`). Thread-safe;
/// never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_wait_idle(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(guarded: runtime::wait_idle(timeout(timeout_ms)))
}

/// Blocks the calling thread until every change accepted (by any thread) before this call, and
/// every status recorded so far, is durable in the data directory, or `timeout_ms` passes (`GCSYNC_RESULT_TIMEOUT`, with the
/// disk error if one is in the way). A hook's OK means the change is accepted in memory and
/// will be committed within about 10 ms; after `gcsync_flush` returns OK it survives a crash
/// of the host process (and, with the default full fsync, of the machine). Thread-safe; never
/// from a callback.
#[no_mangle]
pub extern "C" fn gcsync_flush(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(guarded: runtime::flush(timeout(timeout_ms)))
}

/// Blocks the calling thread until every change accepted so far has reached a final state:
/// Synced, or an Error that waits for an admin (nothing waiting, in flight, or waiting for a
/// retry time), or `timeout_ms` passes (`GCSYNC_RESULT_TIMEOUT`). Unlike `gcsync_wait_idle`,
/// which returns as soon as the queue is empty even while objects wait to be retried after a
/// transient failure, this waits for those retries too. Thread-safe; never from a callback.
#[no_mangle]
pub extern "C" fn gcsync_wait_settled(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(guarded: runtime::wait_settled(timeout(timeout_ms)))
}

/// The query behind both forms of `gcsync_object_status`.
///
/// # Safety
/// As for [`Text::read`] and [`write_json`].
unsafe fn object_status(
    kind: u32,
    object_id: Text,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<(), Failure> {
    let kind = kind_arg(kind)?;
    // SAFETY: forwarded caller guarantee.
    let id = unsafe { object_id.id("object_id") }?;
    let text = runtime::object_status(kind, &id)?;
    // SAFETY: forwarded caller guarantee.
    unsafe { write_json(&text, buf, buf_len, out_len) }
}

/// Writes one object's sync status as JSON (see README) into `buf`, snprintf-style. The id
/// follows the same rule as in the hooks. Thread-safe, also from inside a callback; never blocks
/// on the network.
///
/// # Safety
/// `object_id` readable for `object_id_len` bytes; `buf` writable for `buf_len` bytes (or NULL
/// with `buf_len == 0`); `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn gcsync_object_status(
    kind: u32,
    object_id: *const c_char,
    object_id_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> GcsyncResult {
    ffi_boundary!({
        let id = Text::Utf8(object_id, object_id_len);
        // SAFETY: forwarded caller guarantee.
        unsafe { object_status(kind, id, buf, buf_len, out_len) }
    })
}

/// `gcsync_object_status` with the id in UTF-16 (`object_id_units` code units). The output is
/// UTF-8 JSON, as from every query.
///
/// # Safety
/// `object_id` readable for `object_id_units` code units; otherwise as for
/// `gcsync_object_status`.
#[no_mangle]
pub unsafe extern "C" fn gcsync_object_status_utf16(
    kind: u32,
    object_id: *const u16,
    object_id_units: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> GcsyncResult {
    ffi_boundary!({
        let id = Text::Utf16(object_id, object_id_units);
        // SAFETY: forwarded caller guarantee.
        unsafe { object_status(kind, id, buf, buf_len, out_len) }
    })
}

/// Writes the status of every known object of `kind` as a JSON array into `buf`,
/// snprintf-style. Thread-safe, also from inside a callback.
///
/// # Safety
/// As for `gcsync_object_status`.
#[no_mangle]
pub unsafe extern "C" fn gcsync_list_status(
    kind: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> GcsyncResult {
    ffi_boundary!({
        let kind = kind_arg(kind)?;
        let text = runtime::list_status(kind)?;
        // SAFETY: forwarded caller guarantee.
        unsafe { write_json(&text, buf, buf_len, out_len) }
    })
}

/// Writes the overview as one JSON object into `buf`, snprintf-style. Thread-safe, also from
/// inside a callback. Counters count since `gcsync_init`. Fields:
///
/// - `queue_depth`: objects with a change gcsync has not finished: `pending` + `retry_scheduled`
///   + `in_flight`.
/// - `pending`: objects whose change waits for the worker now.
/// - `retry_scheduled`: objects that failed transiently (5xx, network, rate limit) and wait for
///   their retry time; their status reason says when. (An object's own `pending` flag in
///   `gcsync_object_status` is true in all three cases.)
/// - `in_flight`: 1 while the worker processes an object, else 0.
/// - `objects`: `{"synced","error","not_synced","removed"}`: known objects by admin state;
///   `removed` counts objects deleted in CIC (whatever their state), the other three the rest.
/// - `kinds`: `{"user": {...}, ...}`: the same four counts for each object kind (every kind is
///   listed, also with no objects); `objects` is their sum.
/// - `api_calls`: HTTP requests sent to Genesys Cloud (token requests and retries included).
/// - `retries`: requests repeated after a 429, 5xx, transport error, 401 or 409 conflict.
/// - `rate_limited`: 429 answers received.
/// - `tokens_issued`: access tokens obtained.
/// - `processed`: changes the worker finished an attempt on (synced, failed or rescheduled).
/// - `worker_panics`: internal errors the worker caught and survived.
/// - `last_error`: `null`, or `{"at","kind","id","message"}`: the most recent error, its UTC time
///   and the object it concerns (`kind` and `id` are `null` for errors of gcsync itself, e.g. a
///   disk that cannot be written). It clears when that object later syncs (or the condition
///   ends).
/// - `worker_alive`: `true` from the return of a successful `gcsync_init` until
///   `gcsync_shutdown`.
/// - `last_run`: UTC time the worker last finished an attempt, or `null`.
/// - `sync_user_objects`, `sync_advanced_platform_objects`, `api_base_url`: the settings in
///   force.
/// - `api_usage`: `{"month","calls","allowance","percent","state"}`: gcsync's answered calls to
///   Genesys Cloud in the current UTC month (`YYYY-MM`; kept across restarts), the
///   `monthly_api_allowance` setting (or `null`), `calls` as a percentage of it (or `null`), and
///   `state`: `not_set`, `ok`, `warning` (80 % or more) or `over` (past the allowance).
/// - `full_sync`: `{"phase","done","total","calls","eta_s","held","last_error","recommended",
///   "runs"}`: the Force Complete Sync's phase (`idle`, `reading`, `planning`, `applying`), its
///   progress within the phase, the calls it made so far, the seconds left at the request
///   budget, the removals the deletion guard holds (`null` or `{"user":{"count","ids","reason"}}`,
///   released by `gcsync_force_sync_release_held`), why the last run stopped (`null` when it
///   completed), whether a full sync is recommended, and the runs completed. The status callback
///   fires with kind `GCSYNC_OBJECT_KIND_USER` and an empty id (length 0) on each phase change.
///
/// # Safety
/// As for `gcsync_object_status`.
#[no_mangle]
pub unsafe extern "C" fn gcsync_overview(
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> GcsyncResult {
    ffi_boundary!({
        // SAFETY: forwarded caller guarantee.
        runtime::overview_with(|text| unsafe { write_json(text, buf, buf_len, out_len) })?
    })
}

/// Copies the fixed text of a result code into `buf` snprintf-style and returns its length
/// (unknown codes get the text of `GCSYNC_RESULT_UNKNOWN`). Works before init and after
/// shutdown. Any thread.
///
/// # Safety
/// `buf` must be NULL (with `buf_len == 0`) or writable for `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_result_message(
    result: u32,
    buf: *mut c_char,
    buf_len: usize,
) -> usize {
    std::panic::catch_unwind(|| {
        let text = GcsyncResult::from_u32(result).message();
        // SAFETY: forwarded caller guarantee.
        unsafe { copy_out(text, buf, buf_len) }
    })
    .unwrap_or(0)
}

/// Copies the specific message of the calling thread's last failed gcsync call (empty after a
/// success) into `buf` snprintf-style and returns its length. Any thread; per-thread state.
///
/// # Safety
/// As for `gcsync_result_message`.
#[no_mangle]
pub unsafe extern "C" fn gcsync_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    std::panic::catch_unwind(|| {
        LAST_ERROR.with(|e| {
            // SAFETY: forwarded caller guarantee.
            unsafe { copy_out(&e.borrow(), buf, buf_len) }
        })
    })
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_the_boundary_becomes_a_result_code() {
        let r = ffi_boundary!({
            if GcsyncResult::Ok as u32 == 8000 {
                panic!("boom");
            }
            Ok(())
        });
        assert_eq!(r, GcsyncResult::Panic);
        let mut buf = [0u8; 128];
        // SAFETY: buf is writable for its length.
        let n = unsafe { gcsync_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
        assert!(std::str::from_utf8(&buf[..n]).unwrap().contains("panic"));
        assert_eq!(ffi_boundary!(Ok(())), GcsyncResult::Ok);
        assert_eq!(
            unsafe { gcsync_last_error_message(std::ptr::null_mut(), 0) },
            0
        );
    }

    #[test]
    fn a_guarded_boundary_refuses_inside_a_callback_and_runs_nothing() {
        let mut ran = false;
        let r = crate::host::call_host("log", || {
            ffi_boundary!(guarded: {
                ran = true;
                Ok(())
            })
        });
        assert_eq!(r, GcsyncResult::CalledFromCallback);
        assert!(!ran);
        let mut buf = [0u8; 512];
        // SAFETY: buf is writable for its length.
        let n = unsafe { gcsync_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
        let msg = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(msg.contains("log callback"), "{msg}");
        let r = crate::host::call_host("log", || ffi_boundary!(Ok(())));
        assert_eq!(r, GcsyncResult::Ok, "unguarded exports still run");
        assert_eq!(ffi_boundary!(guarded: Ok(())), GcsyncResult::Ok);
    }
}
