//! A stream of CIC changes of every kind and the comparison of the org with what CIC holds
//! (issue 12: the fault storm, `tests/storm.rs`, and kill -9 during a busy stream,
//! `tests/crash_stream.rs`).
#![allow(dead_code)]

pub mod compare;
pub mod diagnose;
pub mod plan;

pub use compare::{check_statuses, compare, user_links};
#[allow(unused_imports)] // used by crash_stream, not by every binary that includes this
pub use diagnose::diagnose;
#[allow(unused_imports)]
pub use plan::{plan, Act, Desired, Kind, Op, Rng, Size};

/// A number from the environment, or `default`.
pub fn env_num(key: &str, default: u64) -> u64 {
    match std::env::var(key) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{key}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The seed of a run: `key` from the environment, else the clock; printed so a failure replays.
pub fn seed(key: &str) -> u64 {
    let s = match std::env::var(key) {
        Ok(v) => v.parse().expect("the seed is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    println!("seed: {s} ({key}={s} replays this run)");
    s
}

/// Fails with the first problems (at most 30) when there are any.
pub fn assert_none(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s), the first:\n{}",
        problems.len(),
        problems[..problems.len().min(30)].join("\n")
    );
}
