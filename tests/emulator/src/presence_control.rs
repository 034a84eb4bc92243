//! Control endpoints and [`Emulator`] methods for presence, out-of-office and routing status:
//! seed and delete definitions, force a primary source or a routing status (what another
//! integration or the ACD would do), change the UNCONFIRMED rules, dump the per-user state and
//! the log of applied presence writes, and the hook timed at each applied write.

use crate::control::parse;
use crate::errors::ApiError;
use crate::http::HttpRequest;
use crate::org::Org;
use crate::presence::{DefRec, PresenceConfig, PresenceHook, PresenceWrite};
use crate::routing_status::{self, STATUSES};
use crate::util::unix_now_ms;
use crate::{out_of_office, user_presence, Emulator};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// `{userId: f(userId)}` over a per-user map, sorted by user id (a control dump).
fn per_user<T>(map: &HashMap<String, T>, f: impl Fn(&str) -> Value) -> Value {
    let mut users: Vec<&String> = map.keys().collect();
    users.sort();
    Value::Object(users.into_iter().map(|u| (u.clone(), f(u))).collect())
}

fn ooo_dump(org: &Org) -> Value {
    per_user(&org.out_of_office, |u| out_of_office::to_json(org, u))
}

fn routing_dump(org: &Org) -> Value {
    per_user(&org.routing, |u| routing_status::to_json(org, u))
}

fn str_field<'a>(v: &'a Value, k: &str) -> Result<&'a str, ApiError> {
    v[k].as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("{k} is required")))
}

fn seed_definition(org: &mut Org, v: &Value) -> Result<String, String> {
    let labels: BTreeMap<String, String> =
        serde_json::from_value(v["languageLabels"].clone()).map_err(|e| e.to_string())?;
    let sp = v["systemPresence"].as_str().unwrap_or("");
    let deactivated = v["deactivated"].as_bool().unwrap_or(false);
    let Org { presence, rng, .. } = org;
    presence.seed_definition(rng, sp, labels, deactivated)
}

fn set_routing(org: &mut Org, user: &str, status: &str) -> Result<(), String> {
    if !STATUSES.contains(&status) {
        return Err(format!("status must be one of {}", STATUSES.join(", ")));
    }
    routing_status::set(org, user, status, unix_now_ms());
    Ok(())
}

/// A presence control request, or `None` when `name` is not one of these endpoints.
pub fn route(
    org: &mut Org,
    method: &str,
    name: &str,
    req: &HttpRequest,
) -> Option<Result<Value, ApiError>> {
    let r = match (method, name) {
        ("GET", "presences") => Ok(user_presence::dump(org)),
        ("GET", "out-of-office") => Ok(ooo_dump(org)),
        ("GET", "routing-status") => Ok(routing_dump(org)),
        ("GET", "presence-writes") => Ok(json!(org.presence.writes)),
        ("GET", "presence-definitions") => Ok(json!(definitions(org))),
        ("POST", "presence-definitions") => parse::<Value>(req).and_then(|v| {
            let id = seed_definition(org, &v).map_err(ApiError::bad_request)?;
            Ok(json!({"id": id}))
        }),
        ("POST", "delete-presence-definition") => parse::<Value>(req).and_then(|v| {
            let id = str_field(&v, "id")?;
            if !delete_definition(org, id) {
                return Err(ApiError::resource_not_found("no such presence definition"));
            }
            Ok(json!({}))
        }),
        ("POST", "primary-source") => parse::<Value>(req).and_then(|v| {
            let (user, source) = (str_field(&v, "userId")?, str_field(&v, "sourceId")?);
            let registered = v["registered"].as_bool().unwrap_or(false);
            let primary = (source.to_string(), registered);
            org.presence.primary.insert(user.to_string(), primary);
            Ok(json!({}))
        }),
        ("POST", "routing-status") => parse::<Value>(req).and_then(|v| {
            let (user, status) = (str_field(&v, "userId")?, str_field(&v, "status")?);
            set_routing(org, user, status).map_err(ApiError::bad_request)?;
            Ok(json!({}))
        }),
        ("POST", "presence-config") => parse::<PresenceConfig>(req).map(|c| {
            org.presence.cfg = c;
            json!({})
        }),
        _ => return None,
    };
    Some(r)
}

fn definitions(org: &Org) -> Vec<Value> {
    org.presence
        .definitions
        .iter()
        .map(DefRec::to_json)
        .collect()
}

fn delete_definition(org: &mut Org, id: &str) -> bool {
    let before = org.presence.definitions.len();
    org.presence.definitions.retain(|d| d.id != id);
    org.presence.definitions.len() != before
}

/// Presence, out-of-office and routing status.
impl Emulator {
    /// The id of the org's `System` definition for a system presence (`OnQueue`, `Busy`, ...).
    pub fn presence_definition_id(&self, system_presence: &str) -> Option<String> {
        let org = self.shared.lock();
        let d = org.presence.system_definition(system_presence);
        d.map(|d| d.id.clone())
    }

    /// Every presence definition (deactivated ones too) as `OrganizationPresenceDefinition`.
    pub fn presence_definitions(&self) -> Vec<Value> {
        definitions(&self.shared.lock())
    }

    /// Seed an org-defined secondary presence under `system_presence` with an `en_US` label.
    /// Panics on an unknown system presence (test set-up error). Returns its id.
    pub fn seed_presence_definition(&self, system_presence: &str, label: &str) -> String {
        let v = json!({"systemPresence": system_presence, "languageLabels": {"en_US": label}});
        seed_definition(&mut self.shared.lock(), &v)
            .unwrap_or_else(|e| panic!("seed_presence_definition: {e}"))
    }

    /// Delete a definition (as an admin would in the org); false if there was none.
    pub fn delete_presence_definition(&self, id: &str) -> bool {
        delete_definition(&mut self.shared.lock(), id)
    }

    /// The id of the org's Genesys-native (`PURECLOUD`) presence source.
    pub fn purecloud_source_id(&self) -> String {
        self.shared.lock().presence.purecloud_source_id.clone()
    }

    /// A user's presence in their primary source (`UserPresence` JSON).
    pub fn user_presence(&self, user_id: &str) -> Value {
        user_presence::effective(&self.shared.lock(), user_id)
    }

    /// Per user: primary source, effective presence and presence per source.
    pub fn presences(&self) -> Value {
        user_presence::dump(&self.shared.lock())
    }

    /// Every applied presence write, oldest first.
    pub fn presence_writes(&self) -> Vec<PresenceWrite> {
        self.shared.lock().presence.writes.clone()
    }

    /// Call `hook` for each presence write from now on, at the moment it is applied, with the
    /// org lock held (keep it short). `None` removes it.
    pub fn set_presence_hook(&self, hook: Option<PresenceHook>) {
        self.shared.lock().presence.hook = hook;
    }

    /// Replace the presence rules and limits; applies to the next request.
    pub fn set_presence_config(&self, cfg: PresenceConfig) {
        self.shared.lock().presence.cfg = cfg;
    }

    /// Make `source_id` the user's primary source without any check, as another integration
    /// (e.g. Microsoft Teams, `registered: true`) taking over would.
    pub fn set_primary_source(&self, user_id: &str, source_id: &str, registered: bool) {
        let primary = (source_id.to_string(), registered);
        self.shared
            .lock()
            .presence
            .primary
            .insert(user_id.to_string(), primary);
    }

    /// A user's out-of-office as `GET …/outofoffice` answers it; `None` if never set.
    pub fn out_of_office(&self, user_id: &str) -> Option<Value> {
        let org = self.shared.lock();
        let set = org.out_of_office.contains_key(user_id);
        set.then(|| out_of_office::to_json(&org, user_id))
    }

    /// A user's routing status as `GET …/routingstatus` answers it.
    pub fn routing_status(&self, user_id: &str) -> Value {
        routing_status::to_json(&self.shared.lock(), user_id)
    }

    /// Set a routing status as the system does (an ACD interaction arriving: `INTERACTING`),
    /// bypassing the transition table. Panics on a status outside the enum.
    pub fn set_routing_status(&self, user_id: &str, status: &str) {
        set_routing(&mut self.shared.lock(), user_id, status)
            .unwrap_or_else(|e| panic!("set_routing_status: {e}"));
    }
}
