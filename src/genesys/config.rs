//! What a [`Client`](super::Client) is made of: its configuration and the HTTP methods.

use std::time::Duration;

use crate::secret::Secret;

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

/// Everything the client needs; checked by [`Client::new`](super::Client::new).
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
    /// Threads that may call at once (1-16): sizes the keep-alive pool. The engine runs this
    /// many workers (setting `max_concurrent_requests`); the presence lane comes on top.
    pub max_concurrent_requests: usize,
    /// Percent of `requests_per_minute` (0-90) that [`Lane::Config`](super::budget::Lane)
    /// calls may never use, kept for presence (setting `presence_reserved_share`).
    pub presence_reserved_share: u32,
}

impl Default for ClientConfig {
    /// us_east_1 URLs, no credentials, 240 requests/min (the per-client limit is 300), no proxy,
    /// 10 s connect / 60 s request timeouts, 5 retries from a 500 ms base, 180 s max Retry-After,
    /// 4 concurrent requests, 20 % of the budget reserved for presence.
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
            max_concurrent_requests: 4,
            presence_reserved_share: 20,
        }
    }
}
