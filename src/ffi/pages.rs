//! The paged status list: `gcsync_list_status_page` and its UTF-16 form, for kinds with more
//! objects than one buffer holds comfortably.

use super::args::{kind_arg, write_page, Cursor, Text};
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use std::ffi::c_char;

/// The query behind both forms of `gcsync_list_status_page`.
///
/// # Safety
/// As for [`write_page`].
unsafe fn list_page(
    kind: u32,
    after_id: Text,
    max_items: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<(), Failure> {
    let kind = kind_arg(kind)?;
    let page = |after: Option<&str>| runtime::list_status_page(kind, after, max_items);
    // SAFETY: forwarded caller guarantee.
    unsafe { write_page(after_id, Cursor::Id, page, buf, buf_len, out_len) }
}

/// Writes one page of the status list of `kind` into `buf`, snprintf-style: the objects whose
/// CIC id sorts (bytewise) after `after_id`, at most `max_items` (1 to 10 000, else
/// `GCSYNC_RESULT_INVALID_ARGUMENT`), as `{"items":[status, ...],"next_after":"id"|null}`. Pass
/// `after_id` NULL with length 0 for the first page, then the `next_after` of the previous page,
/// until it is `null`. Objects added between calls appear in a later page if their id sorts
/// after the cursor. Each status is as from `gcsync_object_status`. Thread-safe, also from inside
/// a callback; never blocks on the network.
///
/// # Safety
/// `after_id` NULL (with length 0) or readable for `after_id_len` bytes; `buf` writable for
/// `buf_len` bytes (or NULL with `buf_len == 0`); `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn gcsync_list_status_page(
    kind: u32,
    after_id: *const c_char,
    after_id_len: usize,
    max_items: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> GcsyncResult {
    ffi_boundary!({
        let after = Text::Utf8(after_id, after_id_len);
        // SAFETY: forwarded caller guarantee.
        unsafe { list_page(kind, after, max_items, buf, buf_len, out_len) }
    })
}

/// `gcsync_list_status_page` with `after_id` in UTF-16 (`after_id_units` code units). The output
/// is UTF-8 JSON, as from every query.
///
/// # Safety
/// `after_id` NULL (with 0 units) or readable for `after_id_units` code units; otherwise as for
/// `gcsync_list_status_page`.
#[no_mangle]
pub unsafe extern "C" fn gcsync_list_status_page_utf16(
    kind: u32,
    after_id: *const u16,
    after_id_units: usize,
    max_items: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> GcsyncResult {
    ffi_boundary!({
        let after = Text::Utf16(after_id, after_id_units);
        // SAFETY: forwarded caller guarantee.
        unsafe { list_page(kind, after, max_items, buf, buf_len, out_len) }
    })
}
