//! Presence definitions, presence sources and users' primary sources (API-FACTS §6, §11), and
//! the presence state every presence module shares.
//!
//! - Definitions: the ten system presences exist in every org with ids generated per org (never
//!   fixed GUIDs); org-defined secondary presences (type `User`) are seeded through the control
//!   API. Both lists are unpaged `{total, entities}`.
//! - Sources: custom sources (`Source`) created by clients; the Genesys-native source
//!   (`PURECLOUD`, registered) is not one of them: it has its own paths and an id per org.
//! - Primary source per user: `PURECLOUD` until a client or an integration changes it.
//!
//! Decisions (UNCONFIRMED in the facts) are listed in the README under *Presence*.

use crate::errors::ApiError;
use crate::org::Org;
use crate::server::{ApiResult, Ctx};
use crate::util::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// The system presences (`OrganizationPresenceDefinition.systemPresence`) and their English
/// labels, as API-FACTS §6 lists them.
pub const SYSTEM_PRESENCES: [(&str, &str); 10] = [
    ("Available", "Available"),
    ("Away", "Away"),
    ("Busy", "Busy"),
    ("Offline", "Offline"),
    ("Idle", "Idle"),
    ("OnQueue", "On Queue"),
    ("Meal", "Meal"),
    ("Training", "Training"),
    ("Meeting", "Meeting"),
    ("Break", "Break"),
];

/// Presence, out-of-office and routing-status settings; the UNCONFIRMED limits and rules are
/// here so a test can change them (`EmulatorConfig::presence`, `Emulator::set_presence_config`,
/// `POST /__emulator/presence-config`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct PresenceConfig {
    /// Most entries one `PUT /api/v2/users/presences/bulk` takes (UNCONFIRMED; one public client
    /// uses 50). More gives 400. Default 50.
    pub bulk_max: usize,
    /// Most custom presence sources the org may hold (`None`: no limit). The facts say "one
    /// presence source per org is supported" for an external platform, not that a second is
    /// refused. Default `None`.
    pub max_sources: Option<usize>,
    /// Routing-status changes `PUT /api/v2/users/{userId}/routingstatus` accepts, `(from, to)`
    /// (UNCONFIRMED). Default: see [`default_transitions`].
    pub routing_transitions: Vec<(String, String)>,
    /// A write to a user's primary source drives the routing status: `OnQueue` takes an
    /// `OFF_QUEUE` user to `IDLE`, any other presence takes the user `OFF_QUEUE`. Default true.
    pub on_queue_drives_routing: bool,
    /// `PUT /api/v2/users/{userId}/outofoffice` answers 403 `outofoffice.update.error` (the 2018
    /// spec's "Cannot update another user's OutOfOffice"), as for a token without a user.
    /// Default false (current SDK docs list no restriction).
    pub ooo_update_forbidden: bool,
}

/// The routing-status transitions PUT accepts by default (API-FACTS §6: "likely only leaving
/// NOT_RESPONDING / going OFF_QUEUE"; going on queue is done through the `OnQueue` presence):
/// every status to `OFF_QUEUE`, and `NOT_RESPONDING` to `IDLE`. A PUT of the current status is
/// always accepted and changes nothing.
pub fn default_transitions() -> Vec<(String, String)> {
    let mut t: Vec<(String, String)> = ["IDLE", "INTERACTING", "COMMUNICATING", "NOT_RESPONDING"]
        .iter()
        .map(|from| (from.to_string(), "OFF_QUEUE".to_string()))
        .collect();
    t.push(("NOT_RESPONDING".into(), "IDLE".into()));
    t
}

impl Default for PresenceConfig {
    fn default() -> Self {
        PresenceConfig {
            bulk_max: 50,
            max_sources: None,
            routing_transitions: default_transitions(),
            on_queue_drives_routing: true,
            ooo_update_forbidden: false,
        }
    }
}

/// A presence definition.
#[derive(Clone, Debug)]
pub struct DefRec {
    /// GUID, generated per org.
    pub id: String,
    /// One of the [`SYSTEM_PRESENCES`] names.
    pub system_presence: String,
    /// `System` (the ten primary ones) or `User` (org-defined secondary presences).
    pub kind: &'static str,
    /// Locale → label.
    pub labels: BTreeMap<String, String>,
    /// Hidden from lists unless asked for.
    pub deactivated: bool,
}

impl DefRec {
    /// `OrganizationPresenceDefinition` JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "languageLabels": self.labels, "systemPresence": self.system_presence,
            "type": self.kind, "deactivated": self.deactivated,
            "selfUri": format!("/api/v2/presence/definitions/{}", self.id),
        })
    }

    /// The `PresenceDefinition` reference a user presence carries.
    pub fn reference(&self) -> Value {
        json!({"id": self.id, "systemPresence": self.system_presence,
               "selfUri": format!("/api/v2/presence/definitions/{}", self.id)})
    }
}

/// A custom presence source.
#[derive(Clone, Debug)]
pub struct SourceRec {
    /// GUID.
    pub id: String,
    /// Unique in the org (compared case-insensitively).
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// `System` | `User` (default `User`).
    pub kind: String,
    /// A deactivated source takes no presence writes.
    pub deactivated: bool,
}

impl SourceRec {
    /// `Source` JSON.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"id": self.id, "name": self.name, "type": self.kind,
            "deactivated": self.deactivated, "selfUri": format!("/api/v2/presence/sources/{}", self.id)});
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        v
    }
}

/// A user's presence in one source.
#[derive(Clone, Debug)]
pub struct PresRec {
    /// The definition set.
    pub definition_id: String,
    /// Its system presence when it was set.
    pub system_presence: String,
    /// Status text.
    pub message: Option<String>,
    /// When it was set (Unix ms).
    pub modified_ms: i64,
}

/// One applied presence write, in the order the emulator applied them.
#[derive(Clone, Debug, Serialize)]
pub struct PresenceWrite {
    /// The user.
    pub user_id: String,
    /// The source written (the org's `PURECLOUD` source id for the Genesys-native one).
    pub source_id: String,
    /// The definition set.
    pub definition_id: String,
    /// Its system presence (`OnQueue`, `Busy`, ...).
    pub system_presence: String,
    /// The status text, if any.
    pub message: Option<String>,
    /// The route template of the request that applied it.
    pub route: String,
    /// Unix milliseconds when applied.
    pub applied_unix_ms: i64,
    /// Monotonic time when applied (compare with a hook's `Instant` in the same process).
    #[serde(skip)]
    pub applied_at: Instant,
}

/// Called once per applied presence write, with the org lock held: keep it short (record the
/// time, send on a channel).
pub type PresenceHook = Arc<dyn Fn(&PresenceWrite) + Send + Sync>;

/// Everything presence: definitions, sources, primary sources, user presences, the write log.
pub struct PresenceState {
    /// Limits and rules.
    pub cfg: PresenceConfig,
    /// The id of the Genesys-native (`PURECLOUD`, registered) source in this org.
    pub purecloud_source_id: String,
    /// Definitions; deleted ones are removed.
    pub definitions: Vec<DefRec>,
    /// Custom sources; deleted ones are removed.
    pub sources: Vec<SourceRec>,
    /// Presence per (user id, source id).
    pub presences: HashMap<(String, String), PresRec>,
    /// Primary source per user id, `(sourceId, registered)`; absent: `PURECLOUD`.
    pub primary: HashMap<String, (String, bool)>,
    /// Every applied presence write, oldest first.
    pub writes: Vec<PresenceWrite>,
    /// Called for each applied write.
    pub hook: Option<PresenceHook>,
}

impl PresenceState {
    /// A fresh org's presence state: the system definitions with ids drawn from `rng`.
    pub fn new(rng: &mut Rng) -> PresenceState {
        let definitions = SYSTEM_PRESENCES
            .iter()
            .map(|(sp, label)| DefRec {
                id: rng.guid(),
                system_presence: sp.to_string(),
                kind: "System",
                labels: BTreeMap::from([("en_US".to_string(), label.to_string())]),
                deactivated: false,
            })
            .collect();
        PresenceState {
            cfg: PresenceConfig::default(),
            purecloud_source_id: rng.guid(),
            definitions,
            sources: Vec::new(),
            presences: HashMap::new(),
            primary: HashMap::new(),
            writes: Vec::new(),
            hook: None,
        }
    }

    /// A definition by id (deleted ones are gone).
    pub fn definition(&self, id: &str) -> Option<&DefRec> {
        self.definitions.iter().find(|d| d.id == id)
    }

    /// The `System` definition of a system presence.
    pub fn system_definition(&self, system_presence: &str) -> Option<&DefRec> {
        self.definitions
            .iter()
            .find(|d| d.kind == "System" && d.system_presence == system_presence)
    }

    /// A custom source by id.
    pub fn source(&self, id: &str) -> Option<&SourceRec> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// A user's primary source `(sourceId, registered)`.
    pub fn primary_of(&self, user_id: &str) -> (String, bool) {
        self.primary
            .get(user_id)
            .cloned()
            .unwrap_or_else(|| (self.purecloud_source_id.clone(), true))
    }

    /// Seed an org-defined secondary presence (type `User`) under a system presence.
    pub fn seed_definition(
        &mut self,
        rng: &mut Rng,
        system_presence: &str,
        labels: BTreeMap<String, String>,
        deactivated: bool,
    ) -> Result<String, String> {
        if !SYSTEM_PRESENCES.iter().any(|(s, _)| *s == system_presence) {
            return Err(format!("unknown systemPresence '{system_presence}'"));
        }
        if labels.is_empty() {
            return Err("languageLabels must not be empty".into());
        }
        let id = rng.guid();
        self.definitions.push(DefRec {
            id: id.clone(),
            system_presence: system_presence.to_string(),
            kind: "User",
            labels,
            deactivated,
        });
        Ok(id)
    }
}

/// The `deactivated` query flag (a string in the spec): `false` (default) lists active ones
/// only, `true` lists deactivated ones too.
pub fn with_deactivated(ctx: &Ctx) -> Result<bool, ApiError> {
    match ctx.q("deactivated").unwrap_or("false") {
        "false" => Ok(false),
        "true" => Ok(true),
        v => Err(ApiError::bad_request(format!(
            "query parameter deactivated: '{v}' is not true or false"
        ))),
    }
}

/// An unpaged `{total, entities, selfUri}` listing.
pub fn listing(entities: Vec<Value>, self_uri: &str) -> Value {
    json!({"total": entities.len(), "entities": entities, "selfUri": self_uri})
}

/// `GET /api/v2/presence/definitions` (unpaged; `divisionId` filters nothing: the emulated
/// definitions belong to no division, which every division filter includes).
pub fn list_definitions(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let all = with_deactivated(ctx)?;
    let entities = org
        .presence
        .definitions
        .iter()
        .filter(|d| all || !d.deactivated)
        .map(DefRec::to_json)
        .collect();
    Ok(listing(entities, "/api/v2/presence/definitions"))
}

/// `GET /api/v2/presence/definitions/{definitionId}`.
pub fn get_definition(org: &mut Org, ctx: &Ctx) -> ApiResult {
    let id = ctx.param("definitionId");
    org.presence
        .definition(id)
        .map(DefRec::to_json)
        .ok_or_else(|| {
            ApiError::resource_not_found(format!("Presence definition '{id}' not found"))
        })
}

/// 404 unless the user exists and is not deleted.
pub fn live_user(org: &Org, id: &str) -> Result<(), ApiError> {
    match org.user(id) {
        Some(u) if u.state != "deleted" => Ok(()),
        _ => Err(ApiError::resource_not_found(
            "Unable to find a user with that userId",
        )),
    }
}
