//! The access token of [`Client`]: the single-flight fetch through the login service (module
//! docs of [`super`]: same budget and retry rules as any request).

use std::time::Instant;

use super::{shutting_down, Call, Client};
use crate::genesys::auth::{self, Token};
use crate::genesys::budget::Lane;
use crate::genesys::token::Claim;
use crate::genesys::wire::{correlation_id, json_body, status_error, Outgoing};
use crate::genesys::{ApiError, Method};
use crate::metrics::Metrics;
use crate::queue::WriteKind;
use crate::secret::Secret;

fn bearer_of(token: &Secret) -> Secret {
    Secret::new(format!("Bearer {}", token.expose()))
}

impl Client {
    /// `Bearer <token>` and the token's generation. When no usable token is cached one thread
    /// fetches it (in [`Lane::Presence`]: every lane waits for it) and the others wait for that.
    pub(super) fn bearer(&self, call: &Call) -> Result<(Secret, u64), ApiError> {
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
}
