//! Fault injection: random faults ([`Faults`]) and scripted ones ([`InjectedFault`]).

use crate::errors::ApiError;
use crate::util::{http_date, unix_now, Rng};
use serde::{Deserialize, Serialize};

/// Random faults applied to every API and login request (never to `/__emulator/...`).
/// JSON form (control endpoint): the field names below, all optional.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Sleep this long before answering (outside the state lock).
    pub latency_ms: u64,
    /// Jitter: a further random 0..=`latency_jitter_ms` of sleep on top of `latency_ms`, drawn
    /// per request from the fault dice.
    pub latency_jitter_ms: u64,
    /// Probability (0..1) of answering 503 `service.unavailable`.
    pub error_5xx_rate: f64,
    /// Probability (0..1) of answering 429 `too.many.requests`.
    pub rate_429: f64,
    /// `Retry-After` seconds sent with random 429s (default 1).
    pub retry_after_secs: u64,
    /// When above `retry_after_secs`: each random 429's `Retry-After` is drawn uniformly from
    /// `retry_after_secs..=retry_after_max_secs` (default 0: always `retry_after_secs`).
    pub retry_after_max_secs: u64,
    /// Probability (0..1) that a random 429 gives its `Retry-After` as an HTTP date (an
    /// IMF-fixdate that many seconds ahead) rather than as delta-seconds (default 0). The
    /// standard allows both (RFC 9110 §10.2.3).
    pub retry_after_http_date_rate: f64,
    /// Probability (0..1) of closing the connection without answering (the request is not
    /// handled).
    pub drop_rate: f64,
    /// Probability (0..1) that a write (`POST`, `PUT`, `PATCH`, `DELETE`) is handled, its
    /// change kept, and then the connection closed without an answer: the response is lost
    /// after the commit, as when a connection breaks on the way back.
    pub lost_response_rate: f64,
    /// When true, a lost response (`lost_response_rate`, and scripted `after_commit` drops) is
    /// cut mid-response: the status line, the headers (with the full `Content-Length`) and the
    /// first half of the body are sent before the connection closes, so the client has started
    /// reading a success and then loses the connection. Default false: nothing is sent.
    pub cut_mid_response: bool,
    /// Every this many milliseconds every issued token is expired (as `expire_all_tokens`),
    /// whatever `expires_in` said: the next call with one gets 401 and the client must log in
    /// again. Checked at each request; 0 = never (default).
    pub expire_tokens_every_ms: u64,
    /// Search-index lag: a user's changes become visible to `POST /api/v2/users/search` this
    /// long after they happen (the real index is eventually consistent). 0 = immediate.
    pub search_lag_ms: u64,
    /// List lag: a user's changes become visible to `GET /api/v2/users` (paged listing, not
    /// `id=` look-ups) this long after they happen. 0 = immediate.
    pub list_lag_ms: u64,
    /// Object-list lag: the paged lists of queues (and their division views), skills,
    /// languages and wrap-up codes show each object as it was this long ago (a new one is
    /// missing, a deleted one lingers); GET by id and `id=` look-ups are current. 0 = immediate.
    pub object_list_lag_ms: u64,
    /// Seed for the fault dice; [`crate::Emulator::set_faults`] reseeds, so runs are repeatable.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            latency_jitter_ms: 0,
            error_5xx_rate: 0.0,
            rate_429: 0.0,
            retry_after_secs: 1,
            retry_after_max_secs: 0,
            retry_after_http_date_rate: 0.0,
            drop_rate: 0.0,
            lost_response_rate: 0.0,
            cut_mid_response: false,
            expire_tokens_every_ms: 0,
            search_lag_ms: 0,
            list_lag_ms: 0,
            object_list_lag_ms: 0,
            seed: 0,
        }
    }
}

/// The `Retry-After` header of an injected fault.
/// JSON: `{"Seconds": 5}`, `{"HttpDate": 5}` or `"Absent"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryAfter {
    /// `Retry-After: <n>`.
    Seconds(u64),
    /// `Retry-After: <IMF-fixdate n seconds from now>`.
    HttpDate(u64),
    /// No header.
    #[default]
    Absent,
}

/// A scripted fault: the first `count` requests matching `method` and `route` get it.
/// Entries are consulted in insertion order; the first match is consumed.
/// JSON: the field names below; all but `status` optional (method/route default `*`,
/// count 1, code derived from the status).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct InjectedFault {
    /// `"PATCH"` etc., or `"*"` for any method.
    pub method: String,
    /// Route template (e.g. `/api/v2/users/{userId}`, `/oauth/token`) or `"*"`.
    pub route: String,
    /// HTTP status to answer with.
    pub status: u16,
    /// ErrorBody `code`; empty means a typical code for the status.
    pub code: String,
    /// `Retry-After` header.
    pub retry_after: RetryAfter,
    /// How many matching requests get this fault.
    pub count: u32,
    /// Close the connection without answering instead of sending `status`.
    pub drop_connection: bool,
    /// Handle the request first (its change is committed), then deliver the fault instead of
    /// the handler's response: with `drop_connection` the response is lost; otherwise the client
    /// sees `status` although the write happened.
    pub after_commit: bool,
}

impl Default for InjectedFault {
    fn default() -> Self {
        InjectedFault {
            method: "*".into(),
            route: "*".into(),
            status: 503,
            code: String::new(),
            retry_after: RetryAfter::Absent,
            count: 1,
            drop_connection: false,
            after_commit: false,
        }
    }
}

impl InjectedFault {
    /// One-shot fault with the typical code for `status` and no `Retry-After`.
    pub fn new(method: &str, route: &str, status: u16) -> InjectedFault {
        InjectedFault {
            method: method.into(),
            route: route.into(),
            status,
            ..Default::default()
        }
    }

    fn matches(&self, method: &str, route: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && (self.route == "*" || self.route == route)
    }
}

/// The typical ErrorBody code for a status.
pub fn default_code(status: u16) -> &'static str {
    match status {
        400 => "bad.request",
        401 => "authentication.required",
        403 => "missing.permissions",
        404 => "not.found",
        408 | 504 => "request.timeout",
        409 => "general.conflict",
        415 => "unsupported.media.type",
        429 => "too.many.requests",
        503 => "service.unavailable",
        _ => "internal.server.error",
    }
}

/// What to do instead of answering a request normally.
pub enum FaultAction {
    /// Close the connection without answering.
    Drop,
    /// Answer with this error.
    Error(ApiError),
}

/// A fault chosen for one request.
pub struct Planned {
    /// What the client gets.
    pub action: FaultAction,
    /// Whether the request is handled (and its change kept) before the fault replaces the answer.
    pub after_commit: bool,
}

impl Planned {
    fn before(action: FaultAction) -> Option<Planned> {
        Some(Planned {
            action,
            after_commit: false,
        })
    }
}

/// Whether a method writes (the lost-response fault applies to these).
pub fn is_write(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// Consume the first injected fault matching the request, if any.
pub fn take_injected(list: &mut Vec<InjectedFault>, method: &str, route: &str) -> Option<Planned> {
    let i = list
        .iter()
        .position(|f| f.count > 0 && f.matches(method, route))?;
    let f = list[i].clone();
    list[i].count -= 1;
    if list[i].count == 0 {
        list.remove(i);
    }
    let after_commit = f.after_commit;
    if f.drop_connection {
        return Some(Planned {
            action: FaultAction::Drop,
            after_commit,
        });
    }
    let code = if f.code.is_empty() {
        default_code(f.status)
    } else {
        &f.code
    };
    let mut e = ApiError::new(
        f.status,
        code,
        format!("Injected fault ({} {})", f.status, code),
    );
    match f.retry_after {
        RetryAfter::Seconds(n) => e = e.with_header("Retry-After", &n.to_string()),
        RetryAfter::HttpDate(n) => e = e.with_header("Retry-After", &http_date(unix_now() + n)),
        RetryAfter::Absent => {}
    }
    Some(Planned {
        action: FaultAction::Error(e),
        after_commit,
    })
}

/// The extra latency of one request: 0..=`latency_jitter_ms`, from the fault dice.
pub fn jitter_ms(f: &Faults, rng: &mut Rng) -> u64 {
    match f.latency_jitter_ms {
        0 => 0,
        j => rng.next_u64() % (j + 1),
    }
}

/// Roll the random-fault dice (drop, then 5xx, then 429, then, when `write` (an API write), a
/// lost response).
pub fn roll(f: &Faults, rng: &mut Rng, write: bool) -> Option<Planned> {
    if f.drop_rate > 0.0 && rng.next_f64() < f.drop_rate {
        return Planned::before(FaultAction::Drop);
    }
    if f.error_5xx_rate > 0.0 && rng.next_f64() < f.error_5xx_rate {
        return Planned::before(FaultAction::Error(ApiError::new(
            503,
            "service.unavailable",
            "The service is currently unavailable (random fault)",
        )));
    }
    if f.rate_429 > 0.0 && rng.next_f64() < f.rate_429 {
        let mut secs = f.retry_after_secs;
        if f.retry_after_max_secs > secs {
            secs += rng.next_u64() % (f.retry_after_max_secs - secs + 1);
        }
        let value = if f.retry_after_http_date_rate > 0.0
            && rng.next_f64() < f.retry_after_http_date_rate
        {
            http_date(unix_now() + secs)
        } else {
            secs.to_string()
        };
        return Planned::before(FaultAction::Error(
            ApiError::new(
                429,
                "too.many.requests",
                "Rate limit exceeded (random fault)",
            )
            .with_header("Retry-After", &value),
        ));
    }
    if f.lost_response_rate > 0.0 && write && rng.next_f64() < f.lost_response_rate {
        return Some(Planned {
            action: FaultAction::Drop,
            after_commit: true,
        });
    }
    None
}
