//! The PureConnect (CIC) objects the host hands to the hooks, and their strict JSON parsing.
//!
//! Parsing rejects unknown fields, wrong types and a missing or empty `id`, each with its own
//! result code and a message naming the field.

use crate::result::{Failure, GcsyncResult};
use serde::{Deserialize, Serialize};

/// Longest CIC object id accepted, in bytes (longer ids get `GCSYNC_RESULT_INVALID_FIELD`).
pub const GCSYNC_MAX_ID_LEN: usize = 256;

/// A CIC user as sent to `gcsync_on_user_changed`. All fields but `id` are optional strings;
/// `null`, an absent field and an empty string all mean "not set".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CicUser {
    /// The CIC user name (the stable key).
    pub id: String,
    /// Personal Info > General > Display Name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Personal Info > Internet > Business Email (required for sync).
    #[serde(default)]
    pub business_email: Option<String>,
    /// Business phone → Genesys WORK.
    #[serde(default)]
    pub business_phone: Option<String>,
    /// Business 2 phone → Genesys WORK2.
    #[serde(default)]
    pub business_phone_2: Option<String>,
    /// Mobile phone → Genesys MOBILE (Cell).
    #[serde(default)]
    pub mobile_phone: Option<String>,
    /// Home phone → Genesys HOME.
    #[serde(default)]
    pub home_phone: Option<String>,
    /// Fax → Genesys OTHER.
    #[serde(default)]
    pub fax: Option<String>,
}

/// A full snapshot for `gcsync_on_force_sync`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Every CIC user.
    pub users: Vec<CicUser>,
}

/// Maps a serde_json error to the right code and a message naming the problem.
fn json_failure(e: serde_json::Error) -> Failure {
    let text = e.to_string();
    let code = if e.is_syntax() || e.is_eof() {
        GcsyncResult::MalformedJson
    } else if text.starts_with("unknown field") {
        GcsyncResult::UnknownField
    } else if text.starts_with("missing field") {
        GcsyncResult::MissingField
    } else {
        GcsyncResult::InvalidField
    };
    Failure::new(code, text)
}

/// Validates an object id from the host.
pub fn check_id(id: &str) -> Result<(), Failure> {
    if id.trim().is_empty() {
        return Err(Failure::new(
            GcsyncResult::MissingField,
            "id must not be empty",
        ));
    }
    if id.len() > GCSYNC_MAX_ID_LEN {
        return Err(Failure::new(
            GcsyncResult::InvalidField,
            format!(
                "id is {} bytes; at most {GCSYNC_MAX_ID_LEN} are allowed",
                id.len()
            ),
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(Failure::new(
            GcsyncResult::InvalidField,
            "id must not contain control characters",
        ));
    }
    Ok(())
}

/// Parses one user.
pub fn parse_user(json: &str) -> Result<CicUser, Failure> {
    let user: CicUser = serde_json::from_str(json).map_err(json_failure)?;
    check_id(&user.id)?;
    Ok(user)
}

/// Parses a force-sync snapshot; every user must be valid and ids unique.
pub fn parse_snapshot(json: &str) -> Result<Snapshot, Failure> {
    let snap: Snapshot = serde_json::from_str(json).map_err(json_failure)?;
    let mut seen = std::collections::HashSet::new();
    for (i, u) in snap.users.iter().enumerate() {
        check_id(&u.id).map_err(|f| Failure::new(f.code, format!("users[{i}]: {}", f.message)))?;
        if !seen.insert(u.id.as_str()) {
            return Err(Failure::new(
                GcsyncResult::InvalidField,
                format!("users[{i}]: duplicate id {:?}", u.id),
            ));
        }
    }
    Ok(snap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_user() {
        let u = parse_user(
            r#"{"id":"jdoe","display_name":"Jane","business_email":"j@x.com","business_phone":"1",
               "business_phone_2":null,"mobile_phone":"3","home_phone":"4","fax":"5"}"#,
        )
        .unwrap();
        assert_eq!(u.id, "jdoe");
        assert_eq!(u.business_phone_2, None);
        assert_eq!(u.fax.as_deref(), Some("5"));
    }

    #[test]
    fn each_bad_payload_has_its_own_code() {
        let code = |j: &str| parse_user(j).unwrap_err().code;
        assert_eq!(code("{"), GcsyncResult::MalformedJson);
        assert_eq!(code("not json"), GcsyncResult::MalformedJson);
        assert_eq!(code(r#"{"id":"a","nick":"x"}"#), GcsyncResult::UnknownField);
        assert_eq!(code(r#"{"display_name":"x"}"#), GcsyncResult::MissingField);
        assert_eq!(code(r#"{"id":""}"#), GcsyncResult::MissingField);
        assert_eq!(code(r#"{"id":5}"#), GcsyncResult::InvalidField);
        assert_eq!(code(r#"{"id":"a","fax":7}"#), GcsyncResult::InvalidField);
        assert_eq!(code(r#"[1]"#), GcsyncResult::InvalidField);
        let long = format!(r#"{{"id":"{}"}}"#, "a".repeat(GCSYNC_MAX_ID_LEN + 1));
        assert_eq!(code(&long), GcsyncResult::InvalidField);
        let msg = parse_user(r#"{"id":"a","nick":"x"}"#).unwrap_err().message;
        assert!(msg.contains("nick"), "{msg}");
    }

    #[test]
    fn snapshot_rejects_duplicates_and_names_the_index() {
        let f = parse_snapshot(r#"{"users":[{"id":"a"},{"id":"a"}]}"#).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidField);
        assert!(f.message.contains("users[1]"));
        assert_eq!(
            parse_snapshot(r#"{"users":[],"x":1}"#).unwrap_err().code,
            GcsyncResult::UnknownField
        );
        assert_eq!(
            parse_snapshot(r#"{"users":[{"id":"a"}]}"#)
                .unwrap()
                .users
                .len(),
            1
        );
    }
}
