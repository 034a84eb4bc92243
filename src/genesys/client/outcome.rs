//! The outcome of a call of [`Client`]: a 2xx answer's JSON, the warning logged for a failure,
//! and the redaction of credentials from any text that leaves the client.

use log::warn;
use serde_json::Value;

use super::{ApiResponse, Client, LOG};
use crate::genesys::wire::{self, Outgoing, Raw};
use crate::genesys::ApiError;
use crate::secret::Secret;

impl Client {
    pub(super) fn success(&self, out: &Outgoing, raw: Raw) -> Result<ApiResponse, ApiError> {
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
    pub(super) fn failed(&self, out: &Outgoing, e: ApiError) -> ApiError {
        self.failed_with(out, e, None, None)
    }

    /// [`Client::failed`] with the HTTP status and correlation id for errors that carry none.
    pub(super) fn failed_with(
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
    pub(super) fn redact(&self, text: &str) -> String {
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
