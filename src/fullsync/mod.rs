//! Force Complete Sync as a verified reconcile (README, "Force Complete Sync"). The host sends a
//! snapshot in parts (`begin`, `add`, `commit`); the run reads the org once in pages
//! ([`read`]), plans with the pure [`plan`] and applies the plan through the work queue, so the
//! worker's per-object steps, intents and statuses apply. Staging is in memory: nothing is
//! written before `commit`, so a crash before it changes nothing.

pub mod apply;
pub mod assignments;
pub mod config;
mod guard;
pub mod named;
pub mod named_kinds;
mod ownership;
pub mod plan;
pub mod read;
pub mod read_named;
mod role;
pub mod run;
mod state;
pub mod timer;
mod users;

pub use state::{FullSync, Phase};

use crate::cic::CicUser;
use crate::kinds::skill::SkillKind;
use crate::kinds::workgroup::WorkgroupKind;
use crate::kinds::wrapup_code::WrapupCodeKind;
use crate::kinds::Kind;
use crate::object::GcsyncObjectKind;
use crate::payloads::{CicSkill, CicWorkgroup, CicWrapupCode};
use crate::result::{Failure, GcsyncResult};
use std::collections::HashSet;

/// `commit` flag: compute the plan and apply nothing.
pub(crate) const DRY_RUN: u32 = 1;

/// A snapshot being sent by the host.
#[derive(Debug, Default, Clone)]
pub struct Staging {
    /// Its number (returned by `begin`).
    pub id: u64,
    /// The users, in the order sent.
    pub users: Vec<CicUser>,
    /// The workgroups, in the order sent.
    pub workgroups: Vec<CicWorkgroup>,
    /// The skills (and languages), in the order sent.
    pub skills: Vec<CicSkill>,
    /// The wrap-up codes, in the order sent.
    pub wrapup_codes: Vec<CicWrapupCode>,
    ids: HashSet<(GcsyncObjectKind, String)>,
    /// The kinds that had at least one `add` (a kind never added removes nothing).
    pub kinds: HashSet<GcsyncObjectKind>,
}

/// Splits a JSON array (already checked to be valid JSON) into the text of its elements.
fn elements(json: &str) -> Vec<&str> {
    let b = json.as_bytes();
    let Some(open) = json.find('[') else {
        return Vec::new();
    };
    let (mut out, mut depth, mut in_str, mut esc, mut start) =
        (Vec::new(), 0usize, false, false, open + 1);
    for (i, &c) in b.iter().enumerate().skip(open + 1) {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b',' | b']' if depth == 0 => {
                let e = json[start..i].trim();
                if !e.is_empty() {
                    out.push(e);
                }
                start = i + 1;
                if c == b']' {
                    break;
                }
            }
            _ => {}
        }
    }
    out
}

/// Parses every element of a chunk with the kind's strict parser (`at` prefixes the message
/// with the element's index).
fn parse_all<K: Kind>(json: &str) -> Result<Vec<K::Cic>, Failure> {
    elements(json)
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            K::parse(e).map_err(|f| Failure::new(f.code, format!("chunk[{i}]: {}", f.message)))
        })
        .collect()
}

impl Staging {
    /// Adds one chunk: a JSON array of objects of `kind`, each validated by that kind's strict
    /// parser; an id already in this snapshot (per kind) refuses the whole chunk.
    pub fn add(&mut self, kind: GcsyncObjectKind, json: &str) -> Result<usize, Failure> {
        // One JSON value that is an array: nothing in it can reach the parsers below.
        serde_json::from_str::<serde::de::IgnoredAny>(json)
            .map_err(|e| Failure::new(GcsyncResult::MalformedJson, format!("chunk: {e}")))?;
        if !json.trim_start().starts_with('[') {
            return Err(Failure::new(
                GcsyncResult::InvalidField,
                "a snapshot chunk is a JSON array of objects of its kind",
            ));
        }
        let n = match kind {
            GcsyncObjectKind::User => {
                let snap = crate::cic::parse_snapshot(&format!("{{\"users\":{json}}}"))
                    .map_err(|f| Failure::new(f.code, f.message.replace("users[", "chunk[")))?;
                self.check_new(kind, snap.users.iter().map(|u| u.id.as_str()))?;
                let n = snap.users.len();
                self.users.extend(snap.users);
                n
            }
            GcsyncObjectKind::Workgroup => {
                self.stage::<WorkgroupKind>(json, |s| &mut s.workgroups)?
            }
            GcsyncObjectKind::Skill => self.stage::<SkillKind>(json, |s| &mut s.skills)?,
            GcsyncObjectKind::WrapupCode => {
                self.stage::<WrapupCodeKind>(json, |s| &mut s.wrapup_codes)?
            }
            GcsyncObjectKind::AgentStatus => {
                return Err(Failure::new(
                    GcsyncResult::InvalidArgument,
                    "agent statuses are a live state, not configuration: a snapshot takes \
                     users, workgroups, skills and wrap-up codes; send statuses through \
                     gcsync_on_agent_status_changed (or the object hooks) as they change",
                ))
            }
        };
        self.kinds.insert(kind);
        Ok(n)
    }

    /// Parses a chunk of kind `K` and appends it to `list` (ids checked first).
    fn stage<K: Kind>(
        &mut self,
        json: &str,
        list: impl FnOnce(&mut Self) -> &mut Vec<K::Cic>,
    ) -> Result<usize, Failure> {
        let v = parse_all::<K>(json)?;
        self.check_new(K::KIND, v.iter().map(K::id))?;
        let n = v.len();
        list(self).extend(v);
        Ok(n)
    }

    /// Refuses ids already in the snapshot (or twice in the chunk), then records them.
    fn check_new<'a>(
        &mut self,
        kind: GcsyncObjectKind,
        ids: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<(), Failure> {
        let mut seen = HashSet::new();
        for id in ids.clone() {
            if self.ids.contains(&(kind, id.to_string())) || !seen.insert(id) {
                return Err(Failure::new(
                    GcsyncResult::InvalidField,
                    format!("{} {id:?} is already in this snapshot", kind.name()),
                ));
            }
        }
        self.ids.extend(ids.map(|id| (kind, id.to_string())));
        Ok(())
    }

    /// How many objects the snapshot holds, every kind.
    pub fn len(&self) -> usize {
        self.users.len() + self.workgroups.len() + self.skills.len() + self.wrapup_codes.len()
    }

    /// Whether the snapshot holds no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_add_up_and_a_repeated_id_is_refused() {
        let mut s = Staging::default();
        let chunk = |a: &str| format!(r#"[{{"id":"{a}","business_email":"{a}@x.com"}}]"#);
        assert_eq!(s.add(GcsyncObjectKind::User, &chunk("a")).unwrap(), 1);
        assert_eq!(s.add(GcsyncObjectKind::User, &chunk("b")).unwrap(), 1);
        assert_eq!(s.users.len(), 2);
        let e = s.add(GcsyncObjectKind::User, &chunk("a")).unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidField);
        assert_eq!(s.users.len(), 2, "a refused chunk adds nothing");
        let e = s.add(GcsyncObjectKind::User, "{}").unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidField);
        let e = s
            .add(GcsyncObjectKind::User, r#"[], "users": []"#)
            .unwrap_err();
        assert_eq!(e.code, GcsyncResult::MalformedJson);
        assert!(s.add(GcsyncObjectKind::User, "[]").is_ok());
    }

    #[test]
    fn every_config_kind_is_staged_strictly_and_agent_statuses_are_refused() {
        let mut s = Staging::default();
        let wg = r#"[{"id":"Sales","members":["a"],"wrapup_codes":["W1"]}, {"id":"Support"}]"#;
        assert_eq!(s.add(GcsyncObjectKind::Workgroup, wg).unwrap(), 2);
        let sk = r#"[{"id":"French","treat_as_language":true},{"id":"Billing, \"tier\" [2]"}]"#;
        assert_eq!(s.add(GcsyncObjectKind::Skill, sk).unwrap(), 2);
        assert_eq!(s.skills[1].id, "Billing, \"tier\" [2]");
        let codes = r#"[{"id":"W1","name":"Sold","label":"x","category":"y"}]"#;
        assert_eq!(s.add(GcsyncObjectKind::WrapupCode, codes).unwrap(), 1);
        // The same id in another kind is another object; in the same kind it is refused.
        assert!(s
            .add(GcsyncObjectKind::Skill, r#"[{"id":"Sales"}]"#)
            .is_ok());
        let e = s
            .add(GcsyncObjectKind::Workgroup, r#"[{"id":"Sales"}]"#)
            .unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidField);
        let e = s
            .add(GcsyncObjectKind::WrapupCode, r#"[{"id":"W9"},{"id":"W9"}]"#)
            .unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidField);
        // Each element through the kind's strict parser, named by its index.
        let e = s
            .add(
                GcsyncObjectKind::Skill,
                r#"[{"id":"x"},{"id":"y","id":"z"}]"#,
            )
            .unwrap_err();
        assert!(e.message.starts_with("chunk[1]"), "{}", e.message);
        let e = s
            .add(GcsyncObjectKind::Workgroup, r#"[{"id":"Q","colour":1}]"#)
            .unwrap_err();
        assert_eq!(e.code, GcsyncResult::UnknownField);
        assert_eq!(
            (s.workgroups.len(), s.skills.len(), s.wrapup_codes.len()),
            (2, 3, 1)
        );
        let e = s
            .add(
                GcsyncObjectKind::AgentStatus,
                r#"[{"id":"a","status":"Available"}]"#,
            )
            .unwrap_err();
        assert_eq!(e.code, GcsyncResult::InvalidArgument);
        assert!(!s.kinds.contains(&GcsyncObjectKind::AgentStatus));
        assert_eq!(s.add(GcsyncObjectKind::WrapupCode, " [ ] ").unwrap(), 0);
    }
}
