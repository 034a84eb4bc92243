//! The object hooks: the generic `gcsync_on_object_changed` / `_deleted` (any kind, by number)
//! and the named hooks of each kind, which are the same call with their kind fixed. All of them
//! validate and parse on the calling thread and queue the change; none does network or disk I/O.

use super::args::{kind_arg, Text};
use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use std::ffi::c_char;

/// The hook behind every form of `gcsync_on_object_changed`.
///
/// # Safety
/// As for [`Text::read`].
unsafe fn object_changed(kind: u32, object_json: Text) -> Result<(), Failure> {
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
unsafe fn object_deleted(kind: u32, object_id: Text) -> Result<(), Failure> {
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

/// Hook: a CIC skill was created or changed. `skill_json` is a UTF-8 JSON object of
/// `skill_json_len` bytes: `{"id": name, "treat_as_language": bool}` (README, "Object kinds and
/// the generic hooks"). `gcsync_on_object_changed` with `GCSYNC_OBJECT_KIND_SKILL`: same
/// validation and codes. Thread-safe; no network or disk I/O.
///
/// # Safety
/// `skill_json` must be NULL or readable for `skill_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_changed(
    skill_json: *const c_char,
    skill_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_changed(GcsyncObjectKind::Skill as u32, Text::Utf8(skill_json, skill_json_len)) })
}

/// `gcsync_on_skill_changed` with the JSON in UTF-16 (`skill_json_units` code units).
///
/// # Safety
/// `skill_json` must be NULL or readable for `skill_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_changed_utf16(
    skill_json: *const u16,
    skill_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_changed(GcsyncObjectKind::Skill as u32, Text::Utf16(skill_json, skill_json_units)) })
}

/// Hook: a CIC skill was deleted (`skill_id`: its name, UTF-8, `skill_id_len` bytes). The
/// Genesys skill or language gcsync created or adopted is deleted after the assignments gcsync
/// made are removed. `gcsync_on_object_deleted` with `GCSYNC_OBJECT_KIND_SKILL`. Thread-safe.
///
/// # Safety
/// `skill_id` must be NULL or readable for `skill_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_deleted(
    skill_id: *const c_char,
    skill_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_deleted(GcsyncObjectKind::Skill as u32, Text::Utf8(skill_id, skill_id_len)) })
}

/// `gcsync_on_skill_deleted` with the id in UTF-16 (`skill_id_units` code units).
///
/// # Safety
/// `skill_id` must be NULL or readable for `skill_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_skill_deleted_utf16(
    skill_id: *const u16,
    skill_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe { object_deleted(GcsyncObjectKind::Skill as u32, Text::Utf16(skill_id, skill_id_units)) })
}

/// Hook: a CIC workgroup was created or changed: `gcsync_on_object_changed` with kind
/// `GCSYNC_OBJECT_KIND_WORKGROUP` (README "Object kinds and the generic hooks" gives the JSON).
///
/// # Safety
/// `workgroup_json` must be NULL or readable for `workgroup_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_changed(
    workgroup_json: *const c_char,
    workgroup_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_json,
            workgroup_json_len,
        )
    }
}

/// `gcsync_on_workgroup_changed` with the JSON in UTF-16 (`workgroup_json_units` code units).
///
/// # Safety
/// `workgroup_json` must be NULL or readable for `workgroup_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_changed_utf16(
    workgroup_json: *const u16,
    workgroup_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed_utf16(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_json,
            workgroup_json_units,
        )
    }
}

/// Hook: a CIC workgroup was deleted (its queue is deleted): `gcsync_on_object_deleted` with
/// kind `GCSYNC_OBJECT_KIND_WORKGROUP`.
///
/// # Safety
/// `workgroup_id` must be NULL or readable for `workgroup_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_deleted(
    workgroup_id: *const c_char,
    workgroup_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_id,
            workgroup_id_len,
        )
    }
}

/// `gcsync_on_workgroup_deleted` with the id in UTF-16 (`workgroup_id_units` code units).
///
/// # Safety
/// `workgroup_id` must be NULL or readable for `workgroup_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_workgroup_deleted_utf16(
    workgroup_id: *const u16,
    workgroup_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted_utf16(
            GcsyncObjectKind::Workgroup as u32,
            workgroup_id,
            workgroup_id_units,
        )
    }
}

/// Hook: a CIC wrap-up code was created or changed: `gcsync_on_object_changed` with kind
/// `GCSYNC_OBJECT_KIND_WRAPUP_CODE`.
///
/// # Safety
/// `wrapup_code_json` must be NULL or readable for `wrapup_code_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_changed(
    wrapup_code_json: *const c_char,
    wrapup_code_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_json,
            wrapup_code_json_len,
        )
    }
}

/// `gcsync_on_wrapup_code_changed` with the JSON in UTF-16 (`wrapup_code_json_units` code
/// units).
///
/// # Safety
/// `wrapup_code_json` must be NULL or readable for `wrapup_code_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_changed_utf16(
    wrapup_code_json: *const u16,
    wrapup_code_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_changed_utf16(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_json,
            wrapup_code_json_units,
        )
    }
}

/// Hook: a CIC wrap-up code was deleted (its uses on gcsync's queues are removed, then the
/// code): `gcsync_on_object_deleted` with kind `GCSYNC_OBJECT_KIND_WRAPUP_CODE`.
///
/// # Safety
/// `wrapup_code_id` must be NULL or readable for `wrapup_code_id_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_deleted(
    wrapup_code_id: *const c_char,
    wrapup_code_id_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_id,
            wrapup_code_id_len,
        )
    }
}

/// `gcsync_on_wrapup_code_deleted` with the id in UTF-16 (`wrapup_code_id_units` code units).
///
/// # Safety
/// `wrapup_code_id` must be NULL or readable for `wrapup_code_id_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_wrapup_code_deleted_utf16(
    wrapup_code_id: *const u16,
    wrapup_code_id_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    unsafe {
        gcsync_on_object_deleted_utf16(
            GcsyncObjectKind::WrapupCode as u32,
            wrapup_code_id,
            wrapup_code_id_units,
        )
    }
}

/// The hook behind both forms of `gcsync_on_status_changed`: the status JSON with the user id
/// put in front as its `id` (a JSON that carries an `id` itself is refused as a duplicate
/// field), then the generic path of the agent-status kind.
///
/// # Safety
/// As for [`Text::read`].
unsafe fn status_changed(user_id: Text, status_json: Text) -> Result<(), Failure> {
    // SAFETY: forwarded caller guarantee.
    let id = unsafe { user_id.id("user_id") }?;
    // SAFETY: forwarded caller guarantee.
    let json = unsafe { status_json.payload("status_json") }?;
    let json = match json.trim_start().strip_prefix('{') {
        Some(rest) => {
            let id = serde_json::to_string(&*id).unwrap_or_default();
            let comma = if rest.trim_start().starts_with('}') {
                ""
            } else {
                ","
            };
            format!("{{\"id\":{id}{comma}{rest}")
        }
        // Not an object: the kind's parser says so with its own code.
        None => json.into_owned(),
    };
    runtime::object_changed(GcsyncObjectKind::AgentStatus, &json)
}

/// Hook: a CIC agent's status changed. `user_id` is the CIC user id (UTF-8, `user_id_len`
/// bytes, the id rule of the hooks); `status_json` the status as a UTF-8 JSON object of
/// `status_json_len` bytes in the agent-status schema without `id` (README, "Agent status").
/// Validates, parses and queues for the presence worker; returns without network or disk I/O.
/// Thread-safe; the buffers are only read during the call.
///
/// # Safety
/// `user_id` must be NULL or readable for `user_id_len` bytes, `status_json` for
/// `status_json_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_status_changed(
    user_id: *const c_char,
    user_id_len: usize,
    status_json: *const c_char,
    status_json_len: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe {
        status_changed(Text::Utf8(user_id, user_id_len), Text::Utf8(status_json, status_json_len))
    })
}

/// `gcsync_on_status_changed` with both strings in UTF-16 (code units, native byte order).
/// Same validation and codes, plus `GCSYNC_RESULT_INVALID_UTF16`.
///
/// # Safety
/// `user_id` must be NULL or readable for `user_id_units` code units, `status_json` for
/// `status_json_units` code units.
#[no_mangle]
pub unsafe extern "C" fn gcsync_on_status_changed_utf16(
    user_id: *const u16,
    user_id_units: usize,
    status_json: *const u16,
    status_json_units: usize,
) -> GcsyncResult {
    // SAFETY: forwarded caller guarantee.
    ffi_boundary!(guarded: unsafe {
        status_changed(Text::Utf16(user_id, user_id_units), Text::Utf16(status_json, status_json_units))
    })
}
