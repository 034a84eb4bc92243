//! The user hooks: `gcsync_on_user_changed` / `_deleted` and their UTF-16 forms.

use crate::ffi::args::Text;
use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use std::ffi::c_char;

/// The hook behind both forms of `gcsync_on_user_changed`.
///
/// # Safety
/// As for [`Text::read`].
unsafe fn user_changed(user_json: Text) -> Result<(), Failure> {
    // SAFETY: forwarded caller guarantee.
    let json = unsafe { user_json.payload("user_json") }?;
    runtime::object_changed(GcsyncObjectKind::User, &json)
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
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { user_changed(Text::Utf8(user_json, user_json_len)) })
}

/// `gcsync_on_user_changed` with the JSON in UTF-16 (`user_json_units` code units, native byte
/// order; no NUL needed). Same validation and codes, plus `GCSYNC_RESULT_INVALID_UTF16` for an
/// unpaired surrogate; `max_payload_bytes` counts the UTF-8 bytes after conversion.
///
/// # Safety
/// `user_json` must be NULL or readable for `user_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_user_changed_utf16(
    user_json: *const u16,
    user_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { user_changed(Text::Utf16(user_json, user_json_units)) })
}

/// The hook behind both forms of `gcsync_on_user_deleted`.
///
/// # Safety
/// As for [`Text::read`].
unsafe fn user_deleted(user_id: Text) -> Result<(), Failure> {
    // SAFETY: forwarded caller guarantee.
    let id = unsafe { user_id.id("user_id") }?;
    runtime::object_deleted(GcsyncObjectKind::User, &id)
}

/// Hook: a CIC user was deleted. `user_id` is the CIC user name (UTF-8, `user_id_len` bytes,
/// the same id rule as in the user JSON). The removal policy (`user_removal_policy`) is applied
/// by the worker. Thread-safe.
///
/// # Safety
/// `user_id` must be NULL or readable for `user_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_user_deleted(
    user_id: *const c_char,
    user_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { user_deleted(Text::Utf8(user_id, user_id_len)) })
}

/// `gcsync_on_user_deleted` with the id in UTF-16 (`user_id_units` code units).
///
/// # Safety
/// `user_id` must be NULL or readable for `user_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_user_deleted_utf16(
    user_id: *const u16,
    user_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { user_deleted(Text::Utf16(user_id, user_id_units)) })
}
