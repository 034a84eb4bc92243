//! Genesys Cloud Platform API v2: the HTTP client (shared by threads: OAuth client credentials,
//! one request budget with a presence lane, retries) and typed endpoint wrappers. Everything that
//! touches the network lives here.

pub mod auth;
pub mod budget;
pub mod client;
pub mod config;
pub mod endpoints;
pub mod external_ids;
pub mod paging;
pub mod presence;
pub mod queues;
pub mod region;
pub mod resolver;
pub mod retry;
pub mod setup;
pub mod skills;
pub mod token;
pub mod transport;
pub mod users;
pub mod wire;
pub mod wrapup_codes;
mod writes;

pub use budget::Lane;
pub use client::{ApiResponse, Client, ClientConfig, Method};

use std::fmt;
use std::time::Duration;

/// The answer to a call for one object whose 404 means "not there": `Ok(true)` when it
/// succeeded, `Ok(false)` on 404, else the error.
pub(crate) fn found(answer: Result<ApiResponse, ApiError>) -> Result<bool, ApiError> {
    match answer {
        Ok(_) => Ok(true),
        Err(e) if e.status() == Some(404) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The words every 403 explanation carries (the client adds which permission the endpoint needs).
pub const LACKS_PERMISSION: &str = "the OAuth client's role lacks a permission";

/// Adds to a 403 from `method path` which permission the endpoint needs (from
/// [`endpoints::ENDPOINTS`]); other errors are returned as they are.
pub fn explain_forbidden(method: Method, path: &str, mut e: ApiError) -> ApiError {
    let ApiError::Status {
        status: 403,
        message,
        ..
    } = &mut e
    else {
        return e;
    };
    let Some(ep) = endpoints::endpoint(method, path) else {
        return e;
    };
    let hint = match ep.needs {
        Some(n) => format!(
            "{LACKS_PERMISSION}: {} {} needs {}",
            method.as_str(),
            ep.template,
            n.describe()
        ),
        None => format!(
            "{LACKS_PERMISSION} for {} {} (the API specification names none; README lists the \
             ones gcsync needs)",
            method.as_str(),
            ep.template
        ),
    };
    *message = if message.is_empty() {
        hint
    } else {
        format!("{message}; {hint}")
    };
    e
}

/// Why a Genesys Cloud call failed, after the client's own retries. `Display` gives a sentence an
/// admin can act on; it never contains a secret or a token.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The connection failed or timed out (after bounded retries).
    Transport {
        /// What went wrong, e.g. "connection refused".
        message: String,
    },
    /// Genesys Cloud asked us to wait longer than `max_retry_after` (or 429s outlasted the retry
    /// bound); the object is retried later.
    RateLimited {
        /// How long Genesys Cloud asked to wait.
        retry_after: Duration,
    },
    /// A non-success HTTP status that is not retried (400, 403, 404, 409, ...), or a 5xx that
    /// outlasted the retry bound.
    Status {
        /// HTTP status.
        status: u16,
        /// `ErrorBody.code`, e.g. `general.conflict` (empty when the body had none).
        code: String,
        /// `ErrorBody.message` (or a short body excerpt).
        message: String,
        /// `ININ-Correlation-Id` header or `ErrorBody.contextId`.
        correlation_id: Option<String>,
        /// `ErrorBody.entityId`: the object the error is about, when Genesys names it (e.g. the
        /// user holding an email a create asked for; whether Genesys fills it is UNCONFIRMED).
        entity_id: Option<String>,
    },
    /// The login service rejected the OAuth client (wrong id/secret, wrong region, disabled client).
    Auth {
        /// The `error`/`error_description` text of the token endpoint, never the credentials.
        message: String,
    },
    /// The client configuration is unusable (bad URL, unreadable CA bundle, bad proxy).
    Config {
        /// What to fix.
        message: String,
    },
}

impl ApiError {
    /// The HTTP status, when the failure was an HTTP response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is an HTTP failure with the given status and (if non-empty) error code.
    pub fn is(&self, want_status: u16, want_code: &str) -> bool {
        matches!(self, ApiError::Status { status, code, .. }
            if *status == want_status && (want_code.is_empty() || code == want_code))
    }

    /// Whether a refused create or rename of a named routing object (queue, wrap-up code, skill,
    /// language) means the name is taken. SPEC2018 gives 409 `general.conflict` for skills and
    /// 400 `duplicate.name` for queues and wrap-up codes, and API-FACTS §8 warns that current
    /// codes may differ: so either form counts for every kind, the 400 only when its code or
    /// message says duplicate / already exists (a 400 for a blank name is not a conflict).
    pub fn is_name_conflict(&self) -> bool {
        let ApiError::Status {
            status,
            code,
            message,
            ..
        } = self
        else {
            return false;
        };
        let (code, message) = (code.to_ascii_lowercase(), message.to_ascii_lowercase());
        match status {
            409 => true,
            400 => {
                code.contains("duplicate")
                    || code.contains("conflict")
                    || message.contains("duplicate")
                    || message.contains("already exists")
            }
            _ => false,
        }
    }

    /// An HTTP failure with `status`, `code` and `message` and nothing else (for tests).
    #[cfg(test)]
    pub(crate) fn for_test(status: u16, code: &str, message: &str) -> ApiError {
        ApiError::Status {
            status,
            code: code.into(),
            message: message.into(),
            correlation_id: None,
            entity_id: None,
        }
    }

    /// The `entityId` of the error body, when there was one.
    pub fn entity_id(&self) -> Option<&str> {
        match self {
            ApiError::Status { entity_id, .. } => entity_id.as_deref(),
            _ => None,
        }
    }

    /// The text to show for a configuration problem: the bare reason for `Config`, the full
    /// sentence otherwise.
    pub fn into_reason(self) -> String {
        match self {
            ApiError::Config { message } => message,
            other => other.to_string(),
        }
    }

    /// Whether retrying the same object later could succeed without an admin changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Transport { .. } | ApiError::RateLimited { .. } => true,
            ApiError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            ApiError::Auth { .. } | ApiError::Config { .. } => false,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Transport { message } => {
                write!(f, "could not reach Genesys Cloud: {message}")
            }
            ApiError::RateLimited { retry_after } => write!(
                f,
                "Genesys Cloud rate limit: asked to wait {} s; will retry later",
                retry_after.as_secs()
            ),
            ApiError::Status {
                status,
                code,
                message,
                correlation_id,
                ..
            } => {
                write!(f, "Genesys Cloud answered {status}")?;
                if !code.is_empty() {
                    write!(f, " {code}")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                if *status == 403 && !message.contains(LACKS_PERMISSION) {
                    write!(
                        f,
                        "; {LACKS_PERMISSION} (README lists the ones gcsync needs)"
                    )?;
                }
                if let Some(id) = correlation_id {
                    write!(f, " (correlation id {id})")?;
                }
                Ok(())
            }
            ApiError::Auth { message } => write!(
                f,
                "Genesys Cloud login failed: {message}; check client_id, client_secret and region"
            ),
            ApiError::Config { message } => write!(f, "connection settings unusable: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_403_names_the_permission_the_endpoint_needs() {
        let forbidden = |m: &str| ApiError::Status {
            status: 403,
            code: "missing.permissions".into(),
            message: m.into(),
            correlation_id: Some("c-9".into()),
            entity_id: None,
        };
        let e = explain_forbidden(
            Method::Post,
            "/api/v2/users",
            forbidden("Missing permission"),
        );
        assert_eq!(
            e.to_string(),
            "Genesys Cloud answered 403 missing.permissions: Missing permission; the OAuth \
             client's role lacks a permission: POST /api/v2/users needs directory:user:add \
             (correlation id c-9)"
        );
        let e = explain_forbidden(Method::Delete, "/api/v2/users/u-1", forbidden(""));
        assert!(e.to_string().contains(
            "DELETE /api/v2/users/{userId} needs one of admin, directory:user:delete, \
             directory:organization:admin"
        ));
        let e = explain_forbidden(Method::Get, "/api/v2/users/u-1", forbidden("no"));
        assert!(
            e.to_string().contains("for GET /api/v2/users/{userId}"),
            "{e}"
        );
        // Outside the table, and other statuses, nothing is added.
        assert_eq!(
            explain_forbidden(Method::Get, "/x", forbidden("no")),
            forbidden("no")
        );
        let nf = ApiError::Status {
            status: 404,
            code: String::new(),
            message: "gone".into(),
            correlation_id: None,
            entity_id: None,
        };
        assert_eq!(
            explain_forbidden(Method::Post, "/api/v2/users", nf.clone()),
            nf
        );
    }

    fn status(status: u16, code: &str, message: &str) -> ApiError {
        ApiError::for_test(status, code, message)
    }

    #[test]
    fn a_taken_name_is_a_409_or_a_400_that_says_so() {
        assert!(status(400, "duplicate.name", "").is_name_conflict());
        assert!(status(409, "general.conflict", "").is_name_conflict());
        assert!(
            status(409, "", "").is_name_conflict(),
            "409 without an ErrorBody"
        );
        assert!(
            status(400, "bad.request", "A queue with that name already exists.").is_name_conflict()
        );
        assert!(status(400, "general.conflict", "x").is_name_conflict());
        assert!(!status(400, "required.field.missing", "name is required").is_name_conflict());
        assert!(!status(400, "bad.request", "").is_name_conflict());
        assert!(!status(404, "duplicate.name", "").is_name_conflict());
        assert!(!ApiError::Transport {
            message: "already exists".into()
        }
        .is_name_conflict());
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = ApiError::Status {
            status: 403,
            code: "missing.permissions".into(),
            message: "Missing directory:user:add".into(),
            correlation_id: Some("c-1".into()),
            entity_id: None,
        };
        assert_eq!(
            e.to_string(),
            "Genesys Cloud answered 403 missing.permissions: Missing directory:user:add; the OAuth \
             client's role lacks a permission (README lists the ones gcsync needs) (correlation id c-1)"
        );
        assert!(!e.is_transient());
        let e = ApiError::Auth {
            message: "invalid_client".into(),
        };
        assert!(e
            .to_string()
            .contains("check client_id, client_secret and region"));
        let e = ApiError::RateLimited {
            retry_after: Duration::from_secs(600),
        };
        assert!(e.to_string().contains("600 s"));
        assert!(e.is_transient());
        assert_eq!(
            ApiError::Config {
                message: "bad proxy".into()
            }
            .into_reason(),
            "bad proxy"
        );
    }
}
