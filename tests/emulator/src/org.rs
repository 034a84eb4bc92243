//! The emulated organisation's state (everything behind the one `Mutex`).

use crate::assignments::{Assignments, InUsePolicy};
use crate::faults::{Faults, InjectedFault};
use crate::out_of_office::OooRec;
use crate::presence::PresenceState;
use crate::queues::QueueRec;
use crate::routing_status::RoutingRec;
use crate::skills::CatRec;
use crate::store::Store;
use crate::util::Rng;
use crate::wrapups::WrapupRec;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// One logged API / login request (control endpoints are not logged).
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    /// Upper-case method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Raw query string (without `?`).
    pub query: String,
    /// Matched route template (e.g. `/api/v2/users/{userId}`, `/oauth/token`); the raw path when
    /// no route matched.
    pub route: String,
    /// Status answered; 0 when the connection was dropped.
    pub status: u16,
    /// When a fault replaced the answer after the request was handled (`after_commit`,
    /// `lost_response_rate`): the status the handler produced, which the client never saw.
    pub handled_status: Option<u16>,
    /// The JSON body, if any parsed (never logged for `/oauth/token`).
    pub body: Option<Value>,
    /// `"Bearer"` / `"Basic"` (the scheme only, never the credential).
    pub authorization_scheme: Option<String>,
    /// The OAuth client id behind the request: the Basic credential's id at `/oauth/token`,
    /// the client a Bearer token was issued to elsewhere (never the secret or the token); None
    /// when there is neither (e.g. an unknown or revoked token). Tells two gcsync instances
    /// sharing one org apart (`tests/switchover.rs`).
    pub client_id: Option<String>,
    /// The `ININ-Correlation-Id` answered (also sent when the connection was dropped).
    pub correlation_id: String,
    /// When the request was read (Unix ms).
    pub received_unix_ms: i64,
    /// When the request was read (monotonic; compare with `Instant`s taken in the same process).
    #[serde(skip)]
    pub received_at: Instant,
    /// Microseconds from reading the request to having its answer (fault latency included).
    pub elapsed_us: u64,
}

/// An issued access token.
pub struct TokenRec {
    /// The OAuth client it was issued to.
    pub client_id: String,
    /// When it stops being accepted.
    pub expires: Instant,
    /// Accepted request times in the last 60 s (rate limiting).
    pub hits: VecDeque<Instant>,
}

/// A stored user.
#[derive(Clone, Debug)]
pub struct UserRec {
    /// GUID.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Primary email (also the username).
    pub email: String,
    /// active | inactive | deleted.
    pub state: String,
    /// Optimistic-concurrency version, starts at 1.
    pub version: i64,
    /// Division id.
    pub division_id: String,
    /// Phone contacts as stored (with server-set `display`).
    pub addresses: Vec<Value>,
    /// Other accepted fields (department, title, preferredName, manager, ...), stored verbatim.
    pub extra: Map<String, Value>,
    /// External identifiers `(authorityName, externalKey)`, one per authority.
    pub external_ids: Vec<(String, String)>,
}

impl UserRec {
    /// The `User` JSON as `GET /api/v2/users/{userId}` returns it.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "division": {"id": self.division_id, "name": "Home",
                          "selfUri": format!("/api/v2/authorization/divisions/{}", self.division_id)},
            "chat": {"jabberId": format!("{}@gcsync-emulator.orgspan.com", self.id.replace('-', ""))},
            "email": self.email,
            "primaryContactInfo": [{"address": self.email, "mediaType": "EMAIL", "type": "PRIMARY"}],
            "addresses": self.addresses,
            "state": self.state,
            "username": self.email,
            "version": self.version,
            "acdAutoAnswer": false,
            "selfUri": format!("/api/v2/users/{}", self.id),
        });
        let obj = v.as_object_mut().expect("object");
        for (k, val) in &self.extra {
            let val = if k == "manager" {
                json!({"id": val, "selfUri": format!("/api/v2/users/{}", val.as_str().unwrap_or(""))})
            } else {
                val.clone()
            };
            obj.insert(k.clone(), val);
        }
        v
    }
}

/// All mutable emulator state.
pub struct Org {
    /// Users in creation order. Add users only through [`Org::insert_user`] (it keeps `by_id`).
    pub users: Vec<UserRec>,
    /// Position in `users` by user id (users are never removed, only soft-deleted).
    by_id: HashMap<String, usize>,
    /// Issued tokens.
    pub tokens: HashMap<String, TokenRec>,
    /// Request log.
    pub log: Vec<LoggedRequest>,
    /// Random-fault settings.
    pub faults: Faults,
    /// Dice for random faults (reseeded by `set_faults`).
    pub fault_rng: Rng,
    /// Scripted faults, consumed in order.
    pub injected: Vec<InjectedFault>,
    /// When `Faults::expire_tokens_every_ms` last expired every token (or was first seen set).
    pub tokens_expired_at: Option<Instant>,
    /// Generator for ids and tokens.
    pub rng: Rng,
    /// Permissions granted to every token (`None`: all). See [`crate::perms`].
    pub granted: Option<Vec<String>>,
    /// How a create of a taken email is refused.
    pub user_conflict: crate::users::UserConflict,
    /// The accepted OAuth clients once [`crate::Emulator::set_client_secret`] changed them
    /// (`None`: `EmulatorConfig::clients`).
    pub clients: Option<Vec<(String, String)>>,
    /// Tokens revoked by [`crate::Emulator::set_client_secret`] (no longer in `tokens`).
    pub revoked_tokens: Vec<String>,
    /// Recent changes per user id, oldest first, for the eventually consistent views (search
    /// and list): the creation, and changes made while a lag is configured (kept as long as the
    /// longest lag).
    history: HashMap<String, Vec<Change>>,
    /// The org's id (`GET /api/v2/organizations/me`).
    pub org_id: String,
    /// Presence definitions, sources, primary sources, user presences (`presence.rs`).
    pub presence: PresenceState,
    /// Out-of-office per user id (`out_of_office.rs`).
    pub out_of_office: HashMap<String, OooRec>,
    /// Routing status per user id (`routing_status.rs`).
    pub routing: HashMap<String, RoutingRec>,
    /// Queues, with their members and wrap-up codes.
    pub queues: Store<QueueRec>,
    /// Routing skills (soft-deleted ones kept with state `deleted`).
    pub skills: Store<CatRec>,
    /// Routing languages (soft-deleted like skills).
    pub languages: Store<CatRec>,
    /// Wrap-up codes.
    pub wrapups: Store<WrapupRec>,
    /// Users' skill and language assignments.
    pub assignments: Assignments,
    /// What deleting a skill, language or wrap-up code still in use does.
    pub in_use: InUsePolicy,
    /// Expansions of `GET /api/v2/users` left out for some users (`crate::user_expand`).
    pub expand_missing: crate::user_expand::Missing,
}

/// One change of a user: when it happened and how the user looked before (`None`: it did not
/// exist yet).
#[derive(Clone, Debug)]
struct Change {
    at: Instant,
    before: Option<Value>,
}

/// Whether two emails are the same address for Genesys Cloud: compared case-insensitively
/// (Unicode lower case), as the directory does for uniqueness and search.
pub fn same_email(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl Org {
    /// Empty org with the given faults.
    pub fn new(faults: Faults) -> Org {
        let mut rng = Rng::from_entropy();
        let presence = PresenceState::new(&mut rng);
        Org {
            users: Vec::new(),
            by_id: HashMap::new(),
            tokens: HashMap::new(),
            log: Vec::new(),
            fault_rng: Rng::new(faults.seed),
            faults,
            injected: Vec::new(),
            tokens_expired_at: None,
            org_id: rng.guid(),
            rng,
            clients: None,
            revoked_tokens: Vec::new(),
            granted: None,
            user_conflict: Default::default(),
            history: HashMap::new(),
            presence,
            out_of_office: HashMap::new(),
            routing: HashMap::new(),
            queues: Store::default(),
            skills: Store::default(),
            languages: Store::default(),
            wrapups: Store::default(),
            assignments: Assignments::default(),
            in_use: InUsePolicy::default(),
            expand_missing: Default::default(),
        }
    }

    /// How long the paged lists of queues, skills, languages and wrap-up codes lag behind the
    /// writes (`object_list_lag_ms`); also how long their changes are remembered.
    pub fn object_lag(&self) -> Duration {
        Duration::from_millis(self.faults.object_list_lag_ms)
    }

    /// User by id, any state.
    pub fn user(&self, id: &str) -> Option<&UserRec> {
        self.by_id.get(id).map(|&i| &self.users[i])
    }

    /// Mutable user by id, any state.
    /// Every mutable access counts as a change for the eventually consistent views.
    pub fn user_mut(&mut self, id: &str) -> Option<&mut UserRec> {
        let i = *self.by_id.get(id)?;
        let keep = self.longest_lag();
        if !keep.is_zero() {
            let before = Some(self.users[i].to_json());
            let h = self.history.entry(id.to_string()).or_default();
            h.retain(|c| c.at.elapsed() < keep);
            h.push(Change {
                at: Instant::now(),
                before,
            });
        }
        Some(&mut self.users[i])
    }

    fn longest_lag(&self) -> Duration {
        Duration::from_millis(self.faults.search_lag_ms.max(self.faults.list_lag_ms))
    }

    /// The user as a view that lags `lag` behind the writes sees it: as it was `lag` ago
    /// (`None`: it did not exist then). A user not changed within `lag` is the live record and
    /// is not serialised, so a scan costs a field comparison per user. Creations are always
    /// remembered; other changes made while no lag was configured are not: they show at once.
    fn seen<'a>(&self, u: &'a UserRec, lag: Duration) -> Option<Seen<'a>> {
        if lag.is_zero() {
            return Some(Seen::Live(u));
        }
        let oldest_in_window = self
            .history
            .get(&u.id)
            .and_then(|h| h.iter().find(|c| c.at.elapsed() < lag));
        match oldest_in_window {
            Some(c) => c.before.clone().map(Seen::Stale),
            None => Some(Seen::Live(u)),
        }
    }

    /// The user as `POST /api/v2/users/search` sees it (`search_lag_ms` behind).
    pub fn search_seen<'a>(&self, u: &'a UserRec) -> Option<Seen<'a>> {
        self.seen(u, Duration::from_millis(self.faults.search_lag_ms))
    }

    /// The user as the paged `GET /api/v2/users` listing sees it (`list_lag_ms` behind).
    pub fn list_seen<'a>(&self, u: &'a UserRec) -> Option<Seen<'a>> {
        self.seen(u, Duration::from_millis(self.faults.list_lag_ms))
    }

    /// User by email (case-insensitive), any state.
    pub fn user_by_email(&self, email: &str) -> Option<&UserRec> {
        self.users.iter().find(|u| same_email(&u.email, email))
    }

    /// Create a user record directly (used by seeding and by `POST /api/v2/users`).
    pub fn insert_user(
        &mut self,
        name: &str,
        email: &str,
        state: &str,
        division_id: &str,
    ) -> String {
        let id = self.rng.guid();
        self.by_id.insert(id.clone(), self.users.len());
        // The creation is always remembered (it costs no JSON), so a lag configured right after
        // a user was seeded still hides it.
        let created = Change {
            at: Instant::now(),
            before: None,
        };
        self.history.insert(id.clone(), vec![created]);
        self.users.push(UserRec {
            id: id.clone(),
            name: name.to_string(),
            email: email.to_string(),
            state: state.to_string(),
            version: 1,
            division_id: division_id.to_string(),
            addresses: Vec::new(),
            extra: Map::new(),
            external_ids: Vec::new(),
        });
        id
    }
}

/// A user as a lagging view (search, list) sees it: the live record, or (within the lag of a
/// change) the JSON it had before.
pub enum Seen<'a> {
    /// Search shows the user as it is now.
    Live(&'a UserRec),
    /// Search still shows this older JSON.
    Stale(Value),
}

impl Seen<'_> {
    /// A searchable string field (`email`, `state`, `id`, `name`); `""` for any other.
    pub fn field(&self, f: &str) -> &str {
        match self {
            Seen::Live(u) => match f {
                "email" => &u.email,
                "state" => &u.state,
                "id" => &u.id,
                "name" => &u.name,
                _ => "",
            },
            Seen::Stale(v) => v[f].as_str().unwrap_or(""),
        }
    }

    /// The user JSON search returns.
    pub fn into_json(self) -> Value {
        match self {
            Seen::Live(u) => u.to_json(),
            Seen::Stale(v) => v,
        }
    }
}
