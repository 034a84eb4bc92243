//! Typed wrappers for the Genesys Cloud queue endpoints gcsync uses (API-FACTS §3): queues,
//! their members and their wrap-up codes.

use super::{found, ApiError, Client, Method};
use serde::Deserialize;
use serde_json::{json, Value};

/// Page size of the queue list (Genesys' Terraform provider reads queues 500 a page).
const QUEUE_PAGE: usize = 500;
/// Page size of a queue's members: the documented maximum.
pub const MEMBER_PAGE: usize = 100;
/// Page size of a queue's wrap-up codes.
const CODE_PAGE: usize = 100;

/// The parts of a Genesys `Queue` (or any named routing object) gcsync reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Named {
    /// Genesys id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// One member of a queue as Genesys lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The user's id.
    pub id: String,
    /// `user` (a direct member) or `group` (through one of the queue's member groups).
    #[serde(default)]
    pub member_by: Option<String>,
}

impl Member {
    /// Whether the user is a member through a group (never added nor removed directly).
    pub fn by_group(&self) -> bool {
        self.member_by.as_deref() == Some("group")
    }
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(v: Value, what: &str) -> Result<T, ApiError> {
    super::users::parse(v, what)
}

/// Reads pages of `path` (1-based, `size` a page) to the end ([`super::paging::is_last`]).
pub(crate) fn read_pages<T: for<'de> Deserialize<'de>>(
    client: &Client,
    path: &str,
    extra: &[(&str, &str)],
    size: usize,
    what: &str,
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    let size_text = size.to_string();
    let mut guard = super::paging::RepeatGuard::default();
    for page in 1.. {
        let page_text = page.to_string();
        let mut query: Vec<(&str, &str)> =
            vec![("pageSize", &size_text), ("pageNumber", &page_text)];
        query.extend_from_slice(extra);
        let r = client.request(Method::Get, path, &query, None)?;
        let entities = super::paging::entities(&r.body);
        guard.check(path, page, &entities)?;
        let items: Vec<T> = parse(entities, what)?;
        let n = items.len();
        out.extend(items);
        if super::paging::is_last(&r.body, page, n, size) {
            break;
        }
    }
    Ok(out)
}

/// `POST /api/v2/routing/queues` with a name (and a division when set).
pub fn create(client: &Client, name: &str, division: Option<&str>) -> Result<Named, ApiError> {
    let mut body = json!({ "name": name });
    if let Some(d) = division {
        body["division"] = json!({ "id": d });
    }
    let r = client.request(Method::Post, "/api/v2/routing/queues", &[], Some(&body))?;
    parse(r.body, "create queue")
}

/// Every queue whose name equals `name` ignoring case (the API's name filter is a prefix or
/// wildcard match, so the list is compared here); the caller picks an exact one.
pub fn find_by_name(client: &Client, name: &str) -> Result<Vec<Named>, ApiError> {
    named_like(
        client,
        "/api/v2/routing/queues",
        name,
        QUEUE_PAGE,
        "queue list",
    )
}

/// The objects of the list at `path` whose name equals `name` ignoring case, read through the
/// list's name filter (not exact) `size` a page.
pub(crate) fn named_like(
    client: &Client,
    path: &str,
    name: &str,
    size: usize,
    what: &str,
) -> Result<Vec<Named>, ApiError> {
    let all: Vec<Named> = read_pages(client, path, &[("name", name)], size, what)?;
    let name = name.to_lowercase();
    Ok(all
        .into_iter()
        .filter(|o| o.name.to_lowercase() == name)
        .collect())
}

/// Whether the queue exists: `GET /api/v2/routing/queues/{id}`, `Ok(false)` on 404.
pub fn exists(client: &Client, id: &str) -> Result<bool, ApiError> {
    let path = format!("/api/v2/routing/queues/{id}");
    found(client.request(Method::Get, &path, &[], None))
}

/// `DELETE /api/v2/routing/queues/{id}`; `Ok(false)` when it was gone already.
pub fn delete(client: &Client, id: &str) -> Result<bool, ApiError> {
    let path = format!("/api/v2/routing/queues/{id}");
    found(client.request(Method::Delete, &path, &[("forceDelete", "true")], None))
}

/// Every member of a queue (paged to the end, 100 a page); `Ok(None)` when the queue is gone.
pub fn members(client: &Client, queue: &str) -> Result<Option<Vec<Member>>, ApiError> {
    let path = format!("/api/v2/routing/queues/{queue}/members");
    match read_pages(client, &path, &[], MEMBER_PAGE, "queue members") {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST …/members` (`?delete=true` to remove): at most 100 user ids a call.
pub fn change_members(
    client: &Client,
    queue: &str,
    users: &[String],
    remove: bool,
) -> Result<(), ApiError> {
    let path = format!("/api/v2/routing/queues/{queue}/members");
    let body = Value::Array(users.iter().map(|id| json!({ "id": id })).collect());
    let delete = if remove { "true" } else { "false" };
    client
        .request(Method::Post, &path, &[("delete", delete)], Some(&body))
        .map(|_| ())
}

/// The ids of a queue's wrap-up codes (paged to the end); `Ok(None)` when the queue is gone.
pub fn wrapup_codes(client: &Client, queue: &str) -> Result<Option<Vec<String>>, ApiError> {
    let path = format!("/api/v2/routing/queues/{queue}/wrapupcodes");
    match read_pages::<Named>(client, &path, &[], CODE_PAGE, "queue wrap-up codes") {
        Ok(m) => Ok(Some(m.into_iter().map(|c| c.id).collect())),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST …/wrapupcodes`: at most 100 code ids a call.
pub fn add_wrapup_codes(client: &Client, queue: &str, codes: &[String]) -> Result<(), ApiError> {
    let path = format!("/api/v2/routing/queues/{queue}/wrapupcodes");
    let body = Value::Array(codes.iter().map(|id| json!({ "id": id })).collect());
    client
        .request(Method::Post, &path, &[], Some(&body))
        .map(|_| ())
}

/// `DELETE …/wrapupcodes/{codeId}`; `Ok(false)` when the queue did not have it.
pub fn remove_wrapup_code(client: &Client, queue: &str, code: &str) -> Result<bool, ApiError> {
    let path = format!("/api/v2/routing/queues/{queue}/wrapupcodes/{code}");
    found(client.request(Method::Delete, &path, &[], None))
}
