//! Users' presences (API-FACTS §6, §11): the single-user read and write per source (the
//! Genesys-native `purecloud` path and custom sources), the bulk write with its per-call
//! maximum, and the bulk reads (at most 50 ids).
//!
//! Every applied write is recorded ([`crate::presence::PresenceWrite`]) and passed to the
//! presence hook. A write to the user's primary source drives the routing status (see
//! [`crate::routing_status::follow_presence`]).

use crate::errors::ApiError;
use crate::org::Org;
use crate::perms;
use crate::presence::{live_user, PresRec, PresenceWrite};
use crate::routing_status;
use crate::server::{ApiResult, Ctx};
use crate::util::{iso8601_ms, unix_now_ms};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Instant;

/// The name the Genesys-native source goes by in `UserPresence.source`.
const PURECLOUD: &str = "PURECLOUD";
/// Most ids a bulk read takes (API-FACTS §6, §7).
const BULK_READ_MAX: usize = 50;
/// What a single-user write needs besides the operation's own (empty) permission list
/// (DECIDED: API-FACTS §6 says grant it "to be safe").
const EDIT: &str = "presence:userPresence:edit";

const R_PURECLOUD: &str = "/api/v2/users/{userId}/presences/purecloud";
const R_SOURCE: &str = "/api/v2/users/{userId}/presences/{sourceId}";
const R_BULK: &str = "/api/v2/users/presences/bulk";

/// One validated write.
struct Write {
    user: String,
    source: String,
    /// `(definition id, system presence)`.
    def: Option<(String, String)>,
    message: Option<String>,
    primary: bool,
}

fn source_label(org: &Org, source: &str) -> String {
    if source == org.presence.purecloud_source_id {
        return PURECLOUD.into();
    }
    org.presence
        .source(source)
        .map_or_else(|| source.to_string(), |s| s.name.clone())
}

fn def_ref(id: &str, system_presence: &str) -> Value {
    json!({"id": id, "systemPresence": system_presence,
           "selfUri": format!("/api/v2/presence/definitions/{id}")})
}

/// `UserPresence` JSON of a user in a source; never written: the `Offline` definition.
fn presence_json(org: &Org, user: &str, source: &str) -> Value {
    let p = &org.presence;
    let rec = p.presences.get(&(user.to_string(), source.to_string()));
    let path = if source == p.purecloud_source_id {
        "purecloud"
    } else {
        source
    };
    let mut v = json!({
        "id": user, "source": source_label(org, source), "sourceId": source,
        "primary": p.primary_of(user).0 == source,
        "selfUri": format!("/api/v2/users/{user}/presences/{path}"),
    });
    match rec {
        Some(r) => {
            v["presenceDefinition"] = def_ref(&r.definition_id, &r.system_presence);
            v["modifiedDate"] = json!(iso8601_ms(r.modified_ms));
            if let Some(m) = &r.message {
                v["message"] = json!(m);
            }
        }
        None => {
            v["presenceDefinition"] = match p.system_definition("Offline") {
                Some(d) => d.reference(),
                None => json!({"systemPresence": "Offline"}),
            }
        }
    }
    v
}

/// Validate a write of `body` (a `UserPresence` / `MutableUserPresence`) for `user` in `source`.
fn check(org: &Org, user: &str, source: &str, body: &Value) -> Result<Write, ApiError> {
    live_user(org, user)?;
    let p = &org.presence;
    if source != p.purecloud_source_id {
        match p.source(source) {
            None => {
                return Err(ApiError::resource_not_found(format!(
                    "Presence source '{source}' not found"
                )))
            }
            Some(s) if s.deactivated => {
                return Err(ApiError::bad_request(format!(
                    "Presence source '{source}' is deactivated"
                )))
            }
            Some(_) => {}
        }
    }
    let def = match body.get("presenceDefinition").filter(|d| !d.is_null()) {
        None => None,
        Some(d) => {
            let id = d["id"].as_str().unwrap_or("");
            if id.is_empty() {
                return Err(ApiError::bad_request("presenceDefinition.id is required"));
            }
            let Some(rec) = p.definition(id).filter(|d| !d.deactivated) else {
                return Err(ApiError::bad_request(format!(
                    "presenceDefinition.id: '{id}' is not an active presence definition of this organization"
                )));
            };
            Some((rec.id.clone(), rec.system_presence.clone()))
        }
    };
    let message = body["message"].as_str().map(str::to_string);
    let primary = body["primary"].as_bool() == Some(true);
    if def.is_none() && message.is_none() && !primary {
        return Err(ApiError::bad_request(
            "Nothing to change: give presenceDefinition, message or primary: true",
        ));
    }
    Ok(Write {
        user: user.to_string(),
        source: source.to_string(),
        def,
        message,
        primary,
    })
}

/// Apply a validated write; record it and run the hook when it set a presence or message.
fn apply(org: &mut Org, w: Write, route: &str) -> Value {
    let now = unix_now_ms();
    let key = (w.user.clone(), w.source.clone());
    if w.primary {
        let registered = w.source == org.presence.purecloud_source_id;
        let primary = (w.source.clone(), registered);
        org.presence.primary.insert(w.user.clone(), primary);
    }
    if w.def.is_some() || w.message.is_some() {
        let p = &mut org.presence;
        let prev = p.presences.get(&key).cloned();
        let offline = p.system_definition("Offline");
        let offline = offline.map(|d| (d.id.clone(), d.system_presence.clone()));
        let (definition_id, system_presence) = w
            .def
            .clone()
            .or(prev
                .as_ref()
                .map(|r| (r.definition_id.clone(), r.system_presence.clone())))
            .or(offline)
            .unwrap_or_default();
        let message = w.message.clone().or(prev.and_then(|r| r.message));
        let rec = PresRec {
            definition_id: definition_id.clone(),
            system_presence: system_presence.clone(),
            message: message.clone(),
            modified_ms: now,
        };
        p.presences.insert(key, rec);
        let write = PresenceWrite {
            user_id: w.user.clone(),
            source_id: w.source.clone(),
            definition_id,
            system_presence: system_presence.clone(),
            message,
            route: route.to_string(),
            applied_unix_ms: now,
            applied_at: Instant::now(),
        };
        if let Some(hook) = &p.hook {
            hook(&write);
        }
        p.writes.push(write);
        let drives = p.cfg.on_queue_drives_routing && p.primary_of(&w.user).0 == w.source;
        if drives && w.def.is_some() {
            routing_status::follow_presence(org, &w.user, &system_presence, now);
        }
    }
    presence_json(org, &w.user, &w.source)
}

/// `GET /api/v2/users/{userId}/presences/purecloud`.
pub fn get_purecloud(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let user = ctx.param("userId");
    live_user(org, user)?;
    Ok(presence_json(org, user, &org.presence.purecloud_source_id))
}

/// `PATCH /api/v2/users/{userId}/presences/purecloud`.
pub fn patch_purecloud(org: &mut Org, ctx: &Ctx) -> ApiResult {
    perms::require(&[EDIT], true, org.granted.as_deref())?;
    let source = org.presence.purecloud_source_id.clone();
    let body = ctx.body.unwrap_or(&Value::Null);
    let w = check(org, ctx.param("userId"), &source, body)?;
    Ok(apply(org, w, R_PURECLOUD))
}

fn custom_source(org: &Org, ctx: &Ctx) -> Result<String, ApiError> {
    let source = ctx.param("sourceId");
    if source == org.presence.purecloud_source_id {
        return Err(ApiError::bad_request(
            "Registered sources are not supported on this path; use /presences/purecloud",
        ));
    }
    if org.presence.source(source).is_none() {
        return Err(ApiError::resource_not_found(format!(
            "Presence source '{source}' not found"
        )));
    }
    Ok(source.to_string())
}

/// `GET /api/v2/users/{userId}/presences/{sourceId}` (custom sources).
pub fn get_source(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let source = custom_source(org, ctx)?;
    let user = ctx.param("userId");
    live_user(org, user)?;
    Ok(presence_json(org, user, &source))
}

/// `PATCH /api/v2/users/{userId}/presences/{sourceId}` (custom sources only).
pub fn patch_source(org: &mut Org, ctx: &Ctx) -> ApiResult {
    perms::require(&[EDIT], true, org.granted.as_deref())?;
    let source = custom_source(org, ctx)?;
    let body = ctx.body.unwrap_or(&Value::Null);
    let w = check(org, ctx.param("userId"), &source, body)?;
    Ok(apply(org, w, R_SOURCE))
}

/// `PUT /api/v2/users/presences/bulk`: 1 to `bulk_max` entries, each with the user (`id`) and
/// `sourceId` (a custom source or the org's `PURECLOUD` source), one entry per user and
/// source. All-or-nothing: any invalid entry refuses the whole call with 400 naming it.
pub fn put_bulk(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let items = ctx.body.and_then(Value::as_array).map_or(&[][..], |a| a);
    let max = org.presence.cfg.bulk_max;
    if items.is_empty() {
        return Err(ApiError::bad_request("At least one presence is required"));
    }
    if items.len() > max {
        return Err(ApiError::bad_request(format!(
            "At most {max} presences can be set per request ({} given)",
            items.len()
        )));
    }
    let mut writes = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let at = |m: &str| ApiError::bad_request(format!("[{i}]: {m}"));
        let user = item["id"].as_str().filter(|s| !s.is_empty());
        let source = item["sourceId"].as_str().filter(|s| !s.is_empty());
        let (Some(user), Some(source)) = (user, source) else {
            return Err(at("id (the user) and sourceId are required"));
        };
        if !seen.insert((user, source)) {
            return Err(at(&format!(
                "user '{user}' appears more than once for source '{source}'"
            )));
        }
        writes.push(check(org, user, source, item).map_err(|e| at(&e.message))?);
    }
    let out = writes.into_iter().map(|w| apply(org, w, R_BULK)).collect();
    Ok(Value::Array(out))
}

/// The users of a bulk read (`id` repeated, 1 to 50); unknown and deleted users are left out.
fn bulk_read(org: &Org, ctx: &Ctx, source: &str) -> ApiResult {
    let mut ids = ctx.q_all("id");
    if ids.is_empty() || ids.len() > BULK_READ_MAX {
        return Err(ApiError::bad_request(format!(
            "Between 1 and {BULK_READ_MAX} user ids are required ({} given)",
            ids.len()
        )));
    }
    let mut once = HashSet::new();
    ids.retain(|id| once.insert(*id));
    let out = ids
        .into_iter()
        .filter(|id| live_user(org, id).is_ok())
        .map(|id| {
            let mut v = presence_json(org, id, source);
            v["userId"] = json!(id);
            if let Some(o) = v.as_object_mut() {
                o.remove("primary");
            }
            v
        })
        .collect();
    Ok(Value::Array(out))
}

/// `GET /api/v2/users/presences/purecloud/bulk?id=…`.
pub fn get_bulk_purecloud(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let source = org.presence.purecloud_source_id.clone();
    bulk_read(org, ctx, &source)
}

/// `GET /api/v2/users/presences/{sourceId}/bulk?id=…`.
pub fn get_bulk_source(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let source = custom_source(org, ctx)?;
    bulk_read(org, ctx, &source)
}

/// Every user's presences, primary source and effective presence (control dump).
pub fn dump(org: &Org) -> Value {
    let mut users: Vec<&str> = org
        .presence
        .presences
        .keys()
        .map(|(u, _)| u.as_str())
        .chain(org.presence.primary.keys().map(String::as_str))
        .collect();
    users.sort_unstable();
    users.dedup();
    let mut out = serde_json::Map::new();
    for u in users {
        let (primary, registered) = org.presence.primary_of(u);
        let mut by_source: Vec<Value> = org
            .presence
            .presences
            .keys()
            .filter(|(pu, _)| pu == u)
            .map(|(_, s)| presence_json(org, u, s))
            .collect();
        by_source.sort_by(|a, b| a["sourceId"].to_string().cmp(&b["sourceId"].to_string()));
        out.insert(
            u.to_string(),
            json!({"primarySource": {"sourceId": primary, "registered": registered},
                   "presence": presence_json(org, u, &primary), "sources": by_source}),
        );
    }
    Value::Object(out)
}

/// A user's presence in their primary source, as `UserPresence` JSON.
pub fn effective(org: &Org, user: &str) -> Value {
    presence_json(org, user, &org.presence.primary_of(user).0)
}
