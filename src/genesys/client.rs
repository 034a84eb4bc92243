//! The blocking Genesys Cloud HTTP client: OAuth client-credentials token cache, one shared
//! request budget, bounded retries (429, 5xx, transport errors, one 401 replay).
//!
//! Retry rules, per call of [`Client::request`]:
//! - 429: wait `Retry-After` (delta-seconds or HTTP date; 3 s when absent). A wait longer than
//!   `max_retry_after` ends the call at once with [`ApiError::RateLimited`].
//! - 5xx except 501, and transport errors (refused, reset, timeout, DNS, broken response):
//!   exponential backoff `retry_base * 2^n` capped at 30 s, full jitter.
//! - 429s, 5xx and transport errors share one bound: at most `max_retries` repeats per exchange.
//! - 401 from the API: the token is dropped, a new one fetched and the request replayed once
//!   (counted in `metrics.retries`, not against `max_retries`); a second 401 is returned.
//! - Every other status is returned at once (4xx handling, e.g. 409, is the caller's).
//!
//! The token request goes through the same budget and the same 429/5xx/transport rules; any other
//! non-2xx answer from the login service is [`ApiError::Auth`].

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use log::{debug, warn};
use serde_json::Value;
use ureq::Agent;

use super::auth::{self, Token};
use super::budget::Budget;
use super::retry::{self, Jitter, BACKOFF_CAP, DEFAULT_RETRY_AFTER};
use super::wire::{self, correlation_id, json_body, status_error, Outgoing, Raw};
use super::{endpoints, setup, ApiError};
use crate::cancel::Cancel;
use crate::metrics::Metrics;
use crate::secret::Secret;

const LOG: &str = "gcsync::genesys";

/// HTTP method of an API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Everything the client needs; checked by [`Client::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// API base, e.g. `https://api.mypurecloud.com` (plain `http` only to loopback).
    pub api_base_url: String,
    /// Login base, e.g. `https://login.mypurecloud.com` (plain `http` only to loopback).
    pub login_base_url: String,
    /// OAuth client id (client-credentials grant).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// One budget for every request this client starts, token requests included (at least 1).
    pub requests_per_minute: u32,
    /// Explicit proxy URL; the environment (`HTTP(S)_PROXY`, `ALL_PROXY`) is never consulted.
    pub proxy: Option<String>,
    /// Extra CA certificates (PEM) trusted besides Mozilla's roots. Verification is always on.
    pub ca_bundle_pem: Option<Vec<u8>>,
    /// TCP connect timeout (non-zero).
    pub connect_timeout: Duration,
    /// Timeout of one whole HTTP exchange (non-zero).
    pub request_timeout: Duration,
    /// Repeats allowed per exchange for 429, 5xx (not 501) and transport errors.
    pub max_retries: u32,
    /// Backoff base for 5xx and transport errors: `base * 2^n`, capped at 30 s, full jitter.
    pub retry_base: Duration,
    /// A 429 asking to wait longer than this fails at once with `ApiError::RateLimited`.
    pub max_retry_after: Duration,
}

impl Default for ClientConfig {
    /// us_east_1 URLs, no credentials, 240 requests/min (the per-client limit is 300), no proxy,
    /// 10 s connect / 60 s request timeouts, 5 retries from a 500 ms base, 180 s max Retry-After.
    fn default() -> ClientConfig {
        ClientConfig {
            api_base_url: "https://api.mypurecloud.com".into(),
            login_base_url: "https://login.mypurecloud.com".into(),
            client_id: String::new(),
            client_secret: Secret::default(),
            requests_per_minute: 240,
            proxy: None,
            ca_bundle_pem: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_retries: 5,
            retry_base: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(180),
        }
    }
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

/// The Genesys Cloud client. Owned by one worker thread (it is `Send`); calls block.
pub struct Client {
    cfg: ClientConfig,
    agent: Agent,
    metrics: Arc<Metrics>,
    budget: Budget,
    jitter: Jitter,
    basic: Secret,
    token: Option<Token>,
    cancel: Cancel,
}

fn shutting_down() -> ApiError {
    ApiError::Transport {
        message: "gcsync is shutting down; the request was not completed".into(),
    }
}

impl Client {
    /// Checks the configuration (URLs https or loopback http, readable CA bundle and proxy,
    /// credentials present, non-zero rate and timeouts) and builds the HTTP agent. No network I/O.
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
        let roots = setup::root_certs(cfg.ca_bundle_pem.as_deref())?;
        let proxy = setup::proxy(cfg.proxy.as_deref())?;
        let agent = setup::agent(cfg.connect_timeout, cfg.request_timeout, proxy, roots);
        Ok(Client {
            budget: Budget::new(cfg.requests_per_minute),
            basic: auth::basic_auth(cfg.client_id.trim(), &cfg.client_secret),
            jitter: Jitter::from_time(),
            token: None,
            cancel: Cancel::default(),
            agent,
            metrics,
            cfg,
        })
    }

    /// Shares a cancellation flag: once raised, waits end, the request in flight is cut off
    /// and no new one starts (the call fails with a transient `Transport` error).
    pub fn set_cancel(&mut self, cancel: Cancel) {
        // Shutdown's cancel closes this agent's sockets: a request stalled in a read ends.
        let agent = self.agent.clone();
        cancel.set_abort(move || agent.clone().shutdown());
        self.cancel = cancel;
    }

    /// The cancellation flag (for callers that pause between requests).
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// Drops the cached access token; the next call fetches a new one.
    pub fn invalidate_token(&mut self) {
        self.token = None;
    }

    /// One API call. `path` like `/api/v2/users/abc` is appended to `api_base_url`; `query` pairs
    /// are URL-encoded; `body` is sent as `application/json`. Fetches and caches the token itself.
    /// 2xx → `Ok`; anything else (after the retries described in the module docs) → `Err`.
    pub fn request(
        &mut self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<ApiResponse, ApiError> {
        let slash = if path.starts_with('/') { "" } else { "/" };
        let path = format!("{slash}{path}");
        let url = format!(
            "{}{path}{}",
            self.cfg.api_base_url,
            wire::encode_query(query)
        );
        let written: Vec<String> = match (method, body) {
            (Method::Get, _) => Vec::new(),
            (_, Some(Value::Object(m))) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let body = body.map(|v| v.to_string().into_bytes());
        let mut replayed = false;
        loop {
            let bearer = self.bearer()?;
            let out = Outgoing {
                method,
                url: &url,
                path: &path,
                authorization: &bearer,
                content_type: body.as_ref().map(|_| "application/json"),
                body: body.as_deref(),
            };
            let raw = self.exchange(&out)?;
            if raw.status == 401 && !replayed {
                debug!(target: LOG, "{} {path}: 401, fetching a new token and replaying once",
                    method.as_str());
                replayed = true;
                self.token = None;
                Metrics::bump(&self.metrics.retries);
                continue;
            }
            if (200..300).contains(&raw.status) {
                if method != Method::Get {
                    self.metrics.usage.wrote(written.iter().map(String::as_str));
                }
                return self.success(&out, raw);
            }
            let e = status_error(&raw, |t| self.redact(t));
            return Err(self.failed(&out, super::explain_forbidden(method, &path, e)));
        }
    }

    /// `Bearer <token>`, fetching a token first when none is cached or it is about to expire.
    fn bearer(&mut self) -> Result<Secret, ApiError> {
        let fresh = |t: &Token| !t.needs_renewal(Instant::now());
        if let Some(token) = self.token.as_ref().filter(|t| fresh(t)) {
            return Ok(Secret::new(format!("Bearer {}", token.value().expose())));
        }
        self.token = None;
        let url = format!("{}/oauth/token", self.cfg.login_base_url);
        let basic = self.basic.clone();
        let out = Outgoing {
            method: Method::Post,
            url: &url,
            path: "/oauth/token",
            authorization: &basic,
            content_type: Some("application/x-www-form-urlencoded"),
            body: Some(b"grant_type=client_credentials"),
        };
        let sent_at = Instant::now();
        let raw = self.exchange(&out)?;
        if (200..300).contains(&raw.status) {
            if let Some((value, lifetime)) = auth::parse_token(&raw.body) {
                Metrics::bump(&self.metrics.tokens_issued);
                let bearer = Secret::new(format!("Bearer {}", value.expose()));
                self.token = Some(Token::new(value, sent_at, lifetime));
                return Ok(bearer);
            }
            let message = "the login service answered without an access token".to_string();
            let e = ApiError::Auth { message };
            return Err(self.failed_with(&out, e, Some(raw.status), None));
        }
        if raw.status >= 500 && raw.status != 501 {
            // Retries exhausted on a server error: transient, not a credentials problem.
            return Err(self.failed(&out, status_error(&raw, |t| self.redact(t))));
        }
        let message = self.redact(&auth::token_error_message(raw.status, &raw.body));
        let corr = correlation_id(&raw, &json_body(&raw));
        let e = ApiError::Auth { message };
        Err(self.failed_with(&out, e, Some(raw.status), corr.as_deref()))
    }

    /// Sends `out` until it yields a final answer: retries 429, 5xx (not 501) and transport
    /// errors within `max_retries`. Returns the last answer (any status) or a terminal error.
    fn exchange(&mut self, out: &Outgoing) -> Result<Raw, ApiError> {
        let mut retries = 0u32;
        loop {
            if self.cancel.is_cancelled() || !self.budget.acquire(&self.cancel) {
                return Err(shutting_down());
            }
            Metrics::bump(&self.metrics.api_calls);
            let answer = wire::send_once(&self.agent, out);
            if let Ok(raw) = &answer {
                self.metrics.usage.answered(
                    crate::clock::unix_now(),
                    out.method.as_str(),
                    endpoints::route(out.method, out.path),
                    raw.status,
                    raw.correlation_id.as_deref(),
                );
            }
            let (wait, reason) = match answer {
                Ok(raw) if raw.status == 429 => {
                    Metrics::bump(&self.metrics.rate_limited);
                    let wait = self.retry_after(&raw).unwrap_or(DEFAULT_RETRY_AFTER);
                    if wait > self.cfg.max_retry_after || retries >= self.cfg.max_retries {
                        let e = ApiError::RateLimited { retry_after: wait };
                        let corr = correlation_id(&raw, &json_body(&raw));
                        return Err(self.failed_with(out, e, Some(429), corr.as_deref()));
                    }
                    (wait, "429 too many requests".to_string())
                }
                Ok(raw) if raw.status >= 500 && raw.status != 501 => {
                    if retries >= self.cfg.max_retries {
                        return Ok(raw);
                    }
                    // A Retry-After on a 5xx (e.g. 503) is honoured when acceptable.
                    let hinted = self
                        .retry_after(&raw)
                        .filter(|w| *w <= self.cfg.max_retry_after);
                    let wait = self.backoff(retries).max(hinted.unwrap_or_default());
                    (wait, format!("HTTP {}", raw.status))
                }
                Ok(raw) => return Ok(raw),
                Err(e) => {
                    let retryable = wire::is_retryable(&e);
                    let message = self.redact(&wire::describe_via(&e, self.cfg.proxy.as_deref()));
                    if !retryable || retries >= self.cfg.max_retries {
                        return Err(self.failed(out, ApiError::Transport { message }));
                    }
                    (self.backoff(retries), message)
                }
            };
            retries += 1;
            Metrics::bump(&self.metrics.retries);
            debug!(target: LOG, "{} {}: {reason}; retry {retries}/{} in {} ms",
                out.method.as_str(), out.path, self.cfg.max_retries, wait.as_millis());
            if !self.cancel.sleep(wait) {
                return Err(shutting_down());
            }
        }
    }

    fn retry_after(&self, raw: &Raw) -> Option<Duration> {
        let value = raw.retry_after.as_deref()?;
        retry::parse_retry_after(value, SystemTime::now())
    }

    fn backoff(&mut self, attempt: u32) -> Duration {
        retry::backoff(self.cfg.retry_base, attempt, BACKOFF_CAP, &mut self.jitter)
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
        let token = self.token.as_ref().map(|t| t.value().expose());
        let basic = self.basic.expose().trim_start_matches("Basic ");
        let secrets = [Some(self.cfg.client_secret.expose()), Some(basic), token];
        for secret in secrets.into_iter().flatten() {
            if secret.len() >= 4 && text.contains(secret) {
                text = text.replace(secret, "[redacted]");
            }
        }
        text
    }
}
