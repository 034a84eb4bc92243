//! Users' routing skills and languages: `/api/v2/users/{userId}/routingskills[/bulk|/{skillId}]`
//! and `/api/v2/users/{userId}/routinglanguages[/bulk|/{languageId}]`.

use crate::errors::ApiError;
use crate::org::Org;
use crate::paging::{listing, page, sort_by_name};
use crate::server::{ApiResult, Ctx};
use crate::skills::Kind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Entries per bulk call (API-FACTS §4: 50 for the skill PATCH and language PATCH; the skill
/// PUT's own limit is UNCONFIRMED, **DECIDED** 50) and largest list `pageSize` (**DECIDED**: the
/// page size Genesys' Terraform provider reads assignments with).
pub const MAX_BULK: usize = 50;

/// What deleting a skill, language or wrap-up code that is still in use does (API-FACTS §4, §5:
/// UNCONFIRMED, so configurable). JSON: `"keep"`, `"cascade"`, `"refuse"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InUse {
    /// The object is deleted and its uses stay: a user's list shows the skill or language with
    /// `state: deleted`; a queue keeps the code's id but no longer lists it.
    Keep,
    /// The object is deleted and its uses are removed with it.
    Cascade,
    /// 409 `general.conflict` while the object is in use; nothing changes.
    Refuse,
}

/// The in-use policy per kind (`POST /__emulator/in-use`, [`crate::Emulator::set_in_use_policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InUsePolicy {
    /// Skills. Default `keep` (**DECIDED**: `UserRoutingSkill.state` has a `deleted` value, so
    /// an assignment can outlive its skill).
    pub skills: InUse,
    /// Languages. Default `keep`, as skills.
    pub languages: InUse,
    /// Wrap-up codes. Default `refuse` (**DECIDED**, the strict choice: a client must remove a
    /// code from its queues first, as gcsync does).
    pub wrapup_codes: InUse,
}

impl Default for InUsePolicy {
    fn default() -> Self {
        InUsePolicy {
            skills: InUse::Keep,
            languages: InUse::Keep,
            wrapup_codes: InUse::Refuse,
        }
    }
}

/// Assignments per user id: object id → proficiency.
#[derive(Default)]
pub struct Assignments {
    /// Routing skills.
    pub skills: HashMap<String, BTreeMap<String, f64>>,
    /// Routing languages.
    pub languages: HashMap<String, BTreeMap<String, f64>>,
}

impl Assignments {
    /// The map of one kind.
    pub fn of(&mut self, kind: Kind) -> &mut HashMap<String, BTreeMap<String, f64>> {
        match kind {
            Kind::Skill => &mut self.skills,
            Kind::Language => &mut self.languages,
        }
    }

    fn get(&self, kind: Kind) -> &HashMap<String, BTreeMap<String, f64>> {
        match kind {
            Kind::Skill => &self.skills,
            Kind::Language => &self.languages,
        }
    }
}

/// Users holding a skill or language.
pub fn holders(org: &Org, kind: Kind, id: &str) -> Vec<String> {
    let all = org.assignments.get(kind).iter();
    all.filter(|(_, m)| m.contains_key(id))
        .map(|(u, _)| u.clone())
        .collect()
}

/// Remove a skill or language from every user.
pub fn unassign_everywhere(org: &mut Org, kind: Kind, id: &str) {
    for m in org.assignments.of(kind).values_mut() {
        m.remove(id);
    }
}

/// A user was deleted: Genesys drops their skills, languages and queue memberships (issue 8:
/// a restored user gets none of them back).
pub fn forget_user(org: &mut Org, user_id: &str) {
    org.assignments.skills.remove(user_id);
    org.assignments.languages.remove(user_id);
    let keep = org.object_lag();
    let holding: Vec<String> = org
        .queues
        .live()
        .filter(|q| q.member(user_id).is_some())
        .map(|q| q.id.clone())
        .collect();
    for q in holding {
        let q = org.queues.get_mut(&q, keep).expect("live");
        q.members.retain(|m| m.user_id != user_id);
    }
}

fn user_checked(org: &Org, ctx: &Ctx) -> Result<String, ApiError> {
    let id = ctx.param("userId");
    match org.user(id) {
        Some(u) if u.state != "deleted" => Ok(id.to_string()),
        _ => Err(ApiError::resource_not_found(
            "Unable to find a user with that userId",
        )),
    }
}

pub(crate) fn entries(org: &Org, kind: Kind, user: &str) -> Vec<Value> {
    let Some(m) = org.assignments.get(kind).get(user) else {
        return Vec::new();
    };
    let store = kind.store(org);
    let (uri_key, base) = match kind {
        Kind::Skill => ("skillUri", "routingskills"),
        Kind::Language => ("languageUri", "routinglanguages"),
    };
    m.iter()
        .filter_map(|(id, p)| {
            let r = store.get(id)?;
            let mut v = serde_json::json!({
                "id": id, "name": r.name, "proficiency": p, "state": r.state,
                "selfUri": format!("/api/v2/users/{user}/{base}/{id}"),
            });
            v[uri_key] = Value::String(format!("{}/{id}", kind.path()));
            Some(v)
        })
        .collect()
}

fn list(org: &Org, ctx: &Ctx, kind: Kind) -> ApiResult {
    let user = user_checked(org, ctx)?;
    let p = page(ctx, MAX_BULK)?;
    let mut all = entries(org, kind, &user);
    sort_by_name(&mut all, ctx.q("sortOrder") == Some("descending"));
    let base = match kind {
        Kind::Skill => "routingskills",
        Kind::Language => "routinglanguages",
    };
    Ok(listing(all, p, &format!("/api/v2/users/{user}/{base}")))
}

/// The `(id, proficiency)` pairs of a bulk body, checked as a whole: at most 50 (`allow_empty`
/// for the replacing PUT), proficiency 0-5, each id once, each an active object of the kind.
fn bulk(
    org: &Org,
    ctx: &Ctx,
    kind: Kind,
    allow_empty: bool,
) -> Result<Vec<(String, f64)>, ApiError> {
    let list = ctx
        .body
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.len() > MAX_BULK || list.is_empty() && !allow_empty {
        return Err(ApiError::bad_request(format!(
            "between 1 and {MAX_BULK} {}s per request ({} given)",
            kind.word(),
            list.len()
        )));
    }
    let mut out: Vec<(String, f64)> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let id = e["id"].as_str().unwrap_or_default();
        let p = e["proficiency"].as_f64().unwrap_or(-1.0);
        if !(0.0..=5.0).contains(&p) {
            return Err(ApiError::bad_request(format!(
                "[{i}].proficiency must be between 0 and 5"
            )));
        }
        if out.iter().any(|(x, _)| x == id) {
            return Err(ApiError::bad_request(format!(
                "[{i}]: '{id}' is listed twice"
            )));
        }
        if !kind.store(org).get(id).is_some_and(|r| r.active()) {
            return Err(ApiError::bad_request(format!(
                "[{i}]: {} '{id}' not found",
                kind.word()
            )));
        }
        // Language proficiency is a whole number: the backend rounds it (API-FACTS §4).
        let p = if kind == Kind::Language { p.round() } else { p };
        out.push((id.to_string(), p));
    }
    Ok(out)
}

fn apply(org: &mut Org, ctx: &Ctx, kind: Kind, replace: bool) -> ApiResult {
    let user = user_checked(org, ctx)?;
    let pairs = bulk(org, ctx, kind, replace)?;
    let m = org.assignments.of(kind).entry(user.clone()).or_default();
    if replace {
        m.clear();
    }
    m.extend(pairs);
    let mut all = entries(org, kind, &user);
    sort_by_name(&mut all, false);
    let p = crate::paging::Page {
        size: all.len().max(1),
        number: 1,
    };
    Ok(listing(all, p, &format!("/api/v2/users/{user}")))
}

fn unassign(org: &mut Org, ctx: &Ctx, kind: Kind, param: &str) -> ApiResult {
    let user = user_checked(org, ctx)?;
    let id = ctx.param(param);
    let removed = org
        .assignments
        .of(kind)
        .get_mut(&user)
        .and_then(|m| m.remove(id));
    match removed {
        Some(_) => Ok(serde_json::json!({})),
        None => Err(ApiError::routing_not_found(format!(
            "The user has no {} '{id}'",
            kind.word()
        ))),
    }
}

/// `GET /api/v2/users/{userId}/routingskills` (paged ≤ 50, sorted by name).
pub fn skills_list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    list(org, ctx, Kind::Skill)
}

/// `PATCH /api/v2/users/{userId}/routingskills/bulk`: add or update 1-50, never removes.
pub fn skills_patch(org: &mut Org, ctx: &Ctx) -> ApiResult {
    apply(org, ctx, Kind::Skill, false)
}

/// `PUT /api/v2/users/{userId}/routingskills/bulk`: replace all with 0-50.
pub fn skills_put(org: &mut Org, ctx: &Ctx) -> ApiResult {
    apply(org, ctx, Kind::Skill, true)
}

/// `DELETE /api/v2/users/{userId}/routingskills/{skillId}`: 404 when not assigned.
pub fn skill_delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    unassign(org, ctx, Kind::Skill, "skillId")
}

/// `GET /api/v2/users/{userId}/routinglanguages`.
pub fn languages_list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    list(org, ctx, Kind::Language)
}

/// `PATCH /api/v2/users/{userId}/routinglanguages/bulk`: add or update 1-50.
pub fn languages_patch(org: &mut Org, ctx: &Ctx) -> ApiResult {
    apply(org, ctx, Kind::Language, false)
}

/// `DELETE /api/v2/users/{userId}/routinglanguages/{languageId}`.
pub fn language_delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    unassign(org, ctx, Kind::Language, "languageId")
}
