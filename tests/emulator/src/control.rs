//! `/__emulator/...` control endpoints (no auth, no faults, not logged).

use crate::errors::ApiError;
use crate::faults::{Faults, InjectedFault};
use crate::http::{HttpRequest, HttpResponse};
use crate::org::Org;
use crate::server::Shared;
use crate::util::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// Seed a user directly into the org. Errors: bad state or email already taken.
pub fn seed_user(
    org: &mut Org,
    home: &str,
    name: &str,
    email: &str,
    state: &str,
) -> Result<String, String> {
    if !["active", "inactive", "deleted"].contains(&state) {
        return Err(format!(
            "state must be active, inactive or deleted, not '{state}'"
        ));
    }
    if org.user_by_email(email).is_some() {
        return Err(format!("email '{email}' is already taken"));
    }
    Ok(org.insert_user(name, email, state, home))
}

/// `{"METHOD route": n}` over the log.
pub fn counts(org: &Org) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in &org.log {
        *m.entry(format!("{} {}", r.method, r.route)).or_insert(0) += 1;
    }
    m
}

/// A control body as `T` (an empty body reads as `{}`).
pub fn parse<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let body = if req.body.is_empty() {
        b"{}".as_slice()
    } else {
        &req.body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("bad control body: {e}")))
}

/// Dispatch one control request.
pub fn handle(sh: &Shared, req: &HttpRequest, corr: &str) -> HttpResponse {
    match route(sh, req) {
        Ok(v) => HttpResponse::json(200, &v),
        Err(e) => e.to_response(corr),
    }
}

fn route(sh: &Shared, req: &HttpRequest) -> Result<Value, ApiError> {
    let name = req.path.trim_start_matches("/__emulator/");
    let mut org = sh.lock();
    match (req.method.as_str(), name) {
        ("GET", "users") => Ok(Value::Array(
            org.users.iter().map(|u| u.to_json()).collect(),
        )),
        ("GET", "requests") => Ok(serde_json::to_value(&org.log).unwrap_or_default()),
        ("GET", "counts") => Ok(json!(counts(&org))),
        ("POST", "clear-requests") => {
            org.log.clear();
            Ok(json!({}))
        }
        ("POST", "faults") => {
            let f: Faults = parse(req)?;
            org.fault_rng = Rng::new(f.seed);
            org.tokens_expired_at = None;
            org.faults = f;
            Ok(json!({}))
        }
        ("POST", "permissions") => {
            let v: Value = parse(req)?;
            let granted = match &v["granted"] {
                Value::Null => None,
                g => Some(serde_json::from_value(g.clone()).map_err(|e| {
                    ApiError::bad_request(format!("granted: a list of permissions or null ({e})"))
                })?),
            };
            org.granted = granted;
            Ok(json!({}))
        }
        ("POST", "expand-missing") => crate::user_expand::control(&mut org, &parse(req)?),
        ("POST", "user-conflict") => {
            org.user_conflict = parse(req)?;
            Ok(json!({}))
        }
        ("POST", "inject") => {
            let f: InjectedFault = parse(req)?;
            org.injected.push(f);
            Ok(json!({}))
        }
        ("POST", "users") => {
            let v: Value = parse(req)?;
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let state = v["state"].as_str().unwrap_or("active");
            let id = seed_user(
                &mut org,
                &sh.cfg.home_division_id,
                &s("name"),
                &s("email"),
                state,
            )
            .map_err(ApiError::conflict)?;
            Ok(json!({"id": id}))
        }
        ("POST", "bump-version") => {
            let v: Value = parse(req)?;
            let u = org.user_mut(v["id"].as_str().unwrap_or_default());
            let u = u.ok_or_else(|| ApiError::resource_not_found("no such user"))?;
            u.version += 1;
            Ok(json!({"version": u.version}))
        }
        ("POST", "expire-tokens") => {
            crate::auth::expire_all(&mut org);
            Ok(json!({}))
        }
        ("POST", "shutdown") => {
            sh.stop.store(true, Ordering::SeqCst);
            Ok(json!({}))
        }
        (method, name) => {
            let body = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let home = &sh.cfg.home_division_id;
            crate::adv_control::route(&mut org, home, method, name, &body)
                .or_else(|| crate::presence_control::route(&mut org, method, name, req))
                .unwrap_or_else(|| {
                    Err(ApiError::new(
                        404,
                        "not.found",
                        format!("no control endpoint {} {}", req.method, req.path),
                    ))
                })
        }
    }
}
