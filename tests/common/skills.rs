//! Helpers of the skill tests (`tests/skills*.rs`): a world with advanced sync on, the skill and
//! user hooks, and what the emulator holds.

use super::*;
use gcsync::object::GcsyncObjectKind::Skill;
use gcsync::result::GcsyncResult;
use serde_json::json;
use serde_json::Value;

pub fn world() -> World {
    let w = World::new();
    set("sync_advanced_platform_objects", "true");
    set("requests_per_minute", "100000");
    w.start();
    w
}

pub fn skill(id: &str, language: bool) {
    let json = json!({"id": id, "treat_as_language": language}).to_string();
    assert_eq!(object_changed(Skill, &json), GcsyncResult::Ok);
}

pub fn skill_named(id: &str) {
    let json = json!({"id": id}).to_string();
    let r = unsafe { gcsync::ffi::gcsync_on_skill_changed(json.as_ptr().cast(), json.len()) };
    assert_eq!(r, GcsyncResult::Ok);
}

pub fn user(id: &str, skills: Value) {
    let json = json!({"id": id, "display_name": id, "business_email": format!("{id}@example.com"),
                      "skills": skills})
    .to_string();
    assert_eq!(user_changed(&json), GcsyncResult::Ok);
}

pub fn gid(id: &str) -> String {
    let s = status_of(Skill, id);
    assert_eq!(s["state"], "Synced", "{s}");
    s["genesys_id"].as_str().unwrap().to_string()
}

pub fn user_gid(id: &str) -> String {
    status(id)["genesys_id"].as_str().unwrap().to_string()
}

/// The user's assignments in the emulator: (skills, languages) as id → stars.
pub fn held(w: &World, user: &str) -> (Value, Value) {
    let all = w.emu.dump("assignments");
    let a = &all[user_gid(user)];
    let or_empty = |v: &Value| if v.is_null() { json!({}) } else { v.clone() };
    (or_empty(&a["skills"]), or_empty(&a["languages"]))
}

pub fn names(w: &World, kind: &str) -> Vec<String> {
    let list = w.emu.dump(kind);
    let list = list.as_array().unwrap();
    list.iter()
        .filter(|s| s["state"] != "deleted")
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}
