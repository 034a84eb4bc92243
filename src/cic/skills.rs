//! The `skills` field of a CIC user: a list of `{"id", "proficiency"}` objects, read as
//! strictly as the user itself (an object for each entry, never an array of the values; no
//! unknown or duplicate field; `id` a string, `proficiency` a whole number).

use crate::payloads::SkillRef;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// The user's direct skills, as parsed.
pub(super) struct UserSkills(pub Vec<SkillRef>);

impl<'de> Deserialize<'de> for UserSkills {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UserSkills, D::Error> {
        d.deserialize_seq(ListVisitor)
    }
}

struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = UserSkills;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of skills ([{\"id\": ..., \"proficiency\": ...}])")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UserSkills, A::Error> {
        let mut out = Vec::new();
        while let Some(Entry(s)) = seq.next_element::<Entry>()? {
            out.push(s);
        }
        Ok(UserSkills(out))
    }
}

/// One entry, read from a map only.
struct Entry(SkillRef);

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entry, D::Error> {
        d.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

const ENTRY_FIELDS: &[&str] = &["id", "proficiency"];

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (a skill: {\"id\": ..., \"proficiency\": ...})")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let (mut id, mut proficiency): (Option<String>, Option<Option<i64>>) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" if id.is_some() => return Err(de::Error::duplicate_field("id")),
                "id" => id = Some(map.next_value()?),
                "proficiency" if proficiency.is_some() => {
                    return Err(de::Error::duplicate_field("proficiency"))
                }
                "proficiency" => proficiency = Some(map.next_value()?),
                other => return Err(de::Error::unknown_field(other, ENTRY_FIELDS)),
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        Ok(Entry(SkillRef {
            id,
            proficiency: proficiency.flatten(),
        }))
    }
}

/// The name of a skill id in a message: `skills[2].id` (after a snapshot's `users[3].`).
#[derive(Clone, Copy)]
pub(super) struct SkillField<P: fmt::Display> {
    pub prefix: P,
    pub index: usize,
}

impl<P: fmt::Display> fmt::Display for SkillField<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}skills[{}].id", self.prefix, self.index)
    }
}

#[cfg(test)]
mod tests {
    use crate::cic::parse_user;
    use crate::result::GcsyncResult::*;

    fn code(json: &str) -> (crate::result::GcsyncResult, String) {
        let e = parse_user(json).unwrap_err();
        (e.code, e.message)
    }

    #[test]
    fn direct_skills_parse_and_round_trip() {
        let u = parse_user(
            r#"{"id":"jdoe","skills":[{"id":"French","proficiency":70},{"id":"Sales"}]}"#,
        )
        .unwrap();
        assert_eq!(u.skills.len(), 2);
        assert_eq!(
            (u.skills[0].id.as_str(), u.skills[0].proficiency),
            ("French", Some(70))
        );
        assert_eq!(u.skills[1].proficiency, None);
        let text = serde_json::to_string(&u).unwrap();
        assert_eq!(parse_user(&text).unwrap(), u);
        let bare = parse_user(r#"{"id":"jdoe"}"#).unwrap();
        assert!(bare.skills.is_empty());
        assert!(!serde_json::to_string(&bare).unwrap().contains("skills"));
    }

    #[test]
    fn each_bad_skill_list_has_its_code_and_names_the_entry() {
        assert_eq!(code(r#"{"id":"u","skills":{"id":"x"}}"#).0, InvalidField);
        assert_eq!(
            code(r#"{"id":"u","skills":[["French",70]]}"#).0,
            InvalidField
        );
        assert_eq!(
            code(r#"{"id":"u","skills":[{"id":"x","level":2}]}"#).0,
            UnknownField
        );
        assert_eq!(
            code(r#"{"id":"u","skills":[{"proficiency":2}]}"#).0,
            MissingField
        );
        assert_eq!(
            code(r#"{"id":"u","skills":[{"id":"x","id":"y"}]}"#).0,
            InvalidField
        );
        assert_eq!(
            code(r#"{"id":"u","skills":[{"id":"x","proficiency":"high"}]}"#).0,
            InvalidField
        );
        assert_eq!(
            code(r#"{"id":"u","skills":[{"id":"x","proficiency":2.5}]}"#).0,
            InvalidField
        );
        let (c, m) = code(r#"{"id":"u","skills":[{"id":"ok"},{"id":" "}]}"#);
        assert_eq!((c, m.contains("skills[1].id")), (MissingField, true), "{m}");
        let (c, m) = code(r#"{"id":"u","skills":[{"id":"a\u0007b"}]}"#);
        assert_eq!((c, m.contains("skills[0].id")), (InvalidField, true), "{m}");
        assert_eq!(
            code(r#"{"id":"u","skills":[],"skills":[]}"#).0,
            InvalidField
        );
    }
}
