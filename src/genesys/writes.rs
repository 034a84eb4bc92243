//! Which requests write, and how a write attempt ended, for the worker's hold
//! (`queue/hold.rs`): the client asks the hold before sending a write and tells it the answer.

use super::config::Method;
use super::endpoints;
use super::wire::Raw;
use super::ApiError;
use crate::queue::{Answer, WriteKind};
use serde_json::Value;

/// The error of a write the worker's hold gave up (never sent): transient.
pub(super) fn superseded() -> ApiError {
    ApiError::Transport {
        message: "a newer change of the object arrived before this write was sent; the newest \
                  is written instead"
            .into(),
    }
}

/// Whether a request writes, and whether it carries the object's version (a lost attempt that
/// applied is then found out by the next write's conflict).
pub(super) fn write_kind(method: Method, path: &str, body: Option<&Value>) -> WriteKind {
    // The search is the one POST that reads (its route is the literal path: no table look-up).
    if method == Method::Get || (method == Method::Post && path == endpoints::USER_SEARCH) {
        return WriteKind::Read;
    }
    match body {
        Some(Value::Object(m)) if m.contains_key("version") => WriteKind::Guarded,
        _ => WriteKind::Unguarded,
    }
}

/// How an attempt ended, for the worker's hold: 2xx applied; another answer below 500 refused
/// (429 and 4xx are answered before anything is applied); a 5xx or no answer unknown.
pub(super) fn answer_of(answer: &Result<Raw, ureq::Error>) -> Answer {
    match answer {
        Ok(raw) if (200..300).contains(&raw.status) => Answer::Applied,
        Ok(raw) if raw.status < 500 => Answer::Refused,
        _ => Answer::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_searches_and_versioned_writes_are_told_apart() {
        let patch = json!({"name": "x", "version": 3});
        let post = json!({"name": "x"});
        assert_eq!(
            write_kind(Method::Get, "/api/v2/users/a", None),
            WriteKind::Read
        );
        assert_eq!(
            write_kind(Method::Post, "/api/v2/users/search", Some(&post)),
            WriteKind::Read
        );
        assert_eq!(
            write_kind(Method::Patch, "/api/v2/users/a", Some(&patch)),
            WriteKind::Guarded
        );
        assert_eq!(
            write_kind(Method::Post, "/api/v2/users", Some(&post)),
            WriteKind::Unguarded
        );
        assert_eq!(
            write_kind(Method::Delete, "/api/v2/users/a", None),
            WriteKind::Unguarded
        );
    }
}
