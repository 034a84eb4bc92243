//! The full sync's reads of the org: every user in pages of 500 (`state=any`, so active,
//! inactive and soft-deleted users come in one listing) and the external-identifier calls
//! (API-FACTS §2, §11). A clear boundary: `read_users` returns the whole org or an error, never
//! a partial list (a partial read must never look like "these users are gone").

use crate::genesys::users::GcUser;
use crate::genesys::{ApiError, Client, Method};
use serde_json::{json, Value};

/// The page size of `GET /api/v2/users` (the largest the API is known to accept).
pub(crate) const PAGE_SIZE: usize = 500;

fn unexpected(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::Status {
        status: 200,
        code: "gcsync.unexpected.response".into(),
        message: format!("unexpected {what} response from Genesys Cloud: {e}"),
        correlation_id: None,
        entity_id: None,
    }
}

/// Every user of the org, any state, read in pages of [`PAGE_SIZE`]; `on_page` hears after each
/// page how many users were read and the total the API announced.
pub fn read_users(
    client: &mut Client,
    on_page: &mut dyn FnMut(usize, usize),
) -> Result<Vec<GcUser>, ApiError> {
    let size = PAGE_SIZE.to_string();
    let mut all = Vec::new();
    let mut number = 1usize;
    let mut guard = crate::genesys::paging::RepeatGuard::default();
    loop {
        let page = number.to_string();
        let q = [
            ("pageSize", size.as_str()),
            ("pageNumber", page.as_str()),
            ("state", "any"),
        ];
        let r = client.request(Method::Get, "/api/v2/users", &q, None)?;
        let entities = crate::genesys::paging::entities(&r.body);
        guard.check("/api/v2/users", number as u64, &entities)?;
        let users: Vec<GcUser> =
            serde_json::from_value(entities).map_err(|e| unexpected("user list", e))?;
        let got = users.len();
        all.extend(users);
        let total = r.body.get("total").and_then(Value::as_u64).unwrap_or(0) as usize;
        on_page(all.len(), total.max(all.len()));
        // The one paging rule: a missing pageCount must not end the read after page 1.
        if crate::genesys::paging::is_last(&r.body, number as u64, got, PAGE_SIZE) {
            return Ok(all);
        }
        number += 1;
    }
}

/// `GET /api/v2/users/externalid/{authority}/{key}`: the (not deleted) user holding the pair.
pub fn lookup_external(
    client: &mut Client,
    authority: &str,
    key: &str,
) -> Result<Option<GcUser>, ApiError> {
    let path = format!(
        "/api/v2/users/externalid/{}/{}",
        encode(authority),
        encode(key)
    );
    match client.request(Method::Get, &path, &[], None) {
        Ok(r) => serde_json::from_value(r.body)
            .map(Some)
            .map_err(|e| unexpected("external id lookup", e)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST /api/v2/users/{id}/externalid` with `{authorityName, externalKey}`.
pub fn add_external(
    client: &mut Client,
    genesys_id: &str,
    authority: &str,
    key: &str,
) -> Result<(), ApiError> {
    let body = json!({"authorityName": authority, "externalKey": key});
    let path = format!("/api/v2/users/{genesys_id}/externalid");
    client
        .request(Method::Post, &path, &[], Some(&body))
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
