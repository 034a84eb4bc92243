//! Agent statuses (presence): the CIC status JSON, its record, a world of users to set it on.

use super::{cic_user, gc_user, set, status_of, user_changed, wait_idle, World};
use gc_emulator::Emulator;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use serde_json::Value;

/// The status JSON of a stock or custom CIC status; `acd` sets "Status Allow ACD Calls".
pub fn cic_status(status: &str, acd: bool) -> String {
    serde_json::json!({"status": status, "acd_allowed": acd}).to_string()
}

/// The agent-status record's status JSON.
pub fn presence_status(user_id: &str) -> Value {
    status_of(GcsyncObjectKind::AgentStatus, user_id)
}

/// Starts gcsync with presence sync on (Sync Advanced Platform Objects) and a budget that
/// never paces the test, and syncs `n` users `{prefix}{i}`; returns their Genesys ids.
pub fn presence_world(w: &World, prefix: &str, n: usize) -> Vec<String> {
    set("sync_advanced_platform_objects", "true");
    set("requests_per_minute", "100000");
    w.start();
    for i in 0..n {
        let id = format!("{prefix}{i}");
        let email = format!("{id}@example.com");
        assert_eq!(
            user_changed(&cic_user(&id, &id, Some(&email))),
            GcsyncResult::Ok
        );
    }
    wait_idle();
    (0..n)
        .map(|i| {
            let email = format!("{prefix}{i}@example.com");
            gc_user(&w.emu, &email)["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The system presence a user shows in their primary source.
pub fn shown(emu: &Emulator, gid: &str) -> String {
    emu.user_presence(gid)["presenceDefinition"]["systemPresence"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
