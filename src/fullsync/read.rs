//! The full sync's reads of the org: every user in pages of 500 (`state=any`, so active,
//! inactive and soft-deleted users come in one listing), with their skills and languages
//! expanded on the same pages when assignments are checked, and the external-identifier calls
//! (API-FACTS §2, §11). A clear boundary: `read_users` returns the whole org or an error, never
//! a partial list (a partial read must never look like "these users are gone").

use crate::genesys::users::GcUser;
use crate::genesys::{external_ids, ApiError, Client, Method};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

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

/// A user's assignments as the listing's `expand=skills,languages` gave them (id →
/// proficiency). `None`: the field was absent (or null) on the user: the expansion is
/// best-effort (API-FACTS §2) and that user's assignments must be read from its own endpoint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expanded {
    /// `skills`, when present.
    pub skills: Option<BTreeMap<String, f64>>,
    /// `languages`, when present.
    pub languages: Option<BTreeMap<String, f64>>,
}

/// The `id → proficiency` pairs of an expanded `skills` or `languages` field; `None` when the
/// field is absent, null or not a list.
fn assignments(v: Option<&Value>) -> Option<BTreeMap<String, f64>> {
    let list = v?.as_array()?;
    Some(
        list.iter()
            .filter_map(|e| Some((e["id"].as_str()?.to_string(), e["proficiency"].as_f64()?)))
            .collect(),
    )
}

/// Every user of the org, any state, read in pages of [`PAGE_SIZE`]; `on_page` hears after each
/// page how many users were read and the total the API announced.
pub fn read_users(
    client: &Client,
    on_page: &mut dyn FnMut(usize, usize),
) -> Result<Vec<GcUser>, ApiError> {
    read_users_with(client, false, on_page).map(|(users, _)| users)
}

/// [`read_users`], with `expand=skills&expand=languages` on the same pages when `expand`: the
/// second part maps each Genesys id to its [`Expanded`] assignments (empty without `expand`).
pub fn read_users_with(
    client: &Client,
    expand: bool,
    on_page: &mut dyn FnMut(usize, usize),
) -> Result<(Vec<GcUser>, HashMap<String, Expanded>), ApiError> {
    let size = PAGE_SIZE.to_string();
    let mut all = Vec::new();
    let mut expanded = HashMap::new();
    let mut number = 1usize;
    let mut guard = crate::genesys::paging::RepeatGuard::default();
    loop {
        let page = number.to_string();
        let mut q = vec![
            ("pageSize", size.as_str()),
            ("pageNumber", page.as_str()),
            ("state", "any"),
        ];
        if expand {
            q.extend([("expand", "skills"), ("expand", "languages")]);
        }
        let r = client.request(Method::Get, "/api/v2/users", &q, None)?;
        let entities = crate::genesys::paging::entities(&r.body);
        guard.check("/api/v2/users", number as u64, &entities)?;
        if expand {
            for e in entities.as_array().into_iter().flatten() {
                if let Some(id) = e["id"].as_str() {
                    let x = Expanded {
                        skills: assignments(e.get("skills")),
                        languages: assignments(e.get("languages")),
                    };
                    expanded.insert(id.to_string(), x);
                }
            }
        }
        let users: Vec<GcUser> =
            serde_json::from_value(entities).map_err(|e| unexpected("user list", e))?;
        let got = users.len();
        all.extend(users);
        let total = r.body.get("total").and_then(Value::as_u64).unwrap_or(0) as usize;
        on_page(all.len(), total.max(all.len()));
        // The one paging rule: a missing pageCount must not end the read after page 1.
        if crate::genesys::paging::is_last(&r.body, number as u64, got, PAGE_SIZE) {
            return Ok((all, expanded));
        }
        number += 1;
    }
}

/// `GET /api/v2/users/externalid/{authority}/{key}`: the (not deleted) user holding the pair.
pub fn lookup_external(
    client: &Client,
    authority: &str,
    key: &str,
) -> Result<Option<GcUser>, ApiError> {
    external_ids::lookup(client, authority, key)
}

/// `POST /api/v2/users/{id}/externalid` with `{authorityName, externalKey}`.
pub fn add_external(
    client: &Client,
    genesys_id: &str,
    authority: &str,
    key: &str,
) -> Result<(), ApiError> {
    external_ids::add(client, genesys_id, authority, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_absent_or_null_expansion_is_missing_and_an_empty_one_is_none_held() {
        let v = json!({"skills": [{"id": "s1", "proficiency": 3.0}, {"id": "s2"}],
                       "languages": [], "other": null});
        let s = assignments(v.get("skills")).unwrap();
        assert_eq!(s, BTreeMap::from([("s1".to_string(), 3.0)]));
        assert_eq!(assignments(v.get("languages")), Some(BTreeMap::new()));
        assert_eq!(assignments(v.get("other")), None);
        assert_eq!(assignments(v.get("absent")), None);
    }
}
