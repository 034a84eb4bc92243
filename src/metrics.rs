//! Counters shared by the worker, the Genesys client and the overview query.

use crate::clock::{format_utc, unix_now};
use crate::object::ObjectKey;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// The most recent error: when, about which object (none for errors of gcsync itself, such as
/// a disk that cannot be written), and the admin-facing text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// Unix seconds.
    pub at: u64,
    /// The object it concerns, if any.
    pub object: Option<ObjectKey>,
    /// What went wrong (never a secret).
    pub message: String,
}

/// Process-wide counters for one plugin instance. Cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP requests sent to Genesys Cloud (token requests included).
    pub api_calls: AtomicU64,
    /// Requests repeated after a 429, 5xx, transport error, 401 refresh or 409 conflict.
    pub retries: AtomicU64,
    /// 429 responses received.
    pub rate_limited: AtomicU64,
    /// Access tokens obtained.
    pub tokens_issued: AtomicU64,
    /// Work items the worker finished (success or error).
    pub processed: AtomicU64,
    /// Whether the worker thread is running its loop.
    pub worker_alive: AtomicBool,
    /// Panics the worker caught and survived.
    pub worker_panics: AtomicU64,
    /// API usage per endpoint, month and hour, and the calls of the current item.
    pub usage: crate::usage::Usage,
    /// The most recent error, with its JSON as the overview shows it (written once, when it is
    /// recorded, so an overview only copies a reference under the lock). Read shared: the
    /// overviews of several host threads never wait for each other.
    last_error: RwLock<Option<(LastError, std::sync::Arc<str>)>>,
    /// The mapping warnings last logged per object (only objects that have some).
    warned: Mutex<std::collections::HashMap<ObjectKey, Vec<String>>>,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the most recent error (the text must not contain secrets), about `object` or
    /// about gcsync itself (`None`).
    pub fn set_last_error(&self, object: Option<&ObjectKey>, text: impl Into<String>) {
        let e = LastError {
            at: unix_now(),
            object: object.cloned(),
            message: text.into(),
        };
        let json = error_json(&e);
        // What it replaces is freed after the lock is let go.
        let _old = match self.last_error.write() {
            Ok(mut g) => g.replace((e, json)),
            Err(_) => None,
        };
    }

    /// Clears the last error if it concerns `object` (which has just synced).
    pub fn clear_last_error_of(&self, object: &ObjectKey) {
        let concerns = |g: &Option<(LastError, std::sync::Arc<str>)>| {
            g.as_ref()
                .is_some_and(|(e, _)| e.object.as_ref() == Some(object))
        };
        // Looked at shared first: most objects that sync had no error.
        if !self.last_error.read().is_ok_and(|g| concerns(&g)) {
            return;
        }
        if let Ok(mut g) = self.last_error.write() {
            if concerns(&g) {
                *g = None;
            }
        }
    }

    /// Clears the last error if it is an error of gcsync itself with this text (the condition,
    /// e.g. a disk write failure, has gone away).
    pub fn clear_last_error_text(&self, text: &str) {
        if let Ok(mut g) = self.last_error.write() {
            if g.as_ref()
                .is_some_and(|(e, _)| e.object.is_none() && e.message == text)
            {
                *g = None;
            }
        }
    }

    /// Of an object's mapping warnings (values left out), the ones not logged for it yet: each
    /// is logged once per object and text, again only after it went away and came back.
    pub fn new_warnings(&self, object: &ObjectKey, warnings: &[String]) -> Vec<String> {
        let Ok(mut g) = self.warned.lock() else {
            return warnings.to_vec();
        };
        if warnings.is_empty() {
            g.remove(object);
            return Vec::new();
        }
        let before = g
            .insert(object.clone(), warnings.to_vec())
            .unwrap_or_default();
        warnings
            .iter()
            .filter(|w| !before.contains(w))
            .cloned()
            .collect()
    }

    /// The most recent error, if any.
    pub fn last_error(&self) -> Option<LastError> {
        self.last_error
            .read()
            .ok()
            .and_then(|g| g.as_ref().map(|(e, _)| e.clone()))
    }

    /// The most recent error as the overview shows it: `{"at","kind","id","message"}` or null.
    pub fn last_error_json(&self) -> Value {
        match self.last_error() {
            None => Value::Null,
            Some(e) => json!({
                "at": format_utc(e.at),
                "kind": e.object.as_ref().map(|k| k.kind.name()),
                "id": e.object.as_ref().map(|k| k.id.as_str()),
                "message": e.message,
            }),
        }
    }

    /// Writes the most recent error as [`Metrics::last_error_json`] shows it, under its lock
    /// (its JSON was written when it was recorded: under the lock only a reference is taken).
    pub fn write_last_error(&self, out: &mut crate::json_out::JsonOut) {
        let json = self
            .last_error
            .read()
            .ok()
            .and_then(|g| g.as_ref().map(|(_, j)| j.clone()));
        match json {
            None => out.raw("null"),
            Some(j) => out.raw(&j),
        }
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// `{"at","id","kind","message"}` of an error, as the overview shows it.
fn error_json(e: &LastError) -> std::sync::Arc<str> {
    let mut out = crate::json_out::JsonOut::with_capacity(96 + e.message.len());
    out.raw("{\"at\":");
    out.opt_utc(Some(e.at));
    out.raw(",\"id\":");
    out.opt_str(e.object.as_ref().map(|k| k.id.as_str()));
    out.raw(",\"kind\":");
    out.opt_str(e.object.as_ref().map(|k| k.kind.name()));
    out.raw(",\"message\":");
    out.str(&e.message);
    out.raw("}");
    out.into_string().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_error_clears_when_its_object_syncs() {
        let m = Metrics::default();
        let a = ObjectKey::user("a");
        m.set_last_error(Some(&a), "business email required");
        let written = |m: &Metrics| {
            let mut o = crate::json_out::JsonOut::default();
            m.write_last_error(&mut o);
            o.into_string()
        };
        assert_eq!(written(&m), m.last_error_json().to_string());
        m.set_last_error(None, "disk \"full\"\n");
        assert_eq!(written(&m), m.last_error_json().to_string());
        assert_eq!(written(&Metrics::default()), "null");
        m.set_last_error(Some(&a), "business email required");
        let v = m.last_error_json();
        assert_eq!(v["kind"], "user");
        assert_eq!(v["id"], "a");
        assert_eq!(v["message"], "business email required");
        assert!(v["at"].as_str().unwrap().ends_with('Z'));
        m.clear_last_error_of(&ObjectKey::user("b"));
        assert!(m.last_error().is_some(), "another object syncing leaves it");
        m.clear_last_error_of(&a);
        assert_eq!(m.last_error_json(), Value::Null);
        m.set_last_error(None, "disk full");
        m.clear_last_error_of(&a);
        assert!(m.last_error().is_some());
        m.clear_last_error_text("disk full");
        assert!(m.last_error().is_none());
    }

    #[test]
    fn mapping_warnings_are_new_once_per_object_and_text() {
        let m = Metrics::default();
        let (a, b) = (ObjectKey::user("a"), ObjectKey::user("b"));
        let w = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(m.new_warnings(&a, &w(&["x"])), w(&["x"]));
        assert_eq!(m.new_warnings(&a, &w(&["x"])), w(&[]));
        assert_eq!(m.new_warnings(&b, &w(&["x"])), w(&["x"]));
        assert_eq!(m.new_warnings(&a, &w(&["x", "y"])), w(&["y"]));
        assert_eq!(m.new_warnings(&a, &w(&[])), w(&[]));
        assert_eq!(m.new_warnings(&a, &w(&["x"])), w(&["x"]), "came back");
    }
}
