//! The permission model. What an operation requires comes from its
//! `x-inin-requires-permissions` in the spec (`{permissions, type: ALL | ANY}`); what a token
//! may do is one granted set per org (default: everything). The OAuth client's roles are not
//! modelled: every token gets the same set.
//!
//! A refusal is 403 with the codes and messages of the official spec's generic error set:
//! `missing.permissions` "... You are missing the following permission(s): [a, b]" (type ALL,
//! naming only the missing ones) and `missing.any.permissions` "... You must have at least one
//! of the following permissions assigned: [a, b]" (type ANY, naming every alternative).

use crate::errors::ApiError;
use serde_json::Value;

/// Whether a granted permission covers a required one. Both are `domain:entity:action`
/// (or a single word such as `admin`); `*` in a granted segment matches any value there.
pub fn covers(granted: &str, required: &str) -> bool {
    let (g, r): (Vec<&str>, Vec<&str>) =
        (granted.split(':').collect(), required.split(':').collect());
    g.len() == r.len() && g.iter().zip(&r).all(|(g, r)| *g == "*" || g == r)
}

fn list(perms: &[&str]) -> String {
    format!("[{}]", perms.join(", "))
}

/// Check an operation against the granted set (`None`: everything is granted).
pub fn check(op: &Value, granted: Option<&[String]>) -> Result<(), ApiError> {
    let req = &op["x-inin-requires-permissions"];
    let needed: Vec<&str> = req["permissions"]
        .as_array()
        .map_or(vec![], |a| a.iter().filter_map(Value::as_str).collect());
    require(&needed, req["type"] == "ALL", granted)
}

/// Check that `granted` holds every one (`all`) or at least one of `needed`.
pub fn require(needed: &[&str], all: bool, granted: Option<&[String]>) -> Result<(), ApiError> {
    let Some(granted) = granted else {
        return Ok(());
    };
    if needed.is_empty() {
        return Ok(());
    }
    let has = |p: &&str| granted.iter().any(|g| covers(g, p));
    if all {
        let missing: Vec<&str> = needed.iter().filter(|p| !has(p)).copied().collect();
        if missing.is_empty() {
            return Ok(());
        }
        return Err(ApiError::new(
            403,
            "missing.permissions",
            format!(
                "Unable to perform the requested action. You are missing the following permission(s): {}",
                list(&missing)
            ),
        ));
    }
    if needed.iter().any(has) {
        return Ok(());
    }
    Err(ApiError::new(
        403,
        "missing.any.permissions",
        format!(
            "Unable to perform the requested action. You must have at least one of the following permissions assigned: {}",
            list(needed)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(kind: &str, perms: &[&str]) -> Value {
        json!({"x-inin-requires-permissions": {"type": kind, "permissions": perms}})
    }

    #[test]
    fn wildcards_cover_a_segment() {
        assert!(covers("directory:user:add", "directory:user:add"));
        assert!(covers("directory:user:*", "directory:user:add"));
        assert!(covers("directory:*:*", "directory:user:edit"));
        assert!(!covers("directory:user:view", "directory:user:add"));
        assert!(!covers("directory:user", "directory:user:add"));
        assert!(!covers("*", "directory:user:add"));
        assert!(covers("admin", "admin"));
    }

    #[test]
    fn all_names_only_the_missing_ones() {
        let g = vec!["a:b:c".to_string()];
        check(&op("ALL", &["a:b:c"]), Some(&g)).unwrap();
        let e = check(&op("ALL", &["a:b:c", "x:y:z"]), Some(&g)).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "missing.permissions"));
        assert!(
            e.message.ends_with("permission(s): [x:y:z]"),
            "{}",
            e.message
        );
    }

    #[test]
    fn any_needs_one_and_names_all() {
        let g = vec!["directory:user:edit".to_string()];
        check(&op("ANY", &["admin", "directory:user:edit"]), Some(&g)).unwrap();
        let e = check(&op("ANY", &["admin", "directory:user:delete"]), Some(&g)).unwrap_err();
        assert_eq!(e.code, "missing.any.permissions");
        assert!(e
            .message
            .ends_with("assigned: [admin, directory:user:delete]"));
        // No requirement, or everything granted: always allowed.
        check(&json!({}), Some(&[])).unwrap();
        check(&op("ANY", &["admin"]), None).unwrap();
    }
}
