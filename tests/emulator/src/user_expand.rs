//! `expand` on `GET /api/v2/users` (listing and by-id reads). The schema already refuses a value
//! outside the documented enum (400). API-FACTS §2: expansions are "filled on a best-effort
//! basis, may be missing". The emulator fills `skills` and `languages` (each user's assignments
//! as `GET /api/v2/users/{userId}/routingskills` / `routinglanguages` list them, sorted by name;
//! an empty list for a user holding none) and leaves every other documented expansion out
//! (allowed by the same fact). For a client's fallback path, the control endpoint
//! `POST /__emulator/expand-missing` (`Emulator::omit_expand`) makes the field absent for chosen
//! users, as the real API may.

use crate::errors::ApiError;
use crate::org::Org;
use crate::paging::sort_by_name;
use crate::skills::Kind;
use serde_json::{json, Value};
use std::collections::HashSet;

/// `(user id, field)` pairs whose expansion is left out.
pub type Missing = HashSet<(String, String)>;

/// The expansions the emulator fills, with the kind of assignment each lists.
const FILLED: [(&str, Kind); 2] = [("skills", Kind::Skill), ("languages", Kind::Language)];

/// Adds the requested expansions the emulator fills to each user of `users`.
pub fn fill(org: &Org, expand: &[&str], users: &mut [Value]) {
    for (field, kind) in FILLED {
        if !expand.contains(&field) {
            continue;
        }
        for u in users.iter_mut() {
            let Some(id) = u["id"].as_str().map(str::to_string) else {
                continue;
            };
            if org
                .expand_missing
                .contains(&(id.clone(), field.to_string()))
            {
                continue;
            }
            let mut list = crate::assignments::entries(org, kind, &id);
            sort_by_name(&mut list, false);
            u[field] = Value::Array(list);
        }
    }
}

/// `POST /__emulator/expand-missing` `{"userId": id, "fields": ["skills", "languages"]}`: those
/// expansions are absent for that user from now on; `{"clear": true}` fills them for everyone
/// again.
pub fn control(org: &mut Org, body: &Value) -> Result<Value, ApiError> {
    if body["clear"] == true {
        org.expand_missing.clear();
        return Ok(json!({}));
    }
    let user = body["userId"]
        .as_str()
        .filter(|u| org.user(u).is_some())
        .ok_or_else(|| ApiError::bad_request("userId: an existing user's id is required"))?;
    let fields = body["fields"].as_array().cloned().unwrap_or_default();
    if fields.is_empty() {
        return Err(ApiError::bad_request("fields: skills and/or languages"));
    }
    let mut pairs = Vec::new();
    for f in &fields {
        match f.as_str() {
            Some(f @ ("skills" | "languages")) => pairs.push((user.to_string(), f.to_string())),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "fields: skills and/or languages, not {f}"
                )))
            }
        }
    }
    org.expand_missing.extend(pairs);
    Ok(json!({}))
}
