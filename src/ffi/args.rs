//! The C arguments of the exports: string inputs (UTF-8 or UTF-16, one reader for both) and
//! snprintf-style outputs.

use crate::cic::check_id_field;
use crate::object::GcsyncObjectKind;
use crate::result::{Failure, GcsyncResult};
use crate::runtime;
use std::borrow::Cow;
use std::ffi::c_char;
use std::time::Duration;

pub(super) fn null(name: &str) -> Failure {
    Failure::new(
        GcsyncResult::NullParameter,
        format!("{name} must not be NULL"),
    )
}

fn too_large(name: &str, size: &str, max: usize) -> Failure {
    Failure::new(
        GcsyncResult::PayloadTooLarge,
        format!("{name} is {size}; the limit is {max} bytes (max_payload_bytes)"),
    )
}

/// A string argument as the host passed it: pointer and length, in UTF-8 bytes or UTF-16 code
/// units. Nothing is read until [`Text::read`].
#[derive(Clone, Copy)]
pub(super) enum Text {
    /// UTF-8 bytes: pointer, length in bytes.
    Utf8(*const c_char, usize),
    /// UTF-16 code units: pointer, length in units.
    Utf16(*const u16, usize),
}

impl Text {
    /// Reads the argument `name` as UTF-8 text of at most `max` bytes (after conversion for
    /// UTF-16; a UTF-16 argument of more than `max` units is refused before it is read, since
    /// every unit makes at least one UTF-8 byte).
    ///
    /// # Safety
    /// The pointer must be NULL or readable for its length (bytes or units) during the call.
    unsafe fn read<'a>(self, name: &str, max: usize) -> Result<Cow<'a, str>, Failure> {
        match self {
            Text::Utf8(ptr, len) => {
                if ptr.is_null() {
                    return Err(null(name));
                }
                if len > max {
                    return Err(too_large(name, &format!("{len} bytes"), max));
                }
                // SAFETY: the caller guarantees ptr..ptr+len is readable.
                let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
                std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
                    Failure::new(
                        GcsyncResult::InvalidUtf8,
                        format!(
                            "{name} is not valid UTF-8 (first bad byte at offset {})",
                            e.valid_up_to()
                        ),
                    )
                })
            }
            Text::Utf16(ptr, units) => {
                if ptr.is_null() {
                    return Err(null(name));
                }
                if units > max {
                    return Err(too_large(
                        name,
                        &format!("{units} UTF-16 units (at least as many UTF-8 bytes)"),
                        max,
                    ));
                }
                // Unaligned reads: a host may hand over units at an odd address.
                // SAFETY: the caller guarantees `units` readable code units at ptr.
                let iter = (0..units).map(|i| unsafe { ptr.add(i).read_unaligned() });
                let text = utf16_to_string(iter, name)?;
                if text.len() > max {
                    return Err(too_large(
                        name,
                        &format!("{} bytes as UTF-8 ({units} UTF-16 units)", text.len()),
                        max,
                    ));
                }
                Ok(Cow::Owned(text))
            }
        }
    }

    /// Whether the argument is NULL with length 0 (an optional argument left out).
    pub(super) fn is_empty_null(&self) -> bool {
        match *self {
            Text::Utf8(ptr, len) => ptr.is_null() && len == 0,
            Text::Utf16(ptr, units) => ptr.is_null() && units == 0,
        }
    }

    /// Reads an optional id argument (a cursor): `None` when NULL with length 0, else as
    /// [`Text::id`].
    ///
    /// # Safety
    /// As for [`Text::read`].
    pub(super) unsafe fn opt_id<'a>(self, name: &str) -> Result<Option<Cow<'a, str>>, Failure> {
        if self.is_empty_null() {
            return Ok(None);
        }
        // SAFETY: forwarded caller guarantee.
        unsafe { self.id(name) }.map(Some)
    }

    /// Reads an optional text argument under the `max_payload_bytes` setting (NULL with length
    /// 0: `None`); the caller checks its form.
    ///
    /// # Safety
    /// As for [`Text::read`].
    pub(super) unsafe fn opt_payload<'a>(
        self,
        name: &str,
    ) -> Result<Option<Cow<'a, str>>, Failure> {
        if self.is_empty_null() {
            return Ok(None);
        }
        // SAFETY: forwarded caller guarantee.
        unsafe { self.payload(name) }.map(Some)
    }

    /// Reads a JSON payload argument under the `max_payload_bytes` setting.
    ///
    /// # Safety
    /// As for [`Text::read`].
    pub(super) unsafe fn payload<'a>(self, name: &str) -> Result<Cow<'a, str>, Failure> {
        let max = runtime::max_payload()?;
        // SAFETY: forwarded caller guarantee.
        unsafe { self.read(name, max) }
    }

    /// Reads an object id argument: under the payload limit (so that an over-long id is an
    /// `INVALID_FIELD` like anywhere else, not a size error), then checked by the one id rule
    /// ([`check_id_field`]).
    ///
    /// # Safety
    /// As for [`Text::read`].
    pub(super) unsafe fn id<'a>(self, name: &str) -> Result<Cow<'a, str>, Failure> {
        // SAFETY: forwarded caller guarantee.
        let id = unsafe { self.payload(name) }?;
        check_id_field(name, &id)?;
        Ok(id)
    }
}

/// Decodes UTF-16 code units; an unpaired surrogate is `GCSYNC_RESULT_INVALID_UTF16` naming its
/// code-unit offset.
fn utf16_to_string(
    units: impl ExactSizeIterator<Item = u16>,
    name: &str,
) -> Result<String, Failure> {
    let mut out = String::with_capacity(units.len());
    let mut offset = 0usize;
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(c) => {
                offset += c.len_utf16();
                out.push(c);
            }
            Err(e) => {
                return Err(Failure::new(
                    GcsyncResult::InvalidUtf16,
                    format!(
                        "{name} is not valid UTF-16: unpaired surrogate 0x{:04X} at code \
                         unit {offset}",
                        e.unpaired_surrogate()
                    ),
                ))
            }
        }
    }
    Ok(out)
}

/// Copies `text` into a caller buffer snprintf-style; returns the full length.
///
/// # Safety
/// `buf` must be NULL (only with `buf_len == 0`) or writable for `buf_len` bytes.
pub(super) unsafe fn copy_out(text: &str, buf: *mut c_char, buf_len: usize) -> usize {
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

/// Writes query output per the conventions (snprintf-style, see `ffi`).
///
/// # Safety
/// As for [`copy_out`]; `out_len` must be NULL or writable.
pub(super) unsafe fn write_json(
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

/// How a paged query reads its cursor `after_id`.
#[derive(Clone, Copy)]
pub(super) enum Cursor {
    /// An object id, under the one id rule ([`Text::opt_id`]).
    Id,
    /// A text of the query's own form, checked by the query ([`Text::opt_payload`]).
    Text,
}

/// The output of a paged query: reads the optional cursor `after_id` (NULL with length 0: the
/// first page), asks `page` for the page after it and writes that per the conventions
/// ([`write_json`]: snprintf-style, NUL-terminated, `GCSYNC_RESULT_BUFFER_TOO_SMALL`).
///
/// # Safety
/// As for [`Text::read`] and [`write_json`].
pub(super) unsafe fn write_page(
    after_id: Text,
    cursor: Cursor,
    page: impl FnOnce(Option<&str>) -> Result<String, Failure>,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<(), Failure> {
    // SAFETY: forwarded caller guarantee.
    let after = unsafe {
        match cursor {
            Cursor::Id => after_id.opt_id("after_id"),
            Cursor::Text => after_id.opt_payload("after_id"),
        }
    }?;
    let text = page(after.as_deref())?;
    // SAFETY: forwarded caller guarantee.
    unsafe { write_json(&text, buf, buf_len, out_len) }
}

pub(super) fn kind_arg(kind: u32) -> Result<GcsyncObjectKind, Failure> {
    GcsyncObjectKind::from_u32(kind).ok_or_else(|| {
        Failure::new(
            GcsyncResult::UnknownObjectKind,
            format!("object kind {kind} is unknown"),
        )
    })
}

pub(super) fn timeout(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn utf16_converts_and_names_the_offset_of_an_unpaired_surrogate() {
        let ok = utf16("Nguyễn Thị Thu 😀");
        assert_eq!(
            utf16_to_string(ok.iter().copied(), "x").unwrap(),
            "Nguyễn Thị Thu 😀"
        );
        for (units, offset, unit) in [
            (vec![0x61, 0xD800, 0x62], 1, "0xD800"),
            (vec![0x61, 0x62, 0xDC00], 2, "0xDC00"),
            (vec![0xD83D, 0xDE00, 0xD83D], 2, "0xD83D"), // a pair, then a lone high half
        ] {
            let f = utf16_to_string(units.iter().copied(), "user_json").unwrap_err();
            assert_eq!(f.code, GcsyncResult::InvalidUtf16);
            assert!(
                f.message.contains(&format!("{unit} at code unit {offset}")),
                "{}",
                f.message
            );
            assert!(f.message.starts_with("user_json"), "{}", f.message);
        }
    }

    #[test]
    fn the_utf16_limit_counts_utf8_bytes() {
        // 3 units of U+1EC5 are 9 UTF-8 bytes.
        let units = utf16("ễễễ");
        let text = Text::Utf16(units.as_ptr(), units.len());
        // SAFETY: units is readable for its length.
        assert_eq!(unsafe { text.read("x", 9) }.unwrap(), "ễễễ");
        // SAFETY: as above.
        let f = unsafe { text.read("x", 8) }.unwrap_err();
        assert_eq!(f.code, GcsyncResult::PayloadTooLarge);
        assert!(f.message.contains("9 bytes as UTF-8"), "{}", f.message);
        // SAFETY: more units than the limit are refused before anything is read.
        let f = unsafe { Text::Utf16(units.as_ptr(), 1 << 40).read("x", 8) }.unwrap_err();
        assert_eq!(f.code, GcsyncResult::PayloadTooLarge);
        // An odd address is read without an aligned load.
        let bytes: Vec<u8> = std::iter::once(0)
            .chain(units.iter().flat_map(|u| u.to_ne_bytes()))
            .collect();
        // SAFETY: bytes[1..] holds the 3 units.
        let odd = Text::Utf16(unsafe { bytes.as_ptr().add(1) }.cast(), 3);
        // SAFETY: as above.
        assert_eq!(unsafe { odd.read("x", 9) }.unwrap(), "ễễễ");
    }
}
