//! Out of office (API-FACTS §6): `GET/PUT /api/v2/users/{userId}/outofoffice`.
//!
//! The model has no required fields; the emulator takes the strict reading of the expected use
//! (DECIDED, UNCONFIRMED in the facts):
//! - `active` must be given;
//! - `active: true` needs `startDate` and exactly one of `endDate` (after `startDate`) or
//!   `indefinite: true`;
//! - `active: false` clears it (dates and `indefinite` are dropped).
//!
//! With `PresenceConfig::ooo_update_forbidden` every PUT is 403 `outofoffice.update.error`
//! "Cannot update another user's OutOfOffice." (the 2018 spec's answer).

use crate::errors::ApiError;
use crate::org::Org;
use crate::presence::live_user;
use crate::server::{ApiResult, Ctx};
use crate::util::parse_iso8601_ms;
use serde_json::{json, Value};

/// A user's out-of-office as last set.
#[derive(Clone, Debug)]
pub struct OooRec {
    /// GUID, given on the first PUT.
    pub id: String,
    /// Whether the user is out of office.
    pub active: bool,
    /// Open-ended.
    pub indefinite: bool,
    /// As sent.
    pub start_date: Option<String>,
    /// As sent.
    pub end_date: Option<String>,
}

/// The user's out-of-office as the API answers it.
pub fn to_json(org: &Org, user: &str) -> Value {
    let user_ref = json!({"id": user, "selfUri": format!("/api/v2/users/{user}")});
    let self_uri = format!("/api/v2/users/{user}/outofoffice");
    let Some(r) = org.out_of_office.get(user) else {
        return json!({"user": user_ref, "active": false, "indefinite": false, "selfUri": self_uri});
    };
    let mut v = json!({"id": r.id, "user": user_ref, "active": r.active,
                       "indefinite": r.indefinite, "selfUri": self_uri});
    if let Some(s) = &r.start_date {
        v["startDate"] = json!(s);
    }
    if let Some(e) = &r.end_date {
        v["endDate"] = json!(e);
    }
    v
}

/// `GET /api/v2/users/{userId}/outofoffice`: `active: false` until set.
pub fn get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let user = ctx.param("userId");
    live_user(org, user)?;
    Ok(to_json(org, user))
}

/// `PUT /api/v2/users/{userId}/outofoffice`.
pub fn put(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let user = ctx.param("userId").to_string();
    live_user(org, &user)?;
    if org.presence.cfg.ooo_update_forbidden {
        return Err(ApiError::new(
            403,
            "outofoffice.update.error",
            "Cannot update another user's OutOfOffice.",
        ));
    }
    let b = ctx.body.unwrap_or(&Value::Null);
    let Some(active) = b["active"].as_bool() else {
        return Err(ApiError::bad_request("active is required"));
    };
    let indefinite = b["indefinite"].as_bool().unwrap_or(false);
    let start = b["startDate"].as_str();
    let end = b["endDate"].as_str();
    if active {
        let Some(start) = start else {
            return Err(ApiError::bad_request(
                "startDate is required when active is true",
            ));
        };
        match (end, indefinite) {
            (None, false) => {
                return Err(ApiError::bad_request(
                    "endDate or indefinite: true is required when active is true",
                ))
            }
            (Some(_), true) => {
                return Err(ApiError::bad_request(
                    "endDate cannot be combined with indefinite: true",
                ))
            }
            (Some(e), false) => {
                let (s_ms, e_ms) = (parse_iso8601_ms(start), parse_iso8601_ms(e));
                if s_ms.zip(e_ms).is_none_or(|(s, e)| e <= s) {
                    return Err(ApiError::bad_request("endDate must be after startDate"));
                }
            }
            (None, true) => {}
        }
    }
    let id = match org.out_of_office.get(&user) {
        Some(r) => r.id.clone(),
        None => org.rng.guid(),
    };
    let rec = OooRec {
        id,
        active,
        indefinite: active && indefinite,
        start_date: start.filter(|_| active).map(str::to_string),
        end_date: end.filter(|_| active).map(str::to_string),
    };
    org.out_of_office.insert(user.clone(), rec);
    Ok(to_json(org, &user))
}
