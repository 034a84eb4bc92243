//! The agent-status hooks: `gcsync_on_status_changed` and its UTF-16 form.

use crate::ffi::args::Text;
use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use std::ffi::c_char;

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
