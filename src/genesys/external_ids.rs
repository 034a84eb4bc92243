//! A user's external identifiers (API-FACTS §11): the `(authority, key)` pair gcsync records on
//! every Genesys user it owns, with the CIC user id as key, and looks users up by.

use super::users::{parse, GcUser};
use super::{ApiError, Client, Method};
use serde_json::json;

/// `GET /api/v2/users/externalid/{authority}/{key}`: the (not deleted) user holding the pair;
/// `Ok(None)` when none does (404).
pub fn lookup(client: &Client, authority: &str, key: &str) -> Result<Option<GcUser>, ApiError> {
    let path = format!(
        "/api/v2/users/externalid/{}/{}",
        encode(authority),
        encode(key)
    );
    match client.request(Method::Get, &path, &[], None) {
        Ok(r) => parse(r.body, "external id lookup").map(Some),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST /api/v2/users/{id}/externalid` with `{authorityName, externalKey}`.
pub fn add(client: &Client, genesys_id: &str, authority: &str, key: &str) -> Result<(), ApiError> {
    let body = json!({"authorityName": authority, "externalKey": key});
    let path = format!("/api/v2/users/{genesys_id}/externalid");
    // The answer (the user's external ids) is checked to be JSON, not kept.
    client
        .request_as::<serde::de::IgnoredAny>(Method::Post, &path, &[], Some(&body), "external id")
        .map(|_| ())
}

/// Percent-encodes a path segment (CIC ids may hold spaces and other characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(super::encode("j doe/x"), "j%20doe%2Fx");
        assert_eq!(super::encode("jdoe-1.a_b"), "jdoe-1.a_b");
    }
}
