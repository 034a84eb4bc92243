//! The checks every string from the host passes: ids (not blank, at most
//! [`GCSYNC_MAX_ID_LEN`] bytes) and text (no control characters), each failure naming the field,
//! and the walk over a parsed user that applies them. Nothing is allocated unless a check fails.

use super::{skills, CicUser, GCSYNC_MAX_ID_LEN};
use crate::result::{Failure, GcsyncResult};
use std::fmt;

/// The name of a checked field as a message shows it: a prefix (`"users[3]."` in a snapshot,
/// else empty) and the field name. Formatted only when a message is written, so a value that
/// passes its checks costs no allocation.
#[derive(Clone, Copy)]
struct FieldName<'a, P: fmt::Display> {
    prefix: P,
    name: &'a str,
}

impl<P: fmt::Display> fmt::Display for FieldName<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix, self.name)
    }
}

/// The first control character of `value` (Unicode category Cc) and its byte offset.
fn first_control(value: &str) -> Option<(usize, char)> {
    // ASCII bytes are checked without decoding; only a non-ASCII byte (a possible U+0080-U+009F)
    // needs the characters.
    let bytes = value.as_bytes();
    let ascii_end = bytes
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(bytes.len());
    if let Some(at) = bytes[..ascii_end].iter().position(|b| b.is_ascii_control()) {
        return Some((at, char::from(bytes[at])));
    }
    value[ascii_end..]
        .char_indices()
        .find(|(_, c)| c.is_control())
        .map(|(at, c)| (ascii_end + at, c))
}

/// [`check_text`] with the field name given as anything displayable.
fn check_text_named(field: impl fmt::Display, value: &str) -> Result<(), Failure> {
    match first_control(value) {
        None => Ok(()),
        Some((at, c)) => Err(Failure::new(
            GcsyncResult::InvalidField,
            format!(
                "{field} must not contain control characters (U+0000-U+001F, U+007F-U+009F); \
                 found U+{:04X} at byte {at}",
                u32::from(c)
            ),
        )),
    }
}

/// Refuses control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) in the
/// string field `field`, naming the field, the character and its byte offset.
pub fn check_text(field: &str, value: &str) -> Result<(), Failure> {
    check_text_named(field, value)
}

/// [`check_id_field`] with the field name given as anything displayable.
fn check_id_named(field: impl fmt::Display, id: &str) -> Result<(), Failure> {
    if id.trim().is_empty() {
        return Err(Failure::new(
            GcsyncResult::MissingField,
            format!("{field} must not be empty"),
        ));
    }
    if id.len() > GCSYNC_MAX_ID_LEN {
        return Err(Failure::new(
            GcsyncResult::InvalidField,
            format!(
                "{field} is {} bytes; at most {GCSYNC_MAX_ID_LEN} are allowed",
                id.len()
            ),
        ));
    }
    check_text_named(field, id)
}

/// Validates an object id from the host, `field` naming it in the message: not empty or blank
/// (`MISSING_FIELD`), at most [`GCSYNC_MAX_ID_LEN`] bytes and no control characters
/// (`INVALID_FIELD`).
pub fn check_id_field(field: &str, id: &str) -> Result<(), Failure> {
    check_id_named(field, id)
}

/// Validates the `id` of an object from the host (see [`check_id_field`]).
pub fn check_id(id: &str) -> Result<(), Failure> {
    check_id_field("id", id)
}

/// Checks every string field of a parsed user; `prefix` goes before each field name in a
/// message (`"users[3]."` in a snapshot). Allocates nothing unless a check fails.
pub(super) fn check_user(prefix: impl fmt::Display + Copy, user: &CicUser) -> Result<(), Failure> {
    check_id_named(FieldName { prefix, name: "id" }, &user.id)?;
    for (name, value) in user.optional_fields() {
        if let Some(v) = value {
            check_text_named(FieldName { prefix, name }, v)?;
        }
    }
    for (i, s) in user.skills.iter().enumerate() {
        check_id_named(skills::SkillField { prefix, index: i }, &s.id)?;
    }
    Ok(())
}

/// The prefix of the fields of the user at index `.0` in a snapshot: `users[3].`.
#[derive(Clone, Copy)]
pub(super) struct SnapshotIndex(pub(super) usize);

impl fmt::Display for SnapshotIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "users[{}].", self.0)
    }
}
