//! Paging and name filters shared by the routing listings (`…EntityListing`).

use crate::errors::ApiError;
use crate::server::Ctx;
use serde_json::{json, Value};

/// A validated `pageSize` / `pageNumber` pair.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    /// Entities per page.
    pub size: usize,
    /// 1-based page number.
    pub number: usize,
}

/// Read `pageSize` (default 25, 1..=`max`) and `pageNumber` (default 1, ≥ 1): 400 outside.
pub fn page(ctx: &Ctx, max: usize) -> Result<Page, ApiError> {
    let arg = |name: &str, default: usize, max: usize| match ctx
        .q(name)
        .map_or(Ok(default), str::parse::<usize>)
    {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be between 1 and {max}"
        ))),
    };
    Ok(Page {
        size: arg("pageSize", 25, max)?,
        number: arg("pageNumber", 1, usize::MAX / 1_000_000)?,
    })
}

/// Whether a name filter matches, the way the routing lists filter by `name`: case-insensitive,
/// a leading or trailing `*` is a wildcard, and a plain value matches every name it starts
/// (`Sales` matches `Sales`, `sales` and `Sales EMEA`): the filter is never an exact match, so
/// a client compares names itself.
pub fn name_matches(filter: &str, name: &str) -> bool {
    let name = name.to_lowercase();
    let f = filter.to_lowercase();
    match (f.strip_prefix('*'), f.strip_suffix('*')) {
        (Some(rest), _) => name.contains(rest.trim_end_matches('*')),
        (None, Some(head)) => name.starts_with(head),
        (None, None) => name.starts_with(&f),
    }
}

/// Sort entities by name (case-insensitive, then id); `descending` reverses.
pub fn sort_by_name(all: &mut [Value], descending: bool) {
    let key = |v: &Value| {
        (
            v["name"].as_str().unwrap_or("").to_lowercase(),
            v["id"].as_str().unwrap_or("").to_string(),
        )
    };
    all.sort_by_key(key);
    if descending {
        all.reverse();
    }
}

/// The page of `all` as an entity listing with `total` and `pageCount` and the URIs
/// (`path` is the listing's path, `query` extra query text kept in the URIs).
pub fn listing(all: Vec<Value>, p: Page, path: &str) -> Value {
    let total = all.len();
    let count = total.div_ceil(p.size);
    let uri = |n: usize| format!("{path}?pageSize={}&pageNumber={n}", p.size);
    let entities: Vec<Value> = all
        .into_iter()
        .skip((p.number - 1).saturating_mul(p.size))
        .take(p.size)
        .collect();
    let mut v = json!({
        "entities": entities, "pageSize": p.size, "pageNumber": p.number, "total": total,
        "pageCount": count, "firstUri": uri(1), "selfUri": uri(p.number),
        "lastUri": uri(count.max(1)),
    });
    if p.number < count {
        v["nextUri"] = json!(uri(p.number + 1));
    }
    if p.number > 1 {
        v["previousUri"] = json!(uri(p.number - 1));
    }
    v
}

/// The ISO-8601 UTC time now, as the routing objects' `dateCreated` / `dateModified`.
pub fn now_iso() -> String {
    crate::util::iso8601_ms(crate::util::unix_now() as i64 * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_filter_is_not_exact() {
        assert!(name_matches("Sales", "Sales"));
        assert!(name_matches("Sales", "sales emea"));
        assert!(name_matches("sales*", "Sales EMEA"));
        assert!(name_matches("*emea", "Sales EMEA"));
        assert!(name_matches("*les e*", "Sales EMEA"));
        assert!(!name_matches("EMEA", "Sales EMEA"));
        assert!(!name_matches("Support", "Sales"));
    }

    #[test]
    fn dates() {
        assert_eq!(crate::util::civil_from_days(20_819), (2027, 1, 1));
        assert_eq!(now_iso().len(), 24);
    }
}
