//! The readers every setting goes through: text (trimmed, empty is unset), required text,
//! words from a fixed set ([`enum_word`]), booleans, bounded whole numbers and milliseconds, and
//! the one message shape for a value that is refused.

use super::Lookup;
use crate::result::{Failure, GcsyncResult};
use std::time::Duration;

pub(crate) fn invalid(key: &str, value: &str, want: &str) -> Failure {
    Failure::new(
        GcsyncResult::InvalidSetting,
        format!("setting {key}={value:?} is invalid: expected {want}"),
    )
}

pub(crate) fn text(get: Lookup, key: &str) -> Option<String> {
    get(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub(super) fn required(get: Lookup, key: &str, what: &str) -> Result<String, Failure> {
    text(get, key).ok_or_else(|| {
        Failure::new(
            GcsyncResult::MissingSetting,
            format!("setting {key} is required: {what}"),
        )
    })
}

/// The one rule for every setting that takes one of a fixed set of words (booleans, region,
/// removal policy, log level): surrounding blanks are ignored, case does not matter and `-` is
/// the same as `_`. So `Delete`, `DEBUG`, `True` and `US-East-1` are all accepted.
pub fn enum_word(value: &str) -> String {
    value.trim().replace('-', "_").to_ascii_lowercase()
}

/// Reads an enumerated setting by [`enum_word`]: `None` when unset, the matching value, or an
/// error listing the accepted words (`want`).
pub(crate) fn choice<T: Copy>(
    get: Lookup,
    key: &str,
    options: &[(&str, T)],
    want: &str,
) -> Result<Option<T>, Failure> {
    let Some(v) = text(get, key) else {
        return Ok(None);
    };
    let word = enum_word(&v);
    options
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, t)| Some(*t))
        .ok_or_else(|| invalid(key, &v, want))
}

pub(crate) fn boolean(get: Lookup, key: &str, default: bool) -> Result<bool, Failure> {
    const WORDS: [(&str, bool); 8] = [
        ("true", true),
        ("yes", true),
        ("on", true),
        ("1", true),
        ("false", false),
        ("no", false),
        ("off", false),
        ("0", false),
    ];
    Ok(choice(get, key, &WORDS, "true or false (also yes/no, on/off, 1/0)")?.unwrap_or(default))
}

pub(crate) fn number(
    get: Lookup,
    key: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, Failure> {
    match text(get, key) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(invalid(
                key,
                &v,
                &format!("a whole number from {min} to {max}"),
            )),
        },
    }
}

pub(super) fn millis(
    get: Lookup,
    key: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration, Failure> {
    number(get, key, default, min, max).map(Duration::from_millis)
}
