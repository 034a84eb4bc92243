//! The two servers of `tests/switchover.rs`: the child host (one CIC server of the pair,
//! driven by commands on its stdin) and, in the parent, the pair, the emulator and what CIC
//! holds.
#![allow(dead_code)]

use crate::common::*;
use crate::crash_support::*;
use gc_emulator::{Emulator, EmulatorConfig};
use gcsync::ffi::*;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub const A: &str = "server-a";
pub const B: &str = "server-b";
pub const WAIT: Duration = Duration::from_secs(60);

fn secret(client: &str) -> String {
    format!("{client}-secret-5d1e")
}

// ---------------------------------------------------------------------------------------------
// The child host: one CIC server of the pair, driven by commands on its stdin.

fn child_init() {
    let url = std::env::var("GCSYNC_CRASH_URL").unwrap();
    let dir = std::env::var("GCSYNC_CRASH_DIR").unwrap();
    let client = std::env::var("GCSYNC_PAIR_CLIENT").unwrap();
    child_settings(&url, &dir);
    set("client_id", &client);
    set("client_secret", &secret(&client));
    set("role", &std::env::var("GCSYNC_PAIR_ROLE").unwrap());
    set("sync_advanced_platform_objects", "true");
    init_recording_snapshot_requests();
}

/// Waits up to 10 s for a snapshot request; answers its reason (0: none) and forgets it.
fn asked() -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    while ASKED.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    ASKED.swap(0, Ordering::SeqCst)
}

fn kind(name: &str) -> GcsyncObjectKind {
    match name {
        "user" => GcsyncObjectKind::User,
        "skill" => GcsyncObjectKind::Skill,
        "workgroup" => GcsyncObjectKind::Workgroup,
        other => panic!("unknown kind {other}"),
    }
}

/// A snapshot of every kind the pair syncs (`{"user": [...], "skill": [...], ...}`).
fn snapshot(parts: &serde_json::Map<String, Value>) {
    let mut id = 0u64;
    assert_eq!(
        unsafe { gcsync_force_sync_begin(0, &mut id) },
        GcsyncResult::Ok
    );
    for (k, objects) in parts {
        let text = objects.to_string();
        let r = unsafe { gcsync_force_sync_add(kind(k) as u32, text.as_ptr().cast(), text.len()) };
        assert_eq!(r, GcsyncResult::Ok, "add {k}: {}", last_error());
    }
    assert_eq!(
        gcsync_force_sync_commit(0),
        GcsyncResult::Ok,
        "{}",
        last_error()
    );
    assert_eq!(gcsync_force_sync_wait(60_000), GcsyncResult::Ok);
}

pub fn child() {
    child_init();
    say("READY");
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let (cmd, arg) = line.split_once(' ').unwrap_or((&line, ""));
        match cmd {
            "OBJ" => {
                let (k, json) = arg.split_once(' ').unwrap();
                let r = object_changed(kind(k), json);
                assert_eq!(r, GcsyncResult::Ok, "{}", last_error());
                say("OK");
            }
            "ROLE" => {
                let role = match arg {
                    "active" => GCSYNC_ROLE_ACTIVE,
                    _ => GCSYNC_ROLE_STANDBY,
                };
                assert_eq!(gcsync_set_role(role), GcsyncResult::Ok, "{}", last_error());
                say("OK");
            }
            "SETTLE" => say(&format!("SETTLED {}", settle())),
            "ASKED" => say(&format!("ASKED {}", asked())),
            "SNAPSHOT" => {
                snapshot(&serde_json::from_str(arg).unwrap());
                say(&format!("SETTLED {}", settle()));
                say(&format!("FULLSYNC {}", overview()["full_sync"]));
            }
            "STATUS" => {
                let (k, id) = arg.split_once(' ').unwrap();
                say(&format!("STATUS {}", status_of(kind(k), id)));
            }
            "EXIT" => break,
            other => panic!("unknown command {other}"),
        }
    }
    print_log_tail();
    assert_no_secrets();
    say(&format!("EXITED {:?}", gcsync_shutdown(30_000)));
}

// ---------------------------------------------------------------------------------------------
// The parent: the emulator, the two servers and what CIC holds.

pub struct Pair {
    pub emu: Emulator,
    pub dirs: BTreeMap<&'static str, tempfile::TempDir>,
    pub hosts: BTreeMap<&'static str, Host>,
    /// What CIC holds: (kind, CIC id) -> object JSON.
    pub cic: BTreeMap<(&'static str, String), Value>,
}

pub fn user(id: &str, name: &str) -> Value {
    json!({"id": id, "display_name": name, "business_email": format!("{id}@example.com")})
}

impl Pair {
    pub fn new() -> Pair {
        let clients = [A, B].map(|c| (c.to_string(), secret(c))).to_vec();
        let emu = Emulator::start(EmulatorConfig {
            rate_limit_per_minute: 1_000_000,
            clients,
            ..emulator_config()
        })
        .expect("emulator starts");
        let dirs = [A, B].map(|c| (c, tempfile::tempdir().unwrap())).into();
        Pair {
            emu,
            dirs,
            hosts: BTreeMap::new(),
            cic: BTreeMap::new(),
        }
    }

    pub fn start(&mut self, server: &'static str, role: &str) {
        let env = [
            ("GCSYNC_PAIR_CLIENT", server.to_string()),
            ("GCSYNC_PAIR_ROLE", role.to_string()),
        ];
        let mut h = Host::start("pair", &self.emu, self.dirs[server].path(), &env);
        h.expect("READY", WAIT);
        self.hosts.insert(server, h);
    }

    pub fn ask(&mut self, server: &str, cmd: &str, answer: &str) -> String {
        let h = self.hosts.get_mut(server).unwrap();
        h.send(cmd);
        h.expect(answer, WAIT)
    }

    /// A change of a user in CIC: every running server of the pair gets the hook.
    pub fn change(&mut self, id: &str, name: &str) {
        self.change_object("user", user(id, name));
    }

    pub fn change_object(&mut self, kind: &'static str, v: Value) {
        let id = v["id"].as_str().unwrap().to_string();
        self.cic.insert((kind, id), v.clone());
        let servers: Vec<&'static str> = self.hosts.keys().copied().collect();
        for s in servers {
            self.ask(s, &format!("OBJ {kind} {v}"), "OK");
        }
    }

    /// One object's status on `server`.
    pub fn status(&mut self, server: &str, kind: &str, id: &str) -> Value {
        serde_json::from_str(&self.ask(server, &format!("STATUS {kind} {id}"), "STATUS")).unwrap()
    }

    /// The CIC objects of one kind.
    pub fn cic_of(&self, kind: &str) -> Vec<&Value> {
        self.cic
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, v)| v)
            .collect()
    }

    pub fn settle(&mut self, server: &str) {
        assert_eq!(
            self.ask(server, "SETTLE", "SETTLED"),
            "true",
            "{server} settles"
        );
    }

    /// The requests `client` made from log index `from` on, as "METHOD route".
    pub fn calls(&self, client: &str, from: usize) -> Vec<String> {
        self.emu.requests()[from..]
            .iter()
            .filter(|r| r.client_id.as_deref() == Some(client))
            .map(|r| format!("{} {}", r.method, r.route))
            .collect()
    }

    /// The writes (not GET, not a token) `client` made from log index `from` on that the org
    /// accepted (`accepted`, 2xx) or refused (the others), sorted, each with the email of the
    /// user written (the body's, or the target user's) or the name of the object created.
    pub fn writes(&self, client: &str, from: usize, accepted: bool) -> Vec<String> {
        let mut w: Vec<String> = self.emu.requests()[from..]
            .iter()
            .filter(|r| r.client_id.as_deref() == Some(client))
            .filter(|r| (200..300).contains(&r.status) == accepted)
            .filter(|r| r.method != "GET" && r.path != "/oauth/token")
            .map(|r| {
                let target = r.path.strip_prefix("/api/v2/users/");
                let target = target.and_then(|t| t.split('/').next());
                let email = match target.and_then(|g| self.emu.user(g)) {
                    Some(u) => u["email"].as_str().unwrap_or_default().to_string(),
                    // A created user by its email, another object by its name.
                    None => r.body.as_ref().map_or(String::new(), |b| {
                        let label = b["email"].as_str().or(b["name"].as_str());
                        label.unwrap_or_default().to_string()
                    }),
                };
                format!("{} {} {email}", r.method, r.route)
            })
            .collect();
        w.sort();
        w
    }

    /// The org equals what CIC holds: one active Genesys user per CIC user, with its name; one
    /// skill per CIC skill; one queue per workgroup, with its members.
    pub fn assert_org_is_cic(&self) {
        let users = self.emu.users();
        let cic_users = self.cic_of("user");
        assert_eq!(
            users.len(),
            cic_users.len(),
            "one Genesys user per CIC user"
        );
        for u in cic_users {
            let id = u["id"].as_str().unwrap();
            let email = format!("{id}@example.com");
            let n = users
                .iter()
                .filter(|g| g["email"] == email.as_str())
                .count();
            assert_eq!(n, 1, "no duplicate of {email}");
            let g = self.emu.user_by_email(&email).unwrap();
            assert_eq!(g["name"], u["display_name"], "{id}: no lost change");
            assert_eq!(g["state"], "active", "{id}");
        }
        let by_name = |kind: &str| -> Vec<Value> {
            let mut v: Vec<Value> = self.emu.dump(kind).as_array().unwrap().clone();
            v.sort_by_key(|o| o["name"].to_string());
            v
        };
        let skills: Vec<Value> = by_name("skills")
            .iter()
            .map(|s| s["name"].clone())
            .collect();
        let want: Vec<Value> = self
            .cic_of("skill")
            .iter()
            .map(|s| s["id"].clone())
            .collect();
        assert_eq!(skills, want, "one skill per CIC skill");
        let queues = by_name("queues");
        let wgs = self.cic_of("workgroup");
        assert_eq!(
            queues.len(),
            wgs.len(),
            "one queue per workgroup: {queues:?}"
        );
        for (q, wg) in queues.iter().zip(wgs) {
            assert_eq!(q["name"], wg["id"]);
            let mut members: Vec<String> = q["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    let g = self.emu.user(m["id"].as_str().unwrap()).unwrap();
                    g["email"].as_str().unwrap().to_string()
                })
                .collect();
            members.sort();
            let want: Vec<String> = wg["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| format!("{}@example.com", m.as_str().unwrap()))
                .collect();
            assert_eq!(members, want, "{}'s members", wg["id"]);
        }
    }

    /// Takeover by `to`: it is set active, asks for a snapshot (reason TAKEOVER), works off
    /// what it saved, and its host answers with the snapshot of what CIC holds.
    pub fn take_over(&mut self, to: &str) {
        self.ask(to, "ROLE active", "OK");
        let reason = self.ask(to, "ASKED", "ASKED");
        assert_eq!(reason, GCSYNC_SNAPSHOT_REASON_TAKEOVER.to_string());
        self.settle(to);
        let mut snap = serde_json::Map::new();
        for ((kind, _), v) in &self.cic {
            let part = snap.entry(kind.to_string()).or_insert(json!([]));
            part.as_array_mut().unwrap().push(v.clone());
        }
        let snap = Value::Object(snap);
        let h = self.hosts.get_mut(to).unwrap();
        h.send(&format!("SNAPSHOT {snap}"));
        assert_eq!(h.expect("SETTLED", WAIT), "true");
        let fs: Value = serde_json::from_str(&h.expect("FULLSYNC", WAIT)).unwrap();
        assert!(fs["last_error"].is_null(), "{to}'s full sync: {fs}");
    }

    /// Both servers stop cleanly: the active one with nothing left, the standby saying that
    /// the hooks it saved are unfinished (they wait for its next start).
    pub fn finish(mut self, standby: &str) {
        for (server, mut h) in std::mem::take(&mut self.hosts) {
            h.send("EXIT");
            let want = if server == standby {
                "ShutdownTimedOut"
            } else {
                "Ok"
            };
            assert_eq!(h.expect("EXITED", WAIT), want, "{server}'s shutdown");
            h.finish();
        }
    }
}
