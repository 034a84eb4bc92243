//! Issue 12 item 1, the fault storm: the C host (`ffi-harness`, storm mode) streams changes of
//! every kind (users with skills, workgroups with members, skills and codes, skills as
//! languages and a "Treat as Language" toggle, wrap-up codes with renames, agent statuses; adds,
//! changes and deletes) from 4 threads while the emulator answers 30 % of calls 429 (Retry-After
//! 0-3 s, delta-seconds or an HTTP date), 10 % 503, drops about 5 % of connections (half before
//! the request is handled, half after the write was applied, cut mid-response), adds latency
//! jitter and expires every token on a period. Then the faults stop, the host waits until gcsync
//! settled and reports every object's status, and the org must equal what CIC holds exactly:
//! no duplicate, no lost change, nothing in Error.
//!
//! Sizes (environment; CI defaults, the full size in parentheses, README "Testing"):
//! `GCSYNC_STORM_USERS` 10 (40) never-deleted users, `GCSYNC_STORM_CHURN` 4 (15) users added and
//! deleted, `GCSYNC_STORM_CHANGES` 150 (3000) random changes after the initial adds,
//! `GCSYNC_STORM_S` 45 (600) seconds of stream, `GCSYNC_STORM_TOKEN_MS` 5000 (60000) between
//! token expiries; `GCSYNC_STORM_SEED` replays a run (each run prints its seed).

mod common;
mod stream_support;

use common::{emulator_config, secrets, CLIENT_ID, CLIENT_SECRET};
use gc_emulator::{Emulator, EmulatorConfig, Faults};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};
use stream_support::*;

const THREADS: usize = 4;

/// The storm of issue 12 item 1.
fn storm(seed: u64, token_every_ms: u64) -> Faults {
    Faults {
        rate_429: 0.30,
        retry_after_secs: 0,
        retry_after_max_secs: 3,
        retry_after_http_date_rate: 0.5,
        error_5xx_rate: 0.10,
        // Drops: 2.5 % of all requests before they are handled; of the writes that get through
        // the dice above (about 58 %), 4.3 % more lose their answer after the commit: 2.5 %.
        drop_rate: 0.025,
        lost_response_rate: 0.043,
        cut_mid_response: true,
        latency_ms: 2,
        latency_jitter_ms: 40,
        expire_tokens_every_ms: token_every_ms,
        seed,
        ..Faults::default()
    }
}

/// Builds the C host into `dir` (the ffi-harness Makefile, its own flags, a private output).
fn build_host(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("make")
        .args(["-s", "-C"])
        .arg(root.join("ffi-harness"))
        .arg("host")
        .arg(format!("BUILD={}", dir.display()))
        .output()
        .expect("make runs");
    assert!(
        out.status.success(),
        "building the C host failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("host")
}

/// The cdylib cargo built beside this test binary.
fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let lib = exe.parent().unwrap().join("libgcsync.so");
    assert!(lib.exists(), "{} not built", lib.display());
    lib
}

fn settings(dir: &Path, emu: &Emulator) -> PathBuf {
    let data = dir.join("data");
    let text = format!(
        "api_base_url = {url}\nlogin_base_url = {url}\nclient_id = {CLIENT_ID}\n\
         client_secret = {CLIENT_SECRET}\ndata_dir = {}\nsync_advanced_platform_objects = true\n\
         requests_per_minute = 100000\nretry_base_ms = 20\nretry_later_s = 1\n\
         request_timeout_ms = 5000\nlog_level = debug\n",
        data.display(),
        url = emu.base_url()
    );
    let path = dir.join("storm.settings");
    std::fs::write(&path, text).unwrap();
    path
}

/// Reads the host's stdout: every line is kept (shown on a failure), `@@ ` lines are passed on.
fn lines_of(stdout: std::process::ChildStdout) -> (Receiver<String>, Kept) {
    let all = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = all.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            keep.lock().unwrap().push(line.clone());
            if let Some(rest) = line.strip_prefix("@@ ") {
                let _ = tx.send(rest.to_string());
            }
        }
    });
    (rx, all)
}

type Kept = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

fn expect(rx: &Receiver<String>, prefix: &str, within: Duration, out: &Kept) -> String {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.starts_with(prefix) => return l[prefix.len()..].trim().to_string(),
            Ok(_) => {}
            Err(_) => panic!(
                "the C host sent no {prefix} line; its output:\n{}",
                out.lock().unwrap().join("\n")
            ),
        }
    }
}

/// The run's directory, kept when `GCSYNC_STORM_KEEP` is set (ops, settings, host stderr, data).
struct Keep(Option<tempfile::TempDir>);

impl Keep {
    fn path(&self) -> &Path {
        self.0.as_ref().unwrap().path()
    }
}

impl Drop for Keep {
    fn drop(&mut self) {
        if std::env::var("GCSYNC_STORM_KEEP").is_ok() {
            let _ = self.0.take().unwrap().keep();
        }
    }
}

/// With `GCSYNC_STORM_KEEP`: the emulator's whole request log (`requests.jsonl`, one JSON
/// request a line, in the order received) beside the host log, for reading a failure.
fn keep_requests(emu: &Emulator, dir: &Path) {
    let lines: Vec<String> = emu
        .requests()
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(dir.join("requests.jsonl"), lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_fault_storm_over_every_kind_from_the_c_host_leaves_the_org_exactly_as_cic() {
    let seed = seed("GCSYNC_STORM_SEED");
    let size = Size {
        users: env_num("GCSYNC_STORM_USERS", 10) as usize,
        churn_users: env_num("GCSYNC_STORM_CHURN", 4).max(1) as usize,
        changes: env_num("GCSYNC_STORM_CHANGES", 150) as usize,
        threads: THREADS,
        skill_churn: stream_support::plan::skill_churn(),
    };
    let stream_ms = env_num("GCSYNC_STORM_S", 45) * 1000;
    let token_ms = env_num("GCSYNC_STORM_TOKEN_MS", 5000);
    let ops = plan("st", size, seed);
    let desired = Desired::of(&ops);
    let tmp = tempfile::tempdir().unwrap();
    if std::env::var("GCSYNC_STORM_KEEP").is_ok() {
        println!("storm: keeping {}", tmp.path().display());
    }
    let tmp = Keep(Some(tmp));
    let host = build_host(tmp.path());
    let emu = Emulator::start(EmulatorConfig {
        rate_limit_per_minute: 1_000_000,
        faults: storm(seed, token_ms),
        ..emulator_config()
    })
    .unwrap();
    let ops_file = tmp.path().join("storm.ops");
    let text: Vec<String> = ops.iter().map(Op::line).collect();
    std::fs::write(&ops_file, text.join("\n") + "\n").unwrap();
    let per_thread = ops.len().div_ceil(THREADS) as u64;
    let interval = stream_ms / per_thread.max(1);
    let stderr = std::fs::File::create(tmp.path().join("host.stderr")).unwrap();
    let started = Instant::now();
    let mut child = Command::new(&host)
        .arg("--mode")
        .arg("storm")
        .arg("--lib")
        .arg(library())
        .arg("--settings")
        .arg(settings(tmp.path(), &emu))
        .arg("--ops")
        .arg(&ops_file)
        .args(["--threads", &THREADS.to_string()])
        .args(["--op-interval-ms", &interval.to_string()])
        .args(["--timeout-ms", "240000", "--watchdog-s", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the C host starts");
    let (rx, out) = lines_of(child.stdout.take().unwrap());
    let within = Duration::from_millis(stream_ms) + Duration::from_secs(120);
    let streamed = expect(&rx, "STREAMED", within, &out);
    let stream_s = started.elapsed().as_secs_f64();
    // The storm's figures, then calm: the host waits for gcsync to settle.
    let log = emu.requests();
    let count =
        |f: &dyn Fn(&gc_emulator::LoggedRequest) -> bool| log.iter().filter(|r| f(r)).count();
    println!(
        "storm: {} ops ({streamed} sent failed) over {stream_s:.0} s from {THREADS} threads: {} requests, \
         {} answered 429, {} answered 503, {} dropped ({} after the write), {} answered 401, {} tokens",
        ops.len(),
        log.len(),
        count(&|r| r.status == 429),
        count(&|r| r.status == 503),
        count(&|r| r.status == 0),
        count(&|r| r.status == 0 && r.handled_status.is_some()),
        count(&|r| r.status == 401),
        count(&|r| r.route == "/oauth/token" && r.status == 200),
    );
    emu.set_faults(Faults::default());
    let stdin = child.stdin.as_mut().unwrap();
    writeln!(stdin, "calm").unwrap();
    stdin.flush().unwrap();
    let settled = expect(&rx, "SETTLED", Duration::from_secs(300), &out);
    let mut reported: BTreeMap<(u32, String), Value> = BTreeMap::new();
    loop {
        let l = expect(&rx, "", Duration::from_secs(60), &out);
        if l == "DONE" {
            break;
        }
        if let Some(rest) = l.strip_prefix("STATUS ") {
            let (kind, json) = rest.split_once(' ').unwrap();
            let v: Value = serde_json::from_str(json).unwrap();
            reported.insert((kind.parse().unwrap(), v["id"].as_str().unwrap().into()), v);
        }
    }
    let status = child.wait().unwrap();
    let out = out.lock().unwrap().clone();
    if std::env::var("GCSYNC_STORM_KEEP").is_ok() {
        keep_requests(&emu, tmp.path());
    }
    println!(
        "storm: settled (rc {settled}) {:.0} s after the stream",
        started.elapsed().as_secs_f64() - stream_s
    );
    let failed: Vec<&String> = out.iter().filter(|l| l.starts_with("  FAIL")).collect();
    assert!(
        status.success() && failed.is_empty() && settled == "8000",
        "the C host: {status}, settled {settled}, failed checks {failed:?}; output:\n{}",
        out.join("\n")
    );
    let mut problems = compare(&emu, &desired);
    problems.extend(check_statuses(
        &desired,
        &reported,
        Some(&user_links(&emu, &desired)),
    ));
    assert_none(&format!("after the storm (seed {seed})"), &problems);
    // The secret scan over what the host wrote (every gcsync log line went to its stderr) and
    // its data directory.
    let logs: Vec<String> = std::fs::read_to_string(tmp.path().join("host.stderr"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    secrets::record_secret(CLIENT_SECRET);
    secrets::assert_no_secrets_in(
        &logs,
        Some(&tmp.path().join("data")),
        &[CLIENT_ID],
        &emu.issued_tokens(),
    );
}
