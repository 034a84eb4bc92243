//! `/api/v2/users` handlers. Bodies reaching these were already schema-validated.

use crate::errors::ApiError;
use crate::org::{same_email, Org, Seen};
use crate::server::{ApiResult, Ctx};
use crate::user_fields::{check_email, check_extension_change, check_name, phone_contacts};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How `POST /api/v2/users` refuses an email another user (of any state) holds. API-FACTS §11:
/// Genesys' Terraform provider expects 409 `general.conflict`, Genesys' own provisioning guide
/// reports 400 "conflicting users"; whether the ErrorBody names the holder in `entityId` is
/// UNCONFIRMED. Default: 409 without `entityId` (a client must find the holder itself).
/// JSON form (control endpoint): `{"bad_request": bool, "entity_id": bool}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserConflict {
    /// Answer 400 `bad.request` "Conflicting users: …" instead of 409 `general.conflict`.
    pub bad_request: bool,
    /// Name the user holding the email in the ErrorBody's `entityId`.
    pub entity_id: bool,
}

impl UserConflict {
    fn refusal(&self, email: &str, state: &str, holder: &str) -> ApiError {
        let e = if self.bad_request {
            ApiError::bad_request(format!(
                "Conflicting users: the email '{email}' belongs to another user (state {state})"
            ))
        } else {
            ApiError::conflict(format!(
                "A user with email '{email}' already exists (state {state})"
            ))
        };
        if self.entity_id {
            e.with_entity_id(holder)
        } else {
            e
        }
    }
}

const USER_STATES: [&str; 3] = ["active", "inactive", "deleted"];
/// Fields of `UpdateUser` that are stored verbatim and echoed back.
const STORED_FIELDS: [&str; 12] = [
    "department",
    "title",
    "preferredName",
    "acdAutoAnswer",
    "profileSkills",
    "certifications",
    "biography",
    "employerInfo",
    "images",
    "locations",
    "groups",
    "manager",
];

/// `POST /api/v2/users`.
pub fn create(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let b = ctx.body.unwrap_or(&Value::Null);
    let name = b["name"].as_str().unwrap_or_default();
    let email = b["email"].as_str().unwrap_or_default();
    check_name(name)?;
    check_email(email)?;
    let division = b["divisionId"]
        .as_str()
        .unwrap_or(&ctx.cfg.home_division_id);
    if division != ctx.cfg.home_division_id {
        return Err(ApiError::bad_request(format!(
            "divisionId: division '{division}' not found"
        )));
    }
    if let Some(u) = org.user_by_email(email) {
        return Err(org.user_conflict.refusal(email, &u.state, &u.id));
    }
    let addresses = phone_contacts(b["addresses"].as_array().map_or(&[], Vec::as_slice))?;
    check_extension_change(org, &[], &addresses)?;
    let state = b["state"].as_str().unwrap_or("active");
    let id = org.insert_user(name, email, state, division);
    let u = org.user_mut(&id).expect("just inserted");
    u.addresses = addresses;
    for k in ["department", "title"] {
        if let Some(v) = b.get(k).filter(|v| !v.is_null()) {
            u.extra.insert(k.into(), v.clone());
        }
    }
    Ok(u.to_json())
}

/// `GET /api/v2/users/{userId}`: active and inactive users by default, any user with
/// `?state=deleted`.
pub fn get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("userId");
    let want_deleted = ctx.q("state") == Some("deleted");
    match org.user(id) {
        Some(u) if want_deleted || u.state != "deleted" => Ok(u.to_json()),
        _ => Err(ApiError::resource_not_found(
            "Unable to find a user with that userId",
        )),
    }
}

fn page_arg(ctx: &Ctx, name: &str, default: i64, max: i64) -> Result<i64, ApiError> {
    let v = ctx.q(name).map_or(Ok(default), str::parse::<i64>);
    match v {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be between 1 and {max}"
        ))),
    }
}

fn sorted_by_name(users: &mut [Value], descending: bool) {
    users.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["name"].as_str().unwrap_or("").to_lowercase(),
                v["id"].to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    if descending {
        users.reverse();
    }
}

/// `GET /api/v2/users`. With `id=` (repeated, at most 100) the users are read by id and are
/// current; the paged listing without ids lags `list_lag_ms` behind the writes.
pub fn list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let size = page_arg(ctx, "pageSize", 25, 500)?;
    let number = page_arg(ctx, "pageNumber", 1, i64::MAX / 1000)?;
    let mut ids = ctx.q_all("id");
    if ids.len() > 100 {
        return Err(ApiError::new(
            400,
            "max.user.ids",
            "Only 100 users can be requested at a time.",
        ));
    }
    if !ids.is_empty() && !ctx.q_all("jabberId").is_empty() {
        return Err(ApiError::bad_request("id and jabberId cannot be combined"));
    }
    let state = ctx.q("state").unwrap_or("active");
    if state == "inactive" && number * size > 10_000 {
        return Err(ApiError::bad_request(
            "Listing inactive users is limited to the first 10000 results",
        ));
    }
    let seen: Vec<Seen> = if ids.is_empty() {
        org.users.iter().filter_map(|u| org.list_seen(u)).collect()
    } else {
        ids.sort_unstable();
        ids.dedup();
        ids.iter()
            .filter_map(|id| org.user(id))
            .map(Seen::Live)
            .collect()
    };
    let mut all: Vec<(String, Seen)> = seen
        .into_iter()
        .filter(|u| state == "any" || u.field("state") == state)
        .map(|u| (u.field("name").to_lowercase(), u))
        .collect();
    all.sort_by(|a, b| (&a.0, a.1.field("id")).cmp(&(&b.0, b.1.field("id"))));
    if ctx.q("sortOrder") == Some("descending") {
        all.reverse();
    }
    let total = all.len() as i64;
    let page_count = (total + size - 1) / size;
    let start = ((number - 1) * size).min(total) as usize;
    let mut entities: Vec<Value> = all
        .into_iter()
        .skip(start)
        .take(size as usize)
        .map(|(_, u)| u.into_json())
        .collect();
    crate::user_expand::fill(org, &ctx.q_all("expand"), &mut entities);
    let uri = |n: i64| format!("/api/v2/users?pageSize={size}&pageNumber={n}&state={state}");
    let mut v = json!({
        "entities": entities, "pageSize": size, "pageNumber": number, "total": total,
        "pageCount": page_count, "firstUri": uri(1), "selfUri": uri(number),
        "lastUri": uri(page_count.max(1)),
    });
    if number < page_count {
        v["nextUri"] = json!(uri(number + 1));
    }
    if number > 1 {
        v["previousUri"] = json!(uri(number - 1));
    }
    Ok(v)
}

const SEARCH_FIELDS: [&str; 4] = ["email", "state", "id", "name"];

/// `POST /api/v2/users/search`: EXACT criteria on email/state/id/name, AND-ed.
pub fn search(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let b = ctx.body.unwrap_or(&Value::Null);
    let size = b["pageSize"].as_i64().unwrap_or(25);
    let number = b["pageNumber"].as_i64().unwrap_or(1);
    if !(1..=100).contains(&size) || number < 1 {
        return Err(ApiError::bad_request(
            "pageSize must be 1..100 and pageNumber >= 1",
        ));
    }
    let criteria = b["query"].as_array().cloned().unwrap_or_default();
    let mut state_given = false;
    for c in &criteria {
        if c["type"] != "EXACT" {
            return Err(ApiError::bad_request(format!(
                "criterion type {} is not supported by the emulator (only EXACT)",
                c["type"]
            )));
        }
        if c.get("group").is_some_and(|g| !g.is_null())
            || c["operator"].as_str().is_some_and(|o| o != "AND")
        {
            return Err(ApiError::bad_request(
                "criteria groups and OR/NOT operators are not supported by the emulator",
            ));
        }
        let fields = c["fields"].as_array().map_or(&[][..], Vec::as_slice);
        if fields.is_empty() || c["value"].is_null() && c["values"].is_null() {
            return Err(ApiError::bad_request(
                "an EXACT criterion needs fields and value or values",
            ));
        }
        for f in fields {
            if !SEARCH_FIELDS.iter().any(|s| f == s) {
                return Err(ApiError::bad_request(format!(
                    "search field {f} is not supported by the emulator (email, state, id, name)"
                )));
            }
            state_given |= f == "state";
        }
    }
    let matches = |u: &Seen, c: &Value| {
        let mut wanted: Vec<&str> = c["values"]
            .as_array()
            .map_or(vec![], |a| a.iter().filter_map(Value::as_str).collect());
        wanted.extend(c["value"].as_str());
        c["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|f| {
                let have = u.field(f);
                wanted.iter().any(|w| {
                    if f == "email" {
                        same_email(w, have)
                    } else {
                        *w == have
                    }
                })
            })
    };
    let mut hits: Vec<Value> = org
        .users
        .iter()
        .filter_map(|u| org.search_seen(u))
        .filter(|u| state_given || u.field("state") != "deleted")
        .filter(|u| criteria.iter().all(|c| matches(u, c)))
        .map(Seen::into_json)
        .collect();
    sorted_by_name(&mut hits, b["sortOrder"] == "DESC");
    let total = hits.len() as i64;
    let results: Vec<Value> = hits
        .into_iter()
        .skip(((number - 1) * size) as usize)
        .take(size as usize)
        .collect();
    Ok(json!({
        "total": total, "pageCount": (total + size - 1) / size, "pageSize": size,
        "pageNumber": number, "types": ["users"], "results": results,
    }))
}

/// `PATCH /api/v2/users/{userId}`.
pub fn patch(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let b = ctx.body.unwrap_or(&Value::Null);
    let id = ctx.param("userId").to_string();
    let not_found = || ApiError::resource_not_found("Unable to find a user with that userId");
    let u = org.user(&id).ok_or_else(not_found)?.clone();
    let state = b["state"].as_str();
    if u.state == "deleted" && state.is_none() {
        return Err(not_found());
    }
    let version = b["version"].as_i64().unwrap_or(-1);
    if version != u.version {
        return Err(ApiError::conflict(format!(
            "The version supplied ({version}) does not match the current version of the user ({})",
            u.version
        )));
    }
    let mut nu = u.clone();
    if let Some(s) = state {
        debug_assert!(USER_STATES.contains(&s));
        nu.state = s.to_string();
    } else {
        if let Some(email) = b["email"].as_str() {
            check_email(email)?;
            if org
                .users
                .iter()
                .any(|o| o.id != id && same_email(&o.email, email))
            {
                return Err(ApiError::conflict(format!(
                    "A user with email '{email}' already exists"
                )));
            }
            nu.email = email.to_string();
        }
        if let Some(name) = b["name"].as_str() {
            check_name(name)?;
            nu.name = name.to_string();
        }
        if let Some(list) = b["addresses"].as_array() {
            nu.addresses = phone_contacts(list)?;
            check_extension_change(org, &u.addresses, &nu.addresses)?;
        }
        if let Some(m) = b["manager"].as_str().filter(|m| !m.is_empty()) {
            if m == id || org.user(m).is_none_or(|x| x.state == "deleted") {
                return Err(ApiError::bad_request(format!(
                    "manager: user '{m}' not found"
                )));
            }
        }
        for k in STORED_FIELDS {
            match b.get(k) {
                Some(Value::String(s)) if k == "manager" && s.is_empty() => {
                    nu.extra.remove(k);
                }
                Some(v) if !v.is_null() => {
                    nu.extra.insert(k.into(), v.clone());
                }
                _ => {}
            }
        }
    }
    nu.version += 1;
    let json = nu.to_json();
    let deleting = nu.state == "deleted" && u.state != "deleted";
    *org.user_mut(&id).expect("exists") = nu;
    if deleting {
        crate::assignments::forget_user(org, &id);
    }
    Ok(json)
}

/// `DELETE /api/v2/users/{userId}`: soft delete.
pub fn delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    match org.user_mut(ctx.param("userId")) {
        Some(u) if u.state != "deleted" => {
            u.state = "deleted".into();
            u.version += 1;
            let id = u.id.clone();
            crate::assignments::forget_user(org, &id);
            Ok(json!({}))
        }
        _ => Err(ApiError::resource_not_found(
            "Unable to find a user with that userId",
        )),
    }
}
