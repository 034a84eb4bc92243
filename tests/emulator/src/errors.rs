//! Genesys `ErrorBody` responses.

use crate::http::HttpResponse;
use serde_json::json;

/// An API error, rendered as a Genesys `ErrorBody`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// ErrorBody `code`, e.g. `general.conflict`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Extra response headers (e.g. `Retry-After`).
    pub headers: Vec<(String, String)>,
    /// ErrorBody `entityId`: the object the error is about (sent only when set).
    pub entity_id: Option<String>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            headers: Vec::new(),
            entity_id: None,
        }
    }

    /// 400 `bad.request`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "bad.request", message)
    }

    /// 404 `general.resource.not.found`.
    pub fn resource_not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "general.resource.not.found", message)
    }

    /// 404 `resource.not.found`: the routing API's code (the users API's is
    /// `general.resource.not.found`).
    pub fn routing_not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "resource.not.found", message)
    }

    /// A routing object (queue, wrap-up code) by id that is not there.
    pub fn no_resource() -> ApiError {
        ApiError::routing_not_found("The resource could not be found.")
    }

    /// The queue of a queue's sub-resource (members, wrap-up codes) that is not there.
    pub fn no_queue() -> ApiError {
        ApiError::routing_not_found("The queue could not be found.")
    }

    /// 409 `general.conflict`.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "general.conflict", message)
    }

    /// Add a response header.
    pub fn with_header(mut self, k: &str, v: &str) -> ApiError {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    /// Name the object the error is about in the body's `entityId`.
    pub fn with_entity_id(mut self, id: &str) -> ApiError {
        self.entity_id = Some(id.to_string());
        self
    }

    /// Render with the given correlation id as `contextId`.
    pub fn to_response(&self, correlation_id: &str) -> HttpResponse {
        let mut body = json!({
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "messageWithParams": self.message,
            "messageParams": {},
            "contextId": correlation_id,
            "details": [],
            "errors": [],
        });
        if let Some(id) = &self.entity_id {
            body["entityId"] = json!(id);
        }
        let mut r = HttpResponse::json(self.status, &body);
        r.headers.extend(self.headers.iter().cloned());
        r
    }
}
