//! The result codes every exported function returns.
//!
//! Codes start at a distinctive base (8000) so they are never mistaken for errno values. Each area
//! owns a range of one hundred; retired numbers are never reused. [`GcsyncResult::from_u32`] maps
//! an unknown number to [`GcsyncResult::Unknown`].

/// Result of every `gcsync_*` call (except `gcsync_result_message` and
/// `gcsync_last_error_message`, which return a length, and `gcsync_abi_version`).
/// `GCSYNC_RESULT_OK` (8000) is success; anything else is an error whose
/// text `gcsync_result_message` gives, and whose detail for the calling thread
/// `gcsync_last_error_message` gives.
///
/// Ranges: 8000-8099 general and lifecycle, 8100-8199 payloads, 8200-8299 settings,
/// 8300-8399 queries and intake.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GcsyncResult {
    /// Success.
    Ok = 8000,
    /// A Rust panic was caught at the boundary; the call had no effect that can be relied on.
    Panic = 8001,
    /// A required pointer argument was NULL.
    NullParameter = 8002,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 8003,
    /// The call came before `gcsync_init`.
    NotInitialized = 8004,
    /// `gcsync_init` was called while the plugin was already running.
    AlreadyInitialized = 8005,
    /// The call came after `gcsync_shutdown` (or while it ran).
    ShutDown = 8006,
    /// The host interface declares an ABI version this library does not speak, or a
    /// `gcsync_host.struct_size` smaller than the version-2 struct.
    AbiVersionMismatch = 8007,
    /// Shutdown's timeout ran out before the queue drained; what was left is persisted in the data
    /// directory and resumes at the next start.
    ShutdownTimedOut = 8008,
    /// A wait (e.g. `gcsync_wait_idle`) ran out of time.
    Timeout = 8009,
    /// The data directory could not be created, read or written.
    StorageError = 8010,
    /// An internal error (a thread could not start, a lock was poisoned).
    InternalError = 8011,
    /// The database in the data directory is damaged; gcsync refuses to start afresh (that could
    /// duplicate users). The message names the file and what to do.
    StorageCorrupt = 8012,
    /// The data directory is in use by another gcsync, or its database is locked by another
    /// process.
    StorageLocked = 8013,
    /// The call came from inside a gcsync callback (`get_setting`, `log`, `status_changed`), where
    /// only the query functions, `gcsync_result_message`, `gcsync_last_error_message` and
    /// `gcsync_abi_version` may be called. Nothing was done; call it after the callback returns.
    CalledFromCallback = 8014,
    /// A numeric argument is outside its documented range (e.g. `max_items` of
    /// `gcsync_list_status_page`); the message names it and the range.
    InvalidArgument = 8015,
    /// A numeric code unknown to this version of the library.
    Unknown = 8099,
    /// The payload is not well-formed JSON.
    MalformedJson = 8100,
    /// The payload has a field this version does not know.
    UnknownField = 8101,
    /// The payload lacks a required field.
    MissingField = 8102,
    /// A field has the wrong type or an invalid value.
    InvalidField = 8103,
    /// The payload is larger than the `max_payload_bytes` setting.
    PayloadTooLarge = 8104,
    /// A UTF-16 string argument holds an unpaired surrogate (the message gives its code-unit
    /// offset).
    InvalidUtf16 = 8105,
    /// A setting has an invalid value.
    InvalidSetting = 8200,
    /// A required setting is missing.
    MissingSetting = 8201,
    /// Two settings contradict each other (e.g. advanced objects without users).
    ConflictingSettings = 8202,
    /// The object kind passed to a query is not one this library knows.
    UnknownObjectKind = 8300,
    /// The output buffer is too small; the needed length was written to `out_len`.
    BufferTooSmall = 8301,
    /// The pending queue holds `max_pending_objects` distinct objects already; the change was not
    /// accepted (the hook never blocks instead). Changes a hook handed over that the queue has
    /// not taken in yet (a few ms' worth) count as objects, so the limit may refuse slightly
    /// early, never late.
    QueueFull = 8302,
}

impl GcsyncResult {
    /// All codes, for tables and tests.
    pub(crate) const ALL: [GcsyncResult; 29] = [
        Self::Ok,
        Self::Panic,
        Self::NullParameter,
        Self::InvalidUtf8,
        Self::NotInitialized,
        Self::AlreadyInitialized,
        Self::ShutDown,
        Self::AbiVersionMismatch,
        Self::ShutdownTimedOut,
        Self::Timeout,
        Self::StorageError,
        Self::InternalError,
        Self::StorageCorrupt,
        Self::StorageLocked,
        Self::CalledFromCallback,
        Self::InvalidArgument,
        Self::Unknown,
        Self::MalformedJson,
        Self::UnknownField,
        Self::MissingField,
        Self::InvalidField,
        Self::PayloadTooLarge,
        Self::InvalidUtf16,
        Self::InvalidSetting,
        Self::MissingSetting,
        Self::ConflictingSettings,
        Self::UnknownObjectKind,
        Self::BufferTooSmall,
        Self::QueueFull,
    ];

    /// Maps a number back to a code; unknown numbers become [`GcsyncResult::Unknown`].
    pub fn from_u32(v: u32) -> GcsyncResult {
        Self::ALL
            .iter()
            .copied()
            .find(|r| *r as u32 == v)
            .unwrap_or(GcsyncResult::Unknown)
    }

    /// The fixed, generic text of a code.
    pub fn message(self) -> &'static str {
        match self {
            Self::Ok => "success",
            Self::Panic => "internal panic caught at the library boundary",
            Self::NullParameter => "a required pointer argument was NULL",
            Self::InvalidUtf8 => "a string argument was not valid UTF-8",
            Self::NotInitialized => "gcsync_init has not been called",
            Self::AlreadyInitialized => "gcsync is already initialized",
            Self::ShutDown => "gcsync has been shut down",
            Self::AbiVersionMismatch => {
                "the host interface (gcsync_host abi_version or struct_size) is not supported"
            }
            Self::ShutdownTimedOut => {
                "shutdown timed out; pending changes were saved and resume at the next start"
            }
            Self::Timeout => "timed out",
            Self::StorageError => "the data directory could not be read or written",
            Self::InternalError => "internal error",
            Self::StorageCorrupt => "the gcsync database is damaged; gcsync will not start afresh",
            Self::StorageLocked => {
                "the data directory or its database is in use by another process"
            }
            Self::CalledFromCallback => {
                "this function may not be called from inside a gcsync callback"
            }
            Self::InvalidArgument => "an argument is outside its documented range",
            Self::Unknown => "unknown result code",
            Self::MalformedJson => "the payload is not well-formed JSON",
            Self::UnknownField => "the payload has an unknown field",
            Self::MissingField => "the payload lacks a required field",
            Self::InvalidField => "a payload field has the wrong type or an invalid value",
            Self::PayloadTooLarge => "the payload exceeds max_payload_bytes",
            Self::InvalidUtf16 => "a string argument was not valid UTF-16 (unpaired surrogate)",
            Self::InvalidSetting => "a setting has an invalid value",
            Self::MissingSetting => "a required setting is missing",
            Self::ConflictingSettings => "settings contradict each other",
            Self::UnknownObjectKind => "unknown object kind",
            Self::BufferTooSmall => "the output buffer is too small",
            Self::QueueFull => "the pending queue is full",
        }
    }
}

/// An error with a code and a specific message for `gcsync_last_error_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The code returned to the host.
    pub code: GcsyncResult,
    /// The specific, admin-actionable text (never contains a secret).
    pub message: String,
}

impl Failure {
    /// A failure with a code and a message.
    pub fn new(code: GcsyncResult, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_maps_to_generic() {
        for r in GcsyncResult::ALL {
            assert_eq!(GcsyncResult::from_u32(r as u32), r);
            assert!(!r.message().is_empty());
        }
        assert_eq!(GcsyncResult::from_u32(0), GcsyncResult::Unknown);
        assert_eq!(GcsyncResult::from_u32(8098), GcsyncResult::Unknown);
        assert_eq!(GcsyncResult::Ok as u32, 8000);
        // Numbers are part of the ABI: pin the ones added later.
        assert_eq!(GcsyncResult::CalledFromCallback as u32, 8014);
        assert_eq!(GcsyncResult::InvalidUtf16 as u32, 8105);
        let mut numbers: Vec<u32> = GcsyncResult::ALL.iter().map(|r| *r as u32).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), GcsyncResult::ALL.len(), "no number twice");
    }
}
