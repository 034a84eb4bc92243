//! The blocking Genesys Cloud HTTP client, shared by threads: OAuth client-credentials token
//! (one, with a single-flight refresh), one request budget with a presence lane, bounded retries
//! (429, 5xx, transport errors, one 401 replay).
//!
//! Retry rules, per call of [`Client::request`] / [`Client::request_on`]:
//! - 429: wait `Retry-After` (delta-seconds or HTTP date; 3 s when absent). The wait pauses the
//!   shared budget, so every thread and lane waits it out, not only the caller. A wait longer
//!   than `max_retry_after` ends the call at once with [`ApiError::RateLimited`] and pauses
//!   nothing: such waits are mostly one API's daily cap, not the token's rate limit.
//! - 5xx except 501, and transport errors (refused, reset, timeout, DNS, broken response):
//!   exponential backoff `retry_base * 2^n` capped at 30 s, full jitter (this thread only).
//! - 429s, 5xx and transport errors share one bound: at most `max_retries` repeats per exchange.
//! - 401 from the API: the token the request carried is dropped (unless another thread replaced
//!   it already), a new one fetched and the request replayed once (counted in
//!   `metrics.retries`, not against `max_retries`); a second 401 is returned when the replay
//!   carried a token fetched after the first 401 and was refused at once. Otherwise (the
//!   replay carried a token another thread had cached, which may have expired unnoticed, or
//!   it waited out a 429 or a backoff or took a second or more, during which the new token may
//!   have expired) it is replayed again, at most `max_retries` times in all.
//! - Every other status is returned at once (4xx handling, e.g. 409, is the caller's).
//!
//! The token request goes through the same budget (in the presence lane, since every lane waits
//! for it) and the same 429/5xx/transport rules; any other non-2xx answer from the login service
//! is [`ApiError::Auth`]. Threads waiting for that request get its result, success or failure.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use log::debug;
use serde_json::Value;
use ureq::Agent;

use super::auth;
use super::budget::{Budget, Lane, SharedBudget};
pub use super::config::{ClientConfig, Method};
use super::retry::Jitter;
use super::token::TokenCell;
use super::wire::{self, status_error, Outgoing};
use super::writes::write_kind;
use super::{setup, ApiError};
use crate::cancel::Cancel;
use crate::metrics::Metrics;
use crate::queue::{Hold, WriteKind};
use crate::secret::Secret;

mod exchange;
mod login;
mod outcome;

const LOG: &str = "gcsync::genesys";

/// A 401 for a request that took this long (waits included) is replayed again (module docs).
const STALE_AFTER: Duration = Duration::from_secs(1);

/// The lane and cancel flag of one call, and whether it writes.
struct Call<'a> {
    lane: Lane,
    cancel: &'a Cancel,
    write: WriteKind,
}

/// A successful (2xx) answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// The JSON body; `Value::Null` when the body was empty.
    pub body: Value,
    /// The `ININ-Correlation-Id` header, if sent.
    pub correlation_id: Option<String>,
}

/// The Genesys Cloud client, shared by every thread that calls Genesys Cloud (`Send + Sync`;
/// share it as `Arc<Client>`). Calls block the calling thread only.
///
/// Shared by all threads: one access token (single-flight refresh, see [`TokenCell`]), one
/// request budget with its lanes and 429 pauses ([`SharedBudget`]), one keep-alive connection
/// pool, one [`Metrics`]. Per call: the retry bound, the backoff sleeps, the lane and the cancel
/// flag.
///
/// **Cancel.** [`Client::request`] uses the client's own flag ([`Client::set_cancel`], set once
/// before the client is shared); [`Client::request_on`] takes the lane and the flag per call, so
/// each thread (a worker, the presence lane) can pass its own. Either way a raised flag ends the
/// call's waits (budget, token, backoff) at once and no new request starts.
pub struct Client {
    inner: Arc<Inner>,
    cancel: Cancel,
    lane: Lane,
    /// The worker's hold on the object its step syncs, looked at before every write
    /// ([`Client::with_hold`]).
    hold: Option<Arc<Hold>>,
}

/// What every view of one client shares: configuration, HTTP agent (and its connection pool),
/// counters, the budget and the token.
struct Inner {
    cfg: ClientConfig,
    agent: Agent,
    metrics: Arc<Metrics>,
    budget: SharedBudget,
    jitter: Mutex<Jitter>,
    basic: Secret,
    token: TokenCell,
}

fn shutting_down() -> ApiError {
    ApiError::Transport {
        message: "gcsync is shutting down; the request was not completed".into(),
    }
}

impl Client {
    /// Checks the configuration (URLs https or loopback http, readable CA bundle and proxy,
    /// credentials present, non-zero rate and timeouts, 1-16 concurrent requests, a presence
    /// share of 0-90 %) and builds the HTTP agent. No network I/O.
    pub fn new(cfg: ClientConfig, metrics: Arc<Metrics>) -> Result<Client, ApiError> {
        let mut cfg = cfg;
        cfg.api_base_url = setup::check_base_url("api_base_url", &cfg.api_base_url)?;
        cfg.login_base_url = setup::check_base_url("login_base_url", &cfg.login_base_url)?;
        let config_error = |m: &str| ApiError::Config { message: m.into() };
        if cfg.client_id.trim().is_empty() || cfg.client_secret.is_empty() {
            return Err(config_error("client_id and client_secret must both be set"));
        }
        if cfg.requests_per_minute == 0 {
            return Err(config_error("requests_per_minute must be at least 1"));
        }
        if cfg.connect_timeout.is_zero() || cfg.request_timeout.is_zero() {
            return Err(config_error(
                "connect and request timeouts must be above zero",
            ));
        }
        if !(1..=16).contains(&cfg.max_concurrent_requests) {
            return Err(config_error("max_concurrent_requests must be 1-16"));
        }
        if cfg.presence_reserved_share > 90 {
            return Err(config_error("presence_reserved_share must be 0-90"));
        }
        let roots = setup::root_certs(cfg.ca_bundle_pem.as_deref())?;
        let proxy = setup::proxy(cfg.proxy.as_deref())?;
        // The workers plus the presence lane.
        let connections = cfg.max_concurrent_requests + 1;
        let agent = setup::agent(
            cfg.connect_timeout,
            cfg.request_timeout,
            proxy,
            roots,
            connections,
        );
        let budget = Budget::with_reserve(cfg.requests_per_minute, cfg.presence_reserved_share);
        Ok(Client {
            inner: Arc::new(Inner {
                budget: SharedBudget::new(budget),
                basic: auth::basic_auth(cfg.client_id.trim(), &cfg.client_secret),
                jitter: Mutex::new(Jitter::from_time()),
                token: TokenCell::default(),
                agent,
                metrics,
                cfg,
            }),
            cancel: Cancel::default(),
            lane: Lane::Config,
            hold: None,
        })
    }

    /// Another view of this client: the same token, budget, connections and counters, with its
    /// own cancellation flag (see [`Client::set_cancel`]) and lane for [`Client::request`]. Each
    /// worker thread takes one, so a newer change interrupts only the worker holding the object,
    /// and the presence worker's calls go on the presence lane.
    pub fn view(&self, cancel: Cancel, lane: Lane) -> Client {
        let mut v = Client {
            inner: self.inner.clone(),
            cancel: Cancel::default(),
            lane,
            hold: None,
        };
        v.set_cancel(cancel);
        v
    }

    /// This view with a worker's hold: right before each write attempt (the point of no
    /// return) the hold says whether it may be sent, and each answer is recorded in it. A
    /// write the hold refuses fails with a transient `Transport` error, unsent
    /// (`queue/hold.rs`: a newer change of the object arrived before the step wrote anything).
    pub fn with_hold(mut self, hold: Arc<Hold>) -> Client {
        self.hold = Some(hold);
        self
    }

    /// Shares a cancellation flag: once raised, waits end, the request in flight is cut off
    /// (shutdown's cancel closes the shared agent's sockets) and no new one starts (the call
    /// fails with a transient `Transport` error). Calls through [`Client::request_on`] pass
    /// their own flag.
    pub fn set_cancel(&mut self, cancel: Cancel) {
        // Shutdown's cancel closes this agent's sockets: a request stalled in a read ends.
        let agent = self.inner.agent.clone();
        cancel.set_abort(move || agent.clone().shutdown());
        self.cancel = cancel;
    }

    /// The cancellation flag of [`Client::request`] (for callers that pause between requests).
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// The configuration the client runs with (URLs without a trailing `/`).
    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// Drops the cached access token; the next call fetches a new one.
    pub fn invalidate_token(&self) {
        self.inner.token.invalidate();
    }

    /// One API call in [`Lane::Config`] with the client's cancel flag: see
    /// [`Client::request_on`].
    pub fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<ApiResponse, ApiError> {
        self.request_on(self.lane, &self.cancel, method, path, query, body)
    }

    /// One API call in `lane`, its waits ended by `cancel`. `path` like `/api/v2/users/abc` is
    /// appended to `api_base_url`; `query` pairs are URL-encoded; `body` is sent as
    /// `application/json`. Fetches and caches the token itself. 2xx → `Ok`; anything else
    /// (after the retries described in the module docs) → `Err`.
    pub fn request_on(
        &self,
        lane: Lane,
        cancel: &Cancel,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<ApiResponse, ApiError> {
        let call = Call {
            lane,
            cancel,
            write: WriteKind::Read,
        };
        self.call(call, method, path, query, body, |c, out, raw| {
            c.success(out, raw)
        })
    }

    /// [`Client::request`], the 2xx answer read straight into `T` (no `Value` tree of fields
    /// nobody reads: a created user's answer holds many more than [`super::users::GcUser`]).
    /// An answer `T` cannot be read from gives exactly the error [`Client::request`] and
    /// reading `T` from its `body` give (`what` names it: see [`super::users::parse`]).
    pub fn request_as<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        what: &str,
    ) -> Result<T, ApiError> {
        let call = Call {
            lane: self.lane,
            cancel: &self.cancel,
            write: WriteKind::Read,
        };
        self.call(
            call,
            method,
            path,
            query,
            body,
            |c, out, raw| match serde_json::from_slice(&raw.body) {
                Ok(t) => Ok(t),
                Err(_) => super::users::parse(c.success(out, raw)?.body, what),
            },
        )
    }

    /// One API call (see [`Client::request_on`]); a 2xx answer goes to `answer`.
    fn call<T>(
        &self,
        call: Call,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        answer: impl FnOnce(&Self, &Outgoing, wire::Raw) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let slash = if path.starts_with('/') { "" } else { "/" };
        let path = format!("{slash}{path}");
        let url = format!(
            "{}{path}{}",
            self.inner.cfg.api_base_url,
            wire::encode_query(query)
        );
        let written: Vec<String> = match (method, body) {
            (Method::Get, _) => Vec::new(),
            (_, Some(Value::Object(m))) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let call = Call {
            write: write_kind(method, &path, body),
            ..call
        };
        let body = body.map(|v| v.to_string().into_bytes());
        let mut replays = 0u32;
        // The newest token generation when this request last got a 401.
        let mut newest_at_401: Option<u64> = None;
        loop {
            let (bearer, generation) = self.bearer(&call)?;
            let out = Outgoing {
                method,
                url: &url,
                path: &path,
                authorization: &bearer,
                content_type: body.as_ref().map(|_| "application/json"),
                body: body.as_deref(),
            };
            let (mut waited, sent) = (0u32, Instant::now());
            let raw = self.exchange_counted(&out, &call, &mut waited)?;
            // A 401 is conclusive only for a token fetched after this request's previous 401
            // and refused at once. A token that was cached already (another thread's, which
            // may have expired unnoticed), or one that expired while this exchange waited (its
            // own retries, or a pause another thread's 429 put on the budget), says nothing
            // against the credentials.
            let long = waited > 0 || sent.elapsed() >= STALE_AFTER;
            let conclusive = newest_at_401.is_some_and(|g| generation > g) && !long;
            if raw.status == 401 && !conclusive && replays <= self.inner.cfg.max_retries {
                debug!(target: LOG, "{} {path}: 401, fetching a new token and replaying",
                    method.as_str());
                replays += 1;
                newest_at_401 = Some(self.inner.token.rejected(generation));
                Metrics::bump(&self.inner.metrics.retries);
                continue;
            }
            if (200..300).contains(&raw.status) {
                if method != Method::Get {
                    self.inner
                        .metrics
                        .usage
                        .wrote(written.iter().map(String::as_str));
                }
                return answer(self, &out, raw);
            }
            let e = status_error(&raw, |t| self.redact(t));
            return Err(self.failed(&out, super::explain_forbidden(method, &path, e)));
        }
    }
}
