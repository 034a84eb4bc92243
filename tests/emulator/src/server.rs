//! Request dispatch: control endpoints, faults, login, auth, rate limit, validation, routing,
//! and the request log. The table of operations and their handlers is `server/routes.rs`.

use crate::errors::ApiError;
use crate::faults::{is_write, jitter_ms, roll, take_injected, FaultAction, Planned};
use crate::http::{HttpRequest, HttpResponse, Reply};
use crate::org::{LoggedRequest, Org};
use crate::schema::{Spec, Success};
use crate::util::{parse_query, unix_now_ms};
use crate::{auth, control, perms, EmulatorConfig};
use serde_json::Value;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// State shared by the connection threads and the [`crate::Emulator`] handle.
pub struct Shared {
    /// The org (all mutable state).
    pub org: Mutex<Org>,
    /// Start-up configuration.
    pub cfg: EmulatorConfig,
    /// Set to stop the server.
    pub stop: Arc<AtomicBool>,
    /// Requests a test holds (`holds.rs`).
    pub holds: crate::holds::Holds,
}

impl Shared {
    /// Lock the org, recovering from a poisoned lock (a panicking handler must not wedge tests).
    pub fn lock(&self) -> MutexGuard<'_, Org> {
        self.org.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Handler result: the JSON body (ignored when the operation answers without one), or an error.
pub type ApiResult = Result<Value, ApiError>;

/// What an API handler gets to see.
pub struct Ctx<'a> {
    /// Path parameters by template name.
    pub params: &'a [(String, String)],
    /// Decoded query pairs.
    pub query: &'a [(String, String)],
    /// The validated JSON body, if the operation takes one.
    pub body: Option<&'a Value>,
    /// Configuration.
    pub cfg: &'a EmulatorConfig,
}

impl Ctx<'_> {
    /// A path parameter ("" if absent).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// First value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a repeated query parameter.
    pub fn q_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

mod routes;
use routes::ROUTES;

/// The route template used in the log and for fault matching.
fn route_of(req: &HttpRequest) -> String {
    if req.path == "/oauth/token" {
        return req.path.clone();
    }
    match Spec::global().match_path(&req.path) {
        Some((t, _)) => t.to_string(),
        None => req.path.clone(),
    }
}

/// Entry point for every request.
pub fn handle(sh: &Shared, req: HttpRequest) -> Reply {
    let (received_at, received_unix_ms) = (Instant::now(), unix_now_ms());
    let corr = sh.lock().rng.guid();
    if req.path.starts_with("/__emulator/") {
        let resp = control::handle(sh, &req, &corr);
        return Reply::Respond(resp.with_header("ININ-Correlation-Id", &corr));
    }
    let route = route_of(&req);
    let latency = {
        let mut guard = sh.lock();
        let org = &mut *guard;
        org.faults.latency_ms + jitter_ms(&org.faults, &mut org.fault_rng)
    };
    if latency > 0 {
        std::thread::sleep(Duration::from_millis(latency));
    }
    sh.holds.stop_here(&req.method, &route, false);
    let mut guard = sh.lock();
    let org = &mut *guard;
    expire_tokens_on_period(org);
    let client_id = crate::auth::client_of(org, &req);
    let is_oauth = req.path == "/oauth/token";
    let write = !is_oauth && is_write(&req.method);
    let fault = take_injected(&mut org.injected, &req.method, &route)
        .or_else(|| roll(&org.faults, &mut org.fault_rng, write));
    let body_json = if is_oauth {
        None
    } else {
        serde_json::from_slice::<Value>(&req.body).ok()
    };
    // `cut`: a response lost after the commit that is sent in part (`cut_mid_response`).
    let (resp, handled_status, cut) = match fault {
        None => (
            Some(answer(org, &sh.cfg, &req, body_json.as_ref(), &corr)),
            None,
            None,
        ),
        Some(Planned {
            action,
            after_commit,
        }) => {
            let handled =
                after_commit.then(|| answer(org, &sh.cfg, &req, body_json.as_ref(), &corr));
            let handled_status = handled.as_ref().map(|r| r.status);
            match action {
                FaultAction::Drop => {
                    let cut = handled.filter(|_| org.faults.cut_mid_response);
                    (None, handled_status, cut)
                }
                FaultAction::Error(e) => (Some(e.to_response(&corr)), handled_status, None),
            }
        }
    };
    org.log.push(LoggedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        route: route.clone(),
        status: resp.as_ref().map_or(0, |r| r.status),
        handled_status,
        body: body_json,
        authorization_scheme: req
            .header("authorization")
            .and_then(|h| h.split_whitespace().next())
            .map(str::to_string),
        client_id,
        correlation_id: corr.clone(),
        received_unix_ms,
        received_at,
        elapsed_us: received_at.elapsed().as_micros() as u64,
    });
    drop(guard);
    sh.holds.stop_here(&req.method, &route, true);
    match (resp, cut) {
        (Some(r), _) => Reply::Respond(r.with_header("ININ-Correlation-Id", &corr)),
        (None, Some(r)) => Reply::Cut(r.with_header("ININ-Correlation-Id", &corr)),
        (None, None) => Reply::Drop,
    }
}

/// `Faults::expire_tokens_every_ms`: every period, every issued token expires.
fn expire_tokens_on_period(org: &mut Org) {
    let every = org.faults.expire_tokens_every_ms;
    if every == 0 {
        return;
    }
    let now = Instant::now();
    match org.tokens_expired_at {
        Some(t) if now.duration_since(t) < Duration::from_millis(every) => {}
        Some(_) => {
            auth::expire_all(org);
            org.tokens_expired_at = Some(now);
        }
        None => org.tokens_expired_at = Some(now),
    }
}

/// The answer the emulator gives when no fault replaces it (the handler's changes are kept).
fn answer(
    org: &mut Org,
    cfg: &EmulatorConfig,
    req: &HttpRequest,
    body: Option<&Value>,
    corr: &str,
) -> HttpResponse {
    if req.path == "/oauth/token" {
        let (status, v) = auth::token_endpoint(org, cfg, req);
        return HttpResponse::json(status, &v);
    }
    api(org, cfg, req, body).unwrap_or_else(|e| e.to_response(corr))
}

fn media_type(req: &HttpRequest) -> String {
    let ct = req.header("content-type").unwrap_or("");
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn api(
    org: &mut Org,
    cfg: &EmulatorConfig,
    req: &HttpRequest,
    body: Option<&Value>,
) -> Result<HttpResponse, ApiError> {
    if !req.path.starts_with("/api/") {
        return Err(ApiError::new(
            404,
            "not.found",
            format!("No resource at {}", req.path),
        ));
    }
    let token = auth::check_bearer(org, req)?;
    auth::rate_limit(org, &token, cfg.rate_limit_per_minute)?;
    let spec = Spec::global();
    let no_op = || {
        ApiError::new(
            404,
            "not.found",
            format!("No operation {} {}", req.method, req.path),
        )
    };
    let op = spec.operation(&req.method, &req.path).ok_or_else(no_op)?;
    let handler = ROUTES
        .iter()
        .find(|(m, t, _)| *m == req.method && *t == op.template)
        .map(|(_, _, h)| *h)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "not.found",
                format!("{} {} is not emulated (yet)", req.method, op.template),
            )
        })?;
    perms::check(op.op, org.granted.as_deref())?;
    let query = parse_query(&req.query);
    spec.validate_query(op.op, &query)
        .map_err(ApiError::bad_request)?;
    let body = match spec.body_schema(op.op) {
        None => None,
        Some(_) if req.body_too_large => {
            return Err(ApiError::new(
                413,
                "request.too.large",
                "Request body exceeds 512000 bytes",
            ))
        }
        Some((_, true)) if req.body.is_empty() => {
            return Err(ApiError::bad_request("A request body is required"))
        }
        Some(_) if req.body.is_empty() => None,
        Some((schema, _)) => {
            if media_type(req) != "application/json" {
                return Err(ApiError::new(
                    415,
                    "unsupported.media.type",
                    "Content-Type must be application/json",
                ));
            }
            let Some(v) = body else {
                let err = serde_json::from_slice::<Value>(&req.body).err();
                let why = err.map_or(String::new(), |e| e.to_string());
                return Err(ApiError::bad_request(format!("Malformed JSON body: {why}")));
            };
            spec.validate(schema, v).map_err(ApiError::bad_request)?;
            Some(v)
        }
    };
    let ctx = Ctx {
        params: &op.params,
        query: &query,
        body,
        cfg,
    };
    let v = handler(org, &ctx)?;
    Ok(match spec.success(op.op) {
        Success::Json => HttpResponse::json(200, &v),
        Success::Empty => HttpResponse::empty(200),
        Success::NoContent => HttpResponse::empty(204),
    })
}
