//! Typed wrappers for the routing skill and language endpoints and a user's skill and language
//! assignments (API-FACTS §4).

use super::users::parse;
use super::{found, ApiError, Client, Method};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Skills or languages: the two have the same shape under different paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `/api/v2/routing/skills`, `…/routingskills`.
    Skill,
    /// `/api/v2/routing/languages`, `…/routinglanguages`.
    Language,
}

impl Category {
    /// `skill` or `language`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Category::Skill => "skill",
            Category::Language => "language",
        }
    }

    fn collection(self) -> &'static str {
        match self {
            Category::Skill => "/api/v2/routing/skills",
            Category::Language => "/api/v2/routing/languages",
        }
    }

    fn user_path(self, user: &str) -> String {
        match self {
            Category::Skill => format!("/api/v2/users/{user}/routingskills"),
            Category::Language => format!("/api/v2/users/{user}/routinglanguages"),
        }
    }

    /// The category of a skill treated (or not) as a language.
    pub fn of(language: bool) -> Category {
        if language {
            Category::Language
        } else {
            Category::Skill
        }
    }
}

/// A routing skill or language as Genesys answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GcRouting {
    /// Genesys id.
    pub id: String,
    /// Name (case-sensitive).
    pub name: String,
    /// `active`, `inactive` or `deleted`.
    #[serde(default)]
    pub state: Option<String>,
}

impl GcRouting {
    /// Whether it is usable (not deleted).
    pub fn active(&self) -> bool {
        self.state.as_deref().is_none_or(|s| s != "deleted")
    }
}

/// Every active skill (language) whose name starts with `name` (the API's filter is a prefix,
/// case-insensitive in places: the caller compares names itself), paged to the end.
pub fn list_named(client: &Client, cat: Category, name: &str) -> Result<Vec<GcRouting>, ApiError> {
    let size = match cat {
        Category::Skill => "500",
        Category::Language => "100",
    };
    let mut out = Vec::new();
    let mut guard = super::paging::RepeatGuard::default();
    for page in 1.. {
        let n = page.to_string();
        let mut query = vec![
            ("pageSize", size),
            ("pageNumber", n.as_str()),
            ("name", name),
        ];
        if cat == Category::Language {
            query.push(("sortOrder", "ascending"));
        }
        let r = client.request(Method::Get, cat.collection(), &query, None)?;
        let entities = super::paging::entities(&r.body);
        guard.check(cat.collection(), page, &entities)?;
        let entities: Vec<GcRouting> = parse(entities, "list")?;
        let got = entities.len();
        out.extend(entities.into_iter().filter(GcRouting::active));
        if super::paging::is_last(&r.body, page, got, size.parse().unwrap_or(25)) {
            break;
        }
    }
    Ok(out)
}

/// `POST` a new skill (language) named `name`.
pub fn create(client: &Client, cat: Category, name: &str) -> Result<GcRouting, ApiError> {
    let r = client.request(
        Method::Post,
        cat.collection(),
        &[],
        Some(&json!({"name": name})),
    )?;
    parse(r.body, "create")
}

/// `DELETE` a skill (language); `Ok(false)` when it was gone already (404).
pub fn delete(client: &Client, cat: Category, id: &str) -> Result<bool, ApiError> {
    let path = format!("{}/{id}", cat.collection());
    found(client.request(Method::Delete, &path, &[], None))
}

/// `GET` a skill (language) by id; `None` when it does not exist or is deleted.
pub fn get(client: &Client, cat: Category, id: &str) -> Result<Option<GcRouting>, ApiError> {
    let path = format!("{}/{id}", cat.collection());
    match client.request(Method::Get, &path, &[], None) {
        Ok(r) => parse::<GcRouting>(r.body, "get").map(|g| Some(g).filter(GcRouting::active)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A user's assignments of one category (id → proficiency), read in pages of 50 to the end.
pub fn user_assignments(
    client: &Client,
    cat: Category,
    user: &str,
) -> Result<BTreeMap<String, f64>, ApiError> {
    let mut out = BTreeMap::new();
    let path = cat.user_path(user);
    let mut guard = super::paging::RepeatGuard::default();
    for page in 1.. {
        let n = page.to_string();
        let query = [
            ("pageSize", "50"),
            ("pageNumber", n.as_str()),
            ("sortOrder", "ascending"),
        ];
        let r = client.request(Method::Get, &path, &query, None)?;
        let page_entities = super::paging::entities(&r.body);
        guard.check(&path, page, &page_entities)?;
        let entities = page_entities.as_array().cloned().unwrap_or_default();
        let got = entities.len();
        for e in entities {
            if let (Some(id), Some(p)) = (e["id"].as_str(), e["proficiency"].as_f64()) {
                out.insert(id.to_string(), p);
            }
        }
        if super::paging::is_last(&r.body, page, got, 50) {
            break;
        }
    }
    Ok(out)
}

fn entries(items: &[(String, u8)]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|(id, p)| json!({"id": id, "proficiency": f64::from(*p)}))
            .collect(),
    )
}

/// `PATCH …/bulk`: adds or updates `items` (at most the bulk limit).
pub fn patch_bulk(
    client: &Client,
    cat: Category,
    user: &str,
    items: &[(String, u8)],
) -> Result<(), ApiError> {
    let path = format!("{}/bulk", cat.user_path(user));
    client
        .request(Method::Patch, &path, &[], Some(&entries(items)))
        .map(|_| ())
}

/// `PUT …/routingskills/bulk`: the user's skills become exactly `items`.
pub fn replace_skills(client: &Client, user: &str, items: &[(String, u8)]) -> Result<(), ApiError> {
    let path = format!("{}/bulk", Category::Skill.user_path(user));
    client
        .request(Method::Put, &path, &[], Some(&entries(items)))
        .map(|_| ())
}

/// `DELETE` one assignment; `Ok(())` also when the user no longer has it (404).
pub fn unassign(client: &Client, cat: Category, user: &str, id: &str) -> Result<(), ApiError> {
    let path = format!("{}/{id}", cat.user_path(user));
    match client.request(Method::Delete, &path, &[], None) {
        Ok(_) => Ok(()),
        Err(e) if e.status() == Some(404) => Ok(()),
        Err(e) => Err(e),
    }
}
