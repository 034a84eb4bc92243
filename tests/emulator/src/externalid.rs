//! User external identifiers (API-FACTS §11): `(authorityName, externalKey)` pairs a client
//! stores on a Genesys user and looks the user up by. Authority and key are case-sensitive;
//! a pair maps to one user in the org (one-to-one); a user holds at most 100 pairs.
//!
//! Decisions (UNCONFIRMED, see README): one key per authority per user (the per-authority GET
//! returns one object), so adding a different key under an authority the user already has, or
//! a pair another user holds, is 409 `general.conflict`; adding the same pair again changes
//! nothing; deleted users have no visible identifiers (404), like `GET /api/v2/users/{userId}`.

use crate::errors::ApiError;
use crate::org::{Org, UserRec};
use crate::server::{ApiResult, Ctx};
use serde_json::{json, Value};

/// Identifiers per user, at most.
const MAX_PER_USER: usize = 100;

fn not_found() -> ApiError {
    ApiError::resource_not_found("Unable to find a user with that userId")
}

fn live<'a>(org: &'a Org, id: &str) -> Result<&'a UserRec, ApiError> {
    org.user(id)
        .filter(|u| u.state != "deleted")
        .ok_or_else(not_found)
}

fn ident(user_id: &str, authority: &str, key: &str) -> Value {
    json!({
        "authorityName": authority,
        "externalKey": key,
        "selfUri": format!("/api/v2/users/{user_id}/externalid/{authority}/{key}"),
    })
}

fn all_of(u: &UserRec) -> Value {
    Value::Array(
        u.external_ids
            .iter()
            .map(|(a, k)| ident(&u.id, a, k))
            .collect(),
    )
}

/// `GET /api/v2/users/{userId}/externalid`.
pub fn list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    Ok(all_of(live(org, ctx.param("userId"))?))
}

/// `POST /api/v2/users/{userId}/externalid` → the user's identifiers after the add.
pub fn add(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let b = ctx.body.unwrap_or(&Value::Null);
    let (authority, key) = (
        b["authorityName"].as_str().unwrap_or(""),
        b["externalKey"].as_str().unwrap_or(""),
    );
    if authority.is_empty() || key.is_empty() {
        return Err(ApiError::bad_request(
            "authorityName and externalKey are required",
        ));
    }
    let id = ctx.param("userId").to_string();
    let u = live(org, &id)?;
    match u.external_ids.iter().find(|(a, _)| a == authority) {
        Some((_, k)) if k == key => return Ok(all_of(u)),
        Some((_, k)) => {
            return Err(ApiError::conflict(format!(
                "The user already has the external identifier '{k}' for authority '{authority}'"
            )))
        }
        None if u.external_ids.len() >= MAX_PER_USER => {
            return Err(ApiError::bad_request(format!(
                "A user can have at most {MAX_PER_USER} external identifiers"
            )))
        }
        None => {}
    }
    if let Some(other) = owner(org, authority, key) {
        return Err(ApiError::conflict(format!(
            "The external identifier '{key}' of authority '{authority}' belongs to user {other}"
        )));
    }
    let u = org.user_mut(&id).ok_or_else(not_found)?;
    u.external_ids
        .push((authority.to_string(), key.to_string()));
    Ok(all_of(u))
}

fn owner(org: &Org, authority: &str, key: &str) -> Option<String> {
    org.users
        .iter()
        .find(|u| {
            u.external_ids
                .iter()
                .any(|(a, k)| a == authority && k == key)
        })
        .map(|u| u.id.clone())
}

/// `GET /api/v2/users/{userId}/externalid/{authorityName}`.
pub fn get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let u = live(org, ctx.param("userId"))?;
    let authority = ctx.param("authorityName");
    u.external_ids
        .iter()
        .find(|(a, _)| a == authority)
        .map(|(a, k)| ident(&u.id, a, k))
        .ok_or_else(|| {
            ApiError::resource_not_found(format!(
                "The user has no external identifier for authority '{authority}'"
            ))
        })
}

/// `DELETE /api/v2/users/{userId}/externalid/{authorityName}/{externalKey}` (204).
pub fn delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("userId").to_string();
    let (authority, key) = (ctx.param("authorityName"), ctx.param("externalKey"));
    let held = live(org, &id)?
        .external_ids
        .iter()
        .any(|(a, k)| a == authority && k == key);
    if !held {
        return Err(ApiError::resource_not_found(format!(
            "The user has no external identifier '{key}' for authority '{authority}'"
        )));
    }
    let u = org.user_mut(&id).ok_or_else(not_found)?;
    u.external_ids
        .retain(|(a, k)| !(a == authority && k == key));
    Ok(Value::Null)
}

/// `GET /api/v2/users/externalid/{authorityName}/{externalKey}` → the User.
pub fn lookup(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let (authority, key) = (ctx.param("authorityName"), ctx.param("externalKey"));
    owner(org, authority, key)
        .and_then(|id| org.user(&id).filter(|u| u.state != "deleted"))
        .map(UserRec::to_json)
        .ok_or_else(|| {
            ApiError::resource_not_found(format!(
                "No user has the external identifier '{key}' for authority '{authority}'"
            ))
        })
}
