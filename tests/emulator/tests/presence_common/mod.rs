//! Helpers shared by the presence test files.
#![allow(dead_code)]

use crate::common::{api, request, Resp};
use gc_emulator::Emulator;
use serde_json::{json, Value};

pub const DEFS: &str = "/api/v2/presence/definitions";
pub const SOURCES: &str = "/api/v2/presence/sources";
pub const BULK: &str = "/api/v2/users/presences/bulk";

/// The Genesys-native presence path of a user.
pub fn purecloud(user: &str) -> String {
    format!("/api/v2/users/{user}/presences/purecloud")
}

/// A presence body naming a definition.
pub fn def(id: &str) -> Value {
    json!({"presenceDefinition": {"id": id}})
}

/// Seed `n` active users; their ids.
pub fn users(emu: &Emulator, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            emu.seed_user(
                &format!("Agent {i}"),
                &format!("a{i}@example.com"),
                "active",
            )
        })
        .collect()
}

/// A control-endpoint call.
pub fn presence_control(emu: &Emulator, method: &str, name: &str, body: Value) -> Resp {
    let b = body.to_string();
    let path = format!("/__emulator/{name}");
    request(&emu.base_url(), method, &path, &[], Some(b.as_bytes())).unwrap()
}

/// Create a custom presence source through the API; its id.
pub fn new_source(emu: &Emulator, tok: &str, name: &str) -> String {
    let r = api(emu, tok, "POST", SOURCES, Some(json!({ "name": name })));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}
