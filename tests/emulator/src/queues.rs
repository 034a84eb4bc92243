//! `/api/v2/routing/queues` (create, get, list, update, delete, `divisionviews/all`). Members
//! are in `members.rs`, queue wrap-up codes in `queue_wrapups.rs`.

use crate::errors::ApiError;
use crate::org::Org;
use crate::paging::{listing, now_iso, page, sort_by_name};
use crate::server::{ApiResult, Ctx};
use crate::store::Record;
use serde_json::{json, Map, Value};

/// Largest `pageSize` of the queue listings (**DECIDED**: the page size Genesys' Terraform
/// provider reads queues with; the real maximum is UNCONFIRMED).
pub const MAX_PAGE: usize = 500;

/// Fields of a queue request the server sets: accepted by the schema and ignored.
const READ_ONLY: [&str; 10] = [
    "id",
    "selfUri",
    "memberCount",
    "userMemberCount",
    "joinedMemberCount",
    "dateCreated",
    "dateModified",
    "createdBy",
    "modifiedBy",
    "sourceQueueId",
];

/// A queue member.
#[derive(Clone, Debug)]
pub struct Member {
    /// The user's id.
    pub user_id: String,
    /// A member through a Genesys group (`memberBy: group`), not a direct one.
    pub by_group: bool,
    /// Whether the member has joined the queue (the agent's "active" flag).
    pub joined: bool,
}

/// A stored queue.
#[derive(Clone, Debug)]
pub struct QueueRec {
    /// GUID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Division id (the home division).
    pub division_id: String,
    /// The other accepted request fields, stored verbatim (a PUT replaces them all).
    pub extra: Map<String, Value>,
    /// Members, in the order they were added.
    pub members: Vec<Member>,
    /// Wrap-up code ids, in the order they were added.
    pub wrapup_codes: Vec<String>,
    /// ISO-8601 creation time.
    pub date_created: String,
    /// ISO-8601 time of the last change through the API.
    pub date_modified: String,
}

impl QueueRec {
    /// A new, empty queue.
    pub fn new(id: String, name: &str, division_id: &str) -> QueueRec {
        let now = now_iso();
        QueueRec {
            id,
            name: name.to_string(),
            division_id: division_id.to_string(),
            extra: Map::new(),
            members: Vec::new(),
            wrapup_codes: Vec::new(),
            date_created: now.clone(),
            date_modified: now,
        }
    }

    /// The member record of a user, if any.
    pub fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    fn division(&self) -> Value {
        json!({"id": self.division_id, "name": "Home",
               "selfUri": format!("/api/v2/authorization/divisions/{}", self.division_id)})
    }
}

impl Record for QueueRec {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn to_json(&self) -> Value {
        let direct = self.members.iter().filter(|m| !m.by_group).count();
        let joined = self.members.iter().filter(|m| m.joined).count();
        let mut v = Value::Object(self.extra.clone());
        let fields = json!({
            "id": self.id, "name": self.name, "division": self.division(),
            "memberCount": self.members.len(), "userMemberCount": direct,
            "joinedMemberCount": joined, "dateCreated": self.date_created,
            "dateModified": self.date_modified,
            "selfUri": format!("/api/v2/routing/queues/{}", self.id),
        });
        for (k, val) in fields.as_object().expect("object") {
            v[k] = val.clone();
        }
        v
    }
}

fn duplicate() -> ApiError {
    ApiError::new(
        400,
        "duplicate.name",
        "A queue with that name already exists.",
    )
}

/// The request's name and stored fields, checked (non-empty name, home division).
fn accepted(ctx: &Ctx) -> Result<(String, Map<String, Value>), ApiError> {
    let b = ctx
        .body
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let name = b.get("name").and_then(Value::as_str).unwrap_or_default();
    if name.trim().is_empty() {
        return Err(ApiError::new(
            400,
            "required.field.missing",
            "name: a queue name is required",
        ));
    }
    if let Some(d) = b.get("division").and_then(|d| d["id"].as_str()) {
        if d != ctx.cfg.home_division_id {
            return Err(ApiError::bad_request(format!(
                "division: division '{d}' not found"
            )));
        }
    }
    let mut extra = b.clone();
    extra.retain(|k, v| !v.is_null() && k != "name" && k != "division");
    for k in READ_ONLY {
        extra.remove(k);
    }
    Ok((name.to_string(), extra))
}

/// `POST /api/v2/routing/queues`.
pub fn create(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let (name, mut extra) = accepted(ctx)?;
    if org.queues.named(&name, "", |_| true).is_some() {
        return Err(duplicate());
    }
    if let Some(src) = ctx.body.and_then(|b| b["sourceQueueId"].as_str()) {
        let src = org.queues.get(src).ok_or_else(|| {
            ApiError::bad_request(format!("sourceQueueId: queue '{src}' not found"))
        })?;
        let mut copied = src.extra.clone();
        copied.append(&mut extra);
        extra = copied;
    }
    let mut q = QueueRec::new(org.rng.guid(), &name, &ctx.cfg.home_division_id);
    q.extra = extra;
    let v = q.to_json();
    org.queues.insert(q);
    Ok(v)
}

/// `GET /api/v2/routing/queues/{queueId}` (always current).
pub fn get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let q = org
        .queues
        .get(ctx.param("queueId"))
        .ok_or_else(ApiError::no_resource)?;
    Ok(q.to_json())
}

/// `PUT /api/v2/routing/queues/{queueId}`: a full replacement of the stored fields (**DECIDED**:
/// omitted fields are cleared; UNCONFIRMED). Members and wrap-up codes are not touched.
pub fn update(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("queueId");
    org.queues.get(id).ok_or_else(ApiError::no_resource)?;
    let (name, extra) = accepted(ctx)?;
    if org.queues.named(&name, id, |_| true).is_some() {
        return Err(duplicate());
    }
    let keep = org.object_lag();
    let q = org.queues.get_mut(id, keep).expect("checked");
    q.name = name;
    q.extra = extra;
    q.date_modified = now_iso();
    Ok(q.to_json())
}

/// `DELETE /api/v2/routing/queues/{queueId}[?forceDelete=]`: gone for GET at once, lingering in
/// the lists for `object_list_lag_ms`; its name is free at once.
pub fn delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let keep = org.object_lag();
    org.queues
        .remove(ctx.param("queueId"), keep)
        .ok_or_else(ApiError::no_resource)?;
    Ok(json!({}))
}

/// `GET /api/v2/routing/queues`: paged, sorted by name, `name` filter (never exact, see
/// [`crate::paging::name_matches`]), `id` (current, not lagging), `divisionId`, `peerId`, `hasPeer`.
pub fn list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let p = page(ctx, MAX_PAGE)?;
    let ids = ctx.q_all("id");
    let mut all = org.queues.view(&ids, org.object_lag(), ctx.q("name"));
    let divisions = ctx.q_all("divisionId");
    if !divisions.is_empty() {
        all.retain(|q| divisions.iter().any(|d| q["division"]["id"] == *d));
    }
    let peers = ctx.q_all("peerId");
    if !peers.is_empty() {
        all.retain(|q| peers.iter().any(|d| q["peerId"] == *d));
    }
    match ctx.q("hasPeer") {
        Some("true") => all.retain(|q| q["peerId"].is_string()),
        Some(_) => all.retain(|q| !q["peerId"].is_string()),
        None => {}
    }
    sort_by_name(&mut all, ctx.q("sortOrder") == Some("desc"));
    Ok(listing(all, p, "/api/v2/routing/queues"))
}

/// `GET /api/v2/routing/queues/divisionviews/all`: every queue, light (id, name, division),
/// paged up to 500, lagging like the list.
pub fn division_views_all(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let p = page(ctx, 500)?;
    let mut all: Vec<Value> = org
        .queues
        .listed(org.object_lag())
        .into_iter()
        .map(|q| json!({"id": q["id"], "name": q["name"], "division": q["division"], "selfUri": q["selfUri"]}))
        .collect();
    sort_by_name(&mut all, ctx.q("sortOrder") == Some("desc"));
    Ok(listing(all, p, "/api/v2/routing/queues/divisionviews/all"))
}
