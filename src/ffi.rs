//! The C API. Every export runs inside [`ffi_boundary!`], which catches panics, records the
//! failure message for `gcsync_last_error_message` and returns a [`GcsyncResult`].
//!
//! Conventions (as in rustls-ffi): strings come in as pointer + length and are checked for NULL
//! (`GCSYNC_RESULT_NULL_PARAMETER`) and UTF-8 (`GCSYNC_RESULT_INVALID_UTF8`); output goes to a
//! caller buffer snprintf-style: always NUL-terminated when `buf_len > 0`, the full length
//! (without the NUL) stored in `*out_len`, `GCSYNC_RESULT_BUFFER_TOO_SMALL` when it did not fit.

use crate::host::{GcsyncHost, GCSYNC_ABI_VERSION};
use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use std::cell::RefCell;
use std::ffi::c_char;
use std::time::Duration;

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
macro_rules! ffi_boundary {
    ($body:expr) => {{
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), Failure> {
                $body
            }));
        match outcome {
            Ok(Ok(())) => {
                set_last_error("");
                GcsyncResult::Ok
            }
            Ok(Err(f)) => {
                set_last_error(&f.message);
                f.code
            }
            Err(_) => {
                set_last_error("internal panic caught at the gcsync boundary");
                GcsyncResult::Panic
            }
        }
    }};
}

fn null(name: &str) -> Failure {
    Failure::new(
        GcsyncResult::NullParameter,
        format!("{name} must not be NULL"),
    )
}

/// Borrows `len` bytes at `ptr` as UTF-8, refusing NULL and payloads over `max` bytes.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that stay valid during the call.
unsafe fn str_arg<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
    max: usize,
) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(null(name));
    }
    if len > max {
        return Err(Failure::new(
            GcsyncResult::PayloadTooLarge,
            format!("{name} is {len} bytes; the limit is {max} (max_payload_bytes)"),
        ));
    }
    // SAFETY: the caller guarantees ptr..ptr+len is readable.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            GcsyncResult::InvalidUtf8,
            format!(
                "{name} is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// Borrows a JSON payload argument, enforcing the `max_payload_bytes` setting before anything
/// reads the bytes.
///
/// # Safety
/// As for [`str_arg`].
unsafe fn payload_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str, Failure> {
    let max = runtime::max_payload()?;
    // SAFETY: forwarded caller guarantee.
    unsafe { str_arg(ptr, len, name, max) }
}

/// Copies `text` into a caller buffer snprintf-style; returns the full length.
///
/// # Safety
/// `buf` must be NULL (only with `buf_len == 0`) or writable for `buf_len` bytes.
unsafe fn copy_out(text: &str, buf: *mut c_char, buf_len: usize) -> usize {
    if buf.is_null() || buf_len == 0 {
        return text.len();
    }
    let mut n = text.len().min(buf_len - 1);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: n < buf_len, and buf is writable for buf_len bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
    text.len()
}

/// Writes query output per the conventions above.
///
/// # Safety
/// As for [`copy_out`]; `out_len` must be NULL or writable.
unsafe fn write_json(
    text: &str,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<(), Failure> {
    if out_len.is_null() {
        return Err(null("out_len"));
    }
    if buf.is_null() && buf_len > 0 {
        return Err(null("buf"));
    }
    // SAFETY: checked above; the caller guarantees the sizes.
    unsafe {
        *out_len = copy_out(text, buf, buf_len);
    }
    if text.len() >= buf_len {
        return Err(Failure::new(
            GcsyncResult::BufferTooSmall,
            format!(
                "the output needs {} bytes plus the NUL; the buffer holds {buf_len}",
                text.len()
            ),
        ));
    }
    Ok(())
}

fn kind_arg(kind: u32) -> Result<GcsyncObjectKind, Failure> {
    GcsyncObjectKind::from_u32(kind).ok_or_else(|| {
        Failure::new(
            GcsyncResult::UnknownObjectKind,
            format!("object kind {kind} is unknown"),
        )
    })
}

fn timeout(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

/// The ABI version this library implements (`GCSYNC_ABI_VERSION`). Any thread, any time.
#[no_mangle]
pub extern "C" fn gcsync_abi_version() -> u32 {
    GCSYNC_ABI_VERSION
}

/// Starts gcsync: reads and validates the settings through `host->get_setting` (on this thread),
/// opens the data directory, resumes saved work and starts the worker thread. `host` is copied;
/// its `userdata` must stay valid until `gcsync_shutdown` returns. Fails with
/// `GCSYNC_RESULT_ALREADY_INITIALIZED` while running. Call from one thread at a time with
/// `gcsync_shutdown`; hooks may run concurrently and get `NOT_INITIALIZED` until it returns.
///
/// # Safety
/// `host` must be NULL or point to a valid `gcsync_host`.
#[no_mangle]
pub unsafe extern "C" fn gcsync_init(host: *const GcsyncHost) -> GcsyncResult {
    ffi_boundary!({
        // SAFETY: the caller passes NULL or a valid pointer.
        let host = unsafe { host.as_ref() }.ok_or_else(|| null("host"))?;
        runtime::init(host)
    })
}

/// Stops gcsync: refuses new changes, lets the worker finish pending ones for up to `timeout_ms`,
/// saves the rest in the data directory (they resume at the next start; then the result is
/// `GCSYNC_RESULT_SHUTDOWN_TIMED_OUT`), joins every gcsync thread and disconnects the log
/// callback. After it returns no gcsync code runs and the host may `dlclose` the library.
/// May block for `timeout_ms` plus one in-flight HTTP request. Never call it from a gcsync
/// callback.
#[no_mangle]
pub extern "C" fn gcsync_shutdown(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(runtime::shutdown(timeout(timeout_ms)))
}

/// Hook: a CIC user was created or changed. `user_json` is a UTF-8 JSON object of
/// `user_json_len` bytes (no NUL needed; see README for the schema). Validates, parses and
/// queues; returns without network I/O. Thread-safe; the buffer is only read during the call.
///
/// # Safety
/// `user_json` must be NULL or readable for `user_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_user_changed(
    user_json: *const c_char,
    user_json_len: usize,
) -> GcsyncResult {
    ffi_boundary!({
        // SAFETY: forwarded caller guarantee.
        let json = unsafe { payload_arg(user_json, user_json_len, "user_json") }?;
        runtime::user_changed(json)
    })
}

/// Hook: a CIC user was deleted. `user_id` is the CIC user name (UTF-8, `user_id_len` bytes).
/// The removal policy (`user_removal_policy`) is applied by the worker. Thread-safe.
///
/// # Safety
/// `user_id` must be NULL or readable for `user_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_user_deleted(
    user_id: *const c_char,
    user_id_len: usize,
) -> GcsyncResult {
    ffi_boundary!({
        // SAFETY: forwarded caller guarantee.
        let id = unsafe {
            str_arg(
                user_id,
                user_id_len,
                "user_id",
                crate::cic::GCSYNC_MAX_ID_LEN,
            )
        }?;
        runtime::user_deleted(id)
    })
}

/// Hook: the settings changed. Re-reads them through `get_setting` on this thread, validates
/// them as a whole (on error the old settings stay in force) and applies them without a
/// restart. `data_dir` cannot change while running.
#[no_mangle]
pub extern "C" fn gcsync_on_settings_changed() -> GcsyncResult {
    ffi_boundary!(runtime::settings_changed())
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
    ffi_boundary!({
        // SAFETY: forwarded caller guarantee.
        let json = unsafe { payload_arg(snapshot_json, snapshot_json_len, "snapshot_json") }?;
        runtime::force_sync(json)
    })
}

/// Blocks the calling thread until no change is waiting or in flight (objects waiting for a
/// retry time do not count), or `timeout_ms` passes (`GCSYNC_RESULT_TIMEOUT`). Thread-safe.
#[no_mangle]
pub extern "C" fn gcsync_wait_idle(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(runtime::wait_idle(timeout(timeout_ms)))
}

/// Blocks the calling thread until every change accepted (by any thread) before this call, and
/// every status recorded so far, is durable in the data directory, or `timeout_ms` passes (`GCSYNC_RESULT_TIMEOUT`, with the
/// disk error if one is in the way). A hook's OK means the change is accepted in memory and
/// will be committed within about 10 ms; after `gcsync_flush` returns OK it survives a crash
/// of the host process (and, with the default full fsync, of the machine). Thread-safe.
#[no_mangle]
pub extern "C" fn gcsync_flush(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(runtime::flush(timeout(timeout_ms)))
}

/// Blocks the calling thread until every change accepted so far has reached a final state:
/// Synced, or an Error that waits for an admin (nothing waiting, in flight, or waiting for a
/// retry time), or `timeout_ms` passes (`GCSYNC_RESULT_TIMEOUT`). Unlike `gcsync_wait_idle`,
/// which returns as soon as the queue is empty even while objects wait to be retried after a
/// transient failure, this waits for those retries too. Thread-safe.
#[no_mangle]
pub extern "C" fn gcsync_wait_settled(timeout_ms: u32) -> GcsyncResult {
    ffi_boundary!(runtime::wait_settled(timeout(timeout_ms)))
}

/// Writes one object's sync status as JSON (see README) into `buf`, snprintf-style.
/// Thread-safe; never blocks on the network.
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
        let kind = kind_arg(kind)?;
        // SAFETY: forwarded caller guarantee.
        let id = unsafe {
            str_arg(
                object_id,
                object_id_len,
                "object_id",
                crate::cic::GCSYNC_MAX_ID_LEN,
            )
        }?;
        let text = runtime::object_status(kind, id)?;
        // SAFETY: forwarded caller guarantee.
        unsafe { write_json(&text, buf, buf_len, out_len) }
    })
}

/// Writes the status of every known object of `kind` as a JSON array into `buf`,
/// snprintf-style. Thread-safe.
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

/// Writes the overview (queue depth, counts per state, API calls, retries, 429s, last error,
/// worker alive) as JSON into `buf`, snprintf-style. Thread-safe.
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
        let text = runtime::overview()?;
        // SAFETY: forwarded caller guarantee.
        unsafe { write_json(&text, buf, buf_len, out_len) }
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
}
