//! Typed wrappers for the Genesys Cloud wrap-up code endpoints gcsync uses (API-FACTS §5).

use super::queues::{named_like, parse, Named};
use super::{found, ApiError, Client, Method};
use serde_json::json;

/// Page size of the wrap-up code list (Genesys' Terraform provider reads codes 100 a page).
const PAGE: usize = 100;

/// `POST /api/v2/routing/wrapupcodes` with a name.
pub fn create(client: &Client, name: &str) -> Result<Named, ApiError> {
    let body = json!({ "name": name });
    let r = client.request(
        Method::Post,
        "/api/v2/routing/wrapupcodes",
        &[],
        Some(&body),
    )?;
    parse(r.body, "create wrap-up code")
}

/// `GET /api/v2/routing/wrapupcodes/{id}`; `Ok(None)` on 404.
pub fn get(client: &Client, id: &str) -> Result<Option<Named>, ApiError> {
    let path = format!("/api/v2/routing/wrapupcodes/{id}");
    match client.request(Method::Get, &path, &[], None) {
        Ok(r) => parse(r.body, "wrap-up code").map(Some),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `PUT /api/v2/routing/wrapupcodes/{id}` with a new name (a rename); `Ok(None)` on 404.
pub fn rename(client: &Client, id: &str, name: &str) -> Result<Option<Named>, ApiError> {
    let path = format!("/api/v2/routing/wrapupcodes/{id}");
    let body = json!({ "name": name });
    match client.request(Method::Put, &path, &[], Some(&body)) {
        Ok(r) => parse(r.body, "rename wrap-up code").map(Some),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every wrap-up code whose name equals `name` ignoring case (the API's name filter is not
/// exact); the caller picks an exact one.
pub fn find_by_name(client: &Client, name: &str) -> Result<Vec<Named>, ApiError> {
    let path = "/api/v2/routing/wrapupcodes";
    named_like(client, path, name, PAGE, "wrap-up code list")
}

/// `DELETE /api/v2/routing/wrapupcodes/{id}`; `Ok(false)` when it was gone already.
pub fn delete(client: &Client, id: &str) -> Result<bool, ApiError> {
    let path = format!("/api/v2/routing/wrapupcodes/{id}");
    found(client.request(Method::Delete, &path, &[], None))
}
