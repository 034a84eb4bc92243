//! OAuth client-credentials login, bearer-token checks and the per-token rate limit.
//!
//! Decisions (the real statuses are UNCONFIRMED, see README):
//! - bad / missing Basic credentials → 401 `invalid_client`;
//! - wrong Content-Type or missing `grant_type` → 400 `invalid_request`;
//! - any grant other than `client_credentials` → 400 `unsupported_grant_type`;
//! - API call without a Bearer token, or with an expired one → 401 `authentication.required`;
//! - API call with a token the emulator never issued → 401 `bad.credentials`.

use crate::errors::ApiError;
use crate::http::HttpRequest;
use crate::org::{Org, TokenRec};
use crate::util::{base64_decode, parse_query};
use crate::EmulatorConfig;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

fn oauth_error(status: u16, error: &str, description: &str) -> (u16, Value) {
    (
        status,
        json!({"error": error, "description": description, "error_description": description}),
    )
}

fn media_type(req: &HttpRequest) -> String {
    req.header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `POST /oauth/token`. Returns the status and the JSON body.
pub fn token_endpoint(org: &mut Org, cfg: &EmulatorConfig, req: &HttpRequest) -> (u16, Value) {
    if req.method != "POST" {
        return oauth_error(405, "invalid_request", "method not allowed");
    }
    let creds = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| base64_decode(b64.trim()))
        .and_then(|raw| String::from_utf8(raw).ok());
    let clients = org.clients.as_ref().unwrap_or(&cfg.clients);
    let known = creds
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .filter(|(id, secret)| clients.iter().any(|(cid, cs)| cid == id && cs == secret))
        .map(|(id, _)| id.to_string());
    let Some(client_id) = known else {
        return oauth_error(401, "invalid_client", "authentication failed");
    };
    if media_type(req) != "application/x-www-form-urlencoded" {
        return oauth_error(
            400,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let form = parse_query(&String::from_utf8_lossy(&req.body));
    match form
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str())
    {
        None => return oauth_error(400, "invalid_request", "missing grant_type"),
        Some("client_credentials") => {}
        Some(_) => return oauth_error(400, "unsupported_grant_type", "unsupported grant type"),
    }
    let token = format!(
        "{:016x}{:016x}{:016x}",
        org.rng.next_u64(),
        org.rng.next_u64(),
        org.rng.next_u64()
    );
    org.tokens.insert(
        token.clone(),
        TokenRec {
            client_id,
            expires: Instant::now() + Duration::from_secs(cfg.token_lifetime_secs),
            hits: VecDeque::new(),
        },
    );
    (
        200,
        json!({"access_token": token, "token_type": "bearer", "expires_in": cfg.token_lifetime_secs}),
    )
}

/// The OAuth client behind a request, for the log: the id of a Basic credential (the secret is
/// dropped), or the client a known Bearer token was issued to.
pub fn client_of(org: &Org, req: &HttpRequest) -> Option<String> {
    let (scheme, cred) = req.header("authorization")?.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = String::from_utf8(base64_decode(cred.trim())?).ok()?;
        return raw.split_once(':').map(|(id, _)| id.to_string());
    }
    org.tokens.get(cred.trim()).map(|t| t.client_id.clone())
}

/// Check `Authorization: Bearer <token>`; returns the token.
pub fn check_bearer(org: &Org, req: &HttpRequest) -> Result<String, ApiError> {
    let missing = || {
        ApiError::new(
            401,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    };
    let (scheme, token) = req
        .header("authorization")
        .and_then(|h| h.trim().split_once(' '))
        .ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let token = token.trim();
    match org.tokens.get(token) {
        None => Err(ApiError::new(
            401,
            "bad.credentials",
            "Invalid login credentials.",
        )),
        Some(t) if t.expires <= Instant::now() => Err(ApiError::new(
            401,
            "authentication.required",
            "The access token has expired; authenticate again.",
        )),
        Some(_) => Ok(token.to_string()),
    }
}

/// Sliding 60 s window per token. Rejected requests do not count.
pub fn rate_limit(org: &mut Org, token: &str, limit: u32) -> Result<(), ApiError> {
    let Some(t) = org.tokens.get_mut(token) else {
        return Ok(());
    };
    let now = Instant::now();
    while t
        .hits
        .front()
        .is_some_and(|h| now.duration_since(*h) >= WINDOW)
    {
        t.hits.pop_front();
    }
    if t.hits.len() >= limit as usize {
        let oldest = *t.hits.front().expect("non-empty when over limit");
        let wait = WINDOW.saturating_sub(now.duration_since(oldest));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let msg = format!("Rate limit exceeded the maximum. [{limit}] requests for [60] seconds");
        return Err(ApiError::new(429, "too.many.requests", msg)
            .with_header("Retry-After", &secs.max(1).to_string()));
    }
    t.hits.push_back(now);
    Ok(())
}

/// Make every issued token expired.
pub fn expire_all(org: &mut Org) {
    let now = Instant::now();
    for t in org.tokens.values_mut() {
        t.expires = now;
    }
}
