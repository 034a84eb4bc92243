//! `/api/v2/routing/wrapupcodes`: create, get, list, update (rename allowed), delete.

use crate::assignments::InUse;
use crate::errors::ApiError;
use crate::org::Org;
use crate::paging::{listing, now_iso, page, sort_by_name};
use crate::server::{ApiResult, Ctx};
use crate::store::Record;
use serde_json::{json, Value};

/// Largest `pageSize` of the wrap-up-code list (**DECIDED**: the page size Genesys' Terraform
/// provider reads codes with; the real maximum is UNCONFIRMED).
pub const MAX_PAGE: usize = 100;

/// A stored wrap-up code.
#[derive(Clone, Debug)]
pub struct WrapupRec {
    /// GUID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Division id, or `*` for all divisions (the default: no division given).
    pub division_id: String,
    /// ISO-8601 creation time.
    pub date_created: String,
    /// ISO-8601 time of the last change.
    pub date_modified: String,
}

impl WrapupRec {
    /// A new code visible to all divisions.
    pub fn new(id: String, name: &str) -> WrapupRec {
        let now = now_iso();
        WrapupRec {
            id,
            name: name.to_string(),
            description: None,
            division_id: "*".into(),
            date_created: now.clone(),
            date_modified: now,
        }
    }
}

impl Record for WrapupRec {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "name": self.name,
            "division": {"id": self.division_id,
                         "selfUri": format!("/api/v2/authorization/divisions/{}", self.division_id)},
            "dateCreated": self.date_created, "dateModified": self.date_modified,
            "selfUri": format!("/api/v2/routing/wrapupcodes/{}", self.id),
        });
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        v
    }
}

fn duplicate() -> ApiError {
    ApiError::new(
        400,
        "duplicate.name",
        "A wrapup code with this name already exists.",
    )
}

/// Name, description and division of a `WrapupCodeRequest`, checked.
fn accepted(ctx: &Ctx) -> Result<(String, Option<String>, String), ApiError> {
    let b = ctx.body.unwrap_or(&Value::Null);
    let name = b["name"].as_str().unwrap_or_default();
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("name: must not be empty"));
    }
    let division = b["division"]["id"].as_str().unwrap_or("*");
    if division != "*" && division != ctx.cfg.home_division_id {
        return Err(ApiError::bad_request(format!(
            "division: division '{division}' not found"
        )));
    }
    let description = b["description"].as_str().map(str::to_string);
    Ok((name.to_string(), description, division.to_string()))
}

/// `POST /api/v2/routing/wrapupcodes`: 400 `duplicate.name` when the name is taken (per org,
/// case-insensitively; **DECIDED**).
pub fn create(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let (name, description, division) = accepted(ctx)?;
    if org.wrapups.named(&name, "", |_| true).is_some() {
        return Err(duplicate());
    }
    let mut c = WrapupRec::new(org.rng.guid(), &name);
    c.description = description;
    c.division_id = division;
    let v = c.to_json();
    org.wrapups.insert(c);
    Ok(v)
}

/// `GET /api/v2/routing/wrapupcodes/{codeId}` (current).
pub fn get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let c = org
        .wrapups
        .get(ctx.param("codeId"))
        .ok_or_else(ApiError::no_resource)?;
    Ok(c.to_json())
}

/// `PUT /api/v2/routing/wrapupcodes/{codeId}`: last writer wins; a rename to a taken name is
/// 400 `duplicate.name`.
pub fn update(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("codeId");
    org.wrapups.get(id).ok_or_else(ApiError::no_resource)?;
    let (name, description, division) = accepted(ctx)?;
    if org.wrapups.named(&name, id, |_| true).is_some() {
        return Err(duplicate());
    }
    let keep = org.object_lag();
    let c = org.wrapups.get_mut(id, keep).expect("checked");
    c.name = name;
    c.description = description;
    c.division_id = division;
    c.date_modified = now_iso();
    Ok(c.to_json())
}

/// `GET /api/v2/routing/wrapupcodes`: paged (≤ 100), `name` filter (not exact), `id`
/// (current), `divisionId`, `sortBy` name|id (used only with `name`, as documented),
/// `sortOrder`.
pub fn list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let p = page(ctx, MAX_PAGE)?;
    let ids = ctx.q_all("id");
    let mut all = org.wrapups.view(&ids, org.object_lag(), ctx.q("name"));
    let divisions = ctx.q_all("divisionId");
    if !divisions.is_empty() {
        all.retain(|c| divisions.iter().any(|d| c["division"]["id"] == *d));
    }
    let descending = ctx.q("sortOrder") == Some("descending");
    if ctx.q("name").is_some() && ctx.q("sortBy") == Some("id") {
        all.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        if descending {
            all.reverse();
        }
    } else {
        sort_by_name(&mut all, descending);
    }
    Ok(listing(all, p, "/api/v2/routing/wrapupcodes"))
}

/// `DELETE /api/v2/routing/wrapupcodes/{codeId}`. A code on some queue follows
/// `InUsePolicy::wrapup_codes` (default `refuse`: 409 `general.conflict` naming the queues).
pub fn delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("codeId");
    org.wrapups.get(id).ok_or_else(ApiError::no_resource)?;
    remove(org, id, org.in_use.wrapup_codes)
}

/// Delete a code with the given in-use policy (also used by control drift, never `Refuse`).
pub fn remove(org: &mut Org, id: &str, policy: InUse) -> ApiResult {
    let users: Vec<String> = org
        .queues
        .live()
        .filter(|q| q.wrapup_codes.iter().any(|c| c == id))
        .map(|q| q.id.clone())
        .collect();
    let keep = org.object_lag();
    match policy {
        InUse::Refuse if !users.is_empty() => {
            return Err(ApiError::conflict(format!(
                "The wrap-up code is in use by {} queue(s): [{}]",
                users.len(),
                users.join(", ")
            )))
        }
        InUse::Cascade => {
            for q in &users {
                let q = org.queues.get_mut(q, keep).expect("live");
                q.wrapup_codes.retain(|c| c != id);
            }
        }
        _ => {}
    }
    org.wrapups
        .remove(id, keep)
        .ok_or_else(ApiError::no_resource)?;
    Ok(json!({}))
}
