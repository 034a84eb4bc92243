//! A strict Genesys Cloud emulator for gcsync's tests and demo.
//!
//! One loopback HTTP server plays both hosts: the login host (`POST /oauth/token`) and the API
//! host (`/api/v2/...`). Requests are validated against the embedded `openapi-subset.json`
//! (unknown fields, wrong types, bad enums and missing required fields are rejected) before the
//! handlers run. See `README.md` for the emulated behaviour and decisions taken.
//!
//! ```no_run
//! let emu = gc_emulator::Emulator::start(Default::default()).unwrap();
//! let url = emu.base_url(); // http://127.0.0.1:PORT
//! # drop(url);
//! ```

#![warn(missing_docs)]

mod adv_control;
mod assignments;
mod auth;
mod control;
mod errors;
mod externalid;
mod faults;
mod holds;
mod http;
mod members;
mod org;
mod organization;
mod out_of_office;
mod paging;
pub mod perms;
mod presence;
mod presence_control;
mod presence_sources;
mod queue_wrapups;
mod queues;
mod routing_status;
pub mod schema;
mod server;
mod skills;
mod store;
mod user_expand;
mod user_fields;
mod user_presence;
mod users;
mod util;
mod wrapups;

pub use assignments::{InUse, InUsePolicy};
pub use errors::ApiError;
pub use faults::{Faults, InjectedFault, RetryAfter};
pub use holds::HoldId;
pub use org::LoggedRequest;
pub use presence::{PresenceConfig, PresenceHook, PresenceWrite};
pub use users::UserConflict;
/// IMF-fixdate (RFC 9110) of a Unix time, as the emulator writes `Retry-After` dates.
pub use util::http_date;

use http::{HttpServer, Reply};
use serde_json::Value;
use server::Shared;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Start-up configuration.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to bind; must be loopback. Default `127.0.0.1:0` (any free port).
    pub bind: String,
    /// Accepted OAuth clients `(client_id, client_secret)`. Default `[("gcsync-test", "test-secret")]`.
    pub clients: Vec<(String, String)>,
    /// `expires_in` of issued tokens, seconds. Default 86 400.
    pub token_lifetime_secs: u64,
    /// Requests per token per sliding 60 s window before 429. Default 300.
    pub rate_limit_per_minute: u32,
    /// Random faults active from the start.
    pub faults: Faults,
    /// The org's home division (the only division). Default `5f4ae2b8-1d3c-4e7a-9b60-0c8d2e1f3a47`.
    pub home_division_id: String,
    /// Permissions every token has (`domain:entity:action`, `*` for any one segment). `None`
    /// (the default): all. An operation whose `x-inin-requires-permissions` the set does not
    /// meet answers 403 naming what is missing.
    pub granted_permissions: Option<Vec<String>>,
    /// Presence, out-of-office and routing-status limits and rules (UNCONFIRMED items).
    pub presence: PresenceConfig,
    /// `productPlatform` of `GET /api/v2/organizations/me`. Default `Some("PureConnect")`;
    /// `None` leaves the field out.
    pub product_platform: Option<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: "127.0.0.1:0".into(),
            clients: vec![("gcsync-test".into(), "test-secret".into())],
            token_lifetime_secs: 86_400,
            rate_limit_per_minute: 300,
            faults: Faults::default(),
            home_division_id: "5f4ae2b8-1d3c-4e7a-9b60-0c8d2e1f3a47".into(),
            granted_permissions: None,
            presence: PresenceConfig::default(),
            product_platform: Some("PureConnect".into()),
        }
    }
}

/// A running emulator. Stops (and joins its threads) on [`Emulator::stop`] or drop.
pub struct Emulator {
    shared: Arc<Shared>,
    server: Option<HttpServer>,
    addr: SocketAddr,
}

impl Emulator {
    /// Bind (loopback only), spawn the server threads and return once listening.
    pub fn start(cfg: EmulatorConfig) -> std::io::Result<Emulator> {
        let addrs: Vec<SocketAddr> = cfg.bind.to_socket_addrs()?.collect();
        if addrs.is_empty() || addrs.iter().any(|a| !a.ip().is_loopback()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("refusing to bind to non-loopback address {}", cfg.bind),
            ));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut org = org::Org::new(cfg.faults.clone());
        org.granted = cfg.granted_permissions.clone();
        org.presence.cfg = cfg.presence.clone();
        let shared = Arc::new(Shared {
            org: Mutex::new(org),
            cfg: cfg.clone(),
            stop: stop.clone(),
            holds: Default::default(),
        });
        let sh = shared.clone();
        let handler: http::Handler = Arc::new(move |req| -> Reply { server::handle(&sh, req) });
        let server = HttpServer::start(&addrs[0].to_string(), handler, stop)?;
        let addr = server.local_addr();
        Ok(Emulator {
            shared,
            server: Some(server),
            addr,
        })
    }

    /// `http://127.0.0.1:PORT`: serves both `/oauth/token` and `/api/v2/...`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.cfg
    }

    /// Replace the random-fault settings (reseeds the dice with `f.seed`).
    pub fn set_faults(&self, f: Faults) {
        let mut org = self.shared.lock();
        org.fault_rng = util::Rng::new(f.seed);
        org.tokens_expired_at = None;
        org.faults = f;
    }

    /// Replace the granted permission set (`None`: everything); applies to the next request.
    pub fn set_granted_permissions(&self, granted: Option<Vec<String>>) {
        self.shared.lock().granted = granted;
    }

    /// How a create of a taken email is refused from the next request on (default: 409
    /// `general.conflict` without `entityId`).
    pub fn set_user_conflict(&self, c: UserConflict) {
        self.shared.lock().user_conflict = c;
    }

    /// Queue a scripted fault; entries are matched in insertion order, first match consumed.
    pub fn inject(&self, f: InjectedFault) {
        self.shared.lock().injected.push(f);
    }

    /// Holds the next request matching `method` and route template `route` (`*`: any), before
    /// it is handled or (`after_commit`) after its change is committed and logged, until
    /// [`Emulator::release`] (README "Holds"). Every other request goes on meanwhile.
    pub fn hold(&self, method: &str, route: &str, after_commit: bool) -> HoldId {
        self.shared.holds.add(method, route, after_commit)
    }

    /// Whether hold `h` caught its request within `timeout`.
    pub fn wait_held(&self, h: HoldId, timeout: Duration) -> bool {
        self.shared.holds.wait_caught(h, timeout)
    }

    /// Lets hold `h`'s request go on (a hold that caught nothing yet is dropped).
    pub fn release(&self, h: HoldId) {
        self.shared.holds.release(h)
    }

    /// Expire every issued token: the next API call with one gets 401 `authentication.required`.
    pub fn expire_all_tokens(&self) {
        auth::expire_all(&mut self.shared.lock());
    }

    /// The admin regenerated an OAuth client's secret (or revoked the client and made it again
    /// with the same id): from now on only `secret` is accepted for `client_id` at
    /// `/oauth/token` (the old one gets 401 `invalid_client`), and every token issued so far is
    /// revoked (401 `bad.credentials`). A client id not configured is added.
    pub fn set_client_secret(&self, client_id: &str, secret: &str) {
        let mut org = self.shared.lock();
        let mut clients = org
            .clients
            .clone()
            .unwrap_or_else(|| self.shared.cfg.clients.clone());
        clients.retain(|(id, _)| id != client_id);
        clients.push((client_id.to_string(), secret.to_string()));
        org.clients = Some(clients);
        let revoked: Vec<String> = org.tokens.drain().map(|(t, _)| t).collect();
        org.revoked_tokens.extend(revoked);
    }

    /// Every access token issued so far, expired and revoked ones included: tests scan what
    /// gcsync wrote for them.
    pub fn issued_tokens(&self) -> Vec<String> {
        let org = self.shared.lock();
        org.tokens
            .keys()
            .chain(&org.revoked_tokens)
            .cloned()
            .collect()
    }

    /// Every user (any state) as `GET /api/v2/users/{userId}` JSON, in creation order.
    pub fn users(&self) -> Vec<Value> {
        self.shared
            .lock()
            .users
            .iter()
            .map(|u| u.to_json())
            .collect()
    }

    /// One user by id (any state).
    pub fn user(&self, id: &str) -> Option<Value> {
        self.shared.lock().user(id).map(|u| u.to_json())
    }

    /// User by email, case-insensitive, any state.
    pub fn user_by_email(&self, email: &str) -> Option<Value> {
        self.shared.lock().user_by_email(email).map(|u| u.to_json())
    }

    /// Create a user directly (no request logged). `state`: active | inactive | deleted.
    /// Panics on a bad state or a taken email (test set-up error). Returns the new id.
    pub fn seed_user(&self, name: &str, email: &str, state: &str) -> String {
        let home = self.shared.cfg.home_division_id.clone();
        control::seed_user(&mut self.shared.lock(), &home, name, email, state)
            .unwrap_or_else(|e| panic!("seed_user: {e}"))
    }

    /// Simulate a concurrent edit by someone else: the user's version goes up by one.
    pub fn bump_user_version(&self, id: &str) {
        if let Some(u) = self.shared.lock().user_mut(id) {
            u.version += 1;
        }
    }

    /// Drift made in Genesys Cloud by someone else: the user's name changes and its version goes
    /// up by one (no request logged).
    pub fn drift_user_name(&self, id: &str, name: &str) {
        let mut org = self.shared.lock();
        let u = org.user_mut(id).expect("drift_user_name: no such user");
        u.name = name.to_string();
        u.version += 1;
    }

    /// Drift in the user's state (active | inactive | deleted), version + 1, no request logged.
    pub fn set_user_state(&self, id: &str, state: &str) {
        let mut org = self.shared.lock();
        let u = org.user_mut(id).expect("set_user_state: no such user");
        u.state = state.to_string();
        u.version += 1;
    }

    /// The user's external identifiers, as (authority, key) pairs.
    pub fn external_ids(&self, id: &str) -> Vec<(String, String)> {
        self.shared
            .lock()
            .user(id)
            .map(|u| u.external_ids.clone())
            .unwrap_or_default()
    }

    /// The request log (API and login requests; control endpoints are not logged).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// How many logged requests had this method (case-insensitive) and route template.
    pub fn call_count(&self, method: &str, route: &str) -> usize {
        let org = self.shared.lock();
        org.log
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.route == route)
            .count()
    }

    /// Empty the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// True once shutdown was requested (`POST /__emulator/shutdown` or [`Emulator::stop`]).
    pub fn is_stopping(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    /// Block until shutdown is requested via `POST /__emulator/shutdown`.
    pub fn wait_for_shutdown(&self) {
        while !self.is_stopping() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop serving and join all threads (also done on drop).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.holds.release_all();
        if let Some(mut s) = self.server.take() {
            s.shutdown();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
