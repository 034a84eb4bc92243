//! The agent-status kind: a CIC agent's status → the user's Genesys Cloud presence (and, in WEM
//! orgs, out-of-office and routing status). The object id is the CIC user id. Its payload is
//! [`CicAgentStatus`], its mapping and plan in [`crate::presence`], its Genesys steps in
//! `worker/presence.rs`. High priority: the presence worker takes it ahead of configuration work.

use super::Kind;
use crate::cic::{check_id_field, check_text, json_failure};
use crate::object::GcsyncObjectKind;
use crate::payloads::CicAgentStatus;
use crate::presence::AppliedPresence;
use crate::queue::Priority;
use crate::result::{Failure, GcsyncResult};
use crate::settings::Settings;

/// The agent-status kind.
pub struct AgentStatusKind;

impl Kind for AgentStatusKind {
    const KIND: GcsyncObjectKind = GcsyncObjectKind::AgentStatus;
    const PRIORITY: Priority = Priority::High;
    type Cic = CicAgentStatus;
    type Applied = AppliedPresence;

    fn parse(json: &str) -> Result<CicAgentStatus, Failure> {
        // The shared rules (`parse_strict`) without its second pass over the document: the
        // payload is flat, so its strings are checked on the typed value and the one shape
        // serde lets through (an array of the values) is refused by its first byte. A status
        // changes often; its hook is held to 5 µs.
        if !json.trim_start().starts_with('{') {
            return match serde_json::from_str::<serde_json::Value>(json) {
                Err(e) => Err(json_failure(e)),
                Ok(_) => Err(Failure::new(
                    GcsyncResult::InvalidField,
                    "the payload: expected a JSON object, not an array of the values",
                )),
            };
        }
        let s: CicAgentStatus = serde_json::from_str(json).map_err(json_failure)?;
        check_id_field("id", &s.id)?;
        check_text("status", &s.status)?;
        if let Some(g) = &s.group {
            check_text("group", g)?;
        }
        if s.status.trim().is_empty() {
            return Err(Failure::new(
                GcsyncResult::MissingField,
                "status must not be empty",
            ));
        }
        Ok(s)
    }

    fn id(c: &CicAgentStatus) -> &str {
        &c.id
    }

    fn disabled(s: &Settings) -> Option<&'static str> {
        super::advanced_disabled(s)
    }

    fn removal_disabled(s: &Settings) -> Option<&'static str> {
        Self::disabled(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_parses_strictly_with_its_defaults() {
        let s = AgentStatusKind::parse(r#"{"id":"jdoe","status":"At Lunch"}"#).unwrap();
        assert!(s.logged_in && !s.do_not_disturb && !s.acd_allowed && s.group.is_none());
        let full = AgentStatusKind::parse(
            r#"{"id":"jdoe","status":"Available","group":"Available","do_not_disturb":false,
                "acd_allowed":true,"after_call_work":false,"logged_in":true,"on_acd_interaction":true}"#,
        )
        .unwrap();
        assert!(full.acd_allowed && full.on_acd_interaction);
        use GcsyncResult::*;
        for (json, code) in [
            (r#"{"id":"jdoe"}"#, MissingField),
            (r#"{"id":"jdoe","status":"  "}"#, MissingField),
            (r#"{"status":"Available"}"#, MissingField),
            (
                r#"{"id":"jdoe","status":"Available","colour":1}"#,
                UnknownField,
            ),
            (
                r#"{"id":"jdoe","status":"Available","acd_allowed":"yes"}"#,
                InvalidField,
            ),
            (r#"{"id":"jdoe","status":"A\u0007"}"#, InvalidField),
            (r#"["jdoe","Available"]"#, InvalidField),
            ("{", MalformedJson),
        ] {
            assert_eq!(
                AgentStatusKind::parse(json).unwrap_err().code,
                code,
                "{json}"
            );
        }
    }
}
