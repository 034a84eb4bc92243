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
use std::time::{Duration, Instant, SystemTime};

use log::{debug, warn};
use serde_json::Value;
use ureq::Agent;

use super::auth::{self, Token};
use super::budget::{Budget, Lane, Refused, SharedBudget};
pub use super::config::{ClientConfig, Method};
use super::retry::{self, Jitter, BACKOFF_CAP, DEFAULT_RETRY_AFTER};
use super::token::{Claim, TokenCell};
use super::wire::{self, correlation_id, json_body, status_error, Outgoing, Raw};
use super::writes::{answer_of, superseded, write_kind};
use super::{endpoints, setup, ApiError};
use crate::cancel::Cancel;
use crate::metrics::Metrics;
use crate::queue::{Hold, WriteKind};
use crate::secret::Secret;

const LOG: &str = "gcsync::genesys";

/// A 401 for a request that took this long (waits included) is replayed again (module docs).
const STALE_AFTER: Duration = Duration::from_secs(1);

/// The lane and cancel flag of one call, and whether it writes.
struct Call<'a> {
    lane: Lane,
    cancel: &'a Cancel,
    write: WriteKind,
}

fn bearer_of(token: &Secret) -> Secret {
    Secret::new(format!("Bearer {}", token.expose()))
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
        let write = write_kind(method, &path, body);
        let body = body.map(|v| v.to_string().into_bytes());
        let call = Call {
            lane,
            cancel,
            write,
        };
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
                return self.success(&out, raw);
            }
            let e = status_error(&raw, |t| self.redact(t));
            return Err(self.failed(&out, super::explain_forbidden(method, &path, e)));
        }
    }

    /// `Bearer <token>` and the token's generation. When no usable token is cached one thread
    /// fetches it (in [`Lane::Presence`]: every lane waits for it) and the others wait for that.
    fn bearer(&self, call: &Call) -> Result<(Secret, u64), ApiError> {
        let fetch = match self.inner.token.get(call.cancel) {
            Claim::Ready(value, generation) => return Ok((bearer_of(&value), generation)),
            Claim::Failed(e) => return Err(e),
            Claim::Cancelled => return Err(shutting_down()),
            Claim::Fetch(fetch) => fetch,
        };
        let url = format!("{}/oauth/token", self.inner.cfg.login_base_url);
        let out = Outgoing {
            method: Method::Post,
            url: &url,
            path: "/oauth/token",
            authorization: &self.inner.basic,
            content_type: Some("application/x-www-form-urlencoded"),
            body: Some(b"grant_type=client_credentials"),
        };
        let sent_at = Instant::now();
        let token_call = Call {
            lane: Lane::Presence,
            cancel: call.cancel,
            write: WriteKind::Read,
        };
        let raw = match self.exchange(&out, &token_call) {
            Ok(raw) => raw,
            Err(e) => {
                // The waiters share the failure, unless it is this caller's cancel: then the
                // fetch is dropped unreported and the next waiter fetches itself.
                if !call.cancel.is_cancelled() {
                    fetch.done(Err(e.clone()));
                }
                return Err(e);
            }
        };
        let e = if (200..300).contains(&raw.status) {
            if let Some((value, lifetime)) = auth::parse_token(&raw.body) {
                Metrics::bump(&self.inner.metrics.tokens_issued);
                let bearer = bearer_of(&value);
                let generation = fetch.done(Ok(Token::new(value, sent_at, lifetime)));
                return Ok((bearer, generation.unwrap_or_default()));
            }
            let message = "the login service answered without an access token".to_string();
            self.failed_with(&out, ApiError::Auth { message }, Some(raw.status), None)
        } else if raw.status >= 500 && raw.status != 501 {
            // Retries exhausted on a server error: transient, not a credentials problem.
            self.failed(&out, status_error(&raw, |t| self.redact(t)))
        } else {
            let message = self.redact(&auth::token_error_message(raw.status, &raw.body));
            let corr = correlation_id(&raw, &json_body(&raw));
            let e = ApiError::Auth { message };
            self.failed_with(&out, e, Some(raw.status), corr.as_deref())
        };
        fetch.done(Err(e.clone()));
        Err(e)
    }

    /// Sends `out` until it yields a final answer: retries 429, 5xx (not 501) and transport
    /// errors within `max_retries`. Returns the last answer (any status) or a terminal error.
    /// A 429 pauses the shared budget (every lane, every thread) for its Retry-After.
    fn exchange(&self, out: &Outgoing, call: &Call) -> Result<Raw, ApiError> {
        self.exchange_counted(out, call, &mut 0)
    }

    /// [`Client::exchange`], counting its retries in `retries`.
    fn exchange_counted(
        &self,
        out: &Outgoing,
        call: &Call,
        retries: &mut u32,
    ) -> Result<Raw, ApiError> {
        // A write the worker's hold gives up is never sent (and spends no budget when the
        // newer change is there before the wait; else it is given up right before sending).
        let hold = self
            .hold
            .as_deref()
            .filter(|_| call.write != WriteKind::Read);
        loop {
            if hold.is_some_and(|h| !h.may_send_write(call.write)) {
                return Err(superseded());
            }
            match self
                .inner
                .budget
                .acquire(call.lane, call.cancel, self.inner.cfg.max_retry_after)
            {
                Ok(()) => {}
                Err(Refused::Cancelled) => return Err(shutting_down()),
                Err(Refused::Paused(wait)) => {
                    let e = ApiError::RateLimited { retry_after: wait };
                    return Err(self.failed_with(out, e, Some(429), None));
                }
            }
            // The point of no return.
            if hold.is_some_and(|h| !h.may_send_write(call.write)) {
                return Err(superseded());
            }
            Metrics::bump(&self.inner.metrics.api_calls);
            let answer = wire::send_once(&self.inner.agent, out);
            if let Some(h) = hold {
                h.answered(call.write, answer_of(&answer));
            }
            if let Ok(raw) = &answer {
                self.inner.metrics.usage.answered(
                    crate::clock::unix_now(),
                    out.method.as_str(),
                    endpoints::route(out.method, out.path),
                    raw.status,
                    raw.correlation_id.as_deref(),
                );
            }
            let (wait, reason) = match answer {
                Ok(raw) if raw.status == 429 => {
                    Metrics::bump(&self.inner.metrics.rate_limited);
                    let wait = self.retry_after(&raw).unwrap_or(DEFAULT_RETRY_AFTER);
                    if wait > self.inner.cfg.max_retry_after
                        || *retries >= self.inner.cfg.max_retries
                    {
                        let e = ApiError::RateLimited { retry_after: wait };
                        let corr = correlation_id(&raw, &json_body(&raw));
                        return Err(self.failed_with(out, e, Some(429), corr.as_deref()));
                    }
                    // Every lane waits, not only this thread: the next acquire sleeps it out.
                    self.inner.budget.pause_for(wait);
                    (Duration::ZERO, "429 too many requests".to_string())
                }
                Ok(raw) if raw.status >= 500 && raw.status != 501 => {
                    if *retries >= self.inner.cfg.max_retries {
                        return Ok(raw);
                    }
                    // A Retry-After on a 5xx (e.g. 503) is honoured when acceptable.
                    let hinted = self
                        .retry_after(&raw)
                        .filter(|w| *w <= self.inner.cfg.max_retry_after);
                    let wait = self.backoff(*retries).max(hinted.unwrap_or_default());
                    (wait, format!("HTTP {}", raw.status))
                }
                Ok(raw) => return Ok(raw),
                Err(e) => {
                    let retryable = wire::is_retryable(&e);
                    let message =
                        self.redact(&wire::describe_via(&e, self.inner.cfg.proxy.as_deref()));
                    if !retryable || *retries >= self.inner.cfg.max_retries {
                        return Err(self.failed(out, ApiError::Transport { message }));
                    }
                    (self.backoff(*retries), message)
                }
            };
            *retries += 1;
            Metrics::bump(&self.inner.metrics.retries);
            debug!(target: LOG, "{} {}: {reason}; retry {retries}/{} in {} ms",
                out.method.as_str(), out.path, self.inner.cfg.max_retries, wait.as_millis());
            if !call.cancel.sleep(wait) {
                return Err(shutting_down());
            }
        }
    }

    fn retry_after(&self, raw: &Raw) -> Option<Duration> {
        let value = raw.retry_after.as_deref()?;
        retry::parse_retry_after(value, SystemTime::now())
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let mut jitter = self.inner.jitter.lock().unwrap_or_else(|p| p.into_inner());
        retry::backoff(self.inner.cfg.retry_base, attempt, BACKOFF_CAP, &mut jitter)
    }

    fn success(&self, out: &Outgoing, raw: Raw) -> Result<ApiResponse, ApiError> {
        let text = std::str::from_utf8(&raw.body).unwrap_or("");
        let body = if raw.body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice(&raw.body) {
                Ok(v) => v,
                Err(_) => {
                    let message = format!("the answer is not JSON: {}", wire::excerpt(text));
                    let e = ApiError::Status {
                        status: raw.status,
                        code: String::new(),
                        message: self.redact(&message),
                        correlation_id: raw.correlation_id,
                        entity_id: None,
                    };
                    return Err(self.failed(out, e));
                }
            }
        };
        Ok(ApiResponse {
            status: raw.status,
            body,
            correlation_id: raw.correlation_id,
        })
    }

    /// Logs a failed call at warn level (never with credentials) and hands the error back.
    fn failed(&self, out: &Outgoing, e: ApiError) -> ApiError {
        self.failed_with(out, e, None, None)
    }

    /// [`Client::failed`] with the HTTP status and correlation id for errors that carry none.
    fn failed_with(
        &self,
        out: &Outgoing,
        e: ApiError,
        http_status: Option<u16>,
        corr: Option<&str>,
    ) -> ApiError {
        let (status, code, correlation) = match &e {
            ApiError::Status {
                status,
                code,
                correlation_id,
                ..
            } => (Some(*status), code.as_str(), correlation_id.as_deref()),
            ApiError::RateLimited { .. } => (http_status, "too.many.requests", corr),
            _ => (http_status, "", corr),
        };
        let status = status.map_or_else(|| "-".to_string(), |s| s.to_string());
        warn!(target: LOG, "{} {} failed: status={status} code={} correlation_id={}: {}",
            out.method.as_str(), out.path, if code.is_empty() { "-" } else { code },
            correlation.unwrap_or("-"), self.redact(&e.to_string()));
        e
    }

    /// `text` with the client secret, the Basic credentials and the current token replaced by
    /// `[redacted]` (in case a server echoes them back).
    fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        let token = self.inner.token.current();
        let token = token.as_ref().map(Secret::expose);
        let basic = self.inner.basic.expose().trim_start_matches("Basic ");
        let secrets = [
            Some(self.inner.cfg.client_secret.expose()),
            Some(basic),
            token,
        ];
        for secret in secrets.into_iter().flatten() {
            if secret.len() >= 4 && text.contains(secret) {
                text = text.replace(secret, "[redacted]");
            }
        }
        text
    }
}
