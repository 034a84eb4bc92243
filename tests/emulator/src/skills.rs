//! `/api/v2/routing/skills` and `/api/v2/routing/languages`: create, get, list, soft delete.
//! Both kinds have the same shape (a name, a state, a string version), so one record serves.

use crate::assignments::{self, InUse};
use crate::errors::ApiError;
use crate::org::Org;
use crate::paging::{listing, now_iso, page, sort_by_name};
use crate::server::{ApiResult, Ctx};
use crate::store::{Record, Store};
use serde_json::{json, Value};

/// Skill or language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A routing skill.
    Skill,
    /// A routing language.
    Language,
}

impl Kind {
    /// The API path of the kind's objects.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Skill => "/api/v2/routing/skills",
            Kind::Language => "/api/v2/routing/languages",
        }
    }

    /// `skill` or `language`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Skill => "skill",
            Kind::Language => "language",
        }
    }

    /// Largest list `pageSize` (**DECIDED**: the page sizes Genesys' Terraform provider reads
    /// with, skills 500 and languages 100; the real maxima are UNCONFIRMED).
    fn max_page(self) -> usize {
        match self {
            Kind::Skill => 500,
            Kind::Language => 100,
        }
    }

    /// The store of this kind.
    pub fn store(self, org: &Org) -> &Store<CatRec> {
        match self {
            Kind::Skill => &org.skills,
            Kind::Language => &org.languages,
        }
    }

    /// The store of this kind, mutable.
    pub fn store_mut(self, org: &mut Org) -> &mut Store<CatRec> {
        match self {
            Kind::Skill => &mut org.skills,
            Kind::Language => &mut org.languages,
        }
    }
}

/// A stored skill or language.
#[derive(Clone, Debug)]
pub struct CatRec {
    /// Which kind.
    pub kind: Kind,
    /// GUID.
    pub id: String,
    /// Name (unique among the kind's objects that are not deleted).
    pub name: String,
    /// `active` or `deleted`.
    pub state: String,
    /// Version, a string in the API.
    pub version: u64,
    /// Division (skills only).
    pub division_id: Option<String>,
    /// ISO-8601 time of the last change.
    pub date_modified: String,
}

impl CatRec {
    /// A new active skill (with a division) or language.
    pub fn new(kind: Kind, id: String, name: &str, division: &str) -> CatRec {
        CatRec {
            kind,
            id,
            name: name.to_string(),
            state: "active".into(),
            version: 1,
            division_id: (kind == Kind::Skill).then(|| division.to_string()),
            date_modified: now_iso(),
        }
    }

    /// Whether it is usable (not soft-deleted).
    pub fn active(&self) -> bool {
        self.state == "active"
    }
}

impl Record for CatRec {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "name": self.name, "state": self.state,
            "version": self.version.to_string(), "dateModified": self.date_modified,
            "selfUri": format!("{}/{}", self.kind.path(), self.id),
        });
        if let Some(d) = &self.division_id {
            v["division"] = json!({"id": d, "name": "Home",
                                   "selfUri": format!("/api/v2/authorization/divisions/{d}")});
        }
        v
    }
}

fn not_found(kind: Kind) -> ApiError {
    ApiError::routing_not_found(format!("The {} could not be found.", kind.word()))
}

fn create(org: &mut Org, ctx: &Ctx, kind: Kind) -> ApiResult {
    let b = ctx.body.unwrap_or(&Value::Null);
    let name = b["name"].as_str().unwrap_or_default();
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("name: must not be empty"));
    }
    let home = &ctx.cfg.home_division_id;
    if let Some(d) = b["divisionId"].as_str().filter(|d| d != home) {
        return Err(ApiError::bad_request(format!(
            "divisionId: division '{d}' not found"
        )));
    }
    if kind.store(org).named(name, "", CatRec::active).is_some() {
        return Err(ApiError::conflict(format!(
            "A {} named '{name}' already exists",
            kind.word()
        )));
    }
    let rec = CatRec::new(kind, org.rng.guid(), name, home);
    let v = rec.to_json();
    kind.store_mut(org).insert(rec);
    Ok(v)
}

fn get(org: &Org, id: &str, kind: Kind) -> ApiResult {
    let rec = kind.store(org).get(id).ok_or_else(|| not_found(kind))?;
    Ok(rec.to_json())
}

fn list(org: &Org, ctx: &Ctx, kind: Kind) -> ApiResult {
    let p = page(ctx, kind.max_page())?;
    let ids = ctx.q_all("id");
    let mut all = kind.store(org).view(&ids, org.object_lag(), ctx.q("name"));
    all.retain(|r| r["state"] == "active");
    sort_by_name(&mut all, ctx.q("sortOrder") == Some("descending"));
    Ok(listing(all, p, kind.path()))
}

/// Soft-delete a skill or language with the given in-use policy (also used by control drift).
pub fn remove(org: &mut Org, id: &str, kind: Kind, policy: InUse) -> ApiResult {
    match kind.store(org).get(id) {
        Some(r) if r.active() => {}
        _ => return Err(not_found(kind)),
    }
    let holders = assignments::holders(org, kind, id);
    match policy {
        InUse::Refuse if !holders.is_empty() => {
            return Err(ApiError::conflict(format!(
                "The {} is assigned to {} user(s)",
                kind.word(),
                holders.len()
            )))
        }
        InUse::Cascade => assignments::unassign_everywhere(org, kind, id),
        _ => {}
    }
    let keep = org.object_lag();
    let r = kind.store_mut(org).get_mut(id, keep).expect("checked");
    r.state = "deleted".into();
    r.version += 1;
    r.date_modified = now_iso();
    Ok(json!({}))
}

/// `POST /api/v2/routing/skills`: 409 `general.conflict` when a skill that is not deleted has
/// the name (case-insensitively). A deleted skill's name may be used again: a new skill with a
/// new id (**DECIDED**; UNCONFIRMED).
pub fn skill_create(org: &mut Org, ctx: &Ctx) -> ApiResult {
    create(org, ctx, Kind::Skill)
}

/// `GET /api/v2/routing/skills/{skillId}`: a deleted skill is returned with `state: deleted`.
pub fn skill_get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    get(org, ctx.param("skillId"), Kind::Skill)
}

/// `GET /api/v2/routing/skills`: active skills only; `name` is a prefix filter.
pub fn skill_list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    list(org, ctx, Kind::Skill)
}

/// `DELETE /api/v2/routing/skills/{skillId}`: soft delete (`state: deleted`); again is 404.
pub fn skill_delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    remove(org, ctx.param("skillId"), Kind::Skill, org.in_use.skills)
}

/// `POST /api/v2/routing/languages` (as skills; the read-only `Language` fields are ignored).
pub fn language_create(org: &mut Org, ctx: &Ctx) -> ApiResult {
    create(org, ctx, Kind::Language)
}

/// `GET /api/v2/routing/languages/{languageId}`.
pub fn language_get(org: &mut Org, ctx: &Ctx) -> ApiResult {
    get(org, ctx.param("languageId"), Kind::Language)
}

/// `GET /api/v2/routing/languages`.
pub fn language_list(org: &mut Org, ctx: &Ctx) -> ApiResult {
    list(org, ctx, Kind::Language)
}

/// `DELETE /api/v2/routing/languages/{languageId}`.
pub fn language_delete(org: &mut Org, ctx: &Ctx) -> ApiResult {
    remove(
        org,
        ctx.param("languageId"),
        Kind::Language,
        org.in_use.languages,
    )
}
