//! Routing status (API-FACTS §6, §11): `GET/PUT /api/v2/users/{userId}/routingstatus`.
//!
//! - GET answers `OFF_QUEUE` for a user never routed, and for a user that does not exist (as
//!   the facts say the real API does).
//! - PUT accepts only the transitions in `PresenceConfig::routing_transitions` (UNCONFIRMED;
//!   default [`crate::presence::default_transitions`]); anything else is 400
//!   `general.bad.request` "An invalid routing status transition was attempted." (the 2018
//!   spec's code for this operation). A PUT of the current status changes nothing.
//! - The system side: a write of the `OnQueue` presence to the user's primary source takes an
//!   `OFF_QUEUE` user to `IDLE`; any other presence takes the user `OFF_QUEUE`
//!   ([`follow_presence`]); the control API sets any status (an ACD interaction arriving).

use crate::errors::ApiError;
use crate::org::Org;
use crate::presence::live_user;
use crate::server::{ApiResult, Ctx};
use crate::util::{iso8601_ms, unix_now_ms};
use serde_json::{json, Value};

/// The statuses of the `RoutingStatus.status` enum.
pub const STATUSES: [&str; 5] = [
    "OFF_QUEUE",
    "IDLE",
    "INTERACTING",
    "NOT_RESPONDING",
    "COMMUNICATING",
];

/// A user's routing status.
#[derive(Clone, Debug)]
pub struct RoutingRec {
    /// One of [`STATUSES`].
    pub status: String,
    /// When it began (Unix ms).
    pub start_ms: i64,
}

/// The user's routing status as the API answers it.
pub fn to_json(org: &Org, user: &str) -> Value {
    match org.routing.get(user) {
        Some(r) => json!({"userId": user, "status": r.status, "startTime": iso8601_ms(r.start_ms)}),
        None => json!({"userId": user, "status": "OFF_QUEUE"}),
    }
}

fn current(org: &Org, user: &str) -> String {
    org.routing
        .get(user)
        .map_or_else(|| "OFF_QUEUE".to_string(), |r| r.status.clone())
}

/// Set a status without any check (the system side), keeping the start time when unchanged.
pub fn set(org: &mut Org, user: &str, status: &str, now_ms: i64) {
    if current(org, user) != status || !org.routing.contains_key(user) {
        let rec = RoutingRec {
            status: status.to_string(),
            start_ms: now_ms,
        };
        org.routing.insert(user.to_string(), rec);
    }
}

/// What a presence written to the user's primary source does to routing: `OnQueue` puts an
/// `OFF_QUEUE` user `IDLE` (other statuses stay); any other presence takes the user `OFF_QUEUE`.
pub fn follow_presence(org: &mut Org, user: &str, system_presence: &str, now_ms: i64) {
    let now = current(org, user);
    if system_presence == "OnQueue" {
        if now == "OFF_QUEUE" {
            set(org, user, "IDLE", now_ms);
        }
    } else if now != "OFF_QUEUE" {
        set(org, user, "OFF_QUEUE", now_ms);
    }
}

/// `GET /api/v2/users/{userId}/routingstatus`.
pub fn get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    Ok(to_json(org, ctx.param("userId")))
}

/// `PUT /api/v2/users/{userId}/routingstatus` `{status}`.
pub fn put(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let user = ctx.param("userId");
    live_user(org, user)?;
    let b = ctx.body.unwrap_or(&Value::Null);
    let Some(to) = b["status"].as_str() else {
        return Err(ApiError::bad_request("status is required"));
    };
    if b["userId"].as_str().is_some_and(|u| u != user) {
        return Err(ApiError::bad_request(
            "userId in the body does not match the path",
        ));
    }
    let from = current(org, user);
    let allowed = from == to
        || org
            .presence
            .cfg
            .routing_transitions
            .iter()
            .any(|(f, t)| *f == from && t == to);
    if !allowed {
        return Err(ApiError::new(
            400,
            "general.bad.request",
            format!("An invalid routing status transition was attempted. ({from} -> {to})"),
        ));
    }
    set(org, user, to, unix_now_ms());
    Ok(to_json(org, user))
}
