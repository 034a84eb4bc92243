//! Presence sources and users' primary sources (API-FACTS §6): `GET/POST
//! /api/v2/presence/sources`, `GET/DELETE /api/v2/presence/sources/{sourceId}`, `GET/PUT
//! /api/v2/presence/users/{userId}/primarysource`.

use crate::errors::ApiError;
use crate::org::Org;
use crate::presence::{listing, live_user, with_deactivated, SourceRec};
use crate::server::{ApiResult, Ctx};
use serde_json::{json, Value};

/// `GET /api/v2/presence/sources`.
pub fn list_sources(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let all = with_deactivated(ctx)?;
    let entities = org
        .presence
        .sources
        .iter()
        .filter(|s| all || !s.deactivated)
        .map(SourceRec::to_json)
        .collect();
    Ok(listing(entities, "/api/v2/presence/sources"))
}

fn source_not_found(id: &str) -> ApiError {
    ApiError::resource_not_found(format!("Presence source '{id}' not found"))
}

/// `GET /api/v2/presence/sources/{sourceId}`.
pub fn get_source(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("sourceId");
    org.presence
        .source(id)
        .map(SourceRec::to_json)
        .ok_or_else(|| source_not_found(id))
}

/// `POST /api/v2/presence/sources`: a non-empty name unique in the org (case-insensitive, 409
/// `general.conflict` otherwise), within `max_sources` (400).
pub fn create_source(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let b = ctx.body.unwrap_or(&Value::Null);
    let name = b["name"].as_str().unwrap_or("").trim();
    if name.is_empty() {
        return Err(ApiError::bad_request("name: must not be empty"));
    }
    let p = &org.presence;
    if p.sources
        .iter()
        .any(|s| s.name.to_lowercase() == name.to_lowercase())
    {
        return Err(ApiError::conflict(format!(
            "A presence source named '{name}' already exists"
        )));
    }
    if let Some(max) = p.cfg.max_sources.filter(|&m| p.sources.len() >= m) {
        return Err(ApiError::bad_request(format!(
            "The organization already has the maximum of {max} presence source(s)"
        )));
    }
    let rec = SourceRec {
        id: org.rng.guid(),
        name: name.to_string(),
        description: b["description"].as_str().map(str::to_string),
        kind: b["type"].as_str().unwrap_or("User").to_string(),
        deactivated: b["deactivated"].as_bool().unwrap_or(false),
    };
    let v = rec.to_json();
    org.presence.sources.push(rec);
    Ok(v)
}

/// `DELETE /api/v2/presence/sources/{sourceId}`: the source, its users' presences in it, and
/// its place as primary source (those users fall back to `PURECLOUD`) go.
pub fn delete_source(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("sourceId").to_string();
    let p = &mut org.presence;
    if p.source(&id).is_none() {
        return Err(source_not_found(&id));
    }
    p.sources.retain(|s| s.id != id);
    p.presences.retain(|(_, s), _| *s != id);
    p.primary.retain(|_, (s, _)| *s != id);
    Ok(Value::Null)
}

fn primary_json(org: &Org, user_id: &str) -> Value {
    let (source_id, registered) = org.presence.primary_of(user_id);
    json!({"id": user_id, "sourceId": source_id, "registered": registered,
           "selfUri": format!("/api/v2/presence/users/{user_id}/primarysource")})
}

/// `GET /api/v2/presence/users/{userId}/primarysource`.
pub fn get_primary(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let user = ctx.param("userId");
    live_user(org, user)?;
    Ok(primary_json(org, user))
}

/// `PUT /api/v2/presence/users/{userId}/primarysource`: `sourceId` (required) is the org's
/// `PURECLOUD` source or an active custom source; `registered` is the server's to say (a value
/// that contradicts it is 400).
pub fn put_primary(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let user = ctx.param("userId").to_string();
    live_user(org, &user)?;
    let b = ctx.body.unwrap_or(&Value::Null);
    let Some(source) = b["sourceId"].as_str().filter(|s| !s.is_empty()) else {
        return Err(ApiError::bad_request("sourceId is required"));
    };
    let p = &org.presence;
    let registered = source == p.purecloud_source_id;
    if !registered && p.source(source).is_none_or(|s| s.deactivated) {
        return Err(ApiError::bad_request(format!(
            "sourceId: '{source}' is not an active presence source of this organization"
        )));
    }
    if b["registered"].as_bool().is_some_and(|r| r != registered) {
        return Err(ApiError::bad_request(format!(
            "registered: source '{source}' is {}a registered source",
            if registered { "" } else { "not " }
        )));
    }
    org.presence
        .primary
        .insert(user.clone(), (source.to_string(), registered));
    Ok(primary_json(org, &user))
}
