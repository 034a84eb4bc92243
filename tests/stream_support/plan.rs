//! A stream of CIC changes of every kind (issue 12 items 1 and 2): users with skills, skills
//! (languages, a "Treat as Language" toggle), workgroups with members, skills and codes, wrap-up
//! codes (renames), agent statuses; adds, changes and deletes. Made from a seed, so a failure
//! replays; each object belongs to one sender thread, so the final state of every object is
//! its last operation, whatever the threads' interleaving.

pub use crate::common::rng::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Object kinds, with the numbers of `gcsync_object_kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    User = 1,
    Workgroup = 2,
    Skill = 3,
    WrapupCode = 4,
    AgentStatus = 5,
}

/// What an operation does.
#[derive(Clone, Debug, PartialEq)]
pub enum Act {
    /// `gcsync_on_object_changed(kind, json)` (the kind's JSON, with its `id`).
    Upsert(Value),
    /// `gcsync_on_object_deleted(kind, id)`.
    Delete,
    /// `gcsync_on_status_changed(id, json)`: an agent status, the JSON without `id`.
    Status(Value),
}

/// One hook call of the stream.
#[derive(Clone, Debug)]
pub struct Op {
    /// The sender thread (0..threads) that owns the object.
    pub thread: usize,
    pub kind: Kind,
    pub id: String,
    pub act: Act,
}

impl Op {
    /// The ops file line the C host reads: `THREAD KIND U JSON`, `THREAD KIND D ID` or
    /// `THREAD 5 S USER_ID JSON` (ids hold no spaces).
    pub fn line(&self) -> String {
        let (t, k) = (self.thread, self.kind as u32);
        match &self.act {
            Act::Upsert(v) => format!("{t} {k} U {v}"),
            Act::Delete => format!("{t} {k} D {}", self.id),
            Act::Status(v) => format!("{t} {k} S {} {v}", self.id),
        }
    }
}

/// How big a stream is.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Users that are never deleted (members of workgroups, agents with statuses).
    pub users: usize,
    /// Users that are added, changed, deleted and added again.
    pub churn_users: usize,
    /// Random changes after the initial adds.
    pub changes: usize,
    /// Sender threads.
    pub threads: usize,
    /// Whether skills are deleted (and added again) and "Treat as Language" is toggled. On by
    /// default ([`skill_churn`]); the race that kept it off is closed (`tests/skill_races.rs`).
    pub skill_churn: bool,
}

/// Skill deletes and the toggle are in the streams unless `GCSYNC_STREAM_SKILL_CHURN=0`.
pub fn skill_churn() -> bool {
    !std::env::var("GCSYNC_STREAM_SKILL_CHURN").is_ok_and(|v| v == "0")
}

/// The stock CIC statuses the stream uses and the Genesys system presence each shows (README
/// "Agent presence", no ACD, no WEM).
pub const STATUSES: [(&str, &str); 6] = [
    ("Available", "Available"),
    ("At Lunch", "Meal"),
    ("Do Not Disturb", "Busy"),
    ("Away from Desk", "Away"),
    ("In a Meeting", "Meeting"),
    ("Gone Home", "Offline"),
];

/// Picking from slices with the shared generator.
trait Pick {
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T;
    fn subset(&mut self, from: &[String], max: usize) -> Vec<String>;
}

impl Pick for Rng {
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len() as u64) as usize]
    }

    /// A random subset of `from` with at most `max` elements (order kept).
    fn subset(&mut self, from: &[String], max: usize) -> Vec<String> {
        let n = self.below(max as u64 + 1) as usize;
        let mut out: Vec<String> = Vec::new();
        for _ in 0..n {
            let s = self.pick(from).clone();
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

/// The pools of object ids of one stream (`prefix` keeps runs apart in one org).
pub struct Pools {
    pub users: Vec<String>,
    pub churn_users: Vec<String>,
    /// Skills never deleted: the first two are languages; the last is toggled.
    pub skills: Vec<String>,
    pub churn_skills: Vec<String>,
    pub workgroups: Vec<String>,
    pub churn_workgroups: Vec<String>,
    /// Codes never deleted (renamed), the only ones workgroups list.
    pub codes: Vec<String>,
    pub churn_codes: Vec<String>,
}

impl Pools {
    pub fn new(prefix: &str, size: Size) -> Pools {
        let ids = |tag: &str, n: usize| -> Vec<String> {
            (0..n).map(|i| format!("{prefix}{tag}{i:02}")).collect()
        };
        Pools {
            users: ids("U", size.users),
            churn_users: ids("C", size.churn_users),
            skills: ids("K", 5),
            churn_skills: ids("X", 2),
            workgroups: ids("W", 3),
            churn_workgroups: ids("Y", 1),
            codes: ids("P", 3),
            churn_codes: ids("Z", 2),
        }
    }

    fn all_skills(&self) -> Vec<String> {
        self.skills
            .iter()
            .chain(&self.churn_skills)
            .cloned()
            .collect()
    }
}

pub fn email(id: &str) -> String {
    format!("{}@stream.example.com", id.to_lowercase())
}

/// Builds the stream: every never-deleted object added first (in dependency order within each
/// thread), then `size.changes` random changes.
pub fn plan(prefix: &str, size: Size, seed: u64) -> Vec<Op> {
    let pools = Pools::new(prefix, size);
    let mut g = Gen {
        rng: Rng::new(seed),
        size,
        version: 0,
        live: BTreeMap::new(),
        lang: BTreeMap::new(),
        ops: Vec::new(),
        pools,
    };
    g.initial();
    for _ in 0..size.changes {
        g.change();
    }
    g.ops
}

struct Gen {
    rng: Rng,
    size: Size,
    version: u64,
    /// Objects that exist in CIC now, by (kind, id).
    live: BTreeMap<(Kind, String), Value>,
    /// Skills' "Treat as Language" as last sent.
    lang: BTreeMap<String, bool>,
    ops: Vec<Op>,
    pools: Pools,
}

impl Gen {
    fn thread_of(&self, id: &str) -> usize {
        let h = id
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        (h % self.size.threads as u64) as usize
    }

    fn push(&mut self, kind: Kind, id: &str, act: Act) {
        match &act {
            Act::Upsert(v) => {
                self.live.insert((kind, id.to_string()), v.clone());
            }
            Act::Delete => {
                self.live.remove(&(kind, id.to_string()));
            }
            Act::Status(_) => {}
        }
        self.ops.push(Op {
            thread: self.thread_of(id),
            kind,
            id: id.to_string(),
            act,
        });
    }

    fn exists(&self, kind: Kind, id: &str) -> bool {
        self.live.contains_key(&(kind, id.to_string()))
    }

    fn skill_refs(&mut self, from: &[String], max: usize) -> Value {
        let ids = self.rng.subset(from, max);
        let refs: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "proficiency": 1 + self.rng.below(100)}))
            .collect();
        Value::Array(refs)
    }

    fn user(&mut self, id: &str) -> Value {
        self.version += 1;
        let skills = self.skill_refs(&self.pools.all_skills(), 3);
        json!({
            "id": id,
            "display_name": format!("Stream {id} v{}", self.version),
            "business_email": email(id),
            "business_phone": format!("+1 317 555 {:04}", self.rng.below(10_000)),
            "skills": skills,
        })
    }

    fn skill(&mut self, id: &str, language: bool) -> Value {
        self.lang.insert(id.to_string(), language);
        json!({"id": id, "treat_as_language": language})
    }

    fn workgroup(&mut self, id: &str) -> Value {
        let members = self.rng.subset(&self.pools.users.clone(), 5);
        let skills = self.skill_refs(&self.pools.skills.clone(), 2);
        let codes = self.rng.subset(&self.pools.codes.clone(), 2);
        json!({"id": id, "members": members, "skills": skills, "wrapup_codes": codes})
    }

    fn code(&mut self, id: &str) -> Value {
        self.version += 1;
        json!({"id": id, "name": format!("Code {id} v{}", self.version)})
    }

    fn status(&mut self) -> Value {
        let (s, _) = *self.rng.pick(&STATUSES);
        json!({"status": s})
    }

    fn initial(&mut self) {
        let p = &self.pools;
        let (skills, codes, users, wgs) = (
            p.skills.clone(),
            p.codes.clone(),
            p.users.clone(),
            p.workgroups.clone(),
        );
        for (i, id) in skills.iter().enumerate() {
            let v = self.skill(id, i < 2);
            self.push(Kind::Skill, id, Act::Upsert(v));
        }
        for id in &codes {
            let v = self.code(id);
            self.push(Kind::WrapupCode, id, Act::Upsert(v));
        }
        for id in &users {
            let v = self.user(id);
            self.push(Kind::User, id, Act::Upsert(v));
        }
        for id in &wgs {
            let v = self.workgroup(id);
            self.push(Kind::Workgroup, id, Act::Upsert(v));
        }
        for id in &users {
            let v = self.status();
            self.push(Kind::AgentStatus, id, Act::Status(v));
        }
    }

    /// Adds the object when it does not exist, else changes it or (half the time) deletes it.
    fn churn(&mut self, kind: Kind, id: &str) {
        if self.exists(kind, id) && self.rng.below(2) == 0 {
            return self.push(kind, id, Act::Delete);
        }
        let v = match kind {
            Kind::User => self.user(id),
            Kind::Skill => {
                let lang = self.rng.below(2) == 0;
                self.skill(id, lang)
            }
            Kind::Workgroup => self.workgroup(id),
            _ => self.code(id),
        };
        self.push(kind, id, Act::Upsert(v));
    }

    fn change(&mut self) {
        let p = &self.pools;
        let user = self.rng.pick(&p.users).clone();
        let churn_user = self.rng.pick(&p.churn_users).clone();
        let wg = self.rng.pick(&p.workgroups).clone();
        let code = self.rng.pick(&p.codes).clone();
        let churn_skill = self.rng.pick(&p.churn_skills).clone();
        let churn_wg = self.rng.pick(&p.churn_workgroups).clone();
        let churn_code = self.rng.pick(&p.churn_codes).clone();
        let toggled = p.skills.last().unwrap().clone();
        match self.rng.below(100) {
            0..=24 => {
                let v = self.user(&user);
                self.push(Kind::User, &user, Act::Upsert(v));
            }
            25..=39 if !self.pools.churn_users.is_empty() => self.churn(Kind::User, &churn_user),
            40..=54 => {
                let v = self.status();
                self.push(Kind::AgentStatus, &user, Act::Status(v));
            }
            55..=66 => {
                let v = self.workgroup(&wg);
                self.push(Kind::Workgroup, &wg, Act::Upsert(v));
            }
            67..=71 => self.churn(Kind::Workgroup, &churn_wg),
            72..=79 => {
                let v = self.code(&code);
                self.push(Kind::WrapupCode, &code, Act::Upsert(v));
            }
            80..=85 => self.churn(Kind::WrapupCode, &churn_code),
            86..=93 if self.size.skill_churn => self.churn(Kind::Skill, &churn_skill),
            86..=93 if !self.exists(Kind::Skill, &churn_skill) => {
                self.churn(Kind::Skill, &churn_skill)
            }
            86.. if !self.size.skill_churn => {
                let v = self.user(&user);
                self.push(Kind::User, &user, Act::Upsert(v));
            }
            _ => {
                let lang = !self.lang[&toggled];
                let v = self.skill(&toggled, lang);
                self.push(Kind::Skill, &toggled, Act::Upsert(v));
            }
        }
    }
}

/// What CIC holds after a prefix of the stream: each object's last operation (`None`: deleted),
/// every name each wrap-up code ever had, and each agent's last status.
#[derive(Default, Debug)]
pub struct Desired {
    pub objects: BTreeMap<(Kind, String), Option<Value>>,
    pub code_names: BTreeMap<String, Vec<String>>,
    pub statuses: BTreeMap<String, String>,
}

impl Desired {
    pub fn of(ops: &[Op]) -> Desired {
        let mut d = Desired::default();
        for op in ops {
            match &op.act {
                Act::Upsert(v) => {
                    if op.kind == Kind::WrapupCode {
                        let name = v["name"].as_str().unwrap().to_string();
                        d.code_names.entry(op.id.clone()).or_default().push(name);
                    }
                    d.objects.insert((op.kind, op.id.clone()), Some(v.clone()));
                }
                Act::Delete => {
                    d.objects.insert((op.kind, op.id.clone()), None);
                }
                Act::Status(v) => {
                    let s = v["status"].as_str().unwrap().to_string();
                    d.statuses.insert(op.id.clone(), s);
                }
            }
        }
        d
    }

    /// The live objects of one kind: id → CIC JSON.
    pub fn live(&self, kind: Kind) -> BTreeMap<&str, &Value> {
        self.objects
            .iter()
            .filter(|((k, _), v)| *k == kind && v.is_some())
            .map(|((_, id), v)| (id.as_str(), v.as_ref().unwrap()))
            .collect()
    }

    /// Every id of one kind the stream ever added.
    pub fn ever(&self, kind: Kind) -> Vec<&str> {
        self.objects
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| id.as_str())
            .collect()
    }
}
