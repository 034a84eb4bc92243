//! Every export that takes a string, in both encodings, and how a case calls it.

use gcsync::ffi::*;
use gcsync::result::GcsyncResult;
use std::ptr::null;

/// Every export that takes a string, in both encodings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Entry {
    UserChanged,
    UserDeleted,
    ObjectChanged,
    ObjectDeleted,
    ForceSync,
    ObjectStatus,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Enc {
    Utf8,
    Utf16,
}

pub(crate) const ENTRIES: [Entry; 6] = [
    Entry::UserChanged,
    Entry::UserDeleted,
    Entry::ObjectChanged,
    Entry::ObjectDeleted,
    Entry::ForceSync,
    Entry::ObjectStatus,
];

impl Entry {
    /// The name the message gives the id field or argument.
    pub(crate) fn id_field(self) -> &'static str {
        match self {
            Entry::UserChanged | Entry::ObjectChanged => "id",
            Entry::ForceSync => "users[0].id",
            Entry::UserDeleted => "user_id",
            Entry::ObjectDeleted => "object_id",
            Entry::ObjectStatus => "object_id",
        }
    }

    /// The argument carrying one user with these fields (the id alone for the id entries).
    pub(crate) fn with_user(self, user: serde_json::Value) -> String {
        match self {
            Entry::UserChanged | Entry::ObjectChanged => user.to_string(),
            Entry::ForceSync => serde_json::json!({ "users": [user] }).to_string(),
            _ => user["id"].as_str().unwrap().to_string(),
        }
    }

    pub(crate) fn with_id(self, id: &str) -> String {
        self.with_user(serde_json::json!({ "id": id }))
    }

    /// Calls the export; `units` replaces the text for the UTF-16 form, `null` passes NULL.
    pub(crate) fn call(self, enc: Enc, arg: &Arg) -> GcsyncResult {
        let (bytes, units): (Vec<u8>, Vec<u16>) = match arg {
            Arg::Text(t) => (t.as_bytes().to_vec(), t.encode_utf16().collect()),
            Arg::Bytes(b) => (b.clone(), Vec::new()),
            Arg::Units(u) => (Vec::new(), u.clone()),
            Arg::Null => (Vec::new(), Vec::new()),
        };
        let null_arg = matches!(arg, Arg::Null);
        let p8 = if null_arg {
            null()
        } else {
            bytes.as_ptr().cast()
        };
        let p16 = if null_arg { null() } else { units.as_ptr() };
        let (n8, n16) = if null_arg {
            (5, 5)
        } else {
            (bytes.len(), units.len())
        };
        let mut buf = vec![0u8; 4096];
        let mut out = 0usize;
        let (b, l) = (buf.as_mut_ptr().cast(), buf.len());
        unsafe {
            match (self, enc) {
                (Entry::UserChanged, Enc::Utf8) => gcsync_on_user_changed(p8, n8),
                (Entry::UserChanged, Enc::Utf16) => gcsync_on_user_changed_utf16(p16, n16),
                (Entry::UserDeleted, Enc::Utf8) => gcsync_on_user_deleted(p8, n8),
                (Entry::UserDeleted, Enc::Utf16) => gcsync_on_user_deleted_utf16(p16, n16),
                (Entry::ObjectChanged, Enc::Utf8) => gcsync_on_object_changed(1, p8, n8),
                (Entry::ObjectChanged, Enc::Utf16) => gcsync_on_object_changed_utf16(1, p16, n16),
                (Entry::ObjectDeleted, Enc::Utf8) => gcsync_on_object_deleted(1, p8, n8),
                (Entry::ObjectDeleted, Enc::Utf16) => gcsync_on_object_deleted_utf16(1, p16, n16),
                (Entry::ForceSync, Enc::Utf8) => gcsync_on_force_sync(p8, n8),
                (Entry::ForceSync, Enc::Utf16) => gcsync_on_force_sync_utf16(p16, n16),
                (Entry::ObjectStatus, Enc::Utf8) => gcsync_object_status(1, p8, n8, b, l, &mut out),
                (Entry::ObjectStatus, Enc::Utf16) => {
                    gcsync_object_status_utf16(1, p16, n16, b, l, &mut out)
                }
            }
        }
    }
}

pub(crate) enum Arg {
    Null,
    Text(String),
    /// Raw bytes for the UTF-8 form only.
    Bytes(Vec<u8>),
    /// Raw code units for the UTF-16 form only.
    Units(Vec<u16>),
}
