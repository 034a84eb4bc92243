//! The child host of the kill -9 tests (`tests/crash*.rs`): the test binary run again with
//! only its `#[ignore]`d test `crash_child` ([`crash_child_entry`]) selected and
//! `GCSYNC_CRASH_CHILD` naming what it does. It initialises gcsync through the exported
//! functions and talks to the parent in stdout lines marked `@@ `; the parent answers on its
//! stdin. A child still running when a test ends (or fails) is killed with it.
#![allow(dead_code)]

#[allow(unused_imports)] // used by crash_stream, not by every binary that includes this
pub use crate::common::rng::Rng;
use crate::common::*;
use gc_emulator::{Emulator, EmulatorConfig};
use gcsync::result::GcsyncResult;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

pub const CHILD_ENV: &str = "GCSYNC_CRASH_CHILD";
/// Longest a child may take to settle after a restart.
pub const SETTLE: Duration = Duration::from_secs(60);

pub fn env_num(key: &str, default: u64) -> u64 {
    match std::env::var(key) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{key}={v:?} is not a number")),
        Err(_) => default,
    }
}

// ---------------------------------------------------------------------------------------------
// The child host.

/// The child host's entry in a crash test binary: the `#[ignore]`d test `crash_child` that
/// the parent runs alone with [`CHILD_ENV`] set, handing its value (the mode) to `$child`
/// (a `fn(&str)` of the binary): `crash_child_entry!(child);`
#[allow(unused_macros)] // binaries that include this without a kill test (switchover)
macro_rules! crash_child_entry {
    ($child:path) => {
        #[test]
        #[ignore = "the child host of the crash tests; they start it with GCSYNC_CRASH_CHILD set"]
        fn crash_child() {
            if let Ok(mode) = std::env::var($crate::crash_support::CHILD_ENV) {
                $child(&mode);
            }
        }
    };
}
#[allow(unused_imports)] // as above
pub(crate) use crash_child_entry;

/// Writes one protocol line to the parent.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "@@ {line}").unwrap();
    out.flush().unwrap();
}

/// Settings as the shared test host sets them, pointed at the parent's emulator (gcsync not
/// started yet).
pub fn child_settings(url: &str, dir: &str) {
    set("api_base_url", url);
    set("login_base_url", url);
    set("client_id", CLIENT_ID);
    set("client_secret", CLIENT_SECRET);
    set("data_dir", dir);
    set("requests_per_minute", "100000");
    set("retry_base_ms", "5");
    set("conflict_backoff_ms", "5");
    set("retry_later_s", "1");
    set("request_timeout_ms", "5000");
    set("log_level", "debug");
}

/// The reason of the last `request_snapshot` the child's host received (0: none yet).
pub static ASKED: AtomicU32 = AtomicU32::new(0);

unsafe extern "C" fn request_snapshot(_: *mut std::ffi::c_void, reason: u32) {
    ASKED.store(reason, Ordering::SeqCst);
}

/// `gcsync_init` (settings already set) with a host that records `request_snapshot` in
/// [`ASKED`].
pub fn init_recording_snapshot_requests() {
    let mut h = host();
    h.request_snapshot = Some(request_snapshot);
    assert_eq!(
        unsafe { gcsync::ffi::gcsync_init(&h) },
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
}

/// [`child_settings`], then `gcsync_init`.
pub fn child_start(url: &str, dir: &str) {
    child_settings(url, dir);
    assert_eq!(init(), GcsyncResult::Ok, "child init: {}", last_error());
}

/// The start of a child that makes a write Genesys applies but answers with an error just
/// before its kill: the settings from the parent, advanced objects on, and `max_retries` 0 (a
/// failed write is not sent again by the client: the worker's next attempt, a second later, is
/// the only retry, and the kill comes before it); then `gcsync_init`.
pub fn child_start_no_retries() {
    child_start_advanced(&[("max_retries", "0")]);
}

/// The settings from the parent, advanced objects on and `extra`; then `gcsync_init`.
pub fn child_start_advanced(extra: &[(&str, &str)]) {
    let url = std::env::var("GCSYNC_CRASH_URL").unwrap();
    let dir = std::env::var("GCSYNC_CRASH_DIR").unwrap();
    child_settings(&url, &dir);
    set("sync_advanced_platform_objects", "true");
    for (k, v) in extra {
        set(k, v);
    }
    assert_eq!(init(), GcsyncResult::Ok, "child init: {}", last_error());
}

/// Waits until everything accepted so far has reached a final state, or `SETTLE` passes.
pub fn settle() -> bool {
    gcsync::ffi::gcsync_wait_settled(SETTLE.as_millis() as u32) == GcsyncResult::Ok
}

pub fn print_log_tail() {
    let logs = logs();
    for line in &logs[logs.len().saturating_sub(40)..] {
        eprintln!("child log: {line}");
    }
}

/// The end of a restarted child: waits until everything settled, reports it (`SETTLED`) and
/// `status()` (`STATUS`), waits for the parent to close its stdin, then checks the log for
/// secrets and shuts down (`EXITED`).
pub fn report_settled_and_exit(status: impl Fn() -> serde_json::Value) {
    say(&format!("SETTLED {}", settle()));
    say(&format!("STATUS {}", status()));
    for _ in std::io::stdin().lock().lines() {}
    print_log_tail();
    assert_no_secrets();
    assert_eq!(gcsync::ffi::gcsync_shutdown(5_000), GcsyncResult::Ok);
    say("EXITED");
}

/// Sleeps until killed.
pub fn wait_for_the_kill() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

// ---------------------------------------------------------------------------------------------
// The parent.

/// A running child host and its protocol lines.
pub struct Host {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub lines: Receiver<String>,
}

impl Host {
    /// Starts the child in `mode` on `dir`; `env` adds variables of the test's own.
    pub fn start(mode: &str, emu: &Emulator, dir: &Path, env: &[(&str, String)]) -> Host {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["crash_child", "--exact", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_ENV, mode)
            .env("GCSYNC_CRASH_URL", emu.base_url())
            .env("GCSYNC_CRASH_DIR", dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if std::env::var("GCSYNC_CRASH_KEEP").is_ok_and(|v| v == "1") {
            cmd.env("GCSYNC_CRASH_CHILD_LOG", dir.join("child.log"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("child host starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest's "test crash_child ... " may precede the first line.
                if let Some(at) = line.find("@@ ") {
                    if tx.send(line[at + 3..].to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        let stdin = child.stdin.take();
        Host {
            child,
            stdin,
            lines,
        }
    }

    /// The next protocol line, or None if the child exits or stays silent for `within`.
    pub fn next(&mut self, within: Duration) -> Option<String> {
        self.lines.recv_timeout(within).ok()
    }

    pub fn expect(&mut self, prefix: &str, within: Duration) -> String {
        let line = self
            .next(within)
            .unwrap_or_else(|| panic!("child host sent no {prefix} line"));
        assert!(line.starts_with(prefix), "expected {prefix}, got {line}");
        line[prefix.len()..].trim().to_string()
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// SIGKILL: no shutdown, no destructors, no buffered output flushed.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "child host exited with {status}");
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emulator in the parent (it survives every restart of the child).
pub fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        rate_limit_per_minute: 1_000_000,
        faults: gc_emulator::Faults {
            search_lag_ms: env_num("GCSYNC_CRASH_SEARCH_LAG_MS", 0),
            ..Default::default()
        },
        ..emulator_config()
    })
    .expect("emulator starts")
}

/// The seed of the kill points: `GCSYNC_CRASH_SEED`, else the clock; printed so a failure
/// replays.
pub fn seed() -> u64 {
    let s = match std::env::var("GCSYNC_CRASH_SEED") {
        Ok(v) => v.parse().expect("GCSYNC_CRASH_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    println!("crash seed: {s} (GCSYNC_CRASH_SEED={s} replays these kill points)");
    s | 1
}

/// The Genesys id of the skill named `name`.
pub fn skill_gid(emu: &gc_emulator::Emulator, name: &str) -> String {
    let all = emu.dump("skills");
    let s = all.as_array().unwrap().iter().find(|s| s["name"] == name);
    s.unwrap_or_else(|| panic!("no skill {name}: {all}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The user's ACD skills in the emulator, id → proficiency.
pub fn skills_of(emu: &gc_emulator::Emulator, gid: &str) -> serde_json::Value {
    let all = emu.dump("assignments");
    let s = &all[gid]["skills"];
    if s.is_null() {
        serde_json::json!({})
    } else {
        s.clone()
    }
}
