//! Bridges the `log` crate to the host's log callback. gcsync never writes to stdout or stderr.
//!
//! The logger is installed once per process (the `log` crate allows one); each `gcsync_init`
//! connects it to the new host and `gcsync_shutdown` disconnects it, waiting for calls in
//! progress, so no log call reaches the host after shutdown returns. The client secret is scrubbed
//! from every line as a last line of defence.

use crate::host::{GcsyncLogLevel, Host};
use std::ffi::CString;
use std::sync::{Once, RwLock};

struct Sink {
    host: Host,
    redact: Vec<String>,
}

struct Bridge {
    sink: RwLock<Option<Sink>>,
}

static BRIDGE: Bridge = Bridge {
    sink: RwLock::new(None),
};
static INSTALL: Once = Once::new();

fn level(l: log::Level) -> GcsyncLogLevel {
    match l {
        log::Level::Error => GcsyncLogLevel::Error,
        log::Level::Warn => GcsyncLogLevel::Warn,
        log::Level::Info => GcsyncLogLevel::Info,
        log::Level::Debug => GcsyncLogLevel::Debug,
        log::Level::Trace => GcsyncLogLevel::Trace,
    }
}

/// Replaces every secret in `line` with `[redacted]`.
pub fn scrub(line: &str, secrets: &[String]) -> String {
    let mut out = line.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        // A line holds none, nearly always: looked for before a copy is made.
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out
}

impl log::Log for Bridge {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        // Dependencies (ureq, rustls) dump raw requests at trace level, Authorization headers
        // included: only gcsync's own records may be more detailed than debug.
        meta.level() <= log::Level::Debug || meta.target().starts_with("gcsync")
    }

    fn log(&self, record: &log::Record) {
        // A line from a gcsync function the host's log callback called would re-enter the
        // callback (and take the sink lock twice): such lines are dropped.
        if !self.enabled(record.metadata()) || crate::host::current_callback() == Some("log") {
            return;
        }
        let Ok(guard) = self.sink.read() else { return };
        let Some(sink) = guard.as_ref() else { return };
        if sink.host.0.log.is_none() {
            return;
        }
        let mut line = scrub(
            &format!("{}: {}", record.target(), record.args()),
            &sink.redact,
        );
        if line.contains('\0') {
            line = line.replace('\0', " ");
        }
        let c = CString::new(line).unwrap_or_default();
        sink.host.log(level(record.level()), &c);
    }

    fn flush(&self) {}
}

/// Connects logging to a host at `max` level, scrubbing `redact` from every line.
pub fn connect(host: Host, max: log::LevelFilter, redact: Vec<String>) {
    INSTALL.call_once(|| {
        if log::set_logger(&BRIDGE).is_err() {
            // Another logger owns the process (a Rust host); gcsync's lines go there instead.
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let connected = BRIDGE.sink.read().map(|g| g.is_some()).unwrap_or(false);
            if connected {
                log::error!(target: "gcsync::panic", "caught panic: {info}");
            } else {
                previous(info);
            }
        }));
    });
    log::set_max_level(max);
    if let Ok(mut g) = BRIDGE.sink.write() {
        *g = Some(Sink { host, redact });
    }
}

/// Changes the level and the scrub list (after a settings change).
pub fn update(max: log::LevelFilter, redact: Vec<String>) {
    log::set_max_level(max);
    if let Ok(mut g) = BRIDGE.sink.write() {
        if let Some(s) = g.as_mut() {
            s.redact = redact;
        }
    }
}

/// Disconnects the host; returns once no log call is in progress.
pub fn disconnect() {
    if let Ok(mut g) = BRIDGE.sink.write() {
        *g = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_trace_records_are_dropped() {
        use log::Log;
        let meta = |level, target| log::Metadata::builder().level(level).target(target).build();
        assert!(!BRIDGE.enabled(&meta(log::Level::Trace, "ureq_proto::util")));
        assert!(BRIDGE.enabled(&meta(log::Level::Debug, "ureq::unversioned")));
        assert!(BRIDGE.enabled(&meta(log::Level::Trace, "gcsync::worker")));
    }

    #[test]
    fn scrub_removes_every_occurrence() {
        let s = scrub("a=s3cret b=s3cret", &["s3cret".into()]);
        assert_eq!(s, "a=[redacted] b=[redacted]");
    }
}
