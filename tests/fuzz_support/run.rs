//! One fuzz run of `tests/fuzz_exports.rs`: gcsync against the emulator, the codes each random
//! call answered, and tracked valid changes of every kind sent between the random calls, which
//! must all reach the emulator ([`Run::finish`]). Also the output buffer with canaries that
//! checks the snprintf rule.

use crate::common::*;
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind::{self, *};
use gcsync::result::GcsyncResult::{self, *};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a hook may answer (README, API conventions).
pub const HOOK_CODES: [GcsyncResult; 9] = [
    Ok,
    NullParameter,
    InvalidUtf8,
    InvalidUtf16,
    PayloadTooLarge,
    MalformedJson,
    UnknownField,
    MissingField,
    InvalidField,
];

/// What a query may answer (besides `BUFFER_TOO_SMALL`).
pub const QUERY_CODES: [GcsyncResult; 9] = [
    Ok,
    NullParameter,
    InvalidUtf8,
    InvalidUtf16,
    PayloadTooLarge,
    MissingField,
    InvalidField,
    UnknownObjectKind,
    BufferTooSmall,
];

pub fn cases() -> u32 {
    std::env::var("GCSYNC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

pub fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    })
}

/// The base users the tracked workgroups and agent statuses use.
const BASE_USERS: usize = 4;

pub struct Run {
    pub world: World,
    /// The kinds of the tracked changes, in turn.
    kinds: Vec<GcsyncObjectKind>,
    /// The last accepted tracked change of each object: (kind, id) → what it must show.
    tracked: RefCell<BTreeMap<(u32, String), String>>,
    calls: RefCell<HashMap<String, usize>>,
    n: RefCell<HashMap<u32, usize>>,
}

impl Run {
    /// Users only (Sync Advanced Platform Objects off, as by default).
    pub fn new() -> Run {
        Run::tracking(&[User])
    }

    /// Tracked changes of `kinds` in turn; any kind besides users turns advanced sync on and
    /// first creates the base users the workgroups' members and the agent statuses name.
    pub fn tracking(kinds: &[GcsyncObjectKind]) -> Run {
        let world = World::with_emulator(gc_emulator::EmulatorConfig {
            rate_limit_per_minute: 1_000_000,
            ..emulator_config()
        });
        set("requests_per_minute", "100000");
        set("log_level", "debug");
        let advanced = kinds.iter().any(|k| *k != User);
        if advanced {
            set("sync_advanced_platform_objects", "true");
        }
        world.start();
        let run = Run {
            world,
            kinds: kinds.to_vec(),
            tracked: RefCell::new(BTreeMap::new()),
            calls: RefCell::new(HashMap::new()),
            n: RefCell::new(HashMap::new()),
        };
        if advanced {
            for i in 0..BASE_USERS {
                run.user(&format!("fz-m{i}"), &format!("Member {i}"));
            }
        }
        run
    }

    /// Records a random call's code; fails the case on an undocumented one.
    pub fn check(
        &self,
        what: &str,
        r: GcsyncResult,
        allowed: &[GcsyncResult],
    ) -> Result<(), TestCaseError> {
        *self
            .calls
            .borrow_mut()
            .entry(format!("{what} {r:?}"))
            .or_default() += 1;
        prop_assert!(
            allowed.contains(&r),
            "{what} returned {r:?}: {}",
            last_error()
        );
        Result::Ok(())
    }

    fn user(&self, id: &str, name: &str) {
        let json = cic_user(id, name, Some(&format!("{id}@tracked.example")));
        assert_eq!(user_changed(&json), Ok, "{}", last_error());
        self.track(User, id, name.to_string());
    }

    fn track(&self, kind: GcsyncObjectKind, id: &str, expect: String) {
        self.tracked
            .borrow_mut()
            .insert((kind as u32, id.to_string()), expect);
    }

    /// A valid change of the next tracked kind (its objects' ids start with `fz-`, which no
    /// random id does), which must be accepted and must reach the emulator (checked by
    /// [`Run::finish`]): a user's name, a workgroup's member, a skill's "Treat as Language", a
    /// wrap-up code's name, an agent's status.
    pub fn tracked_change(&self) {
        let total: usize = self.n.borrow().values().sum();
        let kind = self.kinds[total % self.kinds.len()];
        let n = {
            let mut counts = self.n.borrow_mut();
            let c = counts.entry(kind as u32).or_default();
            *c += 1;
            *c
        };
        let m = format!("fz-m{}", n % BASE_USERS);
        let (id, json, expect) = match kind {
            User => return self.user(&format!("fz-{}", n % 40), &format!("Tracked {n}")),
            Workgroup => {
                let id = format!("fz-q{}", n % 8);
                (id.clone(), json!({"id": id, "members": [m]}), m)
            }
            Skill => {
                let id = format!("fz-s{}", n % 8);
                let language = (n / 8) % 2 == 1;
                let j = json!({"id": id, "treat_as_language": language});
                (id, j, language.to_string())
            }
            WrapupCode => {
                let id = format!("fz-c{}", n % 8);
                let name = format!("Tracked code {n}");
                (id.clone(), json!({"id": id, "name": name}), name)
            }
            AgentStatus => {
                let (status, shown) =
                    [("Available", "Available"), ("At Lunch", "Meal")][(n / 4) % 2];
                let r = agent_status_changed(&m, &json!({ "status": status }).to_string());
                assert_eq!(r, Ok, "{}", last_error());
                return self.track(kind, &m, shown.to_string());
            }
        };
        assert_eq!(
            object_changed(kind, &json.to_string()),
            Ok,
            "{}",
            last_error()
        );
        self.track(kind, &id, expect);
    }

    /// Checks that a tracked object shows its last accepted change in the emulator.
    fn check_tracked(&self, kind: u32, id: &str, expect: &str) {
        let kind = GcsyncObjectKind::from_u32(kind).unwrap();
        let s = status_of(kind, id);
        assert_eq!(s["state"], "Synced", "{s}");
        let emu = &self.world.emu;
        let user_gid = |id: &str| status(id)["genesys_id"].as_str().unwrap().to_string();
        let lost = format!("the last accepted change of {kind:?} {id} was lost");
        match kind {
            User => {
                let u = gc_user(emu, &format!("{id}@tracked.example"));
                assert_eq!(u["name"], expect, "{lost}");
            }
            Workgroup => {
                let q = routing::queue(emu, id);
                let want: BTreeSet<String> = [user_gid(expect)].into();
                assert_eq!(routing::member_ids(&q, "user"), want, "{lost}");
            }
            Skill => {
                let (is, not) = match expect {
                    "true" => ("languages", "skills"),
                    _ => ("skills", "languages"),
                };
                let names = |k| skills::names(&self.world, k);
                assert!(names(is).iter().any(|n| n == id), "{lost}");
                assert!(!names(not).iter().any(|n| n == id), "{lost}");
            }
            WrapupCode => assert_eq!(routing::codes_named(emu, expect).len(), 1, "{lost}"),
            AgentStatus => assert_eq!(shown(emu, &user_gid(id)), expect, "{lost}"),
        }
    }

    /// Waits until everything settled, then checks every tracked object, that no panic was
    /// caught anywhere, and prints the codes the random calls answered.
    pub fn finish(self) {
        assert_eq!(gcsync_wait_settled(300_000), Ok, "{}", last_error());
        let tracked = self.tracked.borrow();
        assert!(!tracked.is_empty());
        for ((kind, id), expect) in tracked.iter() {
            self.check_tracked(*kind, id, expect);
        }
        let o = overview();
        assert_eq!(o["worker_panics"], 0, "{o}");
        assert!(
            logs().iter().all(|l| !l.contains("caught panic")),
            "a panic was caught"
        );
        let mut calls: Vec<_> = self
            .calls
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        calls.sort();
        eprintln!(
            "{} cases; codes: {calls:?}; tracked objects: {}; emulator users: {}",
            cases(),
            tracked.len(),
            self.world.emu.users().len()
        );
    }
}

/// An output buffer: `len` usable bytes followed by 16 canary bytes; or NULL.
pub struct Out {
    buf: Vec<u8>,
    len: usize,
    null: bool,
}

const CANARY: u8 = 0xA5;

impl Out {
    pub fn new(len: usize, null: bool) -> Out {
        Out {
            buf: vec![CANARY; len + 16],
            len,
            null,
        }
    }
    pub fn ptr(&mut self) -> *mut std::ffi::c_char {
        if self.null {
            std::ptr::null_mut()
        } else {
            self.buf.as_mut_ptr().cast()
        }
    }
    /// The first `n` bytes written (None for a NULL or empty buffer).
    pub fn text(&self, n: usize) -> Option<&[u8]> {
        (!self.null && self.len > 0).then(|| &self.buf[..n])
    }
    /// The JSON an OK call wrote (None otherwise, or for a NULL or empty buffer).
    pub fn json(&self, r: GcsyncResult, n: usize) -> Option<serde_json::Value> {
        if r != Ok || self.null || n >= self.len {
            return None;
        }
        serde_json::from_slice(&self.buf[..n]).ok()
    }
    /// snprintf rules: nothing past `len`; NUL-terminated when `len > 0`; on OK the whole text
    /// (`n` bytes) is there and is JSON when `json`.
    pub fn check(&self, r: GcsyncResult, n: usize, json: bool) -> Result<(), TestCaseError> {
        prop_assert!(
            self.buf[self.len..].iter().all(|b| *b == CANARY),
            "written past buf_len"
        );
        if self.null || self.len == 0 {
            return Result::Ok(());
        }
        if r == Ok {
            prop_assert!(
                n < self.len && self.buf[n] == 0,
                "OK but {n} >= {}",
                self.len
            );
            if json {
                let v: Result<serde_json::Value, _> = serde_json::from_slice(&self.buf[..n]);
                prop_assert!(
                    v.is_ok(),
                    "not JSON: {:?}",
                    String::from_utf8_lossy(&self.buf[..n])
                );
            }
        } else if r == BufferTooSmall {
            prop_assert!(self.buf[..self.len].contains(&0), "not NUL-terminated");
        } else {
            // A refused call leaves the buffer alone (no partial output) or terminates it.
            let untouched = self.buf[..self.len].iter().all(|b| *b == CANARY);
            prop_assert!(
                untouched || self.buf[..self.len].contains(&0),
                "garbage left in buf"
            );
        }
        Result::Ok(())
    }
}
