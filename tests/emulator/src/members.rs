//! Queue members: `GET` and `POST /api/v2/routing/queues/{queueId}/members[?delete=true]`.

use crate::errors::ApiError;
use crate::org::Org;
use crate::paging::{name_matches, page};
use crate::queues::{Member, QueueRec};
use crate::server::{ApiResult, Ctx};
use serde_json::{json, Value};

/// Members per add/remove call and largest `pageSize` of the member list (API-FACTS §3).
pub const MAX_MEMBERS: usize = 100;

/// Member-list filters the emulator does not model: 400 rather than a silently unfiltered list.
const UNSUPPORTED_FILTERS: [&str; 5] = [
    "profileSkills",
    "skills",
    "languages",
    "routingStatus",
    "presence",
];

fn member_json(org: &Org, q: &QueueRec, m: &Member) -> Value {
    let name = org.user(&m.user_id).map_or("", |u| u.name.as_str());
    json!({
        "id": m.user_id, "name": name,
        "user": {"id": m.user_id, "name": name, "selfUri": format!("/api/v2/users/{}", m.user_id)},
        "ringNumber": 1, "joined": m.joined,
        "memberBy": if m.by_group { "group" } else { "user" },
        "selfUri": format!("/api/v2/routing/queues/{}/members/{}", q.id, m.user_id),
    })
}

/// `GET …/members`: paged (`pageSize` ≤ 100), sorted by name, filters `name`, `memberBy`,
/// `joined`. No `total` / `pageCount` (API-FACTS §3): `nextUri` is given while a page is full,
/// so a client reads until a short or empty page.
pub fn list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let p = page(ctx, MAX_MEMBERS)?;
    if let Some(f) = UNSUPPORTED_FILTERS.iter().find(|f| ctx.q(f).is_some()) {
        return Err(ApiError::bad_request(format!(
            "member filter {f} is not supported by the emulator"
        )));
    }
    let id = ctx.param("queueId");
    let q = org.queues.get(id).ok_or_else(ApiError::no_queue)?;
    let mut all: Vec<Value> = q
        .members
        .iter()
        .map(|m| member_json(org, q, m))
        .filter(|m| ctx.q("memberBy").is_none_or(|b| m["memberBy"] == b))
        .filter(|m| ctx.q("joined").is_none_or(|j| m["joined"] == (j == "true")))
        .filter(|m| {
            ctx.q("name")
                .is_none_or(|n| name_matches(n, m["name"].as_str().unwrap_or("")))
        })
        .collect();
    crate::paging::sort_by_name(&mut all, ctx.q("sortOrder") == Some("desc"));
    let full = all.len() >= p.number.saturating_mul(p.size);
    let entities: Vec<Value> = all
        .into_iter()
        .skip((p.number - 1).saturating_mul(p.size))
        .take(p.size)
        .collect();
    let uri = |n: usize| {
        format!(
            "/api/v2/routing/queues/{id}/members?pageSize={}&pageNumber={n}",
            p.size
        )
    };
    let mut v = json!({"entities": entities, "pageSize": p.size, "pageNumber": p.number,
                       "firstUri": uri(1), "selfUri": uri(p.number)});
    if full {
        v["nextUri"] = json!(uri(p.number + 1));
    }
    if p.number > 1 {
        v["previousUri"] = json!(uri(p.number - 1));
    }
    Ok(v)
}

/// The ids of a bulk body: 1 to `max` entries, each with an `id` (400 otherwise); an id given
/// twice counts once. Shared by the member and queue wrap-up-code calls.
pub fn bulk_ids(ctx: &Ctx, max: usize, what: &str) -> Result<Vec<String>, ApiError> {
    let list = ctx
        .body
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        return Err(ApiError::bad_request(format!(
            "at least one {what} is required"
        )));
    }
    if list.len() > max {
        return Err(ApiError::bad_request(format!(
            "at most {max} {what}s per request ({} given)",
            list.len()
        )));
    }
    let mut ids: Vec<String> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let id = e["id"].as_str().filter(|s| !s.is_empty());
        let id = id.ok_or_else(|| ApiError::bad_request(format!("[{i}].id is required")))?;
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    Ok(ids)
}

/// `POST …/members[?delete=true]`: add or remove up to 100 users (101 is 400). Checked as a
/// whole before anything changes: every user to add must exist and not be deleted, and none
/// may already be a member through a group; a group member cannot be removed directly.
/// Re-adding a direct member or removing a non-member changes nothing (**DECIDED**: set-like;
/// UNCONFIRMED).
pub fn post(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let ids = bulk_ids(ctx, MAX_MEMBERS, "member")?;
    let qid = ctx.param("queueId");
    let q = org.queues.get(qid).ok_or_else(ApiError::no_queue)?;
    let delete = ctx.q("delete") == Some("true");
    for id in &ids {
        let by_group = q.member(id).is_some_and(|m| m.by_group);
        if by_group {
            let what = if delete {
                "removed directly"
            } else {
                "added as a direct member"
            };
            return Err(ApiError::bad_request(format!(
                "user '{id}' is a member of this queue through a group and cannot be {what}"
            )));
        }
        if !delete && org.user(id).is_none_or(|u| u.state == "deleted") {
            return Err(ApiError::bad_request(format!("user '{id}' not found")));
        }
    }
    let keep = org.object_lag();
    let q = org.queues.get_mut(qid, keep).expect("checked");
    if delete {
        q.members.retain(|m| !ids.contains(&m.user_id));
    } else {
        for id in ids {
            if q.member(&id).is_none() {
                q.members.push(Member {
                    user_id: id,
                    by_group: false,
                    joined: false,
                });
            }
        }
    }
    Ok(json!({}))
}
