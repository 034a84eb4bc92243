//! Control endpoints for queues, skills, languages, wrap-up codes and assignments: seed objects
//! directly in the org (unowned look-alikes), apply drift without the API, dump every kind,
//! set the in-use policy. Not logged, no auth, no faults (like every `/__emulator/` endpoint).

use crate::assignments::{InUse, InUsePolicy};
use crate::errors::ApiError;
use crate::org::Org;
use crate::queues::{Member, QueueRec};
use crate::skills::{self, CatRec, Kind};
use crate::store::Record;
use crate::wrapups::{self, WrapupRec};
use crate::Emulator;
use serde_json::{json, Map, Value};

type Res = Result<Value, ApiError>;

/// Handle `METHOD /__emulator/{name}` if it is one of these endpoints (`None` otherwise).
pub fn route(org: &mut Org, home: &str, method: &str, name: &str, body: &Value) -> Option<Res> {
    Some(match (method, name) {
        ("GET", "queues") => Ok(dump_queues(org)),
        ("GET", "skills") => Ok(dump(org, Kind::Skill)),
        ("GET", "languages") => Ok(dump(org, Kind::Language)),
        ("GET", "wrapupcodes") => Ok(Value::Array(
            org.wrapups.live().map(Record::to_json).collect(),
        )),
        ("GET", "assignments") => Ok(dump_assignments(org)),
        ("POST", "queues") => seed_queue(org, home, body),
        ("POST", "skills") => seed_cat(org, home, body, Kind::Skill),
        ("POST", "languages") => seed_cat(org, home, body, Kind::Language),
        ("POST", "wrapupcodes") => seed_wrapup(org, body),
        ("POST", "drift") => drift(org, body),
        ("POST", "in-use") => serde_json::from_value::<InUsePolicy>(body.clone())
            .map(|p| {
                org.in_use = p;
                json!(p)
            })
            .map_err(|e| ApiError::bad_request(format!("in-use policy: {e}"))),
        _ => return None,
    })
}

fn dump_queues(org: &Org) -> Value {
    let queues = org.queues.live().map(|q| {
        let mut v = q.to_json();
        v["members"] = q
            .members
            .iter()
            .map(|m| json!({"id": m.user_id, "memberBy": if m.by_group {"group"} else {"user"}, "joined": m.joined}))
            .collect();
        v["wrapupCodes"] = json!(q.wrapup_codes);
        v
    });
    Value::Array(queues.collect())
}

fn dump(org: &Org, kind: Kind) -> Value {
    Value::Array(kind.store(org).live().map(Record::to_json).collect())
}

fn dump_assignments(org: &Org) -> Value {
    let mut out = Map::new();
    for (kind, key) in [
        (&org.assignments.skills, "skills"),
        (&org.assignments.languages, "languages"),
    ] {
        for (user, m) in kind.iter().filter(|(_, m)| !m.is_empty()) {
            let e = out
                .entry(user.clone())
                .or_insert_with(|| json!({"skills": {}, "languages": {}}));
            e[key] = json!(m);
        }
    }
    Value::Object(out)
}

fn s<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    body[key]
        .as_str()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    let list = body[key].as_array().into_iter().flatten();
    list.filter_map(Value::as_str).map(str::to_string).collect()
}

fn seed_queue(org: &mut Org, home: &str, body: &Value) -> Res {
    let name = s(body, "name")?;
    if org.queues.named(name, "", |_| true).is_some() {
        return Err(ApiError::conflict(format!("queue '{name}' exists")));
    }
    let mut q = QueueRec::new(org.rng.guid(), name, home);
    for (key, by_group) in [("members", false), ("groupMembers", true)] {
        for user_id in ids(body, key) {
            if org.user(&user_id).is_none() {
                return Err(ApiError::bad_request(format!("no user '{user_id}'")));
            }
            q.members.push(Member {
                user_id,
                by_group,
                joined: false,
            });
        }
    }
    q.wrapup_codes = ids(body, "wrapupCodes");
    let id = q.id.clone();
    org.queues.insert(q);
    Ok(json!({"id": id}))
}

fn seed_cat(org: &mut Org, home: &str, body: &Value, kind: Kind) -> Res {
    let name = s(body, "name")?;
    let state = body["state"].as_str().unwrap_or("active");
    if !["active", "deleted"].contains(&state) {
        return Err(ApiError::bad_request("state: active or deleted"));
    }
    if state == "active" && kind.store(org).named(name, "", CatRec::active).is_some() {
        return Err(ApiError::conflict(format!(
            "{} '{name}' exists",
            kind.word()
        )));
    }
    let mut r = CatRec::new(kind, org.rng.guid(), name, home);
    r.state = state.to_string();
    let id = r.id.clone();
    kind.store_mut(org).insert(r);
    Ok(json!({"id": id}))
}

fn seed_wrapup(org: &mut Org, body: &Value) -> Res {
    let name = s(body, "name")?;
    if org.wrapups.named(name, "", |_| true).is_some() {
        return Err(ApiError::conflict(format!("wrap-up code '{name}' exists")));
    }
    let c = WrapupRec::new(org.rng.guid(), name);
    let id = c.id.clone();
    org.wrapups.insert(c);
    Ok(json!({"id": id}))
}

fn kind_of(body: &Value) -> Result<&str, ApiError> {
    let k = s(body, "kind")?;
    match k {
        "queue" | "skill" | "language" | "wrapupcode" => Ok(k),
        _ => Err(ApiError::bad_request(
            "kind: queue, skill, language or wrapupcode",
        )),
    }
}

fn missing(what: &str) -> ApiError {
    ApiError::resource_not_found(format!("no {what}"))
}

/// One drift operation (see the README's control table).
fn drift(org: &mut Org, b: &Value) -> Res {
    let keep = org.object_lag();
    match s(b, "op")? {
        "rename" => {
            let (id, name) = (s(b, "id")?, s(b, "name")?.to_string());
            match kind_of(b)? {
                "queue" => {
                    org.queues
                        .get_mut(id, keep)
                        .ok_or_else(|| missing("queue"))?
                        .name = name
                }
                "wrapupcode" => {
                    org.wrapups
                        .get_mut(id, keep)
                        .ok_or_else(|| missing("code"))?
                        .name = name
                }
                k => {
                    let kind = if k == "skill" {
                        Kind::Skill
                    } else {
                        Kind::Language
                    };
                    kind.store_mut(org)
                        .get_mut(id, keep)
                        .ok_or_else(|| missing(k))?
                        .name = name;
                }
            }
        }
        "delete" => {
            let id = s(b, "id")?;
            let cascade = |p: InUse| if p == InUse::Cascade { p } else { InUse::Keep };
            match kind_of(b)? {
                "queue" => {
                    org.queues
                        .remove(id, keep)
                        .ok_or_else(|| missing("queue"))?;
                }
                "wrapupcode" => {
                    wrapups::remove(org, id, cascade(org.in_use.wrapup_codes))?;
                }
                "skill" => {
                    skills::remove(org, id, Kind::Skill, cascade(org.in_use.skills))?;
                }
                _ => {
                    skills::remove(org, id, Kind::Language, cascade(org.in_use.languages))?;
                }
            }
        }
        "add_member" | "remove_member" => {
            let (qid, user) = (s(b, "queueId")?, s(b, "userId")?.to_string());
            let by_group = b["memberBy"] == "group";
            let q = org
                .queues
                .get_mut(qid, keep)
                .ok_or_else(|| missing("queue"))?;
            q.members.retain(|m| m.user_id != user);
            if b["op"] == "add_member" {
                q.members.push(Member {
                    user_id: user,
                    by_group,
                    joined: false,
                });
            }
        }
        "add_queue_wrapup" | "remove_queue_wrapup" => {
            let (qid, code) = (s(b, "queueId")?, s(b, "codeId")?.to_string());
            let q = org
                .queues
                .get_mut(qid, keep)
                .ok_or_else(|| missing("queue"))?;
            q.wrapup_codes.retain(|c| *c != code);
            if b["op"] == "add_queue_wrapup" {
                q.wrapup_codes.push(code);
            }
        }
        op @ ("set_skill" | "remove_skill" | "set_language" | "remove_language") => {
            let kind = if op.ends_with("skill") {
                Kind::Skill
            } else {
                Kind::Language
            };
            let (user, id) = (s(b, "userId")?.to_string(), s(b, "id")?.to_string());
            let m = org.assignments.of(kind).entry(user).or_default();
            match b["proficiency"].as_f64() {
                Some(p) if op.starts_with("set") => {
                    m.insert(id, p);
                }
                None if op.starts_with("set") => {
                    return Err(ApiError::bad_request("proficiency is required"))
                }
                _ => {
                    m.remove(&id);
                }
            }
        }
        op => return Err(ApiError::bad_request(format!("unknown drift op '{op}'"))),
    }
    Ok(json!({}))
}

/// Seeding, drift and dumps from Rust tests (the same operations as the control endpoints).
impl Emulator {
    /// Run one of the control operations above: `method` `GET`/`POST`, `name` as in
    /// `/__emulator/{name}` (`queues`, `skills`, `languages`, `wrapupcodes`, `assignments`,
    /// `drift`, `in-use`).
    pub fn control(&self, method: &str, name: &str, body: Value) -> Result<Value, ApiError> {
        let home = self.shared.cfg.home_division_id.clone();
        let mut org = self.shared.lock();
        route(&mut org, &home, method, name, &body)
            .unwrap_or_else(|| Err(missing(&format!("control endpoint {method} {name}"))))
    }

    /// Seed an object (`kind`: `queues`, `skills`, `languages`, `wrapupcodes`) directly in the
    /// org from its control body (at least `{"name"}`); returns its id. Panics on a set-up error.
    pub fn seed(&self, kind: &str, body: Value) -> String {
        let v = self.control("POST", kind, body);
        let v = v.unwrap_or_else(|e| panic!("seed {kind}: {}", e.message));
        v["id"].as_str().expect("id").to_string()
    }

    /// Apply one drift operation (JSON as `POST /__emulator/drift`). Panics on a bad operation.
    pub fn drift(&self, op: Value) {
        if let Err(e) = self.control("POST", "drift", op) {
            panic!("drift: {}", e.message);
        }
    }

    /// Every object of a kind as the dump endpoints give it (`GET /__emulator/{kind}`).
    pub fn dump(&self, kind: &str) -> Value {
        self.control("GET", kind, Value::Null)
            .unwrap_or_else(|e| panic!("dump {kind}: {}", e.message))
    }

    /// Set what deleting an in-use skill, language or wrap-up code does.
    pub fn set_in_use_policy(&self, p: InUsePolicy) {
        self.shared.lock().in_use = p;
    }
}

impl Emulator {
    /// The `skills` and/or `languages` expansion of `GET /api/v2/users` is absent for user `id`
    /// from now on (API-FACTS §2: expansions are best-effort), as `POST /__emulator/expand-missing`.
    pub fn omit_expand(&self, id: &str, fields: &[&str]) {
        let body = json!({"userId": id, "fields": fields});
        if let Err(e) = crate::user_expand::control(&mut self.shared.lock(), &body) {
            panic!("omit_expand: {}", e.message);
        }
    }
}
