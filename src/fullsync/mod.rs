//! Force Complete Sync as a verified reconcile (README, "Force Complete Sync"). The host sends a
//! snapshot in parts (`begin`, `add`, `commit`); the run reads the org once in pages
//! ([`read`]), plans with the pure [`plan`] and applies the plan through the work queue, so the
//! worker's per-object steps, intents and statuses apply. Staging is in memory: nothing is
//! written before `commit`, so a crash before it changes nothing.

pub mod assignments;
pub mod config;
mod ownership;
pub mod plan;
pub mod read;
pub mod run;
mod state;
pub mod timer;

pub use state::{FullSync, Phase};

use crate::cic::CicUser;
use crate::object::GcsyncObjectKind;
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
    ids: HashSet<String>,
    /// The kinds that had at least one `add` (a kind never added removes nothing).
    pub kinds: HashSet<GcsyncObjectKind>,
}

impl Staging {
    /// Adds one chunk: a JSON array of objects of `kind`.
    pub fn add(&mut self, kind: GcsyncObjectKind, json: &str) -> Result<usize, Failure> {
        match kind {
            GcsyncObjectKind::User => {
                // One JSON value that is an array: nothing in it can reach the wrapper below.
                serde_json::from_str::<serde::de::IgnoredAny>(json).map_err(|e| {
                    Failure::new(GcsyncResult::MalformedJson, format!("chunk: {e}"))
                })?;
                if !json.trim_start().starts_with('[') {
                    return Err(Failure::new(
                        GcsyncResult::InvalidField,
                        "a snapshot chunk is a JSON array of objects of its kind",
                    ));
                }
                let snap = crate::cic::parse_snapshot(&format!("{{\"users\":{json}}}"))
                    .map_err(|f| Failure::new(f.code, f.message.replace("users[", "chunk[")))?;
                for u in &snap.users {
                    if self.ids.contains(&u.id) {
                        return Err(Failure::new(
                            GcsyncResult::InvalidField,
                            format!("user {:?} is already in this snapshot", u.id),
                        ));
                    }
                }
                let n = snap.users.len();
                for u in snap.users {
                    self.ids.insert(u.id.clone());
                    self.users.push(u);
                }
                self.kinds.insert(kind);
                Ok(n)
            }
            other => Err(Failure::new(
                GcsyncResult::UnknownObjectKind,
                format!(
                    "a snapshot in parts takes users only in this version; {} objects are \
                     reconciled through their hooks (a forced change each)",
                    other.name()
                ),
            )),
        }
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
}
