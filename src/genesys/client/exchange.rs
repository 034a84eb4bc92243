//! One exchange of [`Client`]: sends a request through the shared budget until it yields a
//! final answer, classifying each answer (429, 5xx, transport error) as in the module docs of
//! [`super`].

use std::time::{Duration, SystemTime};

use log::debug;

use super::{shutting_down, Call, Client, LOG};
use crate::genesys::budget::Refused;
use crate::genesys::retry::{self, BACKOFF_CAP, DEFAULT_RETRY_AFTER};
use crate::genesys::wire::{self, correlation_id, json_body, Outgoing, Raw};
use crate::genesys::writes::{answer_of, superseded};
use crate::genesys::{endpoints, ApiError};
use crate::metrics::Metrics;
use crate::queue::WriteKind;

impl Client {
    /// Sends `out` until it yields a final answer: retries 429, 5xx (not 501) and transport
    /// errors within `max_retries`. Returns the last answer (any status) or a terminal error.
    /// A 429 pauses the shared budget (every lane, every thread) for its Retry-After.
    pub(super) fn exchange(&self, out: &Outgoing, call: &Call) -> Result<Raw, ApiError> {
        self.exchange_counted(out, call, &mut 0)
    }

    /// [`Client::exchange`], counting its retries in `retries`.
    pub(super) fn exchange_counted(
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
}
