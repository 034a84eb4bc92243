//! CIC users as the host sends them, and what the emulator (the org) holds and was asked.

use gc_emulator::Emulator;
use serde_json::Value;

/// A CIC user JSON with the given id, display name and email (None → no email).
pub fn cic_user(id: &str, name: &str, email: Option<&str>) -> String {
    serde_json::json!({"id": id, "display_name": name, "business_email": email}).to_string()
}

/// The emulator's user with this email (any state).
pub fn gc_user(emu: &Emulator, email: &str) -> Value {
    emu.user_by_email(email)
        .unwrap_or_else(|| panic!("no Genesys user with email {email}"))
}

/// The phone address of one type on a Genesys user JSON.
pub fn phone(user: &Value, kind: &str) -> Option<String> {
    user["addresses"].as_array()?.iter().find_map(|c| {
        (c["mediaType"] == "PHONE" && c["type"] == kind)
            .then(|| c["address"].as_str().unwrap().to_string())
    })
}

/// API calls logged by the emulator for `method` on routes whose template contains `part`.
pub fn calls_on(emu: &Emulator, method: &str, part: &str) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.method == method && r.route.contains(part))
        .count()
}
