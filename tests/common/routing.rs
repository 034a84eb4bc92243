//! Helpers for the workgroup and wrap-up code tests: the CIC objects through the generic hooks
//! and what the emulator's org holds.

use super::*;
use gc_emulator::Emulator;
use gcsync::object::GcsyncObjectKind::{Workgroup, WrapupCode};
use gcsync::result::GcsyncResult;
use serde_json::json;
use serde_json::Value;
use std::collections::BTreeSet;

pub const MEMBERS: &str = "/api/v2/routing/queues/{queueId}/members";
pub const QUEUE_CODES: &str = "/api/v2/routing/queues/{queueId}/wrapupcodes";

pub fn advanced_world() -> World {
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    w.start();
    w
}

pub fn add_user(id: &str) {
    let email = format!("{id}@example.com");
    assert_eq!(
        user_changed(&cic_user(id, id, Some(&email))),
        GcsyncResult::Ok
    );
}

pub fn workgroup(id: &str, members: &[&str], codes: &[&str]) {
    let j = json!({"id": id, "members": members, "wrapup_codes": codes});
    assert_eq!(object_changed(Workgroup, &j.to_string()), GcsyncResult::Ok);
}

pub fn code(id: &str, name: &str) {
    let j = json!({"id": id, "name": name, "label": "L", "category": "C"});
    assert_eq!(object_changed(WrapupCode, &j.to_string()), GcsyncResult::Ok);
}

pub fn queue(emu: &Emulator, name: &str) -> Value {
    emu.dump("queues")
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no queue {name}"))
}

pub fn member_ids(q: &Value, by: &str) -> BTreeSet<String> {
    q["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["memberBy"] == by)
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

pub fn gid(id: &str) -> String {
    status(id)["genesys_id"].as_str().unwrap().to_string()
}

pub fn gids(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|i| gid(i)).collect()
}

pub fn codes_named(emu: &Emulator, name: &str) -> Vec<Value> {
    let all = emu.dump("wrapupcodes");
    let list = all.as_array().unwrap();
    list.iter().filter(|c| c["name"] == name).cloned().collect()
}
