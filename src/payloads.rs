//! The PureConnect objects other than users, as the host sends them (README "Hooks and
//! payloads"), and the one strict parser they share. Users keep their own hand-written parser in
//! [`crate::cic`]; every rule is the same: a JSON object where an object is expected (never an
//! array of the values), no unknown or duplicate field, the right types, an `id` by the one id
//! rule, no control character in any string, each failure with its code and the field named.

use crate::cic::{check_id_field, check_text, json_failure};
use crate::result::{Failure, GcsyncResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A skill held by a user or a workgroup, with the CIC proficiency (1-100; out-of-range values
/// are clamped when mapped and named in the object's warnings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillRef {
    /// The CIC skill's id (its name in Interaction Administrator).
    pub id: String,
    /// CIC proficiency, 1-100 (absent: CIC's default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proficiency: Option<i64>,
}

/// A CIC workgroup → a Genesys Cloud queue with its members and wrap-up codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CicWorkgroup {
    /// The workgroup name (the stable key and the queue's name).
    pub id: String,
    /// Member CIC user ids.
    #[serde(default)]
    pub members: Vec<String>,
    /// Skills given to the workgroup (inherited by its members).
    #[serde(default)]
    pub skills: Vec<SkillRef>,
    /// Ids of the CIC wrap-up codes associated with the workgroup.
    #[serde(default)]
    pub wrapup_codes: Vec<String>,
}

/// A CIC skill → a Genesys Cloud ACD skill, or a language when `treat_as_language`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CicSkill {
    /// The skill name (the stable key and the Genesys name).
    pub id: String,
    /// Interaction Administrator's "Treat as Language" check box.
    #[serde(default)]
    pub treat_as_language: bool,
}

/// A CIC wrap-up code → a Genesys Cloud wrap-up code (name only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CicWrapupCode {
    /// The CIC wrap-up code id.
    pub id: String,
    /// The name synced to Genesys Cloud (absent: the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// CIC's code label: accepted and ignored (Genesys wrap-up codes have none).
    #[serde(default, skip_serializing)]
    pub label: Option<String>,
    /// CIC's category: accepted and ignored.
    #[serde(default, skip_serializing)]
    pub category: Option<String>,
}

/// A CIC agent's current status → the user's Genesys Cloud presence (README "Agent status").
/// The status message and its status group are CIC configuration names; the flags are the
/// status's options in Interaction Administrator, sent as they are for the agent now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CicAgentStatus {
    /// The CIC user id (the user must be synced first).
    pub id: String,
    /// The status message key, e.g. `Available`, `At Lunch`, or a site-defined one.
    pub status: String,
    /// Its status group (informational; admins may add groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// "Status is Do Not Disturb".
    #[serde(default)]
    pub do_not_disturb: bool,
    /// "Status Allow ACD Calls": the agent is available for ACD.
    #[serde(default)]
    pub acd_allowed: bool,
    /// "After Call Work" (follow-up).
    #[serde(default)]
    pub after_call_work: bool,
    /// Whether the agent's CIC client is logged in (absent: logged in).
    #[serde(default = "yes")]
    pub logged_in: bool,
    /// Whether the agent is on an ACD interaction now (used in WEM orgs only).
    #[serde(default)]
    pub on_acd_interaction: bool,
}

fn yes() -> bool {
    true
}

/// Parses `json` strictly as a `T` (see the module doc), then checks its `id` and every string.
pub fn parse_strict<T: DeserializeOwned>(json: &str) -> Result<T, Failure> {
    // Typed first: duplicate and unknown fields, wrong types and syntax get serde's own words.
    let parsed: T = serde_json::from_str(json).map_err(json_failure)?;
    // Then the shape serde would let through (an array of the values for an object) and the
    // text rules, walking the same document.
    let value: Value = serde_json::from_str(json).map_err(json_failure)?;
    let Value::Object(top) = &value else {
        return Err(expected_object(""));
    };
    match top.get("id") {
        Some(Value::String(id)) => check_id_field("id", id)?,
        _ => {
            return Err(Failure::new(
                GcsyncResult::MissingField,
                "missing field `id`",
            ))
        }
    }
    check_strings(&value, &mut String::new())?;
    Ok(parsed)
}

fn expected_object(at: &str) -> Failure {
    let at = if at.is_empty() { "the payload" } else { at };
    Failure::new(
        GcsyncResult::InvalidField,
        format!("{at}: expected a JSON object, not an array of the values"),
    )
}

/// Refuses control characters in every string (naming its path, e.g. `skills[2].id`) and an
/// array directly inside an array (where the schemas expect objects or strings).
fn check_strings(v: &Value, path: &mut String) -> Result<(), Failure> {
    match v {
        Value::String(s) => check_text(if path.is_empty() { "value" } else { path }, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                if item.is_array() {
                    return Err(expected_object(path));
                }
                check_strings(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(m) => {
            for (k, item) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                check_strings(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> (GcsyncResult, String) {
        let e = parse_strict::<T>(json).unwrap_err();
        (e.code, e.message)
    }

    #[test]
    fn a_workgroup_parses_with_its_parts_and_defaults() {
        let w: CicWorkgroup = parse_strict(
            r#"{"id":"Sales","members":["jdoe"],"skills":[{"id":"French","proficiency":70}],"wrapup_codes":["Sold"]}"#,
        )
        .unwrap();
        assert_eq!(w.members, ["jdoe"]);
        assert_eq!(w.skills[0].proficiency, Some(70));
        let bare: CicWorkgroup = parse_strict(r#"{"id":"Support"}"#).unwrap();
        assert!(bare.members.is_empty() && bare.skills.is_empty());
        let c: CicWrapupCode =
            parse_strict(r#"{"id":"W1","name":"Sold","label":"S","category":"Sales"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"id":"W1","name":"Sold"}"#
        );
    }

    #[test]
    fn every_strict_rule_has_its_code_and_names_the_field() {
        use GcsyncResult::*;
        assert_eq!(code::<CicSkill>("{").0, MalformedJson);
        assert_eq!(code::<CicSkill>(r#"["French",true]"#).0, InvalidField);
        assert_eq!(code::<CicSkill>(r#"{"id":"a","colour":1}"#).0, UnknownField);
        assert_eq!(
            code::<CicSkill>(r#"{"treat_as_language":true}"#).0,
            MissingField
        );
        assert_eq!(code::<CicSkill>(r#"{"id":" "}"#).0, MissingField);
        assert_eq!(code::<CicSkill>(r#"{"id":"a","id":"b"}"#).0, InvalidField);
        assert_eq!(
            code::<CicSkill>(r#"{"id":"a","treat_as_language":"yes"}"#).0,
            InvalidField
        );
        let long = format!(r#"{{"id":"{}"}}"#, "x".repeat(257));
        assert_eq!(code::<CicSkill>(&long).0, InvalidField);
        let (c, m) = code::<CicWorkgroup>(r#"{"id":"S","skills":[["French",70]]}"#);
        assert_eq!((c, m.contains("skills[0]")), (InvalidField, true), "{m}");
        let (c, m) = code::<CicWorkgroup>(r#"{"id":"S","members":["ok","a\u0007b"]}"#);
        assert_eq!((c, m.contains("members[1]")), (InvalidField, true), "{m}");
        let (c, m) = code::<CicWorkgroup>(r#"{"id":"S","skills":[{"id":"x","level":2}]}"#);
        assert_eq!((c, m.contains("level")), (UnknownField, true), "{m}");
    }
}
