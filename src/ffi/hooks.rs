//! The object hooks: the generic `gcsync_on_object_changed` / `_deleted` (any kind, by number)
//! and the named hooks of each kind, which are the same call with their kind fixed. All of them
//! validate and parse on the calling thread and queue the change; none does network or disk I/O.

use super::args::{kind_arg, Text};
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use std::ffi::c_char;

/// The hook behind every form of `gcsync_on_object_changed`.
///
/// # Safety
/// As for [`Text::read`].
pub(super) unsafe fn object_changed(kind: u32, object_json: Text) -> Result<(), Failure> {
    let kind = kind_arg(kind)?;
    // SAFETY: forwarded caller guarantee.
    let json = unsafe { object_json.payload("object_json") }?;
    runtime::object_changed(kind, &json)
}

/// Hook: a CIC object of `kind` (a `gcsync_object_kind` number) was created or changed.
/// `object_json` is a UTF-8 JSON object of `object_json_len` bytes (no NUL needed) in the kind's
/// schema (README, "Hooks and payloads"). Validates, parses and queues; returns without network
/// or disk I/O. An unknown kind is `GCSYNC_RESULT_UNKNOWN_OBJECT_KIND`; the rest is checked as by
/// the kind's named hook (e.g. `gcsync_on_user_changed`), with the same codes. Thread-safe; the
/// buffer is only read during the call.
///
/// # Safety
/// `object_json` must be NULL or readable for `object_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_object_changed(
    kind: u32,
    object_json: *const c_char,
    object_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_changed(kind, Text::Utf8(object_json, object_json_len)) })
}

/// `gcsync_on_object_changed` with the JSON in UTF-16 (`object_json_units` code units, native
/// byte order). Same validation and codes, plus `GCSYNC_RESULT_INVALID_UTF16`.
///
/// # Safety
/// `object_json` must be NULL or readable for `object_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_object_changed_utf16(
    kind: u32,
    object_json: *const u16,
    object_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_changed(kind, Text::Utf16(object_json, object_json_units)) })
}

/// The hook behind every form of `gcsync_on_object_deleted`.
///
/// # Safety
/// As for [`Text::read`].
pub(super) unsafe fn object_deleted(kind: u32, object_id: Text) -> Result<(), Failure> {
    let kind = kind_arg(kind)?;
    // SAFETY: forwarded caller guarantee.
    let id = unsafe { object_id.id("object_id") }?;
    runtime::object_deleted(kind, &id)
}

/// Hook: a CIC object of `kind` was deleted. `object_id` is its CIC id (UTF-8,
/// `object_id_len` bytes, the id rule of the hooks). The kind's removal policy is applied by the
/// worker. Thread-safe.
///
/// # Safety
/// `object_id` must be NULL or readable for `object_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_object_deleted(
    kind: u32,
    object_id: *const c_char,
    object_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_deleted(kind, Text::Utf8(object_id, object_id_len)) })
}

/// `gcsync_on_object_deleted` with the id in UTF-16 (`object_id_units` code units).
///
/// # Safety
/// `object_id` must be NULL or readable for `object_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_object_deleted_utf16(
    kind: u32,
    object_id: *const u16,
    object_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_deleted(kind, Text::Utf16(object_id, object_id_units)) })
}

// cbindgen reads only the files build.rs lists: a new file of exports goes there too, in the
// order the header shows them (generic, user, routing objects, agent status).
mod user;
pub use user::*;
mod routing;
pub use routing::*;
mod status;
pub use status::*;
