//! Each measurement runs in a child process (this executable run again with `--child NAME
//! PARAMS`), so CPU time, bytes written and memory are the plugin's and its host's alone: the
//! emulator lives in the parent. The child reports JSON lines marked `@@ ` on stdout and reads
//! the parent's go-aheads from stdin.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

const MARK: &str = "@@ ";

/// An environment variable holding a command to run every child under, e.g.
/// `perf record -g -o child.data --` or `valgrind --tool=callgrind` (split on whitespace).
pub const WRAP_ENV: &str = "GCSYNC_BENCH_CHILD_WRAP";

/// Child side: reports one JSON object to the parent.
pub fn emit(v: Value) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{MARK}{v}").unwrap();
    out.flush().unwrap();
}

/// Child side: blocks until the parent sends a line.
pub fn wait_for_parent() -> String {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    line.trim().to_string()
}

/// Parent side: a running measurement child.
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
}

impl Proc {
    /// Starts `--child name params`; when [`WRAP_ENV`] is set, under that command (its words
    /// before the executable: a profiler or `strace -c` sees the child alone, not the emulator).
    pub fn spawn(name: &str, params: &Value) -> Proc {
        let exe = std::env::current_exe().expect("own executable");
        let wrap = std::env::var(WRAP_ENV).unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .args(["--child", name, &params.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("benchmark child starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Some(json) = line.strip_prefix(MARK) else {
                    continue;
                };
                let v = serde_json::from_str(json).expect("child reports JSON");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Proc {
            name: name.to_string(),
            child,
            stdin,
            lines,
        }
    }

    /// The next report; panics if the child exits first or stays silent for `within`.
    pub fn next(&mut self, within: Duration) -> Value {
        self.lines.recv_timeout(within).unwrap_or_else(|e| {
            let status = self.child.try_wait().ok().flatten();
            panic!(
                "benchmark child {} sent no report ({e}; exit status {status:?})",
                self.name
            )
        })
    }

    /// Sends the child a line.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the child to exit; panics unless it succeeded.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "benchmark child {} failed: {status}",
            self.name
        );
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
