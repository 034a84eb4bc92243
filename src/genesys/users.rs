//! Typed wrappers for the Genesys Cloud user endpoints gcsync uses (API-FACTS §2).

use super::{ApiError, Client, Method};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One entry of a Genesys user's `addresses` (a `Contact`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Phone number or email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Extension: an internal extension alone, or the extension of the `address` number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// The formatted form Genesys sets (read only: never sent).
    #[serde(default, skip_serializing)]
    pub display: Option<String>,
    /// `PHONE`, `EMAIL` or `SMS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// `WORK`, `WORK2`, `HOME`, `MOBILE`, `OTHER`, `PRIMARY`, ...
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Country code, when Genesys keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Integration tag of a number that belongs to an external integration (kept as found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
}

/// The parts of a Genesys `User` gcsync reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GcUser {
    /// Genesys user id (GUID).
    pub id: String,
    /// Full display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email / login name.
    #[serde(default)]
    pub email: Option<String>,
    /// `active`, `inactive` or `deleted`.
    #[serde(default)]
    pub state: Option<String>,
    /// Current version, required by PATCH.
    #[serde(default)]
    pub version: i64,
    /// Contact addresses (phones; the primary email is server-managed).
    #[serde(default)]
    pub addresses: Vec<Contact>,
}

impl GcUser {
    /// The user's state, `active` when Genesys omitted it.
    pub fn state(&self) -> &str {
        self.state.as_deref().unwrap_or("active")
    }
}

/// Reads a response body as `T`; an unexpected shape is an error naming `what`.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(v: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::Status {
        status: 200,
        code: "gcsync.unexpected.response".into(),
        message: format!("unexpected {what} response from Genesys Cloud: {e}"),
        correlation_id: None,
        entity_id: None,
    })
}

/// `GET /api/v2/users/{id}` (with `state=deleted` when `deleted`); `Ok(None)` on 404.
pub fn get(client: &Client, id: &str, deleted: bool) -> Result<Option<GcUser>, ApiError> {
    let query: &[(&str, &str)] = if deleted {
        &[("state", "deleted")]
    } else {
        &[]
    };
    match client.request(Method::Get, &format!("/api/v2/users/{id}"), query, None) {
        Ok(r) => parse(r.body, "user").map(Some),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Most users one `GET /api/v2/users?id=…` reads (API-FACTS §2, `max.user.ids`).
pub const IDS_PER_CALL: usize = 100;

/// The page size gcsync lists the org's users with (Genesys' Terraform provider uses 500).
pub const LIST_PAGE_SIZE: usize = 500;

/// One page of `GET /api/v2/users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// The users on this page.
    pub users: Vec<GcUser>,
    /// Whether it is the last page ([`super::paging::is_last`]).
    pub last: bool,
}

/// `GET /api/v2/users?pageSize=&pageNumber=&state=&sortOrder=ascending`: one page of the org's
/// users in one state (`active`, `inactive`, `deleted` or `any`). The listing lags writes (it
/// is eventually consistent); addresses come with every user, so no expansion is asked for.
pub fn list_page(
    client: &Client,
    state: &str,
    page_number: u64,
    page_size: usize,
) -> Result<UserPage, ApiError> {
    let (size, number) = (page_size.to_string(), page_number.to_string());
    let query = [
        ("pageSize", size.as_str()),
        ("pageNumber", number.as_str()),
        ("state", state),
        ("sortOrder", "ascending"),
    ];
    let r = client.request(Method::Get, "/api/v2/users", &query, None)?;
    let entities = super::paging::entities(&r.body);
    let users: Vec<GcUser> = parse(entities, "user list")?;
    let last = super::paging::is_last(&r.body, page_number, users.len(), page_size);
    Ok(UserPage { users, last })
}

/// `GET /api/v2/users?id=…&id=…&state=any&pageSize=…`: up to [`IDS_PER_CALL`] users by id in
/// one call, current (read-after-write) and whatever their state, deleted included. Ids that
/// are not returned do not exist (or are in a division the OAuth client cannot read).
///
/// # Panics
/// When given more than [`IDS_PER_CALL`] ids (a caller's error: chunk first).
pub fn get_by_ids(client: &Client, ids: &[&str]) -> Result<Vec<GcUser>, ApiError> {
    assert!(
        ids.len() <= IDS_PER_CALL,
        "at most {IDS_PER_CALL} ids per call"
    );
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let size = ids.len().to_string();
    let mut query: Vec<(&str, &str)> = ids.iter().map(|id| ("id", *id)).collect();
    query.extend([
        ("state", "any"),
        ("pageSize", size.as_str()),
        ("pageNumber", "1"),
    ]);
    let r = client.request(Method::Get, "/api/v2/users", &query, None)?;
    let entities = super::paging::entities(&r.body);
    parse(entities, "user list")
}

/// `POST /api/v2/users/search` for an exact email, optionally restricted to one state.
pub fn search_by_email(
    client: &Client,
    email: &str,
    state: Option<&str>,
) -> Result<Vec<GcUser>, ApiError> {
    let mut query = vec![json!({"type": "EXACT", "fields": ["email"], "value": email})];
    if let Some(s) = state {
        query.push(json!({"type": "EXACT", "fields": ["state"], "value": s}));
    }
    let body = json!({"query": query, "pageSize": 25, "pageNumber": 1});
    let r = client.request(Method::Post, "/api/v2/users/search", &[], Some(&body))?;
    let results = r
        .body
        .get("results")
        .cloned()
        .unwrap_or(Value::Array(vec![]));
    let users: Vec<GcUser> = parse(results, "user search")?;
    Ok(users
        .into_iter()
        .filter(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| crate::mapping::same_email(e, email))
        })
        .collect())
}

/// `POST /api/v2/users` with a `CreateUser` body.
pub fn create(client: &Client, body: &Value) -> Result<GcUser, ApiError> {
    client.request_as(
        Method::Post,
        "/api/v2/users",
        &[],
        Some(body),
        "create user",
    )
}

/// `PATCH /api/v2/users/{id}` with an `UpdateUser` body (which must carry `version`).
pub fn patch(client: &Client, id: &str, body: &Value) -> Result<GcUser, ApiError> {
    let path = format!("/api/v2/users/{id}");
    client.request_as(Method::Patch, &path, &[], Some(body), "update user")
}

/// `DELETE /api/v2/users/{id}` (a soft delete).
pub fn delete(client: &Client, id: &str) -> Result<(), ApiError> {
    client
        .request(Method::Delete, &format!("/api/v2/users/{id}"), &[], None)
        .map(|_| ())
}
