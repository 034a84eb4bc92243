//! Typed wrappers for the Genesys Cloud presence endpoints gcsync uses (API-FACTS §6, §11):
//! presence definitions, presence sources, a user's primary source, user presences (single and
//! bulk), out-of-office and routing status.

use super::users::parse;
use super::{ApiError, Client, Method};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One of the org's presence definitions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    /// Definition id.
    pub id: String,
    /// The system presence it is, or hangs off (`Available`, `OnQueue`, ...).
    #[serde(default)]
    pub system_presence: String,
    /// `System` or `User` (an org-defined secondary presence).
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Labels by locale.
    #[serde(default)]
    pub language_labels: BTreeMap<String, String>,
    /// Deactivated definitions cannot be written.
    #[serde(default)]
    pub deactivated: bool,
}

/// `GET /api/v2/presence/definitions` (active ones; unpaged).
pub fn definitions(client: &Client) -> Result<Vec<Definition>, ApiError> {
    active(
        client,
        "/api/v2/presence/definitions",
        "presence definition list",
    )
}

/// The active entities of an unpaged presence listing (`{total, entities}`).
fn active<T: for<'de> Deserialize<'de>>(
    client: &Client,
    path: &str,
    what: &str,
) -> Result<Vec<T>, ApiError> {
    let r = client.request(Method::Get, path, &[("deactivated", "false")], None)?;
    parse(super::paging::entities(&r.body), what)
}

/// A presence source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Source {
    /// Source id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// `GET /api/v2/presence/sources` (active ones; unpaged).
pub fn sources(client: &Client) -> Result<Vec<Source>, ApiError> {
    active(client, "/api/v2/presence/sources", "presence source list")
}

/// `POST /api/v2/presence/sources` `{name, type: User}`.
pub fn create_source(client: &Client, name: &str) -> Result<Source, ApiError> {
    let body = json!({"name": name, "type": "User",
                      "description": "PureConnect agent status, written by gcsync"});
    let r = client.request(Method::Post, "/api/v2/presence/sources", &[], Some(&body))?;
    parse(r.body, "presence source")
}

/// A user's primary presence source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimarySource {
    /// The source id.
    #[serde(default)]
    pub source_id: String,
    /// Whether it is a registered source (the Genesys-native one, or an integration's).
    #[serde(default)]
    pub registered: bool,
}

/// `GET /api/v2/presence/users/{userId}/primarysource`.
pub fn primary_source(client: &Client, user: &str) -> Result<PrimarySource, ApiError> {
    let path = format!("/api/v2/presence/users/{user}/primarysource");
    parse(
        client.request(Method::Get, &path, &[], None)?.body,
        "primary source",
    )
}

/// The Genesys-native source's id: `sourceId` of `GET /api/v2/users/{userId}/presences/purecloud`.
pub fn purecloud_source_id(client: &Client, user: &str) -> Result<String, ApiError> {
    let path = format!("/api/v2/users/{user}/presences/purecloud");
    let r = client.request(Method::Get, &path, &[], None)?;
    Ok(r.body["sourceId"].as_str().unwrap_or_default().to_string())
}

/// One presence to write (`MutableUserPresence`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceWrite {
    /// The Genesys user id.
    pub id: String,
    /// The source written.
    pub source_id: String,
    /// `{id}` of the definition.
    pub presence_definition: DefinitionRef,
    /// Make the source the user's primary.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub primary: bool,
}

/// A reference to a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinitionRef {
    /// The definition id.
    pub id: String,
}

/// `PATCH /api/v2/users/{userId}/presences/{sourceId}`: one user's presence in a custom source.
pub fn patch_presence(client: &Client, w: &PresenceWrite) -> Result<(), ApiError> {
    let path = format!("/api/v2/users/{}/presences/{}", w.id, w.source_id);
    let mut body = json!({"presenceDefinition": {"id": w.presence_definition.id}});
    if w.primary {
        body["primary"] = Value::Bool(true);
    }
    client.request(Method::Patch, &path, &[], Some(&body))?;
    Ok(())
}

/// `PUT /api/v2/users/presences/bulk`: several users' presences in one call.
pub fn put_presences(client: &Client, items: &[PresenceWrite]) -> Result<(), ApiError> {
    let body = serde_json::to_value(items).unwrap_or_default();
    client.request(
        Method::Put,
        "/api/v2/users/presences/bulk",
        &[],
        Some(&body),
    )?;
    Ok(())
}

/// `PUT /api/v2/users/{userId}/outofoffice`: active and open-ended from `start` (ISO-8601), or
/// cleared.
pub fn put_out_of_office(
    client: &Client,
    user: &str,
    active: bool,
    start: &str,
) -> Result<(), ApiError> {
    let path = format!("/api/v2/users/{user}/outofoffice");
    let body = match active {
        true => json!({"active": true, "indefinite": true, "startDate": start}),
        false => json!({"active": false}),
    };
    client.request(Method::Put, &path, &[], Some(&body))?;
    Ok(())
}

/// `PUT /api/v2/users/{userId}/routingstatus` `{status}`.
pub fn put_routing_status(client: &Client, user: &str, status: &str) -> Result<(), ApiError> {
    let path = format!("/api/v2/users/{user}/routingstatus");
    client.request(Method::Put, &path, &[], Some(&json!({"status": status})))?;
    Ok(())
}
