//! The PureConnect (CIC) objects the host hands to the hooks, and their strict JSON parsing.
//!
//! Parsing accepts only a JSON object where an object is expected (serde's derive would also take
//! an array of the field values in order), rejects unknown and duplicate fields, wrong types, a
//! missing or empty `id`, an id over [`GCSYNC_MAX_ID_LEN`] bytes and control characters in any
//! string field, each with its own result code and a message naming the field.

mod checks;
mod skills;

pub use checks::{check_id, check_id_field, check_text};

use crate::payloads::SkillRef;
use crate::result::{Failure, GcsyncResult};
use checks::{check_user, SnapshotIndex};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest CIC object id accepted, in bytes (longer ids get `GCSYNC_RESULT_INVALID_FIELD`).
pub const GCSYNC_MAX_ID_LEN: usize = 256;

/// A CIC user as sent to `gcsync_on_user_changed`. All fields but `id` are optional strings;
/// `null`, an absent field and an empty string all mean "not set".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CicUser {
    /// The CIC user name (the stable key).
    pub id: String,
    /// Personal Info > General > Display Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Personal Info > Internet > Business Email (required for sync).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_email: Option<String>,
    /// Business phone → Genesys WORK.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_phone: Option<String>,
    /// Business 2 phone → Genesys WORK2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_phone_2: Option<String>,
    /// Mobile phone → Genesys MOBILE (Cell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// Home phone → Genesys HOME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_phone: Option<String>,
    /// Fax → Genesys OTHER.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    /// Skills set directly on the user, with proficiency (`[{"id": "French", "proficiency":
    /// 70}]`); those inherited from workgroups are not listed here (README "Effective skills").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<SkillRef>,
}

/// The JSON field names of [`CicUser`], `id` first.
const USER_FIELDS: &[&str] = &[
    "id",
    "display_name",
    "business_email",
    "business_phone",
    "business_phone_2",
    "mobile_phone",
    "home_phone",
    "fax",
    "skills",
];

/// The index of `skills` in [`USER_FIELDS`] (the one field that is not an optional string).
const SKILLS_FIELD: usize = 8;

impl CicUser {
    /// The optional field with index `i` (1.. in [`USER_FIELDS`]).
    fn optional_mut(&mut self, i: usize) -> &mut Option<String> {
        match i {
            1 => &mut self.display_name,
            2 => &mut self.business_email,
            3 => &mut self.business_phone,
            4 => &mut self.business_phone_2,
            5 => &mut self.mobile_phone,
            6 => &mut self.home_phone,
            _ => &mut self.fax,
        }
    }

    /// The optional string fields with their JSON names.
    pub fn optional_fields(&self) -> [(&'static str, &Option<String>); 7] {
        [
            ("display_name", &self.display_name),
            ("business_email", &self.business_email),
            ("business_phone", &self.business_phone),
            ("business_phone_2", &self.business_phone_2),
            ("mobile_phone", &self.mobile_phone),
            ("home_phone", &self.home_phone),
            ("fax", &self.fax),
        ]
    }
}

impl<'de> Deserialize<'de> for CicUser {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CicUser, D::Error> {
        d.deserialize_map(UserVisitor)
    }
}

/// Reads a [`CicUser`] from a map only (never from a sequence of values).
struct UserVisitor;

impl<'de> Visitor<'de> for UserVisitor {
    type Value = CicUser;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (a CIC user)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CicUser, A::Error> {
        let mut user = CicUser {
            id: String::new(),
            display_name: None,
            business_email: None,
            business_phone: None,
            business_phone_2: None,
            mobile_phone: None,
            home_phone: None,
            fax: None,
            skills: Vec::new(),
        };
        let mut seen = [false; USER_FIELDS.len()];
        while let Some(UserField(i)) = map.next_key::<UserField>()? {
            if std::mem::replace(&mut seen[i], true) {
                return Err(de::Error::duplicate_field(USER_FIELDS[i]));
            }
            if i == 0 {
                user.id = map.next_value()?;
            } else if i == SKILLS_FIELD {
                user.skills = map.next_value::<skills::UserSkills>()?.0;
            } else {
                *user.optional_mut(i) = map.next_value()?;
            }
        }
        if !seen[0] {
            return Err(de::Error::missing_field("id"));
        }
        Ok(user)
    }
}

/// A key of a CIC user object: the index of a known field in [`USER_FIELDS`]. Read from the
/// key text without allocating (an unknown name is an error naming it).
struct UserField(usize);

impl<'de> Deserialize<'de> for UserField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UserField, D::Error> {
        d.deserialize_identifier(UserFieldVisitor)
    }
}

/// Reads a [`UserField`] from a string key.
struct UserFieldVisitor;

impl<'de> Visitor<'de> for UserFieldVisitor {
    type Value = UserField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CIC user field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<UserField, E> {
        match USER_FIELDS.iter().position(|f| *f == key) {
            Some(i) => Ok(UserField(i)),
            None => Err(E::unknown_field(key, USER_FIELDS)),
        }
    }
}

/// A full snapshot for `gcsync_on_force_sync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every CIC user.
    pub users: Vec<CicUser>,
}

impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Snapshot, D::Error> {
        d.deserialize_map(SnapshotVisitor)
    }
}

/// Reads a [`Snapshot`] from a map only.
struct SnapshotVisitor;

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = Snapshot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object {\"users\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Snapshot, A::Error> {
        let mut users = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "users" {
                return Err(de::Error::unknown_field(&key, &["users"]));
            }
            if users.is_some() {
                return Err(de::Error::duplicate_field("users"));
            }
            users = Some(map.next_value()?);
        }
        let users = users.ok_or_else(|| de::Error::missing_field("users"))?;
        Ok(Snapshot { users })
    }
}

/// Maps a serde_json error to the right code and a message naming the problem.
pub(crate) fn json_failure(e: serde_json::Error) -> Failure {
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

/// Parses one user.
pub fn parse_user(json: &str) -> Result<CicUser, Failure> {
    let user: CicUser = serde_json::from_str(json).map_err(json_failure)?;
    check_user("", &user)?;
    Ok(user)
}

/// Parses a force-sync snapshot; every user must be valid and ids unique.
pub fn parse_snapshot(json: &str) -> Result<Snapshot, Failure> {
    let snap: Snapshot = serde_json::from_str(json).map_err(json_failure)?;
    let mut seen = std::collections::HashSet::new();
    for (i, u) in snap.users.iter().enumerate() {
        check_user(SnapshotIndex(i), u)?;
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
        // A key spelled with escapes is the same key; an unknown one is named as decoded.
        assert_eq!(parse_user(r#"{"\u0069d":"a"}"#).unwrap().id, "a");
        let f = parse_user(r#"{"id":"a","n\u0069ck":"x"}"#).unwrap_err();
        assert_eq!(f.code, GcsyncResult::UnknownField);
        assert!(f.message.contains("`nick`"), "{}", f.message);
    }

    #[test]
    fn only_an_object_is_a_user() {
        for json in [
            r#"["arr1","Array User","a@b.c"]"#,
            "[]",
            r#""jdoe""#,
            "42",
            "null",
            "true",
        ] {
            let f = parse_user(json).unwrap_err();
            assert_eq!(f.code, GcsyncResult::InvalidField, "{json}");
            assert!(
                f.message.contains("expected a JSON object"),
                "{json}: {}",
                f.message
            );
        }
        for json in [
            r#"[[{"id":"a"}]]"#,
            r#"{"users":[["arr1","Array User","a@b.c"]]}"#,
            r#"{"users":["jdoe"]}"#,
        ] {
            let f = parse_snapshot(json).unwrap_err();
            assert_eq!(f.code, GcsyncResult::InvalidField, "{json}");
            assert!(
                f.message.contains("expected a JSON object"),
                "{json}: {}",
                f.message
            );
        }
    }

    #[test]
    fn a_duplicate_field_is_refused() {
        let f = parse_user(r#"{"id":"a","id":"b"}"#).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidField);
        assert!(f.message.contains("duplicate field `id`"), "{}", f.message);
        let f = parse_user(r#"{"id":"a","fax":null,"fax":"1"}"#).unwrap_err();
        assert!(f.message.contains("fax"), "{}", f.message);
        let f = parse_snapshot(r#"{"users":[],"users":[]}"#).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidField);
    }

    #[test]
    fn control_characters_are_refused_in_every_string_field() {
        // `skills` holds objects: its ids are checked in `cic::skills`.
        for field in USER_FIELDS.iter().filter(|f| **f != "skills") {
            for bad in ["\\u0000", "\\u0007", "\\n", "\\u001f", "\u{7f}", "\\u0085"] {
                let mut v = serde_json::json!({"id": "ok"});
                let json = {
                    v[*field] = serde_json::Value::String("x".into());
                    v.to_string().replace("\"x\"", &format!("\"a{bad}b\""))
                };
                let f = parse_user(&json).unwrap_err();
                assert_eq!(f.code, GcsyncResult::InvalidField, "{json}");
                assert!(
                    f.message
                        .starts_with(&format!("{field} must not contain control")),
                    "{json}: {}",
                    f.message
                );
                assert!(f.message.contains("at byte 1"), "{}", f.message);
            }
        }
        let f =
            parse_snapshot(r#"{"users":[{"id":"a"},{"id":"b","home_phone":"1\t2"}]}"#).unwrap_err();
        assert!(
            f.message.starts_with("users[1].home_phone"),
            "{}",
            f.message
        );
        // After a non-ASCII character the offset still counts bytes, for both ranges.
        for (bad, code) in [
            ("\\u0007", "U+0007"),
            ("\\u0085", "U+0085"),
            ("\\u007f", "U+007F"),
        ] {
            let f = parse_user(&format!(r#"{{"id":"ok","fax":"éx{bad}"}}"#)).unwrap_err();
            assert!(
                f.message.contains(&format!("found {code} at byte 3")),
                "{}",
                f.message
            );
        }
        // Printable non-ASCII is fine.
        assert!(parse_user(r#"{"id":"nguyễn","display_name":"Nguyễn Thị Thu ✓"}"#).is_ok());
    }

    #[test]
    fn what_the_store_serialises_parses_back() {
        let u = parse_user(r#"{"id":"jdoe","display_name":"Jane","fax":"5"}"#).unwrap();
        let back: CicUser = serde_json::from_str(&serde_json::to_string(&u).unwrap()).unwrap();
        assert_eq!(back, u);
        let v = serde_json::to_value(&u).unwrap();
        assert_eq!(serde_json::from_value::<CicUser>(v).unwrap(), u);
    }

    #[test]
    fn ids_are_checked_by_one_rule_naming_the_argument() {
        let f = check_id_field("user_id", &"a".repeat(GCSYNC_MAX_ID_LEN + 1)).unwrap_err();
        assert_eq!(f.code, GcsyncResult::InvalidField);
        assert!(
            f.message.starts_with("user_id is 257 bytes"),
            "{}",
            f.message
        );
        assert!(check_id_field("user_id", &"a".repeat(GCSYNC_MAX_ID_LEN)).is_ok());
        assert_eq!(
            check_id_field("object_id", " ").unwrap_err().code,
            GcsyncResult::MissingField
        );
        let f = check_id_field("object_id", "a\u{0}").unwrap_err();
        assert!(f.message.contains("U+0000 at byte 1"), "{}", f.message);
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
